/*
 * NAME
 *	sandbox - the fetcher's system call allow-list (seccomp)
 *
 * SYNOPSIS
 *	int sandbox_enter(char *err, size_t errlen);
 *
 * DESCRIPTION
 *	sandbox_enter() sets no_new_privs and loads a seccomp filter that
 *	allows only the system calls a fetch needs once the trust store is
 *	loaded: threads and memory (never writable and executable at once),
 *	poll, time, sockets of the Internet families and of routing netlink
 *	(getaddrinfo's address sorting), reading, writing and closing the
 *	descriptors already held, and opening files read-only (the
 *	resolver's /etc/resolv.conf, /etc/hosts).  Every other call
 *	fails with EPERM instead of running: opening for writing or
 *	creating, any name-space change (mkdir, unlink, rename, chmod,
 *	chown), AF_UNIX sockets, exec, ptrace, kill of another process,
 *	setuid and the like.  EPERM, not a kill: a call missed here makes
 *	one fetch fail with a logged error, never a crash loop.
 *
 *	Call it from the main thread before any other thread exists (threads
 *	inherit the filter).  Returns 0, or -1 with the reason in err.
 */
#ifndef TLSPOL_SANDBOX_H
#define TLSPOL_SANDBOX_H

#include <stddef.h>

int sandbox_enter(char *err, size_t errlen);

#endif
