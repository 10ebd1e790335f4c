/* SPDX-License-Identifier: MIT */
/*
 * fetchport - the fetcher port: what MTA-STS needs from a policy fetcher
 *
 * SYNOPSIS
 *	int fetch_port_fetch(const struct fetch_port *p, const char *domain,
 *	    const char *policy_id, int force, fetch_cb cb, void *arg);
 *	void fetch_port_cancel(const struct fetch_port *p, int id);
 *
 * DESCRIPTION
 *	A struct fetch_port sends a fetch request out and brings its result
 *	in: fetch returns a request id (> 0) or -1 when no fetch can start
 *	now; cb(arg, result) then runs exactly once, from the event loop,
 *	never inside fetch, unless cancel(id) came first.  The daemon's
 *	port is the fetcher process (fetchctl_port_of(), fetchctl.h); unit
 *	tests use a fake that answers what the test scripts.  A port whose
 *	fetch is NULL is "no fetcher".
 *
 *	struct fetch_result: ok, domain, policy (the policy object as the
 *	fetcher sent it, borrowed for the callback, NULL unless ok;
 *	untrusted: the MTA-STS module validates it again), fetched_at,
 *	error (a TLSRPT result type, or "fetcher-unavailable") and detail;
 *	status for a report POST (fetchctl_post()).
 */
#ifndef TLSPOL_FETCHPORT_H
#define TLSPOL_FETCHPORT_H

#include <stdint.h>

#include <jansson.h>

struct fetch_result {
	int ok;
	const char *domain;
	json_t *policy;		/* borrowed; NULL unless ok */
	int64_t fetched_at;
	int status;		/* a report POST: the HTTP status, 0 for none */
	const char *error;	/* TLSRPT result type, or fetcher-unavailable */
	const char *detail;
};

typedef void (*fetch_cb)(void *arg, const struct fetch_result *r);

struct fetch_port {
	int (*fetch)(void *impl, const char *domain, const char *policy_id,
	    int force, fetch_cb cb, void *arg);
	void (*cancel)(void *impl, int id);
	void *impl;
};

static inline int
fetch_port_fetch(const struct fetch_port *p, const char *domain,
    const char *policy_id, int force, fetch_cb cb, void *arg)
{
	return p->fetch(p->impl, domain, policy_id, force, cb, arg);
}

static inline void
fetch_port_cancel(const struct fetch_port *p, int id)
{
	p->cancel(p->impl, id);
}

#endif
