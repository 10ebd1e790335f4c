/* SPDX-License-Identifier: MIT */
#ifndef TLSPOL_CERTCACHE_H
#define TLSPOL_CERTCACHE_H

#include <time.h>
#include <gnutls/gnutls.h>

#define CERTCACHE_SLOTS	64	/* chains remembered (direct-mapped) */
#define CERTCACHE_TTL	300	/* seconds a verified chain is trusted */
#define CERTCACHE_FLIGHTS 64	/* chains verified single-flight at once */
#define CERTCACHE_WAIT_MS 5000	/* longest wait for another's verification */

/* A full verification: its status, 0 when the chain is good. */
typedef unsigned (*certcache_full_fn)(void *);

extern int certcache_lookup(const gnutls_datum_t *, unsigned, const char *,
    time_t, unsigned *);
extern void certcache_add(const gnutls_datum_t *, unsigned, time_t);
extern void certcache_clear(void);
extern int certcache_verify(gnutls_session_t, const char *, time_t,
    unsigned *);
extern int certcache_verify_chain(const gnutls_datum_t *, unsigned,
    const char *, time_t, unsigned *, certcache_full_fn, void *);
extern unsigned certcache_waiting(void);

#endif
