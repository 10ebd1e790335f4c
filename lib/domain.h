/* SPDX-License-Identifier: MIT */
/*
 * domain - normalise socketmap keys (next-hop destinations)
 *
 * SYNOPSIS
 *	int key_normalise(const char *in, size_t len, struct key *k,
 *	    const char **err);
 *	int key_normalise_general(const char *in, size_t len, struct key *k,
 *	    const char **err);
 *	int domain_valid(const char *name);
 *	const char *domain_parent(const char *name);
 *
 * DESCRIPTION
 *	Postfix sends the next-hop verbatim (postfix-socketmap digest, 7).
 *	key_normalise() classifies and normalises it:
 *
 *	KEY_DOMAIN	"Example.COM." -> "example.com"
 *	KEY_PARENT	".example.com" (Postfix's parent-domain probe)
 *	KEY_NEXTHOP	"[mail.example.net]", "[mail.example.net]:587",
 *			"[192.0.2.1]", "[ipv6:2001:db8::1]:25",
 *			"example.com:2525"
 *
 *	Host names are lower-cased, one trailing dot is dropped, and UTF-8
 *	labels are converted to A-labels (IDNA2008 with UTS #46 mapping,
 *	libidn2).  k->name is the normalised key as used in the override
 *	table; k->host the bare host or domain (no dot, brackets or port);
 *	k->port the port or service ("" when none).  Returns 0, or -1 with
 *	*err set to a static message when the key is empty, longer than
 *	KEY_MAX_INPUT bytes, has control bytes or spaces, bad UTF-8, or is
 *	not a valid host name, IP literal or port.
 *
 *	key_normalise_general() is the same without the one-pass fast path
 *	for plain ASCII host names and parent probes: every input gives the
 *	same result, fields and message from both (the unit test holds them
 *	to it).  For tests; callers use key_normalise().  On success only
 *	the fields above are set (the bytes after each string's NUL are
 *	undefined).
 *
 *	domain_valid() checks LDH host-name syntax of an A-label name
 *	(1 to 63 bytes a label, 253 in all, no leading or trailing hyphen,
 *	no underscore: next-hops are host names, not DNS owner names).
 *
 *	domain_parent() returns the name after the first dot, or NULL.
 */
#ifndef TLSPOL_DOMAIN_H
#define TLSPOL_DOMAIN_H

#include <stddef.h>

#define KEY_MAX_INPUT	1024
#define DOMAIN_MAX	253

enum key_kind {
	KEY_DOMAIN,
	KEY_PARENT,
	KEY_NEXTHOP
};

struct key {
	enum key_kind kind;
	int bracketed;			/* [host] form: no MX lookup */
	int ip_literal;			/* host is an IPv4/IPv6 address */
	char name[DOMAIN_MAX + 80];	/* normalised key */
	char host[DOMAIN_MAX + 1];	/* host or domain alone */
	char port[32];			/* port or service, "" if none */
};

int key_normalise(const char *in, size_t len, struct key *k, const char **err);
int key_normalise_general(const char *in, size_t len, struct key *k,
    const char **err);
int domain_valid(const char *name);
const char *domain_parent(const char *name);
int domain_to_alabel(const char *in, size_t len, char *out, size_t outlen,
    const char **err);

#endif
