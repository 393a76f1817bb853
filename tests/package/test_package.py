#!/usr/bin/python3
"""The Debian packages (#17): built with dpkg-buildpackage from a copy of
the tree, checked by lintian, their file lists, then installed, removed and
purged with dpkg in a throw-away root: an overlay of / in a private mount
namespace (and network namespace), so the machine's own package database,
users and /etc never change. Systemd does not run in that root, which is the
chroot/container case the maintainer scripts must survive."""

import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))
sys.path.insert(0, HERE)
import dnsworld  # noqa: E402
import debbuild  # noqa: E402

if __name__ == "__main__":
    dnsworld.isolate(mount=True)

VERSION = "0.1.0"
MESSAGE_ID_NO_PTR = "bbbec62c92b8499299cb2d6d1ab7b0fd"     # systemd/ptrwatch.catalog
PTRWATCH_FILES = {
    "etc/ptrwatch/ptrwatchd.conf",
    "lib/systemd/system/ptrwatchd.service",
    "usr/bin/ptrwatch",
    "usr/sbin/ptrwatchd",
    "usr/lib/sysusers.d/ptrwatchd.conf",
    "usr/lib/systemd/catalog/ptrwatch.catalog",
    "usr/share/bash-completion/completions/ptrwatch",
    "usr/share/dbus-1/interfaces/org.ptrwatch.PtrWatch1.xml",
    "usr/share/dbus-1/system-services/org.ptrwatch.PtrWatch1.service",
    "usr/share/dbus-1/system.d/org.ptrwatch.PtrWatch1.conf",
    "usr/share/doc/ptrwatch/README.md.gz",
    "usr/share/doc/ptrwatch/changelog.gz",
    "usr/share/doc/ptrwatch/copyright",
    "usr/share/doc/ptrwatch/ptrwatch.rules.yml",
    "usr/share/doc/ptrwatch/ptrwatch.rules.test.yml",
    "usr/share/doc/ptrwatch/ptrwatchd-textfile.conf",
    "usr/share/man/man1/ptrwatch.1.gz",
    "usr/share/man/man5/ptrwatchd.conf.5.gz",
    "usr/share/man/man8/ptrwatchd.8.gz",
}
COCKPIT_FILES = {f"usr/share/cockpit/ptrwatch/{f}" for f in
                 ("manifest.json", "index.html", "page.js", "model.js", "theme.js", "ptrwatch.css")} | {
    "usr/share/doc/cockpit-ptrwatch/changelog.gz",
    "usr/share/doc/cockpit-ptrwatch/copyright",
}
WANTS = "etc/systemd/system/multi-user.target.wants/ptrwatchd.service"
work = debs = None


def run(*args, check=True, **kw):
    p = subprocess.run(list(args), capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(args)}: exit {p.returncode}\n{p.stdout[-4000:]}\n{p.stderr[-4000:]}")
    return p


def fingerprint():
    """What must not change on this machine: its package database and users."""
    h = hashlib.sha256()
    for path in ("/var/lib/dpkg/status", "/etc/passwd", "/etc/group", "/etc/shadow"):
        with open(path, "rb") as f:
            h.update(f.read())
    h.update(str(sorted(os.listdir("/var/lib/dpkg/info"))).encode())
    return h.hexdigest()


class Build(unittest.TestCase):
    def test_two_packages_and_debug_symbols(self):
        names = sorted(os.path.basename(d) for d in debs)
        self.assertEqual(names, [f"cockpit-ptrwatch_{VERSION}_all.deb", f"ptrwatch-dbgsym_{VERSION}_amd64.deb",
                                 f"ptrwatch_{VERSION}_amd64.deb"])

    def test_unit_tests_ran_and_the_rest_said_why_not(self):
        with open(os.path.join(work, "build.log")) as f:
            log = f.read()
        self.assertIn("the integration suite needs root, network namespaces and servers", log)
        self.assertRegex(log, r"\nOk:\s+[1-9]\d*\s*\n")
        self.assertRegex(log, r"\nFail:\s+0\s*\n")

    def test_lintian_clean(self):
        changes = glob.glob(os.path.join(work, "*.changes"))
        self.assertEqual(len(changes), 1)
        p = run("lintian", "--fail-on", "error,warning", "--display-level", ">=warning", changes[0], check=False,
                env=dict(os.environ, TMPDIR=work))     # its temporary files go with ours
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertNotRegex(p.stdout, r"(?m)^[EW]: ", p.stdout)
        # no override without a comment saying why
        for path in glob.glob(os.path.join(SOURCE, "debian", "*lintian-overrides")):
            with open(path) as f:
                lines = f.read().splitlines()
            for i, line in enumerate(lines):
                if line.strip() and not line.startswith("#"):
                    self.assertTrue(i > 0 and lines[i - 1].startswith("#"), f"{path}: {line} has no reason")

    def file_list(self, deb):
        out = run("dpkg-deb", "--contents", deb).stdout
        return {line.split()[5][2:] for line in out.splitlines() if not line.endswith("/")}

    def test_file_lists(self):
        by_name = {os.path.basename(d).split("_")[0]: d for d in debs}
        self.assertEqual(self.file_list(by_name["ptrwatch"]), PTRWATCH_FILES)
        self.assertEqual(self.file_list(by_name["cockpit-ptrwatch"]), COCKPIT_FILES)
        control = run("dpkg-deb", "--field", by_name["cockpit-ptrwatch"], "Architecture", "Depends",
                      "Recommends").stdout
        self.assertIn("Architecture: all", control)
        self.assertIn("cockpit-bridge", control)
        self.assertIn("Recommends: ptrwatch", control)
        ctrl = os.path.join(work, "ctrl")
        run("dpkg-deb", "--control", by_name["ptrwatch"], ctrl)
        with open(os.path.join(ctrl, "conffiles")) as f:
            self.assertEqual(f.read().split(), ["/etc/ptrwatch/ptrwatchd.conf"])


