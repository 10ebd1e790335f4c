/* SPDX-License-Identifier: MIT */
/*
 * netstring - netstring framing, pure functions over buffers
 *
 * SYNOPSIS
 *	enum ns_status netstring_decode(const char *buf, size_t len,
 *	    size_t maxlen, const char **payload, size_t *plen, size_t *used);
 *	size_t netstring_encode(char *out, size_t cap,
 *	    const char *payload, size_t plen);
 *
 * DESCRIPTION
 *	A netstring is "<decimal length>:<payload>,".
 *
 *	netstring_decode() looks at the start of buf.  NS_OK: a whole
 *	netstring is there; *payload points into buf (not NUL-terminated),
 *	*plen is its length and *used the number of bytes it took.
 *	NS_INCOMPLETE: more bytes are needed.  NS_ERR_FORMAT: not a
 *	netstring (non-digit in the length, leading zero, empty length,
 *	missing ':' or ','); NS_ERR_SIZE: the announced length exceeds
 *	maxlen.  After an error the stream cannot be resynchronised: the
 *	caller closes the connection.  The length field is checked as it
 *	arrives, so an oversized or malformed length is refused before its
 *	payload is read.
 *
 *	netstring_encode() writes the netstring into out and returns the
 *	number of bytes written, or 0 when cap is too small (plen + 22 is
 *	always enough).  Nothing else is written in that case.
 *
 * SEE ALSO
 *	D. J. Bernstein, netstrings; Postfix socketmap_table(5).
 */
#ifndef TLSPOL_NETSTRING_H
#define TLSPOL_NETSTRING_H

#include <stddef.h>

enum ns_status {
	NS_OK,
	NS_INCOMPLETE,
	NS_ERR_FORMAT,
	NS_ERR_SIZE
};

enum ns_status netstring_decode(const char *buf, size_t len, size_t maxlen,
    const char **payload, size_t *plen, size_t *used);
size_t netstring_encode(char *out, size_t cap, const char *payload,
    size_t plen);
const char *netstring_strerror(enum ns_status st);

#endif
