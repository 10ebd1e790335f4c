#!/bin/bash
# SPDX-License-Identifier: MIT
# DANE against MTA-STS (tlspolicyd(8), DANE): only dane-only -- a secure MX
# RRset and usable TLSA on every MX host -- outranks an MTA-STS enforce
# policy.  A dane answer (insecure MX RRset, or a host without TLSA) yields
# to one, stays dane without one (no policy, testing mode, first contact
# still fetching), and never becomes weaker.  Then a secure CNAME into an
# unsigned zone (RFC 7672 2.2.3): dane-only through the TLSA records at the
# original name, and a real Postfix sender, smtp_tls_security_level = may,
# verifies the MX host through them.  And explain does not call an
# insecure NXDOMAIN "DNSSEC secure".
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
# shellcheck source=t/world/daemon.sh
. "$(dirname "$0")/../daemon.sh"
P=$(dirname "$0")/../postfix.sh
command -v swaks >/dev/null || skip_test "swaks not installed"
NAME=t16-sender
trap 'td_stop t16; "$P" stop "$NAME"' EXIT

is() {	# is KEY WANT DESCRIPTION
	local got
	got=$(td_q "$1")
	if [ "$got" = "$2" ]; then pass "$3"; else fail "$3: want [$2] got [$got]"; fi
}
fetched() {	# fetched DOMAIN ID MODE: wait for the daemon's fetch log line
	td_wait_log "domain=$1 MTA-STS policy id=$2 mode=$3 .*fetched" 20 &&
		pass "$1: policy id=$2 ($3) fetched" || fail "$1: no fetch log line"
}

# A sender whose own default is opportunistic TLS; the daemon's socket in
# its queue directory, for the chrooted smtp(8) (as in 11-delivery.sh).
QUEUE=$WORLD_DIR/pf/$NAME/queue
"$P" stop "$NAME" >/dev/null 2>&1
rm -rf "${WORLD_DIR:?}/pf/$NAME"
SOCK=$QUEUE/tlspolicyd/socketmap
printf 'smtp_tls_policy_maps = socketmap:unix:%s:tlspolicy\nsmtp_tls_security_level = may\n' "$SOCK" |
	"$P" start "$NAME" sender "$WORLD_SENDER_ADDR" || { fail "sender started"; done_testing; }
LOG=$("$P" log "$NAME")

# sts_first_fetch_wait = 0: a first contact is answered while its policy
# fetch still runs, so the answer before and after the fetch both show.
TD_SOCK_OVERRIDE=$SOCK td_start t16 <<CONF || { fail "daemon started"; done_testing; }
socketmap_group = postfix
socketmap_mode = 0660
postfix_queue_directory = $QUEUE
sts_first_fetch_wait = 0
CONF

STS_IMS="secure match=mx.dane-ok.test servername=hostname"
STS_D2S="secure match=mx1.dane-two-mx-sts.test:mx2.dane-two-mx-sts.test servername=hostname"

# Unsigned domain, MX host in a signed zone with TLSA, enforce policy naming
# that host: a forged MX answer could name a host without TLSA, so the
# policy stands once known; before (first contact, fetch running) dane.
is insecure-mx-sts.test dane "insecure MX, first contact still fetching: dane, as before"
fetched insecure-mx-sts.test ims1 enforce
is insecure-mx-sts.test "$STS_IMS" "insecure MX, host with TLSA, enforce policy: the MTA-STS answer"
grep -q "key=insecure-mx-sts.test answer=\"$STS_IMS\" source=mta-sts reason=\".*outranks DANE's dane: .*MX insecure" "$TD_LOG" &&
	pass "logged: MTA-STS outranks DANE's dane (MX insecure)" || fail "insecure-mx-sts.test: no outranks log line"

# Signed domain, two MX hosts, TLSA on mx1 only: dane would leave mx2 at
# opportunistic TLS; the enforce policy outranks it.
is dane-two-mx-sts.test dane "secure MX, one host without TLSA, first contact still fetching: dane"
fetched dane-two-mx-sts.test d2s1 enforce
is dane-two-mx-sts.test "$STS_D2S" "secure MX, one host without TLSA, enforce policy: the MTA-STS answer"

