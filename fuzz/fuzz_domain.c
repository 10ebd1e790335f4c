/* SPDX-License-Identifier: MIT */
/*
 * Fuzz socketmap key normalisation.  Invariants: key_normalise() and
 * key_normalise_general() agree on every input; a normalised key is a
 * fixed point (normalising it again gives the same key and kind); a
 * domain key's host is a valid host name; the override editor's key
 * normalisation is idempotent too.
 */
#include "config.h"

#include "domain.h"
#include "fuzz.h"
#include "overrides.h"

static void
check_same(const struct key *a, const struct key *b)
{
	FUZZ_CHECK(a->kind == b->kind && a->bracketed == b->bracketed);
	FUZZ_CHECK(a->ip_literal == b->ip_literal);
	FUZZ_CHECK(strcmp(a->name, b->name) == 0);
	FUZZ_CHECK(strcmp(a->host, b->host) == 0);
	FUZZ_CHECK(strcmp(a->port, b->port) == 0);
}

static void
check_override_key(const char *in, size_t len)
{
	char out[512], again[512];
	const char *why = NULL;

	if (override_key_norm(in, len, out, sizeof(out), &why) < 0) {
		FUZZ_CHECK(why != NULL);
		return;
	}
	FUZZ_CHECK(override_key_norm(out, strlen(out), again, sizeof(again),
	    &why) == 0);
	FUZZ_CHECK(strcmp(out, again) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	const char *e1 = NULL, *e2 = NULL;
	struct key a, b, c;
	int r1 = key_normalise(in, size, &a, &e1);
	int r2 = key_normalise_general(in, size, &b, &e2);

	FUZZ_CHECK(r1 == r2);
	check_override_key(in, size);
	if (r1 < 0) {
		FUZZ_CHECK(e1 != NULL && e2 != NULL && strcmp(e1, e2) == 0);
		return 0;
	}
	check_same(&a, &b);
	FUZZ_CHECK(key_normalise(a.name, strlen(a.name), &c, &e1) == 0);
	check_same(&a, &c);
	if (a.kind == KEY_DOMAIN && !a.ip_literal)
		FUZZ_CHECK(domain_valid(a.host));
	(void)domain_parent(a.host);
	return 0;
}
