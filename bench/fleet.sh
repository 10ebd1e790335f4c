# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# The fleet store scenarios of bench/run.sh (issue 18; sourced, uses its
# helpers and variables): a real redis-server in the test world, and
#
#   sts-redis    cache hits on a tlspolicyd with policy_store = redis,
#                measured in the cache-hit rounds beside floor and
#   sts-twin     the same daemon, configured and warmed alike, with the
#                LMDB store: the two ratios to floor must agree within
#                0.05 (the sts rows come from a daemon that also holds
#                the DANE results and runs with the stall settings);
#                measured alone, back to back, and together (rows
#                sts-redis-pair, sts-twin-pair), which judges
#   fleet-cold   two relays on one Redis, empty, each asked for all
#                COLD_N bulk domains at once: nginx's access log must show
#                exactly one GET per domain; throughput in domains a second
#
# BENCH_ONLY=fleet runs only these (and the floor and sts rows they are
# compared with) and splices their section into the existing results.md
# and results.txt instead of rewriting them.

FLEET_REDIS=127.0.0.33	# free in the world (.30-.40; the tests use .32)
FLEET_URL=redis://$FLEET_REDIS:6379/0
FLEET_ADDR=
FLEET_WHY=
FLEET_PIDS=()

fleet_cli() { ip netns exec "$WORLD_NETNS" redis-cli -h "$FLEET_REDIS" "$@" 2>&1; }

# fleet_conf NAME RESOLVER: a world daemon config sharing the bench Redis
fleet_conf() {
	world_conf "$1" "$2"
	printf 'policy_store = redis\nredis_url = %s\n' "$FLEET_URL" >> "$T/$1.conf"
}

# fleet_daemon NAME CONF-FUNCTION: start and warm one hit daemon; its
# address in FADDR
fleet_daemon() {
	"$2" "$1" "$BENCH_RESOLVER"
	start_daemon_in "$WORLD_NETNS" "$1"
	FLEET_PIDS+=("$DPID")
	wait_answer "unix:$T/$1.sock" "$T/keys-hit" || { FLEET_WHY="tlspolicyd $1 did not answer"; return 1; }
	# The same keys as the sts rows; first contact may wait for a fetch.
	"$LOADGEN" -o -c 64 -w 0 -d 60 -t 30000 -k "$T/keys-sts" "unix:$T/$1.sock" >/dev/null 2>&1
	"$LOADGEN" -o -c 64 -w 0 -d 60 -t 30000 -k "$T/keys-sts" "unix:$T/$1.sock" 2>&1 |
		grep -q "^RESULT.* ok=$(wc -l < "$T/keys-sts") " ||
		{ FLEET_WHY="tlspolicyd $1 did not answer every sts key with its policy"; return 1; }
}

fleet_setup() {
	command -v redis-server >/dev/null || { FLEET_WHY="redis-server not installed"; return 1; }
	ip netns exec "$WORLD_NETNS" redis-server --bind "$FLEET_REDIS" --port 6379 \
		--save '' --appendonly no --dir "$T" --logfile "$T/redis.log" &
	PIDS+=("$!")
	for _ in $(seq 100); do [ "$(fleet_cli PING)" = PONG ] && break; sleep 0.1; done
	[ "$(fleet_cli PING)" = PONG ] || { FLEET_WHY="redis-server did not answer"; return 1; }
	fleet_daemon fleet fleet_conf && fleet_daemon twin world_conf || return 1
	FLEET_ADDR=unix:$T/fleet.sock
}

# fleet_measure CONC ROUND: the two hit rows, back to back, which one
# first alternating by round (a drift of the machine's speed then falls on
# both alike)
fleet_measure() {
	if [ $(($2 % 2)) = 1 ]; then
		measure sts-redis "$FLEET_ADDR" "$T/keys-sts" "$1"
		measure sts-twin "unix:$T/twin.sock" "$T/keys-sts" "$1"
	else
		measure sts-twin "unix:$T/twin.sock" "$T/keys-sts" "$1"
		measure sts-redis "$FLEET_ADDR" "$T/keys-sts" "$1"
	fi
	fleet_pair "$1"
}

