"""Bitmap commands as Redis 6.2.14 does them: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
BITFIELD and BITFIELD_RO (6.2 has no BIT/BYTE range option).

Bit 0 is the most significant bit of the first byte.  Expected values, overflow results and
error texts were read from Redis 6.2.14.
"""

from __future__ import annotations

import time

import pytest

from .helpers import err, ex

SYNTAX = "ERR syntax error"
NOT_INT = "ERR value is not an integer or out of range"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
BIT_OFFSET = "ERR bit offset is not an integer or out of range"
BIT_VALUE = "ERR bit is not an integer or out of range"
BAD_TYPE = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
INT64_MAX = 2 ** 63 - 1
INT64_MIN = -(2 ** 63)


# --------------------------------------------------------------------------- SETBIT / GETBIT


def test_setbit_creates_and_returns_old(r2):
    assert ex(r2, "SETBIT", "b", 7, 1) == 0
    assert ex(r2, "GET", "b") == b"\x01"
    assert ex(r2, "SETBIT", "b", 7, 1) == 1
    assert ex(r2, "SETBIT", "b", 7, 0) == 1
    assert ex(r2, "GET", "b") == b"\x00"


def test_setbit_msb_first(r2):
    ex(r2, "SETBIT", "b", 0, 1)
    assert ex(r2, "GET", "b") == b"\x80"
    ex(r2, "SETBIT", "b", 9, 1)
    assert ex(r2, "GET", "b") == b"\x80\x40"


def test_setbit_grows_with_zeros(r2):
    ex(r2, "SET", "b", "a")
    assert ex(r2, "SETBIT", "b", 100, 1) == 0
    v = ex(r2, "GET", "b")
    assert len(v) == 13 and v[:1] == b"a" and v[1:12] == bytes(11) and v[12] == 0x08


def test_setbit_clear_beyond_end_still_grows(r2):
    ex(r2, "SET", "b", "a")
    assert ex(r2, "SETBIT", "b", 63, 0) == 0
    assert ex(r2, "STRLEN", "b") == 8


def test_setbit_on_integer_value(r2):
    ex(r2, "SET", "b", 1)   # "1" = 0x31
    assert ex(r2, "SETBIT", "b", 6, 1) == 0
    assert ex(r2, "GET", "b") == b"3"


def test_setbit_keeps_ttl(r2):
    ex(r2, "SET", "b", "x", "EX", 100)
    ex(r2, "SETBIT", "b", 0, 1)
    assert 99 <= ex(r2, "TTL", "b") <= 100


def test_setbit_max_offset(r2):
    assert ex(r2, "SETBIT", "b", 2 ** 32 - 1, 1) == 0
    assert ex(r2, "STRLEN", "b") == 2 ** 29
    assert ex(r2, "GETBIT", "b", 2 ** 32 - 1) == 1
    assert ex(r2, "BITCOUNT", "b") == 1
    ex(r2, "DEL", "b")


@pytest.mark.parametrize("offset", [-1, 2 ** 32, INT64_MAX, "x", "1.5", "", "+1", "9223372036854775808"])
def test_setbit_bad_offset(r2, offset):
    assert err(r2, "SETBIT", "b", offset, 1) == BIT_OFFSET
    assert ex(r2, "EXISTS", "b") == 0


@pytest.mark.parametrize("value", [2, -1, "x", "", "1.0", " 1", "01"])
def test_setbit_bad_value(r2, value):
    assert err(r2, "SETBIT", "b", 0, value) == BIT_VALUE
    assert ex(r2, "EXISTS", "b") == 0


def test_setbit_error_order(r2):
    ex(r2, "LPUSH", "l", "a")
    assert err(r2, "SETBIT", "l", -1, 5) == BIT_OFFSET
    assert err(r2, "SETBIT", "l", 0, 5) == BIT_VALUE
    assert err(r2, "SETBIT", "l", 0, 1) == WRONGTYPE


def test_setbit_respects_proto_max_bulk_len(r2, make_client):
    admin = make_client()
    ex(admin, "CONFIG", "SET", "proto-max-bulk-len", 1024 * 1024)
    try:
        assert err(r2, "SETBIT", "b", 8 * 1024 * 1024, 1) == BIT_OFFSET
        assert ex(r2, "SETBIT", "b", 8 * 1024 * 1024 - 1, 1) == 0
        assert ex(r2, "STRLEN", "b") == 1024 * 1024
    finally:
        ex(admin, "CONFIG", "SET", "proto-max-bulk-len", 512 * 1024 * 1024)


