/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/http_resp.c (incremental HTTP/1.x response parser). */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_resp.h"

#define MAXB 65536

#define OK_HEAD "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"

static const struct {
	const char *in;
	int eof;
	enum http_result want;
	int status;
	const char *body;	/* HTTP_DONE: body; HTTP_ERROR: error substring */
	const char *ctype;
} cases[] = {
	{ OK_HEAD "Content-Length: 5\r\n\r\nhello", 0, HTTP_DONE, 200,
	  "hello", "text/plain" },
	{ OK_HEAD "Content-Length: 5\r\n\r\nhello, trailing junk", 0,
	  HTTP_DONE, 200, "hello", "text/plain" },
	{ OK_HEAD "Content-Length: 5\r\n\r\nhel", 0, HTTP_NEED_MORE, 200, NULL,
	  "text/plain" },
	{ OK_HEAD "Content-Length: 5\r\n\r\nhel", 1, HTTP_ERROR, 200,
	  "premature EOF in HTTP body", "text/plain" },
	{ OK_HEAD "Content-Length: 0\r\n\r\n", 0, HTTP_DONE, 200, "",
	  "text/plain" },
	{ "HTTP/1.0 200 OK\nContent-Type: Text/Plain; charset=utf-8\n\nbody\n",
	  1, HTTP_DONE, 200, "body\n", "text/plain" },
	{ "HTTP/1.0 200 OK\nContent-Type: text/plain\n\nbody\n", 0,
	  HTTP_NEED_MORE, 200, NULL, "text/plain" },
	{ "HTTP/1.1 200\r\nContent-Type:text/html\r\nContent-Length:2\r\n\r\nhi",
	  0, HTTP_DONE, 200, "hi", "text/html" },
	{ "HTTP/1.1 200 OK\r\n\r\n", 1, HTTP_DONE, 200, "", "" },
	/* Chunked. */
	/* Found by fuzz/fuzz_http_resp.c: an empty chunked body wrote its
	 * NUL through a NULL pointer (stsfetch crashed). */
	{ OK_HEAD "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0, HTTP_DONE,
	  200, "", "text/plain" },
	{ OK_HEAD "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
	  "7;ext=1\r\n, world\r\n0\r\n\r\n", 0, HTTP_DONE, 200, "hello, world",
	  "text/plain" },
	{ OK_HEAD "Transfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n"
	  "0\r\nX-Trailer: y\r\n\r\n", 0, HTTP_DONE, 200, "0123456789",
	  "text/plain" },
	{ OK_HEAD "Transfer-Encoding: chunked\nContent-Length: 3\n\n"
	  "5\nhello\n0\n\n", 0, HTTP_DONE, 200, "hello", "text/plain" },
	{ OK_HEAD "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", 0,
	  HTTP_NEED_MORE, 200, NULL, "text/plain" },
	{ OK_HEAD "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", 1,
	  HTTP_ERROR, 200, "premature EOF", "text/plain" },
	{ OK_HEAD "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n", 1,
	  HTTP_ERROR, 200, "premature EOF", "text/plain" },
	{ OK_HEAD "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n0\r\n\r\n",
	  0, HTTP_ERROR, 200, "not followed by CRLF", "text/plain" },
	{ OK_HEAD "Transfer-Encoding: chunked\r\n\r\nzz\r\n", 0, HTTP_ERROR,
	  200, "malformed chunk size", "text/plain" },
	{ OK_HEAD "Transfer-Encoding: chunked\r\n\r\n\r\n", 0, HTTP_ERROR,
	  200, "malformed chunk size", "text/plain" },
	{ OK_HEAD "Transfer-Encoding: chunked\r\n\r\n-1\r\n", 0, HTTP_ERROR,
	  200, "malformed chunk size", "text/plain" },
	{ OK_HEAD "Transfer-Encoding: chunked\r\n\r\n123456789\r\n", 0,
	  HTTP_ERROR, 200, "malformed chunk size", "text/plain" },
	{ OK_HEAD "Transfer-Encoding: chunked\r\n\r\n10001\r\n", 0, HTTP_ERROR,
	  200, "body larger than 65536", "text/plain" },
	{ OK_HEAD "Transfer-Encoding: gzip, chunked\r\n\r\n", 0, HTTP_ERROR,
	  0, "Transfer-Encoding", NULL },
	{ OK_HEAD "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"
	  "\r\n", 0, HTTP_ERROR, 0, "Transfer-Encoding", NULL },
	/* Statuses: the caller judges them once headers_done is set. */
	{ "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!", 0,
	  HTTP_DONE, 404, "no!", "" },
	{ "HTTP/1.1 301 Moved\r\nLocation: https://x.example/\r\n"
	  "Content-Length: 0\r\n\r\n", 0, HTTP_DONE, 301, "", "" },
	{ "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1"
	  "\r\n\r\nx", 0, HTTP_DONE, 200, "x", "" },
	{ "HTTP/1.1 204 No Content\r\n\r\n", 0, HTTP_DONE, 204, "", "" },
	{ "HTTP/1.1 101 Switching\r\n\r\n", 0, HTTP_ERROR, 0, "101", NULL },
	/* Malformed heads. */
	{ "HTTP/2 200 OK\r\n\r\n", 0, HTTP_ERROR, 0, "status line", NULL },
	{ "HTTP/1.2 200 OK\r\n\r\n", 0, HTTP_ERROR, 0, "status line", NULL },
	{ "HTTP/1.1 20 OK\r\n\r\n", 0, HTTP_ERROR, 0, "status line", NULL },
	{ "HTTP/1.1 099 OK\r\n\r\n", 0, HTTP_ERROR, 0, "status line", NULL },
	{ "HTTP/1.1 2000 OK\r\n\r\n", 0, HTTP_ERROR, 0, "status line", NULL },
	{ "http/1.1 200 OK\r\n\r\n", 0, HTTP_ERROR, 0, "status line", NULL },
	{ "SSH-2.0-OpenSSH\r\n", 0, HTTP_ERROR, 0, "status line", NULL },
	{ "HTTP/1.1 200 O\x01K\r\n\r\n", 0, HTTP_ERROR, 0, "control", NULL },
	{ "HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n", 0, HTTP_ERROR, 0,
	  "folding", NULL },
	{ "HTTP/1.1 200 OK\r\nNo colon\r\n\r\n", 0, HTTP_ERROR, 0,
	  "malformed HTTP header", NULL },
	{ "HTTP/1.1 200 OK\r\nX : y\r\n\r\n", 0, HTTP_ERROR, 0,
	  "malformed HTTP header", NULL },
	{ "HTTP/1.1 200 OK\r\n: y\r\n\r\n", 0, HTTP_ERROR, 0,
	  "malformed HTTP header", NULL },
	{ "HTTP/1.1 200 OK\r\nX: a\x7fz\r\n\r\n", 0, HTTP_ERROR, 0, "control",
	  NULL },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
	  0, HTTP_ERROR, 0, "conflicting", NULL },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"
	  "hello", 0, HTTP_DONE, 200, "hello", "" },
	{ "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n", 0, HTTP_ERROR, 0,
	  "Content-Length", NULL },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n", 0, HTTP_ERROR, 0,
	  "Content-Length", NULL },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", 0,
	  HTTP_ERROR, 0, "Content-Length", NULL },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 65537\r\n\r\n", 0, HTTP_ERROR,
	  200, "body larger than 65536", "" },
	{ "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n", 0, HTTP_ERROR,
	  0, "Content-Encoding", NULL },
	{ "HTTP/1.1 200 OK\r\nContent-Encoding: identity\r\nContent-Length: 1"
	  "\r\n\r\nx", 0, HTTP_DONE, 200, "x", "" },
	{ "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Type: "
	  "text/html\r\n\r\n", 0, HTTP_ERROR, 0, "repeated Content-Type", NULL },
	{ "HTTP/1.1 200 OK\r\nContent-Ty", 0, HTTP_NEED_MORE, 0, NULL, NULL },
	{ "HTTP/1.1 200 OK\r\nContent-Ty", 1, HTTP_ERROR, 0,
	  "premature EOF in HTTP header", NULL },
	{ "", 0, HTTP_NEED_MORE, 0, NULL, NULL },
	{ "", 1, HTTP_ERROR, 0, "premature EOF in HTTP header", NULL },
};

