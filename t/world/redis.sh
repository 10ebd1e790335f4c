# SPDX-License-Identifier: MIT
# shellcheck shell=bash
# A real redis-server inside the world, for the fleet store tests (52-55).
# Sourced first: it sources testlib.sh and daemon.sh, and sets W (world.sh)
# and the domain the tests share, D, with its answer V1.
#
#   rd_start            start redis-server on $RD_ADDR:$RD_PORT in the
#                       namespace (no persistence: a restart is empty);
#                       waits until it answers PING (bounded)
#   rd_stop             stop it by PID (bounded wait, then SIGKILL)
#   rd_cli ARGS...      redis-cli against it (with RD_PASS when set)
#   rd_wait WANT SECONDS ARGS...   until "rd_cli ARGS..." prints WANT
#   relay NAME [CONF]   td_start NAME sharing that Redis (policy_store =
#                       redis); CONF: extra lines
#   use NAME            make NAME the daemon td_q, td_ctl, td_grep... address
#   gets DOMAIN         policy GETs nginx has served for DOMAIN
# The Redis server's files live in $WORLD_DIR/redis; its PID in redis.pid.

# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
# shellcheck source=t/world/daemon.sh
. "$(dirname "$0")/../daemon.sh"
W=$(dirname "$0")/../world.sh
D=sts-enforce.test
V1="secure match=mx.sts-enforce.test servername=hostname"

RD_ADDR=127.0.0.32
RD_PORT=6379
RD_DIR=$WORLD_DIR/redis
RD_URL=redis://$RD_ADDR:$RD_PORT/0

command -v redis-server >/dev/null || skip_test "redis-server not installed"

rd_cli() {
	wx redis-cli -h "$RD_ADDR" -p "$RD_PORT" ${RD_PASS:+-a "$RD_PASS" --no-auth-warning} \
		--no-raw "$@" 2>&1 | sed 's/^(integer) //; s/^"//; s/"$//'
}

rd_start() {
	mkdir -p "$RD_DIR"
	ip netns exec "$WORLD_NETNS" redis-server --bind "$RD_ADDR" \
		--port "$RD_PORT" --save '' --appendonly no --dir "$RD_DIR" \
		--logfile "$RD_DIR/redis.log" --daemonize no &
	echo $! > "$RD_DIR/redis.pid"
	rd_wait PONG 10 PING
}

rd_stop() {
	[ -f "$RD_DIR/redis.pid" ] || return 0
	kill -CONT "$(cat "$RD_DIR/redis.pid")" 2>/dev/null
	pidfile_stop "$RD_DIR/redis.pid"
}

rd_wait() {
	local want=$1 secs=$2 i
	shift 2
	for ((i = 0; i < secs * 10; i++)); do
		[ "$(rd_cli "$@")" = "$want" ] && return 0
		sleep 0.1
	done
	echo "redis $*: [$(rd_cli "$@")], want [$want]"
	return 1
}

declare -A RELAY_DIR
relay() {
	local name=$1
	td_start "$name" <<CONF || return 1
policy_store = redis
redis_url = ${RELAY_URL:-$RD_URL}
${2:-}
CONF
	RELAY_DIR[$name]=$TD_DIR
}

use() {
	TD_DIR=${RELAY_DIR[$1]}
	TD_SOCK=$TD_DIR/run/socketmap
	TD_MAP=socketmap:unix:$TD_SOCK:tlspolicy
	TD_CONF=$TD_DIR/tlspolicyd.conf
	TD_LOG=$TD_DIR/daemon.log
}

gets() { grep -c " mta-sts.$1 \"GET /.well-known/mta-sts.txt HTTP/" "$WORLD_NGINX_LOG"; }
