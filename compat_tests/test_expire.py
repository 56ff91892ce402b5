"""EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL and PERSIST, as Redis 6.2.14 does them:
argument parsing and overflow checks, deadlines in the past, every value type, what keeps or
drops a TTL, and how expired keys look to other commands.
"""

from __future__ import annotations

import time

import pytest

from .helpers import err, ex

NOT_INT = "ERR value is not an integer or out of range"
CMDS = ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"]


def now_ms():
    return int(time.time() * 1000)


# --------------------------------------------------------------------------- argument parsing


@pytest.mark.parametrize("command", CMDS)
@pytest.mark.parametrize("arg", ["+5", " 5", "5 ", "05", "0x10", "5.0", "1e3", "-", "--1"])
def test_strict_integer_parsing(r2, command, arg):
    ex(r2, "SET", "a", "1")
    assert err(r2, command, "a", arg) == NOT_INT
    assert ex(r2, "TTL", "a") == -1


@pytest.mark.parametrize("command", CMDS)
def test_parse_error_before_key_lookup(r2, command):
    assert err(r2, command, "missing", "abc") == NOT_INT


@pytest.mark.parametrize(
    "command, arg",
    [("EXPIRE", 9223372036854776), ("EXPIRE", -9223372036854776), ("EXPIREAT", 9223372036854776),
     ("PEXPIRE", 9223372036854775000), ("EXPIRE", 9223372036854775)],
)
def test_overflow_checked_before_key_lookup(r2, command, arg):
    assert err(r2, command, "missing", arg) == f"ERR invalid expire time in {command.lower()}"


@pytest.mark.parametrize("command, arg", [("EXPIRE", -9223372036854775), ("PEXPIREAT", -9223372036854775808),
                                          ("EXPIREAT", 0), ("PEXPIRE", -1)])
def test_past_deadline_on_missing_key_is_zero(r2, command, arg):
    assert ex(r2, command, "missing", arg) == 0


@pytest.mark.parametrize("command", CMDS + ["TTL", "PTTL", "PERSIST"])
def test_arity(r2, command):
    n = 3 if command in CMDS else 2
    args = ["k", "1", "x"][: n]  # one argument too many
    assert err(r2, command, *args) == f"ERR wrong number of arguments for '{command.lower()}' command"


# --------------------------------------------------------------------------- setting deadlines


def test_expire_reply_bytes(raw):
    raw.cmd("SET", "a", "1")
    assert raw.cmd("EXPIRE", "a", "100") == b":1\r\n"
    assert raw.cmd("EXPIRE", "missing", "100") == b":0\r\n"
    assert raw.cmd("TTL", "a") == b":100\r\n"
    assert raw.cmd("TTL", "missing") == b":-2\r\n"


@pytest.mark.parametrize("kind", ["string", "list", "set", "hash", "zset"])
def test_expire_every_type(r2, kind):
    setup = {"string": ("SET", "k", "v"), "list": ("RPUSH", "k", "a"), "set": ("SADD", "k", "a"),
             "hash": ("HSET", "k", "f", "v"), "zset": ("ZADD", "k", 1, "a")}[kind]
    ex(r2, *setup)
    assert ex(r2, "PEXPIRE", "k", 30) == 1
    assert ex(r2, "TYPE", "k") == kind.encode()
    time.sleep(0.08)
    assert ex(r2, "TYPE", "k") == b"none"
    assert ex(r2, "EXISTS", "k") == 0


def test_pexpireat_exact_deadline(r2):
    ex(r2, "SET", "a", "1")
    deadline = now_ms() + 200_000
    assert ex(r2, "PEXPIREAT", "a", deadline) == 1
    assert 190_000 < ex(r2, "PTTL", "a") <= 200_000


def test_expireat_in_seconds(r2):
    ex(r2, "SET", "a", "1")
    assert ex(r2, "EXPIREAT", "a", int(time.time()) + 1000) == 1
    assert 990 <= ex(r2, "TTL", "a") <= 1000


