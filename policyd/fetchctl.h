/* SPDX-License-Identifier: MIT */
/*
 * fetchctl - start, supervise and talk to the MTA-STS fetcher (stsfetch)
 *
 * SYNOPSIS
 *	struct fetchctl *fetchctl_new(struct loop *l, const char *path,
 *	    struct fetchspawn *spawn);
 *	int fetchctl_fetch(struct fetchctl *f, const char *domain,
 *	    const char *policy_id, int force, fetch_cb cb, void *arg);
 *	int fetchctl_post(struct fetchctl *f, const char *url,
 *	    const void *body, size_t len, fetch_cb cb, void *arg);
 *	void fetchctl_cancel(struct fetchctl *f, int id);
 *	void fetchctl_port_of(struct fetchctl *f, struct fetch_port *p);
 *	void fetchctl_status(const struct fetchctl *f, struct fetchctl_stat *st);
 *	void fetchctl_free(struct fetchctl *f);
 *
 * DESCRIPTION
 *	The fetcher is a child process with a socketpair on its standard
 *	input and output; every message is one JSON object on one line:
 *
 *	  request  {"id":N,"domain":"example.com","policy_id":"ID","force":B}
 *	  reply    {"id":N,"domain":"example.com","ok":true,"policy":{...},
 *	            "fetched_at":T}
 *	  or       {"id":N,"domain":"example.com","ok":false,
 *	            "error":"sts-policy-fetch-error","detail":"HTTP status 404"}
 *
 *	policy_id is the TXT record's id that made us ask (the fetcher
 *	never hands back a recent result for another id); force skips the
 *	fetcher's rate limit (an admin's flush).
 *
 *	fetchctl_fetch() sends a request and returns its id (> 0), or -1
 *	when the fetcher is not running (it is being restarted).  cb is
 *	called once, from the event loop, with the reply, or with ok = 0 and
 *	error "fetcher-unavailable" when the fetcher dies or does not answer
 *	within the reply deadline.  It is never called from inside
 *	fetchctl_fetch(): when writing the request finds the fetcher gone,
 *	the request still gets its id, and its failure (with those of all
 *	pending requests) comes on the next turn of the loop; until then
 *	fetchctl_fetch() returns -1.  fetchctl_cancel() drops the callback.
 *	fetchctl_post() asks the fetcher to POST a TLSRPT report (body, at
 *	most FETCH_POST_MAX bytes of gzip) to the https: URL (fetchipc.h,
 *	POST REQUESTS), the same way: an id or -1, then cb once with ok
 *	when the receiver answered 2xx, status its HTTP status (0 when
 *	none), detail why not; r->domain is the URL.
 *	fetchctl_port_of() gives fetch and cancel as the fetcher port (fetchport.h)
 *	that the MTA-STS module uses.
 *
 *	Requests and replies are encoded and decoded by lib/fetchipc.h, the
 *	codec stsfetch uses too.  Replies are read only as far as routing
 *	needs (id, ok, error, detail); the policy object is passed on untouched for the
 *	MTA-STS module to re-validate: nothing from the network is trusted
 *	because it crossed a process boundary.  A line that is not such a
 *	reply is logged and dropped; a line longer than FETCH_MAX_LINE kills
 *	the fetcher (it is misbehaving) and it is restarted.
 *
 *	When the fetcher exits or dies, it is restarted after a back-off
 *	that doubles from 1 s to 60 s and resets after a minute of uptime.
 *
 *	The fetcher runs as its own user, so the daemon neither forks nor
 *	kills it itself: spawn (fetchspawn(3), made while the daemon was
 *	still root, and freed by fetchctl_free()) starts it, with its
 *	program and CA file, and kills and reaps it.  path names the
 *	program in log lines only.
 */
#ifndef TLSPOL_FETCHCTL_H
#define TLSPOL_FETCHCTL_H

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "fetchport.h"
#include "fetchspawn.h"
#include "loop.h"

#define FETCH_MAX_LINE		(256 * 1024)
#define FETCH_REPLY_DEADLINE_MS	(90 * 1000)

struct fetchctl_stat {
	pid_t pid;		/* 0 when not running */
	unsigned restarts;
	unsigned inflight;
	unsigned long requests, replies, failures;
};

struct fetchctl;

struct fetchctl *fetchctl_new(struct loop *l, const char *path,
    struct fetchspawn *spawn);
int fetchctl_fetch(struct fetchctl *f, const char *domain,
    const char *policy_id, int force, fetch_cb cb, void *arg);
int fetchctl_post(struct fetchctl *f, const char *url, const void *body,
    size_t len, fetch_cb cb, void *arg);
void fetchctl_cancel(struct fetchctl *f, int id);
void fetchctl_port_of(struct fetchctl *f, struct fetch_port *p);
void fetchctl_status(const struct fetchctl *f, struct fetchctl_stat *st);
void fetchctl_free(struct fetchctl *f);

#endif
