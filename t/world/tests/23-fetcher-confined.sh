#!/bin/bash
# SPDX-License-Identifier: MIT
# The fetcher, confined (issue 15): stsfetch runs as its own user
# (sts_fetcher_user = tlspolicyd-fetch), started by a spawner of that user
# which the daemon forks before it drops root; under a seccomp filter.
#  - the fetcher's uid and gid differ from the daemon's, it has no
#    supplementary groups, and its parent (the spawner) is that user too:
#    nothing stays root;
#  - /proc/PID/status shows the filter: Seccomp: 2, NoNewPrivs: 1, and
#    the fetcher logs it (with Landlock when the kernel has it);
#  - the fetcher's user can neither open the store for writing nor list
#    the state directory, and is not in the daemon's group;
#  - fetches work (a policy on first contact);
#  - killed with SIGKILL, the fetcher is restarted, confined again, and
#    fetches again;
#  - SIGTERM to every process at once (a systemd stop): all gone, and the
#    daemon still stopped its fetcher through the spawner;
#  - sts_fetcher_user = the daemon's user, or a user that does not
#    exist, stops the start with a clear error.
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
# shellcheck source=t/world/daemon.sh
. "$(dirname "$0")/../daemon.sh"
FU=tlspolicyd-fetch
getent passwd tlspolicyd >/dev/null || skip_test "no user tlspolicyd"
getent passwd $FU >/dev/null \
    || skip_test "no user $FU (scripts/setup.sh creates it)"
command -v setpriv >/dev/null || skip_test "no setpriv (util-linux)"
trap 'td_stop t23' EXIT

FUID=$(id -u $FU) FGID=$(id -g $FU)
DUID=$(id -u tlspolicyd) DGID=$(id -g tlspolicyd)

fetcher_pid() { td_ctl status --json | tr -d '\n ' | sed -n 's/.*"fetcher":{[^}]*"pid":\([0-9]*\).*/\1/p'; }
field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }	# field PID NAME

# confined PID WHAT: the checks every fetcher must pass
confined() {
	local p=$1 what=$2 pp
	[ "$(field "$p" Uid)" = "$FUID	$FUID	$FUID	$FUID" ] \
	    && [ "$FUID" != "$DUID" ] \
	    && pass "$what: uid $FUID ($FU), not the daemon's $DUID" \
	    || fail "$what: Uid [$(field "$p" Uid)], want $FUID"
	[ "$(field "$p" Gid)" = "$FGID	$FGID	$FGID	$FGID" ] && [ -z "$(field "$p" Groups)" ] \
	    && pass "$what: gid $FGID, no supplementary groups" \
	    || fail "$what: Gid [$(field "$p" Gid)] Groups [$(field "$p" Groups)]"
	[ "$(field "$p" Seccomp)" = 2 ] && [ "$(field "$p" NoNewPrivs)" = 1 ] \
	    && pass "$what: Seccomp: 2, NoNewPrivs: 1" \
	    || fail "$what: Seccomp [$(field "$p" Seccomp)] NoNewPrivs [$(field "$p" NoNewPrivs)]"
	pp=$(field "$p" PPid)
	[ "$(field "$pp" Uid)" = "$FUID	$FUID	$FUID	$FUID" ] \
	    && [ "$pp" != "$(cat "$TD_DIR/pid")" ] \
	    && pass "$what: its parent, the spawner (pid $pp), runs as $FU too" \
	    || fail "$what: parent $pp Uid [$(field "$pp" Uid)]"
}

# policy_answer DOMAIN WHAT: the domain's MTA-STS policy is answered
policy_answer() {
	local got
	got=$(td_q "$1")
	case $got in
	"secure match="*) pass "$2: $1 answered from its fetched policy" ;;
	*) fail "$2: $1 answered [$got]" ;;
	esac
}

td_start t23 </dev/null || { fail "daemon started"; done_testing; }
DPID=$(cat "$TD_DIR/pid")
P1=$(fetcher_pid)
[ -n "$P1" ] && [ "$P1" != 0 ] && [ -d "/proc/$P1" ] \
    && pass "fetcher running (pid $P1)" || { fail "no fetcher pid"; done_testing; }
confined "$P1" "fetcher"
td_wait_log "stsfetch: confined: seccomp filter" 5 \
    && pass "the fetcher logs its confinement (seccomp, Landlock where the kernel has it)" \
    || fail "no confinement line from the fetcher"
[ "$(field "$DPID" Uid)" = "$DUID	$DUID	$DUID	$DUID" ] \
    && pass "the daemon runs as tlspolicyd ($DUID)" \
    || fail "daemon Uid [$(field "$DPID" Uid)]"
