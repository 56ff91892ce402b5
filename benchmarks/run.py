"""Side-by-side benchmark: Perdure vs real Redis, same machine, same run, alternating.

For every row, ``redis-benchmark`` (Debian's, built with TLS) runs against Perdure and against
Redis (Debian's ``redis-server``, built with TLS, with the same certificate), one right after
the other; which server goes first alternates, and each row runs ``--repeat`` rounds (default 2)
of which, per server, the one with the least CPU per operation is kept (the least disturbed by
other work on a shared machine; every round is in the JSON).  We report ops/s, p50/p99
latency and **server CPU per operation** measured from the server process's own CPU time
(user+sys, all threads) before and after the run: robust on a 2-core machine where the
benchmark client itself saturates a core.

Settings.  Perdure runs at its default, ``appendfsync always`` (every acknowledged write is
fsynced), on every row.  The main rows compare it with Redis at *its* default (no persistence);
the "durable" rows compare it with Redis ``--appendonly yes --appendfsync always``.  Each row is
one ``redis-benchmark`` custom command (so no hidden pre-fill phase is counted), with
``-r 100000`` random keys, 3-byte values, 50 clients; rows run in an order that gives GET, LPOP
and LRANGE data to read (SET before GET, LPUSH before LPOP, a 100-element list for LRANGE).

Usage: ``python benchmarks/run.py [--quick] [--rows GET,SET] [--pipelines 1,16] [-n N] [--repeat R]
[--no-durable] [--perdure-args '...'] [--out benchmarks/results]``
(also ``tox -e bench``).  Writes ``results/latest.json`` and ``results/latest.md``.
Set ``PERDURE_PROFILE=/path/file.prof`` to run Perdure under cProfile (dumped at shutdown).
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
import ssl
import subprocess
import sys
import tempfile
import time

import psutil

MSET10 = ["MSET"] + [w for j in range(10) for w in ("key:__rand_int__", "xxx")]

# (row name, redis-benchmark custom command)
COMMANDS = [
    ("SET", ["SET", "key:__rand_int__", "xxx"]),
    ("GET", ["GET", "key:__rand_int__"]),
    ("INCR", ["INCR", "counter:__rand_int__"]),
    ("LPUSH", ["LPUSH", "mylist", "xxx"]),
    ("LPOP", ["LPOP", "mylist"]),
    ("SADD", ["SADD", "myset", "element:__rand_int__"]),
    ("HSET", ["HSET", "myhash", "element:__rand_int__", "xxx"]),
    ("ZADD", ["ZADD", "myzset", "__rand_int__", "element:__rand_int__"]),
    ("LRANGE_100", ["LRANGE", "mylist100", "0", "99"]),
    ("MSET", MSET10),
]
DURABLE = [("SET", ["SET", "key:__rand_int__", "xxx"]), ("LPUSH", ["LPUSH", "mylist", "xxx"])]
CLIENTS = 50


def tool(name):
    """Debian's build (TLS) first: a redis-cli/redis-server earlier on PATH may lack TLS."""
    for d in ("/usr/bin", "/usr/local/bin"):
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    return shutil.which(name)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Conn:
    """A minimal RESP client (TLS or plain) for set-up commands: PING, FLUSHALL, RPUSH."""

    def __init__(self, port, cafile=None, timeout=60):
        s = socket.create_connection(("127.0.0.1", port), timeout)
        if cafile:
            ctx = ssl.create_default_context(cafile=cafile)
            ctx.check_hostname = False
            s = ctx.wrap_socket(s)
        self.s, self.buf = s, b""

    def call(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.s.sendall(b"".join(out))
        return self.reply()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t in b"+:":
            return rest
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.s.recv(65536)
            v, self.buf = self.buf[:n], self.buf[n + 2:]
            return v
        if t == b"*":
            return [self.reply() for _ in range(max(0, int(rest)))]
        raise RuntimeError("unexpected reply %r" % line)

    def close(self):
        self.s.close()


class Target:
    def __init__(self, name, argv, port, cafile, env=None):
        self.name, self.argv, self.port, self.cafile, self.env = name, argv, port, cafile, env
        self.proc = None

    @property
    def tls_args(self):
        return ["--tls", "--cacert", self.cafile] if self.cafile else []

    def start(self, cafile=None):
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env)
        self.ps = psutil.Process(self.proc.pid)
        deadline = time.monotonic() + 60
        while True:  # until it answers PING (Perdure: certificates made, log replayed)
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %s: %s" % (self.name, self.proc.returncode, self.argv))
            try:
                c = Conn(self.port, cafile or self.cafile, timeout=2)
                try:
                    if c.call("PING") == b"PONG":
                        return self
                finally:
                    c.close()
            except (OSError, RuntimeError):
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.1)

    def cmd(self, *args):
        c = Conn(self.port, self.cafile)
        try:
            return c.call(*args)
        finally:
            c.close()

    def cpu(self):
        t = self.ps.cpu_times()  # the whole process: every thread (Perdure's fsync worker too)
        return t.user + t.system

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def bench(target, command, pipeline, n, clients=CLIENTS):
    c0 = target.cpu()
    t0 = time.monotonic()
    r = subprocess.run([tool("redis-benchmark"), *target.tls_args, "-p", str(target.port), "-n", str(n),
                        "-c", str(clients), "-P", str(pipeline), "-r", "100000", "--csv", *command],
                       capture_output=True, text=True, timeout=600)
    wall = time.monotonic() - t0
    cpu = target.cpu() - c0
    rows = list(csv.reader(io.StringIO(r.stdout)))
    if len(rows) < 2:
        raise RuntimeError("redis-benchmark failed: %s %s" % (r.stdout[-500:], r.stderr[-500:]))
    d = dict(zip(rows[0], rows[-1]))
    return {"rps": float(d["rps"]), "p50_ms": float(d.get("p50_latency_ms", "nan")),
            "p99_ms": float(d.get("p99_latency_ms", "nan")), "cpu_us_per_op": cpu / n * 1e6,
            "cpu_s": cpu, "wall_s": wall}


