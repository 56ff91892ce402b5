"""The generic keyspace commands and SORT log effects that replay to the same data.

A server runs a scripted mix of RENAME / MOVE / COPY / EXPIRE (future and past deadlines) /
PERSIST / SWAPDB / FLUSHDB / SORT ... STORE (including the set + ALPHA + BY case that is logged
as DEL + RPUSH), is killed with SIGKILL, restarted on the same data directory, and every
database must hold exactly what it held before: same keys, types, values and deadlines.
"""

from __future__ import annotations

import time

from .serverutil import PerdureProcess


def _dump(c):
    """{db: {key: (type, value, pexpiretime-ish)}} for every non-empty database."""
    out = {}
    for db in range(16):
        c.execute_command("SELECT", db)
        keys = c.execute_command("KEYS", "*")
        if not keys:
            continue
        d = {}
        for k in keys:
            t = c.execute_command("TYPE", k)
            if t == b"string":
                v = c.execute_command("GET", k)
            elif t == b"list":
                v = c.execute_command("LRANGE", k, 0, -1)
            elif t == b"set":
                v = sorted(c.execute_command("SMEMBERS", k))
            elif t == b"hash":
                v = sorted(c.execute_command("HGETALL", k).items())
            elif t == b"zset":
                v = c.execute_command("ZRANGE", k, 0, -1, "WITHSCORES")
            else:
                v = None
            pttl = c.execute_command("PTTL", k)
            # a deadline is absolute: compare it to the second, whatever the time between dumps
            deadline = -1 if pttl < 0 else round((time.time() * 1000 + pttl) / 1000)
            d[k] = (t, v, deadline)
        out[db] = d
    c.execute_command("SELECT", 0)
    return out


def _script(c):
    x = c.execute_command
    x("MSET", "a", "1", "b", "2", "c", "3")
    x("RPUSH", "list", "3", "1", "2")
    x("SADD", "set", "x", "y", "z", "w")
    x("HSET", "hash", "f", "v")
    x("ZADD", "zset", "1", "m1", "2", "m2")
    for m in (b"x", b"y", b"z", b"w"):
        x("SET", b"w_" + m, "same")  # equal BY values: the stored order is the set's order
    x("EXPIRE", "a", "1000")
    x("PEXPIRE", "b", "5000000")
    x("EXPIREAT", "c", int(time.time()) + 3000)
    x("PERSIST", "c")
    x("RENAME", "a", "a2")
    x("RENAMENX", "b", "b2")
    x("COPY", "list", "list2")
    x("COPY", "hash", "hash5", "DB", "5")
    x("MOVE", "zset", "3")
    x("SET", "gone", "1")
    x("EXPIRE", "gone", "-1")  # deletes: logged as DEL
    x("SET", "gone2", "1")
    x("PEXPIREAT", "gone2", "1")
    x("SORT", "list", "DESC", "STORE", "sorted")
    x("SORT", "set", "ALPHA", "STORE", "sortedset")
    x("SORT", "set", "BY", "w_*", "ALPHA", "STORE", "byalpha")
    x("SORT", "set", "BY", "nosort", "STORE", "nosort")
    x("SORT", "missing", "STORE", "list2")  # deletes list2
    x("SELECT", "7")
    x("SET", "in7", "v")
    x("SELECT", "8")
    x("SET", "in8", "v")
    x("FLUSHDB")
    x("SELECT", "0")
    x("SWAPDB", "0", "9")
    x("SET", "after-swap", "v")
    x("DEL", "nothing-here")
    x("UNLINK", "after-swap")
    x("SET", "kept", "v", "EX", "100")


def test_keyspace_commands_replay_identically(tmp_path):
    srv = PerdureProcess(tmp_path / "data")
    srv.start()
    try:
        c = srv.client()
        _script(c)
        before = _dump(c)
        assert 9 in before and 0 in before and 5 in before and 3 in before and 8 not in before
        assert before[9][b"sorted"][1] == [b"3", b"2", b"1"]
        srv.kill()
        srv.start()
        after = _dump(srv.client())
        assert after == before
    finally:
        srv.stop()
