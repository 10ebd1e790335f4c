/* SPDX-License-Identifier: MIT */
/*
 * seedgen - write the DNS seed corpora of the fuzz harnesses
 *
 * SYNOPSIS
 *	seedgen CORPUS_DIR		(make -C fuzz fuzz-seeds)
 *
 * DESCRIPTION
 *	Writes wire-format DNS messages into CORPUS_DIR/dns (one message a
 *	file), and message sequences into CORPUS_DIR/dane and
 *	CORPUS_DIR/dnssec (each message preceded by its length in two
 *	bytes, as over TCP).  The dnssec seeds are signed with the fixed
 *	test keys below at the harness's clock (fuzz_dnssec.c: FUZZ_NOW);
 *	the DS of test.'s key is the harness's trust anchor.  These keys
 *	sign nothing but fuzzing seeds.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ldns/ldns.h>

#define FUZZ_NOW	((time_t)1700000000)

static const char key_test[] =
    "Private-key-format: v1.2\n"
    "Algorithm: 13 (ECDSAP256SHA256)\n"
    "PrivateKey: yJy577ICFuw6IDV6rtuMl4TrAO4619qMRMq4nvATOHg=\n";
static const char key_ok[] =
    "Private-key-format: v1.2\n"
    "Algorithm: 13 (ECDSAP256SHA256)\n"
    "PrivateKey: wpEngFCo01cyuWHiCopn5/ue8E7lu4KXT1wyi4W1AjE=\n";

static const char *outdir;

static void
die(const char *what)
{
	fprintf(stderr, "seedgen: %s\n", what);
	exit(1);
}

static ldns_rr *
rr(const char *s)
{
	ldns_rr *r = NULL;

	if (ldns_rr_new_frm_str(&r, s, 300, NULL, NULL) != LDNS_STATUS_OK)
		die(s);
	return r;
}

/* A reply to (qname, qtype) with rcode and the AD bit as given. */
static ldns_pkt *
reply(const char *qname, ldns_rr_type qtype, ldns_pkt_rcode rcode, int ad)
{
	ldns_pkt *p = ldns_pkt_query_new(ldns_dname_new_frm_str(qname), qtype,
	    LDNS_RR_CLASS_IN, LDNS_RD);

	ldns_pkt_set_id(p, 4242);
	ldns_pkt_set_qr(p, 1);
	ldns_pkt_set_ra(p, 1);
	ldns_pkt_set_ad(p, ad);
	ldns_pkt_set_rcode(p, rcode);
	return p;
}

static void
add(ldns_pkt *p, ldns_pkt_section s, const char *text)
{
	ldns_pkt_push_rr(p, s, rr(text));
}

/* Append p's wire form to buf (with a length prefix when framed). */
static void
put(ldns_buffer *buf, ldns_pkt *p, int framed)
{
	uint8_t *wire;
	size_t len;

	if (ldns_pkt2wire(&wire, p, &len) != LDNS_STATUS_OK)
		die("pkt2wire");
	if (framed) {
		ldns_buffer_write_u8(buf, (uint8_t)(len >> 8));
		ldns_buffer_write_u8(buf, (uint8_t)len);
	}
	ldns_buffer_write(buf, wire, len);
	free(wire);
	ldns_pkt_free(p);
}

static void
save(const char *sub, const char *name, ldns_buffer *buf)
{
	char path[4096];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", outdir, sub);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die(path);
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, sub, name);
	fp = fopen(path, "wb");
	if (fp == NULL || fwrite(ldns_buffer_begin(buf), 1,
	    ldns_buffer_position(buf), fp) != ldns_buffer_position(buf)
	    || fclose(fp) != 0)
		die(path);
	ldns_buffer_clear(buf);
}

#define SOA	"example.com. 600 IN SOA ns.example.com. h.example.com. " \
		"1 7200 3600 1209600 60"
#define HASH	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Single DNS replies: file, question, rcode, AD, records by section. */
static const struct {
	const char *file, *qname;
	ldns_rr_type qtype;
	ldns_pkt_rcode rcode;
	int ad;
	const char *answer[3], *authority;
} replies[] = {
	{ "a", "mx1.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, 1,
	  { "mx1.example.com. 300 IN A 192.0.2.1" }, NULL },
	{ "mx", "example.com.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, 1,
	  { "example.com. 300 IN MX 10 mx1.example.com.",
	    "example.com. 200 IN MX 20 mx2.example.com." }, NULL },
	{ "tlsa", "_25._tcp.mx1.example.com.", LDNS_RR_TYPE_TLSA,
	  LDNS_RCODE_NOERROR, 1,
	  { "_25._tcp.mx1.example.com. 300 IN TLSA 3 1 1 " HASH,
	    "_25._tcp.mx1.example.com. 300 IN TLSA 0 0 1 " HASH }, NULL },
	{ "nxdomain", "nope.example.com.", LDNS_RR_TYPE_MX, LDNS_RCODE_NXDOMAIN,
	  0, { NULL }, SOA },
	{ "cname", "alias.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, 0,
	  { "alias.example.com. 300 IN CNAME mx1.example.com.",
	    "mx1.example.com. 300 IN A 192.0.2.1" }, NULL },
};

