#!/bin/bash
# SPDX-License-Identifier: MIT
# tlsmap probe against the world's MX hosts (DANE-EE, DANE-TA, mismatch,
# unusable TLSA, two MX, MTA-STS in and out of policy, DNS failures), and
# the resolver check of tlsmap doctor that passes (the world's resolver).
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
# shellcheck source=t/world/daemon.sh
. "$(dirname "$0")/../daemon.sh"
# The socket lives under /run, which Postfix's mail_owner can always
# search: the clone (and so WORLD_DIR) may lie under a mode-700 directory,
# where doctor would rightly report that Postfix cannot reach it.
RUNDIR=/run/$WORLD_NETNS.t30
trap 'td_stop t30; rm -rf "$RUNDIR"' EXIT
mkdir -p "$RUNDIR"
chmod 0755 "$RUNDIR"
TD_SOCK_OVERRIDE=$RUNDIR/run/socketmap td_start t30 <<<"socketmap_mode = 0666" ||
	{ fail "daemon started"; done_testing; }

OUT=$TD_DIR/probe.out
# probe DOMAIN [ARGS]: run it in the world; output in $OUT, status in $rc.
probe() { wx "$TLSMAP" -c "$TD_CONF" probe "$@" > "$OUT" 2>&1; rc=$?; }
has() { if grep -Eq -- "$2" "$OUT"; then pass "$1"; else fail "$1: no /$2/ in: $(cat "$OUT")"; fi; }
status() { if [ "$rc" = "$2" ]; then pass "$1: exit $2"; else fail "$1: exit $rc, want $2"; fi; }

probe dane-ok.test
status "dane-ok" 0
has "dane-ok: the daemon's answer" '^daemon answer: OK dane-only$'
has "dane-ok: STARTTLS seen" '^  starttls: yes$'
has "dane-ok: TLS version" '^  tls: TLS1\.[23], '
has "dane-ok: certificate subject" '^  subject: CN=mx\.dane-ok\.test$'
has "dane-ok: 3 1 1 matches the leaf" '^  dane: match \(DANE-EE\) '
has "dane-ok: WebPKI with the test CA" '^  webpki: ok$'
has "dane-ok: verdict" '^  verdict: deliver verified: dane-only: certificate matches TLSA$'

probe dane-ta.test --json
status "dane-ta --json" 0
if jq -e '.answer == "OK dane-only" and .hosts[0].dane == "match (DANE-TA)"
    and .hosts[0].verdict == "deliver verified" and .exit == 0' "$OUT" >/dev/null; then
	pass "dane-ta --json: 2 0 1 on the CA matches, chain and name checked"
else
	fail "dane-ta --json: $(cat "$OUT")"
fi

probe dane-bad.test
status "dane-bad: would be deferred" 1
has "dane-bad: no TLSA match" '^  dane: no match '
has "dane-bad: defer" '^  verdict: defer: dane-only: certificate matches no TLSA record$'

probe dane-unusable.test
status "dane-unusable" 0
has "dane-unusable: only unusable records" '^  dane: unusable TLSA only '
has "dane-unusable: dane becomes encrypt" '^  verdict: deliver encrypted: dane with unusable TLSA \(encrypt\)'

probe dane-two-mx.test
status "dane-two-mx" 0
has "dane-two-mx: mx1 first, verified" '^host mx1\.dane-two-mx\.test \(preference 10\)$'
has "dane-two-mx: mx2 has a secure denial" 'dane: no TLSA \(_25\._tcp\.mx2\.dane-two-mx\.test: secure denial\)'
t_mx1=$(grep -n '^host mx1' "$OUT" | cut -d: -f1); t_mx2=$(grep -n '^host mx2' "$OUT" | cut -d: -f1)
[ -n "$t_mx1" ] && [ -n "$t_mx2" ] && [ "$t_mx1" -lt "$t_mx2" ] && pass "dane-two-mx: preference order" || fail "dane-two-mx: order"

probe sts-enforce.test
status "sts-enforce" 0
has "sts-enforce: policy fetched by the fetcher" '^mta-sts: policy mode enforce, 1 mx pattern$'
has "sts-enforce: MX in policy" '^  mta-sts: MX in policy$'
has "sts-enforce: insecure zone, no TLSA lookup" '^  dane: no TLSA \(insecure address records'
has "sts-enforce: secure verdict" '^  verdict: deliver verified: secure: trusted certificate matching mx\.sts-enforce\.test$'

probe sts-badmx.test
status "sts-badmx: would be deferred" 1
has "sts-badmx: MX not in policy" '^  mta-sts: MX not in policy$'
# The plain map answers TEMP when no MX host matches the policy (RFC 8461
# 4.1 for Postfix before 3.10): the verdict names that answer.
has "sts-badmx: the daemon's TEMP for an MX outside the policy" '^  verdict: defer: the daemon answers "TEMP MTA-STS: no MX host matches the policy": Postfix defers the mail$'

# Errors: exit 2, said on stderr.
probe nxdomain.test
status "nxdomain" 2
has "nxdomain: said so" 'no such domain'
probe nullmx.test
status "null MX" 2
has "null MX: said so" 'null MX'
probe bogus.test
status "bogus MX RRset" 2
has "bogus: server failure" 'server failure'
probe '[mx.dane-ok.test]'
status "next-hop form refused" 2
sed "s|^socketmap_listen = .*|socketmap_listen = unix:$TD_DIR/nothing|" "$TD_CONF" > "$TD_DIR/down.conf"
wx "$TLSMAP" -c "$TD_DIR/down.conf" probe dane-ok.test > "$OUT" 2>&1; rc=$?
status "daemon not reachable" 2
has "daemon not reachable: facts still shown" '^  dane: match \(DANE-EE\) '

# tlsmap doctor with everything right, the world's resolver validating.
PF=$TD_DIR/pf
mkdir -p "$PF" "$TD_DIR/q"
cp /etc/postfix/master.cf "$PF/"
cat > "$PF/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $TD_DIR/q
smtp_tls_policy_maps = socketmap:unix:$TD_SOCK:tlspolicy
smtp_dns_support_level = dnssec
smtp_tls_dane_insecure_mx_policy = dane
smtp_tls_CAfile = $WORLD_CA
CF
postconf -c "$PF" -F smtp/unix/chroot=n
# The socket's directory is 0750 root: mail_owner cannot get through.
chmod 0750 "$RUNDIR/run"
wx "$TLSMAP" -c "$TD_CONF" doctor -C "$PF" -n test. > "$OUT" 2>&1; rc=$?
has "doctor: directory mail_owner cannot search" "^error: mail_owner postfix may not search $RUNDIR/run on the way to the socket; fix: "
status "doctor: socket directory closed" 2
chmod 0755 "$RUNDIR/run"
wx "$TLSMAP" -c "$TD_CONF" doctor -C "$PF" -n test. > "$OUT" 2>&1; rc=$?
has "doctor: mail_owner may connect" "^ok: mail_owner postfix may connect to $TD_SOCK$"
has "doctor: the world's resolver validates" '^ok: resolver 127\.0\.0\.3(:53)? validates \(AD for test\. SOA\)$'
has "doctor: socket reached" "^ok: smtp\(8\) reaches the daemon at $TD_SOCK$"
status "doctor: all ok" 0
wx "$TLSMAP" -c "$TD_CONF" doctor -C "$PF" -n insecure.test. > "$OUT" 2>&1; rc=$?
has "doctor: an unsigned name has no AD" '^error: resolver does not validate \(127\.0\.0\.3(:53)?: no AD bit for insecure\.test\. SOA\)'
status "doctor: resolver without AD" 2
done_testing