def test_getbit(r2):
    ex(r2, "SET", "b", b"\x80\x01")
    assert [ex(r2, "GETBIT", "b", i) for i in range(16)] == [1] + [0] * 14 + [1]
    assert ex(r2, "GETBIT", "b", 16) == 0
    assert ex(r2, "GETBIT", "b", 2 ** 32 - 1) == 0


def test_getbit_missing_key(r2):
    assert ex(r2, "GETBIT", "nokey", 0) == 0
    assert ex(r2, "GETBIT", "nokey", 1000) == 0


def test_getbit_integer_value(r2):
    ex(r2, "SET", "b", 7)  # "7" = 0x37 = 00110111
    assert [ex(r2, "GETBIT", "b", i) for i in range(8)] == [0, 0, 1, 1, 0, 1, 1, 1]


def test_getbit_errors(r2):
    assert err(r2, "GETBIT", "b", -1) == BIT_OFFSET
    assert err(r2, "GETBIT", "b", 2 ** 32) == BIT_OFFSET
    assert err(r2, "GETBIT", "b", "a") == BIT_OFFSET
    ex(r2, "SADD", "s", "a")
    assert err(r2, "GETBIT", "s", -1) == BIT_OFFSET
    assert err(r2, "GETBIT", "s", 0) == WRONGTYPE


def test_setbit_getbit_random_pattern(r2):
    bits = [3, 5, 8, 13, 21, 34, 55, 89, 144, 233]
    for b in bits:
        assert ex(r2, "SETBIT", "b", b, 1) == 0
    assert [i for i in range(240) if ex(r2, "GETBIT", "b", i)] == bits
    assert ex(r2, "BITCOUNT", "b") == len(bits)


# --------------------------------------------------------------------------- BITCOUNT


def test_bitcount_foobar(r2):
    ex(r2, "SET", "k", "foobar")
    assert ex(r2, "BITCOUNT", "k") == 26
    assert ex(r2, "BITCOUNT", "k", 0, 0) == 4
    assert ex(r2, "BITCOUNT", "k", 1, 1) == 6


@pytest.mark.parametrize("start,end,count", [
    (0, -1, 26), (-1, -1, 4), (-2, -1, 7), (0, 100, 26), (-100, 2, 16), (3, 2, 0), (-1, -5, 0),
    (100, 200, 0), (5, 5, 4), (-100, -100, 4), (INT64_MIN, INT64_MAX, 26), (2, -100, 0),
])
def test_bitcount_ranges(r2, start, end, count):
    ex(r2, "SET", "k", "foobar")
    assert ex(r2, "BITCOUNT", "k", start, end) == count


def test_bitcount_missing_key_ignores_arguments(r2):
    assert ex(r2, "BITCOUNT", "nokey") == 0
    assert ex(r2, "BITCOUNT", "nokey", 0, 10) == 0
    assert ex(r2, "BITCOUNT", "nokey", 1) == 0
    assert ex(r2, "BITCOUNT", "nokey", "x", "y") == 0


def test_bitcount_syntax_and_integer_errors(r2):
    ex(r2, "SET", "k", "foobar")
    assert err(r2, "BITCOUNT", "k", 1) == SYNTAX
    assert err(r2, "BITCOUNT", "k", 1, 2, 3) == SYNTAX
    assert err(r2, "BITCOUNT", "k", 0, 1, "BIT") == SYNTAX
    assert err(r2, "BITCOUNT", "k", "a", 1) == NOT_INT
    assert err(r2, "BITCOUNT", "k", 0, "b") == NOT_INT


def test_bitcount_wrongtype_before_syntax(r2):
    ex(r2, "LPUSH", "l", "a")
    assert err(r2, "BITCOUNT", "l") == WRONGTYPE
    assert err(r2, "BITCOUNT", "l", 1) == WRONGTYPE


def test_bitcount_empty_string(r2):
    ex(r2, "SET", "k", "")
    assert ex(r2, "BITCOUNT", "k") == 0
    assert ex(r2, "BITCOUNT", "k", 0, -1) == 0


