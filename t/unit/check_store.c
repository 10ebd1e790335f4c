/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for lib/store*.c: the record codec, the store semantics on
 * both backends, LMDB persistence, corruption, map growth, and crash
 * safety under SIGKILL.
 */
#include "config.h"

#include <sys/stat.h>
#include <dirent.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <lmdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

static char basedir[64];	/* per run, made and removed by main() */
static char tmpdir[96];		/* per test, inside basedir */
static char spec[160];		/* lmdb:TMPDIR/sts.lmdb */
static char dbfile[128];

/* Fixtures and helpers */

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
rm_tree(const char *dir)
{
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/*
 * A failed assertion ends a forked test at once, without teardown, so
 * each test works in its own directory under basedir and main()
 * removes basedir whatever happened.
 */
static void
tmp_setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "%s/t.XXXXXX", basedir);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(dbfile, sizeof(dbfile), "%s/sts.lmdb", tmpdir);
	snprintf(spec, sizeof(spec), "lmdb:%s", dbfile);
}

static void
tmp_teardown(void)
{
	rm_tree(tmpdir);
}

/* Backend under test for loop tests: _i 0 memory, 1 lmdb. */
static const char *
spec_for(int i)
{
	return i == 0 ? "memory:" : spec;
}

static struct store *
open_ok(const char *sp, const struct store_options *opt)
{
	char err[256] = "";
	struct store *s = store_open(sp, opt, err, sizeof(err));

	ck_assert_msg(s != NULL, "open %s: %s", sp, err);
	return s;
}

/* Every field derived from n, so a reader can tell what it should see. */
static void
make_entry(struct store_entry *e, const char *domain, int64_t n)
{
	char pol[256];

	memset(e, 0, sizeof(*e));
	snprintf(e->domain, sizeof(e->domain), "%s", domain);
	snprintf(e->id, sizeof(e->id), "id%" PRId64, n);
	snprintf(pol, sizeof(pol), "{\"mode\":\"enforce\",\n\t\"mx\":"
	    "[\"mx%" PRId64 ".example.net\"],\"max_age\":%" PRId64 "}",
	    n, n + 86400);
	e->policy = strdup(pol);
	e->fetched_at = n;
	e->expires_at = n + 86400;
	if (n % 2) {
		snprintf(e->last_error, sizeof(e->last_error), "fetch %"
		    PRId64 ": TLS handshake failed", n);
		e->last_error_at = n + 1;
	}
	e->last_used = n + 7;
}

static void
assert_entry_eq(const struct store_entry *a, const struct store_entry *b)
{
	ck_assert_str_eq(a->domain, b->domain);
	ck_assert_str_eq(a->id, b->id);
	ck_assert_ptr_nonnull(a->policy);
	ck_assert_ptr_nonnull(b->policy);
	ck_assert_str_eq(a->policy, b->policy);
	ck_assert(a->fetched_at == b->fetched_at);
	ck_assert(a->expires_at == b->expires_at);
	ck_assert_str_eq(a->last_error, b->last_error);
	ck_assert(a->last_error_at == b->last_error_at);
	ck_assert(a->last_used == b->last_used);
}

/* Checks that domain holds exactly make_entry(domain, n). */
static void
assert_stored(struct store *s, const char *domain, int64_t n)
{
	struct store_entry want, got;

	make_entry(&want, domain, n);
	ck_assert_msg(store_get(s, domain, &got) == 1, "%s missing", domain);
	assert_entry_eq(&got, &want);
	store_entry_clear(&got);
	store_entry_clear(&want);
}

static void
put_n(struct store *s, const char *domain, int64_t n)
{
	struct store_entry e;

	make_entry(&e, domain, n);
	ck_assert_int_eq(store_put(s, &e), 0);
	store_entry_clear(&e);
}

static unsigned char *
encode_n(const char *domain, int64_t n, size_t *len)
{
	struct store_entry e;
	char err[128];
	unsigned char *rec;

	make_entry(&e, domain, n);
	rec = store_entry_encode(&e, len, err, sizeof(err));
	ck_assert_msg(rec != NULL, "encode: %s", err);
	store_entry_clear(&e);
	return rec;
}

/* Independent CRC-32 for hand-built records (checked against the
 * standard check value below). */
static uint32_t
crc32_ref(uint32_t crc, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	crc = ~crc;
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0xEDB88320U : crc >> 1;
	}
	return ~crc;
}

/* Recomputes the trailing CRC of rec for domain after a deliberate edit. */
static void
reseal(const char *domain, unsigned char *rec, size_t len)
{
	uint32_t c = crc32_ref(0, domain, strlen(domain) + 1);

	c = crc32_ref(c, rec, len - 4);
	rec[len - 4] = c >> 24;
	rec[len - 3] = c >> 16;
	rec[len - 2] = c >> 8;
	rec[len - 1] = c;
}

/* Codec */

/* Record offsets: 0 magic, 2 version, 3 flags, 4 fetched, 12 expires,
 * 20 err_at, 28 used, 36 idlen, 37 id. */
enum { OFF_VERSION = 2, OFF_FLAGS = 3, OFF_FETCHED = 4, OFF_EXPIRES = 12,
	OFF_IDLEN = 36, OFF_ID = 37 };


START_TEST(test_codec_roundtrip)
{
	static const char *domains[] = {
		"example.com", "a.b", "xn--bcher-kva.example",
		/* 253 bytes: 3 x 63 + 62 + dots */
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
		"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb."
		"ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc."
		"ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
	};
	struct store_entry e, d;
	char err[128];
	size_t len;
	unsigned char *rec;

	ck_assert_uint_eq(strlen(domains[3]), 253);
	for (size_t i = 0; i < sizeof(domains) / sizeof(domains[0]); i++) {
		for (int64_t n = 0; n < 4; n++) {
			make_entry(&e, domains[i], n);
			if (n == 3)	/* longest id */
				memset(e.id, 'Z', STORE_ID_MAX);
			rec = store_entry_encode(&e, &len, err, sizeof(err));
			ck_assert_msg(rec != NULL, "%s: %s", domains[i], err);
			ck_assert_int_eq(store_entry_decode(domains[i], rec, len,
			    &d, err, sizeof(err)), STORE_DEC_OK);
			assert_entry_eq(&d, &e);
			store_entry_clear(&d);
			store_entry_clear(&e);
			free(rec);
		}
	}
}
END_TEST

