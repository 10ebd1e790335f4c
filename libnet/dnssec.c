/* SPDX-License-Identifier: MIT */
/*
 * dnssec - see dnssec.h.  The pure steps come first, the per-answer
 * state machine (struct dnssec_job) last.  Lists named "shallow" hold
 * pointers into a packet and are freed with ldns_rr_list_free(); the
 * others are deep copies (ldns_rr_list_deep_free()).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "dname.h"
#include "dnssec.h"
#include "log.h"
#include "util.h"

#define MAX_ITEMS	10	/* RRsets on one CNAME chain, plus the end */
#define MAX_FETCH	48	/* DS and DNSKEY lookups for one answer */
#define DNSSEC_NAME_BUF	1040	/* a name in presentation form, escaped */
#define STR(x)		#x
#define XSTR(x)		STR(x)

struct dnssec_anchors {
	ldns_rr_list *rrs;		/* DS and DNSKEY records, deep */
};

struct dnssec {
	struct dnssec_anchors *anchors;
	struct dnssec_io io;
	struct dnssec_stats stats;
};

static ldns_rr_list *
list_new(void)
{
	ldns_rr_list *l = ldns_rr_list_new();

	if (l == NULL) {
		log_err("out of memory");
		abort();
	}
	return l;
}

static int
dname_eq(const ldns_rdf *a, const ldns_rdf *b)
{
	return ldns_dname_compare(a, b) == 0;
}

/* sub is parent or below it. */
static int
under(const ldns_rdf *sub, const ldns_rdf *parent)
{
	return dname_eq(sub, parent) || ldns_dname_is_subdomain(sub, parent);
}

static ldns_rdf *
rdf_clone(const ldns_rdf *r)
{
	ldns_rdf *c = ldns_rdf_clone(r);

	if (c == NULL) {
		log_err("out of memory");
		abort();
	}
	return c;
}

/*
 * Shallow: the RRs of list with this owner and type, class IN, each
 * once: an RRset has no duplicates (RFC 4034 6.3), and a record sent
 * twice (one NSEC3 proving two things) must not spoil its signature.
 * Duplicates go by sorting (canonical order, each RR put in wire form
 * once) and dropping equal neighbours: n log n for an answer of
 * thousands of records, where comparing each with all was seconds.
 */
static ldns_rr_list *
pick(const ldns_rr_list *list, const ldns_rdf *owner, ldns_rr_type type)
{
	ldns_rr_list *all = list_new(), *out;

	for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
		ldns_rr *rr = ldns_rr_list_rr(list, i);

		if (ldns_rr_get_type(rr) == type
		    && ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN
		    && dname_eq(ldns_rr_owner(rr), owner))
			ldns_rr_list_push_rr(all, rr);
	}
	if (ldns_rr_list_rr_count(all) < 2)
		return all;
	ldns_rr_list_sort(all);
	out = list_new();
	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++)
		if (i == 0 || ldns_rr_compare(ldns_rr_list_rr(all, i - 1),
		    ldns_rr_list_rr(all, i)) != 0)
			ldns_rr_list_push_rr(out, ldns_rr_list_rr(all, i));
	ldns_rr_list_free(all);
	return out;
}

/* Shallow: the RRSIGs of list over (owner, type). */
static ldns_rr_list *
pick_sigs(const ldns_rr_list *list, const ldns_rdf *owner, ldns_rr_type type)
{
	ldns_rr_list *out = list_new();

	for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
		ldns_rr *rr = ldns_rr_list_rr(list, i);
		ldns_rdf *tc;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG
		    || !dname_eq(ldns_rr_owner(rr), owner)
		    || (tc = ldns_rr_rrsig_typecovered(rr)) == NULL
		    || ldns_rdf2rr_type(tc) != type)
			continue;
		ldns_rr_list_push_rr(out, rr);
	}
	return out;
}

static void
name_str(const ldns_rdf *name, char *buf, size_t len)
{
	if (name == NULL || dname_text(name, buf, len) < 0)
		snprintf(buf, len, "?");
}

/*
 * Trust anchors.
 */

struct dnssec_anchors *
dnssec_anchors_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct dnssec_anchors *a = xcalloc(1, sizeof(*a));
	ldns_rdf *origin = NULL, *prev = NULL;
	uint32_t ttl = 3600;
	int line = 0;
	FILE *fp;

	a->rrs = list_new();
	if (len == 0 || (fp = fmemopen((void *)text, len, "r")) == NULL) {
		snprintf(err, errlen, "no DS or DNSKEY record");
		goto fail;
	}
	while (!feof(fp)) {
		ldns_rr *rr = NULL;
		ldns_status st = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &origin,
		    &prev, &line);

		if (st == LDNS_STATUS_SYNTAX_EMPTY || st == LDNS_STATUS_SYNTAX_TTL
		    || st == LDNS_STATUS_SYNTAX_ORIGIN)
			continue;
		if (st != LDNS_STATUS_OK) {
			snprintf(err, errlen, "line %d: %s", line,
			    ldns_get_errorstr_by_id(st));
			fclose(fp);
			goto fail;
		}
		if ((ldns_rr_get_type(rr) != LDNS_RR_TYPE_DS
		    && ldns_rr_get_type(rr) != LDNS_RR_TYPE_DNSKEY)
		    || ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
			snprintf(err, errlen, "line %d: not a DS or DNSKEY "
			    "record of class IN", line);
			ldns_rr_free(rr);
			fclose(fp);
			goto fail;
		}
		ldns_rr_list_push_rr(a->rrs, rr);
	}
	fclose(fp);
	if (ldns_rr_list_rr_count(a->rrs) == 0) {
		snprintf(err, errlen, "no DS or DNSKEY record");
		goto fail;
	}
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	return a;
fail:
	ldns_rdf_deep_free(origin);
	ldns_rdf_deep_free(prev);
	dnssec_anchors_free(a);
	return NULL;
}

struct dnssec_anchors *
dnssec_anchors_load(const char *path, char *err, size_t errlen)
{
	struct dnssec_anchors *a;
	const char *why;
	char e[200];
	size_t len;
	char *text;

	if ((text = file_read(path, 1 << 20, &len, &why)) == NULL) {
		snprintf(err, errlen, "%s: %s", path, why);
		return NULL;
	}
	if ((a = dnssec_anchors_parse(text, len, e, sizeof(e))) == NULL)
		snprintf(err, errlen, "%s: %s", path, e);
	free(text);
	return a;
}

size_t
dnssec_anchors_count(const struct dnssec_anchors *a)
{
	return ldns_rr_list_rr_count(a->rrs);
}

void
dnssec_anchors_free(struct dnssec_anchors *a)
{
	if (a == NULL)
		return;
	ldns_rr_list_deep_free(a->rrs);
	free(a);
}

/* The deepest anchor owner at or above name, or NULL. */
static const ldns_rdf *
closest_anchor(const struct dnssec_anchors *a, const ldns_rdf *name)
{
	const ldns_rdf *best = NULL;

	for (size_t i = 0; i < ldns_rr_list_rr_count(a->rrs); i++) {
		const ldns_rdf *o = ldns_rr_owner(ldns_rr_list_rr(a->rrs, i));

		if (under(name, o) && (best == NULL || ldns_dname_is_subdomain(o,
		    best)))
			best = o;
	}
	return best;
}

/*
 * Signatures and keys.
 */

/* RFC 4034 2.1.1 and RFC 5011 2.1: only zone keys, never revoked ones. */
static int
is_zone_key(const ldns_rr *k, const ldns_rdf *zone)
{
	ldns_rdf *f = ldns_rr_dnskey_flags(k), *p = ldns_rr_rdf(k, 1);
	uint16_t flags;

	if (ldns_rr_get_type(k) != LDNS_RR_TYPE_DNSKEY || f == NULL || p == NULL
	    || !dname_eq(ldns_rr_owner(k), zone))
		return 0;
	flags = ldns_rdf2native_int16(f);
	return (flags & LDNS_KEY_ZONE_KEY) && !(flags & LDNS_KEY_REVOKE_KEY)
	    && ldns_rdf2native_int8(p) == 3;
}

static ldns_rr_list *
zone_keys(const ldns_rr_list *keys, const ldns_rdf *zone)
{
	ldns_rr_list *out = list_new();

	for (size_t i = 0; i < ldns_rr_list_rr_count(keys); i++)
		if (is_zone_key(ldns_rr_list_rr(keys, i), zone))
			ldns_rr_list_push_rr(out, ldns_rr_list_rr(keys, i));
	return out;
}

