/* SPDX-License-Identifier: MIT */
/*
 * tlsrpt_report - RFC 8460 report builders.  The contract is in
 * tlsrpt_report.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "domain.h"
#include "tlsrpt_report.h"
#include "util.h"

#define SECS_PER_DAY	86400
#define SUBJECT_FOLD	78

/* Report JSON */

char *
tlsrpt_report_id(int64_t day, unsigned idx, const char *domain)
{
	char ds[TLSRPT_DAY_LEN + 1];
	struct tlsrpt_buf b = { NULL, 0, 0 };

	tlsrpt_day_str(day, ds);
	tlsrpt_buf_printf(&b, "%sT00:00:00Z_idx%u_", ds, idx);
	tlsrpt_buf_str(&b, domain);
	return b.p;
}

/* A JSON string from text that may not be UTF-8. */
static json_t *
jstr(const char *s)
{
	size_t n = strlen(s);
	unsigned char *clean;
	json_t *j;

	if (tlsrpt_utf8_valid(s, n))
		return json_stringn(s, n);
	clean = xmalloc(3 * n + 1);
	n = tlsrpt_utf8_sanitise((const unsigned char *)s, n, clean);
	j = json_stringn((const char *)clean, n);
	free(clean);
	return j;
}

static json_t *
jint(uint64_t v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static json_t *
strv_json(char *const *v, size_t n)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(arr, jstr(v[i]));
	return arr;
}

static void
set_opt(json_t *o, const char *key, const char *value)
{
	if (value != NULL)
		json_object_set_new(o, key, jstr(value));
}

static json_t *
detail_json(const struct tlsrpt_agg_detail *ad)
{
	const char *rt = tlsrpt_result_type_name(ad->d.code);
	json_t *o = json_object();
	char code[48];

	json_object_set_new(o, "result-type",
	    json_string(rt ? rt : "validation-failure"));
	set_opt(o, "sending-mta-ip", ad->d.s);
	set_opt(o, "receiving-mx-hostname", ad->d.n);
	set_opt(o, "receiving-mx-helo", ad->d.h);
	set_opt(o, "receiving-ip", ad->d.r);
	json_object_set_new(o, "failed-session-count", jint(ad->count));
	set_opt(o, "additional-information", ad->d.a);
	if (ad->d.f != NULL)
		set_opt(o, "failure-reason-code", ad->d.f);
	else if (rt == NULL) {
		snprintf(code, sizeof(code), "tlsrpt-result-code-%d", ad->d.code);
		set_opt(o, "failure-reason-code", code);
	}
	return o;
}

static json_t *
policy_json(const struct tlsrpt_agg_policy *ap)
{
	json_t *o = json_object(), *pol = json_object(), *sum = json_object();
	json_t *fd = json_array();
	size_t i;

	json_object_set_new(pol, "policy-type",
	    json_string(tlsrpt_policy_type_name(ap->p.type)));
	json_object_set_new(pol, "policy-string",
	    strv_json(ap->p.strings, ap->p.nstrings));
	json_object_set_new(pol, "policy-domain", jstr(ap->p.domain));
	json_object_set_new(pol, "mx-host", strv_json(ap->p.mx, ap->p.nmx));
	json_object_set_new(sum, "total-successful-session-count",
	    jint(ap->total - ap->failures));
	json_object_set_new(sum, "total-failure-session-count",
	    jint(ap->failures));
	for (i = 0; i < ap->ndetails; i++)
		json_array_append_new(fd, detail_json(&ap->details[i]));
	json_object_set_new(o, "policy", pol);
	json_object_set_new(o, "summary", sum);
	json_object_set_new(o, "failure-details", fd);
	return o;
}

static json_t *
date_range(int64_t day)
{
	char ds[TLSRPT_DAY_LEN + 1], buf[32];
	json_t *o = json_object();

	tlsrpt_day_str(day, ds);
	snprintf(buf, sizeof(buf), "%sT00:00:00Z", ds);
	json_object_set_new(o, "start-datetime", json_string(buf));
	snprintf(buf, sizeof(buf), "%sT23:59:59Z", ds);
	json_object_set_new(o, "end-datetime", json_string(buf));
	return o;
}

