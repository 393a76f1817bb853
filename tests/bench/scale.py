#!/usr/bin/python3
"""ptrwatchd at scale: N watched addresses (100,000 by default) in
198.18.0.0/15 behind unbound, in a private network namespace. Measures peak
RSS per watched address above an idle daemon, a full refresh against
getdns_query on the same queries, start-up with an N-entry state file until
the bus name is owned, `ptrwatch status` end to end, and the size of the
D-Bus replies. Writes the "Scale" section of tests/bench/RESULTS.md.

Run through `tests/bench/run --scale N`."""

import ipaddress
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))
import dnsworld  # noqa: E402

BUILD = os.environ.get("BUILD", os.path.join(SOURCE, "build"))
PTRWATCHD = os.path.join(BUILD, "daemon", "ptrwatchd")
PTRWATCH = os.path.join(BUILD, "client", "ptrwatch")
RESULTS = os.path.join(HERE, "RESULTS.md")
BEGIN, END = "<!-- scale: begin -->", "<!-- scale: end -->"
DBUS_MAX_MESSAGE = 32 * 1024 * 1024      # dbus-daemon's default max_message_size (system bus)
RUNS = 3        # timed figures: the best of three, as bench.py's
rows = []


def row(figure, value, peer, ratio, target, met):
    rows.append((figure, value, peer, ratio, target, met))
    print(f"  {figure}: {value} vs {peer} -> {ratio} (target {target}) {'met' if met else 'NOT MET'}", flush=True)


def hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"^VmHWM:\s+(\d+) kB", f.read(), re.M).group(1))


def timed(cmd, **kw):
    t = time.monotonic()
    p = subprocess.run(cmd, **kw)
    return time.monotonic() - t, p


def timed_call(client, method):
    t = time.monotonic()
    client.call(method, timeout=900)
    return time.monotonic() - t


def reply_size(conn, method, args=None):
    from gi.repository import Gio
    import daemonworld as dw
    msg = Gio.DBusMessage.new_method_call(dw.NAME, dw.PATH, dw.IFACE, method)
    if args is not None:
        msg.set_body(args)
    reply, _ = conn.send_message_with_reply_sync(msg, Gio.DBusSendMessageFlags.NONE, 600000, None)
    if reply.get_message_type() == Gio.DBusMessageType.ERROR:
        raise RuntimeError(reply.get_error_name())
    body = reply.get_body().unpack()
    return len(reply.to_blob(Gio.DBusCapabilityFlags.NONE)), len(body[-1])


def owned_after(root, bus, conf, state_dir):
    """Seconds from exec to the bus name being owned, with state_dir's state."""
    import daemonworld as dw
    probe = dw.Client(bus)
    d = dw.Daemon(root, bus, conf, state_dir=state_dir, name="restart")
    t = time.monotonic()
    d.start(wait_ready=False)
    while not probe.has_owner():
        if d.proc.poll() is not None:
            raise RuntimeError(d.stderr())
        if time.monotonic() - t > 120:
            raise TimeoutError("name not owned in 120 s")
        time.sleep(0.002)
    return time.monotonic() - t, d


