"""The ``cjson`` library (lua-cjson 2.1.0, as Redis links it): ``encode``, ``decode``,
``null``, ``new`` and the configuration functions, with lua-cjson's choices -- numbers as
``%.14g``, ``/`` escaped, empty tables as ``{}``, tables as arrays only when every key is an
integer >= 1 (excessively sparse ones refused), objects in Lua's ``next`` order, ``null`` as a
distinct value, a tokenizer that accepts what strtod accepts (hex, ``inf``, leading ``+``) --
and its exact error messages ("Expected value but found T_END at character 1")."""

from __future__ import annotations

import math
import re
import weakref

from .luaval import ArgError, LuaTable, glue, typename

_ESC = {i: "\\u%04x" % i for i in range(32)}
_ESC.update({8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r", 34: '\\"', 92: "\\\\", 47: "\\/",
             127: "\\u007f"})
_ESC_TABLE = [(_ESC[i].encode() if i in _ESC else bytes([i])) for i in range(256)]
_NEEDS_ESC = re.compile(rb'[\x00-\x1f"\\/\x7f]')
_UNESC = {ord('"'): b'"', ord("\\"): b"\\", ord("/"): b"/", ord("b"): b"\b", ord("t"): b"\t",
          ord("n"): b"\n", ord("f"): b"\f", ord("r"): b"\r"}
# strtod's accepted prefixes: decimal (with optional fraction/exponent), hex, inf, nan
_STRTOD = re.compile(rb"[+-]?(?:(?:inf(?:inity)?|nan(?:\([0-9a-z_]*\))?)|0x(?:[0-9a-f]+\.?[0-9a-f]*"
                     rb"|\.[0-9a-f]+)(?:p[+-]?[0-9]+)?|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?)",
                     re.IGNORECASE)


def strtod(b: bytes, i: int):
    """C strtod on ``b[i:]``: (value, end index) or None when nothing parses."""
    m = _STRTOD.match(b, i)
    if not m:
        return None
    s = m.group().lower()
    try:
        if b"x" in s:
            neg = s.startswith(b"-")
            h = s.lstrip(b"+-")
            v = float.fromhex(h.decode())
            return (-v if neg else v), m.end()
        if b"inf" in s:
            return (-math.inf if s.startswith(b"-") else math.inf), m.end()
        if b"nan" in s:
            return math.nan, m.end()
        return float(s), m.end()
    except (ValueError, OverflowError):
        return None


def fmt_number(x, precision: int = 14) -> bytes:
    if isinstance(x, int) and abs(x) < 10 ** precision:
        return b"%d" % x
    return b"%.*g" % (precision, x)


class Config:
    __slots__ = ("sparse_convert", "sparse_ratio", "sparse_safe", "encode_max_depth",
                 "decode_max_depth", "precision", "keep_buffer", "encode_invalid",
                 "decode_invalid")

    def __init__(self):
        self.sparse_convert = False
        self.sparse_ratio = 2
        self.sparse_safe = 10
        self.encode_max_depth = 1000
        self.decode_max_depth = 1000
        self.precision = 14
        self.keep_buffer = True
        self.encode_invalid = False   # False, True or "null"
        self.decode_invalid = True


