#!/usr/bin/python3
"""The receivers' predictions (#13) against the real receivers: a private
Postfix (Debian's, 3.7) with one smtpd listener per restriction, and the
SpamAssassin engine (Debian's, 4.0) on messages whose Received: header that
Postfix wrote, on the test DNS. Never against a copy of our own table.

In private network and mount namespaces: the test addresses live on lo;
the client binds to each and talks to Postfix on loopback; Postfix resolves
through the test unbound on 127.0.0.1:53 (this namespace's own resolv.conf,
bind-mounted over /etc/resolv.conf, which no test reads otherwise)."""

import concurrent.futures
import json
import os
import re
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnsworld  # noqa: E402
from test_sa_rules import evaluable_rules  # noqa: E402

if __name__ == "__main__":
    dnsworld.isolate(mount=True)

PTRWATCHD = os.environ.get("PTRWATCHD", "ptrwatchd")
world = postfix = sink = None

# Every kind of answer the zones give: pass, no PTR (NXDOMAIN, NODATA), a
# name that does not resolve back, one that resolves elsewhere, twelve PTRs
# whose first does not confirm (only the answer order decides what Postfix
# sees), an invalid first name, an address literal as the only name, a
# forward lookup that fails, a PTR lookup that fails, IPv6 alike.
ADDRESSES = ["192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.13", "192.0.2.14", "192.0.2.15", "192.0.2.16",
             "192.0.2.18", "192.0.2.19", "192.0.2.20", "192.0.2.22", "192.0.2.23", "198.51.100.7",
             "2001:db8::25", "2001:db8::26", "2001:db8::27", "2001:db8::28"]
# HELO names: resolvable, only an MX, nothing, no dot (resolvable: unbound
# answers localhost), the PTR name in other case with a trailing dot,
# address literals valid and not (#23: the IPv6: tag missing, or on an IPv4
# address), a bare address, an invalid name.
HELOS = ["mail.example.test", "mxonly.example.test", "gone.example.test", "localhost", "Mail.Example.Test.",
         "[192.0.2.10]", "[IPv6:2001:db8::25]", "[192.0.2.300]", "[2001:db8::25]", "[IPv6:192.0.2.10]",
         "192.0.2.10", "198.18.7.7", "bad..name"]
PORTS = {
    "postfix-unknown-client": (2501, "smtpd_client_restrictions=reject_unknown_client_hostname"),
    "postfix-unknown-reverse-client": (2502, "smtpd_client_restrictions=reject_unknown_reverse_client_hostname"),
    "postfix-invalid-helo": (2503, "smtpd_helo_restrictions=reject_invalid_helo_hostname"),
    "postfix-non-fqdn-helo": (2504, "smtpd_helo_restrictions=reject_non_fqdn_helo_hostname"),
    "postfix-unknown-helo": (2505, "smtpd_helo_restrictions=reject_unknown_helo_hostname"),
}
ACCEPT_PORT, SINK_PORT = 2510, 2600