class ThrowAwayRoot(unittest.TestCase):
    """dpkg -i, -r and --purge in an overlay of / that vanishes after."""

    def setUp(self):
        self.before = fingerprint()
        self.top = tempfile.mkdtemp(prefix="ptrwatch-root-")
        run("mount", "-t", "tmpfs", "tmpfs", self.top)
        self.addCleanup(self.unmount)
        for d in ("upper", "work", "root"):
            os.makedirs(os.path.join(self.top, d))
        self.root = os.path.join(self.top, "root")
        run("mount", "-t", "overlay", "overlay", "-o",
            f"lowerdir=/,upperdir={self.top}/upper,workdir={self.top}/work", self.root)
        run("mount", "-t", "proc", "proc", self.r("proc"))
        run("mount", "--bind", "/dev", self.r("dev"))
        run("mount", "-t", "tmpfs", "tmpfs", self.r("run"))     # no /run/systemd/system: no systemd
        run("mount", "-t", "tmpfs", "tmpfs", self.r("tmp"))
        os.makedirs(self.r("debs"))
        for d in debs:
            if "dbgsym" not in d:
                shutil.copy(d, self.r("debs"))

    def unmount(self):
        run("umount", "-R", self.top, check=False)
        shutil.rmtree(self.top, ignore_errors=True)
        self.assertEqual(fingerprint(), self.before, "this machine's package database or users changed")

    def r(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def chroot(self, *args, check=True):
        return run("chroot", self.root, *args, check=check,
                   env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive"})

    def test_install_remove_purge(self):
        self.assertIsNone(self.chroot("getent", "passwd", "ptrwatchd", check=False).stdout or None,
                          "the user exists before the install")
        p = self.chroot("sh", "-c", "dpkg -i /debs/ptrwatch_*.deb /debs/cockpit-ptrwatch_*.deb")
        self.assertNotIn("error", (p.stdout + p.stderr).lower())

        # the user, from sysusers: a system user without a login
        user = self.chroot("getent", "passwd", "ptrwatchd").stdout.strip().split(":")
        self.assertLess(int(user[2]), 1000)
        self.assertEqual(user[6], "/usr/sbin/nologin")
        self.chroot("getent", "group", "ptrwatchd")
        # the files, the service enabled for the next boot, the catalog compiled by systemd's trigger
        for f in PTRWATCH_FILES | COCKPIT_FILES:
            self.assertTrue(os.path.exists(self.r(f)), f)
        self.assertTrue(os.path.islink(self.r(WANTS)), "enabled")
        self.assertIn(MESSAGE_ID_NO_PTR, self.chroot("journalctl", "--list-catalog").stdout)
        self.assertEqual(self.chroot("ptrwatchd", "--check-config").stdout.strip(), "configuration OK")
        self.assertEqual(self.chroot("ptrwatch", "--version").returncode, 0)
        # Cockpit finds the page and its menu entry
        packages = self.chroot("cockpit-bridge", "--packages").stdout
        self.assertRegex(packages, r"(?m)^ptrwatch\s+Reverse DNS\s+/usr/share/cockpit/ptrwatch$")

        # what the daemon and the administrator leave behind
        os.makedirs(self.r("var/lib/ptrwatch"))
        with open(self.r("var/lib/ptrwatch/state"), "w") as f:
            f.write("ptrwatch-state 2\n")
        with open(self.r("etc/ptrwatch/ptrwatchd.conf"), "a") as f:
            f.write("\n# edited by the administrator\n")

        # remove keeps configuration and state
        self.chroot("dpkg", "--remove", "cockpit-ptrwatch", "ptrwatch")
        self.assertFalse(os.path.exists(self.r("usr/sbin/ptrwatchd")))
        self.assertFalse(os.path.exists(self.r("usr/share/cockpit/ptrwatch")))
        self.assertTrue(os.path.exists(self.r("etc/ptrwatch/ptrwatchd.conf")))
        self.assertTrue(os.path.exists(self.r("var/lib/ptrwatch/state")))

        # purge takes them
        self.chroot("dpkg", "--purge", "cockpit-ptrwatch", "ptrwatch")
        for gone in ("etc/ptrwatch", "var/lib/ptrwatch", WANTS, "usr/share/doc/ptrwatch"):
            self.assertFalse(os.path.lexists(self.r(gone)), gone)
        status = self.chroot("dpkg-query", "-W", "-f=${db:Status-Status}", "ptrwatch", check=False)
        self.assertIn(status.stdout.strip(), ("not-installed", ""))
        # the user stays, as Debian leaves system users (their files may remain elsewhere)
        self.assertEqual(self.chroot("getent", "passwd", "ptrwatchd").returncode, 0)


def setUpModule():
    global work, debs
    work = tempfile.mkdtemp(prefix="ptrwatch-deb-")
    debs = debbuild.build(work)


def tearDownModule():
    if os.environ.get("PTRWATCH_KEEP_TMP") != "1":
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
