/* SPDX-License-Identifier: MIT */
/*
 * sts_policy - MTA-STS policy body.  The contract is in sts_policy.h.
 *
 * Parsing runs line by line over the caller's buffer; each line is
 * checked against the generic "key: value" grammar first, then the
 * known keys against their own.  The first error ends the parse: a
 * half-valid policy is never returned.
 */
#include "config.h"

#include <arpa/inet.h>
#include <idn2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "domain.h"
#include "sts_policy.h"
#include "util.h"

#define EXT_NAME_MAX	32

/* Parse state: what the first occurrence of each key said. */
struct pstate {
	int have_version, have_mode, have_max_age;
	size_t lineno;
};

static int
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
	    || (c >= '0' && c <= '9');
}

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/*
 * Length of the well-formed UTF-8 sequence (2 to 4 bytes, no overlong
 * forms, no surrogates, at most U+10FFFF) at s, or 0.
 */
static size_t
utf8_seq(const unsigned char *s, size_t len)
{
	size_t n;
	unsigned cp;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000)
	    || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/* Value: VCHAR, WSP and well-formed UTF-8; not empty. */
static int
check_value_chars(const char *v, size_t len, char *err, size_t errlen,
    size_t lineno)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t i = 0, n;

	if (len == 0) {
		errbuf_set(err, errlen, "line %zu: empty value", lineno);
		return -1;
	}
	while (i < len) {
		if ((s[i] >= 0x21 && s[i] <= 0x7e) || is_wsp(s[i])) {
			i++;
		} else if (s[i] >= 0x80 && (n = utf8_seq(s + i, len - i))) {
			i += n;
		} else {
			errbuf_set(err, errlen, "line %zu: invalid byte 0x%02x "
			    "in value", lineno, s[i]);
			return -1;
		}
	}
	return 0;
}

static int
check_key(const char *k, size_t len, char *err, size_t errlen,
    size_t lineno)
{
	if (len == 0 || !is_alnum((unsigned char)k[0])) {
		errbuf_set(err, errlen, "line %zu: key must begin with a letter "
		    "or digit", lineno);
		return -1;
	}
	if (len > EXT_NAME_MAX) {
		errbuf_set(err, errlen, "line %zu: key longer than %d characters",
		    lineno, EXT_NAME_MAX);
		return -1;
	}
	for (size_t i = 1; i < len; i++) {
		int c = (unsigned char)k[i];
		if (!is_alnum(c) && c != '_' && c != '-' && c != '.') {
			errbuf_set(err, errlen, "line %zu: invalid character in "
			    "key", lineno);
			return -1;
		}
	}
	return 0;
}

static int
key_is(const char *k, size_t len, const char *name)
{
	return len == strlen(name) && memcmp(k, name, len) == 0;
}

