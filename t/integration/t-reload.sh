#!/bin/bash
# SPDX-License-Identifier: MIT
# Reload that says when it failed: "tlsmap reload" (the unit's
# ExecReload) exits non-zero with the FILE:LINE error when the new
# override table or the new inbound rules are refused, and the old ones
# stay in force (both or neither is installed).  The service manager
# hears RELOADING=1 (with MONOTONIC_USEC=), then READY=1 with a STATUS=
# line of counts: a python3 datagram listener stands in for systemd's
# NOTIFY_SOCKET.  SIGHUP does the same.
. "$(dirname "$0")/../lib.sh"
t_init reload
command -v postmap >/dev/null || t_skip "postmap (Debian package postfix) is not installed"
command -v python3 >/dev/null || t_skip "python3 is not installed"

SOCK=$T/run/socketmap
PSOCK=$T/run/policy
MAP=socketmap:unix:$SOCK:tlspolicy
NOTES=$T/notify.out
PREQ='request=smtpd_access_policy\nprotocol_state=RCPT\nsender=a@partner.example\nclient_name=mx.partner.example\n\n'
printf 'example.com encrypt\n' > "$T/overrides"
printf 'partner  sender_domain=partner.example require=tls action=reject\n' > "$T/inbound"
{ t_conf_base "$SOCK" "$PSOCK"; cat <<CONF
inbound_rules_file = $T/inbound
CONF
} > "$T/tlspolicyd.conf"

"$TOP_SRCDIR/t/tools/notify-listen.py" "$T/notify" "$NOTES" "$T/notify.pid" 120 &
T_EXTRA_CLEANUP='kill "$(cat "$T/notify.pid" 2>/dev/null)" 2>/dev/null'
for _ in $(seq 100); do [ -S "$T/notify" ] && break; sleep 0.05; done
export NOTIFY_SOCKET=$T/notify
t_daemon_start "$T/tlspolicyd.conf" || { t_fail "daemon start"; t_done; exit 1; }
unset NOTIFY_SOCKET
tm() { "$TLSMAP" -c "$T/tlspolicyd.conf" "$@"; }
q() { postmap -c "$T/postfix" -q "$1" "$MAP"; }
pq() { "$SMCLIENT" -t 2000 "unix:$PSOCK" "$PREQ" | head -1; }

# wait_notes PATTERN N: until the listener has N messages matching (5 s)
wait_notes() {
	for _ in $(seq 100); do
		[ "$(grep -Ec -- "$1" "$NOTES" 2>/dev/null)" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

t_check "READY=1 at start" wait_notes '^READY=1$' 1
t_contains "STATUS= with the counts at start" "$NOTES" \
    '^STATUS=1 overrides, 1 inbound rules, 0 MTA-STS policies cached$'
t_eq "inbound rule in force" "action=550 5.7.0 TLS required for mail from partner.example (rule partner)" "$(pq)"

# A good reload: exit 0, the counts, RELOADING=1 then READY=1.
printf 'example.com encrypt\nexample.net secure\n' > "$T/overrides"
out=$(tm reload 2>&1); rc=$?
t_eq "good reload" "0:reloaded: 2 overrides, 1 inbound rules" "$rc:$out"
t_check "RELOADING=1 on reload" wait_notes '^RELOADING=1$' 1
t_contains "RELOADING=1 names the monotonic time" "$NOTES" '^MONOTONIC_USEC=[0-9]+$'
t_check "READY=1 after the reload" wait_notes '^READY=1$' 2
t_contains "STATUS= with the new counts" "$NOTES" '^STATUS=2 overrides, 1 inbound rules'
t_eq "new table answers" "secure" "$(q example.net)"

# A bad override table: refused with FILE:LINE, the old table answers.
printf 'example.com dane-only\nbroken.example optional\n' > "$T/overrides"
out=$(tm reload 2>&1); rc=$?
t_eq "bad table: tlsmap reload exits 2 (error)" 2 "$rc"
t_eq "bad table: FILE:LINE printed" "reload failed, nothing changed: $T/overrides:2: bad policy for broken.example: unknown security level" "$out"
t_eq "bad table: old table answers" "encrypt" "$(q example.com)"
t_check "bad table: READY=1 again" wait_notes '^READY=1$' 3
t_contains "bad table: logged" "$T/daemon.log" "reload failed, keeping the previous tables: $T/overrides:2:"

# A bad rules file (with a good table): refused, neither is installed.
printf 'example.com dane-only\n' > "$T/overrides"
printf 'partner  sender_domain=partner.example require=tls action=maybe\n' > "$T/inbound"
out=$(tm reload 2>&1); rc=$?
t_eq "bad rules: tlsmap reload exits 2 (error)" 2 "$rc"
case $out in
"reload failed, nothing changed: $T/inbound:1: "*) t_ok "bad rules: FILE:LINE printed" ;;
*) t_fail "bad rules: FILE:LINE printed: got [$out]" ;;
esac
t_eq "bad rules: old rules answer" "action=550 5.7.0 TLS required for mail from partner.example (rule partner)" "$(pq)"
t_eq "bad rules: the good table is not installed alone" "encrypt" "$(q example.com)"

# SIGHUP: the same reload, logged, with the same notifications.
printf 'partner  sender_domain=partner.example require=tls action=defer\n' > "$T/inbound"
t_daemon_reload
t_check "SIGHUP: RELOADING=1" wait_notes '^RELOADING=1$' 4
t_check "SIGHUP: READY=1" wait_notes '^READY=1$' 5
t_contains "SIGHUP: logged" "$T/daemon.log" 'reloading on SIGHUP'
t_contains "SIGHUP: reloaded both" "$T/daemon.log" 'reloaded: 1 overrides, 1 inbound rules'
t_eq "SIGHUP: new table answers" "dane-only" "$(q example.com)"
t_eq "SIGHUP: new rules answer" "action=450 4.7.0 TLS required for mail from partner.example (rule partner)" "$(pq)"
t_done
