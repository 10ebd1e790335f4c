/* SPDX-License-Identifier: MIT */
/*
 * tlsrpt_sendmail - hand one report message to the local Postfix's
 * sendmail, watched by the event loop: the message goes down a
 * non-blocking pipe, the exit status is polled with waitpid(WNOHANG)
 * every SM_POLL_MS until the deadline, then SIGKILL.  The contract is in
 * tlsrpt_send.h (tlsrpt_sendmail_start()).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "tlsrpt_send.h"
#include "util.h"

#define SM_POLL_MS	100

struct sm {
	struct loop *loop;
	pid_t pid;
	int fd;				/* the child's stdin; -1 when closed */
	char *msg;
	size_t len, off;
	uint64_t deadline;
	struct loop_timer *timer;
	rpt_done_fn cb;
	void *arg;
};

static void
sm_close_pipe(struct sm *m)
{
	if (m->fd >= 0) {
		loop_del(m->loop, m->fd);
		close(m->fd);
		m->fd = -1;
	}
}

static void
sm_finish(struct sm *m, int ok, const char *detail)
{
	sm_close_pipe(m);
	m->cb(m->arg, ok, detail);
	free(m->msg);
	free(m);
}

static void
sm_write(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct sm *m = arg;

	(void)l;
	(void)ev;
	while (m->off < m->len) {
		ssize_t n = write(fd, m->msg + m->off, m->len - m->off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				sm_close_pipe(m);	/* the exit tells why */
			return;
		}
		m->off += (size_t)n;
	}
	sm_close_pipe(m);		/* end of message */
}

static void
sm_poll(struct loop *l, void *arg)
{
	struct sm *m = arg;
	char detail[64];
	int status;
	pid_t r = waitpid(m->pid, &status, WNOHANG);

	m->timer = NULL;
	if (r == 0 && loop_now(l) < m->deadline) {
		m->timer = loop_timer(l, SM_POLL_MS, sm_poll, m);
		return;
	}
	if (r == 0) {
		kill(m->pid, SIGKILL);
		waitpid(m->pid, &status, 0);
		sm_finish(m, 0, "sendmail timed out, killed");
		return;
	}
	if (r < 0)
		snprintf(detail, sizeof(detail), "waitpid: %s",
		    strerror(errno));
	else if (WIFEXITED(status))
		snprintf(detail, sizeof(detail), "sendmail exit status %d",
		    WEXITSTATUS(status));
	else
		snprintf(detail, sizeof(detail), "sendmail killed by signal %d",
		    WTERMSIG(status));
	sm_finish(m, r > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    detail);
}

/*
 * In the child: stdin from the pipe, stdout and stderr to /dev/null, no
 * other descriptor of the daemon (sockets, the store), and the signals
 * the daemon blocks or ignores back to normal.
 */
static void
sm_exec(int rfd, const char *path, const char *from, const char *rcpt)
{
	int null = open("/dev/null", O_RDWR);
	sigset_t none;

	if (dup2(rfd, 0) < 0 || null < 0 || dup2(null, 1) < 0
	    || dup2(null, 2) < 0)
		_exit(75);
	close_range(3, ~0U, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	execl(path, "sendmail", "-oi", "-f", from, "--", rcpt, (char *)NULL);
	_exit(75);
}

int
tlsrpt_sendmail_start(struct loop *l, const char *path, long timeout_ms,
    const char *from, const char *rcpt, const char *msg, size_t len,
    rpt_done_fn cb, void *arg)
{
	struct sm *m;
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		log_warn("tlsrpt: pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		log_warn("tlsrpt: fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0)
		sm_exec(p[0], path, from, rcpt);
	close(p[0]);
	fcntl(p[1], F_SETFL, fcntl(p[1], F_GETFL) | O_NONBLOCK);
	m = xcalloc(1, sizeof(*m));
	m->loop = l;
	m->pid = pid;
	m->fd = p[1];
	m->msg = xmalloc(len ? len : 1);
	memcpy(m->msg, msg, len);
	m->len = len;
	m->deadline = loop_now(l) + (uint64_t)timeout_ms;
	m->cb = cb;
	m->arg = arg;
	loop_add(l, m->fd, LOOP_OUT, sm_write, m);
	m->timer = loop_timer(l, SM_POLL_MS, sm_poll, m);
	return 0;
}