/*
 * Validation work (KeyTrap, CVE-2023-50387): each RRSIG x DNSKEY pair
 * that gets as far as the cryptography is one check, charged to the
 * budget of the query.  What costs nothing -- signer, key tag,
 * algorithm, validity times -- is looked at first.
 */

const char *
dnssec_cap_name(enum dnssec_cap cap)
{
	switch (cap) {
	case DNSSEC_CAP_NONE:
		return "none";
	case DNSSEC_CAP_KEYTAG:
		return "more than " XSTR(DNSSEC_MAX_KEYTAG_KEYS)
		    " keys with one key tag";
	case DNSSEC_CAP_RRSET:
		return "more than " XSTR(DNSSEC_MAX_RRSET_CHECKS)
		    " signature checks for one RRset";
	case DNSSEC_CAP_RESPONSE:
		return "more than " XSTR(DNSSEC_MAX_RESP_CHECKS)
		    " signature checks for one response";
	case DNSSEC_CAP_QUERY:
		return "more than " XSTR(DNSSEC_MAX_QUERY_CHECKS)
		    " signature checks for one query";
	}
	return "?";
}

/* One check more, the RRset having had rrset; -1 when a cap forbids it. */
static int
budget_take(struct dnssec_budget *b, unsigned rrset)
{
	if (b->cap != DNSSEC_CAP_NONE)
		return -1;
	if (rrset >= DNSSEC_MAX_RRSET_CHECKS)
		b->cap = DNSSEC_CAP_RRSET;
	else if (b->response >= DNSSEC_MAX_RESP_CHECKS)
		b->cap = DNSSEC_CAP_RESPONSE;
	else if (b->query >= DNSSEC_MAX_QUERY_CHECKS)
		b->cap = DNSSEC_CAP_QUERY;
	if (b->cap != DNSSEC_CAP_NONE)
		return -1;
	b->query++;
	b->response++;
	return 0;
}

/* RFC 4034 3.1.5, serial arithmetic as in ldns: current at now? */
static ldns_status
sig_times(const ldns_rr *sig, time_t now)
{
	const ldns_rdf *inc = ldns_rr_rrsig_inception(sig);
	const ldns_rdf *exp = ldns_rr_rrsig_expiration(sig);
	uint32_t i, e, t = (uint32_t)now;

	if (inc == NULL || exp == NULL)
		return LDNS_STATUS_CRYPTO_NO_RRSIG;
	/*
	 * Serial number arithmetic (RFC 4034 3.1.5, RFC 1982): differences
	 * modulo 2^32, read as signed.  Unsigned subtraction cannot
	 * overflow; signed subtraction did, for times 2^31 s apart
	 * (undefined behaviour, found by fuzz_dnssec).
	 */
	i = ldns_rdf2native_int32(inc);
	e = ldns_rdf2native_int32(exp);
	if ((int32_t)(e - i) < 0)
		return LDNS_STATUS_CRYPTO_EXPIRATION_BEFORE_INCEPTION;
	if ((int32_t)(t - i) < 0)
		return LDNS_STATUS_CRYPTO_SIG_NOT_INCEPTED;
	if ((int32_t)(e - t) < 0)
		return LDNS_STATUS_CRYPTO_SIG_EXPIRED;
	return LDNS_STATUS_OK;
}

struct keyset {
	ldns_rr_list *keys;		/* zone keys, shallow */
	uint16_t *tags;			/* their key tags */
};

/*
 * One RRSIG against the keys with its tag and algorithm, the first
 * DNSSEC_MAX_KEYTAG_KEYS of them (*skipped set when there are more);
 * each try charged to b, *checks counting the RRset's.
 */
static ldns_status
sig_check(const ldns_rr_list *rrset, const ldns_rr *sig, const ldns_rdf *zone,
    const struct keyset *ks, time_t now, struct dnssec_budget *b,
    unsigned *checks, int *skipped)
{
	const ldns_rdf *signer = ldns_rr_rrsig_signame(sig);
	const ldns_rdf *tag = ldns_rr_rrsig_keytag(sig);
	const ldns_rdf *alg = ldns_rr_rrsig_algorithm(sig);
	ldns_status st = LDNS_STATUS_CRYPTO_NO_MATCHING_KEYTAG_DNSKEY;
	int tried = 0;

	if (signer == NULL || tag == NULL || alg == NULL || !dname_eq(signer, zone))
		return st;
	if ((st = sig_times(sig, now)) != LDNS_STATUS_OK)
		return st;
	st = LDNS_STATUS_CRYPTO_NO_MATCHING_KEYTAG_DNSKEY;
	for (size_t k = 0; k < ldns_rr_list_rr_count(ks->keys); k++) {
		ldns_rr *key = ldns_rr_list_rr(ks->keys, k);

		if (ks->tags[k] != ldns_rdf2native_int16(tag)
		    || ldns_rdf2native_int8(ldns_rr_dnskey_algorithm(key))
		    != ldns_rdf2native_int8(alg))
			continue;
		if (tried == DNSSEC_MAX_KEYTAG_KEYS) {
			*skipped = 1;
			break;
		}
		if (budget_take(b, *checks) < 0)
			break;
		tried++;
		(*checks)++;
		st = ldns_verify_rrsig_time((ldns_rr_list *)rrset, (ldns_rr *)sig,
		    key, now);
		if (st == LDNS_STATUS_OK)
			break;
	}
	return st;
}

int
dnssec_verify_rrset(const ldns_rr_list *rrset, const ldns_rr_list *sigs,
    const ldns_rdf *zone, const ldns_rr_list *keys, time_t now,
    struct dnssec_budget *b, char *err, size_t errlen)
{
	struct dnssec_budget own = { 0, 0, DNSSEC_CAP_NONE };
	ldns_status st = LDNS_STATUS_CRYPTO_NO_RRSIG;
	struct keyset ks;
	unsigned checks = 0;
	int skipped = 0;

	if (ldns_rr_list_rr_count(rrset) == 0
	    || !under(ldns_rr_owner(ldns_rr_list_rr(rrset, 0)), zone)) {
		snprintf(err, errlen, "RRset outside the signing zone");
		return -1;
	}
	if (b == NULL)
		b = &own;
	ks.keys = zone_keys(keys, zone);
	ks.tags = xcalloc(ldns_rr_list_rr_count(ks.keys) + 1, sizeof(*ks.tags));
	for (size_t k = 0; k < ldns_rr_list_rr_count(ks.keys); k++)
		ks.tags[k] = ldns_calc_keytag(ldns_rr_list_rr(ks.keys, k));
	for (size_t i = 0; i < ldns_rr_list_rr_count(sigs)
	    && b->cap == DNSSEC_CAP_NONE; i++) {
		st = sig_check(rrset, ldns_rr_list_rr(sigs, i), zone, &ks, now, b,
		    &checks, &skipped);
		if (st == LDNS_STATUS_OK)
			break;
	}
	ldns_rr_list_free(ks.keys);
	free(ks.tags);
	if (st == LDNS_STATUS_OK)
		return 0;
	if (skipped && b->cap == DNSSEC_CAP_NONE)
		b->cap = DNSSEC_CAP_KEYTAG;
	if (b->cap != DNSSEC_CAP_NONE)
		snprintf(err, errlen, "validation cap: %s", dnssec_cap_name(b->cap));
	else
		snprintf(err, errlen, "%s", ldns_get_errorstr_by_id(st));
	return -1;
}

