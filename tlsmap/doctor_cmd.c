/* SPDX-License-Identifier: MIT */
/*
 * doctor_cmd - "tlsmap doctor": check the local Postfix configuration
 * against the daemon's, and say how to fix what is wrong.
 *
 *	tlsmap [-c config_file] doctor [-C postfix_config_dir] [-n name]
 *
 *	Runs postconf(1) -c DIR for main.cf and postconf -M for smtp's
 *	master.cf line, stats and connects to the socket as smtp(8) would
 *	see it, and asks the daemon's resolver for NAME (default ".") SOA
 *	with DO to see the AD bit, and checks the TLSA records of smtpd's
 *	certificates at _25._tcp.MYHOSTNAME when it has some (tlsa_cmd.c).
 *	Prints one line per finding,
 *	"ok: ...", "warning: ...; fix: ..." or "error: ...; fix: ...".
 *	Exit 0 when all is well, 1 with warnings, 2 with errors.  The
 *	judging is in doctor.c; this file gathers the facts.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blockdns.h"
#include "conf.h"
#include "doctor.h"
#include "tlsmap.h"
#include "util.h"

#define POSTCONF_MAX	65536
#define MAX_GROUPS	256

struct doctor {
	const struct config *cf;
	const char *pfdir;
	char main[POSTCONF_MAX];	/* postconf -x output */
	size_t mainlen;
	char qdir[PATH_MAX];
	char version[64];
	int chroot;			/* smtp(8) chrooted: 1, 0, -1 unknown */
	uid_t uid;			/* mail_owner */
	gid_t groups[MAX_GROUPS];
	int ngroups;
	int have_owner;
	int warnings, errors;
};

enum sev { OK, WARN, ERR };

static void
finding(struct doctor *d, enum sev sev, const char *fix, const char *fmt, ...)
{
	static const char *const word[] = { "ok", "warning", "error" };
	va_list ap;

	printf("%s: ", word[sev]);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (sev != OK && fix)
		printf("; fix: %s", fix);
	putchar('\n');
	if (sev == WARN)
		d->warnings++;
	else if (sev == ERR)
		d->errors++;
}

/* Run argv (no shell), stdout into buf; returns the exit status or -1. */
int
doctor_run(char *const argv[], char *buf, size_t max, size_t *len)
{
	int pfd[2], status;
	pid_t pid;
	ssize_t n;

	*len = 0;
	if (pipe(pfd) < 0)
		return -1;
	if ((pid = fork()) < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], buf + *len, max - 1 - *len)) > 0)
		*len += (size_t)n;
	buf[*len] = '\0';
	close(pfd[0]);	/* a longer output is cut: the child gets SIGPIPE */
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const char *
pc(struct doctor *d, const char *name)
{
	static char val[4][4096];
	static int next;
	char *v = val[next++ % 4];

	if (doctor_postconf_get(d->main, d->mainlen, name, v, 4096) != 1)
		*v = '\0';
	return v;
}

static int
load_postconf(struct doctor *d)
{
	char *mainv[] = { "postconf", "-c", (char *)d->pfdir, "-x",
	    "mail_version", "smtp_tls_policy_maps", "smtp_dns_support_level",
	    "smtp_tls_dane_insecure_mx_policy", "smtp_tls_CAfile",
	    "smtp_tls_CApath", "queue_directory", "mail_owner",
	    "smtp_host_lookup", NULL };
	char *masterv[] = { "postconf", "-c", (char *)d->pfdir, "-M",
	    "smtp/unix", NULL };
	char line[1024];
	size_t len;

	if (doctor_run(mainv, d->main, sizeof(d->main), &d->mainlen) != 0
	    || d->mainlen == 0) {
		finding(d, ERR, "give the Postfix configuration directory with -C",
		    "postconf -c %s failed", d->pfdir);
		return -1;
	}
	snprintf(d->version, sizeof(d->version), "%s", pc(d, "mail_version"));
	snprintf(d->qdir, sizeof(d->qdir), "%s", pc(d, "queue_directory"));
	if (doctor_run(masterv, line, sizeof(line), &len) != 0 || len == 0) {
		d->chroot = -1;
		finding(d, WARN, "define the smtp unix service in master.cf",
		    "master.cf in %s has no smtp/unix service", d->pfdir);
	} else if ((d->chroot = doctor_master_chroot(line)) < 0) {
		finding(d, WARN, NULL, "cannot read the smtp/unix line of "
		    "master.cf: %s", line);
	}
	finding(d, OK, NULL, "Postfix %s, configuration %s, smtp(8) %s",
	    d->version, d->pfdir, d->chroot == 1 ? "chrooted to the queue "
	    "directory" : d->chroot == 0 ? "not chrooted" : "chroot unknown");
	return 0;
}