def test_bitcount_binary_and_large(r2):
    ex(r2, "SET", "k", b"\xff" * 1000 + b"\x01" * 1000)
    assert ex(r2, "BITCOUNT", "k") == 9000
    assert ex(r2, "BITCOUNT", "k", 999, 1000) == 9
    assert ex(r2, "BITCOUNT", "k", -1000, -1) == 1000


def test_bitcount_integer_value(r2):
    ex(r2, "SET", "k", 255)  # "255"
    assert ex(r2, "BITCOUNT", "k") == 3 + 4 + 4


# --------------------------------------------------------------------------- BITPOS


@pytest.mark.parametrize("value,args,pos", [
    (b"\xff\xf0\x00", [0], 12),
    (b"\x00\xff\xf0", [1, 0], 8),
    (b"\x00\xff\xf0", [1, 2], 16),
    (b"\x00\x00\x00", [1], -1),
    (b"\x00\x00\x00", [0], 0),
    (b"\xff\xff\xff", [0], 24),
    (b"\xff\xff\xff", [0, 0], 24),
    (b"\xff\xff\xff", [0, 1], 24),
    (b"\xff\xff\xff", [0, 0, -1], -1),
    (b"\xff\xff\xff", [0, 0, 1], -1),
    (b"\xff\xff\xff", [1], 0),
    (b"\x00\x00\x01", [1], 23),
    (b"\x00\x00\x01", [1, -1], 23),
    (b"\x00\x00\x01", [1, 0, 1], -1),
    (b"\x00\x00\x01", [1, -2, -2], -1),
    (b"\x00\x80\x00", [1, -2, -2], 8),
    (b"\xff\x7f\xff", [0, 1, 1], 8),
    (b"\xff\xfe", [0, 0, 0], -1),
    (b"\xff\xfe", [0, 0, 1], 15),
    (b"\xff\xfe", [0, -1], 15),
    (b"\x01\x02", [1, 5, 10], -1),
    (b"\x01\x02", [1, 2, 1], -1),
    (b"\x01\x02", [1, -100, 100], 7),
    (b"\x01\x02", [0, INT64_MIN, INT64_MAX], 0),
    (b"\x00", [1, 0, -1], -1),
    (b"", [0], -1),
    (b"", [1], -1),
    (b"", [0, 0, -1], -1),
])
def test_bitpos(r2, value, args, pos):
    ex(r2, "SET", "k", value)
    assert ex(r2, "BITPOS", "k", *args) == pos


def test_bitpos_missing_key(r2):
    assert ex(r2, "BITPOS", "nokey", 1) == -1
    assert ex(r2, "BITPOS", "nokey", 0) == 0
    assert ex(r2, "BITPOS", "nokey", 0, 5, 10) == 0
    assert ex(r2, "BITPOS", "nokey", 1, "x") == -1


def test_bitpos_long_strings(r2):
    ex(r2, "SET", "k", b"\x00" * 5000 + b"\x10" + b"\x00" * 10)
    assert ex(r2, "BITPOS", "k", 1) == 5000 * 8 + 3
    ex(r2, "SET", "k", b"\xff" * 4999 + b"\xfd")
    assert ex(r2, "BITPOS", "k", 0) == 4999 * 8 + 6
    assert ex(r2, "BITPOS", "k", 0, 0, 4998) == -1
    assert ex(r2, "BITPOS", "k", 0, 4998) == 4999 * 8 + 6


def test_bitpos_integer_value(r2):
    ex(r2, "SET", "k", 0)  # "0" = 0x30
    assert ex(r2, "BITPOS", "k", 1) == 2
    assert ex(r2, "BITPOS", "k", 0) == 0


@pytest.mark.parametrize("bit", [2, -1, "x"])
def test_bitpos_bad_bit(r2, bit):
    ex(r2, "SET", "k", "a")
    msg = NOT_INT if bit == "x" else "ERR The bit argument must be 1 or 0."
    assert err(r2, "BITPOS", "k", bit) == msg
    assert err(r2, "BITPOS", "nokey", bit) == msg


