/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	tlsrpt_agg - TLSRPT aggregation per UTC day and TLSRPT domain
 *
 * SYNOPSIS
 *	#include "tlsrpt_agg.h"
 *
 *	struct tlsrpt_agg *tlsrpt_agg_new(const struct tlsrpt_agg_limits *lim);
 *	void   tlsrpt_agg_free(struct tlsrpt_agg *a);
 *	int    tlsrpt_agg_add(struct tlsrpt_agg *a,
 *	           const struct tlsrpt_dgram *dg, int64_t now);
 *	int    tlsrpt_agg_load(struct tlsrpt_agg *a, const char *key,
 *	           const void *buf, size_t len, char *err, size_t errlen);
 *	long   tlsrpt_agg_flush(struct tlsrpt_agg *a,
 *	           int (*put)(const char *key, const void *buf, size_t len,
 *	               void *arg), void *arg);
 *	int    tlsrpt_agg_set_dirty(struct tlsrpt_agg *a, const char *key);
 *	const struct tlsrpt_agg_rec *tlsrpt_agg_get(const struct tlsrpt_agg *a,
 *	           int64_t day, const char *domain);
 *	void   tlsrpt_agg_walk_day(const struct tlsrpt_agg *a, int64_t day,
 *	           void (*fn)(const struct tlsrpt_agg_rec *r, void *arg),
 *	           void *arg);
 *	void   tlsrpt_agg_drop_day(struct tlsrpt_agg *a, int64_t day);
 *	uint64_t tlsrpt_agg_dropped(const struct tlsrpt_agg *a, int64_t day);
 *
 *	struct tlsrpt_agg_rec *tlsrpt_agg_rec_new(int64_t day,
 *	           const char *domain);
 *	int    tlsrpt_agg_rec_add(struct tlsrpt_agg_rec *r, const char *pr,
 *	           const struct tlsrpt_policy *p,
 *	           const struct tlsrpt_agg_limits *lim);
 *	void   tlsrpt_agg_rec_free(struct tlsrpt_agg_rec *r);
 *	unsigned char *tlsrpt_agg_rec_encode(const struct tlsrpt_agg_rec *r,
 *	           size_t *lenp);
 *	int    tlsrpt_agg_rec_decode(const char *key, const void *buf,
 *	           size_t len, struct tlsrpt_agg_rec **rp, char *err,
 *	           size_t errlen);
 *
 *	int64_t tlsrpt_day(int64_t now);
 *	void   tlsrpt_day_str(int64_t day, char buf[TLSRPT_DAY_LEN + 1]);
 *	int    tlsrpt_day_parse(const char *s, int64_t *day);
 *	int    tlsrpt_agg_key(int64_t day, const char *domain, char *buf,
 *	           size_t len);
 *	int    tlsrpt_agg_key_parse(const char *key, int64_t *day,
 *	           char domain[DOMAIN_MAX + 1]);
 *
 * DESCRIPTION
 *	A record (struct tlsrpt_agg_rec) holds one UTC day of one TLSRPT
 *	domain (a datagram's "d"): a list of policies, each identified by
 *	(TLSRPT record "pr", policy-type, policy-domain, policy-strings,
 *	mx-host patterns), each with a total and a failure session count
 *	and its failure details, each detail with a count.  One report
 *	goes out per (day, domain, record) (shared/spec tlsrpt.md 6).
 *
 *	Identity is decided on the decoded fields, compared one by one
 *	(byte-exact strings, arrays in order), never on JSON text: the
 *	same event with its members in another order, other whitespace
 *	or other escapes merges.  Two details merge only when equal in all
 *	of c, s, n, h, r, a and f; different reason codes never merge.
 *
 *	tlsrpt_agg_rec_add() counts one session for policy p under record
 *	pr: total += 1, failures += p->failed, each of p's details +1.
 *	It returns TLSRPT_AGG_OK, or TLSRPT_AGG_CAPPED when a cap dropped
 *	something (counted, see BOUNDS).
 *
 *	A struct tlsrpt_agg is the collector's working set: the records of
 *	the days still open (today, and yesterday until its reports are
 *	built), keyed by their store key.  tlsrpt_agg_add() adds every
 *	policy of a decoded datagram to the record of (tlsrpt_day(now),
 *	dg->d), creating it when needed, and marks it dirty.  now is the
 *	time of receipt in unix seconds, injected by the caller (the
 *	daemon's clock, fake in tests); a fraction of a second is the
 *	caller's to drop, so 23:59:59.9 counts for the day it belongs to.
 *	Returns TLSRPT_AGG_OK, TLSRPT_AGG_CAPPED, TLSRPT_AGG_DROPPED (the
 *	day's domain cap: the session is counted only in
 *	tlsrpt_agg_dropped()), or -1 when now < 0.
 *
 *	tlsrpt_agg_load() adds a record read back from the store (at
 *	start, for the open days) under its key; it returns 0, or -1 with a
 *	reason (corrupt record, key taken).  tlsrpt_agg_flush() calls put
 *	for every dirty record with its key and encoding, and marks it
 *	clean when put returns 0; it returns the number written, or -1
 *	when a put failed (the rest stays dirty for the next flush).
 *	tlsrpt_agg_set_dirty() marks the record under key dirty again (a
 *	caller whose put only collected the records, and whose one write
 *	of all of them then failed); -1 when there is no such record.
 *	tlsrpt_agg_get() finds a record; tlsrpt_agg_walk_day() visits the
 *	records of one day (in no particular order);
 *	tlsrpt_agg_drop_day() forgets a day (after its reports are built
 *	and stored).
 *
 *	tlsrpt_day() is floor(now / 86400): unix time has no leap seconds,
 *	so 23:59:59 and 00:00:00 UTC fall on two days.  tlsrpt_day_str()
 *	writes "YYYY-MM-DD" (proleptic Gregorian, UTC); tlsrpt_day_parse()
 *	reads it back (0, or -1 when malformed).
 *
 * STORE LAYOUT
 *	Shared by every backend (LMDB now, Redis later):
 *
 *	    key    "rpt/" YYYY-MM-DD "/" domain     e.g.
 *	           "rpt/2026-01-01/example.com"
 *	    value  tlsrpt_agg_rec_encode() bytes
 *
 *	Keys sort by day, then domain: one day is a prefix range
 *	(LMDB MDB_SET_RANGE on "rpt/2026-01-01/", Redis SCAN MATCH
 *	"rpt/2026-01-01/ *" without the space), and expiry after the
 *	reports are sent deletes a prefix.  Domains are LDH A-labels, so
 *	a key is printable ASCII without "/" after the day.
 *	tlsrpt_agg_key() writes a key (0, or -1 when buf is too small or
 *	the domain is not valid); tlsrpt_agg_key_parse() reads one back.
 *
 *	Value, integers big-endian:
 *
 *	    "TR" (magic), u8 version (1), u8 flags (0),
 *	    i64 day, u8 domain length, domain,
 *	    u64 sessions dropped by the policy cap, u16 policy count,
 *	    per policy:
 *	      str pr, u8 policy-type, str policy-domain,
 *	      u16 count, str policy-string each,
 *	      u16 count, str mx-host each,
 *	      u64 total, u64 failures, u64 details dropped,
 *	      u16 detail count, per detail:
 *	        u32 code, u8 presence mask (1 s, 2 n, 4 h, 8 r, 16 a,
 *	        32 f), str for each present member in that order, u64 count,
 *	    u32 CRC-32 (zlib crc32()) of (key, NUL, all preceding bytes).
 *
 *	    str = u16 length, bytes (valid UTF-8, no NUL, at most
 *	          TLSRPT_STR_MAX).
 *
 *	tlsrpt_agg_rec_encode() returns a heap buffer (caller frees).
 *	tlsrpt_agg_rec_decode() checks every length, count and bound, the
 *	UTF-8, the domains, that the day and domain match the key, that
 *	failures <= total, that nothing trails, and the CRC (so a record
 *	moved under another key fails).  It returns TLSRPT_AGG_DEC_OK and a
 *	new record in *rp, or TLSRPT_AGG_DEC_CORRUPT or
 *	TLSRPT_AGG_DEC_VERSION (a newer format: keep it, do not overwrite)
 *	with a reason in err.  It is pure and fuzzable.
 *
 * BOUNDS
 *	struct tlsrpt_agg_limits (members below), 0 for a default:
 *	domains	  TLSRPT_AGG_DOMAINS_DEF (10000) records a day; sessions
 *		  for further domains are counted in tlsrpt_agg_dropped()
 *		  only (the daemon logs it once a day).
 *	policies  TLSRPT_AGG_POLICIES_DEF (16) policies a record; a
 *		  session under a further policy adds to the record's
 *		  sessions_dropped.
 *	details	  TLSRPT_AGG_DETAILS_DEF (100) distinct failure details a
 *		  policy; a further one adds to its details_dropped (its
 *		  session still counts in failures).
 *	day_details TLSRPT_AGG_DAY_DETAILS_DEF (100000) distinct failure
 *		  details a day in all records of the working set, the
 *		  same way (tlsrpt_agg_rec_add() alone applies only the
 *		  per-policy cap).
 *	Decoding refuses more than TLSRPT_AGG_POLICIES_MAX (1000)
 *	policies or TLSRPT_AGG_DETAILS_MAX (10000) details.  Memory: a
 *	detail takes about 250 bytes with Postfix's strings (an EHLO reply
 *	up to ~4 KB), so the day's details stay near 25 MB at worst; a
 *	policy about 1 KB (its strings are the STS policy or TLSA records
 *	the site's own lookups produced, an STS policy at most 64 KiB), a
 *	usual day (a few hundred domains, a handful of details) well
 *	under a megabyte.  Every detail and policy needs a real TLS
 *	handshake by the local Postfix: remote parties can vary them only
 *	as fast as mail is sent to them.
 *	Counters saturate at UINT64_MAX.
 *
 * DAEMON INTEGRATION (design note for the next step)
 *	Collector.  tlspolicyd binds an AF_UNIX SOCK_DGRAM socket at
 *	tlsrpt_listen, by default /var/spool/postfix/tlspolicyd/tlsrpt
 *	next to the socketmap socket, so the same directory, ownership
 *	and chroot link apply (main.cf: smtp_tlsrpt_socket_name =
 *	/var/spool/postfix/tlspolicyd/tlsrpt, reachable before and after
 *	smtp(8)'s chroot; sendto() needs write permission on the socket
 *	file as connect() does), non-blocking, SO_RCVBUF raised
 *	(>= 256 KiB).  The event loop reads it with recv(MSG_TRUNC) into a
 *	TLSRPT_DGRAM_MAX + 1 buffer, up to a fixed number of datagrams a
 *	turn so the socketmap answer path never waits; a truncated
 *	datagram (length > TLSRPT_DGRAM_MAX) is counted and dropped.
 *	Each datagram goes through tlsrpt_dgram_decode() (refusals
 *	counted and logged with a rate limit, dg.flags logged at debug),
 *	then tlsrpt_agg_add(agg, &dg, now) with the daemon's (injectable)
 *	clock.  Kernel drops under overload happen at Postfix's sendto()
 *	(EAGAIN); Postfix logs them, we cannot count them.
 *
 *	Write-behind.  Every 5 s or 1000 datagrams (whichever first), the
 *	loop calls tlsrpt_agg_flush() with a put that writes all dirty
 *	records in one durable store write (store_put_many-style putv on
 *	the "rpt/" keys, in a separate LMDB database or key prefix of the
 *	state store; Redis: one MULTI/EXEC).  A crash loses at most that
 *	batch.  At start the daemon loads the records of today and
 *	yesterday with tlsrpt_agg_load() (a prefix scan per day).
 *
 *	The daemon's own events (MTA-STS fetch errors, invalid policies,
 *	WebPKI and DNSSEC failures) feed the same tlsrpt_agg_rec_add()
 *	with a synthetic struct tlsrpt_policy built by the daemon, only
 *	for domains and result types Postfix does not report, so no
 *	session is counted twice.
 *
 *	Reporter.  After UTC midnight, once the day is flushed, the daemon
 *	schedules each record of the previous day at a random delay (0 to
 *	4 h).  At its time it looks up _smtp._tls.DOMAIN (the record's pr
 *	values are what Postfix saw; the live TXT, parsed by
 *	tlsrpt_txt_parse(), gives the destinations and must be valid),
 *	builds one report per distinct pr with tlsrpt_report_json(),
 *	gzips it, and stores it with its delivery state under
 *	"rptq/YYYY-MM-DD/domain/N" before the first attempt.  mailto:
 *	destinations get tlsrpt_report_mail() piped to the local
 *	Postfix's sendmail -i -t (the message carries TLS-Required: No;
 *	on 3.7 a may-only transport); https: destinations are POSTed by
 *	stsfetch (the network-facing process) with application/tlsrpt+gzip,
 *	2xx = accepted.  A report is sent when one destination accepted
 *	it; others retry with exponential back-off for 24 h.  Excluded
 *	domains (configuration) are skipped before building.  Then
 *	tlsrpt_agg_drop_day() and, later, the "rpt/" prefix of the day is
 *	deleted; tlsmap report reads the same keys.
 */
