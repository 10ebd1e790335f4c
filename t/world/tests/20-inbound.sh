#!/bin/bash
# SPDX-License-Identifier: MIT
# Inbound policy service end to end: a real, chrooted Postfix smtpd offering
# STARTTLS calls tlspolicyd's check_policy_service over a UNIX socket in its
# queue directory (absolute path, reached through the daemon's mirror link);
# swaks plays the SMTP client.  Covers plain vs STARTTLS, a protocol below
# the minimum, client certificates (verified, absent, untrusted, wrong pin),
# warn mode with the structured log line and the PREPEND header, a FILTER
# rule whose mail demonstrably leaves through a forced-TLS smtp transport to
# a world MX, and Postfix's default action when the service is down.
#
# Protocol minimum: on Debian 12 OpenSSL (security level 2) neither side can
# negotiate TLSv1 or TLSv1.1, so the real path is exercised with a rule
# min_protocol=TLSv1.3 and a client limited to TLSv1.2 (older versions are
# covered by the unit tests' recorded attribute sets).
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
# shellcheck source=t/world/daemon.sh
. "$(dirname "$0")/../daemon.sh"
P=$(dirname "$0")/../postfix.sh
command -v swaks >/dev/null || skip_test "swaks not installed"
command -v certtool >/dev/null || skip_test "certtool not installed"
NAME=t20-inbound
ADDR=$WORLD_INBOUND_ADDR
W=$WORLD_DIR/t20
trap 'td_stop t20; "$P" stop "$NAME"' EXIT
# A fresh instance: no maillog left from an earlier run.
"$P" stop "$NAME" >/dev/null 2>&1
rm -rf "$W" "${WORLD_DIR:?}/pf/$NAME"
mkdir -p "$W"
chmod 755 "$W"

# ---------------------------------------------------------------- client PKI
# Two client certificates from the world's test CA and one self-signed.
PKI=$WORLD_DIR/cache/pki
client_cert() {	# client_cert NAME [selfsigned]
	printf 'cn = "%s.client.test"\ntls_www_client\nsigning_key\nexpiration_days = 30\nserial = %s\n' \
		"$1" "$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')" >"$W/$1.tmpl"
	certtool --generate-privkey --key-type=ecdsa --no-text --outfile "$W/$1.key" >/dev/null 2>&1 || return 1
	if [ "${2:-}" = selfsigned ]; then
		certtool --generate-self-signed --load-privkey "$W/$1.key" --template "$W/$1.tmpl" \
			--outfile "$W/$1.pem" >/dev/null 2>&1
	else
		certtool --generate-certificate --load-privkey "$W/$1.key" --load-ca-certificate "$PKI/ca.pem" \
			--load-ca-privkey "$PKI/ca.key" --template "$W/$1.tmpl" --outfile "$W/$1.pem" >/dev/null 2>&1
	fi
}
client_cert good && client_cert other && client_cert self selfsigned ||
	{ fail "client certificates generated"; done_testing; }
# Postfix's ccert_fingerprint: digest of the DER certificate (sha256 at
# compatibility level 3.6), written here with colons to exercise that form.
FP=$(openssl x509 -in "$W/good.pem" -noout -fingerprint -sha256 | sed 's/.*=//')

# ---------------------------------------------------------------- rules
cat >"$W/rules" <<EOF
# one sender domain per case; first match wins
tls-only   sender_domain=tls.test require=tls action=reject
proto13    sender_domain=proto.test min_protocol=TLSv1.3 action=defer
proto12    sender_domain=proto12.test min_protocol=TLSv1.2 action=reject
ccert      sender_domain=ccert.test require=ccert action=reject
pinned     sender_domain=pin.test fingerprint=$FP action=reject
warn-tls   sender_domain=warn.test require=tls action=warn prepend=yes
billing    sender_domain=billing.test require=tls
           filter=smtp-tls: prepend=yes
EOF

# ---------------------------------------------------------------- Postfix
QUEUE=$WORLD_DIR/pf/$NAME/queue
SOCK=$QUEUE/tlspolicyd/policy
# The forced-TLS transport of the README; syslog_name makes its service name
# visible in the log ("postfix/smtp-tls/smtp[pid]").
cat >"$W/master.cf" <<'EOF'
smtp-tls  unix  -       -       y       -       -       smtp
  -o smtp_tls_security_level=encrypt
  -o syslog_name=postfix/smtp-tls