/* Does DNSKEY k match the anchor or DS t (owner, key tag, algorithm)? */
static int
key_matches(const ldns_rr *k, const ldns_rr *t)
{
	ldns_rr *ds;
	int eq = 1;

	if (!dname_eq(ldns_rr_owner(k), ldns_rr_owner(t))
	    || ldns_rr_rd_count(t) != 4 || ldns_rr_rd_count(k) != 4)
		return 0;
	if (ldns_rr_get_type(t) == LDNS_RR_TYPE_DNSKEY) {
		for (size_t i = 0; i < 4 && eq; i++)
			eq = ldns_rdf_compare(ldns_rr_rdf(k, i), ldns_rr_rdf(t, i)) == 0;
		return eq;
	}
	if (ldns_rr_get_type(t) != LDNS_RR_TYPE_DS
	    || ldns_rdf2native_int16(ldns_rr_rdf(t, 0)) != ldns_calc_keytag(k)
	    || ldns_rdf2native_int8(ldns_rr_rdf(t, 1))
	    != ldns_rdf2native_int8(ldns_rr_rdf(k, 2)))
		return 0;		/* hash only a DS that may match */
	/* An unknown digest type yields NULL: that DS matches nothing. */
	ds = ldns_key_rr2ds(k, (ldns_hash)ldns_rdf2native_int8(ldns_rr_rdf(t, 2)));
	if (ds == NULL)
		return 0;
	for (size_t i = 0; i < 4 && eq; i++)
		eq = ldns_rdf_compare(ldns_rr_rdf(ds, i), ldns_rr_rdf(t, i)) == 0;
	ldns_rr_free(ds);
	return eq;
}

ldns_rr_list *
dnssec_verify_dnskeys(const ldns_rr_list *dnskeys, const ldns_rr_list *sigs,
    const ldns_rdf *zone, const ldns_rr_list *trusted, time_t now,
    struct dnssec_budget *b, char *err, size_t errlen)
{
	ldns_rr_list *zk = zone_keys(dnskeys, zone), *tk = list_new(), *out;
	int rc;

	for (size_t i = 0; i < ldns_rr_list_rr_count(zk); i++)
		for (size_t j = 0; j < ldns_rr_list_rr_count(trusted); j++)
			if (key_matches(ldns_rr_list_rr(zk, i),
			    ldns_rr_list_rr(trusted, j))) {
				ldns_rr_list_push_rr(tk, ldns_rr_list_rr(zk, i));
				break;
			}
	if (ldns_rr_list_rr_count(tk) == 0) {
		snprintf(err, errlen, "no DNSKEY matches a trusted DS or key");
		rc = -1;
	} else {
		rc = dnssec_verify_rrset(dnskeys, sigs, zone, tk, now, b, err,
		    errlen);
	}
	out = rc == 0 ? ldns_rr_list_clone(zk) : NULL;
	ldns_rr_list_free(tk);
	ldns_rr_list_free(zk);
	return out;
}

/*
 * NSEC denials (RFC 4035 5.4): pure over already verified records.
 */

static int
nsec_has(const ldns_rr *nsec, ldns_rr_type t)
{
	ldns_rdf *bm = ldns_nsec_get_bitmap(nsec);

	return bm != NULL && ldns_nsec_bitmap_covers_type(bm, t);
}

/* A delegation, seen from the parent: NS without SOA. */
static int
nsec_is_cut(const ldns_rr *nsec)
{
	return nsec_has(nsec, LDNS_RR_TYPE_NS) && !nsec_has(nsec, LDNS_RR_TYPE_SOA);
}

/* owner < name < next in canonical order; the last NSEC wraps. */
static int
nsec_covers(const ldns_rr *nsec, const ldns_rdf *name)
{
	const ldns_rdf *owner = ldns_rr_owner(nsec), *next = ldns_rr_rdf(nsec, 0);

	if (next == NULL || ldns_dname_compare(owner, name) >= 0)
		return 0;
	return ldns_dname_compare(next, owner) <= 0
	    || ldns_dname_compare(name, next) < 0;
}

static const ldns_rr *
find_owner(const ldns_rr_list *nsecs, const ldns_rdf *name)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(nsecs); i++)
		if (dname_eq(ldns_rr_owner(ldns_rr_list_rr(nsecs, i)), name))
			return ldns_rr_list_rr(nsecs, i);
	return NULL;
}

/*
 * An NSEC covering name; not one at a delegation above it, whose
 * span says nothing about the child zone's names.
 */
static const ldns_rr *
find_covering(const ldns_rr_list *nsecs, const ldns_rdf *name)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(nsecs); i++) {
		const ldns_rr *n = ldns_rr_list_rr(nsecs, i);

		if (!nsec_covers(n, name))
			continue;
		if (ldns_dname_is_subdomain(name, ldns_rr_owner(n)) && nsec_is_cut(n))
			continue;
		return n;
	}
	return NULL;
}

static ldns_rdf *
chop(ldns_rdf *d)
{
	ldns_rdf *p = ldns_dname_left_chop(d);

	ldns_rdf_deep_free(d);
	if (p == NULL) {
		log_err("out of memory");
		abort();
	}
	return p;
}

static ldns_rdf *
common_ancestor(const ldns_rdf *a, const ldns_rdf *b)
{
	ldns_rdf *x = rdf_clone(a), *y = rdf_clone(b);

	while (ldns_dname_label_count(x) > ldns_dname_label_count(y))
		x = chop(x);
	while (ldns_dname_label_count(y) > ldns_dname_label_count(x))
		y = chop(y);
	while (!dname_eq(x, y)) {
		x = chop(x);
		y = chop(y);
	}
	ldns_rdf_deep_free(y);
	return x;
}

static ldns_rdf *
wildcard_of(const ldns_rdf *ce)
{
	char s[DNSSEC_NAME_BUF], buf[DNSSEC_NAME_BUF + 2];

	if (dname_text(ce, s, sizeof(s)) < 0)
		return NULL;
	snprintf(buf, sizeof(buf), "*.%s", strcmp(s, ".") != 0 ? s : "");
	return ldns_dname_new_frm_str(buf);
}

int
dnssec_deny(const ldns_rdf *name, ldns_rr_type type, int nxdomain,
    const ldns_rr_list *nsecs, const ldns_rdf *zone)
{
	const ldns_rr *n, *c;
	ldns_rdf *ce, *ce2, *wc;
	int rc = -1;

	if (!under(name, zone))
		return -1;
	if ((n = find_owner(nsecs, name)) != NULL) {
		/* The name exists: only NODATA can be proven. */
		if (nxdomain || nsec_has(n, type) || nsec_has(n, LDNS_RR_TYPE_CNAME))
			return -1;
		/* At a delegation the parent speaks only for the DS. */
		return nsec_is_cut(n) && type != LDNS_RR_TYPE_DS ? -1 : 0;
	}
	if ((c = find_covering(nsecs, name)) == NULL)
		return -1;
	if (ldns_dname_is_subdomain(ldns_rr_rdf(c, 0), name))
		return nxdomain ? -1 : 0;	/* an empty non-terminal */
	/* The closest encloser, and the wildcard that could have matched. */
	ce = common_ancestor(name, ldns_rr_owner(c));
	ce2 = common_ancestor(name, ldns_rr_rdf(c, 0));
	if (ldns_dname_label_count(ce2) > ldns_dname_label_count(ce)) {
		ldns_rdf_deep_free(ce);
		ce = ce2;
	} else {
		ldns_rdf_deep_free(ce2);
	}
	if (under(ce, zone) && (wc = wildcard_of(ce)) != NULL) {
		if (nxdomain)
			rc = find_owner(nsecs, wc) == NULL
			    && find_covering(nsecs, wc) != NULL ? 0 : -1;
		else if ((n = find_owner(nsecs, wc)) != NULL)
			rc = nsec_has(n, type) || nsec_has(n, LDNS_RR_TYPE_CNAME)
			    ? -1 : 0;
		ldns_rdf_deep_free(wc);
	}
	ldns_rdf_deep_free(ce);
	return rc;
}

/*
 * NSEC3 denials (RFC 5155 section 8): pure over already verified records.
 * The hashes are compared as bytes: the owner's first label is the
 * base32hex of one, the next hashed owner is binary in the rdata.
 */

#define NSEC3_SHA1	1	/* the only hash algorithm defined */
#define NSEC3_HLEN	20	/* its length */

struct n3 {
	const ldns_rr *rr;
	uint8_t own[NSEC3_HLEN], next[NSEC3_HLEN];
};

struct n3set {
	const ldns_rdf *zone;
	const ldns_rr *param;		/* hash parameters: the first usable */
	size_t n;
	struct n3 *v;
};

/*
 * Usable: an NSEC3 right below the zone, SHA-1 (RFC 5155 8.1: unknown
 * hash algorithms are ignored), flags 0 or 1 (8.2: others ignored), and
 * hashes of the SHA-1 length.
 */
