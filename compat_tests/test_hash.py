"""Hash commands, as Redis 6.2.14 does them (tests/unit/type/hash.tcl's ground).

HSET HSETNX HMSET HGET HMGET HDEL HLEN HSTRLEN HEXISTS HKEYS HVALS HGETALL HINCRBY
HINCRBYFLOAT HRANDFIELD HSCAN: replies, reply types per protocol, exact error texts, which
check wins, key deletion when a hash empties, ziplist/hashtable encoding transitions (which
never go back), keyspace events and the command table.
"""

from __future__ import annotations

import contextlib
import time

import pytest

from .helpers import err, ex

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INT = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
HASH_NOT_INT = "ERR hash value is not an integer"
HASH_NOT_FLOAT = "ERR hash value is not a float"
OVERFLOW = "ERR increment or decrement would overflow"
NAN_INF_RESULT = "ERR increment would produce NaN or Infinity"
NAN_INF_VALUE = "ERR value is NaN or Infinity"
SYNTAX = "ERR syntax error"
INVALID_CURSOR = "ERR invalid cursor"
LONG_RANGE = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
OUT_OF_RANGE = "ERR value is out of range"
LONG = "x" * 65  # one byte over the default hash-max-ziplist-value


def arity(name):
    return f"ERR wrong number of arguments for '{name}' command"


def hs(client, key="h", *pairs):
    if not pairs:
        pairs = ("a", "1", "b", "2", "c", "3")
    return ex(client, "HSET", key, *pairs)


def enc(client, key="h"):
    return ex(client, "OBJECT", "ENCODING", key)


@contextlib.contextmanager
def config(client, name, value):
    old = ex(client, "CONFIG", "GET", name)[1]
    ex(client, "CONFIG", "SET", name, value)
    try:
        yield
    finally:
        ex(client, "CONFIG", "SET", name, old)


def hscan_all(client, key, *options):
    cursor, out, calls = b"0", [], 0
    while True:
        cursor, batch = ex(client, "HSCAN", key, cursor, *options)
        calls += 1
        assert cursor.isdigit()
        out.extend(batch)
        if cursor == b"0":
            return out, calls
        assert calls < 10_000


# --------------------------------------------------------------------------- command table

COMMAND_INFO = {
    "hset": (-4, [b"write", b"denyoom", b"fast"]),
    "hsetnx": (4, [b"write", b"denyoom", b"fast"]),
    "hmset": (-4, [b"write", b"denyoom", b"fast"]),
    "hget": (3, [b"readonly", b"fast"]),
    "hmget": (-3, [b"readonly", b"fast"]),
    "hdel": (-3, [b"write", b"fast"]),
    "hlen": (2, [b"readonly", b"fast"]),
    "hstrlen": (3, [b"readonly", b"fast"]),
    "hexists": (3, [b"readonly", b"fast"]),
    "hkeys": (2, [b"readonly", b"sort_for_script"]),
    "hvals": (2, [b"readonly", b"sort_for_script"]),
    "hgetall": (2, [b"readonly", b"random"]),
    "hincrby": (4, [b"write", b"denyoom", b"fast"]),
    "hincrbyfloat": (4, [b"write", b"denyoom", b"fast"]),
    "hrandfield": (-2, [b"readonly", b"random"]),
    "hscan": (-3, [b"readonly", b"random"]),
}


@pytest.mark.parametrize("name", sorted(COMMAND_INFO))
def test_command_info(r2, name):
    (info,) = ex(r2, "COMMAND", "INFO", name)
    arity_, flags = COMMAND_INFO[name]
    assert info[:6] == [name.encode(), arity_, flags, 1, 1, 1]
    cats = info[6]
    assert b"@hash" in cats
    assert (b"@fast" in cats) == (b"fast" in flags)
    assert (b"@slow" in cats) == (b"fast" not in flags)
    assert (b"@write" in cats) == (b"write" in flags)
    assert (b"@read" in cats) == (b"readonly" in flags)


@pytest.mark.parametrize(
    "args",
    [
        ["HSET", "h", "f"], ["HSETNX", "h", "f"], ["HMSET", "h", "f"], ["HGET", "h"],
        ["HMGET", "h"], ["HDEL", "h"], ["HLEN"], ["HSTRLEN", "h"], ["HEXISTS", "h"],
        ["HKEYS"], ["HVALS", "h", "x"], ["HGETALL"], ["HINCRBY", "h", "f"],
        ["HINCRBYFLOAT", "h", "f", "1", "2"], ["HRANDFIELD"], ["HSCAN", "h"],
    ],
    ids=lambda a: " ".join(a),
)
def test_wrong_arity(r2, args):
    assert err(r2, *args) == arity(args[0].lower())


