#!/bin/bash
# Sum up a finished "make check": every Check suite's summary line, every
# integration script's "N passed, N failed" line, and one total line.
# Usage: test-summary.sh TESTDIR.  Exit 1 when a test failed or none ran.
dir=${1:-t}
passed=0 failed=0 skipped=0 suites=0
while IFS= read -r log; do
	suites=$((suites + 1))
	if grep -Eq '^# [A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed' "$log"; then
		# The test world: one line per world test, each with its checks.
		while IFS= read -r line; do
			echo "world/${line#\# }"
			p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
			f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
			passed=$((passed + p))
			failed=$((failed + f))
		done < <(grep -E '^# [A-Za-z0-9_.-]+: [0-9]+ passed, [0-9]+ failed' "$log")
		skipped=$((skipped + $(grep -c '^SKIP: ' "$log")))
		grep -E '^(FAIL|SKIP): ' "$log" | sed 's/^/world: /'
	elif line=$(grep -E '^[0-9]+%: Checks: ' "$log" | tail -n 1) && [ -n "$line" ]; then
		echo "$(basename "$log" .log): $line"
		n=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
		f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
		e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
		passed=$((passed + n - f - e))
		failed=$((failed + f + e))
	elif line=$(grep -E '^[a-z0-9_-]+: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1) && [ -n "$line" ]; then
		echo "$line"
		p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
		f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
		s=$(echo "$line" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
		passed=$((passed + p))
		failed=$((failed + f))
		skipped=$((skipped + ${s:-0}))
	elif grep -q '^SKIP' "$log"; then
		echo "$(basename "$log" .log): $(grep '^SKIP' "$log" | head -n 1)"
		skipped=$((skipped + 1))
	else
		echo "$(basename "$log" .log): no summary line (crashed?)"
		failed=$((failed + 1))
	fi
done < <(find "$dir" -name '*.trs' | sed 's/\.trs$/.log/' | sort)
echo "suites: $suites"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