#ifndef TLSPOL_TLSRPT_AGG_H
#define TLSPOL_TLSRPT_AGG_H

#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "tlsrpt_dgram.h"

#define TLSRPT_DAY_LEN		10	/* YYYY-MM-DD */
#define TLSRPT_AGG_KEY_MAX	(4 + TLSRPT_DAY_LEN + 1 + DOMAIN_MAX)

#define TLSRPT_AGG_DOMAINS_DEF	10000
#define TLSRPT_AGG_POLICIES_DEF	16
#define TLSRPT_AGG_DETAILS_DEF	100
#define TLSRPT_AGG_DAY_DETAILS_DEF	100000
#define TLSRPT_AGG_POLICIES_MAX	1000
#define TLSRPT_AGG_DETAILS_MAX	10000

enum {
	TLSRPT_AGG_OK = 0,
	TLSRPT_AGG_CAPPED = 1,
	TLSRPT_AGG_DROPPED = 2
};

enum {
	TLSRPT_AGG_DEC_OK = 0,
	TLSRPT_AGG_DEC_CORRUPT = -1,
	TLSRPT_AGG_DEC_VERSION = -2
};

struct tlsrpt_agg_limits {
	size_t domains;			/* records a day */
	size_t policies;		/* policies a record */
	size_t details;			/* distinct details a policy */
	size_t day_details;		/* distinct details a day, in all */
};

