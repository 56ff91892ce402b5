"""SORT, as Redis 6.2.14 does it (sort.c): numeric and ALPHA order, BY / GET patterns (keys and
hash fields), LIMIT arithmetic, STORE, the "nosort" cases, and every error.

Redis 6.2 has no SORT_RO.  Every test starts with all databases empty.
"""

from __future__ import annotations

import pytest

from .helpers import err, ex

SYNTAX = "ERR syntax error"
NOT_INT = "ERR value is not an integer or out of range"
CONVERSION = "ERR One or more scores can't be converted into double"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def b(*items):
    return [x if isinstance(x, bytes) or x is None else str(x).encode() for x in items]


@pytest.fixture
def users(r2):
    """A list of ids with weights, names and hash fields (the classic SORT example)."""
    ex(r2, "RPUSH", "ids", 3, 1, 2, 4)
    for i, (w, name) in {1: (40, "dora"), 2: (10, "bob"), 3: (30, "carl"), 4: (20, "al")}.items():
        ex(r2, "SET", f"w_{i}", w)
        ex(r2, "SET", f"name_{i}", name)
        ex(r2, "HSET", f"user:{i}", "age", w + 1, "name", name.upper())
    return r2


# --------------------------------------------------------------------------- basic order


def test_sort_list_numeric(r2):
    ex(r2, "RPUSH", "l", 3, 10, -1, 2.5, 0)
    assert ex(r2, "SORT", "l") == b(-1, 0, 2.5, 3, 10)
    assert ex(r2, "SORT", "l", "DESC") == b(10, 3, 2.5, 0, -1)
    assert ex(r2, "SORT", "l", "ASC") == b(-1, 0, 2.5, 3, 10)


def test_sort_set_and_zset(r2):
    ex(r2, "SADD", "s", 5, 3, 10, 1)
    ex(r2, "ZADD", "z", 1, 30, 2, 10, 3, 20)
    assert ex(r2, "SORT", "s") == b(1, 3, 5, 10)
    assert ex(r2, "SORT", "z") == b(10, 20, 30)
    assert ex(r2, "SORT", "z", "DESC") == b(30, 20, 10)


def test_sort_set_with_strings(r2):
    ex(r2, "SADD", "s", "b", "a", "c")
    assert ex(r2, "SORT", "s", "ALPHA") == b("a", "b", "c")
    assert err(r2, "SORT", "s") == CONVERSION


def test_sort_alpha(r2):
    ex(r2, "RPUSH", "l", "b", "a", "B", "10", "9", "", "A")
    assert ex(r2, "SORT", "l", "ALPHA") == b("", "10", "9", "A", "B", "a", "b")
    assert ex(r2, "SORT", "l", "ALPHA", "DESC") == b("b", "a", "B", "A", "9", "10", "")


def test_sort_alpha_binary_safe_with_store(r2):
    ex(r2, "RPUSH", "l", b"a\x00z", b"a\x00b", b"a", b"\xff", b"\xc3\xa9")
    assert ex(r2, "SORT", "l", "ALPHA", "STORE", "dst") == 5
    assert ex(r2, "LRANGE", "dst", 0, -1) == [b"a", b"a\x00b", b"a\x00z", b"\xc3\xa9", b"\xff"]


def test_sort_alpha_without_store_compares_c_strings(r2):
    # without STORE Redis uses strcoll(), which stops at the first NUL byte: equal strings keep
    # their original order
    ex(r2, "RPUSH", "l", b"b", b"a\x00z", b"a\x00b", b"a")
    assert ex(r2, "SORT", "l", "ALPHA") == [b"a\x00z", b"a\x00b", b"a", b"b"]
    assert ex(r2, "SORT", "l", "ALPHA", "DESC") == [b"b", b"a\x00z", b"a\x00b", b"a"]


