"""List commands (non-blocking), as Redis 6.2.14 does them (tests/unit/type/list.tcl's ground).

LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LINDEX LSET LRANGE LTRIM LREM LINSERT LPOS LMOVE
RPOPLPUSH: replies, reply types per protocol, exact error texts, argument order of the checks
(which error wins), key deletion when a list empties, keyspace events and the command table.
The blocking commands are in ``test_list_blocking.py``.
"""

from __future__ import annotations

import random
import time

import pytest

from .helpers import err, ex

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INT = "ERR value is not an integer or out of range"
NOT_POSITIVE = "ERR value is out of range, must be positive"
SYNTAX = "ERR syntax error"
NO_SUCH_KEY = "ERR no such key"
INDEX_OUT = "ERR index out of range"
RANK_ZERO = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second, ..."
INT64_MAX = "9223372036854775807"
INT64_MIN = "-9223372036854775808"


def arity(name):
    return f"ERR wrong number of arguments for '{name}' command"


def rl(client, key="l"):
    return ex(client, "LRANGE", key, 0, -1)


def mk(client, *items, key="l"):
    ex(client, "RPUSH", key, *items)


# --------------------------------------------------------------------------- command table

COMMAND_INFO = {
    "lpush": (-3, [b"write", b"denyoom", b"fast"], 1, 1, 1),
    "rpush": (-3, [b"write", b"denyoom", b"fast"], 1, 1, 1),
    "lpushx": (-3, [b"write", b"denyoom", b"fast"], 1, 1, 1),
    "rpushx": (-3, [b"write", b"denyoom", b"fast"], 1, 1, 1),
    "lpop": (-2, [b"write", b"fast"], 1, 1, 1),
    "rpop": (-2, [b"write", b"fast"], 1, 1, 1),
    "llen": (2, [b"readonly", b"fast"], 1, 1, 1),
    "lindex": (3, [b"readonly"], 1, 1, 1),
    "lset": (4, [b"write", b"denyoom"], 1, 1, 1),
    "lrange": (4, [b"readonly"], 1, 1, 1),
    "ltrim": (4, [b"write"], 1, 1, 1),
    "lrem": (4, [b"write"], 1, 1, 1),
    "linsert": (5, [b"write", b"denyoom"], 1, 1, 1),
    "lpos": (-3, [b"readonly"], 1, 1, 1),
    "lmove": (5, [b"write", b"denyoom"], 1, 2, 1),
    "rpoplpush": (3, [b"write", b"denyoom"], 1, 2, 1),
    "blpop": (-3, [b"write", b"noscript"], 1, -2, 1),
    "brpop": (-3, [b"write", b"noscript"], 1, -2, 1),
    "blmove": (6, [b"write", b"denyoom", b"noscript"], 1, 2, 1),
    "brpoplpush": (4, [b"write", b"denyoom", b"noscript"], 1, 2, 1),
}


@pytest.mark.parametrize("name", sorted(COMMAND_INFO))
def test_command_info(r2, name):
    (info,) = ex(r2, "COMMAND", "INFO", name)
    arity_, flags, first, last, step = COMMAND_INFO[name]
    assert info[:6] == [name.encode(), arity_, flags, first, last, step]
    cats = info[6]
    assert b"@list" in cats
    assert (b"@blocking" in cats) == name.startswith("b")
    assert (b"@fast" in cats) == (b"fast" in flags)


@pytest.mark.parametrize(
    "args",
    [
        ["LPUSH", "l"], ["RPUSH", "l"], ["LPUSHX", "l"], ["RPUSHX", "l"], ["LPOP"], ["RPOP"],
        ["LLEN"], ["LLEN", "l", "x"], ["LINDEX", "l"], ["LSET", "l", "0"], ["LRANGE", "l", "0"],
        ["LTRIM", "l", "0"], ["LREM", "l", "0"], ["LINSERT", "l", "BEFORE", "x"], ["LPOS", "l"],
        ["LMOVE", "a", "b", "LEFT"], ["RPOPLPUSH", "a"], ["LPOP", "l", "1", "2"], ["RPOP", "l", "1", "2"],
    ],
    ids=lambda a: "-".join(a),
)
def test_wrong_arity(r2, args):
    assert err(r2, *args) == arity(args[0].lower())


# --------------------------------------------------------------------------- pushes


def test_rpush_lpush_order_and_length(r2):
    assert ex(r2, "RPUSH", "l", "a") == 1
    assert ex(r2, "RPUSH", "l", "b", "c") == 3
    assert ex(r2, "LPUSH", "l", "x", "y", "z") == 6
    assert rl(r2) == [b"z", b"y", b"x", b"a", b"b", b"c"]


