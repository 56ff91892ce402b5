"""Sorted sets, part 3: ZUNION/ZINTER/ZDIFF and their STORE forms, ZPOPMIN/ZPOPMAX,
BZPOPMIN/BZPOPMAX, ZRANDMEMBER and ZSCAN, with the RESP3 reply shapes of each.

Replies and error texts are those of Redis 6.2.14 (checked against the oracle).
"""

from __future__ import annotations

import time

import pytest

from .helpers import err, ex, resp_encode
from .zset_helpers import pairs, proto, score, zadd

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "ERR syntax error"
NOT_INT = "ERR value is not an integer or out of range"
WEIGHT = "ERR weight value is not a float"


@pytest.fixture
def zs(r2):
    zadd(r2, "z", 1, "a", 2, "b", 3, "c")
    ex(r2, "SADD", "s", "a", "x")
    return r2


# --------------------------------------------------------------------------- ZUNION & co


def test_zunion_with_set(zs):
    assert ex(zs, "ZUNION", 2, "z", "s", "WITHSCORES") == [
        b"x", b"1", b"a", b"2", b"b", b"2", b"c", b"3"]
    assert ex(zs, "ZUNION", 2, "z", "s") == [b"x", b"a", b"b", b"c"]


def test_zunion_weights_and_aggregate(zs):
    assert ex(zs, "ZUNION", 2, "z", "s", "WEIGHTS", 2, 3, "WITHSCORES") == [
        b"x", b"3", b"b", b"4", b"a", b"5", b"c", b"6"]
    assert ex(zs, "ZUNION", 2, "z", "s", "WEIGHTS", 2, 3, "AGGREGATE", "MAX", "WITHSCORES") == [
        b"a", b"3", b"x", b"3", b"b", b"4", b"c", b"6"]
    assert ex(zs, "ZUNION", 2, "z", "s", "weights", 2, 3, "aggregate", "min", "withscores") == [
        b"a", b"2", b"x", b"3", b"b", b"4", b"c", b"6"]


def test_zinter_and_zdiff_with_set(zs):
    assert ex(zs, "ZINTER", 2, "z", "s", "WITHSCORES") == [b"a", b"2"]
    assert ex(zs, "ZDIFF", 2, "z", "s", "WITHSCORES") == [b"b", b"2", b"c", b"3"]
    assert ex(zs, "ZDIFF", 2, "s", "z", "WITHSCORES") == [b"x", b"1"]
    assert ex(zs, "ZINTER", 2, "s", "z", "AGGREGATE", "MAX", "WITHSCORES") == [b"a", b"1"]


def test_zdiff_keeps_first_set_scores(r2):
    zadd(r2, "a1", 1, "a", 2, "b", 3, "c", 4, "d")
    zadd(r2, "a2", 100, "b")
    zadd(r2, "a3", 100, "c")
    assert ex(r2, "ZDIFF", 3, "a1", "a2", "a3", "WITHSCORES") == [b"a", b"1", b"d", b"4"]
    assert ex(r2, "ZDIFF", 3, "a1", "nokey", "a3") == [b"a", b"b", b"d"]
    assert ex(r2, "ZDIFF", 2, "nokey", "a1") == []
    assert ex(r2, "ZDIFF", 1, "a1") == [b"a", b"b", b"c", b"d"]


def test_zinter_missing_key_is_empty(zs):
    assert ex(zs, "ZINTER", 2, "z", "nokey") == []
    assert ex(zs, "ZINTERSTORE", "d", 2, "z", "nokey") == 0
    assert ex(zs, "EXISTS", "d") == 0


def test_zunion_missing_keys(zs):
    assert ex(zs, "ZUNION", 2, "nokey", "z") == [b"a", b"b", b"c"]
    assert ex(zs, "ZUNION", 1, "nokey") == []