policy_answer sts-enforce.test "first fetch"

# --- the fetcher's user and the store ---------------------------------
STATE=$TD_DIR/state
[ -f "$STATE/sts.lmdb" ] && pass "the store exists ($STATE/sts.lmdb)" \
    || fail "no store file"
as_fetch() { setpriv --reuid="$FUID" --regid="$FGID" --clear-groups -- "$@"; }
out=$(as_fetch sh -c 'exec 3<>"$1"' sh "$STATE/sts.lmdb" 2>&1); rc=$?
[ "$rc" != 0 ] && grep -q "Permission denied" <<<"$out" \
    && pass "$FU: open sts.lmdb read-write: EACCES" \
    || fail "$FU opened the store for writing: rc=$rc [$out]"
out=$(as_fetch sh -c ': >> "$1"' sh "$STATE/sts.lmdb-lock" 2>&1); rc=$?
[ "$rc" != 0 ] && grep -q "Permission denied" <<<"$out" \
    && pass "$FU: append to the lock file: EACCES" \
    || fail "$FU wrote the lock file: rc=$rc [$out]"
out=$(as_fetch ls "$STATE" 2>&1); rc=$?
[ "$rc" != 0 ] && grep -q "Permission denied" <<<"$out" \
    && pass "$FU: list the state directory: EACCES" \
    || fail "$FU listed the state directory: rc=$rc [$out]"
grep -qw "$DGID" <<<"$(id -G $FU)" \
    && fail "$FU is in the daemon's group $DGID" \
    || pass "$FU is not in the daemon's group ($(id -Gn $FU))"
[ "$(stat -c '%U:%G %a' "$STATE")" = "tlspolicyd:tlspolicyd 750" ] \
    && pass "state directory tlspolicyd:tlspolicyd 0750" \
    || fail "state directory: $(stat -c '%U:%G %a' "$STATE")"

# --- killed: restarted, and confined again -----------------------------
kill -9 "$P1" && pass "killed stsfetch $P1 with SIGKILL" || fail "kill $P1"
td_wait_log "stsfetch \(pid $P1\) died on signal 9" 5 \
    && pass "its death is logged" || fail "no death log line"
P2=
for _ in $(seq 50); do
	P2=$(fetcher_pid)
	[ -n "$P2" ] && [ "$P2" != 0 ] && [ "$P2" != "$P1" ] && break
	sleep 0.1
done
[ -n "$P2" ] && [ "$P2" != "$P1" ] && [ -d "/proc/$P2" ] \
    && pass "fetcher restarted as $P2" || { fail "fetcher not restarted"; done_testing; }
confined "$P2" "restarted fetcher"
policy_answer sts-multi.test "after the restart"

# --- a stop as systemd does it: SIGTERM to every process of the service --
SP=$(field "$P2" PPid)
DPID=$(cat "$TD_DIR/pid")
gone() { ! kill -0 "$1" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
kill -TERM "$DPID" "$SP" "$P2"
for _ in $(seq 100); do gone "$DPID" && gone "$SP" && gone "$P2" && break; sleep 0.1; done
gone "$DPID" && gone "$SP" && gone "$P2" \
    && pass "SIGTERM to daemon, spawner and fetcher: all three gone" \
    || fail "left running after SIGTERM: $(for p in $DPID $SP $P2; do gone $p || echo $p; done)"
td_grep "stopping on signal 15" && ! td_grep "spawner .*does not answer" \
    && pass "the daemon stopped its fetcher through the spawner (no error)" \
    || fail "stop: $(log_from "$TD_LOG" "$TD_LOG_MARK" | grep -E 'spawner|stopping' | head -3)"

# --- start refused for a fetcher user that is not a user of its own ------
td_stop t23
for u in tlspolicyd no-such-user-t23; do
	TD_KEEP_STATE=1 td_start t23 <<<"sts_fetcher_user = $u" >/dev/null 2>&1
	td_wait_log "sts_fetcher_user" 5 >/dev/null
	pid=$(cat "$TD_DIR/pid" 2>/dev/null)
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	case $u in
	tlspolicyd) want="sts_fetcher_user tlspolicyd must be a user of its own" ;;
	*) want="sts_fetcher_user \"$u\" does not exist: create it" ;;
	esac
	! kill -0 "$pid" 2>/dev/null && td_grep "$want" >/dev/null \
	    && pass "sts_fetcher_user = $u: start refused, with the reason" \
	    || fail "sts_fetcher_user = $u: $(tail -2 "$TD_LOG")"
	td_stop t23
done

done_testing