/* Only letters, digits, '-' and '.': anything else cannot be an A-label. */
static int
all_digits(const char *s, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/*
 * A-labels only: a name with "xn--" labels must survive the round trip
 * A-label -> U-label -> A-label unchanged (RFC 5891 5.4); that rejects
 * bad punycode and labels IDNA2008 does not allow.
 */
static int
alabels_valid(const char *name)
{
	char *u = NULL, *a = NULL;
	int ok;

	if (strstr(name, "xn--") == NULL)
		return 1;
	ok = idn2_to_unicode_8z8z(name, &u, 0) == IDN2_OK
	    && idn2_to_ascii_8z(u, &a, IDN2_NONTRANSITIONAL) == IDN2_OK
	    && strcasecmp(a, name) == 0;
	idn2_free(u);
	idn2_free(a);
	return ok;
}

/*
 * mx value: ["*."] Domain, A-labels only.  Returns a lower-case copy or
 * NULL with err set.
 */
static char *
check_mx(const char *v, size_t len, char *err, size_t errlen, size_t lineno)
{
	char *mx = NULL;
	const char *host, *last;

	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)v[i] >= 0x80) {
			errbuf_set(err, errlen, "line %zu: mx has non-ASCII "
			    "characters (U-label); A-labels required", lineno);
			return NULL;
		}
	}
	mx = xstrndup(v, len);
	str_lower(mx);
	host = strncmp(mx, "*.", 2) == 0 ? mx + 2 : mx;
	if (strchr(host, '*') != NULL) {
		errbuf_set(err, errlen, "line %zu: mx wildcard allowed only as "
		    "the whole left-most label", lineno);
		goto fail;
	}
	if (len > 0 && mx[len - 1] == '.') {
		errbuf_set(err, errlen, "line %zu: mx with a trailing dot",
		    lineno);
		goto fail;
	}
	if (!domain_valid(host)) {
		errbuf_set(err, errlen, "line %zu: mx is not a valid host name",
		    lineno);
		goto fail;
	}
	last = strrchr(host, '.');
	last = last ? last + 1 : host;
	if (all_digits(last, strlen(last))) {
		errbuf_set(err, errlen, "line %zu: mx is an IP address, not a "
		    "host name", lineno);
		goto fail;
	}
	if (!alabels_valid(host)) {
		errbuf_set(err, errlen, "line %zu: mx has an invalid A-label",
		    lineno);
		goto fail;
	}
	return mx;

fail:
	free(mx);
	return NULL;
}

static int
set_mode(struct sts_policy *p, const char *v, size_t len, char *err,
    size_t errlen, size_t lineno)
{
	if (key_is(v, len, "enforce"))
		p->mode = STS_MODE_ENFORCE;
	else if (key_is(v, len, "testing"))
		p->mode = STS_MODE_TESTING;
	else if (key_is(v, len, "none"))
		p->mode = STS_MODE_NONE;
	else {
		errbuf_set(err, errlen, "line %zu: mode must be enforce, testing "
		    "or none (case-sensitive)", lineno);
		return -1;
	}
	return 0;
}

