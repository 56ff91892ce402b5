"""Lua scripting for the differential test: EVAL / EVALSHA / SCRIPT LOAD|EXISTS|FLUSH|KILL.

Scripts are composed at random from fragments, all deterministic on Redis itself:

* **call scripts**: one to four ``redis.call`` / ``redis.pcall`` of commands drawn from the
  other families' own generators (so every option and bad argument they know), their key
  arguments moved onto this family's keys (``s1`` -> ``ls1``...) and passed as ``KEYS``
  (rarely a literal key, or another family's key left as it is: WRONGTYPE inside scripts);
  other arguments as Lua string literals, as ``ARGV[i]`` or as Lua numbers (``%.17g``);
  optionally after ``redis.setresp(3)`` (RESP3 replies seen by Lua), ``redis.call('TIME')``
  (a random command, then writes: effects replication), ``redis.replicate_commands()`` or
  ``SELECT 1``; returning the last reply, all of them in a table, their Lua ``type``, or their
  ``cjson``/``cmsgpack`` encoding;
* **value scripts**: a random Lua value (numbers truncated, strings, booleans, nil, nested
  tables with holes, ``{ok=}``, ``{err=}``, ``status_reply``/``error_reply``, ``{double=}``,
  ``{map=}``, ``{set=}``) returned as it is or through cjson/cmsgpack;
* **library / error scripts**: pools of cjson, cmsgpack, struct, bit, sha1hex, tonumber /
  tostring / string.format snippets over ``ARGV``, runtime and compile errors, the global
  protection, bad ``redis.*`` calls, commands scripts may not run.

Two things keep replies comparable, both inside the script so that both servers run them: a
command whose reply is unordered in Redis itself (SMEMBERS, HKEYS, HGETALL, SINTER, KEYS, SORT
BY nosort...) has its reply sorted by the script (``N``/``NP``: arrays sorted, pairs sorted by
field, RESP3 sets and maps rebuilt in key order -- same Lua, same insertion order, same
``next`` order); a ``SORT`` is preceded by ``redis.pcall`` of the oracle's errno reset (see
``ERRNO_RESET`` in ``test_differential.py``).  Random commands (SPOP, SRANDMEMBER, RANDOMKEY,
SCAN...) and TTL reads are not embedded, TIME/RANDOMKEY only as a call whose reply is dropped.
"""

from __future__ import annotations

import hashlib
import re

from hypothesis import strategies as st

from . import commands as base
from .commands import (
    FAMILIES,
    FLOATS,
    HASH_KEYS,
    INTS,
    LIST_KEYS,
    NONDETERMINISTIC_MODES,
    OTHER_KEYS,
    SET_KEYS,
    STRING_KEYS,
    STRS,
    TX_EXTRA,
    ZSET_KEYS,
    C,
    Cmd,
    Seq,
    either,
    pick,
    rare,
    register,
)

# --------------------------------------------------------------------------- key space

BASE_KEYS = STRING_KEYS + HASH_KEYS + LIST_KEYS + SET_KEYS + ZSET_KEYS + OTHER_KEYS
MAPPED = {k: b"l" + k for k in BASE_KEYS}   # s1 -> ls1, h1 -> lh1, st1 -> lst1, x -> lx
LUA_KEYS = tuple(MAPPED.values())
EMBED_FAMILIES = ("strings", "keys", "hashes", "lists", "sets", "zsets")
# SORT BY nosort of a set is not here: from a script, Redis sorts it (ALPHA) by itself
UNORDERED = {"hash": "N", "set": "N", "sort": "N", "hashpairs": "NP"}
# replies Redis sorts for a script replicated whole (RESP2 arrays only: not after setresp(3))
TO_SORT = (b"SMEMBERS", b"SINTER", b"SUNION", b"SDIFF", b"HKEYS", b"HVALS", b"KEYS")
SKIP_MODES = NONDETERMINISTIC_MODES + ("ttl", "pttl")
# INCRBYFLOAT rewrites its argv to SET key value KEEPTTL (4 arguments, one more than it had):
# from a script, that corrupts Redis 6.2.14's heap (the Lua client's cached argv array) and the
# oracle crashes a few commands later, so scripts never call it
SKIP_NAMES = (b"INCRBYFLOAT",)
ERRNO_RESET = "redis.pcall('ZUNION', '1', '__errno_reset__', 'WEIGHTS', '1')"


