/* SPDX-License-Identifier: MIT */
/*
 * sockmap_srv - the socketmap service: connections, framing, ordering
 *
 * SYNOPSIS
 *	struct sockmap_srv *sockmap_srv_new(struct loop *l, struct engine *e,
 *	    int listen_fd, long max_conns, long idle_ms, long request_ms);
 *	const struct metrics_hist *sockmap_srv_latency(
 *	    const struct sockmap_srv *s);
 *	void sockmap_srv_free(struct sockmap_srv *s);
 *
 * DESCRIPTION
 *	Accepts connections on listen_fd and answers socketmap requests
 *	through the engine.  Requests on one connection are answered
 *	strictly in order, also when they are pipelined and when some
 *	answers come later than others.  A malformed or oversized netstring
 *	closes the connection after one log line (the stream cannot be
 *	resynchronised); a well-framed request the codec refuses gets PERM.
 *	Connections idle for idle_ms are closed (Postfix reconnects
 *	transparently), but never between a request and its reply; so are
 *	connections whose request is not whole within request_ms, or whose
 *	replies go unread that long.  At max_conns, the connection quiet
 *	longest is closed to admit a new one (conn(3)).
 *	sockmap_srv_latency() is the histogram of the time from a whole
 *	request to its reply in the output (what Postfix waits), for
 *	metrics.
 */
#ifndef TLSPOL_SOCKMAP_SRV_H
#define TLSPOL_SOCKMAP_SRV_H

#include "engine.h"
#include "loop.h"
#include "metrics.h"

struct sockmap_srv;

struct sockmap_srv *sockmap_srv_new(struct loop *l, struct engine *e,
    int listen_fd, long max_conns, long idle_ms,
    long request_ms);
const struct metrics_hist *sockmap_srv_latency(const struct sockmap_srv *s);
void sockmap_srv_free(struct sockmap_srv *s);

#endif
