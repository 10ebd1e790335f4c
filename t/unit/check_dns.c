/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the pure parts of libnet/dns.c: resolver address and
 * resolv.conf parsing, the cache (with the clock passed in), TTLs, reply
 * validation and hostile packets, name text and query bytes (checked
 * against ldns, whose functions they replace).  No network.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dname.h"
#include "dns.h"

static const struct {
	const char *in;
	int ok;
	const char *str;	/* dns_server_str() */
} server_cases[] = {
	{ "127.0.0.1", 1, "127.0.0.1:53" },
	{ "127.0.0.1:5353", 1, "127.0.0.1:5353" },
	{ "[127.0.0.1]:5353", 1, "127.0.0.1:5353" },
	{ "::1", 1, "[::1]:53" },
	{ "[::1]", 1, "[::1]:53" },
	{ "[::1]:5300", 1, "[::1]:5300" },
	{ "2001:db8::53", 1, "[2001:db8::53]:53" },
	{ "127.0.0.1:0", 0, NULL },
	{ "127.0.0.1:65536", 0, NULL },
	{ "127.0.0.1:", 0, NULL },
	{ "[::1]x", 0, NULL },
	{ "[::1", 0, NULL },
	{ "localhost", 0, NULL },
	{ "", 0, NULL },
	{ "1.2.3", 0, NULL },
	{ "[]:53", 0, NULL },
};

START_TEST(test_server)
{
	struct dns_server s;
	char buf[80];
	int rc = dns_parse_server(server_cases[_i].in, &s);

	ck_assert_msg((rc == 0) == server_cases[_i].ok, "%s", server_cases[_i].in);
	if (rc == 0) {
		dns_server_str(&s, buf, sizeof(buf));
		ck_assert_str_eq(buf, server_cases[_i].str);
	}
}
END_TEST

