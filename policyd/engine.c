/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dane.h"
#include "sts.h"
#include "dns.h"
#include "domain.h"
#include "engine.h"
#include "log.h"
#include "tlspolicy.h"
#include "util.h"

struct engine {
	struct loop *loop;
	const struct config *cf;
	struct overrides *overrides;
	struct engine_stats stats;
	struct dns *dns;
	struct dane *dane;
	struct dns_port dnsp;		/* lookup NULL: none (MX lookups) */
	/* TLSRPT: the DANE driver's DNSSEC failures (engine_set_report()) */
	void (*report)(void *, const char *, const char *, const char *);
	void *report_arg;
	struct sts *sts;
	struct engine_policy pol;
	char *default_policy;		/* normalised; NULL: NOTFOUND */
	struct equery *spare;		/* finished queries kept for reuse */
	size_t nspare;
};

#define MAX_SPARE	64	/* queries kept for reuse */

static void spare_free(struct engine *e);


struct engine *
engine_new(struct loop *l, const struct config *cf)
{
	struct engine *e = xcalloc(1, sizeof(*e));

	e->loop = l;
	e->cf = cf;
	e->overrides = overrides_empty();
	engine_policy_from(&e->pol, cf);
	engine_set_default(e, config_get(cf, "default_policy"));
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
	pol->first_fetch_wait_ms = config_time(cf, "sts_first_fetch_wait") * 1000;
	pol->enforce_testing = config_bool(cf, "sts_enforce_testing");
	pol->testing_report = config_bool(cf, "sts_testing_report");
}

