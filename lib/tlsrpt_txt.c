/* SPDX-License-Identifier: MIT */
/*
 * tlsrpt_txt - parse the _smtp._tls TXT RRset.  The contract is in
 * tlsrpt_txt.h.
 *
 * A scanner {buf, len, pos} walks the record; each step returns -1 with
 * the first error in err, and the caller stops there.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "domain.h"
#include "tlsrpt_txt.h"
#include "util.h"

#define TLSRPT_VERSION		"v=TLSRPTv1"
#define TLSRPT_VERSION_LEN	(sizeof(TLSRPT_VERSION) - 1)
#define EXT_NAME_MAX		32

struct scan {
	const char *buf;
	size_t len;
	size_t pos;
};

static int
cur(const struct scan *s)
{
	return s->pos < s->len ? (unsigned char)s->buf[s->pos] : -1;
}

static void
skip_wsp(struct scan *s)
{
	while (cur(s) == ' ' || cur(s) == '\t')
		s->pos++;
}

static int
is_ldh_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
	    || (c >= 'A' && c <= 'Z');
}

/* Postfix's test: "v=TLSRPTv1" *WSP ";". */
static int
is_tlsrpt_record(const char *buf, size_t len)
{
	struct scan s = { buf, len, TLSRPT_VERSION_LEN };

	if (len < TLSRPT_VERSION_LEN
	    || memcmp(buf, TLSRPT_VERSION, TLSRPT_VERSION_LEN) != 0)
		return 0;
	skip_wsp(&s);
	return cur(&s) == ';';
}

/* A URI character: VCHAR except "," and ";". */
static int
is_uri_char(int c)
{
	return c >= 0x21 && c <= 0x7e && c != ',' && c != ';';
}

/* Percent-decode src[0..n) into dst (n + 1 bytes); -1 on a bad escape. */
static int
pct_decode(const char *src, size_t n, char *dst)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (src[i] != '%') {
			dst[o++] = src[i];
			continue;
		}
		if (i + 2 >= n || (hi = hex_digit((unsigned char)src[i + 1])) < 0
		    || (lo = hex_digit((unsigned char)src[i + 2])) < 0)
			return -1;
		if (hi == 0 && lo == 0)
			return -1;	/* NUL would cut the address */
		dst[o++] = (char)(hi * 16 + lo);
		i += 2;
	}
	dst[o] = '\0';
	return 0;
}

/* RFC 5322 atext. */
static int
is_atext(int c)
{
	return is_ldh_alnum(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c)
	    != NULL);
}

/* local "@" domain: dot-atom local part, LDH domain (lower-cased). */
static int
addr_ok(char *addr)
{
	char *at = strrchr(addr, '@'), *p;

	if (at == NULL || at == addr || at[1] == '\0')
		return 0;
	if (addr[0] == '.' || at[-1] == '.')
		return 0;
	for (p = addr; p < at; p++)
		if (!(is_atext((unsigned char)*p) || (*p == '.'
		    && p[1] != '.')))
			return 0;
	str_lower(at + 1);
	return domain_valid(at + 1);
}

static int
mailto_ok(const char *uri, size_t n, struct tlsrpt_rua *r)
{
	size_t alen = n;
	const char *q = memchr(uri, '?', n);

	if (q != NULL)
		alen = (size_t)(q - uri);
	if (pct_decode(uri, alen, r->addr) < 0 || !addr_ok(r->addr))
		return 0;
	r->kind = TLSRPT_RUA_MAILTO;
	return 1;
}

/* host [":" port] up to "/", "?", "#" or the end. */
static int
https_ok(const char *rest, size_t n, struct tlsrpt_rua *r)
{
	char host[DOMAIN_MAX + 1];
	size_t hl = 0, i;

	if (n > 0 && rest[0] == '[') {	/* IP literal: "[" hex, ":" "." "]" */
		for (i = 1; i < n && rest[i] != ']'; i++)
			if (hex_digit((unsigned char)rest[i]) < 0 && rest[i] != ':'
			    && rest[i] != '.')
				return 0;
		if (i == n || i == 1)
			return 0;
		i++;
	} else {
		for (i = 0; i < n && !strchr(":/?#", rest[i]); i++)
			if (hl < DOMAIN_MAX)
				host[hl++] = rest[i];
			else
				return 0;
		host[hl] = '\0';
		str_lower(host);
		if (!domain_valid(host))
			return 0;
	}
	if (i < n && rest[i] == ':')
		for (i++; i < n && rest[i] >= '0' && rest[i] <= '9'; i++)
			;
	if (i < n && !strchr("/?#", rest[i]))
		return 0;
	r->kind = TLSRPT_RUA_HTTPS;
	return 1;
}

/* Classify one URI; keep it when usable and room is left. */
static void
add_uri(struct tlsrpt_txt *out, const char *uri, size_t n)
{
	struct tlsrpt_rua *r = &out->rua[out->nrua];
	int ok = 0;

	if (out->nrua == TLSRPT_RUA_MAX || n > TLSRPT_URI_MAX) {
		out->skipped++;
		return;
	}
	memset(r, 0, sizeof(*r));
	if (n > 7 && strncasecmp(uri, "mailto:", 7) == 0)
		ok = mailto_ok(uri + 7, n - 7, r);
	else if (n > 8 && strncasecmp(uri, "https://", 8) == 0)
		ok = https_ok(uri + 8, n - 8, r);
	if (!ok) {
		out->skipped++;
		return;
	}
	memcpy(r->uri, uri, n);
	r->uri[n] = '\0';
	out->nrua++;
}

