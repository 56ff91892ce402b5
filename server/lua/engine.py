"""One Lua 5.1 state, sandboxed and equipped as Redis 6.2.14 equips its own (scripting.c).

Lua runs in lupa's ``lua51`` module: real Lua 5.1 (doubles only, ``unpack``, ``setfenv``...),
the version Redis embeds.  Everything a script can see is built here:

* **Globals** as Redis leaves them: the base library without ``dofile``/``loadfile``/
  ``require``/``module``, and ``string``, ``table``, ``math``, ``coroutine``, ``cjson``,
  ``cmsgpack``, ``struct``, ``bit`` and ``redis``; no ``os``, ``io``, ``debug``, ``package``,
  nor lupa's ``python`` bridge (and lupa's attribute access to Python objects is refused).
* **Read-only tables** (6.2.14): the globals table and the library tables are proxies whose
  writes fail with ``Attempt to modify a readonly table``; reading a missing global fails with
  ``Script attempted to access nonexistent global variable``.  ``rawget``, ``rawset``,
  ``setmetatable`` and ``pairs`` see through the proxies as Redis's VM-level flag would.
* **Glue.**  Redis's C functions become small Lua functions compiled under the chunk name
  ``=perdure``; they check arguments and word errors exactly as the C code does, and call Python
  only for the work.  The error handler (``__redis__err__handler``, chunk ``@err_handler_def``,
  same line numbers as Redis's) treats those frames as the C frames they stand for, so every
  error reads as on Redis (``@user_script:1: user_script:1: ...``).
* **Scripts** are compiled as Redis 6.2.14 does (the body is the chunk, named ``@user_script``)
  and cached by SHA1.
* **math.random** is Redis's: its own rand48 generator, reseeded with 0 before every script.
* **Reply conversion** both ways, per Redis's rules: command replies to Lua values
  (:meth:`LuaEngine.to_lua`, RESP2 or RESP3 as ``redis.setresp`` chose) and a script's return
  value to a reply (:meth:`LuaEngine.to_reply`: integers truncated, tables cut at the first nil,
  ``{err=}``, ``{ok=}``, ``{double=}``, ``{map=}``, ``{set=}``, booleans per protocol).
* A count hook every 100,000 instructions calls ``tick`` (lua-time-limit, SCRIPT KILL).
"""

from __future__ import annotations

import hashlib
import math

import lupa.lua51 as lua51

from .. import resp
from ..errors import RedisError
from . import bitop, cjson, cmsgpack, structlib

LuaError = lua51.LuaError
_LuaTable = type(lua51.LuaRuntime().table())
INT64_MIN = -(2 ** 63)
INT64_MAX = 2 ** 63 - 1
LRAND48_MAX = 2147483647


def _deny_attributes(obj, name, is_setting):
    raise AttributeError("not allowed")


def sha1hex(data: bytes) -> bytes:
    return hashlib.sha1(data).hexdigest().encode()


class Rand48:
    """Redis's rand.c (the POSIX lrand48 generator): math.random's source inside scripts."""

    __slots__ = ("x",)

    def __init__(self):
        self.seed(0)

    def seed(self, s: int) -> None:
        s &= 0xFFFFFFFF
        self.x = ((s >> 16) << 32) | ((s & 0xFFFF) << 16) | 0x330E

    def next(self) -> int:
        self.x = (0x5DEECE66D * self.x + 0xB) & 0xFFFFFFFFFFFF
        return self.x >> 17

    def random(self) -> float:
        return (self.next() % LRAND48_MAX) / LRAND48_MAX


# --------------------------------------------------------------------------- the Lua code

