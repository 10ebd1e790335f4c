/* SPDX-License-Identifier: MIT */
/*
 * sts.c - MTA-STS domain state and decisions: the cached policy of each
 * domain, its store reads, queries and their completion, fetches and
 * their results.  Discovery (TXT, CNAME) is in sts_discover.c, refresh
 * scheduling and the memory sweep in sts_refresh.c, the store's
 * write-behind queue in lib/store_wb.c.  See sts.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain.h"
#include "htable.h"
#include "log.h"
#include "sts_int.h"
#include "sts_policy.h"
#include "util.h"

static void
drop_policy(struct sdom *d)
{
	d->id[0] = '\0';
	free(d->value);
	free(d->value_rpt);
	free(d->value_may);
	d->value = d->value_rpt = d->value_may = NULL;
	sts_policy_free(&d->pol);
	d->fetched_at = d->expires_at = 0;
}

/*
 * A testing-mode policy's "may" form for the TLSRPT map: its TLSRPT
 * attributes after "may servername=hostname" (no match=: Postfix
 * refuses it at may).  NULL when the policy has no attributes.  Shorter
 * than value_rpt ("may" replaces "secure match=..."), so within
 * STS_POSTFIX_MAX, the socketmap reply limit, as value_rpt is.
 */
static char *
may_form(const char *value_rpt)
{
	const char *attrs = strstr(value_rpt, " policy_type=");
	size_t n;
	char *v;

	if (attrs == NULL)
		return NULL;
	n = sizeof("may servername=hostname") - 1;
	v = xmalloc(n + strlen(attrs) + 1);
	memcpy(v, "may servername=hostname", n);
	strcpy(v + n, attrs);
	return v;
}

/* Install a validated policy as the domain's cached one; its mx
 * patterns move to the domain. */
static void
set_policy(struct sdom *d, const char *id, struct sts_policy *p,
    int64_t fetched_at, int64_t expires_at)
{
	const char *why = NULL;

	drop_policy(d);
	snprintf(d->id, sizeof(d->id), "%s", id);
	d->mode = p->mode;
	d->max_age = p->max_age;
	d->fetched_at = fetched_at;
	d->expires_at = expires_at;
	if (p->nmx > 0) {
		d->value = sts_policy_to_postfix(p, d->domain, 0, NULL);
		d->value_rpt = sts_policy_to_postfix(p, d->domain, 1, &why);
		if (why)
			log_warn("domain=%s MTA-STS policy sent without TLSRPT "
			    "attributes: %s", d->domain, why);
		if (p->mode == STS_MODE_TESTING)
			d->value_may = may_form(d->value_rpt);
	}
	d->pol.mx = p->mx;
	d->pol.nmx = p->nmx;
	p->mx = NULL;
	p->nmx = 0;
}

/* Keep a copy of the last error, or none for "". */
static void
set_last_error(struct sdom *d, const char *text)
{
	free(d->last_error);
	d->last_error = *text ? xstrdup(text) : NULL;
}

/*
 * Store writes go through the write-behind queue (store_wb.h): at most
 * STS_WB_DELAY_MS after the first one waits, they are written in one.
 */
static void
wb_flush(struct sts *s)
{
	loop_timer_cancel(s->loop, s->wb_timer);
	s->wb_timer = NULL;
	store_wb_flush(s->wb);
}

static void
wb_timer_fn(struct loop *l, void *arg)
{
	struct sts *s = arg;

	(void)l;
	s->wb_timer = NULL;
	store_wb_flush(s->wb);
}

/* Queue *e for the store; its policy text moves to the queue. */
void
sts_store_put(struct sts *s, struct store_entry *e)
{
	store_wb_put(s->wb, e);
	if (s->wb_timer == NULL)
		s->wb_timer = loop_timer(s->loop, STS_WB_DELAY_MS, wb_timer_fn,
		    s);
}

/*
 * A store read failed: the domain stays unloaded (its queries get
 * STS_TEMP) and is read again, at the earliest, after a back-off that
 * doubles from 1 s to STS_LOAD_RETRY_MAX.  One log line per
 * STS_LOAD_LOG_EVERY seconds, counting the failures it did not log.
 */