/* *WSP sep *WSP (sep ";" between fields, "," between URIs); 0 if none. */
static int
skip_sep(struct scan *s, int sep)
{
	size_t save = s->pos;

	skip_wsp(s);
	if (cur(s) != sep) {
		s->pos = save;
		return 0;
	}
	s->pos++;
	skip_wsp(s);
	return 1;
}

/* uri *(*WSP "," *WSP uri) */
static int
parse_rua(struct scan *s, struct tlsrpt_txt *out, char *err, size_t errlen)
{
	size_t start;

	do {
		start = s->pos;
		while (is_uri_char(cur(s)))
			s->pos++;
		if (s->pos == start) {
			errbuf_set(err, errlen, "URI expected at offset %zu",
			    start);
			return -1;
		}
		add_uri(out, s->buf + start, s->pos - start);
	} while (skip_sep(s, ','));
	return 0;
}

/* ext-name "=" ext-value, or the rua field (first one counts). */
static int
parse_field(struct scan *s, struct tlsrpt_txt *out, int *have_rua,
    char *err, size_t errlen)
{
	size_t start = s->pos;
	struct tlsrpt_txt ignored;

	if (!is_ldh_alnum(cur(s))) {
		errbuf_set(err, errlen, "field name expected at offset %zu",
		    s->pos);
		return -1;
	}
	while (is_ldh_alnum(cur(s)) || cur(s) == '_' || cur(s) == '-'
	    || cur(s) == '.')
		s->pos++;
	if (s->pos - start > EXT_NAME_MAX || cur(s) != '=') {
		errbuf_set(err, errlen, "bad field name at offset %zu", start);
		return -1;
	}
	s->pos++;
	if (s->pos - start == 4 && memcmp(s->buf + start, "rua=", 4) == 0) {
		memset(&ignored, 0, sizeof(ignored));
		if (parse_rua(s, *have_rua ? &ignored : out, err, errlen) < 0)
			return -1;
		*have_rua = 1;
		return 0;
	}
	start = s->pos;
	while (cur(s) >= 0x21 && cur(s) <= 0x7e && cur(s) != '=' && cur(s) != ';')
		s->pos++;
	if (s->pos == start) {
		errbuf_set(err, errlen, "empty value at offset %zu", start);
		return -1;
	}
	return 0;
}

static enum tlsrpt_txt_status
fail(struct tlsrpt_txt *out)
{
	memset(out, 0, sizeof(*out));
	return TLSRPT_TXT_INVALID;
}

enum tlsrpt_txt_status
tlsrpt_txt_parse_record(const char *buf, size_t len, struct tlsrpt_txt *out,
    char *err, size_t errlen)
{
	struct scan s = { buf, len, TLSRPT_VERSION_LEN };
	int have_rua = 0;

	memset(out, 0, sizeof(*out));
	errbuf_set(err, errlen, "%s", "");
	if (len > TLSRPT_TXT_MAX) {
		errbuf_set(err, errlen, "record longer than %d bytes",
		    TLSRPT_TXT_MAX);
		return fail(out);
	}
	if (!is_tlsrpt_record(buf, len)) {
		errbuf_set(err, errlen, "record does not begin with "
		    "v=TLSRPTv1;");
		return fail(out);
	}
	while (s.pos < s.len) {
		if (!skip_sep(&s, ';')) {
			errbuf_set(err, errlen, "';' expected at offset %zu",
			    s.pos);
			return fail(out);
		}
		if (s.pos == s.len)
			break;		/* optional final delimiter */
		if (parse_field(&s, out, &have_rua, err, errlen) < 0)
			return fail(out);
	}
	if (!have_rua) {
		errbuf_set(err, errlen, "record has no rua field");
		return fail(out);
	}
	if (out->nrua == 0) {
		errbuf_set(err, errlen, "no usable mailto: or https: "
		    "destination in rua");
		return fail(out);
	}
	return TLSRPT_TXT_OK;
}

enum tlsrpt_txt_status
tlsrpt_txt_parse(const struct sts_txt_rec *recs, size_t nrecs,
    struct tlsrpt_txt *out, char *err, size_t errlen)
{
	const struct sts_txt_rec *found = NULL;
	size_t i, n = 0;

	memset(out, 0, sizeof(*out));
	errbuf_set(err, errlen, "%s", "");
	for (i = 0; i < nrecs; i++) {
		if (is_tlsrpt_record(recs[i].data, recs[i].len)) {
			found = &recs[i];
			n++;
		}
	}
	if (n == 0)
		return TLSRPT_TXT_NONE;
	if (n > 1) {
		errbuf_set(err, errlen, "%zu TLSRPT records (exactly one "
		    "allowed)", n);
		return TLSRPT_TXT_INVALID;
	}
	return tlsrpt_txt_parse_record(found->data, found->len, out, err,
	    errlen);
}
