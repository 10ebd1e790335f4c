/* SPDX-License-Identifier: MIT */
/*
 * store_lmdb - "lmdb:PATH" backend of the policy store (store.h).
 *
 * One LMDB environment, records in the named database "sts-policy"
 * (named, so that later tables such as backoff state can share the
 * environment and its transactions).  Keys are domains, values the
 * records of store.c.
 *
 * Durability: the environment is opened with LMDB's default, synced
 * commits (no MDB_NOSYNC, MDB_NOMETASYNC or MDB_WRITEMAP), so a put
 * returns 0 only after the commit reached the disk; a crash at any
 * moment leaves the last committed state (LMDB is copy-on-write).
 *
 * Reads: open reads nothing; a lookup renews one cached read-only
 * transaction (mdb_txn_renew is cheap) and decodes the record straight
 * from the map.  MDB_NOTLS lets a walk hold its own read transaction
 * while the walker looks up entries in the same thread.
 *
 * Map size: LMDB fails a write with MDB_MAP_FULL once the map is used
 * up.  The write is then retried with the map doubled, up to map_max,
 * beyond which it fails with a log line naming the limit.  Another
 * process that grew the map shows up as MDB_MAP_RESIZED, after which
 * we adopt the size recorded in the environment.
 *
 * Damage: LMDB trusts the page numbers in its file, so a damaged file
 * (a bad disk, a foreign writer) makes a reader fault or abort.  A writer
 * opening an existing data file first walks it in a child process
 * (lm_verify); a file that does not read back is moved aside and the
 * store starts empty (its policies are fetched again), logged at error.
 * The walk touches every page once: about 0.1 s at start-up for a
 * million stored policies (measured with bench/stsfill).
 *
 * A read-only file system: the writer opens the file read-only without
 * the lock file and fails (and logs, once a minute) every write.
 *
 * Stale reader slots left by killed readers (tlsmap) are cleared at
 * open by the writer.  An environment must not be used across fork():
 * a child opens its own.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <inttypes.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store.h"
#include "util.h"

#define LM_DBNAME	"sts-policy"
#define LM_KEYMAX	511		/* LMDB's default key limit */
#define LM_TRIES	8		/* write retries after a resize */
#define LM_WRITE_LOG_MS	60000		/* a failed write: a line a minute */

struct lm {
	MDB_env *env;
	MDB_dbi dbi;
	MDB_txn *rtxn;			/* reset between lookups, or NULL */
	char *path;			/* for log lines */
	uint64_t map_max;
	int readonly_fs;		/* opened read-only: the file system is */
	struct log_limit write_log;	/* failed writes: a line a minute */
};

static void
lm_free(struct lm *l)
{
	if (l->rtxn)
		mdb_txn_abort(l->rtxn);
	if (l->env)
		mdb_env_close(l->env);
	free(l->path);
	free(l);
}

