"""Sorted sets, part 2: ZRANGE (BYSCORE/BYLEX/REV/LIMIT/WITHSCORES), ZREVRANGE,
Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX, ZRANGESTORE and ZREMRANGEBYRANK/SCORE/LEX.

Replies and error texts are those of Redis 6.2.14 (checked against the oracle).
"""

from __future__ import annotations

import pytest

from .helpers import err, ex
from .zset_helpers import pairs, zadd

SYNTAX = "ERR syntax error"
NOT_INT = "ERR value is not an integer or out of range"
MINMAX_FLOAT = "ERR min or max is not a float"
MINMAX_LEX = "ERR min or max not valid string range item"
LIMIT_RANK = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
WITHSCORES_LEX = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"


@pytest.fixture
def z5(r2):
    zadd(r2, "z", 1, "a", 2, "b", 3, "c", 4, "d", 5, "e")
    return r2


@pytest.fixture
def lex(r2):
    zadd(r2, "l", *[x for m in "abcdefg" for x in (0, m)])
    return r2


def members(s):
    return [m.encode() for m in s]


# --------------------------------------------------------------------------- ZRANGE by rank


@pytest.mark.parametrize("start, stop, expected", [
    (0, -1, "abcde"), (0, 0, "a"), (1, 3, "bcd"), (-2, -1, "de"), (-100, 100, "abcde"),
    (3, 1, ""), (5, 10, ""), (-1, -2, ""), (-100, -50, ""), (2, -100, ""), (0, 100, "abcde"),
    (-3, 2, "c"), (4, 4, "e"),
])
def test_zrange_rank(z5, start, stop, expected):
    assert ex(z5, "ZRANGE", "z", start, stop) == members(expected)


@pytest.mark.parametrize("start, stop, expected", [
    (0, -1, "edcba"), (0, 0, "e"), (1, 3, "dcb"), (-2, -1, "ba"), (3, 1, ""), (-100, 100, "edcba"),
])
def test_zrevrange(z5, start, stop, expected):
    assert ex(z5, "ZREVRANGE", "z", start, stop) == members(expected)
    assert ex(z5, "ZRANGE", "z", start, stop, "REV") == members(expected)


def test_zrange_withscores(r):
    zadd(r, "z", 1, "a", "2.5", "b", "inf", "c")
    assert ex(r, "ZRANGE", "z", 0, -1, "WITHSCORES") == pairs(r, ("a", "1"), ("b", "2.5"), ("c", "inf"))
    assert ex(r, "ZREVRANGE", "z", 0, 1, "WITHSCORES") == pairs(r, ("c", "inf"), ("b", "2.5"))


def test_zrange_withscores_raw_resp3(raw):
    raw.cmd("ZADD", "z", "1", "a", "2", "b")
    assert raw.cmd("ZRANGE", "z", "0", "-1", "WITHSCORES") == (
        b"*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n")
    raw.cmd("HELLO", "3")
    assert raw.cmd("ZRANGE", "z", "0", "-1", "WITHSCORES") == (
        b"*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2\r\n")
    assert raw.cmd("ZRANGE", "z", "0", "-1") == b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    assert raw.cmd("ZRANGE", "nokey", "0", "-1", "WITHSCORES") == b"*0\r\n"


def test_zrange_missing_key(r2):
    assert ex(r2, "ZRANGE", "nokey", 0, -1) == []
    assert ex(r2, "ZRANGEBYSCORE", "nokey", "-inf", "+inf") == []
    assert ex(r2, "ZRANGEBYLEX", "nokey", "-", "+") == []


def test_zrange_ties_by_member(r2):
    zadd(r2, "z", 1, "b", 1, "a", 0, "c", 1, "B")
    assert ex(r2, "ZRANGE", "z", 0, -1) == [b"c", b"B", b"a", b"b"]


@pytest.mark.parametrize("args, msg", [
    (["0", "-1", "LIMIT", "0", "1"], LIMIT_RANK),
    (["0", "-1", "WITHSCORES", "BYLEX"], WITHSCORES_LEX),
    (["[a", "[c", "BYLEX", "WITHSCORES"], WITHSCORES_LEX),
    (["1", "3", "BYSCORE", "BYLEX"], SYNTAX),
    (["1", "3", "BYSCORE", "BYSCORE"], SYNTAX),
    (["0", "-1", "REV", "REV"], SYNTAX),
    (["0", "-1", "foo"], SYNTAX),
    (["0", "-1", "LIMIT", "0"], SYNTAX),
    (["0", "1", "BYSCORE", "LIMIT", "0"], SYNTAX),
    (["0", "1", "BYSCORE", "LIMIT", "a", "1"], NOT_INT),
    (["0", "1", "BYSCORE", "LIMIT", "0", "b"], NOT_INT),
    (["x", "1"], NOT_INT),
    (["0", "1.5"], NOT_INT),
    (["abc", "5", "BYSCORE"], MINMAX_FLOAT),
    (["a", "c", "BYLEX"], MINMAX_LEX),
    (["0", "-1", "LIMIT", "x", "1"], NOT_INT),
])
def test_zrange_errors(z5, args, msg):
    assert err(z5, "ZRANGE", "z", *args) == msg
    assert err(z5, "ZRANGE", "nokey", *args) == msg


