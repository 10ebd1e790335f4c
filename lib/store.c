/* SPDX-License-Identifier: MIT */
/*
 * store - policy store front end: dispatch, entry rules, record codec.
 * The contract is in store.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "domain.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define REC_MAGIC0	'T'
#define REC_MAGIC1	'S'
#define REC_VERSION	1
#define REC_FIXED	(2 + 1 + 1 + 4 * 8)	/* magic, version, flags, times */
#define REC_MIN		(REC_FIXED + 1 + 2 + 4 + 4)	/* empty fields + CRC */

struct store {
	const struct store_ops *ops;
	void *be;
	char *name;			/* spec, for log lines */
	int readonly;
	long raw_n;			/* raw records; -1 until counted */
};

static int raw_count(struct store *s);

static const struct store_ops *const backends[] = {
	&store_lmdb_ops,
	&store_mem_ops,
	&store_redis_ops,
};

/*
 * CRC-32 (IEEE 802.3, reflected): zlib's crc32(), which is table driven
 * (the bit-by-bit loop it replaced cost 14,000 instructions a record, 4 %
 * of the daemon's work per first contact).  It detects torn or foreign
 * bytes in a record; not a defence against a deliberate writer, who could
 * as well write a valid record.
 */
static uint32_t
rec_crc(const char *domain, const unsigned char *rec, size_t n)
{
	uLong crc = crc32(0L, (const Bytef *)domain, (uInt)strlen(domain) + 1);

	return (uint32_t)crc32(crc, rec, (uInt)n);
}

/* Entry rules (store.h DESCRIPTION) */