# --------------------------------------------------------------------------- wrong type


@pytest.mark.parametrize(
    "args",
    [
        ["HSET", "k", "f", "v"], ["HSETNX", "k", "f", "v"], ["HMSET", "k", "f", "v"],
        ["HGET", "k", "f"], ["HMGET", "k", "f"], ["HDEL", "k", "f"], ["HLEN", "k"],
        ["HSTRLEN", "k", "f"], ["HEXISTS", "k", "f"], ["HKEYS", "k"], ["HVALS", "k"],
        ["HGETALL", "k"], ["HINCRBY", "k", "f", "1"], ["HINCRBYFLOAT", "k", "f", "1"],
        ["HRANDFIELD", "k"], ["HRANDFIELD", "k", "2"], ["HRANDFIELD", "k", "-2", "WITHVALUES"],
        ["HSCAN", "k", "0"],
    ],
    ids=lambda a: " ".join(a),
)
def test_wrongtype(r2, args):
    ex(r2, "SET", "k", "v")
    assert err(r2, *args) == WRONGTYPE
    assert ex(r2, "GET", "k") == b"v"


def test_wrongtype_on_list(r2):
    ex(r2, "RPUSH", "k", "x")
    assert err(r2, "HSET", "k", "f", "v") == WRONGTYPE
    assert err(r2, "HGETALL", "k") == WRONGTYPE


# --------------------------------------------------------------------------- HSET / HMSET / HSETNX


def test_hset_returns_number_of_new_fields(r2):
    assert ex(r2, "HSET", "h", "a", "1", "b", "2") == 2
    assert ex(r2, "HSET", "h", "a", "10", "c", "3") == 1
    assert ex(r2, "HSET", "h", "a", "10") == 0
    assert ex(r2, "HGETALL", "h") == [b"a", b"10", b"b", b"2", b"c", b"3"]


def test_hset_same_field_twice_in_one_call(r2):
    assert ex(r2, "HSET", "h", "a", "1", "a", "2") == 1
    assert ex(r2, "HGET", "h", "a") == b"2"
    assert ex(r2, "HLEN", "h") == 1


def test_hset_odd_number_of_arguments(r2):
    assert err(r2, "HSET", "h", "a", "1", "b") == arity("hset")
    assert ex(r2, "EXISTS", "h") == 0


def test_hset_arity_error_beats_wrongtype(r2):
    ex(r2, "SET", "k", "v")
    assert err(r2, "HSET", "k", "a", "1", "b") == arity("hset")
    assert err(r2, "HMSET", "k", "a", "1", "b") == arity("hmset")


def test_hmset_replies_ok(r):
    assert ex(r, "HMSET", "h", "a", "1", "b", "2") == b"OK"
    assert ex(r, "HMSET", "h", "a", "3") == b"OK"
    assert ex(r, "HMGET", "h", "a", "b") == [b"3", b"2"]


def test_hmset_odd_number_of_arguments(r2):
    assert err(r2, "HMSET", "h", "a", "1", "b") == arity("hmset")


def test_hmset_raw_status_reply(raw):
    assert raw.cmd("HMSET", "h", "a", "1") == b"+OK\r\n"


def test_hset_empty_and_binary_fields(r2):
    assert ex(r2, "HSET", "h", "", "", b"\x00\xff", b"\r\n") == 2
    assert ex(r2, "HGET", "h", "") == b""
    assert ex(r2, "HGET", "h", b"\x00\xff") == b"\r\n"
    assert ex(r2, "HSTRLEN", "h", b"\x00\xff") == 2


def test_hset_keeps_ttl(r2):
    hs(r2)
    ex(r2, "EXPIRE", "h", 100)
    hs(r2, "h", "d", "4")
    assert 0 < ex(r2, "TTL", "h") <= 100


def test_hset_on_expired_key_creates_fresh_hash(r2):
    hs(r2)
    ex(r2, "PEXPIRE", "h", 1)
    time.sleep(0.01)
    assert ex(r2, "HSET", "h", "z", "9") == 1
    assert ex(r2, "HGETALL", "h") == [b"z", b"9"]
    assert ex(r2, "TTL", "h") == -1


def test_hsetnx(r2):
    assert ex(r2, "HSETNX", "h", "a", "1") == 1
    assert ex(r2, "HSETNX", "h", "a", "2") == 0
    assert ex(r2, "HGET", "h", "a") == b"1"
    assert ex(r2, "HSETNX", "h", "b", "2") == 1
    assert ex(r2, "HGETALL", "h") == [b"a", b"1", b"b", b"2"]


# --------------------------------------------------------------------------- reads


