/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for policyd/tlsrpt_send.c, the TLSRPT reporter, driven
 * through its ports: a scripted resolver (fakes.c), an in-memory record
 * store, a fake sender that answers each delivery on the next turn of
 * the loop as scripted, and an injected clock.  No root, no network.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "conf.h"
#include "fakes.h"
#include "loop.h"
#include "tlsrpt_agg.h"
#include "tlsrpt_dgram.h"
#include "tlsrpt_report.h"
#include "tlsrpt_sched.h"
#include "tlsrpt_send.h"
#include "util.h"

#define DAY		INT64_C(20454)		/* 2026-01-01 */
#define DAY_END		((DAY + 1) * 86400)
#define DOM		"example.com"
#define TXTNAME		"_smtp._tls.example.com."
#define AKEY		"rpt/2026-01-01/example.com"
#define SKEY		"rptsent/2026-01-01/example.com"
#define SPREAD		3600
#define PR1		"v=TLSRPTv1; rua=mailto:tlsrpt@example.com"
#define PR2		"v=TLSRPTv1; rua=https://old.example.com/"
#define TXT_BOTH	TXTNAME " 60 IN TXT \"v=TLSRPTv1; rua=mailto:rpt@" \
			"example.net,https://rpt.example.net/in\""

/* The in-memory store of raw records. */
#define REC_MAX	16
static struct { char *key; char *val; size_t len; } recs[REC_MAX];

static int
rec_find(const char *key)
{
	for (int i = 0; i < REC_MAX; i++)
		if (recs[i].key && strcmp(recs[i].key, key) == 0)
			return i;
	return -1;
}

static int
mem_get(void *impl, const char *key, void **valp, size_t *lenp)
{
	int i = rec_find(key);

	(void)impl;
	if (i < 0)
		return 0;
	*valp = xmalloc(recs[i].len + 1);
	memcpy(*valp, recs[i].val, recs[i].len);
	((char *)*valp)[recs[i].len] = '\0';
	*lenp = recs[i].len;
	return 1;
}

static int
mem_put(void *impl, const char *key, const void *val, size_t len)
{
	int i = rec_find(key);

	(void)impl;
	for (int k = 0; i < 0 && k < REC_MAX; k++)
		if (recs[k].key == NULL)
			i = k;
	ck_assert_int_ge(i, 0);
	free(recs[i].key);
	free(recs[i].val);
	recs[i].key = xstrdup(key);
	recs[i].val = xmalloc(len + 1);
	memcpy(recs[i].val, val, len);
	recs[i].len = len;
	return 0;
}

static int
mem_del(void *impl, const char *key)
{
	int i = rec_find(key);

	(void)impl;
	if (i < 0)
		return 0;
	free(recs[i].key);
	free(recs[i].val);
	recs[i].key = recs[i].val = NULL;
	return 1;
}

static unsigned nwalks;		/* mem_iter() calls: walks of the store */

static int
mem_iter(void *impl, const char *prefix, rpt_rec_fn fn, void *arg)
{
	(void)impl;
	nwalks++;
	for (int i = 0; i < REC_MAX; i++)
		if (recs[i].key && strncmp(recs[i].key, prefix,
		    strlen(prefix)) == 0 && fn(recs[i].key, recs[i].val,
		    recs[i].len, arg))
			return 1;
	return 0;
}

/* The fake sender: records every delivery, answers as scripted. */
#define DLV_MAX	64
struct dlv_rec {
	int mail;
	char dest[300];
	char *data;		/* message, or gzip body */
	size_t len;
	rpt_done_fn cb;
	void *arg;
	int answered;
};
static struct dlv_rec dlvs[DLV_MAX];
static unsigned ndlv, nanswered;
static int mail_ok = 1, post_ok = 1;
static struct loop *lp;

static void
answer(struct loop *l, void *arg)
{
	struct dlv_rec *d = arg;

	(void)l;
	d->answered = 1;
	nanswered++;
	d->cb(d->arg, d->mail ? mail_ok : post_ok, d->mail ? "exit status"
	    : "HTTP status");
}