int
store_domain_check(const char *domain)
{
	if (domain == NULL || strlen(domain) > STORE_DOMAIN_MAX
	    || !domain_valid(domain))
		return -1;
	for (const char *p = domain; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			return -1;	/* one key per domain: callers lower-case */
	return 0;
}

static int
id_check(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > STORE_ID_MAX)
		return -1;
	for (; *id; id++)
		if (!((*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z')
		    || (*id >= '0' && *id <= '9')))
			return -1;
	return 0;
}

static int
time_ok(int64_t t)
{
	return t >= 0 && t <= STORE_TIME_MAX;
}

static int
ctl_byte(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

int
store_entry_check(const struct store_entry *e, char *err, size_t errlen)
{
	const char *why = NULL;

	if (memchr(e->domain, '\0', sizeof(e->domain)) == NULL
	    || store_domain_check(e->domain) < 0)
		why = "domain is not a normalised host name";
	else if (memchr(e->id, '\0', sizeof(e->id)) == NULL
	    || id_check(e->id) < 0)
		why = "policy id is not 1-32 letters and digits";
	else if (e->policy == NULL || *e->policy == '\0')
		why = "empty policy";
	else if (strlen(e->policy) > STORE_POLICY_MAX)
		why = "policy text too long";
	else if (!time_ok(e->fetched_at) || !time_ok(e->expires_at)
	    || !time_ok(e->last_error_at) || !time_ok(e->last_used))
		why = "time out of range";
	else if (e->expires_at < e->fetched_at)
		why = "expires before it was fetched";
	else if (memchr(e->last_error, '\0', sizeof(e->last_error)) == NULL)
		why = "last_error not terminated";
	if (why == NULL)
		return 0;
	snprintf(err, errlen, "%s", why);
	return -1;
}

void
store_entry_clear(struct store_entry *e)
{
	free(e->policy);
	memset(e, 0, sizeof(*e));
}

void
store_entry_free(struct store_entry *e)
{
	if (e == NULL)
		return;
	store_entry_clear(e);
	free(e);
}

/* Encoder */

static unsigned char *
put_u(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--)
		*p++ = (unsigned char)(v >> (8 * i));
	return p;
}

static unsigned char *
put_bytes(unsigned char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

unsigned char *
store_entry_encode(const struct store_entry *e, size_t *lenp, char *err,
    size_t errlen)
{
	size_t il, el, pl, len;
	unsigned char *buf, *p;

	if (store_entry_check(e, err, errlen) < 0)
		return NULL;
	il = strlen(e->id);
	el = strlen(e->last_error);
	pl = strlen(e->policy);
	len = REC_MIN + il + el + pl;
	p = buf = xmalloc(len);
	*p++ = REC_MAGIC0;
	*p++ = REC_MAGIC1;
	*p++ = REC_VERSION;
	*p++ = 0;
	p = put_u(p, (uint64_t)e->fetched_at, 8);
	p = put_u(p, (uint64_t)e->expires_at, 8);
	p = put_u(p, (uint64_t)e->last_error_at, 8);
	p = put_u(p, (uint64_t)e->last_used, 8);
	p = put_u(p, il, 1);
	p = put_bytes(p, e->id, il);
	p = put_u(p, el, 2);
	for (size_t i = 0; i < el; i++)	/* keep log lines one line */
		*p++ = ctl_byte((unsigned char)e->last_error[i]) ? '?'
		    : (unsigned char)e->last_error[i];
	p = put_u(p, pl, 4);
	p = put_bytes(p, e->policy, pl);
	p = put_u(p, rec_crc(e->domain, buf, (size_t)(p - buf)), 4);
	*lenp = (size_t)(p - buf);
	return buf;
}

/*
 * Decoder: a cursor that does nothing once it has failed, so the caller
 * checks once (as OpenSMTPD's unpack_dns).
 */
struct cursor {
	const unsigned char *buf;
	size_t len;
	size_t off;
	const char *err;
};

static uint64_t
get_u(struct cursor *c, int bytes)
{
	uint64_t v = 0;

	if (c->err)
		return 0;
	if (c->len - c->off < (size_t)bytes) {
		c->err = "truncated record";
		return 0;
	}
	for (int i = 0; i < bytes; i++)
		v = (v << 8) | c->buf[c->off++];
	return v;
}

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16
	    | (uint32_t)p[2] << 8 | p[3];
}

static int64_t
get_time(struct cursor *c)
{
	uint64_t v = get_u(c, 8);

	if (c->err == NULL && (v > (uint64_t)STORE_TIME_MAX))
		c->err = "time out of range";
	return (int64_t)v;
}

/* Copies n bytes into dst (size n + 1); refuses NUL and, if asked, ctl. */
static void
get_text(struct cursor *c, size_t n, char *dst, int allow_ctl)
{
	if (c->err)
		return;
	if (c->len - c->off < n) {
		c->err = "truncated record";
		return;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char b = c->buf[c->off + i];
		if (b == 0 || (!allow_ctl && ctl_byte(b))) {
			c->err = "bad byte in text field";
			return;
		}
	}
	memcpy(dst, c->buf + c->off, n);
	dst[n] = '\0';
	c->off += n;
}

static void
decode_body(struct cursor *c, struct store_entry *out)
{
	size_t n;

	if (get_u(c, 1) != 0 && c->err == NULL)
		c->err = "unknown flags";
	out->fetched_at = get_time(c);
	out->expires_at = get_time(c);
	out->last_error_at = get_time(c);
	out->last_used = get_time(c);
	n = get_u(c, 1);
	if (c->err == NULL && n > STORE_ID_MAX)
		c->err = "policy id too long";
	get_text(c, n, out->id, 0);
	n = get_u(c, 2);
	if (c->err == NULL && n > STORE_ERROR_MAX)
		c->err = "last_error too long";
	get_text(c, n, out->last_error, 0);
	n = get_u(c, 4);
	if (c->err == NULL && n > STORE_POLICY_MAX)
		c->err = "policy text too long";
	if (c->err == NULL && c->len - c->off < n)
		c->err = "truncated record";
	if (c->err)
		return;
	out->policy = xmalloc(n + 1);
	get_text(c, n, out->policy, 1);	/* JSON may hold raw tabs, newlines */
}

int
store_entry_decode(const char *domain, const void *buf, size_t len,
    struct store_entry *out, char *err, size_t errlen)
{
	struct cursor c = { buf, len, 0, NULL };
	char why[128];

	memset(out, 0, sizeof(*out));
	if (store_domain_check(domain) < 0)
		c.err = "key is not a normalised host name";
	else if (len < 3 || c.buf[0] != REC_MAGIC0 || c.buf[1] != REC_MAGIC1)
		c.err = "not a policy record";
	else if (c.buf[2] != REC_VERSION) {
		snprintf(err, errlen, "unknown record version %u", c.buf[2]);
		return STORE_DEC_VERSION;
	} else if (len < REC_MIN)
		c.err = "truncated record";
	else if (rec_crc(domain, c.buf, len - 4) != be32(c.buf + len - 4))
		c.err = "checksum mismatch";
	if (c.err == NULL) {
		c.len = len - 4;	/* fields end where the CRC starts */
		c.off = 3;
		decode_body(&c, out);
		if (c.err == NULL && c.off != c.len)
			c.err = "trailing bytes";
	}
	if (c.err == NULL) {
		snprintf(out->domain, sizeof(out->domain), "%s", domain);
		if (store_entry_check(out, why, sizeof(why)) == 0)
			return STORE_DEC_OK;
		c.err = why;		/* CRC-valid but off the rules */
	}
	snprintf(err, errlen, "%s", c.err);
	store_entry_clear(out);
	return STORE_DEC_CORRUPT;
}

/* expires_at of an encoded record, for backends with native expiry. */
int64_t
store_record_expires(const void *rec, size_t len)
{
	struct cursor c = { rec, len, 12, NULL };	/* after fetched_at */
	int64_t t;

	if (len < REC_MIN || c.buf[0] != REC_MAGIC0 || c.buf[1] != REC_MAGIC1
	    || c.buf[2] != REC_VERSION)
		return -1;
	t = get_time(&c);
	return c.err ? -1 : t;
}

/* Raw records (store.h RAW RECORDS): keys with a "/", never a domain. */

static int
is_raw_key(const char *key)
{
	return strchr(key, '/') != NULL;
}

int
store_rec_key_check(const char *key)
{
	size_t n;

	if (key == NULL || (n = strlen(key)) == 0 || n > STORE_REC_KEY_MAX
	    || !is_raw_key(key))
		return -1;
	for (; *key; key++)
		if (*key < 0x21 || *key > 0x7e)
			return -1;
	return 0;
}

/* Front end */

/* A password in a URL ("scheme://:secret@host") never reaches a log line. */
static void
redact_userinfo(char *name)
{
	char *p = strstr(name, "://"), *at;

	if (p == NULL || (at = strchr(p + 3, '@')) == NULL
	    || memchr(p + 3, '/', (size_t)(at - p - 3)) != NULL)
		return;
	memmove(p + 3 + 3, at, strlen(at) + 1);
	memcpy(p + 3, "***", 3);
}

struct store *
store_open_ops(const struct store_ops *ops, const char *arg,
    const struct store_options *opt, char *err, size_t errlen)
{
	static const struct store_options defaults;
	struct store *s;
	void *be;

	if (opt == NULL)
		opt = &defaults;
	if ((be = ops->open(arg, opt, err, errlen)) == NULL)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->ops = ops;
	s->be = be;
	s->name = xmalloc(strlen(ops->name) + strlen(arg) + 2 + 3); /* "***" */
	sprintf(s->name, "%s:%s", ops->name, arg);
	redact_userinfo(s->name);
	s->readonly = opt->readonly;
	s->raw_n = -1;
	return s;
}

struct store *
store_open(const char *spec, const struct store_options *opt, char *err,
    size_t errlen)
{
	const char *colon = strchr(spec, ':');

	if (colon == NULL) {
		snprintf(err, errlen, "store \"%s\": expected type:argument",
		    spec);
		return NULL;
	}
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		const struct store_ops *ops = backends[i];
		if (strlen(ops->name) != (size_t)(colon - spec)
		    || strncmp(spec, ops->name, (size_t)(colon - spec)) != 0)
			continue;
		return store_open_ops(ops, colon + 1, opt, err, errlen);
	}
	snprintf(err, errlen, "store \"%s\": unknown type \"%.*s\"", spec,
	    (int)(colon - spec), spec);
	return NULL;
}

