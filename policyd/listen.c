/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "listen.h"
#include "log.h"
#include "util.h"

#define BACKLOG 1024

/*
 * Give a directory root just created its group and mode through a
 * descriptor: its parent may be writable by others, who could swap it
 * for a symbolic link between mkdir() and a chown() by path.
 */
static int
set_dir_perms(const char *path, mode_t mode, gid_t gid)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -1;
	if ((gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid) < 0)
	    || fchmod(fd, mode) < 0)
		rc = -1;
	close(fd);
	return rc;
}

/* mkdir -p with mode for each created directory. */
static int
mkdirs(const char *path, mode_t mode, gid_t gid)
{
	char buf[PATH_MAX];
	struct stat st;

	if (strlen(path) >= sizeof(buf))
		return -1;
	strcpy(buf, path);
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (stat(buf, &st) < 0) {
				if (errno != ENOENT || mkdir(buf, mode) < 0
				    || set_dir_perms(buf, mode, gid) < 0)
					return -1;
			} else if (!S_ISDIR(st.st_mode)) {
				errno = ENOTDIR;
				return -1;
			}
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

/*
 * PATH = qdir/SUB/NAME.  Inside the chroot PATH is qdir + PATH, so
 * qdir + dirname(PATH) is to be a link to qdir/SUB.  The link's target
 * climbs out of qdir + dirname(dirname(PATH)) with one ".." per component
 * of that directory, which ends at qdir outside the chroot and at "/"
 * inside.  Fills linkpath and target (PATH_MAX each) and returns 1; 0
 * when PATH needs no link; -1 with err when it is too long.
 */
static int
chroot_link_paths(const char *path, const char *qdir, char *linkpath,
    char *target, char *err, size_t errlen)
{
	char dir[PATH_MAX], parent[PATH_MAX];
	size_t ql = strlen(qdir);
	const char *sub;
	char *slash;
	int depth = 0;

	while (ql > 1 && qdir[ql - 1] == '/')
		ql--;
	if (strncmp(path, qdir, ql) != 0 || path[ql] != '/')
		return 0;		/* not inside the queue directory */
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		return 0;
	*slash = '\0';			/* dir = dirname(PATH) */
	sub = dir + ql;			/* "/SUB" or "" */
	if (*sub == '\0') {
		log_warn("socket %s lies directly in %.*s; chrooted Postfix "
		    "daemons cannot reach it by that path: use a subdirectory",
		    path, (int)ql, qdir);
		return 0;
	}
	if (ql + strlen(dir) >= PATH_MAX) {
		snprintf(err, errlen, "path %s too long for the chroot link", path);
		return -1;
	}
	memcpy(linkpath, qdir, ql);
	strcpy(linkpath + ql, dir);
	snprintf(parent, sizeof(parent), "%s", dir);
	if ((slash = strrchr(parent, '/')) != NULL)
		*slash = '\0';
	for (const char *p = parent; *p; p++)
		if (*p == '/')
			depth++;
	target[0] = '\0';
	for (int i = 0; i < depth; i++)
		strncat(target, "../", PATH_MAX - strlen(target) - 1);
	strncat(target, sub + 1, PATH_MAX - strlen(target) - 1);
	return 1;
}

int
listen_chroot_link(const char *path, const char *qdir, char *err, size_t errlen)
{
	char linkpath[PATH_MAX], target[PATH_MAX], cur[PATH_MAX];
	char parent[PATH_MAX];
	char *slash;
	ssize_t n;
	int rc;

	if ((rc = chroot_link_paths(path, qdir, linkpath, target, err,
	    errlen)) <= 0)
		return rc;
	n = readlink(linkpath, cur, sizeof(cur) - 1);
	if (n >= 0) {
		cur[n] = '\0';
		if (strcmp(cur, target) == 0)
			return 0;
		if (unlink(linkpath) < 0)
			goto fail;
	} else if (errno == EINVAL) {
		log_warn("%s exists and is not a symbolic link; chrooted Postfix "
		    "daemons may not reach %s", linkpath, path);
		return 0;
	} else if (errno != ENOENT) {
		goto fail;
	}
	snprintf(parent, sizeof(parent), "%s", linkpath);
	if ((slash = strrchr(parent, '/')) != NULL)
		*slash = '\0';
	if (mkdirs(parent, 0755, (gid_t)-1) < 0 || symlink(target, linkpath) < 0)
		goto fail;
	log_notice("linked %s -> %s for chrooted Postfix daemons", linkpath, target);
	return 0;
fail:
	snprintf(err, errlen, "cannot link %s for the Postfix chroot: %s",
	    linkpath, strerror(errno));
	return -1;
}

/*
 * The chroot link of a socket that is gone: removed only when it is the
 * link listen_chroot_link() makes (same target), so an admin's own link
 * or directory stays.
 */
static void
chroot_unlink(const char *path, const char *qdir)
{
	char linkpath[PATH_MAX], target[PATH_MAX], cur[PATH_MAX], err[256];
	ssize_t n;

	if (chroot_link_paths(path, qdir, linkpath, target, err,
	    sizeof(err)) <= 0
	    || (n = readlink(linkpath, cur, sizeof(cur) - 1)) < 0)
		return;
	cur[n] = '\0';
	if (strcmp(cur, target) != 0)
		return;
	if (unlink(linkpath) < 0)
		log_warn("cannot remove %s: %s", linkpath, strerror(errno));
	else
		log_notice("removed %s", linkpath);
}

/*
 * Does a process listen on the unix socket at path?  A datagram socket
 * (tlsrpt_listen) answers a stream connect with EPROTOTYPE while bound,
 * ECONNREFUSED once its daemon is gone: the same test holds.
 */
static int
socket_in_use(const char *path)
{
	struct sockaddr_un sa;
	int fd, rc;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 1;	/* cannot tell: keep it */
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return rc == 0 || errno != ECONNREFUSED;
}

int
listen_remove_stale(const char *spec, const char *qdir)
{
	const char *path = spec + 5;
	struct stat st;

	if (strncmp(spec, "unix:", 5) != 0)
		return 0;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return 0;	/* not ours: listen_open() refuses it */
		if (socket_in_use(path)) {
			log_err("%s: a daemon still listens there: not removed",
			    path);
			return -1;
		}
		if (unlink(path) < 0) {
			log_err("cannot remove %s: %s", path, strerror(errno));
			return -1;
		}
		log_notice("removed %s", path);
	}
	if (qdir && *qdir)
		chroot_unlink(path, qdir);
	return 0;
}

