/* SPDX-License-Identifier: MIT */
/*
 * tlspolicyd - TLS policy service for Postfix
 *
 *	Process set-up, in named steps (main() at the end): options and
 *	configuration; open_as_root(), the one place that lists what is
 *	opened before the privilege drop (sockets, state directory, fetcher
 *	files); detach; privileges (the fetcher's spawner as its own user,
 *	drop, then the state directory and the policy store as the service
 *	user); the sources (engine, resolver, DANE, fetcher, MTA-STS); the
 *	services; then one event loop.  SIGHUP and the control command
 *	"reload" reload the override table and the inbound rules (both or
 *	neither: a bad file leaves the old ones in force), with RELOADING=1
 *	and READY=1 for systemd; SIGTERM and SIGINT stop.  See tlspolicyd(8).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include <jansson.h>
#include <time.h>

#include "control.h"
#include "dns.h"
#include "dnssec.h"
#include "fetchctl.h"
#include "fetchspawn.h"
#include "store.h"
#include "sts.h"
#include "engine.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "metrics_srv.h"
#include "domain.h"
#include "overrides.h"
#include "params.h"
#include "policy_srv.h"
#include "sockmap_srv.h"
#include "tlsrpt_collect.h"
#include "tlsrpt_ports.h"
#include "tlsrpt_send.h"
#include "util.h"

struct daemon {
	struct config *cf;
	const char *cf_path;
	struct loop *loop;
	struct engine *engine;
	struct sockmap_srv *sockmap;
	struct control *control;
	struct fetchctl *fetch;
	struct store *store;
	struct store *fleet;		/* policy_store = redis, else NULL */
	struct loop_timer *refresh_timer;
	int64_t clock_offset;		/* clock_control: seconds added */
	time_t started;
	struct policy_srv *policy;
	size_t inbound_rules;		/* in force, for STATUS= */
	struct metrics_srv *metrics;
	struct metrics_src msrc;	/* what the metrics read */
	int sigfd;
	struct tlsrpt_conf tlsrpt_conf;
	struct tlsrpt_collect *tlsrpt;	/* NULL: tlsrpt_enable = no */
	struct tlsrpt_send *rptsend;	/* the reporter, with the collector */
	struct tlsrpt_out rptout;
	struct loop_timer *rpt_timer;
};

static struct config *exit_cf;

static void
free_exit_cf(void)
{
	config_free(exit_cf);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: tlspolicyd [-f] [-c config_file] [-v]\n"
	    "       tlspolicyd -n [-c config_file]   (settings that differ from defaults)\n"
	    "       tlspolicyd -d                    (all defaults)\n"
	    "       tlspolicyd -V                    (version)\n"
	    "       tlspolicyd -x [-c config_file]   (remove a stopped daemon's sockets)\n");
	exit(1);
}

/* Load the override table; NULL with a message when it is bad. */
static struct overrides *
load_overrides(const struct config *cf, char *err, size_t errlen)
{
	const char *path = config_get(cf, "overrides_file");

	if (*path == '\0')
		return overrides_empty();
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		log_notice("overrides file %s does not exist: no overrides", path);
		return overrides_empty();
	}
	return overrides_load(path, err, errlen);
}

/*
 * Tell the service manager (NOTIFY_SOCKET) the daemon's state; a no-op
 * without systemd.  STATUS= carries the counts an admin checks after a
 * reload: overrides, inbound rules, MTA-STS policies cached.
 */
static void
notify_state(struct daemon *d, const char *state)
{
#ifdef HAVE_SYSTEMD
	struct sts_stat ss;
	struct timespec ts;

	memset(&ss, 0, sizeof(ss));
	if (engine_sts(d->engine))
		sts_status(engine_sts(d->engine), &ss);
	if (strcmp(state, "RELOADING=1") == 0) {
		/* sd_notify(3): a reload names the monotonic time it began. */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
		    (unsigned long long)ts.tv_sec * 1000000ULL
		    + (unsigned long long)ts.tv_nsec / 1000);
		return;
	}
	sd_notifyf(0, "%s\nSTATUS=%zu overrides, %zu inbound rules, %lu MTA-STS "
	    "policies cached", state,
	    overrides_count(engine_overrides(d->engine)), d->inbound_rules,
	    ss.domains);
#else
	(void)d;
	(void)state;
#endif
}

/*
 * Load the new override table and, with the policy service, the new
 * inbound rules; install both, or neither.  On failure the tables in
 * force stay and err says why ("FILE:LINE: message"); on success err
 * has the counts.
 */
static int
reload_tables(struct daemon *d, char *err, size_t errlen)
{
	char ierr[512] = "";
	struct overrides *o = load_overrides(d->cf, err, errlen);
	struct inbound *ib = NULL;

	if (d->policy != NULL && (ib = policy_rules_load(config_get(d->cf,
	    "inbound_rules_file"), ierr, sizeof(ierr))) == NULL) {
		if (o != NULL)
			snprintf(err, errlen, "%s", ierr);
		else
			snprintf(err + strlen(err), errlen - strlen(err), "; %s",
			    ierr);
	}
	if (o == NULL || (d->policy != NULL && ib == NULL)) {
		overrides_free(o);
		inbound_free(ib);
		return -1;
	}
	engine_set_overrides(d->engine, o);
	if (ib != NULL) {
		d->inbound_rules = inbound_count(ib);
		policy_srv_set_rules(d->policy, ib);
		snprintf(err, errlen, "reloaded: %zu overrides, %zu inbound rules",
		    overrides_count(o), d->inbound_rules);
	} else {
		snprintf(err, errlen, "reloaded: %zu overrides", overrides_count(o));
	}
	return 0;
}

/*
 * Reload (SIGHUP, tlsmap reload, so systemctl reload): the service
 * manager hears RELOADING=1, then READY=1 with the counts.  Returns -1
 * when the reload was refused, with the reason in err.
 */
static int
reload(struct daemon *d, char *err, size_t errlen)
{
	int rc;

	notify_state(d, "RELOADING=1");
	rc = reload_tables(d, err, errlen);
	if (rc < 0)
		d->msrc.reloads_failed++;
	else
		d->msrc.reloads_ok++;
	if (rc < 0)
		log_err("reload failed, keeping the previous tables: %s",
		    err);
	else
		log_notice("%s", err);
	notify_state(d, "READY=1");
	return rc;
}

static void
ctl_reload(struct ctl_req *r, int argc, char **argv, void *arg)
{
	char msg[1100];
	int ok = reload(arg, msg, sizeof(msg)) == 0;

	(void)argc;
	(void)argv;
	ctl_printf(r, "%s%s\n", ok ? "" : "reload failed, nothing changed: ",
	    msg);
	ctl_end(r, ok);
}

