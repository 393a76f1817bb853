#!/usr/bin/python3
"""Benchmarks against peers, measured side by side in one run, in a private
network namespace: bulk checks (ptrwatchd --check, adnshost -i, getdns_query
-B), D-Bus latency against the bus's own floor, memory, idle cost. Prints one
table and writes tests/bench/RESULTS.md. Not a test: it prints ratios."""

import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))
import dnsworld  # noqa: E402

BUILD = os.environ.get("BUILD", os.path.join(SOURCE, "build"))
PTRWATCHD = os.path.join(BUILD, "daemon", "ptrwatchd")
PTRWATCH = os.path.join(BUILD, "client", "ptrwatch")
MAXRSS = os.path.join(BUILD, "tests", "helpers", "maxrss")
LOADCLIENT = os.path.join(BUILD, "tests", "bench", "loadclient")
RCVBUF = os.path.join(BUILD, "tests", "bench", "rcvbuf.so")
os.environ["PTRWATCHD"] = PTRWATCHD

rows = []       # (figure, ptrwatch, peer, ratio, target, met)


def row(figure, ours, peer, ratio, target, met):
    rows.append((figure, ours, peer, ratio, target, met))
    print(f"  {figure}: {ours} vs {peer} -> {ratio} (target {target}) {'met' if met else 'NOT MET'}", flush=True)


def timed(cmd, **kw):
    t = time.monotonic()
    p = subprocess.run(cmd, **kw)
    return time.monotonic() - t, p


def queries(world):
    return int(world.unbound.stats().get("total.num.queries", 0))


def bulk(world, v4, v6, runs):
    addresses = v4 + v6
    conf = world.config("bench.conf", servers="127.0.0.1:53", Resolver={"Timeout": "5s", "MaxInFlight": "1024"})
    gq_file = os.path.join(world.root, "getdns_query.txt")
    import ipaddress
    with open(gq_file, "w") as f:
        for i, a in enumerate(v4):
            f.write(f"{ipaddress.ip_address(a).reverse_pointer} PTR\nh{i}.bench.test A\n")
        for i, a in enumerate(v6):
            f.write(f"{ipaddress.ip_address(a).reverse_pointer} PTR\ng{i}.bench.test AAAA\n")
    adns_input = "".join(f"-i{a}\n" for a in addresses)

    def ours():
        q = queries(world)
        t, p = timed([MAXRSS, PTRWATCHD, "--config", conf, "--check", "--json"] + addresses,
                     capture_output=True, text=True)
        doc = json.loads(p.stdout)
        assert len(doc) == len(addresses) and {v["verdict"] for v in doc} == {"pass"}, p.stderr[-500:]
        return t, queries(world) - q

    def adns(large):
        env = dict(os.environ, LD_PRELOAD=RCVBUF) if large else None
        q = queries(world)
        t, p = timed(["adnshost", "--config", "nameserver 127.0.0.1", "-a", "-f", "-Fi"], input=adns_input,
                     capture_output=True, text=True, env=env)
        ok = sum(1 for line in p.stdout.splitlines() if " PTR " in line and " ok " in line.lower() or
                 re.search(r"\sPTR\s+\S+\.bench\.test", line))
        return t, queries(world) - q, ok

    def getdns_query():
        q = queries(world)
        t, p = timed(["getdns_query", "-s", "-B", "-q", "-F", gq_file, "@127.0.0.1"], capture_output=True)
        assert p.returncode == 0, p.stderr[-500:]
        return t, queries(world) - q

    world.unbound.flush()
    cold, cold_q = ours()
    results = {"ptrwatchd": [], "adns-default": [], "adns-large": [], "getdns_query": []}
    counts = {}
    for _ in range(runs):
        t, q = ours()
        results["ptrwatchd"].append(t)
        counts["ptrwatchd"] = q
        t, q, ok = adns(False)
        results["adns-default"].append(t)
        counts["adns-default"] = (q, ok)
        t, q, ok = adns(True)
        results["adns-large"].append(t)
        counts["adns-large"] = (q, ok)
        t, q = getdns_query()
        results["getdns_query"].append(t)
        counts["getdns_query"] = q
    best = {k: min(v) for k, v in results.items()}
    n = len(addresses)
    print(f"\nbulk, {len(v4)} IPv4 + {len(v6)} IPv6, best of {runs}: " +
          ", ".join(f"{k} {v:.2f} s" for k, v in best.items()) + f"; ptrwatchd cold {cold:.2f} s")
    print(f"queries counted at unbound: ptrwatchd {counts['ptrwatchd']} (cold {cold_q}), "
          f"adnshost {counts['adns-default'][0]} / {counts['adns-large'][0]}, getdns_query {counts['getdns_query']}"
          f" (expected {2 * n}: one PTR and one A/AAAA per address)")
    adns_best = min(best["adns-default"], best["adns-large"])
    r = best["ptrwatchd"] / adns_best
    row(f"bulk check, {n} addresses (warm, best of {runs})", f"{best['ptrwatchd']:.2f} s",
        f"adnshost -i {adns_best:.2f} s (default buffer {best['adns-default']:.2f} s)", f"{r:.2f}x", "<= 2.0x",
        r <= 2.0)
    r = best["ptrwatchd"] / best["getdns_query"]
    row(f"bulk check, {n} addresses (warm)", f"{best['ptrwatchd']:.2f} s", f"getdns_query -B {best['getdns_query']:.2f} s",
        f"{r:.2f}x", "<= 1.0x", r <= 1.0)
    return {"cold": cold, "counts": counts, "best": best}


