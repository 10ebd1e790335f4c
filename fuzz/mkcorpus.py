#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the text seed corpora of the fuzz harnesses (t/fuzz-corpus/NAME).

usage: fuzz/mkcorpus.py [CORPUS_DIR]     (default: t/fuzz-corpus)

The seeds are cases of the unit tests (t/unit/check_*.c), good and bad,
in the input format of each harness (fuzz/fuzz_NAME.c).  The DNS seeds
(dns, dane, dnssec) are binary and signed: fuzz/seedgen.c writes them.
"""
import os
import sys

POLREQ = (b"request=smtpd_access_policy\nprotocol_state=RCPT\n"
          b"protocol_name=ESMTP\nclient_address=203.0.113.9\n"
          b"client_name=mx.other.example\nclient_port=50123\n"
          b"reverse_client_name=mx.other.example\nserver_address=198.51.100.5\n"
          b"server_port=25\nhelo_name=mx.other.example\n"
          b"sender=alice@other.example\nrecipient=bob@example.com\n"
          b"recipient_count=0\nqueue_id=\ninstance=1f5a.6641d2c3.8b2e1.0\n"
          b"size=0\nsasl_username=\nccert_subject=\n"
          b"ccert_fingerprint=AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\n"
          b"encryption_protocol=TLSv1.3\nencryption_cipher=TLS_AES_256_GCM_SHA384\n"
          b"encryption_keysize=256\nserver_port=25\n\n")

RULES = (b"# Inbound TLS rules used by the tests.\n"
         b"exempt      client_address=198.51.100.7\n"
         b"partner-tls sender_domain=partner.example require=tls\n"
         b"            min_protocol=TLSv1.2 action=defer\n"
         b"to-secure   recipient_domain=secure.example,.secure.example\n"
         b"            require=tls action=reject\n"
         b"pinned      client_address=192.0.2.0/24,2001:db8::/32\n"
         b"            fingerprint=abcdef0123456789abcdef0123456789"
         b"abcdef0123456789abcdef0123456789 action=reject\n"
         b"verified    client_name=.certs.example require=ccert action=reject\n"
         b"keysz       server_port=2525 min_keysize=128 action=defer\n"
         b"routed      sender_domain=outbound.example require=tls "
         b"filter=smtp-tls: prepend=yes\n"
         b"watch       reverse_client_name=.watch.example require=tls action=warn\n"
         b"sasl        sasl_username=alice require=tls min_protocol=TLSv1.3\n"
         b"            action=reject\n"
         b"tls-only    server_port=2526 tls=yes min_protocol=TLSv1.2 action=reject\n"
         b"plain-only  server_port=2527 tls=no\n")

POLICY = (b"version: STSv1\nmode: enforce\nmx: mail.example.com\n"
          b"mx: *.example.net\nmax_age: 86400\n")

SEEDS = {
    "netstring": [b"3:abc,", b"0:,", b"12:tlspolicy a,3:xyz,", b"01:a,",
                  b"3:abcd", b"99999999999:", b"5:hello;"],
    "sockmap": [b"21:tlspolicy example.com,", b"10:tlspolicy ,",
                b"tlspolicy [mail.example.net]:587", b"nospace",
                b" example.com", b"tlspolicy a\rb"],
    "polreq": [POLREQ, POLREQ + POLREQ, b"\n", b"name\n\n", b"=x\n\n",
               b"request=smtpd_access_policy\nsender=a\nsender=b\n\n",
               b"a=" + b"x" * 2100 + b"\n\n"],
    "sts_txt": [b"v=STSv1; id=20240101T000000;",
                b"v=STSv1;id=abc123", b"v=STSv1; id=a; ext=val;",
                b"v=STSv1; id=a-b", b"v=STSv1; ID=x", b"v=STSv1 ; id=x ; ",
                b"v=STSv1; id=one\x00v=STSv1; id=two",
                b"v=spf1 -all\x00v=STSv1; id=x", b"v=STSv10; id=x"],
    "sts_policy": [POLICY,
                   b"version: STSv1\r\nmode: testing\r\nmx: a.example\r\nmax_age: 1\r\n",
                   b"version: STSv1  \nmode: enforce\t\nmx: a.example \nmax_age: 5 \r\n",
                   b"\xef\xbb\xbfversion: STSv1\nmode: none\nmax_age: 99999999999\n",
                   b"version: STSv1\nmode: enforce\nmx: xn--bcher-kva.example\n"
                   b"mx: b\xc3\xbccher.example\nmax_age: 60\n",
                   b"version: STSv1\nmode: enforce\nmode: none\nmx: a.example\n"
                   b"max_age: 60\nfoo.bar: x y\n",
                   b"version: STSv1\rmode: enforce\n"],
    "sts_json": [b'{"max_age":86400,"mode":"enforce","mx":["mail.example.com",'
                 b'"*.example.net"],"text":"version: STSv1\\nmode: enforce\\n'
                 b'mx: mail.example.com\\nmx: *.example.net\\nmax_age: 86400\\n"}',
                 b'{"max_age":1,"mode":"none","mx":[],"text":"version: STSv1\\n'
                 b'mode: none\\nmax_age: 1\\n"}',
                 b'{"max_age":1,"mode":"none","mx":[],"mx":[]}', b'[]', b'{'],
    "http_resp": [b"\x00\x00\x00\x00HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                  b"Content-Length: " + str(len(POLICY)).encode() + b"\r\n\r\n" + POLICY,
                  b"\x01\x02\x03\x04HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                  b"\x07\x07\x07\x07HTTP/1.0 200 OK\nContent-Type: Text/Plain; "
                  b"charset=utf-8\n\nbody\n",
                  b"\x00\x00\x00\x01HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
                  b"Content-Length: 1\r\n\r\nx",
                  b"\x00\x00\x00\x02HTTP/1.1 301 Moved\r\nLocation: https://x.example/\r\n\r\n",
                  b"\x00\x00\x00\x03HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n",
                  b"\x00\x00\x00\x04HTTP/1.2 200 OK\r\n\r\n"],
    "fetchproto": [b'\x00{"id":1,"domain":"Example.COM."}',
                   b'\x00{"id":2,"domain":"example.com","policy_id":"abc1","force":true}',
                   b'\x00{"id":3,"domain":"example.com","extra":1}',
                   b'\x00{"id":4,"domain":7}', b'\x00{"id":-1,"domain":"example.com"}',
                   b'\x00{"id":8,"id":9,"domain":"example.com"}',
                   b"\x01\x00\x00\x00\x00HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                   b"Content-Length: " + str(len(POLICY)).encode() + b"\r\n\r\n" + POLICY,
                   b"\x01\x00\x00\x00\x00HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!",
                   b"\x01\x00\x00\x00\x00HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\nx",
                   b'\x02{"id":7,"domain":"example.com","ok":false,'
                   b'"error":"sts-policy-fetch-error","detail":"HTTP status 404"}',
                   b'\x02{"id":8,"domain":"example.com","ok":true,"fetched_at":1700000000,'
                   b'"policy":{"max_age":86400,"mode":"enforce","mx":["mail.example.com"],'
                   b'"text":"version: STSv1\\nmode: enforce\\nmx: mail.example.com\\n'
                   b'max_age: 86400\\n"}}',
                   b'\x02{"id":9,"ok":true}'],
    "domain": [b"example.com", b"Example.COM.", b".example.com",
               b"[mail.example.net]:587", b"[mail.example.net]:submission",
               b"example.com:2525", b"[192.0.2.1]:25", b"[ipv6:2001:db8::1]:25",
               "bücher.example".encode(), b"xn--bcher-kva.example",
               b"mx:*.mail.protection.outlook.com", b"mx:.example.org",
               b"example..com", b"[mail.example.net]:025", b"\xff\xfe.example"],
    "overrides": [b"# forced TLS\nexample.com encrypt protocols=>=TLSv1.2\n"
                  b".example.com secure match=.example.com\n"
                  b"[mail.example.net]:587 verify\n"
                  b"mx:*.mail.protection.outlook.com secure match=.protection.outlook.com\n"
                  b"mx:mx1.example.org report-only verify\n"
                  b"bank.example\n  dane-only\n",
                  b"example.com encrypt\n\nEXAMPLE.com. may\n",
                  b"example.com optional\n", b"mx:localhost encrypt\n",
                  b"mx.:23 encrypt\n"],
    "inbound": [RULES + b"\x00" + POLREQ, RULES,
                b"bad sender_domain=x.example require=tls\n\x00" + POLREQ,
                b"r server_port=25 require=ccert action=reject\n\x00" + POLREQ],
    "tlsrpt": [b'\x00{"dpv": "1","d": "example.com","pr": "v=TLSRPTv1; '
               b'rua=mailto:tlsrpt@example.com","policies":[{"policy-type":2,'
               b'"policy-domain": "example.com","policy-string":["version: STSv1",'
               b'"mode: enforce","mx: mx.example.com","max_age: 604800"],'
               b'"mx-host":["mx.example.com"],"failure-details":[{"c":205,'
               b'"s": "192.0.2.25","n": "mx.example.com","h": '
               b'"250-mx.example.com\\r\\n250 STARTTLS","r": "203.0.113.10",'
               b'"f": "self-signed_certificate"}],"t":1,"f":1}]}',
               b'\x00{"d": "sts-enforce.test","pr": "v=TLSRPTv1; '
               b'rua=mailto:tlsrpt@world.test","policies":[{"policy-type":2,'
               b'"policy-domain": "sts-enforce.test","policy-string":'
               b'["version: STSv1","mode: enforce","mx: mx.sts-enforce.test",'
               b'"max_age: 86400"],"mx-host":["mx.sts-enforce.test"],'
               b'"t":0,"f":0}]}',
               b'\x00{"dpv":"2","d":"example.com","policies":[{"policy-type":1}]}',
               b'\x00{"dpv":1,"d":"example.com","policies":[{"policy-type":9}]}',
               b'\x01v=TLSRPTv1; rua=mailto:tlsrpt@example.com',
               b'\x01v=TLSRPTv1;rua=https://r.example/tlsrpt,mailto:a%40b@example.org',
               b'\x01v=TLSRPTv1; rua=ftp://x\x00v=TLSRPTv1; rua=mailto:x@y.example'],
    "conf": [b"\x00log_level = debug\nmax_connections = 10\r\n"
             b"socketmap_listen = inet:127.0.0.1:10025\n"
             b"policy_listen = unix:/run/p inet:[::1]:9999\n"
             b"idle_timeout = 5m\ndane_enable = no\n",
             b"\x00nosuch = 1\n", b"\x00log_level\n",
             b"\x00socketmap_listen = inet:[::1]\n",
             b"\x01nameserver 127.0.0.1\nnameserver ::1\nsearch example\n"
             b"nameserver [192.0.2.1]:53\n",
             b"\x02test. 60 IN DS 1234 13 2 "
             b"0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\n",
             b"\x02$ORIGIN example.\n@ IN DS 1 8 2 00\n",
             b"\x02test. 60 IN A 127.0.0.1\n",
             b"\x00policy_store = redis\nredis_url = redis://:pw@127.0.0.1:6379/2\n"],
    "redis_url": [b"redis://127.0.0.1:6379", b"redis://:s3cret@redis.example:6380/15",
                  b"redis://[::1]:6379/1", b"unix:/run/redis/redis.sock",
                  b"unix:/run/redis.sock?db=7", b"redis://h:65536", b"redis://:@h:1",
                  b"rpt/2026-12-03/example.com", b"example.com"],
}


def main():
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(top, "t", "fuzz-corpus")
    for name, seeds in SEEDS.items():
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        for i, s in enumerate(seeds):
            with open(os.path.join(d, "seed-%02d" % i), "wb") as f:
                f.write(s)


main()
