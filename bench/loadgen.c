/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	loadgen - closed-loop load generator for socketmap and policy servers
 *
 * SYNOPSIS
 *	loadgen [-p socketmap|policy] [-m mapname] [-c conns] [-d seconds]
 *		[-n requests] [-w warmup_seconds] [-t reply_timeout_ms]
 *		[-s seed] [-l label] [-o] -k keyfile unix:/path|inet:host:port
 *
 * DESCRIPTION
 *	Opens C connections to the server and keeps exactly one request
 *	outstanding on each (closed loop, like C Postfix processes): as
 *	soon as a reply arrives, the next request goes out on the same
 *	connection.  Keys are read from keyfile, one a line, and drawn at
 *	random (fixed seed) for each request.  With -o each key is asked
 *	once, in file order, and the run ends when every key is answered
 *	(or at the -d deadline): for first-contact (cold) runs, where a
 *	repeated key would be a cache hit.
 *
 *	socketmap requests are netstrings "mapname key"; each reply must be
 *	one well-formed netstring whose payload starts with "OK ",
 *	"NOTFOUND", "TEMP", "TIMEOUT" or "PERM", and nothing may follow it
 *	(only one request is outstanding).  policy requests are Postfix
 *	policy delegation attribute lists (smtpd_access_policy, RCPT state,
 *	the key as the client and sender domain); each reply must be exactly
 *	"action=VALUE\n\n" with a non-empty VALUE.
 *
 *	Replies received during the warm-up are checked but not counted.
 *	Then the run lasts -d seconds, or until -n replies were counted.
 *	Latencies go into a log-linear histogram of nanoseconds with 64
 *	sub-buckets per power of two (under 1.6 % error), enough for p99.9.
 *
 *	A failed connect (refused, backlog full) is counted as "refused" and
 *	retried after 10 ms; a reply that breaks the framing, a connection
 *	closed by the server, or a reply slower than the timeout is counted
 *	in "errors" and the connection is reopened.
 *
 * OUTPUT
 *	A human-readable summary, then one machine-readable last line:
 *	RESULT label=L proto=P conc=C secs=S reqs=N rps=R p50_us=.. p90_us=..
 *	p99_us=.. p999_us=.. max_us=.. ok=.. notfound=.. temp=.. perm=..
 *	errors=.. refused=.. timeouts=.. inflight=..
 *	(for policy: dunno=.. okact=.. defer=.. reject=.. other=..).
 *
 * DIAGNOSTICS
 *	Exit 0 after a run without errors, 1 when replies were malformed or
 *	lost, 2 on bad usage or set-up failure.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "keyfile.h"

#define SUB_BITS	6
#define SUB_COUNT	(1 << SUB_BITS)
#define HIST_SIZE	(2 * SUB_COUNT + 58 * SUB_COUNT)
#define INBUF		65536
#define RETRY_NS	10000000ULL

enum proto { P_SOCKMAP, P_POLICY };

/* Reply classes; the names depend on the protocol. */
enum { R_0, R_1, R_2, R_3, R_4, R_N };
static const char *class_sockmap[R_N] = { "ok", "notfound", "temp", "perm",
    "timeout" };
static const char *class_policy[R_N] = { "dunno", "okact", "defer", "reject",
    "other" };

struct req {
	char *buf;
	size_t len;
};

struct conn {
	int fd;
	int connecting;
	uint64_t sent_ns;	/* 0: nothing outstanding */
	uint64_t retry_ns;	/* when fd < 0: reconnect at */
	const struct req *rq;
	size_t outoff;
	char in[INBUF];
	size_t inlen;
};

