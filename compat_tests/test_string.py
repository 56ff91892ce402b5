"""String commands as Redis 6.2.14 does them: SET and its options, GET/GETEX/GETDEL/GETSET,
SETNX/SETEX/PSETEX, MSET/MSETNX/MGET, APPEND, STRLEN, GETRANGE/SUBSTR, SETRANGE, STRALGO LCS.

Replies and error texts are exact copies of what Redis 6.2.14 sends (checked against the
oracle).  INCR/DECR/INCRBYFLOAT live in test_incr.py, bitmaps in test_bitops.py.
"""

from __future__ import annotations

import time

import pytest

from .helpers import err, ex

SYNTAX = "ERR syntax error"
NOT_INT = "ERR value is not an integer or out of range"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
TOO_BIG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
INT64_MAX = 2 ** 63 - 1


def now_ms() -> int:
    return int(time.time() * 1000)


def keyevents(make_client, pattern="__keyevent@0__:*"):
    """A RESP2 client subscribed to keyspace events (notify-keyspace-events KEA)."""
    admin = make_client()
    ex(admin, "CONFIG", "SET", "notify-keyspace-events", "KEA")
    sub = make_client(socket_timeout=5)
    p = sub.pubsub()
    p.psubscribe(pattern)
    msg = p.get_message(timeout=5)
    assert msg and msg["type"] == "psubscribe"
    return p


def drain(p, n=None, timeout=0.5):
    """The (event, key) pairs received (stop after ``n`` if given)."""
    out = []
    deadline = time.time() + timeout
    while time.time() < deadline and (n is None or len(out) < n):
        m = p.get_message(timeout=0.1)
        if m and m["type"] == "pmessage":
            out.append((m["channel"].split(b":", 1)[1].decode(), m["data"].decode()))
    return out


@pytest.fixture
def events(make_client):
    admin = make_client()
    p = keyevents(make_client)
    yield p
    p.close()
    ex(admin, "CONFIG", "SET", "notify-keyspace-events", "")


# --------------------------------------------------------------------------- GET / SET basics


def test_set_get_roundtrip(r2):
    assert ex(r2, "SET", "k", "hello") == b"OK"
    assert ex(r2, "GET", "k") == b"hello"


def test_get_missing_is_null(r):
    assert ex(r, "GET", "nokey") is None


def test_set_reply_bytes(raw):
    assert raw.cmd("SET", "k", "v") == b"+OK\r\n"
    assert raw.cmd("GET", "k") == b"$1\r\nv\r\n"
    assert raw.cmd("GET", "nokey") == b"$-1\r\n"
    assert raw.cmd("SET", "k", "w", "NX") == b"$-1\r\n"
    assert raw.cmd("SET", "k", "w", "GET") == b"$1\r\nv\r\n"


def test_set_binary_value(r2):
    v = bytes(range(256)) * 4
    ex(r2, "SET", "bin", v)
    assert ex(r2, "GET", "bin") == v


def test_set_empty_value(r2):
    ex(r2, "SET", "e", "")
    assert ex(r2, "GET", "e") == b""
    assert ex(r2, "STRLEN", "e") == 0
    assert ex(r2, "EXISTS", "e") == 1


def test_set_overwrites_other_types(r2):
    ex(r2, "RPUSH", "k", "a")
    assert ex(r2, "SET", "k", "v") == b"OK"
    assert ex(r2, "TYPE", "k") == b"string"


def test_get_wrongtype(r2):
    ex(r2, "RPUSH", "l", "a")
    assert err(r2, "GET", "l") == WRONGTYPE


def test_set_removes_ttl(r2):
    ex(r2, "SET", "k", "v", "EX", 100)
    ex(r2, "SET", "k", "v2")
    assert ex(r2, "TTL", "k") == -1


def test_get_arity(r2):
    assert err(r2, "GET") == "ERR wrong number of arguments for 'get' command"
    assert err(r2, "GET", "a", "b") == "ERR wrong number of arguments for 'get' command"


def test_set_arity(r2):
    assert err(r2, "SET", "k") == "ERR wrong number of arguments for 'set' command"


# --------------------------------------------------------------------------- SET options


@pytest.mark.parametrize("opt,val,lo,hi", [
    ("EX", 100, 99_000, 100_000),
    ("PX", 100_000, 99_000, 100_000),
    ("ex", 5, 4_000, 5_000),
    ("px", 1500, 1_000, 1_500),
])
def test_set_relative_expire(r2, opt, val, lo, hi):
    assert ex(r2, "SET", "k", "v", opt, val) == b"OK"
    assert lo <= ex(r2, "PTTL", "k") <= hi


def test_set_exat(r2):
    at = int(time.time()) + 100
    ex(r2, "SET", "k", "v", "EXAT", at)
    assert 98 <= ex(r2, "TTL", "k") <= 100


def test_set_pxat(r2):
    at = now_ms() + 50_000
    ex(r2, "SET", "k", "v", "PXAT", at)
    assert 48_000 <= ex(r2, "PTTL", "k") <= 50_000


def test_set_exat_in_the_past_expires(r2):
    ex(r2, "SET", "k", "v", "EXAT", 1)
    assert ex(r2, "GET", "k") is None
    assert ex(r2, "EXISTS", "k") == 0


