#!/bin/bash
# SPDX-License-Identifier: MIT
# The TLSRPT collector with datagrams in Postfix 3.10's exact wire form,
# sent by a small test sender (t/world/tlsrpt-send.py), so that it runs on
# every Postfix (Debian 12's 3.7 too; 56-tlsrpt-collect drives it with a
# real Postfix 3.10):
#  - tlsrpt_listen is a datagram socket in the (test) queue directory with
#    tlsrpt_mode/tlsrpt_group, reachable through the chroot link;
#  - successes and failures of sts, tlsa and no-policy-found policies add
#    up per domain in "tlsmap report --json" (RFC 8460 form) and in the
#    text form; malformed, other-version, excluded and the submitter's own
#    domains are counted and not kept;
#  - the daemon's own failures are recorded once per attempt: an MTA-STS
#    policy that cannot be fetched (sts-policy-fetch-error), a bogus MX
#    lookup (dnssec-invalid);
#  - a restart keeps the counts and goes on adding;
#  - "tlspolicyd -x" keeps the socket of a running daemon, removes it after.
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
# shellcheck source=t/world/daemon.sh
. "$(dirname "$0")/../daemon.sh"

Q=$WORLD_DIR/t59-queue
SOCK=$Q/tlspolicyd/tlsrpt
SEND=$(dirname "$0")/../tlsrpt-send.py
trap 'td_stop t59' EXIT
rm -rf "$Q"
EXTRA="tlsrpt_enable = yes
tlsrpt_listen = unix:$SOCK
tlsrpt_submitter = reporter.test
tlsrpt_organization = World Test Org
tlsrpt_exclude = excluded.test
sts_failure_backoff = 1h"
td_start_pf t59 "$Q" "$EXTRA" || { fail "daemon started"; done_testing; }
DAY=$(date -u +%F)

check "tlsrpt_listen is a socket" test -S "$SOCK"
[ "$(stat -c '%a %G' "$SOCK")" = "660 postfix" ] && pass "socket mode 0660, group postfix" ||
	fail "socket: $(stat -c '%a %G' "$SOCK")"
check "socket reachable through the chroot link" test -S "$Q$SOCK"

# The datagrams counted by outcome (tlsmap status --json: tlsrpt).
wait_stat() {	# wait_stat KEY VALUE: bounded wait for the counter
	for _ in $(seq 100); do
		[ "$(td_stat tlsrpt "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

PR='v=TLSRPTv1; rua=mailto:tlsrpt@world.test'
STS='["version: STSv1","mode: enforce","mx: mx.sts-enforce.test","max_age: 86400"]'
n=$("$SEND" "$SOCK" <<EOF
{"d": "sts-enforce.test", "pr": "$PR", "type": 2, "pd": "sts-enforce.test", "strings": $STS, "mx": ["mx.sts-enforce.test"], "n": 3}
{"d": "dane-ok.test", "pr": "$PR", "type": 1, "pd": "dane-ok.test", "strings": ["3 1 1 AB12"], "n": 2}
{"d": "dane-bad.test", "pr": "$PR", "type": 1, "pd": "dane-bad.test", "strings": ["3 1 1 CD34"], "details": [{"c": 205, "s": "127.0.0.30", "n": "mx.dane-bad.test", "h": "250-mx.dane-bad.test\r\n250 STARTTLS", "r": "127.0.0.22", "f": "tlsa-mismatch"}], "n": 2}
{"d": "plain.test", "pr": "$PR", "type": 9, "pd": "plain.test", "details": [{"c": 201, "n": "mx.plain.test"}]}
{"d": "sts-mxpattern.test", "pr": "$PR", "type": 2, "pd": "sts-mxpattern.test", "strings": $STS, "mx": ["mx.sts-enforce.test"], "details": [{"c": 202, "n": "mx.sts-mxpattern.test"}]}
raw this is not json
raw {"dpv": "2","d": "sts-enforce.test","policies":[{"policy-type":9,"t":0,"f":0}]}
{"d": "a.excluded.test", "pr": "$PR", "type": 9}
{"d": "mx.reporter.test", "pr": "$PR", "type": 9}
EOF
)
[ "$n" = 13 ] && pass "13 datagrams sent" || fail "sent: $n"
wait_stat accepted 9 && pass "9 datagrams accepted" || fail "accepted: $(td_stat tlsrpt accepted)"
[ "$(td_stat tlsrpt malformed)/$(td_stat tlsrpt version)/$(td_stat tlsrpt excluded)" = 1/1/2 ] &&
	pass "malformed 1, other version 1, excluded 2" ||
	fail "refused: $(td_ctl status --json | jq -c .tlsrpt)"
td_grep 'tlsrpt: datagram malformed: not JSON' && pass "malformed datagram logged" ||
	fail "no log line for the malformed datagram"

# [domain, successful, failed, [result-type, count]...] for every report.
summary() {
	jq -c '[.[] | [(.policies[0].policy."policy-domain"),
		.policies[0].summary."total-successful-session-count",
		.policies[0].summary."total-failure-session-count",
		[.policies[0]."failure-details"[] | [."result-type", ."failed-session-count"]]]] | sort'
}
json=$(td_ctl report --day "$DAY" --json)
got=$(summary <<<"$json")
want='[["dane-bad.test",0,2,[["validation-failure",2]]],["dane-ok.test",2,0,[]],["plain.test",0,1,[["starttls-not-supported",1]]],["sts-enforce.test",3,0,[]],["sts-mxpattern.test",0,1,[["certificate-host-mismatch",1]]]]'
[ "$got" = "$want" ] && pass "report counts equal the datagrams sent" || fail "report: $got"
rfc=$(jq -c '[.[0] | ."organization-name", ."contact-info", ."date-range"."start-datetime",
	(."report-id" | test("^'"$DAY"'T00:00:00Z_idx1_")),
	(.policies[0].policy | has("policy-type") and has("policy-string") and has("mx-host"))]' <<<"$json")