# Redis's pcall error handler, line for line: errors raised inside it read "err_handler_def:9:"
# as on Redis.  Frames of our glue (chunk "=perdure") stand for Redis's C functions.
_ERR_HANDLER = b"""local dbg, GLUE = ...
function __redis__err__handler(err)
  local l = 2; local i = dbg.getinfo(l,'nSl')
  if i and i.what == 'C' then l = 3; i = dbg.getinfo(l,'nSl') end
  while i and i.source == GLUE do l = l + 1; i = dbg.getinfo(l,'nSl') end
  if i then
    -- the reply names the script's line: Redis's C frames are our glue frames
    -- (keep the concatenation below on line 9, as in Redis)
    return i.source .. ':' .. i.currentline .. ': ' .. err
  else
    return err
  end
end
"""

_BOOT = b"""
local py, libs = ...
local G = getfenv(0)
local dbg = debug
local type, error, select, tostring, tonumber = type, error, select, tostring, tonumber
local next, pairs, ipairs, unpack = next, pairs, ipairs, unpack
local r_rawget, r_rawset, r_setmetatable = rawget, rawset, setmetatable
local dgetmetatable = dbg.getmetatable
local loadstring, setfenv, pcall, xpcall = loadstring, setfenv, pcall, xpcall
local sformat, sgsub, concat = string.format, string.gsub, table.concat
local floor, huge = math.floor, math.huge
local sdump, ssub, smatch = string.dump, string.sub, string.match

for _, k in ipairs({'dofile', 'loadfile', 'require', 'module', 'package', 'io', 'os', 'debug',
                    'python'}) do
  r_rawset(G, k, nil)
end

-- luaPushError's "<source>: <line>: " prefix, for the caller of the glue function calling us
local function where()
  local i = dbg.getinfo(3, 'Sl')
  if i then return i.source .. ': ' .. i.currentline .. ': ' end
  return ''
end

local function trunc(x)
  if x ~= x then return -2147483648 end
  if x >= 0 then return floor(x) end
  return -floor(-x)
end

local function int32(x)  -- an integral number's low 32 bits, signed
  x = x % 4294967296
  if x >= 2147483648 then return x - 4294967296 end
  return x
end

local function argerror(n, fname, msg, level)
  error(sformat("bad argument #%d to '%s' (%s)", n, fname, msg), level or 3)
end

local function typename(argc, n, v)
  if n > argc then return 'no value' end
  return type(v)
end

------------------------------------------------------------------------------ redis.*
local redis = {}
local pycall, pycall_packed = py.call, py.call_packed
-- lupa cannot pass about 8000 arguments to Python (unpack allows that many): pack those
local PACK_ABOVE = 4000
-- numbers as Redis formats them (%.17g), for when Python cannot (lupa hands -0 over as 0)
local function formatted(argc, ...)
  local t = {...}
  for i = 1, argc do
    if type(t[i]) == 'number' then t[i] = sformat('%.17g', t[i]) end
  end
  return t
end
redis.call = function(...)
  local r, e
  local argc = select('#', ...)
  if argc > PACK_ABOVE then r, e = pycall_packed(true, {...}, argc) else r, e = pycall(true, ...) end
  if e == 3 then r, e = pycall_packed(true, formatted(argc, ...), argc) end
  if e then
    if e == 1 then r = where() .. r end
    error(r, 0)
  end
  return r
end
redis.pcall = function(...)
  local r, e
  local argc = select('#', ...)
  if argc > PACK_ABOVE then r, e = pycall_packed(false, {...}, argc) else r, e = pycall(false, ...) end
  if e == 3 then r, e = pycall_packed(false, formatted(argc, ...), argc) end
  if e then return {err = where() .. r} end
  return r
end
local function single_field(field)
  return function(...)
    local v = ...
    if select('#', ...) ~= 1 or type(v) ~= 'string' then
      return {err = where() .. 'wrong number or type of arguments'}
    end
    return {[field] = v}
  end
end
redis.error_reply = single_field('err')
redis.status_reply = single_field('ok')
local pysha = py.sha1hex
redis.sha1hex = function(...)
  if select('#', ...) ~= 1 then error('wrong number of arguments', 0) end
  local s = ...
  local t = type(s)
  if t == 'number' then s = tostring(s) elseif t ~= 'string' then s = '' end
  return pysha(s)
end
local pylog = py.log
redis.log = function(...)
  local argc = select('#', ...)
  if argc < 2 then error('redis.log() requires two arguments or more.', 0) end
  local level = tonumber((...))
  if level == nil then error('First argument must be a number (log level).', 0) end
  level = trunc(level)
  if level < 0 or level > 3 then error('Invalid debug level.', 0) end
  local parts, n = {}, 0
  for j = 2, argc do
    local s = select(j, ...)
    local t = type(s)
    if t == 'string' or t == 'number' then
      if j ~= 2 then n = n + 1; parts[n] = ' ' end
      n = n + 1; parts[n] = tostring(s)
    end
  end
  pylog(level, concat(parts))
end
local pysetresp = py.setresp
redis.setresp = function(...)
  if select('#', ...) ~= 1 then error('redis.setresp() requires one argument.', 0) end
  local r = trunc(tonumber((...)) or 0)
  if r ~= 2 and r ~= 3 then error('RESP version must be 2 or 3.', 0) end
  pysetresp(r)
end
local pysetrepl = py.set_repl
redis.set_repl = function(...)
  local e = pysetrepl(select('#', ...), trunc(tonumber((...)) or 0))
  if e then error(e, 0) end
end
local pyreplicate = py.replicate_commands
redis.replicate_commands = function() return pyreplicate() end
redis.breakpoint = function() return false end
redis.debug = function() end
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3

------------------------------------------------------------------------------ math.random
local pyrand, pysrand = py.rand, py.srand
-- luaL_checkint: (int)(lua_Integer)x -- a 64-bit cast (INT64_MIN when out of range or NaN,
-- as x86-64 converts), then its low 32 bits
local function checkint(argc, n, v, fname)
  local x = tonumber(v)
  if x == nil then argerror(n, fname, 'number expected, got ' .. typename(argc, n, v), 4) end
  if x ~= x or x >= 2^63 or x < -2^63 then return 0 end
  return int32(trunc(x))
end
math.random = function(...)
  local argc = select('#', ...)
  local r = pyrand()
  if argc == 0 then return r end
  if argc == 1 then
    local u = checkint(argc, 1, (...), 'random')
    if not (1 <= u) then argerror(1, 'random', 'interval is empty') end
    return floor(r * u) + 1
  elseif argc == 2 then
    local l, u = ...
    l = checkint(argc, 1, l, 'random')
    u = checkint(argc, 2, u, 'random')
    if not (l <= u) then argerror(2, 'random', 'interval is empty') end
    return floor(r * int32(u - l + 1)) + l  -- u-l+1 is C int arithmetic: it wraps
  end
  error('wrong number of arguments', 2)
end
math.randomseed = function(...)
  pysrand(checkint(select('#', ...), 1, (...), 'randomseed'))
end

------------------------------------------------------------------------------ libraries
for name, lib in pairs(libs) do G[name] = lib end

------------------------------------------------------------------------------ read-only tables
local readonly = r_setmetatable({}, {__mode = 'k'})   -- proxy -> the real table
local function ro_newindex() error('Attempt to modify a readonly table', 2) end
local function protect(t, mt_seen)
  local p = {}
  readonly[p] = t
  r_setmetatable(p, {__index = t, __newindex = ro_newindex, __metatable = mt_seen or false})
  return p
end

local function missing_global(t, k)
  local i = dbg.getinfo(2, 'S')
  if not i or i.what == 'C' then return nil end  -- lupa's own lookups (lua_getglobal) from C
  local kt = type(k)
  if kt ~= 'string' and kt ~= 'number' then
    error('Second argument to luaProtectedTableError must be a string or number', 2)
  end
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end

r_rawset(G, 'rawget', function(...)
  local argc = select('#', ...)
  local t, k = ...
  if type(t) ~= 'table' then argerror(1, 'rawget', 'table expected, got ' .. typename(argc, 1, t)) end
  if argc < 2 then argerror(2, 'rawget', 'value expected') end
  return r_rawget(readonly[t] or t, k)
end)
r_rawset(G, 'rawset', function(...)
  local argc = select('#', ...)
  local t, k, v = ...
  if type(t) ~= 'table' then argerror(1, 'rawset', 'table expected, got ' .. typename(argc, 1, t)) end
  if argc < 2 then argerror(2, 'rawset', 'value expected') end
  if argc < 3 then argerror(3, 'rawset', 'value expected') end
  if readonly[t] then error('Attempt to modify a readonly table', 0) end
  r_rawset(t, k, v)
  return t
end)
r_rawset(G, 'setmetatable', function(...)
  local argc = select('#', ...)
  local t, mt = ...
  if type(t) ~= 'table' then
    argerror(1, 'setmetatable', 'table expected, got ' .. typename(argc, 1, t))
  end
  if mt ~= nil and type(mt) ~= 'table' then argerror(2, 'setmetatable', 'nil or table expected') end
  if readonly[t] then error('Attempt to modify a readonly table', 0) end
  local old = dgetmetatable(t)
  if old and r_rawget(old, '__metatable') ~= nil then
    error('cannot change a protected metatable', 2)
  end
  r_setmetatable(t, mt)
  return t
end)
r_rawset(G, 'pairs', function(...)
  local t = ...
  if type(t) ~= 'table' then
    argerror(1, 'pairs', 'table expected, got ' .. typename(select('#', ...), 1, t))
  end
  return next, readonly[t] or t, nil
end)

-- Redis's Lua refuses binary chunks (they could escape the sandbox): they fail to parse
local function chunkid(src)
  local c = ssub(src, 1, 1)
  if c == '=' then return ssub(src, 2, 60) end
  if c == '@' then
    src = ssub(src, 2)
    if #src > 52 then return '...' .. ssub(src, -52) end
    return src
  end
  local line = smatch(src, '^[^%z\\n\\r]*')
  local cut = line ~= smatch(src, '^[^%z]*')
  if #line > 44 then line = ssub(line, 1, 44); cut = true end
  return '[string "' .. line .. (cut and '..."]' or '"]')
end
local function binary_refused(name)
  return nil, chunkid(name) .. ":1: unexpected symbol near 'char(27)'"
end
r_rawset(G, 'loadstring', function(s, name)
  if type(s) == 'string' and ssub(s, 1, 1) == '\\27' then return binary_refused(name or s) end
  return loadstring(s, name)
end)
local r_load = load
r_rawset(G, 'load', function(f, name)
  if type(f) ~= 'function' then return r_load(f, name) end
  local parts, n = {}, 0
  while true do
    local p = f()
    if p == nil or p == '' then break end
    if type(p) ~= 'string' then return nil, 'reader function must return a string' end
    n = n + 1; parts[n] = p
  end
  local s = concat(parts)
  if ssub(s, 1, 1) == '\\27' then return binary_refused(name or '=(load)') end
  return loadstring(s, name or '=(load)')
end)

local PG
for _, name in ipairs({'string', 'table', 'math', 'coroutine', 'redis', 'cjson', 'cmsgpack',
                       'struct', 'bit'}) do
  local lib = name == 'redis' and redis or G[name]
  r_rawset(G, name, protect(lib))
end
local strmt = dgetmetatable('')
if strmt then strmt.__index = r_rawget(G, 'string') end
local gmt = {__index = missing_global, __newindex = ro_newindex}
PG = protect(G, protect({__index = missing_global}))
r_rawset(G, '_G', PG)
r_rawset(G, 'KEYS', {})
r_rawset(G, 'ARGV', {})
r_setmetatable(G, gmt)
setfenv(0, PG)

------------------------------------------------------------------------------ hook
local pytick = py.tick
local every_line = false
local function hook()
  if pytick() then
    -- as luaMaskCountHook: from now on the hook runs at every line, so that a pcall catching
    -- the error cannot keep the script running
    if not every_line then every_line = true; dbg.sethook(hook, 'l') end
    error('Script killed by user with SCRIPT KILL...', 0)
  end
end
dbg.sethook(hook, '', 100000)

------------------------------------------------------------------------------ for Python
local handler = r_rawget(G, '__redis__err__handler')
local api = {}

local untail = py.untail
function api.compile(body)
  local chunk, err = loadstring(body, '@user_script')
  if not chunk then return nil, err end
  -- calls in tail position keep the caller's frame, as calls to Redis's C functions do
  chunk = loadstring(untail(sdump(chunk)), '@user_script')
  setfenv(chunk, PG)
  return chunk
end

function api.run(f, keys, argv)
  if every_line then every_line = false; dbg.sethook(hook, '', 100000) end
  r_rawset(G, 'KEYS', keys or {})
  r_rawset(G, 'ARGV', argv or {})
  return xpcall(f, handler)
end

-- luaReplyToRedisReply, writing RESP into out[]; cp: the caller's protocol, lp: the script's.
-- Fields are read with rawget (no metamethod runs).  sp: the Lua stack height Redis would have
-- here (its lua_checkstack(lua, 4) fails past LUAI_MAXCSTACK, 8000 slots).
local STACK_ERR = '-ERR reached lua stack limit\\r\\n'
local function enc(v, out, n, cp, lp, sp)
  if sp + 4 > 8000 then
    out[n + 1] = STACK_ERR
    return n + 1
  end
  local t = type(v)
  if t == 'string' then
    out[n + 1] = '$' .. #v .. '\\r\\n'; out[n + 2] = v; out[n + 3] = '\\r\\n'
    return n + 3
  elseif t == 'number' then
    out[n + 1] = ':' .. sformat('%d', v) .. '\\r\\n'
    return n + 1
  elseif t == 'boolean' then
    if lp == 2 then
      if v then out[n + 1] = ':1\\r\\n' elseif cp == 2 then out[n + 1] = '$-1\\r\\n' else out[n + 1] = '_\\r\\n' end
    elseif cp == 2 then
      out[n + 1] = v and ':1\\r\\n' or ':0\\r\\n'   -- addReplyBool to a RESP2 caller
    else
      out[n + 1] = v and '#t\\r\\n' or '#f\\r\\n'
    end
    return n + 1
  elseif t == 'table' then
    local x = r_rawget(v, 'err')
    if type(x) == 'string' then
      out[n + 1] = '-' .. sgsub(x, '[\\r\\n]', ' ') .. '\\r\\n'
      return n + 1
    end
    x = r_rawget(v, 'ok')
    if type(x) == 'string' then
      out[n + 1] = '+' .. sgsub(x, '[\\r\\n]', ' ') .. '\\r\\n'
      return n + 1
    end
    x = r_rawget(v, 'double')
    if type(x) == 'number' then
      local s
      if x == huge then s = 'inf' elseif x == -huge then s = '-inf' else s = sformat('%.17g', x) end
      if cp == 2 then out[n + 1] = '$' .. #s .. '\\r\\n' .. s .. '\\r\\n' else out[n + 1] = ',' .. s .. '\\r\\n' end
      return n + 1
    end
    x = r_rawget(v, 'map')
    if type(x) == 'table' then
      local hdr, cnt = n + 1, 0
      n = hdr
      for k, val in next, x do
        n = enc(k, out, n, cp, lp, sp + 4)
        n = enc(val, out, n, cp, lp, sp + 3)
        cnt = cnt + 1
      end
      if cp == 2 then out[hdr] = '*' .. (cnt * 2) .. '\\r\\n' else out[hdr] = '%' .. cnt .. '\\r\\n' end
      return n
    end
    x = r_rawget(v, 'set')
    if type(x) == 'table' then
      local hdr, cnt = n + 1, 0
      n = hdr
      for k in next, x do
        n = enc(k, out, n, cp, lp, sp + 3)
        cnt = cnt + 1
      end
      out[hdr] = (cp == 2 and '*' or '~') .. cnt .. '\\r\\n'
      return n
    end
    local hdr, j = n + 1, 1
    n = hdr
    while true do
      local e = r_rawget(v, j)
      if e == nil then break end
      n = enc(e, out, n, cp, lp, sp + 1)
      j = j + 1
    end
    out[hdr] = '*' .. (j - 1) .. '\\r\\n'
    return n
  end
  out[n + 1] = cp == 2 and '$-1\\r\\n' or '_\\r\\n'
  return n + 1
end

-- The reply for a table: (RESP bytes) or (nil, error text) when it is an error table.
function api.reply(v, cp, lp)
  local e = r_rawget(v, 'err')
  if type(e) == 'string' then return nil, e end
  local out = {}
  enc(v, out, 0, cp, lp, 2)
  return concat(out)
end

return api
"""