static int
set_max_age(struct sts_policy *p, const char *v, size_t len, char *err,
    size_t errlen, size_t lineno)
{
	long long n = 0;

	if (!all_digits(v, len) || len > 10) {
		errbuf_set(err, errlen, "line %zu: max_age must be 1 to 10 "
		    "digits", lineno);
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		n = n * 10 + (v[i] - '0');
	if (n > STS_MAX_AGE_LIMIT) {
		n = STS_MAX_AGE_LIMIT;
		p->warnings |= STS_WARN_CLAMPED;
	}
	p->max_age = (long)n;
	return 0;
}

static void
add_line(struct sts_policy *p, const char *line, size_t len)
{
	p->lines = xrealloc(p->lines, (p->nlines + 1) * sizeof(*p->lines));
	p->lines[p->nlines++] = xstrndup(line, len);
}

/* One line with terminator and trailing whitespace already removed. */
static int
parse_line(struct sts_policy *p, struct pstate *st, const char *line,
    size_t len, char *err, size_t errlen)
{
	const char *colon = memchr(line, ':', len), *v;
	size_t klen, vlen;
	char *mx;

	if (colon == NULL) {
		errbuf_set(err, errlen, "line %zu: no ':' after key", st->lineno);
		return -1;
	}
	klen = (size_t)(colon - line);
	if (check_key(line, klen, err, errlen, st->lineno) < 0)
		return -1;
	v = colon + 1;
	while (v < line + len && is_wsp((unsigned char)*v))
		v++;
	vlen = (size_t)(line + len - v);
	if (check_value_chars(v, vlen, err, errlen, st->lineno) < 0)
		return -1;
	add_line(p, line, len);

	if (key_is(line, klen, "mx")) {
		if (p->nmx >= STS_POLICY_MAX_MX) {
			errbuf_set(err, errlen, "more than %d mx lines",
			    STS_POLICY_MAX_MX);
			return -1;
		}
		if ((mx = check_mx(v, vlen, err, errlen, st->lineno)) == NULL)
			return -1;
		p->mx = xrealloc(p->mx, (p->nmx + 1) * sizeof(*p->mx));
		p->mx[p->nmx++] = mx;
		return 0;
	}
	if (key_is(line, klen, "version")) {
		if (st->have_version++)
			goto duplicate;
		if (!key_is(v, vlen, "STSv1")) {
			errbuf_set(err, errlen, "line %zu: version must be STSv1",
			    st->lineno);
			return -1;
		}
		return 0;
	}
	if (key_is(line, klen, "mode")) {
		if (st->have_mode++)
			goto duplicate;
		return set_mode(p, v, vlen, err, errlen, st->lineno);
	}
	if (key_is(line, klen, "max_age")) {
		if (st->have_max_age++)
			goto duplicate;
		return set_max_age(p, v, vlen, err, errlen, st->lineno);
	}
	return 0;			/* extension: ignored */

duplicate:
	p->warnings |= STS_WARN_DUPLICATE;
	return 0;
}

static int
check_required(const struct sts_policy *p, const struct pstate *st,
    char *err, size_t errlen)
{
	if (!st->have_version)
		errbuf_set(err, errlen, "version field missing");
	else if (!st->have_mode)
		errbuf_set(err, errlen, "mode field missing");
	else if (!st->have_max_age)
		errbuf_set(err, errlen, "max_age field missing");
	else if (p->nmx == 0 && p->mode != STS_MODE_NONE)
		errbuf_set(err, errlen, "no mx field (required unless mode is "
		    "none)");
	else
		return 0;
	return -1;
}

/* Split into lines: LF or CRLF; a CR anywhere else is an error. */
static int
parse_body(struct sts_policy *p, struct pstate *st, const char *buf,
    size_t len, char *err, size_t errlen)
{
	size_t pos = 0;

	while (pos < len) {
		const char *line = buf + pos;
		const char *lf = memchr(line, '\n', len - pos);
		size_t n = lf ? (size_t)(lf - line) : len - pos;

		pos += n + (lf != NULL);
		st->lineno++;
		if (n > 0 && lf != NULL && line[n - 1] == '\r')
			n--;
		if (memchr(line, '\r', n) != NULL) {
			errbuf_set(err, errlen, "line %zu: CR not followed by LF",
			    st->lineno);
			return -1;
		}
		if (n > 0 && is_wsp((unsigned char)line[n - 1])) {
			p->warnings |= STS_WARN_TRAILING_WSP;
			while (n > 0 && is_wsp((unsigned char)line[n - 1]))
				n--;
		}
		if (n == 0) {
			p->warnings |= STS_WARN_EMPTY_LINE;
			continue;
		}
		if (parse_line(p, st, line, n, err, errlen) < 0)
			return -1;
	}
	return 0;
}

int
sts_policy_parse(const char *buf, size_t len, struct sts_policy *p,
    char *err, size_t errlen)
{
	struct pstate st;
	size_t skip = 0;

	memset(p, 0, sizeof(*p));
	memset(&st, 0, sizeof(st));
	errbuf_set(err, errlen, "%s", "");
	if (len > STS_POLICY_MAX_BODY) {
		errbuf_set(err, errlen, "policy larger than %d bytes",
		    STS_POLICY_MAX_BODY);
		return -1;
	}
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		p->warnings |= STS_WARN_BOM;
		skip = 3;
	}
	if (parse_body(p, &st, buf + skip, len - skip, err, errlen) < 0
	    || check_required(p, &st, err, errlen) < 0) {
		sts_policy_free(p);
		return -1;
	}
	p->text = xstrndup(buf, len);
	p->text_len = len;
	return 0;
}

void
sts_policy_free(struct sts_policy *p)
{
	for (size_t i = 0; i < p->nmx; i++)
		free(p->mx[i]);
	for (size_t i = 0; i < p->nlines; i++)
		free(p->lines[i]);
	free(p->mx);
	free(p->lines);
	free(p->text);
	memset(p, 0, sizeof(*p));
}

