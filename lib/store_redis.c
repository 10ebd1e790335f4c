/* SPDX-License-Identifier: MIT */
/*
 * store_redis - "redis:" backend of the policy store, and the fleet's
 * lock and flush stream.  The contract is in store_redis.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "log.h"
#include "redis_url.h"
#include "store_redis.h"
#include "util.h"

#define SCAN_COUNT	"500"		/* keys per SCAN step */
#define SCAN_STEPS_MAX	100000		/* bounds a walk: 50 M keys */

struct rstore {
	struct redis_url url;
	char *name;			/* for log lines, no password */
	struct timeval tv;
	redisContext *c;		/* NULL: not connected */
	long backoff_ms;
	int64_t retry_at_ms;		/* monotonic: no connect before */
	int down_logged;
	unsigned long errors;
	char last_error[128];
	char flush_id[64];		/* last flush stream id seen, "" none */
};

/* Connection */

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Something failed: drop the connection, back off, log once per outage. */
static void
fail(struct rstore *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->last_error, sizeof(r->last_error), fmt, ap);
	va_end(ap);
	r->errors++;
	if (r->c) {
		redisFree(r->c);
		r->c = NULL;
	}
	r->backoff_ms = r->backoff_ms == 0 ? STORE_REDIS_BACKOFF_MIN
	    : r->backoff_ms * 2;
	if (r->backoff_ms > STORE_REDIS_BACKOFF_MAX)
		r->backoff_ms = STORE_REDIS_BACKOFF_MAX;
	r->retry_at_ms = mono_ms() + r->backoff_ms;
	if (!r->down_logged)
		log_err("store %s: %s; answering from memory and the local "
		    "store, retrying with back-off", r->name, r->last_error);
	r->down_logged = 1;
}

/* A reply that is not an error, or NULL after fail(). */
static redisReply *
check_reply(struct rstore *r, redisReply *rep, const char *what)
{
	if (rep == NULL) {
		fail(r, "%s: %s", what, r->c->errstr[0] ? r->c->errstr
		    : "no reply");
		return NULL;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		fail(r, "%s: %.80s", what, rep->str);
		freeReplyObject(rep);
		return NULL;
	}
	return rep;
}

static redisReply *
cmd(struct rstore *r, const char *what, const char *fmt, ...);

static redisContext *
dial(struct rstore *r)
{
	if (r->url.host[0] == '\0')
		return redisConnectUnixWithTimeout(r->url.path, r->tv);
	return redisConnectWithTimeout(r->url.host, r->url.port, r->tv);
}

/* Connected (1) or not (0); connects when the back-off allows. */
static int
connected(struct rstore *r)
{
	redisReply *rep;

	if (r->c)
		return 1;
	if (mono_ms() < r->retry_at_ms)
		return 0;
	r->c = dial(r);
	if (r->c == NULL || r->c->err) {
		fail(r, "connect: %s", r->c ? r->c->errstr : "out of memory");
		return 0;
	}
	if (redisSetTimeout(r->c, r->tv) != REDIS_OK) {
		fail(r, "connect: cannot set the timeout");
		return 0;
	}
	if (r->url.password[0] && (rep = cmd(r, "AUTH", "AUTH %s",
	    r->url.password)) == NULL)
		return 0;
	if (r->url.password[0])
		freeReplyObject(rep);
	if ((rep = cmd(r, "SELECT", "SELECT %d", r->url.db)) == NULL)
		return 0;
	freeReplyObject(rep);
	if (r->down_logged)
		log_notice("store %s: connected again", r->name);
	r->down_logged = 0;
	r->backoff_ms = 0;
	return 1;
}

/* One command on a live connection: its reply or NULL (failed, logged). */
static redisReply *
cmd(struct rstore *r, const char *what, const char *fmt, ...)
{
	va_list ap;
	redisReply *rep;

	va_start(ap, fmt);
	rep = redisvCommand(r->c, fmt, ap);
	va_end(ap);
	return check_reply(r, rep, what);
}

/* Connect if needed; -1 (without a network round) while backing off. */
static int
ready(struct rstore *r)
{
	return connected(r) ? 0 : -1;
}

/* Backend */

