/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for policyd/sts.c through its ports: scripted DNS, a fake
 * fetcher, an injected wall clock, no store.  RFC 8461 section 5 caching:
 * first contact (reported pending, sts_wait() until the fetch or its
 * budget), a TXT id change, a failed refetch that
 * keeps the policy, refresh before expiry, expiry, a TXT record reached
 * through a CNAME, read alike by tlsmap probe.  No root, no network.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "fakes.h"
#include "log.h"
#include "sts.h"
#include "sts_dns.h"

#define T0	1700000000
#define TXTNAME	"_mta-sts.example.com."
#define POL1	"version: STSv1\nmode: enforce\nmx: mx1.example.com\n" \
		"max_age: 86400\n"
#define POL2	"version: STSv1\nmode: enforce\nmx: mx2.example.com\n" \
		"max_age: 86400\n"
#define POLTEST	"version: STSv1\nmode: testing\nmx: mx1.example.com\n" \
		"max_age: 86400\n"

static int64_t clock_now;
static struct loop *l;
static struct fake_dns *fd;
static struct fake_fetch *ff;
static struct sts *s;

static int64_t
test_clock(void *arg)
{
	(void)arg;
	return clock_now;
}

/* TLSRPT: what the MTA-STS source reported (sts_config.report). */
struct reported {
	int n;
	char domain[64], type[64], detail[128];
};
static struct reported *report_to;

static void
report_hook(void *arg, const char *domain, const char *type,
    const char *detail)
{
	struct reported *r = arg;

	r->n++;
	snprintf(r->domain, sizeof(r->domain), "%s", domain);
	snprintf(r->type, sizeof(r->type), "%s", type);
	snprintf(r->detail, sizeof(r->detail), "%s", detail);
}

/* How long ask() waits for a first fetch, as the engine would. */
static long wait_ms;

static struct sts *
sts_fake(void)
{
	struct sts_config cf = { 0 };
	struct dns_port dp;
	struct fetch_port fp;

	cf.failure_backoff = 300;
	cf.refresh_before = 3600;
	cf.in_use_window = 86400;
	cf.now = test_clock;
	if (report_to != NULL) {
		cf.report = report_hook;
		cf.report_arg = report_to;
	}
	fake_dns_port(fd, &dp);
	fake_fetch_port(ff, &fp);
	return sts_new(l, &dp, NULL, &fp, &cf);
}

static void
setup(void)
{
	clock_now = T0;
	l = loop_new();
	fd = fake_dns_new(l);
	ff = fake_fetch_new(l);
	wait_ms = 2000;
	s = sts_fake();
}

static void
teardown(void)
{
	sts_free(s);
	fake_fetch_free(ff);
	fake_dns_free(fd);
	loop_free(l);
}

static void
txt(const char *id, uint32_t ttl)
{
	char rr[200];

	snprintf(rr, sizeof(rr), TXTNAME " IN TXT \"v=STSv1; id=%s;\"", id);
	fake_dns_set(fd, TXTNAME, LDNS_RR_TYPE_TXT, DNS_OK, LDNS_RCODE_NOERROR,
	    0, ttl, rr);
}

/* One query's result, waiting for it through the loop when it waits. */
struct got {
	int done;
	struct sts_result res;
	char value[512];
};

static void
got_cb(void *arg, struct sts_result *res)
{
	struct got *g = arg;

	g->res = *res;
	snprintf(g->value, sizeof(g->value), "%s", res->value ? res->value : "");
	g->res.value = NULL;
	g->res.value_copy = NULL;
	g->done = 1;
}

static int
got_done(void *arg)
{
	return ((struct got *)arg)->done;
}

/* sts_query(), or sts_wait() when wait is set; through the loop. */
static void
ask_once(struct got *g, int wait)
{
	struct sts_req *r;

	memset(g, 0, sizeof(*g));
	r = wait ? sts_wait(s, "example.com", 0, wait_ms, got_cb, g, &g->res)
	    : sts_query(s, "example.com", 0, got_cb, g, &g->res);
	if (r == NULL) {
		snprintf(g->value, sizeof(g->value), "%s",
		    g->res.value ? g->res.value : "");
		g->done = 1;
		return;
	}
	ck_assert_msg(run_until(l, got_done, g, 5000), "no answer in 5 s");
}

/* A query as the engine makes it: a first contact waits, once. */
static void
ask(struct got *g)
{
	ask_once(g, 0);
	if (g->res.status == STS_PENDING)
		ask_once(g, 1);
}

static int
fetch_idle(void *arg)
{
	(void)arg;
	return fake_fetch_waiting(ff) == 0;
}

