"""The ordered request pipeline (Redis's processCommand + call), in one place.

``process(c, argv)``: lookup (QUIT) → arity → auth → ACL → loading → cluster → eviction/OOM →
tracking-table limit → CLIENT PAUSE → MULTI queueing →
pub/sub context → log-failure check → :func:`call` → reply (gated on durability).

``call(c, cmd, argv)`` runs a handler and then decides, from what the handler changed, what
goes to the effects log and which log offset the reply must wait for:

* a write that changed something (``server.dirty`` moved) is logged as its own argv, unless
  the handler logged explicit effects with ``server.propagate`` (rewrites such as
  SET EX → SET PXAT, SPOP → SREM);
* every key the command changed (``Database.changed`` → ``server.on_key_change``) is marked
  with the log offset of that write (the per-key *hazard*);
* the reply waits for: the command's own log records, the hazards of the keys it names, or —
  for a command that observes the keyspace without naming keys — everything appended so far.

Handlers never do any of this themselves.
"""

from __future__ import annotations

import time

from . import errors, eviction, resp
from .errors import RedisError
from .registry import COMMANDS, Flag
from .replication import MASTERDOWN_ERR, READONLY_ERR

_perf = time.perf_counter
_encode = resp.encode
_SMALL_LENS = resp._SMALL_LENS
_OK = resp.OK
_cache: dict = {}

# Commands allowed while a RESP2 client is in subscribed state.
_PUBSUB_OK = {"subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ping", "quit", "reset"}
_MULTI_IMMEDIATE = {"exec", "discard", "multi", "watch", "quit", "reset"}
_OOM_IN_MULTI_OK = {"exec", "discard", "reset"}  # processCommand: never refused for OOM in MULTI
_EVICT_FAIL = eviction.EVICT_FAIL

NOT_DATA = Flag.NO_DATA
WRITE = Flag.WRITE
READONLY = Flag.READONLY
STALE = Flag.STALE


def lookup(name: bytes):
    cmd = _cache.get(name)
    if cmd is None:
        cmd = COMMANDS.get(name.decode("latin-1").lower())
        if cmd is not None and len(_cache) < 4096:
            _cache[name] = cmd
    return cmd


def unknown_command_error(argv) -> RedisError:
    """Redis 6.2's text: arguments are quoted until 128 bytes of them are written (the last one
    cut to fit); C strings, so each stops at a NUL byte."""
    args = b""
    for a in argv[1:]:
        if len(args) >= 128:
            break
        args += b"`%s`, " % a.split(b"\0", 1)[0][:128 - len(args)]
    msg = b"ERR unknown command `%s`, with args beginning with: %s" % (argv[0].split(b"\0", 1)[0], args)
    return RedisError(msg.decode("utf-8", "replace"))


def process(c, argv) -> None:
    """Run one request from a client and queue its reply."""
    srv = c.server
    cmd = _cache.get(argv[0]) or lookup(argv[0])
    if cmd is None:
        if argv[0].lower() == b"quit":
            # Not a command-table entry in 6.2: answered before anything else, any arguments.
            c.emit(resp.OK)
            c.close_after_reply()
            return None
        c.last_cmd = None  # CLIENT LIST: cmd=NULL
        srv.stat_rejected_calls += 1
        return _reject(c, unknown_command_error(argv))
    c.last_cmd = cmd
    n = len(argv)
    ar = cmd.arity
    if (ar > 0 and n != ar) or n < -ar:
        return _reject(c, RedisError(errors.WRONG_ARITY % cmd.name), cmd)
    if c.lane is not srv.lane or cmd.breaks_lane:
        return _process_checked(c, srv, cmd, argv)
    # The fast lane: no rare condition holds for the server (Server.update_lane) nor for this
    # connection (_adopt_lane), so none of _process_checked's checks could refuse or divert
    # the command.  What follows is call() inlined, less its MONITOR and CLIENT TRACKING steps
    # (neither is on), then c.emit() inlined for a reply that waits for nothing: keep both in
    # step with the originals.
    if srv.tracking is not None and srv.tracking.table:
        srv.tracking_limit(c)  # processCommand's trackingLimitUsedSlots, as in _process_checked
    c.required = 0
    srv.current_client = c
    log = srv.log
    appended0 = log.appended
    pending = appended0 > log.durable
    required = 0
    write = cmd.write
    if pending and not write:
        required = _hazard(c, cmd, argv, appended0)
    dirty0 = srv.dirty
    srv.propagated = False
    t0 = _perf()
    try:
        reply = cmd.handler(c, argv)
    except RedisError as e:
        reply = e
        srv.count_error(e)
        cmd.stats[3] += 1
    dt = _perf() - t0
    if write and srv.dirty != dirty0 and not srv.propagated:
        srv.log_effect(c.db.id, argv)
    if srv.touched:
        srv.settle_hazards()
    if log.appended != appended0:
        required = log.appended
    elif pending and write:
        required = _hazard(c, cmd, argv, appended0)
    if required > c.required:
        c.required = required
    else:
        required = c.required
    st = cmd.stats
    st[0] += 1
    st[1] += dt
    if dt >= srv.slow_call_s:
        srv.slow_call(c, cmd, argv, dt)
    if reply is not BLOCKED:
        if c.held or (required and required > log.durable):
            c.emit(reply, required)
        elif type(reply) is bytes:  # resp.encode's two commonest cases, inlined
            out = c.out
            n = len(reply)
            out += _SMALL_LENS[n] if n < 1024 else b"$%d\r\n" % n
            out += reply
            out += b"\r\n"
        elif reply is _OK:
            c.out += _OK
        else:
            _encode(reply, c.proto, c.out)
    srv.current_client = None
    if srv.ready_keys:
        srv.serve_ready_keys()
    return None


