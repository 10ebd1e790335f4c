/* SPDX-License-Identifier: MIT */
/*
 * tlsmap report [DOMAIN] [--day YYYY-MM-DD] [--json]: a day's TLSRPT
 * aggregate from the policy store, read-only (tlsmap(8) REPORT).  The
 * daemon is first asked to write what waits in its collector, when its
 * control socket is there; the store is read either way.
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "report.h"
#include "store.h"
#include "tlsmap.h"
#include "tlsrpt_conf.h"
#include "tlsrpt_report.h"
#include "util.h"

#define REPORT_STORE	"sts.lmdb"	/* in state_directory, as the daemon */

struct day_walk {
	struct store *st;
	const struct report_args *a;
	const struct tlsrpt_report_meta *meta;
	json_t *reports;		/* --json */
	size_t n;
};

/* The reporter's delivery state for (day, domain), as a line. */
static void
delivery_state(struct store *st, int64_t day, const char *domain, char *out,
    size_t outlen)
{
	char key[STORE_REC_KEY_MAX + 1], ds[TLSRPT_DAY_LEN + 1];
	void *val = NULL;
	size_t len = 0;

	tlsrpt_day_str(day, ds);
	snprintf(key, sizeof(key), "rptsent/%s/%s", ds, domain);
	if (store_rec_get(st, key, &val, &len) != 1)
		val = NULL;
	report_state_text(val, len, out, outlen);
	free(val);
}

static int
show_one(const char *key, const void *val, size_t len, void *arg)
{
	struct day_walk *w = arg;
	struct tlsrpt_agg_rec *r;
	char why[256], state[512];

	if (tlsrpt_agg_rec_decode(key, val, len, &r, why, sizeof(why))
	    != TLSRPT_AGG_DEC_OK) {
		fprintf(stderr, "tlsmap: record %s skipped: %s\n", key, why);
		return 0;
	}
	w->n++;
	if (w->reports != NULL) {
		json_t *j = tlsrpt_report_json(r, NULL, 1, w->meta);
		if (j != NULL)
			json_array_append_new(w->reports, j);
	} else {
		delivery_state(w->st, r->day, r->domain, state, sizeof(state));
		report_write_rec(stdout, r, state);
	}
	tlsrpt_agg_rec_free(r);
	return 0;
}

/* One domain's record: 0 shown or absent, -1 on failure. */
static int
show_key(struct day_walk *w, const char *key)
{
	void *val;
	size_t len;
	int rc = store_rec_get(w->st, key, &val, &len);

	if (rc == 1)
		show_one(key, val, len, w);
	free(val);
	return rc < 0 ? -1 : 0;
}

/* Ask a running daemon to write its collector's records; quiet. */
static void
daemon_flush(const struct config *cf)
{
	const char *spec = config_get(cf, "control_listen");
	FILE *null;

	if (strncmp(spec, "unix:", 5) != 0 || access(spec + 5, F_OK) < 0
	    || (null = fopen("/dev/null", "w")) == NULL)
		return;
	(void)control(cf, "tlsrpt-flush", null);
	fclose(null);
}

static struct store *
open_store_ro(const struct config *cf)
{
	struct store_options ro = { .readonly = 1 };
	char spec[4096], err[512];
	struct store *st;

	snprintf(spec, sizeof(spec), "lmdb:%s/%s",
	    config_get(cf, "state_directory"), REPORT_STORE);
	if ((st = store_open(spec, &ro, err, sizeof(err))) == NULL)
		fprintf(stderr, "tlsmap: %s\n", err);
	return st;
}

static int
print_json(json_t *reports)
{
	char *txt = json_dumps(reports, JSON_INDENT(2));

	if (txt == NULL)
		return -1;
	printf("%s\n", txt);
	free(txt);
	return 0;
}

int
report_main(const struct config *cf, int argc, char **argv)
{
	struct report_args a;
	struct tlsrpt_conf tc;
	struct tlsrpt_report_meta meta;
	struct day_walk w;
	char err[256], prefix[STORE_REC_KEY_MAX + 1], ds[TLSRPT_DAY_LEN + 1];
	char host[256] = "";
	int rc;

	if (report_args(argc, argv, &a, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlsmap report: %s\nusage: tlsmap report "
		    "[DOMAIN] [--day YYYY-MM-DD] [--json]\n", err);
		return 2;
	}
	if (a.day < 0)
		a.day = tlsrpt_day((int64_t)time(NULL));
	tlsrpt_day_str(a.day, ds);
	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	tlsrpt_conf_init(&tc, cf, host);
	meta.organization = tc.organization;
	meta.contact = tc.contact;
	daemon_flush(cf);
	memset(&w, 0, sizeof(w));
	if ((w.st = open_store_ro(cf)) == NULL) {
		tlsrpt_conf_clear(&tc);
		return 2;
	}
	w.a = &a;
	w.meta = &meta;
	w.reports = a.json ? json_array() : NULL;
	snprintf(prefix, sizeof(prefix), "rpt/%s/%s", ds,
	    a.domain ? a.domain : "");
	rc = a.domain ? show_key(&w, prefix)
	    : store_rec_iter_prefix(w.st, prefix, show_one, &w);
	if (rc >= 0 && w.reports != NULL && print_json(w.reports) < 0)
		rc = -1;
	else if (rc >= 0 && w.n == 0 && w.reports == NULL)
		printf("no TLSRPT records for %s%s%s\n", ds,
		    a.domain ? " and " : "", a.domain ? a.domain : "");
	json_decref(w.reports);
	store_close(w.st);
	tlsrpt_conf_clear(&tc);
	return rc < 0 ? 2 : w.n ? 0 : 1;
}
