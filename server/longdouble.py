"""Exact emulation of the x87 80-bit ``long double`` arithmetic Redis 6.2 uses for INCRBYFLOAT
(and HINCRBYFLOAT).

Redis parses both operands with ``strtold`` (``string2ld``), adds them as ``long double``
(64-bit mantissa, 15-bit exponent, round-half-even) and prints the sum with ``"%.17Lf"``,
stripping trailing zeros (``ld2string(..., LD_STR_HUMAN)``).  Python floats are doubles, so
``0.2 + 0.1`` would print ``0.30000000000000004`` where Redis prints ``0.3``.

Here a finite long double is a pair ``(m, e)`` of Python ints meaning ``m * 2**e`` with
``|m| < 2**64``; every operation is done exactly on integers and then rounded the way the FPU
does, so results match Redis byte for byte.  ``-0.0`` is ``(0, -1)`` (sign kept in ``e``).

Public helpers:

* :func:`parse` -- ``string2ld``: bytes -> long double, or None if Redis would refuse it.
* :func:`add` -- the rounded sum, or None for NaN/Infinity.
* :func:`format_human` -- ``ld2string(LD_STR_HUMAN)``.
* :func:`incr_by_float` -- all of the above: the new value's bytes, raising Redis's errors.
"""

from __future__ import annotations

from . import errors
from .errors import RedisError

MANT_BITS = 64
MIN_EXP = -16445          # exponent of the smallest subnormal (2**-16445)
OVERFLOW_BITS = 16384     # values >= 2**16384 are out of range (inf)
MAX_CHARS = 5 * 1024      # MAX_LONG_DOUBLE_CHARS
INF = "inf"
NEG_INF = "-inf"

_M1 = 1 << MANT_BITS
_M0 = 1 << (MANT_BITS - 1)
_P17 = 10 ** 17
_CHUNK = 4000             # stay below Python's int <-> str digit limit
_P_CHUNK = 10 ** _CHUNK
_SPACES = b" \t\n\v\f\r"
_DIGITS = b"0123456789"
_HEX = b"0123456789abcdefABCDEF"


class _Overflow(Exception):
    pass


def _round(num: int, den: int, neg: bool):
    """Round ``num/den`` (num >= 0, den > 0) to a long double (m, e); raises _Overflow."""
    if num == 0:
        return (0, -1) if neg else (0, 0)
    e = num.bit_length() - den.bit_length() - MANT_BITS
    for _ in range(2):
        if e < MIN_EXP:
            e = MIN_EXP
        if e >= 0:
            d = den << e
            q, r = divmod(num, d)
        else:
            d = den
            q, r = divmod(num << -e, den)
        if q >= _M1:
            e += 1
            continue
        break
    r2 = r << 1
    if r2 > d or (r2 == d and q & 1):
        q += 1
        if q == _M1:
            q >>= 1
            e += 1
    if q and q.bit_length() + e > OVERFLOW_BITS:
        raise _Overflow
    return (-q, e) if neg else (q, e)


def _int_from_digits(s: bytes) -> int:
    n = len(s)
    if n <= _CHUNK:
        return int(s)
    return _int_from_digits(s[:n - _CHUNK]) * _P_CHUNK + int(s[n - _CHUNK:])


def _int_to_str(n: int) -> str:
    if n < _P_CHUNK:
        return str(n)
    hi, lo = divmod(n, _P_CHUNK)
    return _int_to_str(hi) + str(lo).zfill(_CHUNK)


def _scan_digits(s: bytes, i: int, allowed: bytes) -> int:
    n = len(s)
    while i < n and s[i] in allowed:
        i += 1
    return i


def parse(s: bytes):
    """string2ld: the long double of ``s``, ``INF``/``NEG_INF``, or None (not a valid float)."""
    n = len(s)
    if n == 0 or n >= MAX_CHARS or s[0] in _SPACES:
        return None
    i = 0
    neg = False
    if s[0] in b"+-":
        neg = s[0] == 0x2D
        i = 1
    rest = s[i:].lower()
    if rest in (b"inf", b"infinity"):
        return NEG_INF if neg else INF
    try:
        if rest[:2] == b"0x":
            return _parse_hex(s, i + 2, neg)
        return _parse_dec(s, i, neg)
    except _Overflow:
        return None


