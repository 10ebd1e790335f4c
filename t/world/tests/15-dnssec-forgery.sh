#!/bin/bash
# SPDX-License-Identifier: MIT
# dnssec_validation = local against an on-path attacker who flips the
# rcode (security review, issue 12 item 1).  dnsrelay.pl sits between
# tlspolicyd and the world resolver on RELAY_ADDR and sets NXDOMAIN in the
# answers to one name/type; the signatures still verify, but the rcode
# disagrees with the signed data, so the answer is bogus and the DANE
# lookup TEMP -- never NOTFOUND ("no such domain", "no TLSA": DANE off).
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
# shellcheck source=t/world/daemon.sh
. "$(dirname "$0")/../daemon.sh"
RELAY_ADDR=127.0.0.36
RELAY_DIR=$WORLD_DIR/t15-relay
RELAY_LOG=$RELAY_DIR/relay.log
RELAY_PID=$RELAY_DIR/pid
trap 'td_stop t15; relay_stop' EXIT

relay_stop() { pidfile_stop "$RELAY_PID"; }

relay_start() {	# relay_start NAME TYPE: flip NAME/TYPE to NXDOMAIN
	relay_stop
	mkdir -p "$RELAY_DIR"
	: > "$RELAY_LOG"
	ip netns exec "$WORLD_NETNS" perl "$WORLD_SRC/dnsrelay.pl" "$RELAY_ADDR" \
		"$WORLD_RESOLVER" "$1" "$2" 3 "$RELAY_PID" 120 </dev/null >>"$RELAY_LOG" 2>&1 &
	for _ in $(seq 50); do
		[ -s "$RELAY_PID" ] && wx dig +time=1 +tries=1 @"$RELAY_ADDR" test. SOA >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# tlspolicyd validating locally, asking the relay
td_behind_relay() {
	td_start t15 <<EOF
dnssec_validation = local
dnssec_trust_anchor_file = $WORLD_TA
dns_resolvers = $RELAY_ADDR
log_level = debug
EOF
}

# flip_case NAME TYPE DOMAIN DESCRIPTION: NAME/TYPE flipped, DOMAIN is TEMP
flip_case() {
	local got
	relay_start "$1" "$2" || { fail "$4: relay did not start: $(tail -2 "$RELAY_LOG")"; return; }
	rm -f "$WORLD_DIR/td/t15/daemon.log"	# this case's log lines only
	td_behind_relay || { fail "$4: daemon did not start"; relay_stop; return; }
	got=$(td_q "$3")
	if [ "$got" = TEMP ]; then pass "$4: TEMP"; else fail "$4: want TEMP got [$got]"; fi
	if grep -qi "^flip $1 " "$RELAY_LOG"; then
		pass "$4: the relay flipped the rcode"
	else
		fail "$4: the relay flipped nothing (relay log: $(tail -1 "$RELAY_LOG"))"
	fi
	if grep -qi "dnssec: $1\.\?/[0-9]* is bogus: rcode NXDOMAIN with the data" "$TD_LOG"; then
		pass "$4: logged as bogus, rcode against the data"
	else
		fail "$4: no bogus log line for $1"
	fi
	td_stop t15
	relay_stop
}

# --- The relay itself: it forwards, and flips only the configured answer.
relay_start _25._tcp.mx.dane-ok.test TLSA || { fail "relay started on $RELAY_ADDR"; done_testing; }
out=$(wx dig +time=2 +tries=1 +dnssec +cd @"$RELAY_ADDR" _25._tcp.mx.dane-ok.test TLSA)
if grep -q 'status: NXDOMAIN' <<<"$out" && grep -q 'ANSWER: [1-9]' <<<"$out" &&
	grep -q 'IN[[:space:]]*RRSIG[[:space:]]*TLSA' <<<"$out"; then
	pass "relay: the TLSA answer keeps its signed data under NXDOMAIN"
else
	fail "relay: TLSA answer not flipped as expected: $(grep status: <<<"$out")"
fi
out=$(wx dig +time=2 +tries=1 +dnssec @"$RELAY_ADDR" mx.dane-ok.test A)
grep -q 'status: NOERROR' <<<"$out" && pass "relay: other answers pass unchanged" ||
	fail "relay: mx.dane-ok.test A not NOERROR"

# --- Control: through the relay, an untouched DANE domain is dane-only.
td_behind_relay || { fail "daemon started (control)"; done_testing; }
got=$(td_q dane-ta.test)
[ "$got" = dane-only ] && pass "control: dane-ta.test through the relay: dane-only" ||
	fail "control: dane-ta.test through the relay: want [dane-only] got [$got]"
td_stop t15

# --- Forged rcodes: a signed answer under NXDOMAIN is bogus, so TEMP.
flip_case _25._tcp.mx.dane-ok.test TLSA dane-ok.test "TLSA flipped to NXDOMAIN"
flip_case dane-ok.test MX dane-ok.test "MX flipped to NXDOMAIN"
flip_case mx.dane-ok.test A dane-ok.test "MX host A flipped to NXDOMAIN"
done_testing
