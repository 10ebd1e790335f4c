/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "htable.h"
#include "util.h"

struct hent {
	struct hent *next;
	unsigned long hash;
	void *value;
	char key[];
};

struct htable {
	struct hent **slots;
	size_t size;
	size_t count;
};

unsigned long
htable_hash(const char *s)
{
	unsigned long h = 2166136261UL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619UL;
	}
	return h;
}

struct htable *
htable_new(size_t hint)
{
	struct htable *t = xcalloc(1, sizeof(*t));

	t->size = 16;
	while (t->size < hint)
		t->size <<= 1;
	t->slots = xcalloc(t->size, sizeof(*t->slots));
	return t;
}

static void
htable_grow(struct htable *t)
{
	size_t nsize = t->size << 1;
	struct hent **ns = xcalloc(nsize, sizeof(*ns));

	for (size_t i = 0; i < t->size; i++) {
		struct hent *e = t->slots[i], *next;
		for (; e; e = next) {
			next = e->next;
			e->next = ns[e->hash & (nsize - 1)];
			ns[e->hash & (nsize - 1)] = e;
		}
	}
	free(t->slots);
	t->slots = ns;
	t->size = nsize;
}

void *
htable_get(const struct htable *t, const char *key)
{
	unsigned long h = htable_hash(key);

	for (struct hent *e = t->slots[h & (t->size - 1)]; e; e = e->next)
		if (e->hash == h && strcmp(e->key, key) == 0)
			return e->value;
	return NULL;
}

int
htable_put(struct htable *t, const char *key, void *value)
{
	unsigned long h = htable_hash(key);
	size_t kl = strlen(key);
	struct hent *e;

	for (e = t->slots[h & (t->size - 1)]; e; e = e->next)
		if (e->hash == h && strcmp(e->key, key) == 0)
			return -1;
	if (t->count >= t->size)
		htable_grow(t);
	e = xmalloc(sizeof(*e) + kl + 1);
	memcpy(e->key, key, kl + 1);
	e->hash = h;
	e->value = value;
	e->next = t->slots[h & (t->size - 1)];
	t->slots[h & (t->size - 1)] = e;
	t->count++;
	return 0;
}

void *
htable_del(struct htable *t, const char *key)
{
	unsigned long h = htable_hash(key);
	struct hent **pp, *e;
	void *v;

	for (pp = &t->slots[h & (t->size - 1)]; (e = *pp); pp = &e->next) {
		if (e->hash == h && strcmp(e->key, key) == 0) {
			*pp = e->next;
			v = e->value;
			free(e);
			t->count--;
			return v;
		}
	}
	return NULL;
}

void
htable_walk(const struct htable *t,
    void (*fn)(const char *key, void *value, void *arg), void *arg)
{
	for (size_t i = 0; i < t->size; i++)
		for (struct hent *e = t->slots[i]; e; e = e->next)
			fn(e->key, e->value, arg);
}

size_t
htable_count(const struct htable *t)
{
	return t->count;
}

void
htable_free(struct htable *t, void (*free_value)(void *))
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->size; i++) {
		struct hent *e = t->slots[i], *next;
		for (; e; e = next) {
			next = e->next;
			if (free_value)
				free_value(e->value);
			free(e);
		}
	}
	free(t->slots);
	free(t);
}
