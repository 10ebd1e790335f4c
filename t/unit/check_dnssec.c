/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for libnet/dnssec.c: trust anchor parsing, RRset and
 * DNSKEY verification, NSEC denials, the DS step of the walk, and the
 * whole state machine against a fake lookup function.  The zones are
 * signed here with fresh ECDSA P-256 keys (ldns_key_new_frm_algorithm,
 * ldns_sign_public) at a fixed clock, so nothing is read from disk and
 * the tests can move time.  No network.
 *
 * The signed world:  test. (the anchor: DS of its key)
 *	ok.test.	secure delegation (DS), www.ok.test A
 *	ins.test.	insecure delegation (NSEC: NS, no DS)
 *	n3.test.	secure delegation to a zone signed with NSEC3
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnssec.h"

#define NOW	((time_t)1700000000)
#define DAY	86400

static ldns_key *k_test, *k_ok, *k_other;

/* ldns_rr_compare() calls, counted (-Wl,--wrap=ldns_rr_compare). */
static unsigned long rr_compares;
int __real_ldns_rr_compare(const ldns_rr *a, const ldns_rr *b);
int __wrap_ldns_rr_compare(const ldns_rr *a, const ldns_rr *b);

int
__wrap_ldns_rr_compare(const ldns_rr *a, const ldns_rr *b)
{
	rr_compares++;
	return __real_ldns_rr_compare(a, b);
}
static ldns_rr *dnskey_test, *dnskey_ok, *dnskey_other, *ds_test, *ds_ok;

static ldns_rr *
rr(const char *s)
{
	ldns_rr *r = NULL;

	ck_assert_msg(ldns_rr_new_frm_str(&r, s, 60, NULL, NULL) == LDNS_STATUS_OK,
	    "%s", s);
	return r;
}

static ldns_rdf *
dn(const char *s)
{
	return ldns_dname_new_frm_str(s);
}

static ldns_key *
mkkey(const char *owner, ldns_rr **dnskey)
{
	ldns_key *k = ldns_key_new_frm_algorithm(LDNS_SIGN_ECDSAP256SHA256, 256);

	ck_assert_ptr_nonnull(k);
	ldns_key_set_pubkey_owner(k, dn(owner));
	ldns_key_set_flags(k, 257);
	*dnskey = ldns_key2rr(k);
	ldns_rr_set_ttl(*dnskey, 60);
	/* The tag was computed with the old flags. */
	ldns_key_set_keytag(k, ldns_calc_keytag(*dnskey));
	return k;
}

/* RRSIGs over set by k, valid from inc to exp (relative to NOW). */
static ldns_rr_list *
sign(const ldns_rr_list *set, ldns_key *k, long inc, long exp)
{
	ldns_key_list *kl = ldns_key_list_new();
	ldns_rr_list *sigs, *copy = ldns_rr_list_clone(set);

	ldns_key_set_inception(k, (uint32_t)(NOW + inc));
	ldns_key_set_expiration(k, (uint32_t)(NOW + exp));
	ldns_key_list_push_key(kl, k);
	sigs = ldns_sign_public(copy, kl);
	ck_assert_ptr_nonnull(sigs);
	ldns_rr_list_deep_free(copy);
	/* The list owns nothing else: free only its array. */
	ldns_key_list_set_key_count(kl, 0);
	ldns_key_list_free(kl);
	return sigs;
}

static ldns_rr_list *
one(ldns_rr *r)
{
	ldns_rr_list *l = ldns_rr_list_new();

	ldns_rr_list_push_rr(l, r);
	return l;
}

static void
setup(void)
{
	k_test = mkkey("test.", &dnskey_test);
	k_ok = mkkey("ok.test.", &dnskey_ok);
	k_other = mkkey("test.", &dnskey_other);
	ds_test = ldns_key_rr2ds(dnskey_test, LDNS_SHA256);
	ds_ok = ldns_key_rr2ds(dnskey_ok, LDNS_SHA256);
}

static void
teardown(void)
{
	ldns_key_deep_free(k_test);
	ldns_key_deep_free(k_ok);
	ldns_key_deep_free(k_other);
	ldns_rr_free(dnskey_test);
	ldns_rr_free(dnskey_ok);
	ldns_rr_free(dnskey_other);
	ldns_rr_free(ds_test);
	ldns_rr_free(ds_ok);
}

/*
 * Trust anchors.
 */

static const struct {
	const char *text;
	int ok;
	const char *err;	/* substring */
} anchor_cases[] = {
	{ "test. 60 IN DS 1234 13 2 "
	  "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\n", 1, NULL },
	{ "; comment\n\n$ORIGIN example.\n@ IN DS 1 8 2 "
	  "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF ; c\n"
	  ". IN DNSKEY 257 3 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1v"
	  "kIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtN"
	  "ROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8efS3rCj/EWg"
	  "vIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsI"
	  "XxuOLYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8sub"
	  "X2Nn6UwNR1AkUTV74bU= ; keytag 20326\n", 1, NULL },
	{ "test. 60 IN A 127.0.0.1\n", 0, "line 1: not a DS or DNSKEY" },
	{ "test. 60 CH DS 1 8 2 00\n", 0, "line 1" },
	{ "\n; only a comment\n", 0, "no DS or DNSKEY record" },
	{ "", 0, "no DS or DNSKEY record" },
	{ "test. IN DS 1 8 2 00\nthis is not a record\n", 0, "line 2" },
};

START_TEST(test_anchors)
{
	char err[200] = "";
	const char *t = anchor_cases[_i].text;
	struct dnssec_anchors *a = dnssec_anchors_parse(t, strlen(t), err,
	    sizeof(err));

	ck_assert_msg((a != NULL) == anchor_cases[_i].ok, "case %d: %s", _i, err);
	if (a == NULL)
		ck_assert_msg(strstr(err, anchor_cases[_i].err) != NULL,
		    "case %d: [%s]", _i, err);
	else
		ck_assert_uint_gt(dnssec_anchors_count(a), 0);
	dnssec_anchors_free(a);
}
END_TEST

START_TEST(test_anchors_load)
{
	char err[300];
	struct dnssec_anchors *a;

	a = dnssec_anchors_load("/nonexistent/root.key", err, sizeof(err));
	ck_assert_ptr_null(a);
	ck_assert_msg(strstr(err, "/nonexistent/root.key") != NULL, "%s", err);
}
END_TEST

/*
 * Signatures.
 */

START_TEST(test_verify_rrset)
{
	ldns_rr_list *set = one(rr("www.ok.test. 60 IN A 192.0.2.1"));
	ldns_rr_list *keys = one(ldns_rr_clone(dnskey_ok));
	ldns_rr_list *sigs = sign(set, k_ok, -DAY, 30 * DAY);
	ldns_rdf *zone = dn("ok.test."), *other = dn("test.");
	char err[200];

	ck_assert_int_eq(dnssec_verify_rrset(set, sigs, zone, keys, NOW, NULL, err,
	    sizeof(err)), 0);
	/* Outside the validity window. */
	ck_assert_int_eq(dnssec_verify_rrset(set, sigs, zone, keys, NOW + 31 * DAY,
	    NULL, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "expired") != NULL, "%s", err);
	ck_assert_int_eq(dnssec_verify_rrset(set, sigs, zone, keys, NOW - 2 * DAY,
	    NULL, err, sizeof(err)), -1);
	/* The signer must be the zone whose keys we hold. */
	ck_assert_int_eq(dnssec_verify_rrset(set, sigs, other, keys, NOW, NULL, err,
	    sizeof(err)), -1);
	/* No signatures. */
	{
		ldns_rr_list *none = ldns_rr_list_new();

		ck_assert_int_eq(dnssec_verify_rrset(set, none, zone, keys, NOW,
		    NULL, err, sizeof(err)), -1);
		ldns_rr_list_free(none);
	}
	/* A key of another zone, even with the right tag, does not count. */
	{
		ldns_rr_list *ok = one(ldns_rr_clone(dnskey_other));

		ck_assert_int_eq(dnssec_verify_rrset(set, sigs, zone, ok, NOW, NULL, err,
		    sizeof(err)), -1);
		ldns_rr_list_deep_free(ok);
	}
	/* Changed data. */
	ldns_rr_list_deep_free(set);
	set = one(rr("www.ok.test. 60 IN A 192.0.2.66"));
	ck_assert_int_eq(dnssec_verify_rrset(set, sigs, zone, keys, NOW, NULL, err,
	    sizeof(err)), -1);
	/* A revoked key or one without the zone flag verifies nothing. */
	ldns_rr_list_deep_free(set);
	set = one(rr("www.ok.test. 60 IN A 192.0.2.1"));
	ldns_rdf_deep_free(ldns_rr_set_rdf(ldns_rr_list_rr(keys, 0),
	    ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 1), 0));
	ck_assert_int_eq(dnssec_verify_rrset(set, sigs, zone, keys, NOW, NULL, err,
	    sizeof(err)), -1);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(keys);
	ldns_rr_list_deep_free(sigs);
	ldns_rdf_deep_free(zone);
	ldns_rdf_deep_free(other);
}
END_TEST

/*
 * RRSIG times more than 2^31 s apart (fuzz_dnssec's regression input:
 * inception 2706546560, expiration 1702592000): in serial arithmetic the
 * expiration comes first, so bogus; the subtraction once overflowed
 * int32_t (undefined behaviour, which the sanitizer build reports).  And
 * a window across the 2^32 wrap (year 2106) is valid inside it.
 */
