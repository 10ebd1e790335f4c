/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "util.h"

struct fdent {
	loop_io_fn fn;
	void *arg;
	unsigned gen;		/* changes when the fd is deleted */
	unsigned armed;		/* LOOP_IN | LOOP_OUT as given to epoll */
	int active;
};

struct loop_timer {
	uint64_t when;
	uint64_t seq;		/* ties fire in creation order */
	size_t pos;		/* index in the heap */
	loop_timer_fn fn;
	void *arg;
};

struct loop {
	int epfd;
	int stop;
	uint64_t now;
	uint64_t seq;
	struct fdent *fds;
	size_t nfds;
	struct loop_timer **heap;
	size_t nheap, capheap;
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct loop *
loop_new(void)
{
	struct loop *l = xcalloc(1, sizeof(*l));

	if ((l->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		free(l);
		return NULL;
	}
	l->now = mono_ms();
	return l;
}

void
loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	close(l->epfd);
	for (size_t i = 0; i < l->nheap; i++)
		free(l->heap[i]);
	free(l->heap);
	free(l->fds);
	free(l);
}

uint64_t
loop_now(struct loop *l)
{
	return l->now;
}

static uint32_t
to_epoll(unsigned ev)
{
	return ((ev & LOOP_IN) ? EPOLLIN : 0) | ((ev & LOOP_OUT) ? EPOLLOUT : 0);
}

int
loop_add(struct loop *l, int fd, unsigned ev, loop_io_fn fn, void *arg)
{
	struct epoll_event e;

	if ((size_t)fd >= l->nfds) {
		size_t n = l->nfds ? l->nfds : 64;
		while (n <= (size_t)fd)
			n *= 2;
		l->fds = xrealloc(l->fds, n * sizeof(*l->fds));
		memset(l->fds + l->nfds, 0, (n - l->nfds) * sizeof(*l->fds));
		l->nfds = n;
	}
	memset(&e, 0, sizeof(e));
	e.events = to_epoll(ev);
	e.data.u64 = (uint64_t)fd | ((uint64_t)l->fds[fd].gen << 32);
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &e) < 0)
		return -1;
	l->fds[fd].fn = fn;
	l->fds[fd].arg = arg;
	l->fds[fd].armed = ev;
	l->fds[fd].active = 1;
	return 0;
}

int
loop_mod(struct loop *l, int fd, unsigned ev)
{
	struct epoll_event e;

	/* The hot path re-arms after every reply: skip the system call when
	 * nothing changes (the benchmark measured one per request). */
	if ((size_t)fd < l->nfds && l->fds[fd].active && l->fds[fd].armed == ev)
		return 0;
	memset(&e, 0, sizeof(e));
	e.events = to_epoll(ev);
	e.data.u64 = (uint64_t)fd | ((uint64_t)l->fds[fd].gen << 32);
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &e) < 0)
		return -1;
	l->fds[fd].armed = ev;
	return 0;
}

void
loop_del(struct loop *l, int fd)
{
	if ((size_t)fd >= l->nfds || !l->fds[fd].active)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	l->fds[fd].active = 0;
	l->fds[fd].gen++;	/* events already fetched for it are stale */
}

/* Timer heap. */

static int
tless(const struct loop_timer *a, const struct loop_timer *b)
{
	return a->when < b->when || (a->when == b->when && a->seq < b->seq);
}

static void
hswap(struct loop *l, size_t i, size_t j)
{
	struct loop_timer *t = l->heap[i];

	l->heap[i] = l->heap[j];
	l->heap[j] = t;
	l->heap[i]->pos = i;
	l->heap[j]->pos = j;
}

static void
hup(struct loop *l, size_t i)
{
	while (i > 0 && tless(l->heap[i], l->heap[(i - 1) / 2])) {
		hswap(l, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
hdown(struct loop *l, size_t i)
{
	for (;;) {
		size_t c = 2 * i + 1, m = i;
		if (c < l->nheap && tless(l->heap[c], l->heap[m]))
			m = c;
		if (c + 1 < l->nheap && tless(l->heap[c + 1], l->heap[m]))
			m = c + 1;
		if (m == i)
			return;
		hswap(l, i, m);
		i = m;
	}
}

struct loop_timer *
loop_timer(struct loop *l, uint64_t delay_ms, loop_timer_fn fn, void *arg)
{
	struct loop_timer *t = xcalloc(1, sizeof(*t));

	t->when = l->now + delay_ms;
	t->seq = l->seq++;
	t->fn = fn;
	t->arg = arg;
	if (l->nheap == l->capheap) {
		l->capheap = l->capheap ? l->capheap * 2 : 64;
		l->heap = xrealloc(l->heap, l->capheap * sizeof(*l->heap));
	}
	t->pos = l->nheap;
	l->heap[l->nheap++] = t;
	hup(l, t->pos);
	return t;
}

static void
heap_remove(struct loop *l, struct loop_timer *t)
{
	size_t i = t->pos;

	l->nheap--;
	if (i != l->nheap) {
		hswap(l, i, l->nheap);
		hdown(l, i);
		hup(l, i);
	}
}

void
loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	if (t == NULL)
		return;
	heap_remove(l, t);
	free(t);
}

void
loop_stop(struct loop *l)
{
	l->stop = 1;
}

static void
run_timers(struct loop *l)
{
	while (l->nheap > 0 && l->heap[0]->when <= l->now && !l->stop) {
		struct loop_timer *t = l->heap[0];
		loop_timer_fn fn = t->fn;
		void *arg = t->arg;

		heap_remove(l, t);
		free(t);
		fn(l, arg);
	}
}

int
loop_run(struct loop *l)
{
	struct epoll_event ev[128];

	l->stop = 0;
	while (!l->stop) {
		int timeout = -1, n;

		l->now = mono_ms();
		run_timers(l);
		if (l->stop)
			break;
		if (l->nheap > 0) {
			uint64_t d = l->heap[0]->when - l->now;
			timeout = d > 60000 ? 60000 : (int)d;
		}
		n = epoll_wait(l->epfd, ev, 128, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait: %s", strerror(errno));
			return -1;
		}
		l->now = mono_ms();
		for (int i = 0; i < n && !l->stop; i++) {
			int fd = (int)(ev[i].data.u64 & 0xffffffffu);
			unsigned gen = (unsigned)(ev[i].data.u64 >> 32);
			unsigned what = 0;
			struct fdent *fe;

			if ((size_t)fd >= l->nfds)
				continue;
			fe = &l->fds[fd];
			if (!fe->active || fe->gen != gen)
				continue;	/* deleted during this batch */
			if (ev[i].events & EPOLLIN)
				what |= LOOP_IN;
			if (ev[i].events & EPOLLOUT)
				what |= LOOP_OUT;
			if (ev[i].events & (EPOLLERR | EPOLLHUP))
				what |= LOOP_ERR | LOOP_IN;
			fe->fn(l, fd, what, fe->arg);
		}
	}
	return 0;
}
