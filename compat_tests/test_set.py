"""Set commands, as Redis 6.2.14 does them (tests/unit/type/set.tcl's ground).

SADD SREM SCARD SISMEMBER SMISMEMBER SMEMBERS SRANDMEMBER SPOP SMOVE SINTER SINTERSTORE SUNION
SUNIONSTORE SDIFF SDIFFSTORE SSCAN: replies, reply types per protocol (RESP3 sets), exact
error texts, which check wins, key deletion when a set empties, intset/hashtable encoding
(intsets reply in ascending order; a hashtable never turns back into an intset), keyspace
events and the command table.
"""

from __future__ import annotations

import contextlib
import time

import pytest

from .helpers import err, ex

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INT = "ERR value is not an integer or out of range"
NOT_POSITIVE = "ERR value is out of range, must be positive"
SYNTAX = "ERR syntax error"
INVALID_CURSOR = "ERR invalid cursor"
LONG_RANGE = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"


def arity(name):
    return f"ERR wrong number of arguments for '{name}' command"


def sa(client, key, *members):
    return ex(client, "SADD", key, *members)


def sm(client, key="s"):
    """SMEMBERS, sorted (for hashtable-encoded sets, whose order is arbitrary)."""
    return sorted(ex(client, "SMEMBERS", key))


def enc(client, key="s"):
    return ex(client, "OBJECT", "ENCODING", key)


def b(*items):
    return [str(i).encode() for i in items]


@contextlib.contextmanager
def config(client, name, value):
    old = ex(client, "CONFIG", "GET", name)[1]
    ex(client, "CONFIG", "SET", name, value)
    try:
        yield
    finally:
        ex(client, "CONFIG", "SET", name, old)


def sscan_all(client, key, *options):
    cursor, out, calls = b"0", [], 0
    while True:
        cursor, batch = ex(client, "SSCAN", key, cursor, *options)
        calls += 1
        assert cursor.isdigit()
        out.extend(batch)
        if cursor == b"0":
            return out, calls
        assert calls < 10_000


# --------------------------------------------------------------------------- command table

COMMAND_INFO = {
    "sadd": (-3, [b"write", b"denyoom", b"fast"], 1, 1),
    "srem": (-3, [b"write", b"fast"], 1, 1),
    "scard": (2, [b"readonly", b"fast"], 1, 1),
    "sismember": (3, [b"readonly", b"fast"], 1, 1),
    "smismember": (-3, [b"readonly", b"fast"], 1, 1),
    "smembers": (2, [b"readonly", b"sort_for_script"], 1, 1),
    "srandmember": (-2, [b"readonly", b"random"], 1, 1),
    "spop": (-2, [b"write", b"random", b"fast"], 1, 1),
    "smove": (4, [b"write", b"fast"], 1, 2),
    "sinter": (-2, [b"readonly", b"sort_for_script"], 1, -1),
    "sinterstore": (-3, [b"write", b"denyoom"], 1, -1),
    "sunion": (-2, [b"readonly", b"sort_for_script"], 1, -1),
    "sunionstore": (-3, [b"write", b"denyoom"], 1, -1),
    "sdiff": (-2, [b"readonly", b"sort_for_script"], 1, -1),
    "sdiffstore": (-3, [b"write", b"denyoom"], 1, -1),
    "sscan": (-3, [b"readonly", b"random"], 1, 1),
}


@pytest.mark.parametrize("name", sorted(COMMAND_INFO))
def test_command_info(r2, name):
    (info,) = ex(r2, "COMMAND", "INFO", name)
    arity_, flags, first, last = COMMAND_INFO[name]
    assert info[:6] == [name.encode(), arity_, flags, first, last, 1]
    cats = info[6]
    assert b"@set" in cats
    assert (b"@fast" in cats) == (b"fast" in flags)
    assert (b"@slow" in cats) == (b"fast" not in flags)
    assert (b"@write" in cats) == (b"write" in flags)


def test_command_getkeys(r2):
    assert ex(r2, "COMMAND", "GETKEYS", "SINTERSTORE", "d", "a", "b") == [b"d", b"a", b"b"]
    assert ex(r2, "COMMAND", "GETKEYS", "SMOVE", "a", "b", "m") == [b"a", b"b"]


