/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the TLSRPT inputs from outside: the datagrams Postfix sends to
 * the collector socket (tlsrpt_dgram_decode()) and the _smtp._tls TXT
 * RRset (tlsrpt_txt_parse(), records cut at NUL bytes).  The first byte
 * chooses which.  Invariants: a decoded datagram encodes to one that
 * decodes to the same domains, record, policies and details; a TXT
 * result keeps 1 to TLSRPT_RUA_MAX destinations, each with its URI.
 */
#include "config.h"

#include "fuzz.h"
#include "sts_txt.h"
#include "tlsrpt_dgram.h"
#include "tlsrpt_txt.h"

#define MAX_RECS	8

static void
check_same_policy(const struct tlsrpt_policy *a, const struct tlsrpt_policy *b)
{
	FUZZ_CHECK(a->type == b->type && strcmp(a->domain, b->domain) == 0);
	FUZZ_CHECK(a->nstrings == b->nstrings && a->nmx == b->nmx);
	FUZZ_CHECK(a->ndetails == b->ndetails && a->failed == b->failed);
	for (size_t i = 0; i < a->nstrings; i++)
		FUZZ_CHECK(strcmp(a->strings[i], b->strings[i]) == 0);
	for (size_t i = 0; i < a->ndetails; i++)
		FUZZ_CHECK(a->details[i].code == b->details[i].code);
}

static void
fuzz_dgram(const uint8_t *data, size_t size)
{
	struct tlsrpt_dgram a, b;
	char err[200], *enc;
	size_t len = 0;

	if (tlsrpt_dgram_decode(data, size, &a, err, sizeof(err)) != TLSRPT_DG_OK) {
		FUZZ_CHECK(err[0] != '\0' && a.policies == NULL);
		return;
	}
	FUZZ_CHECK(a.d != NULL && a.pr != NULL && a.npolicies > 0);
	enc = tlsrpt_dgram_encode(&a, &len);
	FUZZ_CHECK(enc != NULL && len > 0);
	FUZZ_CHECK(tlsrpt_dgram_decode(enc, len, &b, err, sizeof(err))
	    == TLSRPT_DG_OK);
	FUZZ_CHECK(strcmp(a.d, b.d) == 0 && strcmp(a.pr, b.pr) == 0);
	FUZZ_CHECK(a.npolicies == b.npolicies);
	for (size_t i = 0; i < a.npolicies; i++) {
		check_same_policy(&a.policies[i], &b.policies[i]);
		(void)tlsrpt_policy_type_name(a.policies[i].type);
	}
	free(enc);
	tlsrpt_dgram_free(&a);
	tlsrpt_dgram_free(&b);
}

static void
fuzz_txt(const uint8_t *data, size_t size)
{
	struct sts_txt_rec recs[MAX_RECS];
	struct tlsrpt_txt *out = malloc(sizeof(*out));
	char err[200];
	size_t n = 0;

	FUZZ_CHECK(out != NULL);
	while (n < MAX_RECS && (size > 0 || n == 0)) {
		const uint8_t *part;
		size_t len = fuzz_take(&data, &size, 0, &part);

		recs[n].data = (const char *)part;
		recs[n++].len = len;
	}
	if (tlsrpt_txt_parse(recs, n, out, err, sizeof(err)) == TLSRPT_TXT_OK) {
		FUZZ_CHECK(out->nrua >= 1 && out->nrua <= TLSRPT_RUA_MAX);
		for (size_t i = 0; i < out->nrua; i++)
			FUZZ_CHECK(out->rua[i].uri[0] != '\0');
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] % 2 == 0)
		fuzz_dgram(data + 1, size - 1);
	else
		fuzz_txt(data + 1, size - 1);
	return 0;
}