def test_zinter_same_key_repeated(zs):
    assert ex(zs, "ZINTER", 3, "z", "z", "z", "WITHSCORES") == [b"a", b"3", b"b", b"6", b"c", b"9"]
    assert ex(zs, "ZINTER", 2, "z", "z", "WEIGHTS", 1, 2, "AGGREGATE", "MAX", "WITHSCORES") == [
        b"a", b"2", b"b", b"4", b"c", b"6"]


def test_zunion_infinities_and_nan_become_zero(r2):
    zadd(r2, "i1", "inf", "a", 5, "b")
    zadd(r2, "i2", "-inf", "a", 0, "b")
    assert ex(r2, "ZUNION", 2, "i1", "i2", "WITHSCORES") == [b"a", b"0", b"b", b"5"]
    assert ex(r2, "ZINTER", 2, "i1", "i2", "WITHSCORES") == [b"a", b"0", b"b", b"5"]
    # inf * 0 is NaN: the first contribution counts as 0, later ones stay NaN in MIN/MAX
    assert ex(r2, "ZINTER", 2, "i1", "i2", "WEIGHTS", 1, 0, "AGGREGATE", "MIN", "WITHSCORES") == [
        b"b", b"0", b"a", b"inf"]
    assert ex(r2, "ZINTER", 2, "i1", "i2", "WEIGHTS", 0, 1, "AGGREGATE", "MAX", "WITHSCORES") == [
        b"a", b"0", b"b", b"0"]
    assert ex(r2, "ZUNION", 2, "i1", "i2", "WEIGHTS", 1, 0, "AGGREGATE", "MIN", "WITHSCORES") == [
        b"a", b"0", b"b", b"0"]


@pytest.mark.parametrize("weights, expected", [
    (["0", "0"], [b"a", b"0", b"b", b"0", b"c", b"0", b"x", b"0"]),
    (["inf", "-inf"], [b"x", b"-inf", b"a", b"0", b"b", b"inf", b"c", b"inf"]),
    (["-1", "0.5"], [b"c", b"-3", b"b", b"-2", b"a", b"-0.5", b"x", b"0.5"]),
    (["0x10", "1"], [b"x", b"1", b"a", b"17", b"b", b"32", b"c", b"48"]),
])
def test_zunion_weight_values(zs, weights, expected):
    assert ex(zs, "ZUNION", 2, "z", "s", "WEIGHTS", *weights, "WITHSCORES") == expected


@pytest.mark.parametrize("cmd", ["ZUNION", "ZINTER", "ZDIFF"])
def test_numkeys_errors(zs, cmd):
    name = cmd.lower()
    assert err(zs, cmd, 0, "z") == f"ERR at least 1 input key is needed for {name}"
    assert err(zs, cmd, -1, "z") == f"ERR at least 1 input key is needed for {name}"
    assert err(zs, cmd, "abc", "z") == NOT_INT
    assert err(zs, cmd, 2, "z") == SYNTAX
    assert err(zs, cmd, 2000000000, "z") == SYNTAX


@pytest.mark.parametrize("cmd", ["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"])
def test_store_numkeys_errors(zs, cmd):
    name = cmd.lower()
    assert err(zs, cmd, "d", 0, "z") == f"ERR at least 1 input key is needed for {name}"
    assert err(zs, cmd, "d", "x", "z") == NOT_INT
    assert err(zs, cmd, "d", 3, "z", "s") == SYNTAX
    assert err(zs, cmd, "d", 1, "z", "WITHSCORES") == SYNTAX


@pytest.mark.parametrize("args, msg", [
    (["1", "z", "foo"], SYNTAX),
    (["1", "z", "WEIGHTS"], SYNTAX),
    (["1", "z", "WEIGHTS", "1", "2"], SYNTAX),
    (["2", "z", "s", "WEIGHTS", "1"], SYNTAX),
    (["1", "z", "WEIGHTS", "abc"], WEIGHT),
    (["1", "z", "WEIGHTS", "nan"], WEIGHT),
    (["1", "z", "WEIGHTS", "1e1000"], WEIGHT),
    (["1", "z", "WEIGHTS", " 1"], WEIGHT),
    (["1", "z", "AGGREGATE"], SYNTAX),
    (["1", "z", "AGGREGATE", "avg"], SYNTAX),
    (["2", "z", "str"], WRONGTYPE),
    (["2", "z", "str", "WEIGHTS", "x", "y"], WRONGTYPE),
])
def test_zunion_option_errors(zs, args, msg):
    ex(zs, "SET", "str", "v")
    assert err(zs, "ZUNION", *args) == msg
    assert err(zs, "ZINTER", *args) == msg