@pytest.mark.parametrize(
    "args",
    [
        ["SADD", "s"], ["SREM", "s"], ["SCARD"], ["SISMEMBER", "s"], ["SMISMEMBER", "s"],
        ["SMEMBERS"], ["SRANDMEMBER"], ["SPOP"], ["SMOVE", "a", "b"], ["SINTER"],
        ["SINTERSTORE", "d"], ["SUNION"], ["SUNIONSTORE", "d"], ["SDIFF"], ["SDIFFSTORE", "d"],
        ["SSCAN", "s"], ["SCARD", "a", "b"],
    ],
    ids=lambda a: " ".join(a),
)
def test_wrong_arity(r2, args):
    assert err(r2, *args) == arity(args[0].lower())


# --------------------------------------------------------------------------- wrong type


@pytest.mark.parametrize(
    "args",
    [
        ["SADD", "k", "m"], ["SREM", "k", "m"], ["SCARD", "k"], ["SISMEMBER", "k", "m"],
        ["SMISMEMBER", "k", "m"], ["SMEMBERS", "k"], ["SRANDMEMBER", "k"],
        ["SRANDMEMBER", "k", "2"], ["SRANDMEMBER", "k", "-2"], ["SPOP", "k"], ["SPOP", "k", "0"],
        ["SPOP", "k", "2"], ["SMOVE", "k", "d", "m"], ["SINTER", "k"], ["SINTER", "nokey", "k"],
        ["SINTERSTORE", "d", "nokey", "k"], ["SUNION", "nokey", "k"], ["SUNIONSTORE", "d", "k"],
        ["SDIFF", "nokey", "k"], ["SDIFFSTORE", "d", "nokey", "k"], ["SSCAN", "k", "0"],
    ],
    ids=lambda a: " ".join(a),
)
def test_wrongtype(r2, args):
    ex(r2, "SET", "k", "v")
    assert err(r2, *args) == WRONGTYPE
    assert ex(r2, "GET", "k") == b"v"


def test_wrongtype_on_hash(r2):
    ex(r2, "HSET", "k", "f", "v")
    assert err(r2, "SADD", "k", "m") == WRONGTYPE
    assert err(r2, "SMEMBERS", "k") == WRONGTYPE


# --------------------------------------------------------------------------- SADD / SREM / SCARD


def test_sadd_returns_added_count(r2):
    assert sa(r2, "s", "a", "b") == 2
    assert sa(r2, "s", "b", "c", "d") == 2
    assert sa(r2, "s", "a") == 0
    assert ex(r2, "SCARD", "s") == 4


def test_sadd_duplicates_in_one_call(r2):
    assert sa(r2, "s", "x", "x", "y", "x") == 2
    assert sm(r2) == [b"x", b"y"]


def test_sadd_binary_and_empty_members(r2):
    assert sa(r2, "s", "", b"\x00\xff", "a b") == 3
    assert sm(r2) == [b"", b"\x00\xff", b"a b"]
    assert ex(r2, "SISMEMBER", "s", "") == 1


def test_sadd_keeps_ttl(r2):
    sa(r2, "s", "a")
    ex(r2, "EXPIRE", "s", 100)
    sa(r2, "s", "b")
    assert 0 < ex(r2, "TTL", "s") <= 100


def test_sadd_on_expired_key(r2):
    sa(r2, "s", "a")
    ex(r2, "PEXPIRE", "s", 1)
    time.sleep(0.01)
    assert sa(r2, "s", "b") == 1
    assert ex(r2, "SMEMBERS", "s") == [b"b"]


def test_srem(r2):
    sa(r2, "s", "a", "b", "c")
    assert ex(r2, "SREM", "s", "a", "zz", "a") == 1
    assert ex(r2, "SREM", "s", "zz") == 0
    assert sm(r2) == [b"b", b"c"]


def test_srem_last_member_deletes_key(r2):
    sa(r2, "s", "a", "b")
    assert ex(r2, "SREM", "s", "a", "b", "c") == 2
    assert ex(r2, "EXISTS", "s") == 0


def test_srem_missing_key(r2):
    assert ex(r2, "SREM", "nokey", "a") == 0


def test_srem_integer_members(r2):
    sa(r2, "s", "1", "2", "3")
    assert ex(r2, "SREM", "s", "01", "2", "x") == 1
    assert ex(r2, "SMEMBERS", "s") == [b"1", b"3"]


def test_scard(r2):
    assert ex(r2, "SCARD", "nokey") == 0
    sa(r2, "s", "a", "b", "1")
    assert ex(r2, "SCARD", "s") == 3


# --------------------------------------------------------------------------- membership


def test_sismember(r2):
    sa(r2, "s", "a", "1")
    assert ex(r2, "SISMEMBER", "s", "a") == 1
    assert ex(r2, "SISMEMBER", "s", "1") == 1
    assert ex(r2, "SISMEMBER", "s", "01") == 0
    assert ex(r2, "SISMEMBER", "s", "b") == 0
    assert ex(r2, "SISMEMBER", "nokey", "a") == 0


