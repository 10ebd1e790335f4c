#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldns/ldns.h>

#include "dns.h"
#include "htable.h"
#include "log.h"
#include "sts.h"
#include "sts_policy.h"
#include "sts_txt.h"
#include "util.h"

#define TXT_MAX_RECORDS	16
#define TXT_MAX_BYTES	4096
#define CNAME_MAX	8

struct sts_req;

/* What tlspolicyd knows about one policy domain. */
struct sdom {
	struct sts *s;
	char *domain;			/* exact size: many domains */
	int loaded;			/* the store has been read */
	unsigned load_failures;		/* failed reads in a row */
	int64_t load_retry_at;		/* no read before then (wall clock) */
	/* The cached policy (id[0] == 0: none). */
	char id[STS_ID_MAX + 1];
	enum sts_mode mode;
	char *value;			/* Postfix value, plain */
	char *value_rpt;		/* with TLSRPT attributes */
	int64_t fetched_at, expires_at;
	long max_age;
	char *last_error;		/* NULL when none */
	/* Discovery. */
	int64_t txt_until;		/* TXT checked until (wall clock) */
	char txt_id[STS_ID_MAX + 1];	/* id seen in the TXT record */
	struct dns_query *txtq;
	/* Fetching. */
	int fetch_id;			/* > 0 while a fetch runs */
	char fetching_for[STS_ID_MAX + 1];
	char failed_id[STS_ID_MAX + 1];	/* back-off for this id ... */
	int64_t failed_until;		/* ... until then */
	int64_t last_used;
	struct sts_req *waiting;	/* queries waiting for TXT or fetch */
};

struct sts_req {
	struct sts_req *next;
	struct sdom *d;
	int tlsrpt;
	int first_contact;		/* waiting for a first fetch */
	sts_cb cb;
	void *arg;
	struct loop_timer *timer;
	struct sts_result res;
};

struct sts {
	struct loop *loop;
	int sweeping;
	size_t sweep_at;		/* domains in memory that trigger a sweep */
	struct dns_port dns;		/* lookup NULL: no resolver */
	struct store *store;
	struct fetch_port fetch;	/* fetch NULL: no fetcher */
	struct sts_config cf;
	struct htable *doms;
	struct sts_stat st;
	struct loop_timer *complete_timer;
	struct sts_req *completed;	/* answered, callbacks due */
	/* Store writes waiting for the next batch (see wb_put()). */
	struct store_entry *wb;		/* STS_WB_MAX slots, when used */
	size_t nwb;
	struct loop_timer *wb_timer;
	/* Store read failures, logged at most once per STS_LOAD_LOG_EVERY. */
	int64_t load_log_at;
	unsigned long load_unlogged;
};

static int64_t
now(struct sts *s)
{
	return s->cf.now(s->cf.now_arg);
}

static void
drop_policy(struct sdom *d)
{
	d->id[0] = '\0';
	free(d->value);
	free(d->value_rpt);
	d->value = d->value_rpt = NULL;
	d->fetched_at = d->expires_at = 0;
}

/* Install a validated policy as the domain's cached one. */
static void
set_policy(struct sdom *d, const char *id, const struct sts_policy *p,
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
	}
}

/* Keep a copy of the last error, or none for "". */
static void
set_last_error(struct sdom *d, const char *text)
{
	free(d->last_error);
	d->last_error = *text ? xstrdup(text) : NULL;
}

/*
 * Write-behind.  Each fetched policy used to be a synced store commit of
 * its own on the event loop: a disk flush per policy, during which no
 * query was answered (the cold MTA-STS benchmark: a sixth of the daemon's
 * time).  Entries now wait at most STS_WB_DELAY_MS, or until STS_WB_MAX
 * are waiting, and go to the store in one durable write
 * (store_put_many()).  A crash loses at most the policies of that
 * moment, which the next query fetches again.  Reads and deletes of the
 * store go through wb_get() and wb_del(), which see the waiting entries
 * first; status and shutdown write them out.
 */
static struct store_entry *
wb_find(struct sts *s, const char *domain)
{
	for (size_t i = 0; i < s->nwb; i++)
		if (strcmp(s->wb[i].domain, domain) == 0)
			return &s->wb[i];
	return NULL;
}

static void
wb_flush(struct sts *s)
{
	long n;

	loop_timer_cancel(s->loop, s->wb_timer);
	s->wb_timer = NULL;
	if (s->nwb == 0)
		return;
	n = store_put_many(s->store, s->wb, s->nwb);
	if (n > 0)
		log_info("stored %ld MTA-STS policy record%s in one write", n,
		    n == 1 ? "" : "s");
	if (n < (long)s->nwb)
		log_err("%zu MTA-STS policy records could not be stored; the "
		    "policies apply until restart", s->nwb - (n < 0 ? 0 : n));
	for (size_t i = 0; i < s->nwb; i++)
		store_entry_clear(&s->wb[i]);
	s->nwb = 0;
}