START_TEST(test_codec_crc_reference)
{
	ck_assert_uint_eq(crc32_ref(0, "123456789", 9), 0xCBF43926U);
}
END_TEST

/* Every strict prefix, and an extension, is refused; out stays clear. */
START_TEST(test_codec_truncated)
{
	struct store_entry d;
	char err[128];
	size_t len;
	unsigned char *rec = encode_n("example.com", 5, &len);
	unsigned char *big = malloc(len + 1);

	for (size_t n = 0; n < len; n++) {
		err[0] = '\0';
		ck_assert_int_eq(store_entry_decode("example.com", rec, n, &d,
		    err, sizeof(err)), STORE_DEC_CORRUPT);
		ck_assert_ptr_null(d.policy);
		ck_assert(err[0] != '\0');
	}
	memcpy(big, rec, len);
	big[len] = 0;
	ck_assert_int_ne(store_entry_decode("example.com", big, len + 1, &d,
	    err, sizeof(err)), STORE_DEC_OK);
	free(big);
	free(rec);
}
END_TEST

/* Every single-bit error anywhere in the record is detected. */
START_TEST(test_codec_bitflip)
{
	struct store_entry d;
	char err[128];
	size_t len;
	unsigned char *rec = encode_n("example.com", 7, &len);

	for (size_t i = 0; i < len; i++) {
		for (int b = 0; b < 8; b++) {
			rec[i] ^= 1 << b;
			ck_assert_msg(store_entry_decode("example.com", rec, len,
			    &d, err, sizeof(err)) != STORE_DEC_OK,
			    "flip byte %zu bit %d accepted", i, b);
			ck_assert_ptr_null(d.policy);
			rec[i] ^= 1 << b;
		}
	}
	ck_assert_int_eq(store_entry_decode("example.com", rec, len, &d, err,
	    sizeof(err)), STORE_DEC_OK);
	store_entry_clear(&d);
	free(rec);
}
END_TEST

START_TEST(test_codec_wrong_key)
{
	struct store_entry d;
	char err[128];
	size_t len;
	unsigned char *rec = encode_n("example.com", 1, &len);

	ck_assert_int_eq(store_entry_decode("example.org", rec, len, &d, err,
	    sizeof(err)), STORE_DEC_CORRUPT);
	ck_assert_int_eq(store_entry_decode("Example.com", rec, len, &d, err,
	    sizeof(err)), STORE_DEC_CORRUPT);
	free(rec);
}
END_TEST

START_TEST(test_codec_version)
{
	struct store_entry d;
	char err[128];
	size_t len;
	unsigned char *rec = encode_n("example.com", 1, &len);

	rec[OFF_VERSION] = 2;
	reseal("example.com", rec, len);
	ck_assert_int_eq(store_entry_decode("example.com", rec, len, &d, err,
	    sizeof(err)), STORE_DEC_VERSION);
	ck_assert_ptr_null(d.policy);
	free(rec);
}
END_TEST

/*
 * Records with a valid CRC whose contents break the rules: a writer
 * bug or a hand-made record must not pass as a policy either.
 */
static void
set_be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

START_TEST(test_codec_sealed_but_invalid)
{
	struct store_entry d;
	char err[128];
	size_t len;
	unsigned char *rec;

	for (int k = 0; k < 7; k++) {
		rec = encode_n("example.com", 1, &len);	/* id "id1" */
		switch (k) {
		case 0: rec[OFF_FLAGS] = 1; break;
		case 1: set_be64(rec + OFF_EXPIRES, 0); break;	/* < fetched */
		case 2: set_be64(rec + OFF_FETCHED, UINT64_C(1) << 63); break;
		case 3: rec[OFF_ID + 1] = '-'; break;
		case 4: rec[OFF_ID + 1] = '\0'; break;
		case 5: rec[OFF_IDLEN] = 2; break;	/* shifts all fields */
		case 6: rec[OFF_ID + 3 + 2 + 3] = '\n'; break;	/* in last_error */
		}
		reseal("example.com", rec, len);
		ck_assert_msg(store_entry_decode("example.com", rec, len, &d,
		    err, sizeof(err)) == STORE_DEC_CORRUPT, "case %d", k);
		ck_assert_ptr_null(d.policy);
		free(rec);
	}
}
END_TEST

/* Entries the store must refuse; each case changes one field. */
static const struct {
	const char *domain;
	const char *id;
	const char *policy;
	int64_t fetched, expires, used;
	int long_policy;
} bad_entries[] = {
	{ "", "abc", "{}", 1, 2, 0, 0 },
	{ "Example.com", "abc", "{}", 1, 2, 0, 0 },
	{ "example.com.", "abc", "{}", 1, 2, 0, 0 },
	{ "exa_mple.com", "abc", "{}", 1, 2, 0, 0 },
	{ "-a.example", "abc", "{}", 1, 2, 0, 0 },
	{ "a..example", "abc", "{}", 1, 2, 0, 0 },
	{ "a b.example", "abc", "{}", 1, 2, 0, 0 },
	{ "[192.0.2.1]", "abc", "{}", 1, 2, 0, 0 },
	{ "example.com", "", "{}", 1, 2, 0, 0 },
	{ "example.com", "abc-1", "{}", 1, 2, 0, 0 },
	{ "example.com", "abc 1", "{}", 1, 2, 0, 0 },
	{ "example.com", "abc", NULL, 1, 2, 0, 0 },
	{ "example.com", "abc", "", 1, 2, 0, 0 },
	{ "example.com", "abc", "{}", 3, 2, 0, 0 },
	{ "example.com", "abc", "{}", -1, 2, 0, 0 },
	{ "example.com", "abc", "{}", 1, STORE_TIME_MAX + 1, 0, 0 },
	{ "example.com", "abc", "{}", 1, 2, -5, 0 },
	{ "example.com", "abc", "{}", 1, 2, 0, 1 },
};

