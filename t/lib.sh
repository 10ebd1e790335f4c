# SPDX-License-Identifier: MIT
# Shell helpers for tlspolicyd's integration tests (sourced).
#
#   t_init NAME          temp dir $T (world-readable, so the daemon can read
#                        its files after dropping privileges), counters, trap
#   t_ok/t_fail MSG      record a check
#   t_check MSG CMD...   run CMD, record pass when it exits 0
#   t_eq MSG WANT GOT    record pass when WANT = GOT
#   t_conf_base LISTEN [PSOCK]
#                        print the settings most tests share (see below)
#   t_daemon_start CONF  start tlspolicyd -f -c CONF, PID in $T/daemon.pid,
#                        wait (bounded) until the socketmap socket answers
#   t_skip_check MSG     a check that cannot run here: a "SKIP - MSG" line
#                        scripts/test-summary.sh counts (a failure under CI)
#   t_done               print "NAME: N passed, N failed, N skipped", exit 0/1
# Processes are tracked by PID and stopped by PID, never by name.

TOP_BUILDDIR=${TOP_BUILDDIR:-$(cd "$(dirname "$0")/.." && pwd)}
TOP_SRCDIR=${TOP_SRCDIR:-$TOP_BUILDDIR}
TLSPOLICYD=${TLSPOLICYD:-$TOP_BUILDDIR/policyd/tlspolicyd}
TLSMAP=${TLSMAP:-$TOP_BUILDDIR/tlsmap/tlsmap}
SMCLIENT=${SMCLIENT:-$TOP_BUILDDIR/t/tools/smclient}

t_passed=0
t_failed=0
t_skipped=0

t_cleanup() {
	if [ -n "${T:-}" ] && [ -f "$T/daemon.pid" ]; then
		kill "$(cat "$T/daemon.pid")" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$(cat "$T/daemon.pid")" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$(cat "$T/daemon.pid")" 2>/dev/null
	fi
	[ -n "${T_EXTRA_CLEANUP:-}" ] && eval "$T_EXTRA_CLEANUP"
	if [ -n "${T:-}" ] && [ -z "${T_KEEP:-}" ]; then
		rm -rf "$T"
	fi
}

t_init() {
	t_name=$1
	T=$(mktemp -d "/tmp/tlspol-$t_name.XXXXXX")
	chmod 755 "$T"
	trap t_cleanup EXIT
	trap 'exit 1' INT TERM
	# A Postfix configuration directory for postmap -c.
	mkdir -p "$T/postfix"
	printf 'compatibility_level = 3.6\n' > "$T/postfix/main.cf"
	if [ "$(id -u)" = 0 ] && getent passwd tlspolicyd >/dev/null; then
		T_USER=tlspolicyd
	else
		T_USER=
	fi
	if getent group postfix >/dev/null && [ "$(id -u)" = 0 ]; then
		T_GROUP=postfix
	else
		T_GROUP=
	fi
}

t_ok() { t_passed=$((t_passed + 1)); echo "ok - $*"; }
t_fail() { t_failed=$((t_failed + 1)); echo "FAIL - $*"; }
t_skip_check() { t_skipped=$((t_skipped + 1)); echo "SKIP - $*"; }

t_check() {
	msg=$1; shift
	if "$@"; then t_ok "$msg"; else t_fail "$msg"; fi
}

t_eq() {
	if [ "$2" = "$3" ]; then
		t_ok "$1"
	else
		t_fail "$1: want [$2] got [$3]"
	fi
}

# t_contains MSG FILE PATTERN: grep -E for PATTERN in FILE
t_contains() {
	if grep -Eq -- "$3" "$2"; then t_ok "$1"; else t_fail "$1: no /$3/ in $2"; fi
}

# t_conf_base LISTEN [PSOCK]: the tlspolicyd settings most tests share,
# on stdout: the socketmap listener (LISTEN: a socket path, with group
# $T_GROUP, or a full address such as inet:127.0.0.1:PORT), the policy
# listener on the socket PSOCK when given, control socket
# $T/run/control for root only, no Postfix queue directory, DANE and
# MTA-STS off, overrides $T/overrides, state $T/state, user $T_USER.
# A test appends its own lines; a setting given twice, the later wins.
t_conf_base() {
	case $1 in
	/*) printf 'socketmap_listen = unix:%s\nsocketmap_group = %s\n' "$1" "$T_GROUP" ;;
	*) printf 'socketmap_listen = %s\n' "$1" ;;
	esac
	[ -n "${2:-}" ] && printf 'policy_listen = unix:%s\npolicy_group = %s\n' "$2" "$T_GROUP"
	printf '%s\n' "control_listen = unix:$T/run/control" "control_group =" \
		"postfix_queue_directory =" "dane_enable = no" "sts_enable = no" \
		"overrides_file = $T/overrides" "state_directory = $T/state" "user = $T_USER"
}

t_daemon_start() {
	conf=$1
	"$TLSPOLICYD" -f -c "$conf" > "$T/daemon.log" 2>&1 &
	echo $! > "$T/daemon.pid"
	sock=$(sed -n 's/^socketmap_listen *= *unix://p' "$conf")
	for _ in $(seq 100); do
		if [ -S "$sock" ]; then
			return 0
		fi
		kill -0 "$(cat "$T/daemon.pid")" 2>/dev/null || break
		sleep 0.05
	done
	echo "daemon did not start:"; cat "$T/daemon.log"
	return 1
}

t_daemon_reload() {
	kill -HUP "$(cat "$T/daemon.pid")"
}

t_done() {
	echo "$t_name: $t_passed passed, $t_failed failed, $t_skipped skipped"
	[ "$t_failed" = 0 ]
}

# t_skip MSG: automake SKIP
t_skip() {
	echo "SKIP: $*"
	exit 77
}
