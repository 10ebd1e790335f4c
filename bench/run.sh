#!/bin/bash
# SPDX-License-Identifier: MIT
# tlspolicyd benchmark (issue 8); see bench/README.md.
#
#   bench/run.sh            (or: make bench)
#
# Runs every scenario against the floor server (bench/floor), tlspolicyd
# and Debian's mta-sts-daemon (the peer), all in one run on this machine,
# then writes bench/results.md (tables with ratios and targets) and
# bench/results.txt (raw RESULT lines).  The DANE, MTA-STS, stall and cold
# scenarios run in a private test world (t/world/world.sh, as root) that
# bench/world-bench.sh extends with 1,000 MTA-STS domains; the memory
# scenario runs tlspolicyd in an empty network namespace.  Only loopback,
# unix sockets and the world's namespace are used.  Every process started
# here is tracked by PID and stopped by PID; the temp dir is removed on
# exit.
#
# Each figure is the median of BENCH_ROUNDS runs, the servers taking turns
# run by run, so a burst of load from other users of the machine falls on
# one run, not on one server.  On 2 or more cores the load generator is
# pinned to CPU 0 and the servers to CPU 1 (BENCH_PIN=0 turns this off):
# unpinned, the scheduler sometimes puts client and server on one core
# and round trips get several times faster, which makes ratios bimodal.
#
# Environment: BENCH_SECS (2) seconds per run, BENCH_WARM (0.5) warm-up
# seconds, BENCH_ROUNDS (5), BENCH_CONCS ("1 8 64 256"), BENCH_PIN (1),
# BENCH_OUT (bench/ in the source tree) where results go, WORLD_SH
# (t/world/world.sh) the test world, BENCH_COLD_N (1000) MTA-STS domains
# for the cold scenario, BENCH_COLD_CONC (100) its concurrency,
# BENCH_COLD_ROUNDS (5) its pinned runs of tlspolicyd and the cold floor,
# BENCH_COLD_UNPINNED_ROUNDS (3) its unpinned ones (reported, not judged),
# BENCH_MEM_SIZES ("10000 100000 1000000") cached domains for the memory
# scenario, BENCH_ALT_FETCHER (unset) a second stsfetch binary whose cold
# rate is reported too (to measure a candidate fix), BENCH_ONLY=fleet only
# the fleet store rows (bench/fleet.sh), spliced into the existing results,
# BENCH_ONLY=cold the cold scenario alone (without the peer; rows on
# stdout, no report).
set -u

