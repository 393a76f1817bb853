#!/usr/bin/python3
"""Prometheus: `ptrwatch metrics` and the daemon's [Export]
PrometheusTextfile= checked by promtool, served by a real node_exporter
(textfile collector only, on 127.0.0.1 in the test's network namespace), the
file following a verdict change on a running daemon, an unwritable
directory, label escaping; the alerting rules checked and unit-tested by
promtool. DNS from the scripted server: TTLs of a second, data changed at
will."""

import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnsworld  # noqa: E402

if __name__ == "__main__":
    dnsworld.isolate(mount=True)

import daemonworld as dw  # noqa: E402
import scriptdns as sd  # noqa: E402

PTRWATCH = os.environ.get("PTRWATCH", "ptrwatch")
PROMTOOL = os.environ.get("PROMTOOL", "promtool")
NODE_EXPORTER = "/usr/bin/prometheus-node-exporter"
RULES = os.path.join(dw.SOURCE, "prometheus")
root = bus = None


def pair(dns, address, name, ttl=600):
    dns.set(sd.reverse_name(address), sd.PTR, sd.Reply(answer=[sd.ptr(sd.reverse_name(address), ttl, name)]))
    dns.set(name, sd.A, sd.Reply(answer=[sd.a(name, ttl, address)]))