def test_equal_scores_are_ordered_by_element(r2):
    ex(r2, "RPUSH", "l", "1.0", "1", "01", "1e0", "0.5")
    assert ex(r2, "SORT", "l") == b("0.5", "01", "1", "1.0", "1e0")
    assert ex(r2, "SORT", "l", "DESC") == b("1e0", "1.0", "1", "01", "0.5")


def test_sort_keeps_duplicates(r2):
    ex(r2, "RPUSH", "l", 2, 1, 2, 1)
    assert ex(r2, "SORT", "l") == b(1, 1, 2, 2)


def test_options_are_case_insensitive_and_last_wins(r2):
    ex(r2, "RPUSH", "l", 1, 3, 2)
    assert ex(r2, "SORT", "l", "desc", "asc") == b(1, 2, 3)
    assert ex(r2, "SORT", "l", "asc", "DeSc") == b(3, 2, 1)
    assert ex(r2, "SORT", "l", "limit", 0, 1, "LIMIT", 1, 1) == b(2)


# --------------------------------------------------------------------------- scores


@pytest.mark.parametrize(
    "value, ok",
    [
        ("", True),  # strtod converts nothing and stops at the end: 0
        (" 5", True),  # leading space is skipped by strtod
        ("5 ", False),
        ("+5", True),
        ("-0", True),
        ("1.", True),
        (".5", True),
        (".", False),
        ("0x1A", True),  # hexadecimal
        ("0x1.8p1", True),
        ("0x", False),
        ("1e", False),
        ("1_0", False),
        ("inf", True),
        ("-Infinity", True),
        ("nan", False),
        ("1e400", False),  # overflow
        ("1e-400", False),  # underflow to 0
        ("1e-310", False),  # inexact subnormal: ERANGE
        ("0e-500", True),
        ("0x1p-1074", True),  # exact subnormal
        ("abc", False),
    ],
)
def test_score_conversion(r2, value, ok):
    ex(r2, "RPUSH", "l", value)
    if ok:
        assert ex(r2, "SORT", "l") == [value.encode()]
    else:
        assert err(r2, "SORT", "l") == CONVERSION


def test_score_order_with_special_values(r2):
    ex(r2, "RPUSH", "l", "", " 1", "0x10", "inf", "-inf", "3")
    assert ex(r2, "SORT", "l") == b("-inf", "", " 1", "3", "0x10", "inf")


def test_conversion_error_stores_nothing(r2):
    ex(r2, "RPUSH", "l", 1, "x")
    ex(r2, "SET", "dst", "old")
    assert err(r2, "SORT", "l", "STORE", "dst") == CONVERSION
    assert ex(r2, "GET", "dst") == b"old"


def test_conversion_error_even_outside_limit(r2):
    ex(r2, "RPUSH", "l", 1, 2, "x")
    assert err(r2, "SORT", "l", "LIMIT", 0, 1) == CONVERSION


def test_alpha_never_converts(r2):
    ex(r2, "RPUSH", "l", "x", "nan", "1e999")
    assert ex(r2, "SORT", "l", "ALPHA") == b("1e999", "nan", "x")


# --------------------------------------------------------------------------- LIMIT


@pytest.mark.parametrize(
    "start, count, expected",
    [
        (0, 2, [1, 2]),
        (1, 2, [2, 3]),
        (3, 10, [4, 5]),
        (4, 1, [5]),
        (5, 1, []),
        (100, 1, []),
        (-5, 2, [1, 2]),
        (0, -1, [1, 2, 3, 4, 5]),
        (2, -7, [3, 4, 5]),
        (0, 0, []),
        (1, 9223372036854775807, [2, 3, 4, 5]),
        (2, 9223372036854775807, [3, 4, 5]),
        (9223372036854775807, 9223372036854775807, []),
        (-9223372036854775808, 1, [1]),
    ],
)
def test_limit(r2, start, count, expected):
    ex(r2, "RPUSH", "l", 3, 1, 2, 5, 4)
    assert ex(r2, "SORT", "l", "LIMIT", start, count) == b(*expected)


