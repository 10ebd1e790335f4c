/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the TLSRPT collector (policyd/tlsrpt_collect.c) fed
 * through tlsrpt_collect_datagram() and tlsrpt_collect_event() with an
 * injected clock and the memory store; its parameters
 * (lib/tlsrpt_conf.c); and tlsmap report's pure parts (tlsmap/report.c).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "params.h"
#include "report.h"
#include "store.h"
#include "tlsrpt_collect.h"
#include "tlsrpt_conf.h"

#define DAY0	INT64_C(1767225600)	/* 2026-01-01T00:00:00Z */

static const char OK_DG[] =
    "{\"dpv\": \"1\",\"d\": \"example.com\",\"pr\": \"v=TLSRPTv1; "
    "rua=mailto:tlsrpt@example.com\",\"policies\":[{\"policy-type\":2,"
    "\"policy-domain\": \"example.com\",\"policy-string\":[\"version: STSv1\","
    "\"mode: enforce\"],\"mx-host\":[\"mx.example.com\"],\"t\":0,\"f\":0}]}";

static const char FAIL_DG[] =
    "{\"dpv\": \"1\",\"d\": \"example.com\",\"pr\": \"v=TLSRPTv1; "
    "rua=mailto:tlsrpt@example.com\",\"policies\":[{\"policy-type\":2,"
    "\"policy-domain\": \"example.com\",\"policy-string\":[\"version: STSv1\","
    "\"mode: enforce\"],\"mx-host\":[\"mx.example.com\"],"
    "\"failure-details\":[{\"c\":202,\"n\": \"mx.example.com\"}],"
    "\"t\":1,\"f\":1}]}";

static int64_t fake_now = DAY0 + 3600;

static int64_t
now_fn(void *arg)
{
	(void)arg;
	return fake_now;
}

/* A configuration with the given overrides, resolved for host mx.site.test. */
static void
conf_with(struct tlsrpt_conf *tc, const char *text)
{
	struct config *cf = params_new();
	char err[256];

	ck_assert_msg(config_parse_text(cf, text, strlen(text), "t.conf", err,
	    sizeof(err)) == 0, "%s", err);
	tlsrpt_conf_init(tc, cf, "mx.site.test");
	config_free(cf);
}

static struct tlsrpt_collect *
collector(struct store *st, const struct tlsrpt_conf *tc)
{
	struct tlsrpt_collect_config cc = { tc, st, now_fn, NULL };

	return tlsrpt_collect_new(NULL, -1, &cc);
}

static void
send_str(struct tlsrpt_collect *c, const char *dg, int want)
{
	ck_assert_int_eq(tlsrpt_collect_datagram(c, dg, strlen(dg)), want);
}

/* The stored record of (day, domain), decoded; NULL when none. */
static struct tlsrpt_agg_rec *
stored(struct store *st, int64_t day, const char *domain)
{
	char key[TLSRPT_AGG_KEY_MAX + 1], why[256];
	struct tlsrpt_agg_rec *r = NULL;
	void *val;
	size_t len;

	ck_assert_int_eq(tlsrpt_agg_key(day, domain, key, sizeof(key)), 0);
	if (store_rec_get(st, key, &val, &len) != 1)
		return NULL;
	ck_assert_msg(tlsrpt_agg_rec_decode(key, val, len, &r, why,
	    sizeof(why)) == TLSRPT_AGG_DEC_OK, "%s", why);
	free(val);
	return r;
}

