#!/usr/bin/python3
"""ptrwatch, the client, against the real ptrwatchd on a private system bus
and the real DNS servers, in private network and mount namespaces."""

import json
import os
import pty
import re
import select
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

PTRWATCH = os.environ.get("PTRWATCH", "ptrwatch")
WATCHED = ["192.0.2.10", "192.0.2.11", "192.0.2.30", "2001:db8::25"]
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
world = bus = daemon = None


def run(*args, env=None, bus_address=None, timeout=60):
    e = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus_address or bus.address)
    e.pop("NO_COLOR", None)
    e.update(env or {})
    p = subprocess.run([PTRWATCH] + list(args), capture_output=True, text=True, env=e, timeout=timeout)
    if "Sanitizer" in p.stderr or "runtime error:" in p.stderr:
        raise AssertionError("sanitizer report:\n" + p.stderr)
    return p


def run_on_tty(*args, env=None):
    """Run with stdout on a pseudo-terminal; return what it printed there."""
    master, slave = pty.openpty()
    e = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus.address, TERM="xterm")
    e.pop("NO_COLOR", None)
    e.update(env or {})
    p = subprocess.Popen([PTRWATCH] + list(args), stdout=slave, stderr=subprocess.DEVNULL, env=e)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:     # EIO: the other side is closed
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    p.wait(30)
    return out.decode()


class Status(unittest.TestCase):
    def test_table(self):
        p = run("status")
        self.assertEqual(p.returncode, 2, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0], "4 addresses: 3 pass, 1 fail")
        self.assertEqual(lines[1].split(), ["ADDRESS", "VERDICT", "PTR", "HELO", "RECEIVERS", "DETAIL"])
        rows = {l.split()[0]: l.split() for l in lines[2:6]}
        self.assertEqual(set(rows), set(WATCHED))
        self.assertEqual(rows["192.0.2.10"][1:3], ["pass", "mail.example.test"])
        self.assertEqual(rows["192.0.2.11"][1:3], ["fail", "-"])
        self.assertTrue(any(l.startswith("Last refresh: ") for l in lines))
        self.assertTrue(any(l.startswith("Next refresh: ") for l in lines))
        self.assertEqual(p.stderr, "")
        self.assertEqual(run("status").stdout.splitlines()[:6], lines[:6], "the default verb is status")

    def test_no_legend(self):
        p = run("--no-legend", "status")
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), 4)
        self.assertEqual(sorted(l.split()[0] for l in lines), sorted(WATCHED))

    def test_json_matches_the_bus_field_by_field(self):
        p = run("--json", "status")
        self.assertEqual(p.returncode, 2)
        doc = json.loads(p.stdout)
        self.assertEqual(set(doc), {"summary", "last_refresh", "next_refresh", "notes", "verdicts"})
        self.assertEqual(doc["summary"], "fail")
        self.assertRegex(doc["last_refresh"], RFC3339)
        self.assertRegex(doc["next_refresh"], RFC3339)
        bus_verdicts = {v["address"]: v for v in dw.Client(bus).verdicts()}
        self.assertEqual(len(doc["verdicts"]), 4)
        for v in doc["verdicts"]:
            b = bus_verdicts[v["address"]]
            for key in ("address", "reverse_name", "verdict", "reasons", "ptr", "confirmed", "helo", "sources", "receivers", "authority", "message",
                        "ttl", "stale", "watched"):
                # D-Bus has no null: a pass's authority is an empty a{sv} there
                self.assertEqual(v[key], b[key] if key != "authority" or b[key] else None, key)
            for key in ("checked_at", "expires_at"):
                self.assertEqual(v[key], time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(b[key] // 10**6)))

    def test_nagios(self):
        p = run("--nagios")
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stdout, "PTRWATCH CRITICAL - 4 addresses: 3 pass, 1 fail; 192.0.2.11 fail (no-ptr)"
                                   " | pass=3 warn=0 fail=1 temperror=0\n")

    def test_problems_only(self):
        p = run("status", "--problems")
        self.assertEqual(p.returncode, 2, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0], "1 address: 1 fail")
        self.assertEqual([l.split()[0] for l in lines[2:3]], ["192.0.2.11"])
        self.assertFalse(any(a in p.stdout for a in ("192.0.2.10", "192.0.2.30", "2001:db8::25")))
        doc = json.loads(run("--json", "status", "--problems").stdout)
        self.assertEqual(doc["summary"], "fail")
        self.assertEqual([v["address"] for v in doc["verdicts"]], ["192.0.2.11"])
        # the filtering is the daemon's: a small reply, readable by anyone
        total, page = dw.Client(bus).call("ListVerdicts", (0, 100, 1), "(ttt)")
        self.assertEqual((total, [v["address"] for v in page]), (1, ["192.0.2.11"]))
        r = dw.as_nobody(bus, "print(json.dumps(call('ListVerdicts', GLib.Variant('(ttt)', (0, 100, 1)))))")
        self.assertTrue(r["ok"], r)
        self.assertEqual([v["address"] for v in r["value"][1]], ["192.0.2.11"])

    def test_list_verdicts_pages(self):
        c = dw.Client(bus)
        everything = [v["address"] for v in c.verdicts()]
        pages = []
        for offset in range(0, 5):
            total, page = c.call("ListVerdicts", (offset, 1, 0), "(ttt)")
            self.assertEqual(total, 4)
            pages += [v["address"] for v in page]
        self.assertEqual(pages, everything)
        self.assertEqual(c.call("ListVerdicts", (2, 100, 0), "(ttt)")[1], c.verdicts()[2:])
        with self.assertRaises(Exception) as e:
            c.call("ListVerdicts", (0, 1, 2), "(ttt)")
        self.assertEqual(dw.error_name(e.exception), "org.freedesktop.DBus.Error.InvalidArgs")

    def test_refresh_then_status(self):
        p = run("refresh")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertEqual(p.stdout.splitlines()[0], "4 addresses: 3 pass, 1 fail")


