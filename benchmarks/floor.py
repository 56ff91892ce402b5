"""The floor under issue 11's CPU target: a minimal TLS GET/SET server in Python vs Redis.

The smallest server this stack allows -- uvloop, hiredis, and a non-blocking ``ssl.SSLSocket``
per client read and written from the loop's reader callback exactly as Perdure's transport
does (``server/tls_transport.py``: one ``SSL_read`` per readable event, one ``SSL_write`` per
reply batch) -- that answers GET and SET from a dict and nothing else: no command table, ACL,
cluster check, statistics, effects log or reply gating.  What it costs per operation is what
any Python server on this stack pays before it does any work of its own; Perdure's figure
minus this one is Perdure's own.

``python benchmarks/floor.py [--pipelines 16,1] [-n 1600000] [--repeat 2]`` starts this server
and Debian's ``redis-server`` (same certificate, no persistence), runs ``redis-benchmark`` (TLS,
50 clients, ``-r 100000``) against each in turn with SET then GET rows, and prints server CPU
per operation (user+sys of the server process before/after, best of ``--repeat`` rounds) and
the ratio; writes ``results/floor.json`` and ``results/floor.md``.  Not a test: a measurement
behind the README's statement of what the target allows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import Target, bench, free_port, machine, tool  # noqa: E402

ROWS = [("SET", ["SET", "key:__rand_int__", "xxx"]), ("GET", ["GET", "key:__rand_int__"])]


# --------------------------------------------------------------------------- the minimal server


def serve(port: int, cert: str, key: str) -> None:
    """Run the minimal server on 127.0.0.1:``port`` until killed."""
    import hiredis
    import uvloop

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    data: dict = {}

    def handle(reader, out: bytearray) -> None:
        while True:
            req = reader.gets()
            if req is False:
                return
            name = req[0].upper()
            if name == b"GET":
                v = data.get(req[1])
                out += b"$-1\r\n" if v is None else b"$%d\r\n%s\r\n" % (len(v), v)
            elif name == b"SET":
                data[req[1]] = req[2]
                out += b"+OK\r\n"
            else:  # PING, and whatever else redis-benchmark may send first
                out += b"+PONG\r\n"

    class Conn:
        __slots__ = ("loop", "sock", "fd", "reader", "ready")

        def __init__(self, loop, sock):
            self.loop, self.sock, self.fd = loop, sock, sock.fileno()
            self.reader, self.ready = hiredis.Reader(), False
            loop.add_reader(self.fd, self.on_readable)

        def on_readable(self) -> None:
            sock = self.sock
            if not self.ready:
                try:
                    sock.do_handshake()
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    return
                except OSError:
                    self.close()
                    return
                self.ready = True
            out = bytearray()
            while True:
                try:
                    chunk = sock.recv(262144)
                except ssl.SSLWantReadError:
                    break
                except OSError:
                    self.close()
                    return
                if not chunk:
                    self.close()
                    return
                self.reader.feed(chunk)
                handle(self.reader, out)
                if not sock.pending():
                    break
            if out:
                try:
                    sock.send(out)  # OpenSSL writes all of it or nothing (no partial writes)
                except ssl.SSLWantWriteError:  # the socket buffer is full: rare here, so block
                    sock.setblocking(True)
                    sock.sendall(out)
                    sock.setblocking(False)

        def close(self) -> None:
            self.loop.remove_reader(self.fd)
            self.sock.close()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        ls = socket.socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("127.0.0.1", port))
        ls.listen(512)
        ls.setblocking(False)

        def on_accept() -> None:
            while True:
                try:
                    c, _ = ls.accept()
                except BlockingIOError:
                    return
                c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                c.setblocking(False)
                Conn(loop, ctx.wrap_socket(c, server_side=True, do_handshake_on_connect=False))

        loop.add_reader(ls.fileno(), on_accept)
        await asyncio.Event().wait()

    uvloop.run(main())


# --------------------------------------------------------------------------- the measurement


def main(argv=None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", nargs=3, metavar=("PORT", "CERT", "KEY"), help=argparse.SUPPRESS)
    ap.add_argument("--pipelines", default="16,1")
    ap.add_argument("-n", type=int, default=1_600_000, help="requests per pipeline-16 row (pipeline 1: n/8)")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
    args = ap.parse_args(argv)
    if args.serve:
        serve(int(args.serve[0]), args.serve[1], args.serve[2])
        return
    from perdure.server import tls

    redis_bin = tool("redis-server")
    if not redis_bin or not tool("redis-benchmark"):
        sys.exit("redis-benchmark / redis-server not found: apt-get install redis-server redis-tools")
    tmp = tempfile.mkdtemp(prefix="perdure-floor-")
    certs = tls.ensure_dev_certs(tmp)
    mport, rport = free_port(), free_port()
    mini = Target("minimal", [sys.executable, os.path.abspath(__file__), "--serve", str(mport), certs["cert"],
                              certs["key"]], mport, certs["ca_cert"])
    redis = Target("redis", [redis_bin, "--port", "0", "--tls-port", str(rport), "--tls-cert-file", certs["cert"],
                             "--tls-key-file", certs["key"], "--tls-ca-cert-file", certs["ca_cert"],
                             "--tls-auth-clients", "no", "--save", "", "--appendonly", "no", "--dir", tmp,
                             "--daemonize", "no"], rport, certs["ca_cert"])
    load0 = os.getloadavg()
    t_start = time.monotonic()
    results = []
    try:
        mini.start()
        redis.start()
        for p in [int(x) for x in args.pipelines.split(",")]:
            n = args.n if p > 1 else args.n // 8
            for k, (name, command) in enumerate(ROWS):
                runs = {"minimal": [], "redis": []}
                for rnd in range(args.repeat):
                    for t in ([mini, redis] if (k + rnd) % 2 == 0 else [redis, mini]):
                        runs[t.name].append(bench(t, command, p, n))
                best = {t: min(rs, key=lambda r: r["cpu_us_per_op"]) for t, rs in runs.items()}
                results.append({"row": name, "pipeline": p, "requests": n, **best, "rounds": runs})
                r = results[-1]
                print("%-4s P%-2d minimal %6.2f µs/op  redis %6.2f µs/op  ratio %.2f" % (
                    name, p, r["minimal"]["cpu_us_per_op"], r["redis"]["cpu_us_per_op"],
                    r["minimal"]["cpu_us_per_op"] / r["redis"]["cpu_us_per_op"]), flush=True)
    finally:
        mini.stop()
        redis.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": machine(),
            "load_before": "%.2f %.2f %.2f" % load0, "load_after": "%.2f %.2f %.2f" % os.getloadavg(),
            "redis": subprocess.run([redis_bin, "--version"], capture_output=True, text=True).stdout.strip(),
            "repeat": args.repeat, "duration_s": round(time.monotonic() - t_start, 1)}
    lines = ["Transport floor, %s on %s (load average %s before, %s after); %s; TLS, 50 clients, "
             "best of %d rounds." % (meta["date"], meta["machine"], meta["load_before"], meta["load_after"],
                                     meta["redis"], args.repeat), "",
             "| row | pipeline | minimal server CPU µs/op | Redis CPU µs/op | ratio |", "|---|--:|--:|--:|--:|"]
    for r in results:
        m, d = r["minimal"]["cpu_us_per_op"], r["redis"]["cpu_us_per_op"]
        lines.append("| %s | %d | %.2f | %.2f | %.2f |" % (r["row"], r["pipeline"], m, d, m / d))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "floor.json"), "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=1)
    with open(os.path.join(args.out, "floor.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
