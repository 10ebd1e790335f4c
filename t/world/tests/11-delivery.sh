#!/bin/bash
# End to end through Postfix's chrooted smtp(8) (Debian's stock master.cf):
# the socketmap socket lives in the queue directory and main.cf names it by
# its absolute path, which works inside the chroot thanks to the daemon's
# mirror link.  An override, DANE and MTA-STS each decide a real delivery.
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
# shellcheck source=t/world/daemon.sh
. "$(dirname "$0")/../daemon.sh"
P=$(dirname "$0")/../postfix.sh
command -v swaks >/dev/null || skip_test "swaks not installed"
NAME=t11-sender
trap 'td_stop t11; "$P" stop "$NAME"' EXIT

QUEUE=$WORLD_DIR/pf/$NAME/queue
# A fresh instance: no queue or log left from an earlier run.
"$P" stop "$NAME" >/dev/null 2>&1
rm -rf "${WORLD_DIR:?}/pf/$NAME"
U=u$$	# this run's recipients
SOCK=$QUEUE/tlspolicyd/socketmap
printf 'smtp_tls_policy_maps = socketmap:unix:%s:tlspolicy\n' "$SOCK" |
	"$P" start "$NAME" sender "$WORLD_SENDER_ADDR" || { fail "sender started"; done_testing; }
grep -q "^smtp .*n *- *y " "$WORLD_DIR/pf/$NAME/etc/master.cf" &&
	pass "smtp(8) runs chrooted (stock master.cf)" || fail "smtp(8) is not chrooted"
LOG=$("$P" log "$NAME")

mkdir -p "$WORLD_DIR/td/t11"
printf 'insecure.test secure match=wrong.example\n' > "$WORLD_DIR/td/t11/overrides"
TD_SOCK_OVERRIDE=$SOCK td_start t11 <<CONF || { fail "daemon started"; done_testing; }
socketmap_group = postfix
socketmap_mode = 0660
postfix_queue_directory = $QUEUE
CONF
link=$QUEUE$(dirname "$QUEUE")/queue/tlspolicyd
[ -L "$link" ] && pass "mirror link for the chroot: $(readlink "$link")" || fail "no mirror link at $link"
[ "$(stat -c '%a %G' "$SOCK")" = "660 postfix" ] && pass "socket mode 0660 group postfix" ||
	fail "socket permissions: $(stat -c '%a %G' "$SOCK")"
[ "$(td_q dane-ok.test)" = dane-only ] && pass "postmap -q from a shell, same path" || fail "postmap -q from a shell"

send() {	# send RCPT-DOMAIN TAG
	wx swaks -4 --server "$WORLD_SENDER_ADDR" --from sender@world.test --to "$U@$1" \
		--header "Subject: t11 $2" >/dev/null 2>&1
}

# Override: verified TLS against a name the certificate does not have.
send insecure.test override
"$P" wait-log "$NAME" "to=<$U@insecure.test>.*status=deferred" 30 &&
	pass "override applied by chrooted smtp: deferred" || fail "override: not deferred"
grep -q 'key=insecure.test answer="secure match=wrong.example" source=override' "$TD_LOG" &&
	pass "daemon answered the chrooted smtp(8)" || fail "no override answer in the daemon log"
grep -Eq 'insecure.test.*(certificate verification failed|Server certificate not verified)' "$LOG" &&
	pass "override: certificate not verified" || fail "override: no certificate failure in the log"

# DANE: verified delivery, and a TLSA mismatch deferred.
send dane-ok.test dane
"$P" wait-log "$NAME" "to=<$U@dane-ok.test>.*status=sent" 30 && pass "dane-ok delivered" || fail "dane-ok not delivered"
grep -q 'Verified TLS connection established to mx.dane-ok.test\[' "$LOG" &&
	pass "dane-ok: Verified TLS connection" || fail "dane-ok: no Verified TLS line"
grep -q 'key=dane-ok.test answer="dane-only" source=dane' "$TD_LOG" && pass "dane-ok: answer dane-only" || fail "dane-ok answer"
send dane-bad.test danebad
"$P" wait-log "$NAME" "to=<$U@dane-bad.test>.*status=deferred" 30 && pass "dane-bad deferred" || fail "dane-bad not deferred"
grep -q 'no matching DANE TLSA records' "$LOG" && pass "dane-bad: TLSA mismatch" || fail "dane-bad: no TLSA mismatch line"

# MTA-STS: verified delivery to a policy MX; a policy naming another MX defers.
send sts-enforce.test sts
"$P" wait-log "$NAME" "to=<$U@sts-enforce.test>.*status=sent" 30 && pass "sts-enforce delivered" ||
	fail "sts-enforce not delivered"
grep -q 'Verified TLS connection established to mx.sts-enforce.test\[' "$LOG" &&
	pass "sts-enforce: Verified TLS connection" || fail "sts-enforce: no Verified TLS line"
grep -q 'key=sts-enforce.test answer="secure match=mx.sts-enforce.test servername=hostname" source=mta-sts' "$TD_LOG" &&
	pass "sts-enforce: answer from MTA-STS" || fail "sts-enforce answer"
send sts-badmx.test stsbad
"$P" wait-log "$NAME" "to=<$U@sts-badmx.test>.*status=deferred" 30 && pass "sts-badmx deferred" ||
	fail "sts-badmx not deferred"
grep -Eq 'mx.sts-badmx.test.*(certificate verification failed|Server certificate not verified)' "$LOG" &&
	pass "sts-badmx: certificate name not in the policy" || fail "sts-badmx: no certificate failure"
grep -q 'lookup error' "$LOG" && fail "socketmap lookup errors in the sender log" || pass "no socketmap lookup errors"
done_testing
