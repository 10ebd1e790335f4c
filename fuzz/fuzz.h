/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - helpers shared by the libFuzzer harnesses (fuzz_*.c)
 *
 * SYNOPSIS
 *	FUZZ_CHECK(cond)
 *	void fuzz_quiet(void);
 *	size_t fuzz_take(const uint8_t **p, size_t *n, uint8_t sep,
 *	    const uint8_t **part);
 *	char *fuzz_str(const uint8_t *p, size_t n);
 *	uint32_t fuzz_seed(const uint8_t **p, size_t *n);
 *	size_t fuzz_step(uint32_t *state, size_t max);
 *
 * DESCRIPTION
 *	FUZZ_CHECK() aborts with the failed condition when an invariant
 *	does not hold: libFuzzer reports the abort as a crash and keeps the
 *	input.  fuzz_quiet() sends the library's log lines to stderr at
 *	level err only (a parser's warnings on bad input are expected).
 *
 *	fuzz_take() splits the input: *part is the bytes up to the next
 *	sep (or the end), the return value their count; *p and *n move past
 *	them and the separator.  fuzz_str() copies bytes into a new
 *	NUL-terminated string (free() it); a NUL inside ends it early, as C
 *	callers would see it.
 *
 *	fuzz_seed() takes up to four bytes off the input as the seed of the
 *	read sizes that fuzz_step() draws (1 to max bytes, mostly small), so
 *	an incremental parser sees the same bytes cut into reads in a way
 *	the fuzzer controls and can reproduce.
 *
 *	Each harness keeps no state between inputs: whatever it allocates
 *	for an input is freed before it returns, so LeakSanitizer sees
 *	every leak of the code under test.
 */
#ifndef TLSPOL_FUZZ_H
#define TLSPOL_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static inline void
fuzz_quiet(void)
{
	log_init("fuzz", 1, LOG_LVL_ERR);
}

static inline size_t
fuzz_take(const uint8_t **p, size_t *n, uint8_t sep, const uint8_t **part)
{
	const uint8_t *end = *n > 0 ? memchr(*p, sep, *n) : NULL;
	size_t len = end != NULL ? (size_t)(end - *p) : *n;

	*part = *p;
	*p += len;
	*n -= len;
	if (end != NULL) {
		(*p)++;
		(*n)--;
	}
	return len;
}

static inline char *
fuzz_str(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static inline uint32_t
fuzz_seed(const uint8_t **p, size_t *n)
{
	uint32_t s = 0x9e3779b9u;

	for (int i = 0; i < 4 && *n > 0; i++, (*p)++, (*n)--)
		s = s * 251u + **p;
	return s != 0 ? s : 1;
}

static inline size_t
fuzz_step(uint32_t *state, size_t max)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	if (max <= 1)
		return 1;
	/* Half the reads are of 1 to 8 bytes, the others of any size. */
	return 1 + (x & 1 ? (x >> 1) % 8 : (x >> 1) % max) % max;
}

#endif
