/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the local DNSSEC validator, dnssec_validate(), with the whole
 * walk.  The input is a sequence of DNS messages (fuzz_dns.h): the first
 * is the answer to validate, for its own question; the others answer
 * the validator's DNSKEY and DS lookups (the message with that question,
 * else the next one; a failed lookup when none is left).  The trust
 * anchor is the DS of the fixed key seedgen.c signs the seeds with, the
 * clock FUZZ_NOW.  Invariants: a verdict always comes, exactly once,
 * within a bounded number of lookups; an answer without any RRSIG in
 * a signed zone is never secure; the work caps hold.
 */
#include "config.h"

#include "dnssec.h"
#include "fuzz.h"
#include "fuzz_dns.h"

#define FUZZ_NOW	((time_t)1700000000)
#define MAX_MSGS	64
#define MAX_FETCHES	64

static const char anchor[] = "test. IN DS 24669 13 2 "
    "0413c73d6c8619baf159b2d9e6b23d5e20e0e5a1cc09d273734b9618469969ad\n";

struct lookup {
	char name[256];
	int type, live;
	dnssec_fetch_cb cb;
	void *arg;
};

/* One input's fake resolver: lookups queue up, run() answers them. */
struct world {
	struct fuzz_msg m[MAX_MSGS];
	size_t nm;
	struct lookup q[MAX_FETCHES];
	int nq;
};

static void *
fake_fetch(void *ctx, const char *name, int type, dnssec_fetch_cb cb, void *arg)
{
	struct world *w = ctx;
	struct lookup *l;

	FUZZ_CHECK(w->nq < MAX_FETCHES);
	l = &w->q[w->nq++];
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->type = type;
	l->cb = cb;
	l->arg = arg;
	l->live = 1;
	return l;
}

static void
fake_cancel(void *ctx, void *h)
{
	(void)ctx;
	((struct lookup *)h)->live = 0;
}

static time_t
fake_now(void *ctx)
{
	(void)ctx;
	return FUZZ_NOW;
}

static void
run(struct world *w)
{
	for (int i = 0; i < w->nq; i++) {
		struct lookup *l = &w->q[i];
		ldns_pkt *p;

		if (!l->live)
			continue;
		l->live = 0;
		p = fuzz_answer(w->m, w->nm, l->name, l->type);
		l->cb(l->arg, p, p != NULL ? NULL : "no answer");
		ldns_pkt_free(p);
	}
}

struct outcome {
	int calls;
	enum dnssec_verdict v;
};

static void
done(void *arg, enum dnssec_verdict v, const char *why)
{
	struct outcome *o = arg;

	(void)why;
	o->calls++;
	o->v = v;
}

/* Whether the answer section holds any RRSIG. */
static int
has_rrsig(const ldns_pkt *p)
{
	const ldns_rr_list *an = ldns_pkt_answer(p);

	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(an, i)) == LDNS_RR_TYPE_RRSIG)
			return 1;
	return 0;
}

static void
validate(struct world *w, const ldns_pkt *pkt)
{
	struct dnssec_io io = { fake_fetch, fake_cancel, fake_now, w };
	struct outcome o = { 0, DNSSEC_PENDING };
	struct dnssec_anchors *a;
	struct dnssec *val;
	struct dnssec_job *job = NULL;
	char err[200], why[300], *qname;
	ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
	enum dnssec_verdict v;

	a = dnssec_anchors_parse(anchor, strlen(anchor), err, sizeof(err));
	FUZZ_CHECK(a != NULL);
	val = dnssec_new(a, &io);
	qname = ldns_rdf2str(ldns_rr_owner(q));
	FUZZ_CHECK(qname != NULL);
	v = dnssec_validate(val, pkt, qname, ldns_rr_get_type(q), done, &o, &job,
	    why, sizeof(why));
	if (v == DNSSEC_PENDING) {
		FUZZ_CHECK(job != NULL);
		run(w);
		FUZZ_CHECK(o.calls == 1);
		v = o.v;
	} else {
		FUZZ_CHECK(job == NULL && o.calls == 0);
	}
	FUZZ_CHECK(v == DNSSEC_SECURE || v == DNSSEC_INSECURE || v == DNSSEC_BOGUS);
	if (v == DNSSEC_SECURE && ldns_pkt_get_rcode(pkt) == LDNS_RCODE_NOERROR
	    && ldns_rr_list_rr_count(ldns_pkt_answer(pkt)) > 0)
		FUZZ_CHECK(has_rrsig(pkt));
	FUZZ_CHECK(dnssec_stats(val)->checks <= DNSSEC_MAX_QUERY_CHECKS);
	if (getenv("FUZZ_VERBOSE") != NULL)	/* for checking seeds */
		fprintf(stderr, "%s: %s\n", qname, dnssec_verdict_name(v));
	free(qname);
	dnssec_free(val);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct world *w = calloc(1, sizeof(*w));
	ldns_pkt *pkt = NULL;

	FUZZ_CHECK(w != NULL);
	w->nm = fuzz_msgs(data, size, w->m, MAX_MSGS);
	if (w->nm > 0 && ldns_wire2pkt(&pkt, w->m[0].p, w->m[0].n)
	    == LDNS_STATUS_OK && ldns_rr_list_rr_count(ldns_pkt_question(pkt)) > 0) {
		w->m[0].used = 1;
		validate(w, pkt);
	}
	ldns_pkt_free(pkt);
	free(w);
	return 0;
}
