/* SPDX-License-Identifier: MIT */
/*
 * sts_discover.c - MTA-STS policy discovery: the _mta-sts TXT record
 * (RFC 8461 section 3.1), reached through CNAMEs (read by
 * libnet/sts_dns.c, as tlsmap probe reads it), and what its id starts:
 * an answer from the cached policy, or a fetch.  See sts.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dns.h"
#include "htable.h"
#include "log.h"
#include "sts_dns.h"
#include "sts_int.h"

static void
txt_done(void *arg, const struct dns_result *r)
{
	struct sdom *d = arg;
	struct sts *s = d->s;
	char qname[DNS_NAME_MAX + 16], id[STS_ID_MAX + 1], err[200];
	enum sts_txt_status ts;
	int64_t t = sts_now(s);

	d->txtq = NULL;
	if (r->status != DNS_OK || (r->rcode != LDNS_RCODE_NOERROR
	    && r->rcode != LDNS_RCODE_NXDOMAIN)) {
		/* Not "no record": a cached policy keeps applying. */
		log_info("domain=%s _mta-sts TXT lookup failed: %s rcode=%d",
		    d->domain, dns_status_name(r->status), r->rcode);
		d->txt_until = t + STS_TXT_ERR_RECHECK;
		sdom_wake(d, "TXT lookup failed");
		return;
	}
	snprintf(qname, sizeof(qname), "_mta-sts.%s.", d->domain);
	ts = sts_dns_txt(r->rcode == LDNS_RCODE_NOERROR ? r->pkt : NULL, qname,
	    id, err, sizeof(err));
	d->txt_until = t + (r->ttl < STS_TXT_RECHECK ? r->ttl : STS_TXT_RECHECK);
	if (ts != STS_TXT_OK) {
		d->txt_id[0] = '\0';
		if (ts == STS_TXT_INVALID)
			log_warn("domain=%s _mta-sts TXT record refused: %s",
			    d->domain, err);
		sdom_wake(d, ts == STS_TXT_NONE ? "no _mta-sts TXT record"
		    : "invalid _mta-sts TXT record");
		return;
	}
	snprintf(d->txt_id, sizeof(d->txt_id), "%s", id);
	if (strcmp(id, d->id) == 0) {
		sdom_wake(d, "");
		return;
	}
	sdom_start_fetch(d, id, 0);
	if (strcmp(id, d->id) == 0) {	/* another relay had fetched it */
		sdom_wake(d, "");
		return;
	}
	if (d->fetch_id == 0) {		/* backing off, or no fetcher */
		sdom_wake(d, "policy fetch backing off");
		return;
	}
	/* A cached policy answers while its successor is fetched. */
	if (d->id[0]) {
		sdom_wake(d, "new id being fetched");
		return;
	}
	/* First contact: the engine decides whether to wait (sts_wait()). */
	sdom_wake(d, STS_FIRST_CONTACT);
}

void
sdom_lookup_txt(struct sdom *d)
{
	char qname[DNS_NAME_MAX + 16];

	if (d->txtq != NULL || d->s->dns.lookup == NULL)
		return;
	snprintf(qname, sizeof(qname), "_mta-sts.%s.", d->domain);
	d->s->st.txt_lookups++;
	d->txtq = dns_port_lookup(&d->s->dns, qname, LDNS_RR_TYPE_TXT,
	    txt_done, d);
}

static void
flush_one(const char *key, void *value, void *arg)
{
	(void)key;
	(void)arg;
	sdom_flush(value);
}

void
sdom_flush(struct sdom *d)
{
	d->txt_until = 0;
	d->failed_until = 0;
	d->failed_id[0] = '\0';
	if (d->s->dns.lookup != NULL) {
		char qname[DNS_NAME_MAX + 16];
		snprintf(qname, sizeof(qname), "_mta-sts.%s", d->domain);
		dns_port_flush(&d->s->dns, qname);
	}
	/* Fetch again now, whatever the id and the fetcher's rate limit. */
	sdom_start_fetch(d, d->txt_id[0] ? d->txt_id : d->id, 1);
}

void
sts_flush(struct sts *s, const char *domain)
{
	if (domain == NULL) {
		htable_walk(s->doms, flush_one, NULL);
		return;
	}
	if (s->fleet)
		fleet_flush(s, domain);	/* the other relays too */
	flush_one(domain, sdom_get(s, domain, 1), NULL);
}
