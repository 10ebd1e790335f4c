/* SPDX-License-Identifier: MIT */
/*
 * probe_cmd - "tlsmap probe DOMAIN [--json]": look at each MX host of
 * DOMAIN as smtp(8) would, and say what Postfix will do with the
 * daemon's answer for it.
 *
 *	For each MX host in preference order: its A/AAAA records, a TCP
 *	connection to port 25 (10 s timeout), the banner, EHLO, STARTTLS,
 *	a GnuTLS handshake with SNI = host name; then the chain against
 *	the secure TLSA RRset at _25._tcp.HOST, against WebPKI (sts_ca_file
 *	or the system store; name = host name; expiry), and the host name
 *	against the domain's MTA-STS policy, fetched once by the daemon's
 *	fetcher (sts_fetcher -1 DOMAIN) after the _mta-sts TXT lookup.
 *	The daemon is asked over its socketmap socket, as Postfix asks it.
 *	DNS goes to the daemon's resolvers (blockdns.h); the program
 *	talks to nothing else than what DNS names.  The answers are read
 *	with the daemon's own discovery code, so that probe and daemon
 *	agree: the MX walk of libnet/dane_walk.h (preference order,
 *	duplicates, CNAME, null MX) and the TXT reading of
 *	libnet/sts_dns.h (CNAME chain).  The judging is in probe.c.
 *
 *	Exit 0 when no host would be deferred, 1 when some host would be,
 *	2 for errors (bad domain, no MX, DNS failure, null MX, daemon not
 *	reachable).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>

#include "blockdns.h"
#include "conf.h"
#include "dane_walk.h"
#include "doctor.h"
#include "domain.h"
#include "fetchipc.h"
#include "probe.h"
#include "sockmap.h"
#include "sts_dns.h"
#include "sts_policy.h"
#include "sts_txt.h"
#include "tlsmap.h"
#include "util.h"

#define PROBE_TIMEOUT_S	10
#define MAX_HOSTS	16
#define MAX_TLSA	32
#define MAX_NAMES	64

struct host {
	char name[DOMAIN_MAX + 2];
	int pref;
	char addr[INET6_ADDRSTRLEN];
	int addr_secure;
	char error[256];		/* why no connection / TLS */
	int connected, starttls, tls;
	char tlsver[32], cipher[160];
	char subject[512], issuer[512];
	char *names[MAX_NAMES];
	size_t nnames;
	time_t not_after;
	enum probe_dane dane;
	char dane_detail[400];
	int webpki, name_ok;
	char webpki_why[256];
	int sts;			/* -1 no policy, 0 not in it, 1 in it */
	enum probe_verdict verdict;
	char why[300];
	/* TLSA RRset */
	ldns_rr_list *tlsa;
};

struct probe {
	const struct config *cf;
	struct blockdns *dns;
	char domain[DOMAIN_MAX + 1];
	int mx_secure;
	struct host hosts[MAX_HOSTS];
	int nhosts;
	char *answer;			/* the daemon's reply text */
	int have_answer;
	char sts_status[300];
	struct sts_policy sts;
	int have_sts;
};

/* DNS ---------------------------------------------------------------- */

/*
 * The MX hosts as the daemon's DANE walk reads the MX answer
 * (dane_mx_eval(), libnet/dane_walk.h): by preference, without
 * duplicates, at the end of a CNAME chain; a null MX; else the domain
 * itself (implicit MX).  0, or -1 with err.
 */
