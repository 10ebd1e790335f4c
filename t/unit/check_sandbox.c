/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for stsfetch/sandbox.c: what the fetcher's Landlock rules
 * and system call filter let through and what they refuse.  Each test enters the sandbox
 * in a forked child (the filter cannot be removed) and reports through
 * its exit status.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox.h"

static char tmpdir[] = "/tmp/check_sandbox.XXXXXX";

/* Run fn in a sandboxed child; its exit status (0 = all as expected). */
static int
in_sandbox(int (*fn)(void))
{
	char err[256];
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (sandbox_enter(err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			_exit(100);
		}
		_exit(fn());
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "child died on signal %d",
	    WTERMSIG(status));
	return WEXITSTATUS(status);
}

/* 1 unless the call failed with EPERM. */
#define REFUSED(call)	((call) < 0 && errno == EPERM ? 0 : 1)

/* The parent reads the child's /proc/PID/status (the child may not). */
START_TEST(test_status)
{
	char err[256], path[64], line[256], c;
	int seccomp = 0, nnp = 0, p[2], status;
	FILE *fp;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0) {
		close(p[1]);
		if (sandbox_enter(err, sizeof(err)) < 0)
			_exit(100);
		_exit(read(p[0], &c, 1) == 0 ? 0 : 1);	/* until closed */
	}
	close(p[0]);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	for (int i = 0; i < 500 && !seccomp; i++) {	/* until it is in */
		ck_assert((fp = fopen(path, "r")) != NULL);
		while (fgets(line, sizeof(line), fp) != NULL) {
			seccomp |= strcmp(line, "Seccomp:\t2\n") == 0;
			nnp |= strcmp(line, "NoNewPrivs:\t1\n") == 0;
		}
		fclose(fp);
		if (!seccomp)
			usleep(10000);
	}
	close(p[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_msg(seccomp && nnp, "Seccomp 2 %d, NoNewPrivs 1 %d", seccomp,
	    nnp);
}
END_TEST

static int
no_writes(void)
{
	char path[64];
	int bad = 0;

	snprintf(path, sizeof(path), "%s/new", tmpdir);
	bad |= REFUSED(open(path, O_WRONLY | O_CREAT, 0600));
	bad |= REFUSED(open("/etc/hosts", O_RDWR)) << 1;
	bad |= REFUSED(open("/etc/hosts", O_RDONLY | O_TRUNC)) << 2;
	bad |= REFUSED(open(tmpdir, O_TMPFILE | O_WRONLY, 0600)) << 3;
	bad |= REFUSED(mkdir(path, 0700)) << 4;
	bad |= REFUSED(unlink(tmpdir)) << 5;
	bad |= REFUSED(chmod(tmpdir, 0777)) << 6;
	return bad;
}

START_TEST(test_no_writes)
{
	ck_assert_int_eq(in_sandbox(no_writes), 0);
	ck_assert_int_ne(access(tmpdir, F_OK), -1);
}
END_TEST

static int
reads_allowed(void)
{
	char buf[16];
	int fd = open("/etc/hosts", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, buf, sizeof(buf)) < 0)
		return 1;
	close(fd);
	return 0;
}

START_TEST(test_reads)
{
	ck_assert_int_eq(in_sandbox(reads_allowed), 0);
}
END_TEST

/* Landlock: a readable file outside the list cannot be read. */
static int
other_files_unreadable(void)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "%s/conf", tmpdir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 && errno == EACCES ? 0 : 1;
}

START_TEST(test_landlock)
{
	char path[64];
	FILE *fp;

	if (syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION) < 0) {
		fprintf(stderr, "SKIP: no Landlock in this kernel\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/conf", tmpdir);
	ck_assert((fp = fopen(path, "w")) != NULL);
	fputs("user = tlspolicyd\n", fp);
	fclose(fp);
	chmod(path, 0644);
	ck_assert_int_eq(in_sandbox(other_files_unreadable), 0);
	unlink(path);
}
END_TEST

static int
sockets(void)
{
	int bad = 0, fd;

	bad |= REFUSED(socket(AF_UNIX, SOCK_STREAM, 0));
	bad |= REFUSED(socket(AF_PACKET, SOCK_RAW, 0)) << 1;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		bad |= 1 << 2;
	else
		close(fd);
	if ((fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0
	    && errno != EAFNOSUPPORT)
		bad |= 1 << 3;
	else if (fd >= 0)
		close(fd);
	return bad;
}

START_TEST(test_sockets)
{
	ck_assert_int_eq(in_sandbox(sockets), 0);
}
END_TEST

static void *
thread_fn(void *arg)
{
	return arg;
}

static int
processes(void)
{
	/* Not found without the filter (never run): EPERM only from it. */
	char *argv[] = { (char *)"/nonexistent/check_sandbox", NULL };
	pthread_t t;
	void *ret = NULL;
	int bad = 0, status;
	pid_t pid;

	if (pthread_create(&t, NULL, thread_fn, &bad) != 0
	    || pthread_join(t, &ret) != 0 || ret != &bad)
		bad |= 1;
	if ((pid = fork()) == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, &status, 0);
	bad |= (pid < 0 && errno == EPERM ? 0 : 1) << 1;
	bad |= REFUSED(execve(argv[0], argv, NULL)) << 2;
	bad |= REFUSED(kill(getppid(), 0)) << 3;
	bad |= REFUSED(setuid(0)) << 4;
	return bad;
}

START_TEST(test_processes)
{
	ck_assert_int_eq(in_sandbox(processes), 0);
}
END_TEST

static Suite *
sandbox_suite(void)
{
	Suite *s = suite_create("sandbox");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_status);
	tcase_add_test(tc, test_no_writes);
	tcase_add_test(tc, test_reads);
	tcase_add_test(tc, test_landlock);
	tcase_add_test(tc, test_sockets);
	tcase_add_test(tc, test_processes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	if (mkdtemp(tmpdir) == NULL)
		return 99;
	sr = srunner_create(sandbox_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rmdir(tmpdir);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
