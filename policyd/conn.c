/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "listen.h"
#include "log.h"
#include "util.h"

#define ACCEPT_BURST	64	/* accepts a wake-up: others get a turn */

struct conn_srv {
	struct loop *loop;
	const struct conn_proto *proto;
	void *arg;
	int lfd;
	struct listen_pause pause;	/* out of descriptors */
	long max_conns, nconns, idle_ms, request_ms;
	unsigned long next_id;
	struct conn *conns;		/* most recently active first */
	struct conn *last;		/* quiet longest: evicted first */
	struct log_rate evicted, slow, stalled;
};

static void
list_unlink(struct conn_srv *s, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		s->last = c->prev;
	c->prev = c->next = NULL;
}

static void
list_push(struct conn_srv *s, struct conn *c)
{
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	else
		s->last = c;
	s->conns = c;
}

/* One warning an interval for each kind of forced close. */
static void
log_forced(struct conn_srv *s, enum conn_why why)
{
	unsigned long n;

	switch (why) {
	case CONN_EVICT:
		if (log_rate_due(&s->evicted, &n))
			log_warn("%s connection limit %ld reached; closed the "
			    "longest-idle connection to admit a new one (%lu "
			    "since the last message)", s->proto->name,
			    s->max_conns, n);
		break;
	case CONN_SLOW:
		if (log_rate_due(&s->slow, &n))
			log_warn("%s: closed a connection whose request was not "
			    "complete within request_timeout (%ld ms) (%lu "
			    "since the last message)", s->proto->name,
			    s->request_ms, n);
		break;
	case CONN_STALL:
		if (log_rate_due(&s->stalled, &n))
			log_warn("%s: closed a connection that did not read its "
			    "replies within request_timeout (%ld ms) (%lu since "
			    "the last message)", s->proto->name, s->request_ms, n);
		break;
	default:
		break;
	}
}

static void
close_why(struct conn *c, enum conn_why why, int err)
{
	struct conn_srv *s = c->srv;

	log_forced(s, why);
	s->proto->closed(c, why, err);
	loop_del(s->loop, c->fd);
	close(c->fd);
	loop_timer_cancel(s->loop, c->timer);
	list_unlink(s, c);
	s->nconns--;
	free(c->out);
	free(c);
}

const char *
conn_why_str(enum conn_why why)
{
	switch (why) {
	case CONN_DONE:		return "done";
	case CONN_EOF:		return "end of file";
	case CONN_WRITE:	return "write error";
	case CONN_FULL:		return "request too large";
	case CONN_IDLE:		return "idle";
	case CONN_SLOW:		return "request not complete within request_timeout";
	case CONN_STALL:	return "replies not read within request_timeout";
	case CONN_EVICT:	return "longest idle at the connection limit";
	}
	return "?";
}

void
conn_close(struct conn *c)
{
	close_why(c, CONN_DONE, 0);
}

/*
 * Room for n more bytes at out + outlen.  Sent bytes are dropped only
 * when they are in the way, so a connection that keeps up never copies.
 */
void
conn_reserve(struct conn *c, size_t n)
{
	if (c->outoff > 0 && c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	if (c->outlen + n <= c->outcap)
		return;
	if (c->outoff > 0) {
		memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
		c->outlen -= c->outoff;
		c->outoff = 0;
		if (c->outlen + n <= c->outcap)
			return;
	}
	c->outcap = c->outlen + n + 4096;
	c->out = xrealloc(c->out, c->outcap);
}

void
conn_consume(struct conn *c, size_t n)
{
	if (n == 0)
		return;
	memmove(c->in, c->in + n, c->inlen - n);
	c->inlen -= n;
	c->req_start = loop_now(c->srv->loop);	/* what is left begins now */
}

/* Restart the idle clock; the connection moves last in eviction order. */
void
conn_touch(struct conn *c)
{
	struct conn_srv *s = c->srv;

	c->last_active = loop_now(s->loop);
	if (s->conns != c) {
		list_unlink(s, c);
		list_push(s, c);
	}
}

/* Write what we can; returns -1 when the connection was closed. */
int
conn_flush(struct conn *c)
{
	const struct conn_proto *p = c->srv->proto;
	size_t before = c->outoff;

	while (c->outoff < c->outlen) {
		ssize_t n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			close_why(c, CONN_WRITE, errno);
			return -1;
		}
		c->outoff += (size_t)n;
	}
	if (c->outoff > before || c->out_since == 0)
		c->out_since = loop_now(c->srv->loop);
	if (c->outoff == c->outlen) {
		c->outoff = c->outlen = 0;
		c->out_since = 0;
		if (c->closing) {
			conn_close(c);
			return -1;
		}
	}
	loop_mod(c->srv->loop, c->fd,
	    (c->outlen > c->outoff ? LOOP_OUT : 0)
	    | ((c->outlen - c->outoff < p->out_high && c->held < p->max_held
	       && !c->closing) ? LOOP_IN : 0));
	return 0;
}

