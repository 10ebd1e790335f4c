/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for policyd/fetchctl.c: who owns a request when the fetcher
 * is gone.  The fetcher is this program itself, started by fetchctl with
 * "-w N" (see main()): FETCHCTL_STUB says what it does.
 *
 *	exit	exit at once: the daemon's end of the socketpair then
 *		writes into a closed pipe (EPIPE), the state after a
 *		fetcher crash that the daemon has not read yet.
 *	answer	answer each request line with an error reply.
 *
 * Built with AddressSanitizer (t/Makefile.am, FETCHCTL_SAN): the old
 * code read the request it had just freed.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fetchctl.h"
#include "loop.h"

/* Check forks each test; leak checks of its own children are noise. */
const char *__asan_default_options(void);
const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}

struct seen {
	int calls;
	int in_fetch;		/* set while fetchctl_fetch() runs */
	int reentrant;		/* a callback ran inside fetchctl_fetch() */
	char error[64];
	struct loop *loop;
};

static void
seen_cb(void *arg, const struct fetch_result *r)
{
	struct seen *s = arg;

	if (s->in_fetch)
		s->reentrant = 1;
	s->calls++;
	snprintf(s->error, sizeof(s->error), "%s", r->ok ? "ok" : r->error);
	loop_stop(s->loop);
}

static void
stop_cb(struct loop *l, void *arg)
{
	(void)arg;
	loop_stop(l);
}

/* Run the loop until a callback stops it, at most ms milliseconds. */
static void
run_for(struct loop *l, uint64_t ms)
{
	struct loop_timer *t = loop_timer(l, ms, stop_cb, NULL);

	loop_run(l);
	loop_timer_cancel(l, t);
}

/* The stub as the fetcher, through a spawner of our own user. */
static struct fetchctl *
start_stub(struct loop *l, const char *mode)
{
	struct fetchspawn_config c = { "check_fetchctl-stub", -1, -1, 1, NULL };
	struct fetchspawn *z;
	char err[256];

	c.exec_fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(c.exec_fd, 0);
	setenv("FETCHCTL_STUB", mode, 1);
	z = fetchspawn_new(&c, err, sizeof(err));
	ck_assert_msg(z != NULL, "%s", err);
	close(c.exec_fd);
	return fetchctl_new(l, "check_fetchctl-stub", z);
}

/* Wait (at most 5 s) for pid, the spawner's child, to be a zombie. */
static int
wait_zombie(pid_t pid)
{
	char path[64], buf[256], *p;
	struct timespec slice = { 0, 10 * 1000000L };
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (int i = 0; i < 500; i++) {
		if ((fp = fopen(path, "r")) == NULL)
			return -1;
		p = fgets(buf, sizeof(buf), fp);
		fclose(fp);
		if (p != NULL && (p = strrchr(buf, ')')) != NULL
		    && p[1] == ' ' && p[2] == 'Z')
			return 0;
		nanosleep(&slice, NULL);
	}
	return -1;
}

/*
 * The fetcher died and the daemon writes a request before it reads the
 * EOF: the write fails inside fetchctl_fetch().  No callback may run
 * there, the id returned must be usable, and the failure must come
 * once, from the loop.
 */
START_TEST(test_write_to_dead_fetcher)
{
	struct loop *l = loop_new();
	struct fetchctl *f;
	struct fetchctl_stat st;
	struct seen s = { 0 };
	int id;

	signal(SIGPIPE, SIG_IGN);
	s.loop = l;
	f = start_stub(l, "exit");
	fetchctl_status(f, &st);
	ck_assert_int_gt(st.pid, 0);
	/* Wait for it to be gone, without reaping it (the spawner does). */
	ck_assert_int_eq(wait_zombie(st.pid), 0);
	s.in_fetch = 1;
	id = fetchctl_fetch(f, "example.com", "id1", 0, seen_cb, &s);
	s.in_fetch = 0;
	ck_assert_msg(!s.reentrant, "callback ran inside fetchctl_fetch()");
	ck_assert_int_eq(s.calls, 0);
	ck_assert_int_gt(id, 0);
	fetchctl_status(f, &st);
	ck_assert_uint_eq(st.inflight, 1);
	/* A second request before the loop turns is refused, not queued. */
	ck_assert_int_eq(fetchctl_fetch(f, "example.org", "id2", 0, seen_cb,
	    &s), -1);
	run_for(l, 5000);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_str_eq(s.error, "fetcher-unavailable");
	fetchctl_status(f, &st);
	ck_assert_uint_eq(st.inflight, 0);
	ck_assert_uint_eq(st.failures, 1);
	fetchctl_free(f);
	loop_free(l);
}
END_TEST

/* The normal path still routes a reply to its callback, once. */
START_TEST(test_reply_routed)
{
	struct loop *l = loop_new();
	struct fetchctl *f;
	struct seen s = { 0 };
	int id;

	signal(SIGPIPE, SIG_IGN);
	s.loop = l;
	f = start_stub(l, "answer");
	id = fetchctl_fetch(f, "example.com", "id1", 0, seen_cb, &s);
	ck_assert_int_gt(id, 0);
	run_for(l, 5000);
	ck_assert_int_eq(s.calls, 1);
	ck_assert_str_eq(s.error, "sts-policy-fetch-error");
	fetchctl_free(f);
	loop_free(l);
}
END_TEST

/* The stub fetcher: answer every request line with an error reply. */
static int
stub_answer(void)
{
	char buf[4096];
	size_t len = 0;
	ssize_t n;

	while ((n = read(0, buf + len, sizeof(buf) - 1 - len)) > 0) {
		char *nl;

		len += (size_t)n;
		buf[len] = '\0';
		while ((nl = strchr(buf, '\n')) != NULL) {
			const char *p = strstr(buf, "\"id\":");
			long id = p && p < nl ? strtol(p + 5, NULL, 10) : 0;

			printf("{\"id\":%ld,\"domain\":\"x\",\"ok\":false,"
			    "\"error\":\"sts-policy-fetch-error\","
			    "\"detail\":\"stub\"}\n", id);
			fflush(stdout);
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len + 1);
		}
		if (len == sizeof(buf) - 1)
			return 1;
	}
	return 0;
}

static Suite *
fetchctl_suite(void)
{
	Suite *s = suite_create("fetchctl");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_write_to_dead_fetcher);
	tcase_add_test(tc, test_reply_routed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(int argc, char **argv)
{
	const char *stub = getenv("FETCHCTL_STUB");
	SRunner *sr;
	int failed;

	if (stub != NULL && argc > 1 && strcmp(argv[1], "-w") == 0)
		return strcmp(stub, "answer") == 0 ? stub_answer() : 0;
	sr = srunner_create(fetchctl_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