def test_hget(r):
    hs(r)
    assert ex(r, "HGET", "h", "b") == b"2"
    assert ex(r, "HGET", "h", "zz") is None
    assert ex(r, "HGET", "nokey", "a") is None


def test_hget_null_encoding(raw):
    assert raw.cmd("HGET", "nokey", "f") == b"$-1\r\n"
    raw.cmd("HELLO", "3")
    assert raw.cmd("HGET", "nokey", "f") == b"_\r\n"


def test_hmget(r):
    hs(r)
    assert ex(r, "HMGET", "h", "a", "zz", "c", "a") == [b"1", None, b"3", b"1"]
    assert ex(r, "HMGET", "nokey", "a", "b") == [None, None]


def test_hlen(r2):
    assert ex(r2, "HLEN", "h") == 0
    hs(r2)
    assert ex(r2, "HLEN", "h") == 3


def test_hstrlen(r2):
    hs(r2, "h", "a", "hello", "n", "-1234", "e", "")
    assert ex(r2, "HSTRLEN", "h", "a") == 5
    assert ex(r2, "HSTRLEN", "h", "n") == 5
    assert ex(r2, "HSTRLEN", "h", "e") == 0
    assert ex(r2, "HSTRLEN", "h", "zz") == 0
    assert ex(r2, "HSTRLEN", "nokey", "a") == 0


def test_hstrlen_of_incremented_value(r2):
    ex(r2, "HINCRBY", "h", "n", "-100")
    assert ex(r2, "HSTRLEN", "h", "n") == 4


def test_hexists(r2):
    hs(r2)
    assert ex(r2, "HEXISTS", "h", "a") == 1
    assert ex(r2, "HEXISTS", "h", "zz") == 0
    assert ex(r2, "HEXISTS", "nokey", "a") == 0


def test_hkeys_hvals_in_insertion_order(r2):
    hs(r2, "h", "z", "1", "a", "2", "m", "3")
    assert ex(r2, "HKEYS", "h") == [b"z", b"a", b"m"]
    assert ex(r2, "HVALS", "h") == [b"1", b"2", b"3"]


def test_overwrite_keeps_position_delete_readd_moves_to_end(r2):
    hs(r2)
    hs(r2, "h", "a", "x")
    assert ex(r2, "HKEYS", "h") == [b"a", b"b", b"c"]
    ex(r2, "HDEL", "h", "a")
    hs(r2, "h", "a", "y")
    assert ex(r2, "HKEYS", "h") == [b"b", b"c", b"a"]


def test_hkeys_hvals_missing(r):
    assert ex(r, "HKEYS", "nokey") == []
    assert ex(r, "HVALS", "nokey") == []


def test_hgetall(r):
    hs(r)
    reply = ex(r, "HGETALL", "h")
    if r.connection.protocol == 3:
        assert reply == {b"a": b"1", b"b": b"2", b"c": b"3"}
    else:
        assert reply == [b"a", b"1", b"b", b"2", b"c", b"3"]


def test_hgetall_wire_format(raw):
    ex_ = raw.cmd
    ex_("HSET", "h", "a", "1")
    assert ex_("HGETALL", "h") == b"*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    assert ex_("HGETALL", "nokey") == b"*0\r\n"
    ex_("HELLO", "3")
    assert ex_("HGETALL", "h") == b"%1\r\n$1\r\na\r\n$1\r\n1\r\n"
    assert ex_("HGETALL", "nokey") == b"%0\r\n"
    assert ex_("HKEYS", "nokey") == b"*0\r\n"


def test_reads_on_expired_hash(r2):
    hs(r2)
    ex(r2, "PEXPIRE", "h", 1)
    time.sleep(0.01)
    assert ex(r2, "HGET", "h", "a") is None
    assert ex(r2, "HLEN", "h") == 0
    assert ex(r2, "HGETALL", "h") == []
    assert ex(r2, "EXISTS", "h") == 0


# --------------------------------------------------------------------------- HDEL


def test_hdel(r2):
    hs(r2)
    assert ex(r2, "HDEL", "h", "a", "zz") == 1
    assert ex(r2, "HDEL", "h", "a") == 0
    assert ex(r2, "HKEYS", "h") == [b"b", b"c"]


def test_hdel_duplicate_fields_count_once(r2):
    hs(r2)
    assert ex(r2, "HDEL", "h", "a", "a", "a", "b") == 2


def test_hdel_last_field_deletes_key(r2):
    hs(r2)
    assert ex(r2, "HDEL", "h", "a", "b", "c", "d") == 3
    assert ex(r2, "EXISTS", "h") == 0
    assert ex(r2, "TYPE", "h") == b"none"


def test_hdel_missing_key(r2):
    assert ex(r2, "HDEL", "nokey", "a") == 0