START_TEST(test_sig_times_serial)
{
	ldns_rr_list *set = one(rr("www.ok.test. 60 IN A 192.0.2.1"));
	ldns_rr_list *keys = one(ldns_rr_clone(dnskey_ok));
	ldns_rr_list *sigs = sign(set, k_ok, 2706546560L - (long)NOW,
	    1702592000L - (long)NOW);
	ldns_rdf *zone = dn("ok.test.");
	char err[200];

	ck_assert_int_eq(dnssec_verify_rrset(set, sigs, zone, keys, NOW, NULL, err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, "nception") != NULL, "%s", err);
	ldns_rr_list_deep_free(sigs);
	sigs = sign(set, k_ok, 0xFFFF0000L - (long)NOW, 0x00010000L + 0x100000000L
	    - (long)NOW);
	ck_assert_int_eq(dnssec_verify_rrset(set, sigs, zone, keys,
	    (time_t)0x100000000LL + 0x1000, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(dnssec_verify_rrset(set, sigs, zone, keys,
	    (time_t)0x100000000LL + 0x20000, NULL, err, sizeof(err)), -1);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(keys);
	ldns_rr_list_deep_free(sigs);
	ldns_rdf_deep_free(zone);
}
END_TEST

START_TEST(test_verify_dnskeys)
{
	ldns_rr_list *set = ldns_rr_list_new(), *sigs, *keys, *trusted;
	ldns_rdf *zone = dn("test.");
	char err[200];

	ldns_rr_list_push_rr(set, ldns_rr_clone(dnskey_test));
	ldns_rr_list_push_rr(set, ldns_rr_clone(dnskey_other));
	sigs = sign(set, k_test, -DAY, DAY);
	/* By DS. */
	trusted = one(ldns_rr_clone(ds_test));
	keys = dnssec_verify_dnskeys(set, sigs, zone, trusted, NOW, NULL, err, sizeof(err));
	ck_assert_msg(keys != NULL, "%s", err);
	ck_assert_uint_eq(ldns_rr_list_rr_count(keys), 2);
	ldns_rr_list_deep_free(keys);
	ldns_rr_list_deep_free(trusted);
	/* By DNSKEY. */
	trusted = one(ldns_rr_clone(dnskey_test));
	keys = dnssec_verify_dnskeys(set, sigs, zone, trusted, NOW, NULL, err, sizeof(err));
	ck_assert_msg(keys != NULL, "%s", err);
	ldns_rr_list_deep_free(keys);
	ldns_rr_list_deep_free(trusted);
	/* The DS of a key that did not sign the set. */
	trusted = one(ldns_key_rr2ds(dnskey_other, LDNS_SHA256));
	ck_assert_ptr_null(dnssec_verify_dnskeys(set, sigs, zone, trusted, NOW,
	    NULL, err, sizeof(err)));
	ldns_rr_list_deep_free(trusted);
	/* A DS for another key altogether. */
	trusted = one(ldns_rr_clone(ds_ok));
	ck_assert_ptr_null(dnssec_verify_dnskeys(set, sigs, zone, trusted, NOW,
	    NULL, err, sizeof(err)));
	ck_assert_msg(strstr(err, "no DNSKEY matches") != NULL, "%s", err);
	ldns_rr_list_deep_free(trusted);
	/* Expired self-signature. */
	trusted = one(ldns_rr_clone(ds_test));
	ck_assert_ptr_null(dnssec_verify_dnskeys(set, sigs, zone, trusted,
	    NOW + 2 * DAY, NULL, err, sizeof(err)));
	ldns_rr_list_deep_free(trusted);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(sigs);
	ldns_rdf_deep_free(zone);
}
END_TEST

/*
 * NSEC denials over the zone ex. (b.ex. is an empty non-terminal,
 * del.ex. an insecure delegation, *.w.ex. a wildcard with TXT).
 */

static const char *const ex_nsecs[] = {
	"ex. 60 IN NSEC a.ex. NS SOA RRSIG NSEC DNSKEY",
	"a.ex. 60 IN NSEC c.b.ex. MX RRSIG NSEC",
	"c.b.ex. 60 IN NSEC del.ex. A RRSIG NSEC",
	"del.ex. 60 IN NSEC *.w.ex. NS RRSIG NSEC",
	"*.w.ex. 60 IN NSEC ex. TXT RRSIG NSEC",
};

static const struct {
	const char *name;
	ldns_rr_type type;
	int nxdomain, proven;
} deny_cases[] = {
	{ "a.ex.", LDNS_RR_TYPE_A, 0, 1 },
	{ "A.EX.", LDNS_RR_TYPE_A, 0, 1 },		/* case */
	{ "a.ex.", LDNS_RR_TYPE_MX, 0, 0 },		/* the type is there */
	{ "a.ex.", LDNS_RR_TYPE_A, 1, 0 },		/* the name is there */
	{ "b.ex.", LDNS_RR_TYPE_A, 0, 1 },		/* empty non-terminal */
	{ "b.ex.", LDNS_RR_TYPE_A, 1, 0 },
	{ "zz.a.ex.", LDNS_RR_TYPE_A, 1, 1 },
	{ "q.ex.", LDNS_RR_TYPE_A, 1, 1 },
	{ "q.ex.", LDNS_RR_TYPE_A, 0, 0 },		/* no wildcard NODATA */
	{ "x.del.ex.", LDNS_RR_TYPE_A, 1, 0 },		/* below a delegation */
	{ "del.ex.", LDNS_RR_TYPE_DS, 0, 1 },
	{ "del.ex.", LDNS_RR_TYPE_A, 0, 0 },		/* child's data */
	{ "v.w.ex.", LDNS_RR_TYPE_TXT, 1, 0 },		/* the wildcard matches */
	{ "v.w.ex.", LDNS_RR_TYPE_MX, 0, 1 },		/* wildcard NODATA */
	{ "v.w.ex.", LDNS_RR_TYPE_TXT, 0, 0 },
	{ "a.other.", LDNS_RR_TYPE_A, 1, 0 },		/* outside the zone */
};

START_TEST(test_deny)
{
	ldns_rr_list *nsecs = ldns_rr_list_new();
	ldns_rdf *zone = dn("ex."), *name = dn(deny_cases[_i].name);

	for (size_t i = 0; i < sizeof(ex_nsecs) / sizeof(ex_nsecs[0]); i++)
		ldns_rr_list_push_rr(nsecs, rr(ex_nsecs[i]));
	ck_assert_msg((dnssec_deny(name, deny_cases[_i].type,
	    deny_cases[_i].nxdomain, nsecs, zone) == 0) == deny_cases[_i].proven,
	    "%s type %d nxdomain %d", deny_cases[_i].name, deny_cases[_i].type,
	    deny_cases[_i].nxdomain);
	ldns_rr_list_deep_free(nsecs);
	/* Without the records nothing is proven. */
	nsecs = ldns_rr_list_new();
	ck_assert_int_eq(dnssec_deny(name, deny_cases[_i].type,
	    deny_cases[_i].nxdomain, nsecs, zone), -1);
	ldns_rr_list_free(nsecs);
	ldns_rdf_deep_free(zone);
	ldns_rdf_deep_free(name);
}
END_TEST

/*
 * Answers of the fake signed world.
 */

static void
push_signed(ldns_pkt *p, ldns_pkt_section sec, const char *text, ldns_key *k,
    long exp)
{
	ldns_rr_list *set = one(rr(text)), *sigs = sign(set, k, -DAY, exp);

	ldns_pkt_push_rr_list(p, sec, set);
	ldns_pkt_push_rr_list(p, sec, sigs);
	ldns_rr_list_free(set);
	ldns_rr_list_free(sigs);
}

static ldns_pkt *
pkt_new(ldns_pkt_rcode rc)
{
	ldns_pkt *p = ldns_pkt_new();

	ldns_pkt_set_qr(p, 1);
	ldns_pkt_set_rcode(p, rc);
	return p;
}

static void
push_keys(ldns_pkt *p, ldns_rr *key, ldns_key *k)
{
	ldns_rr_list *set = one(ldns_rr_clone(key)), *sigs = sign(set, k, -DAY, DAY);

	ldns_pkt_push_rr_list(p, LDNS_SECTION_ANSWER, set);
	ldns_pkt_push_rr_list(p, LDNS_SECTION_ANSWER, sigs);
	ldns_rr_list_free(set);
	ldns_rr_list_free(sigs);
}

/*
 * NSEC3: the zone n3.test. (DS in test.), signed here with
 * ldns_zone_sign_nsec3 at the fixed clock:
 *	n3.test. MX, mx.n3.test. A, a.b.n3.test. A (b.n3.test. is an
 *	empty non-terminal), *.w.n3.test. TXT, ins.n3.test. NS without DS.
 * optout.n3.test. is not in the zone: in the opt-out variant an
 * opt-out NSEC3 covers it, as it would an unsigned delegation left out
 * of the chain.  The proofs sent are picked from the signed zone with
 * ldns_nsec_covers_name(), ldns's own code, as the server would.
 */

static ldns_key *k_n3;
static ldns_rr *dnskey_n3, *ds_n3;
static ldns_rr_list *n3_rrs;		/* the signed zone, deep */
static uint16_t n3_iter;
static uint8_t n3_salt[4] = { 0xaa, 0xbb, 0xcc, 0xdd };

static const char *const n3_data[] = {
	"n3.test. 60 IN NS ns.test.",
	"n3.test. 60 IN MX 10 mx.n3.test.",
	"mx.n3.test. 60 IN A 192.0.2.1",
	"a.b.n3.test. 60 IN A 192.0.2.2",
	"*.w.n3.test. 60 IN TXT \"wild\"",
	"ins.n3.test. 60 IN NS ns.test.",
};

static void
n3_sign(uint8_t flags, uint16_t iter)
{
	ldns_zone *z = ldns_zone_new(), *signed_z;
	ldns_key_list *kl = ldns_key_list_new();

	ldns_zone_set_soa(z, rr("n3.test. 60 IN SOA ns.test. h.test. 1 60 30 600 5"));
	for (size_t i = 0; i < sizeof(n3_data) / sizeof(n3_data[0]); i++)
		ldns_zone_push_rr(z, rr(n3_data[i]));
	ldns_zone_push_rr(z, ldns_rr_clone(dnskey_n3));
	ldns_key_set_inception(k_n3, (uint32_t)(NOW - DAY));
	ldns_key_set_expiration(k_n3, (uint32_t)(NOW + DAY));
	ldns_key_list_push_key(kl, k_n3);
	signed_z = ldns_zone_sign_nsec3(z, kl, LDNS_SHA1, flags, iter,
	    sizeof(n3_salt), n3_salt);
	ck_assert_ptr_nonnull(signed_z);
	ldns_key_list_set_key_count(kl, 0);
	ldns_key_list_free(kl);
	ldns_rr_list_deep_free(n3_rrs);
	n3_rrs = ldns_rr_list_clone(ldns_zone_rrs(signed_z));
	ldns_rr_list_push_rr(n3_rrs, ldns_rr_clone(ldns_zone_soa(signed_z)));
	ldns_zone_deep_free(signed_z);
	ldns_zone_deep_free(z);
	n3_iter = iter;
}

static void
setup_n3(void)
{
	setup();
	k_n3 = mkkey("n3.test.", &dnskey_n3);
	ds_n3 = ldns_key_rr2ds(dnskey_n3, LDNS_SHA256);
	n3_rrs = NULL;
	n3_sign(0, 5);
}

static void
teardown_n3(void)
{
	ldns_rr_list_deep_free(n3_rrs);
	ldns_key_deep_free(k_n3);
	ldns_rr_free(dnskey_n3);
	ldns_rr_free(ds_n3);
	teardown();
}

/* The hashed owner name of name in n3.test. */
static ldns_rdf *
n3_hashed(const char *name)
{
	ldns_rdf *n = dn(name), *h, *zone = dn("n3.test.");

	h = ldns_nsec3_hash_name(n, 1, n3_iter, sizeof(n3_salt), n3_salt);
	ck_assert_int_eq(ldns_dname_cat(h, zone), LDNS_STATUS_OK);
	ldns_rdf_deep_free(n);
	ldns_rdf_deep_free(zone);
	return h;
}

/* Push the RRset (owner, type) of the signed zone and its RRSIGs. */
static void
n3_push_set(ldns_pkt *p, ldns_pkt_section sec, const ldns_rdf *owner,
    ldns_rr_type type)
{
	int found = 0;

	for (size_t i = 0; i < ldns_rr_list_rr_count(n3_rrs); i++) {
		ldns_rr *r = ldns_rr_list_rr(n3_rrs, i);
		ldns_rr_type t = ldns_rr_get_type(r);

		if (ldns_dname_compare(ldns_rr_owner(r), owner) != 0)
			continue;
		if (t == type || (t == LDNS_RR_TYPE_RRSIG && ldns_rdf2rr_type(
		    ldns_rr_rrsig_typecovered(r)) == type)) {
			ldns_pkt_push_rr(p, sec, ldns_rr_clone(r));
			found += t == type;
		}
	}
	ck_assert_msg(found > 0, "no such RRset in n3.test.");
}

static size_t
pick_count(const ldns_rr_list *l, const ldns_rdf *owner)
{
	size_t n = 0;

	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++)
		n += ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(l, i)),
		    owner) == 0;
	return n;
}

