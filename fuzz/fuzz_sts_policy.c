/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the MTA-STS policy body parser, sts_policy_parse().  Invariants
 * on success: mx patterns are lower case; the JSON form decodes back to
 * the same policy (encode(decode(x)) round trip); the Postfix value is
 * built with and without TLSRPT attributes and matches the policy's own
 * MX patterns.
 */
#include "config.h"

#include <ctype.h>

#include "fuzz.h"
#include "sts_policy.h"

static void
check_same(const struct sts_policy *a, const struct sts_policy *b)
{
	FUZZ_CHECK(a->mode == b->mode && a->max_age == b->max_age);
	FUZZ_CHECK(a->nmx == b->nmx && a->text_len == b->text_len);
	FUZZ_CHECK(memcmp(a->text, b->text, a->text_len) == 0);
	for (size_t i = 0; i < a->nmx; i++)
		FUZZ_CHECK(strcmp(a->mx[i], b->mx[i]) == 0);
}

static void
check_json(const struct sts_policy *p)
{
	struct sts_policy q;
	char err[200];
	char *js = sts_policy_to_json_text(p);

	FUZZ_CHECK(js != NULL);
	FUZZ_CHECK(sts_policy_from_json_text(js, strlen(js), &q, err,
	    sizeof(err)) == 0);
	check_same(p, &q);
	sts_policy_free(&q);
	free(js);
}

static void
check_postfix(const struct sts_policy *p)
{
	const char *why = NULL;
	char *v;

	for (int tlsrpt = 0; tlsrpt <= 1; tlsrpt++) {
		v = sts_policy_to_postfix(p, "example.com", tlsrpt, &why);
		FUZZ_CHECK((v == NULL) == (p->nmx == 0));
		if (v != NULL)
			FUZZ_CHECK(strncmp(v, "secure match=", 13) == 0);
		free(v);
	}
	for (size_t i = 0; i < p->nmx; i++) {
		const char *m = p->mx[i];

		for (const char *c = m; *c; c++)
			FUZZ_CHECK(!isupper((unsigned char)*c));
		if (strncmp(m, "*.", 2) != 0)
			FUZZ_CHECK(sts_policy_mx_match(p, m));
	}
	(void)sts_mode_name(p->mode);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sts_policy p;
	char err[200];

	if (sts_policy_parse((const char *)data, size, &p, err,
	    sizeof(err)) < 0) {
		FUZZ_CHECK(err[0] != '\0' && p.mx == NULL && p.text == NULL);
		return 0;
	}
	FUZZ_CHECK(p.max_age >= 0 && p.max_age <= STS_MAX_AGE_LIMIT);
	check_json(&p);
	check_postfix(&p);
	sts_policy_free(&p);
	return 0;
}
