"""Replay determinism: the keyspace rebuilt from the log equals the live keyspace.

A random workload across the families (including the non-deterministic commands whose effects
the log must rewrite: SPOP, INCRBYFLOAT, relative TTLs, blocking pops, MULTI/EXEC, random
members...) runs against a server; we take ``DEBUG DIGEST`` (which covers every key, value and
absolute expiry time), restart the server on the same data directory — once gracefully, once
with SIGKILL — and compare.
"""

from __future__ import annotations

import random
import threading

import pytest

from .serverutil import PerdureProcess


def _workload(c, rng: random.Random, n: int):
    keys = ["k%d" % i for i in range(12)]
    for _ in range(n):
        k = rng.choice(keys)
        k2 = rng.choice(keys)
        v = str(rng.randrange(-50, 50))
        op = rng.randrange(34)
        try:
            if op == 0:
                c.set(k, v)
            elif op == 1:
                c.set(k, v, ex=rng.randrange(100, 1000))
            elif op == 2:
                c.incrbyfloat(k, rng.choice(["0.1", "1.5", "-2.25", "3e2"]))
            elif op == 3:
                c.expire(k, rng.randrange(100, 10000))
            elif op == 4:
                c.pexpire(k, rng.randrange(100000, 1000000))
            elif op == 5:
                c.sadd("s" + k, *[str(rng.randrange(30)) for _ in range(rng.randrange(1, 6))])
            elif op == 6:
                c.spop("s" + k, rng.randrange(1, 3))
            elif op == 7:
                c.rpush("l" + k, *[v] * rng.randrange(1, 4))
            elif op == 8:
                c.lmove("l" + k, "l" + k2, rng.choice(["LEFT", "RIGHT"]), rng.choice(["LEFT", "RIGHT"]))
            elif op == 9:
                c.blpop(["l" + k], timeout=0.01)
            elif op == 10:
                c.hset("h" + k, mapping={"f%d" % rng.randrange(5): v})
            elif op == 11:
                c.hincrbyfloat("h" + k, "x", rng.choice(["0.1", "0.2", "1e3"]))
            elif op == 12:
                c.zadd("z" + k, {"m%d" % rng.randrange(10): rng.random() * 100})
            elif op == 13:
                c.zpopmin("z" + k, rng.randrange(1, 3))
            elif op == 14:
                c.bzpopmax(["z" + k], timeout=0.01)
            elif op == 15:
                c.setbit("b" + k, rng.randrange(200), rng.randrange(2))
            elif op == 16:
                c.append(k, "x")
            elif op == 17:
                c.delete(k)
            elif op == 18:
                c.rename(k, k2)
            elif op == 19:
                p = c.pipeline(transaction=True)
                p.incr("counter")
                p.set(k, v)
                p.spop("s" + k2)
                p.execute()
            elif op == 20:
                c.getex(k, px=rng.randrange(100000, 900000))
            elif op == 21:
                c.persist(k)
            elif op == 22:
                c.srandmember("s" + k, 2)
            elif op == 23:
                c.sinterstore("s" + k2, ["s" + k, "s" + k2])
            elif op == 24:
                c.zunionstore("z" + k2, ["z" + k, "z" + k2])
            elif op == 25:
                c.copy(k, k2, replace=True)
            elif op == 26:
                c.execute_command("SET", k, v, "PX", rng.randrange(100000, 900000), "GET")
            elif op == 27:
                c.linsert("l" + k, "BEFORE", v, "ins")
            elif op == 28:
                c.ltrim("l" + k, 0, rng.randrange(5))
            elif op == 29:
                c.smove("s" + k, "s" + k2, str(rng.randrange(30)))
            elif op == 30:
                c.setex(k, rng.randrange(100, 900), v)
            elif op == 31:
                c.bitfield("b" + k).incrby("i8", rng.randrange(64), rng.randrange(-200, 200), overflow="SAT").execute()
            elif op == 32:
                c.zincrby("z" + k, 1.5, "m1")
            elif op == 33:
                c.execute_command("FLUSHDB") if rng.random() < 0.02 else c.incr("counter")
        except Exception as e:  # wrong types are part of the workload
            if "WRONGTYPE" not in str(e) and "no such key" not in str(e) and "not an integer" not in str(e) \
                    and "not a valid float" not in str(e) and "are the same" not in str(e):
                raise


def _state(c):
    digest = c.execute_command("DEBUG", "DIGEST")
    keys = sorted(c.keys("*"))
    return digest, keys


@pytest.mark.parametrize("how", ["sigterm", "sigkill"])
def test_replay_rebuilds_the_same_keyspace(tmp_path, how):
    srv = PerdureProcess(tmp_path / "d").start()
    try:
        c = srv.client()
        # a blocked client served by a later push: its pop must be logged as a plain pop
        got = []
        other = srv.client()
        t = threading.Thread(target=lambda: got.append(other.blpop(["lk-served"], timeout=5)))
        t.start()
        _workload(c, random.Random(7), 1500)
        c.rpush("lk-served", "a", "b")
        t.join(10)
        assert got and got[0] == (b"lk-served", b"a")
        c.select(3)
        _workload(c, random.Random(8), 300)
        c.select(0)
        before = _state(c)
        before3 = _state(srv.client(db=3))
        assert before[0] != b"0" * 40
    finally:
        if how == "sigkill":
            srv.kill()
        srv.stop()
    srv = PerdureProcess(tmp_path / "d").start()
    try:
        assert _state(srv.client()) == before
        assert _state(srv.client(db=3)) == before3
    finally:
        srv.stop()
