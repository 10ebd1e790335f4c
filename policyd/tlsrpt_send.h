/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	tlsrpt_send - the TLSRPT reporter: RFC 8460 reports of closed UTC
 *	days to the destinations each domain publishes
 *
 * SYNOPSIS
 *	#include "tlsrpt_send.h"
 *
 *	struct tlsrpt_send *tlsrpt_send_new(struct loop *l,
 *	    const struct dns_port *dns, const struct rpt_source *src,
 *	    const struct rpt_sender *out, const struct tlsrpt_send_config *c);
 *	void tlsrpt_send_tick(struct tlsrpt_send *s);
 *	void tlsrpt_send_stats(const struct tlsrpt_send *s,
 *	    struct tlsrpt_send_stats *st);
 *	void tlsrpt_send_free(struct tlsrpt_send *s);
 *
 * DESCRIPTION
 *	The collector keeps one aggregate record per (UTC day, domain) in
 *	the store ("rpt/YYYY-MM-DD/domain", tlsrpt_agg.h).  The reporter
 *	reads them through a struct rpt_source (the store's raw records;
 *	get returns 1 with a heap copy, 0 none, -1 failure; put and del 0
 *	or -1 (del 1 when deleted); iter_prefix visits every record whose
 *	key starts with the prefix) and keeps its delivery state beside
 *	them ("rptsent/YYYY-MM-DD/domain", tlsrpt_sched.h), so a restart
 *	resumes where it stopped.
 *
 *	tlsrpt_send_tick() (the daemon calls it every TLSRPT_TICK_MS, a
 *	test whenever it likes) walks the aggregates when something may be
 *	due (the walk reads every raw record, so it is not done on every
 *	tick: only once the earliest next attempt, retention deadline or
 *	day's end it knows of has come, and at least every TLSRPT_RESCAN
 *	seconds for records written late) and looks at every aggregate of
 *	a day before today (c->now, the daemon's injectable clock):
 *
 *	- no state yet: due at tlsrpt_sched_first() (the day's end plus a
 *	  per-domain offset below c->spread); pending;
 *	- pending and due: an attempt (at most TLSRPT_SEND_JOBS at once):
 *	  a domain c->excluded() names is skipped (the configuration's
 *	  rule: the site itself, tlsrpt_exclude and their subdomains); else _smtp._tls.DOMAIN TXT through dns (CNAMEs followed,
 *	  sts_dns_tlsrpt()): no record or an invalid one, skipped (the
 *	  reason in last_error); a lookup failure is a failed attempt.
 *	  Then the reports: one of all the day's policies when Postfix saw
 *	  at most one TLSRPT record (the usual case; the daemon's own
 *	  events, recorded with an empty record, go with it), else one per
 *	  record in order of first appearance and one of the daemon's own
 *	  events (index i + 1 in that order; report-id, file name
 *	  and Subject from tlsrpt_report.h, JSON gzipped), each not yet
 *	  accepted sent to every destination tlsrpt_dest_select() gives:
 *	  mailto: through out->mail (the message of tlsrpt_report_mail(),
 *	  envelope sender c->sender), https: through out->post
 *	  (application/tlsrpt+gzip).  A report is accepted when one
 *	  destination accepted it; when all are, the state is sent, else
 *	  the attempt failed: tries + 1, next by tlsrpt_sched_retry()
 *	  within c->window of the first attempt, or failed (given up);
 *	- sent, failed or skipped, and the day older than c->retain_days:
 *	  the aggregate and the state are deleted.
 *
 *	Every state change is written before the next step and logged
 *	(domain, day, state, destination, reason).
 *
 *	struct rpt_sender: mail(impl, from, rcpt, msg, len, cb, arg) and
 *	post(impl, url, body, len, cb, arg) start a delivery and return 0,
 *	or -1 when it cannot start (a failed destination); cb(arg, ok,
 *	detail) then runs once from the event loop.  The daemon's are
 *	tlsrpt_sendmail (below) and the fetcher (fetchctl_post()); unit
 *	tests use fakes.
 *
 *	tlsrpt_sendmail_start() runs the local Postfix's sendmail,
 *	"PATH -oi -f FROM -- RCPT", as the daemon's (unprivileged) user,
 *	the message on its standard input, bounded by timeout_ms (then
 *	SIGKILL); exit status 0 is accepted.  Its child is watched by the
 *	loop (the pipe and a poll of waitpid() every 100 ms, bounded by
 *	the timeout).
 */
#ifndef TLSPOL_TLSRPT_SEND_H
#define TLSPOL_TLSRPT_SEND_H

#include <stddef.h>
#include <stdint.h>

#include "dnsport.h"
#include "loop.h"

#define TLSRPT_TICK_MS		5000
#define TLSRPT_RESCAN		3600	/* seconds between walks at most */
#define TLSRPT_SEND_JOBS	8
#define TLSRPT_EXCLUDE_MAX	64

typedef int (*rpt_rec_fn)(const char *key, const void *val, size_t len,
    void *arg);

struct rpt_source {
	int (*get)(void *impl, const char *key, void **valp, size_t *lenp);
	int (*put)(void *impl, const char *key, const void *val, size_t len);
	int (*del)(void *impl, const char *key);
	int (*iter_prefix)(void *impl, const char *prefix, rpt_rec_fn fn,
	    void *arg);
	void *impl;
};

typedef void (*rpt_done_fn)(void *arg, int ok, const char *detail);

struct rpt_sender {
	int (*mail)(void *impl, const char *from, const char *rcpt,
	    const char *msg, size_t len, rpt_done_fn cb, void *arg);
	int (*post)(void *impl, const char *url, const void *body, size_t len,
	    rpt_done_fn cb, void *arg);
	void *impl;
};

struct tlsrpt_send_config {
	const char *organization;	/* organization-name */
	const char *contact;		/* contact-info */
	const char *submitter;		/* TLS-Report-Submitter, file name */
	const char *sender;		/* From: and envelope sender */
	/* 1 when no report goes to domain (tlsrpt_conf_excluded()). */
	int (*excluded)(void *arg, const char *domain);
	void *excluded_arg;
	int64_t spread;			/* seconds after the day's end */
	int64_t window;			/* retry window, seconds */
	unsigned retain_days;
	int64_t (*now)(void *arg);
	void *now_arg;
};

struct tlsrpt_send_stats {
	unsigned long attempts, sent, failed, skipped, deliveries_failed;
	unsigned active;
};

struct tlsrpt_send;

struct tlsrpt_send *tlsrpt_send_new(struct loop *l, const struct dns_port *dns,
    const struct rpt_source *src, const struct rpt_sender *out,
    const struct tlsrpt_send_config *c);
void tlsrpt_send_tick(struct tlsrpt_send *s);
void tlsrpt_send_stats(const struct tlsrpt_send *s,
    struct tlsrpt_send_stats *st);
void tlsrpt_send_free(struct tlsrpt_send *s);

int tlsrpt_sendmail_start(struct loop *l, const char *path, long timeout_ms,
    const char *from, const char *rcpt, const char *msg, size_t len,
    rpt_done_fn cb, void *arg);

#endif