static void *
rs_open(const char *arg, const struct store_options *opt, char *err,
    size_t errlen)
{
	struct rstore *r = xcalloc(1, sizeof(*r));
	long ms = opt->timeout_ms > 0 ? opt->timeout_ms : STORE_REDIS_TIMEOUT_DEF;

	if (redis_url_parse(arg, &r->url, err, errlen) < 0) {
		free(r);
		return NULL;
	}
	r->name = xmalloc(strlen(arg) + 16);
	if (r->url.host[0])
		sprintf(r->name, "redis://%s:%d/%d", r->url.host, r->url.port,
		    r->url.db);
	else
		sprintf(r->name, "unix:%s?db=%d", r->url.path, r->url.db);
	r->tv.tv_sec = ms / 1000;
	r->tv.tv_usec = (ms % 1000) * 1000;
	(void)connected(r);	/* down at start is not fatal: back-off */
	return r;
}

static int
rs_get(void *be, const char *key, store_val_fn fn, void *arg)
{
	struct rstore *r = be;
	char k[STORE_REDIS_KEY_MAX];
	redisReply *rep;
	int rc = 0;

	if (redis_key(key, k, sizeof(k)) < 0 || ready(r) < 0
	    || (rep = cmd(r, "GET", "GET %s", k)) == NULL)
		return -1;
	if (rep->type == REDIS_REPLY_STRING) {
		fn(key, rep->str, rep->len, arg);
		rc = 1;
	}
	freeReplyObject(rep);
	return rc;
}

/* Queue SET key val EXAT t (or EX for records without expiry). */
static int
append_set(struct rstore *r, const struct store_kv *kv)
{
	char k[STORE_REDIS_KEY_MAX];
	int64_t t = store_record_expires(kv->val, kv->len);

	if (redis_key(kv->key, k, sizeof(k)) < 0)
		return -1;
	if (t < 0)
		return redisAppendCommand(r->c, "SET %s %b EX %d", k, kv->val,
		    kv->len, STORE_REDIS_TTL_RAW);
	return redisAppendCommand(r->c, "SET %s %b EXAT %lld", k, kv->val,
	    kv->len, (long long)(t > 0 ? t : 1));
}

/* Read n pipelined replies; -1 after the first failure (others dropped). */
static int
drain(struct rstore *r, size_t n, const char *what)
{
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		void *rep = NULL;

		if (r->c == NULL)
			return -1;
		if (redisGetReply(r->c, &rep) != REDIS_OK)
			rep = NULL;
		if (check_reply(r, rep, what) == NULL)
			rc = -1;
		else
			freeReplyObject(rep);
	}
	return rc;
}

/* All or none: MULTI, the SETs, EXEC, pipelined in one round trip. */
static int
rs_putv(void *be, const struct store_kv *kv, size_t n)
{
	struct rstore *r = be;
	size_t i;

	if (ready(r) < 0)
		return -1;
	redisAppendCommand(r->c, "MULTI");
	for (i = 0; i < n; i++)
		if (append_set(r, &kv[i]) < 0)
			break;
	redisAppendCommand(r->c, i == n ? "EXEC" : "DISCARD");
	if (drain(r, i + 2, "SET") < 0)
		return -1;
	return i == n ? 0 : -1;
}

static int
rs_del(void *be, const char *key)
{
	struct rstore *r = be;
	char k[STORE_REDIS_KEY_MAX];
	redisReply *rep;
	int rc;

	if (redis_key(key, k, sizeof(k)) < 0 || ready(r) < 0
	    || (rep = cmd(r, "DEL", "DEL %s", k)) == NULL)
		return -1;
	rc = rep->type == REDIS_REPLY_INTEGER && rep->integer > 0;
	freeReplyObject(rep);
	return rc;
}

static int
is_str(const redisReply *x)
{
	return x != NULL && x->type == REDIS_REPLY_STRING && x->str != NULL;
}

/*
 * One SCAN step's keys, fetched with MGET; fn sees each record under its
 * store key (a domain, or a raw "rpt/..." key).  Keys that hold no
 * record, and replies of another shape (a foreign server), are skipped.
 */
static int
visit_batch(struct rstore *r, redisReply *keys, store_val_fn fn, void *arg,
    int *stop)
{
	char (*skey)[STORE_REDIS_KEY_MAX];
	const char **argv;
	redisReply *vals;
	size_t n = 1;

	if (keys->type != REDIS_REPLY_ARRAY || keys->elements == 0)
		return 0;
	argv = xcalloc(keys->elements + 1, sizeof(*argv));
	skey = xcalloc(keys->elements + 1, sizeof(*skey));
	argv[0] = "MGET";
	for (size_t i = 0; i < keys->elements; i++)
		if (is_str(keys->element[i]) && redis_store_key(
		    keys->element[i]->str, skey[n], sizeof(skey[n])) == 0)
			argv[n++] = keys->element[i]->str;
	vals = n == 1 ? NULL : check_reply(r, redisCommandArgv(r->c, (int)n,
	    argv, NULL), "MGET");
	if (vals && vals->type == REDIS_REPLY_ARRAY)
		for (size_t i = 0; i < vals->elements && i + 1 < n && !*stop;
		    i++)
			if (is_str(vals->element[i]))
				*stop = fn(skey[i + 1], vals->element[i]->str,
				    vals->element[i]->len, arg);
	free(argv);
	free(skey);
	if (vals == NULL)
		return n == 1 ? 0 : -1;
	freeReplyObject(vals);
	return 0;
}