static void
make_bad(struct store_entry *e, int i)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->domain, sizeof(e->domain), "%s", bad_entries[i].domain);
	snprintf(e->id, sizeof(e->id), "%s", bad_entries[i].id);
	if (bad_entries[i].long_policy) {
		e->policy = malloc(STORE_POLICY_MAX + 2);
		memset(e->policy, ' ', STORE_POLICY_MAX + 1);
		e->policy[STORE_POLICY_MAX + 1] = '\0';
	} else if (bad_entries[i].policy) {
		e->policy = strdup(bad_entries[i].policy);
	}
	e->fetched_at = bad_entries[i].fetched;
	e->expires_at = bad_entries[i].expires;
	e->last_used = bad_entries[i].used;
}

START_TEST(test_entry_refused)
{
	struct store_entry e;
	struct store *s = open_ok("memory:", NULL);
	char err[128] = "";
	size_t len;

	make_bad(&e, _i);
	ck_assert_ptr_null(store_entry_encode(&e, &len, err, sizeof(err)));
	ck_assert(err[0] != '\0');
	ck_assert_int_eq(store_put(s, &e), -1);
	ck_assert_uint_eq(store_count(s), 0);
	store_entry_clear(&e);
	store_close(s);
}
END_TEST

/* The longest legal domain works and one more byte is refused. */
START_TEST(test_domain_length)
{
	char d[300];

	/* 4 labels of 63 = 255 > 253; trim the last label */
	memset(d, 'a', sizeof(d));
	for (int i = 63; i < 253; i += 64)
		d[i] = '.';
	d[253] = '\0';
	ck_assert_int_eq(store_domain_check(d), 0);
	d[253] = 'a';
	d[254] = '\0';
	ck_assert_int_eq(store_domain_check(d), -1);
	ck_assert_int_eq(store_domain_check(NULL), -1);
}
END_TEST

START_TEST(test_last_error_sanitised)
{
	struct store *s = open_ok("memory:", NULL);
	struct store_entry e, got;

	make_entry(&e, "example.com", 1);
	snprintf(e.last_error, sizeof(e.last_error), "bad\r\nline\x7f");
	ck_assert_int_eq(store_put(s, &e), 0);
	ck_assert_int_eq(store_get(s, "example.com", &got), 1);
	ck_assert_str_eq(got.last_error, "bad??line?");
	store_entry_clear(&got);
	store_entry_clear(&e);
	store_close(s);
}
END_TEST

/* Semantics on both backends (_i: 0 memory, 1 lmdb) */

START_TEST(test_put_get)
{
	struct store *s = open_ok(spec_for(_i), NULL);
	struct store_entry got;

	ck_assert_int_eq(store_get(s, "example.com", &got), 0);
	ck_assert_ptr_null(got.policy);
	put_n(s, "example.com", 10);
	put_n(s, "example.org", 20);
	assert_stored(s, "example.com", 10);
	assert_stored(s, "example.org", 20);
	ck_assert_int_eq(store_get(s, "example.net", &got), 0);
	ck_assert_int_eq(store_get(s, "sub.example.com", &got), 0);
	ck_assert_uint_eq(store_count(s), 2);
	store_close(s);
}
END_TEST

START_TEST(test_overwrite)
{
	struct store *s = open_ok(spec_for(_i), NULL);

	put_n(s, "example.com", 10);
	put_n(s, "example.com", 11);
	assert_stored(s, "example.com", 11);
	ck_assert_uint_eq(store_count(s), 1);
	store_close(s);
}
END_TEST

/*
 * Several entries in one write: in order (the later entry for a domain
 * wins), a refused entry left out and the others written.
 */
START_TEST(test_put_many)
{
	struct store *s = open_ok(spec_for(_i), NULL);
	struct store_entry e[4];

	ck_assert_int_eq(store_put_many(s, e, 0), 0);
	make_entry(&e[0], "example.com", 10);
	make_entry(&e[1], "example.org", 20);
	make_entry(&e[2], "example.com", 11);
	make_entry(&e[3], "example.net", 30);
	snprintf(e[3].id, sizeof(e[3].id), "bad id!");	/* refused */
	ck_assert_int_eq(store_put_many(s, e, 4), 3);
	assert_stored(s, "example.com", 11);
	assert_stored(s, "example.org", 20);
	ck_assert_uint_eq(store_count(s), 2);
	/* Only refused entries: nothing written, nothing failed. */
	ck_assert_int_eq(store_put_many(s, &e[3], 1), 0);
	ck_assert_uint_eq(store_count(s), 2);
	for (int i = 0; i < 4; i++)
		store_entry_clear(&e[i]);
	store_close(s);
}
END_TEST

START_TEST(test_delete)
{
	struct store *s = open_ok(spec_for(_i), NULL);
	struct store_entry got;

	put_n(s, "example.com", 10);
	put_n(s, "example.org", 20);
	ck_assert_int_eq(store_del(s, "example.com"), 1);
	ck_assert_int_eq(store_get(s, "example.com", &got), 0);
	ck_assert_int_eq(store_del(s, "example.com"), 0);
	assert_stored(s, "example.org", 20);
	ck_assert_uint_eq(store_count(s), 1);
	store_close(s);
}
END_TEST

struct seen {
	int calls;
	int stop_after;
	unsigned char hit[64];
	int bad;
};

static int
collect(const struct store_entry *e, void *arg)
{
	struct seen *sn = arg;
	struct store_entry want;
	int n;

	sn->calls++;
	if (sscanf(e->domain, "d%d.example", &n) != 1 || n < 0 || n >= 64) {
		sn->bad++;
		return 0;
	}
	make_entry(&want, e->domain, n);
	if (strcmp(want.policy, e->policy) != 0 || strcmp(want.id, e->id)
	    || want.fetched_at != e->fetched_at || sn->hit[n])
		sn->bad++;
	sn->hit[n] = 1;
	store_entry_clear(&want);
	return sn->stop_after && sn->calls >= sn->stop_after;
}

START_TEST(test_iterate)
{
	struct store *s = open_ok(spec_for(_i), NULL);
	struct seen sn = { 0 };
	char d[32];

	ck_assert_int_eq(store_iter(s, collect, &sn), 0);
	ck_assert_int_eq(sn.calls, 0);
	for (int n = 0; n < 50; n++) {
		snprintf(d, sizeof(d), "d%d.example", n);
		put_n(s, d, n);
	}
	ck_assert_int_eq(store_iter(s, collect, &sn), 0);
	ck_assert_int_eq(sn.calls, 50);
	ck_assert_int_eq(sn.bad, 0);
	for (int n = 0; n < 50; n++)
		ck_assert(sn.hit[n]);

	memset(&sn, 0, sizeof(sn));
	sn.stop_after = 5;
	ck_assert_int_eq(store_iter(s, collect, &sn), 1);
	ck_assert_int_eq(sn.calls, 5);
	store_close(s);
}
END_TEST

