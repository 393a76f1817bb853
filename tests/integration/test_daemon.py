#!/usr/bin/python3
"""ptrwatchd as a daemon: its D-Bus API through a real GDBus client, on a
private system-type dbus-daemon with the shipped bus policy, against the real
DNS servers of dnsworld, inside private network and mount namespaces."""

import glob
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnsworld  # noqa: E402

if __name__ == "__main__":
    dnsworld.isolate(mount=True)

from gi.repository import Gio, GLib  # noqa: E402

import daemonworld as dw  # noqa: E402

ID = {   # systemd/ptrwatch.catalog
    "no-ptr": "bbbec62c92b8499299cb2d6d1ab7b0fd",
    "forward-mismatch": "27a7df10ac374a70bdef9a93ba858afe",
    "dns-unreachable": "8726cb69fc2a457ea5ddbe511511de58",
    "recovered": "9985ef86e31345f8bb9a1099cbbb6318",
}
WATCHED = ["192.0.2.10", "192.0.2.11", "192.0.2.30", "2001:db8::25"]
world = bus = journal = None


def config(name, watch=None, resolver=None, cache=None):
    w = {"Addresses": " ".join(WATCHED), "Discover": "none"}
    w.update(watch or {})
    r = {"Timeout": "1s"}
    r.update(resolver or {})
    return world.config(name, Watch=w, Resolver=r, Cache=cache or {})


def ptr_queries(address_reverse):
    return sum(1 for name, t in world.unbound.queries() if t == "PTR" and name == address_reverse)


def all_queries():
    return len(world.unbound.queries())


def by_address(verdicts):
    return {v["address"]: v for v in verdicts}


def wait_verdict(client, address, predicate, what, deadline=20):
    return dw.wait_for(lambda: (lambda v: v if v and predicate(v) else None)(
        by_address(client.verdicts()).get(address)), what, deadline)


class DaemonTest(unittest.TestCase):
    def start(self, conf, **kw):
        d = dw.Daemon(world.root, bus, conf, **kw).start()
        self.addCleanup(self._stop, d)
        return d

    def _stop(self, d):
        code = d.stop()
        err = d.stderr()
        if "Sanitizer" in err or "runtime error:" in err:
            self.fail("sanitizer report:\n" + err)
        return code

    def settle(self, client):
        """Wait until every watched address has a verdict."""
        return dw.wait_for(lambda: (lambda v: v if all(x["verdict"] != "unknown" for x in v) and v else None)(
            client.verdicts()), "verdicts for every watched address")


