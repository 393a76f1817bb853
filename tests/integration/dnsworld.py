"""A private DNS world for tests: nsd authoritative servers and an unbound
resolver on 127.0.0.1 high ports, serving the zone files in tests/zones,
inside a network namespace of our own so that nothing can leave the machine.

Stdlib only. Every process started here is stopped by PID."""

import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

import scriptdns

HERE = os.path.dirname(os.path.abspath(__file__))
ZONES = os.path.join(os.path.dirname(HERE), "zones")

# zone name -> (file, which authoritative server)
PRIMARY_ZONES = {
    "example.test": "example.test.zone",
    "2.0.192.in-addr.arpa": "2.0.192.in-addr.arpa.zone",
    "113.0.203.in-addr.arpa": "113.0.203.in-addr.arpa.zone",
    "0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa": "0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.zone",
    "8.b.d.0.1.0.0.2.ip6.arpa": "8.b.d.0.1.0.0.2.ip6.arpa.zone",       # the registry's, undelegated
}
CLASSLESS_ZONES = {
    "0/26.113.0.203.in-addr.arpa": "0-26.113.0.203.in-addr.arpa.zone",
}
# Zones unbound is told to ask the primary server for, which does not serve
# them: it answers REFUSED, a lame delegation, and unbound gives SERVFAIL.
LAME_ZONES = ["100.51.198.in-addr.arpa", "broken.test"]

# Default local zones of unbound (RFC 6303, RFC 6761) that we serve for real.
UNBOUND_NODEFAULT = ["test.", "2.0.192.in-addr.arpa.", "100.51.198.in-addr.arpa.",
                     "113.0.203.in-addr.arpa.", "8.b.d.0.1.0.0.2.ip6.arpa.",
                     "18.198.in-addr.arpa.", "19.198.in-addr.arpa."]


def in_private_netns():
    """True when the only network interface is loopback."""
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=True).stdout
    names = [line.split(":")[1].strip().split("@")[0] for line in out.splitlines() if line.strip()]
    return names == ["lo"]


def isolate(mount=False):
    """Re-run this script in a fresh network namespace with only lo up; with
    mount, also in a mount namespace with a private tmpfs on /run (where the
    journal and notify sockets of the tests live)."""
    if os.environ.get("PTRWATCH_NETNS") == "1":
        if not in_private_netns():
            sys.exit("refusing to run: PTRWATCH_NETNS=1 but interfaces besides lo exist")
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        if mount:
            subprocess.run(["mount", "--make-rprivate", "/"], check=True)
            subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/run"], check=True)
        return
    env = dict(os.environ, PTRWATCH_NETNS="1")
    flags = ["--net"] + (["--mount"] if mount else [])
    os.execvpe("unshare", ["unshare"] + flags + ["--", sys.executable] + sys.argv, env)


_ports_given = set()


def free_port(kind=socket.SOCK_DGRAM):
    """A port free for both UDP and TCP on 127.0.0.1, never the same twice in
    this process (the kernel may hand a closed port out again at once)."""
    while True:
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port in _ports_given:
            continue
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t, \
                 socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                t.bind(("127.0.0.1", port))
                u.bind(("127.0.0.1", port))
            _ports_given.add(port)
            return port
        except OSError:
            continue


