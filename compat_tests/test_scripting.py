"""Lua scripting as Redis 6.2.14 does it: EVAL, EVALSHA, SCRIPT LOAD/EXISTS/FLUSH/KILL/HELP.

Covered: argument errors; the conversion of replies both ways (RESP2 and RESP3, ``setresp``,
tables cut at the first nil, numbers truncated, booleans, ``{err=}``/``{ok=}``/``{double=}``/
``{map=}``/``{set=}``); errors raised by redis.call and their exact text with the script's
line; redis.pcall, error_reply, status_reply, sha1hex, log, set_repl; the sandbox (missing
libraries, read-only globals, nonexistent globals, binary chunks refused); math.random's fixed
sequence; the cjson, cmsgpack, struct and bit libraries; commands scripts may not call; ACL
inside scripts; scripts inside MULTI; lua-time-limit with BUSY and SCRIPT KILL; redis-py's
``register_script`` and ``Lock``.  Every expected reply was read from the oracle.
"""

from __future__ import annotations

import hashlib
import threading
import time

import pytest
import redis

from .helpers import err, ex, resp_encode


def sha(script: str) -> str:
    return hashlib.sha1(script.encode()).hexdigest()


def run_error(script: str, msg: str) -> str:
    return "ERR Error running script (call to f_%s): %s" % (sha(script), msg)


def eval_err(r, script, *args):
    """The error line EVAL of ``script`` (numkeys 0 unless given) replies."""
    return err(r, "EVAL", script, *(args or ("0",)))


# --------------------------------------------------------------------------- argument errors


def test_numkeys_not_an_integer(r2):
    assert err(r2, "EVAL", "return 1", "x") == "ERR value is not an integer or out of range"


def test_numkeys_negative(r2):
    assert err(r2, "EVAL", "return 1", "-1") == "ERR Number of keys can't be negative"


def test_numkeys_greater_than_args(r2):
    assert err(r2, "EVAL", "return 1", "2", "a") == \
        "ERR Number of keys can't be greater than number of args"


def test_eval_arity(r2):
    assert err(r2, "EVAL", "return 1") == "ERR wrong number of arguments for 'eval' command"
    assert err(r2, "EVALSHA", "x") == "ERR wrong number of arguments for 'evalsha' command"


def test_keys_and_argv(r2):
    assert ex(r2, "EVAL", "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}",
              "2", "k1", "k2", "a1", "a2") == [b"k1", b"k2", b"a1", b"a2", 2, 2]


def test_keys_and_argv_are_binary_safe(r2):
    blob = bytes(range(256))
    assert ex(r2, "EVAL", "return {KEYS[1], ARGV[1]}", "1", blob, blob) == [blob, blob]


def test_script_body_is_the_chunk(r2):
    assert ex(r2, "EVAL", "local a = {...}; return #a", "0") == 0
    assert ex(r2, "EVAL", "return ...", "0") is None


# --------------------------------------------------------------------------- reply conversion


LUA_TO_RESP2 = [
    ("return 1", b":1\r\n"),
    ("return 3.99", b":3\r\n"),
    ("return -3.9", b":-3\r\n"),
    ("return 1/0", b":-9223372036854775808\r\n"),
    ("return 1e30", b":-9223372036854775808\r\n"),
    ("return 'hello'", b"$5\r\nhello\r\n"),
    ("return ''", b"$0\r\n\r\n"),
    ("return nil", b"$-1\r\n"),
    ("return true", b":1\r\n"),
    ("return false", b"$-1\r\n"),
    ("return {}", b"*0\r\n"),
    ("return {{}}", b"*1\r\n*0\r\n"),
    ("return {1,2,3,'ciao',{1,2}}", b"*5\r\n:1\r\n:2\r\n:3\r\n$4\r\nciao\r\n*2\r\n:1\r\n:2\r\n"),
    ("return {1,nil,3}", b"*1\r\n:1\r\n"),
    ("return {1.5,2.9,-3.7,true,false}", b"*5\r\n:1\r\n:2\r\n:-3\r\n:1\r\n$-1\r\n"),
    ("return {a=1}", b"*0\r\n"),
    ("return {1,2,a=1}", b"*2\r\n:1\r\n:2\r\n"),
    ("return {err='x'}", b"-x\r\n"),
    ("return {err='x\\r\\ny'}", b"-x  y\r\n"),
    ("return {err=''}", b"-\r\n"),
    ("return {ok='x'}", b"+x\r\n"),
    ("return {ok=''}", b"+\r\n"),
    ("return redis.status_reply('a\\nb')", b"+a b\r\n"),
    ("return redis.error_reply('My Error')", b"-My Error\r\n"),
    ("return redis.error_reply('-X y')", b"--X y\r\n"),
    ("return redis.status_reply('FINE')", b"+FINE\r\n"),
    ("return {double=1.5}", b"$3\r\n1.5\r\n"),
    ("return {double=1/0}", b"$3\r\ninf\r\n"),
    ("return {map={a=1}}", b"*2\r\n$1\r\na\r\n:1\r\n"),
    ("return {set={a=true}}", b"*1\r\n$1\r\na\r\n"),
    ("return {1, {err='inner'}, 3}", b"*3\r\n:1\r\n-inner\r\n:3\r\n"),
    ("return {ok='fine', err='bad'}", b"-bad\r\n"),
    ("return print", b"$-1\r\n"),
    ("return redis.call('get', 'nokey')", b"$-1\r\n"),
    ("return {redis.call('get', 'nokey')}", b"*1\r\n$-1\r\n"),
    ("return type(redis.call('get', 'nokey'))", b"$7\r\nboolean\r\n"),
    ("return redis.call('ping')", b"+PONG\r\n"),
    ("return redis.call('ping', 'x')", b"$1\r\nx\r\n"),
    ("return redis.call('set', 'k', 'v')", b"+OK\r\n"),
    ("return type(redis.call('set', 'k', 'v'))", b"$5\r\ntable\r\n"),
    ("return redis.call('set', 'k', 'v').ok", b"$2\r\nOK\r\n"),
    ("return redis.call('echo', 1.5)", b"$3\r\n1.5\r\n"),
    ("return redis.call('echo', 0.1)", b"$19\r\n0.10000000000000001\r\n"),
    ("return redis.call('echo', 1e20)", b"$5\r\n1e+20\r\n"),
    ("return redis.call('echo', 3)", b"$1\r\n3\r\n"),
    ("return redis.call('lpop', 'nolist', 2)", b"$-1\r\n"),
    ("return type(redis.call('lpop', 'nolist', 2))", b"$7\r\nboolean\r\n"),
    ("return redis.call('incrbyfloat', 'f', '1.5')", b"$3\r\n1.5\r\n"),
    ("redis.setresp(3); return redis.call('get', 'nokey')", b"$-1\r\n"),
    ("redis.setresp(3); return {redis.call('get', 'nokey')}", b"*0\r\n"),
    ("redis.setresp(3); return true", b":1\r\n"),
    ("redis.setresp(3); return false", b":0\r\n"),
    ("redis.setresp(3); return {true, false, {true}}", b"*3\r\n:1\r\n:0\r\n*1\r\n:1\r\n"),
    ("redis.setresp(3); return redis.call('hgetall', 'nokey')", b"*0\r\n"),
]


def test_reply_conversion_resp2(raw):
    """One connection for the whole table (it is long); every mismatch is reported."""
    bad = [(script, got, expected) for script, expected in LUA_TO_RESP2
           if (got := raw.cmd("EVAL", script, "0")) != expected]
    assert not bad


