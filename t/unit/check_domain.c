/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/domain.c: socketmap key normalisation. */
#include "config.h"

#include <check.h>
#include <stdio.h>
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

/*
 * key_normalise() takes a one-pass fast path for plain ASCII names and
 * parent probes; it must agree with the general path on every input:
 * result, kind, fields and error message.
 */
static void
agree(const char *in, size_t len)
{
	struct key a, b;
	const char *ea = NULL, *eb = NULL;
	int ra = key_normalise(in, len, &a, &ea);
	int rb = key_normalise_general(in, len, &b, &eb);
	char show[80];

	snprintf(show, sizeof(show), "%.*s", (int)(len < 60 ? len : 60), in);
	ck_assert_msg(ra == rb, "\"%s\" (%zu bytes): %d vs general %d", show,
	    len, ra, rb);
	if (ra < 0) {
		ck_assert_msg(ea == eb || (ea && eb && strcmp(ea, eb) == 0),
		    "\"%s\": \"%s\" vs general \"%s\"", show, ea, eb);
		return;
	}
	ck_assert_msg(a.kind == b.kind && a.bracketed == b.bracketed
	    && a.ip_literal == b.ip_literal, "\"%s\": kind", show);
	ck_assert_str_eq(a.name, b.name);
	ck_assert_str_eq(a.host, b.host);
	ck_assert_str_eq(a.port, b.port);
}

static const char *const tricky[] = {
	"example.com", "EXAMPLE.COM", "Example.Com.", "example.com..", ".",
	"..", "...", ".example.com", ".example.com.", "..example.com",
	".Example.COM", "a", "A.", "-", "a-", "-a", "a-b", "a--b.c",
	"xn--bcher-kva.example", "b\xc3\xbc" "cher.example", "B\xc3\x9c" "CHER.example",
	"under_score.example", "_dmarc.example", "a_.b", "exa mple.com",
	"example.com\r", "a.b\x01.c", "a\x7f.b", "\xff\xfe.example",
	"\xc3.example", "a.b-.c", "a.-b.c", "a..b", "a.b.", "a.b..",
	"example.com:25", "example.com:", ":25", "[example.com]",
	"[example.com]:587", "[192.0.2.1]", "192.0.2.1", "1.2.3.4.",
	"*.example.com", "a/b.c", "a@b.c", "a\\b.c", "a\"b.c", "a,b.c",
	"0.0", "9abc.123", "z.Z", "@", "~", "`a.b", "a{b}.c", "A[B.c",
};

START_TEST(test_fast_table)
{
	for (size_t i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++)
		agree(tricky[i], strlen(tricky[i]));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		agree(cases[i].in, strlen(cases[i].in));
}
END_TEST

/* Label and name lengths around the limits, with and without dots. */
START_TEST(test_fast_lengths)
{
	char buf[KEY_MAX_INPUT + 8];
	size_t lens[] = { 1, 62, 63, 64, 65, 252, 253, 254, 255, 256, 300,
	    KEY_MAX_INPUT, KEY_MAX_INPUT + 1 };

	for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
		size_t n = lens[l];
		for (int lead = 0; lead < 2; lead++) {
			for (int trail = 0; trail < 2; trail++) {
				for (size_t lab = 62; lab <= 64; lab++) {
					size_t i = 0, run = 0;

					if (lead)
						buf[i++] = '.';
					while (i < n + lead) {
						buf[i++] = run == lab ? '.' : 'A';
						run = run == lab ? 0 : run + 1;
					}
					if (buf[i - 1] == '.')
						buf[i - 1] = 'b';
					if (trail)
						buf[i++] = '.';
					agree(buf, i);
				}
			}
		}
	}
}
END_TEST

/* Random keys over an alphabet of every kind of byte the paths treat
 * differently; fixed seed, so a failure repeats. */
START_TEST(test_fast_random)
{
	static const char alpha[] = "aZz09-._:[]\x80\xc3\xbc \x01\x7f@";
	char buf[80];
	unsigned long x = 12345;

	for (int iter = 0; iter < 200000; iter++) {
		size_t n;

		x = x * 6364136223846793005UL + 1442695040888963407UL;
		n = (x >> 33) % 24;
		for (size_t i = 0; i < n; i++) {
			x = x * 6364136223846793005UL + 1442695040888963407UL;
			/* mostly letters, so that some keys are valid */
			buf[i] = (x >> 40) % 3 ? "abcXYZ.-"[(x >> 20) % 8]
			    : alpha[(x >> 20) % (sizeof(alpha) - 1)];
		}
		agree(buf, n);
	}
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
	tcase_add_test(tc, test_fast_table);
	tcase_add_test(tc, test_fast_lengths);
	tcase_add_test(tc, test_fast_random);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
