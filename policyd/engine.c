#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dane.h"
#include "dns.h"
#include "domain.h"
#include "engine.h"
#include "log.h"
#include "util.h"

struct engine {
	struct loop *loop;
	const struct config *cf;
	struct overrides *overrides;
	struct dns *dns;
	struct dane *dane;
	struct engine_policy pol;
};

/* A query waiting for DANE. */
struct equery {
	struct engine *e;
	struct key k;
	struct answer *ans;
	engine_cb cb;
	void *arg;
};

struct engine *
engine_new(struct loop *l, const struct config *cf)
{
	struct engine *e = xcalloc(1, sizeof(*e));

	e->loop = l;
	e->cf = cf;
	e->overrides = overrides_empty();
	engine_policy_from(&e->pol, cf);
	return e;
}

/* The error-action values; the parameter checks refuse anything else. */
static enum error_action
action_parse(const char *v)
{
	if (strcmp(v, "dane") == 0)
		return ACT_DANE;
	if (strcmp(v, "stale") == 0)
		return ACT_STALE;
	return ACT_TEMP;
}

void
engine_policy_from(struct engine_policy *pol, const struct config *cf)
{
	pol->error_action = action_parse(config_get(cf, "dns_error_action"));
	pol->stale_fallback = action_parse(config_get(cf, "dns_stale_fallback"));
}

void
engine_set_dns(struct engine *e, struct dns *d)
{
	struct dane_config dc;

	dane_free(e->dane);
	dns_free(e->dns);
	e->dns = d;
	e->dane = NULL;
	if (d == NULL)
		return;
	dc.query_timeout_ms = config_time(e->cf, "query_timeout") * 1000;
	dc.stale_max = config_time(e->cf, "dns_stale_max");
	dc.cache_size = (size_t)config_long(e->cf, "dns_cache_size");
	e->dane = dane_new(e->loop, d, &dc);
}

void
engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	overrides_free(e->overrides);
	dane_free(e->dane);
	dns_free(e->dns);
	free(e);
}

void
engine_set_overrides(struct engine *e, struct overrides *o)
{
	overrides_free(e->overrides);
	e->overrides = o;
}

const struct overrides *
engine_overrides(const struct engine *e)
{
	return e->overrides;
}

void
answer_set(struct answer *a, enum sockmap_status st, const char *source,
    const char *text, const char *fmt, ...)
{
	va_list ap;
	size_t tl = text ? strlen(text) : 0;

	answer_clear(a);
	a->status = st;
	a->source = source;
	if (tl < sizeof(a->inline_text)) {
		memcpy(a->inline_text, text ? text : "", tl + 1);
		a->text = a->inline_text;
	} else {
		a->text = xstrdup(text);
	}
	va_start(ap, fmt);
	vsnprintf(a->reason, sizeof(a->reason), fmt, ap);
	va_end(ap);
}

void
answer_clear(struct answer *a)
{
	if (a->text && a->text != a->inline_text)
		free(a->text);
	a->text = NULL;
}

static enum verdict
source_override(struct engine *e, const struct key *k, struct answer *ans)
{
	const struct override *ov = overrides_find(e->overrides, k);

	if (ov == NULL)
		return V_NOINFO;
	answer_set(ans, SM_OK, "override", ov->value,
	    "override %s at line %d", ov->key, ov->lineno);
	return V_ANSWER;
}

static void
log_answer(const char *key, const struct answer *a)
{
	char safe[300];

	if (!LOG_ENABLED(LOG_LVL_INFO))
		return;
	log_safe(key, strlen(key), safe, sizeof(safe));
	if (a->status == SM_OK)
		log_msg(LOG_LVL_INFO, "key=%s answer=\"%s\" source=%s reason=\"%s\"",
		    safe, a->text, a->source, a->reason);
	else
		log_msg(LOG_LVL_INFO, "key=%s answer=%s source=%s reason=\"%s\"",
		    safe, sockmap_status_name(a->status), a->source, a->reason);
}

/*
 * Is an MTA-STS policy cached for this domain?  Stub until the MTA-STS
 * source exists; it must then answer from its cache only, at once.
 */
static int
sts_cached(struct engine *e, const struct key *k)
{
	(void)e;
	(void)k;
	return 0;
}

static enum verdict
dane_answer(struct answer *ans, enum dane_status st, const char *why,
    const char *how)
{
	answer_set(ans, SM_OK, "dane", st == DANE_DANE_ONLY ? "dane-only"
	    : "dane", "%s%s", how, why);
	return V_ANSWER;
}

/*
 * The one place where a DANE lookup result becomes an answer, and so the
 * one place that may answer less than the strongest policy.
 *
 *  DANE result   error class  dns_error_action  MTA-STS cached  answer
 *  -----------   -----------  ----------------  --------------  ------
 *  dane-only     -            -                 -               OK dane-only
 *  dane          -            -                 -               OK dane
 *  no DANE       -            -                 -               next source
 *                                                               (MTA-STS, NOTFOUND)
 *  error         bogus        any               any             TEMP
 *  error         transient    temp              any             TEMP
 *  error         transient    dane              no              OK dane
 *  error         transient    dane              yes             TEMP
 *  error         transient    stale, last good  any             last good result
 *                             result expired                    (dane-only, dane or
 *                             at most                           next source)
 *                             dns_stale_max ago
 *  error         transient    stale, none       -               as dns_stale_fallback
 *                                                               (temp or dane rows)
 *
 *  "bogus" is every SERVFAIL without an Extended DNS Error that names
 *  resolver trouble (in resolver mode a DNSSEC failure cannot be told
 *  from other SERVFAILs), and malformed data.  A dane answer switches
 *  MTA-STS enforcement off in Postfix, so it is never given while an
 *  MTA-STS policy is cached.  A "no DANE" stale result lets the next
 *  source answer, as it would have when that result was fresh.
 */
