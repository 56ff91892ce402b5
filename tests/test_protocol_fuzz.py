"""Bad input never breaks the server: protocol fuzzing against a real Perdure process.

One Perdure server, and for ~15 seconds several attackers at once:

* random bytes, and random mutations / truncations of valid requests, over TLS, each on a
  fresh connection that is then dropped (half of them with a TCP reset);
* huge declared lengths and counts (``$536870912``, ``*1048576``) left unfinished;
* garbage and half handshakes on the TLS port itself (no TLS at all);
* bursts of connections opened and reset at once;
* slow readers: clients that pipeline requests for big replies and never read them.

Throughout, a separate well-behaved client keeps writing and reading its own keys and must get
the right answer every time, promptly; at the end the server must still be up, its memory
bounded, and it must not have logged an internal error.
"""

from __future__ import annotations

import os
import random
import socket
import ssl
import statistics
import struct
import threading
import time

import psutil
import pytest

from .serverutil import PerdureProcess

DURATION = 15.0
BIG_VALUE = 200_000


def _req(*args) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


VALID = [
    _req("PING"), _req("SET", "fz:k", "v"), _req("GET", "fz:k"), _req("ECHO", "x" * 40),
    _req("INCR", "fz:n"), _req("HSET", "fz:h", "f", "v"), _req("LPUSH", "fz:l", "a", "b"),
    _req("MGET", "fz:k", "fz:n"), _req("CLIENT", "SETNAME", "fz"), _req("SELECT", "3"),
    _req("HELLO", "3"), _req("CLIENT", "REPLY", "SKIP"), b"PING\r\n", b'ECHO "a\\x41" \'b\'\r\n',
    _req("DEL", "fz:l"), _req("SUBSCRIBE", "fz"), _req("MULTI"), _req("EXEC"), _req("QUIT"),
]
# commands an attacker must not send: they would change what the probe or the server sees
FORBIDDEN = (b"FLUSH", b"SHUTDOWN", b"DEBUG", b"CONFIG", b"PAUSE", b"KILL", b"SWAPDB", b"MONITOR",
             b"SLAVEOF", b"REPLICAOF", b"ACL", b"SCRIPT", b"EVAL", b"MIGRATE", b"FAILOVER",
             b"CLUSTER", b"SAVE", b"RESTORE", b"SYNC", b"WAIT", b"BLPOP", b"BRPOP", b"XREAD")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = PerdureProcess(tmp_path_factory.mktemp("fuzz"), "--appendfsync", "no")
    srv.start()
    yield srv
    srv.stop()


class Attack:
    """Shared state of the attacker threads."""

    def __init__(self, srv):
        self.srv = srv
        self.stop = threading.Event()
        self.ctx = ssl.create_default_context(cafile=srv.ca)
        self.ctx.check_hostname = False
        self.connections = 0
        self.errors = []

    def tls(self, timeout=2.0):
        sock = socket.create_connection(("127.0.0.1", self.srv.port), timeout=timeout)
        self.connections += 1
        return self.ctx.wrap_socket(sock, server_hostname="127.0.0.1")

    def tcp(self, timeout=2.0):
        sock = socket.create_connection(("127.0.0.1", self.srv.port), timeout=timeout)
        self.connections += 1
        return sock

    @staticmethod
    def drop(sock, rnd):
        """Close, half the time with a TCP reset."""
        try:
            if rnd.random() < 0.5:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        except OSError:
            pass

    def run(self, fn, seed):
        rnd = random.Random(seed)
        while not self.stop.is_set():
            try:
                fn(rnd)
            except (OSError, ssl.SSLError, ValueError):
                pass  # the server closing on us is the expected outcome
            except Exception as e:  # pragma: no cover - a bug in the attacker itself
                self.errors.append(e)
                return


def _safe(data: bytes) -> bool:
    up = data.upper()
    return not any(w in up for w in FORBIDDEN)


def garbage(att: Attack, rnd: random.Random):
    """Random bytes, random mutations and truncations of valid requests."""
    s = att.tls()
    try:
        for _ in range(rnd.randrange(1, 6)):
            kind = rnd.random()
            if kind < 0.3:
                data = os.urandom(rnd.randrange(1, 300))
            else:
                data = bytearray(b"".join(rnd.choice(VALID) for _ in range(rnd.randrange(1, 6))))
                for _ in range(rnd.randrange(0, 4)):
                    i = rnd.randrange(len(data))
                    data[i] = rnd.randrange(256)
                if kind < 0.6:
                    data = data[: rnd.randrange(len(data) + 1)]
                data = bytes(data)
            if not _safe(data):
                continue
            s.sendall(data)
            if rnd.random() < 0.3:
                s.settimeout(0.05)
                try:
                    s.recv(65536)
                except (OSError, ssl.SSLError):
                    pass
    finally:
        att.drop(s, rnd)


