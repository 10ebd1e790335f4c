/* SPDX-License-Identifier: MIT */
/* Unit tests for policyd/inbound.c: the rules file and its evaluation. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inbound.h"
#include "polreq.h"

/*
 * A recorded Postfix 3.7 request: plaintext RCPT.  Cases put their own
 * lines in front; the codec keeps the first of duplicates, so those win.
 */
static const char base_req[] =
    "request=smtpd_access_policy\n"
    "protocol_state=RCPT\n"
    "protocol_name=ESMTP\n"
    "client_address=203.0.113.9\n"
    "client_name=mx.other.example\n"
    "client_port=50123\n"
    "reverse_client_name=mx.other.example\n"
    "server_address=198.51.100.5\n"
    "server_port=25\n"
    "helo_name=mx.other.example\n"
    "sender=alice@other.example\n"
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
    "encryption_protocol=\n"
    "encryption_cipher=\n"
    "encryption_keysize=0\n"
    "policy_context=\n"
    "\n";

#define TLS13	"encryption_protocol=TLSv1.3\n" \
		"encryption_cipher=TLS_AES_256_GCM_SHA384\n" \
		"encryption_keysize=256\n"
#define TLS12	"encryption_protocol=TLSv1.2\n" \
		"encryption_cipher=ECDHE-RSA-AES128-GCM-SHA256\n" \
		"encryption_keysize=128\n"
#define TLS10	"encryption_protocol=TLSv1\n" \
		"encryption_cipher=ECDHE-RSA-AES256-SHA\n" \
		"encryption_keysize=256\n"

/* sha256 of a made-up certificate, as Postfix prints it. */
#define FP256 "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:" \
	      "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"
#define FP256_OTHER "00:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:" \
	      "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"
#define FPMD5 "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"

static const char rules_text[] =
    "# Inbound TLS rules used by the tests.\n"
    "exempt      client_address=198.51.100.7\n"
    "partner-tls sender_domain=partner.example require=tls\n"
    "            min_protocol=TLSv1.2 action=defer\n"
    "to-secure   recipient_domain=secure.example,.secure.example\n"
    "            require=tls action=reject\n"
    "pinned      client_address=192.0.2.0/24,2001:db8::/32\n"
    "            fingerprint=abcdef0123456789abcdef0123456789"
    "abcdef0123456789abcdef0123456789 action=reject\n"
    "verified    client_name=.certs.example require=ccert action=reject\n"
    "keysz       server_port=2525 min_keysize=128 action=defer\n"
    "wrapper     server_port=465 require=tls min_protocol=TLSv1.2 "
    "action=reject\n"
    "routed      sender_domain=outbound.example require=tls "
    "filter=smtp-tls: prepend=yes\n"
    "watch       reverse_client_name=.watch.example require=tls action=warn\n"
    "sasl        sasl_username=alice require=tls min_protocol=TLSv1.3\n"
    "            action=reject\n"
    "tls-only    server_port=2526 tls=yes min_protocol=TLSv1.2 action=reject\n"
    "plain-only  server_port=2527 tls=no\n";

static struct inbound *rules;
static struct polreq q;

static void
setup(void)
{
	char err[300];

	rules = inbound_parse(rules_text, strlen(rules_text), "rules", err,
	    sizeof(err));
	ck_assert_msg(rules != NULL, "%s", err);
}

static void
teardown(void)
{
	inbound_free(rules);
}

static void
eval(const char *extra, struct inb_result *res)
{
	static char buf[8192];
	char err[100];
	size_t used;

	snprintf(buf, sizeof(buf), "%s%s", extra, base_req);
	ck_assert_int_eq(polreq_parse(buf, strlen(buf), &q, &used, err,
	    sizeof(err)), POLREQ_OK);
	inbound_eval(rules, &q, res);
}

