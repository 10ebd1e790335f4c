/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the TLSRPT building blocks: lib/tlsrpt_dgram.c (the
 * libtlsrpt datagram codec), lib/tlsrpt_txt.c (_smtp._tls records),
 * lib/tlsrpt_agg.c (per-day aggregation and its store encoding) and
 * lib/tlsrpt_report.c (RFC 8460 JSON, gzip, file name, Subject, MIME).
 */
#include "config.h"

#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "tlsrpt_agg.h"
#include "tlsrpt_dgram.h"
#include "tlsrpt_report.h"
#include "tlsrpt_txt.h"

/* The two example datagrams of shared/spec tlsrpt.md 5.5, one line each. */
static const char EX_OK[] =
    "{\"dpv\": \"1\",\"d\": \"example.com\",\"pr\": \"v=TLSRPTv1; "
    "rua=mailto:tlsrpt@example.com\",\"policies\":[{\"policy-type\":2,"
    "\"policy-domain\": \"example.com\",\"policy-string\":[\"version: STSv1\","
    "\"mode: enforce\",\"mx: mx.example.com\",\"max_age: 604800\"],"
    "\"mx-host\":[\"mx.example.com\"],\"t\":0,\"f\":0}]}";

static const char EX_FAIL[] =
    "{\"dpv\": \"1\",\"d\": \"example.com\",\"pr\": \"v=TLSRPTv1; "
    "rua=mailto:tlsrpt@example.com\",\"policies\":[{\"policy-type\":2,"
    "\"policy-domain\": \"example.com\",\"policy-string\":[\"version: STSv1\","
    "\"mode: enforce\",\"mx: mx.example.com\",\"max_age: 604800\"],"
    "\"mx-host\":[\"mx.example.com\"],\"failure-details\":[{\"c\":205,"
    "\"s\": \"192.0.2.25\",\"n\": \"mx.example.com\",\"h\": "
    "\"250-mx.example.com\\r\\n250 STARTTLS\",\"r\": \"203.0.113.10\","
    "\"f\": \"self-signed_certificate\"}],\"t\":1,\"f\":1}]}";

/* EX_FAIL with its members in another order and other whitespace. */
static const char EX_FAIL_SHUFFLED[] =
    "{ \"policies\" : [ { \"f\" : 1, \"t\" : 1, \"failure-details\" : [ {"
    " \"f\" : \"self-signed_certificate\", \"r\" : \"203.0.113.10\","
    " \"h\" : \"250-mx.example.com\\r\\n250 STARTTLS\", \"n\" : "
    "\"mx.example.com\", \"s\" : \"192.0.2.25\", \"c\" : 205 } ],"
    " \"mx-host\" : [ \"mx.example.com\" ], \"policy-string\" : ["
    " \"version: STSv1\", \"mode: enforce\", \"mx: mx.example.com\","
    " \"max_age: 604800\" ], \"policy-domain\" : \"example.com\","
    " \"policy-type\" : 2 } ],\n \"pr\" : \"v=TLSRPTv1; "
    "rua=mailto:tlsrpt@example.com\", \"d\" : \"example.com\","
    " \"dpv\" : \"1\" }";

#define DAY_2026_01_01	INT64_C(1767225600)

static int
decode(const char *text, struct tlsrpt_dgram *dg)
{
	char err[256];
	int rc = tlsrpt_dgram_decode(text, strlen(text), dg, err, sizeof(err));

	if (rc != TLSRPT_DG_OK)
		ck_assert_str_ne(err, "");
	return rc;
}

/* Datagram codec */

START_TEST(test_dgram_example_success)
{
	struct tlsrpt_dgram dg;
	struct tlsrpt_policy *p;

	ck_assert_int_eq(decode(EX_OK, &dg), TLSRPT_DG_OK);
	ck_assert_str_eq(dg.d, "example.com");
	ck_assert_str_eq(dg.pr, "v=TLSRPTv1; rua=mailto:tlsrpt@example.com");
	ck_assert_uint_eq(dg.npolicies, 1);
	ck_assert_uint_eq(dg.flags, 0);
	p = &dg.policies[0];
	ck_assert_int_eq(p->type, TLSRPT_POLICY_STS);
	ck_assert_str_eq(p->domain, "example.com");
	ck_assert_uint_eq(p->nstrings, 4);
	ck_assert_str_eq(p->strings[0], "version: STSv1");
	ck_assert_str_eq(p->strings[3], "max_age: 604800");
	ck_assert_uint_eq(p->nmx, 1);
	ck_assert_str_eq(p->mx[0], "mx.example.com");
	ck_assert_uint_eq(p->ndetails, 0);
	ck_assert_int_eq(p->failed, 0);
	ck_assert_int_eq(p->t, 0);
	tlsrpt_dgram_free(&dg);
}
END_TEST

/*
 * A datagram captured from real Postfix 3.10.13 with Debian 13's
 * libtlsrpt 0.5.0rc1 (t/world/tests/50-postfix310.sh): no "dpv" member,
 * unlike the spec digest's examples.
 */
static const char EX_CAPTURED[] =
    "{\"d\": \"sts-enforce.test\",\"pr\": \"v=TLSRPTv1; "
    "rua=mailto:tlsrpt@world.test\",\"policies\":[{\"policy-type\":2,"
    "\"policy-domain\": \"sts-enforce.test\",\"policy-string\":"
    "[\"version: STSv1\",\"mode: enforce\",\"mx: mx.sts-enforce.test\","
    "\"max_age: 86400\"],\"mx-host\":[\"mx.sts-enforce.test\"],"
    "\"t\":0,\"f\":0}]}";

START_TEST(test_dgram_captured_postfix310)
{
	struct tlsrpt_dgram dg;
	struct tlsrpt_policy *p;

	ck_assert_int_eq(decode(EX_CAPTURED, &dg), TLSRPT_DG_OK);
	ck_assert_str_eq(dg.d, "sts-enforce.test");
	ck_assert_str_eq(dg.pr, "v=TLSRPTv1; rua=mailto:tlsrpt@world.test");
	ck_assert_uint_eq(dg.npolicies, 1);
	ck_assert_uint_eq(dg.flags, TLSRPT_DGF_NO_DPV);
	p = &dg.policies[0];
	ck_assert_int_eq(p->type, TLSRPT_POLICY_STS);
	ck_assert_str_eq(p->domain, "sts-enforce.test");
	ck_assert_uint_eq(p->nstrings, 4);
	ck_assert_str_eq(p->strings[2], "mx: mx.sts-enforce.test");
	ck_assert_uint_eq(p->nmx, 1);
	ck_assert_str_eq(p->mx[0], "mx.sts-enforce.test");
	ck_assert_int_eq(p->failed, 0);
	tlsrpt_dgram_free(&dg);
}
END_TEST

START_TEST(test_dgram_example_failure)
{
	struct tlsrpt_dgram dg;
	struct tlsrpt_detail *d;

	ck_assert_int_eq(decode(EX_FAIL, &dg), TLSRPT_DG_OK);
	ck_assert_uint_eq(dg.flags, 0);
	ck_assert_int_eq(dg.policies[0].failed, 1);
	ck_assert_uint_eq(dg.policies[0].ndetails, 1);
	d = &dg.policies[0].details[0];
	ck_assert_int_eq(d->code, 205);
	ck_assert_str_eq(d->s, "192.0.2.25");
	ck_assert_str_eq(d->n, "mx.example.com");
	ck_assert_str_eq(d->h, "250-mx.example.com\r\n250 STARTTLS");
	ck_assert_str_eq(d->r, "203.0.113.10");
	ck_assert_ptr_null(d->a);
	ck_assert_str_eq(d->f, "self-signed_certificate");
	ck_assert_str_eq(tlsrpt_result_type_name(d->code), "validation-failure");
	tlsrpt_dgram_free(&dg);
}
END_TEST

/* The encoder writes libtlsrpt's bytes: both examples come back exact. */
START_TEST(test_dgram_round_trip)
{
	const char *ex[] = { EX_OK, EX_FAIL };
	struct tlsrpt_dgram dg, dg2;
	char *text, *text2;
	size_t len, i;

	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(decode(ex[i], &dg), TLSRPT_DG_OK);
		text = tlsrpt_dgram_encode(&dg, &len);
		ck_assert_str_eq(text, ex[i]);
		ck_assert_uint_eq(len, strlen(ex[i]));
		ck_assert_int_eq(decode(text, &dg2), TLSRPT_DG_OK);
		text2 = tlsrpt_dgram_encode(&dg2, NULL);
		ck_assert_str_eq(text2, text);
		free(text);
		free(text2);
		tlsrpt_dgram_free(&dg);
		tlsrpt_dgram_free(&dg2);
	}
}
END_TEST