def huge_lengths(att: Attack, rnd: random.Random):
    """Declared lengths and counts at (and past) the limits, never completed."""
    s = att.tls()
    try:
        s.sendall(rnd.choice([
            b"*1\r\n$536870912\r\n" + b"x" * rnd.randrange(100000),
            b"*1048576\r\n$1\r\nx\r\n",
            b"*2999999999\r\n",
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870913\r\n",
            b"*1\r\n$" + b"9" * 70000,
            b"A" * 70000,
            b"*2\r\n$4\r\nECHO\r\n$400000\r\n" + b"y" * rnd.randrange(400000),
        ]))
        time.sleep(rnd.random() * 0.2)
    finally:
        att.drop(s, rnd)


def not_tls(att: Attack, rnd: random.Random):
    """Plain TCP on the TLS port: garbage, a partial ClientHello, or nothing at all."""
    s = att.tcp()
    try:
        choice = rnd.random()
        if choice < 0.4:
            s.sendall(_req("PING") * rnd.randrange(1, 50))
        elif choice < 0.8:
            s.sendall(b"\x16\x03\x01" + os.urandom(rnd.randrange(1, 200)))
        time.sleep(rnd.random() * 0.1)
    finally:
        att.drop(s, rnd)


def churn(att: Attack, rnd: random.Random):
    """Bursts of TLS connections, each doing one thing (or nothing) and then reset."""
    socks = []
    try:
        for _ in range(rnd.randrange(5, 20)):
            s = att.tls()
            if rnd.random() < 0.5:
                s.sendall(_req("SET", "fz:c%d" % rnd.randrange(100), "v") + _req("GET", "fz:k"))
            socks.append(s)
    finally:
        for s in socks:
            att.drop(s, rnd)
    time.sleep(0.02)


def slow_reader(att: Attack, rnd: random.Random, held: list):
    """Pipelines requests for big replies and never reads them (kept open to the end)."""
    s = att.tls(timeout=0.5)
    held.append(s)
    burst = _req("GET", "fz:big") * 50
    while not att.stop.is_set():
        try:
            s.sendall(burst)
        except (socket.timeout, ssl.SSLWantWriteError, TimeoutError):
            time.sleep(0.05)  # the server stopped reading from us: good
    return


def test_fuzzing_never_breaks_the_server(server):
    probe = server.client(socket_timeout=5)
    probe.set("fz:big", b"b" * BIG_VALUE)
    proc = psutil.Process(server.proc.pid)
    rss_start = proc.memory_info().rss

    att = Attack(server)
    held = []
    workers = [
        (garbage, 3), (huge_lengths, 2), (not_tls, 1), (churn, 1),
    ]
    threads = []
    seed = 0
    for fn, n in workers:
        for _ in range(n):
            seed += 1
            t = threading.Thread(target=att.run, args=(lambda rnd, fn=fn: fn(att, rnd), seed), daemon=True)
            threads.append(t)
    for _ in range(2):
        threads.append(threading.Thread(target=slow_reader, args=(att, random.Random(), held), daemon=True))
    for t in threads:
        t.start()

    latencies = []
    rss_peak = rss_start
    deadline = time.monotonic() + DURATION
    i = 0
    try:
        while time.monotonic() < deadline:
            i += 1
            t0 = time.monotonic()
            key = "probe:%d" % (i % 50)
            assert probe.set(key, str(i)) is True
            assert probe.get(key) == str(i).encode()
            assert probe.incr("probe:counter") == i
            assert probe.strlen("fz:big") == BIG_VALUE
            latencies.append(time.monotonic() - t0)
            if i % 20 == 0:
                rss_peak = max(rss_peak, proc.memory_info().rss)
            time.sleep(0.01)
    finally:
        att.stop.set()
        for t in threads:
            t.join(10)
        for s in held:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()

    print("\nfuzz: %d attacker connections, %d probe rounds (median %.1f ms, max %.0f ms), RSS +%d MB"
          % (att.connections, len(latencies), statistics.median(latencies) * 1e3,
             max(latencies) * 1e3, (rss_peak - rss_start) >> 20))
    assert not att.errors, att.errors
    assert server.proc.poll() is None, "the server died: " + server.stderr()
    assert probe.ping() is True
    assert probe.get("probe:counter") == str(i).encode()
    assert att.connections > 200
    # the probe was served promptly all along
    assert statistics.median(latencies) < 0.05, statistics.median(latencies)
    assert max(latencies) < 2.0, max(latencies)
    # memory stayed bounded: the slow readers and the huge lengths cost their own buffers only
    assert rss_peak - rss_start < 300 * 1024 * 1024, (rss_start, rss_peak)
    # every attacker connection is gone once it is closed
    for _ in range(40):
        clients = probe.execute_command("CLIENT", "LIST").splitlines()
        if len(clients) == 1:
            break
        time.sleep(0.1)
    assert len(clients) == 1, clients
    log = server.stderr()
    assert "internal error" not in log and "Traceback" not in log, log[-3000:]