/*
 * Push the NSEC3 matching (match) or covering name, with its RRSIG.
 * Hashes at 5 iterations, salt AABBCCDD: 069m w, 10vf ins, 2aqn x.w,
 * 3faq mx, 85p6 nope, bkvm optout, c7k4 *, h6un b, jo3r zz, nhap *.w,
 * t5ch the apex, u6h9 a.b: zz, * and the apex need three NSEC3s.
 */
static void
n3_push(ldns_pkt *p, const char *name, int match)
{
	ldns_rdf *h = n3_hashed(name);
	const ldns_rdf *owner = NULL;

	for (size_t i = 0; i < ldns_rr_list_rr_count(n3_rrs) && !owner; i++) {
		ldns_rr *r = ldns_rr_list_rr(n3_rrs, i);
		int eq = ldns_dname_compare(ldns_rr_owner(r), h) == 0;

		if (ldns_rr_get_type(r) != LDNS_RR_TYPE_NSEC3)
			continue;
		if (match ? eq : !eq && ldns_nsec_covers_name(r, h))
			owner = ldns_rr_owner(r);
	}
	ck_assert_msg(owner != NULL, "no NSEC3 %s %s", match ? "matches" : "covers",
	    name);
	/* One NSEC3 may be needed twice; a server sends it once. */
	if (pick_count(ldns_pkt_authority(p), owner) == 0)
		n3_push_set(p, LDNS_SECTION_AUTHORITY, owner, LDNS_RR_TYPE_NSEC3);
	ldns_rdf_deep_free(h);
}

static void
n3_push_soa(ldns_pkt *p)
{
	ldns_rdf *apex = dn("n3.test.");

	n3_push_set(p, LDNS_SECTION_AUTHORITY, apex, LDNS_RR_TYPE_SOA);
	ldns_rdf_deep_free(apex);
}

/* A DS lookup below n3.test., answered from the NSEC3 zone. */
static ldns_pkt *
n3_ds_answer(const char *name)
{
	ldns_pkt *p = pkt_new(LDNS_RCODE_NOERROR);

	n3_push_soa(p);
	if (strcmp(name, "ins.n3.test.") == 0) {
		n3_push(p, name, 1);
	} else {
		/* Not in the zone: the closest encloser is the apex. */
		ldns_pkt_set_rcode(p, LDNS_RCODE_NXDOMAIN);
		n3_push(p, "n3.test.", 1);
		n3_push(p, name, 0);
		n3_push(p, "*.n3.test.", 0);
	}
	return p;
}

static int corrupt_ds;		/* the fake server tampers with DS ok.test. */
static int flip_dnskey;		/* the fake server sets NXDOMAIN on DNSKEY */
static int trap;		/* KeyTrap keys (1), and signatures (2) */
static void push_trap_keys(ldns_pkt *p);

/* What the fake resolver answers for name/type. */
static ldns_pkt *
world_answer(const char *name, int type)
{
	ldns_pkt *p;

	if (strcmp(name, "test.") == 0 && type == LDNS_RR_TYPE_DNSKEY) {
		p = pkt_new(LDNS_RCODE_NOERROR);
		push_keys(p, dnskey_test, k_test);
	} else if (strcmp(name, "ok.test.") == 0 && type == LDNS_RR_TYPE_DNSKEY) {
		p = pkt_new(LDNS_RCODE_NOERROR);
		if (trap)
			push_trap_keys(p);
		else
			push_keys(p, dnskey_ok, k_ok);
	} else if (strcmp(name, "ok.test.") == 0 && type == LDNS_RR_TYPE_DS) {
		ldns_rr_list *set = one(ldns_rr_clone(ds_ok)), *sigs;

		/* A signed DS that matches no key of ok.test. */
		if (corrupt_ds) {
			ldns_rr_list_deep_free(set);
			set = one(ldns_key_rr2ds(dnskey_other, LDNS_SHA256));
			ldns_rdf_deep_free(ldns_rr_owner(ldns_rr_list_rr(set, 0)));
			ldns_rr_set_owner(ldns_rr_list_rr(set, 0), dn("ok.test."));
		}
		sigs = sign(set, k_test, -DAY, DAY);
		p = pkt_new(LDNS_RCODE_NOERROR);
		ldns_pkt_push_rr_list(p, LDNS_SECTION_ANSWER, set);
		ldns_pkt_push_rr_list(p, LDNS_SECTION_ANSWER, sigs);
		ldns_rr_list_free(set);
		ldns_rr_list_free(sigs);
	} else if (strcmp(name, "ins.test.") == 0 && type == LDNS_RR_TYPE_DS) {
		p = pkt_new(LDNS_RCODE_NOERROR);
		push_signed(p, LDNS_SECTION_AUTHORITY,
		    "ins.test. 60 IN NSEC ok.test. NS RRSIG NSEC", k_test, DAY);
	} else if (strcmp(name, "www.ok.test.") == 0 && type == LDNS_RR_TYPE_DS) {
		p = pkt_new(LDNS_RCODE_NOERROR);
		push_signed(p, LDNS_SECTION_AUTHORITY,
		    "www.ok.test. 60 IN NSEC ok.test. A RRSIG NSEC", k_ok, DAY);
	} else if (strcmp(name, "n3.test.") == 0 && type == LDNS_RR_TYPE_DNSKEY) {
		p = pkt_new(LDNS_RCODE_NOERROR);
		push_keys(p, dnskey_n3, k_n3);
	} else if (strcmp(name, "n3.test.") == 0 && type == LDNS_RR_TYPE_DS) {
		ldns_rr_list *set = one(ldns_rr_clone(ds_n3)), *sigs;

		sigs = sign(set, k_test, -DAY, DAY);
		p = pkt_new(LDNS_RCODE_NOERROR);
		ldns_pkt_push_rr_list(p, LDNS_SECTION_ANSWER, set);
		ldns_pkt_push_rr_list(p, LDNS_SECTION_ANSWER, sigs);
		ldns_rr_list_free(set);
		ldns_rr_list_free(sigs);
	} else if (n3_rrs != NULL && type == LDNS_RR_TYPE_DS
	    && strlen(name) > 9 && strcmp(name + strlen(name) - 9, ".n3.test.") == 0) {
		p = n3_ds_answer(name);
	} else {
		p = pkt_new(LDNS_RCODE_SERVFAIL);
	}
	if (flip_dnskey && type == LDNS_RR_TYPE_DNSKEY)
		ldns_pkt_set_rcode(p, LDNS_RCODE_NXDOMAIN);
	return p;
}

/* Fake io: lookups queue up and are answered by run(). */
struct pending {
	char name[256];
	int type, live;
	dnssec_fetch_cb cb;
	void *arg;
};

static struct pending queue[64];
static int nqueue, nfetches;
static time_t clock_now;

static void *
fake_fetch(void *ctx, const char *name, int type, dnssec_fetch_cb cb, void *arg)
{
	struct pending *p = &queue[nqueue++];

	(void)ctx;
	ck_assert_int_lt(nqueue, 64);
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->type = type;
	p->cb = cb;
	p->arg = arg;
	p->live = 1;
	nfetches++;
	return p;
}

static void
fake_cancel(void *ctx, void *h)
{
	(void)ctx;
	((struct pending *)h)->live = 0;
}

static time_t
fake_now(void *ctx)
{
	(void)ctx;
	return clock_now;
}

static void
run(void)
{
	for (int i = 0; i < nqueue; i++) {
		ldns_pkt *p;

		if (!queue[i].live)
			continue;
		queue[i].live = 0;
		p = world_answer(queue[i].name, queue[i].type);
		queue[i].cb(queue[i].arg, p, NULL);
		ldns_pkt_free(p);
	}
}

struct outcome {
	int calls;
	enum dnssec_verdict v;
	char why[256];
};

static void
done(void *arg, enum dnssec_verdict v, const char *why)
{
	struct outcome *o = arg;

	o->calls++;
	o->v = v;
	snprintf(o->why, sizeof(o->why), "%s", why);
}

static struct dnssec *
world_validator(void)
{
	struct dnssec_io io = { fake_fetch, fake_cancel, fake_now, NULL };
	char text[512], *s = ldns_rr2str(ds_test), err[200];
	struct dnssec_anchors *a;

	snprintf(text, sizeof(text), "%s", s);
	free(s);
	a = dnssec_anchors_parse(text, strlen(text), err, sizeof(err));
	ck_assert_msg(a != NULL, "%s", err);
	nqueue = nfetches = 0;
	corrupt_ds = flip_dnskey = trap = 0;
	clock_now = NOW;
	return dnssec_new(a, &io);
}

static enum dnssec_verdict
check_answer(struct dnssec *v, ldns_pkt *p, const char *qname, int qtype,
    char *why, size_t len)
{
	struct outcome o = { 0, DNSSEC_PENDING, "" };
	struct dnssec_job *job;
	enum dnssec_verdict r;

	r = dnssec_validate(v, p, qname, qtype, done, &o, &job, why, len);
	if (r != DNSSEC_PENDING) {
		ck_assert_ptr_null(job);
		return r;
	}
	ck_assert_ptr_nonnull(job);
	run();
	ck_assert_int_eq(o.calls, 1);
	snprintf(why, len, "%s", o.why);
	return o.v;
}

/*
 * Validate p as the answer to qname/qtype and want the verdict want,
 * for bogus with sub in the reason; case n of a table.  Frees p and v.
 */
static void
expect(struct dnssec *v, ldns_pkt *p, const char *qname, int qtype,
    enum dnssec_verdict want, const char *sub, int n)
{
	enum dnssec_verdict got;
	char why[256] = "";

	got = check_answer(v, p, qname, qtype, why, sizeof(why));
	ck_assert_msg(got == want, "case %d: %s (%s)", n, dnssec_verdict_name(got),
	    why);
	if (got == DNSSEC_BOGUS)
		ck_assert_msg(strstr(why, sub) != NULL, "case %d: %s", n, why);
	ldns_pkt_free(p);
	dnssec_free(v);
}