/* Control bytes and quotes: escaped as libtlsrpt does, decoded back. */
START_TEST(test_dgram_escapes)
{
	struct tlsrpt_dgram dg, back;
	struct tlsrpt_policy p;
	struct tlsrpt_detail det;
	char *text;

	memset(&dg, 0, sizeof(dg));
	memset(&p, 0, sizeof(p));
	memset(&det, 0, sizeof(det));
	det.code = 201;
	det.h = "a\"b\\c\b\f\n\r\t\x01\x1f\x7f caf\xc3\xa9";
	p.type = TLSRPT_POLICY_NONE;
	p.domain = "example.org";
	p.details = &det;
	p.ndetails = 1;
	p.failed = 1;
	dg.d = "example.org";
	dg.pr = "v=TLSRPTv1;rua=mailto:r@example.org";
	dg.policies = &p;
	dg.npolicies = 1;
	text = tlsrpt_dgram_encode(&dg, NULL);
	ck_assert_ptr_nonnull(strstr(text, "\"h\": \"a\\\"b\\\\c\\b\\f\\n\\r\\t"
	    "\\u0001\\u001f\\u007f caf\xc3\xa9\""));
	ck_assert_ptr_nonnull(strstr(text, "\"policy-type\":9,"));
	ck_assert_int_eq(decode(text, &back), TLSRPT_DG_OK);
	ck_assert_str_eq(back.policies[0].details[0].h, det.h);
	free(text);
	tlsrpt_dgram_free(&back);
}
END_TEST

/* Collector tolerance, one rule a case. */
static const struct {
	const char *name;
	const char *in;
	int rc;
	unsigned flags;
} tolerance_cases[] = {
	{ "no dpv (libtlsrpt < 0.5), no pr, newline before policies",
	  "{\"d\": \"example.com\"\n,\"policies\":[{\"policy-type\":9,"
	  "\"t\":0,\"f\":0}]}", TLSRPT_DG_OK, TLSRPT_DGF_NO_DPV },
	{ "dpv as a number",
	  "{\"dpv\":1,\"d\":\"example.com\",\"policies\":[{\"policy-type\":1}]}",
	  TLSRPT_DG_OK, 0 },
	{ "dpv 2", "{\"dpv\":\"2\",\"d\":\"example.com\",\"policies\":"
	  "[{\"policy-type\":2}]}", TLSRPT_DG_VERSION, 0 },
	{ "dpv 01", "{\"dpv\":\"01\",\"d\":\"example.com\",\"policies\":"
	  "[{\"policy-type\":2}]}", TLSRPT_DG_VERSION, 0 },
	{ "mx-host under no-policy-found",
	  "{\"d\":\"example.com\",\"dpv\":\"1\",\"policies\":[{\"policy-type\":9,"
	  "\"mx-host\":[\"stale.example.com\"],\"t\":0,\"f\":0}]}",
	  TLSRPT_DG_OK, TLSRPT_DGF_MX_IGNORED },
	{ "f=1 without details",
	  "{\"dpv\":\"1\",\"d\":\"example.com\",\"policies\":[{\"policy-type\":2,"
	  "\"t\":0,\"f\":1}]}", TLSRPT_DG_OK, TLSRPT_DGF_TF_MISMATCH },
	{ "t=2 with one detail",
	  "{\"dpv\":\"1\",\"d\":\"example.com\",\"policies\":[{\"policy-type\":2,"
	  "\"failure-details\":[{\"c\":201}],\"t\":2,\"f\":1}]}",
	  TLSRPT_DG_OK, TLSRPT_DGF_TF_MISMATCH },
	{ "unknown result code kept",
	  "{\"dpv\":\"1\",\"d\":\"example.com\",\"policies\":[{\"policy-type\":2,"
	  "\"failure-details\":[{\"c\":999}],\"t\":1,\"f\":1}]}",
	  TLSRPT_DG_OK, TLSRPT_DGF_UNKNOWN_CODE },
	{ "invalid UTF-8 sanitised",
	  "{\"dpv\":\"1\",\"d\":\"example.com\",\"policies\":[{\"policy-type\":2,"
	  "\"failure-details\":[{\"c\":205,\"h\":\"250 \xff\xc0\xaf\xed\xa0\x80"
	  "\"}],\"t\":1,\"f\":1}]}", TLSRPT_DG_OK, TLSRPT_DGF_SANITISED },
	{ "unknown members ignored",
	  "{\"dpv\":\"1\",\"x\":[1,{}],\"d\":\"example.com\",\"policies\":"
	  "[{\"policy-type\":2,\"zz\":null}]}", TLSRPT_DG_OK, 0 },
	/* Refused. */
	{ "not JSON", "{\"d\":", TLSRPT_DG_BAD, 0 },
	{ "not an object", "[1,2]", TLSRPT_DG_BAD, 0 },
	{ "no d", "{\"policies\":[{\"policy-type\":2}]}", TLSRPT_DG_BAD, 0 },
	{ "d not a string", "{\"d\":1,\"policies\":[{\"policy-type\":2}]}",
	  TLSRPT_DG_BAD, 0 },
	{ "d not a host name", "{\"d\":\"a b.example\",\"policies\":"
	  "[{\"policy-type\":2}]}", TLSRPT_DG_BAD, 0 },
	{ "d with a slash", "{\"d\":\"a/b.example\",\"policies\":"
	  "[{\"policy-type\":2}]}", TLSRPT_DG_BAD, 0 },
	{ "no policies", "{\"d\":\"example.com\"}", TLSRPT_DG_BAD, 0 },
	{ "empty policies", "{\"d\":\"example.com\",\"policies\":[]}",
	  TLSRPT_DG_BAD, 0 },
	{ "unknown policy-type", "{\"d\":\"example.com\",\"policies\":"
	  "[{\"policy-type\":3}]}", TLSRPT_DG_BAD, 0 },
	{ "policy-type a string", "{\"d\":\"example.com\",\"policies\":"
	  "[{\"policy-type\":\"sts\"}]}", TLSRPT_DG_BAD, 0 },
	{ "f=2", "{\"d\":\"example.com\",\"policies\":[{\"policy-type\":2,"
	  "\"f\":2}]}", TLSRPT_DG_BAD, 0 },
	{ "detail without c", "{\"d\":\"example.com\",\"policies\":"
	  "[{\"policy-type\":2,\"failure-details\":[{\"s\":\"x\"}]}]}",
	  TLSRPT_DG_BAD, 0 },
	{ "c a string", "{\"d\":\"example.com\",\"policies\":"
	  "[{\"policy-type\":2,\"failure-details\":[{\"c\":\"205\"}]}]}",
	  TLSRPT_DG_BAD, 0 },
	{ "NUL in a string", "{\"d\":\"example.com\",\"pr\":\"a\\u0000b\","
	  "\"policies\":[{\"policy-type\":2}]}", TLSRPT_DG_BAD, 0 },
	{ "duplicate member", "{\"d\":\"example.com\",\"d\":\"example.org\","
	  "\"policies\":[{\"policy-type\":2}]}", TLSRPT_DG_BAD, 0 },
	{ "policy-string not strings", "{\"d\":\"example.com\",\"policies\":"
	  "[{\"policy-type\":2,\"policy-string\":[1]}]}", TLSRPT_DG_BAD, 0 },
};

START_TEST(test_dgram_tolerance)
{
	struct tlsrpt_dgram dg;
	int rc = decode(tolerance_cases[_i].in, &dg);

	ck_assert_msg(rc == tolerance_cases[_i].rc, "%s: rc %d want %d",
	    tolerance_cases[_i].name, rc, tolerance_cases[_i].rc);
	if (rc == TLSRPT_DG_OK) {
		ck_assert_msg(dg.flags == tolerance_cases[_i].flags,
		    "%s: flags %#x want %#x", tolerance_cases[_i].name,
		    dg.flags, tolerance_cases[_i].flags);
		tlsrpt_dgram_free(&dg);
	} else
		ck_assert_ptr_null(dg.d);	/* zeroed */
}
END_TEST

/* Absent optional members get their documented values. */
START_TEST(test_dgram_defaults)
{
	struct tlsrpt_dgram dg;
	struct tlsrpt_policy *p;

	ck_assert_int_eq(decode("{\"d\":\"Example.COM.\",\"policies\":["
	    "{\"policy-type\":2,\"failure-details\":[{\"c\":202}]},"
	    "{\"policy-type\":1,\"policy-domain\":\"MX.Example.com\","
	    "\"policy-string\":[\"3 1 1 AB\"],\"f\":0}]}", &dg), TLSRPT_DG_OK);
	ck_assert_str_eq(dg.d, "example.com");
	ck_assert_str_eq(dg.pr, "");
	ck_assert_uint_eq(dg.npolicies, 2);
	p = &dg.policies[0];
	ck_assert_str_eq(p->domain, "example.com");	/* d */
	ck_assert_int_eq(p->failed, 1);		/* no f, has details */
	ck_assert_int_eq(p->t, -1);
	ck_assert_ptr_null(p->details[0].s);
	p = &dg.policies[1];
	ck_assert_int_eq(p->type, TLSRPT_POLICY_TLSA);
	ck_assert_str_eq(p->domain, "mx.example.com");
	ck_assert_int_eq(p->failed, 0);
	tlsrpt_dgram_free(&dg);
}
END_TEST

START_TEST(test_dgram_sanitised_text)
{
	struct tlsrpt_dgram dg;

	ck_assert_int_eq(decode("{\"d\":\"example.com\",\"pr\":\"v=TLSRPTv1;"
	    "rua=mailto:a@b.example \xe9t\xe9\",\"policies\":"
	    "[{\"policy-type\":2}]}", &dg), TLSRPT_DG_OK);
	ck_assert_str_eq(dg.pr, "v=TLSRPTv1;rua=mailto:a@b.example "
	    "\xef\xbf\xbdt\xef\xbf\xbd");
	ck_assert(tlsrpt_utf8_valid(dg.pr, strlen(dg.pr)));
	tlsrpt_dgram_free(&dg);
}
END_TEST

