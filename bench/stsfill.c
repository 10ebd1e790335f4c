/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	stsfill - fill an MTA-STS policy store for the memory benchmark
 *
 * SYNOPSIS
 *	stsfill PATH COUNT PREFIX SUFFIX
 *
 * DESCRIPTION
 *	Writes COUNT valid MTA-STS policies into the LMDB store at PATH
 *	(the file tlspolicyd opens as STATE/sts.lmdb), for the domains
 *	PREFIX0000000.SUFFIX .. PREFIX(COUNT-1).SUFFIX (seven digits),
 *	and prints one domain a line on standard output (the key file).
 *
 *	Each record is what tlspolicyd itself stores after a fetch: the
 *	policy body is parsed by sts_policy_parse(), turned into JSON by
 *	sts_policy_to_json_text() and encoded by store_entry_encode(); it
 *	was fetched now and expires in a year.  Records go in with LMDB
 *	directly, 50,000 to a transaction (store_put() syncs every put,
 *	which would take long for 10^6), into the database the store
 *	uses ("sts-policy"); the store reads them like its own.
 *
 * DIAGNOSTICS
 *	Exit 0 on success, 1 on failure (with a message), 2 on bad usage.
 */
#include "config.h"

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store.h"
#include "sts_policy.h"

#define BATCH	50000
#define DBNAME	"sts-policy"

int
main(int argc, char **argv)
{
	static const char body[] = "version: STSv1\nmode: enforce\n"
	    "mx: mx.mem.test\nmx: *.mx.mem.test\nmax_age: 31557600\n";
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_dbi dbi;
	struct sts_policy p;
	struct store_entry e;
	char err[256], *json;
	unsigned char *rec;
	long count, i;
	size_t len;
	int rc = 0;

	if (argc != 5 || (count = atol(argv[2])) < 0) {
		fprintf(stderr, "usage: stsfill PATH COUNT PREFIX SUFFIX\n");
		return 2;
	}
	if (sts_policy_parse(body, sizeof(body) - 1, &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "stsfill: policy: %s\n", err);
		return 1;
	}
	json = sts_policy_to_json_text(&p);
	sts_policy_free(&p);
	if (json == NULL) {
		fprintf(stderr, "stsfill: policy to JSON failed\n");
		return 1;
	}
	memset(&e, 0, sizeof(e));
	e.policy = json;
	e.fetched_at = (int64_t)time(NULL);
	e.expires_at = e.fetched_at + 31557600;
	if ((rc = mdb_env_create(&env)) != 0
	    || (rc = mdb_env_set_mapsize(env, (size_t)4 << 30)) != 0
	    || (rc = mdb_env_set_maxdbs(env, 4)) != 0
	    || (rc = mdb_env_open(env, argv[1], MDB_NOSUBDIR, 0600)) != 0)
		goto fail;
	for (i = 0; i < count; i++) {
		if (i % BATCH == 0) {
			if ((txn && (rc = mdb_txn_commit(txn)) != 0)
			    || (rc = mdb_txn_begin(env, NULL, 0, &txn)) != 0
			    || (rc = mdb_dbi_open(txn, DBNAME, MDB_CREATE,
			    &dbi)) != 0) {
				txn = NULL;
				goto fail;
			}
		}
		snprintf(e.domain, sizeof(e.domain), "%s%07ld.%s", argv[3], i,
		    argv[4]);
		snprintf(e.id, sizeof(e.id), "bench%ld", i);
		if ((rec = store_entry_encode(&e, &len, err, sizeof(err))) == NULL) {
			fprintf(stderr, "stsfill: encode %s: %s\n", e.domain, err);
			goto fail_quiet;
		}
		MDB_val k = { strlen(e.domain), e.domain };
		MDB_val v = { len, rec };
		rc = mdb_put(txn, dbi, &k, &v, 0);
		free(rec);
		if (rc != 0)
			goto fail;
		printf("%s\n", e.domain);
	}
	if (txn && (rc = mdb_txn_commit(txn)) != 0) {
		txn = NULL;
		goto fail;
	}
	mdb_env_close(env);
	free(json);
	return fflush(stdout) == 0 ? 0 : 1;
fail:
	fprintf(stderr, "stsfill: lmdb %s: %s\n", argv[1], mdb_strerror(rc));
fail_quiet:
	if (txn)
		mdb_txn_abort(txn);
	if (env)
		mdb_env_close(env);
	free(json);
	return 1;
}