enum answer_kind {
	A_SIGNED, A_TAMPERED, A_UNSIGNED, A_EXPIRED_SIG, A_INSECURE, A_OUTSIDE,
	A_NXDOMAIN, A_NXDOMAIN_NOPROOF, A_CNAME_INTO_INSECURE, A_CORRUPT_DS,
	A_LATE_CLOCK
};

static const struct {
	enum answer_kind kind;
	const char *qname;
	enum dnssec_verdict want;
	const char *why;	/* substring, for bogus */
} walk_cases[] = {
	{ A_SIGNED, "www.ok.test.", DNSSEC_SECURE, "" },
	{ A_SIGNED, "www.ok.test", DNSSEC_SECURE, "" },	/* no final dot */
	{ A_TAMPERED, "www.ok.test.", DNSSEC_BOGUS, "Bogus DNSSEC signature" },
	{ A_UNSIGNED, "www.ok.test.", DNSSEC_BOGUS, "no signature" },
	{ A_EXPIRED_SIG, "www.ok.test.", DNSSEC_BOGUS, "expired" },
	{ A_INSECURE, "mx.ins.test.", DNSSEC_INSECURE, "" },
	{ A_OUTSIDE, "www.example.org.", DNSSEC_INSECURE, "" },
	{ A_NXDOMAIN, "nope.ok.test.", DNSSEC_SECURE, "" },
	{ A_NXDOMAIN_NOPROOF, "nope.ok.test.", DNSSEC_BOGUS, "NSEC" },
	{ A_CNAME_INTO_INSECURE, "alias.ok.test.", DNSSEC_INSECURE, "" },
	{ A_CORRUPT_DS, "www.ok.test.", DNSSEC_BOGUS, "DNSKEY ok.test.: no DNSKEY matches" },
	{ A_LATE_CLOCK, "www.ok.test.", DNSSEC_BOGUS, "expired" },
};

START_TEST(test_walk)
{
	struct dnssec *v = world_validator();
	ldns_pkt *p = pkt_new(LDNS_RCODE_NOERROR);
	int qtype = LDNS_RR_TYPE_A;

	switch (walk_cases[_i].kind) {
	case A_SIGNED:
	case A_CORRUPT_DS:
	case A_LATE_CLOCK:
		push_signed(p, LDNS_SECTION_ANSWER, "www.ok.test. 60 IN A 192.0.2.1",
		    k_ok, 30 * DAY);
		corrupt_ds = walk_cases[_i].kind == A_CORRUPT_DS;
		if (walk_cases[_i].kind == A_LATE_CLOCK)
			clock_now = NOW + 2 * DAY;	/* DNSKEY sigs expired */
		break;
	case A_TAMPERED: {
		ldns_rr_list *set = one(rr("www.ok.test. 60 IN A 192.0.2.1"));
		ldns_rr_list *sigs = sign(set, k_ok, -DAY, DAY);

		ldns_rr_list_deep_free(set);
		set = one(rr("www.ok.test. 60 IN A 192.0.2.66"));
		ldns_pkt_push_rr_list(p, LDNS_SECTION_ANSWER, set);
		ldns_pkt_push_rr_list(p, LDNS_SECTION_ANSWER, sigs);
		ldns_rr_list_free(set);
		ldns_rr_list_free(sigs);
		break;
	}
	case A_UNSIGNED:
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER,
		    rr("www.ok.test. 60 IN A 192.0.2.1"));
		break;
	case A_EXPIRED_SIG:
		push_signed(p, LDNS_SECTION_ANSWER, "www.ok.test. 60 IN A 192.0.2.1",
		    k_ok, -10);
		break;
	case A_INSECURE:
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER,
		    rr("mx.ins.test. 60 IN A 192.0.2.9"));
		break;
	case A_OUTSIDE:
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER,
		    rr("www.example.org. 60 IN A 192.0.2.9"));
		break;
	case A_NXDOMAIN:
	case A_NXDOMAIN_NOPROOF:
		ldns_pkt_set_rcode(p, LDNS_RCODE_NXDOMAIN);
		push_signed(p, LDNS_SECTION_AUTHORITY, "ok.test. 60 IN SOA ns.test. "
		    "h.test. 1 60 30 600 5", k_ok, DAY);
		if (walk_cases[_i].kind == A_NXDOMAIN)
			push_signed(p, LDNS_SECTION_AUTHORITY, "ok.test. 60 IN NSEC "
			    "www.ok.test. NS SOA RRSIG NSEC DNSKEY", k_ok, DAY);
		break;
	case A_CNAME_INTO_INSECURE:
		push_signed(p, LDNS_SECTION_ANSWER,
		    "alias.ok.test. 60 IN CNAME mx.ins.test.", k_ok, DAY);
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER,
		    rr("mx.ins.test. 60 IN A 192.0.2.9"));
		break;
	}
	expect(v, p, walk_cases[_i].qname, qtype, walk_cases[_i].want,
	    walk_cases[_i].why, _i);
}
END_TEST

/* A cancelled job never calls back and frees everything (valgrind/ASan). */
START_TEST(test_cancel)
{
	struct dnssec *v = world_validator();
	ldns_pkt *p = pkt_new(LDNS_RCODE_NOERROR);
	struct outcome o = { 0, DNSSEC_PENDING, "" };
	struct dnssec_job *job;
	char why[100];

	push_signed(p, LDNS_SECTION_ANSWER, "www.ok.test. 60 IN A 192.0.2.1", k_ok,
	    DAY);
	ck_assert_int_eq(dnssec_validate(v, p, "www.ok.test.", LDNS_RR_TYPE_A,
	    done, &o, &job, why, sizeof(why)), DNSSEC_PENDING);
	ck_assert_int_eq(nqueue, 1);
	dnssec_cancel(job);
	ck_assert_int_eq(queue[0].live, 0);
	run();
	ck_assert_int_eq(o.calls, 0);
	ldns_pkt_free(p);
	dnssec_free(v);
}
END_TEST

/* Error rcodes carry nothing to validate: no lookup, no callback. */
START_TEST(test_servfail)
{
	struct dnssec *v = world_validator();
	ldns_pkt *p = pkt_new(LDNS_RCODE_SERVFAIL);
	struct dnssec_job *job;
	char why[100];

	ck_assert_int_eq(dnssec_validate(v, p, "www.ok.test.", LDNS_RR_TYPE_A,
	    done, NULL, &job, why, sizeof(why)), DNSSEC_INSECURE);
	ck_assert_ptr_null(job);
	ck_assert_int_eq(nfetches, 0);
	ldns_pkt_free(p);
	dnssec_free(v);
}
END_TEST

/*
 * The rcode must agree with the sections (security review, issue 12
 * item 1): an on-path attacker flips four header bits, the signatures
 * still verify, and DANE would read "no such domain" or "no TLSA".
 */
enum rc_kind {
	RC_DATA, RC_TLSA, RC_NODATA_PROOF, RC_NX_PROOF, RC_SOA_ONLY,
	RC_CNAME_NX, RC_CNAME_DATA
};

#define TLSA_OWNER	"_25._tcp.www.ok.test."

static const struct {
	enum rc_kind kind;
	ldns_pkt_rcode rcode;
	const char *qname;
	int qtype;
	enum dnssec_verdict want;
	const char *why;	/* substring, for bogus */
} rcode_cases[] = {
	{ RC_DATA, LDNS_RCODE_NOERROR, "www.ok.test.", LDNS_RR_TYPE_A,
	  DNSSEC_SECURE, "" },
	/* The fuzzer's reproducer: a signed A answer with rcode 3. */
	{ RC_DATA, LDNS_RCODE_NXDOMAIN, "www.ok.test.", LDNS_RR_TYPE_A,
	  DNSSEC_BOGUS, "NXDOMAIN with the data" },
	{ RC_TLSA, LDNS_RCODE_NOERROR, TLSA_OWNER, LDNS_RR_TYPE_TLSA,
	  DNSSEC_SECURE, "" },
	{ RC_TLSA, LDNS_RCODE_NXDOMAIN, TLSA_OWNER, LDNS_RR_TYPE_TLSA,
	  DNSSEC_BOGUS, "NXDOMAIN with the data" },
	{ RC_NODATA_PROOF, LDNS_RCODE_NOERROR, "www.ok.test.", LDNS_RR_TYPE_TXT,
	  DNSSEC_SECURE, "" },
	/* NODATA flipped to NXDOMAIN: the NSEC shows the name. */
	{ RC_NODATA_PROOF, LDNS_RCODE_NXDOMAIN, "www.ok.test.", LDNS_RR_TYPE_TXT,
	  DNSSEC_BOGUS, "do not prove the NXDOMAIN" },
	{ RC_NX_PROOF, LDNS_RCODE_NXDOMAIN, "nope.ok.test.", LDNS_RR_TYPE_A,
	  DNSSEC_SECURE, "" },
	/* NXDOMAIN flipped to NOERROR: empty, so NODATA, unproven. */
	{ RC_NX_PROOF, LDNS_RCODE_NOERROR, "nope.ok.test.", LDNS_RR_TYPE_A,
	  DNSSEC_BOGUS, "do not prove the NODATA" },
	/* NOERROR and an empty answer without any NSEC: no NODATA proof. */
	{ RC_SOA_ONLY, LDNS_RCODE_NOERROR, "www.ok.test.", LDNS_RR_TYPE_TXT,
	  DNSSEC_BOGUS, "no NSEC or NSEC3" },
	{ RC_SOA_ONLY, LDNS_RCODE_NXDOMAIN, "nope.ok.test.", LDNS_RR_TYPE_A,
	  DNSSEC_BOGUS, "no NSEC or NSEC3" },
	/* RFC 6604: the rcode of a chain speaks of its last name. */
	{ RC_CNAME_NX, LDNS_RCODE_NXDOMAIN, "alias.ok.test.", LDNS_RR_TYPE_A,
	  DNSSEC_SECURE, "" },
	{ RC_CNAME_NX, LDNS_RCODE_NOERROR, "alias.ok.test.", LDNS_RR_TYPE_A,
	  DNSSEC_BOGUS, "do not prove the NODATA" },
	{ RC_CNAME_DATA, LDNS_RCODE_NOERROR, "alias.ok.test.", LDNS_RR_TYPE_A,
	  DNSSEC_SECURE, "" },
	{ RC_CNAME_DATA, LDNS_RCODE_NXDOMAIN, "alias.ok.test.", LDNS_RR_TYPE_A,
	  DNSSEC_BOGUS, "NXDOMAIN with the data" },
};