def test_zdiff_rejects_weights_and_aggregate(zs):
    assert err(zs, "ZDIFF", 1, "z", "WEIGHTS", 1) == SYNTAX
    assert err(zs, "ZDIFF", 1, "z", "AGGREGATE", "SUM") == SYNTAX
    assert err(zs, "ZDIFFSTORE", "d", 1, "z", "WEIGHTS", 1) == SYNTAX


def test_repeated_options_last_wins(zs):
    assert ex(zs, "ZUNION", 1, "z", "WITHSCORES", "WITHSCORES") == [b"a", b"1", b"b", b"2", b"c", b"3"]
    assert ex(zs, "ZUNION", 2, "z", "z", "AGGREGATE", "SUM", "AGGREGATE", "MAX", "WITHSCORES") == [
        b"a", b"1", b"b", b"2", b"c", b"3"]
    assert ex(zs, "ZUNION", 1, "z", "WEIGHTS", 2, "WEIGHTS", 3, "WITHSCORES") == [
        b"a", b"3", b"b", b"6", b"c", b"9"]


def test_zunion_withscores_resp3(r):
    zadd(r, "z", 1, "a", "1.5", "b")
    assert ex(r, "ZUNION", 1, "z", "WITHSCORES") == pairs(r, ("a", "1"), ("b", "1.5"))
    assert ex(r, "ZINTER", 1, "z", "WITHSCORES") == pairs(r, ("a", "1"), ("b", "1.5"))
    assert ex(r, "ZDIFF", 1, "z", "WITHSCORES") == pairs(r, ("a", "1"), ("b", "1.5"))


def test_zunionstore(zs):
    assert ex(zs, "ZUNIONSTORE", "d", 2, "z", "s") == 4
    assert ex(zs, "ZRANGE", "d", 0, -1, "WITHSCORES") == [b"x", b"1", b"a", b"2", b"b", b"2", b"c", b"3"]
    assert ex(zs, "ZINTERSTORE", "d", 2, "z", "s", "WEIGHTS", 2, 3) == 1
    assert ex(zs, "ZRANGE", "d", 0, -1, "WITHSCORES") == [b"a", b"5"]
    assert ex(zs, "ZDIFFSTORE", "d", 2, "z", "s") == 2
    assert ex(zs, "ZRANGE", "d", 0, -1, "WITHSCORES") == [b"b", b"2", b"c", b"3"]


def test_store_onto_a_source(zs):
    assert ex(zs, "ZUNIONSTORE", "z", 2, "z", "s") == 4
    assert ex(zs, "ZINTERSTORE", "z", 2, "z", "s") == 2
    assert ex(zs, "ZRANGE", "z", 0, -1, "WITHSCORES") == [b"x", b"2", b"a", b"3"]
    assert ex(zs, "ZDIFFSTORE", "z", 2, "z", "s") == 0
    assert ex(zs, "EXISTS", "z") == 0


def test_store_empty_result_deletes_destination(zs):
    ex(zs, "SET", "d", "v")
    assert ex(zs, "ZUNIONSTORE", "d", 1, "nokey") == 0
    assert ex(zs, "EXISTS", "d") == 0


def test_store_overwrites_other_type_and_ttl(zs):
    ex(zs, "SET", "d", "v", "EX", 100)
    assert ex(zs, "ZUNIONSTORE", "d", 1, "z") == 3
    assert ex(zs, "TYPE", "d") == b"zset"
    assert ex(zs, "TTL", "d") == -1