static const struct eval_case {
	const char *what;
	const char *extra;
	enum inb_outcome outcome;
	const char *rule;		/* NULL: none */
	const char *action;		/* exact */
	const char *missing;		/* substring, NULL: empty */
	const char *note;		/* substring, NULL: empty */
} cases[] = {
	{ "3: not smtpd_access_policy", "request=other_policy\n"
	    "sender=a@partner.example\n",
	    INB_NOMATCH, NULL, "DUNNO", NULL, NULL },
	{ "no rule matches", "", INB_NOMATCH, NULL, "DUNNO", NULL, NULL },
	{ "exemption rule", "client_address=198.51.100.7\n"
	    "sender=a@partner.example\n",
	    INB_PASS, "exempt", "DUNNO", NULL, NULL },
	{ "4: plaintext at EHLO", "protocol_state=EHLO\n"
	    "client_name=mx.certs.example\n",
	    INB_WAIT, "verified", "DUNNO", NULL, NULL },
	{ "4: plaintext at CONNECT", "protocol_state=CONNECT\n"
	    "client_name=mx.certs.example\n",
	    INB_WAIT, "verified", "DUNNO", NULL, NULL },
	{ "5: plaintext at RCPT, TLS-required sender", "sender=a@partner.example\n",
	    INB_VIOLATION, "partner-tls",
	    "450 4.7.0 TLS required for mail from partner.example "
	    "(rule partner-tls)", "tls", NULL },
	{ "5: plaintext at MAIL", "protocol_state=MAIL\n"
	    "sender=a@partner.example\nrecipient=\n",
	    INB_VIOLATION, "partner-tls",
	    "450 4.7.0 TLS required for mail from partner.example "
	    "(rule partner-tls)", "tls", NULL },
	{ "sender rule not applied at EHLO", "protocol_state=EHLO\n"
	    "sender=a@partner.example\n",
	    INB_NOMATCH, NULL, "DUNNO", NULL, NULL },
	{ "sender domain case and trailing dot", "sender=a@PARTNER.Example.\n",
	    INB_VIOLATION, "partner-tls",
	    "450 4.7.0 TLS required for mail from partner.example "
	    "(rule partner-tls)", "tls", NULL },
	{ "exact domain does not match a subdomain",
	    "sender=a@mx.partner.example\n",
	    INB_NOMATCH, NULL, "DUNNO", NULL, NULL },
	{ "null sender does not match a sender rule", "sender=\n",
	    INB_NOMATCH, NULL, "DUNNO", NULL, NULL },
	{ "6: TLSv1 below TLSv1.2", TLS10 "sender=a@partner.example\n",
	    INB_VIOLATION, "partner-tls",
	    "450 4.7.0 TLSv1.2 or higher required for mail from "
	    "partner.example (rule partner-tls)", "protocol TLSv1 < TLSv1.2",
	    NULL },
	{ "6: TLSv1.2 meets TLSv1.2", TLS12 "sender=a@partner.example\n",
	    INB_PASS, "partner-tls", "DUNNO", NULL, NULL },
	{ "6: TLSv1.3 meets TLSv1.2", TLS13 "sender=a@partner.example\n",
	    INB_PASS, "partner-tls", "DUNNO", NULL, NULL },
	{ "6: unknown protocol fails closed",
	    "encryption_protocol=TLSv1/SSLv3\nsender=a@partner.example\n",
	    INB_VIOLATION, "partner-tls",
	    "450 4.7.0 TLSv1.2 or higher required for mail from "
	    "partner.example (rule partner-tls)",
	    "protocol TLSv1/SSLv3 < TLSv1.2", NULL },
	{ "6: future protocol fails closed",
	    "encryption_protocol=TLSv1.4\nsender=a@partner.example\n",
	    INB_VIOLATION, "partner-tls", NULL, "protocol TLSv1.4 < TLSv1.2",
	    NULL },
	{ "recipient rule, reject text", "recipient=x@mx.secure.example\n",
	    INB_VIOLATION, "to-secure",
	    "550 5.7.0 TLS required for mail to mx.secure.example "
	    "(rule to-secure)", "tls", NULL },
	{ "recipient rule is not applied at DATA", "protocol_state=DATA\n"
	    "recipient=x@secure.example\n",
	    INB_NOMATCH, NULL, "DUNNO", NULL, NULL },
	{ "7: wrapper mode, TLSv1 at CONNECT", "protocol_state=CONNECT\n"
	    "server_port=465\nsender=\nrecipient=\n" TLS10,
	    INB_VIOLATION, "wrapper",
	    "550 5.7.0 TLSv1.2 or higher required for this client "
	    "(rule wrapper)", "protocol TLSv1 < TLSv1.2", NULL },
	{ "7: wrapper mode, TLSv1.3 at CONNECT", "protocol_state=CONNECT\n"
	    "server_port=465\n" TLS13,
	    INB_PASS, "wrapper", "DUNNO", NULL, NULL },
	{ "8: untrusted certificate", TLS13 "client_name=mx.certs.example\n"
	    "ccert_fingerprint=" FP256 "\n",
	    INB_VIOLATION, "verified",
	    "550 5.7.1 verified client certificate required for this client "
	    "(rule verified)", "ccert (untrusted)", NULL },
	{ "8: no certificate", TLS13 "client_name=mx.certs.example\n",
	    INB_VIOLATION, "verified", NULL, "ccert", NULL },
	{ "8: verified certificate", TLS13 "client_name=mx.certs.example\n"
	    "ccert_subject=mx.certs.example\nccert_issuer=Example+20CA\n"
	    "ccert_fingerprint=" FP256 "\n",
	    INB_PASS, "verified", "DUNNO", NULL, NULL },
	{ "9: pinned fingerprint, lower case in config", TLS13
	    "client_address=192.0.2.44\nccert_fingerprint=" FP256 "\n",
	    INB_PASS, "pinned", "DUNNO", NULL, NULL },
	{ "9: pinned public-key fingerprint, IPv6 client", TLS13
	    "client_address=2001:db8::25\nccert_fingerprint=" FP256_OTHER "\n"
	    "ccert_pubkey_fingerprint=" FP256 "\n",
	    INB_PASS, "pinned", "DUNNO", NULL, NULL },
	{ "9: wrong fingerprint", TLS13
	    "client_address=192.0.2.44\nccert_fingerprint=" FP256_OTHER "\n",
	    INB_VIOLATION, "pinned",
	    "550 5.7.1 client certificate not authorised for this client "
	    "(rule pinned)", "fingerprint", NULL },
	{ "10: md5 fingerprint vs sha256 pin", TLS13
	    "client_address=192.0.2.44\nccert_fingerprint=" FPMD5 "\n",
	    INB_VIOLATION, "pinned", NULL, "fingerprint", "md5" },
	{ "pin without certificate", TLS13 "client_address=192.0.2.44\n",
	    INB_VIOLATION, "pinned", NULL, "no client certificate", NULL },
	{ "pin, plaintext", "client_address=192.0.2.44\n",
	    INB_VIOLATION, "pinned", NULL, "tls", NULL },
	{ "malformed fingerprint from Postfix", TLS13
	    "client_address=192.0.2.44\nccert_fingerprint=XYZ\n",
	    INB_VIOLATION, "pinned", NULL, "fingerprint", "malformed" },
	{ "address outside the CIDR", TLS13 "client_address=192.0.3.1\n",
	    INB_NOMATCH, NULL, "DUNNO", NULL, NULL },
	{ "keysize too small", "server_port=2525\n"
	    "encryption_protocol=TLSv1.2\nencryption_keysize=56\n",
	    INB_VIOLATION, "keysz",
	    "450 4.7.0 128-bit cipher key or stronger required for this "
	    "client (rule keysz)", "keysize 56 < 128", NULL },
	{ "keysize malformed fails closed", "server_port=2525\n"
	    "encryption_protocol=TLSv1.2\nencryption_keysize=lots\n",
	    INB_VIOLATION, "keysz", NULL, "keysize unknown", NULL },
	{ "keysize enough", "server_port=2525\n" TLS12,
	    INB_PASS, "keysz", "DUNNO", NULL, NULL },
	{ "filter on pass at RCPT", TLS13 "sender=a@outbound.example\n",
	    INB_PASS, "routed", "FILTER smtp-tls:", NULL, NULL },
	{ "prepend on pass at DATA", TLS13 "protocol_state=DATA\n"
	    "sender=a@outbound.example\n",
	    INB_PASS, "routed", "PREPEND X-TLS-Policy: rule=routed result=pass "
	    "protocol=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 keysize=256 "
	    "ccert=none", NULL, NULL },
	{ "no filter, default action defer, on violation",
	    "sender=a@outbound.example\n",
	    INB_VIOLATION, "routed", "450 4.7.0 TLS required for mail from "
	    "outbound.example (rule routed)", "tls", NULL },
	{ "nothing at END-OF-MESSAGE on pass", TLS13
	    "protocol_state=END-OF-MESSAGE\nsender=a@outbound.example\n",
	    INB_PASS, "routed", "DUNNO", NULL, NULL },
	{ "hostile header values are not copied", "protocol_state=DATA\n"
	    "encryption_protocol=TLSv1.3\nencryption_cipher=A B: C\n"
	    "sender=a@outbound.example\n",
	    INB_PASS, "routed", "PREPEND X-TLS-Policy: rule=routed result=pass "
	    "protocol=TLSv1.3 cipher=invalid keysize=0 ccert=none", NULL, NULL },
	{ "warn: violation logged, DUNNO", "reverse_client_name=mx.watch.example\n",
	    INB_VIOLATION, "watch", "DUNNO", "tls", NULL },
	{ "sasl rule", TLS12 "sasl_method=PLAIN\nsasl_username=alice\n",
	    INB_VIOLATION, "sasl", "550 5.7.0 TLSv1.3 or higher required for "
	    "this client (rule sasl)", "protocol TLSv1.2 < TLSv1.3", NULL },
	{ "VRFY: no rule applies", "protocol_state=VRFY\n"
	    "sender=a@partner.example\n",
	    INB_NOMATCH, NULL, "DUNNO", NULL, NULL },
	/* tls=yes: TLS 1.2 or newer when TLS is used, plaintext not judged. */
	{ "tls=yes: plaintext is not judged", "server_port=2526\n",
	    INB_NOMATCH, NULL, "DUNNO", NULL, NULL },
	{ "tls=yes: plaintext at connect", "protocol_state=CONNECT\n"
	    "server_port=2526\n", INB_NOMATCH, NULL, "DUNNO", NULL, NULL },
	{ "tls=yes: TLS 1.0 refused", "server_port=2526\n" TLS10,
	    INB_VIOLATION, "tls-only", "550 5.7.0 TLSv1.2 or higher required "
	    "for this client (rule tls-only)", "protocol TLSv1 < TLSv1.2", NULL },
	{ "tls=yes: TLS 1.3 passes", "server_port=2526\n" TLS13,
	    INB_PASS, "tls-only", "DUNNO", NULL, NULL },
	/* tls=no: plaintext sessions only. */
	{ "tls=no: plaintext matches", "server_port=2527\n",
	    INB_PASS, "plain-only", "DUNNO", NULL, NULL },
	{ "tls=no: a TLS session does not match", "server_port=2527\n" TLS12,
	    INB_NOMATCH, NULL, "DUNNO", NULL, NULL },
};

