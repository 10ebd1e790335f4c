/* SPDX-License-Identifier: MIT */
/*
 * conn - a server of non-blocking stream connections on the event loop
 *
 * SYNOPSIS
 *	struct conn_srv *conn_srv_new(struct loop *l, int listen_fd,
 *	    const struct conn_proto *p, void *arg, long max_conns,
 *	    long idle_ms, long request_ms);
 *	void conn_srv_free(struct conn_srv *s);
 *
 *	void conn_reserve(struct conn *c, size_t n);
 *	void conn_consume(struct conn *c, size_t n);
 *	int  conn_flush(struct conn *c);
 *	void conn_touch(struct conn *c);
 *	void conn_close(struct conn *c);
const char *conn_why_str(enum conn_why why);
 *
 * DESCRIPTION
 *	The connection bookkeeping that the socketmap and the policy
 *	delegation servers share; each protocol keeps only its protocol.
 *	conn_srv_new() accepts connections on listen_fd (listen_accept(),
 *	up to 64 a wake-up) and keeps at most max_conns: at the limit, the
 *	connection that has been quiet longest (no byte read, no answer
 *	given) is closed to admit the new one, so that idle or slow clients
 *	cannot lock Postfix out (its clients reconnect when they need to).
 *	It returns NULL when the loop cannot watch listen_fd (listen_fd is
 *	then still the caller's).
 *	conn_srv_free() closes every connection, then listen_fd.
 *
 *	Each connection is one block of p->size bytes, which begins with
 *	struct conn (the protocol's own fields follow it), plus an input
 *	buffer of p->insize bytes.  c->arg is the arg given to
 *	conn_srv_new(); c->id numbers the connections from 1.
 *
 *	Input: on readiness the module makes one read() into c->in after
 *	c->inlen, then calls p->input(c, fresh) with the fresh byte count
 *	(already added to c->inlen) and the idle clock restarted.  input()
 *	parses, answers, drops what it used with conn_consume(), and calls
 *	conn_flush() or conn_close(); it may also leave a partial request
 *	for the next read.  End of file, a read error, and a read that
 *	finds the buffer still full (the protocol's parser should have
 *	refused a request that long) close the connection.
 *
 *	Output: conn_reserve() makes room for n more bytes at
 *	c->out + c->outlen (the room is c->outcap - c->outlen); the
 *	protocol writes its reply there and adds its length to c->outlen.
 *	conn_flush() writes what it can without blocking (EINTR retried,
 *	EAGAIN waits for LOOP_OUT) and returns -1 when it closed the
 *	connection (a write error, or c->closing set and all output
 *	gone), 0 otherwise.  It then re-arms the connection: LOOP_OUT while
 *	output is unsent, LOOP_IN while less than p->out_high bytes are
 *	unsent, fewer than p->max_held answers are owed and c->closing is
 *	not set (loop_mod() skips an unchanged mask, so a request costs no
 *	epoll_ctl()).
 *
 *	c->held is the number of answers owed (requests read but not yet in
 *	the output); the protocol counts them, the module only reads them.
 *	A protocol that answers at once leaves it 0.  c->closing asks for a
 *	close once the output is gone (the next conn_flush() does it).
 *
 *	Idle: a connection that owes no answer, has no unsent output and
 *	saw no input for idle_ms is closed.  conn_touch() restarts the idle
 *	clock, for activity the module does not see (an answer that came
 *	later).
 *
 *	Slow: every received byte restarts the idle clock, so two more
 *	bounds keep a slow client from holding its place: a request must
 *	be whole within request_ms of its first byte (input left in c->in
 *	while no answer is owed: conn_consume() starts the clock again for
 *	what remains), and unsent output must make progress within
 *	request_ms (a client that never reads its replies).
 *
 *	Evictions and slow closes are logged by the module, as one warning
 *	at most every LISTEN_LOG_INTERVAL seconds for each kind and server,
 *	with the number of connections it covers; the protocols learn the
 *	reason in closed() and log a single connection at debug level.
 *
 *	Closing: conn_close() and every close the module decides call
 *	p->closed(c, why, err) once, before c is freed: the protocol logs
 *	why in its own words (the module logs nothing about a single
 *	connection) and frees what it keeps beside c.  why is CONN_EOF (the
 *	client closed, or a read error; c->inlen bytes of a partial request
 *	are left), CONN_WRITE (write error errno err), CONN_FULL (input
 *	buffer full at a read), CONN_IDLE, CONN_SLOW (a request not whole
 *	within request_ms), CONN_STALL (output unread for request_ms),
 *	CONN_EVICT (closed for a new connection at the limit), or CONN_DONE (the
 *	protocol's own conn_close(), c->closing, or conn_srv_free()).
 *	conn_why_str() names a reason for log lines.
 *	Callbacks must not touch c after conn_flush() returned -1 or after
 *	conn_close().
 */
#ifndef TLSPOL_CONN_H
#define TLSPOL_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "loop.h"

struct conn_srv;

struct conn {
	struct conn_srv *srv;
	void *arg;			/* conn_srv_new()'s arg */
	unsigned long id;
	int fd;
	char *in;			/* p->insize bytes */
	size_t inlen;
	char *out;
	size_t outlen, outcap, outoff;	/* unsent: out + outoff .. outlen */
	int held;			/* answers owed; the protocol counts */
	int closing;			/* close once output is flushed */
	/* The module's own. */
	uint64_t last_active;
	uint64_t req_start;		/* first byte of the input in c->in */
	uint64_t out_since;		/* unsent output's last progress */
	struct loop_timer *timer;
	struct conn *prev, *next;
};

enum conn_why {
	CONN_DONE, CONN_EOF, CONN_WRITE, CONN_FULL, CONN_IDLE, CONN_SLOW,
	CONN_STALL, CONN_EVICT
};

struct conn_proto {
	const char *name;		/* "socketmap": in log lines */
	size_t size;			/* of the protocol's connection */
	size_t insize;			/* input buffer */
	size_t out_high;		/* stop reading at this much unsent */
	int max_held;			/* stop reading at this many owed */
	void (*input)(struct conn *c, size_t fresh);
	void (*closed)(struct conn *c, enum conn_why why, int err);
};

struct conn_srv *conn_srv_new(struct loop *l, int listen_fd,
    const struct conn_proto *p, void *arg, long max_conns, long idle_ms,
    long request_ms);
void conn_srv_free(struct conn_srv *s);

void conn_reserve(struct conn *c, size_t n);
void conn_consume(struct conn *c, size_t n);
int conn_flush(struct conn *c);
void conn_touch(struct conn *c);
void conn_close(struct conn *c);
const char *conn_why_str(enum conn_why why);

#endif
