"""Generic keyspace commands, as Redis 6.2.14 does them.

Replies and error texts are exact copies of what Redis 6.2.14 sends (checked against the
oracle).  Every test starts with all 16 databases empty.
"""

from __future__ import annotations

import time

import pytest

from .helpers import err, ex

NOT_INT = "ERR value is not an integer or out of range"
OUT_OF_RANGE = "ERR DB index is out of range"
SAME_OBJECT = "ERR source and destination objects are the same"
NO_SUCH_KEY = "ERR no such key"
SYNTAX = "ERR syntax error"
INT_RANGE = "ERR value is out of range, value must between -2147483648 and 2147483647"


def mset(client, *keys, value="v"):
    for k in keys:
        ex(client, "SET", k, value)


def scan_all(client, *options, count=None):
    """Full SCAN iteration; returns (keys as a list, number of calls)."""
    cursor, keys, calls = b"0", [], 0
    extra = list(options) + (["COUNT", count] if count else [])
    while True:
        reply = ex(client, "SCAN", cursor, *extra)
        calls += 1
        assert isinstance(reply, list) and len(reply) == 2
        cursor, batch = reply
        assert isinstance(cursor, bytes) and cursor.isdigit()
        keys.extend(batch)
        if cursor == b"0":
            return keys, calls
        assert calls < 10_000


# --------------------------------------------------------------------------- DEL / UNLINK / EXISTS


@pytest.mark.parametrize("command", ["DEL", "UNLINK"])
def test_del_unlink_multiple_keys(r2, command):
    mset(r2, "a", "b", "c")
    ex(r2, "RPUSH", "list", "x")
    assert ex(r2, command, "a", "list", "missing") == 2
    assert ex(r2, "EXISTS", "a", "b", "c", "list") == 2
    assert ex(r2, command, "a") == 0


@pytest.mark.parametrize("command", ["DEL", "UNLINK"])
def test_del_unlink_duplicate_names_count_once(r2, command):
    mset(r2, "a")
    assert ex(r2, command, "a", "a", "a") == 1


@pytest.mark.parametrize("command", ["DEL", "UNLINK", "EXISTS", "TOUCH"])
def test_variadic_key_commands_need_a_key(r2, command):
    assert err(r2, command) == f"ERR wrong number of arguments for '{command.lower()}' command"


def test_exists_counts_duplicates(r2):
    mset(r2, "a", "b")
    assert ex(r2, "EXISTS", "a") == 1
    assert ex(r2, "EXISTS", "missing") == 0
    assert ex(r2, "EXISTS", "a", "a", "b", "missing", "a") == 4


def test_exists_reply_bytes(raw):
    raw.cmd("SET", "a", "1")
    assert raw.cmd("EXISTS", "a", "a") == b":2\r\n"


def test_keys_are_binary_safe(r2):
    key = b"\x00\xff key\r\n"
    ex(r2, "SET", key, "v")
    assert ex(r2, "EXISTS", key) == 1
    assert ex(r2, "KEYS", "*") == [key]
    assert ex(r2, "DEL", key) == 1


# --------------------------------------------------------------------------- TYPE


def test_type_reply_is_simple_string(raw):
    assert raw.cmd("TYPE", "missing") == b"+none\r\n"
    raw.cmd("SET", "s", "v")
    assert raw.cmd("TYPE", "s") == b"+string\r\n"


def test_type_of_each_kind(r2):
    ex(r2, "SET", "str", "1")
    ex(r2, "RPUSH", "list", "a")
    ex(r2, "SADD", "set", "a")
    ex(r2, "HSET", "hash", "f", "v")
    ex(r2, "ZADD", "zset", 1, "a")
    assert [ex(r2, "TYPE", k) for k in ("str", "list", "set", "hash", "zset", "none")] == [
        b"string",
        b"list",
        b"set",
        b"hash",
        b"zset",
        b"none",
    ]


# --------------------------------------------------------------------------- RENAME / RENAMENX


def test_rename(r2):
    ex(r2, "SET", "a", "1")
    assert ex(r2, "RENAME", "a", "b") == b"OK"
    assert ex(r2, "EXISTS", "a") == 0
    assert ex(r2, "GET", "b") == b"1"


def test_rename_overwrites_destination_of_any_type(r2):
    ex(r2, "SET", "a", "new")
    ex(r2, "RPUSH", "b", "x")
    ex(r2, "EXPIRE", "b", 100)
    assert ex(r2, "RENAME", "a", "b") == b"OK"
    assert ex(r2, "GET", "b") == b"new"
    assert ex(r2, "TTL", "b") == -1


