/* SPDX-License-Identifier: MIT */
/*
 * explain_cmd - tlsmap explain: the chain of sources behind an answer
 *
 *	tlsmap explain KEY [--json] asks the daemon ("explain KEY" on the
 *	control socket), which runs a query for KEY through the same code as
 *	Postfix's queries and returns a JSON trace of every step.  --json
 *	prints that trace; otherwise it is rendered as text here.  Exit 0
 *	when the answer is a policy, 1 for NOTFOUND, 2 for TEMP, PERM and
 *	errors.  See tlsmap(8).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tlsmap.h"

static const char *
str(const json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s ? s : "";
}

static long long
num(const json_t *o, const char *name)
{
	return (long long)json_integer_value(json_object_get(o, name));
}

static void
print_entry(const char *what, const json_t *ov)
{
	if (!json_is_object(ov)) {
		printf("%s: none\n", what);
		return;
	}
	printf("%s: %s (line %lld): %s%s\n", what, str(ov, "key"),
	    num(ov, "line"), str(ov, "value"),
	    json_is_true(json_object_get(ov, "report_only"))
	    ? " [report-only: not applied]" : "");
}

static void
print_dane(const json_t *d)
{
	const json_t *mx = json_object_get(d, "mx"), *h;
	size_t i;

	if (!json_is_true(json_object_get(d, "asked"))) {
		printf("dane: not asked: %s\n", str(d, "reason"));
		return;
	}
	printf("dane: %s: %s\n", str(d, "status"), str(d, "reason"));
	if (json_object_get(d, "stale_status"))
		printf("  last good result: %s: %s\n", str(d, "stale_status"),
		    str(d, "stale_reason"));
	if (!json_is_object(mx))
		return;
	printf("  MX RRset: %s, %s%s\n", str(mx, "kind"),
	    json_is_true(json_object_get(mx, "secure")) ? "DNSSEC secure"
	    : "insecure", json_is_true(json_object_get(mx, "truncated"))
	    ? ", more hosts than examined" : "");
	json_array_foreach(json_object_get(mx, "hosts"), i, h)
		printf("  MX %lld %s: TLSA %s, %lld usable\n", num(h, "pref"),
		    str(h, "name"), str(h, "tlsa"), num(h, "usable"));
}

static void
print_sts(const json_t *s)
{
	const json_t *c = json_object_get(s, "cached");

	if (!json_is_true(json_object_get(s, "asked"))) {
		printf("mta-sts: not asked: %s\n", str(s, "reason"));
		return;
	}
	printf("mta-sts: %s: %s\n", str(s, "status"), str(s, "reason"));
	printf("  _mta-sts TXT id: %s\n", json_is_string(json_object_get(s,
	    "txt_id")) ? str(s, "txt_id") : "none seen");
	if (json_is_object(c))
		printf("  cached policy: id %s, mode %s, max_age %llds, age %llds, "
		    "expires in %llds, mx %s\n", str(c, "id"), str(c, "mode"),
		    num(c, "max_age"), num(c, "age"), num(c, "expires_in"),
		    str(c, "mx"));
	else
		printf("  cached policy: none\n");
	if (json_is_string(json_object_get(s, "last_error")))
		printf("  last fetch error: %s\n", str(s, "last_error"));
}

static void
print_text(const json_t *t)
{
	const json_t *a = json_object_get(t, "answer"), *r, *v;
	size_t i;

	printf("key: %s (%s)\n", str(t, "key"), str(t, "kind"));
	if ((v = json_object_get(t, "override")) != NULL)
		print_entry("override", v);
	if ((v = json_object_get(t, "dane")) != NULL)
		print_dane(v);
	if ((v = json_object_get(t, "mta_sts")) != NULL)
		print_sts(v);
	if ((v = json_object_get(t, "mx_rule")) != NULL)
		print_entry("mx rule", v);
	if ((v = json_object_get(t, "default_policy")) != NULL)
		printf("default_policy: %s\n", json_is_string(v)
		    ? json_string_value(v) : "none");
	json_array_foreach(json_object_get(t, "report_only"), i, r)
		printf("report-only: %s (line %lld) would answer \"%s\"\n",
		    str(r, "key"), num(r, "line"), str(r, "would_answer"));
	if (json_is_string(json_object_get(a, "value")))
		printf("answer: %s \"%s\" from %s: %s\n", str(a, "status"),
		    str(a, "value"), str(a, "source"), str(a, "reason"));
	else
		printf("answer: %s from %s: %s\n", str(a, "status"),
		    str(a, "source"), str(a, "reason"));
}

int
explain_main(const struct config *cf, int argc, char **argv)
{
	char *buf = NULL, cmd[1100];
	size_t len = 0;
	FILE *mem;
	json_t *t;
	json_error_t jerr;
	const char *st;
	int json = argc == 3 && strcmp(argv[2], "--json") == 0, rc;

	if (argc < 2 || argc > 3 || (argc == 3 && !json)) {
		fprintf(stderr, "usage: tlsmap explain KEY [--json]\n");
		return 2;
	}
	if (strlen(argv[1]) > 1024 || strpbrk(argv[1], " \t\r\n") != NULL) {
		fprintf(stderr, "tlsmap: explain: bad key\n");
		return 2;
	}
	snprintf(cmd, sizeof(cmd), "explain %s", argv[1]);
	if ((mem = open_memstream(&buf, &len)) == NULL)
		return 2;
	rc = control(cf, cmd, mem);
	fclose(mem);
	if (rc != 0) {
		free(buf);
		return 2;
	}
	if ((t = json_loads(buf, 0, &jerr)) == NULL) {
		fprintf(stderr, "tlsmap: explain: bad reply: %s\n", jerr.text);
		free(buf);
		return 2;
	}
	if (json)
		fputs(buf, stdout);
	else
		print_text(t);
	free(buf);
	st = str(json_object_get(t, "answer"), "status");
	rc = strcmp(st, "OK") == 0 ? 0 : strcmp(st, "NOTFOUND") == 0 ? 1 : 2;
	json_decref(t);
	return rc;
}
