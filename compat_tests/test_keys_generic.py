"""Generic keyspace commands beyond the basics of test_keyspace.py: every value type through
DEL / TYPE / RENAME / MOVE / COPY (deep copies that keep their encoding), error precedence,
32-bit DB indexes, KEYS glob corner cases, RANDOMKEY with expired keys, SWAPDB waking blocked
clients, OBJECT, and the command table entries (checked against Redis 6.2.14's COMMAND INFO).
"""

from __future__ import annotations

import threading
import time

import pytest

from .helpers import early_in_second, err, ex

SYNTAX = "ERR syntax error"
NOT_INT = "ERR value is not an integer or out of range"
INT_RANGE = "ERR value is out of range, value must between -2147483648 and 2147483647"
OUT_OF_RANGE = "ERR DB index is out of range"
SAME = "ERR source and destination objects are the same"
NO_SUCH_KEY = "ERR no such key"


def make_all_types(c, prefix=""):
    ex(c, "SET", prefix + "str", "v")
    ex(c, "RPUSH", prefix + "list", "a", "b")
    ex(c, "SADD", prefix + "set", "a", "b")
    ex(c, "HSET", prefix + "hash", "f", "v")
    ex(c, "ZADD", prefix + "zset", 1, "a")
    return [prefix + k for k in ("str", "list", "set", "hash", "zset")]


# --------------------------------------------------------------------------- DEL / UNLINK / EXISTS


@pytest.mark.parametrize("command", ["DEL", "UNLINK"])
def test_del_every_type(r2, command):
    keys = make_all_types(r2)
    assert ex(r2, command, *keys) == 5
    assert ex(r2, "DBSIZE") == 0


def test_del_empty_and_binary_keys(r2):
    ex(r2, "SET", "", "empty")
    ex(r2, "SET", b"\x00", "nul")
    assert ex(r2, "EXISTS", "", b"\x00", b"\x00\x00") == 2
    assert ex(r2, "DEL", "", b"\x00") == 2


def test_del_expired_key_counts_zero(r2):
    ex(r2, "SET", "a", "1", "PX", 1)
    time.sleep(0.01)
    assert ex(r2, "DEL", "a") == 0
    assert ex(r2, "EXISTS", "a") == 0


def test_del_reply_bytes(raw):
    raw.cmd("SET", "a", "1")
    assert raw.cmd("DEL", "a", "b") == b":1\r\n"
    assert raw.cmd("UNLINK", "a") == b":0\r\n"


def test_exists_every_type(r2):
    keys = make_all_types(r2)
    assert ex(r2, "EXISTS", *keys, "nope") == 5


def test_touch_every_type_and_missing(r2):
    keys = make_all_types(r2)
    assert ex(r2, "TOUCH", *keys, "nope", keys[0]) == 6


def test_type_replies(raw):
    raw.cmd("RPUSH", "l", "x")
    raw.cmd("ZADD", "z", "1", "x")
    assert raw.cmd("TYPE", "l") == b"+list\r\n"
    assert raw.cmd("TYPE", "z") == b"+zset\r\n"


def test_type_of_expired_key_is_none(r2):
    ex(r2, "RPUSH", "l", "x")
    ex(r2, "PEXPIRE", "l", 1)
    time.sleep(0.01)
    assert ex(r2, "TYPE", "l") == b"none"


def test_type_wrong_arity(r2):
    assert err(r2, "TYPE") == "ERR wrong number of arguments for 'type' command"
    assert err(r2, "TYPE", "a", "b") == "ERR wrong number of arguments for 'type' command"


# --------------------------------------------------------------------------- RENAME


@pytest.mark.parametrize("kind", ["str", "list", "set", "hash", "zset"])
def test_rename_every_type(r2, kind):
    make_all_types(r2)
    assert ex(r2, "RENAME", kind, "new") == b"OK"
    assert ex(r2, "EXISTS", kind) == 0
    assert ex(r2, "TYPE", "new") == {"str": b"string"}.get(kind, kind.encode())