def test_expire_zero_deletes(r2):
    ex(r2, "RPUSH", "l", "a")
    assert ex(r2, "EXPIRE", "l", 0) == 1
    assert ex(r2, "EXISTS", "l") == 0


def test_pexpireat_now_deletes(r2):
    ex(r2, "SET", "a", "1")
    assert ex(r2, "PEXPIREAT", "a", now_ms()) == 1
    assert ex(r2, "EXISTS", "a") == 0


def test_expire_on_expired_key_is_zero(r2):
    ex(r2, "SET", "a", "1", "PX", 1)
    time.sleep(0.01)
    assert ex(r2, "EXPIRE", "a", 100) == 0
    assert ex(r2, "EXISTS", "a") == 0


def test_expire_can_lengthen_and_shorten(r2):
    ex(r2, "SET", "a", "1", "EX", 10)
    assert ex(r2, "EXPIRE", "a", 1000) == 1
    assert 995 <= ex(r2, "TTL", "a") <= 1000
    assert ex(r2, "PEXPIRE", "a", 5000) == 1
    assert 4000 < ex(r2, "PTTL", "a") <= 5000


def test_large_but_valid_deadlines(r2):
    ex(r2, "SET", "a", "1")
    assert ex(r2, "EXPIRE", "a", 9223372036854) == 1
    assert ex(r2, "TTL", "a") > 9_000_000_000_000
    assert ex(r2, "PEXPIRE", "a", 9223372036854) == 1
    assert ex(r2, "TTL", "a") > 9_000_000_000
    assert ex(r2, "EXPIREAT", "a", 9223372036854775) == 1
    assert ex(r2, "PTTL", "a") > 9_000_000_000_000_000_000


# --------------------------------------------------------------------------- TTL / PTTL


def test_ttl_rounds_to_nearest_second(r2):
    ex(r2, "SET", "a", "1")
    ex(r2, "PEXPIRE", "a", 2700)
    assert ex(r2, "TTL", "a") == 3
    ex(r2, "PEXPIRE", "a", 2300)
    assert ex(r2, "TTL", "a") == 2
    ex(r2, "PEXPIRE", "a", 400)
    assert ex(r2, "TTL", "a") == 0


def test_pttl_counts_down(r2):
    ex(r2, "SET", "a", "1", "PX", 500)
    first = ex(r2, "PTTL", "a")
    time.sleep(0.1)
    second = ex(r2, "PTTL", "a")
    assert 0 < second < first <= 500


def test_ttl_of_every_type_without_deadline(r2):
    ex(r2, "RPUSH", "l", "a")
    ex(r2, "HSET", "h", "f", "v")
    assert ex(r2, "TTL", "l") == -1
    assert ex(r2, "PTTL", "h") == -1


def test_ttl_after_expiry_is_minus_two(r2):
    ex(r2, "SET", "a", "1", "PX", 20)
    time.sleep(0.06)
    assert ex(r2, "PTTL", "a") == -2
    assert ex(r2, "TTL", "a") == -2


# --------------------------------------------------------------------------- PERSIST


def test_persist_reply_bytes(raw):
    raw.cmd("SET", "a", "1", "EX", "100")
    assert raw.cmd("PERSIST", "a") == b":1\r\n"
    assert raw.cmd("PERSIST", "a") == b":0\r\n"
    assert raw.cmd("TTL", "a") == b":-1\r\n"


def test_persist_expired_key(r2):
    ex(r2, "SET", "a", "1", "PX", 1)
    time.sleep(0.01)
    assert ex(r2, "PERSIST", "a") == 0
    assert ex(r2, "EXISTS", "a") == 0


def test_persist_collection(r2):
    ex(r2, "SADD", "s", "a")
    ex(r2, "EXPIRE", "s", 100)
    assert ex(r2, "PERSIST", "s") == 1
    assert ex(r2, "TTL", "s") == -1


# --------------------------------------------------------------------------- what keeps a TTL