static void
wb_timer_fn(struct loop *l, void *arg)
{
	struct sts *s = arg;

	(void)l;
	s->wb_timer = NULL;
	wb_flush(s);
}

/* Queue *e for the store; its policy text moves to the queue. */
static void
wb_put(struct sts *s, struct store_entry *e)
{
	struct store_entry *q = wb_find(s, e->domain);

	if (q != NULL) {
		store_entry_clear(q);
	} else {
		if (s->nwb == STS_WB_MAX)
			wb_flush(s);
		if (s->wb == NULL)
			s->wb = xcalloc(STS_WB_MAX, sizeof(*s->wb));
		q = &s->wb[s->nwb++];
	}
	*q = *e;
	e->policy = NULL;
	if (s->wb_timer == NULL)
		s->wb_timer = loop_timer(s->loop, STS_WB_DELAY_MS, wb_timer_fn,
		    s);
}

/* store_get(), seeing a waiting entry first. */
static int
wb_get(struct sts *s, const char *domain, struct store_entry *out)
{
	struct store_entry *q = wb_find(s, domain);

	if (q == NULL)
		return store_get(s->store, domain, out);
	*out = *q;
	out->policy = xstrdup(q->policy);
	return 1;
}

/* store_del(), and a waiting entry for the domain is dropped. */
static void
wb_del(struct sts *s, const char *domain)
{
	struct store_entry *q = wb_find(s, domain);

	if (q != NULL) {
		store_entry_clear(q);
		*q = s->wb[--s->nwb];
		memset(&s->wb[s->nwb], 0, sizeof(s->wb[s->nwb]));
	}
	store_del(s->store, domain);
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
	t = now(s);
	if (d->load_failures > 0 && t < d->load_retry_at)
		return;
	memset(&e, 0, sizeof(e));
	rc = s->store == NULL ? 0 : wb_get(s, d->domain, &e);
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
	if (e.expires_at <= now(s)) {
		log_info("domain=%s MTA-STS policy id=%s expired; dropped",
		    d->domain, e.id);
		wb_del(s, d->domain);
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

static void sweep(struct sts *s, int64_t idle);

static struct sdom *
get_dom(struct sts *s, const char *domain, int create)
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
			sweep(s, 0);
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
	if (d && d->id[0] && d->expires_at <= now(s)) {
		log_info("domain=%s MTA-STS policy id=%s expired; dropped",
		    d->domain, d->id);
		drop_policy(d);
		if (s->store)
			wb_del(s, d->domain);
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
	res->value = NULL;
	res->value_copy = NULL;
	res->how = how;
	memcpy(res->id, d->id, sizeof(res->id));
	res->mode = sts_mode_name(d->mode);
	res->expires_in = 0;
	res->reason[0] = '\0';
	if (d->id[0] == '\0')
		return;
	if (d->mode == STS_MODE_NONE || d->value == NULL
	    || (d->mode == STS_MODE_TESTING && !s->cf.enforce_testing))
		return;
	res->status = STS_ENFORCE;
	res->value = tlsrpt && d->value_rpt ? d->value_rpt : d->value;
	res->expires_in = (long long)(d->expires_at - t);
	s->st.hits++;
}

/* The answer for a query that waits: its value must outlive this turn. */
static void
answer_later(struct sdom *d, int tlsrpt, struct sts_result *res,
    const char *how)
{
	answer(d, tlsrpt, res, how, now(d->s));
	if (res->value != NULL)
		res->value = res->value_copy = xstrdup(res->value);
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
	else if (res->status != STS_ENFORCE)
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
		free(r->res.value_copy);
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
static void
wake(struct sdom *d, const char *how)
{
	struct sts_req *r;

	while ((r = d->waiting) != NULL) {
		d->waiting = r->next;
		answer_later(d, r->tlsrpt, &r->res, how);
		complete(r);
	}
}

static void
unlink_waiting(struct sdom *d, struct sts_req *r)
{
	for (struct sts_req **pp = &d->waiting; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			return;
		}
	}
}

static void
first_contact_timeout(struct loop *l, void *arg)
{
	struct sts_req *r = arg;

	(void)l;
	r->timer = NULL;
	unlink_waiting(r->d, r);
	r->d->s->st.first_contact_timeouts++;
	answer_later(r->d, r->tlsrpt, &r->res,
	    "first contact: policy fetch still running");
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
	if (s->store == NULL || d->id[0] == '\0')
		return;
	memset(&e, 0, sizeof(e));
	if (wb_get(s, d->domain, &e) == 1) {
		snprintf(e.last_error, sizeof(e.last_error), "%s", text);
		e.last_error_at = now(s);
		wb_put(s, &e);
	}
	store_entry_clear(&e);
}

static void
fetch_done(void *arg, const struct fetch_result *fr)
{
	struct sdom *d = arg;
	struct sts *s = d->s;
	struct sts_policy p;
	struct store_entry e;
	char err[256];
	int64_t t = now(s);

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
		wake(d, "policy fetch failed");
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
		wake(d, "policy refused");
		return;
	}
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
	else if (s->store)
		wb_put(s, &e);		/* the policy text moves to the queue */
	free(e.policy);
	log_notice("domain=%s MTA-STS policy id=%s mode=%s max_age=%ld mx=%zu "
	    "fetched%s", d->domain, e.id, sts_mode_name(p.mode), p.max_age,
	    p.nmx, d->id[0] && strcmp(d->id, e.id) != 0 ? " (new id)" : "");
	set_policy(d, e.id, &p, e.fetched_at, e.expires_at);
	d->loaded = 1;		/* newer than anything the store holds */
	set_last_error(d, "");
	d->failed_id[0] = '\0';
	sts_policy_free(&p);
	wake(d, "");
}

/* Fetch the policy for this id unless one runs or the id is backing off. */
static void
start_fetch(struct sdom *d, const char *id, int force)
{
	struct sts *s = d->s;

	if (d->fetch_id > 0 || s->fetch.fetch == NULL)
		return;
	if (strcmp(d->failed_id, id) == 0 && now(s) < d->failed_until)
		return;
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

/* TXT records at the end of the CNAME chain from qname. */
static size_t
txt_records(const ldns_pkt *pkt, const char *qname, char bufs[][TXT_MAX_BYTES],
    struct sts_txt_rec *recs, size_t max)
{
	ldns_rr_list *an = ldns_pkt_answer(pkt);
	ldns_rdf *name = ldns_dname_new_frm_str(qname);
	size_t n = 0;

	if (name == NULL || an == NULL) {
		ldns_rdf_deep_free(name);
		return 0;
	}
	for (int hop = 0; hop < CNAME_MAX; hop++) {
		int moved = 0;
		for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
			ldns_rr *rr = ldns_rr_list_rr(an, i);
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME
			    && ldns_dname_compare(ldns_rr_owner(rr), name) == 0
			    && ldns_rr_rd_count(rr) == 1) {
				ldns_rdf_deep_free(name);
				name = ldns_rdf_clone(ldns_rr_rdf(rr, 0));
				moved = 1;
				break;
			}
		}
		if (!moved)
			break;
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(an) && n < max; i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		size_t len = 0;
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TXT
		    || ldns_dname_compare(ldns_rr_owner(rr), name) != 0)
			continue;
		/* One record: its character-strings, joined without spaces. */
		for (size_t j = 0; j < ldns_rr_rd_count(rr); j++) {
			const ldns_rdf *rdf = ldns_rr_rdf(rr, j);
			const uint8_t *data = ldns_rdf_data(rdf);
			size_t sz = ldns_rdf_size(rdf);
			if (sz < 1 || (size_t)data[0] + 1 > sz
			    || len + data[0] > TXT_MAX_BYTES)
				break;
			memcpy(bufs[n] + len, data + 1, data[0]);
			len += data[0];
		}
		recs[n].data = bufs[n];
		recs[n].len = len;
		n++;
	}
	ldns_rdf_deep_free(name);
	return n;
}