static int
rs_iter(void *be, store_val_fn fn, void *arg)
{
	struct rstore *r = be;
	char cursor[32] = "0";
	int stop = 0;

	if (ready(r) < 0)
		return -1;
	for (long step = 0; step < SCAN_STEPS_MAX; step++) {
		redisReply *rep = cmd(r, "SCAN", "SCAN %s MATCH "
		    STORE_REDIS_PREFIX "* COUNT " SCAN_COUNT, cursor);

		if (rep == NULL)
			return -1;
		if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2
		    || !is_str(rep->element[0])
		    || visit_batch(r, rep->element[1], fn, arg, &stop) < 0) {
			freeReplyObject(rep);
			return -1;
		}
		snprintf(cursor, sizeof(cursor), "%s", rep->element[0]->str);
		freeReplyObject(rep);
		if (stop)
			return 1;
		if (strcmp(cursor, "0") == 0)
			return 0;
	}
	log_err("store %s: walk stopped after %d SCAN steps", r->name,
	    SCAN_STEPS_MAX);
	return -1;
}

struct purge_ctx {
	struct rstore *r;
	store_val_fn drop;
	void *arg;
	long n;
};

static int
purge_one(const char *key, const void *val, size_t len, void *arg)
{
	struct purge_ctx *p = arg;

	if (p->drop(key, val, len, p->arg) == 1 && rs_del(p->r, key) == 1)
		p->n++;
	return 0;
}

/* Redis expires records itself: this only removes corrupt ones. */
static long
rs_purge(void *be, store_val_fn drop, void *arg)
{
	struct purge_ctx p = { be, drop, arg, 0 };

	return rs_iter(be, purge_one, &p) < 0 ? -1 : p.n;
}

static int
count_one(const char *key, const void *val, size_t len, void *arg)
{
	(void)key;
	(void)val;
	(void)len;
	(*(size_t *)arg)++;
	return 0;
}

static int
rs_count(void *be, size_t *n)
{
	*n = 0;
	return rs_iter(be, count_one, n) < 0 ? -1 : 0;
}

static void
rs_close(void *be)
{
	struct rstore *r = be;

	if (r == NULL)
		return;
	if (r->c)
		redisFree(r->c);
	free(r->name);
	free(r);
}

const struct store_ops store_redis_ops = {
	"redis", rs_open, rs_get, rs_putv, rs_del, rs_iter, rs_purge,
	rs_count, rs_close
};

/* Fleet operations */

static int
lock_key(const char *domain, char k[STORE_REDIS_KEY_MAX])
{
	int n = snprintf(k, STORE_REDIS_KEY_MAX, STORE_REDIS_PREFIX "lock:%s",
	    domain);

	return n < 0 || n >= STORE_REDIS_KEY_MAX ? -1 : 0;
}

int
store_redis_lock(struct store *s, const char *domain, const char *owner,
    long ms)
{
	struct rstore *r = store_backend(s, &store_redis_ops);
	char k[STORE_REDIS_KEY_MAX];
	redisReply *rep;
	int rc;

	if (r == NULL || lock_key(domain, k) < 0 || ready(r) < 0
	    || (rep = cmd(r, "SET NX", "SET %s %s NX PX %ld", k, owner,
	    ms)) == NULL)
		return -1;
	rc = rep->type == REDIS_REPLY_STATUS;	/* OK; nil when held */
	freeReplyObject(rep);
	return rc;
}

/* Compare and delete in one step: a lock that expired and was taken by
 * another relay is not ours to release. */
#define UNLOCK_LUA "if redis.call('get', KEYS[1]) == ARGV[1] then " \
	"return redis.call('del', KEYS[1]) end return 0"

int
store_redis_unlock(struct store *s, const char *domain, const char *owner)
{
	struct rstore *r = store_backend(s, &store_redis_ops);
	char k[STORE_REDIS_KEY_MAX];
	redisReply *rep;
	int rc;

	if (r == NULL || lock_key(domain, k) < 0 || ready(r) < 0
	    || (rep = cmd(r, "EVAL", "EVAL %s 1 %s %s", UNLOCK_LUA, k,
	    owner)) == NULL)
		return -1;
	rc = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
	freeReplyObject(rep);
	return rc;
}

