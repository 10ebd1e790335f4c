/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/overrides.c. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "overrides.h"
#include "tlspolicy.h"

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
	{ "mx: encrypt\n", "ovr:1: bad key \"mx:\": MX rule without a pattern" },
	{ "mx:*. encrypt\n", "ovr:1: bad key \"mx:*.\": MX pattern must be host, *.domain or .domain" },
	{ "mx:a.*.example encrypt\n", "ovr:1: bad key \"mx:a.*.example\": MX pattern must be host, *.domain or .domain" },
	{ "mx:**.example encrypt\n", "ovr:1: bad key \"mx:**.example\": MX pattern must be host, *.domain or .domain" },
	{ "mx:localhost encrypt\n", "ovr:1: bad key \"mx:localhost\": MX pattern must be a domain name with at least two labels" },
	{ "mx:[mx.example] encrypt\n", "ovr:1: bad key \"mx:[mx.example]\": MX pattern must be a domain name with at least two labels" },
	{ "mx:*.example.com secure\nMX:*.Example.COM. encrypt\n", "ovr:2: duplicate entry for mx:*.example.com (first at line 1)" },
	{ "mx:.example.com optional\n", "ovr:1: bad policy for mx:.example.com: unknown security level" },
	/* Found by fuzz/fuzz_overrides.c: "mx.:23" normalised to "mx:23", an
	 * MX rule with pattern "23" that never matched: the override was lost. */
	{ "mx.:23 encrypt\n", "ovr:1: bad key \"mx.:23\": next-hop mx:PORT reads as an MX rule (write [mx]:PORT)" },
	{ "MX.:smtp encrypt\n", "ovr:1: bad key \"MX.:smtp\": next-hop mx:PORT reads as an MX rule (write [mx]:PORT)" },
	{ "example.com report-only\n", "ovr:1: bad policy for example.com: report-only without a policy" },
	{ "example.com encrypt report-only\n", "ovr:1: bad policy for example.com: attribute is not name=value" },
	{ "example.com report-only report-only encrypt\n", "ovr:1: bad policy for example.com: unknown security level" },
};

START_TEST(test_bad)
{
	char err[256] = "";

	ck_assert_ptr_null(load(bad[_i].text, err, sizeof(err)));
	ck_assert_str_eq(err, bad[_i].err);
}
END_TEST

/* MX patterns: exact host, "*." one label, "." any depth. */
static const struct {
	const char *pattern;
	const char *host;
	int want;
} mxpat[] = {
	{ "*.mail.protection.outlook.com", "example-com.mail.protection.outlook.com", 1 },
	{ "*.mail.protection.outlook.com", "a.b.mail.protection.outlook.com", 0 },
	{ "*.mail.protection.outlook.com", "mail.protection.outlook.com", 0 },
	{ "*.mail.protection.outlook.com", "xmail.protection.outlook.com", 0 },
	{ "*.example.com", ".example.com", 0 },
	{ ".example.com", "mx.example.com", 1 },
	{ ".example.com", "a.b.example.com", 1 },
	{ ".example.com", "example.com", 0 },
	{ ".example.com", "badexample.com", 0 },
	{ "mx.example.com", "mx.example.com", 1 },
	{ "mx.example.com", "mx2.example.com", 0 },
	{ "mx.example.com", "a.mx.example.com", 0 },
};

START_TEST(test_mx_match)
{
	ck_assert_int_eq(overrides_mx_match(mxpat[_i].pattern, mxpat[_i].host),
	    mxpat[_i].want);
}
END_TEST

static const char *mxtable =
    "mx:*.mail.protection.outlook.com secure match=.protection.outlook.com\n"
    "MX:.Example.NET. encrypt\n"
    "mx:mx1.example.org report-only verify\n"
    "mx:.example.org dane\n"
    "example.net may\n";