static void
dns_seeds(ldns_buffer *b)
{
	ldns_pkt *p;

	for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
		p = reply(replies[i].qname, replies[i].qtype, replies[i].rcode,
		    replies[i].ad);
		for (size_t j = 0; j < 3 && replies[i].answer[j] != NULL; j++)
			add(p, LDNS_SECTION_ANSWER, replies[i].answer[j]);
		if (replies[i].authority != NULL)
			add(p, LDNS_SECTION_AUTHORITY, replies[i].authority);
		put(b, p, 0);
		save("dns", replies[i].file, b);
	}
	p = reply("example.com.", LDNS_RR_TYPE_MX, LDNS_RCODE_SERVFAIL, 0);
	ldns_pkt_set_edns_udp_size(p, 1232);
	ldns_pkt_set_edns_data(p, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN,
	    6, "\x00\x0f\x00\x02\x00\x06"));	/* EDE 6: DNSSEC Bogus */
	put(b, p, 0);
	save("dns", "servfail-ede", b);
	p = reply("example.com.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, 0);
	ldns_pkt_set_tc(p, 1);
	put(b, p, 0);
	save("dns", "truncated", b);
}

/*
 * DANE walks for example.com: MX, A and AAAA of the host, TLSA; for
 * mx_secure -1 the walk for the next-hop [mx1.example.com]:25, no MX.
 */
