"""Scripting: EVAL, EVALSHA, SCRIPT, and ``redis.call``'s path through the dispatcher.

The Lua state and its sandbox live in :mod:`perdure.server.lua.engine`; this module runs
scripts against the server (Redis's scripting.c, the parts that touch the server):

* **redis.call / redis.pcall** (:meth:`Scripting.call`) run commands on a fake client
  (``conn_type`` ``lua``, the caller's user and database) through :func:`dispatch.call`, after
  the checks Redis makes in this order: argument types, lookup and arity, ``noscript``, ACL (the
  caller's user, ACL LOG context ``lua``), MISCONF, OOM before the first write.  Their replies
  are converted to Lua per the protocol chosen with ``redis.setresp``.
* **Effects.**  A script's writes are logged as their effects (SET, DEL...), never as the
  script, collected by :func:`transactions.begin_effects` and written as one unit -- wrapped in
  MULTI/EXEC when there are several -- so the whole script is one log record; its reply waits
  for that record.  ``redis.set_repl`` is validated as in Redis but cannot keep a write out of
  the log: the log is Perdure's durability, not replication.  SCRIPT LOAD and SCRIPT FLUSH are
  logged, as Redis propagates them, so EVALSHA of a loaded script works after a restart.
* **Time.**  Keys expire as of the script's start (the clock is frozen while it runs).
* **lua-time-limit and BUSY.**  A script runs in a greenlet.  The engine's count hook (every
  100,000 Lua instructions) calls :meth:`Scripting.tick`; once the script has run longer than
  ``lua-time-limit`` it is *suspended*: the greenlet switches back to the event loop, the caller
  is parked (its pipelined requests wait), and every other client gets ``BUSY`` for everything
  but SCRIPT KILL, SHUTDOWN NOSAVE and the few commands Redis lets through -- exactly what
  Redis does with processEventsWhileBlocked.  The loop resumes the script after each round of
  I/O until it ends (or SCRIPT KILL stops a script that has not written).  While suspended, no
  other command can touch data, active expiry is paused, and the script's effects stay
  buffered, so the script remains atomic in memory and in the log.  Scripts run by EXEC are
  never suspended (EXEC cannot be split); there the limit only logs the slow-script warning.
"""

from __future__ import annotations

import logging
import random
import time

from .. import dispatch, errors, resp
from ..app import Server
from ..app import _Blocked as _Parked
from ..args import to_int
from ..client import Client
from ..errors import RedisError
from ..lua.engine import LuaEngine, error_text, parse_raw, sha1hex
from ..registry import Flag, command
from .transactions import begin_effects, end_effects

try:
    import greenlet
except ImportError:  # pragma: no cover - greenlet is a dependency; without it, no BUSY
    greenlet = None

log = logging.getLogger("perdure")

_WRITE = Flag.WRITE
_NOSCRIPT = Flag.NOSCRIPT
_DENYOOM = Flag.DENYOOM
_RANDOM = Flag.RANDOM
_TO_SORT = Flag.SORT_FOR_SCRIPT
_lookup = dispatch.lookup
_call = dispatch.call
_BLOCKED = dispatch.BLOCKED

_NOARGS = b"Please specify at least one argument for redis.call()"
_ARGTYPES = b"Lua redis() command arguments must be strings or integers"
_UNKNOWN = b"Unknown Redis command called from Lua script"
_ARITY = b"Wrong number of args calling Redis command From Lua script"
_NOT_ALLOWED = b"This Redis command is not allowed from scripts"
_NONDETERMINISTIC = (b"Write commands not allowed after non deterministic commands. Call "
                     b"redis.replicate_commands() at the start of your script in order to switch "
                     b"to single commands replication mode.")
_SET_REPL_FIRST = (b"You can set the replication behavior only after turning on single commands "
                   b"replication with redis.replicate_commands().")
_OOM = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
NOT_BUSY = "NOTBUSY No scripts in execution right now."
UNKILLABLE = ("UNKILLABLE Sorry the script already executed write commands against the dataset. "
              "You can either wait the script termination or kill the server in a hard way using "
              "the SHUTDOWN NOSAVE command.")
