#!/usr/bin/python3
"""SpamAssassin predicted from its own rule files (#24), against its own
engine: a corpus of generic and non-generic PTR names and of HELO names,
each checked by ptrwatchd (PTR and A from a scripted DNS server), each made
into the message Postfix would pass on (its Received: header as Postfix
writes it) and handed to Debian's Mail::SpamAssassin, loaded once
(sa_check.pl). The rules SpamAssassin fires that ptrwatch evaluates — every
header rule on the relay pseudo-headers or Received:, the metas over them,
the evals ALL_TRUSTED, NO_RELAYS and RCVD_HELO_IP_MISMATCH; this set is read
here from SpamAssassin's files, not from ptrwatch — must equal the
predicted ones, and the predicted score their set-3 scores' sum. With the
rule files absent, the prediction says it is estimated."""

import atexit
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dnsworld  # noqa: E402

if __name__ == "__main__":
    dnsworld.isolate(mount=True)

import scriptdns as sd  # noqa: E402

PTRWATCHD = os.environ.get("PTRWATCHD", "ptrwatchd")
SA_DIR = "/usr/share/spamassassin"
SITE_DIR = "/etc/spamassassin"
RELAY_HEADERS = {"X-Spam-Relays-Untrusted", "X-Spam-Relays-External", "X-Spam-Relays-Trusted",
                 "X-Spam-Relays-Internal", "Received"}
KNOWN_EVALS = {"ALL_TRUSTED", "NO_RELAYS", "RCVD_HELO_IP_MISMATCH"}
root = None

# Generic names: the address in many shapes, ISP words, static markers.
GENERIC = [
    "cable-{a}-{b}-{c}-{d}.isp.example", "{a}-{b}-{c}-{d}.dyn.pool.example", "dsl-{d}-{c}.net.example",
    "host{d}.{c}.{b}.{a}.in-addr.example", "{d}.{c}.{b}.{a}.broadband.example", "ip{a}{b:03d}{c:03d}{d:03d}.cust.example",
    "0x{x}.dsl.example", "p{x}.dip.t-dialin.example", "dhcp-{a}-{b}-{c}-{d}.example.net",
    "cpe-{a}-{b}-{c}-{d}.res.example", "ppp{d}.dialup.example", "{a}.{b}.{c}.{d}.static.example",
    "static-{a}-{b}-{c}-{d}.isp.example", "node-{d}.pool-{c}.example", "adsl-{a}-{b}-{c}-{d}.dsl.example",
    "{a}-{b}-{c}-{d}-dynamic.hfc.example", "c-{a}-{b}-{c}-{d}.hsd1.ca.comcast.example", "catv-{d}-{c}.catv.example",
    "client-{d}.{c}.nat.example", "dyn-{a}-{b}-{c}-{d}.example.com", "{x}.dynamic.example",
    "ool-{a}{b}{c}{d}.dyn.optonline.net", "cm-{d}-{c}.cm.vtr.example", "{d}-{c}.dyn.example.org",
    "h{d}n{c}fls31o1.telia.com", "user-{a}-{b}-{c}-{d}.wireless.example", "modem-{d}.isdn.example",
    "{d}.{c}.cps.example", "smtp-{a}-{b}-{c}-{d}.isp.example", "mail{d}-{c}.fixip.example",
]
# Not generic: mail hosts' names, some with digits that are not the address.
PLAIN = [
    "mail.example.org", "mx1.mail.example", "smtp.example.com", "outbound-mail.example", "relay2.example.net",
    "mta.example", "mail-out.example.org", "mx.example.co.uk", "postfix.example.net", "exchange.example.com",
    "mailer.example", "bounce.example", "newsletter.example.org", "smtp2.example.net", "mx-eu.example.com",
    "a.example", "www.example.org", "server1.example", "gw.example.net", "shop.example", "vm7.hosting.example",
    "web3.example.com", "host.example", "mail.sub.example.org", "mx10.example", "in.example", "ns.example.net",
    "kb.example", "smtp-relay.example", "mail.example.museum", "mailgw.example", "secure.example", "mx.mail",
    "o1.outbound.example", "dedicated.example", "mail.longname-company-example.org", "out.example.co",
    "x.example", "post.example", "mx01.example.org", "edge.example", "mail.example.net", "cluster.example",
    "mailhost.example", "gateway.example", "smtp.mail.example.org", "m.example", "mx3.example.net",
    "relay.example", "srv.example",
]
HELOS = [
    "mail.example.org", "localhost", "localhost.localdomain", "friend", "pc", "user", "oem7", "mail",
    "[198.18.9.1]", "198.18.9.1", "203.0.113.9", "speedtouch.lan", "device.lan", "router.home",
    "192-0-2-15.dyn.pool.example.test", "cable-198-18-9-1.isp.example", "dsl-1-9.net.example",
    "ppp-198-18-9-1.dialup.example", "0xc6120901.dsl.example", "p1a2b3c4d.dip.example",
    "cpe-198-18-9-1.res.example", "pool-198-18-9-1.lease.example", "host.setup", "smtp.gmail.example.com",
    "mx.yahoo.example", "dhcp123-45.example.net", "198-18-9-1-static.hfc.comcastbusiness.net",
    "mail.example.org.", "UPPER.EXAMPLE.ORG", "x",
]


