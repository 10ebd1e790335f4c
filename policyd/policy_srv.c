#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "inbound.h"
#include "listen.h"
#include "log.h"
#include "policy_srv.h"
#include "polreq.h"
#include "util.h"

#define OUTBUF_HIGH	(64 * 1024)	/* stop reading while this much is unsent */

struct conn {
	struct policy_srv *srv;
	int fd;
	unsigned long id;
	char in[POLREQ_MAX_REQUEST];
	size_t inlen;
	size_t linestart;		/* offset after the last LF in "in" */
	char *out;
	size_t outlen, outcap, outoff;
	uint64_t last_active;
	struct loop_timer *idle_timer;
	struct conn *prev, *next;
};

struct policy_srv {
	struct loop *loop;
	struct inbound *rules;
	struct polreq req;		/* scratch: requests are answered at once */
	int lfd;
	long max_conns, nconns, idle_ms;
	unsigned long next_id;
	struct conn *conns;
};

static void
conn_close(struct conn *c)
{
	struct policy_srv *s = c->srv;

	loop_del(s->loop, c->fd);
	close(c->fd);
	loop_timer_cancel(s->loop, c->idle_timer);
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
			log_debug("policy client #%lu: write: %s", c->id,
			    strerror(errno));
			conn_close(c);
			return -1;
		}
		c->outoff += (size_t)n;
	}
	if (c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	loop_mod(c->srv->loop, c->fd, (c->outlen > c->outoff ? LOOP_OUT : 0)
	    | (c->outlen - c->outoff < OUTBUF_HIGH ? LOOP_IN : 0));
	return 0;
}

static void
out_reserve(struct conn *c, size_t n)
{
	if (c->outoff > 0) {
		memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
		c->outlen -= c->outoff;
		c->outoff = 0;
	}
	if (c->outlen + n > c->outcap) {
		c->outcap = c->outlen + n + 1024;
		c->out = xrealloc(c->out, c->outcap);
	}
}

static void
log_result(const struct conn *c, const struct polreq *q,
    const struct inb_result *res)
{
	char line[1200];

	if (res->note[0])
		log_warn("policy client #%lu: rule %s: %s", c->id,
		    res->rule ? res->rule : "none", res->note);
	if (res->log) {
		inbound_log_line(q, res, line, sizeof(line));
		log_notice("%s", line);
	} else if (LOG_ENABLED(LOG_LVL_DEBUG)) {
		inbound_log_line(q, res, line, sizeof(line));
		log_debug("%s reply=\"%s\"", line, res->action);
	}
}

/* Answer one request; returns -1 after closing the connection. */
static int
answer(struct conn *c, const struct polreq *q)
{
	struct inb_result res;
	const char *why;
	size_t n;

	inbound_eval(c->srv->rules, q, &res);
	log_result(c, q, &res);
	out_reserve(c, POLREQ_MAX_ACTION + 16);
	n = polreq_format_reply(c->out + c->outlen, c->outcap - c->outlen,
	    res.action, &why);
	if (n == 0) {
		/* Our bug: better no answer (Postfix retries) than a wrong one. */
		log_err("policy client #%lu: refusing to send reply \"%s\": %s; "
		    "closing connection", c->id, res.action, why);
		conn_close(c);
		return -1;
	}
	c->outlen += n;
	return 0;
}

/* Answer every whole request in the buffer; -1 after closing. */
static int
conn_process(struct conn *c)
{
	struct polreq *q = &c->srv->req;
	size_t off = 0;
	char err[100];

	while (off < c->inlen) {
		size_t used = 0;
		enum polreq_status st = polreq_parse(c->in + off, c->inlen - off,
		    q, &used, err, sizeof(err));

		if (st == POLREQ_INCOMPLETE)
			break;
		if (st == POLREQ_ERR) {
			log_warn("policy client #%lu: malformed request: %s; "
			    "closing connection without a reply", c->id, err);
			conn_close(c);
			return -1;
		}
		if (answer(c, q) < 0)
			return -1;
		off += used;
	}
	if (off > 0) {
		memmove(c->in, c->in + off, c->inlen - off);
		c->inlen -= off;
		c->linestart -= off;	/* requests end with LF: off <= linestart */
	}
	return conn_flush(c);
}