def test_rename_moves_ttl(r2):
    ex(r2, "SET", "a", "1", "EX", 100)
    ex(r2, "RENAME", "a", "b")
    assert 95 <= ex(r2, "TTL", "b") <= 100


@pytest.mark.parametrize("command", ["RENAME", "RENAMENX"])
def test_rename_missing_key(r2, command):
    assert err(r2, command, "missing", "b") == NO_SUCH_KEY
    assert err(r2, command, "missing", "missing") == NO_SUCH_KEY


def test_rename_to_itself(raw):
    raw.cmd("SET", "a", "1")
    assert raw.cmd("RENAME", "a", "a") == b"+OK\r\n"
    assert raw.cmd("RENAMENX", "a", "a") == b":0\r\n"
    assert raw.cmd("GET", "a") == b"$1\r\n1\r\n"


def test_renamenx(r2):
    mset(r2, "a", value="1")
    mset(r2, "taken", value="2")
    assert ex(r2, "RENAMENX", "a", "taken") == 0
    assert ex(r2, "GET", "a") == b"1"
    assert ex(r2, "GET", "taken") == b"2"
    assert ex(r2, "RENAMENX", "a", "free") == 1
    assert ex(r2, "EXISTS", "a") == 0
    assert ex(r2, "GET", "free") == b"1"


def test_rename_wrong_arity(r2):
    assert err(r2, "RENAME", "a") == "ERR wrong number of arguments for 'rename' command"
    assert err(r2, "RENAMENX", "a", "b", "c") == ("ERR wrong number of arguments for 'renamenx' command")


# --------------------------------------------------------------------------- MOVE


def test_move(r2):
    ex(r2, "SET", "a", "1", "EX", 100)
    assert ex(r2, "MOVE", "a", 1) == 1
    assert ex(r2, "EXISTS", "a") == 0
    ex(r2, "SELECT", 1)
    assert ex(r2, "GET", "a") == b"1"
    assert 95 <= ex(r2, "TTL", "a") <= 100


def test_move_destination_exists(r2):
    ex(r2, "SET", "a", "db0")
    ex(r2, "SELECT", 1)
    ex(r2, "SET", "a", "db1")
    ex(r2, "SELECT", 0)
    assert ex(r2, "MOVE", "a", 1) == 0
    assert ex(r2, "GET", "a") == b"db0"
    ex(r2, "SELECT", 1)
    assert ex(r2, "GET", "a") == b"db1"


def test_move_missing_key(r2):
    assert ex(r2, "MOVE", "missing", 1) == 0


def test_move_errors(r2):
    ex(r2, "SET", "a", "1")
    assert err(r2, "MOVE", "a", 0) == SAME_OBJECT
    assert err(r2, "MOVE", "a", 16) == OUT_OF_RANGE
    assert err(r2, "MOVE", "a", -1) == OUT_OF_RANGE
    assert err(r2, "MOVE", "a", "x") == NOT_INT
    assert ex(r2, "GET", "a") == b"1"


# --------------------------------------------------------------------------- COPY


def test_copy(r2):
    ex(r2, "SET", "src", "v")
    assert ex(r2, "COPY", "src", "dst") == 1
    assert ex(r2, "GET", "dst") == b"v"
    ex(r2, "APPEND", "src", "2")  # the copy is independent of the source
    assert ex(r2, "GET", "dst") == b"v"


def test_copy_collections_are_independent(r2):
    ex(r2, "RPUSH", "src", "a", "b")
    assert ex(r2, "COPY", "src", "dst") == 1
    ex(r2, "RPUSH", "src", "c")
    assert ex(r2, "LRANGE", "dst", 0, -1) == [b"a", b"b"]
    assert ex(r2, "TYPE", "dst") == b"list"


def test_copy_existing_destination_needs_replace(r2):
    ex(r2, "SET", "src", "new")
    ex(r2, "SET", "dst", "old")
    assert ex(r2, "COPY", "src", "dst") == 0
    assert ex(r2, "GET", "dst") == b"old"
    assert ex(r2, "COPY", "src", "dst", "REPLACE") == 1
    assert ex(r2, "GET", "dst") == b"new"


