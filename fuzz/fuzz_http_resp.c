/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the incremental HTTP response parser as stsfetch drives it: the
 * bytes arrive in reads of sizes drawn from the first input bytes, each
 * call sees everything so far, and the connection closes at the end.
 * Invariants: the result equals that of one call on the whole response
 * (status, headers, body); the work stays linear (r->examined); after
 * DONE or ERROR further calls give the same result.
 */
#include "config.h"

#include "fuzz.h"
#include "http_resp.h"

#define BODY_MAX	65536		/* STS_POLICY_MAX_BODY */

static enum http_result
feed(const char *buf, size_t len, uint32_t seed, struct http_resp *r)
{
	char err[200];
	enum http_result res = HTTP_NEED_MORE;
	size_t have = 0;

	while (have < len && res == HTTP_NEED_MORE) {
		have += fuzz_step(&seed, len - have);
		res = http_resp_parse(buf, have, 0, BODY_MAX, r, err, sizeof(err));
	}
	if (res == HTTP_NEED_MORE)
		res = http_resp_parse(buf, len, 1, BODY_MAX, r, err, sizeof(err));
	FUZZ_CHECK(res != HTTP_NEED_MORE);
	FUZZ_CHECK(http_resp_parse(buf, len, 1, BODY_MAX, r, err,
	    sizeof(err)) == res);
	FUZZ_CHECK(r->examined <= 4 * (unsigned long long)len + 64);
	return res;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t seed = fuzz_seed(&data, &size);
	const char *buf = (const char *)data;
	struct http_resp a, b;
	char err[200];
	enum http_result ra, rb;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ra = http_resp_parse(buf, size, 1, BODY_MAX, &a, err, sizeof(err));
	FUZZ_CHECK(ra != HTTP_NEED_MORE);
	rb = feed(buf, size, seed, &b);
	FUZZ_CHECK(ra == rb);
	if (ra == HTTP_DONE) {
		FUZZ_CHECK(a.status == b.status && a.body_len == b.body_len);
		FUZZ_CHECK(a.body_len <= BODY_MAX && a.body[a.body_len] == '\0');
		FUZZ_CHECK(memcmp(a.body, b.body, a.body_len) == 0);
		FUZZ_CHECK(strcmp(a.content_type, b.content_type) == 0);
		FUZZ_CHECK(strcmp(a.location, b.location) == 0);
		(void)http_media_type_is(&a, "text/plain");
	} else {
		FUZZ_CHECK(a.body == NULL && b.body == NULL);
	}
	http_resp_free(&a);
	http_resp_free(&b);
	return 0;
}
