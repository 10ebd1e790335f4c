/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	netaddr - numeric IP address with an optional port
 *
 * SYNOPSIS
 *	#include "netaddr.h"
 *
 *	int netaddr_parse(const char *s, int defport,
 *	    struct sockaddr_storage *ss, socklen_t *len);
 *
 * DESCRIPTION
 *	netaddr_parse() reads "addr" (IPv4 or IPv6), "addr:port" (IPv4
 *	only: an IPv6 address has colons of its own), "[addr]" or
 *	"[addr]:port" (either family) into *ss and *len, with defport when
 *	no port is given.  Ports are 1 to 65535.  Names are not resolved.
 *	It returns 0, or -1 for anything else (*ss is then cleared).
 *
 *	One parser for the resolver addresses of the configuration check
 *	(params.c) and of the DNS client (dns.c), so that what the check
 *	accepts is what the client uses.
 */
#include "config.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "netaddr.h"
#include "util.h"

int
netaddr_parse(const char *s, int defport, struct sockaddr_storage *ss,
    socklen_t *len)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port = NULL, *end;
	long p = defport;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	*len = 0;
	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL)
			return -1;
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			return -1;
		s++;
	} else if ((end = strchr(s, ':')) != NULL && strchr(end + 1, ':') == NULL) {
		port = end + 1;		/* IPv4 addr:port */
	} else {
		end = s + strlen(s);	/* bare IPv4 or IPv6 */
	}
	if ((size_t)(end - s) >= sizeof(host) || end == s)
		return -1;
	memcpy(host, s, (size_t)(end - s));
	host[end - s] = '\0';
	if (port != NULL && (p = parse_long(port, 1, 65535)) == LONG_MIN)
		return -1;
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
		*len = sizeof(*sin);
		return 0;
	}
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
		*len = sizeof(*sin6);
		return 0;
	}
	memset(ss, 0, sizeof(*ss));
	return -1;
}
