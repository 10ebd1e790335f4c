/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <arpa/inet.h>
#include <idn2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "util.h"

int
domain_valid(const char *name)
{
	size_t total = 0, lablen = 0;
	const char *p;
	char prev = '.';

	if (*name == '\0')
		return 0;
	for (p = name; *p; p++, total++) {
		char c = *p;
		if (c == '.') {
			if (lablen == 0 || prev == '-')
				return 0;
			lablen = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
		    || (c >= 'A' && c <= 'Z')) {
			if (++lablen > 63)
				return 0;
		} else if (c == '-') {
			if (lablen == 0)
				return 0;	/* leading hyphen */
			if (++lablen > 63)
				return 0;
		} else {
			return 0;
		}
		prev = c;
	}
	if (lablen == 0 || prev == '-' || total > DOMAIN_MAX)
		return 0;
	return 1;
}

const char *
domain_parent(const char *name)
{
	const char *dot = strchr(name, '.');
	return (dot && dot[1]) ? dot + 1 : NULL;
}

static int
is_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/*
 * Lower-case ASCII names as they are; convert others with libidn2
 * (UTS #46 non-transitional mapping, NFC input), as Postfix's own
 * midna_domain_to_ascii() does.
 */
int
domain_to_alabel(const char *in, size_t len, char *out, size_t outlen,
    const char **err)
{
	char *tmp, *res = NULL;
	int rc;

	if (len >= outlen && is_ascii(in, len)) {
		*err = "name too long";
		return -1;
	}
	if (is_ascii(in, len)) {
		memcpy(out, in, len);
		out[len] = '\0';
		str_lower(out);
		return 0;
	}
	tmp = xstrndup(in, len);
	rc = idn2_to_ascii_8z(tmp, &res, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	free(tmp);
	if (rc != IDN2_OK) {
		*err = "invalid internationalised domain name";
		return -1;
	}
	if (strlen(res) >= outlen) {
		idn2_free(res);
		*err = "name too long";
		return -1;
	}
	strcpy(out, res);
	idn2_free(res);
	str_lower(out);
	return 0;
}

static int
valid_port(const char *p)
{
	size_t n = strlen(p);

	if (n == 0 || n >= 32)
		return 0;
	if (p[0] >= '0' && p[0] <= '9') {
		long v = parse_long(p, 1, 65535);
		return v >= 1 && p[0] != '0';
	}
	/* A service name, as in /etc/services: letters, digits, '-'. */
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9')
		    || p[i] == '-'))
			return 0;
	return 1;
}

/* Host inside brackets: a domain name, an IPv4 address or ipv6:ADDR. */
static int
bracket_host(char *host, int *ip, const char **err)
{
	unsigned char buf[16];

	if (inet_pton(AF_INET, host, buf) == 1) {
		*ip = 1;
		return 0;
	}
	if (strncmp(host, "ipv6:", 5) == 0) {
		if (inet_pton(AF_INET6, host + 5, buf) == 1) {
			*ip = 1;
			return 0;
		}
		*err = "invalid IPv6 address literal";
		return -1;
	}
	if (!domain_valid(host)) {
		*err = "invalid host name in next-hop";
		return -1;
	}
	return 0;
}

/*
 * The usual key in one pass: a plain ASCII host name ("Example.COM.") or
 * parent probe (".example.com"), checked and lower-cased as it is copied.
 * The general path below cost about 900 instructions a key (a copy, a
 * scan for control bytes, strchr, lower-casing, then domain_valid()).
 * Returns 1 when done, 0 when the key needs the general path: anything
 * else (brackets, a port, non-ASCII, bad bytes, bad syntax), so that the
 * general path alone decides every refusal and its message.
 */
/* Host-name bytes: letters lower-cased, digits, '-' and '.'; else 0. */
static const char ldh_lower[128] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '-', '.', 0,
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 0, 0, 0, 0, 0, 0,
	0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0, 0, 0, 0, 0,
	0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0, 0, 0, 0, 0,
};

