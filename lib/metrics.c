/* SPDX-License-Identifier: MIT */
/*
 * metrics - Prometheus text exposition and its HTTP request.  See
 * metrics.h.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"
#include "util.h"

/* From 100 us (a cache hit) to 10 s (DNS and fetch time-outs). */
const uint64_t metrics_bucket_us[METRICS_BUCKETS] = {
	100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
	250000, 500000, 1000000, 2500000, 5000000, 10000000
};

void
mtext_printf(struct mtext *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf ? t->buf + t->len : NULL,
		    t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		t->cap = (t->cap + (size_t)n + 1) * 2;
		t->buf = xrealloc(t->buf, t->cap);
	}
}

void
mtext_free(struct mtext *t)
{
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

void
metrics_family(struct mtext *t, const char *name, const char *type,
    const char *help)
{
	mtext_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void
metrics_sample(struct mtext *t, const char *name, const char *labels,
    unsigned long long value)
{
	if (labels == NULL || *labels == '\0')
		mtext_printf(t, "%s %llu\n", name, value);
	else
		mtext_printf(t, "%s{%s} %llu\n", name, labels, value);
}

size_t
metrics_label(const char *value, char *out, size_t outlen)
{
	size_t n = 0;

	if (outlen == 0)
		return 0;
	for (; *value; value++) {
		const char *esc = *value == '\\' ? "\\\\" : *value == '"' ? "\\\""
		    : *value == '\n' ? "\\n" : NULL;
		size_t l = esc ? 2 : 1;

		if (n + l >= outlen)
			break;
		if (esc)
			memcpy(out + n, esc, 2);
		else
			out[n] = *value;
		n += l;
	}
	out[n] = '\0';
	return n;
}

void
metrics_hist_observe(struct metrics_hist *h, uint64_t usec)
{
	size_t i = 0;

	while (i < METRICS_BUCKETS && usec > metrics_bucket_us[i])
		i++;
	h->bucket[i]++;
	h->count++;
	h->sum_us += usec;
}

void
metrics_hist_write(struct mtext *t, const char *name, const char *labels,
    const struct metrics_hist *h)
{
	const char *sep = labels && *labels ? "," : "";
	unsigned long long cum = 0;

	if (labels == NULL)
		labels = "";
	for (size_t i = 0; i < METRICS_BUCKETS; i++) {
		cum += h->bucket[i];
		mtext_printf(t, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels,
		    sep, (double)metrics_bucket_us[i] / 1e6, cum);
	}
	mtext_printf(t, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
	    h->count);
	mtext_printf(t, "%s_sum%s%s%s %.6f\n", name, *labels ? "{" : "", labels,
	    *labels ? "}" : "", (double)h->sum_us / 1e6);
	mtext_printf(t, "%s_count%s%s%s %llu\n", name, *labels ? "{" : "",
	    labels, *labels ? "}" : "", h->count);
}

uint64_t
metrics_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The end of the request head (after its empty line), or NULL. */
static const char *
head_end(const char *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return buf + i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return buf + i + 3;
	}
	return NULL;
}

enum metrics_req
metrics_http_parse(const char *buf, size_t len)
{
	const char *end = head_end(buf, len), *sp1, *sp2, *eol;
	size_t plen;

	if (end == NULL)
		return len >= METRICS_REQ_MAX ? MREQ_BAD : MREQ_INCOMPLETE;
	if ((size_t)(end - buf) > METRICS_REQ_MAX)
		return MREQ_BAD;
	eol = memchr(buf, '\n', (size_t)(end - buf));
	if (eol > buf && eol[-1] == '\r')
		eol--;
	/* METHOD SP TARGET SP HTTP/1.x */
	if ((sp1 = memchr(buf, ' ', (size_t)(eol - buf))) == NULL || sp1 == buf
	    || (sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1))) == NULL
	    || sp2 == sp1 + 1 || eol - sp2 - 1 != 8
	    || memcmp(sp2 + 1, "HTTP/1.", 7) != 0
	    || memchr(sp2 + 1, ' ', (size_t)(eol - sp2 - 1)) != NULL)
		return MREQ_BAD;
	plen = strcspn(sp1 + 1, "? ");
	if (sp1 - buf == 3 && memcmp(buf, "GET", 3) == 0 && plen == 8
	    && memcmp(sp1 + 1, "/metrics", 8) == 0)
		return MREQ_METRICS;
	return MREQ_NOTFOUND;
}

size_t
metrics_http_head(int code, size_t body_len, char *out, size_t outlen)
{
	const char *status = code == 200 ? "200 OK" : code == 404
	    ? "404 Not Found" : "400 Bad Request";
	const char *type = code == 200
	    ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain";
	int n = snprintf(out, outlen, "HTTP/1.1 %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, type,
	    body_len);

	return n < 0 || (size_t)n >= outlen ? 0 : (size_t)n;
}
