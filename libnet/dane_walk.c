/* SPDX-License-Identifier: MIT */
/*
 * dane_walk - the DANE decision as a pure walk over recorded DNS answers
 * (dane_walk.h); the asynchronous driver and cache are policyd/dane.c.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dane_walk.h"
#include "dname.h"
#include "htable.h"
#include "log.h"
#include "util.h"

#define MAX_ANSWERS	256		/* recorded answers for one walk */
#define MAX_CNAME	8		/* CNAME hops followed in one reply */

/* EDE info-codes (RFC 8914) that say "not a DNSSEC failure". */
#define EDE_NO_REACHABLE_AUTHORITY	22
#define EDE_NETWORK_ERROR		23

/*
 * Recorded answers.
 */

struct rec {
	char name[DNS_NAME_MAX];	/* query name, lower case, final dot */
	int type;
	enum dns_status status;
	int rcode, secure, ede, chain_broken;
	uint32_t ttl;
	char target[DNS_NAME_MAX];	/* after CNAMEs in the reply */
	ldns_rr_list *rrs;		/* type records owned by target */
};

struct dane_answers {
	struct rec *r;
	size_t n, cap;			/* cap grows up to MAX_ANSWERS */
};

/* Lower case with a final dot; 0, or -1 when too long. */
static int
name_norm(const char *in, char *out, size_t outlen)
{
	size_t n = strlen(in);

	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n + 2 > outlen)
		return -1;
	memcpy(out, in, n);
	out[n] = '.';
	out[n + 1] = '\0';
	str_lower(out);
	return 0;
}

/* Presentation form; -1 when it does not fit (escapes make it long). */
static int
rdf_name(const ldns_rdf *rdf, char *out, size_t outlen)
{
	char s[DNS_NAME_MAX * 4];

	if (dname_text(rdf, s, sizeof(s)) < 0 || name_norm(s, out,
	    outlen) < 0) {
		snprintf(out, outlen, "?");
		return -1;
	}
	return 0;
}

/*
 * Follow the CNAME chain from the question name inside one reply; a
 * question for the CNAME itself wants the alias record, not its target.
 */
static void
rec_extract(struct rec *rec, const ldns_pkt *pkt)
{
	const ldns_rr_list *an = ldns_pkt_answer(pkt);
	ldns_rdf *cur = ldns_dname_new_frm_str(rec->name);
	int hops;

	rec->rrs = ldns_rr_list_new();
	if (cur == NULL) {
		rec->chain_broken = 1;
		return;
	}
	for (hops = 0; hops <= MAX_CNAME && rec->type != LDNS_RR_TYPE_CNAME;
	    hops++) {
		ldns_rdf *next = NULL;

		for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
			ldns_rr *rr = ldns_rr_list_rr(an, i);
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME
			    && ldns_rr_rd_count(rr) == 1
			    && ldns_dname_compare(ldns_rr_owner(rr), cur) == 0) {
				next = ldns_rr_rdf(rr, 0);
				break;
			}
		}
		if (next == NULL)
			break;
		ldns_rdf_deep_free(cur);
		cur = ldns_rdf_clone(next);
	}
	if (hops > MAX_CNAME)
		rec->chain_broken = 1;	/* a loop or an absurd chain */
	if (rdf_name(cur, rec->target, sizeof(rec->target)) < 0)
		rec->chain_broken = 1;
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		if ((int)ldns_rr_get_type(rr) == rec->type
		    && ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN
		    && ldns_dname_compare(ldns_rr_owner(rr), cur) == 0)
			ldns_rr_list_push_rr(rec->rrs, ldns_rr_clone(rr));
	}
	ldns_rdf_deep_free(cur);
}

struct dane_answers *
dane_answers_new(void)
{
	return xcalloc(1, sizeof(struct dane_answers));
}