LUA_TO_RESP3 = [
    ("return nil", b"_\r\n"),
    ("return false", b"_\r\n"),
    ("return true", b":1\r\n"),
    ("redis.setresp(3); return true", b"#t\r\n"),
    ("redis.setresp(3); return false", b"#f\r\n"),
    ("return {double=1.5}", b",1.5\r\n"),
    ("return {double=-1/0}", b",-inf\r\n"),
    ("return {map={a=1}}", b"%1\r\n$1\r\na\r\n:1\r\n"),
    ("return {set={a=true}}", b"~1\r\n$1\r\na\r\n"),
    ("return {1,nil,3}", b"*1\r\n:1\r\n"),
    ("return redis.call('get', 'nokey')", b"_\r\n"),
    ("redis.setresp(3); return redis.call('get', 'nokey')", b"_\r\n"),
    ("return redis.call('hgetall', 'h')", b"*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
    ("redis.setresp(3); return redis.call('hgetall', 'h')", b"%1\r\n$1\r\nf\r\n$1\r\nv\r\n"),
    ("redis.setresp(3); return redis.call('zscore', 'z', 'm')", b",1.5\r\n"),
    ("return redis.call('zscore', 'z', 'm')", b"$3\r\n1.5\r\n"),
    ("redis.setresp(3); return redis.call('smembers', 's')", b"~1\r\n$1\r\na\r\n"),
]


@pytest.mark.parametrize("script,expected", LUA_TO_RESP3)
def test_reply_conversion_resp3(raw, script, expected):
    raw.cmd("HELLO", "3")
    raw.cmd("HSET", "h", "f", "v")
    raw.cmd("ZADD", "z", "1.5", "m")
    raw.cmd("SADD", "s", "a")
    assert raw.cmd("EVAL", script, "0") == expected


def test_resp3_replies_seen_by_the_script(r2):
    ex(r2, "HSET", "h", "a", "1")
    ex(r2, "ZADD", "z", "1.5", "x")
    ex(r2, "SADD", "s", "m")
    assert ex(r2, "EVAL", "redis.setresp(3); local t = redis.call('hgetall', 'h'); "
              "local d = redis.call('zscore', 'z', 'x'); local s = redis.call('smembers', 's'); "
              "return {type(t.map), t.map.a, type(d), tostring(d.double), tostring(s.set.m), "
              "tostring(redis.call('get', 'nokey'))}", "0") == \
        [b"table", b"1", b"table", b"1.5", b"true", b"nil"]


def test_resp2_replies_seen_by_the_script(r2):
    ex(r2, "HSET", "h", "a", "1")
    assert ex(r2, "EVAL", "local t = redis.call('hgetall', 'h'); return {#t, t[1], t[2]}",
              "0") == [2, b"a", b"1"]


def test_integer_replies_become_numbers(r2):
    assert ex(r2, "EVAL", "local n = redis.call('incr', 'c'); return {type(n), n + 1}", "0") == \
        [b"number", 2]


def test_setresp_is_reset_for_each_script(r2):
    ex(r2, "EVAL", "redis.setresp(3)", "0")
    assert ex(r2, "EVAL", "return type(redis.call('get', 'nokey'))", "0") == b"boolean"


# --------------------------------------------------------------------------- errors


ERRORS = [
    ("return x", "@user_script:1: user_script:1: Script attempted to access nonexistent global "
                 "variable 'x'"),
    ("x = 1", "@user_script:1: user_script:1: Attempt to modify a readonly table"),
    ("return redis.call('nosuch')", "@user_script:1: @user_script: 1: Unknown Redis command "
                                    "called from Lua script"),
    ("local a = 1\nreturn redis.call('nosuch')", "@user_script:2: @user_script: 2: Unknown Redis "
                                                 "command called from Lua script"),
    ("return redis.call('get')", "@user_script:1: @user_script: 1: Wrong number of args calling "
                                 "Redis command From Lua script"),
    ("return redis.call('incr', 'a', 'b')", "@user_script:1: @user_script: 1: Wrong number of args "
                                            "calling Redis command From Lua script"),
    ("return redis.call()", "@user_script:1: @user_script: 1: Please specify at least one argument "
                            "for redis.call()"),
    ("return redis.call({})", "@user_script:1: @user_script: 1: Lua redis() command arguments "
                              "must be strings or integers"),
    ("return redis.call('echo', true)", "@user_script:1: @user_script: 1: Lua redis() command "
                                        "arguments must be strings or integers"),
    ("return redis.call('echo', nil)", "@user_script:1: @user_script: 1: Lua redis() command "
                                       "arguments must be strings or integers"),
    ("redis.call('set', 's', 'x'); return redis.call('incr', 's')",
     "@user_script:1: ERR value is not an integer or out of range"),
    ("redis.call('set', 's', 'x'); return redis.call('lpush', 's', 'a')",
     "@user_script:1: WRONGTYPE Operation against a key holding the wrong kind of value"),
    ("error('boom')", "@user_script:1: user_script:1: boom"),
    ("error('lvl0', 0)", "@user_script:1: lvl0"),
    ("error(42)", "@user_script:1: user_script:1: 42"),
    ("error()", "@err_handler_def:9: err_handler_def:9: attempt to concatenate local 'err' "
                "(a nil value)"),
    ("error({err='My Error'})", "@err_handler_def:9: err_handler_def:9: attempt to concatenate "
                                "local 'err' (a table value)"),
    ("local function f() error('inner') end f()", "@user_script:1: user_script:1: inner"),
    ("return nil + 1", "@user_script:1: user_script:1: attempt to perform arithmetic on a nil "
                       "value"),
    ("return redis.sha1hex()", "@user_script:1: wrong number of arguments"),
    ("redis.log()", "@user_script:1: redis.log() requires two arguments or more."),
    ("redis.log('x', 'y')", "@user_script:1: First argument must be a number (log level)."),
    ("redis.log(99, 'y')", "@user_script:1: Invalid debug level."),
    ("return redis.setresp(4)", "@user_script:1: RESP version must be 2 or 3."),
    ("return redis.setresp()", "@user_script:1: redis.setresp() requires one argument."),
    ("return redis.set_repl(99)", "@user_script:1: Invalid replication flags. Use REPL_AOF, "
                                  "REPL_REPLICA, REPL_ALL or REPL_NONE."),
    ("return redis.set_repl()", "@user_script:1: redis.set_repl() requires two arguments."),
    ("return tostring(print('x'))", "@user_script:1: user_script:1: bad argument #1 to "
                                    "'tostring' (value expected)"),
]


def test_runtime_errors(r2):
    bad = [(script, got) for script, msg in ERRORS
           if (got := eval_err(r2, script)) != run_error(script, msg)]
    assert not bad


def test_error_reply_bytes(raw):
    script = "error('boom')"
    assert raw.cmd("EVAL", script, "0") == (
        b"-ERR Error running script (call to f_%s): @user_script:1: user_script:1: boom\r\n"
        % sha(script).encode())


def test_compile_errors(r2):
    assert eval_err(r2, "return 'a") == \
        "ERR Error compiling script (new function): user_script:1: unfinished string near '<eof>'"
    assert eval_err(r2, "return 1 end") == \
        "ERR Error compiling script (new function): user_script:1: '<eof>' expected near 'end'"


def test_compile_error_does_not_cache(r2):
    err(r2, "EVAL", "return (", "0")
    assert ex(r2, "SCRIPT", "EXISTS", sha("return (")) == [0]


def test_pcall_returns_error_tables(raw):
    raw.cmd("SET", "s", "x")
    assert raw.cmd("EVAL", "return redis.pcall('incr', 's')", "0") == \
        b"-ERR value is not an integer or out of range\r\n"
    assert raw.cmd("EVAL", "return redis.pcall('nosuch')", "0") == \
        b"-@user_script: 1: Unknown Redis command called from Lua script\r\n"
    assert raw.cmd("EVAL", "return redis.pcall()", "0") == \
        b"-@user_script: 1: Please specify at least one argument for redis.call()\r\n"


def test_pcall_error_table_can_be_inspected(r2):
    ex(r2, "SET", "s", "x")
    assert ex(r2, "EVAL", "local e = redis.pcall('incr', 's'); return {type(e), e.err}", "0") == \
        [b"table", b"ERR value is not an integer or out of range"]


def test_lua_pcall_catches_redis_call_errors(r2):
    ex(r2, "SET", "s", "x")
    assert ex(r2, "EVAL", "local ok, e = pcall(redis.call, 'incr', 's'); "
              "return {tostring(ok), type(e), tostring(e)}", "0") == \
        [b"false", b"string", b"ERR value is not an integer or out of range"]
    assert ex(r2, "EVAL", "local ok, e = pcall(redis.call, 'nosuch'); return {tostring(ok), e}",
              "0") == [b"false", b"=[C]: -1: Unknown Redis command called from Lua script"]


def test_error_reply_helpers_validate_arguments(raw):
    assert raw.cmd("EVAL", "return redis.error_reply(1)", "0") == \
        b"-@user_script: 1: wrong number or type of arguments\r\n"
    assert raw.cmd("EVAL", "return redis.error_reply()", "0") == \
        b"-@user_script: 1: wrong number or type of arguments\r\n"
    assert raw.cmd("EVAL", "return redis.status_reply('a', 'b')", "0") == \
        b"-@user_script: 1: wrong number or type of arguments\r\n"


def test_writes_before_an_error_stay(r2):
    script = "redis.call('set', 'a', '1'); error('late')"
    assert eval_err(r2, script) == run_error(script, "@user_script:1: user_script:1: late")
    assert ex(r2, "GET", "a") == b"1"


def test_script_errors_in_errorstats(r2):
    ex(r2, "CONFIG", "RESETSTAT")
    ex(r2, "SET", "s", "x")
    err(r2, "EVAL", "return redis.error_reply('MYERR x')", "0")
    err(r2, "EVAL", "return redis.call('incr', 's')", "0")
    info = ex(r2, "INFO", "errorstats").decode()
    assert "errorstat_MYERR:count=1" in info
    assert "errorstat_ERR:count=2" in info
    stats = ex(r2, "INFO", "commandstats").decode()
    line = [x for x in stats.splitlines() if x.startswith("cmdstat_eval:")][0]
    assert "rejected_calls=0,failed_calls=2" in line


# --------------------------------------------------------------------------- forbidden commands


FORBIDDEN = [
    "'blpop', 'l', '0'", "'brpop', 'l', '0'", "'brpoplpush', 'a', 'b', '0'",
    "'bzpopmin', 'z', '0'", "'multi'", "'exec'", "'discard'", "'watch', 'k'", "'unwatch'",
    "'eval', 'return 1', '0'", "'evalsha', 'x', '0'", "'script', 'kill'", "'subscribe', 'c'",
    "'psubscribe', 'c'", "'monitor'", "'auth', 'x'", "'hello'", "'client', 'list'",
    "'config', 'get', 'maxmemory'", "'shutdown'", "'debug', 'sleep', '0'",
]


def test_commands_not_allowed_from_scripts(r2):
    bad = []
    for cmd in FORBIDDEN:
        script = "return redis.call(%s)" % cmd
        got = eval_err(r2, script)
        if got != run_error(script, "@user_script:1: @user_script: 1: This Redis command is not "
                                    "allowed from scripts"):
            bad.append((cmd, got))
    assert not bad


# --------------------------------------------------------------------------- redis.* helpers


def test_sha1hex(r2):
    assert ex(r2, "EVAL", "return redis.sha1hex('')", "0") == \
        b"da39a3ee5e6b4b0d3255bfef95601890afd80709"
    assert ex(r2, "EVAL", "return redis.sha1hex(12)", "0") == \
        hashlib.sha1(b"12").hexdigest().encode()
    assert ex(r2, "EVAL", "return redis.sha1hex({})", "0") == \
        b"da39a3ee5e6b4b0d3255bfef95601890afd80709"


def test_log_returns_nothing(r2):
    assert ex(r2, "EVAL", "return redis.log(redis.LOG_WARNING, 'x', nil, 'y')", "0") is None


def test_constants(r2):
    assert ex(r2, "EVAL", "return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, "
              "redis.REPL_REPLICA, redis.REPL_ALL, redis.LOG_DEBUG, redis.LOG_VERBOSE, "
              "redis.LOG_NOTICE, redis.LOG_WARNING}", "0") == [0, 1, 2, 2, 3, 0, 1, 2, 3]


def test_replicate_commands_reseeds_math_random(r2):
    seq = [ex(r2, "EVAL", "redis.replicate_commands(); return tostring(math.random())", "0")
           for _ in range(3)]
    assert len(set(seq)) > 1


def test_replication_helpers(r2):
    assert ex(r2, "EVAL", "return redis.replicate_commands()", "0") == 1
    assert ex(r2, "EVAL", "redis.call('set', 'a', '1'); return redis.replicate_commands()",
              "0") is None
    assert ex(r2, "EVAL", "return redis.set_repl(redis.REPL_ALL)", "0") is None
    assert ex(r2, "EVAL", "return {redis.breakpoint(), redis.debug('x')}", "0") == [None]


def test_redis_table_contents(r2):
    assert ex(r2, "EVAL", "local t = {} for k, v in pairs(redis) do t[#t+1] = k .. ':' .. type(v) "
              "end table.sort(t) return t", "0") == [
        b"LOG_DEBUG:number", b"LOG_NOTICE:number", b"LOG_VERBOSE:number", b"LOG_WARNING:number",
        b"REPL_ALL:number", b"REPL_AOF:number", b"REPL_NONE:number", b"REPL_REPLICA:number",
        b"REPL_SLAVE:number", b"breakpoint:function", b"call:function", b"debug:function",
        b"error_reply:function", b"log:function", b"pcall:function",
        b"replicate_commands:function", b"set_repl:function", b"setresp:function",
        b"sha1hex:function", b"status_reply:function"]


# --------------------------------------------------------------------------- the sandbox


GLOBALS = [
    ("os", None), ("io", None), ("debug", None), ("require", None), ("dofile", None),
    ("loadfile", None), ("package", None), ("module", None),
    ("loadstring", b"function"), ("print", b"function"), ("getfenv", b"function"),
    ("setfenv", b"function"), ("load", b"function"), ("newproxy", b"function"),
    ("coroutine", b"table"), ("gcinfo", b"function"), ("collectgarbage", b"function"),
    ("bit", b"table"), ("struct", b"table"), ("cmsgpack", b"table"), ("cjson", b"table"),
    ("unpack", b"function"), ("xpcall", b"function"),
]


def test_globals(r2):
    bad = []
    for name, kind in GLOBALS:
        script = "return type(%s)" % name
        if kind is None:
            got = eval_err(r2, script)
            ok = got == run_error(script, "@user_script:1: user_script:1: Script attempted to "
                                          "access nonexistent global variable '%s'" % name)
        else:
            got = ex(r2, "EVAL", script, "0")
            ok = got == kind
        if not ok:
            bad.append((name, got))
    assert not bad


def test_global_names(r2):
    assert ex(r2, "EVAL", "local t = {} for k, v in pairs(_G) do t[#t+1] = k end table.sort(t) "
              "return t", "0") == [
        b"ARGV", b"KEYS", b"_G", b"_VERSION", b"__redis__err__handler", b"assert", b"bit",
        b"cjson", b"cmsgpack", b"collectgarbage", b"coroutine", b"error", b"gcinfo", b"getfenv",
        b"getmetatable", b"ipairs", b"load", b"loadstring", b"math", b"newproxy", b"next",
        b"pairs", b"pcall", b"print", b"rawequal", b"rawget", b"rawset", b"redis", b"select",
        b"setfenv", b"setmetatable", b"string", b"struct", b"table", b"tonumber", b"tostring",
        b"type", b"unpack", b"xpcall"]


@pytest.mark.parametrize("script,msg", [
    ("string.foo = 1", "@user_script:1: user_script:1: Attempt to modify a readonly table"),
    ("redis.call = nil", "@user_script:1: user_script:1: Attempt to modify a readonly table"),
    ("cjson.encode = nil", "@user_script:1: user_script:1: Attempt to modify a readonly table"),
    ("_G.x = 1", "@user_script:1: user_script:1: Attempt to modify a readonly table"),
    ("KEYS = {}", "@user_script:1: user_script:1: Attempt to modify a readonly table"),
    ("function f() end", "@user_script:1: user_script:1: Attempt to modify a readonly table"),
    ("rawset(_G, 'x', 1)", "@user_script:1: Attempt to modify a readonly table"),
    ("setmetatable(_G, nil)", "@user_script:1: Attempt to modify a readonly table"),
    ("getmetatable(_G).__index = nil", "@user_script:1: user_script:1: Attempt to modify a "
                                       "readonly table"),
    ("getmetatable('').__index.foo = 1", "@user_script:1: user_script:1: Attempt to modify a "
                                         "readonly table"),
])
def test_readonly_tables(r2, script, msg):
    assert eval_err(r2, script) == run_error(script, msg)


def test_local_tables_and_keys_are_writable(r2):
    assert ex(r2, "EVAL", "local t = {}; t.x = 1; KEYS[1] = 'y'; table.insert(ARGV, 'z'); "
              "return {t.x, KEYS[1], ARGV[1]}", "1", "a") == [1, b"y", b"z"]


def test_rawget_and_pairs_see_globals(r2):
    assert ex(r2, "EVAL", "return {rawget(_G, 'redis') ~= nil, rawget(redis, 'call') ~= nil, "
              "rawequal(_G, getfenv(0)), #redis}", "0") == [1, 1, 1, 0]


@pytest.mark.parametrize("script,msg", [
    ("return rawget(1)", "user_script:1: bad argument #1 to 'rawget' (table expected, got number)"),
    ("return rawset(1)", "user_script:1: bad argument #1 to 'rawset' (table expected, got number)"),
    ("return rawset({}, nil, 1)", "table index is nil"),
    ("return setmetatable(1)", "user_script:1: bad argument #1 to 'setmetatable' (table expected, "
                               "got number)"),
    ("return setmetatable({}, 1)", "user_script:1: bad argument #2 to 'setmetatable' (nil or "
                                   "table expected)"),
    ("local t = setmetatable({}, {__metatable = 1}); setmetatable(t, {})",
     "user_script:1: cannot change a protected metatable"),
    ("return pairs()", "user_script:1: bad argument #1 to 'pairs' (table expected, got no value)"),
    ("return pairs(1)", "user_script:1: bad argument #1 to 'pairs' (table expected, got number)"),
])
def test_wrapped_builtins_error_like_the_originals(r2, script, msg):
    assert eval_err(r2, script) == run_error(script, "@user_script:1: " + msg)


def test_binary_chunks_are_refused(r2):
    assert ex(r2, "EVAL", "local f, e = loadstring(string.dump(function() return 1 end)); "
              "return {tostring(f), e}", "0") == \
        [b"nil", b"[string \"\x1bLuaQ\"]:1: unexpected symbol near 'char(27)'"]


def test_loadstring_runs_in_the_sandbox(r2):
    assert ex(r2, "EVAL", "return loadstring('return 1 + 1')()", "0") == 2
    script = "return loadstring('return zz')()"
    assert eval_err(r2, script) == run_error(
        script, "return zz:1: [string \"return zz\"]:1: Script attempted to access nonexistent "
                "global variable 'zz'")


def test_lua_version_and_libraries(r2):
    assert ex(r2, "EVAL", "return {_VERSION, type(table.getn), type(string.gfind), "
              "type(math.mod), type(unpack)}", "0") == \
        [b"Lua 5.1", b"function", b"function", b"function", b"function"]


def test_coroutines_can_call_redis(r2):
    assert ex(r2, "EVAL", "return coroutine.wrap(function() return redis.call('ping') end)()",
              "0") == b"PONG"


def test_cjson_null_prints_as_redis(r2):
    assert ex(r2, "EVAL", "return {tostring(cjson.null), type(cjson.null)}", "0") == \
        [b"userdata: (nil)", b"userdata"]


# --------------------------------------------------------------------------- math.random


def test_math_random_sequence_is_fixed(r2):
    assert ex(r2, "EVAL", "return tostring(math.random())", "0") == b"0.17082803611217"
    assert ex(r2, "EVAL", "return {math.random(10), math.random(1,100), math.random(5)}", "0") == \
        [2, 75, 1]
    assert ex(r2, "EVAL", "math.randomseed(7); return {math.random(1000), math.random(1000)}",
              "0") == [267, 683]
    assert ex(r2, "EVAL", "return {math.random(2.7), math.random(-5, -1)}", "0") == [1, -2]


MATH_RANDOM_C_INTS = [
    # luaL_checkint: (int)(int64)x, x86-64's cast giving INT64_MIN (so int 0) out of range
    ("math.randomseed(1.5e308) return {math.random(1000), math.random(1000)}", [171, 750]),
    ("math.randomseed(0/0) return {math.random(1000), math.random(1000)}", [171, 750]),
    ("math.randomseed(2^32 + 7) return {math.random(1000), math.random(1000)}", [267, 683]),
    ("math.randomseed(-2^31 - 1) return {math.random(1000), math.random(1000)}", [801, 546]),
    ("return {math.random(2^32 + 5), math.random(2^32 + 5), math.random(2^32 + 5)}", [1, 4, 1]),
    # u - l + 1 in C int arithmetic wraps
    ("return {math.random(-2^31, 2^31 - 1), math.random(-2^31, 2^31 - 1)}",
     [-2147483648, -2147483648]),
    ("return {math.random(2^31, 2^31 + 3)}", [-2147483648]),
    ("return math.random(-2^31, 2^31 + 5)", -2147483647),
]


def test_math_random_arguments_are_c_ints(r2):
    bad = [(script, got, expected) for script, expected in MATH_RANDOM_C_INTS
           if (got := ex(r2, "EVAL", script, "0")) != expected]
    assert not bad


@pytest.mark.parametrize("script,msg", [
    ("return math.random(0)", "bad argument #1 to 'random' (interval is empty)"),
    ("return math.random(0/0)", "bad argument #1 to 'random' (interval is empty)"),
    ("return math.random(1e300)", "bad argument #1 to 'random' (interval is empty)"),
    ("return math.random(3,1)", "bad argument #2 to 'random' (interval is empty)"),
    ("return math.random('x')", "bad argument #1 to 'random' (number expected, got string)"),
    ("return math.random(1,2,3)", "wrong number of arguments"),
])
def test_math_random_errors(r2, script, msg):
    assert eval_err(r2, script) == run_error(script, "@user_script:1: user_script:1: " + msg)


# --------------------------------------------------------------------------- libraries


LIBRARY_CASES = [
    ("return cjson.encode({1,2,3})", b"[1,2,3]"),
    ("return cjson.encode({})", b"{}"),
    ("return cjson.encode({a=1})", b'{"a":1}'),
    ("return cjson.encode({a={b={1,'x'}}, c=true, d=false})", b'{"a":{"b":[1,"x"]},"d":false,"c":true}'),
    ("return cjson.encode('a/b\"c\\\\d\\1\\127\\200')", b'"a\\/b\\"c\\\\d\\u0001\\u007f\xc8"'),
    ("return cjson.encode(1/3)", b"0.33333333333333"),
    ("return cjson.encode(1e15)", b"1e+15"),
    ("return cjson.encode(123456789012345)", b"1.2345678901234e+14"),
    ("return cjson.encode({[1]=1,[3]=2})", b"[1,null,2]"),
    ("return cjson.encode({[1.5]=1})", b'{"1.5":1}'),
    ("return cjson.encode(cjson.null)", b"null"),
    ("return cjson.encode({1,nil,3})", b"[1,null,3]"),
    ("return cjson.encode({b=1,a=2,c=3,d=4})", b'{"a":2,"d":4,"c":3,"b":1}'),
    ("return cjson.encode({['1']=1, [2]=3})", b'{"1":1,"2":3}'),
    ("return cjson.encode(cjson.decode('[1,2,{\"a\":null}]'))", b'[1,2,{"a":null}]'),
    ("return tostring(cjson.decode('1.5e3'))", b"1500"),
    ("return tostring(cjson.decode('-Infinity'))", b"-inf"),
    ("return tostring(cjson.decode('+5'))", b"5"),
    ("return cjson.decode('0x10')", 16),
    ("return cjson.decode('true')", 1),
    ("return {cjson._NAME, cjson._VERSION}", [b"cjson", b"2.1.0"]),
    ("return {cjson.encode_max_depth(), cjson.decode_max_depth(), "
     "cjson.encode_number_precision()}", [1000, 1000, 14]),
    ("return {cjson.encode_sparse_array()}", [None, 2, 10]),
    ("local t = cjson.decode('{\"a\":[1,2,{\"b\":null}],\"c\":\"x\\\\u00e9\\\\n\"}'); "
     "return {t.a[1], t.a[3].b == cjson.null, t.c, type(t.a[3].b)}",
     [1, 1, b"x\xc3\xa9\n", b"userdata"]),
    ("return {cmsgpack.unpack(cmsgpack.pack(1,2,3))}", [1, 2, 3]),
    ("return cmsgpack.pack({1,2,{a=1}}, 'x', true, -1, 256, 1.5)",
     b"\x93\x01\x02\x81\xa1a\x01\xa1x\xc3\xff\xcd\x01\x00\xca?\xc0\x00\x00"),
    ("return cmsgpack.unpack('')", None),
    ("return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3))}", [1, 1]),
    ("return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3), 1)}", [2, 2]),
    ("return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 2)}", [2, 1, 2]),
    ("return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 2, 2)}", [-1, 3]),
    ("local t = cmsgpack.unpack(cmsgpack.pack({a='b', c={1,2}})); return {t.a, t.c[2]}",
     [b"b", 2]),
    ("return cmsgpack.pack(string.rep('x', 40))", b"\xd9\x28" + b"x" * 40),
    ("return struct.pack('>I2', 258)", b"\x01\x02"),
    ("return {struct.unpack('>I2', 'ab')}", [24930, 3]),
    ("return {struct.unpack('<i4s', struct.pack('<i4s', -2, 'hi'))}", [-2, b"hi", 8]),
    ("return struct.size('!4bi')", 8),
    ("return {bit.band(0xff, 0x0f), bit.tohex(255), bit.tohex(-1, -4), bit.lshift(1, 33), "
     "bit.tobit(2^32+5), bit.bnot(0)}", [15, b"000000ff", b"FFFF", 2, 5, -1]),
    ("return {bit.bor(1, 2, 4), bit.bxor(5, 3), bit.rshift(-1, 28), bit.arshift(-16, 2), "
     "bit.rol(1, 31), bit.ror(1, 1), bit.bswap(0x12345678)}",
     [7, 6, 15, -4, -2147483648, -2147483648, 2018915346]),
]


def test_libraries(r2):
    bad = [(script, got, expected) for script, expected in LIBRARY_CASES
           if (got := ex(r2, "EVAL", script, "0")) != expected]
    assert not bad


LIBRARY_ERRORS = [
    ("return cjson.encode(1/0)", "Cannot serialise number: must not be NaN or Inf"),
    ("return cjson.encode({[1]=1,[20]=2})", "Cannot serialise table: excessively sparse array"),
    ("return cjson.encode({[true]=1})", "Cannot serialise boolean: table key must be a number or "
                                        "string"),
    ("return cjson.encode(function() end)", "Cannot serialise function: type not supported"),
    ("return cjson.encode()", "bad argument #1 to 'encode' (expected 1 argument)"),
    ("return cjson.decode('{')", "Expected object key string but found T_END at character 2"),
    ("return cjson.decode('[1,2')", "Expected comma or array end but found T_END at character 5"),
    ("return cjson.decode('')", "Expected value but found T_END at character 1"),
    ("return cjson.decode('nul')", "Expected value but found invalid token at character 1"),
    ("return cjson.decode('\"abc')", "Expected value but found unexpected end of string at "
                                     "character 5"),
    ("return cjson.decode('\"\\\\q\"')", "Expected value but found invalid escape code at "
                                         "character 2"),
    ("return cjson.decode('[1,]')", "Expected value but found T_ARR_END at character 4"),
    ("return cjson.decode('{\"a\" 1}')", "Expected colon but found T_NUMBER at character 6"),
    ("return cjson.decode('{1:2}')", "Expected object key string but found T_NUMBER at character 2"),
    ("return cjson.decode('1 2')", "Expected the end but found T_NUMBER at character 3"),
    ("return cmsgpack.pack()", "bad argument #0 to 'pack' (MessagePack pack needs input.)"),
    ("return cmsgpack.unpack(string.char(0xc4, 1, 65))", "Bad data format in input."),
    ("return cmsgpack.unpack(string.char(0xcd, 1))", "Missing bytes in input."),
    ("return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), -1)}",
     "Invalid request to unpack with offset of 0 and limit of 3."),
    ("return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3), 10)}",
     "Start offset 10 greater than input length 3."),
    ("return struct.size('s')", "bad argument #1 to 'size' (option 's' has no fixed size)"),
    ("return struct.size('c0')", "bad argument #1 to 'size' (option 'c0' has no fixed size)"),
    ("return struct.pack('z', 1)", "bad argument #1 to 'pack' (invalid format option 'z')"),
    ("return {struct.unpack('>I2', 'a')}", "bad argument #2 to 'unpack' (data string too short)"),
    ("return struct.pack('c5', 'ab')", "bad argument #3 to 'pack' (string too short)"),
    ("return struct.pack('bbb', 1)", "bad argument #3 to 'pack' (number expected, got nil)"),
    ("return struct.pack('c2')", "bad argument #2 to 'pack' (string expected, got nil)"),
    ("return struct.pack()", "bad argument #1 to 'pack' (string expected, got no value)"),
    ("return struct.pack('i c5', 1, 'ab')", "bad argument #4 to 'pack' (string too short)"),
    ("return {struct.unpack('i', 'abcd', 0)}", "bad argument #3 to 'unpack' (offset must be 1 or "
                                               "greater)"),
    ("return bit.band('x')", "bad argument #1 to 'band' (number expected, got string)"),
    ("return bit.band()", "bad argument #1 to 'band' (number expected, got no value)"),
]


def test_library_errors(r2):
    bad = [(script, got) for script, msg in LIBRARY_ERRORS
           if (got := eval_err(r2, script)) != run_error(script, "@user_script:1: user_script:1: "
                                                                 + msg)]
    assert not bad


NEGATIVE_ZERO_CASES = [
    # -0 keeps its sign wherever C formats it: cjson (%.14g), struct, redis.call (%.17g)
    ("return cjson.encode(-0)", b"-0"),
    ("return cjson.encode({1, -0})", b"[1,-0]"),
    ("return cjson.encode({a = -0})", b'{"a":-0}'),
    ("return cjson.encode({[-0] = 1})", b'{"-0":1}'),
    ("local z = -0 return cjson.encode({0, z, 1, a = {b = z}})", b'{"1":-0,"2":-0,"3":1,"a":{"b":-0}}'),
    ("return tostring(cjson.decode(-0))", b"-0"),
    ("return struct.pack('>d', -0)", b"\x80" + b"\x00" * 7),
    ("return struct.pack('<f', -0)", b"\x00\x00\x00\x80"),
    ("return struct.pack('s', -0)", b"-0\x00"),
    ("local z = -0 return redis.call('ECHO', z)", b"-0"),
    ("local z = -0 return redis.pcall('HSET', 'nz', 'f', z) .. redis.call('HGET', 'nz', 'f')", b"1-0"),
    ("return redis.call('ECHO', 0)", b"0"),
    ("return redis.call('ECHO', 0/0)", b"-nan"),
    ("return redis.call('ECHO', -(0/0))", b"nan"),
]


def test_negative_zero_and_nan_keep_their_sign(r2):
    bad = [(script, got, expected) for script, expected in NEGATIVE_ZERO_CASES
           if (got := ex(r2, "EVAL", script, "0")) != expected]
    assert not bad


# --------------------------------------------------------------------------- EVALSHA / SCRIPT


def test_evalsha_after_eval(r2):
    assert ex(r2, "EVAL", "return 'x'", "0") == b"x"
    assert ex(r2, "EVALSHA", sha("return 'x'"), "0") == b"x"


def test_evalsha_is_case_insensitive(r2):
    ex(r2, "SCRIPT", "LOAD", "return 7")
    assert ex(r2, "EVALSHA", sha("return 7").upper(), "0") == 7
    assert ex(r2, "SCRIPT", "EXISTS", sha("return 7").upper()) == [1]


def test_evalsha_noscript(raw):
    assert raw.cmd("EVALSHA", "a" * 40, "0") == \
        b"-NOSCRIPT No matching script. Please use EVAL.\r\n"
    assert raw.cmd("EVALSHA", "abc", "0") == b"-NOSCRIPT No matching script. Please use EVAL.\r\n"


def test_evalsha_checks_length_before_numkeys(r2):
    assert err(r2, "EVALSHA", "abc", "x") == "NOSCRIPT No matching script. Please use EVAL."
    assert err(r2, "EVALSHA", "a" * 40, "x") == "ERR value is not an integer or out of range"


def test_script_load_and_exists(r2):
    assert ex(r2, "SCRIPT", "LOAD", "return 1") == sha("return 1").encode()
    assert ex(r2, "SCRIPT", "EXISTS", sha("return 1"), "a" * 40) == [1, 0]
    assert ex(r2, "SCRIPT", "EXISTS") == []
    assert ex(r2, "EVALSHA", sha("return 1"), "0") == 1


def test_script_load_compile_error(r2):
    assert err(r2, "SCRIPT", "LOAD", "return (") == \
        "ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'"


def test_script_flush(r2):
    ex(r2, "SCRIPT", "LOAD", "return 1")
    assert ex(r2, "SCRIPT", "FLUSH") == b"OK"
    assert ex(r2, "SCRIPT", "EXISTS", sha("return 1")) == [0]
    assert err(r2, "EVALSHA", sha("return 1"), "0") == \
        "NOSCRIPT No matching script. Please use EVAL."
    ex(r2, "SCRIPT", "LOAD", "return 1")
    assert ex(r2, "SCRIPT", "FLUSH", "ASYNC") == b"OK"
    ex(r2, "SCRIPT", "LOAD", "return 1")
    assert ex(r2, "SCRIPT", "FLUSH", "sync") == b"OK"
    assert ex(r2, "SCRIPT", "EXISTS", sha("return 1")) == [0]


def test_script_flush_errors(r2):
    assert err(r2, "SCRIPT", "FLUSH", "x") == "ERR SCRIPT FLUSH only support SYNC|ASYNC option"
    assert err(r2, "SCRIPT", "FLUSH", "a", "b") == "ERR SCRIPT FLUSH only support SYNC|ASYNC option"


def test_script_flush_resets_the_lua_state(r2):
    ex(r2, "EVAL", "setfenv(1, {})", "0")
    ex(r2, "SCRIPT", "FLUSH")
    assert ex(r2, "EVAL", "return type(redis)", "0") == b"table"


@pytest.mark.parametrize("args,name", [
    (("LOAD",), "LOAD"), (("KILL", "x"), "KILL"), (("debug",), "debug"), (("Foo",), "Foo"),
    (("LOAD", "a", "b"), "LOAD"),
])
def test_script_subcommand_errors(r2, args, name):
    assert err(r2, "SCRIPT", *args) == \
        "ERR Unknown subcommand or wrong number of arguments for '%s'. Try SCRIPT HELP." % name


def test_script_debug(r2):
    assert ex(r2, "SCRIPT", "DEBUG", "NO") == b"OK"
    assert err(r2, "SCRIPT", "DEBUG", "maybe") == "ERR Use SCRIPT DEBUG YES/SYNC/NO"


def test_script_debug_refused_behind_pending_replies(raw):
    """clientHasPendingReplies: an earlier reply of the same pipeline, or EXEC's header."""
    pipe = b"PING\r\nSCRIPT DEBUG NO\r\nMULTI\r\nSCRIPT DEBUG maybe\r\nEXEC\r\n"
    raw.send(pipe)
    pending = b"-ERR SCRIPT DEBUG must be called outside a pipeline\r\n"
    assert [raw.recv_reply() for _ in range(5)] == [
        b"+PONG\r\n", pending, b"+OK\r\n", b"+QUEUED\r\n", b"*1\r\n" + pending]
    assert raw.cmd("SCRIPT", "DEBUG", "NO") == b"+OK\r\n"


def test_script_kill_without_script(r2):
    assert err(r2, "SCRIPT", "KILL") == "NOTBUSY No scripts in execution right now."


def test_script_help(raw):
    reply = raw.cmd("SCRIPT", "HELP")
    assert reply.startswith(b"*17\r\n+SCRIPT <subcommand> [<arg> [value] [opt] ...]. "
                            b"Subcommands are:\r\n+DEBUG (YES|SYNC|NO)\r\n")
    assert reply.endswith(b"+HELP\r\n+    Prints this help.\r\n")


def test_eval_caches_the_script(r2):
    ex(r2, "EVAL", "return 'cached'", "0")
    assert ex(r2, "SCRIPT", "EXISTS", sha("return 'cached'")) == [1]


def test_scripts_in_info(r2):
    ex(r2, "SCRIPT", "FLUSH")
    ex(r2, "SCRIPT", "LOAD", "return 1")
    ex(r2, "EVAL", "return 2", "0")
    assert "number_of_cached_scripts:2" in ex(r2, "INFO", "memory").decode()


def test_command_info_entries(r2):
    rows = ex(r2, "COMMAND", "INFO", "eval", "evalsha", "script")
    assert rows[0][:6] == [b"eval", -3, [b"noscript", b"skip_monitor", b"may_replicate",
                                         b"movablekeys"], 0, 0, 0]
    assert rows[1][:2] == [b"evalsha", -3]
    assert rows[2][:6] == [b"script", -2, [b"noscript", b"may_replicate"], 0, 0, 0]


def test_command_getkeys_for_eval(r2):
    assert ex(r2, "COMMAND", "GETKEYS", "EVAL", "return 1", "2", "a", "b", "c") == [b"a", b"b"]


# --------------------------------------------------------------------------- semantics


def test_script_writes_and_reads(r2):
    assert ex(r2, "EVAL", "redis.call('set', KEYS[1], ARGV[1]); return redis.call('get', KEYS[1])",
              "1", "k", "v") == b"v"
    assert ex(r2, "GET", "k") == b"v"


def test_select_inside_script_does_not_change_the_caller(r2):
    assert ex(r2, "EVAL", "redis.call('select', 1); redis.call('set', 'selk', 'v'); return 1",
              "0") == 1
    assert ex(r2, "GET", "selk") is None
    ex(r2, "SELECT", "1")
    assert ex(r2, "GET", "selk") == b"v"


def test_script_starts_in_the_callers_database(r2):
    ex(r2, "SELECT", "4")
    ex(r2, "SET", "k", "db4")
    assert ex(r2, "EVAL", "return redis.call('get', 'k')", "0") == b"db4"


def test_script_inside_multi(r2):
    assert ex(r2, "MULTI") == b"OK"
    assert ex(r2, "EVAL", "return redis.call('incr', 'c')", "0") == b"QUEUED"
    assert ex(r2, "INCR", "c") == b"QUEUED"
    assert ex(r2, "EXEC") == [1, 2]


def test_script_error_inside_multi_is_an_element(r2):
    ex(r2, "MULTI")
    ex(r2, "EVAL", "error('x')", "0")
    ex(r2, "SET", "k", "v")
    reply = ex(r2, "EXEC")
    assert isinstance(reply[0], redis.ResponseError)
    assert reply[1] == b"OK"


def test_keys_expire_as_of_the_script_start(r2):
    assert ex(r2, "EVAL", "redis.call('set', 'k', 'v', 'px', '20'); local t0 = redis.call('time'); "
              "local i = 0; while i < 3000000 do i = i + 1 end; return redis.call('get', 'k')",
              "0") == b"v"


def test_script_sees_time_advancing(r2):
    assert ex(r2, "EVAL", "return type(redis.call('time')[1])", "0") == b"string"


def test_acl_inside_scripts(make_client):
    admin = make_client()
    try:
        ex(admin, "ACL", "SETUSER", "scripter", "on", ">pw", "~k*", "+eval", "+get")
        c = make_client(username="scripter", password="pw")
        assert ex(c, "EVAL", "return redis.call('get', 'k1')", "0") is None
        script = "return redis.call('set', 'k1', 'v')"
        assert eval_err(c, script) == run_error(
            script, "@user_script:1: @user_script: 1: The user executing the script can't run "
                    "this command or subcommand")
        script = "return redis.call('get', 'other')"
        assert eval_err(c, script) == run_error(
            script, "@user_script:1: @user_script: 1: The user executing the script can't access "
                    "at least one of the keys mentioned in the command arguments")
        entry = ex(admin, "ACL", "LOG")[0]
        d = dict(zip(entry[::2], entry[1::2], strict=True))
        assert d[b"context"] == b"lua" and d[b"object"] == b"other" and d[b"reason"] == b"key"
        assert err(c, "EVAL", "return 1", "1", "other") == \
            "NOPERM this user has no permissions to access one of the keys used as arguments"
    finally:
        ex(admin, "ACL", "DELUSER", "scripter")
        ex(admin, "ACL", "LOG", "RESET")


# --------------------------------------------------------------------------- redis-py


def test_register_script(r2):
    incr_by = r2.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
    assert incr_by(keys=["n"], args=[5]) == 5
    ex(r2, "SCRIPT", "FLUSH")
    assert incr_by(keys=["n"], args=[5]) == 10  # NOSCRIPT -> redis-py loads it again


def test_register_script_in_pipeline(r2):
    s = r2.register_script("return ARGV[1] .. KEYS[1]")
    with r2.pipeline() as p:
        s(keys=["k"], args=["a"], client=p)
        s(keys=["j"], args=["b"], client=p)
        assert p.execute() == [b"ak", b"bj"]


def test_redis_py_lock(r2, make_client):
    other = make_client()
    lock = r2.lock("resource", timeout=10)
    assert lock.acquire(blocking=False)
    assert not other.lock("resource", timeout=10).acquire(blocking=False)
    assert lock.extend(5)
    assert lock.reacquire()
    lock.release()
    assert other.lock("resource", timeout=10).acquire(blocking=False)


def test_redis_py_lock_release_by_non_owner_fails(r2, make_client):
    lock = r2.lock("res", timeout=10)
    assert lock.acquire(blocking=False)
    ex(r2, "SET", "res", "stolen")
    with pytest.raises(redis.exceptions.LockNotOwnedError):
        lock.release()


# --------------------------------------------------------------------------- lua-time-limit


@pytest.fixture
def time_limit(r2):
    assert ex(r2, "CONFIG", "SET", "lua-time-limit", "100") == b"OK"
    yield
    ex(r2, "CONFIG", "SET", "lua-time-limit", "5000")


def _run_in_thread(client, *args):
    box = {}

    def go():
        try:
            box["reply"] = client.execute_command(*args)
        except redis.ResponseError as e:
            box["error"] = getattr(e, "server_message", str(e))

    t = threading.Thread(target=go)
    t.start()
    return t, box


def _wait_busy(r, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            ex(r, "PING")
        except redis.ResponseError as e:
            if str(e).startswith("BUSY"):
                return
        time.sleep(0.02)
    raise AssertionError("the server never became BUSY")


BUSY = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."


def test_busy_script_and_script_kill(time_limit, r2, make_client):
    runner = make_client(socket_timeout=20)
    script = "local i = 0 while true do i = i + 1 end"
    t, box = _run_in_thread(runner, "EVAL", script, "0")
    _wait_busy(r2)
    assert err(r2, "GET", "x") == BUSY
    assert ex(r2, "MULTI") == b"OK"
    assert err(r2, "PING") == BUSY
    assert err(r2, "EXEC") == "EXECABORT Transaction discarded because of: " + BUSY
    assert ex(r2, "SCRIPT", "KILL") == b"OK"
    t.join(10)
    assert box["error"] == run_error(script, "@user_script:1: Script killed by user with "
                                             "SCRIPT KILL...")
    assert ex(r2, "PING") == b"PONG"
    assert ex(runner, "PING") == b"PONG"


def test_busy_script_that_wrote_is_unkillable(time_limit, r2, make_client):
    runner = make_client(socket_timeout=30)
    script = "redis.call('set', 'x', '1') local i = 0 while i < 40000000 do i = i + 1 end " \
             "return redis.call('get', 'x')"
    t, box = _run_in_thread(runner, "EVAL", script, "0")
    _wait_busy(r2)
    assert err(r2, "SCRIPT", "KILL") == (
        "UNKILLABLE Sorry the script already executed write commands against the dataset. You can "
        "either wait the script termination or kill the server in a hard way using the SHUTDOWN "
        "NOSAVE command.")
    t.join(30)
    assert box["reply"] == b"1"
    assert ex(r2, "GET", "x") == b"1"


def test_busy_caller_pipeline_waits_for_the_script(time_limit, make_raw, r2):
    raw = make_raw()
    raw.send(resp_encode("EVAL", "local i = 0 while i < 20000000 do i = i + 1 end", "0")
             + resp_encode("PING"))
    assert raw.recv_reply(timeout=30) == b"$-1\r\n"  # the script returns nothing
    assert raw.recv_reply(timeout=10) == b"+PONG\r\n"


# --------------------------------------------------------------------------- MONITOR


def test_monitor_shows_eval_then_its_commands(r2, make_client):
    watcher = make_client(socket_timeout=5)
    with watcher.monitor() as mon:
        ex(r2, "SELECT", "2")
        ex(r2, "EVAL", "redis.call('set', 'k', 'v') return redis.call('get', 'k')", "0")
        seen = [mon.next_command() for _ in range(4)]
    assert [(m["db"], m["client_type"] if m["client_type"] == "lua" else "caller", m["command"])
            for m in seen] == [
        (2, "caller", "SELECT 2"),
        (2, "caller", "EVAL redis.call('set', 'k', 'v') return redis.call('get', 'k') 0"),
        (2, "lua", "set k v"),
        (2, "lua", "get k"),
    ]


def test_quit_is_an_unknown_command_in_scripts(r2):
    script = "return redis.call('quit')"
    assert eval_err(r2, script) == run_error(
        script, "@user_script:1: @user_script: 1: Unknown Redis command called from Lua script")
    assert ex(r2, "EVAL", "return redis.call('ping')", "0") == b"PONG"


# --------------------------------------------------------------------------- reply conversion is raw


def test_return_globals_table_is_an_empty_array(r2):
    assert ex(r2, "EVAL", "return _G", "0") == []


def test_return_table_whose_index_metamethod_raises(r2):
    # luaReplyToRedisReply reads the table with lua_rawget: no metamethod runs
    script = "local a = {}; setmetatable(a,{__index=function() foo() end}) return a"
    assert ex(r2, "EVAL", script, "0") == []


def test_return_table_whose_index_metamethod_calls_redis(r2):
    script = ("local a = {}; setmetatable(a,{__index=function() redis.call('set', 'x', '1') end}) "
              "return a")
    assert ex(r2, "EVAL", script, "0") == []
    assert ex(r2, "GET", "x") is None


def test_return_table_with_metatable_fields_is_not_an_error(r2):
    script = "local a = setmetatable({1, 2}, {__index={err='no', ok='no'}}) return a"
    assert ex(r2, "EVAL", script, "0") == [1, 2]


def _read_until(raw, end: bytes, timeout: float = 10.0) -> bytes:
    """Bytes up to and including ``end`` (a reply too deeply nested for recv_reply's parser)."""
    deadline = time.monotonic() + timeout
    data, raw.buf = raw.buf, b""
    while end not in data:
        assert time.monotonic() < deadline, data[-200:]
        raw.sock.settimeout(max(deadline - time.monotonic(), 0.01))
        chunk = raw.sock.recv(65536)
        assert chunk, data[-200:]
        data += chunk
    k = data.index(end) + len(end)
    data, raw.buf = data[:k], data[k:]
    return data


STACK_LIMIT = b"-ERR reached lua stack limit\r\n"


def test_return_recursive_table_hits_the_stack_limit(raw):
    raw.send(resp_encode("EVAL", "local a = {}; local b = {a}; a[1] = b; return a", "0"))
    assert _read_until(raw, STACK_LIMIT) == b"*1\r\n" * 7995 + STACK_LIMIT
    assert raw.cmd("PING") == b"+PONG\r\n"


def test_return_recursive_map_hits_the_stack_limit(raw):
    raw.cmd("HELLO", "3")
    raw.send(resp_encode("EVAL", "local a = {}; a.map = {x = a}; return a", "0"))
    reply = _read_until(raw, STACK_LIMIT * 2)
    # 2665 levels; the innermost map's key and value each get the error
    assert reply == b"%1\r\n$1\r\nx\r\n" * 2664 + b"%1\r\n" + STACK_LIMIT * 2
    assert raw.cmd("PING") == b"+PONG\r\n"


def test_call_with_massive_unpacked_arguments(r2):
    script = ('local a = {} for i=1,7999 do a[i] = 1 end '
              'return redis.call("lpush", "l", unpack(a))')
    assert ex(r2, "EVAL", script, "0") == 7999
    script = ('local a = {} for i=1,7990 do a[i] = "v" .. i end '
              'return redis.pcall("rpush", "l2", unpack(a))')
    assert ex(r2, "EVAL", script, "0") == 7990
    assert ex(r2, "LINDEX", "l2", "-1") == b"v7990"


def test_call_with_massive_arguments_checks_their_types(r2):
    script = ('local a = {} for i=1,5000 do a[i] = 1 end a[4000] = true '
              'return redis.call("lpush", "l", unpack(a))')
    assert eval_err(r2, script) == run_error(
        script, "@user_script:1: @user_script: 1: Lua redis() command arguments must be strings or "
                "integers")


def test_script_kill_stops_a_script_that_catches_errors_with_pcall(time_limit, r2, make_client):
    runner = make_client(socket_timeout=20)
    script = ("local f = function() while 1 do redis.call('ping') end end\n"
              "while 1 do pcall(f) end")
    t, box = _run_in_thread(runner, "EVAL", script, "0")
    _wait_busy(r2)
    assert ex(r2, "SCRIPT", "KILL") == b"OK"
    t.join(10)
    assert not t.is_alive()
    assert box.get("error") == run_error(script, "@user_script:2: Script killed by user with "
                                                 "SCRIPT KILL...")
    assert ex(r2, "PING") == b"PONG"
    # the next scripts run normally (pcall catches their errors again)
    assert ex(r2, "EVAL", "local ok = pcall(function() error('x') end)\nreturn ok and 1 or 2",
              "0") == 2


# --------------------------------------------------------------------------- whole-script replication


@pytest.fixture
def script_replication(r2):
    """lua-replicate-commands no: Redis 6.2 replicates scripts whole unless they call
    redis.replicate_commands(), and keeps them deterministic."""
    assert ex(r2, "CONFIG", "SET", "lua-replicate-commands", "no") == b"OK"
    yield
    ex(r2, "CONFIG", "SET", "lua-replicate-commands", "yes")


NONDET = ("Write commands not allowed after non deterministic commands. Call "
          "redis.replicate_commands() at the start of your script in order to switch to single "
          "commands replication mode.")


def test_no_write_after_random_command(script_replication, r2):
    script = "redis.pcall('randomkey'); return redis.pcall('set','x','ciao')"
    assert eval_err(r2, script) == "@user_script: 1: " + NONDET  # (the error table as is)
    assert ex(r2, "GET", "x") is None
    script = "redis.call('time'); return redis.call('set','x','ciao')"
    assert eval_err(r2, script) == run_error(script, "@user_script:1: @user_script: 1: " + NONDET)
    # after redis.replicate_commands() the write is allowed
    assert ex(r2, "EVAL", "redis.replicate_commands(); redis.call('randomkey'); "
                          "return redis.call('set','x','ciao')", "0") == b"OK"


def test_writes_then_random_then_read_is_fine(script_replication, r2):
    assert ex(r2, "EVAL", "redis.call('set','x','1'); redis.call('randomkey'); "
                          "return redis.call('get','x')", "0") == b"1"


def test_to_sort_replies_are_sorted(script_replication, r2):
    members = ["u", "d", "a", "c", "q", "z", "aaa", "o", "g", "aa", "azz", "b"]
    r2.sadd("myset", *members)
    r2.hset("h", mapping={"z": "1", "b": "3", "m": "2"})
    got = ex(r2, "EVAL", "return redis.call('smembers',KEYS[1])", "1", "myset")
    assert got == sorted(m.encode() for m in members)
    assert ex(r2, "EVAL", "return redis.call('hkeys','h')", "0") == [b"b", b"m", b"z"]
    assert ex(r2, "EVAL", "return redis.call('hvals','h')", "0") == [b"1", b"2", b"3"]
    assert ex(r2, "EVAL", "return redis.call('keys','*')", "0") == [b"h", b"myset"]
    # a RESP3 set (redis.setresp(3)) is not a '*' reply: not sorted, but still every member
    got = ex(r2, "EVAL", "redis.setresp(3) local t = redis.call('smembers',KEYS[1]).set "
                         "local n = 0 for _ in pairs(t) do n = n + 1 end return n", "1", "myset")
    assert got == len(members)


def test_set_repl_needs_replicate_commands(script_replication, r2):
    script = "redis.set_repl(redis.REPL_ALL)"
    assert eval_err(r2, script) == run_error(
        script, "@user_script:1: You can set the replication behavior only after turning on "
                "single commands replication with redis.replicate_commands().")
    script = "redis.replicate_commands() redis.set_repl()"
    assert eval_err(r2, script) == run_error(
        script, "@user_script:1: redis.set_repl() requires two arguments.")
    assert ex(r2, "EVAL", "redis.replicate_commands() redis.set_repl(redis.REPL_ALL) return 1",
              "0") == 1
