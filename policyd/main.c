/*
 * tlspolicyd - TLS policy service for Postfix
 *
 *	Process set-up, in this order: read the configuration, open the
 *	listening sockets and the state directory as root, drop to the
 *	unprivileged user, then run one event loop.  SIGHUP reloads the
 *	override table (a bad table leaves the old one in force); SIGTERM
 *	and SIGINT stop.  See tlspolicyd(8).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "engine.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "overrides.h"
#include "params.h"
#include "policy_srv.h"
#include "sockmap_srv.h"
#include "util.h"

struct daemon {
	struct config *cf;
	const char *cf_path;
	struct loop *loop;
	struct engine *engine;
	struct sockmap_srv *sockmap;
	struct policy_srv *policy;
	int sigfd;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: tlspolicyd [-f] [-c config_file] [-v]\n"
	    "       tlspolicyd -n [-c config_file]   (settings that differ from defaults)\n"
	    "       tlspolicyd -d                    (all defaults)\n");
	exit(1);
}

/* Load the override table; NULL with a message when it is bad. */
static struct overrides *
load_overrides(const struct config *cf, char *err, size_t errlen)
{
	const char *path = config_get(cf, "overrides_file");

	if (*path == '\0')
		return overrides_empty();
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		log_notice("overrides file %s does not exist: no overrides", path);
		return overrides_empty();
	}
	return overrides_load(path, err, errlen);
}

static void
reload(struct daemon *d)
{
	char err[512];
	struct overrides *o = load_overrides(d->cf, err, sizeof(err));

	if (d->policy)
		policy_srv_reload(d->policy, config_get(d->cf, "inbound_rules_file"));
	if (o == NULL) {
		log_err("reload failed, keeping the previous table: %s", err);
		return;
	}
	engine_set_overrides(d->engine, o);
	log_notice("reloaded: %zu overrides", overrides_count(o));
}

static void
on_signal(struct loop *l, int fd, unsigned ev, void *arg)
{
	struct daemon *d = arg;
	struct signalfd_siginfo si;

	(void)ev;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			reload(d);
			break;
		case SIGTERM:
		case SIGINT:
			log_notice("stopping on signal %u", si.ssi_signo);
			loop_stop(l);
			break;
		default:
			break;
		}
	}
}

static int
setup_signals(struct daemon *d)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0)
		return -1;
	return loop_add(d->loop, d->sigfd, LOOP_IN, on_signal, d);
}

