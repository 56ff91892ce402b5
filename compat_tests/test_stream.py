"""Streams without consumer groups, as Redis 6.2.14 does them: XADD (IDs, NOMKSTREAM,
MAXLEN/MINID with ``=``/``~``, LIMIT), XLEN, XRANGE/XREVRANGE (exclusive ranges, COUNT),
XDEL, XTRIM, XSETID, XINFO STREAM [FULL], XREAD without BLOCK, ID parsing, the listpack node
layout seen through XINFO (``radix-tree-keys`` / ``radix-tree-nodes``, approximate trimming),
wrong types, keyspace events and WATCH.
"""

from __future__ import annotations

import time

import pytest

from .helpers import err, ex

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "ERR syntax error"
NOT_INT = "ERR value is not an integer or out of range"
INVALID_ID = "ERR Invalid stream ID specified as stream command argument"
XADD_SMALLER = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
XADD_ZERO = "ERR The ID specified in XADD must be greater than 0-0"
EXHAUSTED = "ERR The stream has exhausted the last possible ID, unable to add more items"
MAXID = "18446744073709551615-18446744073709551615"


def fill(r, key="s", n=3, start=1):
    pipe(r, [("XADD", key, f"{i}-0", "f", str(i)) for i in range(start, start + n)])


def pipe(r, cmds):
    """Send commands in one pipeline (no MULTI); returns the replies."""
    p = r.pipeline(transaction=False)
    for c in cmds:
        p.execute_command(*c)
    return p.execute(raise_on_error=False)


def entry(i, f="f", v=None):
    return [f"{i}-0".encode(), [f.encode(), str(i if v is None else v).encode()]]


def info(r, key="s"):
    v = ex(r, "XINFO", "STREAM", key)
    if isinstance(v, dict):
        return v
    return dict(zip(v[::2], v[1::2]))


# --------------------------------------------------------------------------- XADD: IDs


def test_xadd_explicit_ids(r2):
    assert ex(r2, "XADD", "s", "1-1", "a", "1") == b"1-1"
    assert ex(r2, "XADD", "s", "1-2", "a", "2") == b"1-2"
    assert ex(r2, "XADD", "s", "5", "a", "3") == b"5-0"
    assert ex(r2, "XLEN", "s") == 3
    assert ex(r2, "TYPE", "s") == b"stream"
    assert ex(r2, "OBJECT", "ENCODING", "s") == b"stream"


def test_xadd_auto_id_is_time_based(r2):
    before = int(time.time() * 1000)
    idb = ex(r2, "XADD", "s", "*", "a", "1")
    ms, seq = map(int, idb.split(b"-"))
    assert before - 5000 <= ms <= before + 5000 and seq == 0
    nxt = ex(r2, "XADD", "s", "*", "a", "2")
    ms2, seq2 = map(int, nxt.split(b"-"))
    assert (ms2, seq2) > (ms, seq)


def test_xadd_auto_id_after_future_id(r2):
    ex(r2, "XADD", "s", "99999999999999-5", "a", "1")
    assert ex(r2, "XADD", "s", "*", "a", "2") == b"99999999999999-6"
    assert ex(r2, "XADD", "s", "*", "a", "3") == b"99999999999999-7"


def test_xadd_auto_id_seq_rolls_into_next_ms(r2):
    ex(r2, "XADD", "s", "99999999999999-18446744073709551615", "a", "1")
    assert ex(r2, "XADD", "s", "*", "a", "2") == b"100000000000000-0"


@pytest.mark.parametrize("bad", ["0-0", "0", "-", "0-"], ids=repr)
def test_xadd_id_zero(r2, bad):
    expected = XADD_ZERO if bad in ("0-0", "0") else INVALID_ID
    assert err(r2, "XADD", "s", bad, "a", "1") == expected
    assert ex(r2, "EXISTS", "s") == 0


def test_xadd_id_not_greater(r2):
    ex(r2, "XADD", "s", "5-5", "a", "1")
    assert err(r2, "XADD", "s", "5-5", "a", "1") == XADD_SMALLER
    assert err(r2, "XADD", "s", "5-4", "a", "1") == XADD_SMALLER
    assert err(r2, "XADD", "s", "4", "a", "1") == XADD_SMALLER
    assert ex(r2, "XADD", "s", "5-6", "a", "1") == b"5-6"


@pytest.mark.parametrize("bad", ["abc", "1-*", "5-*", "*-1", "1-2-3", "1.5", "-1", "1--1", "1-",
                                 "18446744073709551616", "1-18446744073709551616", "+", "x" * 200],
                         ids=lambda b: repr(b[:20]))
def test_xadd_invalid_ids(r2, bad):
    assert err(r2, "XADD", "s", bad, "a", "1") == INVALID_ID


@pytest.mark.parametrize("given,stored", [("+7", b"7-0"), (" 7", b"7-0"), ("007", b"7-0"),
                                          ("7- 3", b"7-3"), ("7-+3", b"7-3"), ("7-007", b"7-7"), (" 0", b"0-0"),
                                          ("7- -1", b"7-18446744073709551615")],
                         ids=repr)
def test_xadd_lenient_id_numbers(r2, given, stored):
    # string2ull falls back to strtoull: spaces, signs and leading zeros are accepted
    if stored == b"0-0":
        assert err(r2, "XADD", "s", given, "a", "1") == XADD_ZERO
    else:
        assert ex(r2, "XADD", "s", given, "a", "1") == stored


def test_xadd_max_id_then_exhausted(r2):
    assert ex(r2, "XADD", "s", MAXID, "a", "1") == MAXID.encode()
    assert err(r2, "XADD", "s", "*", "a", "1") == EXHAUSTED
    assert err(r2, "XADD", "s", "1-0", "a", "1") == EXHAUSTED
    assert ex(r2, "XLEN", "s") == 1


def test_xadd_field_value_arity(r2):
    assert err(r2, "XADD", "s", "*", "a") == "ERR wrong number of arguments for 'xadd' command"
    assert err(r2, "XADD", "s", "*", "a", "1", "b") == "ERR wrong number of arguments for XADD"
    assert err(r2, "XADD", "s", "NOMKSTREAM", "MAXLEN", "5") == \
        "ERR wrong number of arguments for XADD"
    assert err(r2, "XADD", "s") == "ERR wrong number of arguments for 'xadd' command"
    assert ex(r2, "EXISTS", "s") == 0


