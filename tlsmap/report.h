/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	report - tlsmap report's pure parts: the delivery state and the
 *	text form of a day's TLSRPT aggregate
 *
 * SYNOPSIS
 *	#include "report.h"
 *
 *	void report_state_text(const void *json, size_t len, char *out,
 *	    size_t outlen);
 *	void report_write_rec(FILE *out, const struct tlsrpt_agg_rec *r,
 *	    const char *state);
 *	int  report_args(int argc, char **argv, struct report_args *a,
 *	    char *err, size_t errlen);
 *
 * DESCRIPTION
 *	report_state_text() reads the reporter's delivery state record
 *	("rptsent/YYYY-MM-DD/domain": a JSON object with state, tries,
 *	next, last_error, sent_to) into one short line, e.g. "sent to
 *	mailto:tlsrpt@example.com" or "retry (2 tries): 4.4.1 timeout";
 *	json NULL gives "-" (no state yet), anything unreadable
 *	"(unreadable state)".  Values are shown printable-only.
 *
 *	report_write_rec() writes one record: a line per policy
 *	("DOMAIN TYPE POLICY-DOMAIN successful N failed N delivery
 *	STATE"), then one indented line per failure detail (result-type,
 *	the members it carries, count), and the sessions or details the
 *	caps dropped.
 *
 *	report_args() parses "report [DOMAIN] [--day YYYY-MM-DD]
 *	[--json]" (argv[0] is "report"); -1 with err on a bad argument.
 *	a->day is -1 when --day was not given.
 */
#ifndef TLSPOL_REPORT_H
#define TLSPOL_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tlsrpt_agg.h"

struct config;

struct report_args {
	const char *domain;		/* NULL: every domain */
	int64_t day;			/* -1: today */
	int json;
};

void report_state_text(const void *json, size_t len, char *out,
    size_t outlen);
void report_write_rec(FILE *out, const struct tlsrpt_agg_rec *r,
    const char *state);
int report_args(int argc, char **argv, struct report_args *a, char *err,
    size_t errlen);
int report_main(const struct config *cf, int argc, char **argv);

#endif
