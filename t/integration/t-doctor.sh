#!/bin/bash
# SPDX-License-Identifier: MIT
# tlsmap doctor against a running daemon and Postfix configuration
# directories that are right, and wrong in each way doctor looks for.
# Host side: no DNS leaves the machine (dns_resolvers = 127.0.0.1:1, where
# nothing listens); the resolver check that passes is in the world test.
. "$(dirname "$0")/../lib.sh"
t_init doctor
command -v postconf >/dev/null || t_skip "postconf (Debian package postfix) is not installed"
[ -f /etc/postfix/master.cf ] || t_skip "no /etc/postfix/master.cf to copy"
getent passwd postfix >/dev/null || t_skip "no postfix user (mail_owner)"

Q=$T/q
SOCK=$Q/tlspolicyd/socketmap
mkdir -p "$Q"
: > "$T/overrides"
cat > "$T/tlspolicyd.conf" <<CONF
socketmap_listen = unix:$SOCK
socketmap_group = $T_GROUP
socketmap_mode = 0660
postfix_queue_directory = $Q
control_listen = unix:$T/run/control
control_group =
dane_enable = no
sts_enable = no
dns_resolvers = 127.0.0.1:1
dns_timeout = 1s
dns_retries = 0
overrides_file = $T/overrides
state_directory = $T/state
user = $T_USER
CONF
t_daemon_start "$T/tlspolicyd.conf" || { t_fail "daemon start"; t_done; exit 1; }

# pf NAME [main.cf lines on stdin]: a Postfix configuration directory.
pf() {
	mkdir -p "$T/$1"
	cp /etc/postfix/master.cf "$T/$1/"
	{ echo "compatibility_level = 3.6"; echo "queue_directory = $Q"; cat; } > "$T/$1/main.cf"
}
# doc NAME [CONF]: run doctor, output in $T/NAME.out, exit status in $rc.
doc() {
	"$TLSMAP" -c "${2:-$T/tlspolicyd.conf}" doctor -C "$T/$1" > "$T/$1.out" 2>&1
	rc=$?
}
has() { t_contains "$1" "$T/$2.out" "$3"; }
hasnt() { if grep -Eq -- "$2" "$T/$1.out"; then t_fail "$1: unexpected /$2/"; else t_ok "$1: no /$2/"; fi; }
GOODMAP="smtp_tls_policy_maps = socketmap:unix:$SOCK:tlspolicy"

# Right: the chrooted smtp(8) reaches the socket through the daemon's link.
echo "$GOODMAP" | pf good
doc good
has "good: Postfix version and chroot" good '^ok: Postfix 3\.[0-9.]+, configuration .*, smtp\(8\) chrooted to the queue directory$'
has "good: map" good "^ok: smtp_tls_policy_maps asks tlspolicyd \(socketmap:unix:$SOCK, map name tlspolicy\)$"
has "good: socket reached inside the chroot" good "^ok: smtp\(8\) \(chrooted\) reaches the daemon at $Q$SOCK$"
has "good: DANE off, no DNSSEC settings needed" good '^ok: dane_enable = no'
has "good: no secure answers, no CA needed" good '^ok: no secure or verify answers possible'
has "good: resolver does not answer" good '^warning: resolver does not answer \(127\.0\.0\.1:1, \. SOA: .*\); fix: '
has "good: smtpd has no certificate, no TLSA check" good '^ok: smtpd has no certificate: no TLSA records to check$'
hasnt good '^error:'
t_eq "good: the only warning is the resolver" 1 "$(grep -c '^warning:' "$T/good.out")"
t_eq "good config, resolver down: exit 1 (warnings)" 1 "$rc"
if [ "$(id -u)" = 0 ] && [ "$T_GROUP" = postfix ]; then
	has "good: mail_owner may connect" good '^ok: mail_owner postfix may connect to '
	chmod 0600 "$SOCK"
	doc good
	has "socket mode 0600: mail_owner may not connect" good '^error: mail_owner postfix may not connect to .*\(mode 0600\); fix: set socketmap_group'
	t_eq "socket mode 0600: exit 2" 2 "$rc"
	chmod 0660 "$SOCK"
