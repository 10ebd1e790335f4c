#!/bin/bash
# SPDX-License-Identifier: MIT
# The examples shipped in /usr/share/doc/tlspolicyd/examples: every
# commented entry of the override table and the inbound rules is one the
# daemon accepts once uncommented, main.cf.example is valid Postfix, and
# the Grafana dashboard uses only metrics the daemon exposes.
. "$(dirname "$0")/../lib.sh"
t_init examples
EX=$TOP_SRCDIR/examples

uncomment() {	# entries start with "#x", continuations with "#   "
	sed -n -e 's/^#\([^ #]\)/\1/p' -e 's/^#\([[:space:]]\{2,\}\)/\1/p' "$1"
}
uncomment "$EX/overrides" > "$T/overrides"
uncomment "$EX/inbound" > "$T/inbound"
t_check "overrides example has entries" test -s "$T/overrides"
t_check "inbound example has rules" test -s "$T/inbound"
cat > "$T/tlspolicyd.conf" <<CONF
socketmap_listen = unix:$T/run/socketmap
socketmap_group = $T_GROUP
control_listen = unix:$T/run/control
control_group =
policy_listen = unix:$T/run/policy
policy_group = $T_GROUP
postfix_queue_directory =
overrides_file = $T/overrides
inbound_rules_file = $T/inbound
state_directory = $T/state
user = $T_USER
dane_enable = no
sts_enable = no
metrics_listen = unix:$T/run/metrics
CONF
if t_daemon_start "$T/tlspolicyd.conf"; then
	t_ok "daemon starts on the examples"
	t_eq "override example answers" "encrypt protocols=>=TLSv1.2" \
		"$(postmap -c "$T/postfix" -q partner.example "socketmap:unix:$T/run/socketmap:tlspolicy")"
else
	t_fail "daemon starts on the examples"
fi
	# A plaintext session from the partner: its rule defers.
	ask() {
		python3 -c 'import socket,sys
s=socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
s.sendall(("request=smtpd_access_policy\nprotocol_state=RCPT\n"
  "client_address=192.0.2.7\nclient_name=mail.partner.example\n"
  "sender=a@"+sys.argv[2]+"\nrecipient=b@example.org\n\n").encode())
print(s.recv(4096).decode().split("\n")[0])' "$T/run/policy" "$1"
	}
	t_like() { if [[ $3 =~ $2 ]]; then t_ok "$1"; else t_fail "$1: [$3] !~ /$2/"; fi; }
	t_like "inbound example: partner without TLS deferred" '^action=(DEFER|defer|4)' "$(ask partner.example)"
	# Everyone else: report only (DUNNO), the violation logged.
	t_eq "inbound example: others pass" "action=DUNNO" "$(ask other.example)"
	t_contains "inbound example: others logged" "$T/daemon.log" 'rule=everyone missing="tls" action=warn'
# The Grafana dashboard: valid JSON, and every metric name its queries
# use is one the daemon exposes (every family is there, even for the
# sources this configuration turns off).
DASH=$EX/grafana-dashboard.json
if command -v jq >/dev/null && command -v curl >/dev/null; then
	jq -r '.. | .expr? // empty' "$DASH" | grep -o 'tlspolicyd_[a-z_]*' \
		| sort -u > "$T/dash-names"
	t_check "dashboard: queries name metrics" test -s "$T/dash-names"
	curl -sf --max-time 5 --unix-socket "$T/run/metrics" \
		http://localhost/metrics > "$T/metrics"
	sed -n 's/^\(tlspolicyd_[a-z_]*\)[{ ].*/\1/p' "$T/metrics" | sort -u \
		> "$T/exposed"
	t_check "the daemon exposes metrics" test -s "$T/exposed"
	t_eq "dashboard: every metric it uses is exposed" "" \
		"$(comm -23 "$T/dash-names" "$T/exposed" | tr '\n' ' ')"
	t_eq "dashboard: in the package's examples" 1 \
		"$(grep -cx 'examples/grafana-dashboard.json' "$TOP_SRCDIR/debian/tlspolicyd.examples")"
else
	t_skip_check "jq or curl missing: the dashboard is not checked"
fi
t_check "no error logged" bash -c "! grep -Eq 'error|warning' '$T/daemon.log'"
# The main.cf lines: postconf reads them without complaint.
mkdir -p "$T/pf"
cp "$EX/main.cf.example" "$T/pf/main.cf"
echo "compatibility_level = 3.6" >> "$T/pf/main.cf"
touch "$T/pf/master.cf"
t_eq "main.cf example: postconf warns of nothing" "" \
	"$(postconf -c "$T/pf" -n 2>&1 >/dev/null)"
t_eq "main.cf example: the map" \
	"smtp_tls_policy_maps = socketmap:unix:/var/spool/postfix/tlspolicyd/socketmap:tlspolicy" \
	"$(postconf -c "$T/pf" smtp_tls_policy_maps)"
t_done