const char *
sts_mode_name(enum sts_mode mode)
{
	switch (mode) {
	case STS_MODE_ENFORCE:
		return "enforce";
	case STS_MODE_TESTING:
		return "testing";
	case STS_MODE_NONE:
		return "none";
	}
	return "?";
}

/* RFC 8461 4.1: "*." matches exactly one left-most label. */
int
sts_policy_mx_match(const struct sts_policy *p, const char *host)
{
	const char *dot = strchr(host, '.');

	for (size_t i = 0; i < p->nmx; i++) {
		const char *pat = p->mx[i];

		if (strncmp(pat, "*.", 2) == 0) {
			if (dot != NULL && dot != host
			    && strcasecmp(dot + 1, pat + 2) == 0)
				return 1;
		} else if (strcasecmp(host, pat) == 0) {
			return 1;
		}
	}
	return 0;
}

/* A growing string; xrealloc never fails. */
struct sbuf {
	char *s;
	size_t len, size;
};

static void
sb_add(struct sbuf *b, const char *s)
{
	size_t n = strlen(s);

	if (b->len + n + 1 > b->size) {
		b->size = (b->len + n + 1) * 2;
		b->s = xrealloc(b->s, b->size);
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

static int
seen_before(const struct sts_policy *p, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(p->mx[j], p->mx[i]) == 0)
			return 1;
	return 0;
}

static void
add_plain(struct sbuf *b, const struct sts_policy *p)
{
	int first = 1;

	sb_add(b, "secure match=");
	for (size_t i = 0; i < p->nmx; i++) {
		const char *m = p->mx[i];

		if (seen_before(p, i))
			continue;
		if (!first)
			sb_add(b, ":");
		sb_add(b, strncmp(m, "*.", 2) == 0 ? m + 1 : m);
		first = 0;
	}
	sb_add(b, " servername=hostname");
}

/* The TLSRPT attributes cannot carry braces or control bytes. */
static const char *
tlsrpt_unfit(const struct sts_policy *p, const char *domain)
{
	if (domain == NULL || !domain_valid(domain))
		return "policy domain is not a valid host name";
	for (size_t i = 0; i < p->nlines; i++) {
		if (strpbrk(p->lines[i], "{}") != NULL)
			return "policy line contains '{' or '}'";
	}
	return NULL;
}

static void
add_tlsrpt(struct sbuf *b, const struct sts_policy *p, const char *domain)
{
	sb_add(b, " policy_type=sts policy_domain=");
	sb_add(b, domain);
	for (size_t i = 0; i < p->nmx; i++) {
		if (seen_before(p, i))
			continue;
		sb_add(b, " mx_host_pattern=");
		sb_add(b, p->mx[i]);
	}
	for (size_t i = 0; i < p->nlines; i++) {
		sb_add(b, " { policy_string = ");
		sb_add(b, p->lines[i]);
		sb_add(b, " }");
	}
}

char *
sts_policy_to_postfix(const struct sts_policy *p, const char *domain,
    int tlsrpt, const char **why_plain)
{
	struct sbuf b = { NULL, 0, 0 };
	const char *why = NULL;
	size_t plain_len;

	if (why_plain)
		*why_plain = NULL;
	if (p->nmx == 0)
		return NULL;
	add_plain(&b, p);
	plain_len = b.len;
	if (tlsrpt && (why = tlsrpt_unfit(p, domain)) == NULL) {
		add_tlsrpt(&b, p, domain);
		if (b.len >= STS_POSTFIX_MAX) {
			why = "TLSRPT form would exceed the socketmap reply "
			    "limit";
			b.s[plain_len] = '\0';
			b.len = plain_len;
		}
	}
	if (why_plain)
		*why_plain = why;
	return b.s;
}

json_t *
sts_policy_to_json(const struct sts_policy *p)
{
	json_t *obj = json_object(), *mx = json_array();

	for (size_t i = 0; i < p->nmx; i++)
		json_array_append_new(mx, json_string(p->mx[i]));
	json_object_set_new(obj, "mode", json_string(sts_mode_name(p->mode)));
	json_object_set_new(obj, "max_age", json_integer(p->max_age));
	json_object_set_new(obj, "mx", mx);
	json_object_set_new(obj, "text", json_stringn(p->text, p->text_len));
	return obj;
}

char *
sts_policy_to_json_text(const struct sts_policy *p)
{
	json_t *obj = sts_policy_to_json(p);
	char *s = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);

	json_decref(obj);
	if (s == NULL) {
		/* Only on allocation failure: the parser admits only UTF-8. */
		fprintf(stderr, "fatal: cannot encode MTA-STS policy\n");
		abort();
	}
	return s;
}

