/* SPDX-License-Identifier: MIT */
/*
 * control - the admin control socket (tlsmap talks to it)
 *
 * SYNOPSIS
 *	struct control *control_new(struct loop *l, int listen_fd,
 *	    gid_t group);
 *	void control_register(struct control *c, const char *cmd,
 *	    control_fn fn, void *arg);
 *	void ctl_printf(struct ctl_req *r, const char *fmt, ...);
 *	void ctl_end(struct ctl_req *r, int ok);
 *	uid_t ctl_peer_uid(const struct ctl_req *r);
 *	void control_free(struct control *c);
 *
 * DESCRIPTION
 *	A client sends one command line (at most CTL_MAX_LINE bytes, LF
 *	terminated): a word and optional arguments separated by spaces.
 *	The reply is "ok\n" or "error\n", then the body, then the server
 *	closes the connection.  Handlers write the body with ctl_printf() and
 *	finish with ctl_end(); they may finish later, from the event loop
 *	(a handler that needs DNS).  If the client goes away first, the
 *	request stays valid until ctl_end() and its output is dropped.
 *
 *	Only root and members of group (control_group; (gid_t)-1 for none),
 *	by the peer's primary or supplementary groups, may send commands.
 *	The socket's owner, group and mode say the same, but the daemon does
 *	not rely on them: it checks the peer's credentials (SO_PEERCRED,
 *	SO_PEERGROUPS) for every command, refuses others with "error" and
 *	a log line, and logs every command with the peer's uid.
 *	ctl_peer_uid() is the uid of the client of r, for handlers that
 *	allow root only.
 */
#ifndef TLSPOL_CONTROL_H
#define TLSPOL_CONTROL_H

#include <sys/types.h>

#include "loop.h"

#define CTL_MAX_LINE	1024
#define CTL_MAX_ARGS	8

struct control;
struct ctl_req;

typedef void (*control_fn)(struct ctl_req *r, int argc, char **argv, void *arg);

struct control *control_new(struct loop *l, int listen_fd, gid_t group);
void control_register(struct control *c, const char *cmd, control_fn fn,
    void *arg);
void ctl_printf(struct ctl_req *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ctl_end(struct ctl_req *r, int ok);
uid_t ctl_peer_uid(const struct ctl_req *r);
void control_free(struct control *c);

#endif
