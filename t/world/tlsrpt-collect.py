#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Test collector for Postfix's TLSRPT datagrams (libtlsrpt).

usage: tlsrpt-collect.py SOCKET OUTFILE PIDFILE [SECONDS]

Binds a unix datagram socket at SOCKET (mode 0666, so chrooted smtp(8)
processes running as postfix can send), writes each datagram it receives
as one line to OUTFILE (flushed at once), and exits after SECONDS (default
300) or 10000 datagrams, whichever comes first.  Bounded; removes its
socket and PID file on exit.  Only for the test world: the real collector
is tlspolicyd's.
"""
import os
import socket
import sys
import time


def main():
    path, out, pidfile = sys.argv[1:4]
    limit = float(sys.argv[4]) if len(sys.argv) > 4 else 300.0
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    os.chmod(path, 0o666)
    with open(pidfile, "w") as f:
        f.write("%d\n" % os.getpid())
    end = time.monotonic() + limit
    n = 0
    try:
        with open(out, "ab", buffering=0) as o:
            while n < 10000:
                left = end - time.monotonic()
                if left <= 0:
                    break
                s.settimeout(left)
                try:
                    data = s.recv(262144)
                except socket.timeout:
                    break
                o.write(data.replace(b"\n", b"\\n") + b"\n")
                n += 1
    finally:
        for p in (path, pidfile):
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass


if __name__ == "__main__":
    main()
