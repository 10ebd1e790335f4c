# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# Start and stop tlspolicyd inside the world, for tests (sourced after
# testlib.sh).
#
#   td_start NAME [< extra config lines]   start tlspolicyd NAME in the
#       namespace with the world resolver and test CA; its files live in
#       $WORLD_DIR/td/NAME (TD_DIR); sets TD_SOCK, TD_MAP, TD_CONF, TD_LOG.
#       Later config lines win, so stdin can override any default.  The
#       state directory starts empty unless TD_KEEP_STATE=1 (restarts).
#   td_stop NAME        stop it by PID (bounded wait, then SIGKILL)
#   td_q KEY [MAP]      postmap -q through the socketmap; prints the value,
#                       or NOTFOUND / TEMP / PERM / ERROR
#   td_ctl ARGS...      tlsmap -c TD_CONF ARGS...
#   td_stat SECTION KEY a value of "tlsmap status --json", e.g. td_stat
#                       mta-sts fetches (counters move before a query or a
#                       control command returns: no sleeping needed)
#   td_wait_log REGEX [SECONDS [OFFSET]]   bounded wait (default 10 s)
#                       for a daemon log line past OFFSET
#   td_grep REGEX [OFFSET]    grep -E in the daemon log past OFFSET
#   td_count REGEX [OFFSET]   number of such lines
#   td_mark             move the default OFFSET (TD_LOG_MARK) to the end of
#                       the log: later checks see only later lines
#   td_start_pf NAME QUEUE [EXTRA]   td_start NAME with its socketmap
#                       socket in the Postfix queue directory QUEUE (where a
#                       chrooted smtp(8) reaches it), EXTRA config lines last
#   td_q_known KEY [MAP]  td_q until the answer is not NOTFOUND (10 s: a
#                       first contact's policy fetch); prints the last answer
# The log: a start without TD_KEEP_STATE=1 empties daemon.log; every start
# sets TD_LOG_MARK to where this daemon's lines begin.  So a check never
# passes on a line an earlier run or an earlier daemon wrote; to look at
# lines from before a restart, pass an OFFSET saved with $(fsize "$TD_LOG").
# Processes are tracked by PID files, never found by name.

TLSPOLICYD=${TOP_BUILDDIR:?}/policyd/tlspolicyd
STSFETCH=$TOP_BUILDDIR/stsfetch/stsfetch
TLSMAP=$TOP_BUILDDIR/tlsmap/tlsmap

td_start() {
	local name=$1
	TD_DIR=$WORLD_DIR/td/$name
	TD_SOCK=${TD_SOCK_OVERRIDE:-$TD_DIR/run/socketmap}
	TD_MAP=socketmap:unix:$TD_SOCK:tlspolicy
	TD_CONF=$TD_DIR/tlspolicyd.conf
	TD_LOG=$TD_DIR/daemon.log
	mkdir -p "$TD_DIR"
	if [ "${TD_KEEP_STATE:-0}" != 1 ]; then
		rm -rf "$TD_DIR/state"
		: > "$TD_LOG"
	fi
	td_mark
	chmod 755 "$WORLD_DIR/td" "$TD_DIR"
	printf 'compatibility_level = 3.6\n' > "$TD_DIR/main.cf"
	[ -f "$TD_DIR/overrides" ] || : > "$TD_DIR/overrides"
	{
		echo "socketmap_listen = unix:$TD_SOCK"
		echo "socketmap_group ="
		echo "control_listen = unix:$TD_DIR/run/control"
		echo "control_group ="
		echo "postfix_queue_directory ="
		echo "overrides_file = $TD_DIR/overrides"
		echo "state_directory = $TD_DIR/state"
		echo "user = tlspolicyd"
		echo "log_level = info"
		echo "dns_resolvers = $WORLD_RESOLVER"
		echo "sts_fetcher = $STSFETCH"
		echo "sts_ca_file = $WORLD_CA"
		echo "clock_control = yes"
		[ -t 0 ] || cat
	} > "$TD_CONF"
	# Not "wx ... &": $! would be the subshell running the function, and
	# td_stop would kill it and leave the daemon running.  ip netns exec
	# execs the command, so $! is the daemon itself.
	rm -f "$TD_SOCK" "$TD_DIR/run/control"	# wait for the new ones below
	ip netns exec "$WORLD_NETNS" "$TLSPOLICYD" -f -c "$TD_CONF" >> "$TD_LOG" 2>&1 &
	echo $! > "$TD_DIR/pid"
	for _ in $(seq 100); do
		[ -S "$TD_SOCK" ] && [ -S "$TD_DIR/run/control" ] && return 0
		kill -0 "$(cat "$TD_DIR/pid")" 2>/dev/null || break
		sleep 0.05
	done
	echo "tlspolicyd $name did not start:"
	tail -5 "$TD_LOG"
	return 1
}

td_stop() {
	local dir=$WORLD_DIR/td/$1 pid
	[ -f "$dir/pid" ] || return 0
	pid=$(cat "$dir/pid")
	kill "$pid" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	rm -f "$dir/pid"
}

td_q() {
	local out rc
	out=$(postmap -c "$TD_DIR" -q "$1" "${2:-$TD_MAP}" 2>"$TD_DIR/postmap.err")
	rc=$?
	if [ $rc = 0 ]; then
		echo "$out"
	elif grep -q 'temporary error' "$TD_DIR/postmap.err"; then
		echo TEMP
	elif grep -q 'permanent error' "$TD_DIR/postmap.err"; then
		echo PERM
	elif [ -s "$TD_DIR/postmap.err" ]; then
		echo ERROR
	else
		echo NOTFOUND
	fi
}

td_ctl() {
	"$TLSMAP" -c "$TD_CONF" "$@"
}

td_stat() {
	td_ctl status --json | python3 -c \
		'import json, sys; print(json.load(sys.stdin)[sys.argv[1]][sys.argv[2]])' "$1" "$2"
}

td_mark() { TD_LOG_MARK=$(fsize "$TD_LOG"); }
td_grep() { log_has "$TD_LOG" "${2:-$TD_LOG_MARK}" "$1"; }
td_count() { log_from "$TD_LOG" "${2:-$TD_LOG_MARK}" | grep -Ec -- "$1"; }
td_wait_log() { log_wait "$TD_LOG" "${3:-$TD_LOG_MARK}" "$1" "${2:-10}"; }

td_start_pf() {
	mkdir -p "$WORLD_DIR/td/$1" "$2"
	[ -e "$WORLD_DIR/td/$1/overrides" ] || : > "$WORLD_DIR/td/$1/overrides"
	TD_SOCK_OVERRIDE=$2/tlspolicyd/socketmap td_start "$1" <<CONF
socketmap_group = postfix
socketmap_mode = 0660
postfix_queue_directory = $2
${3:-}
CONF
}

td_q_known() {
	local a
	for _ in $(seq 50); do
		a=$(td_q "$@")
		[ "$a" != NOTFOUND ] && break
		sleep 0.2
	done
	echo "$a"
}