class LuaEngine:
    """The Lua state of one server.  ``host`` provides what the glue calls back:
    ``call(raise_error, *args) -> (value, code)``, ``log(level, msg)``, ``setresp(n)``,
    ``set_repl(flags) -> error or None``, ``replicate_commands() -> bool`` and
    ``tick() -> kill?``."""

    def __init__(self, host):
        self.host = host
        self.rand = Rand48()
        rt = lua51.LuaRuntime(unpack_returned_tuples=True, register_eval=False,
                              register_builtins=False, encoding=None,
                              attribute_filter=_deny_attributes)
        self.rt = rt
        self.table_from = rt.table_from
        loadstring = rt.eval(b"loadstring")
        dbg = rt.eval(b"debug")
        chunk, err = _load(loadstring, _ERR_HANDLER, b"@err_handler_def")
        chunk(dbg, b"=perdure")
        libs = rt.table()
        self._keep = []  # what the libraries reach weakly (they live inside this state)
        for name, mod in (("cjson", cjson), ("cmsgpack", cmsgpack), ("struct", structlib),
                          ("bit", bitop)):
            libs[name.encode()] = mod.install(rt, loadstring, self._keep)
        py = rt.table()
        py[b"call"] = host.call
        py[b"call_packed"] = _call_packed(host.call)
        py[b"log"] = host.log
        py[b"setresp"] = host.setresp
        py[b"set_repl"] = host.set_repl
        py[b"tick"] = host.tick
        py[b"sha1hex"] = sha1hex
        py[b"rand"] = self.rand.random
        py[b"srand"] = self.rand.seed
        py[b"untail"] = untail
        py[b"replicate_commands"] = host.replicate_commands
        boot, err = _load(loadstring, _BOOT, b"=perdure")
        api = boot(py, libs)
        self._compile = api[b"compile"]
        self._run = api[b"run"]
        self._reply = api[b"reply"]
        self.funcs: dict = {}    # sha (lowercase hex bytes) -> compiled Lua function
        self.bodies: dict = {}   # sha -> script body (SCRIPT EXISTS, INFO memory)

    # ---- scripts ------------------------------------------------------------------------------
    def create(self, body: bytes, sha: bytes | None = None):
        """luaCreateFunction: the cached function for ``body`` (compiled on first sight); raises
        the ``Error compiling script`` / ``Error running script (new function)`` reply."""
        if sha is None:
            sha = sha1hex(body)
        f = self.funcs.get(sha)
        if f is not None:
            return sha, f
        r = self._compile(body)
        if isinstance(r, tuple):
            raise RedisError(error_text("ERR Error compiling script (new function): %s"
                                        % _text(r[1])))
        self.funcs[sha] = r
        self.bodies[sha] = body
        return sha, r

    def run(self, f, keys: list, args: list):
        """Run a script function with KEYS and ARGV: (True, value) or (False, error text)."""
        self.rand.seed(0)
        tf = self.table_from
        r = self._run(f, tf(keys) if keys else None, tf(args) if args else None)
        if type(r) is not tuple:
            return True, None      # xpcall returned true alone: the script returned nothing
        if r[0]:
            return True, r[1]
        return False, r[1]

    # ---- replies: Redis -> Lua ------------------------------------------------------------------
    def to_lua(self, v, proto: int):
        """redisProtocolToLuaType: a command's reply as the Lua value the script sees."""
        t = type(v)
        if t is bytes or t is int:
            return v
        if v is None or v is resp.NilArray:
            return False if proto == 2 else None
        if t is resp.Lazy:
            return self.to_lua(list(v), proto)
        if t is list or t is tuple:
            for x in v:
                if type(x) is not bytes:
                    return self.table_from([self.to_lua(x, proto) for x in v])
            return self.table_from(v)
        if t is resp.Simple:
            return self.table_from({b"ok": bytes(v)})
        if t is resp.Raw:
            p = _RAW_PARSED.get(v)
            if p is None:
                p = parse_raw(v)
                if len(_RAW_PARSED) < 256 and len(v) < 64:
                    _RAW_PARSED[v] = p
            return self.to_lua(p, proto)
        if isinstance(v, RedisError):
            return self.table_from({b"err": v.msg.encode("utf-8", "surrogateescape")})
        if t is resp.Map or t is dict:
            if proto == 2:
                flat = []
                for k, x in v.items():
                    flat.append(self.to_lua(k, proto))
                    flat.append(self.to_lua(x, proto))
                return self.table_from(flat)
            return self.table_from({b"map": self.table_from(
                {self.to_lua(k, proto): self.to_lua(x, proto) for k, x in v.items()})})
        if t is resp.Set:
            if proto == 2:
                return self.table_from([self.to_lua(x, proto) for x in v])
            return self.table_from({b"set": self.table_from({self.to_lua(x, proto): True
                                                             for x in v})})
        if t is resp.Double or t is float:
            if proto == 2:
                return resp.format_double(v)
            return self.table_from({b"double": float(v)})
        if t is bool:
            return (1 if v else 0) if proto == 2 else v
        if t is resp.Verbatim or t is resp.Push:
            return bytes(v) if t is resp.Verbatim else self.to_lua(list(v), proto)
        if isinstance(v, str):
            return v.encode()
        if isinstance(v, bytes):
            return bytes(v)
        if isinstance(v, int):
            return int(v)
        return False if proto == 2 else None

    # ---- replies: Lua -> Redis ------------------------------------------------------------------
    def to_reply(self, v, caller_proto: int, lua_proto: int):
        """luaReplyToRedisReply for the script's return value."""
        t = type(v)
        if t is bytes:
            return v
        if t is int:
            return v if INT64_MIN <= v <= INT64_MAX else INT64_MIN
        if t is float:
            if math.isfinite(v) and -9.3e18 < v < 9.3e18:
                n = int(v)
                return n if INT64_MIN <= n <= INT64_MAX else INT64_MIN
            return INT64_MIN
        if t is bool:
            if lua_proto == 2:
                return 1 if v else None
            return v
        if t is _LuaTable:
            r = self._reply(v, caller_proto, lua_proto)
            if isinstance(r, tuple):
                raise RedisError(_text(r[1]).replace("\r", " ").replace("\n", " "))
            return resp.Raw(r)
        return None