void *
store_backend(struct store *s, const struct store_ops *ops)
{
	return s != NULL && s->ops == ops ? s->be : NULL;
}

const char *
store_name(const struct store *s)
{
	return s->name;
}

static int
write_refused(struct store *s, const char *what)
{
	if (!s->readonly)
		return 0;
	log_err("store %s: %s refused: store is open read-only", s->name,
	    what);
	return 1;
}

static int
key_refused(struct store *s, const char *what, const char *domain)
{
	char buf[STORE_DOMAIN_MAX + 8];

	if (domain != NULL && store_domain_check(domain) == 0)
		return 0;
	log_warn("store %s: %s refused for invalid domain \"%s\"", s->name,
	    what, domain ? log_safe(domain, strlen(domain), buf, sizeof(buf))
	    : "(null)");
	return 1;
}

struct get_ctx {
	struct store *s;
	struct store_entry *out;
	int status;
};

static void
log_bad_record(struct store *s, const char *key, int rc, const char *why)
{
	char buf[STORE_DOMAIN_MAX + 8];

	log_warn("store %s: %s record for %s ignored: %s", s->name,
	    rc == STORE_DEC_VERSION ? "unreadable" : "corrupt",
	    log_safe(key, strlen(key), buf, sizeof(buf)), why);
}

