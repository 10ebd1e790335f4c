/* SPDX-License-Identifier: MIT */
/*
 * store - persistent MTA-STS policy store (LMDB, memory; Redis later)
 *
 * SYNOPSIS
 *	#include "store.h"
 *
 *	struct store *store_open(const char *spec,
 *	    const struct store_options *opt, char *err, size_t errlen);
 *	int    store_get(struct store *s, const char *domain,
 *	           struct store_entry *out);
 *	int    store_put(struct store *s, const struct store_entry *e);
 *	long   store_put_many(struct store *s, const struct store_entry *e,
 *	           size_t n);
 *	int    store_del(struct store *s, const char *domain);
 *	int    store_iter(struct store *s,
 *	           int (*fn)(const struct store_entry *e, void *arg), void *arg);
 *	size_t store_count(struct store *s);
 *	long   store_purge_expired(struct store *s, int64_t now);
 *	const char *store_name(const struct store *s);
 *	void   store_close(struct store *s);
 *
 *	void   store_entry_clear(struct store_entry *e);
 *	void   store_entry_free(struct store_entry *e);
 *	int    store_entry_check(const struct store_entry *e,
 *	           char *err, size_t errlen);
 *	unsigned char *store_entry_encode(const struct store_entry *e,
 *	           size_t *lenp, char *err, size_t errlen);
 *	int    store_entry_decode(const char *domain, const void *buf,
 *	           size_t len, struct store_entry *out, char *err,
 *	           size_t errlen);
 *
 * DESCRIPTION
 *	The store keeps one entry per MTA-STS Policy Domain (mta-sts
 *	digest, section 7): the policy id, the validated policy as JSON
 *	text (produced by sts_policy, opaque here and stored verbatim),
 *	when it was fetched and when it expires, the last error seen for
 *	the domain and when, and when the entry was last used (so that
 *	refresh can favour domains in use).  Its purpose is to never lose
 *	a valid policy: a put returns success only once the entry is
 *	durable.
 *
 *	The store never reads the clock.  Every time is unix seconds given
 *	by the caller; store_get() returns expired entries like any other
 *	(the caller decides, with its own "now", and may store_del() them
 *	or leave them to store_purge_expired()).
 *
 *	store_open() opens the store named by spec:
 *
 *	lmdb:PATH	an LMDB environment.  When PATH is an existing
 *			directory the environment lives inside it
 *			(data.mdb, lock.mdb); otherwise PATH is the data
 *			file itself and PATH-lock its lock file (created
 *			mode 0600).  A relative PATH starts at the
			current directory: tlspolicyd opens sts.lmdb from
			inside its state directory, after dropping root.
			The files are not inherited across exec.
 *	memory:		a private in-memory table, empty at each open (for
 *			tests).
 *	redis:URL	a Redis server shared by a fleet of relays
 *			(store_redis.h): URL is redis://[:PASSWORD@]HOST:PORT[/DB]
 *			or unix:/PATH[?db=N].  Records expire in Redis at
 *			their expires_at; opt->timeout_ms bounds every
 *			connect and command.
 *
 *	opt may be NULL for the defaults.  opt->readonly opens for lookups
 *	only (tlsmap); the LMDB environment must then exist already, and
 *	store_put(), store_del() and store_purge_expired() fail.
 *	opt->map_size is the initial LMDB map size (default
 *	STORE_MAP_SIZE_DEF); when a write finds the map full the store
 *	doubles it, up to opt->map_max (default STORE_MAP_MAX_DEF), and
 *	otherwise fails that write with a log line naming the limit.
 *	Opening reads no entries: start-up time does not depend on the
 *	number of stored policies.  On failure store_open() returns NULL
 *	with a message in err (nothing is logged).
 *
 *	store_get() looks up domain.  It returns 1 and fills *out, 0 when
 *	there is no usable entry, -1 on failure.  A stored record that
 *	does not decode (corruption, foreign writer, unknown format
 *	version) is logged and reported as 0.  *out is always left in a
 *	state that store_entry_clear() accepts; on 1, out->policy is a
 *	heap string owned by the caller.
 *
 *	store_put() adds or replaces the entry for e->domain.  It returns
 *	0 only after the write is durable (LMDB: the transaction is
 *	committed and synced), else -1.  The entry is copied; e stays the
 *	caller's.  Control characters in e->last_error are stored as '?'.
 *
 *	store_put_many() writes the n entries e[0] .. e[n - 1] in one
 *	durable write (LMDB: one transaction, one sync), in order, so a
 *	later entry for the same domain replaces an earlier one.  An entry
 *	that store_put() would refuse is logged and left out; the others
 *	are written.  It returns how many entries were written, or -1 when
 *	the write failed (then none was).  It is how a writer that
 *	collects entries for a moment pays one sync for all of them.
 *
 *	store_del() returns 1 when an entry was deleted (durably), 0 when
 *	there was none, -1 on failure.
 *
 *	store_iter() calls fn for every entry that decodes (others are
 *	logged and skipped), in no particular order.  fn returns 0 to go
 *	on or non-zero to stop.  The entry passed to fn, its policy text
 *	included, is valid only during the call.  fn may call store_get()
 *	but must not modify the store (collect the domains and act after
 *	the walk; LMDB keeps one read snapshot for the walk).  store_iter()
 *	returns 0 when all entries were visited, 1 when fn stopped it, -1
 *	on failure.
 *
 *	store_count() returns the number of stored records (undecodable
 *	ones included), 0 on failure (logged).
 *
 *	store_purge_expired() deletes, in one durable write, every entry
 *	with expires_at <= now, and every record that fails its integrity
 *	check.  Records of an unknown (newer) format version are kept.  It
 *	returns the number of records deleted, or -1.
 *
 *	store_close() closes the store (NULL is allowed).
 *
 *	A store is used by one thread at a time and never across fork():
 *	a child process opens its own.  One process writes (tlspolicyd);
 *	any number may read at the same time (LMDB readers need write
 *	access to the lock file, PATH-lock or PATH/lock.mdb).
 *
 *	Domains must be normalised: a lower-case A-label host name without
 *	trailing dot, at most STORE_DOMAIN_MAX bytes (domain_valid()).
 *	Policy ids are 1 to STORE_ID_MAX letters and digits (RFC 8461).
 *	Any other domain or an invalid entry makes get, put and del fail
 *	(-1, logged): it is the caller's bug, not a missing entry.
 *
 * ENTRY ENCODING
 *	store_entry_encode() and store_entry_decode() are the pure codec
 *	shared by all backends (callable from a fuzzer).  A record is
 *	binary, integers big-endian:
 *
 *	    "TS" (magic), u8 version (1), u8 flags (0),
 *	    i64 fetched_at, i64 expires_at, i64 last_error_at, i64 last_used,
 *	    u8 idlen, id, u16 errlen, last_error, u32 policylen, policy,
 *	    u32 CRC-32 of (domain, NUL, all preceding record bytes).
 *
 *	The CRC covers the key, so a record moved under another domain
 *	fails too.  The magic tells a record of another version, kept
 *	for the software that wrote it, from garbage.  store_entry_encode() validates the entry first and
 *	returns a heap buffer (caller frees) or NULL with a reason in err.
 *	store_entry_decode() returns STORE_DEC_OK (0), STORE_DEC_CORRUPT or
 *	STORE_DEC_VERSION (negative) with a reason in err; it checks every
 *	length, the CRC, and the entry rules above, and on failure leaves
 *	*out cleared.
 *
 * BACKENDS
 *	A backend is a map from domain to record bytes behind struct
 *	store_ops; it never interprets the record (encoding, validation
 *	and logging of corrupt records are store.c's).  Each operation
 *	returns -1 after logging its own failure.  get and iter hand the
 *	bytes to a callback, valid only during the call, so a backend can
 *	avoid copies (LMDB maps them; a Redis reply buffer would do too).
 *	putv writes records in order and returns 0 only when all of them
 *	are durable, else -1 with none written.  purge calls
 *	drop for every record and deletes those for which it returns 1, in
 *	one atomic write where the backend can.
 *
 *	store_record_expires() reads expires_at from an encoded record
 *	without checking the rest (a backend with native expiry calls it
 *	on what store.c encoded): -1 when rec is not a policy record of
 *	this version.  store_backend() returns s's backend state when s
 *	was opened with ops, else NULL (for a backend's own extra API).
 *
 * DIAGNOSTICS
 *	store_get/put/del/iter/count/purge log their failures themselves
 *	(log_err for I/O or database trouble, log_warn for a corrupt
 *	record or a refused entry), naming the store and the domain;
 *	callers need not log them again.
 */