class LuaCmd(Cmd):
    """A script whose commands may touch every key (SWAPDB, FLUSHDB inside it)."""

    __slots__ = ("all_keys",)

    def __init__(self, args, all_keys=False):
        super().__init__(args)
        self.all_keys = all_keys

    def touched(self):
        if self.all_keys:
            return base.ALL_KEYS
        return super().touched()


def L(*args, all_keys=False) -> LuaCmd:
    return LuaCmd(tuple(a if isinstance(a, bytes) else str(a).encode() for a in args), all_keys)


# --------------------------------------------------------------------------- Lua text


def lua_str(b: bytes) -> str:
    out = ['"']
    for ch in b:
        if ch in (0x22, 0x5C):
            out.append("\\" + chr(ch))
        elif 32 <= ch < 127:
            out.append(chr(ch))
        else:
            out.append("\\%03d" % ch)
    out.append('"')
    return "".join(out)


_LUA_INT = re.compile(rb"-?(0|[1-9][0-9]{0,19})\Z")
_LUA_FLOAT = re.compile(rb"-?([0-9]+\.?[0-9]*|\.[0-9]+)(e-?[0-9]+)?\Z")


class Script:
    """The KEYS and ARGV a script under construction refers to."""

    def __init__(self):
        self.keys: list[bytes] = []
        self.argv: list[bytes] = []
        self.all_keys = False
        self.whole = False   # run with lua-replicate-commands no
        self.resp3 = False   # redis.setresp(3) was called

    def key_ref(self, draw, k: bytes) -> str:
        if k in self.keys and draw(st.booleans()):
            return "KEYS[%d]" % (self.keys.index(k) + 1)
        if rare(draw, 10):
            return lua_str(k)
        self.keys.append(k)
        return "KEYS[%d]" % len(self.keys)

    def arg_ref(self, draw, a: bytes) -> str:
        roll = draw(st.integers(0, 9))
        if roll < 3:
            self.argv.append(a)
            return "ARGV[%d]" % len(self.argv)
        if roll < 5 and (_LUA_INT.match(a) or _LUA_FLOAT.match(a)):
            return a.decode()
        return lua_str(a)


def _embedded_cmd(draw) -> Cmd:
    fam = pick(draw, EMBED_FAMILIES)
    gens = FAMILIES[fam] + TX_EXTRA.get(fam, ())
    for _ in range(5):
        cmd = pick(draw, gens)(draw)
        if cmd.mode not in SKIP_MODES and cmd.name not in SKIP_NAMES:
            return cmd
    return base.C(b"GET", b"s1")


def _call_expr(draw, sc: Script, cmd: Cmd) -> tuple[str, list[str]]:
    """``redis.call(...)`` of ``cmd`` (keys moved onto KEYS) and the statements before it."""
    before = []
    if cmd.name in (b"SORT", b"SORT_RO"):
        before.append(ERRNO_RESET)
    if cmd.name in (b"SWAPDB", b"FLUSHDB", b"FLUSHALL"):
        sc.all_keys = True
    name = cmd.args[0] if cmd.args else b"PING"
    name = pick(draw, (name, name, name.lower()))
    parts = [lua_str(name)]
    for a in cmd.args[1:]:
        if a in MAPPED:
            k = a if rare(draw, 10) else MAPPED[a]
            parts.append(sc.key_ref(draw, k))
        else:
            parts.append(sc.arg_ref(draw, a))
    fn = "redis.pcall" if rare(draw, 3) else "redis.call"
    expr = "%s(%s)" % (fn, ", ".join(parts))
    wrap = UNORDERED.get(cmd.mode)
    if wrap and not (sc.whole and not sc.resp3 and cmd.name in TO_SORT):
        expr = "%s(%s)" % (wrap, expr)
    return expr, before


