"""In-process micro-benchmark of the hot path: parse → dispatch → handler → reply.

No sockets, no TLS: a fake transport collects the bytes, and the effects log is an in-memory
stand-in whose batches become durable at once (so reply gating takes its cheap path).  Prints
µs per command for pipelined batches of 16, which is the Python cost that the network
benchmark's "server CPU per op" adds on top of I/O.

Usage: ``python benchmarks/hotpath.py [--profile]``
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

from perdure.server.app import Server
from perdure.server.config import Config
from perdure.server.protocol import RedisProtocol


class FakeTransport:
    def __init__(self):
        self.n = 0

    def write(self, data):
        self.n += len(data)

    def get_extra_info(self, name):
        return ("127.0.0.1", 1)

    def get_write_buffer_size(self):
        return 0

    def is_closing(self):
        return False

    def close(self):
        pass

    def pause_reading(self):
        pass

    def resume_reading(self):
        pass


class InstantLog:
    """appended == durable after every append: the cheapest gating path."""

    def __init__(self):
        self.appended = 0
        self.handed = 0
        self.durable = 0
        self.failed = None
        self._buf = 0

    def append(self, data):
        self.appended += len(data)
        self.durable = self.appended
        return self.appended

    def batch_empty(self):
        return True


def enc(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("-n", type=int, default=200_000)
    args = ap.parse_args()
    srv = Server(Config())
    srv.log = InstantLog()
    proto = RedisProtocol(srv)
    proto.connection_made(FakeTransport())
    cases = {
        "PING": enc("PING"),
        "SET": b"".join(enc("SET", "key:%06d" % i, "xxx") for i in range(16)),
        "GET": b"".join(enc("GET", "key:%06d" % i) for i in range(16)),
        "INCR": b"".join(enc("INCR", "counter:%d" % (i % 4)) for i in range(16)),
        "LPUSH": b"".join(enc("LPUSH", "list", "xxx") for i in range(16)),
        "HSET": b"".join(enc("HSET", "h:%d" % i, "f", "xxx") for i in range(16)),
        "SADD": b"".join(enc("SADD", "s", "m%d" % i) for i in range(16)),
        "ZADD": b"".join(enc("ZADD", "z", str(i), "m%d" % i) for i in range(16)),
        "MSET10": b"".join(enc("MSET", *sum((["k%d" % j, "v"] for j in range(10)), [])) for i in range(16)),
    }
    cases["PING"] = cases["PING"] * 16
    for name, chunk in cases.items():
        batches = args.n // 16
        t0 = time.process_time()
        if args.profile and name in ("SET", "GET"):
            pr = cProfile.Profile()
            pr.enable()
        for _ in range(batches):
            proto.data_received(chunk)
        if args.profile and name in ("SET", "GET"):
            pr.disable()
            pstats.Stats(pr).sort_stats("tottime").print_stats(12)
        dt = time.process_time() - t0
        print("%-8s %.3f µs/command" % (name, dt / (batches * 16) * 1e6))


if __name__ == "__main__":
    main()