static int
n3_usable(const ldns_rr *rr, const ldns_rdf *zone, struct n3 *e)
{
	const ldns_rdf *own = ldns_rr_owner(rr), *next;
	const uint8_t *d;

	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NSEC3 || ldns_rr_rd_count(rr) < 5
	    || ldns_dname_label_count(own) != ldns_dname_label_count(zone) + 1
	    || !ldns_dname_is_subdomain(own, zone)
	    || ldns_nsec3_algorithm(rr) != NSEC3_SHA1 || ldns_nsec3_flags(rr) > 1)
		return 0;
	d = ldns_rdf_data(own);
	if (ldns_rdf_size(own) < 1u + d[0] || ldns_b32_pton_extended_hex(
	    (const char *)d + 1, d[0], e->own, NSEC3_HLEN) != NSEC3_HLEN)
		return 0;
	next = ldns_nsec3_next_owner(rr);
	if (next == NULL || ldns_rdf_size(next) != 1 + NSEC3_HLEN
	    || ldns_rdf_data(next)[0] != NSEC3_HLEN)
		return 0;
	memcpy(e->next, ldns_rdf_data(next) + 1, NSEC3_HLEN);
	e->rr = rr;
	return 1;
}

static int
n3_same_params(const ldns_rr *a, const ldns_rr *b)
{
	return ldns_nsec3_algorithm(a) == ldns_nsec3_algorithm(b)
	    && ldns_nsec3_iterations(a) == ldns_nsec3_iterations(b)
	    && ldns_rdf_compare(ldns_nsec3_salt(a), ldns_nsec3_salt(b)) == 0;
}