struct tlsrpt_agg_detail {
	struct tlsrpt_detail d;
	uint64_t count;
};

struct tlsrpt_agg_policy {
	char *pr;			/* the TLSRPT record */
	struct tlsrpt_policy p;		/* identity; p.details unused */
	uint64_t total;
	uint64_t failures;
	uint64_t details_dropped;
	struct tlsrpt_agg_detail *details;
	size_t ndetails;
};

struct tlsrpt_agg_rec {
	int64_t day;
	char domain[DOMAIN_MAX + 1];
	struct tlsrpt_agg_policy *pol;
	size_t npol;
	uint64_t sessions_dropped;
	int dirty;
};

struct tlsrpt_agg;

struct tlsrpt_agg *tlsrpt_agg_new(const struct tlsrpt_agg_limits *lim);
void tlsrpt_agg_free(struct tlsrpt_agg *a);
int tlsrpt_agg_add(struct tlsrpt_agg *a, const struct tlsrpt_dgram *dg,
    int64_t now);
int tlsrpt_agg_load(struct tlsrpt_agg *a, const char *key, const void *buf,
    size_t len, char *err, size_t errlen);
long tlsrpt_agg_flush(struct tlsrpt_agg *a,
    int (*put)(const char *key, const void *buf, size_t len, void *arg),
    void *arg);
