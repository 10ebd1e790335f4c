/* SPDX-License-Identifier: MIT */
/*
 * metrics - Prometheus text exposition and its HTTP request, pure
 *
 * SYNOPSIS
 *	void mtext_printf(struct mtext *t, const char *fmt, ...);
 *	void mtext_free(struct mtext *t);
 *
 *	void metrics_family(struct mtext *t, const char *name,
 *	    const char *type, const char *help);
 *	void metrics_sample(struct mtext *t, const char *name,
 *	    const char *labels, unsigned long long value);
 *	size_t metrics_label(const char *value, char *out, size_t outlen);
 *
 *	void metrics_hist_observe(struct metrics_hist *h, uint64_t usec);
 *	void metrics_hist_write(struct mtext *t, const char *name,
 *	    const char *labels, const struct metrics_hist *h);
 *	uint64_t metrics_now_us(void);
 *
 *	enum metrics_req metrics_http_parse(const char *buf, size_t len);
 *	size_t metrics_http_head(int code, size_t body_len, char *out,
 *	    size_t outlen);
 *
 * DESCRIPTION
 *	The Prometheus text exposition format, version 0.0.4: each family
 *	is "# HELP name help" and "# TYPE name type" (counter, gauge or
 *	histogram), then its samples, one "name{labels} value" line each.
 *	struct mtext is a growing text buffer (zeroed to start; mtext_free()
 *	releases it).  metrics_family() writes the two header lines;
 *	metrics_sample() one sample (labels: NULL or "" for none, else the
 *	text between the braces, e.g. source="dane",result="ok").
 *	metrics_label() escapes a label value (backslash, double quote and
 *	newline, as the format asks) into out and returns its length; a
 *	value too long for out is cut.
 *
 *	struct metrics_hist is a latency histogram (zeroed to start) with
 *	the fixed upper bounds metrics_bucket_us[] in microseconds; observe
 *	is a few integer operations, for the answer path.
 *	metrics_hist_write() writes its name_bucket{...,le="S"} lines
 *	(cumulative, seconds, ending with le="+Inf"), name_sum (seconds)
 *	and name_count.  metrics_now_us() is the monotonic clock.
 *
 *	metrics_http_parse() reads an HTTP/1.x request at the start of buf:
 *	MREQ_INCOMPLETE until the empty line that ends its head;
 *	MREQ_BAD when the request line is malformed or the head reaches
 *	METRICS_REQ_MAX bytes without ending; MREQ_METRICS for "GET
 *	/metrics" (a query string is ignored); MREQ_NOTFOUND for any other
 *	method or path.  Header lines are not interpreted.
 *	metrics_http_head() writes the response head for code 200 (the
 *	exposition's Content-Type), 400 or 404, with Content-Length and
 *	"Connection: close"; it returns its length, or 0 when out is too
 *	small (METRICS_HEAD_MAX is enough).
 */
#ifndef TLSPOL_METRICS_H
#define TLSPOL_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_REQ_MAX		4096
#define METRICS_HEAD_MAX	256
#define METRICS_BUCKETS		16

struct mtext {
	char *buf;
	size_t len, cap;
};

struct metrics_hist {
	unsigned long long bucket[METRICS_BUCKETS + 1];	/* last: +Inf */
	unsigned long long count, sum_us;
};

enum metrics_req {
	MREQ_INCOMPLETE,
	MREQ_METRICS,
	MREQ_NOTFOUND,
	MREQ_BAD
};

extern const uint64_t metrics_bucket_us[METRICS_BUCKETS];

void mtext_printf(struct mtext *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void mtext_free(struct mtext *t);
void metrics_family(struct mtext *t, const char *name, const char *type,
    const char *help);
void metrics_sample(struct mtext *t, const char *name, const char *labels,
    unsigned long long value);
size_t metrics_label(const char *value, char *out, size_t outlen);
void metrics_hist_observe(struct metrics_hist *h, uint64_t usec);
void metrics_hist_write(struct mtext *t, const char *name, const char *labels,
    const struct metrics_hist *h);
uint64_t metrics_now_us(void);
enum metrics_req metrics_http_parse(const char *buf, size_t len);
size_t metrics_http_head(int code, size_t body_len, char *out, size_t outlen);

#endif