static char *
repeat(const char *unit, size_t n, const char *head, const char *tail)
{
	size_t ul = strlen(unit), hl = strlen(head), tl = strlen(tail), i;
	char *s = malloc(hl + n * ul + tl + 1), *p = s;

	memcpy(p, head, hl);
	p += hl;
	for (i = 0; i < n; i++, p += ul)
		memcpy(p, unit, ul);
	memcpy(p, tail, tl + 1);
	return s;
}

START_TEST(test_dgram_bounds)
{
	struct tlsrpt_dgram dg;
	char *s, *big;
	size_t n;

	/* A string at the bound passes, one byte more is refused. */
	s = repeat("a", TLSRPT_STR_MAX, "{\"d\":\"example.com\",\"pr\":\"",
	    "\",\"policies\":[{\"policy-type\":2}]}");
	ck_assert_int_eq(decode(s, &dg), TLSRPT_DG_OK);
	tlsrpt_dgram_free(&dg);
	free(s);
	s = repeat("a", TLSRPT_STR_MAX + 1, "{\"d\":\"example.com\",\"pr\":\"",
	    "\",\"policies\":[{\"policy-type\":2}]}");
	ck_assert_int_eq(decode(s, &dg), TLSRPT_DG_BAD);
	free(s);
	/* Policies, strings, details. */
	s = repeat("{\"policy-type\":2},", TLSRPT_POLICIES_MAX,
	    "{\"d\":\"example.com\",\"policies\":[", "{\"policy-type\":2}]}");
	ck_assert_int_eq(decode(s, &dg), TLSRPT_DG_BAD);
	free(s);
	s = repeat("\"x\",", TLSRPT_STRINGS_MAX, "{\"d\":\"example.com\","
	    "\"policies\":[{\"policy-type\":2,\"mx-host\":[", "\"y\"]}]}");
	ck_assert_int_eq(decode(s, &dg), TLSRPT_DG_BAD);
	free(s);
	s = repeat("{\"c\":201},", TLSRPT_DETAILS_MAX, "{\"d\":\"example.com\","
	    "\"policies\":[{\"policy-type\":2,\"failure-details\":[",
	    "{\"c\":201}]}]}");
	ck_assert_int_eq(decode(s, &dg), TLSRPT_DG_BAD);
	free(s);
	/* The datagram bound is checked before parsing. */
	n = TLSRPT_DGRAM_MAX + 1;
	big = malloc(n);
	memset(big, ' ', n);
	memcpy(big, EX_OK, strlen(EX_OK));
	ck_assert_int_eq(tlsrpt_dgram_decode(big, n, &dg, NULL, 0),
	    TLSRPT_DG_BAD);
	ck_assert_int_eq(tlsrpt_dgram_decode(big, n - 1, &dg, NULL, 0),
	    TLSRPT_DG_OK);
	tlsrpt_dgram_free(&dg);
	free(big);
}
END_TEST

/* Every prefix of a datagram is handled cleanly (ASan finds the rest). */
START_TEST(test_dgram_prefixes)
{
	size_t n, len = strlen(EX_FAIL);

	for (n = 0; n <= len; n++)
		ck_assert_int_eq(tlsrpt_dgram_fuzz_one((const uint8_t *)EX_FAIL,
		    n), 0);
}
END_TEST

START_TEST(test_utf8)
{
	unsigned char out[64];
	size_t n;

	ck_assert(tlsrpt_utf8_valid("caf\xc3\xa9 \xf0\x9f\x98\x80", 10));
	ck_assert(!tlsrpt_utf8_valid("\xc0\xaf", 2));		/* overlong */
	ck_assert(!tlsrpt_utf8_valid("\xed\xa0\x80", 3));	/* surrogate */
	ck_assert(!tlsrpt_utf8_valid("\xf4\x90\x80\x80", 4));	/* > 10FFFF */
	ck_assert(!tlsrpt_utf8_valid("\xe2\x82", 2));		/* truncated */
	ck_assert(!tlsrpt_utf8_valid("a\0b", 3));
	n = tlsrpt_utf8_sanitise((const unsigned char *)"a\xffz\xe2\x82", 5,
	    out);
	ck_assert_uint_eq(n, 1 + 3 + 1 + 3 + 3);
	ck_assert(memcmp(out, "a\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbd", n) == 0);
}
END_TEST

/* TXT records */

static enum tlsrpt_txt_status
txt1(const char *rec, struct tlsrpt_txt *out)
{
	struct sts_txt_rec r = { rec, strlen(rec) };
	char err[256];

	return tlsrpt_txt_parse(&r, 1, out, err, sizeof(err));
}

static const struct {
	const char *in;
	enum tlsrpt_txt_status want;
	size_t nrua;
	const char *first;		/* addr (mailto) or uri (https) */
	size_t skipped;
} txt_cases[] = {
	{ "v=TLSRPTv1; rua=mailto:tlsrpt@example.com", TLSRPT_TXT_OK, 1,
	  "tlsrpt@example.com", 0 },
	{ "v=TLSRPTv1;rua=https://reports.example.com/v1", TLSRPT_TXT_OK, 1,
	  "https://reports.example.com/v1", 0 },
	{ "v=TLSRPTv1;rua=mailto:a@example.com,https://r.example.net/x",
	  TLSRPT_TXT_OK, 2, "a@example.com", 0 },
	{ "v=TLSRPTv1 ;  rua=mailto:a@example.com ,\thttps://r.example.net ;",
	  TLSRPT_TXT_OK, 2, "a@example.com", 0 },
	{ "v=TLSRPTv1; ext=1; rua=MAILTO:Tls%2Brpt@Example.COM?subject=x; "
	  "other=y", TLSRPT_TXT_OK, 1, "Tls+rpt@example.com", 0 },
	{ "v=TLSRPTv1; rua=https://r.example/a%2Cb", TLSRPT_TXT_OK, 1,
	  "https://r.example/a%2Cb", 0 },
	{ "v=TLSRPTv1; rua=https://[2001:db8::1]:8443/t", TLSRPT_TXT_OK, 1,
	  "https://[2001:db8::1]:8443/t", 0 },
	{ "v=TLSRPTv1; rua=http://r.example/,ftp:x,https://r.example/",
	  TLSRPT_TXT_OK, 1, "https://r.example/", 2 },
	{ "v=TLSRPTv1; rua=mailto:a@x.example; rua=mailto:b@x.example",
	  TLSRPT_TXT_OK, 1, "a@x.example", 0 },
	/* Invalid: nothing usable, grammar. */
	{ "v=TLSRPTv1; rua=mailto:a%2Cb@x.example", TLSRPT_TXT_INVALID, 0,
	  NULL, 0 },
	{ "v=TLSRPTv1; rua=mailto:a@x.example%0ABcc:e@y.example",
	  TLSRPT_TXT_INVALID, 0, NULL, 0 },
	{ "v=TLSRPTv1; rua=mailto:a%00@x.example", TLSRPT_TXT_INVALID, 0,
	  NULL, 0 },
	{ "v=TLSRPTv1; rua=mailto:\"a b\"@x.example", TLSRPT_TXT_INVALID, 0,
	  NULL, 0 },
	{ "v=TLSRPTv1; rua=mailto:x.example", TLSRPT_TXT_INVALID, 0, NULL, 0 },
	{ "v=TLSRPTv1; rua=https://r_x.example/", TLSRPT_TXT_INVALID, 0,
	  NULL, 0 },
	{ "v=TLSRPTv1; rua=https://", TLSRPT_TXT_INVALID, 0, NULL, 0 },
	{ "v=TLSRPTv1; rua=http://r.example/", TLSRPT_TXT_INVALID, 0, NULL, 0 },
	{ "v=TLSRPTv1; rua=", TLSRPT_TXT_INVALID, 0, NULL, 0 },
	{ "v=TLSRPTv1;", TLSRPT_TXT_INVALID, 0, NULL, 0 },
	{ "v=TLSRPTv1; ext=x", TLSRPT_TXT_INVALID, 0, NULL, 0 },
	{ "v=TLSRPTv1;; rua=mailto:a@x.example", TLSRPT_TXT_INVALID, 0,
	  NULL, 0 },
	{ "v=TLSRPTv1; rua=mailto:a@x.example extra", TLSRPT_TXT_INVALID, 0,
	  NULL, 0 },
	{ "v=TLSRPTv1; rua=mailto:a@x.example ", TLSRPT_TXT_INVALID, 0,
	  NULL, 0 },			/* WSP without ";", as sts_txt */
	/* Not TLSRPT records at all (Postfix's test). */
	{ "v=TLSRPTv1", TLSRPT_TXT_NONE, 0, NULL, 0 },
	{ "v=TLSRPTv10; rua=mailto:a@x.example", TLSRPT_TXT_NONE, 0, NULL, 0 },
	{ "V=TLSRPTv1; rua=mailto:a@x.example", TLSRPT_TXT_NONE, 0, NULL, 0 },
	{ " v=TLSRPTv1; rua=mailto:a@x.example", TLSRPT_TXT_NONE, 0, NULL, 0 },
	{ "v=spf1 -all", TLSRPT_TXT_NONE, 0, NULL, 0 },
};

START_TEST(test_txt_one)
{
	struct tlsrpt_txt t;
	enum tlsrpt_txt_status st = txt1(txt_cases[_i].in, &t);
	const struct tlsrpt_rua *r = &t.rua[0];

	ck_assert_msg(st == txt_cases[_i].want, "\"%s\": got %d want %d",
	    txt_cases[_i].in, st, txt_cases[_i].want);
	ck_assert_uint_eq(t.nrua, txt_cases[_i].nrua);
	if (st != TLSRPT_TXT_OK)
		return;
	ck_assert_uint_eq(t.skipped, txt_cases[_i].skipped);
	ck_assert_str_eq(r->kind == TLSRPT_RUA_MAILTO ? r->addr : r->uri,
	    txt_cases[_i].first);
}
END_TEST