START_TEST(test_rcode)
{
	struct dnssec *v = world_validator();
	ldns_pkt *p = pkt_new(rcode_cases[_i].rcode);

	switch (rcode_cases[_i].kind) {
	case RC_CNAME_DATA:
		push_signed(p, LDNS_SECTION_ANSWER,
		    "alias.ok.test. 60 IN CNAME www.ok.test.", k_ok, DAY);
		/* FALLTHROUGH */
	case RC_DATA:
		push_signed(p, LDNS_SECTION_ANSWER, "www.ok.test. 60 IN A 192.0.2.1",
		    k_ok, DAY);
		break;
	case RC_TLSA:
		push_signed(p, LDNS_SECTION_ANSWER, TLSA_OWNER " 60 IN TLSA 3 1 1 "
		    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		    k_ok, DAY);
		break;
	case RC_NODATA_PROOF:
		push_signed(p, LDNS_SECTION_AUTHORITY, "www.ok.test. 60 IN NSEC "
		    "ok.test. A RRSIG NSEC", k_ok, DAY);
		break;
	case RC_CNAME_NX:
		push_signed(p, LDNS_SECTION_ANSWER,
		    "alias.ok.test. 60 IN CNAME nope.ok.test.", k_ok, DAY);
		/* FALLTHROUGH */
	case RC_NX_PROOF:
		push_signed(p, LDNS_SECTION_AUTHORITY, "ok.test. 60 IN NSEC "
		    "www.ok.test. NS SOA RRSIG NSEC DNSKEY", k_ok, DAY);
		break;
	case RC_SOA_ONLY:
		break;
	}
	if (rcode_cases[_i].kind != RC_DATA && rcode_cases[_i].kind != RC_TLSA
	    && rcode_cases[_i].kind != RC_CNAME_DATA)
		push_signed(p, LDNS_SECTION_AUTHORITY, "ok.test. 60 IN SOA ns.test. "
		    "h.test. 1 60 30 600 5", k_ok, DAY);
	expect(v, p, rcode_cases[_i].qname, rcode_cases[_i].qtype,
	    rcode_cases[_i].want, rcode_cases[_i].why, _i);
}
END_TEST

/*
 * Any rcode but NOERROR and NXDOMAIN is an error: never secure, however
 * well signed the sections, and passed on with its rcode (the caller
 * sees the error); no lookup is made for it.
 */
START_TEST(test_error_rcodes)
{
	struct dnssec *v = world_validator();
	struct dnssec_job *job;
	char why[100];

	for (int rc = 0; rc < 16; rc++) {
		ldns_pkt *p;

		if (rc == LDNS_RCODE_NOERROR || rc == LDNS_RCODE_NXDOMAIN)
			continue;
		p = pkt_new((ldns_pkt_rcode)rc);
		push_signed(p, LDNS_SECTION_ANSWER, "www.ok.test. 60 IN A 192.0.2.1",
		    k_ok, DAY);
		ck_assert_msg(dnssec_validate(v, p, "www.ok.test.", LDNS_RR_TYPE_A,
		    done, NULL, &job, why, sizeof(why)) != DNSSEC_SECURE,
		    "rcode %d", rc);
		ck_assert_ptr_null(job);
		ldns_pkt_free(p);
	}
	ck_assert_int_eq(nfetches, 0);
	dnssec_free(v);
}
END_TEST

/* DNSKEY and DS responses: keys or a DS RRset under NXDOMAIN are bogus. */
START_TEST(test_fetch_rcode)
{
	ldns_rr_list *keys = one(ldns_rr_clone(dnskey_test)), *ds;
	ldns_rdf *zone = dn("test."), *c = dn("ok.test.");
	ldns_pkt *p = world_answer("ok.test.", LDNS_RR_TYPE_DS);
	char err[200];

	ldns_pkt_set_rcode(p, LDNS_RCODE_NXDOMAIN);
	ck_assert_int_eq(dnssec_ds_step(p, c, zone, keys, NOW, NULL, &ds, err,
	    sizeof(err)), DNSSEC_DS_BOGUS);
	ck_assert_ptr_null(ds);
	ck_assert_msg(strstr(err, "NXDOMAIN") != NULL, "%s", err);
	ldns_pkt_free(p);
	ldns_rr_list_deep_free(keys);
	ldns_rdf_deep_free(zone);
	ldns_rdf_deep_free(c);
}
END_TEST

START_TEST(test_dnskey_rcode)
{
	struct dnssec *v = world_validator();
	ldns_pkt *p = pkt_new(LDNS_RCODE_NOERROR);
	char why[256] = "";

	push_signed(p, LDNS_SECTION_ANSWER, "www.ok.test. 60 IN A 192.0.2.1",
	    k_ok, DAY);
	flip_dnskey = 1;
	ck_assert_int_eq(check_answer(v, p, "www.ok.test.", LDNS_RR_TYPE_A, why,
	    sizeof(why)), DNSSEC_BOGUS);
	ck_assert_msg(strstr(why, "DNSKEY test.") != NULL
	    && strstr(why, "rcode 3") != NULL, "%s", why);
	flip_dnskey = 0;
	ldns_pkt_free(p);
	dnssec_free(v);
}
END_TEST

/*
 * KeyTrap (CVE-2023-50387; security review, issue 12 item 11): many
 * RRSIGs against many DNSKEYs sharing one key tag.  The work is counted
 * in signature checks (struct dnssec_budget, dnssec_stats()), not time.
 * The fake keys are the real one with two public-key bytes of the same
 * parity swapped: the key tag, a sum over 16-bit words, stays.  The
 * real key and the real signature come last, so that without the caps
 * the crafted answer verifies, after TRAP_N * TRAP_N checks.
 */
#define TRAP_N	40

/* Is rr in l? */
static int
in_list(const ldns_rr_list *l, const ldns_rr *rr)
{
	for (size_t j = 0; j < ldns_rr_list_rr_count(l); j++)
		if (ldns_rr_compare(rr, ldns_rr_list_rr(l, j)) == 0)
			return 1;
	return 0;
}

/* n DNSKEYs with the tag and algorithm of key, key itself last; deep. */
static ldns_rr_list *
colliding_keys(const ldns_rr *key, int n)
{
	ldns_rr_list *l = ldns_rr_list_new();
	size_t len = ldns_rdf_size(ldns_rr_rdf(key, 3));

	ldns_rr_list_push_rr(l, ldns_rr_clone(key));
	for (size_t a = 0; a < len && (int)ldns_rr_list_rr_count(l) < n; a++)
		for (size_t b = a + 2; b < len
		    && (int)ldns_rr_list_rr_count(l) < n; b += 2) {
			ldns_rr *k = ldns_rr_clone(key);
			uint8_t *d = ldns_rdf_data(ldns_rr_rdf(k, 3)), t = d[a];

			d[a] = d[b];
			d[b] = t;
			ck_assert_uint_eq(ldns_calc_keytag(k), ldns_calc_keytag(key));
			if (in_list(l, k))
				ldns_rr_free(k);
			else
				ldns_rr_list_push_rr(l, k);
		}
	ck_assert_int_eq((int)ldns_rr_list_rr_count(l), n);
	/* The real key last: it swaps places with the last fake. */
	{
		ldns_rr *real = ldns_rr_list_rr(l, 0), *fake = ldns_rr_list_pop_rr(l);

		ldns_rr_list_set_rr(l, fake, 0);
		ldns_rr_list_push_rr(l, real);
	}
	return l;
}

/* n RRSIGs over set as k's, the first n - 1 not verifying; deep. */
static ldns_rr_list *
trap_sigs(const ldns_rr_list *set, ldns_key *k, int n)
{
	ldns_rr_list *real = sign(set, k, -DAY, DAY), *l = ldns_rr_list_new();

	for (int i = 0; i < n - 1; i++) {
		ldns_rr *sig = ldns_rr_clone(ldns_rr_list_rr(real, 0));
		ldns_rdf *bytes = ldns_rr_rdf(sig, 8);

		ldns_rdf_data(bytes)[(size_t)i % ldns_rdf_size(bytes)] ^= 0x5a;
		ldns_rr_list_push_rr(l, sig);
	}
	ldns_rr_list_push_rr(l, ldns_rr_list_pop_rr(real));
	ldns_rr_list_deep_free(real);
	return l;
}

/* The DNSKEY answer of ok.test. with TRAP_N colliding keys. */
static void
push_trap_keys(ldns_pkt *p)
{
	ldns_rr_list *set = colliding_keys(dnskey_ok, TRAP_N), *sigs;

	sigs = trap == 2 ? trap_sigs(set, k_ok, TRAP_N) : sign(set, k_ok, -DAY, DAY);
	ldns_pkt_push_rr_list(p, LDNS_SECTION_ANSWER, set);
	ldns_pkt_push_rr_list(p, LDNS_SECTION_ANSWER, sigs);
	ldns_rr_list_free(set);
	ldns_rr_list_free(sigs);
}

