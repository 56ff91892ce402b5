"""Sorted sets, part 1: ZADD / ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK / ZREVRANK,
ZCOUNT, ZLEXCOUNT; score parsing and formatting; encodings; keyspace events; command table.

Replies and error texts are those of Redis 6.2.14 (checked against the oracle).  Ranges and
ZREMRANGEBY* are in test_zset_range.py; set operations, pops and random members in
test_zset_ops.py.
"""

from __future__ import annotations

import time

import pytest

from .helpers import err, ex
from .zset_helpers import config, score, zadd

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "ERR syntax error"
NOT_FLOAT = "ERR value is not a valid float"
NOT_INT = "ERR value is not an integer or out of range"
XX_NX = "ERR XX and NX options at the same time are not compatible"
GT_LT_NX = "ERR GT, LT, and/or NX options at the same time are not compatible"
INCR_PAIR = "ERR INCR option supports a single increment-element pair"
NAN = "ERR resulting score is not a number (NaN)"
MINMAX_FLOAT = "ERR min or max is not a float"
MINMAX_LEX = "ERR min or max not valid string range item"


def arity(cmd):
    return f"ERR wrong number of arguments for '{cmd}' command"


# --------------------------------------------------------------------------- ZADD basics


def test_zadd_new_members_and_updates(r2):
    assert zadd(r2, "z", 1, "a", 2, "b") == 2
    assert zadd(r2, "z", 3, "a", 4, "c") == 1
    assert ex(r2, "ZRANGE", "z", 0, -1, "WITHSCORES") == [b"b", b"2", b"a", b"3", b"c", b"4"]


def test_zadd_same_score_is_no_change(r2):
    zadd(r2, "z", 1, "a")
    assert ex(r2, "ZADD", "z", "CH", "1", "a") == 0


def test_zadd_duplicate_member_in_one_call(r2):
    assert ex(r2, "ZADD", "z", "1", "a", "2", "a") == 1
    assert ex(r2, "ZSCORE", "z", "a") == b"2"
    assert ex(r2, "ZADD", "z2", "CH", "1", "a", "2", "a") == 2


def test_zadd_ch_counts_added_and_updated(r2):
    zadd(r2, "z", 1, "a", 2, "b")
    assert ex(r2, "ZADD", "z", "CH", "1", "a", "3", "b", "4", "c") == 2


def test_zadd_nx_only_adds(r2):
    zadd(r2, "z", 1, "a")
    assert ex(r2, "ZADD", "z", "NX", "10", "a", "2", "b") == 1
    assert ex(r2, "ZRANGE", "z", 0, -1, "WITHSCORES") == [b"a", b"1", b"b", b"2"]


def test_zadd_xx_only_updates(r2):
    zadd(r2, "z", 1, "a")
    assert ex(r2, "ZADD", "z", "XX", "CH", "10", "a", "2", "b") == 1
    assert ex(r2, "ZRANGE", "z", 0, -1, "WITHSCORES") == [b"a", b"10"]


def test_zadd_xx_on_missing_key_creates_nothing(r2):
    assert ex(r2, "ZADD", "z", "XX", "1", "a") == 0
    assert ex(r2, "EXISTS", "z") == 0


def test_zadd_gt_updates_only_upwards(r2):
    zadd(r2, "z", 5, "a", 5, "b")
    assert ex(r2, "ZADD", "z", "GT", "CH", "3", "a", "7", "b", "1", "c") == 2
    assert ex(r2, "ZRANGE", "z", 0, -1, "WITHSCORES") == [b"c", b"1", b"a", b"5", b"b", b"7"]


def test_zadd_lt_updates_only_downwards(r2):
    zadd(r2, "z", 5, "a", 5, "b")
    assert ex(r2, "ZADD", "z", "LT", "CH", "3", "a", "7", "b") == 1
    assert ex(r2, "ZRANGE", "z", 0, -1, "WITHSCORES") == [b"a", b"3", b"b", b"5"]


def test_zadd_gt_xx_combination(r2):
    zadd(r2, "z", 5, "a")
    assert ex(r2, "ZADD", "z", "GT", "XX", "CH", "6", "a", "9", "new") == 1
    assert ex(r2, "ZRANGE", "z", 0, -1, "WITHSCORES") == [b"a", b"6"]


def test_zadd_options_are_case_insensitive(r2):
    assert ex(r2, "ZADD", "z", "nX", "cH", "1", "a") == 1
    assert ex(r2, "ZADD", "z", "Xx", "Ch", "2", "a") == 1


