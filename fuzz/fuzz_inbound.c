/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the inbound rules parser and evaluator.  Input: the rules file,
 * a NUL byte, then a policy-delegation request.  Invariants: a parsed
 * rules file answers any request with an action polreq_action_safe()
 * accepts, and its log line is a NUL-terminated string in the buffer.
 */
#include "config.h"

#include "fuzz.h"
#include "inbound.h"
#include "polreq.h"

static void
check_eval(const struct inbound *ib, const char *buf, size_t len)
{
	struct polreq *req = malloc(sizeof(*req));
	struct inb_result res;
	char err[200], line[1024];
	const char *why;
	size_t used, n;

	FUZZ_CHECK(req != NULL);
	if (polreq_parse(buf, len, req, &used, err, sizeof(err)) == POLREQ_OK) {
		inbound_eval(ib, req, &res);
		FUZZ_CHECK(polreq_action_safe(res.action, &why) == 0);
		FUZZ_CHECK((res.rule == NULL) == (res.outcome == INB_NOMATCH));
		n = inbound_log_line(req, &res, line, sizeof(line));
		FUZZ_CHECK(n < sizeof(line) && strlen(line) == n);
	}
	free(req);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *rules;
	size_t rlen = fuzz_take(&data, &size, 0, &rules);
	struct inbound *ib;
	char err[300];

	ib = inbound_parse((const char *)rules, rlen, "fuzz", err, sizeof(err));
	if (ib == NULL) {
		FUZZ_CHECK(strncmp(err, "fuzz:", 5) == 0);
		ib = inbound_empty();
	}
	(void)inbound_count(ib);
	check_eval(ib, (const char *)data, size);
	inbound_free(ib);
	return 0;
}
