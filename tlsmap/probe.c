/* SPDX-License-Identifier: MIT */
/*
 * probe - pure parts of "tlsmap probe"; see probe.h.  No I/O, no clock:
 * GnuTLS is used only to parse certificates and compute digests.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "probe.h"
#include "util.h"

/* One line: code in *code, text start/length; 1, 0 incomplete, -1 bad. */
static int
reply_line(const char *buf, size_t len, int *code, int *last,
    const char **text, size_t *tlen, size_t *used, const char **err)
{
	const char *nl = memchr(buf, '\n', len < PROBE_LINE_MAX ? len
	    : PROBE_LINE_MAX);
	size_t ll;

	if (nl == NULL) {
		if (len >= PROBE_LINE_MAX) {
			*err = "reply line too long";
			return -1;
		}
		return 0;
	}
	*used = (size_t)(nl - buf) + 1;
	ll = (size_t)(nl - buf);
	if (ll > 0 && buf[ll - 1] == '\r')
		ll--;
	if (ll < 3 || !isdigit((unsigned char)buf[0])
	    || !isdigit((unsigned char)buf[1]) || !isdigit((unsigned char)buf[2])
	    || buf[0] < '2' || buf[0] > '5'
	    || (ll > 3 && buf[3] != ' ' && buf[3] != '-')) {
		*err = "reply line without a three-digit code";
		return -1;
	}
	*code = (buf[0] - '0') * 100 + (buf[1] - '0') * 10 + (buf[2] - '0');
	*last = ll == 3 || buf[3] == ' ';
	*text = ll > 3 ? buf + 4 : buf + 3;
	*tlen = ll > 3 ? ll - 4 : 0;
	return 1;
}

static int
is_starttls(const char *t, size_t len)
{
	while (len > 0 && (t[len - 1] == ' ' || t[len - 1] == '\t'))
		len--;
	return len == 8 && strncasecmp(t, "STARTTLS", 8) == 0;
}

int
probe_smtp_reply(const char *buf, size_t len, struct probe_reply *r,
    char *err, size_t errlen)
{
	size_t off = 0;
	int first = -1;

	memset(r, 0, sizeof(*r));
	if (errlen)
		*err = '\0';
	for (int n = 0; n < PROBE_REPLY_LINES; n++) {
		const char *text, *why = NULL;
		size_t tlen, used;
		int code, last, rc;

		rc = reply_line(buf + off, len - off, &code, &last, &text, &tlen,
		    &used, &why);
		if (rc <= 0) {
			if (rc < 0)
				snprintf(err, errlen, "%s", why);
			return rc;
		}
		if (first >= 0 && code != first) {
			snprintf(err, errlen, "reply lines with codes %d and %d",
			    first, code);
			return -1;
		}
		first = code;
		if (n > 0 && is_starttls(text, tlen))
			r->starttls = 1;
		off += used;
		if (last) {
			r->code = code;
			r->used = off;
			return 1;
		}
	}
	snprintf(err, errlen, "more than %d reply lines", PROBE_REPLY_LINES);
	return -1;
}

int
probe_tlsa_usable(const struct probe_tlsa *t)
{
	if ((t->usage != 2 && t->usage != 3) || t->selector > 1)
		return 0;
	switch (t->mtype) {
	case 0:
		return t->len > 0;
	case 1:
		return t->len == 32;
	case 2:
		return t->len == 64;
	default:
		return 0;
	}
}

/* The bytes the selector names: the certificate or its SPKI (to free). */
static int
selected(uint8_t selector, const unsigned char *der, size_t derlen,
    gnutls_datum_t *out)
{
	gnutls_datum_t in = { (unsigned char *)der, (unsigned)derlen };
	gnutls_x509_crt_t crt = NULL;
	gnutls_pubkey_t pub = NULL;
	int rc = -1;

	out->data = NULL;
	if (gnutls_x509_crt_init(&crt) < 0)
		return -1;
	if (gnutls_x509_crt_import(crt, &in, GNUTLS_X509_FMT_DER) < 0)
		goto fail;
	if (selector == 0) {
		rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, out) < 0
		    ? -1 : 0;
		goto fail;
	}
	if (gnutls_pubkey_init(&pub) < 0)
		goto fail;
	if (gnutls_pubkey_import_x509(pub, crt, 0) == 0
	    && gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, out) == 0)
		rc = 0;
fail:
	if (pub)
		gnutls_pubkey_deinit(pub);
	gnutls_x509_crt_deinit(crt);
	return rc;
}

int
probe_tlsa_match(const struct probe_tlsa *t, const unsigned char *der,
    size_t derlen)
{
	unsigned char md[64];
	gnutls_datum_t sel;
	int rc = 0;

	if (selected(t->selector, der, derlen, &sel) < 0)
		return -1;
	switch (t->mtype) {
	case 0:
		rc = sel.size == t->len && memcmp(sel.data, t->data, t->len) == 0;
		break;
	case 1:
	case 2:
		if (gnutls_hash_fast(t->mtype == 1 ? GNUTLS_DIG_SHA256
		    : GNUTLS_DIG_SHA512, sel.data, sel.size, md) < 0)
			rc = -1;
		else
			rc = t->len == (t->mtype == 1 ? 32u : 64u)
			    && memcmp(md, t->data, t->len) == 0;
		break;
	}
	gnutls_free(sel.data);
	return rc;
}