START_TEST(test_txt_rrset)
{
	struct sts_txt_rec two[] = {
		{ "v=TLSRPTv1; rua=mailto:a@x.example", 34 },
		{ "v=TLSRPTv1; rua=mailto:b@x.example", 34 },
	};
	struct sts_txt_rec mixed[] = {
		{ "v=spf1 -all", 11 },
		{ "v=TLSRPTv1; rua=mailto:b@x.example", 34 },
		{ "v=TLSRPTv10; rua=mailto:c@x.example", 35 },
	};
	struct tlsrpt_txt t;
	char err[128];

	ck_assert_int_eq(tlsrpt_txt_parse(NULL, 0, &t, err, sizeof(err)),
	    TLSRPT_TXT_NONE);
	ck_assert_int_eq(tlsrpt_txt_parse(two, 2, &t, err, sizeof(err)),
	    TLSRPT_TXT_INVALID);
	ck_assert_ptr_nonnull(strstr(err, "2 TLSRPT records"));
	ck_assert_uint_eq(t.nrua, 0);
	ck_assert_int_eq(tlsrpt_txt_parse(mixed, 3, &t, err, sizeof(err)),
	    TLSRPT_TXT_OK);
	ck_assert_str_eq(t.rua[0].addr, "b@x.example");
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(test_txt_bounds)
{
	struct tlsrpt_txt t;
	char *s;

	s = repeat("mailto:a@x.example,", TLSRPT_RUA_MAX + 2,
	    "v=TLSRPTv1; rua=", "https://r.example/");
	ck_assert_int_eq(txt1(s, &t), TLSRPT_TXT_OK);
	ck_assert_uint_eq(t.nrua, TLSRPT_RUA_MAX);
	ck_assert_uint_eq(t.skipped, 3);
	free(s);
	s = repeat("a", TLSRPT_URI_MAX, "v=TLSRPTv1; rua=https://r.example/",
	    ",mailto:b@x.example");
	ck_assert_int_eq(txt1(s, &t), TLSRPT_TXT_OK);
	ck_assert_uint_eq(t.nrua, 1);
	ck_assert_uint_eq(t.skipped, 1);
	free(s);
	s = repeat("x", TLSRPT_TXT_MAX, "v=TLSRPTv1; rua=mailto:b@x.example;"
	    " e=", "");
	ck_assert_int_eq(txt1(s, &t), TLSRPT_TXT_INVALID);
	free(s);
}
END_TEST

/* Days and keys */

START_TEST(test_days)
{
	char buf[TLSRPT_DAY_LEN + 1];
	int64_t d, back;

	ck_assert_int_eq(tlsrpt_day(DAY_2026_01_01 - 1), 20453);
	ck_assert_int_eq(tlsrpt_day(DAY_2026_01_01), 20454);
	tlsrpt_day_str(0, buf);
	ck_assert_str_eq(buf, "1970-01-01");
	tlsrpt_day_str(11016, buf);
	ck_assert_str_eq(buf, "2000-02-29");
	tlsrpt_day_str(20453, buf);
	ck_assert_str_eq(buf, "2025-12-31");
	tlsrpt_day_str(2932896, buf);
	ck_assert_str_eq(buf, "9999-12-31");
	for (d = 0; d <= 2932896; d += 997) {
		tlsrpt_day_str(d, buf);
		ck_assert_int_eq(tlsrpt_day_parse(buf, &back), 0);
		ck_assert_int_eq(back, d);
	}
	ck_assert_int_eq(tlsrpt_day_parse("2026-02-30", &back), -1);
	ck_assert_int_eq(tlsrpt_day_parse("2026-1-01", &back), -1);
	ck_assert_int_eq(tlsrpt_day_parse("1969-12-31", &back), -1);
	ck_assert_int_eq(tlsrpt_day_parse("2026-01-01x", &back), -1);
}
END_TEST

START_TEST(test_keys)
{
	char key[TLSRPT_AGG_KEY_MAX + 1], dom[DOMAIN_MAX + 1];
	int64_t day;

	ck_assert_int_eq(tlsrpt_agg_key(20454, "example.com", key,
	    sizeof(key)), 0);
	ck_assert_str_eq(key, "rpt/2026-01-01/example.com");
	ck_assert_int_eq(tlsrpt_agg_key_parse(key, &day, dom), 0);
	ck_assert_int_eq(day, 20454);
	ck_assert_str_eq(dom, "example.com");
	ck_assert_int_eq(tlsrpt_agg_key(20454, "a/b", key, sizeof(key)), -1);
	ck_assert_int_eq(tlsrpt_agg_key(20454, "example.com", key, 10), -1);
	ck_assert_int_eq(tlsrpt_agg_key_parse("rpt/2026-01-01/", &day, dom),
	    -1);
	ck_assert_int_eq(tlsrpt_agg_key_parse("rpt/2026-13-01/x.example",
	    &day, dom), -1);
	ck_assert_int_eq(tlsrpt_agg_key_parse("sts/2026-01-01/x.example",
	    &day, dom), -1);
}
END_TEST

/* Aggregation */

static void
agg_text(struct tlsrpt_agg *a, const char *text, int64_t now, int want)
{
	struct tlsrpt_dgram dg;

	ck_assert_int_eq(decode(text, &dg), TLSRPT_DG_OK);
	ck_assert_int_eq(tlsrpt_agg_add(a, &dg, now), want);
	tlsrpt_dgram_free(&dg);
}

/* 23:59:59 and 00:00:00 UTC land in two days' records. */
START_TEST(test_agg_day_boundary)
{
	struct tlsrpt_agg *a = tlsrpt_agg_new(NULL);
	const struct tlsrpt_agg_rec *r1, *r2;

	agg_text(a, EX_FAIL, DAY_2026_01_01 - 1, TLSRPT_AGG_OK);
	agg_text(a, EX_OK, DAY_2026_01_01, TLSRPT_AGG_OK);
	agg_text(a, EX_OK, DAY_2026_01_01 + 86399, TLSRPT_AGG_OK);
	r1 = tlsrpt_agg_get(a, 20453, "example.com");
	r2 = tlsrpt_agg_get(a, 20454, "example.com");
	ck_assert_ptr_nonnull(r1);
	ck_assert_ptr_nonnull(r2);
	ck_assert_uint_eq(r1->pol[0].total, 1);
	ck_assert_uint_eq(r1->pol[0].failures, 1);
	ck_assert_uint_eq(r2->pol[0].total, 2);
	ck_assert_uint_eq(r2->pol[0].failures, 0);
	ck_assert_ptr_null(tlsrpt_agg_get(a, 20455, "example.com"));
	ck_assert_int_eq(tlsrpt_agg_add(a, NULL, -1), -1);
	tlsrpt_agg_free(a);
}
END_TEST

/* Identical details merge, whatever the JSON member order was. */
START_TEST(test_agg_merge_identical)
{
	struct tlsrpt_agg *a = tlsrpt_agg_new(NULL);
	const struct tlsrpt_agg_rec *r;

	agg_text(a, EX_FAIL, DAY_2026_01_01, TLSRPT_AGG_OK);
	agg_text(a, EX_FAIL_SHUFFLED, DAY_2026_01_01 + 5, TLSRPT_AGG_OK);
	agg_text(a, EX_OK, DAY_2026_01_01 + 10, TLSRPT_AGG_OK);
	r = tlsrpt_agg_get(a, 20454, "example.com");
	ck_assert_uint_eq(r->npol, 1);
	ck_assert_uint_eq(r->pol[0].total, 3);
	ck_assert_uint_eq(r->pol[0].failures, 2);
	ck_assert_uint_eq(r->pol[0].ndetails, 1);
	ck_assert_uint_eq(r->pol[0].details[0].count, 2);
	tlsrpt_agg_free(a);
}
END_TEST

static struct tlsrpt_dgram *
fail_dgram(int code, const char *reason, const char *pr)
{
	static struct tlsrpt_dgram dg;
	static struct tlsrpt_policy p;
	static struct tlsrpt_detail d;
	static char *strings[] = { "version: STSv1", "mode: enforce" };
	static char *mx[] = { "mx.example.com" };

	memset(&d, 0, sizeof(d));
	d.code = code;
	d.s = "192.0.2.25";
	d.n = "mx.example.com";
	d.r = "203.0.113.10";
	d.f = (char *)reason;
	memset(&p, 0, sizeof(p));
	p.type = TLSRPT_POLICY_STS;
	p.domain = "example.com";
	p.strings = strings;
	p.nstrings = 2;
	p.mx = mx;
	p.nmx = 1;
	p.details = &d;
	p.ndetails = 1;
	p.failed = 1;
	memset(&dg, 0, sizeof(dg));
	dg.d = "example.com";
	dg.pr = (char *)pr;
	dg.policies = &p;
	dg.npolicies = 1;
	return &dg;
}

/* Different reason codes or result codes never merge. */
START_TEST(test_agg_no_merge_different)
{
	struct tlsrpt_agg *a = tlsrpt_agg_new(NULL);
	const struct tlsrpt_agg_rec *r;
	const char *pr = "v=TLSRPTv1;rua=mailto:r@example.com";

	tlsrpt_agg_add(a, fail_dgram(205, "self-signed_certificate", pr), 0);
	tlsrpt_agg_add(a, fail_dgram(205, "unable_to_get_local_issuer", pr), 1);
	tlsrpt_agg_add(a, fail_dgram(204, "self-signed_certificate", pr), 2);
	tlsrpt_agg_add(a, fail_dgram(205, NULL, pr), 3);
	tlsrpt_agg_add(a, fail_dgram(205, "self-signed_certificate", pr), 4);
	r = tlsrpt_agg_get(a, 0, "example.com");
	ck_assert_uint_eq(r->npol, 1);
	ck_assert_uint_eq(r->pol[0].ndetails, 4);
	ck_assert_uint_eq(r->pol[0].details[0].count, 2);
	ck_assert_uint_eq(r->pol[0].details[1].count, 1);
	/* Another TLSRPT record is another report: another policy entry. */
	tlsrpt_agg_add(a, fail_dgram(205, NULL, "v=TLSRPTv1;rua=mailto:x@y.z"),
	    5);
	ck_assert_uint_eq(r->npol, 2);
	tlsrpt_agg_free(a);
}
END_TEST

START_TEST(test_agg_caps)
{
	struct tlsrpt_agg_limits lim = { 2, 2, 2, 0 };
	struct tlsrpt_agg *a = tlsrpt_agg_new(&lim);
	const struct tlsrpt_agg_rec *r;
	struct tlsrpt_dgram *dg;
	const char *pr = "v=TLSRPTv1;rua=mailto:r@example.com";

	/* Details: the third distinct one is dropped, its session counted. */
	tlsrpt_agg_add(a, fail_dgram(201, NULL, pr), 0);
	tlsrpt_agg_add(a, fail_dgram(202, NULL, pr), 0);
	ck_assert_int_eq(tlsrpt_agg_add(a, fail_dgram(203, NULL, pr), 0),
	    TLSRPT_AGG_CAPPED);
	ck_assert_int_eq(tlsrpt_agg_add(a, fail_dgram(201, NULL, pr), 0),
	    TLSRPT_AGG_OK);
	r = tlsrpt_agg_get(a, 0, "example.com");
	ck_assert_uint_eq(r->pol[0].ndetails, 2);
	ck_assert_uint_eq(r->pol[0].details_dropped, 1);
	ck_assert_uint_eq(r->pol[0].failures, 4);
	/* Policies: a third one is dropped and counted. */
	tlsrpt_agg_add(a, fail_dgram(201, NULL, "v=TLSRPTv1;rua=mailto:b@c.d"),
	    0);
	ck_assert_int_eq(tlsrpt_agg_add(a, fail_dgram(201, NULL,
	    "v=TLSRPTv1;rua=mailto:e@f.g"), 0), TLSRPT_AGG_CAPPED);
	ck_assert_uint_eq(r->npol, 2);
	ck_assert_uint_eq(r->sessions_dropped, 1);
	/* Domains: a third one a day is dropped and counted. */
	dg = fail_dgram(201, NULL, pr);
	dg->d = "two.example";
	ck_assert_int_eq(tlsrpt_agg_add(a, dg, 0), TLSRPT_AGG_OK);
	dg = fail_dgram(201, NULL, pr);
	dg->d = "three.example";
	ck_assert_int_eq(tlsrpt_agg_add(a, dg, 0), TLSRPT_AGG_DROPPED);
	ck_assert_int_eq(tlsrpt_agg_add(a, dg, 0), TLSRPT_AGG_DROPPED);
	ck_assert_ptr_null(tlsrpt_agg_get(a, 0, "three.example"));
	ck_assert_uint_eq(tlsrpt_agg_dropped(a, 0), 2);
	/* The next day has its own cap. */
	ck_assert_int_eq(tlsrpt_agg_add(a, dg, 86400), TLSRPT_AGG_OK);
	ck_assert_uint_eq(tlsrpt_agg_dropped(a, 1), 0);
	tlsrpt_agg_free(a);
}
END_TEST

static struct tlsrpt_agg_rec *
sample_rec(void)
{
	struct tlsrpt_agg_rec *r = tlsrpt_agg_rec_new(20454, "example.com");
	struct tlsrpt_dgram dg;
	const char *texts[] = { EX_OK, EX_FAIL, EX_FAIL,
	    "{\"d\":\"example.com\",\"pr\":\"v=TLSRPTv1;rua=mailto:r@example.com"
	    "\",\"policies\":[{\"policy-type\":9,\"failure-details\":[{\"c\":201,"
	    "\"s\":\"2001:db8::25\",\"n\":\"mx2.example.com\",\"r\":"
	    "\"2001:db8::10\",\"a\":\"https://x.example/i\"},{\"c\":999}],"
	    "\"f\":1}]}" };
	size_t i, j;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		ck_assert_int_eq(decode(texts[i], &dg), TLSRPT_DG_OK);
		for (j = 0; j < dg.npolicies; j++)
			tlsrpt_agg_rec_add(r, dg.pr, &dg.policies[j], NULL);
		tlsrpt_dgram_free(&dg);
	}
	return r;
}