/* The wall clock the MTA-STS source sees; tests may move it forward. */
static int64_t
daemon_clock(void *arg)
{
	struct daemon *d = arg;

	return (int64_t)time(NULL) + d->clock_offset;
}

#define REFRESH_INTERVAL_MS	60000

static void
refresh_tick(struct loop *l, void *arg)
{
	struct daemon *d = arg;

	if (engine_sts(d->engine))
		sts_refresh_scan(engine_sts(d->engine));
	d->refresh_timer = loop_timer(l, REFRESH_INTERVAL_MS, refresh_tick, d);
}

/* flush KEY|all: forget cached DNS for a domain and fetch its policy again. */
static void
ctl_flush(struct ctl_req *r, int argc, char **argv, void *arg)
{
	struct daemon *d = arg;
	struct sts *sts = engine_sts(d->engine);
	struct dns *dns = engine_dns(d->engine);
	struct key k;
	const char *why;

	if (argc != 2) {
		ctl_printf(r, "usage: flush DOMAIN|all\n");
		ctl_end(r, 0);
		return;
	}
	if (strcmp(argv[1], "all") == 0) {
		if (dns)
			dns_flush(dns, NULL);
		engine_flush_dane(d->engine, NULL);
		if (sts)
			sts_flush(sts, NULL);
		ctl_printf(r, "flushed all\n");
		ctl_end(r, 1);
		return;
	}
	if (key_normalise(argv[1], strlen(argv[1]), &k, &why) < 0
	    || k.kind != KEY_DOMAIN) {
		ctl_printf(r, "bad domain \"%s\": %s\n", argv[1],
		    k.kind != KEY_DOMAIN ? "not a domain" : why);
		ctl_end(r, 0);
		return;
	}
	/* MX host names are shared between domains: all DNS goes. */
	if (dns)
		dns_flush(dns, NULL);
	engine_flush_dane(d->engine, k.host);
	if (sts)
		sts_flush(sts, k.host);
	ctl_printf(r, "flushed %s\n", k.host);
	ctl_end(r, 1);
}

static void
ctl_refresh(struct ctl_req *r, int argc, char **argv, void *arg)
{
	struct daemon *d = arg;

	(void)argc;
	(void)argv;
	if (engine_sts(d->engine))
		sts_refresh_scan(engine_sts(d->engine));
	ctl_printf(r, "refresh scan done\n");
	ctl_end(r, 1);
}

/*
 * clock +SECONDS: move the MTA-STS clock forward.  A test hook: only with
 * clock_control (which only test builds accept), and for root only.
 */
static void
ctl_clock(struct ctl_req *r, int argc, char **argv, void *arg)
{
	struct daemon *d = arg;
	long n;

	if (ctl_peer_uid(r) != 0) {
		log_warn("control: clock refused to uid %ld: root only",
		    (long)ctl_peer_uid(r));
		ctl_printf(r, "clock: root only\n");
		ctl_end(r, 0);
		return;
	}
	if (argc != 2 || argv[1][0] != '+'
	    || (n = parse_long(argv[1] + 1, 0, 100L * 365 * 86400)) < 0) {
		ctl_printf(r, "usage: clock +SECONDS\n");
		ctl_end(r, 0);
		return;
	}
	d->clock_offset += n;
	log_notice("clock moved forward by %lds (offset now %llds)", n,
	    (long long)d->clock_offset);
	ctl_printf(r, "clock offset %llds\n", (long long)d->clock_offset);
	ctl_end(r, 1);
}

/* tlsrpt-flush: write the collector's records now (tlsmap report). */
static void
ctl_tlsrpt_flush(struct ctl_req *r, int argc, char **argv, void *arg)
{
	struct daemon *d = arg;
	struct tlsrpt_collect_stat cs;

	(void)argc;
	(void)argv;
	tlsrpt_collect_flush(d->tlsrpt);
	tlsrpt_collect_stats(d->tlsrpt, &cs);
	ctl_printf(r, "tlsrpt: %lu writes, %lu failed\n", cs.writes,
	    cs.write_failures);
	ctl_end(r, 1);
}

#define STORE_FILE	"sts.lmdb"	/* in state_directory */

/*
 * Open what the fetcher needs while still root, so that the unprivileged
 * process never needs access to the paths: its program and its CA file.
 * The build tree may lie under directories the service user cannot enter.
 */
