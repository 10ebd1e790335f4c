/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the _mta-sts TXT RRset parser: the input is cut at NUL bytes
 * into records (at most 8).  Invariants: on success the id is 1 to
 * STS_ID_MAX letters and digits, else empty; err is always a string;
 * one record alone gives the same verdict as sts_txt_parse_record()
 * when it starts with "v=STSv1".
 */
#include "config.h"

#include <ctype.h>

#include "fuzz.h"
#include "sts_txt.h"

#define MAX_RECS	8

static void
check_id(enum sts_txt_status st, const char *id)
{
	size_t n = strlen(id);

	if (st != STS_TXT_OK) {
		FUZZ_CHECK(n == 0);
		return;
	}
	FUZZ_CHECK(n >= 1 && n <= STS_ID_MAX);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(isalnum((unsigned char)id[i]));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sts_txt_rec recs[MAX_RECS];
	char id[STS_ID_MAX + 1], id2[STS_ID_MAX + 1], err[200], err2[200];
	size_t n = 0;
	enum sts_txt_status st, st2;

	while (n < MAX_RECS && (size > 0 || n == 0)) {
		const uint8_t *part;
		size_t len = fuzz_take(&data, &size, 0, &part);

		recs[n].data = (const char *)part;
		recs[n++].len = len;
	}
	st = sts_txt_parse(recs, n, id, err, sizeof(err));
	FUZZ_CHECK(strlen(err) < sizeof(err));
	check_id(st, id);
	if (n == 1 && recs[0].len >= 7 && memcmp(recs[0].data, "v=STSv1", 7) == 0) {
		st2 = sts_txt_parse_record(recs[0].data, recs[0].len, id2, err2,
		    sizeof(err2));
		check_id(st2, id2);
		/* "v=STSv1x" is not an STS record: NONE, not INVALID. */
		FUZZ_CHECK(st == st2 || st == STS_TXT_NONE);
		if (st == STS_TXT_OK)
			FUZZ_CHECK(strcmp(id, id2) == 0);
	}
	return 0;
}
