"""The daemon's surroundings for tests: a private system-type dbus-daemon with
ptrwatch's bus policy, the real ptrwatchd on it, a journal socket of our own
that reads the journal's native protocol, and an sd_notify socket.

Run inside dnsworld.isolate(mount=True): /run is a private tmpfs there, so the
journal socket at /run/systemd/journal/socket is ours, and sd_journal_send()
in the daemon writes to it exactly as it would to journald."""

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

from gi.repository import Gio, GLib

import dnsworld

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
PTRWATCHD = os.environ.get("PTRWATCHD", "ptrwatchd")

NAME = "org.ptrwatch.PtrWatch1"
PATH = "/org/ptrwatch/PtrWatch1"
IFACE = "org.ptrwatch.PtrWatch1.Manager"

from busconfig import ROOT_OWNS as TEST_POLICY, system_bus_config  # noqa: E402


def wait_for(predicate, what, deadline=15.0):
    """Poll predicate, running the GLib main context, until true or deadline."""
    ctx = GLib.MainContext.default()
    end = time.monotonic() + deadline
    while True:
        while ctx.pending():
            ctx.iteration(False)
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise TimeoutError("timed out waiting for " + what)
        time.sleep(0.02)


class Bus:
    def __init__(self, root):
        self.dir = os.path.join(root, "bus")
        os.makedirs(os.path.join(self.dir, "system.d"))
        os.chmod(root, 0o755)
        os.chmod(self.dir, 0o755)   # nobody (setpriv) must reach the socket
        self.socket = os.path.join(self.dir, "system_bus_socket")
        self.address = "unix:path=" + self.socket
        shutil.copy(os.path.join(SOURCE, "dbus", "org.ptrwatch.PtrWatch1.conf"), os.path.join(self.dir, "system.d"))
        with open(os.path.join(self.dir, "system.d", "test-root-owns.conf"), "w") as f:
            f.write(TEST_POLICY)
        self.conf = os.path.join(self.dir, "system.conf")
        with open(self.conf, "w") as f:
            f.write(system_bus_config(self.socket, os.path.join(self.dir, "system.d")))
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["dbus-daemon", "--config-file", self.conf, "--nofork", "--print-address=1"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.proc.stdout.readline()     # printed once it listens
        return self

    def stop(self):
        dnsworld.stop_process(self.proc)
        if self.proc:
            self.proc.stdout.close()

    def connect(self):
        return Gio.DBusConnection.new_for_address_sync(
            self.address,
            Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
            None, None)


class Journal(threading.Thread):
    """Reads datagrams of the journal's native protocol on its socket."""

    PATH = "/run/systemd/journal/socket"

    def __init__(self):
        super().__init__(daemon=True)
        os.makedirs(os.path.dirname(self.PATH), exist_ok=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.PATH)
        self.entries = []
        self.lock = threading.Lock()
        self.start()

    @staticmethod
    def parse(data):
        fields, i = {}, 0
        while i < len(data):
            nl = data.index(b"\n", i)
            line = data[i:nl]
            if b"=" in line:
                key, value = line.split(b"=", 1)
                i = nl + 1
            else:   # KEY\n<le64 size><data>\n
                key = line
                size = struct.unpack("<Q", data[nl + 1:nl + 9])[0]
                value = data[nl + 9:nl + 9 + size]
                i = nl + 9 + size + 1
            fields[key.decode()] = value.decode()
        return fields

    def run(self):
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            with self.lock:
                self.entries.append(self.parse(data))

    def mark(self):
        """A point in time: matching(since=mark) sees only later entries."""
        with self.lock:
            return len(self.entries)

    def matching(self, since=0, **fields):
        with self.lock:
            return [e for e in self.entries[since:] if all(e.get(k) == v for k, v in fields.items())]

    def close(self):
        self.sock.close()


class Notify(threading.Thread):
    """An sd_notify socket: collects READY=1, STATUS=..., WATCHDOG=1, STOPPING=1."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.messages = []
        self.lock = threading.Lock()
        self.start()

    def run(self):
        while True:
            try:
                data = self.sock.recv(4096)
            except OSError:
                return
            with self.lock:
                self.messages.extend(data.decode().split("\n"))

    def seen(self, line):
        with self.lock:
            return any(m == line or (line.endswith("=") and m.startswith(line)) for m in self.messages)

    def close(self):
        self.sock.close()


class Daemon:
    """The real ptrwatchd, started and stopped by PID."""

    def __init__(self, root, bus, config, state_dir=None, env=None, name="daemon"):
        self.root = root
        self.bus = bus
        self.config = config
        # each daemon its own state, unless a test shares one on purpose
        self.state_dir = state_dir or tempfile.mkdtemp(prefix="state-", dir=root)
        self.notify = Notify(os.path.join(root, f"{name}-notify-{time.monotonic_ns()}"))
        self.stderr_path = os.path.join(root, f"{name}-{time.monotonic_ns()}.stderr")
        self.extra_env = env or {}
        self.proc = None

    def start(self, wait_ready=True):
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.bus.address, NOTIFY_SOCKET=self.notify.path)
        env.update(self.extra_env)
        with open(self.stderr_path, "w") as err:
            self.proc = subprocess.Popen([PTRWATCHD, "--config", self.config, "--state-dir", self.state_dir],
                                         env=env, stdout=subprocess.DEVNULL, stderr=err)
        if wait_ready:
            wait_for(lambda: self.notify.seen("READY=1") or self._died(), "READY=1 from ptrwatchd")
            if self.proc.poll() is not None:
                raise RuntimeError(f"ptrwatchd exited with {self.proc.returncode}:\n{self.stderr()}")
        return self

    def _died(self):
        return self.proc.poll() is not None

    def stderr(self):
        with open(self.stderr_path) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.notify.close()
        return self.proc.returncode if self.proc else None


class Client:
    """A GDBus client of the daemon."""

    def __init__(self, bus):
        self.conn = bus.connect()

    def call(self, method, args=None, signature=None, timeout=30):
        params = GLib.Variant(signature, args) if signature else None
        result = self.conn.call_sync(NAME, PATH, IFACE, method, params, None, Gio.DBusCallFlags.NONE,
                                     int(timeout * 1000), None)
        return result.unpack()

    def get(self, prop):
        result = self.conn.call_sync(NAME, PATH, "org.freedesktop.DBus.Properties", "Get",
                                     GLib.Variant("(ss)", (IFACE, prop)), None, Gio.DBusCallFlags.NONE, 10000, None)
        return result.unpack()[0]

    def check(self, address, flags=0):
        return self.call("Check", (address, flags), "(st)")[0]

    def verdicts(self):
        return self.call("GetVerdicts")[0]

    def all_verdicts(self):
        """Every watched verdict, a ListVerdicts page at a time, as the
        client reads them (GetVerdicts refuses beyond one reply's worth)."""
        verdicts, total = [], None
        while total is None or len(verdicts) < total:
            total, page = self.call("ListVerdicts", (len(verdicts), 4096, 0), "(ttt)")
            if not page:
                break
            verdicts += page
        return verdicts

    def refresh(self):
        return self.call("Refresh", timeout=60)

    def introspect(self):
        result = self.conn.call_sync(NAME, PATH, "org.freedesktop.DBus.Introspectable", "Introspect",
                                     None, None, Gio.DBusCallFlags.NONE, 10000, None)
        return result.unpack()[0]

    def has_owner(self):
        result = self.conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                     "NameHasOwner", GLib.Variant("(s)", (NAME,)), None,
                                     Gio.DBusCallFlags.NONE, 5000, None)
        return result.unpack()[0]

    def subscribe(self, interface, member):
        """Collect signals into a list, returned."""
        got = []
        self.conn.signal_subscribe(None, interface, member, PATH, None, Gio.DBusSignalFlags.NONE,
                                   lambda conn, sender, path, iface, name, params: got.append(params.unpack()),
                                   )
        return got


def error_name(e):
    """The D-Bus error name of a GLib.Error from a call."""
    return Gio.DBusError.get_remote_error(e)


def as_nobody(bus, script):
    """Run a small GDBus script as nobody (setpriv) on bus (a Bus or an
    address); it prints JSON."""
    address = getattr(bus, "address", bus)
    code = ("import json, sys\n"
            "from gi.repository import Gio, GLib\n"
            f"conn = Gio.DBusConnection.new_for_address_sync({address!r}, "
            "Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)\n"
            "def call(method, params=None, iface=" + repr(IFACE) + "):\n"
            "    try:\n"
            "        r = conn.call_sync(" + repr(NAME) + ", " + repr(PATH) + ", iface, method, params, None, "
            "Gio.DBusCallFlags.NONE, 30000, None)\n"
            "        return {'ok': True, 'value': json.loads(json.dumps(r.unpack(), default=str))}\n"
            "    except GLib.Error as e:\n"
            "        return {'ok': False, 'error': Gio.DBusError.get_remote_error(e), 'message': e.message}\n"
            + script)
    p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        "/usr/bin/python3", "-c", code], capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError(f"script as nobody failed: {p.stderr}")
    return json.loads(p.stdout)
