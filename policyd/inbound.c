/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "domain.h"
#include "inbound.h"
#include "log.h"
#include "util.h"

#define RULE_NAME_MAX	64
#define MAX_PINS	64
#define FP_MAX		64		/* sha512 */

/* SMTP stages, as protocol_state names them. */
enum stage { ST_CONNECT, ST_HELO, ST_MAIL, ST_RCPT, ST_DATA, ST_EOM, ST_N };
#define SB(s)		(1u << (s))
#define ST_ALL		(SB(ST_N) - 1)
#define ST_FROM_MAIL	(SB(ST_MAIL) | SB(ST_RCPT) | SB(ST_DATA) | SB(ST_EOM))

static const char *const stage_names[ST_N] = {
	"connect", "helo", "mail", "rcpt", "data", "end-of-message"
};

enum verdict { V_DEFER, V_REJECT, V_WARN };
static const char *const verdict_names[] = { "defer", "reject", "warn" };

/* What a violation is about; selects the reply text. */
enum miss { M_NONE, M_TLS, M_PROTO, M_KEYSIZE, M_CCERT, M_FP };

struct strlist {
	char **v;
	size_t n;
};

struct cidr {
	int family;
	unsigned char addr[16];
	int bits;
};

struct pin {
	unsigned char d[FP_MAX];
	size_t len;
};

struct inb_rule {
	char *name;
	int lineno;
	/* Conditions: all given ones must match; a list matches any item. */
	struct cidr *cidrs;
	size_t ncidrs;
	struct strlist client_name, reverse_name, sender_domain, rcpt_domain;
	struct strlist sasl;
	long *ports;
	size_t nports;
	unsigned stages;
	int tls_cond;			/* tls=: 1 yes, -1 no, 0 either */
	/* Requirements. */
	int tls;
	int ccert;
	int min_proto;			/* rank, 0 = none */
	long min_keysize;		/* 0 = none */
	struct pin *pins;
	size_t npins;
	/* Outcome. */
	enum verdict verdict;
	int has_action;
	int prepend;
	char *filter;
	unsigned seen;			/* keys given, to refuse repeats */
	unsigned long tally[INB_TALLIES];	/* requests it decided */
};

struct inbound {
	struct inb_rule *rules;
	size_t n;
};

/* Protocols in order of strength; unknown strings rank -1. */
static const char *const protocols[] = {
	"SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"
};

int
inbound_protocol_rank(const char *p)
{
	for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++)
		if (strcmp(p, protocols[i]) == 0)
			return (int)i + 1;
	return -1;
}

/*
 * A digest in hex, with or without ':' between bytes, any case.  Returns
 * its length in bytes, or -1 when malformed or longer than outcap.
 */
int
inbound_fp_decode(const char *s, unsigned char *out, size_t outcap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;
		if (*s == ':') {
			if (hi >= 0)
				return -1;	/* a colon inside a byte */
			continue;
		}
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == outcap)
			return -1;
		out[n++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	return (hi >= 0 || n == 0) ? -1 : (int)n;
}

static const char *
digest_name(size_t len)
{
	switch (len) {
	case 16: return "md5";
	case 20: return "sha1";
	case 28: return "sha224";
	case 32: return "sha256";
	case 48: return "sha384";
	case 64: return "sha512";
	default: return "unknown digest";
	}
}

/* ---------------------------------------------------------------- */
/* Rules file parser.                                                */

struct parse_ctx {
	struct inbound *ib;
	const char *fname;
	int lineno;
	char *err;
	size_t errlen;
};

static int
perr(struct parse_ctx *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
perr(struct parse_ctx *p, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%d: %s", p->fname, p->lineno, msg);
	return -1;
}

static void
strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static void
rule_clear(struct inb_rule *r)
{
	free(r->name);
	free(r->cidrs);
	strlist_free(&r->client_name);
	strlist_free(&r->reverse_name);
	strlist_free(&r->sender_domain);
	strlist_free(&r->rcpt_domain);
	strlist_free(&r->sasl);
	free(r->ports);
	free(r->pins);
	free(r->filter);
}

/* Split a comma-separated value; calls fn for each item. */
static int
for_items(struct parse_ctx *p, const char *key, char *val,
    int (*fn)(struct parse_ctx *, struct inb_rule *, const char *),
    struct inb_rule *r)
{
	char *item, *save = NULL;

	if (*val == '\0' || val[strlen(val) - 1] == ',' || *val == ','
	    || strstr(val, ",,") != NULL)
		return perr(p, "%s: empty list item", key);
	for (item = strtok_r(val, ",", &save); item; item = strtok_r(NULL, ",", &save))
		if (fn(p, r, item) < 0)
			return -1;
	return 0;
}

static void
strlist_add(struct strlist *l, const char *s)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof(char *));
	l->v[l->n++] = xstrdup(s);
}

