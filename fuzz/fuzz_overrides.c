/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the override table parser, overrides_parse(), with the input as
 * the file's text.  Invariants on success: every entry line's key is
 * found under its normalised form (MX rules excepted, they are never
 * found that way), and its stored value is already normalised.
 */
#include "config.h"

#include "domain.h"
#include "fuzz.h"
#include "overrides.h"

/* The entry whose line starts with the key in line[0..len). */
static void
check_entry(const struct overrides *o, const char *line, size_t len)
{
	const struct override *ov;
	const char *why;
	char value[4096];	/* as large as the parser's (overrides.c) */
	size_t kl = 0;
	struct key k;
	int ro;

	while (kl < len && line[kl] != ' ' && line[kl] != '\t')
		kl++;
	if (kl == 0 || line[0] == '#' || line[0] == ' ' || line[0] == '\t'
	    || strncasecmp(line, OVERRIDE_MX_PREFIX, 3) == 0)
		return;
	FUZZ_CHECK(key_normalise(line, kl, &k, &why) == 0);
	ov = overrides_find(o, &k);
	FUZZ_CHECK(ov != NULL && strcmp(ov->key, k.name) == 0);
	FUZZ_CHECK(override_value_norm(ov->value, value, sizeof(value), &ro,
	    &why) == 0);
	FUZZ_CHECK(strcmp(value, ov->value) == 0 && ro == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const hosts[] = { "mx1.example.com", "mx.example.net" };
	const char *text = (const char *)data;
	struct overrides *o;
	char err[300];

	o = overrides_parse(text, size, "fuzz", err, sizeof(err));
	if (o == NULL) {
		FUZZ_CHECK(strncmp(err, "fuzz:", 5) == 0);
		return 0;
	}
	(void)overrides_find_mx(o, hosts, 2);
	(void)overrides_count_mx(o);
	/* Whole lines only: CR and NUL bytes are left to the parser alone. */
	if (memchr(data, '\0', size) == NULL && memchr(data, '\r', size) == NULL) {
		while (size > 0) {
			const uint8_t *line;
			size_t len = fuzz_take(&data, &size, '\n', &line);

			check_entry(o, (const char *)line, len);
		}
	}
	overrides_free(o);
	return 0;
}
