/*
 * NAME
 *	fetchproto - stsfetch's pure parts: HTTP request and response
 *	judgement, and the JSON messages to and from tlspolicyd
 *
 * SYNOPSIS
 *	#include "fetchproto.h"
 *
 *	size_t fetchproto_http_request(char *buf, size_t len,
 *	    const char *host);
 *	int fetchproto_check_head(const struct http_resp *r,
 *	    const char **type, char *detail, size_t dlen);
 *	int fetchproto_response(struct http_resp *r, const char *buf,
 *	    size_t len, int eof, const char **type, char *detail,
 *	    size_t dlen);
 *	int fetchproto_domain(const char *in, char *out, size_t outlen);
 *	int fetchproto_request(const char *line, size_t len,
 *	    struct fetch_req *req, char *why, size_t whylen);
 *	char *fetchproto_reply_tail(const char *domain,
 *	    const struct sts_policy *p, int64_t fetched_at,
 *	    const char *type, const char *detail);
 *
 * DESCRIPTION
 *	stsfetch(8) moves bytes; this module decides what they mean, with
 *	no I/O, clock or global state, so that every rule has a unit test.
 *
 *	fetchproto_http_request() writes the GET request for
 *	https://HOST/.well-known/mta-sts.txt into buf and returns its
 *	length, or 0 when it does not fit.
 *
 *	fetchproto_check_head() judges a response head (r->headers_done
 *	set): RFC 8461 3.3 accepts status 200 with media type text/plain
 *	only, and redirects are never followed.  It returns 0 when the
 *	body is worth reading, else -1 with *type the TLSRPT result
 *	(FETCH_ERR_FETCH for any status but 200, a redirect being named
 *	"redirect ... not followed"; FETCH_ERR_INVALID for another media
 *	type) and a reason in detail.  The status is judged before the
 *	media type, whatever the body.
 *
 *	fetchproto_response() feeds the bytes received so far to
 *	http_resp_parse() (same contract: the same bytes again with more
 *	appended; *r zeroed before the first call) and judges the head as
 *	soon as it is complete.  It returns 1 when the response is
 *	complete and acceptable (r->body is the policy text), 0 when more
 *	bytes are needed, -1 with *type and detail when it is refused.
 *
 *	fetchproto_domain() normalises a request's policy domain: one
 *	trailing dot dropped, lower case, a valid A-label host name with a
 *	dot, short enough for "mta-sts." in front; 1 when valid, else 0.
 *
 *	fetchproto_request() decodes one request line (see stsfetch(8)):
 *	FETCH_REQ_OK with *req filled (domain normalised); FETCH_REQ_REFUSED
 *	when the id is readable but the rest is not acceptable (answer
 *	req->id with error FETCH_ERR_FETCH and detail req->refusal, for
 *	domain req->domain, as sent); FETCH_REQ_SKIP when not even the id
 *	is readable.  why is a log line on refusal or skip.
 *
 *	fetchproto_reply_tail() returns a reply object without its id, as
 *	JSON text after its '{' (the caller prepends {"id":N,): with p, a
 *	policy ("ok":true, "policy", "fetched_at"); without, an error
 *	("ok":false, "error" type, "detail").  Keys sorted.  The caller
 *	frees it; NULL when it cannot be encoded.
 */
#ifndef TLSPOL_FETCHPROTO_H
#define TLSPOL_FETCHPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "http_resp.h"
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

size_t fetchproto_http_request(char *buf, size_t len, const char *host);
int fetchproto_check_head(const struct http_resp *r, const char **type,
    char *detail, size_t dlen);
int fetchproto_response(struct http_resp *r, const char *buf, size_t len,
    int eof, const char **type, char *detail, size_t dlen);
int fetchproto_domain(const char *in, char *out, size_t outlen);
int fetchproto_request(const char *line, size_t len, struct fetch_req *req,
    char *why, size_t whylen);
char *fetchproto_reply_tail(const char *domain, const struct sts_policy *p,
    int64_t fetched_at, const char *type, const char *detail);

#endif
