"""SCAN, as Redis 6.2.14 does it: the iteration guarantee (keys present for the whole iteration
are returned), cursor parsing, COUNT / MATCH / TYPE, expired keys, several databases, reply
shapes.  Cursors are opaque: tests only ever pass back what the server returned.
"""

from __future__ import annotations

import time

import pytest

from .helpers import err, ex

SYNTAX = "ERR syntax error"
NOT_INT = "ERR value is not an integer or out of range"
INVALID = "ERR invalid cursor"


def mset(c, keys, value="v"):
    keys = list(keys)
    for i in range(0, len(keys), 500):
        ex(c, "MSET", *(x for k in keys[i:i + 500] for x in (k, value)))


def scan_all(c, *options, cursor=b"0"):
    """Iterate to the end; returns (list of keys with repetitions, number of calls, batches)."""
    keys, calls, batches = [], 0, []
    while True:
        cursor, batch = ex(c, "SCAN", cursor, *options)
        calls += 1
        keys.extend(batch)
        batches.append(batch)
        if cursor == b"0":
            return keys, calls, batches
        assert calls < 100_000


# --------------------------------------------------------------------------- the guarantee


@pytest.mark.parametrize("count", [1, 3, 10, 100, 5000])
def test_full_iteration_returns_every_key_once(r2, count):
    keys = {f"key:{i}".encode() for i in range(700)}
    mset(r2, keys)
    found, calls, _ = scan_all(r2, "COUNT", count)
    assert set(found) == keys
    assert len(found) == len(keys)  # nothing changed during the scan: no duplicates
    if count < 700:
        assert calls > 1


def test_keys_present_throughout_survive_concurrent_writes(r2, make_client):
    writer = make_client()
    stable = {f"stable:{i}".encode() for i in range(400)}
    mset(r2, stable)
    mset(r2, (f"churn:{i}" for i in range(400)))
    cursor, seen, step = b"0", set(), 0
    while True:
        cursor, batch = ex(r2, "SCAN", cursor, "COUNT", 15)
        seen.update(batch)
        # between calls: delete some keys, add new ones, delete-and-recreate others
        ex(writer, "DEL", *(f"churn:{step * 7 + j}" for j in range(7)))
        mset(writer, (f"new:{step}:{j}" for j in range(5)))
        ex(writer, "DEL", f"stable:{step % 10}x")
        step += 1
        if cursor == b"0":
            break
    assert stable <= seen


def test_keys_added_during_scan_may_or_may_not_appear(r2):
    mset(r2, (f"a{i}" for i in range(50)))
    cursor, batch = ex(r2, "SCAN", 0, "COUNT", 5)
    mset(r2, (f"b{i}" for i in range(50)))
    seen = set(batch)
    while cursor != b"0":
        cursor, batch = ex(r2, "SCAN", cursor, "COUNT", 5)
        seen.update(batch)
    assert {f"a{i}".encode() for i in range(50)} <= seen
    assert seen <= {f"a{i}".encode() for i in range(50)} | {f"b{i}".encode() for i in range(50)}


def test_deleted_keys_are_not_returned_after_deletion(r2):
    mset(r2, (f"k{i}" for i in range(100)))
    cursor, first = ex(r2, "SCAN", 0, "COUNT", 10)
    ex(r2, "DEL", *(f"k{i}" for i in range(100)))
    rest = []
    while cursor != b"0":
        cursor, batch = ex(r2, "SCAN", cursor, "COUNT", 10)
        rest += batch
    assert rest == []


def test_count_is_respected_roughly(r2):
    mset(r2, (f"k{i}" for i in range(1000)))
    cursor, batch = ex(r2, "SCAN", 0)
    assert 1 <= len(batch) <= 30 and cursor != b"0"
    cursor, batch = ex(r2, "SCAN", 0, "COUNT", 100)
    assert 50 <= len(batch) <= 200


def test_small_db_with_big_count_finishes_in_one_call(r2):
    mset(r2, (f"k{i}" for i in range(100)))
    cursor, batch = ex(r2, "SCAN", 0, "COUNT", 1000)
    assert cursor == b"0" and len(batch) == 100


