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


/* A report POST: encoded, decoded back byte for byte (NUL and 0xff too). */
START_TEST(test_post_roundtrip)
{
	static const unsigned char body[] = { 0x1f, 0x8b, 0x00, 0xff, 'a' };
	struct fetch_req req;
	char why[200], *line;

	line = fetchipc_post_encode(7, "https://Rpt.Example.com:8443/tlsrpt?x=1",
	    body, sizeof(body));
	ck_assert_ptr_nonnull(line);
	ck_assert_ptr_null(strchr(line, '\n'));
	ck_assert_int_eq(fetchipc_request_decode(line, strlen(line), &req, why,
	    sizeof(why)), FETCH_REQ_OK);
	ck_assert(req.post);
	ck_assert_int_eq(req.id, 7);
	ck_assert_str_eq(req.domain, "rpt.example.com");
	ck_assert_uint_eq(req.port, 8443);
	ck_assert_str_eq(req.path, "/tlsrpt?x=1");
	ck_assert_uint_eq(req.body_len, sizeof(body));
	ck_assert_mem_eq(req.body, body, sizeof(body));
	fetchipc_request_clear(&req);
	free(line);
	/* No path is "/"; too large a body is not encoded. */
	line = fetchipc_post_encode(8, "https://r.example", "", 0);
	ck_assert_int_eq(fetchipc_request_decode(line, strlen(line), &req, why,
	    sizeof(why)), FETCH_REQ_OK);
	ck_assert_str_eq(req.path, "/");
	ck_assert_uint_eq(req.port, 443);
	fetchipc_request_clear(&req);
	free(line);
	ck_assert_ptr_null(fetchipc_post_encode(9, "https://r.example", body,
	    FETCH_POST_MAX + 1));
}
END_TEST

static const char *const bad_posts[] = {
	"{\"id\":3,\"post\":\"http://r.example/\",\"body\":\"00\"}",
	"{\"id\":3,\"post\":\"https://r.example:0/\",\"body\":\"00\"}",
	"{\"id\":3,\"post\":\"https://r.example:99999/\",\"body\":\"00\"}",
	"{\"id\":3,\"post\":\"https://user@r.example/\",\"body\":\"00\"}",
	"{\"id\":3,\"post\":\"https://r.example/a b\",\"body\":\"00\"}",
	"{\"id\":3,\"post\":\"https://nodot/\",\"body\":\"00\"}",
	"{\"id\":3,\"post\":\"https://[::1]/\",\"body\":\"00\"}",
	"{\"id\":3,\"post\":\"https://r.example/\",\"body\":\"0\"}",
	"{\"id\":3,\"post\":\"https://r.example/\",\"body\":\"zz\"}",
	"{\"id\":3,\"post\":\"https://r.example/\",\"body\":\"0g\"}",
	"{\"id\":3,\"post\":\"https://r.example/\"}",
	"{\"id\":3,\"post\":\"https://r.example/\",\"body\":\"00\",\"x\":1}",
};

START_TEST(test_post_refused)
{
	struct fetch_req req;
	char why[200];

	ck_assert_int_eq(fetchipc_request_decode(bad_posts[_i],
	    strlen(bad_posts[_i]), &req, why, sizeof(why)), FETCH_REQ_REFUSED);
	ck_assert_int_eq(req.id, 3);
	ck_assert(req.post);
	ck_assert_ptr_nonnull(req.refusal);
	fetchipc_request_clear(&req);
	ck_assert_ptr_null(req.body);
}
END_TEST

/* Replies: 2xx accepted without a policy object; others failed. */
START_TEST(test_post_reply)
{
	static const struct { int status; int ok; } st[] = {
		{ 200, 1 }, { 201, 1 }, { 204, 1 }, { 199, 0 }, { 301, 0 },
		{ 404, 0 }, { 500, 0 }, { 0, 0 },
	};
	struct fetchipc_reply r;
	char why[200], line[512];

	for (size_t i = 0; i < sizeof(st) / sizeof(*st); i++) {
		char *tail = fetchipc_post_reply_tail("r.example", st[i].status,
		    "why");
		snprintf(line, sizeof(line), "{\"id\":5,%s", tail);
		free(tail);
		ck_assert_int_eq(fetchipc_reply_decode(line, strlen(line), &r,
		    why, sizeof(why)), 0);
		ck_assert_msg(r.ok == st[i].ok, "status %d", st[i].status);
		ck_assert(r.post);
		ck_assert_int_eq(r.status, st[i].status);
		ck_assert_ptr_null(r.policy);
		if (!r.ok)
			ck_assert_str_eq(r.error, FETCH_ERR_POST);
		fetchipc_reply_clear(&r);
	}
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
	tcase_add_test(tc, test_post_roundtrip);
	tcase_add_loop_test(tc, test_post_refused, 0,
	    sizeof(bad_posts) / sizeof(bad_posts[0]));
	tcase_add_test(tc, test_post_reply);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
