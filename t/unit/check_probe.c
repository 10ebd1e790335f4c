/* SPDX-License-Identifier: MIT */
/* Unit tests for tlsmap/probe.c: SMTP replies, TLSA matching, match
 * names and Postfix's verdict.  Certificates are made in memory. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "probe.h"

/* SMTP replies ------------------------------------------------------- */

static const struct {
	const char *in;
	int rc, code, starttls;
	size_t used;
} reply_cases[] = {
	{ "220 mx.example ESMTP\r\n", 1, 220, 0, 22 },
	{ "220 mx.example ESMTP\n", 1, 220, 0, 21 },
	{ "220\r\n", 1, 220, 0, 5 },
	{ "250-mx.example\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
	  1, 250, 1, 60 },
	{ "250-mx.example\r\n250 starttls \r\n", 1, 250, 1, 31 },
	/* STARTTLS in the greeting line is not the keyword. */
	{ "250 STARTTLS\r\n", 1, 250, 0, 14 },
	{ "250-mx.example\r\n250 STARTTLSX\r\n", 1, 250, 0, 31 },
	{ "250-mx\r\n250 X\r\n220 next\r\n", 1, 250, 0, 15 },	/* pipelined */
	{ "", 0, 0, 0, 0 },
	{ "220 mx", 0, 0, 0, 0 },
	{ "250-mx\r\n250-STARTTLS\r\n", 0, 0, 0, 0 },
	{ "25 x\r\n", -1, 0, 0, 0 },
	{ "abc x\r\n", -1, 0, 0, 0 },
	{ "220x\r\n", -1, 0, 0, 0 },
	{ "620 x\r\n", -1, 0, 0, 0 },
	{ "250-a\r\n251 b\r\n", -1, 0, 0, 0 },
	{ "\r\n", -1, 0, 0, 0 },
};

START_TEST(test_reply)
{
	struct probe_reply r;
	char err[128];
	int rc = probe_smtp_reply(reply_cases[_i].in, strlen(reply_cases[_i].in),
	    &r, err, sizeof(err));

	ck_assert_int_eq(rc, reply_cases[_i].rc);
	if (rc < 0)
		ck_assert_str_ne(err, "");
	if (rc == 1) {
		ck_assert_int_eq(r.code, reply_cases[_i].code);
		ck_assert_int_eq(r.starttls, reply_cases[_i].starttls);
		ck_assert_uint_eq(r.used, reply_cases[_i].used);
	}
}
END_TEST

START_TEST(test_reply_limits)
{
	struct probe_reply r;
	char err[128], *buf = malloc(PROBE_LINE_MAX + 10);
	size_t n = 0;

	/* A line without end longer than the limit is an error, not a wait. */
	memcpy(buf, "220 ", 4);
	memset(buf + 4, 'x', PROBE_LINE_MAX + 4);
	ck_assert_int_eq(probe_smtp_reply(buf, PROBE_LINE_MAX + 8, &r, err,
	    sizeof(err)), -1);
	free(buf);
	/* Too many continuation lines. */
	buf = malloc(8 * (PROBE_REPLY_LINES + 1));
	for (int i = 0; i <= PROBE_REPLY_LINES; i++) {
		memcpy(buf + n, "250-x\r\n", 7);
		n += 7;
	}
	ck_assert_int_eq(probe_smtp_reply(buf, n, &r, err, sizeof(err)), -1);
	free(buf);
}
END_TEST

/* Certificates ------------------------------------------------------- */

static gnutls_datum_t ca_der, leaf_der, other_der, ca_spki, leaf_spki;

