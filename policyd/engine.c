#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "engine.h"
#include "log.h"
#include "util.h"

struct engine {
	struct loop *loop;
	const struct config *cf;
	struct overrides *overrides;
	struct engine_stats stats;
};

/* What a source says about a key. */
enum verdict {
	V_NOINFO,	/* nothing to say: ask the next source */
	V_ANSWER,	/* *ans is the answer */
};

struct engine *
engine_new(struct loop *l, const struct config *cf)
{
	struct engine *e = xcalloc(1, sizeof(*e));

	e->loop = l;
	e->cf = cf;
	e->overrides = overrides_empty();
	return e;
}

void
engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	overrides_free(e->overrides);
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

int
engine_query(struct engine *e, const char *map, size_t maplen,
    const char *key, size_t keylen, struct answer *ans, engine_cb cb,
    void *arg)
{
	char safe[300];
	const char *why;
	struct key k;

	(void)cb;
	(void)arg;
	if (maplen != sizeof(MAP_TLSPOLICY) - 1
	    || memcmp(map, MAP_TLSPOLICY, maplen) != 0) {
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
	if (source_override(e, &k, ans) == V_ANSWER)
		goto done;
	if (k.kind == KEY_PARENT) {
		answer_set(ans, SM_NOTFOUND, "none", NULL,
		    "parent-domain probe without a .domain override");
		goto done;
	}
	/* DANE and MTA-STS sources plug in here. */
	answer_set(ans, SM_NOTFOUND, "none", NULL, "no policy information");
done:
	count_answer(&e->stats, ans);
	log_answer(k.name, ans);
	return 1;
}
