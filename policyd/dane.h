/* SPDX-License-Identifier: MIT */
/*
 * dane - DANE (RFC 7672) for the decision engine: the walk of
 * dane_walk.h run against DNS, with a result cache
 *
 * SYNOPSIS
 *	struct dane *dane_new(struct loop *l, const struct dns_port *d,
 *	    const struct dane_config *cf);
 *	struct dane_req *dane_query(struct dane *dn,
 *	    const struct dane_target *t, dane_cb cb, void *arg,
 *	    struct dane_result *res);
 *	void dane_cancel(struct dane *dn, struct dane_req *r);
 *	void dane_free(struct dane *dn);
 *	void dane_flush(struct dane *dn, const char *host);
 *	void dane_stats(const struct dane *dn, unsigned long *queries,
 *	    unsigned long *hits, size_t *cached);
 *
 * DESCRIPTION
 *	dane_query() runs dane_eval() against the DNS port given to
 *	dane_new() (dnsport.h; copied).  Results are cached per target for
 *	their ttl, on the port's clock.  It returns NULL when *res is complete at
 *	once (from the cache), else a handle, and cb(arg, res) follows
 *	exactly once from the loop, unless dane_cancel() is called first.
 *	The walk has an overall budget (query_timeout_ms); past it the
 *	result is a transient error.  On an error result, stale_status
 *	says what the last good result was (DANE_ERROR when there is none,
 *	or it expired more than stale_max seconds ago).
 *
 *
 *	dane_flush() forgets the cached results for a host (all with
 *	NULL); dane_stats() counts queries, cache hits and entries.
 */
#ifndef TLSPOL_DANE_H
#define TLSPOL_DANE_H

#include <stddef.h>

#include "dane_walk.h"
#include "dnsport.h"
#include "loop.h"

struct dane;
struct dane_req;

struct dane_config {
	long query_timeout_ms;
	long stale_max;			/* seconds */
	size_t cache_size;
	/* TLSRPT: a bogus (DNSSEC) lookup result for a domain, once per
	 * lookup (not per cached answer); NULL: not reported. */
	void (*report)(void *arg, const char *domain, const char *result_type,
	    const char *detail);
	void *report_arg;
};

typedef void (*dane_cb)(void *arg, const struct dane_result *res);

struct dane *dane_new(struct loop *l, const struct dns_port *d,
    const struct dane_config *cf);
struct dane_req *dane_query(struct dane *dn, const struct dane_target *t,
    dane_cb cb, void *arg, struct dane_result *res);
void dane_cancel(struct dane *dn, struct dane_req *r);
void dane_free(struct dane *dn);
void dane_flush(struct dane *dn, const char *host);
void dane_stats(const struct dane *dn, unsigned long *queries,
    unsigned long *hits, size_t *cached);

#endif