/* Lookups from inside a walk are allowed (LMDB: nested read txns). */
static int
lookup_inside(const struct store_entry *e, void *arg)
{
	struct store *s = arg;
	struct store_entry got;
	int rc = store_get(s, e->domain, &got);

	store_entry_clear(&got);
	return rc == 1 ? 0 : 1;
}

START_TEST(test_iterate_nested_get)
{
	struct store *s = open_ok(spec_for(_i), NULL);

	put_n(s, "a.example", 1);
	put_n(s, "b.example", 2);
	ck_assert_int_eq(store_iter(s, lookup_inside, s), 0);
	store_close(s);
}
END_TEST

START_TEST(test_purge)
{
	struct store *s = open_ok(spec_for(_i), NULL);
	struct store_entry got;
	char d[32];

	/* expires_at = n + 86400 */
	for (int n = 0; n < 20; n++) {
		snprintf(d, sizeof(d), "d%d.example", n);
		put_n(s, d, 1000 + n);
	}
	ck_assert_int_eq(store_purge_expired(s, 0), 0);
	ck_assert_uint_eq(store_count(s), 20);
	/* now == expires_at of d9: d0..d9 go, d10.. stay */
	ck_assert_int_eq(store_purge_expired(s, 1000 + 9 + 86400), 10);
	ck_assert_uint_eq(store_count(s), 10);
	ck_assert_int_eq(store_get(s, "d9.example", &got), 0);
	assert_stored(s, "d10.example", 1010);
	assert_stored(s, "d19.example", 1019);
	ck_assert_int_eq(store_purge_expired(s, 1000 + 9 + 86400), 0);
	ck_assert_int_eq(store_purge_expired(s, STORE_TIME_MAX), 10);
	ck_assert_uint_eq(store_count(s), 0);
	store_close(s);
}
END_TEST

static const char *const odd_domains[] = {
	"", "EXAMPLE.COM", "example.com.", ".example.com", "ex ample.com",
	"example.com\n", "[mail.example.com]", "example.com:25", "_mta-sts.x",
	"xn--\xc3\xa9.example", "\xc3\xa9t\xc3\xa9.example",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com",
};

START_TEST(test_odd_domains)
{
	struct store *s = open_ok(spec_for(_i), NULL);
	struct store_entry e, got;
	size_t n = sizeof(odd_domains) / sizeof(odd_domains[0]);

	put_n(s, "example.com", 1);
	for (size_t i = 0; i < n; i++) {
		make_entry(&e, odd_domains[i], 2);
		ck_assert_msg(store_put(s, &e) == -1, "put %zu", i);
		ck_assert_msg(store_get(s, odd_domains[i], &got) == -1,
		    "get %zu", i);
		ck_assert_ptr_null(got.policy);
		ck_assert_msg(store_del(s, odd_domains[i]) == -1, "del %zu", i);
		store_entry_clear(&e);
	}
	ck_assert_int_eq(store_get(s, NULL, &got), -1);
	ck_assert_int_eq(store_del(s, NULL), -1);
	ck_assert_uint_eq(store_count(s), 1);
	assert_stored(s, "example.com", 1);
	store_close(s);
}
END_TEST

START_TEST(test_readonly)
{
	struct store_options ro = { .readonly = 1 };
	struct store *s;
	struct store_entry e;

	if (_i == 1) {		/* lmdb: read-only needs an existing store */
		s = open_ok(spec, NULL);
		put_n(s, "example.com", 1);
		store_close(s);
	}
	s = open_ok(spec_for(_i), &ro);
	make_entry(&e, "example.org", 2);
	ck_assert_int_eq(store_put(s, &e), -1);
	ck_assert_int_eq(store_put_many(s, &e, 1), -1);
	ck_assert_int_eq(store_del(s, "example.com"), -1);
	ck_assert_int_eq(store_purge_expired(s, STORE_TIME_MAX), -1);
	if (_i == 1)
		assert_stored(s, "example.com", 1);
	store_entry_clear(&e);
	store_close(s);
}
END_TEST

/* LMDB specifics */

START_TEST(test_open_errors)
{
	struct store_options ro = { .readonly = 1 };
	char err[256], sp[200];
	const char *bad[] = { "nocolon", "nosuch:x", "lmdb:", "lmdb:rel/path",
		"memory:x", "lmdb:/nonexistent-dir-tlspol/sub/sts.lmdb" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(store_open(bad[i], NULL, err, sizeof(err)) == NULL,
		    "%s opened", bad[i]);
		ck_assert_msg(err[0] != '\0', "%s: no message", bad[i]);
	}
	err[0] = '\0';
	ck_assert_ptr_null(store_open(spec, &ro, err, sizeof(err)));
	ck_assert(err[0] != '\0');
	/* a file that is not an LMDB environment */
	snprintf(sp, sizeof(sp), "%s/junk", tmpdir);
	FILE *f = fopen(sp, "w");
	ck_assert_ptr_nonnull(f);
	for (int i = 0; i < 5000; i++)
		fputs("not lmdb ", f);
	fclose(f);
	snprintf(sp, sizeof(sp), "lmdb:%s/junk", tmpdir);
	err[0] = '\0';
	ck_assert_ptr_null(store_open(sp, NULL, err, sizeof(err)));
	ck_assert(err[0] != '\0');
}
END_TEST

