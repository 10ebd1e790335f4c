/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for policyd/engine.c driving the real engine, DANE and
 * MTA-STS code through their ports: scripted DNS (fakes.c), a fake
 * fetcher, an injected clock.  Precedence (override, DANE, MTA-STS, MX
 * rule, default), DANE against MTA-STS, every dns_error_action row,
 * report-only; and engine_decide() alone, row by row of its table.  No root, no network.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "conf.h"
#include "engine.h"
#include "fakes.h"
#include "log.h"
#include "overrides.h"
#include "params.h"
#include "sts.h"

#define T0	1700000000
#define TLSA_DATA "8cb0fc6c527506a053f4f14c8464bebbd6dede2738d11468dd953d7d6a3021f1"
#define POLICY	"version: STSv1\nmode: enforce\nmx: mx.example.com\n" \
		"max_age: 86400\n"

static int64_t clock_now;
static struct loop *l;
static struct fake_dns *fd;
static struct fake_fetch *ff;
static struct config *cf;
static struct engine *e;

static int64_t
test_clock(void *arg)
{
	(void)arg;
	return clock_now;
}

/* The engine over the fakes, with parameters and an override table. */
static void
engine_over(const char *params, const char *overrides, int with_sts)
{
	struct sts_config sc = { 0 };
	struct dns_port dp;
	struct fetch_port fp;
	char err[256];

	clock_now = T0;
	l = loop_new();
	fd = fake_dns_new(l);
	ff = fake_fetch_new(l);
	cf = params_new();
	ck_assert_int_eq(config_parse_text(cf, params, strlen(params), "test",
	    err, sizeof(err)), 0);
	e = engine_new(l, cf);
	fake_dns_port(fd, &dp);
	engine_set_dns_port(e, &dp);
	if (overrides != NULL) {
		struct overrides *o = overrides_parse(overrides,
		    strlen(overrides), "overrides", err, sizeof(err));
		ck_assert_msg(o != NULL, "%s", err);
		engine_set_overrides(e, o);
	}
	if (!with_sts)
		return;
	sc.failure_backoff = 300;
	sc.in_use_window = 86400;
	sc.now = test_clock;
	fake_fetch_port(ff, &fp);
	engine_set_sts(e, sts_new(l, &dp, NULL, &fp, &sc));
}

static void
teardown(void)
{
	engine_free(e);
	fake_fetch_free(ff);
	fake_dns_free(fd);
	config_free(cf);
	loop_free(l);
}

/* Zones: example.com with one MX host, mx.example.com. */
static void
zone(int mx_secure, int host_secure, int tlsa)
{
	fake_dns_set(fd, "example.com.", LDNS_RR_TYPE_MX, DNS_OK,
	    LDNS_RCODE_NOERROR, mx_secure, 300,
	    "example.com. IN MX 10 mx.example.com.");
	fake_dns_set(fd, "mx.example.com.", LDNS_RR_TYPE_A, DNS_OK,
	    LDNS_RCODE_NOERROR, host_secure, 300, "mx.example.com. IN A 192.0.2.1");
	fake_dns_set(fd, "mx.example.com.", LDNS_RR_TYPE_AAAA, DNS_OK,
	    LDNS_RCODE_NOERROR, host_secure, 300, NULL);
	fake_dns_set(fd, "_25._tcp.mx.example.com.", LDNS_RR_TYPE_TLSA, DNS_OK,
	    LDNS_RCODE_NOERROR, host_secure, 300, tlsa
	    ? "_25._tcp.mx.example.com. IN TLSA 3 1 1 " TLSA_DATA : NULL);
}

static void
mx_fails(enum dns_status st, int rcode)
{
	fake_dns_set(fd, "example.com.", LDNS_RR_TYPE_MX, st, rcode, 0, 0, NULL);
}

/* An MTA-STS enforce policy for example.com, fetched on first contact. */
static void
sts_policy(void)
{
	fake_dns_set(fd, "_mta-sts.example.com.", LDNS_RR_TYPE_TXT, DNS_OK,
	    LDNS_RCODE_NOERROR, 0, 300,
	    "_mta-sts.example.com. IN TXT \"v=STSv1; id=1;\"");
	fake_fetch_script(ff, "example.com", POLICY, NULL);
}

struct got {
	int done;
	struct answer ans;
};

static void
got_cb(void *arg, struct answer *ans)
{
	struct got *g = arg;

	(void)ans;
	g->done = 1;
}

static int
got_done(void *arg)
{
	return ((struct got *)arg)->done;
}

/* The engine's answer for key on a map, waiting through the loop. */
static void
ask_map(struct got *g, const char *map, const char *key)
{
	answer_clear(&g->ans);
	memset(g, 0, sizeof(*g));
	if (engine_query(e, map, strlen(map), key, strlen(key), &g->ans, got_cb,
	    g) == 1)
		g->done = 1;
	ck_assert_msg(run_until(l, got_done, g, 5000), "no answer in 5 s");
}

static void
ask(struct got *g, const char *key)
{
	ask_map(g, MAP_TLSPOLICY, key);
}