static int
mx_walk(struct probe *p, const struct blockdns_result *r, char *err,
    size_t errlen)
{
	struct dns_result dr = { DNS_OK, r->rcode, r->secure, 0, r->pkt };
	struct dane_answers *as = dane_answers_new();
	struct dane_target t;
	struct dane_mx *m;

	memset(&t, 0, sizeof(t));
	snprintf(t.host, sizeof(t.host), "%s", p->domain);
	t.port = 25;
	t.mx = 1;
	dane_answers_add(as, p->domain, LDNS_RR_TYPE_MX, &dr);
	m = dane_mx_eval(&t, as);
	dane_answers_free(as);
	p->mx_secure = m->secure;
	if (m->kind == DANE_MX_NULL) {
		snprintf(err, errlen, "%s has a null MX: it accepts no mail",
		    p->domain);
		dane_mx_free(m);
		return -1;
	}
	for (size_t i = 0; m->kind == DANE_MX_LIST && i < m->n
	    && p->nhosts < MAX_HOSTS; i++) {
		p->hosts[p->nhosts].pref = m->h[i].pref;
		snprintf(p->hosts[p->nhosts].name, sizeof(p->hosts[0].name), "%s",
		    m->h[i].name);
		p->nhosts++;
	}
	dane_mx_free(m);
	if (p->nhosts == 0) {
		snprintf(p->hosts[0].name, sizeof(p->hosts[0].name), "%s",
		    p->domain);
		p->nhosts = 1;
	}
	return 0;
}

/* The MX hosts, or the domain itself (implicit MX). 0, or -1 with err. */
static int
lookup_mx(struct probe *p, char *err, size_t errlen)
{
	struct blockdns_result r;
	int rc;

	if (blockdns_query(p->dns, p->domain, LDNS_RR_TYPE_MX, &r) < 0) {
		snprintf(err, errlen, "MX lookup for %s failed: %s", p->domain,
		    dns_status_name(r.status));
		return -1;
	}
	if (r.rcode == LDNS_RCODE_NXDOMAIN || r.rcode != LDNS_RCODE_NOERROR) {
		snprintf(err, errlen, "MX lookup for %s: %s", p->domain,
		    r.rcode == LDNS_RCODE_NXDOMAIN ? "no such domain"
		    : "server failure (DNSSEC bogus or resolver trouble)");
		ldns_pkt_free(r.pkt);
		return -1;
	}
	rc = mx_walk(p, &r, err, errlen);
	ldns_pkt_free(r.pkt);
	return rc;
}

/* First address of the host (A, then AAAA); secure when both are. */
static int
lookup_addr(struct probe *p, struct host *h)
{
	static const int types[] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA };
	int secure = 1;

	for (int t = 0; t < 2; t++) {
		struct blockdns_result r;
		ldns_rr_list *l;

		if (blockdns_query(p->dns, h->name, types[t], &r) < 0
		    || (r.rcode != LDNS_RCODE_NOERROR
		    && r.rcode != LDNS_RCODE_NXDOMAIN)) {
			snprintf(h->error, sizeof(h->error), "%s lookup failed",
			    t ? "AAAA" : "A");
			ldns_pkt_free(r.pkt);
			return -1;
		}
		secure &= r.secure;
		l = ldns_pkt_rr_list_by_type(r.pkt, types[t], LDNS_SECTION_ANSWER);
		if (l && ldns_rr_list_rr_count(l) > 0 && !*h->addr) {
			char *s = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(l, 0), 0));
			snprintf(h->addr, sizeof(h->addr), "%s", s ? s : "");
			free(s);
		}
		ldns_rr_list_deep_free(l);
		ldns_pkt_free(r.pkt);
	}
	h->addr_secure = secure;
	if (!*h->addr) {
		snprintf(h->error, sizeof(h->error), "no address records");
		return -1;
	}
	return 0;
}

/* The TLSA RRset as Postfix would use it; sets h->dane when decided. */
static void
lookup_tlsa(struct probe *p, struct host *h)
{
	struct blockdns_result r;
	char owner[DOMAIN_MAX + 16];

	h->dane = PROBE_DANE_NONE;
	if (!h->addr_secure) {
		snprintf(h->dane_detail, sizeof(h->dane_detail), "insecure "
		    "address records: no TLSA lookup");
		return;
	}
	snprintf(owner, sizeof(owner), "_25._tcp.%s", h->name);
	if (blockdns_query(p->dns, owner, LDNS_RR_TYPE_TLSA, &r) < 0
	    || (r.rcode != LDNS_RCODE_NOERROR && r.rcode != LDNS_RCODE_NXDOMAIN)) {
		h->dane = PROBE_DANE_FAILED;
		snprintf(h->dane_detail, sizeof(h->dane_detail), "%s TLSA: %s",
		    owner, r.status != DNS_OK ? dns_status_name(r.status)
		    : "server failure");
		ldns_pkt_free(r.pkt);
		return;
	}
	if (!r.secure) {
		snprintf(h->dane_detail, sizeof(h->dane_detail), "%s TLSA is "
		    "insecure: ignored", owner);
	} else {
		h->tlsa = ldns_pkt_rr_list_by_type(r.pkt, LDNS_RR_TYPE_TLSA,
		    LDNS_SECTION_ANSWER);
		if (h->tlsa && ldns_rr_list_rr_count(h->tlsa) == 0) {
			ldns_rr_list_deep_free(h->tlsa);
			h->tlsa = NULL;
		}
		snprintf(h->dane_detail, sizeof(h->dane_detail), "%s: %s", owner,
		    h->tlsa ? "secure TLSA RRset" : "secure denial");
	}
	ldns_pkt_free(r.pkt);
}

