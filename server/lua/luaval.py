"""Helpers shared by the Python halves of the Lua libraries: Lua's value rules, from Python.

lupa hands Lua values to Python as ``bytes`` (strings), ``int``/``float`` (numbers), ``bool``,
``None`` (nil) and wrapper objects (tables, functions...).  The C libraries Redis links check
their arguments with ``luaL_check*``; these helpers reproduce those checks and their messages
("bad argument #1 to 'band' (number expected, got string)"), which the Lua glue raises at the
caller's level.  :func:`glue` builds that glue: a Lua function calling the Python one, which
returns ``(result...)`` or ``(None, message, LUA_ERROR)``.
"""

from __future__ import annotations

import math

import lupa.lua51 as lua51

_rt = lua51.LuaRuntime()
LuaTable = type(_rt.table())
del _rt


class ArgError(Exception):
    """A ``luaL_argerror`` / ``luaL_error``: the glue raises ``msg`` as a Lua error at the level
    of the script that called the library function."""

    def __init__(self, msg: str):
        super().__init__(msg)
        self.msg = msg


LUA_ERROR = b"\x00perdure-lua-error"


def typename(v) -> str:
    """lua_typename of a value lupa handed us."""
    if v is None:
        return "nil"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, bytes):
        return "string"
    if isinstance(v, LuaTable):
        return "table"
    try:
        return lua51.lua_type(v) or "userdata"
    except Exception:  # noqa: BLE001
        return "userdata"


def str2number(s: bytes):
    """luaO_str2d: a Lua number from a string (decimal or hex, spaces around), or None."""
    t = s.strip(b" \t\n\v\f\r")
    if not t or b"_" in t or b"\x00" in t:
        return None
    low = t.lower()
    neg = False
    body = low
    if body[:1] in (b"+", b"-"):
        neg = body[:1] == b"-"
        body = body[1:]
    if body.startswith(b"0x"):
        try:
            v = int(body[2:], 16) if body[2:] else None
        except ValueError:
            return None
        if v is None:
            return None
        return float(-v if neg else v)
    try:
        return float(t)
    except ValueError:
        return None


def checknumber(args, i: int, fname: str) -> float:
    """luaL_checknumber(L, i + 1)."""
    if i >= len(args):
        raise ArgError("bad argument #%d to '%s' (number expected, got no value)" % (i + 1, fname))
    v = args[i]
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v
    if isinstance(v, bytes):
        n = str2number(v)
        if n is not None:
            return n
    raise ArgError("bad argument #%d to '%s' (number expected, got %s)" % (i + 1, fname, typename(v)))


def optnumber(args, i: int, fname: str, default):
    if i >= len(args) or args[i] is None:
        return default
    return checknumber(args, i, fname)


def checkinteger(args, i: int, fname: str) -> int:
    """luaL_checkinteger: the number truncated as C casts it."""
    return to_c_int(checknumber(args, i, fname))


def optinteger(args, i: int, fname: str, default: int) -> int:
    if i >= len(args) or args[i] is None:
        return default
    return checkinteger(args, i, fname)


def to_c_int(x) -> int:
    if isinstance(x, int):
        return x
    if math.isnan(x) or math.isinf(x) or abs(x) >= 2 ** 63:
        return -(2 ** 63)
    return int(x)


def checkstring(args, i: int, fname: str) -> bytes:
    """luaL_checklstring: strings, and numbers converted as Lua prints them (%.14g)."""
    if i >= len(args):
        raise ArgError("bad argument #%d to '%s' (string expected, got no value)" % (i + 1, fname))
    v = args[i]
    if isinstance(v, bytes):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return number2str(v)
    raise ArgError("bad argument #%d to '%s' (string expected, got %s)" % (i + 1, fname, typename(v)))


def number2str(v) -> bytes:
    """LUA_NUMBER_FMT "%.14g" (tostring of a number)."""
    if isinstance(v, int) and abs(v) < 10 ** 14:
        return b"%d" % v
    return b"%.14g" % v


def glue(rt, loadstring, names, pyfuncs, variadic=(), negzero=(), pre=None) -> object:
    """A Lua table of functions named ``names``, each calling ``pyfuncs[name](*args)``.  The
    Python side returns its results (a tuple for several); a first element equal to
    :data:`LUA_ERROR` makes the glue raise the second as a Lua error at the caller's level
    (where a C library's ``luaL_error`` points).  Functions in ``variadic`` may return any
    number of values (others at most one).

    lupa hands a Lua ``-0`` to Python as the integer 0, losing its sign.  Functions in
    ``negzero`` get a ``-0`` argument as the string ``"-0"`` instead: for a C function that
    reads it with ``luaL_checknumber`` (-0.0) or ``luaL_checklstring`` ("-0", as ``%.14g``
    prints it) that is the same value.  ``pre``: name -> Lua statements run first (the
    arguments are ``...``), which may answer by themselves."""
    code = [b"local py, E = ...\nlocal error, select, unpack = error, select, unpack\n"
            b"local M = {}\nlocal n = 0\n"
            b"local function pack(...) n = select('#', ...); return {...} end\n"
            b"local function nz(...)\n"
            b"  local c = select('#', ...)\n"
            b"  for i = 1, c do\n"
            b"    local v = select(i, ...)\n"
            b"    if v == 0 and 1 / v < 0 then\n"
            b"      local t = {...}\n"
            b"      for j = i, c do local w = t[j] if w == 0 and 1 / w < 0 then t[j] = '-0' end end\n"
            b"      return unpack(t, 1, c)\n"
            b"    end\n"
            b"  end\n"
            b"  return ...\n"
            b"end\n"]
    for name in names:
        args = b"nz(...)" if name in negzero else b"..."
        first = (pre or {}).get(name, b"")
        if name in variadic:
            code.append(b"do local f = py['%s']\nM['%s'] = function(...)\n%s\n"
                        b"  local r = pack(f(%s))\n"
                        b"  if r[1] == E then error(r[2], 2) end\n"
                        b"  return unpack(r, 1, n)\nend end\n" % (name, name, first, args))
        else:
            code.append(b"do local f = py['%s']\nM['%s'] = function(...)\n%s\n"
                        b"  local a, b = f(%s)\n"
                        b"  if a == E then error(b, 2) end\n"
                        b"  return a\nend end\n" % (name, name, first, args))
    code.append(b"return M\n")
    chunk = loadstring(b"".join(code), b"=perdure")
    if isinstance(chunk, tuple):
        raise RuntimeError("glue failed: %r" % (chunk[1],))
    tbl = rt.table()
    for name in names:
        tbl[name] = _wrap(pyfuncs[name])
    return chunk(tbl, LUA_ERROR)


def _wrap(fn):
    def call(*args):
        try:
            return fn(*args)
        except ArgError as e:
            return (LUA_ERROR, e.msg.encode("utf-8", "surrogateescape"))
    return call