/* "example.com" or ".example.com", stored as lower-case A-labels. */
static int
domain_pattern(struct parse_ctx *p, struct strlist *l, const char *s)
{
	char buf[DOMAIN_MAX + 2];
	const char *why;
	int dot = (*s == '.');
	size_t len = strlen(s + dot);

	if (len > 0 && s[dot + len - 1] == '.')
		len--;		/* one trailing dot, as in DNS */
	buf[0] = '.';
	if (len == 0 || domain_to_alabel(s + dot, len, buf + 1, sizeof(buf) - 1,
	    &why) < 0 || !domain_valid(buf + 1))
		return perr(p, "invalid domain name \"%.100s\"", s);
	strlist_add(l, dot ? buf : buf + 1);
	return 0;
}

static int
add_client_name(struct parse_ctx *p, struct inb_rule *r, const char *s)
{
	return domain_pattern(p, &r->client_name, s);
}

static int
add_reverse_name(struct parse_ctx *p, struct inb_rule *r, const char *s)
{
	return domain_pattern(p, &r->reverse_name, s);
}

static int
add_sender_domain(struct parse_ctx *p, struct inb_rule *r, const char *s)
{
	return domain_pattern(p, &r->sender_domain, s);
}

static int
add_rcpt_domain(struct parse_ctx *p, struct inb_rule *r, const char *s)
{
	return domain_pattern(p, &r->rcpt_domain, s);
}

static int
add_sasl(struct parse_ctx *p, struct inb_rule *r, const char *s)
{
	(void)p;
	strlist_add(&r->sasl, s);
	return 0;
}

/* "192.0.2.1", "192.0.2.0/24", "2001:db8::/32"; host bits must be 0. */
static int
add_cidr(struct parse_ctx *p, struct inb_rule *r, const char *s)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t hl = slash ? (size_t)(slash - s) : strlen(s);
	struct cidr c;
	int max;

	memset(&c, 0, sizeof(c));
	if (hl >= sizeof(host))
		return perr(p, "invalid address \"%.100s\"", s);
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, c.addr) == 1)
		c.family = AF_INET, max = 32;
	else if (inet_pton(AF_INET6, host, c.addr) == 1)
		c.family = AF_INET6, max = 128;
	else
		return perr(p, "invalid address \"%.100s\"", s);
	if (slash && parse_long(slash + 1, 0, max) == LONG_MIN)
		return perr(p, "invalid prefix length in \"%.100s\"", s);
	c.bits = slash ? (int)parse_long(slash + 1, 0, max) : max;
	for (int i = c.bits; i < max; i++)
		if (c.addr[i / 8] & (0x80 >> (i % 8)))
			return perr(p, "\"%.100s\" has bits set after the prefix "
			    "length", s);
	r->cidrs = xrealloc(r->cidrs, (r->ncidrs + 1) * sizeof(c));
	r->cidrs[r->ncidrs++] = c;
	return 0;
}

static int
add_port(struct parse_ctx *p, struct inb_rule *r, const char *s)
{
	long v = parse_long(s, 1, 65535);

	if (v == LONG_MIN)
		return perr(p, "invalid port \"%.100s\"", s);
	r->ports = xrealloc(r->ports, (r->nports + 1) * sizeof(long));
	r->ports[r->nports++] = v;
	return 0;
}

static int
add_stage(struct parse_ctx *p, struct inb_rule *r, const char *s)
{
	if (strcasecmp(s, "ehlo") == 0)
		s = "helo";
	for (int i = 0; i < ST_N; i++) {
		if (strcasecmp(s, stage_names[i]) == 0) {
			r->stages |= SB(i);
			return 0;
		}
	}
	return perr(p, "unknown stage \"%.100s\" (connect, helo, mail, rcpt, "
	    "data, end-of-message)", s);
}

/* tls=yes|no: the rule is for sessions with, or without, TLS. */
static int
set_tls_cond(struct parse_ctx *p, struct inb_rule *r, const char *s)
{
	if (strcmp(s, "yes") == 0)
		r->tls_cond = 1;
	else if (strcmp(s, "no") == 0)
		r->tls_cond = -1;
	else
		return perr(p, "tls: expected yes or no");
	return 0;
}

