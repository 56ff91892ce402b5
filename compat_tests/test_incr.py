"""INCR, DECR, INCRBY, DECRBY and INCRBYFLOAT as Redis 6.2.14 does them.

INCRBYFLOAT computes with an x87 80-bit ``long double`` and prints ``"%.17Lf"`` with trailing
zeros removed, so ``0.2 + 0.1`` is ``0.3`` (not ``0.30000000000000004``) and huge values are
printed with every integer digit.  Every expected value below was read from Redis 6.2.14.
"""

from __future__ import annotations

import time

import pytest

from .helpers import err, ex

NOT_INT = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
NAN_INF = "ERR increment would produce NaN or Infinity"
OVERFLOW = "ERR increment or decrement would overflow"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
INT64_MAX = 2 ** 63 - 1
INT64_MIN = -(2 ** 63)


# --------------------------------------------------------------------------- INCR / DECR


def test_incr_missing_key(r2):
    assert ex(r2, "INCR", "n") == 1
    assert ex(r2, "GET", "n") == b"1"


def test_decr_missing_key(r2):
    assert ex(r2, "DECR", "n") == -1
    assert ex(r2, "GET", "n") == b"-1"


def test_incr_existing(r2):
    ex(r2, "SET", "n", 10)
    assert ex(r2, "INCR", "n") == 11
    assert ex(r2, "DECR", "n") == 10
    assert ex(r2, "INCRBY", "n", 100) == 110
    assert ex(r2, "DECRBY", "n", 200) == -90
    assert ex(r2, "GET", "n") == b"-90"


def test_incrby_negative_and_zero(r2):
    ex(r2, "SET", "n", 5)
    assert ex(r2, "INCRBY", "n", -10) == -5
    assert ex(r2, "INCRBY", "n", 0) == -5
    assert ex(r2, "DECRBY", "n", -5) == 0


@pytest.mark.parametrize("value", [
    "", " 1", "1 ", "+1", "01", "-0", "1.0", "1e3", "abc", "0x10", "12345678901234567890123",
    "9223372036854775808", "-9223372036854775809", "1\x00",
])
def test_incr_value_not_integer(r2, value):
    ex(r2, "SET", "n", value)
    assert err(r2, "INCR", "n") == NOT_INT
    assert err(r2, "DECRBY", "n", 1) == NOT_INT
    assert ex(r2, "GET", "n") == value.encode()


@pytest.mark.parametrize("incr", ["", "1.5", "+1", " 1", "abc", "9223372036854775808", "01"])
def test_incrby_increment_not_integer(r2, incr):
    assert err(r2, "INCRBY", "n", incr) == NOT_INT
    assert err(r2, "DECRBY", "n", incr) == NOT_INT
    assert ex(r2, "EXISTS", "n") == 0


def test_incrby_increment_checked_before_type(r2):
    ex(r2, "LPUSH", "l", "a")
    assert err(r2, "INCRBY", "l", "x") == NOT_INT
    assert err(r2, "INCRBY", "l", 1) == WRONGTYPE


@pytest.mark.parametrize("cmd,args", [("INCR", []), ("DECR", []), ("INCRBY", [1]), ("DECRBY", [1])])
def test_incr_wrongtype(r2, cmd, args):
    ex(r2, "SADD", "s", "a")
    assert err(r2, cmd, "s", *args) == WRONGTYPE


def test_incr_limits(r2):
    ex(r2, "SET", "n", INT64_MAX - 1)
    assert ex(r2, "INCR", "n") == INT64_MAX
    assert err(r2, "INCR", "n") == OVERFLOW
    assert ex(r2, "GET", "n") == str(INT64_MAX).encode()
    ex(r2, "SET", "n", INT64_MIN + 1)
    assert ex(r2, "DECR", "n") == INT64_MIN
    assert err(r2, "DECR", "n") == OVERFLOW