NORMALISERS = """\
local function K(x) return type(x) .. tostring(x) end
local function LT(x, y) return K(x) < K(y) end
local function N(r)
  if type(r) ~= 'table' or r.err or r.ok then return r end
  if r.set then
    local a = {} for k in pairs(r.set) do a[#a + 1] = k end
    table.sort(a, LT)
    local s = {} for _, k in ipairs(a) do s[k] = true end
    return {set = s}
  end
  if r.map then
    local a = {} for k in pairs(r.map) do a[#a + 1] = k end
    table.sort(a, LT)
    local m = {} for _, k in ipairs(a) do m[k] = r.map[k] end
    return {map = m}
  end
  local a = {} for _, v in pairs(r) do a[#a + 1] = v end
  table.sort(a, LT)
  return a
end
local function NP(r)
  if type(r) ~= 'table' or r.err or r.ok or r.map then return N(r) end
  local p = {} for i = 1, #r, 2 do p[#p + 1] = {r[i], r[i + 1]} end
  table.sort(p, function(x, y) return K(x[1]) < K(y[1]) end)
  local a = {} for _, q in ipairs(p) do a[#a + 1] = q[1]; a[#a + 1] = q[2] end
  return a
end
"""

PREFIXES = (
    "redis.setresp(3)",
    "redis.setresp(3)",
    "redis.setresp(2)",
    "redis.call('TIME')",
    "redis.replicate_commands()",
    "redis.call('RANDOMKEY')",
    "redis.call('SELECT', 1)",
    "redis.set_repl(redis.REPL_ALL)",
    "redis.log(redis.LOG_DEBUG, 'fuzz', 1)",
    "local a, b = math.random(100), math.random()",
)

CALL_RETURNS = (
    "return {LAST}",
    "return {LAST}",
    "return {ALL}",
    "return {ALL}",
    "return type({LAST})",
    "return cjson.encode({LAST})",
    "return cmsgpack.pack({LAST})",
    "return #{ALL}",
    "",
)


def _call_script(draw, sc: Script) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 2))):
        if rare(draw, 2):
            lines.append(pick(draw, PREFIXES))
    names = []
    if any("setresp(3)" in x for x in lines):
        sc.resp3 = True
    uses_norm = False
    for i in range(draw(st.integers(1, 4))):
        cmd = _embedded_cmd(draw)
        expr, before = _call_expr(draw, sc, cmd)
        uses_norm = uses_norm or "N(" in expr
        lines.extend(before)
        v = "v%d" % (i + 1)
        names.append(v)
        lines.append("local %s = %s" % (v, expr))
    ret = pick(draw, CALL_RETURNS)
    lines.append(ret.replace("{LAST}", names[-1]).replace("{ALL}", "{" + ", ".join(names) + "}"))
    if rare(draw, 6):
        # ``return redis.call(...)`` directly: a tail call (line numbers of errors)
        lines[-2:] = ["return " + lines[-2].split(" = ", 1)[1]]
    body = "\n".join(lines)
    if uses_norm:
        body = NORMALISERS + body
    elif rare(draw, 5):
        body = body.replace("\n", " ")
    return body


# --------------------------------------------------------------------------- Lua values

SCALARS = (
    "0", "1", "-1", "3.99", "-3.9", "0.5", "-0.5", "1e20", "-1e20", "2^53", "2^63", "-2^63",
    "2^63 - 1024", "9007199254740993", "1/0", "-1/0", "0/0", "-0", "1e-300", "123456789012",
    "'a'", "''", "'hello world'", "'\\0\\1\\255'", "'a\\r\\nb'", "'-ERR x'", "'+OK'", "'1.5'",
    "true", "false", "nil", "ARGV[1]", "KEYS[1]", "ARGV[9]", "#ARGV", "tostring(0.1)",
    "string.rep('x', 70)",
)
STATUS_TEXTS = ("'OK'", "'x\\r\\ny'", "''", "'PONG'", "ARGV[1]", "'-neg'", "1", "nil", "{}")


