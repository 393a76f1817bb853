#!/usr/bin/python3
"""A bad network between ptrwatchd and its resolver (#14): loss, delay,
duplication, reordering and undetected corruption, by a UDP proxy in the
test's network namespace (this kernel has no netem; the proxy drops as
nftables would, and can do the rest too). For each fault, hundreds of checks
of addresses whose verdicts are known: wrong definitive verdicts are counted
(there must be none) and temperrors reported. The figures go to
tests/ROBUSTNESS.md."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnsworld  # noqa: E402

if __name__ == "__main__":
    dnsworld.isolate()

from faultproxy import FaultProxy  # noqa: E402

PTRWATCHD = os.environ.get("PTRWATCHD", "ptrwatchd")
SANITIZED = os.environ.get("PTRWATCH_SANITIZED") == "1"
N_PASS = 150 if SANITIZED else 300
# the truth: the bench addresses pass; these fail, each for its reason
FAILS = {"192.0.2.11": ["no-ptr"], "192.0.2.12": ["forward-missing"], "192.0.2.13": ["forward-mismatch"]}
FAULTS = {
    "10% loss": dict(loss=0.10),
    "30% loss": dict(loss=0.30),
    "60% loss": dict(loss=0.60),
    "200-2000 ms delay": dict(delay=(0.2, 2.0)),
    "50% duplication": dict(dup=0.50),
    "25% reordering": dict(reorder=0.25),
    "5% corruption": dict(corrupt=0.05),
}
world = None
results = {}


def run(faults):
    proxy = FaultProxy(world.unbound.port, seed=11, **faults)
    try:
        v4, _ = dnsworld.bench_addresses(N_PASS)
        conf = os.path.join(world.root, "faults.conf")
        with open(conf, "w") as f:
            # the default Timeout=5s: a round trip of up to 4 s (2 s each way) fits
            f.write(f"[Resolver]\nServers=127.0.0.1:{proxy.port}\n")
        p = subprocess.run([PTRWATCHD, "--config", conf, "--check", "--json"] + v4 + list(FAILS),
                           capture_output=True, text=True, timeout=600)
        if "Sanitizer" in p.stderr or "runtime error:" in p.stderr:
            raise AssertionError("sanitizer report:\n" + p.stderr)
        verdicts = json.loads(p.stdout)
    finally:
        proxy.stop()
    wrong, temperror = [], 0
    for v in verdicts:
        truth = ("fail", FAILS[v["address"]]) if v["address"] in FAILS else ("pass", [])
        if v["verdict"] == "temperror":
            temperror += 1
        elif (v["verdict"], v["reasons"]) != truth:
            wrong.append((v["address"], v["verdict"], v["reasons"], v["message"]))
    return len(verdicts), wrong, temperror, proxy.counts


class NetworkFaults(unittest.TestCase):
    def test_faults(self):
        for name, faults in FAULTS.items():
            with self.subTest(fault=name):
                n, wrong, temperror, counts = run(faults)
                results[name] = (n, len(wrong), temperror, counts)
                print(f"\n{name}: {n} checks, {len(wrong)} wrong definitive verdicts, {temperror} temperrors "
                      f"({100 * temperror / n:.1f}%); proxy {counts}", file=sys.stderr)
                self.assertEqual(n, N_PASS + len(FAILS))
                self.assertEqual(wrong, [], name)
                if name == "10% loss":
                    self.assertLess(temperror / n, 0.05, "with retransmission 10% loss costs under 5%")
                if name in ("50% duplication", "25% reordering", "200-2000 ms delay"):
                    self.assertEqual(temperror, 0, name)


if __name__ == "__main__":
    with dnsworld.DnsWorld(bench=(N_PASS, 0)) as w:
        world = w
        unittest.main(verbosity=2, exit=False)
    print("\n| fault | checks | wrong definitive verdicts | temperrors |", file=sys.stderr)
    for name, (n, wrong, temperror, _) in results.items():
        print(f"| {name} | {n} | {wrong} | {temperror} ({100 * temperror / n:.1f}%) |", file=sys.stderr)
    sys.exit(0 if results and all(r[1] == 0 for r in results.values()) and len(results) == len(FAULTS) else 1)