/* The outcome of table case i is as the table says. */
static void
check_case(int i, enum http_result res, const struct http_resp *r,
    const char *err)
{
	ck_assert_msg(res == cases[i].want, "case %d: got %d (%s)", i, res,
	    err);
	if (cases[i].status)
		ck_assert_int_eq(r->status, cases[i].status);
	if (cases[i].ctype)
		ck_assert_str_eq(r->content_type, cases[i].ctype);
	if (res == HTTP_DONE) {
		ck_assert_uint_eq(r->body_len, strlen(cases[i].body));
		ck_assert_str_eq(r->body, cases[i].body);
	} else {
		ck_assert_ptr_null(r->body);
	}
	if (res == HTTP_ERROR)
		ck_assert_msg(strstr(err, cases[i].body) != NULL,
		    "case %d: error \"%s\" lacks \"%s\"", i, err,
		    cases[i].body);
}

START_TEST(test_table)
{
	struct http_resp r;
	char err[128];
	const char *in = cases[_i].in;
	enum http_result res;

	memset(&r, 0, sizeof(r));
	res = http_resp_parse(in, strlen(in), cases[_i].eof, MAXB, &r, err,
	    sizeof(err));
	check_case(_i, res, &r, err);
	http_resp_free(&r);
}
END_TEST

