/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/sockmap.c: request split and byte-exact replies. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sockmap.h"

START_TEST(test_parse_ok)
{
	struct sockmap_req r;
	const char *err = NULL;
	const char *p = "tlspolicy [mail.example.net]:587";

	ck_assert_int_eq(sockmap_parse_request(p, strlen(p), &r, &err), 0);
	ck_assert_uint_eq(r.name_len, 9);
	ck_assert(memcmp(r.name, "tlspolicy", 9) == 0);
	ck_assert_uint_eq(r.key_len, strlen("[mail.example.net]:587"));
	/* The key may hold spaces: split at the first one only. */
	p = "m a b";
	ck_assert_int_eq(sockmap_parse_request(p, 5, &r, &err), 0);
	ck_assert_uint_eq(r.key_len, 3);
}
END_TEST

/* An empty key is parsed (and then not found), not a malformed request. */
START_TEST(test_parse_empty_key)
{
	struct sockmap_req r;
	const char *err = NULL;

	ck_assert_int_eq(sockmap_parse_request("tlspolicy ", 10, &r, &err), 0);
	ck_assert_uint_eq(r.name_len, 9);
	ck_assert_uint_eq(r.key_len, 0);
}
END_TEST

static const char *const bad_requests[] = {
	"tlspolicy", " example.com", "", "tlspolicy a\nb",
	"tlspolicy a\rb",
};

START_TEST(test_parse_bad)
{
	struct sockmap_req r;
	const char *err = NULL;
	const char *p = bad_requests[_i];

	ck_assert_int_eq(sockmap_parse_request(p, strlen(p), &r, &err), -1);
	ck_assert_ptr_nonnull(err);
}
END_TEST

START_TEST(test_parse_nul)
{
	struct sockmap_req r;
	const char *err = NULL;

	ck_assert_int_eq(sockmap_parse_request("tlspolicy a\0b", 13, &r, &err), -1);
}
END_TEST

static const struct {
	enum sockmap_status st;
	const char *text;
	const char *want;
} replies[] = {
	{ SM_OK, "dane-only", "12:OK dane-only," },
	{ SM_NOTFOUND, NULL, "9:NOTFOUND ," },
	{ SM_NOTFOUND, "ignored", "9:NOTFOUND ," },
	{ SM_TEMP, "DNSSEC lookup failed for example.org",
	  "41:TEMP DNSSEC lookup failed for example.org," },
	{ SM_PERM, "unsupported map name", "25:PERM unsupported map name," },
	{ SM_TIMEOUT, "x", "9:TIMEOUT x," },
	/* A bare OK means not found to Postfix 3.7: never send one. */
	{ SM_OK, "", "23:TEMP empty policy value," },
	{ SM_OK, NULL, "23:TEMP empty policy value," },
	{ SM_TEMP, "bad\r\nbytes\x01", "16:TEMP bad??bytes?," },
	{ SM_OK, "secure match=mail.example.com:.example.net servername=hostname",
	  "65:OK secure match=mail.example.com:.example.net servername=hostname," },
};

START_TEST(test_replies)
{
	char out[256];
	size_t n = sockmap_format_reply(out, sizeof(out), replies[_i].st,
	    replies[_i].text);

	ck_assert_uint_eq(n, strlen(replies[_i].want));
	ck_assert(memcmp(out, replies[_i].want, n) == 0);
}
END_TEST

START_TEST(test_reply_limits)
{
	static char big[SOCKMAP_MAX_REPLY + 10], out[SOCKMAP_MAX_REPLY + 100];
	size_t n;

	/* Error reasons are cut to what Postfix logs. */
	memset(big, 'a', 1000);
	big[1000] = '\0';
	n = sockmap_format_reply(out, sizeof(out), SM_TEMP, big);
	ck_assert_uint_eq(n, strlen("205:TEMP ") + SOCKMAP_REASON_MAX + 1);
	/* A policy value is never truncated: too long is refused. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_uint_eq(sockmap_format_reply(out, sizeof(out), SM_OK, big), 0);
	/* Too small an output buffer writes nothing. */
	ck_assert_uint_eq(sockmap_format_reply(out, 10, SM_OK, "dane-only"), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sockmap");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_parse_ok);
	tcase_add_test(tc, test_parse_empty_key);
	tcase_add_loop_test(tc, test_parse_bad, 0,
	    sizeof(bad_requests) / sizeof(bad_requests[0]));
	tcase_add_test(tc, test_parse_nul);
	tcase_add_loop_test(tc, test_replies, 0, sizeof(replies) / sizeof(replies[0]));
	tcase_add_test(tc, test_reply_limits);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
