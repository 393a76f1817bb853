#!/usr/bin/python3
"""The Cockpit page in a real browser: Debian's cockpit-ws and cockpit-bridge
serving the page from a `meson install` into a temporary DESTDIR, headless
Chromium driven over the DevTools protocol, the real ptrwatchd on a private
system bus, the test DNS. All in private network and mount namespaces; a
fresh cockpit-ws per test, its bridge on a private session bus of its own."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnsworld  # noqa: E402

if __name__ == "__main__":
    dnsworld.isolate(mount=True)

import browser  # noqa: E402
import daemonworld as dw  # noqa: E402

BUILD = os.environ["MESON_BUILD"]
COCKPIT_WS = os.environ.get("COCKPIT_WS", "/usr/lib/cockpit/cockpit-ws")
# Where the screenshots go (README shows them: PTRWATCH_SCREENSHOTS=doc).
SCREENSHOTS = os.environ.get("PTRWATCH_SCREENSHOTS", BUILD)
SCREENSHOT = os.path.join(SCREENSHOTS, "cockpit-ptrwatch.png")
SCREENSHOT_EXPLAIN = os.path.join(SCREENSHOTS, "cockpit-ptrwatch-explain.png")
WATCHED = {"192.0.2.10": "pass", "192.0.2.11": "fail", "192.0.2.30": "warn", "2001:db8::25": "pass"}
NOBODY = 65534
FRAME = "cockpit1:localhost/ptrwatch"
world = bus = daemon = dest = chromium = None

# The page's document, whether it is the top one or the shell's iframe.
DOC = f"(document.querySelector('iframe[name=\"{FRAME}\"]')?.contentDocument || document)"


def start_daemon():
    global daemon
    conf = world.config("cockpit.conf", Watch={"Addresses": " ".join(WATCHED), "Discover": "none",
                                                "HeloName": "mail.example.test"},
                        Resolver={"Timeout": "1s"})
    daemon = dw.Daemon(world.root, bus, conf).start()
    dw.wait_for(lambda: all(v["verdict"] != "unknown" for v in dw.Client(bus).verdicts()), "verdicts")


class CockpitWs:
    """cockpit-ws on 127.0.0.1 with a local session: no login, the bridge
    started by it as user, with its own session bus (dbus-run-session)."""

    def __init__(self, user=None):
        self.dir = tempfile.mkdtemp(prefix="ptrwatch-cockpit-")
        os.chmod(self.dir, 0o755)
        home = os.path.join(self.dir, "home")
        os.makedirs(home)
        setpriv = ""
        if user is not None:
            os.chown(home, user, user)
            setpriv = f"setpriv --reuid={user} --regid={user} --clear-groups "
        bridge = os.path.join(self.dir, "bridge")
        with open(bridge, "w") as f:
            f.write("#!/bin/sh\n"
                    f"export HOME={home} XDG_RUNTIME_DIR={home}\n"
                    f"exec {setpriv}dbus-run-session -- cockpit-bridge\n")
        os.chmod(bridge, 0o755)
        self.port = dnsworld.free_port(dnsworld.socket.SOCK_STREAM)
        env = dict(os.environ, XDG_DATA_DIRS=os.path.join(dest, "usr/share") + ":/usr/share",
                   DBUS_SYSTEM_BUS_ADDRESS=bus.address, LANG="C.UTF-8", LC_ALL="C.UTF-8")
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        self.log = open(os.path.join(self.dir, "ws.log"), "w+")
        self.proc = subprocess.Popen([COCKPIT_WS, "--no-tls", "--local-session=" + bridge,
                                      "--address=127.0.0.1", f"--port={self.port}"],
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        dnsworld.wait_until(lambda: dnsworld.tcp_listening(self.port), "cockpit-ws listening")

    def group_alive(self):
        try:
            os.killpg(self.proc.pid, 0)
            return True
        except ProcessLookupError:
            return False

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        """cockpit-ws and all it started: the bridge, dbus-run-session and its
        bus daemon, which outlives a dbus-run-session that is killed."""
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        dnsworld.stop_process(self.proc)
        dnsworld.wait_until(lambda: not self.group_alive(), "cockpit-ws's processes to end")
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class PageTest(unittest.TestCase):
    """A fresh cockpit-ws and a new tab on the page for each test."""
    bridge_user = None
    in_shell = False

    def setUp(self):
        self.ws = CockpitWs(self.bridge_user)
        self.addCleanup(self.ws.stop)
        chromium.events.clear()
        chromium.open(self.ws.url("/ptrwatch" if self.in_shell else "/cockpit/@localhost/ptrwatch/index.html"))
        self.addCleanup(self.no_exceptions)
        self.wait("!d.getElementById('app').hasAttribute('aria-busy')", "the page loaded", deadline=30)

    def no_exceptions(self):
        self.assertEqual(chromium.exceptions(), [], "JavaScript exceptions or console errors")

    def js(self, body):
        """Evaluate body with d = the page's document."""
        return chromium.evaluate(f"(() => {{ const d = {DOC}; return {body}; }})()")

    def wait(self, body, what, deadline=20):
        try:
            return chromium.wait(f"(() => {{ const d = {DOC}; if (!d || !d.getElementById('app')) return false; "
                                 f"const v = {body}; return v instanceof d.defaultView.Node ? true : v; }})()", what, deadline)
        except TimeoutError:
            # what the page showed instead, and what cockpit-ws said
            self.ws.log.seek(0)
            print("page:", self.js("d.body ? d.body.innerText : ''"), "\nevents:", chromium.exceptions(),
                  "\ncockpit-ws:", self.ws.log.read()[-3000:], file=sys.stderr)
            raise

    def rows(self):
        return self.js("Object.fromEntries(Array.from(d.querySelectorAll('#verdicts tbody tr'))"
                       ".map(tr => [tr.dataset.address, tr.dataset.verdict]))")

    def row_text(self, address):
        return self.js(f"Array.from(d.querySelectorAll('#verdicts tbody tr[data-address=\"{address}\"] > *'))"
                       ".map(c => c.innerText.trim())")

    def click(self, selector):
        self.js(f"(d.querySelector({json.dumps(selector)}).click(), true)")

    def check(self, address, force=False):
        self.js(f"(d.getElementById('check-address').value = {json.dumps(address)}, "
                f"d.getElementById('check-force').checked = {json.dumps(force)}, "
                "d.getElementById('check-result').replaceChildren(), "
                "d.getElementById('check-submit').click(), true)")
        self.wait("d.querySelector('#check-result .pw-result, #check-result .pw-error')", "the check's result")
        return self.js("(() => { const r = d.querySelector('#check-result > *'); "
                       "return {verdict: r.dataset.verdict || null, error: r.dataset.error || null, "
                       "text: r.innerText, invalid: d.getElementById('check-address').getAttribute('aria-invalid')}; })()")

    def press(self, key, code, keycode, text=None):
        """A real key press, to the focused element (text: what it types)."""
        down = {"type": "keyDown", "key": key, "code": code, "windowsVirtualKeyCode": keycode}
        if text:
            down["text"] = text
        chromium.send("Input.dispatchKeyEvent", down)
        chromium.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": key, "code": code,
                                                 "windowsVirtualKeyCode": keycode})