def test_store_wrongtype_source(zs):
    ex(zs, "SET", "str", "v")
    assert err(zs, "ZUNIONSTORE", "d", 2, "z", "str") == WRONGTYPE
    assert err(zs, "ZINTERSTORE", "d", 2, "str", "z") == WRONGTYPE
    ex(zs, "RPUSH", "list", "a")
    assert err(zs, "ZDIFFSTORE", "d", 2, "z", "list") == WRONGTYPE
    assert ex(zs, "EXISTS", "d") == 0


def test_zunion_large(r2):
    a, b = [], []
    for i in range(300):
        a += [str(i), f"m{i}"]
        b += [str(i * 2), f"m{i + 150}"]
    zadd(r2, "a", *a)
    zadd(r2, "b", *b)
    assert ex(r2, "ZUNIONSTORE", "u", 2, "a", "b") == 450
    assert ex(r2, "ZINTERSTORE", "i", 2, "a", "b") == 150
    assert ex(r2, "ZSCORE", "i", "m160") == b"180"
    assert ex(r2, "ZDIFFSTORE", "d", 2, "a", "b") == 150
    assert ex(r2, "OBJECT", "ENCODING", "u") == b"skiplist"
    assert ex(r2, "OBJECT", "ENCODING", "d") == b"skiplist"


# --------------------------------------------------------------------------- ZPOPMIN / ZPOPMAX


def test_zpopmin_zpopmax(zs):
    assert ex(zs, "ZPOPMIN", "z") == [b"a", b"1"]
    assert ex(zs, "ZPOPMAX", "z") == [b"c", b"3"]
    assert ex(zs, "ZPOPMAX", "z", 10) == [b"b", b"2"]
    assert ex(zs, "EXISTS", "z") == 0
    assert ex(zs, "ZPOPMIN", "z") == []


def test_zpop_count(r2):
    zadd(r2, "z", 1, "a", 2, "b", 3, "c", 4, "d")
    assert ex(r2, "ZPOPMIN", "z", 2) == [b"a", b"1", b"b", b"2"]
    assert ex(r2, "ZPOPMAX", "z", 1) == [b"d", b"4"]
    assert ex(r2, "ZCARD", "z") == 1


@pytest.mark.parametrize("count", ["0", "-1", "-100"])
def test_zpop_nonpositive_count_is_empty(zs, count):
    assert ex(zs, "ZPOPMIN", "z", count) == []
    assert ex(zs, "ZPOPMIN", "nokey", count) == []
    assert ex(zs, "ZCARD", "z") == 3


def test_zpop_errors(zs):
    ex(zs, "SET", "str", "v")
    assert err(zs, "ZPOPMIN", "z", "abc") == NOT_INT
    assert err(zs, "ZPOPMIN", "z", "1", "2") == SYNTAX
    assert err(zs, "ZPOPMAX", "str") == WRONGTYPE
    assert err(zs, "ZPOPMIN", "str", "abc") == NOT_INT  # count parsed before the type check
    assert ex(zs, "ZPOPMIN", "str", "0") == []


def test_zpop_shapes(r):
    zadd(r, "z", 1, "a", 2, "b", "2.5", "c")
    assert ex(r, "ZPOPMIN", "z") == [b"a", score(r, "1")]  # flat even in RESP3
    assert ex(r, "ZPOPMAX", "z", 1) == pairs(r, ("c", "2.5"))  # with a count: nested in RESP3
    assert ex(r, "ZPOPMIN", "z", 5) == pairs(r, ("b", "2"))


def test_zpop_raw_resp3(raw):
    raw.cmd("HELLO", "3")
    raw.cmd("ZADD", "z", "1", "a", "2", "b")
    assert raw.cmd("ZPOPMIN", "z") == b"*2\r\n$1\r\na\r\n,1\r\n"
    assert raw.cmd("ZPOPMIN", "z", "1") == b"*1\r\n*2\r\n$1\r\nb\r\n,2\r\n"
    assert raw.cmd("ZPOPMIN", "z") == b"*0\r\n"


