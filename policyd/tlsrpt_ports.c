/* SPDX-License-Identifier: MIT */
/*
 * tlsrpt_ports - the TLSRPT reporter's ports in the daemon: the store's
 * raw records (store_rec_*) as its struct rpt_source, and as its struct
 * rpt_sender the local sendmail (tlsrpt_sendmail_start()) and the
 * fetcher's POST (fetchctl_post()).  See tlsrpt_ports.h.
 */
#include "config.h"

#include <stdlib.h>

#include "tlsrpt_ports.h"
#include "util.h"

/* The store ----------------------------------------------------------- */

static int
src_get(void *impl, const char *key, void **valp, size_t *lenp)
{
	return store_rec_get(impl, key, valp, lenp);
}

static int
src_put(void *impl, const char *key, const void *val, size_t len)
{
	return store_rec_put(impl, key, val, len);
}

static int
src_del(void *impl, const char *key)
{
	return store_rec_del(impl, key);
}

static int
src_iter(void *impl, const char *prefix, rpt_rec_fn fn, void *arg)
{
	return store_rec_iter_prefix(impl, prefix, fn, arg);
}

void
tlsrpt_source_of_store(struct store *st, struct rpt_source *src)
{
	src->get = src_get;
	src->put = src_put;
	src->del = src_del;
	src->iter_prefix = src_iter;
	src->impl = st;
}

/* Deliveries ----------------------------------------------------------- */

static int
out_mail(void *impl, const char *from, const char *rcpt, const char *msg,
    size_t len, rpt_done_fn cb, void *arg)
{
	struct tlsrpt_out *o = impl;

	return tlsrpt_sendmail_start(o->loop, o->sendmail, o->timeout_ms, from,
	    rcpt, msg, len, cb, arg);
}

/* A POST in flight: the reporter's callback behind the fetcher's. */
struct post {
	rpt_done_fn cb;
	void *arg;
};

static void
post_done(void *arg, const struct fetch_result *r)
{
	struct post *p = arg;

	p->cb(p->arg, r->ok, r->detail ? r->detail : r->error);
	free(p);
}

static int
out_post(void *impl, const char *url, const void *body, size_t len,
    rpt_done_fn cb, void *arg)
{
	struct tlsrpt_out *o = impl;
	struct post *p = xcalloc(1, sizeof(*p));

	p->cb = cb;
	p->arg = arg;
	if (fetchctl_post(o->fetch, url, body, len, post_done, p) < 0) {
		free(p);
		return -1;
	}
	return 0;
}

void
tlsrpt_sender_of(struct tlsrpt_out *o, struct rpt_sender *out)
{
	out->mail = out_mail;
	out->post = o->fetch != NULL ? out_post : NULL;
	out->impl = o;
}
