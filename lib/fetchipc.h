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
 *	char *fetchipc_post_encode(long long id, const char *url,
 *	    const void *body, size_t len);
 *	int fetchipc_post_url(const char *url, char *host, size_t hostlen,
 *	    unsigned *port, const char **path);
 *	char *fetchipc_post_reply_tail(const char *host, int status,
 *	    const char *detail);
 *	void fetchipc_request_clear(struct fetch_req *req);
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
 *
 * POST REQUESTS (TLSRPT reports, RFC 8460 5.4)
 *	fetchipc_post_encode() returns the request line asking the fetcher
 *	to POST body (len bytes, at most FETCH_POST_MAX) to url with media
 *	type application/tlsrpt+gzip:
 *
 *	    {"id":N,"post":"https://host[:port]/path","body":"HEX"}
 *
 *	the body in lower-case hexadecimal (the line stays one line of
 *	printable ASCII; NULL when it cannot be encoded or is too large;
 *	decoding accepts either case).
 *	fetchipc_request_decode() decodes it as well: req->post set,
 *	req->domain the URL's host, req->port, req->path (heap, from "/"),
 *	req->body and req->body_len (heap, decoded); refused (with the
 *	id) for a URL fetchipc_post_url() does not accept or a body that
 *	is not hexadecimal or too large.  Free them with
 *	fetchipc_request_clear() (also right for fetch requests).
 *
 *	fetchipc_post_url() splits "https://" host [":" port] [path]: the
 *	scheme in any case, host an LDH name (normalised like a policy
 *	domain, into host; no IP literal), port 1 to 65535 (default
 *	443), path (*path points into url; "" means "/") of printable
 *	ASCII without space, at most FETCH_POST_PATH_MAX bytes.  1 when
 *	valid, else 0.  No userinfo.
 *
 *	fetchipc_post_reply_tail() is the reply (as fetchipc_reply_tail()):
 *	{"domain":host,"ok":B,"post":true,"status":S,"detail":D}, ok when
 *	status is 2xx (RFC 8460 5.4: a successful response); status 0 when
 *	no HTTP response came (detail says why).  fetchipc_reply_decode()
 *	reads it into out->post, out->status; an ok post reply needs no
 *	policy; a failed one gets error FETCH_ERR_POST.
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
#define FETCH_ERR_POST		"post-failed"

#define FETCH_POST_MAX		(1024 * 1024)	/* body bytes */
#define FETCH_POST_PATH_MAX	1024
#define FETCH_POST_LINE_MAX	(2 * FETCH_POST_MAX + 4096)

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
	int post;			/* a POST request: */
	unsigned port;
	char *path;			/* heap */
	unsigned char *body;		/* heap */
	size_t body_len;
};

struct fetchipc_reply {
	long long id;			/* -1: none */
	int ok;
	json_t *policy;			/* borrowed; NULL unless ok */
	int64_t fetched_at;
	const char *error, *detail;	/* unless ok; borrowed */
	json_t *root;			/* what they are borrowed from */
	int post;			/* a POST reply */
	int status;			/* its HTTP status, 0 for none */
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

char *fetchipc_post_encode(long long id, const char *url, const void *body,
    size_t len);
int fetchipc_post_url(const char *url, char *host, size_t hostlen,
    unsigned *port, const char **path);
char *fetchipc_post_reply_tail(const char *host, int status,
    const char *detail);
void fetchipc_request_clear(struct fetch_req *req);

#endif
