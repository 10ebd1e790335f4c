/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fetchproto - stsfetch's pure parts: HTTP request and response
 *	judgement (the JSON messages to and from tlspolicyd are
 *	lib/fetchipc.h)
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
 *	size_t fetchproto_http_post(char *buf, size_t len, const char *host,
 *	    unsigned port, const char *path, size_t body_len);
 *	int fetchproto_post_response(struct http_resp *r, const char *buf,
 *	    size_t len, int eof, int *status, char *detail, size_t dlen);
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
 *	fetchproto_http_post() writes the head of a TLSRPT report POST
 *	(RFC 8460 5.4) to https://HOST[:PORT]PATH: Host (with the port
 *	unless 443), Content-Type application/tlsrpt+gzip, Content-Length
 *	body_len, Connection: close; the body follows it.  It returns its
 *	length, or 0 when it does not fit.
 *
 *	fetchproto_post_response() reads the receiver's answer only as far
 *	as its status (the body is of no interest): 1 with *status once
 *	the head is complete, 0 when more bytes are needed, -1 with detail
 *	when the bytes are not an HTTP response (or the connection ended
 *	before its head).  2xx means accepted; redirects are not followed.
 */
#ifndef TLSPOL_FETCHPROTO_H
#define TLSPOL_FETCHPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "fetchipc.h"
#include "http_resp.h"

size_t fetchproto_http_request(char *buf, size_t len, const char *host);
int fetchproto_check_head(const struct http_resp *r, const char **type,
    char *detail, size_t dlen);
int fetchproto_response(struct http_resp *r, const char *buf, size_t len,
    int eof, const char **type, char *detail, size_t dlen);
size_t fetchproto_http_post(char *buf, size_t len, const char *host,
    unsigned port, const char *path, size_t body_len);
int fetchproto_post_response(struct http_resp *r, const char *buf,
    size_t len, int eof, int *status, char *detail, size_t dlen);

#endif