int
engine_set_default(struct engine *e, const char *value)
{
	char norm[4096];
	const char *why;

	if (value == NULL || *value == '\0') {
		free(e->default_policy);
		e->default_policy = NULL;
		return 0;
	}
	/* The parameter check refuses bad values; this is the last guard. */
	if (tlspolicy_check(value, norm, sizeof(norm), &why) < 0) {
		log_err("default_policy \"%s\" ignored: %s", value, why);
		return -1;
	}
	free(e->default_policy);
	e->default_policy = xstrdup(norm);
	return 0;
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

int
engine_dane_stats(const struct engine *e, unsigned long *queries,
    unsigned long *hits, size_t *cached)
{
	if (e->dane == NULL)
		return -1;
	dane_stats(e->dane, queries, hits, cached);
	return 0;
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
engine_set_report(struct engine *e, void (*fn)(void *arg,
    const char *domain, const char *result_type, const char *detail),
    void *arg)
{
	e->report = fn;
	e->report_arg = arg;
}

void
engine_set_dns_port(struct engine *e, const struct dns_port *p)
{
	struct dane_config dc;

	dane_free(e->dane);
	e->dane = NULL;
	memset(&e->dnsp, 0, sizeof(e->dnsp));
	if (p == NULL)
		return;
	e->dnsp = *p;
	dc.query_timeout_ms = config_time(e->cf, "query_timeout") * 1000;
	dc.stale_max = config_time(e->cf, "dns_stale_max");
	dc.cache_size = (size_t)config_long(e->cf, "dns_cache_size");
	dc.report = e->report;
	dc.report_arg = e->report_arg;
	e->dane = dane_new(e->loop, p, &dc);
}

void
engine_set_dns(struct engine *e, struct dns *d)
{
	struct dns_port p;

	engine_set_dns_port(e, NULL);
	dns_free(e->dns);
	e->dns = d;
	if (d == NULL)
		return;
	dns_port_of(d, &p);
	engine_set_dns_port(e, &p);
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
	free(e->default_policy);
	spare_free(e);
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

/* Does fmt use only %s, %d, %zu and %%, which reason_fmt() knows? */
static int
reason_fmt_simple(const char *fmt)
{
	for (const char *f = fmt; (f = strchr(f, '%')) != NULL; f += 2) {
		if (f[1] == 'z' && f[2] == 'u')
			f++;
		else if (f[1] != 's' && f[1] != 'd' && f[1] != '%')
			return 0;
	}
	return 1;
}

/* v in decimal at out (room for 21 bytes), no NUL; returns its length. */
static size_t
put_decimal(char *out, unsigned long long v, int negative)
{
	char tmp[24];
	size_t n = 0, i = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	if (negative)
		out[i++] = '-';
	while (n > 0)
		out[i++] = tmp[--n];
	return i;
}

/* Append s to out[*n], truncating as vsnprintf does (cap > 0). */
static void
reason_put(char *out, size_t cap, size_t *n, const char *s, size_t len)
{
	if (*n + 1 >= cap)
		return;
	if (len > cap - 1 - *n)
		len = cap - 1 - *n;
	memcpy(out + *n, s, len);
	*n += len;
}

/*
 * The reason text of an answer.  vsnprintf cost about 1,100 instructions
 * per answer, a quarter of a cache hit outside the kernel; the reasons'
 * formats use only %s, %d and %zu, done here, and anything else still
 * goes to vsnprintf.
 */
static void
reason_fmt(char *out, size_t cap, const char *fmt, va_list ap)
{
	size_t n = 0;
	char num[24];
	const char *f, *pct;

	if (!reason_fmt_simple(fmt)) {
		vsnprintf(out, cap, fmt, ap);
		return;
	}
	for (f = fmt; (pct = strchr(f, '%')) != NULL; f = pct + 1) {
		const char *s;

		reason_put(out, cap, &n, f, (size_t)(pct - f));
		pct++;
		if (*pct == '%') {
			reason_put(out, cap, &n, "%", 1);
		} else if (*pct == 's') {
			s = va_arg(ap, const char *);
			if (s == NULL)
				s = "(null)";
			reason_put(out, cap, &n, s, strlen(s));
		} else if (*pct == 'd') {
			int v = va_arg(ap, int);
			unsigned long long m = v < 0 ? 0ULL - (unsigned long long)v
			    : (unsigned long long)v;
			reason_put(out, cap, &n, num, put_decimal(num, m, v < 0));
		} else {	/* "zu" */
			pct++;
			reason_put(out, cap, &n, num,
			    put_decimal(num, va_arg(ap, size_t), 0));
		}
	}
	reason_put(out, cap, &n, f, strlen(f));
	out[n] = '\0';
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
	/* TEMP is logged at notice too (log_answer()): it keeps its reason. */
	if (a->quiet && st != SM_TEMP && st != SM_TIMEOUT) {
		a->reason[0] = '\0';	/* the reason was half of this function */
		return;
	}
	va_start(ap, fmt);
	reason_fmt(a->reason, sizeof(a->reason), fmt, ap);
	va_end(ap);
}

void
answer_clear(struct answer *a)
{
	if (a->text && a->text != a->inline_text)
		free(a->text);
	a->text = NULL;
}

const struct engine_stats *
engine_stats(const struct engine *e)
{
	return &e->stats;
}

const char *const engine_source_names[ANS_SOURCES] = {
	"override", "dane", "mta-sts", "mx-rule", "default", "error", "none"
};
const char *const engine_result_names[ANS_RESULTS] = {
	"ok", "notfound", "temp", "perm"
};

unsigned long
engine_answers(const struct engine_stats *st, int source, int result)
{
	unsigned long n = 0;

	for (int s = 0; s < ANS_SOURCES; s++)
		for (int r = 0; r < ANS_RESULTS; r++)
			if ((source < 0 || s == source) && (result < 0 || r == result))
				n += st->answers[s][r];
	return n;
}

static void
count_answer(struct engine_stats *st, const struct answer *a)
{
	int s = 0, r = a->status == SM_OK ? ANS_OK : a->status == SM_NOTFOUND
	    ? ANS_NOTFOUND : a->status == SM_PERM ? ANS_PERM : ANS_TEMP;

	while (s < ANS_NONE && strcmp(a->source, engine_source_names[s]) != 0)
		s++;
	st->queries++;
	st->answers[s][r]++;
}

/*
 * One line per answer at info; a TEMP (or TIMEOUT) answer, which makes
 * Postfix defer mail, at notice, so that log_level = notice still shows
 * it (see tlspolicyd.conf(5), log_level).
 */
static void
log_answer(const char *key, const struct answer *a)
{
	int level = a->status == SM_TEMP || a->status == SM_TIMEOUT
	    ? LOG_LVL_NOTICE : LOG_LVL_INFO;
	char safe[300];

	if (!LOG_ENABLED(level))
		return;
	log_safe(key, strlen(key), safe, sizeof(safe));
	if (a->status == SM_OK)
		log_msg(level, "key=%s answer=\"%s\" source=%s reason=\"%s\"",
		    safe, a->text, a->source, a->reason);
	else
		log_msg(level, "key=%s answer=%s source=%s reason=\"%s\"",
		    safe, sockmap_status_name(a->status), a->source, a->reason);
}

/* Is an MTA-STS policy cached for this domain?  From the cache, at once. */
static int
sts_cached(struct engine *e, const struct key *k)
{
	return e->sts != NULL && k->kind == KEY_DOMAIN && sts_cached_policy(e->sts, k->host);
}

/* A dane-only answer is final; a dane answer yields to MTA-STS enforce. */
static enum verdict
dane_answer(struct answer *ans, enum dane_status st, const char *why,
    const char *how)
{
	answer_set(ans, SM_OK, "dane", st == DANE_DANE_ONLY ? "dane-only"
	    : "dane", "%s%s", how, why);
	return st == DANE_DANE_ONLY ? V_ANSWER : V_DANE_WEAK;
}

/*
 * The one place where a DANE lookup result becomes an answer, and so the
 * one place that may answer less than the strongest policy.
 *
 *  DANE result   error class  dns_error_action  MTA-STS cached  answer
 *  -----------   -----------  ----------------  --------------  ------
 *  dane-only     -            -                 -               OK dane-only
 *  dane          -            -                 -               MTA-STS enforce
 *                                                               policy, else OK dane
 *  no DANE       -            -                 -               next source
 *                                                               (MTA-STS, NOTFOUND)
 *  error         bogus        any               any             TEMP
 *  error         transient    temp              any             TEMP
 *  error         transient    dane              no              OK dane
 *  error         transient    dane              yes             TEMP
 *  error         transient    stale, last good  any             last good result
 *                             result expired                    (dane-only, dane as
 *                             at most                           above, or next source)
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
 *
 *  Only dane-only outranks MTA-STS (RFC 8461 section 2: validated DANE):
 *  every MX host has usable TLSA and the MX RRset is secure.  A dane
 *  result (MX RRset insecure, or some host without usable TLSA) leaves
 *  the hosts without TLSA at opportunistic TLS, and an insecure MX RRset
 *  can be forged to point at one: weaker than an MTA-STS enforce policy.
 *  So it comes back as V_DANE_WEAK, *ans holding the dane answer, and
 *  engine_decide_sts() lets an enforce policy replace it.  Without one
 *  (none, testing mode, first contact still fetching) dane stands.
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
 * The MTA-STS result becomes an answer: an enforce policy always, also
 * over a dane answer held back by engine_decide_dane() (dane_held); else
 * the held dane answer stands, and without one the next source is asked.
 */
enum verdict
engine_decide_sts(struct sts_result *res, int dane_held, struct answer *ans)
{
	char held[sizeof(ans->reason)];

	if (res->status != STS_ENFORCE)
		return dane_held ? V_ANSWER : V_NOINFO;
	if (dane_held && !ans->quiet) {
		snprintf(held, sizeof(held), "%s", ans->reason);
		answer_set(ans, SM_OK, "mta-sts", res->value,
		    "%s; outranks DANE's dane: %s", sts_reason(res), held);
	} else {
		answer_set(ans, SM_OK, "mta-sts", res->value, "%s",
		    ans->quiet ? "" : sts_reason(res));
	}
	return V_ANSWER;
}

/*
 * No source with information answered: an MX rule, then default_policy
 * (never for parent probes, which Postfix sends only after a NOTFOUND and
 * which a default would stop), then NOTFOUND.
 */
static enum decision
decide_rest(const struct facts *f, struct answer *ans, const char *dane_why,
    const char *sts_why)
{
	const struct override *ov = f->mx_rule;

	if (ov != NULL && !ov->report_only) {
		answer_set(ans, SM_OK, "mx-rule", ov->value,
		    "MX rule %s at line %d: all %zu MX hosts match", ov->key,
		    ov->lineno, f->nmx);
		return DECIDE_ANSWER;
	}
	if (f->default_policy != NULL && f->kind != KEY_PARENT) {
		answer_set(ans, SM_OK, "default", f->default_policy,
		    "default_policy: no policy information%s%s%s%s",
		    dane_why[0] ? "; no DANE: " : "", dane_why,
		    sts_why[0] ? "; " : "", sts_why);
		return DECIDE_ANSWER;
	}
	if (f->kind == KEY_PARENT) {
		answer_set(ans, SM_NOTFOUND, "none", NULL,
		    "parent-domain probe without a .domain override");
		return DECIDE_ANSWER;
	}
	if (f->sts == FACT_KNOWN && f->sr.value_report != NULL
	    && f->pol->testing_report) {
		answer_set(ans, SM_OK, "mta-sts", f->sr.value_report,
		    "%s; reported (sts_testing_report)", sts_why);
		return DECIDE_ANSWER;
	}
	answer_set(ans, SM_NOTFOUND, "none", NULL, "no policy information%s%s%s%s",
	    dane_why[0] ? "; no DANE: " : "", dane_why,
	    sts_why[0] ? "; " : "", sts_why);
	return DECIDE_ANSWER;
}

/*
 * What the MTA-STS result means here: a testing-mode policy is enforced
 * only with sts_enforce_testing; a first contact waits for its fetch up
 * to sts_first_fetch_wait, then has no policy.  Rewrites f->sr.status
 * to STS_ENFORCE or STS_NOINFO (so deciding again gives the same), or
 * returns DECIDE_WAIT_STS.
 */
static enum decision
sts_apply(struct facts *f)
{
	if (f->sr.status == STS_TESTING)
		f->sr.status = f->pol->enforce_testing ? STS_ENFORCE : STS_NOINFO;
	if (f->sr.status == STS_PENDING) {
		if (f->sts_waited_ms < f->pol->first_fetch_wait_ms)
			return DECIDE_WAIT_STS;
		f->sr.status = STS_NOINFO;
	}
	return DECIDE_ANSWER;
}

/*
 * Postfix before 3.10 (the plain map name) cannot skip MX hosts that
 * match none of an enforce policy's mx patterns (RFC 8461 4.1): when
 * none of them matches, TEMP, and the mail waits.  1 when that answers.
 */
static int
mx_mismatch(struct facts *f, struct answer *ans)
{
	if (f->mx != FACT_KNOWN || f->mx_hosts == 0 || f->mx_matching > 0)
		return 0;
	answer_set(ans, SM_TEMP, "mta-sts", "MTA-STS: no MX host matches the "
	    "policy", "%s; none of the %zu MX hosts matches its mx patterns "
	    "(RFC 8461 section 4.1): mail waits", ans->quiet ? ""
	    : sts_reason(&f->sr), f->mx_hosts);
	return 1;
}

/*
 * NAME
 *	engine_decide - the answer for a key, from the facts collected
 *
 * SYNOPSIS
 *	enum decision engine_decide(struct facts *f, struct answer *ans);
 *
 * DESCRIPTION
 *	The one function that says why a key gets its answer.  It reads
 *	only *f (and formats reasons: sts_reason() keeps its text in
 *	f->sr, and sts_apply() rewrites f->sr.status to what applies) and
 *	writes only *ans.  When a fact it needs is still FACT_UNKNOWN it
 *	returns DECIDE_ASK_DANE, DECIDE_ASK_STS, DECIDE_ASK_MX or
 *	DECIDE_ASK_REST (DECIDE_WAIT_STS while a first contact may wait
 *	for its fetch) instead of an answer: the engine collects that fact
 *	(asynchronously for DANE and MTA-STS) and calls it again.  So a
 *	source is asked only when no stronger one has answered.
 *
 *	Rows are tried top to bottom; the first that matches answers.
 *
 *	override          kind    DANE (1)       MTA-STS (2)     rest (3)       answer
 *	--------          ----    --------       -----------     --------       ------
 *	applied           any     -              -               -              OK override value
 *	none/report-only  parent  -              -               .domain only   NOTFOUND (4)
 *	none/report-only  other   dane-only      -               -              OK dane-only
 *	                          dane           enforce         -              OK MTA-STS policy
 *	                          dane or        first contact,  -              wait for the fetch,
 *	                          no DANE        waited less                    decide again
 *	                                         than sts_first_
 *	                                         fetch_wait
 *	                          dane or        enforce (7),    -              TEMP (8)
 *	                          no DANE        plain map, no
 *	                                         MX host matches
 *	                          dane           enforce (7)     -              OK MTA-STS policy
 *	                          dane           none, testing,  -              OK dane
 *	                                         first contact,
 *	                                         unknown, n/a
 *	                          error (5)      -               -              TEMP / OK dane
 *	                          no DANE        enforce (7)     -              OK MTA-STS policy
 *	                          no DANE        unknown (6)     -              TEMP
 *	                          no DANE        none, testing,  MX rule        OK MX rule value
 *	                                         first contact,
 *	                                         n/a
 *	                          no DANE        (same)          default        OK default_policy
 *	                          no DANE        testing, TLSRPT nothing        OK may form (9)
 *	                                         map, sts_testing_
 *	                                         report
 *	                          no DANE        (same)          nothing        NOTFOUND
 *
 *	(1) engine_decide_dane(): dane-only is a secure MX RRset with usable
 *	    TLSA at every host, dane anything weaker; "no DANE" includes DANE
 *	    disabled, keys DANE cannot apply to, and a stale "no DANE".
 *	(2) From what sts_query() reports (sts.h), applied by sts_apply():
 *	    enforce is an unexpired policy in mode enforce, or testing with
 *	    sts_enforce_testing; testing without it and none are "no
 *	    policy"; a first contact (nothing cached, the first fetch
 *	    running) waits through sts_wait() until sts_first_fetch_wait has
 *	    passed in all, then is "no policy" too; unknown is an unreadable
 *	    policy store; n/a is MTA-STS disabled or a key that is not a
 *	    domain.
 *	(3) An MX rule applies when every MX host of the DANE walk matches
 *	    it; default_policy never for parent probes.  A report-only
 *	    override or MX rule is not applied here: the engine logs what it
 *	    would have answered.
 *	(4) Postfix walks up the parents after a NOTFOUND; a default would
 *	    stop it.
 *	(5) The dns_error_action table (engine_decide_dane() below): bogus
 *	    is TEMP; transient errors by dns_error_action: temp is TEMP, dane
 *	    is OK dane unless an MTA-STS policy is cached (then TEMP), stale
 *	    is the last good result (dane-only, dane, or no DANE as above)
 *	    when one expired at most dns_stale_max ago, else
 *	    dns_stale_fallback (temp or dane).
 *	(6) A cached enforce policy may be in the store: never NOTFOUND.
 *	(7) On the plain map name (Postfix before 3.10) an enforce answer
 *	    first needs the MX hosts (DECIDE_ASK_MX: the DANE walk's MX
 *	    answer, else an MX lookup) matched against the policy's mx
 *	    patterns; a failed lookup or no MX hosts leaves the answer as
 *	    without the check.  The TLSRPT map name skips it: Postfix 3.10
 *	    skips non-matching MX hosts itself (mx_host_pattern).
 *	(8) RFC 8461 4.1: mail to MX hosts that match no pattern must not
 *	    be delivered; TEMP makes it wait (it is tried again, and an MX
 *	    change is seen).  Some hosts matching: the policy value, whose
 *	    match= Postfix checks on every host; the non-matching hosts'
 *	    certificates may still verify (the gap 3.10 closes).
 *	(9) "may servername=hostname" with the TLSRPT attributes, so that
 *	    Postfix 3.10 reports the testing-mode policy (no match=: may
 *	    refuses it); only where the answer would be NOTFOUND.
 */
enum decision
engine_decide(struct facts *f, struct answer *ans)
{
	enum verdict v = V_NOINFO;
	const char *dane_why = "", *sts_why = "";

	if (f->override != NULL && !f->override->report_only) {
		answer_set(ans, SM_OK, "override", f->override->value,
		    "override %s at line %d", f->override->key,
		    f->override->lineno);
		return DECIDE_ANSWER;
	}
	if (f->kind != KEY_PARENT) {
		if (f->dane == FACT_UNKNOWN)
			return DECIDE_ASK_DANE;
		if (f->dane == FACT_NONE) {
			dane_why = f->dane_why;
		} else {
			v = engine_decide_dane(f->pol, &f->dr, f->sts_cached, ans);
			if (v == V_ANSWER || (v == V_DANE_WEAK && !f->sts_applies))
				return DECIDE_ANSWER;
			if (v == V_NOINFO)
				dane_why = f->dr.status == DANE_ERROR
				    ? f->dr.stale_reason : f->dr.reason;
		}
		if (f->sts == FACT_UNKNOWN)
			return DECIDE_ASK_STS;
		if (f->sts == FACT_KNOWN && sts_apply(f) == DECIDE_WAIT_STS)
			return DECIDE_WAIT_STS;
		if (f->sts == FACT_KNOWN && f->sr.status == STS_ENFORCE
		    && !f->tlsrpt) {
			if (f->mx == FACT_UNKNOWN)
				return DECIDE_ASK_MX;
			if (mx_mismatch(f, ans))
				return DECIDE_ANSWER;
		}
		if (f->sts == FACT_KNOWN) {
			if (engine_decide_sts(&f->sr, v == V_DANE_WEAK, ans)
			    == V_ANSWER)
				return DECIDE_ANSWER;
			if (f->sr.status == STS_TEMP) {
				answer_set(ans, SM_TEMP, "mta-sts",
				    "MTA-STS policy unknown", "%s",
				    ans->quiet ? "" : sts_reason(&f->sr));
				return DECIDE_ANSWER;
			}
			sts_why = ans->quiet ? "" : sts_reason(&f->sr);
		}
	}
	if (f->rest == FACT_UNKNOWN)
		return DECIDE_ASK_REST;
	return decide_rest(f, ans, dane_why, sts_why);
}

/* A report-only entry that matched: what it would have answered. */
struct report {
	char *key;
	char *value;
	int lineno;
};

/*
 * A query: the facts engine_decide() reads, and what the engine needs
 * to collect them and to finish (callback, trace, reports, MX hosts).
 */
struct equery {
	struct equery *next;	/* on the engine's spare list */
	struct engine *e;
	struct key k;
	int tlsrpt;
	struct answer *ans;
	engine_cb cb;
	void *arg;
	struct facts f;
	const struct dane_mx *mxsrc;	/* MX hosts, borrowed: see keep_mx() */
	char **mx;		/* MX host names for MX rules (copied) */
	size_t nmx;
	char *sr_value, *sr_report;	/* f.sr's values, copied: sr_copy() */
	char mx_unmatched[DNS_NAME_MAX];	/* an MX host no pattern matches */
	struct report reports[2];	/* report-only override, MX rule */
	size_t nreports;
	json_t *trace;		/* explain: the chain, else NULL */
};

static void finish_async(struct equery *q);

/*
 * A query's state, from the spare list: an xcalloc and free per query
 * (the struct is over 1 KiB) showed in the profile of a cache hit.
 * start() sets every field the collectors and engine_decide() read.
 */
static struct equery *
query_get(struct engine *e)
{
	struct equery *q = e->spare;

	if (q == NULL)
		return xmalloc(sizeof(*q));
	e->spare = q->next;
	e->nspare--;
	return q;
}

static void
spare_free(struct engine *e)
{
	struct equery *q;

	while ((q = e->spare) != NULL) {
		e->spare = q->next;
		free(q);
	}
	e->nspare = 0;
}

static void
query_put(struct engine *e, struct equery *q)
{
	if (e->nspare >= MAX_SPARE) {
		free(q);
		return;
	}
	q->next = e->spare;
	e->spare = q;
	e->nspare++;
}

/*
 * Only the info log line and explain read an answer's reason: decided
 * anew in each turn that may set the answer (see struct answer).
 */
static void
want_reason(struct equery *q)
{
	q->ans->quiet = q->trace == NULL && !LOG_ENABLED(LOG_LVL_INFO);
}

/*
 * One step of the explain trace.  A macro so that the JSON value is built
 * only when there is a trace: Postfix's queries have none, and building
 * and freeing the values cost more than the rest of a cache hit (callgrind:
 * about 6,000 of 13,000 instructions per override hit).
 */
#define TRACE_SET(q, name, value) do {					\
	if ((q)->trace != NULL)						\
		json_object_set_new((q)->trace, (name), (value));	\
} while (0)

static json_t *
override_json(const struct override *ov)
{
	return json_pack("{s:s, s:i, s:s, s:b}", "key", ov->key, "line",
	    ov->lineno, "value", ov->value, "report_only", ov->report_only);
}

static void
report_add(struct equery *q, const struct override *ov)
{
	struct report *r;

	if (q->nreports == sizeof(q->reports) / sizeof(q->reports[0]))
		return;
	r = &q->reports[q->nreports++];
	r->key = xstrdup(ov->key);
	r->value = xstrdup(ov->value);
	r->lineno = ov->lineno;
}

/*
 * Keep the MX host list an MX rule may match; all of it or nothing.
 * The list belongs to the DANE cache and stays valid until control goes
 * back to the event loop, so it is only borrowed here; mx_copy() copies
 * it when the query has to wait for MTA-STS, and collect_mx_rule() when
 * the table has MX rules to match.  Copying it on every query (an xstrdup
 * per MX host) cost more than the rest of an MTA-STS cache hit's engine
 * work.
 */
static void
keep_mx(struct equery *q, const struct dane_mx *m)
{
	if (m == NULL || q->k.kind != KEY_DOMAIN || m->truncated)
		return;
	if (m->kind == DANE_MX_LIST || m->kind == DANE_MX_IMPLICIT)
		q->mxsrc = m;
}

/*
 * The MTA-STS result's values are borrowed from sts (its cache, or the
 * result its callback gets, freed when the callback returns): valid for
 * this turn only.  A query that then waits for something else (the MX
 * lookup of the mx check) keeps copies; without them the answer was
 * made from freed memory.
 */
static void
sr_copy(struct equery *q)
{
	if (q->f.sr.value != NULL && q->f.sr.value != q->sr_value) {
		free(q->sr_value);
		q->f.sr.value = q->sr_value = xstrdup(q->f.sr.value);
	}
	if (q->f.sr.value_report != NULL
	    && q->f.sr.value_report != q->sr_report) {
		free(q->sr_report);
		q->f.sr.value_report = q->sr_report =
		    xstrdup(q->f.sr.value_report);
	}
}

/* Copy the borrowed MX host list, which must outlive this turn. */
static void
mx_copy(struct equery *q)
{
	const struct dane_mx *m = q->mxsrc;

	if (m == NULL)
		return;
	q->mxsrc = NULL;
	if (m->kind == DANE_MX_LIST) {
		q->mx = xcalloc(m->n, sizeof(*q->mx));
		for (size_t i = 0; i < m->n; i++)
			q->mx[q->nmx++] = xstrdup(m->h[i].name);
	} else {
		q->mx = xcalloc(1, sizeof(*q->mx));
		q->mx[q->nmx++] = xstrdup(q->k.host);
	}
}

json_t *
engine_mx_json(const struct dane_mx *m)
{
	json_t *hosts = json_array();

	for (size_t i = 0; i < m->n; i++)
		json_array_append_new(hosts, json_pack("{s:i, s:s, s:s, s:i}",
		    "pref", m->h[i].pref, "name", m->h[i].name, "tlsa",
		    dane_hstate_name(m->h[i].state), "usable", m->h[i].usable));
	return json_pack("{s:s, s:b, s:b, s:o}", "kind", dane_mx_kind_name(m->kind),
	    "secure", m->secure, "truncated", m->truncated, "hosts", hosts);
}

static void
trace_dane(struct equery *q, const struct dane_result *dr)
{
	json_t *j;
	const struct dane_mx *m = dr->mx ? dr->mx : dr->stale_mx;

	if (q->trace == NULL)
		return;
	j = json_pack("{s:b, s:s, s:s}", "asked", 1, "status",
	    dane_status_name(dr->status), "reason", dr->reason);
	if (dr->status == DANE_ERROR && dr->stale_status != DANE_ERROR) {
		json_object_set_new(j, "stale_status",
		    json_string(dane_status_name(dr->stale_status)));
		json_object_set_new(j, "stale_reason", json_string(dr->stale_reason));
	}
	if (m != NULL)
		json_object_set_new(j, "mx", engine_mx_json(m));
	TRACE_SET(q, "dane", j);
}

static void
trace_sts(struct equery *q, struct sts_result *res)
{
	struct sts_info si;
	json_t *j;

	if (q->trace == NULL)
		return;
	j = json_pack("{s:b, s:s, s:s}", "asked", 1, "status",
	    res->status == STS_ENFORCE ? "enforce"
	    : res->status == STS_TEMP ? "unknown" : "no-policy",
	    "reason", sts_reason(res));
	if (q->f.mx == FACT_KNOWN)
		json_object_set_new(j, "mx_match", json_pack("{s:I, s:I}",
		    "hosts", (json_int_t)q->f.mx_hosts, "matching",
		    (json_int_t)q->f.mx_matching));
	sts_info(q->e->sts, q->k.host, &si);
	json_object_set_new(j, "txt_id", si.txt_id[0]
	    ? json_string(si.txt_id) : json_null());
	if (si.cached)
		json_object_set_new(j, "cached", json_pack(
		    "{s:s, s:s, s:I, s:I, s:I, s:s}", "id", si.id,
		    "mode", si.mode, "max_age", (json_int_t)si.max_age,
		    "age", (json_int_t)si.age,
		    "expires_in", (json_int_t)si.expires_in, "mx", si.mx));
	else
		json_object_set_new(j, "cached", json_null());
	json_object_set_new(j, "last_error", si.last_error[0]
	    ? json_string(si.last_error) : json_null());
	TRACE_SET(q, "mta_sts", j);
}

/*
 * The facts, collected on engine_decide()'s demand.  Each collector
 * returns 1 when the fact is in, 0 when a callback brings it later (and
 * resumes the query with run()).
 */
static int run(struct equery *q);

/* The DANE result is in q->f.dr. */
static void
dane_in(struct equery *q)
{
	const struct dane_result *dr = &q->f.dr;

	trace_dane(q, dr);
	q->f.sts_cached = dr->status == DANE_ERROR && sts_cached(q->e, &q->k);
	/* For a "no DANE" answer, fresh or stale, its MX hosts are the ones. */
	keep_mx(q, dr->status == DANE_ERROR ? dr->stale_mx : dr->mx);
	q->f.dane = FACT_KNOWN;
}

static void
dane_done(void *arg, const struct dane_result *dr)
{
	struct equery *q = arg;

	want_reason(q);
	q->f.dr = *dr;
	dane_in(q);
	if (run(q))
		finish_async(q);
}

static int
collect_dane(struct equery *q)
{
	struct engine *e = q->e;
	struct dane_target t;
	const char *why;

	if (e->dane == NULL || dane_target(&q->k, &t, &why) < 0) {
		q->f.dane = FACT_NONE;
		q->f.dane_why = e->dane ? why : "";
		TRACE_SET(q, "dane", json_pack("{s:b, s:s}", "asked", 0,
		    "reason", e->dane ? why : "DANE disabled"));
		return 1;
	}
	if (dane_query(e->dane, &t, dane_done, q, &q->f.dr) != NULL)
		return 0;
	dane_in(q);
	return 1;
}

static void
sts_done(void *arg, struct sts_result *res)
{
	struct equery *q = arg;

	want_reason(q);
	q->f.sr = *res;		/* res->value stays valid during the callback */
	q->f.sts_waited_ms += res->waited_ms;
	q->f.sts = FACT_KNOWN;
	if (run(q))
		finish_async(q);
}

/* A first contact waits for its fetch, what is left of the budget. */
static int
wait_sts(struct equery *q)
{
	struct engine *e = q->e;

	if (sts_wait(e->sts, q->k.host, q->tlsrpt, q->f.pol->first_fetch_wait_ms
	    - q->f.sts_waited_ms, sts_done, q, &q->f.sr) != NULL) {
		mx_copy(q);	/* the DANE cache may change */
		return 0;
	}
	return 1;
}

/*
 * The MX hosts against the cached policy's mx patterns: m is the DANE
 * walk's MX answer or one looked up here.  Only a list of hosts (or the
 * implicit MX) is a fact; anything else leaves FACT_NONE.
 */
static void
mx_match_hosts(struct equery *q, const char *const *hosts, size_t n)
{
	size_t miss;
	long r;

	q->f.mx = FACT_NONE;
	q->f.mx_hosts = q->f.mx_matching = 0;
	if ((r = sts_mx_match(q->e->sts, q->k.host, hosts, n, &miss)) < 0)
		return;			/* the policy went away meanwhile */
	q->f.mx_hosts = n;
	q->f.mx_matching = (size_t)r;
	if (miss < n) {
		size_t len = strlen(hosts[miss]);

		if (len > 0 && hosts[miss][len - 1] == '.')
			len--;
		snprintf(q->mx_unmatched, sizeof(q->mx_unmatched), "%.*s",
		    (int)len, hosts[miss]);
	}
	q->f.mx = n > 0 ? FACT_KNOWN : FACT_NONE;
}

/* Up to this many MX hosts are listed on the stack, more on the heap. */
#define MX_STACK	16

static void
mx_match_walk(struct equery *q, const struct dane_mx *m)
{
	const char *one = q->k.host;
	const char *stack[MX_STACK] = { NULL }, **hosts = stack;

	if (m == NULL || m->truncated || (m->kind != DANE_MX_LIST
	    && m->kind != DANE_MX_IMPLICIT)) {
		q->f.mx = FACT_NONE;
		return;
	}
	if (m->kind == DANE_MX_IMPLICIT) {
		mx_match_hosts(q, &one, 1);
		return;
	}
	if (m->n > MX_STACK)
		hosts = xcalloc(m->n, sizeof(*hosts));
	for (size_t i = 0; i < m->n; i++)
		hosts[i] = m->h[i].name;
	mx_match_hosts(q, hosts, m->n);
	if (hosts != stack)
		free(hosts);
}

static void
mx_lookup_done(void *arg, const struct dns_result *r)
{
	struct equery *q = arg;
	struct dane_answers *as = dane_answers_new();
	struct dane_target t;
	struct dane_mx *m = NULL;
	char qname[DNS_NAME_MAX + 1];
	const char *why;

	want_reason(q);
	if (dane_target(&q->k, &t, &why) == 0) {
		snprintf(qname, sizeof(qname), "%s.", t.host);
		dane_answers_add(as, qname, LDNS_RR_TYPE_MX, r);
		m = dane_mx_eval(&t, as);
	}
	if (r->status != DNS_OK)
		log_info("domain=%s MX lookup for the MTA-STS mx check failed: %s",
		    q->k.host, dns_status_name(r->status));
	mx_match_walk(q, m);
	dane_mx_free(m);
	dane_answers_free(as);
	if (run(q))
		finish_async(q);
}

/* The MX hosts: the DANE walk's (kept by keep_mx()), else looked up. */
static int
collect_mx_match(struct equery *q)
{
	char qname[DNS_NAME_MAX + 1];

	if (q->mxsrc != NULL) {
		mx_match_walk(q, q->mxsrc);
		return 1;
	}
	if (q->nmx > 0) {
		mx_match_hosts(q, (const char *const *)q->mx, q->nmx);
		return 1;
	}
	q->f.mx = FACT_NONE;
	if (q->e->dnsp.lookup == NULL)
		return 1;
	snprintf(qname, sizeof(qname), "%s.", q->k.host);
	if (dns_port_lookup(&q->e->dnsp, qname, LDNS_RR_TYPE_MX, mx_lookup_done,
	    q) == NULL)
		return 1;
	mx_copy(q);
	sr_copy(q);
	return 0;
}

static int
collect_sts(struct equery *q)
{
	struct engine *e = q->e;

	if (!q->f.sts_applies) {
		q->f.sts = FACT_NONE;
		TRACE_SET(q, "mta_sts", json_pack("{s:b, s:s}", "asked", 0,
		    "reason", e->sts == NULL ? "MTA-STS disabled"
		    : "not a domain next-hop"));
		return 1;
	}
	if (sts_query(e->sts, q->k.host, q->tlsrpt, sts_done, q, &q->f.sr)
	    != NULL) {
		mx_copy(q);	/* the DANE cache may change */
		return 0;
	}
	q->f.sts = FACT_KNOWN;
	return 1;
}

/* The MX rule matching every MX host DANE's walk saw; and the default. */
static void
collect_mx_rule(struct equery *q)
{
	struct engine *e = q->e;
	const struct override *ov = NULL;

	/* Without MX rules nothing can match: spare the copy. */
	if (overrides_count_mx(e->overrides) > 0)
		mx_copy(q);
	if (q->nmx > 0)
		ov = overrides_find_mx(e->overrides, (const char *const *)q->mx,
		    q->nmx);
	TRACE_SET(q, "mx_rule", ov ? override_json(ov) : json_null());
	TRACE_SET(q, "default_policy", e->default_policy
	    ? json_string(e->default_policy) : json_null());
	if (ov != NULL && ov->report_only)
		report_add(q, ov);
	q->f.mx_rule = ov;
	q->f.nmx = q->nmx;
	q->f.rest = FACT_KNOWN;
}

/* Decide, collect what the decision needs, decide again: 1 when answered. */
static int
run(struct equery *q)
{
	for (;;) {
		switch (engine_decide(&q->f, q->ans)) {
		case DECIDE_ANSWER:
			return 1;
		case DECIDE_ASK_DANE:
			if (!collect_dane(q))
				return 0;
			break;
		case DECIDE_ASK_STS:
			if (!collect_sts(q))
				return 0;
			break;
		case DECIDE_WAIT_STS:
			if (!wait_sts(q))
				return 0;
			break;
		case DECIDE_ASK_MX:
			if (!collect_mx_match(q))
				return 0;
			break;
		case DECIDE_ASK_REST:
			collect_mx_rule(q);
			break;
		}
	}
}

static const char *
answer_text(const struct answer *a)
{
	return a->status == SM_OK ? a->text : sockmap_status_name(a->status);
}

/* One line for each report-only entry: what it would have changed. */
static void
log_reports(const struct equery *q)
{
	char safe[300];

	if (q->nreports == 0)
		return;		/* the usual case: spare the key's escaping */
	log_safe(q->k.name, strlen(q->k.name), safe, sizeof(safe));
	for (size_t i = 0; i < q->nreports; i++)
		log_notice("key=%s override=\"%s\" line=%d would_answer=\"%s\" "
		    "actual_answer=\"%s\" source=%s", safe, q->reports[i].key,
		    q->reports[i].lineno, q->reports[i].value,
		    answer_text(q->ans), q->ans->source);
}

static json_t *
reports_json(const struct equery *q)
{
	json_t *a = json_array();

	for (size_t i = 0; i < q->nreports; i++)
		json_array_append_new(a, json_pack("{s:s, s:i, s:s}", "key",
		    q->reports[i].key, "line", q->reports[i].lineno,
		    "would_answer", q->reports[i].value));
	return a;
}

/* Why mail to a domain waits (decide()'s note (8)), whatever the level. */
static void
log_mx_mismatch(const struct equery *q)
{
	if (q->f.mx != FACT_KNOWN || q->f.mx_matching > 0 || q->f.mx_hosts == 0
	    || q->ans->status != SM_TEMP || strcmp(q->ans->source, "mta-sts") != 0)
		return;
	log_warn("domain=%s MTA-STS policy id=%s: none of the %zu MX hosts "
	    "(e.g. %s) matches its mx patterns; answering TEMP so that the mail "
	    "waits (RFC 8461 section 4.1)", q->k.host, q->f.sr.id, q->f.mx_hosts,
	    q->mx_unmatched);
}

/* Count and log (queries from Postfix only), trace, free the query. */
static void
finish(struct equery *q)
{
	if (q->f.sts == FACT_KNOWN)
		trace_sts(q, &q->f.sr);		/* as decided (sts_apply()) */
	if (q->trace) {
		TRACE_SET(q, "report_only", reports_json(q));
		TRACE_SET(q, "answer", json_pack("{s:s, s:s?, s:s, s:s}",
		    "status", sockmap_status_name(q->ans->status),
		    "value", q->ans->status == SM_OK ? q->ans->text : NULL,
		    "source", q->ans->source, "reason", q->ans->reason));
	} else {
		count_answer(&q->e->stats, q->ans);
		log_answer(q->k.name, q->ans);
		log_reports(q);
		log_mx_mismatch(q);
	}
	for (size_t i = 0; i < q->nmx; i++)
		free(q->mx[i]);
	free(q->mx);
	free(q->sr_value);
	free(q->sr_report);
	for (size_t i = 0; i < q->nreports; i++) {
		free(q->reports[i].key);
		free(q->reports[i].value);
	}
	query_put(q->e, q);
}

static void
finish_async(struct equery *q)
{
	engine_cb cb = q->cb;
	void *arg = q->arg;
	struct answer *ans = q->ans;

	finish(q);
	cb(arg, ans);
}

/* The facts known at once; the sources' are FACT_UNKNOWN until asked. */
static void
facts_init(struct facts *f, const struct engine *e, const struct key *k,
    const struct override *ov)
{
	f->kind = k->kind;
	f->override = ov;
	f->pol = &e->pol;
	f->dane = FACT_UNKNOWN;
	f->dane_why = "";
	f->sts_cached = 0;
	f->sts_applies = e->sts != NULL && k->kind == KEY_DOMAIN;
	f->sts = FACT_UNKNOWN;
	f->sts_waited_ms = 0;
	f->mx = FACT_UNKNOWN;
	f->mx_hosts = f->mx_matching = 0;
	f->rest = FACT_UNKNOWN;
	f->mx_rule = NULL;
	f->nmx = 0;
	f->default_policy = e->default_policy;
}

/*
 * The query from its normalised key (already in q->k): the facts known
 * at once (override, kind, what applies), then decide.
 */
static int
start(struct engine *e, struct equery *q, int tlsrpt, json_t *trace,
    struct answer *ans, engine_cb cb, void *arg)
{
	const struct key *k = &q->k;
	const struct override *ov = overrides_find(e->overrides, k);

	q->next = NULL;
	q->e = e;
	q->tlsrpt = tlsrpt;
	q->ans = ans;
	q->cb = cb;
	q->arg = arg;
	q->trace = trace;
	facts_init(&q->f, e, k, ov);
	q->f.tlsrpt = tlsrpt;
	q->mx_unmatched[0] = '\0';
	q->mxsrc = NULL;
	q->mx = NULL;
	q->nmx = 0;
	q->sr_value = q->sr_report = NULL;
	q->nreports = 0;
	want_reason(q);
	TRACE_SET(q, "key", json_string(k->name));
	TRACE_SET(q, "kind", json_string(k->kind == KEY_DOMAIN ? "domain"
	    : k->kind == KEY_PARENT ? "parent" : "nexthop"));
	TRACE_SET(q, "override", ov ? override_json(ov) : json_null());
	if (ov != NULL && ov->report_only)
		report_add(q, ov);
	if (!run(q))
		return 0;	/* a callback finishes it */
	finish(q);
	return 1;
}

int
engine_query(struct engine *e, const char *map, size_t maplen,
    const char *key, size_t keylen, struct answer *ans, engine_cb cb,
    void *arg)
{
	char safe[300];
	const char *why;
	struct equery *q;
	int tlsrpt;

	ans->quiet = 0;		/* start() decides for real queries */
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
	q = query_get(e);
	if (key_normalise(key, keylen, &q->k, &why) < 0) {
		query_put(e, q);
		log_safe(key, keylen, safe, sizeof(safe));
		answer_set(ans, SM_NOTFOUND, "none", NULL, "invalid key: %s", why);
		log_warn("key=\"%s\" answer=NOTFOUND reason=\"invalid key: %s\"",
		    safe, why);
		count_answer(&e->stats, ans);
		return 1;
	}
	return start(e, q, tlsrpt, NULL, ans, cb, arg);
}

int
engine_explain(struct engine *e, const char *key, json_t *trace,
    struct answer *ans, engine_cb cb, void *arg)
{
	const char *why;
	struct equery *q = query_get(e);

	ans->quiet = 0;		/* the trace shows the reason */
	if (key_normalise(key, strlen(key), &q->k, &why) < 0) {
		query_put(e, q);
		answer_set(ans, SM_NOTFOUND, "none", NULL, "invalid key: %s", why);
		json_object_set_new(trace, "key", json_string(key));
		json_object_set_new(trace, "answer", json_pack("{s:s, s:s, s:s}",
		    "status", "NOTFOUND", "source", "none", "reason", ans->reason));
		return 1;
	}
	return start(e, q, 0, trace, ans, cb, arg);
}
