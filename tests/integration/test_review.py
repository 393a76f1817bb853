#!/usr/bin/python3
"""Regression tests for the engine and cache review (issue #10), against a
scripted DNS server for the odd answers, in private network and mount
namespaces. Each test names the item it covers and fails on the code before
the fix."""

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnsworld  # noqa: E402

if __name__ == "__main__":
    dnsworld.isolate(mount=True)

import daemonworld as dw  # noqa: E402
import scriptdns as sd  # noqa: E402

PTRWATCHD = os.environ.get("PTRWATCHD", "ptrwatchd")
TOP_BIT = 0x80000001
root = bus = None


def write_config(name, dns, watch=None, cache=None, resolver=None):
    sections = {
        "Watch": dict({"Discover": "none"}, **(watch or {})),
        "Resolver": dict({"Servers": f"127.0.0.1:{dns.port}", "Timeout": "500ms"}, **(resolver or {})),
        "Cache": dict({"MinTTL": "7s", "MaxTTL": "1d", "ConfirmDelay": "0"}, **(cache or {})),
    }
    path = os.path.join(root, name)
    with open(path, "w") as f:
        for section, keys in sections.items():
            f.write(f"[{section}]\n" + "".join(f"{k}={v}\n" for k, v in keys.items()))
    return path


def check(conf, *addresses):
    p = subprocess.run([PTRWATCHD, "--config", conf, "--check", "--json", *addresses],
                       capture_output=True, text=True, timeout=60)
    if "Sanitizer" in p.stderr or "runtime error:" in p.stderr:
        raise AssertionError("sanitizer report:\n" + p.stderr)
    return {v["address"]: v for v in json.loads(p.stdout)}


def confirmed_pair(dns, address, name, ttl=600):
    """address has PTR name, and name A address: a pass."""
    dns.set(sd.reverse_name(address), sd.PTR, sd.Reply(answer=[sd.ptr(sd.reverse_name(address), ttl, name)]))
    dns.set(name, sd.A, sd.Reply(answer=[sd.a(name, ttl, address)]))


class NegativeAnswerTtl(unittest.TestCase):
    """Items 1 and 2 (and #14.7's negative TTL with the top bit set)."""

    @classmethod
    def setUpClass(cls):
        cls.dns = sd.ScriptedDns()
        d = cls.dns
        # 1: RFC 2317 CNAME (TTL 60) in front of NXDOMAIN (SOA 3600/3600)
        rev = sd.reverse_name("192.0.2.10")
        child = "10.0/25.2.0.192.in-addr.arpa"
        d.set(rev, sd.PTR, sd.Reply(sd.NXDOMAIN, answer=[sd.cname(rev, 60, child)],
                                    authority=[sd.soa("0/25.2.0.192.in-addr.arpa", 3600, 3600)]))
        # 1: the forward lookup ends in NXDOMAIN after a CNAME of TTL 45
        rev = sd.reverse_name("192.0.2.11")
        d.set(rev, sd.PTR, sd.Reply(answer=[sd.ptr(rev, 600, "mail11.example.test")]))
        d.set("mail11.example.test", sd.A, sd.Reply(sd.NXDOMAIN, answer=[sd.cname("mail11.example.test", 45, "gone.example.test")],
                                                    authority=[sd.soa("example.test", 3600, 3600)]))
        # 1: NODATA after a CNAME keeps working (it did before)
        rev = sd.reverse_name("192.0.2.12")
        d.set(rev, sd.PTR, sd.Reply(answer=[sd.cname(rev, 50, "12.0/25.2.0.192.in-addr.arpa")],
                                    authority=[sd.soa("0/25.2.0.192.in-addr.arpa", 3600, 3600)]))
        # 2: a positive TTL with the top bit set counts as 0 (then MinTTL)
        confirmed_pair(d, "192.0.2.13", "top13.example.test", ttl=TOP_BIT)
        # 2: the top bit in a CNAME's TTL
        rev = sd.reverse_name("192.0.2.14")
        d.set(rev, sd.PTR, sd.Reply(answer=[sd.cname(rev, TOP_BIT, "14.0/25.2.0.192.in-addr.arpa"),
                                            sd.ptr("14.0/25.2.0.192.in-addr.arpa", 600, "cl14.example.test")]))
        d.set("cl14.example.test", sd.A, sd.Reply(answer=[sd.a("cl14.example.test", 600, "192.0.2.14")]))
        # 2 / #14.7: negative TTLs with the top bit set, in the SOA's TTL and in its MINIMUM
        rev = sd.reverse_name("192.0.2.15")
        d.set(rev, sd.PTR, sd.Reply(sd.NXDOMAIN, authority=[sd.soa("2.0.192.in-addr.arpa", TOP_BIT, 3600)]))
        rev = sd.reverse_name("192.0.2.16")
        d.set(rev, sd.PTR, sd.Reply(sd.NXDOMAIN, authority=[sd.soa("2.0.192.in-addr.arpa", 3600, TOP_BIT)]))
        cls.verdicts = check(write_config("ttl.conf", d), *[f"192.0.2.{i}" for i in range(10, 17)])

    @classmethod
    def tearDownClass(cls):
        cls.dns.stop()

    def verdict(self, address, kind, reasons, ttl):
        v = self.verdicts[address]
        self.assertEqual((v["verdict"], v["reasons"], v["ttl"]), (kind, reasons, ttl), v)

    def test_1_cname_before_nxdomain_counts(self):
        self.verdict("192.0.2.10", "fail", ["no-ptr"], 60)

    def test_1_forward_cname_before_nxdomain_counts(self):
        self.verdict("192.0.2.11", "fail", ["forward-missing"], 45)

    def test_1_cname_before_nodata_counts(self):
        self.verdict("192.0.2.12", "fail", ["no-ptr"], 50)

    def test_2_top_bit_ttl_is_zero(self):
        self.verdict("192.0.2.13", "pass", [], 7)

    def test_2_top_bit_cname_ttl_is_zero(self):
        self.verdict("192.0.2.14", "pass", [], 7)

    def test_2_top_bit_negative_ttl_is_zero(self):
        self.verdict("192.0.2.15", "fail", ["no-ptr"], 7)
        self.verdict("192.0.2.16", "fail", ["no-ptr"], 7)


