#!/bin/bash
# SPDX-License-Identifier: MIT
# Inbound role: smtpd with STARTTLS and check_policy_service (a tiny perl
# policy server that requires TLS stands in for tlspolicyd's inbound service).
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
P=$WORLD_SRC/postfix.sh
command -v swaks >/dev/null || skip_test "swaks not installed"
NAME=t05-inbound
TMP=$(mktemp -d)
cleanup() {
	"$P" stop "$NAME"
	[ -s "$TMP/policy.pid" ] && kill "$(cat "$TMP/policy.pid")" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

wx perl -MIO::Socket::INET -e '
	my ($pidf, $logf) = @ARGV;
	my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 10040, Listen => 16, ReuseAddr => 1) or die "$!";
	open(my $p, ">", $pidf); print $p "$$\n"; close $p;
	open(my $log, ">>", $logf); $log->autoflush(1);
	while (my $c = $s->accept) {
		my %a;
		while (my $l = <$c>) {
			$l =~ s/\r?\n$//;
			if ($l eq "") {
				print $log "request rcpt=$a{recipient} tls=$a{encryption_protocol}\n";
				print $c ($a{encryption_protocol} ? "action=DUNNO\n\n" : "action=REJECT 5.7.1 TLS required\n\n");
				%a = ();
				next;
			}
			my ($k, $v) = split(/=/, $l, 2); $a{$k} = $v;
		}
	}' "$TMP/policy.pid" "$TMP/policy.log" </dev/null >/dev/null 2>&1 &
for _ in $(seq 50); do [ -s "$TMP/policy.pid" ] && break; sleep 0.1; done

if POLICY_SERVICE=inet:127.0.0.1:10040 "$P" start "$NAME" inbound "$WORLD_INBOUND_ADDR" </dev/null; then
	pass "inbound instance started"
else fail "inbound instance started"; done_testing; fi

out=$(wx swaks -4 --server "$WORLD_INBOUND_ADDR" --from a@dane-ok.test --to user@inbound.test 2>&1)
echo "$out" | grep -q '^<\*\* 554 5.7.1 .*TLS required' && pass "plain SMTP rejected by policy service" ||
	fail "plain SMTP rejected by policy service"
out=$(wx swaks -4 --server "$WORLD_INBOUND_ADDR" --tls --from a@dane-ok.test --to user@inbound.test 2>&1)
echo "$out" | grep -q '^<~  250 .*queued as' && pass "STARTTLS mail accepted" || fail "STARTTLS mail accepted"
grep -q 'rcpt=user@inbound.test tls=TLSv1' "$TMP/policy.log" && pass "policy service saw the TLS protocol" ||
	fail "policy service saw the TLS protocol"
"$P" wait-log "$NAME" 'to=<user@inbound.test>.*status=sent' 10 && pass "inbound delivered (discard)" ||
	fail "inbound delivered (discard)"
grep -q "TLS connection established from" "$("$P" log "$NAME")" && pass "inbound log: TLS connection established" ||
	fail "inbound log: TLS connection established"
done_testing
