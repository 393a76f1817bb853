#!/usr/bin/python3
"""A hostile DNS server (#14): forged, malformed and oversized replies to
the questions ptrwatchd asks about addresses whose truth is known. Never a
wrong definitive verdict, never a crash (and, in the ASan build, never a
sanitizer report): what cannot be trusted is a temperror, and a forgery from
another source is not even read."""

import atexit
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnsworld  # noqa: E402

if __name__ == "__main__":
    dnsworld.isolate()

import scriptdns as sd  # noqa: E402

PTRWATCHD = os.environ.get("PTRWATCHD", "ptrwatchd")
root = None


def header(query, flags=0x8580, qd=1, an=0, ns=0, ar=0):
    return query[:2] + struct.pack(">HHHHH", flags, qd, an, ns, ar)


def question(query):
    return sd.parse_question(query)[3]


def rr_bytes(owner_wire, rtype, ttl, rdata):
    return owner_wire + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata


PTR_OWNER = b"\xc0\x0c"                 # a pointer to the question's name


def ptr_answer(query, target="mail.example.test", **kw):
    rdata = sd.wire_name(target)
    return header(query, an=1, **kw) + question(query) + rr_bytes(PTR_OWNER, sd.PTR, 600, rdata)


def nxdomain(query):
    soa = sd.soa("2.0.192.in-addr.arpa", 600, 600)
    return header(query, flags=0x8583, ns=1) + question(query) + sd.encode_rr(soa)


# name: (what the PTR query of 192.0.2.10 gets, the verdict expected).
# The truth is a pass: PTR mail.example.test, A 192.0.2.10.
CASES = {
    "forged NXDOMAIN from another port first": (lambda q: [(nxdomain(q), True), (ptr_answer(q), False)], "pass"),
    "QR=0": (lambda q: [(ptr_answer(q, flags=0x0580), False)], "temperror"),
    "another opcode": (lambda q: [(ptr_answer(q, flags=0x9580), False)], "temperror"),
    "another question": (lambda q: [(header(q, an=0, flags=0x8583) + sd.wire_name("11.2.0.192.in-addr.arpa")
                                     + struct.pack(">HH", sd.PTR, 1), False)], "temperror"),
    "no question": (lambda q: [(header(q, qd=0, flags=0x8583), False)], "temperror"),
    "random bytes after a right ID": (lambda q: [(q[:2] + random.Random(7).randbytes(60), False)], "temperror"),
    "more records counted than sent": (lambda q: [(ptr_answer(q)[:6] + struct.pack(">H", 2) + ptr_answer(q)[8:], False)],
                                       "temperror"),
    "NXDOMAIN counting no records but carrying one": (
        lambda q: [(nxdomain(q)[:8] + struct.pack(">H", 0) + nxdomain(q)[10:], False)], "temperror"),
    "a record cut without TC": (lambda q: [(ptr_answer(q)[:-5], False)], "temperror"),
    "TC and no TCP": (lambda q: [(header(q, flags=0x8780) + question(q), False)], "temperror"),
    "a compression loop in the owner": (lambda q: [(header(q, an=1) + question(q) +
                                                    rr_bytes(b"\xc0" + bytes([12 + len(question(q))]), sd.PTR, 600,
                                                             sd.wire_name("mail.example.test")), False)], "temperror"),
    "a compression loop in the rdata": (lambda q: [(header(q, an=1) + question(q) +
                                                    rr_bytes(PTR_OWNER, sd.PTR, 600, b"\x04mail\xc0" +
                                                             bytes([12 + len(question(q)) + 12 + 5])), False)],
                                        "temperror"),
    "a 64-octet label": (lambda q: [(header(q, an=1) + question(q) +
                                     rr_bytes(PTR_OWNER, sd.PTR, 600, b"\x40" + b"a" * 64 + b"\x00"), False)],
                         "temperror"),
    "PTR rdata that is not a name": (lambda q: [(header(q, an=1) + question(q) +
                                                 rr_bytes(PTR_OWNER, sd.PTR, 600, b"\x07garbage"), False)], "temperror"),
}


