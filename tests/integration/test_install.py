#!/usr/bin/python3
"""meson install into a DESTDIR, and the installed tree at work: the systemd
gates, the man pages, the catalog, the installed bus policy with a real
ptrwatchd user, and the installed daemon run as that user under the
syscalls and address families its unit allows."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnsworld  # noqa: E402

if __name__ == "__main__":
    dnsworld.isolate(mount=True)

from gi.repository import GLib  # noqa: E402

import daemonworld as dw  # noqa: E402

BUILD = os.environ["MESON_BUILD"]
UID = 64990                     # the ptrwatchd user of these tests, in a private /etc/passwd
dest = world = None

EXPECTED = {
    "usr/sbin/ptrwatchd": 0o755,
    "usr/bin/ptrwatch": 0o755,
    "lib/systemd/system/ptrwatchd.service": 0o644,
    "usr/lib/sysusers.d/ptrwatchd.conf": 0o644,
    "usr/lib/systemd/catalog/ptrwatch.catalog": 0o644,
    "usr/share/dbus-1/system.d/org.ptrwatch.PtrWatch1.conf": 0o644,
    "usr/share/dbus-1/system-services/org.ptrwatch.PtrWatch1.service": 0o644,
    "usr/share/dbus-1/interfaces/org.ptrwatch.PtrWatch1.xml": 0o644,
    "etc/ptrwatch/ptrwatchd.conf": 0o644,
    "usr/share/man/man8/ptrwatchd.8": 0o644,
    "usr/share/man/man1/ptrwatch.1": 0o644,
    "usr/share/man/man5/ptrwatchd.conf.5": 0o644,
    "usr/share/bash-completion/completions/ptrwatch": 0o644,
    "usr/share/doc/ptrwatch/ptrwatch.rules.yml": 0o644,
    "usr/share/doc/ptrwatch/ptrwatch.rules.test.yml": 0o644,
    "usr/share/doc/ptrwatch/ptrwatchd-textfile.conf": 0o644,
    **{f"usr/share/cockpit/ptrwatch/{f}": 0o644
       for f in ("manifest.json", "index.html", "page.js", "model.js", "theme.js", "ptrwatch.css")},
}
UNIT = "lib/systemd/system/ptrwatchd.service"


def d(path):
    return os.path.join(dest, path)


class Tree(unittest.TestCase):
    def test_every_file_where_debian_expects_it(self):
        found = {os.path.relpath(os.path.join(r, f), dest) for r, _, fs in os.walk(dest) for f in fs}
        self.assertEqual(found, set(EXPECTED))
        for path, mode in EXPECTED.items():
            self.assertEqual(os.stat(d(path)).st_mode & 0o777, mode, path)

    def test_unit_points_at_the_installed_daemon(self):
        with open(d(UNIT)) as f:
            unit = f.read()
        self.assertIn("ExecStart=/usr/sbin/ptrwatchd\n", unit)
        for line in ("Type=notify", "BusName=org.ptrwatch.PtrWatch1", "User=ptrwatchd", "StateDirectory=ptrwatch",
                     "WatchdogSec=", "Alias=dbus-org.ptrwatch.PtrWatch1.service"):
            self.assertIn(line, unit)
        with open(d("usr/share/dbus-1/system-services/org.ptrwatch.PtrWatch1.service")) as f:
            activation = f.read()
        self.assertIn("Exec=/bin/false", activation)
        self.assertIn("SystemdService=dbus-org.ptrwatch.PtrWatch1.service", activation)
        with open(d("usr/lib/sysusers.d/ptrwatchd.conf")) as f:
            self.assertIn('u ptrwatchd - "ptrwatch daemon" -', f.read())

    def test_example_configuration_has_every_key_at_its_default(self):
        example = d("etc/ptrwatch/ptrwatchd.conf")
        p = subprocess.run([d("usr/sbin/ptrwatchd"), "--check-config", "--config", example],
                           capture_output=True, text=True)
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, "configuration OK\n", ""))
        with open(os.path.join(dw.SOURCE, "daemon", "config", "config-keys.c")) as f:
            keys = re.findall(r'\{ "(?:Watch|Resolver|Cache|Export|Receivers)",\s+"(\w+)"', f.read())
        with open(example) as f:
            text = f.read()
        self.assertEqual(len(keys), 17)
        for key in keys:
            self.assertRegex(text, rf"(?m)^#{key}=", key)
        # uncommented, it is still valid: the defaults are real values
        uncommented = os.path.join(dest, "..", "uncommented.conf")
        with open(uncommented, "w") as f:
            f.write(re.sub(r"(?m)^#([A-Z]\w*=)", r"\1", text))
        p = subprocess.run([d("usr/sbin/ptrwatchd"), "--check-config", "--config", uncommented],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)


class Gates(unittest.TestCase):
    def test_security_exposure_at_most_1_1(self):
        p = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--threshold=11", d(UNIT)],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout[-2000:])
        self.assertRegex(p.stdout, r"Overall exposure level for ptrwatchd.service: (0\.\d|1\.[01]) ")

    def test_security_exposure_with_the_textfile_dropin(self):
        """The documented ReadWritePaths= drop-in for node_exporter's
        directory keeps the exposure at 1.1 at most."""
        root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, root)
        os.makedirs(os.path.join(root, "lib/systemd/system"))
        os.makedirs(os.path.join(root, "etc/systemd/system/ptrwatchd.service.d"))
        shutil.copy(d(UNIT), os.path.join(root, "lib/systemd/system"))
        shutil.copy(d("usr/share/doc/ptrwatch/ptrwatchd-textfile.conf"),
                    os.path.join(root, "etc/systemd/system/ptrwatchd.service.d/textfile.conf"))
        p = subprocess.run(["systemd-analyze", "security", "--offline=yes", f"--root={root}", "--threshold=11",
                            "ptrwatchd.service"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stdout[-2000:])
        self.assertRegex(p.stdout, r"Overall exposure level for ptrwatchd.service: (0\.\d|1\.[01]) ")

    def test_verify_prints_nothing(self):
        # the installed /usr/sbin and man pages, seen where the unit expects them
        p = subprocess.run(["unshare", "--mount", "sh", "-c",
                            f"mount --make-rprivate / && mount --bind {d('usr/sbin')} /usr/sbin && "
                            f"MANPATH={d('usr/share/man')} systemd-analyze verify {d(UNIT)}"],
                           capture_output=True, text=True)
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, "", ""))

    def test_man_pages_render_without_warnings(self):
        for page in ("man8/ptrwatchd.8", "man1/ptrwatch.1", "man5/ptrwatchd.conf.5"):
            with self.subTest(page=page):
                p = subprocess.run(["man", "--warnings", "-l", d("usr/share/man/" + page)],
                                   capture_output=True, text=True, env=dict(os.environ, MANWIDTH="80"))
                self.assertEqual((p.returncode, p.stderr), (0, ""))
                self.assertGreater(len(p.stdout.splitlines()), 40)

    def test_man_pages_cover_the_surface(self):
        def page(p):
            # no hyphenation, so that words are found whole
            return subprocess.run(["man", "-l", d("usr/share/man/" + p)], capture_output=True, text=True,
                                  env=dict(os.environ, MANWIDTH="200", MANROFFOPT="-rHY=0")).stdout
        daemon, client, conf = page("man8/ptrwatchd.8"), page("man1/ptrwatch.1"), page("man5/ptrwatchd.conf.5")
        for word in ("--config", "--state-dir", "--user", "--check", "--json", "--check-config", "--version",
                     "Check(s address, t flags)", "GetVerdicts()", "ListVerdicts(", "Refresh()", "VerdictChanged",
                     "Summary", "ChecksTotal",
                     "LastRefresh", "NextRefresh", "SIGHUP", "PTRWATCH_ADDRESS", "/var/lib/ptrwatch/verdicts"):
            self.assertIn(word, daemon)
        for word in ("status", "check", "refresh", "monitor", "metrics", "--json", "--nagios", "--force", "--user",
                     "--timeout", "--no-legend", "--problems", "NO_COLOR", "64"):
            self.assertIn(word, client)
        for word in ("Addresses=", "Discover=", "HeloName=", "RouteProbes=", "Whoami=", "Servers=", "Timeout=",
                     "MaxInFlight=", "MinTTL=", "MaxTTL=", "ServeStale=", "PrometheusTextfile="):
            self.assertIn(word, conf)
        for reason in ("no-ptr", "forward-missing", "forward-mismatch", "multiple-ptr", "generic-ptr",
                       "helo-mismatch", "invalid-name", "servfail", "timeout"):
            self.assertIn(reason, daemon)
            self.assertIn(reason, client)

    def test_installed_catalog_compiles(self):
        root = tempfile.mkdtemp(dir=world.root)
        shutil.copytree(d("usr/lib/systemd/catalog"), os.path.join(root, "usr/lib/systemd/catalog"))
        subprocess.run(["journalctl", f"--root={root}", "--update-catalog"], check=True, capture_output=True)
        out = subprocess.run(["journalctl", f"--root={root}", "--list-catalog"], check=True,
                             capture_output=True, text=True).stdout
        self.assertEqual(len(re.findall(r"^[0-9a-f]{32} ptrwatch:", out, re.M)), 12)


def as_user(uid, *cmd):
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"] + list(cmd)


class InstalledBus(unittest.TestCase):
    """The installed policy alone (no test grants), a real ptrwatchd user."""

    @classmethod
    def setUpClass(cls):
        root = tempfile.mkdtemp(dir=world.root)
        os.chmod(root, 0o755)
        cls.root = root
        os.makedirs(os.path.join(root, "system.d"))
        shutil.copy(d("usr/share/dbus-1/system.d/org.ptrwatch.PtrWatch1.conf"), os.path.join(root, "system.d"))
        cls.socket = os.path.join(root, "bus")
        cls.address = "unix:path=" + cls.socket
        conf = os.path.join(root, "bus.conf")
        with open(conf, "w") as f:
            f.write(dw.system_bus_config(cls.socket, os.path.join(root, "system.d")))
        cls.bus = subprocess.Popen(["dbus-daemon", "--config-file", conf, "--nofork", "--print-address=1"],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        cls.bus.stdout.readline()
        cls.state = os.path.join(root, "state")
        os.makedirs(cls.state)
        os.chown(cls.state, UID, UID)
        cls.config = world.config("installed.conf", Watch={"Addresses": "192.0.2.10 192.0.2.11", "Discover": "none"},
                                  Resolver={"Timeout": "1s"})

    @classmethod
    def tearDownClass(cls):
        dnsworld.stop_process(cls.bus)
        cls.bus.stdout.close()

    def env(self):
        return dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=self.address)

    def request_name(self, uid):
        code = ("from gi.repository import Gio, GLib\n"
                f"c = Gio.DBusConnection.new_for_address_sync({self.address!r}, "
                "Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, "
                "None, None)\n"
                "try:\n"
                "    r = c.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',"
                " 'RequestName', GLib.Variant('(su)', ('org.ptrwatch.PtrWatch1', 4)), None, 0, 5000, None)\n"
                "    print('owned' if r.unpack()[0] == 1 else 'not owned')\n"
                "except GLib.Error as e:\n"
                "    print(Gio.DBusError.get_remote_error(e))\n")
        cmd = ["/usr/bin/python3", "-c", code]
        return subprocess.run(as_user(uid, *cmd) if uid else cmd, capture_output=True, text=True,
                              timeout=30).stdout.strip()

    def reload_bus(self):
        from gi.repository import Gio
        c = Gio.DBusConnection.new_for_address_sync(
            self.address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
            Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
        c.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "ReloadConfig",
                    None, None, 0, 5000, None)
        c.close_sync(None)

    def owner_pid(self):
        """The PID of the bus name's owner: the daemon itself, not a wrapper."""
        from gi.repository import Gio
        c = Gio.DBusConnection.new_for_address_sync(
            self.address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
            Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
        r = c.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                        "GetConnectionUnixProcessID", GLib.Variant("(s)", ("org.ptrwatch.PtrWatch1",)), None, 0,
                        5000, None)
        c.close_sync(None)
        return r.unpack()[0]

    def stop_daemon(self, proc, pid):
        os.kill(pid, signal.SIGTERM)
        code = proc.wait(30)
        dw.wait_for(lambda: not os.path.exists(f"/proc/{pid}"), "the daemon to exit")
        return code

    def start_daemon(self, *wrapper):
        notify = dw.Notify(os.path.join(self.root, f"notify-{time.monotonic_ns()}"))
        os.chmod(notify.path, 0o777)
        log = open(os.path.join(self.root, f"daemon-{time.monotonic_ns()}.log"), "w")
        env = dict(self.env(), NOTIFY_SOCKET=notify.path)
        if wrapper and "ASAN_OPTIONS" in env:
            # LeakSanitizer cannot work under ptrace (it says so and aborts);
            # the other test here runs the same daemon with leak checks on.
            env["ASAN_OPTIONS"] += ":detect_leaks=0"
        proc = subprocess.Popen(as_user(UID, *wrapper, d("usr/sbin/ptrwatchd"), "--config", self.config,
                                        "--state-dir", self.state), env=env, stdout=log, stderr=log)
        dw.wait_for(lambda: notify.seen("READY=1") or proc.poll() is not None, "READY=1")
        self.assertIsNone(proc.poll(), open(log.name).read())
        return proc, notify, log

    def test_policy_and_installed_daemon(self):
        # before the daemon: nobody and root may not take the name, ptrwatchd may
        self.assertEqual(self.request_name(65534), "org.freedesktop.DBus.Error.AccessDenied")
        self.assertEqual(self.request_name(0), "org.freedesktop.DBus.Error.AccessDenied")
        self.assertEqual(self.request_name(UID), "owned")

        proc, notify, log = self.start_daemon()
        pid = self.owner_pid()
        try:
            p = subprocess.run(as_user(65534, d("usr/bin/ptrwatch"), "--timeout", "20", "status"),
                               capture_output=True, text=True, env=self.env())
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn("2 addresses: 1 pass, 1 fail", p.stdout)
            r = dw.as_nobody(self.address, """
out = {'verdicts': call('GetVerdicts'),
       'prop': call('GetAll', GLib.Variant('(s)', ('org.ptrwatch.PtrWatch1.Manager',)),
                    'org.freedesktop.DBus.Properties'),
       'refresh': call('Refresh')}
print(json.dumps(out))
""")
            self.assertTrue(r["verdicts"]["ok"], r)
            self.assertTrue(r["prop"]["ok"], r)
            self.assertEqual(r["refresh"]["error"], "org.freedesktop.DBus.Error.AccessDenied")
            # root may refresh
            p = subprocess.run([d("usr/bin/ptrwatch"), "refresh"], capture_output=True, text=True, env=self.env())
            self.assertEqual(p.returncode, 2, p.stderr)
            # the README's drop-in lets a monitoring user (here nobody) refresh too
            dropin = os.path.join(self.root, "system.d", "ptrwatch-monitoring.conf")
            with open(dropin, "w") as f:
                f.write('<busconfig><policy user="nobody"><allow send_destination="org.ptrwatch.PtrWatch1" '
                        'send_interface="org.ptrwatch.PtrWatch1.Manager" send_member="Refresh"/></policy>'
                        '</busconfig>\n')
            self.addCleanup(os.unlink, dropin)
            self.reload_bus()
            p = subprocess.run(as_user(65534, d("usr/bin/ptrwatch"), "refresh"), capture_output=True, text=True,
                               env=self.env())
            self.assertEqual(p.returncode, 2, p.stderr)
            p = subprocess.run(as_user(65534, d("usr/bin/ptrwatch"), "check", "--force", "192.0.2.10"),
                               capture_output=True, text=True, env=self.env())
            self.assertEqual(p.returncode, 3, "forced checks stay root's and ptrwatchd's")
        finally:
            self.assertEqual(self.stop_daemon(proc, pid), 0)
            notify.close()
            log.close()
        self.assertTrue(os.path.exists(os.path.join(self.state, "verdicts")))
        self.assertEqual(os.stat(os.path.join(self.state, "verdicts")).st_uid, UID)

    def test_only_what_the_sandbox_allows(self):
        """The installed daemon under strace, as its own user: every syscall it
        makes is in @system-service minus @privileged and @resources, every
        socket in AF_UNIX, AF_INET, AF_INET6, AF_NETLINK (the unit's
        SystemCallFilter= and RestrictAddressFamilies=), and it writes only
        in its state directory (ProtectSystem=strict)."""
        trace = os.path.join(self.root, "strace.out")
        open(trace, "w").close()
        os.chown(trace, UID, UID)
        proc, notify, log = self.start_daemon("strace", "-f", "-qq", "-o", trace)
        pid = self.owner_pid()      # signals go to the daemon, not to strace
        try:
            client = subprocess.run([d("usr/bin/ptrwatch"), "check", "192.0.2.13", "2001:db8::25"],
                                    capture_output=True, text=True, env=self.env())
            self.assertEqual(client.returncode, 2, client.stderr)
            subprocess.run([d("usr/bin/ptrwatch"), "refresh"], capture_output=True, env=self.env(), check=False)
            os.kill(pid, signal.SIGHUP)
            dw.wait_for(lambda: "reloaded" in open(log.name).read(), "the reload")
        finally:
            self.assertEqual(self.stop_daemon(proc, pid), 0)
            notify.close()
            log.close()

        with open(trace) as f:
            lines = f.read().splitlines()
        start = next(i for i, l in enumerate(lines) if "execve(" in l and "ptrwatchd" in l)
        used, families, written = set(), set(), set()
        for line in lines[start + 1:]:
            m = re.match(r"^\d+\s+(\w+)\(", line)
            if not m:
                continue
            used.add(m.group(1))
            if m.group(1) == "socket":
                families.add(re.search(r"socket\((\w+)", line).group(1))
            if m.group(1) in ("openat", "open") and re.search(r"O_WRONLY|O_RDWR|O_CREAT", line):
                written.add(re.search(r'"([^"]+)"', line).group(1))
            if m.group(1) in ("rename", "renameat", "renameat2", "unlink", "unlinkat", "mkdir", "mkdirat"):
                written.update(re.findall(r'"([^"]+)"', line))
        allowed = syscall_set("@system-service") - syscall_set("@privileged") - syscall_set("@resources")
        self.assertGreater(len(used), 20)
        self.assertEqual(used - allowed, set(), "syscalls the unit's SystemCallFilter= would refuse")
        self.assertLessEqual(families, {"AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK"})
        outside = {p for p in written if not p.startswith(self.state) and p != "/dev/null"}
        self.assertEqual(outside, set(), "writes outside StateDirectory=")