# --------------------------------------------------------------------------- HINCRBY


def test_hincrby(r2):
    assert ex(r2, "HINCRBY", "h", "n", "5") == 5
    assert ex(r2, "HINCRBY", "h", "n", "-7") == -2
    assert ex(r2, "HGET", "h", "n") == b"-2"
    assert ex(r2, "HINCRBY", "h", "n", "0") == -2


def test_hincrby_existing_integer_value(r2):
    hs(r2, "h", "n", "17179869184")
    assert ex(r2, "HINCRBY", "h", "n", "1") == 17179869185


@pytest.mark.parametrize("value", ["abc", "1.5", " 1", "1 ", "01", "", "+1", "0x10", "1e3"])
def test_hincrby_hash_value_not_integer(r2, value):
    hs(r2, "h", "f", value)
    assert err(r2, "HINCRBY", "h", "f", "1") == HASH_NOT_INT
    assert ex(r2, "HGET", "h", "f") == value.encode()


@pytest.mark.parametrize("incr", ["x", "1.0", "", " 1", "9223372036854775808", "01"])
def test_hincrby_increment_not_integer(r2, incr):
    assert err(r2, "HINCRBY", "h", "f", incr) == NOT_INT
    assert ex(r2, "EXISTS", "h") == 0


def test_hincrby_overflow(r2):
    hs(r2, "h", "max", "9223372036854775807", "min", "-9223372036854775808")
    assert err(r2, "HINCRBY", "h", "max", "1") == OVERFLOW
    assert err(r2, "HINCRBY", "h", "min", "-1") == OVERFLOW
    assert ex(r2, "HINCRBY", "h", "max", "-1") == 9223372036854775806
    assert ex(r2, "HINCRBY", "h", "new", "-9223372036854775808") == -9223372036854775808
    assert ex(r2, "HGET", "h", "max") == b"9223372036854775806"


def test_hincrby_wrongtype_after_increment_parse(r2):
    ex(r2, "SET", "k", "v")
    assert err(r2, "HINCRBY", "k", "f", "x") == NOT_INT


# --------------------------------------------------------------------------- HINCRBYFLOAT


@pytest.mark.parametrize(
    "start,incr,result",
    [
        (None, "10.5", b"10.5"),
        ("1.1", "2.2", b"3.3"),
        ("0.1", "0.2", b"0.3"),
        ("10", "1", b"11"),
        (None, "5.0e3", b"5000"),
        ("5000", "0x10", b"5016"),
        ("5016", "-5016", b"0"),
        (None, "-1.5", b"-1.5"),
        (None, "1e-3", b"0.001"),
        (None, "-0.0", b"0"),
        (None, "3.0000000000000000001", b"3"),
        ("01", "1", b"2"),
        ("1", ".5", b"1.5"),
        ("1", "5.", b"6"),
        ("1", "+1", b"2"),
        ("1.5", "-1.5", b"0"),
    ],
)
def test_hincrbyfloat(r2, start, incr, result):
    if start is not None:
        hs(r2, "h", "f", start)
    assert ex(r2, "HINCRBYFLOAT", "h", "f", incr) == result
    assert ex(r2, "HGET", "h", "f") == result


def test_hincrbyfloat_long_double_precision(r2):
    assert ex(r2, "HINCRBYFLOAT", "h", "f", "1e100") == (
        b"9999999999999999999669353532207342619498699019828496079271391541752018669482644324418977840117055488")


def test_hincrbyfloat_beyond_double_range(r2):
    reply = ex(r2, "HINCRBYFLOAT", "h", "f", "1e400")
    assert len(reply) == 401 and reply.startswith(b"10000000000000000000281880683947586514586453433629")
    assert ex(r2, "HINCRBYFLOAT", "h", "f", "1.1") == reply


@pytest.mark.parametrize("incr", ["abc", "nan", "", " 1", "1 ", "1e5000", "1e-5000", "0x", "1e"])
def test_hincrbyfloat_increment_not_float(r2, incr):
    assert err(r2, "HINCRBYFLOAT", "h", "f", incr) == NOT_FLOAT
    assert ex(r2, "EXISTS", "h") == 0


@pytest.mark.parametrize("incr", ["inf", "-inf", "+inf", "Infinity"])
def test_hincrbyfloat_infinite_increment(r2, incr):
    assert err(r2, "HINCRBYFLOAT", "h", "f", incr) == NAN_INF_VALUE
    assert ex(r2, "EXISTS", "h") == 0


@pytest.mark.parametrize("value", ["abc", " 1", "1 ", "", "nan"])
def test_hincrbyfloat_hash_value_not_float(r2, value):
    hs(r2, "h", "f", value)
    assert err(r2, "HINCRBYFLOAT", "h", "f", "1") == HASH_NOT_FLOAT