START_TEST(test_eval)
{
	const struct eval_case *c = &cases[_i];
	struct inb_result res;
	const char *why;

	eval(c->extra, &res);
	ck_assert_msg(res.outcome == c->outcome, "%s: outcome %d", c->what,
	    res.outcome);
	if (c->rule)
		ck_assert_msg(res.rule && strcmp(res.rule, c->rule) == 0,
		    "%s: rule %s", c->what, res.rule ? res.rule : "none");
	else
		ck_assert_msg(res.rule == NULL, "%s: rule %s", c->what, res.rule);
	if (c->action)
		ck_assert_msg(strcmp(res.action, c->action) == 0, "%s: action "
		    "\"%s\"", c->what, res.action);
	if (c->missing)
		ck_assert_msg(strstr(res.missing, c->missing) != NULL,
		    "%s: missing \"%s\"", c->what, res.missing);
	else
		ck_assert_str_eq(res.missing, "");
	if (c->note)
		ck_assert_msg(strstr(res.note, c->note) != NULL, "%s: note \"%s\"",
		    c->what, res.note);
	else
		ck_assert_str_eq(res.note, "");
	/* 11: whatever happens, never a reply Postfix reads as a permit. */
	ck_assert_msg(polreq_action_safe(res.action, &why) == 0, "%s: %s",
	    c->what, why);
	ck_assert_int_eq(res.log, res.outcome == INB_VIOLATION);
}
END_TEST

