/*
 * Fuzz stsfetch's protocol module.  The first byte chooses what the
 * rest is:
 *   even: a request line from the daemon, fetchproto_request();
 *   odd:  an HTTPS response, fed in reads to fetchproto_response(), and
 *         an accepted body made into the reply line for the daemon.
 * Invariants: an accepted request has a normalised domain (normalising
 * it again changes nothing); every reply line is a JSON object, and a
 * policy in it decodes to the policy that was fetched.
 */
#include "config.h"

#include <jansson.h>

#include "fuzz.h"
#include "fetchproto.h"

/* A reply line as the daemon reads it: {"id":N, and the tail. */
static json_t *
reply_line(const char *domain, const struct sts_policy *p, const char *type,
    const char *detail)
{
	char *tail = fetchproto_reply_tail(domain, p, 1700000000, type, detail);
	char *line;
	json_t *obj;

	FUZZ_CHECK(tail != NULL);
	line = malloc(strlen(tail) + 16);
	FUZZ_CHECK(line != NULL);
	sprintf(line, "{\"id\":7,%s", tail);
	obj = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
	FUZZ_CHECK(json_is_object(obj));
	free(line);
	free(tail);
	return obj;
}

static void
fuzz_request(const char *buf, size_t len)
{
	struct fetch_req req;
	char why[300], dom[DOMAIN_MAX + 1];
	int rc = fetchproto_request(buf, len, &req, why, sizeof(why));
	json_t *obj;

	if (rc == FETCH_REQ_SKIP)
		return;
	FUZZ_CHECK(req.id >= 0);
	if (rc == FETCH_REQ_REFUSED) {
		FUZZ_CHECK(req.refusal != NULL);
		obj = reply_line(req.domain, NULL, FETCH_ERR_FETCH, req.refusal);
		json_decref(obj);
		return;
	}
	FUZZ_CHECK(rc == FETCH_REQ_OK);
	FUZZ_CHECK(fetchproto_domain(req.domain, dom, sizeof(dom)));
	FUZZ_CHECK(strcmp(dom, req.domain) == 0);
}

static void
check_policy_reply(const char *body, size_t len)
{
	struct sts_policy p, q;
	char err[200];
	json_t *obj;

	if (sts_policy_parse(body, len, &p, err, sizeof(err)) < 0) {
		obj = reply_line("example.com", NULL, FETCH_ERR_INVALID, err);
		json_decref(obj);
		return;
	}
	obj = reply_line("example.com", &p, NULL, NULL);
	FUZZ_CHECK(sts_policy_from_json(json_object_get(obj, "policy"), &q, err,
	    sizeof(err)) == 0);
	FUZZ_CHECK(q.mode == p.mode && q.nmx == p.nmx && q.max_age == p.max_age);
	sts_policy_free(&q);
	sts_policy_free(&p);
	json_decref(obj);
}

static void
fuzz_response(const uint8_t *data, size_t size)
{
	uint32_t seed = fuzz_seed(&data, &size);
	const char *buf = (const char *)data, *type = NULL;
	struct http_resp r;
	char detail[300];
	size_t have = 0;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	while (rc == 0 && have < size) {
		have += fuzz_step(&seed, size - have);
		rc = fetchproto_response(&r, buf, have, 0, &type, detail,
		    sizeof(detail));
	}
	if (rc == 0)
		rc = fetchproto_response(&r, buf, size, 1, &type, detail,
		    sizeof(detail));
	FUZZ_CHECK(rc != 0);
	if (rc > 0) {
		FUZZ_CHECK(r.body != NULL && r.status == 200);
		check_policy_reply(r.body, r.body_len);
	} else {
		FUZZ_CHECK(type != NULL);
		json_decref(reply_line("example.com", NULL, type, detail));
	}
	http_resp_free(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] % 2 == 0)
		fuzz_request((const char *)data + 1, size - 1);
	else
		fuzz_response(data + 1, size - 1);
	return 0;
}
