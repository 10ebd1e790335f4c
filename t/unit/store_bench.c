/* SPDX-License-Identifier: MIT */
/*
 * store_bench - start-up and lookup time of the LMDB store with many
 * entries (run by hand, not part of make check).
 *
 *	make -C t unit/store_bench
 *	t/unit/store_bench DIR [COUNT]
 *
 * Fills DIR/bench.lmdb with COUNT entries (default 1000000) unless it
 * already holds them, writing records from store_entry_encode() with
 * LMDB directly in large transactions (one synced commit per put would
 * take long), then times store_open(), 1000 random store_get() calls,
 * store_count() and store_close().  Remove DIR afterwards.
 */
#include "config.h"

#include <inttypes.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"

#define BATCH	50000

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void
make_entry(struct store_entry *e, long n)
{
	char pol[512];

	memset(e, 0, sizeof(*e));
	snprintf(e->domain, sizeof(e->domain), "mail%ld.example%ld.com", n,
	    n % 977);
	snprintf(e->id, sizeof(e->id), "20240101T%06ld", n % 1000000);
	snprintf(pol, sizeof(pol), "{\"version\":\"STSv1\",\"mode\":\"enforce"
	    "\",\"mx\":[\"mx1.example%ld.com\",\"*.mx.example%ld.com\"],"
	    "\"max_age\":604800,\"raw\":\"version: STSv1\\r\\nmode: enforce"
	    "\\r\\nmx: mx1.example%ld.com\\r\\nmax_age: 604800\\r\\n\"}", n,
	    n, n);
	e->policy = strdup(pol);
	e->fetched_at = 1700000000 + n;
	e->expires_at = e->fetched_at + 604800;
	e->last_used = e->fetched_at;
}

static int
fill(const char *path, long count)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	struct store_entry e;
	char err[128];
	size_t len;
	unsigned char *rec;
	int rc;

	if ((rc = mdb_env_create(&env)) || (rc = mdb_env_set_mapsize(env,
	    (size_t)4 << 30)) || (rc = mdb_env_set_maxdbs(env, 4))
	    || (rc = mdb_env_open(env, path, MDB_NOSUBDIR, 0600)))
		goto fail;
	for (long n = 0; n < count; n += BATCH) {
		if ((rc = mdb_txn_begin(env, NULL, 0, &txn))
		    || (rc = mdb_dbi_open(txn, "sts-policy", MDB_CREATE, &dbi)))
			goto fail;
		for (long i = n; i < n + BATCH && i < count; i++) {
			make_entry(&e, i);
			if ((rec = store_entry_encode(&e, &len, err,
			    sizeof(err))) == NULL) {
				fprintf(stderr, "encode: %s\n", err);
				return -1;
			}
			MDB_val k = { strlen(e.domain), e.domain };
			MDB_val v = { len, rec };
			rc = mdb_put(txn, dbi, &k, &v, 0);
			free(rec);
			store_entry_clear(&e);
			if (rc)
				goto fail;
		}
		if ((rc = mdb_txn_commit(txn)))
			goto fail;
	}
	mdb_env_close(env);
	return 0;
fail:
	fprintf(stderr, "lmdb: %s\n", mdb_strerror(rc));
	return -1;
}

int
main(int argc, char **argv)
{
	long count = argc > 2 ? atol(argv[2]) : 1000000;
	char path[1024], spec[1100], err[256];
	struct store *s;
	struct store_entry e;
	double t0, t_open, t_get, t_count, t_close;
	size_t n;
	int found = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: store_bench DIR [COUNT]\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/bench.lmdb", argv[1]);
	snprintf(spec, sizeof(spec), "lmdb:%s", path);
	if ((s = store_open(spec, NULL, err, sizeof(err))) != NULL) {
		n = store_count(s);
		store_close(s);
	} else {
		n = 0;
	}
	if (n < (size_t)count) {
		t0 = now_ms();
		if (fill(path, count) < 0)
			return 1;
		printf("fill %ld entries: %.0f ms\n", count, now_ms() - t0);
	}

	t0 = now_ms();
	if ((s = store_open(spec, NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	t_open = now_ms() - t0;
	srand(42);
	t0 = now_ms();
	for (int i = 0; i < 1000; i++) {
		char d[STORE_DOMAIN_MAX + 1];
		long k = (long)(((unsigned long)rand() << 16 ^ (unsigned long)rand())
		    % (unsigned long)count);
		snprintf(d, sizeof(d), "mail%ld.example%ld.com", k, k % 977);
		if (store_get(s, d, &e) == 1)
			found++;
		store_entry_clear(&e);
	}
	t_get = now_ms() - t0;
	t0 = now_ms();
	n = store_count(s);
	t_count = now_ms() - t0;
	t0 = now_ms();
	store_close(s);
	t_close = now_ms() - t0;
	printf("entries %zu\nstore_open %.3f ms\n1000 gets %.3f ms (%.1f us "
	    "each), found %d\nstore_count %.3f ms\nstore_close %.3f ms\n", n,
	    t_open, t_get, t_get, found, t_count, t_close);
	return found == 1000 ? 0 : 1;
}
