#!/bin/bash
# SPDX-License-Identifier: MIT
# Fault matrix, local faults (issue 19): each row asserts that the daemon
# keeps answering, never answers weaker than its data justifies, and
# loses nothing.
# 1. tlspolicyd killed with SIGKILL while it writes MTA-STS policies to
#    its store, three times, each time restarted on the same state: the
#    store opens without error and every policy is answered again.
# 2. The state directory full (a small tmpfs) and then read-only: the
#    policies are answered from memory, the write error is logged once an
#    interval (not once a query), and writes resume when space returns.
# 3. A store read that fails (the LMDB file corrupted between runs):
#    TEMP for a domain that had a policy, never NOTFOUND, and a new read
#    only after a back-off.
# 4. A bad override file, rules file and configuration file on reload,
#    while queries flow: every query answered with the old tables; the
#    reload reports the error; a good file then takes effect.
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
# shellcheck source=t/world/daemon.sh
. "$(dirname "$0")/../daemon.sh"
W=$(dirname "$0")/../world.sh
SMCLIENT=$TOP_BUILDDIR/t/tools/smclient
N=t21
TDIR=$WORLD_DIR/td/$N
LOOP=
cleanup() {
	[ -n "$LOOP" ] && kill "$LOOP" 2>/dev/null
	td_stop $N
	mountpoint -q "$TDIR/state" && umount "$TDIR/state"
	"$W" reset >/dev/null 2>&1
}
trap cleanup EXIT
"$W" reset >/dev/null 2>&1
mountpoint -q "$TDIR/state" && umount "$TDIR/state"

DOMS="sts-enforce.test sts-wildcard.test sts-multi.test sts-signed.test sts-crlf.test"
declare -A WANT
is() {	# is KEY WANT DESCRIPTION
	local got
	got=$(td_q "$1")
	if [ "$got" = "$2" ]; then pass "$3"; else fail "$3: want [$2] got [$got]"; fi
}
# all_answered WHAT: every domain answers its policy
all_answered() {
	local d bad=
	for d in $DOMS; do
		[ "$(td_q "$d")" = "${WANT[$d]}" ] || bad="$bad $d"
	done
	[ -z "$bad" ] && pass "$1: every policy answered" || fail "$1: wrong answers for$bad"
}
# kill9: SIGKILL the daemon by PID and wait until it is gone
kill9() {
	local pid
	pid=$(cat "$TD_DIR/pid")
	kill -9 "$pid"
	wait "$pid" 2>/dev/null	# our child: reaped without a "Killed" line
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
	rm -f "$TD_DIR/pid"
}
# restart: the same state, this run's log lines only
restart() {
	TD_KEEP_STATE=1 td_start $N </dev/null
}

# ----------------------------------------------------------- 1. kill -9
td_stop $N
td_start $N </dev/null || { fail "daemon started"; done_testing; }
for d in $DOMS; do
	WANT[$d]=$(td_q "$d")
	case ${WANT[$d]} in "secure match="*) pass "$d: policy on first contact" ;;
	*) fail "$d: first answer [${WANT[$d]}]" ;; esac
done
td_wait_log 'stored [0-9]+ MTA-STS policy record' 5 && pass "policies stored" ||
	fail "no store write logged"
for round in 1 2 3; do
	td_mark
	# Flushes and queries: every round trip fetches and writes a policy.
	( for _ in $(seq 100); do for d in $DOMS; do
		td_ctl flush "$d" >/dev/null 2>&1; td_q "$d" >/dev/null; done; done ) &
	LOOP=$!
	if td_wait_log 'stored [0-9]+ MTA-STS policy record' 10; then
		kill9
		pass "round $round: killed with -9 right after a store write"
	else
		fail "round $round: no store write while queries flowed"
		kill9
	fi
	kill "$LOOP" 2>/dev/null; wait "$LOOP" 2>/dev/null; LOOP=
	restart || { fail "round $round: restart on the same state"; break; }
	td_grep 'store|MTA-STS policy store' | grep -qi 'error\|fail\|corrupt' &&
		fail "round $round: store errors after the restart" ||
		pass "round $round: store opened without error"
	# The store file itself: an LMDB environment a reader opens.
	all_answered "round $round, after restart"
done
td_grep 'store read failed|could not be stored|store lmdb' &&
	fail "store errors logged after the kills" || pass "no store error logged after the kills"

# ---------------------------------------------------- 2. state directory full
td_stop $N
rm -rf "$TDIR/state"
mkdir -p "$TDIR/state"
if ! mount -t tmpfs -o size=1m,mode=0755 tlspw-t21 "$TDIR/state"; then
	skip_check "state directory full: cannot mount a tmpfs here"