def test_zadd_option_names_as_members(r2):
    assert ex(r2, "ZADD", "z", "1", "nx", "2", "xx") == 2
    assert ex(r2, "ZRANGE", "z", 0, -1) == [b"nx", b"xx"]


def test_zadd_binary_and_empty_members(r2):
    assert ex(r2, "ZADD", "z", "1", b"\x00\xff", "2", "") == 2
    assert ex(r2, "ZSCORE", "z", "") == b"2"
    assert ex(r2, "ZRANGE", "z", 0, -1) == [b"\x00\xff", b""]


# --------------------------------------------------------------------------- ZADD INCR


def test_zadd_incr_reply(r):
    assert ex(r, "ZADD", "z", "INCR", "1.5", "a") == score(r, "1.5")
    assert ex(r, "ZADD", "z", "INCR", "1", "a") == score(r, "2.5")


def test_zadd_incr_blocked_by_option_is_null(r):
    zadd(r, "z", 1, "a")
    assert ex(r, "ZADD", "z", "NX", "INCR", "1", "a") is None
    assert ex(r, "ZADD", "z", "XX", "INCR", "1", "missing") is None
    assert ex(r, "ZADD", "z", "GT", "INCR", "-1", "a") is None
    assert ex(r, "ZADD", "z", "LT", "INCR", "-1", "a") == score(r, "0")


def test_zadd_incr_xx_missing_key_is_null(r):
    assert ex(r, "ZADD", "z", "XX", "INCR", "1", "a") is None
    assert ex(r, "EXISTS", "z") == 0


def test_zadd_incr_to_infinity_and_nan(r2):
    assert ex(r2, "ZADD", "z", "INCR", "inf", "a") == b"inf"
    assert err(r2, "ZADD", "z", "INCR", "-inf", "a") == NAN
    assert ex(r2, "ZSCORE", "z", "a") == b"inf"


def test_zadd_incr_zero_still_replies_score(r2):
    zadd(r2, "z", 3, "a")
    assert ex(r2, "ZADD", "z", "INCR", "0", "a") == b"3"


# --------------------------------------------------------------------------- ZADD errors


@pytest.mark.parametrize("args, msg", [
    (["XX", "NX", "1", "a"], XX_NX),
    (["NX", "XX", "INCR", "1", "a", "2", "b"], XX_NX),
    (["GT", "LT", "1", "a"], GT_LT_NX),
    (["GT", "NX", "1", "a"], GT_LT_NX),
    (["LT", "NX", "1", "a"], GT_LT_NX),
    (["GT", "LT", "INCR", "1", "a", "2", "b"], GT_LT_NX),
    (["INCR", "1", "a", "2", "b"], INCR_PAIR),
    (["1", "a", "2"], SYNTAX),
    (["NX", "XX", "1", "a", "2"], SYNTAX),
    (["foo", "1", "a"], SYNTAX),
    (["CH", "CH", "CH"], SYNTAX),
    (["NX", "1"], SYNTAX),
    (["1", "a", "nan"], SYNTAX),
    (["nan", "a"], NOT_FLOAT),
    (["abc", "a"], NOT_FLOAT),
    (["NX", "GT", "abc", "a"], GT_LT_NX),
    (["1", "a", "x", "b"], NOT_FLOAT),
])
def test_zadd_errors(r2, args, msg):
    assert err(r2, "ZADD", "z", *args) == msg
    assert ex(r2, "EXISTS", "z") == 0


def test_zadd_arity(r2):
    assert err(r2, "ZADD", "z", "1") == arity("zadd")
    assert err(r2, "ZADD", "z", "INCR") == arity("zadd")


def test_zadd_bad_score_changes_nothing(r2):
    zadd(r2, "z", 1, "a")
    assert err(r2, "ZADD", "z", "5", "a", "bad", "b") == NOT_FLOAT
    assert ex(r2, "ZRANGE", "z", 0, -1, "WITHSCORES") == [b"a", b"1"]


def test_zadd_wrongtype(r2):
    ex(r2, "SET", "s", "x")
    assert err(r2, "ZADD", "s", "1", "a") == WRONGTYPE
    assert err(r2, "ZINCRBY", "s", "1", "a") == WRONGTYPE


def test_zadd_options_checked_before_type(r2):
    ex(r2, "SET", "s", "x")
    assert err(r2, "ZADD", "s", "XX", "NX", "1", "a") == XX_NX
    assert err(r2, "ZADD", "s", "bad", "a") == NOT_FLOAT


# --------------------------------------------------------------------------- score syntax