/* Run the fetcher once and read its one JSON line; 0 with a policy. */
static int
sts_fetch(char *const argv[], struct sts_policy *pol, char *status,
    size_t len)
{
	char *out = xmalloc(STS_POLICY_MAX_JSON + 1024), err[256];
	struct fetchipc_reply rep;
	const char *nl;
	size_t n;
	int rc = -1;

	doctor_run(argv, out, STS_POLICY_MAX_JSON + 1024, &n);
	if ((nl = memchr(out, '\n', n)) != NULL)	/* the one reply line */
		n = (size_t)(nl - out);
	if (fetchipc_reply_decode(out, n, &rep, err, sizeof(err)) < 0) {
		snprintf(status, len, "no answer from %s", argv[0]);
		free(out);
		return -1;
	}
	if (!rep.ok)
		snprintf(status, len, "policy fetch failed: %s: %s", rep.error,
		    rep.detail);
	else if (sts_policy_from_json(rep.policy, pol, err, sizeof(err)) < 0)
		snprintf(status, len, "bad policy from the fetcher: %s", err);
	else
		rc = 0;
	if (rc == 0)
		snprintf(status, len, "policy mode %s, %zu mx pattern%s",
		    sts_mode_name(pol->mode), pol->nmx, pol->nmx == 1 ? "" : "s");
	fetchipc_reply_clear(&rep);
	free(out);
	return rc;
}

/* MTA-STS: the TXT record, then one fetch by the daemon's fetcher. */
static void
lookup_sts(struct probe *p)
{
	const char *fetcher = config_get(p->cf, "sts_fetcher");
	const char *ca = config_get(p->cf, "sts_ca_file");
	struct blockdns_result r;
	char owner[DOMAIN_MAX + 16], id[STS_ID_MAX + 1], err[256];
	enum sts_txt_status ts;

	if (!config_bool(p->cf, "sts_enable") || !*fetcher) {
		snprintf(p->sts_status, sizeof(p->sts_status), "not checked "
		    "(sts_enable = no or no sts_fetcher)");
		return;
	}
	snprintf(owner, sizeof(owner), "_mta-sts.%s", p->domain);
	if (blockdns_query(p->dns, owner, LDNS_RR_TYPE_TXT, &r) < 0
	    || (r.rcode != LDNS_RCODE_NOERROR && r.rcode != LDNS_RCODE_NXDOMAIN)) {
		snprintf(p->sts_status, sizeof(p->sts_status), "TXT lookup "
		    "failed: no live policy");
		ldns_pkt_free(r.pkt);
		return;
	}
	/* As the daemon reads it: at the end of the CNAME chain. */
	ts = sts_dns_txt(r.rcode == LDNS_RCODE_NOERROR ? r.pkt : NULL, owner, id,
	    err, sizeof(err));
	ldns_pkt_free(r.pkt);
	switch (ts) {
	case STS_TXT_NONE:
		snprintf(p->sts_status, sizeof(p->sts_status), "no _mta-sts TXT "
		    "record");
		break;
	case STS_TXT_INVALID:
		snprintf(p->sts_status, sizeof(p->sts_status), "invalid _mta-sts "
		    "TXT record: %s", err);
		break;
	case STS_TXT_OK: {
		char *argv[] = { (char *)fetcher, "-1", p->domain, "-c", "10",
		    "-t", "30", "-C", (char *)ca, NULL };
		if (!*ca)
			argv[7] = NULL;
		p->have_sts = sts_fetch(argv, &p->sts, p->sts_status,
		    sizeof(p->sts_status)) == 0;
		break;
	}
	}
}

