#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Test sender of TLSRPT datagrams in libtlsrpt's wire form.

usage: tlsrpt-send.py SOCKET < EVENTS

Each line of EVENTS is one of
  raw TEXT          TEXT sent as is (one datagram)
  JSON              an event object, sent "n" times (default 1):
                    {"d": DOMAIN, "pr": RECORD, "type": 1|2|9,
                     "pd": POLICY-DOMAIN, "strings": [...], "mx": [...],
                     "details": [{"c": CODE, "s": .., "n": .., "h": ..,
                                  "r": .., "a": .., "f": ..}], "n": N}
Blank lines and lines starting with # are skipped.  The encoding is the
one libtlsrpt 0.5 writes and Postfix 3.10 sends (t/world/tlsrpt-collect.py
captures show it): member order dpv, d, pr, policies; a space after the
colon of string-valued members only; t the number of details, f 0 or 1;
empty arrays and absent members left out.  Sends at most 10000
datagrams, each with a 5 s timeout; prints the number sent.
"""
import json
import socket
import sys

LIMIT = 10000


def jstr(s):
    """libtlsrpt's escaping: \\" \\\\ \\b \\f \\n \\r \\t, \\u00XX below 0x20
    and 0x7f, other bytes raw."""
    out = []
    for ch in s:
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch in "\b\f\n\r\t":
            out.append({"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
                        "\t": "\\t"}[ch])
        elif o < 0x20 or o == 0x7F:
            out.append("\\u%04x" % o)
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def sarray(name, items):
    return '"%s":[%s]' % (name, ",".join(jstr(i) for i in items))


def detail(d):
    parts = ['"c":%d' % d["c"]]
    for k in "snhraf":
        if d.get(k) is not None:
            parts.append('"%s": %s' % (k, jstr(d[k])))
    return "{" + ",".join(parts) + "}"


def encode(ev):
    details = ev.get("details", [])
    pol = ['"policy-type":%d' % ev.get("type", 9)]
    if ev.get("pd"):
        pol.append('"policy-domain": %s' % jstr(ev["pd"]))
    if ev.get("strings"):
        pol.append(sarray("policy-string", ev["strings"]))
    if ev.get("mx"):
        pol.append(sarray("mx-host", ev["mx"]))
    if details:
        pol.append('"failure-details":[%s]' % ",".join(detail(d) for d in details))
    pol.append('"t":%d' % len(details))
    pol.append('"f":%d' % (1 if details else 0))
    head = '{"dpv": "1","d": %s' % jstr(ev["d"])
    if ev.get("pr") is not None:
        head += ',"pr": %s' % jstr(ev["pr"])
    return (head + ',"policies":[{' + ",".join(pol) + "}]}").encode()


def main():
    path = sys.argv[1]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.settimeout(5)
    sent = 0
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("raw "):
            msgs = [line[4:].encode()]
        else:
            ev = json.loads(line)
            msgs = [encode(ev)] * int(ev.get("n", 1))
        for m in msgs:
            if sent >= LIMIT:
                break
            s.sendto(m, path)
            sent += 1
    print(sent)


if __name__ == "__main__":
    main()
