#!/bin/bash
# SPDX-License-Identifier: MIT
# End to end through Postfix's chrooted smtp(8) (Debian's stock master.cf):
# the socketmap socket lives in the queue directory and main.cf names it by
# its absolute path, which works inside the chroot thanks to the daemon's
# mirror link.  An override, DANE and MTA-STS each decide a real delivery.
#
# The sender's own default is smtp_tls_security_level = may, so only the
# daemon's answer can make a delivery Verified or deferred: a control round
# first sends the same mail with a policy map that answers nothing
# (NOTFOUND) and shows every message delivered, none Verified.
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
SOCK=$QUEUE/tlspolicyd/socketmap
NOMAP='inline:{ {none.invalid = may} }'	# NOTFOUND for every test domain

# sender MAP: (re)start the sender instance with this smtp_tls_policy_maps
sender() {
	printf 'smtp_tls_security_level = may\nsmtp_tls_policy_maps = %s\n' "$1" |
		"$P" start "$NAME" sender "$WORLD_SENDER_ADDR"
}
# send RCPT-DOMAIN TAG: one message to $U@RCPT-DOMAIN; sets OFF, the
# maillog offset before it
send() {
	OFF=$(fsize "$LOG")
	wx swaks -4 --server "$WORLD_SENDER_ADDR" --from sender@world.test --to "$U@$1" \
		--header "Subject: t11 $2" >/dev/null 2>&1
}
# outcome RCPT-DOMAIN STATUS: wait for this message's delivery status
outcome() { log_wait "$LOG" "$OFF" "to=<$U@$1>.*status=$2" 30; }
# since REGEX: a maillog line since the last send
since() { log_has "$LOG" "$OFF" "$1"; }

# ---------------------------------------------------------------- control
sender "$NOMAP" || { fail "sender started"; done_testing; }
LOG=$("$P" log "$NAME")
grep -q "^smtp .*n *- *y " "$WORLD_DIR/pf/$NAME/etc/master.cf" &&
	pass "smtp(8) runs chrooted (stock master.cf)" || fail "smtp(8) is not chrooted"
U=c$$	# this run's control recipients
for d in insecure.test dane-ok.test dane-bad.test sts-enforce.test sts-badmx.test; do
	send "$d" "control $d"
	outcome "$d" sent && pass "control, no answer from a map: $d delivered" ||
		fail "control: $d not delivered at the sender's default (may)"
	since "Verified TLS connection established to mx\\.$d\\[" &&
		fail "control: $d Verified without a policy answer" || pass "control: $d not Verified"
done

# ---------------------------------------------------------------- daemon
sender "socketmap:unix:$SOCK:tlspolicy" || { fail "sender restarted with the daemon's map"; done_testing; }
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
U=u$$	# this run's recipients

# answered KEY ANSWER SOURCE: the daemon answered smtp(8) (lines after the
# mark taken before the send, so not the shell's query above)
answered() { td_wait_log "key=$1 answer=\"$2\" source=$3" 5; }

# Override: verified TLS against a name the certificate does not have.
td_mark
send insecure.test override
outcome insecure.test deferred && pass "override applied by chrooted smtp: deferred" || fail "override: not deferred"
answered insecure.test "secure match=wrong.example" override &&
	pass "daemon answered the chrooted smtp(8)" || fail "no override answer in the daemon log"
since 'insecure.test.*(certificate verification failed|Server certificate not verified)' &&
	pass "override: certificate not verified" || fail "override: no certificate failure in the log"

# DANE: verified delivery, and a TLSA mismatch deferred.
td_mark
send dane-ok.test dane
outcome dane-ok.test sent && pass "dane-ok delivered" || fail "dane-ok not delivered"
since 'Verified TLS connection established to mx.dane-ok.test\[' &&
	pass "dane-ok: Verified TLS connection" || fail "dane-ok: no Verified TLS line"
answered dane-ok.test dane-only dane && pass "dane-ok: smtp(8) got dane-only" || fail "dane-ok answer"
td_mark
send dane-bad.test danebad
outcome dane-bad.test deferred && pass "dane-bad deferred" || fail "dane-bad not deferred"
since 'no matching DANE TLSA records' && pass "dane-bad: TLSA mismatch" || fail "dane-bad: no TLSA mismatch line"
answered dane-bad.test dane-only dane && pass "dane-bad: smtp(8) got dane-only" || fail "dane-bad answer"

# MTA-STS: verified delivery to a policy MX; a policy naming another MX defers.
td_mark
send sts-enforce.test sts
outcome sts-enforce.test sent && pass "sts-enforce delivered" || fail "sts-enforce not delivered"
since 'Verified TLS connection established to mx.sts-enforce.test\[' &&
	pass "sts-enforce: Verified TLS connection" || fail "sts-enforce: no Verified TLS line"
answered sts-enforce.test "secure match=mx.sts-enforce.test servername=hostname" mta-sts &&
	pass "sts-enforce: answer from MTA-STS" || fail "sts-enforce answer"
# sts-badmx.test: its MX matches no mx: pattern of the policy; on the plain
# map name the daemon answers TEMP (RFC 8461 4.1; 51-mx-patterns.sh): the
# mail waits, and Postfix does not connect to the MX.
send sts-badmx.test stsbad
outcome sts-badmx.test deferred && pass "sts-badmx deferred" || fail "sts-badmx not deferred"
since 'TLS connection established to mx\.sts-badmx\.test' &&
	fail "sts-badmx: Postfix connected to the MX" || pass "sts-badmx: no connection to the MX"
td_grep "domain=sts-badmx.test MTA-STS policy id=b1: none of the 1 MX hosts" &&
	pass "sts-badmx: the daemon logged why the mail waits" || fail "sts-badmx: no MX pattern line"
# Lookup errors other than that deliberate TEMP.
grep 'lookup error' "$LOG" | grep -qv 'sts-badmx\.test' && fail "socketmap lookup errors in the sender log" ||
	pass "no socketmap lookup errors"
done_testing
