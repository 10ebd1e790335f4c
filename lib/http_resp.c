/* SPDX-License-Identifier: MIT */
/*
 * http_resp - incremental HTTP/1.x response parser.  The contract is in
 * http_resp.h.
 *
 * The parser is a state machine over the bytes so far: r->phase says
 * what comes next, r->pos how far the bytes are consumed, r->scan how
 * far the current line was searched for its LF.  A call resumes there,
 * so each byte is looked at a bounded number of times however the
 * response is cut into reads (r->examined counts them, for tests).
 *
 * Each step returns 1 (step complete), 0 (need more bytes) or -1
 * (error, err set); the driver stops at the first non-1.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_resp.h"
#include "util.h"

#define CHUNK_LINE_MAX	1024	/* chunk-size line with extensions */
#define CHUNK_HEX_MAX	8	/* digits of a chunk size */

static int
is_tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
	    || (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/*
 * The next line from r->pos, ended by LF (a CR before it is dropped).
 * Returns 1 with line/n set and r->pos past the LF, 0 when no LF arrived
 * yet (the search resumes at r->scan next time).
 */
static int
next_line(struct http_resp *r, const char *buf, size_t len, const char **line,
    size_t *n)
{
	size_t from = r->scan > r->pos ? r->scan : r->pos;
	const char *lf = memchr(buf + from, '\n', len - from);

	if (lf == NULL) {
		r->examined += len - from;
		r->scan = len;
		return 0;
	}
	r->examined += (size_t)(lf - (buf + from)) + 1;
	*line = buf + r->pos;
	*n = (size_t)(lf - *line);
	r->examined += *n;	/* the line's parser reads it once */
	if (*n > 0 && (*line)[*n - 1] == '\r')
		(*n)--;
	r->pos = r->scan = (size_t)(lf - buf) + 1;
	return 1;
}

static int
parse_status_line(const char *l, size_t n, struct http_resp *r, char *err,
    size_t errlen)
{
	if (n < 12 || memcmp(l, "HTTP/1.", 7) != 0 || (l[7] != '0'
	    && l[7] != '1') || l[8] != ' ' || !is_digit(l[9])
	    || !is_digit(l[10]) || !is_digit(l[11]) || l[9] == '0'
	    || (n > 12 && l[12] != ' ')) {
		errbuf_set(err, errlen, "malformed HTTP status line");
		return -1;
	}
	for (size_t i = 12; i < n; i++) {
		unsigned char c = (unsigned char)l[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			errbuf_set(err, errlen, "control byte in HTTP status "
			    "line");
			return -1;
		}
	}
	r->minor = l[7] - '0';
	r->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	return 1;
}

/* Copy value into dst (size dstlen), printable ASCII only. */
static void
copy_safe(char *dst, size_t dstlen, const char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n && i + 1 < dstlen; i++) {
		unsigned char c = (unsigned char)v[i];
		dst[i] = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
		    ? (char)c : '?';
	}
	dst[i] = '\0';
}

static int
value_is(const char *v, size_t n, const char *word)
{
	return n == strlen(word) && strncasecmp(v, word, n) == 0;
}

static int
set_content_length(const char *v, size_t n, struct http_resp *r, char *err,
    size_t errlen)
{
	long long cl = 0;

	if (n == 0 || n > 18) {
		errbuf_set(err, errlen, "bad Content-Length");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!is_digit((unsigned char)v[i])) {
			errbuf_set(err, errlen, "bad Content-Length");
			return -1;
		}
		cl = cl * 10 + (v[i] - '0');
	}
	if (r->content_length >= 0 && r->content_length != cl) {
		errbuf_set(err, errlen, "conflicting Content-Length headers");
		return -1;
	}
	r->content_length = cl;
	return 1;
}

static int
set_content_type(const char *v, size_t n, struct http_resp *r, int *seen,
    char *err, size_t errlen)
{
	const char *semi = memchr(v, ';', n);

	if ((*seen)++) {
		errbuf_set(err, errlen, "repeated Content-Type header");
		return -1;
	}
	if (semi != NULL)
		n = (size_t)(semi - v);
	while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	copy_safe(r->content_type, sizeof(r->content_type), v, n);
	str_lower(r->content_type);
	return 1;
}