def test_rename_collection_keeps_content(r2):
    ex(r2, "RPUSH", "l", "a", "b", "c")
    ex(r2, "RENAME", "l", "m")
    assert ex(r2, "LRANGE", "m", 0, -1) == [b"a", b"b", b"c"]
    ex(r2, "RPUSH", "m", "d")
    assert ex(r2, "LLEN", "m") == 4


def test_rename_destination_ttl_is_replaced(r2):
    ex(r2, "SET", "src", "1", "EX", 50)
    ex(r2, "SET", "dst", "2", "EX", 1000)
    ex(r2, "RENAME", "src", "dst")
    assert 45 <= ex(r2, "TTL", "dst") <= 50


def test_renamenx_keeps_ttl(r2):
    ex(r2, "SET", "src", "1", "EX", 50)
    assert ex(r2, "RENAMENX", "src", "dst") == 1
    assert 45 <= ex(r2, "TTL", "dst") <= 50


def test_rename_expired_source(r2):
    ex(r2, "SET", "src", "1", "PX", 1)
    time.sleep(0.01)
    assert err(r2, "RENAME", "src", "dst") == NO_SUCH_KEY
    assert err(r2, "RENAMENX", "src", "dst") == NO_SUCH_KEY


def test_renamenx_over_expired_destination(r2):
    ex(r2, "SET", "src", "1")
    ex(r2, "SET", "dst", "2", "PX", 1)
    time.sleep(0.01)
    assert ex(r2, "RENAMENX", "src", "dst") == 1
    assert ex(r2, "GET", "dst") == b"1"


def test_rename_to_itself_keeps_ttl(r2):
    ex(r2, "SET", "a", "1", "EX", 100)
    assert ex(r2, "RENAME", "a", "a") == b"OK"
    assert 95 <= ex(r2, "TTL", "a") <= 100


def test_rename_binary_keys(r2):
    ex(r2, "SET", b"\x00a", "1")
    assert ex(r2, "RENAME", b"\x00a", b"\x00b") == b"OK"
    assert ex(r2, "GET", b"\x00b") == b"1"


# --------------------------------------------------------------------------- MOVE


def test_move_every_type(r2):
    keys = make_all_types(r2)
    for k in keys:
        assert ex(r2, "MOVE", k, 3) == 1
    assert ex(r2, "DBSIZE") == 0
    ex(r2, "SELECT", 3)
    assert ex(r2, "DBSIZE") == 5
    assert ex(r2, "LRANGE", "list", 0, -1) == [b"a", b"b"]


def test_move_checks_db_before_key(r2):
    assert err(r2, "MOVE", "missing", 0) == SAME
    assert err(r2, "MOVE", "missing", 99) == OUT_OF_RANGE
    assert err(r2, "MOVE", "missing", "x") == NOT_INT


@pytest.mark.parametrize("db, message", [(2147483648, INT_RANGE), (-2147483649, INT_RANGE), (2147483647, OUT_OF_RANGE),
                                         ("1.0", NOT_INT), ("", NOT_INT), (" 1", NOT_INT)])
def test_move_db_argument(r2, db, message):
    ex(r2, "SET", "a", "1")
    assert err(r2, "MOVE", "a", db) == message


def test_move_from_other_db(r2):
    ex(r2, "SELECT", 7)
    ex(r2, "SET", "a", "x")
    assert ex(r2, "MOVE", "a", 0) == 1
    ex(r2, "SELECT", 0)
    assert ex(r2, "GET", "a") == b"x"


def test_move_expired_key(r2):
    ex(r2, "SET", "a", "1", "PX", 1)
    time.sleep(0.01)
    assert ex(r2, "MOVE", "a", 1) == 0


def test_move_over_expired_destination(r2):
    ex(r2, "SET", "a", "new")
    ex(r2, "SELECT", 1)
    ex(r2, "SET", "a", "old", "PX", 1)
    ex(r2, "SELECT", 0)
    time.sleep(0.01)
    assert ex(r2, "MOVE", "a", 1) == 1
    ex(r2, "SELECT", 1)
    assert ex(r2, "GET", "a") == b"new"