def octets(address):
    a, b, c, d = (int(x) for x in address.split("."))
    return {"a": a, "b": b, "c": c, "d": d, "x": f"{a:02x}{b:02x}{c:02x}{d:02x}"}


def write_config(name, dns, watch):
    path = os.path.join(root, name)
    with open(path, "w") as f:
        f.write("[Watch]\nDiscover=none\n" + "".join(f"{k}={v}\n" for k, v in watch.items()))
        f.write(f"[Resolver]\nServers=127.0.0.1:{dns.port}\nTimeout=2s\n[Cache]\nConfirmDelay=0\n")
    return path


def check(conf, *addresses):
    p = subprocess.run([PTRWATCHD, "--config", conf, "--check", "--json", *addresses],
                       capture_output=True, text=True, timeout=300)
    if "Sanitizer" in p.stderr or "runtime error:" in p.stderr:
        raise AssertionError("sanitizer report:\n" + p.stderr)
    return {v["address"]: v for v in json.loads(p.stdout)}, p.stderr


# ---- what ptrwatch evaluates, read from SpamAssassin's files ----

def read_rules():
    """name -> ('header', header) | ('meta', expr) | ('eval', fn) | ('other',);
    and the set-3 scores."""
    defs, scores = {}, {}
    files = sorted(os.path.join(SA_DIR, f) for f in os.listdir(SA_DIR) if f.endswith(".cf")) + \
        sorted(os.path.join(SITE_DIR, f) for f in os.listdir(SITE_DIR) if f.endswith(".cf"))
    for path in files:
        with open(path, errors="replace") as f:
            for line in f:
                line = re.sub(r"(?<!\\)#.*", "", line).strip()
                w = line.split(None, 2)
                if len(w) < 3:
                    continue
                if w[0] == "header":
                    head = w[2].split(None, 1)
                    if head[0].startswith("eval:"):
                        defs[w[1]] = ("eval", head[0])
                    elif head[0] in RELAY_HEADERS and len(head) > 1 and head[1][:2] in ("=~", "!~"):
                        defs[w[1]] = ("header", head[0])
                    else:
                        defs[w[1]] = ("other",)
                elif w[0] == "meta":
                    defs[w[1]] = ("meta", w[2])
                elif w[0] in ("body", "rawbody", "full", "uri", "mimeheader", "askdns", "uri_detail"):
                    defs[w[1]] = ("other",)
                elif w[0] == "score":
                    values = [float(x.strip("()")) for x in w[2].split()[:4]]
                    scores[w[1]] = values[3] if len(values) == 4 else values[0]
    return defs, scores


def evaluable_rules():
    defs, scores = read_rules()
    memo = {}

    def ok(name, depth=0):
        if name in memo:
            return memo[name]
        d = defs.get(name)
        if not d or depth > 64:
            return False
        memo[name] = False
        if d[0] == "header":
            memo[name] = True
        elif d[0] == "eval":
            memo[name] = name in KNOWN_EVALS
        elif d[0] == "meta":
            memo[name] = all(ok(n, depth + 1) for n in re.findall(r"[A-Za-z_]\w*", d[1]))
        return memo[name]

    def score(name):
        return scores.get(name, 0.01 if name.startswith("T_") else 1.0)

    return {n for n in defs if not n.startswith("__") and ok(n) and score(n) != 0}, score


# ---- SpamAssassin's engine ----

