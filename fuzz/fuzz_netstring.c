/* SPDX-License-Identifier: MIT */
/*
 * Fuzz netstring_decode() as the socketmap server reads a stream: decode
 * netstrings from the start of the input until it is used up or an
 * error.  Invariants: a decoded netstring lies inside the input and
 * re-encodes to exactly the bytes it came from; a prefix of a whole
 * netstring is incomplete (never an error, never another netstring).
 */
#include "config.h"

#include "fuzz.h"
#include "netstring.h"

#define MAXLEN	10100		/* SOCKMAP_MAX_REQUEST */

static void
check_one(const char *buf, size_t len)
{
	const char *pl;
	size_t plen, used, u2, p2;
	char *out;
	enum ns_status st = netstring_decode(buf, len, MAXLEN, &pl, &plen, &used);

	if (st != NS_OK)
		return;
	FUZZ_CHECK(used <= len && plen <= MAXLEN);
	FUZZ_CHECK(pl >= buf && pl + plen <= buf + used);
	out = malloc(plen + 22);
	FUZZ_CHECK(out != NULL);
	FUZZ_CHECK(netstring_encode(out, plen + 22, pl, plen) == used);
	FUZZ_CHECK(memcmp(out, buf, used) == 0);
	FUZZ_CHECK(netstring_encode(out, used - 1, pl, plen) == 0);
	free(out);
	/* Any proper prefix is incomplete. */
	for (size_t cut = 0; cut < used; cut += 1 + cut / 4) {
		FUZZ_CHECK(netstring_decode(buf, cut, MAXLEN, &pl, &p2, &u2)
		    == NS_INCOMPLETE);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t off = 0;

	while (off < size) {
		const char *pl;
		size_t plen, used;
		enum ns_status st = netstring_decode(buf + off, size - off, MAXLEN,
		    &pl, &plen, &used);

		check_one(buf + off, size - off);
		if (st != NS_OK)
			break;
		FUZZ_CHECK(used > 0);
		off += used;
	}
	(void)netstring_strerror(NS_ERR_SIZE);
	return 0;
}
