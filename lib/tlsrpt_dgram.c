/* SPDX-License-Identifier: MIT */
/*
 * tlsrpt_dgram - libtlsrpt datagram codec.  The contract is in
 * tlsrpt_dgram.h.
 *
 * Decoding first makes the bytes valid UTF-8 (jansson refuses anything
 * else), then walks the JSON tree with one checker per level; each
 * returns -1 after writing the first reason into err.
 */
#include "config.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "tlsrpt_dgram.h"
#include "util.h"

static const struct {
	int code;
	const char *name;
} result_types[] = {
	{ TLSRPT_RC_STARTTLS_NOT_SUPPORTED, "starttls-not-supported" },
	{ TLSRPT_RC_CERTIFICATE_HOST_MISMATCH, "certificate-host-mismatch" },
	{ TLSRPT_RC_CERTIFICATE_NOT_TRUSTED, "certificate-not-trusted" },
	{ TLSRPT_RC_CERTIFICATE_EXPIRED, "certificate-expired" },
	{ TLSRPT_RC_VALIDATION_FAILURE, "validation-failure" },
	{ TLSRPT_RC_STS_POLICY_FETCH_ERROR, "sts-policy-fetch-error" },
	{ TLSRPT_RC_STS_POLICY_INVALID, "sts-policy-invalid" },
	{ TLSRPT_RC_STS_WEBPKI_INVALID, "sts-webpki-invalid" },
	{ TLSRPT_RC_TLSA_INVALID, "tlsa-invalid" },
	{ TLSRPT_RC_DNSSEC_INVALID, "dnssec-invalid" },
	{ TLSRPT_RC_DANE_REQUIRED, "dane-required" },
};

const char *
tlsrpt_result_type_name(int code)
{
	size_t i;

	for (i = 0; i < sizeof(result_types) / sizeof(result_types[0]); i++)
		if (result_types[i].code == code)
			return result_types[i].name;
	return NULL;
}

const char *
tlsrpt_policy_type_name(enum tlsrpt_policy_type t)
{
	switch (t) {
	case TLSRPT_POLICY_TLSA:
		return "tlsa";
	case TLSRPT_POLICY_STS:
		return "sts";
	case TLSRPT_POLICY_NONE:
		return "no-policy-found";
	}
	return NULL;
}

/* UTF-8 */

/*
 * Length of the valid UTF-8 sequence at p (n bytes left), or 0.  The
 * second-byte ranges exclude overlong forms, surrogates and code
 * points above U+10FFFF (RFC 3629 section 4).
 */
static size_t
utf8_seq_len(const unsigned char *p, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

size_t
tlsrpt_utf8_sanitise(const unsigned char *in, size_t len, unsigned char *out)
{
	size_t i = 0, o = 0, k;

	while (i < len) {
		k = utf8_seq_len(in + i, len - i);
		if (k == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);	/* U+FFFD */
			o += 3;
			i++;
			continue;
		}
		memcpy(out + o, in + i, k);
		o += k;
		i += k;
	}
	return o;
}