def test_sismember_intset(r2):
    sa(r2, "s", "17", "-5")
    assert ex(r2, "SISMEMBER", "s", "17") == 1
    assert ex(r2, "SISMEMBER", "s", "-5") == 1
    assert ex(r2, "SISMEMBER", "s", "+17") == 0
    assert ex(r2, "SISMEMBER", "s", "x") == 0


def test_smismember(r2):
    sa(r2, "s", "a", "b")
    assert ex(r2, "SMISMEMBER", "s", "a", "x", "b", "a") == [1, 0, 1, 1]
    assert ex(r2, "SMISMEMBER", "nokey", "a", "b") == [0, 0]


# --------------------------------------------------------------------------- SMEMBERS


def test_smembers_intset_is_sorted(r):
    sa(r, "s", "5", "-3", "10", "0", "-9223372036854775808", "9223372036854775807")
    assert list(ex(r, "SMEMBERS", "s")) == b(-9223372036854775808, -3, 0, 5, 10, 9223372036854775807)


def test_smembers_hashtable(r):
    sa(r, "s", "c", "a", "b", "1")
    assert sorted(ex(r, "SMEMBERS", "s")) == [b"1", b"a", b"b", b"c"]


def test_smembers_wire_format(raw):
    raw.cmd("SADD", "s", "2", "1")
    assert raw.cmd("SMEMBERS", "s") == b"*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    assert raw.cmd("SMEMBERS", "nokey") == b"*0\r\n"
    raw.cmd("HELLO", "3")
    assert raw.cmd("SMEMBERS", "s") == b"~2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    assert raw.cmd("SMEMBERS", "nokey") == b"~0\r\n"


# --------------------------------------------------------------------------- SMOVE


def test_smove(r2):
    sa(r2, "src", "a", "b")
    sa(r2, "dst", "c")
    assert ex(r2, "SMOVE", "src", "dst", "a") == 1
    assert sm(r2, "src") == [b"b"]
    assert sm(r2, "dst") == [b"a", b"c"]


def test_smove_creates_destination_and_deletes_empty_source(r2):
    sa(r2, "src", "a")
    assert ex(r2, "SMOVE", "src", "dst", "a") == 1
    assert ex(r2, "EXISTS", "src") == 0
    assert ex(r2, "SMEMBERS", "dst") == [b"a"]


def test_smove_member_already_in_destination(r2):
    sa(r2, "src", "a", "b")
    sa(r2, "dst", "a")
    assert ex(r2, "SMOVE", "src", "dst", "a") == 1
    assert sm(r2, "src") == [b"b"]
    assert sm(r2, "dst") == [b"a"]


def test_smove_non_member(r2):
    sa(r2, "src", "a")
    assert ex(r2, "SMOVE", "src", "dst", "zz") == 0
    assert ex(r2, "EXISTS", "dst") == 0


def test_smove_missing_source_wins_over_wrongtype_destination(r2):
    ex(r2, "SET", "str", "v")
    assert ex(r2, "SMOVE", "nokey", "str", "a") == 0


def test_smove_wrongtype_destination(r2):
    sa(r2, "src", "a")
    ex(r2, "SET", "str", "v")
    assert err(r2, "SMOVE", "src", "str", "a") == WRONGTYPE
    assert err(r2, "SMOVE", "src", "str", "zz") == WRONGTYPE
    assert sm(r2, "src") == [b"a"]


def test_smove_same_key(r2):
    sa(r2, "s", "a", "b")
    assert ex(r2, "SMOVE", "s", "s", "a") == 1
    assert ex(r2, "SMOVE", "s", "s", "zz") == 0
    assert sm(r2) == [b"a", b"b"]


def test_smove_encodings(r2):
    sa(r2, "ints", "1", "2")
    sa(r2, "strs", "a", "3")
    assert ex(r2, "SMOVE", "strs", "ints", "a") == 1
    assert enc(r2, "ints") == b"hashtable"
    assert ex(r2, "SMOVE", "strs", "new", "3") == 1
    assert enc(r2, "new") == b"intset"
    sa(r2, "x", "str")
    ex(r2, "SMOVE", "x", "new2", "str")
    assert enc(r2, "new2") == b"hashtable"


# --------------------------------------------------------------------------- SRANDMEMBER


def test_srandmember_single(r):
    sa(r, "s", "a", "b", "c")
    for _ in range(10):
        assert ex(r, "SRANDMEMBER", "s") in (b"a", b"b", b"c")
    assert ex(r, "SRANDMEMBER", "nokey") is None
    assert ex(r, "SCARD", "s") == 3


