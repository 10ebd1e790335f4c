/* SPDX-License-Identifier: MIT */
/*
 * fetchspawn - the fetcher's spawner, a process of the fetcher's user;
 * see fetchspawn.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fetchspawn.h"
#include "log.h"
#include "util.h"

#define REPLY_TIMEOUT_S	5	/* the daemon's wait for a reply */
#define KILL_WAIT_MAX_MS 2000	/* below REPLY_TIMEOUT_S */

enum { OP_START = 'S', OP_KILL = 'K' };

struct spawn_req {
	int op;
	pid_t pid;
	int wait_ms;
};

struct spawn_rep {
	int err;		/* errno, 0 = done */
	pid_t pid;
	int status;
};

struct fetchspawn {
	int fd;			/* the daemon's end */
	pid_t pid;		/* the spawner */
};

/* The spawner's side ------------------------------------------------ */

static int
cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Close every descriptor above 2 but the n in keep. */
static void
close_all_but(int *keep, size_t n)
{
	unsigned lo = 3;

	qsort(keep, n, sizeof(*keep), cmp_int);
	for (size_t i = 0; i < n; i++) {
		if (keep[i] < 3)
			continue;
		if ((unsigned)keep[i] > lo)
			close_range(lo, (unsigned)keep[i] - 1, 0);
		lo = (unsigned)keep[i] + 1;
	}
	close_range(lo, ~0U, 0);
}

/*
 * Signals that stop a whole service (systemd signals every process of
 * the unit; Ctrl-C the terminal's process group): the spawner ignores
 * them and leaves when the daemon's end closes, so that the daemon can
 * still stop its fetcher through it while stopping.
 */
static const int stop_signals[] = { SIGTERM, SIGINT, SIGHUP };

/* In the new child: become stsfetch on sock, the CA file on 3. */
static void
exec_fetcher(const struct fetchspawn_config *c, int sock)
{
	extern char **environ;
	char workers[24], *argv[6];
	sigset_t none;
	int i = 0, exec_fd = c->exec_fd, ca_fd = c->ca_fd;

	/* Out of the way of the descriptors 0, 1 and 3 set below. */
	if (exec_fd <= 3)
		exec_fd = fcntl(exec_fd, F_DUPFD_CLOEXEC, 4);
	if (ca_fd >= 0 && ca_fd < 3)
		ca_fd = fcntl(ca_fd, F_DUPFD_CLOEXEC, 4);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (size_t k = 0; k < sizeof(stop_signals) / sizeof(stop_signals[0]); k++)
		signal(stop_signals[k], SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	dup2(sock, 0);
	dup2(sock, 1);
	snprintf(workers, sizeof(workers), "%ld", c->workers);
	argv[i++] = (char *)c->path;
	argv[i++] = (char *)"-w";
	argv[i++] = workers;
	if (ca_fd >= 0 && dup2(ca_fd, 3) == 3
	    && fcntl(3, F_SETFD, 0) == 0) {	/* dup2 onto itself keeps CLOEXEC */
		argv[i++] = (char *)"-C";
		argv[i++] = (char *)"/dev/fd/3";
	}
	argv[i] = NULL;
	fexecve(exec_fd, argv, environ);
	fprintf(stderr, "tlspolicyd: cannot run %s: %s\n", c->path,
	    strerror(errno));
	_exit(127);
}

/* start: fork a fetcher; its socket's other end goes to the daemon. */
static void
serve_start(const struct fetchspawn_config *c, int fd, pid_t *current)
{
	struct spawn_rep rep = { 0, 0, 0 };
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &rep, sizeof(rep) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	int sv[2] = { -1, -1 };
	pid_t pid = -1;

	while (waitpid(-1, NULL, WNOHANG) > 0)
		;			/* fetchers the daemon gave up on */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0
	    || (pid = fork()) < 0) {
		rep.err = errno;
	} else if (pid == 0) {
		close(fd);
		exec_fetcher(c, sv[1]);
	} else {
		rep.pid = *current = pid;
		memset(cbuf, 0, sizeof(cbuf));
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &sv[0], sizeof(int));
	}
	if (sendmsg(fd, &m, MSG_NOSIGNAL) < 0)
		log_warn("fetcher spawner: reply: %s", strerror(errno));
	if (sv[0] >= 0) {
		close(sv[0]);
		close(sv[1]);
	}
}