def test_scan_per_database(r2):
    mset(r2, ["db0"])
    ex(r2, "SELECT", 5)
    mset(r2, ["db5a", "db5b"])
    found, _, _ = scan_all(r2)
    assert sorted(found) == [b"db5a", b"db5b"]
    ex(r2, "SELECT", 6)
    assert ex(r2, "SCAN", 0) == [b"0", []]


def test_scan_after_flushdb_finishes(r2):
    mset(r2, (f"k{i}" for i in range(100)))
    cursor, _ = ex(r2, "SCAN", 0, "COUNT", 10)
    ex(r2, "FLUSHDB")
    rest = []
    while cursor != b"0":
        cursor, batch = ex(r2, "SCAN", cursor, "COUNT", 10)
        rest += batch
    assert rest == []


def test_scan_binary_keys(r2):
    keys = {b"", b"\x00", b"\xff\xfe", b"a\r\nb", b"x" * 1000}
    for k in keys:
        ex(r2, "SET", k, "1")
    found, _, _ = scan_all(r2, "COUNT", 2)
    assert set(found) == keys


# --------------------------------------------------------------------------- MATCH


def test_match_filters_after_counting(r2):
    mset(r2, (f"user:{i}" for i in range(100)))
    mset(r2, (f"item:{i}" for i in range(100)))
    found, calls, batches = scan_all(r2, "MATCH", "user:*", "COUNT", 10)
    assert sorted(found) == sorted(f"user:{i}".encode() for i in range(100))
    assert calls > 10


def test_match_nothing(r2):
    mset(r2, (f"k{i}" for i in range(50)))
    found, _, _ = scan_all(r2, "MATCH", "nomatch*", "COUNT", 5)
    assert found == []


@pytest.mark.parametrize(
    "pattern, expected",
    [
        ("*", [b"", b"a", b"ab", b"b?"]),
        ("**", [b"a", b"ab", b"b?"]),
        ("a*", [b"a", b"ab"]),
        ("?", [b"a"]),
        ("b\\?", [b"b?"]),
        ("[ab]", [b"a"]),
        ("", [b""]),
    ],
)
def test_match_patterns(r2, pattern, expected):
    for k in ("", "a", "ab", "b?"):
        ex(r2, "SET", k, "1")
    found, _, _ = scan_all(r2, "MATCH", pattern)
    assert sorted(found) == sorted(expected)


def test_match_binary_pattern(r2):
    ex(r2, "SET", b"k\x00\xff", "1")
    ex(r2, "SET", b"k\x00a", "1")
    found, _, _ = scan_all(r2, "MATCH", b"k\x00\xff*")
    assert found == [b"k\x00\xff"]


# --------------------------------------------------------------------------- TYPE


@pytest.mark.parametrize("kind", ["string", "list", "set", "zset", "hash", "STRING", "ZSet"])
def test_type_filter(r2, kind):
    ex(r2, "SET", "s", "v")
    ex(r2, "RPUSH", "l", "a")
    ex(r2, "SADD", "st", "a")
    ex(r2, "ZADD", "z", 1, "a")
    ex(r2, "HSET", "h", "f", "v")
    expected = {"string": b"s", "list": b"l", "set": b"st", "zset": b"z", "hash": b"h"}[kind.lower()]
    found, _, _ = scan_all(r2, "TYPE", kind)
    assert found == [expected]


def test_type_and_match_together(r2):
    mset(r2, (f"s{i}" for i in range(30)))
    for i in range(30):
        ex(r2, "RPUSH", f"l{i}", "x")
    found, _, _ = scan_all(r2, "MATCH", "*1*", "TYPE", "list", "COUNT", 7)
    assert sorted(found) == sorted(f"l{i}".encode() for i in range(30) if "1" in str(i))


@pytest.mark.parametrize("kind", ["none", "stream", "", "strings", "str*"])
def test_type_filter_matching_nothing(r2, kind):
    mset(r2, (f"k{i}" for i in range(10)))
    found, _, _ = scan_all(r2, "TYPE", kind)
    assert found == []


def test_type_name_is_a_c_string(r2):
    mset(r2, (f"k{i}" for i in range(10)))
    found, _, _ = scan_all(r2, "TYPE", b"string\x00junk")
    assert sorted(found) == sorted(f"k{i}".encode() for i in range(10))