else
	t_skip_check "mail_owner checks: need root and the group postfix"
fi

# Not chrooted: the absolute path as it is.
echo "$GOODMAP" | pf nochroot
postconf -c "$T/nochroot" -F smtp/unix/chroot=n
doc nochroot
has "no chroot: smtp(8) not chrooted" nochroot 'smtp\(8\) not chrooted$'
has "no chroot: socket reached at its own path" nochroot "^ok: smtp\(8\) reaches the daemon at $SOCK$"

# Chrooted in another queue directory: no link there.
{ echo "$GOODMAP"; echo "queue_directory = $T/q2"; } | pf otherq
doc otherq
has "other queue directory: socket missing in the chroot" otherq "^error: smtp\(8\) \(chrooted\) looks for the socket at $T/q2$SOCK: No such file or directory; fix: .*postfix_queue_directory = $T/q2"
t_eq "other queue directory: exit 2" 2 "$rc"

# No map, another socket, a bad map name.
: | pf nomap
doc nomap
has "no policy map" nomap "^error: smtp_tls_policy_maps does not ask tlspolicyd: \"\"; fix: smtp_tls_policy_maps = socketmap:unix:$SOCK:tlspolicy$"
t_eq "no policy map: exit 2" 2 "$rc"
echo "smtp_tls_policy_maps = hash:/etc/postfix/tls_policy, socketmap:unix:/nonexistent:tlspolicy" | pf wrongsock
doc wrongsock
has "another socket" wrongsock "^error: smtp_tls_policy_maps asks socketmap:unix:/nonexistent, but tlspolicyd listens on unix:$SOCK"
echo "smtp_tls_policy_maps = socketmap:unix:$SOCK:tlspolicy-tlsrpt" | pf tlsrpt
doc tlsrpt
# The TLSRPT map name needs Postfix 3.10: an error before, fine from on.
pfv=$(postconf -dh mail_version)
if [ "$(printf '%s\n3.10\n' "$pfv" | sort -V | head -n 1)" != 3.10 ]; then
	has "tlspolicy-tlsrpt on Postfix $pfv" tlsrpt '^error: map name tlspolicy-tlsrpt: .*before 3\.10.*; fix: use the map name tlspolicy$'
	t_eq "tlspolicy-tlsrpt on Postfix $pfv: exit 2" 2 "$rc"
else
	hasnt tlsrpt '^error: map name tlspolicy-tlsrpt'
fi
echo "smtp_tls_policy_maps = socketmap:unix:$SOCK" | pf malformed
doc malformed
has "malformed socketmap" malformed '^error: smtp_tls_policy_maps has a malformed socketmap table'

# DANE answers possible: the DNSSEC settings, and the resolver is an error.
sed 's/^dane_enable = no/dane_enable = yes/' "$T/tlspolicyd.conf" > "$T/dane.conf"
echo "$GOODMAP" | pf nodnssec
doc nodnssec "$T/dane.conf"
has "dane: smtp_dns_support_level missing" nodnssec '^error: smtp_dns_support_level is "": .*; fix: smtp_dns_support_level = dnssec$'
# Postfix 3.7's default is "may" with any level but dane; 3.10's is "dane".
if [ "$(postconf -dh mail_version | cut -d. -f1-2)" = 3.7 ]; then
	has "dane: insecure MX policy defaults to may on 3.7" nodnssec '^warning: smtp_tls_dane_insecure_mx_policy is "may".*; fix: smtp_tls_dane_insecure_mx_policy = dane$'
else
	has "dane: insecure MX policy defaults to dane after 3.7" nodnssec '^ok: smtp_tls_dane_insecure_mx_policy = dane$'
fi
{ echo "$GOODMAP"; echo "smtp_tls_dane_insecure_mx_policy = may"; } | pf imxmay
doc imxmay "$T/dane.conf"
has "dane: insecure MX policy may" imxmay '^warning: smtp_tls_dane_insecure_mx_policy is "may".*; fix: smtp_tls_dane_insecure_mx_policy = dane$'
has "dane: resolver down is an error" nodnssec '^error: resolver does not answer'
{ echo "$GOODMAP"; echo "smtp_dns_support_level = dnssec"; echo "smtp_tls_dane_insecure_mx_policy = dane"; } | pf dnssec
doc dnssec "$T/dane.conf"
has "dane: smtp_dns_support_level ok" dnssec '^ok: smtp_dns_support_level = dnssec$'
has "dane: insecure MX policy ok" dnssec '^ok: smtp_tls_dane_insecure_mx_policy = dane$'

