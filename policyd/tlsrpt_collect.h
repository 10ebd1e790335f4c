/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	tlsrpt_collect - TLSRPT collector: Postfix's datagrams and the
 *	daemon's own policy failures, aggregated per UTC day and stored
 *
 * SYNOPSIS
 *	#include "tlsrpt_collect.h"
 *
 *	struct tlsrpt_collect *tlsrpt_collect_new(struct loop *l, int fd,
 *	    const struct tlsrpt_collect_config *cf);
 *	int  tlsrpt_collect_datagram(struct tlsrpt_collect *c,
 *	    const void *buf, size_t len);
 *	int  tlsrpt_collect_event(struct tlsrpt_collect *c,
 *	    const char *domain, const char *result_type, const char *detail);
 *	void tlsrpt_collect_flush(struct tlsrpt_collect *c);
 *	void tlsrpt_collect_stats(const struct tlsrpt_collect *c,
 *	    struct tlsrpt_collect_stat *st);
 *	struct tlsrpt_agg *tlsrpt_collect_agg(struct tlsrpt_collect *c);
 *	void tlsrpt_collect_free(struct tlsrpt_collect *c);
 *
 * DESCRIPTION
 *	tlsrpt_collect_new() watches fd, a non-blocking AF_UNIX SOCK_DGRAM
 *	socket (tlsrpt_listen, bound as root), on the event loop; fd < 0
 *	watches nothing (unit tests feed tlsrpt_collect_datagram()).  The
 *	collector owns fd.  It first loads from cf->store the records of
 *	today and yesterday (UTC, by cf->now), one walk of the "rpt/"
 *	records (tlsrpt_agg STORE LAYOUT).
 *
 *	When fd is readable, at most TLSRPT_COLLECT_BATCH datagrams are
 *	read per loop turn (recv with MSG_TRUNC into a TLSRPT_DGRAM_MAX + 1
 *	buffer), so the socketmap answer path never waits on a burst; the
 *	rest waits in the socket for the next turn.  Each one goes to
 *	tlsrpt_collect_datagram(): a datagram longer than TLSRPT_DGRAM_MAX
 *	is dropped (truncated), tlsrpt_dgram_decode() refusals are dropped
 *	(malformed, version), domains excluded by tlsrpt_conf_excluded()
 *	are not kept (excluded), the rest is added with tlsrpt_agg_add() at
 *	cf->now (accepted; capped or dropped by the aggregation caps).  Each
 *	refusal is logged, at most one line a TLSRPT_COLLECT_LOG_MS with
 *	the number held back.  It returns the TLSRPT_COL_* outcome.
 *
 *	tlsrpt_collect_event() records one of the daemon's own failures,
 *	which Postfix cannot see (the rule is tlspolicyd(8) TLSRPT): a
 *	session of policy-type sts (result types 301 to 303) or tlsa
 *	(tlsa-invalid, dnssec-invalid, dane-required) for policy-domain
 *	domain, failed, with
 *	one failure detail of result_type (an RFC 8460 name:
 *	sts-policy-fetch-error, sts-policy-invalid, sts-webpki-invalid,
 *	dnssec-invalid, ...) whose failure-reason-code is detail (cut to
 *	TLSRPT_COLLECT_REASON_MAX bytes, made UTF-8).  Such sessions carry
 *	an empty TLSRPT record ("pr"): the daemon does not look up
 *	_smtp._tls itself.  A result type without an RFC 8460 code is not
 *	recorded (TLSRPT_COL_MALFORMED).
 *
 *	Persistence: records changed since the last write are written to
 *	the store in one durable write (store_rec_putv()) TLSRPT_FLUSH_MS
 *	after the first change, or at once when TLSRPT_FLUSH_MAX changes
 *	are waiting, and by tlsrpt_collect_flush() and tlsrpt_collect_free():
 *	a crash loses at most that batch.  A failed write keeps the records
 *	dirty for the next one (logged with a rate limit).  After a write,
 *	days before yesterday are forgotten from memory; they stay in the
 *	store for the reporter and tlsmap report.
 *
 *	tlsrpt_collect_agg() gives the working set (for the reporter).
 *	tlsrpt_collect_stats() copies the counters (metrics, status).
 */
#ifndef TLSPOL_TLSRPT_COLLECT_H
#define TLSPOL_TLSRPT_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "store.h"
#include "tlsrpt_agg.h"
#include "tlsrpt_conf.h"

#define TLSRPT_COLLECT_BATCH	64	/* datagrams a loop turn */
#define TLSRPT_COLLECT_LOG_MS	60000	/* a refusal line a minute */
#define TLSRPT_COLLECT_REASON_MAX 255
#define TLSRPT_FLUSH_MS		5000
#define TLSRPT_FLUSH_MAX	1000

enum {
	TLSRPT_COL_OK = 0,		/* accepted */
	TLSRPT_COL_CAPPED,		/* accepted, a cap cut a detail */
	TLSRPT_COL_DROPPED,		/* the day's domain cap */
	TLSRPT_COL_EXCLUDED,
	TLSRPT_COL_MALFORMED,
	TLSRPT_COL_VERSION,
	TLSRPT_COL_TRUNCATED,
	TLSRPT_COL_NRESULTS
};

struct tlsrpt_collect_config {
	const struct tlsrpt_conf *conf;	/* borrowed; outlives the collector */
	struct store *store;		/* NULL: memory only */
	int64_t (*now)(void *arg);	/* wall clock, unix seconds */
	void *now_arg;
};

struct tlsrpt_collect_stat {
	unsigned long datagrams[TLSRPT_COL_NRESULTS];	/* by outcome */
	unsigned long events;		/* the daemon's own, recorded */
	unsigned long recv_errors;
	unsigned long writes, write_failures;
	unsigned long loaded;		/* records loaded at start */
};

struct tlsrpt_collect;

struct tlsrpt_collect *tlsrpt_collect_new(struct loop *l, int fd,
    const struct tlsrpt_collect_config *cf);
int tlsrpt_collect_datagram(struct tlsrpt_collect *c, const void *buf,
    size_t len);
int tlsrpt_collect_event(struct tlsrpt_collect *c, const char *domain,
    const char *result_type, const char *detail);
void tlsrpt_collect_flush(struct tlsrpt_collect *c);
void tlsrpt_collect_stats(const struct tlsrpt_collect *c,
    struct tlsrpt_collect_stat *st);
struct tlsrpt_agg *tlsrpt_collect_agg(struct tlsrpt_collect *c);
const char *tlsrpt_collect_result_name(int result);
void tlsrpt_collect_free(struct tlsrpt_collect *c);

#endif