def test_bitpos_errors(r2):
    ex(r2, "SET", "k", "a")
    assert err(r2, "BITPOS", "k", 1, 0, 1, 2) == SYNTAX
    assert err(r2, "BITPOS", "k", 1, "a") == NOT_INT
    assert err(r2, "BITPOS", "k", 1, 0, "b") == NOT_INT
    ex(r2, "LPUSH", "l", "a")
    assert err(r2, "BITPOS", "l", 1) == WRONGTYPE
    assert err(r2, "BITPOS", "l", 3) == "ERR The bit argument must be 1 or 0."


# --------------------------------------------------------------------------- BITOP


def test_bitop_and_or_xor(r2):
    ex(r2, "SET", "a", b"\xf0\x0f\xaa")
    ex(r2, "SET", "b", b"\xff\x00\x0f")
    assert ex(r2, "BITOP", "AND", "d", "a", "b") == 3
    assert ex(r2, "GET", "d") == b"\xf0\x00\x0a"
    assert ex(r2, "BITOP", "OR", "d", "a", "b") == 3
    assert ex(r2, "GET", "d") == b"\xff\x0f\xaf"
    assert ex(r2, "BITOP", "XOR", "d", "a", "b") == 3
    assert ex(r2, "GET", "d") == b"\x0f\x0f\xa5"


def test_bitop_not(r2):
    ex(r2, "SET", "a", b"\x00\xff\x0f")
    assert ex(r2, "BITOP", "NOT", "d", "a") == 3
    assert ex(r2, "GET", "d") == b"\xff\x00\xf0"


def test_bitop_different_lengths_zero_padded(r2):
    ex(r2, "SET", "a", b"\xff")
    ex(r2, "SET", "b", b"\xff\xff\xff")
    assert ex(r2, "BITOP", "AND", "d", "a", "b") == 3
    assert ex(r2, "GET", "d") == b"\xff\x00\x00"
    assert ex(r2, "BITOP", "OR", "d", "a", "b") == 3
    assert ex(r2, "GET", "d") == b"\xff\xff\xff"
    assert ex(r2, "BITOP", "XOR", "d", "a", "b") == 3
    assert ex(r2, "GET", "d") == b"\x00\xff\xff"


def test_bitop_missing_source_is_empty(r2):
    ex(r2, "SET", "a", b"\x0f\x0f")
    assert ex(r2, "BITOP", "AND", "d", "a", "nokey") == 2
    assert ex(r2, "GET", "d") == b"\x00\x00"
    assert ex(r2, "BITOP", "OR", "d", "nokey", "a") == 2
    assert ex(r2, "GET", "d") == b"\x0f\x0f"


def test_bitop_many_sources(r2):
    for i, v in enumerate([b"\x01", b"\x02", b"\x04", b"\x08\x80"]):
        ex(r2, "SET", f"s{i}", v)
    assert ex(r2, "BITOP", "OR", "d", "s0", "s1", "s2", "s3") == 2
    assert ex(r2, "GET", "d") == b"\x0f\x80"
    assert ex(r2, "BITOP", "XOR", "d", "s0", "s0", "s1") == 1
    assert ex(r2, "GET", "d") == b"\x02"
    assert ex(r2, "BITOP", "AND", "d", "s3") == 2
    assert ex(r2, "GET", "d") == b"\x08\x80"


def test_bitop_all_missing_deletes_dest(r2):
    ex(r2, "SET", "d", "old")
    assert ex(r2, "BITOP", "OR", "d", "x", "y") == 0
    assert ex(r2, "EXISTS", "d") == 0
    assert ex(r2, "BITOP", "NOT", "d", "x") == 0
    assert ex(r2, "EXISTS", "d") == 0


def test_bitop_empty_strings_delete_dest(r2):
    ex(r2, "SET", "e", "")
    ex(r2, "SET", "d", "old")
    assert ex(r2, "BITOP", "AND", "d", "e") == 0
    assert ex(r2, "EXISTS", "d") == 0


def test_bitop_dest_replaced_and_ttl_removed(r2):
    ex(r2, "RPUSH", "d", "x")
    ex(r2, "SET", "a", "A")
    assert ex(r2, "BITOP", "OR", "d", "a") == 1
    assert ex(r2, "GET", "d") == b"A"
    ex(r2, "EXPIRE", "d", 100)
    ex(r2, "BITOP", "NOT", "d", "a")
    assert ex(r2, "TTL", "d") == -1


