/* SPDX-License-Identifier: MIT */
/*
 * metrics_srv - the Prometheus metrics endpoint (metrics_listen)
 *
 * SYNOPSIS
 *	struct metrics_srv *metrics_srv_new(struct loop *l, int listen_fd,
 *	    const struct metrics_src *src);
 *	void metrics_write(struct mtext *t, const struct metrics_src *src);
 *	void metrics_srv_free(struct metrics_srv *s);
 *
 * DESCRIPTION
 *	Serves "GET /metrics" on listen_fd (inet or unix) from the event
 *	loop, one request per connection: the reply is the Prometheus text
 *	exposition (version 0.0.4) that metrics_write() makes from the
 *	daemon's own counters, then the connection is closed.  Any other
 *	method or path gets 404, a malformed request or a head of
 *	METRICS_REQ_MAX bytes 400 (metrics_http_parse()).  At most
 *	METRICS_MAX_CONNS connections at once (conn(3): the quietest makes
 *	room for a new one); one is closed without a reply when it sends
 *	nothing for METRICS_IDLE_MS, has not sent a whole request within
 *	METRICS_IDLE_MS of its first byte, or does not read its reply.
 *
 *	The counters are the ones "tlsmap status" shows, plain integers the
 *	loop thread increments; a scrape only reads them (and flushes the
 *	MTA-STS store's write-behind queue, as status does).  src names
 *	where they live; it must outlive the server.  Every metric is listed
 *	in tlspolicyd(8).  Every family is there whatever the configuration
 *	(zero for a source that is off), so dashboards and alerts need not
 *	tell "off" from "absent".
 */
#ifndef TLSPOL_METRICS_SRV_H
#define TLSPOL_METRICS_SRV_H

#include <time.h>

#include "engine.h"
#include "fetchctl.h"
#include "loop.h"
#include "tlsrpt_collect.h"
#include "metrics.h"
#include "policy_srv.h"
#include "sockmap_srv.h"

#define METRICS_MAX_CONNS	16
#define METRICS_IDLE_MS		5000

struct metrics_src {
	struct engine *engine;
	const struct sockmap_srv *sockmap;
	const struct policy_srv *policy;	/* NULL: no policy service */
	const struct fetchctl *fetch;		/* NULL: no fetcher */
	time_t started;
	unsigned long reloads_ok, reloads_failed;
	const struct tlsrpt_collect *tlsrpt;	/* NULL: no collector */
};

struct metrics_srv;

struct metrics_srv *metrics_srv_new(struct loop *l, int listen_fd,
    const struct metrics_src *src);
void metrics_write(struct mtext *t, const struct metrics_src *src);
void metrics_srv_free(struct metrics_srv *s);

#endif
