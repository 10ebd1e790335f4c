/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <unistd.h>

#include "conf.h"
#include "dns.h"
#include "dnssec.h"
#include "htable.h"
#include "log.h"
#include "netaddr.h"
#include "util.h"

#define TCP_MAX		65535
#define DNS_QUERY_MAX	512	/* header, a name of 255, question, OPT */

/*
 * Parsers (pure).
 */

int
dns_parse_server(const char *s, struct dns_server *out)
{
	return netaddr_parse(s, 53, &out->ss, &out->len);
}

int
dns_parse_servers(const char *list, struct dns_server *out, int max,
    char *err, size_t errlen)
{
	char *copy = xstrdup(list), *tok, *save = NULL;
	int n = 0;

	for (tok = strtok_r(copy, ", \t", &save); tok;
	    tok = strtok_r(NULL, ", \t", &save)) {
		if (n == max) {
			snprintf(err, errlen, "more than %d resolvers", max);
			goto fail;
		}
		if (dns_parse_server(tok, &out[n]) < 0) {
			snprintf(err, errlen, "bad resolver address \"%.80s\"", tok);
			goto fail;
		}
		n++;
	}
	free(copy);
	return n;
fail:
	free(copy);
	return -1;
}

static int
rc_line(char *line, int lineno, void *arg)
{
	struct { struct dns_server *out; int max, n; } *st = arg;
	char *p = line, *a;

	(void)lineno;
	while (isspace((unsigned char)*p))
		p++;
	if (strncmp(p, "nameserver", 10) != 0 || !isspace((unsigned char)p[10]))
		return 0;
	for (p += 10; isspace((unsigned char)*p); p++)
		;
	for (a = p; *p && !isspace((unsigned char)*p) && *p != '#' && *p != ';'; p++)
		;
	*p = '\0';
	/* resolv.conf has bare addresses, possibly with a %scope: skip those. */
	if (st->n < st->max && strchr(a, '%') == NULL
	    && strchr(a, '[') == NULL && dns_parse_server(a, &st->out[st->n]) == 0
	    && (strchr(a, ':') == NULL || st->out[st->n].ss.ss_family == AF_INET6))
		st->n++;
	return 0;
}

int
dns_parse_resolv_conf(const char *text, size_t len, struct dns_server *out,
    int max)
{
	struct { struct dns_server *out; int max, n; } st = { out, max, 0 };
	char *copy = xstrndup(text, len), *line, *save = NULL;

	/* Not cf_lines(): resolv.conf has no continuation lines. */
	for (line = strtok_r(copy, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save))
		rc_line(line, 0, &st);
	free(copy);
	return st.n;
}

int
dns_server_is_loopback(const struct dns_server *s)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&s->ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&s->ss;

	if (s->ss.ss_family == AF_INET)
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	return s->ss.ss_family == AF_INET6
	    && IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
}

void
dns_server_str(const struct dns_server *s, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&s->ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&s->ss;

	if (s->ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(sin->sin_port));
	} else {
		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(sin6->sin6_port));
	}
}

static int
load_anchors(struct dns_config *dc, const struct config *cf, char *err,
    size_t errlen)
{
	if (strcmp(config_get(cf, "dnssec_validation"), "local") != 0)
		return 0;
	dc->anchors = dnssec_anchors_load(config_get(cf,
	    "dnssec_trust_anchor_file"), err, errlen);
	return dc->anchors ? 0 : -1;
}

/* Read the dns_* parameters; resolvers default to /etc/resolv.conf. */
int
dns_config_from(struct dns_config *dc, const struct config *cf,
    const char *resolv_conf, char *err, size_t errlen)
{
	const char *list = config_get(cf, "dns_resolvers"), *why;
	char *text;
	size_t len;

	memset(dc, 0, sizeof(*dc));
	dc->timeout_ms = config_time(cf, "dns_timeout") * 1000;
	dc->retries = (int)config_long(cf, "dns_retries");
	dc->cache_size = (size_t)config_long(cf, "dns_cache_size");
	dc->cache_max_ttl = (uint32_t)config_time(cf, "dns_cache_max_ttl");
	if (*list) {
		dc->nservers = dns_parse_servers(list, dc->servers,
		    DNS_MAX_SERVERS, err, errlen);
		return dc->nservers < 0 ? -1 : load_anchors(dc, cf, err, errlen);
	}
	if ((text = file_read(resolv_conf, 65536, &len, &why)) == NULL) {
		snprintf(err, errlen, "%s: %s (set dns_resolvers)", resolv_conf, why);
		return -1;
	}
	dc->nservers = dns_parse_resolv_conf(text, len, dc->servers,
	    DNS_MAX_SERVERS);
	free(text);
	if (dc->nservers == 0) {
		snprintf(err, errlen, "%s has no usable nameserver line "
		    "(set dns_resolvers)", resolv_conf);
		return -1;
	}
	return load_anchors(dc, cf, err, errlen);
}

