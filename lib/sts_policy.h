/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	sts_policy - MTA-STS policy body: parse, validate, translate, JSON
 *
 * SYNOPSIS
 *	#include "sts_policy.h"
 *
 *	int  sts_policy_parse(const char *buf, size_t len,
 *	         struct sts_policy *p, char *err, size_t errlen);
 *	void sts_policy_free(struct sts_policy *p);
 *	const char *sts_mode_name(enum sts_mode mode);
 *	int  sts_policy_mx_match(const struct sts_policy *p, const char *host);
 *
 *	char *sts_policy_to_postfix(const struct sts_policy *p,
 *	         const char *domain, int tlsrpt, const char **why_plain);
 *
 *	json_t *sts_policy_to_json(const struct sts_policy *p);
 *	char   *sts_policy_to_json_text(const struct sts_policy *p);
 *	int     sts_policy_from_json(const json_t *obj,
 *	            struct sts_policy *p, char *err, size_t errlen);
 *	int     sts_policy_from_json_text(const char *buf, size_t len,
 *	            struct sts_policy *p, char *err, size_t errlen);
 *
 * DESCRIPTION
 *	sts_policy_parse() parses and validates a policy body fetched from
 *	https://mta-sts.DOMAIN/.well-known/mta-sts.txt (RFC 8461 3.2).  It
 *	is pure: no I/O, no clock, no logging.  It returns 0 and fills *p,
 *	or -1 with a precise reason in err and *p zeroed (nothing to free).
 *	After success the caller owns *p and frees it with
 *	sts_policy_free().
 *
 *	Rules:
 *	-  At most STS_POLICY_MAX_BODY bytes; lines end with LF or CRLF (a
 *	   bare CR is an error); the last line needs no terminator.
 *	-  Each line is key ":" *WSP value.  Keys are case-sensitive;
 *	   unknown keys must have extension syntax (name of 1 to 32
 *	   letters, digits, "_", "-", "." starting with a letter or digit;
 *	   value of VCHAR, WSP and UTF-8 non-ASCII) and are otherwise
 *	   ignored.
 *	-  version: STSv1 and mode: enforce | testing | none are required.
 *	-  max_age: 1 to 10 digits, required; values above
 *	   STS_MAX_AGE_LIMIT (31557600) are clamped (STS_WARN_CLAMPED).
 *	-  mx: ["*."] host name, once per line, at least one unless mode is
 *	   none, at most STS_POLICY_MAX_MX.  A-labels only: non-ASCII
 *	   (U-labels), bad punycode, IP addresses, a trailing dot, "*" other
 *	   than as the whole left-most label are errors.  Stored in
 *	   lower case, in the order given, duplicates kept.
 *	-  A repeated key other than mx: the first occurrence counts, the
 *	   others are ignored (STS_WARN_DUPLICATE).
 *	Leniency that can only add protection: a leading UTF-8 BOM, empty
 *	lines and trailing whitespace are accepted and flagged in
 *	p->warnings for the caller to log.
 *
 *	p->text keeps the body as received (p->text_len bytes, plus a NUL);
 *	p->lines the non-empty lines without terminator and trailing
 *	whitespace, for TLSRPT's policy-string.
 *
 *	sts_policy_mx_match() applies RFC 8461 4.1: 1 when host (A-label,
 *	any case, no trailing dot) matches an mx pattern, where "*." matches
 *	exactly one left-most label.
 *
 *	sts_policy_to_postfix() builds the smtp_tls_policy_maps value (no
 *	"OK " prefix) "secure match=P1:P2 servername=hostname", with
 *	"*.example.com" as ".example.com" and duplicates removed (Postfix's
 *	".domain" matches at any depth: the mapping is slightly more
 *	permissive than RFC 8461 4.1; see postfix-tls-policy digest 6).
 *	When tlsrpt is set it appends Postfix 3.10's TLSRPT attributes
 *	(policy_type=sts policy_domain=DOMAIN mx_host_pattern=... and one
 *	"{ policy_string = LINE }" per line).  That form needs a valid
 *	domain, no "{" or "}" in any line and less than STS_POSTFIX_MAX
 *	bytes; otherwise the plain form is returned and *why_plain (if not
 *	NULL) says why, else *why_plain is NULL.  Returns NULL when the
 *	policy has no mx (mode none); the result is the caller's to free().
 *	Whether a mode is enforced is the caller's decision.
 *
 *	JSON form (the stored form and the fetcher's wire format):
 *	{"max_age":N,"mode":"enforce","mx":["..."],"text":"raw body"}.
 *	sts_policy_to_json() returns a new reference; ..._text() a
 *	compact, key-sorted string to free().  The decoders trust nothing:
 *	the text is limited to STS_POLICY_MAX_BODY bytes, the JSON text to
 *	STS_POLICY_MAX_JSON bytes, duplicate and unknown keys are refused,
 *	the raw text is parsed again with sts_policy_parse() and mode,
 *	max_age and mx must equal what that parse yields.  Same return
 *	convention as sts_policy_parse().
 */
#ifndef TLSPOL_STS_POLICY_H
#define TLSPOL_STS_POLICY_H

#include <stddef.h>

#include <jansson.h>

#define STS_POLICY_MAX_BODY	65536
#define STS_POLICY_MAX_MX	1000
#define STS_POLICY_MAX_JSON	(4 * STS_POLICY_MAX_BODY + 300 * STS_POLICY_MAX_MX)
#define STS_MAX_AGE_LIMIT	31557600L
#define STS_POSTFIX_MAX		100000

enum sts_mode {
	STS_MODE_NONE,
	STS_MODE_TESTING,
	STS_MODE_ENFORCE
};

/* p->warnings bits: tolerated oddities the caller should log. */
#define STS_WARN_CLAMPED	0x01	/* max_age above the limit */
#define STS_WARN_DUPLICATE	0x02	/* repeated non-mx key ignored */
#define STS_WARN_EMPTY_LINE	0x04
#define STS_WARN_TRAILING_WSP	0x08
#define STS_WARN_BOM		0x10

struct sts_policy {
	enum sts_mode mode;
	long max_age;		/* seconds, clamped */
	char **mx;		/* lower-case patterns */
	size_t nmx;
	char **lines;		/* non-empty lines, trimmed */
	size_t nlines;
	char *text;		/* raw body, NUL-terminated */
	size_t text_len;
	unsigned warnings;
};

int sts_policy_parse(const char *buf, size_t len, struct sts_policy *p,
    char *err, size_t errlen);
void sts_policy_free(struct sts_policy *p);
const char *sts_mode_name(enum sts_mode mode);
int sts_policy_mx_match(const struct sts_policy *p, const char *host);

char *sts_policy_to_postfix(const struct sts_policy *p, const char *domain,
    int tlsrpt, const char **why_plain);

json_t *sts_policy_to_json(const struct sts_policy *p);
char *sts_policy_to_json_text(const struct sts_policy *p);
int sts_policy_from_json(const json_t *obj, struct sts_policy *p, char *err,
    size_t errlen);
int sts_policy_from_json_text(const char *buf, size_t len,
    struct sts_policy *p, char *err, size_t errlen);

#endif