START_TEST(test_agg_encode_round_trip)
{
	struct tlsrpt_agg_rec *r = sample_rec(), *back;
	unsigned char *buf, *buf2;
	size_t len, len2;
	char err[128];

	r->sessions_dropped = 7;
	r->pol[0].details_dropped = 3;
	buf = tlsrpt_agg_rec_encode(r, &len);
	ck_assert_ptr_nonnull(buf);
	ck_assert(memcmp(buf, "TR\x01", 3) == 0);
	ck_assert_int_eq(tlsrpt_agg_rec_decode("rpt/2026-01-01/example.com",
	    buf, len, &back, err, sizeof(err)), TLSRPT_AGG_DEC_OK);
	ck_assert_int_eq(back->day, 20454);
	ck_assert_str_eq(back->domain, "example.com");
	ck_assert_uint_eq(back->npol, 2);
	ck_assert_uint_eq(back->sessions_dropped, 7);
	ck_assert_uint_eq(back->pol[0].total, 3);
	ck_assert_uint_eq(back->pol[0].failures, 2);
	ck_assert_uint_eq(back->pol[0].details_dropped, 3);
	ck_assert_str_eq(back->pol[0].details[0].d.h,
	    "250-mx.example.com\r\n250 STARTTLS");
	ck_assert_ptr_null(back->pol[0].details[0].d.a);
	ck_assert_uint_eq(back->pol[0].details[0].count, 2);
	ck_assert_int_eq(back->pol[1].p.type, TLSRPT_POLICY_NONE);
	ck_assert_int_eq(back->pol[1].details[1].d.code, 999);
	buf2 = tlsrpt_agg_rec_encode(back, &len2);
	ck_assert_uint_eq(len2, len);
	ck_assert(memcmp(buf, buf2, len) == 0);
	free(buf);
	free(buf2);
	tlsrpt_agg_rec_free(r);
	tlsrpt_agg_rec_free(back);
}
END_TEST

/* Append the big-endian CRC-32 of (key, NUL, buf[0..n)) at buf + n. */
static void
put_crc(const char *key, unsigned char *buf, size_t n)
{
	uLong crc = crc32(crc32(0L, Z_NULL, 0), (const Bytef *)key,
	    (uInt)strlen(key) + 1);

	crc = crc32(crc, buf, (uInt)n);
	buf[n] = (unsigned char)(crc >> 24);
	buf[n + 1] = (unsigned char)(crc >> 16);
	buf[n + 2] = (unsigned char)(crc >> 8);
	buf[n + 3] = (unsigned char)crc;
}

/* No flipped byte or cut decodes as a valid record; none crashes. */
START_TEST(test_agg_decode_corrupt)
{
	const char *key = "rpt/2026-01-01/example.com";
	struct tlsrpt_agg_rec *r = sample_rec(), *back;
	unsigned char *buf;
	size_t len, i;
	int rc;

	buf = tlsrpt_agg_rec_encode(r, &len);
	for (i = 0; i < len; i++) {
		buf[i] ^= 0x5a;
		rc = tlsrpt_agg_rec_decode(key, buf, len, &back, NULL, 0);
		ck_assert_msg(rc != TLSRPT_AGG_DEC_OK, "flip at %zu accepted", i);
		ck_assert_ptr_null(back);
		buf[i] ^= 0x5a;
	}
	for (i = 0; i < len; i++)
		ck_assert_int_ne(tlsrpt_agg_rec_decode(key, buf, i, &back, NULL,
		    0), TLSRPT_AGG_DEC_OK);
	ck_assert_int_eq(tlsrpt_agg_rec_decode("rpt/2026-01-02/example.com",
	    buf, len, &back, NULL, 0), TLSRPT_AGG_DEC_CORRUPT);
	buf[2] = 2;
	ck_assert_int_eq(tlsrpt_agg_rec_decode(key, buf, len, &back, NULL, 0),
	    TLSRPT_AGG_DEC_VERSION);
	buf[2] = 1;
	/* A byte slipped in before a recomputed CRC: still refused. */
	buf = realloc(buf, len + 1);
	buf[len - 4] = 0;
	put_crc(key, buf, len - 3);
	ck_assert_int_eq(tlsrpt_agg_rec_decode(key, buf, len + 1, &back, NULL,
	    0), TLSRPT_AGG_DEC_CORRUPT);
	/* The same with nothing slipped in is accepted (the CRC is right). */
	put_crc(key, buf, len - 4);
	ck_assert_int_eq(tlsrpt_agg_rec_decode(key, buf, len, &back, NULL, 0),
	    TLSRPT_AGG_DEC_OK);
	tlsrpt_agg_rec_free(back);
	free(buf);
	tlsrpt_agg_rec_free(r);
}
END_TEST

