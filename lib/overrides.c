/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "htable.h"
#include "overrides.h"
#include "tlspolicy.h"
#include "util.h"

struct overrides {
	struct htable *tab;		/* every entry, for duplicates */
	struct override **mx;		/* MX rules in file order */
	size_t nmx;
	size_t nparent;			/* ".domain" entries */
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

/* "*.suffix", ".suffix" or "host"; the host part is a domain name. */
static int
mx_pattern_norm(const char *in, size_t len, char *out, size_t outlen,
    const char **why)
{
	const char *prefix = "";
	struct key k;

	if (len >= 2 && in[0] == '*' && in[1] == '.') {
		prefix = "*.";
		in += 2;
		len -= 2;
	} else if (len >= 1 && in[0] == '.') {
		prefix = ".";
		in++;
		len--;
	}
	if (len == 0 || memchr(in, '*', len) != NULL) {
		*why = "MX pattern must be host, *.domain or .domain";
		return -1;
	}
	if (key_normalise(in, len, &k, why) < 0)
		return -1;
	if (k.kind != KEY_DOMAIN || k.ip_literal || strchr(k.host, '.') == NULL) {
		*why = "MX pattern must be a domain name with at least two labels";
		return -1;
	}
	if ((size_t)snprintf(out, outlen, "%s%s%s", OVERRIDE_MX_PREFIX, prefix,
	    k.host) >= outlen) {
		*why = "MX pattern too long";
		return -1;
	}
	return 0;
}

int
override_key_norm(const char *in, size_t len, char *out, size_t outlen,
    const char **why)
{
	size_t pl = strlen(OVERRIDE_MX_PREFIX);
	struct key k;

	if (len > pl && strncasecmp(in, OVERRIDE_MX_PREFIX, pl) == 0)
		return mx_pattern_norm(in + pl, len - pl, out, outlen, why);
	if (len == pl && strncasecmp(in, OVERRIDE_MX_PREFIX, pl) == 0) {
		*why = "MX rule without a pattern";
		return -1;
	}
	if (key_normalise(in, len, &k, why) < 0)
		return -1;
	/* "mx.:25" normalises to "mx:25": it would become an MX rule. */
	if (strncmp(k.name, OVERRIDE_MX_PREFIX, pl) == 0) {
		*why = "next-hop mx:PORT reads as an MX rule (write [mx]:PORT)";
		return -1;
	}
	if ((size_t)snprintf(out, outlen, "%s", k.name) >= outlen) {
		*why = "key too long";
		return -1;
	}
	return 0;
}

int
override_value_norm(const char *in, char *out, size_t outlen,
    int *report_only, const char **why)
{
	size_t rl = strlen(OVERRIDE_REPORT_ONLY);

	*report_only = 0;
	if (strncasecmp(in, OVERRIDE_REPORT_ONLY, rl) == 0
	    && (in[rl] == ' ' || in[rl] == '\t' || in[rl] == '\0')) {
		*report_only = 1;
		in += rl;
		while (*in == ' ' || *in == '\t')
			in++;
		if (*in == '\0') {
			*why = "report-only without a policy";
			return -1;
		}
	}
	return tlspolicy_check(in, out, outlen, why);
}

static int
parse_entry(char *line, int lineno, void *arg)
{
	struct parse_ctx *p = arg;
	char value[4096], key[DOMAIN_MAX + 80];
	const char *why;
	struct override *ov;
	size_t kl = strcspn(line, " \t");
	const char *val = line + kl;
	int report_only;

	while (*val == ' ' || *val == '\t')
		val++;
	if (*val == '\0') {
		snprintf(p->err, p->errlen, "%s:%d: missing policy value after key",
		    p->fname, lineno);
		return -1;
	}
	if (override_key_norm(line, kl, key, sizeof(key), &why) < 0) {
		snprintf(p->err, p->errlen, "%s:%d: bad key \"%.*s\": %s",
		    p->fname, lineno, (int)(kl > 100 ? 100 : kl), line, why);
		return -1;
	}
	if (override_value_norm(val, value, sizeof(value), &report_only,
	    &why) < 0) {
		snprintf(p->err, p->errlen, "%s:%d: bad policy for %s: %s",
		    p->fname, lineno, key, why);
		return -1;
	}
	ov = xcalloc(1, sizeof(*ov));
	ov->key = xstrdup(key);
	ov->value = xstrdup(value);
	ov->lineno = lineno;
	ov->report_only = report_only;
	if (strncmp(key, OVERRIDE_MX_PREFIX, strlen(OVERRIDE_MX_PREFIX)) == 0)
		ov->pattern = ov->key + strlen(OVERRIDE_MX_PREFIX);
	if (htable_put(p->o->tab, ov->key, ov) < 0) {
		const struct override *old = htable_get(p->o->tab, ov->key);
		snprintf(p->err, p->errlen, "%s:%d: duplicate entry for %s (first at line %d)",
		    p->fname, lineno, ov->key, old->lineno);
		override_free(ov);
		return -1;
	}
	if (ov->key[0] == '.')
		p->o->nparent++;
	if (ov->pattern) {
		p->o->mx = xrealloc(p->o->mx, (p->o->nmx + 1) * sizeof(*p->o->mx));
		p->o->mx[p->o->nmx++] = ov;
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

	if ((ov = htable_get(o->tab, k->name)) != NULL && ov->pattern == NULL)
		return ov;
	/* Tables without ".domain" entries (the usual case) need no walk. */
	if (k->kind != KEY_DOMAIN || o->nparent == 0)
		return NULL;
	/* ".parent" probes built by copy: snprintf cost about 600
	 * instructions a probe, most of an uncached domain's lookup. */
	probe[0] = '.';
	for (parent = domain_parent(k->host); parent; parent = domain_parent(parent)) {
		size_t n = strlen(parent);

		if (n + 2 > sizeof(probe))
			continue;	/* cannot be: k->host fits a domain */
		memcpy(probe + 1, parent, n + 1);
		if ((ov = htable_get(o->tab, probe)) != NULL)
			return ov;
	}
	return NULL;
}

int
overrides_mx_match(const char *pattern, const char *host)
{
	size_t pl, hl = strlen(host);

	if (pattern[0] == '*' && pattern[1] == '.') {
		const char *dot = strchr(host, '.');
		/* One non-empty label, then exactly the suffix. */
		return dot != NULL && dot != host && strcmp(dot + 1, pattern + 2) == 0;
	}
	if (pattern[0] == '.') {
		pl = strlen(pattern);
		return hl > pl && strcmp(host + hl - pl, pattern) == 0;
	}
	return strcmp(host, pattern) == 0;
}

const struct override *
overrides_find_mx(const struct overrides *o, const char *const *hosts,
    size_t nhosts)
{
	for (size_t i = 0; nhosts > 0 && i < o->nmx; i++) {
		size_t j;
		for (j = 0; j < nhosts; j++)
			if (!overrides_mx_match(o->mx[i]->pattern, hosts[j]))
				break;
		if (j == nhosts)
			return o->mx[i];
	}
	return NULL;
}

size_t
overrides_count_mx(const struct overrides *o)
{
	return o->nmx;
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
	free(o->mx);
	free(o);
}