def test_copy_missing_source(r2):
    assert ex(r2, "COPY", "missing", "dst") == 0
    assert ex(r2, "EXISTS", "dst") == 0


def test_copy_keeps_ttl(r2):
    ex(r2, "SET", "src", "v", "EX", 100)
    ex(r2, "COPY", "src", "dst")
    assert 95 <= ex(r2, "TTL", "dst") <= 100
    ex(r2, "SET", "plain", "v")
    ex(r2, "COPY", "plain", "dst", "REPLACE")
    assert ex(r2, "TTL", "dst") == -1


def test_copy_to_other_db(r2):
    ex(r2, "SET", "src", "v")
    assert ex(r2, "COPY", "src", "src", "DB", 5) == 1
    assert ex(r2, "COPY", "src", "src", "DB", 5) == 0
    assert ex(r2, "COPY", "src", "src", "db", 5, "replace") == 1
    assert ex(r2, "GET", "src") == b"v"  # source stays
    ex(r2, "SELECT", 5)
    assert ex(r2, "GET", "src") == b"v"


def test_copy_errors(r2):
    ex(r2, "SET", "a", "1")
    assert err(r2, "COPY", "a", "a") == SAME_OBJECT
    assert err(r2, "COPY", "a", "a", "DB", 0) == SAME_OBJECT
    assert err(r2, "COPY", "a", "b", "DB", 16) == OUT_OF_RANGE
    assert err(r2, "COPY", "a", "b", "DB", "x") == NOT_INT
    assert err(r2, "COPY", "a", "b", "FOO") == SYNTAX
    assert err(r2, "COPY", "a") == "ERR wrong number of arguments for 'copy' command"
    assert ex(r2, "EXISTS", "b") == 0


def test_copy_replace_given_twice(r2):
    ex(r2, "SET", "a", "1")
    assert ex(r2, "COPY", "a", "b", "REPLACE", "REPLACE") == 1


def test_copy_of_shared_integer_is_its_own_object(r2):
    """dupStringObject makes a new int object: the copy of a shared integer has refcount 1."""
    ex(r2, "SET", "a", "12")
    ex(r2, "SET", "one", "5")
    assert ex(r2, "COPY", "a", "b") == 1
    assert ex(r2, "COPY", "one", "c", "DB", 1) == 1
    assert ex(r2, "OBJECT", "REFCOUNT", "a") == 2147483647
    assert ex(r2, "OBJECT", "REFCOUNT", "b") == 1
    assert ex(r2, "OBJECT", "ENCODING", "b") == b"int"
    assert ex(r2, "MOVE", "b", 2) == 1  # the same object moves
    ex(r2, "SELECT", 2)
    assert ex(r2, "OBJECT", "REFCOUNT", "b") == 1
    ex(r2, "SELECT", 1)
    assert ex(r2, "OBJECT", "REFCOUNT", "c") == 1
    assert ex(r2, "INCR", "c") == 6  # a new shared integer again
    assert ex(r2, "OBJECT", "REFCOUNT", "c") == 2147483647
    ex(r2, "SELECT", 0)


# --------------------------------------------------------------------------- KEYS

GLOB_KEYS = ["hello", "hallo", "hxllo", "hllo", "heeeello", "a*b", "a?b", "axb", "abc", "bcd", "cde", "[x]", "x\\y"]


@pytest.mark.parametrize(
    "pattern, expected",
    [
        ("*", GLOB_KEYS),
        ("h?llo", ["hallo", "hello", "hxllo"]),
        ("h*llo", ["hallo", "heeeello", "hello", "hllo", "hxllo"]),
        ("h[ae]llo", ["hallo", "hello"]),
        ("h[^e]llo", ["hallo", "hxllo"]),
        ("h[a-b]llo", ["hallo"]),
        ("[a-c]*", ["a*b", "a?b", "abc", "axb", "bcd", "cde"]),
        ("[c-a]*", ["a*b", "a?b", "abc", "axb", "bcd", "cde"]),  # reversed ranges are swapped
        ("[^a]*", ["[x]", "bcd", "cde", "hallo", "heeeello", "hello", "hllo", "hxllo", "x\\y"]),
        ("h[!e]llo", ["hello"]),  # '!' is not a negation in Redis globs
        ("a\\*b", ["a*b"]),
        ("a\\?b", ["a?b"]),
        ("a*b", ["a*b", "a?b", "axb"]),
        ("\\[x\\]", ["[x]"]),
        ("[[]x]", ["[x]"]),
        ("*\\\\*", ["x\\y"]),
        ("nomatch*", []),
        ("a[", []),
        ("h[a-", []),
    ],
)
def test_keys_glob_patterns(r2, pattern, expected):
    mset(r2, *GLOB_KEYS)
    assert sorted(ex(r2, "KEYS", pattern)) == sorted(k.encode() for k in expected)


