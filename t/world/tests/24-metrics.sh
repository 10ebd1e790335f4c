#!/bin/bash
# SPDX-License-Identifier: MIT
# Prometheus metrics (metrics_listen): curl scrapes GET /metrics inside the
# namespace while queries run, and the counters move exactly as the
# queries say: N override answers add N to
# answers_total{source="override",result="ok"} and to the socketmap
# latency histogram's count; DANE and MTA-STS answers, a TEMP for a bogus
# domain, fetches that succeed and fail, a policy request an inbound rule
# rejects, a reload each move their own counters.  The exposition parses
# with the Prometheus client library's parser; other paths get 404, a
# malformed request 400.
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
# shellcheck source=t/world/daemon.sh
. "$(dirname "$0")/../daemon.sh"
SMCLIENT=$TOP_BUILDDIR/t/tools/smclient
PORT=9155
URL=http://127.0.0.1:$PORT/metrics
M=$WORLD_DIR/td/t24
trap 'td_stop t24' EXIT
mkdir -p "$M"
printf 'over1.test encrypt\nover2.test secure\n' > "$M/overrides"
printf 'partner  sender_domain=partner.test require=tls action=reject\n' > "$M/inbound"
td_start t24 <<CONF || { fail "daemon started"; done_testing; }
metrics_listen = inet:127.0.0.1:$PORT
policy_listen = unix:$M/run/policy
policy_group =
inbound_rules_file = $M/inbound
CONF

# scrape FILE: the exposition, checked to be a 200 reply
scrape() { wx curl -sf --max-time 5 -o "$1" "$URL"; }
# val FILE SAMPLE: the value of one sample line (name{labels}), or "absent"
val() { awk -v k="$2" '$1 == k { print $2; f = 1 } END { if (!f) print "absent" }' "$1"; }
# delta SAMPLE: its growth from $M/before to $M/after
delta() { echo $(( $(val "$M/after" "$1") - $(val "$M/before" "$1") )); }
A='tlspolicyd_answers_total'
H='tlspolicyd_request_duration_seconds'

scrape "$M/before" && pass "GET /metrics answers 200" || fail "GET /metrics"
[ "$(val "$M/before" tlspolicyd_fleet_connected)" = absent ] \
	&& pass "no fleet metrics with the LMDB store" || fail "fleet metrics without a fleet store"
# Every family has HELP and TYPE, counters end in _total; the library
# parses it (Debian's python3-prometheus-client, for /usr/bin/python3).
if /usr/bin/python3 -c 'import prometheus_client' 2>/dev/null; then
	/usr/bin/python3 - "$M/before" <<'PY' && pass "the exposition parses (prometheus_client)" || fail "exposition parse"
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
fams = {f.name: f for f in text_string_to_metric_families(text)}
assert "tlspolicyd_answers" in fams and fams["tlspolicyd_answers"].type == "counter", fams.keys()
assert fams["tlspolicyd_request_duration_seconds"].type == "histogram"
for line in text.splitlines():
    if line.startswith("# TYPE ") and line.split()[3] == "counter":
        assert line.split()[2].endswith("_total"), line
PY
else
	skip_check "python3-prometheus-client is not installed: exposition not parsed"
fi

# 20 override answers from a background client while curl scrapes.
N=20
( for _ in $(seq $N); do td_q over1.test; done > "$M/answers" ) &
qpid=$!
scrapes=0 ok=0
while kill -0 "$qpid" 2>/dev/null && [ $scrapes -lt 200 ]; do
	scrapes=$((scrapes + 1))
	scrape "$M/during" && ok=$((ok + 1))
done
wait "$qpid"
[ "$ok" = "$scrapes" ] && pass "$scrapes scrapes during the queries all answered" \
	|| fail "scrapes during queries: $ok of $scrapes"
[ "$(grep -c '^encrypt$' "$M/answers")" = $N ] && pass "$N override answers" || fail "override answers: $(sort "$M/answers" | uniq -c)"
scrape "$M/after"
got=$(delta "$A{source=\"override\",result=\"ok\"}")
[ "$got" = $N ] && pass "answers_total{override,ok} grew by exactly $N" || fail "override ok grew by $got"
got=$(delta "${H}_count{protocol=\"socketmap\"}")
[ "$got" = $N ] && pass "socketmap latency count grew by exactly $N" || fail "latency count grew by $got"
got=$(delta "${H}_bucket{protocol=\"socketmap\",le=\"+Inf\"}")
[ "$got" = $N ] && pass "socketmap +Inf bucket grew by exactly $N" || fail "+Inf bucket grew by $got"

