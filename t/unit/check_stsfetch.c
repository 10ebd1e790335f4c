/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for stsfetch/fetchproto.c, stsfetch's pure parts: the HTTP
 * request, the judgement of a response (framing, status, media type),
 * and the JSON request and reply lines.  Every response is judged fed at
 * once and fed one byte per call, with the same verdict.
 */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetchproto.h"

#define POLICY	"version: STSv1\r\nmode: enforce\r\nmx: mx.example.com\r\n" \
		"max_age: 86400\r\n"
#define CL(n)	"Content-Length: " #n "\r\n\r\n"
#define PLAIN	"Content-Type: text/plain\r\n"
#define LOC	"Location: https://mta-sts.other.test/.well-known/mta-sts.txt\r\n"

static const struct {
	const char *in;
	int eof;
	int want;		/* fetchproto_response(): 1, 0, -1 */
	const char *type;	/* on -1 */
	const char *detail;	/* on -1: a substring; on 1: the body */
} cases[] = {
	{ "HTTP/1.1 200 OK\r\n" PLAIN CL(67) POLICY, 0, 1, NULL, POLICY },
	{ "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n43\r\n" POLICY "\r\n0\r\n\r\n",
	  0, 1, NULL, POLICY },
	{ "HTTP/1.0 200 OK\r\n" PLAIN "\r\n" POLICY, 1, 1, NULL, POLICY },
	{ "HTTP/1.0 200 OK\r\n" PLAIN "\r\n" POLICY, 0, 0, NULL, NULL },
	/* Redirects with a valid text/plain policy as their body: refused
	 * for being redirects, not for the body or its type. */
	{ "HTTP/1.1 301 Moved Permanently\r\n" PLAIN LOC CL(67) POLICY, 0, -1,
	  FETCH_ERR_FETCH, "HTTP status 301 (redirect to https://mta-sts."
	  "other.test/.well-known/mta-sts.txt not followed)" },
	{ "HTTP/1.1 302 Found\r\n" PLAIN LOC CL(67) POLICY, 0, -1,
	  FETCH_ERR_FETCH, "redirect to https://mta-sts.other.test/" },
	{ "HTTP/1.1 303 See Other\r\n" PLAIN LOC CL(67) POLICY, 0, -1,
	  FETCH_ERR_FETCH, "HTTP status 303 (redirect" },
	{ "HTTP/1.1 307 Temporary Redirect\r\n" PLAIN LOC CL(67) POLICY, 0,
	  -1, FETCH_ERR_FETCH, "HTTP status 307 (redirect" },
	{ "HTTP/1.1 308 Permanent Redirect\r\n" PLAIN LOC CL(67) POLICY, 0,
	  -1, FETCH_ERR_FETCH, "HTTP status 308 (redirect" },
	{ "HTTP/1.1 300 Multiple Choices\r\n" PLAIN CL(67) POLICY, 0, -1,
	  FETCH_ERR_FETCH, "HTTP status 300 (redirect not followed)" },
	/* Refused on the head alone: no body needed. */
	{ "HTTP/1.1 301 Moved\r\n" PLAIN LOC CL(67), 0, -1, FETCH_ERR_FETCH,
	  "redirect to" },
	{ "HTTP/1.1 404 Not Found\r\n" PLAIN CL(67), 0, -1, FETCH_ERR_FETCH,
	  "HTTP status 404" },
	{ "HTTP/1.1 204 No Content\r\n" PLAIN "\r\n", 0, -1, FETCH_ERR_FETCH,
	  "HTTP status 204" },
	{ "HTTP/1.1 500 Oops\r\n\r\n", 1, -1, FETCH_ERR_FETCH,
	  "HTTP status 500" },
	{ "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" CL(67) POLICY, 0,
	  -1, FETCH_ERR_INVALID, "content type text/html, not text/plain" },
	{ "HTTP/1.1 200 OK\r\n" CL(67) POLICY, 0, -1, FETCH_ERR_INVALID,
	  "content type missing" },
	/* The status comes before the media type. */
	{ "HTTP/1.1 301 Moved\r\nContent-Type: text/html\r\n" LOC CL(0), 0,
	  -1, FETCH_ERR_FETCH, "not followed" },
	/* Framing errors. */
	{ "HTTP/1.1 200 OK\r\n" PLAIN CL(67) "version", 1, -1, FETCH_ERR_FETCH,
	  "premature EOF in HTTP body" },
	{ "HTTP/1.1 200 OK\r\n" PLAIN "Content-Length: 70000\r\n\r\n", 0, -1,
	  FETCH_ERR_FETCH, "body larger than 65536" },
	{ "HTTP/1.1 200 OK\r\n" PLAIN "Content-Encoding: gzip\r\n\r\n", 0, -1,
	  FETCH_ERR_FETCH, "Content-Encoding" },
	{ "SSH-2.0-OpenSSH_9.2\r\n", 0, -1, FETCH_ERR_FETCH, "status line" },
	{ "HTTP/1.1 200 OK\r\n" PLAIN, 1, -1, FETCH_ERR_FETCH,
	  "premature EOF in HTTP header" },
	/* 1xx first, then the real answer. */
	{ "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n" PLAIN CL(67)
	  POLICY, 0, 1, NULL, POLICY },
	{ "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 302 Found\r\n" PLAIN LOC
	  CL(67) POLICY, 0, -1, FETCH_ERR_FETCH, "HTTP status 302 (redirect" },
};