def test_keys_only_current_db(r2):
    mset(r2, "a0")
    ex(r2, "SELECT", 1)
    mset(r2, "a1")
    assert ex(r2, "KEYS", "*") == [b"a1"]


def test_keys_empty_db_is_empty_array(raw):
    assert raw.cmd("KEYS", "*") == b"*0\r\n"


def test_keys_wrong_arity(r2):
    assert err(r2, "KEYS") == "ERR wrong number of arguments for 'keys' command"


# --------------------------------------------------------------------------- SCAN


def test_scan_full_iteration_returns_every_key(r2):
    keys = {f"key:{i}".encode() for i in range(300)}
    mset(r2, *keys)
    found, calls = scan_all(r2, count=7)
    assert set(found) == keys
    assert calls > 1


def test_scan_default_count(r2):
    mset(r2, *(f"k{i}" for i in range(50)))
    found, _ = scan_all(r2)
    assert sorted(found) == sorted(f"k{i}".encode() for i in range(50))


def test_scan_match(r2):
    mset(r2, *(f"user:{i}" for i in range(40)), *(f"item:{i}" for i in range(40)))
    found, _ = scan_all(r2, "MATCH", "user:1*", count=10)
    assert sorted(set(found)) == sorted(k.encode() for k in (f"user:{i}" for i in range(40)) if k.startswith("user:1"))


def test_scan_type(r2):
    mset(r2, *(f"s{i}" for i in range(20)))
    for i in range(20):
        ex(r2, "RPUSH", f"l{i}", "x")
    ex(r2, "HSET", "h", "f", "v")
    found, _ = scan_all(r2, "TYPE", "list", count=5)
    assert sorted(set(found)) == sorted(f"l{i}".encode() for i in range(20))
    found, _ = scan_all(r2, "TYPE", "HASH", "MATCH", "h*")
    assert found == [b"h"]
    found, _ = scan_all(r2, "TYPE", "nonexisting")
    assert found == []


def test_scan_empty_db_reply_bytes(raw):
    assert raw.cmd("SCAN", "0") == b"*2\r\n$1\r\n0\r\n*0\r\n"


def test_scan_through_redis_py(r):
    mset(r, *(f"k{i}" for i in range(25)))
    assert sorted(r.scan_iter(count=4)) == sorted(f"k{i}".encode() for i in range(25))


@pytest.mark.parametrize(
    "args, message",
    [
        (("x",), "ERR invalid cursor"),
        (("18446744073709551616",), "ERR invalid cursor"),
        (("0", "COUNT", "0"), SYNTAX),
        (("0", "COUNT", "-1"), SYNTAX),
        (("0", "COUNT", "x"), NOT_INT),
        (("0", "FOO"), SYNTAX),
        (("0", "MATCH"), SYNTAX),
    ],
)
def test_scan_errors(r2, args, message):
    assert err(r2, "SCAN", *args) == message


def test_scan_max_cursor_is_valid(r2):
    assert ex(r2, "SCAN", "18446744073709551615") == [b"0", []]


# --------------------------------------------------------------------------- RANDOMKEY / DBSIZE


def test_randomkey_empty_db(r):
    assert ex(r, "RANDOMKEY") is None


def test_randomkey_empty_reply_bytes(raw):
    assert raw.cmd("RANDOMKEY") == b"$-1\r\n"


def test_randomkey_returns_existing_key(r2):
    keys = {b"a", b"b", b"c"}
    mset(r2, *keys)
    seen = {ex(r2, "RANDOMKEY") for _ in range(60)}
    assert seen <= keys and len(seen) >= 2


def test_dbsize_per_database(r2):
    assert ex(r2, "DBSIZE") == 0
    mset(r2, "a", "b", "c")
    assert ex(r2, "DBSIZE") == 3
    ex(r2, "SELECT", 9)
    assert ex(r2, "DBSIZE") == 0
    ex(r2, "DEL", "a")
    ex(r2, "SELECT", 0)
    ex(r2, "DEL", "a")
    assert ex(r2, "DBSIZE") == 2