/* SMTP and TLS ------------------------------------------------------- */

static int
tcp_connect(const char *addr, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct timeval tv = { PROBE_TIMEOUT_S, 0 };
	struct pollfd pfd;
	socklen_t sl, el = sizeof(int);
	int fd, e = 0;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(25);
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(25);
		sl = sizeof(*s6);
	} else {
		snprintf(err, errlen, "bad address %s", addr);
		return -1;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS)
		e = errno;
	else {
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, PROBE_TIMEOUT_S * 1000) <= 0)
			e = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
			e = errno;
	}
	if (e) {
		snprintf(err, errlen, "connect to %s port 25: %s", addr, strerror(e));
		close(fd);
		return -1;
	}
	/* From here on blocking I/O, each read and write bounded. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Read one SMTP reply; 0 with *r, or -1 with err. */
static int
smtp_reply(int fd, struct probe_reply *r, char *err, size_t errlen)
{
	char buf[PROBE_LINE_MAX * 8];
	size_t have = 0;

	/* Byte by byte: nothing of the TLS handshake may be read here. */
	for (;;) {
		ssize_t n;
		int rc = probe_smtp_reply(buf, have, r, err, errlen);
		if (rc > 0)
			return 0;
		if (rc < 0)
			return -1;
		if (have == sizeof(buf)) {
			snprintf(err, errlen, "reply too long");
			return -1;
		}
		if ((n = read(fd, buf + have, 1)) <= 0) {
			snprintf(err, errlen, "%s", n == 0 ? "connection closed"
			    : errno == EAGAIN ? "timeout" : strerror(errno));
			return -1;
		}
		have++;
	}
}

static int
smtp_cmd(int fd, const char *cmd, struct probe_reply *r, char *err,
    size_t errlen)
{
	size_t len = strlen(cmd);

	if (write(fd, cmd, len) != (ssize_t)len) {
		snprintf(err, errlen, "write: %s", strerror(errno));
		return -1;
	}
	return smtp_reply(fd, r, err, errlen);
}

/* Banner, EHLO, STARTTLS; 1 ready for TLS, 0 no STARTTLS, -1 error. */
static int
smtp_starttls(int fd, struct host *h)
{
	struct probe_reply r;
	char ehlo[300], me[256] = "localhost";

	if (smtp_reply(fd, &r, h->error, sizeof(h->error)) < 0)
		return -1;
	if (r.code != 220) {
		snprintf(h->error, sizeof(h->error), "banner %d", r.code);
		return -1;
	}
	h->connected = 1;
	if (gethostname(me, sizeof(me) - 1) < 0 || !domain_valid(me))
		strcpy(me, "localhost");
	snprintf(ehlo, sizeof(ehlo), "EHLO %s\r\n", me);
	if (smtp_cmd(fd, ehlo, &r, h->error, sizeof(h->error)) < 0)
		return -1;
	if (r.code != 250) {
		snprintf(h->error, sizeof(h->error), "EHLO answered %d", r.code);
		return -1;
	}
	if (!(h->starttls = r.starttls))
		return 0;
	if (smtp_cmd(fd, "STARTTLS\r\n", &r, h->error, sizeof(h->error)) < 0)
		return -1;
	if (r.code != 220) {
		snprintf(h->error, sizeof(h->error), "STARTTLS answered %d", r.code);
		return -1;
	}
	return 1;
}

