/*
 * tlsmap - helpers of tlsmap.c shared with its subcommands
 *
 *	int connect_spec(const char *spec);
 *	int sockmap_ask(const char *spec, const char *map, const char *key,
 *	    char *reply, size_t replylen);
 *	int control(const struct config *cf, const char *cmd, FILE *out);
 *	int explain_main(const struct config *cf, int argc, char **argv);
 *
 *	connect_spec() connects to unix:PATH or inet:HOST:PORT (numeric
 *	host) and returns the socket, or -1 after saying why on stderr.
 *	sockmap_ask() asks the socketmap service one question and copies
 *	the reply text to reply; it returns 0 for OK, 1 for NOTFOUND, 2
 *	for TEMP, PERM or no reply (then reply is empty).
 *	control() sends one control command and writes the body to out; 0
 *	when the daemon said ok, 1 when it said error, -1 when unreachable.
 *	explain_main() is tlsmap explain (explain_cmd.c).
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

#endif
