/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	sandbox - the fetcher's confinement: Landlock and seccomp
 *
 * SYNOPSIS
 *	int sandbox_enter(char *err, size_t errlen);
 *
 * DESCRIPTION
 *	sandbox_enter() confines the calling process for good, in two
 *	layers, once the trust store is loaded:
 *
 *	Landlock (when the kernel has it): read-only access to the
 *	resolver's files (/etc/resolv.conf, hosts, nsswitch.conf, host.conf,
 *	gai.conf) and the library directories (NSS modules); nothing else
 *	may even be read (the configuration, the override table, the
 *	store), and nothing anywhere written, created, removed or executed.
 *	Without Landlock a warning is logged and the user's permissions
 *	alone confine files.
 *
 *	seccomp: no_new_privs and an allow-list of the system calls a fetch
 *	needs: threads and memory (never writable and executable at once),
 *	poll, time, sockets of the Internet families and of routing netlink
 *	(getaddrinfo's address sorting), reading, writing and closing the
 *	descriptors already held, and opening files read-only.  Every other
 *	call fails with EPERM instead of running: opening for writing or
 *	creating, any name-space change (mkdir, unlink, rename, chmod,
 *	chown), AF_UNIX sockets, fork, exec, ptrace, kill of another
 *	process, setuid and the like.  EPERM, not a kill: a call missed
 *	here makes one fetch fail with a logged error, never a crash loop.
 *
 *	Call it from the main thread before any other thread exists (threads
 *	inherit both).  Returns 0, or -1 with the reason in err.
 */
#ifndef TLSPOL_SANDBOX_H
#define TLSPOL_SANDBOX_H

#include <stddef.h>

int sandbox_enter(char *err, size_t errlen);

#endif
