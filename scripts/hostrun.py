#!/usr/bin/python3
"""scripts/run: start ptrwatchd for this host and show its verdicts.

On the system bus when one runs and ptrwatch's bus policy is installed there;
otherwise on a private bus of its own. The daemon keeps running afterwards;
the script says how to talk to it and how to stop it. Stdlib only."""

import os
import socket
import subprocess
import sys
import tempfile
import time

BUILD = sys.argv[1]
PTRWATCHD = os.path.join(BUILD, "daemon", "ptrwatchd")
PTRWATCH = os.path.join(BUILD, "client", "ptrwatch")
SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))
from busconfig import ROOT_OWNS, system_bus_config  # noqa: E402
SYSTEM_BUS = "/run/dbus/system_bus_socket"
POLICY = "org.ptrwatch.PtrWatch1.conf"

def policy_installed():
    return any(os.path.exists(os.path.join(d, POLICY))
               for d in ("/usr/share/dbus-1/system.d", "/etc/dbus-1/system.d"))


def system_bus_usable():
    if not (os.path.exists(SYSTEM_BUS) and policy_installed()):
        return False
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(SYSTEM_BUS)
        return True
    except OSError:
        return False
    finally:
        s.close()


def private_bus(run_dir):
    os.makedirs(os.path.join(run_dir, "system.d"))
    subprocess.run(["cp", os.path.join(SOURCE, "dbus", POLICY), os.path.join(run_dir, "system.d")], check=True)
    # this private bus is root's: root may own the name, as ptrwatchd would
    with open(os.path.join(run_dir, "system.d", "root-owns.conf"), "w") as f:
        f.write(ROOT_OWNS)
    conf = os.path.join(run_dir, "bus.conf")
    with open(conf, "w") as f:
        f.write(system_bus_config(os.path.join(run_dir, "bus"), os.path.join(run_dir, "system.d")))
    proc = subprocess.Popen(["dbus-daemon", "--config-file", conf, "--fork", "--print-pid=1",
                             "--print-address=1"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    address = proc.stdout.readline().strip()
    pid = int(proc.stdout.readline().strip())
    proc.wait()
    return address, pid


def main():
    run_dir = tempfile.mkdtemp(prefix="ptrwatch-run-")
    env = dict(os.environ)
    bus_pid = None
    if system_bus_usable():
        where = "the system bus"
        env.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
    else:
        address, bus_pid = private_bus(run_dir)
        env["DBUS_SYSTEM_BUS_ADDRESS"] = address
        where = f"a private bus ({address}), since no system bus with ptrwatch's policy runs here"

    notify_path = os.path.join(run_dir, "notify")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    notify.settimeout(1)
    log = os.path.join(run_dir, "ptrwatchd.log")
    state = os.path.join(run_dir, "state")
    args = [PTRWATCHD, "--state-dir", state]
    with open(log, "w") as out:
        daemon = subprocess.Popen(args, env=dict(env, NOTIFY_SOCKET=notify_path), stdout=out, stderr=out,
                                  start_new_session=True)

    deadline = time.monotonic() + 30
    ready = False
    while not ready and time.monotonic() < deadline and daemon.poll() is None:
        try:
            ready = b"READY=1" in notify.recv(4096)
        except socket.timeout:
            pass
    if not ready:
        print(f"ptrwatchd did not start:\n{open(log).read()}", file=sys.stderr)
        if bus_pid:
            os.kill(bus_pid, 15)
        return 1

    # Give the first checks their time: every verdict known, or Timeout= passed.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        p = subprocess.run([PTRWATCH, "--json", "status"], env=env, capture_output=True, text=True)
        if '"verdict": "unknown"' not in p.stdout:
            break
        time.sleep(0.3)

    print(f"ptrwatchd runs on {where}, with {'/etc/ptrwatch/ptrwatchd.conf' if os.path.exists('/etc/ptrwatch/ptrwatchd.conf') else 'the built-in defaults'}.\n")
    print("$ ptrwatch status")
    sys.stdout.flush()
    rc = subprocess.run([PTRWATCH, "status"], env=env).returncode
    with open(log) as f:
        notes = [l.split(">", 1)[-1].strip() for l in f if "behind NAT" in l or "No outbound address" in l
                 or "disagree" in l]
    if notes:
        print("\nptrwatchd says:")
        for n in notes:
            print("  " + n)
    print(f"\n(exit status {rc}: 0 pass, 1 warn, 2 fail, 3 temperror or nothing to check)")
    prefix = f"DBUS_SYSTEM_BUS_ADDRESS={env['DBUS_SYSTEM_BUS_ADDRESS']} " if bus_pid else ""
    print(f"\nptrwatchd keeps running (PID {daemon.pid}; log {log}). Try:\n"
          f"  {prefix}{PTRWATCH} monitor\n"
          f"  {prefix}{PTRWATCH} check 192.0.2.10\n"
          f"Stop it with: kill {daemon.pid}" + (f" {bus_pid}" if bus_pid else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
