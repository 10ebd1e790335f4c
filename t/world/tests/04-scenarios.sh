#!/bin/bash
# SPDX-License-Identifier: MIT
# The DNSSEC column of scenarios.tsv matches what the resolver says.
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
while read -r dom sec answer; do
	out=$(wdig "$dom" MX 2>&1)
	if echo "$out" | grep -q 'status: SERVFAIL'; then got=bogus
	elif echo "$out" | grep -q '^;; flags:.* ad[ ;]'; then got=secure
	elif echo "$out" | grep -q 'status: NOERROR'; then got=insecure
	else got=error; fi
	[ "$got" = "$sec" ] && pass "$dom is $sec" || fail "$dom: want $sec, got $got"
	: "$answer"
done < <(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$WORLD_SRC/scenarios.tsv")
done_testing