static void
expect(struct got *g, enum sockmap_status st, const char *source,
    const char *text)
{
	ck_assert_msg(g->ans.status == st, "status %d, want %d (%s: %s)",
	    g->ans.status, st, g->ans.source, g->ans.reason);
	ck_assert_str_eq(g->ans.source, source);
	if (text != NULL)
		ck_assert_str_eq(g->ans.text, text);
}

/* An MTA-STS policy text for example.com, fetched on first contact. */
static void
sts_policy_text(const char *text)
{
	fake_dns_set(fd, "_mta-sts.example.com.", LDNS_RR_TYPE_TXT, DNS_OK,
	    LDNS_RCODE_NOERROR, 0, 300,
	    "_mta-sts.example.com. IN TXT \"v=STSv1; id=1;\"");
	fake_fetch_script(ff, "example.com", text, NULL);
}

/* The engine over the fakes, example.com with one MX host and a policy. */
static void
engine_sts_text(const char *params, const char *text)
{
	engine_over(params, NULL, 1);
	zone(0, 0, 0);
	sts_policy_text(text);
}

#define POLTEST	"version: STSv1\nmode: testing\nmx: mx.example.com\n" \
		"max_age: 86400\n"
#define POLOTHER "version: STSv1\nmode: enforce\nmx: mx.other.example\n" \
		"max_age: 86400\n"

/* Precedence. */

START_TEST(test_override_first)
{
	struct got g = { 0 };

	engine_over("", "example.com encrypt\n", 1);
	zone(1, 1, 1);
	ask(&g, "example.com");
	expect(&g, SM_OK, "override", "encrypt");
	ck_assert_uint_eq(fake_dns_asked(fd, "example.com.", LDNS_RR_TYPE_MX), 0);
	answer_clear(&g.ans);
	teardown();
}
END_TEST

START_TEST(test_dane_only_outranks_sts)
{
	struct got g = { 0 };

	engine_over("", NULL, 1);
	zone(1, 1, 1);
	sts_policy();
	ask(&g, "example.com");
	expect(&g, SM_OK, "dane", "dane-only");
	ck_assert_uint_eq(fake_fetch_requests(ff), 0);
	answer_clear(&g.ans);
	teardown();
}
END_TEST

START_TEST(test_sts_outranks_dane)
{
	struct got g = { 0 };

	engine_over("", NULL, 1);
	zone(0, 1, 1);		/* insecure MX RRset: dane, not dane-only */
	sts_policy();
	ask(&g, "example.com");
	expect(&g, SM_OK, "mta-sts", NULL);
	ck_assert_ptr_nonnull(strstr(g.ans.text, "secure match=mx.example.com"));
	ck_assert_ptr_nonnull(strstr(g.ans.reason, "outranks DANE"));
	answer_clear(&g.ans);
	teardown();
}
END_TEST

START_TEST(test_dane_without_sts)
{
	struct got g = { 0 };

	engine_over("", NULL, 1);
	zone(0, 1, 1);
	ask(&g, "example.com");		/* no _mta-sts record */
	expect(&g, SM_OK, "dane", "dane");
	answer_clear(&g.ans);
	teardown();
}
END_TEST

START_TEST(test_mx_rule_then_default)
{
	struct got g = { 0 };

	engine_over("default_policy = may\n", "mx:.example.com secure\n", 1);
	zone(0, 0, 0);
	ask(&g, "example.com");
	expect(&g, SM_OK, "mx-rule", "secure");
	ask(&g, "example.org");		/* NXDOMAIN: no MX hosts */
	expect(&g, SM_OK, "default", "may");
	ask(&g, ".example.org");	/* parent probes get no default */
	expect(&g, SM_NOTFOUND, "none", NULL);
	answer_clear(&g.ans);
	teardown();
}
END_TEST

START_TEST(test_report_only)
{
	struct got g = { 0 };

	engine_over("", "example.com report-only encrypt\n", 1);
	zone(1, 1, 1);
	ask(&g, "example.com");
	expect(&g, SM_OK, "dane", "dane-only");
	answer_clear(&g.ans);
	teardown();
}
END_TEST

/*
 * Every dns_error_action row (engine.c): the MX lookup fails after a
 * "before" state: nothing, a good dane-only result, or an MTA-STS policy
 * with no DANE (the good result is then "no DANE").
 */
enum before { B_NONE, B_DANE_ONLY, B_STS };