def _call_packed(call):
    """redis.call / redis.pcall with their arguments in a Lua table (many arguments)."""
    def call_packed(raise_error, t, n):
        return call(raise_error, *[t[i] for i in range(1, int(n) + 1)])
    return call_packed


# ---------------------------------------------------------------------------- bytecode

_OP_CALL, _OP_TAILCALL = 28, 29


def untail(dump: bytes) -> bytes:
    """Turn every OP_TAILCALL of a Lua 5.1 ``string.dump`` into OP_CALL.  Lua 5.1 always emits
    ``TAILCALL A B 0; RETURN A 0``, so ``CALL A B 0`` (all results) before that RETURN means
    the same, except that the calling frame stays on the stack: a script's ``return
    redis.call(...)`` then reports its own line in errors, as on Redis, where redis.call is a C
    function (a tail call to a C function keeps the caller's frame)."""
    b = bytearray(dump)
    if b[:5] != b"\x1bLuaQ" or b[6] != 1 or b[7:12] != bytes((4, 8, 4, 8, 0)):
        raise ValueError("unexpected Lua bytecode header")
    _untail_function(b, 12)
    return bytes(b)


def _untail_function(b: bytearray, i: int) -> int:
    def int32(j):
        return int.from_bytes(b[j:j + 4], "little")

    def string(j):
        n = int.from_bytes(b[j:j + 8], "little")
        return j + 8 + n

    i = string(i)             # source
    i += 4 + 4 + 4            # linedefined, lastlinedefined, nups/numparams/is_vararg/maxstack
    n = int32(i)
    i += 4
    for k in range(n):
        j = i + 4 * k
        ins = int.from_bytes(b[j:j + 4], "little")
        if ins & 0x3F == _OP_TAILCALL:
            b[j:j + 4] = ((ins & ~0x3F) | _OP_CALL).to_bytes(4, "little")
    i += 4 * n
    n = int32(i)              # constants
    i += 4
    for _ in range(n):
        t = b[i]
        i += 1
        if t == 1:
            i += 1
        elif t == 3:
            i += 8
        elif t == 4:
            i = string(i)
    n = int32(i)              # nested functions
    i += 4
    for _ in range(n):
        i = _untail_function(b, i)
    n = int32(i)              # line info
    i += 4 + 4 * n
    n = int32(i)              # local variables
    i += 4
    for _ in range(n):
        i = string(i) + 8
    n = int32(i)              # upvalue names
    i += 4
    for _ in range(n):
        i = string(i)
    return i