START_TEST(test_missing_state)
{
	struct inb_result res;

	eval("protocol_state=\nsender=a@partner.example\n", &res);
	ck_assert_str_eq(res.action, "DUNNO");
	ck_assert_ptr_null(res.rule);
}
END_TEST

/* An empty rule set answers DUNNO to everything. */
START_TEST(test_empty_rules)
{
	struct inbound *saved = rules;
	struct inb_result res;

	rules = inbound_empty();
	eval("sender=a@partner.example\n", &res);
	ck_assert_str_eq(res.action, "DUNNO");
	ck_assert_int_eq(res.outcome, INB_NOMATCH);
	inbound_free(rules);
	rules = saved;
}
END_TEST

/* First matching rule wins: a later catch-all does not override. */
START_TEST(test_first_match)
{
	const char *text =
	    "everyone require=tls min_protocol=TLSv1.2 action=warn\n"
	    "partner  sender_domain=partner.example require=tls action=reject\n";
	struct inbound *saved = rules;
	struct inb_result res;
	char err[200];

	rules = inbound_parse(text, strlen(text), "r", err, sizeof(err));
	ck_assert_ptr_nonnull(rules);
	ck_assert_uint_eq(inbound_count(rules), 2);
	eval("sender=a@partner.example\n", &res);
	ck_assert_str_eq(res.rule, "everyone");
	ck_assert_str_eq(res.action, "DUNNO");
	ck_assert_str_eq(res.verdict, "warn");
	ck_assert_int_eq(res.log, 1);
	inbound_free(rules);
	rules = saved;
}
END_TEST