class Check(unittest.TestCase):
    def test_exit_codes(self):
        for args, code in ((["192.0.2.10", "2001:db8::25"], 0), (["192.0.2.10", "192.0.2.16"], 1),
                           (["192.0.2.16", "192.0.2.13"], 2), (["198.51.100.7"], 3),
                           (["198.51.100.7", "192.0.2.11"], 2)):
            with self.subTest(args=args):
                for mode in ([], ["--json"], ["--nagios"]):
                    self.assertEqual(run(*mode, "check", *args).returncode, code, mode)

    def test_json_array_in_argument_order(self):
        p = run("--json", "check", "192.0.2.16", "192.0.2.10")
        doc = json.loads(p.stdout)
        self.assertEqual([v["address"] for v in doc], ["192.0.2.16", "192.0.2.10"])
        self.assertEqual((doc[0]["verdict"], doc[0]["reasons"], doc[0]["watched"]), ("warn", ["generic-ptr"], False))
        self.assertEqual((doc[1]["verdict"], doc[1]["watched"]), ("pass", True))

    def test_nagios_warning(self):
        p = run("--nagios", "check", "192.0.2.16", "192.0.2.10")
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stdout, r"^PTRWATCH WARNING - 2 addresses: 1 pass, 1 warn; 192\.0\.2\.16 warn "
                                   r"\(generic-ptr\) \| pass=1 warn=1 fail=0 temperror=0\n$")

    def test_usage_errors(self):
        before = len(world.unbound.queries())
        for args in (["check", "192.0.2.300"], ["check"], ["--frobnicate"], ["frobnicate"], ["status", "x"],
                     ["--force", "status"], ["--timeout", "soon"], ["--json", "--nagios"]):
            with self.subTest(args=args):
                p = run(*args)
                self.assertEqual(p.returncode, 64, p.stderr)
                self.assertEqual(p.stdout, "", "stdout stays clean")
                self.assertTrue(p.stderr.strip())
        self.assertIn("'192.0.2.300'", run("check", "192.0.2.300").stderr)
        self.assertEqual(len(world.unbound.queries()), before)

    def test_help_and_version(self):
        p = run("--help")
        self.assertEqual(p.returncode, 0)
        self.assertLessEqual(len(p.stdout.splitlines()), 24, "fits one screen")
        for word in ("status", "check", "refresh", "monitor", "--json", "--nagios", "--force", "--timeout"):
            self.assertIn(word, p.stdout)
        self.assertRegex(run("--version").stdout, r"^ptrwatch \d+\.\d+\.\d+\n$")