def test_set_pxat_in_the_past_expires(r2):
    ex(r2, "SET", "k", "v", "PXAT", 1000)
    assert ex(r2, "EXISTS", "k") == 0


def test_set_px_expires_quickly(r2):
    ex(r2, "SET", "k", "v", "PX", 30)
    time.sleep(0.1)
    assert ex(r2, "GET", "k") is None


def test_set_keepttl(r2):
    ex(r2, "SET", "k", "v", "EX", 100)
    ex(r2, "SET", "k", "v2", "KEEPTTL")
    assert ex(r2, "GET", "k") == b"v2"
    assert 98 <= ex(r2, "TTL", "k") <= 100


def test_set_keepttl_on_key_without_ttl(r2):
    ex(r2, "SET", "k", "v")
    ex(r2, "SET", "k", "v2", "KEEPTTL")
    assert ex(r2, "TTL", "k") == -1


def test_set_keepttl_on_missing_key(r2):
    assert ex(r2, "SET", "k", "v", "KEEPTTL") == b"OK"
    assert ex(r2, "TTL", "k") == -1


def test_set_keepttl_after_expiry_does_not_resurrect_ttl(r2):
    ex(r2, "SET", "k", "v", "PX", 20)
    time.sleep(0.06)
    ex(r2, "SET", "k", "new", "KEEPTTL")
    assert ex(r2, "GET", "k") == b"new"
    assert ex(r2, "TTL", "k") == -1


def test_set_nx(r2):
    assert ex(r2, "SET", "k", "v1", "NX") == b"OK"
    assert ex(r2, "SET", "k", "v2", "NX") is None
    assert ex(r2, "GET", "k") == b"v1"


def test_set_nx_null_resp3(r):
    ex(r, "SET", "k", "v")
    assert ex(r, "SET", "k", "v2", "NX") is None


def test_set_nx_null_raw_resp3(raw):
    raw.cmd("HELLO", "3")
    raw.cmd("SET", "k", "v")
    assert raw.cmd("SET", "k", "w", "NX") == b"_\r\n"
    assert raw.cmd("GETDEL", "nokey") == b"_\r\n"


def test_set_xx(r2):
    assert ex(r2, "SET", "k", "v", "XX") is None
    assert ex(r2, "EXISTS", "k") == 0
    ex(r2, "SET", "k", "v")
    assert ex(r2, "SET", "k", "v2", "XX") == b"OK"
    assert ex(r2, "GET", "k") == b"v2"


def test_set_xx_on_other_type_replaces(r2):
    ex(r2, "SADD", "s", "m")
    assert ex(r2, "SET", "s", "v", "XX") == b"OK"
    assert ex(r2, "GET", "s") == b"v"


def test_set_nx_respects_other_types(r2):
    ex(r2, "SADD", "s", "m")
    assert ex(r2, "SET", "s", "v", "NX") is None
    assert ex(r2, "TYPE", "s") == b"set"


def test_set_nx_with_expire(r2):
    assert ex(r2, "SET", "k", "v", "NX", "EX", 10) == b"OK"
    assert ex(r2, "TTL", "k") == 10
    assert ex(r2, "SET", "k", "v", "EX", 100, "NX") is None
    assert ex(r2, "TTL", "k") == 10


def test_set_xx_keepttl(r2):
    ex(r2, "SET", "k", "v", "EX", 50)
    assert ex(r2, "SET", "k", "w", "XX", "KEEPTTL") == b"OK"
    assert 48 <= ex(r2, "TTL", "k") <= 50


def test_set_get_option_returns_old(r2):
    assert ex(r2, "SET", "k", "v1", "GET") is None
    assert ex(r2, "SET", "k", "v2", "GET") == b"v1"
    assert ex(r2, "GET", "k") == b"v2"


def test_set_get_on_wrongtype_does_not_set(r2):
    ex(r2, "LPUSH", "l", "a")
    assert err(r2, "SET", "l", "v", "GET") == WRONGTYPE
    assert ex(r2, "TYPE", "l") == b"list"


def test_set_xx_get(r2):
    assert ex(r2, "SET", "k", "v", "XX", "GET") is None
    assert ex(r2, "EXISTS", "k") == 0
    ex(r2, "SET", "k", "old")
    assert ex(r2, "SET", "k", "new", "XX", "GET") == b"old"
    assert ex(r2, "GET", "k") == b"new"


def test_set_get_with_expire(r2):
    ex(r2, "SET", "k", "a")
    assert ex(r2, "SET", "k", "b", "GET", "EX", 100) == b"a"
    assert 99 <= ex(r2, "TTL", "k") <= 100


def test_set_get_repeated(r2):
    ex(r2, "SET", "k", "a")
    assert ex(r2, "SET", "k", "b", "GET", "GET") == b"a"


def test_set_get_null_resp3(r):
    assert ex(r, "SET", "k", "b", "GET") is None


def test_set_options_case_insensitive(r2):
    assert ex(r2, "SET", "k", "v", "nX", "Ex", 10) == b"OK"
    assert ex(r2, "TTL", "k") == 10


def test_set_same_expire_option_twice_last_wins(r2):
    assert ex(r2, "SET", "k", "v", "EX", 10, "EX", 100) == b"OK"
    assert 99 <= ex(r2, "TTL", "k") <= 100


