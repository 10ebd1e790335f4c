#!/bin/sh
# SPDX-License-Identifier: MIT
# Run libFuzzer harnesses, one after the other (make fuzz):
#
#   FUZZ_SECONDS=N FUZZ_CORPUS=DIR run.sh NAME...
#
# Each ./fuzz-NAME runs N seconds on a temporary copy of DIR/NAME (the
# source corpus is never written), with a per-input timeout, a memory
# limit and a maximum input length.  Anything libFuzzer reports -- a
# crash, a sanitizer report, a leak, a timeout, running out of memory --
# fails the harness; its input is kept in crashes/NAME/ in the build
# directory and its log printed.  A line per harness gives executions
# and coverage; the last line counts harnesses passed and failed.
# FUZZ_FLAGS adds libFuzzer options (e.g. -jobs=2).
set -u
: "${FUZZ_SECONDS:=10}" "${FUZZ_CORPUS:?}" "${FUZZ_FLAGS:=}"
pass=0
fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tlspol-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

maxlen() {	# the longest input worth trying, per harness
	case $1 in
	http_resp|fetchproto|sts_policy|sts_json) echo 16384 ;;
	dns|dane|dnssec) echo 8192 ;;
	*) echo 4096 ;;
	esac
}

for h in "$@"; do
	mkdir -p "$tmp/$h/corpus" "$tmp/$h/art"
	if [ -d "$FUZZ_CORPUS/$h" ]; then
		cp "$FUZZ_CORPUS/$h"/* "$tmp/$h/corpus/" 2>/dev/null
	fi
	# -timeout: seconds for one input; -rss_limit_mb: memory;
	# -error_exitcode: any report; leaks are reported by default.
	./fuzz-"$h" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
		-rss_limit_mb=2048 -max_len="$(maxlen "$h")" \
		-print_final_stats=1 -artifact_prefix="$tmp/$h/art/" \
		$FUZZ_FLAGS "$tmp/$h/corpus" >"$tmp/$h/log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/$h/log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$tmp/$h/log" | tail -n 1)
	if [ $rc = 0 ] && ! ls "$tmp/$h/art" | grep -q .; then
		pass=$((pass + 1))
		echo "fuzz $h: ok, ${execs:-?} executions in ${FUZZ_SECONDS}s, ${cov:-cov: ?}"
	else
		fail=$((fail + 1))
		mkdir -p "crashes/$h"
		cp "$tmp/$h/art"/* "crashes/$h/" 2>/dev/null
		echo "fuzz $h: FAILED (exit $rc), inputs kept in $(pwd)/crashes/$h:"
		tail -n 60 "$tmp/$h/log"
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ $fail = 0 ]
