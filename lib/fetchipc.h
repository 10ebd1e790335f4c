/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fetchipc - the fetcher's messages: one pure codec for both sides
 *
 * SYNOPSIS
 *	#include "fetchipc.h"
 *
 *	char *fetchipc_request_encode(long long id, const char *domain,
 *	    const char *policy_id, int force);
 *	int fetchipc_request_decode(const char *line, size_t len,
 *	    struct fetch_req *req, char *why, size_t whylen);
 *	int fetchipc_domain(const char *in, char *out, size_t outlen);
 *	char *fetchipc_reply_tail(const char *domain,
 *	    const struct sts_policy *p, int64_t fetched_at,
 *	    const char *type, const char *detail);
 *	int fetchipc_reply_decode(const char *line, size_t len,
 *	    struct fetchipc_reply *out, char *why, size_t whylen);
 *	void fetchipc_reply_clear(struct fetchipc_reply *r);
 *
 * DESCRIPTION
 *	tlspolicyd (fetchctl.c) and stsfetch(8) exchange one JSON object
 *	per line (see fetchctl.h and stsfetch(8)); tlsmap probe reads the
 *	reply of stsfetch's one-shot mode.  Every message is encoded and
 *	decoded here, with no I/O, clock or global state: all three use
 *	this module, and it can be tested and fuzzed alone.
 *
 *	fetchipc_request_encode() returns the request line (no newline),
 *	to be freed, or NULL when it cannot be encoded.
 *
 *	fetchipc_request_decode() decodes one request line: FETCH_REQ_OK
 *	with *req filled (domain normalised); FETCH_REQ_REFUSED when the id
 *	is readable but the rest is not acceptable (answer req->id with
 *	error FETCH_ERR_FETCH and detail req->refusal, for domain
 *	req->domain, as sent); FETCH_REQ_SKIP when not even the id is
 *	readable.  why is a log line on refusal or skip.
 *
 *	fetchipc_domain() normalises a request's policy domain: one
 *	trailing dot dropped, lower case, a valid A-label host name with a
 *	dot, short enough for "mta-sts." in front; 1 when valid, else 0.
 *
 *	fetchipc_reply_tail() returns a reply object without its id, as
 *	JSON text after its '{' (the caller prepends {"id":N,): with p, a
 *	policy ("ok":true, "policy", "fetched_at"); without, an error
 *	("ok":false, "error" type, "detail").  Keys sorted.  The caller
 *	frees it; NULL when it cannot be encoded.
 *
 *	fetchipc_reply_decode() decodes one reply line: 0 with *out (id -1
 *	when it has none; an "ok" reply without a policy object becomes a
 *	failure FETCH_ERR_INVALID; a failure without error or detail gets
 *	FETCH_ERR_FETCH and "no detail"), -1 with why when it is not a
 *	reply.  out->policy is the policy object as sent, borrowed from
 *	out until fetchipc_reply_clear(): untrusted, the receiver validates
 *	it (sts_policy_from_json()).
 */
#ifndef TLSPOL_FETCHIPC_H
#define TLSPOL_FETCHIPC_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "domain.h"
#include "sts_policy.h"
#include "sts_txt.h"

#define FETCH_ERR_FETCH		"sts-policy-fetch-error"
#define FETCH_ERR_INVALID	"sts-policy-invalid"
#define FETCH_ERR_WEBPKI	"sts-webpki-invalid"

enum {
	FETCH_REQ_OK = 0,
	FETCH_REQ_REFUSED = -1,
	FETCH_REQ_SKIP = -2
};

struct fetch_req {
	long long id;
	char domain[DOMAIN_MAX + 1];
	char policy_id[STS_ID_MAX + 1];
	int force;
	const char *refusal;		/* reply detail, FETCH_REQ_REFUSED */
};

struct fetchipc_reply {
	long long id;			/* -1: none */
	int ok;
	json_t *policy;			/* borrowed; NULL unless ok */
	int64_t fetched_at;
	const char *error, *detail;	/* unless ok; borrowed */
	json_t *root;			/* what they are borrowed from */
};

char *fetchipc_request_encode(long long id, const char *domain,
    const char *policy_id, int force);
int fetchipc_request_decode(const char *line, size_t len,
    struct fetch_req *req, char *why, size_t whylen);
int fetchipc_domain(const char *in, char *out, size_t outlen);
char *fetchipc_reply_tail(const char *domain, const struct sts_policy *p,
    int64_t fetched_at, const char *type, const char *detail);
int fetchipc_reply_decode(const char *line, size_t len,
    struct fetchipc_reply *out, char *why, size_t whylen);
void fetchipc_reply_clear(struct fetchipc_reply *r);

#endif
