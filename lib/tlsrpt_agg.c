/* SPDX-License-Identifier: MIT */
/*
 * tlsrpt_agg - TLSRPT aggregation per UTC day and TLSRPT domain.  The
 * contract, the store layout and the design note are in tlsrpt_agg.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "htable.h"
#include "tlsrpt_agg.h"
#include "util.h"

#define SECS_PER_DAY	86400
#define REC_MAGIC	"TR"
#define REC_VERSION	1
#define DAY_MAX		INT64_C(2932896)	/* 9999-12-31 */

struct day_count {
	int64_t day;
	size_t domains;			/* records */
	size_t details;			/* distinct details in them */
	uint64_t dropped;
};

struct tlsrpt_agg {
	struct htable *recs;		/* store key -> struct tlsrpt_agg_rec */
	struct tlsrpt_agg_limits lim;
	struct day_count *days;
	size_t ndays;
};

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Days and keys */

int64_t
tlsrpt_day(int64_t now)
{
	return now >= 0 ? now / SECS_PER_DAY : -1 - (-1 - now) / SECS_PER_DAY;
}

/* Days since 1970-01-01 to a civil date (H. Hinnant's algorithm). */
void
tlsrpt_day_str(int64_t day, char buf[TLSRPT_DAY_LEN + 1])
{
	int64_t z = day + 719468, era, doe, yoe, y, doy, mp, d, m;
	char tmp[64];

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", (int)(y % 10000),
	    (int)m, (int)d);
	memcpy(buf, tmp, TLSRPT_DAY_LEN);
	buf[TLSRPT_DAY_LEN] = '\0';
}