/* Create the state directory, owned by the service user. */
static int
setup_state_dir(const char *dir, const struct passwd *pw)
{
	struct stat st;

	if (stat(dir, &st) < 0) {
		if (errno != ENOENT || mkdir(dir, 0750) < 0) {
			log_err("cannot create state directory %s: %s", dir,
			    strerror(errno));
			return -1;
		}
	}
	if (pw != NULL && chown(dir, pw->pw_uid, pw->pw_gid) < 0) {
		log_err("cannot chown state directory %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int
drop_privileges(const struct passwd *pw)
{
	if (pw == NULL)
		return 0;
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0
	    || setuid(pw->pw_uid) < 0) {
		log_err("cannot drop privileges to %s: %s", pw->pw_name,
		    strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		log_err("privileges could be regained after dropping them");
		return -1;
	}
	return 0;
}

static void
daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0) {
		log_err("fork: %s", strerror(errno));
		exit(1);
	}
	if (pid > 0)
		_exit(0);
	setsid();
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

int
main(int argc, char **argv)
{
	struct daemon d;
	const char *user;
	struct passwd *pw = NULL;
	char err[512];
	int ch, foreground = 0, print_set = 0, print_defaults = 0, verbose = 0;
	int lfd, plfd = -1;
	struct overrides *o;
	struct inbound *ib;

	memset(&d, 0, sizeof(d));
	d.cf_path = DEF_CONFIG_FILE;
	while ((ch = getopt(argc, argv, "c:fndvh")) != -1) {
		switch (ch) {
		case 'c':
			d.cf_path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'n':
			print_set = 1;
			break;
		case 'd':
			print_defaults = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init("tlspolicyd", 1, LOG_LVL_NOTICE);
	if (print_defaults) {
		d.cf = params_new();
		config_print(stdout, d.cf, 0);
		return 0;
	}
	/* The compiled-in file may be absent; a named one must exist. */
	d.cf = params_load(d.cf_path, strcmp(d.cf_path, DEF_CONFIG_FILE) != 0,
	    err, sizeof(err));
	if (d.cf == NULL) {
		fprintf(stderr, "tlspolicyd: %s\n", err);
		return 1;
	}
	if (print_set) {
		config_print(stdout, d.cf, 1);
		return 0;
	}
	log_init("tlspolicyd", foreground, verbose
	    ? LOG_LVL_DEBUG : log_level_parse(config_get(d.cf, "log_level")));

	if ((o = load_overrides(d.cf, err, sizeof(err))) == NULL) {
		log_err("%s", err);
		return 1;
	}
	ib = policy_rules_load(config_get(d.cf, "inbound_rules_file"), err,
	    sizeof(err));
	if (ib == NULL) {
		log_err("%s", err);
		return 1;
	}
	user = config_get(d.cf, "user");
	if (geteuid() == 0 && *user) {
		if ((pw = getpwnam(user)) == NULL) {
			log_err("user \"%s\" does not exist: create it "
			    "(adduser --system --group %s) or set user in %s",
			    user, user, d.cf_path);
			return 1;
		}
	}
	if ((d.loop = loop_new()) == NULL) {
		log_err("epoll: %s", strerror(errno));
		return 1;
	}
	lfd = listen_open(config_get(d.cf, "socketmap_listen"),
	    config_get(d.cf, "socketmap_mode"), config_get(d.cf, "socketmap_group"),
	    user, config_get(d.cf, "postfix_queue_directory"), err, sizeof(err));
	if (lfd < 0) {
		log_err("socketmap_listen: %s", err);
		return 1;
	}
	if (*config_get(d.cf, "policy_listen") && (plfd = listen_open(
	    config_get(d.cf, "policy_listen"), config_get(d.cf, "policy_mode"),
	    config_get(d.cf, "policy_group"), user,
	    config_get(d.cf, "postfix_queue_directory"), err, sizeof(err))) < 0) {
		log_err("policy_listen: %s", err);
		return 1;
	}
	if (setup_state_dir(config_get(d.cf, "state_directory"), pw) < 0)
		return 1;
	if (!foreground)
		daemonize();
	if (drop_privileges(pw) < 0)
		return 1;
	d.engine = engine_new(d.loop, d.cf);
	engine_set_overrides(d.engine, o);
	d.sockmap = sockmap_srv_new(d.loop, d.engine, lfd,
	    config_long(d.cf, "max_connections"),
	    config_time(d.cf, "idle_timeout") * 1000);
	if (plfd >= 0)
		d.policy = policy_srv_new(d.loop, plfd, ib,
		    config_long(d.cf, "max_connections"),
		    config_time(d.cf, "policy_idle_timeout") * 1000);
	else
		inbound_free(ib);
	if (d.sockmap == NULL || (plfd >= 0 && d.policy == NULL)
	    || setup_signals(&d) < 0) {
		log_err("cannot set up the event loop: %s", strerror(errno));
		return 1;
	}
	log_notice("started: socketmap %s, %zu overrides",
	    config_get(d.cf, "socketmap_listen"), overrides_count(o));
#ifdef HAVE_SYSTEMD
	sd_notify(0, "READY=1");
#endif
	if (loop_run(d.loop) < 0)
		return 1;
	sockmap_srv_free(d.sockmap);
	policy_srv_free(d.policy);
	engine_free(d.engine);
	loop_free(d.loop);
	config_free(d.cf);
	return 0;
}
