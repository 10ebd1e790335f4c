/* SPDX-License-Identifier: MIT */
/*
 * tlsrpt_conf - the TLSRPT parameters, resolved.  Contract in
 * tlsrpt_conf.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tlsrpt_conf.h"
#include "util.h"

/* Lower-cases s in place. */
static void
lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* The submitter domain a host name implies (tlsrpt_conf.h). */
static void
default_submitter(const char *hostname, char *out, size_t outlen)
{
	const char *dot;

	if (hostname == NULL || !domain_valid(hostname)
	    || strlen(hostname) >= outlen) {
		snprintf(out, outlen, "localhost");
		return;
	}
	dot = strchr(hostname, '.');
	if (dot != NULL && strchr(dot + 1, '.') != NULL)
		hostname = dot + 1;
	snprintf(out, outlen, "%s", hostname);
	lower(out);
}

static void
split_exclude(struct tlsrpt_conf *tc, const char *list)
{
	char *copy = xstrdup(list), *tok, *save = NULL;

	for (tok = strtok_r(copy, ", \t", &save); tok;
	    tok = strtok_r(NULL, ", \t", &save)) {
		tc->exclude = xrealloc(tc->exclude, (tc->nexclude + 1)
		    * sizeof(*tc->exclude));
		tc->exclude[tc->nexclude] = xstrdup(tok);
		lower(tc->exclude[tc->nexclude++]);
	}
	free(copy);
}

void
tlsrpt_conf_init(struct tlsrpt_conf *tc, const struct config *cf,
    const char *hostname)
{
	const char *v;

	memset(tc, 0, sizeof(*tc));
	v = config_get(cf, "tlsrpt_submitter");
	if (*v) {
		snprintf(tc->submitter, sizeof(tc->submitter), "%s", v);
		lower(tc->submitter);
	} else
		default_submitter(hostname, tc->submitter,
		    sizeof(tc->submitter));
	v = config_get(cf, "tlsrpt_organization");
	snprintf(tc->organization, sizeof(tc->organization), "%s",
	    *v ? v : tc->submitter);
	v = config_get(cf, "tlsrpt_contact");
	if (*v)
		snprintf(tc->contact, sizeof(tc->contact), "%s", v);
	else
		snprintf(tc->contact, sizeof(tc->contact), "postmaster@%s",
		    tc->submitter);
	split_exclude(tc, config_get(cf, "tlsrpt_exclude"));
	tc->lim.domains = (size_t)config_long(cf, "tlsrpt_max_domains");
	tc->lim.details = (size_t)config_long(cf, "tlsrpt_max_details");
}

/* Is domain d equal to, or below, parent p? */
static int
at_or_below(const char *d, const char *p)
{
	size_t dl = strlen(d), pl = strlen(p);

	if (dl == pl)
		return strcasecmp(d, p) == 0;
	return dl > pl && d[dl - pl - 1] == '.'
	    && strcasecmp(d + dl - pl, p) == 0;
}

int
tlsrpt_conf_excluded(const struct tlsrpt_conf *tc, const char *domain)
{
	if (at_or_below(domain, tc->submitter))
		return 1;
	for (size_t i = 0; i < tc->nexclude; i++)
		if (at_or_below(domain, tc->exclude[i]))
			return 1;
	return 0;
}

void
tlsrpt_conf_clear(struct tlsrpt_conf *tc)
{
	for (size_t i = 0; i < tc->nexclude; i++)
		free(tc->exclude[i]);
	free(tc->exclude);
	memset(tc, 0, sizeof(*tc));
}