/* One "name: value" header line (n > 0). */
static int
parse_header(const char *l, size_t n, struct http_resp *r, int *ct_seen,
    char *err, size_t errlen)
{
	size_t k = 0, vs, ve;

	if (l[0] == ' ' || l[0] == '\t') {
		errbuf_set(err, errlen, "obsolete header line folding");
		return -1;
	}
	while (k < n && is_tchar((unsigned char)l[k]))
		k++;
	if (k == 0 || k == n || l[k] != ':') {
		errbuf_set(err, errlen, "malformed HTTP header line");
		return -1;
	}
	for (vs = k + 1; vs < n && (l[vs] == ' ' || l[vs] == '\t'); vs++)
		;
	for (ve = n; ve > vs && (l[ve - 1] == ' ' || l[ve - 1] == '\t'); ve--)
		;
	for (size_t i = vs; i < ve; i++) {
		unsigned char c = (unsigned char)l[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			errbuf_set(err, errlen, "control byte in HTTP header");
			return -1;
		}
	}
	if (value_is(l, k, "Content-Length"))
		return set_content_length(l + vs, ve - vs, r, err, errlen);
	if (value_is(l, k, "Content-Type"))
		return set_content_type(l + vs, ve - vs, r, ct_seen, err,
		    errlen);
	if (value_is(l, k, "Transfer-Encoding")) {
		if (r->chunked || !value_is(l + vs, ve - vs, "chunked")) {
			errbuf_set(err, errlen, "unsupported Transfer-Encoding");
			return -1;
		}
		r->chunked = 1;
	} else if (value_is(l, k, "Content-Encoding")) {
		if (!value_is(l + vs, ve - vs, "identity")) {
			errbuf_set(err, errlen, "Content-Encoding not supported");
			return -1;
		}
	} else if (value_is(l, k, "Location")) {
		copy_safe(r->location, sizeof(r->location), l + vs, ve - vs);
	}
	return 1;
}

/* Reset what one head (status line + headers) describes. */
static void
reset_head(struct http_resp *r)
{
	r->status = r->minor = r->chunked = r->ct_seen = 0;
	r->content_type[0] = r->location[0] = '\0';
	r->content_length = -1;
}

/* Incomplete head: wait for more unless it is already too large. */
static int
head_need_more(const struct http_resp *r, size_t len, char *err,
    size_t errlen)
{
	if (r->pos <= HTTP_MAX_HEADER && len <= HTTP_MAX_HEADER)
		return 0;
	errbuf_set(err, errlen, "HTTP header larger than %d bytes",
	    HTTP_MAX_HEADER);
	return -1;
}

static int
step_status(struct http_resp *r, const char *buf, size_t len, char *err,
    size_t errlen)
{
	const char *l;
	size_t n;

	if (!next_line(r, buf, len, &l, &n))
		return head_need_more(r, len, err, errlen);
	reset_head(r);
	if (parse_status_line(l, n, r, err, errlen) < 0)
		return -1;
	r->phase = HTTP_P_HEADERS;
	return 1;
}

/* The empty line: a final head starts the body, a 1xx one another head. */
static int
end_of_head(struct http_resp *r, char *err, size_t errlen)
{
	if (r->status == 101) {
		errbuf_set(err, errlen, "unexpected 101 response");
		return -1;
	}
	if (r->status >= 200) {
		r->header_len = r->pos;
		r->headers_done = 1;
		r->phase = HTTP_P_BODY;
		return 1;
	}
	if (++r->interim > HTTP_MAX_INTERIM) {
		errbuf_set(err, errlen, "too many 1xx responses");
		return -1;
	}
	r->phase = HTTP_P_STATUS;
	return 1;
}

static int
step_header(struct http_resp *r, const char *buf, size_t len, char *err,
    size_t errlen)
{
	const char *l;
	size_t n;

	if (!next_line(r, buf, len, &l, &n))
		return head_need_more(r, len, err, errlen);
	if (r->pos > HTTP_MAX_HEADER || ++r->nlines > HTTP_MAX_HEADERS) {
		errbuf_set(err, errlen, "HTTP header larger than %d bytes "
		    "or %d lines", HTTP_MAX_HEADER, HTTP_MAX_HEADERS);
		return -1;
	}
	if (n == 0)
		return end_of_head(r, err, errlen);
	return parse_header(l, n, r, &r->ct_seen, err, errlen);
}