@pytest.mark.parametrize("text, stored", [
    ("1", b"1"), ("-1", b"-1"), ("+5", b"5"), ("1.", b"1"), (".5", b"0.5"), ("1e3", b"1000"),
    ("1E-2", b"0.01"), ("0x10", b"16"), ("0x1p3", b"8"), ("inf", b"inf"), ("+inf", b"inf"),
    ("-inf", b"-inf"), ("Infinity", b"inf"), ("-INFINITY", b"-inf"), ("-0", b"-0"),
    ("-0.0", b"-0"), ("0.1", b"0.10000000000000001"), ("1.1", b"1.1000000000000001"),
    ("1e17", b"1e+17"), ("123456789012345678", b"1.2345678901234568e+17"),
    ("1e16", b"10000000000000000"), ("1e-5", b"1.0000000000000001e-05"),
    ("12345678.9", b"12345678.9"), ("1e-310", b"9.9999999999999694e-311"),
    ("3.0000000000000004", b"3.0000000000000004"),
])
def test_score_parsing_and_formatting(r2, text, stored):
    assert ex(r2, "ZADD", "z", text, "m") == 1
    assert ex(r2, "ZSCORE", "z", "m") == stored


@pytest.mark.parametrize("text", ["1e1000", "-1e1000", "1e-400", " 1", "1 ", "1_0", "", "nan",
                                  "-nan", "1,5", "0x", "--1", "e5", ".", "1e", "1\x00"])
def test_score_invalid(r2, text):
    assert err(r2, "ZADD", "z", text, "m") == NOT_FLOAT
    assert err(r2, "ZINCRBY", "z", text, "m") == NOT_FLOAT


def test_negative_zero_keeps_sign_until_updated(r2):
    zadd(r2, "z", "-0", "a")
    assert ex(r2, "ZSCORE", "z", "a") == b"-0"
    assert ex(r2, "ZADD", "z", "CH", "0", "a") == 0  # -0 == 0: no change
    assert ex(r2, "ZSCORE", "z", "a") == b"-0"


def test_resp3_score_is_double(raw):
    raw.cmd("HELLO", "3")
    raw.cmd("ZADD", "z", "1.5", "a", "-0", "b", "inf", "c", "2", "d")
    assert raw.cmd("ZSCORE", "z", "a") == b",1.5\r\n"
    assert raw.cmd("ZSCORE", "z", "b") == b",-0\r\n"
    assert raw.cmd("ZSCORE", "z", "c") == b",inf\r\n"
    assert raw.cmd("ZSCORE", "z", "d") == b",2\r\n"
    assert raw.cmd("ZSCORE", "z", "nope") == b"_\r\n"
    assert raw.cmd("ZINCRBY", "z", "1", "d") == b",3\r\n"


def test_resp2_score_is_bulk(raw):
    raw.cmd("ZADD", "z", "1.5", "a")
    assert raw.cmd("ZSCORE", "z", "a") == b"$3\r\n1.5\r\n"
    assert raw.cmd("ZSCORE", "z", "nope") == b"$-1\r\n"
    assert raw.cmd("ZADD", "z", "NX", "INCR", "1", "a") == b"$-1\r\n"


# --------------------------------------------------------------------------- ZINCRBY


def test_zincrby_creates_and_increments(r):
    assert ex(r, "ZINCRBY", "z", "1.5", "m") == score(r, "1.5")
    assert ex(r, "ZINCRBY", "z", "-3", "m") == score(r, "-1.5")
    assert ex(r, "ZINCRBY", "z", "0.1", "m") == score(r, "-1.3999999999999999")


def test_zincrby_reorders(r2):
    zadd(r2, "z", 1, "a", 2, "b", 3, "c")
    ex(r2, "ZINCRBY", "z", "10", "a")
    assert ex(r2, "ZRANGE", "z", 0, -1) == [b"b", b"c", b"a"]


def test_zincrby_nan(r2):
    zadd(r2, "z", "inf", "a")
    assert err(r2, "ZINCRBY", "z", "-inf", "a") == NAN
    assert ex(r2, "ZINCRBY", "z", "-inf", "b") == b"-inf"


def test_zincrby_parses_zadd_options(r2):
    # ZINCRBY shares ZADD's option parser: a leading option word eats the increment slot
    assert err(r2, "ZINCRBY", "z", "nx", "a") == SYNTAX
    assert err(r2, "ZINCRBY", "z", "incr", "5") == SYNTAX
    assert ex(r2, "ZINCRBY", "z", "1", "nx") == b"1"


def test_zincrby_arity_and_errors(r2):
    assert err(r2, "ZINCRBY", "z", "1") == arity("zincrby")
    assert err(r2, "ZINCRBY", "z", "1", "a", "b") == arity("zincrby")
    assert err(r2, "ZINCRBY", "z", "abc", "a") == NOT_FLOAT


