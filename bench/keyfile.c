/* SPDX-License-Identifier: MIT */
/* keyfile - the key files of the benchmark programs; see keyfile.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyfile.h"

static void
nomem(void)
{
	fprintf(stderr, "out of memory\n");
	exit(2);
}

char **
keyfile_read(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "r");
	char line[2048], **keys = NULL;
	size_t cap = 0;

	if (fp == NULL) {
		perror(path);
		exit(2);
	}
	*n = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 1024;
			if ((keys = realloc(keys, cap * sizeof(*keys))) == NULL)
				nomem();
		}
		if ((keys[(*n)++] = strdup(line)) == NULL)
			nomem();
	}
	fclose(fp);
	if (*n == 0) {
		fprintf(stderr, "no keys in %s\n", path);
		exit(2);
	}
	return keys;
}
