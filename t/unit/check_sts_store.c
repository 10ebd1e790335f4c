/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for policyd/sts.c over a policy store that fails: a failed
 * read is not "nothing cached".  The store is the memory backend wrapped
 * by a backend whose reads fail on demand (store_open_ops()).  No DNS, no
 * fetcher: a query is answered from what the store gives.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "log.h"
#include "params.h"
#include "store.h"
#include "sts.h"
#include "sts_policy.h"

#define T0	1700000000
#define POLICY	"version: STSv1\nmode: enforce\nmx: mx.example.com\n" \
		"max_age: 86400\n"

static struct store_ops fail_ops;
static int fail_reads;		/* reads fail while set */
static int reads;		/* reads the backend saw */
static int64_t clock_now;

static int
fail_get(void *be, const char *key, store_val_fn fn, void *arg)
{
	reads++;
	if (fail_reads)
		return -1;
	return store_mem_ops.get(be, key, fn, arg);
}

static int64_t
test_clock(void *arg)
{
	(void)arg;
	return clock_now;
}

/* A store holding an enforce policy for example.com, reads working. */
static struct store *
store_with_policy(void)
{
	struct store_entry e;
	struct sts_policy p;
	struct store *st;
	char err[200];

	fail_ops = store_mem_ops;
	fail_ops.name = "failing";
	fail_ops.get = fail_get;
	fail_reads = reads = 0;
	clock_now = T0;
	st = store_open_ops(&fail_ops, "", NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(sts_policy_parse(POLICY, strlen(POLICY), &p, err,
	    sizeof(err)), 0);
	memset(&e, 0, sizeof(e));
	strcpy(e.domain, "example.com");
	strcpy(e.id, "id1");
	e.policy = sts_policy_to_json_text(&p);
	e.fetched_at = T0 - 100;
	e.expires_at = T0 + 86400;
	ck_assert_int_eq(store_put(st, &e), 0);
	free(e.policy);
	sts_policy_free(&p);
	return st;
}

static struct sts *
sts_over(struct loop *l, struct store *st)
{
	struct sts_config cf = { 0 };

	cf.failure_backoff = 300;
	cf.in_use_window = 86400;
	cf.now = test_clock;
	return sts_new(l, NULL, st, NULL, &cf);
}

/* The fixture of the sts tests: a loop, the store, sts over them. */
static struct loop *l;
static struct store *st;
static struct sts *s;

static void
setup(void)
{
	l = loop_new();
	st = store_with_policy();
	s = sts_over(l, st);
}

static void
teardown(void)
{
	sts_free(s);
	store_close(st);
	loop_free(l);
}

static enum sts_status
query(struct sts *sts)
{
	struct sts_result res;

	memset(&res, 0, sizeof(res));
	ck_assert_ptr_null(sts_query(sts, "example.com", 0, NULL, NULL, &res));
	return res.status;
}

/*
 * Reads fail: TEMP, not "no policy"; the store is read again only after
 * the back-off (1 s, then 2 s); once it reads, the stored policy answers.
 */
START_TEST(test_failed_read_is_temp)
{
	struct sts_stat ss;

	fail_reads = 1;
	ck_assert_int_eq(query(s), STS_TEMP);
	ck_assert_int_eq(reads, 1);
	ck_assert_int_eq(query(s), STS_TEMP);		/* backing off */
	ck_assert_int_eq(sts_cached_policy(s, "example.com"), 0);
	ck_assert_int_eq(reads, 1);
	clock_now += 1;
	ck_assert_int_eq(query(s), STS_TEMP);		/* read, failed again */
	ck_assert_int_eq(reads, 2);
	clock_now += 1;
	fail_reads = 0;
	ck_assert_int_eq(query(s), STS_TEMP);		/* 2 s back-off */
	ck_assert_int_eq(reads, 2);
	clock_now += 1;
	ck_assert_int_eq(query(s), STS_ENFORCE);
	ck_assert_int_eq(reads, 3);
	ck_assert_int_eq(query(s), STS_ENFORCE);	/* loaded: no more reads */
	ck_assert_int_eq(reads, 3);
	sts_status(s, &ss);
	ck_assert_uint_eq(ss.store_failures, 2);
}
END_TEST

/* The back-off is bounded: at most STS_LOAD_RETRY_MAX between reads. */
START_TEST(test_backoff_bounded)
{

	fail_reads = 1;
	for (int i = 0; i < 20; i++) {
		ck_assert_int_eq(query(s), STS_TEMP);
		clock_now += STS_LOAD_RETRY_MAX;
	}
	ck_assert_int_eq(reads, 20);
}
END_TEST

/* Lines of f that contain text. */
static int
count_lines(FILE *f, const char *text)
{
	char line[512];
	int n = 0;

	rewind(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, text) != NULL)
			n++;
	return n;
}

