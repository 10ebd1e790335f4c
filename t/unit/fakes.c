/* SPDX-License-Identifier: MIT */
/* The test ports: scripted DNS, a fake fetcher, a bounded loop runner. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "fakes.h"
#include "sts_policy.h"
#include "util.h"

uint64_t fake_dns_clock_ms = 1000000;

#define FAKE_MAX	64

struct script {
	char name[DNS_NAME_MAX];
	int type;
	enum dns_status st;
	int rcode, secure;
	uint32_t ttl;
	char *rrs;
	unsigned asked;
};

struct dns_query {
	struct fake_dns *f;
	struct script *sc;	/* NULL: NXDOMAIN */
	char name[DNS_NAME_MAX];
	int type;
	dns_cb cb;
	void *arg;
	struct loop_timer *t;
	struct dns_query *next;
};

struct fake_dns {
	struct loop *loop;
	struct script sc[FAKE_MAX];
	size_t n;
	struct dns_query *pending;
};

struct fake_dns *
fake_dns_new(struct loop *l)
{
	struct fake_dns *f = xcalloc(1, sizeof(*f));

	f->loop = l;
	return f;
}

static struct script *
find(struct fake_dns *f, const char *name, int type)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->sc[i].type == type && strcasecmp(f->sc[i].name, name) == 0)
			return &f->sc[i];
	return NULL;
}

void
fake_dns_set(struct fake_dns *f, const char *name, int type,
    enum dns_status st, int rcode, int secure, uint32_t ttl, const char *rrs)
{
	struct script *s = find(f, name, type);

	if (s == NULL) {
		ck_assert_uint_lt(f->n, FAKE_MAX);
		s = &f->sc[f->n++];
		snprintf(s->name, sizeof(s->name), "%s", name);
		s->type = type;
	}
	free(s->rrs);
	s->st = st;
	s->rcode = rcode;
	s->secure = secure;
	s->ttl = ttl;
	s->rrs = rrs ? xstrdup(rrs) : NULL;
}

unsigned
fake_dns_asked(const struct fake_dns *f, const char *name, int type)
{
	const struct script *s = find((struct fake_dns *)f, name, type);

	return s ? s->asked : 0;
}