def lua_value(draw, depth: int = 0) -> str:
    roll = draw(st.integers(0, 12 if depth < 2 else 0))
    if roll <= 4:
        return pick(draw, SCALARS)
    if roll <= 6:
        items = [lua_value(draw, depth + 1) for _ in range(draw(st.integers(0, 4)))]
        if rare(draw, 4):
            items.append("k = " + lua_value(draw, depth + 1))
        return "{" + ", ".join(items) + "}"
    if roll == 7:
        return pick(draw, ("{ok = %s}", "{err = %s}", "redis.status_reply(%s)", "redis.error_reply(%s)",
                           "{ok = %s, err = 'e'}", "{1, 2, ok = %s}")) % pick(draw, STATUS_TEXTS)
    if roll == 8:
        field = pick(draw, ("double", "double", "double", "big_number", "verbatim_string"))
        return "{%s = %s}" % (field, pick(draw, ("1.5", "-0.1", "1/0", "-1/0", "0/0", "3", "1e300", "'1.5'",
                                                  "2^63", "5e-324", "-0", "'x'")))
    if roll == 9:
        pairs = ["[%s] = %s" % (pick(draw, ("'a'", "'b'", "1", "2.5", "true", "'c'")), lua_value(draw, depth + 1))
                 for _ in range(draw(st.integers(0, 3)))]
        return "{map = {%s}}" % ", ".join(pairs)
    if roll == 10:
        members = ["[%s] = %s" % (pick(draw, ("'a'", "'b'", "1", "'z'", "false")), pick(draw, ("true", "1", "false")))
                   for _ in range(draw(st.integers(0, 3)))]
        return "{set = {%s}}" % ", ".join(members)
    if roll == 11:
        return "{%s, nil, %s}" % (lua_value(draw, depth + 1), lua_value(draw, depth + 1))
    return "{{%s}}" % lua_value(draw, depth + 1)


def _value_script(draw, sc: Script) -> str:
    v = lua_value(draw)
    head = pick(draw, ("", "", "", "redis.setresp(3) ", "redis.setresp(2) "))
    how = pick(draw, ("return %s", "return %s", "return %s", "return cjson.encode(%s)",
                      "return cmsgpack.pack(%s)", "return type(%s)", "local t = %s return t",
                      "return {%s}", "return (%s)"))
    return head + how % v


# --------------------------------------------------------------------------- libraries

JSON = (b'{"a":1,"b":[1,2,3]}', b"[1,2,null,4]", b'"str"', b"1e5", b"12345678901234567890",
        b"[]", b"{}", b"nul", b"[1,2", b'{"a":}', b"", b"true", b'"\\u00e9\\n"', b"-0",
        b'{"1":"x","2":"y"}', b"[[[[[[1]]]]]]", b"0.1", b"1.5e308", b"1e400", b'"\\ud800"')
MSGPACK = (b"\x93\x01\x02\x03", b"\x81\xa1a\x01", b"\xc0", b"\xc3", b"\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00",
           b"\xa3abc", b"\x91", b"\xcf\xff\xff\xff\xff\xff\xff\xff\xff", b"\xd3\x80\x00\x00\x00\x00\x00\x00\x00",
           b"", b"\xc1", b"\x01\x02", b"\xdc\x00\x01\x07", b"\xca\x3f\xc0\x00\x00")
STRUCT_FMTS = (b">I2", b"<i4", b"b", b"B", b"h", b">H", b"<l", b"L", b"i8", b">d", b"<f", b"s", b"c5",
               b"c0", b"i3", b"I9", b"!4i", b"x", b"bbb", b">Ii", b"z", b"q")
NUMS = (b"1", b"-1", b"0", b"300", b"65535", b"4294967296", b"1.5", b"-0.5", b"1e10", b"abc", b"",
        b"0x10", b" 10 ", b"1e", b"inf", b"nan", b"9007199254740993", b"-2147483648", b"0x7fffffff")