static int
add_require(struct parse_ctx *p, struct inb_rule *r, const char *s)
{
	if (strcmp(s, "tls") == 0)
		r->tls = 1;
	else if (strcmp(s, "ccert") == 0)
		r->tls = r->ccert = 1;
	else
		return perr(p, "unknown requirement \"%.100s\" (tls, ccert)", s);
	return 0;
}

static int
add_pin(struct parse_ctx *p, struct inb_rule *r, const char *s)
{
	struct pin pin;
	int n = inbound_fp_decode(s, pin.d, sizeof(pin.d));

	if (n != 16 && n != 20 && n != 28 && n != 32 && n != 48 && n != 64)
		return perr(p, "invalid fingerprint \"%.120s\" (hex digest of "
		    "16, 20, 28, 32, 48 or 64 bytes, colons optional)", s);
	if (r->npins == MAX_PINS)
		return perr(p, "more than %d fingerprints", MAX_PINS);
	pin.len = (size_t)n;
	r->pins = xrealloc(r->pins, (r->npins + 1) * sizeof(pin));
	r->pins[r->npins++] = pin;
	r->tls = 1;
	return 0;
}

static int
set_min_protocol(struct parse_ctx *p, struct inb_rule *r, const char *s)
{
	if ((r->min_proto = inbound_protocol_rank(s)) < 0)
		return perr(p, "unknown protocol \"%.100s\" (SSLv3, TLSv1, "
		    "TLSv1.1, TLSv1.2, TLSv1.3)", s);
	r->tls = 1;
	return 0;
}

static int
set_min_keysize(struct parse_ctx *p, struct inb_rule *r, const char *s)
{
	if ((r->min_keysize = parse_long(s, 1, 4096)) == LONG_MIN)
		return perr(p, "invalid key size \"%.100s\" (bits, 1 to 4096)", s);
	r->tls = 1;
	return 0;
}

static int
set_action(struct parse_ctx *p, struct inb_rule *r, const char *s)
{
	for (int i = 0; i < 3; i++) {
		if (strcmp(s, verdict_names[i]) == 0) {
			r->verdict = (enum verdict)i;
			r->has_action = 1;
			return 0;
		}
	}
	return perr(p, "unknown action \"%.100s\" (defer, reject, warn)", s);
}

static int
set_prepend(struct parse_ctx *p, struct inb_rule *r, const char *s)
{
	if (strcmp(s, "yes") != 0 && strcmp(s, "no") != 0)
		return perr(p, "prepend: expected yes or no");
	r->prepend = (strcmp(s, "yes") == 0);
	return 0;
}