class Api(DaemonTest):
    def setUp(self):
        self.daemon = self.start(config("api.conf"))
        self.client = dw.Client(bus)
        self.settle(self.client)

    def test_introspection_matches_reference_xml(self):
        def members(root):
            iface = root.find(f"interface[@name='{dw.IFACE}']")
            self.assertIsNotNone(iface)
            out = set()
            for el in iface:
                args = tuple((a.get("name"), a.get("type"), a.get("direction")) for a in el.findall("arg"))
                out.add((el.tag, el.get("name"), el.get("type"), el.get("access"), args))
            return out
        live = members(ET.fromstring(self.client.introspect()))
        reference = members(ET.parse(os.path.join(dw.SOURCE, "dbus", "org.ptrwatch.PtrWatch1.xml")).getroot())
        self.assertEqual(live, reference)

    def test_verdicts_and_properties(self):
        v = by_address(self.client.verdicts())
        self.assertEqual(sorted(v), sorted(WATCHED))
        self.assertEqual((v["192.0.2.10"]["verdict"], v["192.0.2.10"]["confirmed"]), ("pass", ["mail.example.test"]))
        self.assertEqual((v["192.0.2.11"]["verdict"], v["192.0.2.11"]["reasons"]), ("fail", ["no-ptr"]))
        self.assertEqual(v["2001:db8::25"]["verdict"], "pass")
        for x in v.values():
            self.assertEqual(set(x), {"address", "reverse_name", "verdict", "reasons", "ptr", "confirmed",
                                      "helo", "sources", "receivers", "authority", "message", "ttl", "checked_at", "expires_at", "stale", "watched",
                                      "resolver_stale", "resolver_expires_at"})
            self.assertTrue(x["watched"])
            self.assertFalse(x["stale"])
            self.assertGreater(x["expires_at"], x["checked_at"])
        self.assertEqual(self.client.get("Addresses"), sorted(WATCHED, key=lambda a: (":" in a, a)))
        self.assertEqual(self.client.get("Summary"), "fail")
        now = time.time() * 1e6
        self.assertLess(abs(self.client.get("LastRefresh") - now), 60e6)
        self.assertGreater(self.client.get("NextRefresh"), now - 2e6)

    def test_check_cached_live_forced(self):
        before = ptr_queries("10.2.0.192.in-addr.arpa")
        v = self.client.check("192.0.2.10")
        self.assertEqual((v["verdict"], v["watched"]), ("pass", True))
        self.assertEqual(ptr_queries("10.2.0.192.in-addr.arpa"), before, "served from the cache")

        before = ptr_queries("13.2.0.192.in-addr.arpa")
        v = self.client.check("192.0.2.13")
        self.assertEqual((v["verdict"], v["reasons"], v["watched"]), ("fail", ["forward-mismatch"], False))
        # a fail is confirmed by the whole check made once more (#14.5): two PTR questions
        self.assertEqual(ptr_queries("13.2.0.192.in-addr.arpa"), before + 2, "a live check")
        self.client.check("192.0.2.13")
        self.assertEqual(ptr_queries("13.2.0.192.in-addr.arpa"), before + 2, "then cached")
        self.client.check("192.0.2.13", 1)
        self.assertEqual(ptr_queries("13.2.0.192.in-addr.arpa"), before + 4, "flag 1 bypasses the cache")
        self.assertNotIn("192.0.2.13", by_address(self.client.verdicts()), "ad-hoc checks are not watched")

    def test_simultaneous_checks_share_one_lookup(self):
        before = ptr_queries("14.2.0.192.in-addr.arpa")
        results = []
        for _ in range(8):
            self.client.conn.call(dw.NAME, dw.PATH, dw.IFACE, "Check", GLib.Variant("(st)", ("192.0.2.14", 0)),
                                  None, Gio.DBusCallFlags.NONE, 30000, None,
                                  lambda c, res: results.append(c.call_finish(res).unpack()[0]))
        dw.wait_for(lambda: len(results) == 8, "8 replies")
        self.assertEqual({r["verdict"] for r in results}, {"pass"})
        self.assertEqual(ptr_queries("14.2.0.192.in-addr.arpa"), before + 1)

    def test_invalid_arguments(self):
        for args, fragment in ((("192.0.2.300", 0), "'192.0.2.300'"), (("fe80::1%eth0", 0), "zone index"),
                               (("", 0), "empty"), (("192.0.2.10", 6), "Unknown flags 0x6")):
            with self.subTest(args=args):
                with self.assertRaises(GLib.Error) as e:
                    self.client.call("Check", args, "(st)")
                self.assertEqual(dw.error_name(e.exception), "org.freedesktop.DBus.Error.InvalidArgs")
                self.assertIn(fragment, e.exception.message)
        self.assertTrue(self.client.has_owner(), "the daemon keeps running")

    def test_refresh_rechecks_and_replies_when_done(self):
        before = ptr_queries("10.2.0.192.in-addr.arpa")
        last = self.client.get("LastRefresh")
        world.unbound.flush()
        self.client.refresh()
        self.assertEqual(ptr_queries("10.2.0.192.in-addr.arpa"), before + 1)
        self.assertGreaterEqual(self.client.get("LastRefresh"), last)
        self.assertEqual(by_address(self.client.verdicts())["192.0.2.10"]["verdict"], "pass")


class Schedule(DaemonTest):
    def test_short_ttl_drives_a_recheck(self):
        self.start(config("ttl.conf", watch={"Addresses": "192.0.2.31"}))
        client = dw.Client(bus)
        v = self.settle(client)[0]
        self.assertLessEqual(v["ttl"], 2)
        first = ptr_queries("31.2.0.192.in-addr.arpa")
        # no call of ours: the expiry timer alone must re-check, twice
        dw.wait_for(lambda: ptr_queries("31.2.0.192.in-addr.arpa") >= first + 2, "two re-checks", deadline=15)