struct gen {
	enum proto proto;
	struct sockaddr_storage sa;
	socklen_t salen;
	int ep;
	struct req *reqs;
	size_t nreqs;
	uint64_t rng;
	int once;		/* -o: each key once, in order */
	size_t next;		/* -o: next key to send */
	uint64_t timeout_ns;
	int counting;
	uint64_t hist[HIST_SIZE];
	uint64_t count, max_ns;
	uint64_t classes[R_N];
	uint64_t errors, refused, timeouts;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
die(const char *msg)
{
	fprintf(stderr, "loadgen: %s\n", msg);
	exit(2);
}

/* Histogram index: exact below 2*SUB_COUNT, then SUB_COUNT per octave. */
static size_t
hist_index(uint64_t v)
{
	int msb, shift;
	size_t i;

	if (v < 2 * SUB_COUNT)
		return (size_t)v;
	msb = 63 - __builtin_clzll(v);
	shift = msb - SUB_BITS;
	i = 2 * SUB_COUNT + (size_t)(shift - 1) * SUB_COUNT
	    + (size_t)((v >> shift) - SUB_COUNT);
	return i < HIST_SIZE ? i : HIST_SIZE - 1;
}

/* Middle of the bucket at index i. */
static uint64_t
hist_value(size_t i)
{
	size_t shift;
	uint64_t lo;

	if (i < 2 * SUB_COUNT)
		return i;
	shift = (i - 2 * SUB_COUNT) / SUB_COUNT + 1;
	lo = ((uint64_t)SUB_COUNT + (i - 2 * SUB_COUNT) % SUB_COUNT) << shift;
	return lo + ((1ULL << shift) >> 1);
}

static double
percentile_us(const struct gen *g, double p)
{
	uint64_t want, seen = 0;
	size_t i;

	if (g->count == 0)
		return 0;
	want = (uint64_t)(p * (double)g->count + 0.999999);
	if (want == 0)
		want = 1;
	for (i = 0; i < HIST_SIZE; i++) {
		seen += g->hist[i];
		if (seen >= want)
			return (double)hist_value(i) / 1000.0;
	}
	return (double)g->max_ns / 1000.0;
}

static uint64_t
rng_next(struct gen *g)
{
	g->rng ^= g->rng << 13;
	g->rng ^= g->rng >> 7;
	g->rng ^= g->rng << 17;
	return g->rng;
}

/* Pre-encode one request per key, so the generator spends its time on I/O. */
static void
encode_request(struct gen *g, struct req *r, const char *map, const char *key)
{
	char payload[4096];
	int n;

	if (g->proto == P_SOCKMAP) {
		n = snprintf(payload, sizeof(payload), "%s %s", map, key);
		if (n < 0 || (size_t)n >= sizeof(payload))
			die("key too long");
		r->len = (size_t)snprintf(NULL, 0, "%d:%s,", n, payload);
		r->buf = malloc(r->len + 1);
		if (r->buf == NULL)
			die("out of memory");
		snprintf(r->buf, r->len + 1, "%d:%s,", n, payload);
		return;
	}
	n = snprintf(payload, sizeof(payload),
	    "request=smtpd_access_policy\nprotocol_state=RCPT\n"
	    "protocol_name=ESMTP\nclient_address=127.0.0.1\n"
	    "client_name=mail.%s\nreverse_client_name=mail.%s\n"
	    "helo_name=mail.%s\nsender=bench@%s\nrecipient=user@example.net\n"
	    "recipient_count=0\nqueue_id=\ninstance=bench.1\nsize=1024\n"
	    "encryption_protocol=TLSv1.3\nencryption_cipher=TLS_AES_256_GCM_SHA384\n"
	    "encryption_keysize=256\nccert_subject=\nccert_issuer=\n"
	    "ccert_fingerprint=\nccert_pubkey_fingerprint=\n"
	    "server_address=127.0.0.1\nserver_port=25\n\n",
	    key, key, key, key);
	if (n < 0 || (size_t)n >= sizeof(payload))
		die("key too long");
	r->len = (size_t)n;
	if ((r->buf = strdup(payload)) == NULL)
		die("out of memory");
}

static void
load_keys(struct gen *g, const char *path, const char *map)
{
	size_t n;
	char **keys = keyfile_read(path, &n);

	if ((g->reqs = calloc(n, sizeof(*g->reqs))) == NULL)
		die("out of memory");
	for (g->nreqs = 0; g->nreqs < n; g->nreqs++) {
		encode_request(g, &g->reqs[g->nreqs], map, keys[g->nreqs]);
		free(keys[g->nreqs]);
	}
	free(keys);
}

static void
parse_addr(struct gen *g, const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un *sun = (struct sockaddr_un *)&g->sa;

		if (strlen(spec + 5) >= sizeof(sun->sun_path))
			die("socket path too long");
		sun->sun_family = AF_UNIX;
		strcpy(sun->sun_path, spec + 5);
		g->salen = sizeof(*sun);
	} else if (strncmp(spec, "inet:", 5) == 0) {
		char host[256];
		const char *port = strrchr(spec + 5, ':');
		struct addrinfo hints, *res;
		size_t hl;

		if (port == NULL || (hl = (size_t)(port - spec - 5)) >= sizeof(host))
			die("inet:host:port expected");
		memcpy(host, spec + 5, hl);
		host[hl] = '\0';
		if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
			memmove(host, host + 1, hl - 2);
			host[hl - 2] = '\0';
		}
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
		if (getaddrinfo(host, port + 1, &hints, &res) != 0)
			die("numeric inet:host:port expected");
		memcpy(&g->sa, res->ai_addr, res->ai_addrlen);
		g->salen = res->ai_addrlen;
		freeaddrinfo(res);
	} else
		die("address must be unix:/path or inet:host:port");
}

