/* SPDX-License-Identifier: MIT */
/*
 * sts_int - what the parts of the MTA-STS module share (not an API)
 *
 * DESCRIPTION
 *	The MTA-STS source is split by job: sts.c (domain state, queries,
 *	fetch results), sts_discover.c (TXT and CNAME), sts_refresh.c
 *	(refresh scheduling, memory sweep).  They share the structures
 *	below and these functions:
 *
 *	sts_now()	the injected wall clock, seconds
 *	sdom_get()	a domain's state, read from the store on first use
 *			(create: make it when unknown), expired policy dropped
 *	sdom_wake()	answer every query waiting on the domain
 *	sdom_start_fetch()	fetch the policy for an id, unless one runs
 *			or the id is backing off
 *	sdom_unlink_waiting()	take a query off the domain's wait list
 *	sdom_lookup_txt()	look the TXT record up (sts_discover.c)
 *	sts_sweep()	forget idle domains without a policy (sts_refresh.c)
 *	sdom_free()	free a domain's state
 *	sdom_adopt()	install a policy another relay stored (sts_fleet.c)
 *	sdom_flush()	forget the TXT check, fetch again (sts_discover.c)
 *	sts_store_put()	queue an entry for the local store (write-behind);
 *			its policy text moves to the queue
 *
 *	The fleet's shared store (policy_store = redis), sts_fleet.c:
 *	fleet_load()	read a domain from Redis: 1, 0 none, -1 down
 *	fleet_put()	write an entry to Redis, or note it for later
 *	fleet_before_fetch()	0: fetch now; 1: adopted from Redis or
 *			another relay fetches (d waits, as if fetching)
 *	fleet_fetched()	release the domain's fetch lock after a fetch
 *	fleet_flush()	flush a domain fleet-wide
 *	fleet_cancel()	stop a domain's wait for another relay
 *	fleet_free()	release the fleet state
 */
#ifndef TLSPOL_STS_INT_H
#define TLSPOL_STS_INT_H

#include <limits.h>

#include "sts.h"
#include "store_wb.h"
#include "sts_policy.h"

#define STS_FIRST_CONTACT	"first contact: policy fetch still running"

/* What tlspolicyd knows about one policy domain. */
struct sdom {
	struct sts *s;
	char *domain;			/* exact size: many domains */
	int loaded;			/* the store has been read */
	unsigned load_failures;		/* failed reads in a row */
	int64_t load_retry_at;		/* no read before then (wall clock) */
	/* The cached policy (id[0] == 0: none). */
	char id[STS_ID_MAX + 1];
	enum sts_mode mode;
	char *value;			/* Postfix value, plain */
	char *value_rpt;		/* with TLSRPT attributes */
	char *value_may;		/* testing: the may form, with them */
	struct sts_policy pol;		/* its mx patterns (RFC 8461 4.1) */
	int64_t fetched_at, expires_at;
	long max_age;
	char *last_error;		/* NULL when none */
	/* Discovery. */
	int64_t txt_until;		/* TXT checked until (wall clock) */
	char txt_id[STS_ID_MAX + 1];	/* id seen in the TXT record */
	struct dns_query *txtq;
	/* Fetching. */
	int fetch_id;			/* > 0 while a fetch runs */
	char fetching_for[STS_ID_MAX + 1];
	char failed_id[STS_ID_MAX + 1];	/* back-off for this id ... */
	int64_t failed_until;		/* ... until then */
	int64_t last_used;
	struct sts_req *waiting;	/* queries waiting for TXT or fetch */
	struct loop_timer *fleet_timer;	/* waiting for another relay's fetch */
	unsigned fleet_tries;
};

/* fetch_id while another relay holds the domain's fetch lock. */
#define STS_FLEET_WAIT		INT_MAX
#define STS_FLEET_LOCK_MS	10000	/* a fetch lock lives this long */
#define STS_FLEET_RECHECK_MS	250	/* re-read Redis this often ... */
#define STS_FLEET_TRIES		(STS_FLEET_LOCK_MS / STS_FLEET_RECHECK_MS)
#define STS_FLEET_TICK_MS	1000	/* flush stream, backlog, reconnect */
#define STS_FLEET_DRAIN		256	/* backlog entries per tick */
#define STS_FLEET_BACKLOG_MAX	100000

struct sts_req {
	struct sts_req *next;
	struct sdom *d;
	int tlsrpt;
	int first_contact;		/* sts_wait(): waiting for a first fetch */
	long wait_ms;			/* ... at most this long */
	sts_cb cb;
	void *arg;
	struct loop_timer *timer;
	struct sts_result res;
};

struct sts {
	struct loop *loop;
	int sweeping;
	size_t sweep_at;		/* domains in memory that trigger a sweep */
	struct dns_port dns;		/* lookup NULL: no resolver */
	struct store *store;
	struct fetch_port fetch;	/* fetch NULL: no fetcher */
	struct sts_config cf;
	struct htable *doms;
	struct sts_stat st;
	struct loop_timer *complete_timer;
	struct sts_req *completed;	/* answered, callbacks due */
	/* Store writes waiting for the next batch (store_wb.h). */
	struct store_wb *wb;		/* NULL without a store */
	struct loop_timer *wb_timer;
	/* Store read failures, logged at most once per STS_LOAD_LOG_EVERY. */
	int64_t load_log_at;
	unsigned long load_unlogged;
	/* The fleet's shared store, NULL when alone (sts_fleet.c). */
	struct store *fleet;
	struct htable *backlog;		/* domains Redis has not got yet */
	struct loop_timer *fleet_tick;
	char owner[96];			/* host:pid, for locks and flushes */
	struct sts_fleet_stat fst;
};

static inline int64_t
sts_now(struct sts *s)
{
	return s->cf.now(s->cf.now_arg);
}

struct sdom *sdom_get(struct sts *s, const char *domain, int create);
void sdom_wake(struct sdom *d, const char *how);
void sdom_start_fetch(struct sdom *d, const char *id, int force);
void sdom_unlink_waiting(struct sdom *d, struct sts_req *r);
void sdom_lookup_txt(struct sdom *d);
void sdom_free(void *p);
void sts_sweep(struct sts *s, int64_t idle);
int sdom_adopt(struct sdom *d, const struct store_entry *e);
void sts_store_put(struct sts *s, struct store_entry *e);
void sdom_flush(struct sdom *d);

int fleet_load(struct sts *s, const char *domain, struct store_entry *e);
void fleet_put(struct sts *s, const struct store_entry *e);
int fleet_before_fetch(struct sdom *d, const char *id);
void fleet_fetched(struct sdom *d);
void fleet_flush(struct sts *s, const char *domain);
void fleet_cancel(struct sdom *d);
void fleet_free(struct sts *s);

#endif
