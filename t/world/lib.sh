# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Common helpers for the tlspolicyd integration test world.
# Sourced by world.sh, postfix.sh and run-tests.sh; not executable.

WORLD_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORLD_DIR=${WORLD_DIR:-$PWD/world.run}
case $WORLD_DIR in /*) ;; *) WORLD_DIR=$PWD/$WORLD_DIR ;; esac
WORLD_DIR=${WORLD_DIR%/}
export WORLD_DIR

# Unique namespace name per world directory, so two clones do not collide.
WORLD_NETNS=tlspw-$(printf '%s' "$WORLD_DIR" | sha256sum | cut -c1-10)
export WORLD_NETNS

# Fixed address plan inside the namespace (all on lo).
WORLD_NS_ADDR=127.0.0.2        # nsd, authoritative for test. and children
WORLD_RESOLVER=127.0.0.3       # unbound, validating, trust anchor for test.
WORLD_HTTPS=127.0.0.10         # nginx, all mta-sts.* hosts (SNI)
WORLD_STALL=127.0.0.11         # perl listener that accepts and never answers
WORLD_ADDR_LAST=40             # 127.0.0.2 .. 127.0.0.40 are put on lo
# 127.0.0.20-29: remote MX instances (mx.tsv); 127.0.0.30-40: free for tests.

say() { printf '%s\n' "world: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }
skip() { say "SKIP: $*"; exit 77; }

need_root() {
	[ "$(id -u)" = 0 ] || skip "must run as root (network namespaces, postfix)"
}

# (fd 9 is world.sh's lock: daemons must not inherit it)
nsx() { ip netns exec "$WORLD_NETNS" "$@" 9>&-; }

netns_exists() { [ -e "/run/netns/$WORLD_NETNS" ]; }

# pid_alive PIDFILE: the pid in PIDFILE is running and mentions WORLD_DIR in
# its command line or cwd/root (guards against recycled pids).
pid_alive() {
	local f=$1 pid
	[ -s "$f" ] || return 1
	pid=$(tr -dc '0-9' <"$f" | head -c 10)
	[ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
	# the process must be inside our namespace
	[ "$(ip netns identify "$pid" 2>/dev/null)" = "$WORLD_NETNS" ]
}

# kill_pidfile PIDFILE: TERM, wait up to 3 s, then KILL. Only that pid.
kill_pidfile() {
	local f=$1 pid i
	pid_alive "$f" || { rm -f "$f"; return 0; }
	pid=$(tr -dc '0-9' <"$f" | head -c 10)
	kill -TERM "$pid" 2>/dev/null
	kill -CONT "$pid" 2>/dev/null
	for i in $(seq 30); do
		[ -d "/proc/$pid" ] || break
		# zombie of ours? then it is gone for practical purposes
		grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null && break
		sleep 0.1
	done
	[ -d "/proc/$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -f "$f"
	: "$i"
}

# wait_tcp ADDR PORT [TRIES]: wait until something listens (max TRIES x 0.1 s)
wait_tcp() {
	local a=$1 p=$2 n=${3:-50} i
	for i in $(seq "$n"); do
		if nsx ss -Hltn "src $a:$p" 2>/dev/null | grep -q .; then return 0; fi
		sleep 0.1
	done
	: "$i"
	return 1
}

# wait_file FILE [TRIES]
wait_file() {
	local f=$1 n=${2:-50} i
	for i in $(seq "$n"); do [ -s "$f" ] && return 0; sleep 0.1; done
	: "$i"
	return 1
}