void
dane_answers_add(struct dane_answers *as, const char *qname, int qtype,
    const struct dns_result *r)
{
	struct rec *rec;

	if (as->n == MAX_ANSWERS)
		return;		/* dane_eval() then fails the walk */
	/*
	 * Grown as needed: most walks end after one or a few answers, and
	 * MAX_ANSWERS records (about 140 KB) at once cost every walk an
	 * mmap(), page faults and a munmap().
	 */
	if (as->n == as->cap) {
		as->cap = as->cap == 0 ? 4 : 2 * as->cap;
		as->r = xrealloc(as->r, as->cap * sizeof(*as->r));
	}
	rec = &as->r[as->n];
	memset(rec, 0, sizeof(*rec));
	if (name_norm(qname, rec->name, sizeof(rec->name)) < 0)
		return;
	rec->type = qtype;
	rec->status = r->status;
	rec->ede = -1;
	if (r->status == DNS_OK && r->pkt != NULL) {
		rec->rcode = r->rcode;
		rec->secure = r->secure;
		rec->ttl = r->ttl;
		rec->ede = dns_pkt_ede(r->pkt);
		rec_extract(rec, r->pkt);
	} else if (r->status == DNS_OK) {
		rec->status = DNS_FORMERR;
	}
	as->n++;
}

void
dane_answers_free(struct dane_answers *as)
{
	if (as == NULL)
		return;
	for (size_t i = 0; i < as->n; i++)
		ldns_rr_list_deep_free(as->r[i].rrs);
	free(as->r);
	free(as);
}

static const struct rec *
answers_find(const struct dane_answers *as, const char *name, int type)
{
	for (size_t i = 0; i < as->n; i++)
		if (as->r[i].type == type && strcmp(as->r[i].name, name) == 0)
			return &as->r[i];
	return NULL;
}

/*
 * Classification of one answer.
 */

enum rclass { R_ERR, R_NXDOMAIN, R_NODATA, R_DATA };

static enum rclass
rec_class(const struct rec *r)
{
	if (r->status != DNS_OK || r->chain_broken)
		return R_ERR;
	if (r->rcode == LDNS_RCODE_NXDOMAIN)
		return R_NXDOMAIN;
	if (r->rcode != LDNS_RCODE_NOERROR)
		return R_ERR;
	return ldns_rr_list_rr_count(r->rrs) ? R_DATA : R_NODATA;
}

/*
 * A validating resolver answers SERVFAIL for bogus data, and for
 * unreachable servers alike; only an EDE code can tell them apart.
 * Unknown means bogus: that class never becomes a weaker answer.
 */
static enum dane_errclass
rec_errclass(const struct rec *r)
{
	if (r->chain_broken)
		return DANE_ERR_BOGUS;
	if (r->status != DNS_OK)
		return DANE_ERR_TRANSIENT;
	if (r->rcode == LDNS_RCODE_SERVFAIL)
		return r->ede == EDE_NO_REACHABLE_AUTHORITY
		    || r->ede == EDE_NETWORK_ERROR
		    ? DANE_ERR_TRANSIENT : DANE_ERR_BOGUS;
	return DANE_ERR_TRANSIENT;
}

static const char *
rcode_name(int rcode)
{
	ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes, rcode);

	return lt ? lt->name : "unknown rcode";
}

static const char *
rec_errstr(const struct rec *r, char *buf, size_t len)
{
	if (r->chain_broken)
		snprintf(buf, len, "CNAME chain too long or looping");
	else if (r->status != DNS_OK)
		snprintf(buf, len, "%s", dns_status_name(r->status));
	else if (r->ede >= 0)
		snprintf(buf, len, "%s (extended error %d)", rcode_name(r->rcode),
		    r->ede);
	else
		snprintf(buf, len, "%s%s", rcode_name(r->rcode),
		    r->rcode == LDNS_RCODE_SERVFAIL
		    ? " (DNSSEC failure or resolver trouble)" : "");
	return buf;
}

/*
 * TLSA usability (RFC 7672 section 3): DANE-TA(2) and DANE-EE(3) only,
 * selector Cert(0) or SPKI(1), matching Full(0), SHA2-256(1) or
 * SHA2-512(2) with the digest's length; full data must at least look
 * like one DER SEQUENCE filling the field.
 */
