/*
 * fetchproto - stsfetch's pure parts.  The contract is in fetchproto.h.
 */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetchproto.h"
#include "log.h"
#include "util.h"

size_t
fetchproto_http_request(char *buf, size_t len, const char *host)
{
	int n = snprintf(buf, len,
	    "GET /.well-known/mta-sts.txt HTTP/1.1\r\n"
	    "Host: %s\r\n"
	    "User-Agent: stsfetch/%s (tlspolicyd)\r\n"
	    "Accept: text/plain\r\n"
	    "Connection: close\r\n\r\n", host, PACKAGE_VERSION);

	return n < 0 || (size_t)n >= len ? 0 : (size_t)n;
}

int
fetchproto_check_head(const struct http_resp *r, const char **type,
    char *detail, size_t dlen)
{
	*type = FETCH_ERR_FETCH;
	if (r->status >= 300 && r->status < 400) {
		errbuf_set(detail, dlen, "HTTP status %d (redirect%s%s not "
		    "followed)", r->status, r->location[0] ? " to " : "",
		    r->location);
		return -1;
	}
	if (r->status != 200) {
		errbuf_set(detail, dlen, "HTTP status %d", r->status);
		return -1;
	}
	if (!http_media_type_is(r, "text/plain")) {
		*type = FETCH_ERR_INVALID;
		errbuf_set(detail, dlen, "content type %s, not text/plain",
		    r->content_type[0] ? r->content_type : "missing");
		return -1;
	}
	*type = NULL;
	return 0;
}

int
fetchproto_response(struct http_resp *r, const char *buf, size_t len,
    int eof, const char **type, char *detail, size_t dlen)
{
	enum http_result res = http_resp_parse(buf, len, eof,
	    STS_POLICY_MAX_BODY, r, detail, dlen);

	if (r->headers_done && fetchproto_check_head(r, type, detail,
	    dlen) < 0)
		return -1;
	if (res == HTTP_ERROR) {
		*type = FETCH_ERR_FETCH;
		return -1;
	}
	return res == HTTP_DONE;
}

int
fetchproto_domain(const char *in, char *out, size_t outlen)
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
	if (!fetchproto_domain(domain, req->domain, sizeof(req->domain))) {
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
fetchproto_request(const char *line, size_t len, struct fetch_req *req,
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
fetchproto_reply_tail(const char *domain, const struct sts_policy *p,
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