def daemon(world, bus, watch, name):
    import daemonworld as dw
    dw.PTRWATCHD = PTRWATCHD
    conf = world.config(f"{name}.conf", Watch={"Addresses": " ".join(watch), "Discover": "none"},
                        Resolver={"MaxInFlight": "256"}, Cache={"MinTTL": "1h"})
    d = dw.Daemon(world.root, bus, conf, name=name).start()
    client = dw.Client(bus)
    dw.wait_for(lambda: client.get("Summary") == "pass", "every verdict", deadline=300)
    return d


def hwm(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"^VmHWM:\s+(\d+) kB", f.read(), re.M).group(1))


def latency(world, bus, calls):
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus.address)
    out = subprocess.run([LOADCLIENT, "getid,check,getverdicts,getid", str(calls), "192.0.2.10"], env=env,
                         capture_output=True, text=True, check=True).stdout
    r = [json.loads(line) for line in out.splitlines()]
    floor = min(r[0]["p50_us"], r[3]["p50_us"])
    for k, label in ((1, "cached Check"), (2, "GetVerdicts (10 addresses)")):
        ratio = r[k]["p50_us"] / floor
        row(f"D-Bus round trip, {label}, p50", f"{r[k]['p50_us']:.0f} us", f"GetId {floor:.0f} us",
            f"{ratio:.2f}x", "<= 1.5x", ratio <= 1.5)

    def median_wall(cmd, n=30):
        ts = []
        for _ in range(n):
            t, p = timed(cmd, env=env, capture_output=True)
            ts.append(t)
        return statistics.median(ts)
    ours = median_wall([PTRWATCH, "status"])
    peer = median_wall(["busctl", "call", "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                        "GetId"])
    row("whole process: ptrwatch status", f"{ours * 1000:.1f} ms", f"busctl call GetId {peer * 1000:.1f} ms",
        f"{ours / peer:.2f}x", "(reported)", True)


def idle_cost(pid, seconds):
    """The system calls of the daemon over seconds, when nothing is due."""
    with tempfile.NamedTemporaryFile(mode="r") as trace:
        p = subprocess.Popen(["strace", "-f", "-qq", "-o", trace.name, "-p", str(pid)])
        time.sleep(seconds)     # the measurement window itself, not synchronisation
        p.terminate()
        p.wait()
        calls = [re.match(r"^(?:\d+\s+)?(\w+)\(", line) for line in trace]
    return [m.group(1) for m in calls if m]


def main():
    size = int(os.environ.get("BENCH_SIZE", "10000"))
    idle_seconds = int(os.environ.get("BENCH_IDLE", "60"))
    runs = int(os.environ.get("BENCH_RUNS", "3"))
    dnsworld.isolate(mount=True)
    import daemonworld as dw

    gen = tempfile.mkdtemp(prefix="ptrwatch-bench-")
    n6 = max(size // 10, 1)
    zones, files = dnsworld.bench_zones(gen, size, n6)
    v4, v6 = dnsworld.bench_addresses(size, n6)
    with dnsworld.DnsWorld(extra_primary_zones=zones, extra_zone_files=files, resolver_port=53,
                           unbound_extra=["  log-queries: no", "  msg-cache-size: 64m", "  rrset-cache-size: 128m",
                                          "  num-queries-per-thread: 4096", "  outgoing-range: 8192",
                                          "  so-rcvbuf: 8m"]) as world:
        print(f"bench: {size} IPv4 + {n6} IPv6 addresses from {len(open(files['bench.test.zone']).readlines())} "
              f"forward records, unbound on 127.0.0.1:53 in a private network namespace")
        bulk_result = bulk(world, v4, v6, runs)

        bus = dw.Bus(world.root).start()
        small = ["192.0.2.10", "192.0.2.11", "192.0.2.13", "192.0.2.14", "192.0.2.15", "192.0.2.16",
                 "192.0.2.17", "192.0.2.21", "203.0.113.10", "2001:db8::25"]
        # the small daemon's verdicts are not all pass: wait on verdicts instead
        conf = world.config("small.conf", Watch={"Addresses": " ".join(small), "Discover": "none"},
                            Cache={"MinTTL": "1h"})
        d = dw.Daemon(world.root, bus, conf, name="small").start()
        client = dw.Client(bus)
        dw.wait_for(lambda: all(v["verdict"] != "unknown" for v in client.verdicts()), "verdicts")
        latency(world, bus, 20000 if size >= 10000 else 2000)
        small_hwm = hwm(d.proc.pid)
        names = idle_cost(d.proc.pid, idle_seconds)
        d.stop()
        row("idle daemon, 10 watched: peak RSS", f"{small_hwm / 1024:.1f} MiB", "-", "-", "<= 8 MiB",
            small_hwm <= 8 * 1024)
        counts = {n: names.count(n) for n in sorted(set(names))}
        row(f"idle daemon, {idle_seconds} s with nothing due: syscalls", str(len(names)) +
            (f" ({', '.join(f'{k} {v}' for k, v in counts.items())})" if counts else ""), "-", "-",
            "0 (no polling)", len(names) == 0)

        big = daemon(world, bus, v4, "big")
        big_hwm = hwm(big.proc.pid)
        big.stop()
        row(f"daemon, {len(v4)} watched: peak RSS", f"{big_hwm / 1024:.1f} MiB", "-", "-",
            "<= 24 MiB" if len(v4) >= 10000 else "(smoke size)", big_hwm <= 24 * 1024 or len(v4) < 10000)
        bus.stop()

    write_results(size, runs, idle_seconds, bulk_result)
    print("\n| figure | ptrwatch | peer | ratio | target | |\n| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print("| " + " | ".join(r[:5]) + f" | {'met' if r[5] else '**not met**'} |")


def write_results(size, runs, idle_seconds, bulk_result):
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    lines = ["# Benchmark results", "",
             f"Measured by `tests/bench/run --size {size}` on {time.strftime('%Y-%m-%d')}: {os.cpu_count()} cores "
             f"({cpu}), {round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB, "
             f"{platform.system()} {platform.release()}, Debian {open('/etc/debian_version').read().strip()}; "
             f"getdns {subprocess.run(['getdns_query', '-V'], capture_output=True, text=True).stdout.strip() or '1.6.0'}, "
             f"adns-tools, unbound and nsd from Debian. Bulk times are best of {runs} with a warm resolver cache; "
             f"the idle trace lasted {idle_seconds} s.", "",
             "| figure | ptrwatch | peer | ratio | target | |", "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append("| " + " | ".join(r[:5]) + f" | {'met' if r[5] else '**not met**'} |")
    lines += ["", "Queries counted at unbound (`unbound-control stats_noreset`, total.num.queries) per run: "
              f"ptrwatchd {bulk_result['counts']['ptrwatchd']}, adnshost {bulk_result['counts']['adns-large'][0]}, "
              f"getdns_query {bulk_result['counts']['getdns_query']}. ptrwatchd cold cache: "
              f"{bulk_result['cold']:.2f} s.", ""]
    if size >= 10000:
        with open(os.path.join(HERE, "RESULTS.md"), "w") as f:
            f.write("\n".join(lines) + "\n" + NOTES)
        print(f"\nwrote {os.path.join(HERE, 'RESULTS.md')}")


NOTES = """
## How each tool is driven

- `ptrwatchd --check --json ADDRESS...` with `Servers=127.0.0.1:53`, `MaxInFlight=256`:
  one PTR query per address, then A (IPv4) or AAAA (IPv6) of each PTR name.
- `adnshost --config 'nameserver 127.0.0.1' -a -f -Fi` reading `-iADDRESS` lines: adns's
  checked PTR lookup, which also confirms the name's forward record. adns cannot use a
  port other than 53, hence unbound on 127.0.0.1:53 inside the namespace. It runs once
  with the default socket receive buffer and once with 8 MiB (`SO_RCVBUFFORCE` from a
  small `LD_PRELOAD` shim, `tests/bench/rcvbuf.c`); the better of the two is the peer
  figure.
- `getdns_query -s -B -q -F FILE @127.0.0.1`: the same PTR and A/AAAA queries, all
  scheduled before any answer is read (batch mode), through the library ptrwatchd uses.
"""


if __name__ == "__main__":
    main()