/* The fields must say exactly what the re-parsed text says. */
static int
same_as_text(const struct sts_policy *p, const char *mode,
    json_int_t max_age, json_t *mx, char *err, size_t errlen)
{
	if (strcmp(mode, sts_mode_name(p->mode)) != 0) {
		errbuf_set(err, errlen, "JSON mode does not match policy text");
		return -1;
	}
	if (max_age != (json_int_t)p->max_age) {
		errbuf_set(err, errlen, "JSON max_age does not match policy "
		    "text");
		return -1;
	}
	if (!json_is_array(mx) || json_array_size(mx) != p->nmx) {
		errbuf_set(err, errlen, "JSON mx does not match policy text");
		return -1;
	}
	for (size_t i = 0; i < p->nmx; i++) {
		const char *s = json_string_value(json_array_get(mx, i));
		if (s == NULL || strcmp(s, p->mx[i]) != 0) {
			errbuf_set(err, errlen, "JSON mx[%zu] does not match "
			    "policy text", i);
			return -1;
		}
	}
	return 0;
}

int
sts_policy_from_json(const json_t *obj, struct sts_policy *p, char *err,
    size_t errlen)
{
	json_error_t jerr;
	json_int_t max_age;
	const char *mode, *text;
	size_t text_len;
	json_t *mx;
	char perr[256];

	memset(p, 0, sizeof(*p));
	if (!json_is_object(obj) || json_unpack_ex((json_t *)obj, &jerr,
	    JSON_STRICT, "{s:I, s:s, s:o, s:s%}", "max_age", &max_age,
	    "mode", &mode, "mx", &mx, "text", &text, &text_len) < 0) {
		errbuf_set(err, errlen, "policy JSON: %s", json_is_object(obj)
		    ? jerr.text : "not an object");
		return -1;
	}
	if (text_len > STS_POLICY_MAX_BODY) {
		errbuf_set(err, errlen, "policy JSON: text larger than %d bytes",
		    STS_POLICY_MAX_BODY);
		return -1;
	}
	if (sts_policy_parse(text, text_len, p, perr, sizeof(perr)) < 0) {
		errbuf_set(err, errlen, "policy JSON: text: %s", perr);
		return -1;
	}
	if (same_as_text(p, mode, max_age, mx, err, errlen) < 0) {
		sts_policy_free(p);
		return -1;
	}
	return 0;
}

int
sts_policy_from_json_text(const char *buf, size_t len, struct sts_policy *p,
    char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *obj;
	int rc;

	memset(p, 0, sizeof(*p));
	if (len > STS_POLICY_MAX_JSON) {
		errbuf_set(err, errlen, "policy JSON larger than %d bytes",
		    STS_POLICY_MAX_JSON);
		return -1;
	}
	if ((obj = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		errbuf_set(err, errlen, "policy JSON: %s at offset %d", jerr.text,
		    jerr.position);
		return -1;
	}
	rc = sts_policy_from_json(obj, p, err, errlen);
	json_decref(obj);
	return rc;
}
