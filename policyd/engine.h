/* SPDX-License-Identifier: MIT */
/*
 * engine - the decision engine: one key in, one answer and its reason out
 *
 * SYNOPSIS
 *	struct engine *engine_new(struct loop *l, const struct config *cf);
 *	void engine_set_overrides(struct engine *e, struct overrides *o);
 *	void engine_set_dns(struct engine *e, struct dns *d);
 *	void engine_set_dns_port(struct engine *e, const struct dns_port *p);
 *	void engine_set_report(struct engine *e, void (*fn)(void *arg,
 *	    const char *domain, const char *result_type, const char *detail),
 *	    void *arg);
void engine_set_dns_port(struct engine *e, const struct dns_port *p);
 *	void engine_set_sts(struct engine *e, struct sts *s);
 *	int engine_query(struct engine *e, const char *map, size_t maplen,
 *	    const char *key, size_t keylen, struct answer *ans,
 *	    engine_cb cb, void *arg);
 *	int engine_explain(struct engine *e, const char *key, json_t *trace,
 *	    struct answer *ans, engine_cb cb, void *arg);
 *	int engine_set_default(struct engine *e, const char *value);
 *	const struct engine_stats *engine_stats(const struct engine *e);
 *	void answer_set(struct answer *a, enum sockmap_status st,
 *	    const char *source, const char *text, const char *fmt, ...);
 *	void answer_clear(struct answer *a);
 *
 *	enum decision engine_decide(struct facts *f, struct answer *ans);
 *	enum verdict engine_decide_dane(const struct engine_policy *pol,
 *	    const struct dane_result *dr, int sts_is_cached,
 *	    struct answer *ans);
 *	enum verdict engine_decide_sts(struct sts_result *res,
 *	    int dane_held, struct answer *ans);
 *	json_t *engine_mx_json(const struct dane_mx *m);
 *
 * DESCRIPTION
 *	engine_query() asks the sources in precedence order (as
 *	engine_decide() asks for them): the admin's
 *	overrides (at once, without DNS), then DANE (asynchronous, when
 *	engine_set_dns() gave the engine a resolver), then MTA-STS (when
 *	engine_set_sts() gave it the MTA-STS source; domains only; also
 *	after a DANE dane answer, which an enforce policy outranks), then
 *	the override table's MX rules (domains only, when every MX host the
 *	DANE walk saw matches; see overrides.h), then default_policy (not
 *	for parent probes: Postfix sends them after a NOTFOUND, and a
 *	default would stop its walk up the parents), then NOTFOUND.  An
 *	override or MX rule marked report-only is not applied: the query
 *	goes on as without it, and one notice line says what it would have
 *	answered next to the actual answer.  The engine owns the resolver and the MTA-STS source it is
 *	given.  Each source answers, says it has no information, or fails;
 *	only this module turns that into a reply, so the precedence and
 *	every decision to answer less than the strongest policy live in one
 *	place.
 *
 *	engine_set_dns() gives the engine a resolver it owns; DANE uses it
 *	through its DNS port (dnsport.h).  engine_set_dns_port() gives DANE
 *	a port only (the engine owns nothing): unit tests script DNS so.
 *	engine_set_report(), before either, names where the DANE driver
 *	reports a bogus (DNSSEC) lookup of a domain, for TLSRPT (dane.h).
 *
 *	Map names: "tlspolicy" (plain values, Postfix 3.7 to 3.9) and
 *	"tlspolicy-tlsrpt" (MTA-STS answers carry Postfix 3.10 TLSRPT
 *	attributes); any other name gets PERM.
 *
 *	It returns 1 when *ans is complete at once, 0 when the answer will
 *	come later through cb(arg, ans) (exactly once, from the event loop).
 *	Every answer is counted and logged at info level as key=value fields.
 *
 *	engine_decide() is the one function that turns the facts collected
 *	for a key (struct facts: override, DANE result, MTA-STS result,
 *	whether a policy is cached, how long a first contact has waited,
 *	the MX hosts matching the policy's patterns, MX rule,
 *	default_policy, the dns_error_action, sts_enforce_testing,
 *	sts_first_fetch_wait and sts_testing_report settings) into the
 *	answer and its reason, or says which fact it needs next
 *	(DECIDE_ASK_*, DECIDE_WAIT_STS); the engine collects that fact and
 *	calls it again.  Pure, for tests; its truth table is the
 *	comment above it in engine.c.  Its DANE and MTA-STS parts are
 *	engine_decide_dane() and engine_decide_sts(), tested on their own.
 *
 *	engine_decide_dane() turns a DANE result (and, on errors,
 *	dns_error_action and whether an MTA-STS policy is cached) into an
 *	answer; its table (the dns_error_action rows) is in engine.c.  It returns
 *	V_NOINFO when the next source is to be asked, and V_DANE_WEAK for
 *	a dane answer (not dane-only) that an MTA-STS enforce policy
 *	outranks: only dane-only (secure MX RRset, every host with usable
 *	TLSA) is validated DANE in the sense of RFC 8461 section 2.  Then
 *	engine_decide_sts() turns the MTA-STS result into the answer: the
 *	enforce policy, else the held dane answer (dane_held), else
 *	V_NOINFO.  Both pure, for tests.  engine_mx_json() is the "mx"
 *	object of the explain trace's dane step (what dane_mx_eval() saw).
 *
 *	engine_explain() runs the same steps for one key (map "tlspolicy")
 *	and records each in trace, a JSON object the caller owns: key,
 *	kind, override, dane (status, reason, mx: hosts with their TLSA
 *	state), mta_sts (status, reason, txt_id, cached policy, last_error),
 *	mx_rule, default_policy, report_only and answer.  Return and cb as
 *	for engine_query(); explain answers are not counted or logged.
 *
 *	engine_set_default() sets default_policy (NULL or "": none); -1
 *	when the value is not a valid policy (then it is unchanged).
 *
 *	A connection that goes away while a source works needs nothing from
 *	the engine: cb still runs once, and its owner frees what it must.
 *
 *	struct answer: status, text (policy value for SM_OK, reason for
 *	errors; points into inline storage or the heap, freed by
 *	answer_clear()), source ("override", "dane", "mta-sts",
 *	"mx-rule", "default", "none", "error") and a one-line reason.  Zero it before first use.
 *	The reason is read only by the info log line and by explain: the
 *	engine sets quiet when neither will read it (no trace, info logging
 *	off), and answer_set() then leaves reason empty instead of
 *	formatting it.  The engine decides quiet again in each turn of the
 *	event loop that may set the answer, so a log level changed while a
 *	query waits still gets its reasons.
 */