int
store_redis_flush(struct store *s, const char *domain, const char *owner)
{
	struct rstore *r = store_backend(s, &store_redis_ops);
	char k[STORE_REDIS_KEY_MAX];

	if (r == NULL || redis_key(domain, k, sizeof(k)) < 0 || ready(r) < 0)
		return -1;
	redisAppendCommand(r->c, "MULTI");
	redisAppendCommand(r->c, "DEL %s", k);
	redisAppendCommand(r->c, "XADD " STORE_REDIS_PREFIX "flush MAXLEN ~ "
	    "%d * domain %s by %s", STORE_REDIS_FLUSH_KEEP, domain, owner);
	redisAppendCommand(r->c, "EXEC");
	return drain(r, 4, "flush");
}

/* The id of the stream's last entry, "0" when empty. */
static int
flush_tail(struct rstore *r)
{
	redisReply *rep = cmd(r, "XREVRANGE", "XREVRANGE " STORE_REDIS_PREFIX
	    "flush + - COUNT 1");

	if (rep == NULL)
		return -1;
	snprintf(r->flush_id, sizeof(r->flush_id), "%s",
	    rep->type == REDIS_REPLY_ARRAY && rep->elements == 1
	    && rep->element[0]->type == REDIS_REPLY_ARRAY
	    && rep->element[0]->elements == 2
	    && is_str(rep->element[0]->element[0])
	    ? rep->element[0]->element[0]->str : "0");
	freeReplyObject(rep);
	return 0;
}

/* A field of a stream entry's [field, value, ...] array, or NULL. */
static const char *
field(const redisReply *f, const char *name)
{
	for (size_t i = 0; f->type == REDIS_REPLY_ARRAY && i + 1 < f->elements;
	    i += 2)
		if (is_str(f->element[i]) && is_str(f->element[i + 1])
		    && strcmp(f->element[i]->str, name) == 0)
			return f->element[i + 1]->str;
	return NULL;
}

/* One stream entry: [id, [field, value, ...]]; fn for another's flush. */
static void
flush_entry(struct rstore *r, const redisReply *e, const char *owner,
    void (*fn)(const char *, void *), void *arg)
{
	const char *dom, *by;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2
	    || !is_str(e->element[0]))
		return;
	snprintf(r->flush_id, sizeof(r->flush_id), "%s", e->element[0]->str);
	dom = field(e->element[1], "domain");
	by = field(e->element[1], "by");
	if (dom && store_domain_check(dom) == 0
	    && (by == NULL || strcmp(by, owner) != 0))
		fn(dom, arg);
}

int
store_redis_flushes(struct store *s, const char *owner,
    void (*fn)(const char *, void *), void *arg)
{
	struct rstore *r = store_backend(s, &store_redis_ops);
	redisReply *rep, *ents;
	int n = 0;

	if (r == NULL || ready(r) < 0)
		return -1;
	if (r->flush_id[0] == '\0')
		return flush_tail(r) < 0 ? -1 : 0;
	rep = cmd(r, "XREAD", "XREAD COUNT %d STREAMS " STORE_REDIS_PREFIX
	    "flush %s", STORE_REDIS_FLUSH_KEEP, r->flush_id);
	if (rep == NULL)
		return -1;
	/* nil: nothing new; else [[stream, [entries]]] */
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 1
	    && rep->element[0]->type == REDIS_REPLY_ARRAY
	    && rep->element[0]->elements == 2) {
		ents = rep->element[0]->element[1];
		for (size_t i = 0; ents->type == REDIS_REPLY_ARRAY
		    && i < ents->elements; i++, n++)
			flush_entry(r, ents->element[i], owner, fn, arg);
	}
	freeReplyObject(rep);
	return n;
}

int
store_redis_up(struct store *s)
{
	struct rstore *r = store_backend(s, &store_redis_ops);
	redisReply *rep;

	if (r == NULL || !connected(r) || (rep = cmd(r, "PING", "PING")) == NULL)
		return 0;
	freeReplyObject(rep);
	return 1;
}

void
store_redis_status(struct store *s, struct store_redis_stat *st)
{
	struct rstore *r = store_backend(s, &store_redis_ops);

	memset(st, 0, sizeof(*st));
	if (r == NULL)
		return;
	st->connected = r->c != NULL;
	st->errors = r->errors;
	snprintf(st->last_error, sizeof(st->last_error), "%s", r->last_error);
}
