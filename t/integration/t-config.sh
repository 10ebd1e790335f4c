#!/bin/bash
# SPDX-License-Identifier: MIT
# Start-up configuration: FILE:LINE errors with exit status 1, -n and -d.
. "$(dirname "$0")/../lib.sh"
t_init config

start_err() {	# run the daemon on a config expected to fail; prints stderr
	timeout 10 "$TLSPOLICYD" -f -c "$1" 2>&1 >/dev/null
	echo "exit=$?"
}

printf 'log_level = info\nno_such_parameter = 1\n' > "$T/unknown.conf"
t_eq "unknown parameter" "tlspolicyd: $T/unknown.conf:2: unknown parameter \"no_such_parameter\"
exit=1" "$(start_err "$T/unknown.conf")"

printf '# c\nsocketmap_mode =\n   0999\n' > "$T/badmode.conf"
t_eq "bad value on a continued line" "tlspolicyd: $T/badmode.conf:2: bad value for socketmap_mode: expected an octal mode such as 0660
exit=1" "$(start_err "$T/badmode.conf")"

printf 'socketmap_listen = inet:mail.example:25\n' > "$T/badlisten.conf"
t_eq "bad listen address" "tlspolicyd: $T/badlisten.conf:1: bad value for socketmap_listen: invalid IPv4 address (use [::1] for IPv6)
exit=1" "$(start_err "$T/badlisten.conf")"

t_eq "missing config file" "tlspolicyd: $T/nonexistent.conf: No such file or directory
exit=1" "$(start_err "$T/nonexistent.conf")"

printf 'example.com encrypt\n\n.example.net secure match=\n' > "$T/bad-overrides"
cat > "$T/badovr.conf" <<CONF
socketmap_listen = unix:$T/run/socketmap
socketmap_group = $T_GROUP
control_listen = unix:$T/run/control
postfix_queue_directory =
dane_enable = no
sts_enable = no
overrides_file = $T/bad-overrides
state_directory = $T/state
user = $T_USER
CONF
t_eq "bad override value at start-up" "tlspolicyd: error: $T/bad-overrides:3: bad policy for .example.net: invalid name list in match
exit=1" "$(start_err "$T/badovr.conf")"

printf 'example.com encrypt\nExample.COM. may\n' > "$T/bad-overrides"
t_eq "duplicate override key at start-up" "tlspolicyd: error: $T/bad-overrides:2: duplicate entry for example.com (first at line 1)
exit=1" "$(start_err "$T/badovr.conf")"

printf 'log_level = debug\nidle_timeout = 60s\n' > "$T/n.conf"
t_eq "-n prints what differs from the defaults" "log_level = debug
idle_timeout = 60s" "$("$TLSPOLICYD" -n -c "$T/n.conf")"
"$TLSPOLICYD" -d > "$T/defaults"
t_contains "-d prints all defaults" "$T/defaults" '^socketmap_listen = unix:/var/spool/postfix/tlspolicyd/socketmap$'
t_contains "-d prints log_level" "$T/defaults" '^log_level = info$'
"$TLSPOLICYD" -Z >/dev/null 2>&1; rc=$?
t_eq "bad option exits 1" 1 "$rc"

printf 'syslog_facility = kern\n' > "$T/badfac.conf"
t_eq "bad syslog_facility" "tlspolicyd: $T/badfac.conf:1: bad value for syslog_facility: expected mail, daemon, user or local0 to local7
exit=1" "$(start_err "$T/badfac.conf")"
t_contains "-d prints syslog_facility" "$T/defaults" '^syslog_facility = mail$'

version=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' "$TOP_SRCDIR/configure.ac")
t_eq "tlspolicyd -V" "tlspolicyd $version" "$("$TLSPOLICYD" -V)"
t_eq "tlsmap --version" "tlsmap (tlspolicyd) $version" "$("$TLSMAP" --version)"

t_done