static int
open_fetcher_files(struct daemon *d, int *exec_fd, int *ca_fd)
{
	const char *fetcher = config_get(d->cf, "sts_fetcher");
	const char *ca = config_get(d->cf, "sts_ca_file");

	*exec_fd = *ca_fd = -1;
	if (*fetcher && (*exec_fd = open(fetcher, O_RDONLY | O_CLOEXEC)) < 0) {
		log_err("sts_fetcher %s: %s", fetcher, strerror(errno));
		return -1;
	}
	if (*ca && (*ca_fd = open(ca, O_RDONLY | O_CLOEXEC)) < 0) {
		log_err("sts_ca_file %s: %s", ca, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * policy_store = redis: open the fleet's shared store.  Redis being down
 * now is no reason not to start (the local store answers meanwhile);
 * a configuration that names no server is.
 */
static int
open_fleet(struct daemon *d)
{
	struct store_options opt = { 0 };
	const char *url = config_get(d->cf, "redis_url");
	char spec[600], err[512];

	if (strcmp(config_get(d->cf, "policy_store"), "redis") != 0)
		return 0;
	if (*url == '\0') {
		log_err("policy_store = redis needs redis_url");
		return -1;
	}
	opt.timeout_ms = config_long(d->cf, "redis_timeout_ms");
	snprintf(spec, sizeof(spec), "redis:%s", url);
	if ((d->fleet = store_open(spec, &opt, err, sizeof(err))) == NULL) {
		log_err("policy_store = redis: %s", err);
		return -1;
	}
	log_info("MTA-STS policies shared through %s", store_name(d->fleet));
	return 0;
}

/*
 * Open the MTA-STS store, after the privilege drop, from inside the state
 * directory (the current directory since set-up): its files are created
 * by, and belong to, the service user, and root never touches them.
 * Symbolic links there are refused, though as the service user they
 * could only reach what that user may write anyway.
 */
static int
open_store(struct daemon *d)
{
	static const char *const files[] = { STORE_FILE, STORE_FILE "-lock" };
	const char *dir = config_get(d->cf, "state_directory");
	struct stat st;
	char err[512];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (lstat(files[i], &st) == 0 && S_ISLNK(st.st_mode)) {
			log_err("%s/%s is a symbolic link: refusing to open the "
			    "MTA-STS policy store (remove it)", dir, files[i]);
			return -1;
		}
	}
	if ((d->store = store_open("lmdb:" STORE_FILE, NULL, err,
	    sizeof(err))) == NULL) {
		log_err("MTA-STS policy store in %s: %s (its files must belong "
		    "to the service user)", dir, err);
		return -1;
	}
	return open_fleet(d);
}

/* The MTA-STS and DANE sources' own failures, for the TLSRPT collector. */
static void
report_event(void *arg, const char *domain, const char *result_type,
    const char *detail)
{
	tlsrpt_collect_event(arg, domain, result_type, detail);
}

/*
 * Start the fetcher (through its spawner) and the MTA-STS source; after
 * the privilege drop.  The fetcher control takes the spawner.
 */
static void
setup_sts(struct daemon *d, struct fetchspawn *spawn)
{
	struct sts_config sc;
	struct dns_port dp = { 0 };
	struct fetch_port fp = { 0 };

	if (spawn != NULL)
		d->fetch = fetchctl_new(d->loop, config_get(d->cf, "sts_fetcher"),
		    spawn);
	memset(&sc, 0, sizeof(sc));
	sc.refresh_before = config_time(d->cf, "sts_refresh_before");
	sc.failure_backoff = config_time(d->cf, "sts_failure_backoff");
	sc.in_use_window = config_time(d->cf, "sts_in_use");
	sc.now = daemon_clock;
	sc.now_arg = d;
	if (d->tlsrpt != NULL) {
		sc.report = report_event;
		sc.report_arg = d->tlsrpt;
	}
	if (engine_dns(d->engine) != NULL)
		dns_port_of(engine_dns(d->engine), &dp);
	if (d->fetch != NULL)
		fetchctl_port_of(d->fetch, &fp);
	engine_set_sts(d->engine, sts_new(d->loop, &dp, d->store, &fp, &sc));
	if (d->fleet)
		sts_set_fleet(engine_sts(d->engine), d->fleet);
	d->refresh_timer = loop_timer(d->loop, REFRESH_INTERVAL_MS, refresh_tick, d);
}

/* The collector's counters for status json: outcome -> count, ... */
static json_t *
tlsrpt_status_json(const struct tlsrpt_collect *c)
{
	struct tlsrpt_collect_stat cs;
	json_t *j = json_object();

	tlsrpt_collect_stats(c, &cs);
	for (int i = 0; i < TLSRPT_COL_NRESULTS; i++)
		json_object_set_new(j, tlsrpt_collect_result_name(i),
		    json_integer((json_int_t)cs.datagrams[i]));
	json_object_set_new(j, "events", json_integer((json_int_t)cs.events));
	json_object_set_new(j, "writes", json_integer((json_int_t)cs.writes));
	json_object_set_new(j, "write_failures",
	    json_integer((json_int_t)cs.write_failures));
	return j;
}

static void
ctl_tlsrpt_status(struct ctl_req *r, const struct tlsrpt_collect *c)
{
	struct tlsrpt_collect_stat cs;

	tlsrpt_collect_stats(c, &cs);
	ctl_printf(r, "tlsrpt: %lu datagrams accepted (%lu capped), %lu "
	    "dropped, %lu excluded, %lu malformed, %lu of another version, "
	    "%lu truncated; %lu own events; %lu writes (%lu failed)\n",
	    cs.datagrams[TLSRPT_COL_OK] + cs.datagrams[TLSRPT_COL_CAPPED],
	    cs.datagrams[TLSRPT_COL_CAPPED], cs.datagrams[TLSRPT_COL_DROPPED],
	    cs.datagrams[TLSRPT_COL_EXCLUDED],
	    cs.datagrams[TLSRPT_COL_MALFORMED],
	    cs.datagrams[TLSRPT_COL_VERSION],
	    cs.datagrams[TLSRPT_COL_TRUNCATED], cs.events, cs.writes,
	    cs.write_failures);
}

/* Answers of one result, or of one source: sums of engine_stats. */
#define RESULT(res)	engine_answers(st, -1, (res))
#define SOURCE(src)	engine_answers(st, (src), -1)

/* status: the policy store line(s); the fleet's state with Redis. */
static void
status_fleet_text(struct ctl_req *r, struct daemon *d, struct sts *sts)
{
	struct sts_fleet_stat fl;

	if (sts_fleet_status(sts, &fl) < 0) {
		ctl_printf(r, "store: lmdb (local)\n");
		return;
	}
	ctl_printf(r, "store: redis %s, %s, %lu errors, backlog %lu, "
	    "%lu adopted, %lu lock waits, %lu fleet flushes%s%s\n",
	    store_name(d->fleet), fl.connected ? "connected" : "disconnected",
	    fl.errors, fl.backlog, fl.adopted, fl.lock_waits, fl.fleet_flushes,
	    fl.last_error[0] ? ", last error: " : "", fl.last_error);
}

static void
status_fleet_json(json_t *j, struct daemon *d, struct sts *sts)
{
	struct sts_fleet_stat fl;

	if (sts_fleet_status(sts, &fl) < 0) {
		json_object_set_new(j, "store", json_pack("{s:s}", "type", "lmdb"));
		return;
	}
	json_object_set_new(j, "store", json_pack("{s:s, s:s, s:b, s:I, s:s, "
	    "s:I, s:I, s:I, s:I}", "type", "redis", "name", store_name(d->fleet),
	    "connected", fl.connected, "errors", (json_int_t)fl.errors,
	    "last_error", fl.last_error, "backlog", (json_int_t)fl.backlog,
	    "adopted", (json_int_t)fl.adopted,
	    "lock_waits", (json_int_t)fl.lock_waits,
	    "fleet_flushes", (json_int_t)fl.fleet_flushes));
}

static void
ctl_status(struct ctl_req *r, int argc, char **argv, void *arg)
{
	struct daemon *d = arg;
	const struct engine_stats *st = engine_stats(d->engine);
	struct sts *sts = engine_sts(d->engine);
	struct fetchctl_stat fs;
	struct sts_stat ss;
	unsigned long dq, dh;
	size_t dc;
	long uptime = (long)(time(NULL) - d->started);
	json_t *j;
	char *txt;

	memset(&fs, 0, sizeof(fs));
	memset(&ss, 0, sizeof(ss));
	if (d->fetch)
		fetchctl_status(d->fetch, &fs);
	if (sts)
		sts_status(sts, &ss);
	if (argc > 1 && strcmp(argv[1], "json") == 0) {
		j = json_pack("{s:s, s:I, s:I, s:{s:I, s:I, s:I, s:I, s:I}, "
		    "s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}}",
		    "version", PACKAGE_VERSION, "uptime", (json_int_t)uptime,
		    "overrides", (json_int_t)overrides_count(engine_overrides(d->engine)),
		    "answers", "total", (json_int_t)st->queries,
		    "ok", (json_int_t)RESULT(ANS_OK),
		    "notfound", (json_int_t)RESULT(ANS_NOTFOUND),
		    "temp", (json_int_t)RESULT(ANS_TEMP),
		    "perm", (json_int_t)RESULT(ANS_PERM),
		    "sources", "override", (json_int_t)SOURCE(ANS_OVERRIDE),
		    "dane", (json_int_t)SOURCE(ANS_DANE),
		    "mta-sts", (json_int_t)SOURCE(ANS_STS),
		    "none", (json_int_t)SOURCE(ANS_NONE),
		    "error", (json_int_t)SOURCE(ANS_ERROR),
		    "mx-rule", (json_int_t)SOURCE(ANS_MX_RULE),
		    "default", (json_int_t)SOURCE(ANS_DEFAULT));
		if (j && sts)
			json_object_set_new(j, "mta-sts", json_pack(
			    "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			    "domains", (json_int_t)ss.domains,
			    "stored", (json_int_t)ss.stored, "hits", (json_int_t)ss.hits,
			    "txt_lookups", (json_int_t)ss.txt_lookups,
			    "fetches", (json_int_t)ss.fetches,
			    "fetch_failures", (json_int_t)ss.fetch_failures,
			    "refreshes", (json_int_t)ss.refreshes,
			    "first_contact_timeouts", (json_int_t)ss.first_contact_timeouts));
		if (j && sts)
			status_fleet_json(j, d, sts);
		if (j && d->fetch)
			json_object_set_new(j, "fetcher", json_pack(
			    "{s:I, s:I, s:I, s:I, s:I}", "pid", (json_int_t)fs.pid,
			    "restarts", (json_int_t)fs.restarts,
			    "inflight", (json_int_t)fs.inflight,
			    "requests", (json_int_t)fs.requests,
			    "failures", (json_int_t)fs.failures));
		if (j && engine_dns(d->engine)) {
			struct dns_stat ds;
			dns_stats(engine_dns(d->engine), &ds);
			json_object_set_new(j, "dns", json_pack("{s:I, s:I, s:I}",
			    "cached", (json_int_t)ds.cached,
			    "lookups", (json_int_t)ds.lookups,
			    "cache_hits", (json_int_t)ds.cache_hits));
		}
		if (j && engine_dane_stats(d->engine, &dq, &dh, &dc) == 0)
			json_object_set_new(j, "dane", json_pack("{s:I, s:I, s:I}",
			    "cached", (json_int_t)dc, "queries", (json_int_t)dq,
			    "cache_hits", (json_int_t)dh));
		if (j && d->tlsrpt)
			json_object_set_new(j, "tlsrpt", tlsrpt_status_json(d->tlsrpt));
		txt = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
		json_decref(j);
		ctl_printf(r, "%s\n", txt ? txt : "{}");
		free(txt);
		ctl_end(r, txt != NULL);
		return;
	}
	ctl_printf(r, "version: %s\nuptime: %lds\noverrides: %zu\n",
	    PACKAGE_VERSION, uptime, overrides_count(engine_overrides(d->engine)));
	ctl_printf(r, "answers: %lu (ok %lu, notfound %lu, temp %lu, perm %lu)\n",
	    st->queries, RESULT(ANS_OK), RESULT(ANS_NOTFOUND), RESULT(ANS_TEMP),
	    RESULT(ANS_PERM));
	ctl_printf(r, "sources: override %lu, dane %lu, mta-sts %lu, none %lu, "
	    "error %lu, mx-rule %lu, default %lu\n", SOURCE(ANS_OVERRIDE),
	    SOURCE(ANS_DANE), SOURCE(ANS_STS), SOURCE(ANS_NONE),
	    SOURCE(ANS_ERROR), SOURCE(ANS_MX_RULE), SOURCE(ANS_DEFAULT));
	if (engine_dns(d->engine)) {
		struct dns_stat ds;
		dns_stats(engine_dns(d->engine), &ds);
		ctl_printf(r, "dns: %zu answers cached, %lu lookups, %lu from the "
		    "cache (%.0f%%)\n", ds.cached, ds.lookups, ds.cache_hits,
		    ds.lookups ? 100.0 * (double)ds.cache_hits / (double)ds.lookups : 0.0);
	}
	if (engine_dane_stats(d->engine, &dq, &dh, &dc) == 0)
		ctl_printf(r, "dane: %zu results cached, %lu queries, %lu from the "
		    "cache (%.0f%%)\n", dc, dq, dh,
		    dq ? 100.0 * (double)dh / (double)dq : 0.0);
	if (sts)
		ctl_printf(r, "mta-sts: %lu domains in memory, %lu stored, %lu hits, "
		    "%lu TXT lookups, %lu fetches (%lu failed), %lu refreshes, "
		    "%lu first-contact timeouts\n", ss.domains, ss.stored, ss.hits,
		    ss.txt_lookups, ss.fetches, ss.fetch_failures, ss.refreshes,
		    ss.first_contact_timeouts);
	if (sts)
		status_fleet_text(r, d, sts);
	if (d->fetch)
		ctl_printf(r, "fetcher: pid %ld, %u restarts, %u in flight, "
		    "%lu requests, %lu failed\n", (long)fs.pid, fs.restarts,
		    fs.inflight, fs.requests, fs.failures);
	if (d->tlsrpt)
		ctl_tlsrpt_status(r, d->tlsrpt);
	ctl_end(r, 1);
}

/* explain KEY: the chain a query for KEY goes through, as JSON. */
struct explain_req {
	struct ctl_req *r;
	json_t *trace;
	struct answer ans;
};

static void
explain_done(void *arg, struct answer *ans)
{
	struct explain_req *x = arg;
	char *txt = json_dumps(x->trace, JSON_INDENT(2) | JSON_SORT_KEYS);

	(void)ans;
	ctl_printf(x->r, "%s\n", txt ? txt : "{}");
	ctl_end(x->r, txt != NULL);
	free(txt);
	json_decref(x->trace);
	answer_clear(&x->ans);
	free(x);
}

static void
ctl_explain(struct ctl_req *r, int argc, char **argv, void *arg)
{
	struct daemon *d = arg;
	struct explain_req *x;

	if (argc != 2) {
		ctl_printf(r, "usage: explain KEY\n");
		ctl_end(r, 0);
		return;
	}
	x = xcalloc(1, sizeof(*x));
	x->r = r;
	x->trace = json_object();
	if (engine_explain(d->engine, argv[1], x->trace, &x->ans, explain_done,
	    x))
		explain_done(x, &x->ans);
}

static void
on_signal(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct daemon *d = arg;
	struct signalfd_siginfo si;

	(void)ev;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP: {
			char err[1100];
			log_notice("reloading on SIGHUP");
			reload(d, err, sizeof(err));
			break;
		}
		case SIGTERM:
		case SIGINT:
			log_notice("stopping on signal %u", si.ssi_signo);
			loop_stop(l);
			break;
		default:
			break;
		}
	}
}

