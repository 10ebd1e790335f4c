/* SPDX-License-Identifier: MIT */
/*
 * sts - the MTA-STS source of the decision engine (RFC 8461)
 *
 * SYNOPSIS
 *	struct sts *sts_new(struct loop *l, const struct dns_port *d,
 *	    struct store *st, const struct fetch_port *f,
 *	    const struct sts_config *cf);
 *	struct sts_req *sts_query(struct sts *s, const char *domain,
 *	    int tlsrpt, sts_cb cb, void *arg, struct sts_result *res);
 *	struct sts_req *sts_wait(struct sts *s, const char *domain,
 *	    int tlsrpt, long wait_ms, sts_cb cb, void *arg,
 *	    struct sts_result *res);
 *	void sts_cancel(struct sts *s, struct sts_req *r);
 *	long sts_mx_match(struct sts *s, const char *domain,
 *	    const char *const *hosts, size_t n, size_t *miss);
 *	const char *sts_reason(struct sts_result *res);
 *	int sts_cached_policy(struct sts *s, const char *domain);
 *	void sts_flush(struct sts *s, const char *domain);
 *	void sts_refresh_scan(struct sts *s);
 *	void sts_status(struct sts *s, struct sts_stat *st);
 *	void sts_free(struct sts *s);
 *	void sts_set_fleet(struct sts *s, struct store *fleet);
 *	int  sts_fleet_status(struct sts *s, struct sts_fleet_stat *st);
 *
 * DESCRIPTION
 *	The module is split by job: sts.c (domain state, queries, fetch
 *	results, explain data), sts_discover.c (the TXT record and its
 *	CNAMEs), sts_refresh.c (refresh scheduling, memory sweep); they
 *	share sts_int.h.  Store writes go through lib/store_wb.h.
 *
 *	sts_new() takes the DNS port d (dnsport.h) and the fetcher port f
 *	(fetchport.h), both copied; NULL or a port without lookup / fetch
 *	means no resolver / no fetcher.  The daemon passes its resolver and
 *	its fetcher process; unit tests scripted DNS and a fake fetcher.
 *
 *	For a policy domain (an A-label next-hop domain; never a parent or
 *	a relay next-hop), sts_query() reports the facts: the cached
 *	policy and its mode with the Postfix value for it, a first fetch
 *	still running with nothing cached, or an unreadable store.  What
 *	applies (testing mode, how long a first contact waits) is
 *	engine_decide()'s to say (engine.c).
 *
 *	Caching follows RFC 8461 section 5.  The policy store keeps every
 *	validated policy with its id, fetch time and expiry (fetch time +
 *	max_age); tlspolicyd is its only writer.  On a query:
 *	  - an expired cached policy is dropped;
 *	  - the _mta-sts TXT record is looked up (cached by its TTL, at
 *	    most STS_TXT_RECHECK seconds, so an id change is seen quickly);
 *	  - same id as the cached policy: the cached policy answers;
 *	  - a new id, or nothing cached: the fetcher fetches the policy; a
 *	    cached policy keeps answering until the new one has validated
 *	    and replaced it; with nothing cached (first contact) the result
 *	    is STS_PENDING, and the engine may wait for the fetch with
 *	    sts_wait();
 *	  - no TXT record, an invalid one, or a DNS failure: a cached
 *	    policy still answers; else there is no policy;
 *	  - a failed fetch never replaces or shortens a cached policy; the
 *	    same (domain, id) is not fetched again for failure_backoff.
 *	Policies of domains in use (queried within in_use_window) are
 *	fetched again, whatever their id, from fetched_at + min(1 day,
 *	max_age / 2), or from expires_at - refresh_before when that is
 *	earlier but still after half the lifetime, less a jitter of up to a
 *	tenth of the interval derived from the domain name.
 *	sts_refresh_scan() looks for such domains; tlspolicyd runs it every
 *	minute.  It also forgets domains without a policy that were not
 *	queried for STS_IDLE_FORGET seconds; when the table grows past
 *	STS_MAX_DOMAINS, and then past each further quarter of it,
 *	policy-less ones are forgotten at once, so memory stays bounded
 *	(domains with a policy are bounded by the store) and the sweeps cost
 *	little per new domain.
 *
 *	Results: a policy in mode enforce is STS_ENFORCE, in mode testing
 *	STS_TESTING, both with value "secure match=PATTERNS
 *	servername=hostname" (with Postfix 3.10 TLSRPT attributes when
 *	tlsrpt is set); a testing-mode policy on the TLSRPT map also gives
 *	value_report, "may servername=hostname" with the attributes (NULL
 *	when they do not fit).  Mode none and no policy are STS_NOINFO
 *	(id and mode say which), a first fetch running with nothing cached
 *	STS_PENDING, an unreadable store STS_TEMP.  A cached policy with a
 *	value that answers counts as a hit.
 *
 *	sts_mx_match() counts the hosts[0] .. hosts[n - 1] (MX host names,
 *	a trailing dot allowed) that match an mx pattern of the domain's
 *	cached policy (RFC 8461 section 4.1), and sets *miss to the index
 *	of the last one that does not (n when all match); -1 when no policy
 *	with mx patterns is cached.  One lookup of the domain for all the
 *	hosts: it runs on every MTA-STS cache hit of the plain map.
 *
 *	sts_wait() waits for a first fetch: like sts_query(), but while
 *	nothing is cached and the fetch runs, the result comes when it
 *	ends or after wait_ms (then STS_PENDING with waited_ms = wait_ms,
 *	counted in first_contact_timeouts); NULL with *res complete when
 *	no fetch runs (any more).
 *
 *	Time: cf->now() returns the wall-clock time in seconds; tests
 *	inject their own clock.  Waits run on the event loop's monotonic
 *	clock.
 *
 *	Store failures: a store read that fails (not "no entry") leaves
 *	the domain unloaded.  Its queries then answer STS_TEMP at once,
 *	never STS_NOINFO: a cached enforce policy may be in the store.
 *	The store is read again on a later query, at the earliest after a
 *	back-off doubling from 1 s to STS_LOAD_RETRY_MAX seconds; failures
 *	are logged at most once per STS_LOAD_LOG_EVERY seconds, with a count
 *	of those not logged.  A policy fetched meanwhile is newer than the
 *	store's: it answers, and the domain counts as loaded.
 *	sts_cached_policy() says 0 for an unloaded domain (the engine then
 *	asks sts_query(), which answers STS_TEMP).
 *
 *	sts_query() returns NULL when *res is complete at once, else a
 *	handle, and cb(arg, res) follows exactly once from the loop unless
 *	sts_cancel() is called first.  res->value is borrowed: from
 *	sts_query() it is valid until control returns to the event loop, in
 *	cb until cb returns; copy it to keep it.  sts_reason() gives the
 *	result's one-line reason, formatted on first use from facts kept in
 *	*res (a cache hit's answer needs it only for logs and explain).
 *	sts_cached_policy() answers from the cache only, at once: is an unexpired
 *	policy stored for the domain?  sts_flush() forgets the TXT check
 *	for a domain (all with NULL) and fetches its policy again now.
 *
 * FLEET
 *	sts_set_fleet() shares the policies with other relays through fleet,
 *	a store opened with "redis:" (store_redis.h); s keeps it (closed by
 *	the caller after sts_free()).  The cache in memory stays in front:
 *	a cache hit never touches Redis.  A domain's first use and every
 *	fetch read Redis first and adopt a policy another relay stored for
 *	the same id when it is newer than ours; else the relay takes the
 *	domain's fetch lock (STS_FLEET_LOCK_MS) and fetches, or, when
 *	another relay holds it, re-reads Redis every STS_FLEET_RECHECK_MS
 *	until that relay's policy is there (its queries wait as for a
 *	fetch), and fetches itself when the lock's time has passed.  A
 *	fetched policy goes to the local store (the fall-back copy) and to
 *	Redis.  When Redis fails or is slow (every command is bounded) the
 *	relay answers from memory and the local store, and a policy Redis
 *	could not take waits in a backlog (at most STS_FLEET_BACKLOG_MAX
 *	domains); a timer every STS_FLEET_TICK_MS reconnects (with the
 *	store's back-off), writes the backlog out, and reads the flushes of
 *	other relays, each of which is done here as sts_flush() does.
 *	sts_flush() of one domain also deletes it in Redis and tells the
 *	other relays.  sts_fleet_status() returns 0 and fills *st, or -1
 *	without a fleet.
 */
