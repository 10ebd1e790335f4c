/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control.h"
#include "listen.h"
#include "log.h"
#include "util.h"

#define CTL_TIMEOUT_MS	30000
#define CTL_MAX_CMDS	16
#define CTL_MAX_GROUPS	1024	/* peer's supplementary groups looked at */

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS	59	/* Linux 4.13 */
#endif

struct ctl_cmd {
	const char *name;
	control_fn fn;
	void *arg;
};

struct ctl_req {
	struct control *ctl;
	int fd;			/* -1 once the client is gone */
	char line[CTL_MAX_LINE + 1];
	size_t linelen;
	int dispatched;
	char *body;
	size_t bodylen, bodycap;
	int ok;
	int ended;
	size_t sent;
	char *head;
	struct loop_timer *timer;
	uid_t uid;		/* the peer's, (uid_t)-1 if unknown */
};

struct control {
	struct loop *loop;
	int lfd;
	struct listen_pause pause;	/* out of descriptors */
	struct ctl_cmd cmds[CTL_MAX_CMDS];
	int ncmds;
	gid_t group;		/* control_group, (gid_t)-1 for none */
};

static void req_io(struct loop *l, int fd, unsigned ev, void *arg);

static void
req_free(struct ctl_req *r)
{
	if (r->fd >= 0) {
		loop_del(r->ctl->loop, r->fd);
		close(r->fd);
	}
	loop_timer_cancel(r->ctl->loop, r->timer);
	free(r->body);
	free(r->head);
	free(r);
}

void
ctl_printf(struct ctl_req *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = r->bodycap - r->bodylen;
		va_start(ap, fmt);
		n = vsnprintf(r->body + r->bodylen, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < room) {
			r->bodylen += (size_t)n;
			return;
		}
		r->bodycap = r->bodycap * 2 + (size_t)n + 256;
		r->body = xrealloc(r->body, r->bodycap);
	}
}

/* Send what is left; free the request when all is sent or the peer is gone. */
static void
req_send(struct ctl_req *r)
{
	size_t hl = strlen(r->head);

	while (r->fd >= 0 && r->sent < hl + r->bodylen) {
		const char *p = r->sent < hl ? r->head + r->sent
		    : r->body + (r->sent - hl);
		size_t n = r->sent < hl ? hl - r->sent : hl + r->bodylen - r->sent;
		ssize_t w = write(r->fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				loop_mod(r->ctl->loop, r->fd, LOOP_OUT);
				return;
			}
			break;
		}
		r->sent += (size_t)w;
	}
	req_free(r);
}

void
ctl_end(struct ctl_req *r, int ok)
{
	r->ended = 1;
	r->ok = ok;
	r->head = xstrdup(ok ? "ok\n" : "error\n");
	if (r->fd < 0) {
		req_free(r);
		return;
	}
	req_send(r);
}

uid_t
ctl_peer_uid(const struct ctl_req *r)
{
	return r->uid;
}

/* Whether the peer on fd has group gid, as primary or supplementary. */
static int
peer_in_group(int fd, gid_t primary, gid_t gid)
{
	gid_t groups[CTL_MAX_GROUPS];
	socklen_t len = sizeof(groups);

	if (primary == gid)
		return 1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return 0;	/* e.g. more groups than we look at */
	for (size_t i = 0; i < len / sizeof(groups[0]); i++)
		if (groups[i] == gid)
			return 1;
	return 0;
}

/*
 * Root and control_group only, whatever the socket's mode: a peer whose
 * credentials cannot be read is refused.  Sets r->uid.
 */
