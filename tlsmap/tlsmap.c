/*
 * tlsmap - administration of tlspolicyd, postmap style
 *
 *	tlsmap [-c config_file] -q KEY
 *		Ask the running daemon, through its socketmap, what it
 *		answers for KEY; print the value.  Exit status 0 found,
 *		1 not found, 2 or more for errors (as postmap -q).
 *
 *	See tlsmap(1).
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

#include "log.h"
#include "netstring.h"
#include "params.h"
#include "sockmap.h"
#include "util.h"

#define EXIT_FOUND	0
#define EXIT_NOTFOUND	1
#define EXIT_ERROR	2
#define QUERY_TIMEOUT_MS 30000

static void
usage(void)
{
	fprintf(stderr, "usage: tlsmap [-c config_file] [-m map_name] -q KEY\n");
	exit(EXIT_ERROR);
}

/* Connect to a listen specification: unix:/PATH or inet:HOST:PORT. */
static int
connect_spec(const char *spec)
{
	int fd;

	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un sa;
		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", spec + 5);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
	} else {
		struct sockaddr_storage ss;
		socklen_t sl;
		char host[64];
		const char *h = spec + 5, *colon;
		memset(&ss, 0, sizeof(ss));
		if (*h == '[') {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
			const char *close = strchr(h, ']');
			snprintf(host, sizeof(host), "%.*s", (int)(close - h - 1), h + 1);
			colon = close + 1;
			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons((uint16_t)atoi(colon + 1));
			inet_pton(AF_INET6, host, &s6->sin6_addr);
			sl = sizeof(*s6);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
			colon = strrchr(h, ':');
			snprintf(host, sizeof(host), "%.*s", (int)(colon - h), h);
			s4->sin_family = AF_INET;
			s4->sin_port = htons((uint16_t)atoi(colon + 1));
			inet_pton(AF_INET, host, &s4->sin_addr);
			sl = sizeof(*s4);
		}
		fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&ss, sl) == 0)
			return fd;
	}
	fprintf(stderr, "tlsmap: connect to %s: %s\n", spec, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

static int
query(const char *spec, const char *map, const char *key)
{
	char req[SOCKMAP_MAX_REQUEST + 64], payload[SOCKMAP_MAX_REQUEST];
	char *buf = xmalloc(SOCKMAP_MAX_REPLY + 64);
	const char *reply;
	size_t rl, used, have = 0, n;
	int fd, plen, rc = EXIT_ERROR;

	plen = snprintf(payload, sizeof(payload), "%s %s", map, key);
	if (plen < 0 || (size_t)plen >= sizeof(payload)) {
		fprintf(stderr, "tlsmap: key too long\n");
		return EXIT_ERROR;
	}
	n = netstring_encode(req, sizeof(req), payload, (size_t)plen);
	if ((fd = connect_spec(spec)) < 0)
		return EXIT_ERROR;
	if (write(fd, req, n) != (ssize_t)n) {
		fprintf(stderr, "tlsmap: write to %s: %s\n", spec, strerror(errno));
		goto out;
	}
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		enum ns_status st = netstring_decode(buf, have, SOCKMAP_MAX_REPLY,
		    &reply, &rl, &used);
		ssize_t r;
		if (st == NS_OK)
			break;
		if (st != NS_INCOMPLETE) {
			fprintf(stderr, "tlsmap: bad reply from %s: %s\n", spec,
			    netstring_strerror(st));
			goto out;
		}
		if (poll(&pfd, 1, QUERY_TIMEOUT_MS) <= 0) {
			fprintf(stderr, "tlsmap: no reply from %s\n", spec);
			goto out;
		}
		r = read(fd, buf + have, SOCKMAP_MAX_REPLY + 64 - have);
		if (r <= 0) {
			fprintf(stderr, "tlsmap: %s closed the connection\n", spec);
			goto out;
		}
		have += (size_t)r;
	}
	if (rl >= 3 && memcmp(reply, "OK ", 3) == 0) {
		printf("%.*s\n", (int)(rl - 3), reply + 3);
		rc = EXIT_FOUND;
	} else if (rl >= 8 && memcmp(reply, "NOTFOUND", 8) == 0) {
		rc = EXIT_NOTFOUND;
	} else {
		fprintf(stderr, "tlsmap: %s: %.*s\n", key, (int)rl, reply);
		rc = EXIT_ERROR;
	}
out:
	close(fd);
	free(buf);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *cf_path = DEF_CONFIG_FILE, *key = NULL, *map = "tlspolicy";
	struct config *cf;
	char err[512];
	int ch;

	log_init("tlsmap", 1, LOG_LVL_WARN);
	while ((ch = getopt(argc, argv, "c:m:q:h")) != -1) {
		switch (ch) {
		case 'c':
			cf_path = optarg;
			break;
		case 'm':
			map = optarg;
			break;
		case 'q':
			key = optarg;
			break;
		default:
			usage();
		}
	}
	if (key == NULL || optind != argc)
		usage();
	cf = params_load(cf_path, strcmp(cf_path, DEF_CONFIG_FILE) != 0, err,
	    sizeof(err));
	if (cf == NULL) {
		fprintf(stderr, "tlsmap: %s\n", err);
		return EXIT_ERROR;
	}
	return query(config_get(cf, "socketmap_listen"), map, key);
}
