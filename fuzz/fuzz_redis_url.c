/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the fleet store's URL parser and key layout (lib/redis_url.c).
 * Invariants: a refused URL has a reason; an accepted one is a socket
 * path or a host with a port in 1-65535, its database 0-15, and written
 * back in canonical form it parses to the same fields; a Redis key fits
 * its buffer, keeps the prefix, has no '/' and maps back to its store key.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "redis_url.h"

static void
check_round_trip(const struct redis_url *u)
{
	char url[1024], err[256];
	struct redis_url v;

	if (u->host[0] == '\0')
		snprintf(url, sizeof(url), "unix:%s?db=%d", u->path, u->db);
	else
		snprintf(url, sizeof(url), "redis://%s%s%s%s%s:%d/%d",
		    u->password[0] ? ":" : "", u->password,
		    u->password[0] ? "@" : "", strchr(u->host, ':') ? "[" : "",
		    u->host, u->port, u->db);
	if (u->host[0] && strchr(u->host, ':')) {	/* close the bracket */
		char *colon = strrchr(url, ':');
		memmove(colon + 1, colon, strlen(colon) + 1);
		*colon = ']';
	}
	FUZZ_CHECK(redis_url_parse(url, &v, err, sizeof(err)) == 0);
	FUZZ_CHECK(strcmp(u->host, v.host) == 0 && strcmp(u->path, v.path) == 0);
	FUZZ_CHECK(strcmp(u->password, v.password) == 0);
	FUZZ_CHECK(u->port == v.port && u->db == v.db);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_str(data, size);
	char err[256] = "", key[STORE_REDIS_KEY_MAX];
	struct redis_url u;

	if (redis_url_parse(in, &u, err, sizeof(err)) < 0) {
		FUZZ_CHECK(err[0] != '\0');
	} else {
		FUZZ_CHECK((u.host[0] != '\0') != (u.path[0] != '\0'));
		FUZZ_CHECK(u.path[0] == '\0' || u.path[0] == '/');
		FUZZ_CHECK(u.host[0] == '\0' || (u.port >= 1 && u.port <= 65535));
		FUZZ_CHECK(u.db >= 0 && u.db <= 15);
		check_round_trip(&u);
	}
	if (redis_key(in, key, sizeof(key)) == 0) {
		char back[STORE_REDIS_KEY_MAX];

		FUZZ_CHECK(strncmp(key, STORE_REDIS_PREFIX,
		    sizeof(STORE_REDIS_PREFIX) - 1) == 0);
		FUZZ_CHECK(strchr(key, '/') == NULL);
		/* One way back, for every non-empty key. */
		if (*in)
			FUZZ_CHECK(redis_store_key(key, back, sizeof(back)) == 0
			    && strcmp(back, in) == 0);
	}
	free(in);
	return 0;
}
