#!/bin/bash
# SPDX-License-Identifier: MIT
# Socketmap service end to end through real Postfix: postmap -q asks
# tlspolicyd over its unix socket, with overrides, parent probes, relay
# next-hops, a bad map name, reloads while queries flow, and garbage.
. "$(dirname "$0")/../lib.sh"
t_init sockmap
command -v postmap >/dev/null || t_skip "postmap (Debian package postfix) is not installed"

SOCK=$T/run/socketmap
MAP=socketmap:unix:$SOCK:tlspolicy
cat > "$T/overrides" <<'OVR'
# forced TLS
example.com              encrypt protocols=>=TLSv1.2
.example.org             secure match=.example.org
[relay.example.net]:587  verify
[relay.example.net]      encrypt
relay.example.net:2525   may
bücher.example           dane-only
OVR
{ t_conf_base "$SOCK"; cat <<CONF
log_level = info
CONF
} > "$T/tlspolicyd.conf"
t_daemon_start "$T/tlspolicyd.conf" || { t_fail "daemon start"; t_done; exit 1; }

q() { postmap -c "$T/postfix" -q "$1" "${2:-$MAP}" 2>"$T/postmap.err"; }

t_eq "override found" "encrypt protocols=>=TLSv1.2" "$(q example.com)"
t_eq "key case and trailing dot folded" "encrypt protocols=>=TLSv1.2" "$(q EXAMPLE.Com.)"
t_eq ".domain override for a subdomain" "secure match=.example.org" "$(q mail.sub.example.org)"
t_eq "parent probe with a .domain override" "secure match=.example.org" "$(q .example.org)"
out=$(q .example.com); rc=$?
t_eq "parent probe without override is NOTFOUND (exit 1)" "1:" "$rc:$out"
out=$(q nothing.example); rc=$?
t_eq "no override is NOTFOUND (exit 1)" "1:" "$rc:$out"
t_eq "relay next-hop with port" "verify" "$(q '[relay.example.net]:587')"
t_eq "relay next-hop without port" "encrypt" "$(q '[relay.example.net]')"
t_eq "host:port next-hop" "may" "$(q 'relay.example.net:2525')"
out=$(q 'relay.example.net'); rc=$?
t_eq "bare relay host name is a different key" "1:" "$rc:$out"
t_eq "UTF-8 key converted to an A-label" "dane-only" "$(q 'bücher.example')"
t_eq "A-label key" "dane-only" "$(q 'xn--bcher-kva.example')"
out=$(q 'bad..key'); rc=$?
t_eq "invalid key is NOTFOUND" "1:" "$rc:$out"
t_contains "invalid key is logged" "$T/daemon.log" 'key="bad\.\.key" answer=NOTFOUND reason="invalid key'
out=$(q ''); rc=$?
t_eq "empty key is NOTFOUND (exit 1), as in Postfix tables" "1::" "$rc:$out:$(cat "$T/postmap.err")"
out=$("$SMCLIENT" -n 1 "unix:$SOCK" "$(printf '%d:%s,' 10 'tlspolicy ')")
t_eq "empty key on the wire gets NOTFOUND, not PERM" "9:NOTFOUND ,
OPEN" "$out"
q example.com "socketmap:unix:$SOCK:othermap" >/dev/null; rc=$?
t_eq "unknown map name fails the lookup" "1" "$rc"
t_contains "unknown map name is a PERM reply" "$T/postmap.err" 'permanent error: unknown map name'
t_contains "answers are logged as key=value" "$T/daemon.log" 'key=example.com answer="encrypt protocols=>=TLSv1.2" source=override reason="override example.com at line 2"'