class DaemonTest(unittest.TestCase):
    def setUp(self):
        self.dns = sd.ScriptedDns()
        self.addCleanup(self.dns.stop)

    def start(self, conf, **kw):
        d = dw.Daemon(root, bus, conf, **kw).start()
        self.addCleanup(self._stop, d)
        return d

    def _stop(self, d):
        d.stop()
        err = d.stderr()
        if "Sanitizer" in err or "runtime error:" in err:
            self.fail("sanitizer report:\n" + err)


class AdhocStale(DaemonTest):
    """Item 3: an unwatched stale verdict is served only within the backoff."""

    def test_3_stale_adhoc_verdict_is_checked_again_after_backoff(self):
        address, rev = "192.0.2.40", sd.reverse_name("192.0.2.40")
        confirmed_pair(self.dns, address, "p40.example.test", ttl=1)
        self.start(write_config("adhoc.conf", self.dns, cache={"MinTTL": "1s"}))
        client = dw.Client(bus)
        first = client.check(address)
        self.assertEqual(first["verdict"], "pass")

        # expired, then DNS fails: the live check's temperror keeps the pass, stale
        dw.wait_for(lambda: time.time() * 1e6 > first["expires_at"], "the verdict to expire")
        self.dns.outage = True
        stale = client.check(address)
        self.assertEqual((stale["verdict"], stale["stale"]), ("pass", True), stale)
        asked = self.dns.count(rev, sd.PTR)

        # DNS recovers with other data; within the 30 s backoff the stale
        # verdict is served and nothing is asked
        self.dns.outage = False
        self.dns.set(rev, sd.PTR, sd.Reply(sd.NXDOMAIN, authority=[sd.soa("2.0.192.in-addr.arpa", 600, 600)]))
        again = client.check(address)
        self.assertEqual((again["verdict"], again["stale"]), ("pass", True))
        self.assertEqual(self.dns.count(rev, sd.PTR), asked)

        # after the backoff a Check asks again and reports the new data
        fresh = dw.wait_for(lambda: (lambda v: v if v["verdict"] == "fail" else None)(client.check(address)),
                            "a new answer once the backoff has passed", deadline=45)
        self.assertEqual((fresh["reasons"], fresh["stale"]), (["no-ptr"], False))
        self.assertGreater(self.dns.count(rev, sd.PTR), asked)


