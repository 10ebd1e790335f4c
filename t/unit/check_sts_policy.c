/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for lib/sts_policy.c: RFC 8461 3.2 policy body, the
 * Postfix translation, and the JSON wire/stored form.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts_policy.h"

#define RFC_EXAMPLE \
	"version: STSv1\n" \
	"mode: enforce\n" \
	"mx: mail.example.com\n" \
	"mx: *.example.net\n" \
	"mx: backupmx.example.com\n" \
	"max_age: 604800\n"

#define HEAD "version: STSv1\nmode: enforce\nmax_age: 86400\n"

static const struct {
	const char *in;
	int ok;
	enum sts_mode mode;
	long max_age;
	size_t nmx;
	const char *mx0;	/* first mx, or error substring when !ok */
	unsigned warnings;
} cases[] = {
	{ RFC_EXAMPLE, 1, STS_MODE_ENFORCE, 604800, 3, "mail.example.com", 0 },
	/* Edge case 9: line endings, trailing spaces, no final terminator. */
	{ "version: STSv1\r\nmode: testing\r\nmx: a.example\r\nmax_age: 1\r\n",
	  1, STS_MODE_TESTING, 1, 1, "a.example", 0 },
	{ "version: STSv1\r\nmode: testing\nmx: a.example\r\nmax_age: 1",
	  1, STS_MODE_TESTING, 1, 1, "a.example", 0 },
	{ "version: STSv1  \nmode: enforce\t\nmx: a.example \nmax_age: 5 \r\n",
	  1, STS_MODE_ENFORCE, 5, 1, "a.example", STS_WARN_TRAILING_WSP },
	{ "version:STSv1\nmode:\tenforce\nmx:a.example\nmax_age:5",
	  1, STS_MODE_ENFORCE, 5, 1, "a.example", 0 },
	{ "\n" HEAD "\nmx: a.example\n\n", 1, STS_MODE_ENFORCE, 86400, 1,
	  "a.example", STS_WARN_EMPTY_LINE },
	{ "\xef\xbb\xbf" HEAD "mx: a.example\n", 1, STS_MODE_ENFORCE, 86400, 1,
	  "a.example", STS_WARN_BOM },
	{ "version: STSv1\rmode: enforce\rmx: a.example\rmax_age: 1\r", 0,
	  0, 0, 0, "CR not followed by LF", 0 },
	{ HEAD "mx: a.example\r\r\n", 0, 0, 0, 0, "CR not followed by LF", 0 },
	/* Edge case 10: case-sensitive mode; first of a repeated key wins. */
	{ "version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 1\n", 0,
	  0, 0, 0, "mode must be", 0 },
	{ "version: STSv1\nmode: enforce\nmode: none\nmx: a.example\n"
	  "max_age: 1\n", 1, STS_MODE_ENFORCE, 1, 1, "a.example",
	  STS_WARN_DUPLICATE },
	{ "version: STSv1\nmode: none\nmode: enforce\nmax_age: 1\n", 1,
	  STS_MODE_NONE, 1, 0, NULL, STS_WARN_DUPLICATE },
	{ "version: STSv1\nmode: enforce\nmode: ENFORCE\nmx: a.example\n"
	  "max_age: 1\n", 1, STS_MODE_ENFORCE, 1, 1, "a.example",
	  STS_WARN_DUPLICATE },
	{ HEAD "max_age: 7\nmx: a.example\n", 1, STS_MODE_ENFORCE, 86400, 1,
	  "a.example", STS_WARN_DUPLICATE },
	{ "Mode: enforce\n" HEAD "mx: a.example\n", 1, STS_MODE_ENFORCE, 86400,
	  1, "a.example", 0 },		/* "Mode" is an extension */
	{ "version: STSv1\nMode: enforce\nmx: a.example\nmax_age: 1\n", 0,
	  0, 0, 0, "mode field missing", 0 },
	{ "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n", 0,
	  0, 0, 0, "version must be STSv1", 0 },
	{ "version: stsv1\nmode: enforce\nmx: a.example\nmax_age: 1\n", 0,
	  0, 0, 0, "version must be STSv1", 0 },
	{ "mode: enforce\nmx: a.example\nmax_age: 1\n", 0, 0, 0, 0,
	  "version field missing", 0 },
	{ "version: STSv1\nmx: a.example\nmax_age: 1\n", 0, 0, 0, 0,
	  "mode field missing", 0 },
	{ "version: STSv1\nmode: enforce\nmx: a.example\n", 0, 0, 0, 0,
	  "max_age field missing", 0 },
	/* Edge case 11: max_age digits and clamping. */
	{ HEAD "mx: a.example\n", 1, STS_MODE_ENFORCE, 86400, 1, "a.example", 0 },
	{ "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 0\n", 1,
	  STS_MODE_ENFORCE, 0, 1, "a.example", 0 },
	{ "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 40000000\n",
	  1, STS_MODE_ENFORCE, 31557600, 1, "a.example", STS_WARN_CLAMPED },
	{ "version: STSv1\nmode: enforce\nmx: a.example\n"
	  "max_age: 9999999999\n", 1, STS_MODE_ENFORCE, 31557600, 1,
	  "a.example", STS_WARN_CLAMPED },
	{ "version: STSv1\nmode: enforce\nmx: a.example\n"
	  "max_age: 31557600\n", 1, STS_MODE_ENFORCE, 31557600, 1,
	  "a.example", 0 },
	{ "version: STSv1\nmode: enforce\nmx: a.example\n"
	  "max_age: 0000000001\n", 1, STS_MODE_ENFORCE, 1, 1, "a.example", 0 },
	{ "version: STSv1\nmode: enforce\nmx: a.example\n"
	  "max_age: 99999999999\n", 0, 0, 0, 0, "1 to 10 digits", 0 },
	{ "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n", 0,
	  0, 0, 0, "1 to 10 digits", 0 },
	{ "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: +1\n", 0,
	  0, 0, 0, "1 to 10 digits", 0 },
	{ "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1d\n", 0,
	  0, 0, 0, "1 to 10 digits", 0 },
	{ "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1 2\n", 0,
	  0, 0, 0, "1 to 10 digits", 0 },
	{ "version: STSv1\nmode: enforce\nmx: a.example\nmax_age:\n", 0,
	  0, 0, 0, "empty value", 0 },
	/* Edge case 12: mx required unless mode none. */
	{ "version: STSv1\nmode: none\nmax_age: 1\n", 1, STS_MODE_NONE, 1, 0,
	  NULL, 0 },
	{ "version: STSv1\nmode: enforce\nmax_age: 1\n", 0, 0, 0, 0,
	  "no mx field", 0 },
	{ "version: STSv1\nmode: testing\nmax_age: 1\n", 0, 0, 0, 0,
	  "no mx field", 0 },
	/* Edge case 13 and mx syntax. */
	{ HEAD "mx: *.Example.COM\n", 1, STS_MODE_ENFORCE, 86400, 1,
	  "*.example.com", 0 },
	{ HEAD "mx: xn--bcher-kva.example\n", 1, STS_MODE_ENFORCE, 86400, 1,
	  "xn--bcher-kva.example", 0 },
	{ HEAD "mx: b\xc3\xbc" "cher.example\n", 0, 0, 0, 0, "U-label", 0 },
	{ HEAD "mx: xn--zz-.example\n", 0, 0, 0, 0, "not a valid host", 0 },
	{ HEAD "mx: xn--a.example\n", 0, 0, 0, 0, "invalid A-label", 0 },
	{ HEAD "mx: a.*.example\n", 0, 0, 0, 0, "wildcard", 0 },
	{ HEAD "mx: *a.example\n", 0, 0, 0, 0, "wildcard", 0 },
	{ HEAD "mx: *\n", 0, 0, 0, 0, "wildcard", 0 },
	{ HEAD "mx: *.\n", 0, 0, 0, 0, "trailing dot", 0 },
	{ HEAD "mx: **.example\n", 0, 0, 0, 0, "wildcard", 0 },
	{ HEAD "mx: mail.example.com.\n", 0, 0, 0, 0, "trailing dot", 0 },
	{ HEAD "mx: 192.0.2.1\n", 0, 0, 0, 0, "IP address", 0 },
	{ HEAD "mx: [192.0.2.1]\n", 0, 0, 0, 0, "not a valid host", 0 },
	{ HEAD "mx: 2001:db8::1\n", 0, 0, 0, 0, "not a valid host", 0 },
	{ HEAD "mx: -a.example\n", 0, 0, 0, 0, "not a valid host", 0 },
	{ HEAD "mx: a_b.example\n", 0, 0, 0, 0, "not a valid host", 0 },
	{ HEAD "mx: a..example\n", 0, 0, 0, 0, "not a valid host", 0 },
	{ HEAD "mx: a.example b.example\n", 0, 0, 0, 0, "not a valid host", 0 },
	{ HEAD "mx:\n", 0, 0, 0, 0, "empty value", 0 },
	/* Generic line grammar and extensions. */
	{ HEAD "mx: a.example\nfoo_bar.x-y: any value, with UTF-8 \xc3\xa9\n",
	  1, STS_MODE_ENFORCE, 86400, 1, "a.example", 0 },
	{ HEAD "mx: a.example\nfoo:\n", 0, 0, 0, 0, "empty value", 0 },
	{ HEAD "mx: a.example\nfoo bar: x\n", 0, 0, 0, 0, "key", 0 },
	{ HEAD "mx: a.example\n_foo: x\n", 0, 0, 0, 0, "key must begin", 0 },
	{ HEAD "mx: a.example\n: x\n", 0, 0, 0, 0, "key must begin", 0 },
	{ HEAD "mx: a.example\nmode : none\n", 0, 0, 0, 0, "key", 0 },
	{ HEAD "mx: a.example\nnocolon\n", 0, 0, 0, 0, "no ':'", 0 },
	{ HEAD "mx: a.example\n a: b\n", 0, 0, 0, 0, "key must begin", 0 },
	{ HEAD "mx: a.example\nfoo: \xff\n", 0, 0, 0, 0, "invalid byte", 0 },
	{ HEAD "mx: a.example\nfoo: \xc0\x80\n", 0, 0, 0, 0, "invalid byte", 0 },
	{ HEAD "mx: a.example\nfoo: \xed\xa0\x80\n", 0, 0, 0, 0,
	  "invalid byte", 0 },
	{ HEAD "mx: a.example\nfoo: a\x01z\n", 0, 0, 0, 0, "invalid byte", 0 },
	{ HEAD "mx: a.example\nk23456789012345678901234567890123: x\n", 0,
	  0, 0, 0, "longer than 32", 0 },
	{ "", 0, 0, 0, 0, "version field missing", 0 },
	{ "<html><body>hello</body></html>\n", 0, 0, 0, 0, "no ':'", 0 },
};