def test_select_errors(r2):
    """getIntFromObjectOrReply first: beyond 32 bits is out of an int's range, not of the dbs'."""
    assert err(r2, "SELECT", 16) == OUT_OF_RANGE
    assert err(r2, "SELECT", -1) == OUT_OF_RANGE
    assert err(r2, "SELECT", "abc") == NOT_INT
    assert err(r2, "SELECT", "") == NOT_INT
    assert err(r2, "SELECT", 2147483648) == INT_RANGE
    assert err(r2, "SELECT", -2147483649) == INT_RANGE
    assert err(r2, "SELECT", 2**63) == NOT_INT
    assert ex(r2, "SELECT", 0) == b"OK"


def test_dbsize_wrong_arity(r2):
    assert err(r2, "DBSIZE", "x") == "ERR wrong number of arguments for 'dbsize' command"


# --------------------------------------------------------------------------- expiry


def test_ttl_and_pttl_of_missing_and_persistent_keys(r2):
    assert ex(r2, "TTL", "missing") == -2
    assert ex(r2, "PTTL", "missing") == -2
    ex(r2, "SET", "a", "1")
    assert ex(r2, "TTL", "a") == -1
    assert ex(r2, "PTTL", "a") == -1


def test_expire_and_ttl(r2):
    ex(r2, "SET", "a", "1")
    assert ex(r2, "EXPIRE", "a", 100) == 1
    assert 99 <= ex(r2, "TTL", "a") <= 100
    assert 98_000 < ex(r2, "PTTL", "a") <= 100_000
    assert ex(r2, "EXPIRE", "missing", 100) == 0


def test_pexpire(r2):
    ex(r2, "SET", "a", "1")
    assert ex(r2, "PEXPIRE", "a", 50_500) == 1
    assert 49_000 < ex(r2, "PTTL", "a") <= 50_500
    assert ex(r2, "TTL", "a") in (50, 51)  # TTL rounds to the nearest second
    assert ex(r2, "PEXPIRE", "missing", 100) == 0


def test_expireat_and_pexpireat(r2):
    now = time.time()
    ex(r2, "SET", "a", "1")
    assert ex(r2, "EXPIREAT", "a", int(now) + 200) == 1
    assert 195 <= ex(r2, "TTL", "a") <= 200
    assert ex(r2, "PEXPIREAT", "a", int(now * 1000) + 300_000) == 1
    assert 295_000 < ex(r2, "PTTL", "a") <= 300_000
    assert ex(r2, "EXPIREAT", "missing", int(now) + 100) == 0
    assert ex(r2, "PEXPIREAT", "missing", int(now * 1000) + 100) == 0


@pytest.mark.parametrize(
    "command, arg",
    [
        ("EXPIRE", -1),
        ("EXPIRE", 0),
        ("PEXPIRE", -1000),
        ("PEXPIRE", 0),
        ("EXPIREAT", 100),
        ("PEXPIREAT", 1),
        ("EXPIRE", -9223372036854775),
        ("PEXPIRE", -9223372036854775808),
    ],
)
def test_expire_in_the_past_deletes(r2, command, arg):
    ex(r2, "SET", "a", "1")
    assert ex(r2, command, "a", arg) == 1
    assert ex(r2, "EXISTS", "a") == 0
    assert ex(r2, "TTL", "a") == -2