json_t *
tlsrpt_report_json(const struct tlsrpt_agg_rec *r, const char *pr,
    unsigned idx, const struct tlsrpt_report_meta *m)
{
	json_t *rep, *pols = json_array();
	char *id;
	size_t i;

	for (i = 0; i < r->npol; i++)
		if (pr == NULL || strcmp(r->pol[i].pr, pr) == 0)
			json_array_append_new(pols, policy_json(&r->pol[i]));
	if (json_array_size(pols) == 0 || m->organization == NULL
	    || m->contact == NULL) {
		json_decref(pols);
		return NULL;
	}
	rep = json_object();
	json_object_set_new(rep, "organization-name", jstr(m->organization));
	json_object_set_new(rep, "date-range", date_range(r->day));
	json_object_set_new(rep, "contact-info", jstr(m->contact));
	id = tlsrpt_report_id(r->day, idx, r->domain);
	json_object_set_new(rep, "report-id", jstr(id));
	free(id);
	json_object_set_new(rep, "policies", pols);
	return rep;
}

char *
tlsrpt_report_text(const struct tlsrpt_agg_rec *r, const char *pr,
    unsigned idx, const struct tlsrpt_report_meta *m, size_t *lenp)
{
	json_t *rep = tlsrpt_report_json(r, pr, idx, m);
	char *text;

	if (rep == NULL)
		return NULL;
	text = json_dumps(rep, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(rep);
	if (text != NULL && lenp != NULL)
		*lenp = strlen(text);
	return text;
}

/* gzip */

unsigned char *
tlsrpt_gzip(const void *in, size_t len, size_t *outlen)
{
	z_stream zs;
	unsigned char *out;
	uLong bound;

	if (len > TLSRPT_REPORT_MAX)
		return NULL;
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	bound = deflateBound(&zs, (uLong)len);
	out = xmalloc(bound);
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)bound;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&zs);
		free(out);
		return NULL;
	}
	*outlen = zs.total_out;
	deflateEnd(&zs);
	return out;
}

/* The output grows by doubling up to max + 1 bytes (one more tells "too big"). */
unsigned char *
tlsrpt_gunzip(const void *in, size_t len, size_t max, size_t *outlen)
{
	size_t cap = len < max / 4 ? 4 * len + 1024 : max + 1;
	unsigned char *out;
	z_stream zs;
	int rc = Z_OK;

	memset(&zs, 0, sizeof(zs));
	if (len > UINT32_MAX || max > TLSRPT_REPORT_MAX
	    || inflateInit2(&zs, 15 + 16) != Z_OK)
		return NULL;
	out = xmalloc(cap);
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	while (rc == Z_OK) {
		if (zs.total_out == cap) {
			if (cap == max + 1)
				break;
			cap = cap > max / 2 ? max + 1 : 2 * cap;
			out = xrealloc(out, cap);
		}
		zs.next_out = out + zs.total_out;
		zs.avail_out = (uInt)(cap - zs.total_out);
		rc = inflate(&zs, Z_NO_FLUSH);
	}
	*outlen = zs.total_out;
	inflateEnd(&zs);
	if (rc != Z_STREAM_END || zs.avail_in != 0 || *outlen > max) {
		free(out);
		return NULL;
	}
	return out;
}

/* File name and Subject */

char *
tlsrpt_report_filename(const char *submitter, const char *domain,
    int64_t day, unsigned idx)
{
	struct tlsrpt_buf b = { NULL, 0, 0 };
	int64_t begin = day * SECS_PER_DAY;

	tlsrpt_buf_str(&b, submitter);
	tlsrpt_buf_str(&b, "!");
	tlsrpt_buf_str(&b, domain);
	tlsrpt_buf_printf(&b, "!%lld!%lld!%u.json.gz", (long long)begin,
	    (long long)(begin + SECS_PER_DAY - 1), idx);
	return b.p;
}

/* RFC 5322 atext or ".": what a dot-atom-text id-left may hold. */
static int
is_id_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
	    || (c >= '0' && c <= '9') || (c != 0
	    && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL);
}

static char *
msgid_left(const char *report_id)
{
	char *l = xstrdup(report_id), *o = l;
	const char *p;

	for (p = report_id; *p; p++)
		if (is_id_char((unsigned char)*p) && !(*p == '.' && (o == l
		    || o[-1] == '.')))
			*o++ = *p;
	while (o > l && o[-1] == '.')
		o--;
	*o = '\0';
	return l;
}