# --------------------------------------------------------------------------- ZREM / ZCARD


def test_zrem(r2):
    zadd(r2, "z", 1, "a", 2, "b", 3, "c")
    assert ex(r2, "ZREM", "z", "a", "a", "x") == 1
    assert ex(r2, "ZCARD", "z") == 2
    assert ex(r2, "ZREM", "z", "b", "c", "d") == 2
    assert ex(r2, "EXISTS", "z") == 0


def test_zrem_missing_key_and_wrongtype(r2):
    assert ex(r2, "ZREM", "nokey", "a") == 0
    ex(r2, "SET", "s", "x")
    assert err(r2, "ZREM", "s", "a") == WRONGTYPE
    assert err(r2, "ZREM", "z") == arity("zrem")


def test_zcard(r2):
    assert ex(r2, "ZCARD", "z") == 0
    zadd(r2, "z", 1, "a", 2, "b")
    assert ex(r2, "ZCARD", "z") == 2
    ex(r2, "SET", "s", "x")
    assert err(r2, "ZCARD", "s") == WRONGTYPE
    assert err(r2, "ZCARD", "z", "x") == arity("zcard")


# --------------------------------------------------------------------------- ZSCORE / ZMSCORE


def test_zscore(r):
    zadd(r, "z", "2.5", "a")
    assert ex(r, "ZSCORE", "z", "a") == score(r, "2.5")
    assert ex(r, "ZSCORE", "z", "b") is None
    assert ex(r, "ZSCORE", "nokey", "a") is None


def test_zmscore(r):
    zadd(r, "z", 1, "a", "inf", "b")
    assert ex(r, "ZMSCORE", "z", "a", "nope", "b") == [score(r, "1"), None, score(r, "inf")]
    assert ex(r, "ZMSCORE", "nokey", "a", "b") == [None, None]


def test_zmscore_raw_shapes(raw):
    raw.cmd("ZADD", "z", "1", "a")
    assert raw.cmd("ZMSCORE", "z", "a", "x") == b"*2\r\n$1\r\n1\r\n$-1\r\n"
    raw.cmd("HELLO", "3")
    assert raw.cmd("ZMSCORE", "z", "a", "x") == b"*2\r\n,1\r\n_\r\n"


def test_zscore_zmscore_errors(r2):
    ex(r2, "SET", "s", "x")
    assert err(r2, "ZSCORE", "s", "a") == WRONGTYPE
    assert err(r2, "ZMSCORE", "s", "a") == WRONGTYPE
    assert err(r2, "ZSCORE", "z") == arity("zscore")
    assert err(r2, "ZMSCORE", "z") == arity("zmscore")


# --------------------------------------------------------------------------- ZRANK / ZREVRANK


def test_zrank_zrevrank(r2):
    zadd(r2, "z", 1, "a", 2, "b", 3, "c")
    assert [ex(r2, "ZRANK", "z", m) for m in "abc"] == [0, 1, 2]
    assert [ex(r2, "ZREVRANK", "z", m) for m in "abc"] == [2, 1, 0]


def test_zrank_ties_ordered_by_member(r2):
    zadd(r2, "z", 1, "c", 1, "a", 1, "b", 0, "z")
    assert [ex(r2, "ZRANK", "z", m) for m in "zabc"] == [0, 1, 2, 3]


def test_zrank_missing(r):
    zadd(r, "z", 1, "a")
    assert ex(r, "ZRANK", "z", "x") is None
    assert ex(r, "ZREVRANK", "nokey", "x") is None


def test_zrank_no_withscore_in_62(r2):
    zadd(r2, "z", 1, "a")
    assert err(r2, "ZRANK", "z", "a", "WITHSCORE") == arity("zrank")
    assert err(r2, "ZREVRANK", "z", "a", "WITHSCORE") == arity("zrevrank")


def test_zrank_wrongtype(r2):
    ex(r2, "SET", "s", "x")
    assert err(r2, "ZRANK", "s", "a") == WRONGTYPE
    assert err(r2, "ZREVRANK", "s", "a") == WRONGTYPE


def test_zrank_large_set(r2):
    args = []
    for i in range(300):
        args += [str(i), f"m{i:03d}"]
    zadd(r2, "z", *args)
    assert ex(r2, "ZRANK", "z", "m123") == 123
    assert ex(r2, "ZREVRANK", "z", "m123") == 176


# --------------------------------------------------------------------------- ZCOUNT