_LOG_LEVELS = (logging.DEBUG, logging.INFO, logging.INFO, logging.WARNING)
_FLAGS: dict = {}  # command -> (noscript, write, denyoom), enum.Flag tests being slow

# What a client may still run while a script is BUSY (processCommand's lua_timedout test).
_BUSY_OK = frozenset(("auth", "hello", "replconf", "multi", "discard", "watch", "unwatch", "reset"))


def busy_allows(cmd, argv) -> bool:
    """``Server.busy_allows``: may this command run while a script is timed out?"""
    name = cmd.name
    if name in _BUSY_OK:
        return True
    if len(argv) == 2:
        if name == "shutdown" and argv[1][:1] in (b"n", b"N"):
            return True
        if name == "script" and argv[1][:1] in (b"k", b"K"):
            return True
    return False


def _sorted_for_script(reply, proto: int):
    """luaSortArray: a ``to-sort`` command's array reply (SMEMBERS, KEYS...) in string order,
    when the script is replicated whole (not a RESP3 set: Redis sorts ``*`` replies only)."""
    if type(reply) is resp.Lazy:
        reply = list(reply)
    elif type(reply) is resp.Raw:
        reply = parse_raw(reply)
    if type(reply) is list or (type(reply) is resp.Set and proto == 2):
        if all(type(x) is bytes for x in reply):
            return sorted(reply)
    return reply


class LuaClient(Client):
    """The client scripts run commands as: never connected, DENY_BLOCKING (``in_exec``);
    replies a handler emits by itself are captured instead of sent."""

    def __init__(self, server):
        super().__init__(server, None)
        self.conn_type = "lua"
        self.in_exec = True
        self.authenticated = True
        self.addr = ""
        self.captured = []

    def emit(self, reply, required: int = 0) -> None:
        self.captured.append(reply)


class _Run:
    """One script execution (Redis's lua_caller, lua_time_start, lua_kill, lua_write_dirty...)."""

    __slots__ = ("caller", "lua", "sha", "func", "keys", "args", "t0", "timedout", "kill",
                 "write_dirty", "oom", "suspendable", "suspended", "buf", "ready", "expire_was",
                 "replicate", "random_dirty", "argv", "start")

    def __init__(self, caller, lua, sha, func, keys, args):
        self.caller = caller
        self.lua = lua
        self.sha = sha
        self.func = func
        self.keys = keys
        self.args = args
        self.t0 = time.monotonic()
        self.timedout = False
        self.kill = False
        self.write_dirty = False
        self.oom = False
        self.suspendable = False
        self.suspended = False
        self.buf = None
        self.ready = []
        self.expire_was = True
        self.replicate = True      # lua_replicate_commands: effects replication (the default)
        self.random_dirty = False  # lua_random_dirty: a `random` command ran
        self.argv = None           # EVAL/EVALSHA's own arguments (whole-script replication)
        self.start = 0             # where its effects start in the effects buffer


class _Crash:
    """An unexpected exception inside the script greenlet, re-raised on the loop's side."""

    __slots__ = ("exc",)

    def __init__(self, exc):
        self.exc = exc


_SUSPENDED = object()


class _Monitored:
    """EVAL as MONITOR sees it: the command is ``no-monitor`` (call() must not show it after the
    script's commands) but evalCommand shows it before them."""

    flags = Flag(0)


_AS_MONITORED = _Monitored()