static int
key_fast(const char *in, size_t len, struct key *k)
{
	size_t off = 0, n = len, lab = 0, i;
	char c = '.', *out;

	if (n > 0 && in[0] == '.')
		off = 1;
	if (n > off && in[n - 1] == '.')
		n--;
	if (n <= off || n - off > DOMAIN_MAX)
		return 0;
	out = k->name + off;
	for (i = off; i < n; i++) {
		unsigned char b = (unsigned char)in[i];

		c = b < 128 ? ldh_lower[b] : 0;
		if (c >= '0') {			/* letter or digit */
			lab++;
		} else if (c == '-') {
			if (lab++ == 0)
				return 0;	/* leading hyphen */
		} else if (c == '.') {
			/* empty, too long, trailing hyphen */
			if (lab == 0 || lab > 63 || out[-1] == '-')
				return 0;
			lab = 0;
		} else {
			return 0;
		}
		*out++ = c;
	}
	if (lab == 0 || lab > 63 || c == '-')
		return 0;
	*out = '\0';
	k->kind = off ? KEY_PARENT : KEY_DOMAIN;
	k->bracketed = 0;
	k->ip_literal = 0;
	k->port[0] = '\0';
	if (off)
		k->name[0] = '.';
	memcpy(k->host, k->name + off, n - off + 1);
	return 1;
}

int
key_normalise(const char *in, size_t len, struct key *k, const char **err)
{
	if (key_fast(in, len, k))
		return 0;
	return key_normalise_general(in, len, k, err);
}

int
key_normalise_general(const char *in, size_t len, struct key *k,
    const char **err)
{
	char buf[KEY_MAX_INPUT + 1];
	const char *host, *colon, *close;
	size_t hlen;

	memset(k, 0, sizeof(*k));
	if (len == 0) {
		*err = "empty key";
		return -1;
	}
	if (len > KEY_MAX_INPUT) {
		*err = "key too long";
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c <= 0x20 || c == 0x7f) {
			*err = "control character or space in key";
			return -1;
		}
	}
	memcpy(buf, in, len);
	buf[len] = '\0';

	if (buf[0] == '[') {
		close = strchr(buf, ']');
		if (close == NULL || close == buf + 1) {
			*err = "unbalanced or empty brackets";
			return -1;
		}
		host = buf + 1;
		hlen = (size_t)(close - host);
		if (close[1] == ':') {
			if (!valid_port(close + 2)) {
				*err = "invalid port";
				return -1;
			}
			snprintf(k->port, sizeof(k->port), "%s", close + 2);
		} else if (close[1] != '\0') {
			*err = "junk after ']'";
			return -1;
		}
		k->kind = KEY_NEXTHOP;
		k->bracketed = 1;
	} else {
		host = buf;
		hlen = len;
		colon = strchr(buf, ':');
		if (colon != NULL) {
			if (!valid_port(colon + 1)) {
				*err = "invalid port";
				return -1;
			}
			snprintf(k->port, sizeof(k->port), "%s", colon + 1);
			hlen = (size_t)(colon - buf);
			k->kind = KEY_NEXTHOP;
		} else if (buf[0] == '.') {
			host++;
			hlen--;
			k->kind = KEY_PARENT;
		} else {
			k->kind = KEY_DOMAIN;
		}
	}
	if (hlen > 0 && host[hlen - 1] == '.' && !k->bracketed)
		hlen--;
	if (hlen == 0) {
		*err = "empty host name";
		return -1;
	}
	if (domain_to_alabel(host, hlen, k->host, sizeof(k->host), err) < 0)
		return -1;
	if (k->bracketed) {
		if (bracket_host(k->host, &k->ip_literal, err) < 0)
			return -1;
	} else if (!domain_valid(k->host)) {
		*err = "invalid domain name";
		return -1;
	}
	/* The two usual kinds by copy: snprintf cost more than the rest of
	 * the normalisation.  k->name has room for k->host and a dot. */
	switch (k->kind) {
	case KEY_DOMAIN:
		memcpy(k->name, k->host, strlen(k->host) + 1);
		break;
	case KEY_PARENT:
		k->name[0] = '.';
		memcpy(k->name + 1, k->host, strlen(k->host) + 1);
		break;
	case KEY_NEXTHOP:
		snprintf(k->name, sizeof(k->name), "%s%s%s%s%s",
		    k->bracketed ? "[" : "", k->host, k->bracketed ? "]" : "",
		    k->port[0] ? ":" : "", k->port);
		break;
	}
	return 0;
}
