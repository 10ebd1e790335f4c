/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fetchctl.h"
#include "fetchipc.h"
#include "fetchspawn.h"
#include "log.h"
#include "util.h"

#define BACKOFF_MIN_MS	1000
#define BACKOFF_MAX_MS	60000
#define STABLE_MS	60000

struct freq {
	struct freq *next;
	int id;
	char *domain;
	fetch_cb cb;
	void *arg;
	uint64_t deadline;
};

struct fetchctl {
	struct loop *loop;
	char *path;
	struct fetchspawn *spawn;
	pid_t pid;
	int fd;
	uint64_t started;
	uint64_t backoff;
	struct loop_timer *restart_timer;
	struct loop_timer *deadline_timer;
	struct loop_timer *lost_timer;	/* a write failed: lose it from the loop */
	char lost_why[128];
	char *in;
	size_t inlen, incap;
	char *out;
	size_t outlen, outoff, outcap;
	struct freq *reqs;
	int next_id;
	struct fetchctl_stat st;
};

static void fetchctl_start(struct fetchctl *f);
static void fetchctl_io(struct loop *l, int fd, unsigned ev, void *arg);

static void
fail_req(struct fetchctl *f, struct freq *r, const char *why)
{
	struct fetch_result res = { 0 };

	res.ok = 0;
	res.domain = r->domain;
	res.error = "fetcher-unavailable";
	res.detail = why;
	f->st.failures++;
	if (r->cb)
		r->cb(r->arg, &res);
	free(r->domain);
	free(r);
}

/* Unlink the request with this id; NULL when unknown. */
static struct freq *
take_req(struct fetchctl *f, int id)
{
	for (struct freq **pp = &f->reqs; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == id) {
			struct freq *r = *pp;
			*pp = r->next;
			f->st.inflight--;
			return r;
		}
	}
	return NULL;
}

static void
restart_cb(struct loop *l, void *arg)
{
	struct fetchctl *f = arg;

	(void)l;
	f->restart_timer = NULL;
	fetchctl_start(f);
}

/* The child is gone or misbehaving: reap it, fail its requests, restart. */
static void
fetchctl_lost(struct fetchctl *f, const char *why)
{
	struct freq *r;
	int status;

	loop_timer_cancel(f->loop, f->lost_timer);
	f->lost_timer = NULL;
	if (f->fd >= 0) {
		loop_del(f->loop, f->fd);
		close(f->fd);
		f->fd = -1;
	}
	if (f->pid > 0) {
		if (fetchspawn_kill(f->spawn, f->pid, 0, &status) == 0) {
			if (WIFSIGNALED(status))
				log_warn("stsfetch (pid %d) died on signal %d: %s",
				    (int)f->pid, WTERMSIG(status), why);
			else
				log_warn("stsfetch (pid %d) exited with status %d: %s",
				    (int)f->pid, WEXITSTATUS(status), why);
		}
		f->pid = 0;
	}
	f->inlen = f->outlen = f->outoff = 0;
	while ((r = f->reqs) != NULL) {
		f->reqs = r->next;
		f->st.inflight--;
		fail_req(f, r, why);
	}
	if (loop_now(f->loop) - f->started >= STABLE_MS)
		f->backoff = BACKOFF_MIN_MS;
	log_notice("restarting stsfetch in %llu ms",
	    (unsigned long long)f->backoff);
	f->restart_timer = loop_timer(f->loop, f->backoff, restart_cb, f);
	f->backoff = f->backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
	    : f->backoff * 2;
}

static void
handle_line(struct fetchctl *f, const char *line, size_t len)
{
	struct fetchipc_reply rep;
	struct fetch_result res;
	struct freq *r;
	char why[200];

	if (fetchipc_reply_decode(line, len, &rep, why, sizeof(why)) < 0) {
		log_warn("stsfetch: %s", why);
		return;
	}
	if (rep.id < 0) {
		log_warn("stsfetch: reply without id or ok");
		fetchipc_reply_clear(&rep);
		return;
	}
	if ((r = take_req(f, (int)rep.id)) == NULL) {
		log_debug("stsfetch: reply for unknown or cancelled id %lld",
		    rep.id);
		fetchipc_reply_clear(&rep);
		return;
	}
	memset(&res, 0, sizeof(res));
	res.domain = r->domain;
	res.ok = rep.ok;
	res.policy = rep.policy;
	res.fetched_at = rep.fetched_at;
	res.status = rep.status;
	res.error = rep.error;
	res.detail = rep.detail;
	f->st.replies++;
	if (r->cb)
		r->cb(r->arg, &res);
	free(r->domain);
	free(r);
	fetchipc_reply_clear(&rep);
}

