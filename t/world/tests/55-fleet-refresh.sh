#!/bin/bash
# SPDX-License-Identifier: MIT
# The fleet store with a password and a database number: the relays log
# in (the password never reaches a log line or the status), their keys
# live in that database, a wrong password leaves the relay answering from
# its own store with the reason in the status; and a refresh due on two
# relays at once is done once (one GET), both taking the new policy.
# shellcheck source=t/world/redis.sh
. "$(dirname "$0")/../redis.sh"	# testlib.sh, daemon.sh; W, D, V1
PW=t55-Secret-pw
trap 'td_stop t55a; td_stop t55b; td_stop t55c; rd_stop' EXIT
"$W" reset >/dev/null 2>&1
rd_start || { fail "redis-server started"; done_testing; }
rd_cli CONFIG SET requirepass "$PW" >/dev/null
RD_PASS=$PW
rd_cli FLUSHALL >/dev/null
RELAY_URL=redis://:$PW@$RD_ADDR:$RD_PORT/3
relay t55a && relay t55b || { fail "relays started"; done_testing; }

# 1. Password and database.
use t55a
[ "$(td_q_known $D)" = "$V1" ] && pass "relay A: $D" || fail "relay A: $D"
[ "$(rd_cli -n 3 EXISTS tlspolicyd:sts:$D)" = 1 ] && pass "the entry is in database 3" \
	|| fail "not in database 3"
[ "$(rd_cli -n 0 EXISTS tlspolicyd:sts:$D)" = 0 ] && pass "and not in database 0" \
	|| fail "found in database 0"
[ "$(td_stat store connected)" = True ] && pass "logged in" || fail "not connected"
if grep -q -- "$PW" "${RELAY_DIR[t55a]}/daemon.log" || td_ctl status | grep -q -- "$PW" \
	|| td_ctl status --json | grep -q -- "$PW"; then
	fail "the password shows in a log line or the status"
else
	pass "the password is in no log line and not in the status"
fi
RELAY_URL=redis://:wrong-pw@$RD_ADDR:$RD_PORT/3 relay t55c || fail "relay C started"
use t55c
[ "$(td_q_known $D)" = "$V1" ] && pass "wrong password: $D answered all the same" \
	|| fail "wrong password: $D"
td_ctl status | grep -Eq "store: redis .*disconnected.*last error: AUTH" \
	&& pass "status: disconnected, the AUTH error" || fail "status: $(td_ctl status | grep store:)"
td_stop t55c

# 2. A refresh due on both relays at once: one GET, both get the policy.
use t55b
[ "$(td_q_known $D)" = "$V1" ] && pass "relay B: $D" || fail "relay B: $D"
g0=$(gets $D)
for r in t55a t55b; do use $r; td_ctl clock +43300 >/dev/null; td_q $D >/dev/null; done
declare -A mark
for r in t55a t55b; do use $r; td_mark; mark[$r]=$TD_LOG_MARK; done
use t55a; td_ctl refresh >/dev/null &
ra=$!
use t55b; td_ctl refresh >/dev/null &
rb=$!
wait $ra $rb
n=0
for r in t55a t55b; do
	use $r
	td_wait_log "domain=$D MTA-STS policy id=.* (fetched|from the fleet store)" 15 "${mark[$r]}" \
		&& n=$((n + 1))
done
[ $n = 2 ] && pass "both relays refreshed $D" || fail "$n relays refreshed"
[ "$(gets $D)" = $((g0 + 1)) ] && pass "one GET for two refreshes" \
	|| fail "GETs: $(gets $D), want $((g0 + 1))"
done_testing
