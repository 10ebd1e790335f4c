#!/bin/bash
# SPDX-License-Identifier: MIT
# Every destination of the scenario table through real postmap -q and the
# daemon's DANE and MTA-STS sources: the answer column of scenarios.tsv.
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
# shellcheck source=t/world/daemon.sh
. "$(dirname "$0")/../daemon.sh"
trap 'td_stop t10' EXIT
td_start t10 </dev/null || { fail "daemon started"; done_testing; }

# First contact: the MTA-STS queries wait for the fetch (sts_first_fetch_wait),
# so the first answer is already the policy for the good hosts.
while read -r dom _ want; do
	case "$dom" in ''|'#'*) continue ;; esac
	got=$(td_q "$dom")
	[ "$got" != NOTFOUND ] && [ "$got" != TEMP ] && [ "$got" != PERM ] && got="OK $got"
	case "$want" in TEMP*) want=TEMP ;; esac
	if [ "$got" = "$want" ]; then pass "$dom: $want"; else fail "$dom: want [$want] got [$got]"; fi
done < "$WORLD_SRC/scenarios.tsv"

# Postfix 3.10 TLSRPT attributes only under the tlspolicy-tlsrpt map name.
got=$(td_q sts-enforce.test "socketmap:unix:$TD_SOCK:tlspolicy-tlsrpt")
case "$got" in
"secure match=mx.sts-enforce.test servername=hostname policy_type=sts policy_domain=sts-enforce.test mx_host_pattern=mx.sts-enforce.test"*"{ policy_string = mode: enforce }"*)
	pass "tlspolicy-tlsrpt adds the TLSRPT attributes" ;;
*) fail "tlspolicy-tlsrpt: got [$got]" ;;
esac
got=$(td_q dane-ok.test "socketmap:unix:$TD_SOCK:tlspolicy-tlsrpt")
[ "$got" = dane-only ] && pass "tlspolicy-tlsrpt: DANE answer unchanged" || fail "tlspolicy-tlsrpt dane: [$got]"

# Relay next-hops: DANE on the host itself, never MTA-STS.
got=$(td_q '[mx.dane-ok.test]')
[ "$got" = dane-only ] && pass "[mx.dane-ok.test] is a secure MX of itself: dane-only" || fail "[mx.dane-ok.test]: [$got]"
got=$(td_q '[mx.sts-enforce.test]')
[ "$got" = NOTFOUND ] && pass "[host] next-hop never gets MTA-STS" || fail "[mx.sts-enforce.test]: [$got]"
got=$(td_q .sts-enforce.test)
[ "$got" = NOTFOUND ] && pass "parent probe never gets MTA-STS" || fail ".sts-enforce.test: [$got]"
got=$(td_q nxdomain.test)
[ "$got" = NOTFOUND ] && pass "NXDOMAIN: NOTFOUND" || fail "nxdomain.test: [$got]"

# Every answer was logged with its source.
td_grep 'key=dane-ok.test answer="dane-only" source=dane' && pass "DANE answers logged" || fail "DANE answer log line"
td_grep 'key=sts-enforce.test answer="secure match=mx.sts-enforce.test servername=hostname" source=mta-sts' &&
	pass "MTA-STS answers logged" || fail "MTA-STS answer log line"

# NOTFOUND for an MTA-STS domain is also what a fetch that has not finished
# gives: each must have been answered for its own reason, and each failed
# fetch logged with its TLSRPT result type.
why() {	# why DOMAIN: "REASON-REGEX[|RESULT-TYPE]" of its NOTFOUND
	case $1 in
	sts-testing.test) echo 'MTA-STS policy id=[^ ]+ in mode testing is not enforced' ;;
	sts-none.test) echo 'MTA-STS policy id=[^ ]+ in mode none is not enforced' ;;
	sts-twotxt.test) echo 'no MTA-STS policy: invalid _mta-sts TXT record' ;;
	sts-notxt.test) echo 'no MTA-STS policy: no _mta-sts TXT record' ;;
	sts-noversion.test | sts-badmaxage.test | sts-badmode.test | sts-ipmx.test | sts-ctype.test)
		echo 'no MTA-STS policy: policy fetch failed|sts-policy-invalid' ;;
	sts-wrongname.test | sts-sharedcert.test | sts-expired.test | sts-selfsigned.test)
		echo 'no MTA-STS policy: policy fetch failed|sts-webpki-invalid' ;;
	sts-redirect.test | sts-404.test | sts-oversize.test)
		echo 'no MTA-STS policy: policy fetch failed|sts-policy-fetch-error' ;;
	# A stalled host: answered after sts_first_fetch_wait without it.
	sts-stall.test | sts-stall-tcp.test) echo 'no MTA-STS policy: first contact: policy fetch still running' ;;
	*) return 1 ;;
	esac
}
while read -r dom _ want; do
	case "$dom" in ''|'#'*) continue ;; esac
	[ "$want" = NOTFOUND ] && w=$(why "$dom") || continue
	reason=${w%%|*} result=
	[ "$reason" = "$w" ] || result=${w#*|}
	td_wait_log "key=$dom answer=NOTFOUND source=none reason=\".*$reason\"" 5 &&
		pass "$dom: NOTFOUND because: $reason" || fail "$dom: no NOTFOUND answer line naming /$reason/"
	[ -z "$result" ] && continue
	td_grep "domain=$dom MTA-STS policy fetch failed: id=[^ ]+ result=$result detail=" &&
		pass "$dom: fetch failure logged as $result" || fail "$dom: no fetch failure line with result=$result"
done < "$WORLD_SRC/scenarios.tsv"
# The good hosts share one certificate, verified by then (stsfetch keeps
# verified chains, certcache(3)); presented for a name it does not carry,
# it must still fail on the name.
td_grep 'domain=sts-sharedcert.test MTA-STS policy fetch failed: .*result=sts-webpki-invalid detail=".*name mismatch' &&
	pass "a verified certificate shown for another name: name mismatch" || fail "shared-certificate fetch failure log line"
done_testing