def test_zpop_ties(r2):
    zadd(r2, "z", 1, "b", 1, "a", 1, "c")
    assert ex(r2, "ZPOPMIN", "z") == [b"a", b"1"]
    assert ex(r2, "ZPOPMAX", "z") == [b"c", b"1"]


# --------------------------------------------------------------------------- BZPOPMIN / BZPOPMAX


def test_bzpop_immediate(zs):
    assert ex(zs, "BZPOPMIN", "nokey", "z", 0) == [b"z", b"a", b"1"]
    assert ex(zs, "BZPOPMAX", "z", 0) == [b"z", b"c", b"3"]


def test_bzpop_immediate_resp3(r):
    zadd(r, "z", "1.5", "a")
    assert ex(r, "BZPOPMIN", "z", 0) == [b"z", b"a", score(r, "1.5")]


def test_bzpop_first_nonempty_key_and_type_order(zs):
    ex(zs, "SET", "str", "v")
    assert err(zs, "BZPOPMIN", "nokey", "str", "z", 0) == WRONGTYPE
    assert ex(zs, "BZPOPMIN", "z", "str", 0) == [b"z", b"a", b"1"]


@pytest.mark.parametrize("timeout, msg", [
    ("abc", "ERR timeout is not a float or out of range"),
    ("-1", "ERR timeout is negative"),
    ("1 ", "ERR timeout is not a float or out of range"),
])
def test_bzpop_timeout_errors(zs, timeout, msg):
    assert err(zs, "BZPOPMIN", "z", timeout) == msg
    assert ex(zs, "ZCARD", "z") == 3


def test_bzpop_timeout_reply(make_client):
    c2 = make_client(protocol=2)
    c3 = make_client(protocol=3)
    t0 = time.monotonic()
    assert ex(c2, "BZPOPMIN", "nokey", "0.1") is None
    assert ex(c3, "BZPOPMAX", "nokey", "0.1") is None
    assert time.monotonic() - t0 >= 0.18


def test_bzpop_timeout_raw(raw):
    assert raw.cmd("BZPOPMIN", "nokey", "0.05") == b"*-1\r\n"
    raw.cmd("HELLO", "3")
    assert raw.cmd("BZPOPMIN", "nokey", "0.05") == b"_\r\n"


def test_bzpop_served_by_zadd(r2, make_raw):
    blocked = make_raw()
    blocked.send(resp_encode("BZPOPMIN", "k1", "k2", "5"))
    time.sleep(0.1)
    assert zadd(r2, "k2", 2, "b", 1, "a") == 2
    assert blocked.recv_reply() == b"*3\r\n$2\r\nk2\r\n$1\r\na\r\n$1\r\n1\r\n"
    assert ex(r2, "ZRANGE", "k2", 0, -1) == [b"b"]


def test_bzpopmax_served_resp3(r2, make_raw):
    blocked = make_raw()
    blocked.cmd("HELLO", "3")
    blocked.send(resp_encode("BZPOPMAX", "k", "5"))
    time.sleep(0.1)
    zadd(r2, "k", 1, "a", "2.5", "b")
    assert blocked.recv_reply() == b"*3\r\n$1\r\nk\r\n$1\r\nb\r\n,2.5\r\n"


def test_bzpop_clients_served_in_order(r2, make_raw):
    first, second = make_raw(), make_raw()
    first.send(resp_encode("BZPOPMIN", "k", "5"))
    time.sleep(0.05)
    second.send(resp_encode("BZPOPMIN", "k", "5"))
    time.sleep(0.1)
    zadd(r2, "k", 1, "a", 2, "b", 3, "c")
    assert first.recv_reply() == b"*3\r\n$1\r\nk\r\n$1\r\na\r\n$1\r\n1\r\n"
    assert second.recv_reply() == b"*3\r\n$1\r\nk\r\n$1\r\nb\r\n$1\r\n2\r\n"
    assert ex(r2, "ZRANGE", "k", 0, -1) == [b"c"]