def test_limit_desc(r2):
    ex(r2, "RPUSH", "l", 3, 1, 2, 5, 4)
    assert ex(r2, "SORT", "l", "DESC", "LIMIT", 1, 2) == b(4, 3)


def test_limit_on_empty_and_missing(r2):
    assert ex(r2, "SORT", "missing", "LIMIT", 0, 10) == []
    assert ex(r2, "SORT", "missing", "LIMIT", 5, 10) == []


@pytest.mark.parametrize("args", [("LIMIT", "a", 1), ("LIMIT", 0, "b"), ("LIMIT", 1.5, 1), ("LIMIT", 0, "9223372036854775808")])
def test_limit_not_integer(r2, args):
    ex(r2, "RPUSH", "l", 1)
    assert err(r2, "SORT", "l", *args) == NOT_INT


# --------------------------------------------------------------------------- BY / nosort


def test_by_pattern(users):
    assert ex(users, "SORT", "ids", "BY", "w_*") == b(2, 4, 3, 1)
    assert ex(users, "SORT", "ids", "BY", "w_*", "DESC") == b(1, 3, 4, 2)


def test_by_hash_field(users):
    assert ex(users, "SORT", "ids", "BY", "user:*->age") == b(2, 4, 3, 1)
    assert ex(users, "SORT", "ids", "BY", "user:*->name", "ALPHA") == b(4, 2, 3, 1)


def test_by_missing_keys_sort_as_zero_then_by_element(r2):
    ex(r2, "RPUSH", "l", 3, 1, 2)
    ex(r2, "SET", "w_3", -1)
    assert ex(r2, "SORT", "l", "BY", "w_*") == b(3, 1, 2)
    assert ex(r2, "SORT", "l", "BY", "nothing_*") == b(1, 2, 3)


def test_by_wrong_type_counts_as_missing(r2):
    ex(r2, "RPUSH", "l", 2, 1)
    ex(r2, "RPUSH", "w_1", "x")  # a list where a string is expected
    ex(r2, "SET", "w_2", 5)
    assert ex(r2, "SORT", "l", "BY", "w_*") == b(1, 2)
    ex(r2, "SET", "h_1", "notahash")
    assert ex(r2, "SORT", "l", "BY", "h_*->f") == b(1, 2)


def test_by_value_not_a_number(r2):
    ex(r2, "RPUSH", "l", 1, 2)
    ex(r2, "SET", "w_1", "x")
    assert err(r2, "SORT", "l", "BY", "w_*") == CONVERSION


def test_by_alpha_missing_values_first_and_ties_keep_order(r2):
    ex(r2, "RPUSH", "l", "d", "c", "b", "a")
    ex(r2, "SET", "k_a", "same")
    ex(r2, "SET", "k_b", "same")
    ex(r2, "SET", "k_c", "first")
    assert ex(r2, "SORT", "l", "BY", "k_*", "ALPHA") == b("d", "c", "b", "a")
    assert ex(r2, "SORT", "l", "BY", "k_*", "ALPHA", "DESC") == b("b", "a", "c", "d")


def test_by_pattern_only_first_star_is_replaced(r2):
    ex(r2, "RPUSH", "l", 1, 2)
    ex(r2, "SET", "x1*", 2)
    ex(r2, "SET", "x2*", 1)
    assert ex(r2, "SORT", "l", "BY", "x**") == b(2, 1)


def test_by_hash_field_arrow_before_star_is_part_of_key(r2):
    ex(r2, "RPUSH", "l", 1, 2)
    ex(r2, "SET", "a->1", 9)
    ex(r2, "SET", "a->2", 1)
    assert ex(r2, "SORT", "l", "BY", "a->*") == b(2, 1)


def test_by_pattern_with_empty_field_reads_the_key(r2):
    ex(r2, "RPUSH", "l", 1, 2)
    ex(r2, "SET", "k1->", 9)
    ex(r2, "SET", "k2->", 1)
    assert ex(r2, "SORT", "l", "BY", "k*->") == b(2, 1)