static int
peer_allowed(struct ctl_req *r)
{
	struct ucred cred;
	socklen_t cl = sizeof(cred);

	r->uid = (uid_t)-1;
	if (getsockopt(r->fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0)
		return 0;
	r->uid = cred.uid;
	return cred.uid == 0 || (r->ctl->group != (gid_t)-1
	    && peer_in_group(r->fd, cred.gid, r->ctl->group));
}

static void
dispatch(struct ctl_req *r)
{
	char *argv[CTL_MAX_ARGS + 1], *save = NULL, *p;
	int argc = 0, allowed;
	char safe[CTL_MAX_LINE + 1];

	r->dispatched = 1;
	loop_mod(r->ctl->loop, r->fd, 0);
	allowed = peer_allowed(r);
	log_safe(r->line, strlen(r->line), safe, sizeof(safe));
	if (!allowed) {
		log_warn("control: uid=%ld command=\"%s\" refused: not root "
		    "and not in control_group", r->uid == (uid_t)-1 ? -1L
		    : (long)r->uid, safe);
		ctl_printf(r, "permission denied\n");
		ctl_end(r, 0);
		return;
	}
	log_notice("control: uid=%ld command=\"%s\"", (long)r->uid, safe);
	for (p = strtok_r(r->line, " \t", &save); p && argc < CTL_MAX_ARGS;
	    p = strtok_r(NULL, " \t", &save))
		argv[argc++] = p;
	argv[argc] = NULL;
	if (argc == 0) {
		ctl_printf(r, "empty command\n");
		ctl_end(r, 0);
		return;
	}
	for (int i = 0; i < r->ctl->ncmds; i++) {
		if (strcmp(argv[0], r->ctl->cmds[i].name) == 0) {
			r->ctl->cmds[i].fn(r, argc, argv, r->ctl->cmds[i].arg);
			return;
		}
	}
	ctl_printf(r, "unknown command \"%s\"\n", safe);
	ctl_end(r, 0);
}

static void
req_timeout(struct loop *l, void *arg)
{
	struct ctl_req *r = arg;

	(void)l;
	r->timer = NULL;
	if (!r->dispatched) {
		log_warn("control: client sent no command in time");
		req_free(r);
	}
}

static void
req_io(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct ctl_req *r = arg;
	ssize_t n;
	char *nl;

	(void)l;
	if (r->ended) {
		if (ev & (LOOP_OUT | LOOP_ERR))
			req_send(r);
		return;
	}
	if (r->dispatched) {
		/* The client hung up while a handler works: drop its output. */
		loop_del(r->ctl->loop, fd);
		close(fd);
		r->fd = -1;
		return;
	}
	n = read(fd, r->line + r->linelen, CTL_MAX_LINE - r->linelen);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		req_free(r);
		return;
	}
	r->linelen += (size_t)n;
	r->line[r->linelen] = '\0';
	if ((nl = memchr(r->line, '\n', r->linelen)) != NULL) {
		*nl = '\0';
		if (nl > r->line && nl[-1] == '\r')
			nl[-1] = '\0';
		dispatch(r);
	} else if (r->linelen == CTL_MAX_LINE) {
		log_warn("control: command line too long");
		req_free(r);
	}
}

static void
ctl_accept(struct loop *l, int lfd, unsigned ev, void *arg)
{
	struct control *c = arg;

	(void)ev;
	for (int i = 0; i < 16; i++) {
		int fd = listen_accept(lfd, "control");
		struct ctl_req *r;

		if (fd == LISTEN_FULL)
			listen_pause(&c->pause);
		if (fd < 0)
			return;
		r = xcalloc(1, sizeof(*r));
		r->ctl = c;
		r->fd = fd;
		r->bodycap = 1024;
		r->body = xmalloc(r->bodycap);
		if (loop_add(l, fd, LOOP_IN, req_io, r) < 0) {
			close(fd);
			free(r->body);
			free(r);
			continue;
		}
		r->timer = loop_timer(l, CTL_TIMEOUT_MS, req_timeout, r);
	}
}

struct control *
control_new(struct loop *l, int lfd, gid_t group)
{
	struct control *c = xcalloc(1, sizeof(*c));

	c->loop = l;
	c->lfd = lfd;
	c->pause.loop = l;
	c->pause.lfd = lfd;
	c->group = group;
	if (loop_add(l, lfd, LOOP_IN, ctl_accept, c) < 0) {
		free(c);
		return NULL;
	}
	return c;
}

void
control_register(struct control *c, const char *cmd, control_fn fn, void *arg)
{
	if (c->ncmds == CTL_MAX_CMDS) {
		log_err("bug: too many control commands");
		abort();
	}
	c->cmds[c->ncmds].name = cmd;
	c->cmds[c->ncmds].fn = fn;
	c->cmds[c->ncmds].arg = arg;
	c->ncmds++;
}

void
control_free(struct control *c)
{
	if (c == NULL)
		return;
	listen_pause_cancel(&c->pause);
	loop_del(c->loop, c->lfd);
	close(c->lfd);
	free(c);
}