static void
conn_read(struct conn *c)
{
	size_t room = c->srv->proto->insize - c->inlen;
	ssize_t n;

	if (room == 0) {
		/* The protocol's parser refuses a request this long. */
		close_why(c, CONN_FULL, 0);
		return;
	}
	if (c->inlen == 0)
		c->req_start = loop_now(c->srv->loop);
	n = read(c->fd, c->in + c->inlen, room);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		close_why(c, CONN_EOF, n < 0 ? errno : 0);
		return;
	}
	c->inlen += (size_t)n;
	conn_touch(c);
	c->srv->proto->input(c, (size_t)n);
}

static void
conn_io(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct conn *c = arg;

	(void)l;
	(void)fd;
	if ((ev & LOOP_OUT) && conn_flush(c) < 0)
		return;
	if (ev & LOOP_IN)	/* the loop adds it to LOOP_ERR */
		conn_read(c);
}

/*
 * When the connection is due for a close, and why: unread output, then
 * an unfinished request, then idleness.  A connection owed an answer is
 * waiting for us, not for its client: the engine bounds that time.
 */
static uint64_t
conn_deadline(const struct conn *c, enum conn_why *why)
{
	const struct conn_srv *s = c->srv;

	*why = CONN_DONE;
	if (c->outlen > c->outoff) {
		*why = CONN_STALL;
		return c->out_since + (uint64_t)s->request_ms;
	}
	if (c->held > 0)
		return UINT64_MAX;
	if (c->inlen > 0) {
		*why = CONN_SLOW;
		return c->req_start + (uint64_t)s->request_ms;
	}
	*why = CONN_IDLE;
	return c->last_active + (uint64_t)s->idle_ms;
}

/*
 * The connection's one timer.  It fires at the deadline or at most
 * request_ms later than now, so that a request begun after it was set
 * is still caught at its own deadline.
 */
static void
conn_timer(struct loop *l, void *arg)
{
	struct conn *c = arg;
	uint64_t now = loop_now(l), period = (uint64_t)c->srv->request_ms;
	enum conn_why why;
	uint64_t due = conn_deadline(c, &why);

	c->timer = NULL;
	if (due <= now) {
		close_why(c, why, 0);
		return;
	}
	c->timer = loop_timer(l, due - now < period ? due - now : period,
	    conn_timer, c);
}

static void
conn_new(struct conn_srv *s, int fd)
{
	const struct conn_proto *p = s->proto;
	struct conn *c = xcalloc(1, p->size + p->insize);

	c->srv = s;
	c->arg = s->arg;
	c->id = ++s->next_id;
	c->fd = fd;
	c->in = (char *)c + p->size;
	c->last_active = c->req_start = loop_now(s->loop);
	if (loop_add(s->loop, fd, LOOP_IN, conn_io, c) < 0) {
		log_warn("%s: cannot watch connection: %s", p->name,
		    strerror(errno));
		close(fd);
		free(c);
		return;
	}
	c->timer = loop_timer(s->loop, (uint64_t)(s->idle_ms < s->request_ms
	    ? s->idle_ms : s->request_ms), conn_timer, c);
	list_push(s, c);
	s->nconns++;
}

static void
srv_accept(struct loop *l, int lfd, unsigned ev, void *arg)
{
	struct conn_srv *s = arg;

	(void)l;
	(void)ev;
	for (int i = 0; i < ACCEPT_BURST; i++) {
		int fd = listen_accept(lfd, s->proto->name);

		if (fd == LISTEN_FULL)
			listen_pause(&s->pause);
		if (fd < 0)
			return;
		if (s->nconns >= s->max_conns && s->last != NULL)
			close_why(s->last, CONN_EVICT, 0);
		if (s->nconns >= s->max_conns) {
			close(fd);
			continue;
		}
		conn_new(s, fd);
	}
}

struct conn_srv *
conn_srv_new(struct loop *l, int lfd, const struct conn_proto *p, void *arg,
    long max_conns, long idle_ms, long request_ms)
{
	struct conn_srv *s = xcalloc(1, sizeof(*s));

	s->loop = l;
	s->proto = p;
	s->arg = arg;
	s->lfd = lfd;
	s->pause.loop = l;
	s->pause.lfd = lfd;
	s->max_conns = max_conns;
	s->idle_ms = idle_ms;
	s->request_ms = request_ms;
	if (loop_add(l, lfd, LOOP_IN, srv_accept, s) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

void
conn_srv_free(struct conn_srv *s)
{
	if (s == NULL)
		return;
	while (s->conns)
		conn_close(s->conns);
	listen_pause_cancel(&s->pause);
	loop_del(s->loop, s->lfd);
	close(s->lfd);
	free(s);
}
