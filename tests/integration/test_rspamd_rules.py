#!/usr/bin/python3
"""Rspamd predicted from its own hfilter (#24), against Debian's Rspamd 3.4
itself: the corpus of test_sa_rules.py (generic and plain PTR names, HELO
names), each checked by ptrwatchd against a scripted DNS server, each
handed to a real rspamd (started here on loopback, from Debian's
configuration with our worker, DNS and log settings in a temporary
LOCAL_CONFDIR) as Postfix's milter hands it over: the client address, the
HELO name, and the host name only when it forward-confirms ("unknown"
otherwise, which Rspamd drops). Rspamd's HFILTER_HOSTNAME_* and
HFILTER_HELO_* symbols must equal the predicted ones, with their weights.
rspamd asks the same scripted DNS server (check_host() looks the HELO up)."""

import atexit
import ipaddress
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dnsworld  # noqa: E402

if __name__ == "__main__":
    dnsworld.isolate(mount=True)

import scriptdns as sd  # noqa: E402
import test_sa_rules  # noqa: E402
from test_sa_rules import GENERIC, HELOS, PLAIN, check, octets  # noqa: E402

root = dns = rspamd = port = None

LOCAL = {
    "worker-normal.inc": 'bind_socket = "127.0.0.1:{port}";\ncount = 1;\n',
    "worker-controller.inc": 'bind_socket = "127.0.0.1:{control}";\n',
    "worker-proxy.inc": "enabled = false;\n",
    "worker-fuzzy.inc": "enabled = false;\n",
    "logging.inc": 'type = "file";\nfilename = "{root}/rspamd.log";\nlevel = "error";\n',
    "options.inc": 'dns {{\n  nameserver = ["127.0.0.1:{dns}"];\n  timeout = 1s;\n  retransmits = 1;\n}}\n',
}