static void
load_failed(struct sdom *d, int64_t t)
{
	struct sts *s = d->s;
	int64_t wait = (int64_t)1 << (d->load_failures < 6 ? d->load_failures : 6);

	if (wait > STS_LOAD_RETRY_MAX)
		wait = STS_LOAD_RETRY_MAX;
	d->load_failures++;
	d->load_retry_at = t + wait;
	s->st.store_failures++;
	if (s->load_log_at != 0 && t < s->load_log_at + STS_LOAD_LOG_EVERY) {
		s->load_unlogged++;
		return;
	}
	log_err("domain=%s MTA-STS policy store read failed; answering TEMP, "
	    "next read in %llds (%lu other read failures since the last such "
	    "line)", d->domain, (long long)wait, s->load_unlogged);
	s->load_log_at = t;
	s->load_unlogged = 0;
}

/*
 * Read the store once per domain; drop an expired policy.  A failed
 * read is not "nothing stored": load_failed() keeps the domain unloaded
 * and retries later.
 */
static void
load(struct sdom *d)
{
	struct sts *s = d->s;
	struct store_entry e;
	struct sts_policy p;
	char err[256];
	int64_t t;
	int rc;

	if (d->loaded)
		return;
	t = sts_now(s);
	if (d->load_failures > 0 && t < d->load_retry_at)
		return;
	memset(&e, 0, sizeof(e));
	rc = s->store == NULL ? 0 : s->fleet ? fleet_load(s, d->domain, &e)
	    : store_wb_get(s->wb, d->domain, &e);
	if (rc < 0) {
		load_failed(d, t);
		return;
	}
	d->loaded = 1;
	if (d->load_failures > 0)
		log_notice("domain=%s MTA-STS policy store read again after %u "
		    "failure%s", d->domain, d->load_failures,
		    d->load_failures == 1 ? "" : "s");
	d->load_failures = 0;
	if (rc == 0)
		return;
	if (e.expires_at <= sts_now(s)) {
		log_notice("domain=%s MTA-STS policy id=%s expired; dropped",
		    d->domain, e.id);
		store_wb_del(s->wb, d->domain);
	} else if (sts_policy_from_json_text(e.policy, strlen(e.policy), &p,
	    err, sizeof(err)) < 0) {
		log_warn("domain=%s stored MTA-STS policy refused: %s", d->domain,
		    err);
	} else {
		set_policy(d, e.id, &p, e.fetched_at, e.expires_at);
		d->last_used = e.last_used;
		sts_policy_free(&p);
	}
	set_last_error(d, e.last_error);
	store_entry_clear(&e);
}

struct sdom *
sdom_get(struct sts *s, const char *domain, int create)
{
	struct sdom *d = htable_get(s->doms, domain);

	if (d == NULL && create) {
		/*
		 * Bound memory: domains without a policy are cheap to forget.
		 * The sweep walks the whole table, so it runs again only after
		 * another quarter of the cap has been added: when every domain
		 * has a policy it frees nothing, and a sweep per new domain
		 * would make each first lookup slower as the table grows.
		 */
		if (htable_count(s->doms) >= s->sweep_at && !s->sweeping) {
			sts_sweep(s, 0);
			s->sweep_at = htable_count(s->doms) + STS_MAX_DOMAINS / 4;
			if (s->sweep_at < STS_MAX_DOMAINS)
				s->sweep_at = STS_MAX_DOMAINS;
		}
		d = xcalloc(1, sizeof(*d));
		d->s = s;
		d->domain = xstrdup(domain);
		htable_put(s->doms, d->domain, d);
		s->st.domains++;
	}
	if (d)
		load(d);
	if (d && d->id[0] && d->expires_at <= sts_now(s)) {
		log_notice("domain=%s MTA-STS policy id=%s expired; dropped",
		    d->domain, d->id);
		drop_policy(d);
		if (s->store)
			store_wb_del(s->wb, d->domain);
	}
	return d;
}

/*
 * The answer the cached policy gives at time t.  The value is the
 * cached string itself and the reason only its facts: a copy and a
 * snprintf() per cache hit were about a fifth of its instructions.
 * how is a static text.
 */
static void
answer(struct sdom *d, int tlsrpt, struct sts_result *res, const char *how,
    int64_t t)
{
	struct sts *s = d->s;

	res->status = d->loaded ? STS_NOINFO : STS_TEMP;
	res->value = res->value_report = NULL;
	res->value_copy = res->report_copy = NULL;
	res->waited_ms = 0;
	res->how = how;
	memcpy(res->id, d->id, sizeof(res->id));
	res->mode = sts_mode_name(d->mode);
	res->expires_in = 0;
	res->reason[0] = '\0';
	if (d->id[0] == '\0') {
		if (d->loaded && d->fetch_id > 0)
			res->status = STS_PENDING;
		return;
	}
	if (d->mode == STS_MODE_NONE || d->value == NULL)
		return;
	res->status = d->mode == STS_MODE_TESTING ? STS_TESTING : STS_ENFORCE;
	res->value = tlsrpt && d->value_rpt ? d->value_rpt : d->value;
	if (tlsrpt)
		res->value_report = d->value_may;
	res->expires_in = (long long)(d->expires_at - t);
	s->st.hits++;
}