def _load(loadstring, code: bytes, name: bytes):
    r = loadstring(code, name)
    if isinstance(r, tuple):
        if r[0] is None:
            raise RuntimeError("Lua bootstrap failed: %r" % (r[1],))
        return r[0], None
    return r, None


def _text(b) -> str:
    if isinstance(b, bytes):
        return b.decode("utf-8", "replace")
    return str(b)


def error_text(s: str) -> str:
    """addReplyErrorFormat's clean-up: newlines trimmed at both ends, the others made spaces."""
    return s.strip("\r\n").replace("\r", " ").replace("\n", " ")


_RAW_PARSED: dict = {}  # small constant frames (+OK, +QUEUED...) already parsed


def parse_raw(data: bytes):
    """A pre-encoded reply (``resp.Raw``) back to a Python value, for the Lua conversion."""
    v, _ = _parse(bytes(data), 0)
    return v


def _parse(b: bytes, i: int):
    j = b.index(b"\r\n", i)
    kind = b[i:i + 1]
    line = b[i + 1:j]
    i = j + 2
    if kind == b"+":
        return resp.Simple(line), i
    if kind == b"-":
        return RedisError(line.decode("utf-8", "replace")), i
    if kind == b":":
        return int(line), i
    if kind in (b"$", b"="):
        n = int(line)
        if n < 0:
            return None, i
        s = b[i:i + n]
        if kind == b"=":
            return resp.Verbatim(s[4:]), i + n + 2
        return s, i + n + 2
    if kind in (b"*", b"~", b"%", b">"):
        n = int(line)
        if n < 0:
            return resp.NilArray, i
        if kind == b"%":
            m = resp.Map()
            for _ in range(n):
                k, i = _parse(b, i)
                x, i = _parse(b, i)
                m[k] = x
            return m, i
        items = []
        for _ in range(n):
            x, i = _parse(b, i)
            items.append(x)
        return (resp.Set(items) if kind == b"~" else items), i
    if kind == b"_":
        return None, i
    if kind == b",":
        return resp.Double(float(line)), i
    if kind == b"#":
        return line == b"t", i
    if kind == b"(":
        return int(line), i
    raise ValueError("cannot parse reply %r" % b[:40])