static const struct error_case {
	const char *params;
	enum dns_status st;
	int rcode;
	enum before before;
	enum sockmap_status want;
	const char *source, *text;
} error_cases[] = {
	{ "dns_error_action = temp\n", DNS_OK, LDNS_RCODE_SERVFAIL, B_NONE,
	    SM_TEMP, "dane", NULL },
	{ "dns_error_action = dane\n", DNS_OK, LDNS_RCODE_SERVFAIL, B_NONE,
	    SM_TEMP, "dane", NULL },
	{ "dns_error_action = temp\n", DNS_TIMEOUT, 0, B_NONE,
	    SM_TEMP, "dane", NULL },
	{ "dns_error_action = dane\n", DNS_TIMEOUT, 0, B_NONE,
	    SM_OK, "dane", "dane" },
	{ "dns_error_action = dane\n", DNS_TIMEOUT, 0, B_STS,
	    SM_TEMP, "dane", NULL },
	{ "dns_error_action = stale\n", DNS_TIMEOUT, 0, B_DANE_ONLY,
	    SM_OK, "dane", "dane-only" },
	{ "dns_error_action = stale\n", DNS_TIMEOUT, 0, B_STS,
	    SM_OK, "mta-sts", NULL },
	{ "dns_error_action = stale\ndns_stale_fallback = temp\n", DNS_TIMEOUT,
	    0, B_NONE, SM_TEMP, "dane", NULL },
	{ "dns_error_action = stale\ndns_stale_fallback = dane\n", DNS_TIMEOUT,
	    0, B_NONE, SM_OK, "dane", "dane" },
	{ "dns_error_action = stale\ndns_stale_fallback = dane\n", DNS_TIMEOUT,
	    0, B_STS, SM_OK, "mta-sts", NULL },
};

/* TLSRPT: what the DANE driver reported (engine_set_report()). */
struct reported {
	int n;
	char domain[64], type[64];
};

static void
report_hook(void *arg, const char *domain, const char *type,
    const char *detail)
{
	struct reported *r = arg;

	(void)detail;
	r->n++;
	snprintf(r->domain, sizeof(r->domain), "%s", domain);
	snprintf(r->type, sizeof(r->type), "%s", type);
}

/*
 * A bogus MX lookup is reported as dnssec-invalid once per lookup, not
 * per query answered from the cache; a timeout is no DNSSEC failure,
 * and a [host] next-hop is no report domain.
 */
START_TEST(test_bogus_reported)
{
	struct reported rep;
	struct dns_port dp;
	struct got g = { 0 };

	memset(&rep, 0, sizeof(rep));
	engine_over("", NULL, 0);
	engine_set_report(e, report_hook, &rep);
	fake_dns_port(fd, &dp);
	engine_set_dns_port(e, &dp);
	mx_fails(DNS_OK, LDNS_RCODE_SERVFAIL);
	ask(&g, "example.com");
	expect(&g, SM_TEMP, "dane", NULL);
	ask(&g, "example.com");
	ck_assert_int_eq(rep.n, 1);
	ck_assert_str_eq(rep.domain, "example.com");
	ck_assert_str_eq(rep.type, "dnssec-invalid");
	fake_dns_set(fd, "other.example.", LDNS_RR_TYPE_MX, DNS_TIMEOUT, 0, 0,
	    0, NULL);
	ask(&g, "other.example");
	ck_assert_int_eq(rep.n, 1);
	fake_dns_set(fd, "mx.example.com.", LDNS_RR_TYPE_A, DNS_OK,
	    LDNS_RCODE_SERVFAIL, 0, 0, NULL);
	ask(&g, "[mx.example.com]");
	ck_assert_int_eq(rep.n, 1);
	answer_clear(&g.ans);
	teardown();
}
END_TEST

START_TEST(test_error_action)
{
	const struct error_case *c = &error_cases[_i];
	struct got g = { 0 };

	engine_over(c->params, NULL, 1);
	if (c->before == B_DANE_ONLY)
		zone(1, 1, 1);
	if (c->before == B_STS) {
		zone(0, 0, 0);
		sts_policy();
	}
	if (c->before != B_NONE) {
		ask(&g, "example.com");
		ck_assert_int_eq(g.ans.status, SM_OK);
		fake_dns_clock_ms += 301 * 1000;	/* the DANE result expires */
	}
	mx_fails(c->st, c->rcode);
	ask(&g, "example.com");
	expect(&g, c->want, c->source, c->text);
	answer_clear(&g.ans);
	teardown();
}
END_TEST


/*
 * engine_decide() alone, over facts made by hand: every row of its table
 * and each "ask" it returns.
 */
enum { OV_NONE, OV_APPLIED, OV_REPORT };

