/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	fetchspawn - the fetcher's spawner, a process of the fetcher's user
 *
 * SYNOPSIS
 *	struct fetchspawn *fetchspawn_new(const struct fetchspawn_config *c,
 *	    char *err, size_t errlen);
 *	int fetchspawn_start(struct fetchspawn *z, pid_t *pid);
 *	int fetchspawn_kill(struct fetchspawn *z, pid_t pid, int wait_ms,
 *	    int *status);
 *	void fetchspawn_free(struct fetchspawn *z);
 *
 * DESCRIPTION
 *	stsfetch runs as its own user (sts_fetcher_user), which the daemon
 *	can no longer become once it has dropped root.  So while still root,
 *	fetchspawn_new() forks the spawner: it drops to that user (uid, gid,
 *	no supplementary groups), closes every descriptor but the program,
 *	the CA file and its socket to the daemon, and then only serves the
 *	daemon's requests, one at a time, over a SOCK_SEQPACKET socketpair:
 *
 *	  start    fork and fexecve() stsfetch with a new socketpair on its
 *	           standard input and output and the CA file as descriptor
 *	           3; reply with its pid and the daemon's end of the pair
 *	           (SCM_RIGHTS)
 *	  kill     wait up to wait_ms for that fetcher to exit, SIGKILL it,
 *	           reap it; reply with its wait status
 *
 *	Restarts need no privilege: the spawner already is the fetcher's
 *	user, and the fetcher is its child, so it may signal and reap it
 *	(the daemon, another user, may do neither).  Nothing stays root.
 *	The spawner exits when the daemon's end closes, after stopping its
 *	fetcher the same way; it ignores SIGTERM, SIGINT and SIGHUP (sent
 *	to every process of the service at a stop), so that the daemon's
 *	own stop can still go through it.  c->pw NULL: no change of user (the daemon
 *	does not run as root).
 *
 *	fetchspawn_start() returns the daemon's end of the fetcher's socket
 *	(close-on-exec) and sets *pid, or -1.  fetchspawn_kill() returns 0
 *	and the status, or -1 (no status).  Each waits at most a few seconds
 *	for the reply; a spawner that died makes them fail, logged.
 */
#ifndef TLSPOL_FETCHSPAWN_H
#define TLSPOL_FETCHSPAWN_H

#include <pwd.h>
#include <stddef.h>
#include <sys/types.h>

struct fetchspawn_config {
	const char *path;		/* for log lines and argv[0] */
	int exec_fd;			/* the program, for fexecve() */
	int ca_fd;			/* its CA file, or -1 */
	long workers;			/* its -w */
	const struct passwd *pw;	/* the fetcher's user, or NULL */
};

struct fetchspawn;

struct fetchspawn *fetchspawn_new(const struct fetchspawn_config *c,
    char *err, size_t errlen);
int fetchspawn_start(struct fetchspawn *z, pid_t *pid);
int fetchspawn_kill(struct fetchspawn *z, pid_t pid, int wait_ms,
    int *status);
void fetchspawn_free(struct fetchspawn *z);

#endif
