#!/usr/bin/python3
"""Discover=postfix and Discover=exim (#12): the real postconf of Debian's
postfix and the real exim4 binary of Debian's exim4-daemon-light, on
configurations in temporary directories, against the test DNS; the HELO
checks; re-discovery on a running daemon when the configuration changes.
In private network and mount namespaces: the test addresses live on lo,
with routes whose source is what "the kernel's choice" must find."""

import json
import os
import shutil
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

PTRWATCHD = os.environ.get("PTRWATCHD", "ptrwatchd")
PTRWATCH = os.environ.get("PTRWATCH", "ptrwatch")
EXIM_DIR = os.environ.get("EXIM_DIR", "/var/cache/ptrwatch-tests/exim4/usr/sbin")
world = bus = journal = None
IPV6_FIX = "prefer IPv4 with 'postconf -e smtp_address_preference=ipv4', or send over IPv4 only with " \
           "'postconf -e inet_protocols=ipv4'"

# Addresses configured on lo; the route towards the probes picks these.
LOCAL = ["192.0.2.10", "192.0.2.17", "192.0.2.23", "2001:db8::25", "2001:db8::26"]
ROUTE4, ROUTE6 = "192.0.2.23", "2001:db8::25"
PROBES = "198.51.100.1 2001:db8:ffff::1"

# Debian's default master.cf and a few client services of our own. out-d is
# commented out; amavis only feeds a content filter on loopback; lmtp is in
# Debian's default.
MASTER_EXTRA = """
out-b     unix  -       -       n       -       -       smtp
  -o smtp_bind_address=192.0.2.17
  -o smtp_bind_address6=
  -o smtp_helo_name=other17.example.test
out-c     unix  -       -       n       -       -       smtp
  -o { smtp_helo_name = c.$mydomain }
  -o inet_protocols=ipv4
#out-d    unix  -       -       n       -       -       smtp -o smtp_bind_address=192.0.2.99
amavis    unix  -       -       n       -       2       smtp
  -o smtp_bind_address=192.0.2.98
"""
MAIN = """compatibility_level = 3.6
myhostname = mail.example.test
mydomain = example.test
smtp_bind_address = 192.0.2.10
smtp_bind_address6 = 2001:db8::25
content_filter = amavis:[127.0.0.1]:10024
"""


def postfix_dir(main=MAIN, master_extra=MASTER_EXTRA):
    d = tempfile.mkdtemp(prefix="postfix-", dir=world.root)
    shutil.copy("/usr/share/postfix/master.cf.dist", os.path.join(d, "master.cf"))
    with open(os.path.join(d, "master.cf"), "a") as f:
        f.write(master_extra)
    with open(os.path.join(d, "main.cf"), "w") as f:
        f.write(main)
    return d


def config(name, **watch):
    return world.config(name, Watch=dict({"RouteProbes": PROBES}, **watch))


def check(conf, *addresses, env=None):
    p = subprocess.run([PTRWATCHD, "--config", conf, "--check", "--json", *addresses],
                       capture_output=True, text=True, timeout=120, env=dict(os.environ, **(env or {})))
    if "Sanitizer" in p.stderr or "runtime error:" in p.stderr:
        raise AssertionError("sanitizer report:\n" + p.stderr)
    verdicts = {v["address"]: v for v in json.loads(p.stdout)} if p.stdout else {}
    return p, verdicts


def identities(verdicts):
    return {a: (v["helo"], v["sources"]) for a, v in verdicts.items()}