@pytest.mark.parametrize(
    "command, keeps",
    [
        (("SET", "k", "x"), False),
        (("GETSET", "k", "x"), False),
        (("SET", "k", "x", "KEEPTTL"), True),
        (("APPEND", "k", "x"), True),
        (("INCR", "k"), True),
        (("INCRBYFLOAT", "k", "1.5"), True),
        (("SETRANGE", "k", 0, "9"), True),
        (("MSET", "k", "x"), False),
        (("RENAME", "k", "k"), True),
    ],
)
def test_string_commands_and_ttl(r2, command, keeps):
    ex(r2, "SET", "k", "1", "EX", 100)
    ex(r2, *command)
    if keeps:
        assert 95 <= ex(r2, "TTL", "k") <= 100
    else:
        assert ex(r2, "TTL", "k") == -1


def test_collection_writes_keep_ttl(r2):
    ex(r2, "RPUSH", "l", "a")
    ex(r2, "EXPIRE", "l", 100)
    ex(r2, "RPUSH", "l", "b")
    ex(r2, "LPOP", "l")
    assert 95 <= ex(r2, "TTL", "l") <= 100


def test_emptied_collection_loses_ttl(r2):
    ex(r2, "RPUSH", "l", "a")
    ex(r2, "EXPIRE", "l", 100)
    ex(r2, "LPOP", "l")
    ex(r2, "RPUSH", "l", "b")
    assert ex(r2, "TTL", "l") == -1


def test_del_then_recreate_has_no_ttl(r2):
    ex(r2, "SET", "a", "1", "EX", 100)
    ex(r2, "DEL", "a")
    ex(r2, "SET", "a", "2", "NX")
    assert ex(r2, "TTL", "a") == -1


def test_flushdb_forgets_ttls(r2):
    ex(r2, "SET", "a", "1", "EX", 100)
    ex(r2, "FLUSHDB")
    ex(r2, "RPUSH", "a", "x")
    assert ex(r2, "TTL", "a") == -1


def test_move_and_copy_carry_ttl(r2):
    ex(r2, "SET", "a", "1", "EX", 100)
    ex(r2, "COPY", "a", "b")
    ex(r2, "MOVE", "a", 2)
    assert 95 <= ex(r2, "TTL", "b") <= 100
    ex(r2, "SELECT", 2)
    assert 95 <= ex(r2, "TTL", "a") <= 100


def test_swapdb_carries_ttls(r2):
    ex(r2, "SET", "a", "1", "EX", 100)
    ex(r2, "SWAPDB", 0, 4)
    ex(r2, "SELECT", 4)
    assert 95 <= ex(r2, "TTL", "a") <= 100


# --------------------------------------------------------------------------- expired keys elsewhere


def test_expired_keys_invisible_to_reads(r2):
    ex(r2, "SET", "s", "v", "PX", 20)
    ex(r2, "RPUSH", "l", "a")
    ex(r2, "PEXPIRE", "l", 20)
    time.sleep(0.06)
    assert ex(r2, "GET", "s") is None
    assert ex(r2, "LRANGE", "l", 0, -1) == []
    assert ex(r2, "EXISTS", "s", "l") == 0
    assert ex(r2, "KEYS", "*") == []


def test_expired_key_is_replaced_by_write(r2):
    ex(r2, "RPUSH", "l", "a")
    ex(r2, "PEXPIRE", "l", 10)
    time.sleep(0.05)
    ex(r2, "RPUSH", "l", "b")
    assert ex(r2, "LRANGE", "l", 0, -1) == [b"b"]
    assert ex(r2, "TTL", "l") == -1


def test_active_expiry_shrinks_dbsize(r2):
    for i in range(20):
        ex(r2, "SET", f"k{i}", "1", "PX", 10)
    deadline = time.time() + 5
    while ex(r2, "DBSIZE") and time.time() < deadline:
        time.sleep(0.05)
    assert ex(r2, "DBSIZE") == 0