enum probe_dane
probe_dane_eval(const struct probe_tlsa *recs, size_t n,
    const struct probe_der *chain, size_t nchain, size_t *matched_cert)
{
	int usable = 0;

	for (size_t i = 0; i < n; i++) {
		if (!probe_tlsa_usable(&recs[i]))
			continue;
		usable = 1;
		if (recs[i].usage == 3 && nchain > 0
		    && probe_tlsa_match(&recs[i], chain[0].data, chain[0].len) == 1) {
			*matched_cert = 0;
			return PROBE_DANE_EE;
		}
	}
	/* DANE-EE first: it needs no further checks. */
	for (size_t i = 0; i < n; i++) {
		if (!probe_tlsa_usable(&recs[i]) || recs[i].usage != 2)
			continue;
		for (size_t c = 1; c < nchain; c++)
			if (probe_tlsa_match(&recs[i], chain[c].data,
			    chain[c].len) == 1) {
				*matched_cert = c;
				return PROBE_DANE_TA;
			}
	}
	return usable ? PROBE_DANE_NOMATCH : PROBE_DANE_UNUSABLE;
}

/* Does the certificate name cn cover host name h (one-label wildcard)? */
static int
covers(const char *cn, const char *h)
{
	const char *dot;

	if (strcasecmp(cn, h) == 0)
		return 1;
	if (strncmp(cn, "*.", 2) != 0 || strchr(cn + 2, '*'))
		return 0;
	dot = strchr(h, '.');
	return dot && dot > h && strcasecmp(dot + 1, cn + 2) == 0;
}

/* Is the certificate name (or the names its wildcard covers) below d? */
static int
below(const char *cn, const char *d)
{
	size_t cl = strlen(cn), dl = strlen(d);

	if (strchr(cn, '*') && strncmp(cn, "*.", 2) != 0)
		return 0;	/* partial wildcard */
	if (strchr(cn + 1, '*'))
		return 0;
	if (strncmp(cn, "*.", 2) == 0)
		return strcasecmp(cn + 2, d) == 0 || below(cn + 2, d);
	return cl > dl + 1 && cn[cl - dl - 1] == '.'
	    && strcasecmp(cn + cl - dl, d) == 0;
}

int
probe_name_match(const char *const *names, size_t n, const char *pattern)
{
	if (*pattern == '\0')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (pattern[0] == '.' ? pattern[1] && below(names[i], pattern + 1)
		    : covers(names[i], pattern))
			return 1;
	}
	return 0;
}

const char *
probe_verdict_name(enum probe_verdict v)
{
	switch (v) {
	case PROBE_VERIFIED:
		return "deliver verified";
	case PROBE_ENCRYPTED:
		return "deliver encrypted";
	case PROBE_PLAIN:
		return "deliver in plaintext";
	case PROBE_GLOBAL:
		return "global smtp_tls_security_level";
	case PROBE_DEFER:
		return "defer";
	}
	return "?";
}

const char *
probe_dane_name(enum probe_dane d)
{
	static const char *const names[] = { "lookup failed", "no TLSA",
	    "unusable TLSA only", "match (DANE-EE)", "match (DANE-TA)",
	    "no match" };

	return names[d];
}

#define VERDICT(v, ...) \
	do { snprintf(why, whylen, __VA_ARGS__); return (v); } while (0)

/* may, encrypt: TLS with no authentication. */
static enum probe_verdict
unauthenticated(const struct probe_facts *f, int mandatory, const char *lvl,
    char *why, size_t whylen)
{
	if (f->tls)
		VERDICT(PROBE_ENCRYPTED, "%s: TLS without authentication", lvl);
	if (mandatory)
		VERDICT(PROBE_DEFER, "%s: %s", lvl, f->starttls
		    ? "TLS handshake failed" : "STARTTLS not offered");
	VERDICT(PROBE_PLAIN, "%s: %s, plaintext", lvl, f->starttls
	    ? "TLS handshake failed" : "no STARTTLS");
}

static enum probe_verdict
dane_verdict(const struct probe_facts *f, int only, char *why, size_t whylen)
{
	const char *lvl = only ? "dane-only" : "dane";

	if (f->dane == PROBE_DANE_FAILED)
		VERDICT(PROBE_DEFER, "%s: TLSA lookup error", lvl);
	if (only && !f->mx_secure)
		VERDICT(PROBE_DEFER, "dane-only: MX RRset is not DNSSEC-secure");
	switch (f->dane) {
	case PROBE_DANE_NONE:
		if (only)
			VERDICT(PROBE_DEFER, "dane-only: no TLSA records");
		return unauthenticated(f, 0, "dane without TLSA (may)", why, whylen);
	case PROBE_DANE_UNUSABLE:
		if (only)
			VERDICT(PROBE_DEFER, "dane-only: TLSA records unusable");
		return unauthenticated(f, 1, "dane with unusable TLSA (encrypt)",
		    why, whylen);
	case PROBE_DANE_NOMATCH:
		VERDICT(PROBE_DEFER, "%s: %s", lvl, f->tls ? "certificate "
		    "matches no TLSA record" : f->starttls ? "TLS handshake "
		    "failed" : "STARTTLS not offered");
	default:
		if (!f->tls)
			VERDICT(PROBE_DEFER, "%s: %s", lvl, f->starttls
			    ? "TLS handshake failed" : "STARTTLS not offered");
		VERDICT(PROBE_VERIFIED, "%s: certificate matches TLSA%s", lvl,
		    f->mx_secure ? "" : " (MX insecure: needs "
		    "smtp_tls_dane_insecure_mx_policy = dane)");
	}
}