def test_hincrbyfloat_result_overflow(r2):
    ex(r2, "HINCRBYFLOAT", "h", "big", "1e4932")
    assert err(r2, "HINCRBYFLOAT", "h", "big", "1e4932") == NAN_INF_RESULT
    hs(r2, "h", "inf", "inf")
    assert err(r2, "HINCRBYFLOAT", "h", "inf", "1") == NAN_INF_RESULT
    assert ex(r2, "HGET", "h", "inf") == b"inf"


def test_hincrbyfloat_wrongtype_checked_after_increment(r2):
    ex(r2, "SET", "k", "v")
    assert err(r2, "HINCRBYFLOAT", "k", "f", "x") == NOT_FLOAT
    assert err(r2, "HINCRBYFLOAT", "k", "f", "inf") == NAN_INF_VALUE


# --------------------------------------------------------------------------- HRANDFIELD


def test_hrandfield_single(r):
    hs(r)
    for _ in range(10):
        assert ex(r, "HRANDFIELD", "h") in (b"a", b"b", b"c")
    assert ex(r, "HRANDFIELD", "nokey") is None


def test_hrandfield_null_encoding(raw):
    assert raw.cmd("HRANDFIELD", "nokey") == b"$-1\r\n"
    raw.cmd("HELLO", "3")
    assert raw.cmd("HRANDFIELD", "nokey") == b"_\r\n"


def test_hrandfield_positive_count_is_distinct(r2):
    fields = [f"f{i}".encode() for i in range(20)]
    ex(r2, "HSET", "h", *[x for f in fields for x in (f, b"v")])
    for count in (1, 2, 5, 7, 19):
        got = ex(r2, "HRANDFIELD", "h", count)
        assert len(got) == count
        assert len(set(got)) == count
        assert set(got) <= set(fields)


def test_hrandfield_count_at_least_size_returns_whole_hash_in_order(r2):
    hs(r2)
    assert ex(r2, "HRANDFIELD", "h", 3) == [b"a", b"b", b"c"]
    assert ex(r2, "HRANDFIELD", "h", 100) == [b"a", b"b", b"c"]
    assert ex(r2, "HRANDFIELD", "h", 9223372036854775807) == [b"a", b"b", b"c"]
    assert ex(r2, "HRANDFIELD", "h", 3, "WITHVALUES") == [b"a", b"1", b"b", b"2", b"c", b"3"]


def test_hrandfield_negative_count_repeats(r2):
    hs(r2, "h", "only", "v")
    assert ex(r2, "HRANDFIELD", "h", -5) == [b"only"] * 5
    hs(r2)
    got = ex(r2, "HRANDFIELD", "h", -50)
    assert len(got) == 50 and set(got) <= {b"a", b"b", b"c", b"only"}


def test_hrandfield_withvalues_shapes(r):
    hs(r)
    values = {b"a": b"1", b"b": b"2", b"c": b"3"}
    resp3 = r.connection.protocol == 3
    for count in (1, 2, -1, -4, 10):
        got = ex(r, "HRANDFIELD", "h", count, "WITHVALUES")
        n = min(abs(count), 3) if count > 0 else -count
        if resp3:
            assert len(got) == n
            assert all(len(p) == 2 and values[p[0]] == p[1] for p in got)
        else:
            assert len(got) == 2 * n
            assert all(values[got[i]] == got[i + 1] for i in range(0, len(got), 2))


def test_hrandfield_withvalues_resp3_wire(raw):
    raw.cmd("HSET", "h", "a", "1")
    raw.cmd("HELLO", "3")
    assert raw.cmd("HRANDFIELD", "h", "1", "WITHVALUES") == b"*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
    assert raw.cmd("HRANDFIELD", "h", "-2", "withvalues") == (
        b"*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n")
    assert raw.cmd("HRANDFIELD", "h", "-1") == b"*1\r\n$1\r\na\r\n"


def test_hrandfield_zero_and_missing(r2):
    hs(r2)
    assert ex(r2, "HRANDFIELD", "h", 0) == []
    assert ex(r2, "HRANDFIELD", "h", 0, "WITHVALUES") == []
    assert ex(r2, "HRANDFIELD", "nokey", 5) == []
    assert ex(r2, "HRANDFIELD", "nokey", -5, "WITHVALUES") == []