def test_zrange_limit_minus_one_allowed_with_rank(z5):
    # LIMIT with count -1 means "no limit", so Redis does not complain even by rank
    assert ex(z5, "ZRANGE", "z", 0, -1, "LIMIT", 5, -1) == members("abcde")


def test_zrange_options_any_order_and_case(z5):
    assert ex(z5, "ZRANGE", "z", "(4", "1", "withscores", "limit", "0", "2", "rev", "byscore") == [
        b"c", b"3", b"b", b"2"]


def test_zrevrange_rejects_zrange_options(z5):
    assert err(z5, "ZREVRANGE", "z", 0, -1, "REV") == SYNTAX
    assert err(z5, "ZREVRANGE", "z", 0, -1, "BYSCORE") == SYNTAX
    assert err(z5, "ZREVRANGE", "z", 0, -1, "LIMIT", 0, 1) == LIMIT_RANK
    assert err(z5, "ZREVRANGE", "z", 0, -1, "WITHSCORES", "foo") == SYNTAX


def test_zrange_duplicate_withscores_accepted(z5):
    assert ex(z5, "ZRANGE", "z", 0, 0, "WITHSCORES", "WITHSCORES") == [b"a", b"1"]


def test_zrange_large_set(r2):
    args = []
    for i in range(1000):
        args += [str(i), f"m{i:04d}"]
    zadd(r2, "z", *args)
    assert ex(r2, "ZRANGE", "z", 500, 502) == [b"m0500", b"m0501", b"m0502"]
    assert ex(r2, "ZRANGE", "z", -2, -1) == [b"m0998", b"m0999"]
    assert ex(r2, "ZREVRANGE", "z", 0, 1) == [b"m0999", b"m0998"]
    assert ex(r2, "ZRANGEBYSCORE", "z", "(997", "+inf") == [b"m0998", b"m0999"]
    assert len(ex(r2, "ZRANGE", "z", 0, -1)) == 1000


# --------------------------------------------------------------------------- by score


@pytest.mark.parametrize("lo, hi, expected", [
    ("-inf", "+inf", "abcde"), ("2", "4", "bcd"), ("(2", "4", "cd"), ("2", "(4", "bc"),
    ("(2", "(4", "c"), ("(2", "(3", ""), ("4", "2", ""), ("3", "3", "c"), ("(3", "3", ""),
    ("(1", "+inf", "bcde"), ("-inf", "(1", ""), ("6", "+inf", ""), ("(", "5", "abcde"),
    ("1e1000", "5", ""), ("0x2", "0x3", "bc"), ("-inf", "2.5", "ab"),
])
def test_zrangebyscore(z5, lo, hi, expected):
    assert ex(z5, "ZRANGEBYSCORE", "z", lo, hi) == members(expected)
    assert ex(z5, "ZRANGE", "z", lo, hi, "BYSCORE") == members(expected)
    assert ex(z5, "ZREVRANGEBYSCORE", "z", hi, lo) == members(expected[::-1])
    assert ex(z5, "ZRANGE", "z", hi, lo, "BYSCORE", "REV") == members(expected[::-1])


@pytest.mark.parametrize("offset, count, expected", [
    (0, 2, "ab"), (1, 2, "bc"), (1, -1, "bcde"), (4, 100, "e"), (5, 1, ""), (100, 1, ""),
    (-1, 2, ""), (1, 0, ""), (0, -5, "abcde"),
])
def test_zrangebyscore_limit(z5, offset, count, expected):
    assert ex(z5, "ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", offset, count) == members(expected)
    rev = ex(z5, "ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", offset, count)
    assert rev == members("edcba"[offset:] if offset >= 0 else "")[:count if count >= 0 else None]