def test_bitop_dest_is_source(r2):
    ex(r2, "SET", "a", b"\x0f")
    assert ex(r2, "BITOP", "NOT", "a", "a") == 1
    assert ex(r2, "GET", "a") == b"\xf0"


def test_bitop_integer_values(r2):
    ex(r2, "SET", "a", 1)
    ex(r2, "SET", "b", 2)
    assert ex(r2, "BITOP", "XOR", "d", "a", "b") == 1
    assert ex(r2, "GET", "d") == b"\x03"


def test_bitop_case_insensitive(r2):
    ex(r2, "SET", "a", b"\x01")
    assert ex(r2, "BITOP", "xOr", "d", "a") == 1
    assert ex(r2, "BITOP", "not", "d", "a") == 1


def test_bitop_errors(r2):
    assert err(r2, "BITOP", "NAND", "d", "a") == SYNTAX
    assert err(r2, "BITOP", "NOT", "d", "a", "b") == "ERR BITOP NOT must be called with a single source key."
    ex(r2, "LPUSH", "l", "x")
    ex(r2, "SET", "a", "x")
    assert err(r2, "BITOP", "AND", "d", "a", "l") == WRONGTYPE
    assert err(r2, "BITOP", "NOT", "d", "l") == WRONGTYPE
    assert ex(r2, "EXISTS", "d") == 0


def test_bitop_arity(r2):
    assert err(r2, "BITOP", "AND", "d") == "ERR wrong number of arguments for 'bitop' command"


def test_bitop_large(r2):
    a = bytes(range(256)) * 40
    ex(r2, "SET", "a", a)
    ex(r2, "SET", "b", a[::-1])
    ex(r2, "BITOP", "XOR", "d", "a", "b")
    assert ex(r2, "GET", "d") == bytes(x ^ y for x, y in zip(a, a[::-1], strict=True))
    ex(r2, "BITOP", "NOT", "d", "a")
    assert ex(r2, "GET", "d") == bytes(255 - x for x in a)


# --------------------------------------------------------------------------- BITFIELD


def test_bitfield_doc_example(r2):
    assert ex(r2, "BITFIELD", "k", "INCRBY", "i5", 100, 1, "GET", "u4", 0) == [1, 0]


def test_bitfield_set_get(r2):
    assert ex(r2, "BITFIELD", "k", "SET", "u8", 0, 255, "GET", "u8", 0) == [0, 255]
    assert ex(r2, "GET", "k") == b"\xff"
    assert ex(r2, "BITFIELD", "k", "SET", "i8", 8, -2, "GET", "i8", 8, "GET", "u8", 8) == [0, -2, 254]
    assert ex(r2, "GET", "k") == b"\xff\xfe"


def test_bitfield_unaligned(r2):
    ex(r2, "SET", "k", b"\x0f\xf0")
    assert ex(r2, "BITFIELD", "k", "GET", "u8", 4, "GET", "u4", 4, "GET", "i4", 4, "GET", "u3", 3) == \
        [255, 15, -1, 3]
    assert ex(r2, "BITFIELD", "k", "SET", "u6", 5, 0) == [63]
    assert ex(r2, "GET", "k") == b"\x08\x10"


def test_bitfield_hash_offsets(r2):
    assert ex(r2, "BITFIELD", "k", "SET", "u8", "#0", 1, "SET", "u8", "#1", 2, "SET", "u8", "#2", 3) == [0, 0, 0]
    assert ex(r2, "GET", "k") == b"\x01\x02\x03"
    assert ex(r2, "BITFIELD", "k", "GET", "u4", "#3", "GET", "i16", "#1") == [2, 0x0300]


def test_bitfield_get_beyond_end_is_zero(r2):
    ex(r2, "SET", "k", b"\xff")
    assert ex(r2, "BITFIELD", "k", "GET", "u8", 4, "GET", "i64", 8, "GET", "u63", 1000) == [240, 0, 0]
    assert ex(r2, "STRLEN", "k") == 1


def test_bitfield_missing_key_get(r2):
    assert ex(r2, "BITFIELD", "nokey", "GET", "i64", 0) == [0]
    assert ex(r2, "EXISTS", "nokey") == 0


def test_bitfield_no_ops(r2):
    assert ex(r2, "BITFIELD", "k") == []
    assert ex(r2, "EXISTS", "k") == 0


