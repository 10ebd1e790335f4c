/* SPDX-License-Identifier: MIT */
/*
 * metrics_srv - the Prometheus metrics endpoint.  See metrics_srv.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "dns.h"
#include "log.h"
#include "metrics_srv.h"
#include "overrides.h"
#include "sts.h"
#include "util.h"

#define P	"tlspolicyd_"

struct metrics_srv {
	struct conn_srv *cs;
	const struct metrics_src *src;
};


/* A counter or gauge family with one unlabelled sample. */
struct fam {
	const char *name, *type, *help;
	unsigned long long v;
};

static void
write_fams(struct mtext *t, const struct fam *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		metrics_family(t, f[i].name, f[i].type, f[i].help);
		metrics_sample(t, f[i].name, NULL, f[i].v);
	}
}

#define FAMS(t, f)	write_fams((t), (f), sizeof(f) / sizeof((f)[0]))

/* A counter family with one sample per value of one label. */
static void
write_by(struct mtext *t, const char *name, const char *help,
    const char *label, const char *const *values, const unsigned long *v,
    int n)
{
	char labels[64];

	metrics_family(t, name, "counter", help);
	for (int i = 0; i < n; i++) {
		snprintf(labels, sizeof(labels), "%s=\"%s\"", label, values[i]);
		metrics_sample(t, name, labels, v[i]);
	}
}

static const char *const ok_failed[] = { "ok", "failed" };

static void
write_answers(struct mtext *t, const struct metrics_src *src)
{
	static const struct metrics_hist none;
	const struct engine_stats *st = engine_stats(src->engine);
	char labels[96];

	metrics_family(t, P "answers_total", "counter",
	    "Socketmap answers by source and result.");
	for (int s = 0; s < ANS_SOURCES; s++)
		for (int r = 0; r < ANS_RESULTS; r++) {
			snprintf(labels, sizeof(labels),
			    "source=\"%s\",result=\"%s\"", engine_source_names[s],
			    engine_result_names[r]);
			metrics_sample(t, P "answers_total", labels,
			    st->answers[s][r]);
		}
	metrics_family(t, P "request_duration_seconds", "histogram",
	    "Time from a whole request to its reply, by protocol.");
	metrics_hist_write(t, P "request_duration_seconds",
	    "protocol=\"socketmap\"", sockmap_srv_latency(src->sockmap));
	metrics_hist_write(t, P "request_duration_seconds",
	    "protocol=\"policy\"", src->policy
	    ? policy_srv_latency(src->policy) : &none);
}

static void
write_dns(struct mtext *t, const struct metrics_src *src)
{
	struct dns *dns = engine_dns(src->engine);
	unsigned long dq = 0, dh = 0;
	struct dns_stat ds;
	size_t dc = 0;

	memset(&ds, 0, sizeof(ds));
	if (dns != NULL)
		dns_stats(dns, &ds);
	engine_dane_stats(src->engine, &dq, &dh, &dc);
	const struct fam f[] = {
		{ P "dns_lookups_total", "counter",
		    "DNS lookups asked of the resolver module.", ds.lookups },
		{ P "dns_cache_hits_total", "counter",
		    "DNS lookups answered from the cache.", ds.cache_hits },
		{ P "dns_cache_entries", "gauge", "DNS answers cached.",
		    ds.cached },
		{ P "dane_lookups_total", "counter", "DANE lookups.", dq },
		{ P "dane_cache_hits_total", "counter",
		    "DANE lookups answered from the cache.", dh },
		{ P "dane_cache_entries", "gauge", "DANE results cached.", dc },
	};
	FAMS(t, f);
	write_by(t, P "dns_errors_total", "Failed upstream DNS lookups by "
	    "class.", "class", dns_error_class_names, ds.errors,
	    DNS_EC_CLASSES);
}

