#!/bin/bash
# SPDX-License-Identifier: MIT
# log_level = notice, for busy relays: no line per ordinary answer (an OK
# answer, first or from the cache), but every TEMP answer (with its
# reason), every failed MTA-STS fetch and every state change (a policy
# fetched) is logged.  The default stays info (tlspolicyd.conf(5)).
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
# shellcheck source=t/world/daemon.sh
. "$(dirname "$0")/../daemon.sh"
trap 'td_stop t25' EXIT
td_start t25 <<'CONF' || { fail "daemon started"; done_testing; }
log_level = notice
CONF

r1=$(td_q dane-ok.test) r2=$(td_q dane-ok.test)
[ "$r1 $r2" = "dane-only dane-only" ] && pass "dane-ok.test answered twice" || fail "dane-ok: [$r1] [$r2]"
[ "$(td_stat dane cache_hits)" -ge 1 ] && pass "the second answer came from the cache" || fail "no DANE cache hit"
td_grep 'key=dane-ok.test ' && fail "an OK answer is logged at notice" || pass "no line for the OK answers"

r=$(td_q bogus.test)
[ "$r" = TEMP ] && pass "bogus.test: TEMP" || fail "bogus.test: [$r]"
td_wait_log 'key=bogus.test answer=TEMP source=[a-z-]+ reason="[^"]+"' 5 \
	&& pass "the TEMP answer is logged, with its reason" || fail "TEMP answer not logged"

r=$(td_q sts-enforce.test)
case $r in secure*) pass "sts-enforce.test: secure" ;; *) fail "sts-enforce.test: [$r]" ;; esac
td_wait_log 'domain=sts-enforce.test MTA-STS policy id=[^ ]+ mode=enforce .*fetched' 5 \
	&& pass "a policy fetched (state change) is logged" || fail "policy fetch not logged"
td_grep 'key=sts-enforce.test ' && fail "the OK MTA-STS answer is logged" || pass "no line for the OK MTA-STS answer"

td_q sts-404.test >/dev/null
td_wait_log 'domain=sts-404.test MTA-STS policy fetch failed' 5 \
	&& pass "a failed fetch is logged" || fail "failed fetch not logged"
done_testing
