/* SPDX-License-Identifier: MIT */
/*
 * policy_srv - the check_policy_service server for inbound TLS rules
 *
 * SYNOPSIS
 *	struct policy_srv *policy_srv_new(struct loop *l, int listen_fd,
 *	    struct inbound *rules, long max_conns, long idle_ms,
 *	    long request_ms);
 *	void policy_srv_set_rules(struct policy_srv *s, struct inbound *rules);
 *	const struct inbound *policy_srv_rules(const struct policy_srv *s);
 *	const struct metrics_hist *policy_srv_latency(
 *	    const struct policy_srv *s);
 *	void policy_srv_free(struct policy_srv *s);
 *
 *	struct inbound *policy_rules_load(const char *path, char *err,
 *	    size_t errlen);
 *
 * DESCRIPTION
 *	Accepts Postfix smtpd(8) connections on listen_fd and answers each
 *	policy delegation request (polreq(3)) with the action the inbound
 *	rules give (inbound_eval()).  One connection carries many requests,
 *	answered in order, each with exactly "action=VALUE\n\n"; a request
 *	split over many reads and several requests in one read both work.
 *
 *	A malformed or oversized request, or a reply the codec refuses (an
 *	internal error), gets one log line and the connection is closed
 *	WITHOUT a reply: Postfix then retries and, failing that, applies
 *	its smtpd_policy_service_default_action.  Nothing that could read
 *	as a permit is ever sent.
 *
 *	Every violation (whatever the rule's action) is logged as one
 *	key=value line at notice level; other answers at debug level.
 *	Connections idle for idle_ms are closed (Postfix keeps idle
 *	connections for up to smtpd_policy_service_max_idle, 300s, and
 *	reconnects transparently); so are connections whose request is not
 *	whole within request_ms, or whose replies go unread that long.  At
 *	max_conns, the connection quiet longest is closed to admit a new
 *	one (conn(3)).
 *
 *	policy_srv_new() and policy_srv_set_rules() take ownership of rules;
 *	set_rules frees the previous set (requests are answered at once, so
 *	no request is using it).  For metrics: policy_srv_rules() is the set
 *	in force, whose rules count the requests they decide
 *	(inbound_tally()); policy_srv_latency() the time from a whole
 *	request to its reply, per request.
 *
 *	policy_rules_load() loads the rules file named by inbound_rules_file:
 *	an empty path gives no rules (every request DUNNO); a named file must
 *	exist and be valid, else NULL with "FILE:LINE: message" in err.  The
 *	daemon's reload (main.c) loads with it and installs the result with
 *	policy_srv_set_rules() only when every table loaded.
 */
#ifndef TLSPOL_POLICY_SRV_H
#define TLSPOL_POLICY_SRV_H

#include "inbound.h"
#include "loop.h"
#include "metrics.h"

struct policy_srv;

struct policy_srv *policy_srv_new(struct loop *l, int listen_fd,
    struct inbound *rules, long max_conns, long idle_ms,
    long request_ms);
void policy_srv_set_rules(struct policy_srv *s, struct inbound *rules);
const struct inbound *policy_srv_rules(const struct policy_srv *s);
const struct metrics_hist *policy_srv_latency(const struct policy_srv *s);
void policy_srv_free(struct policy_srv *s);
struct inbound *policy_rules_load(const char *path, char *err, size_t errlen);

#endif
