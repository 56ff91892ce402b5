"""DUMP / RESTORE: payload format, options and errors (cluster.c).

``REDIS_PAYLOADS`` were taken from Redis 6.2.14 (``DUMP`` after the commands listed): each
RESTOREs on the target into the same value and encoding, and a DUMP of the same value built by
the same commands on the target gives the very same bytes (hash-table sets/hashes of one
member too, since their order cannot differ) -- so payloads travel both ways.
"""

from __future__ import annotations

import time

import pytest

from .helpers import err, ex, key_contents

# name: (commands building key "k", encoding, payload Redis 6.2.14 DUMPs for it)
REDIS_PAYLOADS = {
    "str_int": ([("SET", "k", "12345")], b"int",
                b"\x00\xc190\t\x00Mf\xbb\xeb\xc7zk\x08"),
    "str_bigint": ([("SET", "k", str(2**40))], b"int",
                   b"\x00\r1099511627776\t\x00\x0c'\x902\xed\xd9/\xe6"),
    "str_emb": ([("SET", "k", "hello world")], b"embstr",
                b"\x00\x0bhello world\t\x00\xdb\x0e\x18u\xf2A\xc3\x85"),
    "str_lzf": ([("SET", "k", "abcdefgh" * 10)], b"raw",
                b"\x00\xc3\x10@P\x08abcdefgha\xe0<\x07\x01gh\t\x00\xddB\x95\xb8\t\x0e\xec\x8d"),
    "list_zl": ([("RPUSH", "k", "a", "1", "-5", "300", "70000", "9000000", "3000000000", "x" * 70)], b"quicklist",
                b"\x0e\x01\xc36@u\x04u\x00\x00\x00+ \x03\x1e\x08\x00\x00\x01a\x03\xf2\x02\xfe\xfb\x03\xc0,"
                b"\x01\x04\xf0p\x11\x01\x05\xd0@T\x89\x00\x06\xe0\x00^\xd0\xb2 !\x04\x00\n@Fx\xe0;\x00\x01x"
                b"\xff\t\x00\xfa0Y\xbf\xfc\xb5\x9b\xe4"),
    "set_intset": ([("SADD", "k", "3", "1", "2", "-100000")], b"intset",
                   b"\x0b\x18\x04\x00\x00\x00\x04\x00\x00\x00`y\xfe\xff\x01\x00\x00\x00\x02\x00\x00\x00\x03"
                   b"\x00\x00\x00\t\x00[\xfd)\xce\xfe\xac\x14\x11"),
    "set_ht": ([("SADD", "k", "member")], b"hashtable",
               b"\x02\x01\x06member\t\x00\xa8\xd5F\x03\n\xdb`u"),
    "zset_zl": ([("ZADD", "k", "1", "a", "2.5", "b", "-3", "c", "inf", "d")], b"ziplist",
                b"\x0c&&\x00\x00\x00 \x00\x00\x00\x08\x00\x00\x01c\x03\xfe\xfd\x03\x01a\x03\xf2\x02\x01b\x03"
                b"\x032.5\x05\x01d\x03\x03inf\xff\t\x00\xc9\xa5\xb8\x1f\xbd\x83\x99\xa5"),
    "zset_sk": ([("ZADD", "k", "1", "a", "2", "b"), ("CONFIG", "SET", "zset-max-ziplist-entries", "1"),
                 ("ZADD", "k", "3", "c"), ("CONFIG", "SET", "zset-max-ziplist-entries", "128")], b"skiplist",
                b"\x05\x03\x01c\x00\x00\x00\x00\x00\x00\x08@\x01b\x00\x00\x00\x00\x00\x00\x00@\x01a\x00\x00"
                b"\x00\x00\x00\x00\xf0?\t\x00y\xee\xe2\xc8\x9e\x80\xe7\x95"),
    "hash_zl": ([("HSET", "k", "f1", "v1", "f2", "12")], b"ziplist",
                b"\r\x19\x19\x00\x00\x00\x16\x00\x00\x00\x04\x00\x00\x02f1\x04\x02v1\x04\x02f2\x04\xfd\xff\t"
                b"\x00\x07`i\xe5z\x07\x89\x7f"),
    "hash_ht": ([("HSET", "k", "f", "x" * 65)], b"hashtable",
                b"\x04\x01\x01f\xc3\t@A\x01xx\xe04\x00\x01xx\t\x00!\xf4\x80\xcbO\xa0?\xa9"),
}