/* The structured log line: every field, untrusted bytes neutralised. */
START_TEST(test_log_line)
{
	struct inb_result res;
	char line[1200];

	eval("queue_id=4XyZ1\nsender=a\"b@partner.example\n"
	    "recipient=c d@example.com\n", &res);
	ck_assert_uint_gt(inbound_log_line(&q, &res, line, sizeof(line)), 0);
	ck_assert_msg(strstr(line, "queue_id=4XyZ1 client=mx.other.example"
	    "[203.0.113.9] stage=RCPT sender=<a?b@partner.example> "
	    "recipient=<c d@example.com> rule=partner-tls missing=\"tls\" "
	    "action=defer") != NULL, "%s", line);
	eval("", &res);
	inbound_log_line(&q, &res, line, sizeof(line));
	ck_assert(strstr(line, "queue_id=NOQUEUE") != NULL);
	ck_assert(strstr(line, "rule=none") != NULL);
}
END_TEST

static const struct {
	const char *text;
	const char *err;		/* substring, including FILE:LINE */
} bad_rules[] = {
	{ "x stage=connect recipient_domain=a.example require=tls\n",
	    "r:1: rule x: its conditions cannot be matched at stage connect" },
	{ "x stage=helo sender_domain=a.example require=tls\n",
	    "r:1: rule x: its conditions cannot be matched at stage helo" },
	{ "x stage=mail recipient_domain=a.example require=tls\n",
	    "cannot be matched at stage mail" },
	{ "x stage=data,rcpt recipient_domain=a.example require=tls\n",
	    "cannot be matched at stage data" },
	{ "x stage=ehlo sasl_username=bob require=tls\n",
	    "cannot be matched at stage helo" },
	{ "x recipient_domain=a.example require=tls prepend=yes\n",
	    "prepend=yes needs the data stage" },
	{ "x stage=rcpt require=tls prepend=yes\n",
	    "prepend=yes needs the data stage" },
	{ "x stage=data require=tls filter=smtp-tls:\n",
	    "filter= needs the mail or rcpt stage" },
	{ "x client_address=192.0.2.1 action=reject\n",
	    "action= without a requirement" },
	{ "x min_protocol=TLSv1.4\n", "unknown protocol" },
	{ "x min_protocol=tlsv1.2\n", "unknown protocol" },
	{ "x fingerprint=ABC\n", "invalid fingerprint" },
	{ "x fingerprint=AB:CD\n", "invalid fingerprint" },
	{ "x fingerprint=A:BCD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\n",
	    "invalid fingerprint" },
	{ "x client_address=192.0.2.1/24\n", "bits set after the prefix" },
	{ "x client_address=192.0.2.0/33\n", "invalid prefix length" },
	{ "x client_address=300.1.1.1\n", "invalid address" },
	{ "x foo=bar\n", "unknown key \"foo\"" },
	{ "x require=tls require=ccert\n", "require given twice" },
	{ "x require=ssl\n", "unknown requirement" },
	{ "x=1 require=tls\n", "r:1: a rule starts with its name" },
	{ "x require=tls\nx require=tls\n", "r:2: duplicate rule name x" },
	{ "x require=tls action=maybe\n", "unknown action" },
	{ "x sender_domain=exa_mple.com\n", "invalid domain name" },
	{ "x sender_domain=.\n", "invalid domain name" },
	{ "x stage=lunch\n", "unknown stage" },
	{ "x server_port=0\n", "invalid port" },
	{ "x sender_domain=a.example,,b.example\n", "empty list item" },
	{ "x require=\n", "empty list item" },
	{ "x require=tls min_keysize=\n", "empty value" },
	{ "x require=tls min_keysize=big\n", "invalid key size" },
	{ "x require=tls prepend=maybe\n", "expected yes or no" },
	{ "x require=tls filter=smtp-tls\n", "expected transport:nexthop" },
	{ "x require=tls filter=:host\n", "expected transport:nexthop" },
	{ "x require=tls tls\n", "is not key=value" },
	{ "# comment\n\nok require=tls\n  action=defer\nbad foo=bar\n",
	    "r:5: rule bad: unknown key" },
	{ "x tls=maybe\n", "r:1: tls: expected yes or no" },
	{ "x tls=\n", "empty value for tls" },
	{ "x tls=yes tls=no\n", "tls given twice" },
	{ "x tls=no require=tls\n", "tls=no with a requirement" },
	{ "x tls=no min_protocol=TLSv1.2 action=warn\n",
	    "tls=no with a requirement" },
};