def test_srandmember_null_encoding(raw):
    assert raw.cmd("SRANDMEMBER", "nokey") == b"$-1\r\n"
    raw.cmd("HELLO", "3")
    assert raw.cmd("SRANDMEMBER", "nokey") == b"_\r\n"
    assert raw.cmd("SRANDMEMBER", "nokey", "3") == b"*0\r\n"
    raw.cmd("SADD", "s", "2", "1")
    assert raw.cmd("SRANDMEMBER", "s", "5") == b"*2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    raw.cmd("SADD", "one", "x")
    assert raw.cmd("SRANDMEMBER", "one", "-2") == b"*2\r\n$1\r\nx\r\n$1\r\nx\r\n"
    assert raw.cmd("SRANDMEMBER", "one") == b"$1\r\nx\r\n"


def test_srandmember_positive_count_distinct(r2):
    members = b(*range(50))
    sa(r2, "s", *members)
    for count in (1, 2, 10, 20, 49):
        got = ex(r2, "SRANDMEMBER", "s", count)
        assert len(got) == count == len(set(got))
        assert set(got) <= set(members)


def test_srandmember_count_at_least_size_returns_whole_set(r2):
    sa(r2, "s", "3", "1", "2")
    assert ex(r2, "SRANDMEMBER", "s", 3) == b(1, 2, 3)
    assert ex(r2, "SRANDMEMBER", "s", 10) == b(1, 2, 3)
    assert ex(r2, "SRANDMEMBER", "s", "9223372036854775807") == b(1, 2, 3)


def test_srandmember_negative_count_repeats(r2):
    sa(r2, "s", "only")
    assert ex(r2, "SRANDMEMBER", "s", -4) == [b"only"] * 4
    sa(r2, "t", "a", "b")
    got = ex(r2, "SRANDMEMBER", "t", -100)
    assert len(got) == 100 and set(got) == {b"a", b"b"}


def test_srandmember_zero_and_missing(r2):
    sa(r2, "s", "a")
    assert ex(r2, "SRANDMEMBER", "s", 0) == []
    assert ex(r2, "SRANDMEMBER", "nokey", 5) == []
    assert ex(r2, "SRANDMEMBER", "nokey", "-9223372036854775807") == []


@pytest.mark.parametrize(
    "args,error",
    [
        (["x"], NOT_INT),
        (["1.5"], NOT_INT),
        (["9223372036854775808"], NOT_INT),
        (["-9223372036854775808"], LONG_RANGE),
        (["1", "2"], SYNTAX),
        (["x", "2"], SYNTAX),
    ],
)
def test_srandmember_errors(r2, args, error):
    assert err(r2, "SRANDMEMBER", "nokey", *args) == error
    ex(r2, "SET", "k", "v")
    assert err(r2, "SRANDMEMBER", "k", *args) == error


def test_srandmember_is_not_biased(r2):
    sa(r2, "s", *b(*range(10)))
    seen = set()
    for _ in range(200):
        seen.add(ex(r2, "SRANDMEMBER", "s"))
    assert len(seen) == 10


# --------------------------------------------------------------------------- SPOP


def test_spop_single(r2):
    sa(r2, "s", "a", "b", "c")
    popped = ex(r2, "SPOP", "s")
    assert popped in (b"a", b"b", b"c")
    assert ex(r2, "SISMEMBER", "s", popped) == 0
    assert ex(r2, "SCARD", "s") == 2


def test_spop_last_member_deletes_key(r2):
    sa(r2, "s", "42")
    assert ex(r2, "SPOP", "s") == b"42"
    assert ex(r2, "EXISTS", "s") == 0


def test_spop_missing_key(r):
    assert ex(r, "SPOP", "nokey") is None
    assert ex(r, "SPOP", "nokey", 3) == []


def test_spop_count_wire_format(raw):
    raw.cmd("SADD", "s", "1", "2")
    assert raw.cmd("SPOP", "s", "0") == b"*0\r\n"
    assert raw.cmd("SPOP", "nokey", "2") == b"*0\r\n"
    raw.cmd("HELLO", "3")
    assert raw.cmd("SPOP", "s", "0") == b"~0\r\n"
    assert raw.cmd("SPOP", "nokey", "2") == b"~0\r\n"
    assert raw.cmd("SPOP", "nokey") == b"_\r\n"
    assert raw.cmd("SPOP", "s", "5") == b"~2\r\n$1\r\n1\r\n$1\r\n2\r\n"