static void
txt_done(void *arg, const struct dns_result *r)
{
	struct sdom *d = arg;
	struct sts *s = d->s;
	static char bufs[TXT_MAX_RECORDS][TXT_MAX_BYTES];
	struct sts_txt_rec recs[TXT_MAX_RECORDS];
	char qname[DNS_NAME_MAX + 16], id[STS_ID_MAX + 1], err[200];
	enum sts_txt_status ts;
	int64_t t = now(s);
	size_t n;

	d->txtq = NULL;
	if (r->status != DNS_OK || (r->rcode != LDNS_RCODE_NOERROR
	    && r->rcode != LDNS_RCODE_NXDOMAIN)) {
		/* Not "no record": a cached policy keeps applying. */
		log_info("domain=%s _mta-sts TXT lookup failed: %s rcode=%d",
		    d->domain, dns_status_name(r->status), r->rcode);
		d->txt_until = t + STS_TXT_ERR_RECHECK;
		wake(d, "TXT lookup failed");
		return;
	}
	snprintf(qname, sizeof(qname), "_mta-sts.%s.", d->domain);
	n = r->rcode == LDNS_RCODE_NOERROR
	    ? txt_records(r->pkt, qname, bufs, recs, TXT_MAX_RECORDS) : 0;
	ts = sts_txt_parse(recs, n, id, err, sizeof(err));
	d->txt_until = t + (r->ttl < STS_TXT_RECHECK ? r->ttl : STS_TXT_RECHECK);
	if (ts != STS_TXT_OK) {
		d->txt_id[0] = '\0';
		if (ts == STS_TXT_INVALID)
			log_warn("domain=%s _mta-sts TXT record refused: %s",
			    d->domain, err);
		wake(d, ts == STS_TXT_NONE ? "no _mta-sts TXT record"
		    : "invalid _mta-sts TXT record");
		return;
	}
	snprintf(d->txt_id, sizeof(d->txt_id), "%s", id);
	if (strcmp(id, d->id) == 0) {
		wake(d, "");
		return;
	}
	start_fetch(d, id, 0);
	if (d->fetch_id == 0) {		/* backing off, or no fetcher */
		wake(d, "policy fetch backing off");
		return;
	}
	/* A cached policy answers while its successor is fetched. */
	if (d->id[0]) {
		wake(d, "new id being fetched");
		return;
	}
	for (struct sts_req *q = d->waiting; q; q = q->next) {
		q->first_contact = 1;
		q->timer = loop_timer(s->loop, (uint64_t)s->cf.first_fetch_wait_ms,
		    first_contact_timeout, q);
	}
}

