#!/bin/bash
# SPDX-License-Identifier: MIT
# Sockets are removed when the daemon stops.  The daemon, no longer root,
# may lack the rights to remove them from root's directories, so
# "tlspolicyd -x" (the unit's ExecStopPost=, as root) removes a stopped
# daemon's socketmap, policy and control sockets and the chroot link it
# made; it leaves the sockets of a running daemon and an admin's own link.
. "$(dirname "$0")/../lib.sh"
t_init stop

Q=$T/spool
SOCK=$Q/tlspolicyd/socketmap
PSOCK=$Q/tlspolicyd/policy
CSOCK=$T/run/control
LINK=$Q$Q/tlspolicyd
: > "$T/overrides"
{ t_conf_base "$SOCK" "$PSOCK"; cat <<CONF
postfix_queue_directory = $Q
CONF
} > "$T/tlspolicyd.conf"
mkdir -p "$Q"
t_daemon_start "$T/tlspolicyd.conf" || { t_fail "daemon start"; t_done; exit 1; }
for _ in $(seq 100); do [ -S "$PSOCK" ] && [ -S "$CSOCK" ] && break; sleep 0.05; done
t_check "the daemon made the chroot link" test -L "$LINK"

"$TLSPOLICYD" -x -c "$T/tlspolicyd.conf" 2> "$T/x.err"; rc=$?
t_eq "-x while the daemon runs exits 1" 1 "$rc"
t_contains "-x says why" "$T/x.err" "$SOCK: a daemon still listens there"
t_check "-x leaves a running daemon's sockets" test -S "$SOCK" -a -S "$PSOCK" -a -S "$CSOCK" -a -L "$LINK"

pid=$(cat "$T/daemon.pid")
kill "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
rm -f "$T/daemon.pid"
"$TLSPOLICYD" -x -c "$T/tlspolicyd.conf" 2> "$T/x.err"; rc=$?
t_eq "-x after the stop exits 0" 0 "$rc"
for s in "$SOCK" "$PSOCK" "$CSOCK"; do
	t_check "$(basename "$s") socket removed" test ! -e "$s"
done
t_check "chroot link removed" test ! -L "$LINK"
t_check "the socket directory stays" test -d "$Q/tlspolicyd"
t_contains "-x logs what it removed" "$T/x.err" "removed $LINK"

ln -s /elsewhere "$LINK"
"$TLSPOLICYD" -x -c "$T/tlspolicyd.conf" 2>/dev/null; rc=$?
t_eq "-x with nothing left to remove exits 0" 0 "$rc"
t_eq "an admin's own link stays" /elsewhere "$(readlink "$LINK")"
t_done
