/* SPDX-License-Identifier: MIT */
/*
 * htable - string-keyed hash table (chained, FNV-1a, grows at load 1)
 *
 * SYNOPSIS
 *	struct htable *htable_new(size_t hint);
 *	void *htable_get(const struct htable *t, const char *key);
 *	int   htable_put(struct htable *t, const char *key, void *value);
 *	void *htable_del(struct htable *t, const char *key);
 *	void  htable_free(struct htable *t, void (*free_value)(void *));
 *	void  htable_walk(const struct htable *t,
 *	          void (*fn)(const char *key, void *value, void *arg), void *arg);
 *	size_t htable_count(const struct htable *t);
 *
 * DESCRIPTION
 *	Keys are copied; values are the caller's.  htable_put() returns -1
 *	without changing anything when the key exists.  htable_del() returns
 *	the removed value or NULL.
 */
#ifndef TLSPOL_HTABLE_H
#define TLSPOL_HTABLE_H

#include <stddef.h>

struct htable;

struct htable *htable_new(size_t hint);
void *htable_get(const struct htable *t, const char *key);
int htable_put(struct htable *t, const char *key, void *value);
void *htable_del(struct htable *t, const char *key);
void htable_free(struct htable *t, void (*free_value)(void *));
void htable_walk(const struct htable *t,
    void (*fn)(const char *key, void *value, void *arg), void *arg);
size_t htable_count(const struct htable *t);
unsigned long htable_hash(const char *s);

#endif
