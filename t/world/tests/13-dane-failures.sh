#!/bin/bash
# SPDX-License-Identifier: MIT
# DANE when DNS fails, row by row of the dns_error_action table in
# tlspolicyd(8), with the world's real resolver taken down or stalled;
# and cached answers flowing while a lookup hangs.
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
# shellcheck source=t/world/daemon.sh
. "$(dirname "$0")/../daemon.sh"
W=$(dirname "$0")/../world.sh
SMCLIENT=$TOP_BUILDDIR/t/tools/smclient
trap '"$W" resolver resume >/dev/null 2>&1; "$W" resolver up >/dev/null 2>&1; td_stop t13' EXIT

start() {	# start ACTION [FALLBACK [TIMEOUT]]: TIMEOUT for DNS and queries
	td_stop t13
	# Not "printf | td_start": a pipeline would run td_start in a subshell.
	td_start t13 < <(printf 'dns_error_action = %s\ndns_stale_fallback = %s\nquery_timeout = %s\ndns_timeout = %s\ndns_retries = 0\n' \
		"$1" "${2:-temp}" "${3:-3s}" "${3:-1s}") || fail "daemon started ($1)"
}
is() {	# is KEY WANT DESCRIPTION
	local got
	got=$(td_q "$1")
	if [ "$got" = "$2" ]; then pass "$3"; else fail "$3: want [$2] got [$got]"; fi
}

# --- dns_error_action = temp
start temp
is dane-ok.test dane-only "temp: warm-up answer"
is bogus.test TEMP "bogus DNSSEC: TEMP"
"$W" resolver down >/dev/null
is dane-ok.test dane-only "temp, resolver down: cached result still answers"
is dane-ta.test TEMP "temp, resolver down: TEMP"
td_grep 'key=dane-ta.test answer=TEMP source=dane' && pass "TEMP logged with source dane" || fail "TEMP log line"
td_ctl flush dane-ok.test >/dev/null
is dane-ok.test TEMP "temp, resolver down, flushed: TEMP"
"$W" resolver up >/dev/null

# --- dns_error_action = dane
start dane
is sts-enforce.test "secure match=mx.sts-enforce.test servername=hostname" "dane: MTA-STS policy cached"
is bogus.test TEMP "dane: bogus DNSSEC is still TEMP"
"$W" resolver down >/dev/null
is dane-two-mx.test dane "dane, resolver down: dane (Postfix decides)"
td_grep 'key=dane-two-mx.test answer="dane" source=dane reason="DNS trouble, Postfix to decide' &&
	pass "dane fallback logged with its reason" || fail "dane fallback log line"
td_ctl flush sts-enforce.test >/dev/null
is sts-enforce.test TEMP "dane, resolver down, MTA-STS cached: TEMP, never dane"
td_grep 'key=sts-enforce.test answer=TEMP source=dane reason=".*MTA-STS policy cached: no dane fallback' &&
	pass "no dane fallback over a cached MTA-STS policy: logged" || fail "no-fallback log line"
"$W" resolver up >/dev/null

# --- dns_error_action = stale, fallback temp
start stale temp
is dane-ok.test dane-only "stale: warm-up dane-only"
is insecure.test NOTFOUND "stale: warm-up no DANE"
"$W" resolver down >/dev/null
td_ctl flush all >/dev/null
is dane-ok.test dane-only "stale, resolver down: last good dane-only"
td_grep 'key=dane-ok.test answer="dane-only" source=dane reason="stale: ' && pass "stale answer logged" ||
	fail "stale log line"
is insecure.test NOTFOUND "stale, resolver down: last good 'no DANE' lets the next source answer"
is dane-ta.test TEMP "stale, no good result: fallback temp"
"$W" resolver up >/dev/null

# --- dns_error_action = stale, fallback dane
start stale dane
"$W" resolver down >/dev/null
is dane-ta.test dane "stale, no good result: fallback dane"
"$W" resolver up >/dev/null

# --- a stalled resolver: cached answers keep flowing
# Timeouts of 8 s: the 20 cached answers must come while the stalled
# lookup waits, however slow this machine is.
start temp temp 8s
is dane-ok.test dane-only "stall: warm-up"
"$W" resolver stall >/dev/null
l0=$(td_stat dns lookups)
( td_q dane-two-mx.test > "$TD_DIR/slow.out" ) &
slow=$!
for _ in $(seq 50); do [ "$(td_stat dns lookups)" -gt "$l0" ] && break; sleep 0.1; done
[ "$(td_stat dns lookups)" -gt "$l0" ] && pass "the slow key's lookup went to the stalled resolver" ||
	fail "no DNS lookup for the slow key"
okc=0
for _ in $(seq 20); do [ "$(td_q dane-ok.test)" = dane-only ] && okc=$((okc + 1)); done
if kill -0 "$slow" 2>/dev/null; then
	pass "20 cached answers came while the stalled lookup was still waiting"
else
	fail "the stalled lookup finished before the cached answers"
fi
[ "$okc" = 20 ] && pass "all 20 cached answers right" || fail "cached answers right: $okc of 20"
wait "$slow"
[ "$(cat "$TD_DIR/slow.out")" = TEMP ] && pass "stalled lookup: TEMP after the timeout" ||
	fail "stalled lookup: [$(cat "$TD_DIR/slow.out")]"
# One connection, a slow key then a fast one: answered in order.
ns() { printf '%d:%s,' "${#1}" "$1"; }
out=$("$SMCLIENT" -t 30000 -n 2 "unix:$TD_SOCK" "$(ns 'tlspolicy dane-unusable.test')$(ns 'tlspolicy dane-ok.test')")
case "$out" in
"$(ns 'TEMP DANE lookup failed')$(ns 'OK dane-only')"*) pass "pipelined slow and fast keys answered in order" ;;
*) fail "pipelined answers: [$out]" ;;
esac
"$W" resolver resume >/dev/null
is dane-two-mx.test TEMP "resolver resumed: the error stays cached for a short while"
td_ctl flush dane-two-mx.test >/dev/null
is dane-two-mx.test dane "resolver resumed and flushed: answers again"
td_ctl status > "$TD_DIR/status"
grep -Eq '^dns: [0-9]+ answers cached, [1-9][0-9]* lookups, [0-9]+ from the cache \([0-9]+%\)$' "$TD_DIR/status" &&
	pass "status: DNS cache size and hit rate" || fail "status dns line: $(grep '^dns' "$TD_DIR/status")"
grep -Eq '^dane: [1-9][0-9]* results cached, [1-9][0-9]* queries, [1-9][0-9]* from the cache' "$TD_DIR/status" &&
	pass "status: DANE cache size and hits (the 20 cached answers)" || fail "status dane line: $(grep '^dane' "$TD_DIR/status")"
done_testing
