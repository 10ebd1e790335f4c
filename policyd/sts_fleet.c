/* SPDX-License-Identifier: MIT */
/*
 * sts_fleet.c - the MTA-STS module's side of a fleet of relays sharing
 * one Redis store (policy_store = redis): reads that prefer the fleet's
 * copy, the per-domain fetch lock, the backlog of writes Redis missed,
 * and flushes from other relays.  See sts.h (FLEET) and store_redis.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "htable.h"
#include "log.h"
#include "store_redis.h"
#include "sts_int.h"
#include "util.h"

/* Redis could not take domain's entry: write it when Redis is back. */
static void
backlog_add(struct sts *s, const char *domain)
{
	if (htable_get(s->backlog, domain) != NULL)
		return;
	if (htable_count(s->backlog) >= STS_FLEET_BACKLOG_MAX) {
		log_warn("domain=%s MTA-STS policy not queued for the fleet "
		    "store: backlog full (%d)", domain, STS_FLEET_BACKLOG_MAX);
		return;
	}
	char *key = xstrdup(domain);	/* the value is its own key */

	htable_put(s->backlog, key, key);
}

static void
backlog_del(struct sts *s, const char *domain)
{
	free(htable_del(s->backlog, domain));
}

void
fleet_put(struct sts *s, const struct store_entry *e)
{
	if (store_put(s->fleet, e) == 0)
		backlog_del(s, e->domain);
	else
		backlog_add(s, e->domain);
}

/*
 * A copy of *e for the local store, unless it holds that entry already:
 * 1 copied, 0 not needed.
 */
static int
copy_local(struct sts *s, const struct store_entry *e)
{
	struct store_entry local, c;

	if (store_wb_get(s->wb, e->domain, &local) == 1
	    && local.fetched_at >= e->fetched_at) {
		store_entry_clear(&local);
		return 0;
	}
	store_entry_clear(&local);
	c = *e;
	c.policy = xstrdup(e->policy);
	sts_store_put(s, &c);
	free(c.policy);
	return 1;
}

/*
 * The fleet's entry, copied to the local store; else the local one,
 * which goes back to Redis when Redis answered but had lost it.
 */
int
fleet_load(struct sts *s, const char *domain, struct store_entry *e)
{
	int rc = store_get(s->fleet, domain, e);

	if (rc == 1) {
		if (copy_local(s, e))
			log_info("domain=%s MTA-STS policy id=%s read from the "
			    "fleet store", domain, e->id);
		return 1;
	}
	store_entry_clear(e);
	if ((rc = store_wb_get(s->wb, domain, e)) == 1 && !htable_get(s->backlog,
	    domain) && e->expires_at > sts_now(s))
		fleet_put(s, e);
	return rc;
}

/* 1 when d adopted an entry another relay stored for id (newer than its). */
static int
try_adopt(struct sdom *d, const char *id)
{
	struct sts *s = d->s;
	struct store_entry e;
	int adopted = 0;

	if (store_get(s->fleet, d->domain, &e) == 1 && strcmp(e.id, id) == 0
	    && e.expires_at > sts_now(s)
	    && (d->id[0] == '\0' || e.fetched_at > d->fetched_at)
	    && sdom_adopt(d, &e) == 0) {
		s->fst.adopted++;
		copy_local(s, &e);
		adopted = 1;
	}
	store_entry_clear(&e);
	return adopted;
}

static void
wait_timer_fn(struct loop *l, void *arg)
{
	struct sdom *d = arg;
	char id[STS_ID_MAX + 1];

	(void)l;
	d->fleet_timer = NULL;
	snprintf(id, sizeof(id), "%s", d->fetching_for);
	d->fetch_id = 0;
	if (try_adopt(d, id))
		return;
	if (++d->fleet_tries < STS_FLEET_TRIES) {
		d->fetch_id = STS_FLEET_WAIT;
		d->fleet_timer = loop_timer(d->s->loop, STS_FLEET_RECHECK_MS,
		    wait_timer_fn, d);
		return;
	}
	log_warn("domain=%s MTA-STS policy not in the fleet store after %d ms "
	    "of another relay's fetch lock; fetching it here", d->domain,
	    STS_FLEET_LOCK_MS);
	sdom_start_fetch(d, id, 1);	/* fleet_tries says: no more waiting */
}