def test_zcount(r2):
    zadd(r2, "z", 1, "a", 2, "b", 3, "c", 4, "d")
    assert ex(r2, "ZCOUNT", "z", "-inf", "+inf") == 4
    assert ex(r2, "ZCOUNT", "z", "2", "3") == 2
    assert ex(r2, "ZCOUNT", "z", "(2", "3") == 1
    assert ex(r2, "ZCOUNT", "z", "(2", "(3") == 0
    assert ex(r2, "ZCOUNT", "z", "3", "2") == 0
    assert ex(r2, "ZCOUNT", "z", "(1", "+inf") == 3
    assert ex(r2, "ZCOUNT", "nokey", "0", "1") == 0


@pytest.mark.parametrize("lo, hi, n", [
    ("", "1", 2), ("(", "2", 2), (" 1", "100", 2), ("0x1", "0x2", 2), ("-inf", "(1e1000", 4),
    ("1e1000", "+inf", 1), ("(inf", "+inf", 0), ("-inf", "(-inf", 0), ("-0", "0", 1),
    ("(0", "1", 1), ("-infinity", "infinity", 5),
])
def test_zcount_range_syntax(r2, lo, hi, n):
    zadd(r2, "z", "-inf", "ninf", 0, "zero", 1, "one", 2, "two", "inf", "pinf")
    assert ex(r2, "ZCOUNT", "z", lo, hi) == n


@pytest.mark.parametrize("lo, hi", [("a", "1"), ("1", "b"), ("(a", "1"), ("1 ", "2"), ("nan", "1"),
                                    ("(nan", "1"), ("[1", "2"), ("((1", "2")])
def test_zcount_bad_range(r2, lo, hi):
    zadd(r2, "z", 1, "a")
    assert err(r2, "ZCOUNT", "z", lo, hi) == MINMAX_FLOAT
    assert err(r2, "ZCOUNT", "nokey", lo, hi) == MINMAX_FLOAT


def test_zcount_wrongtype_after_range_check(r2):
    ex(r2, "SET", "s", "x")
    assert err(r2, "ZCOUNT", "s", "0", "1") == WRONGTYPE
    assert err(r2, "ZCOUNT", "s", "a", "1") == MINMAX_FLOAT


# --------------------------------------------------------------------------- ZLEXCOUNT


def test_zlexcount(r2):
    zadd(r2, "z", 0, "a", 0, "b", 0, "c", 0, "d")
    assert ex(r2, "ZLEXCOUNT", "z", "-", "+") == 4
    assert ex(r2, "ZLEXCOUNT", "z", "[b", "(d") == 2
    assert ex(r2, "ZLEXCOUNT", "z", "(a", "[c") == 2
    assert ex(r2, "ZLEXCOUNT", "z", "+", "-") == 0
    assert ex(r2, "ZLEXCOUNT", "z", "-", "-") == 0
    assert ex(r2, "ZLEXCOUNT", "z", "[c", "[c") == 1
    assert ex(r2, "ZLEXCOUNT", "z", "(c", "[c") == 0
    assert ex(r2, "ZLEXCOUNT", "z", "[d", "[a") == 0
    assert ex(r2, "ZLEXCOUNT", "z", "[", "+") == 4
    assert ex(r2, "ZLEXCOUNT", "nokey", "-", "+") == 0


@pytest.mark.parametrize("lo, hi", [("a", "b"), ("", "+"), ("-x", "+"), ("+x", "+"), ("-", "b"),
                                    ("{a", "[b")])
def test_zlexcount_bad_range(r2, lo, hi):
    zadd(r2, "z", 0, "a")
    assert err(r2, "ZLEXCOUNT", "z", lo, hi) == MINMAX_LEX
    assert err(r2, "ZLEXCOUNT", "nokey", lo, hi) == MINMAX_LEX


def test_zlexcount_wrongtype(r2):
    ex(r2, "SET", "s", "x")
    assert err(r2, "ZLEXCOUNT", "s", "-", "+") == WRONGTYPE


def test_zlexcount_binary_members(r2):
    zadd(r2, "z", 0, b"\x00", 0, b"\x7f", 0, b"\x80", 0, b"\xff")
    assert ex(r2, "ZLEXCOUNT", "z", b"(\x00", b"[\x80") == 2
    assert ex(r2, "ZLEXCOUNT", "z", b"[\x80", "+") == 2


# --------------------------------------------------------------------------- wrong types / arity


