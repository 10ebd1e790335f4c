#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine.h"
#include "listen.h"
#include "log.h"
#include "netstring.h"
#include "sockmap.h"
#include "sockmap_srv.h"
#include "util.h"

#define INBUF_SIZE	(SOCKMAP_MAX_REQUEST + 32)
#define OUTBUF_HIGH	(1 << 20)	/* stop reading while this much is unsent */
#define MAX_PENDING	256		/* answers outstanding on one connection */
#define MAX_SPARE	8		/* reusable entries kept per connection */

struct conn;

/* A request whose answer comes later; kept in arrival order. */
struct pending {
	struct pending *next;
	struct conn *conn;		/* NULL once the connection is gone */
	int done;
	struct answer ans;
};

struct conn {
	struct sockmap_srv *srv;
	int fd;
	char in[INBUF_SIZE];
	size_t inlen;
	char *out;
	size_t outlen, outcap, outoff;
	struct pending *head, *tail;
	struct pending *spare;		/* answered entries kept for reuse */
	int npending, nspare;
	int closing;			/* close once output is flushed */
	uint64_t last_active;
	struct loop_timer *idle_timer;
	struct conn *prev, *next;
};

struct sockmap_srv {
	struct loop *loop;
	struct engine *engine;
	int lfd;
	long max_conns, nconns, idle_ms;
	struct conn *conns;
	uint64_t refused_logged;
};

static void conn_io(struct loop *l, int fd, unsigned ev, void *arg);
static void conn_process(struct conn *c);

static void
conn_close(struct conn *c)
{
	struct sockmap_srv *s = c->srv;
	struct pending *p, *next;

	loop_del(s->loop, c->fd);
	close(c->fd);
	loop_timer_cancel(s->loop, c->idle_timer);
	for (p = c->spare; p; p = next) {
		next = p->next;
		free(p);
	}
	for (p = c->head; p; p = next) {
		next = p->next;
		if (p->done) {
			answer_clear(&p->ans);
			free(p);
		} else {
			p->conn = NULL;	/* the engine's callback frees it */
			p->next = NULL;
		}
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	free(c->out);
	free(c);
}

static void
out_reserve(struct conn *c, size_t n)
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

static void
out_answer(struct conn *c, const struct answer *a)
{
	size_t tl = a->text ? strlen(a->text) : 0, n;

	out_reserve(c, tl + 64);
	n = sockmap_format_reply(c->out + c->outlen, c->outcap - c->outlen,
	    a->status, a->text);
	if (n == 0) {
		/* Only a value beyond Postfix's reply limit gets here. */
		log_warn("reply of %zu bytes exceeds the socketmap limit", tl);
		n = sockmap_format_reply(c->out + c->outlen, c->outcap - c->outlen,
		    SM_TEMP, "policy value too long");
	}
	c->outlen += n;
}

/* Write what we can; returns -1 when the connection was closed. */
static int
conn_flush(struct conn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			log_debug("socketmap write: %s", strerror(errno));
			conn_close(c);
			return -1;
		}
		c->outoff += (size_t)n;
	}
	if (c->outoff == c->outlen) {
		c->outoff = c->outlen = 0;
		if (c->closing) {
			conn_close(c);
			return -1;
		}
	}
	loop_mod(c->srv->loop, c->fd,
	    (c->outlen > c->outoff ? LOOP_OUT : 0)
	    | ((c->outlen - c->outoff < OUTBUF_HIGH && c->npending < MAX_PENDING
	       && !c->closing) ? LOOP_IN : 0));
	return 0;
}

/*
 * Keep an answered entry for the next request on this connection: a
 * malloc and free per request showed in the profile (struct pending is
 * over 500 bytes, and xcalloc cleared all of it).
 */
static void
pending_release(struct conn *c, struct pending *p)
{
	if (c->nspare >= MAX_SPARE) {
		free(p);
		return;
	}
	p->next = c->spare;
	c->spare = p;
	c->nspare++;
}

/* Move finished answers at the head of the queue to the output. */
static void
drain_pending(struct conn *c)
{
	while (c->head && c->head->done) {
		struct pending *p = c->head;
		c->head = p->next;
		if (c->head == NULL)
			c->tail = NULL;
		c->npending--;
		out_answer(c, &p->ans);
		answer_clear(&p->ans);
		pending_release(c, p);
	}
}

static void
pending_done(void *arg, struct answer *ans)
{
	struct pending *p = arg;
	struct conn *c = p->conn;

	(void)ans;		/* it is &p->ans */
	if (c == NULL) {	/* connection closed while we worked */
		answer_clear(&p->ans);
		free(p);
		return;
	}
	p->done = 1;
	drain_pending(c);
	c->last_active = loop_now(c->srv->loop);
	if (conn_flush(c) == 0)
		conn_process(c);	/* requests held back by the limit */
}

/* Queue a request in arrival order. */
static struct pending *
pending_new(struct conn *c)
{
	struct pending *p = c->spare;

	if (p != NULL) {
		c->spare = p->next;
		c->nspare--;
		/* What answer_set() and the queue read; it writes the rest. */
		p->next = NULL;
		p->done = 0;
		p->ans.status = SM_TEMP;
		p->ans.source = NULL;
		p->ans.text = NULL;
		p->ans.reason[0] = '\0';
	} else {
		p = xcalloc(1, sizeof(*p));
	}
	p->conn = c;
	if (c->tail)
		c->tail->next = p;
	else
		c->head = p;
	c->tail = p;
	c->npending++;
	return p;
}