#ifndef TLSPOL_STS_H
#define TLSPOL_STS_H

#include <stdint.h>

#include "dnsport.h"
#include "fetchport.h"
#include "loop.h"
#include "store.h"
#include "sts_txt.h"

#define STS_TXT_RECHECK		300	/* seconds, at most */
#define STS_TXT_ERR_RECHECK	30	/* after a DNS failure */
#define STS_FETCHER_RETRY	10	/* after the fetcher died */
#define STS_MAX_DOMAINS		100000	/* in memory, before a sweep */
#define STS_IDLE_FORGET		600	/* forget a policy-less domain */
#define STS_WB_DELAY_MS		50	/* store writes wait at most this (store_wb.h) */
#define STS_LOAD_RETRY_MAX	60	/* seconds between store reads, at most */
#define STS_LOAD_LOG_EVERY	60	/* seconds between read failure lines */

struct sts_config {
	long refresh_before;		/* sts_refresh_before, seconds */
	long failure_backoff;		/* sts_failure_backoff, seconds */
	long in_use_window;		/* seconds */
	int64_t (*now)(void *arg);	/* wall clock, seconds */
	void *now_arg;
	/* TLSRPT: a failed fetch (once per attempt); NULL: not reported. */
	void (*report)(void *arg, const char *domain, const char *result_type,
	    const char *detail);
	void *report_arg;
};

