/* SPDX-License-Identifier: MIT */
/*
 * tlspolicy - Postfix smtp_tls_policy_maps values: check and normalise
 *
 * SYNOPSIS
 *	int tlspolicy_check(const char *value, char *out, size_t outlen,
 *	    const char **err);
 *	enum tls_level tlspolicy_level(const char *value);
 *	const char *tls_level_name(enum tls_level lvl);
 *
 * DESCRIPTION
 *	tlspolicy_check() accepts exactly what Postfix 3.7's
 *	tls_policy_lookup_one() accepts without deferring mail: a level
 *	(none, may, encrypt, fingerprint, dane, dane-only, verify, secure;
 *	any case) followed by attributes name=value separated by blanks or
 *	commas.  Attributes and where they are allowed:
 *
 *	ciphers=GRADE	 at most once, null|export|low|medium|high
 *	protocols=LIST	 at most once, non-empty, [!]NAME or >=NAME or
 *			 <=NAME joined by ':' (NAME SSLv2, SSLv3, TLSv1,
 *			 TLSv1.1, TLSv1.2, TLSv1.3)
 *	exclude=LIST	 at most once, non-empty
 *	match=LIST	 fingerprint, verify and secure only; repeatable;
 *			 for fingerprint, '|'-separated hex digests with ':'
 *	tafile=PATH	 verify and secure only; absolute path; repeatable
 *	servername=NAME	 at most once; hostname, nexthop or a host name
 *	connection_reuse=yes|no
 *
 *	Postfix 3.10's TLSRPT attributes, enable_rpk and the { } syntax are
 *	refused: Postfix 3.7 defers mail on them.  At level none Postfix
 *	ignores attributes; they are accepted here but must be well formed.
 *
 *	On success the normalised value (level and names lower-case, one
 *	space between tokens) is written to out and 0 returned; otherwise
 *	-1 with *err a static message naming the problem.
 */
#ifndef TLSPOL_TLSPOLICY_H
#define TLSPOL_TLSPOLICY_H

#include <stddef.h>

enum tls_level {
	TLS_LEV_INVALID = -1,
	TLS_LEV_NONE,
	TLS_LEV_MAY,
	TLS_LEV_ENCRYPT,
	TLS_LEV_FINGERPRINT,
	TLS_LEV_DANE,
	TLS_LEV_DANE_ONLY,
	TLS_LEV_VERIFY,
	TLS_LEV_SECURE
};

int tlspolicy_check(const char *value, char *out, size_t outlen,
    const char **err);
enum tls_level tlspolicy_level(const char *value);
const char *tls_level_name(enum tls_level lvl);

#endif
