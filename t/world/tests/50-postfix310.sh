#!/bin/bash
# SPDX-License-Identifier: MIT
# Postfix >= 3.10 and the TLSRPT-aware map name (tlspolicy-tlsrpt), with a
# real sending Postfix whose own level is "may", so that only the daemon's
# answers decide:
#  - the enforce answer carries policy_type=sts, policy_domain, every
#    mx_host_pattern and every policy_string, and Postfix accepts it;
#  - MX pattern enforcement: sts-mxpattern.test's MX host matches no mx:
#    pattern but its certificate is valid for one; with the attributes
#    Postfix 3.10 never delivers to it, while the same answer without them
#    (an inline: map) delivers: the attributes make the difference;
#  - testing mode and no policy: NOTFOUND, delivered as opportunistic TLS;
#  - with smtp_tlsrpt_enable = yes, the datagrams smtp(8) sends (caught by a
#    small test collector, t/world/tlsrpt-collect.py) carry the policy type,
#    domain, strings and MX patterns the daemon supplied;
#  - sts_testing_report = yes: the testing-mode policy answers the "may"
#    form, and its datagram carries policy type 2 (sts) and the testing
#    policy's strings (without it: NOTFOUND, reported as no-policy-found).
# On Postfix before 3.10 there is nothing to run: Debian 12's Postfix 3.7
# would defer every such answer; CI runs this test in the Debian 13 root
# (scripts/debian13.sh), where it must pass.
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
# shellcheck source=t/world/daemon.sh
. "$(dirname "$0")/../daemon.sh"
P=$(dirname "$0")/../postfix.sh

ver=$(postconf -dh mail_version)
major=${ver%%.*} rest=${ver#*.} minor=${rest%%.*}
if [ "$major" -lt 3 ] || { [ "$major" = 3 ] && [ "$minor" -lt 10 ]; }; then
	echo "# $T_NAME: not applicable: Postfix $ver (needs 3.10; runs in the Debian 13 pass)"
	echo "# $T_NAME: 0 passed, 0 failed"
	exit 0
fi
command -v swaks >/dev/null || skip_test "swaks not installed"

NAME=t50-sender
QUEUE=$WORLD_DIR/pf/$NAME/queue
SOCK=$QUEUE/tlspolicyd/socketmap
COLLECTED=$WORLD_DIR/t50-tlsrpt.jsonl
CPID=$WORLD_DIR/t50-collector.pid
trap 'td_stop t50; "$P" stop "$NAME"; pidfile_stop "$CPID"' EXIT
"$P" stop "$NAME" >/dev/null 2>&1
rm -rf "${WORLD_DIR:?}/pf/$NAME" "$COLLECTED"
U=u$$

td_start_pf t50 "$QUEUE" || { fail "daemon started"; done_testing; }

# The daemon's answers on the TLSRPT-aware name, fetched before any mail.
RPT=socketmap:unix:$SOCK:tlspolicy-tlsrpt
want_enforce="secure match=mx.sts-enforce.test servername=hostname policy_type=sts policy_domain=sts-enforce.test mx_host_pattern=mx.sts-enforce.test { policy_string = version: STSv1 } { policy_string = mode: enforce } { policy_string = mx: mx.sts-enforce.test } { policy_string = max_age: 86400 }"
a=$(td_q_known sts-enforce.test "$RPT")
[ "$a" = "$want_enforce" ] && pass "enforce answer with every TLSRPT attribute" ||
	fail "enforce answer: [$a]"
pat=$(td_q_known sts-mxpattern.test "$RPT")
case $pat in
*"policy_type=sts policy_domain=sts-mxpattern.test mx_host_pattern=mx.sts-enforce.test "*)
	pass "sts-mxpattern: attributes name the policy's pattern" ;;