/* "transport:nexthop" as in access(5) FILTER; nexthop may be empty. */
static int
set_filter(struct parse_ctx *p, struct inb_rule *r, const char *s)
{
	const char *colon = strchr(s, ':');
	size_t tl = colon ? (size_t)(colon - s) : 0;

	if (colon == NULL || tl == 0
	    || strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_-.") != tl || strlen(s) > 200)
		return perr(p, "filter: expected transport:nexthop, e.g. smtp-tls:");
	for (const char *c = colon + 1; *c; c++)
		if (*c <= 0x20 || *c >= 0x7f)
			return perr(p, "filter: bad character in next-hop");
	r->filter = xstrdup(s);
	return 0;
}

/* Keys of a rule; "avail" is where the attribute a condition reads is set. */
static const struct rule_key {
	const char *name;
	int list;
	int (*fn)(struct parse_ctx *, struct inb_rule *, const char *);
	unsigned avail;
} rule_keys[] = {
	{ "client_address", 1, add_cidr, ST_ALL },
	{ "client_name", 1, add_client_name, ST_ALL },
	{ "reverse_client_name", 1, add_reverse_name, ST_ALL },
	{ "sender_domain", 1, add_sender_domain, ST_FROM_MAIL },
	{ "recipient_domain", 1, add_rcpt_domain, SB(ST_RCPT) },
	{ "sasl_username", 1, add_sasl, ST_FROM_MAIL },
	{ "server_port", 1, add_port, ST_ALL },
	{ "stage", 1, add_stage, ST_ALL },
	{ "tls", 0, set_tls_cond, ST_ALL },
	{ "require", 1, add_require, ST_ALL },
	{ "fingerprint", 1, add_pin, ST_ALL },
	{ "min_protocol", 0, set_min_protocol, ST_ALL },
	{ "min_keysize", 0, set_min_keysize, ST_ALL },
	{ "action", 0, set_action, ST_ALL },
	{ "prepend", 0, set_prepend, ST_ALL },
	{ "filter", 0, set_filter, ST_ALL },
};
#define NKEYS	(sizeof(rule_keys) / sizeof(rule_keys[0]))

static int
parse_word(struct parse_ctx *p, struct inb_rule *r, char *word,
    unsigned *avail)
{
	char *eq = strchr(word, '=');

	if (eq == NULL)
		return perr(p, "rule %s: \"%.100s\" is not key=value", r->name, word);
	*eq = '\0';
	for (size_t i = 0; i < NKEYS; i++) {
		const struct rule_key *k = &rule_keys[i];
		if (strcmp(word, k->name) != 0)
			continue;
		if (r->seen & (1u << i))
			return perr(p, "rule %s: %s given twice (use a comma-"
			    "separated list)", r->name, k->name);
		r->seen |= 1u << i;
		*avail &= k->avail;
		if (k->list)
			return for_items(p, k->name, eq + 1, k->fn, r);
		if (eq[1] == '\0')
			return perr(p, "rule %s: empty value for %s", r->name, word);
		return k->fn(p, r, eq + 1);
	}
	return perr(p, "rule %s: unknown key \"%.100s\"", r->name, word);
}

static int
has_requirement(const struct inb_rule *r)
{
	return r->tls;
}

/*
 * Refuse what cannot work at the stages the rule names: the conditions
 * read attributes Postfix fills only from some stage on (avail), and
 * the PREPEND and FILTER replies are sent at fixed stages only.
 */
static int
check_stages(struct parse_ctx *p, struct inb_rule *r, unsigned avail)
{
	if (r->stages == 0) {
		r->stages = avail;	/* default: wherever it can work */
	} else if (r->stages & ~avail) {
		char can[80] = "";
		int bad = -1;
		for (int i = 0; i < ST_N; i++) {
			if ((r->stages & SB(i)) && !(avail & SB(i)) && bad < 0)
				bad = i;
			if (avail & SB(i))
				snprintf(can + strlen(can), sizeof(can) - strlen(can),
				    "%s%s", *can ? "," : "", stage_names[i]);
		}
		return perr(p, "rule %s: its conditions cannot be matched at stage "
		    "%s (sender_domain and sasl_username only from mail on, "
		    "recipient_domain only at rcpt); possible: stage=%s", r->name,
		    stage_names[bad], can);
	}
	if (r->prepend && !(r->stages & SB(ST_DATA)))
		return perr(p, "rule %s: prepend=yes needs the data stage", r->name);
	if (r->filter && !(r->stages & (SB(ST_MAIL) | SB(ST_RCPT))))
		return perr(p, "rule %s: filter= needs the mail or rcpt stage",
		    r->name);
	if (r->has_action && !has_requirement(r))
		return perr(p, "rule %s: action= without a requirement (require=, "
		    "min_protocol=, min_keysize=, fingerprint=)", r->name);
	if (r->tls_cond < 0 && has_requirement(r))
		return perr(p, "rule %s: tls=no with a requirement, which "
		    "implies TLS, can never be met", r->name);
	return 0;
}

static int
valid_rule_name(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_-.");

	return n > 0 && n <= RULE_NAME_MAX && s[n] == '\0';
}

static int
parse_rule(char *line, int lineno, void *arg)
{
	struct parse_ctx *p = arg;
	struct inb_rule r;
	char *word, *save = NULL;
	unsigned avail = ST_ALL;

	memset(&r, 0, sizeof(r));
	p->lineno = lineno;
	word = strtok_r(line, " \t", &save);
	if (strchr(word, '=') != NULL || !valid_rule_name(word)) {
		perr(p, "a rule starts with its name (letters, digits, '-', '_', "
		    "'.'; at most %d), not \"%.100s\"", RULE_NAME_MAX, word);
		goto fail;
	}
	for (size_t i = 0; i < p->ib->n; i++) {
		if (strcmp(p->ib->rules[i].name, word) == 0) {
			perr(p, "duplicate rule name %s (first at line %d)", word,
			    p->ib->rules[i].lineno);
			goto fail;
		}
	}
	r.name = xstrdup(word);
	r.lineno = lineno;
	while ((word = strtok_r(NULL, " \t", &save)) != NULL)
		if (parse_word(p, &r, word, &avail) < 0)
			goto fail;
	if (check_stages(p, &r, avail) < 0)
		goto fail;
	p->ib->rules = xrealloc(p->ib->rules, (p->ib->n + 1) * sizeof(r));
	p->ib->rules[p->ib->n++] = r;
	return 0;
fail:
	rule_clear(&r);
	return -1;
}

struct inbound *
inbound_empty(void)
{
	return xcalloc(1, sizeof(struct inbound));
}

struct inbound *
inbound_parse(const char *text, size_t len, const char *fname, char *err,
    size_t errlen)
{
	struct inbound *ib = inbound_empty();
	struct parse_ctx p = { ib, fname, 0, err, errlen };

	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: NUL byte in rules file", fname);
		goto fail;
	}
	if (cf_lines(text, len, parse_rule, &p) != 0)
		goto fail;
	return ib;
fail:
	inbound_free(ib);
	return NULL;
}

