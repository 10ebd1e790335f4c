/* SPDX-License-Identifier: MIT */
/*
 * fuzz_dns.h - DNS message sequences for the DNS harnesses
 *
 * SYNOPSIS
 *	size_t fuzz_msgs(const uint8_t *p, size_t n, struct fuzz_msg *m,
 *	    size_t max);
 *	ldns_pkt *fuzz_answer(struct fuzz_msg *m, size_t nm,
 *	    const char *name, int type);
 *
 * DESCRIPTION
 *	The input is a sequence of DNS messages, each preceded by its length
 *	in two bytes (as over TCP); a short last one takes what is left.
 *	fuzz_msgs() cuts it into at most max messages (not parsed yet).
 *
 *	fuzz_answer() is the fake resolver: the first unused message whose
 *	question is (name, type), else the first unused message whatever it
 *	says, parsed (NULL when none is left or it does not parse; the
 *	message is used up either way).  The caller frees the packet.
 */
#ifndef TLSPOL_FUZZ_DNS_H
#define TLSPOL_FUZZ_DNS_H

#include <strings.h>

#include <ldns/ldns.h>

struct fuzz_msg {
	const uint8_t *p;
	size_t n;
	int used;
};

static inline size_t
fuzz_msgs(const uint8_t *p, size_t n, struct fuzz_msg *m, size_t max)
{
	size_t k = 0;

	while (n > 0 && k < max) {
		size_t len = n >= 2 ? (size_t)p[0] << 8 | p[1] : 0;

		p += n >= 2 ? 2 : n;
		n -= n >= 2 ? 2 : n;
		if (len > n)
			len = n;
		m[k].p = p;
		m[k].n = len;
		m[k++].used = 0;
		p += len;
		n -= len;
	}
	return k;
}

/* Whether message m asks (name, type); name without or with the dot. */
static inline int
fuzz_msg_is(const struct fuzz_msg *m, const char *name, int type)
{
	ldns_pkt *pkt = NULL;
	int is = 0;

	if (ldns_wire2pkt(&pkt, m->p, m->n) == LDNS_STATUS_OK
	    && ldns_pkt_qdcount(pkt) == 1
	    && ldns_rr_list_rr_count(ldns_pkt_question(pkt)) == 1) {
		ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
		char *owner = ldns_rdf2str(ldns_rr_owner(q));
		size_t ol = owner ? strlen(owner) : 0, nl = strlen(name);

		if (nl > 0 && name[nl - 1] == '.')
			nl--;
		is = (int)ldns_rr_get_type(q) == type && ol == nl + 1
		    && strncasecmp(owner, name, nl) == 0;
		free(owner);
	}
	ldns_pkt_free(pkt);
	return is;
}

static inline ldns_pkt *
fuzz_answer(struct fuzz_msg *m, size_t nm, const char *name, int type)
{
	struct fuzz_msg *pick = NULL;
	ldns_pkt *pkt = NULL;

	for (size_t i = 0; i < nm && pick == NULL; i++)
		if (!m[i].used && fuzz_msg_is(&m[i], name, type))
			pick = &m[i];
	for (size_t i = 0; i < nm && pick == NULL; i++)
		if (!m[i].used)
			pick = &m[i];
	if (pick == NULL)
		return NULL;
	pick->used = 1;
	if (ldns_wire2pkt(&pkt, pick->p, pick->n) != LDNS_STATUS_OK)
		return NULL;
	return pkt;
}

#endif
