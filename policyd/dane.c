/* SPDX-License-Identifier: MIT */
/*
 * dane - the DANE source of the decision engine: dane_eval() (dane_walk.h)
 * run against DNS, with a per-target result cache.  See dane.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dane.h"
#include "htable.h"
#include "log.h"
#include "util.h"

#define MAX_ROUNDS	8		/* dane_eval() rounds for one walk */

/*
 * The asynchronous driver, and the per-target result cache.
 */

struct dentry {
	char *key;
	struct dane_result res;
	uint64_t expires;		/* ms */
	int have_good;
	struct dane_result good;	/* last non-error result */
	uint64_t good_expires;
	struct dane_mx *mx, *good_mx;	/* owned; may be the same */
	struct dentry *prev, *next;	/* most recent first */
};

struct lookup {
	struct dane_req *req;
	struct dns_query *q;
	char name[DNS_NAME_MAX];
	int type;
};

struct dane_req {
	struct dane *dn;
	struct dane_target t;
	char key[DNS_NAME_MAX + 16];
	struct dane_answers *as;
	struct lookup *lk[DANE_MAX_NEED];
	int nlk, rounds;
	struct loop_timer *budget;
	dane_cb cb;
	void *arg;
	struct dane_req *prev, *next;
};

struct dane {
	struct loop *loop;
	struct dns_port dns;
	struct dane_config cf;
	struct htable *cache;
	struct dentry *head, *tail;
	struct dane_req *reqs;
	unsigned long queries, hits;	/* for status */
};

struct dane *
dane_new(struct loop *l, const struct dns_port *d,
    const struct dane_config *cf)
{
	struct dane *dn = xcalloc(1, sizeof(*dn));

	dn->loop = l;
	dn->dns = *d;
	dn->cf = *cf;
	if (dn->cf.cache_size == 0)
		dn->cf.cache_size = 1;
	dn->cache = htable_new(1024);
	return dn;
}

