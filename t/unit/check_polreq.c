/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/polreq.c: the policy delegation codec. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "polreq.h"

/* Every attribute Postfix 3.7.11 sends, in its order (RCPT over TLS). */
static const char req37[] =
    "request=smtpd_access_policy\n"
    "protocol_state=RCPT\n"
    "protocol_name=ESMTP\n"
    "client_address=192.0.2.10\n"
    "client_name=mail.example.org\n"
    "client_port=50123\n"
    "reverse_client_name=mail.example.org\n"
    "server_address=198.51.100.5\n"
    "server_port=25\n"
    "helo_name=mail.example.org\n"
    "sender=alice@example.org\n"
    "recipient=bob@example.com\n"
    "recipient_count=0\n"
    "queue_id=\n"
    "instance=1f5a.6641d2c3.8b2e1.0\n"
    "size=0\n"
    "etrn_domain=\n"
    "stress=\n"
    "sasl_method=\n"
    "sasl_username=\n"
    "sasl_sender=\n"
    "ccert_subject=\n"
    "ccert_issuer=\n"
    "ccert_fingerprint=\n"
    "ccert_pubkey_fingerprint=\n"
    "encryption_protocol=TLSv1.3\n"
    "encryption_cipher=TLS_AES_256_GCM_SHA384\n"
    "encryption_keysize=256\n"
    "policy_context=\n"
    "\n";

static struct polreq q;		/* 32 KiB: not on the stack */

START_TEST(test_full_request)
{
	char err[100];
	size_t used = 0;

	ck_assert_int_eq(polreq_parse(req37, strlen(req37), &q, &used, err,
	    sizeof(err)), POLREQ_OK);
	ck_assert_uint_eq(used, strlen(req37));
	ck_assert_int_eq(q.nlines, 29);
	ck_assert_str_eq(polreq_get(&q, PR_REQUEST), "smtpd_access_policy");
	ck_assert_str_eq(polreq_get(&q, PR_PROTOCOL_STATE), "RCPT");
	ck_assert_str_eq(polreq_get(&q, PR_CLIENT_ADDRESS), "192.0.2.10");
	ck_assert_str_eq(polreq_get(&q, PR_SERVER_PORT), "25");
	ck_assert_str_eq(polreq_get(&q, PR_SENDER), "alice@example.org");
	ck_assert_str_eq(polreq_get(&q, PR_RECIPIENT), "bob@example.com");
	ck_assert_str_eq(polreq_get(&q, PR_ENCRYPTION_PROTOCOL), "TLSv1.3");
	ck_assert_str_eq(polreq_get(&q, PR_ENCRYPTION_CIPHER),
	    "TLS_AES_256_GCM_SHA384");
	ck_assert_str_eq(polreq_get(&q, PR_ENCRYPTION_KEYSIZE), "256");
	ck_assert_str_eq(polreq_get(&q, PR_INSTANCE), "1f5a.6641d2c3.8b2e1.0");
	/* Sent empty: present; 3.8+ attributes: absent. */
	ck_assert(polreq_has(&q, PR_CCERT_SUBJECT));
	ck_assert_str_eq(polreq_get(&q, PR_CCERT_SUBJECT), "");
	ck_assert(!polreq_has(&q, PR_TLS_SNI));
	ck_assert(!polreq_has(&q, PR_COMPATIBILITY_LEVEL));
	ck_assert_str_eq(polreq_get(&q, PR_TLS_SNI), "");
}
END_TEST

/* Edge case 1: every prefix is incomplete, never an error. */
START_TEST(test_split_reads)
{
	char err[100];
	size_t used;

	for (size_t n = 0; n < strlen(req37); n++)
		ck_assert_int_eq(polreq_parse(req37, n, &q, &used, err,
		    sizeof(err)), POLREQ_INCOMPLETE);
}
END_TEST

/* Edge case 1: two requests in one read are two requests. */
START_TEST(test_two_requests)
{
	char buf[4096], err[100];
	size_t used = 0, l1 = strlen(req37);

	snprintf(buf, sizeof(buf), "%s%s", req37,
	    "request=smtpd_access_policy\nprotocol_state=DATA\n\n");
	ck_assert_int_eq(polreq_parse(buf, strlen(buf), &q, &used, err,
	    sizeof(err)), POLREQ_OK);
	ck_assert_uint_eq(used, l1);
	ck_assert_str_eq(polreq_get(&q, PR_PROTOCOL_STATE), "RCPT");
	ck_assert_int_eq(polreq_parse(buf + used, strlen(buf) - used, &q, &used,
	    err, sizeof(err)), POLREQ_OK);
	ck_assert_uint_eq(used, strlen(buf) - l1);
	ck_assert_str_eq(polreq_get(&q, PR_PROTOCOL_STATE), "DATA");
	/* The second request does not inherit the first one's values. */
	ck_assert(!polreq_has(&q, PR_SENDER));
}
END_TEST

