/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	tlsrpt_ports - the TLSRPT reporter's ports in the daemon
 *
 * SYNOPSIS
 *	#include "tlsrpt_ports.h"
 *
 *	void tlsrpt_source_of_store(struct store *st, struct rpt_source *src);
 *	void tlsrpt_sender_of(struct tlsrpt_out *o, struct rpt_sender *out);
 *
 * DESCRIPTION
 *	tlsrpt_source_of_store() gives the store's raw records
 *	(store_rec_get/put/del/iter_prefix, store.h) as the reporter's
 *	struct rpt_source (tlsrpt_send.h): the aggregates the collector
 *	wrote and the reporter's delivery states.
 *
 *	tlsrpt_sender_of() gives the reporter's deliveries: mail through
 *	o->sendmail (tlsrpt_sendmail_start(), bounded by o->timeout_ms),
 *	https: POSTs through the fetcher o->fetch (fetchctl_post()); no
 *	post when o->fetch is NULL (MTA-STS off: no fetcher, so https:
 *	destinations are not used).  o must outlive the reporter.
 */
#ifndef TLSPOL_TLSRPT_PORTS_H
#define TLSPOL_TLSRPT_PORTS_H

#include "fetchctl.h"
#include "loop.h"
#include "store.h"
#include "tlsrpt_send.h"

struct tlsrpt_out {
	struct loop *loop;
	const char *sendmail;
	long timeout_ms;
	struct fetchctl *fetch;		/* NULL: no https: */
};

void tlsrpt_source_of_store(struct store *st, struct rpt_source *src);
void tlsrpt_sender_of(struct tlsrpt_out *o, struct rpt_sender *out);

#endif
