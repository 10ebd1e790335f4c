/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for lib/tlsrpt_sched.c: the TLSRPT reporter's schedule,
 * back-off, retention, delivery state record and destination choice.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsrpt_agg.h"
#include "tlsrpt_sched.h"

#define DAY_2026_01_01	INT64_C(20454)		/* 1767225600 / 86400 */
#define T_2026_01_02	INT64_C(1767312000)

START_TEST(test_offset)
{
	int64_t a = tlsrpt_sched_offset("example.com", 14400);
	int64_t spread[] = { 1, 60, 3600, 14400 };
	int differ = 0;

	/* Deterministic, within [0, spread), 0 without a spread. */
	ck_assert_int_eq(a, tlsrpt_sched_offset("example.com", 14400));
	ck_assert_int_eq(tlsrpt_sched_offset("example.com", 0), 0);
	ck_assert_int_eq(tlsrpt_sched_offset("example.com", -5), 0);
	for (size_t i = 0; i < sizeof(spread) / sizeof(*spread); i++) {
		int64_t o = tlsrpt_sched_offset("a.example", spread[i]);
		ck_assert(o >= 0 && o < spread[i]);
	}
	/* Domains are spread, not all at one time. */
	differ = tlsrpt_sched_offset("a.example", 14400)
	    != tlsrpt_sched_offset("b.example", 14400);
	ck_assert(differ);
}
END_TEST

START_TEST(test_first)
{
	/* The day ends at 2026-01-02 00:00:00 UTC; the offset follows. */
	ck_assert_int_eq(tlsrpt_sched_first(DAY_2026_01_01, "example.com", 0),
	    T_2026_01_02);
	ck_assert_int_eq(tlsrpt_sched_first(DAY_2026_01_01, "example.com",
	    14400), T_2026_01_02 + tlsrpt_sched_offset("example.com", 14400));
	ck_assert(tlsrpt_sched_first(DAY_2026_01_01, "x.example", 14400)
	    < T_2026_01_02 + 14400);
}
END_TEST

START_TEST(test_backoff)
{
	ck_assert_int_eq(tlsrpt_sched_backoff(0), 0);
	ck_assert_int_eq(tlsrpt_sched_backoff(1), 300);
	ck_assert_int_eq(tlsrpt_sched_backoff(2), 600);
	ck_assert_int_eq(tlsrpt_sched_backoff(3), 1200);
	ck_assert_int_eq(tlsrpt_sched_backoff(6), 9600);
	ck_assert_int_eq(tlsrpt_sched_backoff(7), TLSRPT_RETRY_MAX);
	ck_assert_int_eq(tlsrpt_sched_backoff(1000000), TLSRPT_RETRY_MAX);
}
END_TEST

START_TEST(test_retry_window)
{
	int64_t first = T_2026_01_02, now = first;
	unsigned tries = 0;

	/* Retries until the window is used up, then -1; bounded count. */
	for (;;) {
		int64_t next = tlsrpt_sched_retry(first, ++tries, now,
		    TLSRPT_WINDOW_DEF);
		if (next < 0)
			break;
		ck_assert(next > now);
		ck_assert(next <= first + TLSRPT_WINDOW_DEF);
		now = next;
		ck_assert_uint_lt(tries, 20);
	}
	ck_assert_uint_ge(tries, 8);
	ck_assert(now + tlsrpt_sched_backoff(tries) > first + TLSRPT_WINDOW_DEF);
	/* Exactly at the end of the window is still allowed. */
	ck_assert_int_eq(tlsrpt_sched_retry(first, 1, first + 86400 - 300,
	    86400), first + 86400);
	ck_assert_int_eq(tlsrpt_sched_retry(first, 1, first + 86400 - 299,
	    86400), -1);
}
END_TEST