# tlsmap -q: the same answers, postmap's exit codes.
t_eq "tlsmap -q found" "verify" "$("$TLSMAP" -c "$T/tlspolicyd.conf" -q '[relay.example.net]:587')"
"$TLSMAP" -c "$T/tlspolicyd.conf" -q nothing.example >/dev/null; rc=$?
t_eq "tlsmap -q not found exits 1" 1 "$rc"
"$TLSMAP" -c "$T/tlspolicyd.conf" -m othermap -q example.com >/dev/null 2>&1; rc=$?
t_eq "tlsmap -q error exits 2" 2 "$rc"
printf 'socketmap_listen = unix:%s/nonexistent\n' "$T" > "$T/bad-client.conf"
"$TLSMAP" -c "$T/bad-client.conf" -q example.com >/dev/null 2>&1; rc=$?
t_eq "tlsmap -q without a daemon exits 2" 2 "$rc"

# Raw protocol: pipelined requests, garbage, oversized lengths.
ns() { printf '%d:%s,' "${#1}" "$1"; }
OK_EX=$(ns "OK encrypt protocols=>=TLSv1.2")
out=$("$SMCLIENT" -n 3 "unix:$SOCK" "$(ns 'tlspolicy example.com')$(ns 'tlspolicy nothing.test')$(ns 'tlspolicy [x.test]')")
t_eq "pipelined requests answered in order" "${OK_EX}9:NOTFOUND ,9:NOTFOUND ,
OPEN" "$out"
out=$("$SMCLIENT" -n 1 "unix:$SOCK" '2' '1:tlspolicy exa' 'mple.com,')
t_eq "request split across writes" "$OK_EX
OPEN" "$out"
out=$("$SMCLIENT" "unix:$SOCK" 'GET / HTTP/1.0\r\n\r\n')
t_eq "garbage closes the connection without a reply" "
EOF" "$out"
out=$("$SMCLIENT" "unix:$SOCK" '99999999:tlspolicy')
t_eq "oversized length closes the connection" "
EOF" "$out"
out=$("$SMCLIENT" -n 2 "unix:$SOCK" "5:hello,$(ns 'tlspolicy example.com')")
t_eq "well-framed bad request gets PERM, connection stays usable" "$(ns 'PERM malformed request')$OK_EX
OPEN" "$out"
t_eq "a good request after garbage is answered" "encrypt protocols=>=TLSv1.2" "$(q example.com)"
t_contains "garbage is logged" "$T/daemon.log" 'socketmap client: malformed netstring; closing connection'

# Reloads while queries keep flowing (bounded: 300 queries).
cat > "$T/overrides.new" <<'OVR'
example.com   dane-only
new.example   encrypt
OVR
(
	for i in $(seq 300); do
		v=$(q example.com) || { echo "query $i failed"; exit 1; }
		case "$v" in
		"encrypt protocols=>=TLSv1.2"|dane-only) ;;
		*) echo "query $i: unexpected [$v]"; exit 1 ;;
		esac
		if [ "$i" = 10 ]; then : > "$T/flowing"; fi
	done
) > "$T/flow.log" 2>&1 &
flow=$!
# reload once queries flow (10 answered), not after a guessed sleep
for _ in $(seq 100); do [ -e "$T/flowing" ] && break; sleep 0.05; done
cp "$T/overrides" "$T/overrides.old"
mv "$T/overrides.new" "$T/overrides"
t_daemon_reload
for _ in $(seq 50); do grep -q 'reloaded: 2 overrides' "$T/daemon.log" && break; sleep 0.1; done
t_contains "reload with a good file" "$T/daemon.log" 'reloaded: 2 overrides'
t_eq "new table answers after reload" "encrypt" "$(q new.example)"
t_eq "changed entry answers after reload" "dane-only" "$(q example.com)"
printf 'example.com dane-only\nbroken.example optional\n' > "$T/overrides"
t_daemon_reload
for _ in $(seq 50); do grep -q 'reload failed' "$T/daemon.log" && break; sleep 0.1; done
t_contains "bad reload is refused with FILE:LINE" "$T/daemon.log" "reload failed, keeping the previous tables: $T/overrides:2: bad policy for broken.example: unknown security level"
t_eq "old table still answers after a bad reload" "encrypt" "$(q new.example)"
if wait "$flow"; then t_ok "300 queries during reloads all answered"; else t_fail "queries during reloads: $(cat "$T/flow.log")"; fi
t_check "daemon still running" kill -0 "$(cat "$T/daemon.pid")"

t_done
