"""How sorted-set range operations scale: ZRANGEBYSCORE of 10 members is not a linear scan.

Not a test: a measurement to back the choice of the zset representation (a member -> score
dict plus a ``sortedcontainers.SortedList`` of ``(score, member)``, see
``server/commands/zset_type.py``).  Three parts:

1. **Data structure** (always): ``ZSet.score_range`` + ``islice`` of 10 members, ``ZSet.rank``
   and insert/remove on sets of 1,000 and 1,000,000 members.  Next to it, the same 10-member
   window taken by a linear scan over the scores (what a plain dict would need) to show what
   O(n) costs at that size.
2. **Handlers in process** (always): the ZRANGEBYSCORE, ZREVRANGEBYSCORE ... LIMIT, ZRANGE by
   rank, ZCOUNT, ZRANK, ZRANGEBYLEX and ZADD+ZREM handlers called directly, 1,000 vs 1,000,000
   members.  A linear algorithm would make the second column ~1000x the first.
3. **Over the wire**: ZRANGEBYSCORE of 10 members at the low end, the middle and the high end
   of a 1,000,000-member zset on a running server, pipelined.  ``--server HOST:PORT
   [--tls-ca FILE]`` times an existing server (Perdure or Redis); ``--spawn`` starts a Perdure
   on a free port in a temporary directory, times it and stops it.

Usage::

    python benchmarks/zset_complexity.py
    python benchmarks/zset_complexity.py --spawn
    python benchmarks/zset_complexity.py --server 127.0.0.1:6380 --tls-ca perdure-data/tls/ca.crt
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
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


def _table(title: str, rows) -> float:
    print(title)
    print("%-34s %12s %16s %8s" % ("operation", "1,000 members", "1,000,000 members", "ratio"))
    worst = 0.0
    for label, small, big in rows:
        ratio = big / small
        worst = max(worst, ratio)
        print("%-34s %12.3f %16.3f %8.2f" % (label, small, big, ratio))
    print()
    return worst


def data_structure() -> float:
    from perdure.server.commands.zset_type import ZSet

    sets = {}
    for n in (SMALL, BIG):
        d = {b"m%07d" % i: float(i) for i in range(n)}
        z = ZSet.from_scores(d, 128, 64)
        sets[n] = z

    def window(z, n):
        lo = float(n // 2)
        rng = (lo, False, lo + 9, False)

        def fn():
            a, b = z.score_range(rng)
            return list(z.sl.islice(a, b))
        return fn

    def rank(z, n):
        m = b"m%07d" % (n // 2)
        return lambda: z.rank(m)

    def add_remove(z, n):
        m = b"new-member"
        s = n / 2 + 0.5
        return lambda: (z.insert(m, s, 0, 0), z.remove(m))

    rows = []
    for label, make, reps in [("score_range + 10 members (middle)", window, 20000),
                              ("rank (middle)", rank, 20000),
                              ("insert + remove (middle)", add_remove, 20000)]:
        fns = {n: make(z, n) for n, z in sets.items()}
        t = {n: float("inf") for n in sets}
        for _ in range(3):
            for n in sets:
                t[n] = min(t[n], _per_op(fns[n], reps))
        rows.append((label, t[SMALL], t[BIG]))
    worst = _table("Data structure (ZSet): microseconds per operation (best of 5)", rows)

    scores = list(sets[BIG].d.items())
    lo = float(BIG // 2)
    scan = _per_op(lambda: [m for m, s in scores if lo <= s <= lo + 9], 3)
    print("Not chosen: the same 10-member window by a linear scan of 1,000,000 scores: %.0f us"
          % scan)
    print()
    return worst


def handlers() -> float:
    from perdure.server.app import Server, _ReplayLog
    from perdure.server.client import Client
    from perdure.server.commands import zsets
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

    keys = {SMALL: b"small", BIG: b"big"}
    lexkeys = {SMALL: b"lsmall", BIG: b"lbig"}
    for n, key in keys.items():
        chunk = 50_000
        for i in range(0, n, chunk):
            args = [b"ZADD", key]
            largs = [b"ZADD", lexkeys[n]]
            for j in range(i, min(n, i + chunk)):
                args += [b"%d" % j, b"m%07d" % j]
                largs += [b"0", b"m%07d" % j]
            zsets.zadd(c, args)
            zsets.zadd(c, largs)

    def mid(n):
        return n // 2

    cases = [
        ("ZRANGEBYSCORE 10 (middle)",
         lambda k, lk, n: [b"ZRANGEBYSCORE", k, b"%d" % mid(n), b"%d" % (mid(n) + 9)], zsets.zrangebyscore),
        ("ZRANGEBYSCORE 10 WITHSCORES",
         lambda k, lk, n: [b"ZRANGEBYSCORE", k, b"(%d" % mid(n), b"+inf", b"WITHSCORES", b"LIMIT",
                           b"0", b"10"], zsets.zrangebyscore),
        ("ZREVRANGEBYSCORE LIMIT 10 10",
         lambda k, lk, n: [b"ZREVRANGEBYSCORE", k, b"+inf", b"-inf", b"LIMIT", b"10", b"10"],
         zsets.zrevrangebyscore),
        ("ZRANGE by rank 10 (middle)",
         lambda k, lk, n: [b"ZRANGE", k, b"%d" % mid(n), b"%d" % (mid(n) + 9)], zsets.zrange),
        ("ZRANGEBYLEX 10 (middle)",
         lambda k, lk, n: [b"ZRANGEBYLEX", lk, b"[m%07d" % mid(n), b"+", b"LIMIT", b"0", b"10"],
         zsets.zrangebylex),
        ("ZCOUNT (middle half)",
         lambda k, lk, n: [b"ZCOUNT", k, b"%d" % (n // 4), b"%d" % (3 * n // 4)], zsets.zcount),
        ("ZRANK (middle)", lambda k, lk, n: [b"ZRANK", k, b"m%07d" % mid(n)], zsets.zrank),
        ("ZSCORE", lambda k, lk, n: [b"ZSCORE", k, b"m%07d" % mid(n)], zsets.zscore),
    ]
    rows = []
    for label, make, handler in cases:
        fns = {}
        for n, key in keys.items():
            argv = make(key, lexkeys[n], n)
            fns[n] = (lambda a=argv, h=handler: h(c, a))
        t = {n: float("inf") for n in keys}
        for _ in range(3):
            for n in keys:
                t[n] = min(t[n], _per_op(fns[n], 10000))
        rows.append((label, t[SMALL], t[BIG]))

    def add_rem(k, n):
        a = [b"ZADD", k, b"%d.5" % mid(n), b"fresh"]
        b = [b"ZREM", k, b"fresh"]
        return lambda: (zsets.zadd(c, a), zsets.zrem(c, b))

    fns = {n: add_rem(k, n) for n, k in keys.items()}
    t = {n: float("inf") for n in keys}
    for _ in range(3):
        for n in keys:
            t[n] = min(t[n], _per_op(fns[n], 10000))
    rows.append(("ZADD + ZREM (middle)", t[SMALL], t[BIG]))
    return _table("Handlers in process: microseconds per command (best of 5)", rows)


def over_the_wire(server: str, ca: str | None, cert=None, key=None) -> None:
    import redis

    host, port = server.rsplit(":", 1)
    kw = {"host": host, "port": int(port), "protocol": 2, "socket_timeout": 120}
    if ca:
        kw.update(ssl=True, ssl_ca_certs=ca, ssl_check_hostname=False)
        if cert and key:
            kw.update(ssl_certfile=cert, ssl_keyfile=key)
    r = redis.Redis(**kw)
    zkey = "zset_complexity:big"
    r.delete(zkey)
    chunk = 10_000
    t0 = time.perf_counter()
    for i in range(0, BIG, chunk):
        args = []
        for j in range(i, i + chunk):
            args += [j, "m%07d" % j]
        r.execute_command("ZADD", zkey, *args)
    build = time.perf_counter() - t0
    assert r.zcard(zkey) == BIG
    print("Over the wire (%s): built a 1,000,000-member zset in %.1f s" % (server, build))
    print("microseconds per ZRANGEBYSCORE of 10 members, pipelines of 1000:")
    for label, lo in (("low end", 0), ("middle", BIG // 2), ("high end", BIG - 10)):
        best = float("inf")
        for _ in range(5):
            p = r.pipeline(transaction=False)
            for _ in range(1000):
                p.execute_command("ZRANGEBYSCORE", zkey, lo, lo + 9)
            t0 = time.perf_counter()
            res = p.execute()
            best = min(best, time.perf_counter() - t0)
            assert len(res[0]) == 10
        print("  ZRANGEBYSCORE %-9s %8.2f us" % (label, best / 1000 * 1e6))
    best = float("inf")
    for _ in range(5):
        p = r.pipeline(transaction=False)
        for _ in range(1000):
            p.execute_command("PING")
        t0 = time.perf_counter()
        p.execute()
        best = min(best, time.perf_counter() - t0)
    print("  PING (baseline)         %8.2f us" % (best / 1000 * 1e6))
    r.delete(zkey)


def spawn_and_measure() -> None:
    """Start ``python -m perdure.server`` on a free port, time it over TLS, stop it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    d = tempfile.mkdtemp(prefix="zset-bench-")
    proc = subprocess.Popen([sys.executable, "-m", "perdure.server", "--tls-port", str(port),
                             "--dir", d, "--loglevel", "warning", "--appendfsync", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        tls = os.path.join(d, "tls")
        deadline = time.monotonic() + 30
        while not os.path.exists(os.path.join(tls, "ca.crt")) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        cert = os.path.join(tls, "client.crt")
        key = os.path.join(tls, "client.key")
        over_the_wire("127.0.0.1:%d" % port, os.path.join(tls, "ca.crt"),
                      cert if os.path.exists(cert) else None, key if os.path.exists(key) else None)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(d, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server", help="HOST:PORT of a running server to time over the wire")
    ap.add_argument("--tls-ca", help="CA file when the server speaks TLS (Perdure)")
    ap.add_argument("--spawn", action="store_true", help="start a Perdure server and time it")
    args = ap.parse_args()
    w1 = data_structure()
    w2 = handlers()
    print("worst 1,000,000 / 1,000 ratio: %.2f (a linear scan would be ~1000)" % max(w1, w2))
    if args.server:
        over_the_wire(args.server, args.tls_ca)
    elif args.spawn:
        spawn_and_measure()


if __name__ == "__main__":
    main()
