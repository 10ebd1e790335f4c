/* SPDX-License-Identifier: MIT */
/*
 * dns - asynchronous stub resolver on the event loop, with a cache
 *
 * SYNOPSIS
 *	int dns_config_from(struct dns_config *dc, const struct config *cf,
 *	    const char *resolv_conf, char *err, size_t errlen);
 *	struct dns *dns_new(struct loop *l, const struct dns_config *cf);
 *	void dns_free(struct dns *d);
 *	struct dns_query *dns_lookup(struct dns *d, const char *name,
 *	    int type, dns_cb cb, void *arg);
 *	void dns_cancel(struct dns *d, struct dns_query *q);
 *	void dns_flush(struct dns *d, const char *name);
 *	void dns_port_of(struct dns *d, struct dns_port *p);
 *
 *	int dns_parse_server(const char *s, struct dns_server *out);
 *	int dns_parse_servers(const char *list, struct dns_server *out,
 *	    int max, char *err, size_t errlen);
 *	int dns_parse_resolv_conf(const char *text, size_t len,
 *	    struct dns_server *out, int max);
 *	int dns_reply_check(const uint8_t *buf, size_t len, uint16_t id,
 *	    const ldns_rdf *qname, int qtype, ldns_pkt **out,
 *	    char *err, size_t errlen);
 *	uint32_t dns_pkt_ttl(const ldns_pkt *pkt);
 *	int dns_pkt_ede(const ldns_pkt *pkt);
 *	size_t dns_query_wire(uint8_t *buf, size_t len, const ldns_rdf *qname,
 *	    int qtype, uint16_t id, int cd);
 *
 *	struct dns_cache *dns_cache_new(size_t max, uint32_t max_ttl);
 *	void dns_cache_put(struct dns_cache *c, const char *name, int type,
 *	    const ldns_pkt *pkt, uint64_t now_ms);
 *	const ldns_pkt *dns_cache_get(struct dns_cache *c, const char *name,
 *	    int type, uint64_t now_ms, uint32_t *ttl_left);
 *	void dns_cache_flush(struct dns_cache *c, const char *name);
 *	size_t dns_cache_count(const struct dns_cache *c);
 *	void dns_cache_free(struct dns_cache *c);
 *
 * DESCRIPTION
 *	ldns only builds and parses packets here; the transport is ours,
 *	so that a slow resolver never blocks the loop.  Each query goes
 *	out over its own connected UDP socket (kernel-chosen random source
 *	port; a connected socket only accepts datagrams from the server's
 *	address) with a random id, RD and DO set, EDNS0 size 4096, CD
 *	only for local validation (below).  A reply is accepted only when
 *	its id, QR bit, opcode and question (name, type, class IN) match;
 *	anything else is dropped
 *	and the query keeps waiting.  TC=1 repeats the query over TCP to
 *	the same server.  Each attempt waits timeout_ms; there are
 *	retries + 1 attempts, rotating over the servers; SERVFAIL and
 *	REFUSED also move on to the next server when there is more than
 *	one.
 *
 *	dns_lookup() takes a name with or without the trailing dot; it
 *	returns a handle valid until the callback has started or
 *	dns_cancel() was called.  The callback runs exactly once, always
 *	from the event loop (never from inside dns_lookup(), even for a
 *	cached answer), with a struct dns_result whose pkt is borrowed for
 *	the duration of the callback (NULL unless status is DNS_OK).
 *	Concurrent lookups of the same (name, type) share one query.  A
 *	callback may start or cancel other lookups, but not dns_free().
 *
 *	The cache keeps replies (NOERROR and NXDOMAIN) for dns_pkt_ttl(),
 *	at most max_ttl, SERVFAIL for DNS_ERR_TTL seconds, timeouts not at
 *	all; it holds at most max entries and evicts the least recently
 *	used.  Expiry uses cf->now when set (tests), else loop_now().
 *	dns_flush() drops every type cached for one name, or everything
 *	for NULL.  result.ttl is the remaining lifetime of what was used.
 *
 *	dns_pkt_ttl(): the minimum TTL of the answer section and, for a
 *	reply with an SOA in the authority section (negative answers,
 *	RFC 2308), of min(SOA TTL, SOA MINIMUM); 0 (do not cache) for an
 *	error rcode or a negative answer without SOA.
 *
 *	dns_pkt_ede(): the first Extended DNS Error info-code (RFC 8914)
 *	in the reply's OPT record, or -1.
 *
 *	dns_query_wire(): the query for qname/qtype as build_wire() sends
 *	it: id, RD, CD when cd, one question of class IN and an EDNS OPT
 *	record (payload 4096, DO); the same bytes ldns_pkt2wire() makes of
 *	such a packet.  The length, or 0 when buf is too small.
 *
 *	With cf->anchors set (dnssec_validation = local; dns_new() takes
 *	them over), queries also set CD, so that a validating resolver
 *	passes bogus data on instead of hiding it, and each answer goes
 *	through dnssec_validate() (dnssec.h) before the callback: secure
 *	is the local verdict, never the AD bit, and a bogus answer is
 *	delivered as SERVFAIL (Extended DNS Error 6, DNSSEC Bogus) with
 *	ttl DNS_ERR_TTL.  The DNSKEY and DS lookups of the validator use
 *	the same transport, coalescing and cache, without validation of
 *	their own.  The verdict is cached with the answer (a bogus one
 *	for DNS_ERR_TTL seconds).  Only the callback of a lookup that
 *	needs the validator runs later than it otherwise would.
 *
 *	dns_config_from() fills a dns_config from the dns_* parameters;
 *	with dns_resolvers empty, from the nameserver lines of
 *	resolv_conf.  It fails when no resolver is left, or, for
 *	dnssec_validation = local, when dnssec_trust_anchor_file cannot
 *	be read or holds no valid DS or DNSKEY record (the message names
 *	the file).
 *
 *	Parsers: dns_parse_server() reads "addr", "addr:port" (IPv4),
 *	"[addr]:port" or "[addr]" (IPv4 or IPv6); dns_parse_servers() a
 *	list separated by commas or white space; dns_parse_resolv_conf()
 *	the "nameserver" lines of resolv.conf(5), ignoring the rest and
 *	entries it cannot parse.  They return 0 / the count, or -1.
 */