@pytest.mark.parametrize("args", [
    ["ZRANGE", "s", "0", "-1"], ["ZREVRANGE", "s", "0", "-1"],
    ["ZRANGEBYSCORE", "s", "0", "1"], ["ZREVRANGEBYSCORE", "s", "1", "0"],
    ["ZRANGEBYLEX", "s", "-", "+"], ["ZREVRANGEBYLEX", "s", "+", "-"],
    ["ZREMRANGEBYRANK", "s", "0", "1"], ["ZREMRANGEBYSCORE", "s", "0", "1"],
    ["ZREMRANGEBYLEX", "s", "-", "+"], ["ZPOPMIN", "s"], ["ZPOPMAX", "s", "2"],
    ["ZRANDMEMBER", "s"], ["ZRANDMEMBER", "s", "0"], ["ZSCAN", "s", "0"],
    ["ZRANGESTORE", "d", "s", "0", "-1"], ["ZUNION", "1", "s"], ["ZDIFFSTORE", "d", "1", "s"],
    ["BZPOPMIN", "s", "0"], ["BZPOPMAX", "s", "0"],
])
def test_wrongtype(r2, args):
    ex(r2, "SET", "s", "x")
    assert err(r2, *args) == WRONGTYPE


@pytest.mark.parametrize("cmd, args", [
    ("zrange", ["z", "0"]), ("zrevrange", ["z", "0"]), ("zrangebyscore", ["z", "0"]),
    ("zrevrangebyscore", ["z", "0"]), ("zrangebylex", ["z", "-"]), ("zrevrangebylex", ["z", "+"]),
    ("zrangestore", ["d", "z", "0"]), ("zremrangebyrank", ["z", "0"]),
    ("zremrangebyscore", ["z", "0", "1", "2"]), ("zremrangebylex", ["z"]), ("zpopmin", []),
    ("zpopmax", []), ("bzpopmin", ["z"]), ("bzpopmax", ["z"]), ("zrandmember", []),
    ("zunion", ["1"]), ("zinter", ["1"]), ("zdiff", ["1"]), ("zunionstore", ["d", "1"]),
    ("zinterstore", ["d", "1"]), ("zdiffstore", ["d", "1"]), ("zscan", ["z"]),
    ("zcount", ["z", "0"]), ("zlexcount", ["z", "-"]), ("zrank", ["z"]), ("zrevrank", ["z"]),
])
def test_arity(r2, cmd, args):
    assert err(r2, cmd.upper(), *args) == arity(cmd)


# --------------------------------------------------------------------------- encodings


def test_encoding_small_is_ziplist(r2):
    zadd(r2, "z", 1, "a")
    assert ex(r2, "OBJECT", "ENCODING", "z") == b"ziplist"


def test_encoding_converts_on_entries_and_never_back(r2):
    with config(r2, zset_max_ziplist_entries=2):
        zadd(r2, "z", 1, "a", 2, "b")
        assert ex(r2, "OBJECT", "ENCODING", "z") == b"ziplist"
        zadd(r2, "z", 3, "c")
        assert ex(r2, "OBJECT", "ENCODING", "z") == b"skiplist"
        ex(r2, "ZREM", "z", "b", "c")
        assert ex(r2, "OBJECT", "ENCODING", "z") == b"skiplist"


def test_encoding_converts_on_value_length(r2):
    with config(r2, zset_max_ziplist_value=3):
        zadd(r2, "z", 1, "abc")
        assert ex(r2, "OBJECT", "ENCODING", "z") == b"ziplist"
        zadd(r2, "z", 1, "abcd")
        assert ex(r2, "OBJECT", "ENCODING", "z") == b"skiplist"
        zadd(r2, "z2", 1, "abcd")
        assert ex(r2, "OBJECT", "ENCODING", "z2") == b"skiplist"


def test_encoding_zero_entries_is_skiplist(r2):
    with config(r2, zset_max_ziplist_entries=0):
        zadd(r2, "z", 1, "a")
        assert ex(r2, "OBJECT", "ENCODING", "z") == b"skiplist"


def test_encoding_default_limit_128(r2):
    args = []
    for i in range(128):
        args += [str(i), f"m{i}"]
    zadd(r2, "z", *args)
    assert ex(r2, "OBJECT", "ENCODING", "z") == b"ziplist"
    zadd(r2, "z", 500, "one-more")
    assert ex(r2, "OBJECT", "ENCODING", "z") == b"skiplist"


def test_encoding_of_store_destinations(r2):
    with config(r2, zset_max_ziplist_entries=2):
        zadd(r2, "big", 1, "x", 2, "y", 3, "z")
        assert ex(r2, "ZRANGESTORE", "d", "big", 0, 1) == 2
        assert ex(r2, "OBJECT", "ENCODING", "d") == b"ziplist"
        assert ex(r2, "ZRANGESTORE", "d", "big", 0, -1) == 3
        assert ex(r2, "OBJECT", "ENCODING", "d") == b"skiplist"
        ex(r2, "ZREMRANGEBYRANK", "big", 0, 0)  # big: 2 members, still skiplist
        assert ex(r2, "ZUNIONSTORE", "d", 1, "big") == 2
        assert ex(r2, "OBJECT", "ENCODING", "d") == b"ziplist"
        assert ex(r2, "OBJECT", "ENCODING", "big") == b"skiplist"