class Scripting:
    """The scripting state of one server; the host of its :class:`LuaEngine`."""

    def __init__(self, srv):
        self.srv = srv
        self.engine = None
        self.lua = None
        self.run = None
        self.worker = None

    # ---- the engine ---------------------------------------------------------------------------
    def get_engine(self) -> LuaEngine:
        eng = self.engine
        if eng is None:
            eng = self.engine = LuaEngine(self)
            self.srv.scripts = eng.bodies
        return eng

    def reset(self) -> None:
        """SCRIPT FLUSH: a new Lua state, no cached script (scriptingReset)."""
        self.engine = None
        self.srv.scripts = {}

    # ---- EVAL / EVALSHA --------------------------------------------------------------------
    def eval(self, c, argv, evalsha: bool):
        srv = self.srv
        if srv.monitors:
            # evalCommand feeds MONITOR itself, so that the script's commands follow it
            srv.feed_monitors(c, _AS_MONITORED, argv)
        if evalsha and len(argv[1]) != 40:
            raise RedisError(errors.NOSCRIPT)
        numkeys = to_int(argv[2])
        if numkeys is None:
            raise RedisError(errors.NOT_INTEGER)
        if numkeys > len(argv) - 3:
            raise RedisError("ERR Number of keys can't be greater than number of args")
        if numkeys < 0:
            raise RedisError("ERR Number of keys can't be negative")
        if self.run is not None:
            raise RedisError(errors.BUSY)  # (the dispatcher already refuses EVAL then)
        eng = self.get_engine()
        if evalsha:
            sha = argv[1].lower()
            f = eng.funcs.get(sha)
            if f is None:
                raise RedisError(errors.NOSCRIPT)
        else:
            sha, f = eng.create(argv[1])
        lua = self.lua
        if lua is None:
            lua = self.lua = LuaClient(srv)
        lua.db = c.db
        lua.user = c.user
        lua.proto = 2
        lua.required = 0
        lua.captured.clear()
        run = _Run(c, lua, sha, f, argv[3:3 + numkeys], argv[3 + numkeys:])
        run.oom = bool(srv.maxmemory) and srv.over_maxmemory()
        run.replicate = srv.config["lua-replicate-commands"]
        run.suspendable = (greenlet is not None and c.transport is not None and not c.in_exec
                           and c.multi is None and not srv.replaying and srv.loop is not None)
        self.run = run
        run.buf = begin_effects(srv)
        run.argv = argv
        outer = srv.__dict__.get("_fx_buf")
        run.start = len(outer) if outer is not None else 0
        d = srv.__dict__
        frozen = "cached_now_ms" not in d
        if frozen:
            now = srv.cached_now_ms()
            d["cached_now_ms"] = lambda: now
        try:
            if run.suspendable:
                out = self._switch(run)
                if out is _SUSPENDED:
                    run.suspended = True
                    c.blocked = _Parked(c, [], None, None)
                    run.expire_was = srv.active_expire_enabled
                    srv.active_expire_enabled = False
                    srv.loop.call_soon(self._resume)
                    return _BLOCKED
            else:
                out = self._execute(run)
        except BaseException:
            self._end(run, frozen)
            raise
        self._end(run, frozen)
        return self._outcome(out)

    def _switch(self, arg):
        w = self.worker
        if w is None or w.dead:
            w = self.worker = greenlet.greenlet(self._worker_loop)
        return w.switch(arg)

    def _worker_loop(self, run):
        while True:
            out = self._execute(run)
            run = greenlet.getcurrent().parent.switch(out)

    def _execute(self, run):
        """Run the script; its reply, or a RedisError for an error reply."""
        eng = self.engine
        try:
            ok, v = eng.run(run.func, run.keys, run.args)
            if ok:
                return eng.to_reply(v, run.caller.proto, run.lua.proto)
            msg = v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
            return RedisError(error_text("ERR Error running script (call to f_%s): %s"
                                         % (run.sha.decode(), msg)))
        except RedisError as e:
            return e
        except Exception as e:  # noqa: BLE001 - a bug: reported by the loop's side
            return _Crash(e)

    def _end(self, run, frozen: bool) -> None:
        srv = self.srv
        self.run = None
        if frozen:
            srv.__dict__.pop("cached_now_ms", None)
        c = run.caller
        if not run.replicate:
            self._whole_script(run)
        end_effects(srv, run.buf, c.db.id, run.write_dirty and run.replicate)
        srv.__dict__.pop("_stream_off", None)  # redis.set_repl() lasts for its script only
        if run.lua.required > c.required:
            c.required = run.lua.required

    def _whole_script(self, run) -> None:
        """lua-replicate-commands no: replicas get the script itself (as EVAL) when it wrote;
        the log keeps its effects, which replay deterministically."""
        buf = self.srv.__dict__.get("_fx_buf")
        if not buf or len(buf) <= run.start:
            return
        for i in range(run.start, len(buf)):
            db_, argv, repl = buf[i]
            if argv is not None:
                buf[i] = (db_, argv, False)
        a = run.argv
        body = self.engine.bodies.get(run.sha) if a[0].lower() == b"evalsha" else a[1]
        buf.append((run.caller.db.id, None, [b"EVAL", body or a[1], *a[2:]]))

    @staticmethod
    def _outcome(out):
        if isinstance(out, _Crash):
            raise out.exc
        if isinstance(out, RedisError):
            raise out
        return out

    # ---- a suspended (BUSY) script ------------------------------------------------------------
    def _resume(self) -> None:
        run = self.run
        srv = self.srv
        if run is None or not run.suspended:
            return
        ev = srv.shutdown_event
        if ev is not None and ev.is_set():
            return  # SHUTDOWN NOSAVE: the script never completes
        out = self.worker.switch(None)
        if out is _SUSPENDED:
            srv.loop.call_soon(self._resume)
            return
        c = run.caller
        appended0 = srv.log.appended
        self._end(run, True)
        srv.lua_timedout = False
        srv.update_lane()
        srv.active_expire_enabled = run.expire_was
        try:
            reply = self._outcome(out)
        except RedisError as e:
            reply = e
            srv.count_error(e)
        except Exception as e:  # noqa: BLE001
            log.exception("internal error finishing a script")
            reply = RedisError("ERR internal error: %s" % type(e).__name__)
        required = c.required
        if srv.log.appended != appended0 and srv.log.appended > required:
            required = srv.log.appended
        if c.blocked is not None:
            srv._unblock(c)
        if not c.closing:
            c.emit(reply, required)
        srv.ready_keys = run.ready + srv.ready_keys
        if srv.ready_keys:
            srv.serve_ready_keys()
        srv._resume(c)

    # ---- called from Lua ----------------------------------------------------------------------
    def call(self, raise_error, *args):
        """luaRedisGenericCommand: (value, None), or (message, 1) for an error the glue prefixes
        with the script's position, or (message, 2) for a command error redis.call raises; or
        (None, 3): call again with the numbers formatted by Lua (a 0 may be a -0, which Redis
        sends as "-0" and lupa hands over as 0; a NaN, which C prints "-nan" or "nan")."""
        run = self.run
        if not args:
            return _NOARGS, 1
        argv = []
        for a in args:
            t = type(a)
            if t is bytes:
                argv.append(a)
            elif t is int:
                if not a:
                    return None, 3
                argv.append(b"%d" % a if -10 ** 17 < a < 10 ** 17 else b"%.17g" % a)
            elif t is float:
                if a != a:
                    return None, 3
                argv.append(b"%.17g" % a)
            else:
                return _ARGTYPES, 1
        if run is None:
            return _UNKNOWN, 1
        cmd = _lookup(argv[0])
        if cmd is None or cmd.name == "quit":  # QUIT is no command-table entry in 6.2
            return _UNKNOWN, 1
        n = len(argv)
        ar = cmd.arity
        if (ar > 0 and n != ar) or n < -ar:
            return _ARITY, 1
        fl = _FLAGS.get(cmd)
        if fl is None:
            fl = _FLAGS[cmd] = (bool(cmd.flags & _NOSCRIPT), bool(cmd.flags & _WRITE),
                                bool(cmd.flags & _DENYOOM), bool(cmd.flags & _RANDOM),
                                bool(cmd.flags & _TO_SORT))
        if fl[0]:
            return _NOT_ALLOWED, 1
        srv = self.srv
        caller = run.caller
        user = caller.user
        if user is not None and not user.unrestricted:
            denied = srv.acl_check(caller, cmd, argv, "lua")
            if denied is not None:
                return denied.msg.encode(), 1
        if fl[1]:
            if run.random_dirty and not run.replicate:
                return _NONDETERMINISTIC, 1  # whole-script replication (lua-replicate-commands no)
            if (srv.masterhost is not None and srv.config["replica-read-only"] and not srv.loading
                    and caller.conn_type != "master"):
                return b"-READONLY You can't write against a read only replica.\r\n", 1
            if srv.log_failed:
                return b"-MISCONF Errors writing to the AOF file: %s\r\n" % srv.log_failed.encode(), 1
            if (srv.min_replicas and srv.masterhost is None
                    and srv.repl.good_replicas() < srv.config["min-replicas-to-write"]):
                return b"-NOREPLICAS Not enough good replicas to write.\r\n", 1
            if run.oom and not run.write_dirty and fl[2] and srv.maxmemory:
                return _OOM, 1
            run.write_dirty = True
        if fl[3]:
            run.random_dirty = True
        lua = run.lua
        if srv.cluster is not None:
            err = srv.cluster.check(lua, cmd, argv)
            if err is not None:
                return b"Lua script attempted to access a non local key in a cluster node", 1
        reply = _call(lua, cmd, argv)
        if reply is _BLOCKED:
            reply = lua.captured.pop(0) if lua.captured else None
        if isinstance(reply, RedisError):
            msg = reply.msg.encode("utf-8", "surrogateescape")
            if raise_error:
                return msg, 2
            return self.engine.table_from({b"err": msg}), None
        if fl[4] and not run.replicate:
            reply = _sorted_for_script(reply, lua.proto)
        return self.engine.to_lua(reply, lua.proto), None

    def log(self, level, msg):
        log.log(_LOG_LEVELS[int(level)], "%s", msg.decode("utf-8", "replace"))

    def setresp(self, n):
        if self.run is not None:
            self.run.lua.proto = int(n)

    def replicate_commands(self):
        """True, and math.random reseeded at random, unless the script already wrote."""
        run = self.run
        if run is None or run.write_dirty:
            return False
        run.replicate = True
        self.engine.rand.seed(random.getrandbits(31))
        return True

    def set_repl(self, argc, flags):
        run = self.run
        if run is not None and not run.replicate:
            return _SET_REPL_FIRST
        if argc != 1:
            return b"redis.set_repl() requires two arguments."
        if int(flags) & ~3:
            return b"Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE."
        # without REPL_REPLICA the writes that follow skip the replication stream; the log
        # keeps every write whatever the flags (a write it lost would be readable, then gone)
        d = self.srv.__dict__
        if int(flags) & 2:
            d.pop("_stream_off", None)
        else:
            d["_stream_off"] = True
        return None

    def tick(self):
        """The count hook: lua-time-limit, the slow-script warning, suspension, SCRIPT KILL."""
        run = self.run
        if run is None:
            return False
        if run.kill:
            return True
        if not run.timedout:
            limit = self.srv.config["lua-time-limit"]
            if limit <= 0:
                return False
            elapsed = (time.monotonic() - run.t0) * 1000
            if elapsed < limit:
                return False
            run.timedout = True
            log.warning("Lua slow script detected: still in execution after %d milliseconds. "
                        "You can try killing the script using the SCRIPT KILL command. "
                        "Script SHA1 is: %s", elapsed, run.sha.decode())
            if run.suspendable:
                self.srv.lua_timedout = True
                self.srv.update_lane()
        if not run.suspendable or greenlet.getcurrent() is not self.worker:
            return False
        srv = self.srv
        if srv.ready_keys:
            run.ready += srv.ready_keys
            srv.ready_keys = []
        greenlet.getcurrent().parent.switch(_SUSPENDED)
        return run.kill

    # ---- SCRIPT KILL ------------------------------------------------------------------------
    def kill(self):
        run = self.run
        if run is None:
            raise RedisError(NOT_BUSY)
        if run.write_dirty:
            raise RedisError(UNKILLABLE)
        run.kill = True
        return resp.OK