#ifndef TLSPOL_ENGINE_H
#define TLSPOL_ENGINE_H

#include <stddef.h>

#include <jansson.h>

#include "conf.h"
#include "dane.h"
#include "dns.h"
#include "loop.h"
#include "overrides.h"
#include "sockmap.h"

#define MAP_TLSPOLICY		"tlspolicy"
#define MAP_TLSPOLICY_TLSRPT	"tlspolicy-tlsrpt"

struct answer {
	enum sockmap_status status;
	const char *source;
	char *text;
	char inline_text[256];
	int quiet;		/* nobody reads reason: do not format it */
	char reason[256];
};

typedef void (*engine_cb)(void *arg, struct answer *ans);

/*
 * Counters since start, for status output and metrics: answers by source
 * (engine_source_names[]: override, dane, mta-sts, mx-rule, default,
 * error, none) and result (engine_result_names[]: ok, notfound, temp,
 * perm; a TIMEOUT counts as temp).  engine_answers() sums them: -1 for
 * a source or a result means all.
 */
enum { ANS_OVERRIDE, ANS_DANE, ANS_STS, ANS_MX_RULE, ANS_DEFAULT, ANS_ERROR,
	ANS_NONE, ANS_SOURCES };
enum { ANS_OK, ANS_NOTFOUND, ANS_TEMP, ANS_PERM, ANS_RESULTS };

struct engine_stats {
	unsigned long queries;
	unsigned long answers[ANS_SOURCES][ANS_RESULTS];
};

extern const char *const engine_source_names[ANS_SOURCES];
extern const char *const engine_result_names[ANS_RESULTS];
unsigned long engine_answers(const struct engine_stats *st, int source,
    int result);

/* What a source says about a key. */
enum verdict {
	V_NOINFO,	/* nothing to say: ask the next source */
	V_ANSWER,	/* *ans is the answer */
	V_DANE_WEAK	/* *ans is dane, unless MTA-STS enforces: ask it */
};