/* The reply packet of a script: question, answer section from its text. */
static ldns_pkt *
build(const struct dns_query *q, const struct script *s)
{
	ldns_pkt *p = ldns_pkt_query_new(ldns_dname_new_frm_str(q->name),
	    (ldns_rr_type)q->type, LDNS_RR_CLASS_IN, LDNS_RD);
	char *text, *line, *save = NULL;

	ck_assert_ptr_nonnull(p);
	ldns_pkt_set_qr(p, 1);
	ldns_pkt_set_rcode(p, s ? (uint8_t)s->rcode : LDNS_RCODE_NXDOMAIN);
	if (s == NULL || s->rrs == NULL)
		return p;
	text = xstrdup(s->rrs);
	for (line = strtok_r(text, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		ldns_rr *rr = NULL;
		ck_assert_int_eq(ldns_rr_new_frm_str(&rr, line, s->ttl, NULL, NULL),
		    LDNS_STATUS_OK);
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	}
	free(text);
	return p;
}

static void
unlink_query(struct fake_dns *f, struct dns_query *q)
{
	for (struct dns_query **pp = &f->pending; *pp; pp = &(*pp)->next)
		if (*pp == q) {
			*pp = q->next;
			return;
		}
}

static void
deliver(struct loop *l, void *arg)
{
	struct dns_query *q = arg;
	struct script *s = q->sc;
	struct dns_result r;
	ldns_pkt *p = NULL;

	(void)l;
	unlink_query(q->f, q);
	memset(&r, 0, sizeof(r));
	r.status = s ? s->st : DNS_OK;
	if (r.status == DNS_OK) {
		p = build(q, s);
		r.rcode = ldns_pkt_get_rcode(p);
		r.secure = s ? s->secure : 0;
		r.ttl = s ? s->ttl : 300;
		r.pkt = p;
	}
	q->cb(q->arg, &r);
	ldns_pkt_free(p);
	free(q);
}

static struct dns_query *
fake_lookup(void *impl, const char *name, int type, dns_cb cb, void *arg)
{
	struct fake_dns *f = impl;
	struct dns_query *q = xcalloc(1, sizeof(*q));
	size_t len = strlen(name);

	snprintf(q->name, sizeof(q->name), "%s%s", name,
	    len > 0 && name[len - 1] == '.' ? "" : ".");
	q->f = f;
	q->sc = find(f, q->name, type);
	if (q->sc)
		q->sc->asked++;
	q->type = type;
	q->cb = cb;
	q->arg = arg;
	q->t = loop_timer(f->loop, 0, deliver, q);
	q->next = f->pending;
	f->pending = q;
	return q;
}

static void
fake_cancel(void *impl, struct dns_query *q)
{
	struct fake_dns *f = impl;

	unlink_query(f, q);
	loop_timer_cancel(f->loop, q->t);
	free(q);
}

static uint64_t
fake_now(void *impl)
{
	(void)impl;
	return fake_dns_clock_ms;
}

void
fake_dns_port(struct fake_dns *f, struct dns_port *p)
{
	/* flush stays NULL (does nothing): the fake has no cache. */
	*p = (struct dns_port){ .lookup = fake_lookup, .cancel = fake_cancel,
	    .now = fake_now, .impl = f };
}

void
fake_dns_free(struct fake_dns *f)
{
	if (f == NULL)
		return;
	while (f->pending)
		fake_cancel(f, f->pending);
	for (size_t i = 0; i < f->n; i++)
		free(f->sc[i].rrs);
	free(f);
}

/* The fetcher. */

struct freq {
	int id;
	char domain[256];
	fetch_cb cb;
	void *arg;
	struct loop_timer *t;
	struct fake_fetch *f;
};

struct fake_fetch {
	struct loop *loop;
	struct {
		char domain[256];
		char *policy, *error;
	} sc[FAKE_MAX];
	size_t n;
	struct freq *req[FAKE_MAX];	/* waiting, oldest first */
	size_t nreq;
	unsigned requests;
	int next_id;
};

struct fake_fetch *
fake_fetch_new(struct loop *l)
{
	struct fake_fetch *f = xcalloc(1, sizeof(*f));

	f->loop = l;
	f->next_id = 1;
	return f;
}

void
fake_fetch_script(struct fake_fetch *f, const char *domain,
    const char *policy, const char *error)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->sc[i].domain, domain) == 0)
			break;
	if (policy == NULL && error == NULL) {	/* unscripted: requests wait */
		if (i < f->n) {
			free(f->sc[i].policy);
			free(f->sc[i].error);
			f->sc[i] = f->sc[--f->n];
			memset(&f->sc[f->n], 0, sizeof(f->sc[0]));
		}
		return;
	}
	if (i == f->n) {
		ck_assert_uint_lt(f->n, FAKE_MAX);
		snprintf(f->sc[f->n++].domain, sizeof(f->sc[0].domain), "%s",
		    domain);
	}
	free(f->sc[i].policy);
	free(f->sc[i].error);
	f->sc[i].policy = policy ? xstrdup(policy) : NULL;
	f->sc[i].error = error ? xstrdup(error) : NULL;
}

static int
script_of(const struct fake_fetch *f, const char *domain)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->sc[i].domain, domain) == 0)
			return (int)i;
	return -1;
}

static void
req_drop(struct fake_fetch *f, struct freq *r)
{
	for (size_t i = 0; i < f->nreq; i++)
		if (f->req[i] == r) {
			memmove(&f->req[i], &f->req[i + 1],
			    (f->nreq - i - 1) * sizeof(f->req[0]));
			f->nreq--;
			break;
		}
	loop_timer_cancel(f->loop, r->t);
	free(r);
}

