/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "util.h"

struct config {
	const struct cfg_def *defs;
	size_t n;
	char **values;		/* NULL: not set */
	char *file;
};

struct config *
config_new(const struct cfg_def *defs, size_t n)
{
	struct config *c = xcalloc(1, sizeof(*c));

	c->defs = defs;
	c->n = n;
	c->values = xcalloc(n, sizeof(char *));
	return c;
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->values[i]);
	free(c->values);
	free(c->file);
	free(c);
}

static size_t
config_index(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->defs[i].name, name) == 0)
			return i;
	return (size_t)-1;
}

/* Logical lines, main.cf style. */
int
cf_lines(const char *text, size_t len,
    int (*fn)(char *line, int lineno, void *arg), void *arg)
{
	char *buf = xmalloc(len + 1);
	size_t used = 0, i = 0;
	int lineno = 0, start = 0, rc = 0;

	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - (text + i)) : len - i;
		const char *line = text + i;
		size_t j = 0;

		lineno++;
		i += ll + (nl ? 1 : 0);
		while (j < ll && (line[j] == ' ' || line[j] == '\t'
		    || line[j] == '\r'))
			j++;
		if (j == ll || line[j] == '#')
			continue;	/* blank or comment */
		if (j == 0) {
			/* A new logical line: flush the previous one. */
			if (used > 0) {
				buf[used] = '\0';
				if ((rc = fn(buf, start, arg)) != 0)
					goto out;
			}
			used = 0;
			start = lineno;
		} else if (used == 0) {
			/* Continuation without a line to continue. */
			start = lineno;
		} else {
			buf[used++] = ' ';
		}
		memcpy(buf + used, line + j, ll - j);
		used += ll - j;
		while (used > 0 && (buf[used - 1] == ' ' || buf[used - 1] == '\t'
		    || buf[used - 1] == '\r'))
			used--;
	}
	if (used > 0) {
		buf[used] = '\0';
		rc = fn(buf, start, arg);
	}
out:
	free(buf);
	return rc;
}

struct parse_ctx {
	struct config *c;
	const char *fname;
	char *err;
	size_t errlen;
};

static int
parse_line(char *line, int lineno, void *arg)
{
	struct parse_ctx *p = arg;
	char *eq = strchr(line, '='), *name_end, *val;
	const char *why = NULL;
	size_t idx;

	if (eq == NULL) {
		snprintf(p->err, p->errlen, "%s:%d: missing '=' after parameter name",
		    p->fname, lineno);
		return -1;
	}
	name_end = eq;
	while (name_end > line && (name_end[-1] == ' ' || name_end[-1] == '\t'))
		name_end--;
	*name_end = '\0';
	val = eq + 1;
	while (*val == ' ' || *val == '\t')
		val++;
	if (*line == '\0' || strpbrk(line, " \t") != NULL) {
		snprintf(p->err, p->errlen, "%s:%d: malformed parameter name",
		    p->fname, lineno);
		return -1;
	}
	if ((idx = config_index(p->c, line)) == (size_t)-1) {
		snprintf(p->err, p->errlen, "%s:%d: unknown parameter \"%.100s\"",
		    p->fname, lineno, line);
		return -1;
	}
	if (p->c->defs[idx].check && p->c->defs[idx].check(val, &why) < 0) {
		snprintf(p->err, p->errlen, "%s:%d: bad value for %s: %s",
		    p->fname, lineno, line, why ? why : "invalid");
		return -1;
	}
	free(p->c->values[idx]);
	p->c->values[idx] = xstrdup(val);
	return 0;
}

int
config_parse_text(struct config *c, const char *text, size_t len,
    const char *fname, char *err, size_t errlen)
{
	struct parse_ctx p = { c, fname, err, errlen };

	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: NUL byte in configuration", fname);
		return -1;
	}
	free(c->file);
	c->file = xstrdup(fname);
	return cf_lines(text, len, parse_line, &p) ? -1 : 0;
}

char *
file_read(const char *path, size_t max, size_t *lenp, const char **err)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t len = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		*err = strerror(errno);
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*err = "not a regular file";
		close(fd);
		return NULL;
	}
	if ((size_t)st.st_size > max) {
		*err = "file too large";
		close(fd);
		return NULL;
	}
	buf = xmalloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