LIB_SNIPPETS = (
    # cjson
    "return cjson.encode(cjson.decode(ARGV[1]))",
    "return cjson.decode(ARGV[1])",
    "local t = cjson.decode(ARGV[1]) return type(t) == 'table' and #t or t",
    "return cjson.encode({1, 2, 3, 'x', true, false})",
    "return cjson.encode({a = 1})",
    "return cjson.encode(ARGV)",
    "return cjson.encode({[1] = 1, [3] = 3})",
    "return cjson.encode({[1] = 1, [20] = 3})",
    "return cjson.encode({0.1, 1/3, 1e100, -0, 2^53})",
    "return cjson.encode(1/0)",
    "return cjson.encode(ARGV[1])",
    "return cjson.encode(tonumber(ARGV[1]))",
    "return cjson.encode(cjson.null)",
    "return cjson.encode({})",
    "return cjson.encode(function() end)",
    "return cjson.encode({{{{{{}}}}}})",
    "return cjson.decode()",
    "return cjson.encode()",
    # cmsgpack
    "return cmsgpack.pack(ARGV[1], tonumber(ARGV[1]), 1, -1, 2^32, -2^40, 1.5, true, false)",
    "return cmsgpack.pack({1, 2, 3}, {a = 1})",
    "return cmsgpack.pack(string.rep('x', 40), string.rep('y', 300))",
    "return {cmsgpack.unpack(ARGV[1])}",
    "return cmsgpack.unpack(ARGV[1])",
    "return cmsgpack.pack(cmsgpack.unpack(ARGV[1]))",
    "return cmsgpack.pack()",
    "return cmsgpack.unpack()",
    "return cmsgpack.pack(0.1, -0.5, 1e300, 1/0, 255, 256, 65536, -33, -129, -32769)",
    # struct
    "return struct.pack(ARGV[2], tonumber(ARGV[1]) or 0)",
    "return {struct.unpack(ARGV[2], ARGV[1])}",
    "return struct.size(ARGV[2])",
    "return {struct.unpack(ARGV[2], struct.pack(ARGV[2], 7))}",
    "return struct.pack('>I2', 300)",
    "return struct.pack('s', ARGV[1])",
    "return {struct.unpack('<i4', '\\1\\0\\0\\0', 1)}",
    "return {struct.unpack('<i4', '\\1\\0\\0\\0', 3)}",
    # bit
    "return bit.band(tonumber(ARGV[1]) or 0, 255)",
    "return bit.bor(1, 2, 4, tonumber(ARGV[1]) or 8)",
    "return bit.bxor(-1, tonumber(ARGV[1]) or 1)",
    "return bit.lshift(1, tonumber(ARGV[1]) or 3)",
    "return bit.rshift(-1, tonumber(ARGV[1]) or 3)",
    "return bit.arshift(-256, tonumber(ARGV[1]) or 4)",
    "return bit.tohex(tonumber(ARGV[1]) or 255)",
    # n = -2^31 overflows a buffer in Redis 6.2.14's bit.tohex (CVE-2024-31449): kept to |n| <= 20
    "local n = tonumber(ARGV[1]) or -4 if not (n >= -20 and n <= 20) then n = 16 end "
    "return bit.tohex(255, n)",
    "return bit.bnot(tonumber(ARGV[1]) or 0)",
    "return bit.tobit(tonumber(ARGV[1]) or 2^32 + 5)",
    "return bit.bswap(tonumber(ARGV[1]) or 1)",
    "return {bit.rol(1, 33), bit.ror(1, 1), bit.tobit(2^31)}",
    "return bit.band()",
    "return bit.band('x')",
    # sha1hex, numbers, strings
    "return redis.sha1hex(ARGV[1])",
    "return redis.sha1hex(tonumber(ARGV[1]))",
    "return redis.sha1hex()",
    "return redis.sha1hex(nil)",
    "return redis.sha1hex({})",
    "return tonumber(ARGV[1])",
    "return tostring(tonumber(ARGV[1]))",
    "return {tostring(tonumber(ARGV[1]))}",
    "return tostring(tonumber(ARGV[1], 16))",
    "return tostring(tonumber(ARGV[1]) * 3)",
    "return string.format('%d %5.2f %s %q', tonumber(ARGV[1]) or 0, tonumber(ARGV[1]) or 0, ARGV[1], ARGV[1])",
    "return string.format('%x', tonumber(ARGV[1]) or 0)",
    "return string.format('%g %e', tonumber(ARGV[1]) or 0, 1/3)",
    "return {tostring(1e15), tostring(1e16), tostring(-0), tostring(2^63), tostring(0.1), tostring(1/0)}",
    "return tostring(math.huge) .. tostring(-math.huge) .. tostring(math.pi)",
    "return {math.floor(-3.5), math.ceil(-3.5), math.fmod(7, -3), math.max(1, 5, 3), math.abs(-2)}",
    "return {string.byte(ARGV[1], 1, -1)}",
    "return string.char(72, 105)",
    "return {string.find(ARGV[1], '1'), string.match(ARGV[1], '%d+')}",
    "return string.gsub(ARGV[1], '%d', 'N')",
    "return {string.gsub(ARGV[1], '%d', 'N')}",
    "return table.concat({1, 2, 'x', 3.5}, ',')",
    "return table.concat(ARGV, '|')",
    "return {select('#', unpack(ARGV))}",
    "return string.rep(ARGV[1], 3, ',')",
    "return string.upper(ARGV[1]) .. string.lower(ARGV[1]) .. #ARGV[1]",
    "return string.sub(ARGV[1], 2, -2)",
    "return {math.random(10), math.random(5, 8), tostring(math.random())}",
    "math.randomseed(tonumber(ARGV[1]) or 7) return {math.random(1000), math.random(1000)}",
    "return math.random(0)",
    "return math.random(3, 1)",
    "return math.random(1, 2, 3)",
    "return tostring(math.random())",
    "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING, redis.REPL_ALL}",
    "return redis.replicate_commands()",
    "return {pcall(error, 'x')}",
    "return {pcall(error)}",
    "return {pcall(redis.call, 'GET')}",
    "return {pcall(redis.call, 'NOSUCH')}",
    "return {xpcall(function() error('in') end, function(e) return 'handled: ' .. e end)}",
    "return loadstring('return 1 + 1')()",
    "return {loadstring('return +')}",
    "return {loadstring(string.dump(function() return 1 end))}",
    "return coroutine.wrap(function() return redis.call('PING') end)()",
    "local co = coroutine.create(function(a) coroutine.yield(a + 1) return 'end' end) "
    "return {coroutine.resume(co, 1)}",
    "return {unpack({1, 2, 3})}",
    "return {next({})}",
    "return rawget(_G, 'x') == nil",
    "return type(_G)",
    "return #KEYS + #ARGV",
    "return {KEYS, ARGV}",
    "return ARGV",
    "return KEYS",
    "return _VERSION",
)
LIB_ARGS = JSON + MSGPACK + NUMS + STRS[:6]