START_TEST(test_keytrap_rrset)
{
	ldns_rr_list *set = one(rr("www.ok.test. 60 IN A 192.0.2.1"));
	ldns_rr_list *keys = colliding_keys(dnskey_ok, TRAP_N);
	ldns_rr_list *sigs = trap_sigs(set, k_ok, TRAP_N), *pair;
	struct dnssec_budget b = { 0, 0, DNSSEC_CAP_NONE };
	ldns_rdf *zone = dn("ok.test.");
	char err[200];
	int rc;

	ck_assert_uint_eq(ldns_rr_list_rr_count(keys), TRAP_N);
	rc = dnssec_verify_rrset(set, sigs, zone, keys, NOW, &b, err, sizeof(err));
	ck_assert_msg(rc == -1, "crafted RRset verified after %u checks", b.query);
	ck_assert_msg(strstr(err, "validation cap") != NULL, "%s", err);
	ck_assert_int_ne(b.cap, DNSSEC_CAP_NONE);
	ck_assert_uint_le(b.query, DNSSEC_MAX_RRSET_CHECKS);
	/* Once capped, the query's budget verifies nothing more. */
	ck_assert_int_eq(dnssec_verify_rrset(set, sigs, zone, keys, NOW, &b, err,
	    sizeof(err)), -1);
	ck_assert_uint_le(b.query, DNSSEC_MAX_RRSET_CHECKS);
	/* Two keys may share a tag: the real one, second, is tried. */
	pair = ldns_rr_list_new();
	ldns_rr_list_push_rr(pair, ldns_rr_clone(ldns_rr_list_rr(keys, 0)));
	ldns_rr_list_push_rr(pair, ldns_rr_clone(dnskey_ok));
	ldns_rr_list_deep_free(sigs);
	sigs = sign(set, k_ok, -DAY, DAY);
	memset(&b, 0, sizeof(b));
	ck_assert_int_eq(dnssec_verify_rrset(set, sigs, zone, pair, NOW, &b, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(b.query, 2);
	/* A third key of that tag is not: no signature verifies. */
	ldns_rr_list_deep_free(pair);
	pair = ldns_rr_list_new();
	for (int i = 0; i < 2; i++)
		ldns_rr_list_push_rr(pair, ldns_rr_clone(ldns_rr_list_rr(keys, i)));
	ldns_rr_list_push_rr(pair, ldns_rr_clone(dnskey_ok));
	memset(&b, 0, sizeof(b));
	ck_assert_int_eq(dnssec_verify_rrset(set, sigs, zone, pair, NOW, &b, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(b.cap, DNSSEC_CAP_KEYTAG);
	ck_assert_uint_eq(b.query, DNSSEC_MAX_KEYTAG_KEYS);
	ldns_rr_list_deep_free(pair);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(keys);
	ldns_rr_list_deep_free(sigs);
	ldns_rdf_deep_free(zone);
}
END_TEST

/* The answer's RRset, or (trap 2) the DNSKEY RRset, through the walk. */
START_TEST(test_keytrap_walk)
{
	struct dnssec *v = world_validator();
	ldns_pkt *p = pkt_new(LDNS_RCODE_NOERROR);
	ldns_rr_list *set = one(rr("www.ok.test. 60 IN A 192.0.2.1"));
	ldns_rr_list *sigs = trap_sigs(set, k_ok, TRAP_N);
	const struct dnssec_stats *st = dnssec_stats(v);
	FILE *log = tmpfile();
	char why[256] = "", line[512];
	int saved = dup(2), logged = 0;
	enum dnssec_verdict got;

	trap = _i + 1;
	ldns_pkt_push_rr_list(p, LDNS_SECTION_ANSWER, set);
	ldns_pkt_push_rr_list(p, LDNS_SECTION_ANSWER, sigs);
	/* The validator logs to stderr here: catch its warning. */
	ck_assert_ptr_nonnull(log);
	fflush(stderr);
	dup2(fileno(log), 2);
	got = check_answer(v, p, "www.ok.test.", LDNS_RR_TYPE_A, why, sizeof(why));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	ck_assert_msg(got == DNSSEC_BOGUS, "crafted answer %s after %lu checks",
	    dnssec_verdict_name(got), st->checks);
	ck_assert_msg(strstr(why, "validation cap") != NULL, "%s", why);
	/* At most the DNSKEY/DS steps before it plus the RRset cap. */
	ck_assert_uint_le(st->checks, 3 + DNSSEC_MAX_RRSET_CHECKS);
	ck_assert_uint_le(st->checks, DNSSEC_MAX_QUERY_CHECKS);
	ck_assert_uint_eq(st->capped, 1);
	rewind(log);
	while (fgets(line, sizeof(line), log) != NULL)
		logged |= strstr(line, "dnssec: www.ok.test./1: validation cap hit")
		    != NULL;
	ck_assert_msg(logged, "no log line for the cap");
	fclose(log);
	ldns_rr_list_free(set);
	ldns_rr_list_free(sigs);
	ldns_pkt_free(p);
	dnssec_free(v);
}
END_TEST

/* Normal answers cost a few checks: one zone, one walk. */
START_TEST(test_checks_normal)
{
	struct dnssec *v = world_validator();
	ldns_pkt *p = pkt_new(LDNS_RCODE_NOERROR);
	char why[256] = "";

	push_signed(p, LDNS_SECTION_ANSWER, "www.ok.test. 60 IN A 192.0.2.1",
	    k_ok, DAY);
	ck_assert_int_eq(check_answer(v, p, "www.ok.test.", LDNS_RR_TYPE_A, why,
	    sizeof(why)), DNSSEC_SECURE);
	/* DNSKEY test., DS ok.test., DNSKEY ok.test., the answer. */
	ck_assert_uint_eq(dnssec_stats(v)->checks, 4);
	ck_assert_uint_eq(dnssec_stats(v)->capped, 0);
	ldns_pkt_free(p);
	dnssec_free(v);
}
END_TEST

/*
 * Key rollovers stay well inside the caps: an RRset signed by the old
 * and the new ZSK, a DNSKEY RRset of three keys signed by both KSKs
 * (either DS), and two keys that happen to share a tag.
 */
START_TEST(test_rollover)
{
	ldns_rr *dnskey_zsk, *dnskey_ksk2, *ds2;
	ldns_key *zsk = mkkey("ok.test.", &dnskey_zsk);
	ldns_key *ksk2 = mkkey("ok.test.", &dnskey_ksk2);
	ldns_rr_list *set = one(rr("www.ok.test. 60 IN A 192.0.2.1")), *keys;
	ldns_rr_list *sigs = sign(set, k_ok, -DAY, DAY), *s2, *dks, *trusted;
	struct dnssec_budget b = { 0, 0, DNSSEC_CAP_NONE };
	ldns_rdf *zone = dn("ok.test.");
	char err[200];

	/* ZSK rollover: two signatures, the new key first in the set. */
	s2 = sign(set, zsk, -DAY, DAY);
	ldns_rr_list_push_rr(s2, ldns_rr_list_pop_rr(sigs));
	keys = ldns_rr_list_new();
	ldns_rr_list_push_rr(keys, ldns_rr_clone(dnskey_ok));
	ldns_rr_list_push_rr(keys, ldns_rr_clone(dnskey_zsk));
	ck_assert_int_eq(dnssec_verify_rrset(set, s2, zone, keys, NOW, &b, err,
	    sizeof(err)), 0);
	ck_assert_uint_le(b.query, 2);
	/* KSK rollover: three keys, signed by both KSKs; either DS works. */
	dks = ldns_rr_list_new();
	ldns_rr_list_push_rr(dks, ldns_rr_clone(dnskey_ok));
	ldns_rr_list_push_rr(dks, ldns_rr_clone(dnskey_ksk2));
	ldns_rr_list_push_rr(dks, ldns_rr_clone(dnskey_zsk));
	ldns_rr_list_deep_free(sigs);
	sigs = sign(dks, k_ok, -DAY, DAY);
	ldns_rr_list_deep_free(s2);
	s2 = sign(dks, ksk2, -DAY, DAY);
	ldns_rr_list_push_rr(sigs, ldns_rr_list_pop_rr(s2));
	ds2 = ldns_key_rr2ds(dnskey_ksk2, LDNS_SHA256);
	for (int i = 0; i < 2; i++) {
		ldns_rr_list *zk;

		trusted = one(ldns_rr_clone(i ? ds2 : ds_ok));
		memset(&b, 0, sizeof(b));
		zk = dnssec_verify_dnskeys(dks, sigs, zone, trusted, NOW, &b, err,
		    sizeof(err));
		ck_assert_msg(zk != NULL, "DS %d: %s", i, err);
		ck_assert_uint_eq(ldns_rr_list_rr_count(zk), 3);
		ck_assert_uint_le(b.query, 2);
		ldns_rr_list_deep_free(zk);
		ldns_rr_list_deep_free(trusted);
	}
	ldns_rr_list_deep_free(keys);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(s2);
	ldns_rr_list_deep_free(dks);
	ldns_rr_list_deep_free(set);
	ldns_rr_free(ds2);
	ldns_rr_free(dnskey_zsk);
	ldns_rr_free(dnskey_ksk2);
	ldns_key_deep_free(zsk);
	ldns_key_deep_free(ksk2);
	ldns_rdf_deep_free(zone);
}
END_TEST

/*
 * A big answer: its duplicates go (the signature is over the set
 * without them) at a cost linear in its size, counted in RR
 * comparisons; comparing each RR with all before it took a second for
 * 1500 records, before any signature was looked at.
 */
#define BIG_N	1000

START_TEST(test_big_rrset)
{
	struct dnssec *v = world_validator();
	ldns_pkt *p = pkt_new(LDNS_RCODE_NOERROR);
	ldns_rr_list *set = ldns_rr_list_new(), *sigs;
	char text[80], why[256] = "";

	for (int i = 0; i < BIG_N; i++) {
		snprintf(text, sizeof(text), "www.ok.test. 60 IN A 10.0.%d.%d",
		    i / 250, i % 250);
		ldns_rr_list_push_rr(set, rr(text));
	}
	sigs = sign(set, k_ok, -DAY, DAY);
	ldns_pkt_push_rr_list(p, LDNS_SECTION_ANSWER, set);
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr("www.ok.test. 60 IN A "
	    "10.0.0.7"));	/* sent twice */
	ldns_pkt_push_rr_list(p, LDNS_SECTION_ANSWER, sigs);
	rr_compares = 0;
	ck_assert_int_eq(check_answer(v, p, "www.ok.test.", LDNS_RR_TYPE_A, why,
	    sizeof(why)), DNSSEC_SECURE);
	ck_assert_msg(rr_compares <= 2 * BIG_N, "%lu RR comparisons for %d RRs",
	    rr_compares, BIG_N);
	ldns_rr_list_free(set);
	ldns_rr_list_free(sigs);
	ldns_pkt_free(p);
	dnssec_free(v);
}
END_TEST

/*
 * The caps above the RRset: 8 checks each (7 bad signatures, then the
 * good one) pass the RRset cap, but a response holds only two such
 * RRsets, and a query (a new response for each) eight.
 */
static int
costly_rrset(struct dnssec_budget *b, int i)
{
	char text[80], err[200];
	ldns_rr_list *set, *sigs, *keys = one(ldns_rr_clone(dnskey_ok));
	ldns_rdf *zone = dn("ok.test.");
	int rc;

	snprintf(text, sizeof(text), "h%d.ok.test. 60 IN A 192.0.2.%d", i, i);
	set = one(rr(text));
	sigs = trap_sigs(set, k_ok, DNSSEC_MAX_RRSET_CHECKS);
	rc = dnssec_verify_rrset(set, sigs, zone, keys, NOW, b, err, sizeof(err));
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(keys);
	ldns_rdf_deep_free(zone);
	return rc;
}

START_TEST(test_caps)
{
	struct dnssec_budget b = { 0, 0, DNSSEC_CAP_NONE };
	ldns_rr_list *set = one(rr("www.ok.test. 60 IN A 192.0.2.1"));
	ldns_rr_list *keys = one(ldns_rr_clone(dnskey_ok)), *sigs;
	ldns_rdf *zone = dn("ok.test.");
	char err[200];
	int i;

	/* One bad signature more than the RRset cap: bogus. */
	sigs = trap_sigs(set, k_ok, DNSSEC_MAX_RRSET_CHECKS + 1);
	ck_assert_int_eq(dnssec_verify_rrset(set, sigs, zone, keys, NOW, &b, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(b.cap, DNSSEC_CAP_RRSET);
	ck_assert_uint_eq(b.query, DNSSEC_MAX_RRSET_CHECKS);
	ck_assert_msg(strstr(err, "validation cap: more than 8 signature checks "
	    "for one RRset") != NULL, "%s", err);
	/* Per response. */
	memset(&b, 0, sizeof(b));
	for (i = 0; i * DNSSEC_MAX_RRSET_CHECKS < DNSSEC_MAX_RESP_CHECKS; i++)
		ck_assert_int_eq(costly_rrset(&b, i + 1), 0);
	ck_assert_int_eq(costly_rrset(&b, i + 1), -1);
	ck_assert_int_eq(b.cap, DNSSEC_CAP_RESPONSE);
	ck_assert_uint_eq(b.query, DNSSEC_MAX_RESP_CHECKS);
	/* Per query. */
	memset(&b, 0, sizeof(b));
	for (i = 0; i * DNSSEC_MAX_RRSET_CHECKS < DNSSEC_MAX_QUERY_CHECKS; i++) {
		b.response = 0;
		ck_assert_int_eq(costly_rrset(&b, i + 1), 0);
	}
	b.response = 0;
	ck_assert_int_eq(costly_rrset(&b, i + 1), -1);
	ck_assert_int_eq(b.cap, DNSSEC_CAP_QUERY);
	ck_assert_uint_eq(b.query, DNSSEC_MAX_QUERY_CHECKS);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_list_deep_free(set);
	ldns_rr_list_deep_free(keys);
	ldns_rdf_deep_free(zone);
}
END_TEST

/* The DS step on its own: every outcome. */
START_TEST(test_ds_step)
{
	ldns_rr_list *keys = one(ldns_rr_clone(dnskey_test)), *ds;
	ldns_rdf *zone = dn("test."), *c;
	ldns_pkt *p;
	char err[200];

	c = dn("ok.test.");
	p = world_answer("ok.test.", LDNS_RR_TYPE_DS);
	ck_assert_int_eq(dnssec_ds_step(p, c, zone, keys, NOW, NULL, &ds, err,
	    sizeof(err)), DNSSEC_DS_SECURE);
	ck_assert_uint_eq(ldns_rr_list_rr_count(ds), 1);
	ldns_rr_list_deep_free(ds);
	/* Seen from the wrong zone's keys: bogus. */
	{
		ldns_rr_list *wrong = one(ldns_rr_clone(dnskey_other));

		ck_assert_int_eq(dnssec_ds_step(p, c, zone, wrong, NOW, NULL, &ds, err,
		    sizeof(err)), DNSSEC_DS_BOGUS);
		ck_assert_ptr_null(ds);
		ldns_rr_list_deep_free(wrong);
	}
	ldns_pkt_free(p);
	ldns_rdf_deep_free(c);

	c = dn("ins.test.");
	p = world_answer("ins.test.", LDNS_RR_TYPE_DS);
	ck_assert_int_eq(dnssec_ds_step(p, c, zone, keys, NOW, NULL, &ds, err,
	    sizeof(err)), DNSSEC_DS_INSECURE);
	ldns_pkt_free(p);
	/* The same NSEC without its signature proves nothing. */
	p = pkt_new(LDNS_RCODE_NOERROR);
	ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY,
	    rr("ins.test. 60 IN NSEC ok.test. NS RRSIG NSEC"));
	ck_assert_int_eq(dnssec_ds_step(p, c, zone, keys, NOW, NULL, &ds, err,
	    sizeof(err)), DNSSEC_DS_BOGUS);
	ldns_pkt_free(p);
	/* NSEC3 alone: not supported, so bogus, never insecure. */
	p = pkt_new(LDNS_RCODE_NOERROR);
	ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, rr("0123456789ABCDEFGHIJKLMNOPQRSTUV.test. "
	    "60 IN NSEC3 1 1 0 - 0123456789ABCDEFGHIJKLMNOPQRSTUU NS"));
	ck_assert_int_eq(dnssec_ds_step(p, c, zone, keys, NOW, NULL, &ds, err,
	    sizeof(err)), DNSSEC_DS_BOGUS);
	ck_assert_msg(strstr(err, "NSEC3") != NULL, "%s", err);
	ldns_pkt_free(p);
	/* SERVFAIL. */
	p = pkt_new(LDNS_RCODE_SERVFAIL);
	ck_assert_int_eq(dnssec_ds_step(p, c, zone, keys, NOW, NULL, &ds, err,
	    sizeof(err)), DNSSEC_DS_BOGUS);
	ldns_pkt_free(p);
	ldns_rdf_deep_free(c);

	/* Not a zone cut, and a name that does not exist. */
	c = dn("a.test.");
	p = pkt_new(LDNS_RCODE_NOERROR);
	push_signed(p, LDNS_SECTION_AUTHORITY, "a.test. 60 IN NSEC ins.test. "
	    "A RRSIG NSEC", k_test, DAY);
	ck_assert_int_eq(dnssec_ds_step(p, c, zone, keys, NOW, NULL, &ds, err,
	    sizeof(err)), DNSSEC_DS_NOCUT);
	ldns_rdf_deep_free(c);
	c = dn("b.test.");
	ck_assert_int_eq(dnssec_ds_step(p, c, zone, keys, NOW, NULL, &ds, err,
	    sizeof(err)), DNSSEC_DS_NXDOMAIN);
	ldns_pkt_free(p);
	ldns_rdf_deep_free(c);
	ldns_rr_list_deep_free(keys);
	ldns_rdf_deep_free(zone);
}
END_TEST

enum n3_kind {
	N3_NXDOMAIN, N3_NX_NO_CE, N3_NX_NO_NC, N3_NX_NO_WC, N3_NODATA,
	N3_NODATA_LIE, N3_ENT, N3_WILDCARD, N3_WILDCARD_NOPROOF,
	N3_WILDCARD_NODATA, N3_INSECURE_DELEG, N3_OPTOUT, N3_NOT_OPTOUT,
	N3_OPTOUT_NXDOMAIN, N3_TAMPERED, N3_ITER_MAX, N3_ITER_OVER,
	N3_UNKNOWN_ALG, N3_CHILD_DATA
};

static const struct {
	enum n3_kind kind;
	const char *qname;
	int qtype;
	enum dnssec_verdict want;
	const char *why;	/* substring, for bogus */
} n3_cases[] = {
	{ N3_NXDOMAIN, "zz.n3.test.", LDNS_RR_TYPE_A, DNSSEC_SECURE, "" },
	{ N3_NX_NO_CE, "zz.n3.test.", LDNS_RR_TYPE_A, DNSSEC_BOGUS,
	  "no NSEC3 closest encloser proof" },
	{ N3_NX_NO_NC, "zz.n3.test.", LDNS_RR_TYPE_A, DNSSEC_BOGUS,
	  "no NSEC3 closest encloser proof" },
	{ N3_NX_NO_WC, "zz.n3.test.", LDNS_RR_TYPE_A, DNSSEC_BOGUS,
	  "wildcard at the closest encloser" },
	{ N3_NODATA, "mx.n3.test.", LDNS_RR_TYPE_TXT, DNSSEC_SECURE, "" },
	{ N3_NODATA_LIE, "mx.n3.test.", LDNS_RR_TYPE_A, DNSSEC_BOGUS,
	  "lists the type" },
	{ N3_ENT, "b.n3.test.", LDNS_RR_TYPE_A, DNSSEC_SECURE, "" },
	{ N3_WILDCARD, "x.w.n3.test.", LDNS_RR_TYPE_TXT, DNSSEC_SECURE, "" },
	{ N3_WILDCARD_NOPROOF, "x.w.n3.test.", LDNS_RR_TYPE_TXT, DNSSEC_BOGUS,
	  "wildcard answer without proof" },
	{ N3_WILDCARD_NODATA, "x.w.n3.test.", LDNS_RR_TYPE_MX, DNSSEC_SECURE, "" },
	{ N3_INSECURE_DELEG, "mx.ins.n3.test.", LDNS_RR_TYPE_A, DNSSEC_INSECURE, "" },
	{ N3_OPTOUT, "mx.optout.n3.test.", LDNS_RR_TYPE_A, DNSSEC_INSECURE, "" },
	{ N3_NOT_OPTOUT, "mx.optout.n3.test.", LDNS_RR_TYPE_A, DNSSEC_BOGUS,
	  "no signature" },
	{ N3_OPTOUT_NXDOMAIN, "zz.n3.test.", LDNS_RR_TYPE_A, DNSSEC_INSECURE, "" },
	{ N3_TAMPERED, "zz.n3.test.", LDNS_RR_TYPE_A, DNSSEC_BOGUS,
	  "Bogus DNSSEC signature" },
	{ N3_ITER_MAX, "zz.n3.test.", LDNS_RR_TYPE_A, DNSSEC_SECURE, "" },
	{ N3_ITER_OVER, "zz.n3.test.", LDNS_RR_TYPE_A, DNSSEC_INSECURE, "" },
	{ N3_UNKNOWN_ALG, "zz.n3.test.", LDNS_RR_TYPE_A, DNSSEC_BOGUS,
	  "no usable NSEC3" },
	{ N3_CHILD_DATA, "ins.n3.test.", LDNS_RR_TYPE_A, DNSSEC_BOGUS,
	  "NSEC3 of a delegation" },
};

/* Change the next hashed owner of the NSEC3s in the authority section. */
static void
n3_tamper(ldns_pkt *p)
{
	ldns_rr_list *au = ldns_pkt_authority(p);

	for (size_t i = 0; i < ldns_rr_list_rr_count(au); i++) {
		ldns_rr *r = ldns_rr_list_rr(au, i);
		ldns_rdf *next;

		if (ldns_rr_get_type(r) != LDNS_RR_TYPE_NSEC3)
			continue;
		next = ldns_rr_rdf(r, 4);
		ldns_rdf_data(next)[1] ^= 0x01;
	}
}

/* An NSEC3 of an unknown hash algorithm, validly signed, for nope. */
static void
n3_push_alg2(ldns_pkt *p)
{
	ldns_rdf *h = n3_hashed("zz.n3.test.");
	char *hs = ldns_rdf2str(h), text[512];
	ldns_rr_list *set, *sigs;

	/* It would match nope, were it SHA-1. */
	snprintf(text, sizeof(text), "%s 60 IN NSEC3 2 0 5 AABBCCDD "
	    "VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVV A RRSIG", hs);
	set = one(rr(text));
	sigs = sign(set, k_n3, -DAY, DAY);
	ldns_pkt_push_rr_list(p, LDNS_SECTION_AUTHORITY, set);
	ldns_pkt_push_rr_list(p, LDNS_SECTION_AUTHORITY, sigs);
	ldns_rr_list_free(set);
	ldns_rr_list_free(sigs);
	free(hs);
	ldns_rdf_deep_free(h);
}

/* The expansion of *.w.n3.test. TXT at name, with the wildcard's RRSIG. */
static void
n3_push_expanded(ldns_pkt *p, const char *name)
{
	ldns_rdf *w = dn("*.w.n3.test.");
	ldns_pkt *tmp = pkt_new(LDNS_RCODE_NOERROR);
	ldns_rr_list *an;

	n3_push_set(tmp, LDNS_SECTION_ANSWER, w, LDNS_RR_TYPE_TXT);
	an = ldns_pkt_answer(tmp);
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *r = ldns_rr_clone(ldns_rr_list_rr(an, i));

		ldns_rdf_deep_free(ldns_rr_owner(r));
		ldns_rr_set_owner(r, dn(name));
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, r);
	}
	ldns_pkt_free(tmp);
	ldns_rdf_deep_free(w);
}

START_TEST(test_nsec3_walk)
{
	struct dnssec *v = world_validator();
	ldns_pkt *p = pkt_new(LDNS_RCODE_NOERROR);
	const char *q = n3_cases[_i].qname;

	switch (n3_cases[_i].kind) {
	case N3_OPTOUT_NXDOMAIN:
	case N3_OPTOUT:
		n3_sign(LDNS_NSEC3_VARS_OPTOUT_MASK, 5);
		break;
	case N3_ITER_MAX:
		n3_sign(0, DNSSEC_NSEC3_MAX_ITER);
		break;
	case N3_ITER_OVER:
		n3_sign(0, DNSSEC_NSEC3_MAX_ITER + 1);
		break;
	default:
		break;
	}
	switch (n3_cases[_i].kind) {
	case N3_NXDOMAIN:
	case N3_NX_NO_CE:
	case N3_NX_NO_NC:
	case N3_NX_NO_WC:
	case N3_OPTOUT_NXDOMAIN:
	case N3_TAMPERED:
	case N3_ITER_MAX:
	case N3_ITER_OVER:
		ldns_pkt_set_rcode(p, LDNS_RCODE_NXDOMAIN);
		n3_push_soa(p);
		if (n3_cases[_i].kind != N3_NX_NO_CE)
			n3_push(p, "n3.test.", 1);
		if (n3_cases[_i].kind != N3_NX_NO_NC)
			n3_push(p, q, 0);
		if (n3_cases[_i].kind != N3_NX_NO_WC)
			n3_push(p, "*.n3.test.", 0);
		if (n3_cases[_i].kind == N3_TAMPERED)
			n3_tamper(p);
		break;
	case N3_UNKNOWN_ALG:
		ldns_pkt_set_rcode(p, LDNS_RCODE_NXDOMAIN);
		n3_push_soa(p);
		n3_push_alg2(p);
		break;
	case N3_NODATA:
	case N3_NODATA_LIE:
	case N3_ENT:
	case N3_CHILD_DATA:
		n3_push_soa(p);
		n3_push(p, q, 1);
		break;
	case N3_WILDCARD:
	case N3_WILDCARD_NOPROOF:
		n3_push_expanded(p, q);
		if (n3_cases[_i].kind == N3_WILDCARD)
			n3_push(p, q, 0);	/* the next closer name */
		break;
	case N3_WILDCARD_NODATA:
		n3_push_soa(p);
		n3_push(p, "w.n3.test.", 1);
		n3_push(p, q, 0);
		n3_push(p, "*.w.n3.test.", 1);
		break;
	case N3_INSECURE_DELEG:
	case N3_OPTOUT:
	case N3_NOT_OPTOUT:
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER,
		    rr("mx.ins.n3.test. 60 IN A 192.0.2.9"));
		if (n3_cases[_i].kind != N3_INSECURE_DELEG) {
			ldns_pkt_free(p);
			p = pkt_new(LDNS_RCODE_NOERROR);
			ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER,
			    rr("mx.optout.n3.test. 60 IN A 192.0.2.9"));
		}
		break;
	}
	expect(v, p, q, n3_cases[_i].qtype, n3_cases[_i].want, n3_cases[_i].why,
	    _i);
}
END_TEST

