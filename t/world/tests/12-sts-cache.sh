#!/bin/bash
# SPDX-License-Identifier: MIT
# The MTA-STS cache (RFC 8461 section 5) in a running daemon: a fetch per
# new id only, flush, proactive refresh and expiry driven by the daemon's
# injectable clock (clock_control, no sleeping), a new policy replacing the
# old one, a failed refetch keeping it, the TXT record vanishing, a
# restart, the daemon killed with SIGKILL after a policy was written
# behind, and the fetcher killed with SIGKILL.
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
# shellcheck source=t/world/daemon.sh
. "$(dirname "$0")/../daemon.sh"
W=$(dirname "$0")/../world.sh
D=sts-enforce.test
V1="secure match=mx.sts-enforce.test servername=hostname"
V2="secure match=mx.sts-enforce.test:.backup.test servername=hostname"
trap 'td_stop t12; "$W" reset >/dev/null 2>&1' EXIT
"$W" reset >/dev/null 2>&1
td_start t12 </dev/null || { fail "daemon started"; done_testing; }

# gets [DOMAIN]: policy GETs the host of DOMAIN (default $D) has served.
# The test's own checks of the served file add "?t12" and are not counted.
gets() { grep -c " mta-sts.${1:-$D} \"GET /.well-known/mta-sts.txt HTTP/" "$WORLD_NGINX_LOG"; }
wait_gets() {	# wait_gets N: until the policy host has served N requests
	for _ in $(seq 100); do [ "$(gets)" -ge "$1" ] && return 0; sleep 0.1; done
	return 1
}
# served DOMAIN: HTTP status of its policy file as nginx serves it now
served() {
	wx curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$WORLD_CA" \
		"https://mta-sts.$1/.well-known/mta-sts.txt?t12"
}
# txt OWNER: the TXT records the world resolver gives now
txt() { wdig +short "$1" TXT | grep -v '^;'; }
# until_txt OWNER WANT: until the world resolver gives WANT (5 s)
until_txt() {
	for _ in $(seq 50); do [ "$(txt "$1")" = "$2" ] && return 0; sleep 0.1; done
	echo "TXT $1: [$(txt "$1")], want [$2]"
	return 1
}
# idle: until the fetcher has no fetch in flight (10 s)
idle() {
	for _ in $(seq 100); do [ "$(td_stat fetcher inflight)" = 0 ] && return 0; sleep 0.1; done
	return 1
}
# until_answer WANT: query until the answer is WANT (bounded: 125 tries,
# 25 s: a new id right after a fetch meets the fetcher's rate limit and
# the daemon's short back-off first)
until_answer() {
	local got
	for _ in $(seq 125); do
		got=$(td_q "$D")
		[ "$got" = "$1" ] && return 0
		sleep 0.2
	done
	echo "last answer: [$got]"
	return 1
}
fetcher_pid() { td_stat fetcher pid; }

n0=$(gets)
[ "$(td_q $D)" = "$V1" ] && pass "first contact: the query waits for the fetch" || fail "first contact answer"
# nginx logs a request after answering it: wait for the line.
wait_gets $((n0 + 1)) && idle && [ "$(td_stat mta-sts fetches)" = 1 ] && [ "$(gets)" = $((n0 + 1)) ] &&
	pass "one fetch" || fail "fetches: $(td_stat mta-sts fetches), GETs $n0 -> $(gets)"
n1=$(gets)
# The same id on each new TXT lookup (the daemon's clock moved past the
# TXT's TTL): a query that looks the TXT up decides on a fetch before it
# is answered, so the fetch counter shows a wrong fetch at once.
f0=$(td_stat mta-sts fetches) l0=$(td_stat mta-sts txt_lookups)
for _ in 1 2 3; do td_ctl clock +2 >/dev/null; td_q $D >/dev/null; done
l1=$(td_stat mta-sts txt_lookups)
[ "$l1" -ge $((l0 + 3)) ] && pass "three TXT lookups ($l0 -> $l1)" || fail "TXT not looked up again: $l0 -> $l1"
# (check_sts test_same_id_no_refetch covers the cache itself; no wait here)
[ "$(td_stat mta-sts fetches)" = "$f0" ] &&
	pass "same id: no refetch" || fail "refetched with the same id: fetches $f0 -> $(td_stat mta-sts fetches)"