static void
make_cert(gnutls_x509_privkey_t key, const char *cn, gnutls_x509_crt_t issuer,
    gnutls_x509_privkey_t ikey, int ca, gnutls_datum_t *der,
    gnutls_x509_crt_t *out)
{
	gnutls_x509_crt_t crt;
	unsigned char serial[4] = { 1, 2, 3, 4 };

	ck_assert_int_eq(gnutls_x509_crt_init(&crt), 0);
	gnutls_x509_crt_set_version(crt, 3);
	gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
	gnutls_x509_crt_set_activation_time(crt, 1700000000);
	gnutls_x509_crt_set_expiration_time(crt, 2000000000);
	gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
	    strlen(cn));
	gnutls_x509_crt_set_key(crt, key);
	gnutls_x509_crt_set_basic_constraints(crt, ca, -1);
	ck_assert_int_eq(gnutls_x509_crt_sign2(crt, issuer ? issuer : crt,
	    ikey ? ikey : key, GNUTLS_DIG_SHA256, 0), 0);
	ck_assert_int_eq(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, der), 0);
	if (out)
		*out = crt;
	else
		gnutls_x509_crt_deinit(crt);
}

/* The SPKI by another path than probe.c's: from the private key. */
static void
spki_of(gnutls_x509_privkey_t key, gnutls_datum_t *out)
{
	gnutls_privkey_t pk;
	gnutls_pubkey_t pub;

	gnutls_privkey_init(&pk);
	gnutls_privkey_import_x509(pk, key, 0);
	gnutls_pubkey_init(&pub);
	ck_assert_int_eq(gnutls_pubkey_import_privkey(pub, pk, 0, 0), 0);
	ck_assert_int_eq(gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, out), 0);
	gnutls_pubkey_deinit(pub);
	gnutls_privkey_deinit(pk);
}

