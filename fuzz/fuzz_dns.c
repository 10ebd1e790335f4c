/* SPDX-License-Identifier: MIT */
/*
 * Fuzz a DNS reply as the stub resolver takes it in: dns_reply_check()
 * against the question it asks (the reply's own question, so that the
 * checks after matching are reached; a fixed one when there is none),
 * then the TTL, the Extended DNS Error, the cache and the TLSA records
 * as DANE judges them.  Invariants: an accepted reply is a response
 * with exactly that question; the cache gives back the reply it was
 * given for no longer than its limit.
 */
#include "config.h"

#include "dane_walk.h"
#include "dns.h"
#include "fuzz.h"

#define MAX_TTL	3600

static void
check_cache(const ldns_pkt *pkt, const char *name, int type)
{
	struct dns_cache *c = dns_cache_new(4, MAX_TTL);
	const ldns_pkt *got;
	uint32_t left = 0;

	dns_cache_put(c, name, type, pkt, 1000);
	got = dns_cache_get(c, name, type, 1000, &left);
	if (got != NULL) {
		FUZZ_CHECK(left <= MAX_TTL);
		FUZZ_CHECK(ldns_pkt_get_rcode(got) == ldns_pkt_get_rcode(pkt));
	}
	FUZZ_CHECK(dns_cache_get(c, name, type,
	    1000 + (MAX_TTL + 1) * 1000ULL, &left) == NULL);
	dns_cache_flush(c, NULL);
	FUZZ_CHECK(dns_cache_count(c) == 0);
	dns_cache_free(c);
}

static void
check_reply(const ldns_pkt *pkt, const char *name, int type)
{
	const ldns_rr_list *an = ldns_pkt_answer(pkt);

	FUZZ_CHECK(ldns_pkt_qr(pkt) && ldns_pkt_qdcount(pkt) == 1);
	(void)dns_pkt_ttl(pkt);
	(void)dns_pkt_ede(pkt);
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++)
		(void)dane_tlsa_usable(ldns_rr_list_rr(an, i));
	check_cache(pkt, name, type);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ldns_pkt *pre = NULL, *pkt = NULL;
	ldns_rdf *qname = NULL;
	uint16_t id = 4242;
	int qtype = LDNS_RR_TYPE_MX;
	char err[200], *name;

	if (ldns_wire2pkt(&pre, data, size) == LDNS_STATUS_OK) {
		id = ldns_pkt_id(pre);
		if (ldns_rr_list_rr_count(ldns_pkt_question(pre)) > 0) {
			ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(pre), 0);

			qname = ldns_rdf_clone(ldns_rr_owner(q));
			qtype = ldns_rr_get_type(q);
		}
	}
	if (qname == NULL)
		qname = ldns_dname_new_frm_str("example.com.");
	if (dns_reply_check(data, size, id, qname, qtype, &pkt, err,
	    sizeof(err)) == 0) {
		name = ldns_rdf2str(qname);
		FUZZ_CHECK(name != NULL);
		check_reply(pkt, name, qtype);
		free(name);
		ldns_pkt_free(pkt);
	} else {
		FUZZ_CHECK(pkt == NULL && err[0] != '\0');
	}
	ldns_rdf_deep_free(qname);
	ldns_pkt_free(pre);
	return 0;
}
