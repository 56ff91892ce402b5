"""The ``struct`` library (Roberto Ierusalimschy's lua_struct.c, Redis's copy): ``pack``,
``unpack`` and ``size`` of binary records, with the same formats, alignment rules, x86-64
sizes (short 2, int 4, long and size_t 8) and error messages."""

from __future__ import annotations

import struct as _struct

from .luaval import ArgError, checkinteger, checknumber, checkstring, glue, optinteger

MAXINTSIZE = 32
MAXALIGN = 8
_SIZES = {"b": 1, "B": 1, "h": 2, "H": 2, "l": 8, "L": 8, "T": 8, "f": 4, "d": 8, "x": 1}
_INTS = "bBhHlLTiI"


class _Fmt:
    __slots__ = ("s", "i")

    def __init__(self, s: bytes):
        self.s = s.split(b"\x00", 1)[0].decode("latin-1")
        self.i = 0

    def more(self) -> bool:
        return self.i < len(self.s)

    def next(self) -> str:
        c = self.s[self.i]
        self.i += 1
        return c

    def getnum(self, default: int) -> int:
        s = self.s
        if self.i >= len(s) or not s[self.i].isdigit():
            return default
        a = 0
        while self.i < len(s) and s[self.i].isdigit():
            d = ord(s[self.i]) - 48
            if a > (2 ** 31 - 1) // 10 or a * 10 > (2 ** 31 - 1) - d:
                raise ArgError("integral size overflow")
            a = a * 10 + d
            self.i += 1
        return a


def _optsize(opt: str, f: _Fmt) -> int:
    n = _SIZES.get(opt)
    if n is not None:
        return n
    if opt == "c":
        return f.getnum(1)
    if opt in "iI":
        sz = f.getnum(4)
        if sz > MAXINTSIZE:
            raise ArgError("integral size %d is larger than limit of %d" % (sz, MAXINTSIZE))
        return sz
    return 0


def _toalign(length: int, h, opt: str, size: int) -> int:
    if size == 0 or opt == "c":
        return 0
    if size > h[1]:
        size = h[1]
    return (size - (length & (size - 1))) & (size - 1)


def _control(opt: str, f: _Fmt, h, fname: str) -> None:
    if opt == " ":
        return
    if opt == ">":
        h[0] = "big"
    elif opt == "<":
        h[0] = "little"
    elif opt == "!":
        a = f.getnum(MAXALIGN)
        if not (a > 0 and (a & (a - 1)) == 0):
            raise ArgError("alignment %d is not a power of 2" % a)
        h[1] = a
    else:
        raise ArgError("bad argument #1 to '%s' (invalid format option '%s')" % (fname, opt))


def _c_long(n: float) -> int:
    """(Uinttype)(Inttype)n or (Uinttype)n, as putinteger converts."""
    if n != n or n in (float("inf"), float("-inf")):
        return 0x8000000000000000
    v = int(n)
    if n < 0:
        if v < -(2 ** 63):
            return 0x8000000000000000
        return v & 0xFFFFFFFFFFFFFFFF
    if v >= 2 ** 64:
        return 0x8000000000000000 if v >= 2 ** 63 else v
    return v


