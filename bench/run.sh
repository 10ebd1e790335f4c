#!/bin/bash
# tlspolicyd benchmark (issue 8); see bench/README.md.
#
#   bench/run.sh            (or: make bench)
#
# Runs every scenario against the floor server (bench/floor), tlspolicyd
# and, when the test world is available, Debian's mta-sts-daemon, all in
# one run on this machine, then writes bench/results.md (table with ratios
# and targets) and bench/results.txt (raw RESULT lines).  Only loopback
# and unix sockets are used.  Every process started here is tracked by PID
# and stopped by PID; the temp dir is removed on exit.
#
# Each figure is the median of BENCH_ROUNDS runs, the servers taking turns
# run by run, so a burst of load from other users of the machine falls on
# one run, not on one server.  On 2 or more cores the load generator is
# pinned to CPU 0 and the servers to CPU 1 (BENCH_PIN=0 turns this off):
# unpinned, the scheduler sometimes puts client and server on one core
# and round trips get several times faster, which makes ratios bimodal.
#
# Environment: BENCH_SECS (2) seconds per run, BENCH_WARM (0.5) warm-up
# seconds, BENCH_ROUNDS (3), BENCH_CONCS ("1 8 64 256"), BENCH_PIN (1),
# BENCH_OUT (bench/ in the source tree) where results go, WORLD_SH
# (t/world/world.sh) the test world.
set -u

TOP_SRCDIR=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
TOP_BUILDDIR=${TOP_BUILDDIR:-$TOP_SRCDIR}
TLSPOLICYD=${TLSPOLICYD:-$TOP_BUILDDIR/policyd/tlspolicyd}
LOADGEN=$TOP_BUILDDIR/bench/loadgen
FLOOR=$TOP_BUILDDIR/bench/floor
SECS=${BENCH_SECS:-2}
WARM=${BENCH_WARM:-0.5}
ROUNDS=${BENCH_ROUNDS:-3}
PIN_GEN=()
PIN_SRV=()
if [ "${BENCH_PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
	PIN_GEN=(taskset -c 0)
	PIN_SRV=(taskset -c 1)
fi
CONCS=${BENCH_CONCS:-1 8 64 256}
OUT=${BENCH_OUT:-$TOP_SRCDIR/bench}
WORLD_SH=${WORLD_SH:-$TOP_SRCDIR/t/world/world.sh}

for f in "$TLSPOLICYD" "$LOADGEN" "$FLOOR"; do
	[ -x "$f" ] || { echo "run.sh: $f missing: run make bench" >&2; exit 2; }
done

T=$(mktemp -d /tmp/tlspol-bench.XXXXXX)
chmod 755 "$T"
PIDS=()
RAW=$T/results.txt
: > "$RAW"

# Stop one process by PID: TERM, bounded wait, then KILL.
stop_pid() {
	local pid=$1
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		stop_pid "$pid"
	done
	[ -n "${WORLD_UP:-}" ] && WORLD_DIR=$T/world "$WORLD_SH" down >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

say() { printf '%s\n' "$*" >&2; }

# ---------------------------------------------------------------- machine
MACHINE="$(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(free -g | awk '/^Mem:/ {print $2 " GiB RAM"}'), Linux $(uname -r), $(. /etc/os-release && echo "$PRETTY_NAME")"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
REV=$(git -C "$TOP_SRCDIR" rev-parse --short HEAD 2>/dev/null || echo unknown)
say "machine: $MACHINE; load $LOAD_BEFORE"

# ---------------------------------------------------------------- helpers
# gen_overrides N FILE: N override entries d1.bench.test .. dN.bench.test
gen_overrides() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++)
		printf "d%d.bench.test encrypt protocols=>=TLSv1.2\n", i }' > "$2"
}

# gen_keys N FILE: the N keys matching gen_overrides
gen_keys() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) printf "d%d.bench.test\n", i }' > "$2"
}