struct puts {
	int n;
	int fail;
	char key[TLSRPT_AGG_KEY_MAX + 1];
	unsigned char *buf;
	size_t len;
};

static int
put_cb(const char *key, const void *buf, size_t len, void *arg)
{
	struct puts *p = arg;

	if (p->fail)
		return -1;
	p->n++;
	snprintf(p->key, sizeof(p->key), "%s", key);
	free(p->buf);
	p->buf = malloc(len);
	memcpy(p->buf, buf, len);
	p->len = len;
	return 0;
}

/* Write-behind: dirty records are written once; a restart reloads. */
START_TEST(test_agg_flush_load)
{
	struct tlsrpt_agg *a = tlsrpt_agg_new(NULL), *b;
	struct puts p = { 0, 0, "", NULL, 0 };
	const struct tlsrpt_agg_rec *r;
	char err[128];

	agg_text(a, EX_FAIL, DAY_2026_01_01, TLSRPT_AGG_OK);
	p.fail = 1;
	ck_assert_int_eq(tlsrpt_agg_flush(a, put_cb, &p), -1);
	p.fail = 0;
	ck_assert_int_eq(tlsrpt_agg_flush(a, put_cb, &p), 1);
	ck_assert_str_eq(p.key, "rpt/2026-01-01/example.com");
	ck_assert_int_eq(tlsrpt_agg_flush(a, put_cb, &p), 0);
	b = tlsrpt_agg_new(NULL);
	ck_assert_int_eq(tlsrpt_agg_load(b, p.key, p.buf, p.len, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(tlsrpt_agg_load(b, p.key, p.buf, p.len, err,
	    sizeof(err)), -1);
	agg_text(b, EX_FAIL_SHUFFLED, DAY_2026_01_01 + 1, TLSRPT_AGG_OK);
	r = tlsrpt_agg_get(b, 20454, "example.com");
	ck_assert_uint_eq(r->pol[0].total, 2);
	ck_assert_uint_eq(r->pol[0].details[0].count, 2);
	ck_assert_int_eq(tlsrpt_agg_flush(b, put_cb, &p), 1);
	tlsrpt_agg_drop_day(b, 20454);
	ck_assert_ptr_null(tlsrpt_agg_get(b, 20454, "example.com"));
	free(p.buf);
	tlsrpt_agg_free(a);
	tlsrpt_agg_free(b);
}
END_TEST

/* A put that loads into another working set (a restart). */
static int
put_load(const char *key, const void *buf, size_t len, void *arg)
{
	char err[128];

	return tlsrpt_agg_load(arg, key, buf, len, err, sizeof(err));
}

/* The day's budget of distinct details spans domains; loads count. */
START_TEST(test_agg_day_details)
{
	struct tlsrpt_agg_limits lim = { 0, 0, 0, 3 };
	struct tlsrpt_agg *a = tlsrpt_agg_new(&lim), *b;
	struct tlsrpt_dgram *dg;
	const char *pr = "v=TLSRPTv1;rua=mailto:r@example.com";

	tlsrpt_agg_add(a, fail_dgram(201, NULL, pr), 0);
	tlsrpt_agg_add(a, fail_dgram(202, NULL, pr), 0);
	dg = fail_dgram(201, NULL, pr);
	dg->d = "two.example";
	ck_assert_int_eq(tlsrpt_agg_add(a, dg, 0), TLSRPT_AGG_OK);
	dg = fail_dgram(203, NULL, pr);
	dg->d = "two.example";
	ck_assert_int_eq(tlsrpt_agg_add(a, dg, 0), TLSRPT_AGG_CAPPED);
	ck_assert_uint_eq(tlsrpt_agg_get(a, 0, "two.example")->pol[0]
	    .details_dropped, 1);
	/* Known details still count; the next day has room. */
	ck_assert_int_eq(tlsrpt_agg_add(a, fail_dgram(201, NULL, pr), 0),
	    TLSRPT_AGG_OK);
	ck_assert_int_eq(tlsrpt_agg_add(a, dg, 86400), TLSRPT_AGG_OK);
	/* A restarted collector counts what it loaded. */
	b = tlsrpt_agg_new(&lim);
	ck_assert_int_eq(tlsrpt_agg_flush(a, put_load, b), 3);
	dg = fail_dgram(204, NULL, pr);
	ck_assert_int_eq(tlsrpt_agg_add(b, dg, 0), TLSRPT_AGG_CAPPED);
	ck_assert_int_eq(tlsrpt_agg_add(b, fail_dgram(202, NULL, pr), 0),
	    TLSRPT_AGG_OK);
	tlsrpt_agg_free(a);
	tlsrpt_agg_free(b);
}
END_TEST

/* Report JSON */

static const struct tlsrpt_report_meta META = {
	"Example Sender Org", "postmaster@sender.example"
};

static const char *const RESULT_TYPES[] = {
	"starttls-not-supported", "certificate-host-mismatch",
	"certificate-expired", "certificate-not-trusted", "validation-failure",
	"tlsa-invalid", "dnssec-invalid", "dane-required",
	"sts-policy-fetch-error", "sts-policy-invalid", "sts-webpki-invalid",
};

static int
is_result_type(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(RESULT_TYPES) / sizeof(RESULT_TYPES[0]); i++)
		if (strcmp(s, RESULT_TYPES[i]) == 0)
			return 1;
	return 0;
}

static void
check_strings(const json_t *arr)
{
	size_t i;
	json_t *v;

	ck_assert(json_is_array(arr));
	json_array_foreach(arr, i, v)
		ck_assert(json_is_string(v));
}

/* RFC 8460 4.4's rules on one failure-details entry. */
static void
check_detail(const json_t *d)
{
	const char *opt[] = { "sending-mta-ip", "receiving-mx-hostname",
	    "receiving-mx-helo", "receiving-ip", "additional-information",
	    "failure-reason-code" };
	size_t i;

	ck_assert(json_is_string(json_object_get(d, "result-type")));
	ck_assert(is_result_type(json_string_value(json_object_get(d,
	    "result-type"))));
	ck_assert(json_is_integer(json_object_get(d, "failed-session-count")));
	ck_assert_int_ge(json_integer_value(json_object_get(d,
	    "failed-session-count")), 1);
	for (i = 0; i < sizeof(opt) / sizeof(opt[0]); i++)
		if (json_object_get(d, opt[i]) != NULL)
			ck_assert(json_is_string(json_object_get(d, opt[i])));
}

/* RFC 8460 4.4's rules on one policies entry. */
static void
check_policy(const json_t *pe)
{
	const json_t *pol = json_object_get(pe, "policy");
	const json_t *sum = json_object_get(pe, "summary"), *fd, *v;
	const char *type;
	size_t i;

	ck_assert(json_is_object(pol));
	type = json_string_value(json_object_get(pol, "policy-type"));
	ck_assert_ptr_nonnull(type);
	ck_assert(strcmp(type, "sts") == 0 || strcmp(type, "tlsa") == 0
	    || strcmp(type, "no-policy-found") == 0);
	check_strings(json_object_get(pol, "policy-string"));
	check_strings(json_object_get(pol, "mx-host"));
	ck_assert(json_is_string(json_object_get(pol, "policy-domain")));
	ck_assert(json_is_integer(json_object_get(sum,
	    "total-successful-session-count")));
	ck_assert(json_is_integer(json_object_get(sum,
	    "total-failure-session-count")));
	fd = json_object_get(pe, "failure-details");
	ck_assert(json_is_array(fd));
	json_array_foreach(fd, i, v)
		check_detail(v);
}

static void
check_report(const json_t *rep)
{
	const json_t *dr = json_object_get(rep, "date-range"), *pols, *v;
	size_t i;

	ck_assert(json_is_string(json_object_get(rep, "organization-name")));
	ck_assert(json_is_string(json_object_get(rep, "contact-info")));
	ck_assert(json_is_string(json_object_get(rep, "report-id")));
	ck_assert(json_is_string(json_object_get(dr, "start-datetime")));
	ck_assert(json_is_string(json_object_get(dr, "end-datetime")));
	pols = json_object_get(rep, "policies");
	ck_assert(json_is_array(pols));
	ck_assert_uint_ge(json_array_size(pols), 1);
	json_array_foreach(pols, i, v)
		check_policy(v);
}

#define JGET(o, k)	json_object_get((o), (k))

START_TEST(test_report_json)
{
	struct tlsrpt_agg_rec *r = sample_rec();
	json_t *rep, *p0, *p1, *d;

	rep = tlsrpt_report_json(r, NULL, 1, &META);
	ck_assert_ptr_nonnull(rep);
	check_report(rep);
	ck_assert_str_eq(json_string_value(JGET(rep, "organization-name")),
	    "Example Sender Org");
	ck_assert_str_eq(json_string_value(JGET(rep, "contact-info")),
	    "postmaster@sender.example");
	ck_assert_str_eq(json_string_value(JGET(rep, "report-id")),
	    "2026-01-01T00:00:00Z_idx1_example.com");
	ck_assert_str_eq(json_string_value(JGET(JGET(rep, "date-range"),
	    "start-datetime")), "2026-01-01T00:00:00Z");
	ck_assert_str_eq(json_string_value(JGET(JGET(rep, "date-range"),
	    "end-datetime")), "2026-01-01T23:59:59Z");
	ck_assert_uint_eq(json_array_size(JGET(rep, "policies")), 2);
	p0 = json_array_get(JGET(rep, "policies"), 0);
	ck_assert_str_eq(json_string_value(JGET(JGET(p0, "policy"),
	    "policy-type")), "sts");
	ck_assert_uint_eq(json_array_size(JGET(JGET(p0, "policy"),
	    "policy-string")), 4);
	ck_assert_str_eq(json_string_value(json_array_get(JGET(JGET(p0,
	    "policy"), "mx-host"), 0)), "mx.example.com");
	ck_assert_int_eq(json_integer_value(JGET(JGET(p0, "summary"),
	    "total-successful-session-count")), 1);
	ck_assert_int_eq(json_integer_value(JGET(JGET(p0, "summary"),
	    "total-failure-session-count")), 2);
	d = json_array_get(JGET(p0, "failure-details"), 0);
	ck_assert_str_eq(json_string_value(JGET(d, "result-type")),
	    "validation-failure");
	ck_assert_str_eq(json_string_value(JGET(d, "sending-mta-ip")),
	    "192.0.2.25");
	ck_assert_str_eq(json_string_value(JGET(d, "receiving-mx-hostname")),
	    "mx.example.com");
	ck_assert_str_eq(json_string_value(JGET(d, "receiving-mx-helo")),
	    "250-mx.example.com\r\n250 STARTTLS");
	ck_assert_str_eq(json_string_value(JGET(d, "receiving-ip")),
	    "203.0.113.10");
	ck_assert_int_eq(json_integer_value(JGET(d, "failed-session-count")),
	    2);
	ck_assert_str_eq(json_string_value(JGET(d, "failure-reason-code")),
	    "self-signed_certificate");
	ck_assert_ptr_null(JGET(d, "additional-information"));
	/* no-policy-found: arrays still arrays; unknown code mapped. */
	p1 = json_array_get(JGET(rep, "policies"), 1);
	ck_assert_str_eq(json_string_value(JGET(JGET(p1, "policy"),
	    "policy-type")), "no-policy-found");
	ck_assert_uint_eq(json_array_size(JGET(JGET(p1, "policy"), "mx-host")),
	    0);
	d = json_array_get(JGET(p1, "failure-details"), 0);
	ck_assert_str_eq(json_string_value(JGET(d, "result-type")),
	    "starttls-not-supported");
	ck_assert_str_eq(json_string_value(JGET(d, "additional-information")),
	    "https://x.example/i");
	d = json_array_get(JGET(p1, "failure-details"), 1);
	ck_assert_str_eq(json_string_value(JGET(d, "result-type")),
	    "validation-failure");
	ck_assert_str_eq(json_string_value(JGET(d, "failure-reason-code")),
	    "tlsrpt-result-code-999");
	json_decref(rep);
	tlsrpt_agg_rec_free(r);
}
END_TEST

/* One report per record: pr selects; unknown pr or no meta gives none. */
START_TEST(test_report_by_record)
{
	struct tlsrpt_agg_rec *r = sample_rec();
	struct tlsrpt_report_meta nometa = { NULL, NULL };
	json_t *rep;
	char *text;
	size_t len;

	rep = tlsrpt_report_json(r, "v=TLSRPTv1;rua=mailto:r@example.com", 2,
	    &META);
	ck_assert_uint_eq(json_array_size(JGET(rep, "policies")), 1);
	ck_assert_str_eq(json_string_value(JGET(rep, "report-id")),
	    "2026-01-01T00:00:00Z_idx2_example.com");
	json_decref(rep);
	ck_assert_ptr_null(tlsrpt_report_json(r, "v=TLSRPTv1;rua=x", 1, &META));
	ck_assert_ptr_null(tlsrpt_report_json(r, NULL, 1, &nometa));
	text = tlsrpt_report_text(r, NULL, 1, &META, &len);
	ck_assert_ptr_nonnull(strstr(text, "\"policies\":[{"));
	ck_assert_ptr_nonnull(strstr(text, "\"total-failure-session-count\":2"));
	ck_assert_uint_eq(len, strlen(text));
	free(text);
	tlsrpt_agg_rec_free(r);
}
END_TEST

START_TEST(test_gzip_round_trip)
{
	struct tlsrpt_agg_rec *r = sample_rec();
	unsigned char *gz, *back;
	size_t len, gzlen, blen;
	char *text = tlsrpt_report_text(r, NULL, 1, &META, &len);
	json_t *j;

	gz = tlsrpt_gzip(text, len, &gzlen);
	ck_assert_ptr_nonnull(gz);
	ck_assert(gz[0] == 0x1f && gz[1] == 0x8b);
	back = tlsrpt_gunzip(gz, gzlen, TLSRPT_REPORT_MAX, &blen);
	ck_assert_ptr_nonnull(back);
	ck_assert_uint_eq(blen, len);
	ck_assert(memcmp(back, text, len) == 0);
	j = json_loadb((const char *)back, blen, 0, NULL);
	check_report(j);
	json_decref(j);
	free(back);
	/* Too large, truncated, trailing bytes, corrupt: refused. */
	ck_assert_ptr_null(tlsrpt_gunzip(gz, gzlen, len - 1, &blen));
	ck_assert_ptr_null(tlsrpt_gunzip(gz, gzlen - 1, TLSRPT_REPORT_MAX,
	    &blen));
	gz = realloc(gz, gzlen + 1);
	gz[gzlen] = 'x';
	ck_assert_ptr_null(tlsrpt_gunzip(gz, gzlen + 1, TLSRPT_REPORT_MAX,
	    &blen));
	gz[gzlen / 2] ^= 0xff;
	ck_assert_ptr_null(tlsrpt_gunzip(gz, gzlen, TLSRPT_REPORT_MAX, &blen));
	free(gz);
	free(text);
	tlsrpt_agg_rec_free(r);
}
END_TEST

/* Output far larger than the input: grown to fit, and capped. */
START_TEST(test_gunzip_growth)
{
	size_t n = 1 << 20, gzlen, blen;
	char *big = malloc(n);
	unsigned char *gz, *back;

	memset(big, 'a', n);
	gz = tlsrpt_gzip(big, n, &gzlen);
	ck_assert_uint_lt(gzlen, n / 100);
	back = tlsrpt_gunzip(gz, gzlen, n, &blen);
	ck_assert_ptr_nonnull(back);
	ck_assert_uint_eq(blen, n);
	ck_assert(memcmp(back, big, n) == 0);
	free(back);
	ck_assert_ptr_null(tlsrpt_gunzip(gz, gzlen, 100000, &blen));
	ck_assert_ptr_null(tlsrpt_gunzip(gz, gzlen, TLSRPT_REPORT_MAX + 1,
	    &blen));
	free(gz);
	free(big);
}
END_TEST

/* File name (RFC 8460 5.1) and Subject (5.3). */
START_TEST(test_report_names)
{
	char *s;

	s = tlsrpt_report_filename("mail.sender.example", "example.net",
	    20454, 1);
	ck_assert_str_eq(s, "mail.sender.example!example.net!1767225600!"
	    "1767311999!1.json.gz");
	free(s);
	s = tlsrpt_report_subject("example.net", "mail.sender.example",
	    "2026-01-01T00:00:00Z_idx1_example.net");
	ck_assert_str_eq(s, "Report Domain: example.net Submitter: "
	    "mail.sender.example Report-ID: "
	    "<2026-01-01T000000Z_idx1_example.net@mail.sender.example>");
	free(s);
}
END_TEST

/* Find header name in the header block; its unfolded value. */
static char *
header(const char *msg, const char *name)
{
	size_t nl = strlen(name);
	const char *p = msg, *end = strstr(msg, "\n\n"), *e;
	char *v, *o;

	while (p < end) {
		if (strncmp(p, name, nl) == 0 && p[nl] == ':') {
			p += nl + 1;
			while (*p == ' ')
				p++;
			for (e = p; e < end && !(e[0] == '\n' && e[1] != ' '
			    && e[1] != '\t'); e++)
				;
			v = o = strndup(p, (size_t)(e - p));
			for (p = v; *p; p++)
				if (*p == '\n')
					while (p[1] == '\t')
						p++;
				else
					*o++ = *p;
			*o = '\0';
			return v;
		}
		p = strchr(p, '\n') + 1;
	}
	return NULL;
}

static void
assert_header(const char *msg, const char *name, const char *want)
{
	char *v = header(msg, name);

	ck_assert_msg(v != NULL, "no %s header", name);
	ck_assert_str_eq(v, want);
	free(v);
}

#define B64	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

static unsigned char *
b64_decode(const char *s, size_t *outlen)
{
	unsigned char *out = malloc(strlen(s));
	uint32_t v = 0;
	int bits = 0;
	size_t n = 0;
	const char *p;

	for (p = s; *p && *p != '='; p++) {
		if (*p == '\n')
			continue;
		v = (v << 6) | (uint32_t)(strchr(B64, *p) - B64);
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(v >> bits);
		}
	}
	*outlen = n;
	return out;
}

