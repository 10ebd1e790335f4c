#!/bin/bash
# SPDX-License-Identifier: MIT
# dnssec_validation = local: tlspolicyd checks the signatures itself,
# up to the world's trust anchor (WORLD_TA, the DS of test.).  Through the
# validating world resolver every scenario must get the answer of
# resolver mode (scenarios.tsv); through a second, NON-validating
# unbound (iterator only, 127.0.0.39) the DANE rows too, in particular
# TEMP for the bogus and expired zones: the point of local mode.  The
# NSEC3 zone nsec3.test (with opt-out) must validate in both.
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
# shellcheck source=t/world/daemon.sh
. "$(dirname "$0")/../daemon.sh"
PLAIN_ADDR=127.0.0.39
PLAIN_DIR=$WORLD_DIR/t14-unbound
trap 'td_stop t14; stop_plain' EXIT

stop_plain() {
	local pid
	[ -f "$PLAIN_DIR/pid" ] || return 0
	pid=$(cat "$PLAIN_DIR/pid")
	kill "$pid" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null
	rm -f "$PLAIN_DIR/pid"
}

start_plain() {
	local ns
	mkdir -p "$PLAIN_DIR"
	ns=$(sed -n 's/^[[:space:]]*stub-addr: //p' "$WORLD_DIR/unbound/unbound.conf" | head -1)
	cat > "$PLAIN_DIR/unbound.conf" <<EOF
server:
	interface: $PLAIN_ADDR
	port: 53
	do-ip6: no
	access-control: 127.0.0.0/8 allow
	username: ""
	chroot: ""
	directory: "$PLAIN_DIR"
	pidfile: "$PLAIN_DIR/pid"
	logfile: "$PLAIN_DIR/unbound.log"
	use-syslog: no
	num-threads: 1
	so-reuseport: no
	do-not-query-localhost: no
	module-config: "iterator"
	local-zone: "test." nodefault
	cache-max-ttl: 1
	cache-max-negative-ttl: 1
	qname-minimisation: no
	minimal-responses: no
stub-zone:
	name: "test."
	stub-addr: $ns
stub-zone:
	name: "."
	stub-addr: $ns
remote-control:
	control-enable: no
EOF
	wx unbound -c "$PLAIN_DIR/unbound.conf" </dev/null >>"$PLAIN_DIR/unbound.log" 2>&1 || return 1
	for _ in $(seq 50); do
		[ -s "$PLAIN_DIR/pid" ] && wx dig +time=1 +tries=1 @"$PLAIN_ADDR" test. SOA >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# The NSEC3 zone (nsec3.test, opt-out, child ins.nsec3.test unsigned): the
# scenario rows cover DANE, the implicit MX (NSEC3 NODATA) and the opt-out
# delegation (ldns-signzone -p still lists it, so its NSEC3 matches: NS,
# no DS); here a name that does not exist (NSEC3 NXDOMAIN proof, insecure
# through opt-out) and the log lines of this daemon (its log starts empty).
# Needs log_level = debug.
nsec3_checks() {	# nsec3_checks VIA
	is nx.nsec3.test NOTFOUND "$1: nx.nsec3.test (NSEC3 NXDOMAIN) NOTFOUND"
	# every NSEC3 has opt-out: the NXDOMAIN is insecure (RFC 5155 9.2)
	if td_grep 'dnssec: nx.nsec3.test. type 15 is insecure: NSEC3, NXDOMAIN: NSEC3 opt-out span'; then
		pass "$1: nx.nsec3.test NXDOMAIN proven, insecure by opt-out"
	else
		fail "$1: no opt-out log line for nx.nsec3.test"
	fi
	if td_grep 'dnssec: ins.nsec3.test. is an insecure delegation'; then
		pass "$1: ins.nsec3.test proven insecure by NSEC3"
	else
		fail "$1: no insecure-delegation log line for ins.nsec3.test"
	fi
	if td_grep 'dnssec: .*nsec3\.test.* is bogus'; then
		fail "$1: an nsec3.test answer was bogus: $(log_from "$TD_LOG" "$TD_LOG_MARK" | grep 'nsec3\.test.* is bogus' | head -1)"
	else
		pass "$1: no nsec3.test answer bogus"
	fi
}

is() {	# is KEY WANT DESCRIPTION
	local got
	got=$(td_q "$1")
	[ "$got" != NOTFOUND ] && [ "$got" != TEMP ] && [ "$got" != PERM ] && got="OK $got"
	if [ "$got" = "$2" ]; then pass "$3"; else fail "$3: want [$2] got [$got]"; fi
}

# --- Start-up checks of the anchor file.
BADTA=$WORLD_DIR/t14-bad.ta
echo "test. 60 IN A 127.0.0.1" > "$BADTA"
td_start t14 <<EOF >/dev/null 2>&1
dnssec_validation = local
dnssec_trust_anchor_file = $BADTA
EOF
rc=$?
if [ $rc -ne 0 ] && td_grep "$BADTA: line 1: not a DS or DNSKEY"; then
	pass "an anchor file without DS/DNSKEY stops start-up, naming the file"
else
	fail "bad anchor file: rc=$rc, log: $(tail -2 "$TD_LOG")"
fi
td_stop t14
td_start t14 <<EOF >/dev/null 2>&1
dnssec_validation = local
dnssec_trust_anchor_file = $WORLD_DIR/no-such-anchor
EOF
rc=$?
if [ $rc -ne 0 ] && td_grep "no-such-anchor"; then
	pass "a missing anchor file stops start-up, naming the file"
else
	fail "missing anchor file: rc=$rc"
fi
td_stop t14

# --- Local validation through the validating resolver: every scenario.
td_start t14 <<EOF || { fail "daemon started (local, validating resolver)"; done_testing; }
dnssec_validation = local
dnssec_trust_anchor_file = $WORLD_TA
log_level = debug
EOF
while read -r dom _ want; do
	case "$dom" in ''|'#'*) continue ;; esac
	case "$want" in TEMP*) want=TEMP ;; esac
	is "$dom" "$want" "local via validating resolver: $dom: $want"