static void
n3set_free(struct n3set *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/*
 * The usable NSEC3 records of zone.  SECURE: go on with the proof;
 * INSECURE: too many iterations; BOGUS: none usable, or mixed
 * parameters (RFC 5155 8.2 allows treating those as bogus, and it
 * bounds the hashing to one parameter set).  Iterations: RFC 9276 3.2
 * lets a validator treat any count above 0 as insecure once the NSEC3
 * signatures are verified (they are, before this); above
 * DNSSEC_NSEC3_MAX_ITER we do, as BIND and Unbound do, so that a zone
 * cannot make us hash at great cost.
 */
static enum dnssec_verdict
n3set_init(struct n3set *s, const ldns_rr_list *nsec3s, const ldns_rdf *zone,
    char *why, size_t whylen)
{
	size_t cnt = ldns_rr_list_rr_count(nsec3s);

	s->zone = zone;
	s->param = NULL;
	s->n = 0;
	s->v = xcalloc(cnt ? cnt : 1, sizeof(*s->v));
	for (size_t i = 0; i < cnt; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(nsec3s, i);

		if (!n3_usable(rr, zone, &s->v[s->n]))
			continue;
		if (s->param == NULL)
			s->param = rr;
		else if (!n3_same_params(rr, s->param)) {
			snprintf(why, whylen, "NSEC3 records with different "
			    "parameters");
			n3set_free(s);
			return DNSSEC_BOGUS;
		}
		s->n++;
	}
	if (s->n == 0) {
		snprintf(why, whylen, "no usable NSEC3 record (SHA-1, flags 0 "
		    "or 1)");
		n3set_free(s);
		return DNSSEC_BOGUS;
	}
	if (ldns_nsec3_iterations(s->param) > DNSSEC_NSEC3_MAX_ITER) {
		snprintf(why, whylen, "NSEC3 with %u iterations (more than %d)",
		    (unsigned)ldns_nsec3_iterations(s->param),
		    DNSSEC_NSEC3_MAX_ITER);
		n3set_free(s);
		return DNSSEC_INSECURE;
	}
	return DNSSEC_SECURE;
}

static int
n3_hash(const struct n3set *s, const ldns_rdf *name, uint8_t out[NSEC3_HLEN])
{
	uint8_t *salt = ldns_nsec3_salt_data(s->param);
	ldns_rdf *h;
	int rc = -1;

	h = ldns_nsec3_hash_name(name, NSEC3_SHA1, ldns_nsec3_iterations(s->param),
	    ldns_nsec3_salt_length(s->param), salt);
	free(salt);
	if (h != NULL && ldns_rdf_size(h) >= 2 && ldns_rdf_data(h)[0] > 0
	    && ldns_b32_pton_extended_hex((const char *)ldns_rdf_data(h) + 1,
	    ldns_rdf_data(h)[0], out, NSEC3_HLEN) == NSEC3_HLEN)
		rc = 0;
	ldns_rdf_deep_free(h);
	return rc;
}

static const struct n3 *
n3_match(const struct n3set *s, const uint8_t h[NSEC3_HLEN])
{
	for (size_t i = 0; i < s->n; i++)
		if (memcmp(s->v[i].own, h, NSEC3_HLEN) == 0)
			return &s->v[i];
	return NULL;
}

/* owner < h < next; the last NSEC3 of the chain wraps to the first. */
static const struct n3 *
n3_cover(const struct n3set *s, const uint8_t h[NSEC3_HLEN])
{
	for (size_t i = 0; i < s->n; i++) {
		const struct n3 *e = &s->v[i];
		int lo = memcmp(e->own, h, NSEC3_HLEN) < 0;
		int hi = memcmp(h, e->next, NSEC3_HLEN) < 0;

		if (memcmp(e->own, e->next, NSEC3_HLEN) < 0 ? lo && hi : lo || hi)
			return e;
	}
	return NULL;
}

/* Hash name and look for an NSEC3 matching (cover 0) or covering it. */
static const struct n3 *
n3_find(const struct n3set *s, const ldns_rdf *name, int cover)
{
	uint8_t h[NSEC3_HLEN];

	if (name == NULL || n3_hash(s, name, h) < 0)
		return NULL;
	return cover ? n3_cover(s, h) : n3_match(s, h);
}

/*
 * The closest (provable) encloser proof, RFC 5155 8.3: the longest
 * ancestor of name matched by an NSEC3, with the name one label longer
 * (the "next closer" name) covered.  A match without that cover is a
 * failed proof; so is a closest encloser that is a delegation or has a
 * DNAME (the name would not be this zone's to deny).  On success *ce
 * is set (free it) and *nc is the NSEC3 covering the next closer name.
 */
static int
n3_closest_encloser(const struct n3set *s, const ldns_rdf *name,
    ldns_rdf **ce, const struct n3 **nc)
{
	ldns_rdf *sn = rdf_clone(name);
	const struct n3 *cover = NULL, *m;

	uint8_t h[NSEC3_HLEN];

	*ce = NULL;
	*nc = NULL;
	for (;;) {
		if (n3_hash(s, sn, h) < 0)
			break;
		if ((m = n3_match(s, h)) != NULL) {
			if (cover == NULL || nsec_is_cut(m->rr)
			    || nsec_has(m->rr, LDNS_RR_TYPE_DNAME))
				break;
			*ce = sn;
			*nc = cover;
			return 0;
		}
		cover = n3_cover(s, h);
		if (dname_eq(sn, s->zone) || ldns_dname_label_count(sn) == 0)
			break;
		sn = chop(sn);
	}
	ldns_rdf_deep_free(sn);
	return -1;
}

/*
 * RFC 5155 9.2: when the NSEC3 covering the next closer name has the
 * Opt-Out bit, names it covers may exist as unsigned delegations, so the
 * answer is not proven secure: it is insecure.
 */
static enum dnssec_verdict
n3_optout_verdict(const struct n3 *nc)
{
	return ldns_nsec3_optout(nc->rr) ? DNSSEC_INSECURE : DNSSEC_SECURE;
}

/* RFC 5155 8.4: closest encloser proof, and *.ce covered. */
static enum dnssec_verdict
n3_nxdomain(const struct n3set *s, const ldns_rdf *name, char *why,
    size_t whylen)
{
	const struct n3 *nc;
	enum dnssec_verdict v;
	ldns_rdf *ce, *wc;

	if (n3_closest_encloser(s, name, &ce, &nc) < 0) {
		snprintf(why, whylen, "no NSEC3 closest encloser proof");
		return DNSSEC_BOGUS;
	}
	wc = wildcard_of(ce);
	if (n3_find(s, wc, 1) == NULL) {
		snprintf(why, whylen, "no NSEC3 covers the wildcard at the "
		    "closest encloser");
		v = DNSSEC_BOGUS;
	} else if ((v = n3_optout_verdict(nc)) == DNSSEC_INSECURE)
		snprintf(why, whylen, "NSEC3 opt-out span");
	ldns_rdf_deep_free(wc);
	ldns_rdf_deep_free(ce);
	return v;
}

/*
 * NODATA: RFC 5155 8.5 (an NSEC3 matching the name without the type or
 * CNAME), 8.6 (type DS: that, or a closest provable encloser proof whose
 * next closer name is covered by an opt-out NSEC3: insecure) and 8.7
 * (wildcard NODATA: closest encloser proof and an NSEC3 matching *.ce
 * without the type).  RFC 5155 erratum 3441 extends the DS rule of 8.6
 * to other types (an empty non-terminal above unsigned delegations only
 * may have no NSEC3 in an opt-out zone); the answer is insecure then.
 */
static enum dnssec_verdict
n3_nodata(const struct n3set *s, const ldns_rdf *name, ldns_rr_type type,
    char *why, size_t whylen)
{
	const struct n3 *m, *nc;
	enum dnssec_verdict v = DNSSEC_BOGUS;
	ldns_rdf *ce, *wc;

	if ((m = n3_find(s, name, 0)) != NULL) {
		if (nsec_has(m->rr, type) || nsec_has(m->rr, LDNS_RR_TYPE_CNAME))
			snprintf(why, whylen, "the NSEC3 of the name lists the type");
		else if (type == LDNS_RR_TYPE_DS && nsec_has(m->rr, LDNS_RR_TYPE_SOA))
			snprintf(why, whylen, "DS denied by the child's NSEC3");
		else if (type != LDNS_RR_TYPE_DS && nsec_is_cut(m->rr))
			snprintf(why, whylen, "NSEC3 of a delegation");
		else
			v = DNSSEC_SECURE;
		return v;
	}
	if (n3_closest_encloser(s, name, &ce, &nc) < 0) {
		snprintf(why, whylen, "no matching NSEC3 and no closest "
		    "encloser proof");
		return DNSSEC_BOGUS;
	}
	if (type != LDNS_RR_TYPE_DS) {
		wc = wildcard_of(ce);
		m = n3_find(s, wc, 0);
		ldns_rdf_deep_free(wc);
		if (m != NULL && !nsec_has(m->rr, type)
		    && !nsec_has(m->rr, LDNS_RR_TYPE_CNAME)) {
			ldns_rdf_deep_free(ce);
			if ((v = n3_optout_verdict(nc)) == DNSSEC_INSECURE)
				snprintf(why, whylen, "NSEC3 opt-out span");
			return v;
		}
	}
	ldns_rdf_deep_free(ce);
	if (ldns_nsec3_optout(nc->rr)) {
		snprintf(why, whylen, "NSEC3 opt-out span");
		return DNSSEC_INSECURE;
	}
	snprintf(why, whylen, "no NSEC3 matches the name or its wildcard");
	return DNSSEC_BOGUS;
}

enum dnssec_verdict
dnssec_nsec3_deny(const ldns_rdf *name, ldns_rr_type type, int nxdomain,
    const ldns_rr_list *nsec3s, const ldns_rdf *zone, char *why, size_t whylen)
{
	struct n3set s;
	enum dnssec_verdict v;

	if (!under(name, zone)) {
		snprintf(why, whylen, "name outside the zone");
		return DNSSEC_BOGUS;
	}
	if ((v = n3set_init(&s, nsec3s, zone, why, whylen)) != DNSSEC_SECURE)
		return v;
	v = nxdomain ? n3_nxdomain(&s, name, why, whylen)
	    : n3_nodata(&s, name, type, why, whylen);
	n3set_free(&s);
	return v;
}

/*
 * RFC 5155 8.8: a wildcard answer (its RRSIG has labels labels) needs
 * an NSEC3 covering the next closer name, labels + 1 labels of name.
 * With opt-out that span is insecure (9.2), as Unbound has it.
 */
enum dnssec_verdict
dnssec_nsec3_wildcard(const ldns_rdf *name, int labels,
    const ldns_rr_list *nsec3s, const ldns_rdf *zone, char *why, size_t whylen)
{
	int nl = (int)ldns_dname_label_count(name);
	const struct n3 *c;
	enum dnssec_verdict v;
	struct n3set s;
	ldns_rdf *nc;

	if (labels < 0 || labels >= nl || labels < (int)ldns_dname_label_count(zone)
	    || !under(name, zone)) {
		snprintf(why, whylen, "wildcard answer: bad RRSIG labels");
		return DNSSEC_BOGUS;
	}
	if ((v = n3set_init(&s, nsec3s, zone, why, whylen)) != DNSSEC_SECURE)
		return v;
	nc = rdf_clone(name);
	while (nl-- > labels + 1)
		nc = chop(nc);
	if ((c = n3_find(&s, nc, 1)) == NULL) {
		snprintf(why, whylen, "no NSEC3 covers the next closer name");
		v = DNSSEC_BOGUS;
	} else if ((v = n3_optout_verdict(c)) == DNSSEC_INSECURE)
		snprintf(why, whylen, "NSEC3 opt-out span");
	ldns_rdf_deep_free(nc);
	n3set_free(&s);
	return v;
}

/*
 * The DS step with NSEC3: an NSEC3 matching child proves a delegation
 * without DS (NS bit; RFC 5155 8.9, 8.6) or no zone cut (no NS bit).
 * Without one, the closest provable encloser proof: an opt-out NSEC3
 * covering the next closer name leaves an unsigned delegation possible,
 * and RFC 5155 8.6 and 9.2 make that answer insecure; a covering NSEC3
 * without opt-out proves that nothing exists there, so no cut either.
 */
enum dnssec_ds
dnssec_nsec3_ds(const ldns_rdf *child, const ldns_rr_list *nsec3s,
    const ldns_rdf *zone, char *why, size_t whylen)
{
	const struct n3 *m, *nc;
	enum dnssec_ds res;
	struct n3set s;
	ldns_rdf *ce;

	if (!under(child, zone)) {
		snprintf(why, whylen, "name outside the zone");
		return DNSSEC_DS_BOGUS;
	}
	switch (n3set_init(&s, nsec3s, zone, why, whylen)) {
	case DNSSEC_SECURE:
		break;
	case DNSSEC_INSECURE:
		return DNSSEC_DS_INSECURE;
	default:
		return DNSSEC_DS_BOGUS;
	}
	if ((m = n3_find(&s, child, 0)) != NULL) {
		if (nsec_has(m->rr, LDNS_RR_TYPE_DS) || nsec_has(m->rr,
		    LDNS_RR_TYPE_SOA) || nsec_has(m->rr, LDNS_RR_TYPE_CNAME)) {
			snprintf(why, whylen, "NSEC3 at the name lists DS, SOA "
			    "or CNAME");
			res = DNSSEC_DS_BOGUS;
		} else {
			res = nsec_has(m->rr, LDNS_RR_TYPE_NS) ? DNSSEC_DS_INSECURE
			    : DNSSEC_DS_NOCUT;
		}
	} else if (n3_closest_encloser(&s, child, &ce, &nc) < 0) {
		snprintf(why, whylen, "no NSEC3 proves the absence of DS");
		res = DNSSEC_DS_BOGUS;
	} else {
		ldns_rdf_deep_free(ce);
		if (ldns_nsec3_optout(nc->rr)) {
			snprintf(why, whylen, "NSEC3 opt-out span");
			res = DNSSEC_DS_INSECURE;
		} else {
			res = DNSSEC_DS_NXDOMAIN;
		}
	}
	n3set_free(&s);
	return res;
}

/* Is an RR of this owner and type in l or l3 (already verified)? */
static int
seen_set(const ldns_rr_list *l, const ldns_rr_list *l3, const ldns_rr *rr)
{
	const ldns_rr_list *in = ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC ? l : l3;

	return find_owner(in, ldns_rr_owner(rr)) != NULL;
}

int
dnssec_authority_nsecs(const ldns_pkt *pkt, const ldns_rdf *zone,
    const ldns_rr_list *keys, time_t now, struct dnssec_budget *b,
    ldns_rr_list **nsecs, ldns_rr_list **nsec3s, char *err, size_t errlen)
{
	const ldns_rr_list *ns = ldns_pkt_authority(pkt);
	ldns_rr_list *out = list_new(), *out3 = list_new();
	char e[120], o[DNSSEC_NAME_BUF];

	*nsecs = *nsec3s = NULL;
	for (size_t i = 0; i < ldns_rr_list_rr_count(ns); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ns, i);
		ldns_rr_type t = ldns_rr_get_type(rr);
		ldns_rr_list *set, *sigs;
		int rc = 0;

		if ((t != LDNS_RR_TYPE_NSEC && t != LDNS_RR_TYPE_NSEC3)
		    || !under(ldns_rr_owner(rr), zone))
			continue;
		/* Each RRset is verified once, however many records it has. */
		if (!seen_set(out, out3, rr)) {
			set = pick(ns, ldns_rr_owner(rr), t);
			sigs = pick_sigs(ns, ldns_rr_owner(rr), t);
			rc = dnssec_verify_rrset(set, sigs, zone, keys, now, b, e,
			    sizeof(e));
			ldns_rr_list_free(set);
			ldns_rr_list_free(sigs);
		}
		if (rc < 0) {
			name_str(ldns_rr_owner(rr), o, sizeof(o));
			snprintf(err, errlen, "%s %s: %s", t == LDNS_RR_TYPE_NSEC
			    ? "NSEC" : "NSEC3", o, e);
			goto fail;
		}
		ldns_rr_list_push_rr(t == LDNS_RR_TYPE_NSEC ? out : out3, rr);
	}
	if (ldns_rr_list_rr_count(out) + ldns_rr_list_rr_count(out3) == 0) {
		name_str(zone, o, sizeof(o));
		snprintf(err, errlen, "no NSEC or NSEC3 record of %s", o);
		goto fail;
	}
	*nsecs = out;
	*nsec3s = out3;
	return 0;
fail:
	ldns_rr_list_free(out);
	ldns_rr_list_free(out3);
	return -1;
}

