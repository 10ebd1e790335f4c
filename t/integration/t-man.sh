#!/bin/bash
# SPDX-License-Identifier: MIT
# The manual pages: mandoc -T lint finds nothing (down to style), no stray
# control bytes (a form feed once hid in "\fR" and broke a URL), every page
# has a date, and each page's section is the one it is installed in.
. "${TOP_SRCDIR:?}/t/lib.sh"
t_init man

command -v mandoc >/dev/null || t_skip "mandoc missing (scripts/packages-test.txt)"
for page in "$TOP_SRCDIR"/man/*.[1-8]; do
	name=$(basename "$page")
	t_eq "$name: mandoc -T lint" "" "$(mandoc -T lint -W style "$page" 2>&1)"
	t_eq "$name: no control bytes" "" \
		"$(LC_ALL=C tr -d '\t\n' < "$page" | LC_ALL=C tr -d '[:print:]' | od -An -c | head -n 2)"
	th=$(grep -m 1 '^\.TH ' "$page")
	# A page with a table names the tbl preprocessor on its first line
	# (lintian on Debian 13 warns otherwise).
	if grep -q '^\.TS' "$page"; then
		t_eq "$name: tables announced for tbl" "'\\\" t" "$(head -n 1 "$page")"
	fi
	t_check "$name: .TH has a date" \
		grep -Eq '^\.TH [^ ]+ [1-8] "[0-9]{4}-[0-9]{2}-[0-9]{2}"' <<<"$th"
	t_eq "$name: .TH section is the file's" "${name##*.}" "$(awk '{print $3}' <<<"$th")"
done
# tlsmap is installed in sbin: an administrator's command, section 8.
t_check "tlsmap is installed in sbin" \
	grep -q '^sbin_PROGRAMS = tlsmap' "$TOP_SRCDIR/tlsmap/Makefile.am"
t_check "its page is tlsmap.8" test -f "$TOP_SRCDIR/man/tlsmap.8"
t_done
