/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain.h"
#include "netaddr.h"
#include "params.h"
#include "redis_url.h"
#include "tlspolicy.h"
#include "util.h"

#define QDIR DEF_POSTFIX_QUEUE_DIR

static int
one_of(const char *v, const char *const *set, const char **err,
    const char *msg)
{
	for (; *set; set++)
		if (strcmp(v, *set) == 0)
			return 0;
	*err = msg;
	return -1;
}

static int
check_error_action(const char *v, const char **err)
{
	static const char *const set[] = { "temp", "dane", "stale", NULL };

	return one_of(v, set, err, "expected temp, dane or stale");
}

static int
check_stale_fallback(const char *v, const char **err)
{
	static const char *const set[] = { "temp", "dane", NULL };

	return one_of(v, set, err, "expected temp or dane");
}

static int
check_validation(const char *v, const char **err)
{
	static const char *const set[] = { "resolver", "local", NULL };

	return one_of(v, set, err, "expected resolver or local");
}

static int
check_retries(const char *v, const char **err)
{
	if (parse_long(v, 0, 10) == LONG_MIN) {
		*err = "expected an integer from 0 to 10";
		return -1;
	}
	return 0;
}

static int
check_positive_time(const char *v, const char **err)
{
	if (parse_time(v) <= 0) {
		*err = "expected a time of at least 1s";
		return -1;
	}
	return 0;
}

/* addr, addr:port (IPv4), [addr] or [addr]:port: netaddr_parse(). */
static int
check_one_resolver(const char *s)
{
	struct sockaddr_storage ss;
	socklen_t len;

	return netaddr_parse(s, 53, &ss, &len);
}

static int
check_resolvers(const char *v, const char **err)
{
	char *copy = xstrdup(v), *tok, *save = NULL;
	int rc = 0, n = 0;

	for (tok = strtok_r(copy, ", \t", &save); tok && rc == 0;
	    tok = strtok_r(NULL, ", \t", &save))
		if (check_one_resolver(tok) < 0 || ++n > 8)
			rc = -1;
	free(copy);
	if (rc < 0)
		*err = "expected up to 8 IP addresses, each optionally with a "
		    "port as [addr]:port or (IPv4) addr:port";
	return rc;
}

/* Empty (NOTFOUND) or a Postfix policy value Postfix 3.7 accepts. */
static int
check_default_policy(const char *v, const char **err)
{
	char norm[4096];

	if (*v == '\0')
		return 0;
	return tlspolicy_check(v, norm, sizeof(norm), err);
}

static int
check_policy_store(const char *v, const char **err)
{
	static const char *const set[] = { "lmdb", "redis", NULL };

	return one_of(v, set, err, "expected lmdb or redis");
}

/* Empty (until policy_store = redis needs it) or a URL Redis takes. */
static int
check_redis_url(const char *v, const char **err)
{
	static char why[160];
	struct redis_url u;

	if (*v == '\0' || redis_url_parse(v, &u, why, sizeof(why)) == 0)
		return 0;
	*err = why;
	return -1;
}

static int
check_redis_timeout(const char *v, const char **err)
{
	if (parse_long(v, 10, 10000) == LONG_MIN) {
		*err = "expected milliseconds from 10 to 10000";
		return -1;
	}
	return 0;
}

/* stsfetch -w takes 1 to 256. */
static int
check_workers(const char *v, const char **err)
{
	if (parse_long(v, 1, 256) == LONG_MIN) {
		*err = "expected a number from 1 to 256";
		return -1;
	}
	return 0;
}

/* TLSRPT reporter: hours of retries (RFC 8460 5.5: up to 24 h). */
static int
check_tlsrpt_retry_hours(const char *v, const char **err)
{
	if (parse_long(v, 1, 168) == LONG_MIN) {
		*err = "expected a number of hours from 1 to 168";
		return -1;
	}
	return 0;
}

/* TLSRPT reporter: days its records are kept after the day. */
static int
check_tlsrpt_retain_days(const char *v, const char **err)
{
	if (parse_long(v, 1, 366) == LONG_MIN) {
		*err = "expected a number of days from 1 to 366";
		return -1;
	}
	return 0;
}