class _Encoder:
    def __init__(self, cfg: Config, is_null, neg_zero=None):
        self.cfg = cfg
        self.is_null = is_null
        self.neg_zero = neg_zero  # (t, k) -> is t[k] a -0 (lupa hands -0 over as 0)?
        self.out = []

    def fail(self, v, reason):
        raise ArgError("Cannot serialise %s: %s" % (typename(v), reason))

    def number(self, x) -> None:
        cfg = self.cfg
        if isinstance(x, float) and (math.isinf(x) or math.isnan(x)):
            if not cfg.encode_invalid:
                self.fail(x, "must not be NaN or Inf")
            if cfg.encode_invalid == "null":
                self.out.append(b"null")
                return
            if math.isnan(x):
                self.out.append(b"nan")
                return
        self.out.append(fmt_number(x, cfg.precision))

    def string(self, s: bytes) -> None:
        if _NEEDS_ESC.search(s):
            t = _ESC_TABLE
            s = b"".join([t[c] for c in s])
        self.out.append(b'"' + s + b'"')

    def value(self, v, depth: int) -> None:
        out = self.out
        if v is None:
            out.append(b"null")
        elif v is True:
            out.append(b"true")
        elif v is False:
            out.append(b"false")
        elif isinstance(v, bytes):
            self.string(v)
        elif isinstance(v, (int, float)):
            self.number(v)
        elif isinstance(v, LuaTable):
            depth += 1
            if depth > self.cfg.encode_max_depth:
                raise ArgError("Cannot serialise, excessive nesting (%d)" % depth)
            self.table(v, depth)
        elif self.is_null(v):
            out.append(b"null")
        else:
            self.fail(v, "type not supported")

    def table(self, t, depth: int) -> None:
        items = list(t.items())
        mx = 0
        array = True
        for k, _ in items:
            if isinstance(k, (int, float)) and not isinstance(k, bool) and k and \
                    math.floor(k) == k and k >= 1:
                if k > mx:
                    mx = k
                continue
            array = False
            break
        cfg = self.cfg
        if array and cfg.sparse_ratio > 0 and mx > len(items) * cfg.sparse_ratio and \
                mx > cfg.sparse_safe:
            if not cfg.sparse_convert:
                self.fail(t, "excessively sparse array")
            array = False
        out = self.out
        if array and mx > 0:
            out.append(b"[")
            for j in range(1, int(mx) + 1):
                if j > 1:
                    out.append(b",")
                v = t[j]
                if v == 0 and type(v) is int and self.neg_zero(t, j):
                    v = -0.0
                self.value(v, depth)
            out.append(b"]")
            return
        out.append(b"{")
        first = True
        for k, v in items:
            if not first:
                out.append(b",")
            first = False
            if isinstance(k, bytes):
                self.string(k)
                out.append(b":")
            elif isinstance(k, (int, float)) and not isinstance(k, bool):
                out.append(b'"')
                self.number(-0.0 if k == 0 and self.neg_zero(t, None) else k)
                out.append(b'":')
            else:
                self.fail(k, "table key must be a number or string")
            if v == 0 and type(v) is int and self.neg_zero(t, k):
                v = -0.0
            self.value(v, depth)
        out.append(b"}")


# ---------------------------------------------------------------------------- decoding

T_OBJ_BEGIN, T_OBJ_END, T_ARR_BEGIN, T_ARR_END, T_STRING, T_NUMBER, T_BOOLEAN, T_NULL, \
    T_COLON, T_COMMA, T_END, T_WHITESPACE, T_ERROR, T_UNKNOWN = range(14)
_TOKEN_NAMES = ["T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END", "T_STRING", "T_NUMBER",
                "T_BOOLEAN", "T_NULL", "T_COLON", "T_COMMA", "T_END", "T_WHITESPACE", "T_ERROR",
                "T_UNKNOWN"]
_CH2TOKEN = [T_ERROR] * 256
for _c, _t in ((b"{", T_OBJ_BEGIN), (b"}", T_OBJ_END), (b"[", T_ARR_BEGIN), (b"]", T_ARR_END),
               (b",", T_COMMA), (b":", T_COLON), (b"\x00", T_END), (b" ", T_WHITESPACE),
               (b"\t", T_WHITESPACE), (b"\n", T_WHITESPACE), (b"\r", T_WHITESPACE)):
    _CH2TOKEN[_c[0]] = _t
for _c in b'fiInNt"+-0123456789':
    _CH2TOKEN[_c] = T_UNKNOWN


class _Token:
    __slots__ = ("type", "index", "value")


