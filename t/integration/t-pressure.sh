#!/bin/bash
# SPDX-License-Identifier: MIT
# Connection pressure on the socketmap and policy services (policyd/conn.c):
# more idle connections than max_connections do not lock real postmap
# queries out (the connection quiet longest is closed for the new one);
# a client trickling one byte at a time, one announcing a 100 MB
# netstring or an endless line, and one that never reads its replies are
# cut off by request_timeout and the size limits while other clients are
# answered; forced closes are logged once an interval, not once each.
# Outcomes are counted (closed connections, log lines), not timed.
. "$(dirname "$0")/../lib.sh"
t_init pressure
command -v postmap >/dev/null || t_skip "postmap (Debian package postfix) is not installed"
command -v python3 >/dev/null || t_skip "python3 is not installed"

SOCK=$T/run/socketmap
PSOCK=$T/run/policy
MAP=socketmap:unix:$SOCK:tlspolicy
LIMIT=20
printf 'example.com encrypt\n' > "$T/overrides"
{ t_conf_base "$SOCK" "$PSOCK"; cat <<CONF
max_connections = $LIMIT
idle_timeout = 120s
policy_idle_timeout = 120s
request_timeout = 2s
CONF
} > "$T/tlspolicyd.conf"

# The clients: each mode bounded in time and count; prints one result line.
cat > "$T/press.py" <<'PY'
import os, resource, select, socket, sys, time