def start_rspamd():
    global rspamd, port
    conf = os.path.join(root, "rspamd")
    for d in ("local.d", "db", "run", "log"):
        os.makedirs(os.path.join(conf, d), exist_ok=True)
    port, control = dnsworld.free_port(), dnsworld.free_port()
    for name, text in LOCAL.items():
        with open(os.path.join(conf, "local.d", name), "w") as f:
            f.write(text.format(port=port, control=control, root=root, dns=dns.port))
    rspamd = subprocess.Popen(["rspamd", "-f", "-i", "-u", "root", "-g", "root", "-c", "/etc/rspamd/rspamd.conf",
                               f"--var=LOCAL_CONFDIR={conf}", f"--var=DBDIR={conf}/db", f"--var=RUNDIR={conf}/run",
                               f"--var=LOGDIR={conf}/log"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if rspamd.poll() is not None:
            raise AssertionError(f"rspamd exited with {rspamd.returncode}")
        if dnsworld.tcp_listening(port):
            return
        time.sleep(0.2)
    raise AssertionError("rspamd did not listen within 60 s")


def stop_rspamd():
    if rspamd and rspamd.poll() is None:
        os.killpg(rspamd.pid, signal.SIGTERM)
        try:
            rspamd.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(rspamd.pid, signal.SIGKILL)
            rspamd.wait()


MESSAGE = (b"From: sender@example.test\r\nTo: root@receiver.test\r\nSubject: test\r\n"
           b"Message-ID: <a.b.c.d@example.test>\r\nDate: Mon, 30 Nov 2026 00:00:00 +0000\r\n\r\nhello\r\n")


def symbols(ip, hostname, helo):
    """What Rspamd's HTTP protocol gets from Postfix's milter: IP, Helo,
    Hostname (left out for "unknown")."""
    headers = {"IP": ip, "Helo": helo}
    if hostname:
        headers["Hostname"] = hostname
    req = urllib.request.Request(f"http://127.0.0.1:{port}/checkv2", data=MESSAGE, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=60) as r:
        result = json.loads(r.read())
    return {name: s["score"] for name, s in result["symbols"].items()
            if name.startswith(("HFILTER_HOSTNAME_", "HFILTER_HELO_"))}


def write_config(name, watch):
    return test_sa_rules.write_config(name, dns, watch)


def pair(address, name):
    rev = sd.reverse_name(address)
    dns.set(rev, sd.PTR, sd.Reply(answer=[sd.ptr(rev, 600, name)]))
    dns.set(name, sd.A, sd.Reply(answer=[sd.a(name, 600, address)]))


class Corpus(unittest.TestCase):
    def run_cases(self, cases, watch, addresses):
        verdicts, _ = check(write_config(f"rs{len(cases)}.conf", watch), *addresses)
        got, want = {}, {}
        for ip, _, helo in cases:
            # the host name Postfix passes: the first PTR name, when it confirms
            v = verdicts[ip]
            hostname = v["ptr"][0] if v["ptr"] and v["ptr"][0] in v["confirmed"] else None
            live = symbols(ip, hostname, helo)
            rs = v["receivers"]["rspamd"]
            self.assertEqual(rs["basis"], "rules", rs)
            mine = [s for s in rs["symbols"] if s.startswith(("HFILTER_HOSTNAME_", "HFILTER_HELO_"))]
            want[(ip, helo)] = sorted(live)
            got[(ip, helo)] = sorted(mine)
            if sorted(mine) == sorted(live):
                # the weights, as rspamd itself scores them (RDNS_NONE, once_received's, is 1.0)
                others = 1.0 if "RDNS_NONE" in rs["symbols"] else 0.0
                self.assertAlmostEqual(rs["score"], sum(live.values()) + others, places=3, msg=(ip, helo))
        differ = {k: (got[k], want[k]) for k in want if got[k] != want[k]}
        self.assertFalse(differ, f"{len(differ)} of {len(want)} differ (predicted, Rspamd): {differ}")
        return want

    def test_ptr_names(self):
        net = ipaddress.ip_network("198.18.0.0/15")
        names = [t.format(**octets(str(net[3000 + 37 * i]))).lower() for i, t in enumerate(GENERIC * 4)] + PLAIN
        cases = []
        for i, name in enumerate(names):
            address = str(net[3000 + 37 * i])
            pair(address, name)
            cases.append((address, name, "mail.example.org"))
        live = self.run_cases(cases, {"HeloName": "mail.example.org"}, [c[0] for c in cases])
        hosts = [s for items in live.values() for s in items if s.startswith("HFILTER_HOSTNAME_")]
        self.assertGreater(len(hosts), 30, "the corpus reaches hfilter's host name maps")
        self.assertGreater(sum(1 for items in live.values() if not items), 30, "and not every name does")

    def test_helo_names(self):
        net = ipaddress.ip_network("198.19.0.0/16")
        cases, statics = [], []
        for i, helo in enumerate(HELOS):
            address = str(net[512 + i])
            name = f"mail{i}.example.org"
            pair(address, name)
            cases.append((address, name, helo))
            statics.append(f"{address}/{helo}")
        live = self.run_cases(cases, {"Addresses": " ".join(statics)}, [])
        fired = {s for items in live.values() for s in items}
        self.assertTrue({"HFILTER_HELO_5", "HFILTER_HELO_BAREIP"} <= fired, fired)

    def test_unverified_host_name(self):
        rev = sd.reverse_name("198.19.4.1")
        dns.set(rev, sd.PTR, sd.Reply(sd.NXDOMAIN, authority=[sd.soa("19.198.in-addr.arpa", 60, 60)]))
        live = self.run_cases([("198.19.4.1", None, "mail.example.org")], {"HeloName": "mail.example.org"},
                              ["198.19.4.1"])
        self.assertIn("HFILTER_HOSTNAME_UNKNOWN", live[("198.19.4.1", "mail.example.org")])


class Absent(unittest.TestCase):
    def test_estimated_without_the_plugin(self):
        pair("198.19.5.1", "mail.example.org")
        conf = write_config("rs-absent.conf", {"HeloName": "mail.example.org"})
        with open(conf, "a") as f:
            f.write(f"[Receivers]\nRspamdHfilter={root}/nonexistent/hfilter.lua\n")
        verdicts, stderr = check(conf, "198.19.5.1")
        self.assertEqual(verdicts["198.19.5.1"]["receivers"]["rspamd"]["basis"], "estimated")
        self.assertIn(f"No Rspamd hfilter plugin at {root}/nonexistent/hfilter.lua: its predictions are estimated",
                      stderr)


def setUpModule():
    global dns
    dns = sd.ScriptedDns(tcp=True)
    # names the test does not give records have none, for ptrwatchd and
    # rspamd alike (rspamd's own RBL and ASN questions end at once too)
    dns.default = sd.Reply(sd.NXDOMAIN, authority=[sd.soa("invalid", 60, 60)])
    start_rspamd()


def tearDownModule():
    stop_rspamd()
    dns.stop()


if __name__ == "__main__":
    root = test_sa_rules.root = tempfile.mkdtemp(prefix="ptrwatch-rspamd-")
    atexit.register(shutil.rmtree, root, ignore_errors=True)  # nothing left in /tmp
    os.chmod(root, 0o755)
    unittest.main(verbosity=2)