def dns_query(name, qtype=6, port=53, timeout=0.2):
    """Send one query over UDP to 127.0.0.1:port; return the rcode or None."""
    qid = os.getpid() & 0xffff
    header = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    qname = b"".join(bytes([len(l)]) + l.encode() for l in name.strip(".").split(".")) + b"\0"
    packet = header + qname + struct.pack(">HH", qtype, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(packet, ("127.0.0.1", port))
        try:
            data, _ = s.recvfrom(4096)
        except socket.timeout:
            return None
    return data[3] & 0x0f


def tcp_listening(port):
    """True when something accepts TCP connections on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait_until(predicate, what, deadline=15.0, interval=0.05):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError("timed out waiting for " + what)


class Nsd:
    def __init__(self, root, name, zones, extra_zone_files=None):
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir)
        self.port = free_port()
        self.zones = zones
        lines = ["server:",
                 f"  ip-address: 127.0.0.1@{self.port}",
                 f"  port: {self.port}",
                 '  username: ""', '  chroot: ""',
                 f"  zonesdir: \"{self.dir}\"",
                 '  database: ""',
                 f"  pidfile: \"{self.dir}/nsd.pid\"",
                 f"  xfrdfile: \"{self.dir}/xfrd.state\"",
                 f"  zonelistfile: \"{self.dir}/zone.list\"",
                 f"  logfile: \"{self.dir}/nsd.log\"",
                 "  server-count: 1", "  verbosity: 1", "  hide-version: yes",
                 "  tcp-count: 64",
                 "remote-control:", "  control-enable: no"]
        for zone, fname in zones.items():
            src = (extra_zone_files or {}).get(fname) or os.path.join(ZONES, fname)
            shutil.copy(src, os.path.join(self.dir, fname))
            lines += ["zone:", f"  name: \"{zone}\"", f"  zonefile: \"{fname}\""]
        self.conf = os.path.join(self.dir, "nsd.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc = None

    def start(self):
        with open(os.path.join(self.dir, "stderr"), "w") as err:
            self.proc = subprocess.Popen(["nsd", "-d", "-c", self.conf], stdout=subprocess.DEVNULL, stderr=err)
        zone = next(iter(self.zones))
        wait_until(lambda: self._alive() and dns_query(zone, 6, self.port) == 0, f"nsd on port {self.port}")

    def _alive(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"nsd exited with {self.proc.returncode}: " + self.log())
        return True

    def log(self):
        out = ""
        for f in ("stderr", "nsd.log"):
            p = os.path.join(self.dir, f)
            if os.path.exists(p):
                with open(p) as f:
                    out += f.read()
        return out

    def stop(self):
        stop_process(self.proc)

    def replace_zone(self, fname, text):
        """Serve new data for a zone: rewrite its file and restart nsd on the same port."""
        self.stop()
        with open(os.path.join(self.dir, fname), "w") as f:
            f.write(text)
        self.start()

    def zone_text(self, fname):
        with open(os.path.join(self.dir, fname)) as f:
            return f.read()


class Unbound:
    def __init__(self, root, stubs, extra=(), port=None):
        self.dir = os.path.join(root, "unbound")
        os.makedirs(self.dir)
        self.port = port or free_port()
        self.logfile = os.path.join(self.dir, "unbound.log")
        lines = ["server:",
                 f"  interface: 127.0.0.1@{self.port}",
                 f"  port: {self.port}",
                 '  username: ""', '  chroot: ""',
                 f"  directory: \"{self.dir}\"",
                 f"  pidfile: \"{self.dir}/unbound.pid\"",
                 f"  logfile: \"{self.logfile}\"",
                 "  use-syslog: no", "  verbosity: 1", "  log-queries: yes",
                 "  do-daemonize: no", "  num-threads: 1", "  so-reuseport: no",
                 "  do-not-query-localhost: no",
                 '  module-config: "iterator"',
                 "  qname-minimisation: no",
                 "  access-control: 127.0.0.0/8 allow",
                 "  outgoing-interface: 127.0.0.1",
                 "  statistics-cumulative: yes", "  extended-statistics: yes",
                 # RFC 8767 serve-stale is ptrwatchd's job, not the resolver's.
                 "  serve-expired: no"]
        lines += [f'  local-zone: "{z}" nodefault' for z in UNBOUND_NODEFAULT]
        self.control_socket = os.path.join(self.dir, "unbound.ctl")
        lines += list(extra)
        lines += ["remote-control:", "  control-enable: yes",
                  f'  control-interface: "{self.control_socket}"', "  control-use-cert: no"]
        for zone, port in stubs.items():
            lines += ["stub-zone:", f"  name: \"{zone}\"", f"  stub-addr: 127.0.0.1@{port}"]
        self.conf = os.path.join(self.dir, "unbound.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc = None

    def start(self):
        subprocess.run(["unbound-checkconf", self.conf], check=True, capture_output=True)
        self.proc = subprocess.Popen(["unbound", "-d", "-c", self.conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: self._alive() and dns_query("example.test", 6, self.port) == 0,
                   f"unbound on port {self.port}")

    def _alive(self):
        if self.proc.poll() is not None:
            with open(self.logfile) as f:
                raise RuntimeError(f"unbound exited with {self.proc.returncode}: " + f.read())
        return True

    def stats(self):
        """unbound's own counters (stats_noreset), as a dict."""
        out = subprocess.run(["unbound-control", "-c", self.conf, "stats_noreset"], check=True,
                             capture_output=True, text=True).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def queries(self):
        """The queries unbound logged so far, as (name, type) pairs."""
        out = []
        if os.path.exists(self.logfile):
            with open(self.logfile) as f:
                lines = f.readlines()
            for line in lines:
                if " info: 127.0.0.1 " in line:
                    parts = line.split()
                    i = parts.index("127.0.0.1")
                    out.append((parts[i + 1].rstrip("."), parts[i + 2]))
        return out

    def control(self, *args):
        subprocess.run(["unbound-control", "-c", self.conf] + list(args), check=True, capture_output=True)

    def flush(self):
        """Forget every cached answer, so the next query asks nsd again."""
        self.control("flush_zone", ".")
        self.control("flush_bogus")
        self.control("flush_negative")

    def stop(self):
        stop_process(self.proc)


class SilentServer:
    """A UDP and TCP port on 127.0.0.1 that accepts and never answers."""

    def __init__(self):
        self.port = free_port()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", self.port))
        self.tcp.listen(16)

    def stop(self):
        self.udp.close()
        self.tcp.close()


def stop_process(proc, timeout=10):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class DnsWorld:
    """nsd (primary + classless child) behind unbound, plus a silent server."""

    def __init__(self, bench=None, resolver_port=None, unbound_extra=()):
        """bench=(n4, n6): also serve the bench_zones() of that many addresses."""
        self.root = tempfile.mkdtemp(prefix="ptrwatch-dns-")
        zones = dict(PRIMARY_ZONES)
        extra_zone_files = None
        if bench:
            gen = os.path.join(self.root, "bench-zones")
            os.makedirs(gen)
            extra, extra_zone_files = bench_zones(gen, *bench)
            zones.update(extra)
        self.primary = Nsd(self.root, "nsd-primary", zones, extra_zone_files)
        self.classless = Nsd(self.root, "nsd-classless", CLASSLESS_ZONES)
        stubs = {z: self.primary.port for z in zones}
        stubs.update({z: self.classless.port for z in CLASSLESS_ZONES})
        stubs.update({z: self.primary.port for z in LAME_ZONES})
        self.unbound = Unbound(self.root, stubs, unbound_extra, resolver_port)
        self.silent = SilentServer()

    def __enter__(self):
        try:
            self.primary.start()
            self.classless.start()
            self.unbound.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        for p in (self.unbound, self.classless, self.primary):
            p.stop()
        self.silent.stop()
        if os.environ.get("PTRWATCH_KEEP_TMP") != "1":
            shutil.rmtree(self.root, ignore_errors=True)

    def config(self, name="ptrwatchd.conf", servers=None, **sections):
        """Write a configuration file and return its path. sections:
        {"Watch": {"HeloName": "..."}, ...}; [Resolver] Servers defaults to
        our unbound."""
        resolver = dict(sections.pop("Resolver", {}))
        resolver.setdefault("Servers", servers or f"127.0.0.1:{self.unbound.port}")
        resolver.setdefault("Timeout", "2s")
        cache = dict(sections.pop("Cache", {}))
        cache.setdefault("MinTTL", "1s")
        cache.setdefault("MaxTTL", "1d")
        # announce a fail at once, unless the test is about confirming it
        cache.setdefault("ConfirmDelay", "0")
        text = ""
        for section, keys in [("Resolver", resolver), ("Cache", cache)] + list(sections.items()):
            text += f"[{section}]\n"
            for k, v in keys.items():
                words = v.split(" ")
                # long lists over several lines: list keys accumulate
                for i in range(0, max(len(words), 1), 1000):
                    text += f"{k}={' '.join(words[i:i + 1000])}\n"
        path = os.path.join(self.root, name)
        with open(path, "w") as f:
            f.write(text)
        return path


class WhoamiServer(threading.Thread):
    """A whoami service on 127.0.0.1: answers A/AAAA with a fixed address,
    TXT (class IN or CH) with it as a string, as OpenDNS, Google and
    Cloudflare do with the address they see. Records every question."""

    def __init__(self, answer):
        super().__init__(daemon=True)
        self.answer = answer
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.questions = []     # (name, qtype, qclass)
        self.start()

    def run(self):
        import ipaddress
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            name, qtype, qclass, question = scriptdns.parse_question(data)
            self.questions.append((name.lower(), qtype, qclass))
            addr = ipaddress.ip_address(self.answer)
            if qtype == 1 and addr.version == 4 or qtype == 28 and addr.version == 6:
                rdata = addr.packed
            elif qtype == 16:
                rdata = bytes([len(self.answer)]) + self.answer.encode()
            else:
                rdata = None
            flags = 0x8400 | (data[2] & 0x01) << 8      # QR, AA, RD copied
            header = data[:2] + struct.pack(">HHHHH", flags, 1, 1 if rdata else 0, 0, 0)
            answer = b""
            if rdata:
                answer = struct.pack(">HHHIH", 0xc00c, qtype, qclass, 0, len(rdata)) + rdata
            self.sock.sendto(header + question + answer, peer)

    def stop(self):
        self.sock.close()


def bench_addresses(n4, n6=0):
    """n4 (at most 128,000) addresses in 198.18.0.0/15, of the benchmarking
    range (198.18.0.0/16 first); n6 under 2001:db8:be::/64."""
    assert n4 <= 2 * 64000
    v4 = [f"198.{18 + i // 64000}.{(i % 64000) // 250}.{i % 250 + 1}" for i in range(n4)]
    v6 = [f"2001:db8:be::{i + 1:x}" for i in range(n6)]
    return v4, v6


def bench_zones(root, n4, n6=0):
    """Reverse and forward zones for bench_addresses(): one PTR and one A or
    AAAA each, written into root. Returns {zone: file name} and {file name: path}."""
    import ipaddress
    v4, v6 = bench_addresses(n4, n6)
    soa = ["$TTL 3600", "@ IN SOA ns.example.test. hostmaster.example.test. 1 3600 900 604800 300",
           "@ IN NS ns.example.test."]
    # 18.198.in-addr.arpa and 19.198.in-addr.arpa, not 198.in-addr.arpa: the
    # primary must not answer for 100.51.198.in-addr.arpa, the lame delegation
    # of the tests
    rev4 = {o: [f"$ORIGIN {o}.198.in-addr.arpa."] + soa for o in ("18", "19")}
    rev6 = ["$ORIGIN 0.0.0.0.e.b.0.0.8.b.d.0.1.0.0.2.ip6.arpa."] + soa
    fwd = ["$ORIGIN bench.test."] + soa
    for i, a in enumerate(v4):
        o = a.split(".")
        rev4[o[1]].append(f"{o[3]}.{o[2]} IN PTR h{i}.bench.test.")
        fwd.append(f"h{i} IN A {a}")
    for i, a in enumerate(v6):
        nibbles = ipaddress.ip_address(a).exploded.replace(":", "")[16:]
        rev6.append(".".join(reversed(nibbles)) + f" IN PTR g{i}.bench.test.")
        fwd.append(f"g{i} IN AAAA {a}")
    zones, files = {}, {}
    parts = [("18.198.in-addr.arpa", "bench-198.zone", rev4["18"])]
    if n4 > 64000:
        parts.append(("19.198.in-addr.arpa", "bench-199.zone", rev4["19"]))
    parts += [("0.0.0.0.e.b.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "bench-6.zone", rev6), ("bench.test", "bench.test.zone", fwd)]
    for zone, fname, lines in parts:
        zones[zone] = fname
        files[fname] = os.path.join(root, fname)
        with open(files[fname], "w") as f:
            f.write("\n".join(lines) + "\n")
    return zones, files
