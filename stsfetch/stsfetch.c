/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	stsfetch - MTA-STS policy fetcher (HTTPS), a child of tlspolicyd
 *
 * SYNOPSIS
 *	stsfetch [-v] [-C cafile] [-c connect_timeout] [-t total_timeout]
 *	    [-r rate_limit] [-w workers] [-q max_queued]
 *	stsfetch -1 domain [-v] [-C cafile] [-c ...] [-t ...]
 *
 * DESCRIPTION
 *	tlspolicyd starts stsfetch with a socketpair on its stdin and
 *	stdout.  Each request is one JSON object on one line:
 *
 *	    {"id":N,"domain":"example.com"}
 *	    {"id":N,"domain":"example.com","policy_id":"20240101","force":true}
 *
 *	policy_id (optional) is the id of the _mta-sts TXT record that made
 *	the daemon ask; force (optional) skips the rate limit below.  Each
 *	answer one line, in completion order (not request order):
 *
 *	    {"id":N,"domain":"example.com","ok":true,"fetched_at":T,
 *	     "policy":{"max_age":..,"mode":..,"mx":[..],"text":".."}}
 *	    {"id":N,"domain":"example.com","ok":false,
 *	     "error":"sts-policy-fetch-error","detail":"HTTP status 404"}
 *
 *	"policy" is the JSON form of sts_policy(3) (sts_policy_to_json());
 *	the receiver validates it again.  "error" is a TLSRPT result type:
 *	sts-webpki-invalid (certificate chain, expiry or name),
 *	sts-policy-invalid (media type not text/plain, malformed policy),
 *	sts-policy-fetch-error (anything else: DNS, connect, TLS, HTTP
 *	status, redirect, size, timeout, bad request, queue full).  T is
 *	the wall-clock time of the fetch (time(2)).
 *
 *	A fetch is GET https://mta-sts.DOMAIN/.well-known/mta-sts.txt over
 *	HTTP/1.1 (Host, User-Agent, Connection: close; chunked responses
 *	are decoded), SNI and certificate name = mta-sts.DOMAIN, chain
 *	checked inside the handshake (gnutls_certificate_verify_peers())
 *	against the system trust store or the -C file, TLS 1.2 or later.
 *	A chain that verified and is presented again by another host is
 *	recognised by its bytes (certcache(3)): only its dates and the
 *	host name are checked again.
 *	Redirects are not followed; only status 200 with media type
 *	text/plain and a body of at most 65536 bytes is accepted (RFC 8461
 *	3.3).  The response is judged by fetchproto(3) (over http_resp(3)),
 *	requests and replies are coded there too, the policy is parsed by
 *	sts_policy(3): this file only moves bytes.
 *
 *	Concurrency: the main thread reads requests; a fixed pool of
 *	worker threads (-w, default 8) takes fetches from a queue (at most
 *	-q entries, default 1000; more are refused at once).  Each worker
 *	does one fetch at a time with its own deadlines: name resolution
 *	with one A query of its own over UDP (getaddrinfo_a() waited on in
 *	slices when that gives no address), then a non-blocking
 *	connect() per address, TLS and HTTP driven by poll(); so a slow or
 *	stalled server only ties up its own worker.  Connect timeout (-c,
 *	default 10 s) bounds resolution and each connect attempt; the total
 *	timeout (-t, default 60 s) bounds the whole fetch.
 *
 *	Storm control: at most one fetch per domain is in flight; a request
 *	for a domain being fetched joins that fetch and gets the same
 *	answer.  A request for a domain whose fetch finished less than -r
 *	seconds ago (default 5) gets that previous answer again, not a new
 *	fetch, when it asks for the same policy_id; for another policy_id
 *	it gets the error sts-policy-fetch-error "rate-limited" (an old
 *	policy must never be handed back under a new id).  force skips
 *	this rule (an admin's flush).
 *
 *	stsfetch writes no files and holds no state beyond those short
 *	tables; the CA file is read once at start.  Then, before any thread
 *	exists, it confines itself for good: Landlock and a seccomp
 *	allow-list (sandbox.h); tlspolicyd runs it as a user of its own.  Malformed request
 *	lines are answered with an error when their id can be read, else
 *	logged and skipped.  When stdin closes, queued requests are
 *	dropped, running fetches are aborted, and it exits 0.  Logs go to
 *	stderr (the parent forwards them).
 *
 *	Report POSTs (TLSRPT, RFC 8460 5.4): a request
 *	{"id":N,"post":"https://host[:port]/path","body":"HEX"} (fetchipc.h,
 *	POST REQUESTS) sends the gzip report with media type
 *	application/tlsrpt+gzip over TLS checked as for a policy fetch, and
 *	answers {"id":N,"post":true,"ok":B,"status":S,"detail":..}, ok for
 *	2xx.  Such jobs share the worker pool and queue, but never join
 *	another request and are not rate-limited.
 *
 *	-1 DOMAIN fetches once, prints the answer (id 0) and exits 0 when
 *	a policy was fetched, 1 otherwise: a debugging aid.
 *
 * EXIT STATUS
 *	0 after stdin closed (or a successful -1 fetch); 1 for a failed -1
 *	fetch; 2 for a usage or start-up error (e.g. no trust anchors).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdarg.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <resolv.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "certcache.h"
#include "domain.h"
#include "fetchproto.h"
#include "htable.h"
#include "http_resp.h"
#include "log.h"
#include "sandbox.h"
#include "sts_policy.h"
#include "sts_txt.h"
#include "util.h"

#define REQ_LINE_MAX	FETCH_POST_LINE_MAX	/* a POST carries a report */
#define RAW_MAX		(HTTP_MAX_HEADER + 2 * STS_POLICY_MAX_BODY)
/*
 * The lookup is polled with gai_error() between short sleeps; gai_suspend()
 * is not used at all: when its wait times out, glibc 2.36 can leave its
 * wait-list entry behind and __gai_notify() later writes through it (a
 * SIGSEGV under load, seen in the cold MTA-STS benchmark), which also made
 * it look as if it were never woken.  A 2 ms slice keeps a fetch from
 * idling.
 */
#define GAI_SLICE_MS	2
#define RECENT_PRUNE	1024	/* prune the recent table above this */

#define ERR_FETCH	FETCH_ERR_FETCH
#define ERR_INVALID	FETCH_ERR_INVALID
#define ERR_WEBPKI	FETCH_ERR_WEBPKI

static struct {
	const char *cafile;
	int connect_to;		/* seconds */
	int total_to;
	int rate;
	int workers;
	int max_queued;
} opt = { NULL, 10, 60, 5, 8, 1000 };

static gnutls_certificate_credentials_t cred;
static gnutls_priority_t prio;		/* TLS 1.2 or later, parsed once */
static int stop_fds[2] = { -1, -1 };	/* write end closed = stop */

/* One fetch of one domain and the requests waiting for it. */
struct job {
	char domain[DOMAIN_MAX + 1];
	char policy_id[STS_ID_MAX + 1];
	long long *ids;
	size_t nids;
	struct job *next;
	struct fetch_req *post;		/* a report POST, not a fetch */
};

/* The answer of a finished fetch, kept -r seconds for repeats. */
struct recent {
	int64_t done_ms;
	char policy_id[STS_ID_MAX + 1];
	char *tail;		/* reply JSON without its leading '{' */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;
static struct htable *inflight;		/* domain -> struct job */
static struct htable *recent;		/* domain -> struct recent */
static struct job *q_head, *q_tail;
static int nqueued;
static int stopping;

/* State of one fetch in a worker. */
struct fetch {
	const char *domain;
	char host[DOMAIN_MAX + 1];
	unsigned port;			/* 0: 443 */
	int64_t start_ms, deadline_ms;
	int fd;
	gnutls_session_t s;
	char *raw;
	size_t rawlen;
	struct http_resp resp;
	const char *error;		/* TLSRPT result type, NULL = ok */
	unsigned vstatus;		/* certificate verification status */
	char detail[512];
	struct sts_policy policy;
	int have_policy;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
fail(struct fetch *f, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record the first failure of a fetch; always returns -1. */
static int
fail(struct fetch *f, const char *type, const char *fmt, ...)
{
	va_list ap;

	if (f->error != NULL)
		return -1;
	f->error = type;
	va_start(ap, fmt);
	vsnprintf(f->detail, sizeof(f->detail), fmt, ap);
	va_end(ap);
	return -1;
}

static int
shutting_down(void)
{
	struct pollfd p = { stop_fds[0], POLLIN, 0 };

	return poll(&p, 1, 0) > 0;
}

/*
 * Wait for fd to be ready for events, at most until limit_ms; the stop
 * pipe aborts the wait.  Returns 1 ready, or -1 with the failure set.
 */
static int
wait_fd(struct fetch *f, int fd, short events, int64_t limit_ms,
    const char *what)
{
	struct pollfd p[2] = { { fd, events, 0 }, { stop_fds[0], POLLIN, 0 } };

	for (;;) {
		int64_t left = limit_ms - now_ms();
		int n;

		if (left <= 0)
			return fail(f, ERR_FETCH, "timeout after %lld s %s",
			    (long long)(now_ms() - f->start_ms + 500) / 1000,
			    what);
		n = poll(p, 2, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(f, ERR_FETCH, "poll: %s", strerror(errno));
		if (p[1].revents)
			return fail(f, ERR_FETCH, "aborted: shutting down");
		if (p[0].revents)
			return 1;
	}
}

/* Resolution ------------------------------------------------------- */

/* A lookup that outlived its fetch; freed once glibc is done with it. */
struct gai_req {
	struct gaicb cb;
	struct addrinfo hints;
	char name[DOMAIN_MAX + 1];
	struct gai_req *next;
};

static pthread_mutex_t gai_mu = PTHREAD_MUTEX_INITIALIZER;
static struct gai_req *abandoned;

static void
gai_req_free(struct gai_req *r)
{
	if (r->cb.ar_result)
		freeaddrinfo(r->cb.ar_result);
	free(r);
}

static void
reap_abandoned(void)
{
	struct gai_req **pp, *r;

	pthread_mutex_lock(&gai_mu);
	for (pp = &abandoned; (r = *pp) != NULL;) {
		if (gai_error(&r->cb) != EAI_INPROGRESS) {
			*pp = r->next;
			gai_req_free(r);
		} else {
			pp = &r->next;
		}
	}
	pthread_mutex_unlock(&gai_mu);
}

static void
abandon(struct gai_req *r)
{
	if (gai_cancel(&r->cb) != EAI_NOTCANCELED
	    && gai_error(&r->cb) != EAI_INPROGRESS) {
		gai_req_free(r);
		return;
	}
	pthread_mutex_lock(&gai_mu);
	r->next = abandoned;
	abandoned = r;
	pthread_mutex_unlock(&gai_mu);
}

/* The TCP port of f: a report POST may name one, policies use 443. */
static unsigned
fetch_port(const struct fetch *f)
{
	return f->port ? f->port : 443;
}

/* getaddrinfo_a() polled in slices so deadlines and stop apply. */
static struct addrinfo *
resolve(struct fetch *f)
{
	struct gai_req *r = xcalloc(1, sizeof(*r));
	struct gaicb *list[1] = { &r->cb };
	int64_t limit = f->start_ms + opt.connect_to * 1000LL;
	struct addrinfo *res;
	char service[16];
	int rc;

	snprintf(service, sizeof(service), "%u", fetch_port(f));
	snprintf(r->name, sizeof(r->name), "%s", f->host);
	r->hints.ai_family = AF_UNSPEC;
	r->hints.ai_socktype = SOCK_STREAM;
	r->cb.ar_name = r->name;
	r->cb.ar_service = service;
	r->cb.ar_request = &r->hints;
	if ((rc = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL)) != 0) {
		free(r);
		fail(f, ERR_FETCH, "resolving %s: %s", f->host,
		    gai_strerror(rc));
		return NULL;
	}
	while ((rc = gai_error(&r->cb)) == EAI_INPROGRESS) {
		int64_t left = limit - now_ms();
		struct timespec ts = { 0, GAI_SLICE_MS * 1000000L };

		if (left <= 0 || shutting_down()) {
			abandon(r);
			if (left <= 0)
				fail(f, ERR_FETCH, "timeout after %d s resolving "
				    "%s", opt.connect_to, f->host);
			else
				fail(f, ERR_FETCH, "aborted: shutting down");
			return NULL;
		}
		nanosleep(&ts, NULL);
	}
	if (rc != 0) {
		fail(f, ERR_FETCH, "resolving %s: %s", f->host,
		    gai_strerror(rc));
		gai_req_free(r);
		return NULL;
	}
	res = r->cb.ar_result;
	free(r);
	return res;
}

/*
 * The common case without getaddrinfo_a(): one A query, sent from this
 * worker to the name servers of resolv.conf over UDP and waited for with
 * poll() (deadline and stop as everywhere), answer parsed here.  NULL
 * when that gave no address (no IPv4 address, a truncated or failed
 * answer, no name server): resolve() then asks getaddrinfo_a() for
 * everything (IPv6, /etc/hosts).  *gone is set when the fetch is over
 * (timeout or stop), with its failure recorded.
 */
static __thread struct __res_state tres;
static __thread int res_ready;

static struct __res_state *
res_get(void)
{
	if (!res_ready) {
		memset(&tres, 0, sizeof(tres));
		if (res_ninit(&tres) != 0)
			return NULL;
		res_ready = 1;
	}
	return &tres;
}

/* An addrinfo for one IPv4 address and port, prepended to *list. */
static void
ai_add_v4(struct addrinfo **list, const unsigned char *a4, unsigned port)
{
	struct {
		struct addrinfo ai;
		struct sockaddr_in sin;
	} *n = xcalloc(1, sizeof(*n));

	n->sin.sin_family = AF_INET;
	n->sin.sin_port = htons((uint16_t)port);
	memcpy(&n->sin.sin_addr, a4, 4);
	n->ai.ai_family = AF_INET;
	n->ai.ai_socktype = SOCK_STREAM;
	n->ai.ai_protocol = IPPROTO_TCP;
	n->ai.ai_addrlen = sizeof(n->sin);
	n->ai.ai_addr = (struct sockaddr *)&n->sin;
	n->ai.ai_next = *list;
	*list = &n->ai;
}

/*
 * The IPv4 addresses in an answer to query id, in order, with port;
 * NULL if none.
 */
static struct addrinfo *
parse_a(const unsigned char *msg, int len, unsigned id, unsigned port)
{
	struct addrinfo *list = NULL, *rev = NULL, *next;
	ns_msg m;
	ns_rr rr;
	int i;

	if (ns_initparse(msg, len, &m) < 0 || ns_msg_id(m) != id
	    || !ns_msg_getflag(m, ns_f_qr) || ns_msg_getflag(m, ns_f_tc)
	    || ns_msg_getflag(m, ns_f_rcode) != ns_r_noerror)
		return NULL;
	for (i = 0; i < ns_msg_count(m, ns_s_an); i++) {
		if (ns_parserr(&m, ns_s_an, i, &rr) < 0)
			break;
		if (ns_rr_type(rr) == ns_t_a && ns_rr_class(rr) == ns_c_in
		    && ns_rr_rdlen(rr) == 4)
			ai_add_v4(&rev, ns_rr_rdata(rr), port);
	}
	for (; rev != NULL; rev = next) {	/* back to answer order */
		next = rev->ai_next;
		rev->ai_next = list;
		list = rev;
	}
	return list;
}

/*
 * One try at one name server until slice: an answer's addresses, or NULL
 * with *done set when the answer had none (asking on is of no use).
 */
static struct addrinfo *
ask_server(struct fetch *f, const struct sockaddr_in *ns,
    const unsigned char *q, int qlen, int64_t slice, int *gone, int *done)
{
	unsigned char ans[NS_PACKETSZ * 4];
	struct addrinfo *res = NULL;
	struct fetch probe;
	int fd, n;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	if (connect(fd, (const struct sockaddr *)ns, sizeof(*ns)) < 0
	    || send(fd, q, qlen, 0) != qlen)
		goto out;
	memset(&probe, 0, sizeof(probe));
	probe.start_ms = f->start_ms;
	while (res == NULL && wait_fd(&probe, fd, POLLIN, slice,
	    "resolving") > 0) {
		if ((n = recv(fd, ans, sizeof(ans), 0)) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			break;		/* e.g. ICMP port unreachable */
		}
		if ((res = parse_a(ans, n, (unsigned)q[0] << 8 | q[1],
		    fetch_port(f))) == NULL
		    && n >= 2 && ans[0] == q[0] && ans[1] == q[1]) {
			*done = 1;	/* our answer, no address in it */
			break;
		}
	}
	if (res == NULL && probe.error != NULL && shutting_down()) {
		*gone = 1;
		fail(f, ERR_FETCH, "aborted: shutting down");
	}
out:
	close(fd);
	return res;
}

static struct addrinfo *
resolve_a(struct fetch *f, int *gone)
{
	unsigned char q[NS_PACKETSZ];
	int64_t limit = f->start_ms + opt.connect_to * 1000LL, slice;
	struct __res_state *rs = res_get();
	struct addrinfo *res = NULL;
	int qlen, i, t, done = 0;

	*gone = 0;
	if (rs == NULL || rs->nscount == 0 || (qlen = res_nmkquery(rs,
	    ns_o_query, f->host, ns_c_in, ns_t_a, NULL, 0, NULL, q,
	    sizeof(q))) < NS_HFIXEDSZ)
		return NULL;
	for (t = 0; t < (rs->retry > 0 ? rs->retry : 1) && res == NULL
	    && !done && !*gone; t++)
		for (i = 0; i < rs->nscount && res == NULL && !done && !*gone;
		    i++) {
			if (rs->nsaddr_list[i].sin_family != AF_INET)
				continue;
			slice = now_ms() + (rs->retrans > 0
			    ? rs->retrans : 5) * 1000LL;
			if (slice > limit)
				slice = limit;
			res = ask_server(f, &rs->nsaddr_list[i], q, qlen,
			    slice, gone, &done);
			if (res == NULL && now_ms() >= limit) {
				*gone = 1;
				fail(f, ERR_FETCH, "timeout after %d s "
				    "resolving %s", opt.connect_to, f->host);
			}
		}
	return res;
}

/* Free what resolve_a() or getaddrinfo made. */
static void
addr_free(struct addrinfo *res, int own)
{
	struct addrinfo *next;

	if (!own) {
		freeaddrinfo(res);
		return;
	}
	for (; res != NULL; res = next) {
		next = res->ai_next;
		free(res);
	}
}

/* Connection ------------------------------------------------------- */

static void
addr_text(const struct addrinfo *ai, char *buf, size_t len)
{
	const void *a = ai->ai_family == AF_INET6
	    ? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
	    : (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;

	if (inet_ntop(ai->ai_family, a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
}

/* One non-blocking connect; 0 connected, -1 with detail in why. */
static int
connect_one(struct fetch *f, const struct addrinfo *ai, char *why,
    size_t whylen)
{
	int64_t limit = now_ms() + opt.connect_to * 1000LL;
	int fd, soerr = 0;
	socklen_t sl = sizeof(soerr);
	char addr[INET6_ADDRSTRLEN];
	struct fetch probe;

	addr_text(ai, addr, sizeof(addr));
	if (limit > f->deadline_ms)
		limit = f->deadline_ms;
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK
	    | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	/* The request goes out in one write; do not wait for a delayed ACK. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		goto ok;
	if (errno != EINPROGRESS) {
		snprintf(why, whylen, "connect to %s: %s", addr,
		    strerror(errno));
		goto fail;
	}
	memset(&probe, 0, sizeof(probe));
	probe.start_ms = f->start_ms;
	if (wait_fd(&probe, fd, POLLOUT, limit, "connecting") < 0) {
		snprintf(why, whylen, "%.200s to %s", probe.detail, addr);
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
		snprintf(why, whylen, "connect to %s: %s", addr,
		    strerror(soerr ? soerr : errno));
		goto fail;
	}
ok:
	f->fd = fd;
	log_debug("%s: connected to %s", f->host, addr);
	return 0;
fail:
	close(fd);
	return -1;
}

static int
connect_host(struct fetch *f)
{
	struct addrinfo *ai, *res;
	char why[256] = "no usable address";
	int gone, own;

	res = resolve_a(f, &gone);
	if ((own = res != NULL) == 0 && !gone)
		log_debug("%s: no address from an A query, asking "
		    "getaddrinfo", f->host);
	if (!own && (gone || (res = resolve(f)) == NULL))
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		if (connect_one(f, ai, why, sizeof(why)) == 0)
			break;
		if (now_ms() >= f->deadline_ms || shutting_down())
			break;
	}
	addr_free(res, own);
	if (f->fd < 0)
		return fail(f, ERR_FETCH, "%s: %s", f->host, why);
	return 0;
}

/* TLS -------------------------------------------------------------- */

/* Name the verification failures the way TLSRPT readers expect. */
static int
cert_failure(struct fetch *f)
{
	unsigned st = f->vstatus;
	char reasons[256] = "";
	gnutls_datum_t out = { NULL, 0 };

	if (st & GNUTLS_CERT_EXPIRED)
		strcat(reasons, ", certificate expired");
	if (st & GNUTLS_CERT_NOT_ACTIVATED)
		strcat(reasons, ", certificate not yet valid");
	if (st & GNUTLS_CERT_UNEXPECTED_OWNER)
		strcat(reasons, ", name mismatch");
	if (st & GNUTLS_CERT_SIGNER_NOT_FOUND)
		strcat(reasons, ", issuer not trusted (unknown CA or "
		    "self-signed)");
	if (st & GNUTLS_CERT_REVOKED)
		strcat(reasons, ", certificate revoked");
	if (st & GNUTLS_CERT_INSECURE_ALGORITHM)
		strcat(reasons, ", insecure algorithm");
	if (reasons[0] != '\0')
		return fail(f, ERR_WEBPKI, "%s: %s", f->host, reasons + 2);
	if (gnutls_certificate_verification_status_print(st,
	    GNUTLS_CRT_X509, &out, 0) == 0) {
		fail(f, ERR_WEBPKI, "%s: %s", f->host, out.data);
		gnutls_free(out.data);
		return -1;
	}
	return fail(f, ERR_WEBPKI, "%s: certificate invalid (status 0x%x)",
	    f->host, st);
}

/*
 * Verify the server's chain and name inside the handshake: a chain seen
 * verified before (certcache) needs only its dates and the name checked;
 * any other gets GnuTLS's full verification, as
 * gnutls_session_set_verify_cert() would do it.
 */
static int
verify_peer(gnutls_session_t s)
{
	struct fetch *f = gnutls_session_get_ptr(s);
	unsigned st = 0;

	if (certcache_verify(s, f->host, time(NULL), &st) == 0)
		return 0;
	f->vstatus = st;
	return GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
}

/* Wait for the direction GnuTLS needs after GNUTLS_E_AGAIN. */
static int
tls_wait(struct fetch *f, const char *what)
{
	short ev = gnutls_record_get_direction(f->s) ? POLLOUT : POLLIN;

	return wait_fd(f, f->fd, ev, f->deadline_ms, what);
}

static int
tls_start(struct fetch *f)
{
	int rc;

	if ((rc = gnutls_init(&f->s, GNUTLS_CLIENT | GNUTLS_NONBLOCK)) < 0)
		return fail(f, ERR_FETCH, "gnutls_init: %s",
		    gnutls_strerror(rc));
	if ((rc = gnutls_priority_set(f->s, prio)) < 0
	    || (rc = gnutls_credentials_set(f->s, GNUTLS_CRD_CERTIFICATE,
	    cred)) < 0 || (rc = gnutls_server_name_set(f->s, GNUTLS_NAME_DNS,
	    f->host, strlen(f->host))) < 0)
		return fail(f, ERR_FETCH, "TLS set-up: %s",
		    gnutls_strerror(rc));
	/* f lives as long as the session. */
	gnutls_session_set_ptr(f->s, f);
	gnutls_session_set_verify_function(f->s, verify_peer);
	gnutls_transport_set_int(f->s, f->fd);
	while ((rc = gnutls_handshake(f->s)) < 0) {
		if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR
		    || (rc == GNUTLS_E_CERTIFICATE_ERROR && f->vstatus != 0))
			return cert_failure(f);
		if (rc != GNUTLS_E_AGAIN && rc != GNUTLS_E_INTERRUPTED
		    && gnutls_error_is_fatal(rc))
			return fail(f, ERR_FETCH, "TLS handshake with %s: %s",
			    f->host, gnutls_strerror(rc));
		if (tls_wait(f, "in TLS handshake") < 0)
			return -1;
	}
	log_debug("%s: TLS established", f->host);
	return 0;
}

/* HTTP ------------------------------------------------------------- */

static int
send_request(struct fetch *f)
{
	char req[DOMAIN_MAX + 256];
	size_t n = fetchproto_http_request(req, sizeof(req), f->host);
	size_t off = 0;

	if (n == 0)
		return fail(f, ERR_FETCH, "request for %s too long", f->host);
	while (off < n) {
		ssize_t w = gnutls_record_send(f->s, req + off, n - off);

		if (w >= 0) {
			off += (size_t)w;
		} else if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED) {
			if (tls_wait(f, "sending request") < 0)
				return -1;
		} else {
			return fail(f, ERR_FETCH, "sending request: %s",
			    gnutls_strerror((int)w));
		}
	}
	return 0;
}

/* Feed the bytes so far to fetchproto: 1 done, 0 more, -1 failed. */
static int
parse_so_far(struct fetch *f, int eof)
{
	const char *type = NULL;
	char detail[256];
	int rc = fetchproto_response(&f->resp, f->raw, f->rawlen, eof, &type,
	    detail, sizeof(detail));

	if (rc < 0)
		return fail(f, type, "%s", detail);
	return rc;
}

static int
read_response(struct fetch *f)
{
	size_t size = 16384;
	int rc;

	f->raw = xmalloc(size);
	for (;;) {
		ssize_t n;

		if (f->rawlen == size) {
			if (size >= RAW_MAX)
				return fail(f, ERR_FETCH, "response larger "
				    "than %d bytes", RAW_MAX);
			size *= 2;
			f->raw = xrealloc(f->raw, size);
		}
		n = gnutls_record_recv(f->s, f->raw + f->rawlen,
		    size - f->rawlen);
		if (n > 0) {
			f->rawlen += (size_t)n;
			if ((rc = parse_so_far(f, 0)) != 0)
				return rc < 0 ? -1 : 0;
		} else if (n == 0) {
			return parse_so_far(f, 1) < 0 ? -1 : 0;
		} else if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
			if (gnutls_record_check_pending(f->s) == 0
			    && tls_wait(f, "reading response") < 0)
				return -1;
		} else if (n == GNUTLS_E_PREMATURE_TERMINATION) {
			/* No close_notify: complete only by framing. */
			if ((rc = parse_so_far(f, 0)) < 0)
				return -1;
			if (rc == 0)
				return fail(f, ERR_FETCH, "connection closed "
				    "without TLS close_notify before the "
				    "response was complete");
			return 0;
		} else {
			return fail(f, ERR_FETCH, "reading response: %s",
			    gnutls_strerror((int)n));
		}
	}
}

static void
log_policy_warnings(const struct fetch *f)
{
	unsigned w = f->policy.warnings;

	if (w & STS_WARN_CLAMPED)
		log_warn("%s: max_age above %ld clamped", f->domain,
		    STS_MAX_AGE_LIMIT);
	if (w & STS_WARN_DUPLICATE)
		log_warn("%s: repeated policy key ignored (first counts)",
		    f->domain);
	if (w & (STS_WARN_EMPTY_LINE | STS_WARN_TRAILING_WSP | STS_WARN_BOM))
		log_warn("%s: policy has empty lines, trailing whitespace or "
		    "a BOM (tolerated)", f->domain);
}

static void
fetch_policy(struct fetch *f)
{
	char err[256];

	f->start_ms = now_ms();
	f->deadline_ms = f->start_ms + opt.total_to * 1000LL;
	f->fd = -1;
	snprintf(f->host, sizeof(f->host), "mta-sts.%s", f->domain);
	if (connect_host(f) < 0 || tls_start(f) < 0 || send_request(f) < 0
	    || read_response(f) < 0)
		return;
	if (sts_policy_parse(f->resp.body, f->resp.body_len, &f->policy, err,
	    sizeof(err)) < 0) {
		fail(f, ERR_INVALID, "%s", err);
		return;
	}
	f->have_policy = 1;
	log_policy_warnings(f);
}

/* POST (TLSRPT reports) --------------------------------------------- */

static int
send_bytes(struct fetch *f, const char *buf, size_t n, const char *what)
{
	size_t off = 0;

	while (off < n) {
		ssize_t w = gnutls_record_send(f->s, buf + off, n - off);

		if (w >= 0) {
			off += (size_t)w;
		} else if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED) {
			if (tls_wait(f, what) < 0)
				return -1;
		} else {
			return fail(f, ERR_FETCH, "%s: %s", what,
			    gnutls_strerror((int)w));
		}
	}
	return 0;
}

/* Read the receiver's answer up to its status; -1 with the failure set. */
static int
read_post_status(struct fetch *f, int *status)
{
	char detail[256] = "connection closed before the response";
	size_t size = HTTP_MAX_HEADER + 1;
	int rc;

	f->raw = xmalloc(size);
	for (;;) {
		ssize_t n = f->rawlen < size ? gnutls_record_recv(f->s,
		    f->raw + f->rawlen, size - f->rawlen) : 0;

		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
			if (gnutls_record_check_pending(f->s) == 0
			    && tls_wait(f, "reading response") < 0)
				return -1;
			continue;
		}
		if (n > 0)
			f->rawlen += (size_t)n;
		rc = fetchproto_post_response(&f->resp, f->raw, f->rawlen,
		    n <= 0, status, detail, sizeof(detail));
		if (rc != 0 || n <= 0)
			return rc > 0 ? 0 : fail(f, ERR_FETCH, "%s", detail);
	}
}

/* POST one report; the HTTP status in *status (0: none came). */
static void
post_report(struct fetch *f, const struct fetch_req *req, int *status)
{
	char head[DOMAIN_MAX + FETCH_POST_PATH_MAX + 512];
	size_t n;

	*status = 0;
	f->start_ms = now_ms();
	f->deadline_ms = f->start_ms + opt.total_to * 1000LL;
	f->fd = -1;
	f->port = req->port;
	snprintf(f->host, sizeof(f->host), "%s", req->domain);
	n = fetchproto_http_post(head, sizeof(head), f->host, req->port,
	    req->path, req->body_len);
	if (n == 0) {
		fail(f, ERR_FETCH, "request for %s too long", f->host);
		return;
	}
	if (connect_host(f) < 0 || tls_start(f) < 0
	    || send_bytes(f, head, n, "sending request") < 0
	    || send_bytes(f, (const char *)req->body, req->body_len,
	    "sending report") < 0)
		return;
	read_post_status(f, status);
}

static void
fetch_cleanup(struct fetch *f)
{
	if (f->s)
		gnutls_deinit(f->s);
	if (f->fd >= 0)
		close(f->fd);
	http_resp_free(&f->resp);
	free(f->raw);
	if (f->have_policy)
		sts_policy_free(&f->policy);
}

/* Replies ---------------------------------------------------------- */

/* The reply for a fetch, without id, as text after its '{'. */
static char *
reply_tail(const struct fetch *f)
{
	char *tail = fetchipc_reply_tail(f->domain, f->error == NULL
	    ? &f->policy : NULL, (int64_t)time(NULL), f->error, f->detail);

	if (tail == NULL) {
		log_err("cannot encode reply for %s", f->domain);
		exit(2);
	}
	return tail;
}

static void
write_all(const char *buf, size_t len)
{
	static int broken;

	pthread_mutex_lock(&out_mu);
	while (len > 0 && !broken) {
		ssize_t n = write(STDOUT_FILENO, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warn("writing reply: %s", strerror(errno));
			broken = 1;
			break;
		}
		buf += n;
		len -= (size_t)n;
	}
	pthread_mutex_unlock(&out_mu);
}

static void
send_reply(long long id, const char *tail)
{
	size_t len = strlen(tail) + 32;
	char *line = xmalloc(len);

	snprintf(line, len, "{\"id\":%lld,%s\n", id, tail);
	write_all(line, strlen(line));
	free(line);
}

static void
send_error(long long id, const char *domain, const char *type,
    const char *detail)
{
	struct fetch f;
	char *tail;

	memset(&f, 0, sizeof(f));
	f.domain = domain;
	f.error = type;
	snprintf(f.detail, sizeof(f.detail), "%s", detail);
	tail = reply_tail(&f);
	send_reply(id, tail);
	free(tail);
}

/* Workers ---------------------------------------------------------- */

static void
recent_free(void *v)
{
	struct recent *r = v;

	free(r->tail);
	free(r);
}

struct prune_arg {
	int64_t now;
	char **keys;
	size_t n;
};

static void
collect_stale(const char *key, void *value, void *arg)
{
	struct prune_arg *a = arg;
	struct recent *r = value;

	if (a->now - r->done_ms >= opt.rate * 1000LL)
		a->keys[a->n++] = xstrdup(key);
}

/* Called with mu held. */
static void
recent_prune(int64_t now)
{
	struct prune_arg a = { now, NULL, 0 };

	if (htable_count(recent) < RECENT_PRUNE)
		return;
	a.keys = xcalloc(htable_count(recent), sizeof(char *));
	htable_walk(recent, collect_stale, &a);
	for (size_t i = 0; i < a.n; i++) {
		recent_free(htable_del(recent, a.keys[i]));
		free(a.keys[i]);
	}
	free(a.keys);
}

/* Called with mu held: remember the answer for the rate limit. */
static void
recent_store(const char *domain, const char *policy_id, const char *tail,
    int64_t now)
{
	struct recent *r = htable_get(recent, domain);

	if (r == NULL) {
		recent_prune(now);
		r = xcalloc(1, sizeof(*r));
		htable_put(recent, domain, r);
	}
	free(r->tail);
	r->tail = xstrdup(tail);
	r->done_ms = now;
	snprintf(r->policy_id, sizeof(r->policy_id), "%s", policy_id);
}

static void
log_result(const struct fetch *f, int64_t ms)
{
	if (f->error == NULL)
		log_info("%s: policy fetched in %lld ms: mode=%s max_age=%ld "
		    "mx=%zu", f->domain, (long long)ms,
		    sts_mode_name(f->policy.mode), f->policy.max_age,
		    f->policy.nmx);
	else
		log_notice("%s: fetch failed after %lld ms: %s: %s",
		    f->domain, (long long)ms, f->error, f->detail);
}

static void
run_post(struct job *j)
{
	struct fetch f;
	char *tail;
	int status;
	int64_t t0 = now_ms();

	memset(&f, 0, sizeof(f));
	f.domain = j->domain;
	post_report(&f, j->post, &status);
	if (f.error == NULL)
		snprintf(f.detail, sizeof(f.detail), "HTTP status %d", status);
	log_notice("%s: report POST to port %u%s: %s after %lld ms", f.host,
	    j->post->port, j->post->path, f.detail,
	    (long long)(now_ms() - t0));
	tail = fetchipc_post_reply_tail(j->domain, status, f.detail);
	fetch_cleanup(&f);
	if (tail == NULL) {
		log_err("cannot encode reply for %s", j->domain);
		exit(2);
	}
	send_reply(j->ids[0], tail);
	free(tail);
	fetchipc_request_clear(j->post);
	free(j->post);
	free(j->ids);
	free(j);
}

static void
run_job(struct job *j)
{
	struct fetch f;
	char *tail;
	int64_t t0 = now_ms();

	if (j->post != NULL) {
		run_post(j);
		return;
	}
	memset(&f, 0, sizeof(f));
	f.domain = j->domain;
	fetch_policy(&f);
	log_result(&f, now_ms() - t0);
	tail = reply_tail(&f);
	fetch_cleanup(&f);

	pthread_mutex_lock(&mu);
	htable_del(inflight, j->domain);
	recent_store(j->domain, j->policy_id, tail, now_ms());
	pthread_mutex_unlock(&mu);

	/* j is ours now: nobody can join it any more. */
	for (size_t i = 0; i < j->nids; i++)
		send_reply(j->ids[i], tail);
	free(tail);
	free(j->ids);
	free(j);
}

static void *
worker(void *arg)
{
	struct job *j;

	for (;;) {
		pthread_mutex_lock(&mu);
		while (q_head == NULL && !stopping)
			pthread_cond_wait(&cv, &mu);
		if (stopping) {
			pthread_mutex_unlock(&mu);
			return NULL;
		}
		j = q_head;
		q_head = j->next;
		if (q_head == NULL)
			q_tail = NULL;
		nqueued--;
		pthread_mutex_unlock(&mu);
		run_job(j);
		reap_abandoned();
	}
}

/* Requests --------------------------------------------------------- */

/* A job for domain with its first request id. */
static struct job *
job_new(const char *domain, long long id)
{
	struct job *j = xcalloc(1, sizeof(*j));

	snprintf(j->domain, sizeof(j->domain), "%s", domain);
	j->ids = xmalloc(sizeof(*j->ids));
	j->ids[j->nids++] = id;
	return j;
}

/* Called with mu held: j to the end of the queue, a worker woken. */
static void
enqueue(struct job *j)
{
	if (q_tail)
		q_tail->next = j;
	else
		q_head = j;
	q_tail = j;
	nqueued++;
	pthread_cond_signal(&cv);
}

/* Add a request: answer at once, join a fetch, or queue a new one. */
static void
submit(long long id, const char *domain, const char *policy_id, int force)
{
	struct recent *r;
	struct job *j;
	char *tail = NULL;

	pthread_mutex_lock(&mu);
	if (!force && (r = htable_get(recent, domain)) != NULL
	    && now_ms() - r->done_ms < opt.rate * 1000LL) {
		if (strcmp(r->policy_id, policy_id) != 0) {
			pthread_mutex_unlock(&mu);
			log_notice("%s: fetched less than %d s ago for another "
			    "policy id; rate-limited", domain, opt.rate);
			send_error(id, domain, ERR_FETCH, "rate-limited");
			return;
		}
		tail = xstrdup(r->tail);
	} else if ((j = htable_get(inflight, domain)) != NULL) {
		j->ids = xrealloc(j->ids, (j->nids + 1) * sizeof(*j->ids));
		j->ids[j->nids++] = id;
		log_debug("%s: joins the fetch in flight", domain);
	} else if (nqueued >= opt.max_queued) {
		pthread_mutex_unlock(&mu);
		log_warn("%s: queue full (%d requests), refused", domain,
		    opt.max_queued);
		send_error(id, domain, ERR_FETCH, "fetcher queue full");
		return;
	} else {
		j = job_new(domain, id);
		snprintf(j->policy_id, sizeof(j->policy_id), "%s", policy_id);
		htable_put(inflight, domain, j);
		enqueue(j);
	}
	pthread_mutex_unlock(&mu);
	if (tail != NULL) {
		log_info("%s: fetched less than %d s ago, previous answer "
		    "reused", domain, opt.rate);
		send_reply(id, tail);
		free(tail);
	}
}

/* Queue a report POST: never joined, never rate-limited. */
static void
submit_post(struct fetch_req *req)
{
	struct job *j;

	pthread_mutex_lock(&mu);
	if (nqueued >= opt.max_queued) {
		pthread_mutex_unlock(&mu);
		send_error(req->id, req->domain, FETCH_ERR_POST,
		    "fetcher queue full");
		fetchipc_request_clear(req);
		return;
	}
	j = job_new(req->domain, req->id);
	j->post = xmalloc(sizeof(*req));
	*j->post = *req;		/* takes its path and body */
	enqueue(j);
	pthread_mutex_unlock(&mu);
}

static void
handle_line(const char *line, size_t len)
{
	struct fetch_req req;
	char why[300];

	switch (fetchipc_request_decode(line, len, &req, why, sizeof(why))) {
	case FETCH_REQ_OK:
		if (req.post) {
			submit_post(&req);
			return;
		}
		submit(req.id, req.domain, req.policy_id, req.force);
		break;
	case FETCH_REQ_REFUSED:
		log_warn("%s", why);
		send_error(req.id, req.domain, req.post ? FETCH_ERR_POST
		    : ERR_FETCH, req.refusal);
		break;
	default:
		log_warn("%s", why);
		break;
	}
	fetchipc_request_clear(&req);
}

/* Read request lines until EOF; overlong lines are skipped whole. */
static void
read_requests(void)
{
	char *buf = xmalloc(REQ_LINE_MAX + 1);
	size_t len = 0;
	int skipping = 0;

	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf + len, REQ_LINE_MAX + 1 - len);
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		while ((nl = memchr(buf, '\n', len)) != NULL) {
			size_t l = (size_t)(nl - buf);

			if (!skipping)
				handle_line(buf, l);
			skipping = 0;
			memmove(buf, nl + 1, len - l - 1);
			len -= l + 1;
		}
		if (len > REQ_LINE_MAX) {
			if (!skipping)
				log_warn("request line longer than %d bytes "
				    "skipped", REQ_LINE_MAX);
			skipping = 1;
			len = 0;
		}
	}
	free(buf);
}

/* Set-up ----------------------------------------------------------- */

static void
usage(void)
{
	fprintf(stderr, "usage: stsfetch [-v] [-C cafile] [-c connect_timeout]"
	    " [-t total_timeout]\n\t[-r rate_limit] [-w workers] "
	    "[-q max_queued] [-1 domain]\n");
	exit(2);
}

static int
int_arg(const char *s, long min, long max)
{
	long v = parse_long(s, min, max);

	if (v == LONG_MIN)
		usage();
	return (int)v;
}

static void
load_trust(void)
{
	int n, rc;

	if ((rc = gnutls_certificate_allocate_credentials(&cred)) < 0) {
		log_err("gnutls: %s", gnutls_strerror(rc));
		exit(2);
	}
	n = opt.cafile ? gnutls_certificate_set_x509_trust_file(cred,
	    opt.cafile, GNUTLS_X509_FMT_PEM)
	    : gnutls_certificate_set_x509_system_trust(cred);
	/* No anchors would make every fetch fail: refuse to start. */
	if (n <= 0) {
		log_err("no trust anchors loaded from %s%s%s", opt.cafile
		    ? opt.cafile : "the system trust store", n < 0 ? ": " : "",
		    n < 0 ? gnutls_strerror(n) : "");
		exit(2);
	}
	log_debug("%d trust anchors loaded", n);
	if ((rc = gnutls_priority_init(&prio,
	    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2", NULL)) < 0) {
		log_err("gnutls priority: %s", gnutls_strerror(rc));
		exit(2);
	}
}

static int
one_shot(const char *domain)
{
	struct fetch f;
	char norm[DOMAIN_MAX + 1], *tail;
	int ok;

	if (!fetchipc_domain(domain, norm, sizeof(norm))) {
		send_error(0, "", ERR_FETCH, "invalid domain name");
		return 1;
	}
	memset(&f, 0, sizeof(f));
	f.domain = norm;
	fetch_policy(&f);
	ok = f.error == NULL;
	tail = reply_tail(&f);
	fetch_cleanup(&f);
	send_reply(0, tail);
	free(tail);
	return ok ? 0 : 1;
}

static void
run_pool(void)
{
	pthread_t *tids = xcalloc((size_t)opt.workers, sizeof(*tids));
	struct job *j;

	inflight = htable_new(64);
	recent = htable_new(64);
	/*
	 * A malloc arena for each worker: glibc makes at most 8 per core and
	 * then shares them, and a GnuTLS handshake allocates so often that
	 * workers sharing one queued on its lock (futex calls per fetch 5.3
	 * -> 2.4 under strace).  Arenas grow in 1 MiB steps, not page by page
	 * (an mprotect() each).
	 */
	mallopt(M_ARENA_MAX, opt.workers + 2);
	mallopt(M_TOP_PAD, 1 << 20);
	for (int i = 0; i < opt.workers; i++) {
		if (pthread_create(&tids[i], NULL, worker, NULL) != 0) {
			log_err("cannot start worker thread");
			exit(2);
		}
	}
	log_notice("started: %d workers, connect timeout %d s, total "
	    "timeout %d s, rate limit %d s", opt.workers, opt.connect_to,
	    opt.total_to, opt.rate);
	read_requests();

	/* stdin closed: drop the queue, abort fetches, wait for workers. */
	pthread_mutex_lock(&mu);
	stopping = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	close(stop_fds[1]);
	for (int i = 0; i < opt.workers; i++)
		pthread_join(tids[i], NULL);
	while ((j = q_head) != NULL) {
		q_head = j->next;
		if (j->post != NULL)
			fetchipc_request_clear(j->post);
		free(j->post);
		free(j->ids);
		free(j);
	}
	htable_free(inflight, NULL);
	htable_free(recent, recent_free);
	free(tids);
	log_notice("stdin closed, exiting");
}

int
main(int argc, char **argv)
{
	const char *once = NULL;
	char err[256];
	int c, level = LOG_LVL_NOTICE, rc = 0;

	while ((c = getopt(argc, argv, "1:C:c:t:r:w:q:v")) != -1) {
		switch (c) {
		case '1': once = optarg; break;
		case 'C': opt.cafile = optarg; break;
		case 'c': opt.connect_to = int_arg(optarg, 1, 600); break;
		case 't': opt.total_to = int_arg(optarg, 1, 3600); break;
		case 'r': opt.rate = int_arg(optarg, 0, 86400); break;
		case 'w': opt.workers = int_arg(optarg, 1, 256); break;
		case 'q': opt.max_queued = int_arg(optarg, 1, 1000000); break;
		case 'v': if (level < LOG_LVL_DEBUG) level++; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("stsfetch", 1, level);
	signal(SIGPIPE, SIG_IGN);
	json_object_seed(0);		/* before any thread exists */
	if (pipe2(stop_fds, O_CLOEXEC) < 0) {
		log_err("pipe: %s", strerror(errno));
		return 2;
	}
	load_trust();
	if (sandbox_enter(err, sizeof(err)) < 0) {
		log_err("%s", err);
		return 2;
	}
	if (once != NULL)
		rc = one_shot(once);
	else
		run_pool();
	gnutls_priority_deinit(prio);
	gnutls_certificate_free_credentials(cred);
	return rc;
}
