/* SPDX-License-Identifier: MIT */
/*
 * fakes - the ports of the engine and MTA-STS, for unit tests
 *
 * SYNOPSIS
 *	struct fake_dns *fake_dns_new(struct loop *l);
 *	void fake_dns_set(struct fake_dns *f, const char *name, int type,
 *	    enum dns_status st, int rcode, int secure, uint32_t ttl,
 *	    const char *rrs);
 *	unsigned fake_dns_asked(const struct fake_dns *f, const char *name,
 *	    int type);
 *	void fake_dns_port(struct fake_dns *f, struct dns_port *p);
 *	void fake_dns_free(struct fake_dns *f);
 *
 *	struct fake_fetch *fake_fetch_new(struct loop *l);
 *	void fake_fetch_script(struct fake_fetch *f, const char *domain,
 *	    const char *policy, const char *error);
 *	unsigned fake_fetch_requests(const struct fake_fetch *f);
 *	void fake_fetch_reply(struct fake_fetch *f);
 *	void fake_fetch_port(struct fake_fetch *f, struct fetch_port *p);
 *	void fake_fetch_free(struct fake_fetch *f);
 *
 *	int run_until(struct loop *l, int (*pred)(void *), void *arg,
 *	    long max_ms);
 *
 * DESCRIPTION
 *	fake_dns is a scripted resolver: fake_dns_set() says what a lookup
 *	of (name, type) gets: a status, an rcode, the AD bit, a TTL and
 *	the answer section as RR text, one record per line (NULL: none).
 *	Names are absolute, lower case, with the final dot.  An unscripted
 *	(name, type) gets an insecure NXDOMAIN.  Replies come from the
 *	event loop, as the real resolver's do; its clock (now, ms) is
 *	fake_dns_clock_ms, which tests move by hand.
 *
 *	fake_fetch is a fetcher: a request for a scripted domain is
 *	answered on the next turn of the loop with the policy (the RFC 8461
 *	text, validated and sent as the fetcher sends it) or, when policy
 *	is NULL, with the error; both NULL removes the script.  Requests for other domains wait for
 *	fake_fetch_reply(), which answers the oldest waiting one from the
 *	script as it is then.
 *
 *	run_until() runs the loop until pred(arg) holds (checked every
 *	millisecond) or max_ms have passed; it returns pred's last value.
 */
#ifndef TLSPOL_FAKES_H
#define TLSPOL_FAKES_H

#include <stdint.h>

#include "dnsport.h"
#include "fetchport.h"
#include "loop.h"

extern uint64_t fake_dns_clock_ms;

struct fake_dns;
struct fake_fetch;

struct fake_dns *fake_dns_new(struct loop *l);
void fake_dns_set(struct fake_dns *f, const char *name, int type,
    enum dns_status st, int rcode, int secure, uint32_t ttl, const char *rrs);
unsigned fake_dns_asked(const struct fake_dns *f, const char *name, int type);
void fake_dns_port(struct fake_dns *f, struct dns_port *p);
void fake_dns_free(struct fake_dns *f);

struct fake_fetch *fake_fetch_new(struct loop *l);
void fake_fetch_script(struct fake_fetch *f, const char *domain,
    const char *policy, const char *error);
unsigned fake_fetch_requests(const struct fake_fetch *f);
unsigned fake_fetch_waiting(const struct fake_fetch *f);
void fake_fetch_reply(struct fake_fetch *f);
void fake_fetch_port(struct fake_fetch *f, struct fetch_port *p);
void fake_fetch_free(struct fake_fetch *f);

int run_until(struct loop *l, int (*pred)(void *), void *arg, long max_ms);

#endif
