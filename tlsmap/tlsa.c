/* SPDX-License-Identifier: MIT */
/*
 * tlsa - pure parts of "tlsmap tlsa"; see tlsa.h.  No I/O: GnuTLS only
 * parses certificates and computes digests, and the record matching is
 * probe.c's, the same rules as "tlsmap probe" applies to a live server.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "tlsa.h"

/* SHA-256 of the certificate's SubjectPublicKeyInfo; 0 or -1. */
static int
spki_sha256(const unsigned char *der, size_t derlen, unsigned char md[32])
{
	gnutls_datum_t in = { (unsigned char *)der, (unsigned)derlen };
	gnutls_datum_t spki = { NULL, 0 };
	gnutls_x509_crt_t crt;
	gnutls_pubkey_t pub = NULL;
	int rc = -1;

	if (gnutls_x509_crt_init(&crt) < 0)
		return -1;
	if (gnutls_x509_crt_import(crt, &in, GNUTLS_X509_FMT_DER) == 0
	    && gnutls_pubkey_init(&pub) == 0
	    && gnutls_pubkey_import_x509(pub, crt, 0) == 0
	    && gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &spki) == 0
	    && gnutls_hash_fast(GNUTLS_DIG_SHA256, spki.data, spki.size, md) == 0)
		rc = 0;
	gnutls_free(spki.data);
	if (pub)
		gnutls_pubkey_deinit(pub);
	gnutls_x509_crt_deinit(crt);
	return rc;
}

int
tlsa_record(unsigned usage, const unsigned char *der, size_t derlen,
    char *out, size_t outlen)
{
	unsigned char md[32];
	size_t n;

	if (outlen < TLSA_RECORD_MAX || spki_sha256(der, derlen, md) < 0)
		return -1;
	n = (size_t)snprintf(out, outlen, "%u 1 1 ", usage);
	for (size_t i = 0; i < sizeof(md); i++)
		n += (size_t)snprintf(out + n, outlen - n, "%02x", md[i]);
	return 0;
}

int
tlsa_key_matches(const struct tlsa_key *k, const struct probe_tlsa *rr)
{
	if (!probe_tlsa_usable(rr))
		return 0;
	if (rr->usage == 3)
		return probe_tlsa_match(rr, k->leaf.data, k->leaf.len) == 1;
	for (size_t i = 0; i < k->nchain; i++)
		if (probe_tlsa_match(rr, k->chain[i].data, k->chain[i].len) == 1)
			return 1;
	return 0;
}

int
tlsa_ta_covered(const struct tlsa_key *k, const struct probe_tlsa *rrs,
    size_t nrrs)
{
	for (size_t j = 0; j < nrrs; j++)
		if (rrs[j].usage == 2 && tlsa_key_matches(k, &rrs[j]))
			return 1;
	return 0;
}

enum tlsa_verdict
tlsa_judge(const struct tlsa_key *keys, size_t nkeys,
    const struct probe_tlsa *rrs, size_t nrrs, int *key_ok, int *rr_ok)
{
	enum tlsa_verdict v = TLSA_OK;

	for (size_t j = 0; j < nrrs; j++)
		rr_ok[j] = 0;
	for (size_t i = 0; i < nkeys; i++) {
		key_ok[i] = 0;
		for (size_t j = 0; j < nrrs; j++)
			if (tlsa_key_matches(&keys[i], &rrs[j]))
				key_ok[i] = rr_ok[j] = 1;
	}
	for (size_t j = 0; j < nrrs; j++)
		if (!rr_ok[j])
			v = TLSA_STALE;
	if (nrrs == 0)
		v = TLSA_MISSING;
	for (size_t i = 0; i < nkeys; i++)
		if (!key_ok[i] && keys[i].next && nrrs > 0 && v < TLSA_ROLLOVER)
			v = TLSA_ROLLOVER;
	for (size_t i = 0; i < nkeys; i++)
		if (!key_ok[i] && !keys[i].next && nrrs > 0)
			v = TLSA_MISMATCH;
	return v;
}

const char *
tlsa_verdict_name(enum tlsa_verdict v)
{
	static const char *const name[] = { "ok", "stale", "missing",
	    "rollover", "mismatch" };

	return (unsigned)v < sizeof(name) / sizeof(name[0]) ? name[v] : "?";
}