def syscall_set(group, _cache={}):
    if not _cache:
        out = subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True, text=True).stdout
        current = None
        for line in out.splitlines():
            if line.startswith("@"):
                current = line.strip()
                _cache[current] = set()
            elif line.startswith("    ") and current and not line.strip().startswith("#"):
                _cache[current].add(line.strip())
    result = set()
    for item in _cache.get(group, ()):
        result |= syscall_set(item) if item.startswith("@") else {item}
    return result


def setUpModule():
    global dest, world
    world = dnsworld.DnsWorld()
    world.__enter__()
    os.chmod(world.root, 0o755)         # the ptrwatchd user and nobody read the tree and configs
    dest = os.path.join(tempfile.mkdtemp(dir=world.root), "dest")
    os.chmod(os.path.dirname(dest), 0o755)
    subprocess.run(["meson", "install", "-C", BUILD, "--no-rebuild", "--quiet", "--destdir", dest],
                   check=True, capture_output=True)
    # a ptrwatchd user, as systemd-sysusers would create it, in this mount namespace only
    for name, line in (("passwd", f"ptrwatchd:x:{UID}:{UID}:ptrwatch daemon:/:/usr/sbin/nologin\n"),
                       ("group", f"ptrwatchd:x:{UID}:\n")):
        copy = os.path.join(world.root, name)
        shutil.copy(f"/etc/{name}", copy)
        with open(copy, "a") as f:
            f.write(line)
        subprocess.run(["mount", "--bind", copy, f"/etc/{name}"], check=True)


def tearDownModule():
    world.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
