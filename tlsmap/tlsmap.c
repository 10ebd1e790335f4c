/* SPDX-License-Identifier: MIT */
/*
 * tlsmap - administration of tlspolicyd, postmap style
 *
 *	tlsmap [-c config_file] [-m map] -q KEY   what the daemon answers
 *	tlsmap [-c config_file] [-m map] -q -     the same for each key
 *	                                          of standard input
 *	tlsmap [-c config_file] -s                print the override table
 *	tlsmap [-c config_file] -d KEY|-          delete overrides
 *	tlsmap [-c config_file] add KEY VALUE...  add or replace an override
 *	tlsmap [-c config_file] FILE              check FILE; reload if it is
 *	                                          the daemon's overrides_file
 *	tlsmap [-c config_file] reload            reload the daemon's tables
 *	tlsmap [-c config_file] flush DOMAIN|all  forget cached DNS, refetch
 *	tlsmap [-c config_file] refresh           run the MTA-STS refresh scan
 *	tlsmap [-c config_file] clock +SECONDS    move the daemon's MTA-STS
 *	                                          clock (clock_control, tests)
 *	tlsmap [-c config_file] status [--json]   the daemon's state
 *	tlsmap [-c config_file] probe DOMAIN [--json]  test its MX hosts
 *	tlsmap [-c config_file] explain KEY [--json]   how the daemon decides
 *	tlsmap [-c config_file] doctor [-C dir]   check Postfix's settings
 *	tlsmap [-c config_file] tlsa [-C dir] [-n host] [--check]
 *	                                          smtpd's TLSA records
 *
 *	Exit status as postmap's: 0 found or done, 1 not found, 2 or more
 *	for errors.  Edits validate the whole new table first, write a
 *	temporary file, fsync it and rename it over the table, under a lock
 *	against concurrent writers, then ask the daemon to reload.  A failing
 *	edit leaves the old file and the live table untouched.  See tlsmap(8).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "doctor.h"
#include "domain.h"
#include "log.h"
#include "netstring.h"
#include "overrides.h"
#include "params.h"
#include "probe.h"
#include "report.h"
#include "sockmap.h"
#include "tlspolicy.h"
#include "tlsmap.h"
#include "util.h"

#define EXIT_FOUND	0
#define EXIT_NOTFOUND	1
#define EXIT_ERROR	2
#define EXIT_RELOAD	3	/* edit saved, daemon not reloaded */
#define QUERY_TIMEOUT_MS 30000
#define LOCK_TIMEOUT_MS	10000
#define CTL_LINE_MAX	1024

static void
usage(void)
{
	fprintf(stderr,
	    "usage: tlsmap [-c config_file] [-m map_name] -q KEY|-\n"
	    "       tlsmap [-c config_file] -s\n"
	    "       tlsmap [-c config_file] -d KEY|-\n"
	    "       tlsmap [-c config_file] add KEY VALUE...\n"
	    "       tlsmap [-c config_file] FILE\n"
	    "       tlsmap [-c config_file] reload\n"
	    "       tlsmap [-c config_file] flush DOMAIN|all\n"
	    "       tlsmap [-c config_file] refresh\n"
	    "       tlsmap [-c config_file] status [--json]\n"
	    "       tlsmap [-c config_file] probe DOMAIN [--json]\n"
	    "       tlsmap [-c config_file] explain KEY [--json]\n"
	    "       tlsmap [-c config_file] doctor [-C postfix_dir] [-n name]\n"
	    "       tlsmap [-c config_file] tlsa [-C postfix_dir] [-n host] "
	    "[--next cert_file]... [--check]\n"
	    "       tlsmap [-c config_file] report [DOMAIN] [--day YYYY-MM-DD] "
	    "[--json]\n"
	    "       tlsmap --version\n");
	exit(EXIT_ERROR);
}