/*
 * Accept a reply only if it answers our question: the id guards
 * against blind spoofing, the question against stale or crossed
 * replies.
 */
int
dns_reply_check(const uint8_t *buf, size_t len, uint16_t id,
    const ldns_rdf *qname, int qtype, ldns_pkt **out, char *err,
    size_t errlen)
{
	ldns_pkt *pkt = NULL;
	ldns_rr *q;

	*out = NULL;
	if (len < 12) {
		snprintf(err, errlen, "short reply (%zu bytes)", len);
		return -1;
	}
	if (ldns_wire2pkt(&pkt, buf, len) != LDNS_STATUS_OK) {
		snprintf(err, errlen, "unparsable reply");
		return -1;
	}
	if (ldns_pkt_id(pkt) != id) {
		snprintf(err, errlen, "reply id mismatch");
		goto fail;
	}
	if (!ldns_pkt_qr(pkt) || ldns_pkt_get_opcode(pkt) != LDNS_PACKET_QUERY) {
		snprintf(err, errlen, "not a query response");
		goto fail;
	}
	if (ldns_pkt_qdcount(pkt) != 1
	    || ldns_rr_list_rr_count(ldns_pkt_question(pkt)) != 1) {
		snprintf(err, errlen, "reply has %u questions", ldns_pkt_qdcount(pkt));
		goto fail;
	}
	q = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
	if (ldns_dname_compare(ldns_rr_owner(q), qname) != 0
	    || (int)ldns_rr_get_type(q) != qtype
	    || ldns_rr_get_class(q) != LDNS_RR_CLASS_IN) {
		snprintf(err, errlen, "reply question mismatch");
		goto fail;
	}
	*out = pkt;
	return 0;
fail:
	ldns_pkt_free(pkt);
	return -1;
}

static uint32_t
umin(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

uint32_t
dns_pkt_ttl(const ldns_pkt *pkt)
{
	const ldns_rr_list *an = ldns_pkt_answer(pkt), *ns = ldns_pkt_authority(pkt);
	uint32_t ttl = UINT32_MAX;
	int soa = 0;

	if (ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR
	    && ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NXDOMAIN)
		return 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++)
		ttl = umin(ttl, ldns_rr_ttl(ldns_rr_list_rr(an, i)));
	for (size_t i = 0; i < ldns_rr_list_rr_count(ns); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ns, i);
		ldns_rdf *min = ldns_rr_rdf(rr, 6);

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA || min == NULL
		    || ldns_rdf_size(min) != 4)
			continue;
		ttl = umin(ttl, umin(ldns_rr_ttl(rr), ldns_rdf2native_int32(min)));
		soa = 1;
	}
	if (ttl == UINT32_MAX || (!soa && (ldns_pkt_get_rcode(pkt)
	    == LDNS_RCODE_NXDOMAIN || ldns_rr_list_rr_count(an) == 0)))
		return 0;
	return ttl;
}

int
dns_pkt_ede(const ldns_pkt *pkt)
{
	const ldns_rdf *d = ldns_pkt_edns_data(pkt);
	const uint8_t *p;
	size_t len, off = 0;

	if (d == NULL)
		return -1;
	p = ldns_rdf_data(d);
	len = ldns_rdf_size(d);
	while (off + 4 <= len) {
		unsigned code = (unsigned)p[off] << 8 | p[off + 1];
		size_t olen = (size_t)p[off + 2] << 8 | p[off + 3];

		if (off + 4 + olen > len)
			break;
		if (code == 15 && olen >= 2)
			return p[off + 4] << 8 | p[off + 5];
		off += 4 + olen;
	}
	return -1;
}

size_t
dns_query_wire(uint8_t *buf, size_t len, const ldns_rdf *qname, int qtype,
    uint16_t id, int cd)
{
	static const uint8_t opt[] = {	/* root, OPT, 4096, rcode 0, DO */
		0, 0, 41, 0x10, 0x00, 0, 0, 0x80, 0, 0, 0
	};
	size_t nlen = ldns_rdf_size(qname), n = 12 + nlen + 4 + sizeof(opt);

	if (n > len || nlen == 0)
		return 0;
	memset(buf, 0, 12);
	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	buf[2] = 0x01;			/* RD */
	buf[3] = cd ? 0x10 : 0;		/* CD */
	buf[5] = 1;			/* QDCOUNT */
	buf[11] = 1;			/* ARCOUNT: the OPT record */
	memcpy(buf + 12, ldns_rdf_data(qname), nlen);
	buf[12 + nlen] = (uint8_t)(qtype >> 8);
	buf[13 + nlen] = (uint8_t)qtype;
	buf[14 + nlen] = 0;
	buf[15 + nlen] = LDNS_RR_CLASS_IN;
	memcpy(buf + 16 + nlen, opt, sizeof(opt));
	return n;
}

