/* SPDX-License-Identifier: MIT */
/*
 * rptfill - test fixture: put one TLSRPT aggregate into a tlspolicyd
 * store, as the collector would have written it.
 *
 *	rptfill STORE DAY DOMAIN RECORD TOTAL FAILED
 *
 * STORE is the LMDB file (state_directory/sts.lmdb), DAY YYYY-MM-DD,
 * DOMAIN the TLSRPT domain, RECORD its TLSRPT record as Postfix saw it;
 * the aggregate holds one MTA-STS policy of DOMAIN (enforce, MX
 * mx.DOMAIN) with TOTAL sessions of which FAILED failed, each failure
 * with one detail (certificate-expired from 127.0.0.30 to mx.DOMAIN).
 * Written under "rpt/DAY/DOMAIN" with store_rec_put() (tlsrpt_agg.h,
 * STORE LAYOUT).  Exit 0, or 1 with a message.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "tlsrpt_agg.h"
#include "util.h"

static int
fill(struct store *st, int64_t day, const char *domain, const char *pr,
    long total, long failed)
{
	char mxname[DOMAIN_MAX + 8], key[TLSRPT_AGG_KEY_MAX + 1];
	char *strings[] = { "version: STSv1", "mode: enforce", NULL,
	    "max_age: 86400" };
	char mxline[DOMAIN_MAX + 16], *mx[1];
	struct tlsrpt_detail det = { 0 };
	struct tlsrpt_policy p = { 0 };
	struct tlsrpt_agg_rec *r = tlsrpt_agg_rec_new(day, domain);
	unsigned char *buf;
	size_t len;
	int rc;

	snprintf(mxname, sizeof(mxname), "mx.%s", domain);
	snprintf(mxline, sizeof(mxline), "mx: %s", mxname);
	strings[2] = mxline;
	mx[0] = mxname;
	det.code = 201;			/* certificate-expired */
	det.s = "127.0.0.30";
	det.n = mxname;
	det.r = "127.0.0.25";
	p.type = TLSRPT_POLICY_STS;
	p.domain = (char *)domain;
	p.strings = strings;
	p.nstrings = 4;
	p.mx = mx;
	p.nmx = 1;
	p.t = -1;
	for (long i = 0; i < total; i++) {
		p.failed = i < failed;
		p.details = p.failed ? &det : NULL;
		p.ndetails = p.failed ? 1 : 0;
		tlsrpt_agg_rec_add(r, pr, &p, NULL);
	}
	buf = tlsrpt_agg_rec_encode(r, &len);
	rc = tlsrpt_agg_key(day, domain, key, sizeof(key)) == 0 && buf != NULL
	    && store_rec_put(st, key, buf, len) == 0 ? 0 : -1;
	free(buf);
	tlsrpt_agg_rec_free(r);
	return rc;
}

int
main(int argc, char **argv)
{
	struct store *st;
	char spec[PATH_MAX + 8], err[256];
	int64_t day;
	long total, failed;
	int rc;

	if (argc != 7) {
		fprintf(stderr, "usage: rptfill STORE DAY DOMAIN RECORD TOTAL "
		    "FAILED\n");
		return 1;
	}
	total = parse_long(argv[5], 1, 1000000);
	failed = parse_long(argv[6], 0, total);
	if (tlsrpt_day_parse(argv[2], &day) < 0 || total == LONG_MIN
	    || failed == LONG_MIN) {
		fprintf(stderr, "rptfill: bad day or counts\n");
		return 1;
	}
	snprintf(spec, sizeof(spec), "lmdb:%s", argv[1]);
	if ((st = store_open(spec, NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "rptfill: %s\n", err);
		return 1;
	}
	rc = fill(st, day, argv[3], argv[4], total, failed);
	store_close(st);
	if (rc < 0)
		fprintf(stderr, "rptfill: cannot write the aggregate\n");
	return rc < 0 ? 1 : 0;
}