def test_lpush_creates_in_reverse_order(r2):
    assert ex(r2, "LPUSH", "l", "a", "b", "c") == 3
    assert rl(r2) == [b"c", b"b", b"a"]


def test_type_and_encoding(r2):
    ex(r2, "RPUSH", "small", "a")
    ex(r2, "RPUSH", "big", *[str(i) for i in range(1000)])
    ex(r2, "RPUSH", "long", "x" * 10000)
    assert ex(r2, "TYPE", "small") == b"list"
    for k in ("small", "big", "long"):
        assert ex(r2, "OBJECT", "ENCODING", k) == b"quicklist"


@pytest.mark.parametrize("cmd", ["LPUSH", "RPUSH", "LPUSHX", "RPUSHX"])
def test_push_wrongtype(r2, cmd):
    ex(r2, "SET", "s", "v")
    assert err(r2, cmd, "s", "a") == WRONGTYPE
    assert ex(r2, "GET", "s") == b"v"


@pytest.mark.parametrize("cmd", ["LPUSHX", "RPUSHX"])
def test_pushx_missing_key(r2, cmd):
    assert ex(r2, cmd, "l", "a", "b") == 0
    assert ex(r2, "EXISTS", "l") == 0


def test_pushx_existing_key_variadic(r2):
    mk(r2, "m")
    assert ex(r2, "LPUSHX", "l", "b", "a") == 3
    assert ex(r2, "RPUSHX", "l", "y", "z") == 5
    assert rl(r2) == [b"a", b"b", b"m", b"y", b"z"]


def test_binary_and_empty_elements(r2):
    vals = [b"", b"\x00\xff\r\n", b"a b", "é".encode(), b"x" * 100000]
    ex(r2, "RPUSH", "l", *vals)
    assert rl(r2) == vals
    assert ex(r2, "LINDEX", "l", 0) == b""
    assert ex(r2, "LPOS", "l", b"\x00\xff\r\n") == 1


def test_integer_like_elements_compare_as_bytes(r2):
    mk(r2, "1", "01", "1.0", "-0", "0")
    assert ex(r2, "LPOS", "l", "1") == 0
    assert ex(r2, "LPOS", "l", "01") == 1
    assert ex(r2, "LPOS", "l", "0") == 4
    assert ex(r2, "LREM", "l", 0, "1") == 1
    assert rl(r2) == [b"01", b"1.0", b"-0", b"0"]


# --------------------------------------------------------------------------- LPOP / RPOP


def test_pop_single(r):
    mk(r, "a", "b", "c")
    assert ex(r, "LPOP", "l") == b"a"
    assert ex(r, "RPOP", "l") == b"c"
    assert ex(r, "LPOP", "l") == b"b"
    assert ex(r, "LPOP", "l") is None
    assert ex(r, "EXISTS", "l") == 0


@pytest.mark.parametrize("cmd", ["LPOP", "RPOP"])
def test_pop_missing_key_shapes(r, raw, cmd):
    null = b"$-1\r\n"
    assert raw.cmd(cmd, "nokey") == null
    assert raw.cmd(cmd, "nokey", "1") == b"*-1\r\n"
    assert raw.cmd(cmd, "nokey", "0") == b"*-1\r\n"
    raw.cmd("HELLO", "3")
    assert raw.cmd(cmd, "nokey") == b"_\r\n"
    assert raw.cmd(cmd, "nokey", "1") == b"_\r\n"
    assert raw.cmd(cmd, "nokey", "0") == b"_\r\n"


@pytest.mark.parametrize("cmd", ["LPOP", "RPOP"])
def test_pop_count_zero_existing_is_empty_array(raw, r2, cmd):
    mk(r2, "a")
    assert raw.cmd(cmd, "l", "0") == b"*0\r\n"
    assert rl(r2) == [b"a"]


def test_pop_count(r2):
    mk(r2, "a", "b", "c", "d", "e")
    assert ex(r2, "LPOP", "l", 2) == [b"a", b"b"]
    assert ex(r2, "RPOP", "l", 2) == [b"e", b"d"]
    assert ex(r2, "LPOP", "l", 1) == [b"c"]
    assert ex(r2, "EXISTS", "l") == 0


@pytest.mark.parametrize("cmd,expected", [("LPOP", [b"a", b"b", b"c"]), ("RPOP", [b"c", b"b", b"a"])])
def test_pop_count_larger_than_list_deletes(r2, cmd, expected):
    mk(r2, "a", "b", "c")
    assert ex(r2, cmd, "l", INT64_MAX) == expected
    assert ex(r2, "EXISTS", "l") == 0


@pytest.mark.parametrize("count", ["-1", "abc", "1.5", " 1", "9223372036854775808", INT64_MIN, ""])
@pytest.mark.parametrize("cmd", ["LPOP", "RPOP"])
def test_pop_bad_count(r2, cmd, count):
    mk(r2, "a")
    assert err(r2, cmd, "l", count) == NOT_POSITIVE
    assert err(r2, cmd, "nokey", count) == NOT_POSITIVE