#ifndef TLSPOL_DNS_H
#define TLSPOL_DNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include <ldns/ldns.h>

#include "dnsport.h"
#include "loop.h"

#define DNS_MAX_SERVERS	8
#define DNS_ERR_TTL	5		/* seconds a SERVFAIL is cached */

struct dns_server {
	struct sockaddr_storage ss;
	socklen_t len;
};

struct dns_config {
	struct dns_server servers[DNS_MAX_SERVERS];
	int nservers;
	long timeout_ms;		/* per attempt */
	int retries;			/* attempts = retries + 1 */
	size_t cache_size;		/* entries */
	uint32_t cache_max_ttl;		/* seconds */
	uint64_t (*now)(void *arg);	/* ms; NULL: loop_now() */
	void *now_arg;
	struct dnssec_anchors *anchors;	/* local validation; NULL: AD bit */
	time_t (*wallclock)(void *arg);	/* for RRSIG times; NULL: time() */
};

/* Counters since start, for status output. */
/*
 * Failed upstream lookups by class (dns_error_class_names[]): timeout,
 * network, malformed (DNS_FORMERR), servfail, refused, other (another
 * error rcode), bogus (failed local DNSSEC validation).  NXDOMAIN is an
 * answer, not an error.
 */
enum { DNS_EC_TIMEOUT, DNS_EC_NETWORK, DNS_EC_MALFORMED, DNS_EC_SERVFAIL,
	DNS_EC_REFUSED, DNS_EC_OTHER, DNS_EC_BOGUS, DNS_EC_CLASSES };

struct dns_stat {
	unsigned long lookups;		/* dns_lookup() calls */
	unsigned long cache_hits;	/* answered from the cache */
	size_t cached;			/* entries in the cache now */
	unsigned long errors[DNS_EC_CLASSES];
};

extern const char *const dns_error_class_names[DNS_EC_CLASSES];

struct dns;
struct dns_cache;

struct config;
struct dnssec_anchors;

int dns_config_from(struct dns_config *dc, const struct config *cf,
    const char *resolv_conf, char *err, size_t errlen);
struct dns *dns_new(struct loop *l, const struct dns_config *cf);
void dns_free(struct dns *d);
struct dns_query *dns_lookup(struct dns *d, const char *name, int type,
    dns_cb cb, void *arg);
void dns_cancel(struct dns *d, struct dns_query *q);
void dns_flush(struct dns *d, const char *name);
void dns_port_of(struct dns *d, struct dns_port *p);
const char *dns_status_name(enum dns_status st);
void dns_stats(const struct dns *d, struct dns_stat *st);

int dns_parse_server(const char *s, struct dns_server *out);
int dns_parse_servers(const char *list, struct dns_server *out, int max,
    char *err, size_t errlen);
int dns_parse_resolv_conf(const char *text, size_t len,
    struct dns_server *out, int max);
int dns_server_is_loopback(const struct dns_server *s);
void dns_server_str(const struct dns_server *s, char *buf, size_t len);
int dns_reply_check(const uint8_t *buf, size_t len, uint16_t id,
    const ldns_rdf *qname, int qtype, ldns_pkt **out, char *err,
    size_t errlen);
uint32_t dns_pkt_ttl(const ldns_pkt *pkt);
int dns_pkt_ede(const ldns_pkt *pkt);
size_t dns_query_wire(uint8_t *buf, size_t len, const ldns_rdf *qname,
    int qtype, uint16_t id, int cd);

struct dns_cache *dns_cache_new(size_t max, uint32_t max_ttl);
void dns_cache_put(struct dns_cache *c, const char *name, int type,
    const ldns_pkt *pkt, uint64_t now_ms);
const ldns_pkt *dns_cache_get(struct dns_cache *c, const char *name,
    int type, uint64_t now_ms, uint32_t *ttl_left);
void dns_cache_flush(struct dns_cache *c, const char *name);
size_t dns_cache_count(const struct dns_cache *c);
void dns_cache_free(struct dns_cache *c);

#endif