/* First contact: the query waits for the fetch and gets the policy. */
START_TEST(test_first_contact_waits)
{
	struct got g;
	struct sts_stat st;

	txt("id1", 300);
	fake_fetch_script(ff, "example.com", POL1, NULL);
	ask(&g);
	ck_assert_int_eq(g.res.status, STS_ENFORCE);
	ck_assert_ptr_nonnull(strstr(g.value, "match=mx1.example.com"));
	sts_status(s, &st);
	ck_assert_uint_eq(st.fetches, 1);
	ck_assert_uint_eq(st.first_contact_timeouts, 0);
	/* Then from memory, without DNS. */
	ask(&g);
	ck_assert_int_eq(g.res.status, STS_ENFORCE);
	ck_assert_uint_eq(fake_dns_asked(fd, TXTNAME, LDNS_RR_TYPE_TXT), 1);
}
END_TEST

/* First contact, fetch slower than first_fetch_wait: no policy yet. */
START_TEST(test_first_contact_timeout)
{
	struct got g;
	struct sts_stat st;

	wait_ms = 20;
	txt("id1", 300);
	ask_once(&g, 0);	/* reported: pending, nothing waited yet */
	ck_assert_int_eq(g.res.status, STS_PENDING);
	ck_assert_int_eq(g.res.waited_ms, 0);
	ask_once(&g, 1);	/* the fetch is not answered */
	ck_assert_int_eq(g.res.status, STS_PENDING);
	ck_assert_int_eq(g.res.waited_ms, 20);
	ck_assert_str_eq(g.res.how, "first contact: policy fetch still running");
	sts_status(s, &st);
	ck_assert_uint_eq(st.first_contact_timeouts, 1);
	/* The fetch completes later: the policy answers from then on. */
	fake_fetch_script(ff, "example.com", POL1, NULL);
	fake_fetch_reply(ff);
	ask(&g);
	ck_assert_int_eq(g.res.status, STS_ENFORCE);
}
END_TEST

/* The same id on each new TXT lookup: no fetch (world test 12). */
START_TEST(test_same_id_no_refetch)
{
	struct got g;

	txt("id1", 60);
	fake_fetch_script(ff, "example.com", POL1, NULL);
	ask(&g);
	for (int i = 0; i < 3; i++) {
		clock_now += 61;	/* past the TXT record's TTL */
		ask(&g);
		ck_assert_int_eq(g.res.status, STS_ENFORCE);
	}
	ck_assert_uint_eq(fake_dns_asked(fd, TXTNAME, LDNS_RR_TYPE_TXT), 4);
	ck_assert_uint_eq(fake_fetch_requests(ff), 1);
}
END_TEST

/* A new TXT id: the cached policy answers until its successor replaces it. */
START_TEST(test_txt_id_change)
{
	struct got g;

	txt("id1", 60);
	fake_fetch_script(ff, "example.com", POL1, NULL);
	ask(&g);
	ck_assert_str_eq(g.res.id, "id1");
	txt("id2", 60);
	fake_fetch_script(ff, "example.com", NULL, NULL);	/* waits */
	clock_now += 61;	/* past the TXT record's TTL */
	ask(&g);
	ck_assert_int_eq(g.res.status, STS_ENFORCE);
	ck_assert_str_eq(g.res.id, "id1");
	ck_assert_str_eq(g.res.how, "new id being fetched");
	ck_assert_uint_eq(fake_fetch_requests(ff), 2);
	fake_fetch_script(ff, "example.com", POL2, NULL);
	fake_fetch_reply(ff);
	ask(&g);
	ck_assert_str_eq(g.res.id, "id2");
	ck_assert_ptr_nonnull(strstr(g.value, "match=mx2.example.com"));
}
END_TEST

/* A failed refetch never replaces or shortens the cached policy. */
START_TEST(test_failed_refetch_keeps_policy)
{
	struct got g;
	struct sts_stat st;

	txt("id1", 60);
	fake_fetch_script(ff, "example.com", POL1, NULL);
	ask(&g);
	txt("id2", 60);
	fake_fetch_script(ff, "example.com", NULL, "HTTP status 404");
	clock_now += 61;
	ask(&g);
	ck_assert(run_until(l, fetch_idle, NULL, 5000));
	sts_status(s, &st);
	ck_assert_uint_eq(st.fetch_failures, 1);
	ask(&g);
	ck_assert_int_eq(g.res.status, STS_ENFORCE);
	ck_assert_str_eq(g.res.id, "id1");
	/* Backing off: the failed id is not fetched again at once. */
	clock_now += 61;
	ask(&g);
	ck_assert_int_eq(g.res.status, STS_ENFORCE);
	ck_assert_uint_eq(fake_fetch_requests(ff), 2);
}
END_TEST

/*
 * TLSRPT: a failed fetch is reported once per attempt (not per query,
 * not while backing off); a good fetch is not reported.
 */