int
connect_spec(const char *spec)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	const char *why;
	int fd;

	if (cf_listen_addr(spec, &ss, &sl, &why) < 0) {
		fprintf(stderr, "tlsmap: %s: %s\n", spec, why);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&ss, sl) == 0)
		return fd;
	fprintf(stderr, "tlsmap: connect to %s: %s\n", spec, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/*
 * One socketmap question; the reply ("OK value", "NOTFOUND ", "TEMP
 * why"...) goes to reply.  Returns EXIT_FOUND, EXIT_NOTFOUND or
 * EXIT_ERROR (TEMP, PERM, or no reply: then reply is empty).
 */
int
sockmap_ask(const char *spec, const char *map, const char *key, char *reply,
    size_t replylen)
{
	char req[SOCKMAP_MAX_REQUEST + 64], payload[SOCKMAP_MAX_REQUEST];
	char *buf = xmalloc(SOCKMAP_MAX_REPLY + 64);
	const char *r;
	size_t rl, used, have = 0, n;
	int fd, plen, rc = EXIT_ERROR;

	*reply = '\0';
	plen = snprintf(payload, sizeof(payload), "%s %s", map, key);
	if (plen < 0 || (size_t)plen >= sizeof(payload)) {
		fprintf(stderr, "tlsmap: key too long\n");
		free(buf);
		return EXIT_ERROR;
	}
	n = netstring_encode(req, sizeof(req), payload, (size_t)plen);
	if ((fd = connect_spec(spec)) < 0) {
		free(buf);
		return EXIT_ERROR;
	}
	if (write(fd, req, n) != (ssize_t)n) {
		fprintf(stderr, "tlsmap: write to %s: %s\n", spec, strerror(errno));
		goto out;
	}
	for (;;) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		enum ns_status st = netstring_decode(buf, have, SOCKMAP_MAX_REPLY,
		    &r, &rl, &used);
		ssize_t got;
		if (st == NS_OK)
			break;
		if (st != NS_INCOMPLETE) {
			fprintf(stderr, "tlsmap: bad reply from %s: %s\n", spec,
			    netstring_strerror(st));
			goto out;
		}
		if (poll(&pfd, 1, QUERY_TIMEOUT_MS) <= 0) {
			fprintf(stderr, "tlsmap: no reply from %s\n", spec);
			goto out;
		}
		got = read(fd, buf + have, SOCKMAP_MAX_REPLY + 64 - have);
		if (got <= 0) {
			fprintf(stderr, "tlsmap: %s closed the connection\n", spec);
			goto out;
		}
		have += (size_t)got;
	}
	snprintf(reply, replylen, "%.*s", (int)rl, r);
	if (rl >= 3 && memcmp(r, "OK ", 3) == 0)
		rc = EXIT_FOUND;
	else if (rl >= 8 && memcmp(r, "NOTFOUND", 8) == 0)
		rc = EXIT_NOTFOUND;
out:
	close(fd);
	free(buf);
	return rc;
}

static char **stdin_keys(size_t *n);
static void free_keys(char **keys, size_t n);

static int
query(const char *spec, const char *map, const char *key)
{
	char *reply = xmalloc(SOCKMAP_MAX_REPLY + 1);
	int rc = sockmap_ask(spec, map, key, reply, SOCKMAP_MAX_REPLY + 1);

	if (rc == EXIT_FOUND)
		printf("%s\n", reply + 3);
	else if (rc == EXIT_ERROR && *reply)
		fprintf(stderr, "tlsmap: %s: %s\n", key, reply);
	free(reply);
	return rc;
}

/*
 * "-q -": ask for each key of standard input, print "key<TAB>value" for
 * those found, as postmap -q - does.  0 when at least one was found, 1
 * when none was, 2 when a question failed (the others are still asked).
 */
static int
query_stdin(const char *spec, const char *map)
{
	char *reply = xmalloc(SOCKMAP_MAX_REPLY + 1), **keys;
	size_t n;
	int found = 0, failed = 0;

	if ((keys = stdin_keys(&n)) == NULL) {
		free(reply);
		return EXIT_ERROR;
	}
	for (size_t i = 0; i < n; i++) {
		int rc = sockmap_ask(spec, map, keys[i], reply,
		    SOCKMAP_MAX_REPLY + 1);
		if (rc == EXIT_FOUND) {
			printf("%s\t%s\n", keys[i], reply + 3);
			found = 1;
		} else if (rc == EXIT_ERROR) {
			if (*reply)
				fprintf(stderr, "tlsmap: %s: %s\n", keys[i], reply);
			failed = 1;
		}
	}
	free_keys(keys, n);
	free(reply);
	return failed ? EXIT_ERROR : found ? EXIT_FOUND : EXIT_NOTFOUND;
}

/*
 * Control socket: send one command line, print the body, return 0 when
 * the daemon said "ok", 1 when it said "error", -1 when unreachable.
 */