/* Edge case 2: unknown ignored, duplicates keep the first, any order. */
START_TEST(test_unknown_duplicate)
{
	const char *in =
	    "x_future=1\n"
	    "sender=first@example.org\n"
	    "protocol_state=MAIL\n"
	    "request=smtpd_access_policy\n"
	    "sender=second@evil.example\n"
	    "weird name with spaces=v=w\n"
	    "\n";
	char err[100];
	size_t used;

	ck_assert_int_eq(polreq_parse(in, strlen(in), &q, &used, err,
	    sizeof(err)), POLREQ_OK);
	ck_assert_str_eq(polreq_get(&q, PR_SENDER), "first@example.org");
	ck_assert_str_eq(polreq_get(&q, PR_PROTOCOL_STATE), "MAIL");
	ck_assert_int_eq(q.nlines, 6);
}
END_TEST

/*
 * Every attribute name is found as itself (the hash index), and names
 * that differ in length, case or one byte are not.
 */
START_TEST(test_every_name)
{
	static const char *near[] = { "reques", "requestx", "Request",
	    "sendeR", "sender_", "_sender", "client_addresS", "tls_sn",
	    "ccert_fingerprinT", "size ", "s", "" };
	char buf[POLREQ_MAX_REQUEST], name[64], err[100];
	size_t off = 0, used, i;

	/* Near misses first: taken for a known name, they would win. */
	for (i = 0; i < sizeof(near) / sizeof(near[0]); i++)
		if (near[i][0] != '\0')
			off += (size_t)snprintf(buf + off, sizeof(buf) - off,
			    "%s=near\n", near[i]);
	for (i = 0; i < PR_NATTRS; i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
		    "%s=v%zu\n", polreq_attr_name((enum polreq_attr)i), i);
	off += (size_t)snprintf(buf + off, sizeof(buf) - off, "\n");
	ck_assert_int_eq(polreq_parse(buf, off, &q, &used, err,
	    sizeof(err)), POLREQ_OK);
	for (i = 0; i < PR_NATTRS; i++) {
		snprintf(name, sizeof(name), "v%zu", i);
		ck_assert_str_eq(polreq_get(&q, (enum polreq_attr)i), name);
	}
}
END_TEST

/* Values may hold '=' and anything but NUL and LF. */
START_TEST(test_values)
{
	const char *in = "ccert_subject=CN+3Dx=y\rz\nclient_name=\n\n";
	char err[100];
	size_t used;

	ck_assert_int_eq(polreq_parse(in, strlen(in), &q, &used, err,
	    sizeof(err)), POLREQ_OK);
	ck_assert_str_eq(polreq_get(&q, PR_CCERT_SUBJECT), "CN+3Dx=y\rz");
	ck_assert_str_eq(polreq_get(&q, PR_CLIENT_NAME), "");
}
END_TEST

static const struct {
	const char *in;
	size_t len;		/* 0: strlen */
	const char *why;
} bad_cases[] = {
	{ "\n", 0, "empty request" },
	{ "request\n\n", 0, "without '='" },
	{ "=x\n\n", 0, "empty attribute name" },
	{ "request=a\0b\n\n", 13, "NUL" },
	{ "request=a\0b", 11, "NUL" },		/* refused before LF */
	{ "sender=a\nprotocol_state\n", 0, "without '='" },
};

START_TEST(test_malformed)
{
	char err[100] = "";
	size_t used;
	size_t len = bad_cases[_i].len ? bad_cases[_i].len
	    : strlen(bad_cases[_i].in);

	ck_assert_int_eq(polreq_parse(bad_cases[_i].in, len, &q, &used, err,
	    sizeof(err)), POLREQ_ERR);
	ck_assert_msg(strstr(err, bad_cases[_i].why) != NULL, "err \"%s\"", err);
}
END_TEST

