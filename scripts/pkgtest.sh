#!/bin/bash
# SPDX-License-Identifier: MIT
# The Debian package, as an admin meets it (run by "setup.sh --test" after
# make check, as root, on Debian 12 and in the Debian 13 root):
#
#   build the .deb from the release tarball (make dist); lintian reports
#   no error or warning; systemd-analyze verifies the unit and scores its
#   exposure no worse than 2.3; install it; start the daemon as the unit
#   does (directly: CI runs no systemd); query it with postmap as the
#   postfix user; reload through tlsmap, a bad table refused with FILE:LINE
#   while the old answers stay; stop it; dpkg --purge; nothing the package
#   made is left.
#
# Prints "ok - ..." / "FAIL - ..." lines and "pkgtest: N passed, N failed";
# exits 1 on any failure.  Sends no network traffic: the daemon answers
# from its override table only.
set -uo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
fail() { failed=$((failed + 1)); echo "FAIL - $*"; }
check() { local m=$1; shift; if "$@"; then ok "$m"; else fail "$m"; fi; }
eq() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: want [$2] got [$3]"; fi; }
finish() {
	echo "pkgtest: $passed passed, $failed failed"
	[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
	exit $?
}

[ "$(id -u)" = 0 ] || { fail "run as root"; finish; }
if dpkg-query -W -f='${Status}' tlspolicyd 2>/dev/null | grep -q 'ok installed'; then
	fail "tlspolicyd is already installed here; purge it first"
	finish
fi

W=$(mktemp -d /tmp/tlspol-pkg.XXXXXX)
DPID=
cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null
	dpkg-query -W tlspolicyd >/dev/null 2>&1 && dpkg --purge tlspolicyd >/dev/null 2>&1
	rm -rf "$W"
}
trap cleanup EXIT

# --- build from a clean copy: the release tarball ---------------------------
# (make dist needs the configured tree setup.sh --test has built; it works
# without git, as in the Debian 13 root.)
if [ ! -f "$TOP/Makefile" ]; then
	fail "no configured tree at $TOP: run scripts/setup.sh --test (or configure) first"
	finish
fi
if make -C "$TOP" dist distdir=tlspolicyd-pkgtest > "$W/dist.log" 2>&1 \
    && mv "$TOP/tlspolicyd-pkgtest.tar.gz" "$W/" \
    && tar -C "$W" -xzf "$W/tlspolicyd-pkgtest.tar.gz"; then
	mv "$W/tlspolicyd-pkgtest" "$W/src"
	ok "make dist"
else
	fail "make dist"; tail -n 20 "$W/dist.log"; finish
fi
if (cd "$W/src" && dpkg-buildpackage -us -uc -b) > "$W/build.log" 2>&1; then
	ok "dpkg-buildpackage"
else
	fail "dpkg-buildpackage (tail of $W/build.log follows)"
	tail -n 30 "$W/build.log"
	finish
fi
DEB=$(ls "$W"/tlspolicyd_*.deb)
CHANGES=$(ls "$W"/tlspolicyd_*.changes)

# --- lintian and the unit ---------------------------------------------------
lintian --no-tag-display-limit "$CHANGES" > "$W/lintian.out" 2>&1
eq "lintian: no error or warning" "" "$(grep -E '^[EW]: ' "$W/lintian.out")"
unit=$TOP/scripts/tlspolicyd.service
# --- install, start as the unit does, query --------------------------------
if DEBIAN_FRONTEND=noninteractive dpkg -i "$DEB" > "$W/install.log" 2>&1; then
	ok "dpkg -i"
else
	fail "dpkg -i"; cat "$W/install.log"; finish
fi
check "user tlspolicyd exists" bash -c "getent passwd tlspolicyd >/dev/null"
check "user tlspolicyd-fetch exists" bash -c "getent passwd tlspolicyd-fetch >/dev/null"
check "state directory made" test -d /var/lib/tlspolicyd
check "man page installed" test -f /usr/share/man/man8/tlspolicyd.8.gz
check "examples installed" test -f /usr/share/doc/tlspolicyd/examples/overrides
check "completion installed" test -f /usr/share/bash-completion/completions/tlsmap
check "licence in copyright" grep -q '^License: Expat' /usr/share/doc/tlspolicyd/copyright