# flush: forget DNS, fetch again now (seen in the HTTPS log).
td_ctl flush $D >/dev/null && pass "flush accepted" || fail "flush"
wait_gets $((n1 + 1)) && pass "flush: refetch seen in the HTTPS log" || fail "no refetch after flush"
idle
n2=$(gets)

# Proactive refresh: not due yet, then due after max_age/2 on the daemon's
# clock.  The scan starts its fetches before the command returns.
f0=$(td_stat mta-sts fetches) r0=$(td_stat mta-sts refreshes)
td_ctl refresh >/dev/null
[ "$(td_stat mta-sts fetches)" = "$f0" ] && [ "$(td_stat mta-sts refreshes)" = "$r0" ] && [ "$(gets)" = "$n2" ] &&
	pass "refresh scan before the due time fetches nothing" || fail "early refresh"
td_ctl clock +43300 >/dev/null && pass "clock moved 43300 s forward" || fail "clock control"
td_ctl refresh >/dev/null
wait_gets $((n2 + 1)) && pass "refresh scan after half of max_age refetches" || fail "no proactive refresh"
td_wait_log "domain=$D MTA-STS policy id=20240101T000000 refreshed before expiry" 5 &&
	pass "proactive refresh logged" || fail "refresh log line"

# A new id: the new policy is fetched and replaces the old one once valid.
printf 'version: STSv1\nmode: enforce\nmx: mx.sts-enforce.test\nmx: *.backup.test\nmax_age: 86400\n' |
	"$W" sts-set $D - >/dev/null && pass "new policy file written" || fail "sts-set $D"
"$W" txt-set _mta-sts.$D "v=STSv1; id=2;" >/dev/null && until_txt _mta-sts.$D '"v=STSv1; id=2;"' &&
	pass "TXT id=2 served by the world resolver" || fail "TXT id=2 not in place"
until_answer "$V2" && pass "new id: new policy in force" || fail "new id not picked up"
td_wait_log "domain=$D MTA-STS policy id=2 mode=enforce max_age=86400 mx=2 fetched \(new id\)" 5 &&
	pass "new id logged" || fail "new id log line"

# A newer id whose fetch fails: the cached policy stays in force.
"$W" sts-rm $D >/dev/null && [ "$(served $D)" = 404 ] && pass "policy file removed: 404" ||
	fail "policy file still served: $(served $D)"
"$W" txt-set _mta-sts.$D "v=STSv1; id=3;" >/dev/null && until_txt _mta-sts.$D '"v=STSv1; id=3;"' &&
	pass "TXT id=3 served by the world resolver" || fail "TXT id=3 not in place"
for _ in $(seq 25); do
	td_q $D >/dev/null
	td_wait_log "fetch failed: id=3 .*HTTP status 404" 1 && break
done
td_grep "domain=$D MTA-STS policy fetch failed: id=3 result=sts-policy-fetch-error detail=\"HTTP status 404\"; keeping the cached policy" &&
	pass "failed refetch logged with its TLSRPT result type" || fail "failed refetch log line"
[ "$(td_q $D)" = "$V2" ] && pass "failed refetch keeps the cached policy" || fail "cached policy lost after a failed fetch"

# The TXT record disappears: an unexpired policy still applies, answered
# by a daemon that has seen the TXT gone (the answer's reason says so).
"$W" rr-del _mta-sts.$D TXT >/dev/null && until_txt _mta-sts.$D "" &&
	pass "TXT deleted: the world resolver has none" || fail "TXT not deleted"
td_mark
ok=0
for _ in $(seq 25); do
	td_ctl clock +2 >/dev/null	# past the TXT's TTL: look it up again
	[ "$(td_q $D)" = "$V2" ] || break
	# the answer's line is logged before the answer is sent: no wait
	td_grep "key=$D answer=\"$V2\" source=mta-sts reason=\"MTA-STS policy id=2 .*no _mta-sts TXT record" && { ok=1; break; }
done
[ $ok = 1 ] && pass "TXT gone: cached policy still enforced" || fail "TXT gone: policy dropped, or TXT not seen gone"

