/* SPDX-License-Identifier: MIT */
/*
 * tlsrpt_collect - the TLSRPT collector on the event loop.  Contract in
 * tlsrpt_collect.h.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "tlsrpt_collect.h"
#include "tlsrpt_dgram.h"
#include "util.h"

struct tlsrpt_collect {
	struct loop *loop;
	int fd;
	struct tlsrpt_collect_config cf;
	struct tlsrpt_agg *agg;
	unsigned char *buf;		/* TLSRPT_DGRAM_MAX + 1 */
	struct loop_timer *flush_timer;
	size_t pending;			/* changes since the last write */
	int64_t oldest_day;		/* in memory; -1 when none */
	struct log_limit refused_log, write_log;
	struct tlsrpt_collect_stat st;
};

static const char *const result_names[TLSRPT_COL_NRESULTS] = {
	"accepted", "capped", "dropped", "excluded", "malformed", "version",
	"truncated"
};

const char *
tlsrpt_collect_result_name(int result)
{
	if (result < 0 || result >= TLSRPT_COL_NRESULTS)
		return "unknown";
	return result_names[result];
}

static int64_t
col_now(const struct tlsrpt_collect *c)
{
	return c->cf.now(c->cf.now_arg);
}

/* A refusal: counted by the caller, logged here with a rate limit. */
static void
log_refused(struct tlsrpt_collect *c, const char *what, const char *why)
{
	unsigned long held;

	if (log_limit_ok(&c->refused_log, TLSRPT_COLLECT_LOG_MS, &held))
		log_warn("tlsrpt: datagram %s: %s (%lu more not logged)", what,
		    why, held);
}

/* Persistence */

struct batch {
	struct store_kv *kv;
	size_t n;
};

/* tlsrpt_agg_flush()'s put: collect, for one write of all of them. */
static int
batch_add(const char *key, const void *buf, size_t len, void *arg)
{
	struct batch *b = arg;
	void *copy = xmalloc(len ? len : 1);

	memcpy(copy, buf, len);
	b->kv = xrealloc(b->kv, (b->n + 1) * sizeof(*b->kv));
	b->kv[b->n].key = xstrdup(key);
	b->kv[b->n].val = copy;
	b->kv[b->n++].len = len;
	return 0;
}

static void
batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free((void *)b->kv[i].key);
		free((void *)b->kv[i].val);
	}
	free(b->kv);
}

/* Days before yesterday leave memory once they are written. */
static void
forget_old_days(struct tlsrpt_collect *c)
{
	int64_t keep = tlsrpt_day(col_now(c)) - 1;
	int n = 0;

	if (c->oldest_day < 0)
		return;
	if (keep - c->oldest_day > 400)	/* a clock jump: bound the walk */
		c->oldest_day = keep - 400;
	for (; c->oldest_day < keep && n < 401; c->oldest_day++, n++)
		tlsrpt_agg_drop_day(c->agg, c->oldest_day);
}

void
tlsrpt_collect_flush(struct tlsrpt_collect *c)
{
	struct batch b = { NULL, 0 };
	unsigned long held;

	loop_timer_cancel(c->loop, c->flush_timer);
	c->flush_timer = NULL;
	c->pending = 0;
	if (c->cf.store == NULL || tlsrpt_agg_flush(c->agg, batch_add, &b) <= 0) {
		batch_free(&b);
		forget_old_days(c);
		return;
	}
	if (store_rec_putv(c->cf.store, b.kv, b.n) == 0) {
		c->st.writes++;
		forget_old_days(c);
	} else {
		c->st.write_failures++;
		for (size_t i = 0; i < b.n; i++)
			tlsrpt_agg_set_dirty(c->agg, b.kv[i].key);
		c->pending = b.n;
		if (log_limit_ok(&c->write_log, TLSRPT_COLLECT_LOG_MS, &held))
			log_err("tlsrpt: %zu records not stored, kept for the "
			    "next write (%lu failed writes not logged)", b.n,
			    held);
	}
	batch_free(&b);
}

