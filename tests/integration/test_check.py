#!/usr/bin/env python3
"""ptrwatchd --check against real DNS: nsd + unbound in a private network
namespace, serving tests/zones. Every verdict and reason code of the contract."""

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnsworld  # noqa: E402

PTRWATCHD = os.environ.get("PTRWATCHD", "ptrwatchd")
MAXRSS = os.environ.get("MAXRSS", "maxrss")
world = None

CONTRACT_KEYS = {"address", "reverse_name", "verdict", "reasons", "ptr", "confirmed", "helo", "sources", "receivers",
                 "authority", "message", "ttl", "checked_at", "expires_at", "stale", "watched",
                 "resolver_stale", "resolver_expires_at"}
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

# address: (verdict, reasons, ptr (None: don't compare), confirmed, ttl)
# ttl is the value the zones decide; a cached answer may be a few seconds less.
CASES = {
    "192.0.2.10": ("pass", [], ["mail.example.test"], ["mail.example.test"], 600),
    "192.0.2.11": ("fail", ["no-ptr"], [], [], 300),                    # NXDOMAIN, min(3600, 300)
    "192.0.2.12": ("fail", ["forward-missing"], ["nofwd.example.test"], [], 300),
    "192.0.2.13": ("fail", ["forward-mismatch"], ["mismatch.example.test"], [], 600),
    "192.0.2.14": ("pass", [], ["alias.example.test"], ["alias.example.test"], 600),  # PTR name is a CNAME
    "192.0.2.15": ("warn", ["multiple-ptr"], None, ["mx15.example.test"], 300),
    "192.0.2.16": ("warn", ["generic-ptr"], ["192-0-2-16.dsl.example.test"], ["192-0-2-16.dsl.example.test"], 600),
    "192.0.2.17": ("pass", [], ["other17.example.test"], ["other17.example.test"], 600),
    "192.0.2.18": ("fail", ["invalid-name"], ["192.0.2.18"], [], 900),
    "192.0.2.19": ("warn", ["multiple-ptr", "invalid-name"], None, ["ok19.example.test"], 600),
    "192.0.2.20": ("fail", ["no-ptr"], [], [], 300),                    # NODATA
    "192.0.2.21": ("pass", [], ["short21.example.test"], ["short21.example.test"], 120),  # min(PTR 120, A 3000)
    "192.0.2.22": ("temperror", ["servfail"], ["lame.broken.test"], [], 30),
    "192.0.2.23": ("warn", ["multiple-ptr"], None, ["ok23.example.test"], 600),
    "203.0.113.10": ("pass", [], ["cl10.example.test"], ["cl10.example.test"], 600),  # RFC 2317
    "203.0.113.11": ("fail", ["no-ptr"], [], [], 300),                  # RFC 2317 CNAME to nothing
    "203.0.113.50": ("fail", ["no-ptr"], [], [], 100),                  # min(SOA TTL 100, MINIMUM 900)
    "198.51.100.7": ("temperror", ["servfail"], [], [], 30),            # lame delegation
    "2001:db8::25": ("pass", [], ["mail.example.test"], ["mail.example.test"], 600),
    "2001:db8::26": ("fail", ["no-ptr"], [], [], 300),
    "2001:db8::27": ("fail", ["forward-missing"], ["v4only.example.test"], [], 300),  # A only: same family rule
    "2001:db8::28": ("fail", ["forward-mismatch"], ["mismatch6.example.test"], [], 600),
}
TTL_SLACK = 10


def assert_no_sanitizer_report(stderr):
    """In the ASan+UBSan build a report must fail the test whatever the exit code."""
    if "Sanitizer" in stderr or "runtime error:" in stderr:
        raise AssertionError("sanitizer report:\n" + stderr)


def run(*args, config=None, check=False):
    cmd = [PTRWATCHD]
    if config:
        cmd += ["--config", config]
    cmd += list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert_no_sanitizer_report(p.stderr)
    if check and p.returncode not in (0, 1, 2, 3):
        raise AssertionError(f"{cmd} exited {p.returncode}: {p.stderr}")
    return p


def check_json(test, addresses, config):
    p = run("--check", "--json", *addresses, config=config)
    doc = json.loads(p.stdout)      # exactly one document, or this raises
    test.assertIsInstance(doc, list)
    test.assertEqual([v["address"] for v in doc], list(addresses), "argument order")
    for v in doc:
        test.assertEqual(set(v), CONTRACT_KEYS, v["address"])
        test.assertRegex(v["checked_at"], RFC3339)
        test.assertRegex(v["expires_at"], RFC3339)
        test.assertIs(v["stale"], False)
        test.assertIs(v["watched"], False)
        test.assertTrue(v["message"])
        for name in v["ptr"] + v["confirmed"]:
            test.assertEqual(name, name.lower())
            test.assertFalse(name.endswith("."))
    return p, doc