START_TEST(test_persistence)
{
	struct store *s = open_ok(spec, NULL);
	char d[32], sp[160], path[160];
	struct stat st;

	for (int n = 0; n < 100; n++) {
		snprintf(d, sizeof(d), "d%d.example", n);
		put_n(s, d, n);
	}
	ck_assert_int_eq(store_del(s, "d50.example"), 1);
	store_close(s);

	s = open_ok(spec, NULL);
	ck_assert_uint_eq(store_count(s), 99);
	for (int n = 0; n < 100; n++) {
		struct store_entry got;
		snprintf(d, sizeof(d), "d%d.example", n);
		if (n == 50)
			ck_assert_int_eq(store_get(s, d, &got), 0);
		else
			assert_stored(s, d, n);
	}
	store_close(s);

	/* A directory path holds data.mdb */
	snprintf(sp, sizeof(sp), "lmdb:%s", tmpdir);
	s = open_ok(sp, NULL);
	put_n(s, "example.com", 3);
	store_close(s);
	snprintf(path, sizeof(path), "%s/data.mdb", tmpdir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 077, 0);
	s = open_ok(sp, NULL);
	assert_stored(s, "example.com", 3);
	store_close(s);
}
END_TEST


/*
 * A data file whose pages after the two meta pages are damaged: LMDB
 * would fault or abort on the first read.  Opening it for writing moves
 * it aside (PATH.damaged-TIME) and starts empty; a read-only open (tlsmap)
 * moves nothing.
 */
START_TEST(test_damaged_set_aside)
{
	struct store *s = open_ok(spec, NULL);
	char d[32], aside[256] = "";
	struct stat st;
	FILE *f;
	DIR *dir;
	struct dirent *de;

	for (int n = 0; n < 300; n++) {
		snprintf(d, sizeof(d), "d%d.example", n);
		put_n(s, d, n);
	}
	store_close(s);
	ck_assert_int_eq(stat(dbfile, &st), 0);
	f = fopen(dbfile, "r+");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fseek(f, 2 * 4096, SEEK_SET), 0);
	for (long i = 2 * 4096; i < st.st_size; i++)
		fputc((int)((i * 2654435761u) >> 13) & 0xff, f);
	fclose(f);

	s = open_ok(spec, NULL);
	ck_assert_uint_eq(store_count(s), 0);
	put_n(s, "after.example", 1);
	assert_stored(s, "after.example", 1);
	store_close(s);
	dir = opendir(tmpdir);
	ck_assert_ptr_nonnull(dir);
	while ((de = readdir(dir)) != NULL)
		if (strncmp(de->d_name, "sts.lmdb.damaged-", 17) == 0)
			snprintf(aside, sizeof(aside), "%s", de->d_name);
	closedir(dir);
	ck_assert_str_ne(aside, "");
}
END_TEST


/*
 * Random data pages (everything after the meta pages), 20 seeds: each
 * open either moves the file aside or finds it sound, and the store
 * then takes a write and reads it back: never a fault or an abort.
 */
START_TEST(test_random_pages)
{
	for (unsigned seed = 1; seed <= 20; seed++) {
		struct store *s = open_ok(spec, NULL);
		char d[32];
		struct stat st;
		FILE *f;

		for (int n = 0; n < 200; n++) {
			snprintf(d, sizeof(d), "d%d.example", n);
			put_n(s, d, n);
		}
		store_close(s);
		ck_assert_int_eq(stat(dbfile, &st), 0);
		f = fopen(dbfile, "r+");
		ck_assert_ptr_nonnull(f);
		ck_assert_int_eq(fseek(f, 2 * 4096, SEEK_SET), 0);
		srandom(seed);
		for (long i = 2 * 4096; i < st.st_size; i++)
			fputc((int)(random() & 0xff), f);
		fclose(f);
		s = open_ok(spec, NULL);
		put_n(s, "after.example", (int)seed);
		assert_stored(s, "after.example", (int)seed);
		store_close(s);
		unlink(dbfile);
	}
}
END_TEST

/* Writes raw values with LMDB itself, bypassing the store. */
static void
raw_put(const char *key, const void *val, size_t len)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k = { strlen(key), (void *)key }, v = { len, (void *)val };

	ck_assert_int_eq(mdb_env_create(&env), 0);
	ck_assert_int_eq(mdb_env_set_maxdbs(env, 4), 0);
	ck_assert_int_eq(mdb_env_open(env, dbfile, MDB_NOSUBDIR, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "sts-policy", MDB_CREATE, &dbi), 0);
	ck_assert_int_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

START_TEST(test_corrupt_values)
{
	struct store *s = open_ok(spec, NULL);
	struct store_entry got;
	struct seen sn = { 0 };
	unsigned char *rec, garbage[200];
	size_t len;

	put_n(s, "d1.example", 1);
	put_n(s, "d2.example", 2);
	store_close(s);

	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (unsigned char)(i * 37 + 11);
	raw_put("garbage.example", garbage, sizeof(garbage));
	raw_put("empty.example", "", 0);
	rec = encode_n("d3.example", 3, &len);
	raw_put("d3.example", rec, len - 1);		/* torn */
	raw_put("moved.example", rec, len);		/* wrong key */
	rec[OFF_VERSION] = 9;
	reseal("future.example", rec, len);
	raw_put("future.example", rec, len);		/* newer format */
	raw_put("UPPER.example", garbage, 10);		/* bad key */
	free(rec);

	s = open_ok(spec, NULL);
	ck_assert_uint_eq(store_count(s), 8);
	ck_assert_int_eq(store_get(s, "garbage.example", &got), 0);
	ck_assert_ptr_null(got.policy);
	ck_assert_int_eq(store_get(s, "empty.example", &got), 0);
	ck_assert_int_eq(store_get(s, "d3.example", &got), 0);
	ck_assert_int_eq(store_get(s, "moved.example", &got), 0);
	ck_assert_int_eq(store_get(s, "future.example", &got), 0);
	assert_stored(s, "d1.example", 1);
	ck_assert_int_eq(store_iter(s, collect, &sn), 0);
	ck_assert_int_eq(sn.calls, 2);		/* only d1, d2 decode */
	ck_assert_int_eq(sn.bad, 0);
	/* purge at time 0 drops the corrupt five, keeps valid and future */
	ck_assert_int_eq(store_purge_expired(s, 0), 5);
	ck_assert_uint_eq(store_count(s), 3);
	assert_stored(s, "d2.example", 2);
	store_close(s);
}
END_TEST