# DANE twice (the second from the DANE cache), a bogus domain (TEMP),
# an MTA-STS policy fetched and one whose fetch fails.
cp "$M/after" "$M/before"
r1=$(td_q dane-ok.test) r2=$(td_q dane-ok.test) r3=$(td_q bogus.test)
r4=$(td_q sts-enforce.test) r5=$(td_q sts-404.test)
[ "$r1 $r2" = "dane-only dane-only" ] && [ "$r3" = TEMP ] && [ "${r4%% *}" = secure ] \
	&& [ "$r5" = NOTFOUND ] && pass "answers: dane-only x2, TEMP, secure, NOTFOUND" \
	|| fail "answers: [$r1] [$r2] [$r3] [$r4] [$r5]"
scrape "$M/after"
got=$(delta "$A{source=\"dane\",result=\"ok\"}")
[ "$got" = 2 ] && pass "answers_total{dane,ok} grew by 2" || fail "dane ok grew by $got"
temp=0
for s in override dane mta-sts mx-rule default error none; do
	temp=$((temp + $(delta "$A{source=\"$s\",result=\"temp\"}")))
done
[ "$temp" = 1 ] && pass "one TEMP answer counted" || fail "temp answers grew by $temp"
got=$(delta "$A{source=\"mta-sts\",result=\"ok\"}")
[ "$got" = 1 ] && pass "answers_total{mta-sts,ok} grew by 1" || fail "mta-sts ok grew by $got"
got=$(delta 'tlspolicyd_dane_cache_hits_total')
[ "$got" -ge 1 ] && pass "DANE cache hit counted ($got)" || fail "dane cache hits grew by $got"
got=$(delta 'tlspolicyd_dns_lookups_total')
[ "$got" -ge 3 ] && pass "DNS lookups counted ($got)" || fail "dns lookups grew by $got"
got=$(delta 'tlspolicyd_dns_errors_total{class="servfail"}')
[ "$got" -ge 1 ] && pass "the bogus domain's SERVFAIL counted ($got)" || fail "servfail errors grew by $got"
got=$(delta 'tlspolicyd_sts_fetches_total{outcome="ok"}')
[ "$got" = 1 ] && pass "sts_fetches_total{ok} grew by 1" || fail "fetches ok grew by $got"
got=$(delta 'tlspolicyd_sts_fetches_total{outcome="failed"}')
[ "$got" = 1 ] && pass "sts_fetches_total{failed} grew by 1" || fail "fetches failed grew by $got"
got=$(delta 'tlspolicyd_store_writes_total')
[ "$got" = 1 ] && pass "the fetched policy was written to the store" || fail "store writes grew by $got"
[ "$(val "$M/after" 'tlspolicyd_sts_policies_stored')" -ge 1 ] && pass "a policy stored" || fail "policies stored"
[ "$(val "$M/after" 'tlspolicyd_fetcher_restarts_total')" = 0 ] && pass "fetcher restarts: 0" || fail "fetcher restarts"

# A policy request the inbound rule rejects; then a reload (which starts
# the rules' counters again).
cp "$M/after" "$M/before"
out=$("$SMCLIENT" -t 2000 "unix:$M/run/policy" \
	'request=smtpd_access_policy\nprotocol_state=RCPT\nsender=a@partner.test\n\n' | head -1)
case $out in action=550*) pass "inbound rule rejects" ;; *) fail "policy reply [$out]" ;; esac
scrape "$M/after"
got=$(delta 'tlspolicyd_inbound_rule_matches_total{rule="partner",action="reject"}')
[ "$got" = 1 ] && pass "inbound_rule_matches_total{partner,reject} grew by 1" || fail "rule matches grew by $got"
got=$(delta "${H}_count{protocol=\"policy\"}")
[ "$got" = 1 ] && pass "policy latency count grew by 1" || fail "policy latency grew by $got"
cp "$M/after" "$M/before"
td_ctl reload >/dev/null
scrape "$M/after"
got=$(delta 'tlspolicyd_reloads_total{result="ok"}')
[ "$got" = 1 ] && pass "reloads_total{ok} grew by 1" || fail "reloads grew by $got"

# Only GET /metrics.
code=$(wx curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$PORT/")
[ "$code" = 404 ] && pass "GET / is 404" || fail "GET /: $code"
code=$(wx curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST "$URL")
[ "$code" = 404 ] && pass "POST /metrics is 404" || fail "POST: $code"
out=$(wx "$SMCLIENT" -t 2000 "inet:127.0.0.1:$PORT" 'garbage\r\n\r\n' | head -1)
case $out in "HTTP/1.1 400 Bad Request"*) pass "a malformed request is 400" ;; *) fail "malformed: [$out]" ;; esac
done_testing