EOF
# cleanup(8) logs the header the policy service prepended.
printf '/^X-TLS-Policy: / WARN\n' >"$W/header_checks"
MASTER_CF_EXTRA=$W/master.cf "$P" start "$NAME" inbound "$ADDR" <<EOF || { fail "inbound instance started"; done_testing; }
smtpd_tls_ask_ccert = yes
smtpd_tls_CAfile = $WORLD_CA
smtpd_recipient_restrictions = check_policy_service unix:$SOCK, permit_mynetworks, reject_unauth_destination
smtpd_data_restrictions = check_policy_service unix:$SOCK
header_checks = regexp:$W/header_checks
EOF
pass "inbound instance started (smtpd chrooted, policy service unix:$SOCK)"
LOG=$("$P" log "$NAME")

# ---------------------------------------------------------------- daemon
cat >"$W/td.extra" <<CONF
policy_listen = unix:$SOCK
policy_group = postfix
postfix_queue_directory = $QUEUE
inbound_rules_file = $W/rules
CONF
td_start t20 <"$W/td.extra" || { fail "daemon started"; done_testing; }
pass "daemon started with the policy service"
[ "$(stat -c '%a %G' "$SOCK")" = "660 postfix" ] && pass "policy socket mode 0660 group postfix" ||
	fail "policy socket permissions: $(stat -c '%a %G' "$SOCK")"

# smtp SENDER-DOMAIN TAG [SWAKS-ARGS...]: one message from u@SENDER-DOMAIN
# to user@inbound.test (discarded) unless --to is given; swaks's transcript
# goes to $W/TAG.out and is printed.
smtp() {
	local dom=$1 tag=$2
	shift 2
	wx timeout 30 swaks -4 --server "$ADDR" --from "u@$dom" --to user@inbound.test \
		--header "Subject: t20 $tag" "$@" >"$W/$tag.out" 2>&1
	cat "$W/$tag.out"
}
accepted() { grep -Eq '^<[-~]  250 .*queued as' "$W/$1.out"; }
# queue id of an accepted message
qid() { sed -n 's/^<[-~]  250 .*queued as \([0-9A-F]*\).*/\1/p' "$W/$1.out"; }

# ---------------------------------------------------------------- TLS or not
smtp tls.test plain | grep -Eq '^<(~\*|\*\*) 550 5.7.0 .*rejected: TLS required for mail from tls.test \(rule tls-only\)' &&
	pass "plain session: 550 5.7.0 TLS required" || { fail "plain session not rejected"; cat "$W/plain.out"; }
td_wait_log 'inbound: queue_id=NOQUEUE client=[^ ]*\[127\.0\.0\.[0-9]+\] stage=RCPT sender=<u@tls.test> recipient=<user@inbound.test> rule=tls-only missing="tls" action=reject' 5 &&
	pass "violation logged: queue_id, client, sender, recipient, rule, missing" ||
	fail "no structured log line for the tls-only violation"
grep -q 'NOQUEUE: reject: RCPT from .*550 5.7.0 .*TLS required for mail from tls.test (rule tls-only); from=<u@tls.test>' "$LOG" &&
	pass "Postfix logged the reject" || fail "Postfix did not log the reject"
smtp tls.test starttls --tls >/dev/null
accepted starttls && pass "STARTTLS session accepted" || { fail "STARTTLS session not accepted"; cat "$W/starttls.out"; }

# ---------------------------------------------------------------- protocol
# A TLSv1 client never gets mail from proto.test accepted: on Debian 12
# OpenSSL (security level 2) the handshake itself fails; where TLSv1 is
# negotiated, the rule must defer it.  The rule's verdict on TLSv1 and
# TLSv1.1 is checked below with recorded requests.
smtp proto.test tls10 --tls --tls-protocol tlsv1 >/dev/null
if grep -q '^<~ ' "$W/tls10.out"; then
	grep -Eq '^<(~\*|\*\*) 450 4.7.0 .*TLSv1.3 or higher required' "$W/tls10.out" &&
		pass "TLSv1 negotiated: deferred by the rule" || { fail "TLSv1 client not deferred"; cat "$W/tls10.out"; }
else
	accepted tls10 && fail "TLSv1 client: mail accepted without TLS" ||
		pass "TLSv1 client: no TLSv1 session in this build, nothing accepted"
fi
smtp proto.test tls12 --tls --tls-protocol tlsv1_2 >/dev/null
grep -Eq '^<(~\*|\*\*) 450 4.7.0 .*rejected: TLSv1.3 or higher required for mail from proto.test \(rule proto13\)' "$W/tls12.out" &&
	pass "TLSv1.2 client, min_protocol=TLSv1.3: 450 4.7.0" || { fail "TLSv1.2 client not deferred"; cat "$W/tls12.out"; }