static int64_t
civil_to_day(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
tlsrpt_day_parse(const char *s, int64_t *day)
{
	char back[TLSRPT_DAY_LEN + 1];
	int y, m, d, n = 0;

	if (strlen(s) != TLSRPT_DAY_LEN
	    || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3
	    || n != TLSRPT_DAY_LEN || y < 1970 || m < 1 || m > 12 || d < 1
	    || d > 31)
		return -1;
	*day = civil_to_day(y, m, d);
	tlsrpt_day_str(*day, back);
	return strcmp(back, s) == 0 ? 0 : -1;	/* 02-30 and the like */
}

int
tlsrpt_agg_key(int64_t day, const char *domain, char *buf, size_t len)
{
	char ds[TLSRPT_DAY_LEN + 1];
	int n;

	if (day < 0 || day > DAY_MAX || !domain_valid(domain))
		return -1;
	tlsrpt_day_str(day, ds);
	n = snprintf(buf, len, "rpt/%s/%s", ds, domain);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
tlsrpt_agg_key_parse(const char *key, int64_t *day,
    char domain[DOMAIN_MAX + 1])
{
	char ds[TLSRPT_DAY_LEN + 1];
	const char *dom = key + 4 + TLSRPT_DAY_LEN + 1;

	if (strncmp(key, "rpt/", 4) != 0 || strlen(key) <= 4 + TLSRPT_DAY_LEN
	    || key[4 + TLSRPT_DAY_LEN] != '/' || strlen(dom) > DOMAIN_MAX
	    || !domain_valid(dom))
		return -1;
	memcpy(ds, key + 4, TLSRPT_DAY_LEN);
	ds[TLSRPT_DAY_LEN] = '\0';
	if (tlsrpt_day_parse(ds, day) < 0)
		return -1;
	strcpy(domain, dom);
	return 0;
}

/* Records */

struct tlsrpt_agg_rec *
tlsrpt_agg_rec_new(int64_t day, const char *domain)
{
	struct tlsrpt_agg_rec *r = xcalloc(1, sizeof(*r));

	r->day = day;
	snprintf(r->domain, sizeof(r->domain), "%s", domain);
	return r;
}

static void
agg_policy_free(struct tlsrpt_agg_policy *ap)
{
	size_t i;

	free(ap->pr);
	tlsrpt_policy_free(&ap->p);
	for (i = 0; i < ap->ndetails; i++)
		tlsrpt_detail_free(&ap->details[i].d);
	free(ap->details);
}

void
tlsrpt_agg_rec_free(struct tlsrpt_agg_rec *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->npol; i++)
		agg_policy_free(&r->pol[i]);
	free(r->pol);
	free(r);
}

static int
strv_equal(char *const *a, size_t na, char *const *b, size_t nb)
{
	size_t i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

/* Same record and same policy: type, domain, strings, mx in order. */
static int
policy_same(const struct tlsrpt_agg_policy *ap, const char *pr,
    const struct tlsrpt_policy *p)
{
	return strcmp(ap->pr, pr) == 0 && ap->p.type == p->type
	    && strcmp(ap->p.domain, p->domain) == 0
	    && strv_equal(ap->p.strings, ap->p.nstrings, p->strings,
	    p->nstrings) && strv_equal(ap->p.mx, ap->p.nmx, p->mx, p->nmx);
}

static char **
strv_copy(char *const *v, size_t n)
{
	char **c = xcalloc(n + 1, sizeof(char *));
	size_t i;

	for (i = 0; i < n; i++)
		c[i] = xstrdup(v[i]);
	return c;
}

static struct tlsrpt_agg_policy *
policy_append(struct tlsrpt_agg_rec *r, const char *pr,
    const struct tlsrpt_policy *p)
{
	struct tlsrpt_agg_policy *ap;

	r->pol = xrealloc(r->pol, (r->npol + 1) * sizeof(*r->pol));
	ap = &r->pol[r->npol++];
	memset(ap, 0, sizeof(*ap));
	ap->pr = xstrdup(pr);
	ap->p.type = p->type;
	ap->p.domain = xstrdup(p->domain);
	ap->p.strings = strv_copy(p->strings, p->nstrings);
	ap->p.nstrings = p->nstrings;
	ap->p.mx = strv_copy(p->mx, p->nmx);
	ap->p.nmx = p->nmx;
	return ap;
}

/*
 * Count one occurrence of detail d; 0, or 1 when a cap dropped it: the
 * policy's cap, or room (the day's budget of distinct details; NULL
 * for none), which a new detail uses up by one.
 */
static int
detail_count(struct tlsrpt_agg_policy *ap, const struct tlsrpt_detail *d,
    uint64_t n, size_t cap, size_t *room)
{
	struct tlsrpt_agg_detail *ad;
	size_t i;

	for (i = 0; i < ap->ndetails; i++) {
		if (tlsrpt_detail_equal(&ap->details[i].d, d)) {
			ap->details[i].count = sat_add(ap->details[i].count, n);
			return 0;
		}
	}
	if (ap->ndetails >= cap || (room != NULL && *room == 0)) {
		ap->details_dropped = sat_add(ap->details_dropped, n);
		return 1;
	}
	if (room != NULL)
		(*room)--;
	ap->details = xrealloc(ap->details,
	    (ap->ndetails + 1) * sizeof(*ap->details));
	ad = &ap->details[ap->ndetails++];
	memset(ad, 0, sizeof(*ad));
	tlsrpt_detail_copy(&ad->d, d);
	ad->count = n;
	return 0;
}

static size_t
limit_or(size_t v, size_t def)
{
	return v > 0 ? v : def;
}

static int
rec_add_room(struct tlsrpt_agg_rec *r, const char *pr,
    const struct tlsrpt_policy *p, const struct tlsrpt_agg_limits *lim,
    size_t *room)
{
	size_t maxpol = limit_or(lim ? lim->policies : 0,
	    TLSRPT_AGG_POLICIES_DEF);
	size_t maxdet = limit_or(lim ? lim->details : 0,
	    TLSRPT_AGG_DETAILS_DEF);
	struct tlsrpt_agg_policy *ap = NULL;
	size_t i;
	int capped = 0;

	for (i = 0; i < r->npol && ap == NULL; i++)
		if (policy_same(&r->pol[i], pr, p))
			ap = &r->pol[i];
	if (ap == NULL && r->npol >= maxpol) {
		r->sessions_dropped = sat_add(r->sessions_dropped, 1);
		return TLSRPT_AGG_CAPPED;
	}
	if (ap == NULL)
		ap = policy_append(r, pr, p);
	ap->total = sat_add(ap->total, 1);
	ap->failures = sat_add(ap->failures, p->failed ? 1 : 0);
	for (i = 0; i < p->ndetails; i++)
		capped |= detail_count(ap, &p->details[i], 1, maxdet, room);
	r->dirty = 1;
	return capped ? TLSRPT_AGG_CAPPED : TLSRPT_AGG_OK;
}

int
tlsrpt_agg_rec_add(struct tlsrpt_agg_rec *r, const char *pr,
    const struct tlsrpt_policy *p, const struct tlsrpt_agg_limits *lim)
{
	return rec_add_room(r, pr, p, lim, NULL);
}

/* Encoding */

static void
put_be(struct tlsrpt_buf *b, uint64_t v, int bytes)
{
	unsigned char tmp[8];
	int i;

	for (i = bytes - 1; i >= 0; i--, v >>= 8)
		tmp[i] = (unsigned char)(v & 0xff);
	tlsrpt_buf_add(b, tmp, (size_t)bytes);
}

static void
put_str(struct tlsrpt_buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	put_be(b, n, 2);
	tlsrpt_buf_add(b, s ? s : "", n);
}

static void
put_strv(struct tlsrpt_buf *b, char *const *v, size_t n)
{
	size_t i;

	put_be(b, n, 2);
	for (i = 0; i < n; i++)
		put_str(b, v[i]);
}

static void
put_detail(struct tlsrpt_buf *b, const struct tlsrpt_agg_detail *ad)
{
	const char *m[6] = { ad->d.s, ad->d.n, ad->d.h, ad->d.r, ad->d.a,
	    ad->d.f };
	unsigned mask = 0;
	int i;

	for (i = 0; i < 6; i++)
		if (m[i] != NULL)
			mask |= 1U << i;
	put_be(b, (uint32_t)ad->d.code, 4);
	put_be(b, mask, 1);
	for (i = 0; i < 6; i++)
		if (m[i] != NULL)
			put_str(b, m[i]);
	put_be(b, ad->count, 8);
}

static void
put_policy(struct tlsrpt_buf *b, const struct tlsrpt_agg_policy *ap)
{
	size_t i;

	put_str(b, ap->pr);
	put_be(b, (uint64_t)ap->p.type, 1);
	put_str(b, ap->p.domain);
	put_strv(b, ap->p.strings, ap->p.nstrings);
	put_strv(b, ap->p.mx, ap->p.nmx);
	put_be(b, ap->total, 8);
	put_be(b, ap->failures, 8);
	put_be(b, ap->details_dropped, 8);
	put_be(b, ap->ndetails, 2);
	for (i = 0; i < ap->ndetails; i++)
		put_detail(b, &ap->details[i]);
}

static uint32_t
rec_crc(const char *key, const void *buf, size_t len)
{
	uLong crc = crc32(0L, Z_NULL, 0);

	crc = crc32(crc, (const Bytef *)key, (uInt)strlen(key) + 1);
	return (uint32_t)crc32(crc, (const Bytef *)buf, (uInt)len);
}

unsigned char *
tlsrpt_agg_rec_encode(const struct tlsrpt_agg_rec *r, size_t *lenp)
{
	struct tlsrpt_buf b = { NULL, 0, 0 };
	char key[TLSRPT_AGG_KEY_MAX + 1];
	size_t i;

	if (tlsrpt_agg_key(r->day, r->domain, key, sizeof(key)) < 0)
		return NULL;
	tlsrpt_buf_add(&b, REC_MAGIC, 2);
	put_be(&b, REC_VERSION, 1);
	put_be(&b, 0, 1);
	put_be(&b, (uint64_t)r->day, 8);
	put_be(&b, strlen(r->domain), 1);
	tlsrpt_buf_str(&b, r->domain);
	put_be(&b, r->sessions_dropped, 8);
	put_be(&b, r->npol, 2);
	for (i = 0; i < r->npol; i++)
		put_policy(&b, &r->pol[i]);
	put_be(&b, rec_crc(key, b.p, b.len), 4);
	*lenp = b.len;
	return (unsigned char *)b.p;
}

/* Decoding: a cursor; every step is a no-op once err is set. */

struct rd {
	const unsigned char *p;
	size_t len, pos;
	const char *err;
};

static uint64_t
get_be(struct rd *c, int bytes)
{
	uint64_t v = 0;
	int i;

	if (c->err != NULL)
		return 0;
	if (c->len - c->pos < (size_t)bytes) {
		c->err = "truncated";
		return 0;
	}
	for (i = 0; i < bytes; i++)
		v = (v << 8) | c->p[c->pos++];
	return v;
}

static char *
get_str(struct rd *c)
{
	size_t n = (size_t)get_be(c, 2);
	char *s;

	if (c->err == NULL && (n > TLSRPT_STR_MAX || c->len - c->pos < n))
		c->err = "bad string length";
	if (c->err == NULL && !tlsrpt_utf8_valid((const char *)c->p + c->pos, n))
		c->err = "string is not UTF-8";
	if (c->err != NULL)
		return NULL;
	s = xstrndup((const char *)c->p + c->pos, n);
	c->pos += n;
	return s;
}

static char **
get_strv(struct rd *c, size_t *np)
{
	size_t n = (size_t)get_be(c, 2), i;
	char **v;

	*np = 0;
	if (c->err == NULL && n > TLSRPT_STRINGS_MAX)
		c->err = "too many strings";
	if (c->err != NULL)
		return NULL;
	v = xcalloc(n + 1, sizeof(char *));
	for (i = 0; i < n && c->err == NULL; i++) {
		v[i] = get_str(c);
		*np += v[i] != NULL;
	}
	return v;
}

static void
get_detail(struct rd *c, struct tlsrpt_agg_detail *ad)
{
	char **m[6] = { &ad->d.s, &ad->d.n, &ad->d.h, &ad->d.r, &ad->d.a,
	    &ad->d.f };
	uint64_t code;
	unsigned mask;
	int i;

	code = get_be(c, 4);
	mask = (unsigned)get_be(c, 1);
	if (c->err == NULL && (mask > 63 || code > 99999))
		c->err = "bad detail";
	ad->d.code = (int)code;
	for (i = 0; i < 6 && c->err == NULL; i++)
		if (mask & (1U << i))
			*m[i] = get_str(c);
	ad->count = get_be(c, 8);
}

static void
get_policy(struct rd *c, struct tlsrpt_agg_policy *ap)
{
	size_t n, i;

	ap->pr = get_str(c);
	ap->p.type = (enum tlsrpt_policy_type)get_be(c, 1);
	ap->p.domain = get_str(c);
	ap->p.strings = get_strv(c, &ap->p.nstrings);
	ap->p.mx = get_strv(c, &ap->p.nmx);
	ap->total = get_be(c, 8);
	ap->failures = get_be(c, 8);
	ap->details_dropped = get_be(c, 8);
	n = (size_t)get_be(c, 2);
	if (c->err == NULL && (tlsrpt_policy_type_name(ap->p.type) == NULL
	    || !domain_valid(ap->p.domain) || ap->failures > ap->total
	    || n > TLSRPT_AGG_DETAILS_MAX))
		c->err = "bad policy";
	if (c->err != NULL)
		return;
	ap->details = xcalloc(n + 1, sizeof(*ap->details));
	for (i = 0; i < n && c->err == NULL; i++) {
		ap->ndetails++;
		get_detail(c, &ap->details[i]);
	}
}

static void
get_record(struct rd *c, const char *key, struct tlsrpt_agg_rec *r)
{
	size_t n, i;
	int64_t kday;
	char kdom[DOMAIN_MAX + 1];

	r->day = (int64_t)get_be(c, 8);
	n = (size_t)get_be(c, 1);
	if (c->err == NULL && (n > DOMAIN_MAX || c->len - c->pos < n))
		c->err = "bad domain length";
	if (c->err != NULL)
		return;
	memcpy(r->domain, c->p + c->pos, n);
	r->domain[n] = '\0';
	c->pos += n;
	if (tlsrpt_agg_key_parse(key, &kday, kdom) < 0 || kday != r->day
	    || strcmp(kdom, r->domain) != 0) {
		c->err = "day or domain does not match the key";
		return;
	}
	r->sessions_dropped = get_be(c, 8);
	n = (size_t)get_be(c, 2);
	if (c->err == NULL && n > TLSRPT_AGG_POLICIES_MAX)
		c->err = "too many policies";
	if (c->err != NULL)
		return;
	r->pol = xcalloc(n + 1, sizeof(*r->pol));
	for (i = 0; i < n && c->err == NULL; i++) {
		r->npol++;
		get_policy(c, &r->pol[i]);
	}
}

int
tlsrpt_agg_rec_decode(const char *key, const void *buf, size_t len,
    struct tlsrpt_agg_rec **rp, char *err, size_t errlen)
{
	struct rd c = { buf, len, 0, NULL };
	struct tlsrpt_agg_rec *r;

	*rp = NULL;
	if (len < 8 || memcmp(buf, REC_MAGIC, 2) != 0) {
		errbuf_set(err, errlen, "not a TLSRPT aggregate record");
		return TLSRPT_AGG_DEC_CORRUPT;
	}
	if (c.p[2] != REC_VERSION) {
		errbuf_set(err, errlen, "record format version %u", c.p[2]);
		return TLSRPT_AGG_DEC_VERSION;
	}
	if (rec_crc(key, buf, len - 4) != (uint32_t)((uint32_t)c.p[len - 4] << 24
	    | (uint32_t)c.p[len - 3] << 16 | (uint32_t)c.p[len - 2] << 8
	    | c.p[len - 1])) {
		errbuf_set(err, errlen, "checksum mismatch");
		return TLSRPT_AGG_DEC_CORRUPT;
	}
	c.len = len - 4;
	c.pos = 4;
	r = xcalloc(1, sizeof(*r));
	get_record(&c, key, r);
	if (c.err == NULL && c.pos != c.len)
		c.err = "trailing bytes";
	if (c.err != NULL) {
		errbuf_set(err, errlen, "corrupt record: %s", c.err);
		tlsrpt_agg_rec_free(r);
		return TLSRPT_AGG_DEC_CORRUPT;
	}
	*rp = r;
	return TLSRPT_AGG_DEC_OK;
}

/* The working set */

struct tlsrpt_agg *
tlsrpt_agg_new(const struct tlsrpt_agg_limits *lim)
{
	struct tlsrpt_agg *a = xcalloc(1, sizeof(*a));

	if (lim != NULL)
		a->lim = *lim;
	a->lim.domains = limit_or(a->lim.domains, TLSRPT_AGG_DOMAINS_DEF);
	a->lim.policies = limit_or(a->lim.policies, TLSRPT_AGG_POLICIES_DEF);
	a->lim.details = limit_or(a->lim.details, TLSRPT_AGG_DETAILS_DEF);
	a->lim.day_details = limit_or(a->lim.day_details,
	    TLSRPT_AGG_DAY_DETAILS_DEF);
	a->recs = htable_new(64);
	return a;
}

static void
rec_free_void(void *r)
{
	tlsrpt_agg_rec_free(r);
}

void
tlsrpt_agg_free(struct tlsrpt_agg *a)
{
	if (a == NULL)
		return;
	htable_free(a->recs, rec_free_void);
	free(a->days);
	free(a);
}

static struct day_count *
day_count(struct tlsrpt_agg *a, int64_t day)
{
	size_t i;

	for (i = 0; i < a->ndays; i++)
		if (a->days[i].day == day)
			return &a->days[i];
	a->days = xrealloc(a->days, (a->ndays + 1) * sizeof(*a->days));
	memset(&a->days[a->ndays], 0, sizeof(a->days[0]));
	a->days[a->ndays].day = day;
	return &a->days[a->ndays++];
}

/* The record for (day, domain), created within the day's cap, or NULL. */
static struct tlsrpt_agg_rec *
rec_for(struct tlsrpt_agg *a, int64_t day, const char *domain)
{
	char key[TLSRPT_AGG_KEY_MAX + 1];
	struct tlsrpt_agg_rec *r;
	struct day_count *dc;

	if (tlsrpt_agg_key(day, domain, key, sizeof(key)) < 0)
		return NULL;
	if ((r = htable_get(a->recs, key)) != NULL)
		return r;
	dc = day_count(a, day);
	if (dc->domains >= a->lim.domains)
		return NULL;
	r = tlsrpt_agg_rec_new(day, domain);
	htable_put(a->recs, key, r);
	dc->domains++;
	return r;
}

int
tlsrpt_agg_add(struct tlsrpt_agg *a, const struct tlsrpt_dgram *dg,
    int64_t now)
{
	struct tlsrpt_agg_rec *r;
	struct day_count *dc;
	size_t i, room, before;
	int rc = TLSRPT_AGG_OK;

	if (now < 0)
		return -1;
	r = rec_for(a, tlsrpt_day(now), dg->d);
	dc = day_count(a, tlsrpt_day(now));
	if (r == NULL) {
		dc->dropped = sat_add(dc->dropped, dg->npolicies);
		return TLSRPT_AGG_DROPPED;
	}
	room = before = dc->details < a->lim.day_details
	    ? a->lim.day_details - dc->details : 0;
	for (i = 0; i < dg->npolicies; i++)
		if (rec_add_room(r, dg->pr, &dg->policies[i], &a->lim, &room)
		    != TLSRPT_AGG_OK)
			rc = TLSRPT_AGG_CAPPED;
	dc->details += before - room;
	return rc;
}

int
tlsrpt_agg_load(struct tlsrpt_agg *a, const char *key, const void *buf,
    size_t len, char *err, size_t errlen)
{
	struct tlsrpt_agg_rec *r;
	struct day_count *dc;
	size_t i;

	if (tlsrpt_agg_rec_decode(key, buf, len, &r, err, errlen)
	    != TLSRPT_AGG_DEC_OK)
		return -1;
	if (htable_put(a->recs, key, r) < 0) {
		errbuf_set(err, errlen, "%s is loaded already", key);
		tlsrpt_agg_rec_free(r);
		return -1;
	}
	dc = day_count(a, r->day);
	dc->domains++;
	for (i = 0; i < r->npol; i++)
		dc->details += r->pol[i].ndetails;
	return 0;
}

struct flush_ctx {
	int (*put)(const char *, const void *, size_t, void *);
	void *arg;
	long written;
	int failed;
};

static void
flush_one(const char *key, void *value, void *arg)
{
	struct tlsrpt_agg_rec *r = value;
	struct flush_ctx *fc = arg;
	unsigned char *buf;
	size_t len;

	if (!r->dirty || fc->failed)
		return;
	if ((buf = tlsrpt_agg_rec_encode(r, &len)) == NULL)
		return;
	if (fc->put(key, buf, len, fc->arg) == 0) {
		r->dirty = 0;
		fc->written++;
	} else
		fc->failed = 1;
	free(buf);
}

long
tlsrpt_agg_flush(struct tlsrpt_agg *a,
    int (*put)(const char *key, const void *buf, size_t len, void *arg),
    void *arg)
{
	struct flush_ctx fc = { put, arg, 0, 0 };

	htable_walk(a->recs, flush_one, &fc);
	return fc.failed ? -1 : fc.written;
}

int
tlsrpt_agg_set_dirty(struct tlsrpt_agg *a, const char *key)
{
	struct tlsrpt_agg_rec *r = htable_get(a->recs, key);

	if (r == NULL)
		return -1;
	r->dirty = 1;
	return 0;
}

const struct tlsrpt_agg_rec *
tlsrpt_agg_get(const struct tlsrpt_agg *a, int64_t day, const char *domain)
{
	char key[TLSRPT_AGG_KEY_MAX + 1];

	if (tlsrpt_agg_key(day, domain, key, sizeof(key)) < 0)
		return NULL;
	return htable_get(a->recs, key);
}

struct walk_ctx {
	int64_t day;
	void (*fn)(const struct tlsrpt_agg_rec *, void *);
	void *arg;
	char **keys;			/* drop_day: keys to delete */
	size_t nkeys;
};

static void
walk_one(const char *key, void *value, void *arg)
{
	const struct tlsrpt_agg_rec *r = value;
	struct walk_ctx *wc = arg;

	if (r->day != wc->day)
		return;
	if (wc->fn != NULL)
		wc->fn(r, wc->arg);
	else {
		wc->keys = xrealloc(wc->keys, (wc->nkeys + 1) * sizeof(char *));
		wc->keys[wc->nkeys++] = xstrdup(key);
	}
}

void
tlsrpt_agg_walk_day(const struct tlsrpt_agg *a, int64_t day,
    void (*fn)(const struct tlsrpt_agg_rec *r, void *arg), void *arg)
{
	struct walk_ctx wc = { day, fn, arg, NULL, 0 };

	if (fn != NULL)
		htable_walk(a->recs, walk_one, &wc);
}

void
tlsrpt_agg_drop_day(struct tlsrpt_agg *a, int64_t day)
{
	struct walk_ctx wc = { day, NULL, NULL, NULL, 0 };
	size_t i;

	htable_walk(a->recs, walk_one, &wc);
	for (i = 0; i < wc.nkeys; i++) {
		tlsrpt_agg_rec_free(htable_del(a->recs, wc.keys[i]));
		free(wc.keys[i]);
	}
	free(wc.keys);
	for (i = 0; i < a->ndays; i++) {
		if (a->days[i].day == day) {
			a->days[i] = a->days[--a->ndays];
			break;
		}
	}
}

uint64_t
tlsrpt_agg_dropped(const struct tlsrpt_agg *a, int64_t day)
{
	size_t i;

	for (i = 0; i < a->ndays; i++)
		if (a->days[i].day == day)
			return a->days[i].dropped;
	return 0;
}
