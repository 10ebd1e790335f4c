#!/bin/bash
# SPDX-License-Identifier: MIT
# Postfix 3.10's TLSRPT events into tlspolicyd's collector: a real sender
# (smtp_tlsrpt_enable = yes, smtp_tlsrpt_socket_name = tlsrpt_listen, its
# own level "may") sends one message each to destinations that
#  - succeed under MTA-STS (sts-enforce.test) and DANE (dane-ok.test),
#  - fail DANE (dane-bad.test: the TLSA record matches no certificate),
#  - fail the certificate check (insecure-mx-dane.test with an override
#    "secure match=nomatch.test": the name matches nothing),
#  - lack STARTTLS (notls.insecure.test, an smtpd without TLS, with an
#    override "encrypt"),
#  - have an MTA-STS policy that cannot be fetched (sts-404.test: Postfix
#    gets no policy and delivers; the daemon records the fetch error);
# the zones get _smtp._tls records for the test (restored at the end).
# Then "tlsmap report --json": for every domain, the successful and failed
# session counts equal Postfix's own "TLSRPT: status=" log lines, the
# failures carry their RFC 8460 result types, and a restart keeps it all.
# On Postfix before 3.10 (no TLSRPT) the test is not applicable; CI runs it
# in the Debian 13 root (scripts/debian13.sh). 59-tlsrpt-datagrams covers
# the collector on every Postfix.
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
# shellcheck source=t/world/daemon.sh
. "$(dirname "$0")/../daemon.sh"
P=$(dirname "$0")/../postfix.sh
W=$(dirname "$0")/../world.sh

need_postfix 3 10
command -v swaks >/dev/null || skip_test "swaks not installed"

NAME=t56-sender
NOTLS=t56-notls
NOTLS_ADDR=127.0.0.34
QUEUE=$WORLD_DIR/pf/$NAME/queue
SOCK=$QUEUE/tlspolicyd/tlsrpt
trap 'td_stop t56; "$P" stop "$NAME"; "$P" stop "$NOTLS"; "$W" zones-reset >/dev/null 2>&1' EXIT
"$P" stop "$NAME" >/dev/null 2>&1
rm -rf "${WORLD_DIR:?}/pf/$NAME" "$WORLD_DIR/td/t56"
U=u$$
DAY=$(date -u +%F)
PR='v=TLSRPTv1; rua=mailto:tlsrpt@world.test'
DOMAINS="sts-enforce.test dane-ok.test dane-bad.test insecure-mx-dane.test notls.insecure.test sts-404.test"

# The world: TLSRPT records, and a host without STARTTLS.
"$W" rr-set notls.insecure.test A "$NOTLS_ADDR" >/dev/null
for d in $DOMAINS; do
	[ "$d" = sts-enforce.test ] || "$W" txt-set "_smtp._tls.$d" "$PR" >/dev/null
done
for d in $DOMAINS; do
	wdig +short TXT "_smtp._tls.$d" | grep -q 'v=TLSRPTv1' || fail "no TLSRPT record for $d"
done
[ "$(wdig +short A notls.insecure.test)" = "$NOTLS_ADDR" ] && pass "world edits in DNS" ||
	fail "notls.insecure.test does not resolve"
"$P" start "$NOTLS" inbound "$NOTLS_ADDR" <<EOF || { fail "smtpd without TLS started"; done_testing; }
smtpd_tls_security_level = none
EOF

EXTRA="tlsrpt_enable = yes
tlsrpt_listen = unix:$SOCK
tlsrpt_submitter = reporter.test"
td_start_pf t56 "$QUEUE" "$EXTRA" || { fail "daemon started"; done_testing; }
td_ctl add insecure-mx-dane.test secure match=nomatch.test >/dev/null &&
	td_ctl add notls.insecure.test encrypt >/dev/null && pass "overrides added" ||
	fail "overrides not added"

# One attempt each (maximal_queue_lifetime = 0): a deferral is final, so
# no retry adds handshakes; the null sender gets no bounce.
"$P" start "$NAME" sender "$WORLD_SENDER_ADDR" <<EOF || { fail "sender started"; done_testing; }
smtp_tls_security_level = may
smtp_dns_support_level = dnssec
smtp_tls_policy_maps = socketmap:unix:$QUEUE/tlspolicyd/socketmap:tlspolicy-tlsrpt
smtp_tlsrpt_enable = yes
smtp_tlsrpt_socket_name = $SOCK
maximal_queue_lifetime = 0
bounce_queue_lifetime = 0
EOF
LOG=$("$P" log "$NAME")
off=$(fsize "$LOG")
for d in $DOMAINS; do
	wx swaks -4 --server "$WORLD_SENDER_ADDR" --from '<>' --to "$U@$d" \
		--header "Subject: t56 $d" >/dev/null 2>&1 || fail "swaks to $d"
