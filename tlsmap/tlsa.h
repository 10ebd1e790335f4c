/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	tlsa - pure parts of "tlsmap tlsa": the TLSA records of smtpd's
 *	keys, and how a published RRset compares with them
 *
 * SYNOPSIS
 *	#include "tlsa.h"
 *
 *	int tlsa_record(unsigned usage, const unsigned char *der,
 *	    size_t derlen, char *out, size_t outlen);
 *	int tlsa_key_matches(const struct tlsa_key *k,
 *	    const struct probe_tlsa *rr);
 *	int tlsa_ta_covered(const struct tlsa_key *k,
 *	    const struct probe_tlsa *rrs, size_t nrrs);
 *	enum tlsa_verdict tlsa_judge(const struct tlsa_key *keys,
 *	    size_t nkeys, const struct probe_tlsa *rrs, size_t nrrs,
 *	    int *key_ok, int *rr_ok);
 *	const char *tlsa_verdict_name(enum tlsa_verdict v);
 *
 * DESCRIPTION
 *	A key is one certificate chain smtpd may present (or, with next
 *	set, one it is about to present): its leaf and the certificates
 *	after it, as DER, and which of them issued the leaf (the caller
 *	finds it: the record of that CA helps a rollover, since a new
 *	leaf key from the same CA still matches it).
 *
 *	tlsa_record() writes the record data "U 1 1 HEX" for the DER
 *	certificate: usage U (3 for the leaf, 2 for its issuing CA),
 *	selector 1 (the SubjectPublicKeyInfo), matching type 1 (SHA-256).
 *	It returns 0, or -1 when the certificate does not parse or out is
 *	too short (TLSA_RECORD_MAX is enough).
 *
 *	tlsa_key_matches() is 1 when a usable record (probe_tlsa_usable())
 *	authenticates the key as a DANE sender checks it (RFC 7672 3.1):
 *	usage 3 matching the leaf, usage 2 matching a certificate of the
 *	chain after the leaf; else 0.
 *
 *	tlsa_ta_covered() is 1 when a usable usage 2 record of the RRset
 *	matches a certificate of the key's chain: a renewed leaf from the
 *	same CA still matches, whatever its key.  Else 0.
 *
 *	tlsa_judge() compares the published RRset (secure, already
 *	decoded) with the keys; key_ok[i] says whether key i is matched,
 *	rr_ok[j] whether record j matches some key.  Its verdict, worst
 *	first: TLSA_MISMATCH, some key in use matches no record (DANE
 *	senders that get its certificate defer mail); TLSA_ROLLOVER, a
 *	next key matches no record (switching to it would break them);
 *	TLSA_MISSING, no records at all; TLSA_STALE, every key matches but
 *	some record matches none; TLSA_OK.
 */
#ifndef TLSPOL_TLSA_H
#define TLSPOL_TLSA_H

#include <stddef.h>

#include "probe.h"

#define TLSA_RECORD_MAX	(8 + 2 * 32 + 1)

struct tlsa_key {
	struct probe_der leaf;
	const struct probe_der *chain;	/* the certificates after the leaf */
	size_t nchain;
	const struct probe_der *issuer;	/* the one of them that issued the
					 * leaf, or NULL: for "2 1 1" */
	int next;			/* not in use yet (tlsmap tlsa --next) */
};

enum tlsa_verdict {
	TLSA_OK,
	TLSA_STALE,
	TLSA_MISSING,
	TLSA_ROLLOVER,
	TLSA_MISMATCH
};

int tlsa_record(unsigned usage, const unsigned char *der, size_t derlen,
    char *out, size_t outlen);
int tlsa_key_matches(const struct tlsa_key *k, const struct probe_tlsa *rr);
int tlsa_ta_covered(const struct tlsa_key *k, const struct probe_tlsa *rrs,
    size_t nrrs);
enum tlsa_verdict tlsa_judge(const struct tlsa_key *keys, size_t nkeys,
    const struct probe_tlsa *rrs, size_t nrrs, int *key_ok, int *rr_ok);
const char *tlsa_verdict_name(enum tlsa_verdict v);

#endif