enum dnssec_ds
dnssec_ds_step(const ldns_pkt *pkt, const ldns_rdf *child,
    const ldns_rdf *zone, const ldns_rr_list *keys, time_t now,
    struct dnssec_budget *b, ldns_rr_list **ds, char *err, size_t errlen)
{
	ldns_pkt_rcode rc = ldns_pkt_get_rcode(pkt);
	ldns_rr_list *set, *sigs, *nsecs, *nsec3s;
	const ldns_rr *n, *c;
	enum dnssec_ds res;
	char e[160] = "";

	*ds = NULL;
	if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN) {
		snprintf(err, errlen, "DS lookup: rcode %d", (int)rc);
		return DNSSEC_DS_BOGUS;
	}
	set = pick(ldns_pkt_answer(pkt), child, LDNS_RR_TYPE_DS);
	if (ldns_rr_list_rr_count(set) > 0 && rc == LDNS_RCODE_NXDOMAIN) {
		snprintf(err, errlen, "DS lookup: rcode NXDOMAIN with a DS RRset");
		ldns_rr_list_free(set);
		return DNSSEC_DS_BOGUS;
	}
	if (ldns_rr_list_rr_count(set) > 0) {
		sigs = pick_sigs(ldns_pkt_answer(pkt), child, LDNS_RR_TYPE_DS);
		if (dnssec_verify_rrset(set, sigs, zone, keys, now, b, e,
		    sizeof(e)) == 0) {
			*ds = ldns_rr_list_clone(set);
			res = DNSSEC_DS_SECURE;
		} else {
			snprintf(err, errlen, "DS: %s", e);
			res = DNSSEC_DS_BOGUS;
		}
		ldns_rr_list_free(sigs);
		ldns_rr_list_free(set);
		return res;
	}
	ldns_rr_list_free(set);
	if (ldns_rr_list_rr_count(ldns_pkt_answer(pkt)) > 0) {
		snprintf(err, errlen, "DS lookup: other records in the answer");
		return DNSSEC_DS_BOGUS;
	}
	if (dnssec_authority_nsecs(pkt, zone, keys, now, b, &nsecs, &nsec3s, e,
	    sizeof(e)) < 0) {
		snprintf(err, errlen, "no DS: %s", e);
		return DNSSEC_DS_BOGUS;
	}
	if (ldns_rr_list_rr_count(nsecs) == 0) {
		/* The zone uses NSEC3. */
		if ((res = dnssec_nsec3_ds(child, nsec3s, zone, e, sizeof(e)))
		    == DNSSEC_DS_BOGUS || res == DNSSEC_DS_INSECURE)
			snprintf(err, errlen, "%s", e);
	} else if ((n = find_owner(nsecs, child)) != NULL) {
		if (nsec_has(n, LDNS_RR_TYPE_DS) || nsec_has(n, LDNS_RR_TYPE_SOA)) {
			snprintf(err, errlen, "NSEC at the name lists DS or SOA");
			res = DNSSEC_DS_BOGUS;
		} else {
			res = nsec_has(n, LDNS_RR_TYPE_NS) ? DNSSEC_DS_INSECURE
			    : DNSSEC_DS_NOCUT;
		}
	} else if ((c = find_covering(nsecs, child)) != NULL) {
		res = ldns_dname_is_subdomain(ldns_rr_rdf(c, 0), child)
		    ? DNSSEC_DS_NOCUT : DNSSEC_DS_NXDOMAIN;
	} else {
		snprintf(err, errlen, "no NSEC proves the absence of DS");
		res = DNSSEC_DS_BOGUS;
	}
	ldns_rr_list_free(nsecs);
	ldns_rr_list_free(nsec3s);
	return res;
}

/*
 * The state machine: one job per answer.
 */

struct item {
	int negative;			/* a denial, not an RRset */
	int nxdomain;
	const ldns_rdf *name;		/* in the packet or job->qname */
	ldns_rr_type type;
	ldns_rr_list *rrset, *sigs;	/* shallow, positive items */
};

struct dnssec_job {
	struct dnssec *v;
	ldns_pkt *pkt;
	ldns_rdf *qname;
	struct item items[MAX_ITEMS];
	int qtype, nitems, cur, insecure, nfetch, sync;
	enum dnssec_verdict verdict;	/* set when done while sync */
	struct dnssec_budget budget;	/* validation work of this query */
	unsigned answer_checks;		/* of it, on the answer itself */
	ldns_rdf *target;		/* the zone the item needs */
	ldns_rdf *zone;			/* deepest secure zone so far */
	ldns_rr_list *keys;		/* its zone keys, deep */
	ldns_rdf *pos;			/* deepest name examined */
	ldns_rdf *child;		/* the name of the pending lookup */
	ldns_rr_list *ds;		/* the child's verified DS, deep */
	void *fetch;
	dnssec_done_cb cb;
	void *arg;
	char why[256];
};

static void item_start(struct dnssec_job *j);

const char *
dnssec_verdict_name(enum dnssec_verdict v)
{
	switch (v) {
	case DNSSEC_PENDING:
		return "pending";
	case DNSSEC_SECURE:
		return "secure";
	case DNSSEC_INSECURE:
		return "insecure";
	case DNSSEC_BOGUS:
		return "bogus";
	}
	return "?";
}

struct dnssec *
dnssec_new(struct dnssec_anchors *a, const struct dnssec_io *io)
{
	struct dnssec *v = xcalloc(1, sizeof(*v));

	v->anchors = a;
	v->io = *io;
	return v;
}

const struct dnssec_stats *
dnssec_stats(const struct dnssec *v)
{
	return &v->stats;
}

void
dnssec_free(struct dnssec *v)
{
	if (v == NULL)
		return;
	dnssec_anchors_free(v->anchors);
	free(v);
}

static time_t
job_now(const struct dnssec_job *j)
{
	return j->v->io.now ? j->v->io.now(j->v->io.ctx) : time(NULL);
}

static void
walk_reset(struct dnssec_job *j)
{
	ldns_rdf_deep_free(j->target);
	ldns_rdf_deep_free(j->zone);
	ldns_rdf_deep_free(j->pos);
	ldns_rdf_deep_free(j->child);
	ldns_rr_list_deep_free(j->keys);
	ldns_rr_list_deep_free(j->ds);
	j->target = j->zone = j->pos = j->child = NULL;
	j->keys = j->ds = NULL;
}

static void
job_free(struct dnssec_job *j)
{
	walk_reset(j);
	for (int i = 0; i < j->nitems; i++) {
		ldns_rr_list_free(j->items[i].rrset);
		ldns_rr_list_free(j->items[i].sigs);
	}
	ldns_rdf_deep_free(j->qname);
	ldns_pkt_free(j->pkt);
	free(j);
}

