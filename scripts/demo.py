#!/usr/bin/python3
"""scripts/run --demo: the example zones of tests/zones served by nsd behind
unbound on loopback, inside private network and mount namespaces; ptrwatchd
watching addresses there on a private bus; ptrwatch showing the verdicts."""

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


def show(ptrwatch, env, *args):
    print(f"\n$ ptrwatch {' '.join(args)}")
    sys.stdout.flush()
    rc = subprocess.run([ptrwatch] + list(args), env=env).returncode
    print(f"(exit status {rc})")


def main():
    build = sys.argv[1]
    dnsworld.isolate(mount=True)
    import daemonworld as dw
    dw.PTRWATCHD = os.path.join(build, "daemon", "ptrwatchd")
    ptrwatch = os.path.join(build, "client", "ptrwatch")

    with dnsworld.DnsWorld() as world:
        bus = dw.Bus(world.root).start()
        conf = world.config("demo.conf", Watch={"Addresses": " ".join(a for a, _ in DEMO), "Discover": "none"},
                            Resolver={"Timeout": "2s"}, Cache={"MinTTL": "30s"})
        daemon = dw.Daemon(world.root, bus, conf).start()
        try:
            client = dw.Client(bus)
            dw.wait_for(lambda: all(v["verdict"] != "unknown" for v in client.verdicts()), "verdicts")
            print(f"Example zones: nsd behind unbound on 127.0.0.1:{world.unbound.port}, in a private network "
                  "namespace.\nptrwatchd watches these addresses, on a private D-Bus:\n")
            for address, what in DEMO:
                print(f"  {address:<14} {what}")
            env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus.address)
            show(ptrwatch, env, "status")
            show(ptrwatch, env, "check", "192.0.2.19", "203.0.113.50")
            show(ptrwatch, env, "--json", "check", "192.0.2.11")
            show(ptrwatch, env, "--nagios")
        finally:
            daemon.stop()
            bus.stop()


if __name__ == "__main__":
    main()
