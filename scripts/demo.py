#!/usr/bin/env python3
"""scripts/run --demo: the test zones served by nsd behind unbound on
loopback, inside a private network namespace, checked by ptrwatchd."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import dnsworld  # noqa: E402

DEMO = [
    ("192.0.2.10", "PTR and A agree"),
    ("2001:db8::25", "the same over IPv6"),
    ("203.0.113.10", "through an RFC 2317 classless delegation"),
    ("192.0.2.15", "twelve PTR records"),
    ("192.0.2.16", "a generic, dynamic-looking name"),
    ("192.0.2.11", "no PTR record at all"),
    ("192.0.2.13", "a PTR name that points elsewhere"),
    ("198.51.100.7", "a broken (lame) reverse zone"),
]


def main():
    ptrwatchd = sys.argv[1]
    dnsworld.isolate()
    with dnsworld.DnsWorld() as world:
        conf = world.config("demo.conf")
        print(f"Example zones served by nsd behind unbound on 127.0.0.1:{world.unbound.port}, "
              "in a private network namespace.\n")
        for address, what in DEMO:
            print(f"  {address:<14} {what}")
        print(f"\n$ ptrwatchd --check {' '.join(a for a, _ in DEMO)}\n")
        sys.stdout.flush()
        rc = subprocess.run([ptrwatchd, "--config", conf, "--check"] + [a for a, _ in DEMO]).returncode
        print(f"\n(exit status {rc}: the worst verdict decides, as monitoring plugins expect)")
        print("\n$ ptrwatchd --check --json 192.0.2.11\n")
        sys.stdout.flush()
        subprocess.run([ptrwatchd, "--config", conf, "--check", "--json", "192.0.2.11"])


if __name__ == "__main__":
    main()