/* Every proper prefix of a good response needs more, never errs. */
START_TEST(test_prefixes)
{
	const char *in[] = {
		OK_HEAD "Content-Length: 5\r\n\r\nhello",
		OK_HEAD "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
		    "3;x=y\r\n!!!\r\n0\r\nT: 1\r\n\r\n",
	};
	struct http_resp r;
	char err[128];

	memset(&r, 0, sizeof(r));
	for (size_t k = 0; k < 2; k++) {
		size_t len = strlen(in[k]);
		for (size_t n = 0; n < len; n++)
			ck_assert_msg(http_resp_parse(in[k], n, 0, MAXB, &r, err,
			    sizeof(err)) == HTTP_NEED_MORE, "%zu/%zu: %s", k,
			    n, err);
		ck_assert_int_eq(http_resp_parse(in[k], len, 0, MAXB, &r, err,
		    sizeof(err)), HTTP_DONE);
		if (k == 0)
			http_resp_free(&r);	/* the next response */
	}
	ck_assert_str_eq(r.body, "hello!!!");
	http_resp_free(&r);
}
END_TEST

/* Edge case 7: 65536 bytes pass, 65537 fail, in all three framings. */
static char *
response(const char *head, size_t bodylen, int chunked, size_t *len)
{
	char *buf = malloc(strlen(head) + bodylen + 64);
	size_t off = (size_t)sprintf(buf, "%s", head);

	if (chunked)
		off += (size_t)sprintf(buf + off, "%zx\r\n", bodylen);
	memset(buf + off, 'x', bodylen);
	off += bodylen;
	if (chunked)
		off += (size_t)sprintf(buf + off, "\r\n0\r\n\r\n");
	*len = off;
	return buf;
}

START_TEST(test_body_limit)
{
	char head[128], err[128], *buf;
	struct http_resp r;
	size_t len, sizes[] = { MAXB, MAXB + 1 };

	memset(&r, 0, sizeof(r));
	for (int i = 0; i < 2; i++) {
		size_t n = sizes[i];
		enum http_result want = n > MAXB ? HTTP_ERROR : HTTP_DONE;

		snprintf(head, sizeof(head), OK_HEAD "Content-Length: %zu\r\n\r\n",
		    n);
		buf = response(head, n, 0, &len);
		ck_assert_int_eq(http_resp_parse(buf, len, 0, MAXB, &r, err,
		    sizeof(err)), want);
		free(buf);
		http_resp_free(&r);

		buf = response(OK_HEAD "Transfer-Encoding: chunked\r\n\r\n", n,
		    1, &len);
		ck_assert_int_eq(http_resp_parse(buf, len, 0, MAXB, &r, err,
		    sizeof(err)), want);
		free(buf);
		http_resp_free(&r);

		buf = response(OK_HEAD "\r\n", n, 0, &len);
		ck_assert_int_eq(http_resp_parse(buf, len, 1, MAXB, &r, err,
		    sizeof(err)), want);
		if (want == HTTP_DONE)
			ck_assert_uint_eq(r.body_len, MAXB);
		else
			ck_assert_ptr_nonnull(strstr(err, "larger than 65536"));
		/* Without EOF the excess is already an error. */
		http_resp_free(&r);
		if (want == HTTP_ERROR)
			ck_assert_int_eq(http_resp_parse(buf, len, 0, MAXB, &r,
			    err, sizeof(err)), HTTP_ERROR);
		free(buf);
		http_resp_free(&r);
	}
	http_resp_free(&r);
}
END_TEST

