/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	tlsrpt_txt - parse the _smtp._tls TXT RRset (RFC 8460 section 3)
 *
 * SYNOPSIS
 *	#include "tlsrpt_txt.h"
 *
 *	enum tlsrpt_txt_status tlsrpt_txt_parse(const struct sts_txt_rec *recs,
 *	    size_t nrecs, struct tlsrpt_txt *out, char *err, size_t errlen);
 *
 *	enum tlsrpt_txt_status tlsrpt_txt_parse_record(const char *buf,
 *	    size_t len, struct tlsrpt_txt *out, char *err, size_t errlen);
 *
 * DESCRIPTION
 *	tlsrpt_txt_parse() looks at every TXT record of _smtp._tls.DOMAIN,
 *	each given as the concatenation of its character-strings (no
 *	separator added; struct sts_txt_rec from sts_txt.h).  Nothing is
 *	read beyond len; bytes may be anything.
 *
 *	A record is a TLSRPT record when it begins with "v=TLSRPTv1"
 *	followed by *WSP ";" - exactly Postfix's test
 *	(smtp_tlsrpt_find_policy()), so that we report for the domains
 *	Postfix sends events for.  Others are ignored.  Then:
 *
 *	TLSRPT_TXT_NONE	   no TLSRPT record: the domain wants no reports.
 *	TLSRPT_TXT_INVALID more than one (Postfix: "Too many policies"), or
 *			   the one does not match the grammar, or it has no
 *			   usable rua destination; err says why.  No report
 *			   is sent.
 *	TLSRPT_TXT_OK	   exactly one valid record with at least one
 *			   usable destination, in out.
 *
 *	Grammar (RFC 8460 section 3, case-sensitive, as sts_txt applies
 *	RFC 8461's):
 *
 *	    record = "v=TLSRPTv1" 1*(delim field) [delim]
 *	    delim  = *WSP ";" *WSP
 *	    field  = "rua=" uri *(*WSP "," *WSP uri)
 *	           / ext-name "=" ext-value
 *	    ext-name  = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *	    ext-value = 1*(%x21-3A / %x3C / %x3E-7E)
 *	    uri    = 1*(%x21-2B / %x2D-3A / %x3C-7E)  ; no "," ";" SP CTL
 *
 *	A rua field is required; when repeated the first one counts.
 *	URIs are not percent-decoded except a mailto address (so "%2C"
 *	does not split a URI).  Each URI is classified:
 *
 *	TLSRPT_RUA_MAILTO  "mailto:" (scheme any case) ADDR ["?" hfields];
 *			   ADDR percent-decoded must be local "@" domain
 *			   with a dot-atom local part (RFC 5322 atext) and
 *			   an LDH domain; it is stored lower-cased in
 *			   the domain, in rua[].addr.  The hfields are
 *			   ignored.  Nothing that could break a header or
 *			   a command line gets through.
 *	TLSRPT_RUA_HTTPS   "https://" host [":" port] [path etc.]; the
 *			   whole URI, unchanged, is rua[].uri.  The host
 *			   must be an LDH name or an IP literal.
 *	Other schemes and URIs that fail these checks are skipped and
 *	counted in out->skipped (RFC 8460: a reporter MAY use any one).
 *
 * BOUNDS
 *	TLSRPT_TXT_MAX	  8192 bytes a record (longer: INVALID).
 *	TLSRPT_RUA_MAX	  8 destinations kept; more are counted in
 *			  out->skipped.
 *	TLSRPT_URI_MAX	  1024 bytes a URI (longer: skipped).
 *
 *	err (if errlen > 0) is always NUL-terminated; "" on success.  out
 *	is zeroed on any result but TLSRPT_TXT_OK.
 *
 *	tlsrpt_txt_parse_record() applies the grammar to one record (the
 *	"pr" member of a datagram) and returns TLSRPT_TXT_OK or
 *	TLSRPT_TXT_INVALID (also for a record that is not a TLSRPT one).
 */
#ifndef TLSPOL_TLSRPT_TXT_H
#define TLSPOL_TLSRPT_TXT_H

#include <stddef.h>

#include "sts_txt.h"

#define TLSRPT_TXT_MAX	8192
#define TLSRPT_RUA_MAX	8
#define TLSRPT_URI_MAX	1024

enum tlsrpt_txt_status {
	TLSRPT_TXT_OK,
	TLSRPT_TXT_NONE,
	TLSRPT_TXT_INVALID
};

enum tlsrpt_rua_kind {
	TLSRPT_RUA_MAILTO,
	TLSRPT_RUA_HTTPS
};

struct tlsrpt_rua {
	enum tlsrpt_rua_kind kind;
	char uri[TLSRPT_URI_MAX + 1];	/* as published */
	char addr[TLSRPT_URI_MAX + 1];	/* mailto: the decoded address */
};

struct tlsrpt_txt {
	struct tlsrpt_rua rua[TLSRPT_RUA_MAX];
	size_t nrua;
	size_t skipped;			/* URIs not kept */
};

enum tlsrpt_txt_status tlsrpt_txt_parse(const struct sts_txt_rec *recs,
    size_t nrecs, struct tlsrpt_txt *out, char *err, size_t errlen);
enum tlsrpt_txt_status tlsrpt_txt_parse_record(const char *buf, size_t len,
    struct tlsrpt_txt *out, char *err, size_t errlen);

#endif