START_TEST(test_parse_table)
{
	struct sts_policy p;
	char err[256];
	int rc = sts_policy_parse(cases[_i].in, strlen(cases[_i].in), &p, err,
	    sizeof(err));

	if (!cases[_i].ok) {
		ck_assert_msg(rc == -1, "case %d accepted", _i);
		ck_assert_msg(strstr(err, cases[_i].mx0) != NULL,
		    "case %d: error \"%s\" lacks \"%s\"", _i, err,
		    cases[_i].mx0);
		ck_assert_ptr_null(p.mx);
		ck_assert_ptr_null(p.text);
		return;
	}
	ck_assert_msg(rc == 0, "case %d: %s", _i, err);
	ck_assert_int_eq(p.mode, cases[_i].mode);
	ck_assert_int_eq(p.max_age, cases[_i].max_age);
	ck_assert_uint_eq(p.nmx, cases[_i].nmx);
	if (cases[_i].nmx > 0)
		ck_assert_str_eq(p.mx[0], cases[_i].mx0);
	ck_assert_uint_eq(p.warnings, cases[_i].warnings);
	ck_assert_uint_eq(p.text_len, strlen(cases[_i].in));
	ck_assert(memcmp(p.text, cases[_i].in, p.text_len) == 0);
	sts_policy_free(&p);
}
END_TEST