# Restart: neither TXT nor policy file exist, so only the store can answer;
# the new daemon fetches nothing and nginx serves no new GET.
idle
g0=$(gets)
td_stop t12
TD_KEEP_STATE=1 td_start t12 </dev/null || fail "daemon restarted"
[ "$(td_q $D)" = "$V2" ] && pass "restart keeps the policy (LMDB store)" || fail "policy lost across a restart"
[ "$(td_stat mta-sts fetches)" = 0 ] && idle && [ "$(gets)" = "$g0" ] &&
	pass "restart: answered from the store, no fetch" || fail "restart: fetches $(td_stat mta-sts fetches), GETs $g0 -> $(gets)"

# Write-behind: a fetched policy reaches the store within a moment
# (STS_WB_DELAY_MS) without a clean shutdown; SIGKILL after that keeps it.
D2=sts-wildcard.test
V3="secure match=.sts-wildcard.test servername=hostname"
stored() { td_count "stored [0-9]+ MTA-STS policy records? in one write"; }
n0=$(stored)
[ "$(td_q $D2)" = "$V3" ] && pass "$D2: policy on first contact" || fail "$D2: first answer"
for _ in $(seq 50); do [ "$(stored)" -gt "$n0" ] && break; sleep 0.1; done
[ "$(stored)" -gt "$n0" ] && pass "write-behind wrote the policy out" || fail "no write-behind log line"
kill -9 "$(cat "$TD_DIR/pid")" && pass "daemon killed with SIGKILL" || fail "kill -9 daemon"
for _ in $(seq 50); do kill -0 "$(cat "$TD_DIR/pid")" 2>/dev/null || break; sleep 0.1; done
"$W" rr-del _mta-sts.$D2 TXT >/dev/null && until_txt _mta-sts.$D2 "" &&
	pass "$D2: TXT deleted" || fail "$D2: TXT not deleted"
g2=$(gets $D2)
TD_KEEP_STATE=1 td_start t12 </dev/null || fail "daemon restarted after SIGKILL"
[ "$(td_q $D2)" = "$V3" ] && pass "policy written behind survives SIGKILL" || fail "policy lost after SIGKILL"
[ "$(td_stat mta-sts fetches)" = 0 ] && idle && [ "$(gets $D2)" = "$g2" ] &&
	pass "after SIGKILL: answered from the store, no fetch" || fail "after SIGKILL: fetches $(td_stat mta-sts fetches), GETs $g2 -> $(gets $D2)"

# The fetcher killed with SIGKILL: answers continue, it is restarted.
p1=$(fetcher_pid)
[ -n "$p1" ] && [ "$p1" != 0 ] && kill -9 "$p1" && pass "killed stsfetch $p1 with SIGKILL" || fail "no fetcher pid"
[ "$(td_q $D)" = "$V2" ] && pass "answers continue while the fetcher is down" || fail "answer with the fetcher down"
td_wait_log "stsfetch \(pid $p1\) died on signal 9" 5 && pass "fetcher death logged" || fail "fetcher death log line"
p2=
for _ in $(seq 50); do p2=$(fetcher_pid); [ -n "$p2" ] && [ "$p2" != 0 ] && [ "$p2" != "$p1" ] && break; sleep 0.1; done
[ -n "$p2" ] && [ "$p2" != "$p1" ] && [ "$p2" != 0 ] && kill -0 "$p2" && pass "fetcher restarted as $p2" || fail "fetcher not restarted"

# Expiry: past fetched_at + max_age the policy is dropped (no TXT any more).
td_ctl clock +700000 >/dev/null	# the restart reset the offset; expiry was set at +43300
[ "$(td_q $D)" = NOTFOUND ] && pass "expired policy dropped: NOTFOUND" || fail "expired policy still applied"
[ "$(td_q $D2)" = NOTFOUND ] && pass "$D2 expired too (max_age 604800)" || fail "$D2 still applied"
td_wait_log "domain=$D MTA-STS policy id=2 expired; dropped" 5 && pass "expiry logged" || fail "expiry log line"
# Domains without a policy are forgotten once idle (bounded memory).
td_q sts-notxt.test >/dev/null
before=$(td_stat mta-sts domains)
[ "${before:-0}" -ge 2 ] && pass "$before domains in memory" || fail "domains in memory: [$before]"
td_ctl clock +700 >/dev/null
td_ctl refresh >/dev/null
after=$(td_stat mta-sts domains)
[ "$after" = 0 ] && pass "idle domains without a policy forgotten after 600 s" || fail "after the sweep: [$after]"
done_testing