class WhoamiOutage(DaemonTest):
    """Items 4 and 5: a custom Whoami= name in mixed case; an outage of every
    whoami source keeps the address found before."""

    def test_4_5_outage_keeps_discovered_address(self):
        address = "192.0.2.41"
        self.dns.set("myip.example.test", sd.A, sd.Reply(answer=[sd.a("myip.example.test", 0, address)]))
        confirmed_pair(self.dns, address, "p41.example.test")
        conf = write_config("whoami.conf", self.dns, watch={
            "Discover": "dns", "Whoami": f"MYIP.Example.TEST/A@127.0.0.1:{self.dns.port}"})
        d = self.start(conf)
        client = dw.Client(bus)
        # 5: the answer's owner name is compared case-insensitively
        dw.wait_for(lambda: client.get("Addresses") == [address], "the whoami address watched")
        dw.wait_for(lambda: any(v["verdict"] == "pass" for v in client.verdicts()), "a pass")

        # 4: every source fails; a refresh keeps the address, served stale
        self.dns.outage = True
        client.refresh()
        self.assertEqual(client.get("Addresses"), [address])
        v = {x["address"]: x for x in client.verdicts()}[address]
        self.assertEqual((v["verdict"], v["stale"]), ("pass", True), v)
        self.assertIn("No whoami source answered over IPv4: still watching 192.0.2.41", d.stderr())

        # an answer replaces it
        self.dns.outage = False
        self.dns.set("myip.example.test", sd.A, sd.Reply(answer=[sd.a("myip.example.test", 0, "192.0.2.42")]))
        confirmed_pair(self.dns, "192.0.2.42", "p42.example.test")
        client.refresh()
        self.assertEqual(client.get("Addresses"), ["192.0.2.42"])


class StateFile(DaemonTest):
    """Item 6: a state file we did not write cannot break the API or stop
    re-checks."""

    def state_dir(self, lines):
        state = tempfile.mkdtemp(prefix="state-", dir=root)
        with open(os.path.join(state, "verdicts"), "w") as f:
            f.write("ptrwatch-state 1\n" + "".join(line + "\n" for line in lines) + f"end {len(lines)}\n")
        return state

    def test_6_invalid_utf8_does_not_break_get_verdicts(self):
        now = int(time.time() * 1e6)
        good = f"192.0.2.43\tpass\t\tp43.example.test\tp43.example.test\t600000000\t{now}\t{now + 600000000}\tok"
        bad = f"192.0.2.44\tpass\t\tp44.example.test\tp44.example.test\t600000000\t{now}\t{now + 600000000}\tbad \\xff byte"
        state = self.state_dir([good, bad])
        confirmed_pair(self.dns, "192.0.2.43", "p43.example.test")
        confirmed_pair(self.dns, "192.0.2.44", "p44.example.test")
        self.start(write_config("utf8.conf", self.dns, watch={"Addresses": "192.0.2.43 192.0.2.44"}), state_dir=state)
        client = dw.Client(bus)
        verdicts = dw.wait_for(lambda: (lambda v: v if all(x["verdict"] == "pass" for x in v) else None)(
            client.verdicts()), "both verdicts")
        self.assertEqual(sorted(v["address"] for v in verdicts), ["192.0.2.43", "192.0.2.44"])
        self.assertTrue(any(n.startswith("verdicts.corrupt-") for n in os.listdir(state)))

    def test_6_far_future_expiry_is_checked_again(self):
        address, rev = "192.0.2.45", sd.reverse_name("192.0.2.45")
        now = int(time.time() * 1e6)
        entry = f"{address}\tpass\t\tp45.example.test\tp45.example.test\t600000000\t{now}\t{2 ** 63}\tok"
        state = self.state_dir([entry])
        self.dns.set(rev, sd.PTR, sd.Reply(sd.NXDOMAIN, authority=[sd.soa("2.0.192.in-addr.arpa", 600, 600)]))
        self.start(write_config("future.conf", self.dns, watch={"Addresses": address}), state_dir=state)
        client = dw.Client(bus)
        v = dw.wait_for(lambda: (lambda v: v if v[0]["verdict"] == "fail" else None)(client.verdicts()),
                        "the loaded verdict re-checked")
        self.assertGreaterEqual(self.dns.count(rev, sd.PTR), 1)
        self.assertLessEqual(v[0]["expires_at"], (time.time() + 86400) * 1e6)


