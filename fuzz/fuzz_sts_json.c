/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the JSON policy decoder, sts_policy_from_json_text(): the stored
 * form and what the fetcher sends to the daemon.  Invariant on success:
 * the policy encodes to JSON that decodes to the same policy, and its
 * raw text parses to it as well.
 */
#include "config.h"

#include "fuzz.h"
#include "sts_policy.h"

static void
check_same(const struct sts_policy *a, const struct sts_policy *b)
{
	FUZZ_CHECK(a->mode == b->mode && a->max_age == b->max_age);
	FUZZ_CHECK(a->nmx == b->nmx && a->text_len == b->text_len);
	for (size_t i = 0; i < a->nmx; i++)
		FUZZ_CHECK(strcmp(a->mx[i], b->mx[i]) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sts_policy p, q, r;
	char err[200], *js;

	if (sts_policy_from_json_text((const char *)data, size, &p, err,
	    sizeof(err)) < 0) {
		FUZZ_CHECK(err[0] != '\0' && p.text == NULL);
		return 0;
	}
	js = sts_policy_to_json_text(&p);
	FUZZ_CHECK(js != NULL);
	FUZZ_CHECK(sts_policy_from_json_text(js, strlen(js), &q, err,
	    sizeof(err)) == 0);
	check_same(&p, &q);
	FUZZ_CHECK(sts_policy_parse(p.text, p.text_len, &r, err,
	    sizeof(err)) == 0);
	check_same(&p, &r);
	sts_policy_free(&p);
	sts_policy_free(&q);
	sts_policy_free(&r);
	free(js);
	return 0;
}