def check(dns, address, conf_extra=""):
    conf = os.path.join(root, "hostile.conf")
    with open(conf, "w") as f:
        f.write(f"[Resolver]\nServers=127.0.0.1:{dns.port}\nTimeout=700ms\n[Cache]\nMinTTL=1s\n{conf_extra}")
    p = subprocess.run([PTRWATCHD, "--config", conf, "--check", "--json", address], capture_output=True, text=True,
                       timeout=60)
    if "Sanitizer" in p.stderr or "runtime error:" in p.stderr:
        raise AssertionError("sanitizer report:\n" + p.stderr)
    if p.returncode not in (0, 1, 2, 3):
        raise AssertionError(f"exit {p.returncode}:\n{p.stderr}")
    return json.loads(p.stdout)[0]


class Hostile(unittest.TestCase):
    def setUp(self):
        self.dns = sd.ScriptedDns()
        self.addCleanup(self.dns.stop)
        rev = sd.reverse_name("192.0.2.10")
        self.dns.set(rev, sd.PTR, sd.Reply(answer=[sd.ptr(rev, 600, "mail.example.test")]))
        self.dns.set("mail.example.test", sd.A, sd.Reply(answer=[sd.a("mail.example.test", 600, "192.0.2.10")]))

    def test_every_hostile_ptr_reply(self):
        rev = sd.reverse_name("192.0.2.10")
        for name, (respond, expected) in CASES.items():
            with self.subTest(case=name):
                self.dns.raw[(rev, sd.PTR)] = respond
                v = check(self.dns, "192.0.2.10")
                self.assertEqual(v["verdict"], expected, (name, v))
                self.assertNotIn("no-ptr", v["reasons"])
        self.assertGreaterEqual(len(CASES), 14)

    def test_hostile_forward_replies(self):
        """The PTR is sound; the forward answer is not: never forward-missing."""
        def a_cut(q):
            return [(header(q, an=1) + question(q) + rr_bytes(b"\xc0\x0c", sd.A, 600, b"\xc0\x00\x02"), False)]

        def a_nxdomain_forged(q):
            soa = sd.soa("example.test", 600, 600)
            return [(header(q, flags=0x8583, ns=1) + question(q) + sd.encode_rr(soa), True),
                    (header(q, an=1) + question(q) + rr_bytes(b"\xc0\x0c", sd.A, 600, bytes([192, 0, 2, 10])), False)]
        for respond, expected in ((a_cut, "temperror"), (a_nxdomain_forged, "pass")):
            self.dns.raw[("mail.example.test", sd.A)] = respond
            v = check(self.dns, "192.0.2.10")
            self.assertEqual(v["verdict"], expected, v)
            self.assertFalse({"forward-missing", "forward-mismatch"} & set(v["reasons"]), v)

    def test_cname_loop_and_long_chain(self):
        rev = sd.reverse_name("192.0.2.10")
        self.dns.set(rev, sd.PTR, sd.Reply(answer=[sd.cname(rev, 60, "a.example.test"),
                                                   sd.cname("a.example.test", 60, rev)]))
        v = check(self.dns, "192.0.2.10")
        self.assertEqual(v["verdict"], "temperror")
        self.assertIn("a CNAME loop", v["message"])
        chain = [sd.cname(rev, 60, "c0.example.test")] + \
                [sd.cname(f"c{i}.example.test", 60, f"c{i + 1}.example.test") for i in range(20)]
        self.dns.set(rev, sd.PTR, sd.Reply(answer=chain))
        v = check(self.dns, "192.0.2.10")
        self.assertEqual(v["verdict"], "temperror")
        self.assertIn("a CNAME chain longer than 16", v["message"])


