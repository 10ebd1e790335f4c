/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/tlspolicy.c: what Postfix 3.7 accepts, normalised. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tlspolicy.h"

static const struct {
	const char *in;
	const char *out;	/* NULL: refused */
} cases[] = {
	{ "none", "none" },
	{ "may", "may" },
	{ "Encrypt", "encrypt" },
	{ "DANE-ONLY", "dane-only" },
	{ "dane", "dane" },
	{ "verify", "verify" },
	{ "secure", "secure" },
	{ "encrypt protocols=>=TLSv1.2", "encrypt protocols=>=TLSv1.2" },
	{ "encrypt, protocols=!SSLv2:!SSLv3:!TLSv1:!TLSv1.1", "encrypt protocols=!SSLv2:!SSLv3:!TLSv1:!TLSv1.1" },
	{ "  encrypt   ciphers=high  ", "encrypt ciphers=high" },
	{ "secure match=.example.com:mail.example.net servername=hostname",
	  "secure match=.example.com:mail.example.net servername=hostname" },
	{ "secure MATCH=nexthop:dot-nexthop", "secure match=nexthop:dot-nexthop" },
	{ "verify match=hostname tafile=/etc/postfix/ta.pem", "verify match=hostname tafile=/etc/postfix/ta.pem" },
	{ "secure match=a.example match=b.example", "secure match=a.example match=b.example" },
	{ "fingerprint match=3D:95:34:51:24:66:33:B9:D2:40:99:C0:C1:17:0B:D1:EC:4A:B2:D3:C5:55:1E:26:2C:E8:63:2F:1B:8A:57:5D",
	  "fingerprint match=3D:95:34:51:24:66:33:B9:D2:40:99:C0:C1:17:0B:D1:EC:4A:B2:D3:C5:55:1E:26:2C:E8:63:2F:1B:8A:57:5D" },
	{ "fingerprint match=00112233445566778899aabbccddeeff|00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	  "fingerprint match=00112233445566778899aabbccddeeff|00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff" },
	{ "encrypt servername=mx.example.com", "encrypt servername=mx.example.com" },
	{ "may connection_reuse=yes exclude=aNULL", "may connection_reuse=yes exclude=aNULL" },
	/* Refused, each for a reason Postfix 3.7 would defer mail for. */
	{ "", NULL },
	{ "   ", NULL },
	{ "optional", NULL },
	{ "halfdane", NULL },
	{ "encrypt protocols=", NULL },
	{ "encrypt protocols=TLSv9", NULL },
	{ "encrypt protocols=>=TLSv1.2 protocols=>=TLSv1.3", NULL },
	{ "encrypt ciphers=", NULL },
	{ "encrypt ciphers=super", NULL },
	{ "encrypt match=example.com", NULL },
	{ "dane match=example.com", NULL },
	{ "may tafile=/x", NULL },
	{ "secure tafile=relative.pem", NULL },
	{ "secure match=", NULL },
	{ "secure match=bad_name.example", NULL },
	{ "fingerprint match=zz", NULL },
	{ "fingerprint match=0011", NULL },
	{ "encrypt servername=", NULL },
	{ "encrypt servername=a servername=b", NULL },
	{ "encrypt connection_reuse=maybe", NULL },
	{ "encrypt foo=bar", NULL },
	{ "encrypt bare", NULL },
	{ "encrypt =x", NULL },
	{ "secure policy_type=sts", NULL },
	{ "secure mx_host_pattern=x.example", NULL },
	{ "may enable_rpk=yes", NULL },
	{ "secure { policy_string = version: STSv1 }", NULL },
	{ "{", NULL },
};

START_TEST(test_values)
{
	char out[1024];
	const char *err = NULL;
	int rc = tlspolicy_check(cases[_i].in, out, sizeof(out), &err);

	if (cases[_i].out == NULL) {
		ck_assert_msg(rc == -1, "accepted \"%s\" as \"%s\"", cases[_i].in, out);
		ck_assert_ptr_nonnull(err);
	} else {
		ck_assert_msg(rc == 0, "refused \"%s\": %s", cases[_i].in, err);
		ck_assert_str_eq(out, cases[_i].out);
		/* A normalised value is accepted unchanged. */
		char again[1024];
		ck_assert_int_eq(tlspolicy_check(out, again, sizeof(again), &err), 0);
		ck_assert_str_eq(again, out);
	}
}
END_TEST

START_TEST(test_levels)
{
	ck_assert_int_eq(tlspolicy_level("dane-only"), TLS_LEV_DANE_ONLY);
	ck_assert_int_eq(tlspolicy_level("secure match=x"), TLS_LEV_SECURE);
	ck_assert_int_eq(tlspolicy_level("bogus"), TLS_LEV_INVALID);
	ck_assert_str_eq(tls_level_name(TLS_LEV_ENCRYPT), "encrypt");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tlspolicy");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_values, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_levels);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