enum error_action {
	ACT_TEMP,	/* defer */
	ACT_DANE,	/* let Postfix do the DNSSEC lookups itself */
	ACT_STALE	/* last good result, then stale_fallback */
};

struct engine_policy {
	enum error_action error_action;		/* dns_error_action */
	enum error_action stale_fallback;	/* dns_stale_fallback */
	long first_fetch_wait_ms;		/* sts_first_fetch_wait */
	int enforce_testing;			/* sts_enforce_testing */
	int testing_report;			/* sts_testing_report */
};

/* How much the engine knows of one source. */
enum fact_state {
	FACT_UNKNOWN,	/* not asked yet */
	FACT_NONE,	/* the source does not apply (disabled, wrong kind) */
	FACT_KNOWN	/* its result is in */
};

#include "sts.h"

/* What engine_decide() decides from (see engine.c for the table). */
struct facts {
	enum key_kind kind;
	const struct override *override;	/* found, report-only too */
	const struct engine_policy *pol;
	enum fact_state dane;
	const char *dane_why;		/* FACT_NONE: why not asked, or "" */
	struct dane_result dr;		/* FACT_KNOWN */
	int sts_cached;			/* DANE error: MTA-STS policy cached */
	int sts_applies;		/* MTA-STS enabled, key a domain */
	enum fact_state sts;
	struct sts_result sr;		/* FACT_KNOWN; engine_decide() turns
					   TESTING and PENDING into what applies */
	long sts_waited_ms;		/* first contact: waited so far */
	int tlsrpt;			/* asked on the TLSRPT map name */
	enum fact_state mx;		/* MX hosts against the mx patterns */
	size_t mx_hosts, mx_matching;	/* FACT_KNOWN */
	enum fact_state rest;		/* MX rule looked up */
	const struct override *mx_rule;	/* matching every MX host, or NULL */
	size_t nmx;			/* MX hosts it matched */
	const char *default_policy;	/* NULL: none */
};

enum decision {
	DECIDE_ANSWER,		/* *ans is the answer */
	DECIDE_ASK_DANE,	/* collect the DANE result, decide again */
	DECIDE_ASK_STS,		/* collect the MTA-STS result */
	DECIDE_WAIT_STS,	/* wait for a first fetch, the rest of
				   first_fetch_wait_ms, and decide again */
	DECIDE_ASK_MX,		/* match the MX hosts against the policy */
	DECIDE_ASK_REST		/* look up the MX rule */
};

enum decision engine_decide(struct facts *f, struct answer *ans);

struct engine;

struct engine *engine_new(struct loop *l, const struct config *cf);
void engine_free(struct engine *e);
void engine_set_overrides(struct engine *e, struct overrides *o);
void engine_set_dns(struct engine *e, struct dns *d);
void engine_set_dns_port(struct engine *e, const struct dns_port *p);
void engine_set_report(struct engine *e, void (*fn)(void *arg,
    const char *domain, const char *result_type, const char *detail),
    void *arg);
void engine_set_sts(struct engine *e, struct sts *s);
struct sts *engine_sts(const struct engine *e);
struct dns *engine_dns(const struct engine *e);
void engine_flush_dane(struct engine *e, const char *host);
void engine_disable_dane(struct engine *e);
int engine_dane_stats(const struct engine *e, unsigned long *queries,
    unsigned long *hits, size_t *cached);
void engine_policy_from(struct engine_policy *pol, const struct config *cf);
enum verdict engine_decide_dane(const struct engine_policy *pol,
    const struct dane_result *dr, int sts_is_cached, struct answer *ans);
enum verdict engine_decide_sts(struct sts_result *res, int dane_held,
    struct answer *ans);
json_t *engine_mx_json(const struct dane_mx *m);
const struct overrides *engine_overrides(const struct engine *e);
int engine_query(struct engine *e, const char *map, size_t maplen,
    const char *key, size_t keylen, struct answer *ans, engine_cb cb,
    void *arg);
int engine_explain(struct engine *e, const char *key, json_t *trace,
    struct answer *ans, engine_cb cb, void *arg);
int engine_set_default(struct engine *e, const char *value);
const struct engine_stats *engine_stats(const struct engine *e);
void answer_set(struct answer *a, enum sockmap_status st, const char *source,
    const char *text, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void answer_clear(struct answer *a);

#endif