static int
record(int mail, const char *dest, const void *data, size_t len,
    rpt_done_fn cb, void *arg)
{
	struct dlv_rec *d = &dlvs[ndlv++];

	ck_assert_uint_lt(ndlv, DLV_MAX);
	d->mail = mail;
	snprintf(d->dest, sizeof(d->dest), "%s", dest);
	d->data = xmalloc(len + 1);
	memcpy(d->data, data, len);
	d->data[len] = '\0';
	d->len = len;
	d->cb = cb;
	d->arg = arg;
	loop_timer(lp, 0, answer, d);
	return 0;
}

static int
fake_mail(void *impl, const char *from, const char *rcpt, const char *msg,
    size_t len, rpt_done_fn cb, void *arg)
{
	(void)impl;
	ck_assert_str_eq(from, "tlsrpt@sender.example");
	return record(1, rcpt, msg, len, cb, arg);
}

static int
fake_post(void *impl, const char *url, const void *body, size_t len,
    rpt_done_fn cb, void *arg)
{
	(void)impl;
	return record(0, url, body, len, cb, arg);
}

static int64_t clock_now;

static int64_t
fake_now(void *arg)
{
	(void)arg;
	return clock_now;
}

static struct fake_dns *fd;
static struct tlsrpt_send *rs;

/* Put the aggregate of DAY for DOM: total sessions under pr, failures. */
static void
put_agg(const char *const *prs, size_t n, unsigned total, unsigned failed)
{
	struct tlsrpt_agg_rec *r = tlsrpt_agg_rec_new(DAY, DOM);
	struct tlsrpt_policy p = { 0 };
	char *strings[] = { "version: STSv1", "mode: enforce",
	    "mx: mx.example.com", "max_age: 604800" };
	char *mx[] = { "mx.example.com" };
	unsigned char *buf;
	size_t len;

	p.type = TLSRPT_POLICY_STS;
	p.domain = DOM;
	p.strings = strings;
	p.nstrings = 4;
	p.mx = mx;
	p.nmx = 1;
	for (size_t k = 0; k < n; k++) {
		for (unsigned i = 0; i < total; i++) {
			p.failed = i < failed;
			tlsrpt_agg_rec_add(r, prs[k], &p, NULL);
		}
	}
	buf = tlsrpt_agg_rec_encode(r, &len);
	mem_put(NULL, AKEY, buf, len);
	free(buf);
	tlsrpt_agg_rec_free(r);
}

/* The test's exclusion rule: the domain or a subdomain of "com". */
static int
exclude_com(void *arg, const char *domain)
{
	size_t n = strlen(domain);

	(void)arg;
	return strcmp(domain, "com") == 0 || (n > 4
	    && strcmp(domain + n - 4, ".com") == 0);
}

static struct tlsrpt_send *
reporter_new(int exclude)
{
	struct rpt_source src = { mem_get, mem_put, mem_del, mem_iter, NULL };
	struct rpt_sender out = { fake_mail, fake_post, NULL };
	struct tlsrpt_send_config c = { 0 };
	struct dns_port dp;

	c.organization = "Sender Org";
	c.contact = "tlsrpt@sender.example";
	c.submitter = "sender.example";
	c.sender = "tlsrpt@sender.example";
	c.excluded = exclude ? exclude_com : NULL;
	c.spread = SPREAD;
	c.window = TLSRPT_WINDOW_DEF;
	c.retain_days = 3;
	c.now = fake_now;
	fake_dns_port(fd, &dp);
	return tlsrpt_send_new(lp, &dp, &src, &out, &c);
}

static void
setup(void)
{
	lp = loop_new();
	fd = fake_dns_new(lp);
	memset(recs, 0, sizeof(recs));
	memset(dlvs, 0, sizeof(dlvs));
	ndlv = nanswered = nwalks = 0;
	mail_ok = post_ok = 1;
	clock_now = DAY_END - 1;
	rs = reporter_new(0);
}

static void
teardown(void)
{
	tlsrpt_send_free(rs);
	fake_dns_free(fd);
	loop_free(lp);
	for (int i = 0; i < REC_MAX; i++) {
		free(recs[i].key);
		free(recs[i].val);
	}
	for (unsigned i = 0; i < ndlv; i++)
		free(dlvs[i].data);
}

static int
idle(void *arg)
{
	struct tlsrpt_send_stats st;

	(void)arg;
	tlsrpt_send_stats(rs, &st);
	return st.active == 0 && nanswered == ndlv;
}