START_TEST(test_fetch_failure_reported_once)
{
	struct reported rep;
	struct got g;

	memset(&rep, 0, sizeof(rep));
	sts_free(s);
	report_to = &rep;
	s = sts_fake();
	report_to = NULL;
	txt("id1", 60);
	fake_fetch_script(ff, "example.com", POL1, NULL);
	ask(&g);
	ck_assert_int_eq(rep.n, 0);
	txt("id2", 60);
	fake_fetch_script(ff, "example.com", NULL, "HTTP status 404");
	clock_now += 61;
	ask(&g);
	ck_assert(run_until(l, fetch_idle, NULL, 5000));
	ask(&g);
	ask(&g);
	clock_now += 61;
	ask(&g);			/* backing off: no new attempt */
	ck_assert_int_eq(rep.n, 1);
	ck_assert_str_eq(rep.domain, "example.com");
	ck_assert_str_eq(rep.type, "sts-policy-fetch-error");
	ck_assert_str_eq(rep.detail, "HTTP status 404");
}
END_TEST

/* A domain in use is fetched again before its policy expires. */
START_TEST(test_refresh_before_expiry)
{
	struct got g;
	struct sts_stat st;

	txt("id1", 300);
	fake_fetch_script(ff, "example.com", POL1, NULL);
	ask(&g);
	clock_now += 3600;	/* long before the refresh is due */
	ask(&g);
	sts_refresh_scan(s);
	ck_assert_uint_eq(fake_fetch_requests(ff), 1);
	clock_now = T0 + 86400 / 2;	/* half the lifetime: due */
	ask(&g);
	sts_refresh_scan(s);
	ck_assert(run_until(l, fetch_idle, NULL, 5000));
	sts_status(s, &st);
	ck_assert_uint_eq(st.refreshes, 1);
	ck_assert_uint_eq(fake_fetch_requests(ff), 2);
	ask(&g);
	ck_assert_int_eq(g.res.status, STS_ENFORCE);
	ck_assert_int_ge(g.res.expires_in, 86400 - 400);
}
END_TEST

/* An expired policy is dropped, even when DNS fails then. */
START_TEST(test_expiry)
{
	struct got g;

	txt("id1", 300);
	fake_fetch_script(ff, "example.com", POL1, NULL);
	ask(&g);
	fake_dns_set(fd, TXTNAME, LDNS_RR_TYPE_TXT, DNS_TIMEOUT, 0, 0, 0, NULL);
	clock_now += 86400 - 10;
	ask(&g);		/* DNS trouble: the cached policy applies */
	ck_assert_int_eq(g.res.status, STS_ENFORCE);
	clock_now += 20;
	ask(&g);
	ck_assert_int_eq(g.res.status, STS_NOINFO);
	ck_assert_str_eq(g.res.id, "");
}
END_TEST

/* The TXT record disappears: an unexpired policy still applies. */
START_TEST(test_txt_gone_keeps_policy)
{
	struct got g;

	txt("id1", 60);
	fake_fetch_script(ff, "example.com", POL1, NULL);
	ask(&g);
	fake_dns_set(fd, TXTNAME, LDNS_RR_TYPE_TXT, DNS_OK, LDNS_RCODE_NXDOMAIN,
	    0, 60, NULL);
	clock_now += 61;
	ask(&g);
	ck_assert_uint_eq(fake_dns_asked(fd, TXTNAME, LDNS_RR_TYPE_TXT), 2);
	ck_assert_int_eq(g.res.status, STS_ENFORCE);
	ck_assert_str_eq(g.res.id, "id1");
	ck_assert_uint_eq(fake_fetch_requests(ff), 1);
}
END_TEST

/*
 * A testing-mode policy is reported as such, with its value; whether it
 * applies is the engine's (check_engine: sts_enforce_testing).  On the
 * TLSRPT map it also gives the may form.
 */
START_TEST(test_testing_mode)
{
	struct got g;

	txt("id1", 300);
	fake_fetch_script(ff, "example.com", POLTEST, NULL);
	ask(&g);
	ck_assert_int_eq(g.res.status, STS_TESTING);
	ck_assert_str_eq(g.res.mode, "testing");
	ck_assert_ptr_nonnull(strstr(g.value, "secure match=mx1.example.com"));
	ck_assert_ptr_null(g.res.value_report);
	ck_assert_ptr_null(sts_query(s, "example.com", 1, got_cb, &g, &g.res));
	ck_assert_str_eq(g.res.value_report, "may servername=hostname "
	    "policy_type=sts policy_domain=example.com "
	    "mx_host_pattern=mx1.example.com { policy_string = version: STSv1 } "
	    "{ policy_string = mode: testing } "
	    "{ policy_string = mx: mx1.example.com } "
	    "{ policy_string = max_age: 86400 }");
}
END_TEST

