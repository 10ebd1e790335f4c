/* SPDX-License-Identifier: MIT */
/*
 * dnsport - the DNS port: what DANE and MTA-STS need from a resolver
 *
 * SYNOPSIS
 *	struct dns_query *dns_port_lookup(const struct dns_port *p,
 *	    const char *name, int type, dns_cb cb, void *arg);
 *	void dns_port_cancel(const struct dns_port *p, struct dns_query *q);
 *	void dns_port_flush(const struct dns_port *p, const char *name);
 *	uint64_t dns_port_now(const struct dns_port *p);
 *
 * DESCRIPTION
 *	A struct dns_port is a resolver as the DNS users see it, the shape
 *	struct dnssec_io has for the validator: lookup (a handle, or NULL
 *	when the query could not start; the callback then never runs),
 *	cancel, flush (optional: NULL does nothing) and now, the monotonic
 *	time in milliseconds that cache lifetimes are measured in.  The
 *	real resolver fills one with dns_port_of() (dns.h); unit tests fill
 *	one with scripted answers.  The callback contract is dns_lookup()'s:
 *	exactly once, from the event loop, never from inside lookup, with a
 *	struct dns_result whose packet is borrowed for the callback.
 *
 *	A port whose lookup is NULL is "no resolver".
 */
#ifndef TLSPOL_DNSPORT_H
#define TLSPOL_DNSPORT_H

#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#define DNS_NAME_MAX	256		/* presentation form with the dot */

enum dns_status {
	DNS_OK,			/* a reply; see rcode */
	DNS_TIMEOUT,		/* no acceptable reply in time */
	DNS_NETERR,		/* socket or connection failure */
	DNS_FORMERR		/* unparsable or mismatched reply over TCP */
};

struct dns_result {
	enum dns_status status;
	int rcode;			/* LDNS_RCODE_* when DNS_OK */
	int secure;			/* AD bit */
	uint32_t ttl;			/* seconds the data may be kept */
	const ldns_pkt *pkt;		/* borrowed; NULL unless DNS_OK */
};

typedef void (*dns_cb)(void *arg, const struct dns_result *r);

struct dns_query;

struct dns_port {
	struct dns_query *(*lookup)(void *impl, const char *name, int type,
	    dns_cb cb, void *arg);
	void (*cancel)(void *impl, struct dns_query *q);
	void (*flush)(void *impl, const char *name);
	uint64_t (*now)(void *impl);
	void *impl;
};

static inline struct dns_query *
dns_port_lookup(const struct dns_port *p, const char *name, int type,
    dns_cb cb, void *arg)
{
	return p->lookup(p->impl, name, type, cb, arg);
}

static inline void
dns_port_cancel(const struct dns_port *p, struct dns_query *q)
{
	p->cancel(p->impl, q);
}

static inline void
dns_port_flush(const struct dns_port *p, const char *name)
{
	if (p->flush != NULL)
		p->flush(p->impl, name);
}

static inline uint64_t
dns_port_now(const struct dns_port *p)
{
	return p->now(p->impl);
}

#endif
