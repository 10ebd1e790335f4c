/* SPDX-License-Identifier: MIT */
/*
 * tlsrpt_send - the TLSRPT reporter.  The contract is in tlsrpt_send.h;
 * the pure parts (schedule, back-off, state record, destinations) are
 * lib/tlsrpt_sched.c, the report itself lib/tlsrpt_report.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dns.h"
#include "domain.h"
#include "log.h"
#include "sts_dns.h"
#include "tlsrpt_agg.h"
#include "tlsrpt_report.h"
#include "tlsrpt_sched.h"
#include "tlsrpt_send.h"
#include "util.h"

#define DAY_SECS	86400

struct job;

/* One delivery of one report to one destination. */
struct dlv {
	struct job *job;
	unsigned idx;			/* report index from 0 */
	char dest[TLSRPT_URI_MAX + 1];
};

/* One attempt for one (day, domain). */
struct job {
	struct tlsrpt_send *s;
	struct job *next;
	int64_t day;
	char domain[DOMAIN_MAX + 1];
	char key[TLSRPT_SENT_KEY_MAX + 1];
	struct tlsrpt_sent st;
	struct dns_query *q;
	unsigned outstanding;
	char error[TLSRPT_ERR_MAX + 1];
};

struct tlsrpt_send {
	struct loop *loop;
	struct dns_port dns;
	struct rpt_source src;
	struct rpt_sender out;
	struct tlsrpt_send_config c;
	struct job *jobs;
	int64_t next_scan;		/* no walk of the store before */
	struct tlsrpt_send_stats stats;
};

/* A record key found by the walk: the day and domain of an aggregate. */
struct due {
	int64_t day;
	char domain[DOMAIN_MAX + 1];
};

struct walk {
	int64_t today;
	struct due *v;
	size_t n, cap;
};

static int64_t
now_of(const struct tlsrpt_send *s)
{
	return s->c.now(s->c.now_arg);
}

/* Something may be due at t: walk the store again then at the latest. */
static void
wake_at(struct tlsrpt_send *s, int64_t t)
{
	if (t < s->next_scan)
		s->next_scan = t;
}

/* State records ------------------------------------------------------ */

static void
state_write(struct job *j)
{
	char *text = tlsrpt_sent_encode(&j->st);
	char ds[TLSRPT_DAY_LEN + 1];

	tlsrpt_day_str(j->day, ds);
	if (text == NULL || j->s->src.put(j->s->src.impl, j->key, text,
	    strlen(text)) < 0)
		log_err("tlsrpt: domain=%s day=%s: cannot store the delivery "
		    "state", j->domain, ds);
	free(text);
}

/* The stored state of (day, domain); 0 found, 1 none (st fresh). */
static int
state_read(struct tlsrpt_send *s, int64_t day, const char *domain,
    const char *key, struct tlsrpt_sent *st)
{
	void *val = NULL;
	size_t len = 0;
	char err[200];
	int rc = s->src.get(s->src.impl, key, &val, &len);

	if (rc == 1 && tlsrpt_sent_decode(val, len, st, err,
	    sizeof(err)) == 0) {
		free(val);
		return 0;
	}
	if (rc == 1)
		log_warn("tlsrpt: %s: unreadable state, starting again: %s",
		    key, err);
	free(val);
	memset(st, 0, sizeof(*st));
	st->state = TLSRPT_SENT_PENDING;
	st->first = tlsrpt_sched_first(day, domain, s->c.spread);
	st->next = st->first;
	return 1;
}

/* Ending an attempt -------------------------------------------------- */

static void
job_free(struct job *j)
{
	struct tlsrpt_send *s = j->s;

	for (struct job **pp = &s->jobs; *pp; pp = &(*pp)->next) {
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	}
	s->stats.active--;
	free(j);
}