static struct tlsrpt_mail
sample_mail(void)
{
	struct tlsrpt_mail m = {
		"tlsrpt-noreply@mail.sender.example", "tlsrpt@example.net",
		"example.net", "mail.sender.example",
		"2026-01-01T00:00:00Z_idx1_example.net",
		"mail.sender.example!example.net!1767225600!1767311999!1.json.gz",
		"Example Sender Org", DAY_2026_01_01 + 86400 + 3600
	};

	return m;
}

START_TEST(test_mail)
{
	struct tlsrpt_agg_rec *r = sample_rec();
	struct tlsrpt_mail m = sample_mail();
	size_t len, gzlen, mlen, rawlen, blen, linelen;
	char *text = tlsrpt_report_text(r, NULL, 1, &META, &len);
	unsigned char *gz = tlsrpt_gzip(text, len, &gzlen), *raw, *back;
	char *msg, *ct, *subj, *b, err[128], delim[128], *body, *line, *end;

	msg = tlsrpt_report_mail(&m, gz, gzlen, &mlen, err, sizeof(err));
	ck_assert_msg(msg != NULL, "%s", err);
	ck_assert_uint_eq(mlen, strlen(msg));
	assert_header(msg, "From", "tlsrpt-noreply@mail.sender.example");
	assert_header(msg, "To", "tlsrpt@example.net");
	assert_header(msg, "Date", "Fri, 02 Jan 2026 01:00:00 +0000");
	assert_header(msg, "MIME-Version", "1.0");
	assert_header(msg, "TLS-Report-Domain", "example.net");
	assert_header(msg, "TLS-Report-Submitter", "mail.sender.example");
	assert_header(msg, "TLS-Required", "No");
	subj = tlsrpt_report_subject(m.domain, m.submitter, m.report_id);
	b = header(msg, "Subject");
	ck_assert_str_eq(b, subj);
	free(b);
	free(subj);
	/* Folded: no header line longer than 78 here. */
	for (line = msg, end = strstr(msg, "\n\n"); line < end;
	    line = strchr(line, '\n') + 1)
		ck_assert_uint_le((size_t)(strchr(line, '\n') - line), 78);
	ct = header(msg, "Content-Type");
	ck_assert(strncmp(ct, "multipart/report; report-type=\"tlsrpt\";", 39)
	    == 0);
	b = strstr(ct, "boundary=\"");
	ck_assert_ptr_nonnull(b);
	b += 10;
	*strchr(b, '"') = '\0';
	ck_assert(strncmp(b, "=_", 2) == 0);
	/* Two parts and the closing delimiter, in order. */
	snprintf(delim, sizeof(delim), "\n--%s\nContent-Type: text/plain;", b);
	ck_assert_ptr_nonnull(strstr(msg, delim));
	snprintf(delim, sizeof(delim), "\n--%s\nContent-Type: "
	    "application/tlsrpt+gzip\n", b);
	body = strstr(msg, delim);
	ck_assert_ptr_nonnull(body);
	ck_assert_ptr_nonnull(strstr(body, "Content-Transfer-Encoding: base64\n"
	    "Content-Disposition: attachment;\n\tfilename=\"mail.sender.example!"
	    "example.net!1767225600!1767311999!1.json.gz\"\n\n"));
	snprintf(delim, sizeof(delim), "\n--%s--\n", b);
	end = strstr(msg, delim);
	ck_assert_ptr_nonnull(end);
	ck_assert_uint_eq((size_t)(end - msg) + strlen(delim), mlen);
	ck_assert_ptr_nonnull(strstr(msg, "This is an aggregate TLS report "
	    "from Example Sender Org"));
	/* Base64 lines: 76 each, the last one shorter; decodes to gz. */
	body = strstr(body, "\n\n") + 2;
	*end = '\0';
	for (line = body; *line; line += linelen + 1) {
		linelen = (size_t)(strchr(line, '\n') - line);
		ck_assert_uint_le(linelen, 76);		/* RFC 2045 6.8 */
		if (line[linelen + 1] != '\0' && line[linelen + 1] != '\n')
			ck_assert_uint_eq(linelen, 76);
		ck_assert_uint_eq(strspn(line, B64 "="), linelen);
	}
	raw = b64_decode(body, &rawlen);
	ck_assert_uint_eq(rawlen, gzlen);
	ck_assert(memcmp(raw, gz, gzlen) == 0);
	back = tlsrpt_gunzip(raw, rawlen, TLSRPT_REPORT_MAX, &blen);
	ck_assert_uint_eq(blen, len);
	free(back);
	free(raw);
	free(ct);
	free(msg);
	free(gz);
	free(text);
	tlsrpt_agg_rec_free(r);
}
END_TEST