static int
der_sequence_ok(const uint8_t *p, size_t len)
{
	size_t hdr = 2, body;

	if (len < 2 || p[0] != 0x30)
		return 0;
	if (p[1] < 0x80) {
		body = p[1];
	} else {
		size_t nb = p[1] & 0x7f;
		if (nb == 0 || nb > 3 || len < 2 + nb)
			return 0;
		body = 0;
		for (size_t i = 0; i < nb; i++)
			body = body << 8 | p[2 + i];
		hdr += nb;
	}
	return hdr + body == len;
}

static const char *
tlsa_text_int8(const ldns_rdf *rdf, int *out)
{
	if (rdf == NULL || ldns_rdf_size(rdf) != 1)
		return "bad field";
	*out = ldns_rdf2native_int8(rdf);
	return NULL;
}

int
dane_tlsa_usable(const ldns_rr *rr)
{
	int usage, sel, mtype;
	const ldns_rdf *data;
	size_t len;

	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TLSA || ldns_rr_rd_count(rr) != 4)
		return 0;
	if (tlsa_text_int8(ldns_rr_rdf(rr, 0), &usage)
	    || tlsa_text_int8(ldns_rr_rdf(rr, 1), &sel)
	    || tlsa_text_int8(ldns_rr_rdf(rr, 2), &mtype))
		return 0;
	data = ldns_rr_rdf(rr, 3);
	len = data ? ldns_rdf_size(data) : 0;
	if ((usage != 2 && usage != 3) || (sel != 0 && sel != 1))
		return 0;
	switch (mtype) {
	case 0:
		return der_sequence_ok(ldns_rdf_data(data), len);
	case 1:
		return len == 32;
	case 2:
		return len == 64;
	default:
		return 0;
	}
}

/*
 * The walk.
 */

enum host_state {
	H_NEED,		/* answers missing */
	H_SKIP,		/* no address records: unreachable */
	H_ERR,		/* lookup failed with a secure MX RRset */
	H_NONE,		/* no DANE for this host */
	H_UNUSABLE,	/* secure TLSA, none usable */
	H_USABLE	/* at least one usable TLSA record */
};

struct walk {
	const struct dane_answers *as;
	struct dane_need *need;
	size_t maxneed, nneed;
	int overflow;
	uint32_t ttl;
	enum dane_errclass err;
	char why[200];
	int last_usable;		/* usable TLSA of the last host */
};

static void
want(struct walk *w, const char *name, int type)
{
	for (size_t i = 0; i < w->nneed; i++)
		if (w->need[i].type == type && strcmp(w->need[i].name, name) == 0)
			return;
	if (w->nneed == w->maxneed) {
		w->overflow = 1;
		return;
	}
	snprintf(w->need[w->nneed].name, sizeof(w->need[0].name), "%s", name);
	w->need[w->nneed++].type = type;
}

/* The answer for (name, type), noting its TTL; NULL and a need if absent. */
static const struct rec *
use(struct walk *w, const char *name, int type)
{
	const struct rec *r = answers_find(w->as, name, type);

	if (r == NULL) {
		want(w, name, type);
		return NULL;
	}
	if (rec_class(r) != R_ERR && r->ttl < w->ttl)
		w->ttl = r->ttl;
	return r;
}

static void
note_err(struct walk *w, const struct rec *r, const char *what,
    const char *name)
{
	char buf[80];

	if (w->err == DANE_ERR_NONE || rec_errclass(r) == DANE_ERR_BOGUS) {
		if (w->err != DANE_ERR_BOGUS)
			snprintf(w->why, sizeof(w->why), "%s lookup for %s failed: %s",
			    what, name, rec_errstr(r, buf, sizeof(buf)));
		if (w->err != DANE_ERR_BOGUS)
			w->err = rec_errclass(r);
	}
}

/*
 * TLSA for one name: 1 found secure records (*usable set), 0 nothing
 * usable here (secure denial or insecure), -1 error, 2 need.
 */