START_TEST(test_servers_list)
{
	struct dns_server s[DNS_MAX_SERVERS];
	char err[100];

	ck_assert_int_eq(dns_parse_servers("127.0.0.1, [::1]:5353 127.0.0.2:54",
	    s, DNS_MAX_SERVERS, err, sizeof(err)), 3);
	ck_assert_int_eq(dns_parse_servers("", s, DNS_MAX_SERVERS, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(dns_parse_servers("127.0.0.1 bogus", s, DNS_MAX_SERVERS,
	    err, sizeof(err)), -1);
	ck_assert(strstr(err, "bogus") != NULL);
	ck_assert_int_eq(dns_parse_servers("1.1.1.1 1.1.1.2 1.1.1.3", s, 2, err,
	    sizeof(err)), -1);
	ck_assert(dns_server_is_loopback(&s[0]) == 0);
	dns_parse_server("127.3.2.1", &s[0]);
	ck_assert(dns_server_is_loopback(&s[0]));
	dns_parse_server("::1", &s[0]);
	ck_assert(dns_server_is_loopback(&s[0]));
	dns_parse_server("::2", &s[0]);
	ck_assert(!dns_server_is_loopback(&s[0]));
}
END_TEST

static const struct {
	const char *text;
	int n;
	const char *first;
} resolv_cases[] = {
	{ "nameserver 127.0.0.1\n", 1, "127.0.0.1:53" },
	{ "# comment\nsearch example.com\nnameserver ::1\nnameserver 10.0.0.1\n"
	  "options trust-ad edns0\n", 2, "[::1]:53" },
	{ "  nameserver\t127.0.0.53   # systemd\n", 1, "127.0.0.53:53" },
	{ "nameserver fe80::1%eth0\nnameserver 127.0.0.1", 1, "127.0.0.1:53" },
	{ "nameserver 127.0.0.1:53\n", 0, NULL },	/* no ports in resolv.conf */
	{ "nameserver\nnameserverx 127.0.0.1\nnameserver bogus\n", 0, NULL },
	{ "", 0, NULL },
	{ "nameserver 1.1.1.1\nnameserver 1.1.1.2\nnameserver 1.1.1.3\n"
	  "nameserver 1.1.1.4\nnameserver 1.1.1.5\nnameserver 1.1.1.6\n"
	  "nameserver 1.1.1.7\nnameserver 1.1.1.8\nnameserver 1.1.1.9\n",
	  DNS_MAX_SERVERS, "1.1.1.1:53" },
};

START_TEST(test_resolv_conf)
{
	struct dns_server s[DNS_MAX_SERVERS];
	char buf[80];
	int n = dns_parse_resolv_conf(resolv_cases[_i].text,
	    strlen(resolv_cases[_i].text), s, DNS_MAX_SERVERS);

	ck_assert_int_eq(n, resolv_cases[_i].n);
	if (n > 0) {
		dns_server_str(&s[0], buf, sizeof(buf));
		ck_assert_str_eq(buf, resolv_cases[_i].first);
	}
}
END_TEST

/* A reply to (name, type) with the given rcode, answer and authority. */
static ldns_pkt *
mkreply(const char *name, int type, int rcode, const char *an, const char *ns)
{
	ldns_pkt *pkt = NULL;
	ldns_rr *rr;

	ck_assert(ldns_pkt_query_new_frm_str(&pkt, name, type, LDNS_RR_CLASS_IN,
	    LDNS_RD) == LDNS_STATUS_OK);
	ldns_pkt_set_qr(pkt, 1);
	ldns_pkt_set_id(pkt, 4242);
	ldns_pkt_set_rcode(pkt, (uint8_t)rcode);
	if (an) {
		ck_assert(ldns_rr_new_frm_str(&rr, an, 0, NULL, NULL) == LDNS_STATUS_OK);
		ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr);
	}
	if (ns) {
		ck_assert(ldns_rr_new_frm_str(&rr, ns, 0, NULL, NULL) == LDNS_STATUS_OK);
		ldns_pkt_push_rr(pkt, LDNS_SECTION_AUTHORITY, rr);
	}
	return pkt;
}

#define SOA_RR(ttl, min) "example.com. " #ttl " IN SOA ns.example.com. " \
	"h.example.com. 1 3600 600 86400 " #min

START_TEST(test_pkt_ttl)
{
	ldns_pkt *p;

	p = mkreply("a.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR,
	    "a.example.com. 300 IN A 192.0.2.1", NULL);
	ck_assert_uint_eq(dns_pkt_ttl(p), 300);
	ldns_pkt_free(p);
	/* Negative: min(SOA TTL, SOA MINIMUM), RFC 2308. */
	p = mkreply("a.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL,
	    SOA_RR(900, 120));
	ck_assert_uint_eq(dns_pkt_ttl(p), 120);
	ldns_pkt_free(p);
	p = mkreply("a.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, NULL,
	    SOA_RR(60, 3600));
	ck_assert_uint_eq(dns_pkt_ttl(p), 60);
	ldns_pkt_free(p);
	/* Negative without SOA, errors: not cacheable. */
	p = mkreply("a.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, NULL);
	ck_assert_uint_eq(dns_pkt_ttl(p), 0);
	ldns_pkt_free(p);
	p = mkreply("a.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, NULL, NULL);
	ck_assert_uint_eq(dns_pkt_ttl(p), 0);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(test_cache_ttl)
{
	struct dns_cache *c = dns_cache_new(10, 3600);
	ldns_pkt *p = mkreply("a.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR,
	    "a.example.com. 300 IN A 192.0.2.1", NULL);
	uint32_t left = 0;
	uint64_t t0 = 1000000;

	dns_cache_put(c, "A.Example.COM", LDNS_RR_TYPE_A, p, t0);
	ck_assert_ptr_nonnull(dns_cache_get(c, "a.example.com.", LDNS_RR_TYPE_A,
	    t0, &left));
	ck_assert_uint_eq(left, 300);
	ck_assert_ptr_null(dns_cache_get(c, "a.example.com.", LDNS_RR_TYPE_AAAA,
	    t0, &left));
	ck_assert_ptr_nonnull(dns_cache_get(c, "a.example.com", LDNS_RR_TYPE_A,
	    t0 + 299999, &left));
	ck_assert_uint_eq(left, 1);
	ck_assert_ptr_null(dns_cache_get(c, "a.example.com", LDNS_RR_TYPE_A,
	    t0 + 300000, &left));
	ck_assert_uint_eq(dns_cache_count(c), 0);	/* dropped on expiry */
	ldns_pkt_free(p);

	/* Capped by max_ttl. */
	dns_cache_free(c);
	c = dns_cache_new(10, 60);
	p = mkreply("a.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR,
	    "a.example.com. 86400 IN A 192.0.2.1", NULL);
	dns_cache_put(c, "a.example.com", LDNS_RR_TYPE_A, p, t0);
	ck_assert_ptr_null(dns_cache_get(c, "a.example.com", LDNS_RR_TYPE_A,
	    t0 + 60000, &left));
	ldns_pkt_free(p);

	/* Negative answers for the SOA's negative TTL. */
	p = mkreply("b.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL,
	    SOA_RR(900, 30));
	dns_cache_put(c, "b.example.com", LDNS_RR_TYPE_A, p, t0);
	ck_assert_ptr_nonnull(dns_cache_get(c, "b.example.com", LDNS_RR_TYPE_A,
	    t0 + 29000, &left));
	ck_assert_ptr_null(dns_cache_get(c, "b.example.com", LDNS_RR_TYPE_A,
	    t0 + 30000, &left));
	ldns_pkt_free(p);

	/* SERVFAIL briefly; negative without SOA not at all. */
	p = mkreply("c.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, NULL, NULL);
	dns_cache_put(c, "c.example.com", LDNS_RR_TYPE_A, p, t0);
	ck_assert_ptr_nonnull(dns_cache_get(c, "c.example.com", LDNS_RR_TYPE_A,
	    t0 + (DNS_ERR_TTL * 1000 - 1), &left));
	ck_assert_ptr_null(dns_cache_get(c, "c.example.com", LDNS_RR_TYPE_A,
	    t0 + DNS_ERR_TTL * 1000, &left));
	ldns_pkt_free(p);
	p = mkreply("d.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, NULL, NULL);
	dns_cache_put(c, "d.example.com", LDNS_RR_TYPE_A, p, t0);
	ck_assert_ptr_null(dns_cache_get(c, "d.example.com", LDNS_RR_TYPE_A, t0,
	    &left));
	ldns_pkt_free(p);
	dns_cache_free(c);
}
END_TEST

START_TEST(test_cache_lru)
{
	struct dns_cache *c = dns_cache_new(2, 3600);
	ldns_pkt *p = mkreply("x.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR,
	    "x.example.com. 300 IN A 192.0.2.1", NULL);
	uint32_t left;

	dns_cache_put(c, "a.example", LDNS_RR_TYPE_A, p, 0);
	dns_cache_put(c, "b.example", LDNS_RR_TYPE_A, p, 0);
	ck_assert_ptr_nonnull(dns_cache_get(c, "a.example", LDNS_RR_TYPE_A, 1, &left));
	dns_cache_put(c, "c.example", LDNS_RR_TYPE_A, p, 0);	/* evicts b */
	ck_assert_uint_eq(dns_cache_count(c), 2);
	ck_assert_ptr_null(dns_cache_get(c, "b.example", LDNS_RR_TYPE_A, 1, &left));
	ck_assert_ptr_nonnull(dns_cache_get(c, "a.example", LDNS_RR_TYPE_A, 1, &left));
	ck_assert_ptr_nonnull(dns_cache_get(c, "c.example", LDNS_RR_TYPE_A, 1, &left));
	/* Replacing an entry does not evict another. */
	dns_cache_put(c, "c.example", LDNS_RR_TYPE_A, p, 0);
	ck_assert_uint_eq(dns_cache_count(c), 2);
	ck_assert_ptr_nonnull(dns_cache_get(c, "a.example", LDNS_RR_TYPE_A, 1, &left));

	/* Flush by name (all types), then everything. */
	dns_cache_put(c, "c.example", LDNS_RR_TYPE_AAAA, p, 0);
	dns_cache_flush(c, "C.example.");
	ck_assert_ptr_null(dns_cache_get(c, "c.example", LDNS_RR_TYPE_A, 1, &left));
	ck_assert_ptr_null(dns_cache_get(c, "c.example", LDNS_RR_TYPE_AAAA, 1, &left));
	dns_cache_put(c, "b.example", LDNS_RR_TYPE_A, p, 0);
	ck_assert_uint_eq(dns_cache_count(c), 2);
	dns_cache_flush(c, NULL);
	ck_assert_uint_eq(dns_cache_count(c), 0);
	ldns_pkt_free(p);
	dns_cache_free(c);
}
END_TEST

/* Wire form of a reply to "www.example.com. A", id 4242. */
static uint8_t *
reply_wire(size_t *len, void (*tweak)(ldns_pkt *))
{
	ldns_pkt *p = mkreply("www.example.com.", LDNS_RR_TYPE_A,
	    LDNS_RCODE_NOERROR, "www.example.com. 300 IN A 192.0.2.1", NULL);
	uint8_t *w = NULL;

	if (tweak)
		tweak(p);
	ck_assert(ldns_pkt2wire(&w, p, len) == LDNS_STATUS_OK);
	ldns_pkt_free(p);
	return w;
}

static void tw_id(ldns_pkt *p) { ldns_pkt_set_id(p, 4243); }
static void tw_qr(ldns_pkt *p) { ldns_pkt_set_qr(p, 0); }
static void tw_opcode(ldns_pkt *p) { ldns_pkt_set_opcode(p, LDNS_PACKET_NOTIFY); }
static void
tw_name(ldns_pkt *p)
{
	ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	ldns_rdf_deep_free(ldns_rr_owner(q));
	ldns_rr_set_owner(q, ldns_dname_new_frm_str("www.example.org."));
}
static void
tw_type(ldns_pkt *p)
{
	ldns_rr_set_type(ldns_rr_list_rr(ldns_pkt_question(p), 0), LDNS_RR_TYPE_AAAA);
}
static void
tw_class(ldns_pkt *p)
{
	ldns_rr_set_class(ldns_rr_list_rr(ldns_pkt_question(p), 0), LDNS_RR_CLASS_CH);
}
static void
tw_case(ldns_pkt *p)
{
	ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	ldns_rdf_deep_free(ldns_rr_owner(q));
	ldns_rr_set_owner(q, ldns_dname_new_frm_str("WWW.Example.COM."));
}

static const struct {
	const char *name;
	void (*tweak)(ldns_pkt *);
	int ok;
} check_cases[] = {
	{ "matching reply", NULL, 1 },
	{ "question in other case", tw_case, 1 },
	{ "wrong id", tw_id, 0 },
	{ "QR not set", tw_qr, 0 },
	{ "wrong opcode", tw_opcode, 0 },
	{ "wrong name", tw_name, 0 },
	{ "wrong type", tw_type, 0 },
	{ "wrong class", tw_class, 0 },
};

START_TEST(test_reply_check)
{
	size_t len;
	uint8_t *w = reply_wire(&len, check_cases[_i].tweak);
	ldns_rdf *qname = ldns_dname_new_frm_str("www.example.com.");
	ldns_pkt *out = (ldns_pkt *)1;
	char err[80];
	int rc = dns_reply_check(w, len, 4242, qname, LDNS_RR_TYPE_A, &out, err,
	    sizeof(err));

	ck_assert_msg((rc == 0) == check_cases[_i].ok, "%s", check_cases[_i].name);
	if (rc == 0) {
		ck_assert_ptr_nonnull(out);
		ldns_pkt_free(out);
	} else {
		ck_assert_ptr_null(out);
		ck_assert(err[0] != '\0');
	}
	ldns_rdf_deep_free(qname);
	free(w);
}
END_TEST

/* Every truncation of a valid reply is refused or parsed, never a crash. */
START_TEST(test_hostile_truncated)
{
	size_t len;
	uint8_t *w = reply_wire(&len, NULL);
	ldns_rdf *qname = ldns_dname_new_frm_str("www.example.com.");
	ldns_pkt *out;
	char err[80];

	for (size_t n = 0; n < len; n++) {
		ck_assert_int_eq(dns_reply_check(w, n, 4242, qname, LDNS_RR_TYPE_A,
		    &out, err, sizeof(err)), -1);
	}
	ldns_rdf_deep_free(qname);
	free(w);
}
END_TEST

START_TEST(test_hostile_crafted)
{
	/* Question name is a compression pointer to itself. */
	static const uint8_t loop1[] = {
		0x10, 0x92, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0,
		0xc0, 12, 0, 1, 0, 1 };
	/* Two pointers to each other. */
	static const uint8_t loop2[] = {
		0x10, 0x92, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
		3, 'w', 'w', 'w', 0xc0, 22, 0, 1, 0, 1,
		0xc0, 16, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1 };
	/* Huge counts, no records. */
	static const uint8_t counts[] = {
		0x10, 0x92, 0x81, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		3, 'w', 'w', 'w', 0, 0, 1, 0, 1 };
	/* RDLENGTH beyond the end. */
	static const uint8_t rdlen[] = {
		0x10, 0x92, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
		3, 'w', 'w', 'w', 0, 0, 1, 0, 1,
		0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0xff, 0xff, 192, 0 };
	static const struct { const uint8_t *b; size_t n; } pk[] = {
		{ loop1, sizeof(loop1) }, { loop2, sizeof(loop2) },
		{ counts, sizeof(counts) }, { rdlen, sizeof(rdlen) },
	};
	ldns_rdf *qname = ldns_dname_new_frm_str("www.");
	ldns_pkt *out;
	char err[80];

	for (size_t i = 0; i < sizeof(pk) / sizeof(pk[0]); i++)
		ck_assert_msg(dns_reply_check(pk[i].b, pk[i].n, 0x1092, qname,
		    LDNS_RR_TYPE_A, &out, err, sizeof(err)) == -1, "packet %zu", i);
	ldns_rdf_deep_free(qname);
}
END_TEST

/*
 * What the bytes of a reply to "www.example.com. A", id 4242, require
 * independently of ldns: id, QR, opcode, one question, and the question
 * itself (name bytes equal but for ASCII case, type A, class IN).
 */
static int
must_refuse(const uint8_t *m, const uint8_t *w, size_t len)
{
	static const size_t qend = 12 + 17 + 4;	/* 3www7example3com0 A IN */

	if (len < qend || m[0] != w[0] || m[1] != w[1] || !(m[2] & 0x80)
	    || (m[2] & 0x78) != 0 || m[4] != 0 || m[5] != 1)
		return 1;
	for (size_t i = 12; i < qend; i++) {
		uint8_t a = m[i], b = w[i];
		if (i < 12 + 17 && a >= 'A' && a <= 'Z')
			a = (uint8_t)(a - 'A' + 'a');
		if (a != b)
			return 1;
	}
	return 0;
}

/*
 * Random byte flips of a valid reply: never a crash, and every reply the
 * check accepts is one the bytes allow (must_refuse() above), with a
 * parsed packet that says the same; both outcomes occur.
 */
START_TEST(test_hostile_mutations)
{
	size_t len;
	uint8_t *w = reply_wire(&len, NULL), *m = malloc(len);
	ldns_rdf *qname = ldns_dname_new_frm_str("www.example.com.");
	ldns_pkt *out;
	char err[80];
	unsigned seed = 12345;
	int accepted = 0, refused = 0;

	ck_assert_int_eq(must_refuse(w, w, len), 0);
	for (int i = 0; i < 3000; i++) {
		int rc;
		memcpy(m, w, len);
		for (int j = 0; j < 3; j++) {
			seed = seed * 1103515245 + 12345;
			m[(seed >> 8) % len] = (uint8_t)(seed >> 16);
		}
		rc = dns_reply_check(m, len, 4242, qname, LDNS_RR_TYPE_A, &out,
		    err, sizeof(err));
		if (rc != 0) {
			ck_assert_int_eq(rc, -1);
			ck_assert_ptr_null(out);
			ck_assert(err[0] != '\0');
			refused++;
			continue;
		}
		ck_assert_msg(!must_refuse(m, w, len), "mutation %d accepted", i);
		ck_assert_uint_eq(ldns_pkt_id(out), 4242);
		ck_assert(ldns_pkt_qr(out));
		ck_assert_int_eq(ldns_pkt_get_opcode(out), LDNS_PACKET_QUERY);
		ck_assert_uint_eq(ldns_pkt_qdcount(out), 1);
		ck_assert_int_eq(ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(
		    ldns_pkt_question(out), 0)), qname), 0);
		(void)dns_pkt_ttl(out);
		(void)dns_pkt_ede(out);
		ldns_pkt_free(out);
		accepted++;
	}
	ck_assert_int_gt(accepted, 0);
	ck_assert_int_gt(refused, 0);
	ldns_rdf_deep_free(qname);
	free(m);
	free(w);
}
END_TEST

START_TEST(test_ede)
{
	ldns_pkt *p = mkreply("a.example.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL,
	    NULL, NULL);
	/* A padding option, then EDE 22 with text. */
	static const uint8_t opt[] = { 0, 12, 0, 2, 0, 0, 0, 15, 0, 4, 0, 22, 'x', 'y' };
	static const uint8_t bad[] = { 0, 15, 0, 9, 0, 6 };	/* length overrun */
	uint8_t *w = NULL;
	size_t len;
	ldns_pkt *back = NULL;

	ck_assert_int_eq(dns_pkt_ede(p), -1);
	ldns_pkt_set_edns_udp_size(p, 4096);
	ldns_pkt_set_edns_data(p, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN,
	    sizeof(opt), opt));
	ck_assert_int_eq(dns_pkt_ede(p), 22);
	/* And the same after a trip through wire format. */
	ck_assert(ldns_pkt2wire(&w, p, &len) == LDNS_STATUS_OK);
	ck_assert(ldns_wire2pkt(&back, w, len) == LDNS_STATUS_OK);
	ck_assert_int_eq(dns_pkt_ede(back), 22);
	ldns_pkt_free(back);
	free(w);
	ldns_rdf_deep_free(ldns_pkt_edns_data(p));	/* the setter does not */
	ldns_pkt_set_edns_data(p, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN,
	    sizeof(bad), bad));
	ck_assert_int_eq(dns_pkt_ede(p), -1);
	ldns_pkt_free(p);
}
END_TEST

/*
 * dname_text() against ldns_rdf2str(), the function it replaced, on
 * names with every byte value and label length: the same string.
 */
static uint32_t rng = 2463534242U;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng % n;
}

static void
name_same_as_ldns(const uint8_t *wire, size_t len)
{
	ldns_rdf *rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, len, wire);
	char *want, got[1100];
	int n;

	ck_assert_ptr_nonnull(rdf);
	want = ldns_rdf2str(rdf);
	ck_assert_ptr_nonnull(want);
	n = dname_text(rdf, got, sizeof(got));
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(n, (int)strlen(want));
	free(want);
	ldns_rdf_deep_free(rdf);
}