def prepare(target, row):
    if row == "LRANGE_100":
        target.cmd("DEL", "mylist100")
        target.cmd("RPUSH", "mylist100", *[b"xxx"] * 100)


def run_rows(results, rows, perdure, redis, n_for, repeat, label="", first=0):
    """Each row: ``repeat`` rounds, the two servers one after the other (which goes first
    alternates); per server the round with the least CPU per operation is kept (the least
    disturbed by whatever else the machine runs), all rounds go to the JSON."""
    for k, (name, command, p) in enumerate(rows):
        n = n_for(p)
        runs = {perdure.name: [], redis.name: []}
        for rnd in range(repeat):
            pair = [perdure, redis] if (k + first + rnd) % 2 == 0 else [redis, perdure]
            for t in pair:
                prepare(t, name)
                runs[t.name].append(bench(t, command, p, n))
        best = {t: dict(min(rs, key=lambda r: r["cpu_us_per_op"]), rounds=rs) for t, rs in runs.items()}
        results.append({"row": name + label, "pipeline": p, "requests": n,
                        "perdure": best[perdure.name], "redis": best[redis.name]})
        print_row(results[-1])


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer requests per row")
    ap.add_argument("--rows", default="", help="comma-separated row names to run (e.g. GET,SET)")
    ap.add_argument("--pipelines", default="1,16")
    ap.add_argument("--no-durable", action="store_true", help="skip the appendfsync always rows")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    ap.add_argument("--repeat", type=int, default=2, help="rounds per row; the least disturbed is kept")
    ap.add_argument("--perdure-args", default="", help="extra perdure-server flags, e.g. '--appendfsync no'")
    ap.add_argument("-n", type=int, default=0, help="requests per pipeline-1 row (pipeline 16: 4x)")
    args = ap.parse_args(argv)
    bench_bin, redis_bin = tool("redis-benchmark"), tool("redis-server")
    if not bench_bin or not redis_bin:
        sys.exit("redis-benchmark / redis-server not found: apt-get install redis-server redis-tools")
    n1 = args.n or (5000 if args.quick else 20000)
    n16 = n1 * 4 if args.quick else n1 * 8

    def n_for(p):
        return n1 if p == 1 else n16

    pipelines = [int(p) for p in args.pipelines.split(",")]
    want = {r.strip().upper() for r in args.rows.split(",") if r.strip()}
    rows = [(name, cmd, p) for p in pipelines for name, cmd in COMMANDS if not want or name in want]
    drows = [(name, cmd, p) for p in pipelines for name, cmd in DURABLE if not want or name in want]
    load0 = os.getloadavg()
    tmp = tempfile.mkdtemp(prefix="perdure-bench-")
    pdir = os.path.join(tmp, "perdure")
    pport, rport = free_port(), free_port()
    env = dict(os.environ)
    pargv = [sys.executable, "-m", "perdure.server", "--tls-port", str(pport), "--dir", pdir,
             "--loglevel", "warning", "--appendfsync", "always", *args.perdure_args.split()]
    if os.environ.get("PERDURE_PROFILE"):  # cProfile the server; the profile is dumped at SIGTERM
        pargv[1:3] = ["-c", "import cProfile, os, sys; from perdure.server.app import main; "
                            "cProfile.run('main(sys.argv[1:])', os.environ['PERDURE_PROFILE'])"]
    ca = os.path.join(pdir, "tls")
    perdure = Target("perdure", pargv, pport, os.path.join(ca, "ca.crt"), env)
    rdir = os.path.join(tmp, "redis")
    os.makedirs(rdir)
    rargv = [redis_bin, "--port", "0", "--tls-port", str(rport), "--tls-cert-file", os.path.join(ca, "server.crt"),
             "--tls-key-file", os.path.join(ca, "server.key"), "--tls-ca-cert-file", os.path.join(ca, "ca.crt"),
             "--tls-auth-clients", "no", "--save", "", "--dir", rdir, "--daemonize", "no"]
    rver = subprocess.run([redis_bin, "--version"], capture_output=True, text=True).stdout.strip()
    bver = subprocess.run([bench_bin, "--version"], capture_output=True, text=True).stdout.strip()
    results = []
    t_start = time.monotonic()
    perdure.start()
    pver = perdure.cmd("INFO", "server").decode()
    pver = next((ln.split(":", 1)[1].strip() for ln in pver.splitlines() if ln.startswith("redis_version")), "?")
    try:
        if rows:
            redis_t = Target("redis", rargv + ["--appendonly", "no"], rport, perdure.cafile).start()
            try:
                run_rows(results, rows, perdure, redis_t, n_for, args.repeat)
            finally:
                redis_t.stop()
        if drows and not args.no_durable:
            redis_d = Target("redis", rargv + ["--appendonly", "yes", "--appendfsync", "always"], rport,
                             perdure.cafile).start()
            try:
                run_rows(results, drows, perdure, redis_d, n_for, args.repeat, " durable", first=1)
            finally:
                redis_d.stop()
    finally:
        perdure.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(),
            "load_before": "%.2f %.2f %.2f" % load0, "load_after": "%.2f %.2f %.2f" % os.getloadavg(),
            "redis": rver, "redis_benchmark": bver, "perdure_redis_version": pver,
            "python": "%s %s" % (platform.python_implementation(), platform.python_version()),
            "clients": CLIENTS, "requests_p1": n1, "requests_p16": n16, "repeat": args.repeat,
            "duration_s": round(time.monotonic() - t_start, 1)}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "latest.json"), "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=1)
    md = markdown(meta, results)
    with open(os.path.join(args.out, "latest.md"), "w") as f:
        f.write(md)
    print()
    print(md)


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
    return "%s, %d cores (nproc %d), %.0f GiB, %s" % (
        cpu, os.cpu_count(), len(os.sched_getaffinity(0)), psutil.virtual_memory().total / 2 ** 30,
        platform.platform(terse=True))