def test_spop_count(r2):
    members = set(b(*range(20)))
    sa(r2, "s", *members)
    got = ex(r2, "SPOP", "s", 5)
    assert len(got) == 5 == len(set(got)) and set(got) <= members
    assert set(ex(r2, "SMEMBERS", "s")) == members - set(got)
    got2 = ex(r2, "SPOP", "s", 14)
    assert len(got2) == 14 and not set(got2) & set(got)
    assert ex(r2, "SCARD", "s") == 1


def test_spop_count_whole_set(r2):
    sa(r2, "s", "3", "1", "2")
    assert ex(r2, "SPOP", "s", 3) == b(1, 2, 3)
    assert ex(r2, "EXISTS", "s") == 0
    sa(r2, "t", "a", "b")
    assert sorted(ex(r2, "SPOP", "t", "9223372036854775807")) == [b"a", b"b"]
    assert ex(r2, "EXISTS", "t") == 0


def test_spop_whole_set_replies_like_sunion(r2):
    # a hashtable-encoded set of integers: the reply is built as an intset, so it is sorted
    sa(r2, "s", "5", "3", "x", "1")
    ex(r2, "SREM", "s", "x")
    assert enc(r2) == b"hashtable"
    assert ex(r2, "SPOP", "s", 10) == b(1, 3, 5)


def test_spop_count_zero_keeps_set(r2):
    sa(r2, "s", "a")
    assert ex(r2, "SPOP", "s", 0) == []
    assert ex(r2, "SCARD", "s") == 1


@pytest.mark.parametrize("count", ["-1", "x", "1.5", "9223372036854775808", "-9223372036854775808", ""])
def test_spop_bad_count(r2, count):
    sa(r2, "s", "a")
    assert err(r2, "SPOP", "s", count) == NOT_POSITIVE
    assert err(r2, "SPOP", "nokey", count) == NOT_POSITIVE
    ex(r2, "SET", "k", "v")
    assert err(r2, "SPOP", "k", count) == NOT_POSITIVE


def test_spop_extra_argument(r2):
    sa(r2, "s", "a")
    assert err(r2, "SPOP", "s", "1", "2") == SYNTAX
    assert err(r2, "SPOP", "nokey", "x", "2") == SYNTAX


def test_spop_big_set_drains(r2):
    members = set(b(*range(2000)))
    sa(r2, "s", *members)
    got = set()
    for _ in range(5):
        got.update(ex(r2, "SPOP", "s", 100))
    for _ in range(20):
        got.add(ex(r2, "SPOP", "s"))
    assert len(got) == 520
    assert ex(r2, "SCARD", "s") == 1480
    got.update(ex(r2, "SPOP", "s", 1470))
    assert ex(r2, "SCARD", "s") == 10
    got.update(ex(r2, "SPOP", "s", 10))
    assert got == members
    assert ex(r2, "EXISTS", "s") == 0


# --------------------------------------------------------------------------- SINTER / SUNION / SDIFF


@pytest.fixture
def abc(r2):
    sa(r2, "a", "1", "3", "5", "9")
    sa(r2, "b", "1", "3", "5", "7", "x")
    sa(r2, "c", "3", "5", "y")
    return r2


def test_sinter(abc):
    r2 = abc
    assert ex(r2, "SINTER", "a", "b") == b(1, 3, 5)
    assert ex(r2, "SINTER", "b", "a") == b(1, 3, 5)
    assert sorted(ex(r2, "SINTER", "a", "b", "c")) == b(3, 5)
    assert ex(r2, "SINTER", "a") == b(1, 3, 5, 9)
    assert ex(r2, "SINTER", "a", "a") == b(1, 3, 5, 9)


def test_sinter_with_missing_key_is_empty(abc):
    assert ex(abc, "SINTER", "a", "nokey", "b") == []


def test_sunion(abc):
    r2 = abc
    assert ex(r2, "SUNION", "a") == b(1, 3, 5, 9)
    assert ex(r2, "SUNION", "a", "nokey") == b(1, 3, 5, 9)
    assert sorted(ex(r2, "SUNION", "a", "b", "c")) == sorted(b(1, 3, 5, 7, 9, "x", "y"))
    assert ex(r2, "SUNION", "nokey", "nokey2") == []


def test_sdiff(abc):
    r2 = abc
    assert ex(r2, "SDIFF", "a", "b") == [b"9"]
    assert sorted(ex(r2, "SDIFF", "b", "a")) == [b"7", b"x"]
    assert ex(r2, "SDIFF", "a", "nokey") == b(1, 3, 5, 9)
    assert ex(r2, "SDIFF", "nokey", "a") == []
    assert ex(r2, "SDIFF", "a", "a") == []
    assert ex(r2, "SDIFF", "a") == b(1, 3, 5, 9)
    assert sorted(ex(r2, "SDIFF", "b", "c", "a")) == [b"7", b"x"]