*) fail "sts-mxpattern answer: [$pat]" ;;
esac
[ "$(td_q sts-testing.test "$RPT")" = NOTFOUND ] && pass "testing mode: NOTFOUND" || fail "testing mode answer"
[ "$(td_q insecure.test "$RPT")" = NOTFOUND ] && pass "no policy: NOTFOUND" || fail "no policy answer"

# The collector, in the sender's queue directory (smtp(8) is chrooted
# there; smtp_tlsrpt_socket_name is relative to it).
mkdir -p "$QUEUE/run/tlsrpt"
python3 "$(dirname "$0")/../tlsrpt-collect.py" "$QUEUE/run/tlsrpt/tlsrpt.sock" \
	"$COLLECTED" "$CPID" 240 &
for _ in $(seq 50); do [ -S "$QUEUE/run/tlsrpt/tlsrpt.sock" ] && break; sleep 0.1; done
check "test collector listening" test -S "$QUEUE/run/tlsrpt/tlsrpt.sock"

rpt_sender() {	# (re)start the sender on the TLSRPT map, reporting
	"$P" stop "$NAME" >/dev/null 2>&1
	"$P" start "$NAME" sender "$WORLD_SENDER_ADDR" <<EOF
smtp_tls_security_level = may
smtp_dns_support_level = dnssec
smtp_tls_policy_maps = $RPT
smtp_tlsrpt_enable = yes
smtp_tlsrpt_socket_name = run/tlsrpt/tlsrpt.sock
EOF
}
rpt_sender || { fail "sender started"; done_testing; }
LOG=$("$P" log "$NAME")
send() {	# send RCPT-DOMAIN TAG
	wx swaks -4 --server "$WORLD_SENDER_ADDR" --from sender@world.test --to "$U@$1" \
		--header "Subject: t50 $2" >/dev/null 2>&1
}

send sts-enforce.test enforce
"$P" wait-log "$NAME" "to=<$U@sts-enforce.test>.*status=sent" 30 &&
	pass "sts-enforce delivered by Postfix $ver" || fail "sts-enforce not delivered"
grep -q 'Verified TLS connection established to mx.sts-enforce.test\[' "$LOG" &&
	pass "sts-enforce: Verified TLS" || fail "sts-enforce: not Verified"

send sts-mxpattern.test pattern
"$P" wait-log "$NAME" "to=<$U@sts-mxpattern.test>.*status=deferred" 30 &&
	pass "sts-mxpattern: deferred (MX matches no pattern)" || fail "sts-mxpattern: not deferred"
grep -q "TLS connection established to mx.sts-mxpattern.test" "$LOG" &&
	fail "sts-mxpattern: Postfix connected with TLS to the non-matching MX" ||
	pass "sts-mxpattern: no TLS session with the non-matching MX"
grep -q "MX name 'mx.sts-mxpattern.test' does not match STS MX pattern" "$LOG" &&
	pass "sts-mxpattern: Postfix says the MX matches no pattern" ||
	fail "sts-mxpattern: no MX pattern warning in $LOG"

send sts-testing.test testing
"$P" wait-log "$NAME" "to=<$U@sts-testing.test>.*status=sent" 30 &&
	pass "testing mode: delivered" || fail "testing mode: not delivered"

# The datagrams: one per TLS handshake.
for _ in $(seq 50); do grep -q '"sts-enforce.test"' "$COLLECTED" 2>/dev/null && break; sleep 0.2; done
dg=$(grep '"d": *"sts-enforce.test"' "$COLLECTED" 2>/dev/null | head -n 1)
if [ -n "$dg" ]; then
	pass "TLSRPT datagram for sts-enforce.test"
	got=$(jq -c '[.d, .pr, (.policies[0] | ."policy-type", ."policy-domain", ."policy-string", ."mx-host", .f)]' <<<"$dg")
	want='["sts-enforce.test","v=TLSRPTv1; rua=mailto:tlsrpt@world.test",2,"sts-enforce.test",["version: STSv1","mode: enforce","mx: mx.sts-enforce.test","max_age: 86400"],["mx.sts-enforce.test"],0]'
	[ "$got" = "$want" ] && pass "datagram carries the daemon's policy" || fail "datagram: $got"
