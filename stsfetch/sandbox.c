/* SPDX-License-Identifier: MIT */
/*
 * sandbox - the fetcher's confinement: Landlock and a system call
 * allow-list; see sandbox.h.
 *
 * Both lists were made by running every MTA-STS host of the test world
 * (t/world/https.tsv) through a fetcher under strace -f -e status=failed:
 * what is refused then is only glibc's nscd probe (AF_UNIX) and
 * /proc/stat (a fallback for the CPU count), both optional.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <linux/netlink.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"

/*
 * What Landlock leaves readable: the resolver's files, and the shared
 * libraries glibc loads at run time (an NSS module named in
 * nsswitch.conf; libgcc_s, which a thread of getaddrinfo_a() needs to
 * exit).  Everything
 * else (the configuration, the override table, the store, the CA files:
 * the trust store is loaded before) is out of reach, and nothing at all
 * may be written, created, removed or executed.
 */
static const char *const readable[] = {
	"/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf",
	"/etc/host.conf", "/etc/gai.conf", "/etc/ld.so.cache", "/lib",
	"/lib64", "/usr/lib", "/usr/lib64",
	"/sys/devices/system/cpu",	/* glibc's count of CPUs (malloc) */
};

#define LL_READ_FILE	LANDLOCK_ACCESS_FS_READ_FILE
#define LL_READ_DIR	(LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)

/* Every file-system right Landlock ABI abi knows. */
static __u64
ll_handled(int abi)
{
	__u64 h = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE
	    | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR
	    | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE
	    | LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR
	    | LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK
	    | LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK
	    | LANDLOCK_ACCESS_FS_MAKE_SYM;

	if (abi >= 2)
		h |= 1ULL << 13;	/* LANDLOCK_ACCESS_FS_REFER */
	if (abi >= 3)
		h |= 1ULL << 14;	/* LANDLOCK_ACCESS_FS_TRUNCATE */
	return h;
}

/* Allow reading below path (a directory) or path (a file); absent: skip. */
static int
ll_allow(int rfd, const char *path)
{
	struct landlock_path_beneath_attr pb;
	struct stat st;
	int rc;

	if ((pb.parent_fd = open(path, O_PATH | O_CLOEXEC)) < 0)
		return 0;
	pb.allowed_access = fstat(pb.parent_fd, &st) == 0
	    && S_ISDIR(st.st_mode) ? LL_READ_DIR : LL_READ_FILE;
	rc = (int)syscall(SYS_landlock_add_rule, rfd, LANDLOCK_RULE_PATH_BENEATH,
	    &pb, 0);
	close(pb.parent_fd);
	return rc;
}

/*
 * Landlock: read-only access to readable[], nothing else.  Returns the
 * ABI version applied, 0 when the kernel has no Landlock, -1 on error.
 */
static int
landlock_enter(char *err, size_t errlen)
{
	struct landlock_ruleset_attr ra;
	int abi, rfd;

	abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	if (abi < 0)
		return 0;	/* ENOSYS, EOPNOTSUPP: not in this kernel */
	memset(&ra, 0, sizeof(ra));
	ra.handled_access_fs = ll_handled(abi);
	if ((rfd = (int)syscall(SYS_landlock_create_ruleset, &ra, sizeof(ra),
	    0)) < 0)
		goto fail;
	for (size_t i = 0; i < sizeof(readable) / sizeof(readable[0]); i++)
		if (ll_allow(rfd, readable[i]) < 0)
			goto fail;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0
	    || syscall(SYS_landlock_restrict_self, rfd, 0) < 0)
		goto fail;
	close(rfd);
	return abi;
fail:
	snprintf(err, errlen, "cannot set up Landlock: %s", strerror(errno));
	if (rfd >= 0)
		close(rfd);
	return -1;
}

/* Allowed whatever their arguments. */
static const int plain[] = {
	/* descriptors the process already holds */
	SCMP_SYS(read), SCMP_SYS(readv), SCMP_SYS(write), SCMP_SYS(writev),
	SCMP_SYS(close), SCMP_SYS(fcntl), SCMP_SYS(lseek), SCMP_SYS(pread64),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(statx),
	SCMP_SYS(stat), SCMP_SYS(lstat), SCMP_SYS(access), SCMP_SYS(faccessat),
	SCMP_SYS(faccessat2), SCMP_SYS(ioctl), SCMP_SYS(getdents64),
	/* waiting and time */
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select), SCMP_SYS(pselect6),
	SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait), SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday),
	SCMP_SYS(time),
	/* threads (the workers, getaddrinfo_a's helpers) and memory */
	SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(get_robust_list),
	SCMP_SYS(rseq), SCMP_SYS(set_tid_address), SCMP_SYS(sched_yield),
	SCMP_SYS(sched_getaffinity), SCMP_SYS(munmap), SCMP_SYS(madvise),
	SCMP_SYS(mremap), SCMP_SYS(brk), SCMP_SYS(exit), SCMP_SYS(exit_group),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(sigaltstack), SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
	SCMP_SYS(getrandom), SCMP_SYS(uname), SCMP_SYS(sysinfo),
	SCMP_SYS(prlimit64), SCMP_SYS(getrlimit),
	/* network: connected sockets (HTTPS, DNS over UDP and TCP) */
	SCMP_SYS(connect), SCMP_SYS(bind), SCMP_SYS(getsockopt),
	SCMP_SYS(setsockopt), SCMP_SYS(getsockname), SCMP_SYS(getpeername),
	SCMP_SYS(sendto), SCMP_SYS(recvfrom), SCMP_SYS(sendmsg),
	SCMP_SYS(recvmsg), SCMP_SYS(sendmmsg), SCMP_SYS(recvmmsg),
	SCMP_SYS(shutdown),
};