static int
setup_signals(struct daemon *d)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0)
		return -1;
	return loop_add(d->loop, d->sigfd, LOOP_IN, on_signal, d);
}

/*
 * Create the state directory and give it to the service user, by its
 * descriptor.  Root touches nothing inside it: the service user (and so
 * the fetcher) may write there, and a symbolic link planted there would
 * make root write where it points.  O_PATH, because root may not read
 * the directory (the systemd unit leaves it no CAP_DAC_OVERRIDE); it is
 * entered after the privilege drop (enter_state_dir()).  Returns the
 * descriptor or -1.
 */
static int
setup_state_dir(const char *dir, const struct passwd *pw)
{
	int fd;

	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		log_err("cannot create state directory %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if ((fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		log_err("cannot open state directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (pw != NULL
	    && fchownat(fd, "", pw->pw_uid, pw->pw_gid, AT_EMPTY_PATH) < 0) {
		struct stat st;

		/* A read-only file system with the directory already the
		 * user's: run on, the store reads and logs failed writes. */
		if (errno != EROFS || fstat(fd, &st) < 0
		    || st.st_uid != pw->pw_uid) {
			log_err("cannot chown state directory %s: %s", dir,
			    strerror(errno));
			close(fd);
			return -1;
		}
		log_warn("state directory %s is on a read-only file system",
		    dir);
	}
	return fd;
}

/* Make the state directory the current one (the store is opened there). */
static int
enter_state_dir(int fd, const char *dir)
{
	if (fchdir(fd) < 0) {
		log_err("cannot enter state directory %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

#define FD_RESERVE	64	/* DNS sockets, store, fetcher, control */

/*
 * Raise the soft limit on descriptors to the hard one: every connection
 * takes one, and running out stalls new clients (the listeners then
 * pause, listen.c).  Say so when even that is below what
 * max_connections needs (each of the socketmap and policy services).
 */
static void
raise_fd_limit(const struct config *cf)
{
	long need = config_long(cf, "max_connections")
	    * (*config_get(cf, "policy_listen") ? 2 : 1) + FD_RESERVE;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t cur = rl.rlim_cur;
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			log_warn("cannot raise the open file limit to %llu: %s",
			    (unsigned long long)rl.rlim_max, strerror(errno));
			rl.rlim_cur = cur;
		}
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)need)
		log_warn("open file limit %llu is below the %ld that "
		    "max_connections needs: raise it (LimitNOFILE= in the "
		    "systemd unit, ulimit -n) or lower max_connections",
		    (unsigned long long)rl.rlim_cur, need);
}

/* The gid of group name; (gid_t)-1 for an empty name. */
static int
lookup_group(const char *name, gid_t *gid)
{
	struct group *gr;

	*gid = (gid_t)-1;
	if (*name == '\0')
		return 0;
	if ((gr = getgrnam(name)) == NULL) {
		log_err("group \"%s\" does not exist", name);
		return -1;
	}
	*gid = gr->gr_gid;
	return 0;
}

static int
drop_privileges(const struct passwd *pw)
{
	char err[256];

	if (pw == NULL)
		return 0;
	if (become_user(pw, err, sizeof(err)) < 0) {
		log_err("%s", err);
		return -1;
	}
	return 0;
}

static void
daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0) {
		log_err("fork: %s", strerror(errno));
		exit(1);
	}
	if (pid > 0)
		_exit(0);
	setsid();
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

