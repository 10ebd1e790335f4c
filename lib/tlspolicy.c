/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "domain.h"
#include "tlspolicy.h"
#include "util.h"

static const char *const level_names[] = {
	"none", "may", "encrypt", "fingerprint", "dane", "dane-only",
	"verify", "secure"
};

#define NLEVELS (sizeof(level_names) / sizeof(level_names[0]))
#define TOKEN_MAX 2048

const char *
tls_level_name(enum tls_level lvl)
{
	if (lvl < 0 || (size_t)lvl >= NLEVELS)
		return "invalid";
	return level_names[lvl];
}

static enum tls_level
level_lookup(const char *s, size_t n)
{
	for (size_t i = 0; i < NLEVELS; i++)
		if (strlen(level_names[i]) == n && strncasecmp(s, level_names[i], n) == 0)
			return (enum tls_level)i;
	return TLS_LEV_INVALID;
}

static int
is_sep(char c)
{
	return c == ' ' || c == '\t' || c == ',' || c == '\r' || c == '\n';
}

/* Next token of s at *pos: returns its length (0 at the end). */
static size_t
next_token(const char *s, size_t *pos, const char **tok)
{
	size_t i = *pos, start;

	while (s[i] && is_sep(s[i]))
		i++;
	start = i;
	while (s[i] && !is_sep(s[i]))
		i++;
	*tok = s + start;
	*pos = i;
	return i - start;
}

static int
valid_protocols(const char *v)
{
	static const char *const names[] = {
		"SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"
	};
	char buf[TOKEN_MAX];
	char *save = NULL, *p;

	if (*v == '\0' || strlen(v) >= sizeof(buf))
		return 0;
	strcpy(buf, v);
	for (p = strtok_r(buf, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
		int ok = 0;
		if (*p == '!')
			p++;
		else if (strncmp(p, ">=", 2) == 0 || strncmp(p, "<=", 2) == 0)
			p += 2;
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcasecmp(p, names[i]) == 0)
				ok = 1;
		if (!ok)
			return 0;
	}
	return 1;
}

static int
valid_fingerprints(const char *v)
{
	size_t digits = 0;

	for (const char *p = v;; p++) {
		if (*p == '|' || *p == '\0') {
			/* md5 (16 bytes) up to sha512 (64 bytes) */
			if (digits < 32 || digits > 128 || digits % 2)
				return 0;
			digits = 0;
			if (*p == '\0')
				return 1;
		} else if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')
		    || (*p >= 'A' && *p <= 'F')) {
			digits++;
		} else if (*p != ':') {
			return 0;
		}
	}
}