static void
read_lines(struct fetchctl *f)
{
	for (;;) {
		ssize_t n;
		char *nl;
		size_t off = 0;

		if (f->incap - f->inlen < 4096) {
			f->incap = f->incap ? f->incap * 2 : 8192;
			f->in = xrealloc(f->in, f->incap);
		}
		n = read(f->fd, f->in + f->inlen, f->incap - f->inlen);
		if (n == 0) {
			fetchctl_lost(f, "end of file on its socket");
			return;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				fetchctl_lost(f, strerror(errno));
			return;
		}
		f->inlen += (size_t)n;
		while ((nl = memchr(f->in + off, '\n', f->inlen - off)) != NULL) {
			size_t ll = (size_t)(nl - (f->in + off));
			if (ll > 0)
				handle_line(f, f->in + off, ll);
			if (f->fd < 0)
				return;	/* a callback lost the fetcher */
			off += ll + 1;
		}
		memmove(f->in, f->in + off, f->inlen - off);
		f->inlen -= off;
		if (f->inlen > FETCH_MAX_LINE) {
			fetchctl_lost(f, "reply line too long");
			return;
		}
	}
}

static void
lost_cb(struct loop *l, void *arg)
{
	struct fetchctl *f = arg;

	(void)l;
	f->lost_timer = NULL;
	fetchctl_lost(f, f->lost_why);
}

/*
 * A write to the fetcher failed.  fetchctl_lost() runs the callbacks of
 * every pending request, so it must not run inside fetchctl_fetch(): its
 * caller would get a callback for a request it has not yet heard of, and
 * the request itself would be freed under it.  The loss happens on the
 * next turn of the loop instead (unless reading finds the EOF first);
 * until then nothing more is written and fetchctl_fetch() refuses.
 */
static void
lose_later(struct fetchctl *f, const char *why)
{
	if (f->lost_timer != NULL)
		return;
	snprintf(f->lost_why, sizeof(f->lost_why), "%s", why);
	f->lost_timer = loop_timer(f->loop, 0, lost_cb, f);
}

static void
flush_out(struct fetchctl *f)
{
	while (f->outoff < f->outlen && f->lost_timer == NULL) {
		ssize_t n = write(f->fd, f->out + f->outoff, f->outlen - f->outoff);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				lose_later(f, strerror(errno));
			break;
		}
		f->outoff += (size_t)n;
	}
	if (f->lost_timer != NULL) {
		loop_mod(f->loop, f->fd, LOOP_IN);
		return;
	}
	if (f->outoff == f->outlen)
		f->outoff = f->outlen = 0;
	loop_mod(f->loop, f->fd, LOOP_IN | (f->outlen ? LOOP_OUT : 0));
}

static void
fetchctl_io(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct fetchctl *f = arg;

	(void)l;
	(void)fd;
	if (ev & LOOP_OUT)
		flush_out(f);
	if (f->fd >= 0 && (ev & LOOP_IN))
		read_lines(f);
}

/* Fail requests the fetcher has sat on for too long. */
static void
deadline_cb(struct loop *l, void *arg)
{
	struct fetchctl *f = arg;
	uint64_t now = loop_now(l);

	f->deadline_timer = NULL;
	for (struct freq **pp = &f->reqs; *pp;) {
		struct freq *r = *pp;
		if (r->deadline <= now) {
			*pp = r->next;
			f->st.inflight--;
			log_warn("stsfetch did not answer for %s in time", r->domain);
			fail_req(f, r, "no reply in time");
		} else {
			pp = &r->next;
		}
	}
	f->deadline_timer = loop_timer(l, 1000, deadline_cb, f);
}

