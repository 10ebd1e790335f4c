/* SPDX-License-Identifier: MIT */
/*
 * tlsrpt_sched - the TLSRPT reporter's pure parts (schedule, back-off,
 * delivery state record, destinations).  The contract is in
 * tlsrpt_sched.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "tlsrpt_agg.h"
#include "tlsrpt_sched.h"

#define DAY_SECS	86400

/* Schedule -------------------------------------------------------- */

int64_t
tlsrpt_sched_offset(const char *domain, int64_t spread)
{
	uint64_t h = UINT64_C(14695981039346656037);

	if (spread <= 0)
		return 0;
	for (const unsigned char *p = (const unsigned char *)domain; *p; p++) {
		h ^= *p;
		h *= UINT64_C(1099511628211);
	}
	return (int64_t)(h % (uint64_t)spread);
}

int64_t
tlsrpt_sched_first(int64_t day, const char *domain, int64_t spread)
{
	return (day + 1) * DAY_SECS + tlsrpt_sched_offset(domain, spread);
}

int64_t
tlsrpt_sched_backoff(unsigned tries)
{
	int64_t d = TLSRPT_RETRY_MIN;

	if (tries == 0)
		return 0;
	for (unsigned i = 1; i < tries && d < TLSRPT_RETRY_MAX; i++)
		d *= 2;
	return d > TLSRPT_RETRY_MAX ? TLSRPT_RETRY_MAX : d;
}

int64_t
tlsrpt_sched_retry(int64_t first, unsigned tries, int64_t now, int64_t window)
{
	int64_t next = now + tlsrpt_sched_backoff(tries);

	return next > first + window ? -1 : next;
}

int64_t
tlsrpt_sched_expiry(int64_t day, unsigned retain_days)
{
	int64_t keep = retain_days ? (int64_t)retain_days : 1;

	return (day + 1 + keep) * DAY_SECS;
}

int
tlsrpt_sched_expired(int64_t day, int64_t now, unsigned retain_days)
{
	return now >= tlsrpt_sched_expiry(day, retain_days);
}

/* State record ------------------------------------------------------ */

static const char *const state_names[] = {
	[TLSRPT_SENT_PENDING] = "pending",
	[TLSRPT_SENT_SENT] = "sent",
	[TLSRPT_SENT_FAILED] = "failed",
	[TLSRPT_SENT_SKIPPED] = "skipped"
};

const char *
tlsrpt_sent_state_name(enum tlsrpt_sent_state st)
{
	return (unsigned)st < sizeof(state_names) / sizeof(state_names[0])
	    ? state_names[st] : "?";
}

char *
tlsrpt_sent_encode(const struct tlsrpt_sent *s)
{
	json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:s, s:s}",
	    "state", tlsrpt_sent_state_name(s->state),
	    "tries", (json_int_t)s->tries, "first", (json_int_t)s->first,
	    "next", (json_int_t)s->next, "reports", (json_int_t)s->reports,
	    "done", (json_int_t)s->done, "last_error", s->last_error,
	    "sent_to", s->sent_to);
	char *text;

	if (o == NULL)
		return NULL;
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return text;
}

/* An integer member within [min, max]; 0, or -1 with err. */
static int
get_int(json_t *o, const char *name, json_int_t min, json_int_t max,
    json_int_t *v, char *err, size_t errlen)
{
	json_t *m = json_object_get(o, name);

	if (!json_is_integer(m) || json_integer_value(m) < min
	    || json_integer_value(m) > max) {
		snprintf(err, errlen, "%s: missing or out of range", name);
		return -1;
	}
	*v = json_integer_value(m);
	return 0;
}

/* A string member of printable characters, at most size - 1 bytes. */
static int
get_str(json_t *o, const char *name, char *out, size_t size, char *err,
    size_t errlen)
{
	json_t *m = json_object_get(o, name);
	const char *v = json_string_value(m);

	if (v == NULL || json_string_length(m) >= size
	    || strlen(v) != json_string_length(m)) {
		snprintf(err, errlen, "%s: missing, too long or not text", name);
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			snprintf(err, errlen, "%s: control character", name);
			return -1;
		}
	}
	memcpy(out, v, json_string_length(m) + 1);
	return 0;
}