/* A tick, then the loop until every attempt has ended. */
static void
tick_at(int64_t t)
{
	clock_now = t;
	tlsrpt_send_tick(rs);
	ck_assert(run_until(lp, idle, NULL, 2000));
}

static struct tlsrpt_sent
state(void)
{
	struct tlsrpt_sent st;
	char err[200];
	int i = rec_find(SKEY);

	ck_assert_int_ge(i, 0);
	ck_assert_int_eq(tlsrpt_sent_decode(recs[i].val, recs[i].len, &st,
	    err, sizeof(err)), 0);
	return st;
}

static void
txt(const char *rrs)
{
	fake_dns_set(fd, TXTNAME, LDNS_RR_TYPE_TXT, DNS_OK, rrs
	    ? LDNS_RCODE_NOERROR : LDNS_RCODE_NXDOMAIN, 0, 60, rrs);
}

/* The usual day: one session under PR1, the TXT reply rrs (NULL: none). */
static void
one_session(const char *rrs)
{
	const char *prs[] = { PR1 };

	put_agg(prs, 1, 1, 0);
	txt(rrs);
}

static int64_t
due(void)
{
	return tlsrpt_sched_first(DAY, DOM, SPREAD);
}

/* The JSON report of a POST body. */
static json_t *
post_json(const struct dlv_rec *d)
{
	size_t n;
	unsigned char *text = tlsrpt_gunzip(d->data, d->len, 1 << 20, &n);
	json_t *j;

	ck_assert_ptr_nonnull(text);
	j = json_loadb((char *)text, n, 0, NULL);
	free(text);
	ck_assert_ptr_nonnull(j);
	return j;
}

START_TEST(test_sent_after_day)
{
	const char *prs[] = { PR1 };
	json_t *j, *sum;

	put_agg(prs, 1, 5, 2);
	txt(TXT_BOTH);
	/* Not before the day has ended plus the domain's offset. */
	tick_at(DAY_END - 1);
	tick_at(due() - 1);
	ck_assert_uint_eq(fake_dns_asked(fd, TXTNAME, LDNS_RR_TYPE_TXT), 0);
	ck_assert_uint_eq(ndlv, 0);
	ck_assert(due() >= DAY_END && due() < DAY_END + SPREAD);
	tick_at(due());
	ck_assert_uint_eq(fake_dns_asked(fd, TXTNAME, LDNS_RR_TYPE_TXT), 1);
	ck_assert_uint_eq(ndlv, 2);
	/* The mail: to the mailto: address, a TLSRPT message that cannot be
	 * held back by the failures it reports. */
	ck_assert(dlvs[0].mail);
	ck_assert_str_eq(dlvs[0].dest, "rpt@example.net");
	ck_assert_ptr_nonnull(strstr(dlvs[0].data, "\nTLS-Required: No\n"));
	ck_assert_ptr_nonnull(strstr(dlvs[0].data,
	    "report-type=\"tlsrpt\""));
	ck_assert_ptr_nonnull(strstr(dlvs[0].data, "TLS-Report-Domain: "
	    DOM "\n"));
	/* The POST: the gzip JSON with the stored counts. */
	ck_assert(!dlvs[1].mail);
	ck_assert_str_eq(dlvs[1].dest, "https://rpt.example.net/in");
	j = post_json(&dlvs[1]);
	ck_assert_str_eq(json_string_value(json_object_get(j, "report-id")),
	    "2026-01-01T00:00:00Z_idx1_example.com");
	sum = json_object_get(json_array_get(json_object_get(j, "policies"),
	    0), "summary");
	ck_assert_int_eq(json_integer_value(json_object_get(sum,
	    "total-successful-session-count")), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(sum,
	    "total-failure-session-count")), 2);
	json_decref(j);
	ck_assert_int_eq(state().state, TLSRPT_SENT_SENT);
	ck_assert_uint_eq(state().tries, 1);
	/* Sent is final: later ticks send nothing more. */
	tick_at(due() + 86400);
	ck_assert_uint_eq(ndlv, 2);
}
END_TEST

/* One destination accepting is enough. */
START_TEST(test_one_accepts)
{
	one_session(TXT_BOTH);
	mail_ok = 0;
	tick_at(due());
	ck_assert_int_eq(state().state, TLSRPT_SENT_SENT);
	ck_assert_str_eq(state().sent_to, "https://rpt.example.net/in");
}
END_TEST

