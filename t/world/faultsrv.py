#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""faultsrv.py dns|https LISTEN MODEFILE PIDFILE [LIFETIME] [UPSTREAM|CERT KEY]

Misbehaving servers for the world's fault matrix (tests/22-fault-network.sh).
The mode is read from MODEFILE at each request, so a test switches faults
without a restart; every faulty answer is logged to stderr ("fault MODE").

dns LISTEN MODEFILE PIDFILE LIFETIME UPSTREAM: a DNS relay on LISTEN:53
(UDP and TCP) to UPSTREAM:53.  Modes: pass (relay unchanged), servfail
(rcode 2, no records), truncated (UDP: TC set, no records; TCP: the
connection closed at once), garbage (the query id and QR, then random
bytes), slow (relayed after 3 s, over TCP 2 s), drop (no answer).

https LISTEN MODEFILE PIDFILE LIFETIME CERT KEY: a TLS server on
LISTEN:443.  Modes: reset (headers and half a policy, then a TCP reset),
endless (200 OK, text/plain, no length, body bytes until the client goes
or 30 s), handshake (reads the ClientHello, answers half a TLS record
header, then nothing until the client goes or 30 s).

Bounded: exits after LIFETIME seconds (default 300) or 100000 requests;
one request at a time; SIGTERM stops it.  The PID file appears once the
sockets listen.
"""
import os
import random
import select
import signal
import socket
import ssl
import struct
import sys
import threading
import time

MAX_REQUESTS = 100000
STALL = 30


def mode(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return "pass"


def log(m):
    sys.stderr.write("fault %s\n" % m)
    sys.stderr.flush()


def write_pid(path):
    with open(path + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(path + ".tmp", path)


def relay(query, upstream, tcp):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
    s.settimeout(3)
    try:
        if tcp:
            s.connect((upstream, 53))
            s.sendall(struct.pack("!H", len(query)) + query)
            n = struct.unpack("!H", recv_all(s, 2))[0]
            return recv_all(s, n)
        s.sendto(query, (upstream, 53))
        return s.recv(65535)
    except (OSError, struct.error):
        return None
    finally:
        s.close()


def recv_all(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise OSError("short read")
        b += c
    return b


def header_only(query, rcode, tc):
    """The query's id and question, QR set, the given rcode and TC bit."""
    flags = struct.unpack("!H", query[2:4])[0]
    flags = (flags | 0x8000 | (0x0200 if tc else 0)) & 0xfff0 | rcode
    qd = struct.unpack("!H", query[4:6])[0]
    return query[:2] + struct.pack("!HHHHH", flags, qd, 0, 0, 0) + query[12:]


def dns_answer(m, query, upstream, tcp):
    """The reply for mode m, or None for no reply."""
    if len(query) < 12:
        return None
    if m == "servfail":
        return header_only(query, 2, False)
    if m == "truncated" and not tcp:
        return header_only(query, 0, True)
    if m == "garbage":
        return query[:2] + bytes([0x81]) + os.urandom(random.randint(1, 200))
    if m == "drop":
        return None
    if m == "slow":
        time.sleep(2)
    return relay(query, upstream, tcp)


def bound(kind, addr, port):
    """A socket bound to addr:port, listening if a stream."""
    s = socket.socket(socket.AF_INET, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    if kind == socket.SOCK_STREAM:
        s.listen(16)
    return s


def udp_reply(sock, peer, a):
    if a is not None:
        sock.sendto(a, peer)


def dns(listen, modefile, upstream):
    udp = bound(socket.SOCK_DGRAM, listen, 53)
    tcp = bound(socket.SOCK_STREAM, listen, 53)
    yield
    while True:
        r, _, _ = select.select([udp, tcp], [], [], 1)
        for s in r:
            m = mode(modefile)
            if s is udp:
                q, peer = udp.recvfrom(65535)
                if m != "pass":
                    log(m)
                if m == "slow":		# later, without holding up others
                    threading.Timer(3, udp_reply, (udp, peer, relay(q, upstream, False))).start()
                    continue
                a = dns_answer(m, q, upstream, False)
                if a is not None:
                    udp.sendto(a, peer)
            else:
                c, _ = tcp.accept()
                c.settimeout(2)
                try:
                    if m == "truncated":
                        log(m)
                        continue
                    n = struct.unpack("!H", recv_all(c, 2))[0]
                    a = dns_answer(m, recv_all(c, n), upstream, True)
                    if m != "pass":
                        log(m)
                    if a is not None:
                        c.sendall(struct.pack("!H", len(a)) + a)
                except (OSError, struct.error):
                    pass
                finally:
                    c.close()
            yield


POLICY = (b"version: STSv1\r\nmode: enforce\r\nmx: mx.sts-enforce.test\r\n"
          b"max_age: 86400\r\n")


def wait_gone(c, secs):
    """Until the peer closes or secs pass."""
    c.setblocking(False)
    end = time.time() + secs
    while time.time() < end:
        r, _, _ = select.select([c], [], [], 0.5)
        if r:
            try:
                if not c.recv(4096):
                    return
            except BlockingIOError:
                pass
            except OSError:
                return


def https_serve(c, m, ctx):
    if m == "handshake":
        c.settimeout(5)
        c.recv(4096)			# the ClientHello
        c.sendall(b"\x16\x03")		# half a record header
        wait_gone(c, STALL)
        return
    c.settimeout(5)
    t = ctx.wrap_socket(c, server_side=True)
    t.recv(4096)			# the request
    if m == "reset":
        t.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(POLICY) + POLICY[:30])
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return
    t.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
              b"Connection: close\r\n\r\n" + POLICY)
    end = time.time() + STALL
    while time.time() < end:
        t.sendall(b"x" * 4096)


def https(listen, modefile, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv = bound(socket.SOCK_STREAM, listen, 443)
    yield
    while True:
        r, _, _ = select.select([srv], [], [], 1)
        if r:
            c, _ = srv.accept()
            m = mode(modefile)
            log(m)
            try:
                https_serve(c, m, ctx)
            except (OSError, ssl.SSLError):
                pass
            finally:
                c.close()
            yield


def main():
    kind, listen, modefile, pidfile = sys.argv[1:5]
    lifetime = int(sys.argv[5]) if len(sys.argv) > 5 else 300
    if kind == "dns":
        gen = dns(listen, modefile, sys.argv[6])
    else:
        gen = https(listen, modefile, sys.argv[6], sys.argv[7])
    next(gen)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGALRM, lambda *_: sys.exit(0))
    signal.alarm(lifetime)
    write_pid(pidfile)
    for _ in range(MAX_REQUESTS):
        next(gen)


if __name__ == "__main__":
    main()
