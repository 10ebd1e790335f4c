/* SPDX-License-Identifier: MIT */
/*
 * conf - main.cf-style configuration files
 *
 * SYNOPSIS
 *	struct config *config_new(const struct cfg_def *defs, size_t n);
 *	int config_parse_text(struct config *c, const char *text, size_t len,
 *	    const char *fname, char *err, size_t errlen);
 *	int config_load(struct config *c, const char *path, char *err,
 *	    size_t errlen);
 *	const char *config_get(const struct config *c, const char *name);
 *	long config_time(const struct config *c, const char *name);
 *	long config_long(const struct config *c, const char *name);
 *	int config_bool(const struct config *c, const char *name);
 *	void config_print(FILE *fp, const struct config *c, int only_set);
 *	const char *config_shown(const char *v, char *out, size_t outlen);
 *	void config_free(struct config *c);
 *
 *	int cf_lines(const char *text, size_t len,
 *	    int (*fn)(char *line, int lineno, void *arg), void *arg);
 *
 * DESCRIPTION
 *	The syntax is Postfix main.cf's: "name = value" logical lines; a line
 *	whose first character is white space continues the previous logical
 *	line; lines whose first non-blank character is '#', and blank lines,
 *	are ignored.  Later settings of a name replace earlier ones.
 *
 *	Every parameter has one row in a table of struct cfg_def (name,
 *	default, check function).  An unknown name, a value the check
 *	refuses, or a line without '=' makes config_parse_text() return -1
 *	with "FILE:LINE: message" in err.  Getters return the default when a
 *	name was not set; asking for a name not in the table is a bug and
 *	aborts.
 *
 *	config_print() writes every parameter's default (only_set 0) or
 *	every value set to something else (only_set 1) as "name = value"
 *	lines, each value as config_shown() gives it: v itself, or, when v
 *	has a password in a URL's user information
 *	(scheme://[user]:PASSWORD@host..., as redis_url takes it), v with
 *	"****" for the password, written into out (which must hold
 *	strlen(v) + 4 bytes).  The output of tlspolicyd -n goes to
 *	terminals, tickets and bug reports.
 *
 *	cf_listen_addr() turns a listen specification (unix:/PATH,
 *	inet:IPV4:PORT, inet:[IPV6]:PORT) into a socket address, or returns
 *	-1 with *err; cf_check_listen() is that check alone.  Daemons bind
 *	and clients connect through it, so both read the same syntax.
 *
 *	cf_lines() is the logical-line reader shared with the other text
 *	tables (overrides, inbound rules): it calls fn with each logical
 *	line (continuations joined with one space, trailing blanks removed)
 *	and the number of its first physical line; it stops and returns what
 *	fn returns when that is non-zero.
 */
#ifndef TLSPOL_CONF_H
#define TLSPOL_CONF_H

#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

typedef int (*cfg_check_fn)(const char *value, const char **err);

struct cfg_def {
	const char *name;
	const char *defval;
	cfg_check_fn check;
};

struct config;

struct config *config_new(const struct cfg_def *defs, size_t n);
int config_parse_text(struct config *c, const char *text, size_t len,
    const char *fname, char *err, size_t errlen);
int config_load(struct config *c, const char *path, char *err, size_t errlen);
const char *config_get(const struct config *c, const char *name);
long config_time(const struct config *c, const char *name);
long config_long(const struct config *c, const char *name);
int config_bool(const struct config *c, const char *name);
const char *config_file(const struct config *c);
void config_print(FILE *fp, const struct config *c, int only_set);
const char *config_shown(const char *v, char *out, size_t outlen);
void config_free(struct config *c);

int cf_lines(const char *text, size_t len,
    int (*fn)(char *line, int lineno, void *arg), void *arg);
char *file_read(const char *path, size_t max, size_t *len, const char **err);

/* Checks shared by parameter tables. */
int cf_check_listen(const char *v, const char **err);
int cf_listen_addr(const char *v, struct sockaddr_storage *ss, socklen_t *len,
    const char **err);
int cf_check_listen_list(const char *v, const char **err);
int cf_check_mode(const char *v, const char **err);
int cf_check_abspath(const char *v, const char **err);
int cf_check_abspath_or_empty(const char *v, const char **err);
int cf_check_time(const char *v, const char **err);
int cf_check_count(const char *v, const char **err);
int cf_check_bool(const char *v, const char **err);
int cf_check_log_level(const char *v, const char **err);
int cf_check_syslog_facility(const char *v, const char **err);
int cf_check_name(const char *v, const char **err);

#endif
