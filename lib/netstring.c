/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "netstring.h"

/* The longest length field we accept: 20 digits covers any size_t. */
#define NS_MAX_DIGITS	20

enum ns_status
netstring_decode(const char *buf, size_t len, size_t maxlen,
    const char **payload, size_t *plen, size_t *used)
{
	size_t n = 0, i;

	for (i = 0; i < len && buf[i] != ':'; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return NS_ERR_FORMAT;
		if (i == 1 && buf[0] == '0')
			return NS_ERR_FORMAT;	/* leading zero */
		if (i >= NS_MAX_DIGITS)
			return NS_ERR_SIZE;
		n = n * 10 + (size_t)(buf[i] - '0');
		if (n > maxlen)
			return NS_ERR_SIZE;
	}
	if (i == len)
		return NS_INCOMPLETE;
	if (i == 0)
		return NS_ERR_FORMAT;	/* empty length */
	/* buf[i] == ':'; payload starts at i + 1, ',' at i + 1 + n. */
	if (len - i - 1 < n + 1)
		return NS_INCOMPLETE;
	if (buf[i + 1 + n] != ',')
		return NS_ERR_FORMAT;
	*payload = buf + i + 1;
	*plen = n;
	*used = i + 1 + n + 1;
	return NS_OK;
}

size_t
netstring_encode(char *out, size_t cap, const char *payload, size_t plen)
{
	char head[NS_MAX_DIGITS + 2];
	int hl = snprintf(head, sizeof(head), "%zu:", plen);

	if (hl < 0 || (size_t)hl + plen + 1 > cap)
		return 0;
	memcpy(out, head, (size_t)hl);
	if (plen)
		memcpy(out + hl, payload, plen);
	out[hl + plen] = ',';
	return (size_t)hl + plen + 1;
}

const char *
netstring_strerror(enum ns_status st)
{
	switch (st) {
	case NS_OK:
		return "ok";
	case NS_INCOMPLETE:
		return "incomplete netstring";
	case NS_ERR_FORMAT:
		return "malformed netstring";
	case NS_ERR_SIZE:
		return "netstring too long";
	}
	return "unknown netstring status";
}