START_TEST(test_bad_rules)
{
	char err[400] = "";
	struct inbound *ib = inbound_parse(bad_rules[_i].text,
	    strlen(bad_rules[_i].text), "r", err, sizeof(err));

	ck_assert_msg(ib == NULL, "accepted: %s", bad_rules[_i].text);
	ck_assert_msg(strstr(err, bad_rules[_i].err) != NULL, "err \"%s\"", err);
}
END_TEST

START_TEST(test_nul_in_file)
{
	char err[200];

	ck_assert_ptr_null(inbound_parse("x require=tls\0\n", 15, "r", err,
	    sizeof(err)));
	ck_assert(strstr(err, "NUL") != NULL);
}
END_TEST

/* A rule a stage list can satisfy is accepted. */
START_TEST(test_good_stages)
{
	const char *text =
	    "a stage=connect,helo server_port=465 require=tls\n"
	    "b stage=rcpt recipient_domain=a.example require=tls\n"
	    "c stage=mail,rcpt,data sender_domain=a.example require=tls "
	    "prepend=yes filter=smtp-tls:[relay.example]:587\n"
	    "d client_name=IDN.Example. require=ccert\n";
	char err[300];
	struct inbound *ib = inbound_parse(text, strlen(text), "r", err,
	    sizeof(err));

	ck_assert_msg(ib != NULL, "%s", err);
	ck_assert_uint_eq(inbound_count(ib), 4);
	inbound_free(ib);
}
END_TEST

/*
 * The examples of tlspolicyd-inbound(5), read from the page itself
 * ($TOP_SRCDIR/man/tlspolicyd-inbound.5) at test time: every .nf/.fi block
 * of its EXAMPLES section is a rules file, except one introduced by a line
 * ending in ".cf:" (a master.cf or main.cf snippet).  Elided digests
 * ("3C:9A:...:E1", "7d5e...04ab") are filled with zeros to sha256 length.
 * Each block must parse and hold as many rules as it has rule lines.
 */