/* Nothing published in DNS or configured wrongly adds a header. */
START_TEST(test_mail_refuses)
{
	struct tlsrpt_mail m;
	char err[128], *msg;
	const char *to_bad[] = { "a@example.net\nBcc: x@y.example",
	    "a b@example.net", "<a@example.net>", "a@exa mple.net",
	    "a,b@example.net", "example.net", NULL };
	size_t i;

	for (i = 0; i <= sizeof(to_bad) / sizeof(to_bad[0]) - 1; i++) {
		m = sample_mail();
		m.to = to_bad[i];
		ck_assert_ptr_null(tlsrpt_report_mail(&m, "x", 1, NULL, err,
		    sizeof(err)));
		ck_assert_ptr_nonnull(strstr(err, "recipient address"));
	}
	m = sample_mail();
	m.filename = "a\"b.json.gz";
	ck_assert_ptr_null(tlsrpt_report_mail(&m, "x", 1, NULL, err,
	    sizeof(err)));
	m = sample_mail();
	m.report_id = "a\nb";
	ck_assert_ptr_null(tlsrpt_report_mail(&m, "x", 1, NULL, err,
	    sizeof(err)));
	m = sample_mail();
	m.domain = "example.net\nX: y";
	ck_assert_ptr_null(tlsrpt_report_mail(&m, "x", 1, NULL, err,
	    sizeof(err)));
	/* A control byte in the organization stays out of the headers. */
	m = sample_mail();
	m.organization = "Org\nBcc: x@y.example";
	msg = tlsrpt_report_mail(&m, "x", 1, NULL, err, sizeof(err));
	ck_assert_ptr_null(strstr(msg, "\nBcc:"));
	free(msg);
}
END_TEST

/* A long Subject is folded at its two natural places. */
START_TEST(test_mail_subject_fold)
{
	struct tlsrpt_mail m = sample_mail();
	char *msg, *v, *want;

	m.domain = "a-rather-long-policy-domain-name.mail.example.net";
	m.submitter = "a-rather-long-submitter-name.sender.example";
	msg = tlsrpt_report_mail(&m, "x", 1, NULL, NULL, 0);
	ck_assert_ptr_nonnull(strstr(msg, "\nSubject: Report Domain: "
	    "a-rather-long-policy-domain-name.mail.example.net\n Submitter: "));
	ck_assert_ptr_nonnull(strstr(msg, "sender.example\n Report-ID: <"));
	v = header(msg, "Subject");
	want = tlsrpt_report_subject(m.domain, m.submitter, m.report_id);
	ck_assert_str_eq(v, want);
	free(want);
	free(v);
	free(msg);
}
END_TEST

static Suite *
tlsrpt_suite(void)
{
	Suite *s = suite_create("tlsrpt");
	TCase *dg = tcase_create("dgram"), *txt = tcase_create("txt");
	TCase *agg = tcase_create("agg"), *rep = tcase_create("report");

	tcase_add_test(dg, test_dgram_example_success);
	tcase_add_test(dg, test_dgram_example_failure);
	tcase_add_test(dg, test_dgram_captured_postfix310);
	tcase_add_test(dg, test_dgram_round_trip);
	tcase_add_test(dg, test_dgram_escapes);
	tcase_add_loop_test(dg, test_dgram_tolerance, 0,
	    sizeof(tolerance_cases) / sizeof(tolerance_cases[0]));
	tcase_add_test(dg, test_dgram_defaults);
	tcase_add_test(dg, test_dgram_sanitised_text);
	tcase_add_test(dg, test_dgram_bounds);
	tcase_add_test(dg, test_dgram_prefixes);
	tcase_add_test(dg, test_utf8);
	suite_add_tcase(s, dg);
	tcase_add_loop_test(txt, test_txt_one, 0,
	    sizeof(txt_cases) / sizeof(txt_cases[0]));
	tcase_add_test(txt, test_txt_rrset);
	tcase_add_test(txt, test_txt_bounds);
	suite_add_tcase(s, txt);
	tcase_add_test(agg, test_days);
	tcase_add_test(agg, test_keys);
	tcase_add_test(agg, test_agg_day_boundary);
	tcase_add_test(agg, test_agg_merge_identical);
	tcase_add_test(agg, test_agg_no_merge_different);
	tcase_add_test(agg, test_agg_caps);
	tcase_add_test(agg, test_agg_day_details);
	tcase_add_test(agg, test_agg_encode_round_trip);
	tcase_add_test(agg, test_agg_decode_corrupt);
	tcase_add_test(agg, test_agg_flush_load);
	suite_add_tcase(s, agg);
	tcase_add_test(rep, test_report_json);
	tcase_add_test(rep, test_report_by_record);
	tcase_add_test(rep, test_gzip_round_trip);
	tcase_add_test(rep, test_gunzip_growth);
	tcase_add_test(rep, test_report_names);
	tcase_add_test(rep, test_mail);
	tcase_add_test(rep, test_mail_refuses);
	tcase_add_test(rep, test_mail_subject_fold);
	suite_add_tcase(s, rep);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(tlsrpt_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