/* The answer for a query that waits: its value must outlive this turn. */
static void
answer_later(struct sdom *d, int tlsrpt, struct sts_result *res,
    const char *how)
{
	answer(d, tlsrpt, res, how, sts_now(d->s));
	if (res->value != NULL)
		res->value = res->value_copy = xstrdup(res->value);
	if (res->value_report != NULL)
		res->value_report = res->report_copy = xstrdup(res->value_report);
}

/* What answer_later() copied. */
static void
result_clear(struct sts_result *res)
{
	free(res->value_copy);
	free(res->report_copy);
	res->value_copy = res->report_copy = NULL;
}

const char *
sts_reason(struct sts_result *res)
{
	const char *how = res->how;

	if (res->reason[0] != '\0')
		return res->reason;
	if (res->status == STS_TEMP)
		snprintf(res->reason, sizeof(res->reason), "MTA-STS policy "
		    "unknown: %s", how);
	else if (res->id[0] == '\0')
		snprintf(res->reason, sizeof(res->reason), "no MTA-STS policy%s%s",
		    *how ? ": " : "", how);
	else if (res->status != STS_ENFORCE && res->status != STS_TESTING)
		snprintf(res->reason, sizeof(res->reason),
		    "MTA-STS policy id=%s in mode %s is not enforced", res->id,
		    res->mode);
	else
		snprintf(res->reason, sizeof(res->reason),
		    "MTA-STS policy id=%s mode %s, expires in %llds%s%s", res->id,
		    res->mode, res->expires_in, *how ? ", " : "", how);
	return res->reason;
}

/* Callbacks always run from the loop, never inside sts_query(). */
static void
run_completed(struct loop *l, void *arg)
{
	struct sts *s = arg;
	struct sts_req *r;

	(void)l;
	s->complete_timer = NULL;
	while ((r = s->completed) != NULL) {
		s->completed = r->next;
		r->cb(r->arg, &r->res);
		result_clear(&r->res);
		free(r);
	}
}

static void
complete(struct sts_req *r)
{
	struct sts *s = r->d->s;

	loop_timer_cancel(s->loop, r->timer);
	r->timer = NULL;
	r->next = s->completed;
	s->completed = r;
	if (s->complete_timer == NULL)
		s->complete_timer = loop_timer(s->loop, 0, run_completed, s);
}

/* Answer every waiting query from what is cached now. */
void
sdom_wake(struct sdom *d, const char *how)
{
	struct sts_req *r;

	while ((r = d->waiting) != NULL) {
		d->waiting = r->next;
		answer_later(d, r->tlsrpt, &r->res, how);
		complete(r);
	}
}

void
sdom_unlink_waiting(struct sdom *d, struct sts_req *r)
{
	for (struct sts_req **pp = &d->waiting; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			return;
		}
	}
}

/* A first-contact wait (sts_wait()) ran out: the fetch still runs. */
static void
first_contact_timeout(struct loop *l, void *arg)
{
	struct sts_req *r = arg;

	(void)l;
	r->timer = NULL;
	sdom_unlink_waiting(r->d, r);
	r->d->s->st.first_contact_timeouts++;
	answer_later(r->d, r->tlsrpt, &r->res, STS_FIRST_CONTACT);
	r->res.waited_ms = r->wait_ms;
	complete(r);
}

static void
record_error(struct sdom *d, const char *error, const char *detail)
{
	struct sts *s = d->s;
	struct store_entry e;
	char text[STORE_ERROR_MAX + 1];

	snprintf(text, sizeof(text), "%s: %s", error, detail);
	set_last_error(d, text);
	/* TLSRPT: once per failed fetch, unless the failure is our own. */
	if (s->cf.report != NULL && strcmp(detail, "rate-limited") != 0)
		s->cf.report(s->cf.report_arg, d->domain, error, detail);
	if (s->store == NULL || d->id[0] == '\0')
		return;
	memset(&e, 0, sizeof(e));
	if (store_wb_get(s->wb, d->domain, &e) == 1) {
		snprintf(e.last_error, sizeof(e.last_error), "%s", text);
		e.last_error_at = sts_now(s);
		sts_store_put(s, &e);
	}
	store_entry_clear(&e);
}