# --------------------------------------------------------------------------- COPY


def test_copy_every_type_is_deep(r2):
    make_all_types(r2)
    for k in ("str", "list", "set", "hash", "zset"):
        assert ex(r2, "COPY", k, k + "2") == 1
    ex(r2, "RPUSH", "list", "c")
    ex(r2, "SADD", "set", "c")
    ex(r2, "HSET", "hash", "g", "w")
    ex(r2, "ZADD", "zset", 2, "b")
    ex(r2, "APPEND", "str", "x")
    assert ex(r2, "GET", "str2") == b"v"
    assert ex(r2, "LRANGE", "list2", 0, -1) == [b"a", b"b"]
    assert sorted(ex(r2, "SMEMBERS", "set2")) == [b"a", b"b"]
    assert ex(r2, "HGETALL", "hash2") == [b"f", b"v"]
    assert ex(r2, "ZRANGE", "zset2", 0, -1, "WITHSCORES") == [b"a", b"1"]
    # and the other way round
    ex(r2, "RPUSH", "list2", "z")
    assert ex(r2, "LLEN", "list") == 3


@pytest.mark.parametrize(
    "setup, encoding",
    [
        (("SADD", "k", 1, 2, 3), b"intset"),
        (("SADD", "k", "a"), b"hashtable"),
        (("HSET", "k", "f", "v"), b"ziplist"),
        (("HSET", "k", "f", "v" * 100), b"hashtable"),
        (("ZADD", "k", 1, "a"), b"ziplist"),
        (("ZADD", "k", 1, "a" * 100), b"skiplist"),
        (("RPUSH", "k", "a"), b"quicklist"),
        (("SET", "k", "123"), b"int"),
        (("SET", "k", "abc"), b"embstr"),
        (("SET", "k", "x" * 50), b"raw"),
    ],
)
def test_copy_keeps_encoding(r2, setup, encoding):
    ex(r2, *setup)
    assert ex(r2, "OBJECT", "ENCODING", "k") == encoding
    assert ex(r2, "COPY", "k", "k2") == 1
    assert ex(r2, "OBJECT", "ENCODING", "k2") == encoding


def test_copy_of_shrunk_hash_stays_hashtable(r2):
    ex(r2, "HSET", "h", "f", "v" * 100)
    ex(r2, "HSET", "h", "f", "v")
    assert ex(r2, "OBJECT", "ENCODING", "h") == b"hashtable"
    ex(r2, "COPY", "h", "h2")
    assert ex(r2, "OBJECT", "ENCODING", "h2") == b"hashtable"


def test_copy_option_errors_come_first(r2):
    assert err(r2, "COPY", "missing", "missing", "DB", "x") == NOT_INT
    assert err(r2, "COPY", "missing", "b", "DB", 2147483648) == INT_RANGE
    assert err(r2, "COPY", "missing", "b", "DB", 16) == OUT_OF_RANGE
    assert err(r2, "COPY", "missing", "b", "DB") == SYNTAX
    assert err(r2, "COPY", "missing", "missing") == SAME
    assert ex(r2, "COPY", "missing", "b") == 0


def test_copy_last_db_wins(r2):
    ex(r2, "SET", "a", "1")
    assert ex(r2, "COPY", "a", "b", "DB", 1, "DB", 2) == 1
    ex(r2, "SELECT", 2)
    assert ex(r2, "GET", "b") == b"1"
    ex(r2, "SELECT", 1)
    assert ex(r2, "EXISTS", "b") == 0


def test_copy_same_key_other_db_and_back(r2):
    ex(r2, "SET", "a", "1")
    assert ex(r2, "COPY", "a", "a", "DB", 1) == 1
    assert err(r2, "COPY", "a", "a", "REPLACE", "DB", 0) == SAME
    ex(r2, "SELECT", 1)
    assert ex(r2, "COPY", "a", "a", "DB", 0, "REPLACE") == 1