/* Answer r from the script: the policy as the fetcher sends it. */
static void
answer(struct fake_fetch *f, struct freq *r)
{
	int i = script_of(f, r->domain);
	struct fetch_result fr;
	struct sts_policy p;
	char err[200], domain[256];
	fetch_cb cb = r->cb;
	void *arg = r->arg;

	memset(&fr, 0, sizeof(fr));
	memcpy(domain, r->domain, sizeof(domain));
	fr.domain = domain;
	fr.error = "sts-policy-fetch-error";
	fr.detail = i >= 0 && f->sc[i].error ? f->sc[i].error : "no script";
	if (i >= 0 && f->sc[i].policy != NULL) {
		ck_assert_int_eq(sts_policy_parse(f->sc[i].policy,
		    strlen(f->sc[i].policy), &p, err, sizeof(err)), 0);
		fr.ok = 1;
		fr.policy = sts_policy_to_json(&p);
		sts_policy_free(&p);
	}
	r->t = NULL;
	req_drop(f, r);
	cb(arg, &fr);
	json_decref(fr.policy);
}

static void
answer_timer(struct loop *l, void *arg)
{
	struct freq *r = arg;

	(void)l;
	r->t = NULL;
	answer(r->f, r);
}

static int
fake_fetch(void *impl, const char *domain, const char *policy_id, int force,
    fetch_cb cb, void *arg)
{
	struct fake_fetch *f = impl;
	struct freq *r = xcalloc(1, sizeof(*r));

	(void)policy_id;
	(void)force;
	ck_assert_uint_lt(f->nreq, FAKE_MAX);
	r->id = f->next_id++;
	snprintf(r->domain, sizeof(r->domain), "%s", domain);
	r->cb = cb;
	r->arg = arg;
	r->f = f;
	f->req[f->nreq++] = r;
	f->requests++;
	if (script_of(f, domain) >= 0)
		r->t = loop_timer(f->loop, 0, answer_timer, r);
	return r->id;
}

static void
fake_fetch_cancel(void *impl, int id)
{
	struct fake_fetch *f = impl;

	for (size_t i = 0; i < f->nreq; i++)
		if (f->req[i]->id == id) {
			req_drop(f, f->req[i]);
			return;
		}
}

unsigned
fake_fetch_requests(const struct fake_fetch *f)
{
	return f->requests;
}

unsigned
fake_fetch_waiting(const struct fake_fetch *f)
{
	return (unsigned)f->nreq;
}

void
fake_fetch_reply(struct fake_fetch *f)
{
	ck_assert_uint_gt(f->nreq, 0);
	answer(f, f->req[0]);
}

void
fake_fetch_port(struct fake_fetch *f, struct fetch_port *p)
{
	p->fetch = fake_fetch;
	p->cancel = fake_fetch_cancel;
	p->impl = f;
}

void
fake_fetch_free(struct fake_fetch *f)
{
	if (f == NULL)
		return;
	while (f->nreq > 0)
		req_drop(f, f->req[0]);
	for (size_t i = 0; i < f->n; i++) {
		free(f->sc[i].policy);
		free(f->sc[i].error);
	}
	free(f);
}

/* The loop runner. */

struct until {
	struct loop *l;
	int (*pred)(void *);
	void *arg;
	long left;
	struct loop_timer *t;
};

static void
until_tick(struct loop *l, void *arg)
{
	struct until *u = arg;

	u->t = NULL;
	if (u->pred(u->arg) || u->left-- <= 0) {
		loop_stop(l);
		return;
	}
	u->t = loop_timer(l, 1, until_tick, u);
}

int
run_until(struct loop *l, int (*pred)(void *), void *arg, long max_ms)
{
	struct until u = { l, pred, arg, max_ms, NULL };

	if (pred(arg))
		return 1;
	u.t = loop_timer(l, 0, until_tick, &u);
	loop_run(l);
	loop_timer_cancel(l, u.t);
	return pred(arg);
}