def test_nosort_keeps_list_order(r2):
    ex(r2, "RPUSH", "l", 3, 1, 2, 5, 4)
    assert ex(r2, "SORT", "l", "BY", "nosort") == b(3, 1, 2, 5, 4)
    assert ex(r2, "SORT", "l", "BY", "nosort", "DESC") == b(4, 5, 2, 1, 3)
    assert ex(r2, "SORT", "l", "BY", "nosort", "LIMIT", 1, 2) == b(1, 2)
    assert ex(r2, "SORT", "l", "BY", "nosort", "DESC", "LIMIT", 1, 2) == b(5, 2)
    assert ex(r2, "SORT", "l", "BY", "nosort", "LIMIT", 4, 5) == b(4)
    assert ex(r2, "SORT", "l", "BY", "nosort", "LIMIT", 5, 5) == []


def test_nosort_ignores_alpha_and_non_numbers(r2):
    ex(r2, "RPUSH", "l", "x", "a")
    assert ex(r2, "SORT", "l", "BY", "nosort", "ALPHA") == b("x", "a")
    assert ex(r2, "SORT", "l", "BY", "nosort") == b("x", "a")


def test_nosort_zset_keeps_score_order(r2):
    ex(r2, "ZADD", "z", 3, "a", 1, "b", 2, "c")
    assert ex(r2, "SORT", "z", "BY", "nosort") == b("b", "c", "a")
    assert ex(r2, "SORT", "z", "BY", "nosort", "DESC") == b("a", "c", "b")
    assert ex(r2, "SORT", "z", "BY", "nosort", "DESC", "LIMIT", 1, 1) == b("c")
    assert ex(r2, "SORT", "z", "BY", "nosort", "LIMIT", 1, 5) == b("c", "a")


def test_nosort_intset_is_walked_in_order(r2):
    ex(r2, "SADD", "s", 5, 3, 10, 1)
    assert ex(r2, "SORT", "s", "BY", "nosort") == b(1, 3, 5, 10)
    assert ex(r2, "SORT", "s", "BY", "nosort", "DESC") == b(1, 3, 5, 10)


def test_nosort_set_returns_every_member(r2):
    ex(r2, "SADD", "s", "x", "y", "z", "w")
    assert sorted(ex(r2, "SORT", "s", "BY", "nosort")) == b("w", "x", "y", "z")
    assert len(ex(r2, "SORT", "s", "BY", "nosort", "LIMIT", 1, 2)) == 2


def test_nosort_set_with_store_is_sorted_alpha(r2):
    ex(r2, "SADD", "s", 5, 3, 10, 1)
    assert ex(r2, "SORT", "s", "BY", "nosort", "STORE", "d") == 4
    assert ex(r2, "LRANGE", "d", 0, -1) == b(1, 10, 3, 5)
    ex(r2, "SADD", "t", "b", "c", "a")
    assert ex(r2, "SORT", "t", "BY", "nosort", "DESC", "STORE", "d") == 3
    assert ex(r2, "LRANGE", "d", 0, -1) == b("c", "b", "a")


def test_by_constant_with_get(users):
    assert ex(users, "SORT", "ids", "BY", "nosort", "GET", "name_*") == b("carl", "dora", "bob", "al")


# --------------------------------------------------------------------------- GET


def test_get_patterns(users):
    assert ex(users, "SORT", "ids", "GET", "name_*") == b("dora", "bob", "carl", "al")
    assert ex(users, "SORT", "ids", "GET", "#", "GET", "name_*") == b(1, "dora", 2, "bob", 3, "carl", 4, "al")
    assert ex(users, "SORT", "ids", "BY", "w_*", "GET", "user:*->name") == b("BOB", "AL", "CARL", "DORA")


