/* SPDX-License-Identifier: MIT */
/*
 * overrides - the admin's forced-TLS table, Postfix map-source syntax
 *
 * SYNOPSIS
 *	struct overrides *overrides_parse(const char *text, size_t len,
 *	    const char *fname, char *err, size_t errlen);
 *	struct overrides *overrides_load(const char *path, char *err,
 *	    size_t errlen);
 *	const struct override *overrides_find(const struct overrides *o,
 *	    const struct key *k);
 *	const struct override *overrides_find_mx(const struct overrides *o,
 *	    const char *const *hosts, size_t nhosts);
 *	int overrides_mx_match(const char *pattern, const char *host);
 *	int override_key_norm(const char *in, size_t len, char *out,
 *	    size_t outlen, const char **why);
 *	int override_value_norm(const char *in, char *out, size_t outlen,
 *	    int *report_only, const char **why);
 *	size_t overrides_count(const struct overrides *o);
 *	void overrides_free(struct overrides *o);
 *
 * DESCRIPTION
 *	One entry a logical line (continuations and '#' comments as in
 *	main.cf): "KEY VALUE".  KEY is a domain ("example.com", that domain
 *	only), ".example.com" (every subdomain, at any depth, not the domain
 *	itself), a relay next-hop ("[mail.example.net]",
 *	"[mail.example.net]:587", "example.com:2525"), or an MX rule
 *	"mx:PATTERN".  Keys are normalised like socketmap keys (lower case,
 *	A-labels, no trailing dot).  VALUE is a Postfix TLS policy, checked
 *	by tlspolicy_check() and kept in its normalised form, optionally
 *	after the word "report-only" (never a Postfix level, so it cannot be
 *	mistaken for one; it is kept as a flag and never part of the value).
 *	A bad key, a bad value or a duplicate key makes the whole table fail
 *	with "FILE:LINE: message": a table is loaded whole or not at all.
 *
 *	overrides_find() applies the table to a normalised key: an exact
 *	entry first; for a domain, then ".parent" entries from the nearest
 *	parent up; for a parent probe (".example.com") only the exact
 *	".example.com" entry, since Postfix probes the further parents
 *	itself; for a next-hop only the exact entry.  NULL when none.  MX
 *	rules are never found this way.
 *
 *	MX rules: PATTERN is "host.example" (that host), "*.example.com"
 *	(exactly one more label on the left, as in MTA-STS mx patterns) or
 *	".example.com" (any subdomain, at any depth, as in the table's own
 *	".domain" keys).  overrides_find_mx() returns the first MX rule in
 *	file order whose pattern matches every one of the nhosts host names
 *	(lower case, no trailing dot), or NULL; never a rule for nhosts 0.
 *	overrides_mx_match() is the pattern test on one host name.
 *
 *	override_key_norm() and override_value_norm() normalise one key and
 *	one value as the parser does (for tlsmap's editor); 0 or -1 with
 *	*why.
 */
#ifndef TLSPOL_OVERRIDES_H
#define TLSPOL_OVERRIDES_H

#include <stddef.h>

#include "domain.h"

#define OVERRIDE_MX_PREFIX	"mx:"
#define OVERRIDE_REPORT_ONLY	"report-only"

struct override {
	char *key;		/* normalised key, "mx:PATTERN" for MX rules */
	char *value;		/* normalised policy, without report-only */
	int lineno;
	int report_only;	/* log what it would change, do not apply */
	const char *pattern;	/* MX rules: the key after "mx:"; else NULL */
};

struct overrides;

struct overrides *overrides_parse(const char *text, size_t len,
    const char *fname, char *err, size_t errlen);
struct overrides *overrides_load(const char *path, char *err, size_t errlen);
struct overrides *overrides_empty(void);
const struct override *overrides_find(const struct overrides *o,
    const struct key *k);
const struct override *overrides_find_mx(const struct overrides *o,
    const char *const *hosts, size_t nhosts);
int overrides_mx_match(const char *pattern, const char *host);
int override_key_norm(const char *in, size_t len, char *out, size_t outlen,
    const char **why);
int override_value_norm(const char *in, char *out, size_t outlen,
    int *report_only, const char **why);
size_t overrides_count(const struct overrides *o);
size_t overrides_count_mx(const struct overrides *o);
void overrides_free(struct overrides *o);

#define OVERRIDES_MAX_FILE	(64 << 20)

#endif
