/* SPDX-License-Identifier: MIT */
/*
 * store_wb - the policy store's write-behind queue
 *
 * SYNOPSIS
 *	struct store_wb *store_wb_new(struct store *st);
 *	int store_wb_put(struct store_wb *wb, struct store_entry *e);
 *	int store_wb_get(struct store_wb *wb, const char *domain,
 *	    struct store_entry *out);
 *	void store_wb_del(struct store_wb *wb, const char *domain);
 *	void store_wb_flush(struct store_wb *wb);
 *	void store_wb_stats(const struct store_wb *wb, unsigned long *written,
 *	    unsigned long *failed);
 *	void store_wb_free(struct store_wb *wb);
 *
 * DESCRIPTION
 *	Each fetched policy used to be a synced store commit of its own on
 *	the event loop: a disk flush per policy, during which no query was
 *	answered (the cold MTA-STS benchmark: a sixth of the daemon's
 *	time).  Entries now wait in this queue and go to the store in one
 *	durable write (store_put_many()): when STORE_WB_MAX are waiting, or
 *	when the owner calls store_wb_flush() (tlspolicyd's MTA-STS module
 *	does so STS_WB_DELAY_MS after the first entry, and for status and
 *	shutdown).  A crash loses at most the policies of that moment,
 *	which the next query fetches again.
 *
 *	store_wb_put() queues *e, replacing a waiting entry of the same
 *	domain; e's policy text moves to the queue (e->policy is NULL
 *	after).  It returns 1 when the queue was empty before (the owner
 *	arms its flush timer), else 0.  store_wb_get() and store_wb_del()
 *	are store_get() and store_del() that see the waiting entries
 *	first.  store_wb_stats() counts the records flushed since start:
 *	written, and failed (not stored).  store_wb_free() writes out what
 *	waits.  No event loop
 *	here: the owner decides when.
 *
 *	A write that fails (disk full, read-only file system) is logged at
 *	most once every STORE_WB_LOG_MS, with the number of records not
 *	stored and of failed writes held back since the last line; the
 *	policies keep applying from memory, and the next write tries again.
 */
#ifndef TLSPOL_STORE_WB_H
#define TLSPOL_STORE_WB_H

#include <stddef.h>

#include "store.h"

#define STORE_WB_MAX	128	/* entries waiting, at most */
#define STORE_WB_LOG_MS	60000	/* a failed write is logged once a minute */

struct store_wb;

struct store_wb *store_wb_new(struct store *st);
int store_wb_put(struct store_wb *wb, struct store_entry *e);
int store_wb_get(struct store_wb *wb, const char *domain,
    struct store_entry *out);
void store_wb_del(struct store_wb *wb, const char *domain);
void store_wb_flush(struct store_wb *wb);
void store_wb_stats(const struct store_wb *wb, unsigned long *written,
    unsigned long *failed);
void store_wb_free(struct store_wb *wb);

#endif
