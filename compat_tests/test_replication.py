"""Replication: REPLICAOF, SYNC/PSYNC, the replication stream, WAIT, ROLE, INFO replication, a
read-only replica.

Each test runs on private instances of the target (``make_server``): a master and a replica
that replicates it (Perdure: over TLS, ``tls-replication yes``, trusting the master's CA; the
oracle: plain TCP).  ``WAIT 1 <timeout>`` on the master is the barrier: once it answers 1, the
replica acknowledged everything written before it (Perdure's replica acknowledges what is
durable in its own log) and reads on the replica see it.

The raw ``SYNC`` tests read the stream as Redis's own test suite does
(``attach_to_replication_stream``): the RDB payload, then the commands, compared in the exact
form Redis 6.2 propagates them (relative TTLs as ``PX``/``PEXPIRE``, absolute ones as
``PXAT``/``PEXPIREAT``, transactions and scripts wrapped in ``MULTI``/``EXEC``).
"""

from __future__ import annotations

import hashlib
import time

import hiredis
import pytest

from .helpers import err, ex, key_contents, wait_for

pytestmark = pytest.mark.not_on("external", reason="starts private master and replica instances")

READONLY = "READONLY You can't write against a read only replica."
MASTERDOWN = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."


@pytest.fixture
def master(make_server):
    return make_server()


def _replica_args(master):
    if master.tls:
        return ("--tls-replication", "yes", "--tls-ca-cert-file", master.ca_file)
    return ()


@pytest.fixture
def replica(make_server, master):
    return make_server(*_replica_args(master))


def info_repl(client) -> dict:
    text = ex(client, "INFO", "replication").decode()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def attach(rc, master) -> None:
    assert ex(rc, "REPLICAOF", master.host, master.port) == b"OK"
    assert wait_for(lambda: info_repl(rc).get("master_link_status") == "up", 15)


def synced(mc) -> None:
    assert ex(mc, "WAIT", 1, 10000) == 1


# --------------------------------------------------------------------------- data


def _fill(mc, tag):
    ex(mc, "SET", f"s{tag}", "v")
    ex(mc, "SET", f"ttl{tag}", "v", "EX", 1000)
    ex(mc, "RPUSH", f"l{tag}", "a", "b", "c")
    ex(mc, "HSET", f"h{tag}", "f1", "v1", "f2", "v2")
    ex(mc, "SADD", f"st{tag}", "1", "2", "x")
    ex(mc, "ZADD", f"z{tag}", 1, "a", 2.5, "b")
    ex(mc, "XADD", f"x{tag}", "1-1", "f", "v")
    ex(mc, "SELECT", 2)
    ex(mc, "SET", f"db2{tag}", "two")
    ex(mc, "SELECT", 0)


def _same_dataset(mc, rc):
    for db in (0, 2):
        ex(mc, "SELECT", db)
        ex(rc, "SELECT", db)
        keys = sorted(ex(mc, "KEYS", "*"))
        assert sorted(ex(rc, "KEYS", "*")) == keys
        for k in keys:
            assert key_contents(rc, k) == key_contents(mc, k), k
            assert abs(ex(rc, "TTL", k) - ex(mc, "TTL", k)) <= 1, k
    ex(mc, "SELECT", 0)
    ex(rc, "SELECT", 0)


def test_replica_gets_the_dataset_and_then_the_stream(master, replica):
    mc, rc = master.client(), replica.client()
    _fill(mc, "before")
    attach(rc, master)
    synced(mc)
    _same_dataset(mc, rc)
    _fill(mc, "after")
    ex(mc, "INCRBYFLOAT", "fl", "1.5")
    ex(mc, "LPOP", "lbefore")
    ex(mc, "DEL", "sbefore")
    ex(mc, "EXPIRE", "hafter", 500)
    ex(mc, "SPOP", "stafter")
    ex(mc, "MULTI")
    ex(mc, "INCR", "n")
    ex(mc, "INCR", "n")
    assert ex(mc, "EXEC") == [1, 2]
    ex(mc, "EVAL", "redis.call('set', KEYS[1], 'lua'); return redis.call('lpush', KEYS[2], 'e')", 2, "sl", "ll")
    synced(mc)
    _same_dataset(mc, rc)
    assert ex(rc, "GET", "n") == b"2"
    assert ex(rc, "DBSIZE") == ex(mc, "DBSIZE")


