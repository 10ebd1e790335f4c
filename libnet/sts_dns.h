/* SPDX-License-Identifier: MIT */
/*
 * sts_dns - the _mta-sts TXT record in a DNS reply (RFC 8461 3.1)
 *
 * SYNOPSIS
 *	enum sts_txt_status sts_dns_txt(const ldns_pkt *pkt,
 *	    const char *qname, char *id, char *err, size_t errlen);
 *	enum tlsrpt_txt_status sts_dns_tlsrpt(const ldns_pkt *pkt,
 *	    const char *qname, struct tlsrpt_txt *out, char *err,
 *	    size_t errlen);
 *
 * DESCRIPTION
 *	MTA-STS discovery's reading of a TXT reply, shared by tlspolicyd
 *	(policyd/sts_discover.c) and tlsmap probe, so that the two always
 *	agree: the TXT records at the end of the CNAME chain from qname
 *	(at most STS_DNS_CNAME_MAX hops, within the reply's answer
 *	section), each record's character-strings joined without
 *	separators (at most STS_DNS_TXT_BYTES, STS_DNS_TXT_RECORDS
 *	records), judged by sts_txt_parse() (sts_txt.h): its status, *id
 *	(STS_ID_MAX + 1 bytes) on STS_TXT_OK, err on STS_TXT_INVALID.  pkt
 *	NULL (NXDOMAIN) is "no record".  Pure.
 *
 *	sts_dns_tlsrpt() reads the _smtp._tls TXT reply of TLSRPT (RFC
 *	8460 3) the same way (the same CNAME walk and bounds), judged by
 *	tlsrpt_txt_parse() (tlsrpt_txt.h) into *out.
 */
#ifndef TLSPOL_STS_DNS_H
#define TLSPOL_STS_DNS_H

#include <stddef.h>

#include <ldns/ldns.h>

#include "sts_txt.h"
#include "tlsrpt_txt.h"

#define STS_DNS_TXT_RECORDS	16
#define STS_DNS_TXT_BYTES	4096
#define STS_DNS_CNAME_MAX	8

enum sts_txt_status sts_dns_txt(const ldns_pkt *pkt, const char *qname,
    char *id, char *err, size_t errlen);
enum tlsrpt_txt_status sts_dns_tlsrpt(const ldns_pkt *pkt, const char *qname,
    struct tlsrpt_txt *out, char *err, size_t errlen);

#endif