#define MAN_MAX (256 * 1024)
#define BLOCK_MAX 8192

struct man_examples {
	int blocks;		/* rules blocks found and parsed */
	size_t rules;		/* rules in them */
};

static char *
read_man_page(void)
{
	const char *top = getenv("TOP_SRCDIR");
	char path[1024];
	FILE *f;
	char *buf = malloc(MAN_MAX + 1);
	size_t n;

	ck_assert_ptr_nonnull(buf);
	snprintf(path, sizeof(path), "%s/man/tlspolicyd-inbound.5",
	    top && *top ? top : TOP_SRCDIR);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	n = fread(buf, 1, MAN_MAX, f);
	ck_assert_msg(feof(f), "%s is larger than %d bytes", path, MAN_MAX);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Appends the line's text with roff escapes resolved. */
static void
deroff_append(char *out, size_t *len, const char *line, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = line[i];
		if (c == '\\' && i + 1 < n) {
			char e = line[++i];
			if (e == 'f' && i + 1 < n) {	/* \fB, \fR ... */
				i++;
				continue;
			}
			if (e == '&')
				continue;
			c = e == 'e' ? '\\' : e;	/* \- \\ \e */
		}
		ck_assert_uint_lt(*len + 2, BLOCK_MAX);
		out[(*len)++] = c;
	}
	out[(*len)++] = '\n';
	out[*len] = '\0';
}

/* One digest, "..." in it filled with zeros to 32 bytes, into out. */
static void
fill_digest(const char *item, size_t n, char *out, size_t *len)
{
	const char *dots = strstr(item, "...");
	char hex[65];
	size_t h = 0, tail = 0;
	int colons = memchr(item, ':', n) != NULL;

	for (const char *p = item; p < dots; p++)
		if (*p != ':')
			hex[h++] = *p;
	for (const char *p = dots + 3; p < item + n; p++)
		if (*p != ':')
			tail++;
	ck_assert_uint_le(h + tail, 64);
	while (h + tail < 64)
		hex[h++] = '0';
	for (const char *p = dots + 3; p < item + n; p++)
		if (*p != ':')
			hex[h++] = *p;
	for (size_t i = 0; i < 64; i += 2) {
		if (colons && i > 0)
			out[(*len)++] = ':';
		out[(*len)++] = hex[i];
		out[(*len)++] = hex[i + 1];
	}
}

/* The block with every elided digest of a fingerprint= filled in. */
static void
fill_digests(const char *in, char *out)
{
	size_t len = 0;
	const char *p = in;

	while (*p) {
		const char *fp = strstr(p, "fingerprint=");
		const char *end = fp ? fp + strlen("fingerprint=") : p + strlen(p);
		memcpy(out + len, p, (size_t)(end - p));
		len += (size_t)(end - p);
		p = end;
		if (fp == NULL)
			break;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
			size_t n = strcspn(p, ", \t\n");
			char item[200];

			ck_assert_uint_lt(n, sizeof(item));
			memcpy(item, p, n);
			item[n] = '\0';
			if (strstr(item, "...")) {
				fill_digest(item, n, out, &len);
			} else {
				memcpy(out + len, p, n);
				len += n;
			}
			p += n;
			if (*p == ',')
				out[len++] = *p++;
			ck_assert_uint_lt(len + 200, BLOCK_MAX);
		}
	}
	out[len] = '\0';
}

/* Parses one example block; counts its rules into ex. */
static void
check_example(const char *block, struct man_examples *ex)
{
	char text[BLOCK_MAX], err[300];
	size_t want = 0;
	struct inbound *ib;

	fill_digests(block, text);
	for (const char *l = text; *l; l = strchr(l, '\n') + 1) {
		if (*l != ' ' && *l != '\t' && *l != '#' && *l != '\n')
			want++;		/* a rule starts in column 1 */
	}
	ib = inbound_parse(text, strlen(text), "tlspolicyd-inbound.5", err,
	    sizeof(err));
	ck_assert_msg(ib != NULL, "example does not parse: %s\n%s", err, text);
	ck_assert_msg(inbound_count(ib) == want, "%zu rules, want %zu:\n%s",
	    inbound_count(ib), want, text);
	inbound_free(ib);
	ex->blocks++;
	ex->rules += want;
}

