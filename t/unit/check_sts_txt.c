/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/sts_txt.c (RFC 8461 3.1 TXT discovery record). */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sts_txt.h"

/* One record, the whole RRset. */
static const struct {
	const char *in;
	enum sts_txt_status want;
	const char *id;
} one_cases[] = {
	{ "v=STSv1; id=20160831085700Z;", STS_TXT_OK, "20160831085700Z" },
	{ "v=STSv1; id=20160831085700Z", STS_TXT_OK, "20160831085700Z" },
	{ "v=STSv1;id=a", STS_TXT_OK, "a" },
	{ "v=STSv1 ; id=a", STS_TXT_OK, "a" },		/* erratum 6285 */
	{ "v=STSv1\t;\tid=a\t;\t", STS_TXT_OK, "a" },
	{ "v=STSv1; id=a; ext=x", STS_TXT_OK, "a" },
	{ "v=STSv1; ext=x; id=b", STS_TXT_OK, "b" },
	{ "v=STSv1; a_b-c.d=!\"#$%&'()*+,-./0123456789:<>?@~; id=c",
	  STS_TXT_OK, "c" },
	{ "v=STSv1; id=first; id=second", STS_TXT_OK, "first" },
	{ "v=STSv1; id=ok; id=bad-id", STS_TXT_INVALID, "" },
	{ "v=STSv1; ID=x; id=y", STS_TXT_OK, "y" },	/* ID= is extension */
	{ "v=STSv1; id=12345678901234567890123456789012", STS_TXT_OK,
	  "12345678901234567890123456789012" },
	/* Invalid: digest "Edge cases" 4 and grammar. */
	{ "v=STSv1; id=123456789012345678901234567890123", STS_TXT_INVALID, "" },
	{ "v=STSv1; id=a-b", STS_TXT_INVALID, "" },
	{ "v=STSv1; id=a_b", STS_TXT_INVALID, "" },
	{ "v=STSv1; id=a.b", STS_TXT_INVALID, "" },
	{ "v=STSv1", STS_TXT_INVALID, "" },
	{ "v=STSv1;", STS_TXT_INVALID, "" },
	{ "v=STSv1; ", STS_TXT_INVALID, "" },
	{ "v=STSv1; ext=x", STS_TXT_INVALID, "" },	/* no id */
	{ "v=STSv1; ID=x", STS_TXT_INVALID, "" },
	{ "v=STSv1; id=", STS_TXT_INVALID, "" },
	{ "v=STSv1; id", STS_TXT_INVALID, "" },
	{ "v=STSv1; id=a;;", STS_TXT_INVALID, "" },
	{ "v=STSv1;; id=a", STS_TXT_INVALID, "" },
	{ "v=STSv1 id=a", STS_TXT_INVALID, "" },	/* no ';' */
	{ "v=STSv1; id=a ", STS_TXT_INVALID, "" },	/* WSP, no ';' */
	{ "v=STSv1; id=a b", STS_TXT_INVALID, "" },
	{ "v=STSv1; id=a=b", STS_TXT_INVALID, "" },
	{ "v=STSv1; id==a", STS_TXT_INVALID, "" },
	{ "v=STSv1; ext==x; id=a", STS_TXT_INVALID, "" },
	{ "v=STSv1; ext=; id=a", STS_TXT_INVALID, "" },
	{ "v=STSv1; _ext=x; id=a", STS_TXT_INVALID, "" },
	{ "v=STSv1; -ext=x; id=a", STS_TXT_INVALID, "" },
	{ "v=STSv1; e23456789012345678901234567890123=x; id=a",
	  STS_TXT_INVALID, "" },			/* 33-char name */
	{ "v=STSv1; e2345678901234567890123456789012=x; id=a",
	  STS_TXT_OK, "a" },				/* 32-char name */
	{ "v=STSv1; ext=\x80; id=a", STS_TXT_INVALID, "" },
	{ "v=STSv1; id=\xc3\xa9", STS_TXT_INVALID, "" },
	{ "v=STSv1; id=a\r\n", STS_TXT_INVALID, "" },
	/* Not STS at all (case-sensitive, order matters). */
	{ "V=STSv1; id=a", STS_TXT_NONE, "" },
	{ "v=stsv1; id=a", STS_TXT_NONE, "" },
	{ "v=STSv10; id=a", STS_TXT_NONE, "" },
	{ "id=x; v=STSv1", STS_TXT_NONE, "" },
	{ " v=STSv1; id=a", STS_TXT_NONE, "" },
	{ "", STS_TXT_NONE, "" },
	{ "v=spf1 -all", STS_TXT_NONE, "" },
};