# Without an enforce policy dane stays: none at all, or testing mode.
is insecure-mx-dane.test dane "insecure MX, host with TLSA, no MTA-STS: dane"
is insecure-mx-testing.test dane "testing-mode policy, first contact: dane"
fetched insecure-mx-testing.test imt1 testing
is insecure-mx-testing.test dane "testing-mode policy cached (not enforced): dane"
# Validated DANE still outranks MTA-STS, which is not even asked.
is dane-and-sts.test dane-only "dane-only (domain with an enforce policy)"
out=$(td_ctl explain dane-and-sts.test)
grep -q '^answer: OK "dane-only" from dane: ' <<<"$out" && ! grep -q '^mta-sts' <<<"$out" &&
	pass "explain: dane-only answers, MTA-STS not asked" || fail "explain dane-and-sts.test: [$out]"

# explain shows both steps and who answered.
out=$(td_ctl explain insecure-mx-sts.test)
grep -q '^dane: dane: ' <<<"$out" && grep -q '^  MX RRset: mx, insecure$' <<<"$out" &&
	grep -q "^answer: OK \"$STS_IMS\" from mta-sts: .*outranks DANE's dane" <<<"$out" &&
	pass "explain: DANE dane, insecure MX, MTA-STS answers" || fail "explain insecure-mx-sts.test: [$out]"

# The MX answer's DNSSEC status in explain: an NXDOMAIN from the unsigned
# zone is insecure, one from a signed zone secure.
out=$(td_ctl explain nothere.insecure.test)
grep -q '^  MX RRset: nxdomain, insecure$' <<<"$out" && pass "explain: insecure NXDOMAIN is insecure" ||
	fail "explain nothere.insecure.test: [$out]"
out=$(td_ctl explain nothere.dane-ok.test)
grep -q '^  MX RRset: nxdomain, DNSSEC secure$' <<<"$out" && pass "explain: signed NXDOMAIN is DNSSEC secure" ||
	fail "explain nothere.dane-ok.test: [$out]"

# RFC 7672 2.2.3: mail.cname-insecure.test is a secure CNAME to
# mx.insecure.test (unsigned); TLSA at _25._tcp.mail.cname-insecure.test.
is cname-insecure.test dane-only "secure CNAME into an unsigned zone: dane-only (TLSA at the original name)"
out=$(td_ctl explain cname-insecure.test)
grep -q '^  MX 10 mail.cname-insecure.test: TLSA tlsa-usable, 1 usable$' <<<"$out" &&
	pass "explain: the alias has usable TLSA" || fail "explain cname-insecure.test: [$out]"
U=u$$
wx swaks -4 --server "$WORLD_SENDER_ADDR" --from sender@world.test --to "$U@cname-insecure.test" \
	--header "Subject: t16 cname" >/dev/null 2>&1 || fail "swaks to cname-insecure.test"
"$P" wait-log "$NAME" "to=<$U@cname-insecure.test>.*status=(sent|deferred|bounced)" 30 ||
	fail "cname-insecure.test: no delivery result"
grep -q "to=<$U@cname-insecure.test>.*status=sent" "$LOG" && pass "cname-insecure.test delivered" ||
	fail "cname-insecure.test not delivered: $(grep "$U@cname-insecure" "$LOG" | tail -1)"
grep -Eq 'Verified TLS connection established to mail\.cname-insecure\.test\[127\.0\.0\.24\]' "$LOG" &&
	pass "cname-insecure.test: Verified TLS connection through the original name's TLSA" ||
	fail "cname-insecure.test: no Verified TLS line: $(grep -E 'TLS connection|TLSA' "$LOG" | tail -3)"
grep -q 'key=cname-insecure.test answer="dane-only" source=dane' "$TD_LOG" &&
	pass "cname-insecure.test: the chrooted smtp(8) got dane-only" || fail "cname-insecure.test: no dane-only answer logged"
grep -q 'lookup error' "$LOG" && fail "socketmap lookup errors in the sender log" || pass "no socketmap lookup errors"
done_testing