def test_type_is_zset(r2):
    zadd(r2, "z", 1, "a")
    assert ex(r2, "TYPE", "z") == b"zset"


# --------------------------------------------------------------------------- keyspace events


def test_events_zadd_zincr_zrem(r2, events):
    zadd(r2, "z", 1, "a", 2, "b")
    zadd(r2, "z", 1, "a")  # no change: no event
    ex(r2, "ZADD", "z", "INCR", "1", "a")
    ex(r2, "ZINCRBY", "z", "1", "a")
    ex(r2, "ZADD", "z", "XX", "1", "nope")  # no change
    ex(r2, "ZREM", "z", "a", "x")
    ex(r2, "ZREM", "z", "nope")  # no change
    ex(r2, "ZREM", "z", "b")
    assert events.collect() == [("zadd", "z"), ("zincr", "z"), ("zincr", "z"), ("zrem", "z"),
                                ("zrem", "z"), ("del", "z")]


def test_events_zremrange(r2, events):
    zadd(r2, "z", 0, "a", 0, "b", 0, "c", 0, "d")
    ex(r2, "ZREMRANGEBYRANK", "z", 0, 0)
    ex(r2, "ZREMRANGEBYSCORE", "z", 5, 6)  # nothing removed
    ex(r2, "ZREMRANGEBYLEX", "z", "[b", "[b")
    ex(r2, "ZREMRANGEBYSCORE", "z", "-inf", "+inf")
    assert events.collect() == [("zadd", "z"), ("zremrangebyrank", "z"), ("zremrangebylex", "z"),
                                ("zremrangebyscore", "z"), ("del", "z")]


def test_events_pops(r2, events):
    zadd(r2, "z", 1, "a", 2, "b", 3, "c")
    ex(r2, "ZPOPMIN", "z")
    ex(r2, "ZPOPMAX", "z", 5)
    ex(r2, "ZPOPMAX", "z", 5)  # missing key: nothing
    zadd(r2, "z", 1, "a")
    ex(r2, "BZPOPMIN", "z", 0)
    assert events.collect() == [("zadd", "z"), ("zpopmin", "z"), ("zpopmax", "z"), ("del", "z"),
                                ("zadd", "z"), ("zpopmin", "z"), ("del", "z")]


def test_events_store_commands(r2, events):
    zadd(r2, "z", 1, "a")
    ex(r2, "ZUNIONSTORE", "d", 1, "z")
    ex(r2, "ZINTERSTORE", "d", 1, "z")
    ex(r2, "ZDIFFSTORE", "d", 1, "z")
    ex(r2, "ZRANGESTORE", "d", "z", 0, -1)
    ex(r2, "ZUNIONSTORE", "d", 1, "nokey")
    ex(r2, "ZRANGESTORE", "d", "nokey", 0, -1)  # d already gone: nothing
    assert events.collect() == [("zadd", "z"), ("zunionstore", "d"), ("zinterstore", "d"),
                                ("zdiffstore", "d"), ("zrangestore", "d"), ("del", "d")]


# --------------------------------------------------------------------------- command table