@pytest.mark.parametrize("command", ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
@pytest.mark.parametrize("arg", ["x", "1.5", "", "9223372036854775808"])
def test_expire_not_an_integer(r2, command, arg):
    ex(r2, "SET", "a", "1")
    assert err(r2, command, "a", arg) == NOT_INT
    assert ex(r2, "TTL", "a") == -1


@pytest.mark.parametrize(
    "command, arg",
    [
        ("EXPIRE", 9223372036854775807),
        ("EXPIRE", 9223372036854774),  # fits once multiplied by 1000, not once now is added
        ("EXPIRE", -9223372036854775808),
        ("PEXPIRE", 9223372036854775807),
        ("EXPIREAT", 9223372036854775807),
        ("EXPIREAT", -9223372036854775807),
    ],
)
def test_expire_invalid_expire_time(r2, command, arg):
    ex(r2, "SET", "a", "1")
    assert err(r2, command, "a", arg) == f"ERR invalid expire time in {command.lower()}"
    assert ex(r2, "EXISTS", "a") == 1
    assert ex(r2, "TTL", "a") == -1


def test_pexpireat_far_future_is_accepted(r2):
    ex(r2, "SET", "a", "1")
    assert ex(r2, "PEXPIREAT", "a", 9223372036854775806) == 1
    assert ex(r2, "PTTL", "a") > 9_000_000_000_000_000_000


def test_expire_6_2_has_no_nx_xx_gt_lt_options(r2):
    ex(r2, "SET", "a", "1")
    assert err(r2, "EXPIRE", "a", 100, "NX") == ("ERR wrong number of arguments for 'expire' command")


def test_persist(r2):
    ex(r2, "SET", "a", "1", "EX", 100)
    assert ex(r2, "PERSIST", "a") == 1
    assert ex(r2, "TTL", "a") == -1
    assert ex(r2, "PERSIST", "a") == 0
    assert ex(r2, "PERSIST", "missing") == 0


def test_set_clears_ttl_but_append_keeps_it(r2):
    ex(r2, "SET", "a", "1", "EX", 100)
    ex(r2, "APPEND", "a", "2")
    assert ex(r2, "TTL", "a") > 0
    ex(r2, "SET", "a", "3")
    assert ex(r2, "TTL", "a") == -1


def test_expire_overwrites_previous_ttl(r2):
    ex(r2, "SET", "a", "1")
    ex(r2, "EXPIRE", "a", 1000)
    ex(r2, "EXPIRE", "a", 10)
    assert 9 <= ex(r2, "TTL", "a") <= 10


def test_keys_actually_expire(r):
    ex(r, "SET", "short", "1")
    ex(r, "SET", "long", "1")
    ex(r, "RPUSH", "list", "x")
    assert ex(r, "PEXPIRE", "short", 50) == 1
    assert ex(r, "PEXPIRE", "list", 50) == 1
    assert ex(r, "EXPIRE", "long", 100) == 1
    time.sleep(0.15)
    assert ex(r, "GET", "short") is None
    assert ex(r, "EXISTS", "short", "list", "long") == 1
    assert ex(r, "TTL", "short") == -2
    assert ex(r, "PTTL", "list") == -2
    assert ex(r, "TYPE", "list") == b"none"
    assert ex(r, "KEYS", "*") == [b"long"]


def test_expired_key_can_be_recreated(r2):
    ex(r2, "SET", "a", "old", "PX", 30)
    time.sleep(0.1)
    assert ex(r2, "SET", "a", "new", "NX") == b"OK"
    assert ex(r2, "GET", "a") == b"new"
    assert ex(r2, "TTL", "a") == -1


def test_expire_wrong_arity(r2):
    for command in ("EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT", "TTL", "PTTL", "PERSIST"):
        assert err(r2, command) == f"ERR wrong number of arguments for '{command.lower()}' command"


# --------------------------------------------------------------------------- TOUCH


def test_touch_counts_existing_keys(r2):
    mset(r2, "a", "b")
    assert ex(r2, "TOUCH", "a", "b", "missing") == 2
    assert ex(r2, "TOUCH", "a", "a") == 2
    assert ex(r2, "TOUCH", "missing") == 0


# --------------------------------------------------------------------------- OBJECT ENCODING


@pytest.mark.parametrize(
    "value, encoding",
    [
        ("12345", b"int"),
        ("-12345", b"int"),
        ("0", b"int"),
        ("9223372036854775807", b"int"),
        ("-9223372036854775808", b"int"),
        ("9223372036854775808", b"embstr"),
        ("012", b"embstr"),
        (" 1", b"embstr"),
        ("1.5", b"embstr"),
        ("hello", b"embstr"),
        ("", b"embstr"),
        ("x" * 44, b"embstr"),
        ("x" * 45, b"raw"),
        ("1" * 44 + "x", b"raw"),
        ("x" * 1000, b"raw"),
    ],
    ids=lambda v: v if len(v) < 20 else f"{len(v)}-bytes",
)
def test_object_encoding_of_strings(r2, value, encoding):
    ex(r2, "SET", "k", value)
    assert ex(r2, "OBJECT", "ENCODING", "k") == encoding


def test_object_encoding_after_modification(r2):
    ex(r2, "SET", "k", "ab")
    ex(r2, "APPEND", "k", "c")
    assert ex(r2, "OBJECT", "ENCODING", "k") == b"raw"
    ex(r2, "SET", "n", "1")
    ex(r2, "INCR", "n")
    assert ex(r2, "OBJECT", "ENCODING", "n") == b"int"


def test_object_encoding_missing_key(r):
    assert ex(r, "OBJECT", "ENCODING", "missing") is None


def test_object_encoding_reply_bytes(raw):
    raw.cmd("SET", "k", "12345")
    assert raw.cmd("OBJECT", "ENCODING", "k") == b"$3\r\nint\r\n"
    assert raw.cmd("OBJECT", "ENCODING", "missing") == b"$-1\r\n"


def test_object_errors(r2):
    assert err(r2, "OBJECT", "FOO", "k") == (
        "ERR Unknown subcommand or wrong number of arguments for 'FOO'. Try OBJECT HELP."
    )
    assert err(r2, "OBJECT") == "ERR wrong number of arguments for 'object' command"


# --------------------------------------------------------------------------- SWAPDB


def test_swapdb(r2, make_client):
    other = make_client()
    ex(other, "SELECT", 1)
    ex(r2, "SET", "a", "db0")
    ex(r2, "SET", "only0", "x", "EX", 100)
    ex(other, "SET", "a", "db1")
    assert ex(r2, "SWAPDB", 0, 1) == b"OK"
    # Connections stay on their DB number; the data moved under them.
    assert ex(r2, "GET", "a") == b"db1"
    assert ex(r2, "EXISTS", "only0") == 0
    assert ex(other, "GET", "a") == b"db0"
    assert 95 <= ex(other, "TTL", "only0") <= 100


def test_swapdb_same_db_and_empty(r2):
    ex(r2, "SET", "a", "1")
    assert ex(r2, "SWAPDB", 0, 0) == b"OK"
    assert ex(r2, "GET", "a") == b"1"
    assert ex(r2, "SWAPDB", 0, 15) == b"OK"
    assert ex(r2, "DBSIZE") == 0
    ex(r2, "SELECT", 15)
    assert ex(r2, "GET", "a") == b"1"


def test_swapdb_errors(r2):
    assert err(r2, "SWAPDB", 0, 16) == OUT_OF_RANGE
    assert err(r2, "SWAPDB", -1, 0) == OUT_OF_RANGE
    assert err(r2, "SWAPDB", "x", 0) == "ERR invalid first DB index"
    assert err(r2, "SWAPDB", 0, "x") == "ERR invalid second DB index"
    assert err(r2, "SWAPDB", 0) == "ERR wrong number of arguments for 'swapdb' command"


# --------------------------------------------------------------------------- FLUSHDB / FLUSHALL


@pytest.mark.parametrize("mode", [(), ("ASYNC",), ("SYNC",), ("async",)])
def test_flushdb_only_current_db(r2, mode):
    mset(r2, "a", "b")
    ex(r2, "SELECT", 1)
    mset(r2, "c")
    ex(r2, "SELECT", 0)
    assert ex(r2, "FLUSHDB", *mode) == b"OK"
    assert ex(r2, "DBSIZE") == 0
    ex(r2, "SELECT", 1)
    assert ex(r2, "KEYS", "*") == [b"c"]


@pytest.mark.parametrize("mode", [(), ("ASYNC",), ("SYNC",)])
def test_flushall_every_db(r2, mode):
    for db in (0, 1, 15):
        ex(r2, "SELECT", db)
        mset(r2, "a", "b")
    assert ex(r2, "FLUSHALL", *mode) == b"OK"
    for db in (0, 1, 15):
        ex(r2, "SELECT", db)
        assert ex(r2, "DBSIZE") == 0


def test_flush_reply_bytes(raw):
    assert raw.cmd("FLUSHDB", "ASYNC") == b"+OK\r\n"
    assert raw.cmd("FLUSHALL", "ASYNC") == b"+OK\r\n"


@pytest.mark.parametrize("command", ["FLUSHDB", "FLUSHALL"])
def test_flush_syntax_error(r2, command):
    ex(r2, "SET", "a", "1")
    assert err(r2, command, "FOO") == SYNTAX
    assert err(r2, command, "ASYNC", "SYNC") == SYNTAX
    assert ex(r2, "EXISTS", "a") == 1


def test_flushall_async_then_write(r2):
    mset(r2, *(f"k{i}" for i in range(1000)))
    ex(r2, "FLUSHALL", "ASYNC")
    ex(r2, "SET", "k1", "after")
    assert ex(r2, "DBSIZE") == 1
    assert ex(r2, "GET", "k1") == b"after"