class Changes(DaemonTest):
    def test_first_non_pass_is_logged_and_pass_is_not(self):
        since = journal.mark()
        self.start(config("first.conf", watch={"Addresses": "192.0.2.11 192.0.2.10"}))
        self.settle(dw.Client(bus))
        dw.wait_for(lambda: journal.matching(since, PTRWATCH_ADDRESS="192.0.2.11"), "the no-ptr entry")
        self.assertEqual(len(journal.matching(since, PTRWATCH_ADDRESS="192.0.2.11")), 1)
        e = journal.matching(since, PTRWATCH_ADDRESS="192.0.2.11")[0]
        self.assertEqual(e["MESSAGE_ID"], ID["no-ptr"])
        self.assertEqual(e["MESSAGE"].split("; ")[0], "IP address 192.0.2.11 does not have a PTR record in DNS")
        self.assertIn("ask hostmaster@example.test", e["MESSAGE"])
        self.assertEqual((e["PTRWATCH_ZONE"], e["PTRWATCH_CONTACT"]), ("2.0.192.in-addr.arpa", "hostmaster@example.test"))
        self.assertEqual(e["PRIORITY"], "3")
        self.assertEqual(e["PTRWATCH_VERDICT"], "fail")
        self.assertEqual(e["PTRWATCH_REASONS"], "no-ptr")
        self.assertEqual(e["PTRWATCH_PTR"], "")
        self.assertEqual(journal.matching(since, PTRWATCH_ADDRESS="192.0.2.10"), [], "a first pass is not news")

    def test_zone_change_signals_and_journal(self):
        self.start(config("flip.conf", watch={"Addresses": "192.0.2.30"}))
        client = dw.Client(bus)
        self.settle(client)
        changed = client.subscribe(dw.IFACE, "VerdictChanged")
        props = client.subscribe("org.freedesktop.DBus.Properties", "PropertiesChanged")
        since = journal.mark()
        original = world.primary.zone_text("example.test.zone")
        self.addCleanup(lambda: (world.primary.replace_zone("example.test.zone", original), world.unbound.flush()))

        world.primary.replace_zone("example.test.zone", original.replace(
            "flip30               IN A    192.0.2.30", "flip30               IN A    192.0.2.99"))
        world.unbound.flush()
        client.refresh()
        dw.wait_for(lambda: changed, "VerdictChanged")
        self.assertEqual(changed[0], ("192.0.2.30", "pass", "fail", ["forward-mismatch"]))
        dw.wait_for(lambda: any(p[1].get("Summary") == "fail" for p in props), "PropertiesChanged Summary=fail")
        dw.wait_for(lambda: journal.matching(since, PTRWATCH_ADDRESS="192.0.2.30"), "the journal entry")
        e = journal.matching(since, PTRWATCH_ADDRESS="192.0.2.30")
        self.assertEqual(len(e), 1)
        self.assertEqual((e[0]["MESSAGE_ID"], e[0]["PRIORITY"], e[0]["PTRWATCH_VERDICT"], e[0]["PTRWATCH_REASONS"],
                          e[0]["PTRWATCH_PTR"]),
                         (ID["forward-mismatch"], "3", "fail", "forward-mismatch", "flip30.example.test"))

        # a re-check with the same result is no transition: no entry, no signal
        world.unbound.flush()
        client.refresh()
        self.assertEqual(len(journal.matching(since, PTRWATCH_ADDRESS="192.0.2.30")), 1)
        self.assertEqual(len(changed), 1)

        world.primary.replace_zone("example.test.zone", original)
        world.unbound.flush()
        client.refresh()
        dw.wait_for(lambda: len(changed) == 2, "the second VerdictChanged")
        self.assertEqual(changed[1], ("192.0.2.30", "fail", "pass", []))
        dw.wait_for(lambda: len(journal.matching(since, PTRWATCH_ADDRESS="192.0.2.30")) >= 2, "the recovery entry")
        e = journal.matching(since, PTRWATCH_ADDRESS="192.0.2.30")
        self.assertEqual([x["MESSAGE_ID"] for x in e], [ID["forward-mismatch"], ID["recovered"]])
        self.assertEqual(e[1]["PRIORITY"], "5")


