#!/bin/bash
# SPDX-License-Identifier: MIT
# Run the world tests: bring the world up once (or reuse a healthy one), run
# every t/world/tests/*.sh plus any test named on the command line (a path,
# or a name under t/world/tests/), tear the world down at the end (also on
# failure or interrupt; set WORLD_KEEP=1 to keep it for debugging).
# Each test runs with the world env exported (world.env) and TOP_SRCDIR /
# TOP_BUILDDIR passed through; exit 0 pass, 77 skip, anything else fail;
# each is bounded by WORLD_TEST_TIMEOUT seconds (default 300).
# Last line: "world: N passed, N failed, N skipped" (world tests; parsed by
# scripts/test-summary.sh); exit 1 if any failed, 77 if the world cannot be
# built here (not root, no netns): then every test counts as skipped.
#
# usage: run-tests.sh [--only] [TEST...]   --only: run just the named tests
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
export WORLD_DIR=${WORLD_DIR:-$PWD/world.run}
export TOP_SRCDIR=${TOP_SRCDIR:-$(cd "$HERE/../.." && pwd)}
export TOP_BUILDDIR=${TOP_BUILDDIR:-$TOP_SRCDIR}
TIMEOUT=${WORLD_TEST_TIMEOUT:-300}

only=0
if [ "${1:-}" = --only ]; then only=1; shift; fi
tests=()
if [ $only = 0 ]; then
	for t in "$HERE"/tests/*.sh; do [ -e "$t" ] && tests+=("$t"); done
fi
for t in "$@"; do
	if [ -e "$t" ]; then tests+=("$(cd "$(dirname "$t")" && pwd)/$(basename "$t")")
	elif [ -e "$HERE/tests/$t" ]; then tests+=("$HERE/tests/$t")
	else tests+=("$t"); fi # reported as failed below
done

passed=0 failed=0 skipped=0
summary() { echo "world: $passed passed, $failed failed, $skipped skipped"; }

teardown() {
	if [ "${WORLD_KEEP:-0}" = 1 ]; then
		echo "# WORLD_KEEP=1: world left up in $WORLD_DIR" >&2
	else
		"$HERE/world.sh" down >/dev/null 2>&1 || echo "# world.sh down failed" >&2
	fi
}

"$HERE/world.sh" up
rc=$?
if [ $rc != 0 ]; then
	[ $rc = 77 ] || "$HERE/world.sh" down >/dev/null 2>&1
	if [ $rc = 77 ]; then skipped=${#tests[@]}; else failed=${#tests[@]}; fi
	[ "$skipped" = 0 ] && [ "$failed" = 0 ] && skipped=1
	summary
	[ $rc = 77 ] && exit 77
	exit 1
fi
trap teardown EXIT
trap 'exit 130' INT TERM HUP

set -a
# shellcheck source=/dev/null
. "$WORLD_DIR/world.env"
set +a

for t in "${tests[@]}"; do
	name=${t#"$HERE/"}
	echo "# --- $name"
	if [ ! -f "$t" ]; then
		echo "FAIL: $name (no such test)"
		failed=$((failed + 1))
		continue
	fi
	if [ -x "$t" ]; then timeout -k 5 "$TIMEOUT" "$t"; else timeout -k 5 "$TIMEOUT" bash "$t"; fi </dev/null
	rc=$?
	case $rc in
	0) echo "PASS: $name"; passed=$((passed + 1)) ;;
	77) echo "SKIP: $name"; skipped=$((skipped + 1)) ;;
	124) echo "FAIL: $name (timeout after ${TIMEOUT}s)"; failed=$((failed + 1)) ;;
	*) echo "FAIL: $name (exit $rc)"; failed=$((failed + 1)) ;;
	esac
done

summary
[ "$failed" = 0 ]