/* Read failures are logged at most once per STS_LOAD_LOG_EVERY, counted. */
START_TEST(test_failure_log_rate_limited)
{
	const char *doms[] = { "example.com", "a.example", "b.example",
	    "c.example", "d.example" };
	struct sts_result res;
	FILE *f = tmpfile();

	ck_assert_ptr_nonnull(f);
	fflush(stderr);
	ck_assert_int_eq(dup2(fileno(f), 2), 2);
	log_init("check_sts_store", 1, LOG_LVL_INFO);
	fail_reads = 1;
	for (size_t i = 0; i < 5; i++) {
		ck_assert_ptr_null(sts_query(s, doms[i], 0, NULL, NULL, &res));
		ck_assert_int_eq(res.status, STS_TEMP);
	}
	ck_assert_int_eq(count_lines(f, "policy store read failed"), 1);
	clock_now += STS_LOAD_LOG_EVERY;
	ck_assert_int_eq(query(s), STS_TEMP);
	ck_assert_int_eq(count_lines(f, "policy store read failed"), 2);
	ck_assert_int_eq(count_lines(f, "(4 other read failures"), 1);
}
END_TEST

/* A store with no entry still means "no policy" (not TEMP). */
START_TEST(test_missing_is_noinfo)
{
	struct sts_result res;

	memset(&res, 0, sizeof(res));
	ck_assert_ptr_null(sts_query(s, "example.org", 0, NULL, NULL, &res));
	ck_assert_int_eq(res.status, STS_NOINFO);
}
END_TEST

/* The engine's answer: TEMP, never NOTFOUND, while the store fails. */
START_TEST(test_engine_temp)
{
	struct loop *lp = loop_new();
	struct config *cf = params_new();
	struct engine *e = engine_new(lp, cf);
	struct store *store = store_with_policy();
	struct answer ans;

	engine_set_sts(e, sts_over(lp, store));
	fail_reads = 1;
	memset(&ans, 0, sizeof(ans));
	ck_assert_int_eq(engine_query(e, MAP_TLSPOLICY, strlen(MAP_TLSPOLICY),
	    "example.com", 11, &ans, NULL, NULL), 1);
	ck_assert_int_eq(ans.status, SM_TEMP);
	ck_assert_str_eq(ans.source, "mta-sts");
	answer_clear(&ans);
	clock_now += 2;
	fail_reads = 0;
	memset(&ans, 0, sizeof(ans));
	ck_assert_int_eq(engine_query(e, MAP_TLSPOLICY, strlen(MAP_TLSPOLICY),
	    "example.com", 11, &ans, NULL, NULL), 1);
	ck_assert_int_eq(ans.status, SM_OK);
	ck_assert_ptr_nonnull(strstr(ans.text, "secure match=mx.example.com"));
	answer_clear(&ans);
	engine_free(e);		/* and the sts it owns */
	store_close(store);
	config_free(cf);
	loop_free(lp);
}
END_TEST

static Suite *
sts_store_suite(void)
{
	Suite *suite = suite_create("sts_store");
	TCase *tc = tcase_create("sts");
	TCase *te = tcase_create("engine");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_failed_read_is_temp);
	tcase_add_test(tc, test_backoff_bounded);
	tcase_add_test(tc, test_missing_is_noinfo);
	tcase_add_test(tc, test_failure_log_rate_limited);
	suite_add_tcase(suite, tc);
	tcase_add_test(te, test_engine_temp);
	suite_add_tcase(suite, te);
	return suite;
}

int
main(void)
{
	SRunner *sr = srunner_create(sts_store_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