else
	: > "$TDIR/daemon.log"
	restart || fail "daemon started on a tmpfs state directory"
	first=${DOMS%% *}
	is "$first" "${WANT[$first]}" "tmpfs: $first answered"
	td_wait_log 'stored 1 MTA-STS policy record' 5 && pass "tmpfs: a policy stored" ||
		fail "tmpfs: no store write"
	dd if=/dev/zero of="$TDIR/state/filler" bs=64k 2>/dev/null
	[ "$(df --output=avail -k "$TDIR/state" | tail -1)" -le 4 ] && pass "tmpfs: full" ||
		fail "tmpfs: not full ($(df --output=avail -k "$TDIR/state" | tail -1) kB free)"
	td_mark
	full_mark=$TD_LOG_MARK
	# New policies (fetches, writes that fail), then 40 cached answers.
	# A status request writes waiting policies out: one write each.
	bad=
	for d in ${DOMS#* }; do
		[ "$(td_q "$d")" = "${WANT[$d]}" ] || bad="$bad $d"
		td_ctl status >/dev/null
	done
	[ -z "$bad" ] && pass "full: new policies answered from memory" ||
		fail "full: wrong answers for$bad"
	td_wait_log 'could not be stored|store lmdb.*(space|full)' 5 &&
		pass "full: the write error is logged" || fail "full: no write error logged"
	for _ in $(seq 8); do all_answered "full, cached" >/dev/null; done
	all_answered "full, after 40 more queries"
	n=$(td_count 'could not be stored|store lmdb' "$full_mark")
	# 4 fetched policies, 4 failed writes: one line of the store and
	# one of the write-behind queue a minute.
	if [ "$n" -le 2 ]; then
		pass "full: write errors logged once an interval ($n lines)"
	else
		fail "full: write errors logged $n times for 4 writes, not once an interval"
	fi
	rm -f "$TDIR/state/filler"
	td_mark
	td_ctl flush "$first" >/dev/null
	is "$first" "${WANT[$first]}" "space back: $first fetched again"
	td_wait_log 'stored [0-9]+ MTA-STS policy record' 5 && pass "space back: writes resume" ||
		fail "space back: no store write"

	td_stop $N
	# Read-only (a file system cannot turn read-only under a writer: at
	# start): the stored policies are read, new ones answered from
	# memory, failed writes logged.
	mount -o remount,ro "$TDIR/state"
	restart >/dev/null 2>&1
	td_q "$first" >/dev/null
	if kill -0 "$(cat "$TD_DIR/pid")" 2>/dev/null; then
		td_grep 'store lmdb:.*read-only file system: stored policies are read' &&
			pass "read-only: said at start" ||
			fail "read-only: no line about the read-only file system"
		all_answered "read-only"
	else
		fail "read-only state directory: the daemon does not start"
	fi
	td_stop $N
	mount -o remount,rw "$TDIR/state"
	restart || fail "writable again: daemon started"
	td_mark
	td_ctl flush "$first" >/dev/null
	is "$first" "${WANT[$first]}" "writable again: $first answered"
	td_wait_log 'stored [0-9]+ MTA-STS policy record' 5 && pass "writable again: writes resume" ||
		fail "writable again: no store write"
	td_stop $N
	umount "$TDIR/state"
fi

# ------------------------------------------------------ 3. a failing store read
td_stop $N
td_start $N </dev/null || fail "daemon started (store read)"
R=sts-enforce.test
is $R "${WANT[$R]}" "store read: policy fetched"
td_wait_log 'stored [0-9]+ MTA-STS policy record' 5 || fail "store read: no write"
td_stop $N
STORE=$TDIR/state/sts.lmdb
cp "$STORE" "$TDIR/sts.lmdb.good"
restart || fail "store read: restart"
# Once the daemon has opened the (sound) store, zero every page but the
# two meta pages and the main table's root (from the newer meta page):
# the first read of the policy table finds a page that is neither branch
# nor leaf.  (A store damaged before the start is moved aside at open:
# the random-pages case below.)
python3 - "$STORE" <<'PY'
import struct, sys
f = open(sys.argv[1], "r+b")
b = f.read()
ps = 4096
metas = [(struct.unpack_from("<Q", b, m * ps + 16 + 24 + 96 + 8)[0],
          struct.unpack_from("<Q", b, m * ps + 16 + 24 + 48 + 40)[0]) for m in (0, 1)]
root = max(metas)[1]
for i in range(2, len(b) // ps):
    if i != root:
        f.seek(i * ps)
        f.write(bytes(ps))
PY
got=$(td_q $R)
case $got in
TEMP) pass "store read failed: TEMP for a domain that had a policy" ;;
*) fail "store read failed: answer [$got] for a domain that had a policy" ;;
esac
ok=0
for _ in 1 2 3 4 5; do [ "$(td_q $R)" = TEMP ] && ok=$((ok + 1)); done
[ $ok = 5 ] && pass "store read failed: TEMP again within the back-off" ||
	fail "store read failed: $ok of 5 more answers TEMP"
is dane-ok.test dane-only "store read failed: other sources still answer"
td_ctl clock +61 >/dev/null
is $R TEMP "store read failed: TEMP a minute later"
# Without a back-off each of the 7 queries would read (next read in 60 s
# by then); with it, the 5 quick ones read at most twice (the clock counts
# seconds, and postmap takes its time), so the line a minute
# later says 2, 4 or 8 s.
td_grep "domain=$R MTA-STS policy store read failed; answering TEMP, next read in 1s \\(0 other" &&
	pass "store read failed: logged with its back-off" || fail "store read failed: no first log line"
