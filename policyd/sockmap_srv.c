/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "engine.h"
#include "log.h"
#include "metrics.h"
#include "netstring.h"
#include "sockmap.h"
#include "sockmap_srv.h"
#include "util.h"

#define INBUF_SIZE	(SOCKMAP_MAX_REQUEST + 32)
#define OUTBUF_HIGH	(1 << 20)	/* stop reading while this much is unsent */
#define MAX_PENDING	256		/* answers outstanding on one connection */
#define MAX_SPARE	8		/* reusable entries kept per connection */

struct smconn;

/* A request whose answer comes later; kept in arrival order. */
struct pending {
	struct pending *next;
	struct smconn *conn;		/* NULL once the connection is gone */
	int done;
	uint64_t start;			/* metrics_now_us() at arrival */
	struct answer ans;
};

/* A socketmap connection: c.held counts the entries in the queue. */
struct smconn {
	struct conn c;
	struct pending *head, *tail;
	struct pending *spare;		/* answered entries kept for reuse */
	int nspare;
};

struct sockmap_srv {
	struct conn_srv *cs;
	struct engine *engine;
	struct metrics_hist latency;	/* request read to reply written */
};

static void sm_input(struct conn *c, size_t fresh);
static void sm_closed(struct conn *c, enum conn_why why, int err);

static const struct conn_proto sm_proto = {
	.name = "socketmap",
	.size = sizeof(struct smconn),
	.insize = INBUF_SIZE,
	.out_high = OUTBUF_HIGH,
	.max_held = MAX_PENDING,
	.input = sm_input,
	.closed = sm_closed,
};

/* Log why the connection goes; hand unanswered requests to the engine. */
static void
sm_closed(struct conn *c, enum conn_why why, int err)
{
	struct smconn *sc = (struct smconn *)c;
	struct pending *p, *next;

	switch (why) {
	case CONN_EOF:
		if (c->inlen > 0)
			log_debug("socketmap client closed with %zu bytes "
			    "of partial request", c->inlen);
		break;
	case CONN_WRITE:
		log_debug("socketmap write: %s", strerror(err));
		break;
	case CONN_FULL:
		/* Cannot happen with the size check in the decoder. */
		log_warn("socketmap request too large; closing connection");
		break;
	case CONN_IDLE:
		log_debug("closing idle socketmap connection");
		break;
	case CONN_SLOW:
	case CONN_STALL:
	case CONN_EVICT:	/* conn.c logs these, rate-limited */
		log_debug("socketmap connection #%lu closed: %s", c->id,
		    conn_why_str(why));
		break;
	case CONN_DONE:
		break;
	}
	for (p = sc->spare; p; p = next) {
		next = p->next;
		free(p);
	}
	for (p = sc->head; p; p = next) {
		next = p->next;
		if (p->done) {
			answer_clear(&p->ans);
			free(p);
		} else {
			p->conn = NULL;	/* the engine's callback frees it */
			p->next = NULL;
		}
	}
}

static void
out_answer(struct conn *c, const struct answer *a)
{
	size_t tl = a->text ? strlen(a->text) : 0, n;

	conn_reserve(c, tl + 64);
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

/*
 * Keep an answered entry for the next request on this connection: a
 * malloc and free per request showed in the profile (struct pending is
 * over 500 bytes, and xcalloc cleared all of it).
 */
static void
pending_release(struct smconn *sc, struct pending *p)
{
	if (sc->nspare >= MAX_SPARE) {
		free(p);
		return;
	}
	p->next = sc->spare;
	sc->spare = p;
	sc->nspare++;
}

/* Move finished answers at the head of the queue to the output. */
static void
drain_pending(struct smconn *sc)
{
	while (sc->head && sc->head->done) {
		struct pending *p = sc->head;
		sc->head = p->next;
		if (sc->head == NULL)
			sc->tail = NULL;
		sc->c.held--;
		out_answer(&sc->c, &p->ans);
		metrics_hist_observe(&((struct sockmap_srv *)sc->c.arg)->latency,
		    metrics_now_us() - p->start);
		answer_clear(&p->ans);
		pending_release(sc, p);
	}
}

static void
pending_done(void *arg, struct answer *ans)
{
	struct pending *p = arg;
	struct smconn *sc = p->conn;

	(void)ans;		/* it is &p->ans */
	if (sc == NULL) {	/* connection closed while we worked */
		answer_clear(&p->ans);
		free(p);
		return;
	}
	p->done = 1;
	drain_pending(sc);
	conn_touch(&sc->c);
	if (conn_flush(&sc->c) == 0)
		sm_input(&sc->c, 0);	/* requests held back by the limit */
}

/* Queue a request in arrival order. */
static struct pending *
pending_new(struct smconn *sc)
{
	struct pending *p = sc->spare;

	if (p != NULL) {
		sc->spare = p->next;
		sc->nspare--;
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
	p->conn = sc;
	p->start = metrics_now_us();
	if (sc->tail)
		sc->tail->next = p;
	else
		sc->head = p;
	sc->tail = p;
	sc->c.held++;
	return p;
}

static void
handle_request(struct smconn *sc, const char *payload, size_t plen)
{
	struct sockmap_srv *s = sc->c.arg;
	struct sockmap_req req;
	struct pending *p;
	const char *why;
	char safe[120];

	if (sockmap_parse_request(payload, plen, &req, &why) < 0) {
		log_safe(payload, plen, safe, sizeof(safe));
		log_warn("malformed socketmap request \"%s\": %s", safe, why);
		p = pending_new(sc);
		answer_set(&p->ans, SM_PERM, "error", "malformed request", "%s", why);
		p->done = 1;
		return;
	}
	p = pending_new(sc);
	if (engine_query(s->engine, req.name, req.name_len, req.key,
	    req.key_len, &p->ans, pending_done, p) == 1)
		p->done = 1;
}

/* Answer or queue every whole request in the buffer, in order. */
static void
sm_input(struct conn *c, size_t fresh)
{
	struct smconn *sc = (struct smconn *)c;
	size_t off = 0;

	(void)fresh;		/* a netstring says its own length */
	while (off < c->inlen && c->held < MAX_PENDING && !c->closing) {
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
		handle_request(sc, payload, plen);
		off += used;
	}
	conn_consume(c, off);
	drain_pending(sc);
	if (c->closing && sc->head == NULL && c->outlen == c->outoff) {
		conn_close(c);
		return;
	}
	conn_flush(c);
}

struct sockmap_srv *
sockmap_srv_new(struct loop *l, struct engine *e, int lfd, long max_conns,
    long idle_ms, long request_ms)
{
	struct sockmap_srv *s = xcalloc(1, sizeof(*s));

	s->engine = e;
	s->cs = conn_srv_new(l, lfd, &sm_proto, s, max_conns, idle_ms,
	    request_ms);
	if (s->cs == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

const struct metrics_hist *
sockmap_srv_latency(const struct sockmap_srv *s)
{
	return &s->latency;
}

void
sockmap_srv_free(struct sockmap_srv *s)
{
	if (s == NULL)
		return;
	conn_srv_free(s->cs);
	free(s);
}