class ConfigBounds(unittest.TestCase):
    """Item 7: --check-config never says OK to what the daemon cannot use."""

    def test_7_submillisecond_timeout_refused(self):
        path = os.path.join(root, "timeout.conf")
        with open(path, "w") as f:
            f.write("[Resolver]\nTimeout=500us\n")
        p = subprocess.run([PTRWATCHD, "--config", path, "--check-config"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 1)
        self.assertIn(f"{path}:2: Timeout=: '500us' is shorter than 1ms", p.stdout + p.stderr)


class NotRegularFiles(DaemonTest):
    """#14.8: a FIFO, a directory or a dangling symlink where a file belongs
    never blocks a start, a reload or --check-config, and is named."""

    def check_config(self, path):
        t = time.monotonic()
        p = subprocess.run([PTRWATCHD, "--config", path, "--check-config"], capture_output=True, text=True,
                           timeout=20)
        self.assertLess(time.monotonic() - t, 5)
        return p

    def test_fifo_as_config_and_dropin(self):
        fifo = os.path.join(root, "fifo.conf")
        os.mkfifo(fifo)
        p = self.check_config(fifo)
        self.assertEqual(p.returncode, 1)
        self.assertIn(f"{fifo}: not a regular file", p.stdout + p.stderr)

        conf = write_config("dropins.conf", self.dns)
        os.makedirs(conf + ".d")
        os.mkfifo(os.path.join(conf + ".d", "50-fifo.conf"))
        p = self.check_config(conf)
        self.assertEqual(p.returncode, 1)
        self.assertIn("50-fifo.conf: not a regular file", p.stdout + p.stderr)

    def test_directory_and_dangling_symlink_dropins_are_skipped(self):
        conf = write_config("skipped.conf", self.dns)
        os.makedirs(os.path.join(conf + ".d", "10-dir.conf"))
        os.symlink("/nonexistent/ptrwatch", os.path.join(conf + ".d", "20-gone.conf"))
        p = self.check_config(conf)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("10-dir.conf: a directory, skipping this drop-in", p.stderr)
        self.assertIn("20-gone.conf: a dangling symlink, skipping this drop-in", p.stderr)

    def test_fifo_state_files_do_not_block(self):
        address = "192.0.2.46"
        confirmed_pair(self.dns, address, "p46.example.test")
        state = tempfile.mkdtemp(prefix="state-", dir=root)
        os.mkfifo(os.path.join(state, "verdicts"))
        os.mkfifo(os.path.join(state, ".verdicts.tmp"))
        conf = write_config("fifo-state.conf", self.dns, watch={"Addresses": address})
        d = self.start(conf, state_dir=state)       # READY=1 within the harness's deadline
        client = dw.Client(bus)
        dw.wait_for(lambda: client.verdicts()[0]["verdict"] == "pass", "a pass")
        # the state was written through neither FIFO: the file is regular now
        dw.wait_for(lambda: os.path.isfile(os.path.join(state, "verdicts")) and
                    not stat_is_fifo(os.path.join(state, "verdicts")), "the state file written")
        self.assertIn("not a regular file", d.stderr())

    def test_fifo_config_on_reload(self):
        address = "192.0.2.47"
        confirmed_pair(self.dns, address, "p47.example.test")
        conf = write_config("reload.conf", self.dns, watch={"Addresses": address})
        d = self.start(conf)
        client = dw.Client(bus)
        os.unlink(conf)
        os.mkfifo(conf)
        d.proc.send_signal(signal.SIGHUP)
        dw.wait_for(lambda: "Not reloading" in d.stderr(), "the reload refused")
        self.assertIn("not a regular file", d.stderr())
        self.assertEqual(client.get("Addresses"), [address])


class Echoes(DaemonTest):
    """#14.9: InvalidArgs quotes a short prefix of a huge argument."""

    def test_huge_argument_short_error(self):
        self.start(write_config("echo.conf", self.dns))
        client = dw.Client(bus)
        with self.assertRaises(Exception) as e:
            client.check("x" * (1 << 20))
        self.assertEqual(dw.error_name(e.exception), "org.freedesktop.DBus.Error.InvalidArgs")
        self.assertLess(len(str(e.exception)), 300)
        self.assertIn("xxxx…", str(e.exception))


class ResolverStale(DaemonTest):
    """#13.4: the resolver still serves an old NXDOMAIN; the zone's own
    server (its NS, asked directly on port 53) already has the PTR: the
    verdict says so, with when the resolver's copy expires, and no alert."""

    ADDRESS = "192.0.2.46"

    def setUp(self):
        super().setUp()
        rev, zone = sd.reverse_name(self.ADDRESS), "2.0.192.in-addr.arpa"
        # the resolver: its cached negative answer, 250 s left
        self.dns.set(rev, sd.PTR, sd.Reply(rcode=sd.NXDOMAIN, authority=[sd.soa(zone, 250, 900)]))
        self.dns.set(zone, sd.NS, sd.Reply(answer=[sd.ns(zone, 600, "ns.zone.test")]))
        self.dns.set("ns.zone.test", sd.A, sd.Reply(answer=[sd.a("ns.zone.test", 600, "127.0.0.1")]))
        # the zone's own server, fixed already
        self.zone = sd.ScriptedDns(port=53)
        self.addCleanup(self.zone.stop)
        self.zone.set(rev, sd.PTR, sd.Reply(answer=[sd.ptr(rev, 600, "p46.example.test")]))

    def test_fixed_zone_old_resolver_copy(self):
        conf = write_config("stale.conf", self.dns)
        t = time.time()
        v = check(conf, self.ADDRESS)[self.ADDRESS]
        self.assertEqual((v["verdict"], v["reasons"]), ("fail", ["no-ptr"]))
        self.assertTrue(v["resolver_stale"], v["message"])
        expires = dw_time(v["resolver_expires_at"])
        self.assertAlmostEqual(expires - t, 250, delta=5)
        self.assertIn("already answers otherwise: the resolver serves an old copy until", v["message"])
        self.assertEqual(self.zone.count(sd.reverse_name(self.ADDRESS), sd.PTR), 1, "asked directly, once")

    def test_no_alert_for_it(self):
        since = journal.mark()
        conf = write_config("stale-d.conf", self.dns, watch={"Addresses": self.ADDRESS})
        self.start(conf)
        client = dw.Client(bus)
        dw.wait_for(lambda: client.verdicts()[0]["verdict"] == "fail", "the fail")
        self.assertTrue(client.verdicts()[0]["resolver_stale"])
        self.assertEqual(journal.matching(since, PTRWATCH_ADDRESS=self.ADDRESS), [])

    def test_same_answer_is_a_plain_fail(self):
        self.zone.set(sd.reverse_name(self.ADDRESS), sd.PTR,
                      sd.Reply(rcode=sd.NXDOMAIN, authority=[sd.soa("2.0.192.in-addr.arpa", 250, 900)]))
        v = check(write_config("same.conf", self.dns), self.ADDRESS)[self.ADDRESS]
        self.assertEqual(v["verdict"], "fail")
        self.assertFalse(v["resolver_stale"])
        self.assertIsNone(v["resolver_expires_at"])


def dw_time(rfc3339):
    import calendar
    return calendar.timegm(time.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ"))


class ConfirmBeforeAlert(DaemonTest):
    """#13.5: a watched pass turning fail is asked again ConfirmDelay= later;
    only a fail that repeats is announced. A recovery goes out at once."""

    ADDRESS = "192.0.2.45"

    def setUp(self):
        super().setUp()
        self.rev = sd.reverse_name(self.ADDRESS)
        confirmed_pair(self.dns, self.ADDRESS, "p45.example.test", ttl=1)
        conf = write_config("confirm.conf", self.dns, watch={"Addresses": self.ADDRESS},
                            cache={"MinTTL": "1s", "ConfirmDelay": "3s"})
        self.d = self.start(conf)
        self.client = dw.Client(bus)
        self.changed = self.client.subscribe("org.ptrwatch.PtrWatch1.Manager", "VerdictChanged")
        dw.wait_for(lambda: self.client.verdicts()[0]["verdict"] == "pass", "a pass")
        self.since = journal.mark()

    def nxdomain(self):
        self.dns.set(self.rev, sd.PTR, sd.Reply(rcode=sd.NXDOMAIN, authority=[sd.soa("2.0.192.in-addr.arpa", 1, 1)]))

    def test_a_fail_that_does_not_repeat_raises_nothing(self):
        before = self.dns.count(self.rev, sd.PTR)
        self.nxdomain()
        # the re-check (its two rounds) sees NXDOMAIN; then the zone is back
        dw.wait_for(lambda: self.dns.count(self.rev, sd.PTR) >= before + 2, "the fail seen")
        t = time.monotonic()
        confirmed_pair(self.dns, self.ADDRESS, "p45.example.test", ttl=1)
        self.assertEqual(self.client.verdicts()[0]["verdict"], "pass", "not reported before it repeats")
        seen = self.dns.count(self.rev, sd.PTR)
        dw.wait_for(lambda: self.dns.count(self.rev, sd.PTR) > seen, "the confirming re-check")
        self.assertGreater(time.monotonic() - t, 1.0, "asked again only after ConfirmDelay=")
        time.sleep(0.5)         # what a wrong announcement would need to arrive: none may
        self.assertEqual(self.client.verdicts()[0]["verdict"], "pass")
        self.assertEqual(journal.matching(self.since, PTRWATCH_ADDRESS=self.ADDRESS), [])
        # the address's first verdict (unknown -> pass) belongs to setUp: its
        # signal may come before or after the subscription, so it is not counted
        self.assertEqual([c for c in self.changed if c[0] == self.ADDRESS and c[1] != "unknown"], [])

    def test_a_fail_that_repeats_is_announced_once(self):
        self.nxdomain()
        t = time.monotonic()
        dw.wait_for(lambda: journal.matching(self.since, PTRWATCH_ADDRESS=self.ADDRESS), "the no-ptr entry")
        self.assertGreater(time.monotonic() - t, 2.5, "not before ConfirmDelay=")
        self.assertEqual(self.client.verdicts()[0]["verdict"], "fail")
        dw.wait_for(lambda: [c for c in self.changed if c[0] == self.ADDRESS], "VerdictChanged")
        # a recovery at once
        mark = journal.mark()
        confirmed_pair(self.dns, self.ADDRESS, "p45.example.test", ttl=1)
        t = time.monotonic()
        dw.wait_for(lambda: journal.matching(mark, PTRWATCH_ADDRESS=self.ADDRESS), "the recovery")
        self.assertLess(time.monotonic() - t, 2.5)
        entries = journal.matching(self.since, PTRWATCH_ADDRESS=self.ADDRESS)
        self.assertEqual([e["PTRWATCH_VERDICT"] for e in entries], ["fail", "pass"])


# ---- #23: the second review ----

def receivers_replies(v):
    return {k: (r["action"], r.get("reply")) for k, r in v["receivers"].items() if k.startswith("postfix-")}


class HeloForms(unittest.TestCase):
    """#23.1 and the bare address: the HELO reasons and every HELO prediction
    as Postfix's smtpd_check.c decides (test_receivers.py asks a live smtpd
    the same)."""

    ADDRESS = "192.0.2.60"

    @classmethod
    def setUpClass(cls):
        cls.dns = sd.ScriptedDns()
        confirmed_pair(cls.dns, cls.ADDRESS, "p60.example.test")

    @classmethod
    def tearDownClass(cls):
        cls.dns.stop()

    def verdict(self, helo):
        conf = write_config(f"helo{abs(hash(helo))}.conf", self.dns, watch={"HeloName": helo})
        return check(conf, self.ADDRESS)[self.ADDRESS]

    def test_1_literal_with_the_wrong_tag_is_invalid(self):
        for helo in ("[2001:db8::25]", "[IPv6:192.0.2.10]"):
            with self.subTest(helo=helo):
                v = self.verdict(helo)
                self.assertEqual((v["verdict"], v["reasons"]), ("warn", ["helo-invalid"]))
                reply = ("reject", f"501 5.5.2 <{helo}>: Helo command rejected: invalid ip address")
                self.assertEqual(receivers_replies(v)["postfix-invalid-helo"], reply)
                self.assertEqual(receivers_replies(v)["postfix-non-fqdn-helo"], reply)
                self.assertEqual(receivers_replies(v)["postfix-unknown-helo"], reply)

    def test_1_literal_with_the_right_tag_passes(self):
        for helo in ("[IPv6:2001:db8::25]", "[192.0.2.10]"):
            with self.subTest(helo=helo):
                v = self.verdict(helo)
                self.assertEqual((v["verdict"], v["reasons"]), ("pass", []))
                self.assertEqual({a for a, _ in receivers_replies(v).values()}, {"accept"})

    def test_bare_address_reasons_agree_with_the_predictions(self):
        """Decided: a bare address is valid for reject_invalid_helo_hostname
        (valid_hostaddr()), but no host name for reject_non_fqdn_helo_hostname
        (504) and "not found" for reject_unknown_helo_hostname (450, without
        a query): the verdict says both, as the predictions do."""
        asked = len(self.dns.asked)
        v = self.verdict("192.0.2.60")
        self.assertEqual((v["verdict"], v["reasons"]), ("warn", ["helo-not-fqdn", "helo-unresolvable"]))
        self.assertEqual(receivers_replies(v), {
            "postfix-unknown-client": ("accept", None),
            "postfix-unknown-reverse-client": ("accept", None),
            "postfix-invalid-helo": ("accept", None),
            "postfix-non-fqdn-helo": ("reject", "504 5.5.2 <192.0.2.60>: Helo command rejected: need "
                                                "fully-qualified hostname"),
            "postfix-unknown-helo": ("tempfail", "450 4.7.1 <192.0.2.60>: Helo command rejected: Host not found"),
        })
        self.assertIn("HELO name 192.0.2.60 is a bare address", v["message"])
        self.assertEqual([q for q in self.dns.asked[asked:] if q[0].lower() == "192.0.2.60"], [], "not looked up")


class CnameChainEnd(DaemonTest):
    """#23.4: PTR -> CNAME 50.0/25.2.0.192.in-addr.arpa -> CNAME
    50.rev.customer.test -> NXDOMAIN: the PTR belongs at the chain's end."""

    ADDRESS = "192.0.2.50"

    def setUp(self):
        super().setUp()
        rev, child, end = sd.reverse_name(self.ADDRESS), "50.0/25.2.0.192.in-addr.arpa", "50.rev.customer.test"
        zone = "rev.customer.test"
        self.dns.set(rev, sd.PTR, sd.Reply(sd.NXDOMAIN, answer=[sd.cname(rev, 60, child), sd.cname(child, 60, end)],
                                           authority=[sd.soa(zone, 300, 300, rname="hostmaster.customer.test")]))
        self.dns.set(zone, sd.NS, sd.Reply(answer=[sd.ns(zone, 600, "ns.customer.test")]))
        self.dns.set("ns.customer.test", sd.A, sd.Reply(answer=[sd.a("ns.customer.test", 600, "127.0.0.1")]))
        self.zone = sd.ScriptedDns(port=53)
        self.addCleanup(self.zone.stop)
        self.zone.set(end, sd.PTR, sd.Reply(sd.NXDOMAIN, authority=[sd.soa(zone, 300, 300)]))

    def test_4_the_request_names_the_last_target(self):
        v = check(write_config("chain.conf", self.dns, watch={"HeloName": "mail.example.test"}),
                  self.ADDRESS)[self.ADDRESS]
        self.assertEqual((v["verdict"], v["reasons"]), ("fail", ["no-ptr"]))
        self.assertEqual(v["authority"]["zone"], "rev.customer.test")
        self.assertIn("for a PTR record for 50.rev.customer.test pointing to mail.example.test", v["message"])
        self.assertNotIn("for a PTR record for 50.0/25", v["message"])
        # the zone's own server is asked the name it serves
        self.assertEqual(self.zone.count("50.rev.customer.test", sd.PTR), 1)
        self.assertEqual(self.zone.count("50.0/25.2.0.192.in-addr.arpa"), 0)


class SecondRoundDiffers(DaemonTest):
    """#23.5 and #23.6: a fail whose second round answers otherwise is a
    temperror: its message quotes the second round's own sentence, and it
    predicts only what rests on the same DNS."""

    ADDRESS = "192.0.2.61"

    def setUp(self):
        super().setUp()
        rev = sd.reverse_name(self.ADDRESS)
        first = sd.Reply(sd.NXDOMAIN, authority=[sd.soa("2.0.192.in-addr.arpa", 300, 300)])
        second = sd.Reply(answer=[sd.ptr(rev, 600, "p61.example.test")])
        self.dns.set("p61.example.test", sd.A, sd.Reply(answer=[sd.a("p61.example.test", 600, "192.0.2.99")]))
        rounds = []

        def answer(query):
            rounds.append(1)
            return [(sd.build(query, first if len(rounds) == 1 else second), False)]
        self.dns.raw[(rev, sd.PTR)] = answer

    def test_5_6_temperror_with_the_second_sentence_and_its_receivers(self):
        v = check(write_config("rounds.conf", self.dns), self.ADDRESS)[self.ADDRESS]
        self.assertEqual(v["verdict"], "temperror")
        self.assertIn("first: IP address 192.0.2.61 does not have a PTR record in DNS, then: ", v["message"])
        self.assertIn("p61.example.test", v["message"].split("then: ", 1)[1])
        self.assertNotIn("then: fail)", v["message"])
        # Gmail, Yahoo and Outlook ask their own resolvers: nothing predicted
        self.assertFalse({"gmail", "yahoo", "outlook"} & set(v["receivers"]), v["receivers"])
        self.assertIn("postfix-unknown-client", v["receivers"])


class NoUsableContact(DaemonTest):
    """Decided: a single-label SOA RNAME ("hostmaster.") is no mail
    address: the zone names no usable contact, and who else to ask is said."""

    ADDRESS = "192.0.2.62"

    def setUp(self):
        super().setUp()
        rev, zone = sd.reverse_name(self.ADDRESS), "2.0.192.in-addr.arpa"
        self.dns.set(rev, sd.PTR, sd.Reply(sd.NXDOMAIN, authority=[sd.soa(zone, 300, 300, rname="hostmaster")]))
        self.dns.set(zone, sd.NS, sd.Reply(answer=[sd.ns(zone, 600, "ns.zone.test")]))
        self.dns.set("ns.zone.test", sd.A, sd.Reply(answer=[sd.a("ns.zone.test", 600, "127.0.0.1")]))
        self.zone = sd.ScriptedDns(port=53)
        self.addCleanup(self.zone.stop)
        self.zone.set(rev, sd.PTR, sd.Reply(sd.NXDOMAIN, authority=[sd.soa(zone, 300, 300, rname="hostmaster")]))

    def test_who_else_to_ask(self):
        v = check(write_config("rname.conf", self.dns), self.ADDRESS)[self.ADDRESS]
        self.assertIsNone(v["authority"]["contact"])
        self.assertIn("ask whoever holds it (the zone 2.0.192.in-addr.arpa)", v["message"])
        self.assertIn("the zone's SOA names no usable contact: ask the operator of its name servers "
                      "ns.zone.test, or the block's holder in the regional registry's whois (whois 192.0.2.62)",
                      v["message"])


class ResolverStaleAlerts(DaemonTest):
    """Decided (#23): a resolver_stale fail raises no alert, so it is not
    what the journal was told: a genuine fail after it with the same
    reasons alerts, and a pass after it is no recovery."""

    ADDRESS = "192.0.2.47"

    def setUp(self):
        super().setUp()
        self.rev, zone = sd.reverse_name(self.ADDRESS), "2.0.192.in-addr.arpa"
        self.nx = sd.Reply(rcode=sd.NXDOMAIN, authority=[sd.soa(zone, 1, 1)])
        self.dns.set(self.rev, sd.PTR, self.nx)
        self.dns.set(zone, sd.NS, sd.Reply(answer=[sd.ns(zone, 600, "ns.zone.test")]))
        self.dns.set("ns.zone.test", sd.A, sd.Reply(answer=[sd.a("ns.zone.test", 600, "127.0.0.1")]))
        self.zone = sd.ScriptedDns(port=53)
        self.addCleanup(self.zone.stop)
        self.zone.set(self.rev, sd.PTR, sd.Reply(answer=[sd.ptr(self.rev, 600, "p47.example.test")]))
        self.since = journal.mark()
        self.start(write_config("stale-alerts.conf", self.dns, watch={"Addresses": self.ADDRESS},
                                cache={"MinTTL": "1s"}))
        self.client = dw.Client(bus)
        dw.wait_for(lambda: self.client.verdicts()[0].get("resolver_stale"), "the resolver_stale fail")
        self.assertEqual(journal.matching(self.since, PTRWATCH_ADDRESS=self.ADDRESS), [])

    def test_a_genuine_fail_after_it_alerts(self):
        # the fix was undone at the zone: now both say NXDOMAIN
        self.zone.set(self.rev, sd.PTR, self.nx)
        dw.wait_for(lambda: journal.matching(self.since, PTRWATCH_ADDRESS=self.ADDRESS), "the no-ptr alert")
        v = self.client.verdicts()[0]
        self.assertEqual((v["verdict"], v["resolver_stale"]), ("fail", False))
        self.assertEqual([e["PTRWATCH_VERDICT"] for e in journal.matching(self.since, PTRWATCH_ADDRESS=self.ADDRESS)],
                         ["fail"])

    def test_a_pass_after_it_is_no_recovery(self):
        confirmed_pair(self.dns, self.ADDRESS, "p47.example.test", ttl=600)
        dw.wait_for(lambda: self.client.verdicts()[0]["verdict"] == "pass", "the pass")
        time.sleep(0.5)         # what a wrong "recovered" entry would need to arrive: none may
        self.assertEqual(journal.matching(self.since, PTRWATCH_ADDRESS=self.ADDRESS), [])


def stat_is_fifo(path):
    import stat
    return stat.S_ISFIFO(os.stat(path).st_mode)


if __name__ == "__main__":
    root = tempfile.mkdtemp(prefix="ptrwatch-review-")
    atexit.register(shutil.rmtree, root, ignore_errors=True)  # nothing left in /tmp
    os.chmod(root, 0o755)
    bus = dw.Bus(root)
    bus.start()
    journal = dw.Journal()
    try:
        unittest.main(verbosity=2)
    finally:
        bus.stop()
        journal.close()