static const struct decide_case {
	const char *name;
	enum key_kind kind;
	int ov;
	enum fact_state dane;
	enum dane_status ds;
	enum dane_errclass de;
	enum error_action act;
	int sts_cached, sts_applies;
	enum fact_state sts;
	enum sts_status ss;
	enum fact_state rest;
	int mx_rule, dflt;
	enum decision want;
	enum sockmap_status st;
	const char *source, *text;
} decide_cases[] = {
	{ "override", KEY_DOMAIN, OV_APPLIED, FACT_UNKNOWN, 0, 0, ACT_TEMP, 0, 1,
	  FACT_UNKNOWN, 0, FACT_UNKNOWN, 0, 0, DECIDE_ANSWER, SM_OK, "override",
	  "encrypt" },
	{ "parent asks rest", KEY_PARENT, OV_REPORT, FACT_UNKNOWN, 0, 0,
	  ACT_TEMP, 0, 0, FACT_UNKNOWN, 0, FACT_UNKNOWN, 0, 1, DECIDE_ASK_REST,
	  0, NULL, NULL },
	{ "parent", KEY_PARENT, OV_REPORT, FACT_UNKNOWN, 0, 0, ACT_TEMP, 0, 0,
	  FACT_UNKNOWN, 0, FACT_KNOWN, 0, 1, DECIDE_ANSWER, SM_NOTFOUND, "none",
	  NULL },
	{ "asks dane", KEY_DOMAIN, OV_REPORT, FACT_UNKNOWN, 0, 0, ACT_TEMP, 0, 1,
	  FACT_UNKNOWN, 0, FACT_UNKNOWN, 0, 0, DECIDE_ASK_DANE, 0, NULL, NULL },
	{ "dane-only", KEY_DOMAIN, OV_NONE, FACT_KNOWN, DANE_DANE_ONLY, 0,
	  ACT_TEMP, 0, 1, FACT_UNKNOWN, 0, FACT_UNKNOWN, 0, 0, DECIDE_ANSWER,
	  SM_OK, "dane", "dane-only" },
	{ "dane asks sts", KEY_DOMAIN, OV_NONE, FACT_KNOWN, DANE_DANE, 0,
	  ACT_TEMP, 0, 1, FACT_UNKNOWN, 0, FACT_UNKNOWN, 0, 0, DECIDE_ASK_STS,
	  0, NULL, NULL },
	{ "dane, enforce", KEY_DOMAIN, OV_NONE, FACT_KNOWN, DANE_DANE, 0,
	  ACT_TEMP, 0, 1, FACT_KNOWN, STS_ENFORCE, FACT_UNKNOWN, 0, 0,
	  DECIDE_ANSWER, SM_OK, "mta-sts", "secure match=mx.example.com" },
	{ "dane, no policy", KEY_DOMAIN, OV_NONE, FACT_KNOWN, DANE_DANE, 0,
	  ACT_TEMP, 0, 1, FACT_KNOWN, STS_NOINFO, FACT_UNKNOWN, 0, 0,
	  DECIDE_ANSWER, SM_OK, "dane", "dane" },
	{ "dane, policy unknown", KEY_DOMAIN, OV_NONE, FACT_KNOWN, DANE_DANE, 0,
	  ACT_TEMP, 0, 1, FACT_KNOWN, STS_TEMP, FACT_UNKNOWN, 0, 0,
	  DECIDE_ANSWER, SM_OK, "dane", "dane" },
	{ "dane, no MTA-STS", KEY_DOMAIN, OV_NONE, FACT_KNOWN, DANE_DANE, 0,
	  ACT_TEMP, 0, 0, FACT_UNKNOWN, 0, FACT_UNKNOWN, 0, 0, DECIDE_ANSWER,
	  SM_OK, "dane", "dane" },
	{ "bogus", KEY_DOMAIN, OV_NONE, FACT_KNOWN, DANE_ERROR, DANE_ERR_BOGUS,
	  ACT_DANE, 0, 1, FACT_UNKNOWN, 0, FACT_UNKNOWN, 0, 0, DECIDE_ANSWER,
	  SM_TEMP, "dane", NULL },
	{ "transient, dane", KEY_DOMAIN, OV_NONE, FACT_KNOWN, DANE_ERROR,
	  DANE_ERR_TRANSIENT, ACT_DANE, 0, 1, FACT_UNKNOWN, 0, FACT_UNKNOWN, 0,
	  0, DECIDE_ANSWER, SM_OK, "dane", "dane" },
	{ "transient, dane, sts cached", KEY_DOMAIN, OV_NONE, FACT_KNOWN,
	  DANE_ERROR, DANE_ERR_TRANSIENT, ACT_DANE, 1, 1, FACT_UNKNOWN, 0,
	  FACT_UNKNOWN, 0, 0, DECIDE_ANSWER, SM_TEMP, "dane", NULL },
	{ "no DANE, enforce", KEY_DOMAIN, OV_NONE, FACT_KNOWN, DANE_NOINFO, 0,
	  ACT_TEMP, 0, 1, FACT_KNOWN, STS_ENFORCE, FACT_UNKNOWN, 0, 0,
	  DECIDE_ANSWER, SM_OK, "mta-sts", "secure match=mx.example.com" },
	{ "no DANE, unknown", KEY_DOMAIN, OV_NONE, FACT_KNOWN, DANE_NOINFO, 0,
	  ACT_TEMP, 0, 1, FACT_KNOWN, STS_TEMP, FACT_KNOWN, 0, 1, DECIDE_ANSWER,
	  SM_TEMP, "mta-sts", NULL },
	{ "no DANE asks rest", KEY_DOMAIN, OV_NONE, FACT_NONE, 0, 0, ACT_TEMP, 0,
	  0, FACT_NONE, 0, FACT_UNKNOWN, 0, 0, DECIDE_ASK_REST, 0, NULL, NULL },
	{ "MX rule", KEY_DOMAIN, OV_NONE, FACT_KNOWN, DANE_NOINFO, 0, ACT_TEMP, 0,
	  1, FACT_KNOWN, STS_NOINFO, FACT_KNOWN, 1, 1, DECIDE_ANSWER, SM_OK,
	  "mx-rule", "verify" },
	{ "report-only MX rule, default", KEY_DOMAIN, OV_NONE, FACT_KNOWN,
	  DANE_NOINFO, 0, ACT_TEMP, 0, 1, FACT_KNOWN, STS_NOINFO, FACT_KNOWN, 2,
	  1, DECIDE_ANSWER, SM_OK, "default", "may" },
	{ "nothing", KEY_NEXTHOP, OV_REPORT, FACT_NONE, 0, 0, ACT_TEMP, 0, 0,
	  FACT_NONE, 0, FACT_KNOWN, 0, 0, DECIDE_ANSWER, SM_NOTFOUND, "none",
	  NULL },
};

