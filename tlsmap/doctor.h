/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	doctor - pure checks behind "tlsmap doctor"
 *
 * SYNOPSIS
 *	#include "doctor.h"
 *
 *	int doctor_postconf_get(const char *text, size_t len,
 *	    const char *name, char *out, size_t outlen);
 *	int doctor_version_at_least(const char *version, int major, int minor);
 *	int doctor_find_socketmap(const char *maps, struct doctor_sm *sm);
 *	int doctor_map_name_ok(const char *name, const char *version,
 *	    const char **why);
 *	int doctor_master_chroot(const char *line);
 *	int doctor_may(mode_t mode, uid_t owner, gid_t group, uid_t uid,
 *	    const gid_t *groups, int ngroups, int perm);
 *	int doctor_same_listener(const char *daemon_spec, const char *map_spec);
 *
 * DESCRIPTION
 *	No I/O here: the command (doctor_cmd.c) runs postconf, stats and
 *	connects, and these functions judge what it found.
 *
 *	doctor_postconf_get() finds "name = value" in the output of
 *	postconf(1) and copies the value (possibly empty) to out: 1 found,
 *	0 not there, -1 value too long.
 *
 *	doctor_version_at_least() compares a Postfix mail_version such as
 *	"3.7.11" with major.minor: 1 when at least that, 0 when older, -1
 *	when the version does not parse.
 *
 *	doctor_find_socketmap() finds the first socketmap table (also
 *	behind proxy:) in a smtp_tls_policy_maps value (tables separated
 *	by commas or white space) and splits "socketmap:unix:PATH:NAME" or
 *	"socketmap:inet:HOST:PORT:NAME" into sm->spec ("unix:PATH",
 *	"inet:HOST:PORT") and sm->name: 1 found, 0 none, -1 malformed.
 *
 *	doctor_map_name_ok() says whether the daemon serves the map name
 *	to that Postfix version: "tlspolicy" always, "tlspolicy-tlsrpt"
 *	only from 3.10 (older versions defer mail on its attributes).
 *	Returns 1 ok, 0 not (with *why).
 *
 *	doctor_master_chroot() reads one master.cf service line as printed
 *	by "postconf -M" and returns 1 when the service is chrooted, 0 when
 *	not ("-" is "n" since Postfix 3.0), -1 when the line is malformed.
 *
 *	doctor_may() applies the Unix permission rule: may a process with
 *	uid and the groups use perm (4 read, 2 write, 1 search) on a file
 *	with this mode and owner?  uid 0 may always.
 *
 *	doctor_same_listener() compares the daemon's socketmap_listen with
 *	a table's spec, as addresses: 1 same, 0 different.
 */
#ifndef TLSPOL_DOCTOR_H
#define TLSPOL_DOCTOR_H

#include <stddef.h>
#include <sys/types.h>

#define DOCTOR_SPEC_MAX	1024

struct doctor_sm {
	char spec[DOCTOR_SPEC_MAX];
	char name[128];
};

struct config;

int doctor_postconf_get(const char *text, size_t len, const char *name,
    char *out, size_t outlen);
int doctor_version_at_least(const char *version, int major, int minor);
int doctor_find_socketmap(const char *maps, struct doctor_sm *sm);
int doctor_map_name_ok(const char *name, const char *version,
    const char **why);
int doctor_master_chroot(const char *line);
int doctor_may(mode_t mode, uid_t owner, gid_t group, uid_t uid,
    const gid_t *groups, int ngroups, int perm);
int doctor_same_listener(const char *daemon_spec, const char *map_spec);

/*
 * The command, in doctor_cmd.c: exit 0 all ok, 1 warnings, 2 errors.
 * doctor_run() runs argv without a shell, its stdout into buf (at most
 * max - 1 bytes, NUL-terminated, length in *len); it returns the exit
 * status, or -1 when the program could not run or was killed.
 */
int doctor_main(const struct config *cf, int argc, char **argv);
int doctor_run(char *const argv[], char *buf, size_t max, size_t *len);

#endif