def message(ip, rdns, helo):
    return (f"Received: from {helo} ({rdns or 'unknown'} [{ip}])\n"
            f"\tby mx.receiver.test (Postfix) with ESMTP id 4B2C1D3E5F\n"
            f"\tfor <root@receiver.test>; Mon, 30 Nov 2026 00:00:00 +0000 (UTC)\n"
            f"From: sender@example.test\nTo: root@receiver.test\nSubject: test\n"
            f"Message-ID: <a.b.c.d@example.test>\nDate: Mon, 30 Nov 2026 00:00:00 +0000\n\nhello\n")


def engine_hits(cases):
    """cases: [(ip, rdns, helo)] -> [set of rules SpamAssassin fired]."""
    work = tempfile.mkdtemp(prefix="sa-", dir=root)
    files = []
    for i, (ip, rdns, helo) in enumerate(cases):
        path = os.path.join(work, f"m{i:04d}")
        with open(path, "w") as f:
            f.write(message(ip, rdns, helo))
        files.append(path)
    p = subprocess.run(["perl", os.path.join(HERE, "sa_check.pl"), *files], capture_output=True, text=True,
                       env=dict(os.environ, SA_HOME=work), timeout=600)
    if p.returncode != 0:
        raise AssertionError("sa_check.pl failed:\n" + p.stderr[-3000:])
    hits = dict(line.split("\t", 1) for line in p.stdout.splitlines())
    return [set(filter(None, hits[f].split(","))) for f in files]


