/* SPDX-License-Identifier: MIT */
/*
 * sts_refresh.c - MTA-STS refresh scheduling: policies of domains in use
 * are fetched again before they expire, and domains without a policy
 * are forgotten when idle or when memory is short.  See sts.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "htable.h"
#include "log.h"
#include "sts_int.h"
#include "util.h"

/*
 * When a cached policy is due for its proactive refresh: a day after it
 * was fetched, or half its max_age when that is shorter; earlier when it
 * would otherwise come closer than refresh_before to its expiry, but
 * never before half its lifetime (a short max_age must not cause a fetch
 * at every scan).  Less a jitter of up to a tenth of the interval, fixed
 * per domain, so that many policies fetched together spread out.
 */
static int64_t
refresh_due(const struct sdom *d, const struct sts_config *cf)
{
	int64_t half = d->max_age / 2;
	int64_t interval = half < 86400 ? half : 86400;
	int64_t due = d->fetched_at + interval;
	int64_t late = d->expires_at - cf->refresh_before;
	unsigned long h = htable_hash(d->domain);

	if (late < d->fetched_at + half)
		late = d->fetched_at + half;
	if (late < due)
		due = late;
	if (interval >= 10)
		due -= (int64_t)(h % (unsigned long)(interval / 10));
	return due;
}

static void
refresh_one(const char *key, void *value, void *arg)
{
	struct sdom *d = value;
	struct sts *s = d->s;
	int64_t t = *(int64_t *)arg;

	(void)key;
	if (d->id[0] == '\0' || d->fetch_id > 0
	    || t - d->last_used > s->cf.in_use_window)
		return;
	if (t < refresh_due(d, &s->cf))
		return;
	if (strcmp(d->failed_id, d->id) == 0 && t < d->failed_until)
		return;
	log_info("domain=%s MTA-STS policy id=%s refreshed before expiry",
	    d->domain, d->id);
	s->st.refreshes++;
	/* Discovery again (the id may have changed), then a fetch.  The
	 * schedule above already bounds refreshes: skip the fetcher's rate
	 * limit, which would hand back a result as old as its window. */
	d->txt_until = 0;
	sdom_start_fetch(d, d->txt_id[0] ? d->txt_id : d->id, 1);
}

struct sweep_ctx {
	int64_t now, idle;
	char **keys;
	size_t n;
};

static void
sweep_one(const char *key, void *value, void *arg)
{
	struct sdom *d = value;
	struct sweep_ctx *c = arg;

	if (d->id[0] == '\0' && d->fetch_id == 0 && d->waiting == NULL
	    && d->txtq == NULL && c->now - d->last_used >= c->idle)
		c->keys[c->n++] = xstrdup(key);
}

/* Forget idle domains that have no policy (they cost a TXT lookup later). */
void
sts_sweep(struct sts *s, int64_t idle)
{
	struct sweep_ctx c = { sts_now(s), idle, NULL, 0 };

	s->sweeping = 1;
	c.keys = xcalloc(htable_count(s->doms) + 1, sizeof(char *));
	htable_walk(s->doms, sweep_one, &c);
	for (size_t i = 0; i < c.n; i++) {
		sdom_free(htable_del(s->doms, c.keys[i]));
		free(c.keys[i]);
	}
	s->st.domains -= c.n;
	if (c.n)
		log_debug("MTA-STS: forgot %zu domains without a policy", c.n);
	free(c.keys);
	s->sweeping = 0;
}

void
sts_refresh_scan(struct sts *s)
{
	int64_t t = sts_now(s);

	htable_walk(s->doms, refresh_one, &t);
	sts_sweep(s, STS_IDLE_FORGET);
}
