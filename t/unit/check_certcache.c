/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for stsfetch/certcache.c: the cache of verified chains.
 * The certificates are made here with GnuTLS (a test CA and a leaf for
 * mta-sts.a.test and *.w.test), valid from T0 to T1.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "certcache.h"

#define T0	1700000000
#define T1	(T0 + 30 * 86400)

static gnutls_datum_t chain[2];		/* leaf, CA */

static gnutls_x509_privkey_t
new_key(void)
{
	gnutls_x509_privkey_t k;

	ck_assert_int_eq(gnutls_x509_privkey_init(&k), 0);
	ck_assert_int_eq(gnutls_x509_privkey_generate(k, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
	return k;
}

static gnutls_x509_crt_t
new_crt(gnutls_x509_privkey_t key, unsigned serial)
{
	gnutls_x509_crt_t c;
	unsigned char sn = serial;

	ck_assert_int_eq(gnutls_x509_crt_init(&c), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_version(c, 3), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_serial(c, &sn, 1), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_activation_time(c, T0), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_expiration_time(c, T1), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_key(c, key), 0);
	return c;
}

static void
make_chain(void)
{
	gnutls_x509_privkey_t cak = new_key(), lk = new_key();
	gnutls_x509_crt_t ca = new_crt(cak, 1), leaf = new_crt(lk, 2);

	ck_assert_int_eq(gnutls_x509_crt_set_dn(ca, "CN=certcache test CA",
	    NULL), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_basic_constraints(ca, 1, -1), 0);
	ck_assert_int_eq(gnutls_x509_crt_sign2(ca, ca, cak, GNUTLS_DIG_SHA256,
	    0), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_dn(leaf, "CN=mta-sts.a.test",
	    NULL), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_subject_alt_name(leaf,
	    GNUTLS_SAN_DNSNAME, "mta-sts.a.test", 14, GNUTLS_FSAN_APPEND), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_subject_alt_name(leaf,
	    GNUTLS_SAN_DNSNAME, "*.w.test", 8, GNUTLS_FSAN_APPEND), 0);
	ck_assert_int_eq(gnutls_x509_crt_sign2(leaf, ca, cak,
	    GNUTLS_DIG_SHA256, 0), 0);
	ck_assert_int_eq(gnutls_x509_crt_export2(leaf, GNUTLS_X509_FMT_DER,
	    &chain[0]), 0);
	ck_assert_int_eq(gnutls_x509_crt_export2(ca, GNUTLS_X509_FMT_DER,
	    &chain[1]), 0);
	gnutls_x509_crt_deinit(ca);
	gnutls_x509_crt_deinit(leaf);
	gnutls_x509_privkey_deinit(cak);
	gnutls_x509_privkey_deinit(lk);
}

static void
setup(void)
{
	if (chain[0].data == NULL)
		make_chain();
	certcache_clear();
}

/* certcache_lookup() with a throw-away status. */
static int
look(const gnutls_datum_t *c, unsigned n, const char *host, time_t now)
{
	unsigned st = 0;

	return certcache_lookup(c, n, host, now, &st);
}

START_TEST(test_unknown)
{
	ck_assert_int_eq(look(chain, 2, "mta-sts.a.test", T0 + 10), 0);
}
END_TEST

START_TEST(test_first_sighting_only_seen)
{
	/* One host with its own certificate: nothing parsed, nothing kept. */
	certcache_add(chain, 2, T0 + 10);
	ck_assert_int_eq(look(chain, 2, "mta-sts.a.test", T0 + 10), 0);
}
END_TEST

START_TEST(test_second_sighting_verified)
{
	unsigned st = 0;

	certcache_add(chain, 2, T0 + 10);
	certcache_add(chain, 2, T0 + 11);
	ck_assert_int_eq(look(chain, 2, "mta-sts.a.test", T0 + 12), 1);
	ck_assert_int_eq(look(chain, 2, "MTA-STS.A.TEST", T0 + 12), 1);
	ck_assert_int_eq(look(chain, 2, "mta-sts.w.test", T0 + 12), 1);
	/* The name is checked on every hit. */
	ck_assert_int_eq(certcache_lookup(chain, 2, "mta-sts.b.test",
	    T0 + 12, &st), -1);
	ck_assert_uint_eq(st, GNUTLS_CERT_INVALID
	    | GNUTLS_CERT_UNEXPECTED_OWNER);
	ck_assert_int_eq(look(chain, 2, "a.b.w.test", T0 + 12), -1);
	ck_assert_int_eq(look(chain, 2, "a.test", T0 + 12), -1);
}
END_TEST

START_TEST(test_dates)
{
	certcache_add(chain, 2, T1 - 100);
	certcache_add(chain, 2, T1 - 100);
	ck_assert_int_eq(look(chain, 2, "mta-sts.a.test", T1 - 1), 1);
	/* Expired: back to the full check (which will refuse it). */
	ck_assert_int_eq(look(chain, 2, "mta-sts.a.test", T1), 0);
	/* Not yet valid (a clock moved back). */
	ck_assert_int_eq(look(chain, 2, "mta-sts.a.test", T0 - 1), 0);
}
END_TEST

START_TEST(test_ttl)
{
	certcache_add(chain, 2, T0 + 100);
	certcache_add(chain, 2, T0 + 100);
	ck_assert_int_eq(look(chain, 2, "mta-sts.a.test",
	    T0 + 100 + CERTCACHE_TTL - 1), 1);
	ck_assert_int_eq(look(chain, 2, "mta-sts.a.test",
	    T0 + 100 + CERTCACHE_TTL), 0);
}
END_TEST

START_TEST(test_other_chain_bytes)
{
	gnutls_datum_t c[2];
	unsigned char *copy;

	certcache_add(chain, 2, T0 + 10);
	certcache_add(chain, 2, T0 + 10);
	/* The leaf alone, or one byte changed: another chain. */
	ck_assert_int_eq(look(chain, 1, "mta-sts.a.test", T0 + 10), 0);
	copy = malloc(chain[0].size);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, chain[0].data, chain[0].size);
	copy[chain[0].size - 1] ^= 1;
	c[0].data = copy;
	c[0].size = chain[0].size;
	c[1] = chain[1];
	ck_assert_int_eq(look(c, 2, "mta-sts.a.test", T0 + 10), 0);
	/* Moving bytes between certificates changes the hash too. */
	c[0].data = chain[0].data;
	c[0].size = chain[0].size - 1;
	c[1].data = chain[0].data + chain[0].size - 1;
	c[1].size = 1;
	ck_assert_int_eq(look(c, 2, "mta-sts.a.test", T0 + 10), 0);
	free(copy);
}
END_TEST

START_TEST(test_garbage_never_verified)
{
	unsigned char junk[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
	gnutls_datum_t g = { junk, sizeof(junk) };

	certcache_add(&g, 1, T0);
	certcache_add(&g, 1, T0);
	ck_assert_int_eq(look(&g, 1, "mta-sts.a.test", T0), 0);
	/* No chain, or too long a chain: not cached, no crash. */
	certcache_add(chain, 0, T0);
	ck_assert_int_eq(look(chain, 0, "mta-sts.a.test", T0), 0);
	ck_assert_int_eq(look(NULL, 0, "mta-sts.a.test", T0), 0);
}
END_TEST

START_TEST(test_clear)
{
	certcache_add(chain, 2, T0 + 10);
	certcache_add(chain, 2, T0 + 10);
	certcache_clear();
	ck_assert_int_eq(look(chain, 2, "mta-sts.a.test", T0 + 10), 0);
}
END_TEST

/* Single flight ---------------------------------------------------- */

#define WORKERS	8
#define FAKE_WAIT_S 2

static pthread_mutex_t fake_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned fake_calls;		/* full verifications done */
static unsigned fake_status;		/* what they report */

/*
 * A full verification that counts itself; the first one holds on until
 * every other worker waits for it (or FAKE_WAIT_S passed), so that
 * all of them meet the chain while it is being verified.
 */
static unsigned
fake_full(void *arg)
{
	time_t until = time(NULL) + FAKE_WAIT_S;
	unsigned n;

	(void)arg;
	pthread_mutex_lock(&fake_mu);
	n = ++fake_calls;
	pthread_mutex_unlock(&fake_mu);
	if (n == 1)
		while (certcache_waiting() < WORKERS - 1 && time(NULL) <= until)
			sched_yield();
	return fake_status;
}

struct worker {
	pthread_t t;
	const char *host;
	unsigned status;
	int r;
};

static void *
verify_one(void *arg)
{
	struct worker *w = arg;

	w->r = certcache_verify_chain(chain, 2, w->host, T0 + 10,
	    &w->status, fake_full, NULL);
	return NULL;
}

/* WORKERS threads verify the one new chain at once; the last for b.test. */
static void
run_workers(struct worker *w)
{
	int i;

	fake_calls = 0;
	for (i = 0; i < WORKERS; i++) {
		w[i].host = i == WORKERS - 1 ? "mta-sts.b.test"
		    : "mta-sts.a.test";
		w[i].status = 0;
		ck_assert_int_eq(pthread_create(&w[i].t, NULL, verify_one,
		    &w[i]), 0);
	}
	for (i = 0; i < WORKERS; i++)
		pthread_join(w[i].t, NULL);
}

START_TEST(test_single_flight)
{
	struct worker w[WORKERS];
	int i, good = 0;

	fake_status = 0;
	run_workers(w);
	/* One full verification; the others only checked their name. */
	ck_assert_uint_eq(fake_calls, 1);
	for (i = 0; i < WORKERS; i++)
		if (w[i].r == 0)
			good++;
		else
			ck_assert_uint_eq(w[i].status, GNUTLS_CERT_INVALID
			    | GNUTLS_CERT_UNEXPECTED_OWNER);
	/* The verifier may be the b.test worker, whose own check failed. */
	ck_assert_int_ge(good, WORKERS - 2);
	ck_assert_int_eq(look(chain, 2, "mta-sts.a.test", T0 + 11), 1);
	ck_assert_uint_eq(certcache_waiting(), 0);
}
END_TEST

START_TEST(test_single_flight_failure)
{
	struct worker w[WORKERS];
	int i;

	/* A failure is not shared: every worker verifies for itself. */
	fake_status = GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_FOUND;
	run_workers(w);
	ck_assert_uint_eq(fake_calls, WORKERS);
	for (i = 0; i < WORKERS; i++) {
		ck_assert_int_eq(w[i].r, -1);
		ck_assert_uint_eq(w[i].status, fake_status);
	}
	ck_assert_int_eq(look(chain, 2, "mta-sts.a.test", T0 + 11), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("certcache");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_unknown);
	tcase_add_test(tc, test_first_sighting_only_seen);
	tcase_add_test(tc, test_second_sighting_verified);
	tcase_add_test(tc, test_dates);
	tcase_add_test(tc, test_ttl);
	tcase_add_test(tc, test_other_chain_bytes);
	tcase_add_test(tc, test_garbage_never_verified);
	tcase_add_test(tc, test_clear);
	tcase_add_test(tc, test_single_flight);
	tcase_add_test(tc, test_single_flight_failure);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