START_TEST(test_decide)
{
	const struct decide_case *c = &decide_cases[_i];
	struct override ov = { 0 }, rule = { 0 };
	struct engine_policy pol = { .error_action = c->act,
	    .stale_fallback = ACT_TEMP };
	struct facts f;
	struct answer ans;

	memset(&f, 0, sizeof(f));
	memset(&ans, 0, sizeof(ans));
	ov.key = (char *)"example.com";
	ov.value = (char *)"encrypt";
	ov.report_only = c->ov == OV_REPORT;
	rule.key = (char *)"mx:.example.com";
	rule.value = (char *)"verify";
	rule.report_only = c->mx_rule == 2;
	f.kind = c->kind;
	f.override = c->ov == OV_NONE ? NULL : &ov;
	f.pol = &pol;
	f.dane = c->dane;
	f.dane_why = "";
	f.dr.status = c->ds;
	f.dr.err = c->de;
	f.dr.stale_status = DANE_ERROR;
	f.sts_cached = c->sts_cached;
	f.sts_applies = c->sts_applies;
	f.sts = c->sts;
	f.sr.status = c->ss;
	f.sr.how = "";
	f.sr.mode = "enforce";
	f.sr.value = c->ss == STS_ENFORCE ? "secure match=mx.example.com" : NULL;
	f.mx = FACT_NONE;	/* the MX pattern check: decide_sts_cases */
	f.rest = c->rest;
	f.mx_rule = c->mx_rule ? &rule : NULL;
	f.nmx = 1;
	f.default_policy = c->dflt ? "may" : NULL;
	ck_assert_msg(engine_decide(&f, &ans) == c->want, "%s", c->name);
	if (c->want == DECIDE_ANSWER) {
		ck_assert_msg(ans.status == c->st, "%s: status %d", c->name,
		    ans.status);
		ck_assert_str_eq(ans.source, c->source);
		if (c->text)
			ck_assert_str_eq(ans.text, c->text);
	}
	answer_clear(&ans);
}
END_TEST

/*
 * engine_decide()'s MTA-STS rows: testing mode (sts_enforce_testing,
 * sts_testing_report), first contact (waited against
 * sts_first_fetch_wait), the MX pattern check on the plain map name.
 */
#define ENF_VALUE	"secure match=mx.example.com servername=hostname"
#define MAY_VALUE	"may servername=hostname policy_type=sts " \
			"policy_domain=example.com mx_host_pattern=mx.example.com " \
			"{ policy_string = mode: testing }"

