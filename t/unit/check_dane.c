/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for policyd/dane.c (the decision over recorded answers) and
 * engine_decide_dane() (what a DANE error becomes).  No network: every
 * DNS answer is a canned packet built from zone-file text.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dane.h"
#include "engine.h"
#include "sts.h"

#define H32 "0101010101010101010101010101010101010101010101010101010101010101"
#define H31 "01010101010101010101010101010101010101010101010101010101010101"
#define H64 H32 H32
#define SOA(z) z " 300 IN SOA ns." z " host." z " 1 3600 600 86400 120"

#define SEC 1		/* AD set */
#define INS 0

/* One canned answer: (qname, qtype) -> reply. */
struct canned {
	const char *qname;
	int qtype;
	enum dns_status st;
	int rcode, ad;
	const char *answer;		/* RRs separated by '|' */
	const char *authority;
	int ede;			/* -1: none */
};

#define NOERR(n, t, ad, an) { n, t, DNS_OK, LDNS_RCODE_NOERROR, ad, an, NULL, -1 }
#define NODATA(n, t, ad, z) { n, t, DNS_OK, LDNS_RCODE_NOERROR, ad, NULL, SOA(z), -1 }
#define NXD(n, t, ad, z) { n, t, DNS_OK, LDNS_RCODE_NXDOMAIN, ad, NULL, SOA(z), -1 }
#define SFAIL(n, t) { n, t, DNS_OK, LDNS_RCODE_SERVFAIL, 0, NULL, NULL, -1 }
#define TMOUT(n, t) { n, t, DNS_TIMEOUT, 0, 0, NULL, NULL, -1 }

#define MX LDNS_RR_TYPE_MX
#define A LDNS_RR_TYPE_A
#define AAAA LDNS_RR_TYPE_AAAA
#define TLSA LDNS_RR_TYPE_TLSA
#define CNAME LDNS_RR_TYPE_CNAME

/* A secure host with one IPv4 address and no IPv6. */
#define HOST4(h, z) NOERR(h, A, SEC, h " 300 IN A 192.0.2.1"), NODATA(h, AAAA, SEC, z)

/*
 * The MX host mail.example.com, behind a secure MX RRset, is an alias
 * into the unsigned zone unsigned.example: insecure address answers.
 */
#define ALIAS_RR "mail.example.com. 300 IN CNAME mx.unsigned.example."
#define ALIAS_MX NOERR("example.com.", MX, SEC, \
	"example.com. 300 IN MX 10 mail.example.com.")
#define ALIAS_ADDR \
	NOERR("mail.example.com.", A, INS, ALIAS_RR "|" \
	    "mx.unsigned.example. 300 IN A 192.0.2.1"), \
	NODATA("mail.example.com.", AAAA, INS, "unsigned.example.")
#define ALIAS_CNAME(ad) NOERR("mail.example.com.", CNAME, ad, ALIAS_RR)
#define ALIAS_TLSA(rr) NOERR("_25._tcp.mail.example.com.", TLSA, SEC, \
	"_25._tcp.mail.example.com. 300 IN TLSA " rr)

