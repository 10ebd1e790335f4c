/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	tlsrpt_dgram - libtlsrpt datagram codec (TLSRPT events from Postfix)
 *
 * SYNOPSIS
 *	#include "tlsrpt_dgram.h"
 *
 *	int   tlsrpt_dgram_decode(const void *buf, size_t len,
 *	          struct tlsrpt_dgram *dg, char *err, size_t errlen);
 *	void  tlsrpt_dgram_free(struct tlsrpt_dgram *dg);
 *	char *tlsrpt_dgram_encode(const struct tlsrpt_dgram *dg, size_t *lenp);
 *	int   tlsrpt_dgram_fuzz_one(const uint8_t *buf, size_t len);
 *
 *	const char *tlsrpt_policy_type_name(enum tlsrpt_policy_type t);
 *	const char *tlsrpt_result_type_name(int code);
 *	size_t tlsrpt_utf8_sanitise(const unsigned char *in, size_t len,
 *	          unsigned char *out);
 *	int   tlsrpt_utf8_valid(const char *s, size_t len);
 *
 * DESCRIPTION
 *	Postfix 3.10 and later (built with libtlsrpt) send one datagram
 *	per TLS handshake to the TLSRPT collector socket.  A datagram is
 *	one JSON object (libtlsrpt 0.5, "dpv": "1"):
 *
 *	    {"dpv": "1","d": D,"pr": RECORD,"policies":[
 *	     {"policy-type":N,"policy-domain": PD,"policy-string":[...],
 *	      "mx-host":[...],"failure-details":[{"c":CODE,"s": ...,
 *	      "n": ...,"h": ...,"r": ...,"a": ...,"f": ...}],"t":T,"f":F}]}
 *
 *	d is the TLSRPT domain (Postfix: the next-hop domain, A-label),
 *	pr its _smtp._tls record, N 1 (tlsa), 2 (sts) or 9
 *	(no-policy-found), t the number of failure details and f 0
 *	(success) or 1 (failure).  Detail members: c result code (201 to
 *	306, tlsrpt_result_type_name()), s sending-mta-ip, n
 *	receiving-mx-hostname, h receiving-mx-helo, r receiving-ip, a
 *	additional-information, f failure-reason-code.
 *
 *	tlsrpt_dgram_decode() decodes one datagram of len bytes into *dg.
 *	It is pure (no I/O, no clock, no logging) and fuzzable.  It returns
 *	TLSRPT_DG_OK (0) and fills *dg, which the caller frees with
 *	tlsrpt_dgram_free(); or a negative status with a reason in err and
 *	*dg zeroed:
 *
 *	TLSRPT_DG_BAD		not JSON, a duplicate member, wrong member
 *				types, bad domain, no policies, unknown
 *				policy-type, "f" other than 0 or 1, a
 *				detail without "c", or a bound below
 *				exceeded.
 *	TLSRPT_DG_VERSION	"dpv" other than "1" (or the number 1): a
 *				newer protocol; the caller logs and drops.
 *
 *	Tolerance (shared/spec tlsrpt.md, "Collector tolerance"):
 *	-  members in any order, any JSON whitespace; unknown members are
 *	   ignored (forward compatibility);
 *	-  no "dpv" is version 1 (libtlsrpt before 0.5; flag
 *	   TLSRPT_DGF_NO_DPV);
 *	-  optional members may be absent: "pr" (then ""), "policy-domain"
 *	   (then d), "policy-string", "mx-host", "failure-details", "t",
 *	   "f" (then failure when there are details), every detail
 *	   member but "c";
 *	-  "mx-host" under no-policy-found is ignored (Postfix 3.10.0 to
 *	   3.10.4 may leak stale ones; TLSRPT_DGF_MX_IGNORED);
 *	-  "t" not matching the number of details, or "f" = 1 without
 *	   details: the session counts by "f" (TLSRPT_DGF_TF_MISMATCH);
 *	-  several policies: each one counts the session once;
 *	-  an unknown "c" is kept as is (TLSRPT_DGF_UNKNOWN_CODE); the
 *	   report maps it to "validation-failure", never to an invalid
 *	   result-type;
 *	-  invalid UTF-8 (libtlsrpt copies bytes >= 0x80 unchecked): each
 *	   bad byte becomes U+FFFD and the datagram is kept
 *	   (TLSRPT_DGF_SANITISED).
 *	d and policy-domain are lower-cased, lose one trailing dot, and
 *	must be LDH host names (domain_valid()): they become store keys.
 *	String members may not contain NUL (\u0000).
 *
 * BOUNDS
 *	TLSRPT_DGRAM_MAX	262144 bytes a datagram (the collector's
 *				receive buffer; Postfix's are < 2 KB, the
 *				largest part a 64 KiB TXT record).
 *	TLSRPT_STR_MAX		8192 bytes a string after sanitising (an
 *				EHLO reply is at most ~2 x line_length_limit).
 *	TLSRPT_POLICIES_MAX	8 policies a datagram (Postfix sends 1).
 *	TLSRPT_STRINGS_MAX	1000 policy-strings, and as many mx-host
 *				patterns, a policy (STS_POLICY_MAX_MX).
 *	TLSRPT_DETAILS_MAX	32 failure details a policy (Postfix: 0
 *				or 1).
 *	Anything beyond a bound refuses the datagram (TLSRPT_DG_BAD): the
 *	caller counts it, nothing is cut into a misleading key.
 *
 *	tlsrpt_dgram_encode() writes *dg in libtlsrpt's exact wire form
 *	(member order, the space after string-valued colons, escapes
 *	\" \\ \b \f \n \r \t and \u00xx for other bytes < 0x20 and 0x7f,
 *	bytes >= 0x80 raw, "t" = number of details).  NULL members and
 *	empty arrays are left out, as libtlsrpt does.  Returns a heap
 *	string (caller frees) and its length in *lenp (may be NULL).  For
 *	tests and the test collector; decode(encode(x)) == x (with t set
 *	to the number of details).
 *
 *	tlsrpt_dgram_fuzz_one() decodes and frees; returns 0.  A fuzzing
 *	harness calls it with each input.
 *
 *	tlsrpt_utf8_sanitise() copies len bytes to out (3 * len bytes
 *	room), replacing each byte that does not start or continue a valid
 *	UTF-8 sequence (RFC 3629: no overlong forms, surrogates or code
 *	points above U+10FFFF) by U+FFFD; returns the output length.
 *	tlsrpt_utf8_valid() returns 1 when s[0..len) is valid UTF-8
 *	without NUL.
 *
 *	tlsrpt_policy_type_name() gives "tlsa", "sts", "no-policy-found",
 *	or NULL.  tlsrpt_result_type_name() gives the RFC 8460 result-type
 *	for a libtlsrpt code, or NULL for an unknown code.
 */
