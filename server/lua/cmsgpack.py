"""The ``cmsgpack`` library (lua-cmsgpack 0.4, as Redis links it): MessagePack ``pack``,
``unpack``, ``unpack_one`` and ``unpack_limit`` with its encoding choices (smallest integer
form, float32 when exact, str8 for 32..255 bytes, tables as arrays only when their keys are
exactly 1..n, nesting cut at 16 levels) and its error messages."""

from __future__ import annotations

import math
import struct
import weakref

from .luaval import ArgError, LuaTable, checkinteger, checkstring, glue, optinteger

MAX_NESTING = 16
_F = struct.Struct(">f")
_D = struct.Struct(">d")


class _Packer:
    __slots__ = ("out",)

    def __init__(self):
        self.out = bytearray()

    def int(self, n: int) -> None:
        o = self.out
        if n >= 0:
            if n <= 127:
                o.append(n)
            elif n <= 0xFF:
                o += b"\xcc" + n.to_bytes(1, "big")
            elif n <= 0xFFFF:
                o += b"\xcd" + n.to_bytes(2, "big")
            elif n <= 0xFFFFFFFF:
                o += b"\xce" + n.to_bytes(4, "big")
            else:
                o += b"\xcf" + n.to_bytes(8, "big")
        else:
            if n >= -32:
                o.append(n & 0xFF)
            elif n >= -128:
                o += b"\xd0" + n.to_bytes(1, "big", signed=True)
            elif n >= -32768:
                o += b"\xd1" + n.to_bytes(2, "big", signed=True)
            elif n >= -2147483648:
                o += b"\xd2" + n.to_bytes(4, "big", signed=True)
            else:
                o += b"\xd3" + n.to_bytes(8, "big", signed=True)

    def number(self, x) -> None:
        if isinstance(x, int):
            if -(2 ** 63) <= x < 2 ** 63:
                self.int(x)
                return
            x = float(x)
        if math.isfinite(x) and x == int(x) and -(2 ** 63) <= x < 2 ** 63:
            self.int(int(x))
            return
        try:
            f = _F.pack(x)
            exact = _F.unpack(f)[0] == x
        except OverflowError:
            exact = False
        if exact:
            self.out += b"\xca" + f
        else:
            self.out += b"\xcb" + _D.pack(x)

    def string(self, s: bytes) -> None:
        n = len(s)
        o = self.out
        if n < 32:
            o.append(0xA0 | n)
        elif n <= 0xFF:
            o += b"\xd9" + n.to_bytes(1, "big")
        elif n <= 0xFFFF:
            o += b"\xda" + n.to_bytes(2, "big")
        else:
            o += b"\xdb" + n.to_bytes(4, "big")
        o += s

    def value(self, v, level: int) -> None:
        if v is None:
            self.out.append(0xC0)
        elif v is True:
            self.out.append(0xC3)
        elif v is False:
            self.out.append(0xC2)
        elif isinstance(v, bytes):
            self.string(v)
        elif isinstance(v, (int, float)):
            self.number(v)
        elif isinstance(v, LuaTable):
            if level == MAX_NESTING:
                self.out.append(0xC0)
            else:
                self.table(v, level)
        else:
            self.out.append(0xC0)

    def table(self, t, level: int) -> None:
        items = list(t.items())
        count = 0
        mx = 0
        array = True
        for k, _ in items:
            if isinstance(k, bool) or not isinstance(k, (int, float)) or k <= 0 or \
                    not (math.isfinite(k) and k == int(k) and k < 2 ** 31):
                array = False
                break
            k = int(k)
            if k > mx:
                mx = k
            count += 1
        o = self.out
        if array and mx == count:
            n = len(t)
            _header(o, n, 0x90, b"\xdc", b"\xdd")
            for j in range(1, n + 1):
                self.value(t[j], level + 1)
        else:
            _header(o, len(items), 0x80, b"\xde", b"\xdf")
            for k, v in items:
                self.value(k, level + 1)
                self.value(v, level + 1)


def _header(o, n, fix, b16, b32):
    if n < 16:
        o.append(fix | n)
    elif n <= 0xFFFF:
        o += b16 + n.to_bytes(2, "big")
    else:
        o += b32 + n.to_bytes(4, "big")


def pack(*args):
    if not args:
        raise ArgError("bad argument #0 to 'pack' (MessagePack pack needs input.)")
    p = _Packer()
    for a in args:
        p.value(a, 0)
    return bytes(p.out)


class _Eof(Exception):
    pass


class _BadFmt(Exception):
    pass