/* Expand one match= strategy or name; returns the name to check. */
static const char *
strategy(const char *m, const struct probe_facts *f, char *buf, size_t len)
{
	if (strcasecmp(m, "nexthop") == 0)
		return f->domain;
	if (strcasecmp(m, "dot-nexthop") == 0) {
		snprintf(buf, len, ".%s", f->domain);
		return buf;
	}
	if (strcasecmp(m, "hostname") == 0)
		return f->mxhost;
	return m;
}

static enum probe_verdict
pkix_verdict(const char *lvl, const char *attrs, const struct probe_facts *f,
    char *why, size_t whylen)
{
	char *copy = xstrdup(attrs), *tok, *save = NULL, buf[300];
	char matches[1024] = "";
	int any = 0, ok = 0;

	if (!f->tls) {
		free(copy);
		VERDICT(PROBE_DEFER, "%s: %s", lvl, f->starttls
		    ? "TLS handshake failed" : "STARTTLS not offered");
	}
	for (tok = strtok_r(copy, " \t,", &save); tok;
	    tok = strtok_r(NULL, " \t,", &save)) {
		char *m, *msave = NULL;

		if (strncasecmp(tok, "match=", 6) != 0)
			continue;
		snprintf(matches + strlen(matches), sizeof(matches) - strlen(matches),
		    "%s%s", *matches ? ":" : "", tok + 6);
		for (m = strtok_r(tok + 6, ":", &msave); m;
		    m = strtok_r(NULL, ":", &msave)) {
			any = 1;
			ok |= probe_name_match(f->names, f->nnames,
			    strategy(m, f, buf, sizeof(buf)));
		}
	}
	free(copy);
	if (!any) {	/* Postfix's defaults for the level */
		if (strcmp(lvl, "secure") == 0) {
			snprintf(matches, sizeof(matches), "nexthop:dot-nexthop");
			ok = probe_name_match(f->names, f->nnames, f->domain)
			    || probe_name_match(f->names, f->nnames,
			    strategy("dot-nexthop", f, buf, sizeof(buf)));
		} else {
			snprintf(matches, sizeof(matches), "hostname");
			ok = probe_name_match(f->names, f->nnames, f->mxhost);
		}
	}
	if (!f->webpki)
		VERDICT(PROBE_DEFER, "%s: certificate not verified by a trusted "
		    "CA", lvl);
	if (!ok)
		VERDICT(PROBE_DEFER, "%s: certificate names match none of %s",
		    lvl, matches);
	VERDICT(PROBE_VERIFIED, "%s: trusted certificate matching %s", lvl,
	    matches);
}

enum probe_verdict
probe_verdict(const char *reply, const struct probe_facts *f, char *why,
    size_t whylen)
{
	char lvl[32];
	const char *attrs;
	size_t ll;

	if (strncmp(reply, "NOTFOUND", 8) == 0)
		VERDICT(PROBE_GLOBAL, "no policy: smtp_tls_security_level applies");
	if (strncmp(reply, "OK ", 3) != 0)
		VERDICT(PROBE_DEFER, "the daemon answers \"%.200s\": Postfix "
		    "defers the mail", reply);
	reply += 3;
	reply += strspn(reply, " \t");
	ll = strcspn(reply, " \t,");
	snprintf(lvl, sizeof(lvl), "%.*s", (int)ll, reply);
	str_lower(lvl);
	attrs = reply + ll;
	if (strcmp(lvl, "none") == 0)
		VERDICT(PROBE_PLAIN, "none: no TLS");
	if (!f->connected)
		VERDICT(PROBE_DEFER, "%s: host not reachable", lvl);
	if (strcmp(lvl, "may") == 0 || strcmp(lvl, "encrypt") == 0)
		return unauthenticated(f, lvl[0] == 'e', lvl, why, whylen);
	if (strcmp(lvl, "dane") == 0 || strcmp(lvl, "dane-only") == 0)
		return dane_verdict(f, lvl[4] == '-', why, whylen);
	if (strcmp(lvl, "verify") == 0 || strcmp(lvl, "secure") == 0)
		return pkix_verdict(lvl, attrs, f, why, whylen);
	if (strcmp(lvl, "fingerprint") == 0)
		VERDICT(PROBE_DEFER, "fingerprint: not checked by the probe "
		    "(counted as a deferral)");
	VERDICT(PROBE_DEFER, "unknown level \"%s\": Postfix defers", lvl);
}
