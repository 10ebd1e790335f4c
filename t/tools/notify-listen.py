#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# notify-listen - a stand-in for systemd's NOTIFY_SOCKET, for tests
#
#   notify-listen.py SOCKET OUTFILE PIDFILE SECONDS
#
# Binds a unix datagram socket at SOCKET, writes its PID to PIDFILE, and
# appends every datagram it receives to OUTFILE (flushed at once), each
# followed by a line "--".  Exits after SECONDS (bounded: a test that
# forgets it does not leave it running) or on SIGTERM.
import os
import socket
import sys
import time

path, outfile, pidfile, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
with open(pidfile, "w") as f:
    f.write("%d\n" % os.getpid())
end = time.monotonic() + seconds
with open(outfile, "ab", buffering=0) as out:
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            data = s.recv(65536)
        except socket.timeout:
            break
        out.write(data + b"\n--\n")
os.unlink(path)