static void
flush_timer_fn(struct loop *l, void *arg)
{
	struct tlsrpt_collect *c = arg;

	(void)l;
	c->flush_timer = NULL;
	tlsrpt_collect_flush(c);
}

/* One more change: arm the timer, or write now when enough wait. */
static void
changed(struct tlsrpt_collect *c, int64_t day)
{
	if (c->oldest_day < 0 || day < c->oldest_day)
		c->oldest_day = day;
	if (++c->pending >= TLSRPT_FLUSH_MAX) {
		tlsrpt_collect_flush(c);
		return;
	}
	if (c->flush_timer == NULL && c->loop != NULL)
		c->flush_timer = loop_timer(c->loop, TLSRPT_FLUSH_MS,
		    flush_timer_fn, c);
}

/* Adding */

static int
add_dgram(struct tlsrpt_collect *c, const struct tlsrpt_dgram *dg)
{
	int64_t now = col_now(c);
	int rc;

	if (tlsrpt_conf_excluded(c->cf.conf, dg->d))
		return TLSRPT_COL_EXCLUDED;
	rc = tlsrpt_agg_add(c->agg, dg, now);
	if (rc == TLSRPT_AGG_DROPPED) {
		log_refused(c, "dropped", "the day's tlsrpt_max_domains is "
		    "reached");
		return TLSRPT_COL_DROPPED;
	}
	if (rc < 0)
		return TLSRPT_COL_MALFORMED;
	changed(c, tlsrpt_day(now));
	return rc == TLSRPT_AGG_CAPPED ? TLSRPT_COL_CAPPED : TLSRPT_COL_OK;
}

int
tlsrpt_collect_datagram(struct tlsrpt_collect *c, const void *buf,
    size_t len)
{
	struct tlsrpt_dgram dg;
	char why[256];
	int rc;

	if (len > TLSRPT_DGRAM_MAX) {
		snprintf(why, sizeof(why), "%zu bytes, more than %d", len,
		    TLSRPT_DGRAM_MAX);
		log_refused(c, "truncated", why);
		rc = TLSRPT_COL_TRUNCATED;
	} else if ((rc = tlsrpt_dgram_decode(buf, len, &dg, why,
	    sizeof(why))) != TLSRPT_DG_OK) {
		log_refused(c, rc == TLSRPT_DG_VERSION ? "of another version"
		    : "malformed", why);
		rc = rc == TLSRPT_DG_VERSION ? TLSRPT_COL_VERSION
		    : TLSRPT_COL_MALFORMED;
	} else {
		if (dg.flags)
			log_debug("tlsrpt: datagram for %s tolerated (flags "
			    "0x%x)", dg.d, dg.flags);
		rc = add_dgram(c, &dg);
		tlsrpt_dgram_free(&dg);
	}
	c->st.datagrams[rc]++;
	return rc;
}

/* The libtlsrpt code of an RFC 8460 result-type name; 0 when none. */
static int
result_code(const char *name)
{
	for (int code = 201; code <= 306; code++) {
		const char *n = tlsrpt_result_type_name(code);
		if (n != NULL && strcmp(n, name) == 0)
			return code;
	}
	return 0;
}

int
tlsrpt_collect_event(struct tlsrpt_collect *c, const char *domain,
    const char *result_type, const char *detail)
{
	unsigned char reason[3 * TLSRPT_COLLECT_REASON_MAX + 1];
	size_t n = strnlen(detail, TLSRPT_COLLECT_REASON_MAX);
	struct tlsrpt_detail det;
	struct tlsrpt_policy pol;
	struct tlsrpt_dgram dg;
	int rc, code = result_code(result_type);

	if (code == 0 || !domain_valid(domain))
		return TLSRPT_COL_MALFORMED;
	reason[tlsrpt_utf8_sanitise((const unsigned char *)detail, n,
	    reason)] = '\0';
	memset(&det, 0, sizeof(det));
	det.code = code;
	det.f = (char *)reason;
	memset(&pol, 0, sizeof(pol));
	pol.type = code >= TLSRPT_RC_TLSA_INVALID ? TLSRPT_POLICY_TLSA
	    : TLSRPT_POLICY_STS;
	pol.domain = (char *)domain;
	pol.details = &det;
	pol.ndetails = 1;
	pol.failed = 1;
	pol.t = 1;
	memset(&dg, 0, sizeof(dg));
	dg.d = (char *)domain;
	dg.pr = "";
	dg.policies = &pol;
	dg.npolicies = 1;
	rc = add_dgram(c, &dg);
	if (rc == TLSRPT_COL_OK || rc == TLSRPT_COL_CAPPED)
		c->st.events++;
	return rc;
}

