#!/bin/bash
# SPDX-License-Identifier: MIT
# inet listeners: the socketmap on inet:127.0.0.1:PORT and inet:[::1]:PORT,
# asked by postmap and by tlsmap through the same specification.
. "$(dirname "$0")/../lib.sh"
t_init inet
command -v postmap >/dev/null || t_skip "postmap (Debian package postfix) is not installed"
printf 'inet.example encrypt\n' > "$T/overrides"

run() {	# run LISTEN-SPEC POSTFIX-MAP-ADDRESS
	t_conf_base "$1" > "$T/tlspolicyd.conf"
	"$TLSPOLICYD" -f -c "$T/tlspolicyd.conf" > "$T/daemon.log" 2>&1 &
	echo $! > "$T/daemon.pid"
	for _ in $(seq 100); do [ -S "$T/run/control" ] && break; sleep 0.05; done
	t_eq "$1: postmap -q" encrypt \
		"$(postmap -c "$T/postfix" -q inet.example "socketmap:$2:tlspolicy" 2>&1)"
	t_eq "$1: tlsmap -q" encrypt "$("$TLSMAP" -c "$T/tlspolicyd.conf" -q inet.example 2>&1)"
	kill "$(cat "$T/daemon.pid")"
	wait "$(cat "$T/daemon.pid")" 2>/dev/null
	rm -f "$T/daemon.pid" "$T/run/control"
}

port=$((20000 + RANDOM % 20000))
run "inet:127.0.0.1:$port" "inet:127.0.0.1:$port"
if ip -6 addr show dev lo 2>/dev/null | grep -q '::1'; then
	run "inet:[::1]:$((port + 1))" "inet:[::1]:$((port + 1))"
else
	t_skip_check "inet:[::1] listener: no ::1 on lo"
fi
printf 'socketmap_listen = inet:127.0.0.1:%s\n' "$port" > "$T/gone.conf"
"$TLSMAP" -c "$T/gone.conf" -q inet.example >/dev/null 2>&1; rc=$?
t_eq "tlsmap -q with nothing listening exits 2" 2 "$rc"
t_done