def _process_checked(c, srv, cmd, argv):
    """process() past the arity check, every check in Redis's order (the slow lane)."""
    if not c.authenticated and not cmd.no_auth and srv.auth_required():
        return _reject(c, RedisError(errors.NOAUTH), cmd)
    user = c.user
    if user is not None and not user.unrestricted:
        err = srv.acl_check(c, cmd, argv)
        if err is not None:
            return _reject(c, err, cmd)
    if srv.loading and not cmd.ok_loading:
        return _reject(c, RedisError(errors.LOADING), cmd)
    if srv.cluster is not None:
        err = srv.cluster.check(c, cmd, argv)
        if err is not None:
            if cmd.name == "exec":
                # clusterRedirectClient, not rejectCommand: EXEC gets the bare error (check
                # already discarded the transaction), no EXECABORT wrapping
                cmd.stats[2] += 1
                cmd = None
            return _reject(c, err, cmd)
    if srv.maxmemory and not srv.lua_timedout and eviction.perform_evictions(srv, True) == _EVICT_FAIL:
        # over maxmemory and nothing (more) to evict: refuse what may use memory, and anything
        # but EXEC/DISCARD/RESET inside MULTI (queueing uses memory too)
        if cmd.denyoom or (c.multi is not None and cmd.name not in _OOM_IN_MULTI_OK):
            return _reject(c, RedisError(errors.OOM), cmd)
    if srv.tracking is not None and srv.tracking.table:
        # processCommand's trackingLimitUsedSlots: a table left over tracking-table-max-keys
        # (CONFIG SET lowered it) is trimmed before the command, even one queued in MULTI,
        # not only by the cron (which DEBUG PAUSE-CRON may stop); c is the current client
        srv.tracking_limit(c)
    if srv.min_replicas or srv.masterhost:
        is_write = cmd.write or (cmd.name == "exec" and c.multi and any(q[0].write for q in c.multi))
        if (is_write and srv.min_replicas and srv.masterhost is None
                and srv.repl.good_replicas() < srv.config["min-replicas-to-write"]):
            # min-replicas-to-write with a max lag: too few replicas acknowledged lately
            return _reject(c, RedisError(errors.NOREPLICAS), cmd)
        if srv.masterhost is not None and c.conn_type != "master":
            if is_write and srv.config["replica-read-only"]:
                return _reject(c, RedisError(READONLY_ERR), cmd)
            if (not srv.config["replica-serve-stale-data"] and srv.repl.state != "connected"
                    and (not cmd.flags & STALE or (cmd.name == "exec" and c.multi
                                                   and any(not q[0].flags & STALE for q in c.multi)))):
                return _reject(c, RedisError(MASTERDOWN_ERR), cmd)
    if srv.pause_type and srv.clients_paused(c, cmd):
        return PAUSED  # CLIENT PAUSE: not run now; the protocol retries it after the pause
    if srv.lua_timedout and not srv.busy_allows(cmd, argv):
        return _reject(c, RedisError(errors.BUSY), cmd)  # a script ran past lua-time-limit
    if c.multi is not None and cmd.name not in _MULTI_IMMEDIATE:
        return srv.queue_multi(c, cmd, argv)
    own = None
    if c.pubsub_channels or c.pubsub_patterns:
        if c.proto == 2 and cmd.name not in _PUBSUB_OK:
            return _reject(c, RedisError(
                "ERR Can't execute '%s': only (P)SUBSCRIBE / (P)UNSUBSCRIBE / PING / QUIT / RESET are "
                "allowed in this context" % cmd.name), cmd)
        if c.proto == 3 and cmd.name != "exec":  # (EXEC places them per queued command)
            own = c.own_pushes = []  # its own notifications, placed around its reply (notify.py)
    elif (c.tracking is not None or c.redirect_target) and c.proto == 3 and cmd.name != "exec":
        own = c.own_pushes = []  # invalidations other trackers redirect to it, placed likewise
    if srv.log_failed and cmd.write:
        return _reject(c, RedisError(errors.MISCONF_LOG % srv.log_failed), cmd)
    c.required = 0
    srv.current_client = c
    if cmd.breaks_lane:
        try:
            reply = call(c, cmd, argv)
        finally:
            srv.update_lane()  # a new token: every connection is checked again (_adopt_lane)
    else:
        reply = call(c, cmd, argv)
    if own is not None:
        c.own_pushes = None
        if own:
            reply = _reply_with_own(c, srv, cmd, argv, reply, own)
    if reply is not BLOCKED:
        c.emit(reply, c.required)
    srv.current_client = None
    if c.tracking is not None:  # CLIENT TRACKING (tracking.py): own invalidations, CACHING reset
        srv.tracking_after_command(c, cmd)
    lane = srv.lane
    if lane is not None and c.lane is not lane:
        _adopt_lane(c, lane)
    if srv.ready_keys:
        # as processCommand: serve clients blocked on keys this command made ready before the
        # next command runs (a pipelined "RPUSH k a; LPOP k" must let a BLPOP on k win)
        srv.serve_ready_keys()


