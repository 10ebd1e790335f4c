/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	coldfloor - the least an MTA-STS first contact costs, as a benchmark floor
 *
 * SYNOPSIS
 *	coldfloor -k keys -r resolver -C cafile [-c conc] [-p port]
 *	    [-t timeout_ms] [-d seconds] [-l label]
 *
 * DESCRIPTION
 *	For each domain in the keys file (one a line, keyfile.h), what a first
 *	contact with an MTA-STS domain cannot do without: the
 *	_mta-sts.DOMAIN TXT lookup (it must answer with a TXT record), the
 *	address of mta-sts.DOMAIN (A), one TCP connection to it (port 443),
 *	one TLS handshake (SNI and certificate name mta-sts.DOMAIN, the
 *	chain verified against the -C file inside the handshake, TLS 1.2
 *	or later as stsfetch asks), one GET /.well-known/mta-sts.txt, and
 *	the whole response read (status 200 counts as answered).  No
 *	policy logic, no store, no second process.
 *
 *	The parts are the daemon's and the fetcher's own, so that the
 *	floor pays what they pay for the same step and nothing else: the
 *	event loop and resolver of libnet (loop.h, dns.h), and the
 *	fetcher's verification with its cache of verified chains
 *	(certcache_verify(), certcache.h).  One thread, non-blocking
 *	sockets, conc contacts in flight (-c, default 100), each bounded
 *	by -t ms (default 30000), the whole run by -d seconds (default
 *	120).
 *
 *	At the end one line on stdout:
 *
 *	    RESULT label=L conc=C reqs=N ok=K errors=E secs=S rps=R
 *	        p50_us=.. p99_us=.. cpu_s=.. user_s=.. sys_s=..
 *
 *	cpu_s is this process's user + system CPU (getrusage()) from the
 *	first contact to the last, start-up (trust anchors) excluded.  The
 *	first few failures are named on stderr.
 *
 * EXIT STATUS
 *	0 when every domain was answered, 1 otherwise, 2 for a usage or
 *	start-up error.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <gnutls/gnutls.h>
#include <ldns/ldns.h>

#include "certcache.h"
#include "dns.h"
#include "keyfile.h"
#include "loop.h"
#include "util.h"

#define HOST_MAX	(DNS_NAME_MAX + 16)
#define ERRORS_SHOWN	10

enum step { S_TXT, S_ADDR, S_CONNECT, S_TLS, S_SEND, S_READ };

struct contact {
	struct run *run;
	enum step step;
	char domain[DNS_NAME_MAX];
	char host[HOST_MAX];
	struct dns_query *q;
	struct loop_timer *deadline;
	int fd;
	gnutls_session_t s;
	size_t sent;
	char head[16];			/* the response's first bytes */
	size_t headlen;
	uint64_t start_us;
};

struct run {
	struct loop *loop;
	struct dns *dns;
	gnutls_certificate_credentials_t cred;
	gnutls_priority_t prio;
	char **keys;
	size_t nkeys, next, done, ok, errors;
	unsigned conc, active;
	int port;
	long timeout_ms;
	uint64_t *lat_us;		/* per answered contact */
};

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Seconds from a to b. */
static double
tv_s(struct timeval a, struct timeval b)
{
	return (double)(b.tv_sec - a.tv_sec) + (b.tv_usec - a.tv_usec) / 1e6;
}

static void start_next(struct run *r);

/* End a contact (answered or not), free it and start the next one. */
static void
finish(struct contact *c, const char *why)
{
	struct run *r = c->run;

	if (why == NULL) {
		r->lat_us[r->ok++] = now_us() - c->start_us;
	} else if (r->errors++ < ERRORS_SHOWN) {
		fprintf(stderr, "coldfloor: %s: %s\n", c->domain, why);
	}
	if (c->q != NULL)
		dns_cancel(r->dns, c->q);
	if (c->deadline != NULL)
		loop_timer_cancel(r->loop, c->deadline);
	if (c->s != NULL)
		gnutls_deinit(c->s);
	if (c->fd >= 0) {
		loop_del(r->loop, c->fd);
		close(c->fd);
	}
	free(c);
	r->active--;
	r->done++;
	start_next(r);
	if (r->done == r->nkeys)
		loop_stop(r->loop);
}

static void
on_deadline(struct loop *l, void *arg)
{
	struct contact *c = arg;

	(void)l;
	c->deadline = NULL;
	finish(c, "timed out");
}

/* Wait for the direction GnuTLS asked for. */
static void
want_tls(struct contact *c)
{
	loop_mod(c->run->loop, c->fd,
	    gnutls_record_get_direction(c->s) ? LOOP_OUT : LOOP_IN);
}

/*
 * Send the request, then read the response to its end (Connection:
 * close).  NULL while waiting for the socket or once the contact was
 * finished here; else why it failed.
 */