static int
lm_open_dbi(struct lm *l, int readonly)
{
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(l->env, NULL, readonly ? MDB_RDONLY : 0, &txn);
	if (rc != 0)
		return rc;
	rc = mdb_dbi_open(txn, LM_DBNAME, readonly ? 0 : MDB_CREATE, &l->dbi);
	if (rc != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	return mdb_txn_commit(txn);
}

/*
 * LMDB opens its lock file close-on-exec but not the data file: without
 * this, a program the owner starts (the fetcher) would inherit
 * read-write access to the store.
 */
static int
lm_cloexec(MDB_env *env)
{
	mdb_filehandle_t fd;
	int fl, rc;

	if ((rc = mdb_env_get_fd(env, &fd)) != 0)
		return rc;
	if ((fl = fcntl(fd, F_GETFD)) < 0
	    || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		return errno;
	return 0;
}

/*
 * lm_verify()'s child: walk every record, then try (never committing) to
 * create the table and add records across the key space.  On a read-only
 * file system only the walk: nothing can be written there anyway.
 * Returns the child's exit code: 0 sound, else damaged.
 */
/* The sanitizers' own hook, present only in a sanitizer build. */
void __sanitizer_set_report_path(const char *path) __attribute__((weak));

/*
 * In lm_verify()'s child a fault or an abort on a damaged file is the
 * expected verdict, not a bug: end quietly with a code of our own, and
 * keep a sanitizer build from filing a report of it.
 */
static void
lm_check_fault(int sig)
{
	_exit(20 + (sig & 0x3f));
}

static void
lm_check_quiet(void)
{
	struct sigaction sa;

	if (__sanitizer_set_report_path != NULL)
		__sanitizer_set_report_path("stderr");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = lm_check_fault;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGABRT, &sa, NULL);
}

static int
lm_check(const char *path, unsigned int flags, size_t map_size)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_cursor *c;
	MDB_val k, v;
	int ro = 0, rc;

	lm_check_quiet();
	for (;;) {
		if (mdb_env_create(&env) != 0 || mdb_env_set_mapsize(env,
		    map_size) != 0 || mdb_env_set_maxdbs(env, 4) != 0)
			return 12;
		/* Without the lock file: nobody else has it open yet. */
		rc = mdb_env_open(env, path, (flags & MDB_NOSUBDIR)
		    | MDB_NOLOCK | (ro ? MDB_RDONLY : 0), 0600);
		if (rc != EROFS || ro)
			break;
		mdb_env_close(env);
		ro = 1;
	}
	if (rc == 0)
		rc = mdb_txn_begin(env, NULL, ro ? MDB_RDONLY : 0, &txn);
	/* Creating the table (never committed) is a write too. */
	if (rc == 0)
		rc = mdb_dbi_open(txn, LM_DBNAME, ro ? 0 : MDB_CREATE, &dbi);
	if (ro && rc == MDB_NOTFOUND)
		return 0;
	if (rc == 0)
		rc = mdb_cursor_open(txn, dbi, &c);
	while (rc == 0)
		rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	if (rc != MDB_NOTFOUND)
		return 10;
	if (ro)
		return 0;
	/*
	 * The trial write: a damaged page that reads back may still fail
	 * LMDB's checks when a record is added (an assertion, which aborts).
	 */
	rc = 0;
	for (int i = 0; i < 5 && (rc == 0 || rc == MDB_KEYEXIST); i++) {
		char key[32];	/* spread over the key space */

		k.mv_size = (size_t)snprintf(key, sizeof(key),
		    "%c.verify.invalid", "0am.z"[i]);
		k.mv_data = key;
		v.mv_size = 1;
		v.mv_data = key;
		rc = mdb_put(txn, dbi, &k, &v, MDB_NOOVERWRITE);
	}
	mdb_txn_abort(txn);
	return rc == 0 || rc == MDB_KEYEXIST ? 0 : 11;
}

/*
 * Walk every record of an existing environment in a child process,
 * without the lock file, and try (without committing) to add a record:
 * LMDB trusts the page numbers and page headers it finds,
 * so a damaged file (bad disk, a foreign writer) makes a reader fault
 * (SIGBUS past the end of the file) or abort on an assertion.  The child
 * takes that; the caller learns 0 (sound, or nothing there yet) or -1
 * with the reason in why.  Only for a file lm_is_lmdb() recognises.
 */