int
control(const struct config *cf, const char *cmd, FILE *out)
{
	const char *spec = config_get(cf, "control_listen");
	char buf[65536], *nl;
	size_t have = 0;
	int fd, ok;

	if (*spec == '\0') {
		fprintf(stderr, "tlsmap: control_listen is not set in %s\n",
		    config_file(cf));
		return -1;
	}
	if ((fd = connect_spec(spec)) < 0)
		return -1;
	if (write(fd, cmd, strlen(cmd)) < 0 || write(fd, "\n", 1) < 0) {
		fprintf(stderr, "tlsmap: write to %s: %s\n", spec, strerror(errno));
		close(fd);
		return -1;
	}
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;
		if (poll(&p, 1, QUERY_TIMEOUT_MS) <= 0) {
			fprintf(stderr, "tlsmap: no reply from %s\n", spec);
			close(fd);
			return -1;
		}
		n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		if (have == sizeof(buf) - 1) {
			fwrite(buf, 1, have, out);	/* long body: stream it */
			have = 0;
		}
	}
	close(fd);
	buf[have] = '\0';
	if ((nl = strchr(buf, '\n')) == NULL) {
		fprintf(stderr, "tlsmap: %s closed without a reply\n", spec);
		return -1;
	}
	*nl = '\0';
	ok = strcmp(buf, "ok") == 0;
	fputs(nl + 1, ok ? out : stderr);
	return ok ? 0 : 1;
}

static const char *
overrides_path(const struct config *cf)
{
	const char *path = config_get(cf, "overrides_file");

	if (*path == '\0') {
		fprintf(stderr, "tlsmap: overrides_file is not set in %s\n",
		    config_file(cf));
		exit(EXIT_ERROR);
	}
	return path;
}

/*
 * Take the writers' lock next to the table (the table itself is renamed).
 * The lock file is never followed through a symbolic link nor opened if
 * it is not a regular file: whoever can write the directory could plant
 * one, and tlsmap usually runs as root.
 */
static int
lock_table(const char *path)
{
	char lpath[PATH_MAX];
	struct stat st;
	int fd;

	snprintf(lpath, sizeof(lpath), "%s.lock", path);
	fd = open(lpath, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
	    0644);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "tlsmap: open %s: %s\n", lpath, fd < 0
		    ? (errno == ELOOP ? "is a symbolic link, not followed"
		    : strerror(errno)) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (int waited = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; waited += 50) {
		if (errno != EWOULDBLOCK || waited >= LOCK_TIMEOUT_MS) {
			fprintf(stderr, "tlsmap: cannot lock %s: %s\n", lpath,
			    errno == EWOULDBLOCK ? "held by another writer"
			    : strerror(errno));
			close(fd);
			return -1;
		}
		usleep(50000);
	}
	return fd;
}

/*
 * Write text to path atomically: a new temporary file of a random name
 * (mkostemp: O_CREAT|O_EXCL, so nothing planted there is followed or
 * reused) with the old file's owner, group and mode (0644 for a new
 * table), fsync, rename, fsync the directory.
 */
static int
replace_file(const char *path, const char *text, size_t len)
{
	char tmp[PATH_MAX], dir[PATH_MAX], *slash;
	struct stat st;
	int fd, dfd, had;

	had = stat(path, &st) == 0;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path)
	    >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		goto fail;
	/* The old table's owner, group and mode: chown first, it clears
	 * set-id bits; the daemon may read the table through its group. */
	if ((had && fchown(fd, st.st_uid, st.st_gid) < 0)
	    || fchmod(fd, had ? st.st_mode & 07777 : 0644) < 0
	    || (len && write(fd, text, len) != (ssize_t)len) || fsync(fd) < 0) {
		close(fd);
		unlink(tmp);
		goto fail;
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		unlink(tmp);
		goto fail;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		if ((dfd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY)) >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	return 0;
fail:
	fprintf(stderr, "tlsmap: cannot write %s: %s\n", path, strerror(errno));
	return -1;
}

static int
is_blank_or_comment(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
		i++;
	return i == len || line[i] == '#';
}

/*
 * Rebuild the table text with the entry for key replaced by "key value",
 * removed (value NULL), or appended.  Comments and other entries stay as
 * they are.  *found says whether the key had an entry.
 */
