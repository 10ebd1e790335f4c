#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "htable.h"
#include "overrides.h"
#include "tlspolicy.h"
#include "util.h"

struct overrides {
	struct htable *tab;
};

struct parse_ctx {
	struct overrides *o;
	const char *fname;
	char *err;
	size_t errlen;
};

static void
override_free(void *p)
{
	struct override *ov = p;

	free(ov->key);
	free(ov->value);
	free(ov);
}

static int
parse_entry(char *line, int lineno, void *arg)
{
	struct parse_ctx *p = arg;
	char value[4096];
	const char *why;
	struct key k;
	struct override *ov;
	size_t kl = strcspn(line, " \t");
	const char *val = line + kl;

	while (*val == ' ' || *val == '\t')
		val++;
	if (*val == '\0') {
		snprintf(p->err, p->errlen, "%s:%d: missing policy value after key",
		    p->fname, lineno);
		return -1;
	}
	if (key_normalise(line, kl, &k, &why) < 0) {
		snprintf(p->err, p->errlen, "%s:%d: bad key \"%.*s\": %s",
		    p->fname, lineno, (int)(kl > 100 ? 100 : kl), line, why);
		return -1;
	}
	if (tlspolicy_check(val, value, sizeof(value), &why) < 0) {
		snprintf(p->err, p->errlen, "%s:%d: bad policy for %s: %s",
		    p->fname, lineno, k.name, why);
		return -1;
	}
	ov = xcalloc(1, sizeof(*ov));
	ov->key = xstrdup(k.name);
	ov->value = xstrdup(value);
	ov->lineno = lineno;
	if (htable_put(p->o->tab, ov->key, ov) < 0) {
		const struct override *old = htable_get(p->o->tab, ov->key);
		snprintf(p->err, p->errlen, "%s:%d: duplicate entry for %s (first at line %d)",
		    p->fname, lineno, ov->key, old->lineno);
		override_free(ov);
		return -1;
	}
	return 0;
}

struct overrides *
overrides_empty(void)
{
	struct overrides *o = xcalloc(1, sizeof(*o));

	o->tab = htable_new(16);
	return o;
}

struct overrides *
overrides_parse(const char *text, size_t len, const char *fname, char *err,
    size_t errlen)
{
	struct overrides *o = overrides_empty();
	struct parse_ctx p = { o, fname, err, errlen };

	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: NUL byte in table", fname);
		overrides_free(o);
		return NULL;
	}
	if (cf_lines(text, len, parse_entry, &p) != 0) {
		overrides_free(o);
		return NULL;
	}
	return o;
}

struct overrides *
overrides_load(const char *path, char *err, size_t errlen)
{
	const char *why;
	size_t len;
	char *text = file_read(path, OVERRIDES_MAX_FILE, &len, &why);
	struct overrides *o;

	if (text == NULL) {
		snprintf(err, errlen, "%s: %s", path, why);
		return NULL;
	}
	o = overrides_parse(text, len, path, err, errlen);
	free(text);
	return o;
}

const struct override *
overrides_find(const struct overrides *o, const struct key *k)
{
	const struct override *ov;
	char probe[DOMAIN_MAX + 2];
	const char *parent;

	if ((ov = htable_get(o->tab, k->name)) != NULL)
		return ov;
	if (k->kind != KEY_DOMAIN)
		return NULL;
	for (parent = domain_parent(k->host); parent; parent = domain_parent(parent)) {
		snprintf(probe, sizeof(probe), ".%s", parent);
		if ((ov = htable_get(o->tab, probe)) != NULL)
			return ov;
	}
	return NULL;
}

size_t
overrides_count(const struct overrides *o)
{
	return htable_count(o->tab);
}

void
overrides_free(struct overrides *o)
{
	if (o == NULL)
		return;
	htable_free(o->tab, override_free);
	free(o);
}