static void
log_state(const struct job *j)
{
	char ds[TLSRPT_DAY_LEN + 1];

	tlsrpt_day_str(j->day, ds);
	log_notice("tlsrpt: domain=%s day=%s state=%s tries=%u%s%s%s%s",
	    j->domain, ds, tlsrpt_sent_state_name(j->st.state), j->st.tries,
	    j->st.sent_to[0] ? " sent_to=" : "", j->st.sent_to,
	    j->st.last_error[0] ? " error=" : "", j->st.last_error);
}

/* Nothing to send for this domain (no record, excluded, ...). */
static void
job_skip(struct job *j, const char *why)
{
	j->st.state = TLSRPT_SENT_SKIPPED;
	snprintf(j->st.last_error, sizeof(j->st.last_error), "%s", why);
	j->s->stats.skipped++;
	state_write(j);
	log_state(j);
	job_free(j);
}

/* The attempt is over: sent when every report was accepted. */
static void
job_end(struct job *j)
{
	uint32_t all = j->st.reports >= 32 ? UINT32_MAX
	    : (UINT32_C(1) << j->st.reports) - 1;
	int64_t now = now_of(j->s);

	j->st.tries++;
	if (j->st.reports > 0 && (j->st.done & all) == all) {
		j->st.state = TLSRPT_SENT_SENT;
		j->st.last_error[0] = '\0';
		j->s->stats.sent++;
	} else {
		int64_t next = tlsrpt_sched_retry(j->st.first, j->st.tries,
		    now, j->s->c.window);
		snprintf(j->st.last_error, sizeof(j->st.last_error), "%s",
		    j->error[0] ? j->error : "no destination accepted");
		if (next < 0) {
			j->st.state = TLSRPT_SENT_FAILED;
			j->s->stats.failed++;
		} else {
			j->st.next = next;
			wake_at(j->s, next);
		}
	}
	state_write(j);
	log_state(j);
	job_free(j);
}

/* Deliveries --------------------------------------------------------- */

/* The last failure of the attempt: destination and reason, bounded. */
static void
job_error(struct job *j, const char *dest, const char *why)
{
	snprintf(j->error, sizeof(j->error), "%.100s: %.150s", dest, why);
}

static void
dlv_done(void *arg, int ok, const char *detail)
{
	struct dlv *d = arg;
	struct job *j = d->job;

	if (ok) {
		j->st.done |= UINT32_C(1) << d->idx;
		snprintf(j->st.sent_to, sizeof(j->st.sent_to), "%s", d->dest);
	} else {
		j->s->stats.deliveries_failed++;
		job_error(j, d->dest, detail ? detail : "failed");
	}
	log_info("tlsrpt: domain=%s report %u to %s: %s%s%s", j->domain,
	    d->idx + 1, d->dest, ok ? "accepted" : "failed", detail ? ": " : "",
	    detail ? detail : "");
	free(d);
	if (--j->outstanding == 0)
		job_end(j);
}

static void
dlv_start(struct job *j, unsigned idx, const struct tlsrpt_rua *r,
    const unsigned char *gz, size_t gzlen, const char *mail, size_t mlen)
{
	struct tlsrpt_send *s = j->s;
	struct dlv *d = xcalloc(1, sizeof(*d));
	int rc;

	d->job = j;
	d->idx = idx;
	snprintf(d->dest, sizeof(d->dest), "%s", r->uri);
	j->outstanding++;
	if (r->kind == TLSRPT_RUA_MAILTO)
		rc = s->out.mail(s->out.impl, s->c.sender, r->addr, mail, mlen,
		    dlv_done, d);
	else
		rc = s->out.post(s->out.impl, r->uri, gz, gzlen, dlv_done, d);
	if (rc < 0) {
		j->outstanding--;
		s->stats.deliveries_failed++;
		job_error(j, d->dest, "cannot start");
		free(d);
	}
}