# --------------------------------------------------------------------------- expired keys


def test_expired_keys_are_skipped_and_deleted(r2):
    mset(r2, (f"live{i}" for i in range(20)))
    for i in range(20):
        ex(r2, "SET", f"dead{i}", "1", "PX", 1)
    time.sleep(0.02)
    found, _, _ = scan_all(r2, "COUNT", 5)
    assert sorted(found) == sorted(f"live{i}".encode() for i in range(20))
    assert ex(r2, "DBSIZE") == 20


def test_keys_with_ttl_are_returned(r2):
    ex(r2, "SET", "a", "1", "EX", 100)
    assert ex(r2, "SCAN", 0) == [b"0", [b"a"]]


# --------------------------------------------------------------------------- cursor parsing


@pytest.mark.parametrize("cursor", ["x", "1x", " 0", "0 ", "\t0", "18446744073709551616", "-18446744073709551616",
                                    "+", "-", "0x0", "1.0", "99999999999999999999"])
def test_invalid_cursor(r2, cursor):
    assert err(r2, "SCAN", cursor) == INVALID


@pytest.mark.parametrize("cursor", ["", "0", "+0", "-0", "000"])
def test_zero_cursors_start_a_scan(r2, cursor):
    ex(r2, "SET", "a", "1")
    assert ex(r2, "SCAN", cursor, "COUNT", 100) == [b"0", [b"a"]]


@pytest.mark.parametrize("cursor", ["18446744073709551615", "-1", "-18446744073709551615", "123456789"])
def test_unusual_valid_cursors(r2, cursor):
    reply = ex(r2, "SCAN", cursor)
    assert reply == [b"0", []]


def test_invalid_cursor_before_options(r2):
    assert err(r2, "SCAN", "x", "COUNT", 0) == INVALID


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize(
    "args, message",
    [
        (("COUNT", "0"), SYNTAX),
        (("COUNT", "-5"), SYNTAX),
        (("COUNT", "1.5"), NOT_INT),
        (("COUNT", ""), NOT_INT),
        (("COUNT", "9223372036854775808"), NOT_INT),
        (("COUNT",), SYNTAX),
        (("MATCH",), SYNTAX),
        (("TYPE",), SYNTAX),
        (("COUNT", "10", "MATCH"), SYNTAX),
        (("LIMIT", "10"), SYNTAX),
        (("COUNT", "x", "FOO"), NOT_INT),
        (("FOO", "COUNT", "x"), SYNTAX),
    ],
)
def test_option_errors(r2, args, message):
    assert err(r2, "SCAN", "0", *args) == message


def test_options_case_insensitive_and_repeated(r2):
    mset(r2, ["a1", "a2", "b1"])
    found, _, _ = scan_all(r2, "match", "b*", "Count", "1", "MATCH", "a*", "COUNT", "100")
    assert sorted(found) == [b"a1", b"a2"]


def test_huge_count(r2):
    mset(r2, (f"k{i}" for i in range(10)))
    cursor, batch = ex(r2, "SCAN", 0, "COUNT", 9223372036854775807)
    assert cursor == b"0" and len(batch) == 10


# --------------------------------------------------------------------------- replies


def test_reply_shape(r):
    ex(r, "SET", "a", "1")
    assert ex(r, "SCAN", 0) == [b"0", [b"a"]]


def test_reply_bytes_with_keys(raw):
    raw.cmd("SET", "k", "1")
    assert raw.cmd("SCAN", "0") == b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n"


def test_cursor_is_a_decimal_bulk_string(r2):
    mset(r2, (f"k{i}" for i in range(100)))
    cursor, _ = ex(r2, "SCAN", 0, "COUNT", 2)
    assert cursor.isdigit() and cursor != b"0"
    assert 0 < int(cursor) < 2**64


def test_scan_iter_helper(r):
    mset(r, (f"k{i}" for i in range(120)))
    assert sorted(r.scan_iter(match="k1*", count=7)) == sorted(f"k{i}".encode() for i in range(120)
                                                                if str(i).startswith("1"))


def test_scan_wrong_arity(r2):
    assert err(r2, "SCAN") == "ERR wrong number of arguments for 'scan' command"
