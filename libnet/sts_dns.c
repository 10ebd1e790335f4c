/* SPDX-License-Identifier: MIT */
/*
 * sts_dns - the _mta-sts TXT record in a DNS reply, as tlspolicyd and
 * tlsmap probe both read it.  The contract is in sts_dns.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sts_dns.h"
#include "util.h"

/* TXT records at the end of the CNAME chain from qname. */
static size_t
txt_records(const ldns_pkt *pkt, const char *qname, char (*bufs)[STS_DNS_TXT_BYTES],
    struct sts_txt_rec *recs, size_t max)
{
	ldns_rr_list *an = ldns_pkt_answer(pkt);
	ldns_rdf *name = ldns_dname_new_frm_str(qname);
	size_t n = 0;

	if (name == NULL || an == NULL) {
		ldns_rdf_deep_free(name);
		return 0;
	}
	for (int hop = 0; hop < STS_DNS_CNAME_MAX; hop++) {
		int moved = 0;
		for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
			ldns_rr *rr = ldns_rr_list_rr(an, i);
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME
			    && ldns_dname_compare(ldns_rr_owner(rr), name) == 0
			    && ldns_rr_rd_count(rr) == 1) {
				ldns_rdf_deep_free(name);
				name = ldns_rdf_clone(ldns_rr_rdf(rr, 0));
				moved = 1;
				break;
			}
		}
		if (!moved)
			break;
	}
	for (size_t i = 0; i < ldns_rr_list_rr_count(an) && n < max; i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		size_t len = 0;
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TXT
		    || ldns_dname_compare(ldns_rr_owner(rr), name) != 0)
			continue;
		/* One record: its character-strings, joined without spaces. */
		for (size_t j = 0; j < ldns_rr_rd_count(rr); j++) {
			const ldns_rdf *rdf = ldns_rr_rdf(rr, j);
			const uint8_t *data = ldns_rdf_data(rdf);
			size_t sz = ldns_rdf_size(rdf);
			if (sz < 1 || (size_t)data[0] + 1 > sz
			    || len + data[0] > STS_DNS_TXT_BYTES)
				break;
			memcpy(bufs[n] + len, data + 1, data[0]);
			len += data[0];
		}
		recs[n].data = bufs[n];
		recs[n].len = len;
		n++;
	}
	ldns_rdf_deep_free(name);
	return n;
}

/* The records of a reply, each with its own buffer (heap: 64 KiB). */
struct txt_set {
	struct sts_txt_rec recs[STS_DNS_TXT_RECORDS];
	char bufs[STS_DNS_TXT_RECORDS][STS_DNS_TXT_BYTES];
	size_t n;
};

static struct txt_set *
txt_set_of(const ldns_pkt *pkt, const char *qname)
{
	struct txt_set *t = xmalloc(sizeof(*t));

	t->n = pkt ? txt_records(pkt, qname, t->bufs, t->recs,
	    STS_DNS_TXT_RECORDS) : 0;
	return t;
}

enum sts_txt_status
sts_dns_txt(const ldns_pkt *pkt, const char *qname, char *id, char *err,
    size_t errlen)
{
	struct txt_set *t = txt_set_of(pkt, qname);
	enum sts_txt_status ts = sts_txt_parse(t->recs, t->n, id, err, errlen);

	free(t);
	return ts;
}

enum tlsrpt_txt_status
sts_dns_tlsrpt(const ldns_pkt *pkt, const char *qname, struct tlsrpt_txt *out,
    char *err, size_t errlen)
{
	struct txt_set *t = txt_set_of(pkt, qname);
	enum tlsrpt_txt_status ts = tlsrpt_txt_parse(t->recs, t->n, out, err,
	    errlen);

	free(t);
	return ts;
}
