"""Memory per key: Perdure vs Redis, same machine, same data, RSS of the server process.

Loads, over TLS with pipelined requests (the path a client's data takes, not a debug command):

* ``strings``: N keys ``key:<i>`` → an 8-byte non-numeric value ``v<7 digits>`` (so Redis keeps
  it as an embedded string, not as a shared integer);
* ``hashes``: N/10 hashes ``user:<i>`` of 5 small fields (``HSET``; Redis keeps them as a
  listpack/ziplist, Perdure as a dict).

For each, the server starts empty, RSS is read (``/proc/<pid>/status`` VmRSS via psutil), the data
loaded, RSS read again: bytes per key = ΔRSS / keys.  Redis is Debian's ``redis-server`` (jemalloc)
with persistence off; Perdure runs with its defaults (``appendfsync always``).

Usage: ``python benchmarks/memory.py [-n 1000000] [--out benchmarks/results]``; writes
``results/memory.json`` and ``results/memory.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

import psutil

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import Conn, Target, free_port, machine, tool  # noqa: E402

BATCH = 10_000


def _cmd(*args) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def load(target, make, count):
    """Send ``make(i)`` for i < count, pipelined BATCH at a time; every reply is one line."""
    c = Conn(target.port, target.cafile, timeout=300)
    try:
        for start in range(0, count, BATCH):
            end = min(count, start + BATCH)
            c.s.sendall(b"".join(make(i) for i in range(start, end)))
            for _ in range(end - start):
                line = c._line()
                if line[:1] == b"-":
                    raise RuntimeError(line.decode())
    finally:
        c.close()


def strings(i):
    return _cmd(b"SET", b"key:%d" % i, b"v%07d" % (i % 10_000_000))


def hashes(i):
    return _cmd(b"HSET", b"user:%d" % i, b"name", b"n%07d" % i, b"age", b"%d" % (i % 90),
                b"city", b"c%05d" % (i % 50_000), b"plan", b"basic", b"score", b"%d" % (i % 1000))


def rss(target):
    return psutil.Process(target.proc.pid).memory_info().rss


def measure(target, dataset, make, count):
    time.sleep(0.5)
    r0 = rss(target)
    t0 = time.monotonic()
    load(target, make, count)
    dt = time.monotonic() - t0
    time.sleep(1.0)
    r1 = rss(target)
    n = int(target.cmd("DBSIZE"))
    assert n == count, (target.name, dataset, n, count)
    return {"keys": n, "rss_before": r0, "rss_after": r1, "bytes_per_key": (r1 - r0) / n, "load_s": dt}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=1_000_000, help="string keys (hashes: n/10)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    ap.add_argument("--perdure-args", default="")
    args = ap.parse_args(argv)
    redis_bin = tool("redis-server")
    tmp = tempfile.mkdtemp(prefix="perdure-mem-")
    pdir = os.path.join(tmp, "perdure")
    pport, rport = free_port(), free_port()
    perdure = Target("perdure", [sys.executable, "-m", "perdure.server", "--tls-port", str(pport), "--dir", pdir,
                                 "--loglevel", "warning", *args.perdure_args.split()], pport,
                     os.path.join(pdir, "tls", "ca.crt"))
    ca = os.path.join(pdir, "tls")
    rdir = os.path.join(tmp, "redis")
    os.makedirs(rdir)
    redis = Target("redis", [redis_bin, "--port", "0", "--tls-port", str(rport),
                             "--tls-cert-file", os.path.join(ca, "server.crt"),
                             "--tls-key-file", os.path.join(ca, "server.key"),
                             "--tls-ca-cert-file", os.path.join(ca, "ca.crt"), "--tls-auth-clients", "no",
                             "--save", "", "--appendonly", "no", "--dir", rdir], rport, perdure.cafile)
    rver = os.popen("%s --version" % redis_bin).read().strip()
    results = {}
    try:
        for name, make, count in (("strings", strings, args.n), ("hashes", hashes, args.n // 10)):
            for t in (perdure, redis):  # a fresh process per data set: freed memory is not reused
                if t is perdure and os.path.isdir(pdir):  # and an empty log (keep the certificates)
                    for entry in os.listdir(pdir):
                        if entry != "tls":
                            shutil.rmtree(os.path.join(pdir, entry), ignore_errors=True)
                            if os.path.exists(os.path.join(pdir, entry)):
                                os.remove(os.path.join(pdir, entry))
                t.start()
                try:
                    results.setdefault(name, {})[t.name] = m = measure(t, name, make, count)
                finally:
                    t.stop()
                print("%-8s %-8s %8d keys  %7.1f bytes/key  (RSS %.0f -> %.0f MiB, loaded in %.1f s)" % (
                    name, t.name, m["keys"], m["bytes_per_key"], m["rss_before"] / 2**20,
                    m["rss_after"] / 2**20, m["load_s"]), flush=True)
    finally:
        perdure.stop()
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(), "redis": rver,
            "python": sys.version.split()[0]}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "memory.json"), "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=1)
    lines = ["Memory per key, %s on %s; %s (jemalloc, no persistence) vs Perdure (CPython %s)." % (
        meta["date"], meta["machine"], rver, meta["python"]), "",
        "| data set | keys | Perdure bytes/key | Redis bytes/key | ratio |", "|---|--:|--:|--:|--:|"]
    desc = {"strings": "`key:<i>` → 8-byte string", "hashes": "`user:<i>` → hash of 5 small fields"}
    for name, r in results.items():
        a, b = r["perdure"], r["redis"]
        lines.append("| %s | %d | %.0f | %.0f | %.2f |" % (desc[name], a["keys"], a["bytes_per_key"],
                                                          b["bytes_per_key"], a["bytes_per_key"] / b["bytes_per_key"]))
    md = "\n".join(lines) + "\n"
    with open(os.path.join(args.out, "memory.md"), "w") as f:
        f.write(md)
    print()
    print(md)


if __name__ == "__main__":
    main()
