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
 *	http_resp_parse() looks at all the bytes of a response received so
 *	far (buf, len; no NUL needed) and says:
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
 *	It is pure and stateless: each call parses from the start, so the
 *	caller just appends bytes and calls again (responses are small:
 *	HTTP_MAX_HEADER + body_max at most).  *r must be zeroed before the
 *	first call; each call first frees what a previous call left in *r;
 *	call http_resp_free() when done.
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
};

enum http_result http_resp_parse(const char *buf, size_t len, int eof,
    size_t body_max, struct http_resp *r, char *err, size_t errlen);
void http_resp_free(struct http_resp *r);
int http_media_type_is(const struct http_resp *r, const char *type);

#endif
