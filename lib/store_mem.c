/* SPDX-License-Identifier: MIT */
/*
 * store_mem - "memory:" backend of the policy store (store.h), for tests.
 *
 * A hash table from domain to a copy of the encoded record.  Nothing is
 * persistent; each open starts empty.  Writes are "durable" as soon as
 * they are in the table.  The same codec runs as for LMDB, so tests of
 * the store's semantics hold for both.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htable.h"
#include "store.h"
#include "util.h"

struct memval {
	size_t len;
	unsigned char data[];
};

struct mem {
	struct htable *tab;
};

static void *
mem_open(const char *arg, const struct store_options *opt, char *err,
    size_t errlen)
{
	struct mem *m;

	if (*arg != '\0') {
		snprintf(err, errlen, "store memory:%s: takes no argument", arg);
		return NULL;
	}
	m = xcalloc(1, sizeof(*m));
	m->tab = htable_new(64);
	return m;
}

static int
mem_get(void *be, const char *key, store_val_fn fn, void *arg)
{
	struct mem *m = be;
	struct memval *v = htable_get(m->tab, key);

	if (v == NULL)
		return 0;
	fn(key, v->data, v->len, arg);
	return 1;
}

static int
mem_put(void *be, const char *key, const void *val, size_t len)
{
	struct mem *m = be;
	struct memval *v = xmalloc(sizeof(*v) + len);

	v->len = len;
	memcpy(v->data, val, len);
	free(htable_del(m->tab, key));
	htable_put(m->tab, key, v);	/* cannot exist: just deleted */
	return 0;
}

/* Cannot fail part way: in memory, all or none is each in turn. */
static int
mem_putv(void *be, const struct store_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mem_put(be, kv[i].key, kv[i].val, kv[i].len);
	return 0;
}

static int
mem_del(void *be, const char *key)
{
	struct mem *m = be;
	struct memval *v = htable_del(m->tab, key);

	free(v);
	return v != NULL;
}

/* htable_walk() cannot stop, so the walk remembers that fn said stop. */
struct walk {
	store_val_fn fn;
	void *arg;
	int stopped;
	char **drop;			/* purge: keys to delete afterwards */
	size_t ndrop;
};

static void
iter_one(const char *key, void *value, void *arg)
{
	struct walk *w = arg;
	struct memval *v = value;

	if (!w->stopped && w->fn(key, v->data, v->len, w->arg) != 0)
		w->stopped = 1;
}

static int
mem_iter(void *be, store_val_fn fn, void *arg)
{
	struct mem *m = be;
	struct walk w = { fn, arg, 0, NULL, 0 };

	htable_walk(m->tab, iter_one, &w);
	return w.stopped;
}

static void
purge_one(const char *key, void *value, void *arg)
{
	struct walk *w = arg;
	struct memval *v = value;

	if (w->fn(key, v->data, v->len, w->arg) == 1)
		w->drop[w->ndrop++] = xstrdup(key);
}

/* Deleting during htable_walk() would break the walk: collect first. */
static long
mem_purge(void *be, store_val_fn drop, void *arg)
{
	struct mem *m = be;
	struct walk w = { drop, arg, 0, NULL, 0 };

	w.drop = xcalloc(htable_count(m->tab) + 1, sizeof(char *));
	htable_walk(m->tab, purge_one, &w);
	for (size_t i = 0; i < w.ndrop; i++) {
		free(htable_del(m->tab, w.drop[i]));
		free(w.drop[i]);
	}
	free(w.drop);
	return (long)w.ndrop;
}

static int
mem_count(void *be, size_t *n)
{
	struct mem *m = be;

	*n = htable_count(m->tab);
	return 0;
}

static void
mem_close(void *be)
{
	struct mem *m = be;

	htable_free(m->tab, free);
	free(m);
}

const struct store_ops store_mem_ops = {
	.name = "memory",
	.open = mem_open,
	.get = mem_get,
	.putv = mem_putv,
	.del = mem_del,
	.iter = mem_iter,
	.purge = mem_purge,
	.count = mem_count,
	.close = mem_close,
};