/* The DS step over NSEC3 answers, and the pure proofs' edge cases. */
START_TEST(test_nsec3_ds)
{
	ldns_rr_list *keys = one(ldns_rr_clone(dnskey_n3)), *ds, *l;
	ldns_rdf *zone = dn("n3.test."), *c;
	ldns_pkt *p;
	char err[200];
	static const struct {
		const char *child;
		uint8_t flags;
		enum dnssec_ds want;
	} cases[] = {
		{ "ins.n3.test.", 0, DNSSEC_DS_INSECURE },
		{ "mx.n3.test.", 0, DNSSEC_DS_NOCUT },
		{ "b.n3.test.", 0, DNSSEC_DS_NOCUT },	/* empty non-terminal */
		{ "optout.n3.test.", 0, DNSSEC_DS_NXDOMAIN },
		{ "optout.n3.test.", 1, DNSSEC_DS_INSECURE },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n3_sign(cases[i].flags, 5);
		c = dn(cases[i].child);
		p = pkt_new(LDNS_RCODE_NOERROR);
		n3_push_soa(p);
		if (strcmp(cases[i].child, "optout.n3.test.") == 0) {
			ldns_pkt_free(p);
			p = n3_ds_answer(cases[i].child);
		} else {
			n3_push(p, cases[i].child, 1);
		}
		ck_assert_msg(dnssec_ds_step(p, c, zone, keys, NOW, NULL, &ds, err,
		    sizeof(err)) == cases[i].want, "%s flags %d: %s",
		    cases[i].child, cases[i].flags, err);
		/* The same records without their signatures: bogus. */
		{
			ldns_pkt *bare = pkt_new(ldns_pkt_get_rcode(p));

			l = ldns_pkt_authority(p);
			for (size_t j = 0; j < ldns_rr_list_rr_count(l); j++)
				if (ldns_rr_get_type(ldns_rr_list_rr(l, j))
				    != LDNS_RR_TYPE_RRSIG)
					ldns_pkt_push_rr(bare, LDNS_SECTION_AUTHORITY,
					    ldns_rr_clone(ldns_rr_list_rr(l, j)));
			ck_assert_int_eq(dnssec_ds_step(bare, c, zone, keys, NOW,
			    NULL, &ds, err, sizeof(err)), DNSSEC_DS_BOGUS);
			ldns_pkt_free(bare);
		}
		ldns_pkt_free(p);
		ldns_rdf_deep_free(c);
	}
	ldns_rr_list_deep_free(keys);
	ldns_rdf_deep_free(zone);
}
END_TEST

