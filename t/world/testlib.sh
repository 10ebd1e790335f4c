# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Helpers for tests under t/world/tests/.  Source it, then call check/pass/
# fail and finally "done_testing".  Prints one line per check; exit status
# 0 all passed, 1 some failed, 77 skipped.
#   . "$(dirname "$0")/../testlib.sh"
#
#   pass / fail MSG          record a check
#   skip_check MSG           a check that cannot run here: a "SKIP" line
#                            that scripts/test-summary.sh counts (under CI
#                            every skip is a failure)
#   skip_test MSG            the whole test cannot run: exit 77
#   check MSG CMD...         pass if CMD succeeds
#   fsize FILE               its size in bytes (0 if missing): an offset
#   log_has FILE OFFSET RE   grep -E for RE in FILE past byte OFFSET
#   log_wait FILE OFFSET RE [SECONDS]   bounded wait (default 10 s) for it
# Log checks read past an offset taken before the action they prove, so
# lines an earlier run or an earlier daemon wrote never satisfy them.

T_PASS=0
T_FAIL=0
T_SKIP=0
T_NAME=$(basename "$0" .sh)

pass() { T_PASS=$((T_PASS + 1)); echo "ok   $T_NAME: $*"; }
fail() { T_FAIL=$((T_FAIL + 1)); echo "FAIL $T_NAME: $*"; }
skip_check() { T_SKIP=$((T_SKIP + 1)); echo "SKIP $T_NAME: $*"; }
skip_test() { echo "SKIP $T_NAME: $*"; exit 77; }

# check DESCRIPTION CMD...: pass if CMD succeeds
check() {
	local d=$1
	shift
	if "$@" >/dev/null 2>&1; then pass "$d"; else fail "$d"; fi
}

fsize() { stat -c %s -- "$1" 2>/dev/null || echo 0; }
log_from() { tail -c +$(($2 + 1)) -- "$1" 2>/dev/null; }
log_has() { log_from "$1" "$2" | grep -Eq -- "$3"; }
log_wait() {
	local i
	for ((i = 0; i < ${4:-10} * 10; i++)); do
		log_has "$1" "$2" "$3" && return 0
		sleep 0.1
	done
	return 1
}

done_testing() {
	echo "# $T_NAME: $T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	[ "$T_FAIL" = 0 ]
	exit $?
}

[ "$(id -u)" = 0 ] || skip_test "needs root"
[ -n "${WORLD_DIR:-}" ] && [ -s "$WORLD_DIR/world.env" ] || skip_test "world is not up (run via t/world/run-tests.sh)"
# shellcheck source=/dev/null
. "$WORLD_DIR/world.env"
ip netns list 2>/dev/null | grep -q "^$WORLD_NETNS\b" || skip_test "namespace $WORLD_NETNS missing"

# inside the world
wx() { ip netns exec "$WORLD_NETNS" "$@"; }
# wdig ARGS: dig through the world resolver, short timeouts
wdig() { wx dig +time=2 +tries=1 +dnssec "$@"; }
# pidfile_stop FILE: stop the process of a PID file (TERM, bounded wait,
# then KILL) and remove the file; nothing when there is no file
pidfile_stop() {
	local pid
	[ -f "$1" ] || return 0
	pid=$(cat "$1")
	kill "$pid" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null
	rm -f "$1"
}
# need_postfix MAJOR MINOR: a test for that Postfix or later prints "not
# applicable" (and 0 passed, 0 failed) on an older one and exits 0; CI
# runs it again in the Debian 13 root (scripts/debian13.sh).
need_postfix() {
	local ver major rest minor
	ver=$(postconf -dh mail_version)
	major=${ver%%.*} rest=${ver#*.} minor=${rest%%.*}
	if [ "$major" -lt "$1" ] || { [ "$major" = "$1" ] && [ "$minor" -lt "$2" ]; }; then
		echo "# $T_NAME: not applicable: Postfix $ver (needs $1.$2; runs in the Debian 13 pass)"
		echo "# $T_NAME: 0 passed, 0 failed"
		exit 0
	fi
}