/*
 * Cache: hash table for lookup, doubly linked list for LRU order.
 */

struct centry {
	char *key;
	ldns_pkt *pkt;
	uint64_t expires;		/* ms */
	uint64_t serial;		/* tells a replaced entry apart */
	int verdict;			/* enum dnssec_verdict; 0: not yet */
	struct centry *prev, *next;	/* most recent first */
};

struct dns_cache {
	struct htable *tab;
	struct centry *head, *tail;
	size_t max;
	uint32_t max_ttl;
	uint64_t serial;
};

/* "TYPE/name." lower-cased; name may lack the final dot. */
static void
cache_key(char *buf, size_t len, const char *name, int type)
{
	size_t n = strlen(name);

	snprintf(buf, len, "%d/%.*s.", type, (int)(n && name[n - 1] == '.'
	    ? n - 1 : n), name);
	str_lower(buf);
}

struct dns_cache *
dns_cache_new(size_t max, uint32_t max_ttl)
{
	struct dns_cache *c = xcalloc(1, sizeof(*c));

	c->tab = htable_new(max < 1024 ? max : 1024);
	c->max = max ? max : 1;
	c->max_ttl = max_ttl;
	return c;
}

static void
lru_unlink(struct dns_cache *c, struct centry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_front(struct dns_cache *c, struct centry *e)
{
	e->next = c->head;
	e->prev = NULL;
	if (c->head)
		c->head->prev = e;
	c->head = e;
	if (c->tail == NULL)
		c->tail = e;
}

static void
centry_drop(struct dns_cache *c, struct centry *e)
{
	lru_unlink(c, e);
	htable_del(c->tab, e->key);
	ldns_pkt_free(e->pkt);
	free(e->key);
	free(e);
}

/* Returns the entry's serial, 0 when not cached. */
static uint64_t
cache_put(struct dns_cache *c, const char *name, int type,
    const ldns_pkt *pkt, uint64_t now_ms)
{
	char key[DNS_NAME_MAX + 16];
	struct centry *e;
	uint32_t ttl;

	if (ldns_pkt_get_rcode(pkt) == LDNS_RCODE_SERVFAIL)
		ttl = DNS_ERR_TTL;
	else
		ttl = umin(dns_pkt_ttl(pkt), c->max_ttl);
	if (ttl == 0)
		return 0;
	cache_key(key, sizeof(key), name, type);
	if ((e = htable_get(c->tab, key)) != NULL)
		centry_drop(c, e);
	while (htable_count(c->tab) >= c->max && c->tail)
		centry_drop(c, c->tail);
	e = xcalloc(1, sizeof(*e));
	e->key = xstrdup(key);
	e->pkt = ldns_pkt_clone(pkt);
	e->expires = now_ms + (uint64_t)ttl * 1000;
	e->serial = ++c->serial;
	htable_put(c->tab, key, e);
	lru_front(c, e);
	return e->serial;
}

void
dns_cache_put(struct dns_cache *c, const char *name, int type,
    const ldns_pkt *pkt, uint64_t now_ms)
{
	(void)cache_put(c, name, type, pkt, now_ms);
}

static struct centry *
cache_lookup(struct dns_cache *c, const char *name, int type,
    uint64_t now_ms, uint32_t *ttl_left)
{
	char key[DNS_NAME_MAX + 16];
	struct centry *e;

	cache_key(key, sizeof(key), name, type);
	if ((e = htable_get(c->tab, key)) == NULL)
		return NULL;
	if (now_ms >= e->expires) {
		centry_drop(c, e);
		return NULL;
	}
	lru_unlink(c, e);
	lru_front(c, e);
	*ttl_left = (uint32_t)((e->expires - now_ms + 999) / 1000);
	return e;
}

const ldns_pkt *
dns_cache_get(struct dns_cache *c, const char *name, int type,
    uint64_t now_ms, uint32_t *ttl_left)
{
	struct centry *e = cache_lookup(c, name, type, now_ms, ttl_left);

	return e ? e->pkt : NULL;
}

/* Keep the verdict with the very answer it is about; bogus not long. */
static void
cache_set_verdict(struct dns_cache *c, const char *name, int type,
    uint64_t serial, int verdict, uint64_t now_ms)
{
	char key[DNS_NAME_MAX + 16];
	struct centry *e;

	cache_key(key, sizeof(key), name, type);
	if (serial == 0 || (e = htable_get(c->tab, key)) == NULL
	    || e->serial != serial)
		return;
	e->verdict = verdict;
	if (verdict == DNSSEC_BOGUS && e->expires > now_ms + DNS_ERR_TTL * 1000)
		e->expires = now_ms + DNS_ERR_TTL * 1000;
}

void
dns_cache_flush(struct dns_cache *c, const char *name)
{
	char key[DNS_NAME_MAX + 16];
	const char *k;
	struct centry *e, *next;

	if (name)
		cache_key(key, sizeof(key), name, 0);
	for (e = c->head; e; e = next) {
		next = e->next;
		k = strchr(e->key, '/') + 1;
		if (name == NULL || strcmp(k, strchr(key, '/') + 1) == 0)
			centry_drop(c, e);
	}
}

size_t
dns_cache_count(const struct dns_cache *c)
{
	return htable_count(c->tab);
}

void
dns_cache_free(struct dns_cache *c)
{
	if (c == NULL)
		return;
	dns_cache_flush(c, NULL);
	htable_free(c->tab, NULL);
	free(c);
}

/*
 * The resolver.
 */

struct inflight;

struct dns_query {
	struct dns *d;
	struct inflight *inf;		/* NULL: a cached answer on a timer */
	dns_cb cb;
	void *arg;
	struct loop_timer *timer;
	ldns_pkt *pkt;			/* the cached answer (a copy) */
	uint32_t ttl;
	struct dns_query *prev, *next;
	/* Local validation: wanted, in progress (job), of which entry. */
	int validate;
	struct dnssec_job *job;
	uint64_t serial;
	int verdict;			/* cached one, 0 if none */
	int type;
	char name[DNS_NAME_MAX];
};

struct inflight {
	struct dns *d;
	char *key;
	char name[DNS_NAME_MAX];
	int type;
	ldns_rdf *qname;
	uint16_t id;
	uint8_t *wire;
	size_t wirelen;
	int fd, tcp, attempt, server;
	enum dns_status last_err;
	struct loop_timer *timer;
	/* TCP state: 2-byte length then message, both ways. */
	size_t sent;
	uint8_t *rbuf;
	size_t rlen, rneed;
	struct dns_query *waiters;
};

struct dns {
	struct loop *loop;
	struct dns_config cf;
	struct dns_cache *cache;
	struct htable *inflight;
	struct dns_query *immediate;	/* cached answers awaiting delivery */
	struct dns_query *validating;	/* answers awaiting the validator */
	struct dnssec *val;		/* local validation, or NULL */
	unsigned rotor;
	struct dns_stat st;
};

static void attempt_start(struct inflight *inf);
static void validate(struct dns_query *q, const ldns_pkt *pkt);
static struct dns_query *lookup(struct dns *d, const char *name, int type,
    dns_cb cb, void *arg, int validate);
static void *vfetch_start(void *ctx, const char *name, int type,
    dnssec_fetch_cb cb, void *arg);
static void vfetch_cancel(void *ctx, void *handle);
static time_t vfetch_now(void *ctx);

const char *
dns_status_name(enum dns_status st)
{
	switch (st) {
	case DNS_OK:
		return "ok";
	case DNS_TIMEOUT:
		return "timeout";
	case DNS_NETERR:
		return "network error";
	case DNS_FORMERR:
		return "malformed reply";
	}
	return "?";
}

static uint64_t
dns_now(struct dns *d)
{
	return d->cf.now ? d->cf.now(d->cf.now_arg) : loop_now(d->loop);
}

struct dns *
dns_new(struct loop *l, const struct dns_config *cf)
{
	struct dns *d = xcalloc(1, sizeof(*d));
	char buf[80];

	d->loop = l;
	d->cf = *cf;
	d->cache = dns_cache_new(cf->cache_size, cf->cache_max_ttl);
	d->inflight = htable_new(64);
	if (cf->anchors) {
		struct dnssec_io io = { vfetch_start, vfetch_cancel, vfetch_now, d };

		d->val = dnssec_new(cf->anchors, &io);
		d->cf.anchors = NULL;		/* owned by d->val now */
	}
	for (int i = 0; i < cf->nservers; i++) {
		if (dns_server_is_loopback(&cf->servers[i]) || d->val)
			continue;
		dns_server_str(&cf->servers[i], buf, sizeof(buf));
		log_warn("resolver %s is not on loopback: the AD bit it sends "
		    "can be forged on the way", buf);
	}
	return d;
}

static void
io_close(struct inflight *inf)
{
	if (inf->fd >= 0) {
		loop_del(inf->d->loop, inf->fd);
		close(inf->fd);
		inf->fd = -1;
	}
	loop_timer_cancel(inf->d->loop, inf->timer);
	inf->timer = NULL;
	free(inf->rbuf);
	inf->rbuf = NULL;
}

/* The caller has taken it out of the table of queries in flight. */
static void
inflight_destroy(struct inflight *inf)
{
	io_close(inf);
	ldns_rdf_deep_free(inf->qname);
	free(inf->wire);
	free(inf->key);
	free(inf);
}

static void
query_unlink(struct dns_query **head, struct dns_query *q)
{
	if (q->prev)
		q->prev->next = q->next;
	else
		*head = q->next;
	if (q->next)
		q->next->prev = q->prev;
	q->prev = q->next = NULL;
}

static void
query_push(struct dns_query **head, struct dns_query *q)
{
	q->prev = NULL;
	q->next = *head;
	if (*head)
		(*head)->prev = q;
	*head = q;
}

/*
 * Deliver to every waiter; waiters' callbacks may cancel others.
 * Those that want local validation get it first.
 */
const char *const dns_error_class_names[DNS_EC_CLASSES] = {
	"timeout", "network", "malformed", "servfail", "refused", "other",
	"bogus"
};

/* Count a finished upstream lookup that failed, by its class. */
static void
count_error(struct dns_stat *st, enum dns_status status, const ldns_pkt *pkt)
{
	ldns_pkt_rcode rc = pkt ? ldns_pkt_get_rcode(pkt) : LDNS_RCODE_NOERROR;

	if (status == DNS_TIMEOUT)
		st->errors[DNS_EC_TIMEOUT]++;
	else if (status == DNS_NETERR)
		st->errors[DNS_EC_NETWORK]++;
	else if (status == DNS_FORMERR)
		st->errors[DNS_EC_MALFORMED]++;
	else if (rc == LDNS_RCODE_SERVFAIL)
		st->errors[DNS_EC_SERVFAIL]++;
	else if (rc == LDNS_RCODE_REFUSED)
		st->errors[DNS_EC_REFUSED]++;
	else if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN)
		st->errors[DNS_EC_OTHER]++;
}

