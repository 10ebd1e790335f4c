/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	tlsrpt_sched - TLSRPT reporter's pure parts: when to send, when to
 *	retry, the delivery state record, which destinations
 *
 * SYNOPSIS
 *	#include "tlsrpt_sched.h"
 *
 *	int64_t tlsrpt_sched_offset(const char *domain, int64_t spread);
 *	int64_t tlsrpt_sched_first(int64_t day, const char *domain,
 *	    int64_t spread);
 *	int64_t tlsrpt_sched_backoff(unsigned tries);
 *	int64_t tlsrpt_sched_retry(int64_t first, unsigned tries, int64_t now,
 *	    int64_t window);
 *	int     tlsrpt_sched_expired(int64_t day, int64_t now,
 *	    unsigned retain_days);
 *	int64_t tlsrpt_sched_expiry(int64_t day, unsigned retain_days);
 *
 *	char   *tlsrpt_sent_encode(const struct tlsrpt_sent *s);
 *	int     tlsrpt_sent_decode(const char *buf, size_t len,
 *	    struct tlsrpt_sent *s, char *err, size_t errlen);
 *	const char *tlsrpt_sent_state_name(enum tlsrpt_sent_state st);
 *	int     tlsrpt_sent_key(int64_t day, const char *domain, char *buf,
 *	    size_t len);
 *	int     tlsrpt_sent_key_parse(const char *key, int64_t *day,
 *	    char domain[DOMAIN_MAX + 1]);
 *
 *	size_t  tlsrpt_dest_select(const struct tlsrpt_txt *t, int https_ok,
 *	    const struct tlsrpt_rua **out, size_t max);
 *
 * DESCRIPTION
 *	No I/O, no clock, no logging: every time is unix seconds given by
 *	the caller (the daemon's injectable clock).
 *
 *	Schedule.  The reports of UTC day D go out after D has ended,
 *	spread over the following spread seconds so that reporters do not
 *	all hit a receiver at 00:00 (RFC 8460 4.1).  tlsrpt_sched_offset()
 *	is a deterministic offset in [0, spread) from the domain name
 *	(FNV-1a, 64 bits), the same on every start, so a restart neither
 *	sends early nor late; 0 when spread <= 0.  tlsrpt_sched_first()
 *	is the time of the first attempt: (D + 1) * 86400 + offset.
 *
 *	Back-off (RFC 8460 5.5: exponential).  tlsrpt_sched_backoff() is
 *	the wait after the tries-th failed attempt: TLSRPT_RETRY_MIN
 *	(300 s) doubled per further attempt, at most TLSRPT_RETRY_MAX
 *	(4 h); 0 for tries 0.  tlsrpt_sched_retry() is the time of the
 *	next attempt after tries failed ones at now, or -1 when that
 *	would fall past first + window (the report is given up).
 *
 *	Retention.  tlsrpt_sched_expired() is 1 when the records of day
 *	(aggregates and delivery state) may be deleted at now: the day
 *	ended at least retain_days days ago (retain_days 0 is at least
 *	one day, so that a day is never deleted before it is reported);
 *	tlsrpt_sched_expiry() is the first such time.
 *
 *	State record.  One per (day, domain), under the key
 *	"rptsent/YYYY-MM-DD/domain" (tlsrpt_sent_key(); 0, or -1 when
 *	the domain is invalid or buf too small), as JSON text, compact,
 *	keys sorted:
 *
 *	    {"state":"pending"|"sent"|"failed"|"skipped",
 *	     "tries":N, "first":T, "next":T, "reports":N, "done":M,
 *	     "last_error":"...", "sent_to":"..."}
 *
 *	pending: not yet accepted, next is the time of the next attempt;
 *	sent: every report of the day accepted by one destination,
 *	sent_to the last destination that accepted one; failed: given up
 *	after the retry window; skipped: nothing to send (no or invalid
 *	_smtp._tls record, excluded domain), last_error says why.
 *	reports is how many reports the day's record gives (one per
 *	TLSRPT record seen, at most TLSRPT_REPORTS_MAX), done the bit
 *	mask of those accepted (bit i: report i + 1), so that a retry
 *	sends only the others.  tlsrpt_sent_encode() returns the text
 *	(caller frees); tlsrpt_sent_decode() checks every member (types,
 *	ranges, a known state, strings without control characters and
 *	within bounds) and returns 0, or -1 with a reason in err.
 *
 *	Destinations.  tlsrpt_dest_select() puts into out (at most max)
 *	the destinations of t to try, in published order, each once (a
 *	mailto: address compared without case, an https: URI as
 *	published), https: ones only when https_ok (a fetcher runs);
 *	returns how many.
 */
#ifndef TLSPOL_TLSRPT_SCHED_H
#define TLSPOL_TLSRPT_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "tlsrpt_txt.h"

#define TLSRPT_SPREAD_DEF	(4 * 3600)
#define TLSRPT_RETRY_MIN	300
#define TLSRPT_RETRY_MAX	(4 * 3600)
#define TLSRPT_WINDOW_DEF	(24 * 3600)
#define TLSRPT_RETAIN_DEF	7	/* days */
#define TLSRPT_REPORTS_MAX	32	/* reports a (day, domain) */
#define TLSRPT_ERR_MAX		255
#define TLSRPT_SENT_KEY_MAX	(8 + 10 + 1 + DOMAIN_MAX)

enum tlsrpt_sent_state {
	TLSRPT_SENT_PENDING,
	TLSRPT_SENT_SENT,
	TLSRPT_SENT_FAILED,
	TLSRPT_SENT_SKIPPED
};

struct tlsrpt_sent {
	enum tlsrpt_sent_state state;
	unsigned tries;
	int64_t first;			/* first attempt */
	int64_t next;			/* next attempt (pending) */
	unsigned reports;
	uint32_t done;			/* bit i: report i + 1 accepted */
	char last_error[TLSRPT_ERR_MAX + 1];
	char sent_to[TLSRPT_URI_MAX + 1];
};

int64_t tlsrpt_sched_offset(const char *domain, int64_t spread);
int64_t tlsrpt_sched_first(int64_t day, const char *domain, int64_t spread);
int64_t tlsrpt_sched_backoff(unsigned tries);
int64_t tlsrpt_sched_retry(int64_t first, unsigned tries, int64_t now,
    int64_t window);
int tlsrpt_sched_expired(int64_t day, int64_t now, unsigned retain_days);
int64_t tlsrpt_sched_expiry(int64_t day, unsigned retain_days);

char *tlsrpt_sent_encode(const struct tlsrpt_sent *s);
int tlsrpt_sent_decode(const char *buf, size_t len, struct tlsrpt_sent *s,
    char *err, size_t errlen);
const char *tlsrpt_sent_state_name(enum tlsrpt_sent_state st);
int tlsrpt_sent_key(int64_t day, const char *domain, char *buf, size_t len);
int tlsrpt_sent_key_parse(const char *key, int64_t *day,
    char domain[DOMAIN_MAX + 1]);

size_t tlsrpt_dest_select(const struct tlsrpt_txt *t, int https_ok,
    const struct tlsrpt_rua **out, size_t max);

#endif