int
tlsrpt_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < len) {
		if (p[i] == 0 || (k = utf8_seq_len(p + i, len - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

/* Freeing and copying */

void
tlsrpt_detail_free(struct tlsrpt_detail *d)
{
	free(d->s);
	free(d->n);
	free(d->h);
	free(d->r);
	free(d->a);
	free(d->f);
	memset(d, 0, sizeof(*d));
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
tlsrpt_policy_free(struct tlsrpt_policy *p)
{
	size_t i;

	free(p->domain);
	strv_free(p->strings, p->nstrings);
	strv_free(p->mx, p->nmx);
	for (i = 0; i < p->ndetails; i++)
		tlsrpt_detail_free(&p->details[i]);
	free(p->details);
	memset(p, 0, sizeof(*p));
}

void
tlsrpt_dgram_free(struct tlsrpt_dgram *dg)
{
	size_t i;

	free(dg->d);
	free(dg->pr);
	for (i = 0; i < dg->npolicies; i++)
		tlsrpt_policy_free(&dg->policies[i]);
	free(dg->policies);
	memset(dg, 0, sizeof(*dg));
}

static char *
dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void
tlsrpt_detail_copy(struct tlsrpt_detail *dst, const struct tlsrpt_detail *src)
{
	dst->code = src->code;
	dst->s = dup_or_null(src->s);
	dst->n = dup_or_null(src->n);
	dst->h = dup_or_null(src->h);
	dst->r = dup_or_null(src->r);
	dst->a = dup_or_null(src->a);
	dst->f = dup_or_null(src->f);
}

static int
str_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int
tlsrpt_detail_equal(const struct tlsrpt_detail *a,
    const struct tlsrpt_detail *b)
{
	return a->code == b->code && str_equal(a->s, b->s)
	    && str_equal(a->n, b->n) && str_equal(a->h, b->h)
	    && str_equal(a->r, b->r) && str_equal(a->a, b->a)
	    && str_equal(a->f, b->f);
}

/* Decoding */

/* A string member: 0 absent (*out NULL), 1 present, -1 bad. */
static int
get_string(const json_t *obj, const char *key, char **out, char *err,
    size_t errlen)
{
	const json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_is_string(v)) {
		errbuf_set(err, errlen, "\"%s\" is not a string", key);
		return -1;
	}
	if (json_string_length(v) > TLSRPT_STR_MAX) {
		errbuf_set(err, errlen, "\"%s\" longer than %d bytes", key,
		    TLSRPT_STR_MAX);
		return -1;
	}
	*out = xstrdup(json_string_value(v));
	return 1;
}

/* An integer member in [min, max]: 0 absent, 1 present, -1 bad. */
static int
get_int(const json_t *obj, const char *key, long min, long max, long *out,
    char *err, size_t errlen)
{
	const json_t *v = json_object_get(obj, key);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min
	    || json_integer_value(v) > max) {
		errbuf_set(err, errlen, "\"%s\" is not an integer in %ld..%ld",
		    key, min, max);
		return -1;
	}
	*out = (long)json_integer_value(v);
	return 1;
}

/* Lower-case, drop one trailing dot, check LDH syntax. */
static int
normalise_domain(char *name, const char *what, char *err, size_t errlen)
{
	size_t n = strlen(name);

	if (n > 0 && name[n - 1] == '.')
		name[n - 1] = '\0';
	str_lower(name);
	if (!domain_valid(name)) {
		errbuf_set(err, errlen, "%s is not a host name", what);
		return -1;
	}
	return 0;
}

/* An optional array of strings, at most TLSRPT_STRINGS_MAX. */
static int
get_strv(const json_t *obj, const char *key, char ***vp, size_t *np,
    char *err, size_t errlen)
{
	const json_t *arr = json_object_get(obj, key), *v;
	size_t i;

	*vp = NULL;
	*np = 0;
	if (arr == NULL)
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > TLSRPT_STRINGS_MAX) {
		errbuf_set(err, errlen, "\"%s\" is not an array of at most "
		    "%d strings", key, TLSRPT_STRINGS_MAX);
		return -1;
	}
	*vp = xcalloc(json_array_size(arr) + 1, sizeof(char *));
	json_array_foreach(arr, i, v) {
		if (!json_is_string(v) || json_string_length(v) > TLSRPT_STR_MAX) {
			errbuf_set(err, errlen, "\"%s\"[%zu] is not a string "
			    "of at most %d bytes", key, i, TLSRPT_STR_MAX);
			return -1;
		}
		(*vp)[(*np)++] = xstrdup(json_string_value(v));
	}
	return 0;
}

static int
decode_detail(const json_t *o, struct tlsrpt_detail *d, unsigned *flags,
    char *err, size_t errlen)
{
	long code;

	if (!json_is_object(o)) {
		errbuf_set(err, errlen, "a failure detail is not an object");
		return -1;
	}
	if (get_int(o, "c", 0, 99999, &code, err, errlen) <= 0) {
		if (json_object_get(o, "c") == NULL)
			errbuf_set(err, errlen, "failure detail without \"c\"");
		return -1;
	}
	d->code = (int)code;
	if (tlsrpt_result_type_name(d->code) == NULL)
		*flags |= TLSRPT_DGF_UNKNOWN_CODE;
	if (get_string(o, "s", &d->s, err, errlen) < 0
	    || get_string(o, "n", &d->n, err, errlen) < 0
	    || get_string(o, "h", &d->h, err, errlen) < 0
	    || get_string(o, "r", &d->r, err, errlen) < 0
	    || get_string(o, "a", &d->a, err, errlen) < 0
	    || get_string(o, "f", &d->f, err, errlen) < 0)
		return -1;
	return 0;
}

static int
decode_details(const json_t *po, struct tlsrpt_policy *p, unsigned *flags,
    char *err, size_t errlen)
{
	const json_t *arr = json_object_get(po, "failure-details"), *v;
	size_t i;

	if (arr == NULL)
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > TLSRPT_DETAILS_MAX) {
		errbuf_set(err, errlen, "\"failure-details\" is not an array "
		    "of at most %d", TLSRPT_DETAILS_MAX);
		return -1;
	}
	p->details = xcalloc(json_array_size(arr) + 1, sizeof(*p->details));
	json_array_foreach(arr, i, v) {
		p->ndetails++;
		if (decode_detail(v, &p->details[i], flags, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* "t" and "f": the session counts by "f" (as the reference reporter). */
static int
decode_result(const json_t *po, struct tlsrpt_policy *p, unsigned *flags,
    char *err, size_t errlen)
{
	long t = -1, f = -1;

	if (get_int(po, "t", 0, 1000000, &t, err, errlen) < 0
	    || get_int(po, "f", 0, 1, &f, err, errlen) < 0)
		return -1;
	p->t = t;
	p->failed = f >= 0 ? (int)f : p->ndetails > 0;
	if ((t >= 0 && (size_t)t != p->ndetails)
	    || (p->failed && p->ndetails == 0))
		*flags |= TLSRPT_DGF_TF_MISMATCH;
	return 0;
}

static int
decode_policy(const json_t *po, const char *d, struct tlsrpt_policy *p,
    unsigned *flags, char *err, size_t errlen)
{
	long type;

	if (!json_is_object(po)) {
		errbuf_set(err, errlen, "a policy is not an object");
		return -1;
	}
	if (get_int(po, "policy-type", 0, 1000, &type, err, errlen) <= 0
	    || tlsrpt_policy_type_name((enum tlsrpt_policy_type)type) == NULL) {
		errbuf_set(err, errlen, "missing or unknown \"policy-type\"");
		return -1;
	}
	p->type = (enum tlsrpt_policy_type)type;
	if (get_string(po, "policy-domain", &p->domain, err, errlen) < 0)
		return -1;
	if (p->domain == NULL)
		p->domain = xstrdup(d);
	else if (normalise_domain(p->domain, "policy-domain", err, errlen) < 0)
		return -1;
	if (get_strv(po, "policy-string", &p->strings, &p->nstrings, err,
	    errlen) < 0 || get_strv(po, "mx-host", &p->mx, &p->nmx, err,
	    errlen) < 0)
		return -1;
	if (p->type == TLSRPT_POLICY_NONE && p->nmx > 0) {
		strv_free(p->mx, p->nmx);
		p->mx = NULL;
		p->nmx = 0;
		*flags |= TLSRPT_DGF_MX_IGNORED;
	}
	if (decode_details(po, p, flags, err, errlen) < 0)
		return -1;
	return decode_result(po, p, flags, err, errlen);
}

/* "dpv": absent or "1" (the number 1 too). */
static int
check_version(const json_t *root, unsigned *flags, char *err, size_t errlen)
{
	const json_t *v = json_object_get(root, "dpv");

	if (v == NULL) {
		*flags |= TLSRPT_DGF_NO_DPV;
		return 0;
	}
	if ((json_is_string(v) && strcmp(json_string_value(v), "1") == 0)
	    || (json_is_integer(v) && json_integer_value(v) == 1))
		return 0;
	errbuf_set(err, errlen, "unsupported datagram protocol version");
	return -1;
}

static int
decode_tree(const json_t *root, struct tlsrpt_dgram *dg, char *err,
    size_t errlen)
{
	const json_t *arr, *v;
	size_t i;

	if (get_string(root, "d", &dg->d, err, errlen) <= 0) {
		if (dg->d == NULL && json_object_get(root, "d") == NULL)
			errbuf_set(err, errlen, "no \"d\" (TLSRPT domain)");
		return -1;
	}
	if (normalise_domain(dg->d, "d", err, errlen) < 0
	    || get_string(root, "pr", &dg->pr, err, errlen) < 0)
		return -1;
	if (dg->pr == NULL)
		dg->pr = xstrdup("");
	arr = json_object_get(root, "policies");
	if (!json_is_array(arr) || json_array_size(arr) == 0
	    || json_array_size(arr) > TLSRPT_POLICIES_MAX) {
		errbuf_set(err, errlen, "\"policies\" is not an array of 1 to "
		    "%d policies", TLSRPT_POLICIES_MAX);
		return -1;
	}
	dg->policies = xcalloc(json_array_size(arr), sizeof(*dg->policies));
	json_array_foreach(arr, i, v) {
		dg->npolicies++;
		if (decode_policy(v, dg->d, &dg->policies[i], &dg->flags, err,
		    errlen) < 0)
			return -1;
	}
	return 0;
}

/* Parse valid UTF-8 text into *dg. */
static int
decode_text(const char *text, size_t len, struct tlsrpt_dgram *dg,
    char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root;
	int rc = TLSRPT_DG_BAD;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		errbuf_set(err, errlen, "not JSON: %s", jerr.text);
		return TLSRPT_DG_BAD;
	}
	if (!json_is_object(root))
		errbuf_set(err, errlen, "not a JSON object");
	else if (check_version(root, &dg->flags, err, errlen) < 0)
		rc = TLSRPT_DG_VERSION;
	else if (decode_tree(root, dg, err, errlen) == 0)
		rc = TLSRPT_DG_OK;
	json_decref(root);
	return rc;
}

int
tlsrpt_dgram_decode(const void *buf, size_t len, struct tlsrpt_dgram *dg,
    char *err, size_t errlen)
{
	unsigned char *clean = NULL;
	const char *text = buf;
	int rc;

	memset(dg, 0, sizeof(*dg));
	errbuf_set(err, errlen, "%s", "");
	if (len > TLSRPT_DGRAM_MAX) {
		errbuf_set(err, errlen, "datagram longer than %d bytes",
		    TLSRPT_DGRAM_MAX);
		return TLSRPT_DG_BAD;
	}
	if (memchr(buf, '\0', len) == NULL && !tlsrpt_utf8_valid(buf, len)) {
		clean = xmalloc(3 * len + 1);
		len = tlsrpt_utf8_sanitise(buf, len, clean);
		text = (const char *)clean;
		dg->flags |= TLSRPT_DGF_SANITISED;
	}
	rc = decode_text(text, len, dg, err, errlen);
	free(clean);
	if (rc != TLSRPT_DG_OK)
		tlsrpt_dgram_free(dg);
	return rc;
}

int
tlsrpt_dgram_fuzz_one(const uint8_t *buf, size_t len)
{
	struct tlsrpt_dgram dg;
	char err[128];

	if (tlsrpt_dgram_decode(buf, len, &dg, err, sizeof(err)) == TLSRPT_DG_OK)
		tlsrpt_dgram_free(&dg);
	return 0;
}

/* Encoding, byte for byte as libtlsrpt writes it */

void
tlsrpt_buf_add(struct tlsrpt_buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = 2 * (b->len + n + 1);
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
tlsrpt_buf_str(struct tlsrpt_buf *b, const char *s)
{
	tlsrpt_buf_add(b, s, strlen(s));
}

void
tlsrpt_buf_printf(struct tlsrpt_buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		tlsrpt_buf_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n
		    : sizeof(tmp) - 1);
}

/* libtlsrpt's escape table (create-json-escape-initializer-list.c). */
static void
ob_escaped(struct tlsrpt_buf *b, const char *s)
{
	const unsigned char *c;

	tlsrpt_buf_str(b, "\"");
	for (c = (const unsigned char *)s; *c; c++) {
		switch (*c) {
		case '"':  tlsrpt_buf_str(b, "\\\""); break;
		case '\\': tlsrpt_buf_str(b, "\\\\"); break;
		case '\b': tlsrpt_buf_str(b, "\\b"); break;
		case '\f': tlsrpt_buf_str(b, "\\f"); break;
		case '\n': tlsrpt_buf_str(b, "\\n"); break;
		case '\r': tlsrpt_buf_str(b, "\\r"); break;
		case '\t': tlsrpt_buf_str(b, "\\t"); break;
		default:
			if (*c < 0x20 || *c == 0x7f)
				tlsrpt_buf_printf(b, "\\u%04x", *c);
			else
				tlsrpt_buf_add(b, (const char *)c, 1);
		}
	}
	tlsrpt_buf_str(b, "\"");
}

/* ,"name": "value" (libtlsrpt's write_attribute), when value is set. */
static void
ob_attr(struct tlsrpt_buf *b, const char *sep, const char *name, const char *value)
{
	if (value == NULL)
		return;
	tlsrpt_buf_str(b, sep);
	tlsrpt_buf_str(b, "\"");
	tlsrpt_buf_str(b, name);
	tlsrpt_buf_str(b, "\": ");
	ob_escaped(b, value);
}

static void
ob_strv(struct tlsrpt_buf *b, const char *name, char *const *v, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	tlsrpt_buf_str(b, ",\"");
	tlsrpt_buf_str(b, name);
	tlsrpt_buf_str(b, "\":[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			tlsrpt_buf_str(b, ",");
		ob_escaped(b, v[i]);
	}
	tlsrpt_buf_str(b, "]");
}

static void
ob_detail(struct tlsrpt_buf *b, const struct tlsrpt_detail *d)
{
	tlsrpt_buf_printf(b, "{\"c\":%d", d->code);
	ob_attr(b, ",", "s", d->s);
	ob_attr(b, ",", "n", d->n);
	ob_attr(b, ",", "h", d->h);
	ob_attr(b, ",", "r", d->r);
	ob_attr(b, ",", "a", d->a);
	ob_attr(b, ",", "f", d->f);
	tlsrpt_buf_str(b, "}");
}

static void
ob_policy(struct tlsrpt_buf *b, const struct tlsrpt_policy *p)
{
	size_t i;

	tlsrpt_buf_printf(b, "{\"policy-type\":%d", (int)p->type);
	ob_attr(b, ",", "policy-domain", p->domain);
	ob_strv(b, "policy-string", p->strings, p->nstrings);
	ob_strv(b, "mx-host", p->mx, p->nmx);
	if (p->ndetails > 0) {
		tlsrpt_buf_str(b, ",\"failure-details\":[");
		for (i = 0; i < p->ndetails; i++) {
			if (i > 0)
				tlsrpt_buf_str(b, ",");
			ob_detail(b, &p->details[i]);
		}
		tlsrpt_buf_str(b, "]");
	}
	tlsrpt_buf_printf(b, ",\"t\":%zu,\"f\":%d}", p->ndetails, p->failed);
}

char *
tlsrpt_dgram_encode(const struct tlsrpt_dgram *dg, size_t *lenp)
{
	struct tlsrpt_buf b = { NULL, 0, 0 };
	size_t i;

	tlsrpt_buf_str(&b, "{");
	ob_attr(&b, "", "dpv", "1");
	ob_attr(&b, ",", "d", dg->d);
	ob_attr(&b, ",", "pr", dg->pr);
	for (i = 0; i < dg->npolicies; i++) {
		tlsrpt_buf_str(&b, i == 0 ? ",\"policies\":[" : ",");
		ob_policy(&b, &dg->policies[i]);
	}
	if (dg->npolicies > 0)
		tlsrpt_buf_str(&b, "]");
	tlsrpt_buf_str(&b, "}");
	if (lenp != NULL)
		*lenp = b.len;
	return b.p;
}
