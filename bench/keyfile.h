/* SPDX-License-Identifier: MIT */
/*
 * keyfile - the key files of the benchmark programs
 *
 * SYNOPSIS
 *	char **keyfile_read(const char *path, size_t *n);
 *
 * DESCRIPTION
 *	keyfile_read() returns the lines of the file at path that are not
 *	empty and do not start with '#', without their line ends, as a
 *	malloc'd array of *n malloc'd strings (lines longer than 2,046
 *	bytes are split).  A file that cannot be read or holds no key ends
 *	the program with status 2 and a message on stderr, as does a
 *	failed allocation.
 */
#ifndef TLSPOL_BENCH_KEYFILE_H
#define TLSPOL_BENCH_KEYFILE_H

#include <stddef.h>

char **keyfile_read(const char *path, size_t *n);

#endif