#ifndef TLSPOL_TLSRPT_DGRAM_H
#define TLSPOL_TLSRPT_DGRAM_H

#include <stddef.h>
#include <stdint.h>

#define TLSRPT_DGRAM_MAX	(256 * 1024)
#define TLSRPT_STR_MAX		8192
#define TLSRPT_POLICIES_MAX	8
#define TLSRPT_STRINGS_MAX	1000
#define TLSRPT_DETAILS_MAX	32

enum tlsrpt_policy_type {
	TLSRPT_POLICY_TLSA = 1,
	TLSRPT_POLICY_STS = 2,
	TLSRPT_POLICY_NONE = 9		/* no-policy-found */
};

/* Result codes (libtlsrpt tlsrpt.h). */
enum {
	TLSRPT_RC_STARTTLS_NOT_SUPPORTED = 201,
	TLSRPT_RC_CERTIFICATE_HOST_MISMATCH = 202,
	TLSRPT_RC_CERTIFICATE_NOT_TRUSTED = 203,
	TLSRPT_RC_CERTIFICATE_EXPIRED = 204,
	TLSRPT_RC_VALIDATION_FAILURE = 205,
	TLSRPT_RC_STS_POLICY_FETCH_ERROR = 301,
	TLSRPT_RC_STS_POLICY_INVALID = 302,
	TLSRPT_RC_STS_WEBPKI_INVALID = 303,
	TLSRPT_RC_TLSA_INVALID = 304,
	TLSRPT_RC_DNSSEC_INVALID = 305,
	TLSRPT_RC_DANE_REQUIRED = 306
};