static char *
edit_text(const char *text, size_t len, const char *keyname,
    const char *value, int *found, size_t *outlen)
{
	size_t cap = len + strlen(keyname) + (value ? strlen(value) : 0) + 16;
	char *out = xmalloc(cap), *p = out;
	size_t i = 0;
	int skipping = 0;

	*found = 0;
	while (i < len) {
		const char *line = text + i, *nl = memchr(line, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - line) + 1 : len - i;
		size_t kl;
		char k[DOMAIN_MAX + 80];
		const char *why;

		i += ll;
		if (is_blank_or_comment(line, ll)) {
			memcpy(p, line, ll);
			p += ll;
			continue;
		}
		if (line[0] == ' ' || line[0] == '\t') {
			if (!skipping) {
				memcpy(p, line, ll);
				p += ll;
			}
			continue;	/* continuation of the previous entry */
		}
		skipping = 0;
		kl = strcspn(line, " \t\r\n");
		if (override_key_norm(line, kl, k, sizeof(k), &why) == 0
		    && strcmp(k, keyname) == 0 && !*found) {
			*found = 1;
			skipping = 1;
			if (value)
				p += sprintf(p, "%s %s\n", keyname, value);
			continue;
		}
		memcpy(p, line, ll);
		p += ll;
		if (!nl) {	/* last line without a newline */
			*p++ = '\n';
		}
	}
	if (!*found && value) {
		if (p > out && p[-1] != '\n')
			*p++ = '\n';
		p += sprintf(p, "%s %s\n", keyname, value);
	}
	*outlen = (size_t)(p - out);
	return out;
}

/* Ask the daemon to reload after an edit; returns the exit status. */
static int
reload_after_edit(const struct config *cf)
{
	int rc = control(cf, "reload", stdout);

	if (rc == 0)
		return EXIT_FOUND;
	if (rc < 0) {
		fprintf(stderr, "tlsmap: table saved; the daemon was not reached "
		    "and will load it when it starts\n");
		return EXIT_RELOAD;
	}
	return EXIT_RELOAD;
}

/*
 * Normalise an override key into key (DOMAIN_MAX + 80 bytes); -1 after
 * saying why on stderr.
 */
static int
edit_key(const char *keytext, char *key, size_t keylen)
{
	const char *why;

	if (override_key_norm(keytext, strlen(keytext), key, keylen, &why) < 0) {
		fprintf(stderr, "tlsmap: bad key \"%s\": %s\n", keytext, why);
		return -1;
	}
	return 0;
}

/*
 * Add or replace keys[0] with value, or delete every key of keys (value
 * NULL), as one edit: one lock, one new file, one reload.  Deleting
 * exits 0 when at least one key had an entry, 1 when none had.
 */
