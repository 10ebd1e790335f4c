/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	http_resp - incremental HTTP/1.x response parser for stsfetch
 *
 * SYNOPSIS
 *	#include "http_resp.h"
 *
 *	enum http_result http_resp_parse(const char *buf, size_t len,
 *	    int eof, size_t body_max, struct http_resp *r,
 *	    char *err, size_t errlen);
 *	void http_resp_free(struct http_resp *r);
 *	int  http_media_type_is(const struct http_resp *r, const char *type);
 *
 * DESCRIPTION
 *	http_resp_parse() is given all the bytes of a response received so
 *	far (buf, len; no NUL needed; the same bytes as in the previous
 *	call, with more appended: buf itself may move) and says:
 *
 *	HTTP_NEED_MORE	not complete yet; call again with more bytes.
 *			Once r->headers_done is set the status and headers
 *			are valid, so a caller may give up early (e.g. on
 *			a 404) without waiting for the body.
 *	HTTP_DONE	complete: r->body holds r->body_len bytes (decoded
 *			from chunked encoding, NUL-terminated, owned by r).
 *	HTTP_ERROR	malformed or over a limit; err says why.
 *
 *	eof tells that the peer closed the connection after these bytes:
 *	it completes a body that has no length (no Content-Length, not
 *	chunked), and turns any other incomplete response into an error
 *	("premature EOF").  Bytes after a complete body are ignored.
 *
 *	It is pure and incremental: *r keeps the parser's state, and a call
 *	resumes where the previous one stopped, so each byte is examined a
 *	bounded number of times however the response is cut into reads
 *	(r->examined counts the bytes looked at, for tests: at most a small
 *	multiple of len).  *r must be zeroed before the first call of a
 *	response (http_resp_free() leaves it so); after HTTP_DONE or
 *	HTTP_ERROR further calls give the same result.  The body is kept
 *	apart until complete: r->body is NULL unless HTTP_DONE.  Call
 *	http_resp_free() when done.
 *
 *	Checked: status line "HTTP/1.x DDD reason" (x = 0 or 1); 1xx
 *	interim responses are skipped; header lines "name: value" (token
 *	name, no obsolete line folding, no control bytes), at most
 *	HTTP_MAX_HEADER bytes and HTTP_MAX_HEADERS lines in all; one
 *	Content-Length (repeats must agree); Transfer-Encoding must be
 *	exactly "chunked" (it overrides Content-Length, RFC 7230 3.3.3);
 *	any Content-Encoding other than "identity" is an error (we never
 *	ask for one).  A body longer than body_max is an error, never
 *	truncated: with Content-Length it is refused at once.
 *
 *	r->content_type is the media type, lower-cased, parameters and
 *	whitespace removed ("" when absent).  http_media_type_is() compares
 *	it case-insensitively.  r->location is the Location header (for a
 *	redirect message), made safe for logging.
 */
#ifndef TLSPOL_HTTP_RESP_H
#define TLSPOL_HTTP_RESP_H

#include <stddef.h>

#define HTTP_MAX_HEADER		16384
#define HTTP_MAX_HEADERS	100
#define HTTP_MAX_INTERIM	5	/* 1xx responses before the real one */

/* Parser phases (struct http_resp, phase). */
enum {
	HTTP_P_STATUS = 0,
	HTTP_P_HEADERS,
	HTTP_P_BODY,
	HTTP_P_CHUNK_SIZE,
	HTTP_P_CHUNK_DATA,
	HTTP_P_CHUNK_END,
	HTTP_P_TRAILER,
	HTTP_P_DONE,
	HTTP_P_FAILED
};

enum http_result {
	HTTP_NEED_MORE,
	HTTP_DONE,
	HTTP_ERROR
};

struct http_resp {
	int headers_done;
	int status;			/* 100..999 */
	int minor;			/* HTTP/1.minor */
	char content_type[128];
	char location[256];
	long long content_length;	/* -1 when absent */
	int chunked;
	size_t header_len;		/* bytes up to the body */
	char *body;
	size_t body_len;
	unsigned long long examined;	/* bytes looked at, all calls */
	/* Parser state between calls: http_resp.c's own. */
	int phase;
	size_t pos, scan;		/* consumed; LF searched up to */
	size_t nlines;
	int interim, ct_seen;
	size_t chunk_left;
	char *acc;			/* body so far */
	size_t acc_len, acc_cap;
	char error[160];		/* why it failed, for later calls */
};

enum http_result http_resp_parse(const char *buf, size_t len, int eof,
    size_t body_max, struct http_resp *r, char *err, size_t errlen);
void http_resp_free(struct http_resp *r);
int http_media_type_is(const struct http_resp *r, const char *type);

#endif