@pytest.mark.parametrize(
    "args,error",
    [
        (["x"], NOT_INT),
        (["1.5"], NOT_INT),
        (["x", "foo"], NOT_INT),
        (["9223372036854775808"], NOT_INT),
        (["-9223372036854775808"], LONG_RANGE),
        (["1", "foo"], SYNTAX),
        (["1", "withvalue"], SYNTAX),
        (["1", "withvalues", "x"], SYNTAX),
        (["-4611686018427387904", "foo"], SYNTAX),
        (["-4611686018427387904", "WITHVALUES"], OUT_OF_RANGE),
        (["4611686018427387904", "WITHVALUES"], OUT_OF_RANGE),
        (["-9223372036854775807", "WITHVALUES"], OUT_OF_RANGE),
    ],
)
def test_hrandfield_errors(r2, args, error):
    assert err(r2, "HRANDFIELD", "nokey", *args) == error
    ex(r2, "SET", "k", "v")
    assert err(r2, "HRANDFIELD", "k", *args) == error


def test_hrandfield_range_limits_on_missing_key(r2):
    assert ex(r2, "HRANDFIELD", "nokey", "-4611686018427387903", "WITHVALUES") == []
    assert ex(r2, "HRANDFIELD", "nokey", "4611686018427387904") == []
    assert ex(r2, "HRANDFIELD", "nokey", "-9223372036854775807") == []


def test_hrandfield_big_hash(r2):
    ex(r2, "HSET", "h", *[x for i in range(600) for x in (f"f{i}", str(i))])
    got = ex(r2, "HRANDFIELD", "h", 100, "WITHVALUES")
    pairs = dict(zip(got[::2], got[1::2], strict=True))
    assert len(pairs) == 100
    assert all(v == k[1:] for k, v in pairs.items())
    assert len(ex(r2, "HRANDFIELD", "h", -1000)) == 1000
    assert len(set(ex(r2, "HRANDFIELD", "h", 590))) == 590


# --------------------------------------------------------------------------- HSCAN


def test_hscan_small_hash_in_one_call(r2):
    hs(r2)
    assert ex(r2, "HSCAN", "h", 0) == [b"0", [b"a", b"1", b"b", b"2", b"c", b"3"]]
    assert ex(r2, "HSCAN", "h", 0, "COUNT", 1) == [b"0", [b"a", b"1", b"b", b"2", b"c", b"3"]]


@pytest.mark.parametrize("cursor", ["5", "-1", "18446744073709551615", "", "+5", "-0", "01",
                                    "-18446744073709551615"])
def test_hscan_small_hash_ignores_cursor(r2, cursor):
    hs(r2, "h", "a", "1")
    assert ex(r2, "HSCAN", "h", cursor) == [b"0", [b"a", b"1"]]


def test_hscan_match(r2):
    hs(r2, "h", "a", "1", "b", "2", "aa", "3", "ba", "4")
    assert ex(r2, "HSCAN", "h", 0, "MATCH", "a*") == [b"0", [b"a", b"1", b"aa", b"3"]]
    assert ex(r2, "HSCAN", "h", 0, "MATCH", "*a", "COUNT", 1) == [b"0", [b"a", b"1", b"aa", b"3", b"ba", b"4"]]
    assert ex(r2, "HSCAN", "h", 0, "MATCH", "zz*") == [b"0", []]
    assert ex(r2, "HSCAN", "h", 0, "match", "*") == [b"0", [b"a", b"1", b"b", b"2", b"aa", b"3", b"ba", b"4"]]
    # MATCH applies to fields, never to values
    assert ex(r2, "HSCAN", "h", 0, "MATCH", "1") == [b"0", []]


def test_hscan_missing_key(r2):
    assert ex(r2, "HSCAN", "nokey", 0) == [b"0", []]
    # options are not even parsed when the key does not exist
    assert ex(r2, "HSCAN", "nokey", 0, "COUNT", 0) == [b"0", []]
    assert ex(r2, "HSCAN", "nokey", 0, "FOO") == [b"0", []]


@pytest.mark.parametrize(
    "options,error",
    [
        (["COUNT", "0"], SYNTAX),
        (["COUNT", "-1"], SYNTAX),
        (["COUNT", "x"], NOT_INT),
        (["COUNT"], SYNTAX),
        (["MATCH"], SYNTAX),
        (["TYPE", "string"], SYNTAX),
        (["FOO", "bar"], SYNTAX),
        (["MATCH", "*", "COUNT", "0"], SYNTAX),
        (["COUNT", "x", "FOO"], NOT_INT),
    ],
)
def test_hscan_option_errors(r2, options, error):
    hs(r2)
    assert err(r2, "HSCAN", "h", 0, *options) == error


@pytest.mark.parametrize("cursor", ["abc", " 1", "1x", "+", "-", "18446744073709551616",
                                    "-18446744073709551616", "0x10", "1.0"])