UNIT=$(dpkg -L tlspolicyd | grep '/systemd/system/tlspolicyd\.service$')
if command -v systemd-analyze >/dev/null; then
	# The installed unit, with its binaries and man pages in place.
	eq "systemd-analyze verify" "" \
		"$(systemd-analyze verify "$UNIT" 2>&1)"
	score=$(systemd-analyze security --offline=yes "$UNIT" 2>/dev/null \
		| sed -nE 's/.*Overall exposure level for .*: ([0-9.]+).*/\1/p')
	check "systemd-analyze security: ${score:-?} <= 2.3" \
		awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.3) }'
else
	fail "systemd-analyze missing (package systemd)"
fi

# What the unit's RuntimeDirectory= would make.
install -d -m 0755 /run/tlspolicyd
/usr/sbin/tlsmap add pkgtest.example encrypt 'protocols=>=TLSv1.2' > "$W/add.out" 2>&1
eq "tlsmap add without a daemon: saved, not reloaded (exit 3)" 3 "$?"
# The daemon's own stderr, as systemd would collect it.
/usr/sbin/tlspolicyd -f -c /etc/tlspolicyd/tlspolicyd.conf > "$W/daemon.log" 2>&1 &
DPID=$!
SOCK=/var/spool/postfix/tlspolicyd/socketmap
for _ in $(seq 100); do
	[ -S "$SOCK" ] && [ -S /run/tlspolicyd/control ] && break
	kill -0 "$DPID" 2>/dev/null || break
	sleep 0.1
done
check "daemon started" test -S "$SOCK"
MAP=socketmap:unix:$SOCK:tlspolicy
# postmap needs a main.cf; the machine's may not exist (Postfix installed
# with "No configuration").
mkdir -m 755 "$W/postfix"
echo "compatibility_level = 3.6" > "$W/postfix/main.cf"
chmod 755 "$W"
q() { runuser -u postfix -- postmap -c "$W/postfix" -q "$1" "$MAP" 2>&1; }
eq "postmap -q as postfix" "encrypt protocols=>=TLSv1.2" "$(q pkgtest.example)"
eq "daemon runs as tlspolicyd" tlspolicyd "$(ps -o user= -p "$DPID" | tr -d ' ')"

# --- reload: good, then a bad table ----------------------------------------
echo "pkgtest2.example verify" >> /etc/tlspolicyd/overrides
/usr/sbin/tlsmap reload > "$W/reload.out" 2>&1
eq "tlsmap reload: exit 0" 0 "$?"
eq "reloaded table answers" verify "$(q pkgtest2.example)"
echo "pkgtest3.example secure match=" >> /etc/tlspolicyd/overrides
/usr/sbin/tlsmap reload > "$W/reload.out" 2>&1
rc=$?
check "bad table: tlsmap reload fails (exit $rc)" test "$rc" != 0
if grep -Eq '/etc/tlspolicyd/overrides:[0-9]+: bad policy for pkgtest3.example' "$W/reload.out"; then
	ok "bad table: FILE:LINE said"
else
	fail "bad table: FILE:LINE said: $(cat "$W/reload.out")"
fi
eq "bad table: old answers stay" verify "$(q pkgtest2.example)"
sed -i '/^pkgtest3.example/d' /etc/tlspolicyd/overrides

# --- stop, purge -------------------------------------------------------------
kill "$DPID"
for _ in $(seq 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
check "daemon stopped on SIGTERM" bash -c "! kill -0 $DPID 2>/dev/null"
DPID=
dpkg -L tlspolicyd > "$W/files"
if dpkg --purge tlspolicyd > "$W/purge.log" 2>&1; then ok "dpkg --purge"; else fail "dpkg --purge"; cat "$W/purge.log"; fi
left=$(while read -r f; do
	case $f in /.|/|/usr|/usr/*bin|/usr/lib|/usr/share|/usr/share/*/man*|/usr/share/doc|/usr/share/man|/etc|/usr/share/bash-completion*|/lib*|/usr/lib/systemd*) continue ;; esac
	[ -e "$f" ] && echo "$f"
done < "$W/files")
eq "nothing of the package's files left" "" "$left"
ls -la /etc/tlspolicyd 2>/dev/null
for d in /etc/tlspolicyd /var/lib/tlspolicyd /var/spool/postfix/tlspolicyd \
	/var/spool/postfix/var/spool/postfix/tlspolicyd /run/tlspolicyd; do
	check "purge removed $d" test ! -e "$d"
done
finish