def _ratio(a, b):
    return a / b if b else float("nan")


def print_row(r):
    a, b = r["perdure"], r["redis"]
    print("%-16s P%-3d perdure %9.0f ops/s %7.2f µs/op | redis %9.0f ops/s %7.2f µs/op | ops %.2f  cpu %.2f"
          % (r["row"], r["pipeline"], a["rps"], a["cpu_us_per_op"], b["rps"], b["cpu_us_per_op"],
             _ratio(a["rps"], b["rps"]), _ratio(a["cpu_us_per_op"], b["cpu_us_per_op"])), flush=True)


def markdown(meta, results):
    lines = ["Run %s on %s; load average %s before, %s after. %s, TLS on both sides; Perdure (Python %s) "
             "with `appendfsync always`; %s; %d clients, %d requests per pipeline-1 row and %d per "
             "pipeline-16 row, best of %d rounds; %.0f s in total." % (
                 meta["date"], meta["machine"], meta["load_before"], meta["load_after"], meta["redis"],
                 meta["python"], meta["redis_benchmark"], meta["clients"], meta["requests_p1"],
                 meta["requests_p16"], meta["repeat"], meta["duration_s"]), "",
             "| row | pipeline | Perdure ops/s | Redis ops/s | ops ratio | Perdure p50/p99 ms | Redis p50/p99 ms "
             "| Perdure CPU µs/op | Redis CPU µs/op | CPU ratio |",
             "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for r in results:
        a, b = r["perdure"], r["redis"]
        lines.append("| %s | %d | %.0f | %.0f | %.2f | %.2f / %.2f | %.2f / %.2f | %.2f | %.2f | %.2f |" % (
            r["row"], r["pipeline"], a["rps"], b["rps"], _ratio(a["rps"], b["rps"]), a["p50_ms"], a["p99_ms"],
            b["p50_ms"], b["p99_ms"], a["cpu_us_per_op"], b["cpu_us_per_op"],
            _ratio(a["cpu_us_per_op"], b["cpu_us_per_op"])))
    lines += ["", "Main rows: Perdure durable (`appendfsync always`) vs Redis without persistence. "
              "Rows marked *durable*: vs Redis `--appendonly yes --appendfsync always`. "
              "CPU µs/op = server process user+sys CPU time (all threads) / requests."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
