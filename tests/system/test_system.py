#!/usr/bin/python3
"""The installed system (#22): this tree's Debian packages on a booted
systemd 252, used as a mail administrator uses them.

systemd runs as PID 1 of a container (tests/system/container.py: an
overlay of this machine's / in a tmpfs, a private network, nothing left
afterwards). In it: its own unbound on 127.0.0.1 answering from local data,
then a fresh `apt install` of the package built at a lower version, the
configuration edited and reloaded, node_exporter and a real Prometheus
scraping the metrics with the shipped alerting rules, the journal's catalog,
Discover=postfix with the real postconf and a bind address that appears
later, bus activation, an upgrade to this tree's version, the Cockpit
package, remove and purge. The steps build on each other and run in order."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TESTS, "integration"))
sys.path.insert(0, os.path.join(TESTS, "package"))
import dnsworld  # noqa: E402

if __name__ == "__main__":
    dnsworld.isolate(mount=True)

import debbuild  # noqa: E402
from container import Container, deadline_poll  # noqa: E402

OLD = "0.0.9"                   # the version upgraded from: this tree, built lower
NEW = "0.1.0"                   # debian/changelog's
PROMETHEUS = os.path.join(os.path.dirname(os.environ.get(
    "PROMTOOL", "/var/cache/ptrwatch-tests/prometheus/usr/bin/promtool")), "prometheus")
TEXTFILE = "/var/lib/prometheus/node-exporter/ptrwatch.prom"
CONF = "/etc/ptrwatch/ptrwatchd.conf"
MESSAGE_ID_NO_PTR = "bbbec62c92b8499299cb2d6d1ab7b0fd"         # systemd/ptrwatch.catalog

GOOD = "192.0.2.10"             # PTR mail.example.test, which resolves back
BAD = "192.0.2.66"              # no PTR, until the test fixes it
LATE = "192.0.2.77"
NOBODY = 65534             # Postfix's smtp_bind_address, configured on lo only later

UNBOUND_CONF = """server:
    interface: 127.0.0.1
    port: 53
    do-ip6: no
    do-daemonize: no
    use-syslog: no
    username: ""
    chroot: ""
    pidfile: ""
    directory: "/etc/ptrwatch-test"
    access-control: 127.0.0.0/8 allow
    local-zone: "2.0.192.in-addr.arpa." static
    local-data: "2.0.192.in-addr.arpa. 3600 IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 30"
    local-data: "2.0.192.in-addr.arpa. 3600 IN NS ns.example.test."
    local-data: "10.2.0.192.in-addr.arpa. 3600 IN PTR mail.example.test."
    local-data: "77.2.0.192.in-addr.arpa. 3600 IN PTR mail.example.test."
    local-zone: "example.test." static
    local-data: "example.test. 3600 IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 30"
    local-data: "mail.example.test. 3600 IN A 192.0.2.10"
    local-data: "mail.example.test. 3600 IN A 192.0.2.77"
    local-data: "ns.example.test. 3600 IN A 127.0.0.1"
remote-control:
    control-enable: yes
    control-use-cert: no
    control-interface: /run/ptrwatch-test-unbound.ctl