static int
get_state(json_t *o, enum tlsrpt_sent_state *st, char *err, size_t errlen)
{
	const char *v = json_string_value(json_object_get(o, "state"));

	for (size_t i = 0; v && i < sizeof(state_names) / sizeof(*state_names);
	    i++) {
		if (strcmp(v, state_names[i]) == 0) {
			*st = (enum tlsrpt_sent_state)i;
			return 0;
		}
	}
	snprintf(err, errlen, "state: missing or unknown");
	return -1;
}

int
tlsrpt_sent_decode(const char *buf, size_t len, struct tlsrpt_sent *s,
    char *err, size_t errlen)
{
	json_error_t je;
	json_t *o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	json_int_t tries, first, next, reports, done;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	if (!json_is_object(o)) {
		snprintf(err, errlen, "not a JSON object");
		goto out;
	}
	if (get_state(o, &s->state, err, errlen) < 0
	    || get_int(o, "tries", 0, 1000000, &tries, err, errlen) < 0
	    || get_int(o, "first", 0, INT64_C(253402300799), &first, err,
	    errlen) < 0
	    || get_int(o, "next", 0, INT64_C(253402300799), &next, err,
	    errlen) < 0
	    || get_int(o, "reports", 0, TLSRPT_REPORTS_MAX, &reports, err,
	    errlen) < 0
	    || get_int(o, "done", 0, UINT32_MAX, &done, err, errlen) < 0
	    || get_str(o, "last_error", s->last_error,
	    sizeof(s->last_error), err, errlen) < 0
	    || get_str(o, "sent_to", s->sent_to, sizeof(s->sent_to), err,
	    errlen) < 0)
		goto out;
	s->tries = (unsigned)tries;
	s->first = first;
	s->next = next;
	s->reports = (unsigned)reports;
	s->done = (uint32_t)done;
	rc = 0;
out:
	json_decref(o);
	if (rc < 0) {
		char keep[TLSRPT_ERR_MAX + 1];
		snprintf(keep, sizeof(keep), "%s", errlen ? err : "");
		memset(s, 0, sizeof(*s));
		if (errlen)
			snprintf(err, errlen, "%s", keep);
	}
	return rc;
}

/* "rptsent/DAY/DOMAIN" is "rpt/DAY/DOMAIN" with "sent" after "rpt". */
int
tlsrpt_sent_key(int64_t day, const char *domain, char *buf, size_t len)
{
	char k[TLSRPT_AGG_KEY_MAX + 1];
	int n;

	if (tlsrpt_agg_key(day, domain, k, sizeof(k)) < 0)
		return -1;
	n = snprintf(buf, len, "rptsent%s", k + 3);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
tlsrpt_sent_key_parse(const char *key, int64_t *day,
    char domain[DOMAIN_MAX + 1])
{
	char k[TLSRPT_AGG_KEY_MAX + 2];
	int n;

	if (strncmp(key, "rptsent/", 8) != 0)
		return -1;
	n = snprintf(k, sizeof(k), "rpt%s", key + 7);
	if (n < 0 || (size_t)n >= sizeof(k))
		return -1;
	return tlsrpt_agg_key_parse(k, day, domain);
}

/* Destinations ------------------------------------------------------ */

static int
same_dest(const struct tlsrpt_rua *a, const struct tlsrpt_rua *b)
{
	if (a->kind != b->kind)
		return 0;
	return a->kind == TLSRPT_RUA_MAILTO ? strcasecmp(a->addr, b->addr) == 0
	    : strcmp(a->uri, b->uri) == 0;
}

size_t
tlsrpt_dest_select(const struct tlsrpt_txt *t, int https_ok,
    const struct tlsrpt_rua **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nrua && n < max; i++) {
		const struct tlsrpt_rua *r = &t->rua[i];
		int dup = 0;

		if (r->kind == TLSRPT_RUA_HTTPS && !https_ok)
			continue;
		for (size_t j = 0; j < n && !dup; j++)
			dup = same_dest(out[j], r);
		if (!dup)
			out[n++] = r;
	}
	return n;
}