START_TEST(test_expired)
{
	int64_t day = DAY_2026_01_01;

	/* Kept retain_days full days after the day ended. */
	ck_assert_int_eq(tlsrpt_sched_expired(day, T_2026_01_02 + 7 * 86400 - 1,
	    7), 0);
	ck_assert_int_eq(tlsrpt_sched_expired(day, T_2026_01_02 + 7 * 86400,
	    7), 1);
	/* 0 means one day: never before the reports went out. */
	ck_assert_int_eq(tlsrpt_sched_expired(day, T_2026_01_02 + 86399, 0), 0);
	ck_assert_int_eq(tlsrpt_sched_expired(day, T_2026_01_02 + 86400, 0), 1);
	ck_assert_int_eq(tlsrpt_sched_expiry(day, 7), T_2026_01_02 + 7 * 86400);
	ck_assert_int_eq(tlsrpt_sched_expiry(day, 0), T_2026_01_02 + 86400);
}
END_TEST

START_TEST(test_state_roundtrip)
{
	struct tlsrpt_sent s = { 0 }, d;
	char err[200], *text;

	s.state = TLSRPT_SENT_PENDING;
	s.tries = 3;
	s.first = T_2026_01_02 + 17;
	s.next = T_2026_01_02 + 2117;
	s.reports = 2;
	s.done = 1;
	snprintf(s.last_error, sizeof(s.last_error), "sendmail: exit 75");
	snprintf(s.sent_to, sizeof(s.sent_to), "mailto:r@example.com");
	text = tlsrpt_sent_encode(&s);
	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text, "{\"done\":1,\"first\":1767312017,"
	    "\"last_error\":\"sendmail: exit 75\",\"next\":1767314117,"
	    "\"reports\":2,\"sent_to\":\"mailto:r@example.com\","
	    "\"state\":\"pending\",\"tries\":3}");
	ck_assert_int_eq(tlsrpt_sent_decode(text, strlen(text), &d, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(d.state, TLSRPT_SENT_PENDING);
	ck_assert_uint_eq(d.tries, 3);
	ck_assert_int_eq(d.first, s.first);
	ck_assert_int_eq(d.next, s.next);
	ck_assert_uint_eq(d.reports, 2);
	ck_assert_uint_eq(d.done, 1);
	ck_assert_str_eq(d.last_error, s.last_error);
	ck_assert_str_eq(d.sent_to, s.sent_to);
	free(text);
	for (int st = TLSRPT_SENT_PENDING; st <= TLSRPT_SENT_SKIPPED; st++) {
		s.state = st;
		text = tlsrpt_sent_encode(&s);
		ck_assert_int_eq(tlsrpt_sent_decode(text, strlen(text), &d,
		    err, sizeof(err)), 0);
		ck_assert_int_eq(d.state, st);
		free(text);
	}
}
END_TEST

START_TEST(test_state_refused)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"state\":\"pending\"}",
		"{\"done\":0,\"first\":0,\"last_error\":\"\",\"next\":0,"
		"\"reports\":0,\"sent_to\":\"\",\"state\":\"lost\",\"tries\":0}",
		"{\"done\":0,\"first\":0,\"last_error\":\"\",\"next\":0,"
		"\"reports\":0,\"sent_to\":\"\",\"state\":\"sent\",\"tries\":-1}",
		"{\"done\":0,\"first\":0,\"last_error\":\"\",\"next\":0,"
		"\"reports\":33,\"sent_to\":\"\",\"state\":\"sent\",\"tries\":0}",
		"{\"done\":0,\"first\":0,\"last_error\":\"a\\nb\",\"next\":0,"
		"\"reports\":0,\"sent_to\":\"\",\"state\":\"sent\",\"tries\":0}",
		"{\"done\":0,\"first\":0,\"last_error\":\"a\\u0000b\",\"next\":0,"
		"\"reports\":0,\"sent_to\":\"\",\"state\":\"sent\",\"tries\":0}",
		"{\"done\":0,\"first\":\"0\",\"last_error\":\"\",\"next\":0,"
		"\"reports\":0,\"sent_to\":\"\",\"state\":\"sent\",\"tries\":0}",
		"{\"done\":0,\"first\":0,\"last_error\":\"\",\"next\":0,"
		"\"reports\":0,\"sent_to\":\"\",\"state\":\"sent\",\"tries\":0,"
		"\"tries\":1}",
	};
	struct tlsrpt_sent d;
	char err[200];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		err[0] = '\0';
		ck_assert_msg(tlsrpt_sent_decode(bad[i], strlen(bad[i]), &d,
		    err, sizeof(err)) == -1, "accepted %s", bad[i]);
		ck_assert_msg(err[0] != '\0', "no reason for %s", bad[i]);
		ck_assert_uint_eq(d.tries, 0);
	}
}
END_TEST