/* The socket */

static void
on_readable(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct tlsrpt_collect *c = arg;
	unsigned long held;

	(void)l;
	(void)ev;
	for (int i = 0; i < TLSRPT_COLLECT_BATCH; i++) {
		ssize_t n = recv(fd, c->buf, TLSRPT_DGRAM_MAX + 1,
		    MSG_TRUNC | MSG_DONTWAIT);

		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK
			    && errno != EINTR) {
				c->st.recv_errors++;
				if (log_limit_ok(&c->refused_log,
				    TLSRPT_COLLECT_LOG_MS, &held))
					log_err("tlsrpt: recv: %s",
					    strerror(errno));
			}
			return;
		}
		tlsrpt_collect_datagram(c, c->buf, (size_t)n);
	}
}

/* Start-up: the open days' records from the store. */
struct load_ctx {
	struct tlsrpt_collect *c;
	int64_t first_day;
};

static int
load_one(const char *key, const void *val, size_t len, void *arg)
{
	struct load_ctx *lc = arg;
	char domain[DOMAIN_MAX + 1], why[256];
	int64_t day;

	if (tlsrpt_agg_key_parse(key, &day, domain) < 0
	    || day < lc->first_day)
		return 0;
	if (tlsrpt_agg_load(lc->c->agg, key, val, len, why, sizeof(why)) < 0) {
		log_warn("tlsrpt: stored record %s ignored: %s", key, why);
		return 0;
	}
	lc->c->st.loaded++;
	if (lc->c->oldest_day < 0 || day < lc->c->oldest_day)
		lc->c->oldest_day = day;
	return 0;
}

static void
load_open_days(struct tlsrpt_collect *c)
{
	struct load_ctx lc = { c, tlsrpt_day(col_now(c)) - 1 };

	if (c->cf.store == NULL)
		return;
	if (store_rec_iter_prefix(c->cf.store, "rpt/", load_one, &lc) < 0)
		log_err("tlsrpt: cannot read the stored records: today's "
		    "counts start from zero");
	else if (c->st.loaded > 0)
		log_notice("tlsrpt: %lu records of today and yesterday loaded",
		    c->st.loaded);
}

struct tlsrpt_collect *
tlsrpt_collect_new(struct loop *l, int fd,
    const struct tlsrpt_collect_config *cf)
{
	struct tlsrpt_collect *c = xcalloc(1, sizeof(*c));

	c->loop = l;
	c->fd = fd;
	c->cf = *cf;
	c->oldest_day = -1;
	c->agg = tlsrpt_agg_new(&cf->conf->lim);
	c->buf = xmalloc(TLSRPT_DGRAM_MAX + 1);
	load_open_days(c);
	if (fd >= 0 && loop_add(l, fd, LOOP_IN, on_readable, c) < 0) {
		log_err("tlsrpt: cannot watch the socket: %s", strerror(errno));
		tlsrpt_collect_free(c);
		return NULL;
	}
	return c;
}

void
tlsrpt_collect_stats(const struct tlsrpt_collect *c,
    struct tlsrpt_collect_stat *st)
{
	*st = c->st;
}

struct tlsrpt_agg *
tlsrpt_collect_agg(struct tlsrpt_collect *c)
{
	return c->agg;
}

void
tlsrpt_collect_free(struct tlsrpt_collect *c)
{
	if (c == NULL)
		return;
	tlsrpt_collect_flush(c);
	if (c->fd >= 0) {
		loop_del(c->loop, c->fd);
		close(c->fd);
	}
	tlsrpt_agg_free(c->agg);
	free(c->buf);
	free(c);
}
