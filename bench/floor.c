/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	floor - the least a socketmap server can do, as a benchmark floor
 *
 * SYNOPSIS
 *	floor [-p] [-r reply] unix:/path|inet:host:port
 *
 * DESCRIPTION
 *	One thread, one epoll loop, non-blocking sockets.  Every well-framed
 *	netstring request gets the same reply (default "OK encrypt"),
 *	without looking at the key; pipelined requests are answered in
 *	order, all replies for one read() go out in one write().  A framing
 *	error closes the connection.  With -p it speaks Postfix policy
 *	delegation instead: every request (lines ending in an empty line)
 *	gets "action=DUNNO\n\n" (or action=reply).  It is the ceiling of this machine for
 *	a socketmap server with the same load generator, so benchmark
 *	figures are given as ratios to it.
 *
 *	Runs in the foreground until SIGTERM or SIGINT.  A unix socket path
 *	is removed first and made mode 0666.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define BUFSZ	16384

struct fconn {
	int fd;
	size_t inlen;
	char in[BUFSZ];
	size_t outlen, outoff;
	char *out;
	size_t outcap;
};

static char reply[1024];
static size_t replylen;
static int policy;
static volatile sig_atomic_t stop;

static void
on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void
die(const char *msg)
{
	perror(msg);
	exit(1);
}

static void
usage(void)
{
	fprintf(stderr, "usage: floor [-p] [-r reply] unix:/path|inet:host:port\n");
	exit(2);
}

static int
open_listener(const char *spec)
{
	int fd;

	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un sun;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(spec + 5) >= sizeof(sun.sun_path))
			die("socket path too long");
		strcpy(sun.sun_path, spec + 5);
		unlink(sun.sun_path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
			die(spec);
		chmod(sun.sun_path, 0666);
	} else if (strncmp(spec, "inet:", 5) == 0) {
		char host[256];
		const char *port = strrchr(spec + 5, ':');
		struct addrinfo hints, *res;
		size_t hl;
		int on = 1;

		if (port == NULL || (hl = (size_t)(port - spec - 5)) >= sizeof(host))
			die("inet:host:port expected");
		memcpy(host, spec + 5, hl);
		host[hl] = '\0';
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
		if (getaddrinfo(host, port + 1, &hints, &res) != 0)
			die("numeric inet:host:port expected");
		fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket");
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (bind(fd, res->ai_addr, res->ai_addrlen) < 0)
			die(spec);
		freeaddrinfo(res);
	} else {
		fprintf(stderr, "floor: unix:/path or inet:host:port expected\n");
		exit(2);
	}
	if (listen(fd, SOMAXCONN) < 0)
		die("listen");
	return fd;
}

static void
fconn_free(struct fconn *c)
{
	close(c->fd);
	free(c->out);
	free(c);
}

static void
append_reply(struct fconn *c)
{
	if (c->outlen + replylen > c->outcap) {
		c->outcap = 2 * (c->outlen + replylen);
		if ((c->out = realloc(c->out, c->outcap)) == NULL)
			die("realloc");
	}
	memcpy(c->out + c->outlen, reply, replylen);
	c->outlen += replylen;
}

/* Policy requests end with an empty line; a full buffer is an error. */
static int
answer_policy(struct fconn *c)
{
	size_t pos = 0;
	char *end;

	while ((end = memmem(c->in + pos, c->inlen - pos, "\n\n", 2)) != NULL) {
		append_reply(c);
		pos = (size_t)(end - c->in) + 2;
	}
	if (pos == 0 && c->inlen == sizeof(c->in))
		return -1;
	memmove(c->in, c->in + pos, c->inlen - pos);
	c->inlen -= pos;
	return 0;
}

/*
 * Answer every complete request in the input buffer.  Returns -1 on a
 * framing error, else keeps an incomplete tail for the next read.
 */
static int
answer_all(struct fconn *c)
{
	size_t pos = 0;

	for (;;) {
		size_t i = pos, len = 0;

		while (i < c->inlen && c->in[i] >= '0' && c->in[i] <= '9' && i - pos < 6)
			len = len * 10 + (size_t)(c->in[i++] - '0');
		if (i == c->inlen)
			break;
		if (i == pos || c->in[i] != ':' || len + 1 > BUFSZ - (i - pos) - 1)
			return -1;
		if (c->inlen - i - 1 < len + 1)
			break;
		if (c->in[i + 1 + len] != ',')
			return -1;
		append_reply(c);
		pos = i + 2 + len;
	}
	memmove(c->in, c->in + pos, c->inlen - pos);
	c->inlen -= pos;
	return 0;
}

/* Write what is pending; returns 1 if some is left (wait for EPOLLOUT). */
static int
flush_out(struct fconn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);

		if (n < 0 && errno == EAGAIN)
			return 1;
		if (n < 0)
			return -1;
		c->outoff += (size_t)n;
	}
	c->outoff = c->outlen = 0;
	return 0;
}

static int
on_ready(int ep, struct fconn *c, uint32_t events)
{
	struct epoll_event ev;
	int pending;

	if (events & EPOLLIN) {
		ssize_t n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);

		if (n == 0 || (n < 0 && errno != EAGAIN))
			return -1;
		if (n > 0) {
			c->inlen += (size_t)n;
			if ((policy ? answer_policy(c) : answer_all(c)) < 0)
				return -1;
		}
	}
	if ((pending = flush_out(c)) < 0)
		return -1;
	ev.events = pending ? EPOLLOUT : EPOLLIN;
	ev.data.ptr = c;
	if ((pending || (events & EPOLLOUT))
	    && epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct epoll_event ev, evs[256];
	struct sigaction sa;
	const char *text = NULL;
	int ch, ep, lfd, n, i;

	while ((ch = getopt(argc, argv, "pr:")) != -1) {
		if (ch == 'p')
			policy = 1;
		else if (ch == 'r')
			text = optarg;
		else
			usage();
	}
	if (optind + 1 != argc)
		usage();
	if (policy)
		replylen = (size_t)snprintf(reply, sizeof(reply), "action=%s\n\n",
		    text ? text : "DUNNO");
	else
		replylen = (size_t)snprintf(reply, sizeof(reply), "%zu:%s,",
		    strlen(text ? text : "OK encrypt"), text ? text : "OK encrypt");
	if (replylen >= sizeof(reply))
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	lfd = open_listener(argv[optind]);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll_create1");
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
		die("epoll_ctl");
	while (!stop) {
		n = epoll_wait(ep, evs, 256, -1);
		for (i = 0; i < n; i++) {
			struct fconn *c = evs[i].data.ptr;
			int fd;

			if (c != NULL) {
				if (on_ready(ep, c, evs[i].events) < 0)
					fconn_free(c);
				continue;
			}
			while ((fd = accept4(lfd, NULL, NULL,
			    SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
				if ((c = calloc(1, sizeof(*c))) == NULL)
					die("calloc");
				c->fd = fd;
				ev.events = EPOLLIN;
				ev.data.ptr = c;
				if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
					die("epoll_ctl");
			}
		}
	}
	if (strncmp(argv[optind], "unix:", 5) == 0)
		unlink(argv[optind] + 5);
	return 0;
}