class Postfix(unittest.TestCase):
    def test_services_bind_addresses_and_helo_names(self):
        d = postfix_dir()
        p, v = check(config("pf.conf", Discover="postfix", PostfixConfig=d))
        self.assertEqual(p.returncode, 1, p.stderr)     # warnings, below
        self.assertEqual(identities(v), {
            # main.cf's bind addresses: smtp and relay (Debian's), out-c (IPv4 only, own HELO)
            "192.0.2.10": (["c.example.test", "mail.example.test"], ["postfix:out-c", "postfix:relay", "postfix:smtp"]),
            # out-b's -o override
            "192.0.2.17": (["other17.example.test"], ["postfix:out-b"]),
            # out-b empties smtp_bind_address6: the kernel's choice, found as Discover=route finds it
            "2001:db8::25": (["mail.example.test", "other17.example.test"],
                             ["postfix:out-b", "postfix:relay", "postfix:smtp"]),
        })
        # the commented-out, the content filter's and the lmtp services are not ways out
        self.assertNotIn("192.0.2.99", v)
        self.assertNotIn("192.0.2.98", v)
        # $mydomain expanded by postconf; c.example.test has no A, AAAA or MX
        self.assertEqual(v["192.0.2.10"]["verdict"], "warn")
        self.assertEqual(v["192.0.2.10"]["reasons"], ["helo-mismatch", "helo-unresolvable"])
        self.assertIn("HELO name c.example.test has no A, AAAA or MX record", v["192.0.2.10"]["message"])
        self.assertEqual(v["192.0.2.17"]["verdict"], "pass")
        self.assertEqual(v["2001:db8::25"]["reasons"], ["helo-mismatch"])
        self.assertIn("HELO name other17.example.test is not a confirming PTR name", v["2001:db8::25"]["message"])

    def test_inet_protocols_and_interfaces(self):
        # ipv4 only; no bind address, one non-loopback inet_interfaces address: that one
        d = postfix_dir(main="myhostname = mail.example.test\ninet_protocols = ipv4\n"
                             "inet_interfaces = 192.0.2.17\n", master_extra="")
        p, v = check(config("pf2.conf", Discover="postfix", PostfixConfig=d))
        self.assertEqual(identities(v), {"192.0.2.17": (["mail.example.test"], ["postfix:relay", "postfix:smtp"])})
        self.assertEqual(v["192.0.2.17"]["reasons"], ["helo-mismatch"])
        # two addresses, one of them loopback: Postfix counts both, binds to
        # neither (smtp_connect_addr()): the kernel's choice
        d = postfix_dir(main="myhostname = mail.example.test\ninet_protocols = ipv4\n"
                             "inet_interfaces = 127.0.0.1, 192.0.2.17\n", master_extra="")
        p, v = check(config("pf2b.conf", Discover="postfix", PostfixConfig=d))
        self.assertEqual(sorted(v), [ROUTE4])
        # inet_interfaces = all: the kernel's choice for each family
        d = postfix_dir(main="myhostname = mail.example.test\n", master_extra="")
        p, v = check(config("pf3.conf", Discover="postfix", PostfixConfig=d))
        self.assertEqual(sorted(v), [ROUTE4, ROUTE6])
        self.assertEqual(v[ROUTE4]["sources"], ["postfix:relay", "postfix:smtp"])

    def test_relayhost(self):
        d = postfix_dir(main=MAIN + "relayhost = [relay.example.test]:587\n"
                                    "smtp_fallback_relay = relaymx.example.test\n")
        p, v = check(config("relay.conf", Discover="postfix", PostfixConfig=d))
        # receivers see the relays: relay.example.test's A, relaymx's MX target's A
        self.assertEqual(identities(v), {"192.0.2.14": ([], ["postfix:relayhost"]),
                                         "192.0.2.15": ([], ["postfix:relayhost"])})
        self.assertIn("sends its mail through the relay [relay.example.test]:587 (relayhost): receivers see "
                      "the relay's address", p.stderr)
        self.assertEqual(p.stderr.count("through the relay"), 1, "said once")

    def test_multi_instance(self):
        second = postfix_dir(main="myhostname = out.example.test\nmulti_instance_name = postfix-out\n"
                                  "multi_instance_enable = yes\n"
                                  "smtp_bind_address = 192.0.2.17\ninet_protocols = ipv4\n", master_extra="")
        # a secondary instance is disabled until postmulti -e enable: not a way out
        disabled = postfix_dir(main="myhostname = off.example.test\nsmtp_bind_address = 192.0.2.23\n"
                                    "inet_protocols = ipv4\n", master_extra="")
        first = postfix_dir(main=f"myhostname = mail.example.test\nsmtp_bind_address = 192.0.2.10\n"
                                 f"inet_protocols = ipv4\nmulti_instance_directories = {second} {disabled}\n",
                            master_extra="")
        p, v = check(config("multi.conf", Discover="postfix", PostfixConfig=first))
        self.assertEqual(identities(v), {
            "192.0.2.10": (["mail.example.test"], ["postfix:relay", "postfix:smtp"]),
            "192.0.2.17": (["out.example.test"], ["postfix:postfix-out/relay", "postfix:postfix-out/smtp"]),
        })

    def test_bad_configurations(self):
        static = "192.0.2.17/other17.example.test"
        cases = [
            # what Postfix itself refuses: one line naming it, the rest still watched
            (postfix_dir(main="myhostname = mail.example.test\nsmtp_bind_address = mail.example.com\n"
                              "inet_protocols = ipv4\n", master_extra=""),
             "Postfix main.cf: smtp_bind_address = mail.example.com is not a numerical IPv4 address: "
             "Postfix's smtp client stops with \"fatal: bad smtp_bind_address parameter\""),
            # an address no interface has: Postfix warns and uses the kernel's choice
            (postfix_dir(main="myhostname = mail.example.test\nsmtp_bind_address = 192.0.2.77\n"
                              "inet_protocols = ipv4\n", master_extra=""),
             "Postfix main.cf: smtp_bind_address = 192.0.2.77 is not configured on any interface of this host"),
            ("/nonexistent/postfix", "'postconf -c /nonexistent/postfix -x"),
            (postfix_dir(main="myhostname = mail.example.test\ninet_protocols = ipv4\n",
                         master_extra="out-s unix - - n - - smtp\n  -o { smtp_helo_name = bad name }\n"),
             "postfix:out-s: smtp_helo_name 'bad name' holds a space"),
        ]
        for d, said in cases:
            with self.subTest(d=d):
                p, v = check(config("bad.conf", Discover="postfix", PostfixConfig=d, Addresses=static))
                self.assertIn(said, p.stderr)
                self.assertIn("192.0.2.17", v, "the static identity is still checked")
                self.assertEqual(len([l for l in p.stderr.splitlines() if said in l]), 1)
        # the space made it to the HELO check: receivers see an invalid HELO
        self.assertEqual(v[ROUTE4]["helo"], ["bad name", "mail.example.test"])
        self.assertIn("helo-invalid", v[ROUTE4]["reasons"])
        # the not-local bind address: the kernel's choice is watched
        p, v = check(config("bad2.conf", Discover="postfix", PostfixConfig=cases[1][0]))
        self.assertEqual(sorted(v), [ROUTE4])

    def test_postconf_missing_or_slow(self):
        bindir = tempfile.mkdtemp(prefix="bin-", dir=world.root)
        env = {"PATH": bindir + ":/usr/bin:/bin"}       # no /usr/sbin: no postconf
        conf = config("nopf.conf", Discover="postfix", PostfixConfig=postfix_dir())
        p, v = check(conf, env=env)
        self.assertEqual(p.returncode, 3)
        self.assertIn("postconf is not installed (package postfix)", p.stderr)
        self.assertIn("No outbound address found", p.stderr)
        self.assertEqual(v, {})
        # a postconf that hangs is stopped; the static identity is checked
        with open(os.path.join(bindir, "postconf"), "w") as f:
            f.write("#!/bin/sh\nexec sleep 60\n")
        os.chmod(os.path.join(bindir, "postconf"), 0o755)
        conf = config("slowpf.conf", Discover="postfix", PostfixConfig=postfix_dir(), Addresses="192.0.2.10")
        t = time.monotonic()
        p, v = check(conf, env=env)
        self.assertLess(time.monotonic() - t, 30)
        self.assertIn("took longer than 10s and was stopped", p.stderr)
        self.assertEqual(list(v), ["192.0.2.10"])
        self.assertEqual(v["192.0.2.10"]["sources"], ["static"])


