# Markdown report for bench/run.sh (sourced; uses its variables and the
# raw RESULT lines in $RAW, the memory rows in $RSS_ROWS and the notes in
# $NOTES).  A missed target gets its shortfall and the explanation from
# bench/why.txt ("key|text" lines, written after profiling), if any.

WHY_FILE=${WHY_FILE:-$TOP_SRCDIR/bench/why.txt}

why() {
	local w=
	[ -f "$WHY_FILE" ] && w=$(awk -F'|' -v k="$1" '$1 == k { print $2 }' "$WHY_FILE")
	printf '%s' "${w:-cause not investigated yet}"
}

# verdict OK? AMOUNT KEY: "pass" or "**miss** (AMOUNT; why)"
verdict() {
	if [ "$1" = 1 ]; then
		printf 'pass'
	else
		printf '**miss** (%s; %s)' "$2" "$(why "$3")"
	fi
}

# calc EXPR: floating point with awk
calc() { awk "BEGIN { printf \"%s\", $1 }"; }

hits_table() {
	local c f o fp op rr pr ref err ok1 ok2 peer
	echo "| conc | floor req/s | tlspolicyd req/s | ratio (target ≥ 0.70) | floor p99 µs | tlspolicyd p99 µs | p99 ratio (target ≤ 1.5) | refused | errors | peer req/s (ratio to floor) |"
	echo "|---:|---:|---:|---|---:|---:|---|---:|---:|---|"
	for c in $CONCS; do
		f=$(field floor "$c" rps); o=$(field override "$c" rps)
		fp=$(field floor "$c" p99_us); op=$(field override "$c" p99_us)
		ref=$(field override "$c" refused); err=$(field override "$c" errors)
		if [ -z "$f" ] || [ -z "$o" ] || [ "$f" = 0 ]; then
			echo "| $c | ${f:-failed} | ${o:-failed} | — | | | | | | |"
			continue
		fi
		rr=$(calc "$o / $f"); pr=$(calc "$op / $fp")
		ok1=$(calc "($o >= 0.70 * $f && $ref == 0) ? 1 : 0")
		ok2=$(calc "($op <= 1.5 * $fp) ? 1 : 0")
		if [ -n "$PEER_ADDR" ] && [ -n "$(field peer "$c" rps)" ]; then
			peer="$(field peer "$c" rps) ($(calc "$(field peer "$c" rps) / $f" | cut -c1-4)), p99 $(field peer "$c" p99_us) µs, refused $(field peer "$c" refused), errors $(field peer "$c" errors)"
		else
			peer="not run"
		fi
		printf '| %s | %s | %s | %.2f %s | %s | %s | %.2f %s | %s | %s | %s |\n' \
			"$c" "$f" "$o" "$rr" \
			"$(verdict "$ok1" "$(calc "(0.70 - $rr) * 100" | cut -d. -f1) points short, $(calc "$o / (0.70 * $f) * 100" | cut -d. -f1) % of target" "hit-rps-$c")" \
			"$fp" "$op" "$pr" \
			"$(verdict "$ok2" "$(calc "$pr / 1.5 * 100 - 100" | cut -d. -f1) % over" "hit-p99-$c")" \
			"$ref" "$err" "$peer"
	done
}

memory_table() {
	local base n rss ms per ok
	base=$(awk '$1 == 0 { print $2 }' "$RSS_ROWS")
	echo "| overrides | RSS MiB | KiB per entry above the base | target | start-up (exec to first answer) |"
	echo "|---:|---:|---:|---|---:|"
	while read -r n rss ms; do
		if [ "$n" = 0 ]; then
			printf '| 0 (base) | %.1f | — | base < 10 MiB: %s | %s ms |\n' \
				"$(calc "$rss / 1024")" \
				"$(verdict "$(calc "($rss < 10240) ? 1 : 0")" "$(calc "$rss / 1024") MiB" base-rss)" "$ms"
			continue
		fi
		per=$(calc "($rss - $base) / $n")
		ok=$(calc "($per <= 1.0) ? 1 : 0")
		printf '| %s | %.1f | %.3f | ≤ 1 KiB: %s | %s ms%s |\n' "$n" \
			"$(calc "$rss / 1024")" "$per" \
			"$(verdict "$ok" "$(calc "$per") KiB" "rss-$n")" "$ms" \
			"$([ "$n" = 1000000 ] && printf ' (target < 1000 ms: %s)' \
				"$(verdict "$(calc "($ms < 1000) ? 1 : 0")" "$ms ms" startup)")"
	done < "$RSS_ROWS"
}

write_report() {
	cat <<-EOF
	# tlspolicyd benchmark results

	Run $DATE, commit $REV, by \`make bench\` (bench/run.sh).  Each figure
	is the median of $ROUNDS runs of $SECS s (after $WARM s warm-up), the
	servers taking turns; unix sockets; load generator on the same machine
	$([ ${#PIN_GEN[@]} -gt 0 ] && echo "pinned to CPU 0, servers to CPU 1" || echo "(not pinned)").
	Raw lines of every run: results.txt.

	Machine: $MACHINE; load average before the run: $LOAD_BEFORE (the
	machine is shared; other users' load shows in the spread of results.txt).
	$([ -n "${WORLD_UP:-}" ] && echo "Test world: ${WORLD_SH#$TOP_SRCDIR/}.")

	## Cache hits (override lookups), ratios to the floor server

	The floor server (bench/floor) answers every request with a fixed
	reply: this machine's ceiling for a socketmap server.  tlspolicyd
	answers from $N_HIT overrides (random keys, all hits); its RSS after
	these runs was ${HIT_RSS:-?} KiB.  "peer" is Debian's mta-sts-daemon
	($(dpkg-query -W -f '${Version}' postfix-mta-sts-resolver 2>/dev/null || echo "not installed"))
	on ${PEER_KEYS:-the} test-world MTA-STS domains that have a policy,
	in-memory cache warmed first.

	EOF
	hits_table
	cat <<-EOF

	## Memory and start-up (override table as the stand-in for cached domains)

	There is no DANE/MTA-STS cache yet, so these rows are **overrides**
	loaded from a text table, not cached domains; the targets are the
	issue's per-cached-domain targets applied to them.

	EOF
	memory_table
	if [ -n "$(field stalled 64 p99_us)" ]; then
		local sp op ok
		sp=$(field stalled 64 p99_us); op=$(field override 64 p99_us)
		ok=$(calc "($sp < 2 * $op) ? 1 : 0")
		echo
		echo "## Cache hits while 200 lookups hang on a stalled resolver (conc 64)"
		echo
		echo "| p99 µs without | p99 µs with 200 stuck | ratio (target < 2) |"
		echo "|---:|---:|---|"
		printf '| %s | %s | %.2f %s |\n' "$op" "$sp" "$(calc "$sp / $op")" \
			"$(verdict "$ok" "$(calc "$sp / $op") times" stall)"
	fi
	echo
	echo "## Scenarios not run"
	echo
	if [ -s "$NOTES" ]; then
		awk -F'|' '{ printf "- **%s**: %s\n", $1, $2 }' "$NOTES"
	else
		echo "none"
	fi
}
