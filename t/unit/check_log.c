/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/log.c: priority prefixes on the journal stream. */
#include "config.h"

#include <sys/stat.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

/*
 * Point stderr at a fresh temporary file, name it in JOURNAL_STREAM (or
 * not), log one line per level and return what was written.
 */
static char *
log_lines(int name_it, const char *journal_stream)
{
	static char buf[4096];
	char path[] = "/tmp/check_log.XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	struct stat st;
	char js[64];
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(saved, 0);
	unlink(path);
	ck_assert_int_eq(dup2(fd, 2), 2);
	ck_assert_int_eq(fstat(2, &st), 0);
	if (journal_stream != NULL)
		setenv("JOURNAL_STREAM", journal_stream, 1);
	else if (name_it) {
		snprintf(js, sizeof(js), "%llu:%llu",
		    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
		setenv("JOURNAL_STREAM", js, 1);
	} else
		unsetenv("JOURNAL_STREAM");
	log_init("prog", 1, LOG_LVL_DEBUG);
	log_err("e %d", 1);
	log_warn("w");
	log_notice("n");
	log_info("i");
	log_debug("d");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	unsetenv("JOURNAL_STREAM");
	return buf;
}

START_TEST(test_journal_prefix)
{
	ck_assert_str_eq(log_lines(1, NULL),
	    "<3>prog: error: e 1\n"
	    "<4>prog: warning: w\n"
	    "<5>prog: n\n"
	    "<6>prog: i\n"
	    "<7>prog: d\n");
}
END_TEST

START_TEST(test_plain_stderr)
{
	const char *plain = "prog: error: e 1\nprog: warning: w\nprog: n\n"
	    "prog: i\nprog: d\n";

	/* No variable, another stream's numbers, and garbage: no prefix. */
	ck_assert_str_eq(log_lines(0, NULL), plain);
	ck_assert_str_eq(log_lines(0, "1:1"), plain);
	ck_assert_str_eq(log_lines(0, "x:y"), plain);
	ck_assert_str_eq(log_lines(0, ""), plain);
}
END_TEST

START_TEST(test_facility_parse)
{
	ck_assert_int_eq(log_facility_parse("mail"), LOG_MAIL);
	ck_assert_int_eq(log_facility_parse("daemon"), LOG_DAEMON);
	ck_assert_int_eq(log_facility_parse("local0"), LOG_LOCAL0);
	ck_assert_int_eq(log_facility_parse("local7"), LOG_LOCAL7);
	ck_assert_int_eq(log_facility_parse("local8"), -1);
	ck_assert_int_eq(log_facility_parse("Mail"), -1);
	ck_assert_int_eq(log_facility_parse(""), -1);
}
END_TEST

START_TEST(test_limit)
{
	struct log_limit ll = { 0 };
	unsigned long held = 99;

	/* The first line passes; more within the interval are held back
	 * and counted; the next one after it passes with that count. */
	ck_assert_int_eq(log_limit_ok_at(&ll, 1000, 60000, &held), 1);
	ck_assert_uint_eq(held, 0);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(log_limit_ok_at(&ll, 1000 + i * 1000, 60000,
		    &held), 0);
	ck_assert_int_eq(log_limit_ok_at(&ll, 60999, 60000, &held), 0);
	ck_assert_int_eq(log_limit_ok_at(&ll, 61000, 60000, &held), 1);
	ck_assert_uint_eq(held, 6);
	ck_assert_int_eq(log_limit_ok_at(&ll, 61001, 60000, &held), 0);
	ck_assert_int_eq(log_limit_ok_at(&ll, 200000, 60000, &held), 1);
	ck_assert_uint_eq(held, 1);
	/* A clock that starts at 0 or below still passes the first line. */
	memset(&ll, 0, sizeof(ll));
	ck_assert_int_eq(log_limit_ok_at(&ll, -5, 1000, NULL), 1);
	ck_assert_int_eq(log_limit_ok_at(&ll, -4, 1000, NULL), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_journal_prefix);
	tcase_add_test(tc, test_plain_stderr);
	tcase_add_test(tc, test_facility_parse);
	tcase_add_test(tc, test_limit);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
