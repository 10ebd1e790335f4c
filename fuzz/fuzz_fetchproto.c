/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the fetcher's side of its protocol with the daemon (fetchipc.c)
 * and its HTTPS response judgement (stsfetch/fetchproto.c).  The first
 * byte chooses what the rest is:
 *   0: a request line from the daemon, fetchipc_request_decode();
 *   1: an HTTPS response, fed in reads to fetchproto_response(), and an
 *      accepted body made into the reply line for the daemon;
 *   2: a reply line as the daemon reads it, fetchipc_reply_decode().
 * Invariants: an accepted request has a normalised domain (normalising
 * it again changes nothing) and encodes back to a request that decodes
 * the same (a report POST: its URL and body too); every reply line the fetcher writes is one the daemon
 * decodes, to the same id, verdict and policy.
 */
#include "config.h"

#include "fuzz.h"
#include "fetchipc.h"
#include "fetchproto.h"

/*
 * The reply line the fetcher writes for this outcome, decoded as the
 * daemon does; the caller clears *out.
 */
static void
reply_line(const char *domain, const struct sts_policy *p, const char *type,
    const char *detail, struct fetchipc_reply *out)
{
	char *tail = fetchipc_reply_tail(domain, p, 1700000000, type, detail);
	char *line, why[200];

	FUZZ_CHECK(tail != NULL);
	line = malloc(strlen(tail) + 16);
	FUZZ_CHECK(line != NULL);
	sprintf(line, "{\"id\":7,%s", tail);
	FUZZ_CHECK(fetchipc_reply_decode(line, strlen(line), out, why,
	    sizeof(why)) == 0);
	FUZZ_CHECK(out->id == 7 && out->ok == (p != NULL));
	free(line);
	free(tail);
}

/* The same, for a failure. */
static void
check_failure(const char *domain, const char *type, const char *detail)
{
	struct fetchipc_reply r;

	reply_line(domain, NULL, type, detail, &r);
	FUZZ_CHECK(r.error != NULL && strcmp(r.error, type) == 0);
	fetchipc_reply_clear(&r);
}

/* An accepted POST request encodes back to the same host, port, path
 * and body. */
static void
check_post(const struct fetch_req *req)
{
	struct fetch_req again;
	char url[DOMAIN_MAX + FETCH_POST_PATH_MAX + 32], why[300], *line;

	FUZZ_CHECK(req->path != NULL && req->path[0] == '/');
	FUZZ_CHECK(req->body_len <= FETCH_POST_MAX);
	snprintf(url, sizeof(url), "https://%s:%u%s", req->domain, req->port,
	    req->path);
	line = fetchipc_post_encode(req->id, url, req->body, req->body_len);
	FUZZ_CHECK(line != NULL);
	FUZZ_CHECK(fetchipc_request_decode(line, strlen(line), &again, why,
	    sizeof(why)) == FETCH_REQ_OK);
	FUZZ_CHECK(again.post && again.port == req->port);
	FUZZ_CHECK(strcmp(again.domain, req->domain) == 0);
	FUZZ_CHECK(strcmp(again.path, req->path) == 0);
	FUZZ_CHECK(again.body_len == req->body_len && (req->body_len == 0
	    || memcmp(again.body, req->body, req->body_len) == 0));
	fetchipc_request_clear(&again);
	free(line);
}

static void
fuzz_request(const char *buf, size_t len)
{
	struct fetch_req req, again;
	char why[300], dom[DOMAIN_MAX + 1], *line;
	int rc = fetchipc_request_decode(buf, len, &req, why, sizeof(why));

	if (rc == FETCH_REQ_SKIP)
		return;
	FUZZ_CHECK(req.id >= 0);
	if (rc == FETCH_REQ_REFUSED) {
		FUZZ_CHECK(req.refusal != NULL);
		check_failure(req.domain, req.post ? FETCH_ERR_POST
		    : FETCH_ERR_FETCH, req.refusal);
		fetchipc_request_clear(&req);
		return;
	}
	FUZZ_CHECK(rc == FETCH_REQ_OK);
	FUZZ_CHECK(fetchipc_domain(req.domain, dom, sizeof(dom)));
	FUZZ_CHECK(strcmp(dom, req.domain) == 0);
	if (req.post) {
		check_post(&req);
		fetchipc_request_clear(&req);
		return;
	}
	line = fetchipc_request_encode(req.id, req.domain, req.policy_id,
	    req.force);
	FUZZ_CHECK(line != NULL);
	FUZZ_CHECK(fetchipc_request_decode(line, strlen(line), &again, why,
	    sizeof(why)) == FETCH_REQ_OK);
	FUZZ_CHECK(again.id == req.id && again.force == req.force);
	FUZZ_CHECK(strcmp(again.domain, req.domain) == 0);
	FUZZ_CHECK(strcmp(again.policy_id, req.policy_id) == 0);
	free(line);
}

/* A reply line from a fetcher that is not to be trusted. */
static void
fuzz_reply(const char *buf, size_t len)
{
	struct fetchipc_reply r;
	struct sts_policy p;
	char why[300];

	if (fetchipc_reply_decode(buf, len, &r, why, sizeof(why)) < 0)
		return;
	if (r.ok && r.post) {
		/* An accepted report POST: no policy, a detail. */
		FUZZ_CHECK(r.policy == NULL && r.detail != NULL);
	} else if (r.ok) {
		FUZZ_CHECK(r.policy != NULL);
		if (sts_policy_from_json(r.policy, &p, why, sizeof(why)) == 0)
			sts_policy_free(&p);
	} else {
		FUZZ_CHECK(r.error != NULL && r.detail != NULL);
	}
	fetchipc_reply_clear(&r);
}

static void
check_policy_reply(const char *body, size_t len)
{
	struct sts_policy p, q;
	struct fetchipc_reply r;
	char err[200];

	if (sts_policy_parse(body, len, &p, err, sizeof(err)) < 0) {
		check_failure("example.com", FETCH_ERR_INVALID, err);
		return;
	}
	reply_line("example.com", &p, NULL, NULL, &r);
	FUZZ_CHECK(sts_policy_from_json(r.policy, &q, err, sizeof(err)) == 0);
	FUZZ_CHECK(q.mode == p.mode && q.nmx == p.nmx && q.max_age == p.max_age);
	sts_policy_free(&q);
	sts_policy_free(&p);
	fetchipc_reply_clear(&r);
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
		check_failure("example.com", type, detail);
	}
	http_resp_free(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_request((const char *)data + 1, size - 1);
		break;
	case 1:
		fuzz_response(data + 1, size - 1);
		break;
	default:
		fuzz_reply((const char *)data + 1, size - 1);
		break;
	}
	return 0;
}