char *
tlsrpt_report_subject(const char *domain, const char *submitter,
    const char *report_id)
{
	struct tlsrpt_buf b = { NULL, 0, 0 };
	char *left = msgid_left(report_id);

	tlsrpt_buf_str(&b, "Report Domain: ");
	tlsrpt_buf_str(&b, domain);
	tlsrpt_buf_str(&b, " Submitter: ");
	tlsrpt_buf_str(&b, submitter);
	tlsrpt_buf_str(&b, " Report-ID: <");
	tlsrpt_buf_str(&b, left);
	tlsrpt_buf_str(&b, "@");
	tlsrpt_buf_str(&b, submitter);
	tlsrpt_buf_str(&b, ">");
	free(left);
	return b.p;
}

/* Header checks */

/* local@domain, printable ASCII, nothing that ends or splits a header. */
static int
addr_safe(const char *a)
{
	const char *at = a ? strrchr(a, '@') : NULL, *p;
	char dom[DOMAIN_MAX + 1];

	if (at == NULL || at == a || strlen(at + 1) > DOMAIN_MAX)
		return 0;
	for (p = a; p < at; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("<>,;\"()\\[]:@", *p))
			return 0;
	strcpy(dom, at + 1);
	str_lower(dom);
	return domain_valid(dom);
}

/* Printable ASCII without quote and backslash (quoted-string safe). */
static int
token_safe(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++)
		if (*s < 0x20 || *s >= 0x7f || *s == '"' || *s == '\\')
			return 0;
	return 1;
}

static int
mail_check(const struct tlsrpt_mail *m, char *err, size_t errlen)
{
	const char *bad = NULL;

	if (!addr_safe(m->from))
		bad = "sender address";
	else if (!addr_safe(m->to))
		bad = "recipient address";
	else if (m->domain == NULL || !domain_valid(m->domain))
		bad = "report domain";
	else if (m->submitter == NULL || !domain_valid(m->submitter))
		bad = "submitter domain";
	else if (!token_safe(m->report_id) || strchr(m->report_id, ' '))
		bad = "report-id";
	else if (!token_safe(m->filename))
		bad = "file name";
	else if (m->now < 0)
		bad = "date";
	if (bad != NULL) {
		errbuf_set(err, errlen, "unusable %s for a report message", bad);
		return -1;
	}
	return 0;
}

/* The message */