static void
dentry_unlink(struct dane *dn, struct dentry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		dn->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		dn->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
dentry_front(struct dane *dn, struct dentry *e)
{
	e->next = dn->head;
	if (dn->head)
		dn->head->prev = e;
	dn->head = e;
	if (dn->tail == NULL)
		dn->tail = e;
}

static void
dentry_drop(struct dane *dn, struct dentry *e)
{
	dentry_unlink(dn, e);
	htable_del(dn->cache, e->key);
	if (e->good_mx != e->mx)
		dane_mx_free(e->good_mx);
	dane_mx_free(e->mx);
	free(e->key);
	free(e);
}

static struct dentry *
dentry_get(struct dane *dn, const char *key, int create)
{
	struct dentry *e = htable_get(dn->cache, key);

	if (e != NULL) {
		dentry_unlink(dn, e);
		dentry_front(dn, e);
		return e;
	}
	if (!create)
		return NULL;
	while (htable_count(dn->cache) >= dn->cf.cache_size && dn->tail)
		dentry_drop(dn, dn->tail);
	e = xcalloc(1, sizeof(*e));
	e->key = xstrdup(key);
	htable_put(dn->cache, key, e);
	dentry_front(dn, e);
	return e;
}

/*
 * Expire cached results for a domain or host (every port, MX or [host]
 * form), or all of them for NULL, so the next query looks again.  The
 * last good result is kept for dns_error_action = stale and counts as
 * expired now: an admin's flush during a resolver outage must not take
 * away the fallback.  Lookups in flight are not affected.
 */
void
dane_flush(struct dane *dn, const char *host)
{
	uint64_t now = dns_port_now(&dn->dns);
	size_t hl = host ? strlen(host) : 0;

	for (struct dentry *e = dn->head; e; e = e->next) {
		const char *k = e->key;
		if (strncmp(k, "[]", 2) == 0)
			k += 2;
		if (host != NULL && (strncmp(k, host, hl) != 0 || k[hl] != ':'))
			continue;
		e->expires = 0;
		if (e->have_good && e->good_expires > now)
			e->good_expires = now;
	}
}

/* Attach the last good result to an error, if young enough. */
static void
attach_stale(struct dane *dn, const struct dentry *e, struct dane_result *res)
{
	uint64_t now = dns_port_now(&dn->dns);

	res->stale_status = DANE_ERROR;
	res->stale_mx = NULL;
	if (res->status != DANE_ERROR || e == NULL || !e->have_good)
		return;
	if (now >= e->good_expires + (uint64_t)dn->cf.stale_max * 1000)
		return;
	res->stale_status = e->good.status;
	res->stale_mx = e->good_mx;
	snprintf(res->stale_reason, sizeof(res->stale_reason), "%s",
	    e->good.reason);
}

/* Store a result and what the walk saw; the entry takes mx over. */
static void
cache_store(struct dane *dn, const char *key, struct dane_result *res,
    struct dane_mx *mx)
{
	struct dentry *e = dentry_get(dn, key, 1);
	uint64_t now = dns_port_now(&dn->dns);
	struct dane_mx *old = e->mx, *old_good = e->good_mx;

	res->mx = mx;
	e->res = *res;
	e->mx = mx;
	e->expires = now + (uint64_t)res->ttl * 1000;
	if (res->status != DANE_ERROR) {
		e->have_good = 1;
		e->good = *res;
		e->good_mx = mx;
		e->good_expires = e->expires;
	}
	if (old != NULL && old != e->mx && old != e->good_mx)
		dane_mx_free(old);
	if (old_good != NULL && old_good != old && old_good != e->mx
	    && old_good != e->good_mx)
		dane_mx_free(old_good);
}

static void
req_cancel_lookups(struct dane_req *r)
{
	for (int i = 0; i < r->nlk; i++) {
		dns_port_cancel(&r->dn->dns, r->lk[i]->q);
		free(r->lk[i]);
	}
	r->nlk = 0;
}

static void
req_free(struct dane_req *r)
{
	struct dane *dn = r->dn;

	req_cancel_lookups(r);
	loop_timer_cancel(dn->loop, r->budget);
	if (r->prev)
		r->prev->next = r->next;
	else
		dn->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	dane_answers_free(r->as);
	free(r);
}

static void
req_complete(struct dane_req *r, struct dane_result *res)
{
	struct dane *dn = r->dn;
	dane_cb cb = r->cb;
	void *arg = r->arg;

	if (dn->cf.report != NULL && r->t.mx && res->status == DANE_ERROR
	    && res->err == DANE_ERR_BOGUS)
		dn->cf.report(dn->cf.report_arg, r->t.host, "dnssec-invalid",
		    res->reason);
	cache_store(dn, r->key, res, dane_mx_eval(&r->t, r->as));
	attach_stale(dn, htable_get(dn->cache, r->key), res);
	log_debug("dane %s: %s: %s", r->key, dane_status_name(res->status),
	    res->reason);
	req_free(r);
	cb(arg, res);
}

static void req_step(struct dane_req *r);

static void
lookup_done(void *arg, const struct dns_result *dr)
{
	struct lookup *lk = arg;
	struct dane_req *r = lk->req;

	dane_answers_add(r->as, lk->name, lk->type, dr);
	for (int i = 0; i < r->nlk; i++) {
		if (r->lk[i] == lk) {
			r->lk[i] = r->lk[--r->nlk];
			break;
		}
	}
	free(lk);
	if (r->nlk == 0)
		req_step(r);
}

static void
req_step(struct dane_req *r)
{
	struct dane_need need[DANE_MAX_NEED];
	struct dane_result res;
	size_t n;

	if (dane_eval(&r->t, r->as, &res, need, DANE_MAX_NEED, &n) == 1) {
		req_complete(r, &res);
		return;
	}
	if (++r->rounds > MAX_ROUNDS) {
		memset(&res, 0, sizeof(res));
		res.status = DANE_ERROR;
		res.err = DANE_ERR_BOGUS;
		res.ttl = DANE_TEMP_TTL;
		snprintf(res.reason, sizeof(res.reason), "too many lookup rounds");
		req_complete(r, &res);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct lookup *lk = xcalloc(1, sizeof(*lk));

		lk->req = r;
		memcpy(lk->name, need[i].name, sizeof(lk->name));
		lk->type = need[i].type;
		r->lk[r->nlk++] = lk;
	}
	/* Start them only now: the array is complete when answers come. */
	for (int i = 0; i < r->nlk; i++)
		r->lk[i]->q = dns_port_lookup(&r->dn->dns, r->lk[i]->name,
		    r->lk[i]->type, lookup_done, r->lk[i]);
}

static void
budget_expired(struct loop *l, void *arg)
{
	struct dane_req *r = arg;
	struct dane_result res;

	(void)l;
	r->budget = NULL;
	memset(&res, 0, sizeof(res));
	res.status = DANE_ERROR;
	res.err = DANE_ERR_TRANSIENT;
	res.ttl = DANE_TEMP_TTL;
	snprintf(res.reason, sizeof(res.reason),
	    "DNS lookups took longer than %ld ms", r->dn->cf.query_timeout_ms);
	req_complete(r, &res);
}

/*
 * The cache key of a target: "[]host:port" for a [host] next-hop, else
 * "host:port" (cap: DNS_NAME_MAX + 16).  By hand: snprintf cost about
 * 1,200 instructions, a tenth of a cached answer.
 */
static void
cache_key(const struct dane_target *t, char *key, size_t cap)
{
	char num[12];
	size_t n = 0, hl = strlen(t->host), dl = 0;
	unsigned v = t->port > 0 ? (unsigned)t->port : 0;

	do {
		num[sizeof(num) - 1 - dl++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0 && dl < sizeof(num));
	if (hl + dl + 4 > cap)
		hl = cap - dl - 4;	/* cannot be: host < DNS_NAME_MAX */
	if (!t->mx) {
		key[n++] = '[';
		key[n++] = ']';
	}
	memcpy(key + n, t->host, hl);
	n += hl;
	key[n++] = ':';
	memcpy(key + n, num + sizeof(num) - dl, dl);
	n += dl;
	key[n] = '\0';
}

struct dane_req *
dane_query(struct dane *dn, const struct dane_target *t, dane_cb cb,
    void *arg, struct dane_result *res)
{
	struct dane_req *r;
	struct dentry *e;
	struct dane_answers *as;
	struct dane_need need[DANE_MAX_NEED];
	size_t n;
	char key[DNS_NAME_MAX + 16];

	cache_key(t, key, sizeof(key));
	e = dentry_get(dn, key, 0);
	dn->queries++;
	if (e != NULL && dns_port_now(&dn->dns) < e->expires) {
		dn->hits++;
		*res = e->res;
		res->mx = e->mx;
		attach_stale(dn, e, res);
		return NULL;
	}
	/* A target decided without DNS is answered now, not re-entrantly. */
	as = dane_answers_new();
	if (dane_eval(t, as, res, need, DANE_MAX_NEED, &n) == 1) {
		dane_answers_free(as);
		attach_stale(dn, NULL, res);
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	r->dn = dn;
	r->t = *t;
	memcpy(r->key, key, sizeof(r->key));
	r->as = as;
	r->cb = cb;
	r->arg = arg;
	r->next = dn->reqs;
	if (dn->reqs)
		dn->reqs->prev = r;
	dn->reqs = r;
	r->budget = loop_timer(dn->loop, (uint64_t)dn->cf.query_timeout_ms,
	    budget_expired, r);
	req_step(r);		/* only starts lookups: answers come later */
	return r;
}

void
dane_cancel(struct dane *dn, struct dane_req *r)
{
	(void)dn;
	if (r != NULL)
		req_free(r);
}

void
dane_free(struct dane *dn)
{
	if (dn == NULL)
		return;
	while (dn->reqs)
		req_free(dn->reqs);
	while (dn->head)
		dentry_drop(dn, dn->head);
	htable_free(dn->cache, NULL);
	free(dn);
}

void
dane_stats(const struct dane *dn, unsigned long *queries, unsigned long *hits,
    size_t *cached)
{
	*queries = dn->queries;
	*hits = dn->hits;
	*cached = htable_count(dn->cache);
}
