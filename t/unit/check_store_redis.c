/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the pure parts of lib/store_redis.c and the store
 * helpers it uses: the URL parser, the key layout, the expiry read from
 * an encoded record, the password kept out of the store's name.  The
 * server side is tested against a real redis-server in t/world/tests
 * 52-55.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "redis_url.h"
#include "store_redis.h"

struct url_case {
	const char *url;
	int ok;
	const char *host;
	int port;
	const char *path;
	const char *password;
	int db;
};

static const struct url_case url_cases[] = {
	{ "redis://127.0.0.1:6379", 1, "127.0.0.1", 6379, "", "", 0 },
	{ "redis://127.0.0.1:6379/3", 1, "127.0.0.1", 6379, "", "", 3 },
	{ "redis://:s3cret@redis.example:6380/15", 1, "redis.example", 6380,
	    "", "s3cret", 15 },
	{ "redis://:a:b@h:1", 1, "h", 1, "", "a:b", 0 },
	{ "redis://[::1]:6379/1", 1, "::1", 6379, "", "", 1 },
	{ "unix:/run/redis/redis.sock", 1, "", 0, "/run/redis/redis.sock",
	    "", 0 },
	{ "unix:/run/redis.sock?db=7", 1, "", 0, "/run/redis.sock", "", 7 },
	/* refused */
	{ "", 0, NULL, 0, NULL, NULL, 0 },
	{ "redis:", 0, NULL, 0, NULL, NULL, 0 },
	{ "http://h:1", 0, NULL, 0, NULL, NULL, 0 },
	{ "redis://h", 0, NULL, 0, NULL, NULL, 0 },
	{ "redis://h:", 0, NULL, 0, NULL, NULL, 0 },
	{ "redis://:1", 0, NULL, 0, NULL, NULL, 0 },
	{ "redis://h:0", 0, NULL, 0, NULL, NULL, 0 },
	{ "redis://h:65536", 0, NULL, 0, NULL, NULL, 0 },
	{ "redis://h:12x", 0, NULL, 0, NULL, NULL, 0 },
	{ "redis://h:1/16", 0, NULL, 0, NULL, NULL, 0 },
	{ "redis://h:1/", 0, NULL, 0, NULL, NULL, 0 },
	{ "redis://h:1/a", 0, NULL, 0, NULL, NULL, 0 },
	{ "redis://user:pw@h:1", 0, NULL, 0, NULL, NULL, 0 },
	{ "redis://:@h:1", 0, NULL, 0, NULL, NULL, 0 },
	{ "redis://h_x:1", 0, NULL, 0, NULL, NULL, 0 },
	{ "redis://[::1:1", 0, NULL, 0, NULL, NULL, 0 },
	{ "redis://h:99999999999999999999", 0, NULL, 0, NULL, NULL, 0 },
	{ "unix:relative.sock", 0, NULL, 0, NULL, NULL, 0 },
	{ "unix:/s?db=", 0, NULL, 0, NULL, NULL, 0 },
	{ "unix:/s?db=16", 0, NULL, 0, NULL, NULL, 0 },
	{ "unix:/s?x=1", 0, NULL, 0, NULL, NULL, 0 },
};

START_TEST(test_url)
{
	const struct url_case *c = &url_cases[_i];
	struct redis_url u;
	char err[256] = "";
	int rc = redis_url_parse(c->url, &u, err, sizeof(err));

	if (!c->ok) {
		ck_assert_msg(rc == -1, "\"%s\" accepted", c->url);
		ck_assert(err[0] != '\0');
		return;
	}
	ck_assert_msg(rc == 0, "\"%s\": %s", c->url, err);
	ck_assert_str_eq(u.host, c->host);
	ck_assert_int_eq(u.port, c->port);
	ck_assert_str_eq(u.path, c->path);
	ck_assert_str_eq(u.password, c->password);
	ck_assert_int_eq(u.db, c->db);
}
END_TEST