/* A receiver down: retried with back-off, then delivered. */
START_TEST(test_retry)
{
	struct tlsrpt_sent st;

	one_session(TXT_BOTH);
	mail_ok = post_ok = 0;
	tick_at(due());
	st = state();
	ck_assert_int_eq(st.state, TLSRPT_SENT_PENDING);
	ck_assert_uint_eq(st.tries, 1);
	ck_assert_int_eq(st.next, due() + TLSRPT_RETRY_MIN);
	ck_assert_ptr_nonnull(strstr(st.last_error, "HTTP status"));
	tick_at(st.next - 1);
	ck_assert_uint_eq(ndlv, 2);
	post_ok = 1;
	tick_at(st.next);
	ck_assert_uint_eq(ndlv, 4);
	ck_assert_int_eq(state().state, TLSRPT_SENT_SENT);
	ck_assert_uint_eq(state().tries, 2);
}
END_TEST

/* Never accepted: given up after the window, in a bounded number. */
START_TEST(test_give_up)
{
	struct tlsrpt_sent st;
	unsigned rounds = 0;

	one_session(TXT_BOTH);
	mail_ok = post_ok = 0;
	tick_at(due());
	while ((st = state()).state == TLSRPT_SENT_PENDING) {
		ck_assert_uint_lt(++rounds, 20);
		ck_assert(st.next <= due() + TLSRPT_WINDOW_DEF);
		tick_at(st.next);
	}
	ck_assert_int_eq(st.state, TLSRPT_SENT_FAILED);
	ck_assert_uint_eq(ndlv, 2 * st.tries);
}
END_TEST

/* Nothing to send: no record, an invalid one (two), excluded. */
START_TEST(test_skipped)
{
	one_session(NULL);
	tick_at(due());
	ck_assert_int_eq(state().state, TLSRPT_SENT_SKIPPED);
	ck_assert_str_eq(state().last_error, "no _smtp._tls TXT record");
	/* Each case afresh: the state removed, the reporter restarted. */
	mem_del(NULL, SKEY);
	tlsrpt_send_free(rs);
	rs = reporter_new(0);
	txt(TXTNAME " 60 IN TXT \"v=TLSRPTv1; rua=mailto:a@example.net\"\n"
	    TXTNAME " 60 IN TXT \"v=TLSRPTv1; rua=mailto:b@example.net\"");
	tick_at(due());
	ck_assert_int_eq(state().state, TLSRPT_SENT_SKIPPED);
	ck_assert_ptr_nonnull(strstr(state().last_error, "invalid"));
	ck_assert_uint_eq(ndlv, 0);
	/* Excluded (a parent listed): not even looked up. */
	mem_del(NULL, SKEY);
	tlsrpt_send_free(rs);
	rs = reporter_new(1);
	txt(TXT_BOTH);
	tick_at(due());
	ck_assert_int_eq(state().state, TLSRPT_SENT_SKIPPED);
	ck_assert_ptr_nonnull(strstr(state().last_error, "excluded"));
	ck_assert_uint_eq(fake_dns_asked(fd, TXTNAME, LDNS_RR_TYPE_TXT), 2);
	ck_assert_uint_eq(ndlv, 0);
}
END_TEST

/* A DNS failure is a failed attempt, retried; not "no record". */
START_TEST(test_dns_failure)
{
	const char *prs[] = { PR1 };

	put_agg(prs, 1, 1, 0);
	fake_dns_set(fd, TXTNAME, LDNS_RR_TYPE_TXT, DNS_TIMEOUT, 0, 0, 0,
	    NULL);
	tick_at(due());
	ck_assert_int_eq(state().state, TLSRPT_SENT_PENDING);
	ck_assert_ptr_nonnull(strstr(state().last_error, "lookup failed"));
	txt(TXT_BOTH);
	tick_at(state().next);
	ck_assert_int_eq(state().state, TLSRPT_SENT_SENT);
}
END_TEST

/* Two TLSRPT records seen that day: two reports; a restart resumes with
 * only the one not yet accepted. */