static int
get_cb(const char *key, const void *val, size_t len, void *arg)
{
	struct get_ctx *g = arg;
	char why[128];

	g->status = store_entry_decode(key, val, len, g->out, why, sizeof(why));
	if (g->status != STORE_DEC_OK)
		log_bad_record(g->s, key, g->status, why);
	return 0;
}

int
store_get(struct store *s, const char *domain, struct store_entry *out)
{
	struct get_ctx g = { s, out, STORE_DEC_CORRUPT };
	int rc;

	memset(out, 0, sizeof(*out));
	if (key_refused(s, "lookup", domain))
		return -1;
	rc = s->ops->get(s->be, domain, get_cb, &g);
	if (rc != 1)
		return rc;
	return g.status == STORE_DEC_OK ? 1 : 0;
}

long
store_put_many(struct store *s, const struct store_entry *e, size_t n)
{
	struct store_kv *kv;
	size_t i, k = 0;
	char why[128];
	long rc;

	if (write_refused(s, "update"))
		return -1;
	if (n == 0)
		return 0;
	kv = xcalloc(n, sizeof(*kv));
	for (i = 0; i < n; i++) {
		unsigned char *rec = store_entry_encode(&e[i], &kv[k].len, why,
		    sizeof(why));

		if (rec == NULL) {
			char buf[STORE_DOMAIN_MAX + 8];
			log_warn("store %s: entry for \"%s\" refused: %s",
			    s->name, log_safe(e[i].domain, strnlen(e[i].domain,
			    sizeof(e[i].domain)), buf, sizeof(buf)), why);
			continue;
		}
		kv[k].key = e[i].domain;
		kv[k++].val = rec;
	}
	rc = (long)k;
	if (k > 0 && s->ops->putv(s->be, kv, k) < 0)
		rc = -1;
	for (i = 0; i < k; i++)
		free((void *)kv[i].val);
	free(kv);
	return rc;
}

/* One entry: the same path, so there is one way to write. */
int
store_put(struct store *s, const struct store_entry *e)
{
	return store_put_many(s, e, 1) == 1 ? 0 : -1;
}

int
store_del(struct store *s, const char *domain)
{
	if (write_refused(s, "delete") || key_refused(s, "delete", domain))
		return -1;
	return s->ops->del(s->be, domain);
}

struct iter_ctx {
	struct store *s;
	int (*fn)(const struct store_entry *, void *);
	void *arg;
};

static int
iter_cb(const char *key, const void *val, size_t len, void *arg)
{
	struct iter_ctx *it = arg;
	struct store_entry e;
	char why[128];
	int rc;

	if (is_raw_key(key))
		return 0;
	rc = store_entry_decode(key, val, len, &e, why, sizeof(why));
	if (rc != STORE_DEC_OK) {
		log_bad_record(it->s, key, rc, why);
		return 0;
	}
	rc = it->fn(&e, it->arg);
	store_entry_clear(&e);
	return rc;
}

int
store_iter(struct store *s, int (*fn)(const struct store_entry *, void *),
    void *arg)
{
	struct iter_ctx it = { s, fn, arg };

	return s->ops->iter(s->be, iter_cb, &it);
}

size_t
store_count(struct store *s)
{
	size_t n;

	if (s->ops->count(s->be, &n) < 0 || raw_count(s) < 0)
		return 0;
	return n > (size_t)s->raw_n ? n - (size_t)s->raw_n : 0;
}

struct purge_ctx {
	struct store *s;
	int64_t now;
};

/* Expired or corrupt: drop.  Unknown version: keep for a newer reader. */
static int
purge_cb(const char *key, const void *val, size_t len, void *arg)
{
	struct purge_ctx *p = arg;
	struct store_entry e;
	char why[128];
	int rc, drop;

	if (is_raw_key(key))
		return 0;		/* not an entry: its owner's to expire */
	rc = store_entry_decode(key, val, len, &e, why, sizeof(why));
	if (rc == STORE_DEC_VERSION)
		return 0;
	if (rc != STORE_DEC_OK) {
		log_bad_record(p->s, key, rc, why);
		return 1;
	}
	drop = e.expires_at <= p->now;
	store_entry_clear(&e);
	return drop;
}

long
store_purge_expired(struct store *s, int64_t now)
{
	struct purge_ctx p = { s, now };

	if (write_refused(s, "purge"))
		return -1;
	return s->ops->purge(s->be, purge_cb, &p);
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	s->ops->close(s->be);
	free(s->name);
	free(s);
}

/* Raw records */

