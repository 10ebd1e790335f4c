/* SPDX-License-Identifier: MIT */
/*
 * polreq - Postfix policy delegation requests and replies, pure codec
 *
 * SYNOPSIS
 *	enum polreq_status polreq_parse(const char *buf, size_t len,
 *	    struct polreq *req, size_t *used, char *err, size_t errlen);
 *	const char *polreq_get(const struct polreq *req, enum polreq_attr a);
 *	int polreq_has(const struct polreq *req, enum polreq_attr a);
 *	size_t polreq_format_reply(char *out, size_t cap, const char *action,
 *	    const char **err);
 *	int polreq_action_safe(const char *action, const char **err);
 *
 * DESCRIPTION
 *	The protocol of Postfix's check_policy_service ("plain attribute"
 *	format): a request is a sequence of "name=value" lines, each ended
 *	by LF, and an empty line ends it.  Names contain no '=', NUL or LF
 *	and are not empty; values contain no NUL or LF.  There is no
 *	escaping.  A reply is "action=VALUE" LF, then an empty line.
 *
 *	polreq_parse() looks at the start of buf.  POLREQ_OK: a whole
 *	request is there; req holds NUL-terminated copies of the attributes
 *	this program knows, *used the bytes the request took (the next
 *	request starts there).  POLREQ_INCOMPLETE: more bytes are needed;
 *	the limits below are still enforced on what is there, so a caller
 *	may keep a buffer of POLREQ_MAX_REQUEST bytes and treat a full
 *	buffer as an error.  POLREQ_ERR: the bytes are not a request, or
 *	exceed a limit; err says why.  After an error the stream cannot be
 *	resynchronised: the caller closes the connection without a reply.
 *
 *	Limits: POLREQ_MAX_LINE bytes a line (LF included),
 *	POLREQ_MAX_ATTRS lines a request, POLREQ_MAX_REQUEST bytes a
 *	request.  Postfix 3.7 sends 29 attributes; SMTP limits its
 *	addresses well below the line limit.
 *
 *	Attributes this program does not know are ignored (they still count
 *	towards the limits).  When an attribute occurs twice, the FIRST
 *	value is kept and later ones are ignored: Postfix never repeats one,
 *	and keeping the first means a value cannot be replaced by appending
 *	lines.  polreq_get() returns "" for an absent attribute;
 *	polreq_has() tells absent from empty.
 *
 *	polreq_format_reply() writes "action=VALUE\n\n" and returns its
 *	length, or 0 (nothing written) when cap is too small or the value
 *	is refused by polreq_action_safe().  That check exists because
 *	Postfix reads some replies as a permit: an empty value (an empty
 *	restriction list: OK), an all-numeric value ("450": OK, the numeric
 *	test comes before the "4NN text" test).  It also refuses a numeric
 *	code without text, any byte outside printable ASCII (no CR: Postfix
 *	would take "DUNNO\r" as an unknown word), leading white space, and
 *	values longer than POLREQ_MAX_ACTION.
 *
 * SEE ALSO
 *	Postfix SMTPD_POLICY_README, access(5).
 */
#ifndef TLSPOL_POLREQ_H
#define TLSPOL_POLREQ_H

#include <stddef.h>

#define POLREQ_MAX_LINE		2048
#define POLREQ_MAX_ATTRS	100
#define POLREQ_MAX_REQUEST	32768
#define POLREQ_MAX_ACTION	500

enum polreq_status {
	POLREQ_OK,
	POLREQ_INCOMPLETE,
	POLREQ_ERR
};

/* The attributes Postfix 3.7 to 3.12 send (SMTPD_POLICY_README). */
enum polreq_attr {
	PR_REQUEST,
	PR_PROTOCOL_STATE,
	PR_PROTOCOL_NAME,
	PR_CLIENT_ADDRESS,
	PR_CLIENT_NAME,
	PR_CLIENT_PORT,
	PR_REVERSE_CLIENT_NAME,
	PR_SERVER_ADDRESS,
	PR_SERVER_PORT,
	PR_HELO_NAME,
	PR_SENDER,
	PR_RECIPIENT,
	PR_RECIPIENT_COUNT,
	PR_QUEUE_ID,
	PR_INSTANCE,
	PR_SIZE,
	PR_ETRN_DOMAIN,
	PR_STRESS,
	PR_SASL_METHOD,
	PR_SASL_USERNAME,
	PR_SASL_SENDER,
	PR_CCERT_SUBJECT,
	PR_CCERT_ISSUER,
	PR_CCERT_FINGERPRINT,
	PR_CCERT_PUBKEY_FINGERPRINT,
	PR_ENCRYPTION_PROTOCOL,
	PR_ENCRYPTION_CIPHER,
	PR_ENCRYPTION_KEYSIZE,
	PR_POLICY_CONTEXT,
	PR_COMPATIBILITY_LEVEL,
	PR_MAIL_VERSION,
	PR_TLS_SNI,
	PR_NATTRS
};

struct polreq {
	const char *val[PR_NATTRS];	/* NULL: absent; else into store */
	int nlines;			/* attribute lines, known or not */
	char store[POLREQ_MAX_REQUEST];
};

enum polreq_status polreq_parse(const char *buf, size_t len,
    struct polreq *req, size_t *used, char *err, size_t errlen);
const char *polreq_get(const struct polreq *req, enum polreq_attr a);
int polreq_has(const struct polreq *req, enum polreq_attr a);
const char *polreq_attr_name(enum polreq_attr a);
size_t polreq_format_reply(char *out, size_t cap, const char *action,
    const char **err);
int polreq_action_safe(const char *action, const char **err);

#endif