def test_get_missing_gives_null(r):
    ex(r, "RPUSH", "l", 1, 2)
    ex(r, "SET", "v_1", "one")
    ex(r, "HSET", "h_2", "f", "two")
    assert ex(r, "SORT", "l", "GET", "v_*") == [b"one", None]
    assert ex(r, "SORT", "l", "GET", "h_*->f") == [None, b"two"]
    assert ex(r, "SORT", "l", "GET", "h_*->missing") == [None, None]
    assert ex(r, "SORT", "l", "GET", "constant") == [None, None]


def test_get_wrong_types_give_null(r2):
    ex(r2, "RPUSH", "l", 1)
    ex(r2, "RPUSH", "v_1", "x")
    ex(r2, "SET", "h_1", "string")
    assert ex(r2, "SORT", "l", "GET", "v_*", "GET", "h_*->f", "GET", "#") == [None, None, b"1"]


def test_get_hash_marker_must_be_exact(r2):
    ex(r2, "RPUSH", "l", 1)
    ex(r2, "SET", "#1", "x")
    assert ex(r2, "SORT", "l", "GET", "#*") == [b"x"]
    assert ex(r2, "SORT", "l", "GET", "##") == [None]


def test_get_with_limit(users):
    assert ex(users, "SORT", "ids", "LIMIT", 1, 2, "GET", "#", "GET", "w_*") == b(2, 10, 3, 30)


def test_get_on_missing_key(r2):
    assert ex(r2, "SORT", "missing", "GET", "#") == []


def test_get_binary_element_substitution(r2):
    ex(r2, "RPUSH", "l", b"\x00\xff")
    ex(r2, "SET", b"k\x00\xffv", "bin")
    assert ex(r2, "SORT", "l", "ALPHA", "GET", "k*v") == [b"bin"]


# --------------------------------------------------------------------------- STORE


def test_store(users):
    assert ex(users, "SORT", "ids", "STORE", "dst") == 4
    assert ex(users, "LRANGE", "dst", 0, -1) == b(1, 2, 3, 4)
    assert ex(users, "TYPE", "dst") == b"list"
    assert ex(users, "OBJECT", "ENCODING", "dst") == b"quicklist"


def test_store_with_get_counts_every_value(users):
    assert ex(users, "SORT", "ids", "GET", "#", "GET", "missing_*", "STORE", "dst") == 8
    assert ex(users, "LRANGE", "dst", 0, -1) == b(1, "", 2, "", 3, "", 4, "")


def test_store_overwrites_any_type_and_ttl(r2):
    ex(r2, "RPUSH", "l", 2, 1)
    ex(r2, "SET", "dst", "x", "EX", 100)
    assert ex(r2, "SORT", "l", "STORE", "dst") == 2
    assert ex(r2, "LRANGE", "dst", 0, -1) == b(1, 2)
    assert ex(r2, "TTL", "dst") == -1


def test_store_into_source(r2):
    ex(r2, "RPUSH", "l", 3, 1, 2)
    assert ex(r2, "SORT", "l", "DESC", "STORE", "l") == 3
    assert ex(r2, "LRANGE", "l", 0, -1) == b(3, 2, 1)


def test_store_empty_result_deletes_destination(r2):
    ex(r2, "SET", "dst", "x")
    assert ex(r2, "SORT", "missing", "STORE", "dst") == 0
    assert ex(r2, "EXISTS", "dst") == 0
    ex(r2, "RPUSH", "l", 1)
    ex(r2, "SET", "dst", "x")
    assert ex(r2, "SORT", "l", "LIMIT", 5, 1, "STORE", "dst") == 0
    assert ex(r2, "EXISTS", "dst") == 0


def test_store_last_one_wins(r2):
    ex(r2, "RPUSH", "l", 1)
    assert ex(r2, "SORT", "l", "STORE", "a", "STORE", "b") == 1
    assert ex(r2, "EXISTS", "a") == 0
    assert ex(r2, "LRANGE", "b", 0, -1) == b(1)


def test_store_reply_bytes(raw):
    raw.cmd("RPUSH", "l", "1")
    assert raw.cmd("SORT", "l", "STORE", "d") == b":1\r\n"
    assert raw.cmd("SORT", "missing", "STORE", "d") == b":0\r\n"