ERROR_SNIPPETS = (
    # compile errors
    "return 1 +", "retur 1", "local = 3", "return 'unterminated", "return )", "x(", "return {",
    "for i = 1 do end", "return 1 end", "function", "return \"a\\q\"", "--[[ unfinished",
    "return 1\nreturn 2", "\n\nreturn 1 +", "return 0x", "local t = {} t.x.y = 1 +",
    # runtime errors
    "return nil + 1", "local t = nil return t.x", "return undefined_global", "x = 5",
    "error('boom')", "error('boom', 0)", "error('boom', 2)", "error(123)", "error({})",
    "error({err = 'custom'})", "error()", "assert(false)", "assert(false, 'msg')", "assert(nil, 12)",
    "return string.rep()", "return ('x'):bad()", "return #nil", "return {} .. 'a'", "return -{}",
    "return 1 < 'x'", "local f f()", "return math.floor('x')", "return table.sort({3, 1, 'a'})",
    "return string.format('%d', 'x')", "return tostring()", "return setmetatable(1, {})",
    "local t = setmetatable({}, {__index = function() error('idx') end}) return t.x",
    "return string.sub()", "return ARGV[1] + 1", "return KEYS[1] .. nil",
    # redis.* misuse
    "return redis.call()", "return redis.pcall()", "return redis.call({})", "return redis.call('GET', {})",
    "return redis.call('GET', nil)", "return redis.call('GET', true)", "return redis.call(1)",
    "return redis.call('nosuchcommand')", "return redis.pcall('nosuchcommand', 'a')",
    "return redis.call('GET')", "return redis.pcall('GET')", "return redis.call('SET', 'a')",
    "return redis.call('EVAL', 'return 1', 0)", "return redis.call('MULTI')", "return redis.call('EXEC')",
    "return redis.call('WATCH', 'k')", "return redis.call('SUBSCRIBE', 'c')", "return redis.call('SCRIPT', 'FLUSH')",
    "return redis.call('CLIENT', 'ID')", "return redis.call('SAVE')", "return redis.call('BLPOP', 'll1', 0)",
    "return redis.call('BRPOPLPUSH', 'll1', 'll2', 0)", "return redis.call('QUIT')", "return redis.call('AUTH', 'x')",
    "return redis.call('HELLO')", "return redis.call('EVALSHA', 'x', 0)", "return redis.pcall('MULTI')",
    "return redis.call('PING')", "return redis.call('ECHO', 1.5)", "return redis.call('ECHO', 0.1)",
    "return redis.call('ECHO', 2^63)", "return redis.call('ECHO', -0)", "return redis.call('ECHO', 1/0)",
    "return redis.call('ECHO', -1/0)", "return redis.call('ECHO', 1e15)", "return redis.call('ECHO', 123456789012345678)",
    "return redis.call('ECHO', 0/0)",
    "return redis.call('DBSIZE', 'x')", "return redis.call('select', 99)", "return redis.call('SELECT', 'x')",
    "return redis.call('WAIT', 0, 0)", "return redis.call('PUBLISH', 'c', 'm')", "return redis.call('OBJECT', 'HELP')",
    "return redis.pcall('INCR', 'ls1', 'x')", "return redis.error_reply()", "return redis.error_reply(1)",
    "return redis.status_reply('a', 'b')", "return redis.setresp()", "return redis.setresp(4)",
    "return redis.setresp('3')", "redis.setresp(3.9) return redis.call('GET', 'nokey')",
    "return redis.set_repl()", "return redis.set_repl(99)", "return redis.set_repl('x')",
    "return redis.log()", "return redis.log(99, 'x')", "return redis.log('x', 'y')", "return redis.log(1)",
    "return redis.breakpoint()", "return redis.debug('x')",
    # global protection
    "_G.x = 1", "rawset(_G, 'x', 1)", "redis.call = nil", "string.len = nil", "redis = nil",
    "cjson.encode = nil", "math.x = 1", "setmetatable(_G, nil)", "getmetatable('').__index = nil",
    "return os.time()", "return io.write('x')", "return debug.getinfo(1)", "return require('x')",
    "return dofile('/x')", "return loadfile('/x')", "return package", "return print == nil",
    "return _G.undefined", "local t = {} t.x = 1 return t.x", "return rawget(_G, 'undefined')",
    "function f() end", "local function f() return 1 end return f()", "KEYS = {}", "ARGV[1] = 'x' return ARGV[1]",
    "return getmetatable(_G)", "return getmetatable('').__index == string",
)