@pytest.mark.parametrize("name", sorted(REDIS_PAYLOADS))
def test_dump_matches_redis_bytes(r2, name):
    cmds, enc, payload = REDIS_PAYLOADS[name]
    for c in cmds:
        r2.execute_command(*c)
    assert ex(r2, "OBJECT", "ENCODING", "k") == enc
    assert ex(r2, "DUMP", "k") == payload


@pytest.mark.parametrize("name", sorted(REDIS_PAYLOADS))
def test_restore_redis_payload(r2, name):
    cmds, enc, payload = REDIS_PAYLOADS[name]
    for c in cmds:
        r2.execute_command(*c)
    want = key_contents(r2, "k")
    assert ex(r2, "RESTORE", "copy", 0, payload) == b"OK"
    assert key_contents(r2, "copy") == want
    assert ex(r2, "TTL", "copy") == -1
    if name == "zset_sk":  # loading re-encodes a small sorted set as a ziplist
        assert ex(r2, "OBJECT", "ENCODING", "copy") == b"ziplist"
        return
    assert ex(r2, "OBJECT", "ENCODING", "copy") == enc
    assert ex(r2, "DUMP", "copy") == payload


def test_dump_missing_key(r):
    assert ex(r, "DUMP", "nokey") is None


def test_round_trip_large_values(r2):
    r2.rpush("l", *[("v%d" % i) * (i % 40 + 1) for i in range(3000)])
    r2.rpush("li", *range(5000))
    r2.sadd("s", *range(600))  # > set-max-intset-entries: hashtable
    r2.sadd("s64", 1, 2**40)
    r2.zadd("z", {("m%d" % i): i * 1.5 for i in range(300)})
    r2.zadd("zneg", {"a": -0.0, "b": 0.1, "c": 1e300, "d": -1e-300, "e": float("-inf")})
    r2.hset("h", mapping={("f%d" % i): i for i in range(1000)})
    r2.set("big", "x" * 100000)
    r2.set("bin", bytes(range(256)) * 10)
    for k in ("l", "li", "s", "s64", "z", "zneg", "h", "big", "bin"):
        p = ex(r2, "DUMP", k)
        want = key_contents(r2, k)
        enc = ex(r2, "OBJECT", "ENCODING", k)
        assert ex(r2, "RESTORE", k + ":c", 0, p) == b"OK"
        assert key_contents(r2, k + ":c") == want
        assert ex(r2, "OBJECT", "ENCODING", k + ":c") == enc
        if enc not in (b"hashtable",):
            assert ex(r2, "DUMP", k + ":c") == p


def test_restore_ttl_relative_and_absttl(r2):
    r2.set("a", "v")
    p = ex(r2, "DUMP", "a")
    assert ex(r2, "RESTORE", "b", 100000, p) == b"OK"
    assert 99000 <= ex(r2, "PTTL", "b") <= 100000
    when = int(time.time() * 1000) + 200000
    assert ex(r2, "RESTORE", "c", when, p, "ABSTTL") == b"OK"
    assert 199000 <= ex(r2, "PTTL", "c") <= 200000
    # an absolute time in the past: OK, and no key
    assert ex(r2, "RESTORE", "d", 1000, p, "ABSTTL") == b"OK"
    assert ex(r2, "EXISTS", "d") == 0


def test_restore_expired_replace_deletes(r2):
    r2.set("a", "v")
    r2.set("b", "old")
    p = ex(r2, "DUMP", "a")
    assert ex(r2, "RESTORE", "b", 1, p, "ABSTTL", "REPLACE") == b"OK"
    assert ex(r2, "EXISTS", "b") == 0