static int
chunk_size(const char *l, size_t n, size_t *size, char *err, size_t errlen)
{
	size_t i = 0, v = 0;

	for (; i < n && i <= CHUNK_HEX_MAX; i++) {
		int c = (unsigned char)l[i], d;
		if (is_digit(c))
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			break;
		v = v * 16 + (size_t)d;
	}
	if (i == 0 || i > CHUNK_HEX_MAX || (i < n && l[i] != ';'
	    && l[i] != ' ' && l[i] != '\t')) {
		errbuf_set(err, errlen, "malformed chunk size");
		return -1;
	}
	*size = v;
	return 1;
}

/*
 * A line of have bytes (its CR LF not counted) that may be no longer than
 * max: 0, or -1 with err set.  Applied to an incomplete line (wait for
 * more unless it is already too long) and to a complete one alike, so
 * the verdict does not depend on where the reads cut the response.
 */
static int
too_long(size_t have, size_t max, const char *what, char *err, size_t errlen)
{
	if (have <= max)
		return 0;
	errbuf_set(err, errlen, "%s longer than %zu bytes", what, max);
	return -1;
}

/*
 * The bytes of the incomplete line at r->pos, a CR at its end not
 * counted (like the CR of a complete line), so that the limit is the
 * same before and after its LF arrives.
 */
static size_t
partial_len(const struct http_resp *r, const char *buf, size_t len)
{
	size_t have = len - r->pos;

	return have > 0 && buf[len - 1] == '\r' ? have - 1 : have;
}

/* Room for want more body bytes and a NUL in the decoded body. */
static void
body_room(struct http_resp *r, size_t want)
{
	size_t need = r->acc_len + want + 1;

	if (need <= r->acc_cap)
		return;
	r->acc_cap = need > 2 * r->acc_cap ? need : 2 * r->acc_cap;
	r->acc = xrealloc(r->acc, r->acc_cap);
}

/*
 * The next line of the chunked framing (a chunk size line or a trailer
 * field) in *l and *n, held to max bytes before and after its LF
 * arrives: 1; 0 while it is incomplete and within max; -1 beyond (err
 * names what).
 */
static int
chunk_line(struct http_resp *r, const char *buf, size_t len, size_t max,
    const char *what, const char **l, size_t *n, char *err, size_t errlen)
{
	if (!next_line(r, buf, len, l, n))
		return too_long(partial_len(r, buf, len), max, what, err,
		    errlen);
	return too_long(*n, max, what, err, errlen) < 0 ? -1 : 1;
}

static int
step_chunk_size(struct http_resp *r, const char *buf, size_t len,
    size_t body_max, char *err, size_t errlen)
{
	const char *l;
	size_t n, size;
	int rc = chunk_line(r, buf, len, CHUNK_LINE_MAX, "chunk size line",
	    &l, &n, err, errlen);

	if (rc <= 0)
		return rc;
	if (chunk_size(l, n, &size, err, errlen) < 0)
		return -1;
	if (size == 0) {
		r->phase = HTTP_P_TRAILER;
		return 1;
	}
	if (size > body_max - r->acc_len) {
		errbuf_set(err, errlen, "body larger than %zu bytes", body_max);
		return -1;
	}
	body_room(r, size);
	r->chunk_left = size;
	r->phase = HTTP_P_CHUNK_DATA;
	return 1;
}

static int
step_chunk_data(struct http_resp *r, const char *buf, size_t len)
{
	size_t k = len - r->pos < r->chunk_left ? len - r->pos : r->chunk_left;

	memcpy(r->acc + r->acc_len, buf + r->pos, k);
	r->examined += k;
	r->acc_len += k;
	r->pos += k;
	r->chunk_left -= k;
	if (r->chunk_left > 0)
		return 0;
	r->phase = HTTP_P_CHUNK_END;
	return 1;
}

/* The CRLF (or LF) after a chunk's data. */
static int
step_chunk_end(struct http_resp *r, const char *buf, size_t len, char *err,
    size_t errlen)
{
	size_t p = r->pos;

	if (p < len && buf[p] == '\r')
		p++;
	r->examined += p - r->pos + 1;
	if (p >= len)
		return 0;
	if (buf[p] != '\n') {
		errbuf_set(err, errlen, "chunk data not followed by CRLF");
		return -1;
	}
	r->pos = r->scan = p + 1;
	r->phase = HTTP_P_CHUNK_SIZE;
	return 1;
}