class Colour(unittest.TestCase):
    def test_colour_only_on_a_terminal_and_never_with_no_color(self):
        self.assertIn("\033[", run_on_tty("status"))
        self.assertNotIn("\033", run_on_tty("status", env={"NO_COLOR": "1"}))
        self.assertNotIn("\033", run("status").stdout)
        self.assertNotIn("\033", run("check", "192.0.2.11").stdout)


class Monitor(unittest.TestCase):
    def read_line(self, proc, deadline=20):
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            r, _, _ = select.select([proc.stdout], [], [], 0.5)
            if r:
                return proc.stdout.readline()
        raise TimeoutError("no line from ptrwatch monitor")

    def test_monitor_prints_changes(self):
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus.address)
        human = subprocess.Popen([PTRWATCH, "monitor"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, env=env)
        js = subprocess.Popen([PTRWATCH, "--json", "monitor"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env)
        def reap():
            for p in (human, js):
                if p.poll() is None:
                    p.kill()
                p.wait()
                p.stdout.close()
                p.stderr.close()
        self.addCleanup(reap)
        self.assertEqual(human.stderr.readline(), "Watching verdict changes; interrupt to stop.\n")
        original = world.primary.zone_text("example.test.zone")
        self.addCleanup(lambda: (world.primary.replace_zone("example.test.zone", original), world.unbound.flush(),
                                 dw.Client(bus).refresh()))
        world.primary.replace_zone("example.test.zone", original.replace(
            "flip30               IN A    192.0.2.30", "flip30               IN A    192.0.2.99"))
        world.unbound.flush()
        self.assertEqual(run("refresh").returncode, 2)

        line = self.read_line(human)
        self.assertRegex(line, r"^\S+Z 192\.0\.2\.30 pass -> fail \(forward-mismatch\)\n$")
        doc = json.loads(self.read_line(js))
        self.assertEqual({k: doc[k] for k in ("address", "old", "new", "reasons")},
                         {"address": "192.0.2.30", "old": "pass", "new": "fail", "reasons": ["forward-mismatch"]})
        self.assertRegex(doc["time"], RFC3339)
        human.send_signal(signal.SIGINT)
        self.assertEqual(human.wait(10), 0, "interrupted: a clean exit")


class Failures(unittest.TestCase):
    def test_daemon_absent(self):
        empty = dw.Bus(tempfile.mkdtemp(dir=world.root)).start()
        self.addCleanup(empty.stop)
        start = time.monotonic()
        p = run("--timeout", "5", "status", bus_address=empty.address)
        self.assertLess(time.monotonic() - start, 5)
        self.assertEqual(p.returncode, 3)
        self.assertEqual(p.stdout, "")
        self.assertIn("ptrwatchd is not running on the system bus — start it with: systemctl start ptrwatchd",
                      p.stderr)

    def test_no_bus(self):
        p = run("status", bus_address="unix:path=/nonexistent/socket")
        self.assertEqual(p.returncode, 3)
        self.assertIn("Cannot connect to the system bus", p.stderr)

    def test_timeout(self):
        daemon.proc.send_signal(signal.SIGSTOP)
        self.addCleanup(daemon.proc.send_signal, signal.SIGCONT)
        start = time.monotonic()
        p = run("--timeout", "1", "status")
        self.assertLess(time.monotonic() - start, 5)
        self.assertEqual(p.returncode, 3)
        self.assertIn("did not answer", p.stderr)

    def test_access_denied_and_rate_limit_explained(self):
        def as_nobody(*args):
            return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", PTRWATCH]
                                  + list(args), capture_output=True, text=True, timeout=60,
                                  env=dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus.address))
        p = as_nobody("refresh")
        self.assertEqual(p.returncode, 3)
        self.assertIn("access denied", p.stderr)
        self.assertIn("root and the ptrwatchd user", p.stderr)
        self.assertEqual(as_nobody("check", "--force", "192.0.2.10").returncode, 3)
        self.assertEqual(as_nobody("status").returncode, 2, "reading is for everyone")
        p = as_nobody("check", *[f"192.0.2.{i}" for i in range(140, 152)])
        self.assertEqual(p.returncode, 3)
        self.assertIn("rate-limited", p.stderr)

    def test_no_getdns_in_the_client(self):
        out = subprocess.run(["readelf", "-d", PTRWATCH], capture_output=True, text=True, check=True).stdout
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", out)
        self.assertTrue(any(n.startswith("libsystemd") for n in needed), needed)
        self.assertFalse([n for n in needed if "getdns" in n or "unbound" in n], needed)