static int
lm_verify(const char *path, unsigned int flags, size_t map_size, char *why,
    size_t whylen)
{
	pid_t pid;
	int status;

	if ((pid = fork()) < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		_exit(lm_check(path, flags, map_size));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(why, whylen, "waitpid: %s", strerror(errno));
			return -1;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		snprintf(why, whylen, "reading it ends in signal %d",
		    WTERMSIG(status));
	else if (WIFEXITED(status) && WEXITSTATUS(status) >= 20)
		snprintf(why, whylen, "reading it ends in signal %d",
		    WEXITSTATUS(status) - 20);
	else
		snprintf(why, whylen, "it does not read back (LMDB error)");
	return -1;
}

/*
 * Does the file start with an LMDB meta page (its magic after the page
 * header)?  Only such a file is walked and, when damaged, moved aside:
 * anything else may be another program's file named by mistake, and the
 * real open refuses it with its own message.
 */
static int
lm_is_lmdb(const char *path)
{
	unsigned char head[24];
	uint32_t magic;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = pread(fd, head, sizeof(head), 0);
	close(fd);
	if (n != (ssize_t)sizeof(head))
		return 0;
	memcpy(&magic, head + 16, sizeof(magic));
	return magic == 0xBEEFC0DEu;
}

/*
 * A damaged store is moved aside (PATH.damaged-TIME, for the admin to
 * look at), with its lock file removed, so that the daemon starts with an
 * empty one and fetches policies again instead of crashing at every
 * start.  Only for a data file (MDB_NOSUBDIR), as tlspolicyd uses.
 */
static int
lm_set_aside(const char *path, const char *why, char *err, size_t errlen)
{
	char aside[4096], lock[4096];

	snprintf(aside, sizeof(aside), "%s.damaged-%lld", path,
	    (long long)time(NULL));
	snprintf(lock, sizeof(lock), "%s-lock", path);
	if (rename(path, aside) < 0) {
		snprintf(err, errlen, "store lmdb:%s: damaged (%s), and moving "
		    "it aside failed: %s", path, why, strerror(errno));
		return -1;
	}
	(void)unlink(lock);
	log_err("store lmdb:%s: damaged (%s): moved to %s; starting with an "
	    "empty store, policies are fetched again", path, why, aside);
	return 0;
}

static void *
lm_open(const char *path, const struct store_options *opt, char *err,
    size_t errlen)
{
	struct lm *l;
	struct stat st;
	unsigned int flags = MDB_NOTLS;
	const char *what;
	char why[128];
	int rc, dead;

	if (*path == '\0') {
		snprintf(err, errlen, "store lmdb: needs a path");
		return NULL;
	}
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		flags |= MDB_NOSUBDIR;	/* PATH is the data file */
	if (opt->readonly)
		flags |= MDB_RDONLY;
	else if ((flags & MDB_NOSUBDIR) && S_ISREG(st.st_mode) && lm_is_lmdb(path)
	    && lm_verify(path, flags, opt->map_size ? opt->map_size
	    : STORE_MAP_SIZE_DEF, why, sizeof(why)) < 0
	    && lm_set_aside(path, why, err, errlen) < 0)
		return NULL;
	l = xcalloc(1, sizeof(*l));
	l->path = xstrdup(path);
	l->map_max = opt->map_max ? opt->map_max : STORE_MAP_MAX_DEF;
	what = "create environment";
	if ((rc = mdb_env_create(&l->env)) != 0)
		goto fail;
	what = "set map size";
	if ((rc = mdb_env_set_mapsize(l->env, opt->map_size ? opt->map_size
	    : STORE_MAP_SIZE_DEF)) != 0)
		goto fail;
	what = "set table count";
	if ((rc = mdb_env_set_maxdbs(l->env, 4)) != 0)
		goto fail;
	what = "open";
	rc = mdb_env_open(l->env, path, flags, 0600);
	if (rc == EROFS && !(flags & MDB_RDONLY)) {
		/*
		 * A read-only file system: read the policies it holds
		 * (without the lock file, which cannot be written; this
		 * process is the store's only writer), and log failed
		 * writes, once a minute, until a restart on a writable one.
		 */
		mdb_env_close(l->env);
		l->env = NULL;
		if ((rc = mdb_env_create(&l->env)) != 0
		    || (rc = mdb_env_set_mapsize(l->env, opt->map_size
		    ? opt->map_size : STORE_MAP_SIZE_DEF)) != 0
		    || (rc = mdb_env_set_maxdbs(l->env, 4)) != 0)
			goto fail;
		flags |= MDB_RDONLY | MDB_NOLOCK;
		rc = mdb_env_open(l->env, path, flags, 0600);
		l->readonly_fs = 1;
		if (rc == 0)
			log_err("store lmdb:%s: read-only file system: stored "
			    "policies are read, new ones are not written until "
			    "a restart on a writable one", path);
	}
	if (rc != 0)
		goto fail;
	what = "set close-on-exec";
	if ((rc = lm_cloexec(l->env)) != 0)
		goto fail;
	if (!(flags & MDB_RDONLY))
		(void)mdb_reader_check(l->env, &dead);
	what = "open table " LM_DBNAME;
	if ((rc = lm_open_dbi(l, (flags & MDB_RDONLY) != 0)) != 0)
		goto fail;
	return l;

fail:
	snprintf(err, errlen, "store lmdb:%s: %s: %s", path, what,
	    rc == MDB_NOTFOUND ? "no policy table (never written)"
	    : mdb_strerror(rc));
	lm_free(l);
	return NULL;
}

/* Adopt a map size that another process recorded in the environment. */
static int
lm_adopt_size(struct lm *l, int rc)
{
	if (rc != MDB_MAP_RESIZED)
		return rc;
	return mdb_env_set_mapsize(l->env, 0);
}

static int
lm_txn_read(struct lm *l, MDB_txn **txn)
{
	int rc = mdb_txn_begin(l->env, NULL, MDB_RDONLY, txn);

	if (rc == MDB_MAP_RESIZED && (rc = lm_adopt_size(l, rc)) == 0)
		rc = mdb_txn_begin(l->env, NULL, MDB_RDONLY, txn);
	if (rc != 0)
		*txn = NULL;
	return rc;
}

static int
lm_read_begin(struct lm *l)
{
	int rc;

	if (l->rtxn != NULL) {
		if (mdb_txn_renew(l->rtxn) == 0)
			return 0;
		mdb_txn_abort(l->rtxn);	/* e.g. resized: start afresh */
		l->rtxn = NULL;
	}
	if ((rc = lm_txn_read(l, &l->rtxn)) == 0)
		return 0;
	log_err("store lmdb:%s: begin read: %s", l->path, mdb_strerror(rc));
	return -1;
}

static int
lm_get(void *be, const char *key, store_val_fn fn, void *arg)
{
	struct lm *l = be;
	MDB_val k = { strlen(key), (void *)key }, v;
	int rc;

	if (lm_read_begin(l) < 0)
		return -1;
	rc = mdb_get(l->rtxn, l->dbi, &k, &v);
	if (rc == 0)
		fn(key, v.mv_data, v.mv_size, arg);
	mdb_txn_reset(l->rtxn);
	if (rc == 0 || rc == MDB_NOTFOUND)
		return rc == 0;
	log_err("store lmdb:%s: read %s: %s", l->path, key, mdb_strerror(rc));
	return -1;
}

/* Doubles the map after MDB_MAP_FULL; -1 at the configured limit. */
static int
lm_grow(struct lm *l)
{
	MDB_envinfo info;
	uint64_t cur, next;
	int rc;

	if (mdb_env_info(l->env, &info) != 0)
		return -1;
	cur = info.me_mapsize;
	if (cur >= l->map_max) {
		log_err("store lmdb:%s: database full at map size %" PRIu64
		    " bytes (limit %" PRIu64 ")", l->path, cur, l->map_max);
		return -1;
	}
	next = cur > l->map_max / 2 ? l->map_max : cur * 2;
	if ((rc = mdb_env_set_mapsize(l->env, next)) != 0) {
		log_err("store lmdb:%s: grow map to %" PRIu64 " bytes: %s",
		    l->path, next, mdb_strerror(rc));
		return -1;
	}
	log_notice("store lmdb:%s: map size grown to %" PRIu64 " bytes",
	    l->path, next);
	return 0;
}

/*
 * Runs op in a write transaction and commits it (synced).  A full map
 * is grown and the whole transaction run again, so op must not have
 * effects outside the transaction other than resetting its own result.
 */
static int
lm_write(struct lm *l, const char *what, const char *key,
    int (*op)(struct lm *, MDB_txn *, void *), void *arg)
{
	MDB_txn *txn;
	unsigned long held;
	int rc = 0;

	for (int tries = 0; tries < LM_TRIES; tries++) {
		rc = mdb_txn_begin(l->env, NULL, 0, &txn);
		if (rc != 0) {
			if ((rc = lm_adopt_size(l, rc)) == 0)
				continue;
			break;
		}
		if ((rc = op(l, txn, arg)) == 0)
			rc = mdb_txn_commit(txn);
		else
			mdb_txn_abort(txn);
		if (rc != MDB_MAP_FULL || lm_grow(l) < 0)
			break;
	}
	if (rc == 0)
		return 0;
	if (log_limit_ok(&l->write_log, LM_WRITE_LOG_MS, &held))
		log_err("store lmdb:%s: %s%s%s: %s (%lu failed writes not "
		    "logged before this one)", l->path, what, key ? " " : "",
		    key ? key : "", l->readonly_fs ? "read-only file system"
		    : mdb_strerror(rc), held);
	return -1;
}

struct putv_arg {
	const struct store_kv *kv;
	size_t n;
};

static int
putv_op(struct lm *l, MDB_txn *txn, void *arg)
{
	struct putv_arg *p = arg;
	int rc = 0;

	for (size_t i = 0; i < p->n && rc == 0; i++) {
		MDB_val k = { strlen(p->kv[i].key), (void *)p->kv[i].key };
		MDB_val v = { p->kv[i].len, (void *)p->kv[i].val };

		rc = mdb_put(txn, l->dbi, &k, &v, 0);
	}
	return rc;
}

/* Several records, one transaction: one sync for all of them. */
static int
lm_putv(void *be, const struct store_kv *kv, size_t n)
{
	struct putv_arg p = { kv, n };

	return lm_write(be, "write", n == 1 ? kv[0].key : NULL, putv_op, &p);
}

struct del_arg {
	const char *key;
	int found;
};

static int
del_op(struct lm *l, MDB_txn *txn, void *arg)
{
	struct del_arg *d = arg;
	MDB_val k = { strlen(d->key), (void *)d->key };
	int rc = mdb_del(txn, l->dbi, &k, NULL);

	d->found = rc == 0;
	return rc == MDB_NOTFOUND ? 0 : rc;	/* empty commit: no sync */
}

static int
lm_del(void *be, const char *key)
{
	struct del_arg d = { key, 0 };

	if (lm_write(be, "delete", key, del_op, &d) < 0)
		return -1;
	return d.found;
}

/* Calls fn with a NUL-terminated copy of the key. */
static int
call_with_key(store_val_fn fn, const MDB_val *k, const MDB_val *v,
    void *arg)
{
	char key[LM_KEYMAX + 1];
	size_t n = k->mv_size > LM_KEYMAX ? LM_KEYMAX : k->mv_size;

	memcpy(key, k->mv_data, n);
	key[n] = '\0';
	return fn(key, v->mv_data, v->mv_size, arg);
}

static int
lm_iter(void *be, store_val_fn fn, void *arg)
{
	struct lm *l = be;
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc, stopped = 0;

	if ((rc = lm_txn_read(l, &txn)) != 0
	    || (rc = mdb_cursor_open(txn, l->dbi, &cur)) != 0)
		goto fail;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (call_with_key(fn, &k, &v, arg) != 0) {
			stopped = 1;
			break;
		}
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		goto fail;
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return stopped;

fail:
	log_err("store lmdb:%s: walk: %s", l->path, mdb_strerror(rc));
	if (cur)
		mdb_cursor_close(cur);
	if (txn)
		mdb_txn_abort(txn);
	return -1;
}

struct purge_arg {
	store_val_fn drop;
	void *arg;
	long dropped;
};

static int
purge_op(struct lm *l, MDB_txn *txn, void *arg)
{
	struct purge_arg *p = arg;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	p->dropped = 0;			/* this may be a retry */
	if ((rc = mdb_cursor_open(txn, l->dbi, &cur)) != 0)
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (call_with_key(p->drop, &k, &v, p->arg) != 1)
			continue;
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
		p->dropped++;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static long
lm_purge(void *be, store_val_fn drop, void *arg)
{
	struct purge_arg p = { drop, arg, 0 };

	if (lm_write(be, "purge", NULL, purge_op, &p) < 0)
		return -1;
	return p.dropped;
}

static int
lm_count(void *be, size_t *n)
{
	struct lm *l = be;
	MDB_stat st;
	int rc;

	if (lm_read_begin(l) < 0)
		return -1;
	rc = mdb_stat(l->rtxn, l->dbi, &st);
	mdb_txn_reset(l->rtxn);
	if (rc != 0) {
		log_err("store lmdb:%s: stat: %s", l->path, mdb_strerror(rc));
		return -1;
	}
	*n = st.ms_entries;
	return 0;
}

static void
lm_close(void *be)
{
	lm_free(be);
}

const struct store_ops store_lmdb_ops = {
	.name = "lmdb",
	.open = lm_open,
	.get = lm_get,
	.putv = lm_putv,
	.del = lm_del,
	.iter = lm_iter,
	.purge = lm_purge,
	.count = lm_count,
	.close = lm_close,
};