struct inbound *
inbound_load(const char *path, char *err, size_t errlen)
{
	const char *why;
	size_t len;
	char *text = file_read(path, INBOUND_MAX_FILE, &len, &why);
	struct inbound *ib;

	if (text == NULL) {
		snprintf(err, errlen, "%s: %s", path, why);
		return NULL;
	}
	ib = inbound_parse(text, len, path, err, errlen);
	free(text);
	return ib;
}

size_t
inbound_count(const struct inbound *ib)
{
	return ib->n;
}

void
inbound_free(struct inbound *ib)
{
	if (ib == NULL)
		return;
	for (size_t i = 0; i < ib->n; i++)
		rule_clear(&ib->rules[i]);
	free(ib->rules);
	free(ib);
}

/* ---------------------------------------------------------------- */
/* Evaluation (pure).                                                */

static int
stage_of(const char *state)
{
	static const struct { const char *name; int st; } map[] = {
		{ "CONNECT", ST_CONNECT }, { "EHLO", ST_HELO },
		{ "HELO", ST_HELO }, { "MAIL", ST_MAIL }, { "RCPT", ST_RCPT },
		{ "DATA", ST_DATA }, { "END-OF-MESSAGE", ST_EOM },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(state, map[i].name) == 0)
			return map[i].st;
	return -1;		/* VRFY, ETRN, unknown: no rule applies */
}

static int
cidr_match(const struct cidr *c, const char *addr)
{
	unsigned char a[16];
	int full, rest;

	if (inet_pton(c->family, addr, a) != 1)
		return 0;
	full = c->bits / 8;
	rest = c->bits % 8;
	if (memcmp(a, c->addr, (size_t)full) != 0)
		return 0;
	return rest == 0
	    || ((a[full] ^ c->addr[full]) & (0xff00 >> rest) & 0xff) == 0;
}

static int
name_match1(const char *pat, const char *name, size_t nl)
{
	size_t pl = strlen(pat);

	if (*pat != '.')
		return pl == nl && memcmp(pat, name, nl) == 0;
	return nl > pl && memcmp(name + nl - pl, pat, pl) == 0;
}

static int
name_match_list(const struct strlist *l, const char *name, size_t nl)
{
	for (size_t i = 0; i < l->n; i++)
		if (name_match1(l->v[i], name, nl))
			return 1;
	return 0;
}

/*
 * Match a host or domain from the request: lower-cased as sent (one
 * trailing dot dropped), and also as A-labels when it has non-ASCII
 * bytes, so a U-label spelling of an IDN partner matches too.
 */
static int
domain_match(const struct strlist *l, const char *name)
{
	char low[DOMAIN_MAX + 2], alabel[DOMAIN_MAX + 2];
	size_t nl = strlen(name);
	const char *why;

	if (nl > 0 && name[nl - 1] == '.')
		nl--;
	if (nl == 0 || nl >= sizeof(low))
		return 0;
	memcpy(low, name, nl);
	low[nl] = '\0';
	str_lower(low);
	if (name_match_list(l, low, nl))
		return 1;
	if (domain_to_alabel(name, nl, alabel, sizeof(alabel), &why) < 0
	    || strcmp(alabel, low) == 0)
		return 0;
	return name_match_list(l, alabel, strlen(alabel));
}

static const char *
addr_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at ? at + 1 : "";
}