/*
 * Start-up: what main() carries from one step to the next, and frees at
 * the end whatever the step that failed.
 */
struct startup {
	int foreground, level;
	const char *user;
	struct passwd *pw;		/* NULL: stay as we are */
	struct overrides *o;		/* until the engine takes it */
	struct inbound *ib;		/* until the policy service takes it */
	int need_dns;
	struct dns_config dc;
	/* Opened as root (open_as_root()). */
	int lfd, plfd, cfd;		/* socketmap, policy, control sockets */
	int mfd;			/* metrics_listen */
	int rfd;			/* tlsrpt_listen */
	gid_t control_gid;
	int statefd;			/* the state directory, O_PATH */
	int sts_exec_fd, sts_ca_fd;	/* the fetcher and its CA file */
	struct fetchspawn *spawn;	/* until the fetcher control takes it */
};

/*
 * -x, once the daemon stopped (the unit's ExecStopPost=, as root): remove
 * the unix sockets it listened on and the chroot link it made, which the
 * daemon itself, no longer root, may lack the rights to remove.  Sockets
 * a daemon still listens on stay (exit 1).
 */
static int
remove_sockets(const struct config *cf)
{
	static const char *const names[] = {
		"socketmap_listen", "policy_listen", "control_listen",
		"metrics_listen"
	};
	const char *qdir = config_get(cf, "postfix_queue_directory");

	/* The control socket is for tlsmap: it has no chroot link. */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (listen_remove_stale(config_get(cf, names[i]),
		    i < 2 ? qdir : "") < 0)
			return 1;
	if (config_bool(cf, "tlsrpt_enable")
	    && listen_remove_stale(config_get(cf, "tlsrpt_listen"), qdir) < 0)
		return 1;
	return 0;
}

/*
 * The command line, and the configuration file it names.  Returns the
 * exit code for -V, -d, -n and errors, or -1 to go on.
 */
