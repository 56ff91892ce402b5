"""The incremental memory accounting (memory.py) equals a recount after any mix of commands.

String costs are kept by the keyspace's write paths (no per-key record), collection costs by
per-key records refreshed after each command; a write path that forgets either makes
``used_memory`` drift, and with it eviction.  This drives a random workload through the real
request path in-process (protocol → dispatch → handlers, a log that is durable at once) and
checks ``memory.audit`` (running totals vs. a recount from the data) as it goes.
"""

from __future__ import annotations

import random
import time

from perdure.server import memory
from perdure.server.app import Server
from perdure.server.config import Config
from perdure.server.protocol import RedisProtocol

from .test_reply_gating import ManualLog, Transport, req


class _InstantLog(ManualLog):
    """Every batch durable at once: replies are never held."""

    def append(self, data):
        self.durable = super().append(data)
        return self.durable


def _enc(*args) -> bytes:
    return req(*[a if isinstance(a, bytes) else str(a).encode() for a in args])


def _server():
    srv = Server(Config())
    srv.log = _InstantLog()
    proto = RedisProtocol(srv)
    t = Transport()
    proto.connection_made(t)
    return srv, proto, t


def _commands(rng: random.Random, keys):
    k, k2 = rng.choice(keys), rng.choice(keys)
    v = rng.choice(["x", "12", "-7", "3.5", "y" * rng.randrange(1, 700), ""])
    return rng.choice([
        ("SET", k, v), ("SET", k, v, "KEEPTTL"), ("SET", k, v, "NX"), ("SET", k, v, "XX", "GET"),
        ("SETEX", k, 100, v), ("SETNX", k, v), ("GETSET", k, v), ("GETDEL", k), ("GETEX", k, "PERSIST"),
        ("APPEND", k, v), ("SETRANGE", k, rng.randrange(0, 40), v), ("INCR", k), ("DECRBY", k, 3),
        ("INCRBYFLOAT", k, "1.25"), ("SETBIT", k, rng.randrange(0, 3000), 1), ("BITOP", "OR", k, k2, k),
        ("MSET", k, v, k2, v + "z"), ("MSETNX", k, v, k2, v), ("DEL", k), ("UNLINK", k, k2),
        ("RENAME", k, k2), ("RENAMENX", k, k2), ("COPY", k, k2, "REPLACE"), ("COPY", k, k2, "DB", 1),
        ("MOVE", k, 1), ("SELECT", rng.randrange(2)), ("SWAPDB", 0, 1),
        ("PEXPIRE", k, 1), ("EXPIRE", k, 1000), ("PERSIST", k), ("GET", k), ("EXISTS", k, k2),
        ("HSET", k, "f", v, "g", v), ("HDEL", k, "f"), ("RPUSH", k, v, v), ("LPOP", k), ("SADD", k, v, "m"),
        ("SPOP", k), ("ZADD", k, rng.randrange(9), v), ("ZPOPMIN", k), ("XADD", k, "*", "f", v),
        ("SORT", k, "STORE", k2), ("LMOVE", k, k2, "LEFT", "RIGHT"), ("SUNIONSTORE", k2, k, k2),
        ("EVAL", "redis.call('set', KEYS[1], ARGV[1]); return redis.call('append', KEYS[1], 'q')", 1, k, v),
        ("EVAL", "return redis.call('del', KEYS[1])", 1, k),
        ("MULTI",), ("EXEC",), ("DISCARD",),
    ])


def _run(proto, t, argv):
    proto.data_received(_enc(*argv))
    t.data.clear()


def test_accounting_matches_a_recount_after_a_random_workload():
    srv, proto, t = _server()
    rng = random.Random(2026)
    keys = ["k%d" % i for i in range(8)]
    for i in range(6000):
        argv = _commands(rng, keys)
        _run(proto, t, argv)
        if argv[0] == "PEXPIRE" and rng.random() < 0.5:
            time.sleep(0.002)  # let it expire: the next access (or active expiry) deletes it
        if i % 500 == 250:
            for db in srv.dbs:
                db.active_expire()
        if i % 100 == 0:
            assert memory.audit(srv) == [], (i, argv)
    _run(proto, t, ("EXEC",))
    assert memory.audit(srv) == []
    assert srv.mem_units == sum(db.mem for db in srv.dbs)
    _run(proto, t, ("FLUSHALL",))
    assert memory.audit(srv) == [] and srv.mem_units == 0


def test_strings_keep_no_per_key_record():
    srv, proto, t = _server()
    for i in range(100):
        _run(proto, t, ("SET", "s%d" % i, "v%d" % i))
    _run(proto, t, ("HSET", "h", "f", "v"))
    db = srv.dbs[0]
    assert list(db.sizes) == [b"h"]
    assert memory.audit(srv) == []
    _run(proto, t, ("DEL", "h"))
    _run(proto, t, ("SET", "h", "now a string"))
    assert not db.sizes and memory.audit(srv) == []


def test_eviction_keeps_the_accounting_exact():
    srv, proto, t = _server()
    for i in range(2000):
        _run(proto, t, ("SET", "k%d" % i, "v" * 50))
    used = memory.used_for_eviction(srv)
    _run(proto, t, ("CONFIG", "SET", "maxmemory-policy", "allkeys-random"))
    _run(proto, t, ("CONFIG", "SET", "maxmemory", str(used - 20000)))
    for i in range(200):
        _run(proto, t, ("SET", "n%d" % i, "w" * 50))
    assert srv.stat_evicted_keys > 0
    assert memory.audit(srv) == []