/* Lines kept for TLSRPT: trimmed, empty ones skipped, order kept. */
START_TEST(test_lines)
{
	const char *in = "version: STSv1\r\n\r\nmode: enforce  \nmx: A.example\n"
	    "max_age: 5";
	struct sts_policy p;
	char err[128];

	ck_assert_int_eq(sts_policy_parse(in, strlen(in), &p, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(p.nlines, 4);
	ck_assert_str_eq(p.lines[0], "version: STSv1");
	ck_assert_str_eq(p.lines[1], "mode: enforce");
	ck_assert_str_eq(p.lines[2], "mx: A.example");	/* raw case */
	ck_assert_str_eq(p.lines[3], "max_age: 5");
	ck_assert_str_eq(p.mx[0], "a.example");
	sts_policy_free(&p);
}
END_TEST

/* Builds a policy with n mx lines into a static buffer. */
static char *
many_mx(size_t n, size_t *len)
{
	size_t size = 100 + n * 32, off;
	char *buf = malloc(size);

	off = (size_t)snprintf(buf, size, "%s", HEAD);
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(buf + off, size - off,
		    "mx: mx%zu.example.com\n", i);
	*len = off;
	return buf;
}

START_TEST(test_limits)
{
	struct sts_policy p;
	char err[128], *buf;
	size_t len;

	buf = many_mx(STS_POLICY_MAX_MX, &len);
	ck_assert_int_eq(sts_policy_parse(buf, len, &p, err, sizeof(err)), 0);
	ck_assert_uint_eq(p.nmx, STS_POLICY_MAX_MX);
	sts_policy_free(&p);
	free(buf);

	buf = many_mx(STS_POLICY_MAX_MX + 1, &len);
	ck_assert_int_eq(sts_policy_parse(buf, len, &p, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "more than 1000 mx"));
	free(buf);

	/* Body size: exactly the limit passes, one byte more fails. */
	len = STS_POLICY_MAX_BODY;
	buf = malloc(len + 1);
	memset(buf, 'x', len + 1);
	memcpy(buf, HEAD "mx: a.example\nfiller: ",
	    strlen(HEAD "mx: a.example\nfiller: "));
	buf[len - 1] = '\n';
	ck_assert_int_eq(sts_policy_parse(buf, len, &p, err, sizeof(err)), 0);
	sts_policy_free(&p);
	buf[len] = '\n';
	ck_assert_int_eq(sts_policy_parse(buf, len + 1, &p, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "larger than 65536"));
	free(buf);
}
END_TEST

/* A NUL byte is malformed wherever it is, and nothing reads past len. */
START_TEST(test_nul_and_bounds)
{
	const char in[] = HEAD "mx: a.example\nfoo: a\0b\n";
	struct sts_policy p;
	char err[128];

	ck_assert_int_eq(sts_policy_parse(in, sizeof(in) - 1, &p, err,
	    sizeof(err)), -1);
	/* Bounded: stop before the bad tail. */
	ck_assert_int_eq(sts_policy_parse(in, strlen(HEAD "mx: a.example\n"),
	    &p, err, sizeof(err)), 0);
	ck_assert_uint_eq(p.nlines, 4);
	sts_policy_free(&p);
}
END_TEST

static const struct {
	const char *host;
	int match;
} match_cases[] = {
	{ "mail.example.com", 1 },
	{ "MAIL.Example.Com", 1 },
	{ "backupmx.example.com", 1 },
	{ "a.example.net", 1 },
	{ "example.net", 0 },
	{ "a.b.example.net", 0 },
	{ ".example.net", 0 },
	{ "example.com", 0 },
	{ "xmail.example.com", 0 },
	{ "mail.example.com.evil", 0 },
};

START_TEST(test_mx_match)
{
	struct sts_policy p;
	char err[128];

	ck_assert_int_eq(sts_policy_parse(RFC_EXAMPLE, strlen(RFC_EXAMPLE),
	    &p, err, sizeof(err)), 0);
	ck_assert_int_eq(sts_policy_mx_match(&p, match_cases[_i].host),
	    match_cases[_i].match);
	sts_policy_free(&p);
}
END_TEST

static struct sts_policy
parse_ok(const char *in)
{
	struct sts_policy p;
	char err[256];

	ck_assert_msg(sts_policy_parse(in, strlen(in), &p, err, sizeof(err))
	    == 0, "%s", err);
	return p;
}

START_TEST(test_postfix_plain)
{
	struct sts_policy p = parse_ok(RFC_EXAMPLE "mx: MAIL.example.com\n"
	    "mx: *.example.net\n");
	const char *why = "unset";
	char *s = sts_policy_to_postfix(&p, "example.com", 0, &why);

	ck_assert_str_eq(s, "secure match=mail.example.com:.example.net:"
	    "backupmx.example.com servername=hostname");
	ck_assert_ptr_null(why);
	free(s);
	sts_policy_free(&p);

	p = parse_ok("version: STSv1\nmode: none\nmax_age: 1\n");
	ck_assert_ptr_null(sts_policy_to_postfix(&p, "example.com", 0, NULL));
	sts_policy_free(&p);
}
END_TEST

START_TEST(test_postfix_tlsrpt)
{
	struct sts_policy p = parse_ok(RFC_EXAMPLE);
	const char *why = "unset";
	char *s = sts_policy_to_postfix(&p, "example.com", 1, &why);

	ck_assert_ptr_null(why);
	ck_assert_str_eq(s, "secure match=mail.example.com:.example.net:"
	    "backupmx.example.com servername=hostname policy_type=sts "
	    "policy_domain=example.com mx_host_pattern=mail.example.com "
	    "mx_host_pattern=*.example.net "
	    "mx_host_pattern=backupmx.example.com "
	    "{ policy_string = version: STSv1 } "
	    "{ policy_string = mode: enforce } "
	    "{ policy_string = mx: mail.example.com } "
	    "{ policy_string = mx: *.example.net } "
	    "{ policy_string = mx: backupmx.example.com } "
	    "{ policy_string = max_age: 604800 }");
	free(s);

	/* Bad domain: plain form, with the reason. */
	s = sts_policy_to_postfix(&p, "bad domain", 1, &why);
	ck_assert_ptr_nonnull(why);
	ck_assert_ptr_null(strstr(s, "policy_type"));
	free(s);
	sts_policy_free(&p);

	/* Braces cannot be carried inside a policy_string. */
	p = parse_ok(RFC_EXAMPLE "ext: a}b\n");
	s = sts_policy_to_postfix(&p, "example.com", 1, &why);
	ck_assert_ptr_nonnull(why);
	ck_assert_ptr_nonnull(strstr(why, "'{'"));
	ck_assert_str_eq(s, "secure match=mail.example.com:.example.net:"
	    "backupmx.example.com servername=hostname");
	free(s);
	sts_policy_free(&p);
}
END_TEST

/* 1000 long mx lines: the TLSRPT form passes 100000 bytes. */
START_TEST(test_postfix_tlsrpt_too_long)
{
	size_t size = 100 + 1000 * 80, off, len;
	char *buf = malloc(size), *s;
	struct sts_policy p;
	const char *why;
	char err[128];

	off = (size_t)snprintf(buf, size, "%s", HEAD);
	for (int i = 0; i < 1000; i++)
		off += (size_t)snprintf(buf + off, size - off, "mx: mx%04d."
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example\n", i);
	len = off;
	ck_assert_int_eq(sts_policy_parse(buf, len, &p, err, sizeof(err)), 0);
	s = sts_policy_to_postfix(&p, "example.com", 1, &why);
	ck_assert_ptr_nonnull(why);
	ck_assert_ptr_null(strstr(s, "policy_type"));
	ck_assert_uint_lt(strlen(s), STS_POSTFIX_MAX);
	free(s);
	sts_policy_free(&p);
	free(buf);
}
END_TEST

START_TEST(test_json_roundtrip)
{
	struct sts_policy p = parse_ok("\xef\xbb\xbf" RFC_EXAMPLE
	    "ext: caf\xc3\xa9 \"q\" \\ \t tab\r\n\nmax_age: 5\n"), q;
	char *js = sts_policy_to_json_text(&p), err[256];

	ck_assert_int_eq(sts_policy_from_json_text(js, strlen(js), &q, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(q.mode, p.mode);
	ck_assert_int_eq(q.max_age, 604800);
	ck_assert_uint_eq(q.nmx, 3);
	ck_assert_str_eq(q.mx[1], "*.example.net");
	ck_assert_uint_eq(q.text_len, p.text_len);
	ck_assert(memcmp(q.text, p.text, p.text_len) == 0);
	ck_assert_uint_eq(q.nlines, p.nlines);
	ck_assert(strncmp(js, "{\"max_age\":604800,\"mode\":\"enforce\","
	    "\"mx\":[\"mail.example.com\",", 59) == 0);
	sts_policy_free(&q);
	sts_policy_free(&p);
	free(js);
}
END_TEST

#define T_TEXT "\"text\":\"version: STSv1\\nmode: enforce\\nmx: a.example\\n" \
	"max_age: 86400\\n\""
#define T_GOOD "{\"max_age\":86400,\"mode\":\"enforce\",\"mx\":[\"a.example\"]," \
	T_TEXT "}"

static const struct {
	const char *json;
	const char *why;	/* error substring; NULL = accepted */
} json_cases[] = {
	{ T_GOOD, NULL },
	{ "{\"max_age\":86400,\"mode\":\"testing\",\"mx\":[\"a.example\"],"
	  T_TEXT "}", "mode does not match" },
	{ "{\"max_age\":86400,\"mode\":\"Enforce\",\"mx\":[\"a.example\"],"
	  T_TEXT "}", "mode does not match" },
	{ "{\"max_age\":99999999999,\"mode\":\"enforce\",\"mx\":[\"a.example\"],"
	  T_TEXT "}", "max_age does not match" },
	{ "{\"max_age\":-1,\"mode\":\"enforce\",\"mx\":[\"a.example\"],"
	  T_TEXT "}", "max_age does not match" },
	{ "{\"max_age\":86400.0,\"mode\":\"enforce\",\"mx\":[\"a.example\"],"
	  T_TEXT "}", "policy JSON" },
	{ "{\"max_age\":\"86400\",\"mode\":\"enforce\",\"mx\":[\"a.example\"],"
	  T_TEXT "}", "policy JSON" },
	{ "{\"max_age\":86400,\"mode\":\"enforce\",\"mx\":[\"b\\u00fccher.example\"],"
	  T_TEXT "}", "mx[0] does not match" },
	{ "{\"max_age\":86400,\"mode\":\"enforce\",\"mx\":[\"a.example\","
	  "\"evil.example\"]," T_TEXT "}", "mx does not match" },
	{ "{\"max_age\":86400,\"mode\":\"enforce\",\"mx\":[]," T_TEXT "}",
	  "mx does not match" },
	{ "{\"max_age\":86400,\"mode\":\"enforce\",\"mx\":\"a.example\","
	  T_TEXT "}", "mx does not match" },
	{ "{\"max_age\":86400,\"mode\":\"enforce\",\"mx\":[1]," T_TEXT "}",
	  "mx[0] does not match" },
	/* Tampered text: the text itself is validated again. */
	{ "{\"max_age\":86400,\"mode\":\"enforce\",\"mx\":[\"b\\u00fccher.example\"],"
	  "\"text\":\"version: STSv1\\nmode: enforce\\nmx: b\\u00fccher.example\\n"
	  "max_age: 86400\\n\"}", "U-label" },
	{ "{\"max_age\":86400,\"mode\":\"enforce\",\"mx\":[\"a.example\"],"
	  "\"text\":\"version: STSv1\\nmode: enforce\\nmx: a.example\\n"
	  "max_age: 86400\\u0000\\n\"}", "policy JSON" },	/* NUL */
	{ "{\"max_age\":86400,\"mode\":\"enforce\",\"mx\":[\"a.example\"],"
	  "\"text\":\"garbage\"}", "text:" },
	/* Missing, extra and duplicate keys; not an object; trailing junk. */
	{ "{\"max_age\":86400,\"mode\":\"enforce\",\"mx\":[\"a.example\"]}",
	  "policy JSON" },
	{ "{\"mode\":\"enforce\",\"mx\":[\"a.example\"]," T_TEXT "}",
	  "policy JSON" },
	{ "{\"max_age\":86400,\"mx\":[\"a.example\"]," T_TEXT "}",
	  "policy JSON" },
	{ "{\"max_age\":86400,\"mode\":\"enforce\"," T_TEXT "}",
	  "policy JSON" },
	{ "{\"max_age\":86400,\"mode\":\"enforce\",\"mx\":[\"a.example\"],"
	  "\"extra\":1," T_TEXT "}", "policy JSON" },
	{ "{\"max_age\":86400,\"mode\":\"enforce\",\"mode\":\"enforce\","
	  "\"mx\":[\"a.example\"]," T_TEXT "}", "duplicate" },
	{ "[" T_GOOD "]", "policy JSON" },
	{ "\"x\"", "policy JSON" },
	{ T_GOOD " x", "policy JSON" },
	{ "", "policy JSON" },
	{ "{", "policy JSON" },
};

START_TEST(test_json_tampered)
{
	struct sts_policy p;
	char err[256];
	const char *js = json_cases[_i].json;
	int rc = sts_policy_from_json_text(js, strlen(js), &p, err,
	    sizeof(err));

	if (json_cases[_i].why == NULL) {
		ck_assert_msg(rc == 0, "case %d: %s", _i, err);
		sts_policy_free(&p);
		return;
	}
	ck_assert_msg(rc == -1, "case %d accepted", _i);
	ck_assert_msg(strstr(err, json_cases[_i].why) != NULL,
	    "case %d: error \"%s\" lacks \"%s\"", _i, err, json_cases[_i].why);
	ck_assert_ptr_null(p.text);
}
END_TEST

START_TEST(test_json_size_limits)
{
	struct sts_policy p;
	char err[256], *big;
	size_t n = STS_POLICY_MAX_JSON + 1;
	json_t *obj;

	big = malloc(n);
	memset(big, ' ', n);
	memcpy(big, T_GOOD, strlen(T_GOOD));
	ck_assert_int_eq(sts_policy_from_json_text(big, n, &p, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "larger than"));
	free(big);

	/* Text over the body limit is refused before parsing. */
	big = malloc(STS_POLICY_MAX_BODY + 2);
	memset(big, 'x', STS_POLICY_MAX_BODY + 1);
	big[STS_POLICY_MAX_BODY + 1] = '\0';
	obj = json_pack("{s:I, s:s, s:[s], s:s}", "max_age", (json_int_t)1,
	    "mode", "enforce", "mx", "a.example", "text", big);
	ck_assert_int_eq(sts_policy_from_json(obj, &p, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "text larger than"));
	json_decref(obj);
	free(big);
	ck_assert_int_eq(sts_policy_from_json(NULL, &p, err, sizeof(err)), -1);
}
END_TEST

static Suite *
sts_policy_suite(void)
{
	Suite *s = suite_create("sts_policy");
	TCase *tc = tcase_create("parse");
	TCase *tp = tcase_create("postfix");
	TCase *tj = tcase_create("json");

	tcase_add_loop_test(tc, test_parse_table, 0,
	    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_lines);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_nul_and_bounds);
	tcase_add_loop_test(tc, test_mx_match, 0,
	    sizeof(match_cases) / sizeof(match_cases[0]));
	suite_add_tcase(s, tc);
	tcase_add_test(tp, test_postfix_plain);
	tcase_add_test(tp, test_postfix_tlsrpt);
	tcase_add_test(tp, test_postfix_tlsrpt_too_long);
	suite_add_tcase(s, tp);
	tcase_add_test(tj, test_json_roundtrip);
	tcase_add_loop_test(tj, test_json_tampered, 0,
	    sizeof(json_cases) / sizeof(json_cases[0]));
	tcase_add_test(tj, test_json_size_limits);
	suite_add_tcase(s, tj);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sts_policy_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
