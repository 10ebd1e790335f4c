/* SPDX-License-Identifier: MIT */
/*
 * redis_url - the fleet store's URL parser and key layout (pure)
 *
 * SYNOPSIS
 *	#include "redis_url.h"
 *
 *	int redis_url_parse(const char *url, struct redis_url *u,
 *	        char *err, size_t errlen);
 *	int redis_key(const char *key, char *out, size_t outlen);
 *	int redis_store_key(const char *rkey, char *out, size_t outlen);
 *
 * DESCRIPTION
 *	redis_url_parse() parses the redis_url setting,
 *
 *	    redis://[:PASSWORD@]HOST:PORT[/DB]
 *	    unix:/PATH[?db=N]
 *
 *	into *u: 0, or -1 with a reason in err.  HOST is a name, an IPv4
 *	address or a bracketed IPv6 address; PORT 1-65535; DB 0-15 (0 when
 *	absent); PATH absolute and shorter than a sun_path.
 *
 *	redis_key() writes the Redis key of a store key into out: 0, or -1
 *	when it does not fit.  A domain is "tlspolicyd:sts:DOMAIN"; a key
 *	with '/' separators is "tlspolicyd:" with ':' for '/', so the
 *	TLSRPT aggregates' "rpt/DAY/DOMAIN" is "tlspolicyd:rpt:DAY:DOMAIN".
 *	A store key with a ':', or a raw key under "sts/" or "lock/", has
 *	no Redis key (-1), so the mapping goes
 *	back: redis_store_key() gives the store key of a Redis key, or -1
 *	for a key that holds no record (a fetch lock, the flush stream, a
 *	key without the prefix).
 *	store_redis.h lists every key tlspolicyd keeps in Redis.
 */
#ifndef TLSPOL_REDIS_URL_H
#define TLSPOL_REDIS_URL_H

#include <stddef.h>

#define STORE_REDIS_KEY_MAX	300
#define STORE_REDIS_PREFIX	"tlspolicyd:"

struct redis_url {
	char host[256];			/* "" for a unix socket */
	int port;
	char path[108];			/* unix socket (sun_path) */
	char password[256];		/* "" when none */
	int db;
};

int redis_url_parse(const char *url, struct redis_url *u, char *err,
    size_t errlen);
int redis_key(const char *key, char *out, size_t outlen);
int redis_store_key(const char *rkey, char *out, size_t outlen);

#endif
