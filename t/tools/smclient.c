/* SPDX-License-Identifier: MIT */
/*
 * smclient - raw socketmap client for tests
 *
 *	smclient [-t timeout_ms] [-n replies] unix:/PATH|inet:HOST:PORT BYTES...
 *
 *	Connects, writes each BYTES argument (C escapes \n \r \\ \xHH
 *	understood) with a short pause between arguments, then reads until
 *	the peer closes, n replies were read, or the timeout passes.  Prints
 *	every byte read on stdout, then "EOF" or "OPEN" on a line of its own
 *	to say whether the server closed the connection.  Exit 0, or 2 on a
 *	connection error.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static size_t
unescape(const char *in, char *out)
{
	size_t n = 0;

	while (*in) {
		if (*in == '\\' && in[1]) {
			in++;
			switch (*in) {
			case 'n': out[n++] = '\n'; in++; break;
			case 'r': out[n++] = '\r'; in++; break;
			case '0': out[n++] = '\0'; in++; break;
			case 'x': {
				char hex[3] = { in[1], in[1] ? in[2] : 0, 0 };
				out[n++] = (char)strtol(hex, NULL, 16);
				in += 3;
				break;
			}
			default: out[n++] = *in++; break;
			}
		} else {
			out[n++] = *in++;
		}
	}
	return n;
}

static int
count_netstrings(const char *buf, size_t len)
{
	size_t off = 0;
	int n = 0;

	while (off < len) {
		char *end;
		unsigned long l = strtoul(buf + off, &end, 10);
		if (end == buf + off || (size_t)(end - buf) >= len || *end != ':')
			break;
		off = (size_t)(end - buf) + 1 + l + 1;
		if (off > len)
			break;
		n++;
	}
	return n;
}

int
main(int argc, char **argv)
{
	int fd, ch, timeout = 2000, want = -1, closed = 0;
	char buf[200000];
	size_t have = 0;

	while ((ch = getopt(argc, argv, "t:n:")) != -1) {
		if (ch == 't')
			timeout = atoi(optarg);
		else if (ch == 'n')
			want = atoi(optarg);
		else
			return 2;
	}
	if (optind >= argc)
		return 2;
	if (strncmp(argv[optind], "unix:", 5) == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[optind] + 5);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			perror("connect");
			return 2;
		}
	} else {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		char *host = argv[optind] + 5, *colon = strrchr(host, ':');
		*colon = '\0';
		inet_pton(AF_INET, host, &sa.sin_addr);
		sa.sin_port = htons((uint16_t)atoi(colon + 1));
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			perror("connect");
			return 2;
		}
	}
	for (int i = optind + 1; i < argc; i++) {
		char out[200000];
		size_t n = unescape(argv[i], out);
		if (write(fd, out, n) != (ssize_t)n && errno != EPIPE)
			perror("write");
		usleep(20000);
	}
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t r;
		if (want >= 0 && count_netstrings(buf, have) >= want)
			break;
		if (poll(&p, 1, timeout) <= 0)
			break;
		r = read(fd, buf + have, sizeof(buf) - have);
		if (r <= 0) {
			closed = 1;
			break;
		}
		have += (size_t)r;
	}
	fwrite(buf, 1, have, stdout);
	printf("\n%s\n", closed ? "EOF" : "OPEN");
	return 0;
}
