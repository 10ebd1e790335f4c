/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	tlsrpt_conf - the TLSRPT parameters of tlspolicyd.conf, resolved
 *
 * SYNOPSIS
 *	#include "tlsrpt_conf.h"
 *
 *	void tlsrpt_conf_init(struct tlsrpt_conf *tc, const struct config *cf,
 *	         const char *hostname);
 *	int  tlsrpt_conf_excluded(const struct tlsrpt_conf *tc,
 *	         const char *domain);
 *	void tlsrpt_conf_clear(struct tlsrpt_conf *tc);
 *
 * DESCRIPTION
 *	tlsrpt_conf_init() reads tlsrpt_submitter, tlsrpt_organization,
 *	tlsrpt_contact, tlsrpt_exclude, tlsrpt_max_domains and
 *	tlsrpt_max_details (already checked by params.c) into *tc, with
 *	the defaults derived from hostname (the host's name, e.g. from
 *	gethostname(); may be NULL or not a domain):
 *
 *	submitter	hostname without its first label when that leaves
 *			at least two labels (mx1.example.com gives
 *			example.com), else hostname, else "localhost";
 *			lower case.
 *	organization	the submitter.
 *	contact		postmaster@ the submitter.
 *
 *	tlsrpt_conf_excluded() is 1 when domain is the submitter, one of
 *	tlsrpt_exclude, or a subdomain of one of them (case-insensitive):
 *	no report is ever sent to the site itself or to those domains, so
 *	the collector does not aggregate their events.  Else 0.
 *
 *	Pure: no I/O; tlsrpt_conf_clear() frees what init allocated.
 */
#ifndef TLSPOL_TLSRPT_CONF_H
#define TLSPOL_TLSRPT_CONF_H

#include <stddef.h>

#include "conf.h"
#include "domain.h"
#include "tlsrpt_agg.h"

#define TLSRPT_CONF_TEXT_MAX	320

struct tlsrpt_conf {
	char submitter[DOMAIN_MAX + 1];
	char organization[TLSRPT_CONF_TEXT_MAX];
	char contact[TLSRPT_CONF_TEXT_MAX];
	char **exclude;			/* lower case */
	size_t nexclude;
	struct tlsrpt_agg_limits lim;
};

void tlsrpt_conf_init(struct tlsrpt_conf *tc, const struct config *cf,
    const char *hostname);
int tlsrpt_conf_excluded(const struct tlsrpt_conf *tc, const char *domain);
void tlsrpt_conf_clear(struct tlsrpt_conf *tc);

#endif