enum sts_status {
	STS_ENFORCE,		/* value holds the Postfix policy */
	STS_NOINFO,		/* no policy (none, or nothing cached) */
	STS_TEMP,		/* unknown (the store could not be read) */
	STS_TESTING,		/* a testing-mode policy; value as enforce */
	STS_PENDING		/* nothing cached, a first fetch runs */
};

struct sts_result {
	enum sts_status status;
	const char *value;	/* ENFORCE, TESTING; borrowed (see above) */
	const char *value_report;	/* TESTING, tlsrpt: the may form */
	long waited_ms;		/* PENDING from sts_wait(): how long */
	/* What sts_reason() formats the reason from. */
	const char *how;	/* static text, "" when none */
	char id[STS_ID_MAX + 1];	/* the cached policy's, "" when none */
	const char *mode;	/* its mode's name */
	long long expires_in;	/* seconds, STS_ENFORCE only */
	char reason[256];	/* sts_reason()'s text, "" until asked */
	char *value_copy;	/* sts.c's own: what value points to in cb */
	char *report_copy;	/* ... and value_report */
};

struct sts_stat {
	unsigned long domains;		/* in memory */
	unsigned long stored;		/* in the store */
	unsigned long hits, txt_lookups, fetches, fetch_failures;
	unsigned long fetch_ok;		/* fetched policies accepted */
	unsigned long refreshes, first_contact_timeouts;
	unsigned long store_failures;	/* failed store reads */
	unsigned long store_writes, store_write_failures;	/* records */
};

/* The fleet's shared store (sts_set_fleet()). */
struct sts_fleet_stat {
	int connected;
	unsigned long errors;		/* failed Redis commands */
	char last_error[128];
	unsigned long backlog;		/* entries Redis has yet to get */
	unsigned long adopted;		/* policies another relay fetched */
	unsigned long lock_waits;	/* fetches left to another relay */
	unsigned long fleet_flushes;	/* flushes from other relays */
};

typedef void (*sts_cb)(void *arg, struct sts_result *res);

struct sts;
struct sts_req;

struct sts *sts_new(struct loop *l, const struct dns_port *d,
    struct store *st, const struct fetch_port *f,
    const struct sts_config *cf);
struct sts_req *sts_query(struct sts *s, const char *domain, int tlsrpt,
    sts_cb cb, void *arg, struct sts_result *res);
struct sts_req *sts_wait(struct sts *s, const char *domain, int tlsrpt,
    long wait_ms, sts_cb cb, void *arg, struct sts_result *res);
void sts_cancel(struct sts *s, struct sts_req *r);
long sts_mx_match(struct sts *s, const char *domain,
    const char *const *hosts, size_t n, size_t *miss);
const char *sts_reason(struct sts_result *res);
int sts_cached_policy(struct sts *s, const char *domain);
void sts_flush(struct sts *s, const char *domain);
void sts_refresh_scan(struct sts *s);
void sts_status(struct sts *s, struct sts_stat *st);
void sts_free(struct sts *s);
void sts_set_fleet(struct sts *s, struct store *fleet);
int sts_fleet_status(struct sts *s, struct sts_fleet_stat *st);

/* For tlsmap explain: what is cached for a domain, as text. */
int sts_describe(struct sts *s, const char *domain, char *buf, size_t len);

/*
 * The same facts, structured (in memory only: after sts_query() for the
 * domain).  known: the domain is in memory; cached: a policy is; mx: the
 * policy's mx patterns, ':'-separated, from its Postfix value.
 */
struct sts_info {
	int known, cached;
	char id[STS_ID_MAX + 1];
	const char *mode;
	long max_age;
	int64_t age, expires_in;
	char txt_id[STS_ID_MAX + 1];
	char last_error[STORE_ERROR_MAX + 1];
	char mx[1024];
};
void sts_info(struct sts *s, const char *domain, struct sts_info *out);

#endif