class SecondReview(unittest.TestCase):
    """#23: Postfix's transports and relays, read as Postfix reads them."""

    def test_2_content_filter_on_the_smtp_transport_keeps_smtp(self):
        # the filter's transport is smtp itself: smtp also carries the
        # re-injected mail out (default_transport = smtp)
        d = postfix_dir(main="myhostname = mail.example.test\nsmtp_bind_address = 192.0.2.10\n"
                             "inet_protocols = ipv4\ncontent_filter = smtp:[127.0.0.1]:10024\n",
                        master_extra="out-b unix - - n - - smtp\n  -o smtp_bind_address=192.0.2.17\n")
        p, v = check(config("cf-smtp.conf", Discover="postfix", PostfixConfig=d))
        self.assertEqual(identities(v), {
            "192.0.2.10": (["mail.example.test"], ["postfix:relay", "postfix:smtp"]),
            "192.0.2.17": (["mail.example.test"], ["postfix:out-b"]),
        })
        # a transport of its own for the filter (amavis) is still no way out
        d = postfix_dir()
        p, v = check(config("cf-amavis.conf", Discover="postfix", PostfixConfig=d))
        self.assertNotIn("192.0.2.98", v)
        self.assertIn("postfix:smtp", v["192.0.2.10"]["sources"])

    def test_3_error_default_transport_sends_nothing(self):
        # the local-only idiom; and a relayhost, which only the smtp transport would use
        for transport, relayhost in (("error:outside mail is not deliverable", ""),
                                     ("error", "[relay.example.test]")):
            with self.subTest(transport=transport):
                d = postfix_dir(main=f"myhostname = mail.example.test\nsmtp_bind_address = 192.0.2.10\n"
                                     f"inet_protocols = ipv4\ndefault_transport = {transport}\n"
                                     f"relayhost = {relayhost}\n", master_extra="")
                p, v = check(config("local-only.conf", Discover="postfix", PostfixConfig=d,
                                    Addresses="192.0.2.17"))
                self.assertIn(f"Postfix: default_transport = {transport} is not an smtp transport and "
                              "transport_maps is not set: Postfix sends no mail to other hosts, so nothing of it "
                              "is watched", p.stderr)
                self.assertNotIn("through the relay", p.stderr)
                self.assertNotIn("could not be resolved", p.stderr, "'outside', 'mail', … are no relays")
                self.assertEqual(identities(v), {"192.0.2.17": ([], ["static"])})
        # with transport_maps, some destinations may still reach smtp
        d = postfix_dir(main="myhostname = mail.example.test\nsmtp_bind_address = 192.0.2.10\n"
                             "inet_protocols = ipv4\ndefault_transport = error\n"
                             "transport_maps = inline:{example.net=smtp:}\n", master_extra="")
        p, v = check(config("local-maps.conf", Discover="postfix", PostfixConfig=d))
        self.assertEqual(sorted(v), ["192.0.2.10"])
        self.assertIn("transport_maps is set", p.stderr)

    def test_relay_watched_in_the_families_postfix_uses(self):
        # mail.example.test has A 192.0.2.10 and AAAA 2001:db8::25
        d = postfix_dir(main="myhostname = mail.example.test\ninet_protocols = ipv4\n"
                             "relayhost = [mail.example.test]\n", master_extra="")
        p, v = check(config("relay4.conf", Discover="postfix", PostfixConfig=d))
        self.assertEqual(identities(v), {"192.0.2.10": ([], ["postfix:relayhost"])})
        d = postfix_dir(main="myhostname = mail.example.test\ninet_protocols = all\n"
                             "relayhost = [mail.example.test]\n", master_extra="")
        p, v = check(config("relay46.conf", Discover="postfix", PostfixConfig=d))
        self.assertEqual(sorted(v), ["192.0.2.10", "2001:db8::25"])

    def test_inet_interfaces_as_a_host_name(self):
        # $myhostname resolves (/etc/hosts of this test) to 192.0.2.17 alone:
        # Postfix binds its smtp client to it
        d = postfix_dir(main="myhostname = host17.example.test\ninet_protocols = ipv4\n"
                             "inet_interfaces = $myhostname\n", master_extra="")
        p, v = check(config("ifname.conf", Discover="postfix", PostfixConfig=d))
        self.assertEqual(identities(v), {"192.0.2.17": (["host17.example.test"], ["postfix:relay", "postfix:smtp"])})
        # a name with two addresses of the family: no single one, the kernel's choice
        d = postfix_dir(main="myhostname = host17.example.test\ninet_protocols = ipv4\n"
                             "inet_interfaces = two.example.test\n", master_extra="")
        p, v = check(config("ifname2.conf", Discover="postfix", PostfixConfig=d))
        self.assertEqual(sorted(v), [ROUTE4])