static int
cmd_edit(const struct config *cf, char **keys, size_t nkeys,
    const char *value)
{
	const char *path = overrides_path(cf), *why;
	char norm[4096 + sizeof(OVERRIDE_REPORT_ONLY)], err[1024];
	char key[DOMAIN_MAX + 80];
	struct overrides *check;
	char *text = NULL, *out;
	size_t len = 0, outlen;
	int lfd, found, nfound = 0, ro, rc = EXIT_ERROR;

	for (size_t i = 0; i < nkeys; i++)	/* all keys good, or no edit */
		if (edit_key(keys[i], key, sizeof(key)) < 0)
			return EXIT_ERROR;
	if (value && override_value_norm(value, norm, 4096, &ro, &why) < 0) {
		fprintf(stderr, "tlsmap: bad policy \"%s\" for %s: %s\n", value,
		    key, why);
		return EXIT_ERROR;
	}
	if (value && ro) {	/* keep the flag in the table */
		memmove(norm + sizeof(OVERRIDE_REPORT_ONLY), norm, strlen(norm) + 1);
		memcpy(norm, OVERRIDE_REPORT_ONLY " ", sizeof(OVERRIDE_REPORT_ONLY));
	}
	if ((lfd = lock_table(path)) < 0)
		return EXIT_ERROR;
	if (access(path, F_OK) == 0
	    && (text = file_read(path, OVERRIDES_MAX_FILE, &len, &why)) == NULL) {
		fprintf(stderr, "tlsmap: %s: %s\n", path, why);
		goto out;
	}
	if (text == NULL)
		text = xstrdup("");
	for (size_t i = 0; i < nkeys; i++) {
		edit_key(keys[i], key, sizeof(key));
		out = edit_text(text, len, key, value ? norm : NULL, &found,
		    &outlen);
		free(text);
		text = out;
		len = outlen;
		nfound += found;
	}
	if (!value && nfound == 0) {
		rc = EXIT_NOTFOUND;
		goto out;
	}
	/* The whole new table must load, or nothing changes. */
	if ((check = overrides_parse(text, len, path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "tlsmap: %s; nothing changed\n", err);
		goto out;
	}
	overrides_free(check);
	if (replace_file(path, text, len) < 0)
		goto out;
	close(lfd);
	lfd = -1;
	rc = reload_after_edit(cf);
out:
	if (lfd >= 0)
		close(lfd);
	free(text);
	return rc;
}

/*
 * Keys from standard input for "-q -" and "-d -", one a line as postmap
 * reads them: surrounding white space stripped, empty lines skipped.
 * At most OVERRIDES_MAX_FILE bytes in all; NULL after saying why.
 */
static char **
stdin_keys(size_t *n)
{
	char **keys = NULL, *line = NULL;
	size_t cap = 0, linecap = 0, total = 0;
	ssize_t got;

	*n = 0;
	while ((got = getline(&line, &linecap, stdin)) > 0) {
		char *k = line, *e = line + got;
		if ((total += (size_t)got) > OVERRIDES_MAX_FILE) {
			fprintf(stderr, "tlsmap: more than %d bytes of keys on "
			    "standard input\n", OVERRIDES_MAX_FILE);
			goto fail;
		}
		while (k < e && strchr(" \t\r\n", *k))
			k++;
		while (e > k && strchr(" \t\r\n", e[-1]))
			e--;
		if (e == k)
			continue;
		if (*n == cap)
			keys = xrealloc(keys, (cap = cap ? 2 * cap : 16) * sizeof(*keys));
		*e = '\0';
		keys[(*n)++] = xstrdup(k);
	}
	free(line);
	if (ferror(stdin)) {
		fprintf(stderr, "tlsmap: reading standard input: %s\n",
		    strerror(errno));
		line = NULL;
		goto fail;
	}
	return keys ? keys : xcalloc(1, sizeof(*keys));
fail:
	free(line);
	while (*n)
		free(keys[--*n]);
	free(keys);
	return NULL;
}

static void
free_keys(char **keys, size_t n)
{
	while (n)
		free(keys[--n]);
	free(keys);
}

struct show_ctx {
	int n;
};

static int
show_entry(char *line, int lineno, void *arg)
{
	struct show_ctx *c = arg;
	size_t kl = strcspn(line, " \t");
	const char *val = line + kl, *why;
	char norm[4096], k[DOMAIN_MAX + 80];
	int ro;

	(void)lineno;
	while (*val == ' ' || *val == '\t')
		val++;
	if (override_key_norm(line, kl, k, sizeof(k), &why) < 0
	    || override_value_norm(val, norm, sizeof(norm), &ro, &why) < 0)
		return 0;	/* validated before: cannot happen */
	printf("%s\t%s%s\n", k, ro ? OVERRIDE_REPORT_ONLY " " : "", norm);
	c->n++;
	return 0;
}

static int
cmd_show(const struct config *cf)
{
	const char *path = overrides_path(cf), *why;
	char err[1024];
	struct overrides *o;
	struct show_ctx c = { 0 };
	size_t len;
	char *text;

	if ((text = file_read(path, OVERRIDES_MAX_FILE, &len, &why)) == NULL) {
		fprintf(stderr, "tlsmap: %s: %s\n", path, why);
		return EXIT_ERROR;
	}
	if ((o = overrides_parse(text, len, path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "tlsmap: %s\n", err);
		free(text);
		return EXIT_ERROR;
	}
	overrides_free(o);
	cf_lines(text, len, show_entry, &c);
	free(text);
	return EXIT_FOUND;	/* an empty table too, as postmap -s */
}

static int
cmd_file(const struct config *cf, const char *file)
{
	char err[1024], a[PATH_MAX], b[PATH_MAX];
	struct overrides *o = overrides_load(file, err, sizeof(err));
	const char *path = config_get(cf, "overrides_file");
	size_t n;

	if (o == NULL) {
		fprintf(stderr, "tlsmap: %s\n", err);
		return EXIT_ERROR;
	}
	n = overrides_count(o);
	overrides_free(o);
	if (*path && realpath(file, a) && realpath(path, b) && strcmp(a, b) == 0) {
		printf("%s: %zu entries OK\n", file, n);
		return control(cf, "reload", stdout) == 0 ? EXIT_FOUND : EXIT_RELOAD;
	}
	printf("%s: %zu entries OK (not the daemon's overrides_file %s: not loaded)\n",
	    file, n, *path ? path : "(unset)");
	return EXIT_FOUND;
}

/* Carry out the command; main() frees the configuration afterwards. */
static int
run(const struct config *cf, const char *key, const char *map, int show,
    const char *del, int argc, char **argv)
{
	if (key && strcmp(key, "-") == 0)
		return query_stdin(config_get(cf, "socketmap_listen"), map);
	if (key)
		return query(config_get(cf, "socketmap_listen"), map, key);
	if (show)
		return cmd_show(cf);
	if (del && strcmp(del, "-") == 0) {
		size_t n;
		char **keys = stdin_keys(&n);
		int rc = keys == NULL ? EXIT_ERROR : n == 0 ? EXIT_NOTFOUND
		    : cmd_edit(cf, keys, n, NULL);
		if (keys)
			free_keys(keys, n);
		return rc;
	}
	if (del)
		return cmd_edit(cf, (char **)&del, 1, NULL);
	if (strcmp(argv[0], "add") == 0) {
		char value[4096] = "";
		if (argc < 3)
			usage();
		/* The value as one quoted argument or as several words. */
		for (int i = 2; i < argc; i++) {
			if (strlen(value) + strlen(argv[i]) + 2 > sizeof(value)) {
				fprintf(stderr, "tlsmap: value too long\n");
				return EXIT_ERROR;
			}
			if (i > 2)
				strcat(value, " ");
			strcat(value, argv[i]);
		}
		return cmd_edit(cf, &argv[1], 1, value);
	}
	/* Commands the daemon carries out: flush, refresh, clock (tests). */
	if ((strcmp(argv[0], "flush") == 0 && argc == 2)
	    || (strcmp(argv[0], "refresh") == 0 && argc == 1)
	    || (strcmp(argv[0], "clock") == 0 && argc == 2)) {
		char cmd[CTL_LINE_MAX];
		snprintf(cmd, sizeof(cmd), "%s%s%s", argv[0], argc == 2 ? " " : "",
		    argc == 2 ? argv[1] : "");
		return control(cf, cmd, stdout) == 0 ? EXIT_FOUND : EXIT_ERROR;
	}
	if (strcmp(argv[0], "reload") == 0 && argc == 1) {
		int rc = control(cf, "reload", stdout);
		return rc == 0 ? EXIT_FOUND : EXIT_ERROR;
	}
	if (strcmp(argv[0], "status") == 0 && argc <= 2) {
		int json = argc == 2 && strcmp(argv[1], "--json") == 0;
		if (argc == 2 && !json)
			usage();
		return control(cf, json ? "status json" : "status", stdout) == 0
		    ? EXIT_FOUND : EXIT_ERROR;
	}
	if (strcmp(argv[0], "doctor") == 0)
		return doctor_main(cf, argc, argv);
	if (strcmp(argv[0], "probe") == 0)
		return probe_main(cf, argc, argv);
	if (strcmp(argv[0], "explain") == 0)
		return explain_main(cf, argc, argv);
	if (strcmp(argv[0], "tlsa") == 0)
		return tlsa_main(cf, argc, argv);
	if (strcmp(argv[0], "report") == 0)
		return report_main(cf, argc, argv);
	if (argc == 1 && (strchr(argv[0], '/') || access(argv[0], F_OK) == 0))
		return cmd_file(cf, argv[0]);
	usage();
	return EXIT_ERROR;
}

int
main(int argc, char **argv)
{
	const char *cf_path = DEF_CONFIG_FILE, *key = NULL, *map = "tlspolicy";
	const char *del = NULL;
	struct config *cf;
	char err[512];
	int ch, show = 0, rc;

	log_init("tlsmap", 1, LOG_LVL_WARN);
	if (argc == 2 && (strcmp(argv[1], "--version") == 0
	    || strcmp(argv[1], "-V") == 0)) {
		printf("tlsmap (tlspolicyd) %s\n", PACKAGE_VERSION);
		return 0;
	}
	while ((ch = getopt(argc, argv, "+c:m:q:sd:h")) != -1) {
		switch (ch) {
		case 'c':
			cf_path = optarg;
			break;
		case 'm':
			map = optarg;
			break;
		case 'q':
			key = optarg;
			break;
		case 's':
			show = 1;
			break;
		case 'd':
			del = optarg;
			break;
		default:
			usage();
		}
	}
	if ((key != NULL) + show + (del != NULL) + (optind < argc) != 1)
		usage();
	cf = params_load(cf_path, strcmp(cf_path, DEF_CONFIG_FILE) != 0, err,
	    sizeof(err));
	if (cf == NULL) {
		fprintf(stderr, "tlsmap: %s\n", err);
		return EXIT_ERROR;
	}
	rc = run(cf, key, map, show, del, argc - optind, argv + optind);
	config_free(cf);
	return rc;
}
