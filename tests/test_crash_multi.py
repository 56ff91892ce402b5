"""Crash tests for transactions and scripts: kill -9 during a stream of MULTI/EXEC (and EVAL)
transfers between accounts, restart, check.

Invariants after every restart:

* the money is all there: the accounts always add up to the initial total (a transaction is in
  the log entirely or not at all);
* every acknowledged EXEC / EVAL is present: each writer also increments its own counter inside
  each transaction, and that counter is at least the number of acknowledged transactions (and
  at most one more: the one in flight when the server died);
* in the log itself, every MULTI ... EXEC lies within one record (one group-commit batch), so a
  torn tail can only ever drop whole transactions.
"""

from __future__ import annotations

import random
import threading
import time

import hiredis
import redis

from perdure.server.durability.filelog import FileLog

from .serverutil import PerdureProcess

ACCOUNTS = ["acc:%d" % i for i in range(4)]
INITIAL = 1000
TOTAL = INITIAL * len(ACCOUNTS)
TRANSFER = """
local amount = tonumber(ARGV[1])
redis.call('decrby', KEYS[1], amount)
redis.call('incrby', KEYS[2], amount)
return redis.call('incr', KEYS[3])
"""


def _writer(srv, wid, use_script, stop, acked, errors):
    rng = random.Random(wid * 7919 + int(time.time()))
    counter = "tx:%d" % wid
    try:
        c = srv.client(socket_timeout=5)
        n = int(c.get(counter) or 0)
        acked[wid] = n
        while not stop.is_set():
            src, dst = rng.sample(ACCOUNTS, 2)
            amount = rng.randint(1, 50)
            try:
                if use_script:
                    c.eval(TRANSFER, 3, src, dst, counter, amount)
                else:
                    with c.pipeline(transaction=True) as p:
                        p.decrby(src, amount)
                        p.incrby(dst, amount)
                        p.incr(counter)
                        p.execute()
            except (redis.ConnectionError, redis.TimeoutError, OSError):
                return
            n += 1
            acked[wid] = n
    except Exception as e:  # pragma: no cover - reported by the test
        errors.append(e)


def _check(c, acked):
    values = [int(c.get(k)) for k in ACCOUNTS]
    assert sum(values) == TOTAL, values
    for wid, n in acked.items():
        got = int(c.get("tx:%d" % wid) or 0)
        assert n <= got <= n + 1, (wid, n, got)


def _records(data):
    """Every log record as the list of commands it holds."""
    log = FileLog(str(data), segment_bytes=64 << 20)
    log.open()
    try:
        for _off, payload in log.read_from(log.start_offset):
            reader = hiredis.Reader()
            reader.feed(payload)
            cmds = []
            while True:
                argv = reader.gets()
                if argv is False:
                    break
                cmds.append([a.upper() if i == 0 else a for i, a in enumerate(argv)])
            yield cmds
    finally:
        log.close()


def test_kill9_during_transactions_and_scripts(tmp_path):
    data = tmp_path / "data"
    acked: dict = {}
    rng = random.Random(4321)
    srv = PerdureProcess(data).start()
    try:
        c = srv.client()
        c.mset({k: INITIAL for k in ACCOUNTS})
    finally:
        srv.stop()
    for _round in range(3):
        srv = PerdureProcess(data).start()
        try:
            c = srv.client()
            _check(c, acked)
            for wid in acked:  # the survivors are the truth for the next round
                acked[wid] = int(c.get("tx:%d" % wid) or 0)
            stop = threading.Event()
            errors: list = []
            threads = [threading.Thread(target=_writer, args=(srv, w, w % 2 == 1, stop, acked, errors))
                       for w in range(6)]
            for t in threads:
                t.start()
            time.sleep(0.5 + rng.random())
            srv.kill()
            stop.set()
            for t in threads:
                t.join(10)
            assert not errors, errors
        finally:
            srv.stop()
    assert sum(acked.values()) > 100, "too few transactions to mean anything"
    srv = PerdureProcess(data).start()
    try:
        _check(srv.client(), acked)
    finally:
        srv.stop()
    # every MULTI ... EXEC of the log sits inside one record
    transactions = 0
    for cmds in _records(data):
        open_tx = False
        for argv in cmds:
            if argv[0] == b"MULTI":
                assert not open_tx, "nested MULTI in the log"
                open_tx = True
                transactions += 1
            elif argv[0] == b"EXEC":
                assert open_tx, "EXEC without MULTI in a record"
                open_tx = False
        assert not open_tx, "a record ends inside a transaction"
    assert transactions > 100


def test_transaction_effects_are_logged_wrapped_and_replayed(tmp_path):
    data = tmp_path / "data"
    with PerdureProcess(data) as srv:
        c = srv.client()
        with c.pipeline(transaction=True) as p:
            p.set("a", "1").set("b", "2").expire("a", 1000)
            p.execute()
        with c.pipeline(transaction=True) as p:  # one effect: no wrapping needed
            p.set("single", "x").get("single")
            p.execute()
        c.eval("redis.call('set', 's1', 'x'); redis.call('rpush', 'l', 'a', 'b')", 0)
        c.eval("return redis.call('get', 'a')", 0)  # no effect, nothing logged
        c.script_load("return 'loaded'")
    cmds = [argv for rec in _records(data) for argv in rec if argv[0] != b"SELECT"]
    names = [argv[0] for argv in cmds]
    assert names == [b"MULTI", b"SET", b"SET", b"PEXPIREAT", b"EXEC", b"SET",
                     b"MULTI", b"SET", b"RPUSH", b"EXEC", b"SCRIPT"]
    with PerdureProcess(data) as srv:
        c = srv.client()
        assert c.get("b") == b"2" and 0 < c.ttl("a") <= 1000
        assert c.get("single") == b"x" and c.lrange("l", 0, -1) == [b"a", b"b"]
        assert c.evalsha(c.script_load("return 'loaded'"), 0) == b"loaded"
        assert c.execute_command("SCRIPT", "EXISTS", "a" * 40) == [0]


def test_busy_script_is_atomic_across_a_crash(tmp_path):
    """A script suspended past lua-time-limit (other clients get BUSY) has written nothing to
    the log yet: killed there, none of its writes survive; finished, all of them do."""
    data = tmp_path / "data"
    long_script = ("redis.call('set', 'first', '1') local i = 0 while i < 30000000 do i = i + 1 end "
                   "redis.call('set', 'second', '2') return 1")
    srv = PerdureProcess(data, "--lua-time-limit", "50").start()
    try:
        c = srv.client()
        c.set("before", "ok")
        runner = srv.client(socket_timeout=30)
        box = {}
        t = threading.Thread(target=lambda: box.setdefault("r", _safe_eval(runner, long_script)))
        t.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                c.ping()
            except redis.ResponseError as e:
                if str(e).startswith("BUSY"):
                    break
            time.sleep(0.01)
        else:
            raise AssertionError("never BUSY")
        srv.kill()
        t.join(10)
    finally:
        srv.stop()
    with PerdureProcess(data, "--lua-time-limit", "50") as srv:
        c = srv.client(socket_timeout=30)
        assert c.get("before") == b"ok"
        assert c.get("first") is None and c.get("second") is None
        assert c.eval(long_script, 0) == 1
    with PerdureProcess(data) as srv:
        c = srv.client()
        assert c.get("first") == b"1" and c.get("second") == b"2"


def _safe_eval(c, script):
    try:
        return c.eval(script, 0)
    except (redis.ConnectionError, redis.TimeoutError, OSError) as e:
        return e