def test_zrangebyscore_withscores_and_limit(r):
    zadd(r, "z", 1, "a", 2, "b", 3, "c")
    assert ex(r, "ZRANGEBYSCORE", "z", "(1", "+inf", "WITHSCORES", "LIMIT", 0, 1) == pairs(r, ("b", "2"))
    assert ex(r, "ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", 1, 5, "WITHSCORES") == pairs(
        r, ("b", "2"), ("c", "3"))
    assert ex(r, "ZREVRANGEBYSCORE", "z", "+inf", "-inf", "WITHSCORES", "LIMIT", 0, 1) == pairs(r, ("c", "3"))


def test_zrangebyscore_infinite_scores(r2):
    zadd(r2, "z", "-inf", "lo", 0, "mid", "+inf", "hi")
    assert ex(r2, "ZRANGEBYSCORE", "z", "-inf", "-inf") == [b"lo"]
    assert ex(r2, "ZRANGEBYSCORE", "z", "+inf", "+inf") == [b"hi"]
    assert ex(r2, "ZRANGEBYSCORE", "z", "(-inf", "(+inf") == [b"mid"]
    assert ex(r2, "ZREVRANGEBYSCORE", "z", "+inf", "(0") == [b"hi"]


@pytest.mark.parametrize("args", [
    ["-inf", "+inf", "LIMIT", "0"], ["-inf", "+inf", "foo"], ["-inf", "+inf", "REV"],
    ["-inf", "+inf", "BYSCORE"], ["-inf", "+inf", "BYLEX"], ["-inf", "+inf", "WITHSCORES", "x"],
])
def test_zrangebyscore_syntax(z5, args):
    assert err(z5, "ZRANGEBYSCORE", "z", *args) == SYNTAX


@pytest.mark.parametrize("lo, hi", [("(a", "5"), ("1 ", "5"), ("nan", "5"), ("(nan", "5"), ("1", "x"),
                                    ("[1", "2"), ("inf1", "2")])
def test_zrangebyscore_bad_range(z5, lo, hi):
    assert err(z5, "ZRANGEBYSCORE", "z", lo, hi) == MINMAX_FLOAT
    assert err(z5, "ZREVRANGEBYSCORE", "z", hi, lo) == MINMAX_FLOAT


def test_zrangebyscore_limit_parse_error_first(z5):
    assert err(z5, "ZRANGEBYSCORE", "z", "x", "y", "LIMIT", "a", "1") == NOT_INT


# --------------------------------------------------------------------------- by lex


@pytest.mark.parametrize("lo, hi, expected", [
    ("-", "+", "abcdefg"), ("[b", "[e", "bcde"), ("(b", "(e", "cd"), ("-", "(c", "ab"),
    ("(e", "+", "fg"), ("[z", "+", ""), ("-", "[0", ""), ("[e", "[b", ""), ("[b", "[b", "b"),
    ("(b", "[b", ""), ("-", "-", ""), ("+", "+", ""), ("+", "-", ""), ("[", "+", "abcdefg"),
    ("(", "[a", "a"), ("[aa", "[c", "bc"), ("[c", "(cc", "c"),
])
def test_zrangebylex(lex, lo, hi, expected):
    assert ex(lex, "ZRANGEBYLEX", "l", lo, hi) == members(expected)
    assert ex(lex, "ZRANGE", "l", lo, hi, "BYLEX") == members(expected)
    assert ex(lex, "ZREVRANGEBYLEX", "l", hi, lo) == members(expected[::-1])
    assert ex(lex, "ZRANGE", "l", hi, lo, "BYLEX", "REV") == members(expected[::-1])


@pytest.mark.parametrize("offset, count, expected, rev", [
    (2, 3, "cde", "edc"), (10, 3, "", ""), (-1, 3, "", ""), (2, -1, "cdefg", "edcba"),
    (0, 0, "", ""), (6, 5, "g", "a"),
])
def test_zrangebylex_limit(lex, offset, count, expected, rev):
    assert ex(lex, "ZRANGEBYLEX", "l", "-", "+", "LIMIT", offset, count) == members(expected)
    assert ex(lex, "ZREVRANGEBYLEX", "l", "+", "-", "LIMIT", offset, count) == members(rev)


def test_zrangebylex_withscores_refused(lex):
    assert err(lex, "ZRANGEBYLEX", "l", "-", "+", "WITHSCORES") == WITHSCORES_LEX
    assert err(lex, "ZREVRANGEBYLEX", "l", "+", "-", "WITHSCORES") == WITHSCORES_LEX


@pytest.mark.parametrize("lo, hi", [("a", "[b"), ("[a", "b"), ("", "+"), ("-a", "+"), ("-", "+a"),
                                    ("]a", "+")])