START_TEST(test_counts_and_outcomes)
{
	struct tlsrpt_conf tc;
	struct tlsrpt_collect *c;
	struct tlsrpt_collect_stat cs;
	const struct tlsrpt_agg_rec *r;
	static char big[TLSRPT_DGRAM_MAX + 2];

	conf_with(&tc, "tlsrpt_exclude = excluded.test\n");
	c = collector(NULL, &tc);
	send_str(c, OK_DG, TLSRPT_COL_OK);
	send_str(c, OK_DG, TLSRPT_COL_OK);
	send_str(c, FAIL_DG, TLSRPT_COL_OK);
	send_str(c, "not json", TLSRPT_COL_MALFORMED);
	send_str(c, "{\"dpv\": \"2\",\"d\": \"example.com\"}",
	    TLSRPT_COL_VERSION);
	send_str(c, "{\"d\": \"a.excluded.test\",\"policies\":[{"
	    "\"policy-type\":9,\"f\":0}]}", TLSRPT_COL_EXCLUDED);
	send_str(c, "{\"d\": \"site.test\",\"policies\":[{"
	    "\"policy-type\":9,\"f\":0}]}", TLSRPT_COL_EXCLUDED);
	memset(big, ' ', sizeof(big));
	ck_assert_int_eq(tlsrpt_collect_datagram(c, big, sizeof(big)),
	    TLSRPT_COL_TRUNCATED);
	tlsrpt_collect_stats(c, &cs);
	ck_assert_uint_eq(cs.datagrams[TLSRPT_COL_OK], 3);
	ck_assert_uint_eq(cs.datagrams[TLSRPT_COL_MALFORMED], 1);
	ck_assert_uint_eq(cs.datagrams[TLSRPT_COL_VERSION], 1);
	ck_assert_uint_eq(cs.datagrams[TLSRPT_COL_EXCLUDED], 2);
	ck_assert_uint_eq(cs.datagrams[TLSRPT_COL_TRUNCATED], 1);
	r = tlsrpt_agg_get(tlsrpt_collect_agg(c), tlsrpt_day(fake_now),
	    "example.com");
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->npol, 1);
	ck_assert_uint_eq(r->pol[0].total, 3);
	ck_assert_uint_eq(r->pol[0].failures, 1);
	ck_assert_ptr_null(tlsrpt_agg_get(tlsrpt_collect_agg(c),
	    tlsrpt_day(fake_now), "a.excluded.test"));
	tlsrpt_collect_free(c);
	tlsrpt_conf_clear(&tc);
}
END_TEST

/* Written on flush; a new collector on the same store goes on counting. */
START_TEST(test_restart_keeps_counts)
{
	struct store *st = store_open("memory:", NULL, NULL, 0);
	struct tlsrpt_conf tc;
	struct tlsrpt_collect *c;
	struct tlsrpt_collect_stat cs;
	struct tlsrpt_agg_rec *r;
	int64_t day = tlsrpt_day(fake_now);

	conf_with(&tc, "");
	c = collector(st, &tc);
	send_str(c, OK_DG, TLSRPT_COL_OK);
	send_str(c, FAIL_DG, TLSRPT_COL_OK);
	ck_assert_ptr_null(stored(st, day, "example.com"));	/* batched */
	tlsrpt_collect_flush(c);
	r = stored(st, day, "example.com");
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->pol[0].total, 2);
	tlsrpt_agg_rec_free(r);
	send_str(c, OK_DG, TLSRPT_COL_OK);
	tlsrpt_collect_free(c);			/* writes what waits */
	c = collector(st, &tc);
	tlsrpt_collect_stats(c, &cs);
	ck_assert_uint_eq(cs.loaded, 1);
	send_str(c, FAIL_DG, TLSRPT_COL_OK);
	tlsrpt_collect_free(c);
	r = stored(st, day, "example.com");
	ck_assert_uint_eq(r->pol[0].total, 4);
	ck_assert_uint_eq(r->pol[0].failures, 2);
	ck_assert_uint_eq(r->pol[0].ndetails, 1);
	ck_assert_uint_eq(r->pol[0].details[0].count, 2);
	tlsrpt_agg_rec_free(r);
	tlsrpt_conf_clear(&tc);
	store_close(st);
}
END_TEST