def test_restore_busykey_and_replace(r2):
    r2.set("a", "v")
    r2.rpush("l", "x")
    p = ex(r2, "DUMP", "a")
    assert err(r2, "RESTORE", "l", 0, p) == "BUSYKEY Target key name already exists."
    assert ex(r2, "RESTORE", "l", 0, p, "REPLACE") == b"OK"
    assert ex(r2, "GET", "l") == b"v"
    r2.expire("l", 100)
    assert ex(r2, "RESTORE", "l", 0, p, "replace") == b"OK"
    assert ex(r2, "TTL", "l") == -1


def test_restore_errors(r2):
    r2.set("a", "v")
    p = ex(r2, "DUMP", "a")
    assert err(r2, "RESTORE", "b", -1, p) == "ERR Invalid TTL value, must be >= 0"
    assert err(r2, "RESTORE", "b", "x", p) == "ERR value is not an integer or out of range"
    assert err(r2, "RESTORE", "b", 0, b"garbage") == "ERR DUMP payload version or checksum are wrong"
    assert err(r2, "RESTORE", "b", 0, b"") == "ERR DUMP payload version or checksum are wrong"
    bad = bytearray(p)
    bad[3] ^= 0xFF
    assert err(r2, "RESTORE", "b", 0, bytes(bad)) == "ERR DUMP payload version or checksum are wrong"
    newer = p[:-10] + b"\x0a\x00" + p[-8:]  # RDB 10: refused by version before the checksum
    assert err(r2, "RESTORE", "b", 0, newer) == "ERR DUMP payload version or checksum are wrong"
    assert err(r2, "RESTORE", "b", 0, p, "FOO") == "ERR syntax error"
    assert err(r2, "RESTORE", "b", 0, p, "IDLETIME") == "ERR syntax error"
    assert err(r2, "RESTORE", "b", 0, p, "IDLETIME", -1) == "ERR Invalid IDLETIME value, must be >= 0"
    assert err(r2, "RESTORE", "b", 0, p, "IDLETIME", "x") == "ERR value is not an integer or out of range"
    assert err(r2, "RESTORE", "b", 0, p, "FREQ", 256) == "ERR Invalid FREQ value, must be >= 0 and <= 255"
    assert err(r2, "RESTORE", "b", 0, p, "FREQ", -1) == "ERR Invalid FREQ value, must be >= 0 and <= 255"
    assert err(r2, "RESTORE", "b", 0, p, "IDLETIME", 1, "FREQ", 1) == "ERR syntax error"
    assert err(r2, "RESTORE", "b", 0, p, "FREQ", 1, "IDLETIME", 1) == "ERR syntax error"
    # option errors come before BUSYKEY; BUSYKEY before the TTL and the payload
    assert err(r2, "RESTORE", "a", 0, p, "FOO") == "ERR syntax error"
    assert err(r2, "RESTORE", "a", -1, b"garbage") == "BUSYKEY Target key name already exists."
    assert err(r2, "RESTORE", "b") == "ERR wrong number of arguments for 'restore' command"
    assert err(r2, "DUMP") == "ERR wrong number of arguments for 'dump' command"
    assert ex(r2, "EXISTS", "b") == 0


def test_restore_bad_data_format(r2):
    import struct

    from perdure.server.rdb import crc64

    def payload(body):
        body = body + b"\x09\x00"
        return body + struct.pack("<Q", crc64(body))

    assert err(r2, "RESTORE", "b", 0, payload(b"\x63\x01x")) == "ERR Bad data format"  # unknown type
    assert err(r2, "RESTORE", "b", 0, payload(b"\x00\x20ab")) == "ERR Bad data format"  # truncated
    # the value is read from the whole payload, footer included (as Redis's rio buffer)
    p = payload(b"\x00\x05ab")
    assert ex(r2, "RESTORE", "b2", 0, p) == b"OK"
    assert ex(r2, "GET", "b2") == b"ab" + p[-10:-7]
    assert err(r2, "RESTORE", "b", 0, payload(b"\x02\x00")) == "ERR Bad data format"  # empty set
    assert ex(r2, "RESTORE", "b", 0, payload(b"\x00\x03abc")) == b"OK"
    assert ex(r2, "GET", "b") == b"abc"