static void
write_sts(struct mtext *t, const struct metrics_src *src)
{
	struct sts *sts = engine_sts(src->engine);
	struct sts_stat ss;

	memset(&ss, 0, sizeof(ss));
	if (sts != NULL)
		sts_status(sts, &ss);
	const struct fam f[] = {
		{ P "sts_policies_cached", "gauge",
		    "MTA-STS domains in memory.", ss.domains },
		{ P "sts_policies_stored", "gauge",
		    "MTA-STS policies in the store.", ss.stored },
		{ P "sts_cache_hits_total", "counter",
		    "MTA-STS answers from a cached policy.", ss.hits },
		{ P "sts_txt_lookups_total", "counter", "MTA-STS TXT lookups.",
		    ss.txt_lookups },
		{ P "sts_refreshes_total", "counter",
		    "Proactive MTA-STS refreshes.", ss.refreshes },
		{ P "sts_first_contact_timeouts_total", "counter",
		    "Queries answered before a first policy fetch ended.",
		    ss.first_contact_timeouts },
		{ P "store_writes_total", "counter",
		    "MTA-STS policy records written to the store.",
		    ss.store_writes },
	};
	static const char *const ops[] = { "read", "write" };
	const unsigned long fetches[] = { ss.fetch_ok, ss.fetch_failures };
	const unsigned long errors[] = { ss.store_failures,
	    ss.store_write_failures };

	FAMS(t, f);
	write_by(t, P "sts_fetches_total", "MTA-STS policy fetches by outcome.",
	    "outcome", ok_failed, fetches, 2);
	write_by(t, P "store_errors_total", "MTA-STS store failures by "
	    "operation.", "op", ops, errors, 2);
}

/* The fleet store (policy_store = redis); nothing without one. */
static void
write_fleet(struct mtext *t, const struct metrics_src *src)
{
	struct sts *sts = engine_sts(src->engine);
	struct sts_fleet_stat fs;

	memset(&fs, 0, sizeof(fs));
	if (sts == NULL || sts_fleet_status(sts, &fs) < 0)
		return;
	const struct fam f[] = {
		{ P "fleet_connected", "gauge",
		    "1 while the fleet store (Redis) is connected.",
		    fs.connected ? 1 : 0 },
		{ P "fleet_errors_total", "counter",
		    "Failed fleet store (Redis) commands.", fs.errors },
		{ P "fleet_backlog", "gauge",
		    "Policies the fleet store has yet to get.", fs.backlog },
		{ P "fleet_adopted_total", "counter",
		    "Policies taken from the fleet store, fetched by another "
		    "relay.", fs.adopted },
		{ P "fleet_lock_waits_total", "counter",
		    "Fetches left to another relay holding the domain's lock.",
		    fs.lock_waits },
		{ P "fleet_flushes_total", "counter",
		    "Flushes received from other relays.", fs.fleet_flushes },
	};
	FAMS(t, f);
}

static void
write_fetcher(struct mtext *t, const struct metrics_src *src)
{
	struct fetchctl_stat fs;

	memset(&fs, 0, sizeof(fs));
	if (src->fetch != NULL)
		fetchctl_status(src->fetch, &fs);
	const struct fam f[] = {
		{ P "fetcher_restarts_total", "counter",
		    "Fetcher process restarts.", fs.restarts },
		{ P "fetcher_requests_total", "counter",
		    "Requests sent to the fetcher.", fs.requests },
		{ P "fetcher_failures_total", "counter",
		    "Fetcher requests that failed.", fs.failures },
		{ P "fetcher_inflight", "gauge", "Fetcher requests in flight.",
		    fs.inflight },
	};
	FAMS(t, f);
}

static void
write_tlsrpt(struct mtext *t, const struct metrics_src *src)
{
	const char *names[TLSRPT_COL_NRESULTS];
	struct tlsrpt_collect_stat cs;

	memset(&cs, 0, sizeof(cs));
	if (src->tlsrpt != NULL)
		tlsrpt_collect_stats(src->tlsrpt, &cs);
	for (int i = 0; i < TLSRPT_COL_NRESULTS; i++)
		names[i] = tlsrpt_collect_result_name(i);
	write_by(t, P "tlsrpt_datagrams_total", "TLSRPT datagrams from "
	    "Postfix by outcome.", "outcome", names, cs.datagrams,
	    TLSRPT_COL_NRESULTS);
	const struct fam f[] = {
		{ P "tlsrpt_events_total", "counter", "The daemon's own policy "
		    "failures recorded for TLSRPT.", cs.events },
		{ P "tlsrpt_write_failures_total", "counter", "Failed writes of "
		    "TLSRPT records to the store.", cs.write_failures },
	};
	FAMS(t, f);
}