static int
valid_match_names(const char *v)
{
	char buf[TOKEN_MAX];
	char *save = NULL, *p;

	if (*v == '\0' || strlen(v) >= sizeof(buf))
		return 0;
	strcpy(buf, v);
	for (p = strtok_r(buf, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
		if (strcasecmp(p, "nexthop") == 0 || strcasecmp(p, "dot-nexthop") == 0
		    || strcasecmp(p, "hostname") == 0)
			continue;
		if (!domain_valid(*p == '.' ? p + 1 : p))
			return 0;
	}
	return 1;
}

struct seen {
	int ciphers, protocols, exclude, servername, match;
};

static int
check_attr(enum tls_level lvl, char *name, const char *val, struct seen *seen,
    const char **err)
{
	str_lower(name);
	if (strcmp(name, "ciphers") == 0) {
		static const char *const grades[] = {
			"null", "export", "low", "medium", "high"
		};
		int ok = 0;
		if (seen->ciphers++) {
			*err = "duplicate ciphers attribute";
			return -1;
		}
		for (size_t i = 0; i < 5; i++)
			if (strcasecmp(val, grades[i]) == 0)
				ok = 1;
		if (!ok) {
			*err = "ciphers must be null, export, low, medium or high";
			return -1;
		}
	} else if (strcmp(name, "protocols") == 0) {
		if (seen->protocols++) {
			*err = "duplicate protocols attribute";
			return -1;
		}
		if (!valid_protocols(val)) {
			*err = "invalid protocols list (example: protocols=>=TLSv1.2)";
			return -1;
		}
	} else if (strcmp(name, "exclude") == 0) {
		if (seen->exclude++) {
			*err = "duplicate exclude attribute";
			return -1;
		}
		if (*val == '\0') {
			*err = "empty exclude attribute";
			return -1;
		}
	} else if (strcmp(name, "match") == 0) {
		if (lvl != TLS_LEV_FINGERPRINT && lvl != TLS_LEV_VERIFY
		    && lvl != TLS_LEV_SECURE && lvl != TLS_LEV_NONE) {
			*err = "match is allowed only with fingerprint, verify or secure";
			return -1;
		}
		seen->match++;
		if (lvl == TLS_LEV_FINGERPRINT ? !valid_fingerprints(val)
		    : !valid_match_names(val)) {
			*err = lvl == TLS_LEV_FINGERPRINT
			    ? "invalid fingerprint list in match"
			    : "invalid name list in match";
			return -1;
		}
	} else if (strcmp(name, "tafile") == 0) {
		if (lvl != TLS_LEV_VERIFY && lvl != TLS_LEV_SECURE
		    && lvl != TLS_LEV_NONE) {
			*err = "tafile is allowed only with verify or secure";
			return -1;
		}
		if (val[0] != '/') {
			*err = "tafile must be an absolute path";
			return -1;
		}
	} else if (strcmp(name, "servername") == 0) {
		if (seen->servername++) {
			*err = "duplicate servername attribute";
			return -1;
		}
		if (strcasecmp(val, "hostname") != 0 && strcasecmp(val, "nexthop") != 0
		    && !domain_valid(val)) {
			*err = "servername must be hostname, nexthop or a host name";
			return -1;
		}
	} else if (strcmp(name, "connection_reuse") == 0) {
		if (strcasecmp(val, "yes") != 0 && strcasecmp(val, "no") != 0) {
			*err = "connection_reuse must be yes or no";
			return -1;
		}
	} else if (strncmp(name, "policy_", 7) == 0
	    || strcmp(name, "mx_host_pattern") == 0
	    || strcmp(name, "enable_rpk") == 0) {
		*err = "attribute needs a newer Postfix than 3.7";
		return -1;
	} else {
		*err = "unknown attribute";
		return -1;
	}
	return 0;
}

int
tlspolicy_check(const char *value, char *out, size_t outlen, const char **err)
{
	struct seen seen = { 0, 0, 0, 0, 0 };
	char tokbuf[TOKEN_MAX];
	const char *tok;
	size_t pos = 0, n, used = 0;
	enum tls_level lvl;

	n = next_token(value, &pos, &tok);
	if (n == 0) {
		*err = "empty policy";
		return -1;
	}
	if ((lvl = level_lookup(tok, n)) == TLS_LEV_INVALID) {
		*err = (n == 1 && *tok == '{') ? "{ } syntax needs Postfix 3.10"
		    : "unknown security level";
		return -1;
	}
	used = (size_t)snprintf(out, outlen, "%s", level_names[lvl]);
	while ((n = next_token(value, &pos, &tok)) > 0) {
		char *eq;
		if (n >= sizeof(tokbuf)) {
			*err = "attribute too long";
			return -1;
		}
		memcpy(tokbuf, tok, n);
		tokbuf[n] = '\0';
		if ((eq = strchr(tokbuf, '=')) == NULL || eq == tokbuf) {
			*err = (tokbuf[0] == '{') ? "{ } syntax needs Postfix 3.10"
			    : "attribute is not name=value";
			return -1;
		}
		*eq = '\0';
		if (check_attr(lvl, tokbuf, eq + 1, &seen, err) < 0)
			return -1;
		*eq = '=';
		if (used + 1 + n >= outlen) {
			*err = "policy value too long";
			return -1;
		}
		out[used++] = ' ';
		memcpy(out + used, tokbuf, n + 1);
		used += n;
	}
	return 0;
}

enum tls_level
tlspolicy_level(const char *value)
{
	size_t pos = 0, n;
	const char *tok;

	n = next_token(value, &pos, &tok);
	return n ? level_lookup(tok, n) : TLS_LEV_INVALID;
}
