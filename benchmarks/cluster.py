"""Multi-core scaling: one server process vs two shard processes on the same machine.

Redis uses more cores by running more shard processes (cluster mode), and so does Perdure.
This measures what that buys here: the same load (two ``redis-benchmark`` processes, 25 clients
each, TLS) against

* **1 process**: both benchmark processes hit the same server;
* **2 processes**: each benchmark process hits its own server (client-side sharding, as a
  cluster client does once it knows the slot map).

and reports total ops/s and server CPU per operation, for Perdure (``appendfsync always``) and
for Redis (no persistence).  ``redis-benchmark --cluster`` is not used: it needs a cluster of at
least two nodes that know each other, and Perdure clusters are single-node for now (no
``CLUSTER MEET``).  So the two processes here are independent servers, each with its own keys.

Usage: ``python benchmarks/cluster.py [-n 200000] [--out benchmarks/results]``; writes
``results/cluster.json`` and ``results/cluster.md``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import Target, free_port, machine, tool  # noqa: E402

ROWS = [("SET", ["SET", "key:__rand_int__", "xxx"], 16), ("GET", ["GET", "key:__rand_int__"], 16),
        ("SET", ["SET", "key:__rand_int__", "xxx"], 1)]


def perdure(tmp, i, ca_from=None):
    d = os.path.join(tmp, "perdure%d" % i)
    if ca_from:  # every server uses the first one's certificates: one CA for the benchmark
        os.makedirs(d, exist_ok=True)
        shutil.copytree(os.path.join(ca_from, "tls"), os.path.join(d, "tls"))
    port = free_port()
    return Target("perdure%d" % i, [sys.executable, "-m", "perdure.server", "--tls-port", str(port), "--dir", d,
                                    "--loglevel", "warning", "--appendfsync", "always"], port,
                  os.path.join(d, "tls", "ca.crt"))


def redis(tmp, i, ca):
    d = os.path.join(tmp, "redis%d" % i)
    os.makedirs(d, exist_ok=True)
    port = free_port()
    return Target("redis%d" % i, [tool("redis-server"), "--port", "0", "--tls-port", str(port),
                                  "--tls-cert-file", os.path.join(ca, "server.crt"),
                                  "--tls-key-file", os.path.join(ca, "server.key"),
                                  "--tls-ca-cert-file", os.path.join(ca, "ca.crt"), "--tls-auth-clients", "no",
                                  "--save", "", "--appendonly", "no", "--dir", d], port,
                  os.path.join(ca, "ca.crt"))


def parallel_bench(targets, command, pipeline, n):
    """Two redis-benchmark processes at once, the i-th against targets[i % len(targets)]."""
    servers = {t.name: t for t in targets}
    cpu0 = {name: t.cpu() for name, t in servers.items()}
    t0 = time.monotonic()
    procs = []
    for i in range(2):
        t = targets[i % len(targets)]
        procs.append(subprocess.Popen([tool("redis-benchmark"), *t.tls_args, "-p", str(t.port), "-n", str(n // 2),
                                       "-c", "25", "-P", str(pipeline), "-r", "100000", "--csv", *command],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outs = [p.communicate(timeout=600)[0] for p in procs]
    wall = time.monotonic() - t0
    cpu = sum(t.cpu() - cpu0[name] for name, t in servers.items())
    rps = 0.0
    for out in outs:
        rows = list(csv.reader(io.StringIO(out)))
        if len(rows) < 2:
            raise RuntimeError("redis-benchmark failed: %r" % out[-300:])
        rps += float(dict(zip(rows[0], rows[-1]))["rps"])
    return {"rps": rps, "cpu_us_per_op": cpu / n * 1e6, "wall_s": wall}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=200_000, help="requests per pipeline-16 row (pipeline 1: n/8)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    args = ap.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="perdure-cluster-")
    load0 = os.getloadavg()
    results = []
    try:
        p0 = perdure(tmp, 0)
        p0.start()
        ca = os.path.join(tmp, "perdure0", "tls")
        p1 = perdure(tmp, 1, ca_from=os.path.join(tmp, "perdure0"))
        p1.start()
        r0, r1 = redis(tmp, 0, ca).start(), redis(tmp, 1, ca).start()
        try:
            for name, command, p in ROWS:
                n = args.n if p > 1 else args.n // 8
                row = {"row": name, "pipeline": p, "requests": n}
                for label, one, two in (("perdure", [p0], [p0, p1]), ("redis", [r0], [r0, r1])):
                    row[label] = {"1": parallel_bench(one, command, p, n), "2": parallel_bench(two, command, p, n)}
                results.append(row)
                print("%-4s P%-2d perdure 1 proc %8.0f ops/s, 2 procs %8.0f ops/s (x%.2f) | "
                      "redis 1 proc %8.0f, 2 procs %8.0f (x%.2f)" % (
                          name, p, row["perdure"]["1"]["rps"], row["perdure"]["2"]["rps"],
                          row["perdure"]["2"]["rps"] / row["perdure"]["1"]["rps"], row["redis"]["1"]["rps"],
                          row["redis"]["2"]["rps"], row["redis"]["2"]["rps"] / row["redis"]["1"]["rps"]), flush=True)
        finally:
            for t in (p0, p1, r0, r1):
                t.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(),
            "load_before": "%.2f %.2f %.2f" % load0, "load_after": "%.2f %.2f %.2f" % os.getloadavg()}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "cluster.json"), "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=1)
    lines = ["Scaling by shard processes, %s on %s (load average %s before, %s after); two "
             "`redis-benchmark` processes × 25 clients, TLS." % (meta["date"], meta["machine"], meta["load_before"],
                                                               meta["load_after"]), "",
             "| row | pipeline | Perdure 1 process ops/s | Perdure 2 processes ops/s | speed-up "
             "| Redis 1 process ops/s | Redis 2 processes ops/s | speed-up |",
             "|---|--:|--:|--:|--:|--:|--:|--:|"]
    for r in results:
        a, b = r["perdure"], r["redis"]
        lines.append("| %s | %d | %.0f | %.0f | %.2f | %.0f | %.0f | %.2f |" % (
            r["row"], r["pipeline"], a["1"]["rps"], a["2"]["rps"], a["2"]["rps"] / a["1"]["rps"], b["1"]["rps"],
            b["2"]["rps"], b["2"]["rps"] / b["1"]["rps"]))
    md = "\n".join(lines) + "\n"
    with open(os.path.join(args.out, "cluster.md"), "w") as f:
        f.write(md)
    print()
    print(md)


if __name__ == "__main__":
    main()