static void
write_inbound(struct mtext *t, const struct metrics_src *src)
{
	const struct inbound *ib = src->policy ? policy_srv_rules(src->policy)
	    : NULL;
	const unsigned long *counts;
	const char *name;
	char rule[200], labels[260];

	const struct fam f[] = {
		{ P "inbound_rules", "gauge", "Inbound rules in force.",
		    ib ? inbound_count(ib) : 0 },
	};

	FAMS(t, f);
	metrics_family(t, P "inbound_rule_matches_total", "counter",
	    "Policy requests each inbound rule decided, by action (since the "
	    "rules were loaded).");
	for (size_t i = 0; ib && (name = inbound_rule_tally(ib, i, &counts));
	    i++) {
		metrics_label(name, rule, sizeof(rule));
		for (int a = 0; a < INB_TALLIES; a++) {
			snprintf(labels, sizeof(labels),
			    "rule=\"%s\",action=\"%s\"", rule,
			    inbound_tally_names[a]);
			metrics_sample(t, P "inbound_rule_matches_total", labels,
			    counts[a]);
		}
	}
}

void
metrics_write(struct mtext *t, const struct metrics_src *src)
{
	const struct fam f[] = {
		{ P "start_time_seconds", "gauge",
		    "Start time, seconds since the epoch.",
		    (unsigned long long)src->started },
		{ P "overrides", "gauge", "Override table entries in force.",
		    overrides_count(engine_overrides(src->engine)) },
	};
	const unsigned long reloads[] = { src->reloads_ok, src->reloads_failed };

	metrics_family(t, P "info", "gauge", "The daemon's version.");
	mtext_printf(t, P "info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	FAMS(t, f);
	write_by(t, P "reloads_total", "Reloads of the override table and "
	    "inbound rules, by result.", "result", ok_failed, reloads, 2);
	write_answers(t, src);
	write_dns(t, src);
	write_sts(t, src);
	write_fleet(t, src);
	write_fetcher(t, src);
	write_tlsrpt(t, src);
	write_inbound(t, src);
}

/* ---------------------------------------------------------------- */
/* The HTTP side: one request, one reply, close.                     */

static void
reply(struct conn *c, int code, const char *body, size_t len)
{
	char head[METRICS_HEAD_MAX];
	size_t hl = metrics_http_head(code, len, head, sizeof(head));

	conn_reserve(c, hl + len);
	memcpy(c->out + c->outlen, head, hl);
	memcpy(c->out + c->outlen + hl, body, len);
	c->outlen += hl + len;
	c->closing = 1;
}

static void
metrics_input(struct conn *c, size_t fresh)
{
	struct metrics_srv *s = c->arg;
	struct mtext t = { 0 };

	(void)fresh;
	if (c->closing) {
		conn_consume(c, c->inlen);	/* answered: ignore the rest */
		return;
	}
	switch (metrics_http_parse(c->in, c->inlen)) {
	case MREQ_INCOMPLETE:
		return;
	case MREQ_METRICS:
		metrics_write(&t, s->src);
		reply(c, 200, t.buf, t.len);
		mtext_free(&t);
		break;
	case MREQ_NOTFOUND:
		reply(c, 404, "not found: GET /metrics\n", 24);
		break;
	case MREQ_BAD:
		log_debug("metrics client #%lu: bad request", c->id);
		reply(c, 400, "bad request\n", 12);
		break;
	}
	conn_consume(c, c->inlen);
	conn_flush(c);
}

static void
metrics_closed(struct conn *c, enum conn_why why, int err)
{
	if (why == CONN_WRITE)
		log_debug("metrics client #%lu: write: %s", c->id, strerror(err));
	else if (why != CONN_DONE && why != CONN_EOF)
		log_debug("metrics client #%lu: closed: %s", c->id,
		    conn_why_str(why));
}

static const struct conn_proto metrics_proto = {
	.name = "metrics",
	.size = sizeof(struct conn),
	.insize = METRICS_REQ_MAX,
	.out_high = 1 << 20,
	.max_held = 1,
	.input = metrics_input,
	.closed = metrics_closed,
};

struct metrics_srv *
metrics_srv_new(struct loop *l, int lfd, const struct metrics_src *src)
{
	struct metrics_srv *s = xcalloc(1, sizeof(*s));

	s->src = src;
	s->cs = conn_srv_new(l, lfd, &metrics_proto, s, METRICS_MAX_CONNS,
	    METRICS_IDLE_MS, METRICS_IDLE_MS);
	if (s->cs == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

void
metrics_srv_free(struct metrics_srv *s)
{
	if (s == NULL)
		return;
	conn_srv_free(s->cs);
	free(s);
}
