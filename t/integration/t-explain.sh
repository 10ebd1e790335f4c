#!/bin/bash
# SPDX-License-Identifier: MIT
# default_policy, report-only overrides, mx: entries in tlsmap's editor and
# tlsmap explain, without DNS (dane_enable = no, sts_enable = no).
. "$(dirname "$0")/../lib.sh"
t_init explain
command -v postmap >/dev/null || t_skip "postmap (Debian package postfix) is not installed"

SOCK=$T/run/socketmap
MAP=socketmap:unix:$SOCK:tlspolicy
cat > "$T/overrides" <<'OVR'
forced.example   encrypt
trial.example    report-only secure match=.trial.example
.trial.example   report-only verify
OVR
{ t_conf_base "$SOCK"; cat <<CONF
default_policy = MAY protocols=>=TLSv1.2
CONF
} > "$T/tlspolicyd.conf"
tm() { "$TLSMAP" -c "$T/tlspolicyd.conf" "$@"; }
q() { postmap -c "$T/postfix" -q "$1" "$MAP"; }

# A bad default_policy stops start-up.
sed 's/^default_policy = .*/default_policy = secure policy_type=sts/' "$T/tlspolicyd.conf" > "$T/bad.conf"
out=$("$TLSPOLICYD" -n -c "$T/bad.conf" 2>&1); rc=$?
t_check "bad default_policy is refused" test "$rc" -ne 0
t_contains "bad default_policy: the reason" <(echo "$out") 'default_policy'

t_daemon_start "$T/tlspolicyd.conf" || { t_fail "daemon start"; t_done; exit 1; }

t_eq "override still wins" "encrypt" "$(q forced.example)"
t_eq "no information: default_policy, normalised" "may protocols=>=TLSv1.2" "$(q nothing.example)"
t_eq "relay next-hop without information: default_policy" "may protocols=>=TLSv1.2" "$(q '[relay.example]:587')"
q .nothing.example >/dev/null; rc=$?
t_eq "parent probe: no default_policy, NOTFOUND" 1 "$rc"
t_contains "default answers are logged as such" "$T/daemon.log" 'key=nothing.example answer="may protocols=>=TLSv1.2" source=default'

# report-only: the real answer goes out, the would-be answer is logged.
t_eq "report-only override is not applied" "may protocols=>=TLSv1.2" "$(q trial.example)"
t_contains "report-only logs would and actual answer" "$T/daemon.log" \
	'key=trial.example override="trial.example" line=2 would_answer="secure match=.trial.example" actual_answer="may protocols=>=TLSv1.2" source=default'
q .trial.example >/dev/null; rc=$?
t_eq "report-only .domain entry on a parent probe: still NOTFOUND" 1 "$rc"
t_contains "parent probe report-only line" "$T/daemon.log" \
	'key=.trial.example override=".trial.example" line=3 would_answer="verify" actual_answer="NOTFOUND" source=none'

# The editor keeps report-only and handles mx: keys.
tm add 'MX:*.Mail.Example.NET.' report-only secure match=.mail.example.net >/dev/null; rc=$?
t_eq "add an mx: rule (normalised)" 0 "$rc"
t_contains "mx: rule saved normalised, report-only kept" "$T/overrides" '^mx:\*\.mail\.example\.net report-only secure match=\.mail\.example\.net$'
t_eq "-s shows report-only and mx: entries" "forced.example	encrypt
trial.example	report-only secure match=.trial.example
.trial.example	report-only verify
mx:*.mail.example.net	report-only secure match=.mail.example.net" "$(tm -s)"
out=$(tm add 'mx:a.*.example' encrypt 2>&1); rc=$?
t_eq "bad mx: pattern refused" "2" "$rc"
tm -d 'mx:*.mail.example.net' >/dev/null; rc=$?
t_eq "-d removes an mx: rule" 0 "$rc"

# explain: same path as a query; exit status from the answer.
out=$(tm explain forced.example); rc=$?
t_eq "explain override domain: exit 0" 0 "$rc"
t_contains "explain shows the override and line" <(echo "$out") '^override: forced\.example \(line 1\): encrypt$'
t_contains "explain final answer and reason" <(echo "$out") '^answer: OK "encrypt" from override: override forced\.example at line 1$'
out=$(tm explain trial.example); rc=$?
t_contains "explain report-only: not applied" <(echo "$out") 'report-only: not applied'
t_contains "explain report-only: would answer" <(echo "$out") '^report-only: trial\.example \(line 2\) would answer "secure match=\.trial\.example"$'
t_contains "explain: default_policy answer" <(echo "$out") '^answer: OK "may protocols=>=TLSv1.2" from default'
t_contains "explain: DANE disabled shown" <(echo "$out") '^dane: not asked: DANE disabled$'
out=$(tm explain .nothing.example); rc=$?
t_eq "explain parent probe: exit 1 (NOTFOUND)" 1 "$rc"
out=$(tm explain forced.example --json); rc=$?
t_eq "explain --json: exit 0" 0 "$rc"
t_eq "explain --json: answer source" "override" "$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["answer"]["source"])')"
out=$(tm explain 'bad..key' 2>&1); rc=$?
t_eq "explain invalid key: NOTFOUND" 1 "$rc"
out=$(tm explain 2>&1); rc=$?
t_eq "explain without a key: usage, exit 2" 2 "$rc"
t_eq "explain queries are not counted" 0 "$(grep -c 'key=forced.example answer' "$T/daemon.log" | awk '{print ($1 == 1) ? 0 : 1}')"
tm status > "$T/status"
t_contains "status counts default answers" "$T/status" 'default [1-9]'

t_done
