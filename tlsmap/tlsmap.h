/* SPDX-License-Identifier: MIT */
/*
 * tlsmap - helpers of tlsmap.c shared with its subcommands
 *
 *	int connect_spec(const char *spec);
 *	int sockmap_ask(const char *spec, const char *map, const char *key,
 *	    char *reply, size_t replylen);
 *	int control(const struct config *cf, const char *cmd, FILE *out);
 *	int explain_main(const struct config *cf, int argc, char **argv);
 *	int tlsa_main(const struct config *cf, int argc, char **argv);
 *	int tlsa_doctor(const struct config *cf, const char *pfdir,
 *	    tlsa_say_fn *say, void *arg);
 *
 *	connect_spec() connects to unix:PATH or inet:HOST:PORT (numeric
 *	host) and returns the socket, or -1 after saying why on stderr.
 *	sockmap_ask() asks the socketmap service one question and copies
 *	the reply text to reply; it returns 0 for OK, 1 for NOTFOUND, 2
 *	for TEMP, PERM or no reply (then reply is empty).
 *	control() sends one control command and writes the body to out; 0
 *	when the daemon said ok, 1 when it said error, -1 when unreachable.
 *	explain_main() is tlsmap explain (explain_cmd.c).
 *	tlsa_main() is tlsmap tlsa (tlsa_cmd.c); tlsa_doctor() is its
 *	--check for tlsmap doctor, with smtpd's certificates from the
 *	Postfix configuration directory pfdir and host myhostname, each
 *	finding handed to say (sev 0 ok, 1 warning, 2 error); it returns 1
 *	when smtpd has certificates, 0 when it has none (said as ok), -1
 *	when they cannot be read (said as an error).
 */
#ifndef TLSPOL_TLSMAP_H
#define TLSPOL_TLSMAP_H

#include <stddef.h>
#include <stdio.h>

struct config;

int connect_spec(const char *spec);
int sockmap_ask(const char *spec, const char *map, const char *key,
    char *reply, size_t replylen);
int control(const struct config *cf, const char *cmd, FILE *out);
int explain_main(const struct config *cf, int argc, char **argv);

typedef void tlsa_say_fn(void *arg, int sev, const char *fix,
    const char *msg);
int tlsa_main(const struct config *cf, int argc, char **argv);
int tlsa_doctor(const struct config *cf, const char *pfdir,
    tlsa_say_fn *say, void *arg);

#endif
