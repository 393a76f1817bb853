#!/usr/bin/python3
"""ptrwatchd under valgrind's memcheck, as getdns gates itself: 0 bytes lost
(definitely, indirectly, possibly) and 0 errors, for --check over the test
zones and for a daemon session (start, checks, refresh, reload, SIGTERM).
Run in the normal build only: valgrind and ASan do not mix."""

import os
import re
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnsworld  # noqa: E402

if __name__ == "__main__":
    dnsworld.isolate(mount=True)

import daemonworld as dw  # noqa: E402
import test_check  # noqa: E402  (the table of cases)

PTRWATCH = os.environ.get("PTRWATCH", "ptrwatch")
world = bus = None


def valgrind(log):
    return ["valgrind", "--quiet", f"--log-file={log}", "--error-exitcode=99", "--leak-check=full",
            "--show-leak-kinds=definite,indirect,possible", "--errors-for-leak-kinds=definite,indirect,possible",
            "--num-callers=30"]


class Memcheck(unittest.TestCase):
    def assertClean(self, log):
        with open(log) as f:
            report = f.read()
        self.assertNotRegex(report, r"(definitely|indirectly|possibly) lost: [1-9]", report)
        self.assertNotIn("ERROR SUMMARY: [1-9]", report)
        self.assertNotRegex(report, r"Invalid (read|write)|uninitialised|Conditional jump", report)

    def test_check_over_every_case(self):
        log = os.path.join(world.root, "check.vg")
        p = subprocess.run(valgrind(log) + [dw.PTRWATCHD, "--config", world.config(), "--check", "--json"]
                           + list(test_check.CASES), capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 2, p.stderr + open(log).read())     # 99 on any error or leak
        self.assertClean(log)

    def test_timeout_path(self):
        log = os.path.join(world.root, "timeout.vg")
        conf = world.config("vg-silent.conf", servers=f"127.0.0.1:{world.silent.port}", Resolver={"Timeout": "1s"})
        p = subprocess.run(valgrind(log) + [dw.PTRWATCHD, "--config", conf, "--check", "192.0.2.10"],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertClean(log)

    def test_daemon_session(self):
        log = os.path.join(world.root, "daemon.vg")
        conf = world.config("vg-daemon.conf", Watch={"Addresses": "192.0.2.10 192.0.2.11 2001:db8::25",
                                                     "Discover": "route"}, Resolver={"Timeout": "1s"})
        d = dw.Daemon(world.root, bus, conf)
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus.address)
        with open(d.stderr_path, "w") as err:
            d.proc = subprocess.Popen(valgrind(log) + [dw.PTRWATCHD, "--config", conf, "--state-dir", d.state_dir],
                                      env=dict(env, NOTIFY_SOCKET=d.notify.path), stdout=subprocess.DEVNULL,
                                      stderr=err)
        dw.wait_for(lambda: d.notify.seen("READY=1") or d.proc.poll() is not None, "READY=1", deadline=60)
        client = dw.Client(bus)
        dw.wait_for(lambda: all(v["verdict"] != "unknown" for v in client.verdicts()), "verdicts", deadline=60)
        for args in (["check", "192.0.2.13", "192.0.2.15", "203.0.113.10"], ["check", "--force", "192.0.2.10"],
                     ["refresh"], ["--json", "status"]):
            subprocess.run([PTRWATCH, "--timeout", "60"] + args, env=env, capture_output=True, check=False)
        with self.assertRaises(Exception):
            client.check("not-an-address")
        d.proc.send_signal(signal.SIGHUP)
        dw.wait_for(lambda: "reloaded" in d.stderr(), "the reload", deadline=60)
        client.refresh()
        d.proc.send_signal(signal.SIGTERM)
        self.assertEqual(d.proc.wait(120), 0, d.stderr() + open(log).read())
        d.notify.close()
        self.assertClean(log)


def setUpModule():
    global world, bus
    world = dnsworld.DnsWorld()
    world.__enter__()
    bus = dw.Bus(world.root).start()


def tearDownModule():
    bus.stop()
    world.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