def test_bitfield_i64_u63_extremes(r2):
    assert ex(r2, "BITFIELD", "k", "SET", "i64", 0, INT64_MIN, "GET", "i64", 0, "GET", "u63", 0) == \
        [0, INT64_MIN, 2 ** 62]
    assert ex(r2, "BITFIELD", "k", "SET", "u63", 1, 2 ** 63 - 1, "GET", "i64", 0) == [0, -1]
    assert ex(r2, "GET", "k") == b"\xff" * 8


@pytest.mark.parametrize("ops,result", [
    # WRAP (default)
    (["SET", "u8", 0, 255, "INCRBY", "u8", 0, 10], [0, 9]),
    (["SET", "i8", 0, 127, "INCRBY", "i8", 0, 1], [0, -128]),
    (["SET", "i8", 0, -128, "INCRBY", "i8", 0, -1], [0, 127]),
    (["SET", "u8", 0, 256], [0]),
    (["SET", "u8", 0, -1, "GET", "u8", 0], [0, 255]),
    (["SET", "i8", 0, 200, "GET", "i8", 0], [0, -56]),
    (["SET", "i8", 0, INT64_MIN, "GET", "i8", 0], [0, 0]),
    (["INCRBY", "u2", 0, -1], [3]),
    (["INCRBY", "i64", 0, INT64_MAX, "INCRBY", "i64", 0, 1], [INT64_MAX, INT64_MIN]),
    (["INCRBY", "i64", 0, INT64_MIN, "INCRBY", "i64", 0, -1], [INT64_MIN, INT64_MAX]),
    (["INCRBY", "u63", 0, INT64_MAX, "INCRBY", "u63", 0, 1], [INT64_MAX, 0]),
    # SAT
    (["OVERFLOW", "SAT", "SET", "u8", 0, 300, "GET", "u8", 0], [0, 255]),
    (["OVERFLOW", "SAT", "SET", "u8", 0, -1, "GET", "u8", 0], [0, 255]),
    (["OVERFLOW", "SAT", "SET", "i8", 0, -300, "GET", "i8", 0], [0, -128]),
    (["OVERFLOW", "SAT", "SET", "i8", 0, INT64_MIN, "GET", "i8", 0], [0, 127]),
    (["OVERFLOW", "SAT", "INCRBY", "u8", 0, 1000, "INCRBY", "u8", 0, -1000], [255, 0]),
    (["OVERFLOW", "SAT", "INCRBY", "i8", 0, 1000, "INCRBY", "i8", 0, -1000], [127, -128]),
    (["OVERFLOW", "SAT", "INCRBY", "i64", 0, INT64_MAX, "INCRBY", "i64", 0, 5], [INT64_MAX, INT64_MAX]),
    (["OVERFLOW", "SAT", "INCRBY", "i64", 0, INT64_MIN, "INCRBY", "i64", 0, -5], [INT64_MIN, INT64_MIN]),
    (["OVERFLOW", "SAT", "INCRBY", "u63", 0, INT64_MAX, "INCRBY", "u63", 0, 1], [INT64_MAX, INT64_MAX]),
    (["OVERFLOW", "SAT", "INCRBY", "u4", 0, -1], [0]),
    # FAIL
    (["OVERFLOW", "FAIL", "INCRBY", "u2", 0, 4, "INCRBY", "u2", 0, 3, "INCRBY", "u2", 0, 1], [None, 3, None]),
    (["OVERFLOW", "FAIL", "SET", "i4", 0, 8, "SET", "i4", 0, 7, "GET", "i4", 0], [None, 0, 7]),
    (["OVERFLOW", "FAIL", "INCRBY", "i8", 0, -129, "INCRBY", "i8", 0, -128], [None, -128]),
    # the overflow mode applies to the operations after it
    (["INCRBY", "u2", 0, 5, "OVERFLOW", "SAT", "INCRBY", "u2", 0, 5, "OVERFLOW", "WRAP",
      "INCRBY", "u2", 0, 1], [1, 3, 0]),
])
def test_bitfield_overflow(r2, ops, result):
    assert ex(r2, "BITFIELD", "k", *ops) == result


def test_bitfield_fail_null_resp3(r):
    assert ex(r, "BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u1", 0, 2, "GET", "u1", 0) == [None, 0]