static const char *
http_step(struct contact *c)
{
	char req[HOST_MAX + 128], buf[16384];
	int n = snprintf(req, sizeof(req), "GET /.well-known/mta-sts.txt "
	    "HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", c->host);
	ssize_t rc;

	while (c->step == S_SEND) {
		rc = gnutls_record_send(c->s, req + c->sent, (size_t)n - c->sent);
		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
			want_tls(c);
			return NULL;
		}
		if (rc < 0)
			return gnutls_strerror((int)rc);
		if ((c->sent += (size_t)rc) == (size_t)n)
			c->step = S_READ;
	}
	for (;;) {
		rc = gnutls_record_recv(c->s, buf, sizeof(buf));
		if (rc > 0) {
			size_t k = sizeof(c->head) - c->headlen;

			if (k > (size_t)rc)
				k = (size_t)rc;
			memcpy(c->head + c->headlen, buf, k);
			c->headlen += k;
			continue;
		}
		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
			want_tls(c);
			return NULL;
		}
		if (rc != 0 && rc != GNUTLS_E_PREMATURE_TERMINATION)
			return gnutls_strerror((int)rc);
		break;
	}
	if (c->headlen < 12 || memcmp(c->head, "HTTP/1.", 7) != 0
	    || memcmp(c->head + 9, "200", 3) != 0)
		return "no HTTP status 200";
	finish(c, NULL);
	return NULL;
}

static int
verify(gnutls_session_t s)
{
	struct contact *c = gnutls_session_get_ptr(s);
	unsigned st = 0;

	return certcache_verify(s, c->host, time(NULL), &st) == 0 ? 0
	    : GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR;
}

static const char *
tls_begin(struct contact *c)
{
	struct run *r = c->run;
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err)
		return "connect failed";
	if (gnutls_init(&c->s, GNUTLS_CLIENT | GNUTLS_NONBLOCK) < 0
	    || gnutls_priority_set(c->s, r->prio) < 0
	    || gnutls_credentials_set(c->s, GNUTLS_CRD_CERTIFICATE,
	    r->cred) < 0 || gnutls_server_name_set(c->s, GNUTLS_NAME_DNS,
	    c->host, strlen(c->host)) < 0)
		return "TLS set-up failed";
	gnutls_session_set_ptr(c->s, c);
	gnutls_session_set_verify_function(c->s, verify);
	gnutls_transport_set_int(c->s, c->fd);
	c->step = S_TLS;
	return NULL;
}

static void
on_io(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct contact *c = arg;
	const char *why = NULL;
	int rc;

	(void)l;
	(void)fd;
	(void)ev;
	if (c->step == S_CONNECT && (why = tls_begin(c)) != NULL)
		goto fail;
	if (c->step == S_TLS) {
		rc = gnutls_handshake(c->s);
		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
			want_tls(c);
			return;
		}
		if (rc < 0) {
			why = gnutls_strerror(rc);
			goto fail;
		}
		c->step = S_SEND;
	}
	/* http_step() finishes the contact itself when it is done. */
	if ((why = http_step(c)) == NULL)
		return;
fail:
	finish(c, why);
}

static const char *
connect_to(struct contact *c, const uint8_t addr[4])
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)c->run->port) };

	memcpy(&sin.sin_addr, addr, 4);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return strerror(errno);
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	if (connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0
	    && errno != EINPROGRESS)
		return strerror(errno);
	if (loop_add(c->run->loop, c->fd, LOOP_OUT, on_io, c) < 0)
		return "loop_add failed";
	c->step = S_CONNECT;
	return NULL;
}

/* The first record of type t in the answer section, or NULL. */
static ldns_rr *
answer_of(const struct dns_result *res, ldns_rr_type t)
{
	ldns_rr_list *an;

	if (res->status != DNS_OK || res->rcode != LDNS_RCODE_NOERROR)
		return NULL;
	an = ldns_pkt_answer(res->pkt);
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(an, i)) == t)
			return ldns_rr_list_rr(an, i);
	return NULL;
}

static void
on_dns(void *arg, const struct dns_result *res)
{
	struct contact *c = arg;
	ldns_rr *rr;
	ldns_rdf *a;
	const char *why;

	c->q = NULL;
	if (c->step == S_TXT) {
		if (answer_of(res, LDNS_RR_TYPE_TXT) == NULL) {
			finish(c, "no _mta-sts TXT record");
			return;
		}
		c->step = S_ADDR;
		c->q = dns_lookup(c->run->dns, c->host, LDNS_RR_TYPE_A, on_dns, c);
		if (c->q == NULL)
			finish(c, "A lookup did not start");
		return;
	}
	if ((rr = answer_of(res, LDNS_RR_TYPE_A)) == NULL
	    || (a = ldns_rr_rdf(rr, 0)) == NULL || ldns_rdf_size(a) != 4) {
		finish(c, "no address");
		return;
	}
	if ((why = connect_to(c, ldns_rdf_data(a))) != NULL)
		finish(c, why);
}