EXIM_SMARTHOST = """primary_hostname = mail.example.test
begin routers
smarthost:
  driver = manualroute
  domains = ! +local_domains
  transport = remote_smtp_smarthost
  route_list = * relay.example.test::587 byname
  no_more
dnslookup:
  driver = dnslookup
  transport = remote_smtp
begin transports
remote_smtp:
  driver = smtp
  interface = 192.0.2.17
remote_smtp_smarthost:
  driver = smtp
  interface = 192.0.2.10
"""

EXIM_V6_LIST = """primary_hostname = mail.example.test
begin routers
dnslookup:
  driver = dnslookup
  transport = v6_smtp
begin transports
v6_smtp:
  driver = smtp
  interface = 192.0.2.17 : 2001::db8::::26
"""


EXIM_CONF = """primary_hostname = mail.example.test
REMOTE_INTERFACE = <; 192.0.2.17 ; 2001:db8::25
REMOTE_HELO = other17.example.test
begin routers
dnslookup:
  driver = dnslookup
  transport = remote_smtp
begin transports
remote_smtp:
  driver = smtp
  interface = REMOTE_INTERFACE
  helo_data = REMOTE_HELO
default_helo:
  driver = smtp
dyn_smtp:
  driver = smtp
  interface = 192.0.2.10
  helo_data = ${lookup dnsdb {ptr=$sending_ip_address}{$value}{$primary_hostname}}
local_lmtp:
  driver = lmtp
  socket = /nonexistent
"""