class _Decoder:
    def __init__(self, data: bytes, cfg: Config, null, table_from):
        self.b = data + b"\x00"
        self.p = 0
        self.cfg = cfg
        self.null = null
        self.table_from = table_from
        self.depth = 0

    def error(self, expected: str, tok: _Token):
        found = tok.value if tok.type == T_ERROR else _TOKEN_NAMES[tok.type]
        raise ArgError("Expected %s but found %s at character %d" % (expected, found, tok.index + 1))

    def _tok_error(self, tok, msg):
        tok.type = T_ERROR
        tok.index = self.p
        tok.value = msg

    def next(self) -> _Token:
        b = self.b
        tok = _Token()
        while True:
            ch = b[self.p]
            tok.type = _CH2TOKEN[ch]
            if tok.type != T_WHITESPACE:
                break
            self.p += 1
        tok.index = self.p
        tok.value = None
        if tok.type == T_ERROR:
            tok.value = "invalid token"
            return tok
        if tok.type == T_END:
            return tok
        if tok.type != T_UNKNOWN:
            self.p += 1
            return tok
        if ch == 0x22:
            self._string(tok)
        elif ch == 0x2D or 0x30 <= ch <= 0x39:
            if not self.cfg.decode_invalid and self._invalid_number():
                self._tok_error(tok, "invalid number")
            else:
                self._number(tok)
        elif b.startswith(b"true", self.p):
            tok.type = T_BOOLEAN
            tok.value = True
            self.p += 4
        elif b.startswith(b"false", self.p):
            tok.type = T_BOOLEAN
            tok.value = False
            self.p += 5
        elif b.startswith(b"null", self.p):
            tok.type = T_NULL
            self.p += 4
        elif self.cfg.decode_invalid and self._invalid_number():
            self._number(tok)
        else:
            self._tok_error(tok, "invalid token")
        return tok

    def _invalid_number(self) -> bool:
        b = self.b
        p = self.p
        if b[p] == 0x2B:
            return True
        if b[p] == 0x2D:
            p += 1
        if b[p] == 0x30:
            c2 = b[p + 1]
            return (c2 | 0x20) == 0x78 or 0x30 <= c2 <= 0x39
        if b[p] <= 0x39:
            return False
        low = b[p:p + 3].lower()
        return low in (b"inf", b"nan")

    def _number(self, tok) -> None:
        r = strtod(self.b, self.p)
        tok.type = T_NUMBER
        if r is None:
            self._tok_error(tok, "invalid number")
            return
        tok.value, self.p = r

    def _string(self, tok) -> None:
        b = self.b
        self.p += 1
        out = bytearray()
        while True:
            ch = b[self.p]
            if ch == 0x22:
                break
            if ch == 0:
                self._tok_error(tok, "unexpected end of string")
                return
            if ch == 0x5C:
                e = b[self.p + 1]
                if e == 0x75:
                    if self._unicode(out) == 0:
                        continue
                    self._tok_error(tok, "invalid unicode escape code")
                    return
                r = _UNESC.get(e)
                if r is None:
                    self._tok_error(tok, "invalid escape code")
                    return
                out += r
                self.p += 2
                continue
            out.append(ch)
            self.p += 1
        self.p += 1
        tok.type = T_STRING
        tok.value = bytes(out)

    def _hex4(self, i: int) -> int:
        h = self.b[i:i + 4]
        if len(h) < 4 or not all(c in b"0123456789abcdefABCDEF" for c in h):
            return -1
        return int(h, 16)

    def _unicode(self, out) -> int:
        cp = self._hex4(self.p + 2)
        if cp < 0:
            return -1
        n = 6
        if (cp & 0xF800) == 0xD800:
            if cp & 0x400:
                return -1
            if self.b[self.p + 6:self.p + 8] != b"\\u":
                return -1
            low = self._hex4(self.p + 8)
            if low < 0 or (low & 0xFC00) != 0xDC00:
                return -1
            cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000
            n = 12
        out += chr(cp).encode("utf-8", "surrogatepass")
        self.p += n
        return 0

    def descend(self):
        self.depth += 1
        if self.depth > self.cfg.decode_max_depth:
            raise ArgError("Found too many nested data structures (%d) at character %d"
                           % (self.depth, self.p))

    def value(self, tok):
        t = tok.type
        if t in (T_STRING, T_NUMBER, T_BOOLEAN):
            return tok.value
        if t == T_NULL:
            return self.null
        if t == T_OBJ_BEGIN:
            return self.obj()
        if t == T_ARR_BEGIN:
            return self.arr()
        self.error("value", tok)

    def obj(self):
        self.descend()
        d = {}
        tok = self.next()
        if tok.type == T_OBJ_END:
            self.depth -= 1
            return self.table_from(d)
        while True:
            if tok.type != T_STRING:
                self.error("object key string", tok)
            key = tok.value
            tok = self.next()
            if tok.type != T_COLON:
                self.error("colon", tok)
            d.pop(key, None)
            d[key] = self.value(self.next())
            tok = self.next()
            if tok.type == T_OBJ_END:
                self.depth -= 1
                return self.table_from(d)
            if tok.type != T_COMMA:
                self.error("comma or object end", tok)
            tok = self.next()

    def arr(self):
        self.descend()
        items = []
        tok = self.next()
        if tok.type == T_ARR_END:
            self.depth -= 1
            return self.table_from(items)
        while True:
            items.append(self.value(tok))
            tok = self.next()
            if tok.type == T_ARR_END:
                self.depth -= 1
                return self.table_from(items)
            if tok.type != T_COMMA:
                self.error("comma or array end", tok)
            tok = self.next()