/* TLSRPT reporter: empty, or local@domain fit for a header and argv. */
static int
check_tlsrpt_sender(const char *v, const char **err)
{
	const char *at = strrchr(v, '@');

	if (*v == '\0')
		return 0;
	for (const char *p = v; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("<>,;\"()\\", *p)) {
			at = NULL;
			break;
		}
	if (at == NULL || at == v || *v == '-' || !domain_valid(at + 1)) {
		*err = "expected an address local@domain";
		return -1;
	}
	return 0;
}

/*
 * The control socket's only authentication is its peer's credentials,
 * which a TCP socket does not have: unix:PATH or empty only.
 */
static int
check_control_listen(const char *v, const char **err)
{
	if (*v != '\0' && strncmp(v, "unix:", 5) != 0) {
		*err = "expected unix:PATH: the control socket authenticates "
		    "its clients by their uid, which only a unix socket has";
		return -1;
	}
	return cf_check_listen_list(v, err);
}

/* TLSRPT collector: a unix datagram socket (Postfix speaks only that). */
static int
check_tlsrpt_listen(const char *v, const char **err)
{
	if (strncmp(v, "unix:/", 6) != 0) {
		*err = "expected unix:/PATH (Postfix sends TLSRPT datagrams to "
		    "a unix socket)";
		return -1;
	}
	return cf_check_listen(v, err);
}

/* Report meta data: printable ASCII without quotes (goes into headers). */
static int
check_tlsrpt_text(const char *v, const char **err)
{
	for (const char *p = v; *p; p++)
		if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\') {
			*err = "expected printable ASCII without quotes or "
			    "backslashes";
			return -1;
		}
	return 0;
}

/* Empty, or a host name (the submitter domain). */
static int
check_tlsrpt_domain(const char *v, const char **err)
{
	if (*v != '\0' && !domain_valid(v)) {
		*err = "expected a domain name";
		return -1;
	}
	return 0;
}

/* Domains, separated by commas or white space. */
static int
check_tlsrpt_exclude(const char *v, const char **err)
{
	char *copy = xstrdup(v), *tok, *save = NULL;
	int rc = 0;

	for (tok = strtok_r(copy, ", \t", &save); tok && rc == 0;
	    tok = strtok_r(NULL, ", \t", &save))
		if (!domain_valid(tok))
			rc = -1;
	free(copy);
	if (rc < 0)
		*err = "expected domain names separated by commas or spaces";
	return rc;
}

/* Test hooks exist only in builds configured with --enable-test-hooks. */
static int
check_clock_control(const char *v, const char **err)
{
	if (cf_check_bool(v, err) < 0)
		return -1;
#ifndef ENABLE_TEST_HOOKS
	if (strcmp(v, "yes") == 0) {
		*err = "only a test build accepts yes (configure "
		    "--enable-test-hooks)";
		return -1;
	}
#endif
	return 0;
}

