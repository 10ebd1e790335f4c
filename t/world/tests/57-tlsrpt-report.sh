#!/bin/bash
# SPDX-License-Identifier: MIT
# The TLSRPT reporter (RFC 8460 reports) end to end.  Aggregates of today
# are put into the daemon's store (t/tools/rptfill, as the collector writes
# them: 56/59 cover Postfix -> collector); the daemon's clock is moved past
# the day's end (tlsrpt_spread = 0), then:
#  - tlsrpt-report.test (_smtp._tls: mailto:tlsrpt@tlsrpt-mail.test and
#    https://mta-sts.tlsrpt-recv.test/tlsrpt): the mail goes through the
#    daemon's sendmail (tlsrpt-sendmail.py: to the world's sender Postfix,
#    which delivers to the mailbox Postfix of tlsrpt-mail.test on
#    127.0.0.33); it is a valid multipart/report whose gzip JSON validates
#    against RFC 8460 4.4 and whose counts are the stored ones; the https
#    receiver (nginx, https.tsv kind tlsrpt) gets the same report as
#    application/tlsrpt+gzip;
#  - tlsrpt-port.test (https://mta-sts.tlsrpt-recv.test:8444/tlsrpt-port):
#    the POST goes to port 8444, nothing of it to 443 (the regression test
#    of 07f9224: the fetcher's own A query had given every address 443);
#  - tlsrpt-retry.test (https only) with its receiver down (503): the
#    attempt fails, the state stays pending with the error; receiver up,
#    the clock moved by the back-off: the report arrives on the retry;
#  - tlsmap report shows both delivery states (part A reads what the
#    reporter writes).
# shellcheck source=t/world/testlib.sh
. "$(dirname "$0")/../testlib.sh"
# shellcheck source=t/world/daemon.sh
. "$(dirname "$0")/../daemon.sh"
P=$(dirname "$0")/../postfix.sh
RPTFILL=$TOP_BUILDDIR/t/tools/rptfill
[ -x "$RPTFILL" ] || skip_test "t/tools/rptfill not built (make -C t tools/rptfill)"

BOXADDR=127.0.0.33
SENDER=t57-sender BOX=t57-box
D1=tlsrpt-report.test D2=tlsrpt-retry.test D3=tlsrpt-port.test
DOWN=$WORLD_DIR/tlsrpt-down/tlsrpt-retry
INLOG=$WORLD_DIR/log/tlsrpt-in.log
trap 'td_stop t57; "$P" stop "$SENDER"; "$P" stop "$BOX"; rm -f "$DOWN"' EXIT

# The mailbox of tlsrpt-mail.test: virtual(8) into a maildir.
"$P" stop "$BOX" >/dev/null 2>&1
rm -rf "${WORLD_DIR:?}/pf/$BOX"
MBOX=$WORLD_DIR/pf/$BOX/mbox
mkdir -p "$MBOX" && chown nobody:nogroup "$MBOX"
printf '%s\n' "virtual_mailbox_domains = tlsrpt-mail.test" \
	"virtual_mailbox_base = $MBOX" "virtual_mailbox_maps = static:box/" \
	"virtual_uid_maps = static:$(id -u nobody)" \
	"virtual_gid_maps = static:$(id -g nobody)" |
	"$P" start "$BOX" inbound "$BOXADDR" || { fail "mailbox Postfix started"; done_testing; }
printf 'smtp_tls_security_level = may\n' |
	"$P" start "$SENDER" sender "$WORLD_SENDER_ADDR" || { fail "sender Postfix started"; done_testing; }

# The daemon, its sendmail the SMTP stand-in (it runs as tlspolicyd).
mkdir -p "$WORLD_DIR/td/t57"
SMLOG=$WORLD_DIR/td/t57/sendmail.log
: > "$SMLOG" && chmod 666 "$SMLOG"
cat > "$WORLD_DIR/td/t57/sendmail" <<EOF
#!/bin/sh
SENDMAIL_LOG=$SMLOG exec python3 $(cd "$(dirname "$0")/.." && pwd)/tlsrpt-sendmail.py "\$@"
EOF
chmod 755 "$WORLD_DIR/td/t57/sendmail"
td_start t57 <<CONF || { fail "daemon started"; done_testing; }
tlsrpt_enable = yes
tlsrpt_listen = unix:$WORLD_DIR/td/t57/run/tlsrpt
tlsrpt_group =
tlsrpt_organization = World Test Org
tlsrpt_contact = tlsrpt-contact@world.test
tlsrpt_submitter = world.test
tlsrpt_sender = tlsrpt-sender@world.test
tlsrpt_sendmail = $WORLD_DIR/td/t57/sendmail
tlsrpt_spread = 0
CONF

