/* SPDX-License-Identifier: MIT */
/*
 * dnssec - local DNSSEC validation of stub-resolver answers
 *
 * SYNOPSIS
 *	struct dnssec_anchors *dnssec_anchors_parse(const char *text,
 *	    size_t len, char *err, size_t errlen);
 *	struct dnssec_anchors *dnssec_anchors_load(const char *path,
 *	    char *err, size_t errlen);
 *	size_t dnssec_anchors_count(const struct dnssec_anchors *a);
 *	void dnssec_anchors_free(struct dnssec_anchors *a);
 *
 *	struct dnssec *dnssec_new(struct dnssec_anchors *a,
 *	    const struct dnssec_io *io);
 *	void dnssec_free(struct dnssec *v);
 *	enum dnssec_verdict dnssec_validate(struct dnssec *v,
 *	    const ldns_pkt *pkt, const char *qname, int qtype,
 *	    dnssec_done_cb cb, void *arg, struct dnssec_job **job,
 *	    char *why, size_t whylen);
 *	void dnssec_cancel(struct dnssec_job *job);
 *	const char *dnssec_verdict_name(enum dnssec_verdict v);
 *	const struct dnssec_stats *dnssec_stats(const struct dnssec *v);
 *	const char *dnssec_cap_name(enum dnssec_cap cap);
 *
 *	Pure steps (exported for the tests):
 *	int dnssec_verify_rrset(const ldns_rr_list *rrset,
 *	    const ldns_rr_list *sigs, const ldns_rdf *zone,
 *	    const ldns_rr_list *keys, time_t now, struct dnssec_budget *b,
 *	    char *err, size_t errlen);
 *	ldns_rr_list *dnssec_verify_dnskeys(const ldns_rr_list *dnskeys,
 *	    const ldns_rr_list *sigs, const ldns_rdf *zone,
 *	    const ldns_rr_list *trusted, time_t now, struct dnssec_budget *b,
 *	    char *err, size_t errlen);
 *	int dnssec_deny(const ldns_rdf *name, ldns_rr_type type, int nxdomain,
 *	    const ldns_rr_list *nsecs, const ldns_rdf *zone);
 *	enum dnssec_ds dnssec_ds_step(const ldns_pkt *pkt,
 *	    const ldns_rdf *child, const ldns_rdf *zone,
 *	    const ldns_rr_list *keys, time_t now, struct dnssec_budget *b,
 *	    ldns_rr_list **ds, char *err, size_t errlen);
 *	enum dnssec_verdict dnssec_nsec3_deny(const ldns_rdf *name,
 *	    ldns_rr_type type, int nxdomain, const ldns_rr_list *nsec3s,
 *	    const ldns_rdf *zone, char *why, size_t whylen);
 *	enum dnssec_verdict dnssec_nsec3_wildcard(const ldns_rdf *name,
 *	    int labels, const ldns_rr_list *nsec3s, const ldns_rdf *zone,
 *	    char *why, size_t whylen);
 *	enum dnssec_ds dnssec_nsec3_ds(const ldns_rdf *child,
 *	    const ldns_rr_list *nsec3s, const ldns_rdf *zone, char *why,
 *	    size_t whylen);
 *	int dnssec_authority_nsecs(const ldns_pkt *pkt, const ldns_rdf *zone,
 *	    const ldns_rr_list *keys, time_t now, struct dnssec_budget *b,
 *	    ldns_rr_list **nsecs, ldns_rr_list **nsec3s, char *err,
 *	    size_t errlen);
 *
 * DESCRIPTION
 *	For dnssec_validation = local: the AD bit of the resolver is
 *	ignored and each answer is checked here, with DNSKEY and DS
 *	records fetched through the caller's (asynchronous, caching)
 *	lookup function, up to a trust anchor.
 *
 *	Anchors: DS or DNSKEY records in zone-file syntax (comments,
 *	$ORIGIN, $TTL allowed), as in Debian's /usr/share/dns/root.key or
 *	the output of ldns-key2ds.  Any other record type, a syntax error
 *	or a file without one anchor is an error naming the line.
 *
 *	dnssec_validate() checks the answer to (qname, qtype): the
 *	RRsets on the CNAME chain from qname, then the data or the
 *	NSEC or NSEC3 denial at its end.  For each, the zone that signed it is
 *	reached from the closest enclosing anchor one label at a time:
 *	the anchor's DNSKEY RRset must be signed by a key matching the
 *	anchor; below it, every label gets a DS query, whose answer,
 *	signed by the current zone, is a DS RRset (the child's DNSKEY
 *	RRset must then be signed by a key matching it and becomes the
 *	current zone), an NSEC or NSEC3 proving a delegation without DS
 *	(all below is insecure), or one proving the label is no zone cut.
 *	Signature validity times are checked against the clock io->now.
 *	The rcode, which no signature covers, must agree with the
 *	sections: NXDOMAIN needs the proof that the name at the end of
 *	the chain does not exist, NOERROR without the data the proof that
 *	it has no such type, and the data under NXDOMAIN is bogus; so are
 *	DNSKEY and DS RRsets in responses with any rcode but NOERROR.  An
 *	answer with another rcode is an error with nothing to validate:
 *	the verdict is insecure at once, never secure, and the caller
 *	sees the rcode.
 *	A name under no anchor is insecure (nothing is configured to
 *	vouch for it).  So is what an NSEC3 Opt-Out span leaves open
 *	(RFC 5155 9.2: an unsigned delegation may be there), and what
 *	needs an NSEC3 proof hashed more than DNSSEC_NSEC3_MAX_ITER
 *	times (RFC 9276 3.2).  Anything else -- a missing or failing
 *	signature, an unsigned answer in a signed zone, a denial not
 *	proven, a failed DS or DNSKEY lookup -- is bogus.
 *
 *	Validation work is capped, as resolvers did after KeyTrap
 *	(CVE-2023-50387).  A check is one RRSIG tried with one DNSKEY, the
 *	expensive step; signer, key tag, algorithm and validity times are
 *	compared first, at no charge.  An RRSIG is tried with at most
 *	DNSSEC_MAX_KEYTAG_KEYS keys of its tag and algorithm, an RRset
 *	gets at most DNSSEC_MAX_RRSET_CHECKS checks, one response (the
 *	answer, or one DS or DNSKEY response of the walk) at most
 *	DNSSEC_MAX_RESP_CHECKS, and one query, walk included, at most
 *	DNSSEC_MAX_QUERY_CHECKS.  What a cap leaves unverified is bogus
 *	("validation cap: ..." in why), and the cap is logged as a
 *	warning.  struct dnssec_budget counts one query's checks;
 *	dnssec_stats() the validator's, over all queries, and how many
 *	queries hit a cap.  dnssec_cap_name() describes a cap.
 *
 *	It returns the verdict at once when no lookup is needed (job is
 *	set to NULL and cb is not called), else DNSSEC_PENDING with *job
 *	set; cb then runs exactly once, from an io->fetch callback,
 *	unless dnssec_cancel() is called first.  why receives the reason
 *	for an immediate verdict; cb gets it for a later one.
 *
 *	The pure steps take the query's budget b (NULL: a fresh one for
 *	this call); each check is charged to it, and once b->cap is set
 *	nothing more verifies.  dnssec_verify_rrset() 0 when one RRSIG in
 *	sigs, by zone, valid at now, verifies rrset with a zone key from
 *	keys; dnssec_verify_dnskeys() the zone keys of the DNSKEY RRset
 *	when it is signed by a key matching one of trusted (DS or
 *	DNSKEY), else NULL; dnssec_deny() 0 when the (already verified) NSEC records
 *	prove that name has no type (NODATA, also an empty non-terminal
 *	or a wildcard without the type) or does not exist (NXDOMAIN,
 *	with the wildcard at the closest encloser denied);
 *	dnssec_nsec3_deny() the same with NSEC3 records (RFC 5155 8.4 to
 *	8.7): DNSSEC_SECURE when proven, DNSSEC_INSECURE when the proof
 *	rests on an Opt-Out span or on more than DNSSEC_NSEC3_MAX_ITER
 *	iterations, else DNSSEC_BOGUS with the reason in why;
 *	dnssec_nsec3_wildcard() likewise for a wildcard answer whose
 *	RRSIG has labels labels (8.8: the next closer name is covered);
 *	dnssec_nsec3_ds() the DS step's conclusion from NSEC3 records
 *	(8.6, 8.9).  NSEC3 records with a hash algorithm other than SHA-1
 *	or flags other than 0 or 1 are ignored (8.1, 8.2); differing
 *	parameters among the rest are bogus (8.2).
 *	dnssec_authority_nsecs() the NSEC and the NSEC3 records of the
 *	authority section that zone signed, each RRset verified once (-1
 *	if any fails, or if there are none at all; both lists shallow);
 *	dnssec_ds_step() one step of the walk.
 *
 * BUGS
 *	No DNAME.  Unsupported algorithms or digest types are bogus, not
 *	insecure.  NSEC3 records of one response must share their
 *	parameters.
 */
