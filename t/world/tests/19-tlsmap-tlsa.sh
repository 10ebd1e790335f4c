#!/bin/bash
# SPDX-License-Identifier: MIT
# tlsmap tlsa: the TLSA records of smtpd's certificates, and --check
# against the world's signed zones through the daemon's resolver settings:
# a host whose TLSA matches (mx.dane-ok.test, also with local DNSSEC
# validation), one with a secure denial (mx2.dane-two-mx.test), one whose
# TLSA contradicts the certificate (mx.dane-bad.test), one in an unsigned
# zone (mx.insecure.test), a bogus zone, a next key not yet published and
# one covered by a 2 0 1 record of its CA (mx.dane-ta.test), a certificate
# about to expire; and doctor's TLSA findings.  The certificates are the world's MX certificates from
# the test CA, given to tlsmap as the smtpd certificates of a Postfix
# configuration directory.
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
TLSMAP=$TOP_BUILDDIR/tlsmap/tlsmap
PKI=$WORLD_DIR/cache/pki
D=$WORLD_DIR/t19
rm -rf "$D"
mkdir -p "$D"
trap 'rm -rf "$D"' EXIT
command -v postconf >/dev/null || skip_test "postconf is not installed"

cat > "$D/tlspolicyd.conf" <<EOF
dns_resolvers = $WORLD_RESOLVER
dns_timeout = 2s
EOF
{ cat "$D/tlspolicyd.conf"; echo "dnssec_validation = local"
  echo "dnssec_trust_anchor_file = $WORLD_TA"; } > "$D/local.conf"

# pf NAME HOST MX...: a Postfix configuration directory whose smtpd uses
# the certificates of the world's MX instances MX... (key, then chain).
pf() {
	local name=$1 host=$2 files='' mx
	shift 2
	for mx in "$@"; do files="$files $PKI/mx-$mx.key, $PKI/mx-$mx.chain,"; done
	mkdir -p "$D/$name"
	: > "$D/$name/master.cf"
	printf 'compatibility_level = 3.6\nmyhostname = %s\nsmtpd_tls_chain_files =%s\n' \
	    "$host" "${files%,}" > "$D/$name/main.cf"
}
OUT=$D/out
# tlsa NAME [ARGS]: run tlsmap tlsa in the world; output in $OUT, status in $rc.
tlsa() {
	local name=$1
	shift
	wx "$TLSMAP" -c "${CONF:-$D/tlspolicyd.conf}" tlsa -C "$D/$name" "$@" > "$OUT" 2>&1
	rc=$?
}
has() { if grep -Eq -- "$2" "$OUT"; then pass "$1"; else fail "$1: no /$2/ in: $(cat "$OUT")"; fi; }
hasnt() { if grep -Eq -- "$2" "$OUT"; then fail "$1: /$2/ in: $(cat "$OUT")"; else pass "$1"; fi; }
status() { if [ "$rc" = "$2" ]; then pass "$1: exit $2"; else fail "$1: exit $rc, want $2: $(cat "$OUT")"; fi; }
# The digests computed apart, as world.sh does for the zones.
spki() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -c1-64; }
OK311=$(spki "$PKI/mx-dane-ok.pem")
BAD311=$(spki "$PKI/mx-dane-bad.pem")
CA211=$(spki "$PKI/ca.pem")