static int
options(int argc, char **argv, struct daemon *d, struct startup *su)
{
	int ch, print_set = 0, print_defaults = 0, verbose = 0, remove = 0;
	char err[512];

	d->cf_path = DEF_CONFIG_FILE;
	while ((ch = getopt(argc, argv, "c:fndvVhx")) != -1) {
		switch (ch) {
		case 'V':
			printf("tlspolicyd %s\n", PACKAGE_VERSION);
			return 0;
		case 'c':
			d->cf_path = optarg;
			break;
		case 'f':
			su->foreground = 1;
			break;
		case 'n':
			print_set = 1;
			break;
		case 'd':
			print_defaults = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'x':
			remove = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("tlspolicyd", 1, LOG_LVL_NOTICE);
	if (print_defaults) {
		d->cf = params_new();
		config_print(stdout, d->cf, 0);
		config_free(d->cf);
		return 0;
	}
	/* The compiled-in file may be absent; a named one must exist. */
	d->cf = params_load(d->cf_path, strcmp(d->cf_path, DEF_CONFIG_FILE) != 0,
	    err, sizeof(err));
	if (d->cf == NULL) {
		fprintf(stderr, "tlspolicyd: %s\n", err);
		return 1;
	}
	/* Every exit path, start-up errors included, frees it. */
	exit_cf = d->cf;
	atexit(free_exit_cf);
	if (print_set) {
		config_print(stdout, d->cf, 1);
		return 0;
	}
	if (remove)
		return remove_sockets(d->cf);
	su->level = verbose ? LOG_LVL_DEBUG
	    : log_level_parse(config_get(d->cf, "log_level"));
	return -1;
}

/*
 * Step 1, configuration: the files it names (override table, inbound
 * rules, resolvers, trust anchor) and the service user.  Start-up errors
 * go to stderr, where the admin is looking; after detaching, logging
 * moves to syslog.
 */
static int
step_configuration(struct daemon *d, struct startup *su)
{
	char err[512];

	log_init("tlspolicyd", 1, su->level);
	if ((su->o = load_overrides(d->cf, err, sizeof(err))) == NULL
	    || (su->ib = policy_rules_load(config_get(d->cf,
	    "inbound_rules_file"), err, sizeof(err))) == NULL) {
		log_err("%s", err);
		return -1;
	}
	su->need_dns = config_bool(d->cf, "dane_enable")
	    || config_bool(d->cf, "sts_enable")
	    || config_bool(d->cf, "tlsrpt_enable");	/* _smtp._tls */
	if (su->need_dns && dns_config_from(&su->dc, d->cf, "/etc/resolv.conf",
	    err, sizeof(err)) < 0) {
		log_err("%s", err);
		return -1;
	}
	su->user = config_get(d->cf, "user");
	if (geteuid() == 0 && *su->user
	    && (su->pw = getpwnam(su->user)) == NULL) {
		log_err("user \"%s\" does not exist: create it (adduser --system "
		    "--group %s) or set user in %s", su->user, su->user,
		    d->cf_path);
		return -1;
	}
	return 0;
}

/* A listening socket of the configuration, by its parameter names. */
static int
open_listener(struct daemon *d, const char *name, const char *mode,
    const char *group, const char *user, const char *queue)
{
	char err[512];
	int fd = listen_open(config_get(d->cf, name), config_get(d->cf, mode),
	    config_get(d->cf, group), user, queue, err, sizeof(err));

	if (fd < 0)
		log_err("%s: %s", name, err);
	return fd;
}

/* The metrics listener: a unix socket anyone may connect to, or inet. */
static int
open_metrics(struct daemon *d)
{
	char err[512];
	int fd = listen_open(config_get(d->cf, "metrics_listen"), "0666", "",
	    "", "", err, sizeof(err));

	if (fd < 0)
		log_err("metrics_listen: %s", err);
	return fd;
}

/* The TLSRPT collector's datagram socket, for Postfix's smtp(8). */
static int
open_tlsrpt(struct daemon *d, const char *user, const char *queue)
{
	char err[512];
	int fd = listen_open_dgram(config_get(d->cf, "tlsrpt_listen"),
	    config_get(d->cf, "tlsrpt_mode"), config_get(d->cf, "tlsrpt_group"),
	    user, queue, err, sizeof(err));

	if (fd < 0)
		log_err("tlsrpt_listen: %s", err);
	return fd;
}

/*
 * Step 2, sockets and files, as root.  This is the one place where
 * anything is opened before the privilege drop; everything else is
 * opened as the service user.  As root:
 *   - the open file limit is raised (RLIMIT_NOFILE);
 *   - the event loop (epoll);
 *   - socketmap_listen, policy_listen (when set): created for Postfix,
 *     with their modes and groups;
 *   - metrics_listen (when set): mode 0666, what it tells is no secret
 *     (anyone on the host reaches an inet: one);
 *   - tlsrpt_listen (tlsrpt_enable): a datagram socket for Postfix's
 *     smtp(8), with tlsrpt_mode and tlsrpt_group;
 *   - control_listen (when set): owned by root, control_group may
 *     connect (control.c checks every peer);
 *   - state_directory: created and given to the service user, held by
 *     an O_PATH descriptor, never entered or read as root;
 *   - sts_fetcher and sts_ca_file (MTA-STS on): opened for fexecve()
 *     and the fetcher's /dev/fd/3, so it needs no access to the paths.
 */
static int
open_as_root(struct daemon *d, struct startup *su)
{
	const char *queue = config_get(d->cf, "postfix_queue_directory");

	raise_fd_limit(d->cf);
	if ((d->loop = loop_new()) == NULL) {
		log_err("epoll: %s", strerror(errno));
		return -1;
	}
	if ((su->lfd = open_listener(d, "socketmap_listen", "socketmap_mode",
	    "socketmap_group", su->user, queue)) < 0)
		return -1;
	if (*config_get(d->cf, "policy_listen") && (su->plfd = open_listener(d,
	    "policy_listen", "policy_mode", "policy_group", su->user,
	    queue)) < 0)
		return -1;
	if (*config_get(d->cf, "control_listen")
	    && (lookup_group(config_get(d->cf, "control_group"),
	    &su->control_gid) < 0 || (su->cfd = open_listener(d,
	    "control_listen", "control_mode", "control_group", "", "")) < 0))
		return -1;
	if (*config_get(d->cf, "metrics_listen") && (su->mfd = open_metrics(d))
	    < 0)
		return -1;
	if (config_bool(d->cf, "tlsrpt_enable") && (su->rfd = open_tlsrpt(d,
	    su->user, queue)) < 0)
		return -1;
	if ((su->statefd = setup_state_dir(config_get(d->cf, "state_directory"),
	    su->pw)) < 0)
		return -1;
	if (config_bool(d->cf, "sts_enable")
	    && open_fetcher_files(d, &su->sts_exec_fd, &su->sts_ca_fd) < 0)
		return -1;
	return 0;
}

/* Step 3, detach (unless -f); logging moves to syslog. */
static void
step_detach(struct daemon *d, struct startup *su)
{
	if (su->foreground)
		return;
	daemonize();
	log_set_facility(log_facility_parse(config_get(d->cf,
	    "syslog_facility")));
	log_init("tlspolicyd", 0, su->level);
}

/*
 * The fetcher's user (sts_fetcher_user), into pw and buf: it must exist,
 * and be neither root nor the daemon's user, nor share its group (the
 * state directory is open to that group), so that the fetcher can reach
 * neither the store nor anything else the daemon may write.
 */
static int
fetch_user(const char *name, const struct passwd *daemon_pw,
    struct passwd *pw, char *buf, size_t buflen)
{
	struct passwd *res = NULL;
	uid_t duid = daemon_pw ? daemon_pw->pw_uid : 0;
	gid_t dgid = daemon_pw ? daemon_pw->pw_gid : 0;
	struct group *gr;

	if (getpwnam_r(name, pw, buf, buflen, &res) != 0 || res == NULL) {
		log_err("sts_fetcher_user \"%s\" does not exist: create it "
		    "(adduser --system --group --no-create-home --home "
		    "/nonexistent %s)", name, name);
		return -1;
	}
	if (pw->pw_uid == 0 || pw->pw_uid == duid || pw->pw_gid == dgid) {
		log_err("sts_fetcher_user %s must be a user of its own: not "
		    "root, not the daemon's user, not in its group", name);
		return -1;
	}
	if ((gr = getgrgid(dgid)) != NULL)
		for (char **m = gr->gr_mem; *m; m++)
			if (strcmp(*m, name) == 0) {
				log_err("sts_fetcher_user %s is a member of group "
				    "%s, which may read the state directory: "
				    "remove it", name, gr->gr_name);
				return -1;
			}
	return 0;
}

/*
 * Fork the fetcher's spawner, as root, before the privilege drop: it
 * becomes sts_fetcher_user and starts and restarts stsfetch for the
 * daemon (fetchspawn(3)).  Not root: no change of user is possible, the
 * fetcher runs as the daemon does.  An empty sts_fetcher_user keeps the
 * old way, the fetcher as the daemon's user.
 */
static int
start_fetch_spawner(struct daemon *d, struct startup *su)
{
	const char *name = config_get(d->cf, "sts_fetcher_user");
	struct fetchspawn_config c = { config_get(d->cf, "sts_fetcher"),
	    su->sts_exec_fd, su->sts_ca_fd,
	    config_long(d->cf, "sts_fetch_workers"), NULL };
	struct passwd fpw;
	char buf[4096], err[512];

	if (su->sts_exec_fd < 0)
		return 0;
	if (geteuid() == 0 && *name == '\0') {
		log_warn("sts_fetcher_user is empty: the fetcher runs as the "
		    "daemon's user and could write the MTA-STS store");
		c.pw = su->pw;
	} else if (geteuid() == 0) {
		if (fetch_user(name, su->pw, &fpw, buf, sizeof(buf)) < 0)
			return -1;
		c.pw = &fpw;
	}
	if ((su->spawn = fetchspawn_new(&c, err, sizeof(err))) == NULL) {
		log_err("%s", err);
		return -1;
	}
	/* The spawner has them now; the daemon needs neither. */
	close(su->sts_exec_fd);
	if (su->sts_ca_fd >= 0)
		close(su->sts_ca_fd);
	su->sts_exec_fd = su->sts_ca_fd = -1;
	return 0;
}

/*
 * Step 4, privileges: start the fetcher's spawner as its own user, drop
 * to the service user, then enter the state directory and open the
 * policy store there, as that user.
 */
static int
step_privileges(struct daemon *d, struct startup *su)
{
	if (start_fetch_spawner(d, su) < 0 || drop_privileges(su->pw) < 0
	    || enter_state_dir(su->statefd, config_get(d->cf,
	    "state_directory")) < 0
	    || ((config_bool(d->cf, "sts_enable")
	    || config_bool(d->cf, "tlsrpt_enable")) && open_store(d) < 0))
		return -1;
	close(su->statefd);
	su->statefd = -1;
	return 0;
}

/*
 * The TLSRPT collector on its socket, with the daemon's clock and store;
 * before MTA-STS, which reports its failures to it.
 */
static void
setup_tlsrpt(struct daemon *d, struct startup *su)
{
	struct tlsrpt_collect_config tc = { &d->tlsrpt_conf, d->store,
	    daemon_clock, d };
	char host[256] = "";

	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	tlsrpt_conf_init(&d->tlsrpt_conf, d->cf, host);
	d->tlsrpt = tlsrpt_collect_new(d->loop, su->rfd, &tc);
	su->rfd = -1;		/* the collector's now */
	d->msrc.tlsrpt = d->tlsrpt;
}

/* The reporter's turn: the collector's records written, then sent. */
static void
rpt_tick(struct loop *l, void *arg)
{
	struct daemon *d = arg;

	tlsrpt_collect_flush(d->tlsrpt);
	tlsrpt_send_tick(d->rptsend);
	d->rpt_timer = loop_timer(l, TLSRPT_TICK_MS, rpt_tick, d);
}

static int
rpt_excluded(void *arg, const char *domain)
{
	return tlsrpt_conf_excluded(arg, domain);
}

/*
 * The TLSRPT reporter beside the collector: after MTA-STS, whose fetcher
 * POSTs the https: reports.
 */
static void
setup_tlsrpt_send(struct daemon *d)
{
	struct tlsrpt_send_config c = { 0 };
	struct dns_port dp = { 0 };
	struct rpt_source src;
	struct rpt_sender out;
	const char *sender = config_get(d->cf, "tlsrpt_sender");

	c.organization = d->tlsrpt_conf.organization;
	c.contact = d->tlsrpt_conf.contact;
	c.submitter = d->tlsrpt_conf.submitter;
	c.sender = *sender ? sender : d->tlsrpt_conf.contact;
	c.excluded = rpt_excluded;
	c.excluded_arg = &d->tlsrpt_conf;
	c.spread = config_time(d->cf, "tlsrpt_spread");
	c.window = config_long(d->cf, "tlsrpt_retry_hours") * 3600;
	c.retain_days = (unsigned)config_long(d->cf, "tlsrpt_retain_days");
	c.now = daemon_clock;
	c.now_arg = d;
	if (engine_dns(d->engine) != NULL)
		dns_port_of(engine_dns(d->engine), &dp);
	d->rptout.loop = d->loop;
	d->rptout.sendmail = config_get(d->cf, "tlsrpt_sendmail");
	d->rptout.timeout_ms = config_time(d->cf, "tlsrpt_sendmail_timeout")
	    * 1000;
	d->rptout.fetch = d->fetch;
	tlsrpt_source_of_store(d->store, &src);
	tlsrpt_sender_of(&d->rptout, &out);
	d->rptsend = tlsrpt_send_new(d->loop, &dp, &src, &out, &c);
	d->rpt_timer = loop_timer(d->loop, TLSRPT_TICK_MS, rpt_tick, d);
}

/*
 * Step 5, the sources of answers: the engine with the override table,
 * the resolver and DANE (without DANE and MTA-STS the daemon sends no
 * DNS queries at all), the fetcher and MTA-STS.
 */
static void
step_sources(struct daemon *d, struct startup *su)
{
	d->engine = engine_new(d->loop, d->cf);
	engine_set_overrides(d->engine, su->o);
	su->o = NULL;		/* the engine's now */
	if (su->rfd >= 0) {
		setup_tlsrpt(d, su);
		engine_set_report(d->engine, report_event, d->tlsrpt);
	}
	if (su->need_dns) {
		engine_set_dns(d->engine, dns_new(d->loop, &su->dc));
		su->dc.anchors = NULL;	/* the resolver's now */
	}
	if (!config_bool(d->cf, "dane_enable"))
		engine_disable_dane(d->engine);
	if (config_bool(d->cf, "sts_enable")) {
		setup_sts(d, su->spawn);
		su->spawn = NULL;	/* the fetcher control's now */
	}
	if (d->tlsrpt != NULL && d->store != NULL)
		setup_tlsrpt_send(d);
}

/* The control socket's commands. */
static int
setup_control(struct daemon *d, struct startup *su)
{
	d->control = control_new(d->loop, su->cfd, su->control_gid);
	if (d->control == NULL) {
		log_err("cannot watch the control socket: %s", strerror(errno));
		return -1;
	}
	control_register(d->control, "reload", ctl_reload, d);
	control_register(d->control, "status", ctl_status, d);
	control_register(d->control, "flush", ctl_flush, d);
	control_register(d->control, "refresh", ctl_refresh, d);
	control_register(d->control, "explain", ctl_explain, d);
	if (d->tlsrpt != NULL)
		control_register(d->control, "tlsrpt-flush", ctl_tlsrpt_flush, d);
	if (config_bool(d->cf, "clock_control"))
		control_register(d->control, "clock", ctl_clock, d);
	return 0;
}

/* The metrics endpoint, reading the services' and sources' counters. */
static int
setup_metrics(struct daemon *d, struct startup *su)
{
	d->msrc.engine = d->engine;
	d->msrc.sockmap = d->sockmap;
	d->msrc.policy = d->policy;
	d->msrc.fetch = d->fetch;
	d->msrc.started = d->started;
	if ((d->metrics = metrics_srv_new(d->loop, su->mfd, &d->msrc)) == NULL) {
		log_err("cannot watch the metrics socket: %s", strerror(errno));
		return -1;
	}
	su->mfd = -1;		/* the server's now */
	return 0;
}

/* Step 6, the services on the sockets, and the signals. */
static int
step_services(struct daemon *d, struct startup *su)
{
	d->sockmap = sockmap_srv_new(d->loop, d->engine, su->lfd,
	    config_long(d->cf, "max_connections"),
	    config_time(d->cf, "idle_timeout") * 1000,
	    config_time(d->cf, "request_timeout") * 1000);
	if (su->cfd >= 0 && setup_control(d, su) < 0)
		return -1;
	if (su->plfd >= 0)
		d->policy = policy_srv_new(d->loop, su->plfd, su->ib,
		    config_long(d->cf, "max_connections"),
		    config_time(d->cf, "policy_idle_timeout") * 1000,
		    config_time(d->cf, "request_timeout") * 1000);
	if (d->policy != NULL) {
		d->inbound_rules = inbound_count(su->ib);
		su->ib = NULL;	/* the server's now */
	}
	inbound_free(su->ib);
	su->ib = NULL;
	d->started = time(NULL);
	if (su->mfd >= 0 && d->sockmap != NULL && setup_metrics(d, su) < 0)
		return -1;
	if (d->sockmap == NULL || (su->plfd >= 0 && d->policy == NULL)
	    || setup_signals(d) < 0) {
		log_err("cannot set up the event loop: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Run until stopped; 0, or 1 on a loop error. */
static int
run(struct daemon *d)
{
	log_notice("started: socketmap %s, %zu overrides",
	    config_get(d->cf, "socketmap_listen"),
	    overrides_count(engine_overrides(d->engine)));
	notify_state(d, "READY=1");
	if (loop_run(d->loop) < 0)
		return 1;
	/* Sockets vanish with the daemon (after the privilege drop this may
	 * fail for lack of rights on the directory; a restart replaces them). */
	listen_unlink(config_get(d->cf, "socketmap_listen"));
	listen_unlink(config_get(d->cf, "control_listen"));
	listen_unlink(config_get(d->cf, "policy_listen"));
	listen_unlink(config_get(d->cf, "metrics_listen"));
	if (d->tlsrpt != NULL)
		listen_unlink(config_get(d->cf, "tlsrpt_listen"));
	return 0;
}

/* Whatever start-up made so far, and the daemon. */
static void
cleanup(struct daemon *d, struct startup *su)
{
	metrics_srv_free(d->metrics);
	control_free(d->control);
	sockmap_srv_free(d->sockmap);
	loop_timer_cancel(d->loop, d->refresh_timer);
	policy_srv_free(d->policy);
	loop_timer_cancel(d->loop, d->rpt_timer);
	tlsrpt_send_free(d->rptsend);
	engine_free(d->engine);
	fetchctl_free(d->fetch);
	tlsrpt_collect_free(d->tlsrpt);	/* writes what waits */
	tlsrpt_conf_clear(&d->tlsrpt_conf);
	store_close(d->store);
	store_close(d->fleet);
	overrides_free(su->o);
	inbound_free(su->ib);
	if (su->statefd >= 0)
		close(su->statefd);
	if (su->mfd >= 0)
		close(su->mfd);
	if (su->rfd >= 0)
		close(su->rfd);
	fetchspawn_free(su->spawn);
	dnssec_anchors_free(su->dc.anchors);
	loop_free(d->loop);
}

int
main(int argc, char **argv)
{
	struct daemon d;
	struct startup su;
	int rc;

	memset(&d, 0, sizeof(d));
	memset(&su, 0, sizeof(su));
	su.lfd = su.plfd = su.cfd = su.statefd = su.mfd = su.rfd = -1;
	su.sts_exec_fd = su.sts_ca_fd = -1;
	su.control_gid = (gid_t)-1;
	if ((rc = options(argc, argv, &d, &su)) >= 0)
		return rc;
	rc = 1;
	if (step_configuration(&d, &su) == 0 && open_as_root(&d, &su) == 0) {
		step_detach(&d, &su);
		if (step_privileges(&d, &su) == 0) {
			step_sources(&d, &su);
			if (step_services(&d, &su) == 0)
				rc = run(&d);
		}
	}
	cleanup(&d, &su);
	return rc;
}