static int
tlsa_at(struct walk *w, const char *base, int port, int *usable)
{
	char name[DNS_NAME_MAX + 16];
	const struct rec *r;

	if ((size_t)snprintf(name, sizeof(name), "_%d._tcp.%s", port, base)
	    >= DNS_NAME_MAX - 1)
		return 0;		/* no such name can exist */
	if ((r = use(w, name, LDNS_RR_TYPE_TLSA)) == NULL)
		return 2;
	switch (rec_class(r)) {
	case R_ERR:
		note_err(w, r, "TLSA", name);
		return -1;
	case R_DATA:
		if (!r->secure)
			return 0;	/* insecure TLSA is no TLSA */
		*usable = 0;
		for (size_t i = 0; i < ldns_rr_list_rr_count(r->rrs); i++)
			*usable += dane_tlsa_usable(ldns_rr_list_rr(r->rrs, i));
		return 1;
	default:
		return 0;
	}
}

/* A host's state from what tlsa_at() found at its TLSA base name. */
static enum host_state
tlsa_state(struct walk *w, int st, int usable, int mx_secure)
{
	switch (st) {
	case 2:
		return H_NEED;
	case -1:
		return mx_secure ? H_ERR : H_NONE;
	case 1:
		w->last_usable = usable;
		return usable ? H_USABLE : H_UNUSABLE;
	}
	return H_NONE;
}

/*
 * A host whose address records are insecure has no DANE, unless its
 * name is an alias whose own CNAME record is secure: the chain then ends
 * in an unsigned zone, and only the TLSA records at the original name
 * apply (RFC 7672 2.2.3).  A CNAME query tells the alias's own status,
 * as Postfix's qname_secure() asks it.
 */
static enum host_state
insecure_host(struct walk *w, const struct rec *data, const char *host,
    int port, int mx_secure)
{
	const struct rec *c;
	int usable = 0, st;

	if (strcmp(data->target, data->name) == 0)
		return H_NONE;	/* no alias: no TLSA lookup for insecure hosts */
	if ((c = use(w, host, LDNS_RR_TYPE_CNAME)) == NULL)
		return H_NEED;
	switch (rec_class(c)) {
	case R_ERR:
		note_err(w, c, "CNAME", host);
		return mx_secure ? H_ERR : H_NONE;
	case R_DATA:
		if (!c->secure)
			return H_NONE;
		st = tlsa_at(w, host, port, &usable);
		return tlsa_state(w, st, usable, mx_secure);
	default:
		/* The address answer had an alias, this one has none. */
		if (w->err == DANE_ERR_NONE) {
			w->err = DANE_ERR_TRANSIENT;
			snprintf(w->why, sizeof(w->why), "CNAME lookup for %s: "
			    "no longer a CNAME", host);
		}
		return mx_secure ? H_ERR : H_NONE;
	}
}

static enum host_state
host_eval(struct walk *w, const char *host, int port, int mx_secure)
{
	const struct rec *a = use(w, host, LDNS_RR_TYPE_A);
	const struct rec *aaaa = use(w, host, LDNS_RR_TYPE_AAAA);
	const struct rec *data;
	enum rclass ca, c6;
	int usable = 0, st;

	w->last_usable = 0;
	if (a == NULL || aaaa == NULL)
		return H_NEED;
	ca = rec_class(a);
	c6 = rec_class(aaaa);
	if (ca == R_ERR || c6 == R_ERR) {
		/* With an insecure MX RRset the host is just "no DANE". */
		if (!mx_secure)
			return H_NONE;
		note_err(w, ca == R_ERR ? a : aaaa, "address", host);
		return H_ERR;
	}
	if (ca != R_DATA && c6 != R_DATA)
		return H_SKIP;
	data = ca == R_DATA ? a : aaaa;
	if ((ca == R_DATA && !a->secure) || (c6 == R_DATA && !aaaa->secure))
		return insecure_host(w, data, host, port, mx_secure);
	/* CNAME-expanded name first, then the original (RFC 7672 2.2.3). */
	if (strcmp(data->target, data->name) != 0) {
		st = tlsa_at(w, data->target, port, &usable);
		if (st != 0)
			return tlsa_state(w, st, usable, mx_secure);
	}
	st = tlsa_at(w, host, port, &usable);
	return tlsa_state(w, st, usable, mx_secure);
}

struct mxhost {
	int pref;
	char name[DNS_NAME_MAX];
};

static int
mx_cmp(const void *a, const void *b)
{
	return ((const struct mxhost *)a)->pref - ((const struct mxhost *)b)->pref;
}

