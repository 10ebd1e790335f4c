/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	tlsrpt_report - RFC 8460 report: JSON, gzip, file name, e-mail
 *
 * SYNOPSIS
 *	#include "tlsrpt_report.h"
 *
 *	char   *tlsrpt_report_id(int64_t day, unsigned idx, const char *domain);
 *	json_t *tlsrpt_report_json(const struct tlsrpt_agg_rec *r,
 *	            const char *pr, unsigned idx,
 *	            const struct tlsrpt_report_meta *m);
 *	char   *tlsrpt_report_text(const struct tlsrpt_agg_rec *r,
 *	            const char *pr, unsigned idx,
 *	            const struct tlsrpt_report_meta *m, size_t *lenp);
 *
 *	unsigned char *tlsrpt_gzip(const void *in, size_t len, size_t *outlen);
 *	unsigned char *tlsrpt_gunzip(const void *in, size_t len, size_t max,
 *	            size_t *outlen);
 *
 *	char *tlsrpt_report_filename(const char *submitter, const char *domain,
 *	          int64_t day, unsigned idx);
 *	char *tlsrpt_report_subject(const char *domain, const char *submitter,
 *	          const char *report_id);
 *	char *tlsrpt_report_mail(const struct tlsrpt_mail *m, const void *gz,
 *	          size_t gzlen, size_t *lenp, char *err, size_t errlen);
 *
 * DESCRIPTION
 *	Pure builders for the report of one (UTC day, TLSRPT domain,
 *	TLSRPT record): no I/O, no clock (times are given), no logging.
 *	Every returned pointer is the caller's to free (json_decref()
 *	for json_t).
 *
 *	tlsrpt_report_id() gives "YYYY-MM-DDT00:00:00Z_idx<idx>_<domain>"
 *	(the reference reporter's form; idx counts the reports of that day
 *	and domain from 1).
 *
 *	tlsrpt_report_json() builds the report (RFC 8460 section 4.4) from
 *	the policies of r recorded under record pr (all of them when pr is
 *	NULL); NULL when none matches or m is incomplete:
 *
 *	    organization-name	m->organization
 *	    date-range		start-datetime "YYYY-MM-DDT00:00:00Z",
 *				end-datetime "YYYY-MM-DDT23:59:59Z"
 *	    contact-info		m->contact
 *	    report-id		tlsrpt_report_id(r->day, idx, r->domain)
 *	    policies		always an array, one element per policy:
 *	      policy		policy-type "tlsa" | "sts" |
 *				"no-policy-found", policy-string and
 *				mx-host always arrays (possibly empty),
 *				policy-domain
 *	      summary		total-successful-session-count (total -
 *				failures), total-failure-session-count,
 *				JSON integers
 *	      failure-details	always an array; each: result-type,
 *				sending-mta-ip, receiving-mx-hostname,
 *				receiving-mx-helo, receiving-ip,
 *				failed-session-count (integer),
 *				additional-information,
 *				failure-reason-code; members the event did
 *				not carry are left out, never invented.
 *	A code without an RFC 8460 name becomes "validation-failure"
 *	(section 4.3.3) with failure-reason-code its own, or
 *	"tlsrpt-result-code-<c>".  Details dropped by the aggregation cap
 *	and sessions dropped by the policy cap cannot be attributed and
 *	are not in the report (the summary counts still include dropped
 *	details).  Strings are UTF-8 (tlsrpt_dgram made them so); an
 *	organization that is not is sanitised.
 *
 *	tlsrpt_report_text() is the compact JSON text of the same report.
 *
 *	tlsrpt_gzip() compresses to the gzip format (RFC 1952; header
 *	mtime 0, so the output depends on the input only).
 *	tlsrpt_gunzip() inflates one gzip member of at most max (at most
 *	TLSRPT_REPORT_MAX) bytes of output, growing its buffer as it goes;
 *	NULL when the input is not exactly that (bad data, truncated,
 *	trailing bytes, or larger than max).
 *
 *	tlsrpt_report_filename() gives RFC 8460 section 5.1's
 *	"submitter!domain!begin!end!idx.json.gz": begin is the day's
 *	00:00:00 UTC and end its 23:59:59 UTC in unix seconds (as
 *	date-range), unique-id the report index (1*(ALPHA / DIGIT)).
 *
 *	tlsrpt_report_subject() gives the unfolded Subject value of
 *	section 5.3: "Report Domain: D Submitter: S Report-ID: <L@S>",
 *	where L is the report-id without the characters that RFC 5322's
 *	dot-atom-text does not allow (the ":" of the time), so that the
 *	msg-id is valid.
 *
 *	tlsrpt_report_mail() builds the message for one mailto:
 *	destination, for sendmail -i -t (lines end with LF):
 *
 *	    From, To, Date (m->now, UTC), Subject (folded before
 *	    "Submitter:" and "Report-ID:" when longer than 78), Message-ID
 *	    (<tlsrpt.CRC.NOW@submitter>, CRC of report-id and recipient),
 *	    MIME-Version: 1.0, TLS-Report-Domain, TLS-Report-Submitter,
 *	    TLS-Required: No (RFC 8689: Postfix >= 3.10 delivers it despite
 *	    TLS policy failures), Auto-Submitted: auto-generated,
 *	    Content-Type: multipart/report; report-type="tlsrpt";
 *	    boundary="..."
 *
 *	then a text/plain part naming the organization and the report, and
 *	an application/tlsrpt+gzip part, base64 in lines of 76 characters,
 *	Content-Disposition: attachment; filename="m->filename".  The
 *	boundary starts with "=_", which base64 and the text cannot
 *	contain.  Every header value is checked: addresses (local@domain,
 *	printable ASCII, no space or "<>,;\"()\\"), domains (LDH), the
 *	report-id and file name (printable ASCII, no quote or backslash);
 *	anything else returns NULL with a reason in err, so nothing
 *	published in DNS can add a header.
 *
 * BOUNDS
 *	TLSRPT_REPORT_MAX	gzip input and gunzip output default cap
 *				(64 MiB; RFC 8460 5.2 mentions receivers
 *				limiting reports to 10 MB compressed).
 */