/* Edge case 14: limits, also before the line or request is complete. */
START_TEST(test_limits)
{
	static char buf[POLREQ_MAX_REQUEST * 2];
	char err[100];
	size_t used, n;

	/* A line of exactly the limit (LF included) is fine. */
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "sender=", 7);
	buf[POLREQ_MAX_LINE - 1] = '\n';
	buf[POLREQ_MAX_LINE] = '\n';
	ck_assert_int_eq(polreq_parse(buf, POLREQ_MAX_LINE + 1, &q, &used, err,
	    sizeof(err)), POLREQ_OK);
	ck_assert_uint_eq(strlen(polreq_get(&q, PR_SENDER)), POLREQ_MAX_LINE - 8);
	/* One more byte: refused, with or without its LF. */
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "sender=", 7);
	ck_assert_int_eq(polreq_parse(buf, POLREQ_MAX_LINE - 1, &q, &used, err,
	    sizeof(err)), POLREQ_INCOMPLETE);
	ck_assert_int_eq(polreq_parse(buf, POLREQ_MAX_LINE, &q, &used, err,
	    sizeof(err)), POLREQ_ERR);
	ck_assert(strstr(err, "too long") != NULL);
	/* 101 attribute lines. */
	n = 0;
	for (int i = 0; i <= POLREQ_MAX_ATTRS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "x%d=1\n", i);
	ck_assert_int_eq(polreq_parse(buf, n, &q, &used, err, sizeof(err)),
	    POLREQ_ERR);
	ck_assert(strstr(err, "too many") != NULL);
	/* 100 lines are fine. */
	n = 0;
	for (int i = 0; i < POLREQ_MAX_ATTRS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "x%d=1\n", i);
	buf[n++] = '\n';
	ck_assert_int_eq(polreq_parse(buf, n, &q, &used, err, sizeof(err)),
	    POLREQ_OK);
	/* Too many bytes in all, in lines below the line limit. */
	n = 0;
	while (n < POLREQ_MAX_REQUEST + 10) {
		memset(buf + n, 'v', 2000);
		memcpy(buf + n, "sender=", 7);
		buf[n + 1999] = '\n';
		n += 2000;
	}
	ck_assert_int_eq(polreq_parse(buf, n, &q, &used, err, sizeof(err)),
	    POLREQ_ERR);
	ck_assert(strstr(err, "too large") != NULL);
	/* A buffer of POLREQ_MAX_REQUEST bytes without an end is an error. */
	ck_assert_int_eq(polreq_parse(buf, POLREQ_MAX_REQUEST, &q, &used, err,
	    sizeof(err)), POLREQ_ERR);
}
END_TEST

/* Edge cases 11 and 15: exact bytes, and nothing Postfix reads as OK. */
START_TEST(test_reply)
{
	char out[600];
	const char *why;
	size_t n;

	n = polreq_format_reply(out, sizeof(out), "DUNNO", &why);
	ck_assert_uint_eq(n, 14);
	ck_assert(memcmp(out, "action=DUNNO\n\n", 14) == 0);
	n = polreq_format_reply(out, sizeof(out),
	    "450 4.7.0 TLS required for mail from partner.example (rule p)", &why);
	ck_assert_uint_gt(n, 0);
	ck_assert(memcmp(out, "action=450 4.7.0 TLS", 20) == 0);
	ck_assert(memchr(out, '\r', n) == NULL);
	ck_assert(out[n - 1] == '\n' && out[n - 2] == '\n' && out[n - 3] != '\n');
	/* Too small a buffer: 0, even by one byte. */
	ck_assert_uint_eq(polreq_format_reply(out, 13, "DUNNO", &why), 0);
	ck_assert_uint_eq(polreq_format_reply(out, 14, "DUNNO", &why), 14);
}
END_TEST

static const struct {
	const char *action;
	int ok;
} action_cases[] = {
	{ "DUNNO", 1 },
	{ "REJECT", 1 },
	{ "FILTER smtp-tls:", 1 },
	{ "PREPEND X-TLS-Policy: rule=a", 1 },
	{ "450 4.7.0 TLS required", 1 },
	{ "550 x", 1 },
	{ "", 0 },			/* empty restriction list: permit */
	{ "450", 0 },			/* all-numeric: permit */
	{ "450 ", 0 },
	{ "450   ", 0 },
	{ "4500 text", 0 },
	{ "250 ok", 0 },
	{ "45 text", 0 },
	{ "450\ttext", 0 },
	{ "DUNNO\r", 0 },
	{ "DUNNO\n", 0 },
	{ "DEFER x\ny", 0 },
	{ " DUNNO", 0 },
	{ "REJECT caf\xc3\xa9", 0 },
};

START_TEST(test_action_safe)
{
	const char *why = NULL;
	char out[64];

	ck_assert_int_eq(polreq_action_safe(action_cases[_i].action, &why),
	    action_cases[_i].ok ? 0 : -1);
	if (!action_cases[_i].ok) {
		ck_assert_ptr_nonnull(why);
		ck_assert_uint_eq(polreq_format_reply(out, sizeof(out),
		    action_cases[_i].action, &why), 0);
	}
}
END_TEST

START_TEST(test_action_too_long)
{
	char a[POLREQ_MAX_ACTION + 2];
	const char *why;

	memset(a, 'x', sizeof(a));
	memcpy(a, "REJECT ", 7);
	a[POLREQ_MAX_ACTION] = '\0';
	ck_assert_int_eq(polreq_action_safe(a, &why), 0);
	a[POLREQ_MAX_ACTION] = 'x';
	a[POLREQ_MAX_ACTION + 1] = '\0';
	ck_assert_int_eq(polreq_action_safe(a, &why), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("polreq");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_full_request);
	tcase_add_test(tc, test_every_name);
	tcase_add_test(tc, test_split_reads);
	tcase_add_test(tc, test_two_requests);
	tcase_add_test(tc, test_unknown_duplicate);
	tcase_add_test(tc, test_values);
	tcase_add_loop_test(tc, test_malformed, 0,
	    sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_reply);
	tcase_add_loop_test(tc, test_action_safe, 0,
	    sizeof(action_cases) / sizeof(action_cases[0]));
	tcase_add_test(tc, test_action_too_long);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
