/* SPDX-License-Identifier: MIT */
/* Unit tests for tlsmap/doctor.c: the pure judges of "tlsmap doctor". */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "doctor.h"

static const char postconf_out[] =
    "mail_version = 3.7.11\n"
    "smtp_tls_CAfile =\n"
    "smtp_tls_CApath = /etc/ssl/certs\n"
    "smtp_tls_policy_maps = socketmap:unix:/run/x:tlspolicy, hash:/etc/p\n"
    "queue_directory = /var/spool/postfix";	/* no final newline */

START_TEST(test_postconf_get)
{
	char v[64];

	ck_assert_int_eq(doctor_postconf_get(postconf_out, strlen(postconf_out),
	    "mail_version", v, sizeof(v)), 1);
	ck_assert_str_eq(v, "3.7.11");
	ck_assert_int_eq(doctor_postconf_get(postconf_out, strlen(postconf_out),
	    "smtp_tls_CAfile", v, sizeof(v)), 1);
	ck_assert_str_eq(v, "");
	ck_assert_int_eq(doctor_postconf_get(postconf_out, strlen(postconf_out),
	    "queue_directory", v, sizeof(v)), 1);
	ck_assert_str_eq(v, "/var/spool/postfix");
	/* A prefix of a name is not the name. */
	ck_assert_int_eq(doctor_postconf_get(postconf_out, strlen(postconf_out),
	    "smtp_tls_CA", v, sizeof(v)), 0);
	ck_assert_int_eq(doctor_postconf_get(postconf_out, strlen(postconf_out),
	    "mail_owner", v, sizeof(v)), 0);
	ck_assert_int_eq(doctor_postconf_get(postconf_out, strlen(postconf_out),
	    "smtp_tls_policy_maps", v, 10), -1);
	ck_assert_int_eq(doctor_postconf_get("", 0, "x", v, sizeof(v)), 0);
}
END_TEST

static const struct {
	const char *v;
	int major, minor, want;
} version_cases[] = {
	{ "3.7.11", 3, 10, 0 },
	{ "3.10.0", 3, 10, 1 },
	{ "3.10", 3, 10, 1 },
	{ "3.9.2", 3, 10, 0 },
	{ "4.0.0", 3, 10, 1 },
	{ "3.11-20250101", 3, 10, 1 },
	{ "2.11.3", 3, 10, 0 },
	{ "", 3, 10, -1 },
	{ "x3.10", 3, 10, -1 },
	{ "3", 3, 10, -1 },
	{ "3.x", 3, 10, -1 },
	{ "3.10a", 3, 10, -1 },
};

START_TEST(test_version)
{
	ck_assert_int_eq(doctor_version_at_least(version_cases[_i].v,
	    version_cases[_i].major, version_cases[_i].minor),
	    version_cases[_i].want);
}
END_TEST

static const struct {
	const char *maps;
	int want;
	const char *spec, *name;
} sm_cases[] = {
	{ "socketmap:unix:/run/tlspolicyd/socketmap:tlspolicy", 1,
	  "unix:/run/tlspolicyd/socketmap", "tlspolicy" },
	{ "hash:/etc/postfix/tls_policy, socketmap:inet:127.0.0.1:10026:tlspolicy", 1,
	  "inet:127.0.0.1:10026", "tlspolicy" },
	{ "proxy:socketmap:inet:[::1]:10026:tlspolicy-tlsrpt", 1,
	  "inet:[::1]:10026", "tlspolicy-tlsrpt" },
	{ "  socketmap:unix:tlspolicyd/socketmap:tlspolicy  ", 1,
	  "unix:tlspolicyd/socketmap", "tlspolicy" },
	{ "hash:/etc/postfix/tls_policy", 0, "", "" },
	{ "", 0, "", "" },
	{ "socketmap:unix:/run/x", -1, "", "" },		/* no name */
	{ "socketmap:unix:/run/x:", -1, "", "" },	/* empty name */
	{ "socketmap:inet:10026:tlspolicy", -1, "", "" },	/* no host */
	{ "socketmap:tcp:h:1:tlspolicy", -1, "", "" },
	{ "socketmap:", -1, "", "" },
};

START_TEST(test_find_socketmap)
{
	struct doctor_sm sm;
	int rc = doctor_find_socketmap(sm_cases[_i].maps, &sm);

	ck_assert_int_eq(rc, sm_cases[_i].want);
	if (rc == 1) {
		ck_assert_str_eq(sm.spec, sm_cases[_i].spec);
		ck_assert_str_eq(sm.name, sm_cases[_i].name);
	}
}
END_TEST