#ifndef TLSPOL_TLSRPT_REPORT_H
#define TLSPOL_TLSRPT_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "tlsrpt_agg.h"

#define TLSRPT_REPORT_MAX	(64 * 1024 * 1024)
#define TLSRPT_B64_LINE		76

struct tlsrpt_report_meta {
	const char *organization;	/* organization-name */
	const char *contact;		/* contact-info (an e-mail address) */
};

struct tlsrpt_mail {
	const char *from;		/* sender address */
	const char *to;			/* the mailto: address */
	const char *domain;		/* TLS-Report-Domain */
	const char *submitter;		/* TLS-Report-Submitter: the
					 * domain of contact-info (5.3) */
	const char *report_id;
	const char *filename;
	const char *organization;	/* for the text part */
	int64_t now;			/* Date: */
};

char *tlsrpt_report_id(int64_t day, unsigned idx, const char *domain);
json_t *tlsrpt_report_json(const struct tlsrpt_agg_rec *r, const char *pr,
    unsigned idx, const struct tlsrpt_report_meta *m);
char *tlsrpt_report_text(const struct tlsrpt_agg_rec *r, const char *pr,
    unsigned idx, const struct tlsrpt_report_meta *m, size_t *lenp);

unsigned char *tlsrpt_gzip(const void *in, size_t len, size_t *outlen);
unsigned char *tlsrpt_gunzip(const void *in, size_t len, size_t max,
    size_t *outlen);

char *tlsrpt_report_filename(const char *submitter, const char *domain,
    int64_t day, unsigned idx);
char *tlsrpt_report_subject(const char *domain, const char *submitter,
    const char *report_id);
char *tlsrpt_report_mail(const struct tlsrpt_mail *m, const void *gz,
    size_t gzlen, size_t *lenp, char *err, size_t errlen);

#endif
