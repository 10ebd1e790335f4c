/*
 * http_resp - incremental HTTP/1.x response parser.  The contract is in
 * http_resp.h.
 *
 * Each helper returns 1 (step complete), 0 (need more bytes) or -1
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
 * Find the next line from *pos, ended by LF (a CR before it is
 * dropped).  Returns 1 with line/n set and *pos past the LF, 0 when no
 * LF arrived yet.
 */
static int
next_line(const char *buf, size_t len, size_t *pos, const char **line,
    size_t *n)
{
	const char *lf = memchr(buf + *pos, '\n', len - *pos);

	if (lf == NULL)
		return 0;
	*line = buf + *pos;
	*n = (size_t)(lf - *line);
	if (*n > 0 && (*line)[*n - 1] == '\r')
		(*n)--;
	*pos = (size_t)(lf - buf) + 1;
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
	r->status = r->minor = r->chunked = 0;
	r->content_type[0] = r->location[0] = '\0';
	r->content_length = -1;
}

/* One head from *pos up to and including the empty line. */
static int
parse_head(const char *buf, size_t len, size_t *pos, size_t *nlines,
    struct http_resp *r, char *err, size_t errlen)
{
	const char *l;
	size_t n;
	int ct_seen = 0, rc;

	reset_head(r);
	if (!next_line(buf, len, pos, &l, &n))
		return 0;
	if (parse_status_line(l, n, r, err, errlen) < 0)
		return -1;
	for (;;) {
		if (!next_line(buf, len, pos, &l, &n))
			return 0;
		if (*pos > HTTP_MAX_HEADER || ++*nlines > HTTP_MAX_HEADERS) {
			errbuf_set(err, errlen, "HTTP header larger than %d bytes "
			    "or %d lines", HTTP_MAX_HEADER, HTTP_MAX_HEADERS);
			return -1;
		}
		if (n == 0)
			return 1;
		if ((rc = parse_header(l, n, r, &ct_seen, err, errlen)) < 1)
			return rc;
	}
}

/* Heads until a final (non-1xx) one. */
static int
parse_heads(const char *buf, size_t len, struct http_resp *r, char *err,
    size_t errlen)
{
	size_t pos = 0, nlines = 0;
	int rc;

	for (int interim = 0; interim <= HTTP_MAX_INTERIM; interim++) {
		rc = parse_head(buf, len, &pos, &nlines, r, err, errlen);
		if (rc == 0 && (pos > HTTP_MAX_HEADER
		    || len > HTTP_MAX_HEADER)) {
			errbuf_set(err, errlen, "HTTP header larger than %d bytes",
			    HTTP_MAX_HEADER);
			return -1;
		}
		if (rc < 1)
			return rc;
		if (r->status == 101) {
			errbuf_set(err, errlen, "unexpected 101 response");
			return -1;
		}
		if (r->status >= 200) {
			r->header_len = pos;
			return 1;
		}
	}
	errbuf_set(err, errlen, "too many 1xx responses");
	return -1;
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

/* An incomplete line: wait for more unless it is already too long. */
static int
too_long(size_t have, size_t max, const char *what, char *err, size_t errlen)
{
	if (have <= max)
		return 0;
	errbuf_set(err, errlen, "%s longer than %zu bytes", what, max);
	return -1;
}

/* Decode a chunked body starting at pos into r->body. */
static int
parse_chunked(const char *buf, size_t len, size_t pos, size_t body_max,
    struct http_resp *r, char *err, size_t errlen)
{
	const char *l;
	size_t n, size, start;

	r->body = xmalloc(len - pos + 1);
	for (;;) {
		start = pos;
		if (!next_line(buf, len, &pos, &l, &n))
			return too_long(len - start, CHUNK_LINE_MAX,
			    "chunk size line", err, errlen);
		if (chunk_size(l, n, &size, err, errlen) < 0)
			return -1;
		if (size == 0)
			break;
		if (size > body_max - r->body_len) {
			errbuf_set(err, errlen, "body larger than %zu bytes",
			    body_max);
			return -1;
		}
		if (len - pos < size + 1)
			return 0;
		memcpy(r->body + r->body_len, buf + pos, size);
		r->body_len += size;
		pos += size;
		if (buf[pos] == '\r') {
			if (pos + 1 == len)
				return 0;
			pos++;
		}
		if (buf[pos] != '\n') {
			errbuf_set(err, errlen, "chunk data not followed by CRLF");
			return -1;
		}
		pos++;
	}
	/* Trailer fields, then the empty line. */
	for (;;) {
		start = pos;
		if (!next_line(buf, len, &pos, &l, &n))
			return too_long(len - start, HTTP_MAX_HEADER,
			    "chunked trailer", err, errlen);
		if (n == 0)
			return 1;
	}
}

static int
parse_body(const char *buf, size_t len, int eof, size_t body_max,
    struct http_resp *r, char *err, size_t errlen)
{
	size_t avail = len - r->header_len;

	if (r->status == 204 || r->status == 304) {
		r->body = xstrdup("");
		return 1;
	}
	if (r->chunked)
		return parse_chunked(buf, len, r->header_len, body_max, r, err,
		    errlen);
	if (r->content_length >= 0) {
		if ((unsigned long long)r->content_length > body_max) {
			errbuf_set(err, errlen, "body larger than %zu bytes "
			    "(Content-Length %lld)", body_max,
			    r->content_length);
			return -1;
		}
		avail = avail > (size_t)r->content_length
		    ? (size_t)r->content_length : avail;
		if (avail < (size_t)r->content_length)
			return 0;
	} else if (avail > body_max) {
		errbuf_set(err, errlen, "body larger than %zu bytes", body_max);
		return -1;
	} else if (!eof) {
		return 0;
	}
	r->body = xstrndup(buf + r->header_len, avail);
	r->body_len = avail;
	return 1;
}

enum http_result
http_resp_parse(const char *buf, size_t len, int eof, size_t body_max,
    struct http_resp *r, char *err, size_t errlen)
{
	int rc;

	http_resp_free(r);
	errbuf_set(err, errlen, "%s", "");
	rc = parse_heads(buf, len, r, err, errlen);
	if (rc == 1) {
		r->headers_done = 1;
		rc = parse_body(buf, len, eof, body_max, r, err, errlen);
	}
	if (rc == 1) {
		r->body[r->body_len] = '\0';
		return HTTP_DONE;
	}
	if (rc == 0 && eof) {
		errbuf_set(err, errlen, "premature EOF %s", r->headers_done
		    ? "in HTTP body" : "in HTTP header");
		rc = -1;
	}
	/* The body is valid only when complete. */
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
	return rc < 0 ? HTTP_ERROR : HTTP_NEED_MORE;
}

void
http_resp_free(struct http_resp *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
	r->content_length = -1;
}

int
http_media_type_is(const struct http_resp *r, const char *type)
{
	return strcasecmp(r->content_type, type) == 0;
}
