/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	certcache - chains of certificates already verified (stsfetch)
 *
 * SYNOPSIS
 *	#include "certcache.h"
 *
 *	int certcache_lookup(const gnutls_datum_t *chain, unsigned n,
 *	    const char *host, time_t now, unsigned *status);
 *	void certcache_add(const gnutls_datum_t *chain, unsigned n,
 *	    time_t now);
 *	void certcache_clear(void);
 *	int certcache_verify(gnutls_session_t s, const char *host,
 *	    time_t now, unsigned *status);
 *	int certcache_verify_chain(const gnutls_datum_t *chain, unsigned n,
 *	    const char *host, time_t now, unsigned *status,
 *	    certcache_full_fn full, void *arg);
 *	unsigned certcache_waiting(void);
 *
 * DESCRIPTION
 *	Many MTA-STS policy hosts share one certificate (a hoster serving
 *	its customers' mta-sts names from one certificate with many
 *	names).  Verifying a chain parses every certificate in it and
 *	checks every signature, which is about a third of a fetch's CPU;
 *	the handshake has already parsed the chain once for itself.  This
 *	cache lets a chain that verified be recognised by its bytes, so
 *	that the next handshake presenting the very same chain only checks
 *	the host name against the already parsed leaf.
 *
 *	certcache_lookup() looks up the peer's chain (DER, leaf first, as
 *	gnutls_certificate_get_peers() gives it) by the SHA-256 of its
 *	bytes.  It returns 1 when the chain is cached as verified, is
 *	within its validity period at now and the leaf matches host (RFC
 *	6125 rules of gnutls_x509_crt_check_hostname2()); -1 when it is
 *	cached but the name does not match (*status is set to what a full
 *	verification would report: GNUTLS_CERT_INVALID |
 *	GNUTLS_CERT_UNEXPECTED_OWNER); 0 when the caller must verify it in
 *	full (unknown, changed, expired, or too old an entry).
 *
 *	certcache_add() is called after a full verification of the chain
 *	succeeded (trust anchors, dates, purpose, stapled OCSP, host
 *	name).  The first time a chain is added only its hash is kept; the
 *	second time (a second host presenting it) the chain is parsed and
 *	kept as verified, so that hosts with a certificate of their own
 *	never pay for a parse they will not reuse.  An entry is trusted
 *	until CERTCACHE_TTL seconds after it was added or until the
 *	earliest expiry in the chain, whichever comes first, and not before
 *	the latest activation time.
 *
 *	certcache_verify() is the whole check of a handshake's peer, for a
 *	verify function (gnutls_session_set_verify_function()): the cache
 *	first; else GnuTLS's full verification against the session's
 *	credentials and host (as gnutls_session_set_verify_cert() would do
 *	it), and certcache_add() when it passed.  It returns 0 when the
 *	chain is good for host, else -1 with *status the verification
 *	status (never 0).  stsfetch and bench/coldfloor both use it.
 *
 *	Verifications of one chain are single-flight: when workers meet a
 *	chain that is not cached while another worker verifies it in full,
 *	they wait (at most CERTCACHE_WAIT_MS) for that result instead of
 *	verifying it again; when it passed, the verifier keeps the chain
 *	parsed even on its first sighting and the waiters only check their
 *	host name against it.  When it failed (perhaps only for the
 *	verifier's host name) or took too long, each waiter verifies for
 *	itself.  At most CERTCACHE_FLIGHTS chains are verified this way at
 *	once; beyond that, workers verify on their own as before.
 *
 *	certcache_verify_chain() is certcache_verify() for a chain with
 *	the full verification given as full(arg), which returns its status
 *	(0 when it passed); certcache_waiting() counts the threads waiting
 *	for another's verification (tests).
 *
 *	Failures are never cached.  The trust anchors are read once when
 *	stsfetch starts and never change in its life, so a verified chain
 *	stays verified but for time (kept) and revocation (a stapled OCSP
 *	answer is checked again after at most CERTCACHE_TTL).
 *
 *	The table is direct-mapped, CERTCACHE_SLOTS entries, and guarded
 *	by a mutex: stsfetch's workers are threads.  certcache_clear()
 *	forgets everything (tests).
 */
#include "config.h"

#include <pthread.h>
#include <string.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "certcache.h"

#define HASH_LEN	32
#define CHAIN_MAX	16	/* longer chains are not cached */

enum { EMPTY, SEEN, VERIFIED };

struct slot {
	int state;
	unsigned char hash[HASH_LEN];
	time_t not_before;		/* VERIFIED: usable from ... */
	time_t until;			/* ... up to (not including) */
	gnutls_x509_crt_t leaf;		/* VERIFIED: parsed leaf */
};

static struct slot slots[CERTCACHE_SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* SHA-256 over each certificate's length and bytes; -1 if it fails. */
static int
chain_hash(const gnutls_datum_t *chain, unsigned n,
    unsigned char out[HASH_LEN])
{
	gnutls_hash_hd_t h;
	unsigned char len[4];
	unsigned i;

	if (n == 0 || n > CHAIN_MAX
	    || gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		len[0] = chain[i].size >> 24;
		len[1] = chain[i].size >> 16;
		len[2] = chain[i].size >> 8;
		len[3] = chain[i].size;
		if (gnutls_hash(h, len, sizeof(len)) < 0
		    || gnutls_hash(h, chain[i].data, chain[i].size) < 0) {
			gnutls_hash_deinit(h, NULL);
			return -1;
		}
	}
	gnutls_hash_deinit(h, out);
	return 0;
}

static struct slot *
slot_of(const unsigned char hash[HASH_LEN])
{
	return &slots[((unsigned)hash[0] << 8 | hash[1]) % CERTCACHE_SLOTS];
}

static void
slot_reset(struct slot *s)
{
	if (s->leaf != NULL)
		gnutls_x509_crt_deinit(s->leaf);
	memset(s, 0, sizeof(*s));
}

/* The slot's answer for a hashed chain (see certcache_lookup); locked. */
static int
lookup_locked(const unsigned char hash[HASH_LEN], const char *host,
    time_t now, unsigned *status)
{
	struct slot *s = slot_of(hash);

	if (s->state != VERIFIED || memcmp(s->hash, hash, HASH_LEN) != 0
	    || now < s->not_before || now >= s->until)
		return 0;
	if (gnutls_x509_crt_check_hostname2(s->leaf, host, 0))
		return 1;
	*status = GNUTLS_CERT_INVALID | GNUTLS_CERT_UNEXPECTED_OWNER;
	return -1;
}

int
certcache_lookup(const gnutls_datum_t *chain, unsigned n, const char *host,
    time_t now, unsigned *status)
{
	unsigned char hash[HASH_LEN];
	int r;

	if (chain_hash(chain, n, hash) < 0)
		return 0;
	pthread_mutex_lock(&lock);
	r = lookup_locked(hash, host, now, status);
	pthread_mutex_unlock(&lock);
	return r;
}

/*
 * Parse the chain: the leaf, and the window in which every certificate
 * in it is valid.  -1 when a certificate does not parse.
 */
static int
chain_parse(const gnutls_datum_t *chain, unsigned n, gnutls_x509_crt_t *leaf,
    time_t *from, time_t *to)
{
	gnutls_x509_crt_t c;
	time_t a, e;
	unsigned i;

	*leaf = NULL;
	*from = 0;
	*to = (time_t)-1;
	for (i = 0; i < n; i++) {
		if (gnutls_x509_crt_init(&c) < 0)
			goto fail;
		if (gnutls_x509_crt_import(c, &chain[i], GNUTLS_X509_FMT_DER) < 0
		    || (a = gnutls_x509_crt_get_activation_time(c)) == (time_t)-1
		    || (e = gnutls_x509_crt_get_expiration_time(c)) == (time_t)-1) {
			gnutls_x509_crt_deinit(c);
			goto fail;
		}
		if (a > *from)
			*from = a;
		if (*to == (time_t)-1 || e < *to)
			*to = e;
		if (i == 0)
			*leaf = c;
		else
			gnutls_x509_crt_deinit(c);
	}
	return 0;
fail:
	if (*leaf != NULL)
		gnutls_x509_crt_deinit(*leaf);
	*leaf = NULL;
	return -1;
}

/*
 * Record a verified chain by its hash: the first sighting keeps only
 * the hash, the second (or the first when force, other workers wait for
 * it) parses the chain and keeps it as verified.
 */
static void
install(const unsigned char hash[HASH_LEN], const gnutls_datum_t *chain,
    unsigned n, time_t now, int force)
{
	gnutls_x509_crt_t leaf;
	time_t from, to;
	struct slot *s = slot_of(hash);
	int again;

	pthread_mutex_lock(&lock);
	again = s->state != EMPTY && memcmp(s->hash, hash, HASH_LEN) == 0;
	if (!again) {
		slot_reset(s);
		s->state = SEEN;
		memcpy(s->hash, hash, HASH_LEN);
	}
	pthread_mutex_unlock(&lock);
	if (!again && !force)
		return;

	/* Parse outside the lock, then install. */
	if (chain_parse(chain, n, &leaf, &from, &to) < 0)
		return;
	if (now + CERTCACHE_TTL < to)
		to = now + CERTCACHE_TTL;
	pthread_mutex_lock(&lock);
	slot_reset(s);
	s->state = VERIFIED;
	memcpy(s->hash, hash, HASH_LEN);
	s->not_before = from;
	s->until = to;
	s->leaf = leaf;
	pthread_mutex_unlock(&lock);
}

void
certcache_add(const gnutls_datum_t *chain, unsigned n, time_t now)
{
	unsigned char hash[HASH_LEN];

	if (chain_hash(chain, n, hash) == 0)
		install(hash, chain, n, now, 0);
}

void
certcache_clear(void)
{
	unsigned i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < CERTCACHE_SLOTS; i++)
		slot_reset(&slots[i]);
	pthread_mutex_unlock(&lock);
}

/* Single flight ---------------------------------------------------- */

/* A full verification of one chain in progress; others wait for it. */
struct flight {
	int used;			/* slot taken (owner or waiters left) */
	int done;			/* the owner finished ... */
	int ok;				/* ... and the chain verified */
	unsigned refs;			/* owner and waiters */
	unsigned char hash[HASH_LEN];
};

static struct flight flights[CERTCACHE_FLIGHTS];
static pthread_cond_t landed = PTHREAD_COND_INITIALIZER;
static unsigned waiting;		/* threads in wait_flight() */

/* The running verification of hash, else NULL; locked. */
static struct flight *
flight_find(const unsigned char hash[HASH_LEN])
{
	unsigned i;

	for (i = 0; i < CERTCACHE_FLIGHTS; i++)
		if (flights[i].used && !flights[i].done
		    && memcmp(flights[i].hash, hash, HASH_LEN) == 0)
			return &flights[i];
	return NULL;
}

/* Start a verification of hash; NULL when all are taken; locked. */
static struct flight *
flight_start(const unsigned char hash[HASH_LEN])
{
	unsigned i;

	for (i = 0; i < CERTCACHE_FLIGHTS; i++)
		if (!flights[i].used) {
			memset(&flights[i], 0, sizeof(flights[i]));
			flights[i].used = 1;
			flights[i].refs = 1;
			memcpy(flights[i].hash, hash, HASH_LEN);
			return &flights[i];
		}
	return NULL;
}

/* Drop one reference; the last frees the slot; locked. */
static void
flight_release(struct flight *fl)
{
	if (--fl->refs == 0)
		fl->used = 0;
}

/*
 * Wait, at most CERTCACHE_WAIT_MS, for another thread's verification of
 * the same chain; 1 when it verified, 0 when it failed or took too
 * long (the caller then verifies for itself).  Locked.
 */
static int
wait_flight(struct flight *fl)
{
	struct timespec until;
	int ok;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += CERTCACHE_WAIT_MS / 1000;
	until.tv_nsec += (CERTCACHE_WAIT_MS % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	fl->refs++;
	waiting++;
	while (!fl->done)
		if (pthread_cond_timedwait(&landed, &lock, &until) != 0)
			break;
	waiting--;
	ok = fl->done && fl->ok;
	flight_release(fl);
	return ok;
}

unsigned
certcache_waiting(void)
{
	unsigned n;

	pthread_mutex_lock(&lock);
	n = waiting;
	pthread_mutex_unlock(&lock);
	return n;
}

/*
 * The cache's answer for a hashed chain, waiting once for a running
 * verification of it; 0 leaves the full verification to the caller,
 * with *own set when others will wait for its result.
 */
static int
lookup_or_wait(const unsigned char hash[HASH_LEN], const char *host,
    time_t now, unsigned *status, struct flight **own)
{
	struct flight *fl;
	int r, waited = 0;

	*own = NULL;
	pthread_mutex_lock(&lock);
	while ((r = lookup_locked(hash, host, now, status)) == 0) {
		if ((fl = flight_find(hash)) == NULL || waited) {
			if (fl == NULL)
				*own = flight_start(hash);
			break;
		}
		waited = 1;
		if (!wait_flight(fl))
			break;
	}
	pthread_mutex_unlock(&lock);
	return r;
}

/* Whether other threads wait for the owner's result. */
static int
flight_waited(struct flight *fl)
{
	int r;

	pthread_mutex_lock(&lock);
	r = fl->refs > 1;
	pthread_mutex_unlock(&lock);
	return r;
}

/* The owner's result: wake the waiters, drop its reference. */
static void
flight_land(struct flight *fl, int ok)
{
	pthread_mutex_lock(&lock);
	fl->done = 1;
	fl->ok = ok;
	pthread_cond_broadcast(&landed);
	flight_release(fl);
	pthread_mutex_unlock(&lock);
}

int
certcache_verify_chain(const gnutls_datum_t *chain, unsigned n,
    const char *host, time_t now, unsigned *status,
    certcache_full_fn full, void *arg)
{
	unsigned char hash[HASH_LEN];
	struct flight *own = NULL;
	unsigned st = 0;
	int hashed = chain_hash(chain, n, hash) == 0;

	if (hashed) {
		switch (lookup_or_wait(hash, host, now, &st, &own)) {
		case 1:
			return 0;
		case -1:
			*status = st;
			return -1;
		}
	}
	st = full(arg);
	/* Waiters will look the chain up: keep it parsed for them. */
	if (st == 0 && hashed)
		install(hash, chain, n, now, own != NULL && flight_waited(own));
	if (own != NULL)
		flight_land(own, st == 0);
	if (st != 0) {
		*status = st;
		return -1;
	}
	return 0;
}

/* GnuTLS's full verification of a session's peer for certcache_verify. */
struct peer_check {
	gnutls_session_t s;
	const char *host;
};

static unsigned
full_peer_check(void *arg)
{
	struct peer_check *pc = arg;
	gnutls_typed_vdata_st name = { GNUTLS_DT_DNS_HOSTNAME,
	    (unsigned char *)pc->host, 0 };
	unsigned st = 0;

	if (gnutls_certificate_verify_peers(pc->s, &name, 1, &st) < 0)
		st |= GNUTLS_CERT_INVALID;
	return st;
}

int
certcache_verify(gnutls_session_t s, const char *host, time_t now,
    unsigned *status)
{
	struct peer_check pc = { s, host };
	const gnutls_datum_t *chain;
	unsigned n = 0;

	chain = gnutls_certificate_get_peers(s, &n);
	return certcache_verify_chain(chain, n, host, now, status,
	    full_peer_check, &pc);
}