/* The pure proof over a whole chain: parameters, flags, the zone. */
START_TEST(test_nsec3_params)
{
	ldns_rr_list *all = ldns_rr_list_new();
	ldns_rdf *zone = dn("n3.test."), *name = dn("zz.n3.test.");
	ldns_rdf *other = dn("n3.other."), *oname = dn("nope.n3.other.");
	char why[200];

	for (size_t i = 0; i < ldns_rr_list_rr_count(n3_rrs); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(n3_rrs, i)) == LDNS_RR_TYPE_NSEC3)
			ldns_rr_list_push_rr(all, ldns_rr_clone(ldns_rr_list_rr(n3_rrs, i)));
	ck_assert_int_eq(dnssec_nsec3_deny(name, LDNS_RR_TYPE_A, 1, all, zone, why,
	    sizeof(why)), DNSSEC_SECURE);
	/* NODATA cannot be proven for a name that does not exist. */
	ck_assert_int_eq(dnssec_nsec3_deny(name, LDNS_RR_TYPE_A, 0, all, zone, why,
	    sizeof(why)), DNSSEC_BOGUS);
	/* Nor NXDOMAIN for one that does. */
	ldns_rdf_deep_free(name);
	name = dn("MX.n3.test.");
	ck_assert_int_eq(dnssec_nsec3_deny(name, LDNS_RR_TYPE_TXT, 0, all, zone,
	    why, sizeof(why)), DNSSEC_SECURE);
	ck_assert_int_eq(dnssec_nsec3_deny(name, LDNS_RR_TYPE_TXT, 1, all, zone,
	    why, sizeof(why)), DNSSEC_BOGUS);
	/* A name outside the zone, and the chain seen as another zone's. */
	ck_assert_int_eq(dnssec_nsec3_deny(oname, LDNS_RR_TYPE_A, 1, all, zone,
	    why, sizeof(why)), DNSSEC_BOGUS);
	ck_assert_int_eq(dnssec_nsec3_deny(oname, LDNS_RR_TYPE_A, 1, all, other,
	    why, sizeof(why)), DNSSEC_BOGUS);
	ck_assert_msg(strstr(why, "no usable NSEC3") != NULL, "%s", why);
	/* An NSEC3 with another salt: mixed parameters. */
	ldns_rr_list_push_rr(all, rr("0123456789abcdefghijklmnopqrstuv.n3.test. "
	    "60 IN NSEC3 1 0 5 AABBCCDE 0123456789abcdefghijklmnopqrstuu A"));
	ck_assert_int_eq(dnssec_nsec3_deny(name, LDNS_RR_TYPE_TXT, 0, all, zone,
	    why, sizeof(why)), DNSSEC_BOGUS);
	ck_assert_msg(strstr(why, "different parameters") != NULL, "%s", why);
	ldns_rr_free(ldns_rr_list_pop_rr(all));
	/* Flags other than 0 and 1: ignored (RFC 5155 8.2), so no proof. */
	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++)
		ldns_rdf_deep_free(ldns_rr_set_rdf(ldns_rr_list_rr(all, i),
		    ldns_native2rdf_int8(LDNS_RDF_TYPE_INT8, 2), 1));
	ck_assert_int_eq(dnssec_nsec3_deny(name, LDNS_RR_TYPE_TXT, 0, all, zone,
	    why, sizeof(why)), DNSSEC_BOGUS);
	ck_assert_msg(strstr(why, "no usable NSEC3") != NULL, "%s", why);
	ldns_rr_list_deep_free(all);
	ldns_rdf_deep_free(zone);
	ldns_rdf_deep_free(name);
	ldns_rdf_deep_free(other);
	ldns_rdf_deep_free(oname);
}
END_TEST

static Suite *
dnssec_suite(void)
{
	Suite *s = suite_create("dnssec");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_anchors, 0,
	    sizeof(anchor_cases) / sizeof(anchor_cases[0]));
	tcase_add_test(tc, test_anchors_load);
	tcase_add_test(tc, test_verify_rrset);
	tcase_add_test(tc, test_sig_times_serial);
	tcase_add_test(tc, test_verify_dnskeys);
	tcase_add_loop_test(tc, test_deny, 0,
	    sizeof(deny_cases) / sizeof(deny_cases[0]));
	tcase_add_test(tc, test_ds_step);
	tcase_add_loop_test(tc, test_walk, 0,
	    sizeof(walk_cases) / sizeof(walk_cases[0]));
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_servfail);
	tcase_add_loop_test(tc, test_rcode, 0,
	    sizeof(rcode_cases) / sizeof(rcode_cases[0]));
	tcase_add_test(tc, test_error_rcodes);
	tcase_add_test(tc, test_fetch_rcode);
	tcase_add_test(tc, test_dnskey_rcode);
	tcase_add_test(tc, test_keytrap_rrset);
	tcase_add_loop_test(tc, test_keytrap_walk, 0, 2);
	tcase_add_test(tc, test_checks_normal);
	tcase_add_test(tc, test_rollover);
	tcase_add_test(tc, test_caps);
	tcase_add_test(tc, test_big_rrset);
	suite_add_tcase(s, tc);
	tc = tcase_create("nsec3");
	tcase_add_checked_fixture(tc, setup_n3, teardown_n3);
	tcase_add_loop_test(tc, test_nsec3_walk, 0,
	    sizeof(n3_cases) / sizeof(n3_cases[0]));
	tcase_add_test(tc, test_nsec3_ds);
	tcase_add_test(tc, test_nsec3_params);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(dnssec_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