def test_xadd_many_fields_and_duplicates(r2):
    ex(r2, "XADD", "s", "1", "a", "1", "b", "2", "a", "3", "", "")
    assert ex(r2, "XRANGE", "s", "-", "+") == [[b"1-0", [b"a", b"1", b"b", b"2", b"a", b"3", b"", b""]]]


def test_xadd_binary_fields(r2):
    ex(r2, "XADD", "s", "1", b"\x00\xff", b"v\r\nx")
    assert ex(r2, "XRANGE", "s", "-", "+") == [[b"1-0", [b"\x00\xff", b"v\r\nx"]]]


def test_xadd_nomkstream(r):
    assert ex(r, "XADD", "s", "NOMKSTREAM", "*", "a", "1") is None
    assert ex(r, "EXISTS", "s") == 0
    ex(r, "XADD", "s", "1-0", "a", "1")
    assert ex(r, "XADD", "s", "nomkstream", "2-0", "a", "1") == b"2-0"


def test_xadd_wrongtype(r2):
    ex(r2, "SET", "k", "v")
    assert err(r2, "XADD", "k", "*", "a", "1") == WRONGTYPE
    assert err(r2, "XADD", "k", "NOMKSTREAM", "*", "a", "1") == WRONGTYPE
    # option errors come first
    assert err(r2, "XADD", "k", "MAXLEN", "x", "*", "a", "1") == NOT_INT


# --------------------------------------------------------------------------- XADD: trimming


def test_xadd_maxlen_exact(r2):
    pipe(r2, [("XADD", "s", "MAXLEN", "3", f"{i}-0", "f", str(i)) for i in range(1, 11)])
    assert ex(r2, "XLEN", "s") == 3
    assert ex(r2, "XRANGE", "s", "-", "+") == [entry(8), entry(9), entry(10)]
    ex(r2, "XADD", "s", "maxlen", "=", "1", "11-0", "f", "11")
    assert ex(r2, "XRANGE", "s", "-", "+") == [entry(11)]


def test_xadd_maxlen_zero(r2):
    assert ex(r2, "XADD", "s", "MAXLEN", "0", "5-0", "a", "1") == b"5-0"
    assert ex(r2, "XLEN", "s") == 0
    assert ex(r2, "EXISTS", "s") == 1
    i = info(r2)
    assert i[b"last-generated-id"] == b"5-0"
    assert i[b"radix-tree-keys"] == 0 and i[b"radix-tree-nodes"] == 1
    assert i[b"first-entry"] is None and i[b"last-entry"] is None


def test_xadd_maxlen_approx_keeps_whole_nodes(r2):
    pipe(r2, [("XADD", "s", "MAXLEN", "~", "120", f"{i}-0", "f", "v") for i in range(1, 251)])
    # 100-entry nodes: trimming to ~120 only ever drops whole nodes
    assert ex(r2, "XLEN", "s") == 150
    assert ex(r2, "XRANGE", "s", "-", "+", "COUNT", "1")[0][0] == b"101-0"
    assert info(r2)[b"radix-tree-keys"] == 2


def test_xadd_minid(r2):
    fill(r2, n=5)
    ex(r2, "XADD", "s", "MINID", "4", "6-0", "f", "6")
    assert ex(r2, "XRANGE", "s", "-", "+") == [entry(4), entry(5), entry(6)]
    ex(r2, "XADD", "s", "MINID", "=", "5-1", "7-0", "f", "7")
    assert ex(r2, "XRANGE", "s", "-", "+") == [entry(6), entry(7)]


def test_xadd_minid_approx(r2):
    pipe(r2, [("XADD", "s", f"{i}-0", "f", "v") for i in range(1, 301)])
    ex(r2, "XADD", "s", "MINID", "~", "250", "301-0", "f", "v")
    assert ex(r2, "XLEN", "s") == 101
    assert ex(r2, "XRANGE", "s", "-", "+", "COUNT", "1")[0][0] == b"201-0"


@pytest.mark.parametrize("args,message", [
    (["MAXLEN", "-1"], "ERR The MAXLEN argument must be >= 0."),
    (["MAXLEN", "x"], NOT_INT),
    (["MAXLEN", "~", "x"], NOT_INT),
    (["MINID", "x"], INVALID_ID),
    (["MINID", "-"], INVALID_ID),
    (["MINID", "1", "MAXLEN", "2"], "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"),
    (["MAXLEN", "1", "MAXLEN", "2"], "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"),
    (["MAXLEN", "1", "LIMIT", "10"], "ERR syntax error, LIMIT cannot be used without the special ~ option"),
    (["LIMIT", "0"], "ERR syntax error, LIMIT cannot be used without the special ~ option"),
    (["LIMIT", "2"], "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"),
    (["MAXLEN", "~", "1", "LIMIT", "-1"], "ERR The LIMIT argument must be >= 0."),
    (["MAXLEN", "~", "1", "LIMIT", "x"], NOT_INT),
], ids=lambda a: " ".join(a) if isinstance(a, list) else "")
def test_xadd_trim_option_errors(r2, args, message):
    assert err(r2, "XADD", "s", *args, "*", "a", "1") == message
    assert ex(r2, "EXISTS", "s") == 0


def test_xadd_limit_with_approx(r2):
    pipe(r2, [("XADD", "s", f"{i}-0", "f", "v") for i in range(1, 501)])
    # LIMIT caps the entries removed: whole nodes only, and never more than LIMIT
    ex(r2, "XADD", "s", "MAXLEN", "~", "0", "LIMIT", "250", "501-0", "f", "v")
    assert ex(r2, "XLEN", "s") == 301
    ex(r2, "XADD", "s", "MAXLEN", "~", "0", "LIMIT", "99", "502-0", "f", "v")
    assert ex(r2, "XLEN", "s") == 302
    # LIMIT 0: no limit, and MAXLEN ~ 0 lets every node go, the new entry's too
    ex(r2, "XADD", "s", "MAXLEN", "~", "0", "LIMIT", "0", "503-0", "f", "v")
    assert ex(r2, "XLEN", "s") == 0


