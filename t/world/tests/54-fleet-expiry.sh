#!/bin/bash
# SPDX-License-Identifier: MIT
# Nothing lives forever in the fleet store: a policy's Redis entry expires
# at its expires_at (fetch time + max_age, by the daemon's clock), Redis
# removes it by itself when that time comes, and a policy the relay's
# (injected) clock has expired is dropped and refetched, with the new
# expiry in Redis.
# shellcheck source=t/world/redis.sh
. "$(dirname "$0")/../redis.sh"	# testlib.sh, daemon.sh; W, D, V1
S=sts-multi.test
trap 'td_stop t54; rd_stop; "$W" reset >/dev/null 2>&1' EXIT
"$W" reset >/dev/null 2>&1
rd_start || { fail "redis-server started"; done_testing; }
rd_cli FLUSHALL >/dev/null
relay t54 || { fail "relay started"; done_testing; }
use t54

# in_range VALUE LOW HIGH
in_range() { [ "$1" -ge "$2" ] 2>/dev/null && [ "$1" -le "$3" ]; }

# 1. The entry expires at fetch time + max_age (86400).
t0=$(date +%s)
[ "$(td_q_known $D)" = "$V1" ] && pass "$D fetched" || fail "$D"
rd_wait 1 5 EXISTS tlspolicyd:sts:$D || true
left=$(( $(rd_cli EXPIRETIME tlspolicyd:sts:$D) - t0 ))
in_range "$left" 86395 86405 && pass "Redis expires $D at max_age ($left s)" \
	|| fail "$D expires in [$left] s, want about 86400"

# 2. A short max_age: Redis removes the entry by itself.
sed 's/^max_age: .*/max_age: 3/' "$(dirname "$0")/../sts/$S.txt" > "$WORLD_DIR/t54-short.txt"
"$W" sts-set $S "$WORLD_DIR/t54-short.txt" >/dev/null
case $(td_q_known $S) in secure*) pass "$S fetched with max_age 3";; *) fail "$S";; esac
ttl=$(rd_cli TTL tlspolicyd:sts:$S)
in_range "$ttl" 1 3 && pass "its Redis TTL is at most 3 s ($ttl)" || fail "TTL of $S: [$ttl]"
rd_wait 0 10 EXISTS tlspolicyd:sts:$S && pass "Redis expired $S by itself" \
	|| fail "$S still in Redis"

# 3. The relay's clock passes max_age: dropped, refetched, new expiry.
td_mark
td_ctl clock +86401 >/dev/null || fail "clock control"
[ "$(td_q_known $D)" = "$V1" ] && pass "$D answered after its max_age" || fail "$D after max_age"
td_wait_log "domain=$D MTA-STS policy id=.* expired; dropped" 5 \
	&& pass "the expired policy was dropped" || fail "no 'expired; dropped' line"
td_wait_log "domain=$D MTA-STS policy id=.* fetched" 10 \
	&& pass "and fetched again" || fail "no refetch"
for _ in $(seq 50); do
	left=$(( $(rd_cli EXPIRETIME tlspolicyd:sts:$D) - t0 ))
	[ "$left" -gt 86405 ] 2>/dev/null && break
	sleep 0.1
done
in_range "$left" $((86401 + 86395)) $((86401 + 86405)) \
	&& pass "Redis expiry moved with the refetch ($left s)" || fail "expiry after refetch: [$left]"
done_testing
