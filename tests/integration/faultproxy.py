"""A UDP proxy on 127.0.0.1 between a DNS client and its resolver that
misbehaves as a bad network does, in both directions: loss, delay,
duplication, reordering, and corruption after the checksum (the proxy sends
the flipped bytes itself, so UDP's checksum is right and nothing notices).
Stdlib only; seeded, so a run can be repeated."""

import heapq
import random
import selectors
import socket
import threading
import time


class FaultProxy(threading.Thread):
    def __init__(self, upstream_port, loss=0.0, delay=(0.0, 0.0), dup=0.0, reorder=0.0, corrupt=0.0, seed=1):
        super().__init__(daemon=True)
        self.upstream = ("127.0.0.1", upstream_port)
        self.loss, self.delay, self.dup, self.reorder, self.corrupt = loss, delay, dup, reorder, corrupt
        self.random = random.Random(seed)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.sock, selectors.EVENT_READ, None)
        self.clients = {}           # client address -> its socket towards the resolver
        self.queue = []             # (when, seq, socket, data, destination)
        self.seq = 0
        self.counts = {"passed": 0, "dropped": 0, "duplicated": 0, "reordered": 0, "corrupted": 0}
        self.stopping = False
        self.start()

    def schedule(self, sock, data, dest):
        if self.random.random() < self.loss:
            self.counts["dropped"] += 1
            return
        if self.random.random() < self.corrupt and data:
            bit = self.random.randrange(len(data) * 8)
            data = bytearray(data)
            data[bit // 8] ^= 1 << (bit % 8)
            data = bytes(data)
            self.counts["corrupted"] += 1
        when = time.monotonic() + self.random.uniform(*self.delay)
        if self.random.random() < self.reorder:
            when += self.random.uniform(0.005, 0.05)     # the next ones overtake it
            self.counts["reordered"] += 1
        copies = 2 if self.random.random() < self.dup else 1
        if copies == 2:
            self.counts["duplicated"] += 1
        for i in range(copies):
            self.seq += 1
            heapq.heappush(self.queue, (when + i * 0.001, self.seq, sock, data, dest))
        self.counts["passed"] += 1

    def run(self):
        while not self.stopping:
            timeout = max(0.0, self.queue[0][0] - time.monotonic()) if self.queue else 0.1
            for key, _ in self.sel.select(min(timeout, 0.1)):
                try:
                    data, peer = key.fileobj.recvfrom(65535)
                except OSError:
                    continue
                if key.data is None:            # from a client: towards the resolver
                    up = self.clients.get(peer)
                    if up is None:
                        # getdns opens a socket per question: keep the newest few hundred
                        while len(self.clients) >= 400:
                            old = next(iter(self.clients))
                            self.sel.unregister(self.clients[old])
                            self.clients.pop(old).close()
                        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                        up.bind(("127.0.0.1", 0))
                        self.clients[peer] = up
                        self.sel.register(up, selectors.EVENT_READ, peer)
                    self.schedule(up, data, self.upstream)
                else:                           # from the resolver: back to its client
                    self.schedule(self.sock, data, key.data)
            now = time.monotonic()
            while self.queue and self.queue[0][0] <= now:
                _, _, sock, data, dest = heapq.heappop(self.queue)
                try:
                    sock.sendto(data, dest)
                except OSError:
                    pass

    def stop(self):
        self.stopping = True
        self.join(5)
        for s in [self.sock] + list(self.clients.values()):
            s.close()