def test_bzpop_ignores_wrong_type_and_keeps_waiting(r2, make_raw):
    blocked = make_raw()
    blocked.send(resp_encode("BZPOPMIN", "k", "5"))
    time.sleep(0.1)
    ex(r2, "SET", "k", "string")
    time.sleep(0.05)
    ex(r2, "DEL", "k")
    zadd(r2, "k", 7, "m")
    assert blocked.recv_reply() == b"*3\r\n$1\r\nk\r\n$1\r\nm\r\n$1\r\n7\r\n"


def test_bzpop_in_multi_does_not_block(r2):
    assert ex(r2, "MULTI") == b"OK"
    ex(r2, "BZPOPMIN", "nokey", 0)
    assert ex(r2, "EXEC") == [None]


def test_bzpop_served_by_zunionstore(r2, make_raw):
    zadd(r2, "src", 5, "x")
    blocked = make_raw()
    blocked.send(resp_encode("BZPOPMAX", "dst", "5"))
    time.sleep(0.1)
    assert ex(r2, "ZUNIONSTORE", "dst", 1, "src") == 1
    assert blocked.recv_reply() == b"*3\r\n$3\r\ndst\r\n$1\r\nx\r\n$1\r\n5\r\n"
    assert ex(r2, "EXISTS", "dst") == 0


# --------------------------------------------------------------------------- ZRANDMEMBER


def test_zrandmember_single(zs):
    for _ in range(10):
        assert ex(zs, "ZRANDMEMBER", "z") in (b"a", b"b", b"c")
    assert ex(zs, "ZRANDMEMBER", "nokey") is None


def test_zrandmember_positive_count_distinct(r2):
    zadd(r2, "z", *[x for i in range(20) for x in (i, f"m{i}")])
    for count in (1, 5, 10, 19):
        got = ex(r2, "ZRANDMEMBER", "z", count)
        assert len(got) == count and len(set(got)) == count
        assert all(m.startswith(b"m") for m in got)


def test_zrandmember_count_over_size_returns_all_from_the_top(zs):
    assert ex(zs, "ZRANDMEMBER", "z", 10, "WITHSCORES") == [b"c", b"3", b"b", b"2", b"a", b"1"]
    assert ex(zs, "ZRANDMEMBER", "z", 3) == [b"c", b"b", b"a"]


def test_zrandmember_negative_count_repeats(zs):
    got = ex(zs, "ZRANDMEMBER", "z", -20)
    assert len(got) == 20 and set(got) <= {b"a", b"b", b"c"}
    got = ex(zs, "ZRANDMEMBER", "z", -5, "WITHSCORES")
    assert len(got) == 10
    scores = {b"a": b"1", b"b": b"2", b"c": b"3"}
    assert all(scores[got[i]] == got[i + 1] for i in range(0, 10, 2))


def test_zrandmember_withscores_shapes(r):
    zadd(r, "z", "1.5", "a")
    assert ex(r, "ZRANDMEMBER", "z", 1, "WITHSCORES") == pairs(r, ("a", "1.5"))
    assert ex(r, "ZRANDMEMBER", "z", -2, "WITHSCORES") == pairs(r, ("a", "1.5"), ("a", "1.5"))
    assert ex(r, "ZRANDMEMBER", "z", 5, "withscores") == pairs(r, ("a", "1.5"))
    assert ex(r, "ZRANDMEMBER", "z", 1) == [b"a"]


def test_zrandmember_raw_resp3(raw):
    raw.cmd("HELLO", "3")
    raw.cmd("ZADD", "z", "2", "a")
    assert raw.cmd("ZRANDMEMBER", "z", "1", "WITHSCORES") == b"*1\r\n*2\r\n$1\r\na\r\n,2\r\n"
    assert raw.cmd("ZRANDMEMBER", "nokey") == b"_\r\n"
    assert raw.cmd("ZRANDMEMBER", "nokey", "1") == b"*0\r\n"