def test_sdiff_results_of_intsets_are_sorted(r2):
    sa(r2, "big", *b(*range(100, 0, -1)))
    sa(r2, "odd", *b(*range(1, 101, 2)))
    assert ex(r2, "SDIFF", "big", "odd") == b(*range(2, 101, 2))
    assert ex(r2, "SUNION", "odd", "big") == b(*range(1, 101))


def test_set_algebra_resp3_types(raw):
    raw.cmd("SADD", "a", "1", "2")
    raw.cmd("HELLO", "3")
    assert raw.cmd("SINTER", "a", "a") == b"~2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    assert raw.cmd("SINTER", "a", "nokey") == b"~0\r\n"
    assert raw.cmd("SUNION", "a") == b"~2\r\n$1\r\n1\r\n$1\r\n2\r\n"
    assert raw.cmd("SDIFF", "a", "a") == b"~0\r\n"


def test_sinterstore(abc):
    r2 = abc
    assert ex(r2, "SINTERSTORE", "d", "a", "b") == 3
    assert ex(r2, "SMEMBERS", "d") == b(1, 3, 5)
    assert enc(r2, "d") == b"intset"


def test_sunionstore(abc):
    r2 = abc
    assert ex(r2, "SUNIONSTORE", "d", "a", "c") == 5
    assert sm(r2, "d") == sorted(b(1, 3, 5, 9, "y"))
    assert enc(r2, "d") == b"hashtable"
    assert ex(r2, "SUNIONSTORE", "d", "a", "nokey") == 4
    assert enc(r2, "d") == b"intset"


def test_sdiffstore(abc):
    r2 = abc
    assert ex(r2, "SDIFFSTORE", "d", "b", "a") == 2
    assert sm(r2, "d") == [b"7", b"x"]


def test_store_with_empty_result_deletes_destination(abc):
    r2 = abc
    sa(r2, "d", "old")
    assert ex(r2, "SINTERSTORE", "d", "a", "nokey") == 0
    assert ex(r2, "EXISTS", "d") == 0
    ex(r2, "SET", "d", "v")
    assert ex(r2, "SDIFFSTORE", "d", "a", "a") == 0
    assert ex(r2, "EXISTS", "d") == 0
    ex(r2, "SET", "d", "v")
    assert ex(r2, "SUNIONSTORE", "d", "nokey") == 0
    assert ex(r2, "EXISTS", "d") == 0


def test_store_overwrites_any_type_and_drops_ttl(abc):
    r2 = abc
    ex(r2, "SET", "d", "v", "EX", 100)
    assert ex(r2, "SUNIONSTORE", "d", "a") == 4
    assert ex(r2, "TYPE", "d") == b"set"
    assert ex(r2, "TTL", "d") == -1


def test_store_destination_among_sources(abc):
    r2 = abc
    assert ex(r2, "SINTERSTORE", "a", "a", "b") == 3
    assert ex(r2, "SMEMBERS", "a") == b(1, 3, 5)
    assert ex(r2, "SUNIONSTORE", "a", "a") == 3
    assert ex(r2, "SDIFFSTORE", "c", "c", "a") == 1
    assert ex(r2, "SMEMBERS", "c") == [b"y"]


def test_store_wrongtype_source_leaves_destination(abc):
    r2 = abc
    ex(r2, "SET", "str", "v")
    assert err(r2, "SINTERSTORE", "a", "b", "str") == WRONGTYPE
    assert ex(r2, "SCARD", "a") == 4


def test_sdiffstore_encoding_follows_redis_algorithm(r2):
    sa(r2, "first", *b(*range(1, 11)), "x")
    sa(r2, "o1", "x")
    sa(r2, "o2", "y")
    # three sets: Redis copies the whole first set then removes -> hashtable
    assert ex(r2, "SDIFFSTORE", "d", "first", "o1", "o2") == 10
    assert enc(r2, "d") == b"hashtable"
    # two sets: Redis adds the surviving members one by one -> intset
    assert ex(r2, "SDIFFSTORE", "d2", "first", "o1") == 10
    assert enc(r2, "d2") == b"intset"
    assert ex(r2, "SMEMBERS", "d2") == b(*range(1, 11))


# --------------------------------------------------------------------------- SSCAN


