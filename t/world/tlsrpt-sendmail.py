#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A sendmail(1) stand-in for the test world (57-tlsrpt-report): the
daemon runs "PATH -oi -f FROM -- RCPT" as its unprivileged user, which the
world's Postfix instances do not allow ("sendmail -C DIR" is for root), so
this submits the message read from standard input over SMTP to the
world's sender instance (SENDMAIL_SMTP, default 127.0.0.30:25), which
delivers it as Postfix does.  Each call appends its arguments to
SENDMAIL_LOG when set.  Exit 0 when the message was accepted, 64 for a
usage error, 75 (EX_TEMPFAIL) otherwise; bounded by a 30 s timeout."""
import os
import smtplib
import sys


def main():
    args = sys.argv[1:]
    log = os.environ.get("SENDMAIL_LOG")
    if log:
        with open(log, "a") as f:
            f.write(" ".join(args) + "\n")
    if len(args) != 5 or args[0] != "-oi" or args[1] != "-f" or args[3] != "--":
        return 64
    sender, rcpt = args[2], args[4]
    host, _, port = os.environ.get("SENDMAIL_SMTP", "127.0.0.30:25").partition(":")
    # The message is ASCII with LF line ends: as str, smtplib sends CRLF.
    msg = sys.stdin.buffer.read().decode("ascii", "replace")
    try:
        with smtplib.SMTP(host, int(port or 25), timeout=30) as s:
            s.sendmail(sender, [rcpt], msg)
    except (OSError, smtplib.SMTPException) as e:
        print("tlsrpt-sendmail: %s" % e, file=sys.stderr)
        return 75
    return 0


sys.exit(main())