class Postfix:
    """A private Postfix instance: master and its smtpd listeners on loopback."""

    def __init__(self, root):
        self.root = os.path.join(root, "postfix")
        self.conf = os.path.join(self.root, "conf")
        os.makedirs(self.conf)
        os.makedirs(os.path.join(self.root, "queue"))
        data = os.path.join(self.root, "data")
        os.makedirs(data)
        shutil.chown(data, "postfix")
        self.log = os.path.join(self.root, "maillog")
        with open(os.path.join(self.conf, "main.cf"), "w") as f:
            f.write(f"""compatibility_level = 3.6
myhostname = mx.receiver.test
mydestination = localhost
inet_interfaces = 127.0.0.1, [::1]
inet_protocols = all
queue_directory = {self.root}/queue
data_directory = {data}
maillog_file = {self.log}
maillog_file_prefixes = {self.root}
local_recipient_maps =
alias_maps =
alias_database =
mynetworks = 127.0.0.0/8
smtpd_helo_required = yes
smtpd_proxy_options = speed_adjust
""")
        lines = []
        for port, restriction in PORTS.values():
            for host in ("127.0.0.1", "[::1]"):
                lines.append(f"{host}:{port} inet n - n - - smtpd -o {restriction}")
        for host in ("127.0.0.1", "[::1]"):
            lines.append(f"{host}:{ACCEPT_PORT} inet n - n - - smtpd -o smtpd_proxy_filter=127.0.0.1:{SINK_PORT}")
        # as Debian's master.cf has them (cleanup and qmgr public), unchrooted
        for name, private, maxproc, command in [
                ("cleanup", "n", "0", "cleanup"), ("qmgr", "n", "1", "qmgr"), ("rewrite", "-", "-", "trivial-rewrite"),
                ("bounce", "-", "0", "bounce"), ("defer", "-", "0", "bounce"), ("trace", "-", "0", "bounce"),
                ("verify", "-", "1", "verify"), ("proxymap", "-", "-", "proxymap"), ("anvil", "-", "1", "anvil"),
                ("scache", "-", "1", "scache")]:
            lines.append(f"{name} unix {private} - n - {maxproc} {command}")
        lines.append("postlog unix-dgram n - n - 1 postlogd")
        with open(os.path.join(self.conf, "master.cf"), "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self):
        p = subprocess.run(["postfix", "-c", self.conf, "start"], capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError("postfix start failed: " + p.stderr + self.maillog())
        dnsworld.wait_until(lambda: dnsworld.tcp_listening(PORTS["postfix-unknown-client"][0]), "postfix listening")
        return self

    def stop(self):
        subprocess.run(["postfix", "-c", self.conf, "stop"], capture_output=True)

    def maillog(self):
        try:
            with open(self.log) as f:
                return f.read()
        except OSError:
            return ""


class Sink(threading.Thread):
    """Postfix's smtpd_proxy_filter: takes each message as smtpd passes it on,
    with the Received: header smtpd wrote."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", SINK_PORT))
        self.sock.listen(8)
        self.messages = []
        self.start()

    def run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn, conn.makefile("rwb") as f:
                self.session(f)

    def session(self, f):
        f.write(b"220 sink\r\n")
        f.flush()
        while True:
            line = f.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb == b"DATA":
                f.write(b"354 go\r\n")
                f.flush()
                data = b""
                while (l := f.readline()) not in (b".\r\n", b""):
                    data += l
                self.messages.append(data.decode(errors="replace"))
                f.write(b"250 2.0.0 taken\r\n")
            elif verb == b"QUIT":
                f.write(b"221 bye\r\n")
                f.flush()
                return
            elif verb == b"EHLO":
                f.write(b"250-sink\r\n250 8BITMIME\r\n")
            else:
                f.write(b"250 2.0.0 ok\r\n")
            f.flush()


def smtp(address, port, helo, message=None):
    """One session from address: the reply to RCPT (or to the message)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    s = smtplib.SMTP(timeout=30)
    s.source_address = (address, 0)
    s.connect(host, port)
    try:
        s.putcmd("EHLO", helo)      # as it is: smtplib would refuse an odd name
        s.getreply()
        s.mail("sender@example.test")
        code, text = s.rcpt("root@localhost")
        if message is not None and code == 250:
            code, text = s.data(message)
        return code, text.decode().replace("\n", " ")
    finally:
        s.close()


def predictions(helo):
    """ptrwatchd --check of every address with this HELO name: address → receivers."""
    conf = world.config(f"r-{abs(hash(helo))}.conf", Watch={
        "Discover": "none", "Addresses": " ".join(f"{a}/{helo}" for a in ADDRESSES)})
    p = subprocess.run([PTRWATCHD, "--config", conf, "--check", "--json"], capture_output=True, text=True,
                       timeout=120)
    if "Sanitizer" in p.stderr or "runtime error:" in p.stderr:
        raise AssertionError("sanitizer report:\n" + p.stderr)
    return {v["address"]: v for v in json.loads(p.stdout)}


def reply_of(prediction):
    """What a prediction says the receiver answers: (code, text) or accept."""
    if prediction["action"] == "accept":
        return "accept"
    code, _, text = prediction["reply"].partition(" ")
    return int(code), text


def observed(code, text):
    return "accept" if code == 250 else (code, text)


class Postfix_(unittest.TestCase):
    maxDiff = None

    def test_client_restrictions(self):
        """The two client-name restrictions, every address: only the first
        PTR the resolver returns counts."""
        got, want = {}, {}
        v = predictions("mail.example.test")
        for a in ADDRESSES:
            for key in ("postfix-unknown-client", "postfix-unknown-reverse-client"):
                want[(a, key)] = reply_of(v[a]["receivers"][key])
                got[(a, key)] = observed(*smtp(a, PORTS[key][0], "mail.example.test"))
        self.assertEqual(got, want)
        # the multiple-PTR case: we pass (a later name confirms), Postfix does not
        self.assertEqual(v["192.0.2.15"]["verdict"], "warn")
        self.assertEqual(got[("192.0.2.15", "postfix-unknown-client")][0], 450)
        # distinct outcomes were covered
        self.assertEqual({w if w == "accept" else w[0] for w in want.values()}, {"accept", 450})

    def test_helo_restrictions(self):
        got, want = {}, {}
        for helo in HELOS:
            v = predictions(helo)["192.0.2.10"]["receivers"]
            for key in ("postfix-invalid-helo", "postfix-non-fqdn-helo", "postfix-unknown-helo"):
                want[(helo, key)] = reply_of(v[key])
                got[(helo, key)] = observed(*smtp("192.0.2.10", PORTS[key][0], helo))
        self.assertEqual(got, want)
        self.assertEqual({w if w == "accept" else w[0] for w in want.values()}, {"accept", 450, 501, 504})


def sa_rules(message):
    """SpamAssassin's rules for the message (local tests only), and the
    set-3 scores of its own rule files."""
    home = tempfile.mkdtemp(prefix="sa-", dir=world.root)
    p = subprocess.run(["spamassassin", "-L", "-t", "-p", os.path.join(home, "user_prefs")], input=message,
                       capture_output=True, text=True, env=dict(os.environ, HOME=home), timeout=120)
    m = re.search(r"^X-Spam-Status: .*?tests=(.*?)\s+autolearn=", p.stdout, re.M | re.S)
    if not m:
        raise AssertionError("no X-Spam-Status:\n" + p.stdout + p.stderr)
    return {t for t in re.split(r"[,\s]+", m.group(1)) if t and t != "none"}


class SpamAssassin(unittest.TestCase):
    def test_rules_on_what_postfix_wrote(self):
        # the rules ptrwatch evaluates (#24), as read from SpamAssassin's
        # files by test_sa_rules.py; others (MSGID_SHORT, …) are not about
        # the relay
        relevant, score = evaluable_rules()
        cases = [(a, "mail.example.test") for a in ADDRESSES] + \
                [("192.0.2.10", h) for h in HELOS if h != "bad..name"] + [("2001:db8::25", "[IPv6:2001:db8::25]")]
        body = "From: sender@example.test\r\nTo: root@localhost\r\nSubject: test\r\n" \
               "Message-ID: <a.b.c.d@example.test>\r\nDate: Mon, 30 Nov 2026 00:00:00 +0000\r\n\r\nhello\r\n"
        preds = {h: predictions(h) for h in {h for _, h in cases}}
        messages = {}
        for a, h in cases:
            before = len(sink.messages)
            code, text = smtp(a, ACCEPT_PORT, h, message=body)
            self.assertEqual(code, 250, (a, h, text, postfix.maillog()[-2000:]))
            messages[(a, h)] = sink.messages[before]
        got, want = {}, {}
        # one SpamAssassin run per message, two at a time
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            hits = dict(zip(messages, pool.map(sa_rules, messages.values())))
        for (a, h), message in messages.items():
            self.assertRegex(message, r"^Received: from ", (a, h))
            got[(a, h)] = sorted(hits[(a, h)] & relevant)
            sa = preds[h][a]["receivers"]["spamassassin"]
            want[(a, h)] = sorted(sa["rules"])
            # the score is the sum of the rules' set-3 scores in SpamAssassin's files
            self.assertAlmostEqual(sa["score"], sum(score(r) for r in sa["rules"]), places=3,
                                   msg=(a, h))
        self.assertEqual(got, want)
        self.assertTrue(any("RDNS_NONE" in r for r in want.values()))
        self.assertTrue(any(not r for r in want.values()))


def setUpModule():
    global world, postfix, sink
    for a in ADDRESSES:
        subprocess.run(["ip", "addr", "add", a + ("/128" if ":" in a else "/32"), "dev", "lo"]
                       + (["nodad"] if ":" in a else []), check=True)
    resolv = tempfile.NamedTemporaryFile("w", delete=False, dir="/run", prefix="resolv-")
    resolv.write("nameserver 127.0.0.1\noptions timeout:2 attempts:1\n")
    resolv.close()
    subprocess.run(["mount", "--bind", resolv.name, "/etc/resolv.conf"], check=True)
    # Answer order matters (Postfix takes the first PTR): no rotation.
    world = dnsworld.DnsWorld(resolver_port=53, unbound_extra=["  rrset-roundrobin: no"])
    world.__enter__()
    os.chmod(world.root, 0o755)         # Postfix's own processes reach their directories
    sink = Sink()
    postfix = Postfix(world.root).start()


def tearDownModule():
    if postfix:
        postfix.stop()
    if sink:
        sink.sock.close()
    world.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