/* A full map grows up to map_max; past it a put fails cleanly. */
START_TEST(test_map_growth)
{
	struct store_options small = { .map_size = 256 * 1024,
		.map_max = 16 * 1024 * 1024 };
	struct store_options capped = { .map_size = 256 * 1024,
		.map_max = 256 * 1024 };
	struct store *s;
	struct store_entry e, got;
	char d[32];
	int n, failed = -1;

	s = open_ok(spec, &small);
	for (n = 0; n < 40; n++) {		/* 40 x 64 KiB > 256 KiB */
		snprintf(d, sizeof(d), "d%d.example", n);
		make_entry(&e, d, n);
		free(e.policy);
		e.policy = malloc(64 * 1024 + 1);
		memset(e.policy, 'x', 64 * 1024);
		e.policy[64 * 1024] = '\0';
		ck_assert_int_eq(store_put(s, &e), 0);
		store_entry_clear(&e);
	}
	ck_assert_uint_eq(store_count(s), 40);
	store_close(s);
	tmp_teardown();
	tmp_setup();

	s = open_ok(spec, &capped);
	for (n = 0; n < 40 && failed < 0; n++) {
		snprintf(d, sizeof(d), "d%d.example", n);
		make_entry(&e, d, n);
		free(e.policy);
		e.policy = malloc(64 * 1024 + 1);
		memset(e.policy, 'x', 64 * 1024);
		e.policy[64 * 1024] = '\0';
		if (store_put(s, &e) < 0)
			failed = n;
		store_entry_clear(&e);
	}
	ck_assert_int_gt(failed, 0);
	ck_assert_uint_eq(store_count(s), (size_t)failed);
	ck_assert_int_eq(store_get(s, "d0.example", &got), 1);
	store_entry_clear(&got);
	/* still usable: a delete frees room for a small entry */
	ck_assert_int_eq(store_del(s, "d0.example"), 1);
	put_n(s, "small.example", 1);
	assert_stored(s, "small.example", 1);
	store_close(s);
}
END_TEST

/*
 * A reader process opened before the writer grew the map still finds
 * entries written after the growth (MDB_MAP_RESIZED handling).
 */
