/* Unit tests for lib/overrides.c. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "overrides.h"

static const char *table =
    "# forced TLS\n"
    "example.com        encrypt protocols=>=TLSv1.2\n"
    ".example.com       secure match=.example.com\n"
    "Bücher.Example     verify\n"
    "[relay.example.net]:587  encrypt\n"
    "partner.example    secure\n"
    "    match=mx.partner.example\n"
    "deep.sub.example.org dane-only\n"
    ".org               may\n";

static struct overrides *
load(const char *text, char *err, size_t errlen)
{
	return overrides_parse(text, strlen(text), "ovr", err, errlen);
}

static const struct {
	const char *key;
	const char *want;	/* NULL: no entry applies */
	int lineno;
} finds[] = {
	{ "example.com", "encrypt protocols=>=TLSv1.2", 2 },
	{ "EXAMPLE.COM.", "encrypt protocols=>=TLSv1.2", 2 },
	{ "mail.example.com", "secure match=.example.com", 3 },
	{ "a.b.example.com", "secure match=.example.com", 3 },
	{ ".example.com", "secure match=.example.com", 3 },
	{ "bücher.example", "verify", 4 },
	{ "xn--bcher-kva.example", "verify", 4 },
	{ "[relay.example.net]:587", "encrypt", 5 },
	{ "[relay.example.net]", NULL, 0 },
	{ "relay.example.net", NULL, 0 },
	{ "partner.example", "secure match=mx.partner.example", 6 },
	{ "sub.partner.example", NULL, 0 },
	{ "deep.sub.example.org", "dane-only", 8 },
	{ "other.example.org", "may", 9 },		/* nearest parent */
	{ "example.org", "may", 9 },
	/* A parent probe sees only its own entry: Postfix probes further. */
	{ ".sub.example.org", NULL, 0 },
	{ ".org", "may", 9 },
	{ "example.net", NULL, 0 },
};

START_TEST(test_find)
{
	char err[256] = "";
	struct overrides *o = load(table, err, sizeof(err));
	const struct override *ov;
	const char *why;
	struct key k;

	ck_assert_msg(o != NULL, "%s", err);
	ck_assert_uint_eq(overrides_count(o), 7);
	ck_assert_int_eq(key_normalise(finds[_i].key, strlen(finds[_i].key), &k, &why), 0);
	ov = overrides_find(o, &k);
	if (finds[_i].want == NULL) {
		ck_assert_msg(ov == NULL, "%s matched %s", finds[_i].key, ov ? ov->key : "");
	} else {
		ck_assert_msg(ov != NULL, "%s: no match", finds[_i].key);
		ck_assert_str_eq(ov->value, finds[_i].want);
		ck_assert_int_eq(ov->lineno, finds[_i].lineno);
	}
	overrides_free(o);
}
END_TEST

static const struct {
	const char *text;
	const char *err;
} bad[] = {
	{ "example.com\n", "ovr:1: missing policy value after key" },
	{ "a.example encrypt\nexample..com encrypt\n", "ovr:2: bad key \"example..com\": invalid domain name" },
	{ "example.com optional\n", "ovr:1: bad policy for example.com: unknown security level" },
	{ "example.com encrypt protocols=\n", "ovr:1: bad policy for example.com: invalid protocols list (example: protocols=>=TLSv1.2)" },
	{ "example.com encrypt\n\nEXAMPLE.com. may\n", "ovr:3: duplicate entry for example.com (first at line 1)" },
	{ "example.com secure policy_type=sts\n", "ovr:1: bad policy for example.com: attribute needs a newer Postfix than 3.7" },
	{ "[x.example encrypt\n", "ovr:1: bad key \"[x.example\": unbalanced or empty brackets" },
};

START_TEST(test_bad)
{
	char err[256] = "";

	ck_assert_ptr_null(load(bad[_i].text, err, sizeof(err)));
	ck_assert_str_eq(err, bad[_i].err);
}
END_TEST

START_TEST(test_nul)
{
	char err[256] = "";

	ck_assert_ptr_null(overrides_parse("a.example may\0x", 15, "ovr", err, sizeof(err)));
}
END_TEST

START_TEST(test_empty)
{
	char err[256] = "";
	struct overrides *o = load("# nothing\n\n", err, sizeof(err));

	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(overrides_count(o), 0);
	overrides_free(o);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("overrides");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_find, 0, sizeof(finds) / sizeof(finds[0]));
	tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_nul);
	tcase_add_test(tc, test_empty);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