/* The fleet's fetch lock of d, if any, goes once the result is known. */
static void
fetch_unlock(struct sdom *d)
{
	if (d->s->fleet)
		fleet_fetched(d);
}

static void
fetch_done(void *arg, const struct fetch_result *fr)
{
	struct sdom *d = arg;
	struct sts *s = d->s;
	struct sts_policy p;
	struct store_entry e;
	char err[256];
	int64_t t = sts_now(s);

	d->fetch_id = 0;
	if (!fr->ok) {
		s->st.fetch_failures++;
		log_warn("domain=%s MTA-STS policy fetch failed: id=%s result=%s "
		    "detail=\"%s\"%s", d->domain, d->fetching_for, fr->error,
		    fr->detail, d->id[0] ? "; keeping the cached policy" : "");
		snprintf(d->failed_id, sizeof(d->failed_id), "%s", d->fetching_for);
		/* A dead or rate-limiting fetcher says nothing about the domain:
	 * retry soon. */
		d->failed_until = t + (strcmp(fr->error, "fetcher-unavailable") == 0
		    || strcmp(fr->detail, "rate-limited") == 0
		    ? STS_FETCHER_RETRY : s->cf.failure_backoff);
		record_error(d, fr->error, fr->detail);
		fetch_unlock(d);
		sdom_wake(d, "policy fetch failed");
		return;
	}
	/* Trust nothing that crossed the process boundary. */
	if (sts_policy_from_json(fr->policy, &p, err, sizeof(err)) < 0) {
		s->st.fetch_failures++;
		log_warn("domain=%s MTA-STS policy from the fetcher refused: %s",
		    d->domain, err);
		snprintf(d->failed_id, sizeof(d->failed_id), "%s", d->fetching_for);
		d->failed_until = t + s->cf.failure_backoff;
		record_error(d, "sts-policy-invalid", err);
		fetch_unlock(d);
		sdom_wake(d, "policy refused");
		return;
	}
	s->st.fetch_ok++;
	memset(&e, 0, sizeof(e));
	snprintf(e.domain, sizeof(e.domain), "%.253s", d->domain);
	snprintf(e.id, sizeof(e.id), "%s", d->fetching_for);
	e.fetched_at = t;
	e.expires_at = t + p.max_age;
	e.last_used = d->last_used;
	e.policy = sts_policy_to_json_text(&p);
	if (s->store && e.policy == NULL)
		log_err("domain=%s MTA-STS policy could not be stored; "
		    "it applies until restart", d->domain);
	else if (s->store) {
		if (s->fleet)
			fleet_put(s, &e);
		sts_store_put(s, &e);	/* the policy text moves to the queue */
	}
	fetch_unlock(d);	/* after the write: waiters find the policy */
	free(e.policy);
	log_notice("domain=%s MTA-STS policy id=%s mode=%s max_age=%ld mx=%zu "
	    "fetched%s", d->domain, e.id, sts_mode_name(p.mode), p.max_age,
	    p.nmx, d->id[0] && strcmp(d->id, e.id) != 0 ? " (new id)" : "");
	set_policy(d, e.id, &p, e.fetched_at, e.expires_at);
	d->loaded = 1;		/* newer than anything the store holds */
	set_last_error(d, "");
	d->failed_id[0] = '\0';
	sts_policy_free(&p);
	sdom_wake(d, "");
}

/*
 * Install the policy another relay fetched (e from the fleet store), as
 * fetch_done() does for one fetched here.  0, or -1 when it is refused.
 */
int
sdom_adopt(struct sdom *d, const struct store_entry *e)
{
	struct sts_policy p;
	char err[256];

	if (sts_policy_from_json_text(e->policy, strlen(e->policy), &p, err,
	    sizeof(err)) < 0) {
		log_warn("domain=%s MTA-STS policy in the fleet store refused: %s",
		    d->domain, err);
		return -1;
	}
	log_notice("domain=%s MTA-STS policy id=%s mode=%s max_age=%ld mx=%zu "
	    "from the fleet store", d->domain, e->id, sts_mode_name(p.mode),
	    p.max_age, p.nmx);
	set_policy(d, e->id, &p, e->fetched_at, e->expires_at);
	d->loaded = 1;
	set_last_error(d, "");
	d->failed_id[0] = '\0';
	sts_policy_free(&p);
	sdom_wake(d, "");
	return 0;
}