def test_bitfield_fail_raw(raw):
    assert raw.cmd("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u1", 0, 2) == b"*1\r\n$-1\r\n"
    raw.cmd("HELLO", "3")
    assert raw.cmd("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u1", 0, 2) == b"*1\r\n_\r\n"


def test_bitfield_fail_still_grows_string(r2):
    assert ex(r2, "BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u8", 16, 256) == [None]
    assert ex(r2, "GET", "k") == b"\x00\x00\x00"


def test_bitfield_write_grows_to_highest_offset(r2):
    ex(r2, "BITFIELD", "k", "SET", "u1", 100, 1, "GET", "u8", 1000)
    assert ex(r2, "STRLEN", "k") == 13


def test_bitfield_hash_offset_overflow_wraps(r2):
    # #N is multiplied by the width in int64 arithmetic: 2**62 * 8 wraps around to 0.
    ex(r2, "SET", "k", b"\x7f")
    assert ex(r2, "BITFIELD", "k", "GET", "i8", "#4611686018427387904") == [127]


def test_bitfield_keeps_ttl(r2):
    ex(r2, "SET", "k", "abc", "EX", 100)
    ex(r2, "BITFIELD", "k", "SET", "u8", 0, 65)
    assert ex(r2, "GET", "k") == b"Abc"
    assert 99 <= ex(r2, "TTL", "k") <= 100


def test_bitfield_case_insensitive_subcommands(r2):
    assert ex(r2, "BITFIELD", "k", "set", "u8", 0, 5, "overflow", "sat", "IncrBy", "u8", 0, 300,
              "get", "u8", 0) == [0, 255, 255]


@pytest.mark.parametrize("typ", ["i0", "u0", "u64", "i65", "I8", "U8", "x8", "i", "u", "i-1", "i08",
                                 "i 8", "", "8"])
def test_bitfield_bad_type(r2, typ):
    assert err(r2, "BITFIELD", "k", "GET", typ, 0) == BAD_TYPE


@pytest.mark.parametrize("offset", [-1, "x", "#", "#-1", "##1", 2 ** 32, "#536870912", "1.0"])
def test_bitfield_bad_offset(r2, offset):
    assert err(r2, "BITFIELD", "k", "GET", "u8", offset) == BIT_OFFSET


def test_bitfield_hash_offset_scaled_limit(r2):
    assert ex(r2, "BITFIELD", "k", "GET", "u8", "#536870911") == [0]
    assert err(r2, "BITFIELD", "k", "GET", "u16", "#268435456") == BIT_OFFSET


@pytest.mark.parametrize("args,msg", [
    (["GET", "u8"], SYNTAX),
    (["SET", "u8", 0], SYNTAX),
    (["INCRBY", "u8", 0], SYNTAX),
    (["OVERFLOW"], SYNTAX),
    (["FOO"], SYNTAX),
    (["GET", "u8", 0, "FOO"], SYNTAX),
    (["OVERFLOW", "FOO", "GET", "u8", 0], "ERR Invalid OVERFLOW type specified"),
    (["SET", "u8", 0, "x"], NOT_INT),
    (["INCRBY", "i8", 0, "1.5"], NOT_INT),
    (["SET", "u8", 0, "9223372036854775808"], NOT_INT),
    (["SET", "u64", 0, 1], BAD_TYPE),
    (["SET", "u8", -1, 1], BIT_OFFSET),
    (["GET", "u8", 0, "SET", "u8", 0, "x"], NOT_INT),
])
def test_bitfield_errors(r2, args, msg):
    assert err(r2, "BITFIELD", "k", *args) == msg
    assert ex(r2, "EXISTS", "k") == 0


def test_bitfield_parse_errors_before_wrongtype(r2):
    ex(r2, "LPUSH", "l", "a")
    assert err(r2, "BITFIELD", "l", "GET", "u64", 0) == BAD_TYPE
    assert err(r2, "BITFIELD", "l", "GET", "u8", 0) == WRONGTYPE
    assert err(r2, "BITFIELD", "l", "SET", "u8", 0, 1) == WRONGTYPE
    assert err(r2, "BITFIELD", "l") == WRONGTYPE


def test_bitfield_arity(r2):
    assert err(r2, "BITFIELD") == "ERR wrong number of arguments for 'bitfield' command"