def _parse_dec(s: bytes, i: int, neg: bool):
    n = len(s)
    j = _scan_digits(s, i, _DIGITS)
    intpart = s[i:j]
    frac = b""
    if j < n and s[j] == 0x2E:
        k = _scan_digits(s, j + 1, _DIGITS)
        frac = s[j + 1:k]
        j = k
    if not intpart and not frac:
        return None
    exp = 0
    if j < n and s[j] in b"eE":
        k = j + 1
        if k < n and s[k] in b"+-":
            k += 1
        m = _scan_digits(s, k, _DIGITS)
        if m > k:
            ed = s[k:m].lstrip(b"0")
            exp = (int(ed) if ed else 0) if len(ed) < 30 else 10 ** 30
            if s[j + 1] == 0x2D:
                exp = -exp
            j = m
    if j != n:
        return None
    digits = (intpart + frac).lstrip(b"0")
    if not digits:
        return (0, -1) if neg else (0, 0)
    e10 = exp - len(frac)
    mag = len(digits) + e10          # value < 10**mag
    if mag > 4934:
        raise _Overflow
    if mag < -4952:                  # below half the smallest subnormal: ERANGE, zero
        return None
    d = _int_from_digits(digits)
    if e10 >= 0:
        r = _round(d * 10 ** e10, 1, neg)
    else:
        r = _round(d, 10 ** -e10, neg)
    if r[0] == 0:
        return None                  # underflow to zero (ERANGE)
    return r


def _parse_hex(s: bytes, i: int, neg: bool):
    n = len(s)
    j = _scan_digits(s, i, _HEX)
    intpart = s[i:j]
    frac = b""
    if j < n and s[j] == 0x2E:
        k = _scan_digits(s, j + 1, _HEX)
        frac = s[j + 1:k]
        j = k
    if not intpart and not frac:
        return None                  # "0x" alone: strtold stops after the "0"
    exp = 0
    if j < n and s[j] in b"pP":
        k = j + 1
        if k < n and s[k] in b"+-":
            k += 1
        m = _scan_digits(s, k, _DIGITS)
        if m > k:
            ed = s[k:m].lstrip(b"0")
            exp = (int(ed) if ed else 0) if len(ed) < 30 else 10 ** 30
            if s[j + 1] == 0x2D:
                exp = -exp
            j = m
    if j != n:
        return None
    h = int(intpart + frac, 16) if (intpart + frac).strip(b"0") else 0
    if h == 0:
        return (0, -1) if neg else (0, 0)
    e2 = exp - 4 * len(frac)
    top = h.bit_length() + e2
    if top > OVERFLOW_BITS + 1:
        raise _Overflow
    if top < MIN_EXP - 2:
        return None
    r = _round(h << e2, 1, neg) if e2 >= 0 else _round(h, 1 << -e2, neg)
    if r[0] == 0:
        return None
    return r


def add(a, b):
    """``a + b`` rounded to long double; None when the result is NaN or infinite."""
    if type(a) is str or type(b) is str:
        return None                  # inf + x is inf, inf - inf is NaN: both refused
    ma, ea = a
    mb, eb = b
    if ma == 0 and mb == 0:
        # -0 + -0 = -0, otherwise +0 (round to nearest)
        return (0, -1) if (ea == -1 and eb == -1) else (0, 0)
    if ma == 0:
        return b
    if mb == 0:
        return a
    e = min(ea, eb)
    s = (ma << (ea - e)) + (mb << (eb - e))
    if s == 0:
        return (0, 0)
    neg = s < 0
    if neg:
        s = -s
    try:
        if e >= 0:
            return _round(s << e, 1, neg)
        return _round(s, 1 << -e, neg)
    except _Overflow:
        return None


def format_human(v) -> bytes:
    """ld2string(LD_STR_HUMAN): ``"%.17Lf"`` with trailing zeros (and a bare '.') removed."""
    if v == INF:
        return b"inf"
    if v == NEG_INF:
        return b"-inf"
    m, e = v
    neg = m < 0 or (m == 0 and e == -1)
    q = -m if m < 0 else m
    if e >= 0:
        big = (q << e) * _P17
    else:
        d = 1 << -e
        big, r = divmod(q * _P17, d)
        r2 = r << 1
        if r2 > d or (r2 == d and big & 1):
            big += 1
    digits = _int_to_str(big).rjust(18, "0")
    ip, fp = digits[:-17], digits[-17:].rstrip("0")
    out = ip + "." + fp if fp else ip
    if neg:
        out = "-" + out
    if out == "-0":
        out = "0"
    return out.encode()


def incr_by_float(old: bytes | None, incr: bytes) -> bytes:
    """The bytes INCRBYFLOAT stores for ``old`` (None: missing key) + ``incr``."""
    a = (0, 0) if old is None else parse(old)
    b = parse(incr)
    if a is None or b is None:
        raise RedisError(errors.NOT_FLOAT)
    s = add(a, b)
    if s is None:
        raise RedisError(errors.NAN_OR_INF)
    return format_human(s)