class Stale(DaemonTest):
    def restart_unbound(self):
        world.unbound.start()

    def test_resolver_stopped_keeps_verdicts_stale_then_recovers(self):
        self.start(config("stale.conf", watch={"Addresses": "192.0.2.10"}, cache={"ServeStale": "1h"}))
        client = dw.Client(bus)
        self.settle(client)
        since = journal.mark()
        world.unbound.stop()
        self.addCleanup(lambda: world.unbound.proc.poll() is None or self.restart_unbound())
        client.refresh()
        v = by_address(client.verdicts())["192.0.2.10"]
        self.assertEqual((v["verdict"], v["stale"], v["confirmed"]), ("pass", True, ["mail.example.test"]))
        self.assertEqual(client.get("Summary"), "pass")
        self.assertEqual(journal.matching(since, PTRWATCH_ADDRESS="192.0.2.10"), [], "no alert while stale")
        self.restart_unbound()
        client.refresh()
        v = by_address(client.verdicts())["192.0.2.10"]
        self.assertEqual((v["verdict"], v["stale"]), ("pass", False))

    def test_serve_stale_runs_out_then_recovers(self):
        since = journal.mark()
        self.start(config("stale2.conf", watch={"Addresses": "2001:db8::25"}, cache={"ServeStale": "2s"}))
        client = dw.Client(bus)
        self.settle(client)
        world.unbound.stop()
        self.addCleanup(lambda: world.unbound.proc.poll() is None or self.restart_unbound())
        client.refresh()
        self.assertTrue(by_address(client.verdicts())["2001:db8::25"]["stale"])
        # the timer turns it into a temperror when ServeStale= runs out, unasked
        v = wait_verdict(client, "2001:db8::25", lambda v: v["verdict"] == "temperror", "temperror", deadline=15)
        self.assertIn(v["reasons"][0], ("timeout", "servfail"))
        dw.wait_for(lambda: journal.matching(since, PTRWATCH_ADDRESS="2001:db8::25", MESSAGE_ID=ID["dns-unreachable"]),
                    "the dns-unreachable entry")
        self.restart_unbound()
        client.refresh()
        self.assertEqual(by_address(client.verdicts())["2001:db8::25"]["verdict"], "pass")
        dw.wait_for(lambda: len(journal.matching(since, PTRWATCH_ADDRESS="2001:db8::25")) >= 2, "the recovery entry")
        ids = [e["MESSAGE_ID"] for e in journal.matching(since, PTRWATCH_ADDRESS="2001:db8::25")]
        self.assertEqual(ids, [ID["dns-unreachable"], ID["recovered"]], "one entry per transition")