START_TEST(test_name_text_as_ldns)
{
	static const char *const fixed[] = {
		".", "example.com.", "EXAMPLE.Com.", "a.b.c.d.e.f.",
		"_25._tcp.mx.example.", "*.example.", "x-y.z_w.",
		"\\.dot\\;semi\\(p\\)\\\\.example.", "\\000\\032\\127\\255.x.",
		"\\\"q\\\".ex.", "a\\@b.", "\\$\\~.",
	};
	uint8_t wire[256];

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		ldns_rdf *r = ldns_dname_new_frm_str(fixed[i]);

		ck_assert_msg(r != NULL, "%s", fixed[i]);
		name_same_as_ldns(ldns_rdf_data(r), ldns_rdf_size(r));
		ldns_rdf_deep_free(r);
	}
	/* Every byte value in a label, one at a time. */
	for (unsigned c = 0; c < 256; c++) {
		const uint8_t w[] = { 3, 'a', (uint8_t)c, 'b', 1, 'x', 0 };

		name_same_as_ldns(w, sizeof(w));
	}
	/* Random names up to 255 bytes, labels of 1 to 63 bytes. */
	for (int t = 0; t < 3000; t++) {
		size_t off = 0;

		while (off < 200 && rnd(8) != 0) {
			size_t lab = 1 + rnd(rnd(2) ? 63 : 6);

			if (off + 1 + lab + 1 > 255)
				break;
			wire[off++] = (uint8_t)lab;
			for (size_t k = 0; k < lab; k++)
				wire[off++] = (uint8_t)(rnd(3) ? 'a' + rnd(26)
				    : rnd(256));
		}
		wire[off++] = 0;
		name_same_as_ldns(wire, off);
	}
}
END_TEST