int tlsrpt_agg_set_dirty(struct tlsrpt_agg *a, const char *key);
const struct tlsrpt_agg_rec *tlsrpt_agg_get(const struct tlsrpt_agg *a,
    int64_t day, const char *domain);
void tlsrpt_agg_walk_day(const struct tlsrpt_agg *a, int64_t day,
    void (*fn)(const struct tlsrpt_agg_rec *r, void *arg), void *arg);
void tlsrpt_agg_drop_day(struct tlsrpt_agg *a, int64_t day);
uint64_t tlsrpt_agg_dropped(const struct tlsrpt_agg *a, int64_t day);

struct tlsrpt_agg_rec *tlsrpt_agg_rec_new(int64_t day, const char *domain);
int tlsrpt_agg_rec_add(struct tlsrpt_agg_rec *r, const char *pr,
    const struct tlsrpt_policy *p, const struct tlsrpt_agg_limits *lim);
void tlsrpt_agg_rec_free(struct tlsrpt_agg_rec *r);
unsigned char *tlsrpt_agg_rec_encode(const struct tlsrpt_agg_rec *r,
    size_t *lenp);
int tlsrpt_agg_rec_decode(const char *key, const void *buf, size_t len,
    struct tlsrpt_agg_rec **rp, char *err, size_t errlen);

int64_t tlsrpt_day(int64_t now);
void tlsrpt_day_str(int64_t day, char buf[TLSRPT_DAY_LEN + 1]);
int tlsrpt_day_parse(const char *s, int64_t *day);
int tlsrpt_agg_key(int64_t day, const char *domain, char *buf, size_t len);
int tlsrpt_agg_key_parse(const char *key, int64_t *day,
    char domain[DOMAIN_MAX + 1]);

#endif