class Ipv6Advice(unittest.TestCase):
    """Postfix sends over both families; the IPv6 address (2001:db8::26, no
    PTR) fails while the IPv4 one passes: the message says how to stop
    sending over IPv6 until it is fixed."""

    MAIN = ("myhostname = mail.example.test\nsmtp_bind_address = 192.0.2.10\n"
            "smtp_bind_address6 = 2001:db8::26\n")

    def test_check(self):
        d = postfix_dir(main=self.MAIN, master_extra="")
        p, v = check(config("v6.conf", Discover="postfix", PostfixConfig=d))
        self.assertEqual(v["2001:db8::26"]["verdict"], "fail")
        self.assertIn(IPV6_FIX, v["2001:db8::26"]["message"])
        self.assertNotIn("postconf -e", v["192.0.2.10"]["message"])
        # IPv4 failing too: no such advice (it would not help)
        d = postfix_dir(main=self.MAIN.replace("192.0.2.10", "192.0.2.23"), master_extra="")
        p, v = check(config("v6b.conf", Discover="postfix", PostfixConfig=d))
        self.assertEqual(v["192.0.2.23"]["verdict"], "warn")
        self.assertIn(IPV6_FIX, v["2001:db8::26"]["message"], "a warn still delivers")
        # a static identity without Postfix: no Postfix advice
        p, v = check(config("v6c.conf", Discover="none", Addresses="192.0.2.10 2001:db8::26"))
        self.assertNotIn("postconf", v["2001:db8::26"]["message"])

    def test_daemon_journal(self):
        d = postfix_dir(main=self.MAIN, master_extra="")
        since = journal.mark()
        daemon = dw.Daemon(world.root, bus, config("v6d.conf", Discover="postfix", PostfixConfig=d)).start()
        try:
            client = dw.Client(bus)
            dw.wait_for(lambda: journal.matching(since, PTRWATCH_ADDRESS="2001:db8::26"), "the IPv6 alert")
            e = journal.matching(since, PTRWATCH_ADDRESS="2001:db8::26")[0]
            self.assertIn(IPV6_FIX, e["MESSAGE"])
            x = {v["address"]: v for v in client.verdicts()}
            self.assertIn(IPV6_FIX, x["2001:db8::26"]["message"])
        finally:
            daemon.stop()