static const struct {
	const char *hosts[3];
	size_t n;
	int lineno;		/* 0: no rule */
} mxfinds[] = {
	{ { "example-com.mail.protection.outlook.com" }, 1, 1 },
	{ { "a.mail.protection.outlook.com", "b.mail.protection.outlook.com" }, 2, 1 },
	/* Every host must match. */
	{ { "a.mail.protection.outlook.com", "backup.example.net" }, 2, 0 },
	{ { "mx.example.net", "a.b.example.net" }, 2, 2 },
	{ { "example.net" }, 1, 0 },
	/* The first rule in file order wins. */
	{ { "mx1.example.org" }, 1, 3 },
	{ { "mx1.example.org", "mx2.example.org" }, 2, 4 },
	{ { NULL }, 0, 0 },
};

START_TEST(test_find_mx)
{
	char err[256] = "";
	struct overrides *o = load(mxtable, err, sizeof(err));
	const struct override *ov;
	const char *why;
	struct key k;

	ck_assert_msg(o != NULL, "%s", err);
	ck_assert_uint_eq(overrides_count(o), 5);
	ck_assert_uint_eq(overrides_count_mx(o), 4);
	ov = overrides_find_mx(o, mxfinds[_i].hosts, mxfinds[_i].n);
	if (mxfinds[_i].lineno == 0) {
		ck_assert_msg(ov == NULL, "matched line %d", ov ? ov->lineno : 0);
	} else {
		ck_assert_ptr_nonnull(ov);
		ck_assert_int_eq(ov->lineno, mxfinds[_i].lineno);
	}
	/* MX rules are never found as keys, whatever the key. */
	ck_assert_int_eq(key_normalise("example.net", 11, &k, &why), 0);
	ov = overrides_find(o, &k);
	ck_assert_ptr_nonnull(ov);
	ck_assert_int_eq(ov->lineno, 5);
	overrides_free(o);
}
END_TEST

START_TEST(test_report_only)
{
	char err[256] = "", out[256];
	const char *why;
	struct overrides *o = load(mxtable, err, sizeof(err));
	const char *h[] = { "mx1.example.org" };
	const struct override *ov;
	int ro;

	ck_assert_ptr_nonnull(o);
	ov = overrides_find_mx(o, h, 1);
	ck_assert_ptr_nonnull(ov);
	ck_assert_int_eq(ov->report_only, 1);
	ck_assert_str_eq(ov->value, "verify");
	ck_assert_str_eq(ov->key, "mx:mx1.example.org");
	ck_assert_str_eq(ov->pattern, "mx1.example.org");
	overrides_free(o);
	/* Never a value Postfix would get: the checker refuses the word. */
	ck_assert_int_eq(tlspolicy_check("report-only encrypt", out, sizeof(out), &why), -1);
	ck_assert_int_eq(override_value_norm("Report-Only  ENCRYPT", out, sizeof(out), &ro, &why), 0);
	ck_assert_int_eq(ro, 1);
	ck_assert_str_eq(out, "encrypt");
	ck_assert_int_eq(override_value_norm("encrypt", out, sizeof(out), &ro, &why), 0);
	ck_assert_int_eq(ro, 0);
	ck_assert_int_eq(override_value_norm("report-onlyencrypt", out, sizeof(out), &ro, &why), -1);
	ck_assert_int_eq(override_key_norm("MX:*.Bücher.Example.", strlen("MX:*.Bücher.Example."), out, sizeof(out), &why), 0);
	ck_assert_str_eq(out, "mx:*.xn--bcher-kva.example");
	ck_assert_int_eq(override_key_norm("Example.COM.", 12, out, sizeof(out), &why), 0);
	ck_assert_str_eq(out, "example.com");
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
	tcase_add_loop_test(tc, test_mx_match, 0, sizeof(mxpat) / sizeof(mxpat[0]));
	tcase_add_loop_test(tc, test_find_mx, 0, sizeof(mxfinds) / sizeof(mxfinds[0]));
	tcase_add_test(tc, test_report_only);
	tcase_add_test(tc, test_nul);
	tcase_add_test(tc, test_empty);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
