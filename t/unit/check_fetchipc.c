/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for lib/fetchipc.c, the fetcher's message codec: what one
 * side encodes the other decodes; replies that are not replies.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetchipc.h"
#include "sts_policy.h"

#define POLICY	"version: STSv1\nmode: enforce\nmx: mx.example.com\n" \
		"max_age: 86400\n"

/* fetchctl's request, as stsfetch decodes it. */
START_TEST(test_request_roundtrip)
{
	char *line = fetchipc_request_encode(42, "Example.COM.", "id1", 1);
	struct fetch_req req;
	char why[200];

	ck_assert_ptr_nonnull(line);
	ck_assert_int_eq(fetchipc_request_decode(line, strlen(line), &req, why,
	    sizeof(why)), FETCH_REQ_OK);
	ck_assert_int_eq(req.id, 42);
	ck_assert_str_eq(req.domain, "example.com");
	ck_assert_str_eq(req.policy_id, "id1");
	ck_assert_int_eq(req.force, 1);
	free(line);
}
END_TEST

/* stsfetch's replies, as fetchctl and tlsmap probe decode them. */
START_TEST(test_reply_roundtrip)
{
	struct sts_policy p, q;
	struct fetchipc_reply r;
	char err[200], line[4096], *tail;

	ck_assert_int_eq(sts_policy_parse(POLICY, strlen(POLICY), &p, err,
	    sizeof(err)), 0);
	tail = fetchipc_reply_tail("example.com", &p, 1700000000, NULL, NULL);
	snprintf(line, sizeof(line), "{\"id\":7,%s", tail);
	ck_assert_int_eq(fetchipc_reply_decode(line, strlen(line), &r, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(r.id, 7);
	ck_assert_int_eq(r.ok, 1);
	ck_assert_int_eq(r.fetched_at, 1700000000);
	ck_assert_int_eq(sts_policy_from_json(r.policy, &q, err, sizeof(err)), 0);
	ck_assert_int_eq(q.max_age, 86400);
	sts_policy_free(&q);
	fetchipc_reply_clear(&r);
	free(tail);
	sts_policy_free(&p);

	tail = fetchipc_reply_tail("example.com", NULL, 0, FETCH_ERR_FETCH,
	    "HTTP status 404");
	snprintf(line, sizeof(line), "{\"id\":8,%s", tail);
	ck_assert_int_eq(fetchipc_reply_decode(line, strlen(line), &r, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(r.ok, 0);
	ck_assert_str_eq(r.error, FETCH_ERR_FETCH);
	ck_assert_str_eq(r.detail, "HTTP status 404");
	fetchipc_reply_clear(&r);
	free(tail);
}
END_TEST

static const struct {
	const char *line;
	int rc, ok;
	const char *error, *why;
} bad[] = {
	{ "not json", -1, 0, NULL, "malformed reply line" },
	{ "[1]", -1, 0, NULL, "not an object" },
	{ "{\"id\":1}", -1, 0, NULL, "without id or ok" },
	{ "{\"id\":1,\"id\":2,\"ok\":false}", -1, 0, NULL, "malformed" },
	{ "{\"ok\":false}", 0, 0, FETCH_ERR_FETCH, NULL },
	{ "{\"id\":1,\"ok\":true,\"policy\":\"x\"}", 0, 0, FETCH_ERR_INVALID,
	  NULL },
};

START_TEST(test_reply_bad)
{
	struct fetchipc_reply r;
	char why[200] = "";
	int rc = fetchipc_reply_decode(bad[_i].line, strlen(bad[_i].line), &r,
	    why, sizeof(why));

	ck_assert_int_eq(rc, bad[_i].rc);
	if (rc < 0) {
		ck_assert_ptr_nonnull(strstr(why, bad[_i].why));
		return;
	}
	ck_assert_int_eq(r.ok, bad[_i].ok);
	ck_assert_str_eq(r.error, bad[_i].error);
	ck_assert_ptr_null(r.policy);
	fetchipc_reply_clear(&r);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("fetchipc");
	TCase *tc = tcase_create("codec");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_request_roundtrip);
	tcase_add_test(tc, test_reply_roundtrip);
	tcase_add_loop_test(tc, test_reply_bad, 0, sizeof(bad) / sizeof(bad[0]));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