/* The message for one mailto: destination; NULL (logged) when refused. */
static char *
report_mail(struct job *j, const struct tlsrpt_rua *r, unsigned idx,
    const unsigned char *gz, size_t gzlen, size_t *lenp)
{
	struct tlsrpt_send *s = j->s;
	struct tlsrpt_mail m = { 0 };
	char *id = tlsrpt_report_id(j->day, idx + 1, j->domain);
	char *fn = tlsrpt_report_filename(s->c.submitter, j->domain, j->day,
	    idx + 1);
	char err[200], *msg;

	m.from = s->c.sender;
	m.to = r->addr;
	m.domain = j->domain;
	m.submitter = s->c.submitter;
	m.report_id = id;
	m.filename = fn;
	m.organization = s->c.organization;
	m.now = now_of(s);
	msg = tlsrpt_report_mail(&m, gz, gzlen, lenp, err, sizeof(err));
	if (msg == NULL) {
		log_warn("tlsrpt: domain=%s: no mail to %s: %s", j->domain,
		    r->uri, err);
		job_error(j, r->uri, err);
	}
	free(id);
	free(fn);
	return msg;
}

/* Send report idx (policies under record pr) to every destination. */
static void
send_report(struct job *j, const struct tlsrpt_agg_rec *rec, const char *pr,
    unsigned idx, const struct tlsrpt_rua **dest, size_t ndest)
{
	struct tlsrpt_report_meta meta = { j->s->c.organization,
	    j->s->c.contact };
	size_t tlen = 0, gzlen = 0;
	char *text = tlsrpt_report_text(rec, pr, idx + 1, &meta, &tlen);
	unsigned char *gz = text ? tlsrpt_gzip(text, tlen, &gzlen) : NULL;

	free(text);
	if (gz == NULL) {
		snprintf(j->error, sizeof(j->error), "report %u cannot be "
		    "built", idx + 1);
		return;
	}
	for (size_t i = 0; i < ndest; i++) {
		char *mail = NULL;
		size_t mlen = 0;
		if (dest[i]->kind == TLSRPT_RUA_MAILTO
		    && (mail = report_mail(j, dest[i], idx, gz, gzlen,
		    &mlen)) == NULL)
			continue;
		dlv_start(j, idx, dest[i], gz, gzlen, mail, mlen);
		free(mail);
	}
	free(gz);
}

/*
 * The reports of rec, as the TLSRPT record each covers: one per distinct
 * record Postfix saw (in order of first appearance), plus one for the
 * daemon's own events (empty record) when there are several; with at
 * most one, a single report of everything (NULL).  How many (bounded).
 */
static size_t
report_prs(const struct tlsrpt_agg_rec *rec, const char **pr, size_t max)
{
	size_t n = 0;
	int own = 0;

	for (size_t i = 0; i < rec->npol; i++) {
		size_t k = 0;
		if (rec->pol[i].pr[0] == '\0') {
			own = 1;
			continue;
		}
		while (k < n && strcmp(pr[k], rec->pol[i].pr) != 0)
			k++;
		if (k == n && n < max)
			pr[n++] = rec->pol[i].pr;
	}
	if (n <= 1) {
		pr[0] = NULL;
		return rec->npol > 0;
	}
	if (own && n < max)
		pr[n++] = "";
	return n;
}

/* The aggregate of the job's day and domain; NULL (reason in j) if none. */
static struct tlsrpt_agg_rec *
load_agg(struct job *j)
{
	char key[TLSRPT_AGG_KEY_MAX + 1], err[200];
	struct tlsrpt_agg_rec *rec = NULL;
	void *val = NULL;
	size_t len = 0;

	if (tlsrpt_agg_key(j->day, j->domain, key, sizeof(key)) < 0
	    || j->s->src.get(j->s->src.impl, key, &val, &len) != 1) {
		snprintf(j->error, sizeof(j->error), "aggregate unreadable");
	} else if (tlsrpt_agg_rec_decode(key, val, len, &rec, err,
	    sizeof(err)) != TLSRPT_AGG_DEC_OK) {
		snprintf(j->error, sizeof(j->error), "aggregate: %s", err);
		rec = NULL;
	}
	free(val);
	return rec;
}