@pytest.mark.parametrize("max_entries,max_bytes,deleted", [("2", "4096", 200), ("0", "60", 500),
                                                           ("3", "0", 300)])
def test_xtrim_approx_default_limit(r2, max_entries, max_bytes, deleted):
    # without LIMIT, "~" trims at most 100 * stream-node-max-entries entries (0: no limit)
    old = ex(r2, "CONFIG", "GET", "stream-node-max-*")
    try:
        ex(r2, "CONFIG", "SET", "stream-node-max-entries", max_entries)
        ex(r2, "CONFIG", "SET", "stream-node-max-bytes", max_bytes)
        pipe(r2, [("XADD", "s", f"{i}-0", "f", "v") for i in range(1, 501)])
        assert ex(r2, "XTRIM", "s", "MAXLEN", "~", "0") == deleted
    finally:
        for k, v in zip(old[::2], old[1::2]):
            ex(r2, "CONFIG", "SET", k, v)


def test_xadd_maxlen_tilde_as_value_position(r2):
    # "~" is only an operator when a value follows it
    assert err(r2, "XADD", "s", "MAXLEN", "~", "*", "a", "1") == NOT_INT
    assert ex(r2, "XADD", "s", "MAXLEN", "1", "1-0", "a", "1") == b"1-0"


# --------------------------------------------------------------------------- XLEN / XRANGE


def test_xlen(r2):
    assert ex(r2, "XLEN", "nokey") == 0
    fill(r2, n=4)
    assert ex(r2, "XLEN", "s") == 4
    ex(r2, "SET", "k", "v")
    assert err(r2, "XLEN", "k") == WRONGTYPE


def test_xrange_basic(r2):
    fill(r2, n=5)
    assert ex(r2, "XRANGE", "s", "-", "+") == [entry(i) for i in range(1, 6)]
    assert ex(r2, "XRANGE", "s", "2", "4") == [entry(2), entry(3), entry(4)]
    assert ex(r2, "XRANGE", "s", "2-1", "4-0") == [entry(3), entry(4)]
    assert ex(r2, "XRANGE", "s", "4", "2") == []
    assert ex(r2, "XRANGE", "s", "6", "+") == []
    assert ex(r2, "XRANGE", "nokey", "-", "+") == []


def test_xrange_end_without_seq_is_inclusive_of_whole_ms(r2):
    ex(r2, "XADD", "s", "5-0", "a", "1")
    ex(r2, "XADD", "s", "5-7", "a", "2")
    ex(r2, "XADD", "s", "6-0", "a", "3")
    assert [e[0] for e in ex(r2, "XRANGE", "s", "5", "5")] == [b"5-0", b"5-7"]
    assert [e[0] for e in ex(r2, "XREVRANGE", "s", "5", "5")] == [b"5-7", b"5-0"]


def test_xrevrange(r2):
    fill(r2, n=5)
    assert ex(r2, "XREVRANGE", "s", "+", "-") == [entry(i) for i in range(5, 0, -1)]
    assert ex(r2, "XREVRANGE", "s", "4", "2") == [entry(4), entry(3), entry(2)]
    assert ex(r2, "XREVRANGE", "s", "+", "-", "COUNT", "2") == [entry(5), entry(4)]
    assert ex(r2, "XREVRANGE", "s", "2", "4") == []


def test_xrange_exclusive(r2):
    fill(r2, n=5)
    assert ex(r2, "XRANGE", "s", "(1", "+") == [entry(i) for i in range(2, 6)]
    assert ex(r2, "XRANGE", "s", "(1-0", "(3") == [entry(2), entry(3)]
    assert ex(r2, "XRANGE", "s", "-", "(3-0") == [entry(1), entry(2)]
    assert ex(r2, "XRANGE", "s", "(0-0", "+") == [entry(i) for i in range(1, 6)]
    assert ex(r2, "XREVRANGE", "s", "(5-0", "(2") == [entry(4), entry(3)]
    # an exclusive end without seq is "before 5-18446744073709551615": 5-0 is still in
    assert ex(r2, "XREVRANGE", "s", "(5", "(2") == [entry(5), entry(4), entry(3)]
    assert ex(r2, "XRANGE", "s", "(4", "+") == [entry(5)]
    assert ex(r2, "XRANGE", "s", "(2", "(2") == []


@pytest.mark.parametrize("start,end,message", [
    ("(-", "+", INVALID_ID), ("-", "(+", INVALID_ID), ("(", "+", INVALID_ID),
    ("-", "(0-0", "ERR invalid end ID for the interval"),
    (f"({MAXID}", "+", "ERR invalid start ID for the interval"),
    ("x", "+", INVALID_ID), ("-", "y", INVALID_ID), ("1-", "+", INVALID_ID),
])
def test_xrange_interval_errors(r2, start, end, message):
    fill(r2, n=1)
    assert err(r2, "XRANGE", "s", start, end) == message


def test_xrange_count(r):
    fill(r, n=5)
    assert ex(r, "XRANGE", "s", "-", "+", "COUNT", "2") == [entry(1), entry(2)]
    assert ex(r, "XRANGE", "s", "-", "+", "count", "1", "COUNT", "3") == [entry(1), entry(2), entry(3)]
    assert ex(r, "XRANGE", "s", "-", "+", "COUNT", "100") == [entry(i) for i in range(1, 6)]
    # COUNT 0 or negative: a null array (but an empty array for a missing key)
    assert ex(r, "XRANGE", "s", "-", "+", "COUNT", "0") is None
    assert ex(r, "XREVRANGE", "s", "+", "-", "COUNT", "-5") is None
    assert ex(r, "XRANGE", "nokey", "-", "+", "COUNT", "0") == []


def test_xrange_count_null_array_bytes(raw):
    raw.cmd("XADD", "s", "1", "a", "b")
    assert raw.cmd("XRANGE", "s", "-", "+", "COUNT", "0") == b"*-1\r\n"
    raw.cmd("HELLO", "3")
    assert raw.cmd("XRANGE", "s", "-", "+", "COUNT", "0") == b"_\r\n"