static void
conn_io(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct conn *c = arg;
	const char *nl;
	ssize_t n;

	(void)l;
	(void)fd;
	if ((ev & LOOP_OUT) && conn_flush(c) < 0)
		return;
	if (!(ev & (LOOP_IN | LOOP_ERR)))
		return;
	if (c->inlen == sizeof(c->in)) {
		/* polreq_parse() refuses a request this long; be safe. */
		log_warn("policy client #%lu: request too large; closing "
		    "connection without a reply", c->id);
		conn_close(c);
		return;
	}
	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (c->inlen > 0)
			log_debug("policy client #%lu closed with %zu bytes of a "
			    "partial request", c->id, c->inlen);
		conn_close(c);
		return;
	}
	nl = memrchr(c->in + c->inlen, '\n', (size_t)n);
	c->inlen += (size_t)n;
	c->last_active = loop_now(c->srv->loop);
	/*
	 * Parse only when a line ended or the partial line is already too
	 * long: a client dribbling bytes then costs one scan a line, not one
	 * a byte, and an overlong line is refused as soon as it is one.
	 */
	if (nl != NULL) {
		c->linestart = (size_t)(nl - c->in) + 1;
		conn_process(c);
	} else if (c->inlen - c->linestart >= POLREQ_MAX_LINE
	    || c->inlen == sizeof(c->in)) {
		conn_process(c);
	}
}

static void
idle_check(struct loop *l, void *arg)
{
	struct conn *c = arg;
	uint64_t now = loop_now(l), idle = (uint64_t)c->srv->idle_ms;
	uint64_t quiet = now - c->last_active;

	c->idle_timer = NULL;
	if (quiet >= idle && c->outlen == c->outoff) {
		log_debug("policy client #%lu: idle, closing", c->id);
		conn_close(c);
		return;
	}
	c->idle_timer = loop_timer(l, quiet < idle ? idle - quiet : idle,
	    idle_check, c);
}

static void
conn_new(struct policy_srv *s, int fd)
{
	struct conn *c = xcalloc(1, sizeof(*c));

	c->srv = s;
	c->fd = fd;
	c->id = ++s->next_id;
	c->last_active = loop_now(s->loop);
	if (loop_add(s->loop, fd, LOOP_IN, conn_io, c) < 0) {
		log_warn("policy: cannot watch connection: %s", strerror(errno));
		close(fd);
		free(c);
		return;
	}
	c->idle_timer = loop_timer(s->loop, (uint64_t)s->idle_ms, idle_check, c);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
}

static void
srv_accept(struct loop *l, int lfd, unsigned ev, void *arg)
{
	struct policy_srv *s = arg;

	(void)l;
	(void)ev;
	for (int i = 0; i < 64; i++) {
		int fd = listen_accept(lfd, "policy");

		if (fd < 0)
			return;
		if (s->nconns >= s->max_conns) {
			log_warn("policy connection limit %ld reached; closing new "
			    "connection", s->max_conns);
			close(fd);
			continue;
		}
		conn_new(s, fd);
	}
}

struct policy_srv *
policy_srv_new(struct loop *l, int lfd, struct inbound *rules, long max_conns,
    long idle_ms)
{
	struct policy_srv *s = xcalloc(1, sizeof(*s));

	s->loop = l;
	s->lfd = lfd;
	s->rules = rules;
	s->max_conns = max_conns;
	s->idle_ms = idle_ms;
	if (loop_add(l, lfd, LOOP_IN, srv_accept, s) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

void
policy_srv_set_rules(struct policy_srv *s, struct inbound *rules)
{
	inbound_free(s->rules);
	s->rules = rules;
}

struct inbound *
policy_rules_load(const char *path, char *err, size_t errlen)
{
	if (*path == '\0')
		return inbound_empty();
	return inbound_load(path, err, errlen);
}

void
policy_srv_reload(struct policy_srv *s, const char *path)
{
	char err[512];
	struct inbound *ib = policy_rules_load(path, err, sizeof(err));

	if (ib == NULL) {
		log_err("inbound rules reload failed, keeping the previous "
		    "rules: %s", err);
		return;
	}
	policy_srv_set_rules(s, ib);
	log_notice("reloaded: %zu inbound rules", inbound_count(ib));
}

void
policy_srv_free(struct policy_srv *s)
{
	if (s == NULL)
		return;
	while (s->conns)
		conn_close(s->conns);
	loop_del(s->loop, s->lfd);
	close(s->lfd);
	inbound_free(s->rules);
	free(s);
}