def _lib_script(draw, sc: Script) -> str:
    snippet = pick(draw, LIB_SNIPPETS)
    sc.argv += [pick(draw, LIB_ARGS), pick(draw, STRUCT_FMTS)]
    return snippet


def _error_script(draw, sc: Script) -> str:
    snippet = pick(draw, ERROR_SNIPPETS)
    if rare(draw, 3):
        sc.argv.append(pick(draw, INTS + FLOATS))
    if rare(draw, 4):
        snippet = "\n" * draw(st.integers(1, 3)) + snippet
    return snippet


def _script(draw, whole=False) -> tuple[str, Script]:
    sc = Script()
    sc.whole = whole
    kind = draw(st.integers(0, 9))
    if kind <= 4:
        body = _call_script(draw, sc)
    elif kind <= 6:
        body = _value_script(draw, sc)
        sc.argv.append(pick(draw, INTS + STRS[:4]))
    elif kind == 7:
        body = _lib_script(draw, sc)
    else:
        body = _error_script(draw, sc)
    return body, sc


def _numkeys(draw, sc: Script, extra_args: int) -> bytes:
    n = len(sc.keys)
    return either(draw, (str(n).encode(),),
                  (b"-1", b"x", str(n + extra_args + 1).encode(), b"", b" 1", b"01",
                   b"9223372036854775808", b"1.5"), 12)