/* The MX hosts against the cached policy's patterns (RFC 8461 4.1). */
START_TEST(test_mx_match)
{
	struct got g;
	const char *one[] = { "mx1.example.com" };
	const char *mixed[] = { "mx1.example.com.", "MX1.example.COM",
	    "mx2.example.com", "mx1.example.com" };
	size_t miss;

	ck_assert_int_eq(sts_mx_match(s, "example.com", one, 1, &miss), -1);
	txt("id1", 300);
	fake_fetch_script(ff, "example.com", POL1, NULL);
	ask(&g);
	ck_assert_int_eq(sts_mx_match(s, "example.com", one, 1, &miss), 1);
	ck_assert_uint_eq(miss, 1);
	ck_assert_int_eq(sts_mx_match(s, "example.com", mixed, 4, &miss), 3);
	ck_assert_uint_eq(miss, 2);
	ck_assert_int_eq(sts_mx_match(s, "example.com", mixed + 2, 1, &miss),
	    0);
	ck_assert_uint_eq(miss, 0);
}
END_TEST

/* The TXT record at the end of a CNAME chain counts (RFC 8461 3.1). */
START_TEST(test_txt_through_cname)
{
	struct got g;

	fake_dns_set(fd, TXTNAME, LDNS_RR_TYPE_TXT, DNS_OK, LDNS_RCODE_NOERROR,
	    0, 300, TXTNAME " IN CNAME _mta-sts.provider.example.\n"
	    "_mta-sts.provider.example. IN TXT \"v=STSv1; id=cn1;\"");
	fake_fetch_script(ff, "example.com", POL1, NULL);
	ask(&g);
	ck_assert_int_eq(g.res.status, STS_ENFORCE);
	ck_assert_str_eq(g.res.id, "cn1");
}
END_TEST

/*
 * tlsmap probe reads the TXT reply with sts_dns_txt(), the daemon's own
 * reading: on a record reached through a CNAME, with a stray TXT record
 * of another name in the answer, both find the same id.
 */
#define CNAME_ANSWER TXTNAME " IN CNAME _mta-sts.provider.example.\n" \
	"_mta-sts.provider.example. IN TXT \"v=STSv1; id=cn1;\"\n" \
	"_mta-sts.other.example. IN TXT \"v=STSv1; id=stray;\""

START_TEST(test_probe_agrees)
{
	ldns_pkt *pkt = ldns_pkt_query_new(ldns_dname_new_frm_str(TXTNAME),
	    LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, LDNS_RD);
	char text[] = CNAME_ANSWER, *line, *save = NULL;
	char id[STS_ID_MAX + 1], err[200];
	struct got g;

	for (line = strtok_r(text, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		ldns_rr *rr = NULL;
		ck_assert_int_eq(ldns_rr_new_frm_str(&rr, line, 300, NULL, NULL),
		    LDNS_STATUS_OK);
		ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr);
	}
	/* What tlsmap probe reads (probe_cmd.c lookup_sts()). */
	ck_assert_int_eq(sts_dns_txt(pkt, "_mta-sts.example.com", id, err,
	    sizeof(err)), STS_TXT_OK);
	ldns_pkt_free(pkt);
	/* What the daemon reads from the same answer. */
	fake_dns_set(fd, TXTNAME, LDNS_RR_TYPE_TXT, DNS_OK, LDNS_RCODE_NOERROR,
	    0, 300, CNAME_ANSWER);
	fake_fetch_script(ff, "example.com", POL1, NULL);
	ask(&g);
	ck_assert_int_eq(g.res.status, STS_ENFORCE);
	ck_assert_str_eq(g.res.id, id);
	ck_assert_str_eq(id, "cn1");
}
END_TEST

static Suite *
sts_suite(void)
{
	Suite *suite = suite_create("sts");
	TCase *tc = tcase_create("cache");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_first_contact_waits);
	tcase_add_test(tc, test_first_contact_timeout);
	tcase_add_test(tc, test_same_id_no_refetch);
	tcase_add_test(tc, test_txt_id_change);
	tcase_add_test(tc, test_failed_refetch_keeps_policy);
	tcase_add_test(tc, test_fetch_failure_reported_once);
	tcase_add_test(tc, test_refresh_before_expiry);
	tcase_add_test(tc, test_expiry);
	tcase_add_test(tc, test_txt_gone_keeps_policy);
	tcase_add_test(tc, test_testing_mode);
	tcase_add_test(tc, test_mx_match);
	tcase_add_test(tc, test_txt_through_cname);
	tcase_add_test(tc, test_probe_agrees);
	suite_add_tcase(suite, tc);
	return suite;
}

int
main(void)
{
	SRunner *sr = srunner_create(sts_suite());
	int failed;

	log_init("check_sts", 1, LOG_LVL_ERR);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