/* Chunks that add up past the limit fail even when each one is small. */
START_TEST(test_chunked_sum_limit)
{
	size_t size = 200 + 20 * 4200, off;
	char *buf = malloc(size), err[128];
	struct http_resp r;

	off = (size_t)sprintf(buf, OK_HEAD "Transfer-Encoding: chunked\r\n\r\n");
	for (int i = 0; i < 17; i++) {
		off += (size_t)sprintf(buf + off, "1000\r\n");
		memset(buf + off, 'y', 4096);
		off += 4096;
		off += (size_t)sprintf(buf + off, "\r\n");
	}
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(http_resp_parse(buf, off, 0, MAXB, &r, err,
	    sizeof(err)), HTTP_ERROR);
	ck_assert_ptr_nonnull(strstr(err, "body larger than 65536"));
	http_resp_free(&r);
	free(buf);
}
END_TEST

START_TEST(test_header_limits)
{
	char *buf = malloc(HTTP_MAX_HEADER + 200), err[128];
	struct http_resp r;
	size_t off;

	memset(&r, 0, sizeof(r));
	/* Too many lines. */
	off = (size_t)sprintf(buf, "HTTP/1.1 200 OK\r\n");
	for (int i = 0; i <= HTTP_MAX_HEADERS; i++)
		off += (size_t)sprintf(buf + off, "X-%d: y\r\n", i);
	off += (size_t)sprintf(buf + off, "\r\n");
	ck_assert_int_eq(http_resp_parse(buf, off, 0, MAXB, &r, err,
	    sizeof(err)), HTTP_ERROR);
	http_resp_free(&r);
	/* One endless header line, no LF yet: refused without waiting. */
	off = (size_t)sprintf(buf, "HTTP/1.1 200 OK\r\nX: ");
	memset(buf + off, 'a', HTTP_MAX_HEADER + 1 - off);
	ck_assert_int_eq(http_resp_parse(buf, HTTP_MAX_HEADER + 1, 0, MAXB, &r,
	    err, sizeof(err)), HTTP_ERROR);
	ck_assert_ptr_nonnull(strstr(err, "larger than"));
	http_resp_free(&r);
	/* Endless 1xx responses. */
	off = 0;
	for (int i = 0; i < 7; i++)
		off += (size_t)sprintf(buf + off, "HTTP/1.1 102 P\r\n\r\n");
	ck_assert_int_eq(http_resp_parse(buf, off, 0, MAXB, &r, err,
	    sizeof(err)), HTTP_ERROR);
	ck_assert_ptr_nonnull(strstr(err, "1xx"));
	http_resp_free(&r);
	free(buf);
}
END_TEST

/* A 404 is visible as soon as its head arrives. */
START_TEST(test_headers_done_early)
{
	const char *in = "HTTP/1.1 404 Not Found\r\nLocation: a\"b\x80\r\n"
	    "Content-Length: 1000\r\n\r\n<html>";
	struct http_resp r;
	char err[128];

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(http_resp_parse(in, strlen(in), 0, MAXB, &r, err,
	    sizeof(err)), HTTP_NEED_MORE);
	ck_assert_int_eq(r.headers_done, 1);
	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(r.location, "a?b?");
	ck_assert(http_media_type_is(&r, "") == 1);
	http_resp_free(&r);
}
END_TEST

