"""Snapshots: restart time for 1,000,000 keys, and serving while a snapshot runs (issue 9).

1. Restart time.  Perdure is filled with ``DEBUG POPULATE 1000000`` (one key per SET in the
   log), killed with SIGKILL and restarted: the time until it answers PING is the log-only
   restart.  Then ``BGSAVE`` (timed), 100,000 more keys written to the log after the snapshot,
   SIGKILL, restart: snapshot + log tail.  DBSIZE is checked after each restart.
2. Serving during a snapshot.  ``redis-benchmark SET`` (50 clients, pipeline 1) against the
   1.1M-key dataset with no snapshot running, then the same run started together with a
   ``BGSAVE``; the same two runs against real Redis (Debian's ``redis-server``, fork-based
   BGSAVE) with the same dataset for context.  Reported: ops/s, p50, p99, and how long the
   snapshot overlapped the run.

Usage: ``python benchmarks/snapshot_bench.py [--keys 1000000] [--out benchmarks/results]``.
Writes ``results/snapshot.json`` and ``results/snapshot.md``.  Takes a few minutes.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from run import Conn, Target, bench, free_port, machine, tool  # noqa: E402


def perdure_target(d, port):
    argv = ["perdure-server", "--tls-port", str(port), "--dir", d, "--snapshot-window", "",
            "--snapshot-log-bytes", "0", "--save", ""]
    return Target("perdure", argv, port, os.path.join(d, "tls", "ca.crt"))


def wait_ping(t, timeout=600.0):
    """Seconds until the server answers PING with PONG (LOADING errors count as not yet)."""
    t0 = time.monotonic()
    while True:
        try:
            c = Conn(t.port, t.cafile, timeout=5)
            try:
                if c.call("PING") == b"PONG":
                    return time.monotonic() - t0
            finally:
                c.close()
        except (OSError, RuntimeError):
            pass
        if time.monotonic() - t0 > timeout:
            raise RuntimeError("no PONG after %.0f s" % timeout)
        time.sleep(0.05)


def restart(t):
    """SIGKILL, start again, and time it: (seconds to PONG, DBSIZE)."""
    t.proc.send_signal(signal.SIGKILL)
    t.proc.wait()
    import psutil

    t0 = time.monotonic()
    t.proc = subprocess.Popen(t.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t.ps = psutil.Process(t.proc.pid)
    wait_ping(t)
    return time.monotonic() - t0, int(t.cmd("DBSIZE"))


def info_field(t, section, name):
    for line in t.cmd("INFO", section).decode().splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1]
    return None


def wait_snapshot(t, field="rdb_bgsave_in_progress", timeout=900.0):
    t0 = time.monotonic()
    while info_field(t, "persistence", field) != "0":
        if time.monotonic() - t0 > timeout:
            raise RuntimeError("snapshot still running after %.0f s" % timeout)
        time.sleep(0.1)
    return time.monotonic() - t0


def serving_during_snapshot(t, n):
    """(baseline run, run started with a BGSAVE, seconds the BGSAVE took)."""
    cmd = ["SET", "key:__rand_int__", "xxx"]
    base = bench(t, cmd, 1, n)
    t0 = time.monotonic()
    t.cmd("BGSAVE")
    during = bench(t, cmd, 1, n)
    snap_s = time.monotonic() - t0 + wait_snapshot(t)
    return base, during, snap_s


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--tail", type=int, default=100_000)
    ap.add_argument("-n", type=int, default=100_000, help="requests per serving run")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    args = ap.parse_args(argv)
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine(), "loadavg": "%.2f %.2f %.2f" % os.getloadavg(), "keys": args.keys, "tail": args.tail}
    res = {}
    with tempfile.TemporaryDirectory(prefix="perdure-snapbench-") as tmp:
        t = perdure_target(os.path.join(tmp, "p"), free_port()).start()
        try:
            t0 = time.monotonic()
            t.cmd("DEBUG", "POPULATE", args.keys)
            res["populate_s"] = time.monotonic() - t0
            res["log_bytes"] = int(info_field(t, "persistence", "log_size_bytes"))
            res["restart_log_only_s"], n1 = restart(t)
            assert n1 == args.keys, n1
            t0 = time.monotonic()
            t.cmd("BGSAVE")
            res["bgsave_s"] = time.monotonic() - t0 + wait_snapshot(t)
            t.cmd("DEBUG", "POPULATE", args.keys + args.tail)
            res["restart_snapshot_plus_tail_s"], n2 = restart(t)
            assert n2 == args.keys + args.tail, n2
            res["rss_mb"] = t.ps.memory_info().rss / 2 ** 20
            b, d, s = serving_during_snapshot(t, args.n)
            res["perdure"] = {"baseline": b, "during_snapshot": d, "snapshot_s": s}
        finally:
            t.stop()
        rs = tool("redis-server")
        if rs:
            port = free_port()
            rd = os.path.join(tmp, "r")
            os.makedirs(rd)
            extra = []
            if b"v=6." not in subprocess.run([rs, "--version"], capture_output=True).stdout:
                extra = ["--enable-debug-command", "local"]  # Redis 7 refuses DEBUG otherwise
            r = Target("redis", [rs, "--port", str(port), "--save", "", "--dir", rd, "--appendonly", "no", *extra],
                       port, None).start()
            try:
                r.cmd("DEBUG", "POPULATE", args.keys + args.tail)
                b, d, s = serving_during_snapshot(r, args.n)
                res["redis"] = {"baseline": b, "during_snapshot": d, "snapshot_s": s,
                                "version": r.cmd("INFO", "server").decode().split("redis_version:")[1].split()[0]}
            finally:
                r.stop()
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "snapshot.json"), "w") as f:
        json.dump({"meta": meta, "results": res}, f, indent=2)
    md = markdown(meta, res)
    with open(os.path.join(args.out, "snapshot.md"), "w") as f:
        f.write(md)
    print(md)
    return 0


def markdown(meta, res):
    out = ["Snapshot benchmark, %s, %s, load average at start %s" % (
        meta["date"], meta["machine"], meta["loadavg"]), ""]
    out += ["| measure | value |", "|---|---|",
            "| DEBUG POPULATE %d keys | %.1f s |" % (meta["keys"], res["populate_s"]),
            "| log size | %.1f MB |" % (res["log_bytes"] / 2 ** 20),
            "| restart from the log only (%d keys) | %.1f s |" % (meta["keys"], res["restart_log_only_s"]),
            "| BGSAVE of %d keys (separate process) | %.1f s |" % (meta["keys"], res["bgsave_s"]),
            "| restart from snapshot + %d-record log tail | %.1f s |" % (meta["tail"], res["restart_snapshot_plus_tail_s"]),
            "| server RSS after restart | %.0f MB |" % res["rss_mb"], ""]
    out += ["| server | run | ops/s | p50 ms | p99 ms | snapshot took |", "|---|---|---|---|---|---|"]
    for name in ("perdure", "redis"):
        r = res.get(name)
        if not r:
            continue
        for run in ("baseline", "during_snapshot"):
            x = r[run]
            out.append("| %s | %s | %.0f | %.2f | %.2f | %s |" % (
                name, run.replace("_", " "), x["rps"], x["p50_ms"], x["p99_ms"],
                "%.1f s" % r["snapshot_s"] if run == "during_snapshot" else ""))
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(main())