static void
finish(struct inflight *inf, enum dns_status st, ldns_pkt *pkt)
{
	struct dns *d = inf->d;
	struct dns_result r;
	struct dns_query *q;
	uint64_t serial = 0;

	memset(&r, 0, sizeof(r));
	r.status = st;
	if (pkt) {
		r.rcode = ldns_pkt_get_rcode(pkt);
		r.secure = d->val ? 0 : ldns_pkt_ad(pkt);
		r.ttl = umin(dns_pkt_ttl(pkt), d->cf.cache_max_ttl);
		r.pkt = pkt;
		serial = cache_put(d->cache, inf->name, inf->type, pkt, dns_now(d));
	}
	count_error(&d->st, st, pkt);
	log_debug("dns %s/%d: %s rcode=%d ad=%d ttl=%u", inf->name, inf->type,
	    dns_status_name(st), r.rcode, pkt ? ldns_pkt_ad(pkt) : 0, r.ttl);
	io_close(inf);
	htable_del(d->inflight, inf->key);	/* new lookups start afresh */
	while ((q = inf->waiters) != NULL) {
		query_unlink(&inf->waiters, q);
		if (q->validate && pkt) {
			q->inf = NULL;
			q->serial = serial;
			q->ttl = r.ttl;
			validate(q, pkt);
			continue;
		}
		q->cb(q->arg, &r);
		free(q);
	}
	ldns_pkt_free(pkt);
	inflight_destroy(inf);
}