#ifndef TLSPOL_STORE_H
#define TLSPOL_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store_ops;

#define STORE_DOMAIN_MAX	253
#define STORE_ID_MAX		32
#define STORE_ERROR_MAX		255
#define STORE_POLICY_MAX	(256 * 1024)	/* JSON text; RFC 8461 bodies are <= 64 KiB */
#define STORE_TIME_MAX		INT64_C(253402300799)	/* 9999-12-31 */

#define STORE_MAP_SIZE_DEF	((uint64_t)1 << 30)	/* 1 GiB */
#define STORE_MAP_MAX_DEF	((uint64_t)1 << 34)	/* 16 GiB */

struct store_entry {
	char domain[STORE_DOMAIN_MAX + 1];
	char id[STORE_ID_MAX + 1];
	char *policy;			/* JSON text, heap, NUL-terminated */
	int64_t fetched_at;
	int64_t expires_at;
	char last_error[STORE_ERROR_MAX + 1];	/* "" when none */
	int64_t last_error_at;		/* 0 when none */
	int64_t last_used;		/* 0 when never */
};

struct store_options {
	int readonly;
	uint64_t map_size;		/* 0: STORE_MAP_SIZE_DEF */
	uint64_t map_max;		/* 0: STORE_MAP_MAX_DEF */
	long timeout_ms;		/* redis: 0: STORE_REDIS_TIMEOUT_DEF */
};

