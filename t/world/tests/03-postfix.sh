#!/bin/bash
# SPDX-License-Identifier: MIT
# A sender Postfix instance delivers over DANE-verified TLS to the dane-ok
# MX; a mismatching TLSA record defers.
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
P=$WORLD_SRC/postfix.sh
command -v swaks >/dev/null || skip_test "swaks not installed"
NAME=t03-sender
trap '"$P" stop "$NAME"' EXIT
# A fresh instance: no queue or log left from an earlier run.
"$P" stop "$NAME" >/dev/null 2>&1
rm -rf "${WORLD_DIR:?}/pf/$NAME"

if "$P" start "$NAME" sender "$WORLD_SENDER_ADDR" </dev/null; then pass "sender instance started"; else
	fail "sender instance started"; done_testing; fi
LOG=$("$P" log "$NAME")
MXLOG=$("$P" log mx-dane-ok)

MXOFF=$(fsize "$MXLOG")	# the MX's log is shared by the world: read past this
id=t03-$$-$(date +%s%N)
out=$(wx swaks -4 --server "$WORLD_SENDER_ADDR" --tls --from sender@world.test --to "user@dane-ok.test" \
	--header "Message-Id: <$id@world.test>" --header "Subject: t03" 2>&1)
echo "$out" | grep -q '^<~  250 .*queued as' && pass "swaks submitted with STARTTLS" || fail "swaks submitted with STARTTLS"
echo "$out" | grep -q '^<-  220 .*Ready to start TLS' && pass "STARTTLS to sender" || fail "STARTTLS to sender"

"$P" wait-log mx-dane-ok "message-id=<$id@world.test>" 20 && pass "message reached mx.dane-ok.test" ||
	fail "message reached mx.dane-ok.test"
"$P" wait-log "$NAME" "to=<user@dane-ok.test>.*status=sent" 20 && pass "sender logs status=sent" ||
	fail "sender logs status=sent"
grep -q 'Verified TLS connection established to mx.dane-ok.test\[' "$LOG" &&
	pass "sender log: Verified TLS connection established (DANE)" || fail "sender log: Verified TLS connection established"
log_has "$MXLOG" "$MXOFF" "TLS connection established from .*\[$WORLD_SENDER_ADDR\]" &&
	pass "MX log: TLS connection established from sender" || fail "MX log: TLS connection established from sender"
qid=$(grep "message-id=<$id@world.test>" "$MXLOG" | sed -n 's/.*: \([0-9A-F]*\): message-id=.*/\1/p' | head -1)
"$P" wait-log mx-dane-ok "$qid: to=<user@dane-ok.test>.*status=sent" 10 && pass "MX delivered (discard) $qid" ||
	fail "MX delivered (discard) '$qid'"

# TLSA mismatch: deferred, never delivered
wx swaks -4 --server "$WORLD_SENDER_ADDR" --from sender@world.test --to user@dane-bad.test >/dev/null 2>&1
"$P" wait-log "$NAME" "to=<user@dane-bad.test>.*status=deferred" 20 && pass "dane-bad deferred" || fail "dane-bad deferred"
grep -q 'no matching DANE TLSA records' "$LOG" && pass "dane-bad: TLSA mismatch logged" || fail "dane-bad: TLSA mismatch logged"

# sendmail -C works too
printf 'Subject: t03 sendmail\n\nbody\n' | "$P" sendmail "$NAME" -f sender@world.test user@dane-ta.test
"$P" wait-log "$NAME" "to=<user@dane-ta.test>.*status=sent" 20 && pass "sendmail -C to dane-ta (2 0 1) sent" ||
	fail "sendmail -C to dane-ta (2 0 1) sent"
done_testing