/* Fetch the policy for this id unless one runs or the id is backing off. */
void
sdom_start_fetch(struct sdom *d, const char *id, int force)
{
	struct sts *s = d->s;

	if (d->fetch_id > 0 || s->fetch.fetch == NULL)
		return;
	if (strcmp(d->failed_id, id) == 0 && sts_now(s) < d->failed_until)
		return;
	if (s->fleet && fleet_before_fetch(d, id))
		return;		/* adopted, or another relay fetches */
	snprintf(d->fetching_for, sizeof(d->fetching_for), "%s", id);
	d->fetch_id = fetch_port_fetch(&s->fetch, d->domain, id, force,
	    fetch_done, d);
	if (d->fetch_id < 0) {
		d->fetch_id = 0;
		log_warn("domain=%s MTA-STS fetcher unavailable", d->domain);
		return;
	}
	s->st.fetches++;
}

/* A query that waits on the domain (for its TXT record or a fetch). */
static struct sts_req *
wait_on(struct sdom *d, int tlsrpt, sts_cb cb, void *arg)
{
	struct sts_req *r = xcalloc(1, sizeof(*r));

	r->d = d;
	r->tlsrpt = tlsrpt;
	r->cb = cb;
	r->arg = arg;
	r->next = d->waiting;
	d->waiting = r;
	return r;
}

struct sts_req *
sts_query(struct sts *s, const char *domain, int tlsrpt, sts_cb cb, void *arg,
    struct sts_result *res)
{
	struct sdom *d = sdom_get(s, domain, 1);
	int64_t t = sts_now(s);

	d->last_used = t;
	/* The store could not be read: what it holds is unknown. */
	if (!d->loaded) {
		answer(d, tlsrpt, res, "policy store unreadable", t);
		return NULL;
	}
	/* Fresh discovery: answer from memory at once. */
	if (t < d->txt_until && d->fetch_id == 0) {
		answer(d, tlsrpt, res, "", t);
		return NULL;
	}
	if (d->fetch_id > 0 && d->id[0]) {
		answer(d, tlsrpt, res, "new id being fetched", t);
		return NULL;
	}
	/* First contact, fetch already running: the engine may wait. */
	if (d->fetch_id > 0) {
		answer(d, tlsrpt, res, STS_FIRST_CONTACT, t);
		return NULL;
	}
	sdom_lookup_txt(d);
	if (d->txtq == NULL) {	/* no resolver */
		answer(d, tlsrpt, res, "no resolver", t);
		return NULL;
	}
	return wait_on(d, tlsrpt, cb, arg);
}

struct sts_req *
sts_wait(struct sts *s, const char *domain, int tlsrpt, long wait_ms,
    sts_cb cb, void *arg, struct sts_result *res)
{
	struct sdom *d = sdom_get(s, domain, 1);
	struct sts_req *r;

	if (!d->loaded || d->id[0] != '\0' || d->fetch_id == 0) {
		answer(d, tlsrpt, res, d->loaded ? "" : "policy store unreadable",
		    sts_now(s));
		return NULL;
	}
	r = wait_on(d, tlsrpt, cb, arg);
	r->first_contact = 1;
	r->wait_ms = wait_ms;
	r->timer = loop_timer(s->loop, (uint64_t)wait_ms, first_contact_timeout,
	    r);
	return r;
}