# fleet_pair CONC: the two relays measured at the same time, a loadgen
# each (both on the load generator's CPU, both daemons on the servers'
# CPU, which they share): whatever the machine does then, it does to
# both, so their req/s ratio is the inverse ratio of their costs per hit.
# Rows sts-redis-pair and sts-twin-pair.
fleet_pair() {
	local a b
	"${PIN_GEN[@]}" "$LOADGEN" -l sts-redis-pair -c "$1" -d "$SECS" -w "$WARM" \
		-k "$T/keys-sts" "$FLEET_ADDR" > "$T/pair-r" 2>&1 &
	a=$!
	"${PIN_GEN[@]}" "$LOADGEN" -l sts-twin-pair -c "$1" -d "$SECS" -w "$WARM" \
		-k "$T/keys-sts" "unix:$T/twin.sock" > "$T/pair-t" 2>&1 &
	b=$!
	wait "$a" "$b"
	grep -h '^RESULT' "$T/pair-r" "$T/pair-t" | tee -a "$RAW" >&2
}

# Shared by fleet_pairs and fleet_diffs (awk, over $RAW): val(F) is field
# F= of the line, at_conc(C) whether it is a run at concurrency C, and
# by_round(A, N, FMT) prints A[1..N] in round order, each with FMT, then
# "|" and their median.
FLEET_AWK='
	function val(f,  i) { for (i = 1; i <= NF; i++) if (index($i, f "=") == 1) return substr($i, length(f) + 2) + 0; return 0 }
	function at_conc(c,  i) { for (i = 1; i <= NF; i++) if ($i == c) return 1; return 0 }
	function by_round(a, n, fmt,  i, j, s, t) {
		for (i = 1; i <= n; i++) s = s sprintf("%s" fmt, i > 1 ? " " : "", a[i])
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		if (n) printf "%s|%.4f\n", s, (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
'

# fleet_pairs CONC: sts-redis-pair / sts-twin-pair req/s of every round,
# then their median: "q1 q2 ...|median".
fleet_pairs() {
	awk -v c="conc=$1" "$FLEET_AWK"'
		!at_conc(c) { next }
		$2 == "label=sts-redis-pair" { re[++nr] = val("rps") }
		$2 == "label=sts-twin-pair" { tw[++nt] = val("rps") }
		END { n = nr < nt ? nr : nt
			for (i = 1; i <= n; i++) q[i] = tw[i] > 0 ? re[i] / tw[i] : 0
			by_round(q, n, "%.3f") }' "$RAW"
}

# fleet_diffs CONC: for each round, (sts-redis - sts-twin) / floor from
# that round's own three runs, then their median: "d1 d2 ...|median".
# Pairing by round takes out the round-to-round swings that separate
# medians of each row keep.
fleet_diffs() {
	awk -v c="conc=$1" "$FLEET_AWK"'
		!at_conc(c) { next }
		$2 == "label=floor" { fl[++nf] = val("rps") }
		$2 == "label=sts-twin" { tw[++nt] = val("rps") }
		$2 == "label=sts-redis" { re[++nr] = val("rps") }
		END { n = nr < nt ? nr : nt; if (nf < n) n = nf
			for (i = 1; i <= n; i++) d[i] = fl[i] > 0 ? (re[i] - tw[i]) / fl[i] : 0
			by_round(d, n, "%+.2f") }' "$RAW"
}

fleet_stop() {
	local p
	for p in "${FLEET_PIDS[@]}"; do stop_pid "$p"; done
}

# nginx_gets OFFSET: "DOMAIN COUNT" of the bulk policy GETs past OFFSET
nginx_gets() {
	tail -c +$(($1 + 1)) "$WORLD_NGINX_LOG" |
		awk '/"GET \/.well-known\/mta-sts.txt HTTP/ { for (i = 1; i <= NF; i++)
			if ($i ~ /^mta-sts\..*\.bulk\.test$/) n[substr($i, 9)]++ }
			END { for (d in n) print d, n[d] }'
}

fleet_cold() {
	local a b off t0 t1 la lb counts r
	local -A pid
	fleet_cli FLUSHALL >/dev/null
	for r in fleet-a fleet-b; do
		rm -rf "$T/$r.state"
		fleet_conf "$r" "$WORLD_RESOLVER"
		start_daemon_in "$WORLD_NETNS" "$r"
		pid[$r]=$DPID
		wait_answer "unix:$T/$r.sock" "$T/keys-hit" || { note fleet-cold "not run: relay $r did not answer"; return; }
	done
	"$WORLD_SH" flush-resolver >/dev/null 2>&1
	off=$(stat -c %s "$WORLD_NGINX_LOG")
	t0=$(date +%s%N)
	"${PIN_GEN[@]}" "$LOADGEN" -o -l fleet-a -c "$COLD_CONC" -w 0 -d 120 -t 60000 \
		-k "$T/keys-bulk" "unix:$T/fleet-a.sock" > "$T/fleet-a.out" 2>&1 &
	a=$!
	"${PIN_GEN[@]}" "$LOADGEN" -o -l fleet-b -c "$COLD_CONC" -w 0 -d 120 -t 60000 \
		-k "$T/keys-bulk" "unix:$T/fleet-b.sock" > "$T/fleet-b.out" 2>&1 &
	b=$!
	wait "$a" "$b"
	t1=$(date +%s%N)
	# Every domain's policy: wait (bounded) until both relays hold it.
	for _ in $(seq 300); do
		la=$("$LOADGEN" -o -c 16 -w 0 -d 60 -k "$T/keys-bulk" "unix:$T/fleet-a.sock" 2>&1 | grep -o ' ok=[0-9]*')
		lb=$("$LOADGEN" -o -c 16 -w 0 -d 60 -k "$T/keys-bulk" "unix:$T/fleet-b.sock" 2>&1 | grep -o ' ok=[0-9]*')
		[ "$la" = " ok=$COLD_N" ] && [ "$lb" = " ok=$COLD_N" ] && break
		sleep 0.2
	done
	counts=$(nginx_gets "$off")
	printf 'RESULT label=fleet-cold domains=%s relays=2 wall_s=%s rate=%s gets=%s once=%s more=%s never=%s held_a=%s held_b=%s\n' \
		"$COLD_N" "$(calc_ "($t1 - $t0) / 1e9")" "$(calc_ "$COLD_N / (($t1 - $t0) / 1e9)")" \
		"$(echo "$counts" | awk '{ s += $2 } END { print s + 0 }')" \
		"$(echo "$counts" | awk '$2 == 1' | wc -l)" "$(echo "$counts" | awk '$2 > 1' | wc -l)" \
		"$((COLD_N - $(echo "$counts" | grep -c .)))" "${la# ok=}" "${lb# ok=}" | tee -a "$RAW" >&2
	stop_pid "${pid[fleet-a]}"
	stop_pid "${pid[fleet-b]}"
}

# The report section (report.sh's helpers).
fleet_report() {
	local c f s r rs rr d dd pp ok line
	cat <<-EOF

	## Fleet store (policy_store = redis)
	${FLEET_SPLICED:+
	$FLEET_SPLICED
	}
	Cache hits on MTA-STS keys with \`policy_store = redis\` (a real
	redis-server in the world; the in-memory cache answers, Redis is not
	touched) against a twin daemon, configured and warmed alike, with the
	LMDB store, each as a ratio to floor in the same rounds.  Target: the
	two ratios within 0.05.

	Measured two ways in each round.  Alone, back to back (which one first
	alternates): each one's ratio to that round's floor, and their
	difference round by round.  On this machine those differences swing
	by 0.2 either way from round to round, more than the target, so the
	verdict comes from the second way: both at the same time, a load
	generator each, the two daemons sharing the servers' CPU, so that
	whatever the machine does it does to both; the ratio of their req/s
	(redis / twin) is the inverse ratio of their costs per hit, and the
	difference of the ratios to floor it implies is the twin's ratio ×
	(redis / twin − 1).

	EOF
	echo "| conc | floor req/s | twin (lmdb) req/s | ratio | sts-redis req/s | ratio | alone: difference by round (median) | together: redis / twin by round | median | implied difference |"
	echo "|---:|---:|---:|---:|---:|---:|---|---|---:|---|"
	for c in $CONCS; do
		f=$(field floor "$c" rps); s=$(field sts-twin "$c" rps); r=$(field sts-redis "$c" rps)
		dd=$(fleet_diffs "$c"); pp=$(fleet_pairs "$c")
		if [ -z "$f" ] || [ -z "$s" ] || [ -z "$r" ] || [ "$f" = 0 ] || [ -z "$dd" ] || [ -z "$pp" ]; then
			echo "| $c | ${f:-—} | ${s:-—} | | ${r:-—} | | | | | not run |"
			continue
		fi
		rs=$(calc "$s / $f"); rr=$(calc "$r / $f")
		d=$(calc "$rs * (${pp#*|} - 1)")
		ok=$(calc "($d <= 0.05 && $d >= -0.05) ? 1 : 0")
		printf '| %s | %s | %s | %.2f | %s | %.2f | %s (%+.2f) | %s | %.3f | %+.3f %s |\n' "$c" "$f" "$s" "$rs" "$r" "$rr" \
			"${dd%|*}" "${dd#*|}" "${pp%|*}" "${pp#*|}" "$d" \
			"$(verdict "$ok" "$(calc "$d * 100" | cut -d. -f1) points" "fleet-hit-$c")"
	done
	cat <<-EOF

	Two relays sharing one empty Redis, each asked for all $COLD_N bulk
	MTA-STS domains at the same time (loadgen -o, concurrency $COLD_CONC
	each): GETs counted in nginx's access log.  Target: every domain
	fetched exactly once.

	EOF
	line=$(grep '^RESULT label=fleet-cold ' "$RAW" | tail -1)
	if [ -z "$line" ]; then
		echo "not run (see below)"
		return
	fi
	ok=$(calc "($(kv "$line" once) == $(kv "$line" domains)) ? 1 : 0")
	echo "| domains | GETs | fetched once | more than once | never | wall s | domains/s | both relays answer with the policy | verdict |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---|---|"
	printf '| %s | %s | %s | %s | %s | %s | %s | %s / %s | %s |\n' "$(kv "$line" domains)" \
		"$(kv "$line" gets)" "$(kv "$line" once)" "$(kv "$line" more)" "$(kv "$line" never)" \
		"$(kv "$line" wall_s)" "$(kv "$line" rate)" "$(kv "$line" held_a)" "$(kv "$line" held_b)" \
		"$(verdict "$ok" "$(kv "$line" more) fetched again, $(kv "$line" never) never" fleet-cold)"
}

# BENCH_ONLY=fleet: put the section into the existing results.md (before
# "## Scenarios not run", replacing an earlier one) and the raw lines at
# the end of results.txt.
fleet_publish() {
	FLEET_SPLICED="This section alone: BENCH_ONLY=fleet, run $(date -u '+%Y-%m-%d %H:%M') UTC, commit $(git -C "$TOP_SRCDIR" rev-parse --short HEAD 2>/dev/null || echo '?')."
	fleet_report > "$T/fleet.md"
	[ -f "$OUT/results.md" ] || : > "$OUT/results.md"
	awk -v sec="$T/fleet.md" '
		/^## Fleet store/ { skip = 1; next }
		skip && /^## / { skip = 0 }
		/^## Scenarios not run/ && !done { while ((getline l < sec) > 0) print l; print ""; done = 1 }
		!skip { print }
		END { if (!done) while ((getline l < sec) > 0) print l }' "$OUT/results.md" > "$T/results.md"
	cp "$T/results.md" "$OUT/results.md"
	grep -E '^RESULT label=(floor|sts-twin|sts-redis|sts-twin-pair|sts-redis-pair|fleet-cold) ' "$RAW" >> "$OUT/results.txt"
	say "spliced the fleet section into $OUT/results.md"
	cat "$T/fleet.md"
}
