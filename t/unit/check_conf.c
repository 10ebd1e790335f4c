/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/conf.c and lib/params.c. */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "netaddr.h"
#include "params.h"

static int
parse(struct config *c, const char *text, char *err, size_t errlen)
{
	return config_parse_text(c, text, strlen(text), "test.conf", err, errlen);
}

START_TEST(test_syntax)
{
	struct config *c = params_new();
	char err[256] = "";
	const char *text =
	    "# comment\n"
	    "\n"
	    "log_level = debug\n"
	    "   # indented comment\n"
	    "socketmap_listen =\n"
	    "    inet:127.0.0.1:8461\n"
	    "overrides_file=/etc/x\n"
	    "max_connections = 10\r\n"
	    "max_connections = 20\n";

	ck_assert_msg(parse(c, text, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(config_get(c, "log_level"), "debug");
	ck_assert_str_eq(config_get(c, "socketmap_listen"), "inet:127.0.0.1:8461");
	ck_assert_str_eq(config_get(c, "overrides_file"), "/etc/x");
	ck_assert_int_eq(config_long(c, "max_connections"), 20);	/* last wins */
	ck_assert_str_eq(config_get(c, "socketmap_mode"), "0660");	/* default */
	config_free(c);
}
END_TEST

static const struct {
	const char *text;
	const char *err;	/* expected message */
} bad[] = {
	{ "nosuch = 1\n", "test.conf:1: unknown parameter \"nosuch\"" },
	{ "\n\nlog_level = loud\n", "test.conf:3: bad value for log_level: expected error, warning, notice, info or debug" },
	{ "log_level\n", "test.conf:1: missing '=' after parameter name" },
	{ "= x\n", "test.conf:1: malformed parameter name" },
	{ "log level = info\n", "test.conf:1: malformed parameter name" },
	{ "socketmap_listen = unix:relative\n", "test.conf:1: bad value for socketmap_listen: unix: needs an absolute path" },
	{ "socketmap_listen = inet:localhost:25\n", "test.conf:1: bad value for socketmap_listen: invalid IPv4 address (use [::1] for IPv6)" },
	{ "socketmap_listen = inet:127.0.0.1:70000\n", "test.conf:1: bad value for socketmap_listen: invalid port" },
	{ "socketmap_listen = inet:[::1]\n", "test.conf:1: bad value for socketmap_listen: expected inet:[IPV6]:PORT" },
	{ "socketmap_listen = tcp:1\n", "test.conf:1: bad value for socketmap_listen: expected unix:PATH or inet:ADDRESS:PORT" },
	{ "socketmap_mode = 0999\n", "test.conf:1: bad value for socketmap_mode: expected an octal mode such as 0660" },
	{ "socketmap_group = a b\n", "test.conf:1: bad value for socketmap_group: expected a user or group name" },
	{ "idle_timeout = 5x\n", "test.conf:1: bad value for idle_timeout: expected a time such as 30s, 5m, 1h or 1d" },
	{ "max_connections = 0\n", "test.conf:1: bad value for max_connections: expected a positive integer" },
	{ "state_directory = var/lib\n", "test.conf:1: bad value for state_directory: expected an absolute path" },
	/* The line number is the first line of the logical line. */
	{ "log_level = info\nsocketmap_mode =\n  0777x\n", "test.conf:2: bad value for socketmap_mode: expected an octal mode such as 0660" },
};

START_TEST(test_bad)
{
	struct config *c = params_new();
	char err[256] = "";

	ck_assert_int_eq(parse(c, bad[_i].text, err, sizeof(err)), -1);
	ck_assert_str_eq(err, bad[_i].err);
	config_free(c);
}
END_TEST

START_TEST(test_valid_listen)
{
	const char *err;

	ck_assert_int_eq(cf_check_listen("unix:/run/x", &err), 0);
	ck_assert_int_eq(cf_check_listen("inet:127.0.0.1:8461", &err), 0);
	ck_assert_int_eq(cf_check_listen("inet:[::1]:8461", &err), 0);
}
END_TEST

static int
count_line(char *line, int lineno, void *arg)
{
	int *n = arg;
	(void)line;
	(void)lineno;
	(*n)++;
	return 0;
}

START_TEST(test_lines)
{
	int n = 0;
	const char *t = " leading continuation\na\n b\n#c\n  \nd";

	ck_assert_int_eq(cf_lines(t, strlen(t), count_line, &n), 0);
	ck_assert_int_eq(n, 3);	/* " leading..", "a b", "d" */
}
END_TEST

/* Every parameter has an entry in tlspolicyd.conf(5). */
START_TEST(test_params_documented)
{
	char path[1024], line[1024];
	FILE *fp;
	size_t i;

	snprintf(path, sizeof(path), "%s/man/tlspolicyd.conf.5", TOP_SRCDIR);
	fp = fopen(path, "r");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	for (i = 0; i < tlspol_nparams; i++) {
		char want[128];
		int found = 0;
		snprintf(want, sizeof(want), ".IP \"\\fB%s\\fR", tlspol_params[i].name);
		rewind(fp);
		while (fgets(line, sizeof(line), fp))
			if (strncmp(line, want, strlen(want)) == 0)
				found = 1;
		ck_assert_msg(found, "parameter %s is not documented in %s",
		    tlspol_params[i].name, path);
	}
	fclose(fp);
}
END_TEST

/* Every default passes its own check. */
START_TEST(test_defaults_valid)
{
	for (size_t i = 0; i < tlspol_nparams; i++) {
		const char *err = NULL;
		if (tlspol_params[i].check)
			ck_assert_msg(tlspol_params[i].check(tlspol_params[i].defval, &err) == 0,
			    "default of %s refused: %s", tlspol_params[i].name, err);
	}
}
END_TEST

/*
 * dns_resolvers: the check accepts exactly what the DNS client will use
 * (both go through netaddr_parse()), with the port it will use.
 */
static const struct {
	const char *in;
	int ok, family, port;
} addrs[] = {
	{ "127.0.0.1", 1, AF_INET, 53 },
	{ "127.0.0.1:5353", 1, AF_INET, 5353 },
	{ "[127.0.0.1]:54", 1, AF_INET, 54 },
	{ "::1", 1, AF_INET6, 53 },
	{ "[::1]", 1, AF_INET6, 53 },
	{ "[2001:db8::1]:853", 1, AF_INET6, 853 },
	{ "", 0, 0, 0 },
	{ ":53", 0, 0, 0 },
	{ "127.0.0.1:", 0, 0, 0 },
	{ "127.0.0.1:0", 0, 0, 0 },
	{ "127.0.0.1:65536", 0, 0, 0 },
	{ "[::1]x", 0, 0, 0 },
	{ "[::1", 0, 0, 0 },
	{ "::1:53x", 0, 0, 0 },
	{ "localhost", 0, 0, 0 },
	{ "1.2.3", 0, 0, 0 },
	{ "[0000:0000:0000:0000:0000:0000:0000:0000:0000]", 0, 0, 0 },
};

START_TEST(test_resolver_addresses)
{
	struct sockaddr_storage ss;
	socklen_t len;
	const char *err = NULL;
	const struct cfg_def *d = NULL;
	int rc = netaddr_parse(addrs[_i].in, 53, &ss, &len);

	for (size_t i = 0; i < tlspol_nparams; i++)
		if (strcmp(tlspol_params[i].name, "dns_resolvers") == 0)
			d = &tlspol_params[i];
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(rc == 0, addrs[_i].ok);
	if (addrs[_i].in[0] != '\0')	/* "" is "none given" to the check */
		ck_assert_int_eq(d->check(addrs[_i].in, &err) == 0,
		    addrs[_i].ok);
	if (!addrs[_i].ok) {
		ck_assert_int_eq(len, 0);
		return;
	}
	ck_assert_int_eq(ss.ss_family, addrs[_i].family);
	ck_assert_int_eq(ntohs(ss.ss_family == AF_INET
	    ? ((struct sockaddr_in *)&ss)->sin_port
	    : ((struct sockaddr_in6 *)&ss)->sin6_port), addrs[_i].port);
}
END_TEST

/*
 * The control socket has no authentication but its peer's uid: only a
 * unix socket (or none).  clock_control = yes only in a test build.
 */
static const struct {
	const char *text;
	const char *err;	/* NULL: accepted */
} control_cases[] = {
	{ "control_listen = unix:/run/tlspolicyd/control\n", NULL },
	{ "control_listen =\n", NULL },
	{ "\ncontrol_listen = inet:127.0.0.1:8462\n", "test.conf:2: bad value "
	    "for control_listen: expected unix:PATH: the control socket "
	    "authenticates its clients by their uid, which only a unix socket "
	    "has" },
	{ "control_listen = inet:[::1]:8462\n", "test.conf:1: bad value for "
	    "control_listen: expected unix:PATH" },
	{ "control_listen = unix:relative\n", "test.conf:1: bad value for "
	    "control_listen: unix: needs an absolute path" },
	{ "clock_control = no\n", NULL },
	{ "clock_control = maybe\n", "test.conf:1: bad value for clock_control: "
	    "expected yes or no" },
#ifdef ENABLE_TEST_HOOKS
	{ "clock_control = yes\n", NULL },
#else
	{ "clock_control = yes\n", "test.conf:1: bad value for clock_control: "
	    "only a test build accepts yes (configure --enable-test-hooks)" },
#endif
};

START_TEST(test_control_params)
{
	struct config *c = params_new();
	char err[256] = "";
	int rc = parse(c, control_cases[_i].text, err, sizeof(err));

	if (control_cases[_i].err == NULL) {
		ck_assert_msg(rc == 0, "%s: %s", control_cases[_i].text, err);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_msg(strncmp(err, control_cases[_i].err,
		    strlen(control_cases[_i].err)) == 0, "err \"%s\"", err);
	}
	config_free(c);
}
END_TEST

/*
 * config_print() (tlspolicyd -n) never shows a Redis password: every
 * valid redis_url with one comes out with "****" in its place and the
 * rest as set; one without a password comes out as set.
 */
static const struct {
	const char *url, *shown, *pw;
} redis_urls[] = {
	{ "redis://:s3cret@10.0.0.5:6379/2", "redis://:****@10.0.0.5:6379/2",
	    "s3cret" },
	{ "redis://:pa?ss#w:rd@redis.example:6380",
	    "redis://:****@redis.example:6380", "pa?ss" },
	{ "redis://:Zq9k@[2001:db8::5]:6379", "redis://:****@[2001:db8::5]:6379",
	    "Zq9k" },
	{ "redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0", NULL },
	{ "unix:/run/redis/redis.sock?db=3", "unix:/run/redis/redis.sock?db=3",
	    NULL },
};

START_TEST(test_print_hides_password)
{
	struct config *c = params_new();
	char err[256] = "", text[512], want[512], *out = NULL;
	size_t len = 0;
	FILE *fp;

	snprintf(text, sizeof(text), "policy_store = redis\nredis_url = %s\n",
	    redis_urls[_i].url);
	ck_assert_msg(parse(c, text, err, sizeof(err)) == 0, "%s", err);
	ck_assert_ptr_nonnull(fp = open_memstream(&out, &len));
	config_print(fp, c, 1);
	fclose(fp);
	snprintf(want, sizeof(want), "redis_url = %s\n", redis_urls[_i].shown);
	ck_assert_msg(strstr(out, want) != NULL, "%s", out);
	if (redis_urls[_i].pw != NULL)
		ck_assert_msg(strstr(out, redis_urls[_i].pw) == NULL, "%s", out);
	free(out);
	config_free(c);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_syntax);
	tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_valid_listen);
	tcase_add_loop_test(tc, test_control_params, 0,
	    sizeof(control_cases) / sizeof(control_cases[0]));
	tcase_add_test(tc, test_lines);
	tcase_add_loop_test(tc, test_print_hides_password, 0,
	    sizeof(redis_urls) / sizeof(redis_urls[0]));
	tcase_add_test(tc, test_params_documented);
	tcase_add_test(tc, test_defaults_valid);
	tcase_add_loop_test(tc, test_resolver_addresses, 0,
	    sizeof(addrs) / sizeof(addrs[0]));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