enum {
	STORE_DEC_OK = 0,
	STORE_DEC_CORRUPT = -1,
	STORE_DEC_VERSION = -2
};

struct store;

struct store *store_open(const char *spec, const struct store_options *opt,
    char *err, size_t errlen);
int store_get(struct store *s, const char *domain, struct store_entry *out);
int store_put(struct store *s, const struct store_entry *e);
long store_put_many(struct store *s, const struct store_entry *e, size_t n);
int store_del(struct store *s, const char *domain);
int store_iter(struct store *s,
    int (*fn)(const struct store_entry *e, void *arg), void *arg);
size_t store_count(struct store *s);
long store_purge_expired(struct store *s, int64_t now);
const char *store_name(const struct store *s);
void store_close(struct store *s);

void store_entry_clear(struct store_entry *e);
void store_entry_free(struct store_entry *e);
int store_entry_check(const struct store_entry *e, char *err, size_t errlen);
unsigned char *store_entry_encode(const struct store_entry *e, size_t *lenp,
    char *err, size_t errlen);
int store_entry_decode(const char *domain, const void *buf, size_t len,
    struct store_entry *out, char *err, size_t errlen);
int store_domain_check(const char *domain);
int64_t store_record_expires(const void *rec, size_t len);
void *store_backend(struct store *s, const struct store_ops *ops);

/* Backend interface: for store_*.c only. */

typedef int (*store_val_fn)(const char *key, const void *val, size_t len,
    void *arg);

struct store_kv {
	const char *key;
	const void *val;
	size_t len;
};

