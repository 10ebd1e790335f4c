#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dane.h"
#include "sts.h"
#include "dns.h"
#include "domain.h"
#include "engine.h"
#include "log.h"
#include "util.h"

struct engine {
	struct loop *loop;
	const struct config *cf;
	struct overrides *overrides;
	struct engine_stats stats;
	struct dns *dns;
	struct dane *dane;
	struct sts *sts;
	struct engine_policy pol;
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
engine_set_sts(struct engine *e, struct sts *s)
{
	sts_free(e->sts);
	e->sts = s;
}

struct sts *
engine_sts(const struct engine *e)
{
	return e->sts;
}

void
engine_disable_dane(struct engine *e)
{
	dane_free(e->dane);
	e->dane = NULL;
}

void
engine_flush_dane(struct engine *e, const char *host)
{
	if (e->dane)
		dane_flush(e->dane, host);
}

struct dns *
engine_dns(const struct engine *e)
{
	return e->dns;
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
	sts_free(e->sts);
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

const struct engine_stats *
engine_stats(const struct engine *e)
{
	return &e->stats;
}

static void
count_answer(struct engine_stats *st, const struct answer *a)
{
	st->queries++;
	switch (a->status) {
	case SM_OK: st->ok++; break;
	case SM_NOTFOUND: st->notfound++; break;
	case SM_TEMP: case SM_TIMEOUT: st->temp++; break;
	case SM_PERM: st->perm++; break;
	}
	if (strcmp(a->source, "override") == 0)
		st->by_override++;
	else if (strcmp(a->source, "dane") == 0)
		st->by_dane++;
	else if (strcmp(a->source, "mta-sts") == 0)
		st->by_sts++;
	else if (strcmp(a->source, "error") == 0)
		st->by_error++;
	else
		st->by_none++;
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

/* Is an MTA-STS policy cached for this domain?  From the cache, at once. */
static int
sts_cached(struct engine *e, const struct key *k)
{
	return e->sts != NULL && k->kind == KEY_DOMAIN && sts_cached_policy(e->sts, k->host);
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

/*
 * A query moves through the sources in order; each step either finishes
 * at once or waits for a callback that resumes it.
 */
enum step {
	STEP_DANE,
	STEP_STS,
	STEP_DONE
};

struct equery {
	struct engine *e;
	struct key k;
	int tlsrpt;
	struct answer *ans;
	engine_cb cb;
	void *arg;
	enum step step;
	char dane_why[200];	/* why DANE did not apply */
};

static void finish_async(struct equery *q);

static void
no_information(struct equery *q, const char *sts_why)
{
	answer_set(q->ans, SM_NOTFOUND, "none", NULL, "no policy information%s%s%s%s",
	    q->dane_why[0] ? "; no DANE: " : "", q->dane_why,
	    sts_why ? "; " : "", sts_why ? sts_why : "");
}

static void
sts_result(struct equery *q, struct sts_result *res)
{
	if (res->status == STS_ENFORCE)
		answer_set(q->ans, SM_OK, "mta-sts", res->value, "%s", res->reason);
	else
		no_information(q, res->reason);
	free(res->value);
	res->value = NULL;
	q->step = STEP_DONE;
}

static void
sts_done(void *arg, struct sts_result *res)
{
	struct equery *q = arg;

	sts_result(q, res);
	finish_async(q);
}

static void
dane_result_in(struct equery *q, const struct dane_result *dr)
{
	if (engine_decide_dane(&q->e->pol, dr, dr->status == DANE_ERROR
	    && sts_cached(q->e, &q->k), q->ans) == V_ANSWER) {
		q->step = STEP_DONE;
		return;
	}
	snprintf(q->dane_why, sizeof(q->dane_why), "%s",
	    dr->status == DANE_ERROR ? dr->stale_reason : dr->reason);
	q->step = STEP_STS;
}

/* Run the steps from q->step; 1 when the answer is complete, 0 when waiting. */
static int run(struct equery *q);

static void
dane_done(void *arg, const struct dane_result *dr)
{
	struct equery *q = arg;

	dane_result_in(q, dr);
	if (run(q))
		finish_async(q);
}

static int
run(struct equery *q)
{
	struct engine *e = q->e;
	struct dane_target t;
	struct dane_result dr;
	struct sts_result res;
	const char *why;

	if (q->step == STEP_DANE) {
		if (e->dane == NULL || dane_target(&q->k, &t, &why) < 0) {
			if (e->dane)
				snprintf(q->dane_why, sizeof(q->dane_why), "%s", why);
			q->step = STEP_STS;
		} else {
			if (dane_query(e->dane, &t, dane_done, q, &dr) != NULL)
				return 0;
			dane_result_in(q, &dr);
		}
	}
	if (q->step == STEP_STS) {
		/* MTA-STS applies to MX delivery to a domain only (RFC 8461 4). */
		if (e->sts == NULL || q->k.kind != KEY_DOMAIN) {
			no_information(q, NULL);
			q->step = STEP_DONE;
		} else {
			memset(&res, 0, sizeof(res));
			if (sts_query(e->sts, q->k.host, q->tlsrpt, sts_done, q,
			    &res) != NULL)
				return 0;
			sts_result(q, &res);
		}
	}
	return 1;
}

static void
finish(struct engine *e, const char *key, struct answer *ans)
{
	count_answer(&e->stats, ans);
	log_answer(key, ans);
}

static void
finish_async(struct equery *q)
{
	finish(q->e, q->k.name, q->ans);
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
	struct equery *q;
	struct key k;
	int tlsrpt;

	if (maplen == sizeof(MAP_TLSPOLICY) - 1
	    && memcmp(map, MAP_TLSPOLICY, maplen) == 0) {
		tlsrpt = 0;
	} else if (maplen == sizeof(MAP_TLSPOLICY_TLSRPT) - 1
	    && memcmp(map, MAP_TLSPOLICY_TLSRPT, maplen) == 0) {
		tlsrpt = 1;
	} else {
		log_safe(map, maplen, safe, sizeof(safe));
		answer_set(ans, SM_PERM, "error", "unknown map name",
		    "map name \"%s\" is not served", safe);
		log_warn("request for unknown map name \"%s\"", safe);
		count_answer(&e->stats, ans);
		return 1;
	}
	if (key_normalise(key, keylen, &k, &why) < 0) {
		log_safe(key, keylen, safe, sizeof(safe));
		answer_set(ans, SM_NOTFOUND, "none", NULL, "invalid key: %s", why);
		log_warn("key=\"%s\" answer=NOTFOUND reason=\"invalid key: %s\"",
		    safe, why);
		count_answer(&e->stats, ans);
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
	q = xcalloc(1, sizeof(*q));
	q->e = e;
	q->k = k;
	q->tlsrpt = tlsrpt;
	q->ans = ans;
	q->cb = cb;
	q->arg = arg;
	q->step = STEP_DANE;
	if (!run(q))
		return 0;	/* a callback finishes it */
	free(q);
done:
	finish(e, k.name, ans);
	return 1;
}
