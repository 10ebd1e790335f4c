#!/bin/bash
# SPDX-License-Identifier: MIT
# Two relays share one real Redis (policy_store = redis): a policy one of
# them fetched answers on the other without a fetch (nginx's access log
# counts the GETs); both asked for a new domain at once fetch it once (the
# fetch lock); a flush on one relay is seen on the other, and the
# refetch is again done once.
# shellcheck source=t/world/redis.sh
. "$(dirname "$0")/../redis.sh"	# testlib.sh, daemon.sh; W, D, V1
trap 'td_stop t52a; td_stop t52b; rd_stop' EXIT
"$W" reset >/dev/null 2>&1
rd_start || { fail "redis-server started"; done_testing; }
rd_cli FLUSHALL >/dev/null
relay t52a && relay t52b || { fail "relays started"; done_testing; }

# 1. One fetch, two relays.
g0=$(gets $D)
use t52a
[ "$(td_q_known $D)" = "$V1" ] && pass "relay A: $D fetched" || fail "relay A: $D"
[ "$(gets $D)" = $((g0 + 1)) ] && pass "one GET for relay A" || fail "GETs: $(gets $D), want $((g0 + 1))"
[ "$(rd_cli EXISTS tlspolicyd:sts:$D)" = 1 ] && pass "the policy is in Redis" \
	|| fail "no tlspolicyd:sts:$D in Redis"
use t52b
[ "$(td_q_known $D)" = "$V1" ] && pass "relay B answers $D" || fail "relay B: $D"
[ "$(gets $D)" = $((g0 + 1)) ] && pass "relay B fetched nothing (still one GET)" \
	|| fail "GETs after relay B: $(gets $D), want $((g0 + 1))"
[ "$(td_stat mta-sts fetches)" = 0 ] && pass "relay B: 0 fetches" \
	|| fail "relay B fetches: $(td_stat mta-sts fetches)"
td_grep "domain=$D MTA-STS policy id=.* from the fleet store" \
	&& pass "relay B logged the shared policy" || fail "no 'from the fleet store' line"

# 2. A new domain asked on both relays at the same moment: one fetch.
N=sts-multi.test
g0=$(gets $N)
use t52a; td_q_known $N > "$WORLD_DIR/t52a.out" &
qa=$!
use t52b; td_q_known $N > "$WORLD_DIR/t52b.out" &
qb=$!
wait $qa $qb
a=$(cat "$WORLD_DIR/t52a.out"); b=$(cat "$WORLD_DIR/t52b.out")
case $a in secure*) pass "relay A answers $N";; *) fail "relay A: $N [$a]";; esac
[ "$a" = "$b" ] && pass "relay B gives the same answer" || fail "relay B: [$b] vs [$a]"
[ "$(gets $N)" = $((g0 + 1)) ] && pass "both relays at once: one GET for $N" \
	|| fail "GETs for $N: $(gets $N), want $((g0 + 1))"

# 3. Flush on A: B hears of it and takes A's refetch (clocks move on, so
# the refetch is newer than what both hold).
for r in t52a t52b; do use $r; td_ctl clock +5 >/dev/null; done
use t52b; td_mark; mb=$TD_LOG_MARK
g0=$(gets $D)
use t52a
td_ctl flush $D | grep -q "flushed $D" && pass "flush on relay A" || fail "flush on relay A"
use t52b
td_wait_log "domain=$D MTA-STS flushed by another relay" 10 "$mb" \
	&& pass "relay B saw the flush" || fail "relay B: no flush from the fleet"
td_wait_log "domain=$D MTA-STS policy id=.* from the fleet store" 15 "$mb" \
	&& pass "relay B took relay A's refetch" || fail "relay B: no shared refetch"
[ "$(gets $D)" = $((g0 + 1)) ] && pass "the flush cost one GET fleet-wide" \
	|| fail "GETs after the flush: $(gets $D), want $((g0 + 1))"
[ "$(td_q $D)" = "$V1" ] && pass "relay B still answers $D" || fail "relay B after flush"
td_ctl status | grep -q "store: redis .*connected" && pass "status shows the fleet store" \
	|| fail "status: $(td_ctl status | grep store:)"
done_testing
