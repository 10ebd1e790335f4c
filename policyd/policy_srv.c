/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "inbound.h"
#include "log.h"
#include "metrics.h"
#include "policy_srv.h"
#include "polreq.h"
#include "util.h"

#define OUTBUF_HIGH	(64 * 1024)	/* stop reading while this much is unsent */

/* A policy connection. */
struct pconn {
	struct conn c;
	size_t linestart;		/* offset after the last LF in c.in */
};

struct policy_srv {
	struct conn_srv *cs;
	struct inbound *rules;
	struct polreq req;		/* scratch: requests are answered at once */
	struct metrics_hist latency;	/* request read to reply written */
};

static void policy_input(struct conn *c, size_t fresh);
static void policy_closed(struct conn *c, enum conn_why why, int err);

static const struct conn_proto policy_proto = {
	.name = "policy",
	.size = sizeof(struct pconn),
	.insize = POLREQ_MAX_REQUEST,
	.out_high = OUTBUF_HIGH,
	.max_held = 1,			/* answers at once: never owes one */
	.input = policy_input,
	.closed = policy_closed,
};

static void
policy_closed(struct conn *c, enum conn_why why, int err)
{
	switch (why) {
	case CONN_EOF:
		if (c->inlen > 0)
			log_debug("policy client #%lu closed with %zu bytes of a "
			    "partial request", c->id, c->inlen);
		break;
	case CONN_WRITE:
		log_debug("policy client #%lu: write: %s", c->id, strerror(err));
		break;
	case CONN_FULL:
		/* polreq_parse() refuses a request this long; be safe. */
		log_warn("policy client #%lu: request too large; closing "
		    "connection without a reply", c->id);
		break;
	case CONN_IDLE:
		log_debug("policy client #%lu: idle, closing", c->id);
		break;
	case CONN_SLOW:
	case CONN_STALL:
	case CONN_EVICT:	/* conn.c logs these, rate-limited */
		log_debug("policy client #%lu closed: %s", c->id,
		    conn_why_str(why));
		break;
	case CONN_DONE:
		break;
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
	struct policy_srv *s = c->arg;
	struct inb_result res;
	const char *why;
	uint64_t start = metrics_now_us();
	size_t n;

	inbound_eval(s->rules, q, &res);
	inbound_tally(s->rules, &res);
	log_result(c, q, &res);
	conn_reserve(c, POLREQ_MAX_ACTION + 16);
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
	metrics_hist_observe(&s->latency, metrics_now_us() - start);
	return 0;
}

/* Answer every whole request in the buffer; -1 after closing. */
static int
policy_process(struct pconn *pc)
{
	struct conn *c = &pc->c;
	struct polreq *q = &((struct policy_srv *)c->arg)->req;
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
	conn_consume(c, off);
	pc->linestart -= off;	/* requests end with LF: off <= linestart */
	return conn_flush(c);
}

static void
policy_input(struct conn *c, size_t fresh)
{
	struct pconn *pc = (struct pconn *)c;
	const char *nl = memrchr(c->in + c->inlen - fresh, '\n', fresh);

	/*
	 * Parse only when a line ended or the partial line is already too
	 * long: a client dribbling bytes then costs one scan a line, not one
	 * a byte, and an overlong line is refused as soon as it is one.
	 */
	if (nl != NULL) {
		pc->linestart = (size_t)(nl - c->in) + 1;
		policy_process(pc);
	} else if (c->inlen - pc->linestart >= POLREQ_MAX_LINE
	    || c->inlen == POLREQ_MAX_REQUEST) {
		policy_process(pc);
	}
}

struct policy_srv *
policy_srv_new(struct loop *l, int lfd, struct inbound *rules, long max_conns,
    long idle_ms, long request_ms)
{
	struct policy_srv *s = xcalloc(1, sizeof(*s));

	s->rules = rules;
	s->cs = conn_srv_new(l, lfd, &policy_proto, s, max_conns, idle_ms,
	    request_ms);
	if (s->cs == NULL) {
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

const struct inbound *
policy_srv_rules(const struct policy_srv *s)
{
	return s->rules;
}

const struct metrics_hist *
policy_srv_latency(const struct policy_srv *s)
{
	return &s->latency;
}

void
policy_srv_free(struct policy_srv *s)
{
	if (s == NULL)
		return;
	conn_srv_free(s->cs);
	inbound_free(s->rules);
	free(s);
}
