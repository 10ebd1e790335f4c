/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the DANE decision over recorded answers, as dane_query() drives
 * it: dane_eval() asks for (name, type) pairs, each is answered from the
 * input (fuzz_dns.h: the message with that question, else the next
 * one; a timeout when none is left), until it decides.  The first input
 * byte chooses the target: the domain example.com (MX lookup) or the
 * next-hop [mx1.example.com]:25.  Invariants: it decides within a
 * bounded number of rounds; dane-only needs a validated MX answer;
 * dane_mx_eval() is pure (two calls agree).
 */
#include "config.h"

#include "dane_walk.h"
#include "domain.h"
#include "fuzz.h"
#include "fuzz_dns.h"

#define MAX_MSGS	64
#define MAX_ROUNDS	16

static void
record(struct dane_answers *as, struct fuzz_msg *m, size_t nm,
    const struct dane_need *need)
{
	ldns_pkt *pkt = fuzz_answer(m, nm, need->name, need->type);
	struct dns_result r;

	memset(&r, 0, sizeof(r));
	r.status = pkt != NULL ? DNS_OK : DNS_TIMEOUT;
	if (pkt != NULL) {
		r.rcode = ldns_pkt_get_rcode(pkt);
		r.secure = ldns_pkt_ad(pkt);
		r.ttl = dns_pkt_ttl(pkt);
		r.pkt = pkt;
	}
	dane_answers_add(as, need->name, need->type, &r);
	ldns_pkt_free(pkt);
}

static void
check_mx(const struct dane_target *t, const struct dane_answers *as,
    const struct dane_result *res)
{
	struct dane_mx *a = dane_mx_eval(t, as), *b = dane_mx_eval(t, as);

	FUZZ_CHECK(a != NULL && b != NULL);
	FUZZ_CHECK(a->kind == b->kind && a->secure == b->secure && a->n == b->n);
	if (res->status == DANE_DANE_ONLY)
		FUZZ_CHECK(a->secure);
	for (size_t i = 0; i < a->n; i++) {
		FUZZ_CHECK(strcmp(a->h[i].name, b->h[i].name) == 0);
		(void)dane_hstate_name(a->h[i].state);
	}
	(void)dane_mx_kind_name(a->kind);
	dane_mx_free(a);
	dane_mx_free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "example.com", "[mx1.example.com]:25" };
	struct fuzz_msg m[MAX_MSGS];
	struct dane_need need[DANE_MAX_NEED];
	struct dane_result res;
	struct dane_target t;
	struct dane_answers *as;
	struct key k;
	const char *why;
	size_t nm, nneed = 0;
	int done = 0, round;

	if (size == 0)
		return 0;
	FUZZ_CHECK(key_normalise(keys[data[0] & 1], strlen(keys[data[0] & 1]),
	    &k, &why) == 0);
	FUZZ_CHECK(dane_target(&k, &t, &why) == 0);
	nm = fuzz_msgs(data + 1, size - 1, m, MAX_MSGS);
	as = dane_answers_new();
	for (round = 0; round < MAX_ROUNDS && !done; round++) {
		memset(&res, 0, sizeof(res));
		done = dane_eval(&t, as, &res, need, DANE_MAX_NEED, &nneed);
		if (done)
			break;
		FUZZ_CHECK(nneed > 0 && nneed <= DANE_MAX_NEED);
		for (size_t i = 0; i < nneed; i++)
			record(as, m, nm, &need[i]);
	}
	FUZZ_CHECK(done);
	FUZZ_CHECK(res.status <= DANE_ERROR);
	if (getenv("FUZZ_VERBOSE") != NULL)	/* for checking seeds */
		fprintf(stderr, "%s: %s (%s)\n", k.name,
		    dane_status_name(res.status), res.reason);
	check_mx(&t, as, &res);
	dane_answers_free(as);
	return 0;
}