static const struct sts_case {
	const char *name;
	enum dane_status ds;		/* DANE_NOINFO or DANE_DANE (held) */
	enum sts_status ss;
	long waited_ms, wait_ms;	/* first contact */
	int enforce_testing, testing_report, tlsrpt, dflt;
	enum fact_state mx;
	size_t mx_hosts, mx_matching;
	enum decision want;
	enum sockmap_status st;
	const char *source, *text;
} decide_sts_cases[] = {
	{ "testing: no policy", DANE_NOINFO, STS_TESTING, 0, 0, 0, 0, 0, 0,
	  FACT_NONE, 0, 0, DECIDE_ANSWER, SM_NOTFOUND, "none", NULL },
	{ "testing, sts_enforce_testing", DANE_NOINFO, STS_TESTING, 0, 0, 1, 0,
	  1, 0, FACT_UNKNOWN, 0, 0, DECIDE_ANSWER, SM_OK, "mta-sts", ENF_VALUE },
	{ "testing, dane held: dane", DANE_DANE, STS_TESTING, 0, 0, 0, 1, 1, 0,
	  FACT_UNKNOWN, 0, 0, DECIDE_ANSWER, SM_OK, "dane", "dane" },
	{ "testing, TLSRPT map, sts_testing_report: may form", DANE_NOINFO,
	  STS_TESTING, 0, 0, 0, 1, 1, 0, FACT_UNKNOWN, 0, 0, DECIDE_ANSWER,
	  SM_OK, "mta-sts", MAY_VALUE },
	{ "testing, TLSRPT map, no sts_testing_report", DANE_NOINFO,
	  STS_TESTING, 0, 0, 0, 0, 1, 0, FACT_UNKNOWN, 0, 0, DECIDE_ANSWER,
	  SM_NOTFOUND, "none", NULL },
	{ "testing, sts_testing_report, default_policy first", DANE_NOINFO,
	  STS_TESTING, 0, 0, 0, 1, 1, 1, FACT_UNKNOWN, 0, 0, DECIDE_ANSWER,
	  SM_OK, "default", "may" },
	{ "testing, plain map, sts_testing_report: no may form", DANE_NOINFO,
	  STS_TESTING, 0, 0, 0, 1, 0, 0, FACT_NONE, 0, 0, DECIDE_ANSWER,
	  SM_NOTFOUND, "none", NULL },
	{ "first contact: waits", DANE_NOINFO, STS_PENDING, 0, 2000, 0, 0, 0, 0,
	  FACT_UNKNOWN, 0, 0, DECIDE_WAIT_STS, 0, NULL, NULL },
	{ "first contact: waits the rest", DANE_DANE, STS_PENDING, 500, 2000, 0,
	  0, 0, 0, FACT_UNKNOWN, 0, 0, DECIDE_WAIT_STS, 0, NULL, NULL },
	{ "first contact, waited: no policy", DANE_NOINFO, STS_PENDING, 2000,
	  2000, 0, 0, 0, 0, FACT_UNKNOWN, 0, 0, DECIDE_ANSWER, SM_NOTFOUND,
	  "none", NULL },
	{ "first contact, sts_first_fetch_wait 0: no wait", DANE_NOINFO,
	  STS_PENDING, 0, 0, 0, 0, 0, 0, FACT_UNKNOWN, 0, 0, DECIDE_ANSWER,
	  SM_NOTFOUND, "none", NULL },
	{ "first contact, waited, dane held: dane", DANE_DANE, STS_PENDING, 2000,
	  2000, 0, 0, 0, 0, FACT_UNKNOWN, 0, 0, DECIDE_ANSWER, SM_OK, "dane",
	  "dane" },
	{ "enforce, plain map: asks the MX hosts", DANE_NOINFO, STS_ENFORCE, 0,
	  0, 0, 0, 0, 0, FACT_UNKNOWN, 0, 0, DECIDE_ASK_MX, 0, NULL, NULL },
	{ "enforce, plain map, no MX host matches: TEMP", DANE_NOINFO,
	  STS_ENFORCE, 0, 0, 0, 0, 0, 0, FACT_KNOWN, 2, 0, DECIDE_ANSWER,
	  SM_TEMP, "mta-sts", NULL },
	{ "enforce, dane held, no MX host matches: TEMP", DANE_DANE, STS_ENFORCE,
	  0, 0, 0, 0, 0, 0, FACT_KNOWN, 1, 0, DECIDE_ANSWER, SM_TEMP, "mta-sts",
	  NULL },
	{ "enforce, plain map, one of two matches: policy", DANE_NOINFO,
	  STS_ENFORCE, 0, 0, 0, 0, 0, 0, FACT_KNOWN, 2, 1, DECIDE_ANSWER, SM_OK,
	  "mta-sts", ENF_VALUE },
	{ "enforce, plain map, MX lookup failed: policy", DANE_NOINFO,
	  STS_ENFORCE, 0, 0, 0, 0, 0, 0, FACT_NONE, 0, 0, DECIDE_ANSWER, SM_OK,
	  "mta-sts", ENF_VALUE },
	{ "enforce, TLSRPT map: Postfix checks the patterns", DANE_NOINFO,
	  STS_ENFORCE, 0, 0, 0, 0, 1, 0, FACT_UNKNOWN, 0, 0, DECIDE_ANSWER,
	  SM_OK, "mta-sts", ENF_VALUE },
	{ "testing enforced, plain map, no MX host matches: TEMP", DANE_NOINFO,
	  STS_TESTING, 0, 0, 1, 0, 0, 0, FACT_KNOWN, 1, 0, DECIDE_ANSWER,
	  SM_TEMP, "mta-sts", NULL },
};

START_TEST(test_decide_sts)
{
	const struct sts_case *c = &decide_sts_cases[_i];
	struct engine_policy pol = { .error_action = ACT_TEMP,
	    .stale_fallback = ACT_TEMP };
	struct facts f;
	struct answer ans;

	memset(&f, 0, sizeof(f));
	memset(&ans, 0, sizeof(ans));
	pol.first_fetch_wait_ms = c->wait_ms;
	pol.enforce_testing = c->enforce_testing;
	pol.testing_report = c->testing_report;
	f.kind = KEY_DOMAIN;
	f.pol = &pol;
	f.dane = FACT_KNOWN;
	f.dr.status = c->ds;
	f.dr.stale_status = DANE_ERROR;
	f.sts_applies = 1;
	f.sts = FACT_KNOWN;
	f.sr.status = c->ss;
	f.sr.how = "";
	snprintf(f.sr.id, sizeof(f.sr.id), "%s", c->ss == STS_PENDING ? "" : "1");
	f.sr.mode = c->ss == STS_ENFORCE ? "enforce" : "testing";
	f.sr.value = c->ss == STS_PENDING ? NULL : ENF_VALUE;
	f.sr.value_report = c->ss == STS_TESTING && c->tlsrpt ? MAY_VALUE : NULL;
	f.sts_waited_ms = c->waited_ms;
	f.tlsrpt = c->tlsrpt;
	f.mx = c->mx;
	f.mx_hosts = c->mx_hosts;
	f.mx_matching = c->mx_matching;
	f.rest = FACT_KNOWN;
	f.default_policy = c->dflt ? "may" : NULL;
	ck_assert_msg(engine_decide(&f, &ans) == c->want, "%s", c->name);
	if (c->want == DECIDE_ANSWER) {
		ck_assert_msg(ans.status == c->st, "%s: status %d (%s)", c->name,
		    ans.status, ans.reason);
		ck_assert_str_eq(ans.source, c->source);
		if (c->text)
			ck_assert_str_eq(ans.text, c->text);
	}
	answer_clear(&ans);
}
END_TEST