done
for d in sts-enforce.test dane-ok.test sts-404.test; do
	log_wait "$LOG" "$off" "to=<$U@$d>.*status=sent" 30 && pass "$d delivered" ||
		fail "$d not delivered"
done
for d in dane-bad.test insecure-mx-dane.test notls.insecure.test; do
	log_wait "$LOG" "$off" "to=<$U@$d>.*status=(bounced|deferred)" 30 &&
		pass "$d not delivered (TLS failure)" || fail "$d: no final status"
done

# Postfix's own account: "TLSRPT: status=S, domain=D", one per handshake.
pf_counts() {	# pf_counts DOMAIN: successes failures
	log_from "$LOG" "$off" | awk -v d="domain=$1," '
		index($0, "TLSRPT: status=") && index($0, d) {
			if (index($0, "status=success,")) s++; else f++
		}
		END { printf "%d %d\n", s, f }'
}
total=0
for d in $DOMAINS; do
	read -r s f <<<"$(pf_counts "$d")"
	total=$((total + s + f))
done
[ "$total" -ge 6 ] && pass "Postfix logged $total TLSRPT events" || fail "Postfix logged $total TLSRPT events"
for _ in $(seq 100); do
	[ "$(td_stat tlsrpt accepted 2>/dev/null)" = "$total" ] && break
	sleep 0.1
done
[ "$(td_stat tlsrpt accepted)" = "$total" ] && pass "the collector accepted all $total datagrams" ||
	fail "accepted $(td_stat tlsrpt accepted) of $total: $(td_ctl status --json | jq -c .tlsrpt)"

json=$(td_ctl report --day "$DAY" --json)
# Postfix's sessions (policies other than the daemon's own sts entries
# without a TLSRPT record) of one domain: successes failures.
rep_counts() {
	jq -r --arg d "$1" '[.[] | select(."report-id" | endswith("_" + $d)) | .policies[] |
		select(."failure-details" | all(."result-type" | startswith("sts-") | not)) | .summary] |
		"\(map(."total-successful-session-count") | add // 0) \(map(."total-failure-session-count") | add // 0)"' <<<"$json"
}
for d in $DOMAINS; do
	want=$(pf_counts "$d") got=$(rep_counts "$d")
	[ "$got" = "$want" ] && pass "$d: report $got = Postfix's events" ||
		fail "$d: report [$got], Postfix [$want]"
done
types() {	# the result types of one domain's report
	jq -r --arg d "$1" '[.[] | select(."report-id" | endswith("_" + $d)) | .policies[] |
		."failure-details"[]."result-type"] | unique | join(",")' <<<"$json"
}
[ "$(rep_counts sts-enforce.test)" = "1 0" ] && pass "sts-enforce: one success" || fail "sts-enforce counts"
[ "$(types notls.insecure.test)" = starttls-not-supported ] && pass "no STARTTLS: starttls-not-supported" ||
	fail "notls types: [$(types notls.insecure.test)]"
case $(types insecure-mx-dane.test) in
certificate-host-mismatch) pass "certificate check: certificate-host-mismatch" ;;
*) fail "insecure-mx-dane types: [$(types insecure-mx-dane.test)]" ;;
esac
[ -n "$(types dane-bad.test)" ] && pass "DANE failure reported as $(types dane-bad.test)" ||
	fail "dane-bad: no failure detail"
jq -e '[.[] | select(."report-id" | endswith("_dane-ok.test")) | .policies[].policy."policy-type"] == ["tlsa"]' \
	<<<"$json" >/dev/null && pass "dane-ok: policy type tlsa" || fail "dane-ok policy type"
got=$(jq -c '[.[] | select(."report-id" | endswith("_sts-404.test")) | .policies[] |
	select(."failure-details" | any(."result-type" == "sts-policy-fetch-error")) |
	[.policy."policy-type", .summary."total-failure-session-count"]]' <<<"$json")
[ "$got" = '[["sts",1]]' ] && pass "sts-404: the daemon's fetch error, once" || fail "sts-404 own event: $got"

# A restart keeps the counts.
td_stop t56
TD_KEEP_STATE=1 td_start_pf t56 "$QUEUE" "$EXTRA" || { fail "daemon restarted"; done_testing; }
[ "$(td_ctl report --day "$DAY" --json)" = "$json" ] && pass "restart keeps the report" ||
	fail "report changed on restart"
done_testing
