/* SPDX-License-Identifier: MIT */
/*
 * dname - a domain name in presentation form (dname.h).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>

#include "dname.h"

int
dname_text(const ldns_rdf *name, char *out, size_t outlen)
{
	const uint8_t *p = ldns_rdf_data(name);
	size_t len = ldns_rdf_size(name), off = 0, o = 0;

	if (outlen < 2 || p == NULL || len == 0 || len > LDNS_MAX_DOMAINLEN)
		goto bad;
	while (p[off] != 0) {
		size_t lab = p[off++];

		if (off + lab >= len)
			goto bad;	/* the label or the root byte is missing */
		for (size_t end = off + lab; off < end; off++) {
			unsigned c = p[off];
			int esc = c == '.' || c == ';' || c == '(' || c == ')'
			    || c == '\\', num = c < 0x21 || c > 0x7e;

			/* This character, the label's dot and the NUL. */
			if (o + (num ? 4 : esc ? 2 : 1) + 2 > outlen)
				goto bad;
			if (esc || num)
				out[o++] = '\\';
			if (num) {
				out[o++] = (char)('0' + c / 100);
				out[o++] = (char)('0' + c / 10 % 10);
				out[o++] = (char)('0' + c % 10);
			} else {
				out[o++] = (char)c;
			}
		}
		if (o + 2 > outlen)
			goto bad;
		out[o++] = '.';
	}
	if (off + 1 != len)
		goto bad;		/* bytes after the root label */
	if (o == 0)
		out[o++] = '.';		/* the root */
	out[o] = '\0';
	return (int)o;
bad:
	if (outlen >= 2)
		snprintf(out, outlen, "?");
	else if (outlen == 1)
		out[0] = '\0';
	return -1;
}
