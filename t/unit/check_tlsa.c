/* SPDX-License-Identifier: MIT */
/* Unit tests for tlsmap/tlsa.c: the records of smtpd's keys and the
 * verdicts on a published RRset.  The certificates are fixed (a test CA
 * and two leaves it issued, P-256); the expected digests were computed
 * apart, with "openssl x509 -pubkey | openssl pkey -pubin -outform DER |
 * sha256sum" (and sha512sum, and the whole certificate for selector 0). */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "tlsa.h"

static const char ca_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBfDCCASGgAwIBAgIUSSKvoRriskG/ojtjqmZ81bXIEGUwCgYIKoZIzj0EAwIw\n"
    "EjEQMA4GA1UEAwwHVW5pdC1DQTAgFw0yNjEyMDMxMDA1MTFaGA8yMTI2MTEwOTEw\n"
    "MDUxMVowEjEQMA4GA1UEAwwHVW5pdC1DQTBZMBMGByqGSM49AgEGCCqGSM49AwEH\n"
    "A0IABIWci+S21zbQzuwMH6GCjN4kNsPGBbJIvG/iGyICOu+3WPuuFTw205CL2p8+\n"
    "WMSqD+TyCCYHyk/bC7TS9S1FSCOjUzBRMB0GA1UdDgQWBBQlWyKpd1eBY+iW1imL\n"
    "uaH7h6HBNjAfBgNVHSMEGDAWgBQlWyKpd1eBY+iW1imLuaH7h6HBNjAPBgNVHRMB\n"
    "Af8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQDw9lOSttq/CQlLihYXDxzQFAhO\n"
    "E1okjKFrNpA/R5UIxQIhANX5nmUOpKghzk/7Ijln8W6EV0T2KvbG/ljpjhdoDKVd\n"
    "-----END CERTIFICATE-----\n"
    ;
static const char a_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBJDCBzAIUVfTFcmvk1QZJYkQtYNPWpOfUIAswCgYIKoZIzj0EAwIwEjEQMA4G\n"
    "A1UEAwwHVW5pdC1DQTAgFw0yNjEyMDMxMDA1MTFaGA8yMTI2MTEwOTEwMDUxMVow\n"
    "FzEVMBMGA1UEAwwMbXgtYS5leGFtcGxlMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcD\n"
    "QgAEMJlP4PNpTtZwiX+GC/eq5xpfUwXBNkjoW4Cqj+cpxkap0hsxFQw3Jc0gwNGD\n"
    "+cGdD7PYeTyVu1svf8S9gORy0DAKBggqhkjOPQQDAgNHADBEAiBpn16Dc5Fp6kXx\n"
    "qebo4Xh48dCfkK/v1DjfTarJPKJwmAIgXBEXLwBOcV/GQ4QFb54XmbwIx7M39h2S\n"
    "QKYe0feifP4=\n"
    "-----END CERTIFICATE-----\n"
    ;
static const char b_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBJjCBzAIUVfTFcmvk1QZJYkQtYNPWpOfUIAwwCgYIKoZIzj0EAwIwEjEQMA4G\n"
    "A1UEAwwHVW5pdC1DQTAgFw0yNjEyMDMxMDA1MTFaGA8yMTI2MTEwOTEwMDUxMVow\n"
    "FzEVMBMGA1UEAwwMbXgtYi5leGFtcGxlMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcD\n"
    "QgAESl/MCS6fs2NBPT5Guvr2QfKW3udliqYwA7Lg9E7RrRgwVgA/Szgln3w7yC06\n"
    "96Nave1vNdffrlDBwAfTLBuYmTAKBggqhkjOPQQDAgNJADBGAiEA7AetyhlQf8wE\n"
    "vZBV5rqEeHeJusl6VzQb1PPRNvx2VPwCIQDbrbe1fnPuyrkw2TyymCokoRf/6fjQ\n"
    "UCzqQ7g71mRkTw==\n"
    "-----END CERTIFICATE-----\n"
    ;

#define CA_311	"1ca0b047ed6ff6255d8c2f8e793a58baae7afb507357a8d5905aa06bc5b8c2b2"
#define A_311	"25d103d92fe88e4d0d62bd43937dc89c1bce197bb428c7c65f782749cfba19cb"
#define B_311	"f5d3331d5ea9b59124c6fd4a73a5f5e102234559b673ab8ae177186f251eff17"
#define A_301	"78fa99967a6c94982bf11279d2072578f1979d81bb042c9d9e75d2726c427d21"
#define A_312	"b8e257935c59ec570fe2a7d90c9ab93e42564ad02160dbdef08a0301ba8c6c29" \
		"48167be31ac0da8f3a8685413cba052187dc0a638210d101490dc143f321b09d"