static void
handle_request(struct conn *c, const char *payload, size_t plen)
{
	struct sockmap_req req;
	struct pending *p;
	const char *why;
	char safe[120];

	if (sockmap_parse_request(payload, plen, &req, &why) < 0) {
		log_safe(payload, plen, safe, sizeof(safe));
		log_warn("malformed socketmap request \"%s\": %s", safe, why);
		p = pending_new(c);
		answer_set(&p->ans, SM_PERM, "error", "malformed request", "%s", why);
		p->done = 1;
		return;
	}
	p = pending_new(c);
	if (engine_query(c->srv->engine, req.name, req.name_len, req.key,
	    req.key_len, &p->ans, pending_done, p) == 1)
		p->done = 1;
}

static void
conn_process(struct conn *c)
{
	size_t off = 0;

	while (off < c->inlen && c->npending < MAX_PENDING && !c->closing) {
		const char *payload;
		size_t plen, used;
		enum ns_status st = netstring_decode(c->in + off, c->inlen - off,
		    SOCKMAP_MAX_REQUEST, &payload, &plen, &used);

		if (st == NS_INCOMPLETE)
			break;
		if (st != NS_OK) {
			log_warn("socketmap client: %s; closing connection",
			    netstring_strerror(st));
			c->closing = 1;
			c->inlen = 0;
			off = 0;
			break;
		}
		handle_request(c, payload, plen);
		off += used;
	}
	if (off > 0) {
		memmove(c->in, c->in + off, c->inlen - off);
		c->inlen -= off;
	}
	drain_pending(c);
	if (c->closing && c->head == NULL && c->outlen == c->outoff) {
		conn_close(c);
		return;
	}
	conn_flush(c);
}

static void
conn_io(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct conn *c = arg;

	(void)l;
	(void)fd;
	if (ev & LOOP_OUT) {
		if (conn_flush(c) < 0)
			return;
	}
	if (ev & LOOP_IN) {
		ssize_t n;
		if (c->inlen == sizeof(c->in)) {
			/* Full buffer without a whole request: cannot happen
			 * with the size check in the decoder; be safe. */
			log_warn("socketmap request too large; closing connection");
			conn_close(c);
			return;
		}
		n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			if (c->inlen > 0)
				log_debug("socketmap client closed with %zu bytes "
				    "of partial request", c->inlen);
			conn_close(c);
			return;
		}
		if (n > 0) {
			c->inlen += (size_t)n;
			c->last_active = loop_now(c->srv->loop);
			conn_process(c);
		}
	}
}

static void
idle_check(struct loop *l, void *arg)
{
	struct conn *c = arg;
	uint64_t now = loop_now(l), idle = (uint64_t)c->srv->idle_ms;

	c->idle_timer = NULL;
	if (c->head == NULL && c->outlen == c->outoff
	    && now - c->last_active >= idle) {
		log_debug("closing idle socketmap connection");
		conn_close(c);
		return;
	}
	c->idle_timer = loop_timer(l,
	    idle - (now - c->last_active < idle ? now - c->last_active : 0),
	    idle_check, c);
}

static void
srv_accept(struct loop *l, int lfd, unsigned ev, void *arg)
{
	struct sockmap_srv *s = arg;

	(void)ev;
	for (int i = 0; i < 64; i++) {
		int fd = listen_accept(lfd, "socketmap");
		struct conn *c;

		if (fd < 0)
			return;
		if (s->nconns >= s->max_conns) {
			log_warn("socketmap connection limit %ld reached; "
			    "closing new connection", s->max_conns);
			close(fd);
			continue;
		}
		c = xcalloc(1, sizeof(*c));
		c->srv = s;
		c->fd = fd;
		c->last_active = loop_now(l);
		if (loop_add(l, fd, LOOP_IN, conn_io, c) < 0) {
			log_warn("socketmap: cannot watch connection: %s",
			    strerror(errno));
			close(fd);
			free(c);
			continue;
		}
		c->idle_timer = loop_timer(l, (uint64_t)s->idle_ms, idle_check, c);
		c->next = s->conns;
		if (s->conns)
			s->conns->prev = c;
		s->conns = c;
		s->nconns++;
	}
}

struct sockmap_srv *
sockmap_srv_new(struct loop *l, struct engine *e, int lfd, long max_conns,
    long idle_ms)
{
	struct sockmap_srv *s = xcalloc(1, sizeof(*s));

	s->loop = l;
	s->engine = e;
	s->lfd = lfd;
	s->max_conns = max_conns;
	s->idle_ms = idle_ms;
	if (loop_add(l, lfd, LOOP_IN, srv_accept, s) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

void
sockmap_srv_free(struct sockmap_srv *s)
{
	if (s == NULL)
		return;
	while (s->conns)
		conn_close(s->conns);
	loop_del(s->loop, s->lfd);
	close(s->lfd);
	free(s);
}