[ "$rfc" = "[\"World Test Org\",\"postmaster@reporter.test\",\"${DAY}T00:00:00Z\",true,true]" ] &&
	pass "RFC 8460 meta data from the configuration" || fail "meta: $rfc"
jq -e '[.[] | .policies[0] | select(.policy."policy-domain" == "dane-bad.test") | ."failure-details"[0] |
	."sending-mta-ip" == "127.0.0.30" and ."receiving-ip" == "127.0.0.22" and
	."receiving-mx-helo" == "250-mx.dane-bad.test\r\n250 STARTTLS" and ."failure-reason-code" == "tlsa-mismatch"] == [true]' \
	<<<"$json" >/dev/null && pass "failure details kept member by member" || fail "dane-bad details"
txt=$(td_ctl report sts-enforce.test --day "$DAY")
[ "$txt" = "sts-enforce.test sts sts-enforce.test successful 3 failed 0 delivery -" ] &&
	pass "text form, one domain" || fail "text form: [$txt]"
td_ctl report nothing-here.test --day "$DAY" >/dev/null
[ $? = 1 ] && pass "no record: exit 1" || fail "no record: exit status"

# The daemon's own failure: sts-404.test's policy cannot be fetched.
td_q sts-404.test >/dev/null
wait_stat events 1 && pass "fetch failure recorded" || fail "events: $(td_stat tlsrpt events)"
td_q sts-404.test >/dev/null
td_q sts-404.test >/dev/null
got=$(td_ctl report sts-404.test --day "$DAY" --json | jq -c '.[0].policies[0] |
	[.policy."policy-type", .summary."total-failure-session-count", ."failure-details"[0]."result-type"]')
[ "$got" = '[2,1,"sts-policy-fetch-error"]' ] || [ "$got" = '["sts",1,"sts-policy-fetch-error"]' ] &&
	pass "sts-policy-fetch-error once per fetch attempt, not per query" || fail "own event: $got"

# A bogus (DNSSEC) MX lookup: dnssec-invalid, policy type tlsa, once.
[ "$(td_q bogus.test)" = TEMP ] && pass "bogus.test: TEMP" || fail "bogus.test answer"
wait_stat events 2 && pass "DNSSEC failure recorded" || fail "events: $(td_stat tlsrpt events)"
td_q bogus.test >/dev/null
got=$(td_ctl report bogus.test --day "$DAY" --json | jq -c '.[0].policies[0] |
	[.policy."policy-type", .summary."total-failure-session-count", ."failure-details"[0]."result-type"]')
[ "$got" = '["tlsa",1,"dnssec-invalid"]' ] && pass "dnssec-invalid once per lookup, not per query" ||
	fail "bogus.test own event: $got"

# A restart keeps the counts and goes on adding.
before=$(td_ctl report --day "$DAY" --json)
td_stop t59
TD_KEEP_STATE=1 td_start_pf t59 "$Q" "$EXTRA" || { fail "daemon restarted"; done_testing; }
td_grep 'tlsrpt: [0-9]+ records of today and yesterday loaded' && pass "records loaded at start" ||
	fail "no load line"
after=$(td_ctl report --day "$DAY" --json)
[ -n "$before" ] && [ "$before" = "$after" ] && pass "restart keeps the counts" || fail "counts changed on restart"
"$SEND" "$SOCK" >/dev/null <<EOF
{"d": "sts-enforce.test", "pr": "$PR", "type": 2, "pd": "sts-enforce.test", "strings": $STS, "mx": ["mx.sts-enforce.test"]}
EOF
wait_stat accepted 1 || fail "datagram after restart not accepted"
txt=$(td_ctl report sts-enforce.test --day "$DAY")
[ "$txt" = "sts-enforce.test sts sts-enforce.test successful 4 failed 0 delivery -" ] &&
	pass "counting goes on after the restart" || fail "after restart: [$txt]"

# -x: not while the daemon reads the socket; after it stopped.
"$TLSPOLICYD" -x -c "$TD_CONF" >/dev/null 2>&1
[ $? = 1 ] && [ -S "$SOCK" ] && pass "-x keeps the socket of a running daemon" || fail "-x while running"
td_stop t59
"$TLSPOLICYD" -x -c "$TD_CONF" >/dev/null 2>&1
[ -e "$SOCK" ] && fail "-x left the socket" || pass "-x removes the stopped daemon's socket"
done_testing