# Today's aggregates, as the collector would have stored them.
NOW=$(date +%s)
DAY=$(date -u -d "@$NOW" +%F)
PR1="v=TLSRPTv1; rua=mailto:tlsrpt@tlsrpt-mail.test,https://mta-sts.tlsrpt-recv.test/tlsrpt"
PR2="v=TLSRPTv1; rua=https://mta-sts.tlsrpt-recv.test/tlsrpt-retry"
PR3="v=TLSRPTv1; rua=https://mta-sts.tlsrpt-recv.test:8444/tlsrpt-port"
"$RPTFILL" "$TD_DIR/state/sts.lmdb" "$DAY" "$D1" "$PR1" 7 2 &&
	"$RPTFILL" "$TD_DIR/state/sts.lmdb" "$DAY" "$D2" "$PR2" 3 0 &&
	"$RPTFILL" "$TD_DIR/state/sts.lmdb" "$DAY" "$D3" "$PR3" 4 1 &&
	pass "aggregates of $DAY stored" || fail "rptfill"
: > "$WORLD_DIR/tlsrpt-down/.keep"
touch "$DOWN"
INOFF=$(fsize "$INLOG")
BOXLOG=$("$P" log "$BOX")
BOXOFF=$(fsize "$BOXLOG")

# Past the day's end (that nothing goes out before it, check_tlsrpt_send).
td_mark
td_ctl clock +$(( (NOW / 86400 + 1) * 86400 - NOW + 1 )) >/dev/null
td_wait_log "tlsrpt: domain=$D1 day=$DAY state=sent tries=1" 30 &&
	pass "$D1: sent on the first attempt" || fail "$D1: not sent"
td_wait_log "tlsrpt: domain=$D2 day=$DAY state=pending tries=1 .*error=https://mta-sts.tlsrpt-recv.test/tlsrpt-retry: HTTP status 503" 30 &&
	pass "$D2: receiver down (503): pending, with the error" ||
	fail "$D2: no pending state with the 503"
# The delivery states, as tlsmap report shows them (the rptsent records).
td_ctl report "$D1" --day "$DAY" 2>&1 | grep -q "sent to mailto:tlsrpt@tlsrpt-mail.test" &&
	pass "tlsmap report: $D1 sent to the mailbox" ||
	fail "tlsmap report $D1: $(td_ctl report "$D1" --day "$DAY" 2>&1 | tail -2)"
td_ctl report "$D2" --day "$DAY" 2>&1 | grep -q "pending (1 try): .*HTTP status 503" &&
	pass "tlsmap report: $D2 pending after 1 try, with the 503" ||
	fail "tlsmap report $D2: $(td_ctl report "$D2" --day "$DAY" 2>&1 | tail -2)"
grep -qx -- "-oi -f tlsrpt-sender@world.test -- tlsrpt@tlsrpt-mail.test" "$SMLOG" &&
	pass "sendmail -oi -f SENDER -- RCPT" || fail "sendmail arguments: $(cat "$SMLOG")"
log_wait "$BOXLOG" "$BOXOFF" "to=<tlsrpt@tlsrpt-mail.test>.*status=sent" 30 &&
	pass "the report mail is delivered to the mailbox" || fail "report mail not delivered"
log_wait "$INLOG" "$INOFF" '^POST 201 "application/tlsrpt\+gzip" .* 443$' 10 &&
	pass "the https receiver got a POST of application/tlsrpt+gzip" ||
	fail "no POST of application/tlsrpt+gzip"
bodies() {	# bodies PORT DOMAIN: body files of DOMAIN's 201 POSTs to PORT since INOFF
	local b
	for b in $(log_from "$INLOG" "$INOFF" | awk -v p="$1" '$1 == "POST" && $2 == 201 && $5 == p { print $4 }'); do
		gzip -dc "$b" 2>/dev/null | grep -q "\"policy-domain\": *\"$2\"" && echo "$b"
	done
}
BODY1=$(bodies 443 "$D1" | head -1)

