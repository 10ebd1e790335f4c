#!/bin/bash
# SPDX-License-Identifier: MIT
# Fetcher faults.
# 1. A redirect whose body is a valid text/plain policy (https.tsv kind
#    redirect): refused because it is a redirect, and the log says so.
# 2. The fetcher killed with SIGKILL (by PID, from the daemon's status),
#    repeatedly: while queries flow, and with the daemon stopped so that,
#    when it resumes, it writes requests to the dead fetcher before it reads
#    its end of file (the ordering that made fetchctl free a request it was
#    still returning, and left the domain never fetched again).  Then
#    every domain is fetched again (nginx access log) and answers with
#    its policy.
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
# shellcheck source=t/world/daemon.sh
. "$(dirname "$0")/../daemon.sh"
W=$(dirname "$0")/../world.sh
command -v curl >/dev/null || skip_test "curl not installed"
BODY=$(mktemp)
QPID=
trap '[ -n "$QPID" ] && kill "$QPID" 2>/dev/null; rm -f "$BODY" "$BODY.go"; td_stop t17; "$W" reset >/dev/null 2>&1' EXIT
"$W" reset >/dev/null 2>&1
td_start t17 </dev/null || { fail "daemon started"; done_testing; }
# This daemon's lines only: those past TD_LOG_MARK (td_start emptied the
# log; counting lines before it, as this did, skipped them on a re-run).
LOG0=$(head -c "$TD_LOG_MARK" "$TD_LOG" | wc -l)
new_log() { tail -n +$((LOG0 + 1)) "$TD_LOG"; }
wait_log() {	# wait_log REGEX SECONDS: bounded wait for a line of this run
	for _ in $(seq $(($2 * 10))); do
		new_log | grep -Eq -- "$1" && return 0
		sleep 0.1
	done
	return 1
}

# --- 1. redirect with a policy body
R=sts-redirect.test
got=$(wx curl -s -o "$BODY" --max-time 3 --cacert "$WORLD_CA" -w '%{http_code} %{content_type}' \
	"https://mta-sts.$R/.well-known/mta-sts.txt")
[ "$got" = "301 text/plain" ] && grep -q '^mode: enforce' "$BODY" &&
	pass "$R serves a 301 whose body is a text/plain policy" || fail "$R redirect body: [$got]"
[ "$(td_q $R)" = NOTFOUND ] && pass "$R: no policy" || fail "$R answer"
wait_log "domain=$R MTA-STS policy fetch failed: id=x1 result=sts-policy-fetch-error detail=\"HTTP status 301 \(redirect to https://mta-sts\.sts-enforce\.test/\.well-known/mta-sts\.txt not followed\)\"" 30 &&
	pass "$R refused as a redirect not followed (log line)" || fail "$R: no 'redirect not followed' log line"
new_log | grep -q "domain=$R .*content type" && fail "$R refused for its content type" ||
	pass "$R not refused for its content type"

# --- 2. the fetcher killed
DOMS="sts-enforce.test sts-wildcard.test sts-multi.test sts-signed.test sts-crlf.test"
declare -A WANT
for d in $DOMS; do
	WANT[$d]=$(td_q "$d")
	case ${WANT[$d]} in "secure match="*) pass "$d: policy on first contact" ;;
	*) fail "$d: first answer [${WANT[$d]}]" ;; esac
done

