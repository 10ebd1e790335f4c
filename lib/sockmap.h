/* SPDX-License-Identifier: MIT */
/*
 * sockmap - Postfix socketmap request and reply payloads, pure
 *
 * SYNOPSIS
 *	int sockmap_parse_request(const char *p, size_t len,
 *	    struct sockmap_req *req, const char **err);
 *	size_t sockmap_format_reply(char *out, size_t cap,
 *	    enum sockmap_status st, const char *text);
 *
 * DESCRIPTION
 *	A request payload is "NAME SP KEY", split at the first space.
 *	sockmap_parse_request() fills req with pointers into p and returns
 *	0, or returns -1 with *err set when the payload has no space, an
 *	empty name, or a NUL, CR or LF byte.  KEY may be empty (key_len 0):
 *	like any Postfix table, the server then answers "not found".
 *
 *	sockmap_format_reply() writes a whole reply netstring to out and
 *	returns its length, or 0 when cap is too small.  The payload is
 *	"OK text", "NOTFOUND ", "TEMP text", "TIMEOUT text" or "PERM text",
 *	the forms Postfix's dict_sockmap.c accepts.  For OK the text must be
 *	non-empty (a bare "OK" means not found to Postfix 3.7); an empty OK
 *	text is turned into "TEMP empty policy value".  For the error forms,
 *	the text is made printable ASCII and cut to SOCKMAP_REASON_MAX bytes,
 *	the part Postfix logs.
 */
#ifndef TLSPOL_SOCKMAP_H
#define TLSPOL_SOCKMAP_H

#include <stddef.h>

#define SOCKMAP_MAX_REQUEST	10100	/* 10000-byte key + map name */
#define SOCKMAP_MAX_REPLY	100000	/* Postfix 3.7 hard limit */
#define SOCKMAP_REASON_MAX	200

enum sockmap_status {
	SM_OK,
	SM_NOTFOUND,
	SM_TEMP,
	SM_TIMEOUT,
	SM_PERM
};

struct sockmap_req {
	const char *name;
	size_t name_len;
	const char *key;
	size_t key_len;
};

int sockmap_parse_request(const char *p, size_t len, struct sockmap_req *req,
    const char **err);
size_t sockmap_format_reply(char *out, size_t cap, enum sockmap_status st,
    const char *text);
const char *sockmap_status_name(enum sockmap_status st);

#endif
