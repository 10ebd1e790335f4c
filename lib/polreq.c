/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "polreq.h"

/*
 * The names with their lengths, and an index by hash (attr_lookup()):
 * a linear scan over the names for each line was over a fifth of a
 * policy request's instructions.
 */
#define ATTR(e, name)	[e] = { name, sizeof(name) - 1 }
static const struct {
	const char *name;
	size_t len;
} attrs[PR_NATTRS] = {
	ATTR(PR_REQUEST, "request"),
	ATTR(PR_PROTOCOL_STATE, "protocol_state"),
	ATTR(PR_PROTOCOL_NAME, "protocol_name"),
	ATTR(PR_CLIENT_ADDRESS, "client_address"),
	ATTR(PR_CLIENT_NAME, "client_name"),
	ATTR(PR_CLIENT_PORT, "client_port"),
	ATTR(PR_REVERSE_CLIENT_NAME, "reverse_client_name"),
	ATTR(PR_SERVER_ADDRESS, "server_address"),
	ATTR(PR_SERVER_PORT, "server_port"),
	ATTR(PR_HELO_NAME, "helo_name"),
	ATTR(PR_SENDER, "sender"),
	ATTR(PR_RECIPIENT, "recipient"),
	ATTR(PR_RECIPIENT_COUNT, "recipient_count"),
	ATTR(PR_QUEUE_ID, "queue_id"),
	ATTR(PR_INSTANCE, "instance"),
	ATTR(PR_SIZE, "size"),
	ATTR(PR_ETRN_DOMAIN, "etrn_domain"),
	ATTR(PR_STRESS, "stress"),
	ATTR(PR_SASL_METHOD, "sasl_method"),
	ATTR(PR_SASL_USERNAME, "sasl_username"),
	ATTR(PR_SASL_SENDER, "sasl_sender"),
	ATTR(PR_CCERT_SUBJECT, "ccert_subject"),
	ATTR(PR_CCERT_ISSUER, "ccert_issuer"),
	ATTR(PR_CCERT_FINGERPRINT, "ccert_fingerprint"),
	ATTR(PR_CCERT_PUBKEY_FINGERPRINT, "ccert_pubkey_fingerprint"),
	ATTR(PR_ENCRYPTION_PROTOCOL, "encryption_protocol"),
	ATTR(PR_ENCRYPTION_CIPHER, "encryption_cipher"),
	ATTR(PR_ENCRYPTION_KEYSIZE, "encryption_keysize"),
	ATTR(PR_POLICY_CONTEXT, "policy_context"),
	ATTR(PR_COMPATIBILITY_LEVEL, "compatibility_level"),
	ATTR(PR_MAIL_VERSION, "mail_version"),
	ATTR(PR_TLS_SNI, "tls_sni"),
};

const char *
polreq_attr_name(enum polreq_attr a)
{
	return (unsigned)a < PR_NATTRS ? attrs[a].name : "?";
}

#define INDEX_SIZE	128	/* a power of two, over 3 x PR_NATTRS */

static signed char attr_index[INDEX_SIZE];	/* -1: empty */

static unsigned
attr_hash(const char *name, size_t len)
{
	return ((unsigned)len * 7 + (unsigned char)name[0] * 31
	    + (unsigned char)name[len / 2] * 131
	    + (unsigned char)name[len - 1]) & (INDEX_SIZE - 1);
}

/* Filled before main() runs, so lookups need no lock or flag. */
__attribute__((constructor)) static void
attr_index_init(void)
{
	memset(attr_index, -1, sizeof(attr_index));
	for (int i = 0; i < PR_NATTRS; i++) {
		unsigned h = attr_hash(attrs[i].name, attrs[i].len);

		while (attr_index[h] >= 0)
			h = (h + 1) & (INDEX_SIZE - 1);
		attr_index[h] = (signed char)i;
	}
}

static int
attr_lookup(const char *name, size_t len)
{
	unsigned h;
	int i;

	if (len == 0)
		return -1;
	for (h = attr_hash(name, len); (i = attr_index[h]) >= 0;
	    h = (h + 1) & (INDEX_SIZE - 1))
		if (attrs[i].len == len && memcmp(attrs[i].name, name, len) == 0)
			return i;
	return -1;
}

/* Set err and return POLREQ_ERR, so each check below is one line. */
static enum polreq_status
refuse(char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "%s", why);
	return POLREQ_ERR;
}