# The mail and the POST: RFC 8460 reports with the stored counts.
MAIL=$(find "$MBOX/box/new" -type f 2>/dev/null | head -1)
check() {	# check FILE KIND DOMAIN SUCCESS FAILURE [OTHER]: schema and counts
	python3 - "$@" <<'PY'
import email, email.policy, gzip, json, sys

path, kind, domain, ok, bad = sys.argv[1:6]
other = sys.argv[6] if len(sys.argv) > 6 else None
errors = []

def need(cond, what):
    if not cond:
        errors.append(what)

def load_gzip_json(data):
    return json.loads(gzip.decompress(data).decode("utf-8"))

def schema(r):
    """RFC 8460 4.4, section by section."""
    for k in ("organization-name", "contact-info", "report-id"):
        need(isinstance(r.get(k), str) and r[k], "%s: a non-empty string" % k)
    dr = r.get("date-range", {})
    for k in ("start-datetime", "end-datetime"):
        need(isinstance(dr.get(k), str) and dr[k].endswith("Z"), "date-range %s" % k)
    pols = r.get("policies")
    need(isinstance(pols, list) and pols, "policies: a non-empty array")
    for p in pols or []:
        pol = p.get("policy", {})
        need(pol.get("policy-type") in ("tlsa", "sts", "no-policy-found"), "policy-type")
        need(isinstance(pol.get("policy-string"), list), "policy-string: an array")
        need(isinstance(pol.get("mx-host"), list), "mx-host: an array")
        need(isinstance(pol.get("policy-domain"), str), "policy-domain")
        s = p.get("summary", {})
        for k in ("total-successful-session-count", "total-failure-session-count"):
            need(type(s.get(k)) is int and s[k] >= 0, "summary %s: an integer" % k)
        fd = p.get("failure-details", [])
        need(isinstance(fd, list), "failure-details: an array")
        for d in fd:
            need(isinstance(d.get("result-type"), str), "result-type")
            need(type(d.get("failed-session-count")) is int, "failed-session-count")

if kind == "mail":
    msg = email.message_from_binary_file(open(path, "rb"), policy=email.policy.default)
    need(msg.get_content_type() == "multipart/report", "Content-Type multipart/report")
    need(msg.get_param("report-type") == "tlsrpt", 'report-type="tlsrpt"')
    need(msg["TLS-Report-Domain"] == domain, "TLS-Report-Domain")
    need(msg["TLS-Report-Submitter"] == "world.test", "TLS-Report-Submitter")
    need(msg["TLS-Required"] == "No", "TLS-Required: No")
    subj = str(msg["Subject"])
    need(subj.startswith("Report Domain: %s Submitter: world.test Report-ID: <" % domain), "Subject: " + subj)
    parts = [p for p in msg.iter_parts()]
    need(len(parts) == 2 and parts[0].get_content_type() == "text/plain", "a text/plain part first")
    att = parts[-1]
    need(att.get_content_type() == "application/tlsrpt+gzip", "application/tlsrpt+gzip part")
    fn = att.get_filename() or ""
    need(fn.startswith("world.test!%s!" % domain) and fn.endswith(".json.gz"), "file name " + fn)
    data = att.get_content()
else:
    data = open(path, "rb").read()
r = load_gzip_json(data)
schema(r)
pols = r.get("policies", [])
need(len(pols) == 1, "one policy")
if pols:
    s = pols[0]["summary"]
    need(s.get("total-successful-session-count") == int(ok), "successful count %s" % s)
    need(s.get("total-failure-session-count") == int(bad), "failure count %s" % s)
    need(pols[0]["policy"].get("policy-domain") == domain, "policy-domain")
need(r.get("organization-name") == "World Test Org", "organization-name")
need(r.get("contact-info") == "tlsrpt-contact@world.test", "contact-info")
if other:
    need(r == json.loads(gzip.decompress(open(other, "rb").read())), "the same report as " + other)
for e in errors:
    print("  " + e)
sys.exit(1 if errors else 0)
PY
}
[ -n "$MAIL" ] && check "$MAIL" mail "$D1" 5 2 &&
	pass "$D1 mail: multipart/report, RFC 8460 JSON, counts 5/2" || fail "$D1 mail report"
[ -n "$BODY1" ] && [ -n "$MAIL" ] && check "$BODY1" https "$D1" 5 2 &&
	python3 - "$MAIL" "$BODY1" <<'PY' && pass "$D1 https: the same report as the mail" || fail "$D1 https report"
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
sys.exit(0 if list(m.iter_parts())[-1].get_content() == open(sys.argv[2], "rb").read() else 1)
PY

# rua=https://HOST:8444/...: the POST reaches port 8444, none of it 443.
td_wait_log "tlsrpt: domain=$D3 day=$DAY state=sent tries=1" 30 &&
	pass "$D3: sent on the first attempt" || fail "$D3: not sent"
log_wait "$INLOG" "$INOFF" '^POST 201 "application/tlsrpt\+gzip" .* 8444$' 10 &&
	BODY3=$(bodies 8444 "$D3" | head -1) && [ -n "$BODY3" ] &&
	check "$BODY3" https "$D3" 3 1 &&
	pass "$D3: its report (counts 3/1) POSTed to port 8444, status 201" ||
	fail "$D3: no report on port 8444: $(log_from "$INLOG" "$INOFF" | tr '\n' ';')"
n443=$(bodies 443 "$D3" | wc -l)
[ "$n443" = 0 ] && pass "$D3: nothing of it POSTed to port 443" ||
	fail "$D3: $n443 POST(s) of its report to port 443"

# The receiver back, the clock moved by the back-off: the retry delivers.
rm -f "$DOWN"
INOFF=$(fsize "$INLOG")
td_mark
td_ctl clock +300 >/dev/null
td_wait_log "tlsrpt: domain=$D2 day=$DAY state=sent tries=2" 30 &&
	pass "$D2: sent on the retry" || fail "$D2: not sent on the retry"
log_wait "$INLOG" "$INOFF" '^POST 201 "application/tlsrpt\+gzip" ' 10 &&
	BODY2=$(log_from "$INLOG" "$INOFF" | awk '$1 == "POST" && $2 == 201 { print $4; exit }') &&
	check "$BODY2" https "$D2" 3 0 &&
	pass "$D2: the retried POST is its report (counts 3/0)" || fail "$D2 retried report"
td_grep "tlsrpt: domain=$D1 .*state=" "$TD_LOG_MARK" && fail "$D1 sent again" ||
	pass "$D1: sent once, not again"

done_testing
