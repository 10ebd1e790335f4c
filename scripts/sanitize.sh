#!/bin/bash
# SPDX-License-Identifier: MIT
# The ASan+UBSan test run and the fuzzers (README.md, "Reliability"), as
# CI runs them after the main suite, as root:
#
#   scripts/sanitize.sh [FUZZ_SECONDS]
#
# copies this tree's tracked files into a scratch directory, configures a
# separate build directory there (a VPATH build) with --enable-sanitizers,
# runs the whole "make check" (any sanitizer report of any process fails
# it: t/integration/t-sanitizer.sh), then "make fuzz" with FUZZ_SECONDS
# (default 20) a harness.  The main tree's own build is left alone.  Each
# phase's time is printed.  Needs the packages of scripts/packages-*.txt
# (clang for the fuzzers); a missing tool is a failure under CI=true, else
# that phase is skipped.  TLSPOL_SANITIZE_KEEP=1 keeps the scratch
# directory.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
FUZZ_SECONDS=${1:-20}
JOBS=$(nproc)

missing() {	# TOOL: fail under CI, else say it is skipped
	if [ "${CI:-}" = true ]; then
		echo "sanitize.sh: $1 missing (scripts/packages-test.txt)" >&2
		exit 1
	fi
	echo "SKIP: $1 missing (scripts/packages-test.txt)"
}

for tool in autoreconf gcc make; do
	command -v "$tool" >/dev/null || { missing "$tool"; exit 77; }
done

work=$(mktemp -d /var/tmp/tlspol-sanitize.XXXXXX)
# The daemons run as the tlspolicyd user and write their reports below.
chmod 755 "$work"
[ "${TLSPOL_SANITIZE_KEEP:-}" = 1 ] || trap 'rm -rf "$work"' EXIT
mkdir "$work/src" "$work/build"
(cd "$TOP" && git ls-files -z | tar --null -T - -cf -) | tar -xf - -C "$work/src"

phase() {	# NAME COMMAND...: run, time, report
	local name=$1 start rc=0
	shift
	start=$(date +%s)
	"$@" || rc=$?
	echo "sanitize.sh: $name: $([ $rc = 0 ] && echo ok || echo "FAILED ($rc)"), $(( $(date +%s) - start ))s"
	return $rc
}

build() {
	(cd "$work/src" && autoreconf -fi) >/dev/null
	cd "$work/build"
	../src/configure --prefix=/usr --sysconfdir=/etc --localstatedir=/var \
		--libexecdir=/usr/lib/tlspolicyd --enable-test-hooks \
		--enable-sanitizers >/dev/null
	make -s -j"$JOBS"
}

check() {
	local rc=0
	make -j"$JOBS" check || rc=1
	if [ $rc != 0 ]; then
		# Which tests failed, with the end of their logs.
		grep -h '^FAIL\|^ERROR' "$work/build/t/test-suite.log" || true
		tail -n 60 "$work/build/t/test-suite.log"
	fi
	# The same count as the main suite's (skips fail under CI=true).
	"$TOP/scripts/test-summary.sh" "$work/build/t" || rc=1
	return $rc
}

rc=0
echo "=== ASan+UBSan build (configure --enable-sanitizers) ==="
phase "build" build || exit 1
phase "make check" check || rc=1
echo "=== make fuzz FUZZ_SECONDS=$FUZZ_SECONDS ==="
if [ "$FUZZ_SECONDS" = 0 ]; then
	echo "sanitize.sh: FUZZ_SECONDS=0: the fuzzers are not run"
elif command -v clang >/dev/null; then
	phase "make fuzz" make -s fuzz FUZZ_SECONDS="$FUZZ_SECONDS" || rc=1
else
	missing clang
	[ "${CI:-}" = true ] && rc=1
fi
exit $rc