def scripting(srv) -> Scripting:
    s = srv.__dict__.get("scripting")
    if s is None:
        s = srv.scripting = Scripting(srv)
    return s


def _eval_keys(argv):
    """evalGetKeys: the ``numkeys`` keys after the script."""
    if len(argv) < 3:
        return []
    n = to_int(argv[2])
    if n is None or n <= 0 or n > len(argv) - 3:
        return []
    return argv[3:3 + n]


@command("eval", -3, "noscript no-monitor may-replicate", "@scripting", getkeys=_eval_keys)
def eval_(c, argv):
    "EVAL script numkeys [key [key ...]] [arg [arg ...]]"
    return scripting(c.server).eval(c, argv, False)


@command("evalsha", -3, "noscript no-monitor may-replicate", "@scripting", getkeys=_eval_keys)
def evalsha(c, argv):
    "EVALSHA sha1 numkeys [key [key ...]] [arg [arg ...]]"
    return scripting(c.server).eval(c, argv, True)


_HELP = [
    b"SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"DEBUG (YES|SYNC|NO)",
    b"    Set the debug mode for subsequent scripts executed.",
    b"EXISTS <sha1> [<sha1> ...]",
    b"    Return information about the existence of the scripts in the script cache.",
    b"FLUSH [ASYNC|SYNC]",
    b"    Flush the Lua scripts cache. Very dangerous on replicas.",
    b"    When called without the optional mode argument, the behavior is determined by the",
    b"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    b"    * ASYNC: Asynchronously flush the scripts cache.",
    b"    * SYNC: Synchronously flush the scripts cache.",
    b"KILL",
    b"    Kill the currently executing Lua script.",
    b"LOAD <script>",
    b"    Load a script into the scripts cache without executing it.",
    b"HELP",
    b"    Prints this help.",
]


