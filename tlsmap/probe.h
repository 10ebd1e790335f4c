/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	probe - pure parts of "tlsmap probe": SMTP replies, TLSA against a
 *	certificate chain, certificate names against Postfix match
 *	patterns, and what Postfix does with the daemon's answer
 *
 * SYNOPSIS
 *	#include "probe.h"
 *
 *	int probe_smtp_reply(const char *buf, size_t len,
 *	    struct probe_reply *r, char *err, size_t errlen);
 *
 *	int probe_tlsa_usable(const struct probe_tlsa *t);
 *	int probe_tlsa_match(const struct probe_tlsa *t,
 *	    const unsigned char *der, size_t derlen);
 *	enum probe_dane probe_dane_eval(const struct probe_tlsa *recs,
 *	    size_t n, const struct probe_der *chain, size_t nchain,
 *	    size_t *matched_cert);
 *
 *	int probe_name_match(const char *const *names, size_t n,
 *	    const char *pattern);
 *
 *	enum probe_verdict probe_verdict(const char *reply,
 *	    const struct probe_facts *f, char *why, size_t whylen);
 *	const char *probe_verdict_name(enum probe_verdict v);
 *
 * DESCRIPTION
 *	probe_smtp_reply() parses one SMTP reply (RFC 5321 4.2) at the
 *	start of buf: lines "NNN-text" then "NNN text" (or a bare "NNN"),
 *	each ended by CRLF (a bare LF is accepted).  It returns 1 with
 *	r->code, r->used (bytes consumed) and r->starttls (some line after
 *	the first is the EHLO keyword STARTTLS) when the reply is complete,
 *	0 when more bytes are needed, -1 with err for a malformed reply:
 *	no three-digit code, codes differing between lines, a line longer
 *	than PROBE_LINE_MAX or more than PROBE_REPLY_LINES lines.
 *
 *	probe_tlsa_usable() is 1 for a record RFC 7672 lets SMTP use:
 *	usage 2 or 3, selector 0 or 1, matching type 0, 1 (32 bytes) or
 *	2 (64 bytes).  probe_tlsa_match() compares one record with one DER
 *	certificate: 1 match, 0 no match, -1 the certificate does not
 *	parse.  probe_dane_eval() judges an RRset (already known secure and
 *	non-empty) against the presented chain, leaf first:
 *	PROBE_DANE_UNUSABLE when no record is usable, PROBE_DANE_EE when a
 *	usage 3 record matches the leaf, PROBE_DANE_TA when a usage 2
 *	record matches a certificate after the leaf (*matched_cert is its
 *	index: the caller still verifies the chain to it and the name),
 *	else PROBE_DANE_NOMATCH.
 *
 *	probe_name_match() applies a Postfix verify/secure match name to
 *	the DNS names of a certificate (SAN dNSNames, else the CN): a name
 *	starting with "." matches any name below it at any depth, another
 *	name itself or a certificate wildcard "*.rest" whose rest follows
 *	its first label.  Case-insensitive; partial wildcards never match.
 *
 *	probe_verdict() says what Postfix 3.7 smtp(8) does with the
 *	daemon's socketmap reply ("OK level attrs", "NOTFOUND", "TEMP
 *	why", ...) for one MX host whose facts are in *f: deliver verified,
 *	encrypted or in plaintext, or defer, with the reason in why.
 *	NOTFOUND leaves the global smtp_tls_security_level in force, which
 *	the probe does not know: PROBE_GLOBAL.
 */
#ifndef TLSPOL_PROBE_H
#define TLSPOL_PROBE_H

#include <stddef.h>
#include <stdint.h>

#define PROBE_LINE_MAX		2048	/* generous: RFC 5321 says 512 */
#define PROBE_REPLY_LINES	100

struct probe_reply {
	int code;
	int starttls;
	size_t used;
};

struct probe_tlsa {
	uint8_t usage, selector, mtype;
	const unsigned char *data;
	size_t len;
};

struct probe_der {
	const unsigned char *data;
	size_t len;
};

enum probe_dane {
	PROBE_DANE_FAILED,	/* TLSA lookup failed: Postfix skips the host */
	PROBE_DANE_NONE,	/* secure denial, or insecure: no DANE */
	PROBE_DANE_UNUSABLE,	/* records, none usable */
	PROBE_DANE_EE,		/* usage 3 matches the leaf */
	PROBE_DANE_TA,		/* usage 2 matches a chain certificate */
	PROBE_DANE_NOMATCH	/* usable records, none matches */
};

struct probe_facts {
	const char *domain;		/* next-hop domain */
	const char *mxhost;		/* MX host name */
	int mx_secure;			/* MX RRset AD (1 for implicit MX
					   only when the address is secure) */
	int connected;			/* TCP and a 220 banner */
	int starttls;			/* offered in the EHLO reply */
	int tls;			/* handshake completed */
	enum probe_dane dane;		/* after TA chain and name checks */
	int webpki;			/* chain to a trusted CA, in date */
	const char *const *names;	/* certificate DNS names */
	size_t nnames;
};

enum probe_verdict {
	PROBE_VERIFIED,		/* authenticated TLS */
	PROBE_ENCRYPTED,	/* TLS, not authenticated */
	PROBE_PLAIN,		/* delivered without TLS */
	PROBE_GLOBAL,		/* NOTFOUND: Postfix's own level applies */
	PROBE_DEFER		/* mail waits: see why */
};

int probe_smtp_reply(const char *buf, size_t len, struct probe_reply *r,
    char *err, size_t errlen);
int probe_tlsa_usable(const struct probe_tlsa *t);
int probe_tlsa_match(const struct probe_tlsa *t, const unsigned char *der,
    size_t derlen);
enum probe_dane probe_dane_eval(const struct probe_tlsa *recs, size_t n,
    const struct probe_der *chain, size_t nchain, size_t *matched_cert);
int probe_name_match(const char *const *names, size_t n, const char *pattern);
enum probe_verdict probe_verdict(const char *reply,
    const struct probe_facts *f, char *why, size_t whylen);
const char *probe_verdict_name(enum probe_verdict v);
const char *probe_dane_name(enum probe_dane d);

struct config;

/* The command, in probe_cmd.c: exit 0, 1 some host deferred, 2 errors. */
int probe_main(const struct config *cf, int argc, char **argv);

#endif