START_TEST(test_name_text_bad)
{
	static const uint8_t overrun[] = { 5, 'a', 'b', 0 };
	static const uint8_t trailing[] = { 1, 'a', 0, 1 };
	static const uint8_t noroot[] = { 1, 'a' };
	const uint8_t ok[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0 };
	const uint8_t esc[] = { 2, 0, 0, 0 };
	const struct { const uint8_t *w; size_t n; } bad[] = {
		{ overrun, sizeof(overrun) }, { trailing, sizeof(trailing) },
		{ noroot, sizeof(noroot) },
	};
	char out[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ldns_rdf *r = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME,
		    bad[i].n, bad[i].w);

		ck_assert_int_eq(dname_text(r, out, sizeof(out)), -1);
		ck_assert_str_eq(out, "?");
		ldns_rdf_deep_free(r);
	}
	/* "example." needs 9 bytes with its NUL, "\000\000." 10. */
	{
		ldns_rdf *r = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME,
		    sizeof(ok), ok);
		ldns_rdf *e = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME,
		    sizeof(esc), esc);

		ck_assert_int_eq(dname_text(r, out, 9), 8);
		ck_assert_int_eq(dname_text(r, out, 8), -1);
		ck_assert_int_eq(dname_text(e, out, 10), 9);
		ck_assert_str_eq(out, "\\000\\000.");
		ck_assert_int_eq(dname_text(e, out, 9), -1);
		ldns_rdf_deep_free(r);
		ldns_rdf_deep_free(e);
	}
}
END_TEST