START_TEST(test_map_name)
{
	const char *why = NULL;

	ck_assert_int_eq(doctor_map_name_ok("tlspolicy", "3.7.11", &why), 1);
	ck_assert_int_eq(doctor_map_name_ok("tlspolicy", "3.10.1", &why), 1);
	ck_assert_int_eq(doctor_map_name_ok("tlspolicy-tlsrpt", "3.10.1", &why), 1);
	ck_assert_int_eq(doctor_map_name_ok("tlspolicy-tlsrpt", "3.7.11", &why), 0);
	ck_assert_ptr_nonnull(strstr(why, "before 3.10"));
	why = NULL;
	ck_assert_int_eq(doctor_map_name_ok("tlspol", "3.10.1", &why), 0);
	ck_assert_ptr_nonnull(why);
	/* An unparsable version is not taken for a new one. */
	ck_assert_int_eq(doctor_map_name_ok("tlspolicy-tlsrpt", "", &why), 0);
}
END_TEST

START_TEST(test_master_chroot)
{
	ck_assert_int_eq(doctor_master_chroot(
	    "smtp       unix  -       -       y       -       -       smtp\n"), 1);
	ck_assert_int_eq(doctor_master_chroot(
	    "smtp unix - - n - - smtp"), 0);
	ck_assert_int_eq(doctor_master_chroot(
	    "smtp unix - - - - - smtp -o smtp_helo_timeout=5"), 0);
	ck_assert_int_eq(doctor_master_chroot("smtp unix - - y"), -1);
	ck_assert_int_eq(doctor_master_chroot("smtp unix - - yes - - smtp"), -1);
	ck_assert_int_eq(doctor_master_chroot(""), -1);
}
END_TEST

START_TEST(test_may)
{
	gid_t pf[] = { 100, 117 };

	/* Owner bits only for the owner, even when others may more. */
	ck_assert_int_eq(doctor_may(0066, 50, 117, 50, pf, 2, 2), 0);
	ck_assert_int_eq(doctor_may(0660, 50, 117, 50, pf, 2, 2), 1);
	/* Group member. */
	ck_assert_int_eq(doctor_may(0660, 0, 117, 50, pf, 2, 2), 1);
	ck_assert_int_eq(doctor_may(0640, 0, 117, 50, pf, 2, 2), 0);
	/* Neither: the other bits. */
	ck_assert_int_eq(doctor_may(0660, 0, 118, 50, pf, 2, 2), 0);
	ck_assert_int_eq(doctor_may(0666, 0, 118, 50, pf, 2, 2), 1);
	ck_assert_int_eq(doctor_may(0755, 0, 0, 50, pf, 2, 1), 1);
	ck_assert_int_eq(doctor_may(0750, 0, 0, 50, pf, 2, 1), 0);
	ck_assert_int_eq(doctor_may(0700, 0, 0, 50, pf, 2, 5), 0);
	ck_assert_int_eq(doctor_may(0705, 0, 0, 50, pf, 2, 5), 1);
	/* root may. */
	ck_assert_int_eq(doctor_may(0000, 1, 1, 0, NULL, 0, 2), 1);
}
END_TEST

START_TEST(test_same_listener)
{
	ck_assert_int_eq(doctor_same_listener("unix:/run/a", "unix:/run/a"), 1);
	ck_assert_int_eq(doctor_same_listener("unix:/run/a", "unix:/run/b"), 0);
	ck_assert_int_eq(doctor_same_listener("inet:127.0.0.1:10026",
	    "inet:localhost:10026"), 1);
	ck_assert_int_eq(doctor_same_listener("inet:127.0.0.1:10026",
	    "inet:localhost:10027"), 0);
	ck_assert_int_eq(doctor_same_listener("inet:192.0.2.1:10026",
	    "inet:localhost:10026"), 0);
	ck_assert_int_eq(doctor_same_listener("unix:/run/a", "inet:localhost:1"), 0);
}
END_TEST

static Suite *
doctor_suite(void)
{
	Suite *s = suite_create("doctor");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_postconf_get);
	tcase_add_loop_test(tc, test_version, 0,
	    sizeof(version_cases) / sizeof(version_cases[0]));
	tcase_add_loop_test(tc, test_find_socketmap, 0,
	    sizeof(sm_cases) / sizeof(sm_cases[0]));
	tcase_add_test(tc, test_map_name);
	tcase_add_test(tc, test_master_chroot);
	tcase_add_test(tc, test_may);
	tcase_add_test(tc, test_same_listener);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(doctor_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