# write_conf NAME OVERRIDES: tlspolicyd config in $T/NAME.conf, socket
# $T/NAME.sock, logging off the hot path.
write_conf() {
	local user=
	[ "$(id -u)" = 0 ] && getent passwd tlspolicyd >/dev/null && user=tlspolicyd
	mkdir -p "$T/$1.state"
	cat > "$T/$1.conf" <<-CONF
	socketmap_listen = unix:$T/$1.sock
	socketmap_group =
	socketmap_mode = 0666
	control_listen = unix:$T/$1.ctl
	postfix_queue_directory =
	overrides_file = $2
	state_directory = $T/$1.state
	user = $user
	log_level = notice
	max_connections = 2000
	CONF
}

# wait_answer ADDR KEYS: block until the server answers one request (30 s).
wait_answer() {
	"$LOADGEN" -c 1 -n 1 -w 0 -d 30 -k "$2" "$1" >/dev/null 2>&1
}

# start_daemon NAME: start tlspolicyd in the foreground, PID in DPID.
start_daemon() {
	"${PIN_SRV[@]}" "$TLSPOLICYD" -f -c "$T/$1.conf" > "$T/$1.log" 2>&1 &
	DPID=$!
	PIDS+=("$DPID")
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# measure LABEL ADDR KEYS CONC [loadgen options]: one closed-loop run,
# RESULT line appended to the raw file, echoed to stderr.
measure() {
	local label=$1 addr=$2 keys=$3 conc=$4 line
	shift 4
	line=$("${PIN_GEN[@]}" "$LOADGEN" -l "$label" -c "$conc" -d "$SECS" -w "$WARM" -k "$keys" \
		"$@" "$addr" 2>&1 | grep '^RESULT')
	[ -n "$line" ] || line="RESULT label=$label conc=$conc failed=1"
	printf '%s\n' "$line" >> "$RAW"
	say "$line"
}

# medians: for each label and concurrency, the run with the median rps
# (its latencies come along), into $MEDIAN.
MEDIAN=$T/median.txt
medians() {
	awk '{ k = ""; r = 0
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^(label|conc)=/) k = k " " $i
			if ($i ~ /^rps=/) r = substr($i, 5) + 0 }
		n[k]++; line[k, n[k]] = $0; rps[k, n[k]] = r }
	END { for (k in n) {
		for (i = 1; i <= n[k]; i++) idx[i] = i
		for (i = 1; i <= n[k]; i++) for (j = i + 1; j <= n[k]; j++)
			if (rps[k, idx[j]] < rps[k, idx[i]]) { t = idx[i]; idx[i] = idx[j]; idx[j] = t }
		print line[k, idx[int((n[k] + 1) / 2)]] } }' "$RAW" > "$MEDIAN"
}

# field LABEL CONC NAME: a field of the median RESULT line
field() {
	awk -v l="label=$1" -v c="conc=$2" -v f="$3" '
		{ hl = hc = 0; for (i = 1; i <= NF; i++) { if ($i == l) hl = 1; if ($i == c) hc = 1 } }
		hl && hc { for (i = 1; i <= NF; i++) if (index($i, f "=") == 1) v = substr($i, length(f) + 2) }
		END { print v }' "$MEDIAN"
}

# Notes for the results: "name|text" lines.
NOTES=$T/notes
: > "$NOTES"
note() { printf '%s|%s\n' "$1" "$2" >> "$NOTES"; }

# ---------------------------------------------------------------- set-up
N_HIT=10000
gen_overrides "$N_HIT" "$T/ovr-hit"
gen_keys "$N_HIT" "$T/keys-hit"
write_conf hit "$T/ovr-hit"

"${PIN_SRV[@]}" "$FLOOR" "unix:$T/floor.sock" 2> "$T/floor.log" &
FPID=$!
PIDS+=("$FPID")
start_daemon hit
HPID=$DPID
wait_answer "unix:$T/floor.sock" "$T/keys-hit" || { say "floor server did not answer"; exit 1; }
wait_answer "unix:$T/hit.sock" "$T/keys-hit" || { say "tlspolicyd did not answer"; cat "$T/hit.log" >&2; exit 1; }

