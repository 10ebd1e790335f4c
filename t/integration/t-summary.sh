#!/bin/bash
# SPDX-License-Identifier: MIT
# scripts/test-summary.sh on crafted make-check trees (.trs and .log files
# as automake writes them): all passed; a skip, which fails under CI=true;
# a world test's FAIL line; a crash without a summary line; a world that
# could not come up (exit 77).
. "$(dirname "$0")/../lib.sh"
t_init summary
SUMMARY=$TOP_SRCDIR/scripts/test-summary.sh

# put DIR/NAME RESULT: NAME.trs with RESULT, NAME.log from stdin
put() {
	mkdir -p "$(dirname "$1/$2")"
	printf ':test-result: %s\n:global-test-result: %s\n' "$3" "$3" > "$1/$2.trs"
	cat > "$1/$2.log"
}
# tree DIR: a make-check tree where everything passed
tree() {
	rm -rf "$1"
	put "$1" unit/check_a PASS <<'EOF'
Running suite(s): a
100%: Checks: 2, Failures: 0, Errors: 0
EOF
	put "$1" integration/t-x.sh PASS <<'EOF'
ok - one
x: 3 passed, 0 failed, 0 skipped
EOF
	put "$1" world/run-tests.sh PASS <<'EOF'
# --- tests/10-a.sh
ok   10-a: one
# 10-a: 4 passed, 0 failed, 0 skipped
PASS: tests/10-a.sh
world: 1 passed, 0 failed, 0 skipped
EOF
}
# sum DIR [CI]: run the summary; output in $T/out, status in $rc
sum() {
	CI=${2:-} "$SUMMARY" "$1" > "$T/out" 2>&1
	rc=$?
}
last() { tail -n 1 "$T/out"; }
lastcount() { grep -E '^[0-9]+ passed, ' "$T/out"; }

D=$T/tree
tree "$D"
sum "$D"
t_eq "all passed: exit 0" 0 "$rc"
t_eq "all passed: counts" "9 passed, 0 failed, 0 skipped" "$(lastcount)"
sum "$D" true
t_eq "all passed, CI=true: exit 0" 0 "$rc"

# A program skipped as a whole, and a check skipped inside a script.
tree "$D"
put "$D" integration/t-y.sh SKIP <<'EOF'
SKIP: postmap (Debian package postfix) is not installed
EOF
sum "$D"
t_eq "skipped program: exit 0 outside CI" 0 "$rc"
t_eq "skipped program: counted" "9 passed, 0 failed, 1 skipped" "$(lastcount)"
t_contains "skipped program: reason shown" "$T/out" '^integration/t-y.sh: SKIP \(SKIP: postmap'
sum "$D" true
t_eq "skipped program, CI=true: exit 1" 1 "$rc"
t_contains "skipped program, CI=true: said why" "$T/out" '^CI=true: 1 skipped count as failures'
tree "$D"
put "$D" integration/t-x.sh PASS <<'EOF'
SKIP - IPv6 listener: no ::1 on lo
x: 2 passed, 0 failed, 1 skipped
EOF
sum "$D" true
t_eq "skipped check, CI=true: exit 1" 1 "$rc"
t_contains "skipped check: shown" "$T/out" '^t-x.sh: SKIP - IPv6 listener'
t_eq "skipped check: counted" "8 passed, 0 failed, 1 skipped" "$(lastcount)"
tree "$D"
put "$D" world/run-tests.sh PASS <<'EOF'
SKIP 11-b: swaks not installed
SKIP: tests/11-b.sh
SKIP 02-c: gnutls-cli checks: gnutls-cli not installed
# 02-c: 3 passed, 0 failed, 1 skipped
PASS: tests/02-c.sh
world: 1 passed, 0 failed, 1 skipped
EOF
sum "$D"
t_eq "skipped world test and check: counted" "8 passed, 0 failed, 2 skipped" "$(lastcount)"
sum "$D" true
t_eq "skipped world test, CI=true: exit 1" 1 "$rc"

# A world test that failed without a failing check of its own (timeout).
tree "$D"
put "$D" world/run-tests.sh FAIL <<'EOF'
# 10-a: 4 passed, 0 failed, 0 skipped
PASS: tests/10-a.sh
ok   11-b: started
FAIL: tests/11-b.sh (timeout after 300s)
world: 1 passed, 1 failed, 0 skipped
EOF
sum "$D"
t_eq "world FAIL line: exit 1" 1 "$rc"
t_eq "world FAIL line: one failure" "9 passed, 1 failed, 0 skipped" "$(lastcount)"
t_contains "world FAIL line: shown" "$T/out" '^world: FAIL: tests/11-b.sh \(timeout'
# ... and one whose checks failed: counted once, by its checks.
put "$D" world/run-tests.sh FAIL <<'EOF'
FAIL 10-a: one
# 10-a: 3 passed, 2 failed, 0 skipped
FAIL: tests/10-a.sh (exit 1)
world: 0 passed, 1 failed, 0 skipped
EOF
sum "$D"
t_eq "failed world checks: counted by check" "8 passed, 2 failed, 0 skipped" "$(lastcount)"

# A crash: no summary line; and a program failing with no failing check.
tree "$D"
put "$D" unit/check_b ERROR <<'EOF'
Running suite(s): b
EOF
sum "$D"
t_eq "crash: exit 1" 1 "$rc"
t_contains "crash: said so" "$T/out" '^unit/check_b: no summary line \(crashed\?\)'
tree "$D"
put "$D" integration/t-x.sh FAIL <<'EOF'
x: 3 passed, 0 failed, 0 skipped
EOF
sum "$D"
t_eq "FAIL with no failing check: exit 1" 1 "$rc"
t_contains "FAIL with no failing check: said so" "$T/out" '^integration/t-x.sh: FAIL with no failing check'
tree "$D"
put "$D" world/run-tests.sh FAIL <<'EOF'
# 10-a: 4 passed, 0 failed, 0 skipped
EOF
sum "$D"
t_eq "world without its last line: exit 1" 1 "$rc"

# The world cannot come up: run-tests.sh exits 77, every test skipped.
tree "$D"
put "$D" world/run-tests.sh SKIP <<'EOF'
world: SKIP: must run as root (network namespaces, postfix)
world: 0 passed, 0 failed, 13 skipped
EOF
sum "$D"
t_eq "world down: exit 0 outside CI" 0 "$rc"
t_eq "world down: 13 skipped" "5 passed, 0 failed, 13 skipped" "$(lastcount)"
sum "$D" true
t_eq "world down, CI=true: exit 1" 1 "$rc"

# Nothing ran at all.
rm -rf "$D"; mkdir -p "$D"
sum "$D"
t_eq "no tests: exit 1" 1 "$rc"
: "$(last)"
t_done
