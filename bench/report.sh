# SPDX-License-Identifier: MIT
# Markdown report for bench/run.sh (sourced; uses its variables and the
# raw lines in $RAW, the median lines in $MEDIAN, the CPU rows in
# $CPU_ROWS, the memory rows in $RSS_ROWS and the notes in $NOTES).  A
# missed target gets its shortfall and the explanation from bench/why.txt
# ("key|text" lines, written after profiling), if any.

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

# kv LINE NAME: a key=value field of a line
kv() { printf '%s\n' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print substr($0, length(k) + 2) }'; }

# hits_table LABEL FLOOR KEYNAME: LABEL against FLOOR at each concurrency,
# with verdicts under KEYNAME (hit, policy) or none (reference rows).
hits_table() {
	local l=$1 fl=$2 key=$3 c f o fp op rr pr ref err ok1 ok2 v1 v2 ans
	echo "| conc | $fl req/s | $l req/s | ratio | $fl p99 µs | $l p99 µs | p99 ratio | refused | errors | answers |"
	echo "|---:|---:|---:|---|---:|---:|---|---:|---:|---|"
	for c in $CONCS; do
		f=$(field "$fl" "$c" rps); o=$(field "$l" "$c" rps)
		fp=$(field "$fl" "$c" p99_us); op=$(field "$l" "$c" p99_us)
		ref=$(field "$l" "$c" refused); err=$(field "$l" "$c" errors)
		if [ -z "$f" ] || [ -z "$o" ] || [ "$f" = 0 ] || [ "$o" = 0 ]; then
			echo "| $c | ${f:-failed} | ${o:-failed} | — | | | | | | |"
			continue
		fi
		if [ "$fl" = floor-policy ]; then
			ans="dunno $(field "$l" "$c" dunno), other $(($(field "$l" "$c" okact) + $(field "$l" "$c" defer) + $(field "$l" "$c" reject) + $(field "$l" "$c" other)))"
		else
			ans="ok $(field "$l" "$c" ok), notfound $(field "$l" "$c" notfound), temp $(field "$l" "$c" temp)"
		fi
		rr=$(calc "$o / $f"); pr=$(calc "$op / $fp")
		if [ -n "$key" ]; then
			ok1=$(calc "($o >= 0.70 * $f && $ref == 0) ? 1 : 0")
			ok2=$(calc "($op <= 1.5 * $fp) ? 1 : 0")
			v1=" $(verdict "$ok1" "$(calc "(0.70 - $rr) * 100" | cut -d. -f1) points short, $(calc "$o / (0.70 * $f) * 100" | cut -d. -f1) % of target" "$key-rps-$c")"
			v2=" $(verdict "$ok2" "$(calc "$pr / 1.5 * 100 - 100" | cut -d. -f1) % over" "$key-p99-$c")"
		else
			v1=; v2=
		fi
		printf '| %s | %s | %s | %.2f%s | %s | %s | %.2f%s | %s | %s | %s |\n' \
			"$c" "$f" "$o" "$rr" "$v1" "$fp" "$op" "$pr" "$v2" "$ref" "$err" "$ans"
	done
}

# cold_pick LABEL: "RESULT-line<TAB>CPU-line" of LABEL's median round by
# the client's CPU per answered domain (daemon + fetcher, or the floor's
# own); nothing when LABEL did not run.
cold_pick() {
	paste <(grep "^RESULT label=$1 " "$RAW") <(grep "^CPU label=$1 " "$RAW") |
		awk -F'\t' '{ ok = 0; m = 0; f = 0
			n = split($1, a, " "); for (i = 1; i <= n; i++) if (a[i] ~ /^ok=/) ok = substr(a[i], 4) + 0
			n = split($2, b, " "); for (i = 1; i <= n; i++) {
				if (b[i] ~ /^main_s=/) m = substr(b[i], 8) + 0
				if (b[i] ~ /^fetcher_s=/) f = substr(b[i], 11) + 0 }
			k++; line[k] = $0; v[k] = ok > 0 ? (m + f) / ok : 1e9 }
		END { for (i = 1; i <= k; i++) idx[i] = i
			for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++)
				if (v[idx[j]] < v[idx[i]]) { t = idx[i]; idx[i] = idx[j]; idx[j] = t }
			if (k) print line[idx[int((k + 1) / 2)]] }'
}