#ifndef TLSPOL_DNSSEC_H
#define TLSPOL_DNSSEC_H

#include <stddef.h>
#include <time.h>

#include <ldns/ldns.h>

/* NSEC3 proofs with more iterations are insecure (RFC 9276 3.2). */
#define DNSSEC_NSEC3_MAX_ITER	150

/* Signature checks (one RRSIG with one DNSKEY) allowed: KeyTrap caps. */
#define DNSSEC_MAX_KEYTAG_KEYS	2	/* keys of one tag tried per RRSIG */
#define DNSSEC_MAX_RRSET_CHECKS	8	/* checks for one RRset */
#define DNSSEC_MAX_RESP_CHECKS	16	/* checks on one response */
#define DNSSEC_MAX_QUERY_CHECKS	64	/* checks for one query and its walk */

enum dnssec_cap {
	DNSSEC_CAP_NONE,
	DNSSEC_CAP_KEYTAG,	/* no RRSIG verified, keys of a tag skipped */
	DNSSEC_CAP_RRSET,
	DNSSEC_CAP_RESPONSE,
	DNSSEC_CAP_QUERY
};

/* The validation work of one query. */
struct dnssec_budget {
	unsigned query;		/* signature checks so far */
	unsigned response;	/* of them, on the response being checked */
	enum dnssec_cap cap;	/* the cap reached; NONE while none is */
};

