"""DEBUG LOADAOF, HTSTATS, HTSTATS-KEY, LUA-ALWAYS-REPLICATE-COMMANDS, CONFIG-REWRITE-FORCE-ALL.

DEBUG LOADAOF flushes the AOF and loads the dataset back from it (Perdure: from its log, which
is its AOF); the tests run on a private instance started with ``appendonly yes`` (in Redis,
LOADAOF without an AOF file exits the server).
"""

from __future__ import annotations

import re
import time

import pytest

from .helpers import err, ex

SUBCMD = "ERR Unknown subcommand or wrong number of arguments for '%s'. Try DEBUG HELP."


@pytest.fixture(scope="module")
def aof_server(make_server):
    return make_server("--appendonly", "yes")


@pytest.fixture
def a(aof_server):
    c = aof_server.client()
    ex(c, "FLUSHALL")
    yield c
    c.close()


def _wait_rewrite(c):
    deadline = time.monotonic() + 30
    while b"aof_rewrite_in_progress:1" in ex(c, "INFO", "persistence") or \
            b"aof_rewrite_scheduled:1" in ex(c, "INFO", "persistence"):
        assert time.monotonic() < deadline, "the AOF rewrite did not end"
        time.sleep(0.05)


def _fill(c):
    ex(c, "SET", "s", "v", "EX", "1000")
    ex(c, "SET", "n", "10")
    ex(c, "INCRBY", "n", "5")
    ex(c, "INCRBYFLOAT", "n", "0.5")
    ex(c, "HSET", "h", "f1", "v1", "f2", "v2")
    ex(c, "RPUSH", "l", "a", "b", "c")
    ex(c, "LPOP", "l")
    ex(c, "SADD", "set", "x", "y", "1")
    ex(c, "ZADD", "z", "1.5", "m", "2", "n")
    ex(c, "XADD", "st", "1-1", "f", "v")
    ex(c, "XADD", "st", "2-1", "f", "v")
    ex(c, "XDEL", "st", "2-1")
    ex(c, "XGROUP", "CREATE", "st", "g", "0")
    ex(c, "XREADGROUP", "GROUP", "g", "alice", "NOACK", "STREAMS", "st", ">")
    ex(c, "XGROUP", "CREATECONSUMER", "st", "g", "bob")
    ex(c, "SET", "p", "v", "PX", "100000")
    ex(c, "GETEX", "p", "PERSIST")
    ex(c, "SET", "k", "v", "EX", "2000")
    ex(c, "SET", "k", "v2", "KEEPTTL")
    ex(c, "SELECT", "5")
    ex(c, "SET", "in5", "x")
    ex(c, "SELECT", "0")


def _check(c, digest):
    assert ex(c, "DEBUG", "DIGEST") == digest
    assert 990 <= ex(c, "TTL", "s") <= 1000
    assert 1990 <= ex(c, "TTL", "k") <= 2000
    assert ex(c, "TTL", "p") == -1
    assert ex(c, "GET", "n") == b"15.5"
    assert ex(c, "LRANGE", "l", 0, -1) == [b"b", b"c"]
    assert [x[1] for x in ex(c, "XINFO", "CONSUMERS", "st", "g")] == [b"alice", b"bob"]
    info = ex(c, "XINFO", "STREAM", "st")
    assert info[info.index(b"last-generated-id") + 1] == b"2-1"
    assert b"db0:keys=9,expires=2," in ex(c, "INFO", "keyspace")
    assert b"db5:keys=1,expires=0," in ex(c, "INFO", "keyspace")


def test_debug_loadaof_keeps_dataset(a):
    _fill(a)
    digest = ex(a, "DEBUG", "DIGEST")
    assert digest != b"0" * 40
    assert ex(a, "DEBUG", "LOADAOF") == b"OK"
    _check(a, digest)
    # extra arguments are ignored, as in Redis
    assert ex(a, "DEBUG", "LOADAOF", "whatever") == b"OK"
    _check(a, digest)


def test_debug_loadaof_after_rewrite(a):
    _fill(a)
    _wait_rewrite(a)
    assert ex(a, "BGREWRITEAOF") == b"Background append only file rewriting started"
    _wait_rewrite(a)
    ex(a, "RPUSH", "l", "d")
    ex(a, "DEL", "h")
    ex(a, "HSET", "h", "f1", "v1", "f2", "v2")
    ex(a, "RPOP", "l")
    digest = ex(a, "DEBUG", "DIGEST")
    assert ex(a, "DEBUG", "LOADAOF") == b"OK"
    _check(a, digest)


def test_debug_loadaof_after_flushall(a):
    _fill(a)
    ex(a, "FLUSHALL")
    ex(a, "SET", "only", "1")
    assert ex(a, "DEBUG", "LOADAOF") == b"OK"
    assert ex(a, "DBSIZE") == 1
    assert ex(a, "GET", "only") == b"1"


# --------------------------------------------------------------------------- HTSTATS

_EMPTY = b"Hash table 0 stats (main hash table):\nNo stats available for empty dictionaries\n"
_TABLE = re.compile(
    rb"Hash table 0 stats \(main hash table\):\n"
    rb" table size: (\d+)\n"
    rb" number of elements: (\d+)\n"
    rb" different slots: (\d+)\n"
    rb" max chain length: (\d+)\n"
    rb" avg chain length \(counted\): \d+\.\d\d\n"
    rb" avg chain length \(computed\): \d+\.\d\d\n"
    rb" Chain length distribution:\n"
    rb"(?:   \d+: \d+ \(\d+\.\d\d%\)\n)+")