def test_flushall_and_flushdb_replicate(master, replica):
    mc, rc = master.client(), replica.client()
    attach(rc, master)
    _fill(mc, "a")
    ex(mc, "SELECT", 2)
    ex(mc, "FLUSHDB")
    ex(mc, "SELECT", 0)
    synced(mc)
    ex(rc, "SELECT", 2)
    assert ex(rc, "DBSIZE") == 0
    ex(rc, "SELECT", 0)
    assert ex(rc, "DBSIZE") == 7
    ex(mc, "FLUSHALL")
    synced(mc)
    assert ex(rc, "DBSIZE") == 0


def test_a_replica_refuses_writes(master, replica):
    mc, rc = master.client(), replica.client()
    ex(mc, "SET", "k", "v")
    attach(rc, master)
    synced(mc)
    assert err(rc, "SET", "k", "w") == READONLY
    assert err(rc, "DEL", "k") == READONLY
    assert ex(rc, "GET", "k") == b"v"
    # queued writes are refused when queued, and EXEC aborts
    assert ex(rc, "MULTI") == b"OK"
    assert err(rc, "SET", "k", "w") == READONLY
    assert err(rc, "EXEC") == "EXECABORT Transaction discarded because of previous errors."
    # a script may read; its writes are refused
    assert ex(rc, "EVAL", "return redis.call('get', KEYS[1])", 1, "k") == b"v"
    script = "return redis.call('set', KEYS[1], 'x')"
    sha = hashlib.sha1(script.encode()).hexdigest()
    assert err(rc, "EVAL", script, 1, "k") == (
        "ERR Error running script (call to f_%s): @user_script:1: @user_script: 1: "
        "-READONLY You can't write against a read only replica." % sha)
    assert ex(rc, "GET", "k") == b"v"
    assert err(rc, "WAIT", 0, 0).startswith("ERR WAIT cannot be used with replica instances.")


def test_role_and_info_replication(master, replica):
    mc, rc = master.client(), replica.client()
    assert ex(mc, "ROLE") == [b"master", 0, []]
    m0 = info_repl(mc)
    assert m0["role"] == "master" and m0["connected_slaves"] == "0"
    attach(rc, master)
    ex(mc, "SET", "k", "v")
    synced(mc)
    role = ex(mc, "ROLE")
    assert role[0] == b"master" and role[1] > 0
    assert len(role[2]) == 1
    ip, port, off = role[2][0]
    # the replica's acknowledged offset (the master's own offset may be past it: GETACK)
    assert ip == b"127.0.0.1" and int(port) == replica.port and 0 < int(off) <= role[1]
    m = info_repl(mc)
    assert m["connected_slaves"] == "1"
    assert m["slave0"].startswith("ip=127.0.0.1,port=%d,state=online,offset=" % replica.port)
    assert m["repl_backlog_active"] == "1"
    r = info_repl(rc)
    assert r["role"] == "slave"
    assert r["master_host"] == master.host and r["master_port"] == str(master.port)
    assert r["master_link_status"] == "up"
    assert r["master_sync_in_progress"] == "0"
    assert r["slave_read_only"] == "1"
    assert r["master_replid"] == m["master_replid"]
    assert r["master_repl_offset"] == m["master_repl_offset"]
    rrole = ex(rc, "ROLE")
    assert rrole[:4] == [b"slave", master.host.encode(), master.port, b"connected"]
    assert rrole[4] == int(m["master_repl_offset"])


def test_wait(master, replica):
    mc, rc = master.client(), replica.client()
    ex(mc, "SET", "k", "v")
    assert ex(mc, "WAIT", 0, 0) == 0  # no replica
    t0 = time.monotonic()
    assert ex(mc, "WAIT", 1, 200) == 0
    assert time.monotonic() - t0 >= 0.15
    attach(rc, master)
    ex(mc, "SET", "k", "w")
    assert ex(mc, "WAIT", 1, 0) == 1
    assert ex(rc, "GET", "k") == b"w"
    t0 = time.monotonic()
    assert ex(mc, "WAIT", 2, 300) == 1  # one replica only: the timeout answers what acknowledged
    assert time.monotonic() - t0 >= 0.25
    assert err(mc, "WAIT", "x", 0) == "ERR value is not an integer or out of range"
    assert err(mc, "WAIT", 1, -1) == "ERR timeout is negative"