START_TEST(test_two_reports_resume)
{
	const char *prs[] = { PR1, PR2 };
	struct tlsrpt_sent st = { 0 };
	char *text;
	json_t *j;

	put_agg(prs, 2, 1, 0);
	txt(TXTNAME " 60 IN TXT \"v=TLSRPTv1; rua=https://rpt.example.net/\"");
	st.state = TLSRPT_SENT_PENDING;
	st.tries = 1;
	st.first = due();
	st.next = due() + 300;
	st.reports = 2;
	st.done = 1;
	text = tlsrpt_sent_encode(&st);
	mem_put(NULL, SKEY, text, strlen(text));
	free(text);
	tlsrpt_send_free(rs);
	rs = reporter_new(0);
	tick_at(due() + 299);
	ck_assert_uint_eq(ndlv, 0);
	tick_at(due() + 300);
	ck_assert_uint_eq(ndlv, 1);
	j = post_json(&dlvs[0]);
	ck_assert_str_eq(json_string_value(json_object_get(j, "report-id")),
	    "2026-01-01T00:00:00Z_idx2_example.com");
	json_decref(j);
	ck_assert_int_eq(state().state, TLSRPT_SENT_SENT);
	ck_assert_uint_eq(state().done, 3);
}
END_TEST

/* Records of a finished day are deleted after the retention. */
START_TEST(test_retention)
{
	one_session(TXT_BOTH);
	tick_at(due());
	ck_assert_int_ge(rec_find(AKEY), 0);
	tick_at(DAY_END + 3 * 86400 - 1);
	ck_assert_int_ge(rec_find(AKEY), 0);
	ck_assert_int_ge(rec_find(SKEY), 0);
	tick_at(DAY_END + 3 * 86400);
	ck_assert_int_lt(rec_find(AKEY), 0);
	ck_assert_int_lt(rec_find(SKEY), 0);
}
END_TEST

/* Today's aggregate is never reported. */
START_TEST(test_today_not_reported)
{
	one_session(TXT_BOTH);
	tick_at(DAY * 86400 + 86399);
	ck_assert_int_lt(rec_find(SKEY), 0);
	ck_assert_uint_eq(ndlv, 0);
}
END_TEST

/* The daemon's own events (empty record) go with Postfix's one record. */
START_TEST(test_own_events_joined)
{
	const char *prs[] = { PR1, "" };
	json_t *j;

	put_agg(prs, 2, 2, 1);
	txt(TXTNAME " 60 IN TXT \"v=TLSRPTv1; rua=https://rpt.example.net/\"");
	tick_at(due());
	ck_assert_uint_eq(ndlv, 1);
	j = post_json(&dlvs[0]);
	ck_assert_uint_eq(json_array_size(json_object_get(j, "policies")), 2);
	json_decref(j);
	ck_assert_uint_eq(state().reports, 1);
	ck_assert_int_eq(state().state, TLSRPT_SENT_SENT);
}
END_TEST

/* tlsrpt_sendmail_start(): a real child through a script standing in for
 * sendmail, which records its arguments, input and open descriptors. */
static char smdir[] = "/tmp/check_tlsrpt_sm.XXXXXX";
static int sm_ok = -1;
static char sm_detail[128];

static void
sm_cb(void *arg, int ok, const char *detail)
{
	(void)arg;
	sm_ok = ok;
	snprintf(sm_detail, sizeof(sm_detail), "%s", detail);
}

static int
sm_done(void *arg)
{
	(void)arg;
	return sm_ok >= 0;
}

/* A sendmail script: BODY after the recording lines. */
static void
sm_script(const char *path, const char *body)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "#!/bin/sh\nd=$(dirname \"$0\")\nprintf '%%s\\n' \"$@\" > \"$d/args\"\n"
	    "cat > \"$d/in\"\nls /proc/$$/fd > \"$d/fds\"\n%s\n", body);
	fclose(f);
	chmod(path, 0755);
}

/* Newlines as spaces, for a message. */
static const char *
str_oneline(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == '\n')
			*p = ' ';
	return s;
}

/* One run of the script with BODY, bounded by timeout_ms, to its end. */
static void
sm_run(struct loop *l, const char *path, const char *body, long timeout_ms)
{
	static const char msg[] = "Subject: x\n\nreport\n";

	sm_script(path, body);
	sm_ok = -1;
	ck_assert_int_eq(tlsrpt_sendmail_start(l, path, timeout_ms,
	    "a@x.example", "b@y.example", msg, strlen(msg), sm_cb, NULL), 0);
	ck_assert(run_until(l, sm_done, NULL, 10000));
}