@pytest.mark.parametrize("start,incr", [
    (1, INT64_MAX), (INT64_MAX, 1), (-2, INT64_MIN), (INT64_MIN, -1), (-1, INT64_MIN),
])
def test_incrby_overflow(r2, start, incr):
    ex(r2, "SET", "n", start)
    assert err(r2, "INCRBY", "n", incr) == OVERFLOW
    assert ex(r2, "GET", "n") == str(start).encode()


@pytest.mark.parametrize("start,incr,result", [
    (0, INT64_MAX, INT64_MAX), (-1, INT64_MAX, INT64_MAX - 1), (0, INT64_MIN, INT64_MIN),
    (1, INT64_MIN, INT64_MIN + 1), (INT64_MIN, INT64_MAX, -1),
])
def test_incrby_extremes(r2, start, incr, result):
    ex(r2, "SET", "n", start)
    assert ex(r2, "INCRBY", "n", incr) == result


def test_decrby_overflow(r2):
    ex(r2, "SET", "n", INT64_MIN)
    assert err(r2, "DECRBY", "n", 1) == OVERFLOW
    ex(r2, "SET", "n", INT64_MAX)
    assert err(r2, "DECRBY", "n", -1) == OVERFLOW


@pytest.mark.parametrize("start,result", [
    # DECRBY negates its argument in C: -LLONG_MIN wraps around to LLONG_MIN.
    (0, b"-9223372036854775808"), (1, b"-9223372036854775807"),
])
def test_decrby_llong_min_quirk(r2, start, result):
    ex(r2, "SET", "n", start)
    assert ex(r2, "DECRBY", "n", INT64_MIN) == int(result)
    assert ex(r2, "GET", "n") == result


def test_decrby_llong_min_overflow(r2):
    ex(r2, "SET", "n", -1)
    assert err(r2, "DECRBY", "n", INT64_MIN) == OVERFLOW


def test_incr_keeps_ttl(r2):
    ex(r2, "SET", "n", 1, "EX", 100)
    ex(r2, "INCR", "n")
    ex(r2, "INCRBY", "n", 5)
    ex(r2, "DECR", "n")
    assert 99 <= ex(r2, "TTL", "n") <= 100
    assert ex(r2, "GET", "n") == b"6"


def test_incr_on_expired_key_starts_from_zero(r2):
    ex(r2, "SET", "n", 100, "PX", 20)
    time.sleep(0.06)
    assert ex(r2, "INCR", "n") == 1
    assert ex(r2, "TTL", "n") == -1


def test_incr_on_appended_value(r2):
    ex(r2, "APPEND", "n", "4")
    ex(r2, "APPEND", "n", "2")
    assert ex(r2, "INCR", "n") == 43


def test_incr_result_is_canonical(r2):
    ex(r2, "SET", "n", "-5")
    assert ex(r2, "INCRBY", "n", 5) == 0
    assert ex(r2, "GET", "n") == b"0"
    assert ex(r2, "STRLEN", "n") == 1


@pytest.mark.parametrize("cmd,n", [("INCR", 2), ("DECR", 2), ("INCRBY", 3), ("DECRBY", 3),
                                   ("INCRBYFLOAT", 3)])
def test_arity(r2, cmd, n):
    args = ["k", 1, 2][: n]
    assert err(r2, cmd, *args) == f"ERR wrong number of arguments for '{cmd.lower()}' command"


# --------------------------------------------------------------------------- INCRBYFLOAT