const struct cfg_def tlspol_params[] = {
	/* Socketmap service for smtp_tls_policy_maps. */
	{ "socketmap_listen", "unix:" QDIR "/tlspolicyd/socketmap", cf_check_listen },
	{ "socketmap_mode", "0660", cf_check_mode },
	{ "socketmap_group", "postfix", cf_check_name },
	{ "postfix_queue_directory", QDIR, cf_check_abspath_or_empty },
	/* Control socket for tlsmap. */
	{ "control_listen", "unix:/run/tlspolicyd/control", check_control_listen },
	{ "control_mode", "0660", cf_check_mode },
	{ "control_group", "root", cf_check_name },
	/* check_policy_service for inbound TLS rules; empty: disabled. */
	{ "policy_listen", "", cf_check_listen_list },
	{ "policy_mode", "0660", cf_check_mode },
	{ "policy_group", "postfix", cf_check_name },
	{ "policy_idle_timeout", "300s", cf_check_time },
	{ "inbound_rules_file", "", cf_check_abspath_or_empty },
	/* Prometheus metrics (GET /metrics); empty: disabled. */
	{ "metrics_listen", "", cf_check_listen_list },
	/* Tables and state. */
	{ "overrides_file", SYSCONFDIR "/tlspolicyd/overrides", cf_check_abspath_or_empty },
	{ "default_policy", "", check_default_policy },
	{ "state_directory", LOCALSTATEDIR "/lib/tlspolicyd", cf_check_abspath },
	/* Process. */
	{ "user", "tlspolicyd", cf_check_name },
	{ "log_level", "info", cf_check_log_level },
	{ "syslog_facility", "mail", cf_check_syslog_facility },
	{ "max_connections", "1000", cf_check_count },
	{ "idle_timeout", "300s", cf_check_time },
	{ "request_timeout", "10s", check_positive_time },
	{ "query_timeout", "10s", check_positive_time },
	/* DNS and DANE. */
	{ "dane_enable", "yes", cf_check_bool },
	{ "dns_resolvers", "", check_resolvers },
	{ "dns_timeout", "2s", check_positive_time },
	{ "dns_retries", "2", check_retries },
	{ "dns_cache_size", "10000", cf_check_count },
	{ "dns_cache_max_ttl", "1h", check_positive_time },
	{ "dnssec_validation", "resolver", check_validation },
	{ "dnssec_trust_anchor_file", "/usr/share/dns/root.key", cf_check_abspath },
	{ "dns_error_action", "temp", check_error_action },
	{ "dns_stale_max", "1h", cf_check_time },
	{ "dns_stale_fallback", "temp", check_stale_fallback },
	/* MTA-STS. */
	{ "sts_enable", "yes", cf_check_bool },
	{ "sts_fetcher", LIBEXECDIR "/stsfetch", cf_check_abspath_or_empty },
	{ "sts_fetcher_user", "tlspolicyd-fetch", cf_check_name },
	{ "sts_ca_file", "", cf_check_abspath_or_empty },
	{ "sts_fetch_workers", "32", check_workers },
	{ "sts_first_fetch_wait", "5s", cf_check_time },
	{ "sts_refresh_before", "1d", cf_check_time },
	{ "sts_failure_backoff", "5m", cf_check_time },
	{ "sts_enforce_testing", "no", cf_check_bool },
	{ "sts_in_use", "7d", cf_check_time },
	{ "sts_testing_report", "no", cf_check_bool },
	/* The policy store: local LMDB, or Redis shared by a fleet. */
	{ "policy_store", "lmdb", check_policy_store },
	{ "redis_url", "", check_redis_url },
	{ "redis_timeout_ms", "200", check_redis_timeout },
	/* TLSRPT collector (tlspolicyd(8) TLSRPT). */
	{ "tlsrpt_enable", "no", cf_check_bool },
	{ "tlsrpt_listen", "unix:" QDIR "/tlspolicyd/tlsrpt", check_tlsrpt_listen },
	{ "tlsrpt_mode", "0660", cf_check_mode },
	{ "tlsrpt_group", "postfix", cf_check_name },
	{ "tlsrpt_organization", "", check_tlsrpt_text },
	{ "tlsrpt_contact", "", check_tlsrpt_text },
	{ "tlsrpt_submitter", "", check_tlsrpt_domain },
	{ "tlsrpt_exclude", "", check_tlsrpt_exclude },
	{ "tlsrpt_max_domains", "10000", cf_check_count },
	{ "tlsrpt_max_details", "100", cf_check_count },
	/* TLSRPT reporter (tlspolicyd(8) TLSRPT REPORTS). */
	{ "tlsrpt_sender", "", check_tlsrpt_sender },
	{ "tlsrpt_sendmail", "/usr/sbin/sendmail", cf_check_abspath },
	{ "tlsrpt_sendmail_timeout", "60s", check_positive_time },
	{ "tlsrpt_spread", "4h", cf_check_time },
	{ "tlsrpt_retry_hours", "24", check_tlsrpt_retry_hours },
	{ "tlsrpt_retain_days", "7", check_tlsrpt_retain_days },
	/* Testing only. */
	{ "clock_control", "no", check_clock_control },
};

const size_t tlspol_nparams = sizeof(tlspol_params) / sizeof(tlspol_params[0]);

struct config *
params_new(void)
{
	return config_new(tlspol_params, tlspol_nparams);
}

struct config *
params_load(const char *path, int must_exist, char *err, size_t errlen)
{
	struct config *c = params_new();

	if (!must_exist && access(path, F_OK) < 0 && errno == ENOENT)
		return c;
	if (config_load(c, path, err, errlen) < 0) {
		config_free(c);
		return NULL;
	}
	return c;
}