td_grep "domain=$R MTA-STS policy store read failed; answering TEMP, next read in [248]s \\([012] other" &&
	pass "store read failed: read again only after the back-off, logged once a minute" ||
	fail "store read failed: retries: $(log_from "$TD_LOG" "$TD_LOG_MARK" | grep 'store read failed' | tail -1)"
td_stop $N
# Random data pages: page numbers beyond the file.  LMDB would die of
# SIGBUS or of an assertion; the store walks the file in a child at open
# and moves a damaged one aside (store_lmdb.c), so the daemon starts
# empty and fetches again.
cp "$TDIR/sts.lmdb.good" "$STORE"
pages=$(( $(stat -c %s "$STORE") / 4096 ))
dd if=/dev/urandom of="$STORE" bs=4096 seek=2 count=$((pages - 2)) conv=notrunc 2>/dev/null
restart 2>/dev/null
got=$(td_q $R)
if kill -0 "$(cat "$TD_DIR/pid" 2>/dev/null)" 2>/dev/null; then
	case $got in
	TEMP|"${WANT[$R]}") pass "random store pages: [$got]" ;;
	*) fail "random store pages: answer [$got]" ;;
	esac
	td_grep 'damaged .*moved to .*sts.lmdb.damaged-' &&
		pass "random store pages: moved aside, logged" ||
		fail "random store pages: no 'moved aside' line"
else
	fail "a store with random data pages kills the daemon (answer [$got])"
fi
td_stop $N
rm -rf "$TDIR/state"

# ------------------------------------------------------------- 4. bad reloads
cat > "$TDIR/overrides" <<EOF
ovr.test encrypt
EOF
cat > "$TDIR/rules" <<EOF
tls-only sender_domain=tls.test require=tls action=reject
EOF
td_start $N <<EOF || fail "daemon started (reload)"
policy_listen = unix:$TDIR/run/policy
policy_group =
inbound_rules_file = $TDIR/rules
EOF
PREQ='request=smtpd_access_policy\nprotocol_state=RCPT\nsender=a@tls.test\nclient_address=127.0.0.30\n\n'
policy() { "$SMCLIENT" -t 2000 -n 1 "unix:$TDIR/run/policy" "$PREQ" | head -1; }
REJ=$(policy)
case $REJ in action=REJECT*|action=5*) pass "reload: the rule rejects plaintext" ;;
*) fail "reload: rule answer [$REJ]" ;; esac
# Queries flow throughout; each answer goes to a file.
( for _ in $(seq 400); do td_q ovr.test; done > "$TDIR/flow" ) &
LOOP=$!
td_mark
printf 'ovr.test encrypt\nbroken line with too many words here\n' > "$TDIR/overrides"
out=$(td_ctl reload 2>&1) && fail "reload of a bad override file succeeded: $out" ||
	pass "bad override file: reload reports failure"
echo "$out" | grep -q 'overrides:2' && pass "bad override file: FILE:LINE reported" ||
	fail "bad override file: [$out]"
is ovr.test encrypt "bad override file: the old table answers"
printf 'tls-only sender_domain=tls.test frobnicate=yes action=reject\n' > "$TDIR/rules"
kill -HUP "$(cat "$TD_DIR/pid")"
td_wait_log "reload failed, keeping the previous tables: .*$TDIR/rules:1:" 5 &&
	pass "bad rules file: reload failure logged" || fail "bad rules file: no log line"
[ "$(policy)" = "$REJ" ] && pass "bad rules file: the old rules answer" ||
	fail "bad rules file: answer changed"
cp "$TD_CONF" "$TDIR/conf.good"
echo 'max_connections = banana' >> "$TD_CONF"
kill -HUP "$(cat "$TD_DIR/pid")"
td_wait_log 'reload failed|reloaded' 5
is ovr.test encrypt "bad configuration file: still answering"
kill -0 "$(cat "$TD_DIR/pid")" && pass "bad configuration file: the daemon runs on" ||
	fail "bad configuration file: the daemon died"
cp "$TDIR/conf.good" "$TD_CONF"
printf 'ovr.test secure\n' > "$TDIR/overrides"
printf 'tls-only sender_domain=tls.test require=tls action=defer\n' > "$TDIR/rules"
td_ctl reload >/dev/null && pass "good files: reload succeeds" || fail "good files: reload failed"
is ovr.test secure "good files: the new override answers"
case $(policy) in action=DEFER*|action=4*) pass "good files: the new rule answers" ;;
*) fail "good files: rule answer [$(policy)]" ;; esac
wait "$LOOP"; LOOP=
flow=$(sort "$TDIR/flow" | uniq -c | awk '{printf "%s:%s ", $2, $1}')
grep -qv '^\(encrypt\|secure\)$' "$TDIR/flow" && fail "queries during the reloads: $flow" ||
	pass "400 queries during the reloads: all answered from a table ($flow)"
td_stop $N
done_testing