class Exim(unittest.TestCase):
    def test_transports(self):
        path = os.path.join(world.root, "exim.conf")
        with open(path, "w") as f:
            f.write(EXIM_CONF)
        env = {"PATH": EXIM_DIR + ":" + os.environ["PATH"]}
        p, v = check(config("exim.conf.ptrwatch", Discover="exim", EximConfig=path), env=env)
        self.assertEqual(identities(v), {
            # helo_data an expansion: dynamic, not guessed
            "192.0.2.10": ([], ["exim:dyn_smtp"]),
            # interface's macro, "<;" list: the first address of each family
            "192.0.2.17": (["other17.example.test"], ["exim:remote_smtp"]),
            # no interface: the kernel's choice; helo_data: $primary_hostname
            ROUTE4: (["mail.example.test"], ["exim:default_helo"]),
            ROUTE6: (["mail.example.test", "other17.example.test"],
                     ["exim:default_helo", "exim:dyn_smtp", "exim:remote_smtp"]),
        })
        self.assertIn("exim:dyn_smtp: helo_data is computed when mail is sent", p.stderr)
        self.assertEqual(v["192.0.2.17"]["verdict"], "pass")

    def exim(self, name, text):
        path = os.path.join(world.root, name)
        with open(path, "w") as f:
            f.write(text)
        return check(config(name + ".ptrwatch", Discover="exim", EximConfig=path),
                     env={"PATH": EXIM_DIR + ":" + os.environ["PATH"]})

    def test_smarthost_is_a_relay(self):
        """#23: Debian's smarthost router (manualroute, route_list = *
        HOST::PORT byname) sends everything to the relay: its addresses are
        watched, not this host's."""
        p, v = self.exim("exim-smarthost.conf", EXIM_SMARTHOST)
        self.assertEqual(identities(v), {"192.0.2.14": ([], ["exim:smarthost"])})
        self.assertIn("Exim sends its mail through the smarthost relay.example.test::587 (router smarthost)",
                      p.stderr)
        # a dnslookup router first: direct delivery, the transport's own address
        p, v = self.exim("exim-direct.conf", EXIM_SMARTHOST.replace(
            "begin routers\n", "begin routers\ndirect:\n  driver = dnslookup\n  transport = remote_smtp\n"))
        self.assertIn("192.0.2.17", v)
        self.assertNotIn("192.0.2.14", v)

    def test_ipv6_interface_with_doubled_colons(self):
        """#23: in a ':' list a doubled colon is a colon (Exim spec, "Lists")."""
        p, v = self.exim("exim-v6.conf", EXIM_V6_LIST)
        self.assertEqual(identities(v), {"192.0.2.17": (["mail.example.test"], ["exim:v6_smtp"]),
                                         "2001:db8::26": (["mail.example.test"], ["exim:v6_smtp"])})
        self.assertNotIn("not an IP address", p.stderr)

    def test_exim_missing_or_broken(self):
        conf = config("noexim.conf", Discover="exim", Addresses="192.0.2.10")
        p, v = check(conf, env={"PATH": "/usr/bin:/bin"})
        self.assertIn("neither exim4 nor exim is installed", p.stderr)
        self.assertEqual(list(v), ["192.0.2.10"])
        conf = config("badexim.conf", Discover="exim", EximConfig="/nonexistent/exim.conf", Addresses="192.0.2.10")
        p, v = check(conf, env={"PATH": EXIM_DIR + ":" + os.environ["PATH"]})
        self.assertIn("Discover=exim: 'exim4 -C /nonexistent/exim.conf -bP primary_hostname' failed", p.stderr)
        self.assertEqual(list(v), ["192.0.2.10"])