static void
cert_info(struct host *h, const gnutls_datum_t *der)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d;
	char buf[1024];

	if (gnutls_x509_crt_init(&crt) < 0)
		return;
	if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) < 0)
		goto out;
	if (gnutls_x509_crt_get_dn3(crt, &d, 0) == 0) {
		snprintf(h->subject, sizeof(h->subject), "%s", d.data);
		gnutls_free(d.data);
	}
	if (gnutls_x509_crt_get_issuer_dn3(crt, &d, 0) == 0) {
		snprintf(h->issuer, sizeof(h->issuer), "%s", d.data);
		gnutls_free(d.data);
	}
	h->not_after = gnutls_x509_crt_get_expiration_time(crt);
	for (unsigned i = 0; h->nnames < MAX_NAMES; i++) {
		size_t sz = sizeof(buf) - 1;
		int t = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &sz, NULL);
		if (t < 0)
			break;
		buf[sz] = '\0';
		if (t == GNUTLS_SAN_DNSNAME && strlen(buf) == sz)
			h->names[h->nnames++] = xstrdup(buf);
	}
	if (h->nnames == 0) {	/* no dNSName: the CN, as Postfix does */
		size_t sz = sizeof(buf) - 1;
		if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
		    0, 0, buf, &sz) == 0)
			h->names[h->nnames++] = xstrdup(buf);
	}
out:
	gnutls_x509_crt_deinit(crt);
}

/* Verify chain[0..n-1] against a trust list; 0 ok, else why in err. */
static int
verify_chain(gnutls_x509_trust_list_t tl, const gnutls_datum_t *chain,
    unsigned n, const char *name, char *err, size_t errlen)
{
	gnutls_x509_crt_t crts[16];
	gnutls_typed_vdata_st vd = { GNUTLS_DT_DNS_HOSTNAME,
	    (unsigned char *)name, 0 };
	gnutls_datum_t out;
	unsigned status = 0, k = 0;
	int rc = -1;

	for (; k < n && k < 16; k++)
		if (gnutls_x509_crt_init(&crts[k]) < 0
		    || gnutls_x509_crt_import(crts[k], &chain[k],
		    GNUTLS_X509_FMT_DER) < 0) {
			snprintf(err, errlen, "certificate %u does not parse", k);
			k++;
			goto out;
		}
	if (gnutls_x509_trust_list_verify_crt2(tl, crts, k, name ? &vd : NULL,
	    name ? 1 : 0, 0, &status, NULL) < 0) {
		snprintf(err, errlen, "verification failed");
		goto out;
	}
	if (status == 0) {
		rc = 0;
	} else if (gnutls_certificate_verification_status_print(status,
	    GNUTLS_CRT_X509, &out, 0) == 0) {
		snprintf(err, errlen, "%s", out.data);
		gnutls_free(out.data);
	} else {
		snprintf(err, errlen, "status 0x%x", status);
	}
out:
	while (k > 0)
		gnutls_x509_crt_deinit(crts[--k]);
	return rc;
}

static void
check_webpki(struct probe *p, struct host *h, const gnutls_datum_t *chain,
    unsigned n)
{
	const char *ca = config_get(p->cf, "sts_ca_file");
	gnutls_x509_trust_list_t tl;
	char err[256];

	if (gnutls_x509_trust_list_init(&tl, 0) < 0)
		return;
	if ((*ca ? gnutls_x509_trust_list_add_trust_file(tl, ca, NULL,
	    GNUTLS_X509_FMT_PEM, 0, 0) : gnutls_x509_trust_list_add_system_trust(
	    tl, 0, 0)) <= 0) {
		snprintf(h->webpki_why, sizeof(h->webpki_why), "no trust anchors "
		    "in %s", *ca ? ca : "the system store");
	} else if (verify_chain(tl, chain, n, NULL, err, sizeof(err)) < 0) {
		snprintf(h->webpki_why, sizeof(h->webpki_why), "%s", err);
	} else {
		h->webpki = 1;
		h->name_ok = verify_chain(tl, chain, n, h->name, err,
		    sizeof(err)) == 0;
		if (!h->name_ok)
			snprintf(h->webpki_why, sizeof(h->webpki_why), "certificate "
			    "not valid for %s", h->name);
	}
	gnutls_x509_trust_list_deinit(tl, 1);
}

