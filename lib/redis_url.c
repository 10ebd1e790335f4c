/* SPDX-License-Identifier: MIT */
/*
 * redis_url - the fleet store's URL parser and key layout (pure: no
 * hiredis, no I/O).  The contract is in redis_url.h.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "redis_url.h"

static int
url_fail(char *err, size_t errlen, const char *url, const char *why)
{
	snprintf(err, errlen, "redis URL \"%.64s\": %s", url, why);
	return -1;
}

/* A decimal number in [min, max] spanning exactly [p, end). */
static int
url_num(const char *p, const char *end, long min, long max, int *out)
{
	long v = 0;

	if (p == end || end - p > 6)
		return -1;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

static int
url_unix(const char *url, struct redis_url *u, char *err, size_t errlen)
{
	const char *path = url + 5, *q = strchr(path, '?');
	size_t n = q ? (size_t)(q - path) : strlen(path);

	if (*path != '/')
		return url_fail(err, errlen, url, "the socket path must be absolute");
	if (n >= sizeof(u->path))
		return url_fail(err, errlen, url, "socket path too long");
	memcpy(u->path, path, n);
	u->path[n] = '\0';
	if (q && (strncmp(q, "?db=", 4) != 0
	    || url_num(q + 4, q + strlen(q), 0, 15, &u->db) < 0))
		return url_fail(err, errlen, url, "expected ?db=N, N 0-15");
	return 0;
}

static int
url_auth(const char *url, const char *p, const char *at, struct redis_url *u,
    char *err, size_t errlen)
{
	size_t n;

	if (*p != ':')
		return url_fail(err, errlen, url, "expected :PASSWORD@");
	n = (size_t)(at - p - 1);
	if (n == 0 || n >= sizeof(u->password))
		return url_fail(err, errlen, url, "bad password length");
	memcpy(u->password, p + 1, n);
	u->password[n] = '\0';
	return 0;
}

/* HOST:PORT in [p, end); HOST may be [IPv6]. */
static int
url_hostport(const char *url, const char *p, const char *end,
    struct redis_url *u, char *err, size_t errlen)
{
	const char *colon, *h = p, *he;

	if (*p == '[') {
		if ((he = memchr(p, ']', (size_t)(end - p))) == NULL
		    || he + 1 >= end || he[1] != ':')
			return url_fail(err, errlen, url, "bad [IPv6]:PORT");
		h = p + 1;
		colon = he + 1;
	} else {
		for (colon = end; colon > p && colon[-1] != ':'; colon--)
			;
		if (colon == p)
			return url_fail(err, errlen, url, "expected HOST:PORT");
		he = --colon;
	}
	if (he == h || (size_t)(he - h) >= sizeof(u->host))
		return url_fail(err, errlen, url, "bad host");
	for (const char *q = h; q < he; q++)
		if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')
		    || (*q >= '0' && *q <= '9') || *q == '.' || *q == '-'
		    || (*q == ':' && *p == '[')))
			return url_fail(err, errlen, url, "bad host");
	memcpy(u->host, h, (size_t)(he - h));
	u->host[he - h] = '\0';
	if (url_num(colon + 1, end, 1, 65535, &u->port) < 0)
		return url_fail(err, errlen, url, "PORT must be 1-65535");
	return 0;
}

int
redis_url_parse(const char *url, struct redis_url *u, char *err,
    size_t errlen)
{
	const char *p, *at, *slash, *end;

	memset(u, 0, sizeof(*u));
	if (strncmp(url, "unix:", 5) == 0)
		return url_unix(url, u, err, errlen);
	if (strncmp(url, "redis://", 8) != 0)
		return url_fail(err, errlen, url,
		    "expected redis://[:PASSWORD@]HOST:PORT[/DB] or unix:/PATH");
	p = url + 8;
	slash = strchr(p, '/');
	end = slash ? slash : p + strlen(p);
	if ((at = memchr(p, '@', (size_t)(end - p))) != NULL) {
		if (url_auth(url, p, at, u, err, errlen) < 0)
			return -1;
		p = at + 1;
	}
	if (url_hostport(url, p, end, u, err, errlen) < 0)
		return -1;
	if (slash && url_num(slash + 1, slash + strlen(slash), 0, 15,
	    &u->db) < 0)
		return url_fail(err, errlen, url, "DB must be 0-15");
	return 0;
}

int
redis_key(const char *key, char *out, size_t outlen)
{
	int n;

	if (strchr(key, ':') != NULL || strncmp(key, "sts/", 4) == 0
	    || strncmp(key, "lock/", 5) == 0)
		return -1;	/* one way back, no clash with domains, locks */
	if (strchr(key, '/') == NULL)
		n = snprintf(out, outlen, STORE_REDIS_PREFIX "sts:%s", key);
	else
		n = snprintf(out, outlen, STORE_REDIS_PREFIX "%s", key);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	for (char *p = out + sizeof(STORE_REDIS_PREFIX) - 1; *p; p++)
		if (*p == '/')
			*p = ':';
	return 0;
}


int
redis_store_key(const char *rkey, char *out, size_t outlen)
{
	const size_t plen = sizeof(STORE_REDIS_PREFIX) - 1;
	const char *rest = rkey + plen;
	int n;

	if (strncmp(rkey, STORE_REDIS_PREFIX, plen) != 0
	    || strncmp(rest, "lock:", 5) == 0 || strchr(rest, ':') == NULL)
		return -1;	/* not ours, a fetch lock, the flush stream */
	if (strncmp(rest, "sts:", 4) == 0) {
		n = snprintf(out, outlen, "%s", rest + 4);
		return n > 0 && (size_t)n < outlen && strchr(out, ':') == NULL
		    ? 0 : -1;
	}
	n = snprintf(out, outlen, "%s", rest);
	if (n <= 0 || (size_t)n >= outlen)
		return -1;
	for (char *p = out; *p; p++)
		if (*p == ':')
			*p = '/';
	return 0;
}