def test_zrangebylex_bad_range(lex, lo, hi):
    assert err(lex, "ZRANGEBYLEX", "l", lo, hi) == MINMAX_LEX
    assert err(lex, "ZRANGE", "nokey", lo, hi, "BYLEX") == MINMAX_LEX


def test_zrangebylex_binary_and_prefix_members(r2):
    zadd(r2, "l", 0, b"", 0, b"a", 0, b"ab", 0, b"abc", 0, b"b\x00", 0, b"\xff")
    assert ex(r2, "ZRANGEBYLEX", "l", "[a", "(b") == [b"a", b"ab", b"abc"]
    assert ex(r2, "ZRANGEBYLEX", "l", "-", "(a") == [b""]
    assert ex(r2, "ZRANGEBYLEX", "l", "(", "[a") == [b"a"]
    assert ex(r2, "ZRANGEBYLEX", "l", b"(b", "+") == [b"b\x00", b"\xff"]


def test_zrangebylex_mixed_scores_walks_in_score_order(r2):
    # Undefined by the docs, but deterministic on a small (ziplist) set: the walk starts at the
    # first member >= min and goes on while members stay <= max.
    zadd(r2, "m", 1, "d", 2, "a", 3, "c", 4, "b")
    assert ex(r2, "ZRANGEBYLEX", "m", "-", "+") == [b"d", b"a", b"c", b"b"]
    assert ex(r2, "ZRANGEBYLEX", "m", "[b", "[c") == []
    assert ex(r2, "ZRANGEBYLEX", "m", "[a", "[d") == [b"d", b"a", b"c", b"b"]
    assert ex(r2, "ZREVRANGEBYLEX", "m", "[c", "[a") == []
    assert ex(r2, "ZREVRANGEBYLEX", "m", "+", "[b") == [b"b", b"c"]
    assert ex(r2, "ZREVRANGEBYLEX", "m", "+", "(a") == [b"b", b"c"]
    assert ex(r2, "ZRANGEBYLEX", "m", "(a", "+") == [b"d", b"a", b"c", b"b"]
    assert ex(r2, "ZRANGEBYLEX", "m", "[c", "+") == []
    assert ex(r2, "ZREVRANGEBYLEX", "m", "[d", "[b") == [b"b", b"c"]
    assert ex(r2, "ZLEXCOUNT", "m", "(a", "[c") == 0
    assert ex(r2, "ZLEXCOUNT", "m", "[a", "[z") == 4


def test_zrangebylex_large_set(r2):
    args = []
    for i in range(500):
        args += ["0", f"k{i:03d}"]
    zadd(r2, "l", *args)
    assert ex(r2, "ZRANGEBYLEX", "l", "[k250", "(k253") == [b"k250", b"k251", b"k252"]
    assert ex(r2, "ZREVRANGEBYLEX", "l", "+", "-", "LIMIT", 0, 2) == [b"k499", b"k498"]
    assert ex(r2, "ZLEXCOUNT", "l", "(k100", "[k199") == 99


# --------------------------------------------------------------------------- ZRANGESTORE


def test_zrangestore_rank(z5):
    assert ex(z5, "ZRANGESTORE", "d", "z", 1, 3) == 3
    assert ex(z5, "ZRANGE", "d", 0, -1, "WITHSCORES") == [b"b", b"2", b"c", b"3", b"d", b"4"]