struct dnssec_stats {
	unsigned long checks;	/* signature checks, all queries */
	unsigned long capped;	/* queries made bogus by a cap */
};

enum dnssec_verdict {
	DNSSEC_PENDING,
	DNSSEC_SECURE,
	DNSSEC_INSECURE,
	DNSSEC_BOGUS
};

enum dnssec_ds {
	DNSSEC_DS_SECURE,	/* a verified DS RRset: descend */
	DNSSEC_DS_INSECURE,	/* proven delegation without DS */
	DNSSEC_DS_NOCUT,	/* proven: no zone cut at this name */
	DNSSEC_DS_NXDOMAIN,	/* proven: the name does not exist */
	DNSSEC_DS_BOGUS
};

/* A lookup result for the validator: pkt NULL when the lookup failed. */
typedef void (*dnssec_fetch_cb)(void *arg, const ldns_pkt *pkt,
    const char *err);

struct dnssec_io {
	/* Start a lookup without validation; never calls back at once. */
	void *(*fetch)(void *ctx, const char *name, int type,
	    dnssec_fetch_cb cb, void *arg);
	void (*cancel)(void *ctx, void *handle);
	time_t (*now)(void *ctx);	/* wall clock; NULL: time() */
	void *ctx;
};

typedef void (*dnssec_done_cb)(void *arg, enum dnssec_verdict v,
    const char *why);

struct dnssec_anchors;
struct dnssec;
struct dnssec_job;

struct dnssec_anchors *dnssec_anchors_parse(const char *text, size_t len,
    char *err, size_t errlen);
struct dnssec_anchors *dnssec_anchors_load(const char *path, char *err,
    size_t errlen);
size_t dnssec_anchors_count(const struct dnssec_anchors *a);
void dnssec_anchors_free(struct dnssec_anchors *a);

struct dnssec *dnssec_new(struct dnssec_anchors *a, const struct dnssec_io *io);
void dnssec_free(struct dnssec *v);
enum dnssec_verdict dnssec_validate(struct dnssec *v, const ldns_pkt *pkt,
    const char *qname, int qtype, dnssec_done_cb cb, void *arg,
    struct dnssec_job **job, char *why, size_t whylen);
void dnssec_cancel(struct dnssec_job *job);
const char *dnssec_verdict_name(enum dnssec_verdict v);
const struct dnssec_stats *dnssec_stats(const struct dnssec *v);
const char *dnssec_cap_name(enum dnssec_cap cap);

int dnssec_verify_rrset(const ldns_rr_list *rrset, const ldns_rr_list *sigs,
    const ldns_rdf *zone, const ldns_rr_list *keys, time_t now,
    struct dnssec_budget *b, char *err, size_t errlen);
ldns_rr_list *dnssec_verify_dnskeys(const ldns_rr_list *dnskeys,
    const ldns_rr_list *sigs, const ldns_rdf *zone,
    const ldns_rr_list *trusted, time_t now, struct dnssec_budget *b,
    char *err, size_t errlen);
int dnssec_deny(const ldns_rdf *name, ldns_rr_type type, int nxdomain,
    const ldns_rr_list *nsecs, const ldns_rdf *zone);
enum dnssec_verdict dnssec_nsec3_deny(const ldns_rdf *name, ldns_rr_type type,
    int nxdomain, const ldns_rr_list *nsec3s, const ldns_rdf *zone, char *why,
    size_t whylen);
enum dnssec_verdict dnssec_nsec3_wildcard(const ldns_rdf *name, int labels,
    const ldns_rr_list *nsec3s, const ldns_rdf *zone, char *why,
    size_t whylen);
enum dnssec_ds dnssec_nsec3_ds(const ldns_rdf *child,
    const ldns_rr_list *nsec3s, const ldns_rdf *zone, char *why,
    size_t whylen);
int dnssec_authority_nsecs(const ldns_pkt *pkt, const ldns_rdf *zone,
    const ldns_rr_list *keys, time_t now, struct dnssec_budget *b,
    ldns_rr_list **nsecs, ldns_rr_list **nsec3s, char *err, size_t errlen);
enum dnssec_ds dnssec_ds_step(const ldns_pkt *pkt, const ldns_rdf *child,
    const ldns_rdf *zone, const ldns_rr_list *keys, time_t now,
    struct dnssec_budget *b, ldns_rr_list **ds, char *err, size_t errlen);

#endif