static void
attempt_next(struct inflight *inf, enum dns_status why)
{
	io_close(inf);
	inf->last_err = why;
	if (++inf->attempt > inf->d->cf.retries) {
		finish(inf, why, NULL);
		return;
	}
	attempt_start(inf);
}

static void
on_timeout(struct loop *l, void *arg)
{
	struct inflight *inf = arg;

	(void)l;
	inf->timer = NULL;
	if (inf->tcp) {		/* truncated and TCP failed: give up */
		finish(inf, DNS_TIMEOUT, NULL);
		return;
	}
	attempt_next(inf, inf->last_err == DNS_NETERR ? DNS_NETERR : DNS_TIMEOUT);
}

static void
on_send_failed(struct loop *l, void *arg)
{
	struct inflight *inf = arg;

	(void)l;
	inf->timer = NULL;
	attempt_next(inf, DNS_NETERR);
}

/* A checked reply: deliver it, or move on for TC / SERVFAIL. */
static void
got_reply(struct inflight *inf, ldns_pkt *pkt)
{
	ldns_pkt_rcode rc = ldns_pkt_get_rcode(pkt);

	if (!inf->tcp && ldns_pkt_tc(pkt)) {
		log_debug("dns %s/%d: truncated, retrying over TCP", inf->name,
		    inf->type);
		ldns_pkt_free(pkt);
		io_close(inf);
		inf->tcp = 1;
		attempt_start(inf);
		return;
	}
	if ((rc == LDNS_RCODE_SERVFAIL || rc == LDNS_RCODE_REFUSED)
	    && inf->d->cf.nservers > 1 && inf->attempt < inf->d->cf.retries) {
		ldns_pkt_free(pkt);
		inf->tcp = 0;
		attempt_next(inf, DNS_OK);
		return;
	}
	finish(inf, DNS_OK, pkt);
}