class _Unpacker:
    __slots__ = ("b", "i", "table_from")

    def __init__(self, b: bytes, i: int, table_from):
        self.b = b
        self.i = i
        self.table_from = table_from

    def take(self, n: int) -> bytes:
        i = self.i
        if i + n > len(self.b):
            raise _Eof()
        self.i = i + n
        return self.b[i:i + n]

    def value(self):
        t = self.take(1)[0]
        if t <= 0x7F:
            return t
        if t >= 0xE0:
            return t - 256
        if 0xA0 <= t <= 0xBF:
            return self.take(t & 0x1F)
        if 0x90 <= t <= 0x9F:
            return self.array(t & 0x0F)
        if 0x80 <= t <= 0x8F:
            return self.map(t & 0x0F)
        if t == 0xC0:
            return None
        if t == 0xC2:
            return False
        if t == 0xC3:
            return True
        if t == 0xCC:
            return self.take(1)[0]
        if t == 0xCD:
            return int.from_bytes(self.take(2), "big")
        if t == 0xCE:
            return int.from_bytes(self.take(4), "big")
        if t == 0xCF:
            return _num(int.from_bytes(self.take(8), "big"))
        if t == 0xD0:
            return int.from_bytes(self.take(1), "big", signed=True)
        if t == 0xD1:
            return int.from_bytes(self.take(2), "big", signed=True)
        if t == 0xD2:
            return int.from_bytes(self.take(4), "big", signed=True)
        if t == 0xD3:
            return _num(int.from_bytes(self.take(8), "big", signed=True))
        if t == 0xCA:
            return _F.unpack(self.take(4))[0]
        if t == 0xCB:
            return _D.unpack(self.take(8))[0]
        if t == 0xD9:
            return self.take(self.take(1)[0])
        if t == 0xDA:
            return self.take(int.from_bytes(self.take(2), "big"))
        if t == 0xDB:
            return self.take(int.from_bytes(self.take(4), "big"))
        if t == 0xDC:
            return self.array(int.from_bytes(self.take(2), "big"))
        if t == 0xDD:
            return self.array(int.from_bytes(self.take(4), "big"))
        if t == 0xDE:
            return self.map(int.from_bytes(self.take(2), "big"))
        if t == 0xDF:
            return self.map(int.from_bytes(self.take(4), "big"))
        raise _BadFmt()

    def array(self, n: int):
        return self.table_from([self.value() for _ in range(n)])

    def map(self, n: int):
        d = {}
        for _ in range(n):
            k = self.value()
            v = self.value()
            if k is not None and not (isinstance(k, float) and k != k):
                if v is None:
                    d.pop(k, None)
                else:
                    d[k] = v
        return self.table_from(d)


def _num(n: int):
    return float(n) if abs(n) >= 2 ** 53 else n


def _unpack_full(data: bytes, limit: int, offset: int, table_from):
    decode_all = not limit and not offset
    n = len(data)
    if offset < 0 or limit < 0:
        raise ArgError("Invalid request to unpack with offset of %d and limit of %d." % (offset, n))
    if offset > n:
        raise ArgError("Start offset %d greater than input length %d." % (offset, n))
    if decode_all:
        limit = 2 ** 31 - 1
    u = _Unpacker(data, offset, table_from)
    out = []
    while u.i < n and len(out) < limit:
        try:
            out.append(u.value())
        except _Eof:
            raise ArgError("Missing bytes in input.") from None
        except _BadFmt:
            raise ArgError("Bad data format in input.") from None
    if not decode_all:
        out.insert(0, -1 if u.i >= n else u.i)
    return tuple(out)


class _Lua:
    """The Lua state, reached through a weak reference (see cjson._Lua)."""

    __slots__ = ("rt", "__weakref__")


def install(rt, loadstring, keep):
    h = _Lua()
    h.rt = rt
    keep.append(h)
    lua = weakref.ref(h)

    def tf(v):
        return lua().rt.table_from(v)

    def unpack(*a):
        return _unpack_full(checkstring(a, 0, "unpack"), 0, 0, tf)

    def unpack_one(*a):
        offset = optinteger(a, 1, "unpack_one", 0)
        return _unpack_full(checkstring(a, 0, "unpack_one"), 1, _c_int(offset), tf)

    def unpack_limit(*a):
        limit = checkinteger(a, 1, "unpack_limit")
        offset = optinteger(a, 2, "unpack_limit", 0)
        return _unpack_full(checkstring(a, 0, "unpack_limit"), _c_int(limit), _c_int(offset), tf)

    funcs = {b"pack": pack, b"unpack": unpack, b"unpack_one": unpack_one,
             b"unpack_limit": unpack_limit}
    lib = glue(rt, loadstring, list(funcs), funcs,
               variadic=(b"unpack", b"unpack_one", b"unpack_limit"))
    lib[b"_NAME"] = b"cmsgpack"
    lib[b"_VERSION"] = b"lua-cmsgpack 0.4.0"
    lib[b"_COPYRIGHT"] = b"Copyright (C) 2012, Salvatore Sanfilippo"
    lib[b"_DESCRIPTION"] = b"MessagePack C implementation for Lua"
    return lib


def _c_int(n: int) -> int:
    """An int, as C stores a lua_Integer into an int."""
    n &= 0xFFFFFFFF
    return n - 0x100000000 if n & 0x80000000 else n
