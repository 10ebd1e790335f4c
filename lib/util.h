/* SPDX-License-Identifier: MIT */
/*
 * util - small helpers shared by every program
 *
 *	xmalloc(), xcalloc(), xrealloc(), xstrdup(), xstrndup():
 *	allocation succeeds or the program exits with a message (as
 *	Postfix's mymalloc()); callers never test for NULL.
 *	parse_time(): "30", "30s", "5m", "2h", "1d", "1w" into seconds;
 *	-1 when malformed or out of range.
 *	str_lower(): ASCII lower-case in place.
 *	errbuf_set(): format an error message into a caller's buffer of
 *	errlen bytes (nothing when errlen is 0), for the pure parsers.
 *	become_user(): as root, take pw's uid and gid for good, without
 *	supplementary groups, and check that root cannot be regained; 0,
 *	or -1 with the reason in err.
 */
#ifndef TLSPOL_UTIL_H
#define TLSPOL_UTIL_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
long parse_time(const char *s);
long parse_long(const char *s, long min, long max);
void str_lower(char *s);
int hex_digit(int c);
void errbuf_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
struct passwd;
int become_user(const struct passwd *pw, char *err, size_t errlen);

#endif