static void
lookup_txt(struct sdom *d)
{
	char qname[DNS_NAME_MAX + 16];

	if (d->txtq != NULL || d->s->dns.lookup == NULL)
		return;
	snprintf(qname, sizeof(qname), "_mta-sts.%s.", d->domain);
	d->s->st.txt_lookups++;
	d->txtq = dns_port_lookup(&d->s->dns, qname, LDNS_RR_TYPE_TXT,
	    txt_done, d);
}

struct sts_req *
sts_query(struct sts *s, const char *domain, int tlsrpt, sts_cb cb, void *arg,
    struct sts_result *res)
{
	struct sdom *d = get_dom(s, domain, 1);
	struct sts_req *r;
	int64_t t = now(s);

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
	r = xcalloc(1, sizeof(*r));
	r->d = d;
	r->tlsrpt = tlsrpt;
	r->cb = cb;
	r->arg = arg;
	r->next = d->waiting;
	d->waiting = r;
	if (d->fetch_id > 0) {
		/* First contact, fetch already running: wait with the rest. */
		r->first_contact = 1;
		r->timer = loop_timer(s->loop, (uint64_t)s->cf.first_fetch_wait_ms,
		    first_contact_timeout, r);
	} else {
		lookup_txt(d);
		if (d->txtq == NULL) {	/* no resolver */
			unlink_waiting(d, r);
			answer(d, tlsrpt, res, "no resolver", t);
			free(r);
			return NULL;
		}
	}
	return r;
}

