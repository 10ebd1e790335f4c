/*
 * engine - the decision engine: one key in, one answer and its reason out
 *
 * SYNOPSIS
 *	struct engine *engine_new(struct loop *l, const struct config *cf);
 *	void engine_set_overrides(struct engine *e, struct overrides *o);
void engine_set_dns(struct engine *e, struct dns *d);
void engine_policy_from(struct engine_policy *pol, const struct config *cf);
enum verdict engine_decide_dane(const struct engine_policy *pol,
    const struct dane_result *dr, int sts_is_cached, struct answer *ans);
 *	void engine_set_dns(struct engine *e, struct dns *d);
 *	int engine_query(struct engine *e, const char *map, size_t maplen,
 *	    const char *key, size_t keylen, struct answer *ans,
 *	    engine_cb cb, void *arg);
 *	void answer_set(struct answer *a, enum sockmap_status st,
 *	    const char *source, const char *text, const char *fmt, ...);
 *	void answer_clear(struct answer *a);
 *
 *	enum verdict engine_decide_dane(const struct engine_policy *pol,
 *	    const struct dane_result *dr, int sts_is_cached,
 *	    struct answer *ans);
 *
 * DESCRIPTION
 *	engine_query() asks the sources in precedence order: the admin's
 *	overrides (at once, without DNS), then DANE (asynchronous, when
 *	engine_set_dns() gave the engine a resolver; it then owns it),
 *	then MTA-STS (reports "no information" until its module exists),
 *	then NOTFOUND.  Each source
 *	answers, says it has no information, or fails; only this module
 *	turns that into a reply, so the precedence and every decision to
 *	answer less than the strongest policy live in one place.
 *
 *	It returns 1 when *ans is complete at once, 0 when the answer will
 *	come later through cb(arg, ans) (exactly once, from the event loop).
 *	Every answer is logged at info level as key=value fields.
 *
 *	engine_decide_dane() is the one function that turns a DANE result
 *	(and, on errors, dns_error_action and whether an MTA-STS policy is
 *	cached) into an answer; its table is in engine.c.  It returns
 *	V_NOINFO when the next source is to be asked.  Pure, for tests.
 *
 *	A connection that goes away while DANE works needs nothing from
 *	the engine: cb still runs once, and its owner frees what it must.
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
#include "dane.h"
#include "dns.h"
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

/* What a source says about a key. */
enum verdict {
	V_NOINFO,	/* nothing to say: ask the next source */
	V_ANSWER,	/* *ans is the answer */
};

enum error_action {
	ACT_TEMP,	/* defer */
	ACT_DANE,	/* let Postfix do the DNSSEC lookups itself */
	ACT_STALE	/* last good result, then stale_fallback */
};

struct engine_policy {
	enum error_action error_action;		/* dns_error_action */
	enum error_action stale_fallback;	/* dns_stale_fallback */
};

struct engine;

struct engine *engine_new(struct loop *l, const struct config *cf);
void engine_free(struct engine *e);
void engine_set_overrides(struct engine *e, struct overrides *o);
void engine_set_dns(struct engine *e, struct dns *d);
void engine_policy_from(struct engine_policy *pol, const struct config *cf);
enum verdict engine_decide_dane(const struct engine_policy *pol,
    const struct dane_result *dr, int sts_is_cached, struct answer *ans);
const struct overrides *engine_overrides(const struct engine *e);
int engine_query(struct engine *e, const char *map, size_t maplen,
    const char *key, size_t keylen, struct answer *ans, engine_cb cb,
    void *arg);
void answer_set(struct answer *a, enum sockmap_status st, const char *source,
    const char *text, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void answer_clear(struct answer *a);

#endif
