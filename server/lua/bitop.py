"""The ``bit`` library (LuaBitOp 1.0.2, as Redis links it): 32-bit operations on Lua numbers.

Numbers are normalised as bit.c does (``tobit``: add 2^52 + 2^51 and keep the low 32 bits of
the double, i.e. round to nearest and wrap), results are signed 32-bit integers.
"""

from __future__ import annotations

import struct

from .luaval import ArgError, checknumber, glue

_D = struct.Struct("<d")
_MAGIC = 6755399441055744.0  # 2^52 + 2^51


def _tobit(x) -> int:
    """bit.c's barg: the low 32 bits of (x + 2^52 + 2^51), as unsigned."""
    return int.from_bytes(_D.pack(float(x) + _MAGIC)[0:4], "little")


def _signed(b: int) -> float:
    b &= 0xFFFFFFFF
    return b - 0x100000000 if b & 0x80000000 else b


def _arg(args, i, fname):
    return _tobit(checknumber(args, i, fname))


def tobit(*a):
    return _signed(_arg(a, 0, "tobit"))


def bnot(*a):
    return _signed(~_arg(a, 0, "bnot"))


def _fold(fname, op):
    def f(*a):
        b = _arg(a, 0, fname)
        for i in range(1, len(a)):
            b = op(b, _arg(a, i, fname))
        return _signed(b)
    return f


band = _fold("band", lambda x, y: x & y)
bor = _fold("bor", lambda x, y: x | y)
bxor = _fold("bxor", lambda x, y: x ^ y)


def lshift(*a):
    b = _arg(a, 0, "lshift")
    n = _arg(a, 1, "lshift") & 31
    return _signed(b << n)


def rshift(*a):
    b = _arg(a, 0, "rshift")
    n = _arg(a, 1, "rshift") & 31
    return _signed(b >> n)


def arshift(*a):
    b = _signed(_arg(a, 0, "arshift"))
    n = _arg(a, 1, "arshift") & 31
    return _signed(int(b) >> n)


def rol(*a):
    b = _arg(a, 0, "rol")
    n = _arg(a, 1, "rol") & 31
    return _signed((b << n) | (b >> (32 - n)))


def ror(*a):
    b = _arg(a, 0, "ror")
    n = _arg(a, 1, "ror") & 31
    return _signed((b >> n) | (b << (32 - n)))


def bswap(*a):
    b = _arg(a, 0, "bswap")
    return _signed(int.from_bytes(b.to_bytes(4, "little"), "big"))


def tohex(*a):
    b = _arg(a, 0, "tohex")
    n = 8 if len(a) < 2 or a[1] is None else _signed(_arg(a, 1, "tohex"))
    digits = "0123456789abcdef"
    if n < 0:
        n = -n
        digits = "0123456789ABCDEF"
    if n > 8:
        n = 8
    out = []
    for _ in range(int(n)):
        out.append(digits[b & 15])
        b >>= 4
    return "".join(reversed(out)).encode()


FUNCS = {"tobit": tobit, "bnot": bnot, "band": band, "bor": bor, "bxor": bxor, "lshift": lshift,
         "rshift": rshift, "arshift": arshift, "rol": rol, "ror": ror, "bswap": bswap, "tohex": tohex}


def install(rt, loadstring, keep):
    names = [n.encode() for n in FUNCS]
    return glue(rt, loadstring, names, {n.encode(): f for n, f in FUNCS.items()})


__all__ = ["install", "ArgError"]