static void
fetchctl_start(struct fetchctl *f)
{
	pid_t pid;
	int fd = fetchspawn_start(f->spawn, &pid);

	if (fd < 0) {
		f->restart_timer = loop_timer(f->loop, f->backoff, restart_cb, f);
		return;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	f->fd = fd;
	f->pid = pid;
	f->started = loop_now(f->loop);
	f->st.pid = pid;
	if (f->st.requests || f->st.restarts || f->backoff > BACKOFF_MIN_MS)
		f->st.restarts++;
	loop_add(f->loop, f->fd, LOOP_IN, fetchctl_io, f);
	log_notice("started %s (pid %d)", f->path, (int)pid);
}

struct fetchctl *
fetchctl_new(struct loop *l, const char *path, struct fetchspawn *spawn)
{
	struct fetchctl *f = xcalloc(1, sizeof(*f));

	f->loop = l;
	f->path = xstrdup(path);
	f->spawn = spawn;
	f->fd = -1;
	f->backoff = BACKOFF_MIN_MS;
	f->next_id = 1;
	fetchctl_start(f);
	f->deadline_timer = loop_timer(l, 1000, deadline_cb, f);
	return f;
}

/* Queue one request line (freed here) under the next id; its id or -1. */
static int
send_request(struct fetchctl *f, char *line, const char *domain, fetch_cb cb,
    void *arg)
{
	struct freq *r;
	size_t ll;

	if (line == NULL)
		return -1;
	ll = strlen(line);
	if (f->outcap - f->outlen < ll + 1) {
		f->outcap = f->outlen + ll + 4096;
		f->out = xrealloc(f->out, f->outcap);
	}
	memcpy(f->out + f->outlen, line, ll);
	f->out[f->outlen + ll] = '\n';
	f->outlen += ll + 1;
	free(line);
	r = xcalloc(1, sizeof(*r));
	r->id = f->next_id++;
	if (f->next_id <= 0)
		f->next_id = 1;
	r->domain = xstrdup(domain);
	r->cb = cb;
	r->arg = arg;
	r->deadline = loop_now(f->loop) + FETCH_REPLY_DEADLINE_MS;
	r->next = f->reqs;
	f->reqs = r;
	f->st.inflight++;
	f->st.requests++;
	flush_out(f);		/* runs no callback: see lose_later() */
	return r->id;
}

int
fetchctl_fetch(struct fetchctl *f, const char *domain, const char *policy_id,
    int force, fetch_cb cb, void *arg)
{
	if (f->fd < 0 || f->lost_timer != NULL)
		return -1;
	return send_request(f, fetchipc_request_encode(f->next_id, domain,
	    policy_id, force), domain, cb, arg);
}

int
fetchctl_post(struct fetchctl *f, const char *url, const void *body,
    size_t len, fetch_cb cb, void *arg)
{
	if (f->fd < 0 || f->lost_timer != NULL)
		return -1;
	return send_request(f, fetchipc_post_encode(f->next_id, url, body,
	    len), url, cb, arg);
}

void
fetchctl_cancel(struct fetchctl *f, int id)
{
	for (struct freq *r = f->reqs; r; r = r->next)
		if (r->id == id)
			r->cb = NULL;	/* the reply will be dropped */
}

static int
port_fetch(void *impl, const char *domain, const char *policy_id, int force,
    fetch_cb cb, void *arg)
{
	return fetchctl_fetch(impl, domain, policy_id, force, cb, arg);
}

static void
port_cancel(void *impl, int id)
{
	fetchctl_cancel(impl, id);
}

void
fetchctl_port_of(struct fetchctl *f, struct fetch_port *p)
{
	p->fetch = port_fetch;
	p->cancel = port_cancel;
	p->impl = f;
}

void
fetchctl_status(const struct fetchctl *f, struct fetchctl_stat *st)
{
	*st = f->st;
	st->pid = f->pid;
}

void
fetchctl_free(struct fetchctl *f)
{
	struct freq *r;
	int status;

	if (f == NULL)
		return;
	if (f->fd >= 0) {
		loop_del(f->loop, f->fd);
		close(f->fd);	/* the fetcher exits at end of input */
	}
	if (f->pid > 0)		/* a second to exit, then SIGKILL */
		fetchspawn_kill(f->spawn, f->pid, 1000, &status);
	fetchspawn_free(f->spawn);
	while ((r = f->reqs) != NULL) {
		f->reqs = r->next;
		free(r->domain);
		free(r);
	}
	loop_timer_cancel(f->loop, f->restart_timer);
	loop_timer_cancel(f->loop, f->deadline_timer);
	loop_timer_cancel(f->loop, f->lost_timer);
	free(f->in);
	free(f->out);
	free(f->path);
	free(f);
}