def _bool_arg(v, fname):
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, bytes):
        if v in (b"on", b"off"):
            return v == b"on"
    raise ArgError("bad argument #1 to '%s' (invalid option '%s')"
                   % (fname, v.decode("latin-1") if isinstance(v, bytes) else v))


def _int_arg(args, i, fname, lo, hi):
    if i >= len(args) or args[i] is None:
        return None
    v = args[i]
    if isinstance(v, bytes):
        try:
            v = float(v)
        except ValueError:
            v = None
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        raise ArgError("bad argument #%d to '%s' (number expected, got %s)"
                       % (i + 1, fname, typename(args[i])))
    v = int(v)
    if not lo <= v <= hi:
        raise ArgError("bad argument #%d to '%s' (expected integer between %d and %d)"
                       % (i + 1, fname, lo, hi))
    return v


class _Lua:
    """What the library's Python functions need from the Lua state.  They reach it through a
    weak reference: they are themselves referenced from that state, and a strong reference back
    would keep a flushed state (SCRIPT FLUSH) alive forever."""

    __slots__ = ("rt", "loadstring", "null", "is_null", "neg_zero", "__weakref__")


# What lupa cannot tell Python: whether a number is -0 (it hands -0 over as the integer 0).
# neg_zero(t, k): is t[k] -0 (k nil: is t's key 0 a -0)?  _ENCODE_NEG_ZERO: cjson.encode of a
# -0 itself answers "-0" in the glue.
_NEG_ZERO_CODE = b"""
local rawget, next = rawget, next
return function(t, k)
  if k == nil then
    for key in next, t do if key == 0 then return 1 / key < 0 end end
    return false
  end
  local v = rawget(t, k)
  return v == 0 and 1 / v < 0
end
"""
_ENCODE_NEG_ZERO = b"  local v = ... if v == 0 and 1 / v < 0 and select('#', ...) == 1 then return '-0' end"


def install(rt, loadstring, keep):
    null_code = (b"local p = newproxy(true)\n"
                 b"getmetatable(p).__tostring = function() return 'userdata: (nil)' end\n"
                 b"getmetatable(p).__metatable = false\n"
                 b"return p, function(v) return rawequal(v, p) end\n")
    h = _Lua()
    h.rt = rt
    h.loadstring = loadstring
    h.null, h.is_null = loadstring(null_code, b"=perdure")()
    h.neg_zero = loadstring(_NEG_ZERO_CODE, b"=perdure")()
    keep.append(h)
    return _make(weakref.ref(h))