static int
rule_matches(const struct inb_rule *r, const struct polreq *q)
{
	int tls = *polreq_get(q, PR_ENCRYPTION_PROTOCOL) != '\0';

	if ((r->tls_cond > 0 && !tls) || (r->tls_cond < 0 && tls))
		return 0;
	if (r->ncidrs) {
		size_t i;
		for (i = 0; i < r->ncidrs; i++)
			if (cidr_match(&r->cidrs[i], polreq_get(q, PR_CLIENT_ADDRESS)))
				break;
		if (i == r->ncidrs)
			return 0;
	}
	if (r->client_name.n
	    && !domain_match(&r->client_name, polreq_get(q, PR_CLIENT_NAME)))
		return 0;
	if (r->reverse_name.n && !domain_match(&r->reverse_name,
	    polreq_get(q, PR_REVERSE_CLIENT_NAME)))
		return 0;
	if (r->sender_domain.n && !domain_match(&r->sender_domain,
	    addr_domain(polreq_get(q, PR_SENDER))))
		return 0;
	if (r->rcpt_domain.n && !domain_match(&r->rcpt_domain,
	    addr_domain(polreq_get(q, PR_RECIPIENT))))
		return 0;
	if (r->sasl.n) {
		size_t i;
		for (i = 0; i < r->sasl.n; i++)
			if (strcmp(r->sasl.v[i], polreq_get(q, PR_SASL_USERNAME)) == 0)
				break;
		if (i == r->sasl.n)
			return 0;
	}
	if (r->nports) {
		long port = parse_long(polreq_get(q, PR_SERVER_PORT), 1, 65535);
		size_t i;
		for (i = 0; i < r->nports; i++)
			if (r->ports[i] == port)
				break;
		if (i == r->nports)
			return 0;
	}
	return 1;
}