def promtool_check_metrics(text):
    p = subprocess.run([PROMTOOL, "check", "metrics"], input=text, capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def samples(text):
    """{(name, frozenset(labels)): value} of the exposition text."""
    out = {}
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        m = re.match(r'^(\w+)(?:\{(.*)\})? (\S+)$', line)
        assert m, line
        labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        out[(m.group(1), labels)] = m.group(3)
    return out


class Metrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dns = sd.ScriptedDns()
        pair(cls.dns, "192.0.2.10", "mail.example.test")
        rev = sd.reverse_name("192.0.2.11")
        cls.dns.set(rev, sd.PTR, sd.Reply(sd.NXDOMAIN, authority=[sd.soa("2.0.192.in-addr.arpa", 600, 600)]))
        # a PTR name with a quote and a backslash in a label: escaped in label values
        rev = sd.reverse_name("192.0.2.12")
        cls.dns.set(rev, sd.PTR, sd.Reply(answer=[sd.ptr(rev, 600, 'we"ird\\.example.test')]))
        pair(cls.dns, "192.0.2.14", "flip.example.test", ttl=1)
        cls.dir = tempfile.mkdtemp(prefix="textfile-", dir=root)
        cls.textfile = os.path.join(cls.dir, "ptrwatch.prom")
        cls.conf = os.path.join(root, "metrics.conf")
        with open(cls.conf, "w") as f:
            f.write(f"[Watch]\nDiscover=none\nAddresses=192.0.2.10 192.0.2.11 192.0.2.12 192.0.2.14\n"
                    f"HeloName=mail.example.test\n[Resolver]\nServers=127.0.0.1:{cls.dns.port}\nTimeout=500ms\n"
                    f"[Cache]\nMinTTL=1s\nConfirmDelay=0\n[Export]\nPrometheusTextfile={cls.textfile}\n")
        cls.daemon = dw.Daemon(root, bus, cls.conf).start()
        cls.client = dw.Client(bus)
        dw.wait_for(lambda: all(v["verdict"] != "unknown" for v in cls.client.verdicts()), "verdicts")

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        cls.dns.stop()
        err = cls.daemon.stderr()
        assert "Sanitizer" not in err and "runtime error:" not in err, err

    def client_metrics(self):
        p = subprocess.run([PTRWATCH, "metrics"], capture_output=True, text=True,
                           env=dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus.address))
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def file_metrics(self):
        """The file once it holds the verdicts (it is written at start, then
        batched a second after changes)."""
        def ready():
            text = os.path.exists(self.textfile) and open(self.textfile).read()
            return text if text and 'verdict="unknown"} 1' not in text else None
        return dw.wait_for(ready, "the textfile with the verdicts")

    def test_client_output_passes_promtool_and_says_what_it_should(self):
        text = self.client_metrics()
        code, out = promtool_check_metrics(text)
        self.assertEqual(code, 0, out)
        s = samples(text)
        self.assertEqual(s[("ptrwatch_verdict", frozenset({("address", "192.0.2.10"), ("verdict", "pass")}))], "1")
        self.assertEqual(s[("ptrwatch_verdict", frozenset({("address", "192.0.2.10"), ("verdict", "fail")}))], "0")
        self.assertEqual(s[("ptrwatch_verdict", frozenset({("address", "192.0.2.11"), ("verdict", "fail")}))], "1")
        self.assertEqual(s[("ptrwatch_reason", frozenset({("address", "192.0.2.11"), ("reason", "no-ptr")}))], "1")
        self.assertEqual(s[("ptrwatch_ptr_info", frozenset({("address", "192.0.2.10"), ("ptr", "mail.example.test"),
                                                              ("helo", "mail.example.test")}))], "1")
        self.assertEqual(s[("ptrwatch_stale", frozenset({("address", "192.0.2.10")}))], "0")
        self.assertEqual(s[("ptrwatch_build_info", frozenset({("version", "0.1.0")}))], "1")
        # 192.0.2.10 passes; 192.0.2.14 warns (its name is not HeloName)
        self.assertGreaterEqual(int(s[("ptrwatch_checks_total", frozenset({("result", "pass")}))]), 1)
        self.assertGreaterEqual(int(s[("ptrwatch_checks_total", frozenset({("result", "warn")}))]), 1)
        self.assertGreaterEqual(int(s[("ptrwatch_checks_total", frozenset({("result", "fail")}))]), 2)
        v = {x["address"]: x for x in self.client.verdicts()}["192.0.2.10"]
        self.assertEqual(int(s[("ptrwatch_last_check_timestamp_seconds", frozenset({("address", "192.0.2.10")}))]),
                         v["checked_at"] // 10**6)
        # five verdict series per address, HELP and TYPE once per metric, no timestamps
        self.assertEqual(sum(1 for k in s if k[0] == "ptrwatch_verdict"), 4 * 5)
        for name in ("ptrwatch_verdict", "ptrwatch_reason", "ptrwatch_stale", "ptrwatch_last_check_timestamp_seconds",
                     "ptrwatch_expiry_timestamp_seconds", "ptrwatch_ptr_info", "ptrwatch_checks_total",
                     "ptrwatch_build_info"):
            self.assertEqual(text.count(f"# HELP {name} "), 1, name)
            self.assertEqual(text.count(f"# TYPE {name} "), 1, name)
        self.assertIn("# TYPE ptrwatch_checks_total counter", text)
        self.assertTrue(all(len(l.split(" ")) == 2 for l in text.splitlines() if not l.startswith("#")
                            and '"' not in l.rsplit("}", 1)[-1]))

    def test_label_values_escaped(self):
        text = self.client_metrics()
        line = next(l for l in text.splitlines() if l.startswith("ptrwatch_ptr_info") and "192.0.2.12" in l)
        # the name as getdns presents it, we"ird\\.example.test, escaped for Prometheus
        self.assertIn('ptr="we\\"ird\\\\\\\\.example.test"', line)
        self.assertEqual(promtool_check_metrics(text)[0], 0)

    def test_textfile_same_as_client_and_atomic(self):
        text = self.file_metrics()
        self.assertEqual(promtool_check_metrics(text)[0], 0)
        strip = lambda t: {k: v for k, v in samples(t).items() if k[0] != "ptrwatch_checks_total"}
        dw.wait_for(lambda: strip(open(self.textfile).read()) == strip(self.client_metrics()),
                    "the file and the client agreeing")
        self.assertEqual([f for f in os.listdir(self.dir) if f.endswith(".tmp")], [])

    def test_node_exporter_serves_it_and_the_file_follows_a_change(self):
        self.file_metrics()
        port = dnsworld.free_port(kind=__import__("socket").SOCK_STREAM)
        ne = subprocess.Popen([NODE_EXPORTER, f"--web.listen-address=127.0.0.1:{port}", "--collector.disable-defaults",
                               "--collector.textfile", f"--collector.textfile.directory={self.dir}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(dnsworld.stop_process, ne)

        def scrape():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as r:
                    return r.read().decode()
            except OSError:
                return None
        text = dw.wait_for(scrape, "node_exporter listening")
        self.assertIn("node_textfile_scrape_error 0", text)
        self.assertIn('ptrwatch_verdict{address="192.0.2.10",verdict="pass"} 1', text)
        mtime = next(l for l in text.splitlines() if l.startswith("node_textfile_mtime_seconds"))
        # the rules' PtrwatchMetricsStale selects the file by this label
        file_label = re.search(r'file="([^"]+)"', mtime).group(1)
        self.assertRegex(file_label, r"^(.*/)?ptrwatch[^/]*\.prom$")

        # the PTR of 192.0.2.14 goes away: the daemon re-checks at expiry
        # (TTL 1 s) and the file, and so the scrape, follows, with no refresh
        rev = sd.reverse_name("192.0.2.14")
        self.dns.set(rev, sd.PTR, sd.Reply(sd.NXDOMAIN, authority=[sd.soa("2.0.192.in-addr.arpa", 1, 1)]))
        fail = 'ptrwatch_verdict{address="192.0.2.14",verdict="fail"} 1'
        dw.wait_for(lambda: fail in (scrape() or ""), "the scrape showing the change", deadline=30)
        self.assertIn("node_textfile_scrape_error 0", scrape())

    def test_unwritable_directory_warns_once_and_is_retried(self):
        gone = os.path.join(root, "not-yet")
        conf = os.path.join(root, "unwritable.conf")
        with open(conf, "w") as f:
            f.write(f"[Watch]\nDiscover=none\nAddresses=192.0.2.14\n[Resolver]\nServers=127.0.0.1:{self.dns.port}\n"
                    f"[Cache]\nMinTTL=1s\nConfirmDelay=0\n[Export]\nPrometheusTextfile={gone}/ptrwatch.prom\n")
        # the class's daemon, reconfigured (this test runs last)
        shutil.copy(conf, self.conf)
        self.daemon.proc.send_signal(__import__("signal").SIGHUP)
        dw.wait_for(lambda: self.daemon.stderr().count(f"Failed to write the metrics to {gone}/ptrwatch.prom") == 1,
                    "one warning naming the file")
        self.assertIn("No such file or directory", self.daemon.stderr())
        # the directory appears: the next change (192.0.2.14 lives for 1 s) writes it
        os.makedirs(gone)
        dw.wait_for(lambda: os.path.exists(os.path.join(gone, "ptrwatch.prom")), "the retry at the next change",
                    deadline=30)
        self.assertEqual(self.daemon.stderr().count(f"Failed to write the metrics to {gone}/ptrwatch.prom"), 1)


class Rules(unittest.TestCase):
    def test_check_rules(self):
        p = subprocess.run([PROMTOOL, "check", "rules", os.path.join(RULES, "ptrwatch.rules.yml")],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("SUCCESS: 4 rules found", p.stdout)

    def test_unit_tests_of_the_rules(self):
        p = subprocess.run([PROMTOOL, "test", "rules", "ptrwatch.rules.test.yml"], cwd=RULES,
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("SUCCESS", p.stdout)

    def test_rule_tests_can_fail(self):
        """The rule tests assert something: with the fail rule's threshold
        changed they must fail."""
        tmp = tempfile.mkdtemp(dir=root)
        for f in ("ptrwatch.rules.yml", "ptrwatch.rules.test.yml"):
            shutil.copy(os.path.join(RULES, f), tmp)
        path = os.path.join(tmp, "ptrwatch.rules.yml")
        text = open(path).read().replace('ptrwatch_verdict{verdict="fail"} == 1', 'ptrwatch_verdict{verdict="fail"} == 2')
        open(path, "w").write(text)
        p = subprocess.run([PROMTOOL, "test", "rules", "ptrwatch.rules.test.yml"], cwd=tmp, capture_output=True, text=True)
        self.assertNotEqual(p.returncode, 0)


if __name__ == "__main__":
    root = tempfile.mkdtemp(prefix="ptrwatch-prometheus-")
    atexit.register(shutil.rmtree, root, ignore_errors=True)  # nothing left in /tmp
    os.chmod(root, 0o755)
    bus = dw.Bus(root).start()
    try:
        unittest.main(verbosity=2)
    finally:
        bus.stop()