static int
allow(scmp_filter_ctx ctx, int nr, unsigned n, const struct scmp_arg_cmp *c)
{
	return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, n, c);
}

/* open/openat: read-only, nothing created or truncated. */
static int
allow_read_only_open(scmp_filter_ctx ctx)
{
	const scmp_datum_t bad = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC
	    | O_APPEND | (O_TMPFILE & ~O_DIRECTORY);
	struct scmp_arg_cmp at = SCMP_A2(SCMP_CMP_MASKED_EQ, bad, 0);
	struct scmp_arg_cmp op = SCMP_A1(SCMP_CMP_MASKED_EQ, bad, 0);
	int rc;

	if ((rc = allow(ctx, SCMP_SYS(openat), 1, &at)) < 0)
		return rc;
	return allow(ctx, SCMP_SYS(open), 1, &op);
}

/* mmap/mprotect: never writable and executable at once. */
static int
allow_memory(scmp_filter_ctx ctx)
{
	static const scmp_datum_t ok[] = { 0, PROT_WRITE, PROT_EXEC };
	const scmp_datum_t wx = PROT_WRITE | PROT_EXEC;
	int rc = 0;

	for (size_t i = 0; rc >= 0 && i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct scmp_arg_cmp c = SCMP_A2(SCMP_CMP_MASKED_EQ, wx, ok[i]);

		if ((rc = allow(ctx, SCMP_SYS(mmap), 1, &c)) >= 0)
			rc = allow(ctx, SCMP_SYS(mprotect), 1, &c);
	}
	return rc;
}

/* socket: Internet families, routing netlink; no AF_UNIX, no raw. */
static int
allow_sockets(scmp_filter_ctx ctx)
{
	struct scmp_arg_cmp c[2];
	int rc;

	c[0] = SCMP_A0(SCMP_CMP_EQ, AF_INET);
	if ((rc = allow(ctx, SCMP_SYS(socket), 1, c)) < 0)
		return rc;
	c[0] = SCMP_A0(SCMP_CMP_EQ, AF_INET6);
	if ((rc = allow(ctx, SCMP_SYS(socket), 1, c)) < 0)
		return rc;
	c[0] = SCMP_A0(SCMP_CMP_EQ, AF_NETLINK);
	c[1] = SCMP_A2(SCMP_CMP_EQ, NETLINK_ROUTE);
	return allow(ctx, SCMP_SYS(socket), 2, c);
}

/* Threads: clone without new name spaces; signals to this process only. */
static int
allow_threads(scmp_filter_ctx ctx)
{
	const scmp_datum_t ns = CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWNET
	    | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
	struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_MASKED_EQ, ns | CLONE_THREAD,
	    CLONE_THREAD);
	struct scmp_arg_cmp self = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid());
	int rc;

	if ((rc = allow(ctx, SCMP_SYS(clone), 1, &c)) < 0
	    || (rc = allow(ctx, SCMP_SYS(tgkill), 1, &self)) < 0)
		return rc;
	/* clone3 passes its flags in memory, which a filter cannot read:
	 * ENOSYS makes glibc fall back to clone(), checked above. */
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
	    0);
}

int
sandbox_enter(char *err, size_t errlen)
{
	scmp_filter_ctx ctx;
	int rc = 0, abi;

	if ((abi = landlock_enter(err, errlen)) < 0)
		return -1;
	if (abi == 0)
		log_warn("no Landlock in this kernel: files are confined by "
		    "the fetcher's user's permissions only");
	if ((ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM))) == NULL) {
		snprintf(err, errlen, "seccomp_init failed");
		return -1;
	}
	for (size_t i = 0; rc >= 0 && i < sizeof(plain) / sizeof(plain[0]); i++)
		rc = allow(ctx, plain[i], 0, NULL);
	if (rc >= 0)
		rc = allow_read_only_open(ctx);
	if (rc >= 0)
		rc = allow_memory(ctx);
	if (rc >= 0)
		rc = allow_sockets(ctx);
	if (rc >= 0)
		rc = allow_threads(ctx);
	if (rc >= 0)
		rc = seccomp_load(ctx);	/* sets no_new_privs too */
	seccomp_release(ctx);
	if (rc < 0) {
		snprintf(err, errlen, "cannot load the system call filter: %s",
		    strerror(-rc));
		return -1;
	}
	log_notice("confined: seccomp filter%s", abi > 0 ? ", Landlock "
	    "read-only file access" : "");
	return 0;
}