def test_hscan_invalid_cursor(r2, cursor):
    hs(r2)
    assert err(r2, "HSCAN", "h", cursor) == INVALID_CURSOR
    assert err(r2, "HSCAN", "nokey", cursor) == INVALID_CURSOR


def test_hscan_invalid_cursor_beats_wrongtype(r2):
    ex(r2, "SET", "k", "v")
    assert err(r2, "HSCAN", "k", "x") == INVALID_CURSOR
    assert err(r2, "HSCAN", "k", 0, "COUNT", 0) == WRONGTYPE


def test_hscan_big_hash_full_iteration(r2):
    ex(r2, "HSET", "h", *[x for i in range(1000) for x in (f"f{i}", f"v{i}")])
    flat, calls = hscan_all(r2, "h", "COUNT", 10)
    pairs = list(zip(flat[::2], flat[1::2], strict=True))
    assert {f for f, _ in pairs} == {f"f{i}".encode() for i in range(1000)}
    assert all(v == b"v" + f[1:] for f, v in pairs)
    assert calls > 10


def test_hscan_big_hash_with_match(r2):
    ex(r2, "HSET", "h", *[x for i in range(1000) for x in (f"f{i}", "v")])
    flat, _ = hscan_all(r2, "h", "MATCH", "f1*", "COUNT", 100)
    assert set(flat[::2]) == {f"f{i}".encode() for i in range(1000) if str(i).startswith("1")}


def test_hscan_sees_fields_present_for_the_whole_iteration(r2):
    ex(r2, "HSET", "h", *[x for i in range(600) for x in (f"f{i}", "v")])
    cursor, seen, calls = b"0", set(), 0
    while True:
        cursor, batch = ex(r2, "HSCAN", "h", cursor, "COUNT", 20)
        seen.update(batch[::2])
        calls += 1
        ex(r2, "HDEL", "h", f"f{calls}")               # removed during the walk
        ex(r2, "HSET", "h", f"new{calls}", "v")         # added during the walk
        if cursor == b"0":
            break
    stable = {f"f{i}".encode() for i in range(600) if i > calls}
    assert stable <= seen


# --------------------------------------------------------------------------- encodings


def test_small_hash_is_ziplist(r2):
    hs(r2)
    assert enc(r2) == b"ziplist"


def test_long_value_converts_to_hashtable(r2):
    hs(r2)
    hs(r2, "h", "d", LONG)
    assert enc(r2) == b"hashtable"


def test_long_field_converts_to_hashtable(r2):
    hs(r2, "h", LONG, "v")
    assert enc(r2) == b"hashtable"


def test_value_of_exactly_64_bytes_stays_ziplist(r2):
    hs(r2, "h", "x" * 64, "y" * 64)
    assert enc(r2) == b"ziplist"


def test_too_many_fields_converts_to_hashtable(r2):
    ex(r2, "HSET", "h", *[x for i in range(512) for x in (f"f{i}", "v")])
    assert enc(r2) == b"ziplist"
    hs(r2, "h", "one-more", "v")
    assert enc(r2) == b"hashtable"


def test_hashtable_never_converts_back(r2):
    hs(r2, "h", "a", "1", "b", LONG)
    ex(r2, "HDEL", "h", "b")
    assert ex(r2, "HGETALL", "h") == [b"a", b"1"]
    assert enc(r2) == b"hashtable"


def test_overwritten_long_argument_still_converts(r2):
    assert ex(r2, "HSET", "h", "a", LONG, "a", "1") == 1
    assert ex(r2, "HGET", "h", "a") == b"1"
    assert enc(r2) == b"hashtable"


def test_hsetnx_long_argument_converts_even_without_write(r2):
    hs(r2, "h", "a", "1")
    assert ex(r2, "HSETNX", "h", "a", LONG) == 0
    assert enc(r2) == b"hashtable"


def test_hincrbyfloat_long_result_stays_ziplist(r2):
    hs(r2, "h", "a", "1")
    assert len(ex(r2, "HINCRBYFLOAT", "h", "a", "1e100")) == 100
    assert enc(r2) == b"ziplist"


def test_hincrby_long_field_stays_ziplist(r2):
    ex(r2, "HINCRBY", "h", LONG, "1")
    assert enc(r2) == b"ziplist"


def test_hash_max_ziplist_entries_config(r2):
    with config(r2, "hash-max-ziplist-entries", "2"):
        hs(r2, "h", "a", "1", "b", "2")
        assert enc(r2) == b"ziplist"
        hs(r2, "h", "c", "3")
        assert enc(r2) == b"hashtable"
        ex(r2, "HINCRBY", "h2", "n", "1")
        ex(r2, "HINCRBY", "h2", "m", "1")
        assert enc(r2, "h2") == b"ziplist"
        ex(r2, "HINCRBYFLOAT", "h2", "o", "1")
        assert enc(r2, "h2") == b"hashtable"


