"""Crash tests: kill -9 under a concurrent write load, restart, and check durability.

Invariants checked after every restart:
* every write that was acknowledged before the kill is present (per client, per key: a
  client's acknowledged sequence of writes to its own keys is a prefix of what survived, and
  at least as long as what was acknowledged);
* every value any client *read* before the kill is still readable (no read of undurable data).
"""

from __future__ import annotations

import random
import threading
import time

import pytest
import redis

from .serverutil import PerdureProcess

FAMILIES = ["string", "counter", "hash", "list", "set", "zset"]


def _writer(srv, rnd, wid, stop, acked, errors):
    """Issue writes on this writer's own keys; record the last acknowledged sequence per family."""
    try:
        c = srv.client(socket_timeout=5)
        seq = 0
        while not stop.is_set():
            seq += 1
            fam = FAMILIES[seq % len(FAMILIES)]
            k = "r%d:w%d:%s" % (rnd, wid, fam)
            n = seq // len(FAMILIES) + 1  # per-family sequence number
            try:
                if fam == "string":
                    c.set(k, str(n))
                elif fam == "counter":
                    c.incr(k)
                elif fam == "hash":
                    c.hset(k, "f%d" % n, str(n))
                elif fam == "list":
                    c.rpush(k, str(n))
                elif fam == "set":
                    c.sadd(k, str(n))
                elif fam == "zset":
                    c.zadd(k, {str(n): n})
            except (redis.ConnectionError, redis.TimeoutError, OSError):
                return
            acked[(rnd, wid, fam)] = n
    except Exception as e:  # pragma: no cover - reported by the test
        errors.append(e)


def _reader(srv, rnd, stop, seen, errors):
    """Read other writers' counters and strings; remember the highest value seen."""
    try:
        c = srv.client(socket_timeout=5)
        while not stop.is_set():
            wid = random.randrange(4)
            key = "r%d:w%d:counter" % (rnd, wid)
            try:
                v = c.get(key)
            except (redis.ConnectionError, redis.TimeoutError, OSError):
                return
            if v is not None:
                seen[key] = max(seen.get(key, 0), int(v))
    except Exception as e:  # pragma: no cover
        errors.append(e)


def _check(c, acked, seen):
    for (rnd, wid, fam), n in acked.items():
        k = "r%d:w%d:%s" % (rnd, wid, fam)
        if fam == "string":
            assert int(c.get(k)) >= n, (k, c.get(k), n)
        elif fam == "counter":
            assert int(c.get(k)) >= n, (k, c.get(k), n)
        elif fam == "hash":
            h = c.hgetall(k)
            assert all(b"f%d" % i in h for i in range(1, n + 1)), (k, n, len(h))
        elif fam == "list":
            lst = [int(x) for x in c.lrange(k, 0, -1)]
            assert lst[:n] == list(range(1, n + 1)), (k, n, lst[:5], len(lst))
        elif fam == "set":
            assert c.scard(k) >= n
            assert all(c.smismember(k, [str(i) for i in range(1, n + 1)]))
        elif fam == "zset":
            assert c.zcard(k) >= n
            assert c.zscore(k, str(n)) == n
    for k, v in seen.items():
        assert int(c.get(k)) >= v, (k, c.get(k), v)


@pytest.mark.parametrize("rounds", [4])
def test_kill9_under_load_keeps_every_acknowledged_write(tmp_path, rounds):
    data = tmp_path / "data"
    acked: dict = {}
    seen: dict = {}
    rng = random.Random(1234)
    for rnd in range(rounds):
        srv = PerdureProcess(data).start()
        try:
            c = srv.client()
            _check(c, acked, seen)  # after the previous crash
            stop = threading.Event()
            errors: list = []
            threads = [threading.Thread(target=_writer, args=(srv, rnd, w, stop, acked, errors)) for w in range(4)]
            threads += [threading.Thread(target=_reader, args=(srv, rnd, stop, seen, errors)) for _ in range(2)]
            for t in threads:
                t.start()
            time.sleep(0.3 + rng.random() * 1.2)
            srv.kill()  # SIGKILL at a random moment, writes in flight
            stop.set()
            for t in threads:
                t.join(10)
            assert not errors, errors
        finally:
            srv.stop()
    assert sum(acked.values()) > 100, "the load generated too few writes to mean anything"
    srv = PerdureProcess(data).start()
    try:
        _check(srv.client(), acked, seen)
    finally:
        srv.stop()


def _segment(data):
    segs = sorted((data / "log").glob("*.seg"))
    assert segs
    return segs[-1]


def test_torn_final_record_is_truncated_and_reported(tmp_path):
    data = tmp_path / "data"
    with PerdureProcess(data) as srv:
        c = srv.client()
        for i in range(50):
            c.set("k%d" % i, "v%d" % i)
    seg = _segment(data)
    size = seg.stat().st_size
    with open(seg, "r+b") as f:
        f.truncate(size - 5)  # cut the last record in the middle
    with PerdureProcess(data) as srv:
        c = srv.client()
        assert c.get("k0") == b"v0"
        assert c.get("k48") == b"v48"
        assert c.get("k49") is None  # the torn record is gone, never half-applied
        assert "torn" in srv.stderr().lower() or "truncat" in srv.stderr().lower()
        c.set("after", "1")
    with PerdureProcess(data) as srv:
        assert srv.client().get("after") == b"1"


def test_corrupt_middle_record_stops_startup(tmp_path):
    data = tmp_path / "data"
    with PerdureProcess(data) as srv:
        c = srv.client()
        for i in range(50):
            c.set("k%d" % i, "v%d" % i)
    seg = _segment(data)
    raw = bytearray(seg.read_bytes())
    raw[len(raw) // 3] ^= 0xFF
    seg.write_bytes(bytes(raw))
    srv = PerdureProcess(data)
    with pytest.raises(RuntimeError) as ei:
        srv.start(timeout=15)
    srv.stop()
    assert "corrupt" in str(ei.value).lower()