def test_copy_replace_over_other_type_drops_ttl(r2):
    ex(r2, "SET", "src", "v")
    ex(r2, "RPUSH", "dst", "x")
    ex(r2, "EXPIRE", "dst", 100)
    assert ex(r2, "COPY", "src", "dst", "REPLACE") == 1
    assert ex(r2, "TYPE", "dst") == b"string"
    assert ex(r2, "TTL", "dst") == -1


def test_copy_expired_source(r2):
    ex(r2, "SET", "a", "1", "PX", 1)
    time.sleep(0.01)
    assert ex(r2, "COPY", "a", "b") == 0
    assert ex(r2, "EXISTS", "b") == 0


def test_copy_over_expired_destination(r2):
    ex(r2, "SET", "a", "1")
    ex(r2, "SET", "b", "2", "PX", 1)
    time.sleep(0.01)
    assert ex(r2, "COPY", "a", "b") == 1
    assert ex(r2, "GET", "b") == b"1"


# --------------------------------------------------------------------------- KEYS


@pytest.mark.parametrize(
    "pattern, expected",
    [
        ("*", [b"", b"a", b"ab", b"a\\b", b"A"]),
        ("**", [b"a", b"ab", b"a\\b", b"A"]),  # only the pattern "*" matches the empty key
        ("?", [b"a", b"A"]),
        ("a?", [b"ab"]),
        ("a*", [b"a", b"ab", b"a\\b"]),
        ("a\\\\b", [b"a\\b"]),
        ("a\\", []),
        ("[a-]", [b"a"]),  # the range a..']'
        ("[A-a]", [b"a", b"A"]),
        ("[^a]*", [b"A"]),
        ("[^]", [b"a", b"A"]),  # "[^" then "]": an unterminated negated class of "]"
        ("[", []),
        ("", [b""]),
        ("A", [b"A"]),
    ],
)
def test_keys_glob_corner_cases(r2, pattern, expected):
    for k in ("", "a", "ab", "a\\b", "A"):
        ex(r2, "SET", k, "1")
    assert sorted(ex(r2, "KEYS", pattern)) == sorted(expected)


def test_keys_glob_binary(r2):
    ex(r2, "SET", b"k\xff", "1")
    ex(r2, "SET", b"k\x80", "1")
    ex(r2, "SET", b"k\x00", "1")
    ex(r2, "SET", b"k\x7f", "1")
    # ranges compare signed chars: \x80..\xff sort below \x00
    assert sorted(ex(r2, "KEYS", b"k[\x80-\x00]")) == [b"k\x00", b"k\x80", b"k\xff"]
    assert sorted(ex(r2, "KEYS", b"k[\x00-\x7f]")) == [b"k\x00", b"k\x7f"]
    assert sorted(ex(r2, "KEYS", b"k?")) == [b"k\x00", b"k\x7f", b"k\x80", b"k\xff"]


def test_keys_skips_expired_keys(r2):
    ex(r2, "SET", "a", "1", "PX", 1)
    ex(r2, "SET", "b", "1")
    time.sleep(0.01)
    assert ex(r2, "KEYS", "*") == [b"b"]
    assert ex(r2, "KEYS", "a*") == []


def test_keys_is_case_sensitive(r2):
    ex(r2, "SET", "Key", "1")
    assert ex(r2, "KEYS", "key") == []
    assert ex(r2, "KEYS", "K*") == [b"Key"]


def test_keys_many(r2):
    ex(r2, "MSET", *(x for i in range(500) for x in (f"k:{i}", i)))
    assert len(ex(r2, "KEYS", "k:*")) == 500
    assert sorted(ex(r2, "KEYS", "k:4?")) == sorted(f"k:{i}".encode() for i in range(40, 50))