def test_replicaof_arguments(master, replica):
    rc = replica.client()
    assert err(rc, "REPLICAOF", "127.0.0.1", "notaport") == "ERR value is not an integer or out of range"
    assert err(rc, "REPLICAOF", "127.0.0.1") == "ERR wrong number of arguments for 'replicaof' command"
    assert ex(rc, "REPLICAOF", "NO", "ONE") == b"OK"  # already a master: nothing to do
    attach(rc, master)
    assert ex(rc, "REPLICAOF", master.host, master.port) == b"OK Already connected to specified master"
    assert ex(rc, "SLAVEOF", master.host, master.port) == b"OK Already connected to specified master"


def test_replicaof_no_one_makes_a_writable_master(master, replica):
    mc, rc = master.client(), replica.client()
    attach(rc, master)
    ex(mc, "SET", "k", "v")
    synced(mc)
    before = info_repl(rc)
    assert ex(rc, "REPLICAOF", "NO", "ONE") == b"OK"
    after = info_repl(rc)
    assert after["role"] == "master"
    assert after["master_replid"] != before["master_replid"]
    assert after["master_replid2"] == before["master_replid"]
    assert after["second_repl_offset"] == str(int(before["master_repl_offset"]) + 1)
    assert ex(rc, "SET", "k", "mine") == b"OK"
    assert ex(rc, "GET", "k") == b"mine"
    assert ex(rc, "ROLE")[0] == b"master"
    assert wait_for(lambda: info_repl(mc)["connected_slaves"] == "0", 10)


def test_a_replica_does_not_expire_keys_itself(master, replica):
    mc, rc = master.client(), replica.client()
    attach(rc, master)
    ex(mc, "DEBUG", "SET-ACTIVE-EXPIRE", 0)
    try:
        ex(mc, "SET", "k", "v", "PX", 100)
        synced(mc)
        time.sleep(0.3)
        # logically expired on the replica, but only the master's DEL removes it
        assert ex(rc, "GET", "k") is None
        assert ex(rc, "EXISTS", "k") == 0
        assert ex(rc, "TTL", "k") == -2
        assert ex(rc, "DBSIZE") == 1
        assert ex(mc, "GET", "k") is None  # the master expires it and sends DEL
        synced(mc)
        assert ex(rc, "DBSIZE") == 0
    finally:
        ex(mc, "DEBUG", "SET-ACTIVE-EXPIRE", 1)


def test_stale_replica_can_refuse_reads(make_server, master):
    from .conftest import _free_port

    rc = make_server(*_replica_args(master), "--replica-serve-stale-data", "no").client()
    ex(rc, "SET", "k", "v")
    assert ex(rc, "REPLICAOF", "127.0.0.1", _free_port()) == b"OK"  # nobody listens there
    assert err(rc, "GET", "k") == MASTERDOWN
    assert ex(rc, "PING") == b"PONG"
    assert info_repl(rc)["master_link_status"] == "down"
    assert ex(rc, "ROLE")[3] in (b"connect", b"connecting")
    assert ex(rc, "REPLICAOF", "NO", "ONE") == b"OK"
    assert ex(rc, "GET", "k") == b"v"


def test_becoming_a_replica_unblocks_blocked_clients(master, replica):
    rc, blocked = replica.client(), replica.client()
    conn = blocked.connection
    conn.send_command("BLPOP", "list", 0)
    assert wait_for(lambda: b"blocked_clients:1\r\n" in ex(rc, "INFO", "clients"))
    attach(rc, master)
    with pytest.raises(Exception) as e:
        conn.read_response()
    assert str(e.value) == "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)"


# --------------------------------------------------------------------------- the stream


