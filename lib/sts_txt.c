/* SPDX-License-Identifier: MIT */
/*
 * sts_txt - parse the _mta-sts TXT RRset.  The contract is in sts_txt.h.
 *
 * The parser walks a cursor over the record; each step reports the
 * first error it meets and the caller stops there.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sts_txt.h"
#include "util.h"

#define STS_VERSION	"v=STSv1"
#define STS_VERSION_LEN	(sizeof(STS_VERSION) - 1)
#define EXT_NAME_MAX	32

struct cursor {
	const char *buf;
	size_t len;
	size_t pos;
};

static int
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
	    || (c >= '0' && c <= '9');
}

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* ext-value: VCHAR except "=" and ";". */
static int
is_ext_value_char(int c)
{
	return c >= 0x21 && c <= 0x7e && c != '=' && c != ';';
}

static int
at_end(const struct cursor *c)
{
	return c->pos >= c->len;
}

static int
peek(const struct cursor *c)
{
	return at_end(c) ? -1 : (unsigned char)c->buf[c->pos];
}

/*
 * Does this record claim to be an STS record?  "v=STSv1" must be a
 * whole token: "v=STSv10" is some other version and is ignored.
 */
static int
is_sts_record(const char *buf, size_t len)
{
	if (len < STS_VERSION_LEN || memcmp(buf, STS_VERSION,
	    STS_VERSION_LEN) != 0)
		return 0;
	return len == STS_VERSION_LEN || is_wsp(buf[STS_VERSION_LEN])
	    || buf[STS_VERSION_LEN] == ';';
}

/* delim = *WSP ";" *WSP.  Returns 1 when one was consumed. */
static int
skip_delim(struct cursor *c)
{
	size_t save = c->pos;

	while (is_wsp(peek(c)))
		c->pos++;
	if (peek(c) != ';') {
		c->pos = save;
		return 0;
	}
	c->pos++;
	while (is_wsp(peek(c)))
		c->pos++;
	return 1;
}

/*
 * One field.  A field named "id" must be a valid sts-id; the first id
 * wins (RFC 8461 3.2's duplicate rule applied to the record too).
 */
static int
parse_field(struct cursor *c, char *id, int *have_id, char *err,
    size_t errlen)
{
	size_t start = c->pos, namelen, vstart, vlen;

	if (!is_alnum(peek(c))) {
		errbuf_set(err, errlen, "field name expected at offset %zu",
		    c->pos);
		return -1;
	}
	while (is_alnum(peek(c)) || peek(c) == '_' || peek(c) == '-'
	    || peek(c) == '.')
		c->pos++;
	namelen = c->pos - start;
	if (namelen > EXT_NAME_MAX) {
		errbuf_set(err, errlen, "field name longer than %d characters",
		    EXT_NAME_MAX);
		return -1;
	}
	if (peek(c) != '=') {
		errbuf_set(err, errlen, "'=' expected at offset %zu", c->pos);
		return -1;
	}
	c->pos++;
	vstart = c->pos;
	while (is_ext_value_char(peek(c)))
		c->pos++;
	vlen = c->pos - vstart;
	if (vlen == 0) {
		errbuf_set(err, errlen, "empty value at offset %zu", vstart);
		return -1;
	}
	if (namelen != 2 || memcmp(c->buf + start, "id", 2) != 0)
		return 0;		/* extension: grammar checked, ignored */
	if (vlen > STS_ID_MAX) {
		errbuf_set(err, errlen, "id longer than %d characters",
		    STS_ID_MAX);
		return -1;
	}
	for (size_t i = 0; i < vlen; i++) {
		if (!is_alnum((unsigned char)c->buf[vstart + i])) {
			errbuf_set(err, errlen, "id has a character other than "
			    "letters and digits");
			return -1;
		}
	}
	if (!*have_id) {
		memcpy(id, c->buf + vstart, vlen);
		id[vlen] = '\0';
		*have_id = 1;
	}
	return 0;
}

enum sts_txt_status
sts_txt_parse_record(const char *buf, size_t len, char id[STS_ID_MAX + 1],
    char *err, size_t errlen)
{
	struct cursor c = { buf, len, 0 };
	int have_id = 0, nfields = 0;

	id[0] = '\0';
	errbuf_set(err, errlen, "%s", "");
	if (!is_sts_record(buf, len)) {
		errbuf_set(err, errlen, "record does not begin with v=STSv1");
		return STS_TXT_INVALID;
	}
	c.pos = STS_VERSION_LEN;
	while (!at_end(&c)) {
		if (!skip_delim(&c)) {
			errbuf_set(err, errlen, "';' expected at offset %zu",
			    c.pos);
			goto fail;
		}
		if (at_end(&c))
			break;		/* optional final delimiter */
		if (parse_field(&c, id, &have_id, err, errlen) < 0)
			goto fail;
		nfields++;
	}
	if (nfields == 0 || !have_id) {
		errbuf_set(err, errlen, "record has no id field");
		goto fail;
	}
	return STS_TXT_OK;

fail:
	id[0] = '\0';
	return STS_TXT_INVALID;
}

enum sts_txt_status
sts_txt_parse(const struct sts_txt_rec *recs, size_t nrecs,
    char id[STS_ID_MAX + 1], char *err, size_t errlen)
{
	const struct sts_txt_rec *found = NULL;
	size_t nsts = 0;

	id[0] = '\0';
	errbuf_set(err, errlen, "%s", "");
	for (size_t i = 0; i < nrecs; i++) {
		if (is_sts_record(recs[i].data, recs[i].len)) {
			found = &recs[i];
			nsts++;
		}
	}
	if (nsts == 0) {
		errbuf_set(err, errlen, "no v=STSv1 record");
		return STS_TXT_NONE;
	}
	if (nsts > 1) {
		errbuf_set(err, errlen, "%zu v=STSv1 records (exactly one "
		    "allowed)", nsts);
		return STS_TXT_INVALID;
	}
	return sts_txt_parse_record(found->data, found->len, id, err, errlen);
}
