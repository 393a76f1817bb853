#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/.
Run once; the seeds are committed. Documentation addresses only."""

import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def name(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.strip(".").split(".")) + b"\0"


def rr(owner, rtype, rdata, ttl=600, rclass=1):
    return (owner if isinstance(owner, bytes) else name(owner)) + struct.pack(">HHIH", rtype, rclass, ttl, len(rdata)) + rdata


def message(qname, qtype, answers=(), authority=(), rcode=0):
    header = struct.pack(">HHHHHH", 0x1234, 0x8180 | rcode, 1, len(answers), len(authority), 0)
    return header + name(qname) + struct.pack(">HH", qtype, 1) + b"".join(answers) + b"".join(authority)


def soa(zone, ttl, minimum):
    rdata = name("ns." + zone) + name("hostmaster." + zone) + struct.pack(">IIIII", 1, 3600, 900, 604800, minimum)
    return rr(zone, 6, rdata, ttl)


def main():
    with open(os.path.join(ROOT, "daemon", "ptrwatchd.conf")) as f:
        example = f.read()
    write("config", "example", example)
    write("config", "full", "[Watch]\nAddresses=192.0.2.10 2001:db8::25 # comment\nDiscover=route dns\n"
          "HeloName=mail.example.test\nWhoami=cloudflare one.test/A@192.0.2.53 two.test/TXT/CH@[2001:db8::53]:5353\n"
          "RouteProbes=192.0.2.1\n[Resolver]\nServers=127.0.0.1:53 [::1]:5353\nTimeout=3s\nMaxInFlight=16\n"
          "[Cache]\nMinTTL=10s\nMaxTTL=2h\nServeStale=1d 12h\n")
    write("config", "malformed", "[Cache\nMinTTL=1h\nMaxTTL=1min\n[Watch]\nAddresses=192.0.2.300\n=x\n")
    write("config", "unknown", "; c\n[Future]\nKey=1\n[Watch]\nNope=2\nAddresses=\n")

    rt = 1795000000 * 10**6
    write("state", "valid", "ptrwatch-state 1\n"
          f"192.0.2.10\twarn\tmultiple-ptr,invalid-name\t-bad.example.test,mail.example.test\tmail.example.test\t"
          f"600000000\t{rt}\t{rt + 600000000}\tmessage with \\t tab, \\n newline, \\, comma \\\\ and \\x01\n"
          f"2001:db8::25\tfail\tno-ptr\t\t\t300000000\t{rt}\t{rt + 300000000}\tIP address 2001:db8::25 does not "
          "have a PTR record in DNS\nend 2\n")
    write("state", "empty-list", "ptrwatch-state 1\nend 0\n")
    write("state", "truncated", "ptrwatch-state 1\n192.0.2.10\tpass\t\tmail.example.test\tmail.example.test\t60")

    for i, a in enumerate(["192.0.2.10", "2001:db8::25", "::ffff:192.0.2.10", "fe80::1%eth0", "192.0.2.300",
                           "c-192-0-2-10.dsl.example.test", "mail.example.test", "203.0.113.5", "0xcb007105.x.test",
                           "2001-db8--25.pool.example.net", "1.2.3.4.", "a" * 70 + ".test"]):
        write("address", f"seed-{i}", a)
    for i, (flags, a) in enumerate([(0, "192.0.2.10"), (1, "2001:db8::25"), (6, "192.0.2.10"), (0, "bogus"),
                                    (2**63, "::1")]):
        write("check-args", f"seed-{i}", struct.pack("<Q", flags) + a.encode())

    rev = "10.2.0.192.in-addr.arpa"
    ptr = lambda target: name(target)
    write("dns-reply", "ptr", message(rev, 12, [rr(rev, 12, ptr("mail.example.test"))]))
    write("dns-reply", "ptr-many", message(rev, 12, [rr(rev, 12, ptr(f"n{i}.example.test")) for i in range(12)]))
    cname_target = "10.0/26.2.0.192.in-addr.arpa"
    write("dns-reply", "rfc2317", message(rev, 12, [rr(rev, 5, name(cname_target), 900),
                                                    rr(cname_target, 12, ptr("cl10.example.test"), 300)]))
    write("dns-reply", "compressed", message(rev, 12, [rr(b"\xc0\x0c", 12, ptr("mail.example.test"))]))
    write("dns-reply", "nxdomain", message(rev, 12, authority=[soa("2.0.192.in-addr.arpa", 3600, 300)], rcode=3))
    write("dns-reply", "nodata", message(rev, 12, authority=[soa("2.0.192.in-addr.arpa", 100, 900)]))
    write("dns-reply", "servfail", message(rev, 12, rcode=2))
    write("dns-reply", "a", message("mail.example.test", 1, [rr("mail.example.test", 1, bytes([192, 0, 2, 10]))]))
    write("dns-reply", "aaaa", message("mail.example.test", 28,
                                       [rr("mail.example.test", 28, bytes.fromhex("20010db8" + "0" * 22 + "25"))]))
    write("dns-reply", "a-cname", message("alias.example.test", 1, [rr("alias.example.test", 5, name("mail2.example.test")),
                                                                   rr("mail2.example.test", 1, bytes([192, 0, 2, 14]))]))
    write("dns-reply", "txt", message("o-o.myaddr.test", 16, [rr("o-o.myaddr.test", 16, b"\x0a192.0.2.10\x05other")]))
    # regex-literal: a flags byte (1: caseless), the pattern, subjects a line each
    relay = "[ ip=198.51.100.7 rdns={} helo={} by=mx.receiver.invalid ident= envfrom= intl=0 id=1A2B auth= msa=0 ]"
    for i, (flags, pattern, subjects) in enumerate([
            (1, r"^[^\]]+ rdns=\S*(?:cm|catv|docsis|cable|dsl|dhcp|cpe|node)\S*\d+[^\d\s]+\d", [
                relay.format("dsl-7-1.example.net", "x"), relay.format("mail.example.com", "x")]),
            (1, r"^[^\]]+ rdns=\S+[\-\.](?:dial|modem|isdn|dov|\S?dsl|cable|wireless)[\-\.]", [
                relay.format("a.adsl.example", "x"), relay.format("A.CABLE.example", "x")]),
            (0, r"^[^\]]+ helo=(?:pc|oem\S*) ", [relay.format("x", "oem7"), relay.format("x", "pc")]),
            (1, r"(?:(?<!smtp)(?<!a)cm|catv)\d", ["cm7", "smtpcm7", "catv1"]),
            (0, r"foo|b.r|(?:x|y)z{0,2}", ["bar", "b-r", "xz", "y"]),
            (0, r"ab{,3}c(?:de){,2}f", ["ab{,3}cf", "acf"]),
            (1, "s\\d", ["\u017f1", "S1"]),
            (1, r"\bmail[^a-z]", ["MAIL.", "x.mail-"]),
    ]):
        write("regex-literal", f"seed-{i}", bytes([flags]) + (pattern + "\n" + "\n".join(subjects)).encode())


if __name__ == "__main__":
    main()