def test_sscan_intset_in_one_sorted_call(r2):
    sa(r2, "s", *b(*range(30, 0, -1)))
    assert ex(r2, "SSCAN", "s", 0) == [b"0", b(*range(1, 31))]
    assert ex(r2, "SSCAN", "s", 7, "COUNT", 1) == [b"0", b(*range(1, 31))]
    assert ex(r2, "SSCAN", "s", 0, "MATCH", "1*") == [b"0", b(1, *range(10, 20))]


def test_sscan_small_hashtable_set_in_one_call(r2):
    sa(r2, "s", "a", "b", "c", "d", "e")
    cursor, members = ex(r2, "SSCAN", "s", 0)
    assert cursor == b"0"
    assert sorted(members) == [b"a", b"b", b"c", b"d", b"e"]


def test_sscan_missing_key(r2):
    assert ex(r2, "SSCAN", "nokey", 0) == [b"0", []]
    assert ex(r2, "SSCAN", "nokey", 0, "COUNT", 0) == [b"0", []]


@pytest.mark.parametrize(
    "options,error",
    [
        (["COUNT", "0"], SYNTAX),
        (["COUNT", "x"], NOT_INT),
        (["MATCH"], SYNTAX),
        (["TYPE", "set"], SYNTAX),
        (["NOVALUES"], SYNTAX),
    ],
)
def test_sscan_option_errors(r2, options, error):
    sa(r2, "s", "1", "a")
    assert err(r2, "SSCAN", "s", 0, *options) == error


@pytest.mark.parametrize("cursor", ["abc", " 0", "18446744073709551616", "1.5"])
def test_sscan_invalid_cursor(r2, cursor):
    sa(r2, "s", "a")
    assert err(r2, "SSCAN", "s", cursor) == INVALID_CURSOR


def test_sscan_big_set_full_iteration(r2):
    members = {f"m{i}".encode() for i in range(1000)}
    sa(r2, "s", *members)
    got, calls = sscan_all(r2, "s")
    assert set(got) == members
    assert calls > 10
    got, _ = sscan_all(r2, "s", "MATCH", "m9*", "COUNT", 50)
    assert set(got) == {m for m in members if m.startswith(b"m9")}


def test_sscan_large_intset_converted(r2):
    sa(r2, "s", *b(*range(600)))
    assert enc(r2) == b"hashtable"
    got, _ = sscan_all(r2, "s", "COUNT", 100)
    assert set(got) == set(b(*range(600)))


def test_sscan_members_present_throughout_are_returned(r2):
    sa(r2, "s", *[f"m{i}" for i in range(500)])
    cursor, seen, calls = b"0", set(), 0
    while True:
        cursor, batch = ex(r2, "SSCAN", "s", cursor, "COUNT", 25)
        seen.update(batch)
        calls += 1
        ex(r2, "SREM", "s", f"m{calls}")
        ex(r2, "SADD", "s", f"new{calls}")
        if cursor == b"0":
            break
    assert {f"m{i}".encode() for i in range(calls + 1, 500)} <= seen


# --------------------------------------------------------------------------- encodings


def test_integer_set_is_intset(r2):
    sa(r2, "s", "1", "-2", "9223372036854775807", "-9223372036854775808")
    assert enc(r2) == b"intset"


@pytest.mark.parametrize("member", ["a", "01", "+1", " 1", "1.0", "9223372036854775808",
                                    "-9223372036854775809", "", "-0"])
def test_non_integer_member_makes_hashtable(r2, member):
    sa(r2, "s", "1", "2")
    sa(r2, "s", member)
    assert enc(r2) == b"hashtable"


def test_hashtable_never_converts_back(r2):
    sa(r2, "s", "1", "2", "a")
    ex(r2, "SREM", "s", "a")
    assert enc(r2) == b"hashtable"


def test_too_many_integers_makes_hashtable(r2):
    sa(r2, "s", *b(*range(512)))
    assert enc(r2) == b"intset"
    sa(r2, "s", "512")
    assert enc(r2) == b"hashtable"
    assert ex(r2, "SCARD", "s") == 513


def test_set_max_intset_entries(r2):
    with config(r2, "set-max-intset-entries", "2"):
        sa(r2, "s", "1", "2")
        assert enc(r2) == b"intset"
        sa(r2, "s", "2")
        assert enc(r2) == b"intset"
        sa(r2, "s", "3")
        assert enc(r2) == b"hashtable"
        sa(r2, "t", "1", "2", "3")
        assert enc(r2, "t") == b"hashtable"
    with config(r2, "set-max-intset-entries", "0"):
        sa(r2, "u", "1")
        assert enc(r2, "u") == b"hashtable"