@pytest.mark.parametrize("name, arity_, flags, first, last, step", [
    ("zadd", -4, [b"write", b"denyoom", b"fast"], 1, 1, 1),
    ("zincrby", 4, [b"write", b"denyoom", b"fast"], 1, 1, 1),
    ("zrem", -3, [b"write", b"fast"], 1, 1, 1),
    ("zcard", 2, [b"readonly", b"fast"], 1, 1, 1),
    ("zscore", 3, [b"readonly", b"fast"], 1, 1, 1),
    ("zmscore", -3, [b"readonly", b"fast"], 1, 1, 1),
    ("zrank", 3, [b"readonly", b"fast"], 1, 1, 1),
    ("zrevrank", 3, [b"readonly", b"fast"], 1, 1, 1),
    ("zcount", 4, [b"readonly", b"fast"], 1, 1, 1),
    ("zlexcount", 4, [b"readonly", b"fast"], 1, 1, 1),
    ("zrange", -4, [b"readonly"], 1, 1, 1),
    ("zrangestore", -5, [b"write", b"denyoom"], 1, 2, 1),
    ("zrevrange", -4, [b"readonly"], 1, 1, 1),
    ("zrangebyscore", -4, [b"readonly"], 1, 1, 1),
    ("zrevrangebyscore", -4, [b"readonly"], 1, 1, 1),
    ("zrangebylex", -4, [b"readonly"], 1, 1, 1),
    ("zrevrangebylex", -4, [b"readonly"], 1, 1, 1),
    ("zremrangebyrank", 4, [b"write"], 1, 1, 1),
    ("zremrangebyscore", 4, [b"write"], 1, 1, 1),
    ("zremrangebylex", 4, [b"write"], 1, 1, 1),
    ("zpopmin", -2, [b"write", b"fast"], 1, 1, 1),
    ("zpopmax", -2, [b"write", b"fast"], 1, 1, 1),
    ("bzpopmin", -3, [b"write", b"noscript", b"fast"], 1, -2, 1),
    ("bzpopmax", -3, [b"write", b"noscript", b"fast"], 1, -2, 1),
    ("zrandmember", -2, [b"readonly", b"random"], 1, 1, 1),
    ("zunion", -3, [b"readonly", b"movablekeys"], 0, 0, 0),
    ("zinter", -3, [b"readonly", b"movablekeys"], 0, 0, 0),
    ("zdiff", -3, [b"readonly", b"movablekeys"], 0, 0, 0),
    ("zunionstore", -4, [b"write", b"denyoom", b"movablekeys"], 1, 1, 1),
    ("zinterstore", -4, [b"write", b"denyoom", b"movablekeys"], 1, 1, 1),
    ("zdiffstore", -4, [b"write", b"denyoom", b"movablekeys"], 1, 1, 1),
    ("zscan", -3, [b"readonly", b"random"], 1, 1, 1),
])
def test_command_info(r2, name, arity_, flags, first, last, step):
    info = ex(r2, "COMMAND", "INFO", name)[0]
    assert info[:6] == [name.encode(), arity_, flags, first, last, step]
    assert b"@sortedset" in info[6]


@pytest.mark.parametrize("args, keys", [
    (["ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"], [b"a", b"b", b"d"]),
    (["ZINTERSTORE", "d", "1", "a"], [b"a", b"d"]),
    (["ZDIFFSTORE", "d", "3", "a", "b", "c"], [b"a", b"b", b"c", b"d"]),
    (["ZUNION", "2", "a", "b", "WITHSCORES"], [b"a", b"b"]),
    (["ZINTER", "1", "a"], [b"a"]),
    (["ZDIFF", "2", "a", "b"], [b"a", b"b"]),
    (["ZRANGESTORE", "d", "s", "0", "-1"], [b"d", b"s"]),
    (["BZPOPMIN", "a", "b", "0"], [b"a", b"b"]),
])
def test_command_getkeys(r2, args, keys):
    assert ex(r2, "COMMAND", "GETKEYS", *args) == keys


# --------------------------------------------------------------------------- generic commands


def test_copy_is_independent_and_keeps_encoding(r2):
    with config(r2, zset_max_ziplist_entries=2):
        zadd(r2, "z", 1, "a", 2, "b", 3, "c")
        ex(r2, "ZREM", "z", "c")
        assert ex(r2, "COPY", "z", "z2") == 1
        assert ex(r2, "OBJECT", "ENCODING", "z2") == b"skiplist"
    zadd(r2, "z2", 9, "x")
    ex(r2, "ZINCRBY", "z2", 5, "a")
    assert ex(r2, "ZRANGE", "z", 0, -1, "WITHSCORES") == [b"a", b"1", b"b", b"2"]
    assert ex(r2, "ZRANGE", "z2", 0, -1, "WITHSCORES") == [b"b", b"2", b"a", b"6", b"x", b"9"]


def test_expired_zset_is_gone(r2):
    zadd(r2, "z", 1, "a", 2, "b")
    ex(r2, "PEXPIRE", "z", 1)
    time.sleep(0.02)
    assert ex(r2, "ZCARD", "z") == 0
    assert ex(r2, "ZADD", "z", "XX", "1", "a") == 0
    assert zadd(r2, "z", 5, "c") == 1
    assert ex(r2, "ZRANGE", "z", 0, -1) == [b"c"]
    assert ex(r2, "TTL", "z") == -1


def test_rename_and_del(r2):
    zadd(r2, "z", 1, "a")
    ex(r2, "RENAME", "z", "y")
    assert ex(r2, "ZSCORE", "y", "a") == b"1"
    assert ex(r2, "DEL", "y") == 1
    assert ex(r2, "ZCARD", "y") == 0