def test_restore_options_accepted(r2):
    r2.set("a", "v")
    p = ex(r2, "DUMP", "a")
    assert ex(r2, "RESTORE", "b", 0, p, "IDLETIME", 1000) == b"OK"
    assert ex(r2, "RESTORE", "c", 0, p, "FREQ", 255, "REPLACE", "ABSTTL") == b"OK"
    assert ex(r2, "GET", "c") == b"v"


def test_restore_keyspace_event(r2, make_client):
    r2.config_set("notify-keyspace-events", "KEA")
    try:
        sub = make_client()
        ps = sub.pubsub()
        ps.psubscribe("__keyspace@0__:*")
        ps.get_message(timeout=2)
        r2.set("a", "v")
        p = ex(r2, "DUMP", "a")
        ex(r2, "RESTORE", "b", 0, p)
        ex(r2, "RESTORE", "b", 1, p, "ABSTTL", "REPLACE")
        got = []
        deadline = time.time() + 3
        while len(got) < 3 and time.time() < deadline:
            m = ps.get_message(timeout=0.5)
            if m and m["type"] == "pmessage":
                got.append((m["channel"], m["data"]))
        assert got == [(b"__keyspace@0__:a", b"set"), (b"__keyspace@0__:b", b"restore"),
                       (b"__keyspace@0__:b", b"del")]
        ps.close()
    finally:
        r2.config_set("notify-keyspace-events", "")


def test_restore_wrongtype_target_replaced(r2):
    r2.hset("h", "f", "v")
    r2.set("s", "str")
    p = ex(r2, "DUMP", "h")
    assert ex(r2, "RESTORE", "s", 0, p, "REPLACE") == b"OK"
    assert ex(r2, "TYPE", "s") == b"hash"
    assert ex(r2, "HGET", "s", "f") == b"v"


