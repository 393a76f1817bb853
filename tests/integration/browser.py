"""Headless Chromium driven over the DevTools protocol on a pipe
(--remote-debugging-pipe: requests on fd 3, replies and events on fd 4, each
a JSON text ended by a NUL byte). No port, no WebDriver, the standard library
only.

Chromium refuses to start here unless the process is in a private network
namespace (only lo): a bug in a page or in a test must not be able to reach
anything but loopback. Everything that phones home is switched off."""

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time

import dnsworld

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

FLAGS = [
    "--headless=new",
    "--remote-debugging-pipe",
    "--no-sandbox",                     # as root; the netns is the fence
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--metrics-recording-only",
    "--disable-breakpad",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-pings",
    "--dns-prefetch-disable",
    "--disable-features=NetworkPrediction,Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--window-size=1280,860",
]


class BrowserError(Exception):
    pass


class Chromium:
    def __init__(self, flags=()):
        if not dnsworld.in_private_netns():
            raise BrowserError("refusing to start Chromium outside a private network namespace")
        self.profile = tempfile.mkdtemp(prefix="ptrwatch-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        os.set_inheritable(to_browser_r, True)
        os.set_inheritable(from_browser_w, True)

        def fds():
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self.proc = subprocess.Popen(
            [CHROMIUM, "--user-data-dir=" + self.profile, *FLAGS, *flags, "about:blank"],
            preexec_fn=fds, pass_fds=(3, 4),   # kept open: close_fds runs after preexec_fn
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env=dict(os.environ, HOME=self.profile, TMPDIR=self.profile,     # nothing of it left in /tmp
                     # no bus of the test's (or this host's) for the browser
                     DBUS_SYSTEM_BUS_ADDRESS="unix:path=/nonexistent",
                     DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent"))
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buf = b""
        self._next_id = 0
        self.events = []
        self.session = self.target = None

    # -- the protocol ---------------------------------------------------------

    def _read_message(self, deadline):
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no message from Chromium")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if ready:
                chunk = os.read(self._from_browser, 1 << 16)
                if not chunk:
                    raise BrowserError("Chromium closed its pipe: " + self.stderr_tail())
                self._buf += chunk
        text, self._buf = self._buf.split(b"\0", 1)
        return json.loads(text)

    def send(self, method, params=None, session=True, timeout=30):
        """One command; its result, or BrowserError with the protocol's error."""
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self._to_browser, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def pump(self, timeout=0.05):
        """Read the events that arrived, waiting at most timeout for one."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                self.events.append(self._read_message(deadline))
                deadline = time.monotonic()  # take what is buffered, wait no more
        except TimeoutError:
            pass

    def stderr_tail(self):
        try:
            self.proc.wait(timeout=2)
            return self.proc.stderr.read().decode(errors="replace")[-2000:]
        except subprocess.TimeoutExpired:
            return "(still running)"

    # -- a page ---------------------------------------------------------------

    def open(self, url):
        """A new tab on url, in front (keys go to it), attached, the Runtime
        and Page domains enabled; the tab opened before is closed."""
        if self.session:
            self.send("Target.closeTarget", {"targetId": self.target}, session=False)
            self.session = None
        target = self.target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 session=False)["sessionId"]
        self.send("Runtime.enable")
        self.send("Page.enable")
        self.send("Page.bringToFront")
        self.send("Emulation.setFocusEmulationEnabled", {"enabled": True})
        self.send("Page.navigate", {"url": url})

    def evaluate(self, expression, timeout=30):
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True}, timeout=timeout)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, expression, what, deadline=20.0):
        """Poll a JavaScript expression until it is truthy; its value."""
        end = time.monotonic() + deadline
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > end:
                raise TimeoutError(f"timed out waiting for {what} ({expression})")
            self.pump(0.1)

    def exceptions(self):
        """Uncaught JavaScript exceptions and console errors seen so far."""
        self.pump(0)
        found = []
        for e in self.events:
            if e.get("method") == "Runtime.exceptionThrown":
                found.append(e["params"]["exceptionDetails"].get("exception", {}).get("description")
                             or e["params"]["exceptionDetails"].get("text"))
            elif e.get("method") == "Runtime.consoleAPICalled" and e["params"]["type"] == "error":
                found.append(" ".join(str(a.get("value", a.get("description"))) for a in e["params"]["args"]))
        return found

    def screenshot(self, path, width=None, height=None, full_page=False):
        if width:
            self.send("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        data = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": full_page})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.send("Browser.close", session=False, timeout=5)
        except (BrowserError, TimeoutError, OSError):
            pass
        dnsworld.stop_process(self.proc)
        self.proc.stderr.close()
        for fd in (self._to_browser, self._from_browser):
            os.close(fd)
        shutil.rmtree(self.profile, ignore_errors=True)