def _eval(draw, whole=False):
    body, sc = _script(draw, whole)
    extra = [pick(draw, (b"a", b"1", b"ls1")) for _ in range(draw(st.integers(0, 1)))] if rare(draw, 6) else []
    argv = sc.argv + extra
    return L(b"EVAL", body.encode("latin-1"), _numkeys(draw, sc, len(argv)), *sc.keys, *argv,
             all_keys=sc.all_keys)


# --------------------------------------------------------------------------- EVALSHA & SCRIPT

# A small fixed pool, so that SCRIPT LOAD / EVALSHA / SCRIPT EXISTS meet the same scripts.
POOL = (
    b"return 1",
    b"return {KEYS[1], ARGV[1]}",
    b"return redis.call('INCR', KEYS[1])",
    b"return redis.call('SET', KEYS[1], ARGV[1] or 'v')",
    b"redis.setresp(3) return redis.call('HGETALL', KEYS[1])",
    b"return redis.call('LPUSH', KEYS[1], ARGV[1] or 'x')",
    b"return nil + ",              # does not compile
    b"error('pool error')",
    b"return redis.pcall('GET', KEYS[1])",
)
POOL_SHAS = tuple(hashlib.sha1(s).hexdigest().encode() for s in POOL)
SHAS = POOL_SHAS + (POOL_SHAS[0].upper(), b"0" * 40, b"ffffffffffffffffffffffffffffffffffffffff",
                    POOL_SHAS[1][:39], POOL_SHAS[2] + b"0", b"", b"x")


def _evalsha(draw):
    sha = pick(draw, SHAS)
    ks = [MAPPED[pick(draw, BASE_KEYS)] for _ in range(draw(st.integers(0, 2)))]
    argv = [pick(draw, INTS[:6] + STRS[:3]) for _ in range(draw(st.integers(0, 2)))]
    numkeys = either(draw, (str(len(ks)).encode(),), (b"-1", b"x", b"9"), 10)
    return L(b"EVALSHA", sha, numkeys, *ks, *argv)


def _pool_eval(draw):
    """EVAL of a pool script: caches it, as SCRIPT LOAD does."""
    body = pick(draw, POOL)
    ks = [MAPPED[pick(draw, BASE_KEYS)] for _ in range(draw(st.integers(0, 1)))]
    return L(b"EVAL", body, str(len(ks)).encode(), *ks, *[pick(draw, INTS[:4]) for _ in range(draw(st.integers(0, 1)))])


def _script_cmd(draw):
    roll = draw(st.integers(0, 9))
    if roll <= 2:
        return L(b"SCRIPT", pick(draw, (b"LOAD", b"load")), pick(draw, POOL))
    if roll <= 4:
        return L(b"SCRIPT", pick(draw, (b"EXISTS", b"exists")), *[pick(draw, SHAS) for _ in range(draw(st.integers(0, 3)))])
    if roll == 5:
        return L(b"SCRIPT", b"FLUSH", *pick(draw, ((), (b"SYNC",), (b"ASYNC",), (b"async",), (b"BAD",),
                                                   (b"SYNC", b"ASYNC"))))
    if roll == 6:
        return L(b"SCRIPT", b"LOAD", *pick(draw, ((), (b"return 1", b"x"), (b"return 1 +",))))
    return L(b"SCRIPT", *pick(draw, ((b"KILL",), (b"KILL", b"x"), (b"NOPE",), (b"EXISTS",), (b"DEBUG", b"NO"),
                                     (b"DEBUG", b"MAYBE"), (b"HELP", b"x"))))


def _whole_script_replication(draw):
    """``lua-replicate-commands no`` (6.2 can still be told to replicate scripts whole): writes
    after a random command are refused, ``to-sort`` replies (SMEMBERS, KEYS...) come sorted."""
    cmd = _eval(draw, whole=True)
    return Seq(C(b"CONFIG", b"SET", b"lua-replicate-commands", b"no"), cmd,
               C(b"CONFIG", b"SET", b"lua-replicate-commands", b"yes"))


SCRIPTING_GENS = (_eval, _eval, _eval, _eval, _eval, _eval, _evalsha, _pool_eval, _script_cmd,
                  _whole_script_replication)

register("scripting", SCRIPTING_GENS, keys=LUA_KEYS, reset=((b"SCRIPT", b"FLUSH"),))
