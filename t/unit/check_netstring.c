/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/netstring.c. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "netstring.h"

static const struct {
	const char *in;
	size_t maxlen;
	enum ns_status want;
	const char *payload;	/* for NS_OK */
	size_t used;
} decode_cases[] = {
	{ "18:tlspol example.com,", 100, NS_OK, "tlspol example.com", 22 },
	{ "0:,", 100, NS_OK, "", 3 },
	{ "3:abc,3:def,", 100, NS_OK, "abc", 6 },
	{ "", 100, NS_INCOMPLETE, NULL, 0 },
	{ "1", 100, NS_INCOMPLETE, NULL, 0 },
	{ "18:tlspol", 100, NS_INCOMPLETE, NULL, 0 },
	{ "3:abc", 100, NS_INCOMPLETE, NULL, 0 },
	{ ":abc,", 100, NS_ERR_FORMAT, NULL, 0 },
	{ "03:abc,", 100, NS_ERR_FORMAT, NULL, 0 },
	{ "00:,", 100, NS_ERR_FORMAT, NULL, 0 },
	{ "3x:abc,", 100, NS_ERR_FORMAT, NULL, 0 },
	{ "-3:abc,", 100, NS_ERR_FORMAT, NULL, 0 },
	{ "3:abcd", 100, NS_ERR_FORMAT, NULL, 0 },
	{ "3:abc;", 100, NS_ERR_FORMAT, NULL, 0 },
	{ "101:", 100, NS_ERR_SIZE, NULL, 0 },
	{ "99999999999999999999999", 100, NS_ERR_SIZE, NULL, 0 },
	{ "1000", 100, NS_ERR_SIZE, NULL, 0 },	/* refused before ':' */
};

START_TEST(test_decode_table)
{
	const char *payload = NULL;
	size_t plen = 0, used = 0;
	enum ns_status st = netstring_decode(decode_cases[_i].in,
	    strlen(decode_cases[_i].in), decode_cases[_i].maxlen, &payload,
	    &plen, &used);

	ck_assert_int_eq(st, decode_cases[_i].want);
	if (st == NS_OK) {
		ck_assert_uint_eq(plen, strlen(decode_cases[_i].payload));
		ck_assert(memcmp(payload, decode_cases[_i].payload, plen) == 0);
		ck_assert_uint_eq(used, decode_cases[_i].used);
	}
}
END_TEST

/* Every prefix of a valid netstring is incomplete, never an error. */
START_TEST(test_decode_prefixes)
{
	const char *s = "29:tlspol [mail.example.net]:587,";
	const char *payload;
	size_t plen, used;

	for (size_t n = 0; n < strlen(s); n++)
		ck_assert_int_eq(netstring_decode(s, n, 1000, &payload, &plen,
		    &used), NS_INCOMPLETE);
	ck_assert_int_eq(netstring_decode(s, strlen(s), 1000, &payload, &plen,
	    &used), NS_OK);
	ck_assert_uint_eq(used, strlen(s));
}
END_TEST

START_TEST(test_encode)
{
	char out[64];
	size_t n = netstring_encode(out, sizeof(out), "OK dane-only", 12);

	ck_assert_uint_eq(n, 16);
	ck_assert(memcmp(out, "12:OK dane-only,", 16) == 0);
	ck_assert_uint_eq(netstring_encode(out, 15, "OK dane-only", 12), 0);
	ck_assert_uint_eq(netstring_encode(out, 16, "OK dane-only", 12), 16);
	ck_assert_uint_eq(netstring_encode(out, sizeof(out), "", 0), 3);
	ck_assert(memcmp(out, "0:,", 3) == 0);
}
END_TEST

/* Encoding then decoding gives back the payload, for every length. */
START_TEST(test_roundtrip)
{
	char payload[300], out[400];
	const char *p;
	size_t plen, used;

	for (size_t len = 0; len < sizeof(payload); len++) {
		for (size_t i = 0; i < len; i++)
			payload[i] = (char)(i * 7 + len);
		size_t n = netstring_encode(out, sizeof(out), payload, len);
		ck_assert_uint_gt(n, len);
		ck_assert_int_eq(netstring_decode(out, n, 1000, &p, &plen, &used), NS_OK);
		ck_assert_uint_eq(plen, len);
		ck_assert_uint_eq(used, n);
		ck_assert(memcmp(p, payload, len) == 0);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("netstring");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_decode_table, 0,
	    sizeof(decode_cases) / sizeof(decode_cases[0]));
	tcase_add_test(tc, test_decode_prefixes);
	tcase_add_test(tc, test_encode);
	tcase_add_test(tc, test_roundtrip);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