static void
udp_read(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct inflight *inf = arg;
	uint8_t buf[TCP_MAX];
	char err[80];
	ldns_pkt *pkt;

	(void)l;
	(void)ev;
	for (int i = 0; i < 16; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				return;
			/* ICMP unreachable: this server is down. */
			log_debug("dns %s: recv: %s", inf->name, strerror(errno));
			attempt_next(inf, DNS_NETERR);
			return;
		}
		if (dns_reply_check(buf, (size_t)n, inf->id, inf->qname, inf->type,
		    &pkt, err, sizeof(err)) < 0) {
			log_debug("dns %s: dropped reply: %s", inf->name, err);
			continue;
		}
		got_reply(inf, pkt);
		return;
	}
}

static void
tcp_io(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct inflight *inf = arg;
	uint8_t hdr[2] = { (uint8_t)(inf->wirelen >> 8), (uint8_t)inf->wirelen };
	char err[80];
	ldns_pkt *pkt;
	ssize_t n;

	if (inf->sent < inf->wirelen + 2) {
		struct iovec iov[2];
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
			log_debug("dns %s: tcp connect: %s", inf->name,
			    strerror(soerr ? soerr : errno));
			finish(inf, DNS_NETERR, NULL);
			return;
		}
		iov[0].iov_base = hdr + (inf->sent < 2 ? inf->sent : 2);
		iov[0].iov_len = inf->sent < 2 ? 2 - inf->sent : 0;
		iov[1].iov_base = inf->wire + (inf->sent > 2 ? inf->sent - 2 : 0);
		iov[1].iov_len = inf->wirelen - (inf->sent > 2 ? inf->sent - 2 : 0);
		n = writev(fd, iov, 2);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			finish(inf, DNS_NETERR, NULL);
			return;
		}
		if (n > 0)
			inf->sent += (size_t)n;
		if (inf->sent == inf->wirelen + 2)
			loop_mod(l, fd, LOOP_IN);
		return;
	}
	if (!(ev & (LOOP_IN | LOOP_ERR)))
		return;
	if (inf->rbuf == NULL) {
		inf->rbuf = xmalloc(TCP_MAX + 2);
		inf->rneed = 2;
	}
	n = read(fd, inf->rbuf + inf->rlen, inf->rneed - inf->rlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		finish(inf, n == 0 ? DNS_FORMERR : DNS_NETERR, NULL);
		return;
	}
	inf->rlen += (size_t)n;
	if (inf->rlen < inf->rneed)
		return;
	if (inf->rneed == 2) {
		inf->rneed = 2 + ((size_t)inf->rbuf[0] << 8 | inf->rbuf[1]);
		return;
	}
	if (dns_reply_check(inf->rbuf + 2, inf->rlen - 2, inf->id, inf->qname,
	    inf->type, &pkt, err, sizeof(err)) < 0) {
		log_debug("dns %s: tcp reply: %s", inf->name, err);
		finish(inf, DNS_FORMERR, NULL);
		return;
	}
	got_reply(inf, pkt);
}

/* Build the query with a fresh id: every attempt gets its own. */
static int
build_wire(struct inflight *inf)
{
	uint16_t id;

	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		return -1;
	if (inf->wire == NULL)
		inf->wire = xmalloc(DNS_QUERY_MAX);
	/* Local validation wants bogus data too, to judge it itself. */
	if ((inf->wirelen = dns_query_wire(inf->wire, DNS_QUERY_MAX,
	    inf->qname, inf->type, id, inf->d->val != NULL)) == 0)
		return -1;
	inf->id = id;
	return 0;
}

static void
attempt_start(struct inflight *inf)
{
	struct dns *d = inf->d;
	const struct dns_server *s;
	int fd = -1;

	if (!inf->tcp)
		inf->server = (int)((d->rotor + (unsigned)inf->attempt)
		    % (unsigned)d->cf.nservers);
	s = &d->cf.servers[inf->server];
	inf->sent = inf->rlen = 0;
	if (build_wire(inf) < 0)
		goto fail;
	fd = socket(s->ss.ss_family, (inf->tcp ? SOCK_STREAM : SOCK_DGRAM)
	    | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (connect(fd, (const struct sockaddr *)&s->ss, s->len) < 0
	    && errno != EINPROGRESS)
		goto fail;
	if (!inf->tcp && send(fd, inf->wire, inf->wirelen, 0) < 0)
		goto fail;
	if (loop_add(d->loop, fd, inf->tcp ? LOOP_OUT : LOOP_IN,
	    inf->tcp ? tcp_io : udp_read, inf) < 0)
		goto fail;
	inf->fd = fd;
	inf->timer = loop_timer(d->loop, (uint64_t)d->cf.timeout_ms, on_timeout,
	    inf);
	return;
fail:
	log_debug("dns %s: cannot send: %s", inf->name, strerror(errno));
	if (fd >= 0)
		close(fd);
	/* Report from the loop, never from inside dns_lookup(). */
	if (inf->tcp)
		inf->attempt = d->cf.retries;
	inf->timer = loop_timer(d->loop, 0, on_send_failed, inf);
}

/*
 * Local validation.
 */

/* What a validating resolver says for bogus data. */
static ldns_pkt *
servfail_pkt(const ldns_pkt *orig)
{
	static uint8_t ede[] = { 0, 15, 0, 2, 0, 6 };	/* EDE 6 DNSSEC Bogus */
	ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(orig), 0);
	ldns_pkt *p;

	p = ldns_pkt_query_new(ldns_rdf_clone(ldns_rr_owner(q)),
	    ldns_rr_get_type(q), LDNS_RR_CLASS_IN, LDNS_RD | LDNS_RA);
	ldns_pkt_set_qr(p, 1);
	ldns_pkt_set_id(p, ldns_pkt_id(orig));
	ldns_pkt_set_rcode(p, LDNS_RCODE_SERVFAIL);
	ldns_pkt_set_edns_udp_size(p, 4096);
	ldns_pkt_set_edns_data(p, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN,
	    sizeof(ede), ede));
	return p;
}