static void
load_owner(struct doctor *d)
{
	const char *owner = pc(d, "mail_owner");
	struct passwd *pw = getpwnam(owner);

	if (pw == NULL) {
		finding(d, ERR, "create the user or fix mail_owner",
		    "mail_owner %s is not a user", owner);
		return;
	}
	d->uid = pw->pw_uid;
	d->ngroups = MAX_GROUPS;
	if (getgrouplist(owner, pw->pw_gid, d->groups, &d->ngroups) < 0)
		d->ngroups = MAX_GROUPS;
	d->have_owner = 1;
}

/* Connect to a unix socket path; 0 or -1 with errno. */
static int
try_unix(const char *path)
{
	struct sockaddr_un sa;
	int fd, rc, e;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

/* inet:HOST:PORT with a numeric host or localhost; 0 or -1 with errno. */
static int
try_inet(const char *hostport)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	struct sockaddr_storage ss;
	socklen_t sl;
	long port;
	int fd, rc, e;

	if (colon == NULL || (port = parse_long(colon + 1, 1, 65535)) == LONG_MIN
	    || (size_t)(colon - hostport) >= sizeof(host)) {
		errno = EINVAL;
		return -1;
	}
	snprintf(host, sizeof(host), "%.*s", (int)(colon - hostport), hostport);
	if (strcmp(host, "localhost") == 0)
		strcpy(host, "127.0.0.1");
	memset(&ss, 0, sizeof(ss));
	if (host[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		host[strlen(host) - 1] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		rc = inet_pton(AF_INET6, host + 1, &s6->sin6_addr);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		rc = inet_pton(AF_INET, host, &s4->sin_addr);
		sl = sizeof(*s4);
	}
	if (rc != 1) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	rc = connect(fd, (struct sockaddr *)&ss, sl);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

/* Can mail_owner search every directory above path and write the socket? */
static void
check_socket_perms(struct doctor *d, const char *seen)
{
	char real[PATH_MAX], dir[PATH_MAX];
	struct stat st;

	if (!d->have_owner || realpath(seen, real) == NULL
	    || stat(real, &st) < 0)
		return;
	if (!doctor_may(st.st_mode, st.st_uid, st.st_gid, d->uid, d->groups,
	    d->ngroups, 2)) {
		finding(d, ERR, "set socketmap_group to a group of mail_owner "
		    "and socketmap_mode to 0660 in tlspolicyd.conf",
		    "mail_owner %s may not connect to %s (mode %04o)",
		    pc(d, "mail_owner"), real, (unsigned)(st.st_mode & 07777));
		return;
	}
	snprintf(dir, sizeof(dir), "%s", real);
	for (char *slash; (slash = strrchr(dir, '/')) != NULL && slash != dir;) {
		*slash = '\0';
		if (stat(dir, &st) == 0 && !doctor_may(st.st_mode, st.st_uid,
		    st.st_gid, d->uid, d->groups, d->ngroups, 1)) {
			finding(d, ERR, "make the directory searchable "
			    "(chmod o+x, or a group of mail_owner)",
			    "mail_owner %s may not search %s on the way to the "
			    "socket", pc(d, "mail_owner"), dir);
			return;
		}
	}
	finding(d, OK, NULL, "mail_owner %s may connect to %s",
	    pc(d, "mail_owner"), real);
}

static void
check_unix_socket(struct doctor *d, const char *path)
{
	const char *dspec = config_get(d->cf, "socketmap_listen");
	char seen[2 * PATH_MAX], fix[3 * PATH_MAX];
	struct stat st;

	/* smtp(8) runs in the queue directory, chrooted or not. */
	if (d->chroot == 1)
		snprintf(seen, sizeof(seen), "%s%s%s", d->qdir,
		    *path == '/' ? "" : "/", path);
	else if (*path != '/')
		snprintf(seen, sizeof(seen), "%s/%s", d->qdir, path);
	else
		snprintf(seen, sizeof(seen), "%s", path);
	if (d->chroot == 1 && strncmp(dspec, "unix:", 5) == 0)
		snprintf(fix, sizeof(fix), "in tlspolicyd.conf put "
		    "socketmap_listen under %s and set postfix_queue_directory "
		    "= %s (the daemon then links its socket into the chroot)",
		    d->qdir, d->qdir);
	else
		snprintf(fix, sizeof(fix), "start tlspolicyd, or point "
		    "smtp_tls_policy_maps at socketmap:%s:tlspolicy", dspec);
	if (stat(seen, &st) < 0) {
		finding(d, ERR, fix, "smtp(8)%s looks for the socket at %s: %s",
		    d->chroot == 1 ? " (chrooted)" : "", seen, strerror(errno));
		return;
	}
	if (!S_ISSOCK(st.st_mode)) {
		finding(d, ERR, fix, "%s is not a socket", seen);
		return;
	}
	if (try_unix(seen) < 0) {
		finding(d, ERR, fix, "cannot connect to %s: %s", seen,
		    strerror(errno));
		return;
	}
	finding(d, OK, NULL, "smtp(8)%s reaches the daemon at %s",
	    d->chroot == 1 ? " (chrooted)" : "", seen);
	check_socket_perms(d, seen);
}

static void
check_map(struct doctor *d)
{
	const char *maps = pc(d, "smtp_tls_policy_maps");
	const char *dspec = config_get(d->cf, "socketmap_listen"), *why;
	char fix[DOCTOR_SPEC_MAX + 100];
	struct doctor_sm sm;
	int rc = doctor_find_socketmap(maps, &sm);

	snprintf(fix, sizeof(fix), "smtp_tls_policy_maps = socketmap:%s:tlspolicy",
	    dspec);
	if (rc <= 0) {
		finding(d, ERR, fix, rc < 0 ? "smtp_tls_policy_maps has a "
		    "malformed socketmap table: %s" : "smtp_tls_policy_maps "
		    "does not ask tlspolicyd: \"%s\"", maps);
		return;
	}
	if (!doctor_same_listener(dspec, sm.spec)) {
		finding(d, ERR, fix, "smtp_tls_policy_maps asks socketmap:%s, "
		    "but tlspolicyd listens on %s", sm.spec, dspec);
		return;
	}
	if (!doctor_map_name_ok(sm.name, d->version, &why))
		finding(d, ERR, doctor_version_at_least(d->version, 3, 10) == 1
		    ? "use the map name tlspolicy or tlspolicy-tlsrpt"
		    : "use the map name tlspolicy", "map name %s: %s", sm.name, why);
	else
		finding(d, OK, NULL, "smtp_tls_policy_maps asks tlspolicyd "
		    "(socketmap:%s, map name %s)", sm.spec, sm.name);
	if (strncmp(sm.spec, "unix:", 5) == 0)
		check_unix_socket(d, sm.spec + 5);
	else if (try_inet(sm.spec + 5) < 0)
		finding(d, ERR, "start tlspolicyd", "cannot connect to %s: %s",
		    sm.spec, strerror(errno));
	else
		finding(d, OK, NULL, "smtp(8) reaches the daemon at %s", sm.spec);
}

static void
check_dane(struct doctor *d)
{
	const char *lvl = pc(d, "smtp_dns_support_level");
	const char *imx = pc(d, "smtp_tls_dane_insecure_mx_policy");

	if (!config_bool(d->cf, "dane_enable")) {
		finding(d, OK, NULL, "dane_enable = no: no DANE answers, "
		    "smtp_dns_support_level not needed");
		return;
	}
	if (strcmp(lvl, "dnssec") != 0)
		finding(d, ERR, "smtp_dns_support_level = dnssec",
		    "smtp_dns_support_level is \"%s\": Postfix turns dane "
		    "answers into may and defers dane-only", lvl);
	else
		finding(d, OK, NULL, "smtp_dns_support_level = dnssec");
	if (strcmp(imx, "dane") != 0)
		finding(d, WARN, "smtp_tls_dane_insecure_mx_policy = dane",
		    "smtp_tls_dane_insecure_mx_policy is \"%s\": a dane answer "
		    "for a domain with an unsigned MX RRset means %s", imx,
		    *imx ? imx : "may");
	else
		finding(d, OK, NULL, "smtp_tls_dane_insecure_mx_policy = dane");
}

/* Does the override table hold a verify or secure entry? */
static int
override_line(char *line, int lineno, void *arg)
{
	char *v = line + strcspn(line, " \t");

	(void)lineno;
	(void)arg;
	v += strspn(v, " \t");
	return strncasecmp(v, "secure", 6) == 0 || strncasecmp(v, "verify", 6) == 0;
}

static int
secure_possible(const struct config *cf)
{
	const char *path = config_get(cf, "overrides_file"), *why;
	size_t len;
	char *text;
	int rc;

	if (config_bool(cf, "sts_enable"))
		return 1;
	if (*path == '\0' || (text = file_read(path, 1 << 24, &len, &why)) == NULL)
		return 0;
	rc = cf_lines(text, len, override_line, NULL);
	free(text);
	return rc;
}

static void
check_ca(struct doctor *d)
{
	const char *file = pc(d, "smtp_tls_CAfile"), *path = pc(d, "smtp_tls_CApath");
	char inside[PATH_MAX];
	struct stat st;

	if (!secure_possible(d->cf)) {
		finding(d, OK, NULL, "no secure or verify answers possible "
		    "(sts_enable = no, none in the overrides): no CA store needed");
		return;
	}
	if (!*file && !*path) {
		finding(d, ERR, "smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt",
		    "neither smtp_tls_CAfile nor smtp_tls_CApath is set: Postfix "
		    "does not use the system CA store, every secure answer "
		    "defers mail");
		return;
	}
	if (*file) {
		if (stat(file, &st) < 0 || !S_ISREG(st.st_mode)
		    || access(file, R_OK) < 0)
			finding(d, ERR, "point smtp_tls_CAfile at a readable PEM "
			    "bundle", "smtp_tls_CAfile %s cannot be read", file);
		else
			finding(d, OK, NULL, "smtp_tls_CAfile %s is readable", file);
	}
	if (*path) {
		/* CApath is searched at verification time, in the chroot. */
		snprintf(inside, sizeof(inside), "%s%s", d->chroot == 1 ? d->qdir
		    : "", path);
		if (stat(inside, &st) < 0 || !S_ISDIR(st.st_mode)
		    || (d->have_owner && !doctor_may(st.st_mode, st.st_uid,
		    st.st_gid, d->uid, d->groups, d->ngroups, 5)))
			finding(d, *file ? WARN : ERR, "use smtp_tls_CAfile (read "
			    "before the chroot), or copy the directory into the "
			    "chroot", "smtp_tls_CApath %s is not a directory "
			    "smtp(8) can read%s", inside, d->chroot == 1 ?
			    " inside its chroot" : "");
		else
			finding(d, OK, NULL, "smtp_tls_CApath %s is readable", inside);
	}
}

static void
check_resolver(struct doctor *d, const char *name)
{
	int need = config_bool(d->cf, "dane_enable")
	    || config_bool(d->cf, "sts_enable");
	struct blockdns_result r;
	struct blockdns *b;
	char err[256];
	const char *fix = "run a validating resolver (unbound) on loopback and "
	    "name it in dns_resolvers or /etc/resolv.conf";

	if ((b = blockdns_new(d->cf, err, sizeof(err))) == NULL) {
		finding(d, need ? ERR : WARN, fix, "no resolver: %s", err);
		return;
	}
	if (blockdns_query(b, name, LDNS_RR_TYPE_SOA, &r) < 0)
		finding(d, need ? ERR : WARN, fix, "resolver does not answer "
		    "(%s, %s SOA: %s)", blockdns_servers(b), name,
		    dns_status_name(r.status));
	else if (r.rcode != LDNS_RCODE_NOERROR)
		finding(d, need ? ERR : WARN, fix, "resolver %s answers rcode %d "
		    "for %s SOA", blockdns_servers(b), r.rcode, name);
	else if (!r.secure)
		finding(d, need ? ERR : WARN, fix, "resolver does not validate "
		    "(%s: no AD bit for %s SOA)", blockdns_servers(b), name);
	else
		finding(d, OK, NULL, "resolver %s validates (AD for %s SOA)",
		    blockdns_servers(b), name);
	ldns_pkt_free(r.pkt);
	blockdns_free(b);
}

/* tlsa_doctor()'s findings, as doctor's own. */
static void
tlsa_finding(void *arg, int sev, const char *fix, const char *msg)
{
	finding(arg, (enum sev)sev, fix, "%s", msg);
}

int
doctor_main(const struct config *cf, int argc, char **argv)
{
	struct doctor *d = xcalloc(1, sizeof(*d));
	const char *name = ".";
	int ch, rc;

	d->cf = cf;
	d->pfdir = "/etc/postfix";
	optind = 0;	/* glibc: start afresh on the subcommand's argv */
	while ((ch = getopt(argc, argv, "C:n:")) != -1) {
		switch (ch) {
		case 'C':
			d->pfdir = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if (load_postconf(d) < 0) {
		free(d);
		return 2;
	}
	load_owner(d);
	check_map(d);
	check_dane(d);
	check_ca(d);
	check_resolver(d, name);
	tlsa_doctor(cf, d->pfdir, tlsa_finding, d);
	rc = d->errors ? 2 : d->warnings ? 1 : 0;
	free(d);
	return rc;
usage:
	fprintf(stderr, "usage: tlsmap [-c config_file] doctor "
	    "[-C postfix_config_dir] [-n dnssec_probe_name]\n");
	free(d);
	return 2;
}
