/* SPDX-License-Identifier: MIT */
#ifndef TLSPOL_CERTCACHE_H
#define TLSPOL_CERTCACHE_H

#include <time.h>
#include <gnutls/gnutls.h>

#define CERTCACHE_SLOTS	64	/* chains remembered (direct-mapped) */
#define CERTCACHE_TTL	300	/* seconds a verified chain is trusted */

extern int certcache_lookup(const gnutls_datum_t *, unsigned, const char *,
    time_t, unsigned *);
extern void certcache_add(const gnutls_datum_t *, unsigned, time_t);
extern void certcache_clear(void);
extern int certcache_verify(gnutls_session_t, const char *, time_t,
    unsigned *);

#endif