@pytest.mark.parametrize("extra,message", [
    (["foo"], SYNTAX), (["COUNT"], SYNTAX), (["COUNT", "x"], NOT_INT), (["COUNT", "1", "x"], SYNTAX),
])
def test_xrange_option_errors(r2, extra, message):
    fill(r2, n=1)
    assert err(r2, "XRANGE", "s", "-", "+", *extra) == message
    assert err(r2, "XREVRANGE", "s", "+", "-", *extra) == message


def test_xrange_wrongtype_and_arity(r2):
    ex(r2, "SET", "k", "v")
    assert err(r2, "XRANGE", "k", "-", "+") == WRONGTYPE
    assert err(r2, "XRANGE", "k", "x", "+") == INVALID_ID  # IDs are parsed first
    assert err(r2, "XRANGE", "k", "-") == "ERR wrong number of arguments for 'xrange' command"


@pytest.mark.parametrize("arg", ["+1", "01", " 1", "1-0", "0001-00", "1\x00junk"], ids=repr)
def test_xrange_lenient_start(r2, arg):
    fill(r2, n=2)
    assert ex(r2, "XRANGE", "s", arg, "+") == [entry(1), entry(2)]


def test_xrange_skips_deleted_entries_across_nodes(r2):
    fill(r2, n=250)
    pipe(r2, [("XDEL", "s", f"{i}-0") for i in range(50, 201)])
    got = ex(r2, "XRANGE", "s", "40", "210")
    assert [e[0] for e in got] == [f"{i}-0".encode() for i in list(range(40, 50)) + list(range(201, 211))]
    got = ex(r2, "XREVRANGE", "s", "210", "40", "COUNT", "12")
    assert [e[0] for e in got] == [f"{i}-0".encode() for i in list(range(210, 200, -1)) + [49, 48]]


# --------------------------------------------------------------------------- XDEL


def test_xdel(r2):
    fill(r2, n=5)
    assert ex(r2, "XDEL", "s", "2-0", "4", "9-0", "2-0") == 2
    assert ex(r2, "XLEN", "s") == 3
    assert ex(r2, "XRANGE", "s", "-", "+") == [entry(1), entry(3), entry(5)]
    assert ex(r2, "XDEL", "s", "1", "3", "5") == 3
    assert ex(r2, "XLEN", "s") == 0
    assert ex(r2, "EXISTS", "s") == 1  # an empty stream is not deleted
    assert info(r2)[b"last-generated-id"] == b"5-0"


def test_xdel_errors(r2):
    fill(r2, n=2)
    assert err(r2, "XDEL", "s", "1-0", "bad") == INVALID_ID
    assert ex(r2, "XLEN", "s") == 2  # nothing deleted when one ID is invalid
    assert err(r2, "XDEL", "s", "-") == INVALID_ID
    assert ex(r2, "XDEL", "nokey", "bad") == 0
    ex(r2, "SET", "k", "v")
    assert err(r2, "XDEL", "k", "1-0") == WRONGTYPE
    assert err(r2, "XDEL", "s") == "ERR wrong number of arguments for 'xdel' command"


def test_xdel_last_entry_then_xadd(r2):
    fill(r2, n=3)
    ex(r2, "XDEL", "s", "3-0")
    assert err(r2, "XADD", "s", "3-0", "a", "1") == XADD_SMALLER
    assert ex(r2, "XADD", "s", "*", "a", "1") != b"3-0"


# --------------------------------------------------------------------------- XTRIM


def test_xtrim_maxlen(r2):
    fill(r2, n=10)
    assert ex(r2, "XTRIM", "s", "MAXLEN", "7") == 3
    assert ex(r2, "XTRIM", "s", "MAXLEN", "=", "5") == 2
    assert ex(r2, "XTRIM", "s", "MAXLEN", "5") == 0
    assert ex(r2, "XRANGE", "s", "-", "+") == [entry(i) for i in range(6, 11)]
    assert ex(r2, "XTRIM", "s", "MAXLEN", "0") == 5
    assert ex(r2, "EXISTS", "s") == 1


def test_xtrim_minid(r2):
    fill(r2, n=10)
    assert ex(r2, "XTRIM", "s", "MINID", "4") == 3
    assert ex(r2, "XTRIM", "s", "MINID", "=", "6-1") == 3
    assert ex(r2, "XTRIM", "s", "MINID", "1") == 0
    assert ex(r2, "XRANGE", "s", "-", "+") == [entry(i) for i in range(7, 11)]
    assert ex(r2, "XTRIM", "s", "MINID", "999") == 4


