/* SPDX-License-Identifier: MIT */
/*
 * store_redis - "redis:" backend of the policy store: one store for a
 * fleet of relays
 *
 * SYNOPSIS
 *	#include "store_redis.h"
 *
 *	int  store_redis_lock(struct store *s, const char *domain,
 *	         const char *owner, long ms);
 *	int  store_redis_unlock(struct store *s, const char *domain,
 *	         const char *owner);
 *	int  store_redis_flush(struct store *s, const char *domain,
 *	         const char *owner);
 *	int  store_redis_flushes(struct store *s, const char *owner,
 *	         void (*fn)(const char *domain, void *arg), void *arg);
 *	int  store_redis_up(struct store *s);
 *	void store_redis_status(struct store *s, struct store_redis_stat *st);
 *
 * DESCRIPTION
 *	store_open("redis:URL", ...) opens a store (store.h) whose records
 *	live in Redis, through hiredis.  URL is one of
 *
 *	    redis://[:PASSWORD@]HOST:PORT[/DB]
 *	    unix:/PATH[?db=N]
 *
 *	parsed by redis_url_parse() (redis_url.h).
 *
 * KEYS
 *	redis_key() (redis_url.h) maps a store key to its Redis key (and
 *	redis_store_key() back, for walks over every record): a domain
 *	becomes "tlspolicyd:sts:DOMAIN"; a raw key with '/'
 *	separators becomes "tlspolicyd:" with ':' for '/', so the TLSRPT
 *	aggregates ("rpt/DAY/DOMAIN") are "tlspolicyd:rpt:DAY:DOMAIN" (a key
 *	that would not map back is refused: redis_url.h).  The
 *	value is the store's record (store.h ENTRY ENCODING), written with
 *	SET ... EXAT expires_at in one command, so a reader sees the old
 *	record or the new one and nothing lives past its max_age.  A record
 *	without expires_at (rpt) lives STORE_REDIS_TTL_RAW seconds.  Other
 *	keys: "tlspolicyd:lock:DOMAIN" (fetch lock), "tlspolicyd:flush" (a
 *	stream of flushed domains, the last STORE_REDIS_FLUSH_KEEP).
 *
 * FAILURE
 *	Every connect and command is bounded by opt->timeout_ms (default
 *	STORE_REDIS_TIMEOUT_DEF).  When one fails the connection is dropped
 *	and no command is tried for a back-off that doubles from
 *	STORE_REDIS_BACKOFF_MIN to STORE_REDIS_BACKOFF_MAX ms (monotonic
 *	clock): operations then fail at once (-1, logged once per outage),
 *	without touching the network.  store_redis_up() reconnects when the
 *	back-off is over and says whether the server answers (1) or not (0).
 *
 * FLEET OPERATIONS
 *	store_redis_lock() takes the fetch lock of domain for ms
 *	milliseconds (SET NX PX): 1 taken by us, 0 held by another relay,
 *	-1 Redis failed.  store_redis_unlock() releases it if owner still
 *	holds it (one atomic script): 1 released, 0 not ours, -1 failed.
 *	store_redis_flush() deletes domain's record and
 *	appends (domain, owner) to the flush stream, in one MULTI/EXEC: 0
 *	or -1.  store_redis_flushes() calls fn for every domain flushed by
 *	another owner since the previous call; the first call only notes
 *	where the stream is.  It returns the number of stream entries read,
 *	or -1.  owner names the relay (host name and process id).
 *	store_redis_status() fills *st.  All of them take a store opened
 *	with "redis:" (else they fail, or report nothing).
 */
#ifndef TLSPOL_STORE_REDIS_H
#define TLSPOL_STORE_REDIS_H

#include <stddef.h>

#include "redis_url.h"
#include "store.h"

#define STORE_REDIS_TIMEOUT_DEF	200	/* ms, connect and each command */
#define STORE_REDIS_BACKOFF_MIN	500	/* ms */
#define STORE_REDIS_BACKOFF_MAX	8000	/* ms */
#define STORE_REDIS_TTL_RAW	(8 * 86400)	/* s, records without expiry */
#define STORE_REDIS_FLUSH_KEEP	1000	/* flush stream length */

struct store_redis_stat {
	int connected;
	unsigned long errors;		/* failed commands and connects */
	char last_error[128];		/* "" when none */
};


int store_redis_lock(struct store *s, const char *domain, const char *owner,
    long ms);
int store_redis_unlock(struct store *s, const char *domain,
    const char *owner);
int store_redis_flush(struct store *s, const char *domain, const char *owner);
int store_redis_flushes(struct store *s, const char *owner,
    void (*fn)(const char *domain, void *arg), void *arg);
int store_redis_up(struct store *s);
void store_redis_status(struct store *s, struct store_redis_stat *st);

#endif