/* Only today's and yesterday's records are loaded at start. */
START_TEST(test_load_open_days_only)
{
	struct store *st = store_open("memory:", NULL, NULL, 0);
	struct tlsrpt_conf tc;
	struct tlsrpt_collect *c;
	struct tlsrpt_collect_stat cs;

	conf_with(&tc, "");
	for (int d = 0; d < 3; d++) {
		fake_now = DAY0 + d * 86400 + 60;
		c = collector(st, &tc);
		send_str(c, OK_DG, TLSRPT_COL_OK);
		tlsrpt_collect_free(c);
	}
	c = collector(st, &tc);		/* day 2: days 1 and 2 */
	tlsrpt_collect_stats(c, &cs);
	ck_assert_uint_eq(cs.loaded, 2);
	ck_assert_ptr_null(tlsrpt_agg_get(tlsrpt_collect_agg(c),
	    tlsrpt_day(DAY0), "example.com"));
	tlsrpt_collect_free(c);
	fake_now = DAY0 + 3600;
	tlsrpt_conf_clear(&tc);
	store_close(st);
}
END_TEST

/* TLSRPT_FLUSH_MAX changes write at once, without the timer. */
START_TEST(test_flush_by_count)
{
	struct store *st = store_open("memory:", NULL, NULL, 0);
	struct tlsrpt_conf tc;
	struct tlsrpt_collect *c;
	struct tlsrpt_collect_stat cs;

	conf_with(&tc, "");
	c = collector(st, &tc);
	for (int i = 0; i < TLSRPT_FLUSH_MAX - 1; i++)
		send_str(c, OK_DG, TLSRPT_COL_OK);
	tlsrpt_collect_stats(c, &cs);
	ck_assert_uint_eq(cs.writes, 0);
	send_str(c, OK_DG, TLSRPT_COL_OK);
	tlsrpt_collect_stats(c, &cs);
	ck_assert_uint_eq(cs.writes, 1);
	tlsrpt_collect_free(c);
	tlsrpt_conf_clear(&tc);
	store_close(st);
}
END_TEST

/* A backend whose writes fail while fail_writes is set. */
static int fail_writes;

static void *
flaky_open(const char *arg, const struct store_options *opt, char *err,
    size_t errlen)
{
	return store_mem_ops.open(arg, opt, err, errlen);
}

static int
flaky_putv(void *be, const struct store_kv *kv, size_t n)
{
	return fail_writes ? -1 : store_mem_ops.putv(be, kv, n);
}

START_TEST(test_failed_write_kept)
{
	struct store_ops ops = store_mem_ops;
	struct store *st;
	struct tlsrpt_conf tc;
	struct tlsrpt_collect *c;
	struct tlsrpt_collect_stat cs;
	struct tlsrpt_agg_rec *r;

	ops.open = flaky_open;
	ops.putv = flaky_putv;
	st = store_open_ops(&ops, "", NULL, NULL, 0);
	conf_with(&tc, "");
	c = collector(st, &tc);
	send_str(c, OK_DG, TLSRPT_COL_OK);
	fail_writes = 1;
	tlsrpt_collect_flush(c);
	fail_writes = 0;
	tlsrpt_collect_stats(c, &cs);
	ck_assert_uint_eq(cs.write_failures, 1);
	ck_assert_ptr_null(stored(st, tlsrpt_day(fake_now), "example.com"));
	tlsrpt_collect_flush(c);		/* still dirty: written now */
	r = stored(st, tlsrpt_day(fake_now), "example.com");
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->pol[0].total, 1);
	tlsrpt_agg_rec_free(r);
	tlsrpt_collect_free(c);
	tlsrpt_conf_clear(&tc);
	store_close(st);
}
END_TEST