def test_xtrim_approx_nodes(r2):
    pipe(r2, [("XADD", "s", f"{i}-0", "f", "v") for i in range(1, 351)])
    assert ex(r2, "XTRIM", "s", "MAXLEN", "~", "300") == 0
    assert ex(r2, "XTRIM", "s", "MAXLEN", "~", "200") == 100
    assert ex(r2, "XTRIM", "s", "MINID", "~", "290") == 100
    assert ex(r2, "XLEN", "s") == 150
    assert ex(r2, "XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "99") == 0
    assert ex(r2, "XTRIM", "s", "MAXLEN", "~", "0", "LIMIT", "100") == 100
    assert ex(r2, "XTRIM", "s", "MAXLEN", "~", "0") == 50


def test_xtrim_counts_only_live_entries(r2):
    fill(r2, n=10)
    ex(r2, "XDEL", "s", "1-0", "2-0", "3-0")
    assert ex(r2, "XTRIM", "s", "MAXLEN", "5") == 2
    assert ex(r2, "XRANGE", "s", "-", "+") == [entry(i) for i in range(6, 11)]


@pytest.mark.parametrize("args,message", [
    ([], "ERR syntax error, XTRIM must be called with a trimming strategy"),
    (["LIMIT", "0"], "ERR syntax error, XTRIM must be called with a trimming strategy"),
    (["LIMIT", "5"], "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"),
    (["MAXLEN", "~"], NOT_INT),
    (["MAXLEN", "=", "1", "foo"], SYNTAX),
    (["MAXLEN", "1", "*"], SYNTAX),
    (["NOMKSTREAM", "MAXLEN", "1"], SYNTAX),
    (["MINID", "abc"], INVALID_ID),
    (["MINID", "+"], INVALID_ID),
    (["MAXLEN", "-1"], "ERR The MAXLEN argument must be >= 0."),
    (["LIMIT", "-1"], "ERR The LIMIT argument must be >= 0."),
    (["MAXLEN", "1", "LIMIT", "10"], "ERR syntax error, LIMIT cannot be used without the special ~ option"),
    (["MAXLEN", "1", "MINID", "1"], "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"),
], ids=lambda a: " ".join(a) if isinstance(a, list) else "")
def test_xtrim_errors(r2, args, message):
    fill(r2, n=3)
    if not args:
        assert err(r2, "XTRIM", "s", "x", "y") == SYNTAX
        assert err(r2, "XTRIM", "s") == "ERR wrong number of arguments for 'xtrim' command"
        return
    assert err(r2, "XTRIM", "s", *args) == message
    assert ex(r2, "XLEN", "s") == 3


def test_xtrim_missing_and_wrongtype(r2):
    assert ex(r2, "XTRIM", "nokey", "MAXLEN", "0") == 0
    ex(r2, "SET", "k", "v")
    assert err(r2, "XTRIM", "k", "MAXLEN", "0") == WRONGTYPE
    assert err(r2, "XTRIM", "k", "MAXLEN", "x") == NOT_INT  # options first


# --------------------------------------------------------------------------- XSETID


def test_xsetid(r2):
    fill(r2, n=3)
    assert ex(r2, "XSETID", "s", "10-5") == b"OK"
    assert info(r2)[b"last-generated-id"] == b"10-5"
    assert err(r2, "XADD", "s", "10-5", "a", "1") == XADD_SMALLER
    assert ex(r2, "XADD", "s", "*", "a", "1").startswith(b"1")
    assert err(r2, "XSETID", "s", "2-0") == \
        "ERR The ID specified in XSETID is smaller than the target stream top item"


def test_xsetid_compares_with_last_live_entry(r2):
    fill(r2, n=3)
    ex(r2, "XDEL", "s", "3-0")
    assert ex(r2, "XSETID", "s", "2-0") == b"OK"  # 3-0 is gone: 2-0 is the top item
    assert info(r2)[b"last-generated-id"] == b"2-0"
    assert ex(r2, "XADD", "s", "3-0", "a", "1") == b"3-0"


def test_xsetid_back_then_same_id_again(r2):
    # the listpack then holds 1-2 twice, the deleted one first: lookups skip deleted entries
    pipe(r2, [("XADD", "s", "1-1", "a", "1"), ("XADD", "s", "1-2", "a", "2"), ("XDEL", "s", "1-2"),
              ("XSETID", "s", "1-1"), ("XADD", "s", "1-2", "a", "3")])
    assert ex(r2, "XRANGE", "s", "1-2", "1-2") == [[b"1-2", [b"a", b"3"]]]
    ex(r2, "XGROUP", "CREATE", "s", "g", "0")
    ex(r2, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    assert ex(r2, "XCLAIM", "s", "g", "c2", "0", "1-2") == [[b"1-2", [b"a", b"3"]]]
    assert ex(r2, "XAUTOCLAIM", "s", "g", "c3", "0", "0") == [
        b"0-0", [[b"1-1", [b"a", b"1"]], [b"1-2", [b"a", b"3"]]]]
    assert ex(r2, "XDEL", "s", "1-2") == 1
    assert ex(r2, "XRANGE", "s", "-", "+") == [[b"1-1", [b"a", b"1"]]]
    ex(r2, "XDEL", "s", "1-1")
    assert ex(r2, "XSETID", "s", "0-1") == b"OK"  # no live entry left
    assert ex(r2, "XADD", "s", "0-5", "b", "1") == b"0-5"
    assert ex(r2, "XREVRANGE", "s", "+", "-") == [[b"0-5", [b"b", b"1"]]]


def test_xsetid_back_below_deleted_entries(r2):
    # 1-5 and 1-9 stay in the listpack, deleted, before 1-3 and 1-7: they never end a range
    pipe(r2, [("XADD", "s", "1-1", "a", "1"), ("XADD", "s", "1-5", "a", "1"), ("XADD", "s", "1-9", "a", "1"),
              ("XDEL", "s", "1-5", "1-9"), ("XSETID", "s", "1-1"), ("XADD", "s", "1-3", "a", "2"),
              ("XADD", "s", "1-7", "b", "2")])
    assert ex(r2, "XRANGE", "s", "-", "1-4") == [[b"1-1", [b"a", b"1"]], [b"1-3", [b"a", b"2"]]]
    assert ex(r2, "XRANGE", "s", "1-4", "+") == [[b"1-7", [b"b", b"2"]]]
    assert ex(r2, "XREVRANGE", "s", "1-6", "-") == [[b"1-3", [b"a", b"2"]], [b"1-1", [b"a", b"1"]]]
    assert ex(r2, "XREAD", "STREAMS", "s", "1-2") == [[b"s", [[b"1-3", [b"a", b"2"]], [b"1-7", [b"b", b"2"]]]]]
    assert ex(r2, "RESTORE", "c", 0, ex(r2, "DUMP", "s")) == b"OK"
    assert ex(r2, "XRANGE", "c", "-", "+") == ex(r2, "XRANGE", "s", "-", "+")
    ex(r2, "XDEL", "s", "1-1")
    # an exact MINID trim stops at the first entry at or above MINID, deleted or not (1-9)
    assert ex(r2, "XTRIM", "s", "MINID", "1-6") == 0
    assert ex(r2, "XTRIM", "s", "MINID", "1-8") == 2  # the last entry, 1-7, is below: whole node
    assert ex(r2, "XLEN", "s") == 0


def test_xsetid_empty_stream_accepts_anything(r2):
    fill(r2, n=3)
    ex(r2, "XTRIM", "s", "MAXLEN", "0")
    assert ex(r2, "XSETID", "s", "1-0") == b"OK"
    assert ex(r2, "XADD", "s", "*", "a", "1") != b"2-0"


def test_xsetid_errors(r2):
    assert err(r2, "XSETID", "nokey", "1-0") == "ERR no such key"
    fill(r2, n=1)
    assert err(r2, "XSETID", "s", "bad") == INVALID_ID
    assert err(r2, "XSETID", "s", "+") == INVALID_ID
    assert err(r2, "XSETID", "s", "0-0") == \
        "ERR The ID specified in XSETID is smaller than the target stream top item"
    ex(r2, "SET", "k", "v")
    assert err(r2, "XSETID", "k", "1") == WRONGTYPE
    assert err(r2, "XSETID", "s") == "ERR wrong number of arguments for 'xsetid' command"


# --------------------------------------------------------------------------- XINFO STREAM


def test_xinfo_stream_resp2_shape(r2):
    fill(r2, n=3)
    ex(r2, "XGROUP", "CREATE", "s", "g", "0")
    assert ex(r2, "XINFO", "STREAM", "s") == [
        b"length", 3, b"radix-tree-keys", 1, b"radix-tree-nodes", 2,
        b"last-generated-id", b"3-0", b"groups", 1,
        b"first-entry", entry(1), b"last-entry", entry(3)]


def test_xinfo_stream_resp3_map(make_client):
    r3 = make_client(protocol=3)
    fill(r3, n=2)
    assert ex(r3, "XINFO", "STREAM", "s") == {
        b"length": 2, b"radix-tree-keys": 1, b"radix-tree-nodes": 2,
        b"last-generated-id": b"2-0", b"groups": 0,
        b"first-entry": entry(1), b"last-entry": entry(2)}


def test_xinfo_stream_empty_stream(r):
    ex(r, "XADD", "s", "1-0", "a", "1")
    ex(r, "XDEL", "s", "1-0")
    i = info(r)
    assert i[b"length"] == 0 and i[b"first-entry"] is None and i[b"last-entry"] is None
    assert i[b"radix-tree-keys"] == 0 and i[b"radix-tree-nodes"] == 1
    assert i[b"last-generated-id"] == b"1-0"


def test_xinfo_first_last_skip_deleted(r2):
    fill(r2, n=5)
    ex(r2, "XDEL", "s", "1-0", "5-0")
    i = info(r2)
    assert i[b"first-entry"] == entry(2) and i[b"last-entry"] == entry(4)
    assert i[b"last-generated-id"] == b"5-0"


@pytest.mark.parametrize("ids,keys,nodes", [
    ([(1, 1)], 1, 2),
    ([(i, 0) for i in range(1, 101)], 1, 2),
    ([(i, 1) for i in range(1, 120)], 2, 6),
    ([(i, 0) for i in range(1, 301)], 3, 8),
    ([(i * 256, 0) for i in range(1, 301)], 3, 8),
    ([(i, 0) for i in range(1, 1001)], 10, 26),
    ([(1, i) for i in range(1, 501)], 5, 9),
    ([((1 << 40) * i, 0) for i in range(1, 300)], 3, 8),
])
def test_xinfo_radix_tree_numbers(r2, ids, keys, nodes):
    p = r2.pipeline(transaction=False)
    for ms, seq in ids:
        p.execute_command("XADD", "s", f"{ms}-{seq}", "f", "v")
    p.execute()
    i = info(r2)
    assert (i[b"radix-tree-keys"], i[b"radix-tree-nodes"]) == (keys, nodes)


def test_xinfo_node_boundaries_count_deleted_entries(r2):
    pipe(r2, [("XADD", "s", f"{i}-0", "a", "1") for i in range(1, 101)])
    pipe(r2, [("XDEL", "s", f"{i}-0") for i in range(1, 51)])
    ex(r2, "XADD", "s", "101-0", "a", "1")
    assert info(r2)[b"radix-tree-keys"] == 2


def test_xinfo_node_boundaries_by_bytes(r2):
    keys = []
    for i in range(1, 10):
        ex(r2, "XADD", "s", f"{i}-0", "f", "x" * 1000)
        keys.append(info(r2)[b"radix-tree-keys"])
    assert keys == [1, 1, 1, 1, 2, 2, 2, 2, 3]


def test_xinfo_node_deleted_when_emptied_by_xdel(r2):
    pipe(r2, [("XADD", "s", f"{i}-0", "a", "1") for i in range(1, 151)])
    assert info(r2)[b"radix-tree-keys"] == 2
    pipe(r2, [("XDEL", "s", f"{i}-0") for i in range(1, 100)])
    assert info(r2)[b"radix-tree-keys"] == 2
    ex(r2, "XDEL", "s", "100-0")
    i = info(r2)
    assert i[b"radix-tree-keys"] == 1 and i[b"radix-tree-nodes"] == 2 and i[b"length"] == 50


def test_xinfo_stream_full(r2):
    fill(r2, n=3)
    assert ex(r2, "XINFO", "STREAM", "s", "FULL") == [
        b"length", 3, b"radix-tree-keys", 1, b"radix-tree-nodes", 2,
        b"last-generated-id", b"3-0", b"entries", [entry(1), entry(2), entry(3)], b"groups", []]


def test_xinfo_stream_full_count(r2):
    fill(r2, n=15)
    full = ex(r2, "XINFO", "STREAM", "s", "FULL")
    assert full[9] == [entry(i) for i in range(1, 11)]  # COUNT defaults to 10
    assert ex(r2, "XINFO", "STREAM", "s", "FULL", "COUNT", "3")[9] == [entry(1), entry(2), entry(3)]
    assert len(ex(r2, "XINFO", "STREAM", "s", "full", "count", "0")[9]) == 15
    assert len(ex(r2, "XINFO", "STREAM", "s", "FULL", "COUNT", "-1")[9]) == 10


@pytest.mark.parametrize("args,message", [
    (["STREAM"], "ERR Unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP."),
    (["Stream"], "ERR Unknown subcommand or wrong number of arguments for 'Stream'. Try XINFO HELP."),
    (["STREAM", "s", "foo"], "ERR Unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP."),
    (["STREAM", "s", "FULL", "COUNT"], "ERR Unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP."),
    (["STREAM", "s", "FULL", "x", "1"], "ERR Unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP."),
    (["STREAM", "s", "FULL", "COUNT", "x"], NOT_INT),
    (["STREAM", "nokey"], "ERR no such key"),
    (["STREAM", "k"], WRONGTYPE),
    (["FOO", "s"], "ERR Unknown subcommand or wrong number of arguments for 'FOO'. Try XINFO HELP."),
    (["FOO", "nokey"], "ERR no such key"),
    (["GROUPS", "s", "x"], "ERR Unknown subcommand or wrong number of arguments for 'GROUPS'. Try XINFO HELP."),
], ids=lambda a: " ".join(a) if isinstance(a, list) else "")
def test_xinfo_errors(r2, args, message):
    fill(r2, n=1)
    ex(r2, "SET", "k", "v")
    assert err(r2, "XINFO", *args) == message


def test_xinfo_help(r2):
    expected = [
        b"XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        b"CONSUMERS <key> <groupname>", b"    Show consumers of <groupname>.",
        b"GROUPS <key>", b"    Show the stream consumer groups.",
        b"STREAM <key> [FULL [COUNT <count>]", b"    Show information about the stream.",
        b"HELP", b"    Prints this help."]
    assert ex(r2, "XINFO", "HELP") == expected
    assert ex(r2, "XINFO", "help", "anything", "else") == expected
    assert err(r2, "XINFO") == "ERR wrong number of arguments for 'xinfo' command"


def test_xinfo_help_is_status_lines(raw):
    reply = raw.cmd("XINFO", "HELP")
    assert reply.startswith(b"*9\r\n+XINFO <subcommand>")


# --------------------------------------------------------------------------- XREAD (no BLOCK)


def test_xread_basic(r2):
    fill(r2, n=3)
    fill(r2, key="t", n=2)
    assert ex(r2, "XREAD", "STREAMS", "s", "0") == [[b"s", [entry(1), entry(2), entry(3)]]]
    assert ex(r2, "XREAD", "COUNT", "1", "STREAMS", "s", "t", "1", "0") == \
        [[b"s", [entry(2)]], [b"t", [entry(1)]]]
    assert ex(r2, "XREAD", "STREAMS", "s", "t", "3", "0") == [[b"t", [entry(1), entry(2)]]]


def test_xread_nothing_is_null(r):
    fill(r, n=1)
    assert ex(r, "XREAD", "STREAMS", "s", "1-0") is None
    assert ex(r, "XREAD", "STREAMS", "s", "$") is None
    assert ex(r, "XREAD", "STREAMS", "nokey", "0") is None


def test_xread_resp3_map(make_client):
    r3 = make_client(protocol=3)
    fill(r3, n=2)
    fill(r3, key="t", n=1)
    assert ex(r3, "XREAD", "STREAMS", "s", "t", "0", "0") == {b"s": [entry(1), entry(2)], b"t": [entry(1)]}


def test_xread_same_key_twice(r2):
    fill(r2, n=1)
    assert ex(r2, "XREAD", "STREAMS", "s", "s", "0", "0") == [[b"s", [entry(1)]], [b"s", [entry(1)]]]


def test_xread_same_key_twice_resp3_bytes(raw):
    raw.cmd("HELLO", "3")
    raw.cmd("XADD", "s", "1", "a", "b")
    assert raw.cmd("XREAD", "STREAMS", "s", "s", "0", "0") == (
        b"%2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n"
        b"$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n")


def test_xread_count_edge_values(r2):
    fill(r2, n=3)
    assert len(ex(r2, "XREAD", "COUNT", "0", "STREAMS", "s", "0")[0][1]) == 3
    assert len(ex(r2, "XREAD", "COUNT", "-1", "STREAMS", "s", "0")[0][1]) == 3
    assert len(ex(r2, "XREAD", "COUNT", "1", "COUNT", "2", "STREAMS", "s", "0")[0][1]) == 2


def test_xread_after_deleted_tail(r2):
    fill(r2, n=3)
    ex(r2, "XDEL", "s", "3-0")
    assert ex(r2, "XREAD", "STREAMS", "s", "2-0") is None
    assert ex(r2, "XREAD", "STREAMS", "s", "1-5") == [[b"s", [entry(2)]]]


@pytest.mark.parametrize("args,message", [
    (["STREAMS", "s", "0", "x"], "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."),
    (["COUNT", "x", "STREAMS", "s", "0"], NOT_INT),
    (["FOO", "STREAMS", "s", "0"], SYNTAX),
    (["COUNT", "1", "BLOCK", "1"], SYNTAX),
    (["GROUP", "g", "c", "STREAMS", "s", "0"], "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."),
    (["NOACK", "STREAMS", "s", "0"], "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."),
    (["STREAMS", "s", ">"], "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."),
    (["STREAMS", "s", "bad"], INVALID_ID),
    (["STREAMS", "s", "-"], INVALID_ID),
    (["STREAMS", "s", "+"], INVALID_ID),
    (["STREAMS", "k", "0"], WRONGTYPE),
    (["STREAMS", "nokey", "k", "0", "bad"], WRONGTYPE),
    (["STREAMS", "s", "streams", "s", "0"], INVALID_ID),
], ids=lambda a: " ".join(a) if isinstance(a, list) else "")
def test_xread_errors(r2, args, message):
    fill(r2, n=1)
    ex(r2, "SET", "k", "v")
    assert err(r2, "XREAD", *args) == message


def test_xread_arity(r2):
    assert err(r2, "XREAD", "STREAMS", "s") == "ERR wrong number of arguments for 'xread' command"


# --------------------------------------------------------------------------- generic keyspace


def test_dump_keeps_deleted_entries(r2):
    # XDEL and an exact trim only flag entries deleted: the listpack keeps them (with their
    # fields and values), so DUMP writes them, flagged, and the node's master entry is 1-1's
    pipe(r2, [("XADD", "s", "1-1", "a", "1"), ("XADD", "s", "1-2", "a", "2"), ("XADD", "s", "1-3", "b", "x"),
              ("XADD", "s", "2-0", "a", "3"), ("XDEL", "s", "1-1"), ("XTRIM", "s", "MAXLEN", "=", "2")])
    payload = (b"\x0f\x01\x10\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01@AA\x00\x00\x00"
               b"\x1b\x00\x02\x01\x02\x01\x01\x01\x81a\x02\x00\x01\x03\x01\x00\x01\x00\x01\x01\x01\x04\x01"
               b"\x03\x01\x00\x01\x01\x01\x02\x01\x04\x01\x00\x01\x00\x01\x02\x01\x01\x01\x81b\x02\x81x\x02"
               b"\x06\x01\x02\x01\x01\x01\xdf\xff\x02\x03\x01\x04\x01\xff\x02\x02\x00\x00\t\x00$>\xae(\xd3"
               b"\xe9d\xad")
    assert ex(r2, "DUMP", "s") == payload
    assert ex(r2, "RESTORE", "c", 0, payload) == b"OK"
    assert ex(r2, "DUMP", "c") == payload
    assert ex(r2, "XRANGE", "c", "-", "+") == [[b"1-3", [b"b", b"x"]], [b"2-0", [b"a", b"3"]]]


def test_restore_keeps_deleted_entries_in_node_size(r2):
    # the restored node still counts its 50 deleted entries: the 101st entry opens a new node
    pipe(r2, [("XADD", "s", f"{i}-0", "a", "1") for i in range(1, 101)])
    pipe(r2, [("XDEL", "s", f"{i}-0") for i in range(1, 51)])
    assert ex(r2, "RESTORE", "c", 0, ex(r2, "DUMP", "s")) == b"OK"
    ex(r2, "XADD", "c", "101-0", "a", "1")
    assert info(r2, "c")[b"radix-tree-keys"] == 2


def test_copy_and_rename_stream(r2):
    fill(r2, n=3)
    ex(r2, "XGROUP", "CREATE", "s", "g", "0")
    ex(r2, "XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">")
    assert ex(r2, "COPY", "s", "s2") == 1
    ex(r2, "XADD", "s", "4-0", "f", "4")
    ex(r2, "XACK", "s", "g", "1-0")
    assert ex(r2, "XRANGE", "s2", "-", "+") == [entry(1), entry(2), entry(3)]
    assert ex(r2, "XPENDING", "s2", "g")[0] == 1
    assert ex(r2, "XPENDING", "s", "g")[0] == 0
    assert ex(r2, "RENAME", "s2", "s3") == b"OK"
    assert ex(r2, "XLEN", "s3") == 3
    assert ex(r2, "TYPE", "s3") == b"stream"


def test_scan_type_stream(r2):
    fill(r2, n=1)
    ex(r2, "SET", "k", "v")
    assert ex(r2, "SCAN", "0", "TYPE", "stream")[1] == [b"s"]


def test_watch_xadd_xdel_xtrim_invalidate(make_client):
    a = make_client()
    b = make_client()
    fill(a, n=3)
    for cmd, aborted in [(["XADD", "s", "9-0", "f", "9"], True), (["XDEL", "s", "1-0"], True),
                         (["XDEL", "s", "77-0"], False), (["XTRIM", "s", "MAXLEN", "1"], True),
                         (["XTRIM", "s", "MAXLEN", "5"], False), (["XSETID", "s", "100-0"], False),
                         (["XLEN", "s"], False)]:
        ex(a, "WATCH", "s")
        ex(b, *cmd)
        ex(a, "MULTI")
        ex(a, "PING")
        assert (ex(a, "EXEC") is None) == aborted, cmd


def _events(make_client, fn):
    admin = make_client()
    ex(admin, "CONFIG", "SET", "notify-keyspace-events", "KEA")
    try:
        sub = make_client()
        ps = sub.pubsub()
        ps.psubscribe("__keyspace@0__:*")
        ps.get_message(timeout=1)
        fn(admin)
        out = []
        while True:
            m = ps.get_message(timeout=0.3)
            if m is None:
                break
            if m["type"] == "pmessage":
                out.append((m["channel"].split(b":", 1)[1], m["data"]))
        return out
    finally:
        ex(admin, "CONFIG", "SET", "notify-keyspace-events", "")


def test_keyspace_events(make_client):
    def run(c):
        ex(c, "XADD", "s", "1-0", "a", "1")
        ex(c, "XADD", "s", "MAXLEN", "1", "2-0", "a", "1")
        ex(c, "XADD", "s", "MAXLEN", "~", "1", "3-0", "a", "1")
        ex(c, "XDEL", "s", "2-0")
        ex(c, "XDEL", "s", "2-0")
        ex(c, "XTRIM", "s", "MAXLEN", "0")
        ex(c, "XTRIM", "s", "MAXLEN", "0")
        ex(c, "XSETID", "s", "9-0")
        ex(c, "XADD", "nokey", "NOMKSTREAM", "*", "a", "1")
    assert _events(make_client, run) == [
        (b"s", b"xadd"), (b"s", b"xadd"), (b"s", b"xtrim"), (b"s", b"xadd"), (b"s", b"xdel"),
        (b"s", b"xtrim"), (b"s", b"xsetid")]


def test_command_info_entries(r2):
    got = {row[0]: row[1:6] for row in ex(r2, "COMMAND", "INFO", "xadd", "xlen", "xrange", "xrevrange",
                                           "xdel", "xtrim", "xsetid", "xinfo", "xread")}
    assert got[b"xadd"] == [-5, [b"write", b"denyoom", b"random", b"fast"], 1, 1, 1]
    assert got[b"xlen"] == [2, [b"readonly", b"fast"], 1, 1, 1]
    assert got[b"xrange"] == [-4, [b"readonly"], 1, 1, 1]
    assert got[b"xrevrange"] == [-4, [b"readonly"], 1, 1, 1]
    assert got[b"xdel"] == [-3, [b"write", b"fast"], 1, 1, 1]
    assert got[b"xtrim"] == [-4, [b"write", b"random"], 1, 1, 1]
    assert got[b"xsetid"] == [3, [b"write", b"denyoom", b"fast"], 1, 1, 1]
    assert got[b"xinfo"] == [-2, [b"readonly", b"random"], 2, 2, 1]
    assert got[b"xread"] == [-4, [b"readonly", b"movablekeys"], 0, 0, 0]


@pytest.mark.parametrize("args,keys", [
    (["XREAD", "COUNT", "1", "STREAMS", "a", "b", "0", "0"], [b"a", b"b"]),
    (["XREAD", "BLOCK", "1", "STREAMS", "a", "0"], [b"a"]),
    (["XREADGROUP", "GROUP", "g", "c", "NOACK", "STREAMS", "streams", "0"], [b"streams"]),
])
def test_command_getkeys_xread(r2, args, keys):
    assert ex(r2, "COMMAND", "GETKEYS", *args) == keys