/* MX exchanges by preference, without duplicates; -1 for a null MX. */
static int
mx_hosts(const struct rec *r, struct mxhost *out, size_t max, int *truncated)
{
	size_t n = 0, cnt = ldns_rr_list_rr_count(r->rrs);
	struct mxhost *all = xcalloc(cnt ? cnt : 1, sizeof(*all));
	size_t nall = 0;

	for (size_t i = 0; i < cnt; i++) {
		ldns_rr *rr = ldns_rr_list_rr(r->rrs, i);
		ldns_rdf *ex = ldns_rr_mx_exchange(rr), *pref = ldns_rr_mx_preference(rr);

		if (ex == NULL || pref == NULL || ldns_rdf_size(pref) != 2)
			continue;
		if (ldns_dname_label_count(ex) == 0) {
			if (cnt == 1) {
				free(all);
				return -1;	/* RFC 7505 null MX */
			}
			continue;
		}
		/* A name we cannot even print is one Postfix skips too. */
		if (rdf_name(ex, all[nall].name, sizeof(all[nall].name)) < 0)
			continue;
		all[nall].pref = ldns_rdf2native_int16(pref);
		nall++;
	}
	qsort(all, nall, sizeof(*all), mx_cmp);
	*truncated = 0;
	for (size_t i = 0; i < nall; i++) {
		int dup = 0;
		for (size_t j = 0; j < n; j++)
			dup |= strcmp(out[j].name, all[i].name) == 0;
		if (dup)
			continue;
		if (n == max) {
			*truncated = 1;
			break;
		}
		out[n++] = all[i];
	}
	free(all);
	return (int)n;
}

static uint32_t
clamp_ttl(uint32_t ttl)
{
	return ttl < DANE_MIN_TTL ? DANE_MIN_TTL
	    : ttl > DANE_MAX_TTL ? DANE_MAX_TTL : ttl;
}