static void
check_verdict(int i, int rc, struct http_resp *r, const char *type,
    const char *detail)
{
	ck_assert_msg(rc == cases[i].want, "case %d: got %d (%s)", i, rc,
	    detail);
	if (rc == 1) {
		ck_assert_str_eq(r->body, cases[i].detail);
	} else if (rc < 0) {
		ck_assert_str_eq(type, cases[i].type);
		ck_assert_msg(strstr(detail, cases[i].detail) != NULL,
		    "case %d: \"%s\" lacks \"%s\"", i, detail, cases[i].detail);
	}
}

START_TEST(test_response)
{
	struct http_resp r;
	const char *type = NULL;
	char detail[256];
	int rc;

	memset(&r, 0, sizeof(r));
	rc = fetchproto_response(&r, cases[_i].in, strlen(cases[_i].in),
	    cases[_i].eof, &type, detail, sizeof(detail));
	check_verdict(_i, rc, &r, type, detail);
	http_resp_free(&r);
}
END_TEST

/* One byte per call, as a slow server sends it: the same verdict. */
START_TEST(test_response_bytewise)
{
	const char *in = cases[_i].in;
	size_t len = strlen(in);
	struct http_resp r;
	const char *type = NULL;
	char detail[256];
	int rc = 0;

	memset(&r, 0, sizeof(r));
	for (size_t n = 1; n < len && rc == 0; n++)
		rc = fetchproto_response(&r, in, n, 0, &type, detail,
		    sizeof(detail));
	if (rc == 0)
		rc = fetchproto_response(&r, in, len, cases[_i].eof, &type,
		    detail, sizeof(detail));
	check_verdict(_i, rc, &r, type, detail);
	http_resp_free(&r);
}
END_TEST

/* Every 3xx is refused as a redirect, whatever its body and type. */
START_TEST(test_head_3xx)
{
	struct http_resp r;
	const char *type = NULL;
	char detail[256];

	for (int st = 300; st < 400; st++) {
		memset(&r, 0, sizeof(r));
		r.headers_done = 1;
		r.status = st;
		strcpy(r.content_type, "text/plain");
		ck_assert_int_eq(fetchproto_check_head(&r, &type, detail,
		    sizeof(detail)), -1);
		ck_assert_str_eq(type, FETCH_ERR_FETCH);
		ck_assert_ptr_nonnull(strstr(detail, "not followed"));
	}
	for (int st = 201; st < 300; st++) {
		r.status = st;
		ck_assert_int_eq(fetchproto_check_head(&r, &type, detail,
		    sizeof(detail)), -1);
	}
	r.status = 200;
	ck_assert_int_eq(fetchproto_check_head(&r, &type, detail,
	    sizeof(detail)), 0);
	ck_assert_ptr_null(type);
}
END_TEST