def test_store_wakes_blocked_client(r2, make_client):
    import threading

    ex(r2, "RPUSH", "l", 2, 1)
    blocked = make_client(socket_timeout=5)
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("r", ex(blocked, "BLPOP", "dst", 3)))
    t.start()
    import time

    time.sleep(0.2)
    assert ex(r2, "SORT", "l", "STORE", "dst") == 2
    t.join(5)
    assert result["r"] == [b"dst", b"1"]
    assert ex(r2, "LRANGE", "dst", 0, -1) == b(2)


# --------------------------------------------------------------------------- errors & replies


def test_sort_missing_key(r):
    assert ex(r, "SORT", "missing") == []


def test_sort_wrong_type(r2):
    ex(r2, "SET", "s", "1")
    ex(r2, "HSET", "h", "f", "v")
    assert err(r2, "SORT", "s") == WRONGTYPE
    assert err(r2, "SORT", "h") == WRONGTYPE
    assert err(r2, "SORT", "s", "STORE", "d") == WRONGTYPE


@pytest.mark.parametrize(
    "args",
    [("FOO",), ("LIMIT",), ("LIMIT", 1), ("STORE",), ("GET",), ("BY",), ("ASC", "x"), ("ALPHA", "DESC", "LIMIT", 0)],
)
def test_syntax_errors(r2, args):
    ex(r2, "RPUSH", "l", 1)
    assert err(r2, "SORT", "l", *args) == SYNTAX


def test_syntax_error_before_wrong_type(r2):
    ex(r2, "SET", "s", "1")
    assert err(r2, "SORT", "s", "FOO") == SYNTAX
    assert err(r2, "SORT", "s", "LIMIT", "x", 1) == NOT_INT


def test_arity(r2):
    assert err(r2, "SORT") == "ERR wrong number of arguments for 'sort' command"


def test_no_sort_ro_in_6_2(r2):
    assert err(r2, "SORT_RO", "l").startswith("ERR unknown command `SORT_RO`")


def test_reply_bytes(raw):
    raw.cmd("RPUSH", "l", "2", "1")
    assert raw.cmd("SORT", "l") == b"*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    assert raw.cmd("SORT", "l", "GET", "nokey_*") == b"*2\r\n$-1\r\n$-1\r\n"
    assert raw.cmd("SORT", "missing") == b"*0\r\n"


def test_command_info(r2):
    info = ex(r2, "COMMAND", "INFO", "sort")[0]
    assert info[:6] == [b"sort", -2, [b"write", b"denyoom", b"movablekeys"], 1, 1, 1]


@pytest.mark.parametrize(
    "args, keys",
    [
        (("a",), [b"a"]),
        (("a", "STORE", "b"), [b"a", b"b"]),
        (("a", "store", "b", "STORE", "c", "LIMIT", 1, 2), [b"a", b"c"]),
        (("a", "STORE", "LIMIT", 0, 1), [b"a", b"LIMIT"]),
        (("a", "GET", "store", "BY", "store"), [b"a"]),
        (("a", "LIMIT", "store", "x", "STORE", "d"), [b"a", b"d"]),
    ],
)
def test_command_getkeys(r2, args, keys):
    assert ex(r2, "COMMAND", "GETKEYS", "SORT", *args) == keys


def test_sort_does_not_touch_source(r2):
    ex(r2, "RPUSH", "l", 3, 1, 2)
    ex(r2, "SORT", "l")
    assert ex(r2, "LRANGE", "l", 0, -1) == b(3, 1, 2)


def test_large_sort(r2):
    import random

    values = [random.randint(-10**6, 10**6) for _ in range(2000)]
    ex(r2, "RPUSH", "l", *values)
    assert ex(r2, "SORT", "l") == b(*sorted(values))
    assert ex(r2, "SORT", "l", "DESC", "LIMIT", 10, 5) == b(*sorted(values, reverse=True)[10:15])