enum {
	TLSRPT_DG_OK = 0,
	TLSRPT_DG_BAD = -1,
	TLSRPT_DG_VERSION = -2
};

/* dg->flags: what tolerance was applied (for the caller's log). */
#define TLSRPT_DGF_NO_DPV	0x01
#define TLSRPT_DGF_MX_IGNORED	0x02
#define TLSRPT_DGF_TF_MISMATCH	0x04
#define TLSRPT_DGF_UNKNOWN_CODE	0x08
#define TLSRPT_DGF_SANITISED	0x10

/* One failure detail; NULL members were absent. */
struct tlsrpt_detail {
	int code;			/* c */
	char *s;			/* sending-mta-ip */
	char *n;			/* receiving-mx-hostname */
	char *h;			/* receiving-mx-helo */
	char *r;			/* receiving-ip */
	char *a;			/* additional-information */
	char *f;			/* failure-reason-code */
};

struct tlsrpt_policy {
	enum tlsrpt_policy_type type;
	char *domain;			/* policy-domain; never NULL */
	char **strings;			/* policy-string */
	size_t nstrings;
	char **mx;			/* mx-host */
	size_t nmx;
	struct tlsrpt_detail *details;
	size_t ndetails;
	int failed;			/* f: 0 success, 1 failure */
	long t;				/* t as received; -1 when absent */
};

struct tlsrpt_dgram {
	char *d;			/* TLSRPT domain, normalised */
	char *pr;			/* TLSRPT record; "" when absent */
	struct tlsrpt_policy *policies;
	size_t npolicies;
	unsigned flags;			/* TLSRPT_DGF_* */
};

int tlsrpt_dgram_decode(const void *buf, size_t len, struct tlsrpt_dgram *dg,
    char *err, size_t errlen);
void tlsrpt_dgram_free(struct tlsrpt_dgram *dg);
char *tlsrpt_dgram_encode(const struct tlsrpt_dgram *dg, size_t *lenp);
int tlsrpt_dgram_fuzz_one(const uint8_t *buf, size_t len);

const char *tlsrpt_policy_type_name(enum tlsrpt_policy_type t);
const char *tlsrpt_result_type_name(int code);
size_t tlsrpt_utf8_sanitise(const unsigned char *in, size_t len,
    unsigned char *out);
int tlsrpt_utf8_valid(const char *s, size_t len);

/*
 * A growing byte buffer, always NUL-terminated (p is NULL until the
 * first add; the caller frees p).  tlsrpt_buf_printf() writes at most
 * 255 bytes.  Shared by the TLSRPT encoders.
 */
struct tlsrpt_buf {
	char *p;
	size_t len, cap;
};

void tlsrpt_buf_add(struct tlsrpt_buf *b, const void *p, size_t n);
void tlsrpt_buf_str(struct tlsrpt_buf *b, const char *s);
void tlsrpt_buf_printf(struct tlsrpt_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Detail and policy helpers shared with tlsrpt_agg. */
void tlsrpt_detail_free(struct tlsrpt_detail *d);
void tlsrpt_policy_free(struct tlsrpt_policy *p);
void tlsrpt_detail_copy(struct tlsrpt_detail *dst,
    const struct tlsrpt_detail *src);
int tlsrpt_detail_equal(const struct tlsrpt_detail *a,
    const struct tlsrpt_detail *b);

#endif