def test_keys_pathological_pattern_is_fast(r2):
    ex(r2, "SET", "a" * 500, "1")
    t0 = time.monotonic()
    assert ex(r2, "KEYS", "*a*a*a*a*a*a*a*a*a*a*a*a*a*b") == []
    assert time.monotonic() - t0 < 2


# --------------------------------------------------------------------------- RANDOMKEY / DBSIZE


def test_randomkey_skips_expired_keys(r2):
    for i in range(5):
        ex(r2, "SET", f"gone{i}", "1", "PX", 1)
    ex(r2, "SET", "stay", "1")
    time.sleep(0.01)
    assert {ex(r2, "RANDOMKEY") for _ in range(10)} == {b"stay"}


def test_randomkey_all_expired_is_null(r):
    for i in range(5):
        ex(r, "SET", f"gone{i}", "1", "PX", 1)
    time.sleep(0.01)
    assert ex(r, "RANDOMKEY") is None


def test_randomkey_large_db_covers_keys(r2):
    ex(r2, "MSET", *(x for i in range(2000) for x in (f"k{i}", 1)))
    assert ex(r2, "DEL", *(f"k{i}" for i in range(0, 2000, 2))) == 1000
    seen = {ex(r2, "RANDOMKEY") for _ in range(300)}
    assert len(seen) > 150
    assert all(int(k[1:]) % 2 == 1 for k in seen)


def test_randomkey_binary_and_empty(r2):
    ex(r2, "SET", "", "1")
    assert ex(r2, "RANDOMKEY") == b""


def test_randomkey_wrong_arity(r2):
    assert err(r2, "RANDOMKEY", "x") == "ERR wrong number of arguments for 'randomkey' command"


def test_dbsize_counts_every_type(r2):
    make_all_types(r2)
    assert ex(r2, "DBSIZE") == 5


# --------------------------------------------------------------------------- FLUSH / SWAPDB


def test_flush_removes_ttls(r2):
    ex(r2, "SET", "a", "1", "EX", 100)
    ex(r2, "FLUSHDB")
    ex(r2, "SET", "a", "1")
    assert ex(r2, "TTL", "a") == -1


@pytest.mark.parametrize("command", ["FLUSHDB", "FLUSHALL"])
def test_flush_arity_and_options(r2, command):
    assert err(r2, command, "SYNC", "SYNC") == SYNTAX
    assert err(r2, command, "LAZY") == SYNTAX
    assert ex(r2, command, "sync") == b"OK"
    assert ex(r2, command, "AsYnC") == b"OK"


def test_swapdb_errors_precedence(r2):
    assert err(r2, "SWAPDB", 2147483648, 0) == "ERR invalid first DB index"
    assert err(r2, "SWAPDB", 0, -2147483649) == "ERR invalid second DB index"
    assert err(r2, "SWAPDB", "x", "y") == "ERR invalid first DB index"
    assert err(r2, "SWAPDB", 0, 99) == OUT_OF_RANGE
    assert err(r2, "SWAPDB", 99, "x") == "ERR invalid second DB index"


def test_swapdb_twice_restores(r2):
    ex(r2, "SET", "a", "0")
    ex(r2, "SELECT", 3)
    ex(r2, "SET", "a", "3")
    ex(r2, "SWAPDB", 0, 3)
    assert ex(r2, "GET", "a") == b"0"
    ex(r2, "SWAPDB", 3, 0)
    assert ex(r2, "GET", "a") == b"3"


def test_swapdb_wakes_blocked_client(r2, make_client):
    blocked = make_client(socket_timeout=5)
    ex(blocked, "SELECT", 1)
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("r", ex(blocked, "BLPOP", "q", 3)))
    t.start()
    time.sleep(0.2)
    ex(r2, "RPUSH", "q", "item")
    assert ex(r2, "SWAPDB", 0, 1) == b"OK"
    t.join(5)
    assert result["r"] == [b"q", b"item"]
    assert ex(r2, "DBSIZE") == 0
    ex(r2, "SELECT", 1)
    assert ex(r2, "EXISTS", "q") == 0