void
sts_cancel(struct sts *s, struct sts_req *r)
{
	(void)s;
	if (r->d)
		unlink_waiting(r->d, r);
	for (struct sts_req **pp = &s->completed; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	loop_timer_cancel(s->loop, r->timer);
	free(r->res.value_copy);
	free(r);
}

int
sts_cached_policy(struct sts *s, const char *domain)
{
	struct sdom *d = get_dom(s, domain, 1);

	return d->id[0] != '\0';
}

static void
flush_one(const char *key, void *value, void *arg)
{
	struct sdom *d = value;

	(void)key;
	(void)arg;
	d->txt_until = 0;
	d->failed_until = 0;
	d->failed_id[0] = '\0';
	if (d->s->dns.lookup != NULL) {
		char qname[DNS_NAME_MAX + 16];
		snprintf(qname, sizeof(qname), "_mta-sts.%s", d->domain);
		dns_port_flush(&d->s->dns, qname);
	}
	/* Fetch again now, whatever the id and the fetcher's rate limit. */
	start_fetch(d, d->txt_id[0] ? d->txt_id : d->id, 1);
}

void
sts_flush(struct sts *s, const char *domain)
{
	if (domain == NULL) {
		htable_walk(s->doms, flush_one, NULL);
		return;
	}
	flush_one(domain, get_dom(s, domain, 1), NULL);
}

/*
 * When a cached policy is due for its proactive refresh: a day after it
 * was fetched, or half its max_age when that is shorter; earlier when it
 * would otherwise come closer than refresh_before to its expiry, but
 * never before half its lifetime (a short max_age must not cause a fetch
 * at every scan).  Less a jitter of up to a tenth of the interval, fixed
 * per domain, so that many policies fetched together spread out.
 */
static int64_t
refresh_due(const struct sdom *d, const struct sts_config *cf)
{
	int64_t half = d->max_age / 2;
	int64_t interval = half < 86400 ? half : 86400;
	int64_t due = d->fetched_at + interval;
	int64_t late = d->expires_at - cf->refresh_before;
	unsigned long h = htable_hash(d->domain);

	if (late < d->fetched_at + half)
		late = d->fetched_at + half;
	if (late < due)
		due = late;
	if (interval >= 10)
		due -= (int64_t)(h % (unsigned long)(interval / 10));
	return due;
}

static void
refresh_one(const char *key, void *value, void *arg)
{
	struct sdom *d = value;
	struct sts *s = d->s;
	int64_t t = *(int64_t *)arg;

	(void)key;
	if (d->id[0] == '\0' || d->fetch_id > 0
	    || t - d->last_used > s->cf.in_use_window)
		return;
	if (t < refresh_due(d, &s->cf))
		return;
	if (strcmp(d->failed_id, d->id) == 0 && t < d->failed_until)
		return;
	log_info("domain=%s MTA-STS policy id=%s refreshed before expiry",
	    d->domain, d->id);
	s->st.refreshes++;
	/* Discovery again (the id may have changed), then a fetch.  The
	 * schedule above already bounds refreshes: skip the fetcher's rate
	 * limit, which would hand back a result as old as its window. */
	d->txt_until = 0;
	start_fetch(d, d->txt_id[0] ? d->txt_id : d->id, 1);
}

struct sweep_ctx {
	int64_t now, idle;
	char **keys;
	size_t n;
};

static void
sweep_one(const char *key, void *value, void *arg)
{
	struct sdom *d = value;
	struct sweep_ctx *c = arg;

	if (d->id[0] == '\0' && d->fetch_id == 0 && d->waiting == NULL
	    && d->txtq == NULL && c->now - d->last_used >= c->idle)
		c->keys[c->n++] = xstrdup(key);
}

static void free_dom(void *p);

/* Forget idle domains that have no policy (they cost a TXT lookup later). */
static void
sweep(struct sts *s, int64_t idle)
{
	struct sweep_ctx c = { now(s), idle, NULL, 0 };

	s->sweeping = 1;
	c.keys = xcalloc(htable_count(s->doms) + 1, sizeof(char *));
	htable_walk(s->doms, sweep_one, &c);
	for (size_t i = 0; i < c.n; i++) {
		free_dom(htable_del(s->doms, c.keys[i]));
		free(c.keys[i]);
	}
	s->st.domains -= c.n;
	if (c.n)
		log_debug("MTA-STS: forgot %zu domains without a policy", c.n);
	free(c.keys);
	s->sweeping = 0;
}

void
sts_refresh_scan(struct sts *s)
{
	int64_t t = now(s);

	htable_walk(s->doms, refresh_one, &t);
	sweep(s, STS_IDLE_FORGET);
}

void
sts_status(struct sts *s, struct sts_stat *st)
{
	*st = s->st;
	if (s->store)
		wb_flush(s);
	st->stored = s->store ? store_count(s->store) : 0;
}

int
sts_describe(struct sts *s, const char *domain, char *buf, size_t len)
{
	struct sdom *d = get_dom(s, domain, 0);
	int64_t t = now(s);

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
	struct sdom *d = get_dom(s, domain, 0);
	int64_t t = now(s);
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
	if (f != NULL)
		s->fetch = *f;
	s->cf = *cf;
	if (s->cf.now == NULL)
		s->cf.now = wall_clock;
	s->doms = htable_new(1024);
	s->sweep_at = STS_MAX_DOMAINS;
	return s;
}

static void
free_dom(void *p)
{
	struct sdom *d = p;
	struct sts_req *r;

	if (d->txtq)
		dns_port_cancel(&d->s->dns, d->txtq);
	if (d->fetch_id > 0 && d->s->fetch.fetch != NULL)
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
		free(r->res.value_copy);
		free(r);
	}
	loop_timer_cancel(s->loop, s->complete_timer);
	if (s->store)
		wb_flush(s);
	free(s->wb);
	htable_free(s->doms, free_dom);
	free(s);
}
