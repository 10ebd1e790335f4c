/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the socketmap request path: a netstring, its payload parsed by
 * sockmap_parse_request(), and a reply formatted with the key as text.
 * Invariants: name and key are the payload split at its first space;
 * every reply is one netstring of at most SOCKMAP_MAX_REPLY bytes whose
 * payload starts with the status word.
 */
#include "config.h"

#include "fuzz.h"
#include "netstring.h"
#include "sockmap.h"

static void
check_reply(enum sockmap_status st, const char *text)
{
	static const char *const word[] = { "OK ", "NOTFOUND ", "TEMP ",
	    "TIMEOUT ", "PERM " };
	char *out = malloc(SOCKMAP_MAX_REPLY);
	const char *pl;
	size_t n, plen, used;

	FUZZ_CHECK(out != NULL);
	n = sockmap_format_reply(out, SOCKMAP_MAX_REPLY, st, text);
	if (n > 0) {
		FUZZ_CHECK(netstring_decode(out, n, SOCKMAP_MAX_REPLY, &pl, &plen,
		    &used) == NS_OK && used == n);
		FUZZ_CHECK(plen >= 2);
		/* An empty OK text becomes TEMP. */
		FUZZ_CHECK(strncmp(pl, word[st], strlen(word[st])) == 0
		    || (st == SM_OK && strncmp(pl, "TEMP ", 5) == 0));
		for (size_t i = 0; st != SM_OK && i < plen; i++)
			FUZZ_CHECK(pl[i] >= 0x20 && pl[i] < 0x7f);
	}
	(void)sockmap_status_name(st);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *pl, *err = NULL;
	size_t plen, used;
	struct sockmap_req req;
	char *key;

	if (netstring_decode((const char *)data, size, SOCKMAP_MAX_REQUEST, &pl,
	    &plen, &used) != NS_OK) {
		/* Not framed: take the bytes as the payload itself. */
		pl = (const char *)data;
		plen = size;
	}
	if (sockmap_parse_request(pl, plen, &req, &err) < 0) {
		FUZZ_CHECK(err != NULL);
		return 0;
	}
	FUZZ_CHECK(req.name == pl && req.name_len > 0);
	FUZZ_CHECK(req.name_len + 1 + req.key_len == plen);
	FUZZ_CHECK(pl[req.name_len] == ' ' && req.key == pl + req.name_len + 1);
	FUZZ_CHECK(memchr(req.name, ' ', req.name_len) == NULL);
	key = fuzz_str((const uint8_t *)req.key, req.key_len);
	for (int st = SM_OK; st <= SM_PERM; st++)
		check_reply((enum sockmap_status)st, key);
	free(key);
	return 0;
}