class Corpus(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dns = sd.ScriptedDns()
        cls.relevant, score = evaluable_rules()
        cls.score = staticmethod(score)

    @classmethod
    def tearDownClass(cls):
        cls.dns.stop()

    def pair(self, address, name):
        rev = sd.reverse_name(address)
        self.dns.set(rev, sd.PTR, sd.Reply(answer=[sd.ptr(rev, 600, name)]))
        self.dns.set(name, sd.A, sd.Reply(answer=[sd.a(name, 600, address)]))

    def compare(self, verdicts, cases):
        hits = engine_hits([(ip, rdns, helo) for ip, rdns, helo in cases])
        got, want = {}, {}
        for (ip, rdns, helo), fired in zip(cases, hits):
            sa = verdicts[ip]["receivers"]["spamassassin"]
            self.assertEqual(sa["basis"], "rules")
            want[(ip, rdns, helo)] = (sorted(fired & self.relevant), round(sum(self.score(r) for r in fired & self.relevant), 3))
            got[(ip, rdns, helo)] = (sorted(sa["rules"]), round(sa["score"], 3))
        self.assertEqual(got, want)
        return want

    def test_ptr_names(self):
        cases = []
        net = ipaddress.ip_network("198.18.0.0/15")
        names = [t.format(**octets(str(net[1000 + 37 * i]))) for i, t in enumerate(GENERIC * 4)] + PLAIN
        self.assertGreaterEqual(len(names), 150)
        for i, name in enumerate(names):
            address = str(net[1000 + 37 * i])
            self.pair(address, name.lower())
            cases.append((address, name.lower(), "mail.example.org"))
        conf = write_config("corpus.conf", self.dns, {"HeloName": "mail.example.org"})
        verdicts, _ = check(conf, *[c[0] for c in cases])
        for ip, name, _ in cases:
            self.assertEqual(verdicts[ip]["confirmed"], [name], ip)
        want = self.compare(verdicts, cases)
        # the corpus reaches the dynamic-name rules, and not every name does
        fired = {r for rules, _ in want.values() for r in rules}
        self.assertIn("RDNS_DYNAMIC", fired)
        self.assertGreater(sum(1 for rules, _ in want.values() if "RDNS_DYNAMIC" in rules), 20)
        self.assertGreater(sum(1 for rules, _ in want.values() if "RDNS_DYNAMIC" not in rules), 50)

    def test_helo_names(self):
        net = ipaddress.ip_network("198.19.0.0/16")
        cases, statics = [], []
        for i, helo in enumerate(HELOS):
            address = str(net[256 + i])
            name = f"mail{i}.example.org"
            self.pair(address, name)
            cases.append((address, name, helo))
            statics.append(f"{address}/{helo}")
        conf = write_config("helo.conf", self.dns, {"Addresses": " ".join(statics)})
        verdicts, _ = check(conf)
        want = self.compare(verdicts, cases)
        fired = {r for rules, _ in want.values() for r in rules}
        self.assertTrue({"HELO_DYNAMIC_IPADDR2", "HELO_LOCALHOST", "FSL_HELO_BARE_IP_1"} <= fired, fired)

    def test_no_ptr_and_unconfirmed(self):
        rev = sd.reverse_name("198.19.2.1")
        self.dns.set(rev, sd.PTR, sd.Reply(sd.NXDOMAIN, authority=[sd.soa("19.198.in-addr.arpa", 60, 60)]))
        self.pair("198.19.2.2", "cable-198-19-2-2.isp.example")
        self.dns.set("cable-198-19-2-2.isp.example", sd.A, sd.Reply(answer=[sd.a("cable-198-19-2-2.isp.example", 600,
                                                                               "198.19.2.99")]))
        conf = write_config("none.conf", self.dns, {"HeloName": "mail.example.org"})
        verdicts, _ = check(conf, "198.19.2.1", "198.19.2.2")
        # Postfix writes "unknown" for both: no name, and a name that does not confirm
        want = self.compare(verdicts, [("198.19.2.1", "", "mail.example.org"), ("198.19.2.2", "", "mail.example.org")])
        self.assertIn("RDNS_NONE", want[("198.19.2.1", "", "mail.example.org")][0])


class Absent(unittest.TestCase):
    def test_estimated_without_rule_files(self):
        dns = sd.ScriptedDns()
        self.addCleanup(dns.stop)
        rev = sd.reverse_name("198.19.3.1")
        dns.set(rev, sd.PTR, sd.Reply(answer=[sd.ptr(rev, 600, "cable-198-19-3-1.isp.example")]))
        dns.set("cable-198-19-3-1.isp.example", sd.A, sd.Reply(answer=[sd.a("cable-198-19-3-1.isp.example", 600,
                                                                           "198.19.3.1")]))
        empty = tempfile.mkdtemp(dir=root)
        conf = write_config("absent.conf", dns, {"HeloName": "mail.example.org"})
        with open(conf, "a") as f:
            f.write(f"[Receivers]\nSpamAssassinRules={empty}\n")
        verdicts, stderr = check(conf, "198.19.3.1")
        sa = verdicts["198.19.3.1"]["receivers"]["spamassassin"]
        self.assertEqual(sa["basis"], "estimated")
        self.assertNotIn("source", sa)
        self.assertNotIn("matched", sa)
        self.assertEqual(sa["rules"], ["RDNS_DYNAMIC"])         # our generic-ptr judgement stands in
        self.assertIn(f"No SpamAssassin rule files in {empty}: its predictions are estimated", stderr)

    def test_a_rule_file_that_does_not_parse_is_one_warning(self):
        rules = tempfile.mkdtemp(dir=root)
        shutil.copy(os.path.join(SA_DIR, "20_dynrdns.cf"), rules)
        shutil.copy(os.path.join(SA_DIR, "50_scores.cf"), rules)
        with open(os.path.join(rules, "30_broken.cf"), "w") as f:
            f.write("header BROKEN1 X-Spam-Relays-External =~ /unterminated\n"
                    "header BROKEN2 X-Spam-Relays-External =~ /(unbalanced/\nmeta\n"
                    "meta LONG " + "__X || " * 150000 + "__Y\n")
        dns = sd.ScriptedDns()
        self.addCleanup(dns.stop)
        rev = sd.reverse_name("198.19.3.2")
        dns.set(rev, sd.PTR, sd.Reply(sd.NXDOMAIN, authority=[sd.soa("19.198.in-addr.arpa", 60, 60)]))
        conf = write_config("broken.conf", dns, {"HeloName": "mail.example.org"})
        with open(conf, "a") as f:
            f.write(f"[Receivers]\nSpamAssassinRules={rules}\n")
        verdicts, stderr = check(conf, "198.19.3.2")
        warnings = [l for l in stderr.splitlines() if "not understood" in l]
        self.assertEqual(len(warnings), 1, stderr)
        self.assertIn("4 lines not understood and skipped, the first "
                      f"{rules}/30_broken.cf:1: an unterminated regular expression", warnings[0])
        sa = verdicts["198.19.3.2"]["receivers"]["spamassassin"]
        self.assertEqual((sa["basis"], sa["rules"]), ("rules", ["RDNS_NONE"]))
        self.assertEqual(sa["matched"], [f"RDNS_NONE {rules}/20_dynrdns.cf:210"])


if __name__ == "__main__":
    root = tempfile.mkdtemp(prefix="ptrwatch-sa-")
    atexit.register(shutil.rmtree, root, ignore_errors=True)  # nothing left in /tmp
    os.chmod(root, 0o755)
    unittest.main(verbosity=2)