/* Hand q its answer with the verdict applied, then free q. */
static void
deliver_verdict(struct dns_query *q, const ldns_pkt *pkt, int verdict,
    const char *why)
{
	struct dns *d = q->d;
	struct dns_result r;
	ldns_pkt *sf = NULL;

	if (q->serial && q->verdict == 0)
		cache_set_verdict(d->cache, q->name, q->type, q->serial, verdict,
		    dns_now(d));
	if (verdict == DNSSEC_BOGUS && q->verdict == 0)
		d->st.errors[DNS_EC_BOGUS]++;
	if (verdict == DNSSEC_BOGUS && q->verdict == 0)
		log_notice("dnssec: %s/%d is bogus: %s", q->name,
		    q->type, why ? why : "");
	else if (why && q->verdict == 0)
		log_debug("dnssec: %s/%d is %s%s%s", q->name, q->type,
		    dnssec_verdict_name(verdict), *why ? ": " : "", why);
	memset(&r, 0, sizeof(r));
	r.status = DNS_OK;
	if (verdict == DNSSEC_BOGUS) {
		r.pkt = sf = servfail_pkt(pkt);
		r.ttl = DNS_ERR_TTL;
	} else {
		r.pkt = pkt;
		r.secure = verdict == DNSSEC_SECURE;
		r.ttl = q->ttl;
	}
	r.rcode = ldns_pkt_get_rcode(r.pkt);
	q->cb(q->arg, &r);
	ldns_pkt_free(sf);
	ldns_pkt_free(q->pkt);
	free(q);
}

static void
validated(void *arg, enum dnssec_verdict v, const char *why)
{
	struct dns_query *q = arg;

	q->job = NULL;
	query_unlink(&q->d->validating, q);
	deliver_verdict(q, q->pkt, v, why);
}

/* Start the validator on pkt for q; q's callback runs later. */
static void
validate(struct dns_query *q, const ldns_pkt *pkt)
{
	enum dnssec_verdict v;
	char why[256];

	if (q->verdict != 0) {		/* known from the cache */
		deliver_verdict(q, pkt, q->verdict, NULL);
		return;
	}
	v = dnssec_validate(q->d->val, pkt, q->name, q->type, validated, q,
	    &q->job, why, sizeof(why));
	if (v != DNSSEC_PENDING) {
		deliver_verdict(q, pkt, v, why);
		return;
	}
	if (q->pkt == NULL)
		q->pkt = ldns_pkt_clone(pkt);
	query_push(&q->d->validating, q);
}

/* The validator's own lookups: raw answers, no validation. */
struct vfetch {
	struct dns_query *q;
	dnssec_fetch_cb cb;
	void *arg;
};

static void
vfetch_done(void *arg, const struct dns_result *r)
{
	struct vfetch *f = arg;
	int ok = r->status == DNS_OK && r->pkt != NULL;

	f->cb(f->arg, ok ? r->pkt : NULL, ok ? NULL : dns_status_name(r->status));
	free(f);
}

static void *
vfetch_start(void *ctx, const char *name, int type, dnssec_fetch_cb cb,
    void *arg)
{
	struct vfetch *f = xcalloc(1, sizeof(*f));

	f->cb = cb;
	f->arg = arg;
	f->q = lookup(ctx, name, type, vfetch_done, f, 0);
	return f;
}

static void
vfetch_cancel(void *ctx, void *handle)
{
	struct vfetch *f = handle;

	dns_cancel(ctx, f->q);
	free(f);
}

static time_t
vfetch_now(void *ctx)
{
	struct dns *d = ctx;

	return d->cf.wallclock ? d->cf.wallclock(d->cf.now_arg) : time(NULL);
}

