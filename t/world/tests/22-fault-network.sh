#!/bin/bash
# SPDX-License-Identifier: MIT
# Fault matrix, network faults (issue 19): the resolver and an MTA-STS
# host misbehave; the daemon keeps answering, never weaker than what it
# knew (TEMP or the cached value, never NOTFOUND for a domain with DANE
# or an MTA-STS policy), and answers as before once the fault is gone.
# 1. The resolver (faultsrv.py dns, a relay to the world's unbound on
#    127.0.0.37) answering SERVFAIL, truncated, garbage, slow, or not at
#    all, with dns_error_action = temp and every cache flushed.
# 2. The policy host of sts-enforce.test moved to faultsrv.py https
#    (127.0.0.38, the world's certificate) with a new policy id: a reset
#    mid-body, an endless body, a handshake that never finishes; the
#    cached policy answers throughout, other fetches proceed.
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
# shellcheck source=t/world/daemon.sh
. "$(dirname "$0")/../daemon.sh"
W=$(dirname "$0")/../world.sh
FSRV=$(dirname "$0")/../faultsrv.py
N=t22
TDIR=$WORLD_DIR/td/$N
DNSADDR=127.0.0.37
WEBADDR=127.0.0.38
command -v python3 >/dev/null || skip_test "python3 not installed"
cleanup() {
	pidfile_stop "$TDIR/dnsfault.pid"
	pidfile_stop "$TDIR/webfault.pid"
	td_stop $N
	"$W" reset >/dev/null 2>&1
}
trap cleanup EXIT
"$W" reset >/dev/null 2>&1
mkdir -p "$TDIR"
is() {	# is KEY WANT DESCRIPTION
	local got
	got=$(td_q "$1")
	if [ "$got" = "$2" ]; then pass "$3"; else fail "$3: want [$2] got [$got]"; fi
}
# setmode FILE MODE: atomically, for a server that reads it at any time
setmode() { echo "$2" > "$1.tmp" && mv "$1.tmp" "$1"; }
# started PIDFILE: the PID file appeared (bounded)
started() {
	for _ in $(seq 100); do [ -s "$1" ] && return 0; sleep 0.05; done
	return 1
}

# ------------------------------------------------------------ 1. resolver
setmode "$TDIR/dns.mode" pass
wx python3 "$FSRV" dns $DNSADDR "$TDIR/dns.mode" "$TDIR/dnsfault.pid" 200 \
	"${WORLD_RESOLVER%%:*}" 2> "$TDIR/dnsfault.log" &
started "$TDIR/dnsfault.pid" || { fail "DNS fault relay started"; done_testing; }
printf 'ovr.test encrypt\n' > "$TDIR/overrides"
td_stop $N
td_start $N <<EOF || { fail "daemon started"; done_testing; }
dns_resolvers = $DNSADDR
dns_timeout = 1s
dns_retries = 0
query_timeout = 3s
dns_error_action = temp
EOF
DANE=dane-ok.test STS=sts-enforce.test
WDANE=$(td_q $DANE) WSTS=$(td_q $STS)
[ "$WDANE" = dane-only ] && pass "through the relay: $DANE dane-only" || fail "$DANE: [$WDANE]"
case $WSTS in "secure match="*) pass "through the relay: $STS policy" ;;
*) fail "$STS: [$WSTS]" ;; esac
for m in servfail truncated garbage slow drop; do
	setmode "$TDIR/dns.mode" $m
	off=$(fsize "$TDIR/dnsfault.log")
	td_ctl flush all >/dev/null
	got=$(td_q $DANE)
	[ "$got" = TEMP ] && pass "$m: $DANE TEMP" || fail "$m: $DANE [$got], want TEMP"
	got=$(td_q $STS)
	case $got in TEMP|"$WSTS") pass "$m: $STS [${got%% *}], not weaker" ;;
	*) fail "$m: $STS [$got], weaker than its cached policy" ;; esac
	is ovr.test encrypt "$m: overrides still answered"
	log_has "$TDIR/dnsfault.log" "$off" "^fault $m" && pass "$m: the fault was served" ||
		fail "$m: the relay served no $m answer"
	setmode "$TDIR/dns.mode" pass
	td_ctl flush all >/dev/null
	is $DANE dane-only "$m over: $DANE answers again"
	is $STS "$WSTS" "$m over: $STS answers its policy"
done
td_stop $N
pidfile_stop "$TDIR/dnsfault.pid"

# ---------------------------------------------------------- 2. policy host
td_start $N </dev/null || { fail "daemon started (https)"; done_testing; }
WSTS=$(td_q $STS)
case $WSTS in "secure match="*) pass "$STS: policy fetched" ;; *) fail "$STS: [$WSTS]" ;; esac
setmode "$TDIR/web.mode" reset
wx python3 "$FSRV" https $WEBADDR "$TDIR/web.mode" "$TDIR/webfault.pid" 200 \
	"$WORLD_DIR/cache/pki/sts-good.chain" "$WORLD_DIR/cache/pki/sts-good.key" \
	2> "$TDIR/webfault.log" &
started "$TDIR/webfault.pid" || { fail "HTTPS fault server started"; done_testing; }
"$W" rr-set mta-sts.$STS A $WEBADDR >/dev/null
"$W" txt-set _mta-sts.$STS "v=STSv1; id=fault22;" >/dev/null
[ "$(wdig +short mta-sts.$STS A | tail -1)" = $WEBADDR ] && pass "policy host moved" ||
	fail "policy host not moved"
for m in reset endless; do
	setmode "$TDIR/web.mode" $m
	off=$(fsize "$TDIR/webfault.log")
	td_mark
	td_ctl flush $STS >/dev/null
	case $m in reset) why='before the response was complete' ;; *) why='body larger than' ;; esac
	td_wait_log "domain=$STS MTA-STS policy fetch failed: .*$why.*keeping the cached policy" 15 &&
		pass "$m: the fetch failed" || fail "$m: no fetch failure logged"
	log_has "$TDIR/webfault.log" "$off" "^fault $m" && pass "$m: the fault was served" ||
		fail "$m: the server served no $m"
	is $STS "$WSTS" "$m: the cached policy answers"
done
setmode "$TDIR/web.mode" handshake
off=$(fsize "$TDIR/webfault.log")
td_ctl flush $STS >/dev/null
log_wait "$TDIR/webfault.log" "$off" "^fault handshake" 10 &&
	pass "handshake: the fetch hangs in the handshake" || fail "handshake: no connection"
is $STS "$WSTS" "handshake: the cached policy answers while the fetch hangs"
noff=$(fsize "$WORLD_NGINX_LOG")
td_ctl flush sts-multi.test >/dev/null
td_q sts-multi.test >/dev/null
log_wait "$WORLD_NGINX_LOG" "$noff" 'mta-sts.sts-multi.test' 10 &&
	pass "handshake: other fetches proceed meanwhile" || fail "handshake: sts-multi.test not fetched"
is ovr.test encrypt "handshake: overrides still answered"
pidfile_stop "$TDIR/webfault.pid"
"$W" reset >/dev/null 2>&1
td_mark
td_ctl flush $STS >/dev/null
is $STS "$WSTS" "host back: $STS answers its policy"
done_testing