def test_zrandmember_zero_and_missing(zs):
    assert ex(zs, "ZRANDMEMBER", "z", 0) == []
    assert ex(zs, "ZRANDMEMBER", "z", 0, "WITHSCORES") == []
    assert ex(zs, "ZRANDMEMBER", "nokey", 5) == []
    assert ex(zs, "ZRANDMEMBER", "nokey", -5, "WITHSCORES") == []


@pytest.mark.parametrize("args, msg", [
    (["abc"], NOT_INT),
    (["1", "foo"], SYNTAX),
    (["1", "WITHSCORES", "foo"], SYNTAX),
    (["-9223372036854775808"], "ERR value is out of range, value must between "
                               "-9223372036854775807 and 9223372036854775807"),
    (["9223372036854775808"], NOT_INT),
    (["4611686018427387904", "WITHSCORES"], "ERR value is out of range"),
    (["-4611686018427387904", "WITHSCORES"], "ERR value is out of range"),
    (["1.5"], NOT_INT),
])
def test_zrandmember_errors(zs, args, msg):
    assert err(zs, "ZRANDMEMBER", "z", *args) == msg
    assert err(zs, "ZRANDMEMBER", "nokey", *args) == msg


def test_zrandmember_wrongtype_even_for_zero(zs):
    ex(zs, "SET", "str", "v")
    assert err(zs, "ZRANDMEMBER", "str", 0) == WRONGTYPE
    assert err(zs, "ZRANDMEMBER", "str", -1) == WRONGTYPE


def test_zrandmember_large_set_is_spread(r2):
    zadd(r2, "z", *[x for i in range(500) for x in (i, f"m{i}")])
    got = ex(r2, "ZRANDMEMBER", "z", 200)
    assert len(set(got)) == 200
    got = ex(r2, "ZRANDMEMBER", "z", -1000)
    assert len(set(got)) > 200
    assert len(ex(r2, "ZRANDMEMBER", "z", 450, "WITHSCORES")) == 900


# --------------------------------------------------------------------------- ZSCAN


def scan_all(client, key, *opts):
    cursor, found, calls = b"0", {}, 0
    while True:
        cursor, items = ex(client, "ZSCAN", key, cursor, *opts)
        calls += 1
        for i in range(0, len(items), 2):
            found[items[i]] = items[i + 1]
        if cursor == b"0":
            return found, calls
        assert calls < 10_000


def test_zscan_small_set_in_one_call(r2):
    zadd(r2, "z", 2, "b", 1, "a", "1.5", "c")
    assert ex(r2, "ZSCAN", "z", 0) == [b"0", [b"a", b"1", b"c", b"1.5", b"b", b"2"]]
    assert ex(r2, "ZSCAN", "z", 0, "COUNT", 1) == [b"0", [b"a", b"1", b"c", b"1.5", b"b", b"2"]]
    assert ex(r2, "ZSCAN", "z", 0, "MATCH", "*b*") == [b"0", [b"b", b"2"]]


def test_zscan_scores_are_bulk_in_resp3(r):
    zadd(r, "z", "-0", "m", "inf", "n", "0.1", "o")
    assert ex(r, "ZSCAN", "z", 0) == [b"0", [b"m", b"-0", b"o", b"0.10000000000000001", b"n", b"inf"]]


def test_zscan_large_set_full_iteration(r2):
    expected = {}
    args = []
    for i in range(1000):
        args += [f"{i}.5", f"m{i}"]
        expected[f"m{i}".encode()] = f"{i}.5".encode()
    zadd(r2, "z", *args)
    found, calls = scan_all(r2, "z", "COUNT", 50)
    assert found == expected
    assert calls > 5
    found, _ = scan_all(r2, "z", "MATCH", "m99*", "COUNT", 100)
    assert set(found) == {b"m99", b"m990", b"m991", b"m992", b"m993", b"m994", b"m995", b"m996",
                          b"m997", b"m998", b"m999"}


