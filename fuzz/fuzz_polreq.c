/* SPDX-License-Identifier: MIT */
/*
 * Fuzz policy-delegation requests as the policy service reads a stream:
 * polreq_parse() from the start of the input, request after request.
 * Invariants: a request lies inside the input and ends with an empty
 * line; each of its proper prefixes is incomplete; known attributes are
 * NUL-free single lines; a reply is formatted exactly when the action
 * is safe, as "action=VALUE\n\n".
 */
#include "config.h"

#include "fuzz.h"
#include "polreq.h"

static void
check_reply(const char *action)
{
	char out[POLREQ_MAX_ACTION + 16];
	const char *err = NULL;
	size_t n = polreq_format_reply(out, sizeof(out), action, &err);

	if (polreq_action_safe(action, &err) < 0) {
		FUZZ_CHECK(n == 0);
		return;
	}
	FUZZ_CHECK(n == strlen(action) + 9);
	FUZZ_CHECK(memcmp(out, "action=", 7) == 0);
	FUZZ_CHECK(memcmp(out + 7, action, n - 9) == 0);
	FUZZ_CHECK(memcmp(out + n - 2, "\n\n", 2) == 0);
}

static void
check_request(const char *buf, size_t used, struct polreq *req)
{
	char err[128];
	size_t u2;

	FUZZ_CHECK(used >= 2 && buf[used - 1] == '\n' && buf[used - 2] == '\n');
	for (int a = 0; a < PR_NATTRS; a++) {
		const char *v = polreq_get(req, (enum polreq_attr)a);

		FUZZ_CHECK(strchr(v, '\n') == NULL);
		FUZZ_CHECK(polreq_has(req, (enum polreq_attr)a) || *v == '\0');
		(void)polreq_attr_name((enum polreq_attr)a);
		check_reply(v);
	}
	for (size_t cut = 0; cut < used; cut += 1 + cut / 3) {
		struct polreq *r2 = malloc(sizeof(*r2));

		FUZZ_CHECK(r2 != NULL);
		FUZZ_CHECK(polreq_parse(buf, cut, r2, &u2, err, sizeof(err))
		    == POLREQ_INCOMPLETE);
		free(r2);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct polreq *req = malloc(sizeof(*req));
	const char *buf = (const char *)data;
	size_t off = 0;
	char err[128];

	FUZZ_CHECK(req != NULL);
	while (off < size) {
		size_t used = 0;
		enum polreq_status st = polreq_parse(buf + off, size - off, req,
		    &used, err, sizeof(err));

		if (st == POLREQ_ERR)
			FUZZ_CHECK(err[0] != '\0');
		if (st != POLREQ_OK)
			break;
		FUZZ_CHECK(used > 0 && used <= size - off);
		check_request(buf + off, used, req);
		off += used;
	}
	free(req);
	return 0;
}