def _reply_with_own(c, srv, cmd, argv, reply, own):
    """Emit a RESP3 subscriber's reply with the pushes its command caused before and after it
    (notify.place_own); returns BLOCKED: nothing left to emit."""
    before, reply, after = srv.place_own(c, cmd, argv, own, reply)
    if before:
        srv.deliver_push(c, before, c.required)
    if reply is not BLOCKED:
        c.emit(reply, c.required)
    if after:
        srv.deliver_push(c, after, c.required)
    return BLOCKED


def _adopt_lane(c, lane) -> None:
    """Let ``c`` take the fast lane until ``server.lane`` changes, if nothing holds for it that
    process, call, emit or the protocol check per command: logged in as an unrestricted user,
    not in MULTI, not subscribed, no CLIENT TRACKING (nor a tracker's REDIRECT target), CLIENT
    REPLY ON, not blocked or monitoring.  Such state changes only through commands flagged
    ``breaks_lane`` (and connecting), after which the dispatcher renews the token."""
    user = c.user
    if (c.authenticated and (user is None or user.unrestricted) and c.multi is None
            and not c.pubsub_channels and not c.pubsub_patterns and c.tracking is None
            and not c.redirect_target and not c.reply_mode and not c.in_exec and c.blocked is None
            and not c.monitor):
        c.lane = lane


def _reject(c, err, cmd=None):
    if cmd is not None:
        cmd.stats[2] += 1  # rejected_calls (INFO commandstats)
    if c.multi is not None:
        c.multi_error = True
    if cmd is not None and cmd.name == "exec":
        err = c.server.exec_abort(c, err)  # EXECABORT ... because of: <err>
    c.server.count_error(err)
    c.emit(err)
    tr = c.tracking
    if tr is not None and tr.caching and c.multi is None and (cmd is None or cmd.name != "client"):
        tr.caching = False  # resetClient: CLIENT CACHING lasts one command, a refused one too


class _Blocked:
    """Returned by a handler that parked the client (BLPOP...); the reply comes later."""

    __slots__ = ()


BLOCKED = _Blocked()


class _Paused:
    """Returned by :func:`process` when CLIENT PAUSE holds the request back (it did not run)."""

    __slots__ = ()


PAUSED = _Paused()


def _hazard(c, cmd, argv, appended):
    """The log offset a reply must wait for to show only durable data, while ``appended`` is
    not durable yet: the pending writes of the keys it names, or everything when it reads the
    keyspace without naming keys."""
    if cmd.has_keys:
        required = c.server.global_hazard
        hz = c.db.hazards
        if hz:
            for k in cmd.keys(argv):
                o = hz.get(k, 0)
                if o > required:
                    required = o
        return required
    return 0 if cmd.no_data else appended


def call(c, cmd, argv):
    """Execute ``cmd``; log its effects; raise ``c.required`` to the offset its reply needs."""
    srv = c.server
    log = srv.log
    appended0 = log.appended
    pending = appended0 > log.durable
    required = 0
    if pending and not cmd.write:
        required = _hazard(c, cmd, argv, appended0)
    dirty0 = srv.dirty
    srv.propagated = False
    t0 = _perf()
    try:
        reply = cmd.handler(c, argv)
    except RedisError as e:
        reply = e
        srv.count_error(e)
        cmd.stats[3] += 1
    dt = _perf() - t0
    if srv.dirty != dirty0 and cmd.write and not srv.propagated:
        srv.log_effect(c.db.id, argv)
    if srv.touched:
        srv.settle_hazards()
    if log.appended != appended0:
        required = log.appended
    elif pending and cmd.write:
        # a write that logged nothing (SET NX on an existing key...) answers like a read; one
        # that logged waits for its own record, which is after every hazard: no lookup needed
        required = _hazard(c, cmd, argv, appended0)
    if required > c.required:
        c.required = required
    st = cmd.stats
    st[0] += 1
    st[1] += dt
    if dt >= srv.slow_call_s:
        srv.slow_call(c, cmd, argv, dt)
    if srv.monitors:
        srv.feed_monitors(c, cmd, argv)
    cur = srv.current_client  # c, or the caller of the script c runs for
    if cur is not None and cur.tracking is not None and cmd.flags & READONLY:
        srv.tracking_remember(cur, cmd, argv)  # CLIENT TRACKING: remember the keys it read
    return reply