# Secure answers possible (MTA-STS, or a secure override): a CA store.
sed 's/^sts_enable = no/sts_enable = yes/' "$T/tlspolicyd.conf" > "$T/sts.conf"
echo "$GOODMAP" | pf noca
doc noca "$T/sts.conf"
has "sts: no CA store" noca '^error: neither smtp_tls_CAfile nor smtp_tls_CApath is set.*; fix: smtp_tls_CAfile = '
echo "example.org secure match=.example.org" > "$T/overrides.secure"
sed "s|^overrides_file = .*|overrides_file = $T/overrides.secure|" "$T/tlspolicyd.conf" > "$T/secure.conf"
doc noca "$T/secure.conf"
has "secure override: no CA store" noca '^error: neither smtp_tls_CAfile nor smtp_tls_CApath is set'
echo "-----BEGIN CERTIFICATE-----" > "$T/ca.pem"
{ echo "$GOODMAP"; echo "smtp_tls_CAfile = $T/ca.pem"; } | pf cafile
doc cafile "$T/sts.conf"
has "sts: CAfile readable" cafile "^ok: smtp_tls_CAfile $T/ca.pem is readable$"
{ echo "$GOODMAP"; echo "smtp_tls_CAfile = $T/missing.pem"; } | pf cafilemissing
doc cafilemissing "$T/sts.conf"
has "sts: CAfile missing" cafilemissing "^error: smtp_tls_CAfile $T/missing.pem cannot be read"
{ echo "$GOODMAP"; echo "smtp_tls_CApath = /etc/ssl/certs"; } | pf capath
doc capath "$T/sts.conf"
has "sts: CApath missing inside the chroot" capath "^error: smtp_tls_CApath $Q/etc/ssl/certs is not a directory smtp\(8\) can read inside its chroot"
mkdir -p "$Q/etc/ssl/certs"
doc capath "$T/sts.conf"
has "sts: CApath inside the chroot" capath "^ok: smtp_tls_CApath $Q/etc/ssl/certs is readable$"

# smtpd with a certificate: doctor checks its TLSA records (through the
# resolver, down here; the world test 19-tlsmap-tlsa checks real answers).
if command -v openssl >/dev/null; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/smtpd.key" -out "$T/smtpd.pem" -subj /CN=mx.doctor.test \
	    -days 30 2>/dev/null
	{ echo "$GOODMAP"; echo "myhostname = mx.doctor.test"
	  echo "smtpd_tls_chain_files = $T/smtpd.key, $T/smtpd.pem"; } | pf smtpdcert
	doc smtpdcert
	has "smtpd certificate: its TLSA records are looked up" smtpdcert '^error: _25\._tcp\.mx\.doctor\.test\. TLSA lookup failed \(127\.0\.0\.1:1\): '
	t_eq "smtpd certificate, TLSA not checked: exit 2" 2 "$rc"
fi
{ echo "$GOODMAP"; echo "smtpd_tls_cert_file = $T/missing.pem"; } | pf smtpdmissing
doc smtpdmissing
has "smtpd certificate missing" smtpdmissing "^error: cannot read $T/missing\.pem: "

# Usage and a directory postconf cannot read.
"$TLSMAP" -c "$T/tlspolicyd.conf" doctor -C "$T/nonexistent" > "$T/nodir.out" 2>&1; rc=$?
t_eq "no Postfix configuration: exit 2" 2 "$rc"
has "no Postfix configuration: said so" nodir "^error: postconf -c $T/nonexistent failed"
"$TLSMAP" -c "$T/tlspolicyd.conf" doctor extra > /dev/null 2>&1; rc=$?
t_eq "doctor with an extra argument: usage, exit 2" 2 "$rc"

t_done