void
sts_cancel(struct sts *s, struct sts_req *r)
{
	(void)s;
	if (r->d)
		sdom_unlink_waiting(r->d, r);
	for (struct sts_req **pp = &s->completed; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	loop_timer_cancel(s->loop, r->timer);
	result_clear(&r->res);
	free(r);
}

long
sts_mx_match(struct sts *s, const char *domain, const char *const *hosts,
    size_t n, size_t *miss)
{
	struct sdom *d = sdom_get(s, domain, 0);
	char name[DOMAIN_MAX + 2];
	long matching = 0;

	*miss = n;
	if (d == NULL || d->id[0] == '\0' || d->pol.nmx == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *h = hosts[i];
		size_t len = strlen(h);

		if (len > 0 && h[len - 1] == '.') {
			if (len > sizeof(name))
				len = sizeof(name);
			memcpy(name, h, len - 1);
			name[len - 1] = '\0';
			h = name;
		}
		if (sts_policy_mx_match(&d->pol, h))
			matching++;
		else
			*miss = i;
	}
	return matching;
}

int
sts_cached_policy(struct sts *s, const char *domain)
{
	struct sdom *d = sdom_get(s, domain, 1);

	return d->id[0] != '\0';
}

void
sts_status(struct sts *s, struct sts_stat *st)
{
	*st = s->st;
	if (s->store)
		wb_flush(s);
	st->stored = s->store ? store_count(s->store) : 0;
	if (s->store)
		store_wb_stats(s->wb, &st->store_writes, &st->store_write_failures);
}

int
sts_describe(struct sts *s, const char *domain, char *buf, size_t len)
{
	struct sdom *d = sdom_get(s, domain, 0);
	int64_t t = sts_now(s);

	if (d == NULL || (d->id[0] == '\0' && d->last_error == NULL))
		return snprintf(buf, len, "no MTA-STS policy cached");
	if (d->id[0] == '\0')
		return snprintf(buf, len, "no MTA-STS policy cached; last error: %s",
		    d->last_error);
	return snprintf(buf, len, "id=%s mode=%s max_age=%ld age=%llds "
	    "expires_in=%llds txt_id=%s%s%s", d->id, sts_mode_name(d->mode),
	    d->max_age, (long long)(t - d->fetched_at),
	    (long long)(d->expires_at - t), d->txt_id[0] ? d->txt_id : "-",
	    d->last_error ? " last_error=" : "", d->last_error ? d->last_error : "");
}

void
sts_info(struct sts *s, const char *domain, struct sts_info *out)
{
	struct sdom *d = sdom_get(s, domain, 0);
	int64_t t = sts_now(s);
	const char *m;

	memset(out, 0, sizeof(*out));
	if (d == NULL)
		return;
	out->known = 1;
	snprintf(out->txt_id, sizeof(out->txt_id), "%s", d->txt_id);
	snprintf(out->last_error, sizeof(out->last_error), "%s",
	    d->last_error ? d->last_error : "");
	if (d->id[0] == '\0')
		return;
	out->cached = 1;
	snprintf(out->id, sizeof(out->id), "%s", d->id);
	out->mode = sts_mode_name(d->mode);
	out->max_age = d->max_age;
	out->age = t - d->fetched_at;
	out->expires_in = d->expires_at - t;
	if (d->value && (m = strstr(d->value, " match=")) != NULL)
		snprintf(out->mx, sizeof(out->mx), "%.*s", (int)strcspn(m + 7, " "),
		    m + 7);
}

static int64_t
wall_clock(void *arg)
{
	(void)arg;
	return (int64_t)time(NULL);
}

struct sts *
sts_new(struct loop *l, const struct dns_port *d, struct store *st,
    const struct fetch_port *f, const struct sts_config *cf)
{
	struct sts *s = xcalloc(1, sizeof(*s));

	s->loop = l;
	if (d != NULL)
		s->dns = *d;
	s->store = st;
	if (st != NULL)
		s->wb = store_wb_new(st);
	if (f != NULL)
		s->fetch = *f;
	s->cf = *cf;
	if (s->cf.now == NULL)
		s->cf.now = wall_clock;
	s->doms = htable_new(1024);
	s->sweep_at = STS_MAX_DOMAINS;
	return s;
}

void
sdom_free(void *p)
{
	struct sdom *d = p;
	struct sts_req *r;

	if (d->txtq)
		dns_port_cancel(&d->s->dns, d->txtq);
	if (d->fetch_id == STS_FLEET_WAIT)
		fleet_cancel(d);
	else if (d->fetch_id > 0 && d->s->fetch.fetch != NULL)
		fetch_port_cancel(&d->s->fetch, d->fetch_id);
	while ((r = d->waiting) != NULL) {
		d->waiting = r->next;
		loop_timer_cancel(d->s->loop, r->timer);
		free(r);
	}
	drop_policy(d);
	free(d->last_error);
	free(d->domain);
	free(d);
}

void
sts_free(struct sts *s)
{
	struct sts_req *r;

	if (s == NULL)
		return;
	while ((r = s->completed) != NULL) {
		s->completed = r->next;
		result_clear(&r->res);
		free(r);
	}
	loop_timer_cancel(s->loop, s->complete_timer);
	loop_timer_cancel(s->loop, s->wb_timer);
	fleet_free(s);
	store_wb_free(s->wb);	/* writes out what waits */
	htable_free(s->doms, sdom_free);
	free(s);
}