@pytest.mark.parametrize("cmd", ["LPOP", "RPOP"])
def test_pop_wrongtype(r2, cmd):
    ex(r2, "SET", "s", "v")
    assert err(r2, cmd, "s") == WRONGTYPE
    assert err(r2, cmd, "s", "0") == WRONGTYPE
    assert err(r2, cmd, "s", "3") == WRONGTYPE
    assert err(r2, cmd, "s", "-1") == NOT_POSITIVE


# --------------------------------------------------------------------------- LLEN / LINDEX


def test_llen(r2):
    assert ex(r2, "LLEN", "l") == 0
    mk(r2, "a", "b")
    assert ex(r2, "LLEN", "l") == 2
    ex(r2, "SET", "s", "v")
    assert err(r2, "LLEN", "s") == WRONGTYPE


@pytest.mark.parametrize(
    "index,expected",
    [(0, b"a"), (1, b"b"), (2, b"c"), (-1, b"c"), (-3, b"a"), (3, None), (-4, None), (INT64_MAX, None),
     (INT64_MIN, None)],
)
def test_lindex(r2, index, expected):
    mk(r2, "a", "b", "c")
    assert ex(r2, "LINDEX", "l", index) == expected


def test_lindex_null_shapes(r, raw):
    mk(r, "a")
    assert raw.cmd("LINDEX", "l", "5") == b"$-1\r\n"
    assert raw.cmd("LINDEX", "nokey", "0") == b"$-1\r\n"
    raw.cmd("HELLO", "3")
    assert raw.cmd("LINDEX", "l", "5") == b"_\r\n"
    assert raw.cmd("LINDEX", "nokey", "0") == b"_\r\n"


def test_lindex_errors_and_check_order(r2):
    mk(r2, "a")
    ex(r2, "SET", "s", "v")
    assert err(r2, "LINDEX", "l", "x") == NOT_INT
    assert err(r2, "LINDEX", "l", "9223372036854775808") == NOT_INT
    assert err(r2, "LINDEX", "l", "1.0") == NOT_INT
    # the key is looked up before the index is parsed
    assert ex(r2, "LINDEX", "nokey", "x") is None
    assert err(r2, "LINDEX", "s", "x") == WRONGTYPE


# --------------------------------------------------------------------------- LSET


def test_lset(r2):
    mk(r2, "a", "b", "c")
    assert ex(r2, "LSET", "l", 0, "A") == b"OK"
    assert ex(r2, "LSET", "l", -1, "C") == b"OK"
    assert ex(r2, "LSET", "l", 1, "") == b"OK"
    assert rl(r2) == [b"A", b"", b"C"]


@pytest.mark.parametrize("index", [3, -4, 100, INT64_MAX, INT64_MIN])
def test_lset_out_of_range(r2, index):
    mk(r2, "a", "b", "c")
    assert err(r2, "LSET", "l", index, "x") == INDEX_OUT
    assert rl(r2) == [b"a", b"b", b"c"]


def test_lset_errors_and_check_order(r2):
    mk(r2, "a")
    ex(r2, "SET", "s", "v")
    assert err(r2, "LSET", "nokey", 0, "x") == NO_SUCH_KEY
    assert err(r2, "LSET", "nokey", "x", "x") == NO_SUCH_KEY
    assert err(r2, "LSET", "s", "x", "x") == WRONGTYPE
    assert err(r2, "LSET", "l", "x", "x") == NOT_INT
    assert ex(r2, "EXISTS", "nokey") == 0


