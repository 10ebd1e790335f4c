#!/bin/bash
# SPDX-License-Identifier: MIT
# RFC 8461 section 4.1 on Postfix before 3.10 (the plain map name
# "tlspolicy"), which cannot skip MX hosts itself: sts-mxpattern.test's only
# MX host matches no mx: pattern of its enforce policy, but its certificate
# is valid for one.  A real sender at smtp_tls_security_level = may:
#  - with the daemon's plain map the mail waits (TEMP: deferred, no
#    connection to the MX), and the daemon logs why;
#  - contrast, the old behaviour: the policy's plain value, which the daemon
#    answered before (an inline: map), delivers to that MX.
# Runs on any Postfix: the plain map is used the same way on 3.10.
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
# shellcheck source=t/world/daemon.sh
. "$(dirname "$0")/../daemon.sh"
P=$(dirname "$0")/../postfix.sh
command -v swaks >/dev/null || skip_test "swaks not installed"

NAME=t51-sender
D=sts-mxpattern.test
QUEUE=$WORLD_DIR/pf/$NAME/queue
SOCK=$QUEUE/tlspolicyd/socketmap
trap 'td_stop t51; "$P" stop "$NAME"' EXIT
"$P" stop "$NAME" >/dev/null 2>&1
rm -rf "${WORLD_DIR:?}/pf/$NAME"
U=u$$ V=v$$

td_start_pf t51 "$QUEUE" || { fail "daemon started"; done_testing; }

# The daemon's answers, the policy fetched first (TLSRPT map: the policy).
RPT=socketmap:unix:$SOCK:tlspolicy-tlsrpt
pat=$(td_q_known $D "$RPT")
plain=${pat%% policy_type=*}
[ "$plain" = "secure match=mx.sts-enforce.test servername=hostname" ] &&
	pass "$D: the policy is cached (TLSRPT map: the policy, Postfix 3.10 checks the MX)" ||
	fail "$D answer on the TLSRPT map: [$pat]"
td_mark
[ "$(td_q $D)" = TEMP ] && pass "$D: plain map answers TEMP" || fail "$D plain answer: [$(td_q $D)]"
td_wait_log "domain=$D MTA-STS policy id=p1: none of the 1 MX hosts \(e.g. mx.sts-mxpattern.test\) matches its mx patterns" 5 &&
	pass "$D: the daemon logs why the mail waits" || fail "$D: no MX pattern log line"
[ "$(td_q sts-enforce.test)" = "secure match=mx.sts-enforce.test servername=hostname" ] &&
	pass "sts-enforce.test (MX matches): the policy" || fail "sts-enforce.test answer"

sender() {	# sender MAP: (re)start the sender with this policy map
	"$P" stop "$NAME" >/dev/null 2>&1
	printf 'smtp_tls_security_level = may\nsmtp_tls_policy_maps = %s\n' "$1" |
		"$P" start "$NAME" sender "$WORLD_SENDER_ADDR"
}
send() {	# send USER: one message to USER@$D; sets OFF
	OFF=$(fsize "$LOG")
	wx swaks -4 --server "$WORLD_SENDER_ADDR" --from sender@world.test --to "$1@$D" \
		--header "Subject: t51 $1" >/dev/null 2>&1
}

sender "socketmap:unix:$SOCK:tlspolicy" || { fail "sender started"; done_testing; }
LOG=$("$P" log "$NAME")
send "$U"
log_wait "$LOG" "$OFF" "to=<$U@$D>.*status=deferred" 30 &&
	pass "plain map: the mail waits (deferred)" || fail "plain map: not deferred"
log_has "$LOG" "$OFF" "to=<$U@$D>.*status=sent" &&
	fail "plain map: delivered to the non-matching MX" || pass "plain map: not delivered"
log_has "$LOG" "$OFF" "TLS connection established to mx\\.$D" &&
	fail "plain map: Postfix connected to the non-matching MX" || pass "plain map: no connection to the MX"

# Contrast, the old behaviour: the policy's plain value delivers.
sender "inline:{ {$D = $plain} }" || { fail "sender restarted"; done_testing; }
send "$V"
log_wait "$LOG" "$OFF" "to=<$V@$D>.*status=sent" 30 &&
	pass "contrast: the old answer ($plain) delivered to the non-matching MX" ||
	fail "contrast: the old answer did not deliver"
done_testing