int
config_load(struct config *c, const char *path, char *err, size_t errlen)
{
	const char *why;
	size_t len;
	char *text = file_read(path, 1 << 20, &len, &why);
	int rc;

	if (text == NULL) {
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	rc = config_parse_text(c, text, len, path, err, errlen);
	free(text);
	return rc;
}

const char *
config_get(const struct config *c, const char *name)
{
	size_t i = config_index(c, name);

	if (i == (size_t)-1) {
		log_err("bug: unknown configuration parameter %s", name);
		abort();
	}
	return c->values[i] ? c->values[i] : c->defs[i].defval;
}

const char *
config_file(const struct config *c)
{
	return c->file ? c->file : "(defaults)";
}

long
config_time(const struct config *c, const char *name)
{
	return parse_time(config_get(c, name));
}

long
config_long(const struct config *c, const char *name)
{
	return parse_long(config_get(c, name), LONG_MIN + 1, LONG_MAX);
}

int
config_bool(const struct config *c, const char *name)
{
	return strcmp(config_get(c, name), "yes") == 0;
}

const char *
config_shown(const char *v, char *out, size_t outlen)
{
	const char *auth = strstr(v, "://"), *at, *colon, *end;

	if (auth == NULL)
		return v;
	auth += 3;
	end = auth + strcspn(auth, "/");	/* as redis_url_parse() */
	at = memchr(auth, '@', (size_t)(end - auth));
	colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (colon == NULL || colon + 1 == at)
		return v;
	snprintf(out, outlen, "%.*s****%s", (int)(colon + 1 - v), v, at);
	return out;
}

void
config_print(FILE *fp, const struct config *c, int only_set)
{
	for (size_t i = 0; i < c->n; i++) {
		const char *v = c->values[i];
		if (only_set) {
			if (v == NULL || strcmp(v, c->defs[i].defval) == 0)
				continue;
		} else {
			v = c->defs[i].defval;
		}
		size_t len = strlen(v) + 4;
		char *buf = xmalloc(len);

		v = config_shown(v, buf, len);
		fprintf(fp, "%s =%s%s\n", c->defs[i].name, *v ? " " : "", v);
		free(buf);
	}
}

/* Value checks. */

int
cf_listen_addr(const char *v, struct sockaddr_storage *ss, socklen_t *len,
    const char **err)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_un *su = (struct sockaddr_un *)ss;
	char host[64];
	const char *colon;
	long port;

	memset(ss, 0, sizeof(*ss));
	if (strncmp(v, "unix:", 5) == 0) {
		if (v[5] != '/') {
			*err = "unix: needs an absolute path";
			return -1;
		}
		if (strlen(v + 5) >= sizeof(su->sun_path)) {
			*err = "unix socket path too long";
			return -1;
		}
		su->sun_family = AF_UNIX;
		strcpy(su->sun_path, v + 5);
		*len = sizeof(*su);
		return 0;
	}
	if (strncmp(v, "inet:", 5) != 0) {
		*err = "expected unix:PATH or inet:ADDRESS:PORT";
		return -1;
	}
	v += 5;
	if (*v == '[') {
		const char *close = strchr(v, ']');
		if (close == NULL || close[1] != ':' || (size_t)(close - v - 1) >= sizeof(host)) {
			*err = "expected inet:[IPV6]:PORT";
			return -1;
		}
		memcpy(host, v + 1, (size_t)(close - v - 1));
		host[close - v - 1] = '\0';
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1) {
			*err = "invalid IPv6 address";
			return -1;
		}
		s6->sin6_family = AF_INET6;
		*len = sizeof(*s6);
		colon = close + 1;
	} else {
		colon = strrchr(v, ':');
		if (colon == NULL || (size_t)(colon - v) >= sizeof(host)) {
			*err = "expected inet:ADDRESS:PORT";
			return -1;
		}
		memcpy(host, v, (size_t)(colon - v));
		host[colon - v] = '\0';
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1) {
			*err = "invalid IPv4 address (use [::1] for IPv6)";
			return -1;
		}
		s4->sin_family = AF_INET;
		*len = sizeof(*s4);
	}
	port = parse_long(colon + 1, 1, 65535);
	if (port == LONG_MIN) {
		*err = "invalid port";
		return -1;
	}
	/* sin_port and sin6_port sit at the same offset. */
	s4->sin_port = htons((uint16_t)port);
	return 0;
}

int
cf_check_listen(const char *v, const char **err)
{
	struct sockaddr_storage ss;
	socklen_t len;

	return cf_listen_addr(v, &ss, &len, err);
}

int
cf_check_listen_list(const char *v, const char **err)
{
	if (*v == '\0')
		return 0;	/* disabled */
	return cf_check_listen(v, err);
}

int
cf_check_mode(const char *v, const char **err)
{
	char *end;
	long m;

	errno = 0;
	m = strtol(v, &end, 8);
	if (*v == '\0' || *end || errno || m < 0 || m > 0777) {
		*err = "expected an octal mode such as 0660";
		return -1;
	}
	return 0;
}

int
cf_check_abspath(const char *v, const char **err)
{
	if (v[0] != '/') {
		*err = "expected an absolute path";
		return -1;
	}
	return 0;
}

int
cf_check_abspath_or_empty(const char *v, const char **err)
{
	return *v ? cf_check_abspath(v, err) : 0;
}

int
cf_check_time(const char *v, const char **err)
{
	if (parse_time(v) < 0) {
		*err = "expected a time such as 30s, 5m, 1h or 1d";
		return -1;
	}
	return 0;
}

int
cf_check_count(const char *v, const char **err)
{
	if (parse_long(v, 1, 1000000000L) == LONG_MIN) {
		*err = "expected a positive integer";
		return -1;
	}
	return 0;
}

int
cf_check_bool(const char *v, const char **err)
{
	if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0) {
		*err = "expected yes or no";
		return -1;
	}
	return 0;
}

int
cf_check_log_level(const char *v, const char **err)
{
	if (log_level_parse(v) < 0) {
		*err = "expected error, warning, notice, info or debug";
		return -1;
	}
	return 0;
}

int
cf_check_syslog_facility(const char *v, const char **err)
{
	if (log_facility_parse(v) < 0) {
		*err = "expected mail, daemon, user or local0 to local7";
		return -1;
	}
	return 0;
}

int
cf_check_name(const char *v, const char **err)
{
	for (const char *p = v; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
		    || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'
		    || *p == '.')) {
			*err = "expected a user or group name";
			return -1;
		}
	}
	return 0;
}