/* One "name=value" line of ll bytes (LF excluded). */
static enum polreq_status
parse_line(const char *line, size_t ll, struct polreq *req, size_t *storeoff,
    char *err, size_t errlen)
{
	const char *eq;
	size_t nl, vl;
	int a;

	if (memchr(line, '\0', ll) != NULL)
		return refuse(err, errlen, "NUL byte in request");
	if ((eq = memchr(line, '=', ll)) == NULL)
		return refuse(err, errlen, "attribute line without '='");
	if (eq == line)
		return refuse(err, errlen, "empty attribute name");
	if (++req->nlines > POLREQ_MAX_ATTRS)
		return refuse(err, errlen, "too many attributes");
	nl = (size_t)(eq - line);
	vl = ll - nl - 1;
	if ((a = attr_lookup(line, nl)) < 0 || req->val[a] != NULL)
		return POLREQ_OK;	/* unknown, or a duplicate: first wins */
	memcpy(req->store + *storeoff, eq + 1, vl);
	req->store[*storeoff + vl] = '\0';
	req->val[a] = req->store + *storeoff;
	*storeoff += vl + 1;
	return POLREQ_OK;
}

enum polreq_status
polreq_parse(const char *buf, size_t len, struct polreq *req, size_t *used,
    char *err, size_t errlen)
{
	size_t off = 0, storeoff = 0;
	enum polreq_status st;

	memset(req->val, 0, sizeof(req->val));
	req->nlines = 0;
	for (;;) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - (buf + off)) : len - off;

		/* Limits first, so a partial line is refused as it grows. */
		if (ll + 1 > POLREQ_MAX_LINE)
			return refuse(err, errlen, "attribute line too long");
		if (off + ll + 1 > POLREQ_MAX_REQUEST)
			return refuse(err, errlen, "request too large");
		if (nl == NULL) {
			if (memchr(buf + off, '\0', ll) != NULL)
				return refuse(err, errlen, "NUL byte in request");
			return POLREQ_INCOMPLETE;
		}
		if (ll == 0) {
			if (req->nlines == 0)
				return refuse(err, errlen, "empty request");
			*used = off + 1;
			return POLREQ_OK;
		}
		st = parse_line(buf + off, ll, req, &storeoff, err, errlen);
		if (st != POLREQ_OK)
			return st;
		off += ll + 1;
	}
}

const char *
polreq_get(const struct polreq *req, enum polreq_attr a)
{
	return req->val[a] ? req->val[a] : "";
}

int
polreq_has(const struct polreq *req, enum polreq_attr a)
{
	return req->val[a] != NULL;
}

/*
 * A leading number must be a 4xx or 5xx code with text after it:
 * Postfix takes an all-numeric value as OK, and "450 " as well.
 */
static int
code_safe(const char *a, const char **err)
{
	size_t dl = strspn(a, "0123456789");

	if (dl == 0)
		return 0;
	if (dl != 3 || (a[0] != '4' && a[0] != '5')) {
		*err = "numeric action that is not a 4xx or 5xx code";
		return -1;
	}
	if (a[3] != ' ' || a[3 + strspn(a + 3, " ")] == '\0') {
		*err = "reply code without text (Postfix would permit)";
		return -1;
	}
	return 0;
}

int
polreq_action_safe(const char *a, const char **err)
{
	size_t len = strlen(a);

	if (len == 0) {
		*err = "empty action (Postfix would permit)";
		return -1;
	}
	if (len > POLREQ_MAX_ACTION) {
		*err = "action too long";
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)a[i];
		if (c < 0x20 || c > 0x7e) {
			*err = "action with a control or non-ASCII byte";
			return -1;
		}
	}
	if (a[0] == ' ') {
		*err = "action starts with white space";
		return -1;
	}
	return code_safe(a, err);
}

size_t
polreq_format_reply(char *out, size_t cap, const char *action,
    const char **err)
{
	size_t len;

	if (polreq_action_safe(action, err) < 0)
		return 0;
	len = strlen(action);
	if (cap < len + 9) {
		*err = "reply buffer too small";
		return 0;
	}
	memcpy(out, "action=", 7);
	memcpy(out + 7, action, len);
	out[7 + len] = '\n';
	out[8 + len] = '\n';
	return len + 9;
}
