#!/bin/bash
# SPDX-License-Identifier: MIT
# tlsmap explain for a DANE, an MTA-STS and an override domain; mx: rules
# answering through postmap and ranking below DANE and MTA-STS enforce;
# default_policy and report-only with the real sources.
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
# shellcheck source=t/world/daemon.sh
. "$(dirname "$0")/../daemon.sh"
trap 'td_stop t40' EXIT
mkdir -p "$WORLD_DIR/td/t40"
cat > "$WORLD_DIR/td/t40/overrides" <<'OVR'
forced.test              encrypt
mx:mx.insecure.test      secure match=mx.insecure.test
mx:mx.dane-ok.test       encrypt
mx:*.sts-enforce.test    may
mx:.sts-testing.test     report-only encrypt
OVR
td_start t40 < <(printf 'default_policy = may\n') || { fail "daemon started"; done_testing; }
is() {	# is KEY WANT DESCRIPTION
	local got
	got=$(td_q "$1")
	if [ "$got" = "$2" ]; then pass "$3"; else fail "$3: want [$2] got [$got]"; fi
}

# MX rules through postmap, and their rank.
is insecure.test "secure match=mx.insecure.test" "mx: rule answers for an insecure MX (no DANE, no MTA-STS)"
td_grep 'key=insecure.test answer="secure match=mx.insecure.test" source=mx-rule reason="MX rule mx:mx.insecure.test at line 2' &&
	pass "mx: rule answer logged with source and line" || fail "mx-rule log line"
is dane-ok.test dane-only "DANE beats an mx: rule matching its MX"
is sts-enforce.test "secure match=mx.sts-enforce.test servername=hostname" "MTA-STS enforce beats an mx: rule"
# sts-testing.test: no DANE, MTA-STS testing only: the report-only rule
# matches but default_policy answers.
is sts-testing.test may "report-only mx: rule not applied; default_policy answers"
td_wait_log 'key=sts-testing.test override="mx:.sts-testing.test" line=5 would_answer="encrypt" actual_answer="may" source=default' 2 &&
	pass "report-only mx: rule logs would_answer and actual_answer" || fail "report-only log line"
is sts-none.test may "no information: default_policy"
is .sts-none.test NOTFOUND "parent probe: never default_policy"
is bogus.test TEMP "DNS failure stays TEMP, no default_policy"
is nullmx.test may "null MX: no mx: rule, default_policy"

# explain: a DANE domain.
out=$(td_ctl explain dane-ok.test); rc=$?
[ $rc = 0 ] && pass "explain DANE domain: exit 0" || fail "explain dane-ok.test: exit $rc"
grep -q '^dane: dane-only: all 1 MX hosts have usable TLSA records$' <<<"$out" && pass "explain: DANE result and reason" || fail "explain dane: [$out]"
grep -q '^  MX RRset: mx, DNSSEC secure$' <<<"$out" && pass "explain: MX RRset DNSSEC status" || fail "explain MX RRset: [$out]"
grep -q '^  MX 10 mx.dane-ok.test: TLSA tlsa-usable, 1 usable$' <<<"$out" && pass "explain: TLSA per MX host" || fail "explain TLSA: [$out]"
grep -q '^answer: OK "dane-only" from dane: ' <<<"$out" && pass "explain: final DANE answer" || fail "explain answer: [$out]"
grep -q '^mta-sts: not asked\|^mx rule' <<<"$out" && fail "explain: steps after the answer shown" || pass "explain: no steps after the answer"

# explain: an MTA-STS domain, JSON.
out=$(td_ctl explain sts-enforce.test --json); rc=$?
[ $rc = 0 ] && pass "explain MTA-STS domain: exit 0" || fail "explain sts-enforce.test: exit $rc"
jq() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)" <<<"$out"; }
[ "$(jq 'd["mta_sts"]["cached"]["mode"]')" = enforce ] && pass "explain --json: cached policy mode" || fail "explain json mode: [$out]"
[ "$(jq 'd["mta_sts"]["cached"]["mx"]')" = mx.sts-enforce.test ] && pass "explain --json: cached mx patterns" || fail "explain json mx"
[ "$(jq 'd["mta_sts"]["txt_id"] == d["mta_sts"]["cached"]["id"]')" = True ] && pass "explain --json: TXT id is the cached id" || fail "explain json txt id"
[ "$(jq 'd["dane"]["status"] + " " + str(d["dane"]["mx"]["secure"])')" = "no-dane False" ] && pass "explain --json: no DANE, insecure MX" || fail "explain json dane"
[ "$(jq 'd["answer"]["source"] + " " + d["answer"]["value"]')" = "mta-sts secure match=mx.sts-enforce.test servername=hostname" ] &&
	pass "explain --json: MTA-STS answer" || fail "explain json answer"
out=$(td_ctl explain sts-enforce.test)
grep -q '^  cached policy: id [^,]*, mode enforce, max_age [0-9]*s, age [0-9]*s, expires in [0-9]*s, mx mx.sts-enforce.test$' <<<"$out" &&
	pass "explain text: cached policy facts" || fail "explain text cached: [$out]"

# explain: an override domain, an mx: rule domain, a default domain.
out=$(td_ctl explain forced.test); rc=$?
[ $rc = 0 ] && grep -q '^override: forced.test (line 1): encrypt$' <<<"$out" && grep -q '^answer: OK "encrypt" from override' <<<"$out" &&
	pass "explain override domain" || fail "explain forced.test ($rc): [$out]"
out=$(td_ctl explain insecure.test)
grep -q '^mx rule: mx:mx.insecure.test (line 2): secure match=mx.insecure.test$' <<<"$out" &&
	grep -q '^answer: OK "secure match=mx.insecure.test" from mx-rule' <<<"$out" &&
	pass "explain mx: rule domain" || fail "explain insecure.test: [$out]"
out=$(td_ctl explain .sts-none.test); rc=$?
[ $rc = 1 ] && pass "explain parent probe: NOTFOUND, exit 1" || fail "explain .sts-none.test: exit $rc [$out]"
out=$(td_ctl explain bogus.test); rc=$?
[ $rc = 2 ] && grep -q '^answer: TEMP from dane' <<<"$out" && pass "explain DNS failure: TEMP, exit 2" || fail "explain bogus.test ($rc): [$out]"
done_testing