def test_hash_max_ziplist_entries_zero(r2):
    with config(r2, "hash-max-ziplist-entries", "0"):
        hs(r2, "h", "a", "1")
        assert enc(r2) == b"hashtable"


def test_lowered_limit_applies_at_next_write(r2):
    hs(r2)
    with config(r2, "hash-max-ziplist-entries", "2"):
        assert enc(r2) == b"ziplist"
        hs(r2, "h", "a", "9")          # an update: the length check still runs
        assert enc(r2) == b"hashtable"


def test_hash_max_ziplist_value_config(r2):
    with config(r2, "hash-max-ziplist-value", "0"):
        hs(r2, "h", "", "")
        assert enc(r2) == b"ziplist"
        hs(r2, "h2", "a", "")
        assert enc(r2, "h2") == b"hashtable"


def test_copy_keeps_encoding_and_is_independent(r2):
    hs(r2, "h", "a", "1", "b", LONG)
    ex(r2, "HDEL", "h", "b")
    hs(r2, "z", "a", "1")
    assert ex(r2, "COPY", "h", "h2") == 1
    assert ex(r2, "COPY", "z", "z2") == 1
    assert enc(r2, "h2") == b"hashtable"
    assert enc(r2, "z2") == b"ziplist"
    hs(r2, "z2", "b", "2")
    assert ex(r2, "HGETALL", "z") == [b"a", b"1"]
    assert ex(r2, "HGETALL", "z2") == [b"a", b"1", b"b", b"2"]


def test_rename_keeps_encoding(r2):
    hs(r2, "h", "a", "1", "b", LONG)
    ex(r2, "HDEL", "h", "b")
    ex(r2, "RENAME", "h", "h2")
    assert enc(r2, "h2") == b"hashtable"


def test_hscan_of_hashtable_encoded_small_hash(r2):
    hs(r2, "h", "a", "1", "b", LONG)
    cursor, flat = ex(r2, "HSCAN", "h", 0)
    assert cursor == b"0"
    assert dict(zip(flat[::2], flat[1::2], strict=True)) == {b"a": b"1", b"b": LONG.encode()}


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
        ([], ["HSET", "h", "a", "1"], [("h", "hset")]),
        (["HSET h a 1"], ["HSET", "h", "a", "1"], [("h", "hset")]),
        ([], ["HMSET", "h", "a", "1"], [("h", "hset")]),
        ([], ["HSETNX", "h", "a", "1"], [("h", "hset")]),
        (["HSET h a 1 b 2"], ["HDEL", "h", "a"], [("h", "hdel")]),
        (["HSET h a 1"], ["HDEL", "h", "a", "b"], [("h", "hdel"), ("h", "del")]),
        ([], ["HINCRBY", "h", "n", "1"], [("h", "hincrby")]),
        ([], ["HINCRBYFLOAT", "h", "n", "1.5"], [("h", "hincrbyfloat")]),
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
    ex(r2, "HSET", "h", "a", "1")
    keyspace(1)
    for cmd in (["HSETNX", "h", "a", "2"], ["HDEL", "h", "zz"], ["HDEL", "nokey", "a"],
                ["HINCRBY", "h", "a", "x"], ["HINCRBYFLOAT", "h", "a", "inf"]):
        with contextlib.suppress(Exception):
            ex(r2, *cmd)
    ex(r2, "HSET", "marker", "f", "v")
    assert keyspace(1) == [("marker", "hset")]


# --------------------------------------------------------------------------- WATCH / MULTI


def test_hset_with_same_value_still_invalidates_watch(r2, make_client):
    other = make_client()
    hs(r2)
    ex(r2, "WATCH", "h")
    ex(other, "HSET", "h", "a", "1")
    ex(r2, "MULTI")
    ex(r2, "HGET", "h", "a")
    assert ex(r2, "EXEC") is None


def test_failed_hsetnx_does_not_invalidate_watch(r2, make_client):
    other = make_client()
    hs(r2)
    ex(r2, "WATCH", "h")
    ex(other, "HSETNX", "h", "a", "9")
    ex(r2, "MULTI")
    ex(r2, "HGET", "h", "a")
    assert ex(r2, "EXEC") == [b"1"]


def test_hgetall_in_multi_is_a_snapshot(r2):
    hs(r2, "h", "a", "1")
    ex(r2, "MULTI")
    ex(r2, "HGETALL", "h")
    ex(r2, "HSET", "h", "b", "2")
    ex(r2, "HGETALL", "h")
    assert ex(r2, "EXEC") == [[b"a", b"1"], 1, [b"a", b"1", b"b", b"2"]]
