/* SPDX-License-Identifier: MIT */
/*
 * report - tlsmap report's pure parts.  Contract in report.h.
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "domain.h"
#include "report.h"
#include "tlsrpt_dgram.h"

/* Copies s to out with anything but printable ASCII as '?'. */
static void
printable(const char *s, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < outlen; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[i] = '\0';
}

static const char *
jstr(json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s ? s : "";
}

void
report_state_text(const void *json, size_t len, char *out, size_t outlen)
{
	char state[64], err[200], to[200];
	json_t *o;
	json_int_t tries;

	if (json == NULL) {
		snprintf(out, outlen, "-");
		return;
	}
	o = json_loadb(json, len, 0, NULL);
	if (!json_is_object(o) || *jstr(o, "state") == '\0') {
		json_decref(o);
		snprintf(out, outlen, "(unreadable state)");
		return;
	}
	printable(jstr(o, "state"), state, sizeof(state));
	printable(jstr(o, "last_error"), err, sizeof(err));
	printable(jstr(o, "sent_to"), to, sizeof(to));
	tries = json_integer_value(json_object_get(o, "tries"));
	if (*to)
		snprintf(out, outlen, "%s to %s", state, to);
	else
		snprintf(out, outlen, "%s (%lld %s)%s%s", state,
		    (long long)tries, tries == 1 ? "try" : "tries",
		    *err ? ": " : "", err);
	json_decref(o);
}

static void
write_member(FILE *out, const char *name, const char *v)
{
	char buf[200];

	if (v == NULL)
		return;
	printable(v, buf, sizeof(buf));
	fprintf(out, " %s=%s", name, buf);
}

static void
write_detail(FILE *out, const struct tlsrpt_agg_detail *ad)
{
	const struct tlsrpt_detail *d = &ad->d;
	const char *name = tlsrpt_result_type_name(d->code);

	if (name)
		fprintf(out, "    %s", name);
	else
		fprintf(out, "    result-code-%d", d->code);
	write_member(out, "sending-mta-ip", d->s);
	write_member(out, "receiving-mx-hostname", d->n);
	write_member(out, "receiving-mx-helo", d->h);
	write_member(out, "receiving-ip", d->r);
	write_member(out, "additional-information", d->a);
	write_member(out, "failure-reason-code", d->f);
	fprintf(out, " count=%llu\n", (unsigned long long)ad->count);
}

void
report_write_rec(FILE *out, const struct tlsrpt_agg_rec *r,
    const char *state)
{
	for (size_t i = 0; i < r->npol; i++) {
		const struct tlsrpt_agg_policy *p = &r->pol[i];
		const char *type = tlsrpt_policy_type_name(p->p.type);

		fprintf(out, "%s %s %s successful %llu failed %llu delivery %s\n",
		    r->domain, type ? type : "?", p->p.domain,
		    (unsigned long long)(p->total - p->failures),
		    (unsigned long long)p->failures, state);
		for (size_t k = 0; k < p->ndetails; k++)
			write_detail(out, &p->details[k]);
		if (p->details_dropped)
			fprintf(out, "    (%llu failure details over the cap)\n",
			    (unsigned long long)p->details_dropped);
	}
	if (r->sessions_dropped)
		fprintf(out, "%s (%llu sessions over the policy cap)\n",
		    r->domain, (unsigned long long)r->sessions_dropped);
}

int
report_args(int argc, char **argv, struct report_args *a, char *err,
    size_t errlen)
{
	memset(a, 0, sizeof(*a));
	a->day = -1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			a->json = 1;
		else if (strcmp(argv[i], "--day") == 0 && i + 1 < argc) {
			if (tlsrpt_day_parse(argv[++i], &a->day) < 0) {
				snprintf(err, errlen, "bad day \"%s\": expected "
				    "YYYY-MM-DD", argv[i]);
				return -1;
			}
		} else if (argv[i][0] != '-' && a->domain == NULL) {
			if (!domain_valid(argv[i])) {
				snprintf(err, errlen, "bad domain \"%s\"",
				    argv[i]);
				return -1;
			}
			for (char *c = argv[i]; *c; c++)	/* keys are lower case */
				if (*c >= 'A' && *c <= 'Z')
					*c = (char)(*c - 'A' + 'a');
			a->domain = argv[i];
		} else {
			snprintf(err, errlen, "unexpected argument \"%s\"",
			    argv[i]);
			return -1;
		}
	}
	return 0;
}
