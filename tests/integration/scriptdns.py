"""A scripted DNS server on 127.0.0.1 for the answers real servers will not
give on demand: a CNAME in front of NXDOMAIN with chosen TTLs, TTLs with the
top bit set, an outage switched on and off. Stdlib only; UDP; answers from a
table keyed by (name, type); counts every question it is asked.

Records are (owner, type, ttl, rdata bytes); the helpers below build them."""

import ipaddress
import socket
import struct
import threading

A, NS, CNAME, SOA, PTR, TXT, AAAA = 1, 2, 5, 6, 12, 16, 28
NOERROR, SERVFAIL, NXDOMAIN, REFUSED = 0, 2, 3, 5


def wire_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def a(owner, ttl, address):
    return (owner, A, ttl, ipaddress.IPv4Address(address).packed)


def aaaa(owner, ttl, address):
    return (owner, AAAA, ttl, ipaddress.IPv6Address(address).packed)


def ptr(owner, ttl, target):
    return (owner, PTR, ttl, wire_name(target))


def cname(owner, ttl, target):
    return (owner, CNAME, ttl, wire_name(target))


def ns(owner, ttl, target):
    return (owner, NS, ttl, wire_name(target))


def soa(owner, ttl, minimum, mname="ns.example.test", rname="hostmaster.example.test"):
    return (owner, SOA, ttl, wire_name(mname) + wire_name(rname) + struct.pack(">IIIII", 1, 3600, 900, 604800, minimum))


def reverse_name(address):
    return ipaddress.ip_address(address).reverse_pointer


class Reply:
    def __init__(self, rcode=NOERROR, answer=(), authority=()):
        self.rcode, self.answer, self.authority = rcode, list(answer), list(authority)


def parse_question(data):
    """(name, qtype, qclass, question bytes) of a query, or None."""
    if len(data) < 17:
        return None
    i, labels = 12, []
    while i < len(data) and data[i]:
        labels.append(data[i + 1:i + 1 + data[i]].decode("latin-1"))
        i += 1 + data[i]
    if i + 5 > len(data):
        return None
    qtype, qclass = struct.unpack(">HH", data[i + 1:i + 5])
    return ".".join(labels), qtype, qclass, data[12:i + 5]


def encode_rr(rr):
    owner, rtype, ttl, rdata = rr
    return wire_name(owner) + struct.pack(">HHIH", rtype, 1, ttl & 0xffffffff, len(rdata)) + rdata


def build(query, reply, max_size=None):
    """The response to query: reply's records, cut to TC when over max_size."""
    q = parse_question(query)
    flags = 0x8000 | 0x0400 | 0x0080 | (query[2] & 0x01) << 8 | reply.rcode   # QR AA RA, RD copied
    body = b"".join(encode_rr(rr) for rr in reply.answer + reply.authority)
    msg = query[:2] + struct.pack(">HHHHH", flags, 1, len(reply.answer), len(reply.authority), 0) + q[3] + body
    if max_size is not None and len(msg) > max_size:
        msg = query[:2] + struct.pack(">HHHHH", flags | 0x0200, 1, 0, 0, 0) + q[3]
    return msg


class ScriptedDns(threading.Thread):
    """Answers each question from self.table[(name, type)]: a Reply, or
    None for no answer at all (a timeout). Anything not in the table gets
    `default` (REFUSED unless set). self.raw[(name, type)], when set, is a
    function of the query returning [(bytes, forged)]: datagrams to send
    back, a forged one from another socket (another port). TCP on the same
    port answers from the table, whole; UDP cuts replies over udp_max to TC."""

    def __init__(self, tcp=False, udp_max=None, port=0):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.port = self.sock.getsockname()[1]
        self.forger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.forger.bind(("127.0.0.1", 0))
        self.raw = {}
        self.udp_max = udp_max
        self.tcp = None
        if tcp:
            self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.tcp.bind(("127.0.0.1", self.port))
            self.tcp.listen(16)
            threading.Thread(target=self.serve_tcp, daemon=True).start()
        self.lock = threading.Lock()
        self.table = {}
        self.default = Reply(REFUSED)
        self.outage = False             # True: SERVFAIL to everything
        self.asked = []                 # (name as sent, type)
        self.stopping = False
        self.start()

    def set(self, name, rtype, reply):
        with self.lock:
            self.table[(name.rstrip(".").lower(), rtype)] = reply

    def count(self, name, rtype=None):
        with self.lock:
            return sum(1 for n, t in self.asked if n.lower() == name.lower() and (rtype is None or t == rtype))

    def run(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            if self.stopping:
                return
            q = parse_question(data)
            if not q:
                continue
            name, qtype, _qclass, question = q
            with self.lock:
                self.asked.append((name, qtype))
                raw = self.raw.get((name.lower(), qtype))
                reply = Reply(SERVFAIL) if self.outage else self.table.get((name.lower(), qtype), self.default)
            if raw:
                for msg, forged in raw(data):
                    (self.forger if forged else self.sock).sendto(msg, peer)
                continue
            if reply is None:
                continue
            self.sock.sendto(build(data, reply, self.udp_max), peer)

    def serve_tcp(self):
        while True:
            try:
                conn, _ = self.tcp.accept()
            except OSError:
                return
            with conn:
                try:
                    n = struct.unpack(">H", conn.recv(2))[0]
                    data = b""
                    while len(data) < n:
                        data += conn.recv(n - len(data))
                    q = parse_question(data)
                    with self.lock:
                        self.asked.append((q[0], q[1]))
                        reply = self.table.get((q[0].lower(), q[1]), self.default)
                    msg = build(data, reply)
                    conn.sendall(struct.pack(">H", len(msg)) + msg)
                except (OSError, struct.error, TypeError):
                    pass

    def stop(self):
        self.stopping = True
        try:    # wakes the thread's recvfrom(), which holds the socket (and its port) until it returns
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.join(5)
        self.sock.close()
        self.forger.close()
        if self.tcp:
            self.tcp.close()