static void
certs_setup(void)
{
	gnutls_x509_privkey_t cak, leafk, otherk;
	gnutls_x509_crt_t ca;

	if (ca_der.data)
		return;
	gnutls_x509_privkey_init(&cak);
	gnutls_x509_privkey_init(&leafk);
	gnutls_x509_privkey_init(&otherk);
	ck_assert_int_eq(gnutls_x509_privkey_generate(cak, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
	gnutls_x509_privkey_generate(leafk, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
	gnutls_x509_privkey_generate(otherk, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
	make_cert(cak, "test CA", NULL, NULL, 1, &ca_der, &ca);
	make_cert(leafk, "mx.example", ca, cak, 0, &leaf_der, NULL);
	make_cert(otherk, "other.example", NULL, NULL, 0, &other_der, NULL);
	spki_of(cak, &ca_spki);
	spki_of(leafk, &leaf_spki);
	gnutls_x509_crt_deinit(ca);
	gnutls_x509_privkey_deinit(cak);
	gnutls_x509_privkey_deinit(leafk);
	gnutls_x509_privkey_deinit(otherk);
}

static unsigned char leaf_c256[32], leaf_s256[32], leaf_s512[64], ca_s256[32];

static void
digests(void)
{
	gnutls_hash_fast(GNUTLS_DIG_SHA256, leaf_der.data, leaf_der.size, leaf_c256);
	gnutls_hash_fast(GNUTLS_DIG_SHA256, leaf_spki.data, leaf_spki.size, leaf_s256);
	gnutls_hash_fast(GNUTLS_DIG_SHA512, leaf_spki.data, leaf_spki.size, leaf_s512);
	gnutls_hash_fast(GNUTLS_DIG_SHA256, ca_spki.data, ca_spki.size, ca_s256);
}

static void
setup(void)
{
	certs_setup();
	digests();
}

START_TEST(test_usable)
{
	static const unsigned char d[64];
	struct probe_tlsa t = { 3, 1, 1, d, 32 };

	ck_assert_int_eq(probe_tlsa_usable(&t), 1);
	t.usage = 2;
	ck_assert_int_eq(probe_tlsa_usable(&t), 1);
	t.usage = 1;
	ck_assert_int_eq(probe_tlsa_usable(&t), 0);
	t.usage = 0;
	ck_assert_int_eq(probe_tlsa_usable(&t), 0);
	t.usage = 3;
	t.len = 31;
	ck_assert_int_eq(probe_tlsa_usable(&t), 0);
	t.mtype = 2;
	t.len = 32;
	ck_assert_int_eq(probe_tlsa_usable(&t), 0);
	t.len = 64;
	ck_assert_int_eq(probe_tlsa_usable(&t), 1);
	t.mtype = 255;
	ck_assert_int_eq(probe_tlsa_usable(&t), 0);
	t.mtype = 0;
	t.selector = 2;
	ck_assert_int_eq(probe_tlsa_usable(&t), 0);
	t.selector = 0;
	t.len = 0;
	ck_assert_int_eq(probe_tlsa_usable(&t), 0);
}
END_TEST

START_TEST(test_match)
{
	struct probe_tlsa t311 = { 3, 1, 1, leaf_s256, 32 };
	struct probe_tlsa t301 = { 3, 0, 1, leaf_c256, 32 };
	struct probe_tlsa t312 = { 3, 1, 2, leaf_s512, 64 };
	struct probe_tlsa t300 = { 3, 0, 0, leaf_der.data, leaf_der.size };
	struct probe_tlsa t310 = { 3, 1, 0, leaf_spki.data, leaf_spki.size };
	unsigned char bad[32];
	struct probe_tlsa tbad = { 3, 1, 1, bad, 32 };
	static const unsigned char junk[] = "not a certificate";

	memcpy(bad, leaf_s256, 32);
	bad[31] ^= 1;
	ck_assert_int_eq(probe_tlsa_match(&t311, leaf_der.data, leaf_der.size), 1);
	ck_assert_int_eq(probe_tlsa_match(&t301, leaf_der.data, leaf_der.size), 1);
	ck_assert_int_eq(probe_tlsa_match(&t312, leaf_der.data, leaf_der.size), 1);
	ck_assert_int_eq(probe_tlsa_match(&t300, leaf_der.data, leaf_der.size), 1);
	ck_assert_int_eq(probe_tlsa_match(&t310, leaf_der.data, leaf_der.size), 1);
	ck_assert_int_eq(probe_tlsa_match(&tbad, leaf_der.data, leaf_der.size), 0);
	ck_assert_int_eq(probe_tlsa_match(&t311, other_der.data, other_der.size), 0);
	ck_assert_int_eq(probe_tlsa_match(&t311, junk, sizeof(junk)), -1);
	/* A selector-0 digest is not a selector-1 digest. */
	t311.data = leaf_c256;
	ck_assert_int_eq(probe_tlsa_match(&t311, leaf_der.data, leaf_der.size), 0);
}
END_TEST

START_TEST(test_dane_eval)
{
	struct probe_der chain[2] = { { leaf_der.data, leaf_der.size },
	    { ca_der.data, ca_der.size } };
	struct probe_tlsa ee = { 3, 1, 1, leaf_s256, 32 };
	struct probe_tlsa ta = { 2, 1, 1, ca_s256, 32 };
	struct probe_tlsa ta_leaf = { 2, 1, 1, leaf_s256, 32 };
	struct probe_tlsa pkix_ee = { 1, 1, 1, leaf_s256, 32 };
	struct probe_tlsa short_ee = { 3, 1, 1, leaf_s256, 31 };
	struct probe_tlsa recs[3];
	size_t at = 99;

	recs[0] = pkix_ee;
	recs[1] = ee;
	ck_assert_int_eq(probe_dane_eval(recs, 2, chain, 2, &at), PROBE_DANE_EE);
	ck_assert_uint_eq(at, 0);
	ck_assert_int_eq(probe_dane_eval(&ta, 1, chain, 2, &at), PROBE_DANE_TA);
	ck_assert_uint_eq(at, 1);
	/* The CA must be sent: with the leaf alone DANE-TA cannot match. */
	ck_assert_int_eq(probe_dane_eval(&ta, 1, chain, 1, &at),
	    PROBE_DANE_NOMATCH);
	/* A DANE-TA record naming the leaf is not a trust anchor. */
	ck_assert_int_eq(probe_dane_eval(&ta_leaf, 1, chain, 2, &at),
	    PROBE_DANE_NOMATCH);
	/* Usage 1 matching, or a short digest: nothing usable. */
	recs[0] = pkix_ee;
	recs[1] = short_ee;
	ck_assert_int_eq(probe_dane_eval(recs, 2, chain, 2, &at),
	    PROBE_DANE_UNUSABLE);
	/* A DANE-EE record for the CA key does not match the leaf. */
	recs[0].usage = 3;
	recs[0].data = ca_s256;
	ck_assert_int_eq(probe_dane_eval(recs, 1, chain, 2, &at),
	    PROBE_DANE_NOMATCH);
	ck_assert_int_eq(probe_dane_eval(&ee, 1, chain, 0, &at),
	    PROBE_DANE_NOMATCH);
}
END_TEST

/* Match names -------------------------------------------------------- */

static const struct {
	const char *cert, *pattern;
	int want;
} name_cases[] = {
	{ "mx.example.com", "mx.example.com", 1 },
	{ "MX.Example.COM", "mx.example.com", 1 },
	{ "mx.example.com", "mx2.example.com", 0 },
	{ "*.example.com", "mx.example.com", 1 },
	{ "*.example.com", "a.mx.example.com", 0 },
	{ "*.example.com", "example.com", 0 },
	{ "m*.example.com", "mx.example.com", 0 },	/* partial wildcard */
	{ "mx.example.com", ".example.com", 1 },
	{ "a.b.example.com", ".example.com", 1 },	/* any depth */
	{ "example.com", ".example.com", 0 },
	{ "badexample.com", ".example.com", 0 },
	{ "*.example.com", ".example.com", 1 },
	{ "*.sub.example.com", ".example.com", 1 },
	{ "f*.example.com", ".example.com", 0 },
	{ "mx.example.com", ".", 0 },
	{ "mx.example.com", "", 0 },
};

START_TEST(test_names)
{
	const char *names[] = { name_cases[_i].cert };

	ck_assert_int_eq(probe_name_match(names, 1, name_cases[_i].pattern),
	    name_cases[_i].want);
}
END_TEST

/* Verdicts ----------------------------------------------------------- */

enum { F_TLS = 1, F_PLAINONLY, F_NOCONN, F_BADHS };

static const char *const certnames[] = { "mx.example.net" };

static const struct {
	const char *reply;
	int conn;		/* F_* */
	enum probe_dane dane;
	int mx_secure, webpki;
	enum probe_verdict want;
	const char *why;	/* substring */
} verdict_cases[] = {
	{ "OK dane-only", F_TLS, PROBE_DANE_EE, 1, 0, PROBE_VERIFIED, "matches TLSA" },
	{ "OK dane-only", F_TLS, PROBE_DANE_TA, 1, 0, PROBE_VERIFIED, "matches TLSA" },
	{ "OK dane-only", F_TLS, PROBE_DANE_NOMATCH, 1, 1, PROBE_DEFER, "no TLSA record" },
	{ "OK dane-only", F_TLS, PROBE_DANE_NONE, 1, 1, PROBE_DEFER, "no TLSA records" },
	{ "OK dane-only", F_TLS, PROBE_DANE_UNUSABLE, 1, 1, PROBE_DEFER, "unusable" },
	{ "OK dane-only", F_TLS, PROBE_DANE_EE, 0, 1, PROBE_DEFER, "not DNSSEC" },
	{ "OK dane-only", F_PLAINONLY, PROBE_DANE_EE, 1, 0, PROBE_DEFER, "STARTTLS not offered" },
	{ "OK dane-only", F_BADHS, PROBE_DANE_EE, 1, 0, PROBE_DEFER, "handshake failed" },
	{ "OK dane", F_TLS, PROBE_DANE_FAILED, 1, 1, PROBE_DEFER, "TLSA lookup error" },
	{ "OK dane", F_TLS, PROBE_DANE_NONE, 1, 0, PROBE_ENCRYPTED, "may" },
	{ "OK dane", F_PLAINONLY, PROBE_DANE_NONE, 1, 0, PROBE_PLAIN, "plaintext" },
	{ "OK dane", F_TLS, PROBE_DANE_UNUSABLE, 1, 0, PROBE_ENCRYPTED, "encrypt" },
	{ "OK dane", F_PLAINONLY, PROBE_DANE_UNUSABLE, 1, 0, PROBE_DEFER, "STARTTLS" },
	{ "OK dane", F_TLS, PROBE_DANE_EE, 0, 0, PROBE_VERIFIED, "insecure_mx_policy" },
	{ "OK secure match=mx.example.net servername=hostname", F_TLS,
	  PROBE_DANE_NONE, 0, 1, PROBE_VERIFIED, "matching mx.example.net" },
	{ "OK secure match=.example.net", F_TLS, PROBE_DANE_NONE, 0, 1,
	  PROBE_VERIFIED, "" },
	{ "OK secure match=mx.elsewhere.test:other.test", F_TLS, PROBE_DANE_NONE,
	  0, 1, PROBE_DEFER, "match none of mx.elsewhere.test:other.test" },
	{ "OK secure match=mx.example.net", F_TLS, PROBE_DANE_NONE, 0, 0,
	  PROBE_DEFER, "not verified" },
	{ "OK secure match=mx.example.net", F_PLAINONLY, PROBE_DANE_NONE, 0, 1,
	  PROBE_DEFER, "STARTTLS not offered" },
	/* Postfix's defaults: secure nexthop:dot-nexthop, verify hostname. */
	{ "OK secure", F_TLS, PROBE_DANE_NONE, 0, 1, PROBE_VERIFIED, "dot-nexthop" },
	{ "OK verify", F_TLS, PROBE_DANE_NONE, 0, 1, PROBE_VERIFIED, "hostname" },
	{ "OK verify match=hostname", F_TLS, PROBE_DANE_NONE, 0, 1, PROBE_VERIFIED, "" },
	{ "OK encrypt protocols=>=TLSv1.2", F_TLS, PROBE_DANE_NONE, 0, 0,
	  PROBE_ENCRYPTED, "encrypt" },
	{ "OK encrypt", F_PLAINONLY, PROBE_DANE_NONE, 0, 0, PROBE_DEFER, "STARTTLS" },
	{ "OK may", F_BADHS, PROBE_DANE_NONE, 0, 0, PROBE_PLAIN, "handshake" },
	{ "OK none", F_NOCONN, PROBE_DANE_NONE, 0, 0, PROBE_PLAIN, "no TLS" },
	{ "OK encrypt", F_NOCONN, PROBE_DANE_NONE, 0, 0, PROBE_DEFER, "not reachable" },
	{ "OK fingerprint match=AB:CD", F_TLS, PROBE_DANE_NONE, 0, 0, PROBE_DEFER,
	  "not checked" },
	{ "OK optional", F_TLS, PROBE_DANE_NONE, 0, 0, PROBE_DEFER, "unknown level" },
	{ "NOTFOUND ", F_TLS, PROBE_DANE_NONE, 0, 0, PROBE_GLOBAL, "" },
	{ "TEMP DNS lookup failed", F_TLS, PROBE_DANE_EE, 1, 1, PROBE_DEFER, "TEMP" },
	{ "PERM error", F_TLS, PROBE_DANE_EE, 1, 1, PROBE_DEFER, "PERM" },
	{ "", F_TLS, PROBE_DANE_EE, 1, 1, PROBE_DEFER, "" },
};

START_TEST(test_verdict)
{
	int c = verdict_cases[_i].conn;
	struct probe_facts f = { "example.net", "mx.example.net",
	    verdict_cases[_i].mx_secure, c != F_NOCONN, c == F_TLS || c == F_BADHS,
	    c == F_TLS, verdict_cases[_i].dane, verdict_cases[_i].webpki,
	    certnames, 1 };
	char why[300];

	ck_assert_int_eq(probe_verdict(verdict_cases[_i].reply, &f, why,
	    sizeof(why)), verdict_cases[_i].want);
	ck_assert_msg(strstr(why, verdict_cases[_i].why) != NULL,
	    "why \"%s\" lacks \"%s\"", why, verdict_cases[_i].why);
}
END_TEST

static Suite *
probe_suite(void)
{
	Suite *s = suite_create("probe");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_reply, 0,
	    sizeof(reply_cases) / sizeof(reply_cases[0]));
	tcase_add_test(tc, test_reply_limits);
	tcase_add_test(tc, test_usable);
	tcase_add_test(tc, test_match);
	tcase_add_test(tc, test_dane_eval);
	tcase_add_loop_test(tc, test_names, 0,
	    sizeof(name_cases) / sizeof(name_cases[0]));
	tcase_add_loop_test(tc, test_verdict, 0,
	    sizeof(verdict_cases) / sizeof(verdict_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(probe_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