class NegativesAskedTwice(unittest.TestCase):
    """#14.5: a fail that rests on a negative answer counts only when the
    same question, asked once more, gets the same answer."""

    def setUp(self):
        self.dns = sd.ScriptedDns()
        self.addCleanup(self.dns.stop)
        self.rev = sd.reverse_name("192.0.2.10")
        self.dns.set("mail.example.test", sd.A, sd.Reply(answer=[sd.a("mail.example.test", 600, "192.0.2.10")]))

    def once_then(self, first, then):
        sent = []

        def respond(q):
            msg = first(q) if not sent else sd.build(q, then)
            sent.append(1)
            return [(msg, False)]
        return respond

    def test_no_ptr_confirmed(self):
        self.dns.set(self.rev, sd.PTR, sd.Reply(sd.NXDOMAIN, authority=[sd.soa("2.0.192.in-addr.arpa", 600, 600)]))
        v = check(self.dns, "192.0.2.10")
        self.assertEqual((v["verdict"], v["reasons"]), ("fail", ["no-ptr"]))
        self.assertEqual(self.dns.count(self.rev, sd.PTR), 2)

    def test_one_forged_nxdomain_is_not_a_fail(self):
        self.dns.raw[(self.rev, sd.PTR)] = self.once_then(
            nxdomain, sd.Reply(answer=[sd.ptr(self.rev, 600, "mail.example.test")]))
        v = check(self.dns, "192.0.2.10")
        self.assertEqual(v["verdict"], "temperror", v)
        self.assertIn("answered differently when asked twice", v["message"])

    def test_one_wrong_forward_answer_is_not_a_fail(self):
        self.dns.set(self.rev, sd.PTR, sd.Reply(answer=[sd.ptr(self.rev, 600, "mail.example.test")]))
        wrong = lambda q: header(q, an=1) + question(q) + rr_bytes(b"\xc0\x0c", sd.A, 600, bytes([198, 51, 100, 1]))
        self.dns.raw[("mail.example.test", sd.A)] = self.once_then(
            wrong, sd.Reply(answer=[sd.a("mail.example.test", 600, "192.0.2.10")]))
        v = check(self.dns, "192.0.2.10")
        self.assertEqual(v["verdict"], "temperror", v)
        self.assertEqual(self.dns.count("mail.example.test", sd.A), 2)
        # a mismatch that holds is a fail
        self.dns.raw.clear()
        self.dns.set("mail.example.test", sd.A, sd.Reply(answer=[sd.a("mail.example.test", 600, "198.51.100.1")]))
        v = check(self.dns, "192.0.2.10")
        self.assertEqual((v["verdict"], v["reasons"]), ("fail", ["forward-mismatch"]))

    def test_a_pass_is_asked_once(self):
        self.dns.set(self.rev, sd.PTR, sd.Reply(answer=[sd.ptr(self.rev, 600, "mail.example.test")]))
        self.assertEqual(check(self.dns, "192.0.2.10")["verdict"], "pass")
        self.assertEqual((self.dns.count(self.rev, sd.PTR), self.dns.count("mail.example.test", sd.A)), (1, 1))


class Oversize(unittest.TestCase):
    """31 PTR records with the confirming one last: over UDP the reply is cut
    (TC); over TCP it comes whole, and the confirming name counts."""

    def test_tc_then_tcp(self):
        dns = sd.ScriptedDns(tcp=True, udp_max=512)
        self.addCleanup(dns.stop)
        rev = sd.reverse_name("192.0.2.10")
        names = [f"other{i}.example.test" for i in range(30)] + ["mail.example.test"]
        dns.set(rev, sd.PTR, sd.Reply(answer=[sd.ptr(rev, 600, n) for n in names]))
        for n in names[:-1]:
            dns.set(n, sd.A, sd.Reply(answer=[sd.a(n, 600, "198.51.100.99")]))
        dns.set("mail.example.test", sd.A, sd.Reply(answer=[sd.a("mail.example.test", 600, "192.0.2.10")]))
        v = check(dns, "192.0.2.10")
        self.assertEqual((v["verdict"], v["reasons"]), ("warn", ["multiple-ptr"]), v)
        self.assertEqual(len(v["ptr"]), 31)
        self.assertEqual(v["confirmed"], ["mail.example.test"])


if __name__ == "__main__":
    root = tempfile.mkdtemp(prefix="ptrwatch-hostile-")
    atexit.register(shutil.rmtree, root, ignore_errors=True)  # nothing left in /tmp
    unittest.main(verbosity=2)
