/* SPDX-License-Identifier: MIT */
/*
 * fetchproto - stsfetch's pure parts.  The contract is in fetchproto.h.
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetchproto.h"
#include "log.h"
#include "util.h"

size_t
fetchproto_http_request(char *buf, size_t len, const char *host)
{
	int n = snprintf(buf, len,
	    "GET /.well-known/mta-sts.txt HTTP/1.1\r\n"
	    "Host: %s\r\n"
	    "User-Agent: stsfetch/%s (tlspolicyd)\r\n"
	    "Accept: text/plain\r\n"
	    "Connection: close\r\n\r\n", host, PACKAGE_VERSION);

	return n < 0 || (size_t)n >= len ? 0 : (size_t)n;
}

int
fetchproto_check_head(const struct http_resp *r, const char **type,
    char *detail, size_t dlen)
{
	*type = FETCH_ERR_FETCH;
	if (r->status >= 300 && r->status < 400) {
		errbuf_set(detail, dlen, "HTTP status %d (redirect%s%s not "
		    "followed)", r->status, r->location[0] ? " to " : "",
		    r->location);
		return -1;
	}
	if (r->status != 200) {
		errbuf_set(detail, dlen, "HTTP status %d", r->status);
		return -1;
	}
	if (!http_media_type_is(r, "text/plain")) {
		*type = FETCH_ERR_INVALID;
		errbuf_set(detail, dlen, "content type %s, not text/plain",
		    r->content_type[0] ? r->content_type : "missing");
		return -1;
	}
	*type = NULL;
	return 0;
}

int
fetchproto_response(struct http_resp *r, const char *buf, size_t len,
    int eof, const char **type, char *detail, size_t dlen)
{
	enum http_result res = http_resp_parse(buf, len, eof,
	    STS_POLICY_MAX_BODY, r, detail, dlen);

	if (r->headers_done && fetchproto_check_head(r, type, detail,
	    dlen) < 0)
		return -1;
	if (res == HTTP_ERROR) {
		*type = FETCH_ERR_FETCH;
		return -1;
	}
	return res == HTTP_DONE;
}

size_t
fetchproto_http_post(char *buf, size_t len, const char *host, unsigned port,
    const char *path, size_t body_len)
{
	char hostport[DOMAIN_MAX + 8];
	int n;

	if (port == 443)
		snprintf(hostport, sizeof(hostport), "%s", host);
	else
		snprintf(hostport, sizeof(hostport), "%s:%u", host, port);
	n = snprintf(buf, len,
	    "POST %s HTTP/1.1\r\n"
	    "Host: %s\r\n"
	    "User-Agent: stsfetch/%s (tlspolicyd)\r\n"
	    "Content-Type: application/tlsrpt+gzip\r\n"
	    "Content-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", path[0] ? path : "/", hostport,
	    PACKAGE_VERSION, body_len);
	return n < 0 || (size_t)n >= len ? 0 : (size_t)n;
}

int
fetchproto_post_response(struct http_resp *r, const char *buf, size_t len,
    int eof, int *status, char *detail, size_t dlen)
{
	enum http_result res = http_resp_parse(buf, len, eof, HTTP_MAX_HEADER,
	    r, detail, dlen);

	if (r->headers_done) {
		*status = r->status;
		return 1;
	}
	if (res == HTTP_ERROR)
		return -1;
	return 0;
}