def test_copy_keeps_encoding_and_is_independent(r2):
    sa(r2, "s", "1", "2", "a")
    ex(r2, "SREM", "s", "a")
    sa(r2, "i", "3", "1")
    assert ex(r2, "COPY", "s", "s2") == 1
    assert ex(r2, "COPY", "i", "i2") == 1
    assert enc(r2, "s2") == b"hashtable"
    assert enc(r2, "i2") == b"intset"
    sa(r2, "i2", "2")
    assert ex(r2, "SMEMBERS", "i") == [b"1", b"3"]
    assert ex(r2, "SMEMBERS", "i2") == [b"1", b"2", b"3"]


def test_store_result_encoding(r2):
    sa(r2, "a", "1", "2", "x")
    sa(r2, "b", "1", "2", "y")
    ex(r2, "SINTERSTORE", "d", "a", "b")
    assert enc(r2, "d") == b"intset"
    assert ex(r2, "SMEMBERS", "d") == b(1, 2)


def test_spop_rebuild_can_return_to_intset(r2):
    # SPOP with a count close to the size rebuilds the set from what remains
    sa(r2, "s", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a")
    assert enc(r2) == b"hashtable"
    popped = ex(r2, "SPOP", "s", 9)
    remaining = ex(r2, "SMEMBERS", "s")
    assert len(popped) == 9 and len(remaining) == 1
    assert enc(r2) == (b"hashtable" if remaining == [b"a"] else b"intset")


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
        ([], ["SADD", "s", "a"], [("s", "sadd")]),
        (["SADD s a b"], ["SREM", "s", "a"], [("s", "srem")]),
        (["SADD s a"], ["SREM", "s", "a"], [("s", "srem"), ("s", "del")]),
        (["SADD s a b"], ["SPOP", "s"], [("s", "spop")]),
        (["SADD s a"], ["SPOP", "s"], [("s", "spop"), ("s", "del")]),
        (["SADD s a b c"], ["SPOP", "s", "2"], [("s", "spop")]),
        (["SADD s a b"], ["SPOP", "s", "5"], [("s", "spop"), ("s", "del")]),
        (["SADD s a b"], ["SMOVE", "s", "d", "a"], [("s", "srem"), ("d", "sadd")]),
        (["SADD s a", "SADD d a"], ["SMOVE", "s", "d", "a"], [("s", "srem"), ("s", "del")]),
        (["SADD a 1", "SADD b 1"], ["SINTERSTORE", "d", "a", "b"], [("d", "sinterstore")]),
        (["SADD a 1"], ["SUNIONSTORE", "d", "a"], [("d", "sunionstore")]),
        (["SADD a 1"], ["SDIFFSTORE", "d", "a"], [("d", "sdiffstore")]),
        (["SADD d x"], ["SINTERSTORE", "d", "nokey"], [("d", "del")]),
        (["SADD a 1", "SADD d x"], ["SDIFFSTORE", "d", "a", "a"], [("d", "del")]),
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
    sa(r2, "s", "a")
    keyspace(1)
    for cmd in (["SADD", "s", "a"], ["SREM", "s", "zz"], ["SPOP", "s", "0"], ["SPOP", "nokey"],
                ["SMOVE", "s", "d", "zz"], ["SMOVE", "s", "s", "a"], ["SINTERSTORE", "d", "nokey"],
                ["SUNIONSTORE", "d", "nokey"]):
        ex(r2, *cmd)
    ex(r2, "SADD", "marker", "x")
    assert keyspace(1) == [("marker", "sadd")]


# --------------------------------------------------------------------------- WATCH / MULTI


def test_sadd_of_existing_member_does_not_invalidate_watch(r2, make_client):
    other = make_client()
    sa(r2, "s", "a")
    ex(r2, "WATCH", "s")
    ex(other, "SADD", "s", "a")
    ex(r2, "MULTI")
    ex(r2, "SCARD", "s")
    assert ex(r2, "EXEC") == [1]


def test_spop_invalidates_watch(r2, make_client):
    other = make_client()
    sa(r2, "s", "a", "b")
    ex(r2, "WATCH", "s")
    ex(other, "SPOP", "s")
    ex(r2, "MULTI")
    ex(r2, "SCARD", "s")
    assert ex(r2, "EXEC") is None


def test_smembers_in_multi_is_a_snapshot(r2):
    sa(r2, "s", "1")
    ex(r2, "MULTI")
    ex(r2, "SMEMBERS", "s")
    ex(r2, "SADD", "s", "2")
    ex(r2, "SMEMBERS", "s")
    assert ex(r2, "EXEC") == [[b"1"], 1, [b"1", b"2"]]