START_TEST(test_reader_sees_growth)
{
	struct store_options small = { .map_size = 256 * 1024 };
	struct store_options ro = { .readonly = 1 };
	struct store *s;
	struct store_entry e;
	int go[2], done[2], status;
	char c = 0, d[32];
	pid_t pid;

	s = open_ok(spec, &small);
	put_n(s, "first.example", 1);
	store_close(s);
	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(done), 0);
	if ((pid = fork()) == 0) {
		struct store *r = store_open(spec, &ro, d, sizeof(d));
		struct store_entry got;
		int ok;

		if (r == NULL || store_get(r, "first.example", &got) != 1)
			_exit(2);
		store_entry_clear(&got);
		if (write(done[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(3);
		ok = store_get(r, "last.example", &got) == 1
		    && strlen(got.policy) == 64 * 1024;
		store_entry_clear(&got);
		store_close(r);
		_exit(ok ? 0 : 4);
	}
	ck_assert_int_eq(read(done[0], &c, 1), 1);	/* reader is open */
	s = open_ok(spec, &small);
	for (int n = 0; n < 20; n++) {
		snprintf(d, sizeof(d), n == 19 ? "last.example" : "d%d.example",
		    n);
		make_entry(&e, d, n);
		free(e.policy);
		e.policy = malloc(64 * 1024 + 1);
		memset(e.policy, 'y', 64 * 1024);
		e.policy[64 * 1024] = '\0';
		ck_assert_int_eq(store_put(s, &e), 0);
		store_entry_clear(&e);
	}
	store_close(s);
	ck_assert_int_eq(write(go[1], &c, 1), 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/*
 * Crash safety.  A child writes entries in a loop: for sequence number
 * q it stores s<q>.crash.example and then hot.crash.example, both
 * derived from q, and only then reports q on a pipe.  The parent
 * SIGKILLs it after a random number of reports plus a random delay, so
 * the kill lands anywhere in a write, then reopens the store and checks
 * every reported entry, that hot is at least as new as the last report,
 * and that every stored entry is intact.
 */
#define CRASH_ROUNDS	20
#define CRASH_MAXREP	16		/* reports awaited per round, at most */
#define CRASH_WAIT_MS	5000		/* per round */

static void
crash_child(int fd, uint32_t base)
{
	char err[256], d[64];
	struct store *s = store_open(spec, NULL, err, sizeof(err));
	struct store_entry e;

	if (s == NULL)
		_exit(2);
	for (uint32_t q = base; q < base + 100000; q++) {
		snprintf(d, sizeof(d), "s%" PRIu32 ".crash.example", q);
		make_entry(&e, d, q);
		if (store_put(s, &e) != 0)
			_exit(3);
		snprintf(e.domain, sizeof(e.domain), "hot.crash.example");
		if (store_put(s, &e) != 0)
			_exit(3);
		store_entry_clear(&e);
		if (write(fd, &q, sizeof(q)) != sizeof(q))
			_exit(4);
	}
	_exit(0);
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000
	    + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Reads reports until want arrived or the round's time is up. */
static size_t
crash_collect(int fd, uint32_t *rep, size_t want)
{
	struct timespec t0;
	struct pollfd p = { fd, POLLIN, 0 };
	size_t n = 0;
	ssize_t r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (n < want && ms_since(&t0) < CRASH_WAIT_MS) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		r = read(fd, rep + n, sizeof(*rep));
		if (r != sizeof(*rep))
			break;		/* EOF: the child died on its own */
		n++;
	}
	return n;
}

struct crash_check {
	int bad;
	size_t seen;
};

static int
crash_verify_one(const struct store_entry *e, void *arg)
{
	struct crash_check *c = arg;
	struct store_entry want;

	c->seen++;
	make_entry(&want, e->domain, e->fetched_at);
	if (strcmp(want.policy, e->policy) != 0 || strcmp(want.id, e->id) != 0
	    || want.expires_at != e->expires_at
	    || want.last_used != e->last_used
	    || strcmp(want.last_error, e->last_error) != 0)
		c->bad++;
	store_entry_clear(&want);
	return 0;
}

/*
 * The crash test's seed (kill timing and batch sizes): CHECK_STORE_SEED
 * from the environment to repeat a run, else from the time and PID.
 * Printed either way, so that a failure can be replayed.
 */
static unsigned
crash_seed(void)
{
	const char *env = getenv("CHECK_STORE_SEED");
	char *end;
	unsigned long v;
	unsigned seed;

	if (env != NULL && *env != '\0') {
		v = strtoul(env, &end, 10);
		ck_assert_msg(*end == '\0' && v <= 0xffffffffUL,
		    "CHECK_STORE_SEED=%s: not a number", env);
		seed = (unsigned)v;
	} else {
		seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	}
	printf("test_crash_safety: seed %u (set CHECK_STORE_SEED=%u to "
	    "repeat)\n", seed, seed);
	fflush(stdout);
	return seed;
}

START_TEST(test_crash_safety)
{
	unsigned seed = crash_seed();
	uint32_t rep[CRASH_MAXREP + 64];
	size_t total = 0;
	char d[64];

	srand(seed);
	for (int round = 0; round < CRASH_ROUNDS; round++) {
		uint32_t base = (uint32_t)round * 1000000 + 1;
		size_t want = 1 + (size_t)rand() % CRASH_MAXREP, n, more;
		int fds[2], status;
		pid_t pid;
		ssize_t r;
		struct store *s;
		struct store_entry hot;
		struct crash_check cc = { 0, 0 };

		ck_assert_int_eq(pipe(fds), 0);
		if ((pid = fork()) == 0) {
			close(fds[0]);
			crash_child(fds[1], base);
		}
		ck_assert_int_gt(pid, 0);
		close(fds[1]);
		n = crash_collect(fds[0], rep, want);
		usleep((useconds_t)(rand() % 3000));
		kill(pid, SIGKILL);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFSIGNALED(status), "seed %u round %d: child "
		    "exited %d before the kill", seed, round,
		    WEXITSTATUS(status));
		/* reports written before the kill count as well */
		for (more = 0; more < 64; more++) {
			r = read(fds[0], rep + n, sizeof(*rep));
			if (r != sizeof(*rep))
				break;
			n++;
		}
		close(fds[0]);
		ck_assert_msg(n >= 1, "seed %u round %d: no report", seed,
		    round);

		s = open_ok(spec, NULL);
		for (size_t i = 0; i < n; i++) {
			snprintf(d, sizeof(d), "s%" PRIu32 ".crash.example",
			    rep[i]);
			assert_stored(s, d, rep[i]);
		}
		ck_assert_int_eq(store_get(s, "hot.crash.example", &hot), 1);
		ck_assert_msg(hot.fetched_at >= rep[n - 1], "seed %u round %d:"
		    " hot %" PRId64 " older than report %" PRIu32, seed, round,
		    hot.fetched_at, rep[n - 1]);
		store_entry_clear(&hot);
		ck_assert_int_eq(store_iter(s, crash_verify_one, &cc), 0);
		ck_assert_int_eq(cc.bad, 0);
		ck_assert_uint_eq(cc.seen, store_count(s));
		total += n;
		ck_assert_uint_ge(cc.seen, total + 1);
		store_close(s);
	}
}
END_TEST

/* Raw records (store.h RAW RECORDS) */

static void
rec_put_str(struct store *s, const char *key, const char *val)
{
	ck_assert_int_eq(store_rec_put(s, key, val, strlen(val)), 0);
}

static void
assert_rec(struct store *s, const char *key, const char *want)
{
	void *val;
	size_t len;

	ck_assert_msg(store_rec_get(s, key, &val, &len) == 1, "%s missing",
	    key);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert_str_eq(val, want);	/* a NUL follows the value */
	free(val);
}

START_TEST(test_rec_put_get_del)
{
	struct store *s = open_ok(spec_for(_i), NULL);
	struct store_kv kv[3] = {
		{ "rpt/2026-01-01/a.example", "one", 3 },
		{ "rpt/2026-01-01/b.example", "two", 3 },
		{ "rpt/2026-01-01/a.example", "three", 5 },	/* replaces */
	};
	void *val;
	size_t len;

	ck_assert_int_eq(store_rec_get(s, "rpt/2026-01-01/a.example", &val,
	    &len), 0);
	ck_assert_ptr_null(val);
	ck_assert_int_eq(store_rec_putv(s, kv, 3), 0);
	assert_rec(s, "rpt/2026-01-01/a.example", "three");
	assert_rec(s, "rpt/2026-01-01/b.example", "two");
	rec_put_str(s, "rptsent/2026-01-01/a.example", "{\"state\":\"sent\"}");
	assert_rec(s, "rptsent/2026-01-01/a.example", "{\"state\":\"sent\"}");
	ck_assert_int_eq(store_rec_del(s, "rpt/2026-01-01/a.example"), 1);
	ck_assert_int_eq(store_rec_del(s, "rpt/2026-01-01/a.example"), 0);
	ck_assert_int_eq(store_rec_get(s, "rpt/2026-01-01/a.example", &val,
	    &len), 0);
	store_close(s);
}
END_TEST

START_TEST(test_rec_bad_keys)
{
	static const char *const bad[] = {
		"", "example.com", "rpt/ space", "rpt/\x7f", "rpt/\xc3\xa9",
		"rpt/a\nb",
	};
	struct store *s = open_ok(spec_for(_i), NULL);
	char longkey[STORE_REC_KEY_MAX + 2];
	void *val;
	size_t len;

	memset(longkey, 'a', sizeof(longkey) - 1);
	longkey[1] = '/';
	longkey[sizeof(longkey) - 1] = '\0';
	ck_assert_int_eq(store_rec_key_check(longkey), -1);
	longkey[STORE_REC_KEY_MAX] = '\0';
	ck_assert_int_eq(store_rec_key_check(longkey), 0);
	ck_assert_int_eq(store_rec_key_check(NULL), -1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(store_rec_key_check(bad[i]) == -1, "%zu", i);
		ck_assert_int_eq(store_rec_put(s, bad[i], "x", 1), -1);
		ck_assert_int_eq(store_rec_get(s, bad[i], &val, &len), -1);
		ck_assert_int_eq(store_rec_del(s, bad[i]), -1);
	}
	store_close(s);
}
END_TEST

static int
count_entries(const struct store_entry *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

/*
 * Entries and raw records side by side: the entry functions see only
 * entries, and purge keeps raw records (their keys are no domains, so
 * without the rule they would be "corrupt" and deleted).
 */
START_TEST(test_rec_beside_entries)
{
	struct store *s = open_ok(spec_for(_i), NULL);
	int seen = 0;

	put_n(s, "a.example", 1000);
	put_n(s, "b.example", 5000);
	rec_put_str(s, "rpt/2026-01-01/a.example", "r1");
	ck_assert_uint_eq(store_count(s), 2);
	rec_put_str(s, "rpt/2026-01-02/a.example", "r2");
	rec_put_str(s, "rpt/2026-01-02/a.example", "r2b");	/* not new */
	ck_assert_uint_eq(store_count(s), 2);
	ck_assert_int_eq(store_iter(s, count_entries, &seen), 0);
	ck_assert_int_eq(seen, 2);
	ck_assert_int_eq(store_purge_expired(s, 1000 + 86400), 1);
	ck_assert_uint_eq(store_count(s), 1);
	assert_rec(s, "rpt/2026-01-01/a.example", "r1");
	assert_rec(s, "rpt/2026-01-02/a.example", "r2b");
	ck_assert_int_eq(store_rec_del(s, "rpt/2026-01-01/a.example"), 1);
	ck_assert_uint_eq(store_count(s), 1);
	store_close(s);
}
END_TEST

struct prefix_seen {
	char keys[8][64];
	int n;
};

static int
collect_prefix(const char *key, const void *val, size_t len, void *arg)
{
	struct prefix_seen *p = arg;

	(void)val;
	(void)len;
	ck_assert_int_lt(p->n, 8);
	snprintf(p->keys[p->n++], sizeof(p->keys[0]), "%s", key);
	return 0;
}

static int
stop_at_first(const char *key, const void *val, size_t len, void *arg)
{
	(void)key;
	(void)val;
	(void)len;
	(*(int *)arg)++;
	return 1;
}

START_TEST(test_rec_iter_prefix)
{
	struct store *s = open_ok(spec_for(_i), NULL);
	struct prefix_seen p;
	int calls = 0;

	put_n(s, "rpt.example", 1);	/* a domain that starts alike */
	rec_put_str(s, "rpt/2026-01-01/a.example", "1");
	rec_put_str(s, "rpt/2026-01-01/b.example", "2");
	rec_put_str(s, "rpt/2026-01-02/a.example", "3");
	rec_put_str(s, "rptsent/2026-01-01/a.example", "4");
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(store_rec_iter_prefix(s, "rpt/2026-01-01/",
	    collect_prefix, &p), 0);
	ck_assert_int_eq(p.n, 2);
	for (int i = 0; i < p.n; i++)
		ck_assert(strncmp(p.keys[i], "rpt/2026-01-01/", 15) == 0);
	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(store_rec_iter_prefix(s, "", collect_prefix, &p), 0);
	ck_assert_int_eq(p.n, 4);	/* every raw record, no entry */
	ck_assert_int_eq(store_rec_iter_prefix(s, "rpt", stop_at_first,
	    &calls), 1);
	ck_assert_int_eq(calls, 1);
	store_close(s);
}
END_TEST

START_TEST(test_rec_persistence)
{
	struct store_options ro = { .readonly = 1 };
	struct store *s = open_ok(spec, NULL);
	void *val;
	size_t len;

	rec_put_str(s, "rpt/2026-01-01/a.example", "kept");
	store_close(s);
	s = open_ok(spec, &ro);
	assert_rec(s, "rpt/2026-01-01/a.example", "kept");
	ck_assert_uint_eq(store_count(s), 0);
	ck_assert_int_eq(store_rec_put(s, "rpt/x", "y", 1), -1);
	ck_assert_int_eq(store_rec_del(s, "rpt/2026-01-01/a.example"), -1);
	ck_assert_int_eq(store_rec_get(s, "rpt/x", &val, &len), 0);
	store_close(s);
}
END_TEST

static Suite *
store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc;

	tc = tcase_create("codec");
	tcase_add_test(tc, test_codec_roundtrip);
	tcase_add_test(tc, test_codec_crc_reference);
	tcase_add_test(tc, test_codec_truncated);
	tcase_add_test(tc, test_codec_bitflip);
	tcase_add_test(tc, test_codec_wrong_key);
	tcase_add_test(tc, test_codec_version);
	tcase_add_test(tc, test_codec_sealed_but_invalid);
	tcase_add_loop_test(tc, test_entry_refused, 0,
	    sizeof(bad_entries) / sizeof(bad_entries[0]));
	tcase_add_test(tc, test_domain_length);
	tcase_add_test(tc, test_last_error_sanitised);
	suite_add_tcase(s, tc);

	tc = tcase_create("both backends");
	tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_loop_test(tc, test_put_get, 0, 2);
	tcase_add_loop_test(tc, test_overwrite, 0, 2);
	tcase_add_loop_test(tc, test_delete, 0, 2);
	tcase_add_loop_test(tc, test_put_many, 0, 2);
	tcase_add_loop_test(tc, test_iterate, 0, 2);
	tcase_add_loop_test(tc, test_iterate_nested_get, 0, 2);
	tcase_add_loop_test(tc, test_purge, 0, 2);
	tcase_add_loop_test(tc, test_odd_domains, 0, 2);
	tcase_add_loop_test(tc, test_readonly, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("lmdb");
	tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_open_errors);
	tcase_add_test(tc, test_persistence);
	tcase_add_test(tc, test_corrupt_values);
	tcase_add_test(tc, test_damaged_set_aside);
	tcase_add_test(tc, test_random_pages);
	tcase_add_test(tc, test_map_growth);
	tcase_add_test(tc, test_reader_sees_growth);
	suite_add_tcase(s, tc);

	tc = tcase_create("raw records");
	tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_loop_test(tc, test_rec_put_get_del, 0, 2);
	tcase_add_loop_test(tc, test_rec_bad_keys, 0, 2);
	tcase_add_loop_test(tc, test_rec_beside_entries, 0, 2);
	tcase_add_loop_test(tc, test_rec_iter_prefix, 0, 2);
	tcase_add_test(tc, test_rec_persistence);
	suite_add_tcase(s, tc);

	tc = tcase_create("crash");
	tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_crash_safety);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	snprintf(basedir, sizeof(basedir), "/tmp/check_store.XXXXXX");
	if (mkdtemp(basedir) == NULL) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	sr = srunner_create(store_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rm_tree(basedir);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