def test_set_nx_twice_ok(r2):
    assert ex(r2, "SET", "k", "v", "NX", "NX") == b"OK"


@pytest.mark.parametrize("args", [
    ["NX", "XX"], ["XX", "NX"], ["NX", "GET"], ["GET", "NX"],
    ["EX", 10, "PX", 100], ["PX", 100, "EX", 10], ["EX", 10, "EXAT", 2000000000],
    ["PXAT", 2000000000000, "PX", 10], ["EXAT", 2000000000, "PXAT", 2000000000000],
    ["KEEPTTL", "EX", 10], ["EX", 10, "KEEPTTL"], ["PX", 10, "KEEPTTL"], ["KEEPTTL", "PXAT", 5],
    ["EX"], ["PX"], ["EXAT"], ["PXAT"], ["NX", "EX"], ["FOO"], ["EX", 10, "BAR"], ["PERSIST"],
    ["N"], ["NXX"], ["GETT"],
])
def test_set_syntax_errors(r2, args):
    assert err(r2, "SET", "k", "v", *args) == SYNTAX
    assert ex(r2, "EXISTS", "k") == 0


def test_set_syntax_error_before_expire_value_check(r2):
    assert err(r2, "SET", "k", "v", "EX", "abc", "FOO") == SYNTAX