# ---- MIGRATE (errors and NOKEY: no second server needed; tests/test_snapshot.py moves data) --


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_migrate_nokey_and_errors(r2):
    port = _closed_port()
    assert ex(r2, "MIGRATE", "127.0.0.1", port, "missing", 0, 1000) == b"NOKEY"
    assert ex(r2, "MIGRATE", "127.0.0.1", port, "", 0, 1000, "KEYS", "m1", "m2") == b"NOKEY"
    assert ex(r2, "MIGRATE", "127.0.0.1", port, "", 0, 1000, "COPY", "REPLACE", "KEYS") == b"NOKEY"
    r2.set("k", "v")
    assert err(r2, "MIGRATE", "127.0.0.1", port, "k", 0, 1000, "FOO") == "ERR syntax error"
    assert err(r2, "MIGRATE", "127.0.0.1", port, "k", 0, 1000, "AUTH") == "ERR syntax error"
    assert err(r2, "MIGRATE", "127.0.0.1", port, "k", 0, 1000, "AUTH2", "u") == "ERR syntax error"
    assert err(r2, "MIGRATE", "127.0.0.1", port, "k", 0, 1000, "KEYS", "k") == (
        "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
    assert err(r2, "MIGRATE", "127.0.0.1", port, "k", 0, "x") == "ERR value is not an integer or out of range"
    assert err(r2, "MIGRATE", "127.0.0.1", port, "k", "x", 1000) == "ERR value is not an integer or out of range"
    assert err(r2, "MIGRATE", "127.0.0.1", port, "k", "x", 1000, "FOO") == "ERR syntax error"
    # a refused connection shows when writing (Redis connects without blocking)
    assert err(r2, "MIGRATE", "127.0.0.1", port, "k", 0, 1000) == (
        "IOERR error or timeout writing to target instance")
    assert err(r2, "MIGRATE", "127.0.0.1", port, "k", 0, -5, "COPY", "AUTH2", "u", "p") == (
        "IOERR error or timeout writing to target instance")
    assert err(r2, "MIGRATE", "127.0.0.1", port, "k", 0) == "ERR wrong number of arguments for 'migrate' command"
    assert ex(r2, "GET", "k") == b"v"


def test_migrate_getkeys(r2):
    assert ex(r2, "COMMAND", "GETKEYS", "MIGRATE", "h", "1", "k", "0", "10") == [b"k"]
    assert ex(r2, "COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "10", "COPY", "KEYS", "a", "b") == [b"a", b"b"]


@pytest.fixture
def _policy(r2):
    before = ex(r2, "CONFIG", "GET", "maxmemory-policy")[1]
    yield
    ex(r2, "CONFIG", "SET", "maxmemory-policy", before)


def test_restore_idletime_sets_lru_clock(r2, _policy):
    r2.set("a", "v")
    p = ex(r2, "DUMP", "a")
    ex(r2, "CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    assert ex(r2, "RESTORE", "b", 0, p, "IDLETIME", 1000) == b"OK"
    assert 1000 <= ex(r2, "OBJECT", "IDLETIME", "b") <= 1010
    # under an LRU policy FREQ is accepted and ignored
    assert ex(r2, "RESTORE", "c", 0, p, "FREQ", 100) == b"OK"
    assert ex(r2, "OBJECT", "IDLETIME", "c") <= 10
    # a huge idle time underflows the wrapping 24-bit clock: half-way round it
    assert ex(r2, "RESTORE", "d", 0, p, "IDLETIME", 10 ** 9) == b"OK"
    assert 2 ** 23 - 20 <= ex(r2, "OBJECT", "IDLETIME", "d") <= 2 ** 23 + 20
    assert ex(r2, "GET", "b") == b"v"


def test_restore_freq_sets_lfu_counter(r2, _policy):
    r2.set("a", "v")
    p = ex(r2, "DUMP", "a")
    ex(r2, "CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
    assert ex(r2, "RESTORE", "b", 0, p, "FREQ", 100) == b"OK"
    assert ex(r2, "OBJECT", "FREQ", "b") == 100
    assert ex(r2, "RESTORE", "b", 0, p, "FREQ", 0, "REPLACE") == b"OK"
    assert ex(r2, "OBJECT", "FREQ", "b") == 0
    # under an LFU policy IDLETIME is accepted and ignored: a new key's counter
    assert ex(r2, "RESTORE", "c", 0, p, "IDLETIME", 1000) == b"OK"
    assert ex(r2, "OBJECT", "FREQ", "c") == 5


def test_restore_access_clock_seen_inside_multi(r2, _policy):
    """objectSetLRUOrLFU sets the clock at once: the next queued commands of the same EXEC
    see it (not only the commands after the transaction)."""
    r2.set("a", "v")
    p = ex(r2, "DUMP", "a")
    ex(r2, "MULTI")
    ex(r2, "RESTORE", "b", 0, p, "IDLETIME", 1000)
    ex(r2, "OBJECT", "IDLETIME", "b")
    ok, idle = ex(r2, "EXEC")
    assert ok == b"OK" and 1000 <= idle <= 1010
    ex(r2, "CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
    ex(r2, "MULTI")
    ex(r2, "RESTORE", "c", 0, p, "FREQ", 100)
    ex(r2, "OBJECT", "FREQ", "c")
    assert ex(r2, "EXEC") == [b"OK", 100]
    assert ex(r2, "OBJECT", "FREQ", "c") == 100


def test_restore_relative_ttl_overflow_is_already_expired(r2):
    """ttl + mstime() overflows a long long in Redis: negative, so the key is already expired
    (OK, nothing created); a relative TTL that does not overflow is kept."""
    r2.set("a", "v")
    p = ex(r2, "DUMP", "a")
    assert ex(r2, "RESTORE", "b", 9223372036854775807, p) == b"OK"
    assert ex(r2, "EXISTS", "b") == 0
    assert ex(r2, "RESTORE", "b", 9223372036854775000, p) == b"OK"
    assert ex(r2, "EXISTS", "b") == 0
    assert ex(r2, "RESTORE", "b", 9000000000000000000, p) == b"OK"
    assert ex(r2, "PTTL", "b") > 8999999999999990000


def test_restore_idletime_overflow_wraps_like_c(r2, _policy):
    """objectSetLRUOrLFU computes lru_idle*1000/1000 in a long long: a huge IDLETIME wraps
    (9223372036854775807 * 1000 is -1000: an access time one second ahead of the clock, so the
    24-bit clock reads almost a full turn idle) instead of landing half-way round the clock."""
    r2.set("a", "v")
    p = ex(r2, "DUMP", "a")
    assert ex(r2, "RESTORE", "b", 0, p, "IDLETIME", 9223372036854775807) == b"OK"
    idle = ex(r2, "OBJECT", "IDLETIME", "b")
    assert 2 ** 24 - 10 <= idle <= 2 ** 24 - 2 or idle == 0  # 0 once the clock ticked since
    assert ex(r2, "RESTORE", "c", 0, p, "IDLETIME", 9223372036854775) == b"OK"
    assert 2 ** 23 - 20 <= ex(r2, "OBJECT", "IDLETIME", "c") <= 2 ** 23 + 20


@pytest.fixture
def _limits(r2):
    names = ("hash-max-ziplist-value", "zset-max-ziplist-value")
    before = {n: ex(r2, "CONFIG", "GET", n)[1] for n in names}
    yield
    for n, v in before.items():
        ex(r2, "CONFIG", "SET", n, v)


def test_restore_ziplist_kept_whatever_its_value_lengths(r2, _limits):
    """rdbLoadObject converts a loaded hash or zset ziplist by its length only: values longer
    than *-max-ziplist-value stay in the ziplist (and DUMP gives the same bytes back)."""
    ex(r2, "CONFIG", "SET", "hash-max-ziplist-value", 1)
    ex(r2, "CONFIG", "SET", "zset-max-ziplist-value", 0)
    for name in ("hash_zl", "zset_zl"):
        payload = REDIS_PAYLOADS[name][2]
        assert ex(r2, "RESTORE", name, 0, payload) == b"OK"
        assert ex(r2, "OBJECT", "ENCODING", name) == b"ziplist"
        assert ex(r2, "DUMP", name) == payload
    ex(r2, "HSET", "hash_zl", "a", "x")  # arguments within the limit: still a ziplist
    assert ex(r2, "OBJECT", "ENCODING", "hash_zl") == b"ziplist"
    ex(r2, "HSET", "hash_zl", "f3", "xy")  # a value over the limit converts
    assert ex(r2, "OBJECT", "ENCODING", "hash_zl") == b"hashtable"


# ---- MIGRATE between two instances of the target -------------------------------------------


@pytest.fixture
def migrate_pair(target, make_server):
    """(source, destination) clients of two fresh instances of the target; Perdure's source
    trusts the destination's development CA (``tls-ca-cert-file``)."""
    dst = make_server()
    src = make_server("--tls-ca-cert-file", dst.ca_file) if target == "perdure" else make_server()
    a, b = src.client(), dst.client()
    yield a, b, dst.port
    a.close()
    b.close()


def test_migrate_moves_copies_and_replaces(migrate_pair):
    a, b, port = migrate_pair
    a.set("k", "v1")
    a.execute_command("PEXPIRE", "k", 100000)
    assert b"migrate_cached_sockets:0" in ex(a, "INFO", "stats")
    assert ex(a, "MIGRATE", "127.0.0.1", port, "k", 0, 5000) == b"OK"
    assert b"migrate_cached_sockets:1" in ex(a, "INFO", "stats")
    assert ex(a, "EXISTS", "k") == 0
    assert ex(b, "GET", "k") == b"v1"
    assert 0 < ex(b, "PTTL", "k") <= 100000
    a.set("k", "v2")
    # the key exists on the target: the target's error, as an ERR
    assert err(a, "MIGRATE", "127.0.0.1", port, "k", 0, 5000) == (
        "ERR Target instance replied with error: BUSYKEY Target key name already exists.")
    assert ex(a, "GET", "k") == b"v2"
    assert ex(a, "MIGRATE", "127.0.0.1", port, "k", 0, 5000, "COPY", "REPLACE") == b"OK"
    assert ex(a, "GET", "k") == b"v2"
    assert ex(b, "GET", "k") == b"v2"
    assert ex(b, "PTTL", "k") == -1
    a.set("x", "1")
    a.set("y", "2")
    assert ex(a, "MIGRATE", "127.0.0.1", port, "", 3, 5000, "KEYS", "x", "nokey", "y") == b"OK"
    assert ex(a, "EXISTS", "x", "y") == 0
    b.execute_command("SELECT", 3)
    assert ex(b, "MGET", "x", "y") == [b"1", b"2"]
