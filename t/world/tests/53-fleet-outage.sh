#!/bin/bash
# SPDX-License-Identifier: MIT
# The fleet store (policy_store = redis) failing: Redis unreachable when
# the relay starts, restarted empty mid-run, and stalled with SIGSTOP while
# queries flow.  Answers continue from memory and the local store, never
# weaker (no TEMP, no NOTFOUND for a policy domain), and what Redis missed
# is written to it when it returns.  The Prometheus metrics follow the
# same state (tlspolicyd_fleet_*).
# shellcheck source=t/world/redis.sh
. "$(dirname "$0")/../redis.sh"	# testlib.sh, daemon.sh; W, D, V1
trap 'td_stop t53; rd_stop' EXIT
"$W" reset >/dev/null 2>&1
rd_stop

MPORT=9156
# metric NAME: its value in a scrape of the relay's /metrics, or "absent"
metric() {
	wx curl -sf --max-time 5 "http://127.0.0.1:$MPORT/metrics" |
		awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "absent" }'
}

# 1. Unreachable at start: the relay starts, fetches, and keeps a backlog.
relay t53 "metrics_listen = inet:127.0.0.1:$MPORT" \
	|| { fail "relay started without Redis"; done_testing; }
use t53
pass "relay started with Redis unreachable"
[ "$(td_q_known $D)" = "$V1" ] && pass "$D answered without Redis" || fail "$D without Redis"
[ "$(td_stat store connected)" = False ] && pass "status: disconnected" \
	|| fail "status connected: $(td_stat store connected)"
[ "$(td_stat store backlog)" = 1 ] && pass "status: backlog 1" \
	|| fail "backlog: $(td_stat store backlog)"
[ "$(metric tlspolicyd_fleet_connected)" = 0 ] && [ "$(metric tlspolicyd_fleet_backlog)" = 1 ] \
	&& pass "metrics: fleet_connected 0, fleet_backlog 1" \
	|| fail "metrics: connected $(metric tlspolicyd_fleet_connected), backlog $(metric tlspolicyd_fleet_backlog)"
rd_start || fail "redis-server started"
rd_wait 1 20 EXISTS tlspolicyd:sts:$D && pass "the backlog reached Redis when it came up" \
	|| fail "$D never written to Redis"
td_wait_log "written to the fleet store after it returned" 5 \
	&& pass "logged the catch-up" || fail "no catch-up line"
[ "$(td_stat store backlog)" = 0 ] && pass "backlog empty" || fail "backlog: $(td_stat store backlog)"
[ "$(metric tlspolicyd_fleet_connected)" = 1 ] && [ "$(metric tlspolicyd_fleet_backlog)" = 0 ] \
	&& pass "metrics: fleet_connected 1, fleet_backlog 0" \
	|| fail "metrics: connected $(metric tlspolicyd_fleet_connected), backlog $(metric tlspolicyd_fleet_backlog)"

# 2. Redis restarted mid-run (empty: no persistence); a new domain
# fetched while it is down goes to it afterwards.
N=sts-multi.test
rd_stop
[ "$(td_q $D)" = "$V1" ] && pass "Redis down: cached answer unchanged" || fail "cached answer with Redis down"
case $(td_q_known $N) in secure*) pass "Redis down: $N fetched";; *) fail "Redis down: $N";; esac
rd_start || fail "redis-server restarted"
rd_wait 1 20 EXISTS tlspolicyd:sts:$N && pass "$N written to the restarted Redis" \
	|| fail "$N not in the restarted Redis"
[ "$(td_q $D)" = "$V1" ] && pass "cached answer after the restart" || fail "answer after restart"

# 3. Stalled (SIGSTOP) while queries flow: answers continue, a new domain
# is fetched (bounded Redis timeouts), and it reaches Redis after SIGCONT.
C=sts-crlf.test
kill -STOP "$(cat "$RD_DIR/redis.pid")"
bad=0
for _ in $(seq 20); do [ "$(td_q $D)" = "$V1" ] || bad=$((bad + 1)); done
[ $bad = 0 ] && pass "Redis stalled: 20 cached answers, none weaker" || fail "$bad weaker answers"
case $(td_q_known $C) in secure*) pass "Redis stalled: $C fetched and enforced";; *) fail "Redis stalled: $C";; esac
[ "$(td_stat store connected)" = False ] && pass "status: disconnected while stalled" \
	|| fail "status while stalled: connected"
E=$(metric tlspolicyd_fleet_errors_total)
[ "$(metric tlspolicyd_fleet_connected)" = 0 ] && [ "$E" != absent ] && [ "$E" -gt 0 ] \
	&& pass "metrics while stalled: fleet_connected 0, fleet_errors_total $E" \
	|| fail "metrics while stalled: connected $(metric tlspolicyd_fleet_connected), errors $E"
td_ctl status | grep -q "store: redis .*last error: .*" && pass "status shows the last error" \
	|| fail "status: $(td_ctl status | grep store:)"
kill -CONT "$(cat "$RD_DIR/redis.pid")"
rd_wait 1 20 EXISTS tlspolicyd:sts:$C && pass "$C reached Redis after SIGCONT" \
	|| fail "$C not in Redis after SIGCONT"
[ "$(td_stat store connected)" = True ] && pass "status: connected again" || fail "not connected again"
[ "$(td_q $C)" = "$(td_q $C)" ] && case $(td_q $C) in secure*) true;; *) false;; esac \
	&& pass "$C still enforced" || fail "$C after SIGCONT"
done_testing