@pytest.mark.parametrize("start,incr,result", [
    ("0.2", "0.1", b"0.3"),
    ("0.1", "0.2", b"0.3"),
    ("10.50", "0.1", b"10.6"),
    ("5.6", "-5", b"0.6"),
    ("5.0e3", "2.0e2", b"5200"),
    ("0", "0.1", b"0.1"),
    ("1", "1e-17", b"1.00000000000000001"),
    ("1", "1e-18", b"1"),
    ("123456789012345678", "1", b"123456789012345679"),
    ("9223372036854775807", "1", b"9223372036854775808"),
    ("99999999999999999999", "1", b"100000000000000000000"),
    ("-1", "1", b"0"),
    ("-0", "-0", b"0"),
    ("-1e-20", "0", b"0"),
    ("0x10", "0x.8", b"16.5"),
    ("3.0", "0x1p-2", b"3.25"),
    ("1.5", "-1.5", b"0"),
    ("7", "-7", b"0"),
    ("-3.5", "-0.25", b"-3.75"),
    ("0.000003814697265625", "0", b"0.00000381469726562"),   # exact tie: to even
    ("0.000011444091796875", "0", b"0.00001144409179688"),   # exact tie: to even
    ("1e-30", "1e-30", b"0"),
    ("0.30000000000000004", "0", b"0.30000000000000004"),
    ("1.23456789012345678901234567890", "0", b"1.23456789012345679"),
    ("1e308", "9e308",
     b"999999999999999999986349424581256454766307763249906048699722933664407363742116431635427166"
     b"600418245409398702382304152749971957328402423172341126484032370375772746974788657214625693"
     b"651444984012739133113268869496442311034817571120406763557498021655642425941543468850939783"
     b"228659030453659621446207643423114002432"),
    ("17", "1.7976931348623157e308",
     b"179769313486231569995921046774104434048386446944329178485314420765176628523124396354701868"
     b"608387085564428793419425520689308708363451136055357897278026477617073498977686288394835618"
     b"163294045594434929537447290627480669417384648879122776218333598953852832103282504751611691"
     b"208117720159985926376802466863339536384"),
])
def test_incrbyfloat_long_double(r2, start, incr, result):
    ex(r2, "SET", "f", start)
    assert ex(r2, "INCRBYFLOAT", "f", incr) == result
    assert ex(r2, "GET", "f") == result


def test_incrbyfloat_missing_key(r2):
    assert ex(r2, "INCRBYFLOAT", "f", "1.5") == b"1.5"
    assert ex(r2, "INCRBYFLOAT", "f", "1.5") == b"3"


def test_incrbyfloat_repeated_tenths(r2):
    values = [ex(r2, "INCRBYFLOAT", "f", "0.1") for _ in range(12)]
    assert values == [b"0.1", b"0.2", b"0.3", b"0.4", b"0.5", b"0.6", b"0.7", b"0.8", b"0.9",
                      b"1", b"1.1", b"1.2"]


def test_incrbyfloat_is_bulk_on_both_protocols(r):
    assert ex(r, "INCRBYFLOAT", "f", "2.5") == b"2.5"


def test_incrbyfloat_huge_value(r2):
    ex(r2, "SET", "f", "1.18e4932")
    v = ex(r2, "INCRBYFLOAT", "f", "0")
    assert len(v) == 4933
    assert v.startswith(b"1180000000000000000000652812918093699202690437140160471729831240061")
    assert v.endswith(b"628785152")


@pytest.mark.parametrize("start,incr", [
    ("1.1e4932", "1.1e4932"), ("2.5", "inf"), ("inf", "1"), ("-inf", "1"), ("2.5", "-infinity"),
    ("0x1p16383", "0x1p16383"),
])
def test_incrbyfloat_nan_or_infinity(r2, start, incr):
    ex(r2, "SET", "f", start)
    assert err(r2, "INCRBYFLOAT", "f", incr) == NAN_INF
    assert ex(r2, "GET", "f") == start.encode()


@pytest.mark.parametrize("incr", [
    "", "abc", " 1", "1 ", "1e", "0x", "nan", "-nan", "1.5.5", "--1", ".", "1e5000", "-1e5000",
    "1e-5000", "0x1p16384", "1,5", "1\x00",
])
def test_incrbyfloat_increment_not_float(r2, incr):
    ex(r2, "SET", "f", "1")
    assert err(r2, "INCRBYFLOAT", "f", incr) == NOT_FLOAT
    assert ex(r2, "GET", "f") == b"1"