#define NOMATCH	"0000000000000000000000000000000000000000000000000000000000000000"

enum { CA, A, B, NCERT };
static struct probe_der der[NCERT];

static void
load(int i, const char *pem)
{
	gnutls_datum_t in = { (unsigned char *)pem, (unsigned)strlen(pem) };
	gnutls_datum_t out;
	gnutls_x509_crt_t crt;

	ck_assert_int_eq(gnutls_x509_crt_init(&crt), 0);
	ck_assert_int_eq(gnutls_x509_crt_import(crt, &in, GNUTLS_X509_FMT_PEM), 0);
	ck_assert_int_eq(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &out), 0);
	der[i].data = out.data;
	der[i].len = out.size;
	gnutls_x509_crt_deinit(crt);
}

static void
setup(void)
{
	load(CA, ca_pem);
	load(A, a_pem);
	load(B, b_pem);
}

static void
teardown(void)
{
	for (int i = 0; i < NCERT; i++)
		gnutls_free((void *)der[i].data);
}

START_TEST(test_record)
{
	char out[TLSA_RECORD_MAX];
	unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };

	ck_assert_int_eq(tlsa_record(3, der[A].data, der[A].len, out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "3 1 1 " A_311);
	ck_assert_int_eq(tlsa_record(3, der[B].data, der[B].len, out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "3 1 1 " B_311);
	ck_assert_int_eq(tlsa_record(2, der[CA].data, der[CA].len, out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "2 1 1 " CA_311);
	ck_assert_int_eq(tlsa_record(3, junk, sizeof(junk), out, sizeof(out)), -1);
	ck_assert_int_eq(tlsa_record(3, der[A].data, der[A].len, out,
	    TLSA_RECORD_MAX - 1), -1);
}
END_TEST

/* "U S M HEX" into a record whose data lives in buf. */
static struct probe_tlsa
rr(const char *text, unsigned char *buf)
{
	struct probe_tlsa t;
	unsigned u, s, m;
	int off;
	size_t n = 0;

	ck_assert_int_eq(sscanf(text, "%u %u %u %n", &u, &s, &m, &off), 3);
	for (const char *h = text + off; h[0] && h[1]; h += 2)
		sscanf(h, "%2hhx", &buf[n++]);
	t.usage = (uint8_t)u;
	t.selector = (uint8_t)s;
	t.mtype = (uint8_t)m;
	t.data = buf;
	t.len = n;
	return t;
}

/* Keys: "a" (a leaf with the CA after it), "A" (the same leaf sent
 * alone), "b", and "+b" for b as the next key. */
static const struct {
	const char *name, *keys;
	const char *rrs[3];
	enum tlsa_verdict v;
	const char *key_ok, *rr_ok;
} judge_cases[] = {
	{ "3 1 1 of the key", "a", { "3 1 1 " A_311 }, TLSA_OK, "1", "1" },
	{ "3 1 2 of the key", "a", { "3 1 2 " A_312 }, TLSA_OK, "1", "1" },
	{ "3 0 1 of the key", "a", { "3 0 1 " A_301 }, TLSA_OK, "1", "1" },
	{ "nothing published", "a", { NULL }, TLSA_MISSING, "0", "" },
	{ "nothing published, a next key", "a+b", { NULL }, TLSA_MISSING,
	  "00", "" },
	{ "a record of another key", "a", { "3 1 1 " NOMATCH }, TLSA_MISMATCH,
	  "0", "0" },
	{ "an extra record", "a", { "3 1 1 " A_311, "3 1 1 " NOMATCH },
	  TLSA_STALE, "1", "10" },
	{ "the old key's record left", "b", { "3 1 1 " A_311, "3 1 1 " B_311 },
	  TLSA_STALE, "1", "01" },
	{ "two keys in use, one published", "ab", { "3 1 1 " A_311 },
	  TLSA_MISMATCH, "10", "1" },
	{ "two keys in use, both published", "ab", { "3 1 1 " B_311,
	  "3 1 1 " A_311 }, TLSA_OK, "11", "11" },
	{ "2 1 1 of the CA covers both", "ab", { "2 1 1 " CA_311 }, TLSA_OK,
	  "11", "1" },
	{ "2 1 1 but the CA is not sent", "A", { "2 1 1 " CA_311 },
	  TLSA_MISMATCH, "0", "0" },
	{ "next key not published", "a+b", { "3 1 1 " A_311 }, TLSA_ROLLOVER,
	  "10", "1" },
	{ "next key published", "a+b", { "3 1 1 " A_311, "3 1 1 " B_311 },
	  TLSA_OK, "11", "11" },
	{ "only the next key published", "a+b", { "3 1 1 " B_311 },
	  TLSA_MISMATCH, "01", "1" },
	{ "PKIX-EE is not for SMTP", "a", { "1 1 1 " A_311 }, TLSA_MISMATCH,
	  "0", "0" },
	{ "3 1 1 on the CA is not the leaf", "a", { "3 1 1 " CA_311 },
	  TLSA_MISMATCH, "0", "0" },
};

START_TEST(test_judge)
{
	const char *name = judge_cases[_i].name, *k = judge_cases[_i].keys;
	struct probe_der chain[1];
	struct tlsa_key keys[4];
	struct probe_tlsa rrs[3];
	unsigned char buf[3][64];
	int key_ok[4], rr_ok[3];
	char got[8];
	size_t nkeys = 0, nrrs = 0;

	chain[0] = der[CA];
	for (int next = 0; *k; k++) {
		if (*k == '+') {
			next = 1;
			continue;
		}
		memset(&keys[nkeys], 0, sizeof(keys[nkeys]));
		keys[nkeys].leaf = der[*k == 'b' ? B : A];
		keys[nkeys].next = next;
		if (*k != 'A') {
			keys[nkeys].chain = chain;
			keys[nkeys].nchain = 1;
		}
		nkeys++;
	}
	while (nrrs < 3 && judge_cases[_i].rrs[nrrs]) {
		rrs[nrrs] = rr(judge_cases[_i].rrs[nrrs], buf[nrrs]);
		nrrs++;
	}
	ck_assert_msg(tlsa_judge(keys, nkeys, rrs, nrrs, key_ok, rr_ok)
	    == judge_cases[_i].v, "%s: verdict", name);
	for (size_t i = 0; i < nkeys; i++)
		got[i] = (char)('0' + key_ok[i]);
	got[nkeys] = '\0';
	ck_assert_msg(strcmp(got, judge_cases[_i].key_ok) == 0,
	    "%s: keys matched %s", name, got);
	for (size_t j = 0; j < nrrs; j++)
		got[j] = (char)('0' + rr_ok[j]);
	got[nrrs] = '\0';
	ck_assert_msg(strcmp(got, judge_cases[_i].rr_ok) == 0,
	    "%s: records matched %s", name, got);
}
END_TEST

START_TEST(test_ta_covered)
{
	struct probe_der chain[1] = { der[CA] };
	struct tlsa_key with = { der[A], chain, 1, NULL, 0 };
	struct tlsa_key alone = { der[A], NULL, 0, NULL, 0 };
	unsigned char buf[2][64];
	struct probe_tlsa rrs[2];

	rrs[0] = rr("3 1 1 " A_311, buf[0]);
	rrs[1] = rr("2 1 1 " CA_311, buf[1]);
	ck_assert_int_eq(tlsa_ta_covered(&with, rrs, 1), 0);	/* EE only */
	ck_assert_int_eq(tlsa_ta_covered(&with, rrs, 2), 1);
	ck_assert_int_eq(tlsa_ta_covered(&with, rrs + 1, 1), 1);
	ck_assert_int_eq(tlsa_ta_covered(&alone, rrs, 2), 0);	/* CA not sent */
	rrs[1] = rr("2 1 1 " NOMATCH, buf[1]);
	ck_assert_int_eq(tlsa_ta_covered(&with, rrs, 2), 0);
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(tlsa_verdict_name(TLSA_OK), "ok");
	ck_assert_str_eq(tlsa_verdict_name(TLSA_STALE), "stale");
	ck_assert_str_eq(tlsa_verdict_name(TLSA_MISSING), "missing");
	ck_assert_str_eq(tlsa_verdict_name(TLSA_ROLLOVER), "rollover");
	ck_assert_str_eq(tlsa_verdict_name(TLSA_MISMATCH), "mismatch");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tlsa");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_record);
	tcase_add_loop_test(tc, test_judge, 0,
	    sizeof(judge_cases) / sizeof(judge_cases[0]));
	tcase_add_test(tc, test_ta_covered);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