/* DANE: the TLSA RRset against the chain; DANE-TA also checks the path. */
static void
check_dane(struct host *h, const gnutls_datum_t *chain, unsigned n)
{
	struct probe_tlsa recs[MAX_TLSA];
	struct probe_der der[16];
	size_t nrec, at = 0;

	if (h->tlsa == NULL)
		return;
	nrec = blockdns_tlsa(h->tlsa, recs, MAX_TLSA);
	for (unsigned i = 0; i < n && i < 16; i++) {
		der[i].data = chain[i].data;
		der[i].len = chain[i].size;
	}
	h->dane = probe_dane_eval(recs, nrec, der, n < 16 ? n : 16, &at);
	if (h->dane == PROBE_DANE_TA) {
		gnutls_x509_trust_list_t tl;
		gnutls_x509_crt_t ta;
		char err[256] = "cannot check the chain";
		int ok = 0;
		if (gnutls_x509_trust_list_init(&tl, 0) == 0) {
			if (gnutls_x509_crt_init(&ta) == 0) {
				if (gnutls_x509_crt_import(ta, &chain[at],
				    GNUTLS_X509_FMT_DER) == 0
				    && gnutls_x509_trust_list_add_cas(tl, &ta, 1, 0) == 1)
					ok = verify_chain(tl, chain, (unsigned)at + 1,
					    h->name, err, sizeof(err)) == 0;
				else
					gnutls_x509_crt_deinit(ta);
			}
			gnutls_x509_trust_list_deinit(tl, 1);
		}
		if (!ok) {
			h->dane = PROBE_DANE_NOMATCH;
			snprintf(h->dane_detail, sizeof(h->dane_detail), "DANE-TA "
			    "record matches certificate %zu, but the chain or name "
			    "fails: %s", at, err);
		}
	}
}

static void
tls_probe(struct probe *p, struct host *h, int fd)
{
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_session_t s = NULL;
	const gnutls_datum_t *chain;
	unsigned n = 0;
	char *desc;
	int rc;

	if (gnutls_certificate_allocate_credentials(&cred) < 0
	    || gnutls_init(&s, GNUTLS_CLIENT) < 0) {
		snprintf(h->error, sizeof(h->error), "GnuTLS initialisation failed");
		goto out;
	}
	gnutls_set_default_priority(s);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
	gnutls_server_name_set(s, GNUTLS_NAME_DNS, h->name, strlen(h->name));
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, PROBE_TIMEOUT_S * 1000);
	do
		rc = gnutls_handshake(s);
	while (rc < 0 && !gnutls_error_is_fatal(rc) && rc != GNUTLS_E_AGAIN);
	if (rc < 0) {
		snprintf(h->error, sizeof(h->error), "TLS handshake: %s",
		    gnutls_strerror(rc));
		goto out;
	}
	h->tls = 1;
	snprintf(h->tlsver, sizeof(h->tlsver), "%s",
	    gnutls_protocol_get_name(gnutls_protocol_get_version(s)));
	if ((desc = gnutls_session_get_desc(s)) != NULL) {
		snprintf(h->cipher, sizeof(h->cipher), "%s", desc);
		gnutls_free(desc);
	}
	if ((chain = gnutls_certificate_get_peers(s, &n)) == NULL || n == 0) {
		snprintf(h->error, sizeof(h->error), "no server certificate");
		goto out;
	}
	cert_info(h, &chain[0]);
	check_webpki(p, h, chain, n);
	check_dane(h, chain, n);
	gnutls_bye(s, GNUTLS_SHUT_WR);
out:
	if (s)
		gnutls_deinit(s);
	if (cred)
		gnutls_certificate_free_credentials(cred);
}

static void
probe_host(struct probe *p, struct host *h)
{
	int fd;

	h->sts = p->have_sts ? sts_policy_mx_match(&p->sts, h->name) : -1;
	if (lookup_addr(p, h) < 0)
		return;
	lookup_tlsa(p, h);
	if ((fd = tcp_connect(h->addr, h->error, sizeof(h->error))) < 0)
		return;
	if (smtp_starttls(fd, h) == 1)
		tls_probe(p, h, fd);
	else if (h->connected)
		(void)!write(fd, "QUIT\r\n", 6);	/* courtesy only */
	close(fd);
	/* Without a handshake usable records count as not matching. */
	if (h->tlsa && !h->tls) {
		struct probe_tlsa t[MAX_TLSA];
		size_t n = blockdns_tlsa(h->tlsa, t, MAX_TLSA);

		h->dane = PROBE_DANE_UNUSABLE;
		for (size_t i = 0; i < n; i++)
			if (probe_tlsa_usable(&t[i]))
				h->dane = PROBE_DANE_NOMATCH;
	}
}