START_TEST(test_url_long_path)
{
	char url[300] = "unix:/";
	struct redis_url u;
	char err[256];

	memset(url + 6, 'a', 200);
	ck_assert_int_eq(redis_url_parse(url, &u, err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_keys)
{
	char k[STORE_REDIS_KEY_MAX];
	char dom[260];

	ck_assert_int_eq(redis_key("example.com", k, sizeof(k)), 0);
	ck_assert_str_eq(k, "tlspolicyd:sts:example.com");
	ck_assert_int_eq(redis_key("rpt/2026-12-03/example.com", k,
	    sizeof(k)), 0);
	ck_assert_str_eq(k, "tlspolicyd:rpt:2026-12-03:example.com");
	/* The longest domain fits; a key that does not is refused. */
	memset(dom, 'a', 253);
	dom[253] = '\0';
	ck_assert_int_eq(redis_key(dom, k, sizeof(k)), 0);
	ck_assert_int_eq(redis_key(dom, k, 20), -1);
	/* ':' separates: a key with one has no Redis key. */
	ck_assert_int_eq(redis_key("rpt/a:b/c", k, sizeof(k)), -1);
	ck_assert_int_eq(redis_key("sts/example.com", k, sizeof(k)), -1);
	ck_assert_int_eq(redis_key("lock/example.com", k, sizeof(k)), -1);
}
END_TEST

/* Back from Redis keys: records only, to the same store key. */
START_TEST(test_store_keys)
{
	static const char *const keys[] = { "example.com",
	    "rpt/2026-12-03/example.com", "rptsent/2026-12-03/example.com" };
	static const char *const none[] = { "tlspolicyd:lock:example.com",
	    "tlspolicyd:flush", "other:sts:example.com", "tlspolicyd:sts:",
	    "tlspolicyd:sts:a:b" };
	char rk[STORE_REDIS_KEY_MAX], back[STORE_REDIS_KEY_MAX];

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		ck_assert_int_eq(redis_key(keys[i], rk, sizeof(rk)), 0);
		ck_assert_int_eq(redis_store_key(rk, back, sizeof(back)), 0);
		ck_assert_str_eq(back, keys[i]);
	}
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		ck_assert_msg(redis_store_key(none[i], back, sizeof(back)) == -1,
		    "%s", none[i]);
}
END_TEST

/* An entry for example.com fetched at 1700000000, expiring then. */
static void
make_entry(struct store_entry *e, int64_t expires_at)
{
	memset(e, 0, sizeof(*e));
	strcpy(e->domain, "example.com");
	strcpy(e->id, "20261203");
	e->policy = (char *)"{\"mode\":\"enforce\"}";
	e->fetched_at = 1700000000;
	e->expires_at = expires_at;
}

/* The expiry Redis is given is the entry's own expires_at. */
START_TEST(test_record_expires)
{
	struct store_entry e;
	unsigned char *rec;
	size_t len;
	char err[128];

	make_entry(&e, 1700086400);
	rec = store_entry_encode(&e, &len, err, sizeof(err));
	ck_assert_ptr_nonnull(rec);
	ck_assert(store_record_expires(rec, len) == 1700086400);
	ck_assert(store_record_expires(rec, 10) == -1);
	rec[2] = 9;		/* another version: unknown layout */
	ck_assert(store_record_expires(rec, len) == -1);
	ck_assert(store_record_expires("rpt-raw-bytes-of-some-length-xxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxx", 56) == -1);
	free(rec);
}
END_TEST

/* A password given in the URL never shows in the store's name (logs). */
START_TEST(test_name_redacted)
{
	struct store_options opt = { .timeout_ms = 50 };
	const char *urls[] = { "redis://:s3cret@127.0.0.1:1/2",
	    "redis://:x@127.0.0.1:1" };
	char err[256];

	for (size_t i = 0; i < 2; i++) {
		char spec[128];
		struct store *s;

		snprintf(spec, sizeof(spec), "redis:%s", urls[i]);
		s = store_open(spec, &opt, err, sizeof(err));
		ck_assert_msg(s != NULL, "%s", err);	/* down is not fatal */
		ck_assert_ptr_null(strstr(store_name(s), "s3cret"));
		ck_assert_ptr_nonnull(strstr(store_name(s), "***@127.0.0.1"));
		/* Nothing listens on port 1: a failure, not a hang or a miss. */
		struct store_entry out;
		ck_assert_int_eq(store_get(s, "example.com", &out), -1);
		store_close(s);
	}
}
END_TEST

/*
 * A fake server on a unix socket: one connection, each request read
 * answered with the next of replies (RESP), then the connection closes.
 * Returns the child's pid; the socket is path.
 */
static pid_t
fake_server(const char *path, const char *const *replies, size_t n)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int ls = socket(AF_UNIX, SOCK_STREAM, 0), c;
	pid_t pid;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	ck_assert(bind(ls, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	ck_assert(listen(ls, 1) == 0);
	if ((pid = fork()) != 0) {
		close(ls);
		return pid;
	}
	alarm(10);
	if ((c = accept(ls, NULL, NULL)) >= 0)
		for (size_t i = 0; i < n; i++) {
			char buf[4096];
			if (read(c, buf, sizeof(buf)) <= 0
			    || write(c, replies[i], strlen(replies[i])) < 0)
				break;
		}
	_exit(0);
}

/*
 * Replies of the wrong shape (integers for keys, a stream entry without
 * fields, a cursor that is not a string) are refused or skipped: no
 * crash, no read out of bounds, an error or an empty result.
 */
START_TEST(test_foreign_replies)
{
	static const char *const scan[] = {
		"+OK\r\n",				/* SELECT */
		"*2\r\n:0\r\n*2\r\n:7\r\n$3\r\nabc\r\n",	/* SCAN */
	};
	static const char *const flush[] = {
		"+OK\r\n",				/* SELECT */
		"*1\r\n*2\r\n:1\r\n:2\r\n",		/* XREVRANGE */
		"*1\r\n*2\r\n$16\r\ntlspolicyd:flush\r\n"	/* XREAD */
		    "*2\r\n*1\r\n:3\r\n*2\r\n$5\r\n1-1-1\r\n:4\r\n",
	};
	struct store_options opt = { .timeout_ms = 2000 };
	char path[64], spec[96], err[256];
	struct store *s;
	pid_t pid;
	int status;

	snprintf(path, sizeof(path), "/tmp/check_store_redis.%ld", (long)getpid());
	snprintf(spec, sizeof(spec), "redis:unix:%s", path);
	pid = fake_server(path, scan, 2);
	s = store_open(spec, &opt, err, sizeof(err));
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_int_eq(store_count(s), 0);	/* SCAN: cursor not a string */
	store_close(s);
	waitpid(pid, &status, 0);

	pid = fake_server(path, flush, 3);
	s = store_open(spec, &opt, err, sizeof(err));
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_int_ge(store_redis_flushes(s, "me", NULL, NULL), 0);
	ck_assert_int_ge(store_redis_flushes(s, "me", NULL, NULL), 0);
	store_close(s);
	waitpid(pid, &status, 0);
	unlink(path);
}
END_TEST

/* A real redis-server on a unix socket in a private directory. */
static char srv_dir[64], srv_sock[96];
static pid_t srv_pid;

static void
server_up(void)
{
	struct stat st;

	snprintf(srv_dir, sizeof(srv_dir), "/tmp/check_store_redis.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(srv_dir));
	snprintf(srv_sock, sizeof(srv_sock), "%s/redis.sock", srv_dir);
	if ((srv_pid = fork()) == 0) {
		execlp("redis-server", "redis-server", "--port", "0",
		    "--unixsocket", srv_sock, "--save", "", "--appendonly", "no",
		    "--dir", srv_dir, "--logfile", "", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && stat(srv_sock, &st) < 0; i++)
		usleep(25000);	/* bounded: 5 s for the socket to appear */
	ck_assert_msg(stat(srv_sock, &st) == 0,
	    "redis-server (package redis-server) did not start");
}

static void
server_down(void)
{
	int status;
	char path[128];

	kill(srv_pid, SIGKILL);
	waitpid(srv_pid, &status, 0);
	snprintf(path, sizeof(path), "%s/redis.sock", srv_dir);
	unlink(path);
	rmdir(srv_dir);
}

static struct store *
open_server(void)
{
	struct store_options opt = { .timeout_ms = 2000 };
	char spec[128], err[256];
	struct store *s;

	snprintf(spec, sizeof(spec), "redis:unix:%s?db=1", srv_sock);
	s = store_open(spec, &opt, err, sizeof(err));
	ck_assert_msg(s != NULL, "%s", err);
	ck_assert_int_eq(store_redis_up(s), 1);
	return s;
}

static int
count_rec(const char *key, const void *val, size_t len, void *arg)
{
	ck_assert_str_eq(key, "rpt/2026-12-03/example.com");
	ck_assert(len == 3 && memcmp(val, "abc", 3) == 0);
	(*(int *)arg)++;
	return 0;
}

static int
count_entry(const struct store_entry *e, void *arg)
{
	ck_assert_str_eq(e->domain, "example.com");
	(*(int *)arg)++;
	return 0;
}

/* Entries and raw records side by side, as on the other backends. */
START_TEST(test_server_records)
{
	struct store *s = open_server();
	struct store_entry e, got;
	void *val;
	size_t len;
	int n = 0, m = 0;

	make_entry(&e, 4000000000);
	ck_assert_int_eq(store_put(s, &e), 0);
	ck_assert_int_eq(store_get(s, "example.com", &got), 1);
	ck_assert_str_eq(got.id, "20261203");
	ck_assert(got.expires_at == 4000000000);
	store_entry_clear(&got);
	ck_assert_int_eq(store_rec_put(s, "rpt/2026-12-03/example.com", "abc",
	    3), 0);
	ck_assert_int_eq(store_rec_get(s, "rpt/2026-12-03/example.com", &val,
	    &len), 1);
	ck_assert(len == 3 && memcmp(val, "abc", 3) == 0);
	free(val);
	ck_assert_uint_eq(store_count(s), 1);	/* entries only */
	ck_assert_int_eq(store_rec_iter_prefix(s, "rpt/", count_rec, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(store_iter(s, count_entry, &m), 0);
	ck_assert_int_eq(m, 1);
	ck_assert_int_eq(store_rec_del(s, "rpt/2026-12-03/example.com"), 1);
	ck_assert_int_eq(store_del(s, "example.com"), 1);
	ck_assert_int_eq(store_del(s, "example.com"), 0);
	ck_assert_uint_eq(store_count(s), 0);
	store_close(s);
}
END_TEST

static void
note_flush(const char *domain, void *arg)
{
	ck_assert_str_eq(domain, "example.org");
	(*(int *)arg)++;
}

/* The fetch lock is one relay's at a time; a flush reaches the others. */
START_TEST(test_server_fleet)
{
	struct store *a = open_server(), *b = open_server();
	int seen = 0;

	ck_assert_int_eq(store_redis_lock(a, "example.org", "a", 5000), 1);
	ck_assert_int_eq(store_redis_lock(b, "example.org", "b", 5000), 0);
	ck_assert_int_eq(store_redis_unlock(b, "example.org", "b"), 0);
	ck_assert_int_eq(store_redis_unlock(a, "example.org", "a"), 1);
	ck_assert_int_eq(store_redis_lock(b, "example.org", "b", 5000), 1);
	ck_assert_int_eq(store_redis_flushes(b, "b", note_flush, &seen), 0);
	ck_assert_int_eq(store_redis_flush(a, "example.org", "a"), 0);
	ck_assert_int_eq(store_redis_flushes(b, "b", note_flush, &seen), 1);
	ck_assert_int_eq(seen, 1);
	ck_assert_int_eq(store_redis_flushes(a, "a", note_flush, &seen), 0);
	ck_assert_int_eq(seen, 1);	/* one's own flush is not news */
	store_close(a);
	store_close(b);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("store_redis");
	TCase *tc = tcase_create("pure");
	SRunner *sr;
	int nf;

	tcase_add_loop_test(tc, test_url, 0,
	    sizeof(url_cases) / sizeof(url_cases[0]));
	tcase_add_test(tc, test_url_long_path);
	tcase_add_test(tc, test_keys);
	tcase_add_test(tc, test_store_keys);
	tcase_add_test(tc, test_record_expires);
	tcase_add_test(tc, test_name_redacted);
	tcase_add_test(tc, test_foreign_replies);
	suite_add_tcase(su, tc);
	tc = tcase_create("redis-server");
	tcase_add_checked_fixture(tc, server_up, server_down);
	tcase_add_test(tc, test_server_records);
	tcase_add_test(tc, test_server_fleet);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