def test_swapdb_scan_and_keys_follow_data(r2):
    for i in range(30):
        ex(r2, "SET", f"zero{i}", 1)
    ex(r2, "SCAN", 0)
    ex(r2, "SWAPDB", 0, 1)
    assert ex(r2, "KEYS", "*") == []
    assert ex(r2, "SCAN", 0) == [b"0", []]
    ex(r2, "SELECT", 1)
    keys, cursor = [], b"0"
    while True:
        cursor, batch = ex(r2, "SCAN", cursor)
        keys += batch
        if cursor == b"0":
            break
    assert len(set(keys)) == 30


# --------------------------------------------------------------------------- OBJECT


def test_object_encodings_of_collections(r2):
    ex(r2, "RPUSH", "l", "a")
    ex(r2, "SADD", "si", 1, 2)
    ex(r2, "SADD", "ss", "a")
    ex(r2, "HSET", "h", "f", "v")
    ex(r2, "ZADD", "z", 1, "a")
    assert [ex(r2, "OBJECT", "ENCODING", k) for k in ("l", "si", "ss", "h", "z")] == [
        b"quicklist", b"intset", b"hashtable", b"ziplist", b"ziplist"]


@pytest.mark.parametrize("value, refcount", [("1", 2147483647), ("0", 2147483647), ("9999", 2147483647),
                                             ("10000", 1), ("-1", 1), ("01", 1), ("", 1), ("abc", 1)])
def test_object_refcount_strings(r2, value, refcount):
    ex(r2, "SET", "k", value)
    assert ex(r2, "OBJECT", "REFCOUNT", "k") == refcount


def test_object_refcount_collections(r2):
    keys = make_all_types(r2)
    assert [ex(r2, "OBJECT", "REFCOUNT", k) for k in keys[1:]] == [1, 1, 1, 1]


def test_object_idletime_of_fresh_key(r2):
    early_in_second()
    ex(r2, "SET", "k", "v")
    assert ex(r2, "OBJECT", "IDLETIME", "k") == 0


def test_object_freq_needs_lfu_policy(r2):
    ex(r2, "SET", "k", "v")
    assert err(r2, "OBJECT", "FREQ", "k") == (
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
        "that when switching between policies at runtime LRU and LFU data will take some time to "
        "adjust.")


@pytest.mark.parametrize("sub", ["ENCODING", "REFCOUNT", "IDLETIME", "FREQ", "encoding", "Freq"])
def test_object_missing_key_is_null(r, sub):
    assert ex(r, "OBJECT", sub, "missing") is None


def test_object_help(raw):
    reply = raw.cmd("OBJECT", "help")
    assert reply.startswith(b"*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
                            b"+ENCODING <key>\r\n")
    assert reply.endswith(b"+HELP\r\n+    Prints this help.\r\n")


@pytest.mark.parametrize("args, sub", [(("encoding",), "encoding"), (("HELP", "x"), "HELP"),
                                       (("refcount", "a", "b"), "refcount"), (("nope", "k"), "nope")])
def test_object_subcommand_errors(r2, args, sub):
    assert err(r2, "OBJECT", *args) == (
        f"ERR Unknown subcommand or wrong number of arguments for '{sub}'. Try OBJECT HELP.")


def test_object_encoding_of_expired_key(r2):
    ex(r2, "SET", "k", "1", "PX", 1)
    time.sleep(0.01)
    assert ex(r2, "OBJECT", "ENCODING", "k") is None


# --------------------------------------------------------------------------- command table