START_TEST(test_own_events)
{
	struct tlsrpt_conf tc;
	struct tlsrpt_collect *c;
	const struct tlsrpt_agg_rec *r;
	const struct tlsrpt_agg_policy *p;
	char longer[600];

	conf_with(&tc, "");
	c = collector(NULL, &tc);
	ck_assert_int_eq(tlsrpt_collect_event(c, "sts.example",
	    "sts-policy-fetch-error", "HTTP 404"), TLSRPT_COL_OK);
	ck_assert_int_eq(tlsrpt_collect_event(c, "sts.example",
	    "sts-policy-fetch-error", "HTTP 404"), TLSRPT_COL_OK);
	ck_assert_int_eq(tlsrpt_collect_event(c, "sts.example",
	    "fetcher-unavailable", "x"), TLSRPT_COL_MALFORMED);
	ck_assert_int_eq(tlsrpt_collect_event(c, "not a domain",
	    "sts-policy-invalid", "x"), TLSRPT_COL_MALFORMED);
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	longer[3] = (char)0xff;			/* not UTF-8 */
	ck_assert_int_eq(tlsrpt_collect_event(c, "sts.example",
	    "sts-webpki-invalid", longer), TLSRPT_COL_OK);
	r = tlsrpt_agg_get(tlsrpt_collect_agg(c), tlsrpt_day(fake_now),
	    "sts.example");
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->npol, 1);
	p = &r->pol[0];
	ck_assert_int_eq(p->p.type, TLSRPT_POLICY_STS);
	ck_assert_str_eq(p->p.domain, "sts.example");
	ck_assert_str_eq(p->pr, "");
	ck_assert_uint_eq(p->total, 3);
	ck_assert_uint_eq(p->failures, 3);
	ck_assert_uint_eq(p->ndetails, 2);
	ck_assert_int_eq(p->details[0].d.code, 301);
	ck_assert_uint_eq(p->details[0].count, 2);
	ck_assert_str_eq(p->details[0].d.f, "HTTP 404");
	ck_assert_int_eq(p->details[1].d.code, 303);
	ck_assert(strlen(p->details[1].d.f) <= 3 * TLSRPT_COLLECT_REASON_MAX);
	ck_assert(tlsrpt_utf8_valid(p->details[1].d.f,
	    strlen(p->details[1].d.f)));
	tlsrpt_collect_free(c);
	tlsrpt_conf_clear(&tc);
}
END_TEST

/* tlsrpt_conf */

START_TEST(test_conf_defaults)
{
	static const struct {
		const char *host, *submitter;
	} t[] = {
		{ "mx1.example.com", "example.com" },
		{ "Mail.Example.ORG", "example.org" },
		{ "example.com", "example.com" },
		{ "localhost", "localhost" },
		{ "bad host", "localhost" },
		{ NULL, "localhost" },
	};
	struct config *cf = params_new();
	struct tlsrpt_conf tc;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		tlsrpt_conf_init(&tc, cf, t[i].host);
		ck_assert_str_eq(tc.submitter, t[i].submitter);
		ck_assert_str_eq(tc.organization, t[i].submitter);
		ck_assert(strncmp(tc.contact, "postmaster@", 11) == 0);
		ck_assert_str_eq(tc.contact + 11, t[i].submitter);
		ck_assert_uint_eq(tc.lim.domains, 10000);
		ck_assert_uint_eq(tc.lim.details, 100);
		tlsrpt_conf_clear(&tc);
	}
	config_free(cf);
}
END_TEST

START_TEST(test_conf_exclude)
{
	struct tlsrpt_conf tc;

	conf_with(&tc, "tlsrpt_submitter = Reports.Example\n"
	    "tlsrpt_organization = Example Org\n"
	    "tlsrpt_contact = tlsrpt@reports.example\n"
	    "tlsrpt_exclude = partner.test, other.test\n");
	ck_assert_str_eq(tc.submitter, "reports.example");
	ck_assert_str_eq(tc.organization, "Example Org");
	ck_assert_str_eq(tc.contact, "tlsrpt@reports.example");
	ck_assert_int_eq(tlsrpt_conf_excluded(&tc, "reports.example"), 1);
	ck_assert_int_eq(tlsrpt_conf_excluded(&tc, "mx.reports.example"), 1);
	ck_assert_int_eq(tlsrpt_conf_excluded(&tc, "PARTNER.test"), 1);
	ck_assert_int_eq(tlsrpt_conf_excluded(&tc, "a.other.test"), 1);
	ck_assert_int_eq(tlsrpt_conf_excluded(&tc, "xpartner.test"), 0);
	ck_assert_int_eq(tlsrpt_conf_excluded(&tc, "example"), 0);
	ck_assert_int_eq(tlsrpt_conf_excluded(&tc, "test"), 0);
	tlsrpt_conf_clear(&tc);
}
END_TEST

