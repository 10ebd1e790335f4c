/*
 * control - the admin control socket (tlsmap talks to it)
 *
 * SYNOPSIS
 *	struct control *control_new(struct loop *l, int listen_fd);
 *	void control_register(struct control *c, const char *cmd,
 *	    control_fn fn, void *arg);
 *	void ctl_printf(struct ctl_req *r, const char *fmt, ...);
 *	void ctl_end(struct ctl_req *r, int ok);
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
 *	Access is limited by the socket's owner, group and mode (root and the
 *	control_group); every command is logged with the peer's uid.
 */
#ifndef TLSPOL_CONTROL_H
#define TLSPOL_CONTROL_H

#include "loop.h"

#define CTL_MAX_LINE	1024
#define CTL_MAX_ARGS	8

struct control;
struct ctl_req;

typedef void (*control_fn)(struct ctl_req *r, int argc, char **argv, void *arg);

struct control *control_new(struct loop *l, int listen_fd);
void control_register(struct control *c, const char *cmd, control_fn fn,
    void *arg);
void ctl_printf(struct ctl_req *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ctl_end(struct ctl_req *r, int ok);
void control_free(struct control *c);

#endif