int
fleet_before_fetch(struct sdom *d, const char *id)
{
	struct sts *s = d->s;

	if (d->fleet_tries >= STS_FLEET_TRIES) {
		d->fleet_tries = 0;
		return 0;
	}
	if (try_adopt(d, id))
		return 1;
	switch (store_redis_lock(s->fleet, d->domain, s->owner,
	    STS_FLEET_LOCK_MS)) {
	case 1:
		/* Read again: the holder before us may have stored it between
		 * our read and our lock. */
		if (!try_adopt(d, id))
			return 0;
		fleet_fetched(d);
		return 1;
	case -1:
		return 0;	/* Redis down: fetch here */
	}
	log_info("domain=%s MTA-STS policy being fetched by another relay; "
	    "waiting for it in the fleet store", d->domain);
	s->fst.lock_waits++;
	snprintf(d->fetching_for, sizeof(d->fetching_for), "%s", id);
	d->fetch_id = STS_FLEET_WAIT;
	d->fleet_tries = 0;
	d->fleet_timer = loop_timer(s->loop, STS_FLEET_RECHECK_MS, wait_timer_fn,
	    d);
	return 1;
}

void
fleet_fetched(struct sdom *d)
{
	store_redis_unlock(d->s->fleet, d->domain, d->s->owner);
}

void
fleet_cancel(struct sdom *d)
{
	loop_timer_cancel(d->s->loop, d->fleet_timer);
	d->fleet_timer = NULL;
}

void
fleet_flush(struct sts *s, const char *domain)
{
	if (store_redis_flush(s->fleet, domain, s->owner) < 0)
		log_warn("domain=%s MTA-STS flush not passed to the other "
		    "relays: fleet store unavailable", domain);
	backlog_del(s, domain);
}

static void
remote_flush(const char *domain, void *arg)
{
	struct sts *s = arg;
	struct sdom *d = sdom_get(s, domain, 0);

	s->fst.fleet_flushes++;
	log_notice("domain=%s MTA-STS flushed by another relay%s", domain,
	    d ? "; fetching again" : "");
	if (d)
		sdom_flush(d);
}

struct drain_ctx {
	const char *keys[STS_FLEET_DRAIN];
	size_t n;
};

static void
collect(const char *key, void *value, void *arg)
{
	struct drain_ctx *c = arg;

	(void)value;
	if (c->n < STS_FLEET_DRAIN)
		c->keys[c->n++] = key;
}

/* Write out (part of) the backlog; stop at the first failure. */
static void
drain_backlog(struct sts *s)
{
	struct drain_ctx c = { .n = 0 };
	size_t done = 0;

	htable_walk(s->backlog, collect, &c);
	for (size_t i = 0; i < c.n; i++) {
		struct store_entry e;
		const char *key = c.keys[i];
		int rc = store_wb_get(s->wb, key, &e);

		if (rc == 1 && store_put(s->fleet, &e) < 0) {
			store_entry_clear(&e);
			break;
		}
		store_entry_clear(&e);
		if (rc < 0)
			break;
		backlog_del(s, key);
		done++;
	}
	if (done)
		log_notice("MTA-STS: %zu polic%s written to the fleet store "
		    "after it returned, %zu waiting", done, done == 1 ? "y"
		    : "ies", htable_count(s->backlog));
}

static void
tick_fn(struct loop *l, void *arg)
{
	struct sts *s = arg;

	s->fleet_tick = NULL;
	if (store_redis_flushes(s->fleet, s->owner, remote_flush, s) >= 0
	    && htable_count(s->backlog) > 0)
		drain_backlog(s);
	s->fleet_tick = loop_timer(l, STS_FLEET_TICK_MS, tick_fn, s);
}

void
sts_set_fleet(struct sts *s, struct store *fleet)
{
	char host[64] = "";

	gethostname(host, sizeof(host) - 1);
	snprintf(s->owner, sizeof(s->owner), "%s:%ld", host, (long)getpid());
	s->fleet = fleet;
	s->backlog = htable_new(64);
	(void)store_redis_flushes(fleet, s->owner, remote_flush, s);
	s->fleet_tick = loop_timer(s->loop, STS_FLEET_TICK_MS, tick_fn, s);
}

int
sts_fleet_status(struct sts *s, struct sts_fleet_stat *st)
{
	struct store_redis_stat rs;

	if (s->fleet == NULL)
		return -1;
	store_redis_status(s->fleet, &rs);
	*st = s->fst;
	st->connected = rs.connected;
	st->errors = rs.errors;
	snprintf(st->last_error, sizeof(st->last_error), "%s", rs.last_error);
	st->backlog = htable_count(s->backlog);
	return 0;
}

void
fleet_free(struct sts *s)
{
	if (s->fleet == NULL)
		return;
	loop_timer_cancel(s->loop, s->fleet_tick);
	htable_free(s->backlog, free);
	s->fleet = NULL;
}