START_TEST(test_conf_refused)
{
	static const char *const bad[] = {
		"tlsrpt_listen = inet:127.0.0.1:1234\n",
		"tlsrpt_listen = unix:relative\n",
		"tlsrpt_organization = a \"quoted\" name\n",
		"tlsrpt_contact = x\\y\n",
		"tlsrpt_submitter = not a domain\n",
		"tlsrpt_exclude = ok.test, bad_domain!\n",
		"tlsrpt_max_domains = 0\n",
	};
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct config *cf = params_new();
		ck_assert_msg(config_parse_text(cf, bad[i], strlen(bad[i]), "t.conf", err,
		    sizeof(err)) < 0, "accepted: %s", bad[i]);
		config_free(cf);
	}
}
END_TEST

/* tlsmap report's pure parts */

START_TEST(test_state_text)
{
	static const struct {
		const char *json, *want;
	} t[] = {
		{ NULL, "-" },
		{ "{\"state\":\"sent\",\"tries\":1,\"sent_to\":"
		    "\"mailto:r@example.com\"}", "sent to mailto:r@example.com" },
		{ "{\"state\":\"retry\",\"tries\":2,\"last_error\":"
		    "\"4.4.1 timeout\\n\"}", "retry (2 tries): 4.4.1 timeout?" },
		{ "{\"state\":\"pending\",\"tries\":1}", "pending (1 try)" },
		{ "[1]", "(unreadable state)" },
		{ "{\"tries\":1}", "(unreadable state)" },
		{ "not json", "(unreadable state)" },
	};
	char out[256];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		report_state_text(t[i].json, t[i].json ? strlen(t[i].json) : 0,
		    out, sizeof(out));
		ck_assert_str_eq(out, t[i].want);
	}
}
END_TEST

START_TEST(test_report_args)
{
	char a0[] = "report", a1[] = "Example.COM", a2[] = "--day",
	    a3[] = "2026-01-02", a4[] = "--json", bad[] = "2026-13-01",
	    extra[] = "--bogus";
	char *ok[] = { a0, a1, a2, a3, a4 };
	char *baddate[] = { a0, a2, bad };
	char *badopt[] = { a0, extra };
	char *noval[] = { a0, a2 };
	struct report_args a;
	char err[128];

	ck_assert_int_eq(report_args(5, ok, &a, err, sizeof(err)), 0);
	ck_assert_str_eq(a.domain, "example.com");
	ck_assert(a.day == tlsrpt_day(DAY0) + 1);
	ck_assert_int_eq(a.json, 1);
	ck_assert_int_eq(report_args(1, ok, &a, err, sizeof(err)), 0);
	ck_assert_ptr_null(a.domain);
	ck_assert(a.day == -1);
	ck_assert_int_eq(report_args(3, baddate, &a, err, sizeof(err)), -1);
	ck_assert_int_eq(report_args(2, badopt, &a, err, sizeof(err)), -1);
	ck_assert_int_eq(report_args(2, noval, &a, err, sizeof(err)), -1);
}
END_TEST

static Suite *
collect_suite(void)
{
	Suite *s = suite_create("tlsrpt_collect");
	TCase *tc = tcase_create("collector");

	tcase_add_test(tc, test_counts_and_outcomes);
	tcase_add_test(tc, test_restart_keeps_counts);
	tcase_add_test(tc, test_load_open_days_only);
	tcase_add_test(tc, test_flush_by_count);
	tcase_add_test(tc, test_failed_write_kept);
	tcase_add_test(tc, test_own_events);
	suite_add_tcase(s, tc);
	tc = tcase_create("configuration");
	tcase_add_test(tc, test_conf_defaults);
	tcase_add_test(tc, test_conf_exclude);
	tcase_add_test(tc, test_conf_refused);
	suite_add_tcase(s, tc);
	tc = tcase_create("tlsmap report");
	tcase_add_test(tc, test_state_text);
	tcase_add_test(tc, test_report_args);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(collect_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