/*
 * Every table case fed one byte at a time (each call sees one byte more,
 * EOF only with the whole input) ends as fed at once: same result,
 * status, media type, body or error.
 */
START_TEST(test_table_bytewise)
{
	const char *in = cases[_i].in;
	size_t len = strlen(in);
	struct http_resp r;
	enum http_result res;
	char err[128];

	memset(&r, 0, sizeof(r));
	for (size_t n = 0; n < len; n++) {
		res = http_resp_parse(in, n, 0, MAXB, &r, err, sizeof(err));
		ck_assert_msg(res != HTTP_DONE || cases[_i].want == HTTP_DONE,
		    "case %d: done at %zu bytes", _i, n);
	}
	res = http_resp_parse(in, len, cases[_i].eof, MAXB, &r, err,
	    sizeof(err));
	check_case(_i, res, &r, err);
	http_resp_free(&r);
}
END_TEST

/* Feed buf one byte per call; the bytes examined in all calls. */
static unsigned long long
examined_bytewise(const char *buf, size_t len, enum http_result want)
{
	struct http_resp r;
	enum http_result res = HTTP_NEED_MORE;
	unsigned long long n;
	char err[128];

	memset(&r, 0, sizeof(r));
	for (size_t k = 1; k <= len && res == HTTP_NEED_MORE; k++)
		res = http_resp_parse(buf, k, 0, MAXB, &r, err, sizeof(err));
	ck_assert_msg(res == want, "got %d (%s)", res, err);
	n = r.examined;
	http_resp_free(&r);
	return n;
}

/*
 * Linear work: a response that arrives one byte per read is examined a
 * bounded number of times per byte (the old parser started again at
 * byte 0 on every read: quadratic).  Counted, not timed.
 */
START_TEST(test_bytewise_linear)
{
	size_t cap = 4 * MAXB + HTTP_MAX_HEADER, off, bodylen = 36 * 1024;
	char *buf = malloc(cap);
	unsigned long long n;

	/* A chunked body in one-byte chunks. */
	off = (size_t)sprintf(buf, OK_HEAD "Transfer-Encoding: chunked\r\n\r\n");
	for (size_t i = 0; i < bodylen / 8; i++)
		off += (size_t)sprintf(buf + off, "1\r\nx\r\n");
	off += (size_t)sprintf(buf + off, "0\r\n\r\n");
	n = examined_bytewise(buf, off, HTTP_DONE);
	ck_assert_msg(n <= 3 * off, "chunked: %llu bytes examined for %zu", n,
	    off);
	/* One long chunk. */
	off = (size_t)sprintf(buf, OK_HEAD "Transfer-Encoding: chunked\r\n\r\n"
	    "%zx\r\n", bodylen);
	memset(buf + off, 'y', bodylen);
	off += bodylen;
	off += (size_t)sprintf(buf + off, "\r\n0\r\n\r\n");
	n = examined_bytewise(buf, off, HTTP_DONE);
	ck_assert_msg(n <= 3 * off, "one chunk: %llu bytes examined for %zu",
	    n, off);
	/* Content-Length, after a head of long header lines. */
	off = (size_t)sprintf(buf, OK_HEAD);
	for (int i = 0; i < 10; i++) {
		off += (size_t)sprintf(buf + off, "X-%d: ", i);
		memset(buf + off, 'h', 1000);
		off += 1000;
		off += (size_t)sprintf(buf + off, "\r\n");
	}
	off += (size_t)sprintf(buf + off, "Content-Length: %zu\r\n\r\n",
	    bodylen);
	memset(buf + off, 'z', bodylen);
	off += bodylen;
	n = examined_bytewise(buf, off, HTTP_DONE);
	ck_assert_msg(n <= 3 * off, "content-length: %llu bytes examined for "
	    "%zu", n, off);
	free(buf);
}
END_TEST