/* Add the job's work to the validator's counters; say when a cap hit. */
static void
job_account(struct dnssec_job *j)
{
	char n[DNSSEC_NAME_BUF];

	j->v->stats.checks += j->budget.query;
	if (j->budget.cap == DNSSEC_CAP_NONE)
		return;
	j->v->stats.capped++;
	name_str(j->qname, n, sizeof(n));
	log_warn("dnssec: %s/%d: validation cap hit (%s) after %u signature "
	    "checks: bogus", n, j->qtype, dnssec_cap_name(j->budget.cap),
	    j->budget.query);
}

static void
job_done(struct dnssec_job *j, enum dnssec_verdict v)
{
	job_account(j);
	if (j->sync) {
		j->verdict = v;
		return;
	}
	j->cb(j->arg, v, j->why);
	job_free(j);
}

static void __attribute__((format(printf, 2, 3)))
job_bogus(struct dnssec_job *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->why, sizeof(j->why), fmt, ap);
	va_end(ap);
	job_done(j, DNSSEC_BOGUS);
}

static void
job_fetch(struct dnssec_job *j, const ldns_rdf *name, int type,
    dnssec_fetch_cb cb)
{
	char buf[DNSSEC_NAME_BUF];

	name_str(name, buf, sizeof(buf));
	if (++j->nfetch > MAX_FETCH) {
		job_bogus(j, "more than %d DS/DNSKEY lookups", MAX_FETCH);
		return;
	}
	j->fetch = j->v->io.fetch(j->v->io.ctx, buf, type, cb, j);
	if (j->fetch == NULL)
		job_bogus(j, "cannot look up %s", buf);
}

/*
 * The RRsets on the CNAME chain from qname, then the data or denial.
 * The rcode must agree with where the chain ends (RFC 6604: it speaks
 * of the last name): NXDOMAIN with the data there is a forged or broken
 * header, bogus at once; a denial gets the proof its rcode calls for
 * (NXDOMAIN or NODATA), so a flipped rcode finds no proof either.
 */
static int
build_items(struct dnssec_job *j, int qtype, char *why, size_t whylen)
{
	const ldns_rr_list *an = ldns_pkt_answer(j->pkt);
	const ldns_rdf *x = j->qname;
	int nx = ldns_pkt_get_rcode(j->pkt) == LDNS_RCODE_NXDOMAIN;

	while (j->nitems < MAX_ITEMS) {
		struct item *it = &j->items[j->nitems++];

		it->name = x;
		it->type = (ldns_rr_type)qtype;
		it->rrset = pick(an, x, it->type);
		if (ldns_rr_list_rr_count(it->rrset) > 0) {
			it->sigs = pick_sigs(an, x, it->type);
			if (!nx)
				return 0;
			snprintf(why, whylen, "rcode NXDOMAIN with the data it "
			    "denies");
			return -1;
		}
		ldns_rr_list_free(it->rrset);
		it->rrset = pick(an, x, LDNS_RR_TYPE_CNAME);
		if (ldns_rr_list_rr_count(it->rrset) == 1
		    && qtype != LDNS_RR_TYPE_CNAME) {
			it->type = LDNS_RR_TYPE_CNAME;
			it->sigs = pick_sigs(an, x, LDNS_RR_TYPE_CNAME);
			x = ldns_rr_rdf(ldns_rr_list_rr(it->rrset, 0), 0);
			if (x == NULL)
				break;
			continue;
		}
		ldns_rr_list_free(it->rrset);
		it->rrset = NULL;
		it->negative = 1;
		it->nxdomain = nx;
		return 0;
	}
	snprintf(why, whylen, "CNAME chain too long or broken");
	return -1;
}

/* The signer the item claims: of its RRSIGs, or of the authority's. */
static const ldns_rdf *
item_signer(const struct dnssec_job *j, const struct item *it)
{
	const ldns_rr_list *l = it->negative ? ldns_pkt_authority(j->pkt)
	    : it->sigs;

	for (size_t i = 0; i < ldns_rr_list_rr_count(l); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(l, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG
		    && ldns_rr_rrsig_signame(rr) != NULL)
			return ldns_rr_rrsig_signame(rr);
	}
	return NULL;
}

/*
 * A wildcard expansion: an RRSIG with fewer labels than the owner.  The
 * smallest label count of all the RRSIGs, or -1: whichever signature
 * verifies, a wildcard it may stand for needs its proof.
 */
static int
expanded(const struct item *it)
{
	int min = -1, nl = (int)ldns_dname_label_count(it->name);

	if (ldns_dname_is_wildcard(it->name))
		return -1;
	for (size_t i = 0; i < ldns_rr_list_rr_count(it->sigs); i++) {
		const ldns_rdf *l = ldns_rr_rrsig_labels(ldns_rr_list_rr(it->sigs, i));
		int n = l ? ldns_rdf2native_int8(l) : nl;

		if (n < nl && (min < 0 || n < min))
			min = n;
	}
	return min;
}

static void
item_finished(struct dnssec_job *j)
{
	if (++j->cur < j->nitems) {
		item_start(j);
		return;
	}
	if (j->insecure)
		job_done(j, DNSSEC_INSECURE);
	else
		job_done(j, DNSSEC_SECURE);
}

/*
 * The denial for a negative item, or (labels >= 0) the proof that a
 * wildcard answer's name does not exist: NSEC records, or NSEC3 ones
 * when the zone sent no NSEC.
 */
static enum dnssec_verdict
item_proof(struct dnssec_job *j, const struct item *it, int labels, time_t now,
    char *why, size_t whylen)
{
	ldns_rr_list *nsecs, *nsec3s;
	enum dnssec_verdict v;
	char e[160] = "";

	if (dnssec_authority_nsecs(j->pkt, j->zone, j->keys, now, &j->budget,
	    &nsecs, &nsec3s, e, sizeof(e)) < 0) {
		snprintf(why, whylen, "%s", e);
		return DNSSEC_BOGUS;
	}
	if (ldns_rr_list_rr_count(nsecs) > 0) {
		if (labels >= 0)
			v = find_covering(nsecs, it->name) ? DNSSEC_SECURE
			    : DNSSEC_BOGUS;
		else
			v = dnssec_deny(it->name, it->type, it->nxdomain, nsecs,
			    j->zone) == 0 ? DNSSEC_SECURE : DNSSEC_BOGUS;
		snprintf(why, whylen, "the NSEC records do not prove the %s",
		    labels >= 0 ? "wildcard answer" : it->nxdomain ? "NXDOMAIN"
		    : "NODATA");
	} else if (labels >= 0) {
		v = dnssec_nsec3_wildcard(it->name, labels, nsec3s, j->zone, e,
		    sizeof(e));
		snprintf(why, whylen, "NSEC3, wildcard answer: %s", e);
	} else {
		v = dnssec_nsec3_deny(it->name, it->type, it->nxdomain, nsec3s,
		    j->zone, e, sizeof(e));
		snprintf(why, whylen, "NSEC3, %s: %s", it->nxdomain ? "NXDOMAIN"
		    : "NODATA", e);
	}
	ldns_rr_list_free(nsecs);
	ldns_rr_list_free(nsec3s);
	return v;
}

/*
 * The item against the keys of the zone the walk reached: SECURE,
 * INSECURE or BOGUS, the reason in why; *labels >= 0 for a wildcard
 * answer (its proof is what failed, if anything).
 */
static enum dnssec_verdict
item_check(struct dnssec_job *j, const struct item *it, int *labels,
    char *why, size_t whylen)
{
	time_t now = job_now(j);

	*labels = -1;
	if (!it->negative) {
		if (ldns_rr_list_rr_count(it->sigs) == 0) {
			snprintf(why, whylen, "no signature in a signed zone");
			return DNSSEC_BOGUS;
		}
		if (dnssec_verify_rrset(it->rrset, it->sigs, j->zone, j->keys, now,
		    &j->budget, why, whylen) < 0)
			return DNSSEC_BOGUS;
		/* A wildcard answer needs proof that the name is not there. */
		if ((*labels = expanded(it)) < 0)
			return DNSSEC_SECURE;
	}
	return item_proof(j, it, *labels, now, why, whylen);
}

