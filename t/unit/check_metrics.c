/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for lib/metrics.c: the Prometheus text exposition (family
 * headers, samples, label escaping, cumulative histograms) and the tiny
 * HTTP request parser of the metrics listener.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

START_TEST(test_family_and_samples)
{
	struct mtext t = { 0 };

	metrics_family(&t, "tlspolicyd_answers_total", "counter",
	    "Answers by source and result.");
	metrics_sample(&t, "tlspolicyd_answers_total",
	    "source=\"override\",result=\"ok\"", 3);
	metrics_sample(&t, "tlspolicyd_overrides", NULL, 0);
	metrics_sample(&t, "tlspolicyd_uptime_seconds", "", 18446744073709551615ULL);
	ck_assert_str_eq(t.buf,
	    "# HELP tlspolicyd_answers_total Answers by source and result.\n"
	    "# TYPE tlspolicyd_answers_total counter\n"
	    "tlspolicyd_answers_total{source=\"override\",result=\"ok\"} 3\n"
	    "tlspolicyd_overrides 0\n"
	    "tlspolicyd_uptime_seconds 18446744073709551615\n");
	ck_assert_uint_eq(t.len, strlen(t.buf));
	mtext_free(&t);
	ck_assert_ptr_null(t.buf);
}
END_TEST

/* The buffer grows past any first guess. */
START_TEST(test_mtext_grows)
{
	struct mtext t = { 0 };

	for (int i = 0; i < 5000; i++)
		mtext_printf(&t, "%04d\n", i % 10000);
	ck_assert_uint_eq(t.len, 5000 * 5);
	ck_assert(memcmp(t.buf + 4999 * 5, "4999\n", 5) == 0);
	mtext_free(&t);
}
END_TEST

START_TEST(test_label_escape)
{
	char out[16];

	ck_assert_uint_eq(metrics_label("partner-tls", out, sizeof(out)), 11);
	ck_assert_str_eq(out, "partner-tls");
	ck_assert_uint_eq(metrics_label("a\"b\\c\nd", out, sizeof(out)), 10);
	ck_assert_str_eq(out, "a\\\"b\\\\c\\nd");
	/* Cut, never in the middle of an escape. */
	ck_assert_uint_eq(metrics_label("abcdefghijklmn\"", out, sizeof(out)), 14);
	ck_assert_str_eq(out, "abcdefghijklmn");
}
END_TEST

START_TEST(test_histogram)
{
	struct metrics_hist h;
	struct mtext t = { 0 };
	char *p;

	memset(&h, 0, sizeof(h));
	metrics_hist_observe(&h, 50);		/* <= 0.0001 */
	metrics_hist_observe(&h, 100);		/* <= 0.0001: le is inclusive */
	metrics_hist_observe(&h, 3000);		/* <= 0.005 */
	metrics_hist_observe(&h, 60000000);	/* +Inf only */
	metrics_hist_write(&t, "x_seconds", "protocol=\"socketmap\"", &h);
	ck_assert_ptr_nonnull(strstr(t.buf,
	    "x_seconds_bucket{protocol=\"socketmap\",le=\"0.0001\"} 2\n"
	    "x_seconds_bucket{protocol=\"socketmap\",le=\"0.00025\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(t.buf,
	    "x_seconds_bucket{protocol=\"socketmap\",le=\"0.0025\"} 2\n"
	    "x_seconds_bucket{protocol=\"socketmap\",le=\"0.005\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(t.buf,
	    "x_seconds_bucket{protocol=\"socketmap\",le=\"10\"} 3\n"
	    "x_seconds_bucket{protocol=\"socketmap\",le=\"+Inf\"} 4\n"
	    "x_seconds_sum{protocol=\"socketmap\"} 60.003150\n"
	    "x_seconds_count{protocol=\"socketmap\"} 4\n"));
	/* 16 bounds, +Inf, sum, count. */
	{
		int lines = 0;
		for (p = t.buf; (p = strchr(p, '\n')) != NULL; p++)
			lines++;
		ck_assert_int_eq(lines, METRICS_BUCKETS + 3);
	}
	mtext_free(&t);
	metrics_hist_write(&t, "y", NULL, &h);
	ck_assert_ptr_nonnull(strstr(t.buf, "y_bucket{le=\"+Inf\"} 4\ny_sum 60.003150\ny_count 4\n"));
	mtext_free(&t);
}
END_TEST