class HeloChecks(unittest.TestCase):
    def test_static_identities(self):
        conf = config("helo.conf", Discover="none", HeloName="[192.0.2.23]", Addresses=" ".join([
            "192.0.2.10/mail.example.test",        # the PTR name itself: pass
            "192.0.2.17/mxonly.example.test",      # only an MX: resolvable; not the PTR name
            "192.0.2.14/gone.example.test",        # nothing at all
            "192.0.2.21/localhost",                # not fully qualified
            "2001:db8::25/bad..name",              # invalid
            "192.0.2.23",                          # HeloName=: an address literal passes all three
        ]))
        p, v = check(conf)
        want = {
            "192.0.2.10": ("pass", []),
            "192.0.2.17": ("warn", ["helo-mismatch"]),
            "192.0.2.14": ("warn", ["helo-mismatch", "helo-unresolvable"]),
            "192.0.2.21": ("warn", ["helo-mismatch", "helo-not-fqdn"]),
            "2001:db8::25": ("warn", ["helo-invalid"]),
            "192.0.2.23": ("warn", ["multiple-ptr"]),
        }
        self.assertEqual({a: (x["verdict"], x["reasons"]) for a, x in v.items()}, want)
        self.assertEqual(v["192.0.2.23"]["helo"], ["[192.0.2.23]"])
        self.assertEqual(v["192.0.2.17"]["sources"], ["static"])
        self.assertIn("Postfix receivers with reject_unknown_helo_hostname refuse it (450)", v["192.0.2.14"]["message"])
        self.assertIn("reject_non_fqdn_helo_hostname refuse it (504)", v["192.0.2.21"]["message"])
        self.assertIn("reject_invalid_helo_hostname refuse it (501)", v["2001:db8::25"]["message"])
        # the table shows the HELO names
        t = subprocess.run([PTRWATCHD, "--config", conf, "--check", "192.0.2.10"], capture_output=True, text=True)
        self.assertEqual(t.stdout.splitlines()[1].split(), ["ADDRESS", "VERDICT", "PTR", "HELO", "RECEIVERS", "DETAIL"])


