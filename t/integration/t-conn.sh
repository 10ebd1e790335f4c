#!/bin/bash
# SPDX-License-Identifier: MIT
# Connection handling shared by the socketmap and the policy delegation
# servers (policyd/conn.c): idle connections are closed after their
# timeout and not before; at max_connections the connection quiet
# longest is closed to admit a new one, and logged.
. "$(dirname "$0")/../lib.sh"
t_init conn

SOCK=$T/run/socketmap
PSOCK=$T/run/policy
ns() { printf '%d:%s,' "${#1}" "$1"; }
SMREQ=$(ns 'tlspolicy example.com')
SMREP=$(ns 'OK encrypt')
PREQ='request=smtpd_access_policy\nprotocol_state=RCPT\nsender=a@b.test\n\n'
PREP=$'action=DUNNO\n\n'
# out REPLY STATE: what smclient prints
out() { printf '%s\n%s' "$1" "$2"; }
printf 'example.com encrypt\n' > "$T/overrides"

start() {	# start MAX_CONNECTIONS IDLE_TIMEOUT
	rm -f "$SOCK" "$PSOCK"
	{ t_conf_base "$SOCK" "$PSOCK"; cat <<CONF
log_level = debug
max_connections = $1
idle_timeout = $2
policy_idle_timeout = $2
CONF
	} > "$T/tlspolicyd.conf"
	t_daemon_start "$T/tlspolicyd.conf" || { t_fail "daemon start"; t_done; exit 1; }
	for _ in $(seq 100); do [ -S "$PSOCK" ] && break; sleep 0.05; done
}

stop() {
	kill "$(cat "$T/daemon.pid")"
	wait "$(cat "$T/daemon.pid")" 2>/dev/null
	rm -f "$T/daemon.pid"
}

# wait_lines PATTERN N: until the log has N lines matching PATTERN (5 s)
wait_lines() {
	for _ in $(seq 100); do
		[ "$(grep -Ec -- "$1" "$T/daemon.log")" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# Idle: 3 s.  A client quiet for 0.5 s keeps its connection; one that
# waits (up to 30 s) loses it, with a debug line.  The margins are wide so
# that a slow machine does not fail; timing itself is the benchmark's.
start 10 3s
t_eq "socketmap: not closed before the idle timeout" "$(out "$SMREP" OPEN)" \
	"$("$SMCLIENT" -t 500 "unix:$SOCK" "$SMREQ")"
t_eq "policy: not closed before the idle timeout" "$(out "$PREP" OPEN)" \
	"$("$SMCLIENT" -t 500 "unix:$PSOCK" "$PREQ")"
t_eq "socketmap: idle connection closed" "$(out "$SMREP" EOF)" \
	"$("$SMCLIENT" -t 30000 "unix:$SOCK" "$SMREQ")"
t_contains "socketmap: idle close logged" "$T/daemon.log" 'closing idle socketmap connection'
t_eq "policy: idle connection closed" "$(out "$PREP" EOF)" \
	"$("$SMCLIENT" -t 30000 "unix:$PSOCK" "$PREQ")"
t_contains "policy: idle close logged" "$T/daemon.log" 'policy client #[0-9]+: idle, closing'
stop

# Limit: 2 connections a server.  Two clients hold theirs (answered, then
# quiet for 5 s); a third is answered all the same, and the holder quiet
# longest loses its connection (Postfix's own clients reconnect).
start 2 60s
for what in socketmap policy; do
	if [ $what = socketmap ]; then
		s=$SOCK req=$SMREQ rep=$SMREP answered='key=example\.com answer='
	else
		s=$PSOCK req=$PREQ rep=$PREP answered='reply="DUNNO"'
	fi
	before=$(grep -Ec -- "$answered" "$T/daemon.log")
	"$SMCLIENT" -t 5000 "unix:$s" "$req" > "$T/hold1" & h1=$!
	"$SMCLIENT" -t 5000 "unix:$s" "$req" > "$T/hold2" & h2=$!
	if wait_lines "$answered" $((before + 2)); then
		t_eq "$what: connection beyond the limit answered" \
			"$(out "$rep" OPEN)" "$("$SMCLIENT" -t 300 "unix:$s" "$req")"
		t_contains "$what: eviction logged" "$T/daemon.log" \
			"$what connection limit 2 reached; closed the longest-idle connection to admit a new one"
	else
		t_fail "$what: the two holding clients were not answered"
	fi
	wait $h1 $h2
	states=$(for f in "$T/hold1" "$T/hold2"; do
		case "$(cat "$f")" in
		"$(out "$rep" EOF)") echo EOF ;;
		"$(out "$rep" OPEN)") echo OPEN ;;
		*) echo BAD ;;
		esac
	done | sort | paste -sd,)
	t_eq "$what: both holders answered, one evicted afterwards" EOF,OPEN "$states"
done
stop
t_done