static void
add_date(struct tlsrpt_buf *b, int64_t now)
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)now;
	struct tm tm;

	gmtime_r(&t, &tm);
	tlsrpt_buf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\n",
	    wd[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Subject, folded before "Submitter:" and "Report-ID:" when long. */
static void
add_subject(struct tlsrpt_buf *b, const struct tlsrpt_mail *m)
{
	char *subj = tlsrpt_report_subject(m->domain, m->submitter,
	    m->report_id);
	char *sub = strstr(subj, " Submitter: ");
	char *rid = strstr(subj, " Report-ID: ");

	tlsrpt_buf_str(b, "Subject: ");
	if (strlen(subj) + 9 <= SUBJECT_FOLD)
		tlsrpt_buf_str(b, subj);
	else {
		tlsrpt_buf_add(b, subj, (size_t)(sub - subj));
		tlsrpt_buf_str(b, "\n");
		tlsrpt_buf_add(b, sub, (size_t)(rid - sub));
		tlsrpt_buf_str(b, "\n");
		tlsrpt_buf_str(b, rid);
	}
	tlsrpt_buf_str(b, "\n");
	free(subj);
}

static void
add_headers(struct tlsrpt_buf *b, const struct tlsrpt_mail *m,
    const char *boundary, uint32_t tag)
{
	tlsrpt_buf_str(b, "From: ");
	tlsrpt_buf_str(b, m->from);
	tlsrpt_buf_str(b, "\nTo: ");
	tlsrpt_buf_str(b, m->to);
	tlsrpt_buf_str(b, "\n");
	add_date(b, m->now);
	add_subject(b, m);
	tlsrpt_buf_printf(b, "Message-ID: <tlsrpt.%08x.%lld@", tag,
	    (long long)m->now);
	tlsrpt_buf_str(b, m->submitter);
	tlsrpt_buf_str(b, ">\nMIME-Version: 1.0\nTLS-Report-Domain: ");
	tlsrpt_buf_str(b, m->domain);
	tlsrpt_buf_str(b, "\nTLS-Report-Submitter: ");
	tlsrpt_buf_str(b, m->submitter);
	tlsrpt_buf_str(b, "\nTLS-Required: No\nAuto-Submitted: auto-generated\n"
	    "Content-Type: multipart/report; report-type=\"tlsrpt\";\n"
	    "\tboundary=\"");
	tlsrpt_buf_str(b, boundary);
	tlsrpt_buf_str(b, "\"\n\nThis is a multipart message in MIME format.\n");
}

/* The human-readable part; the organization without control bytes. */
static void
add_text_part(struct tlsrpt_buf *b, const struct tlsrpt_mail *m,
    const char *boundary)
{
	const char *org = m->organization ? m->organization : m->submitter;
	int ascii = 1;
	char *o = xstrdup(org), *p;

	for (p = o; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
		else if ((unsigned char)*p >= 0x80)
			ascii = 0;
	}
	if (!ascii && !tlsrpt_utf8_valid(o, strlen(o)))
		for (p = o; *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
	tlsrpt_buf_printf(b, "\n--%s\n", boundary);
	tlsrpt_buf_printf(b, "Content-Type: text/plain; charset=\"%s\"\n"
	    "Content-Transfer-Encoding: %s\n\n", ascii ? "us-ascii" : "utf-8",
	    ascii ? "7bit" : "8bit");
	tlsrpt_buf_str(b, "This is an aggregate TLS report from ");
	tlsrpt_buf_str(b, o);
	tlsrpt_buf_str(b, "\nfor ");
	tlsrpt_buf_str(b, m->domain);
	tlsrpt_buf_str(b, " (SMTP TLS Reporting, RFC 8460).\nReport-ID: ");
	tlsrpt_buf_str(b, m->report_id);
	tlsrpt_buf_str(b, "\n");
	free(o);
}

static void
add_base64(struct tlsrpt_buf *b, const unsigned char *in, size_t len)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char quad[4];
	size_t i, col = 0;
	uint32_t v;

	for (i = 0; i < len; i += 3) {
		v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		quad[0] = tab[(v >> 18) & 63];
		quad[1] = tab[(v >> 12) & 63];
		quad[2] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		quad[3] = i + 2 < len ? tab[v & 63] : '=';
		tlsrpt_buf_add(b, quad, 4);
		if ((col += 4) == TLSRPT_B64_LINE) {
			tlsrpt_buf_str(b, "\n");
			col = 0;
		}
	}
	if (col > 0)
		tlsrpt_buf_str(b, "\n");
}

static void
add_report_part(struct tlsrpt_buf *b, const struct tlsrpt_mail *m,
    const char *boundary, const void *gz, size_t gzlen)
{
	tlsrpt_buf_printf(b, "\n--%s\n", boundary);
	tlsrpt_buf_str(b, "Content-Type: application/tlsrpt+gzip\n"
	    "Content-Transfer-Encoding: base64\n"
	    "Content-Disposition: attachment;\n\tfilename=\"");
	tlsrpt_buf_str(b, m->filename);
	tlsrpt_buf_str(b, "\"\n\n");
	add_base64(b, gz, gzlen);
	tlsrpt_buf_printf(b, "\n--%s--\n", boundary);
}

char *
tlsrpt_report_mail(const struct tlsrpt_mail *m, const void *gz, size_t gzlen,
    size_t *lenp, char *err, size_t errlen)
{
	struct tlsrpt_buf b = { NULL, 0, 0 };
	char boundary[64];
	uint32_t tag;

	errbuf_set(err, errlen, "%s", "");
	if (mail_check(m, err, errlen) < 0)
		return NULL;
	if (gzlen > TLSRPT_REPORT_MAX) {
		errbuf_set(err, errlen, "report larger than %d bytes",
		    TLSRPT_REPORT_MAX);
		return NULL;
	}
	/* Message-ID: unique per report and destination. */
	tag = (uint32_t)crc32(crc32(0L, (const Bytef *)m->report_id,
	    (uInt)strlen(m->report_id)), (const Bytef *)m->to,
	    (uInt)strlen(m->to));
	snprintf(boundary, sizeof(boundary), "=_tlsrpt_%08x_%lld",
	    (unsigned)crc32(0L, gz, (uInt)gzlen), (long long)m->now);
	add_headers(&b, m, boundary, tag);
	add_text_part(&b, m, boundary);
	add_report_part(&b, m, boundary, gz, gzlen);
	if (lenp != NULL)
		*lenp = b.len;
	return b.p;
}