static int
result(struct dane_result *res, enum dane_status st, uint32_t ttl,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
result(struct dane_result *res, enum dane_status st, uint32_t ttl,
    const char *fmt, ...)
{
	va_list ap;

	res->status = st;
	res->ttl = st == DANE_ERROR ? DANE_TEMP_TTL : clamp_ttl(ttl);
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
	return 1;
}

static int
walk_error(struct walk *w, struct dane_result *res)
{
	res->err = w->err;
	return result(res, DANE_ERROR, 0, "%s", w->why);
}

/*
 * The rules (dane-smtp digest section 5):
 *  - MX lookup failed: error.  NXDOMAIN, null MX: no DANE.  NODATA:
 *    the domain is its own (implicit) MX, secure as the NODATA answer.
 *  - Per host: A and AAAA; failure is an error with a secure MX RRset
 *    and "no DANE" otherwise; no address at all: unreachable, left
 *    out; insecure address records: no DANE, unless the host is an
 *    alias whose own CNAME record is secure: then TLSA at the original
 *    name only.  Secure ones: TLSA at the CNAME-expanded name, then at
 *    the original name.  TLSA as in tlsa_at().
 *  - Every reachable host usable and MX secure: dane-only.  Some host
 *    with secure TLSA (usable or not, MX secure or not): dane.  Else
 *    no DANE.  When hosts were cut at DANE_MAX_HOSTS, never dane-only.
 *    A dane result does not outrank an MTA-STS enforce policy: the
 *    engine decides that (engine_decide_dane()).
 */
int
dane_eval(const struct dane_target *t, const struct dane_answers *as,
    struct dane_result *res, struct dane_need *need, size_t maxneed,
    size_t *nneed)
{
	struct walk w;
	struct mxhost hosts[DANE_MAX_HOSTS];
	int nhosts = 1, truncated = 0, mx_secure = 1;
	int nreach = 0, nusable = 0, ntlsa = 0, needed = 0, nerr = 0;
	const char *example = NULL;

	memset(res, 0, sizeof(*res));
	memset(&w, 0, sizeof(w));
	w.as = as;
	w.need = need;
	w.maxneed = maxneed;
	w.ttl = UINT32_MAX;
	*nneed = 0;
	memset(hosts, 0, sizeof(hosts));
	if (name_norm(t->host, hosts[0].name, sizeof(hosts[0].name)) < 0)
		return result(res, DANE_NOINFO, 0, "name too long");
	if (t->mx) {
		const struct rec *r = use(&w, hosts[0].name, LDNS_RR_TYPE_MX);

		if (r == NULL)
			goto need;
		switch (rec_class(r)) {
		case R_ERR:
			note_err(&w, r, "MX", hosts[0].name);
			return walk_error(&w, res);
		case R_NXDOMAIN:
			return result(res, DANE_NOINFO, w.ttl, "domain does not exist");
		case R_NODATA:
			break;		/* implicit MX: hosts[0] */
		case R_DATA:
			if ((nhosts = mx_hosts(r, hosts, DANE_MAX_HOSTS,
			    &truncated)) < 0)
				return result(res, DANE_NOINFO, w.ttl,
				    "null MX: domain accepts no mail");
			if (nhosts == 0) {
				w.err = DANE_ERR_BOGUS;
				snprintf(w.why, sizeof(w.why), "malformed MX RRset");
				return walk_error(&w, res);
			}
			break;
		}
		mx_secure = r->secure;
	}
	for (int i = 0; i < nhosts; i++) {
		switch (host_eval(&w, hosts[i].name, t->port, mx_secure)) {
		case H_NEED:
			needed = 1;
			break;
		case H_SKIP:
			break;
		case H_ERR:
			nerr++;
			break;
		case H_NONE:
			nreach++;
			break;
		case H_UNUSABLE:
			nreach++;
			ntlsa++;
			example = example ? example : hosts[i].name;
			break;
		case H_USABLE:
			nreach++;
			ntlsa++;
			nusable++;
			example = example ? example : hosts[i].name;
			break;
		}
	}
	if (nerr > 0)		/* no need to wait for the rest */
		return walk_error(&w, res);
	if (needed)
		goto need;
	if (nreach == 0)
		return result(res, DANE_NOINFO, w.ttl, "no MX host has addresses");
	if (ntlsa == 0)
		return result(res, DANE_NOINFO, w.ttl,
		    "no secure TLSA records (MX %s)", mx_secure ? "secure" : "insecure");
	if (mx_secure && nusable == nreach && !truncated)
		return result(res, DANE_DANE_ONLY, w.ttl,
		    "all %d MX hosts have usable TLSA records", nreach);
	return result(res, DANE_DANE, w.ttl, "%d of %d MX hosts (%s first) have "
	    "secure TLSA records, %d usable; MX %s%s", ntlsa, nreach, example,
	    nusable, mx_secure ? "secure" : "insecure",
	    truncated ? "; more hosts than examined" : "");
need:
	if (w.overflow || as->n >= MAX_ANSWERS) {
		w.err = DANE_ERR_BOGUS;
		snprintf(w.why, sizeof(w.why), "too many lookups");
		return walk_error(&w, res);
	}
	*nneed = w.nneed;
	return 0;
}

const char *
dane_status_name(enum dane_status st)
{
	switch (st) {
	case DANE_NOINFO:
		return "no-dane";
	case DANE_DANE:
		return "dane";
	case DANE_DANE_ONLY:
		return "dane-only";
	case DANE_ERROR:
		return "error";
	}
	return "?";
}

const char *
dane_hstate_name(enum dane_hstate st)
{
	switch (st) {
	case DANE_H_PENDING: return "pending";
	case DANE_H_NOADDR: return "no-address";
	case DANE_H_ERROR: return "error";
	case DANE_H_NONE: return "no-dane";
	case DANE_H_UNUSABLE: return "tlsa-unusable";
	case DANE_H_USABLE: return "tlsa-usable";
	}
	return "?";
}

const char *
dane_mx_kind_name(enum dane_mx_kind k)
{
	switch (k) {
	case DANE_MX_UNKNOWN: return "unknown";
	case DANE_MX_LIST: return "mx";
	case DANE_MX_IMPLICIT: return "implicit";
	case DANE_MX_NULL: return "null-mx";
	case DANE_MX_NXDOMAIN: return "nxdomain";
	case DANE_MX_HOST: return "host";
	}
	return "?";
}

static enum dane_hstate
hstate_of(enum host_state hs)
{
	switch (hs) {
	case H_NEED: return DANE_H_PENDING;
	case H_SKIP: return DANE_H_NOADDR;
	case H_ERR: return DANE_H_ERROR;
	case H_NONE: return DANE_H_NONE;
	case H_UNUSABLE: return DANE_H_UNUSABLE;
	case H_USABLE: return DANE_H_USABLE;
	}
	return DANE_H_PENDING;
}

/* Host name without the final dot. */
static char *
bare_name(const char *name)
{
	size_t n = strlen(name);

	return xstrndup(name, n > 0 && name[n - 1] == '.' ? n - 1 : n);
}

/*
 * The same walk as dane_eval(), read back for what it saw; nothing is
 * decided here, so missing answers are only marked.
 */
struct dane_mx *
dane_mx_eval(const struct dane_target *t, const struct dane_answers *as)
{
	struct dane_mx *m = xcalloc(1, sizeof(*m));
	struct mxhost hosts[DANE_MAX_HOSTS];
	struct walk w;
	int nhosts = 1;

	memset(&w, 0, sizeof(w));
	memset(hosts, 0, sizeof(hosts));
	w.as = as;
	w.ttl = UINT32_MAX;
	m->kind = DANE_MX_UNKNOWN;	/* and not secure, until known */
	if (name_norm(t->host, hosts[0].name, sizeof(hosts[0].name)) < 0)
		return m;
	if (!t->mx) {
		m->kind = DANE_MX_HOST;
		m->secure = 1;		/* a [host] is a secure MX of itself */
	} else {
		const struct rec *r = answers_find(as, hosts[0].name, LDNS_RR_TYPE_MX);

		if (r == NULL)
			return m;
		/* What the answer says, whatever it is: a failure is not secure. */
		m->secure = rec_class(r) != R_ERR && r->secure;
		switch (rec_class(r)) {
		case R_ERR:
			return m;
		case R_NXDOMAIN:
			m->kind = DANE_MX_NXDOMAIN;
			return m;
		case R_NODATA:
			m->kind = DANE_MX_IMPLICIT;
			break;
		case R_DATA:
			if ((nhosts = mx_hosts(r, hosts, DANE_MAX_HOSTS,
			    &m->truncated)) < 0) {
				m->kind = DANE_MX_NULL;
				return m;
			}
			if (nhosts == 0)
				return m;
			m->kind = DANE_MX_LIST;
			break;
		}
	}
	m->h = xcalloc((size_t)nhosts, sizeof(*m->h));
	for (int i = 0; i < nhosts; i++) {
		enum host_state hs = host_eval(&w, hosts[i].name, t->port, m->secure);

		m->h[i].pref = hosts[i].pref;
		m->h[i].name = bare_name(hosts[i].name);
		m->h[i].state = hstate_of(hs);
		m->h[i].usable = w.last_usable;
		m->n++;
	}
	return m;
}

void
dane_mx_free(struct dane_mx *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->h[i].name);
	free(m->h);
	free(m);
}

int
dane_target(const struct key *k, struct dane_target *t, const char **why)
{
	size_t n;

	memset(t, 0, sizeof(*t));
	if (k->ip_literal) {
		*why = "IP address next-hop: no TLSA base name";
		return -1;
	}
	t->port = 25;
	if (k->port[0] != '\0') {
		if (strcmp(k->port, "smtp") == 0)
			t->port = 25;
		else if (strcmp(k->port, "submission") == 0)
			t->port = 587;
		else if (strcmp(k->port, "submissions") == 0
		    || strcmp(k->port, "smtps") == 0)
			t->port = 465;
		else if ((t->port = (int)parse_long(k->port, 1, 65535)) <= 0) {
			*why = "unknown service name";
			return -1;
		}
	}
	t->mx = !k->bracketed;
	/* k->host fits (DOMAIN_MAX); copied without snprintf (hot path). */
	n = strlen(k->host);
	if (n >= sizeof(t->host))
		n = sizeof(t->host) - 1;
	memcpy(t->host, k->host, n);
	t->host[n] = '\0';
	str_lower(t->host);
	return 0;
}