class InTheShell(PageTest):
    in_shell = True

    def test_menu_entry_rows_and_screenshot(self):
        nav = chromium.wait("Array.from(document.querySelectorAll('nav a')).find(a => "
                            "a.innerText.trim() === 'Reverse DNS')?.getAttribute('href') || ''",
                            "the menu entry")
        self.assertIn("ptrwatch", nav)
        self.wait("d.querySelectorAll('#verdicts tbody tr').length === 4", "four rows")
        self.assertEqual(self.rows(), WATCHED)
        self.assertEqual(self.js("d.getElementById('summary').dataset.verdict"), "fail")
        self.assertEqual(self.js("d.getElementById('count').innerText"), "4")
        # the problem first, then by address
        self.assertEqual(self.js("Array.from(d.querySelectorAll('#verdicts tbody tr')).map(t => t.dataset.address)"),
                         ["192.0.2.11", "192.0.2.30", "192.0.2.10", "2001:db8::25"])
        address, verdict, ptr, helo, sources, nxt = self.row_text("192.0.2.10")
        self.assertEqual((address, verdict, ptr, helo, sources), ("192.0.2.10", "Pass", "mail.example.test",
                                                                  "mail.example.test", "static"))
        self.assertRegex(nxt, r"^in \d+ (s|min|h)$")
        self.assertEqual(self.row_text("192.0.2.11")[1:3], ["Fail\nno-ptr", "none"])
        self.assertEqual(self.js("d.querySelector('tr[data-address=\"192.0.2.10\"]').dataset.stale"), "false")
        chromium.screenshot(SCREENSHOT, 1280, 860)
        with open(SCREENSHOT, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")


class Live(PageTest):
    def test_zone_change_shows_without_reload(self):
        self.wait("d.querySelectorAll('#verdicts tbody tr').length === 4", "four rows")
        self.js("(window.notReloaded = true)")
        original = world.primary.zone_text("example.test.zone")
        flipped = original.replace("flip30               IN A    192.0.2.30", "flip30               IN A    192.0.2.99")
        self.assertNotEqual(flipped, original)
        self.addCleanup(lambda: (world.primary.replace_zone("example.test.zone", original), world.unbound.flush(),
                                 dw.Client(bus).refresh()))
        world.primary.replace_zone("example.test.zone", flipped)
        world.unbound.flush()
        dw.Client(bus).refresh()        # not through the page: the page only listens
        self.wait("d.querySelector('tr[data-address=\"192.0.2.30\"]')?.dataset.verdict === 'fail'", "the row to fail")
        self.assertIn("forward-mismatch", self.row_text("192.0.2.30")[1])
        self.assertTrue(self.js("window.notReloaded === true"), "the page was not reloaded")

        world.primary.replace_zone("example.test.zone", original)
        world.unbound.flush()
        dw.Client(bus).refresh()
        self.wait("d.querySelector('tr[data-address=\"192.0.2.30\"]')?.dataset.verdict === 'warn'", "the recovery")
        self.assertTrue(self.js("window.notReloaded === true"))


class Forms(PageTest):
    def test_check_form(self):
        r = self.check("192.0.2.11")
        self.assertEqual((r["verdict"], r["error"]), ("fail", None))
        self.assertIn("does not have a PTR record", r["text"])
        self.assertIn("no-ptr", r["text"])
        r = self.check("203.0.113.10")      # confirmed, but not the HELO name
        self.assertEqual(r["verdict"], "warn")
        self.assertIn("helo-mismatch", r["text"])
        self.assertIn("cl10.example.test", r["text"])
        r = self.check("192.0.2.300")
        self.assertEqual((r["verdict"], r["error"], r["invalid"]),
                         (None, "org.freedesktop.DBus.Error.InvalidArgs", "true"))
        self.assertIn("192.0.2.300", r["text"])
        self.assertTrue(r["text"].startswith("Not accepted: "), r["text"])
        r = self.check("2001:db8::25", force=True)      # root may bypass the cache
        self.assertEqual(r["verdict"], "pass")
        self.assertNotEqual(r["invalid"], "true", "a good address clears the mark")

    def test_empty_address_is_explained_without_a_call(self):
        self.js("(d.getElementById('check-address').value = '  ', d.getElementById('check-submit').click(), true)")
        self.assertIn("Enter an IPv4 or IPv6 address", self.js("d.getElementById('check-result').innerText"))
        self.assertEqual(self.js("d.activeElement.id"), "check-address")

    def test_refresh_as_root(self):
        before = dw.Client(bus).get("LastRefresh")
        self.click("#refresh")
        self.wait("d.querySelector('#refresh-status.pw-success')", "the refresh to finish", deadline=60)
        self.assertIn("Refreshed at", self.js("d.getElementById('refresh-status').innerText"))
        self.assertGreater(dw.Client(bus).get("LastRefresh"), before)
        self.assertFalse(self.js("d.getElementById('refresh').disabled"))

    def test_explain_view_by_keyboard(self):
        self.wait("d.querySelector('tr[data-address=\"192.0.2.11\"] button')", "the row")
        self.js("(d.querySelector('tr[data-address=\"192.0.2.11\"] button').focus(), true)")
        self.press("Enter", "Enter", 13, "\r")
        self.wait("d.querySelector('#explain-body table')", "the explanation", deadline=30)
        self.assertEqual(self.js("d.getElementById('explain').dataset.address"), "192.0.2.11")
        self.assertEqual(self.js("d.activeElement.id"), "explain", "focus moves to the details")
        self.assertTrue(self.js("d.querySelector('tr[data-address=\"192.0.2.11\"]').classList.contains('pw-selected')"))
        ask = self.js("d.querySelector('#explain-body .pw-ask').innerText")
        self.assertIn("hostmaster@example.test", ask)
        self.assertIn("PTR record for 11.2.0.192.in-addr.arpa", ask)
        authority = self.js("d.querySelector('#explain-body .pw-authority').innerText")
        self.assertIn("2.0.192.in-addr.arpa", authority)
        self.assertIn("ns.example.test", authority)
        receivers = self.js("Object.fromEntries(Array.from(d.querySelectorAll('#explain-body tr[data-receiver]'))"
                            ".map(tr => [tr.dataset.receiver, [tr.dataset.action, tr.cells[1].innerText, "
                            "tr.cells[2].innerText]]))")
        self.assertEqual(receivers["gmail"][0], "reject")
        self.assertIn("550 5.7.25", receivers["gmail"][1])
        self.assertIn("support.google.com", receivers["gmail"][2])
        self.assertEqual(receivers["postfix-unknown-client"][0], "tempfail")
        self.assertIn("RDNS_NONE", receivers["spamassassin"][1])
        lookups = self.js("Array.from(d.querySelectorAll('#explain-body table')[1].tBodies[0].rows)"
                          ".map(tr => tr.cells[0].innerText + ' ' + tr.cells[1].innerText + ' ' + tr.cells[2].innerText)")
        self.assertIn("PTR 11.2.0.192.in-addr.arpa nxdomain (rcode 3)", lookups)
        chromium.screenshot(SCREENSHOT_EXPLAIN, 1100, 700, full_page=True)
        self.addCleanup(chromium.send, "Emulation.clearDeviceMetricsOverride")
        self.press("Escape", "Escape", 27)
        self.assertTrue(self.js("d.getElementById('explain').hidden"))

    def test_explain_from_a_check_of_any_address(self):
        self.check("203.0.113.10")
        self.click("#check-result .pw-result button")
        self.wait("d.querySelector('#explain-body table')", "the explanation", deadline=30)
        self.assertEqual(self.js("d.querySelector('#explain-body .pw-explain-verdict').innerText"),
                         "203.0.113.10 Warning (helo-mismatch)")
        # the HELO name is not a PTR name: the holder of the classless zone is asked for one
        self.assertIn("dns-admin@customer.example", self.js("d.querySelector('#explain-body .pw-ask').innerText"))
        self.assertIn("RFC 2317", self.js("d.querySelector('#explain-body .pw-authority').innerText"))
        self.assertIn("cl10.example.test", self.js("d.getElementById('explain-body').innerText"))


class Unprivileged(PageTest):
    """The bridge as nobody: reading and explaining work; Refresh is denied
    and the page says how to grant it; live checks hit the rate limit."""
    bridge_user = NOBODY

    def test_refresh_denied_with_the_policy_to_grant_it(self):
        self.wait("d.querySelectorAll('#verdicts tbody tr').length === 4", "four rows")
        self.assertEqual(self.rows(), WATCHED)
        self.click("#refresh")
        self.wait("d.querySelector('#refresh-status.pw-danger')", "the refusal")
        text = self.js("d.getElementById('refresh-status').innerText")
        self.assertIn("Access denied", text)
        self.assertIn('<policy user="nobody">', text)
        self.assertIn('send_member="Refresh"', text)
        self.assertIn("/etc/dbus-1/system.d/ptrwatch-nobody.conf", text)

    def test_forced_check_denied_and_live_checks_limited(self):
        r = self.check("192.0.2.10", force=True)
        self.assertEqual(r["error"], "org.freedesktop.DBus.Error.AccessDenied")
        self.click("tr[data-address=\"192.0.2.11\"] button")     # Explain: anyone, one live check
        self.wait("d.querySelector('#explain-body table')", "the explanation as nobody", deadline=30)
        seen = []
        for i in range(60, 75):
            seen.append(self.check(f"192.0.2.{i}"))
            if seen[-1]["error"]:
                break
        self.assertEqual(seen[-1]["error"], "org.ptrwatch.PtrWatch1.Error.RateLimited")
        self.assertIn("10 at once, then one every 6 seconds", seen[-1]["text"])
        self.assertTrue(all(s["verdict"] for s in seen[:-1]))
        self.assertEqual(self.check("192.0.2.10")["verdict"], "pass", "cached answers are never limited")


class DaemonGone(PageTest):
    def test_says_so_and_comes_back_by_itself(self):
        self.wait("d.querySelectorAll('#verdicts tbody tr').length === 4", "four rows")
        self.js("(window.notReloaded = true)")
        daemon.stop()
        self.addCleanup(lambda: daemon.proc.poll() is None or start_daemon())
        self.wait("!d.getElementById('absent').hidden", "the page to say ptrwatchd is gone")
        text = self.js("d.getElementById('absent').innerText")
        self.assertIn("ptrwatchd is not running", text)
        self.assertIn("systemctl enable --now ptrwatchd", text)
        self.assertEqual(self.js("d.querySelectorAll('#verdicts tbody tr').length"), 0)
        start_daemon()
        rows = ("JSON.stringify(Object.fromEntries(Array.from(d.querySelectorAll('#verdicts tbody tr'))"
                ".map(tr => [tr.dataset.address, tr.dataset.verdict]).sort()))")
        self.wait(f"d.getElementById('absent').hidden && {rows} === {json.dumps(json.dumps(dict(sorted(WATCHED.items())), separators=(',', ':')))}",
                  "the rows to come back")
        self.assertTrue(self.js("window.notReloaded === true"))


class Presentation(PageTest):
    def test_labels_headers_and_names(self):
        self.wait("d.querySelectorAll('#verdicts tbody tr').length === 4", "four rows")
        unlabelled = self.js("Array.from(d.querySelectorAll('input')).filter(i => !i.labels.length).map(i => i.id)")
        self.assertEqual(unlabelled, [])
        self.assertEqual(self.js("Array.from(d.querySelectorAll('#verdicts thead th')).map(t => t.scope)"),
                         ["col"] * 6)
        self.assertEqual(self.js("d.querySelectorAll('#verdicts tbody th[scope=row]').length"), 4)
        nameless = self.js("Array.from(d.querySelectorAll('button')).filter(b => !(b.innerText.trim() || "
                           "b.getAttribute('aria-label'))).length")
        self.assertEqual(nameless, 0)

    def test_narrow_window_stacks_the_rows(self):
        self.wait("d.querySelectorAll('#verdicts tbody tr').length === 4", "four rows")
        chromium.send("Emulation.setDeviceMetricsOverride", {"width": 380, "height": 800, "deviceScaleFactor": 1,
                                                             "mobile": False})
        self.addCleanup(chromium.send, "Emulation.clearDeviceMetricsOverride")
        self.wait("getComputedStyle(d.querySelector('#verdicts tbody tr')).display === 'block'", "stacked rows")
        self.assertLessEqual(self.js("d.documentElement.scrollWidth"), 380, "no sideways scrolling")

    def test_dark_mode_follows_cockpit_and_the_browser(self):
        bg = "getComputedStyle(d.body).backgroundColor"
        light = self.js(bg)
        self.assertFalse(self.js("d.documentElement.classList.contains('pf-theme-dark')"))
        chromium.send("Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        self.addCleanup(chromium.send, "Emulation.setEmulatedMedia", {"features": []})
        self.wait("d.documentElement.classList.contains('pf-theme-dark')", "dark mode from the browser")
        self.assertNotEqual(self.js(bg), light)
        # the shell's own switch: the event it sends each page
        self.js("(window.dispatchEvent(new CustomEvent('cockpit-style', {detail: {style: 'light'}})), true)")
        self.assertFalse(self.js("d.documentElement.classList.contains('pf-theme-dark')"))


def setUpModule():
    global world, bus, dest, chromium
    world = dnsworld.DnsWorld()
    world.__enter__()
    bus = dw.Bus(world.root).start()
    start_daemon()
    dest = tempfile.mkdtemp(prefix="ptrwatch-destdir-")
    subprocess.run(["meson", "install", "-C", BUILD, "--no-rebuild", "--quiet", "--destdir", dest],
                   check=True, stdout=subprocess.DEVNULL)
    os.chmod(dest, 0o755)
    chromium = browser.Chromium()


def tearDownModule():
    if chromium:
        chromium.close()
    if daemon:
        daemon.stop()
    err = daemon.stderr() if daemon else ""
    bus.stop()
    world.stop()
    shutil.rmtree(dest, ignore_errors=True)
    if "Sanitizer" in err or "runtime error:" in err:
        raise AssertionError("sanitizer report from ptrwatchd:\n" + err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