# ---------------------------------------------------------------- peer
# Debian's mta-sts-daemon needs policies it can fetch: only the test world
# has them.  PEER_ADDR and PEER_KEYS are set when it is up and warm.
PEER_ADDR=
PEER_WHY=
peer_setup() {
	if [ ! -x "$WORLD_SH" ]; then
		PEER_WHY="needs the test world (t/world/world.sh, not merged yet)"
		return 1
	fi
	if ! command -v mta-sts-daemon >/dev/null; then
		if [ "$(id -u)" = 0 ]; then
			apt-get install -y -q postfix-mta-sts-resolver >/dev/null 2>&1
		fi
		command -v mta-sts-daemon >/dev/null || {
			PEER_WHY="mta-sts-daemon (apt package postfix-mta-sts-resolver) not installed"
			return 1; }
	fi
	export WORLD_DIR=$T/world
	if ! "$WORLD_SH" up > "$T/world-up.log" 2>&1; then
		PEER_WHY="the test world did not come up (see world.sh up)"
		return 1
	fi
	WORLD_UP=1
	# shellcheck disable=SC1091
	. "$WORLD_DIR/world.env"
	# The enforce/testing policies that fetch cleanly in the world.
	awk '$2 == "ok" {print $1}' "$(dirname "$WORLD_SH")/https.tsv" > "$T/keys-peer"
	[ -s "$T/keys-peer" ] || { PEER_WHY="no fetchable MTA-STS domain in the world"; return 1; }
	cat > "$T/peer.yml" <<-YML
	path: $T/peer.sock
	mode: 0666
	shutdown_timeout: 1
	cache:
	  type: internal
	  options:
	    cache_size: 10000
	default_zone:
	  strict_testing: false
	  timeout: 4
	YML
	SSL_CERT_FILE=$WORLD_CA "${PIN_SRV[@]}" "$WORLD_SH" exec mta-sts-daemon -c "$T/peer.yml" \
		> "$T/peer.log" 2>&1 &
	PPID_PEER=$!
	PIDS+=("$PPID_PEER")
	wait_answer "unix:$T/peer.sock" "$T/keys-peer" || {
		PEER_WHY="mta-sts-daemon did not answer (see its log)"; return 1; }
	# Warm its cache: ask for every domain once with postmap and keep the
	# ones that have a policy, so the measured lookups are all cache hits.
	command -v postmap >/dev/null || { PEER_WHY="postmap (Postfix) not installed"; return 1; }
	mkdir -p "$T/postfix"
	printf 'compatibility_level = 3.6\n' > "$T/postfix/main.cf"
	mv "$T/keys-peer" "$T/keys-peer.all"
	while read -r k; do
		v=$(timeout 10 postmap -c "$T/postfix" -q "$k" "socketmap:unix:$T/peer.sock:postfix" 2>/dev/null)
		[ -n "$v" ] && printf '%s\n' "$k" >> "$T/keys-peer"
		printf '%s\t%s\n' "$k" "${v:-(none)}" >> "$T/peer-warm"
	done < "$T/keys-peer.all"
	[ -s "$T/keys-peer" ] || { PEER_WHY="mta-sts-daemon found no policy in the test world"; return 1; }
	PEER_ADDR=unix:$T/peer.sock
	PEER_KEYS=$(wc -l < "$T/keys-peer")
}
peer_setup || note peer "not run: $PEER_WHY"

# ---------------------------------------------------------------- cache hits
for r in $(seq "$ROUNDS"); do
	for c in $CONCS; do
		measure floor "unix:$T/floor.sock" "$T/keys-hit" "$c"
		measure override "unix:$T/hit.sock" "$T/keys-hit" "$c"
		[ -n "$PEER_ADDR" ] && measure peer "$PEER_ADDR" "$T/keys-peer" "$c" -m postfix
	done
done
HIT_RSS=$(rss_kib "$HPID")