def pack(*args):
    fmt = _Fmt(checkstring(args, 0, "pack"))
    # b_pack pushes a nil after its arguments before it reads them: a missing one is "nil"
    args += (None,)
    h = ["little", 1]
    arg = 1
    out = bytearray()
    total = 0
    while fmt.more():
        opt = fmt.next()
        size = _optsize(opt, fmt)
        pad = _toalign(total, h, opt, size)
        total += pad
        out += b"\x00" * pad
        if opt in _INTS:
            v = _c_long(checknumber(args, arg, "pack"))
            arg += 1
            b = (v & ((1 << (8 * min(size, 8))) - 1)).to_bytes(min(size, 8), "little") + \
                b"\x00" * max(0, size - 8)
            out += b if h[0] == "little" else b[::-1]
        elif opt == "x":
            out += b"\x00"
        elif opt == "f":
            x = float(checknumber(args, arg, "pack"))
            arg += 1
            try:
                b = _struct.pack("<f", x)
            except OverflowError:
                b = _struct.pack("<f", float("inf") if x > 0 else float("-inf"))
            out += b if h[0] == "little" else b[::-1]
        elif opt == "d":
            x = float(checknumber(args, arg, "pack"))
            arg += 1
            b = _struct.pack("<d", x)
            out += b if h[0] == "little" else b[::-1]
        elif opt in "cs":
            s = checkstring(args, arg, "pack")
            arg += 1
            if size == 0:
                size = len(s)
            if len(s) < size:
                # lua_struct.c checks after arg++: it names the argument after the string
                raise ArgError("bad argument #%d to 'pack' (string too short)" % (arg + 1))
            out += s[:size]
            if opt == "s":
                out += b"\x00"
                size += 1
        else:
            _control(opt, fmt, h, "pack")
        total += size
    return bytes(out)


def unpack(*args):
    fmt = _Fmt(checkstring(args, 0, "unpack"))
    data = checkstring(args, 1, "unpack")
    ld = len(data)
    pos = optinteger(args, 2, "unpack", 1)
    if pos <= 0:
        raise ArgError("bad argument #3 to 'unpack' (offset must be 1 or greater)")
    pos -= 1
    h = ["little", 1]
    res = []
    while fmt.more():
        opt = fmt.next()
        size = _optsize(opt, fmt)
        pos += _toalign(pos, h, opt, size)
        if not (size <= ld and pos <= ld - size):
            raise ArgError("bad argument #2 to 'unpack' (data string too short)")
        if opt in _INTS:
            b = data[pos:pos + size]
            if h[0] == "big":
                b = b[::-1]
            v = int.from_bytes(b, "little") & 0xFFFFFFFFFFFFFFFF
            if opt.islower():
                sh = (size * 8 - 1) % 64
                mask = (0xFFFFFFFFFFFFFFFF << sh) & 0xFFFFFFFFFFFFFFFF
                if v & mask:
                    v |= mask
                if v >= 2 ** 63:
                    v -= 2 ** 64
            res.append(float(v) if abs(v) >= 2 ** 53 else v)
        elif opt == "x":
            pass
        elif opt == "f":
            b = data[pos:pos + 4]
            res.append(_struct.unpack("<f" if h[0] == "little" else ">f", b)[0])
        elif opt == "d":
            b = data[pos:pos + 8]
            res.append(_struct.unpack("<d" if h[0] == "little" else ">d", b)[0])
        elif opt == "c":
            if size == 0:
                if not res or not isinstance(res[-1], (int, float)):
                    raise ArgError("format 'c0' needs a previous size")
                size = int(res.pop())
                if not (size <= ld and pos <= ld - size):
                    raise ArgError("bad argument #2 to 'unpack' (data string too short)")
            res.append(data[pos:pos + size])
        elif opt == "s":
            e = data.find(b"\x00", pos)
            if e < 0:
                raise ArgError("unfinished string in data")
            size = e - pos + 1
            res.append(data[pos:e])
        else:
            _control(opt, fmt, h, "unpack")
        pos += size
    res.append(pos + 1)
    return tuple(res)


def size(*args):
    fmt = _Fmt(checkstring(args, 0, "size"))
    h = ["little", 1]
    pos = 0
    while fmt.more():
        opt = fmt.next()
        sz = _optsize(opt, fmt)
        pos += _toalign(pos, h, opt, sz)
        if opt == "s":
            raise ArgError("bad argument #1 to 'size' (option 's' has no fixed size)")
        if opt == "c" and sz == 0:
            raise ArgError("bad argument #1 to 'size' (option 'c0' has no fixed size)")
        if not opt.isalnum():
            _control(opt, fmt, h, "size")
        pos += sz
    return pos


def install(rt, loadstring, keep):
    funcs = {b"pack": pack, b"unpack": unpack, b"size": size}
    return glue(rt, loadstring, list(funcs), funcs, variadic=(b"unpack",), negzero=list(funcs))


__all__ = ["install", "checkinteger"]