START_TEST(test_state_key)
{
	char key[TLSRPT_SENT_KEY_MAX + 1], dom[DOMAIN_MAX + 1];
	int64_t day;

	ck_assert_int_eq(tlsrpt_sent_key(DAY_2026_01_01, "example.com", key,
	    sizeof(key)), 0);
	ck_assert_str_eq(key, "rptsent/2026-01-01/example.com");
	ck_assert_int_eq(tlsrpt_sent_key_parse(key, &day, dom), 0);
	ck_assert_int_eq(day, DAY_2026_01_01);
	ck_assert_str_eq(dom, "example.com");
	ck_assert_int_eq(tlsrpt_sent_key(DAY_2026_01_01, "Bad Domain", key,
	    sizeof(key)), -1);
	ck_assert_int_eq(tlsrpt_sent_key(DAY_2026_01_01, "example.com", key,
	    10), -1);
	ck_assert_int_eq(tlsrpt_sent_key_parse("rpt/2026-01-01/example.com",
	    &day, dom), -1);
	ck_assert_int_eq(tlsrpt_sent_key_parse("rptsent/2026-13-01/x.example",
	    &day, dom), -1);
	ck_assert_int_eq(tlsrpt_sent_key_parse("rptsent/2026-01-01/", &day,
	    dom), -1);
}
END_TEST

static void
add_rua(struct tlsrpt_txt *t, enum tlsrpt_rua_kind kind, const char *uri,
    const char *addr)
{
	struct tlsrpt_rua *r = &t->rua[t->nrua++];

	r->kind = kind;
	snprintf(r->uri, sizeof(r->uri), "%s", uri);
	snprintf(r->addr, sizeof(r->addr), "%s", addr);
}

START_TEST(test_dest_select)
{
	struct tlsrpt_txt t = { 0 };
	const struct tlsrpt_rua *out[TLSRPT_RUA_MAX];
	size_t n;

	add_rua(&t, TLSRPT_RUA_MAILTO, "mailto:a@example.com", "a@example.com");
	add_rua(&t, TLSRPT_RUA_HTTPS, "https://r.example/x", "");
	add_rua(&t, TLSRPT_RUA_MAILTO, "MAILTO:A@Example.com", "A@example.com");
	add_rua(&t, TLSRPT_RUA_HTTPS, "https://r.example/x", "");
	add_rua(&t, TLSRPT_RUA_HTTPS, "https://r.example/X", "");
	add_rua(&t, TLSRPT_RUA_MAILTO, "mailto:b@example.com", "b@example.com");
	n = tlsrpt_dest_select(&t, 1, out, TLSRPT_RUA_MAX);
	ck_assert_uint_eq(n, 4);
	ck_assert_ptr_eq(out[0], &t.rua[0]);
	ck_assert_ptr_eq(out[1], &t.rua[1]);
	ck_assert_ptr_eq(out[2], &t.rua[4]);
	ck_assert_ptr_eq(out[3], &t.rua[5]);
	/* Without a fetcher only mail. */
	n = tlsrpt_dest_select(&t, 0, out, TLSRPT_RUA_MAX);
	ck_assert_uint_eq(n, 2);
	ck_assert_ptr_eq(out[0], &t.rua[0]);
	ck_assert_ptr_eq(out[1], &t.rua[5]);
	/* max bounds the output. */
	ck_assert_uint_eq(tlsrpt_dest_select(&t, 1, out, 1), 1);
}
END_TEST

static Suite *
sched_suite(void)
{
	Suite *s = suite_create("tlsrpt_sched");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_offset);
	tcase_add_test(tc, test_first);
	tcase_add_test(tc, test_backoff);
	tcase_add_test(tc, test_retry_window);
	tcase_add_test(tc, test_expired);
	tcase_add_test(tc, test_state_roundtrip);
	tcase_add_test(tc, test_state_refused);
	tcase_add_test(tc, test_state_key);
	tcase_add_test(tc, test_dest_select);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sched_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