def _table(text: bytes, elements: int) -> None:
    m = _TABLE.fullmatch(text)
    assert m, text
    size, used, slots, chain = (int(x) for x in m.groups())
    assert used == elements
    assert size >= 1 and 1 <= slots <= min(size, used) and chain >= 1


def test_debug_htstats_empty(r2):
    assert ex(r2, "DEBUG", "HTSTATS", 0) == b"[Dictionary HT]\n" + _EMPTY + b"[Expires HT]\n" + _EMPTY


def test_debug_htstats_keys_and_expires(r2):
    ex(r2, "SELECT", 9)
    ex(r2, "SET", "a", "1")
    ex(r2, "SET", "b", "1")
    ex(r2, "SET", "c", "1", "EX", 100)
    text = ex(r2, "DEBUG", "HTSTATS", 9)
    assert text.startswith(b"[Dictionary HT]\n")
    main, expires = text[len(b"[Dictionary HT]\n"):].split(b"[Expires HT]\n")
    _table(main, 3)
    _table(expires, 1)


def test_debug_htstats_is_verbatim(raw):
    raw.cmd("HELLO", "3")
    text = b"txt:[Dictionary HT]\n" + _EMPTY + b"[Expires HT]\n" + _EMPTY
    assert raw.cmd("DEBUG", "HTSTATS", "3") == b"=%d\r\n%s\r\n" % (len(text), text)


def test_debug_htstats_errors(r2):
    assert err(r2, "DEBUG", "HTSTATS", "x") == "ERR value is not an integer or out of range"
    assert err(r2, "DEBUG", "HTSTATS", "-1") == "ERR Out of range database"
    assert err(r2, "DEBUG", "HTSTATS", "16") == "ERR Out of range database"
    assert err(r2, "DEBUG", "HTSTATS") == SUBCMD % "HTSTATS"
    assert err(r2, "DEBUG", "HTSTATS", "0", "1") == SUBCMD % "HTSTATS"


def test_debug_htstats_key(r2, restore_config):
    restore_config("zset-max-ziplist-entries")
    ex(r2, "SADD", "hs", "a", "b", "c")
    _table(ex(r2, "DEBUG", "HTSTATS-KEY", "hs"), 3)
    ex(r2, "HSET", "hh", "f", "x" * 100, "g", "y")
    _table(ex(r2, "DEBUG", "HTSTATS-KEY", "hh"), 2)
    ex(r2, "CONFIG", "SET", "zset-max-ziplist-entries", "0")
    ex(r2, "ZADD", "zs", "1", "a", "2", "b")
    _table(ex(r2, "DEBUG", "HTSTATS-KEY", "zs"), 2)
    not_ht = "ERR The value stored at the specified key is not represented using an hash table"
    ex(r2, "SADD", "is", "1", "2")
    ex(r2, "HSET", "zh", "f", "v")
    ex(r2, "RPUSH", "l", "a")
    ex(r2, "SET", "s", "v")
    for key in ("is", "zh", "l", "s"):
        assert err(r2, "DEBUG", "HTSTATS-KEY", key) == not_ht
    assert err(r2, "DEBUG", "HTSTATS-KEY", "missing") == "ERR no such key"
    assert err(r2, "DEBUG", "HTSTATS-KEY") == SUBCMD % "HTSTATS-KEY"


# --------------------------------------------------------------------------- others


def test_debug_lua_always_replicate_commands(r2, restore_config):
    restore_config("lua-replicate-commands")
    assert ex(r2, "DEBUG", "LUA-ALWAYS-REPLICATE-COMMANDS", "0") == b"OK"
    assert ex(r2, "CONFIG", "GET", "lua-replicate-commands") == [b"lua-replicate-commands", b"no"]
    assert ex(r2, "DEBUG", "lua-always-replicate-commands", "7") == b"OK"
    assert ex(r2, "CONFIG", "GET", "lua-replicate-commands") == [b"lua-replicate-commands", b"yes"]
    assert ex(r2, "DEBUG", "LUA-ALWAYS-REPLICATE-COMMANDS", "abc") == b"OK"  # atoi
    assert ex(r2, "CONFIG", "GET", "lua-replicate-commands") == [b"lua-replicate-commands", b"no"]
    assert err(r2, "DEBUG", "LUA-ALWAYS-REPLICATE-COMMANDS") == SUBCMD % "LUA-ALWAYS-REPLICATE-COMMANDS"


def test_debug_config_rewrite_force_all_without_config_file(a):
    assert err(a, "DEBUG", "CONFIG-REWRITE-FORCE-ALL") == "ERR CONFIG-REWRITE-FORCE-ALL failed"
    assert err(a, "DEBUG", "CONFIG-REWRITE-FORCE-ALL", "x") == SUBCMD % "CONFIG-REWRITE-FORCE-ALL"


def test_debug_help_lists_new_subcommands(r2):
    h = ex(r2, "DEBUG", "HELP")
    for line in (b"HTSTATS <dbid>", b"HTSTATS-KEY <key>", b"LOADAOF",
                 b"LUA-ALWAYS-REPLICATE-COMMANDS <0|1>", b"CONFIG-REWRITE-FORCE-ALL"):
        assert line in h