class Explain(unittest.TestCase):
    GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden", "explain-no-ptr.txt")

    @staticmethod
    def masked(text):
        """TTLs count down in the resolver's cache: masked, like times."""
        return re.sub(r"\bttl \d+", "ttl N", text)

    def test_golden_output(self):
        p = run("explain", "192.0.2.11")
        self.assertEqual(p.returncode, 2, p.stderr)      # the verdict's: fail
        if os.environ.get("PTRWATCH_UPDATE_GOLDEN") == "1":
            with open(self.GOLDEN, "w") as f:
                f.write(self.masked(p.stdout))
        with open(self.GOLDEN) as f:
            self.assertEqual(self.masked(p.stdout), f.read())

    def test_json(self):
        p = run("explain", "--json", "192.0.2.10")
        self.assertEqual(p.returncode, 0, p.stderr)
        doc = json.loads(p.stdout)
        self.assertEqual(set(doc), {"verdict", "lookups", "names", "receiver_sources"})
        self.assertEqual(doc["verdict"]["verdict"], "pass")
        self.assertEqual([(l["name"], l["type"], l["status"]) for l in doc["lookups"]],
                         [("10.2.0.192.in-addr.arpa", "PTR", "answer"), ("mail.example.test", "A", "answer")])
        self.assertEqual(doc["names"], [{"name": "mail.example.test", "confirms": True,
                                         "why": "confirms: its A records hold 192.0.2.10"}])
        # each prediction made names its source (no HELO name here: no HELO predictions)
        self.assertLessEqual(set(doc["verdict"]["receivers"]), set(doc["receiver_sources"]))
        self.assertNotIn("postfix-invalid-helo", doc["verdict"]["receivers"])
        self.assertIsNone(doc["verdict"]["authority"])

    def test_usage(self):
        self.assertEqual(run("explain", "192.0.2.300").returncode, 64)
        self.assertEqual(run("explain").returncode, 64)
        self.assertEqual(run("explain", "192.0.2.10", "192.0.2.11").returncode, 64)


def setUpModule():
    global world, bus, daemon
    world = dnsworld.DnsWorld()
    world.__enter__()
    bus = dw.Bus(world.root).start()
    conf = world.config("client.conf", Watch={"Addresses": " ".join(WATCHED), "Discover": "none"},
                        Resolver={"Timeout": "1s"})
    daemon = dw.Daemon(world.root, bus, conf).start()
    dw.wait_for(lambda: all(v["verdict"] != "unknown" for v in dw.Client(bus).verdicts()), "verdicts")


def tearDownModule():
    daemon.stop()
    err = daemon.stderr()
    bus.stop()
    world.stop()
    if "Sanitizer" in err or "runtime error:" in err:
        raise AssertionError("sanitizer report from ptrwatchd:\n" + err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
