#!/bin/bash
# SPDX-License-Identifier: MIT
# DNS through the world's validating resolver: AD / SERVFAIL / insecure,
# resolver failure controls, run-time zone changes.
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
W=$WORLD_SRC/world.sh

# status_of NAME TYPE -> "NOERROR ad" / "SERVFAIL -" ...
status_of() {
	local out st ad=-
	out=$(wdig "$1" "$2" 2>&1)
	st=$(printf '%s\n' "$out" | sed -n 's/.*status: \([A-Z]*\).*/\1/p' | head -1)
	printf '%s\n' "$out" | grep -q '^;; flags:.* ad[ ;]' && ad=ad
	echo "${st:-TIMEOUT} $ad"
}
expect() { # expect NAME TYPE "STATUS AD" DESCRIPTION
	local got
	got=$(status_of "$1" "$2")
	if [ "$got" = "$3" ]; then pass "$4 ($1 $2: $got)"; else fail "$4 ($1 $2: got '$got', want '$3')"; fi
}
answers() { wdig +short "$1" "$2" | grep -cv "^;;\\|^$2 \\|^\$"; }

expect dane-ok.test MX "NOERROR ad" "signed zone gives AD"
expect _25._tcp.mx.dane-ok.test TLSA "NOERROR ad" "TLSA in signed zone has AD"
[ "$(answers _25._tcp.mx.dane-ok.test TLSA)" = 1 ] && pass "TLSA record present" || fail "TLSA record present"
expect bogus.test MX "SERVFAIL -" "broken signatures give SERVFAIL"
expect expired.test MX "SERVFAIL -" "expired signatures give SERVFAIL"
expect insecure.test MX "NOERROR -" "unsigned delegation: no AD"
expect _25._tcp.mx.insecure.test TLSA "NOERROR -" "TLSA in unsigned zone: no AD"
expect nope.dane-ok.test A "NXDOMAIN ad" "signed NXDOMAIN has AD"
expect _25._tcp.mx2.dane-two-mx.test TLSA "NXDOMAIN ad" "signed denial of TLSA has AD"
expect nullmx.test MX "NOERROR ad" "null MX signed"
expect example.com A "SERVFAIL -" "names outside test. do not resolve"
[ "$(answers _mta-sts.sts-twotxt.test TXT)" = 2 ] && pass "two STS TXT records" || fail "two STS TXT records"

# TLSA data really matches the MX certificate (3 1 1)
want=$(wx openssl s_client -connect "$WORLD_MX_DANE_OK:25" -starttls smtp </dev/null 2>/dev/null |
	openssl x509 -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -c1-64)
got=$(wdig +short _25._tcp.mx.dane-ok.test TLSA | awk '/^3 1 1 / {print tolower($4 $5)}')
[ -n "$want" ] && [ "$want" = "$got" ] && pass "TLSA 3 1 1 matches mx.dane-ok.test certificate" ||
	fail "TLSA 3 1 1 matches mx.dane-ok.test certificate (cert $want, tlsa $got)"

# resolver failure modes
"$W" resolver stall
expect dane-ok.test MX "TIMEOUT -" "resolver stall: queries time out"
"$W" resolver resume
expect dane-ok.test MX "NOERROR ad" "resolver resume"
"$W" resolver down
out=$(wx dig +time=2 +tries=1 dane-ok.test MX 2>&1)
case $out in *"connection refused"* | *"couldn't get address"* | *"no servers could be reached"*) pass "resolver down: refused" ;;
*) fail "resolver down: refused ($(echo "$out" | head -2))" ;; esac
"$W" resolver up >/dev/null
expect dane-ok.test MX "NOERROR ad" "resolver up again"

# run-time zone change is visible at once (no stale cache)
"$W" txt-set _mta-sts.sts-enforce.test "v=STSv1; id=changed42;" >/dev/null
wdig +short _mta-sts.sts-enforce.test TXT | grep -q 'id=changed42' && pass "txt-set visible through resolver" ||
	fail "txt-set visible through resolver"
"$W" rr-set mx.dane-ok.test A 127.0.0.99 >/dev/null
[ "$(wdig +short mx.dane-ok.test A | grep -E '^[0-9.]+$')" = 127.0.0.99 ] && pass "rr-set in signed zone" || fail "rr-set in signed zone"
expect mx.dane-ok.test A "NOERROR ad" "re-signed zone still secure"
"$W" zones-reset >/dev/null
wdig +short _mta-sts.sts-enforce.test TXT | grep -q 'id=20240101T000000' && pass "zones-reset restores zones.conf" ||
	fail "zones-reset restores zones.conf"
done_testing