static void
conn_close(struct gen *g, struct conn *c, uint64_t now)
{
	if (c->fd >= 0) {
		epoll_ctl(g->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->connecting = 0;
	c->sent_ns = 0;
	c->inlen = 0;
	c->retry_ns = now + RETRY_NS;
}

static void
conn_watch(struct gen *g, struct conn *c, uint32_t events)
{
	struct epoll_event ev;

	ev.events = events;
	ev.data.ptr = c;
	if (epoll_ctl(g->ep, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		die("epoll_ctl");
}

/* Send the next request; a short write waits for EPOLLOUT. */
static void
conn_send(struct gen *g, struct conn *c, uint64_t now)
{
	ssize_t n;

	if (c->sent_ns == 0) {
		if (g->once && g->next >= g->nreqs)
			return;		/* every key sent: stay idle */
		c->rq = g->once ? &g->reqs[g->next++]
		    : &g->reqs[rng_next(g) % g->nreqs];
		c->outoff = 0;
		c->sent_ns = now;
	}
	n = write(c->fd, c->rq->buf + c->outoff, c->rq->len - c->outoff);
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		g->errors++;
		conn_close(g, c, now);
		return;
	}
	if (n > 0)
		c->outoff += (size_t)n;
	if (c->outoff < c->rq->len)
		conn_watch(g, c, EPOLLIN | EPOLLOUT);
}

static void
conn_open(struct gen *g, struct conn *c, uint64_t now)
{
	struct epoll_event ev;
	int fd;

	fd = socket(g->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	c->fd = fd;
	c->inlen = 0;
	c->sent_ns = 0;
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.ptr = c;
	if (epoll_ctl(g->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll_ctl");
	if (connect(fd, (struct sockaddr *)&g->sa, g->salen) == 0) {
		conn_watch(g, c, EPOLLIN);
		conn_send(g, c, now);
	} else if (errno == EINPROGRESS) {
		c->connecting = 1;
	} else {
		/* ECONNREFUSED, or EAGAIN: a unix listener's backlog is full. */
		g->refused++;
		conn_close(g, c, now);
	}
}

/* Connect finished: refused, or ready for the first request. */
static void
conn_connected(struct gen *g, struct conn *c, uint64_t now)
{
	int err = 0;
	socklen_t len = sizeof(err);

	c->connecting = 0;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
		g->refused++;
		conn_close(g, c, now);
		return;
	}
	conn_watch(g, c, EPOLLIN);
	conn_send(g, c, now);
}

/* Class of a socketmap reply payload; -1 when it is none of them. */
static int
class_of_sockmap(const char *p, size_t len)
{
	if (len >= 4 && memcmp(p, "OK ", 3) == 0)
		return R_0;
	if ((len == 8 || (len > 8 && p[8] == ' '))
	    && memcmp(p, "NOTFOUND", 8) == 0)
		return R_1;
	if ((len == 4 || (len > 4 && p[4] == ' ')) && memcmp(p, "TEMP", 4) == 0)
		return R_2;
	if ((len == 4 || (len > 4 && p[4] == ' ')) && memcmp(p, "PERM", 4) == 0)
		return R_3;
	if ((len == 7 || (len > 7 && p[7] == ' '))
	    && memcmp(p, "TIMEOUT", 7) == 0)
		return R_4;
	return -1;
}

/*
 * Parse one socketmap reply at the start of buf.  Returns its total
 * length and sets *cls, 0 when more bytes are needed, -1 on bad framing.
 */
static long
parse_sockmap(const char *buf, size_t len, int *cls)
{
	size_t i = 0, plen = 0;

	while (i < len && buf[i] >= '0' && buf[i] <= '9') {
		plen = plen * 10 + (size_t)(buf[i] - '0');
		if (++i > 6 || plen > 100000)
			return -1;
	}
	if (i == len)
		return 0;
	if (i == 0 || buf[i] != ':' || (buf[0] == '0' && i > 1))
		return -1;
	if (len < i + 1 + plen + 1)
		return 0;
	if (buf[i + 1 + plen] != ',')
		return -1;
	if ((*cls = class_of_sockmap(buf + i + 1, plen)) < 0)
		return -1;
	return (long)(i + 2 + plen);
}

/* Same contract for a policy reply: exactly "action=VALUE\n\n". */
static long
parse_policy(const char *buf, size_t len, int *cls)
{
	const char *end = memmem(buf, len, "\n\n", 2);
	const char *v;
	size_t vlen;

	if (end == NULL)
		return len > 4096 ? -1 : 0;
	if ((size_t)(end - buf) < 8 || memcmp(buf, "action=", 7) != 0)
		return -1;
	v = buf + 7;
	vlen = (size_t)(end - v);
	if (memchr(v, '\n', vlen) != NULL || memchr(v, '\r', vlen) != NULL)
		return -1;
	if (vlen >= 5 && strncasecmp(v, "DUNNO", 5) == 0)
		*cls = R_0;
	else if (vlen >= 2 && strncasecmp(v, "OK", 2) == 0)
		*cls = R_1;
	else if (v[0] == '4' || strncasecmp(v, "DEFER", 5) == 0)
		*cls = R_2;
	else if (v[0] == '5' || strncasecmp(v, "REJECT", 6) == 0)
		*cls = R_3;
	else
		*cls = R_4;
	return (long)(end - buf) + 2;
}

static void
record(struct gen *g, int cls, uint64_t lat)
{
	if (!g->counting)
		return;
	g->hist[hist_index(lat)]++;
	g->count++;
	g->classes[cls]++;
	if (lat > g->max_ns)
		g->max_ns = lat;
}

static void
conn_read(struct gen *g, struct conn *c, uint64_t now)
{
	ssize_t n;
	long used;
	int cls = 0;

	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* The server closed or failed the connection. */
		g->errors++;
		conn_close(g, c, now);
		return;
	}
	c->inlen += (size_t)n;
	used = g->proto == P_SOCKMAP ? parse_sockmap(c->in, c->inlen, &cls)
	    : parse_policy(c->in, c->inlen, &cls);
	if (used == 0 && c->inlen < sizeof(c->in))
		return;
	/* Bad framing, a reply nobody asked for, or trailing bytes. */
	if (used <= 0 || c->sent_ns == 0 || (size_t)used != c->inlen) {
		g->errors++;
		conn_close(g, c, now);
		return;
	}
	record(g, cls, now - c->sent_ns);
	c->inlen = 0;
	c->sent_ns = 0;
	conn_send(g, c, now);
}

/* Reopen closed connections and give up on replies slower than the timeout. */
static void
tick(struct gen *g, struct conn *conns, int nconn, uint64_t now)
{
	int i;

	for (i = 0; i < nconn; i++) {
		struct conn *c = &conns[i];

		if (c->fd < 0 && now >= c->retry_ns)
			conn_open(g, c, now);
		else if (c->fd >= 0 && c->sent_ns && g->timeout_ns
		    && now - c->sent_ns > g->timeout_ns) {
			g->timeouts++;
			g->errors++;
			conn_close(g, c, now);
		}
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: loadgen [-p socketmap|policy] [-m map] [-c conns] "
	    "[-d secs] [-n reqs] [-w warmup_secs] [-t timeout_ms] [-s seed] "
	    "[-l label] [-o] -k keyfile unix:/path|inet:host:port\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static struct gen g;
	struct conn *conns;
	struct epoll_event evs[256];
	const char *map = "tlspolicy", *keyfile = NULL, *label = "-";
	const char **names;
	double secs = 5, warm = 1, elapsed;
	unsigned long long maxreq = 0;
	uint64_t start, t0 = 0, end, now;
	int ch, nconn = 1, i, n, inflight = 0;

	g.proto = P_SOCKMAP;
	g.rng = 88172645463325252ULL;
	g.timeout_ns = 10000000000ULL;
	while ((ch = getopt(argc, argv, "p:m:c:d:n:w:t:s:l:k:o")) != -1) {
		switch (ch) {
		case 'p':
			if (strcmp(optarg, "socketmap") == 0)
				g.proto = P_SOCKMAP;
			else if (strcmp(optarg, "policy") == 0)
				g.proto = P_POLICY;
			else
				usage();
			break;
		case 'm': map = optarg; break;
		case 'c': nconn = atoi(optarg); break;
		case 'd': secs = atof(optarg); break;
		case 'n': maxreq = strtoull(optarg, NULL, 10); break;
		case 'w': warm = atof(optarg); break;
		case 't': g.timeout_ns = strtoull(optarg, NULL, 10) * 1000000ULL; break;
		case 's': g.rng = strtoull(optarg, NULL, 10) | 1; break;
		case 'l': label = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'o': g.once = 1; break;
		default: usage();
		}
	}
	if (optind + 1 != argc || keyfile == NULL || nconn < 1 || secs <= 0
	    || warm < 0)
		usage();
	parse_addr(&g, argv[optind]);
	load_keys(&g, keyfile, map);
	if (g.once && (maxreq == 0 || maxreq > g.nreqs))
		maxreq = g.nreqs;
	if ((g.ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll_create1");
	if ((conns = calloc((size_t)nconn, sizeof(*conns))) == NULL)
		die("out of memory");

	start = now_ns();
	for (i = 0; i < nconn; i++)
		conn_open(&g, &conns[i], start);
	if (warm == 0) {
		g.counting = 1;
		t0 = start;
	}
	end = start + (uint64_t)((warm + secs) * 1e9);
	for (;;) {
		n = epoll_wait(g.ep, evs, 256, 5);
		now = now_ns();
		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c->fd < 0)
				continue;
			if (c->connecting) {
				conn_connected(&g, c, now);
				continue;
			}
			if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				conn_read(&g, c, now);
			else if (c->fd >= 0 && (evs[i].events & EPOLLOUT)) {
				conn_watch(&g, c, EPOLLIN);
				conn_send(&g, c, now);
			}
		}
		if (!g.counting && now >= start + (uint64_t)(warm * 1e9)) {
			g.counting = 1;
			t0 = now;
		}
		if (now >= end || (maxreq && g.count >= maxreq))
			break;
		if (g.once && g.next >= g.nreqs) {
			/* All sent; done when none is outstanding (a key lost
			 * to an error is not asked again). */
			for (i = 0; i < nconn; i++)
				if (conns[i].fd >= 0 && conns[i].sent_ns)
					break;
			if (i == nconn)
				break;
		}
		tick(&g, conns, nconn, now);
	}
	elapsed = t0 ? (double)(now - t0) / 1e9 : 0;
	for (i = 0; i < nconn; i++)
		if (conns[i].fd >= 0 && conns[i].sent_ns)
			inflight++;

	names = g.proto == P_SOCKMAP ? class_sockmap : class_policy;
	printf("%s %s, %d connections, %.2f s (after %.1f s warm-up), %zu keys\n",
	    label, g.proto == P_SOCKMAP ? "socketmap" : "policy", nconn, elapsed,
	    warm, g.nreqs);
	printf("  requests %llu, %.0f/s\n", (unsigned long long)g.count,
	    elapsed > 0 ? (double)g.count / elapsed : 0);
	printf("  latency us: p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n",
	    percentile_us(&g, 0.50), percentile_us(&g, 0.90),
	    percentile_us(&g, 0.99), percentile_us(&g, 0.999),
	    (double)g.max_ns / 1000.0);
	printf("  replies:");
	for (i = 0; i < R_N; i++)
		printf(" %s %llu", names[i], (unsigned long long)g.classes[i]);
	printf("\n  errors %llu (timeouts %llu), refused connects %llu, "
	    "in flight at end %d\n", (unsigned long long)g.errors,
	    (unsigned long long)g.timeouts, (unsigned long long)g.refused,
	    inflight);
	printf("RESULT label=%s proto=%s conc=%d secs=%.2f reqs=%llu rps=%.0f "
	    "p50_us=%.1f p90_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f",
	    label, g.proto == P_SOCKMAP ? "socketmap" : "policy", nconn, elapsed,
	    (unsigned long long)g.count,
	    elapsed > 0 ? (double)g.count / elapsed : 0,
	    percentile_us(&g, 0.50), percentile_us(&g, 0.90),
	    percentile_us(&g, 0.99), percentile_us(&g, 0.999),
	    (double)g.max_ns / 1000.0);
	for (i = 0; i < R_N; i++)
		printf(" %s=%llu", names[i], (unsigned long long)g.classes[i]);
	printf(" errors=%llu refused=%llu timeouts=%llu inflight=%d\n",
	    (unsigned long long)g.errors, (unsigned long long)g.refused,
	    (unsigned long long)g.timeouts, inflight);
	return g.errors ? 1 : 0;
}