class Daemon(unittest.TestCase):
    def test_rediscovers_when_postfix_configuration_changes(self):
        d = postfix_dir(main="myhostname = mail.example.test\nsmtp_bind_address = 192.0.2.10\n"
                             "inet_protocols = ipv4\n", master_extra="")
        conf = config("daemon.conf", Discover="postfix", PostfixConfig=d)
        daemon = dw.Daemon(world.root, bus, conf).start()
        try:
            client = dw.Client(bus)
            dw.wait_for(lambda: client.get("Addresses") == ["192.0.2.10"], "the Postfix identity watched")
            dw.wait_for(lambda: client.verdicts() and client.verdicts()[0]["verdict"] == "pass", "its verdict")
            x = client.verdicts()[0]
            self.assertEqual((x["helo"], x["sources"]), (["mail.example.test"], ["postfix:relay", "postfix:smtp"]))
            # the admin changes main.cf with postconf -e: no Refresh, no SIGHUP
            subprocess.run(["postconf", "-c", d, "-e", "smtp_bind_address = 192.0.2.17",
                            "smtp_helo_name = mxonly.example.test"], check=True)
            try:
                dw.wait_for(lambda: client.get("Addresses") == ["192.0.2.17"], "re-discovery after postconf -e")
            except TimeoutError:
                # seen once under ASan in CI (not reproduced): say what the daemon did
                raise AssertionError("no re-discovery; Addresses=%s; ptrwatchd said:\n%s"
                                     % (client.get("Addresses"), daemon.stderr()[-4000:]))
            dw.wait_for(lambda: client.verdicts()[0]["verdict"] == "warn", "the new identity checked")
            x = client.verdicts()[0]
            self.assertEqual((x["helo"], x["reasons"]), (["mxonly.example.test"], ["helo-mismatch"]))
            self.assertIn("The MTA's configuration changed", daemon.stderr())
            # a relay: said in the notes, and by ptrwatch status
            subprocess.run(["postconf", "-c", d, "-e", "relayhost = [relay.example.test]:587"], check=True)
            dw.wait_for(lambda: client.get("Addresses") == ["192.0.2.14"], "the relay watched")
            notes = client.get("Notes")
            self.assertEqual(len(notes), 1, notes)
            self.assertIn("through the relay [relay.example.test]:587", notes[0])
            s = subprocess.run([PTRWATCH, "status"], capture_output=True, text=True,
                               env=dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus.address))
            self.assertIn("Note: Postfix sends its mail through the relay", s.stdout)
            j = json.loads(subprocess.run([PTRWATCH, "status", "--json"], capture_output=True, text=True,
                                          env=dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus.address)).stdout)
            self.assertEqual(j["notes"], notes)
            self.assertEqual(j["verdicts"][0]["sources"], ["postfix:relayhost"])
        finally:
            daemon.stop()
        self.assertNotIn("Sanitizer", daemon.stderr())


def setUpModule():
    global world, bus, journal
    # Exim needs its user, as Debian's exim4-base would create it: here only
    # in this mount namespace.
    for f, line in (("/etc/passwd", "Debian-exim:x:65500:65534::/nonexistent:/usr/sbin/nologin\n"),
                    ("/etc/group", "Debian-exim:x:65500:\n")):
        with open(f) as src:
            text = src.read()
        if "Debian-exim:" not in text:
            copy = tempfile.NamedTemporaryFile("w", delete=False, dir="/run")
            copy.write(text + line)
            copy.close()
            subprocess.run(["mount", "--bind", copy.name, f], check=True)
    # The names inet_interfaces may give, as Postfix resolves them (the
    # system's resolver: /etc/hosts first); no DNS server is named.
    for f, text in (("/etc/hosts", "127.0.0.1 localhost\n192.0.2.17 host17.example.test\n"
                                   "192.0.2.17 two.example.test\n192.0.2.10 two.example.test\n"),
                    ("/etc/resolv.conf", "nameserver 127.0.0.1\n")):
        copy = tempfile.NamedTemporaryFile("w", delete=False, dir="/run")
        copy.write(text)
        copy.close()
        subprocess.run(["mount", "--bind", copy.name, f], check=True)
    for a in LOCAL:
        subprocess.run(["ip", "addr", "add", a + ("/128" if ":" in a else "/32"), "dev", "lo"]
                       + (["nodad"] if ":" in a else []), check=True)
    subprocess.run(["ip", "route", "add", "198.51.100.0/24", "dev", "lo", "src", ROUTE4], check=True)
    subprocess.run(["ip", "-6", "route", "add", "2001:db8:ffff::/48", "dev", "lo", "src", ROUTE6], check=True)
    if not os.access(os.path.join(EXIM_DIR, "exim4"), os.X_OK):
        raise RuntimeError(f"no exim4 in {EXIM_DIR}: scripts/test extracts it from Debian's exim4-daemon-light")
    world = dnsworld.DnsWorld()
    world.__enter__()
    journal = dw.Journal()
    bus = dw.Bus(world.root).start()


def tearDownModule():
    bus.stop()
    journal.close()
    world.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
