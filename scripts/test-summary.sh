#!/bin/bash
# SPDX-License-Identifier: MIT
# Sum up a finished "make check" from its .trs and .log files.
# Usage: test-summary.sh TESTDIR
#
# Per test program (each .trs, its result from automake):
#   - a Check suite: its "NN%: Checks: N, Failures: F, Errors: E" line;
#   - an integration script (t/lib.sh): "NAME: P passed, F failed[, S
#     skipped]" and one "SKIP - ..." line per check it could not run;
#   - the test world (t/world/run-tests.sh): a "# NAME: P passed, F failed,
#     S skipped" line per world test, "FAIL: TEST ..." and "SKIP: TEST"
#     per failed or skipped world test, and last "world: P passed, F
#     failed, S skipped" counting world tests;
#   - a program skipped as a whole (exit 77): automake's SKIP.
# A program that failed (automake FAIL or ERROR) without a failing check,
# a failed world test without a failing check, and a log without its
# summary line (crashed) count as one failure each.
# Last line: "P passed, F failed, S skipped".  Exit 1 when something
# failed or nothing passed; with CI=true (.ci/run) also when something was
# skipped: a skip there means a part of the suite did not run.
dir=${1:-t}
passed=0 failed=0 skipped=0 suites=0
CHECK_RE='^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+'
SCRIPT_RE='^[a-z0-9_-]+: [0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$'
WTEST_RE='^# [A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$'
WORLD_RE='^world: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$'

# num WORD LINE: the number before WORD ("passed", "failed", ...), or 0
num() { local n; n=$(sed -nE "s/.*[^0-9]([0-9]+) $1.*/\\1/p; s/^([0-9]+) $1.*/\\1/p" <<<"$2" | head -n 1); echo "${n:-0}"; }

# add P F S: count checks
add() { passed=$((passed + $1)); failed=$((failed + $2)); skipped=$((skipped + $3)); }

# world LOG NAME: the test world's log; prints its lines and counts.
world() {
	local log=$1 line t
	while IFS= read -r line; do
		echo "world/${line#\# }"
		add "$(num passed "$line")" "$(num failed "$line")" "$(num skipped "$line")"
	done < <(grep -E "$WTEST_RE" "$log")
	grep -E '^SKIP [A-Za-z0-9_.-]+: ' "$log" | sed 's/^/world: /'
	# A failed world test with no failing check of its own (crash,
	# timeout, no such test): one failure.
	while IFS= read -r line; do
		echo "world: $line"
		t=${line#FAIL: }
		t=$(basename "${t%% *}" .sh)
		if ! grep -Eq "^# $t: [0-9]+ passed, [1-9][0-9]* failed" "$log"; then
			failed=$((failed + 1))
		fi
	done < <(grep -E '^FAIL: ' "$log")
	grep -E '^SKIP: ' "$log" | sed 's/^/world: /'
	line=$(grep -E "$WORLD_RE" "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "$2: no summary line (crashed?)"
		failed=$((failed + 1))
		return
	fi
	echo "$2: $line (world tests)"
	skipped=$((skipped + $(num skipped "$line")))
}

while IFS= read -r trs; do
	log=${trs%.trs}.log
	name=${log#"$dir"/}
	name=${name%.log}
	suites=$((suites + 1))
	result=$(sed -n 's/^:test-result: //p' "$trs" | head -n 1)
	before=$failed
	if [ "$result" = SKIP ] && ! grep -Eq "$WORLD_RE" "$log" 2>/dev/null; then
		echo "$name: SKIP ($(grep -m 1 -E '^(SKIP|world: SKIP)' "$log" 2>/dev/null || echo 'exit 77'))"
		skipped=$((skipped + 1))
		continue
	fi
	if [ ! -f "$log" ]; then
		echo "$name: no log"
		failed=$((failed + 1))
	elif grep -Eq "$WORLD_RE|$WTEST_RE" "$log"; then
		world "$log" "$name"
	elif line=$(grep -E "$CHECK_RE" "$log" | tail -n 1) && [ -n "$line" ]; then
		echo "$name: $line"
		n=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$line")
		f=$(sed -E 's/.*Failures: ([0-9]+).*/\1/' <<<"$line")
		e=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$line")
		add $((n - f - e)) $((f + e)) 0
	elif line=$(grep -E "$SCRIPT_RE" "$log" | tail -n 1) && [ -n "$line" ]; then
		echo "$line"
		grep -E '^SKIP - ' "$log" | sed "s/^/$(basename "$name"): /"
		add "$(num passed "$line")" "$(num failed "$line")" "$(num skipped "$line")"
	else
		echo "$name: no summary line (crashed?)"
		failed=$((failed + 1))
	fi
	case $result in
	FAIL | ERROR | XPASS)
		if [ "$failed" = "$before" ]; then
			echo "$name: $result with no failing check"
			failed=$((failed + 1))
		fi ;;
	esac
done < <(find "$dir" -name '*.trs' | sort)
echo "suites: $suites"
echo "$passed passed, $failed failed, $skipped skipped"
rc=0
[ "$failed" = 0 ] && [ "$passed" -gt 0 ] || rc=1
if [ "${CI:-}" = true ] && [ "$skipped" -gt 0 ]; then
	echo "CI=true: $skipped skipped count as failures (a part of the suite did not run)"
	rc=1
fi
exit $rc