def test_zscan_missing_key(r2):
    assert ex(r2, "ZSCAN", "nokey", 0) == [b"0", []]


@pytest.mark.parametrize("args, msg", [
    (["abc"], "ERR invalid cursor"),
    (["0", "COUNT", "0"], SYNTAX),
    (["0", "COUNT", "x"], NOT_INT),
    (["0", "MATCH"], SYNTAX),
    (["0", "foo", "bar"], SYNTAX),
    (["0", "TYPE", "zset"], SYNTAX),
])
def test_zscan_errors(zs, args, msg):
    assert err(zs, "ZSCAN", "z", *args) == msg


def test_zscan_invalid_cursor_before_type(r2):
    ex(r2, "SET", "str", "v")
    assert err(r2, "ZSCAN", "str", "abc") == "ERR invalid cursor"
    assert err(r2, "ZSCAN", "str", "0") == WRONGTYPE
    assert err(r2, "ZSCAN", "nokey", "x") == "ERR invalid cursor"


def test_protocol_of_fixture_matches(r):
    # guard for the helpers used above: the fixture's protocol is what the server speaks
    zadd(r, "z", "0.5", "a")
    reply = ex(r, "ZSCORE", "z", "a")
    assert reply == (b"0.5" if proto(r) == 2 else 0.5)


def test_bzpop_same_key_twice(r2, make_raw):
    blocked = make_raw()
    blocked.send(resp_encode("BZPOPMIN", "k", "k", "5"))
    time.sleep(0.1)
    zadd(r2, "k", 1, "a", 2, "b")
    assert blocked.recv_reply() == b"*3\r\n$1\r\nk\r\n$1\r\na\r\n$1\r\n1\r\n"
    assert blocked.cmd("PING") == b"+PONG\r\n"
    assert ex(r2, "ZRANGE", "k", 0, -1) == [b"b"]


def test_bzpop_other_db_not_served(r2, make_raw):
    blocked = make_raw()
    blocked.send(resp_encode("BZPOPMIN", "k", "0.3"))
    time.sleep(0.05)
    ex(r2, "SELECT", 1)
    zadd(r2, "k", 1, "a")
    assert blocked.recv_reply() == b"*-1\r\n"
    assert ex(r2, "ZCARD", "k") == 1


def test_bzpop_served_after_exec(r2, make_raw):
    blocked = make_raw()
    blocked.send(resp_encode("BZPOPMIN", "k", "5"))
    time.sleep(0.1)
    ex(r2, "MULTI")
    ex(r2, "ZADD", "k", "1", "a")
    ex(r2, "ZADD", "k", "0", "first")
    ex(r2, "ZREM", "k", "a")
    assert ex(r2, "EXEC") == [1, 1, 1]
    assert blocked.recv_reply() == b"*3\r\n$1\r\nk\r\n$5\r\nfirst\r\n$1\r\n0\r\n"
    assert ex(r2, "EXISTS", "k") == 0


def test_watch_invalidated_by_zset_writes(r2, make_client):
    other = make_client()
    zadd(r2, "z", 1, "a")
    for cmd in (["ZADD", "z", "2", "a"], ["ZINCRBY", "z", "1", "a"], ["ZPOPMIN", "z"]):
        ex(r2, "WATCH", "z")
        ex(other, *cmd)
        ex(r2, "MULTI")
        ex(r2, "ZCARD", "z")
        assert ex(r2, "EXEC") is None
    zadd(r2, "z", 1, "a")
    ex(r2, "WATCH", "z")
    ex(other, "ZADD", "z", "1", "a")  # no change: the WATCH stays valid
    ex(other, "ZREM", "z", "nope")
    ex(r2, "MULTI")
    ex(r2, "ZCARD", "z")
    assert ex(r2, "EXEC") == [1]