static void
push_rrs(ldns_pkt *pkt, ldns_pkt_section sec, const char *text)
{
	char *copy, *tok, *save = NULL;

	if (text == NULL)
		return;
	copy = strdup(text);
	for (tok = strtok_r(copy, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
		ldns_rr *rr = NULL;
		ldns_status s = ldns_rr_new_frm_str(&rr, tok, 3600, NULL, NULL);

		ck_assert_msg(s == LDNS_STATUS_OK, "bad test RR \"%s\": %s", tok,
		    ldns_get_errorstr_by_id(s));
		ldns_pkt_push_rr(pkt, sec, rr);
	}
	free(copy);
}

/* Record one canned answer exactly as the DNS layer would report it. */
static void
record(struct dane_answers *as, const struct canned *c)
{
	struct dns_result r;
	ldns_pkt *pkt = NULL;

	memset(&r, 0, sizeof(r));
	r.status = c->st;
	if (c->st == DNS_OK) {
		ck_assert(ldns_pkt_query_new_frm_str(&pkt, c->qname, c->qtype,
		    LDNS_RR_CLASS_IN, LDNS_RD) == LDNS_STATUS_OK);
		ldns_pkt_set_qr(pkt, 1);
		ldns_pkt_set_ad(pkt, c->ad);
		ldns_pkt_set_rcode(pkt, (uint8_t)c->rcode);
		push_rrs(pkt, LDNS_SECTION_ANSWER, c->answer);
		push_rrs(pkt, LDNS_SECTION_AUTHORITY, c->authority);
		if (c->ede >= 0) {
			uint8_t opt[6] = { 0, 15, 0, 2, (uint8_t)(c->ede >> 8),
			    (uint8_t)c->ede };
			ldns_pkt_set_edns_udp_size(pkt, 4096);
			ldns_pkt_set_edns_data(pkt, ldns_rdf_new_frm_data(
			    LDNS_RDF_TYPE_UNKNOWN, sizeof(opt), opt));
		}
		r.rcode = c->rcode;
		r.secure = c->ad;
		r.ttl = dns_pkt_ttl(pkt);
		r.pkt = pkt;
	}
	dane_answers_add(as, c->qname, c->qtype, &r);
	ldns_pkt_free(pkt);
}

static int
same_name(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la && a[la - 1] == '.')
		la--;
	if (lb && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/*
 * Run the walk to the end, answering each round from the canned set.  A
 * lookup the scenario does not expect fails the test: that checks what
 * is NOT asked (no TLSA for insecure hosts, no fallback after errors).
 */
static struct dane_answers *
run_keep(const struct dane_target *t, const struct canned *set, size_t n,
    struct dane_result *res)
{
	struct dane_answers *as = dane_answers_new();
	struct dane_need need[DANE_MAX_NEED];
	size_t nneed;
	int rounds = 0;

	while (dane_eval(t, as, res, need, DANE_MAX_NEED, &nneed) == 0) {
		ck_assert_int_gt(nneed, 0);
		ck_assert_int_lt(++rounds, 8);
		for (size_t i = 0; i < nneed; i++) {
			size_t j;
			for (j = 0; j < n; j++)
				if (set[j].qtype == need[i].type
				    && same_name(set[j].qname, need[i].name))
					break;
			ck_assert_msg(j < n, "unexpected lookup %s type %d",
			    need[i].name, need[i].type);
			record(as, &set[j]);
		}
	}
	return as;
}

static void
run(const struct dane_target *t, const struct canned *set, size_t n,
    struct dane_result *res)
{
	dane_answers_free(run_keep(t, set, n, res));
}

struct scenario {
	const char *name;
	const char *host;
	int port, mx;
	struct canned set[12];
	enum dane_status want;
	enum dane_errclass err;
	uint32_t ttl;		/* 0: not checked */
};

static const struct scenario scenarios[] = {
	{ "dane-ee 3 1 1: dane-only", "example.com", 25, 1, {
		NOERR("example.com.", MX, SEC, "example.com. 300 IN MX 10 mx1.example.com."),
		HOST4("mx1.example.com.", "example.com."),
		NOERR("_25._tcp.mx1.example.com.", TLSA, SEC,
		    "_25._tcp.mx1.example.com. 600 IN TLSA 3 1 1 " H32),
	  }, DANE_DANE_ONLY, DANE_ERR_NONE, 120 },	/* SOA minimum 120 */
	{ "dane-ta 2 0 1: dane-only", "example.com", 25, 1, {
		NOERR("example.com.", MX, SEC, "example.com. 300 IN MX 10 mx1.example.com."),
		HOST4("mx1.example.com.", "example.com."),
		NOERR("_25._tcp.mx1.example.com.", TLSA, SEC,
		    "_25._tcp.mx1.example.com. 300 IN TLSA 2 0 1 " H32),
	  }, DANE_DANE_ONLY, DANE_ERR_NONE, 0 },
	{ "2 1 2 and 3 0 0 with a DER sequence", "example.com", 25, 1, {
		NOERR("example.com.", MX, SEC, "example.com. 300 IN MX 10 mx1.example.com.|"
		    "example.com. 300 IN MX 20 mx2.example.com."),
		HOST4("mx1.example.com.", "example.com."),
		HOST4("mx2.example.com.", "example.com."),
		NOERR("_25._tcp.mx1.example.com.", TLSA, SEC,
		    "_25._tcp.mx1.example.com. 300 IN TLSA 2 1 2 " H64),
		NOERR("_25._tcp.mx2.example.com.", TLSA, SEC,
		    "_25._tcp.mx2.example.com. 300 IN TLSA 3 0 0 3003020100"),
	  }, DANE_DANE_ONLY, DANE_ERR_NONE, 0 },
	{ "two MX, one with TLSA: dane", "example.com", 25, 1, {
		NOERR("example.com.", MX, SEC, "example.com. 300 IN MX 10 mx1.example.com.|"
		    "example.com. 300 IN MX 20 mx2.example.com."),
		HOST4("mx1.example.com.", "example.com."),
		HOST4("mx2.example.com.", "example.com."),
		NOERR("_25._tcp.mx1.example.com.", TLSA, SEC,
		    "_25._tcp.mx1.example.com. 300 IN TLSA 3 1 1 " H32),
		NXD("_25._tcp.mx2.example.com.", TLSA, SEC, "example.com."),
	  }, DANE_DANE, DANE_ERR_NONE, 0 },
	{ "unusable only (usage 0/1, short digest, 255): dane", "example.com", 25, 1, {
		NOERR("example.com.", MX, SEC, "example.com. 300 IN MX 10 mx1.example.com."),
		HOST4("mx1.example.com.", "example.com."),
		NOERR("_25._tcp.mx1.example.com.", TLSA, SEC,
		    "_25._tcp.mx1.example.com. 300 IN TLSA 1 1 1 " H32 "|"
		    "_25._tcp.mx1.example.com. 300 IN TLSA 0 0 1 " H32 "|"
		    "_25._tcp.mx1.example.com. 300 IN TLSA 3 1 1 " H31 "|"
		    "_25._tcp.mx1.example.com. 300 IN TLSA 3 1 2 " H32 "|"
		    "_25._tcp.mx1.example.com. 300 IN TLSA 3 1 255 " H32),
	  }, DANE_DANE, DANE_ERR_NONE, 0 },
	{ "TLSA in an insecure zone: ignored", "example.com", 25, 1, {
		NOERR("example.com.", MX, SEC, "example.com. 300 IN MX 10 mx1.example.com."),
		HOST4("mx1.example.com.", "example.com."),
		NOERR("_25._tcp.mx1.example.com.", TLSA, INS,
		    "_25._tcp.mx1.example.com. 300 IN TLSA 3 1 1 " H32),
	  }, DANE_NOINFO, DANE_ERR_NONE, 0 },
	{ "secure MX, host in an insecure zone: no TLSA lookup", "example.com", 25, 1, {
		NOERR("example.com.", MX, SEC, "example.com. 300 IN MX 10 mx.unsigned.example."),
		NOERR("mx.unsigned.example.", A, INS, "mx.unsigned.example. 300 IN A 192.0.2.9"),
		NODATA("mx.unsigned.example.", AAAA, INS, "unsigned.example."),
	  }, DANE_NOINFO, DANE_ERR_NONE, 0 },
	{ "implicit MX (NODATA) with TLSA at the domain", "example.com", 25, 1, {
		NODATA("example.com.", MX, SEC, "example.com."),
		HOST4("example.com.", "example.com."),
		NOERR("_25._tcp.example.com.", TLSA, SEC,
		    "_25._tcp.example.com. 300 IN TLSA 3 1 1 " H32),
	  }, DANE_DANE_ONLY, DANE_ERR_NONE, 0 },
	{ "implicit MX, insecure NODATA: dane only", "example.com", 25, 1, {
		NODATA("example.com.", MX, INS, "example.com."),
		HOST4("example.com.", "example.com."),
		NOERR("_25._tcp.example.com.", TLSA, SEC,
		    "_25._tcp.example.com. 300 IN TLSA 3 1 1 " H32),
	  }, DANE_DANE, DANE_ERR_NONE, 0 },
	{ "CNAME'd host: TLSA at the expanded name first", "example.com", 25, 1, {
		NOERR("example.com.", MX, SEC, "example.com. 300 IN MX 10 mx.example.com."),
		NOERR("mx.example.com.", A, SEC, "mx.example.com. 300 IN CNAME mx.provider.net.|"
		    "mx.provider.net. 300 IN A 192.0.2.1"),
		NODATA("mx.example.com.", AAAA, SEC, "provider.net."),
		NOERR("_25._tcp.mx.provider.net.", TLSA, SEC,
		    "_25._tcp.mx.provider.net. 300 IN TLSA 3 1 1 " H32),
	  }, DANE_DANE_ONLY, DANE_ERR_NONE, 0 },
	{ "CNAME'd host: nothing at expanded name, then original", "example.com", 25, 1, {
		NOERR("example.com.", MX, SEC, "example.com. 300 IN MX 10 mx.example.com."),
		NOERR("mx.example.com.", A, SEC, "mx.example.com. 300 IN CNAME mx.provider.net.|"
		    "mx.provider.net. 300 IN A 192.0.2.1"),
		NODATA("mx.example.com.", AAAA, SEC, "provider.net."),
		NXD("_25._tcp.mx.provider.net.", TLSA, SEC, "provider.net."),
		NOERR("_25._tcp.mx.example.com.", TLSA, SEC,
		    "_25._tcp.mx.example.com. 300 IN TLSA 3 1 1 " H32),
	  }, DANE_DANE_ONLY, DANE_ERR_NONE, 0 },
	{ "CNAME'd host: error at expanded name, no fallback", "example.com", 25, 1, {
		NOERR("example.com.", MX, SEC, "example.com. 300 IN MX 10 mx.example.com."),
		NOERR("mx.example.com.", A, SEC, "mx.example.com. 300 IN CNAME mx.provider.net.|"
		    "mx.provider.net. 300 IN A 192.0.2.1"),
		NODATA("mx.example.com.", AAAA, SEC, "provider.net."),
		SFAIL("_25._tcp.mx.provider.net.", TLSA),
	  }, DANE_ERROR, DANE_ERR_BOGUS, DANE_TEMP_TTL },
	/*
	 * RFC 7672 2.2.3: an alias whose own CNAME record is secure, with
	 * the chain ending in an unsigned zone (the address answer is then
	 * insecure): TLSA at the original name only, never at the target.
	 */
	{ "secure CNAME into an unsigned zone: TLSA at the original name",
	  "example.com", 25, 1, {
		ALIAS_MX,
		NOERR("mail.example.com.", A, INS, ALIAS_RR "|"
		    "mx.unsigned.example. 300 IN A 192.0.2.1"),
		NOERR("mail.example.com.", AAAA, INS, ALIAS_RR),
		ALIAS_CNAME(SEC),
		ALIAS_TLSA("3 1 1 " H32),
	  }, DANE_DANE_ONLY, DANE_ERR_NONE, 0 },
	{ "secure CNAME into an unsigned zone, unusable TLSA: dane",
	  "example.com", 25, 1, {
		ALIAS_MX, ALIAS_ADDR, ALIAS_CNAME(SEC), ALIAS_TLSA("1 1 1 " H32),
	  }, DANE_DANE, DANE_ERR_NONE, 0 },
	{ "secure CNAME into an unsigned zone, no TLSA at the original name",
	  "example.com", 25, 1, {
		ALIAS_MX, ALIAS_ADDR, ALIAS_CNAME(SEC),
		NXD("_25._tcp.mail.example.com.", TLSA, SEC, "example.com."),
	  }, DANE_NOINFO, DANE_ERR_NONE, 0 },
	{ "insecure CNAME: no TLSA lookup", "example.com", 25, 1, {
		ALIAS_MX, ALIAS_ADDR, ALIAS_CNAME(INS),
	  }, DANE_NOINFO, DANE_ERR_NONE, 0 },
	{ "CNAME status lookup fails, secure MX: error", "example.com", 25, 1, {
		ALIAS_MX, ALIAS_ADDR, SFAIL("mail.example.com.", CNAME),
	  }, DANE_ERROR, DANE_ERR_BOGUS, DANE_TEMP_TTL },
	{ "alias gone by the CNAME lookup, secure MX: error", "example.com", 25, 1, {
		ALIAS_MX, ALIAS_ADDR, NODATA("mail.example.com.", CNAME, SEC, "example.com."),
	  }, DANE_ERROR, DANE_ERR_TRANSIENT, DANE_TEMP_TTL },
	{ "insecure MX, secure CNAME into an unsigned zone: dane", "example.org", 25, 1, {
		NOERR("example.org.", MX, INS, "example.org. 300 IN MX 10 mail.signed.example."),
		NOERR("mail.signed.example.", A, INS, "mail.signed.example. 300 IN CNAME mx.example.org.|"
		    "mx.example.org. 300 IN A 192.0.2.1"),
		NODATA("mail.signed.example.", AAAA, INS, "example.org."),
		NOERR("mail.signed.example.", CNAME, SEC,
		    "mail.signed.example. 300 IN CNAME mx.example.org."),
		NOERR("_25._tcp.mail.signed.example.", TLSA, SEC,
		    "_25._tcp.mail.signed.example. 300 IN TLSA 3 1 1 " H32),
	  }, DANE_DANE, DANE_ERR_NONE, 0 },
	{ "CNAME loop in the address answer", "example.com", 25, 1, {
		NOERR("example.com.", MX, SEC, "example.com. 300 IN MX 10 a.example.com."),
		NOERR("a.example.com.", A, SEC, "a.example.com. 300 IN CNAME b.example.com.|"
		    "b.example.com. 300 IN CNAME a.example.com."),
		NODATA("a.example.com.", AAAA, SEC, "example.com."),
	  }, DANE_ERROR, DANE_ERR_BOGUS, 0 },
	{ "null MX", "example.com", 25, 1, {
		NOERR("example.com.", MX, SEC, "example.com. 300 IN MX 0 ."),
	  }, DANE_NOINFO, DANE_ERR_NONE, 0 },
	{ "NXDOMAIN", "example.com", 25, 1, {
		NXD("example.com.", MX, SEC, "com."),
	  }, DANE_NOINFO, DANE_ERR_NONE, 0 },
	{ "MX SERVFAIL (bogus or not, cannot tell): bogus class", "example.com", 25, 1, {
		SFAIL("example.com.", MX),
	  }, DANE_ERROR, DANE_ERR_BOGUS, DANE_TEMP_TTL },
	{ "MX SERVFAIL with EDE 6 (DNSSEC Bogus)", "example.com", 25, 1, {
		{ "example.com.", MX, DNS_OK, LDNS_RCODE_SERVFAIL, 0, NULL, NULL, 6 },
	  }, DANE_ERROR, DANE_ERR_BOGUS, 0 },
	{ "MX SERVFAIL with EDE 22 (No Reachable Authority)", "example.com", 25, 1, {
		{ "example.com.", MX, DNS_OK, LDNS_RCODE_SERVFAIL, 0, NULL, NULL, 22 },
	  }, DANE_ERROR, DANE_ERR_TRANSIENT, 0 },
	{ "MX timeout", "example.com", 25, 1, {
		TMOUT("example.com.", MX),
	  }, DANE_ERROR, DANE_ERR_TRANSIENT, 0 },
	{ "secure MX, AAAA SERVFAIL: error", "example.com", 25, 1, {
		NOERR("example.com.", MX, SEC, "example.com. 300 IN MX 10 mx1.example.com."),
		NOERR("mx1.example.com.", A, SEC, "mx1.example.com. 300 IN A 192.0.2.1"),
		SFAIL("mx1.example.com.", AAAA),
	  }, DANE_ERROR, DANE_ERR_BOGUS, 0 },
	{ "secure MX, TLSA timeout: transient error", "example.com", 25, 1, {
		NOERR("example.com.", MX, SEC, "example.com. 300 IN MX 10 mx1.example.com."),
		HOST4("mx1.example.com.", "example.com."),
		TMOUT("_25._tcp.mx1.example.com.", TLSA),
	  }, DANE_ERROR, DANE_ERR_TRANSIENT, 0 },
	{ "insecure MX, host with secure TLSA: dane", "example.org", 25, 1, {
		NOERR("example.org.", MX, INS, "example.org. 300 IN MX 10 mx.signed.example."),
		HOST4("mx.signed.example.", "signed.example."),
		NOERR("_25._tcp.mx.signed.example.", TLSA, SEC,
		    "_25._tcp.mx.signed.example. 300 IN TLSA 3 1 1 " H32),
	  }, DANE_DANE, DANE_ERR_NONE, 0 },
	{ "insecure MX, host lookup failure: ignored", "example.org", 25, 1, {
		NOERR("example.org.", MX, INS, "example.org. 300 IN MX 10 mx.example.org."),
		SFAIL("mx.example.org.", A),
		NODATA("mx.example.org.", AAAA, INS, "example.org."),
	  }, DANE_NOINFO, DANE_ERR_NONE, 0 },
	{ "unreachable host left out", "example.com", 25, 1, {
		NOERR("example.com.", MX, SEC, "example.com. 300 IN MX 10 mx1.example.com.|"
		    "example.com. 300 IN MX 20 gone.example.com."),
		HOST4("mx1.example.com.", "example.com."),
		NXD("gone.example.com.", A, SEC, "example.com."),
		NXD("gone.example.com.", AAAA, SEC, "example.com."),
		NOERR("_25._tcp.mx1.example.com.", TLSA, SEC,
		    "_25._tcp.mx1.example.com. 300 IN TLSA 3 1 1 " H32),
	  }, DANE_DANE_ONLY, DANE_ERR_NONE, 0 },
	{ "[host]:587 next-hop: no MX, TLSA at _587", "mail.example.net", 587, 0, {
		HOST4("mail.example.net.", "example.net."),
		NOERR("_587._tcp.mail.example.net.", TLSA, SEC,
		    "_587._tcp.mail.example.net. 300 IN TLSA 3 1 1 " H32),
	  }, DANE_DANE_ONLY, DANE_ERR_NONE, 0 },
	{ "mixed-case names compare equal", "example.com", 25, 1, {
		NOERR("example.com.", MX, SEC, "EXAMPLE.com. 300 IN MX 10 MX1.Example.COM."),
		NOERR("mx1.example.com.", A, SEC, "Mx1.EXAMPLE.com. 300 IN A 192.0.2.1"),
		NODATA("mx1.example.com.", AAAA, SEC, "example.com."),
		NOERR("_25._tcp.mx1.example.com.", TLSA, SEC,
		    "_25._TCP.MX1.example.com. 300 IN TLSA 3 1 1 " H32),
	  }, DANE_DANE_ONLY, DANE_ERR_NONE, 0 },
	{ "TTL clamped up to 60", "example.com", 25, 1, {
		NOERR("example.com.", MX, SEC, "example.com. 5 IN MX 10 mx1.example.com."),
		NOERR("mx1.example.com.", A, SEC, "mx1.example.com. 300 IN A 192.0.2.1"),
		NOERR("mx1.example.com.", AAAA, SEC, "mx1.example.com. 300 IN AAAA 2001:db8::1"),
		NOERR("_25._tcp.mx1.example.com.", TLSA, SEC,
		    "_25._tcp.mx1.example.com. 300 IN TLSA 3 1 1 " H32),
	  }, DANE_DANE_ONLY, DANE_ERR_NONE, 60 },
	{ "TTL clamped down to 3600", "example.com", 25, 1, {
		NOERR("example.com.", MX, SEC, "example.com. 86400 IN MX 10 mx1.example.com."),
		NOERR("mx1.example.com.", A, SEC, "mx1.example.com. 86400 IN A 192.0.2.1"),
		NOERR("mx1.example.com.", AAAA, SEC, "mx1.example.com. 86400 IN AAAA 2001:db8::1"),
		NOERR("_25._tcp.mx1.example.com.", TLSA, SEC,
		    "_25._tcp.mx1.example.com. 86400 IN TLSA 3 1 1 " H32),
	  }, DANE_DANE_ONLY, DANE_ERR_NONE, 3600 },
	{ "TTL is the minimum of the RRsets used", "example.com", 25, 1, {
		NOERR("example.com.", MX, SEC, "example.com. 900 IN MX 10 mx1.example.com."),
		NOERR("mx1.example.com.", A, SEC, "mx1.example.com. 700 IN A 192.0.2.1"),
		NOERR("mx1.example.com.", AAAA, SEC, "mx1.example.com. 800 IN AAAA 2001:db8::1"),
		NOERR("_25._tcp.mx1.example.com.", TLSA, SEC,
		    "_25._tcp.mx1.example.com. 650 IN TLSA 3 1 1 " H32),
	  }, DANE_DANE_ONLY, DANE_ERR_NONE, 650 },
};

START_TEST(test_scenarios)
{
	const struct scenario *s = &scenarios[_i];
	struct dane_target t;
	struct dane_result res;
	size_t n = 0;

	memset(&t, 0, sizeof(t));
	snprintf(t.host, sizeof(t.host), "%s", s->host);
	t.port = s->port;
	t.mx = s->mx;
	while (n < 12 && s->set[n].qname)
		n++;
	run(&t, s->set, n, &res);
	ck_assert_msg(res.status == s->want, "%s: got %s (%s), want %s", s->name,
	    dane_status_name(res.status), res.reason, dane_status_name(s->want));
	ck_assert_msg(res.err == s->err, "%s: error class %d, want %d (%s)",
	    s->name, res.err, s->err, res.reason);
	if (s->ttl)
		ck_assert_msg(res.ttl == s->ttl, "%s: ttl %u, want %u", s->name,
		    res.ttl, s->ttl);
	ck_assert(res.reason[0] != '\0');
}
END_TEST

/* What the walk saw: the MX host list for MX rules and tlsa explain. */
static const struct {
	const char *name;
	const char *host;
	int mx;
	struct canned set[8];
	enum dane_mx_kind kind;
	int secure;
	const char *hosts;	/* "pref name state usable;..." */
} mxcases[] = {
	{ "two MX by preference", "example.com", 1, {
		NOERR("example.com.", MX, SEC, "example.com. 300 IN MX 20 mx2.example.com.|"
		    "example.com. 300 IN MX 10 MX1.example.com.|"
		    "example.com. 300 IN MX 30 mx1.example.com."),
		HOST4("mx1.example.com.", "example.com."),
		HOST4("mx2.example.com.", "example.com."),
		NOERR("_25._tcp.mx1.example.com.", TLSA, SEC,
		    "_25._tcp.mx1.example.com. 300 IN TLSA 3 1 1 " H32),
		NXD("_25._tcp.mx2.example.com.", TLSA, SEC, "example.com."),
	  }, DANE_MX_LIST, 1,
	  "10 mx1.example.com tlsa-usable 1;20 mx2.example.com no-dane 0;" },
	{ "insecure MX", "example.com", 1, {
		NOERR("example.com.", MX, INS, "example.com. 300 IN MX 10 mx.example.net."),
		NOERR("mx.example.net.", A, INS, "mx.example.net. 300 IN A 192.0.2.1"),
		NODATA("mx.example.net.", AAAA, INS, "example.net."),
	  }, DANE_MX_LIST, 0, "10 mx.example.net no-dane 0;" },
	{ "implicit MX", "example.com", 1, {
		NODATA("example.com.", MX, SEC, "example.com."),
		HOST4("example.com.", "example.com."),
		NXD("_25._tcp.example.com.", TLSA, SEC, "example.com."),
	  }, DANE_MX_IMPLICIT, 1, "0 example.com no-dane 0;" },
	{ "null MX", "example.com", 1, {
		NOERR("example.com.", MX, SEC, "example.com. 300 IN MX 0 ."),
	  }, DANE_MX_NULL, 1, "" },
	{ "NXDOMAIN", "example.com", 1, {
		NXD("example.com.", MX, SEC, "com."),
	  }, DANE_MX_NXDOMAIN, 1, "" },
	/* Not secure unless the answer says so (the explain trace). */
	{ "NXDOMAIN, insecure", "example.com", 1, {
		NXD("example.com.", MX, INS, "com."),
	  }, DANE_MX_NXDOMAIN, 0, "" },
	{ "null MX, insecure", "example.com", 1, {
		NOERR("example.com.", MX, INS, "example.com. 300 IN MX 0 ."),
	  }, DANE_MX_NULL, 0, "" },
	{ "MX lookup failed", "example.com", 1, {
		SFAIL("example.com.", MX),
	  }, DANE_MX_UNKNOWN, 0, "" },
	{ "MX lookup timed out", "example.com", 1, {
		TMOUT("example.com.", MX),
	  }, DANE_MX_UNKNOWN, 0, "" },
	{ "secure alias into an unsigned zone", "example.com", 1, {
		ALIAS_MX, ALIAS_ADDR, ALIAS_CNAME(SEC), ALIAS_TLSA("3 1 1 " H32),
	  }, DANE_MX_LIST, 1, "10 mail.example.com tlsa-usable 1;" },
	{ "[host]", "mx.example.com", 0, {
		HOST4("mx.example.com.", "example.com."),
		NOERR("_25._tcp.mx.example.com.", TLSA, SEC,
		    "_25._tcp.mx.example.com. 300 IN TLSA 3 1 1 " H32 "|"
		    "_25._tcp.mx.example.com. 300 IN TLSA 3 1 1 " H64),
	  }, DANE_MX_HOST, 1, "0 mx.example.com tlsa-usable 1;" },
};

START_TEST(test_mx_eval)
{
	struct dane_target t;
	struct dane_result res;
	struct dane_answers *as;
	struct dane_mx *m;
	json_t *j;
	char got[512] = "";
	size_t n = 0;

	memset(&t, 0, sizeof(t));
	snprintf(t.host, sizeof(t.host), "%s", mxcases[_i].host);
	t.port = 25;
	t.mx = mxcases[_i].mx;
	while (n < 8 && mxcases[_i].set[n].qname)
		n++;
	as = run_keep(&t, mxcases[_i].set, n, &res);
	m = dane_mx_eval(&t, as);
	ck_assert_msg(m->kind == mxcases[_i].kind, "%s: kind %s", mxcases[_i].name,
	    dane_mx_kind_name(m->kind));
	ck_assert_msg(m->secure == mxcases[_i].secure, "%s: secure %d",
	    mxcases[_i].name, m->secure);
	/* The explain trace's "mx" object says the same. */
	j = engine_mx_json(m);
	ck_assert_str_eq(json_string_value(json_object_get(j, "kind")),
	    dane_mx_kind_name(mxcases[_i].kind));
	ck_assert_msg(json_is_true(json_object_get(j, "secure"))
	    == mxcases[_i].secure, "%s: trace secure", mxcases[_i].name);
	json_decref(j);
	for (size_t i = 0; i < m->n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%d %s %s %d;",
		    m->h[i].pref, m->h[i].name, dane_hstate_name(m->h[i].state),
		    m->h[i].usable);
	ck_assert_str_eq(got, mxcases[_i].hosts);
	dane_mx_free(m);
	/* Nothing recorded yet: the hosts are not known. */
	m = dane_mx_eval(&t, as = (dane_answers_free(as), dane_answers_new()));
	ck_assert(m->kind == (t.mx ? DANE_MX_UNKNOWN : DANE_MX_HOST));
	ck_assert(t.mx ? m->n == 0 : m->h[0].state == DANE_H_PENDING);
	ck_assert_int_eq(m->secure, !t.mx);
	dane_mx_free(m);
	dane_answers_free(as);
}
END_TEST

/* Many MX hosts: the walk is bounded and never claims dane-only. */
START_TEST(test_many_hosts)
{
	struct canned set[3 * 40 + 1];
	static char names[40][4][120];
	struct dane_target t = { "example.com", 25, 1 };
	struct dane_result res;
	static char mx[40 * 80];
	size_t n = 0, off = 0;

	for (int i = 0; i < 40; i++) {
		off += (size_t)snprintf(mx + off, sizeof(mx) - off,
		    "%sexample.com. 300 IN MX %d mx%d.example.com.", i ? "|" : "",
		    i, i);
		snprintf(names[i][0], 120, "mx%d.example.com.", i);
		snprintf(names[i][1], 120, "mx%d.example.com. 300 IN A 192.0.2.1", i);
		snprintf(names[i][2], 120, "_25._tcp.mx%d.example.com.", i);
		snprintf(names[i][3], 120,
		    "_25._tcp.mx%d.example.com. 300 IN TLSA 3 1 1 " H32, i);
	}
	set[n++] = (struct canned)NOERR("example.com.", MX, SEC, mx);
	for (int i = 0; i < 40; i++) {
		set[n++] = (struct canned)NOERR(names[i][0], A, SEC, names[i][1]);
		set[n++] = (struct canned)NODATA(names[i][0], AAAA, SEC, "example.com.");
		set[n++] = (struct canned)NOERR(names[i][2], TLSA, SEC, names[i][3]);
	}
	run(&t, set, n, &res);
	ck_assert_int_eq(res.status, DANE_DANE);
}
END_TEST

static const struct {
	const char *rr;
	int usable;
} tlsa_cases[] = {
	{ "x. IN TLSA 3 1 1 " H32, 1 },
	{ "x. IN TLSA 2 0 1 " H32, 1 },
	{ "x. IN TLSA 3 0 2 " H64, 1 },
	{ "x. IN TLSA 3 1 0 30020500", 1 },
	{ "x. IN TLSA 3 1 0 3004020500", 0 },	/* claims 4 bytes, has 3 */
	{ "x. IN TLSA 3 1 0 0402abcd", 0 },	/* not a SEQUENCE */
	{ "x. IN TLSA 3 1 0 308200020000", 1 },	/* long-form length */
	{ "x. IN TLSA 3 1 0 3082ffff00", 0 },	/* claims 65535 bytes */
	{ "x. IN TLSA 0 0 1 " H32, 0 },
	{ "x. IN TLSA 1 1 1 " H32, 0 },
	{ "x. IN TLSA 4 1 1 " H32, 0 },
	{ "x. IN TLSA 3 2 1 " H32, 0 },
	{ "x. IN TLSA 3 1 3 " H32, 0 },
	{ "x. IN TLSA 3 1 255 " H32, 0 },
	{ "x. IN TLSA 3 1 1 " H31, 0 },
	{ "x. IN TLSA 3 1 1 " H32 "01", 0 },
	{ "x. IN TLSA 3 1 2 " H32, 0 },
};

START_TEST(test_tlsa_usable)
{
	ldns_rr *rr = NULL;

	ck_assert(ldns_rr_new_frm_str(&rr, tlsa_cases[_i].rr, 300, NULL, NULL)
	    == LDNS_STATUS_OK);
	ck_assert_msg(dane_tlsa_usable(rr) == tlsa_cases[_i].usable, "%s",
	    tlsa_cases[_i].rr);
	ldns_rr_free(rr);
}
END_TEST

/*
 * engine_decide_dane(): every row of its table.
 */
#define NONE_ DANE_ERROR	/* no stale result */

static const struct {
	const char *name;
	enum dane_status st;
	enum dane_errclass err;
	enum dane_status stale;
	enum error_action act, fallback;
	int sts;
	enum verdict v;
	enum sockmap_status want;	/* unless V_NOINFO */
	const char *text;
} decide_cases[] = {
	{ "dane-only", DANE_DANE_ONLY, DANE_ERR_NONE, NONE_, ACT_TEMP, ACT_TEMP, 0,
	  V_ANSWER, SM_OK, "dane-only" },
	/* dane is held: an MTA-STS enforce policy outranks it. */
	{ "dane", DANE_DANE, DANE_ERR_NONE, NONE_, ACT_TEMP, ACT_TEMP, 1,
	  V_DANE_WEAK, SM_OK, "dane" },
	{ "no dane: next source", DANE_NOINFO, DANE_ERR_NONE, NONE_, ACT_DANE,
	  ACT_TEMP, 0, V_NOINFO, SM_NOTFOUND, NULL },
	/* Bogus: TEMP whatever the configuration says. */
	{ "bogus, temp", DANE_ERROR, DANE_ERR_BOGUS, NONE_, ACT_TEMP, ACT_TEMP, 0,
	  V_ANSWER, SM_TEMP, NULL },
	{ "bogus, dane", DANE_ERROR, DANE_ERR_BOGUS, NONE_, ACT_DANE, ACT_DANE, 0,
	  V_ANSWER, SM_TEMP, NULL },
	{ "bogus, dane, sts", DANE_ERROR, DANE_ERR_BOGUS, NONE_, ACT_DANE, ACT_DANE, 1,
	  V_ANSWER, SM_TEMP, NULL },
	{ "bogus, stale with good", DANE_ERROR, DANE_ERR_BOGUS, DANE_DANE_ONLY,
	  ACT_STALE, ACT_DANE, 0, V_ANSWER, SM_TEMP, NULL },
	/* Timeout under each dns_error_action, with and without MTA-STS. */
	{ "timeout, temp", DANE_ERROR, DANE_ERR_TRANSIENT, NONE_, ACT_TEMP, ACT_TEMP,
	  0, V_ANSWER, SM_TEMP, NULL },
	{ "timeout, temp, sts", DANE_ERROR, DANE_ERR_TRANSIENT, NONE_, ACT_TEMP,
	  ACT_TEMP, 1, V_ANSWER, SM_TEMP, NULL },
	{ "timeout, dane", DANE_ERROR, DANE_ERR_TRANSIENT, NONE_, ACT_DANE, ACT_TEMP,
	  0, V_ANSWER, SM_OK, "dane" },
	{ "timeout, dane, sts", DANE_ERROR, DANE_ERR_TRANSIENT, NONE_, ACT_DANE,
	  ACT_TEMP, 1, V_ANSWER, SM_TEMP, NULL },
	{ "timeout, stale dane-only", DANE_ERROR, DANE_ERR_TRANSIENT, DANE_DANE_ONLY,
	  ACT_STALE, ACT_TEMP, 0, V_ANSWER, SM_OK, "dane-only" },
	{ "timeout, stale dane, sts", DANE_ERROR, DANE_ERR_TRANSIENT, DANE_DANE,
	  ACT_STALE, ACT_TEMP, 1, V_DANE_WEAK, SM_OK, "dane" },
	{ "timeout, stale no-dane", DANE_ERROR, DANE_ERR_TRANSIENT, DANE_NOINFO,
	  ACT_STALE, ACT_DANE, 0, V_NOINFO, SM_NOTFOUND, NULL },
	{ "timeout, stale none, fallback temp", DANE_ERROR, DANE_ERR_TRANSIENT, NONE_,
	  ACT_STALE, ACT_TEMP, 0, V_ANSWER, SM_TEMP, NULL },
	{ "timeout, stale none, fallback dane", DANE_ERROR, DANE_ERR_TRANSIENT, NONE_,
	  ACT_STALE, ACT_DANE, 0, V_ANSWER, SM_OK, "dane" },
	{ "timeout, stale none, fallback dane, sts", DANE_ERROR, DANE_ERR_TRANSIENT,
	  NONE_, ACT_STALE, ACT_DANE, 1, V_ANSWER, SM_TEMP, NULL },
};

/* A DANE result as the engine gets it, with its and a stale reason. */
static void
dane_result_set(struct dane_result *dr, enum dane_status st,
    enum dane_errclass err, enum dane_status stale)
{
	memset(dr, 0, sizeof(*dr));
	dr->status = st;
	dr->err = err;
	dr->stale_status = stale;
	snprintf(dr->reason, sizeof(dr->reason), "DANE reason");
	snprintf(dr->stale_reason, sizeof(dr->stale_reason), "stale reason");
}

START_TEST(test_decide)
{
	struct engine_policy pol = { .error_action = decide_cases[_i].act,
	    .stale_fallback = decide_cases[_i].fallback };
	struct dane_result dr;
	struct answer ans;
	enum verdict v;

	dane_result_set(&dr, decide_cases[_i].st, decide_cases[_i].err,
	    decide_cases[_i].stale);
	memset(&ans, 0, sizeof(ans));
	v = engine_decide_dane(&pol, &dr, decide_cases[_i].sts, &ans);
	ck_assert_msg(v == decide_cases[_i].v, "%s: verdict %d, want %d",
	    decide_cases[_i].name, v, decide_cases[_i].v);
	if (v == V_NOINFO)
		return;
	ck_assert_msg(ans.status == decide_cases[_i].want, "%s: status %d",
	    decide_cases[_i].name, ans.status);
	if (decide_cases[_i].text)
		ck_assert_str_eq(ans.text, decide_cases[_i].text);
	answer_clear(&ans);
}
END_TEST

/*
 * DANE against MTA-STS: engine_decide_dane(), then, as the engine does,
 * engine_decide_sts() when DANE held a dane answer or had nothing.  Only
 * dane-only (secure MX, every host usable) outranks an enforce policy;
 * no row answers less than before MTA-STS was asked (dane stays dane
 * without an enforce policy).
 */
#define STS_VALUE "secure match=mx.example.net servername=hostname"
#define ENF STS_ENFORCE
#define NOP STS_NOINFO

static const struct {
	const char *name;
	enum dane_status st;
	enum dane_errclass err;
	enum dane_status stale;
	enum sts_status sts;
	const char *sts_how;		/* why no policy applies */
	const char *source;		/* NULL: no answer (next source) */
	const char *text;
} prec_cases[] = {
	{ "dane-only beats enforce", DANE_DANE_ONLY, DANE_ERR_NONE, NONE_, ENF,
	  "", "dane", "dane-only" },
	{ "dane-only without MTA-STS", DANE_DANE_ONLY, DANE_ERR_NONE, NONE_, NOP,
	  "", "dane", "dane-only" },
	{ "dane (insecure MX or host without TLSA) yields to enforce", DANE_DANE,
	  DANE_ERR_NONE, NONE_, ENF, "", "mta-sts", STS_VALUE },
	{ "dane, no MTA-STS policy: dane", DANE_DANE, DANE_ERR_NONE, NONE_, NOP,
	  "", "dane", "dane" },
	{ "dane, first contact still fetching: dane", DANE_DANE, DANE_ERR_NONE,
	  NONE_, NOP, "first contact: policy fetch still running", "dane", "dane" },
	{ "dane, testing-mode policy (not enforced): dane", DANE_DANE,
	  DANE_ERR_NONE, NONE_, NOP, "testing", "dane", "dane" },
	{ "no DANE, enforce", DANE_NOINFO, DANE_ERR_NONE, NONE_, ENF, "",
	  "mta-sts", STS_VALUE },
	{ "no DANE, no MTA-STS: next source", DANE_NOINFO, DANE_ERR_NONE, NONE_,
	  NOP, "", NULL, NULL },
	{ "stale dane yields to enforce", DANE_ERROR, DANE_ERR_TRANSIENT,
	  DANE_DANE, ENF, "", "mta-sts", STS_VALUE },
	{ "stale dane-only beats enforce", DANE_ERROR, DANE_ERR_TRANSIENT,
	  DANE_DANE_ONLY, ENF, "", "dane", "dane-only" },
	{ "bogus stays TEMP", DANE_ERROR, DANE_ERR_BOGUS, NONE_, ENF, "",
	  "dane", "DANE lookup failed" },
};

START_TEST(test_precedence)
{
	struct engine_policy pol = { .error_action = ACT_STALE,
	    .stale_fallback = ACT_TEMP };
	struct dane_result dr;
	struct sts_result sr;
	struct answer ans;
	enum verdict v;

	dane_result_set(&dr, prec_cases[_i].st, prec_cases[_i].err,
	    prec_cases[_i].stale);
	memset(&sr, 0, sizeof(sr));
	memset(&ans, 0, sizeof(ans));
	sr.status = prec_cases[_i].sts;
	sr.value = sr.status == STS_ENFORCE ? STS_VALUE : NULL;
	sr.how = prec_cases[_i].sts_how;
	if (sr.status == STS_ENFORCE) {
		snprintf(sr.id, sizeof(sr.id), "id1");
		sr.mode = "enforce";
	}
	v = engine_decide_dane(&pol, &dr, sr.status == STS_ENFORCE, &ans);
	if (v != V_ANSWER)
		v = engine_decide_sts(&sr, v == V_DANE_WEAK, &ans);
	if (prec_cases[_i].source == NULL) {
		ck_assert_msg(v == V_NOINFO, "%s: answered %s", prec_cases[_i].name,
		    ans.text);
		return;
	}
	ck_assert_msg(v == V_ANSWER, "%s: no answer", prec_cases[_i].name);
	ck_assert_str_eq(ans.source, prec_cases[_i].source);
	ck_assert_str_eq(ans.text, prec_cases[_i].text);
	/* Outranking a dane answer says so; the reason keeps DANE's. */
	if (prec_cases[_i].st == DANE_DANE && v == V_ANSWER
	    && sr.status == STS_ENFORCE)
		ck_assert_msg(strstr(ans.reason, "outranks DANE's dane: DANE reason")
		    != NULL, "reason: %s", ans.reason);
	answer_clear(&ans);
}
END_TEST

START_TEST(test_target)
{
	struct key k;
	struct dane_target t;
	const char *why;

	ck_assert_int_eq(key_normalise("Example.COM.", 12, &k, &why), 0);
	ck_assert_int_eq(dane_target(&k, &t, &why), 0);
	ck_assert_str_eq(t.host, "example.com");
	ck_assert_int_eq(t.port, 25);
	ck_assert_int_eq(t.mx, 1);
	ck_assert_int_eq(key_normalise("[mail.example.net]:587", 22, &k, &why), 0);
	ck_assert_int_eq(dane_target(&k, &t, &why), 0);
	ck_assert_int_eq(t.port, 587);
	ck_assert_int_eq(t.mx, 0);
	ck_assert_int_eq(key_normalise("[192.0.2.1]", 11, &k, &why), 0);
	ck_assert_int_eq(dane_target(&k, &t, &why), -1);
}
END_TEST

static Suite *
dane_suite(void)
{
	Suite *s = suite_create("dane");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_scenarios, 0,
	    sizeof(scenarios) / sizeof(scenarios[0]));
	tcase_add_test(tc, test_many_hosts);
	tcase_add_loop_test(tc, test_mx_eval, 0,
	    sizeof(mxcases) / sizeof(mxcases[0]));
	tcase_add_loop_test(tc, test_tlsa_usable, 0,
	    sizeof(tlsa_cases) / sizeof(tlsa_cases[0]));
	tcase_add_loop_test(tc, test_decide, 0,
	    sizeof(decide_cases) / sizeof(decide_cases[0]));
	tcase_add_loop_test(tc, test_precedence, 0,
	    sizeof(prec_cases) / sizeof(prec_cases[0]));
	tcase_add_test(tc, test_target);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(dane_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