/* MTA-STS through the engine: what engine_decide() applies. */

/* First contact: the query waits for the fetch (sts_first_fetch_wait). */
START_TEST(test_first_contact_waits)
{
	struct got g = { 0 };
	struct sts_stat st;

	engine_over("", NULL, 1);
	zone(0, 0, 0);
	sts_policy();
	ask(&g, "example.com");
	expect(&g, SM_OK, "mta-sts", "secure match=mx.example.com "
	    "servername=hostname");
	sts_status(engine_sts(e), &st);
	ck_assert_uint_eq(st.first_contact_timeouts, 0);
	answer_clear(&g.ans);
	teardown();
}
END_TEST

/* A fetch slower than sts_first_fetch_wait: no policy yet, then it. */
START_TEST(test_first_contact_timeout)
{
	struct got g = { 0 };
	struct sts_stat st;

	engine_over("sts_first_fetch_wait = 1s\n", NULL, 1);
	zone(0, 0, 0);
	fake_dns_set(fd, "_mta-sts.example.com.", LDNS_RR_TYPE_TXT, DNS_OK,
	    LDNS_RCODE_NOERROR, 0, 300,
	    "_mta-sts.example.com. IN TXT \"v=STSv1; id=1;\"");
	ask(&g, "example.com");		/* the fetch is not answered */
	expect(&g, SM_NOTFOUND, "none", NULL);
	ck_assert_ptr_nonnull(strstr(g.ans.reason, "no MTA-STS policy: first "
	    "contact: policy fetch still running"));
	sts_status(engine_sts(e), &st);
	ck_assert_uint_eq(st.first_contact_timeouts, 1);
	fake_fetch_script(ff, "example.com", POLICY, NULL);
	fake_fetch_reply(ff);
	ask(&g, "example.com");
	expect(&g, SM_OK, "mta-sts", NULL);
	answer_clear(&g.ans);
	teardown();
}
END_TEST

/* Testing mode applies only with sts_enforce_testing. */
START_TEST(test_testing_mode)
{
	struct got g = { 0 };

	engine_sts_text("", POLTEST);
	ask(&g, "example.com");
	expect(&g, SM_NOTFOUND, "none", NULL);
	ck_assert_ptr_nonnull(strstr(g.ans.reason, "MTA-STS policy id=1 in mode "
	    "testing is not enforced"));
	ask_map(&g, MAP_TLSPOLICY_TLSRPT, "example.com");
	expect(&g, SM_NOTFOUND, "none", NULL);
	teardown();
	engine_sts_text("sts_enforce_testing = yes\n", POLTEST);
	ask(&g, "example.com");
	expect(&g, SM_OK, "mta-sts", "secure match=mx.example.com "
	    "servername=hostname");
	answer_clear(&g.ans);
	teardown();
}
END_TEST

/* sts_testing_report: the may form on the TLSRPT map only. */
START_TEST(test_testing_report)
{
	struct got g = { 0 };

	engine_sts_text("sts_testing_report = yes\n", POLTEST);
	ask_map(&g, MAP_TLSPOLICY_TLSRPT, "example.com");
	expect(&g, SM_OK, "mta-sts", "may servername=hostname policy_type=sts "
	    "policy_domain=example.com mx_host_pattern=mx.example.com "
	    "{ policy_string = version: STSv1 } "
	    "{ policy_string = mode: testing } "
	    "{ policy_string = mx: mx.example.com } "
	    "{ policy_string = max_age: 86400 }");
	ask(&g, "example.com");		/* Postfix 3.7 would defer on it */
	expect(&g, SM_NOTFOUND, "none", NULL);
	answer_clear(&g.ans);
	teardown();
}
END_TEST

/*
 * Plain map (Postfix before 3.10): no MX host matches the enforce
 * policy's patterns, so TEMP; the DANE walk's MX answer is reused.  The
 * TLSRPT map keeps the policy (Postfix 3.10 skips such hosts itself).
 */
START_TEST(test_mx_patterns)
{
	struct got g = { 0 };

	engine_sts_text("", POLOTHER);
	ask(&g, "example.com");
	expect(&g, SM_TEMP, "mta-sts", NULL);
	ck_assert_ptr_nonnull(strstr(g.ans.reason, "none of the 1 MX hosts "
	    "matches its mx patterns"));
	ck_assert_uint_eq(fake_dns_asked(fd, "example.com.", LDNS_RR_TYPE_MX), 1);
	ask_map(&g, MAP_TLSPOLICY_TLSRPT, "example.com");
	expect(&g, SM_OK, "mta-sts", NULL);
	ck_assert_ptr_nonnull(strstr(g.ans.text, "mx_host_pattern=mx.other.example"));
	answer_clear(&g.ans);
	teardown();
	/* A host that matches among others: the policy (Postfix checks). */
	engine_over("", NULL, 1);
	zone(0, 0, 0);
	fake_dns_set(fd, "example.com.", LDNS_RR_TYPE_MX, DNS_OK,
	    LDNS_RCODE_NOERROR, 0, 300, "example.com. IN MX 10 mx.example.com.\n"
	    "example.com. IN MX 20 mx.other.example.");
	sts_policy_text(POLOTHER);
	ask(&g, "example.com");
	expect(&g, SM_OK, "mta-sts", "secure match=mx.other.example "
	    "servername=hostname");
	answer_clear(&g.ans);
	teardown();
}
END_TEST

