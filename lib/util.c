/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static void
oom(size_t n)
{
	fprintf(stderr, "fatal: out of memory allocating %zu bytes\n", n);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		oom(n);
	return p;
}

void *
xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);
	if (p == NULL)
		oom(n * m);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (q == NULL)
		oom(n);
	return q;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

long
parse_long(const char *s, long min, long max)
{
	char *end;
	long v;

	if (*s == '\0' || *s == ' ' || *s == '+')
		return LONG_MIN;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		return LONG_MIN;
	return v;
}

long
parse_time(const char *s)
{
	char *end;
	long v, mult = 1;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno)
		return -1;
	if (*end != '\0') {
		switch (*end) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		case 'w': mult = 604800; break;
		default: return -1;
		}
		if (end[1] != '\0')
			return -1;
	}
	if (v > LONG_MAX / mult / 1000)	/* callers may scale to ms */
		return -1;
	return v * mult;
}

void
str_lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

void
errbuf_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int
become_user(const struct passwd *pw, char *err, size_t errlen)
{
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0
	    || setuid(pw->pw_uid) < 0) {
		errbuf_set(err, errlen, "cannot drop privileges to %s: %s",
		    pw->pw_name, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		errbuf_set(err, errlen, "privileges could be regained after "
		    "dropping them");
		return -1;
	}
	return 0;
}

/* The value of a hexadecimal digit (either case), or -1. */
int
hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