static void
deliver_cached(struct loop *l, void *arg)
{
	struct dns_query *q = arg;
	struct dns_result r;

	(void)l;
	q->timer = NULL;
	query_unlink(&q->d->immediate, q);
	if (q->validate) {
		validate(q, q->pkt);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.status = DNS_OK;
	r.rcode = ldns_pkt_get_rcode(q->pkt);
	r.secure = q->d->val ? 0 : ldns_pkt_ad(q->pkt);
	r.ttl = q->ttl;
	r.pkt = q->pkt;
	q->cb(q->arg, &r);
	ldns_pkt_free(q->pkt);
	free(q);
}

struct dns_query *
dns_lookup(struct dns *d, const char *name, int type, dns_cb cb, void *arg)
{
	return lookup(d, name, type, cb, arg, d->val != NULL);
}

static struct dns_query *
lookup(struct dns *d, const char *name, int type, dns_cb cb, void *arg,
    int validate)
{
	struct dns_query *q = xcalloc(1, sizeof(*q));
	struct inflight *inf;
	struct centry *e;
	char key[DNS_NAME_MAX + 16];
	uint32_t ttl;

	q->d = d;
	q->cb = cb;
	q->arg = arg;
	q->validate = validate;
	q->type = type;
	snprintf(q->name, sizeof(q->name), "%s", name);
	d->st.lookups++;
	if ((e = cache_lookup(d->cache, name, type, dns_now(d), &ttl))) {
		d->st.cache_hits++;
		q->pkt = ldns_pkt_clone(e->pkt);
		q->ttl = ttl;
		q->serial = e->serial;
		q->verdict = e->verdict;
		query_push(&d->immediate, q);
		q->timer = loop_timer(d->loop, 0, deliver_cached, q);
		return q;
	}
	cache_key(key, sizeof(key), name, type);
	if ((inf = htable_get(d->inflight, key)) == NULL) {
		inf = xcalloc(1, sizeof(*inf));
		inf->d = d;
		inf->key = xstrdup(key);
		inf->fd = -1;
		inf->type = type;
		snprintf(inf->name, sizeof(inf->name), "%s", strchr(key, '/') + 1);
		inf->qname = ldns_dname_new_frm_str(inf->name);
		d->rotor++;
		htable_put(d->inflight, key, inf);
		if (inf->qname == NULL) {
			inf->attempt = d->cf.retries;	/* bad name: fail at once */
			inf->timer = loop_timer(d->loop, 0, on_send_failed, inf);
		} else {
			attempt_start(inf);
		}
	}
	q->inf = inf;
	query_push(&inf->waiters, q);
	return q;
}

void
dns_cancel(struct dns *d, struct dns_query *q)
{
	if (q == NULL)
		return;
	if (q->job) {
		dnssec_cancel(q->job);
		query_unlink(&d->validating, q);
		ldns_pkt_free(q->pkt);
	} else if (q->inf) {
		/* The query itself runs on: its answer fills the cache. */
		query_unlink(&q->inf->waiters, q);
	} else {
		loop_timer_cancel(d->loop, q->timer);
		query_unlink(&d->immediate, q);
		ldns_pkt_free(q->pkt);
	}
	free(q);
}

void
dns_flush(struct dns *d, const char *name)
{
	dns_cache_flush(d->cache, name);
}

static struct dns_query *
port_lookup(void *impl, const char *name, int type, dns_cb cb, void *arg)
{
	return dns_lookup(impl, name, type, cb, arg);
}

static void
port_cancel(void *impl, struct dns_query *q)
{
	dns_cancel(impl, q);
}

static void
port_flush(void *impl, const char *name)
{
	dns_flush(impl, name);
}

/* The event loop's clock, which DANE's cache lifetimes always used. */
static uint64_t
port_now(void *impl)
{
	struct dns *d = impl;

	return loop_now(d->loop);
}

/* The DNS port (dnsport.h) of this resolver. */
void
dns_port_of(struct dns *d, struct dns_port *p)
{
	*p = (struct dns_port){ .lookup = port_lookup, .cancel = port_cancel,
	    .flush = port_flush, .now = port_now, .impl = d };
}

static void
free_inflight(const char *key, void *value, void *arg)
{
	struct inflight *inf = value;
	struct dns_query *q, *next;

	(void)key;
	(void)arg;
	for (q = inf->waiters; q; q = next) {
		next = q->next;
		free(q);
	}
	inflight_destroy(inf);
}

void
dns_free(struct dns *d)
{
	if (d == NULL)
		return;
	while (d->validating)
		dns_cancel(d, d->validating);
	while (d->immediate)
		dns_cancel(d, d->immediate);
	htable_walk(d->inflight, free_inflight, NULL);
	htable_free(d->inflight, NULL);
	dns_cache_free(d->cache);
	dnssec_free(d->val);
	free(d);
}

void
dns_stats(const struct dns *d, struct dns_stat *st)
{
	*st = d->st;
	st->cached = dns_cache_count(d->cache);
}