/* Without DANE's MX answer, the MX hosts are looked up; a failed lookup
 * keeps the policy. */
START_TEST(test_mx_patterns_lookup)
{
	struct got g = { 0 };

	engine_over("", NULL, 1);
	engine_disable_dane(e);
	zone(0, 0, 0);
	sts_policy_text(POLOTHER);
	ask(&g, "example.com");
	expect(&g, SM_TEMP, "mta-sts", NULL);
	ck_assert_uint_eq(fake_dns_asked(fd, "example.com.", LDNS_RR_TYPE_MX), 1);
	fake_dns_clock_ms += 301 * 1000;
	mx_fails(DNS_TIMEOUT, 0);
	ask(&g, "example.com");
	expect(&g, SM_OK, "mta-sts", "secure match=mx.other.example "
	    "servername=hostname");
	mx_fails(DNS_OK, LDNS_RCODE_SERVFAIL);
	ask(&g, "example.com");
	expect(&g, SM_OK, "mta-sts", NULL);
	answer_clear(&g.ans);
	teardown();
}
END_TEST

/*
 * The policy's value comes to the engine borrowed, in the callback of an
 * MTA-STS lookup that waited (here a TXT re-check that fails: the cached
 * policy stands); sts frees it when the callback returns.  The engine
 * then still waits for the MX lookup of the mx check (no DANE walk to
 * take it from), so it must have kept a copy: it answered from freed
 * memory before (seen as garbage policies in the memory benchmark).
 */
START_TEST(test_sts_value_outlives_mx_lookup)
{
	struct got g = { 0 };

	engine_over("", NULL, 1);
	engine_disable_dane(e);
	zone(0, 0, 0);
	sts_policy();
	ask(&g, "example.com");
	expect(&g, SM_OK, "mta-sts", "secure match=mx.example.com "
	    "servername=hostname");
	/* Later: the TXT re-check and the MX lookup both wait, and fail. */
	clock_now += 301;
	fake_dns_clock_ms += 301 * 1000;
	fake_dns_set(fd, "_mta-sts.example.com.", LDNS_RR_TYPE_TXT,
	    DNS_NETERR, 0, 0, 0, NULL);
	mx_fails(DNS_NETERR, 0);
	for (int i = 0; i < 3; i++) {
		ask(&g, "example.com");
		expect(&g, SM_OK, "mta-sts", "secure match=mx.example.com "
		    "servername=hostname");
		clock_now += 301;
		fake_dns_clock_ms += 301 * 1000;
	}
	answer_clear(&g.ans);
	teardown();
}
END_TEST

static Suite *
engine_suite(void)
{
	Suite *suite = suite_create("engine");
	TCase *tp = tcase_create("precedence");
	TCase *te = tcase_create("dns_error_action");
	TCase *td = tcase_create("decide");
	TCase *ts = tcase_create("mta-sts");

	tcase_add_test(tp, test_override_first);
	tcase_add_test(tp, test_dane_only_outranks_sts);
	tcase_add_test(tp, test_sts_outranks_dane);
	tcase_add_test(tp, test_dane_without_sts);
	tcase_add_test(tp, test_mx_rule_then_default);
	tcase_add_test(tp, test_report_only);
	suite_add_tcase(suite, tp);
	tcase_add_test(ts, test_first_contact_waits);
	tcase_add_test(ts, test_first_contact_timeout);
	tcase_add_test(ts, test_testing_mode);
	tcase_add_test(ts, test_testing_report);
	tcase_add_test(ts, test_mx_patterns);
	tcase_add_test(ts, test_mx_patterns_lookup);
	tcase_add_test(ts, test_sts_value_outlives_mx_lookup);
	suite_add_tcase(suite, ts);
	tcase_add_test(te, test_bogus_reported);
	tcase_add_loop_test(te, test_error_action, 0,
	    sizeof(error_cases) / sizeof(error_cases[0]));
	suite_add_tcase(suite, te);
	tcase_add_loop_test(td, test_decide, 0,
	    sizeof(decide_cases) / sizeof(decide_cases[0]));
	tcase_add_loop_test(td, test_decide_sts, 0,
	    sizeof(decide_sts_cases) / sizeof(decide_sts_cases[0]));
	suite_add_tcase(suite, td);
	return suite;
}

int
main(void)
{
	SRunner *sr = srunner_create(engine_suite());
	int failed;

	log_init("check_engine", 1, LOG_LVL_INFO);	/* reasons formatted */
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