class Persistence(DaemonTest):
    def state_dir(self):
        return tempfile.mkdtemp(dir=world.root)

    def test_restart_answers_before_any_dns_query(self):
        state = self.state_dir()
        conf = config("persist.conf")
        d = self.start(conf, state_dir=state)
        first = {a: (v["verdict"], v["checked_at"]) for a, v in by_address(self.settle(dw.Client(bus))).items()}
        self.assertEqual(self._stop(d), 0)
        self.assertTrue(os.path.exists(os.path.join(state, "verdicts")))

        before = all_queries()
        self.start(conf, state_dir=state, name="second")
        client = dw.Client(bus)
        got = {a: (v["verdict"], v["checked_at"]) for a, v in by_address(client.verdicts()).items()}
        self.assertEqual(got, first, "the persisted verdicts, with their check times")
        self.assertEqual(all_queries(), before, "answered before any DNS query (unbound's own log)")

    def test_corrupt_state_files_are_moved_aside(self):
        conf = config("corrupt.conf", watch={"Addresses": "192.0.2.10"})
        good = ("ptrwatch-state 1\n192.0.2.10\tpass\t\tmail.example.test\tmail.example.test\t600000000\t"
                f"{int(time.time() * 1e6)}\t{int(time.time() * 1e6) + 600000000}\tok\nend 1\n")
        cases = {
            "garbage": b"\x00\x01binary garbage\xff",
            "empty": b"",
            "truncated": good[:len(good) // 2].encode(),
            "foreign": b"[Unit]\nDescription=not ours\n",
            "bad count": good.replace("end 1", "end 2").encode(),
        }
        for what, content in cases.items():
            with self.subTest(what):
                state = self.state_dir()
                with open(os.path.join(state, "verdicts"), "wb") as f:
                    f.write(content)
                d = self.start(conf, state_dir=state, name=what.replace(" ", "-"))
                client = dw.Client(bus)
                v = self.settle(client)[0]
                self.assertEqual(v["verdict"], "pass", "checked afresh")
                self.assertEqual(len(glob.glob(os.path.join(state, "verdicts.corrupt-*"))), 1)
                self.assertIn("moved aside", d.stderr())
                self.assertEqual(self._stop(d), 0)

    def test_check_time_in_the_future_is_rechecked(self):
        state = self.state_dir()
        future = int(time.time() * 1e6) + 3600 * 10**6
        with open(os.path.join(state, "verdicts"), "w") as f:
            f.write("ptrwatch-state 1\n192.0.2.10\tfail\tno-ptr\t\t\t600000000\t"
                    f"{future}\t{future + 600000000}\tfrom the future\nend 1\n")
        before = ptr_queries("10.2.0.192.in-addr.arpa")
        self.start(config("future.conf", watch={"Addresses": "192.0.2.10"}), state_dir=state)
        client = dw.Client(bus)
        wait_verdict(client, "192.0.2.10", lambda v: v["verdict"] == "pass", "a fresh pass")
        self.assertGreater(ptr_queries("10.2.0.192.in-addr.arpa"), before)


class Policy(DaemonTest):
    def setUp(self):
        self.start(config("policy.conf"))
        self.settle(dw.Client(bus))

    def test_nobody_reads_but_may_not_refresh(self):
        r = dw.as_nobody(bus, """
out = {}
out['verdicts'] = call('GetVerdicts')
out['summary'] = call('Get', GLib.Variant('(ss)', ('org.ptrwatch.PtrWatch1.Manager', 'Summary')),
                      'org.freedesktop.DBus.Properties')
out['cached'] = call('Check', GLib.Variant('(st)', ('192.0.2.10', 0)))
out['forced'] = call('Check', GLib.Variant('(st)', ('192.0.2.10', 1)))
out['explain'] = call('Explain', GLib.Variant('(s)', ('192.0.2.10',)))
out['refresh'] = call('Refresh')
print(json.dumps(out))
""")
        self.assertTrue(r["verdicts"]["ok"], r["verdicts"])
        self.assertEqual(len(r["verdicts"]["value"][0]), len(WATCHED))
        self.assertEqual(r["summary"]["value"], ["fail"])
        self.assertTrue(r["cached"]["ok"])
        self.assertTrue(r["explain"]["ok"], r["explain"])    # a live check, rate-limited, for anyone
        self.assertEqual(r["forced"]["error"], "org.freedesktop.DBus.Error.AccessDenied")
        self.assertEqual(r["refresh"]["error"], "org.freedesktop.DBus.Error.AccessDenied")

    def test_live_checks_are_rate_limited_per_sender(self):
        before = all_queries()
        r = dw.as_nobody(bus, """
out = []
for i in range(100, 115):
    out.append(call('Check', GLib.Variant('(st)', ('192.0.2.%d' % i, 0))))
cached = [call('Check', GLib.Variant('(st)', ('192.0.2.10', 0))) for _ in range(30)]
print(json.dumps({'live': out, 'cached': cached}))
""")
        ok = [x for x in r["live"] if x["ok"]]
        limited = [x for x in r["live"] if not x["ok"]]
        self.assertEqual(len(ok), 10)
        self.assertEqual({x["error"] for x in limited}, {"org.ptrwatch.PtrWatch1.Error.RateLimited"})
        self.assertIn("Too many live checks", limited[0]["message"])
        self.assertTrue(all(x["ok"] for x in r["cached"]), "cached answers are not limited")
        # each of the 10 has no PTR: one question, and the same once more before
        # a no-ptr counts (#14.5), and the NS of the zone its SOA named (#13,
        # who can fix it): 3 each, and nothing for the refused ones
        self.assertLessEqual(all_queries() - before, 3 * 10, "the query rate is bounded at the resolver")
        # root is never limited
        client = dw.Client(bus)
        for i in range(120, 135):
            client.check(f"192.0.2.{i}")


class Discovery(DaemonTest):
    def ip(self, *args):
        subprocess.run(["ip"] + list(args), check=True, capture_output=True)

    def test_route_discovery_follows_address_changes(self):
        # a veth pair inside our private namespace: routes, no way out
        self.ip("link", "add", "pw0", "type", "veth", "peer", "name", "pw1")
        self.addCleanup(self.ip, "link", "del", "pw0")
        self.ip("link", "set", "pw0", "up")
        self.ip("link", "set", "pw1", "up")
        self.ip("addr", "add", "192.0.2.10/24", "dev", "pw0")
        self.ip("route", "add", "default", "via", "192.0.2.1")
        d = self.start(config("route.conf", watch={"Addresses": "", "Discover": "route",
                                                   "RouteProbes": "198.41.0.4"}))
        client = dw.Client(bus)
        self.assertEqual(client.get("Addresses"), ["192.0.2.10"])
        self.assertEqual(self.settle(client)[0]["verdict"], "pass")
        props = client.subscribe("org.freedesktop.DBus.Properties", "PropertiesChanged")

        self.ip("addr", "del", "192.0.2.10/24", "dev", "pw0")
        self.ip("addr", "add", "192.0.2.30/24", "dev", "pw0")
        self.ip("route", "replace", "default", "via", "192.0.2.1")
        dw.wait_for(lambda: any(p[1].get("Addresses") == ["192.0.2.30"] for p in props),
                    "Addresses to follow the new address (rtnetlink, no polling)")
        wait_verdict(client, "192.0.2.30", lambda v: v["verdict"] == "pass", "a verdict for the new address")

        self.ip("addr", "flush", "dev", "pw0")
        self.ip("addr", "add", "10.0.0.5/24", "dev", "pw0")
        self.ip("route", "replace", "default", "via", "10.0.0.1")
        dw.wait_for(lambda: client.get("Addresses") == [], "a private address not to be watched")
        dw.wait_for(lambda: "behind NAT" in d.stderr(), "the behind-NAT note")


class DnsDiscovery(DaemonTest):
    def whoami(self, answer):
        w = dnsworld.WhoamiServer(answer)
        self.addCleanup(w.stop)
        return w

    def test_three_styles_agree(self):
        opendns, google, cloudflare = self.whoami("192.0.2.10"), self.whoami("192.0.2.10"), self.whoami("192.0.2.10")
        sources = (f"myip.opendns.test/A@127.0.0.1:{opendns.port} o-o.myaddr.test/TXT@127.0.0.1:{google.port} "
                   f"whoami.cloudflare.test/TXT/CH@127.0.0.1:{cloudflare.port}")
        d = self.start(config("whoami.conf", watch={"Addresses": "", "Discover": "dns", "Whoami": sources}))
        client = dw.Client(bus)
        dw.wait_for(lambda: client.get("Addresses") == ["192.0.2.10"], "the address the whoami sources see")
        self.assertEqual(self.settle(client)[0]["verdict"], "pass")
        self.assertEqual(opendns.questions[0], ("myip.opendns.test", 1, 1))             # A, IN
        self.assertEqual(google.questions[0], ("o-o.myaddr.test", 16, 1))               # TXT, IN
        self.assertEqual(cloudflare.questions[0], ("whoami.cloudflare.test", 16, 3))    # TXT, CH
        self.assertNotIn("disagree", d.stderr())
        # Refresh asks them again and waits for the answers
        asked = len(opendns.questions)
        client.refresh()
        self.assertEqual(len(opendns.questions), asked + 1)

    def test_disagreement_is_reported(self):
        a, b = self.whoami("192.0.2.10"), self.whoami("192.0.2.30")
        sources = f"one.test/A@127.0.0.1:{a.port} two.test/TXT@127.0.0.1:{b.port}"
        d = self.start(config("disagree.conf", watch={"Addresses": "", "Discover": "dns", "Whoami": sources}))
        client = dw.Client(bus)
        dw.wait_for(lambda: client.get("Addresses") == ["192.0.2.10", "192.0.2.30"], "both addresses watched")
        dw.wait_for(lambda: "whoami sources disagree" in d.stderr(), "the disagreement said")

    def test_reload_during_a_whoami_round(self):
        # a source that never answers keeps the round open for Timeout=
        sources = f"slow.test/A@127.0.0.1:{world.silent.port}"
        conf = config("whoami-reload.conf", watch={"Addresses": "192.0.2.10", "Discover": "dns", "Whoami": sources},
                      resolver={"Timeout": "3s"})
        d = self.start(conf)
        client = dw.Client(bus)
        refreshed = []
        client.conn.call(dw.NAME, dw.PATH, dw.IFACE, "Refresh", None, None, Gio.DBusCallFlags.NONE, 60000, None,
                         lambda c, res: refreshed.append(c.call_finish(res)))
        # mid-round: a reload that keeps dns, then one that drops it
        d.proc.send_signal(signal.SIGHUP)
        dw.wait_for(lambda: d.stderr().count("reloaded") >= 1, "the first reload")
        with open(conf, "a") as f:
            f.write("[Watch]\nDiscover=none\n")
        d.proc.send_signal(signal.SIGHUP)
        dw.wait_for(lambda: refreshed, "the Refresh begun before the reloads to be answered")
        self.assertIsNone(d.proc.poll())
        self.assertEqual(client.get("Addresses"), ["192.0.2.10"])

    def test_unanswered_or_private_answers_are_not_watched(self):
        private = self.whoami("10.1.2.3")
        sources = f"one.test/A@127.0.0.1:{private.port} two.test/A@127.0.0.1:{world.silent.port}"
        d = self.start(config("whoami-bad.conf", watch={"Addresses": "192.0.2.10", "Discover": "dns",
                                                         "Whoami": sources}))
        client = dw.Client(bus)
        dw.wait_for(lambda: "not a public address" in d.stderr(), "the private answer refused")
        client.refresh()
        self.assertEqual(client.get("Addresses"), ["192.0.2.10"])


class Service(DaemonTest):
    def test_notify_watchdog_and_clean_stop(self):
        state = tempfile.mkdtemp(dir=world.root)
        d = self.start(config("notify.conf"), state_dir=state, env={"WATCHDOG_USEC": "400000"})
        dw.wait_for(lambda: d.notify.seen("WATCHDOG=1"), "WATCHDOG=1")
        self.assertTrue(d.notify.seen("STATUS="))
        self.settle(dw.Client(bus))
        d.proc.send_signal(signal.SIGTERM)
        self.assertEqual(d.proc.wait(20), 0)
        dw.wait_for(lambda: d.notify.seen("STOPPING=1"), "STOPPING=1")
        with open(os.path.join(state, "verdicts")) as f:
            self.assertEqual(f.readline(), "ptrwatch-state 2\n")

    def test_sighup_rereads_the_configuration(self):
        conf = config("hup.conf", watch={"Addresses": "192.0.2.17"})
        d = self.start(conf)
        client = dw.Client(bus)
        self.assertEqual(self.settle(client)[0]["verdict"], "pass")
        with open(conf, "a") as f:
            f.write("[Watch]\nHeloName=mail.example.test\n")
        d.proc.send_signal(signal.SIGHUP)
        v = wait_verdict(client, "192.0.2.17", lambda v: v["verdict"] == "warn", "warn after SIGHUP")
        self.assertEqual(v["reasons"], ["helo-mismatch"])
        # a broken file: the daemon says why and keeps the running configuration
        with open(conf, "a") as f:
            f.write("[Cache]\nMinTTL=whenever\n")
        d.proc.send_signal(signal.SIGHUP)
        dw.wait_for(lambda: "Not reloading" in d.stderr(), "the refusal")
        self.assertIn("hup.conf:", d.stderr())
        self.assertTrue(client.has_owner())

    def test_bus_gone_means_exit_nonzero(self):
        own_bus = dw.Bus(tempfile.mkdtemp(dir=world.root)).start()
        d = dw.Daemon(world.root, own_bus, config("gone.conf"), name="gone").start()
        own_bus.stop()
        self.assertNotEqual(d.proc.wait(20), 0, "so that systemd restarts it")
        d.stop()

    def test_bad_configuration_stops_with_file_and_line(self):
        bad = os.path.join(world.root, "garbage.conf")
        with open(bad, "w") as f:
            f.write("[Watch]\nAddresses=192.0.2.10\n\x7fgarbage without equals\n")
        d = dw.Daemon(world.root, bus, bad, name="garbage")
        d.start(wait_ready=False)
        self.assertEqual(d.proc.wait(20), 1)
        self.assertIn(f"{bad}:3: expected KEY=VALUE", d.stderr())
        d.stop()

    def test_session_bus_with_user(self):
        session = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.addCleanup(lambda: (dnsworld.stop_process(session), session.stdout.close()))
        address = session.stdout.readline().strip()
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=address)
        env.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
        notify = dw.Notify(os.path.join(world.root, f"user-notify-{time.monotonic_ns()}"))
        with open(os.path.join(world.root, "user.stderr"), "w") as err:
            d = subprocess.Popen([dw.PTRWATCHD, "--user", "--config", config("user.conf"),
                                  "--state-dir", tempfile.mkdtemp(dir=world.root)],
                                 env=dict(env, NOTIFY_SOCKET=notify.path), stdout=subprocess.DEVNULL, stderr=err)
        self.addCleanup(lambda: (d.poll() is None and d.terminate(), d.wait(), notify.close()))
        dw.wait_for(lambda: notify.seen("READY=1") or d.poll() is not None, "READY=1 on the session bus")
        self.assertIsNone(d.poll())
        ptrwatch = os.path.join(os.path.dirname(os.path.dirname(dw.PTRWATCHD)), "client", "ptrwatch")
        dw.wait_for(lambda: '"unknown"' not in subprocess.run([ptrwatch, "--user", "--json", "status"], env=env,
                                                              capture_output=True, text=True).stdout, "verdicts")
        p = subprocess.run([ptrwatch, "--user", "status"], env=env, capture_output=True, text=True)
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("4 addresses: 3 pass, 1 fail", p.stdout)
        # on the session bus the caller is the daemon's own user: refresh is allowed
        self.assertEqual(subprocess.run([ptrwatch, "--user", "refresh"], env=env, capture_output=True).returncode, 2)
        # and the system bus (none here) is not what --user talks to
        p = subprocess.run([ptrwatch, "status"], capture_output=True, text=True,
                           env=dict(env, DBUS_SYSTEM_BUS_ADDRESS="unix:path=/nonexistent"))
        self.assertEqual(p.returncode, 3)

    def test_catalog_compiles(self):
        root = tempfile.mkdtemp(dir=world.root)
        os.makedirs(os.path.join(root, "usr/lib/systemd/catalog"))
        subprocess.run(["cp", os.path.join(dw.SOURCE, "systemd", "ptrwatch.catalog"),
                        os.path.join(root, "usr/lib/systemd/catalog/")], check=True)
        subprocess.run(["journalctl", f"--root={root}", "--update-catalog"], check=True, capture_output=True)
        out = subprocess.run(["journalctl", f"--root={root}", "--list-catalog"], check=True,
                             capture_output=True, text=True).stdout
        ids = set(re.findall(r"^([0-9a-f]{32}) ptrwatch:", out, re.M))
        with open(os.path.join(dw.SOURCE, "daemon", "watch", "alert.c")) as f:
            in_code = set(re.findall(r'"([0-9a-f]{32})"', f.read()))
        self.assertEqual(len(in_code), 12)
        self.assertEqual(ids, in_code, "every MESSAGE_ID the daemon uses is explained")


def setUpModule():
    global world, bus, journal
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