static void
start_next(struct run *r)
{
	while (r->active < r->conc && r->next < r->nkeys) {
		struct contact *c = xcalloc(1, sizeof(*c));
		char txt[HOST_MAX];

		c->run = r;
		c->fd = -1;
		c->start_us = now_us();
		snprintf(c->domain, sizeof(c->domain), "%s", r->keys[r->next++]);
		snprintf(c->host, sizeof(c->host), "mta-sts.%s", c->domain);
		snprintf(txt, sizeof(txt), "_mta-sts.%s", c->domain);
		r->active++;
		c->deadline = loop_timer(r->loop, (uint64_t)r->timeout_ms,
		    on_deadline, c);
		c->step = S_TXT;
		c->q = dns_lookup(r->dns, txt, LDNS_RR_TYPE_TXT, on_dns, c);
		if (c->q == NULL)
			finish(c, "TXT lookup did not start");
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: coldfloor -k keys -r resolver -C cafile "
	    "[-c conc] [-p port] [-t timeout_ms] [-d seconds] [-l label]\n");
	exit(2);
}

/* The keys file: one domain a line (keyfile.h). */
static void
read_keys(struct run *r, const char *path)
{
	r->keys = keyfile_read(path, &r->nkeys);
	r->lat_us = xcalloc(r->nkeys, sizeof(*r->lat_us));
}

static void
setup_tls(struct run *r, const char *cafile)
{
	if (gnutls_certificate_allocate_credentials(&r->cred) < 0
	    || gnutls_certificate_set_x509_trust_file(r->cred, cafile,
	    GNUTLS_X509_FMT_PEM) <= 0
	    || gnutls_priority_init(&r->prio,
	    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2", NULL) < 0) {
		fprintf(stderr, "coldfloor: no trust anchors in %s\n", cafile);
		exit(2);
	}
}

static void
setup_dns(struct run *r, const char *resolver)
{
	struct dns_config dc = { .timeout_ms = 2000, .retries = 2,
	    .cache_size = 4 * r->nkeys, .cache_max_ttl = 3600 };
	char err[256];

	dc.nservers = dns_parse_servers(resolver, dc.servers,
	    DNS_MAX_SERVERS, err, sizeof(err));
	if (dc.nservers <= 0) {
		fprintf(stderr, "coldfloor: -r %s: %s\n", resolver, err);
		exit(2);
	}
	r->dns = dns_new(r->loop, &dc);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static void
report(struct run *r, const char *label, double secs, double user,
    double sys)
{
	uint64_t p50 = 0, p99 = 0;

	qsort(r->lat_us, r->ok, sizeof(*r->lat_us), cmp_u64);
	if (r->ok > 0) {
		p50 = r->lat_us[(r->ok - 1) / 2];
		p99 = r->lat_us[(r->ok - 1) * 99 / 100];
	}
	printf("RESULT label=%s conc=%u reqs=%zu ok=%zu errors=%zu "
	    "secs=%.2f rps=%.0f p50_us=%llu.0 p99_us=%llu.0 cpu_s=%.3f "
	    "user_s=%.3f sys_s=%.3f\n", label, r->conc, r->done, r->ok,
	    r->errors + (r->nkeys - r->done), secs,
	    secs > 0 ? r->ok / secs : 0.0, (unsigned long long)p50,
	    (unsigned long long)p99, user + sys, user, sys);
}

static void
on_overall(struct loop *l, void *arg)
{
	(void)arg;
	loop_stop(l);
}

int
main(int argc, char **argv)
{
	struct run r = { .conc = 100, .port = 443, .timeout_ms = 30000 };
	const char *keys = NULL, *resolver = NULL, *cafile = NULL;
	const char *label = "coldfloor";
	long secs = 120;
	struct rusage ru0, ru1;
	uint64_t t0;
	int ch;

	while ((ch = getopt(argc, argv, "k:r:C:c:p:t:d:l:")) != -1) {
		switch (ch) {
		case 'k': keys = optarg; break;
		case 'r': resolver = optarg; break;
		case 'C': cafile = optarg; break;
		case 'c': r.conc = (unsigned)atoi(optarg); break;
		case 'p': r.port = atoi(optarg); break;
		case 't': r.timeout_ms = atol(optarg); break;
		case 'd': secs = atol(optarg); break;
		case 'l': label = optarg; break;
		default: usage();
		}
	}
	if (keys == NULL || resolver == NULL || cafile == NULL || r.conc == 0
	    || r.port <= 0 || r.port > 65535 || r.timeout_ms <= 0 || secs <= 0)
		usage();
	read_keys(&r, keys);
	setup_tls(&r, cafile);
	if ((r.loop = loop_new()) == NULL) {
		fprintf(stderr, "coldfloor: no event loop\n");
		return 2;
	}
	setup_dns(&r, resolver);
	loop_timer(r.loop, (uint64_t)secs * 1000, on_overall, NULL);

	getrusage(RUSAGE_SELF, &ru0);
	t0 = now_us();
	start_next(&r);
	if (r.done < r.nkeys)
		loop_run(r.loop);
	getrusage(RUSAGE_SELF, &ru1);
	report(&r, label, (double)(now_us() - t0) / 1e6,
	    tv_s(ru0.ru_utime, ru1.ru_utime), tv_s(ru0.ru_stime, ru1.ru_stime));
	return r.ok == r.nkeys ? 0 : 1;
}
