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
 */
#ifndef TLSPOL_STS_INT_H
#define TLSPOL_STS_INT_H

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
};

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

#endif