START_TEST(test_http_request)
{
	char buf[512], small[40];
	size_t n = fetchproto_http_request(buf, sizeof(buf),
	    "mta-sts.example.com");

	ck_assert_uint_eq(n, strlen(buf));
	ck_assert_ptr_nonnull(strstr(buf, "GET /.well-known/mta-sts.txt "
	    "HTTP/1.1\r\nHost: mta-sts.example.com\r\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\r\nConnection: close\r\n\r\n"));
	ck_assert_str_eq(buf + n - 4, "\r\n\r\n");
	ck_assert_uint_eq(fetchproto_http_request(small, sizeof(small),
	    "mta-sts.example.com"), 0);
}
END_TEST

static const struct {
	const char *line;
	int want;
	const char *domain;	/* normalised on OK; as sent on REFUSED */
	const char *policy_id;
	int force;
	const char *refusal;	/* or the log text on SKIP */
} reqs[] = {
	{ "{\"id\":1,\"domain\":\"Example.COM.\"}", FETCH_REQ_OK,
	  "example.com", "", 0, NULL },
	{ "{\"id\":2,\"domain\":\"example.com\",\"policy_id\":\"abc1\","
	  "\"force\":true}", FETCH_REQ_OK, "example.com", "abc1", 1, NULL },
	{ "{\"id\":3,\"domain\":\"example.com\",\"extra\":1}",
	  FETCH_REQ_REFUSED, "", NULL, 0, "malformed request" },
	{ "{\"id\":4,\"domain\":7}", FETCH_REQ_REFUSED, "", NULL, 0,
	  "malformed request" },
	{ "{\"id\":5,\"domain\":\"example.com\",\"policy_id\":"
	  "\"012345678901234567890123456789012\"}", FETCH_REQ_REFUSED,
	  "example.com", NULL, 0, "malformed request" },
	{ "{\"id\":6,\"domain\":\"localhost\"}", FETCH_REQ_REFUSED,
	  "localhost", NULL, 0, "invalid domain name" },
	{ "{\"id\":7,\"domain\":\"a b.example\"}", FETCH_REQ_REFUSED,
	  "a b.example", NULL, 0, "invalid domain name" },
	{ "{\"id\":-1,\"domain\":\"example.com\"}", FETCH_REQ_SKIP, NULL, NULL,
	  0, "without a readable id" },
	{ "{\"domain\":\"example.com\"}", FETCH_REQ_SKIP, NULL, NULL, 0,
	  "without a readable id" },
	{ "not json", FETCH_REQ_SKIP, NULL, NULL, 0, "without a readable id" },
	{ "{\"id\":8,\"id\":9,\"domain\":\"example.com\"}", FETCH_REQ_SKIP,
	  NULL, NULL, 0, "without a readable id" },
};

START_TEST(test_request)
{
	struct fetch_req req;
	char why[300];
	int rc = fetchipc_request_decode(reqs[_i].line, strlen(reqs[_i].line), &req,
	    why, sizeof(why));

	ck_assert_msg(rc == reqs[_i].want, "case %d: got %d (%s)", _i, rc, why);
	if (rc == FETCH_REQ_OK) {
		ck_assert_str_eq(req.domain, reqs[_i].domain);
		ck_assert_str_eq(req.policy_id, reqs[_i].policy_id);
		ck_assert_int_eq(req.force, reqs[_i].force);
		ck_assert_int_gt(req.id, 0);
	} else if (rc == FETCH_REQ_REFUSED) {
		ck_assert_str_eq(req.domain, reqs[_i].domain);
		ck_assert_str_eq(req.refusal, reqs[_i].refusal);
		ck_assert_int_gt(req.id, 0);
		ck_assert_str_ne(why, "");
	} else {
		ck_assert_ptr_nonnull(strstr(why, reqs[_i].refusal));
	}
}
END_TEST