def test_zrangestore_byscore_rev_limit(z5):
    assert ex(z5, "ZRANGESTORE", "d", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", 1, 2) == 2
    assert ex(z5, "ZRANGE", "d", 0, -1, "WITHSCORES") == [b"c", b"3", b"d", b"4"]


def test_zrangestore_bylex(lex):
    assert ex(lex, "ZRANGESTORE", "d", "l", "[b", "(d", "BYLEX") == 2
    assert ex(lex, "ZRANGE", "d", 0, -1) == [b"b", b"c"]
    assert ex(lex, "ZRANGESTORE", "d", "l", "-", "+", "BYLEX", "LIMIT", 0, 1) == 1
    assert ex(lex, "ZRANGE", "d", 0, -1) == [b"a"]


def test_zrangestore_empty_result_deletes_destination(z5):
    zadd(z5, "d", 1, "x")
    assert ex(z5, "ZRANGESTORE", "d", "z", 10, 20) == 0
    assert ex(z5, "EXISTS", "d") == 0
    zadd(z5, "d", 1, "x")
    assert ex(z5, "ZRANGESTORE", "d", "nokey", 0, -1) == 0
    assert ex(z5, "EXISTS", "d") == 0


def test_zrangestore_overwrites_any_type_and_ttl(z5):
    ex(z5, "SET", "d", "string")
    ex(z5, "EXPIRE", "d", 100)
    assert ex(z5, "ZRANGESTORE", "d", "z", 0, 0) == 1
    assert ex(z5, "TYPE", "d") == b"zset"
    assert ex(z5, "TTL", "d") == -1


def test_zrangestore_onto_source(z5):
    assert ex(z5, "ZRANGESTORE", "z", "z", 0, 1) == 2
    assert ex(z5, "ZRANGE", "z", 0, -1) == [b"a", b"b"]


def test_zrangestore_errors(z5):
    assert err(z5, "ZRANGESTORE", "d", "z", 0, -1, "WITHSCORES") == SYNTAX
    assert err(z5, "ZRANGESTORE", "d", "z", 0, -1, "LIMIT", 0, 1) == LIMIT_RANK
    assert err(z5, "ZRANGESTORE", "d", "z", "a", "b", "BYLEX") == MINMAX_LEX
    ex(z5, "SET", "s", "x")
    assert err(z5, "ZRANGESTORE", "d", "s", 0, -1) == "WRONGTYPE Operation against a key holding the wrong kind of value"


# --------------------------------------------------------------------------- ZREMRANGEBY*


@pytest.mark.parametrize("start, stop, removed, left", [
    (0, 0, 1, "bcde"), (1, -1, 4, "a"), (-2, -1, 2, "abc"), (5, 10, 0, "abcde"),
    (-100, -50, 0, "abcde"), (3, 1, 0, "abcde"), (-100, 1, 2, "cde"), (0, 100, 5, ""),
])
def test_zremrangebyrank(z5, start, stop, removed, left):
    assert ex(z5, "ZREMRANGEBYRANK", "z", start, stop) == removed
    assert ex(z5, "ZRANGE", "z", 0, -1) == members(left)
    assert ex(z5, "EXISTS", "z") == (1 if left else 0)


@pytest.mark.parametrize("lo, hi, removed, left", [
    ("2", "4", 3, "ae"), ("(1", "(3", 1, "acde"), ("10", "20", 0, "abcde"), ("-inf", "+inf", 5, ""),
    ("4", "2", 0, "abcde"), ("(5", "+inf", 0, "abcde"), ("-inf", "(2", 1, "bcde"),
])
def test_zremrangebyscore(z5, lo, hi, removed, left):
    assert ex(z5, "ZREMRANGEBYSCORE", "z", lo, hi) == removed
    assert ex(z5, "ZRANGE", "z", 0, -1) == members(left)


@pytest.mark.parametrize("lo, hi, removed, left", [
    ("[b", "[d", 3, "aefg"), ("(a", "(c", 1, "acdefg"), ("-", "+", 7, ""), ("[f", "+", 2, "abcde"),
    ("-", "(b", 1, "bcdefg"), ("[x", "+", 0, "abcdefg"), ("+", "-", 0, "abcdefg"),
])
def test_zremrangebylex(lex, lo, hi, removed, left):
    assert ex(lex, "ZREMRANGEBYLEX", "l", lo, hi) == removed
    assert ex(lex, "ZRANGE", "l", 0, -1) == members(left)


def test_zremrange_missing_key(r2):
    assert ex(r2, "ZREMRANGEBYRANK", "nokey", 0, -1) == 0
    assert ex(r2, "ZREMRANGEBYSCORE", "nokey", "-inf", "+inf") == 0
    assert ex(r2, "ZREMRANGEBYLEX", "nokey", "-", "+") == 0


def test_zremrange_errors_before_lookup(r2):
    ex(r2, "SET", "s", "x")
    assert err(r2, "ZREMRANGEBYRANK", "s", "a", "1") == NOT_INT
    assert err(r2, "ZREMRANGEBYSCORE", "s", "a", "1") == MINMAX_FLOAT
    assert err(r2, "ZREMRANGEBYLEX", "s", "a", "b") == MINMAX_LEX
    assert err(r2, "ZREMRANGEBYRANK", "nokey", "0", "1.0") == NOT_INT


def test_zremrangebyrank_large(r2):
    args = []
    for i in range(1000):
        args += [str(i), f"m{i}"]
    zadd(r2, "z", *args)
    assert ex(r2, "ZREMRANGEBYRANK", "z", 100, 899) == 800
    assert ex(r2, "ZCARD", "z") == 200
    assert ex(r2, "ZRANGE", "z", 99, 100) == [b"m99", b"m900"]
    assert ex(r2, "ZREMRANGEBYSCORE", "z", "(50", "950") == 100
    assert ex(r2, "ZRANK", "z", "m951") == 51