# --------------------------------------------------------------------------- BITFIELD_RO


def test_bitfield_ro_get(r2):
    ex(r2, "SET", "k", b"\x12\x34")
    assert ex(r2, "BITFIELD_RO", "k", "GET", "u8", 0, "GET", "u4", "#3", "GET", "i16", 0) == [0x12, 4, 0x1234]
    assert ex(r2, "BITFIELD_RO", "nokey", "GET", "u8", 0) == [0]
    assert ex(r2, "BITFIELD_RO", "k") == []


def test_bitfield_ro_overflow_option_allowed(r2):
    assert ex(r2, "BITFIELD_RO", "k", "OVERFLOW", "SAT", "GET", "u8", 0) == [0]


@pytest.mark.parametrize("args", [["SET", "u8", 0, 1], ["GET", "u8", 0, "INCRBY", "u8", 0, 1]])
def test_bitfield_ro_refuses_writes(r2, args):
    assert err(r2, "BITFIELD_RO", "k", *args) == "ERR BITFIELD_RO only supports the GET subcommand"
    assert ex(r2, "EXISTS", "k") == 0


def test_bitfield_ro_errors(r2):
    assert err(r2, "BITFIELD_RO", "k", "GET", "u8", 0, "FOO") == SYNTAX
    assert err(r2, "BITFIELD_RO", "k", "SET", "u8", 0, "x") == NOT_INT
    assert err(r2, "BITFIELD_RO", "k", "SET", "u64", 0, 1) == BAD_TYPE
    ex(r2, "SADD", "s", "a")
    assert err(r2, "BITFIELD_RO", "s", "GET", "u8", 0) == WRONGTYPE
    assert err(r2, "BITFIELD_RO", "s", "SET", "u8", 0, 1) == "ERR BITFIELD_RO only supports the GET subcommand"


# --------------------------------------------------------------------------- command table & events


@pytest.mark.parametrize("name,entry", [
    ("setbit", [b"setbit", 4, [b"write", b"denyoom"], 1, 1, 1]),
    ("getbit", [b"getbit", 3, [b"readonly", b"fast"], 1, 1, 1]),
    ("bitcount", [b"bitcount", -2, [b"readonly"], 1, 1, 1]),
    ("bitpos", [b"bitpos", -3, [b"readonly"], 1, 1, 1]),
    ("bitop", [b"bitop", -4, [b"write", b"denyoom"], 2, -1, 1]),
    ("bitfield", [b"bitfield", -2, [b"write", b"denyoom"], 1, 1, 1]),
    ("bitfield_ro", [b"bitfield_ro", -2, [b"readonly", b"fast"], 1, 1, 1]),
])
def test_command_info(r2, name, entry):
    assert ex(r2, "COMMAND", "INFO", name)[0][:6] == entry


def test_events(r2, make_client):
    admin = make_client()
    ex(admin, "CONFIG", "SET", "notify-keyspace-events", "KEA")
    try:
        p = make_client(socket_timeout=5).pubsub()
        p.psubscribe("__keyevent@0__:*")
        assert p.get_message(timeout=5)["type"] == "psubscribe"
        ex(r2, "SETBIT", "a", 1, 1)
        ex(r2, "SETBIT", "a", 1, 1)           # unchanged bit: still an event in 6.2
        ex(r2, "BITFIELD", "a", "GET", "u8", 0)  # read-only: no event
        ex(r2, "BITFIELD", "a", "OVERFLOW", "FAIL", "SET", "u1", 0, 5)
        ex(r2, "BITOP", "NOT", "b", "a")
        ex(r2, "BITOP", "AND", "b", "x")
        ex(r2, "BITOP", "AND", "b", "x")      # dest already missing: nothing
        got = []
        deadline = time.time() + 5
        while len(got) < 5 and time.time() < deadline:
            m = p.get_message(timeout=0.2)
            if m and m["type"] == "pmessage":
                got.append((m["channel"].split(b":", 1)[1], m["data"]))
        assert got == [(b"setbit", b"a"), (b"setbit", b"a"), (b"setbit", b"a"), (b"set", b"b"),
                       (b"del", b"b")]
        p.close()
    finally:
        ex(admin, "CONFIG", "SET", "notify-keyspace-events", "")
