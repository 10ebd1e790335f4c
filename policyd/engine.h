/*
 * engine - the decision engine: one key in, one answer and its reason out
 *
 * SYNOPSIS
 *	struct engine *engine_new(struct loop *l, const struct config *cf);
 *	void engine_set_overrides(struct engine *e, struct overrides *o);
 *	int engine_query(struct engine *e, const char *map, size_t maplen,
 *	    const char *key, size_t keylen, struct answer *ans,
 *	    engine_cb cb, void *arg);
 *	const struct engine_stats *engine_stats(const struct engine *e);
void answer_set(struct answer *a, enum sockmap_status st,
 *	    const char *source, const char *text, const char *fmt, ...);
 *	void answer_clear(struct answer *a);
 *
 * DESCRIPTION
 *	engine_query() asks the sources in precedence order: the admin's
 *	overrides, then DANE, then MTA-STS (those two report "no
 *	information" until their modules exist), then NOTFOUND.  Each source
 *	answers, says it has no information, or fails; only this module
 *	turns that into a reply, so the precedence and every decision to
 *	answer less than the strongest policy live in one place.
 *
 *	It returns 1 when *ans is complete at once, 0 when the answer will
 *	come later through cb(arg, ans) (exactly once, from the event loop).
 *	Every answer is logged at info level as key=value fields.
 *
 *	struct answer: status, text (policy value for SM_OK, reason for
 *	errors; points into inline storage or the heap, freed by
 *	answer_clear()), source ("override", "dane", "mta-sts", "none",
 *	"error") and a one-line reason.
 */
#ifndef TLSPOL_ENGINE_H
#define TLSPOL_ENGINE_H

#include <stddef.h>

#include "conf.h"
#include "loop.h"
#include "overrides.h"
#include "sockmap.h"

#define MAP_TLSPOLICY		"tlspolicy"

struct answer {
	enum sockmap_status status;
	const char *source;
	char *text;
	char inline_text[256];
	char reason[256];
};

typedef void (*engine_cb)(void *arg, struct answer *ans);

/* Counters since start, for status output. */
struct engine_stats {
	unsigned long queries;
	unsigned long ok, notfound, temp, perm;
	unsigned long by_override, by_dane, by_sts, by_none, by_error;
};

struct engine;

struct engine *engine_new(struct loop *l, const struct config *cf);
void engine_free(struct engine *e);
void engine_set_overrides(struct engine *e, struct overrides *o);
const struct overrides *engine_overrides(const struct engine *e);
int engine_query(struct engine *e, const char *map, size_t maplen,
    const char *key, size_t keylen, struct answer *ans, engine_cb cb,
    void *arg);
const struct engine_stats *engine_stats(const struct engine *e);
void answer_set(struct answer *a, enum sockmap_status st, const char *source,
    const char *text, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void answer_clear(struct answer *a);

#endif