enum verdict
engine_decide_dane(const struct engine_policy *pol,
    const struct dane_result *dr, int sts_is_cached, struct answer *ans)
{
	enum error_action act = pol->error_action;

	switch (dr->status) {
	case DANE_DANE:
	case DANE_DANE_ONLY:
		return dane_answer(ans, dr->status, dr->reason, "");
	case DANE_NOINFO:
		return V_NOINFO;
	case DANE_ERROR:
		break;
	}
	if (dr->err != DANE_ERR_TRANSIENT) {
		answer_set(ans, SM_TEMP, "dane", "DANE lookup failed",
		    "%s", dr->reason);
		return V_ANSWER;
	}
	if (act == ACT_STALE) {
		if (dr->stale_status == DANE_DANE
		    || dr->stale_status == DANE_DANE_ONLY)
			return dane_answer(ans, dr->stale_status, dr->stale_reason,
			    "stale: ");
		if (dr->stale_status == DANE_NOINFO)
			return V_NOINFO;
		act = pol->stale_fallback;
	}
	if (act == ACT_DANE && !sts_is_cached) {
		answer_set(ans, SM_OK, "dane", "dane",
		    "DNS trouble, Postfix to decide: %s", dr->reason);
		return V_ANSWER;
	}
	answer_set(ans, SM_TEMP, "dane", "DANE lookup failed", "%s%s", dr->reason,
	    act == ACT_DANE ? " (MTA-STS policy cached: no dane fallback)" : "");
	return V_ANSWER;
}

/* The sources after DANE. */
static void
finish_sources(struct engine *e, const struct key *k, const char *dane_why,
    struct answer *ans)
{
	(void)e;
	(void)k;
	/* The MTA-STS source plugs in here. */
	answer_set(ans, SM_NOTFOUND, "none", NULL, "no policy information%s%s",
	    dane_why ? "; no DANE: " : "", dane_why ? dane_why : "");
}

static void
decide(struct engine *e, const struct key *k, const struct dane_result *dr,
    struct answer *ans)
{
	if (engine_decide_dane(&e->pol, dr, dr->status == DANE_ERROR
	    && k->kind == KEY_DOMAIN && sts_cached(e, k), ans) == V_NOINFO)
		finish_sources(e, k, dr->status == DANE_ERROR ? dr->stale_reason
		    : dr->reason, ans);
}

static void
dane_done(void *arg, const struct dane_result *dr)
{
	struct equery *q = arg;

	decide(q->e, &q->k, dr, q->ans);
	log_answer(q->k.name, q->ans);
	q->cb(q->arg, q->ans);
	free(q);
}

int
engine_query(struct engine *e, const char *map, size_t maplen,
    const char *key, size_t keylen, struct answer *ans, engine_cb cb,
    void *arg)
{
	char safe[300];
	const char *why;
	struct key k;
	struct dane_target t;
	struct dane_result dr;
	struct equery *q;

	if (maplen != sizeof(MAP_TLSPOLICY) - 1
	    || memcmp(map, MAP_TLSPOLICY, maplen) != 0) {
		log_safe(map, maplen, safe, sizeof(safe));
		answer_set(ans, SM_PERM, "error", "unknown map name",
		    "map name \"%s\" is not served", safe);
		log_warn("request for unknown map name \"%s\"", safe);
		return 1;
	}
	if (key_normalise(key, keylen, &k, &why) < 0) {
		log_safe(key, keylen, safe, sizeof(safe));
		answer_set(ans, SM_NOTFOUND, "none", NULL, "invalid key: %s", why);
		log_warn("key=\"%s\" answer=NOTFOUND reason=\"invalid key: %s\"",
		    safe, why);
		return 1;
	}
	/* Overrides and parent probes are answered at once, without DNS. */
	if (source_override(e, &k, ans) == V_ANSWER)
		goto done;
	if (k.kind == KEY_PARENT) {
		answer_set(ans, SM_NOTFOUND, "none", NULL,
		    "parent-domain probe without a .domain override");
		goto done;
	}
	if (e->dane == NULL || dane_target(&k, &t, &why) < 0) {
		finish_sources(e, &k, e->dane ? why : NULL, ans);
		goto done;
	}
	q = xcalloc(1, sizeof(*q));
	q->e = e;
	q->k = k;
	q->ans = ans;
	q->cb = cb;
	q->arg = arg;
	if (dane_query(e->dane, &t, dane_done, q, &dr) != NULL)
		return 0;	/* dane_done() answers */
	free(q);
	decide(e, &k, &dr, ans);
done:
	log_answer(k.name, ans);
	return 1;
}
