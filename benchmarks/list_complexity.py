"""How list operations scale: LINDEX/LSET anywhere and LPUSH/LPOP are not linear in the length.

Not a test: a measurement to back the choice of list representation (see the docstring of
``server/commands/lists.py``).  Two parts:

1. **In process** (always): the LINDEX, LSET, LPUSH+LPOP, RPUSH+RPOP handlers are called
   directly on lists of 1,000 and 1,000,000 elements, at the head, the middle and the tail.  If
   any of them scanned the list, the 1,000,000 column would be ~1000x the 1,000 one.  For
   comparison the same middle-index read is timed on a ``collections.deque`` (O(n) indexing) and
   a head insert on a plain ``list`` (O(n) memmove) -- the two structures we did not pick.
2. **Over the wire** (``--server HOST:PORT [--tls-ca FILE]``): LINDEX at the head, middle and tail
   of a 1,000,000-element list on a running server (Perdure or Redis), pipelined, so the
   per-request cost can be compared across positions.

Usage::

    python benchmarks/list_complexity.py
    python benchmarks/list_complexity.py --server 127.0.0.1:6380 --tls-ca perdure-data/tls/ca.crt
"""

from __future__ import annotations

import argparse
import collections
import time

BIG = 1_000_000
SMALL = 1_000


def _per_op(fn, n: int) -> float:
    """Best of 5 runs of ``n`` calls, in microseconds per call."""
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, time.perf_counter() - t0)
    return best / n * 1e6


def in_process() -> None:
    from perdure.server.app import Server, _ReplayLog
    from perdure.server.client import Client
    from perdure.server.commands import lists
    from perdure.server.config import Config

    srv = Server(Config())

    class _Log(_ReplayLog):
        appended = durable = 0

        def append(self, data):
            pass

        @staticmethod
        def batch_empty():
            return False

    srv.log = _Log()
    c = Client(srv, None)

    def build(key: bytes, n: int) -> None:
        half = [b"%d" % i for i in range(n // 2)]
        lists.rpush(c, [b"RPUSH", key] + half)
        lists.lpush(c, [b"LPUSH", key] + half)     # half of the list pushed at the head

    sizes = {SMALL: b"small", BIG: b"big"}
    for n, key in sizes.items():
        build(key, n)
    rows = []
    for label, make in [
        ("LINDEX head", lambda k, n: (lambda a=[b"LINDEX", k, b"0"]: lists.lindex(c, a))),
        ("LINDEX middle", lambda k, n: (lambda a=[b"LINDEX", k, b"%d" % (n // 2)]: lists.lindex(c, a))),
        ("LINDEX tail", lambda k, n: (lambda a=[b"LINDEX", k, b"-1"]: lists.lindex(c, a))),
        ("LSET middle", lambda k, n: (lambda a=[b"LSET", k, b"%d" % (n // 2), b"x"]: lists.lset(c, a))),
        ("LPUSH+LPOP", lambda k, n: (lambda a=[b"LPUSH", k, b"v"], b=[b"LPOP", k]: (lists.lpush(c, a),
                                                                                   lists.lpop(c, b)))),
        ("RPUSH+RPOP", lambda k, n: (lambda a=[b"RPUSH", k, b"v"], b=[b"RPOP", k]: (lists.rpush(c, a),
                                                                                   lists.rpop(c, b)))),
        ("LRANGE middle 10", lambda k, n: (lambda a=[b"LRANGE", k, b"%d" % (n // 2), b"%d" % (n // 2 + 9)]:
                                           lists.lrange(c, a))),
    ]:
        fns = {n: make(key, n) for n, key in sizes.items()}
        t = {n: float("inf") for n in sizes}
        for _ in range(3):   # interleave the sizes so that warm-up and noise hit both columns
            for n in sizes:
                t[n] = min(t[n], _per_op(fns[n], 20000))
        rows.append((label, t[SMALL], t[BIG]))

    dq = collections.deque(range(BIG))
    pl = list(range(BIG))
    base_dq = _per_op(lambda: dq[BIG // 2], 200)
    base_ins = _per_op(lambda: (pl.insert(0, 0), pl.pop(0)), 200)

    print("In process: microseconds per operation (best of 5)")
    print("%-22s %12s %14s %8s" % ("operation", "1,000 elems", "1,000,000 elems", "ratio"))
    for label, small, big in rows:
        print("%-22s %12.3f %14.3f %8.2f" % (label, small, big, big / small))
    print()
    print("Structures not chosen, 1,000,000 elements:")
    print("  collections.deque[middle]       %10.3f us  (O(n): walks 64-slot blocks)" % base_dq)
    print("  list.insert(0) + list.pop(0)     %10.3f us  (O(n): memmove of the body)" % base_ins)
    worst = max(big / small for _, small, big in rows)
    print()
    print("worst 1,000,000 / 1,000 ratio: %.2f (a linear scan would be ~1000)" % worst)


def over_the_wire(server: str, ca: str | None) -> None:
    import redis

    host, port = server.rsplit(":", 1)
    kw = {"host": host, "port": int(port), "protocol": 2}
    if ca:
        kw.update(ssl=True, ssl_ca_certs=ca)
    r = redis.Redis(**kw)
    key = "list_complexity:big"
    r.delete(key)
    chunk = 10_000
    for i in range(0, BIG, chunk):
        r.rpush(key, *range(i, i + chunk))
    assert r.llen(key) == BIG
    print()
    print("Over the wire (%s): microseconds per LINDEX, pipelines of 1000" % server)
    for label, idx in (("head", 0), ("middle", BIG // 2), ("tail", -1)):
        best = float("inf")
        for _ in range(5):
            p = r.pipeline(transaction=False)
            for _ in range(1000):
                p.lindex(key, idx)
            t0 = time.perf_counter()
            p.execute()
            best = min(best, time.perf_counter() - t0)
        print("  LINDEX %-7s %8.2f us" % (label, best / 1000 * 1e6))
    r.delete(key)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server", help="HOST:PORT of a running server to time over the wire")
    ap.add_argument("--tls-ca", help="CA file when the server speaks TLS (Perdure)")
    args = ap.parse_args()
    in_process()
    if args.server:
        over_the_wire(args.server, args.tls_ca)


if __name__ == "__main__":
    main()