struct store_ops {
	const char *name;
	void *(*open)(const char *arg, const struct store_options *opt,
	    char *err, size_t errlen);
	/* 1 found (fn called, its result ignored), 0 not found, -1 failed. */
	int (*get)(void *be, const char *key, store_val_fn fn, void *arg);
	/* All n in order, in one durable write: 0, or -1 (none written). */
	int (*putv)(void *be, const struct store_kv *kv, size_t n);
	/* 1 deleted, 0 none, -1 failed. */
	int (*del)(void *be, const char *key);
	/* fn non-zero stops: returns 1; 0 when all seen; -1 failed. */
	int (*iter)(void *be, store_val_fn fn, void *arg);
	/* Deletes records for which drop returns 1; returns count or -1. */
	long (*purge)(void *be, store_val_fn drop, void *arg);
	/* 0 and *n, or -1. */
	int (*count)(void *be, size_t *n);
	void (*close)(void *be);
};

/*
 * store_open() with a given backend: arg is what follows "type:" in a
 * spec.  For tests that wrap a backend (e.g. to make it fail).
 */
struct store *store_open_ops(const struct store_ops *ops, const char *arg,
    const struct store_options *opt, char *err, size_t errlen);

extern const struct store_ops store_lmdb_ops;
extern const struct store_ops store_mem_ops;
extern const struct store_ops store_redis_ops;

/*
 * RAW RECORDS
 *	int store_rec_key_check(const char *key);
 *	int store_rec_get(struct store *s, const char *key, void **valp,
 *	    size_t *lenp);
 *	int store_rec_put(struct store *s, const char *key, const void *val,
 *	    size_t len);
 *	int store_rec_putv(struct store *s, const struct store_kv *kv,
 *	    size_t n);
 *	int store_rec_del(struct store *s, const char *key);
 *	int store_rec_iter_prefix(struct store *s, const char *prefix,
 *	    store_val_fn fn, void *arg);
 *
 *	Records that are not MTA-STS entries (TLSRPT aggregates
 *	"rpt/DAY/DOMAIN", delivery states "rptsent/DAY/DOMAIN") share the
 *	store under keys that contain a "/", which no domain does: a raw
 *	key is 1 to STORE_REC_KEY_MAX printable ASCII bytes (0x21-0x7e)
 *	with at least one "/".  Their values are opaque bytes (at most
 *	STORE_REC_VAL_MAX), encoded and checked by their owners.
 *	store_iter(), store_count() and store_purge_expired() never see
 *	them; the store_rec_* functions see nothing else.
 *
 *	store_rec_key_check() is 0 for a raw key, else -1.
 *	store_rec_get() returns 1 with a heap copy in *valp (caller frees;
 *	one NUL byte follows the value) and its length in *lenp, 0 when
 *	there is none, -1 on failure.  store_rec_putv() writes n records
 *	in order in one durable write (0), or none (-1);
 *	store_rec_put() is one of them.  store_rec_del() returns 1
 *	(deleted), 0 (none) or -1.  store_rec_iter_prefix() calls fn for
 *	every raw record whose key starts with prefix (valid during the
 *	call; fn must not modify the store), in no particular order: a
 *	walk of all records, filtered, since the backend interface has no
 *	range scan.  It returns 0 when all were visited, 1 when fn
 *	returned non-zero, -1 on failure.  A bad key, a read-only store
 *	or a value too long fail with -1 and a log line, as for entries.
 */
#define STORE_REC_KEY_MAX	300
#define STORE_REC_VAL_MAX	(64 * 1024 * 1024)

int store_rec_key_check(const char *key);
int store_rec_get(struct store *s, const char *key, void **valp,
    size_t *lenp);
int store_rec_put(struct store *s, const char *key, const void *val,
    size_t len);
int store_rec_putv(struct store *s, const struct store_kv *kv, size_t n);
int store_rec_del(struct store *s, const char *key);
int store_rec_iter_prefix(struct store *s, const char *prefix,
    store_val_fn fn, void *arg);

#endif