fetcher_pid() { td_ctl status --json | tr -d '\n ' | sed -n 's/.*"fetcher":{[^}]*"pid":\([0-9]*\).*/\1/p'; }
DPID=$(cat "$TD_DIR/pid")
# until_new_fetcher OLD: a fetcher other than OLD runs (bounded: restart
# back-off doubles from 1 s; four kills need at most 15 s)
until_new_fetcher() {
	local p
	for _ in $(seq 300); do
		p=$(fetcher_pid)
		[ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
# until_gone PID: PID has exited (a zombie counts: its files are closed)
until_gone() {
	for _ in $(seq 600); do
		[ -r "/proc/$1/stat" ] || return 0
		[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ] && return 0
		sleep 0.05
	done
	return 1
}
nfds() { find "/proc/$DPID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# Kills while queries flow.
( while :; do for d in $DOMS; do td_q "$d" >/dev/null; done; done ) &
QPID=$!
for i in 1 2; do
	p=$(fetcher_pid)
	[ -n "$p" ] && [ "$p" != 0 ] && kill -9 "$p" && pass "kill $i: stsfetch $p killed while queries flow" ||
		fail "kill $i: no fetcher pid"
	wait_log "stsfetch \(pid $p\) died on signal 9" 30 && pass "kill $i: death logged" || fail "kill $i: death log line"
	until_new_fetcher "$p" && pass "kill $i: fetcher restarted" || fail "kill $i: fetcher not restarted"
done
kill "$QPID" 2>/dev/null
wait "$QPID" 2>/dev/null
QPID=

# Kills that the daemon meets while writing: it holds a control connection
# (accepted, waiting for its line), is stopped, gets "flush all" on that
# connection, the fetcher dies, and it resumes: the flush, ready first,
# writes fetch requests before the fetcher's end of file is read.
for i in 3 4; do
	p=$(fetcher_pid)
	rm -f "$BODY.go"
	n0=$(nfds)
	perl -MIO::Socket::UNIX -e '
		my ($path, $go) = @ARGV;
		my $s = IO::Socket::UNIX->new(Peer => $path) or die "connect: $!\n";
		for (1 .. 400) { last if -e $go; select(undef, undef, undef, 0.05); }
		-e $go or die "no go\n";
		syswrite($s, "flush all\n");
		alarm 30;
		print while <$s>;
	' "$TD_DIR/run/control" "$BODY.go" >"$BODY.ctl" 2>&1 &
	cpid=$!
	for _ in $(seq 600); do [ "$(nfds)" -gt "$n0" ] && break; sleep 0.05; done
	[ "$(nfds)" -gt "$n0" ] && pass "kill $i: control connection accepted" || fail "kill $i: control connection not accepted"
	kill -STOP "$DPID"
	touch "$BODY.go"
	# the line is in the daemon's socket buffer once perl has written it
	for _ in $(seq 600); do
		grep -q . "/proc/$cpid/io" 2>/dev/null && [ "$(awk '/^wchar/ {print $2}' "/proc/$cpid/io")" -ge 10 ] && break
		sleep 0.05
	done
	kill -9 "$p"
	until_gone "$p" && pass "kill $i: stsfetch $p killed with the daemon stopped" || fail "kill $i: fetcher $p still alive"
	kill -CONT "$DPID"
	wait "$cpid"
	grep -q "flushed all" "$BODY.ctl" && pass "kill $i: flush answered" || fail "kill $i: flush reply [$(cat "$BODY.ctl")]"
	wait_log "stsfetch \(pid $p\) (died on signal 9|exited)" 30 && pass "kill $i: death logged" || fail "kill $i: death log line"
	until_new_fetcher "$p" && pass "kill $i: fetcher restarted" || fail "kill $i: fetcher not restarted"
done
kill -0 "$DPID" && pass "daemon survived the kills" || fail "daemon died"

# Every domain is fetched again, and answers with its policy.
gets() { grep -c " mta-sts.$1 \"GET /.well-known/mta-sts.txt" "$WORLD_NGINX_LOG"; }
declare -A N0
for d in $DOMS $R; do N0[$d]=$(gets "$d"); done
td_ctl flush all >/dev/null && pass "flush all after the kills" || fail "flush all"
for d in $DOMS $R; do
	for _ in $(seq 100); do [ "$(gets "$d")" -gt "${N0[$d]}" ] && break; sleep 0.1; done
	[ "$(gets "$d")" -gt "${N0[$d]}" ] && pass "$d fetched again after the kills" ||
		fail "$d not fetched again after the kills"
done
for d in $DOMS; do
	got=$(td_q "$d")
	[ "$got" = "${WANT[$d]}" ] && pass "$d answers its policy" || fail "$d: [$got], want [${WANT[$d]}]"
done
rm -f "$BODY.ctl"
done_testing
