/* SPDX-License-Identifier: MIT */
/*
 * NAME
 *	dname - a domain name in presentation form
 *
 * SYNOPSIS
 *	#include "dname.h"
 *
 *	int dname_text(const ldns_rdf *name, char *out, size_t outlen);
 *
 * DESCRIPTION
 *	dname_text() writes a domain name (an ldns dname in wire form,
 *	uncompressed) in presentation form with its final dot: byte for
 *	byte what ldns_rdf2str() gives ("." for the root, "\\." and the
 *	like for . ; ( ) and backslash, "\\DDD" for bytes that are not
 *	printable ASCII), without its allocations and printf calls, which
 *	were the largest part of the daemon's work for a DANE walk.
 *
 * RETURN VALUE
 *	The length written, or -1 when out is too small or the name is
 *	not a well-formed dname (a label running past the end, bytes
 *	after the root label); out is then "?" (when it has room).
 */
#ifndef TLSPOL_DNAME_H
#define TLSPOL_DNAME_H

#include <stddef.h>

#include <ldns/ldns.h>

int dname_text(const ldns_rdf *name, char *out, size_t outlen);

#endif