/* Build and send the reports not yet accepted to the destinations. */
static void
send_reports(struct job *j, const struct tlsrpt_txt *txt)
{
	const struct tlsrpt_rua *dest[TLSRPT_RUA_MAX];
	const char *pr[TLSRPT_REPORTS_MAX];
	struct tlsrpt_agg_rec *rec = load_agg(j);
	size_t ndest = tlsrpt_dest_select(txt, j->s->out.post != NULL, dest,
	    TLSRPT_RUA_MAX), npr;

	if (rec == NULL) {
		job_end(j);
		return;
	}
	npr = report_prs(rec, pr, TLSRPT_REPORTS_MAX);
	if (npr == 0) {
		tlsrpt_agg_rec_free(rec);
		job_skip(j, "no policy recorded");
		return;
	}
	j->st.reports = (unsigned)npr;
	j->outstanding = 1;		/* held until every start is made */
	for (size_t i = 0; i < npr; i++)
		if (!(j->st.done & (UINT32_C(1) << i)))
			send_report(j, rec, pr[i], (unsigned)i, dest, ndest);
	tlsrpt_agg_rec_free(rec);
	if (ndest == 0)
		snprintf(j->error, sizeof(j->error), "no usable destination");
	if (--j->outstanding == 0)
		job_end(j);
}

/* The _smtp._tls lookup ----------------------------------------------- */

static void
txt_done(void *arg, const struct dns_result *r)
{
	struct job *j = arg;
	struct tlsrpt_txt txt;
	char qname[DNS_NAME_MAX + 16], err[200], why[240];
	enum tlsrpt_txt_status ts;

	j->q = NULL;
	if (r->status != DNS_OK || (r->rcode != LDNS_RCODE_NOERROR
	    && r->rcode != LDNS_RCODE_NXDOMAIN)) {
		snprintf(j->error, sizeof(j->error), "_smtp._tls TXT lookup "
		    "failed: %s rcode=%d", dns_status_name(r->status),
		    r->rcode);
		job_end(j);
		return;
	}
	snprintf(qname, sizeof(qname), "_smtp._tls.%s.", j->domain);
	ts = sts_dns_tlsrpt(r->rcode == LDNS_RCODE_NOERROR ? r->pkt : NULL,
	    qname, &txt, err, sizeof(err));
	if (ts == TLSRPT_TXT_NONE) {
		job_skip(j, "no _smtp._tls TXT record");
		return;
	}
	if (ts != TLSRPT_TXT_OK) {
		snprintf(why, sizeof(why), "invalid _smtp._tls TXT record: %s",
		    err);
		job_skip(j, why);
		return;
	}
	send_reports(j, &txt);
}

static void
job_start(struct tlsrpt_send *s, const struct due *d, const char *key,
    const struct tlsrpt_sent *st)
{
	struct job *j = xcalloc(1, sizeof(*j));
	char qname[DNS_NAME_MAX + 16];

	j->s = s;
	j->day = d->day;
	snprintf(j->domain, sizeof(j->domain), "%s", d->domain);
	snprintf(j->key, sizeof(j->key), "%s", key);
	j->st = *st;
	j->next = s->jobs;
	s->jobs = j;
	s->stats.active++;
	s->stats.attempts++;
	if (s->c.excluded != NULL && s->c.excluded(s->c.excluded_arg,
	    j->domain)) {
		job_skip(j, "excluded by tlsrpt_exclude");
		return;
	}
	if (s->dns.lookup == NULL) {
		snprintf(j->error, sizeof(j->error), "no resolver");
		job_end(j);
		return;
	}
	snprintf(qname, sizeof(qname), "_smtp._tls.%s.", j->domain);
	j->q = dns_port_lookup(&s->dns, qname, LDNS_RR_TYPE_TXT, txt_done, j);
	if (j->q == NULL) {
		snprintf(j->error, sizeof(j->error), "lookup cannot start");
		job_end(j);
	}
}

/* The tick ----------------------------------------------------------- */