TOP_SRCDIR=${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
TOP_BUILDDIR=${TOP_BUILDDIR:-$TOP_SRCDIR}
TLSPOLICYD=${TLSPOLICYD:-$TOP_BUILDDIR/policyd/tlspolicyd}
LOADGEN=$TOP_BUILDDIR/bench/loadgen
FLOOR=$TOP_BUILDDIR/bench/floor
STSFILL=$TOP_BUILDDIR/bench/stsfill
COLDFLOOR=$TOP_BUILDDIR/bench/coldfloor
STSFETCH=${STSFETCH:-$TOP_BUILDDIR/stsfetch/stsfetch}
SECS=${BENCH_SECS:-2}
WARM=${BENCH_WARM:-0.5}
ROUNDS=${BENCH_ROUNDS:-5}
PIN_GEN=()
PIN_SRV=()
PIN_SRV_NOW=()	# what start_daemon_in and peer_start use: PIN_SRV, or () (cold)
if [ "${BENCH_PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
	PIN_GEN=(taskset -c 0)
	PIN_SRV=(taskset -c 1)
	PIN_SRV_NOW=(taskset -c 1)
fi
CONCS=${BENCH_CONCS:-1 8 64 256}
OUT=${BENCH_OUT:-$TOP_SRCDIR/bench}
WORLD_SH=${WORLD_SH:-$TOP_SRCDIR/t/world/world.sh}

for f in "$TLSPOLICYD" "$LOADGEN" "$FLOOR" "$STSFILL" "$COLDFLOOR"; do
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
	if [ -n "${BENCH_KEEP:-}" ]; then
		say "kept $T (BENCH_KEEP)"
	else
		rm -rf "$T"
	fi
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
	[ -n "$user" ] && chown "$user" "$T/$1.state"
	return 0
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


# start_daemon_in NETNS NAME: the same inside the world's namespace.
# ip netns exec execs the daemon, so $! is the daemon itself.
start_daemon_in() {
	"${PIN_SRV_NOW[@]}" ip netns exec "$1" "$TLSPOLICYD" -f -c "$T/$2.conf" > "$T/$2.log" 2>&1 &
	DPID=$!
	PIDS+=("$DPID")
}

# cpu_ticks PID...: user + system clock ticks of these processes and all
# their descendants (threads included), from /proc/PID/stat.
cpu_ticks() {
	grep -s '' /proc/[0-9]*/stat | awk -v roots=" $* " '
		{ pid = $0; sub(/^\/proc\//, "", pid); sub(/\/stat:.*/, "", pid)
		  sub(/.*\) /, ""); ppid[pid] = $2; t[pid] = $12 + $13 }
		END { n = split(roots, r, " "); for (i = 1; i <= n; i++) in_set[r[i]] = 1
		  do { ch = 0; for (p in ppid) if (!(p in in_set) && (ppid[p] in in_set)) { in_set[p] = 1; ch = 1 } } while (ch)
		  for (p in in_set) s += t[p]; print s + 0 }'
}
HZ=$(getconf CLK_TCK)

# cpu_own PID: user + system clock ticks of this process (all its threads),
# not its children.
cpu_own() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# vm KEY PID: a /proc/PID/status field in KiB (VmRSS, RssAnon, RssFile)
vm() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$2/status"; }

# postmap_q ADDR KEY: the socketmap answer, as Postfix sees it
postmap_q() {
	timeout 10 postmap -c "$T/postfix" -q "$2" "socketmap:$1:tlspolicy" 2>/dev/null
}

# ---------------------------------------------------------------- set-up
: > "$T/empty"
mkdir -p "$T/postfix"
printf 'compatibility_level = 3.6\n' > "$T/postfix/main.cf"
N_HIT=10000
gen_overrides "$N_HIT" "$T/ovr-hit"
gen_keys "$N_HIT" "$T/keys-hit"
write_conf hit "$T/ovr-hit"
# Policy delegation on the same daemon: a small rules file; the bench
# senders (dN.bench.test) match the third rule and meet it (loadgen sends
# TLSv1.3 with a 256-bit cipher), so every answer is DUNNO after the rules
# were evaluated.
cat > "$T/inbound.rules" <<-RULES
partner-tls     sender_domain=partner.example,.partner.example
                require=tls min_protocol=TLSv1.2 action=defer
internal        client_address=10.0.0.0/8,192.168.0.0/16
bench-senders   sender_domain=.bench.test require=tls min_protocol=TLSv1.2
                min_keysize=128 action=reject
RULES
cat >> "$T/hit.conf" <<-CONF
policy_listen = unix:$T/hit-policy.sock
policy_group =
policy_mode = 0666
inbound_rules_file = $T/inbound.rules
dane_enable = no
sts_enable = no
CONF

"${PIN_SRV[@]}" "$FLOOR" "unix:$T/floor.sock" 2> "$T/floor.log" &
PIDS+=("$!")
"${PIN_SRV[@]}" "$FLOOR" -p "unix:$T/floor-policy.sock" 2> "$T/floor-policy.log" &
PIDS+=("$!")
start_daemon hit
HPID=$DPID
wait_answer "unix:$T/floor.sock" "$T/keys-hit" || { say "floor server did not answer"; exit 1; }
wait_answer "unix:$T/hit.sock" "$T/keys-hit" || { say "tlspolicyd did not answer"; cat "$T/hit.log" >&2; exit 1; }
POLICY_OK=
if "$LOADGEN" -p policy -c 1 -n 1 -w 0 -d 10 -k "$T/keys-hit" "unix:$T/hit-policy.sock" 2>&1 |
	grep -q '^RESULT.* dunno=1 '; then
	POLICY_OK=1
else
	note policy "not run: tlspolicyd's policy service did not answer DUNNO (see its log)"
fi

# ---------------------------------------------------------------- world
# WORLD_WHY says why the world scenarios cannot run.
WORLD_WHY=
BENCH_RESOLVER=127.0.0.39	# free in the world (t/world/README.md: .30-.40)
COLD_N=${BENCH_COLD_N:-1000}
COLD_CONC=${BENCH_COLD_CONC:-100}
world_setup() {
	[ -x "$WORLD_SH" ] || { WORLD_WHY="no test world ($WORLD_SH)"; return 1; }
	[ "$(id -u)" = 0 ] || { WORLD_WHY="the test world needs root"; return 1; }
	command -v postmap >/dev/null || { WORLD_WHY="postmap (Postfix) not installed"; return 1; }
	export WORLD_DIR=$T/world
	say "world: up"
	if ! "$WORLD_SH" up > "$T/world-up.log" 2>&1; then
		WORLD_WHY="the test world did not come up: $(tail -1 "$T/world-up.log")"
		return 1
	fi
	WORLD_UP=1
	# shellcheck disable=SC1091
	. "$WORLD_DIR/world.env"
	# shellcheck source=bench/world-bench.sh
	. "$(dirname "$0")/world-bench.sh"
	say "world: $COLD_N MTA-STS domains in bulk.test"
	bulk_world "$COLD_N" "$T/keys-bulk" || { WORLD_WHY="adding the bulk MTA-STS domains failed"; return 1; }
	bench_resolver_start "$BENCH_RESOLVER" || { WORLD_WHY="the bench resolver did not start"; return 1; }
	PIDS+=("$(bench_resolver_pid)")
}
world_setup || say "world scenarios not run: $WORLD_WHY"

# world_conf NAME RESOLVER [FETCHER]: a daemon config for the world
world_conf() {
	write_conf "$1" "$T/empty"
	cat >> "$T/$1.conf" <<-CONF
	dns_resolvers = $2
	sts_fetcher = ${3:-$STSFETCH}
	sts_ca_file = $WORLD_CA
	CONF
}

# ---------------------------------------------------------------- peer
PEER_PID=
PEER_WHY=
peer_have() {
	command -v mta-sts-daemon >/dev/null && return 0
	[ "$(id -u)" = 0 ] && apt-get install -y -q postfix-mta-sts-resolver >/dev/null 2>&1
	command -v mta-sts-daemon >/dev/null && return 0
	PEER_WHY="mta-sts-daemon (apt package postfix-mta-sts-resolver) not installed"
	return 1
}
# peer_start: a fresh mta-sts-daemon (empty in-memory cache) in the world.
# cache_grace 3600: a cached policy answers without a TXT re-check for an
# hour, as tlspolicyd's cached answers do here (its TXT re-check is at most
# 300 s and the bench resolver keeps answers an hour).
peer_start() {
	cat > "$T/peer.yml" <<-YML
	path: $T/peer.sock
	mode: 0666
	shutdown_timeout: 1
	cache_grace: 3600
	cache:
	  type: internal
	  options:
	    cache_size: 100000
	default_zone:
	  strict_testing: false
	  timeout: 4
	YML
	rm -f "$T/peer.sock"
	SSL_CERT_FILE=$WORLD_CA "${PIN_SRV_NOW[@]}" ip netns exec "$WORLD_NETNS" mta-sts-daemon \
		-c "$T/peer.yml" > "$T/peer.log" 2>&1 &
	PEER_PID=$!
	PIDS+=("$PEER_PID")
	for _ in $(seq 100); do
		[ -S "$T/peer.sock" ] && return 0
		sleep 0.1
	done
	PEER_WHY="mta-sts-daemon did not start (see its log)"
	return 1
}

# BENCH_ONLY=fleet: only the fleet store rows and what they compare with.
only_fleet() { [ "${BENCH_ONLY:-}" = fleet ]; }
# BENCH_ONLY=hits: only the cache-hit rows (overrides, DANE, MTA-STS,
# floor, peer), RESULT lines in the log and results.txt, no report: for
# comparing two builds (TLSPOLICYD=..., STSFETCH=...) taking turns.
only_hits() { [ "${BENCH_ONLY:-}" = hits ]; }

# ---------------------------------------------------------------- cold MTA-STS
# First contact with COLD_N distinct domains, each key asked once
# (loadgen -o) by COLD_CONC connections; the world's resolver flushed
# before each run.  Both tlspolicyd and the peer use the world's resolver
# (127.0.0.3) here.  CPU seconds of each process during the run come from
# /proc/PID/stat.  The cold floor (bench/coldfloor) does the same first
# contacts with nothing but the TXT lookup, the address, one TLS handshake
# and GET, COLD_CONC at a time; its CPU is its own getrusage() (cpu_s in
# its RESULT line).
CPU_ROWS=$T/cpu
: > "$CPU_ROWS"
# cold_run LABEL DAEMON FETCHER CMD...: one cold run of CMD (which prints
# a RESULT line); CPU of every process.  The daemon's CPU is its own (all
# its threads, not its children); the fetcher's is its own; nginx's,
# unbound's and nsd's too.  Without a DAEMON pid (the floor), "main" is
# the cpu_s of CMD's RESULT line.
cold_run() {
	local label=$1 d=$2 x=$3 line t0 t1 p w
	local -A c0 c1
	local -a who=(main fetcher nginx unbound nsd)
	local -A pid=([main]=$d [fetcher]=$x [nginx]=$(cat "$WORLD_DIR/run/nginx.pid")
		[unbound]=$(cat "$WORLD_DIR/run/unbound.pid") [nsd]=$(cat "$WORLD_DIR/run/nsd.pid"))
	shift 3
	"$WORLD_SH" flush-resolver >/dev/null 2>&1
	for w in "${who[@]}"; do c0[$w]=$( [ -n "${pid[$w]}" ] && cpu_own "${pid[$w]}" || echo 0); done
	# nginx and nsd work in child processes.
	c0[nginx]=$(cpu_ticks "${pid[nginx]}"); c0[nsd]=$(cpu_ticks "${pid[nsd]}")
	t0=$(date +%s%N)
	line=$("$@" 2>&1 | grep '^RESULT')
	t1=$(date +%s%N)
	for w in "${who[@]}"; do c1[$w]=$( [ -n "${pid[$w]}" ] && cpu_own "${pid[$w]}" || echo 0); done
	c1[nginx]=$(cpu_ticks "${pid[nginx]}"); c1[nsd]=$(cpu_ticks "${pid[nsd]}")
	[ -n "$line" ] || line="RESULT label=$label conc=$COLD_CONC failed=1"
	printf '%s\n' "$line" >> "$RAW"
	say "$line"
	p=$(printf 'CPU label=%s wall_s=%s' "$label" "$(calc_ "($t1 - $t0) / 1e9")")
	for w in "${who[@]}"; do
		if [ "$w" = main ] && [ -z "$d" ]; then
			p="$p main_s=$(calc_ "$(printf '%s\n' "$line" | tr ' ' '\n' | sed -n 's/^cpu_s=//p') + 0")"
		else
			p="$p ${w}_s=$(calc_ "(${c1[$w]} - ${c0[$w]}) / $HZ")"
		fi
	done
	printf '%s\n' "$p" | tee -a "$CPU_ROWS" "$RAW" >&2
}
calc_() { awk "BEGIN { printf \"%.2f\", $1 }"; }

# cold_load LABEL ADDR: loadgen's first contacts with the bulk domains.
cold_load() {
	"${PIN_GEN[@]}" "$LOADGEN" -o -l "$1" -c "$COLD_CONC" -w 0 -d 120 -t 60000 \
		-k "$T/keys-bulk" "$2"
}

# fetcher_pid PID: the stsfetch process below PID (the daemon starts it
# through a spawner process of its own, so it is a grandchild).
fetcher_pid() {
	local p q
	for p in /proc/[0-9]*; do
		[ "$(cat "$p/comm" 2>/dev/null)" = stsfetch ] || continue
		q=${p#/proc/}
		for _ in 1 2 3; do
			q=$(ppid_of "$q")
			[ "$q" = "$1" ] && { echo "${p#/proc/}"; return; }
		done
	done
}
ppid_of() { awk '{ sub(/.*\) /, ""); print $2 }' "/proc/$1/stat" 2>/dev/null; }

# cold_daemon LABEL [FETCHER]: a fresh tlspolicyd (empty store) and one
# cold run against it.
cold_daemon() {
	local cpid
	rm -rf "$T/cold.state"
	world_conf cold "$WORLD_RESOLVER" "${2:-}"
	start_daemon_in "$WORLD_NETNS" cold
	cpid=$DPID
	wait_answer "unix:$T/cold.sock" "$T/keys-hit" || { stop_pid "$cpid"; return 1; }
	cold_run "$1" "$cpid" "$(fetcher_pid "$cpid")" cold_load "$1" "unix:$T/cold.sock"
	stop_pid "$cpid"
}

# cold_floor LABEL: one run of bench/coldfloor in the world, same domains.
cold_floor() {
	cold_run "$1" "" "" "${PIN_CLIENT[@]}" ip netns exec "$WORLD_NETNS" "$COLDFLOOR" -l "$1" \
		-c "$COLD_CONC" -k "$T/keys-bulk" -r "$WORLD_RESOLVER" -C "$WORLD_CA"
}

# world_pin CPUS: the world's servers (nginx, unbound, nsd, with their
# worker processes and threads) on CPUS.
world_pin() {
	local p c
	for p in $(cat "$WORLD_DIR/run/nginx.pid" "$WORLD_DIR/run/unbound.pid" \
	    "$WORLD_DIR/run/nsd.pid" 2>/dev/null); do
		taskset -a -cp "$1" "$p" >/dev/null 2>&1
		for c in $(pgrep -P "$p"); do taskset -a -cp "$1" "$c" >/dev/null 2>&1; done
	done
}

# The judged rounds are pinned: the client (tlspolicyd with its fetcher,
# which inherits the daemon's CPU, or the floor) alone on CPU 0, the
# world's servers on CPU 1, loadgen (nearly idle here) on CPU 0.  On this
# 2-vCPU virtual machine a core's speed depends on what runs on the
# other one: unpinned, the floor's CPU for the same 1,000 contacts ranged
# from 1.3 to 1.9 ms a contact between runs, pinned within a few per cent,
# and both clients get the same single core.  tlspolicyd and the floor
# take turns, BENCH_COLD_ROUNDS (5) times, so that other users' load falls
# on one run, not on one client; the report takes each one's median.
# BENCH_COLD_UNPINNED_ROUNDS (3) more rounds of each run unpinned (rows
# labelled -unpinned, reported beside the judged ones).  The peer runs
# once, pinned like the clients.  Without pinning (BENCH_PIN=0, one core,
# no taskset) every round is unpinned and judged.
cold_scenario() {
	local r
	local -a PIN_SRV_NOW=() PIN_CLIENT=()
	if [ ${#PIN_SRV[@]} -gt 0 ]; then
		for r in $(seq "${BENCH_COLD_UNPINNED_ROUNDS:-3}"); do
			cold_daemon cold-tlspolicyd-unpinned || break
			cold_floor cold-floor-unpinned
		done
		PIN_SRV_NOW=(taskset -c 0)
		PIN_CLIENT=(taskset -c 0)
		world_pin 1
	fi
	for r in $(seq "${BENCH_COLD_ROUNDS:-5}"); do
		cold_daemon cold-tlspolicyd || { note cold "not run: tlspolicyd did not answer"; break; }
		[ -n "${BENCH_ALT_FETCHER:-}" ] && cold_daemon cold-tlspolicyd-alt "$BENCH_ALT_FETCHER"
		cold_floor cold-floor
	done
	if [ "${BENCH_ONLY:-}" != cold ] && peer_have; then
		[ -n "$PEER_PID" ] && stop_pid "$PEER_PID"
		peer_start && cold_run cold-peer "$PEER_PID" "" cold_load cold-peer "unix:$T/peer.sock"
	fi
	[ ${#PIN_SRV[@]} -gt 0 ] && world_pin "0-$(($(nproc) - 1))"
	# The peer stays up for the cache-hit runs, pinned like every server there.
	if [ ${#PIN_SRV[@]} -gt 0 ] && [ -n "$PEER_PID" ]; then
		taskset -a -cp 1 "$PEER_PID" >/dev/null
	fi
}
if [ -n "${WORLD_UP:-}" ] && ! only_fleet && ! only_hits; then
	say "cold: $COLD_N MTA-STS domains"
	cold_scenario
	[ -n "$PEER_WHY" ] && note peer "not run: $PEER_WHY"
else
	note cold "not run: $WORLD_WHY"
fi
# BENCH_ONLY=cold: the cold scenario alone, its rows on stdout (bench/
# results.md and results.txt are left as they are).
if [ "${BENCH_ONLY:-}" = cold ]; then
	grep -E '^(RESULT|CPU) label=cold' "$RAW"
	exit 0
fi

# ---------------------------------------------------------------- warm daemon
# tlspolicyd in the world with the bench resolver, warmed with the DANE
# scenario domains and the MTA-STS domains; cache-hit keys are only the
# domains whose answer came back as expected (OK ...).  It also serves the
# stall scenario: query_timeout and dns_timeout 30 s, so that lookups on a
# stalled resolver hang for the whole measurement.
WARM_ADDR=
warm_setup() {
	local k v
	world_conf warm "$BENCH_RESOLVER"
	cat >> "$T/warm.conf" <<-CONF
	query_timeout = 30s
	dns_timeout = 30s
	dns_retries = 0
	CONF
	start_daemon_in "$WORLD_NETNS" warm
	WPID=$DPID
	wait_answer "unix:$T/warm.sock" "$T/keys-hit" || { note dane-hit "not run: tlspolicyd in the world did not answer"; return 1; }
	WARM_ADDR=unix:$T/warm.sock
	: > "$T/keys-dane"; : > "$T/keys-dane-final"; : > "$T/keys-sts"
	awk '$3 == "OK" && $4 ~ /^dane/ { print $1 }' "$WORLD_SRC/scenarios.tsv" > "$T/cand-dane"
	awk '$3 == "OK" && $4 == "secure" { print $1 }' "$WORLD_SRC/scenarios.tsv" > "$T/cand-sts"
	# First contact may wait for a fetch: ask twice.
	for k in $(cat "$T/cand-dane" "$T/cand-sts"); do postmap_q "$WARM_ADDR" "$k" >/dev/null; done
	while read -r k; do
		v=$(postmap_q "$WARM_ADDR" "$k")
		printf '%s\t%s\n' "$k" "${v:-(none)}" >> "$T/warm-answers"
		case $v in dane*) printf '%s\n' "$k" >> "$T/keys-dane" ;; esac
		[ "$v" = dane-only ] && printf '%s\n' "$k" >> "$T/keys-dane-final"
	done < "$T/cand-dane"
	while read -r k; do
		v=$(postmap_q "$WARM_ADDR" "$k")
		printf '%s\t%s\n' "$k" "${v:-(none)}" >> "$T/warm-answers"
		case $v in secure*) printf '%s\n' "$k" >> "$T/keys-sts" ;; esac
	done < "$T/cand-sts"
	# The bulk domains: each once; keep them if every one has its policy.
	if "$LOADGEN" -o -c 64 -w 0 -d 60 -t 30000 -k "$T/keys-bulk" "$WARM_ADDR" 2>&1 |
		grep -q "^RESULT.* ok=$COLD_N "; then
		cat "$T/keys-bulk" >> "$T/keys-sts"
	else
		say "warm: not every bulk domain got its policy; left out of the sts keys"
	fi
	[ -s "$T/keys-dane" ] || note dane-hit "not run: no DANE domain answered OK dane in the world"
	[ -s "$T/keys-sts" ] || note sts-hit "not run: no MTA-STS domain answered with its policy"
	STS_KEYS=$(wc -l < "$T/keys-sts"); DANE_KEYS=$(wc -l < "$T/keys-dane")
	return 0
}
# rewarm: ask every hit key once (cheap when cached; refreshes MTA-STS
# discovery, which tlspolicyd re-checks after at most 300 s).
rewarm() {
	local f
	for f in "$T/keys-dane" "$T/keys-sts"; do
		[ -s "$f" ] && "$LOADGEN" -o -c 16 -w 0 -d 30 -k "$f" "$WARM_ADDR" >/dev/null 2>&1
	done
}

# Peer: cache hits on the MTA-STS keys it has a policy for (warmed by its
# cold run; the sts-* domains warmed here).
PEER_ADDR=
peer_warm() {
	local k v
	[ -n "$PEER_PID" ] && kill -0 "$PEER_PID" 2>/dev/null || return 1
	: > "$T/keys-peer"
	for k in $(cat "$T/cand-sts"); do postmap_q "unix:$T/peer.sock" "$k" > /dev/null; done
	while read -r k; do
		v=$(postmap_q "unix:$T/peer.sock" "$k")
		[ -n "$v" ] && printf '%s\n' "$k" >> "$T/keys-peer"
	done < "$T/cand-sts"
	"$LOADGEN" -o -c 64 -w 0 -d 60 -t 30000 -k "$T/keys-bulk" "unix:$T/peer.sock" > "$T/peer-warm" 2>&1
	grep -q "^RESULT.* ok=$COLD_N " "$T/peer-warm" && cat "$T/keys-bulk" >> "$T/keys-peer"
	[ -s "$T/keys-peer" ] || { PEER_WHY="mta-sts-daemon found no policy in the test world"; return 1; }
	PEER_ADDR=unix:$T/peer.sock
	PEER_KEYS=$(wc -l < "$T/keys-peer")
}

if [ -n "${WORLD_UP:-}" ]; then
	say "warm-up"
	warm_setup || WARM_ADDR=
	only_fleet || peer_warm || { [ -n "$PEER_WHY" ] || PEER_WHY="no warm peer"; }
else
	note dane-hit "not run: $WORLD_WHY"
	note sts-hit "not run: $WORLD_WHY"
	note peer "not run: $WORLD_WHY"
fi

# shellcheck source=bench/fleet.sh
. "$(dirname "$0")/fleet.sh"
if [ -n "$WARM_ADDR" ] && ! only_hits; then
	say "fleet: tlspolicyd with policy_store = redis"
	fleet_setup || note fleet-hit "not run: $FLEET_WHY"
else
	note fleet-hit "not run: ${WORLD_WHY:-no warm tlspolicyd in the world}"
fi

# ---------------------------------------------------------------- cache hits
say "cache hits"
for r in $(seq "$ROUNDS"); do
	[ -n "$WARM_ADDR" ] && rewarm
	for c in $CONCS; do
		measure floor "unix:$T/floor.sock" "$T/keys-hit" "$c"
		only_fleet || measure override "unix:$T/hit.sock" "$T/keys-hit" "$c"
		! only_fleet && [ -n "$WARM_ADDR" ] && [ -s "$T/keys-dane" ] && measure dane "$WARM_ADDR" "$T/keys-dane" "$c"
		[ -n "$WARM_ADDR" ] && [ -s "$T/keys-sts" ] && measure sts "$WARM_ADDR" "$T/keys-sts" "$c"
		[ -n "$FLEET_ADDR" ] && fleet_measure "$c" "$r"
		[ -n "$PEER_ADDR" ] && measure peer "$PEER_ADDR" "$T/keys-peer" "$c" -m postfix
	done
done
fleet_stop
if only_hits; then
	say "BENCH_ONLY=hits: done"
	exit 0
fi
if [ -n "$FLEET_ADDR" ]; then
	say "fleet: two relays, $COLD_N new domains"
	fleet_cold
fi
if only_fleet; then
	medians
	. "$(dirname "$0")/report.sh"
	fleet_publish
	exit 0
fi
HIT_RSS=$(rss_kib "$HPID")

# ---------------------------------------------------------------- stalled resolver
# The bench resolver is stopped (SIGSTOP); 200 connections ask for
# domains nobody has looked up (u00000.stall.test ...), so 200 lookups
# hang until query_timeout (30 s, longer than the window); meanwhile the
# cached DANE and MTA-STS answers are measured at concurrency 64 and
# compared with the same measurement without the stall (hits table).
# The DANE keys here are those answered dane-only: a plain "dane" answer
# yields to an MTA-STS policy, so it also needs the domain's "no MTA-STS"
# state, which expires with its _mta-sts NXDOMAIN (seconds in the test
# world) and is then looked up again, and during the stall that lookup
# waits like any other (answers that wait are not cache hits).
stall_scenario() {
	local rpid hpid secs
	awk 'BEGIN { for (i = 0; i < 10000; i++) printf "u%05d.stall.test\n", i }' > "$T/keys-unknown"
	# Fresh entries: a DANE result or DNS answer cached early in the hit
	# rounds can reach its TTL inside the stall window, and its key then
	# (rightly) waits for the stopped resolver; flushed and warmed again,
	# each lives at least DANE_MIN_TTL (60 s), longer than the window.
	"$TOP_BUILDDIR/tlsmap/tlsmap" -c "$T/warm.conf" flush all >/dev/null 2>&1 ||
		{ note stall "not run: tlsmap flush all failed"; return; }
	rewarm
	rpid=$(bench_resolver_pid)
	kill -STOP "$rpid" || { note stall "not run: could not stop the bench resolver"; return; }
	secs=$(calc_ "$ROUNDS * 2 * ($SECS + $WARM) + 4")
	"$LOADGEN" -l hang -c 200 -d "$secs" -w 0 -t 0 -k "$T/keys-unknown" "$WARM_ADDR" > "$T/hang.log" 2>&1 &
	hpid=$!
	PIDS+=("$hpid")
	sleep 1
	for r in $(seq "$ROUNDS"); do
		[ -s "$T/keys-dane-final" ] && measure dane-stalled "$WARM_ADDR" "$T/keys-dane-final" 64
		[ -s "$T/keys-sts" ] && measure sts-stalled "$WARM_ADDR" "$T/keys-sts" 64
	done
	# The hanging clients must still be waiting: no answers, 200 in flight.
	wait "$hpid"
	HANG=$(grep '^RESULT' "$T/hang.log")
	kill -CONT "$rpid"
	printf '%s\n' "$HANG" >> "$RAW"
	say "$HANG"
}
if [ -n "$WARM_ADDR" ]; then
	say "stall"
	stall_scenario
else
	note stall "not run: ${WORLD_WHY:-no warm tlspolicyd in the world}"
fi

# ---------------------------------------------------------------- policy
if [ -n "$POLICY_OK" ]; then
	say "policy delegation"
	for r in $(seq "$ROUNDS"); do
		for c in $CONCS; do
			measure floor-policy "unix:$T/floor-policy.sock" "$T/keys-hit" "$c" -p policy
			measure policy "unix:$T/hit-policy.sock" "$T/keys-hit" "$c" -p policy
		done
	done
fi

# ---------------------------------------------------------------- memory
# N valid policies in the LMDB store (bench/stsfill), tlspolicyd started
# in an empty network namespace whose only resolver (127.0.0.1:1) refuses
# at once; every domain is asked once, so the store loads its policy into
# memory and, the TXT lookup having failed, answers with it (RFC 8461 5.1:
# a DNS failure keeps the cached policy).  DANE is off (its lookups would
# fail the same way and answer TEMP).  Start-up: exec to the socket, and
# exec to the first answer from the store.
stop_pid "$HPID"
[ -n "${WPID:-}" ] && stop_pid "$WPID"
[ -n "$PEER_PID" ] && stop_pid "$PEER_PID"
RSS_ROWS=$T/rss
: > "$RSS_ROWS"
mem_one() {
	local n=$1 t0 t1 t2 line
	rm -rf "$T/mem.state"
	write_conf mem "$T/empty"
	cat >> "$T/mem.conf" <<-CONF
	dane_enable = no
	dns_resolvers = 127.0.0.1:1
	dns_retries = 0
	sts_fetcher =
	CONF
	"$STSFILL" "$T/mem.state/sts.lmdb" "$n" m mem.test > "$T/keys-mem" || return 1
	[ "$n" = 0 ] && echo m0000000.mem.test > "$T/keys-mem"
	head -1 "$T/keys-mem" > "$T/keys-mem1"
	[ "$(id -u)" = 0 ] && getent passwd tlspolicyd >/dev/null && chown -R tlspolicyd "$T/mem.state"
	sync
	t0=$(date +%s%N)
	"${PIN_SRV[@]}" unshare -n sh -c "ip link set lo up && exec $TLSPOLICYD -f -c $T/mem.conf" \
		> "$T/mem.log" 2>&1 &
	DPID=$!
	PIDS+=("$DPID")
	for _ in $(seq 2000); do [ -S "$T/mem.sock" ] && break; sleep 0.005; done
	t1=$(date +%s%N)
	"$LOADGEN" -c 1 -n 1 -w 0 -d 30 -k "$T/keys-mem1" "unix:$T/mem.sock" > "$T/mem-first" 2>&1
	t2=$(date +%s%N)
	line=$("${PIN_GEN[@]}" "$LOADGEN" -o -l "mem-$n" -c 64 -w 0 -d 300 -t 30000 -k "$T/keys-mem" \
		"unix:$T/mem.sock" 2>&1 | grep '^RESULT')
	printf '%s\n' "$line" >> "$RAW"
	printf 'RESULT label=rss domains=%s rss_kib=%s anon_kib=%s file_kib=%s sock_ms=%s first_ms=%s first=%s %s\n' \
		"$n" "$(vm VmRSS "$DPID")" "$(vm RssAnon "$DPID")" "$(vm RssFile "$DPID")" \
		"$(( (t1 - t0) / 1000000 ))" "$(( (t2 - t0) / 1000000 ))" \
		"$(grep -q '^RESULT.* ok=1 ' "$T/mem-first" && echo ok || echo not-ok)" \
		"$(echo "$line" | grep -o ' ok=[0-9]*')" | tee -a "$RAW" >&2
	grep '^RESULT label=rss domains='"$n"' ' "$RAW" | tail -1 >> "$RSS_ROWS"
	stop_pid "$DPID"
	rm -rf "$T/mem.state" "$T/keys-mem"
}
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	say "memory"
	for n in 0 ${BENCH_MEM_SIZES:-10000 100000 1000000}; do
		mem_one "$n" || note memory "stsfill $n failed"
	done
else
	note memory "not run: needs root for an empty network namespace (unshare -n)"
fi

# ---------------------------------------------------------------- report
medians
. "$(dirname "$0")/report.sh"
# With BENCH_KEEP, $T/state.sh lets the report be written again after
# why.txt changed: bash -c '. T/state.sh 2>/dev/null; write_report'
[ -n "${BENCH_KEEP:-}" ] && { declare -p; declare -f; } > "$T/state.sh" 2>/dev/null
write_report > "$T/results.md"
cp "$T/results.md" "$OUT/results.md"
cp "$RAW" "$OUT/results.txt"
say "wrote $OUT/results.md and $OUT/results.txt"
cat "$OUT/results.md"