pf ok mx.dane-ok.test dane-ok
tlsa ok
status "records to publish" 0
if [ "$(cat "$OUT")" = "_25._tcp.mx.dane-ok.test. IN TLSA 3 1 1 $OK311
_25._tcp.mx.dane-ok.test. IN TLSA 2 1 1 $CA211" ]; then
	pass "3 1 1 of the key and 2 1 1 of the issuing CA in the chain"
else
	fail "records: $(cat "$OUT")"
fi
tlsa ok -n MX.Other.Test.
has "-n names the host" "^_25\._tcp\.mx\.other\.test\. IN TLSA 3 1 1 $OK311$"

# Matching: the published 3 1 1 is the key's.
tlsa ok --check
status "matching TLSA" 0
has "matching: the answer is secure" '^ok: _25\._tcp\.mx\.dane-ok\.test\. TLSA answer is DNSSEC-secure \(1 records\)$'
has "matching: the key matches" "^ok: key of $PKI/mx-dane-ok\.chain \(CN=mx\.dane-ok\.test\) matches _25\._tcp\.mx\.dane-ok\.test\. TLSA$"
hasnt "matching: no warning or error" '^(warning|error):'
CONF=$D/local.conf tlsa ok --check
status "matching, dnssec_validation = local" 0
has "local validation: secure" 'TLSA answer is DNSSEC-secure \(1 records\)$'

# Lacking: a signed zone, no TLSA at the host (secure denial).
pf lack mx2.dane-two-mx.test multi
tlsa lack --check
status "no TLSA published" 1
has "no TLSA: secure denial said" '^warning: _25\._tcp\.mx2\.dane-two-mx\.test\. has no TLSA records \(secure denial\): .*; fix: publish the records'

# Contradicting: the published 3 1 1 matches another key.
pf bad mx.dane-bad.test dane-bad
tlsa bad --check
status "contradicting TLSA" 2
has "contradicting: the key matches no record, the fix names its record" "^error: key of $PKI/mx-dane-bad\.chain \(CN=mx\.dane-bad\.test\) matches no record at _25\._tcp\.mx\.dane-bad\.test\.: DANE senders .*; fix: publish _25\._tcp\.mx\.dane-bad\.test\. IN TLSA 3 1 1 $BAD311$"
has "contradicting: the published record is stale" '^warning: stale: _25\._tcp\.mx\.dane-bad\.test\. TLSA 3 1 1 [0-9a-f]{16}\.\.\. matches no key of smtpd'

# Not secure: an unsigned zone; a bogus one.
pf insecure mx.insecure.test multi
tlsa insecure --check
status "unsigned zone" 1
has "unsigned zone: not DNSSEC-secure" '^warning: _25\._tcp\.mx\.insecure\.test\. TLSA answer is not DNSSEC-secure \(127\.0\.0\.3:53, dnssec_validation = resolver\): DANE senders ignore it'
hasnt "unsigned zone: records not compared" 'matches'
pf bogus mx.bogus.test dane-ok
tlsa bogus --check
status "bogus zone" 2
has "bogus zone: the lookup fails" '^error: _25\._tcp\.mx\.bogus\.test\. TLSA lookup: rcode 2 '

# Rollover: two keys in use, or a next key, must each be published.
pf two mx.dane-ok.test dane-ok dane-bad
tlsa two --check
status "a second key in use, not published" 2
has "two keys: the published one matches" "^ok: key of $PKI/mx-dane-ok\.chain "
has "two keys: the other is an error" "^error: key of $PKI/mx-dane-bad\.chain .* matches no record"
tlsa ok --check --next "$PKI/mx-dane-bad.chain"
status "next key not published" 2
has "next key: rollover error with the record to publish first" "^error: rollover: next key of $PKI/mx-dane-bad\.chain \(CN=mx\.dane-bad\.test\) matches no record at _25\._tcp\.mx\.dane-ok\.test\.: switching smtpd to it would break DANE senders; fix: publish _25\._tcp\.mx\.dane-ok\.test\. IN TLSA 3 1 1 $BAD311 now"
has "next key: the current key still matches" "^ok: key of $PKI/mx-dane-ok\.chain "
tlsa ok --next "$PKI/mx-dane-bad.chain"
has "next key: its record is printed to publish ahead" "^_25\._tcp\.mx\.dane-ok\.test\. IN TLSA 3 1 1 $BAD311$"
pf ta mx.dane-ta.test dane-ta
tlsa ta --check --next "$PKI/mx-dane-bad.chain"
status "next key from the same CA, 2 0 1 of the CA published" 0
has "2 0 1 of the CA covers the next key" "^ok: next key of $PKI/mx-dane-bad\.chain .* matches _25\._tcp\.mx\.dane-ta\.test\. TLSA$"

# A certificate about to expire is about to change: with only its 3 1 1
# published, a renewal with a new key would break DANE senders; a 2 0 1
# record of its CA covers the renewal.  Same key as mx-dane-ok, 10 days.
soon() {	# soon HOST NAME: a configuration directory for the short-lived cert
	openssl req -new -key "$PKI/mx-dane-ok.key" -subj "/CN=$1" 2>/dev/null |
	    openssl x509 -req -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" -set_serial 19 \
	    -days 10 -out "$D/soon.pem" 2>/dev/null
	cat "$D/soon.pem" "$PKI/ca.pem" > "$D/soon.chain"
	mkdir -p "$D/$2"
	: > "$D/$2/master.cf"
	printf 'myhostname = %s\nsmtpd_tls_chain_files = %s, %s\n' "$1" \
	    "$PKI/mx-dane-ok.key" "$D/soon.chain" > "$D/$2/main.cf"
}
soon mx.dane-ok.test soon
tlsa soon --check
status "certificate expiring, only its 3 1 1 published" 1
has "expiring: the key matches" "^ok: key of $D/soon\.chain "
has "expiring: a renewal with a new key would break senders" "^warning: certificate of $D/soon\.chain \(CN=mx\.dane-ok\.test\) expires on [0-9-]{10}: a renewal with a new key would break DANE senders .*; fix: renew with the same key, or publish the new key's record first"
tlsa ok --check
hasnt "a certificate valid for years: no renewal warning" 'expires on'
soon mx.dane-ta.test soonta
tlsa soonta --check
status "certificate expiring, 2 0 1 of its CA published" 0
hasnt "expiring under a CA record: no renewal warning" 'expires on'

# tlsmap doctor checks the TLSA records of smtpd's certificate.
wx "$TLSMAP" -c "$D/tlspolicyd.conf" doctor -C "$D/ok" > "$OUT" 2>&1
has "doctor: matching TLSA" "^ok: key of $PKI/mx-dane-ok\.chain \(CN=mx\.dane-ok\.test\) matches _25\._tcp\.mx\.dane-ok\.test\. TLSA$"
wx "$TLSMAP" -c "$D/tlspolicyd.conf" doctor -C "$D/bad" > "$OUT" 2>&1
has "doctor: contradicting TLSA" "^error: key of $PKI/mx-dane-bad\.chain .* matches no record at _25\._tcp\.mx\.dane-bad\.test\."

done_testing
