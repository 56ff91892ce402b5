"""Typed argument helpers that parse exactly as Redis does and raise Redis's error text.

Python's ``int()``/``float()`` accept things Redis refuses (``+1``, `` 1``, ``01``, ``1_000``,
``nan``); these helpers follow ``string2ll`` / ``strtold`` + Redis's checks instead.
"""

from __future__ import annotations

import math
import time

from . import errors
from .errors import RedisError

INT64_MIN = -(2 ** 63)
INT64_MAX = 2 ** 63 - 1


def to_int(b: bytes):
    """string2ll: the int64 value of ``b`` or None."""
    n = len(b)
    if n == 0 or n > 20:
        return None
    if b.isdigit():
        if b[0] == 0x30 and n > 1:
            return None
        v = int(b)
    elif b[0] == 0x2D and n > 1 and b[1:].isdigit() and b[1] != 0x30:
        v = int(b)
    else:
        return None
    if v > INT64_MAX or v < INT64_MIN:
        return None
    return v


def parse_int(b: bytes, err: str = errors.NOT_INTEGER) -> int:
    v = to_int(b)
    if v is None:
        raise RedisError(err)
    return v


def parse_nonneg(b: bytes, err: str = errors.NOT_INTEGER) -> int:
    v = parse_int(b, err)
    if v < 0:
        raise RedisError(errors.NOT_POSITIVE if err == errors.NOT_INTEGER else err)
    return v


_FLOAT_OK = frozenset(b"0123456789+-.eE")


def to_float(b: bytes, allow_nan: bool = False):
    """strtod as Redis uses it (no spaces, no hex floats, inf/-inf allowed, NaN refused)."""
    if not b or len(b) > 5000:
        return None
    s = b.lower()
    if s in (b"inf", b"+inf", b"infinity", b"+infinity"):
        return math.inf
    if s in (b"-inf", b"-infinity"):
        return -math.inf
    if not _FLOAT_OK.issuperset(b):
        if allow_nan and s in (b"nan", b"+nan", b"-nan"):
            return math.nan
        return None
    try:
        v = float(b)
    except ValueError:
        return None
    if math.isnan(v) and not allow_nan:
        return None
    return v


def parse_float(b: bytes, err: str = errors.NOT_FLOAT) -> float:
    v = to_float(b)
    if v is None:
        raise RedisError(err)
    return v


def parse_timeout(b: bytes) -> float:
    """Blocking-command timeout in seconds; 0.0 means "block forever".

    getTimeoutFromObjectOrReply (UNIT_SECONDS): the argument is parsed as a long double
    (strtold: hex floats and ``inf`` accepted), multiplied by 1000 as a long double and truncated
    to int64 milliseconds.  So ``0.001`` (just below 1/1000 as a long double) and ``-0.0005``
    truncate to 0 = forever, and ``inf`` or anything past the int64 range converts to INT64_MIN:
    "timeout is negative".  A deadline that overflows Redis's clock never fires: forever too.
    """
    from . import longdouble

    v = longdouble.parse(b)
    if v is None:
        raise RedisError(errors.TIMEOUT_NOT_FLOAT)
    if type(v) is str:
        raise RedisError(errors.TIMEOUT_NEGATIVE)
    m, e = v
    q = -m if m < 0 else m
    q *= 1000
    extra = q.bit_length() - 64           # round x*1000 to a 64-bit mantissa, half to even
    if extra > 0:
        half = 1 << (extra - 1)
        r = q & ((1 << extra) - 1)
        q >>= extra
        if r > half or (r == half and q & 1):
            q += 1
        e += extra
    ms = q << e if e >= 0 else q >> -e      # truncation toward zero
    if m < 0:
        ms = -ms
    if ms < 0 or ms > INT64_MAX:
        raise RedisError(errors.TIMEOUT_NEGATIVE)
    if ms > INT64_MAX - int(time.time() * 1000):
        return 0.0
    return ms / 1000.0


def lower(b: bytes) -> bytes:
    return b.lower()


def syntax_error():
    return RedisError(errors.SYNTAX)