/* Wait up to wait_ms for pid to exit, then SIGKILL it; its status. */
static int
stop_child(pid_t pid, int wait_ms, int *status)
{
	struct timespec slice = { 0, 10 * 1000000L };
	pid_t r;

	if (wait_ms > KILL_WAIT_MAX_MS)
		wait_ms = KILL_WAIT_MAX_MS;
	for (int waited = 0; (r = waitpid(pid, status, WNOHANG)) == 0
	    && waited < wait_ms; waited += 10)
		nanosleep(&slice, NULL);
	if (r == 0) {
		kill(pid, SIGKILL);
		r = waitpid(pid, status, 0);
	}
	return r == pid ? 0 : -1;
}

static void
serve_kill(int fd, const struct spawn_req *q, pid_t *current)
{
	struct spawn_rep rep = { 0, q->pid, 0 };

	if (q->pid <= 0 || stop_child(q->pid, q->wait_ms, &rep.status) < 0)
		rep.err = q->pid <= 0 ? EINVAL : errno;
	if (q->pid == *current)
		*current = 0;
	if (send(fd, &rep, sizeof(rep), MSG_NOSIGNAL) < 0)
		log_warn("fetcher spawner: reply: %s", strerror(errno));
}

/* The spawner's life: requests until the daemon's end closes. */
static void __attribute__((noreturn))
spawner_main(const struct fetchspawn_config *c, int fd)
{
	struct spawn_req q;
	pid_t current = 0;
	int status;

	for (size_t k = 0; k < sizeof(stop_signals) / sizeof(stop_signals[0]); k++)
		signal(stop_signals[k], SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	for (;;) {
		ssize_t n = recv(fd, &q, sizeof(q), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(q))
			break;
		if (q.op == OP_START)
			serve_start(c, fd, &current);
		else if (q.op == OP_KILL)
			serve_kill(fd, &q, &current);
	}
	if (current > 0)
		stop_child(current, 1000, &status);
	_exit(0);
}

/* The daemon's side ------------------------------------------------- */

struct fetchspawn *
fetchspawn_new(const struct fetchspawn_config *c, char *err, size_t errlen)
{
	struct timeval tv = { REPLY_TIMEOUT_S, 0 };
	struct fetchspawn *z;
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0
	    || (pid = fork()) < 0) {
		snprintf(err, errlen, "cannot start the fetcher spawner: %s",
		    strerror(errno));
		return NULL;
	}
	if (pid == 0) {
		int keep[] = { sv[1], c->exec_fd, c->ca_fd };

		close_all_but(keep, sizeof(keep) / sizeof(keep[0]));
		if (c->pw != NULL && become_user(c->pw, err, errlen) < 0) {
			log_err("fetcher spawner: %s", err);
			_exit(1);
		}
		spawner_main(c, sv[1]);
	}
	close(sv[1]);
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	z = xcalloc(1, sizeof(*z));
	z->fd = sv[0];
	z->pid = pid;
	return z;
}

/* Send a request and read its reply; the fetcher's socket into *fdp. */
static int
call(struct fetchspawn *z, const struct spawn_req *q, struct spawn_rep *rep,
    int *fdp)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { rep, sizeof(*rep) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	ssize_t n = -1;

	if (send(z->fd, q, sizeof(*q), MSG_NOSIGNAL) != (ssize_t)sizeof(*q))
		goto lost;
	while ((n = recvmsg(z->fd, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n != (ssize_t)sizeof(*rep))
		goto lost;
	cm = CMSG_FIRSTHDR(&m);
	if (cm != NULL && cm->cmsg_level == SOL_SOCKET
	    && cm->cmsg_type == SCM_RIGHTS && fdp != NULL)
		memcpy(fdp, CMSG_DATA(cm), sizeof(int));
	return 0;
lost:
	log_err("the fetcher spawner (pid %d) does not answer: %s", (int)z->pid,
	    n == 0 ? "it is gone" : strerror(errno));
	return -1;
}

int
fetchspawn_start(struct fetchspawn *z, pid_t *pid)
{
	struct spawn_req q = { OP_START, 0, 0 };
	struct spawn_rep rep;
	int fd = -1;

	if (call(z, &q, &rep, &fd) < 0)
		return -1;
	if (rep.err != 0 || fd < 0) {
		log_err("stsfetch: cannot start: %s", strerror(rep.err ? rep.err
		    : EPROTO));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*pid = rep.pid;
	return fd;
}

int
fetchspawn_kill(struct fetchspawn *z, pid_t pid, int wait_ms, int *status)
{
	struct spawn_req q = { OP_KILL, pid, wait_ms };
	struct spawn_rep rep;

	if (call(z, &q, &rep, NULL) < 0 || rep.err != 0)
		return -1;
	*status = rep.status;
	return 0;
}

void
fetchspawn_free(struct fetchspawn *z)
{
	int status;

	if (z == NULL)
		return;
	close(z->fd);		/* the spawner stops its fetcher and exits */
	waitpid(z->pid, &status, 0);
	free(z);
}