/* After the verdict, more calls give the same verdict. */
/*
 * A line with a length limit ends the same way however it arrives.
 * Found by fuzz/fuzz_http_resp.c: a chunk-size line (or a trailer line)
 * longer than its limit was refused when it came in pieces (the partial
 * line was already too long) but accepted when its LF came in the same
 * read.  Both ways now refuse it; a line at the limit passes both ways.
 */
static enum http_result
parse_whole_and_bytewise(const char *in, size_t len, char *err,
    size_t errlen)
{
	struct http_resp a, b;
	enum http_result ra, rb = HTTP_NEED_MORE;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ra = http_resp_parse(in, len, 1, MAXB, &a, err, errlen);
	for (size_t n = 1; n <= len && rb == HTTP_NEED_MORE; n++)
		rb = http_resp_parse(in, n, n == len, MAXB, &b, err, errlen);
	ck_assert_msg(ra == rb, "at once %d, bytewise %d (%s)", ra, rb, err);
	http_resp_free(&a);
	http_resp_free(&b);
	return ra;
}

static char *
long_line_response(int trailer, size_t line_len)
{
	const char *head = OK_HEAD "Transfer-Encoding: chunked\r\n\r\n";
	size_t hl = strlen(head);
	char *buf = malloc(hl + line_len + 64);
	char *p = buf + hl;

	ck_assert_ptr_nonnull(buf);
	memcpy(buf, head, hl);
	if (trailer) {
		p += sprintf(p, "1\r\nx\r\n0\r\nX-T: ");
		memset(p, 'a', line_len - 5);
		p += line_len - 5;
	} else {
		p += sprintf(p, "1;");
		memset(p, 'e', line_len - 2);
		p += line_len - 2;
	}
	strcpy(p, trailer ? "\r\n\r\n" : "\r\nx\r\n0\r\n\r\n");
	return buf;
}

START_TEST(test_long_lines_same_both_ways)
{
	static const struct { int trailer; size_t len; enum http_result want; }
	    t[] = {
		{ 0, 1024, HTTP_DONE }, { 0, 1025, HTTP_ERROR },
		{ 0, 3000, HTTP_ERROR },
		{ 1, 16384, HTTP_DONE }, { 1, 16385, HTTP_ERROR },
		{ 1, 40000, HTTP_ERROR },
	};
	char err[128];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *in = long_line_response(t[i].trailer, t[i].len);
		enum http_result res = parse_whole_and_bytewise(in, strlen(in),
		    err, sizeof(err));

		ck_assert_msg(res == t[i].want, "row %zu: got %d (%s)", i, res,
		    err);
		free(in);
	}
}
END_TEST

START_TEST(test_verdict_sticks)
{
	const char *bad = "HTTP/2 200 OK\r\n\r\n";
	const char *good = OK_HEAD "Content-Length: 2\r\n\r\nhi, more";
	struct http_resp r;
	char err[128];

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(http_resp_parse(bad, strlen(bad), 0, MAXB, &r, err,
	    sizeof(err)), HTTP_ERROR);
	ck_assert_int_eq(http_resp_parse(bad, strlen(bad), 1, MAXB, &r, err,
	    sizeof(err)), HTTP_ERROR);
	ck_assert_ptr_nonnull(strstr(err, "status line"));
	http_resp_free(&r);
	ck_assert_int_eq(http_resp_parse(good, strlen(good), 0, MAXB, &r, err,
	    sizeof(err)), HTTP_DONE);
	ck_assert_int_eq(http_resp_parse(good, strlen(good), 1, MAXB, &r, err,
	    sizeof(err)), HTTP_DONE);
	ck_assert_str_eq(r.body, "hi");
	http_resp_free(&r);
}
END_TEST

static Suite *
http_resp_suite(void)
{
	Suite *s = suite_create("http_resp");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_table, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_prefixes);
	tcase_add_test(tc, test_body_limit);
	tcase_add_test(tc, test_chunked_sum_limit);
	tcase_add_test(tc, test_header_limits);
	tcase_add_test(tc, test_headers_done_early);
	tcase_add_loop_test(tc, test_table_bytewise, 0,
	    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_bytewise_linear);
	tcase_add_test(tc, test_verdict_sticks);
	tcase_add_test(tc, test_long_lines_same_both_ways);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(http_resp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