@pytest.mark.parametrize("value", ["abc", "", "1e5000", "nan", " 2"])
def test_incrbyfloat_value_not_float(r2, value):
    ex(r2, "SET", "f", value)
    assert err(r2, "INCRBYFLOAT", "f", "1") == NOT_FLOAT


@pytest.mark.parametrize("incr,result", [
    ("1e+2", b"101"), ("+.5", b"1.5"), ("5.", b"6"), ("1E2", b"101"), ("0X1P4", b"17"),
    ("-0", b"1"), ("4e-4951", b"1"), ("0e99999", b"1"), ("1e00000000000000000000000000000000002", b"101"),
])
def test_incrbyfloat_accepted_syntaxes(r2, incr, result):
    ex(r2, "SET", "f", "1")
    assert ex(r2, "INCRBYFLOAT", "f", incr) == result


def test_incrbyfloat_too_long_string(r2):
    ex(r2, "SET", "f", "1" + "0" * 5119)
    assert err(r2, "INCRBYFLOAT", "f", "1") == NOT_FLOAT
    ex(r2, "SET", "f", "1" + "0" * 4500)
    v = ex(r2, "INCRBYFLOAT", "f", "0")  # 1e4500 as a long double, every digit printed
    assert len(v) == 4500 and v.startswith(b"99999999999999999999") and v.endswith(b"4325539127296")


def test_incrbyfloat_wrongtype(r2):
    ex(r2, "LPUSH", "l", "a")
    assert err(r2, "INCRBYFLOAT", "l", "1") == WRONGTYPE
    assert err(r2, "INCRBYFLOAT", "l", "x") == WRONGTYPE


def test_incrbyfloat_keeps_ttl(r2):
    ex(r2, "SET", "f", "1.5", "EX", 100)
    assert ex(r2, "INCRBYFLOAT", "f", "1") == b"2.5"
    assert 99 <= ex(r2, "TTL", "f") <= 100


def test_incrbyfloat_then_incr(r2):
    ex(r2, "INCRBYFLOAT", "f", "2.0")
    assert ex(r2, "GET", "f") == b"2"
    assert ex(r2, "INCR", "f") == 3
    ex(r2, "INCRBYFLOAT", "f", "0.5")
    assert err(r2, "INCR", "f") == NOT_INT


# --------------------------------------------------------------------------- command table & events


@pytest.mark.parametrize("name", ["incr", "decr", "incrby", "decrby", "incrbyfloat"])
def test_command_info(r2, name):
    info = ex(r2, "COMMAND", "INFO", name)[0]
    arity = 2 if name in ("incr", "decr") else 3
    assert info[:6] == [name.encode(), arity, [b"write", b"denyoom", b"fast"], 1, 1, 1]


def test_events(r2, make_client):
    admin = make_client()
    ex(admin, "CONFIG", "SET", "notify-keyspace-events", "KEA")
    try:
        p = make_client(socket_timeout=5).pubsub()
        p.psubscribe("__keyevent@0__:*")
        assert p.get_message(timeout=5)["type"] == "psubscribe"
        ex(r2, "INCR", "a")
        ex(r2, "DECRBY", "a", 3)
        ex(r2, "INCRBYFLOAT", "a", "1.5")
        ex(r2, "SET", "b", "x")
        try:
            ex(r2, "INCR", "b")
        except Exception:
            pass
        got = []
        deadline = time.time() + 5
        while len(got) < 4 and time.time() < deadline:
            m = p.get_message(timeout=0.2)
            if m and m["type"] == "pmessage":
                got.append((m["channel"].split(b":", 1)[1], m["data"]))
        assert got == [(b"incrby", b"a"), (b"incrby", b"a"), (b"incrbyfloat", b"a"), (b"set", b"b")]
        p.close()
    finally:
        ex(admin, "CONFIG", "SET", "notify-keyspace-events", "")
