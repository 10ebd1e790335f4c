/* SPDX-License-Identifier: MIT */
/*
 * doctor - pure checks behind "tlsmap doctor"; see doctor.h.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "doctor.h"
#include "util.h"

int
doctor_postconf_get(const char *text, size_t len, const char *name,
    char *out, size_t outlen)
{
	size_t nl = strlen(name), i = 0;

	while (i < len) {
		const char *line = text + i, *end = memchr(line, '\n', len - i);
		size_t ll = end ? (size_t)(end - line) : len - i, vl;

		i += ll + 1;
		if (ll < nl + 2 || memcmp(line, name, nl) != 0 || line[nl] != ' '
		    || line[nl + 1] != '=')
			continue;
		line += nl + 2;
		ll -= nl + 2;
		if (ll > 0 && *line == ' ') {
			line++;
			ll--;
		}
		vl = ll;
		if (vl >= outlen)
			return -1;
		memcpy(out, line, vl);
		out[vl] = '\0';
		return 1;
	}
	return 0;
}

int
doctor_version_at_least(const char *version, int major, int minor)
{
	long ma, mi;
	char *end;

	if (!isdigit((unsigned char)*version))
		return -1;
	ma = strtol(version, &end, 10);
	if (*end != '.' || !isdigit((unsigned char)end[1]))
		return -1;
	mi = strtol(end + 1, &end, 10);
	if (*end != '\0' && *end != '.' && *end != '-')
		return -1;
	return ma > major || (ma == major && mi >= minor);
}

/* "unix:PATH:NAME" or "inet:HOST:PORT:NAME" (HOST may be [v6]). */
static int
split_socketmap(const char *s, size_t len, struct doctor_sm *sm)
{
	const char *colon;
	size_t sl;

	if (!((len > 5 && memcmp(s, "unix:", 5) == 0)
	    || (len > 5 && memcmp(s, "inet:", 5) == 0)))
		return -1;
	for (colon = s + len - 1; colon > s + 5 && *colon != ':'; colon--)
		;
	sl = (size_t)(colon - s);
	if (*colon != ':' || sl <= 5 || len - sl - 1 == 0
	    || sl >= sizeof(sm->spec) || len - sl - 1 >= sizeof(sm->name))
		return -1;
	memcpy(sm->spec, s, sl);
	sm->spec[sl] = '\0';
	memcpy(sm->name, colon + 1, len - sl - 1);
	sm->name[len - sl - 1] = '\0';
	/* An inet spec needs HOST:PORT before the name. */
	if (s[0] == 'i' && strchr(sm->spec + 5, ':') == NULL)
		return -1;
	return 0;
}

int
doctor_find_socketmap(const char *maps, struct doctor_sm *sm)
{
	const char *p = maps;

	memset(sm, 0, sizeof(*sm));
	for (;;) {
		size_t len;

		p += strspn(p, ", \t\r\n");
		if (*p == '\0')
			return 0;
		len = strcspn(p, ", \t\r\n");
		if (len > 6 && memcmp(p, "proxy:", 6) == 0) {
			p += 6;
			len -= 6;
		}
		if (len >= 10 && memcmp(p, "socketmap:", 10) == 0)
			return split_socketmap(p + 10, len - 10, sm) < 0 ? -1 : 1;
		p += len;
	}
}

int
doctor_map_name_ok(const char *name, const char *version, const char **why)
{
	if (strcmp(name, "tlspolicy") == 0)
		return 1;
	if (strcmp(name, "tlspolicy-tlsrpt") != 0) {
		*why = "tlspolicyd serves only the map names tlspolicy and "
		    "tlspolicy-tlsrpt";
		return 0;
	}
	if (doctor_version_at_least(version, 3, 10) == 1)
		return 1;
	*why = "tlspolicy-tlsrpt adds attributes that Postfix before 3.10 "
	    "rejects: it would defer mail";
	return 0;
}

int
doctor_master_chroot(const char *line)
{
	char buf[1024], *f[8], *save = NULL;
	int n = 0;

	if (strlen(line) >= sizeof(buf))
		return -1;
	strcpy(buf, line);
	for (char *t = strtok_r(buf, " \t\n", &save); t && n < 8;
	    t = strtok_r(NULL, " \t\n", &save))
		f[n++] = t;
	if (n < 8)
		return -1;
	if (strcmp(f[4], "y") == 0)
		return 1;
	if (strcmp(f[4], "n") == 0 || strcmp(f[4], "-") == 0)
		return 0;
	return -1;
}

int
doctor_may(mode_t mode, uid_t owner, gid_t group, uid_t uid,
    const gid_t *groups, int ngroups, int perm)
{
	if (uid == 0)
		return 1;
	if (uid == owner)
		return ((mode >> 6) & (mode_t)perm) == (mode_t)perm;
	for (int i = 0; i < ngroups; i++)
		if (groups[i] == group)
			return ((mode >> 3) & (mode_t)perm) == (mode_t)perm;
	return (mode & (mode_t)perm) == (mode_t)perm;
}

int
doctor_same_listener(const char *daemon_spec, const char *map_spec)
{
	/* The daemon may list inet:127.0.0.1:PORT; Postfix localhost:PORT. */
	if (strcmp(daemon_spec, map_spec) == 0)
		return 1;
	if (strncmp(daemon_spec, "inet:", 5) == 0
	    && strncmp(map_spec, "inet:localhost:", 15) == 0) {
		const char *port = strrchr(daemon_spec, ':');
		return strcmp(port, map_spec + 14) == 0
		    && strncmp(daemon_spec, "inet:127.", 9) == 0;
	}
	return 0;
}