static int
collect(const char *key, const void *val, size_t len, void *arg)
{
	struct walk *w = arg;
	struct due d;

	(void)val;
	(void)len;
	if (tlsrpt_agg_key_parse(key, &d.day, d.domain) < 0
	    || d.day >= w->today)
		return 0;
	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 64;
		w->v = xrealloc(w->v, w->cap * sizeof(*w->v));
	}
	w->v[w->n++] = d;
	return 0;
}

static int
active(const struct tlsrpt_send *s, const struct due *d)
{
	for (const struct job *j = s->jobs; j; j = j->next)
		if (j->day == d->day && strcmp(j->domain, d->domain) == 0)
			return 1;
	return 0;
}

/* Delete the aggregate and the state of a finished, old day. */
static void
expire(struct tlsrpt_send *s, const struct due *d, const char *key)
{
	char akey[TLSRPT_AGG_KEY_MAX + 1];

	if (tlsrpt_agg_key(d->day, d->domain, akey, sizeof(akey)) < 0)
		return;
	if (s->src.del(s->src.impl, akey) >= 0)
		s->src.del(s->src.impl, key);
	log_info("tlsrpt: %s deleted after %u days", akey, s->c.retain_days);
}

static void
consider(struct tlsrpt_send *s, const struct due *d, int64_t now)
{
	char key[TLSRPT_SENT_KEY_MAX + 1];
	struct tlsrpt_sent st;

	if (active(s, d) || tlsrpt_sent_key(d->day, d->domain, key,
	    sizeof(key)) < 0)
		return;
	if (state_read(s, d->day, d->domain, key, &st) == 0
	    && st.state != TLSRPT_SENT_PENDING) {
		if (tlsrpt_sched_expired(d->day, now, s->c.retain_days))
			expire(s, d, key);
		else
			wake_at(s, tlsrpt_sched_expiry(d->day, s->c.retain_days));
		return;
	}
	if (now < st.next)
		wake_at(s, st.next);
	else if (s->stats.active < TLSRPT_SEND_JOBS)
		job_start(s, d, key, &st);
	else
		wake_at(s, now);	/* when a job ends */
}

void
tlsrpt_send_tick(struct tlsrpt_send *s)
{
	int64_t now = now_of(s);
	struct walk w = { tlsrpt_day(now), NULL, 0, 0 };

	if (now < s->next_scan)
		return;
	/* At the latest: when the day ends, or records flushed late. */
	s->next_scan = (w.today + 1) * DAY_SECS;
	wake_at(s, now + TLSRPT_RESCAN);
	if (s->src.iter_prefix(s->src.impl, "rpt/", collect, &w) < 0) {
		log_warn("tlsrpt: cannot walk the aggregates");
		wake_at(s, now + 60);
	}
	for (size_t i = 0; i < w.n; i++)
		consider(s, &w.v[i], now);
	free(w.v);
}

/* Life cycle --------------------------------------------------------- */

struct tlsrpt_send *
tlsrpt_send_new(struct loop *l, const struct dns_port *dns,
    const struct rpt_source *src, const struct rpt_sender *out,
    const struct tlsrpt_send_config *c)
{
	struct tlsrpt_send *s = xcalloc(1, sizeof(*s));

	s->loop = l;
	if (dns != NULL)
		s->dns = *dns;
	s->src = *src;
	s->out = *out;
	s->c = *c;
	return s;
}

void
tlsrpt_send_stats(const struct tlsrpt_send *s, struct tlsrpt_send_stats *st)
{
	*st = s->stats;
}

void
tlsrpt_send_free(struct tlsrpt_send *s)
{
	if (s == NULL)
		return;
	/* Deliveries in flight end with their processes; the state stays
	 * pending in the store and the next start retries. */
	while (s->jobs != NULL) {
		struct job *j = s->jobs;
		if (j->q != NULL)
			dns_port_cancel(&s->dns, j->q);
		s->jobs = j->next;
		free(j);
	}
	free(s);
}