done < "$WORLD_SRC/scenarios.tsv"
td_grep 'dnssec: .*bogus\.test.* is bogus' && pass "bogus.test logged as bogus" ||
	fail "no bogus log line for bogus.test"
td_grep 'dnssec: .*expired\.test.* is bogus: .*expired' && pass "expired.test: signature expired logged" ||
	fail "no expiry log line for expired.test"
td_grep 'dnssec: insecure.test. is an insecure delegation' &&
	pass "insecure.test proven an insecure delegation" || fail "no insecure-delegation log line"
nsec3_checks "validating resolver"
td_stop t14

# --- Local validation through a resolver that does not validate.
if ! start_plain; then
	fail "non-validating unbound on $PLAIN_ADDR started"
	done_testing
fi
got=$(wx dig +time=2 +tries=1 @"$PLAIN_ADDR" bogus.test MX | grep -c 'status: NOERROR')
[ "$got" = 1 ] && pass "the plain resolver passes bogus data on (NOERROR)" ||
	fail "plain resolver: bogus.test MX not NOERROR"
td_start t14 <<EOF || { fail "daemon started (local, plain resolver)"; done_testing; }
dnssec_validation = local
dnssec_trust_anchor_file = $WORLD_TA
dns_resolvers = $PLAIN_ADDR
log_level = debug
EOF
while read -r dom _ want; do
	case "$dom" in ''|'#'*|sts-*) continue ;; esac
	case "$want" in TEMP*) want=TEMP ;; esac
	is "$dom" "$want" "local via non-validating resolver: $dom: $want"
done < "$WORLD_SRC/scenarios.tsv"
nsec3_checks "non-validating resolver"
td_stop t14

# --- Control: resolver mode through the same plain resolver cannot tell.
td_start t14 <<EOF || { fail "daemon started (resolver mode, plain resolver)"; done_testing; }
dns_resolvers = $PLAIN_ADDR
EOF
is dane-ok.test NOTFOUND "control: resolver mode trusts the missing AD bit (no DANE)"
td_stop t14
done_testing