# Cached DANE results and cached MTA-STS policies: the same measurement,
# once those sources exist (keys: domains whose answer is in the cache).
note dane-hit "not run: no DANE source in tlspolicyd yet"
note sts-hit "not run: no MTA-STS cache in tlspolicyd yet"

# ---------------------------------------------------------------- stalled resolver
# 200 lookups that hang on a stalled resolver, then cache hits again.  The
# hanging clients ask for domains tlspolicyd does not know; if they are
# answered at once, nothing is stuck and the scenario does not apply yet.
stall_scenario() {
	gen_keys 200 "$T/keys-unknown.tmp"
	sed 's/^/unknown-/' "$T/keys-unknown.tmp" > "$T/keys-unknown"
	"$LOADGEN" -l hang -c 200 -n 1 -w 0 -d 2 -t 0 -k "$T/keys-unknown" \
		"unix:$T/hit.sock" > "$T/hang-probe" 2>&1
	if ! grep -q ' reqs=0 ' "$T/hang-probe"; then
		note stall "not run: unknown domains are answered at once (no DNS lookups in tlspolicyd yet), so nothing can hang on a stalled resolver"
		return
	fi
	# Reached once DNS lookups exist: keep 200 hanging for the whole run.
	"$LOADGEN" -l hang -c 200 -d $((SECS + WARM + 5)) -w 0 -t 0 \
		-k "$T/keys-unknown" "unix:$T/hit.sock" > "$T/hang.log" 2>&1 &
	PIDS+=("$!")
	sleep 1
	measure stalled "unix:$T/hit.sock" "$T/keys-hit" 64
	# report.sh compares its p99 with override at 64 (target < 2x).
}
if [ -x "$WORLD_SH" ]; then
	stall_scenario
else
	note stall "not run: needs DNS lookups in tlspolicyd and the test world's stallable resolver"
fi

# ---------------------------------------------------------------- cold MTA-STS
note cold "not run: needs the MTA-STS source (stsfetch) and 1,000 MTA-STS domains in the test world"

# ---------------------------------------------------------------- policy
# Inbound: loadgen -p policy against tlspolicyd's policy service and
# floor -p, once the daemon has one.
note policy "not run: tlspolicyd has no policy delegation service yet (loadgen -p policy and floor -p are ready)"

# ---------------------------------------------------------------- memory
stop_pid "$HPID"
RSS_ROWS=$T/rss
: > "$RSS_ROWS"
# Start-up is exec to first answer; RSS is read then.  Each size is
# started ROUNDS times and the median start-up kept.
for n in 0 10000 100000 1000000; do
	gen_overrides "$n" "$T/ovr-$n"
	write_conf "m$n" "$T/ovr-$n"
	: > "$T/m$n.rows"
	for r in $(seq "$ROUNDS"); do
		t0=$(date +%s%N)
		start_daemon "m$n"
		if wait_answer "unix:$T/m$n.sock" "$T/keys-hit"; then
			t1=$(date +%s%N)
			rss=$(rss_kib "$DPID")
			ms=$(( (t1 - t0) / 1000000 ))
			printf '%s %s %s\n' "$n" "$rss" "$ms" >> "$T/m$n.rows"
			printf 'RESULT label=rss overrides=%s rss_kib=%s startup_ms=%s\n' \
				"$n" "$rss" "$ms" >> "$RAW"
			say "overrides $n: RSS $rss KiB, first answer after $ms ms"
		else
			say "tlspolicyd with $n overrides did not answer"; cat "$T/m$n.log" >&2
		fi
		stop_pid "$DPID"
	done
	sort -n -k3 "$T/m$n.rows" | awk '{ l[NR] = $0 } END { if (NR) print l[int((NR + 1) / 2)] }' >> "$RSS_ROWS"
	rm -f "$T/ovr-$n"
done

# ---------------------------------------------------------------- report
medians
. "$(dirname "$0")/report.sh"
write_report > "$T/results.md"
cp "$T/results.md" "$OUT/results.md"
cp "$RAW" "$OUT/results.txt"
say "wrote $OUT/results.md and $OUT/results.txt"
cat "$OUT/results.md"
