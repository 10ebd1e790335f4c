/* SPDX-License-Identifier: MIT */
/*
 * loop - one epoll event loop with timers
 *
 * SYNOPSIS
 *	struct loop *loop_new(void);
 *	int  loop_add(struct loop *l, int fd, unsigned ev, loop_io_fn fn, void *arg);
 *	int  loop_mod(struct loop *l, int fd, unsigned ev);
 *	void loop_del(struct loop *l, int fd);
 *	struct loop_timer *loop_timer(struct loop *l, uint64_t delay_ms,
 *	    loop_timer_fn fn, void *arg);
 *	void loop_timer_cancel(struct loop *l, struct loop_timer *t);
 *	uint64_t loop_now(struct loop *l);
 *	int  loop_run(struct loop *l);
 *	void loop_stop(struct loop *l);
 *
 * DESCRIPTION
 *	Callbacks run one at a time; none may block.  ev is a mask of
 *	LOOP_IN and LOOP_OUT; the callback gets what is ready, with
 *	LOOP_ERR for hang-up or error.  A callback may delete any fd,
 *	including its own, and cancel any timer.
 *
 *	Timers fire once, in order of deadline; loop_timer() returns a
 *	handle valid until the timer fires or is cancelled.  loop_now() is
 *	the monotonic time in milliseconds, read once per iteration.
 *	loop_run() returns 0 after loop_stop(), -1 on an epoll error.
 */
#ifndef TLSPOL_LOOP_H
#define TLSPOL_LOOP_H

#include <stdint.h>

#define LOOP_IN		0x1
#define LOOP_OUT	0x2
#define LOOP_ERR	0x4

struct loop;
struct loop_timer;

typedef void (*loop_io_fn)(struct loop *l, int fd, unsigned ev, void *arg);
typedef void (*loop_timer_fn)(struct loop *l, void *arg);

struct loop *loop_new(void);
void loop_free(struct loop *l);
int loop_add(struct loop *l, int fd, unsigned ev, loop_io_fn fn, void *arg);
int loop_mod(struct loop *l, int fd, unsigned ev);
void loop_del(struct loop *l, int fd);
struct loop_timer *loop_timer(struct loop *l, uint64_t delay_ms,
    loop_timer_fn fn, void *arg);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);
uint64_t loop_now(struct loop *l);
int loop_run(struct loop *l);
void loop_stop(struct loop *l);

#endif
