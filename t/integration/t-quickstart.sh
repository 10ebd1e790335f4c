#!/bin/bash
# SPDX-License-Identifier: MIT
# The README's first command: scripts/setup.sh writes a configuration that
# starts tlspolicyd from the build tree and prints a main.cf line that
# postmap can use.  (Dry mode: no packages, no build, no exec; the daemon
# is started here.)  Only an override key is asked, so no DNS query leaves
# the machine although DANE and MTA-STS are on, as in the quick start.
. "$(dirname "$0")/../lib.sh"
t_init quickstart
[ "$(id -u)" = 0 ] || t_skip "setup.sh runs as root"
command -v postmap >/dev/null || t_skip "postmap (Debian package postfix) is not installed"
getent group postfix >/dev/null || t_skip "no postfix group"
# A stale socket is fine (the daemon replaces it); a live one is not ours.
if [ -S /var/spool/postfix/tlspolicyd/socketmap ] &&
	"$SMCLIENT" -t 500 unix:/var/spool/postfix/tlspolicyd/socketmap '' >/dev/null 2>&1; then
	t_skip "a tlspolicyd already serves the quick start's socket"
fi

TLSPOLICYD_RUN_DIR=$T/run TLSPOLICYD_BUILD_DIR=$TOP_BUILDDIR TLSPOLICYD_QUICKSTART_DRY=1 \
	bash "$TOP_SRCDIR/scripts/setup.sh" > "$T/out" 2>&1
t_eq "setup.sh (dry) exits 0" 0 "$?"
line=$(sed -n 's/^ *\(smtp_tls_policy_maps = .*\)$/\1/p' "$T/out")
t_eq "it prints the main.cf line" \
	"smtp_tls_policy_maps = socketmap:unix:/var/spool/postfix/tlspolicyd/socketmap:tlspolicy" "$line"
MAP=${line#smtp_tls_policy_maps = }
T_EXTRA_CLEANUP='rm -f /var/spool/postfix/tlspolicyd/socketmap'
t_daemon_start "$T/run/tlspolicyd.conf" || { t_fail "the quick start's configuration starts"; t_done; exit 1; }
t_ok "the quick start's configuration starts"
for _ in $(seq 50); do [ -S "$T/run/control" ] && break; sleep 0.05; done
"$TLSMAP" -c "$T/run/tlspolicyd.conf" add quickstart.example encrypt >/dev/null
t_eq "tlsmap add reaches the daemon" 0 "$?"
t_eq "postmap answers through the printed line" encrypt \
	"$(postmap -c "$T/postfix" -q quickstart.example "$MAP")"
t_contains "the fetcher started from the build tree" "$T/daemon.log" "started $TOP_BUILDDIR/stsfetch/stsfetch"
t_done
