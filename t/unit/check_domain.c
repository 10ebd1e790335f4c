/* Unit tests for lib/domain.c: socketmap key normalisation. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"

static const struct {
	const char *in;
	int ok;
	enum key_kind kind;
	const char *name;	/* normalised key */
	const char *host;
	const char *port;
} cases[] = {
	{ "example.com", 1, KEY_DOMAIN, "example.com", "example.com", "" },
	{ "Example.COM", 1, KEY_DOMAIN, "example.com", "example.com", "" },
	{ "EXAMPLE.com.", 1, KEY_DOMAIN, "example.com", "example.com", "" },
	{ "localhost", 1, KEY_DOMAIN, "localhost", "localhost", "" },
	{ ".example.com", 1, KEY_PARENT, ".example.com", "example.com", "" },
	{ ".Example.Com.", 1, KEY_PARENT, ".example.com", "example.com", "" },
	{ "[mail.example.net]", 1, KEY_NEXTHOP, "[mail.example.net]", "mail.example.net", "" },
	{ "[Mail.Example.NET]:587", 1, KEY_NEXTHOP, "[mail.example.net]:587", "mail.example.net", "587" },
	{ "[mail.example.net]:submission", 1, KEY_NEXTHOP, "[mail.example.net]:submission", "mail.example.net", "submission" },
	{ "example.com:2525", 1, KEY_NEXTHOP, "example.com:2525", "example.com", "2525" },
	{ "[192.0.2.1]", 1, KEY_NEXTHOP, "[192.0.2.1]", "192.0.2.1", "" },
	{ "[192.0.2.1]:25", 1, KEY_NEXTHOP, "[192.0.2.1]:25", "192.0.2.1", "25" },
	{ "[ipv6:2001:db8::1]:25", 1, KEY_NEXTHOP, "[ipv6:2001:db8::1]:25", "ipv6:2001:db8::1", "25" },
	/* IDN: U-labels become A-labels, the reply stays ASCII. */
	{ "bücher.example", 1, KEY_DOMAIN, "xn--bcher-kva.example", "xn--bcher-kva.example", "" },
	{ "BÜCHER.example", 1, KEY_DOMAIN, "xn--bcher-kva.example", "xn--bcher-kva.example", "" },
	{ "xn--bcher-kva.example", 1, KEY_DOMAIN, "xn--bcher-kva.example", "xn--bcher-kva.example", "" },
	/* Refused. */
	{ "", 0, 0, NULL, NULL, NULL },
	{ ".", 0, 0, NULL, NULL, NULL },
	{ "..example.com", 0, 0, NULL, NULL, NULL },
	{ "example..com", 0, 0, NULL, NULL, NULL },
	{ "-bad.example", 0, 0, NULL, NULL, NULL },
	{ "bad-.example", 0, 0, NULL, NULL, NULL },
	{ "under_score.example", 0, 0, NULL, NULL, NULL },
	{ "exa mple.com", 0, 0, NULL, NULL, NULL },
	{ "example.com\r", 0, 0, NULL, NULL, NULL },
	{ "[mail.example.net", 0, 0, NULL, NULL, NULL },
	{ "[]", 0, 0, NULL, NULL, NULL },
	{ "[mail.example.net]x", 0, 0, NULL, NULL, NULL },
	{ "[mail.example.net]:0", 0, 0, NULL, NULL, NULL },
	{ "[mail.example.net]:65536", 0, 0, NULL, NULL, NULL },
	{ "[mail.example.net]:025", 0, 0, NULL, NULL, NULL },
	{ "example.com:", 0, 0, NULL, NULL, NULL },
	{ "[ipv6:zzzz]", 0, 0, NULL, NULL, NULL },
	{ "2001:db8::1", 0, 0, NULL, NULL, NULL },
	{ "\xff\xfe.example", 0, 0, NULL, NULL, NULL },
	{ "a.b\x01.c", 0, 0, NULL, NULL, NULL },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example", 0, 0, NULL, NULL, NULL },
};

START_TEST(test_keys)
{
	struct key k;
	const char *err = NULL;
	int rc = key_normalise(cases[_i].in, strlen(cases[_i].in), &k, &err);

	if (!cases[_i].ok) {
		ck_assert_msg(rc == -1, "accepted bad key \"%s\"", cases[_i].in);
		ck_assert_ptr_nonnull(err);
		return;
	}
	ck_assert_msg(rc == 0, "refused \"%s\": %s", cases[_i].in, err);
	ck_assert_int_eq(k.kind, cases[_i].kind);
	ck_assert_str_eq(k.name, cases[_i].name);
	ck_assert_str_eq(k.host, cases[_i].host);
	ck_assert_str_eq(k.port, cases[_i].port);
}
END_TEST

START_TEST(test_long_keys)
{
	char buf[KEY_MAX_INPUT + 10];
	struct key k;
	const char *err;

	/* 253 bytes is the longest valid name; 254 is refused. */
	memset(buf, 'a', sizeof(buf));
	for (int i = 63; i < 253; i += 64)
		buf[i] = '.';
	ck_assert_int_eq(key_normalise(buf, 253, &k, &err), 0);
	ck_assert_uint_eq(strlen(k.name), 253);
	buf[253] = 'a';
	ck_assert_int_eq(key_normalise(buf, 255, &k, &err), -1);
	ck_assert_int_eq(key_normalise(buf, KEY_MAX_INPUT + 1, &k, &err), -1);
	ck_assert_str_eq(err, "key too long");
}
END_TEST

START_TEST(test_parent)
{
	ck_assert_str_eq(domain_parent("a.b.example"), "b.example");
	ck_assert_str_eq(domain_parent("b.example"), "example");
	ck_assert_ptr_null(domain_parent("example"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("domain");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_keys, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_long_keys);
	tcase_add_test(tc, test_parent);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