def test_lset_middle_of_large_list(r2):
    n = 20000
    ex(r2, "RPUSH", "l", *range(n))
    assert ex(r2, "LSET", "l", n // 2, "mid") == b"OK"
    assert ex(r2, "LINDEX", "l", n // 2) == b"mid"
    assert ex(r2, "LINDEX", "l", n // 2 - 1) == str(n // 2 - 1).encode()
    assert ex(r2, "LINDEX", "l", -(n // 2)) == b"mid"


# --------------------------------------------------------------------------- LRANGE


@pytest.mark.parametrize(
    "start,stop,expected",
    [
        (0, -1, "abcde"), (0, 0, "a"), (1, 3, "bcd"), (-2, -1, "de"), (-100, 100, "abcde"), (3, 1, ""),
        (5, 10, ""), (-1, -2, ""), (0, -6, ""), (-6, 0, "a"), (4, 4, "e"), (INT64_MIN, INT64_MAX, "abcde"),
        (INT64_MAX, INT64_MAX, ""), (INT64_MIN, INT64_MIN, ""), (2, INT64_MAX, "cde"),
    ],
)
def test_lrange(r2, start, stop, expected):
    mk(r2, *"abcde")
    assert ex(r2, "LRANGE", "l", start, stop) == [c.encode() for c in expected]


def test_lrange_missing_wrongtype_and_check_order(r2):
    ex(r2, "SET", "s", "v")
    assert ex(r2, "LRANGE", "nokey", 0, -1) == []
    assert err(r2, "LRANGE", "s", 0, -1) == WRONGTYPE
    # indexes are parsed before the key is looked up
    assert err(r2, "LRANGE", "nokey", "a", 0) == NOT_INT
    assert err(r2, "LRANGE", "s", 0, "b") == NOT_INT


# --------------------------------------------------------------------------- LTRIM


@pytest.mark.parametrize(
    "start,stop,expected",
    [
        (0, -1, "abcde"), (1, -1, "bcde"), (0, 1, "ab"), (-2, -1, "de"), (1, 3, "bcd"), (-100, 100, "abcde"),
        (2, 2, "c"), (INT64_MIN, INT64_MAX, "abcde"), (0, 0, "a"), (-1, -1, "e"),
    ],
)
def test_ltrim(r2, start, stop, expected):
    mk(r2, *"abcde")
    assert ex(r2, "LTRIM", "l", start, stop) == b"OK"
    assert rl(r2) == [c.encode() for c in expected]


@pytest.mark.parametrize("start,stop", [(3, 1), (5, 10), (-1, -2), (0, -6), (INT64_MAX, INT64_MAX)])
def test_ltrim_to_empty_deletes_key(r2, start, stop):
    mk(r2, *"abcde")
    assert ex(r2, "LTRIM", "l", start, stop) == b"OK"
    assert ex(r2, "EXISTS", "l") == 0


def test_ltrim_missing_wrongtype_and_check_order(r2):
    ex(r2, "SET", "s", "v")
    assert ex(r2, "LTRIM", "nokey", 0, 1) == b"OK"
    assert ex(r2, "EXISTS", "nokey") == 0
    assert err(r2, "LTRIM", "s", 0, 1) == WRONGTYPE
    assert err(r2, "LTRIM", "nokey", "x", 1) == NOT_INT
    assert err(r2, "LTRIM", "s", 0, "x") == NOT_INT


def test_ltrim_keeps_ttl(r2):
    mk(r2, *"abc")
    ex(r2, "EXPIRE", "l", 100)
    ex(r2, "LTRIM", "l", 1, -1)
    assert 0 < ex(r2, "TTL", "l") <= 100


# --------------------------------------------------------------------------- LREM


@pytest.mark.parametrize(
    "count,removed,expected",
    [
        (0, 3, "bcbc"), (1, 1, "bcabca"), (2, 2, "bcbca"), (3, 3, "bcbc"), (100, 3, "bcbc"),
        (-1, 1, "abcabc"), (-2, 2, "abcbc"), (-3, 3, "bcbc"), (-100, 3, "bcbc"), (INT64_MIN, 3, "bcbc"),
    ],
)
def test_lrem(r2, count, removed, expected):
    mk(r2, *"abcabca")
    assert ex(r2, "LREM", "l", count, "a") == removed
    assert rl(r2) == [c.encode() for c in expected]


def test_lrem_no_match_and_all_removed(r2):
    mk(r2, "x", "x")
    assert ex(r2, "LREM", "l", 0, "y") == 0
    assert rl(r2) == [b"x", b"x"]
    assert ex(r2, "LREM", "l", -5, "x") == 2
    assert ex(r2, "EXISTS", "l") == 0


def test_lrem_missing_wrongtype_and_check_order(r2):
    ex(r2, "SET", "s", "v")
    assert ex(r2, "LREM", "nokey", 0, "a") == 0
    assert err(r2, "LREM", "s", 0, "a") == WRONGTYPE
    assert err(r2, "LREM", "s", "x", "a") == NOT_INT
    assert err(r2, "LREM", "nokey", "1.5", "a") == NOT_INT


def test_lrem_large_list_from_both_ends(r2):
    items = ["v%d" % (i % 7) for i in range(3000)]
    ex(r2, "RPUSH", "l", *items)
    assert ex(r2, "LREM", "l", -2, "v3") == 2
    model = items[:]
    for _ in range(2):
        idx = len(model) - 1 - model[::-1].index("v3")
        del model[idx]
    assert ex(r2, "LREM", "l", 5, "v0") == 5
    for _ in range(5):
        model.remove("v0")
    assert ex(r2, "LREM", "l", 0, "v6") == model.count("v6")
    model = [x for x in model if x != "v6"]
    assert rl(r2) == [x.encode() for x in model]


# --------------------------------------------------------------------------- LINSERT


def test_linsert_before_after(r2):
    mk(r2, "a", "b", "c")
    assert ex(r2, "LINSERT", "l", "BEFORE", "b", "x") == 4
    assert ex(r2, "LINSERT", "l", "after", "c", "z") == 5
    assert ex(r2, "LINSERT", "l", "Before", "a", "first") == 6
    assert ex(r2, "LINSERT", "l", "aFtEr", "a", "a2") == 7
    assert rl(r2) == [b"first", b"a", b"a2", b"x", b"b", b"c", b"z"]


def test_linsert_first_pivot_only(r2):
    mk(r2, "p", "q", "p")
    assert ex(r2, "LINSERT", "l", "AFTER", "p", "n") == 4
    assert rl(r2) == [b"p", b"n", b"q", b"p"]


def test_linsert_misses(r2):
    mk(r2, "a")
    assert ex(r2, "LINSERT", "l", "BEFORE", "zz", "x") == -1
    assert ex(r2, "LINSERT", "nokey", "BEFORE", "a", "x") == 0
    assert ex(r2, "EXISTS", "nokey") == 0
    assert rl(r2) == [b"a"]


def test_linsert_errors_and_check_order(r2):
    mk(r2, "a")
    ex(r2, "SET", "s", "v")
    assert err(r2, "LINSERT", "l", "MIDDLE", "a", "x") == SYNTAX
    assert err(r2, "LINSERT", "nokey", "MIDDLE", "a", "x") == SYNTAX
    assert err(r2, "LINSERT", "s", "MIDDLE", "a", "x") == SYNTAX
    assert err(r2, "LINSERT", "s", "BEFORE", "a", "x") == WRONGTYPE


def test_lpush_after_pops_and_inserts_at_head(r2):
    # exercises head-side growth after the head moved (pops) and inserts at the head
    ex(r2, "RPUSH", "l", *range(100))
    assert ex(r2, "LPOP", "l", 60) == [str(i).encode() for i in range(60)]
    ex(r2, "LINSERT", "l", "BEFORE", "60", "h1")
    ex(r2, "LPUSH", "l", *["p%d" % i for i in range(200)])
    got = rl(r2)
    assert got == [b"p%d" % i for i in range(199, -1, -1)] + [b"h1"] + [str(i).encode() for i in range(60, 100)]
    assert ex(r2, "LINDEX", "l", 200) == b"h1"
    assert ex(r2, "LLEN", "l") == 241


# --------------------------------------------------------------------------- LPOS


@pytest.mark.parametrize(
    "opts,expected",
    [
        ([], 0), (["RANK", 1], 0), (["RANK", 2], 3), (["RANK", 3], 6), (["RANK", 4], None),
        (["RANK", -1], 6), (["RANK", -3], 0), (["RANK", -4], None), (["COUNT", 0], [0, 3, 6]),
        (["COUNT", 2], [0, 3]), (["RANK", -1, "COUNT", 0], [6, 3, 0]), (["RANK", -2, "COUNT", 2, "MAXLEN", 4], [3]),
        (["RANK", 2, "MAXLEN", 3], None), (["MAXLEN", 1], 0), (["MAXLEN", 0, "COUNT", 2], [0, 3]),
        (["rank", 1, "rank", 2], 3), (["COUNT", INT64_MAX], [0, 3, 6]), (["RANK", INT64_MAX], None),
        (["RANK", -1, "MAXLEN", 1], 6), (["RANK", -1, "MAXLEN", 3, "COUNT", 0], [6]),
        (["RANK", INT64_MIN], 6), (["RANK", INT64_MIN, "COUNT", 1], [6, 3, 0]),
        (["RANK", "-9223372036854775807", "COUNT", 1], []), (["COUNT", 5, "MAXLEN", 4], [0, 3]),
    ],
)
def test_lpos(r2, opts, expected):
    mk(r2, *"abcabca")
    assert ex(r2, "LPOS", "l", "a", *opts) == expected


def test_lpos_not_found_and_missing(r):
    mk(r, "a", "b")
    assert ex(r, "LPOS", "l", "z") is None
    assert ex(r, "LPOS", "l", "z", "COUNT", 1) == []
    assert ex(r, "LPOS", "nokey", "z") is None
    assert ex(r, "LPOS", "nokey", "z", "COUNT", 0) == []


@pytest.mark.parametrize(
    "opts,message",
    [
        (["RANK", 0], RANK_ZERO), (["RANK", "x"], NOT_INT), (["COUNT", -1], "ERR COUNT can't be negative"),
        (["COUNT", "x"], "ERR COUNT can't be negative"), (["MAXLEN", -1], "ERR MAXLEN can't be negative"),
        (["MAXLEN", "x"], "ERR MAXLEN can't be negative"), (["COUNT", "9223372036854775808"], "ERR COUNT can't be negative"),
        (["COUNT"], SYNTAX), (["FOO", 1], SYNTAX), (["RANK", 1, "COUNT"], SYNTAX), (["rank"], SYNTAX),
    ],
)
def test_lpos_errors(r2, opts, message):
    mk(r2, "a")
    ex(r2, "SET", "s", "v")
    assert err(r2, "LPOS", "l", "a", *opts) == message
    # options are parsed before the key is looked up
    assert err(r2, "LPOS", "nokey", "a", *opts) == message
    assert err(r2, "LPOS", "s", "a", *opts) == message


def test_lpos_wrongtype(r2):
    ex(r2, "SET", "s", "v")
    assert err(r2, "LPOS", "s", "a") == WRONGTYPE
    assert err(r2, "LPOS", "s", "a", "COUNT", 0) == WRONGTYPE


def test_lpos_large_list_near_tail(r2):
    ex(r2, "RPUSH", "l", *range(5000))
    ex(r2, "RPUSH", "l", "needle")
    ex(r2, "LPUSH", "l", "needle")
    assert ex(r2, "LPOS", "l", "needle", "RANK", -1) == 5001
    assert ex(r2, "LPOS", "l", "needle", "RANK", -2) == 0
    assert ex(r2, "LPOS", "l", "needle", "COUNT", 0) == [0, 5001]
    assert ex(r2, "LPOS", "l", "needle", "RANK", -1, "MAXLEN", 10, "COUNT", 0) == [5001]
    assert ex(r2, "LPOS", "l", "4999", "RANK", -1, "MAXLEN", 2) == 5000
    assert ex(r2, "LPOS", "l", "4998", "RANK", -1, "MAXLEN", 2) is None


# --------------------------------------------------------------------------- LMOVE / RPOPLPUSH


@pytest.mark.parametrize(
    "wherefrom,whereto,moved,src,dst",
    [
        ("LEFT", "LEFT", b"a", "bc", "axy"), ("LEFT", "RIGHT", b"a", "bc", "xya"),
        ("RIGHT", "LEFT", b"c", "ab", "cxy"), ("RIGHT", "RIGHT", b"c", "ab", "xyc"),
    ],
)
def test_lmove_directions(r2, wherefrom, whereto, moved, src, dst):
    mk(r2, *"abc", key="s")
    mk(r2, *"xy", key="d")
    assert ex(r2, "LMOVE", "s", "d", wherefrom, whereto) == moved
    assert rl(r2, "s") == [c.encode() for c in src]
    assert rl(r2, "d") == [c.encode() for c in dst]


@pytest.mark.parametrize(
    "wherefrom,whereto,expected",
    [("LEFT", "RIGHT", "bca"), ("RIGHT", "LEFT", "cab"), ("LEFT", "LEFT", "abc"), ("RIGHT", "RIGHT", "abc")],
)
def test_lmove_same_key_rotation(r2, wherefrom, whereto, expected):
    mk(r2, *"abc")
    ex(r2, "LMOVE", "l", "l", wherefrom, whereto)
    assert rl(r2) == [c.encode() for c in expected]


def test_lmove_same_key_single_element(r2):
    mk(r2, "only")
    assert ex(r2, "LMOVE", "l", "l", "LEFT", "RIGHT") == b"only"
    assert rl(r2) == [b"only"]
    assert ex(r2, "RPOPLPUSH", "l", "l") == b"only"
    assert rl(r2) == [b"only"]


def test_lmove_creates_destination_and_deletes_source(r2):
    mk(r2, "a", key="s")
    assert ex(r2, "LMOVE", "s", "d", "left", "right") == b"a"
    assert ex(r2, "EXISTS", "s") == 0
    assert rl(r2, "d") == [b"a"]


def test_lmove_missing_and_wrongtype(r):
    ex(r, "SET", "str", "v")
    mk(r, "a", key="s")
    assert ex(r, "LMOVE", "nokey", "d", "LEFT", "LEFT") is None
    assert ex(r, "LMOVE", "nokey", "str", "LEFT", "LEFT") is None   # source checked first
    assert err(r, "LMOVE", "str", "d", "LEFT", "LEFT") == WRONGTYPE
    assert err(r, "LMOVE", "s", "str", "LEFT", "LEFT") == WRONGTYPE
    assert rl(r, "s") == [b"a"]
    assert ex(r, "EXISTS", "d") == 0


@pytest.mark.parametrize("wherefrom,whereto", [("UP", "LEFT"), ("LEFT", "DOWN"), ("", "LEFT"), ("LEFTX", "RIGHT")])
def test_lmove_syntax_error(r2, wherefrom, whereto):
    ex(r2, "SET", "str", "v")
    assert err(r2, "LMOVE", "nokey", "d", wherefrom, whereto) == SYNTAX
    assert err(r2, "LMOVE", "str", "d", wherefrom, whereto) == SYNTAX


def test_rpoplpush(r2):
    mk(r2, *"abc", key="s")
    mk(r2, "x", key="d")
    assert ex(r2, "RPOPLPUSH", "s", "d") == b"c"
    assert rl(r2, "s") == [b"a", b"b"]
    assert rl(r2, "d") == [b"c", b"x"]
    assert ex(r2, "RPOPLPUSH", "s", "s") == b"b"
    assert rl(r2, "s") == [b"b", b"a"]


def test_rpoplpush_missing_and_wrongtype(r):
    ex(r, "SET", "str", "v")
    mk(r, "a", key="s")
    assert ex(r, "RPOPLPUSH", "nokey", "d") is None
    assert ex(r, "RPOPLPUSH", "nokey", "str") is None
    assert err(r, "RPOPLPUSH", "str", "d") == WRONGTYPE
    assert err(r, "RPOPLPUSH", "s", "str") == WRONGTYPE
    assert rl(r, "s") == [b"a"]


def test_lmove_keeps_destination_ttl_drops_nothing(r2):
    mk(r2, "a", "b", key="s")
    mk(r2, "x", key="d")
    ex(r2, "EXPIRE", "d", 100)
    ex(r2, "EXPIRE", "s", 200)
    ex(r2, "LMOVE", "s", "d", "LEFT", "LEFT")
    assert 0 < ex(r2, "TTL", "d") <= 100
    assert 100 < ex(r2, "TTL", "s") <= 200


# --------------------------------------------------------------------------- expiry, databases


def test_expired_list_is_gone(r2):
    mk(r2, "a", "b")
    ex(r2, "PEXPIRE", "l", 30)
    time.sleep(0.1)
    assert ex(r2, "LLEN", "l") == 0
    assert ex(r2, "LPUSHX", "l", "x") == 0
    assert ex(r2, "LPUSH", "l", "x") == 1
    assert ex(r2, "TTL", "l") == -1


def test_lists_are_per_database(r2):
    mk(r2, "a")
    ex(r2, "SELECT", 1)
    assert ex(r2, "LLEN", "l") == 0
    mk(r2, "b", "c")
    ex(r2, "SELECT", 0)
    assert rl(r2) == [b"a"]


# --------------------------------------------------------------------------- model check


def test_random_operations_against_a_model(r2):
    """A few hundred random pushes/pops/edits; the reply and the list must follow a model."""
    rnd = random.Random(6214)
    model: list[bytes] = []
    for _ in range(400):
        op = rnd.randrange(9)
        v = b"v%d" % rnd.randrange(5)
        if op == 0:
            vals = [b"p%d" % rnd.randrange(5) for _ in range(rnd.randint(1, 40))]
            assert ex(r2, "LPUSH", "l", *vals) == len(model) + len(vals)
            model[:0] = vals[::-1]
        elif op == 1:
            vals = [b"q%d" % rnd.randrange(5) for _ in range(rnd.randint(1, 40))]
            assert ex(r2, "RPUSH", "l", *vals) == len(model) + len(vals)
            model.extend(vals)
        elif op == 2:
            k = rnd.randint(1, 30)
            got = ex(r2, "LPOP", "l", k)
            assert got == (model[:k] if model else None)
            del model[:k]
        elif op == 3:
            k = rnd.randint(1, 30)
            got = ex(r2, "RPOP", "l", k)
            assert got == (model[::-1][:k] if model else None)
            del model[max(0, len(model) - k):]
        elif op == 4 and model:
            i = rnd.randrange(-len(model), len(model))
            assert ex(r2, "LINDEX", "l", i) == model[i]
            assert ex(r2, "LSET", "l", i, v) == b"OK"
            model[i] = v
        elif op == 5:
            if not model:
                expected = 0
            elif b"p1" in model:
                model.insert(model.index(b"p1"), v)
                expected = len(model)
            else:
                expected = -1
            assert ex(r2, "LINSERT", "l", "BEFORE", b"p1", v) == expected
        elif op == 6:
            s, e = rnd.randint(-50, 50), rnd.randint(-50, 50)
            n = len(model)
            ss = max(s + n if s < 0 else s, 0)
            ee = min(e + n if e < 0 else e, n - 1)
            assert ex(r2, "LRANGE", "l", s, e) == (model[ss:ee + 1] if ss <= ee else [])
        elif op == 7:
            cnt = rnd.randint(-3, 3)
            target = b"p%d" % rnd.randrange(5)
            idx = [i for i, x in enumerate(model) if x == target]
            if cnt > 0:
                idx = idx[:cnt]
            elif cnt < 0:
                idx = idx[cnt:]
            assert ex(r2, "LREM", "l", cnt, target) == len(idx)
            for i in reversed(idx):
                del model[i]
        else:
            assert ex(r2, "LLEN", "l") == len(model)
    assert rl(r2) == model


# --------------------------------------------------------------------------- keyspace events


def _collect(sub, n_expected, timeout=2.0):
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < n_expected and time.monotonic() < deadline:
        m = sub.get_message(timeout=0.1)
        if m and m["type"] == "pmessage":
            out.append((m["channel"].decode().split(":", 1)[1], m["data"].decode()))
    return out


@pytest.fixture
def keyspace(make_client):
    admin = make_client()
    ex(admin, "CONFIG", "SET", "notify-keyspace-events", "KEA")
    subscriber = make_client()
    ps = subscriber.pubsub()
    ps.psubscribe("__keyspace@0__:*")
    assert ps.get_message(timeout=2)["type"] == "psubscribe"
    yield lambda n: _collect(ps, n)
    ps.close()
    ex(admin, "CONFIG", "SET", "notify-keyspace-events", "")


@pytest.mark.parametrize(
    "setup,command,events",
    [
        ([], ["RPUSH", "l", "a", "b"], [("l", "rpush")]),
        ([], ["LPUSH", "l", "a", "b"], [("l", "lpush")]),
        (["RPUSH l a"], ["LPUSHX", "l", "b"], [("l", "lpush")]),
        (["RPUSH l a"], ["RPUSHX", "l", "b"], [("l", "rpush")]),
        (["RPUSH l a b"], ["LPOP", "l"], [("l", "lpop")]),
        (["RPUSH l a b"], ["RPOP", "l", "5"], [("l", "rpop"), ("l", "del")]),
        (["RPUSH l a b"], ["LSET", "l", "0", "x"], [("l", "lset")]),
        (["RPUSH l a b"], ["LINSERT", "l", "AFTER", "a", "x"], [("l", "linsert")]),
        (["RPUSH l a b a"], ["LREM", "l", "0", "a"], [("l", "lrem")]),
        (["RPUSH l a"], ["LREM", "l", "0", "a"], [("l", "lrem"), ("l", "del")]),
        (["RPUSH l a b c"], ["LTRIM", "l", "1", "-1"], [("l", "ltrim")]),
        (["RPUSH l a b c"], ["LTRIM", "l", "0", "-1"], [("l", "ltrim")]),
        (["RPUSH l a b c"], ["LTRIM", "l", "5", "6"], [("l", "ltrim"), ("l", "del")]),
        (["RPUSH s a b"], ["LMOVE", "s", "d", "LEFT", "RIGHT"], [("d", "rpush"), ("s", "lpop")]),
        (["RPUSH s a"], ["RPOPLPUSH", "s", "d"], [("d", "lpush"), ("s", "rpop"), ("s", "del")]),
        (["RPUSH s a"], ["LMOVE", "s", "s", "LEFT", "LEFT"], [("s", "lpush"), ("s", "lpop")]),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) and v and isinstance(v[0], str) else None,
)
def test_keyspace_events(r2, keyspace, setup, command, events):
    for line in setup:
        ex(r2, *line.split())
    keyspace(len(setup))
    ex(r2, *command)
    ex(r2, "PING")
    assert keyspace(len(events)) == events


def test_no_events_when_nothing_changes(r2, keyspace):
    mk(r2, "a")
    keyspace(1)
    for cmd in (["LPOP", "l", "0"], ["LREM", "l", "0", "zz"], ["LINSERT", "l", "BEFORE", "zz", "x"],
                ["LPUSHX", "nokey", "x"], ["LPOP", "nokey"], ["LMOVE", "nokey", "l", "LEFT", "LEFT"]):
        ex(r2, *cmd)
    ex(r2, "RPUSH", "marker", "x")
    assert keyspace(1) == [("marker", "rpush")]


# --------------------------------------------------------------------------- WATCH


def test_noop_ltrim_still_touches_watch(r2, make_client):
    other = make_client()
    mk(r2, "a", "b")
    ex(r2, "WATCH", "l")
    ex(other, "LTRIM", "l", 0, -1)   # removes nothing, but Redis signals the key as modified
    ex(r2, "MULTI")
    ex(r2, "LLEN", "l")
    assert ex(r2, "EXEC") is None


def test_failed_list_edits_do_not_touch_watch(r2, make_client):
    other = make_client()
    mk(r2, "a", "b")
    ex(r2, "WATCH", "l")
    ex(other, "LREM", "l", 0, "zz")
    ex(other, "LINSERT", "l", "BEFORE", "zz", "x")
    ex(other, "LPOP", "l", 0)
    ex(r2, "MULTI")
    ex(r2, "LLEN", "l")
    assert ex(r2, "EXEC") == [2]