static const struct {
	const char *req;
	enum metrics_req want;
} http_cases[] = {
	{ "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", MREQ_METRICS },
	{ "GET /metrics HTTP/1.0\n\n", MREQ_METRICS },
	{ "GET /metrics?x=1 HTTP/1.1\r\n\r\n", MREQ_METRICS },
	{ "GET / HTTP/1.1\r\n\r\n", MREQ_NOTFOUND },
	{ "GET /metricsx HTTP/1.1\r\n\r\n", MREQ_NOTFOUND },
	{ "GET /metric HTTP/1.1\r\n\r\n", MREQ_NOTFOUND },
	{ "POST /metrics HTTP/1.1\r\n\r\n", MREQ_NOTFOUND },
	{ "HEAD /metrics HTTP/1.1\r\n\r\n", MREQ_NOTFOUND },
	{ "GET /metrics HTTP/1.1\r\nHost: x\r\n", MREQ_INCOMPLETE },
	{ "GET /metr", MREQ_INCOMPLETE },
	{ "", MREQ_INCOMPLETE },
	{ "GET /metrics\r\n\r\n", MREQ_BAD },
	{ "GET  /metrics HTTP/1.1\r\n\r\n", MREQ_BAD },
	{ " /metrics HTTP/1.1\r\n\r\n", MREQ_BAD },
	{ "GET /metrics SMTP/1.1\r\n\r\n", MREQ_BAD },
	{ "GET /metrics HTTP/1.1 x\r\n\r\n", MREQ_BAD },
	{ "\r\n\r\n", MREQ_BAD },
};

START_TEST(test_http_parse_table)
{
	const char *r = http_cases[_i].req;

	ck_assert_msg(metrics_http_parse(r, strlen(r)) == http_cases[_i].want,
	    "case %d: %s", _i, r);
}
END_TEST

/* Every proper prefix of a whole request is incomplete, never a verdict. */
START_TEST(test_http_prefixes)
{
	const char *r = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

	for (size_t n = 0; n < strlen(r); n++)
		ck_assert_int_eq(metrics_http_parse(r, n), MREQ_INCOMPLETE);
	ck_assert_int_eq(metrics_http_parse(r, strlen(r)), MREQ_METRICS);
}
END_TEST

/* A head that never ends is refused at METRICS_REQ_MAX bytes. */
START_TEST(test_http_size_bound)
{
	char *big = malloc(METRICS_REQ_MAX + 8);

	memset(big, 'a', METRICS_REQ_MAX + 8);
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	ck_assert_int_eq(metrics_http_parse(big, METRICS_REQ_MAX - 1),
	    MREQ_INCOMPLETE);
	ck_assert_int_eq(metrics_http_parse(big, METRICS_REQ_MAX), MREQ_BAD);
	memcpy(big + METRICS_REQ_MAX + 4, "\r\n\r\n", 4);
	ck_assert_int_eq(metrics_http_parse(big, METRICS_REQ_MAX + 8), MREQ_BAD);
	free(big);
}
END_TEST

START_TEST(test_http_head)
{
	char out[METRICS_HEAD_MAX];

	ck_assert_uint_gt(metrics_http_head(200, 1234, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
	    "Content-Length: 1234\r\nConnection: close\r\n\r\n");
	ck_assert_uint_gt(metrics_http_head(404, 0, out, sizeof(out)), 0);
	ck_assert(strncmp(out, "HTTP/1.1 404 Not Found\r\n", 24) == 0);
	ck_assert_uint_gt(metrics_http_head(400, 0, out, sizeof(out)), 0);
	ck_assert(strncmp(out, "HTTP/1.1 400 Bad Request\r\n", 26) == 0);
	ck_assert_uint_eq(metrics_http_head(200, 1, out, 20), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_family_and_samples);
	tcase_add_test(tc, test_mtext_grows);
	tcase_add_test(tc, test_label_escape);
	tcase_add_test(tc, test_histogram);
	tcase_add_loop_test(tc, test_http_parse_table, 0,
	    sizeof(http_cases) / sizeof(http_cases[0]));
	tcase_add_test(tc, test_http_prefixes);
	tcase_add_test(tc, test_http_size_bound);
	tcase_add_test(tc, test_http_head);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