def _make(lua):
    cfg = Config()
    h = lua()
    rt, loadstring, null = h.rt, h.loadstring, h.null
    del h

    def tf(v):
        return lua().rt.table_from(v)

    def is_null(v):
        return lua().is_null(v) is True

    def neg_zero(t, k):
        return lua().neg_zero(t, k) is True

    def encode(*a):
        if len(a) != 1:
            raise ArgError("bad argument #1 to 'encode' (expected 1 argument)")
        enc = _Encoder(cfg, is_null, neg_zero)
        enc.value(a[0], 0)
        return b"".join(enc.out)

    def decode(*a):
        if len(a) != 1:
            raise ArgError("bad argument #1 to 'decode' (expected 1 argument)")
        v = a[0]
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            v = fmt_number(v)
        if not isinstance(v, bytes):
            raise ArgError("bad argument #1 to 'decode' (string expected, got %s)" % typename(v))
        if len(v) >= 2 and (not v[0] or not v[1]):
            raise ArgError("JSON parser does not support UTF-16 or UTF-32")
        d = _Decoder(v, cfg, lua().null, tf)
        res = d.value(d.next())
        tok = d.next()
        if tok.type != T_END:
            d.error("the end", tok)
        return res

    def encode_sparse_array(*a):
        if a and a[0] is not None:
            cfg.sparse_convert = _bool_arg(a[0], "encode_sparse_array")
        r = _int_arg(a, 1, "encode_sparse_array", 0, 2 ** 31 - 1)
        if r is not None:
            cfg.sparse_ratio = r
        s = _int_arg(a, 2, "encode_sparse_array", 0, 2 ** 31 - 1)
        if s is not None:
            cfg.sparse_safe = s
        return cfg.sparse_convert, cfg.sparse_ratio, cfg.sparse_safe

    def _int_cfg(attr, fname, lo, hi):
        def f(*a):
            v = _int_arg(a, 0, fname, lo, hi)
            if v is not None:
                setattr(cfg, attr, v)
            return getattr(cfg, attr)
        return f

    def _bool_cfg(attr, fname, allow_null=False):
        def f(*a):
            if a and a[0] is not None:
                v = a[0]
                if allow_null and v == b"null":
                    setattr(cfg, attr, "null")
                else:
                    setattr(cfg, attr, _bool_arg(v, fname))
            v = getattr(cfg, attr)
            return b"null" if v == "null" else v
        return f

    def new(*a):
        return _make(lua)

    funcs = {
        b"encode": encode, b"decode": decode, b"new": new,
        b"encode_sparse_array": encode_sparse_array,
        b"encode_max_depth": _int_cfg("encode_max_depth", "encode_max_depth", 1, 2 ** 31 - 1),
        b"decode_max_depth": _int_cfg("decode_max_depth", "decode_max_depth", 1, 2 ** 31 - 1),
        b"encode_number_precision": _int_cfg("precision", "encode_number_precision", 1, 14),
        b"encode_keep_buffer": _bool_cfg("keep_buffer", "encode_keep_buffer"),
        b"encode_invalid_numbers": _bool_cfg("encode_invalid", "encode_invalid_numbers", True),
        b"decode_invalid_numbers": _bool_cfg("decode_invalid", "decode_invalid_numbers"),
    }
    lib = glue(rt, loadstring, list(funcs), funcs, variadic=(b"encode_sparse_array",),
               negzero=(b"decode",), pre={b"encode": _ENCODE_NEG_ZERO})
    lib[b"null"] = null
    lib[b"_NAME"] = b"cjson"
    lib[b"_VERSION"] = b"2.1.0"
    return lib