START_TEST(test_one_record)
{
	struct sts_txt_rec rec = { one_cases[_i].in, strlen(one_cases[_i].in) };
	char id[STS_ID_MAX + 1] = "junk";
	char err[128];
	enum sts_txt_status st = sts_txt_parse(&rec, 1, id, err, sizeof(err));

	ck_assert_msg(st == one_cases[_i].want, "\"%s\": got %d want %d (%s)",
	    one_cases[_i].in, st, one_cases[_i].want, err);
	ck_assert_str_eq(id, one_cases[_i].id);
	if (st != STS_TXT_OK)
		ck_assert(err[0] != '\0');
	else
		ck_assert_str_eq(err, "");
}
END_TEST

/* Edge case 1: an SPF record next to the STS record is ignored. */
START_TEST(test_other_records_ignored)
{
	struct sts_txt_rec recs[] = {
		{ "v=spf1 -all", 11 },
		{ "v=STSv1; id=a", 13 },
		{ "google-site-verification=xyz", 28 },
	};
	char id[STS_ID_MAX + 1], err[128];

	ck_assert_int_eq(sts_txt_parse(recs, 3, id, err, sizeof(err)),
	    STS_TXT_OK);
	ck_assert_str_eq(id, "a");
}
END_TEST

/* Edge case 2: two STS records, even identical ones, mean no policy. */
START_TEST(test_two_sts_records)
{
	struct sts_txt_rec recs[] = {
		{ "v=STSv1; id=a", 13 },
		{ "v=STSv1; id=a", 13 },
	};
	char id[STS_ID_MAX + 1], err[128];

	ck_assert_int_eq(sts_txt_parse(recs, 2, id, err, sizeof(err)),
	    STS_TXT_INVALID);
	ck_assert_str_eq(id, "");
	ck_assert_ptr_nonnull(strstr(err, "2 v=STSv1 records"));
}
END_TEST

/* A broken STS record and a good one are still two STS records. */
START_TEST(test_broken_plus_good)
{
	struct sts_txt_rec recs[] = {
		{ "v=STSv1", 7 },
		{ "v=STSv1; id=a", 13 },
	};
	char id[STS_ID_MAX + 1], err[128];

	ck_assert_int_eq(sts_txt_parse(recs, 2, id, err, sizeof(err)),
	    STS_TXT_INVALID);
}
END_TEST

/*
 * Edge case 3: the DNS layer concatenates "v=STSv1; id=20" "240101"
 * without a space; the parser must see one id, and reads no further
 * than len (no NUL terminator, trailing garbage in the buffer).
 */
START_TEST(test_concatenated_and_bounded)
{
	const char buf[] = "v=STSv1; id=20240101GARBAGE";
	struct sts_txt_rec rec = { buf, 20 };
	char id[STS_ID_MAX + 1], err[128];

	ck_assert_int_eq(sts_txt_parse(&rec, 1, id, err, sizeof(err)),
	    STS_TXT_OK);
	ck_assert_str_eq(id, "20240101");
}
END_TEST

/* A NUL byte inside a record is not part of any field. */
START_TEST(test_nul_byte)
{
	struct sts_txt_rec rec = { "v=STSv1; id=a\0b", 15 };
	char id[STS_ID_MAX + 1], err[128];

	ck_assert_int_eq(sts_txt_parse(&rec, 1, id, err, sizeof(err)),
	    STS_TXT_INVALID);
}
END_TEST

START_TEST(test_empty_rrset_and_small_err)
{
	char id[STS_ID_MAX + 1], err[4];
	struct sts_txt_rec rec = { "v=STSv1; id=a-b", 15 };

	ck_assert_int_eq(sts_txt_parse(NULL, 0, id, err, sizeof(err)),
	    STS_TXT_NONE);
	ck_assert_int_eq(sts_txt_parse(&rec, 1, id, err, sizeof(err)),
	    STS_TXT_INVALID);
	ck_assert_uint_eq(strlen(err), 3);	/* truncated, terminated */
	ck_assert_int_eq(sts_txt_parse(&rec, 1, id, NULL, 0),
	    STS_TXT_INVALID);
}
END_TEST

static Suite *
sts_txt_suite(void)
{
	Suite *s = suite_create("sts_txt");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_one_record, 0,
	    sizeof(one_cases) / sizeof(one_cases[0]));
	tcase_add_test(tc, test_other_records_ignored);
	tcase_add_test(tc, test_two_sts_records);
	tcase_add_test(tc, test_broken_plus_good);
	tcase_add_test(tc, test_concatenated_and_bounded);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_empty_rrset_and_small_err);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sts_txt_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
