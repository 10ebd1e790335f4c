#!/bin/bash
# SPDX-License-Identifier: MIT
# The ASan+UBSan build (configure --enable-sanitizers): make check runs
# this test after every other one (t/Makefile.am).  Each process the tests
# started -- unit tests, tlsmap, the daemons of the integration tests and of
# the test world, stsfetch -- wrote any sanitizer report into
# $SAN_REPORT_DIR (ASAN_OPTIONS / UBSAN_OPTIONS log_path) rather than to a
# stderr that a daemon's test may never show.  Any report fails the check;
# it is printed here and moved to $SAN_REPORT_DIR.old so that the next run
# starts clean.  Skipped in other builds.
. "${TOP_SRCDIR:?}/t/lib.sh"
t_init sanitizer

[ -n "${SAN_REPORT_DIR:-}" ] || t_skip "not a sanitizer build (configure --enable-sanitizers)"
t_check "the report directory exists" test -d "$SAN_REPORT_DIR"
reports=$(find "$SAN_REPORT_DIR" -maxdepth 1 -type f | sort)
for r in $reports; do
	echo "--- $r"
	head -n 80 "$r"
done
t_eq "sanitizer reports from the test run" "" "$reports"
if [ -n "$reports" ]; then
	mkdir -p "$SAN_REPORT_DIR.old"
	mv $reports "$SAN_REPORT_DIR.old/"
fi
t_done