td_wait_log 'sender=<u@proto.test> .*rule=proto13 missing="protocol TLSv1.2 < TLSv1.3" action=defer' 5 &&
	pass "log: missing=\"protocol TLSv1.2 < TLSv1.3\"" || fail "no protocol violation log line"
smtp proto.test tls13 --tls --tls-protocol tlsv1_3 >/dev/null
accepted tls13 && pass "TLSv1.3 client accepted" || { fail "TLSv1.3 client not accepted"; cat "$W/tls13.out"; }

# TLSv1 and TLSv1.1 through the same socket, as recorded attribute sets
# (Postfix 3.7's RCPT request after STARTTLS), three on one connection.
policy_ask() {	# policy_ask PROTOCOL...: one reply line per request
	python3 - "$SOCK" "$@" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
req = ("request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
       "client_address=127.0.0.1\nclient_name=localhost\nclient_port=40000\n"
       "reverse_client_name=localhost\nserver_address=127.0.0.31\nserver_port=25\n"
       "helo_name=vm\nsender=u@proto12.test\nrecipient=user@inbound.test\n"
       "recipient_count=0\nqueue_id=\ninstance=1a2b.3c4d.1\nsize=0\netrn_domain=\n"
       "stress=\nsasl_method=\nsasl_username=\nsasl_sender=\nccert_subject=\n"
       "ccert_issuer=\nccert_fingerprint=\nccert_pubkey_fingerprint=\n"
       "encryption_protocol=%s\nencryption_cipher=ECDHE-RSA-AES256-SHA\n"
       "encryption_keysize=256\npolicy_context=\ncompatibility_level=3.6\n"
       "mail_version=3.7.11\n\n")
buf = b""
for proto in sys.argv[2:]:
    s.sendall((req % proto).encode())
    while b"\n\n" not in buf:
        d = s.recv(4096)
        if not d:
            sys.exit("connection closed")
        buf += d
    reply, buf = buf.split(b"\n\n", 1)
    print(reply.decode())
PY
}
ans=$(policy_ask TLSv1 TLSv1.1 TLSv1.2 2>&1)
[ "$ans" = "action=550 5.7.0 TLSv1.2 or higher required for mail from proto12.test (rule proto12)
action=550 5.7.0 TLSv1.2 or higher required for mail from proto12.test (rule proto12)
action=DUNNO" ] && pass "recorded TLSv1 / TLSv1.1 requests refused, TLSv1.2 DUNNO" ||
	{ fail "recorded protocol requests"; echo "$ans"; }
td_wait_log 'rule=proto12 missing="protocol TLSv1.1 < TLSv1.2" action=reject' 5 &&
	pass "log: missing=\"protocol TLSv1.1 < TLSv1.2\"" || fail "no TLSv1.1 violation log line"

# ---------------------------------------------------------------- ccert
smtp ccert.test ccert-good --tls --tls-cert "$W/good.pem" --tls-key "$W/good.key" >/dev/null
accepted ccert-good && pass "verified client certificate accepted" ||
	{ fail "verified client certificate not accepted"; cat "$W/ccert-good.out"; }
grep -q 'Trusted TLS connection established from .* client-signature' "$LOG" &&
	pass "Postfix verified the client certificate (Trusted TLS)" || fail "Postfix did not verify the client certificate"
smtp ccert.test ccert-none --tls >/dev/null
grep -Eq '^<(~\*|\*\*) 550 5.7.1 .*rejected: verified client certificate required for mail from ccert.test \(rule ccert\)' "$W/ccert-none.out" &&
	pass "no client certificate: 550 5.7.1" || { fail "no client certificate: not rejected"; cat "$W/ccert-none.out"; }
td_wait_log 'sender=<u@ccert.test> .*rule=ccert missing="ccert" action=reject' 5 &&
	pass "log: missing=\"ccert\"" || fail "no ccert violation log line"
smtp ccert.test ccert-self --tls --tls-cert "$W/self.pem" --tls-key "$W/self.key" >/dev/null
grep -Eq '^<(~\*|\*\*) 550 5.7.1 ' "$W/ccert-self.out" && pass "self-signed client certificate: 550 5.7.1" ||
	{ fail "self-signed client certificate not rejected"; cat "$W/ccert-self.out"; }
td_wait_log 'sender=<u@ccert.test> .*rule=ccert missing="ccert \(untrusted\)" action=reject' 5 &&
	pass "log: missing=\"ccert (untrusted)\"" || fail "no 'ccert (untrusted)' log line"
grep -q 'Untrusted TLS connection established from .* client-signature' "$LOG" &&
	pass "Postfix saw the self-signed certificate as untrusted" || fail "no Untrusted TLS line for the self-signed certificate"

# ---------------------------------------------------------------- pin
smtp pin.test pin-good --tls --tls-cert "$W/good.pem" --tls-key "$W/good.key" >/dev/null
accepted pin-good && pass "pinned certificate accepted" || { fail "pinned certificate not accepted"; cat "$W/pin-good.out"; }
smtp pin.test pin-other --tls --tls-cert "$W/other.pem" --tls-key "$W/other.key" >/dev/null
grep -Eq '^<(~\*|\*\*) 550 5.7.1 .*rejected: client certificate not authorised for mail from pin.test \(rule pinned\)' "$W/pin-other.out" &&
	pass "other CA-signed certificate (wrong fingerprint): 550 5.7.1" ||
	{ fail "wrong fingerprint not rejected"; cat "$W/pin-other.out"; }
td_wait_log 'sender=<u@pin.test> .*rule=pinned missing="fingerprint" action=reject' 5 &&
	pass "log: missing=\"fingerprint\"" || fail "no fingerprint violation log line"
smtp pin.test pin-none --tls >/dev/null
grep -Eq '^<(~\*|\*\*) 550 5.7.1 ' "$W/pin-none.out" && pass "no certificate for a pinned rule: 550 5.7.1" ||
	{ fail "pinned rule without certificate not rejected"; cat "$W/pin-none.out"; }
td_wait_log 'sender=<u@pin.test> .*rule=pinned missing="fingerprint \(no client certificate\)" action=reject' 5 &&
	pass "log: missing=\"fingerprint (no client certificate)\"" || fail "no 'fingerprint (no client certificate)' log line"

# ---------------------------------------------------------------- warn
smtp warn.test warn-plain >/dev/null
accepted warn-plain && pass "warn rule: plain session accepted" || { fail "warn rule: not accepted"; cat "$W/warn-plain.out"; }
q=$(qid warn-plain)
td_wait_log "inbound: queue_id=NOQUEUE client=[^ ]* stage=RCPT sender=<u@warn.test> recipient=<user@inbound.test> rule=warn-tls missing=\"tls\" action=warn" 5 &&
	pass "warn: violation logged at RCPT" || fail "warn: no RCPT log line"
[ -n "$q" ] && td_wait_log "inbound: queue_id=$q client=[^ ]* stage=DATA sender=<u@warn.test> .*rule=warn-tls missing=\"tls\" action=warn" 5 &&
	pass "warn: logged at DATA with the queue id $q" || fail "warn: no DATA log line with queue id '$q'"
"$P" wait-log "$NAME" "$q: warning: header X-TLS-Policy: rule=warn-tls result=warn " 10 &&
	pass "warn: PREPEND header X-TLS-Policy result=warn in the message" || fail "warn: no X-TLS-Policy header"
smtp warn.test warn-tls --tls >/dev/null
q=$(qid warn-tls)
"$P" wait-log "$NAME" "$q: warning: header X-TLS-Policy: rule=warn-tls result=pass protocol=TLSv1.3 cipher=[^ ]+ keysize=[0-9]+ ccert=none" 10 &&
	pass "warn rule met: header result=pass with TLS facts" || fail "warn rule met: no result=pass header"
[ -z "$q" ] || td_grep "queue_id=$q .*rule=warn-tls" && fail "a met warn rule was logged as a violation" ||
	pass "a met warn rule is not logged as a violation"

# ---------------------------------------------------------------- FILTER
# Control: an ordinary sender's mail to the same world domain is discarded
# by the instance's default transport.
smtp other.test filter-control --tls --to user@dane-ok.test >/dev/null
q0=$(qid filter-control)
"$P" wait-log "$NAME" "postfix/discard\[[0-9]+\]: $q0: to=<user@dane-ok.test>, relay=none, .*status=sent" 10 &&
	pass "control: other sender's mail discarded, not routed" || fail "control mail not discarded"
MXLOG=$("$P" log mx-dane-ok)
MXOFF=$(fsize "$MXLOG")	# the MX's log is shared by the world: read past this
smtp billing.test filter --tls --to user@dane-ok.test >/dev/null
q=$(qid filter)
[ -n "$q" ] && pass "billing sender over STARTTLS accepted ($q)" || { fail "billing mail not accepted"; cat "$W/filter.out"; }
"$P" wait-log "$NAME" "postfix/smtp-tls/smtp\[[0-9]+\]: $q: to=<user@dane-ok.test>, relay=mx.dane-ok.test\[127.0.0.21\]:25, .*status=sent" 30 &&
	pass "FILTER: delivered by smtp-tls/smtp to mx.dane-ok.test" || fail "FILTER: no smtp-tls delivery"
grep -Eq 'postfix/smtp-tls/smtp\[[0-9]+\]: (Trusted|Verified|Untrusted|Anonymous) TLS connection established to mx.dane-ok.test\[127.0.0.21\]:25' "$LOG" &&
	pass "FILTER: smtp-tls used TLS to the world MX" || fail "FILTER: no TLS line of smtp-tls"
grep -q "FILTER smtp-tls:" "$LOG" && pass "Postfix logged the FILTER action" || fail "Postfix did not log FILTER"
# The MX's side: its queue id for our message, received from $ADDR by an
# smtpd process that logged a TLS session from $ADDR.
rq=$(sed -n "s/.*postfix\/smtp-tls\/smtp\[[0-9]*\]: $q: to=.*status=sent (250 .*queued as \([0-9A-F]*\)).*/\1/p" "$LOG")
rpid=$(log_from "$MXLOG" "$MXOFF" | sed -n "s/.*postfix\/smtpd\[\([0-9]*\)\]: ${rq:-none}: client=[^ ]*\[$ADDR\]$/\1/p")
[ -n "$rpid" ] && log_has "$MXLOG" "$MXOFF" "smtpd\[$rpid\]: .*TLS connection established from [^ ]*\[$ADDR\]" &&
	pass "the world MX received $rq over TLS from the inbound instance" || fail "the MX did not log $q / $rq over TLS"
grep -q "$q: warning: header X-TLS-Policy: rule=billing result=pass " "$LOG" &&
	pass "FILTER: PREPEND header in the routed message" || fail "FILTER: no X-TLS-Policy header"
smtp billing.test filter-plain --to user@dane-ok.test >/dev/null
grep -Eq '^<(~\*|\*\*) 450 4.7.0 .*rejected: TLS required for mail from billing.test \(rule billing\)' "$W/filter-plain.out" &&
	pass "billing without STARTTLS: 450, never routed" || { fail "billing without TLS not deferred"; cat "$W/filter-plain.out"; }
grep -q 'lookup error\|problem talking to server' "$LOG" && fail "policy service errors in the Postfix log" ||
	pass "no policy service errors while the service was up"

# ---------------------------------------------------------------- down
pid=$(cat "$TD_DIR/pid")
td_stop t20
kill -0 "$pid" 2>/dev/null && fail "daemon still running after td_stop" || pass "daemon stopped"
smtp tls.test down --tls >/dev/null
grep -Eq '^<(~\*|\*\*) 451 4.3.5 .*Server configuration problem' "$W/down.out" &&
	pass "service down: Postfix's default action 451 4.3.5" || { fail "service down: no 451 4.3.5"; cat "$W/down.out"; }
"$P" wait-log "$NAME" "warning: problem talking to server $SOCK: " 5 &&
	pass "service down: Postfix logged the policy server problem" || fail "service down: no 'problem talking to server'"
grep -q 'NOQUEUE: reject: RCPT from .*451 4.3.5 .*Server configuration problem; from=<u@tls.test>' "$LOG" &&
	pass "service down: the reject is smtpd_policy_service_default_action" || fail "service down: no 451 reject line"
# Fail open, as the manual page suggests: Postfix's action, not ours.
postconf -c "$("$P" dir "$NAME")" -e 'smtpd_policy_service_default_action = DUNNO'
n=$(grep -c 'reload -- version' "$LOG")
wx postfix -c "$("$P" dir "$NAME")" reload >/dev/null 2>&1
for _ in $(seq 50); do [ "$(grep -c 'reload -- version' "$LOG")" -gt "$n" ] && break; sleep 0.1; done
smtp tls.test down-open --tls >/dev/null
accepted down-open && pass "service down, default_action = DUNNO: mail accepted (fail open)" ||
	{ fail "service down, default_action = DUNNO: not accepted"; cat "$W/down-open.out"; }
# Back up (over the stale socket file): the rules apply again.
td_start t20 <"$W/td.extra" && pass "daemon restarted" || fail "daemon did not restart"
smtp tls.test back >/dev/null
grep -Eq '^<(~\*|\*\*) 550 5.7.0 .*rejected: TLS required for mail from tls.test \(rule tls-only\)' "$W/back.out" &&
	pass "service back: plain session rejected again" || { fail "service back: not rejected"; cat "$W/back.out"; }
done_testing