static int
open_unix(const char *path, int type, const char *mode, const char *group,
    const char *owner, const char *qdir, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;
	gid_t gid = (gid_t)-1;
	uid_t uid = (uid_t)-1;
	char dir[PATH_MAX];
	char *slash;
	mode_t m = (mode_t)strtol(mode, NULL, 8) & 0777, mask;
	int fd, rc = -1;

	if (group && *group) {
		struct group *gr = getgrnam(group);
		if (gr == NULL) {
			snprintf(err, errlen, "group \"%s\" for %s does not exist",
			    group, path);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (owner && *owner && geteuid() == 0) {
		struct passwd *pw = getpwnam(owner);
		if (pw != NULL)
			uid = pw->pw_uid;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (stat(dir, &st) < 0 && mkdirs(dir, 0750, gid) < 0) {
			snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
			return -1;
		}
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket", path);
			return -1;
		}
		unlink(path);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	/*
	 * The socket is born with its mode (the umask), and lchown() never
	 * follows a link: nothing is done through a path someone else could
	 * swap, should the directory be writable by others.
	 */
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		mask = umask(~m & 0777);
		rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
		umask(mask);
	}
	if (fd < 0 || rc < 0) {
		snprintf(err, errlen, "bind %s: %s", path, strerror(errno));
		goto fail;
	}
	if (lchown(path, uid, gid) < 0) {
		snprintf(err, errlen, "set owner of %s: %s", path, strerror(errno));
		goto fail;
	}
	if (type == SOCK_STREAM && listen(fd, BACKLOG) < 0) {
		snprintf(err, errlen, "listen %s: %s", path, strerror(errno));
		goto fail;
	}
	if (qdir && *qdir && listen_chroot_link(path, qdir, err, errlen) < 0)
		goto fail;
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

static int
open_inet(const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	const char *why;
	int fd, one = 1;

	if (cf_listen_addr(spec, &ss, &sl, &why) < 0) {
		snprintf(err, errlen, "%s: %s", spec, why);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, BACKLOG) < 0) {
		snprintf(err, errlen, "bind %s: %s", spec, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int
listen_open(const char *spec, const char *mode, const char *group,
    const char *owner, const char *qdir, char *err, size_t errlen)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return open_unix(spec + 5, SOCK_STREAM, mode, group, owner, qdir,
		    err, errlen);
	if (strncmp(spec, "inet:", 5) == 0)
		return open_inet(spec, err, errlen);
	snprintf(err, errlen, "unsupported listen address %s", spec);
	return -1;
}

/*
 * The TLSRPT collector's datagram socket, with a receive buffer large
 * enough for bursts (Postfix drops what does not fit, at its sendto()).
 */
int
listen_open_dgram(const char *spec, const char *mode, const char *group,
    const char *owner, const char *qdir, char *err, size_t errlen)
{
	int fd, size = LISTEN_DGRAM_RCVBUF;

	if (strncmp(spec, "unix:", 5) != 0) {
		snprintf(err, errlen, "unsupported datagram address %s", spec);
		return -1;
	}
	fd = open_unix(spec + 5, SOCK_DGRAM, mode, group, owner, qdir, err,
	    errlen);
	if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size,
	    sizeof(size)) < 0)
		log_warn("%s: cannot raise the receive buffer: %s", spec,
		    strerror(errno));
	return fd;
}

void
listen_unlink(const char *spec)
{
	struct stat st;

	if (strncmp(spec, "unix:", 5) == 0 && lstat(spec + 5, &st) == 0
	    && S_ISSOCK(st.st_mode) && unlink(spec + 5) < 0)
		log_debug("unlink %s: %s", spec + 5, strerror(errno));
}

int
log_rate_due(struct log_rate *r, unsigned long *n)
{
	struct timespec now;

	r->n++;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((r->last.tv_sec != 0 || r->last.tv_nsec != 0)
	    && now.tv_sec - r->last.tv_sec < LISTEN_LOG_INTERVAL)
		return 0;
	*n = r->n;
	r->last = now;
	r->n = 0;
	return 1;
}

/* Out of descriptors: one line an interval, whichever listener meets it. */
static void
log_full(const char *what, int err)
{
	static struct log_rate rate;
	unsigned long n;

	if (log_rate_due(&rate, &n))
		log_warn("%s accept: %s; pausing accepts for %d ms (%lu failures "
		    "since the last message)", what, strerror(err),
		    LISTEN_PAUSE_MS, n);
}

int
listen_accept(int lfd, const char *what)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case EAGAIN:
	case EINTR:
	case ECONNABORTED:
		return -1;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		log_full(what, errno);
		return LISTEN_FULL;
	default:
		log_warn("%s accept: %s", what, strerror(errno));
		return -1;
	}
}

static void
pause_end(struct loop *l, void *arg)
{
	struct listen_pause *p = arg;

	p->timer = NULL;
	loop_mod(l, p->lfd, LOOP_IN);
}

void
listen_pause(struct listen_pause *p)
{
	if (p->timer != NULL)
		return;
	loop_mod(p->loop, p->lfd, 0);
	p->timer = loop_timer(p->loop, LISTEN_PAUSE_MS, pause_end, p);
}

void
listen_pause_cancel(struct listen_pause *p)
{
	loop_timer_cancel(p->loop, p->timer);
	p->timer = NULL;
}