@pytest.mark.parametrize("opt,val", [
    ("EX", 0), ("EX", -1), ("PX", 0), ("PX", -100), ("EXAT", 0), ("PXAT", -1),
    ("EX", INT64_MAX), ("EX", INT64_MAX // 1000 + 1), ("PX", INT64_MAX), ("PX", INT64_MAX - 1000),
])
def test_set_invalid_expire(r2, opt, val):
    assert err(r2, "SET", "k", "v", opt, val) == "ERR invalid expire time in set"
    assert ex(r2, "EXISTS", "k") == 0


@pytest.mark.parametrize("val", ["abc", "1.5", "", " 1", "9223372036854775808", "+5"])
def test_set_expire_not_integer(r2, val):
    assert err(r2, "SET", "k", "v", "EX", val) == NOT_INT


def test_set_huge_but_valid_exat(r2):
    assert ex(r2, "SET", "k", "v", "EXAT", INT64_MAX // 1000) == b"OK"
    assert ex(r2, "TTL", "k") > 10 ** 12


def test_set_huge_but_valid_pxat(r2):
    assert ex(r2, "SET", "k", "v", "PXAT", INT64_MAX) == b"OK"
    assert ex(r2, "PTTL", "k") > 10 ** 15


def test_set_invalid_expire_checked_before_nx(r2):
    ex(r2, "SET", "k", "v")
    assert err(r2, "SET", "k", "v", "NX", "EX", 0) == "ERR invalid expire time in set"


def test_set_invalid_expire_checked_before_wrongtype(r2):
    ex(r2, "LPUSH", "l", "a")
    assert err(r2, "SET", "l", "v", "GET", "EX", -5) == "ERR invalid expire time in set"


# --------------------------------------------------------------------------- SETNX / SETEX / PSETEX / GETSET


def test_setnx(r2):
    assert ex(r2, "SETNX", "k", "a") == 1
    assert ex(r2, "SETNX", "k", "b") == 0
    assert ex(r2, "GET", "k") == b"a"


def test_setnx_against_other_type(r2):
    ex(r2, "HSET", "h", "f", "v")
    assert ex(r2, "SETNX", "h", "x") == 0


def test_setnx_after_expiry(r2):
    ex(r2, "SET", "k", "a", "PX", 20)
    time.sleep(0.06)
    assert ex(r2, "SETNX", "k", "b") == 1
    assert ex(r2, "GET", "k") == b"b"
    assert ex(r2, "TTL", "k") == -1


def test_setex(r2):
    assert ex(r2, "SETEX", "k", 100, "v") == b"OK"
    assert ex(r2, "GET", "k") == b"v"
    assert 99 <= ex(r2, "TTL", "k") <= 100


def test_psetex(r2):
    assert ex(r2, "PSETEX", "k", 100000, "v") == b"OK"
    assert 99000 <= ex(r2, "PTTL", "k") <= 100000


@pytest.mark.parametrize("cmd", ["SETEX", "PSETEX"])
@pytest.mark.parametrize("val", [0, -1])
def test_setex_invalid_expire(r2, cmd, val):
    assert err(r2, cmd, "k", val, "v") == f"ERR invalid expire time in {cmd.lower()}"
    assert ex(r2, "EXISTS", "k") == 0


def test_setex_overflow(r2):
    assert err(r2, "SETEX", "k", INT64_MAX // 1000 + 1, "v") == "ERR invalid expire time in setex"
    assert err(r2, "PSETEX", "k", INT64_MAX, "v") == "ERR invalid expire time in psetex"


@pytest.mark.parametrize("cmd", ["SETEX", "PSETEX"])
def test_setex_not_integer(r2, cmd):
    assert err(r2, cmd, "k", "ten", "v") == NOT_INT


def test_setex_replaces_other_type(r2):
    ex(r2, "RPUSH", "k", "x")
    assert ex(r2, "SETEX", "k", 10, "v") == b"OK"
    assert ex(r2, "GET", "k") == b"v"


def test_setex_arity(r2):
    assert err(r2, "SETEX", "k", 10) == "ERR wrong number of arguments for 'setex' command"


def test_getset(r2):
    assert ex(r2, "GETSET", "k", "a") is None
    assert ex(r2, "GETSET", "k", "b") == b"a"
    assert ex(r2, "GET", "k") == b"b"


def test_getset_removes_ttl(r2):
    ex(r2, "SET", "k", "a", "EX", 100)
    ex(r2, "GETSET", "k", "b")
    assert ex(r2, "TTL", "k") == -1


def test_getset_wrongtype(r2):
    ex(r2, "SADD", "s", "a")
    assert err(r2, "GETSET", "s", "v") == WRONGTYPE
    assert ex(r2, "TYPE", "s") == b"set"


def test_getset_null_resp3(r):
    assert ex(r, "GETSET", "k", "a") is None


# --------------------------------------------------------------------------- GETEX / GETDEL


def test_getex_no_option_is_get(r2):
    ex(r2, "SET", "k", "v", "EX", 100)
    assert ex(r2, "GETEX", "k") == b"v"
    assert 99 <= ex(r2, "TTL", "k") <= 100


def test_getex_missing(r):
    assert ex(r, "GETEX", "nokey") is None
    assert ex(r, "GETEX", "nokey", "EX", 10) is None


@pytest.mark.parametrize("opt,val,lo,hi", [
    ("EX", 100, 99_000, 100_000), ("PX", 5000, 4_000, 5_000),
])
def test_getex_sets_relative_ttl(r2, opt, val, lo, hi):
    ex(r2, "SET", "k", "v")
    assert ex(r2, "GETEX", "k", opt, val) == b"v"
    assert lo <= ex(r2, "PTTL", "k") <= hi


def test_getex_exat_pxat(r2):
    ex(r2, "SET", "k", "v")
    assert ex(r2, "GETEX", "k", "EXAT", int(time.time()) + 200) == b"v"
    assert 198 <= ex(r2, "TTL", "k") <= 200
    assert ex(r2, "GETEX", "k", "PXAT", now_ms() + 30_000) == b"v"
    assert 28_000 <= ex(r2, "PTTL", "k") <= 30_000


def test_getex_past_exat_deletes(r2):
    ex(r2, "SET", "k", "v")
    assert ex(r2, "GETEX", "k", "EXAT", 1) == b"v"
    assert ex(r2, "EXISTS", "k") == 0


def test_getex_past_pxat_deletes(r2):
    ex(r2, "SET", "k", "v")
    assert ex(r2, "GETEX", "k", "PXAT", 5) == b"v"
    assert ex(r2, "EXISTS", "k") == 0


def test_getex_persist(r2):
    ex(r2, "SET", "k", "v", "EX", 100)
    assert ex(r2, "GETEX", "k", "PERSIST") == b"v"
    assert ex(r2, "TTL", "k") == -1
    assert ex(r2, "GETEX", "k", "PERSIST") == b"v"


def test_getex_wrongtype(r2):
    ex(r2, "LPUSH", "l", "a")
    assert err(r2, "GETEX", "l") == WRONGTYPE
    assert err(r2, "GETEX", "l", "EX", 0) == WRONGTYPE


@pytest.mark.parametrize("args", [
    ["PERSIST", "EX", 10], ["EX", 10, "PERSIST"], ["EX", 10, "PX", 10], ["PXAT", 1, "EXAT", 1],
    ["NX"], ["XX"], ["GET"], ["KEEPTTL"], ["EX"], ["FOO"], ["PX", 10, "KEEPTTL"],
])
def test_getex_syntax_errors(r2, args):
    ex(r2, "SET", "k", "v")
    assert err(r2, "GETEX", "k", *args) == SYNTAX


def test_getex_syntax_error_even_for_missing_key(r2):
    assert err(r2, "GETEX", "nokey", "FOO") == SYNTAX


@pytest.mark.parametrize("opt,val", [("EX", 0), ("PX", -1), ("EXAT", 0), ("EX", INT64_MAX),
                                     ("PX", INT64_MAX)])
def test_getex_invalid_expire(r2, opt, val):
    ex(r2, "SET", "k", "v")
    assert err(r2, "GETEX", "k", opt, val) == "ERR invalid expire time in getex"
    assert ex(r2, "TTL", "k") == -1


def test_getex_not_integer(r2):
    ex(r2, "SET", "k", "v")
    assert err(r2, "GETEX", "k", "EX", "1x") == NOT_INT


def test_getex_invalid_expire_on_missing_key_is_null(r2):
    assert ex(r2, "GETEX", "nokey", "EX", 0) is None
    assert ex(r2, "GETEX", "nokey", "EX", "abc") is None


def test_getdel(r2):
    ex(r2, "SET", "k", "v")
    assert ex(r2, "GETDEL", "k") == b"v"
    assert ex(r2, "EXISTS", "k") == 0
    assert ex(r2, "GETDEL", "k") is None


def test_getdel_null_resp3(r):
    assert ex(r, "GETDEL", "k") is None


def test_getdel_wrongtype(r2):
    ex(r2, "HSET", "h", "a", "b")
    assert err(r2, "GETDEL", "h") == WRONGTYPE
    assert ex(r2, "EXISTS", "h") == 1


# --------------------------------------------------------------------------- MSET / MSETNX / MGET


def test_mset_mget(r2):
    assert ex(r2, "MSET", "a", "1", "b", "2", "c", "3") == b"OK"
    assert ex(r2, "MGET", "a", "b", "c", "d") == [b"1", b"2", b"3", None]


def test_mget_nulls_resp3(r):
    ex(r, "SET", "a", "1")
    assert ex(r, "MGET", "x", "a") == [None, b"1"]


def test_mget_other_types_are_null(r2):
    ex(r2, "SET", "s", "v")
    ex(r2, "LPUSH", "l", "a")
    assert ex(r2, "MGET", "s", "l", "s") == [b"v", None, b"v"]


def test_mset_duplicate_keys_last_wins(r2):
    ex(r2, "MSET", "a", "1", "a", "2")
    assert ex(r2, "GET", "a") == b"2"


def test_mset_removes_ttl_and_replaces_types(r2):
    ex(r2, "SET", "a", "x", "EX", 100)
    ex(r2, "LPUSH", "b", "x")
    ex(r2, "MSET", "a", "1", "b", "2")
    assert ex(r2, "TTL", "a") == -1
    assert ex(r2, "GET", "b") == b"2"


@pytest.mark.parametrize("cmd", ["MSET", "MSETNX"])
def test_mset_odd_arguments(r2, cmd):
    assert err(r2, cmd, "a", "1", "b") == "ERR wrong number of arguments for MSET"
    assert ex(r2, "EXISTS", "a") == 0


@pytest.mark.parametrize("cmd", ["MSET", "MSETNX"])
def test_mset_arity(r2, cmd):
    assert err(r2, cmd, "a") == f"ERR wrong number of arguments for '{cmd.lower()}' command"


def test_msetnx(r2):
    assert ex(r2, "MSETNX", "a", "1", "b", "2") == 1
    assert ex(r2, "MSETNX", "b", "x", "c", "3") == 0
    assert ex(r2, "MGET", "a", "b", "c") == [b"1", b"2", None]


def test_msetnx_other_type_blocks(r2):
    ex(r2, "SADD", "s", "x")
    assert ex(r2, "MSETNX", "a", "1", "s", "2") == 0
    assert ex(r2, "EXISTS", "a") == 0


def test_msetnx_duplicate_new_keys(r2):
    assert ex(r2, "MSETNX", "a", "1", "a", "2") == 1
    assert ex(r2, "GET", "a") == b"2"


def test_mget_arity(r2):
    assert err(r2, "MGET") == "ERR wrong number of arguments for 'mget' command"


# --------------------------------------------------------------------------- APPEND / STRLEN


def test_append_creates_and_extends(r2):
    assert ex(r2, "APPEND", "k", "hello") == 5
    assert ex(r2, "APPEND", "k", " world") == 11
    assert ex(r2, "GET", "k") == b"hello world"


def test_append_empty(r2):
    assert ex(r2, "APPEND", "k", "") == 0
    assert ex(r2, "EXISTS", "k") == 1
    assert ex(r2, "GET", "k") == b""


def test_append_to_integer(r2):
    ex(r2, "SET", "k", 12)
    assert ex(r2, "APPEND", "k", 34) == 4
    assert ex(r2, "INCR", "k") == 1235


def test_append_keeps_ttl(r2):
    ex(r2, "SET", "k", "a", "EX", 100)
    ex(r2, "APPEND", "k", "b")
    assert 99 <= ex(r2, "TTL", "k") <= 100


def test_append_wrongtype(r2):
    ex(r2, "LPUSH", "l", "a")
    assert err(r2, "APPEND", "l", "x") == WRONGTYPE


def test_append_binary(r2):
    ex(r2, "APPEND", "k", b"\x00\xff")
    ex(r2, "APPEND", "k", b"\r\n")
    assert ex(r2, "GET", "k") == b"\x00\xff\r\n"


def test_append_too_big(r2, make_client):
    admin = make_client()
    ex(admin, "CONFIG", "SET", "proto-max-bulk-len", 1024 * 1024)
    try:
        ex(r2, "SETRANGE", "k", 1024 * 1024 - 2, "ab")
        assert err(r2, "APPEND", "k", "c") == TOO_BIG
        assert ex(r2, "STRLEN", "k") == 1024 * 1024
    finally:
        ex(admin, "CONFIG", "SET", "proto-max-bulk-len", 512 * 1024 * 1024)


def test_strlen(r2):
    assert ex(r2, "STRLEN", "nokey") == 0
    ex(r2, "SET", "k", "hello")
    assert ex(r2, "STRLEN", "k") == 5
    ex(r2, "SET", "n", 12345)
    assert ex(r2, "STRLEN", "n") == 5


def test_strlen_wrongtype(r2):
    ex(r2, "SADD", "s", "a")
    assert err(r2, "STRLEN", "s") == WRONGTYPE


# --------------------------------------------------------------------------- GETRANGE / SUBSTR


@pytest.mark.parametrize("cmd", ["GETRANGE", "SUBSTR"])
@pytest.mark.parametrize("start,end,expected", [
    (0, 3, b"This"), (-3, -1, b"ing"), (0, -1, b"This is a string"), (10, 100, b"string"),
    (5, 3, b""), (-1, -5, b""), (-100, 3, b"This"), (-100, -100, b"T"), (100, 200, b""),
    (15, 15, b"g"), (-1, -1, b"g"), (0, 0, b"T"), (3, -100, b""),
    (-9223372036854775808, 9223372036854775807, b"This is a string"),
])
def test_getrange(r2, cmd, start, end, expected):
    ex(r2, "SET", "k", "This is a string")
    assert ex(r2, cmd, "k", start, end) == expected


def test_getrange_missing_is_empty(r2):
    assert ex(r2, "GETRANGE", "nokey", 0, -1) == b""


def test_getrange_empty_string(r2):
    ex(r2, "SET", "k", "")
    assert ex(r2, "GETRANGE", "k", 0, -1) == b""
    assert ex(r2, "GETRANGE", "k", -1, 0) == b""


def test_getrange_integer_value(r2):
    ex(r2, "SET", "k", 1234)
    assert ex(r2, "GETRANGE", "k", 1, 2) == b"23"


def test_getrange_not_integer(r2):
    ex(r2, "SET", "k", "v")
    assert err(r2, "GETRANGE", "k", "a", 1) == NOT_INT
    assert err(r2, "GETRANGE", "k", 0, "1.0") == NOT_INT
    assert err(r2, "GETRANGE", "nokey", 0, "x") == NOT_INT


def test_getrange_wrongtype(r2):
    ex(r2, "LPUSH", "l", "a")
    assert err(r2, "GETRANGE", "l", 0, 1) == WRONGTYPE


def test_getrange_arity(r2):
    assert err(r2, "GETRANGE", "k", 0) == "ERR wrong number of arguments for 'getrange' command"


# --------------------------------------------------------------------------- SETRANGE


def test_setrange_overwrites(r2):
    ex(r2, "SET", "k", "Hello World")
    assert ex(r2, "SETRANGE", "k", 6, "Redis") == 11
    assert ex(r2, "GET", "k") == b"Hello Redis"


def test_setrange_pads_with_zeros(r2):
    assert ex(r2, "SETRANGE", "k", 5, "x") == 6
    assert ex(r2, "GET", "k") == b"\x00\x00\x00\x00\x00x"


def test_setrange_extends(r2):
    ex(r2, "SET", "k", "abc")
    assert ex(r2, "SETRANGE", "k", 2, "XYZ") == 5
    assert ex(r2, "GET", "k") == b"abXYZ"
    assert ex(r2, "SETRANGE", "k", 7, "!") == 8
    assert ex(r2, "GET", "k") == b"abXYZ\x00\x00!"


def test_setrange_empty_value_missing_key(r2):
    assert ex(r2, "SETRANGE", "k", 0, "") == 0
    assert ex(r2, "EXISTS", "k") == 0
    assert ex(r2, "SETRANGE", "k", 100, "") == 0
    assert ex(r2, "EXISTS", "k") == 0


def test_setrange_empty_value_existing_key(r2):
    ex(r2, "SET", "k", "foo")
    assert ex(r2, "SETRANGE", "k", 1, "") == 3
    assert ex(r2, "SETRANGE", "k", 100, "") == 3
    assert ex(r2, "GET", "k") == b"foo"


def test_setrange_on_integer(r2):
    ex(r2, "SET", "k", 1234)
    assert ex(r2, "SETRANGE", "k", 1, "9") == 4
    assert ex(r2, "GET", "k") == b"1934"


def test_setrange_keeps_ttl(r2):
    ex(r2, "SET", "k", "abc", "EX", 100)
    ex(r2, "SETRANGE", "k", 1, "X")
    assert 99 <= ex(r2, "TTL", "k") <= 100


def test_setrange_negative_offset(r2):
    assert err(r2, "SETRANGE", "k", -1, "x") == "ERR offset is out of range"


def test_setrange_offset_not_integer(r2):
    assert err(r2, "SETRANGE", "k", "x", "v") == NOT_INT
    assert err(r2, "SETRANGE", "k", "9223372036854775808", "v") == NOT_INT


def test_setrange_offset_errors_before_wrongtype(r2):
    ex(r2, "LPUSH", "l", "a")
    assert err(r2, "SETRANGE", "l", -1, "x") == "ERR offset is out of range"
    assert err(r2, "SETRANGE", "l", 0, "x") == WRONGTYPE
    assert err(r2, "SETRANGE", "l", 0, "") == WRONGTYPE


def test_setrange_too_big(r2):
    assert err(r2, "SETRANGE", "k", 512 * 1024 * 1024 - 1, "ab") == TOO_BIG
    assert err(r2, "SETRANGE", "k", INT64_MAX, "a") == TOO_BIG
    assert ex(r2, "EXISTS", "k") == 0


def test_setrange_too_big_existing(r2):
    ex(r2, "SET", "k", "v")
    assert err(r2, "SETRANGE", "k", 512 * 1024 * 1024, "a") == TOO_BIG
    assert ex(r2, "SETRANGE", "k", 512 * 1024 * 1024, "") == 1


def test_setrange_respects_proto_max_bulk_len(r2, make_client):
    admin = make_client()
    ex(admin, "CONFIG", "SET", "proto-max-bulk-len", 1024 * 1024)
    try:
        assert err(r2, "SETRANGE", "k", 1024 * 1024 - 1, "ab") == TOO_BIG
        assert ex(r2, "SETRANGE", "k", 1024 * 1024 - 2, "ab") == 1024 * 1024
    finally:
        ex(admin, "CONFIG", "SET", "proto-max-bulk-len", 512 * 1024 * 1024)


# --------------------------------------------------------------------------- STRALGO LCS


def test_lcs_strings(r2):
    assert ex(r2, "STRALGO", "LCS", "STRINGS", "ohmytext", "mynewtext") == b"mytext"


def test_lcs_keys(r2):
    ex(r2, "MSET", "key1", "ohmytext", "key2", "mynewtext")
    assert ex(r2, "STRALGO", "LCS", "KEYS", "key1", "key2") == b"mytext"


def test_lcs_len(r2):
    assert ex(r2, "STRALGO", "LCS", "LEN", "STRINGS", "ohmytext", "mynewtext") == 6


def test_lcs_idx_resp2(r2):
    reply = ex(r2, "STRALGO", "LCS", "IDX", "STRINGS", "ohmytext", "mynewtext")
    assert reply == [b"matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], b"len", 6]


def test_lcs_idx_resp3_is_map(r):
    reply = ex(r, "STRALGO", "LCS", "IDX", "STRINGS", "ohmytext", "mynewtext")
    if isinstance(reply, dict):
        assert reply == {b"matches": [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], b"len": 6}
    else:
        assert reply == [b"matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], b"len", 6]


def test_lcs_idx_map_raw(raw):
    body = b"$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:0\r\n:1\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:2\r\n"
    assert raw.cmd("STRALGO", "LCS", "IDX", "STRINGS", "ab", "ab") == b"*4\r\n" + body
    raw.cmd("HELLO", "3")
    assert raw.cmd("STRALGO", "LCS", "IDX", "STRINGS", "ab", "ab") == b"%2\r\n" + body


def test_lcs_idx_withmatchlen_minmatchlen(r2):
    reply = ex(r2, "STRALGO", "LCS", "IDX", "MINMATCHLEN", 4, "WITHMATCHLEN",
               "STRINGS", "ohmytext", "mynewtext")
    assert reply == [b"matches", [[[4, 7], [5, 8], 4]], b"len", 6]


def test_lcs_negative_minmatchlen_is_zero(r2):
    reply = ex(r2, "STRALGO", "LCS", "MINMATCHLEN", -5, "STRINGS", "ab", "ab", "IDX")
    assert reply == [b"matches", [[[0, 1], [0, 1]]], b"len", 2]


def test_lcs_missing_keys_are_empty(r2):
    assert ex(r2, "STRALGO", "LCS", "KEYS", "x", "y") == b""
    assert ex(r2, "STRALGO", "LCS", "KEYS", "x", "y", "LEN") == 0
    assert ex(r2, "STRALGO", "LCS", "KEYS", "x", "y", "IDX") == [b"matches", [], b"len", 0]


def test_lcs_wrongtype_keys(r2):
    ex(r2, "LPUSH", "l", "a")
    ex(r2, "SET", "s", "abc")
    assert err(r2, "STRALGO", "LCS", "KEYS", "s", "l") == \
        "ERR The specified keys must contain string values"


def test_lcs_no_common(r2):
    assert ex(r2, "STRALGO", "LCS", "STRINGS", "abc", "xyz") == b""
    assert ex(r2, "STRALGO", "LCS", "IDX", "STRINGS", "abc", "xyz") == [b"matches", [], b"len", 0]


@pytest.mark.parametrize("a,b,lcs,idx", [
    ("abcde", "abcde", b"abcde", [[[0, 4], [0, 4]]]),
    ("a", "", b"", []),
    ("xaxbxc", "abc", b"abc", [[[5, 5], [2, 2]], [[3, 3], [1, 1]], [[1, 1], [0, 0]]]),
    ("aaaa", "aa", b"aa", [[[2, 3], [0, 1]]]),
    ("1234ab5678", "ab", b"ab", [[[4, 5], [0, 1]]]),
])
def test_lcs_cases(r2, a, b, lcs, idx):
    assert ex(r2, "STRALGO", "LCS", "STRINGS", a, b) == lcs
    assert ex(r2, "STRALGO", "LCS", "STRINGS", a, b, "IDX") == [b"matches", idx, b"len", len(lcs)]


def test_lcs_longer_strings(r2):
    a = ("ACCGGTCGAGTGCGCGGAAGCCGGCCGAA" * 4).encode()
    b = ("GTCGTTCGGAATGCCGTTGCTCTGTAAA" * 4).encode()
    s = ex(r2, "STRALGO", "LCS", "STRINGS", a, b)
    assert ex(r2, "STRALGO", "LCS", "STRINGS", a, b, "LEN") == len(s)
    reply = ex(r2, "STRALGO", "LCS", "STRINGS", a, b, "IDX", "WITHMATCHLEN")
    assert reply[3] == len(s)
    assert sum(m[2] for m in reply[1]) == len(s)


@pytest.mark.parametrize("args,msg", [
    (["LCS"], "ERR Please specify two strings: STRINGS or KEYS options are mandatory"),
    (["LCS", "IDX"], "ERR Please specify two strings: STRINGS or KEYS options are mandatory"),
    (["LCS", "KEYS", "a"], SYNTAX),
    (["LCS", "STRINGS"], SYNTAX),
    (["LCS", "STRINGS", "a", "b", "KEYS", "c", "d"], "ERR Either use STRINGS or KEYS"),
    (["LCS", "STRINGS", "a", "b", "STRINGS", "c", "d"], "ERR Either use STRINGS or KEYS"),
    (["LCS", "STRINGS", "a", "b", "IDX", "LEN"],
     "ERR If you want both the length and indexes, please just use IDX."),
    (["LCS", "STRINGS", "a", "b", "MINMATCHLEN", "x"], NOT_INT),
    (["LCS", "STRINGS", "a", "b", "MINMATCHLEN"], SYNTAX),
    (["LCS", "FOO"], SYNTAX),
    (["FOO", "STRINGS", "a", "b"], SYNTAX),
])
def test_lcs_errors(r2, args, msg):
    assert err(r2, "STRALGO", *args) == msg


def test_stralgo_arity(r2):
    assert err(r2, "STRALGO") == "ERR wrong number of arguments for 'stralgo' command"


def test_stralgo_getkeys(r2):
    assert ex(r2, "COMMAND", "GETKEYS", "STRALGO", "LCS", "KEYS", "a", "b") == [b"a", b"b"]
    assert ex(r2, "COMMAND", "GETKEYS", "STRALGO", "LCS", "IDX", "KEYS", "a", "b") == [b"a", b"b"]


# --------------------------------------------------------------------------- command table


@pytest.mark.parametrize("name,entry", [
    ("set", [b"set", -3, [b"write", b"denyoom"], 1, 1, 1]),
    ("get", [b"get", 2, [b"readonly", b"fast"], 1, 1, 1]),
    ("getex", [b"getex", -2, [b"write", b"fast"], 1, 1, 1]),
    ("getdel", [b"getdel", 2, [b"write", b"fast"], 1, 1, 1]),
    ("getset", [b"getset", 3, [b"write", b"denyoom", b"fast"], 1, 1, 1]),
    ("setnx", [b"setnx", 3, [b"write", b"denyoom", b"fast"], 1, 1, 1]),
    ("setex", [b"setex", 4, [b"write", b"denyoom"], 1, 1, 1]),
    ("psetex", [b"psetex", 4, [b"write", b"denyoom"], 1, 1, 1]),
    ("mset", [b"mset", -3, [b"write", b"denyoom"], 1, -1, 2]),
    ("msetnx", [b"msetnx", -3, [b"write", b"denyoom"], 1, -1, 2]),
    ("mget", [b"mget", -2, [b"readonly", b"fast"], 1, -1, 1]),
    ("append", [b"append", 3, [b"write", b"denyoom", b"fast"], 1, 1, 1]),
    ("strlen", [b"strlen", 2, [b"readonly", b"fast"], 1, 1, 1]),
    ("getrange", [b"getrange", 4, [b"readonly"], 1, 1, 1]),
    ("substr", [b"substr", 4, [b"readonly"], 1, 1, 1]),
    ("setrange", [b"setrange", 4, [b"write", b"denyoom"], 1, 1, 1]),
    ("stralgo", [b"stralgo", -2, [b"readonly", b"movablekeys"], 0, 0, 0]),
])
def test_command_info(r2, name, entry):
    info = ex(r2, "COMMAND", "INFO", name)[0]
    assert info[:6] == entry


# --------------------------------------------------------------------------- keyspace events


def test_events_set_family(r2, events):
    ex(r2, "SET", "a", "1")
    ex(r2, "SET", "b", "1", "EX", 100)
    ex(r2, "SETEX", "c", 100, "v")
    ex(r2, "SETNX", "d", "v")
    ex(r2, "SETNX", "d", "v")
    ex(r2, "GETSET", "a", "2")
    ex(r2, "MSET", "e", "1", "f", "2")
    assert drain(events, 9) == [
        ("set", "a"), ("set", "b"), ("expire", "b"), ("set", "c"), ("expire", "c"),
        ("set", "d"), ("set", "a"), ("set", "e"), ("set", "f")]


def test_events_getex_getdel(r2, events):
    ex(r2, "SET", "a", "1")
    ex(r2, "GETEX", "a")
    ex(r2, "GETEX", "a", "EX", 100)
    ex(r2, "GETEX", "a", "PERSIST")
    ex(r2, "GETEX", "a", "PERSIST")
    ex(r2, "GETEX", "a", "PXAT", 1)
    ex(r2, "SET", "b", "1")
    ex(r2, "GETDEL", "b")
    ex(r2, "GETDEL", "b")
    assert drain(events, 6) == [
        ("set", "a"), ("expire", "a"), ("persist", "a"), ("del", "a"), ("set", "b"), ("del", "b")]


def test_events_append_setrange(r2, events):
    ex(r2, "APPEND", "a", "x")
    ex(r2, "SETRANGE", "a", 3, "y")
    ex(r2, "SETRANGE", "a", 3, "")
    ex(r2, "SETRANGE", "b", 0, "")
    assert drain(events, 2) == [("append", "a"), ("setrange", "a")]
