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
 *	size_t overrides_count(const struct overrides *o);
 *	void overrides_free(struct overrides *o);
 *
 * DESCRIPTION
 *	One entry a logical line (continuations and '#' comments as in
 *	main.cf): "KEY VALUE".  KEY is a domain ("example.com", that domain
 *	only), ".example.com" (every subdomain, at any depth, not the domain
 *	itself), or a relay next-hop ("[mail.example.net]",
 *	"[mail.example.net]:587", "example.com:2525").  Keys are normalised
 *	like socketmap keys (lower case, A-labels, no trailing dot).  VALUE
 *	is a Postfix TLS policy, checked by tlspolicy_check() and kept in its
 *	normalised form.  A bad key, a bad value or a duplicate key makes
 *	the whole table fail with "FILE:LINE: message": a table is loaded
 *	whole or not at all.
 *
 *	overrides_find() applies the table to a normalised key: an exact
 *	entry first; for a domain, then ".parent" entries from the nearest
 *	parent up; for a parent probe (".example.com") only the exact
 *	".example.com" entry, since Postfix probes the further parents
 *	itself; for a next-hop only the exact entry.  NULL when none.
 */
#ifndef TLSPOL_OVERRIDES_H
#define TLSPOL_OVERRIDES_H

#include <stddef.h>

#include "domain.h"

struct override {
	char *key;
	char *value;		/* normalised policy */
	int lineno;
};

struct overrides;

struct overrides *overrides_parse(const char *text, size_t len,
    const char *fname, char *err, size_t errlen);
struct overrides *overrides_load(const char *path, char *err, size_t errlen);
struct overrides *overrides_empty(void);
const struct override *overrides_find(const struct overrides *o,
    const struct key *k);
size_t overrides_count(const struct overrides *o);
void overrides_free(struct overrides *o);

#define OVERRIDES_MAX_FILE	(64 << 20)

#endif
