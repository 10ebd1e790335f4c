/* SPDX-License-Identifier: MIT */
/*
 * fetchipc - the messages between tlspolicyd and stsfetch.  The contract
 * is in fetchipc.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

static int post_members(json_t *obj, struct fetch_req *req, char *why,
    size_t whylen);

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
	if (json_object_get(obj, "post") != NULL)
		rc = post_members(obj, req, why, whylen);
	else
		rc = request_members(obj, req, why, whylen);
	json_decref(obj);
	return rc;
}

/* The reply object o (consumed) as text after its '{'; NULL on failure. */
static char *
reply_text_tail(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS), *tail;

	json_decref(o);
	if (s == NULL)
		return NULL;
	tail = xstrdup(s + 1);
	free(s);
	return tail;
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
	return reply_text_tail(o);
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
	out->post = json_is_true(json_object_get(j, "post"));
	out->status = (int)json_integer_value(json_object_get(j, "status"));
	if (out->ok && out->post) {
		out->detail = json_string_value(json_object_get(j, "detail"));
		if (out->detail == NULL)
			out->detail = "accepted";
		return 0;
	}
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
		out->error = out->post ? FETCH_ERR_POST : FETCH_ERR_FETCH;
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

/* POST requests ------------------------------------------------------ */

int
fetchipc_post_url(const char *url, char *host, size_t hostlen,
    unsigned *port, const char **path)
{
	const char *h = url + 8, *end;
	char name[DOMAIN_MAX + 2];
	size_t hl;

	if (strncasecmp(url, "https://", 8) != 0)
		return 0;
	end = h + strcspn(h, ":/");
	hl = (size_t)(end - h);
	if (hl == 0 || hl >= sizeof(name))
		return 0;
	memcpy(name, h, hl);
	name[hl] = '\0';
	*port = 443;
	if (*end == ':') {
		char *stop;
		long p = strtol(end + 1, &stop, 10);
		if (stop == end + 1 || p < 1 || p > 65535
		    || (*stop != '\0' && *stop != '/'))
			return 0;
		*port = (unsigned)p;
		end = stop;
	}
	if (strlen(end) > FETCH_POST_PATH_MAX)
		return 0;
	for (const char *c = end; *c; c++)
		if (*c <= 0x20 || *c >= 0x7f)
			return 0;
	*path = end;
	return fetchipc_domain(name, host, hostlen);
}

/* Decode hexadecimal; NULL when odd, not hex or too large. */
static unsigned char *
hex_decode(const char *in, size_t len, size_t *outlen)
{
	unsigned char *out;

	if (len % 2 || len / 2 > FETCH_POST_MAX)
		return NULL;
	out = xmalloc(len / 2 + 1);
	for (size_t i = 0; i < len; i += 2) {
		int hi = hex_digit((unsigned char)in[i]);
		int lo = hex_digit((unsigned char)in[i + 1]);
		if (hi < 0 || lo < 0) {
			free(out);
			return NULL;
		}
		out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	*outlen = len / 2;
	return out;
}

static int
post_refuse(struct fetch_req *req, char *why, size_t whylen,
    const char *refusal)
{
	errbuf_set(why, whylen, "request %lld: %s", req->id, refusal);
	req->refusal = refusal;
	return FETCH_REQ_REFUSED;
}

/* The members of a POST request with a readable id. */
static int
post_members(json_t *obj, struct fetch_req *req, char *why, size_t whylen)
{
	const char *url = NULL, *body = NULL, *path;
	json_error_t jerr;

	req->post = 1;
	if (json_unpack_ex(obj, &jerr, JSON_STRICT, "{s:I, s:s, s:s}", "id",
	    &(json_int_t){0}, "post", &url, "body", &body) < 0)
		return post_refuse(req, why, whylen, "malformed request");
	if (!fetchipc_post_url(url, req->domain, sizeof(req->domain),
	    &req->port, &path))
		return post_refuse(req, why, whylen, "invalid https URL");
	req->body = hex_decode(body, strlen(body), &req->body_len);
	if (req->body == NULL)
		return post_refuse(req, why, whylen, "invalid or too large body");
	req->path = xstrdup(*path ? path : "/");
	return FETCH_REQ_OK;
}

char *
fetchipc_post_encode(long long id, const char *url, const void *body,
    size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *b = body;
	char *h, *line = NULL;
	json_t *j;

	if (len > FETCH_POST_MAX)
		return NULL;
	h = xmalloc(2 * len + 1);
	for (size_t i = 0; i < len; i++) {
		h[2 * i] = hex[b[i] >> 4];
		h[2 * i + 1] = hex[b[i] & 15];
	}
	h[2 * len] = '\0';
	j = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "post", url,
	    "body", h);
	if (j != NULL)
		line = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	free(h);
	return line;
}

char *
fetchipc_post_reply_tail(const char *host, int status, const char *detail)
{
	json_t *o = json_object();
	int ok = status >= 200 && status <= 299;

	json_object_set_new(o, "domain", jstr(host));
	json_object_set_new(o, "ok", json_boolean(ok));
	json_object_set_new(o, "post", json_true());
	json_object_set_new(o, "status", json_integer(status));
	json_object_set_new(o, "detail", jstr(detail));
	if (!ok)
		json_object_set_new(o, "error", json_string(FETCH_ERR_POST));
	return reply_text_tail(o);
}

void
fetchipc_request_clear(struct fetch_req *req)
{
	free(req->path);
	free(req->body);
	req->path = NULL;
	req->body = NULL;
	req->body_len = 0;
}
