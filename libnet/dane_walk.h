/* SPDX-License-Identifier: MIT */
/*
 * dane_walk - does DANE (RFC 7672) apply to a next-hop destination?
 *
 * SYNOPSIS
 *	int dane_target(const struct key *k, struct dane_target *t,
 *	    const char **why);
 *
 *	struct dane_answers *dane_answers_new(void);
 *	void dane_answers_add(struct dane_answers *as, const char *qname,
 *	    int qtype, const struct dns_result *r);
 *	void dane_answers_free(struct dane_answers *as);
 *	int dane_eval(const struct dane_target *t,
 *	    const struct dane_answers *as, struct dane_result *res,
 *	    struct dane_need *need, size_t maxneed, size_t *nneed);
 *	int dane_tlsa_usable(const ldns_rr *rr);
 *	struct dane_mx *dane_mx_eval(const struct dane_target *t,
 *	    const struct dane_answers *as);
 *	void dane_mx_free(struct dane_mx *m);
 *
 * DESCRIPTION
 *	Shared by tlspolicyd (policyd/dane.h drives it against DNS) and
 *	tlsmap probe (the MX walk).  The daemon only decides whether DANE
 *	applies; Postfix does its own
 *	MX, address and TLSA lookups and checks certificates.
 *
 *	dane_target() maps a normalised key to what is looked up: a
 *	domain (MX lookup, port 25 or the key's port), or a [host] /
 *	[host]:port next-hop (a secure MX of itself, no MX lookup).  It
 *	returns -1 with *why for keys DANE cannot apply to (IP literals,
 *	unknown services).
 *
 *	dane_eval() is the whole decision as a pure function over a
 *	recorded answer set (struct dane_answers, filled by
 *	dane_answers_add() from DNS results, or by tests from canned
 *	packets).  It returns 1 with *res final, or 0 with the (name, type)
 *	pairs still missing in need[]: the caller looks them up, records
 *	the answers and calls it again.  Each round only asks what the
 *	answers so far make necessary: MX, then A and AAAA of every host,
 *	then TLSA at the CNAME-expanded name, then at the original name;
 *	for an alias whose address records are insecure, its own CNAME
 *	record, and when that is secure, TLSA at the original name only.
 *	See the comment above dane_eval() for the rules.
 *
 *	Results: DANE_DANE_ONLY, DANE_DANE, DANE_NOINFO (DANE does not
 *	apply: ask the next source), DANE_ERROR with an error class:
 *	DANE_ERR_BOGUS for SERVFAIL (in resolver mode a DNSSEC failure
 *	looks like any SERVFAIL; an Extended DNS Error "No Reachable
 *	Authority" or "Network Error" marks it transient) and malformed
 *	CNAME chains; DANE_ERR_TRANSIENT for timeouts, network errors,
 *	REFUSED and other rcodes, and the overall query_timeout.  ttl is
 *	the minimum TTL of the answers used, clamped to [DANE_MIN_TTL,
 *	DANE_MAX_TTL], or DANE_TEMP_TTL for errors.
 *
 *	dane_mx_eval() says, from the same recorded answers, what the walk
 *	saw: the MX host list by preference (or the implicit MX, a null MX,
 *	a [host]), whether the MX answer (RRset, NODATA, NXDOMAIN or null
 *	MX) was secure (never for a failed or missing lookup; always for a
 *	[host], a secure MX of itself), and each host's state
 *	(DANE_H_*) with its count of usable TLSA records.  Pure; hosts whose
 *	answers are missing are DANE_H_PENDING.  Results of dane_query()
 *	carry it in res->mx (and the last good result's in res->stale_mx):
 *	borrowed from the cache, NULL when nothing was looked up, and valid
 *	only until the next call into this module; copy what you keep.  The
 *	engine's MX rules and tlsmap explain use it instead of asking DNS
 *	again.
 */
#ifndef TLSPOL_DANE_WALK_H
#define TLSPOL_DANE_WALK_H

#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "dns.h"
#include "domain.h"
#include "loop.h"

#define DANE_MIN_TTL	60
#define DANE_MAX_TTL	3600
#define DANE_TEMP_TTL	30
#define DANE_MAX_HOSTS	16		/* MX hosts examined, by preference */
#define DANE_MAX_NEED	(2 * DANE_MAX_HOSTS + 2)

enum dane_status {
	DANE_NOINFO,			/* DANE does not apply */
	DANE_DANE,
	DANE_DANE_ONLY,
	DANE_ERROR
};

enum dane_errclass {
	DANE_ERR_NONE,
	DANE_ERR_BOGUS,			/* may be a DNSSEC failure */
	DANE_ERR_TRANSIENT		/* timeout, network, resolver trouble */
};

enum dane_mx_kind {
	DANE_MX_UNKNOWN,		/* the MX lookup failed or is missing */
	DANE_MX_LIST,			/* hosts from an MX RRset */
	DANE_MX_IMPLICIT,		/* no MX records: the domain itself */
	DANE_MX_NULL,			/* RFC 7505 null MX */
	DANE_MX_NXDOMAIN,		/* the domain does not exist */
	DANE_MX_HOST			/* a [host] next-hop: no MX lookup */
};

enum dane_hstate {
	DANE_H_PENDING,			/* answers missing */
	DANE_H_NOADDR,			/* no address records: left out */
	DANE_H_ERROR,			/* lookup failed */
	DANE_H_NONE,			/* no DANE: insecure or no TLSA */
	DANE_H_UNUSABLE,		/* secure TLSA, none usable */
	DANE_H_USABLE			/* usable secure TLSA records */
};

struct dane_mxhost {
	int pref;
	char *name;			/* lower case, no final dot */
	enum dane_hstate state;
	int usable;			/* usable TLSA records */
};

struct dane_mx {
	enum dane_mx_kind kind;
	int secure;			/* MX answer validated */
	int truncated;			/* more than DANE_MAX_HOSTS hosts */
	size_t n;
	struct dane_mxhost *h;
};

struct dane_result {
	enum dane_status status;
	enum dane_errclass err;
	uint32_t ttl;
	char reason[200];
	/* For DANE_ERROR from dane_query() (dane.h): the last good result. */
	enum dane_status stale_status;
	char stale_reason[200];
	/* What the walk saw (see dane_mx_eval()); borrowed, may be NULL. */
	const struct dane_mx *mx;
	const struct dane_mx *stale_mx;
};

struct dane_target {
	char host[DNS_NAME_MAX];	/* lower case, no final dot */
	int port;
	int mx;				/* look up MX (not a [host]) */
};

struct dane_need {
	char name[DNS_NAME_MAX];
	int type;
};

struct dane_answers;

int dane_target(const struct key *k, struct dane_target *t, const char **why);
struct dane_answers *dane_answers_new(void);
void dane_answers_add(struct dane_answers *as, const char *qname, int qtype,
    const struct dns_result *r);
void dane_answers_free(struct dane_answers *as);
int dane_eval(const struct dane_target *t, const struct dane_answers *as,
    struct dane_result *res, struct dane_need *need, size_t maxneed,
    size_t *nneed);
int dane_tlsa_usable(const ldns_rr *rr);
const char *dane_status_name(enum dane_status st);
struct dane_mx *dane_mx_eval(const struct dane_target *t,
    const struct dane_answers *as);
void dane_mx_free(struct dane_mx *m);
const char *dane_hstate_name(enum dane_hstate st);
const char *dane_mx_kind_name(enum dane_mx_kind k);

#endif