/* Trailer fields, then the empty line. */
static int
step_trailer(struct http_resp *r, const char *buf, size_t len, char *err,
    size_t errlen)
{
	const char *l;
	size_t n;
	int rc = chunk_line(r, buf, len, HTTP_MAX_HEADER, "chunked trailer",
	    &l, &n, err, errlen);

	if (rc > 0 && n == 0)
		r->phase = HTTP_P_DONE;
	return rc;
}

/* A body framed by Content-Length, or by the end of the connection. */
static int
step_plain_body(struct http_resp *r, const char *buf, size_t len, int eof,
    size_t body_max, char *err, size_t errlen)
{
	size_t avail = len - r->header_len;

	if (r->content_length >= 0) {
		if ((unsigned long long)r->content_length > body_max) {
			errbuf_set(err, errlen, "body larger than %zu bytes "
			    "(Content-Length %lld)", body_max,
			    r->content_length);
			return -1;
		}
		if (avail < (size_t)r->content_length)
			return 0;
		avail = (size_t)r->content_length;
	} else if (avail > body_max) {
		errbuf_set(err, errlen, "body larger than %zu bytes", body_max);
		return -1;
	} else if (!eof) {
		return 0;
	}
	body_room(r, avail);
	memcpy(r->acc, buf + r->header_len, avail);
	r->acc_len = avail;
	r->examined += avail;
	r->phase = HTTP_P_DONE;
	return 1;
}

static int
step_body(struct http_resp *r, const char *buf, size_t len, int eof,
    size_t body_max, char *err, size_t errlen)
{
	if (r->status == 204 || r->status == 304) {
		body_room(r, 0);
		r->phase = HTTP_P_DONE;
		return 1;
	}
	if (r->chunked) {
		r->phase = HTTP_P_CHUNK_SIZE;
		return 1;
	}
	return step_plain_body(r, buf, len, eof, body_max, err, errlen);
}

/* One step of the state machine. */
static int
step(struct http_resp *r, const char *buf, size_t len, int eof,
    size_t body_max, char *err, size_t errlen)
{
	switch (r->phase) {
	case HTTP_P_STATUS:
		return step_status(r, buf, len, err, errlen);
	case HTTP_P_HEADERS:
		return step_header(r, buf, len, err, errlen);
	case HTTP_P_BODY:
		return step_body(r, buf, len, eof, body_max, err, errlen);
	case HTTP_P_CHUNK_SIZE:
		return step_chunk_size(r, buf, len, body_max, err, errlen);
	case HTTP_P_CHUNK_DATA:
		return step_chunk_data(r, buf, len);
	case HTTP_P_CHUNK_END:
		return step_chunk_end(r, buf, len, err, errlen);
	case HTTP_P_TRAILER:
		return step_trailer(r, buf, len, err, errlen);
	}
	errbuf_set(err, errlen, "HTTP parser in an unknown state");
	return -1;
}

enum http_result
http_resp_parse(const char *buf, size_t len, int eof, size_t body_max,
    struct http_resp *r, char *err, size_t errlen)
{
	int rc = 1;

	errbuf_set(err, errlen, "%s", "");
	if (r->phase == HTTP_P_FAILED) {
		errbuf_set(err, errlen, "%s", r->error);
		return HTTP_ERROR;
	}
	while (rc == 1 && r->phase != HTTP_P_DONE)
		rc = step(r, buf, len, eof, body_max, err, errlen);
	if (r->phase == HTTP_P_DONE) {
		if (r->body == NULL) {
			body_room(r, 0);	/* an empty chunked body has none */
			r->body = r->acc;
			r->body_len = r->acc_len;
			r->body[r->body_len] = '\0';
			r->acc = NULL;
		}
		return HTTP_DONE;
	}
	if (rc == 0 && eof) {
		errbuf_set(err, errlen, "premature EOF %s", r->headers_done
		    ? "in HTTP body" : "in HTTP header");
		rc = -1;
	}
	if (rc == 0)
		return HTTP_NEED_MORE;
	/* Refused: later calls say so again; no partial body is kept. */
	r->phase = HTTP_P_FAILED;
	snprintf(r->error, sizeof(r->error), "%s", err);
	free(r->acc);
	r->acc = NULL;
	r->acc_len = r->acc_cap = 0;
	return HTTP_ERROR;
}

void
http_resp_free(struct http_resp *r)
{
	free(r->body);
	free(r->acc);
	memset(r, 0, sizeof(*r));
	r->content_length = -1;
}

int
http_media_type_is(const struct http_resp *r, const char *type)
{
	return strcasecmp(r->content_type, type) == 0;
}