static int
raw_key_refused(struct store *s, const char *what, const char *key)
{
	char buf[STORE_REC_KEY_MAX + 8];

	if (store_rec_key_check(key) == 0)
		return 0;
	log_warn("store %s: %s refused for invalid record key \"%s\"",
	    s->name, what, key ? log_safe(key, strlen(key), buf, sizeof(buf))
	    : "(null)");
	return 1;
}

static int
count_raw_cb(const char *key, const void *val, size_t len, void *arg)
{
	(void)val;
	(void)len;
	if (is_raw_key(key))
		(*(long *)arg)++;
	return 0;
}

/*
 * The number of raw records, which store_count() leaves out: one walk
 * the first time, then kept up to date by this process's writes (the
 * only writer; a reader's count is that of its first call).
 */
static int
raw_count(struct store *s)
{
	long n = 0;

	if (s->raw_n >= 0)
		return 0;
	if (s->ops->iter(s->be, count_raw_cb, &n) < 0)
		return -1;
	s->raw_n = n;
	return 0;
}

struct rec_get_ctx {
	void *val;
	size_t len;
};

static int
rec_get_cb(const char *key, const void *val, size_t len, void *arg)
{
	struct rec_get_ctx *g = arg;

	(void)key;
	g->val = xmalloc(len + 1);
	memcpy(g->val, val, len);
	((char *)g->val)[len] = '\0';
	g->len = len;
	return 0;
}

int
store_rec_get(struct store *s, const char *key, void **valp, size_t *lenp)
{
	struct rec_get_ctx g = { NULL, 0 };
	int rc;

	*valp = NULL;
	*lenp = 0;
	if (raw_key_refused(s, "lookup", key))
		return -1;
	rc = s->ops->get(s->be, key, rec_get_cb, &g);
	if (rc != 1) {
		free(g.val);
		return rc;
	}
	*valp = g.val;
	*lenp = g.len;
	return 1;
}

static int
exists_cb(const char *key, const void *val, size_t len, void *arg)
{
	(void)key;
	(void)val;
	(void)len;
	(void)arg;
	return 0;
}

/* How many of kv[0..n) are new keys (for raw_n); -1 on a read failure. */
static long
rec_new_keys(struct store *s, const struct store_kv *kv, size_t n)
{
	long fresh = 0;

	for (size_t i = 0; i < n; i++) {
		int rc = s->ops->get(s->be, kv[i].key, exists_cb, NULL);
		size_t j;

		if (rc < 0)
			return -1;
		for (j = 0; j < i && strcmp(kv[j].key, kv[i].key) != 0; j++)
			;
		if (rc == 0 && j == i)
			fresh++;
	}
	return fresh;
}

int
store_rec_putv(struct store *s, const struct store_kv *kv, size_t n)
{
	long fresh = 0;

	if (write_refused(s, "update"))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (raw_key_refused(s, "update", kv[i].key))
			return -1;
		if (kv[i].len > STORE_REC_VAL_MAX) {
			log_warn("store %s: record %s refused: %zu bytes, more "
			    "than %d", s->name, kv[i].key, kv[i].len,
			    STORE_REC_VAL_MAX);
			return -1;
		}
	}
	if (n == 0)
		return 0;
	if (s->raw_n >= 0 && (fresh = rec_new_keys(s, kv, n)) < 0)
		return -1;
	if (s->ops->putv(s->be, kv, n) < 0)
		return -1;
	if (s->raw_n >= 0)
		s->raw_n += fresh;
	return 0;
}

int
store_rec_put(struct store *s, const char *key, const void *val, size_t len)
{
	struct store_kv kv = { key, val, len };

	return store_rec_putv(s, &kv, 1);
}

int
store_rec_del(struct store *s, const char *key)
{
	int rc;

	if (write_refused(s, "delete") || raw_key_refused(s, "delete", key))
		return -1;
	rc = s->ops->del(s->be, key);
	if (rc == 1 && s->raw_n > 0)
		s->raw_n--;
	return rc;
}

struct rec_iter_ctx {
	const char *prefix;
	size_t plen;
	store_val_fn fn;
	void *arg;
};

static int
rec_iter_cb(const char *key, const void *val, size_t len, void *arg)
{
	struct rec_iter_ctx *it = arg;

	if (!is_raw_key(key) || strncmp(key, it->prefix, it->plen) != 0)
		return 0;
	return it->fn(key, val, len, it->arg);
}

int
store_rec_iter_prefix(struct store *s, const char *prefix, store_val_fn fn,
    void *arg)
{
	struct rec_iter_ctx it = { prefix, strlen(prefix), fn, arg };

	return s->ops->iter(s->be, rec_iter_cb, &it);
}