/* Replies decode as the daemon's fetchctl reads them. */
START_TEST(test_reply)
{
	struct sts_policy p;
	char err[200], line[4096], *tail;
	json_t *j;

	ck_assert_int_eq(sts_policy_parse(POLICY, strlen(POLICY), &p, err,
	    sizeof(err)), 0);
	tail = fetchipc_reply_tail("example.com", &p, 1700000000, NULL, NULL);
	ck_assert_ptr_nonnull(tail);
	snprintf(line, sizeof(line), "{\"id\":5,%s", tail);
	j = json_loads(line, 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert(json_is_true(json_object_get(j, "ok")));
	ck_assert_int_eq(json_integer_value(json_object_get(j, "fetched_at")),
	    1700000000);
	ck_assert(json_is_object(json_object_get(j, "policy")));
	json_decref(j);
	free(tail);
	sts_policy_free(&p);

	tail = fetchipc_reply_tail("example.com", NULL, 0, FETCH_ERR_FETCH,
	    "HTTP status 301 (redirect not followed)");
	snprintf(line, sizeof(line), "{\"id\":6,%s", tail);
	j = json_loads(line, 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert(json_is_false(json_object_get(j, "ok")));
	ck_assert_str_eq(json_string_value(json_object_get(j, "error")),
	    FETCH_ERR_FETCH);
	ck_assert_str_eq(json_string_value(json_object_get(j, "detail")),
	    "HTTP status 301 (redirect not followed)");
	ck_assert_ptr_null(json_object_get(j, "policy"));
	json_decref(j);
	free(tail);
}
END_TEST


START_TEST(test_http_post)
{
	char buf[512];
	size_t n = fetchproto_http_post(buf, sizeof(buf), "r.example", 8443,
	    "/in?a=1", 1234);

	ck_assert_uint_eq(n, strlen(buf));
	ck_assert(strncmp(buf, "POST /in?a=1 HTTP/1.1\r\nHost: r.example:8443"
	    "\r\n", 44) == 0);
	ck_assert_ptr_nonnull(strstr(buf, "\r\nContent-Type: "
	    "application/tlsrpt+gzip\r\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\r\nContent-Length: 1234\r\n"));
	ck_assert(n > 4 && strcmp(buf + n - 4, "\r\n\r\n") == 0);
	n = fetchproto_http_post(buf, sizeof(buf), "r.example", 443, "", 0);
	ck_assert_ptr_nonnull(strstr(buf, "POST / HTTP/1.1\r\nHost: r.example\r\n"));
	ck_assert_uint_eq(fetchproto_http_post(buf, 40, "r.example", 443, "/",
	    0), 0);
}
END_TEST

/* The status as soon as the head is complete, whatever the body. */
START_TEST(test_post_response)
{
	static const char ok[] = "HTTP/1.1 201 Created\r\nContent-Length: "
	    "100000\r\n\r\npartial";
	struct http_resp r;
	char detail[200];
	int status = -1;

	for (size_t cut = 0; cut <= strlen(ok); cut++) {
		memset(&r, 0, sizeof(r));
		int rc = fetchproto_post_response(&r, ok, cut, 0, &status,
		    detail, sizeof(detail));
		ck_assert_int_eq(rc, cut >= strlen(ok) - 7 ? 1 : 0);
		http_resp_free(&r);
	}
	ck_assert_int_eq(status, 201);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(fetchproto_post_response(&r, "HTTP/1.1 5", 10, 1,
	    &status, detail, sizeof(detail)), -1);
	http_resp_free(&r);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(fetchproto_post_response(&r, "garbage\r\n\r\n", 11, 0,
	    &status, detail, sizeof(detail)), -1);
	http_resp_free(&r);
}
END_TEST

static Suite *
stsfetch_suite(void)
{
	Suite *s = suite_create("stsfetch");
	TCase *tc = tcase_create("fetchproto");

	tcase_add_loop_test(tc, test_response, 0,
	    sizeof(cases) / sizeof(cases[0]));
	tcase_add_loop_test(tc, test_response_bytewise, 0,
	    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_head_3xx);
	tcase_add_test(tc, test_http_request);
	tcase_add_test(tc, test_http_post);
	tcase_add_test(tc, test_post_response);
	tcase_add_loop_test(tc, test_request, 0, sizeof(reqs) / sizeof(reqs[0]));
	tcase_add_test(tc, test_reply);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(stsfetch_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
