/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "netstring.h"
#include "sockmap.h"

int
sockmap_parse_request(const char *p, size_t len, struct sockmap_req *req,
    const char **err)
{
	const char *sp;

	/* Three vectorised scans cost a third of one loop over the bytes. */
	if (memchr(p, '\0', len) != NULL || memchr(p, '\r', len) != NULL
	    || memchr(p, '\n', len) != NULL) {
		*err = "control character in request";
		return -1;
	}
	sp = memchr(p, ' ', len);
	if (sp == NULL) {
		*err = "request without a space between map name and key";
		return -1;
	}
	if (sp == p) {
		*err = "empty map name";
		return -1;
	}
	/* An empty key is a lookup like any other: tables answer "not
	 * found" for it, as Postfix's own tables do. */
	req->name = p;
	req->name_len = (size_t)(sp - p);
	req->key = sp + 1;
	req->key_len = len - req->name_len - 1;
	return 0;
}

const char *
sockmap_status_name(enum sockmap_status st)
{
	switch (st) {
	case SM_OK:
		return "OK";
	case SM_NOTFOUND:
		return "NOTFOUND";
	case SM_TEMP:
		return "TEMP";
	case SM_TIMEOUT:
		return "TIMEOUT";
	case SM_PERM:
		return "PERM";
	}
	return "TEMP";
}

/* v in decimal at out, no NUL; returns the digits written (at most 20). */
static size_t
put_decimal(char *out, size_t v)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

size_t
sockmap_format_reply(char *out, size_t cap, enum sockmap_status st,
    const char *text)
{
	char head[32];
	const char *word;
	size_t wl, tl, hl, i;

	if (st == SM_OK && (text == NULL || *text == '\0')) {
		st = SM_TEMP;
		text = "empty policy value";
	}
	if (st == SM_NOTFOUND || text == NULL)
		text = "";
	word = sockmap_status_name(st);
	wl = strlen(word);
	tl = strlen(text);
	if (st != SM_OK && tl > SOCKMAP_REASON_MAX)
		tl = SOCKMAP_REASON_MAX;
	if (wl + 1 + tl > SOCKMAP_MAX_REPLY)
		return 0;	/* never truncate a policy value */
	/* "LEN:WORD " by hand: snprintf was a third of a cache hit's
	 * instructions outside the kernel. */
	hl = put_decimal(head, wl + 1 + tl);
	head[hl++] = ':';
	memcpy(head + hl, word, wl);
	hl += wl;
	head[hl++] = ' ';
	if (hl + tl + 1 > cap)
		return 0;
	memcpy(out, head, hl);
	if (st == SM_OK) {
		memcpy(out + hl, text, tl);	/* a policy value goes out as is */
	} else {
		for (i = 0; i < tl; i++) {
			unsigned char c = (unsigned char)text[i];
			if (c < 0x20 || c >= 0x7f)
				c = '?';
			out[hl + i] = (char)c;
		}
	}
	out[hl + tl] = ',';
	return hl + tl + 1;
}