static char *
slurp(const char *name)
{
	char path[256];
	size_t len;
	const char *err;

	snprintf(path, sizeof(path), "%s/%s", smdir, name);
	return file_read(path, 1 << 20, &len, &err);
}

START_TEST(test_sendmail_child)
{
	struct loop *l = loop_new();
	char path[256], *args, *in, *fds;
	static const char msg[] = "Subject: x\n\nreport\n";
	int keep = open("/dev/null", O_RDONLY);	/* not to be inherited */

	ck_assert_ptr_nonnull(mkdtemp(smdir));
	snprintf(path, sizeof(path), "%s/sendmail", smdir);
	sm_script(path, "exit 0");
	sm_ok = -1;
	ck_assert_int_eq(tlsrpt_sendmail_start(l, path, 10000, "a@x.example",
	    "b@y.example", msg, strlen(msg), sm_cb, NULL), 0);
	ck_assert_int_eq(sm_ok, -1);		/* never from inside start */
	ck_assert(run_until(l, sm_done, NULL, 10000));
	ck_assert_int_eq(sm_ok, 1);
	args = slurp("args");
	in = slurp("in");
	fds = slurp("fds");
	ck_assert_str_eq(args, "-oi\n-f\na@x.example\n--\nb@y.example\n");
	ck_assert_str_eq(in, msg);
	snprintf(path, sizeof(path), "\n%d\n", keep);
	ck_assert_msg(strstr(fds, path) == NULL, "descriptors of the child: "
	    "[%s] (daemon's %d)", str_oneline(fds), keep);
	snprintf(path, sizeof(path), "%s/sendmail", smdir);
	free(args);
	free(in);
	free(fds);
	/* A temporary failure: its exit status. */
	sm_run(l, path, "exit 75", 10000);
	ck_assert_int_eq(sm_ok, 0);
	ck_assert_str_eq(sm_detail, "sendmail exit status 75");
	/* Hung: killed at the deadline. */
	sm_run(l, path, "exec sleep 600", 300);
	ck_assert_int_eq(sm_ok, 0);
	ck_assert_str_eq(sm_detail, "sendmail timed out, killed");
	close(keep);
	loop_free(l);
	snprintf(path, sizeof(path), "rm -rf %s", smdir);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

/* The store is walked only when something may be due, not every tick. */
START_TEST(test_walks_bounded)
{
	unsigned i;

	one_session(TXT_BOTH);
	post_ok = mail_ok = 0;
	tick_at(DAY_END - 100);
	ck_assert_uint_eq(nwalks, 1);
	for (i = 0; i < 50; i++)		/* ticks 5 s apart: no walk */
		tick_at(DAY_END - 99 + i);
	ck_assert_uint_eq(nwalks, 1);
	ck_assert(due() > DAY_END);		/* example.com's offset */
	tick_at(DAY_END);			/* the day ended */
	ck_assert_uint_eq(nwalks, 2);
	ck_assert_uint_eq(ndlv, 0);
	tick_at(due() - 1);
	ck_assert_uint_eq(nwalks, 2);
	tick_at(due());
	ck_assert_uint_eq(ndlv, 2);
	i = nwalks;
	tick_at(due() + TLSRPT_RETRY_MIN - 1);	/* before the retry */
	ck_assert_uint_eq(nwalks, i);
	tick_at(due() + TLSRPT_RETRY_MIN);
	ck_assert_uint_eq(nwalks, i + 1);
	ck_assert_uint_eq(ndlv, 4);
}
END_TEST

static Suite *
send_suite(void)
{
	Suite *s = suite_create("tlsrpt_send");
	TCase *tc = tcase_create("reporter");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sent_after_day);
	tcase_add_test(tc, test_one_accepts);
	tcase_add_test(tc, test_retry);
	tcase_add_test(tc, test_give_up);
	tcase_add_test(tc, test_skipped);
	tcase_add_test(tc, test_dns_failure);
	tcase_add_test(tc, test_two_reports_resume);
	tcase_add_test(tc, test_retention);
	tcase_add_test(tc, test_own_events_joined);
	tcase_add_test(tc, test_walks_bounded);
	tcase_add_test(tc, test_today_not_reported);
	suite_add_tcase(s, tc);
	tc = tcase_create("sendmail");
	tcase_add_test(tc, test_sendmail_child);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(send_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