class CheckEngine(unittest.TestCase):
    def test_every_case_concurrently(self):
        p, doc = check_json(self, list(CASES), world.config())
        self.assertEqual(p.returncode, 2, "a fail is the worst verdict")
        for v in doc:
            verdict, reasons, ptr, confirmed, ttl = CASES[v["address"]]
            with self.subTest(address=v["address"]):
                self.assertEqual(v["verdict"], verdict, v["message"])
                self.assertEqual(v["reasons"], reasons)
                if ptr is not None:
                    self.assertEqual(v["ptr"], ptr)
                self.assertEqual(v["confirmed"], confirmed)
                self.assertLessEqual(v["ttl"], ttl)
                self.assertGreaterEqual(v["ttl"], ttl - TTL_SLACK)

    def test_reverse_names(self):
        _, doc = check_json(self, ["192.0.2.10", "2001:db8::25"], world.config())
        self.assertEqual(doc[0]["reverse_name"], "10.2.0.192.in-addr.arpa")
        self.assertEqual(doc[1]["reverse_name"],
                         "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa")

    def test_many_ptrs(self):
        _, doc = check_json(self, ["192.0.2.15"], world.config())
        v = doc[0]
        self.assertEqual(len(v["ptr"]), 12)
        self.assertEqual(sorted(v["ptr"]), sorted([f"n{i}.example.test" for i in range(11)] + ["mx15.example.test"]))
        # every name was forward-checked: the resolver saw an A query for each
        asked = {name for name, qtype in world.unbound.queries() if qtype == "A"}
        self.assertTrue(set(v["ptr"]) <= asked, set(v["ptr"]) - asked)

    def test_no_ptr_message(self):
        _, doc = check_json(self, ["192.0.2.11"], world.config())
        # the contract's sentence, then who to ask and for what (part two)
        self.assertEqual(doc[0]["message"].split("; ")[0], "IP address 192.0.2.11 does not have a PTR record in DNS")
        self.assertIn("; ask hostmaster@example.test (the zone 2.0.192.in-addr.arpa) for a PTR record for "
                      "11.2.0.192.in-addr.arpa pointing to your mail server's host name", doc[0]["message"])
        self.assertEqual(doc[0]["authority"], {"zone": "2.0.192.in-addr.arpa", "nameservers": ["ns.example.test"],
                                               "contact": "hostmaster@example.test", "classless": False})

    def test_helo_mismatch(self):
        conf = world.config("helo.conf", Watch={"HeloName": "mail.example.test"})
        _, doc = check_json(self, ["192.0.2.10", "192.0.2.17"], conf)
        self.assertEqual((doc[0]["verdict"], doc[0]["reasons"]), ("pass", []))
        self.assertEqual((doc[1]["verdict"], doc[1]["reasons"]), ("warn", ["helo-mismatch"]))
        self.assertIn("mail.example.test", doc[1]["message"])

    def test_ttl_clamps(self):
        conf = world.config("clamp-max.conf", Cache={"MinTTL": "1s", "MaxTTL": "60s"})
        _, doc = check_json(self, ["192.0.2.10", "192.0.2.11"], conf)
        self.assertEqual([v["ttl"] for v in doc], [60, 60])
        conf = world.config("clamp-min.conf", Cache={"MinTTL": "1000s", "MaxTTL": "1d"})
        _, doc = check_json(self, ["192.0.2.10", "192.0.2.11"], conf)
        self.assertEqual([v["ttl"] for v in doc], [1000, 1000])

    def test_timeout(self):
        conf = world.config("silent.conf", servers=f"127.0.0.1:{world.silent.port}", Resolver={"Timeout": "1s"})
        start = time.monotonic()
        p, doc = check_json(self, ["192.0.2.10", "2001:db8::25"], conf)
        elapsed = time.monotonic() - start
        self.assertEqual(p.returncode, 3)
        for v in doc:
            self.assertEqual((v["verdict"], v["reasons"], v["ptr"]), ("temperror", ["timeout"], []))
        self.assertLess(elapsed, 10, "Timeout=1s must bound the wait")

    def test_exit_codes(self):
        conf = world.config()
        cases = [
            (["192.0.2.10", "2001:db8::25"], 0),
            (["192.0.2.10", "192.0.2.16"], 1),
            (["192.0.2.10", "192.0.2.11"], 2),
            (["198.51.100.7"], 3),
            (["192.0.2.16", "198.51.100.7"], 3),        # temperror is worse than warn
            (["198.51.100.7", "192.0.2.11"], 2),        # fail is worse than temperror
        ]
        for addresses, code in cases:
            with self.subTest(addresses=addresses):
                self.assertEqual(run("--check", *addresses, config=conf).returncode, code)
                self.assertEqual(run("--check", "--json", *addresses, config=conf).returncode, code)

    def test_human_output(self):
        p = run("--check", "192.0.2.10", "192.0.2.11", config=world.config())
        self.assertEqual(p.returncode, 2)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0], "2 addresses: 1 pass, 1 fail")
        self.assertEqual(lines[1].split(), ["ADDRESS", "VERDICT", "PTR", "HELO", "RECEIVERS", "DETAIL"])
        self.assertEqual(lines[2].split()[:3], ["192.0.2.10", "pass", "mail.example.test"])
        self.assertEqual(lines[3].split()[:3], ["192.0.2.11", "fail", "-"])
        self.assertIn("does not have a PTR record in DNS", lines[3])
        self.assertNotIn("\033", p.stdout, "no colour when not on a terminal")
        self.assertEqual(p.stderr, "")

    def test_usage_errors(self):
        conf = world.config()
        for args in (["--check", "192.0.2.300"], ["--check", "192.0.2.10", "fe80::1%eth0"],
                     ["--frobnicate"], ["192.0.2.10"], ["--json"]):
            with self.subTest(args=args):
                p = run(*args, config=conf)
                self.assertEqual(p.returncode, 64, p.stderr)
                self.assertEqual(p.stdout, "")
                self.assertTrue(p.stderr.strip())
        # --check alone discovers (#12): here, with no route out of the
        # namespace, there is nothing to learn: UNKNOWN, saying why
        p = run("--check", config=conf)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("No outbound address found", p.stderr)
        p = run("--check", "--json", config=world.config("static.conf", Watch={"Addresses": "192.0.2.10"}))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual([(v["address"], v["sources"]) for v in json.loads(p.stdout)], [("192.0.2.10", ["static"])])
        p = run("--check", "192.0.2.10", "not-an-address", config=conf)
        self.assertIn("'not-an-address'", p.stderr, "the error quotes what is wrong")
        before = len(world.unbound.queries())
        run("--check", "192.0.2.10", "bogus", config=conf)
        self.assertEqual(len(world.unbound.queries()), before, "no query before the arguments are valid")

    def test_version_and_help(self):
        p = run("--version")
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"^ptrwatchd \d+\.\d+\.\d+\n$")
        p = run("--help")
        self.assertEqual(p.returncode, 0)
        for option in ("--config", "--state-dir", "--user", "--check", "--json", "--check-config", "--version"):
            self.assertIn(option, p.stdout)

    def test_check_config(self):
        p = run("--check-config", config=world.config())
        self.assertEqual((p.returncode, p.stdout), (0, "configuration OK\n"))
        bad = os.path.join(world.root, "bad.conf")
        with open(bad, "w") as f:
            f.write("[Cache]\nMinTTL=1s\nMaxTTL=sometimes\n")
        p = run("--check-config", config=bad)
        self.assertEqual(p.returncode, 1)
        self.assertIn(f"{bad}:3: MaxTTL=: 'sometimes' is not a time span", p.stderr)
        p = run("--check-config", config=os.path.join(world.root, "missing.conf"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("missing.conf", p.stderr)
        # a bad configuration makes --check UNKNOWN, not a verdict
        p = run("--check", "192.0.2.10", config=bad)
        self.assertEqual(p.returncode, 3)
        self.assertEqual(p.stdout, "")


class Bulk(unittest.TestCase):
    """One --check call with 2,000 addresses, through a bounded number of
    queries in flight."""

    N = 2000

    def test_bulk(self):
        addrs, _ = dnsworld.bench_addresses(self.N)
        conf = world.config("bulk.conf", Resolver={"MaxInFlight": "64", "Timeout": "5s"})
        before = world.unbound.queries()
        with tempfile.TemporaryFile(mode="w+") as out, tempfile.TemporaryFile(mode="w+") as err:
            start = time.monotonic()
            # through the small maxrss helper: a child forked from Python would
            # report Python's own peak RSS as well
            proc = subprocess.run([MAXRSS, PTRWATCHD, "--config", conf, "--check", "--json"] + addrs,
                                  stdout=out, stderr=err, timeout=120)
            elapsed = time.monotonic() - start
            err.seek(0)
            stderr = err.read()
            assert_no_sanitizer_report(stderr)
            self.assertEqual(proc.returncode, 0, stderr)
            maxrss = int(re.search(r"^maxrss: (\d+)$", stderr, re.M).group(1))
            out.seek(0)
            doc = json.load(out)
        self.assertEqual(len(doc), self.N)
        self.assertEqual({v["verdict"] for v in doc}, {"pass"})
        self.assertEqual([v["address"] for v in doc], addrs)
        after = world.unbound.queries()[len(before):]
        ptr = sum(1 for _, t in after if t == "PTR")
        a = sum(1 for _, t in after if t == "A")
        self.assertEqual((ptr, a), (self.N, self.N), "one PTR and one A query per address, no more")
        print(f"\nbulk: {self.N} addresses in {elapsed:.2f} s, peak RSS {maxrss / 1024:.1f} MiB, "
              f"{ptr + a} queries", file=sys.stderr)


def setUpModule():
    global world
    world = dnsworld.DnsWorld(bench=(Bulk.N, 0))
    world.__enter__()


def tearDownModule():
    world.stop()


if __name__ == "__main__":
    dnsworld.isolate()
    unittest.main(verbosity=2)
