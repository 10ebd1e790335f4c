/* SPDX-License-Identifier: MIT */
/*
 * listen - listening sockets for Postfix clients
 *
 * SYNOPSIS
 *	int listen_open(const char *spec, const char *mode, const char *group,
 *	    const char *owner, const char *qdir, char *err, size_t errlen);
 *	int listen_open_dgram(const char *spec, const char *mode,
 *	    const char *group, const char *owner, const char *qdir,
 *	    char *err, size_t errlen);
 *	int listen_accept(int lfd, const char *what);
 *	int log_rate_due(struct log_rate *r, unsigned long *n);
void listen_pause(struct listen_pause *p);
 *	void listen_pause_cancel(struct listen_pause *p);
 *	int log_rate_due(struct log_rate *r, unsigned long *n);
 *
 * DESCRIPTION
 *	spec is unix:/PATH, inet:IPV4:PORT or inet:[IPV6]:PORT (already
 *	checked by the configuration).  Returns a non-blocking, close-on-exec
 *	listening socket, or -1 with a message in err.
 *
 *	For unix sockets: a stale socket at PATH is replaced (any other kind
 *	of file is an error); the socket gets the octal mode and the group
 *	(empty: the process's group) and the owner (empty: unchanged); a
 *	missing parent directory is created with mode 0750 and the same
 *	group, so Postfix's user can reach the socket and nobody else.
 *	Nothing is changed through a path that could be swapped for a
 *	symbolic link meanwhile: the socket is created with its mode (the
 *	umask) and given away with lchown(), directories get theirs through
 *	a descriptor.
 *
 *	Postfix's smtp(8) and smtpd(8) run chrooted in the queue directory
 *	qdir on Debian and connect after the chroot, so an absolute PATH
 *	inside qdir would be looked up as qdir/PATH.  When PATH lies in a
 *	subdirectory of qdir, listen_open() therefore also makes
 *	qdir/dirname(PATH) a symbolic link to that subdirectory, with a
 *	relative target that resolves to the same place inside and outside
 *	the chroot.  The same main.cf line then works for chrooted daemons
 *	and for postmap(1) run from a shell.
 *
 *	listen_open_dgram() is listen_open() for an AF_UNIX SOCK_DGRAM
 *	socket (unix: only; the TLSRPT collector's): the same path, mode,
 *	owner and chroot link rules, no listen(), and SO_RCVBUF raised to
 *	LISTEN_DGRAM_RCVBUF.  listen_remove_stale() recognises both kinds.
 *
 *	listen_unlink() removes a unix socket at exit (nothing for inet).
 *	After the privilege drop it may lack the rights to; so
 *	listen_remove_stale(), run as root once the daemon stopped
 *	("tlspolicyd -x", the unit's ExecStopPost=), removes the unix
 *	socket at spec unless a process still listens there (then -1, with
 *	a log line), and the chroot link listen_open() made for it (only a
 *	link with the very target it makes).
 *
 *	listen_accept() accepts one connection, non-blocking and
 *	close-on-exec; -1 when there is none to take now (errors other than
 *	"try again" are logged, naming the service what).  It returns
 *	LISTEN_FULL when the process or the system is out of descriptors or
 *	memory (EMFILE, ENFILE, ENOBUFS, ENOMEM): the connection stays
 *	queued and the socket stays ready, so the caller must stop watching
 *	it for a while with listen_pause(), or the event loop would spin.
 *	These errors are logged at most once every LISTEN_LOG_INTERVAL
 *	seconds, with the number of failures since the previous line.
 *
 *	log_rate_due() counts one event of a kind that must not log a line
 *	each (refused or closed connections): it returns 1 when a line is
 *	due, at most once every LISTEN_LOG_INTERVAL seconds, with *n set to
 *	the events since the previous line (this one included), else 0.
 *	A struct log_rate starts zeroed.
 *
 *	listen_pause() stops watching p->lfd (p->loop and p->lfd set by the
 *	owner, the rest zero) for LISTEN_PAUSE_MS, then watches it again
 *	for input; listen_pause_cancel() cancels a pause in progress (before
 *	the owner frees p).
 */
#ifndef TLSPOL_LISTEN_H
#define TLSPOL_LISTEN_H

#include <stddef.h>
#include <time.h>

#include "loop.h"

#define LISTEN_FULL		(-2)
#define LISTEN_DGRAM_RCVBUF	(1024 * 1024)
#define LISTEN_PAUSE_MS		100
#define LISTEN_LOG_INTERVAL	10

struct log_rate {
	struct timespec last;		/* of the last line; 0: none yet */
	unsigned long n;		/* events since */
};

struct listen_pause {
	struct loop *loop;
	int lfd;
	struct loop_timer *timer;
};

int listen_open(const char *spec, const char *mode, const char *group,
    const char *owner, const char *qdir, char *err, size_t errlen);
void listen_unlink(const char *spec);
int listen_remove_stale(const char *spec, const char *qdir);
int listen_open_dgram(const char *spec, const char *mode, const char *group,
    const char *owner, const char *qdir, char *err, size_t errlen);
int listen_accept(int lfd, const char *what);
int log_rate_due(struct log_rate *r, unsigned long *n);
void listen_pause(struct listen_pause *p);
void listen_pause_cancel(struct listen_pause *p);
int listen_chroot_link(const char *path, const char *qdir, char *err,
    size_t errlen);

#endif