else
	fail "no TLSRPT datagram for sts-enforce.test in $COLLECTED"
fi
# sts-testing.test answered NOTFOUND: Postfix reports no-policy-found (9).
for _ in $(seq 50); do grep -q '"sts-testing.test"' "$COLLECTED" 2>/dev/null && break; sleep 0.2; done
dg=$(grep '"d": *"sts-testing.test"' "$COLLECTED" 2>/dev/null | head -n 1)
[ "$(jq -c '.policies[0]."policy-type"' <<<"${dg:-null}" 2>/dev/null)" = 9 ] &&
	pass "testing mode, NOTFOUND: reported as no-policy-found" || fail "datagram for sts-testing.test: [$dg]"

# Contrast: the same enforce answer for sts-mxpattern.test without the
# TLSRPT attributes, from an inline: map: Postfix delivers to the MX whose
# name matches no pattern, because the certificate is valid for one.
plain=${pat%% policy_type=*}
"$P" stop "$NAME" >/dev/null 2>&1
"$P" start "$NAME" sender "$WORLD_SENDER_ADDR" <<EOF || { fail "sender restarted"; done_testing; }
smtp_tls_security_level = may
smtp_dns_support_level = dnssec
smtp_tls_policy_maps = inline:{ {sts-mxpattern.test = $plain} }
EOF
send sts-mxpattern.test plain
"$P" wait-log "$NAME" "to=<$U@sts-mxpattern.test>.*status=sent" 30 &&
	pass "contrast: without the attributes Postfix delivers to the non-matching MX" ||
	fail "contrast: the plain answer did not deliver"

# sts_testing_report = yes: the may form for the testing-mode policy.
td_stop t50
td_start_pf t50 "$QUEUE" "sts_testing_report = yes" || { fail "daemon restarted"; done_testing; }
want_may="may servername=hostname policy_type=sts policy_domain=sts-testing.test mx_host_pattern=mx.sts-testing.test { policy_string = version: STSv1 } { policy_string = mode: testing } { policy_string = mx: mx.sts-testing.test } { policy_string = max_age: 86400 }"
a=$(td_q_known sts-testing.test "$RPT")
[ "$a" = "$want_may" ] && pass "sts_testing_report: the may form with the attributes" ||
	fail "sts_testing_report answer: [$a]"
[ "$(td_q sts-testing.test)" = NOTFOUND ] && pass "sts_testing_report: plain map still NOTFOUND" ||
	fail "sts_testing_report, plain map: [$(td_q sts-testing.test)]"
rpt_sender || { fail "sender restarted"; done_testing; }
R=r$$
wx swaks -4 --server "$WORLD_SENDER_ADDR" --from sender@world.test --to "$R@sts-testing.test" \
	--header "Subject: t50 testing-report" >/dev/null 2>&1
"$P" wait-log "$NAME" "to=<$R@sts-testing.test>.*status=sent" 30 &&
	pass "sts_testing_report: delivered at may" || fail "sts_testing_report: not delivered"
dg=
for _ in $(seq 50); do
	dg=$(grep '"d": *"sts-testing.test"' "$COLLECTED" 2>/dev/null | grep '"policy-type": *2' | head -n 1)
	[ -n "$dg" ] && break
	sleep 0.2
done
got=$(jq -c '[(.policies[0] | ."policy-type", ."policy-domain", ."policy-string", ."mx-host")]' <<<"${dg:-null}" 2>/dev/null)
want='[2,"sts-testing.test",["version: STSv1","mode: testing","mx: mx.sts-testing.test","max_age: 86400"],["mx.sts-testing.test"]]'
[ "$got" = "$want" ] && pass "sts_testing_report: datagram with policy type 2 and the testing policy" ||
	fail "sts_testing_report datagram: [$got]"
done_testing
