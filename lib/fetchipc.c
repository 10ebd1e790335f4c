/* SPDX-License-Identifier: MIT */
/*
 * fetchipc - the messages between tlspolicyd and stsfetch.  The contract
 * is in fetchipc.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fetchipc.h"
#include "log.h"
#include "util.h"

int
fetchipc_domain(const char *in, char *out, size_t outlen)
{
	size_t n = strlen(in);

	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0 || n + 8 > DOMAIN_MAX || n >= outlen)
		return 0;
	memcpy(out, in, n);
	out[n] = '\0';
	str_lower(out);
	return domain_valid(out) && strchr(out, '.') != NULL;
}

/* The members of a request object with a readable id. */
static int
request_members(json_t *obj, struct fetch_req *req, char *why, size_t whylen)
{
	const char *domain = NULL, *policy_id = "";
	char safe[128];
	json_error_t jerr;

	if (json_unpack_ex(obj, &jerr, JSON_STRICT, "{s:I, s:s, s?:s, s?:b}",
	    "id", &(json_int_t){0}, "domain", &domain, "policy_id",
	    &policy_id, "force", &req->force) < 0) {
		errbuf_set(why, whylen, "request %lld malformed: %s", req->id,
		    jerr.text);
		req->refusal = "malformed request";
		return FETCH_REQ_REFUSED;
	}
	snprintf(req->domain, sizeof(req->domain), "%s", domain);
	if (strlen(policy_id) > STS_ID_MAX) {
		errbuf_set(why, whylen, "request %lld: policy_id too long",
		    req->id);
		req->refusal = "malformed request";
		return FETCH_REQ_REFUSED;
	}
	if (!fetchipc_domain(domain, req->domain, sizeof(req->domain))) {
		snprintf(req->domain, sizeof(req->domain), "%s", domain);
		errbuf_set(why, whylen, "request %lld: invalid domain %s",
		    req->id, log_safe(domain, strlen(domain), safe,
		    sizeof(safe)));
		req->refusal = "invalid domain name";
		return FETCH_REQ_REFUSED;
	}
	snprintf(req->policy_id, sizeof(req->policy_id), "%s", policy_id);
	return FETCH_REQ_OK;
}

int
fetchipc_request_decode(const char *line, size_t len, struct fetch_req *req,
    char *why, size_t whylen)
{
	json_error_t jerr;
	json_t *obj, *jid;
	char safe[128];
	int rc;

	memset(req, 0, sizeof(*req));
	req->id = -1;
	errbuf_set(why, whylen, "%s", "");
	obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	jid = json_is_object(obj) ? json_object_get(obj, "id") : NULL;
	if (!json_is_integer(jid) || json_integer_value(jid) < 0) {
		errbuf_set(why, whylen, "request without a readable id "
		    "skipped: %s", log_safe(line, len, safe, sizeof(safe)));
		json_decref(obj);
		return FETCH_REQ_SKIP;
	}
	req->id = json_integer_value(jid);
	rc = request_members(obj, req, why, whylen);
	json_decref(obj);
	return rc;
}

static json_t *
jstr(const char *s)
{
	json_t *j = json_string(s);

	return j ? j : json_string("(unprintable)");
}

char *
fetchipc_reply_tail(const char *domain, const struct sts_policy *p,
    int64_t fetched_at, const char *type, const char *detail)
{
	json_t *o = json_object();
	char *s, *tail;

	json_object_set_new(o, "domain", jstr(domain));
	json_object_set_new(o, "ok", json_boolean(p != NULL));
	if (p != NULL) {
		json_object_set_new(o, "policy", sts_policy_to_json(p));
		json_object_set_new(o, "fetched_at",
		    json_integer((json_int_t)fetched_at));
	} else {
		json_object_set_new(o, "error", jstr(type));
		json_object_set_new(o, "detail", jstr(detail));
	}
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (s == NULL)
		return NULL;
	tail = xstrdup(s + 1);
	free(s);
	return tail;
}

char *
fetchipc_request_encode(long long id, const char *domain,
    const char *policy_id, int force)
{
	json_t *j = json_pack("{s:I, s:s, s:s, s:b}", "id", (json_int_t)id,
	    "domain", domain, "policy_id", policy_id ? policy_id : "", "force",
	    force);
	char *line = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	return line;
}

int
fetchipc_reply_decode(const char *line, size_t len, struct fetchipc_reply *out,
    char *why, size_t whylen)
{
	json_error_t jerr;
	json_t *j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *jid, *jok;

	memset(out, 0, sizeof(*out));
	out->id = -1;
	if (j == NULL || !json_is_object(j)) {
		errbuf_set(why, whylen, "malformed reply line: %s",
		    j ? "not an object" : jerr.text);
		json_decref(j);
		return -1;
	}
	jid = json_object_get(j, "id");
	jok = json_object_get(j, "ok");
	if (!json_is_boolean(jok)) {
		errbuf_set(why, whylen, "%s", "reply without id or ok");
		json_decref(j);
		return -1;
	}
	out->root = j;
	if (json_is_integer(jid))
		out->id = json_integer_value(jid);
	out->ok = json_is_true(jok);
	if (out->ok) {
		out->policy = json_object_get(j, "policy");
		out->fetched_at = json_integer_value(json_object_get(j,
		    "fetched_at"));
		if (!json_is_object(out->policy)) {
			out->ok = 0;
			out->policy = NULL;
			out->error = FETCH_ERR_INVALID;
			out->detail = "fetcher reply without a policy object";
		}
		return 0;
	}
	out->error = json_string_value(json_object_get(j, "error"));
	out->detail = json_string_value(json_object_get(j, "detail"));
	if (out->error == NULL)
		out->error = FETCH_ERR_FETCH;
	if (out->detail == NULL)
		out->detail = "no detail";
	return 0;
}

void
fetchipc_reply_clear(struct fetchipc_reply *r)
{
	json_decref(r->root);
	r->root = NULL;
	r->policy = NULL;
}
