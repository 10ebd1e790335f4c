/* SPDX-License-Identifier: MIT */
/*
 * inbound - inbound TLS rules: the rules file and its evaluation
 *
 * SYNOPSIS
 *	struct inbound *inbound_parse(const char *text, size_t len,
 *	    const char *fname, char *err, size_t errlen);
 *	struct inbound *inbound_load(const char *path, char *err,
 *	    size_t errlen);
 *	struct inbound *inbound_empty(void);
 *	size_t inbound_count(const struct inbound *ib);
 *	void inbound_free(struct inbound *ib);
 *
 *	void inbound_eval(const struct inbound *ib, const struct polreq *req,
 *	    struct inb_result *res);
 *	size_t inbound_log_line(const struct polreq *req,
 *	    const struct inb_result *res, char *buf, size_t buflen);
 *	void inbound_tally(struct inbound *ib, const struct inb_result *res);
 *	const char *inbound_rule_tally(const struct inbound *ib, size_t i,
 *	    const unsigned long **counts);
 *
 * DESCRIPTION
 *	The rules file syntax and semantics are documented in
 *	tlspolicyd-inbound(5); this is the contract for the code.
 *
 *	inbound_parse() reads logical lines (cf_lines(): continuations and
 *	comments as in main.cf).  Each is "NAME word...", every word a
 *	"key=value".  A rules file is loaded whole or not at all: any error
 *	returns NULL with "FILE:LINE: message" in err.  This includes rules
 *	that cannot be enforced at the stages they name (a sender match
 *	before MAIL, a recipient match other than at RCPT, a SASL match
 *	before MAIL, prepend=yes without the DATA stage, filter= without
 *	MAIL or RCPT).  inbound_load() reads a file (at most
 *	INBOUND_MAX_FILE bytes) and parses it.
 *
 *	inbound_eval() is pure: it applies the first rule whose conditions
 *	all match the request and fills res.  res->action is always a value
 *	polreq_action_safe() accepts (never empty, never a bare code);
 *	res->rule is NULL when no rule matched (action DUNNO).  res->log is
 *	set when the outcome must be logged (a violation, whatever the
 *	rule's action), and res->note carries a warning to log as well (a
 *	fingerprint digest length that no pin of the rule has).
 *
 *	inbound_log_line() formats the one structured log line for res:
 *	key=value fields, untrusted values made printable and quoted.
 *	inbound_tally() counts res against its rule (res->index) by action
 *	(inbound_tally_names[]: pass, wait, and the verdicts defer, reject,
 *	warn), for metrics; nothing when no rule matched.
 *	inbound_rule_tally() returns the name of rule i (NULL past the
 *	last) and points *counts at its INB_TALLIES counters.  The counters
 *	live with the rules: a reload starts them at zero.
 */
#ifndef TLSPOL_INBOUND_H
#define TLSPOL_INBOUND_H

#include <stddef.h>

#include "polreq.h"

#define INBOUND_MAX_FILE	(4 << 20)

struct inbound;
struct inb_rule;

enum inb_outcome {
	INB_NOMATCH,		/* no rule applies: DUNNO */
	INB_PASS,		/* a rule matched and its requirements hold */
	INB_WAIT,		/* plaintext before MAIL: cannot decide yet */
	INB_VIOLATION		/* requirements not met */
};

struct inb_result {
	enum inb_outcome outcome;
	const char *rule;		/* rule name, NULL when none matched */
	size_t index;			/* of the rule, when one matched */
	int lineno;			/* of the rule */
	const char *verdict;		/* defer, reject, warn or NULL */
	int log;
	char missing[160];		/* "tls", "protocol TLSv1 < TLSv1.2", ... */
	char note[200];
	char action[POLREQ_MAX_ACTION + 1];
};

struct inbound *inbound_parse(const char *text, size_t len, const char *fname,
    char *err, size_t errlen);
struct inbound *inbound_load(const char *path, char *err, size_t errlen);
struct inbound *inbound_empty(void);
enum { INB_TALLY_PASS, INB_TALLY_WAIT, INB_TALLY_DEFER, INB_TALLY_REJECT,
	INB_TALLY_WARN, INB_TALLIES };
extern const char *const inbound_tally_names[INB_TALLIES];
void inbound_tally(struct inbound *ib, const struct inb_result *res);
const char *inbound_rule_tally(const struct inbound *ib, size_t i,
    const unsigned long **counts);
size_t inbound_count(const struct inbound *ib);
void inbound_free(struct inbound *ib);
void inbound_eval(const struct inbound *ib, const struct polreq *req,
    struct inb_result *res);
size_t inbound_log_line(const struct polreq *req, const struct inb_result *res,
    char *buf, size_t buflen);

/* Helpers with their own tests. */
int inbound_protocol_rank(const char *proto);
int inbound_fp_decode(const char *s, unsigned char *out, size_t outcap);

#endif
