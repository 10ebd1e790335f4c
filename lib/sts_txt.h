/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	sts_txt - parse the _mta-sts TXT RRset (RFC 8461 section 3.1)
 *
 * SYNOPSIS
 *	#include "sts_txt.h"
 *
 *	struct sts_txt_rec { const char *data; size_t len; };
 *
 *	enum sts_txt_status sts_txt_parse(const struct sts_txt_rec *recs,
 *	    size_t nrecs, char id[STS_ID_MAX + 1], char *err, size_t errlen);
 *
 *	enum sts_txt_status sts_txt_parse_record(const char *buf, size_t len,
 *	    char id[STS_ID_MAX + 1], char *err, size_t errlen);
 *
 * DESCRIPTION
 *	sts_txt_parse() looks at every TXT record of _mta-sts.DOMAIN.  Each
 *	record is given as the concatenation of its character-strings, with
 *	no separator added (the DNS layer does that).  Bytes need not be
 *	NUL-terminated and may contain anything; nothing is read beyond len.
 *
 *	Records that do not begin with "v=STSv1" (followed by WSP, ";" or
 *	the end) are ignored.  Then:
 *
 *	STS_TXT_NONE	no record is left: the domain publishes no MTA-STS.
 *	STS_TXT_INVALID	more than one is left, or the one left does not
 *			match the grammar; err says why.  The caller
 *			treats this as "no live policy" (a cached policy
 *			still applies).
 *	STS_TXT_OK	exactly one valid record; id holds its id (1 to 32
 *			letters and digits, NUL-terminated).
 *
 *	The grammar is applied exactly, case-sensitively:
 *
 *	    record = "v=STSv1" 1*(delim field) [delim]
 *	    delim  = *WSP ";" *WSP
 *	    field  = "id=" 1*32(ALPHA / DIGIT)
 *	           / ext-name "=" ext-value
 *	    ext-name  = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *	    ext-value = 1*(%x21-3A / %x3C / %x3E-7E)
 *
 *	A field named exactly "id" must be a valid id (so "id=a-b" is
 *	invalid, not an extension); "ID=x" is an extension.  The id is
 *	required; when it is repeated, the first one counts.  Extensions
 *	are checked against their grammar and otherwise ignored.  Trailing
 *	whitespace without a final ";" is not in the grammar and makes the
 *	record invalid.
 *
 *	sts_txt_parse_record() applies the grammar to one record that is
 *	known to begin with "v=STSv1"; it returns STS_TXT_OK or
 *	STS_TXT_INVALID.
 *
 *	On any result other than STS_TXT_OK, id is the empty string.  err
 *	(if errlen > 0) is always NUL-terminated; it is "" on success.
 */
#ifndef TLSPOL_STS_TXT_H
#define TLSPOL_STS_TXT_H

#include <stddef.h>

#define STS_ID_MAX	32

enum sts_txt_status {
	STS_TXT_OK,
	STS_TXT_NONE,
	STS_TXT_INVALID
};

struct sts_txt_rec {
	const char *data;
	size_t len;
};

enum sts_txt_status sts_txt_parse(const struct sts_txt_rec *recs,
    size_t nrecs, char id[STS_ID_MAX + 1], char *err, size_t errlen);
enum sts_txt_status sts_txt_parse_record(const char *buf, size_t len,
    char id[STS_ID_MAX + 1], char *err, size_t errlen);

#endif