def conn(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s

def closed_by_peer(s):
    try:
        return s.recv(65536, socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True

def hold(path, n, ready, secs):
    """Open n idle connections one after the other; write 'opened' to
    ready; hold them secs seconds; report how many the server closed
    and the lowest index still open (the oldest are closed first)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))
    socks = [conn(path) for _ in range(n)]
    with open(ready, "w") as f:
        f.write("opened\n")
    time.sleep(secs)
    gone = [closed_by_peer(s) for s in socks]
    first_open = next((i for i, g in enumerate(gone) if not g), n)
    print("closed=%d first_open=%d" % (sum(gone), first_open))

def trickle(path, data, gap, secs):
    """Send data one byte every gap seconds; report whether the server
    closed the connection before the request was whole."""
    s = conn(path)
    end = time.time() + secs
    for i, b in enumerate(data):
        if time.time() > end:
            break
        try:
            s.send(bytes([b]))
        except OSError:
            print("closed after %d bytes" % i)
            return
        r, _, _ = select.select([s], [], [], gap)
        if r and closed_by_peer(s):
            print("closed after %d bytes" % (i + 1))
            return
    print("complete")

def flood(path, head, chunk, total):
    """Send head, then chunk after chunk (up to total bytes); report
    whether the server closed the connection."""
    s = conn(path)
    s.settimeout(5)
    sent = 0
    try:
        s.sendall(head)
        while sent < total:
            sent += s.send(chunk)
    except OSError:
        pass
    try:
        s.settimeout(5)
        while s.recv(65536):
            pass
        print("closed")
    except OSError as e:
        print("closed" if not isinstance(e, socket.timeout) else "open")

def noread(path, req, ready, secs):
    """Pipeline requests without reading a reply until the server stops
    taking them; write 'stuck' to ready; then wait secs seconds, still
    without reading, and report whether the connection was closed."""
    s = conn(path)
    s.setblocking(False)
    batch, off = req * 2000, 0
    end = time.time() + 10
    while time.time() < end:
        try:
            off = (off + s.send(batch[off:])) % len(batch)
        except BlockingIOError:
            _, w, _ = select.select([], [s], [], 0.5)
            if not w:
                break
    with open(ready, "w") as f:
        f.write("stuck\n")
    time.sleep(secs)
    s.setblocking(True)
    s.settimeout(5)
    try:
        while s.recv(1 << 20):
            pass
        print("closed")
    except socket.timeout:
        print("open")
    except OSError:
        print("closed")

mode, path = sys.argv[1], sys.argv[2]
a = sys.argv[3:]
if mode == "hold":
    hold(path, int(a[0]), a[1], float(a[2]))
elif mode == "trickle":
    trickle(path, a[0].encode().decode("unicode_escape").encode(), float(a[1]), float(a[2]))
elif mode == "flood":
    flood(path, a[0].encode(), a[1].encode() * 65536, int(a[2]))
elif mode == "noread":
    noread(path, a[0].encode().decode("unicode_escape").encode(), a[1], float(a[2]))
PY
press() { python3 "$T/press.py" "$@"; }
q() { postmap -c "$T/postfix" -q "$1" "$MAP" 2>&1; }
# wait_file FILE: until FILE exists (10 s)
wait_file() {
	for _ in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.05; done
	return 1
}
# wait_log PATTERN: until the log has a line matching it past $mark (10 s)
wait_log() {
	for _ in $(seq 200); do
		tail -c +$((mark + 1)) "$T/daemon.log" | grep -Eq -- "$1" && return 0
		sleep 0.05
	done
	return 1
}
count_log() { tail -c +$((mark + 1)) "$T/daemon.log" | grep -Ec -- "$1"; }
mark_log() { mark=$(stat -c %s "$T/daemon.log"); }
SMREQ='21:tlspolicy example.com,'
PREQ='request=smtpd_access_policy\nprotocol_state=RCPT\nsender=a@b.test\n\n'

t_daemon_start "$T/tlspolicyd.conf" || { t_fail "daemon start"; t_done; exit 1; }
for _ in $(seq 100); do [ -S "$PSOCK" ] && break; sleep 0.05; done

# pressure WHAT SOCK N SECS CHECK: hold N idle connections for SECS seconds
# on SOCK while CHECK (a function) runs the real queries; then the held
# connections beyond the limit are closed, the oldest first, and the
# evictions fill one warning line (two if a 10 s interval ends
# meanwhile), not one each.
pressure() {
	local what=$1 sock=$2 n=$3 secs=$4 check=$5 hp closed first lines
	mark_log
	rm -f "$T/ready"
	press hold "$sock" "$n" "$T/ready" "$secs" > "$T/hold.out" & hp=$!
	if wait_file "$T/ready"; then
		$check
	else
		t_fail "$what: the idle connections were not opened"
	fi
	wait $hp
	read -r closed first <<<"$(sed 's/[a-z_]*=//g' "$T/hold.out")"
	t_check "$what: idle connections beyond the limit closed ($closed of $n)" \
		test "${closed:-0}" -ge $((n - LIMIT))
	t_check "$what: the oldest closed first (first open: ${first:-?})" \
		test "${first:-0}" -ge $((n - LIMIT - 5))
	lines=$(count_log "$what connection limit $LIMIT reached")
	t_check "$what: evictions logged once an interval ($lines lines)" \
		test "$lines" -ge 1 -a "$lines" -le 2
}
postmap_answers() {
	local ok=0
	for _ in 1 2 3 4 5; do [ "$(q example.com)" = encrypt ] && ok=$((ok + 1)); done
	t_eq "socketmap: postmap answers with 2,000 idle connections held" 5 "$ok"
}
policy_answers() {
	t_eq "policy: answered with 200 idle connections held" \
		"$(printf 'action=DUNNO\n\n\nOPEN')" "$("$SMCLIENT" -t 300 "unix:$PSOCK" "$PREQ")"
}

# 1. 2,000 idle socketmap connections, 100 times the limit, held while
# real postmap queries run.
pressure socketmap "$SOCK" 2000 4 postmap_answers
# 2. The same on the policy service: 200 idle connections, then a request.
pressure policy "$PSOCK" 200 2 policy_answers

# 3. One byte every 0.4 s: the whole request would take 10 s; the idle
# timeout (120 s) never ends, request_timeout (2 s) does.  Others are
# answered meanwhile.
mark_log
press trickle "$SOCK" "$SMREQ" 0.4 15 > "$T/trickle.out" & tp=$!
t_eq "socketmap: answers while a client trickles" encrypt "$(q example.com)"
wait $tp
t_eq "socketmap: a trickling client is cut off" "closed" "$(cut -d' ' -f1 "$T/trickle.out")"
t_check "socketmap: slow request logged" wait_log \
	'socketmap: closed a connection whose request was not complete within request_timeout'
t_eq "policy: a trickling client is cut off" "closed" \
	"$(press trickle "$PSOCK" "$PREQ" 0.15 15 | cut -d' ' -f1)"
t_check "policy: slow request logged" wait_log \
	'policy: closed a connection whose request was not complete within request_timeout'

# 4. A length prefix announcing 100 MB, and an endless policy line: closed
# after the first read, with a log line; other clients are answered.
mark_log
t_eq "socketmap: a 100 MB netstring is refused" closed \
	"$(press flood "$SOCK" 100000000: x 1048576)"
t_check "socketmap: refusal logged" wait_log 'socketmap client: .*closing connection'
t_eq "policy: an endless line is refused" closed \
	"$(press flood "$PSOCK" 'request=' x 104857600)"
t_check "policy: refusal logged" wait_log 'policy client #[0-9]+: malformed request'
t_eq "socketmap: answers meanwhile" encrypt "$(q example.com)"

# 5. A client that pipelines requests and never reads a reply: once its
# replies stop moving for request_timeout it is closed; postmap is
# answered while it is stuck.
mark_log
press noread "$SOCK" "$SMREQ" "$T/ready3" 4 > "$T/noread.out" & np=$!
if wait_file "$T/ready3"; then
	t_eq "socketmap: answers while a client does not read" encrypt "$(q example.com)"
else
	t_fail "socketmap: the non-reading client did not fill its buffers"
fi
wait $np
t_eq "socketmap: a client that never reads is closed" closed "$(cat "$T/noread.out")"
t_check "socketmap: unread replies logged" wait_log \
	'socketmap: closed a connection that did not read its replies'
t_eq "socketmap: answers afterwards" encrypt "$(q example.com)"

kill "$(cat "$T/daemon.pid")"
wait "$(cat "$T/daemon.pid")" 2>/dev/null
rm -f "$T/daemon.pid"
t_done
