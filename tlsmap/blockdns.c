/* SPDX-License-Identifier: MIT */
/*
 * blockdns - see blockdns.h.  A private event loop runs until the one
 * callback has fired; the cache is flushed before each query so that
 * each call is a fresh question to the resolver.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blockdns.h"
#include "conf.h"
#include "loop.h"
#include "util.h"

struct blockdns {
	struct loop *loop;
	struct dns *dns;
	char servers[DNS_MAX_SERVERS * 56];
};

struct waiter {
	struct loop *loop;
	struct blockdns_result *r;
	int done;
};

struct blockdns *
blockdns_new(const struct config *cf, char *err, size_t errlen)
{
	struct blockdns *b;
	struct dns_config dc;
	size_t off = 0;

	if (dns_config_from(&dc, cf, "/etc/resolv.conf", err, errlen) < 0)
		return NULL;
	b = xcalloc(1, sizeof(*b));
	for (int i = 0; i < dc.nservers; i++) {
		char one[56];
		dns_server_str(&dc.servers[i], one, sizeof(one));
		off += (size_t)snprintf(b->servers + off, sizeof(b->servers) - off,
		    "%s%s", i ? ", " : "", one);
		if (off >= sizeof(b->servers))
			break;
	}
	b->loop = loop_new();
	b->dns = dns_new(b->loop, &dc);
	return b;
}

static void
got(void *arg, const struct dns_result *res)
{
	struct waiter *w = arg;

	w->r->status = res->status;
	w->r->rcode = res->rcode;
	w->r->secure = res->secure;
	w->r->pkt = res->pkt ? ldns_pkt_clone(res->pkt) : NULL;
	w->done = 1;
	loop_stop(w->loop);
}

int
blockdns_query(struct blockdns *b, const char *name, int type,
    struct blockdns_result *r)
{
	struct waiter w = { b->loop, r, 0 };

	memset(r, 0, sizeof(*r));
	dns_flush(b->dns, NULL);
	if (dns_lookup(b->dns, name, type, got, &w) == NULL) {
		r->status = DNS_FORMERR;	/* a name ldns cannot encode */
		return -1;
	}
	while (!w.done)
		if (loop_run(b->loop) < 0) {
			r->status = DNS_NETERR;
			return -1;
		}
	return r->status == DNS_OK && r->pkt ? 0 : -1;
}

const char *
blockdns_servers(const struct blockdns *b)
{
	return b->servers;
}

void
blockdns_free(struct blockdns *b)
{
	if (b == NULL)
		return;
	dns_free(b->dns);
	loop_free(b->loop);
	free(b);
}

size_t
blockdns_tlsa(const ldns_rr_list *l, struct probe_tlsa *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; l != NULL && i < ldns_rr_list_rr_count(l)
	    && n < max; i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);

		if (ldns_rr_rd_count(rr) != 4)
			continue;
		out[n].usage = ldns_rdf2native_int8(ldns_rr_rdf(rr, 0));
		out[n].selector = ldns_rdf2native_int8(ldns_rr_rdf(rr, 1));
		out[n].mtype = ldns_rdf2native_int8(ldns_rr_rdf(rr, 2));
		out[n].data = ldns_rdf_data(ldns_rr_rdf(rr, 3));
		out[n].len = ldns_rdf_size(ldns_rr_rdf(rr, 3));
		n++;
	}
	return n;
}