TABLE = {
    "del": [-2, [b"write"], 1, -1, 1],
    "unlink": [-2, [b"write", b"fast"], 1, -1, 1],
    "exists": [-2, [b"readonly", b"fast"], 1, -1, 1],
    "type": [2, [b"readonly", b"fast"], 1, 1, 1],
    "touch": [-2, [b"readonly", b"fast"], 1, -1, 1],
    "rename": [3, [b"write"], 1, 2, 1],
    "renamenx": [3, [b"write", b"fast"], 1, 2, 1],
    "move": [3, [b"write", b"fast"], 1, 1, 1],
    "copy": [-3, [b"write", b"denyoom"], 1, 2, 1],
    "keys": [2, [b"readonly", b"sort_for_script"], 0, 0, 0],
    "scan": [-2, [b"readonly", b"random"], 0, 0, 0],
    "randomkey": [1, [b"readonly", b"random"], 0, 0, 0],
    "dbsize": [1, [b"readonly", b"fast"], 0, 0, 0],
    "flushdb": [-1, [b"write"], 0, 0, 0],
    "flushall": [-1, [b"write"], 0, 0, 0],
    "swapdb": [3, [b"write", b"fast"], 0, 0, 0],
    "expire": [3, [b"write", b"fast"], 1, 1, 1],
    "pexpire": [3, [b"write", b"fast"], 1, 1, 1],
    "expireat": [3, [b"write", b"fast"], 1, 1, 1],
    "pexpireat": [3, [b"write", b"fast"], 1, 1, 1],
    "ttl": [2, [b"readonly", b"random", b"fast"], 1, 1, 1],
    "pttl": [2, [b"readonly", b"random", b"fast"], 1, 1, 1],
    "persist": [2, [b"write", b"fast"], 1, 1, 1],
    "object": [-2, [b"readonly", b"random"], 2, 2, 1],
}


@pytest.mark.parametrize("name", sorted(TABLE))
def test_command_info(r2, name):
    info = ex(r2, "COMMAND", "INFO", name)[0]
    assert info[0] == name.encode()
    assert info[1:6] == TABLE[name]


def test_command_categories(r2):
    cats = {name: set(ex(r2, "COMMAND", "INFO", name)[0][6]) for name in ("keys", "flushall", "swapdb", "del")}
    assert cats["keys"] == {b"@keyspace", b"@read", b"@slow", b"@dangerous"}
    assert cats["flushall"] == {b"@keyspace", b"@write", b"@slow", b"@dangerous"}
    assert cats["swapdb"] == {b"@keyspace", b"@write", b"@fast", b"@dangerous"}
    assert cats["del"] == {b"@keyspace", b"@write", b"@slow"}


# --------------------------------------------------------------------------- LOOKUP_NOTOUCH


@pytest.fixture
def _lru_policy(r2):
    before = ex(r2, "CONFIG", "GET", "maxmemory-policy")[1]
    ex(r2, "CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    yield
    ex(r2, "CONFIG", "SET", "maxmemory-policy", before)


def test_ttl_type_exists_object_scan_do_not_touch_the_key(r2, _lru_policy):
    ex(r2, "SET", "src", "v")
    payload = ex(r2, "DUMP", "src")
    assert ex(r2, "RESTORE", "idle", 0, payload, "IDLETIME", 1000) == b"OK"
    # lookupKeyReadWithFlags(LOOKUP_NOTOUCH): none of these is an access of the key
    assert ex(r2, "TTL", "idle") == -1
    assert ex(r2, "PTTL", "idle") == -1
    assert ex(r2, "TYPE", "idle") == b"string"
    assert ex(r2, "EXISTS", "idle", "idle") == 2
    assert ex(r2, "OBJECT", "ENCODING", "idle") == b"embstr"
    ex(r2, "SCAN", "0", "COUNT", "1000", "TYPE", "string")
    assert ex(r2, "OBJECT", "IDLETIME", "idle") >= 1000
    # TOUCH and reads are accesses
    assert ex(r2, "TOUCH", "idle") == 1
    assert ex(r2, "OBJECT", "IDLETIME", "idle") < 10
    assert ex(r2, "RESTORE", "idle2", 0, payload, "IDLETIME", 1000) == b"OK"
    assert ex(r2, "GET", "idle2") == b"v"
    assert ex(r2, "OBJECT", "IDLETIME", "idle2") < 10