/* Append one item to res->missing; remember the first kind. */
static void
miss(struct inb_result *res, enum miss *first, enum miss kind,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
miss(struct inb_result *res, enum miss *first, enum miss kind,
    const char *fmt, ...)
{
	size_t used = strlen(res->missing);
	va_list ap;

	if (*first == M_NONE)
		*first = kind;
	if (used > 0 && used + 2 < sizeof(res->missing))
		strcpy(res->missing + used, ", "), used += 2;
	va_start(ap, fmt);
	vsnprintf(res->missing + used, sizeof(res->missing) - used, fmt, ap);
	va_end(ap);
}

static void
check_fingerprint(const struct inb_rule *r, const struct polreq *q,
    struct inb_result *res, enum miss *first)
{
	static const enum polreq_attr attrs[] = {
		PR_CCERT_FINGERPRINT, PR_CCERT_PUBKEY_FINGERPRINT
	};
	unsigned char d[FP_MAX];
	int seen = 0, comparable = 0, n = -1;

	for (size_t a = 0; a < 2; a++) {
		const char *v = polreq_get(q, attrs[a]);
		if (*v == '\0')
			continue;
		seen = 1;
		if ((n = inbound_fp_decode(v, d, sizeof(d))) < 0) {
			snprintf(res->note, sizeof(res->note), "malformed %s from "
			    "Postfix ignored", polreq_attr_name(attrs[a]));
			continue;
		}
		for (size_t i = 0; i < r->npins; i++) {
			if (r->pins[i].len != (size_t)n)
				continue;	/* never compare md5 with sha256 */
			comparable = 1;
			if (memcmp(r->pins[i].d, d, (size_t)n) == 0)
				return;
		}
	}
	if (!seen) {
		miss(res, first, M_FP, "fingerprint (no client certificate)");
		return;
	}
	if (!comparable && n > 0)
		snprintf(res->note, sizeof(res->note), "client fingerprint is a "
		    "%d-byte digest (%s?), rule %s pins %s digests: not compared; "
		    "check smtpd_tls_fingerprint_digest", n, digest_name((size_t)n),
		    r->name, digest_name(r->pins[0].len));
	miss(res, first, M_FP, "fingerprint");
}

/* Check the requirements of r against a TLS session; fills missing. */
static enum miss
check_requirements(const struct inb_rule *r, const struct polreq *q,
    struct inb_result *res)
{
	const char *proto = polreq_get(q, PR_ENCRYPTION_PROTOCOL);
	enum miss first = M_NONE;

	if (*proto == '\0') {
		miss(res, &first, M_TLS, "tls");
		return first;
	}
	if (r->min_proto) {
		int rank = inbound_protocol_rank(proto);
		char safe[40];
		if (rank < r->min_proto)
			miss(res, &first, M_PROTO, "protocol %s < %s",
			    rank < 0 ? log_safe(proto, strlen(proto), safe,
			    sizeof(safe)) : proto, protocols[r->min_proto - 1]);
	}
	if (r->min_keysize) {
		long ks = parse_long(polreq_get(q, PR_ENCRYPTION_KEYSIZE), 0, 1 << 20);
		if (ks == LONG_MIN)
			miss(res, &first, M_KEYSIZE, "keysize unknown < %ld",
			    r->min_keysize);
		else if (ks < r->min_keysize)
			miss(res, &first, M_KEYSIZE, "keysize %ld < %ld", ks,
			    r->min_keysize);
	}
	if (r->ccert && *polreq_get(q, PR_CCERT_SUBJECT) == '\0')
		miss(res, &first, M_CCERT, "%s",
		    *polreq_get(q, PR_CCERT_FINGERPRINT) ? "ccert (untrusted)"
		    : "ccert");
	if (r->npins)
		check_fingerprint(r, q, res, &first);
	return first;
}

/*
 * A domain from the request goes into reply text only if it is plain
 * (lower-cased, without the trailing dot); else the rule's own pattern.
 */
static const char *
text_domain(const char *d, const struct strlist *l, char *buf, size_t buflen)
{
	size_t n = strlen(d);

	if (n > 0 && d[n - 1] == '.')
		n--;
	if (n > 0 && n < buflen && n <= 100 && strspn(d, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") >= n) {
		memcpy(buf, d, n);
		buf[n] = '\0';
		str_lower(buf);
		return buf;
	}
	return l->v[0] + (l->v[0][0] == '.');
}

static void
reply_violation(const struct inb_rule *r, const struct polreq *q,
    enum miss first, struct inb_result *res)
{
	char ctx[140], dom[120];
	const char *what;
	int sub = (first == M_CCERT || first == M_FP) ? 1 : 0;

	if (r->sender_domain.n)
		snprintf(ctx, sizeof(ctx), "mail from %s", text_domain(
		    addr_domain(polreq_get(q, PR_SENDER)), &r->sender_domain, dom,
		    sizeof(dom)));
	else if (r->rcpt_domain.n)
		snprintf(ctx, sizeof(ctx), "mail to %s", text_domain(
		    addr_domain(polreq_get(q, PR_RECIPIENT)), &r->rcpt_domain, dom,
		    sizeof(dom)));
	else
		snprintf(ctx, sizeof(ctx), "this client");
	switch (first) {
	case M_PROTO: what = "or higher required"; break;
	case M_KEYSIZE: what = "bit cipher key or stronger required"; break;
	case M_CCERT: what = "verified client certificate required"; break;
	case M_FP: what = "client certificate not authorised"; break;
	default: what = "TLS required"; break;
	}
	if (first == M_PROTO)
		snprintf(res->action, sizeof(res->action), "%s %s.7.%d %s %s for "
		    "%s (rule %s)", r->verdict == V_REJECT ? "550" : "450",
		    r->verdict == V_REJECT ? "5" : "4", sub,
		    protocols[r->min_proto - 1], what, ctx, r->name);
	else if (first == M_KEYSIZE)
		snprintf(res->action, sizeof(res->action), "%s %s.7.%d %ld-%s for "
		    "%s (rule %s)", r->verdict == V_REJECT ? "550" : "450",
		    r->verdict == V_REJECT ? "5" : "4", sub, r->min_keysize, what,
		    ctx, r->name);
	else
		snprintf(res->action, sizeof(res->action), "%s %s.7.%d %s for %s "
		    "(rule %s)", r->verdict == V_REJECT ? "550" : "450",
		    r->verdict == V_REJECT ? "5" : "4", sub, what, ctx, r->name);
}

/* Header token from the request: plain characters only. */
static const char *
hdr_token(const char *v)
{
	size_t n = strlen(v);

	if (n == 0)
		return "none";
	if (n > 80 || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
	    "VWXYZ0123456789._-+") != n)
		return "invalid";
	return v;
}

static void
reply_prepend(const struct inb_rule *r, const struct polreq *q,
    struct inb_result *res)
{
	const char *ccert = *polreq_get(q, PR_CCERT_SUBJECT) ? "verified"
	    : *polreq_get(q, PR_CCERT_FINGERPRINT) ? "untrusted" : "none";

	snprintf(res->action, sizeof(res->action), "PREPEND X-TLS-Policy: "
	    "rule=%s result=%s protocol=%s cipher=%s keysize=%s ccert=%s",
	    r->name, res->outcome == INB_VIOLATION ? "warn" : "pass",
	    hdr_token(polreq_get(q, PR_ENCRYPTION_PROTOCOL)),
	    hdr_token(polreq_get(q, PR_ENCRYPTION_CIPHER)),
	    hdr_token(polreq_get(q, PR_ENCRYPTION_KEYSIZE)), ccert);
}

static void
apply_rule(const struct inb_rule *r, int stage, const struct polreq *q,
    struct inb_result *res)
{
	enum miss first = M_NONE;

	res->rule = r->name;
	res->lineno = r->lineno;
	res->outcome = INB_PASS;
	if (r->tls) {
		/* Before MAIL a plaintext client may still send STARTTLS. */
		if (*polreq_get(q, PR_ENCRYPTION_PROTOCOL) == '\0'
		    && (stage == ST_CONNECT || stage == ST_HELO)) {
			res->outcome = INB_WAIT;
			return;
		}
		first = check_requirements(r, q, res);
	}
	if (first != M_NONE) {
		res->outcome = INB_VIOLATION;
		res->verdict = verdict_names[r->verdict];
		res->log = 1;
		if (r->verdict != V_WARN) {
			reply_violation(r, q, first, res);
			return;
		}
	}
	if (r->prepend && stage == ST_DATA)
		reply_prepend(r, q, res);
	else if (r->filter && first == M_NONE
	    && (stage == ST_MAIL || stage == ST_RCPT))
		snprintf(res->action, sizeof(res->action), "FILTER %s", r->filter);
}

void
inbound_eval(const struct inbound *ib, const struct polreq *q,
    struct inb_result *res)
{
	int stage;

	memset(res, 0, sizeof(*res));
	strcpy(res->action, "DUNNO");
	res->outcome = INB_NOMATCH;
	if (strcmp(polreq_get(q, PR_REQUEST), "smtpd_access_policy") != 0)
		return;
	if ((stage = stage_of(polreq_get(q, PR_PROTOCOL_STATE))) < 0)
		return;
	for (size_t i = 0; i < ib->n; i++) {
		const struct inb_rule *r = &ib->rules[i];
		if ((r->stages & SB(stage)) && rule_matches(r, q)) {
			res->index = i;
			apply_rule(r, stage, q, res);
			return;
		}
	}
}

const char *const inbound_tally_names[INB_TALLIES] = {
	"pass", "wait", "defer", "reject", "warn"
};

void
inbound_tally(struct inbound *ib, const struct inb_result *res)
{
	int t = INB_TALLY_PASS;

	if (res->rule == NULL || res->index >= ib->n)
		return;
	if (res->outcome == INB_WAIT)
		t = INB_TALLY_WAIT;
	else if (res->outcome == INB_VIOLATION && res->verdict != NULL)
		while (t < INB_TALLY_WARN
		    && strcmp(res->verdict, inbound_tally_names[t]) != 0)
			t++;
	ib->rules[res->index].tally[t]++;
}

const char *
inbound_rule_tally(const struct inbound *ib, size_t i,
    const unsigned long **counts)
{
	if (i >= ib->n)
		return NULL;
	*counts = ib->rules[i].tally;
	return ib->rules[i].name;
}

/* ---------------------------------------------------------------- */
/* The log line.                                                     */

static const char *
safe_attr(const struct polreq *q, enum polreq_attr a, char *buf, size_t len)
{
	const char *v = polreq_get(q, a);

	return log_safe(v, strlen(v), buf, len);
}

size_t
inbound_log_line(const struct polreq *q, const struct inb_result *res,
    char *buf, size_t buflen)
{
	char qid[40], cname[120], caddr[64], snd[300], rcpt[300], st[20];
	int n;

	safe_attr(q, PR_QUEUE_ID, qid, sizeof(qid));
	n = snprintf(buf, buflen, "inbound: queue_id=%s client=%s[%s] "
	    "stage=%s sender=<%s> recipient=<%s> rule=%s missing=\"%s\" "
	    "action=%s", *qid ? qid : "NOQUEUE",
	    safe_attr(q, PR_CLIENT_NAME, cname, sizeof(cname)),
	    safe_attr(q, PR_CLIENT_ADDRESS, caddr, sizeof(caddr)),
	    safe_attr(q, PR_PROTOCOL_STATE, st, sizeof(st)),
	    safe_attr(q, PR_SENDER, snd, sizeof(snd)),
	    safe_attr(q, PR_RECIPIENT, rcpt, sizeof(rcpt)),
	    res->rule ? res->rule : "none", res->missing,
	    res->verdict ? res->verdict : "dunno");
	if (n < 0)
		return 0;
	return (size_t)n < buflen ? (size_t)n : buflen - 1;
}
