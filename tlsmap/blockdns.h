/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	blockdns - one DNS query at a time, for tlsmap's commands
 *
 * SYNOPSIS
 *	#include "blockdns.h"
 *
 *	struct blockdns *blockdns_new(const struct config *cf,
 *	    char *err, size_t errlen);
 *	int blockdns_query(struct blockdns *b, const char *name, int type,
 *	    struct blockdns_result *r);
 *	const char *blockdns_servers(const struct blockdns *b);
 *	void blockdns_free(struct blockdns *b);
 *
 * DESCRIPTION
 *	The daemon's own resolver (libnet/dns.c: the dns_* parameters,
 *	else the nameserver lines of /etc/resolv.conf; RD and DO set,
 *	never CD, TCP after TC=1) driven to completion for one query at a
 *	time, so tlsmap sees DNS exactly as tlspolicyd does.  Nothing is
 *	cached between queries: every call asks the resolver.
 *
 *	blockdns_query() returns 0 and fills *r when the resolver
 *	replied (any rcode; r->pkt is the caller's to ldns_pkt_free()),
 *	or -1 with r->status saying why not (timeout, network error).
 *	blockdns_servers() is a printable list of the resolvers used.
 */
#ifndef TLSPOL_BLOCKDNS_H
#define TLSPOL_BLOCKDNS_H

#include <stddef.h>

#include <ldns/ldns.h>

#include "dns.h"
#include "probe.h"

struct config;
struct blockdns;

struct blockdns_result {
	enum dns_status status;
	int rcode;
	int secure;		/* AD bit */
	ldns_pkt *pkt;		/* owned by the caller; NULL on failure */
};

struct blockdns *blockdns_new(const struct config *cf, char *err,
    size_t errlen);
int blockdns_query(struct blockdns *b, const char *name, int type,
    struct blockdns_result *r);
const char *blockdns_servers(const struct blockdns *b);
void blockdns_free(struct blockdns *b);

/*
 * The TLSA records of l decoded for probe.c, at most max, in order; a
 * record without its four fields is skipped.  The data points into l.
 */
size_t blockdns_tlsa(const ldns_rr_list *l, struct probe_tlsa *out,
    size_t max);

#endif