/* Output ------------------------------------------------------------- */

static void
verdicts(struct probe *p)
{
	for (int i = 0; i < p->nhosts; i++) {
		struct host *h = &p->hosts[i];
		struct probe_facts f = { p->domain, h->name, p->mx_secure,
		    h->connected, h->starttls, h->tls, h->dane, h->webpki,
		    (const char *const *)h->names, h->nnames };
		h->verdict = probe_verdict(p->answer, &f, h->why, sizeof(h->why));
	}
}

static const char *
webpki_text(const struct host *h, char *buf, size_t len)
{
	if (!h->tls)
		return "not checked (no TLS)";
	if (h->webpki && h->name_ok)
		return "ok";
	snprintf(buf, len, "failed: %s", h->webpki_why);
	return buf;
}

static const char *
sts_text(const struct host *h)
{
	return h->sts < 0 ? "no policy" : h->sts ? "MX in policy"
	    : "MX not in policy";
}

static void
print_text(const struct probe *p)
{
	char buf[300], when[64];

	printf("domain: %s (MX RRset %s)\n", p->domain, p->mx_secure ? "secure"
	    : "insecure");
	printf("daemon answer: %s\n", p->have_answer ? p->answer : "(no answer)");
	printf("mta-sts: %s\n", p->sts_status);
	for (int i = 0; i < p->nhosts; i++) {
		const struct host *h = &p->hosts[i];
		printf("host %s (preference %d)\n", h->name, h->pref);
		printf("  address: %s%s\n", *h->addr ? h->addr : "none",
		    *h->addr ? h->addr_secure ? " (secure)" : " (insecure)" : "");
		if (*h->error)
			printf("  error: %s\n", h->error);
		printf("  starttls: %s\n", !h->connected ? "not reached"
		    : h->starttls ? "yes" : "no");
		if (h->tls) {
			struct tm tm;
			printf("  tls: %s, %s\n", h->tlsver, h->cipher);
			printf("  subject: %s\n  issuer: %s\n  names:", h->subject,
			    h->issuer);
			for (size_t k = 0; k < h->nnames; k++)
				printf(" %s", h->names[k]);
			gmtime_r(&h->not_after, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
			printf("\n  not after: %s\n", when);
		}
		printf("  dane: %s (%s)\n", probe_dane_name(h->dane),
		    *h->dane_detail ? h->dane_detail : "no lookup");
		printf("  mta-sts: %s\n", sts_text(h));
		printf("  webpki: %s\n", webpki_text(h, buf, sizeof(buf)));
		if (p->have_answer)
			printf("  verdict: %s: %s\n", probe_verdict_name(h->verdict),
			    h->why);
	}
}

static void
print_json(const struct probe *p, int rc)
{
	json_t *o = json_object(), *hosts = json_array();
	char buf[300];

	json_object_set_new(o, "domain", json_string(p->domain));
	json_object_set_new(o, "mx_secure", json_boolean(p->mx_secure));
	json_object_set_new(o, "answer", p->have_answer ? json_string(p->answer)
	    : json_null());
	json_object_set_new(o, "mta_sts", json_string(p->sts_status));
	for (int i = 0; i < p->nhosts; i++) {
		const struct host *h = &p->hosts[i];
		json_t *jh = json_object(), *names = json_array();
		json_object_set_new(jh, "name", json_string(h->name));
		json_object_set_new(jh, "preference", json_integer(h->pref));
		json_object_set_new(jh, "address", *h->addr ? json_string(h->addr)
		    : json_null());
		json_object_set_new(jh, "address_secure", json_boolean(h->addr_secure));
		if (*h->error)
			json_object_set_new(jh, "error", json_string(h->error));
		json_object_set_new(jh, "connected", json_boolean(h->connected));
		json_object_set_new(jh, "starttls", json_boolean(h->starttls));
		json_object_set_new(jh, "tls", json_boolean(h->tls));
		if (h->tls) {
			json_object_set_new(jh, "tls_version", json_string(h->tlsver));
			json_object_set_new(jh, "cipher", json_string(h->cipher));
			json_object_set_new(jh, "subject", json_string(h->subject));
			json_object_set_new(jh, "issuer", json_string(h->issuer));
			for (size_t k = 0; k < h->nnames; k++)
				json_array_append_new(names, json_string(h->names[k]));
			json_object_set_new(jh, "not_after",
			    json_integer((json_int_t)h->not_after));
		}
		json_object_set_new(jh, "names", names);
		json_object_set_new(jh, "dane", json_string(probe_dane_name(h->dane)));
		json_object_set_new(jh, "dane_detail", json_string(h->dane_detail));
		json_object_set_new(jh, "mta_sts", json_string(sts_text(h)));
		json_object_set_new(jh, "webpki", json_string(webpki_text(h, buf,
		    sizeof(buf))));
		if (p->have_answer) {
			json_object_set_new(jh, "verdict",
			    json_string(probe_verdict_name(h->verdict)));
			json_object_set_new(jh, "reason", json_string(h->why));
		}
		json_array_append_new(hosts, jh);
	}
	json_object_set_new(o, "hosts", hosts);
	json_object_set_new(o, "exit", json_integer(rc));
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	putchar('\n');
	json_decref(o);
}

static void
probe_free(struct probe *p)
{
	for (int i = 0; i < p->nhosts; i++) {
		for (size_t k = 0; k < p->hosts[i].nnames; k++)
			free(p->hosts[i].names[k]);
		ldns_rr_list_deep_free(p->hosts[i].tlsa);
	}
	if (p->have_sts)
		sts_policy_free(&p->sts);
	blockdns_free(p->dns);
	free(p->answer);
	free(p);
}

int
probe_main(const struct config *cf, int argc, char **argv)
{
	struct probe *p;
	struct key k;
	const char *why;
	char err[512];
	int json = 0, rc = 0, arc;

	if (argc == 3 && strcmp(argv[2], "--json") == 0)
		json = 1;
	else if (argc != 2) {
		fprintf(stderr, "usage: tlsmap [-c config_file] probe DOMAIN "
		    "[--json]\n");
		return 2;
	}
	if (key_normalise(argv[1], strlen(argv[1]), &k, &why) < 0
	    || k.kind != KEY_DOMAIN || k.ip_literal) {
		fprintf(stderr, "tlsmap: probe: bad domain \"%s\": %s\n", argv[1],
		    k.kind != KEY_DOMAIN ? "a mail domain, not a next-hop or "
		    "parent" : why);
		return 2;
	}
	p = xcalloc(1, sizeof(*p));
	p->cf = cf;
	snprintf(p->domain, sizeof(p->domain), "%s", k.host);
	if ((p->dns = blockdns_new(cf, err, sizeof(err))) == NULL
	    || lookup_mx(p, err, sizeof(err)) < 0) {
		fprintf(stderr, "tlsmap: probe: %s\n", err);
		probe_free(p);
		return 2;
	}
	p->answer = xmalloc(SOCKMAP_MAX_REPLY + 1);
	arc = sockmap_ask(config_get(cf, "socketmap_listen"), "tlspolicy",
	    p->domain, p->answer, SOCKMAP_MAX_REPLY + 1);
	p->have_answer = *p->answer != '\0';
	(void)arc;
	lookup_sts(p);
	for (int i = 0; i < p->nhosts; i++)
		probe_host(p, &p->hosts[i]);
	if (p->have_answer) {
		verdicts(p);
		for (int i = 0; i < p->nhosts; i++)
			if (p->hosts[i].verdict == PROBE_DEFER)
				rc = 1;
	} else {
		rc = 2;
	}
	if (json)
		print_json(p, rc);
	else
		print_text(p);
	probe_free(p);
	return rc;
}