@command("script", -2, "noscript may-replicate", "@scripting")
def script(c, argv):
    "SCRIPT DEBUG|EXISTS|FLUSH|KILL|LOAD|HELP [arg ...]"
    srv = c.server
    sub = argv[1].lower()
    n = len(argv)
    s = scripting(srv)
    if sub == b"help" and n == 2:
        return [resp.Simple(line) for line in _HELP]
    if sub == b"flush":
        if n > 3 or (n == 3 and argv[2].lower() not in (b"sync", b"async")):
            raise RedisError("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
        s.reset()
        srv.propagate(c.db, [b"SCRIPT", b"FLUSH"], argv)
        return resp.OK
    if sub == b"exists":
        bodies = s.engine.bodies if s.engine is not None else {}
        return [1 if a.lower() in bodies else 0 for a in argv[2:]]
    if sub == b"load" and n == 3:
        eng = s.get_engine()
        sha = sha1hex(argv[2])
        known = sha in eng.funcs
        eng.create(argv[2], sha)
        if not known:
            srv.propagate(c.db, [b"SCRIPT", b"LOAD", argv[2]], argv)
        else:  # the log has it already; replicas get every SCRIPT LOAD, as in Redis
            srv.propagate_stream(c.db.id, argv)
        return sha
    if sub == b"kill" and n == 2:
        return s.kill()
    if sub == b"debug" and n == 3:
        # clientHasPendingReplies: an earlier reply of the same pipeline not written yet, or
        # EXEC's own array header
        if c.in_exec or c.output_pending():
            raise RedisError("ERR SCRIPT DEBUG must be called outside a pipeline")
        mode = argv[2].lower()
        if mode == b"no":
            return resp.OK
        if mode in (b"yes", b"sync"):
            raise RedisError("ERR SCRIPT DEBUG (the Lua debugger) is not supported by Perdure")
        raise RedisError("ERR Use SCRIPT DEBUG YES/SYNC/NO")
    raise RedisError(errors.UNKNOWN_SUBCOMMAND % (argv[1].decode("utf-8", "replace"), "SCRIPT"))


Server.lua_timedout = False    # a script ran past lua-time-limit: others get BUSY (dispatch)
Server.busy_allows = staticmethod(busy_allows)
Server.scripts = {}            # sha -> body, for INFO (replaced per server by its engine's)