/* Check the item; the answer is one response for the budget. */
static void
item_verify(struct dnssec_job *j)
{
	struct item *it = &j->items[j->cur];
	char n[DNSSEC_NAME_BUF], e[200];
	enum dnssec_verdict v;
	int labels;

	name_str(it->name, n, sizeof(n));
	j->budget.response = j->answer_checks;
	v = item_check(j, it, &labels, e, sizeof(e));
	j->answer_checks = j->budget.response;
	if (v == DNSSEC_BOGUS) {
		if (labels >= 0)
			job_bogus(j, "%s: wildcard answer without proof: %s", n, e);
		else
			job_bogus(j, "%s type %d: %s", n, it->type, e);
		return;
	}
	if (v == DNSSEC_INSECURE) {
		log_debug("dnssec: %s type %d is insecure: %s", n, it->type, e);
		j->insecure = 1;
	}
	item_finished(j);
}

static void walk_step(struct dnssec_job *j);

/*
 * The zone keys of zone from a DNSKEY response, its RRset signed by a
 * key matching one of trusted; NULL with the reason in err.  Only a
 * NOERROR response counts: keys under another rcode disagree with it.
 */
static ldns_rr_list *
fetched_keys(struct dnssec_job *j, const ldns_pkt *pkt, const ldns_rdf *zone,
    const ldns_rr_list *trusted, char *err, size_t errlen)
{
	ldns_rr_list *set, *sigs, *keys;

	if (ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR) {
		snprintf(err, errlen, "rcode %d", (int)ldns_pkt_get_rcode(pkt));
		return NULL;
	}
	set = pick(ldns_pkt_answer(pkt), zone, LDNS_RR_TYPE_DNSKEY);
	sigs = pick_sigs(ldns_pkt_answer(pkt), zone, LDNS_RR_TYPE_DNSKEY);
	j->budget.response = 0;
	keys = dnssec_verify_dnskeys(set, sigs, zone, trusted, job_now(j),
	    &j->budget, err, errlen);
	ldns_rr_list_free(set);
	ldns_rr_list_free(sigs);
	return keys;
}

static void
on_child_keys(void *arg, const ldns_pkt *pkt, const char *err)
{
	struct dnssec_job *j = arg;
	ldns_rr_list *keys;
	char n[DNSSEC_NAME_BUF], e[200];

	j->fetch = NULL;
	name_str(j->child, n, sizeof(n));
	if (pkt == NULL) {
		job_bogus(j, "DNSKEY %s: %s", n, err);
		return;
	}
	if ((keys = fetched_keys(j, pkt, j->child, j->ds, e, sizeof(e))) == NULL) {
		job_bogus(j, "DNSKEY %s: %s", n, e);
		return;
	}
	ldns_rr_list_deep_free(j->keys);
	ldns_rr_list_deep_free(j->ds);
	j->keys = keys;
	j->ds = NULL;
	ldns_rdf_deep_free(j->zone);
	ldns_rdf_deep_free(j->pos);
	j->zone = rdf_clone(j->child);
	j->pos = rdf_clone(j->child);
	walk_step(j);
}

static void
on_ds(void *arg, const ldns_pkt *pkt, const char *err)
{
	struct dnssec_job *j = arg;
	char n[DNSSEC_NAME_BUF], e[200] = "";

	j->fetch = NULL;
	name_str(j->child, n, sizeof(n));
	if (pkt == NULL) {
		job_bogus(j, "DS %s: %s", n, err);
		return;
	}
	j->budget.response = 0;
	switch (dnssec_ds_step(pkt, j->child, j->zone, j->keys, job_now(j),
	    &j->budget, &j->ds, e, sizeof(e))) {
	case DNSSEC_DS_SECURE:
		job_fetch(j, j->child, LDNS_RR_TYPE_DNSKEY, on_child_keys);
		return;
	case DNSSEC_DS_INSECURE:
		log_debug("dnssec: %s is an insecure delegation%s%s", n,
		    *e ? ": " : "", e);
		j->insecure = 1;
		walk_reset(j);
		item_finished(j);
		return;
	case DNSSEC_DS_NOCUT:
		ldns_rdf_deep_free(j->pos);
		j->pos = rdf_clone(j->child);
		walk_step(j);
		return;
	case DNSSEC_DS_NXDOMAIN:
		/* Nothing below exists in this zone: no cut either. */
		item_verify(j);
		return;
	case DNSSEC_DS_BOGUS:
		job_bogus(j, "%s: %s", n, e);
		return;
	}
}

/* One label further down from pos toward target. */
static void
walk_step(struct dnssec_job *j)
{
	ldns_rdf *c;
	int skip;

	if (dname_eq(j->pos, j->target)) {
		item_verify(j);
		return;
	}
	c = rdf_clone(j->target);
	skip = ldns_dname_label_count(j->target) - ldns_dname_label_count(j->pos) - 1;
	while (skip-- > 0)
		c = chop(c);
	ldns_rdf_deep_free(j->child);
	j->child = c;
	job_fetch(j, c, LDNS_RR_TYPE_DS, on_ds);
}

static void
on_anchor_keys(void *arg, const ldns_pkt *pkt, const char *err)
{
	struct dnssec_job *j = arg;
	char n[DNSSEC_NAME_BUF], e[200];

	j->fetch = NULL;
	name_str(j->zone, n, sizeof(n));
	if (pkt == NULL) {
		job_bogus(j, "DNSKEY %s: %s", n, err);
		return;
	}
	j->keys = fetched_keys(j, pkt, j->zone, j->v->anchors->rrs, e, sizeof(e));
	if (j->keys == NULL) {
		job_bogus(j, "DNSKEY %s (trust anchor): %s", n, e);
		return;
	}
	walk_step(j);
}

static void
item_start(struct dnssec_job *j)
{
	struct item *it = &j->items[j->cur];
	const ldns_rdf *anchor, *signer;
	char n[DNSSEC_NAME_BUF];

	name_str(it->name, n, sizeof(n));
	if ((anchor = closest_anchor(j->v->anchors, it->name)) == NULL) {
		/* Nothing configured vouches for this name. */
		log_debug("dnssec: %s is under no trust anchor", n);
		j->insecure = 1;
		item_finished(j);
		return;
	}
	signer = item_signer(j, it);
	if (signer && !(under(signer, anchor) && under(it->name, signer))) {
		job_bogus(j, "%s: signer outside the chain from the anchor", n);
		return;
	}
	if (signer && j->zone && j->keys && dname_eq(signer, j->zone)) {
		item_verify(j);		/* same zone as the item before */
		return;
	}
	walk_reset(j);
	j->target = rdf_clone(signer ? signer : it->name);
	j->zone = rdf_clone(anchor);
	j->pos = rdf_clone(anchor);
	job_fetch(j, anchor, LDNS_RR_TYPE_DNSKEY, on_anchor_keys);
}

enum dnssec_verdict
dnssec_validate(struct dnssec *v, const ldns_pkt *pkt, const char *qname,
    int qtype, dnssec_done_cb cb, void *arg, struct dnssec_job **job,
    char *why, size_t whylen)
{
	ldns_pkt_rcode rc = ldns_pkt_get_rcode(pkt);
	struct dnssec_job *j;
	enum dnssec_verdict res;

	*job = NULL;
	if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN) {
		snprintf(why, whylen, "rcode %d carries no data", (int)rc);
		return DNSSEC_INSECURE;
	}
	j = xcalloc(1, sizeof(*j));
	j->v = v;
	j->qtype = qtype;
	j->cb = cb;
	j->arg = arg;
	j->sync = 1;
	j->pkt = ldns_pkt_clone(pkt);
	j->qname = ldns_dname_new_frm_str(qname);
	if (j->pkt == NULL || j->qname == NULL) {
		snprintf(why, whylen, "cannot copy the answer");
		job_free(j);
		return DNSSEC_BOGUS;
	}
	if (build_items(j, qtype, why, whylen) < 0) {
		job_free(j);
		return DNSSEC_BOGUS;
	}
	item_start(j);
	j->sync = 0;
	if (j->verdict == DNSSEC_PENDING) {
		*job = j;
		return DNSSEC_PENDING;
	}
	snprintf(why, whylen, "%s", j->why);
	res = j->verdict;
	job_free(j);
	return res;
}

void
dnssec_cancel(struct dnssec_job *j)
{
	if (j == NULL)
		return;
	if (j->fetch)
		j->v->io.cancel(j->v->io.ctx, j->fetch);
	j->v->stats.checks += j->budget.query;
	job_free(j);
}