/* The query bytes ldns made before dns_query_wire() replaced it. */
static size_t
ldns_query(const char *name, int type, uint16_t id, int cd, uint8_t **out)
{
	ldns_pkt *pkt = NULL;
	size_t len = 0;

	ck_assert_int_eq(ldns_pkt_query_new_frm_str(&pkt, name, type,
	    LDNS_RR_CLASS_IN, LDNS_RD), LDNS_STATUS_OK);
	ldns_pkt_set_id(pkt, id);
	ldns_pkt_set_cd(pkt, cd);
	ldns_pkt_set_edns_udp_size(pkt, 4096);
	ldns_pkt_set_edns_do(pkt, 1);
	ck_assert_int_eq(ldns_pkt2wire(out, pkt, &len), LDNS_STATUS_OK);
	ldns_pkt_free(pkt);
	return len;
}

START_TEST(test_query_wire_as_ldns)
{
	static const char *const names[] = {
		"example.com.", "_mta-sts.example.com.", "_25._tcp.mx.a.b.c.",
		".", "xn--bcher-kva.example.",
	};
	static const int types[] = { LDNS_RR_TYPE_MX, LDNS_RR_TYPE_TXT,
	    LDNS_RR_TYPE_TLSA, LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA,
	    LDNS_RR_TYPE_DS, LDNS_RR_TYPE_DNSKEY, 65280 };
	uint8_t buf[512];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++)
			for (int cd = 0; cd <= 1; cd++) {
				ldns_rdf *q = ldns_dname_new_frm_str(names[i]);
				uint16_t id = (uint16_t)(0x1234 + i * 77 + t);
				uint8_t *want = NULL;
				size_t wl = ldns_query(names[i], types[t], id,
				    cd, &want);
				size_t n = dns_query_wire(buf, sizeof(buf), q,
				    types[t], id, cd);

				ck_assert_uint_eq(n, wl);
				ck_assert_msg(memcmp(buf, want, n) == 0,
				    "%s type %d cd %d", names[i], types[t], cd);
				/* One byte short: refused, not truncated. */
				ck_assert_uint_eq(dns_query_wire(buf, n - 1, q,
				    types[t], id, cd), 0);
				free(want);
				ldns_rdf_deep_free(q);
			}
}
END_TEST

static Suite *
dns_suite(void)
{
	Suite *s = suite_create("dns");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_server, 0,
	    sizeof(server_cases) / sizeof(server_cases[0]));
	tcase_add_test(tc, test_servers_list);
	tcase_add_loop_test(tc, test_resolv_conf, 0,
	    sizeof(resolv_cases) / sizeof(resolv_cases[0]));
	tcase_add_test(tc, test_pkt_ttl);
	tcase_add_test(tc, test_cache_ttl);
	tcase_add_test(tc, test_cache_lru);
	tcase_add_loop_test(tc, test_reply_check, 0,
	    sizeof(check_cases) / sizeof(check_cases[0]));
	tcase_add_test(tc, test_hostile_truncated);
	tcase_add_test(tc, test_hostile_crafted);
	tcase_add_test(tc, test_hostile_mutations);
	tcase_add_test(tc, test_ede);
	tcase_add_test(tc, test_name_text_as_ldns);
	tcase_add_test(tc, test_name_text_bad);
	tcase_add_test(tc, test_query_wire_as_ldns);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(dns_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