"""

# 9090, Prometheus's usual port, is cockpit.socket's.
PROMETHEUS_CONF = """global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - /usr/share/doc/ptrwatch/ptrwatch.rules.yml
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:9100']
"""

HTTP_GET = """import sys, urllib.request
print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())"""

c = None
work = None


def setUpModule():
    global c, work
    work = tempfile.mkdtemp(prefix="ptrwatch-system-debs-")
    for version, sub in ((OLD, "old"), (None, "new")):
        os.makedirs(os.path.join(work, sub))
        debbuild.build(os.path.join(work, sub), version, options="nocheck parallel=2")
    c = Container("ptrwatch-sys")
    try:
        c.boot()
        os.makedirs(c.path("/root/debs"))
        for sub in ("old", "new"):
            for deb in os.listdir(os.path.join(work, sub)):
                if deb.endswith(".deb") and "dbgsym" not in deb:
                    shutil.copy(os.path.join(work, sub, deb), c.path("/root/debs"))
        c.write("/etc/ptrwatch-test/unbound.conf", UNBOUND_CONF)
        c.run("systemd-run", "--unit=test-unbound", "--service-type=exec", "unbound", "-d", "-c",
              "/etc/ptrwatch-test/unbound.conf")
        deadline_poll("unbound answering", lambda: c.run(
            "unbound-control", "-c", "/etc/ptrwatch-test/unbound.conf", "status", check=False).returncode == 0, 20)
    except BaseException:
        print(c.journal(), file=sys.stderr)
        c.stop()
        raise


def tearDownModule():
    if c:
        c.stop()
        # nothing of the container may be left on this machine
        leftovers = subprocess.run(["pgrep", "-f", "ptrwatch-sys"], capture_output=True, text=True).stdout
        assert not leftovers.strip(), f"processes of the container are left: {leftovers}"
        assert not os.path.exists(c.top), f"{c.top} is left"
    if work:
        shutil.rmtree(work, ignore_errors=True)


def show(unit, prop):
    return c.run("systemctl", "show", "-P", prop, unit).stdout.strip()


def status_json(user=None):
    p = c.run("ptrwatch", "status", "--json", check=False, user=user)
    if p.returncode not in (0, 1, 2):
        raise AssertionError(f"ptrwatch status: exit {p.returncode}\n{p.stderr}")
    return json.loads(p.stdout)


def verdicts():
    return {v["address"]: v for v in status_json()["verdicts"]}


def set_config(text):
    c.write(CONF, c.read(CONF).split("# --- test ---")[0] + "# --- test ---\n" + text)


def http(url):
    return c.run("python3", "-c", HTTP_GET, url).stdout


def alerts(name):
    q = urllib.parse.quote(f'ALERTS{{alertname="{name}"}}')
    return json.loads(http(f"http://127.0.0.1:9091/api/v1/query?query={q}"))["data"]["result"]


def unbound_control(*args):
    c.run("unbound-control", "-c", "/etc/ptrwatch-test/unbound.conf", *args)


class InstalledSystem(unittest.TestCase):
    def tearDown(self):
        result = self._outcome.result
        if any(t is self for t, _ in result.failures + result.errors):
            print(f"\n--- the container's journal after {self.id()} ---\n{c.journal()}", file=sys.stderr)

    def test_01_fresh_install_runs_as_ptrwatchd(self):
        """#22.1: no ptrwatchd user before; apt install; the service is
        active (running) as ptrwatchd within 15 s. The bus read our policy
        before the postinst made the user: the postinst has it read again."""
        self.assertNotEqual(c.run("getent", "passwd", "ptrwatchd", check=False).returncode, 0,
                            "the user exists before the install")
        c.run("apt-get", "install", "-y", "--no-install-recommends", f"/root/debs/ptrwatch_{OLD}_amd64.deb")
        deadline_poll("ptrwatchd active (running)", lambda: show("ptrwatchd", "ActiveState") == "active"
                      and show("ptrwatchd", "SubState") == "running", 15)
        pid = show("ptrwatchd", "MainPID")
        self.assertEqual(c.run("ps", "-o", "user=", "-p", pid).stdout.strip(), "ptrwatchd")
        self.assertEqual(show("ptrwatchd", "NRestarts"), "0")
        # the daemon owns its name on the system bus
        owner = c.run("busctl", "--system", "status", "org.ptrwatch.PtrWatch1").stdout
        self.assertRegex(owner, rf"(?m)^PID={pid}$")
        self.assertNotIn('Unknown username "ptrwatchd"',
                         c.run("journalctl", "-b", "-u", "dbus", "--no-pager", "--since", "-1min").stdout
                         .split("Reloaded configuration")[-1])

    def test_02_reload_and_status_text_follow_the_configuration(self):
        """#22.3: systemctl reload with a new configuration; the unit's
        status text follows the watched set."""
        self.assertEqual(show("ptrwatchd", "StatusText"), "Watching 0 addresses")
        set_config(f"[Watch]\nAddresses={GOOD} {BAD}\nDiscover=none\nHeloName=mail.example.test\n"
                   "[Resolver]\nServers=127.0.0.1\n"
                   f"[Export]\nPrometheusTextfile={TEXTFILE}\n")
        pid = show("ptrwatchd", "MainPID")
        c.run("systemctl", "reload", "ptrwatchd")
        self.assertEqual(show("ptrwatchd", "MainPID"), pid, "reload restarted the daemon")
        deadline_poll("the status text", lambda: show("ptrwatchd", "StatusText") == "Watching 2 addresses", 15)
        v = deadline_poll("both verdicts", lambda: (lambda v: v if v.get(GOOD, {}).get("verdict") == "pass"
                                                    and v.get(BAD, {}).get("verdict") == "fail" else None)(
                                                        verdicts()), 20)
        self.assertEqual(v[BAD]["reasons"], ["no-ptr"])
        # a bad configuration is refused, the running one kept
        good = c.read(CONF)
        c.write(CONF, good + "\n[Cache]\nMinTTL=forever\n")
        c.run("systemctl", "reload", "ptrwatchd")
        self.assertEqual(show("ptrwatchd", "ActiveState"), "active")
        self.assertEqual(show("ptrwatchd", "MainPID"), pid)
        self.assertEqual(set(verdicts()), {GOOD, BAD})
        c.write(CONF, good)

    def test_03_status_as_root_and_as_nobody(self):
        for user in (None, NOBODY):
            with self.subTest(user=user or "root"):
                p = c.run("ptrwatch", "status", check=False, user=user)
                self.assertEqual(p.returncode, 2, p.stderr)         # the worst verdict is fail
                self.assertRegex(p.stdout, rf"(?m)^{re.escape(BAD)}\s+fail\b")
                self.assertRegex(p.stdout, rf"(?m)^{re.escape(GOOD)}\s+pass\b")

    def test_04_journal_explains_the_alert(self):
        """journalctl -x shows the catalog entry of the no-ptr alert."""
        out = c.run("journalctl", "-x", "-b", "--no-pager", "-u", "ptrwatchd",
                    f"MESSAGE_ID={MESSAGE_ID_NO_PTR}").stdout
        self.assertIn(f"IP address {BAD} does not have a PTR record in DNS", out)
        self.assertIn(f"Subject: IP address {BAD} has no PTR record", out)

    def test_05_metrics_file_is_world_readable_and_node_exporter_serves_it(self):
        """#22.2: the metrics file is written where Debian's node_exporter
        reads, readable by it; no scrape error."""
        st = deadline_poll("the metrics file", lambda: os.path.exists(c.path(TEXTFILE)) and os.stat(c.path(TEXTFILE)),
                           15)
        self.assertEqual(st.st_mode & 0o777, 0o644)
        self.assertEqual(c.run("stat", "-c", "%U", TEXTFILE).stdout.strip(), "ptrwatchd")
        self.assertIn(f'ptrwatch_verdict{{address="{BAD}",verdict="fail"}} 1', c.read(TEXTFILE))
        # the directory is still node_exporter's package's, with one ACL entry more
        directory = os.path.dirname(TEXTFILE)
        self.assertEqual(c.run("stat", "-c", "%U:%G", directory).stdout.strip(), "root:root")
        self.assertIn("user:ptrwatchd:rwx", c.run("getfacl", "-p", directory).stdout.splitlines())
        c.run("systemctl", "start", "prometheus-node-exporter")

        def scraped():
            try:
                text = http("http://127.0.0.1:9100/metrics")
            except AssertionError:
                return None
            return text if "ptrwatch_verdict" in text else None
        text = deadline_poll("node_exporter serving ptrwatch_*", scraped, 30)
        self.assertRegex(text, r"(?m)^node_textfile_scrape_error 0$")
        self.assertIn(f'ptrwatch_verdict{{address="{BAD}",verdict="fail"}} 1', text)

    def test_05b_without_the_write_right_one_warning_names_the_fix(self):
        directory = os.path.dirname(TEXTFILE)
        c.run("setfacl", "-x", "u:ptrwatchd", directory)
        os.unlink(c.path(TEXTFILE))
        c.run("systemctl", "restart", "ptrwatchd")
        pid = show("ptrwatchd", "MainPID")

        def warnings():
            out = c.run("journalctl", "-b", "--no-pager", "-o", "cat", f"_PID={pid}").stdout
            return [line for line in out.splitlines() if line.startswith("Failed to write the metrics")]
        found = deadline_poll("the warning", warnings, 15)
        self.assertIn(f"to {TEXTFILE}: ptrwatchd may not write there", found[0])
        self.assertIn('"dpkg-reconfigure ptrwatch" gives it the right', found[0])
        self.assertFalse(os.path.exists(c.path(TEXTFILE)))
        # what the warning says to do
        c.run("dpkg-reconfigure", "ptrwatch")
        deadline_poll("the metrics file again", lambda: os.path.exists(c.path(TEXTFILE)), 15)
        self.assertEqual(len(warnings()), 1)

    def test_06_prometheus_alerts_and_clears(self):
        """A real Prometheus with the shipped rules: PtrwatchReverseDNSFail
        appears (pending: the rule waits 5 min before firing) and goes away
        once the PTR is fixed."""
        c.write("/etc/ptrwatch-test/prometheus.yml", PROMETHEUS_CONF)
        c.run("systemd-run", "--unit=test-prometheus", "--service-type=exec", PROMETHEUS,
              "--config.file=/etc/ptrwatch-test/prometheus.yml", "--storage.tsdb.path=/var/tmp/prometheus",
              "--web.listen-address=127.0.0.1:9091")
        firing = deadline_poll("ALERTS{alertname=PtrwatchReverseDNSFail}",
                               lambda: self.try_alerts("PtrwatchReverseDNSFail"), 60)
        self.assertEqual({a["metric"]["address"] for a in firing}, {BAD})
        self.assertIn(firing[0]["metric"]["alertstate"], ("pending", "firing"))
        # the administrator has the PTR fixed
        unbound_control("local_data", "66.2.0.192.in-addr.arpa. 3600 IN PTR mail.example.test.")
        unbound_control("local_data", f"mail.example.test. 3600 IN A {BAD}")
        self.assertIn(BAD, c.run("ptrwatch", "refresh").stdout)      # exit 0: everything passes
        self.assertEqual(verdicts()[BAD]["verdict"], "pass")
        deadline_poll("the alert to go away", lambda: self.try_alerts("PtrwatchReverseDNSFail") == [], 60)

    @staticmethod
    def try_alerts(name):
        try:
            return alerts(name)
        except (AssertionError, ValueError, KeyError):
            return None

    def test_07_postfix_bind_address_that_appears_later(self):
        """#22.4: Discover=postfix with the real postconf; smtp_bind_address
        is not configured yet (a note says so); once it is, it is watched
        without any refresh."""
        c.run("postconf", "-e", f"smtp_bind_address = {LATE}", "inet_protocols = ipv4",
              "smtp_helo_name = mail.example.test")
        set_config(f"[Watch]\nAddresses={GOOD} {BAD}\nDiscover=postfix\nHeloName=mail.example.test\n"
                   "[Resolver]\nServers=127.0.0.1\n"
                   f"[Export]\nPrometheusTextfile={TEXTFILE}\n")
        c.run("systemctl", "reload", "ptrwatchd")
        notes = deadline_poll("the note on the bind address", lambda: [
            n for n in status_json().get("notes", []) if LATE in n], 20)
        self.assertIn("not configured on any interface", notes[0])
        self.assertNotIn(LATE, verdicts())
        self.assertEqual(show("ptrwatchd", "StatusText"), "Watching 2 addresses")
        c.run("ip", "address", "add", f"{LATE}/32", "dev", "lo")
        v = deadline_poll(f"{LATE} watched", lambda: verdicts().get(LATE), 20)
        self.assertIn("postfix:smtp", v["sources"])
        self.assertEqual(v["helo"], ["mail.example.test"])
        deadline_poll("the status text", lambda: show("ptrwatchd", "StatusText") == "Watching 3 addresses", 10)

    def test_08_bus_activation_after_stop(self):
        c.run("systemctl", "stop", "ptrwatchd")
        self.assertEqual(show("ptrwatchd", "ActiveState"), "inactive")
        p = c.run("ptrwatch", "status", check=False, user=NOBODY)
        self.assertIn(p.returncode, (0, 1, 2), p.stderr)
        self.assertIn(GOOD, p.stdout)
        self.assertEqual(show("ptrwatchd", "ActiveState"), "active")

    def test_09_security_exposure_in_the_booted_system(self):
        out = c.run("systemd-analyze", "security", "--no-pager", "ptrwatchd.service", check=False).stdout
        m = re.search(r"Overall exposure level for ptrwatchd.service: (\d+\.\d)", out)
        self.assertIsNotNone(m, out[-2000:])
        self.assertLessEqual(float(m.group(1)), 1.1, out[-3000:])

    def test_10_upgrade_keeps_configuration_and_verdicts_and_restarts(self):
        edited = c.read(CONF)
        before = verdicts()
        pid = show("ptrwatchd", "MainPID")
        c.run("apt-get", "install", "-y", "--no-install-recommends", f"/root/debs/ptrwatch_{NEW}_amd64.deb")
        self.assertEqual(c.run("dpkg-query", "-W", "-f=${Version}", "ptrwatch").stdout, NEW)
        self.assertEqual(c.read(CONF), edited)
        deadline_poll("ptrwatchd running again", lambda: show("ptrwatchd", "SubState") == "running", 15)
        self.assertNotEqual(show("ptrwatchd", "MainPID"), pid, "not restarted")
        after = verdicts()
        for address in (GOOD, BAD):
            # loaded from the state file, not checked again: same check time
            self.assertEqual(after[address]["checked_at"], before[address]["checked_at"], address)
            self.assertEqual(after[address]["verdict"], before[address]["verdict"], address)

    def test_11_cockpit_page_installs(self):
        c.run("apt-get", "install", "-y", "--no-install-recommends", f"/root/debs/cockpit-ptrwatch_{NEW}_all.deb")
        self.assertRegex(c.run("cockpit-bridge", "--packages").stdout,
                         r"(?m)^ptrwatch\s+Reverse DNS\s+/usr/share/cockpit/ptrwatch$")

    def test_12_remove_keeps_configuration_and_state(self):
        edited = c.read(CONF)
        c.run("apt-get", "remove", "-y", "cockpit-ptrwatch", "ptrwatch")
        self.assertEqual(c.read(CONF), edited)
        self.assertTrue(os.path.exists(c.path("/var/lib/ptrwatch/verdicts")))
        self.assertFalse(os.path.exists(c.path("/usr/sbin/ptrwatchd")))
        # nothing updates the metrics any more: they go, rather than be served stale
        self.assertFalse(os.path.exists(c.path(TEXTFILE)))
        # and so does ptrwatchd's right to write there
        self.assertNotIn("user:ptrwatchd:rwx",
                         c.run("getfacl", "-p", os.path.dirname(TEXTFILE)).stdout.splitlines())

    def test_13_purge_leaves_nothing(self):
        """#22.5: no process, no /etc/ptrwatch, no /var/lib/ptrwatch, no
        metrics file."""
        c.run("apt-get", "purge", "-y", "ptrwatch")
        for gone in ("/etc/ptrwatch", "/var/lib/ptrwatch", TEXTFILE):
            self.assertFalse(os.path.lexists(c.path(gone)), gone)
        self.assertNotEqual(c.run("pgrep", "-x", "ptrwatchd", check=False).returncode, 0)
        self.assertIn(show("ptrwatchd", "LoadState"), ("not-found", "masked"))


if __name__ == "__main__":
    unittest.main(verbosity=2, failfast=False)
