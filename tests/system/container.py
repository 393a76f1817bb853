"""A booted systemd for tests: systemd-nspawn runs this machine's own / as a
container, through an overlay whose upper layer lives in a tmpfs, with a
private network (loopback only). Everything it writes vanishes with the
tmpfs; this process must already be in a mount namespace of its own, so
that no mount outlives it either.

Stdlib only. The container is powered off, its nspawn process waited for,
and its mounts removed by stop()."""

import os
import shutil
import subprocess
import tempfile
import time

PATH = "/usr/sbin:/usr/bin:/sbin:/bin"

# Timers and services of this machine's image that would start work of their
# own in the container (apt, man-db, ...): masked, so that only what a test
# starts runs.
MASKED = ["apt-daily.timer", "apt-daily-upgrade.timer", "man-db.timer", "e2scrub_all.timer",
          "fstrim.timer", "dpkg-db-backup.timer", "logrotate.timer", "systemd-tmpfiles-clean.timer",
          "systemd-networkd-wait-online.service", "getty@tty1.service", "console-getty.service"]


def deadline_poll(what, fn, timeout, interval=0.2):
    """fn() until it returns something true, or fail after timeout seconds
    saying what was awaited and what fn() last gave."""
    end = time.monotonic() + timeout
    last = None
    while True:
        last = fn()
        if last:
            return last
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")
        time.sleep(interval)


class Container:
    def __init__(self, name):
        self.name = name
        self.top = tempfile.mkdtemp(prefix="ptrwatch-system-")
        self.root = os.path.join(self.top, "root")
        self.nspawn = None
        self.leader = None
        self.console = None

    def path(self, path):
        """Where a file of the container is, seen from here."""
        return os.path.join(self.root, path.lstrip("/"))

    def write(self, path, text, mode=0o644):
        p = self.path(path)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)

    def read(self, path):
        with open(self.path(path)) as f:
            return f.read()

    def _prepare(self):
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0700", self.name, self.top], check=True)
        for d in ("upper", "work", "root"):
            os.makedirs(os.path.join(self.top, d))
        subprocess.run(["mount", "-t", "overlay", "-o",
                        f"lowerdir=/,upperdir={self.top}/upper,workdir={self.top}/work", self.name, self.root],
                       check=True)
        # This image blocks every service start through policy-rc.d (exit
        # 101): the container is where services are meant to start.
        for f in ("usr/sbin/policy-rc.d",):
            if os.path.lexists(self.path(f)):
                os.unlink(self.path(f))
        wants = self.path("etc/systemd/system/multi-user.target.wants")
        if os.path.isdir(wants):
            shutil.rmtree(wants)
        os.makedirs(wants)
        for unit in MASKED:
            link = self.path("etc/systemd/system/" + unit)
            if os.path.lexists(link):
                os.unlink(link)
            os.symlink("/dev/null", link)
        # The container asks its own resolver on loopback, never this host's.
        if os.path.lexists(self.path("etc/resolv.conf")):
            os.unlink(self.path("etc/resolv.conf"))
        self.write("/etc/resolv.conf", "nameserver 127.0.0.1\n")
        self.write("/etc/hostname", self.name + "\n")

    def boot(self, timeout=60):
        self._prepare()
        self.console = open(os.path.join(self.top, "console.log"), "w")
        self.nspawn = subprocess.Popen(
            ["systemd-nspawn", "-D", self.root, "-b", "--private-network", "--register=no", "--keep-unit",
             "--link-journal=no", "--console=passive", "--resolv-conf=off", "--timezone=off",
             f"--machine={self.name}"],
            stdin=subprocess.DEVNULL, stdout=self.console, stderr=subprocess.STDOUT)

        def leader():
            if self.nspawn.poll() is not None:
                raise AssertionError(f"systemd-nspawn exited with {self.nspawn.returncode}:\n{self.console_log()}")
            out = subprocess.run(["pgrep", "-P", str(self.nspawn.pid), "-x", "systemd"],
                                 capture_output=True, text=True).stdout.split()
            return int(out[0]) if out else None
        self.leader = deadline_poll("the container's systemd", leader, timeout)
        deadline_poll("systemd's private socket", lambda: os.path.exists(
            f"/proc/{self.leader}/root/run/systemd/private"), timeout)
        state = self.run("systemctl", "is-system-running", "--wait", check=False, timeout=timeout).stdout.strip()
        if state not in ("running", "degraded"):
            raise AssertionError(f"the container did not boot: {state}\n{self.journal()}")
        return state

    def console_log(self):
        try:
            with open(os.path.join(self.top, "console.log")) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def run(self, *args, check=True, user=None, input=None, timeout=120):
        """A command in the container, in all its namespaces, with a clean
        environment; as user (setpriv, no other groups) when given."""
        cmd = ["nsenter", "-t", str(self.leader), "-a", "--", "env", "-i", f"PATH={PATH}", "LC_ALL=C.UTF-8",
               "DEBIAN_FRONTEND=noninteractive", "SYSTEMD_COLORS=0", "SYSTEMD_PAGER="]
        if user:
            cmd += ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"]
        p = subprocess.run(cmd + list(args), capture_output=True, text=True, input=input, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(f"in the container, {' '.join(args)}: exit {p.returncode}\n"
                                 f"{p.stdout[-4000:]}\n{p.stderr[-4000:]}")
        return p

    def journal(self, lines=300):
        if not self.leader:
            return self.console_log()
        return self.run("journalctl", "-b", "--no-pager", "-n", str(lines), check=False).stdout

    def stop(self, timeout=60):
        """Power off, wait for nspawn, unmount; nothing may be left."""
        try:
            if self.nspawn and self.nspawn.poll() is None:
                self.run("systemctl", "poweroff", "--no-block", check=False, timeout=30)
                try:
                    self.nspawn.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.nspawn.kill()          # SIGKILL to nspawn ends the container's PID namespace too
                    self.nspawn.wait(30)
        finally:
            if self.console:
                self.console.close()
            subprocess.run(["umount", "-R", self.top], check=False)
            shutil.rmtree(self.top, ignore_errors=True)