# cold_per LABEL: the client's CPU ms per answered domain of every round.
cold_per() {
	paste <(grep "^RESULT label=$1 " "$RAW") <(grep "^CPU label=$1 " "$RAW") |
		awk -F'\t' '{ ok = 0; c = 0
			n = split($0, a, /[ \t]/); for (i = 1; i <= n; i++) {
				if (a[i] ~ /^ok=/) ok = substr(a[i], 4) + 0
				if (a[i] ~ /^(main|fetcher)_s=/) { sub(/^[a-z]*_s=/, "", a[i]); c += a[i] } }
			printf "%s%.2f", (NR > 1) ? ", " : "", (ok > 0) ? c / ok * 1000 : 0 }'
}

cold_table() {
	local l pick line cpu ok rate pr ours peer srv tot ceil cores other client
	local -A per
	cores=$(nproc)
	echo "| who | rounds | domains asked | answered with the policy | other answers | wall s | policies/s | p50 / p99 latency ms | CPU s: daemon (floor: itself) | fetcher | nginx | unbound | nsd | all | machine busy | client CPU ms per first contact |"
	echo "|---|---:|---:|---:|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	for l in cold-tlspolicyd cold-tlspolicyd-alt cold-floor cold-peer \
	    cold-tlspolicyd-unpinned cold-floor-unpinned; do
		pick=$(cold_pick "$l")
		[ -n "$pick" ] || continue
		line=${pick%%$'\t'*}; cpu=${pick#*$'\t'}
		ok=$(kv "$line" ok)
		rate=$(calc "$ok / $(kv "$cpu" wall_s)" | cut -d. -f1)
		tot=$(calc "$(kv "$cpu" main_s) + $(kv "$cpu" fetcher_s) + $(kv "$cpu" nginx_s) + $(kv "$cpu" unbound_s) + $(kv "$cpu" nsd_s)")
		client=$(calc "($ok > 0) ? ($(kv "$cpu" main_s) + $(kv "$cpu" fetcher_s)) / $ok * 1000 : 0")
		per[$l]=$client
		[ "$l" = cold-tlspolicyd ] && ours=$rate
		[ "$l" = cold-peer ] && peer=$rate
		# The test servers' CPU per answered domain, over the median runs.
		[ "$ok" -gt 0 ] && srv="${srv:+$srv + }($(kv "$cpu" nginx_s) + $(kv "$cpu" unbound_s) + $(kv "$cpu" nsd_s)) / $ok" && nsrv=$((${nsrv:-0} + 1))
		if [ "$l" = cold-floor ]; then
			other="errors $(kv "$line" errors)"
		else
			other="notfound $(kv "$line" notfound), temp $(kv "$line" temp), errors $(kv "$line" errors)"
		fi
		printf '| %s | %s | %s | %s | %s | %s | %s | %s / %s | %s | %s | %s | %s | %s | %.2f | %d %% | %.2f |\n' \
			"${l#cold-}" "$(grep -c "^CPU label=$l " "$RAW")" "$COLD_N" "$ok" "$other" \
			"$(kv "$cpu" wall_s)" "$rate" \
			"$(calc "$(kv "$line" p50_us) / 1000" | cut -c1-6)" "$(calc "$(kv "$line" p99_us) / 1000" | cut -c1-6)" \
			"$(kv "$cpu" main_s)" "$(kv "$cpu" fetcher_s)" "$(kv "$cpu" nginx_s)" "$(kv "$cpu" unbound_s)" "$(kv "$cpu" nsd_s)" \
			"$tot" "$(calc "$tot / ($cores * $(kv "$cpu" wall_s)) * 100" | cut -d. -f1)" "$client"
	done
	echo
	if [ -n "${per[cold-tlspolicyd]:-}" ] && [ -n "${per[cold-floor]:-}" ] && [ "$(calc "(${per[cold-floor]} > 0) ? 1 : 0")" = 1 ]; then
		pr=$(calc "${per[cold-tlspolicyd]} / ${per[cold-floor]}")
		printf 'Client CPU per first contact, every round: tlspolicyd %s ms; floor %s ms.\n\n' \
			"$(cold_per cold-tlspolicyd)" "$(cold_per cold-floor)"
		printf 'tlspolicyd (daemon + fetcher) / floor, CPU per first contact: %.2f (target ≤ 1.3): %s\n' "$pr" \
			"$(verdict "$(calc "($pr <= 1.3) ? 1 : 0")" "$(calc "($pr / 1.3 - 1) * 100" | cut -d. -f1) % over" cold)"
	fi
	if [ -n "${per[cold-tlspolicyd-unpinned]:-}" ] && [ -n "${per[cold-floor-unpinned]:-}" ] \
	    && [ "$(calc "(${per[cold-floor-unpinned]} > 0) ? 1 : 0")" = 1 ]; then
		printf '\nUnpinned rounds (not judged), every round: tlspolicyd %s ms; floor %s ms; ratio of the medians %.2f.\n' \
			"$(cold_per cold-tlspolicyd-unpinned)" "$(cold_per cold-floor-unpinned)" \
			"$(calc "${per[cold-tlspolicyd-unpinned]} / ${per[cold-floor-unpinned]}")"
	fi
	if [ -n "${ours:-}" ] && [ -n "${peer:-}" ] && [ "$peer" -gt 0 ]; then
		echo
		if [ -n "${srv:-}" ]; then
			# With a client that cost nothing, the test servers alone would
			# fill the machine at this rate: the most any client can show here.
			ceil=$(calc "$cores / (($srv) / $nsrv)" | cut -d. -f1)
			printf 'Ceiling of this machine: the test servers (nginx, unbound, nsd) use %.2f ms of CPU per domain, so with a client costing nothing they would fill the %d cores at about %d domains/s, %.1f × the peer.\n\n' \
				"$(calc "($srv) / $nsrv * 1000")" "$cores" "$ceil" "$(calc "$ceil / $peer")"
		fi
		printf 'tlspolicyd / peer, policies per second: %.2f (reference; the former target of 5 × the peer cannot be shown on this machine, see the ceiling, and is replaced by the floor ratio above).\n' \
			"$(calc "$ours / $peer")"
	fi
}

memory_table() {
	local base banon n rss anon file per pera ok line sock first loaded amount
	base=$(awk '/ domains=0 / { for (i = 1; i <= NF; i++) if ($i ~ /^rss_kib=/) print substr($i, 9) }' "$RSS_ROWS")
	banon=$(awk '/ domains=0 / { for (i = 1; i <= NF; i++) if ($i ~ /^anon_kib=/) print substr($i, 10) }' "$RSS_ROWS")
	echo "| cached domains | answered from the cache | VmRSS MiB | of which anon / file MiB | KiB per domain above the base (VmRSS) | of which anon | target | exec to socket | exec to first answer from the store |"
	echo "|---:|---:|---:|---|---:|---:|---|---:|---:|"
	while read -r line; do
		n=$(kv "$line" domains); rss=$(kv "$line" rss_kib); anon=$(kv "$line" anon_kib); file=$(kv "$line" file_kib)
		sock=$(kv "$line" sock_ms); first=$(kv "$line" first_ms)
		if [ "$n" = 0 ]; then
			printf '| 0 (base) | — | %.1f | %.1f / %.1f | — | — | base < 10 MiB: %s | %s ms | %s ms |\n' \
				"$(calc "$rss / 1024")" "$(calc "$anon / 1024")" "$(calc "$file / 1024")" \
				"$(verdict "$(calc "($rss < 10240) ? 1 : 0")" "$(calc "$rss / 1024") MiB" base-rss)" "$sock" "$first"
			continue
		fi
		# Per domain actually loaded (answered), and judged on the anon
		# part: the file part is LMDB's mapped pages (page cache, shared).
		loaded=$(kv "$line" ok); [ -n "$loaded" ] && [ "$loaded" != 0 ] || loaded=$n
		per=$(calc "($rss - $base) / $loaded"); pera=$(calc "($anon - $banon) / $loaded")
		ok=$(calc "($pera <= 1.0 && $loaded == $n) ? 1 : 0")
		if [ "$loaded" != "$n" ]; then
			amount="only $loaded of $n domains loaded in the run's time"
		else
			amount="$(calc "$pera" | cut -c1-5) KiB anon"
		fi
		printf '| %s | %s | %.1f | %.1f / %.1f | %.3f | %.3f | anon ≤ 1 KiB: %s | %s ms | %s ms%s |\n' "$n" \
			"$(kv "$line" ok)" "$(calc "$rss / 1024")" "$(calc "$anon / 1024")" "$(calc "$file / 1024")" \
			"$per" "$pera" "$(verdict "$ok" "$amount" "rss-$n")" "$sock" "$first" \
			"$([ "$n" = 1000000 ] && printf ' (target < 1000 ms: %s)' \
				"$(verdict "$(calc "($first < 1000) ? 1 : 0")" "$first ms" startup)")"
	done < "$RSS_ROWS"
}

stall_table() {
	local l sp op ok
	echo "| cache hits | p99 µs without | p99 µs with 200 lookups hanging | ratio (target < 2) | req/s without / with |"
	echo "|---|---:|---:|---|---|"
	for l in dane sts; do
		sp=$(field "$l-stalled" 64 p99_us); op=$(field "$l" 64 p99_us)
		[ -n "$sp" ] && [ -n "$op" ] || continue
		# Nothing answered while stalled is a failure, not a p99 of 0.
		ok=$(calc "($sp > 0 && $(field "$l-stalled" 64 rps) > 0 && $sp < 2 * $op) ? 1 : 0")
		printf '| %s | %s | %s | %.2f %s | %s / %s |\n' "$l" "$op" "$sp" "$(calc "$sp / $op")" \
			"$(verdict "$ok" "$(calc "$sp / $op" | cut -c1-4) times" "stall-$l")" \
			"$(field "$l" 64 rps)" "$(field "$l-stalled" 64 rps)"
	done
	echo
	echo "Hanging clients at the end of the window: \`${HANG:-none}\`"
	echo "(reqs=0 and inflight=200: none of the 200 lookups was answered while the resolver was stopped)."
}

write_report() {
	cat <<-EOF
	# tlspolicyd benchmark results

	Run $DATE, commit $REV, by \`make bench\` (bench/run.sh).  Each
	cache-hit figure is the median of $ROUNDS runs of $SECS s (after $WARM s
	warm-up), the servers taking turns; unix sockets; load generator on the
	same machine $([ ${#PIN_GEN[@]} -gt 0 ] && echo "pinned to CPU 0, servers to CPU 1" || echo "(not pinned)").
	Raw lines of every run: results.txt.

	Machine: $MACHINE; load average before the run: $LOAD_BEFORE (the
	machine is shared; other users' load shows in the spread of results.txt).
	$([ -n "${WORLD_UP:-}" ] && echo "Test world: t/world/world.sh, plus $COLD_N MTA-STS domains in bulk.test and a second resolver keeping answers an hour (bench/world-bench.sh).")

	The floor server (bench/floor) answers every request with a fixed
	reply: this machine's ceiling for a socketmap (or policy) server.
	Targets: ≥ 70 % of the floor's req/s with no refused connects, p99 ≤
	1.5 × the floor's.

	## Cache hits: overrides ($N_HIT entries, random keys)

	EOF
	hits_table override floor override
	cat <<-EOF

	## Cache hits: cached DANE results (${DANE_KEYS:-0} domains)

	tlspolicyd in the test world, resolver = the bench resolver; warmed
	with the DANE scenario domains, keys only those that answered OK dane
	or dane-only (answers in the table).

	EOF
	if [ -n "$(field dane 8 rps)$(field dane 64 rps)" ]; then hits_table dane floor dane; else echo "not run (see below)"; fi
	cat <<-EOF

	## Cache hits: cached MTA-STS policies (${STS_KEYS:-0} domains)

	Same daemon; keys: the sts-* scenario domains with an enforced policy
	and the $COLD_N bulk.test domains, all fetched during warm-up.  Each
	query also passes the DANE step (a cached "no DANE": the MX is
	insecure), as in production.

	EOF
	if [ -n "$(field sts 8 rps)$(field sts 64 rps)" ]; then hits_table sts floor sts; else echo "not run (see below)"; fi
	cat <<-EOF

	## Peer: Debian's mta-sts-daemon on the same MTA-STS keys (reference)

	$(dpkg-query -W -f 'postfix-mta-sts-resolver ${Version}' postfix-mta-sts-resolver 2>/dev/null || echo "not installed"),
	in-memory cache warmed (its cold run, then the sts-* domains),
	cache_grace 3600 (no TXT re-check during the run); ${PEER_KEYS:-0} keys.

	EOF
	if [ -n "$(field peer 8 rps)$(field peer 64 rps)" ]; then hits_table peer floor ""; else echo "not run (see below)"; fi
	cat <<-EOF

	## Cold: first contact with $COLD_N MTA-STS domains

	Each domain asked once (loadgen -o) over $COLD_CONC connections, world
	resolver flushed first; each domain needs its own MX (tlspolicyd's
	DANE step) and TXT lookup, TLS handshake and policy fetch.  Both use the
	world's resolver.  "answered with the policy" counts OK answers on
	first contact (tlspolicyd waits up to sts_first_fetch_wait = 5 s).
	CPU seconds over the run, from /proc/PID/stat: the daemon's own, the
	fetcher's (all its threads), nginx's workers', unbound's and nsd's;
	"machine busy" is their sum over $(nproc) × wall s.  The judged rounds
	are pinned: the client (the daemon with its fetcher, or the floor)
	alone on CPU 0, the world's servers on CPU 1; on this virtual machine
	a core's speed depends on what runs on the other one, and unpinned
	the floor's own CPU for the same contacts varied by a third between
	runs.  The -unpinned rows are extra rounds without pinning, for
	comparison.

	The floor (bench/coldfloor) is a minimal client doing only what a
	first contact needs, $COLD_CONC at a time, on the same domains and
	resolver: the _mta-sts TXT lookup, the address of mta-sts.DOMAIN, one
	TLS handshake with the chain verified against the test CA (the
	fetcher's own check, with its cache of verified chains) and one GET,
	the body read; no policy logic, one process; its CPU is its own
	(getrusage).  tlspolicyd and the floor take turns,
	${BENCH_COLD_ROUNDS:-5} rounds each (the row is the median round by
	client CPU); the peer runs once.  Target: tlspolicyd's CPU per first
	contact (daemon + fetcher) ≤ 1.3 × the floor's.

	EOF
	if grep -q '^RESULT label=cold-tlspolicyd-alt ' "$RAW"; then
		echo "tlspolicyd-alt: the same daemon with sts_fetcher = ${BENCH_ALT_FETCHER:-?},"
		echo "a candidate fix built outside the tree (not the tree's stsfetch; see why.txt)."
		echo
	fi
	if grep -q '^RESULT label=cold-' "$RAW"; then cold_table; else echo "not run (see below)"; fi
	cat <<-EOF

	## Cache hits while 200 lookups hang on a stalled resolver (conc 64)

	The bench resolver stopped (SIGSTOP), 200 connections asking for
	uncached domains (query_timeout = dns_timeout = 30 s), cached answers
	measured meanwhile; "without" is the conc-64 row of the tables above.
	The DANE keys are those answered dane-only: a plain "dane" answer
	yields to an MTA-STS policy, and the domain's "no MTA-STS" state
	expires with its NXDOMAIN (seconds in the test world); looked up
	again during the stall, it waits like any lookup (not a cache hit).

	EOF
	if [ -n "$(field dane-stalled 64 p99_us)$(field sts-stalled 64 p99_us)" ]; then stall_table; else echo "not run (see below)"; fi
	cat <<-EOF

	## Policy delegation (check_policy_service), small rules file

	tlspolicyd's policy_listen with three rules (the bench senders match
	the last and meet it: every answer DUNNO after evaluation) against
	\`floor -p\` (answers action=DUNNO).

	EOF
	if [ -n "$(field policy 8 rps)$(field policy 64 rps)" ]; then hits_table policy floor-policy policy; else echo "not run (see below)"; fi
	cat <<-EOF

	## Memory and start-up with N cached MTA-STS policies

	N valid policies in the LMDB store (bench/stsfill), tlspolicyd in an
	empty network namespace whose resolver refuses at once, each domain
	asked once: the policy is loaded into memory and answers (a DNS
	failure keeps the cached policy).  VmRSS after that, from
	/proc/PID/status; "file" is mostly LMDB's mapped pages (page cache,
	shared and reclaimable), "anon" the daemon's own memory.  Per domain
	is over the domains actually answered, and the 1 KiB target is judged
	on the anon part (the file part is the store's page cache).

	EOF
	if [ -s "$RSS_ROWS" ]; then memory_table; else echo "not run (see below)"; fi
	fleet_report
	echo
	echo "## Scenarios not run"
	echo
	if [ -s "$NOTES" ]; then
		awk -F'|' '{ printf "- **%s**: %s\n", $1, $2 }' "$NOTES"
	else
		echo "none"
	fi
}