class Stream:
    """A raw connection that sent SYNC: reads the payload, then commands."""

    def __init__(self, raw):
        self.raw = raw
        raw.send(b"SYNC\r\n")
        deadline = time.monotonic() + 10
        while True:
            end = raw._take_line(deadline, 0)
            line, raw.buf = raw.buf[:end], raw.buf[end:]
            if line.strip():
                break
        assert line[:1] == b"$", line
        raw._take(deadline, int(line[1:-2]))
        assert raw.buf[:5] == b"REDIS"
        raw.buf = raw.buf[int(line[1:-2]):]
        self.reader = hiredis.Reader()
        self.reader.feed(raw.buf)
        raw.buf = b""

    def next(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            cmd = self.reader.gets()
            if cmd is not False:
                return [cmd[0].lower()] + cmd[1:]
            self.raw._fill(deadline)
            self.reader.feed(self.raw.buf)
            self.raw.buf = b""


def _expect(stream, *patterns):
    for want in patterns:
        got = stream.next()
        assert len(got) == len(want), (got, want)
        for g, w in zip(got, want):
            if w != b"*":
                assert g == w, (got, want)


def stream_of(target, client):
    ex(client, "CONFIG", "SET", "repl-ping-replica-period", 3600)
    return Stream(target.raw())


def test_stream_relative_and_absolute_ttls(master):
    mc = master.client()
    s = stream_of(master, mc)
    now = int(time.time())
    ex(mc, "SET", "foo1", "bar", "ex", 200)
    ex(mc, "SET", "foo1", "bar", "px", 100000)
    ex(mc, "SET", "foo1", "bar", "exat", now + 100)
    ex(mc, "SET", "foo1", "bar", "pxat", now * 1000 + 10000)
    ex(mc, "SETEX", "foo1", 100, "bar")
    ex(mc, "PSETEX", "foo1", 100000, "bar")
    ex(mc, "SET", "foo2", "bar")
    ex(mc, "EXPIRE", "foo2", 100)
    ex(mc, "PEXPIRE", "foo2", 100000)
    ex(mc, "SET", "foo3", "bar")
    ex(mc, "EXPIREAT", "foo3", now + 100)
    ex(mc, "PEXPIREAT", "foo3", now * 1000 + 100000)
    ex(mc, "EXPIREAT", "foo3", now - 100)
    ex(mc, "SET", "foo4", "bar")
    ex(mc, "GETEX", "foo4", "ex", 200)
    ex(mc, "GETEX", "foo4", "px", 200000)
    ex(mc, "GETEX", "foo4", "exat", now + 100)
    ex(mc, "GETEX", "foo4", "pxat", now * 1000 + 10000)
    ex(mc, "GETEX", "foo4", "persist")
    ex(mc, "GETEX", "foo4")
    ex(mc, "GETDEL", "foo4")
    _expect(s, [b"select", b"0"],
            [b"set", b"foo1", b"bar", b"PX", b"200000"],
            [b"set", b"foo1", b"bar", b"PX", b"100000"],
            [b"set", b"foo1", b"bar", b"PXAT", b"%d" % ((now + 100) * 1000)],
            [b"set", b"foo1", b"bar", b"PXAT", b"%d" % (now * 1000 + 10000)],
            [b"set", b"foo1", b"bar", b"PX", b"100000"],
            [b"set", b"foo1", b"bar", b"PX", b"100000"],
            [b"set", b"foo2", b"bar"],
            [b"expire", b"foo2", b"100"],
            [b"pexpire", b"foo2", b"100000"],
            [b"set", b"foo3", b"bar"],
            [b"expireat", b"foo3", b"%d" % (now + 100)],
            [b"pexpireat", b"foo3", b"%d" % (now * 1000 + 100000)],
            [b"del", b"foo3"],
            [b"set", b"foo4", b"bar"],
            [b"pexpire", b"foo4", b"200000"],
            [b"pexpire", b"foo4", b"200000"],
            [b"pexpireat", b"foo4", b"%d" % ((now + 100) * 1000)],
            [b"pexpireat", b"foo4", b"%d" % (now * 1000 + 10000)],
            [b"persist", b"foo4"],
            [b"del", b"foo4"])


def test_stream_transactions_and_scripts(master):
    mc = master.client()
    s = stream_of(master, mc)
    ex(mc, "SET", "k", "1")
    for cmds in ([("SET", "foo", "bar")], [], [("GET", "foo")], [("DEL", "nokey")],
                 [("INCR", "k"), ("GET", "k"), ("INCR", "k")]):
        ex(mc, "MULTI")
        for c in cmds:
            ex(mc, *c)
        ex(mc, "EXEC")
    ex(mc, "EVAL", "redis.call('set', KEYS[1], 'x')", 1, "a")
    ex(mc, "EVAL", "redis.call('get', KEYS[1])", 1, "a")
    ex(mc, "EVAL", "redis.call('incr', KEYS[1]); redis.call('incr', KEYS[1])", 1, "b")
    ex(mc, "INCRBYFLOAT", "f", "1.5")
    ex(mc, "SELECT", 3)
    ex(mc, "SET", "in3", "x")
    ex(mc, "SELECT", 0)
    ex(mc, "SET", "end", "x")
    _expect(s, [b"select", b"0"],
            [b"set", b"k", b"1"],
            [b"multi"], [b"set", b"foo", b"bar"], [b"exec"],
            [b"multi"], [b"incr", b"k"], [b"incr", b"k"], [b"exec"],
            [b"multi"], [b"set", b"a", b"x"], [b"exec"],
            [b"multi"], [b"incr", b"b"], [b"incr", b"b"], [b"exec"],
            [b"set", b"f", b"1.5", b"KEEPTTL"],
            [b"select", b"3"], [b"set", b"in3", b"x"],
            [b"select", b"0"], [b"set", b"end", b"x"])


def test_psync_answers_fullresync(master):
    mc = master.client()
    ex(mc, "SET", "k", "v")
    raw = master.raw()
    raw.send(b"PSYNC ? -1\r\n")
    deadline = time.monotonic() + 10
    end = raw._take_line(deadline, 0)
    line = raw.buf[:end]
    parts = line.split()
    assert parts[0] == b"+FULLRESYNC"
    assert parts[1].decode() == info_repl(mc)["master_replid"]
    assert int(parts[2]) == int(info_repl(mc)["master_repl_offset"])
    assert len(parts[1]) == 40


def test_client_pause_on_a_replica_holds_the_stream(master, replica):
    mc, rc = master.client(), replica.client()
    attach(rc, master)
    ex(mc, "SET", "foo", "bar")
    synced(mc)
    applied = int(info_repl(rc)["slave_repl_offset"])
    assert ex(rc, "CLIENT", "PAUSE", 100000, "WRITE") == b"OK"
    try:
        ex(mc, "SET", "foo2", "bar2")
        target = int(info_repl(mc)["master_repl_offset"])
        # read from the master, not applied
        assert wait_for(lambda: int(info_repl(rc)["slave_read_repl_offset"]) == target)
        assert int(info_repl(rc)["slave_repl_offset"]) == applied
        assert ex(rc, "GET", "foo2") is None
    finally:
        ex(rc, "CLIENT", "UNPAUSE")
    assert wait_for(lambda: int(info_repl(rc)["slave_repl_offset"]) == target)
    assert ex(rc, "GET", "foo2") == b"bar2"


# --------------------------------------------------------------------------- FAILOVER


def test_failover_arguments(master, replica):
    mc, rc = master.client(), replica.client()
    assert err(mc, "FAILOVER") == "ERR FAILOVER requires connected replicas."
    assert err(mc, "FAILOVER", "ABORT") == "ERR No failover in progress."
    assert err(mc, "FAILOVER", "TIMEOUT", 0) == "ERR FAILOVER timeout must be greater than 0"
    assert err(mc, "FAILOVER", "TIMEOUT", "x") == "ERR value is not an integer or out of range"
    assert err(mc, "FAILOVER", "TO", "127.0.0.1", "x") == "ERR value is not an integer or out of range"
    assert err(mc, "FAILOVER", "BOGUS") == "ERR syntax error"
    assert err(mc, "FAILOVER", "FORCE", "FORCE") == "ERR syntax error"
    assert err(mc, "PSYNC", "?", -1, "FAILOVER") == "ERR PSYNC FAILOVER can't be sent to a master."
    attach(rc, master)
    assert err(mc, "FAILOVER", "FORCE") == "ERR FAILOVER with force option requires both a timeout and target HOST and IP."
    assert err(mc, "FAILOVER", "TO", "127.0.0.1", 1) == "ERR FAILOVER target HOST and PORT is not a replica."
    assert err(rc, "FAILOVER") == "ERR FAILOVER is not valid when server is a replica."
    assert info_repl(mc)["master_failover_state"] == "no-failover"


def test_failover_swaps_master_and_replica(master, replica):
    mc, rc = master.client(), replica.client()
    if master.tls:  # the master becomes the replica's replica: over TLS, trusting its CA
        ex(mc, "CONFIG", "SET", "tls-replication", "yes")
        ex(mc, "CONFIG", "SET", "tls-ca-cert-file", replica.ca_file)
    attach(rc, master)
    for i in range(20):
        ex(mc, "SET", "k%d" % i, i)
    assert ex(mc, "FAILOVER", "TO", "127.0.0.1", replica.port, "TIMEOUT", 10000) == b"OK"
    assert wait_for(lambda: info_repl(mc)["master_failover_state"] == "no-failover", 15)
    assert wait_for(lambda: info_repl(mc).get("master_link_status") == "up", 15)
    assert info_repl(mc)["role"] == "slave"
    assert info_repl(rc)["role"] == "master"
    assert ex(rc, "GET", "k19") == b"19"
    # the old master continued from the new one's history: no full resync
    assert int(info_repl(rc)["connected_slaves"]) == 1
    ex(rc, "SET", "after", "x")
    assert ex(rc, "WAIT", 1, 10000) == 1
    assert ex(mc, "GET", "after") == b"x"
    assert err(mc, "SET", "k", "v") == READONLY


def test_min_replicas_to_write(master, replica):
    mc, rc = master.client(), replica.client()
    attach(rc, master)
    synced(mc)
    ex(mc, "CONFIG", "SET", "min-replicas-max-lag", 10)
    ex(mc, "CONFIG", "SET", "min-replicas-to-write", 1)
    assert ex(mc, "SET", "k", "v") == b"OK"
    assert ex(mc, "EVAL", "return redis.call('set', 'k', 'w')", 0) == b"OK"
    ex(mc, "CONFIG", "SET", "min-replicas-to-write", 2)
    assert err(mc, "SET", "k", "x") == "NOREPLICAS Not enough good replicas to write."
    script = "return redis.call('set', 'k', 'x')"
    sha = hashlib.sha1(script.encode()).hexdigest()
    assert err(mc, "EVAL", script, 0) == (
        "ERR Error running script (call to f_%s): @user_script:1: @user_script: 1: "
        "-NOREPLICAS Not enough good replicas to write." % sha)
    assert ex(mc, "EVAL", "return redis.call('get', 'k')", 0) == b"w"  # reads still run
    assert ex(mc, "GET", "k") == b"w"


def test_a_writable_replica_expires_its_own_keys(master, replica):
    rc = replica.client()
    attach(rc, master)
    ex(rc, "CONFIG", "SET", "replica-read-only", "no")
    ex(rc, "SELECT", 5)
    ex(rc, "SET", "own", "1", "PX", 300)
    assert ex(rc, "DBSIZE") == 1
    assert wait_for(lambda: ex(rc, "DBSIZE") == 0, 5)


def test_full_resync_payload_is_not_output_buffer(master, replica):
    mc, rc = master.client(), replica.client()
    ex(mc, "CONFIG", "SET", "client-output-buffer-limit", "replica 1mb 1mb 0")
    big = "x" * 100_000
    for i in range(40):  # a 4 MB payload, over the replica class's hard limit
        ex(mc, "SET", "big%d" % i, big)
    attach(rc, master)
    synced(mc)
    assert ex(rc, "DBSIZE") == 40
    assert ex(rc, "STRLEN", "big39") == 100_000


def _stats(client) -> dict:
    text = ex(client, "INFO", "stats").decode()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def test_killing_the_master_link_reconnects_with_psync(master, replica):
    mc, rc = master.client(), replica.client()
    attach(rc, master)
    ex(mc, "SET", "a", "1")
    synced(mc)
    lines = [ln for ln in ex(rc, "CLIENT", "LIST").decode().splitlines() if " flags=M " in ln]
    assert len(lines) == 1
    assert " addr=%s:%d " % (master.host, master.port) in lines[0]
    assert ex(rc, "CLIENT", "KILL", "TYPE", "master") == 1
    ex(mc, "SET", "b", "2")
    assert wait_for(lambda: _stats(mc)["sync_partial_ok"] == "1", 15)
    synced(mc)
    assert ex(rc, "GET", "b") == b"2"
    assert _stats(mc)["sync_full"] == "1"


def test_backlog_keeps_the_last_repl_backlog_size_bytes(master, replica):
    mc, rc = master.client(), replica.client()
    attach(rc, master)
    ex(mc, "CONFIG", "SET", "repl-backlog-size", 16384)
    for i in range(40):
        ex(mc, "SET", "k%d" % i, "v" * 1000)
    synced(mc)
    m = info_repl(mc)
    assert m["repl_backlog_active"] == "1"
    assert m["repl_backlog_histlen"] == "16384"
    assert int(m["repl_backlog_first_byte_offset"]) == int(m["master_repl_offset"]) + 1 - 16384


def test_diskless_sync_delay_keeps_the_replica_in_handshake(master, replica):
    mc, rc = master.client(), replica.client()
    ex(mc, "SET", "k", "v")
    ex(mc, "CONFIG", "SET", "repl-diskless-sync", "yes")
    ex(mc, "CONFIG", "SET", "repl-diskless-sync-delay", 2)
    assert ex(rc, "REPLICAOF", master.host, master.port) == b"OK"
    assert wait_for(lambda: ex(rc, "ROLE")[3] == b"handshake", 5)
    assert info_repl(rc)["master_link_status"] == "down"
    assert wait_for(lambda: info_repl(rc)["master_link_status"] == "up", 15)
    assert ex(rc, "ROLE")[3] == b"connected"
    assert ex(rc, "GET", "k") == b"v"