def main():
    n = int(os.environ.get("SCALE_SIZE", "100000"))
    dnsworld.isolate(mount=True)
    import daemonworld as dw
    dw.PTRWATCHD = PTRWATCHD

    v4, _ = dnsworld.bench_addresses(n)
    extra = ["  log-queries: no", "  msg-cache-size: 256m", "  rrset-cache-size: 512m",
             "  num-queries-per-thread: 4096", "  outgoing-range: 8192", "  so-rcvbuf: 8m"]
    with dnsworld.DnsWorld(bench=(n, 0), resolver_port=53, unbound_extra=extra) as world:
        print(f"scale: {n} watched IPv4 addresses in 198.18.0.0/15 behind unbound on 127.0.0.1:53", flush=True)
        bus = dw.Bus(world.root).start()
        client = dw.Client(bus)
        try:
            # a daemon watching ten addresses: the baseline
            conf1 = world.config("ten.conf", servers="127.0.0.1:53",
                                 Watch={"Addresses": " ".join(v4[:10]), "Discover": "none"}, Cache={"MinTTL": "1h"})
            d = dw.Daemon(world.root, bus, conf1, name="ten").start()
            dw.wait_for(lambda: client.get("Summary") == "pass", "ten pass")
            idle = hwm_kib(d.proc.pid)
            d.stop()

            conf = world.config("scale.conf", servers="127.0.0.1:53",
                                Watch={"Addresses": " ".join(v4), "Discover": "none"},
                                Resolver={"Timeout": "5s"}, Cache={"MinTTL": "1h"})
            state = os.path.join(world.root, "scale-state")
            os.makedirs(state)
            world.unbound.flush()
            t0 = time.monotonic()
            d = dw.Daemon(world.root, bus, conf, state_dir=state, name="scale").start()
            dw.wait_for(lambda: client.get("Summary") == "pass", "every verdict", deadline=900)
            first = time.monotonic() - t0
            refresh = min(timed_call(client, "Refresh") for _ in range(RUNS))
            peak = hwm_kib(d.proc.pid)
            from gi.repository import GLib
            size_all, count_all = reply_size(client.conn, "ListVerdicts", GLib.Variant("(ttt)", (0, n, 0)))
            size_problems, count_problems = reply_size(client.conn, "ListVerdicts", GLib.Variant("(ttt)", (0, n, 1)))
            env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus.address)
            status_t, p = timed([PTRWATCH, "--timeout", "600", "status"], env=env, capture_output=True, text=True)
            assert p.returncode == 0 and p.stdout.startswith(f"{n} addresses: {n} pass"), p.stdout[:200] + p.stderr
            status_json_t, p = timed([PTRWATCH, "--timeout", "600", "--json", "status"], env=env,
                                     capture_output=True, text=True)
            problems_t, p = timed([PTRWATCH, "status", "--problems"], env=env, capture_output=True, text=True)
            assert p.returncode == 0, p.stderr
            d.stop()            # writes the state file of n entries
            state_bytes = os.path.getsize(os.path.join(state, "verdicts"))

            owned, d = owned_after(world.root, bus, conf, state)
            dw.wait_for(lambda: client.get("Summary") == "pass", "the loaded verdicts")
            d.stop()
        finally:
            bus.stop()

        # the same queries through getdns_query, warm cache
        gq = os.path.join(world.root, "gq.txt")
        with open(gq, "w") as f:
            for i, a in enumerate(v4):
                f.write(f"{ipaddress.ip_address(a).reverse_pointer} PTR\nh{i}.bench.test A\n")
        gq_b = min(timed(["getdns_query", "-s", "-B", "-q", "-F", gq, "@127.0.0.1"], capture_output=True)[0]
                   for _ in range(RUNS))
        gq_ab = min(timed(["getdns_query", "-s", "-a", "-B", "-q", "-F", gq, "@127.0.0.1"], capture_output=True)[0]
                    for _ in range(RUNS))

    per = (peak - idle) * 1024 / n
    row(f"{n} watched: (peak RSS - peak RSS watching 10) / {n}", f"{per:.0f} B ({peak / 1024:.1f} MiB peak)",
        f"watching 10: {idle / 1024:.1f} MiB", "-", "<= 1 KiB", per <= 1024)
    row(f"{n} watched: Refresh() (warm, best of {RUNS})", f"{refresh:.2f} s", f"getdns_query -a -B {gq_ab:.2f} s "
        f"(-B {gq_b:.2f} s)", f"{refresh / gq_ab:.2f}x", "<= 1.0x", refresh <= gq_ab)
    row(f"first check of {n} addresses (cold)", f"{first:.2f} s", "-", "-", "(reported)", True)
    row(f"start-up with a {n}-entry state file ({state_bytes / 1e6:.1f} MB) until the name is owned",
        f"{owned:.2f} s", "-", "-", "<= 1 s", owned <= 1.0)
    row(f"ptrwatch status, {n} addresses, end to end", f"{status_t:.2f} s (--json {status_json_t:.2f} s)",
        f"status --problems {problems_t * 1000:.0f} ms", "-", "(reported)", True)
    row("largest D-Bus reply: a full ListVerdicts page", f"{size_all / 1e6:.1f} MB ({count_all} verdicts)",
        f"dbus-daemon's limit {DBUS_MAX_MESSAGE / 2**20:.0f} MiB; problems only: {size_problems} B ({count_problems})",
        f"{size_all / DBUS_MAX_MESSAGE:.2f} of the limit", "<= 1/3 of it", size_all <= DBUS_MAX_MESSAGE / 3)
    write_section(n)


def write_section(n):
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    lines = [BEGIN, "", f"## Scale: {n:,} watched addresses", "",
             f"Measured by `tests/bench/run --scale {n}` on {time.strftime('%Y-%m-%d')}: {os.cpu_count()} cores "
             f"({cpu}); {n:,} IPv4 addresses in 198.18.0.0/15, one PTR and one A each, nsd behind unbound on "
             "127.0.0.1:53 in a private network namespace; the daemon with default [Resolver] settings.", "",
             "| figure | ptrwatch | peer | ratio | target | |", "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append("| " + " | ".join(r[:5]) + f" | {'met' if r[5] else '**not met**'} |")
    lines += ["", END]
    print("\n".join(lines[4:-2]))
    if n < 65536:
        return          # a smoke run
    text = open(RESULTS).read() if os.path.exists(RESULTS) else "# Benchmark results\n"
    if BEGIN in text:
        text = text[:text.index(BEGIN)] + "\n".join(lines) + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
    with open(RESULTS, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