static struct man_examples
man_examples(const char *page)
{
	struct man_examples ex = { 0, 0 };
	char block[BLOCK_MAX], intro[200] = "";
	size_t blen = 0;
	int in_examples = 0, in_block = 0;

	for (const char *l = page; *l; ) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);

		if (strncmp(l, ".SH ", 4) == 0)
			in_examples = strncmp(l, ".SH EXAMPLES", 12) == 0;
		else if (in_examples && strncmp(l, ".nf", 3) == 0) {
			in_block = 1;
			blen = 0;
			block[0] = '\0';
		} else if (in_block && strncmp(l, ".fi", 3) == 0) {
			in_block = 0;
			if (!(strlen(intro) >= 4
			    && strcmp(intro + strlen(intro) - 4, ".cf:") == 0))
				check_example(block, &ex);
		} else if (in_block && l[0] != '.')
			deroff_append(block, &blen, l, n);
		else if (in_examples && l[0] != '.' && n > 0) {
			snprintf(intro, sizeof(intro), "%.*s", (int)n, l);
		}
		l += n + (nl != NULL);
	}
	return ex;
}

START_TEST(test_manual_examples)
{
	char *page = read_man_page();
	struct man_examples ex = man_examples(page);

	/* The page has (at least) these: partner, report mode (3 rules),
	 * pinned, billing; an extraction that finds less is broken. */
	ck_assert_int_ge(ex.blocks, 4);
	ck_assert_uint_ge(ex.rules, 6);
	free(page);
}
END_TEST

START_TEST(test_fp_decode)
{
	unsigned char d[64];

	ck_assert_int_eq(inbound_fp_decode("ab:CD", d, sizeof(d)), 2);
	ck_assert(d[0] == 0xab && d[1] == 0xcd);
	ck_assert_int_eq(inbound_fp_decode("abcd", d, sizeof(d)), 2);
	ck_assert_int_eq(inbound_fp_decode("a:bcd", d, sizeof(d)), -1);
	ck_assert_int_eq(inbound_fp_decode("abc", d, sizeof(d)), -1);
	ck_assert_int_eq(inbound_fp_decode("", d, sizeof(d)), -1);
	ck_assert_int_eq(inbound_fp_decode("zz", d, sizeof(d)), -1);
	ck_assert_int_eq(inbound_fp_decode("abcdef", d, 2), -1);
}
END_TEST

START_TEST(test_protocol_rank)
{
	ck_assert_int_lt(inbound_protocol_rank("SSLv3"),
	    inbound_protocol_rank("TLSv1"));
	ck_assert_int_lt(inbound_protocol_rank("TLSv1"),
	    inbound_protocol_rank("TLSv1.1"));
	ck_assert_int_lt(inbound_protocol_rank("TLSv1.1"),
	    inbound_protocol_rank("TLSv1.2"));
	ck_assert_int_lt(inbound_protocol_rank("TLSv1.2"),
	    inbound_protocol_rank("TLSv1.3"));
	ck_assert_int_eq(inbound_protocol_rank("TLSv1/SSLv3"), -1);
	ck_assert_int_eq(inbound_protocol_rank(""), -1);
	ck_assert_int_eq(inbound_protocol_rank("tlsv1.3"), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("inbound");
	TCase *tc = tcase_create("eval");
	TCase *tp = tcase_create("parse");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_eval, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_missing_state);
	tcase_add_test(tc, test_empty_rules);
	tcase_add_test(tc, test_first_match);
	tcase_add_test(tc, test_log_line);
	suite_add_tcase(s, tc);
	tcase_add_loop_test(tp, test_bad_rules, 0,
	    sizeof(bad_rules) / sizeof(bad_rules[0]));
	tcase_add_test(tp, test_nul_in_file);
	tcase_add_test(tp, test_good_stages);
	tcase_add_test(tp, test_manual_examples);
	tcase_add_test(tp, test_fp_decode);
	tcase_add_test(tp, test_protocol_rank);
	suite_add_tcase(s, tp);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