static void
dane_walk(ldns_buffer *b, int mx_secure, int tlsa)
{
	ldns_pkt *p;

	/* fuzz_dane.c's first byte: 0 example.com, 1 the next-hop. */
	ldns_buffer_write_u8(b, mx_secure < 0);
	if (mx_secure >= 0) {
		p = reply("example.com.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR,
		    mx_secure);
		add(p, LDNS_SECTION_ANSWER, "example.com. 300 IN MX 10 mx1.example.com.");
		put(b, p, 1);
	}
	p = reply("mx1.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, 1);
	add(p, LDNS_SECTION_ANSWER, "mx1.example.com. 300 IN A 192.0.2.1");
	put(b, p, 1);
	p = reply("mx1.example.com.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NOERROR, 1);
	add(p, LDNS_SECTION_AUTHORITY, SOA);
	put(b, p, 1);
	p = reply("_25._tcp.mx1.example.com.", LDNS_RR_TYPE_TLSA,
	    tlsa ? LDNS_RCODE_NOERROR : LDNS_RCODE_NXDOMAIN, 1);
	if (tlsa)
		add(p, LDNS_SECTION_ANSWER,
		    "_25._tcp.mx1.example.com. 300 IN TLSA 3 1 1 " HASH);
	put(b, p, 1);
}

static void
dane_seeds(ldns_buffer *b)
{
	ldns_pkt *p;

	dane_walk(b, 1, 1);
	save("dane", "dane-only", b);
	dane_walk(b, 0, 1);
	save("dane", "insecure-mx", b);
	dane_walk(b, 1, 0);
	save("dane", "no-tlsa", b);
	ldns_buffer_write_u8(b, 0);
	p = reply("example.com.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR, 1);
	add(p, LDNS_SECTION_ANSWER, "example.com. 300 IN MX 0 .");
	put(b, p, 1);
	save("dane", "null-mx", b);
	ldns_buffer_write_u8(b, 0);
	p = reply("example.com.", LDNS_RR_TYPE_MX, LDNS_RCODE_SERVFAIL, 0);
	put(b, p, 1);
	save("dane", "servfail", b);
	dane_walk(b, -1, 1);
	save("dane", "nexthop", b);
}

static ldns_key *
key(const char *text, const char *owner, ldns_rr **dnskey)
{
	FILE *fp = fmemopen((void *)text, strlen(text), "r");
	ldns_key *k = NULL;

	if (fp == NULL || ldns_key_new_frm_fp(&k, fp) != LDNS_STATUS_OK)
		die("key");
	fclose(fp);
	ldns_key_set_pubkey_owner(k, ldns_dname_new_frm_str(owner));
	ldns_key_set_flags(k, 257);
	*dnskey = ldns_key2rr(k);
	ldns_rr_set_ttl(*dnskey, 300);
	ldns_key_set_keytag(k, ldns_calc_keytag(*dnskey));
	ldns_key_set_inception(k, (uint32_t)(FUZZ_NOW - 86400));
	ldns_key_set_expiration(k, (uint32_t)(FUZZ_NOW + 30 * 86400));
	return k;
}

/* Push rrs (taken over) and their RRSIG by k into section s of p. */
static void
add_signed(ldns_pkt *p, ldns_pkt_section s, ldns_rr_list *rrs, ldns_key *k)
{
	ldns_key_list *kl = ldns_key_list_new();
	ldns_rr_list *sigs;

	ldns_key_list_push_key(kl, k);
	sigs = ldns_sign_public(rrs, kl);
	if (sigs == NULL)
		die("sign");
	ldns_pkt_push_rr_list(p, s, rrs);
	ldns_pkt_push_rr_list(p, s, sigs);
	ldns_rr_list_free(rrs);
	ldns_rr_list_free(sigs);
	ldns_key_list_set_key_count(kl, 0);
	ldns_key_list_free(kl);
}

static ldns_rr_list *
list1(ldns_rr *r)
{
	ldns_rr_list *l = ldns_rr_list_new();

	ldns_rr_list_push_rr(l, r);
	return l;
}

/* The signed world: test. (the anchor's key) and its child ok.test. */
struct chain {
	ldns_key *kt, *ko;
	ldns_rr *dk_test, *dk_ok;
};

/* The walk from test. down to ok.test., after the answer in b. */
static void
dnssec_chain(ldns_buffer *b, const struct chain *c)
{
	ldns_rr *ds_ok = ldns_key_rr2ds(c->dk_ok, LDNS_SHA256);
	ldns_pkt *p;

	p = reply("test.", LDNS_RR_TYPE_DNSKEY, LDNS_RCODE_NOERROR, 0);
	add_signed(p, LDNS_SECTION_ANSWER, list1(ldns_rr_clone(c->dk_test)),
	    c->kt);
	put(b, p, 1);
	ldns_rr_set_ttl(ds_ok, 300);
	p = reply("ok.test.", LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR, 0);
	add_signed(p, LDNS_SECTION_ANSWER, list1(ds_ok), c->kt);
	put(b, p, 1);
	p = reply("ok.test.", LDNS_RR_TYPE_DNSKEY, LDNS_RCODE_NOERROR, 0);
	add_signed(p, LDNS_SECTION_ANSWER, list1(ldns_rr_clone(c->dk_ok)), c->ko);
	put(b, p, 1);
}

/* Answers in ok.test., each followed by the walk to the anchor. */
static const struct answer {
	const char *file, *qname;
	ldns_rr_type qtype;
	ldns_pkt_rcode rcode;
	ldns_pkt_section section;
	const char *text;
	int sign;		/* signed by ok.test.'s key */
} signed_answers[] = {
	{ "secure-a", "www.ok.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR,
	  LDNS_SECTION_ANSWER, "www.ok.test. 300 IN A 192.0.2.1", 1 },
	{ "secure-mx", "ok.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR,
	  LDNS_SECTION_ANSWER, "ok.test. 300 IN MX 10 www.ok.test.", 1 },
	{ "nxdomain-nsec", "nope.ok.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN,
	  LDNS_SECTION_AUTHORITY,
	  "ok.test. 300 IN NSEC www.ok.test. MX RRSIG NSEC DNSKEY", 1 },
	{ "unsigned", "www.ok.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR,
	  LDNS_SECTION_ANSWER, "www.ok.test. 300 IN A 192.0.2.1", 0 },
};

static void
chain_seed(ldns_buffer *b, const struct chain *c, const struct answer *a)
{
	ldns_pkt *p = reply(a->qname, a->qtype, a->rcode, 0);

	if (a->sign)
		add_signed(p, a->section, list1(rr(a->text)), c->ko);
	else
		add(p, a->section, a->text);
	put(b, p, 1);
	dnssec_chain(b, c);
	save("dnssec", a->file, b);
}

static void
dnssec_seeds(ldns_buffer *b)
{
	struct chain c;
	ldns_pkt *p;

	c.kt = key(key_test, "test.", &c.dk_test);
	c.ko = key(key_ok, "ok.test.", &c.dk_ok);
	for (size_t i = 0; i < sizeof(signed_answers) / sizeof(signed_answers[0]);
	    i++)
		chain_seed(b, &c, &signed_answers[i]);

	p = reply("mx.ins.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR, 0);
	add(p, LDNS_SECTION_ANSWER, "mx.ins.test. 300 IN A 192.0.2.9");
	put(b, p, 1);
	p = reply("ins.test.", LDNS_RR_TYPE_DS, LDNS_RCODE_NOERROR, 0);
	add_signed(p, LDNS_SECTION_AUTHORITY, list1(rr("ins.test. 300 IN NSEC "
	    "ok.test. NS RRSIG NSEC")), c.kt);
	put(b, p, 1);
	p = reply("test.", LDNS_RR_TYPE_DNSKEY, LDNS_RCODE_NOERROR, 0);
	add_signed(p, LDNS_SECTION_ANSWER, list1(ldns_rr_clone(c.dk_test)), c.kt);
	put(b, p, 1);
	save("dnssec", "insecure-delegation", b);

	ldns_key_deep_free(c.kt);
	ldns_key_deep_free(c.ko);
	ldns_rr_free(c.dk_test);
	ldns_rr_free(c.dk_ok);
}

int
main(int argc, char **argv)
{
	ldns_buffer *b = ldns_buffer_new(65536);

	if (argc != 2) {
		fprintf(stderr, "usage: seedgen CORPUS_DIR\n");
		return 2;
	}
	outdir = argv[1];
	dns_seeds(b);
	dane_seeds(b);
	dnssec_seeds(b);
	ldns_buffer_free(b);
	return 0;
}
