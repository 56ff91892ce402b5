"""Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH, and the WATCH bookkeeping.

What lives here (Redis's multi.c):

* **Queueing.**  The dispatcher queues every command a client sends while ``c.multi`` is a
  list (MULTI sets it), after the checks that may flag the transaction (unknown command, arity,
  ACL...: ``c.multi_error``, which makes EXEC answer ``EXECABORT``).  :func:`queue_multi`
  replaces ``Server.queue_multi``.
* **EXEC** runs the queued commands through :func:`dispatch.call` (ACL re-checked first, as 6.2
  does), so each one is timed, counted, monitored and gated like a top-level command; its
  errors are array elements and never stop the rest.
* **One atomic log record.**  While a transaction (or a script, see scripting.py) runs, its
  effects are collected by :func:`begin_effects` instead of being appended one by one, then
  written by :func:`end_effects` in one go -- wrapped in ``MULTI`` ... ``EXEC`` when there is
  more than one -- so they land in one group-commit batch, i.e. one log record: after a crash
  the transaction is entirely there or not at all, and EXEC's reply waits for that record.
  Replay runs the logged effects one by one; MULTI/EXEC are no-ops there.
* **WATCH.**  ``server.watched_keys`` maps ``(db index, key)`` to the set of clients watching
  it; ``c.watched`` maps the same pairs to the database's ``data`` dict at WATCH time.
  A change to a key (``Database.changed``, expiry, eviction) marks its watchers ``dirty_cas``
  (:func:`watch_touch`).  FLUSHDB/FLUSHALL/SWAPDB call ``Server.touch_all``: a watcher is
  dirtied when its key existed in the database before or exists after (6.2's
  touchAllWatchedKeysInDb), which we can tell because those commands replace the database's
  ``data`` dict -- the dict remembered at WATCH time still holds the keys of before.  At EXEC,
  a watched key that has logically expired also aborts (isWatchedKeyExpired).
"""

from __future__ import annotations

from .. import dispatch, errors, resp
from ..app import Server
from ..errors import RedisError
from ..registry import Flag, command
from . import acl as acl_commands

_WRITE = Flag.WRITE
_BLOCKED = dispatch.BLOCKED
_DENYOOM = Flag.DENYOOM


# ---------------------------------------------------------------------------- effects batching


def _no_settle():
    """Stands in for ``Server.settle_hazards`` while a transaction's effects are buffered: the
    keys it touched get their hazard once the effects are really appended."""


def begin_effects(srv):
    """Start collecting the effects logged by the commands about to run; returns the buffer, or
    None when an outer transaction already collects them (a script inside EXEC)."""
    d = srv.__dict__
    if d.get("_fx_buf") is not None:
        return None
    buf = []
    d["_fx_buf"] = buf
    # redis.set_repl() without REPL_REPLICA sets _stream_off: later effects skip the stream
    d["log_effect"] = lambda db_id, argv, repl=None: buf.append(
        (db_id, argv, False if d.get("_stream_off") else repl))
    d["settle_hazards"] = _no_settle
    return buf


_MULTI = resp.encode_command([b"MULTI"])
_EXEC = resp.encode_command([b"EXEC"])


def end_effects(srv, buf, db_id: int = 0, wrap: bool | None = None) -> None:
    """Append what :func:`begin_effects` collected, as one unit (see the module docstring).

    Entries are ``(db, argv, repl)`` (``Server.log_effect``'s arguments) or ``(db, None,
    argv)`` for the replication stream only (``Server.propagate_stream``).  The stream wraps
    them in MULTI ... EXEC as Redis 6.2 propagates: an EXEC (``wrap`` None) whenever it sends
    replicas anything, a script when it called a write command (``wrap`` True, even for a write
    that changed nothing); ``db_id`` is then the caller's database."""
    if buf is None:
        return
    d = srv.__dict__
    d.pop("log_effect", None)
    d.pop("settle_hazards", None)
    d["_fx_buf"] = None
    d.pop("_stream_off", None)
    feed = srv.repl_feed
    if buf or (wrap and feed is not None):
        log_effect = srv.log_effect
        many = sum(1 for e in buf if e[1] is not None) > 1
        if wrap is None:
            wrap = any(e[2] is not False for e in buf)
        first = buf[0][0] if buf else db_id
        if many:
            log_effect(first, [b"MULTI"], None if wrap else False)
        elif wrap and feed is not None:
            feed(first, _MULTI)  # the stream only: the log needs no wrap
        for db_, argv, repl in buf:
            if argv is not None:
                log_effect(db_, argv, repl)
            elif feed is not None:
                feed(db_, resp.encode_command(repl))
        last = buf[-1][0] if buf else db_id
        if many:
            log_effect(last, [b"EXEC"], None if wrap else False)
        elif wrap and feed is not None:
            feed(last, _EXEC)
    if srv.touched or srv.touched_all or getattr(srv, "notes", None):
        srv.settle_hazards()  # hazards and keyspace notifications, behind the appended effects


# ---------------------------------------------------------------------------- MULTI / EXEC


def queue_multi(self, c, cmd, argv):
    """queueMultiCommand: nothing is kept once the transaction is doomed, QUEUED either way."""
    if not c.multi_error:
        c.multi.append((cmd, argv))
    c.emit(resp.QUEUED)


def discard_transaction(c) -> None:
    c.multi = None
    c.multi_error = False
    c.dirty_cas = False
    unwatch_all(c)


@command("multi", 1, "noscript loading stale fast no-data", "@transaction")
def multi(c, argv):
    "MULTI"
    if c.multi is not None:
        raise RedisError(errors.MULTI_NESTED)
    if c.transport is None and c.server.replaying:
        return resp.OK  # a logged transaction: its effects follow, one by one
    c.multi = []
    c.multi_error = False
    return resp.OK


@command("discard", 1, "noscript loading stale fast no-data", "@transaction")
def discard(c, argv):
    "DISCARD"
    if c.multi is None:
        raise RedisError(errors.DISCARD_WITHOUT_MULTI)
    discard_transaction(c)
    return resp.OK


def exec_abort(c, err: RedisError) -> RedisError:
    """execCommandAbort: EXEC refused as a whole (by the dispatcher or by EXEC's own checks);
    the reason keeps its code, except the generic ``ERR``."""
    discard_transaction(c)
    msg = err.msg
    if msg.startswith("ERR "):
        msg = msg[4:]
    return RedisError("EXECABORT Transaction discarded because of: " + msg)


def _abort(c, err: RedisError):
    raise exec_abort(c, err)


@command("exec", 1, "noscript loading stale skip_slowlog no-data", "@transaction")
def exec_(c, argv):
    "EXEC"
    srv = c.server
    if c.transport is None and srv.replaying:
        return resp.OK  # the end of a logged transaction
    queued = c.multi
    if queued is None:
        raise RedisError(errors.EXEC_WITHOUT_MULTI)
    # processCommand's checks for EXEC judge the transaction by its queued commands
    if srv.log_failed and any(cmd.flags & _WRITE for cmd, _ in queued):
        _abort(c, RedisError(errors.MISCONF_LOG % srv.log_failed))
    if srv.maxmemory and any(cmd.flags & _DENYOOM for cmd, _ in queued) and srv.over_maxmemory():
        _abort(c, RedisError(errors.OOM))
    if c.watched and not c.dirty_cas and _watched_expired_or_replaced(c):
        c.dirty_cas = True
    if c.multi_error:
        discard_transaction(c)
        raise RedisError(errors.EXECABORT)
    if c.dirty_cas:
        # the abort tells that a watched key changed: not before that change is durable
        appended = srv.log.appended
        if appended > c.required:
            c.required = appended
        discard_transaction(c)
        return resp.NilArray
    unwatch_all(c)
    c.multi = None
    c.multi_error = False
    c.dirty_cas = False
    call = dispatch.call
    replies = []
    c.in_exec = True
    c.exec_queued = len(queued)  # Redis clears mstate after EXEC: CLIENT LIST says multi=N meanwhile
    c.exec_pushes = pushes = bytearray()  # messages it publishes to itself (pubsub.deliver)
    buf = begin_effects(srv)
    try:
        for cmd, a in queued:
            user = c.user  # per command: a queued AUTH / HELLO AUTH switches the user mid-EXEC
            if user is not None and not user.unrestricted:
                denied = srv.acl_check(c, cmd, a, "multi")
                if denied is not None:
                    err = RedisError(acl_commands.EXEC_MESSAGE % acl_commands.EXEC_REASONS[denied.reason])
                    srv.count_error(err)
                    replies.append(err)
                    continue
            # a subscriber (RESP2 too: SUBSCRIBE queued before in this transaction) or a RESP3
            # tracker: its own pushes go around this element
            own = (c.pubsub_channels or c.pubsub_patterns
                   or (c.proto == 3 and (c.tracking is not None or c.redirect_target)))
            if own:
                n0 = len(srv.notes)
                c.own_pushes = []
            r = call(c, cmd, a)
            if r is _BLOCKED:
                r = None  # SHUTDOWN & co. reply by themselves
            if own:
                srv.take_own(c, n0)
                before, r, after = srv.place_own(c, cmd, a, c.own_pushes, r)
                c.own_pushes = None
                pushes += before
                if after:
                    resp.encode(r, c.proto, pushes)
                    pushes += after
                    r = resp.Raw(bytes(pushes))
                    pushes.clear()
            if pushes:
                # what the command published to its own client goes just before its reply, as
                # in Redis's output buffer: both become this element of the array
                resp.encode(r, c.proto, pushes)
                r = resp.Raw(bytes(pushes))
                pushes.clear()
            replies.append(r)
    finally:
        c.in_exec = False
        c.exec_queued = 0
        c.exec_pushes = None
        c.own_pushes = None
        end_effects(srv, buf, c.db.id)
    return replies


# ---------------------------------------------------------------------------- WATCH


@command("watch", -2, "noscript loading stale fast", "@transaction", keys=(1, -1, 1))
def watch(c, argv):
    "WATCH key [key ...]"
    if c.multi is not None:
        raise RedisError(errors.WATCH_IN_MULTI)
    if c.dirty_cas:
        return resp.OK  # no point in watching more: EXEC fails anyway
    srv = c.server
    wk = srv.watched_keys
    if wk is None:
        wk = srv.watched_keys = {}
    w = c.watched
    if w is None:
        w = c.watched = {}
    db = c.db
    dbid = db.id
    for key in argv[1:]:
        k = (dbid, key)
        if k in w:
            continue
        w[k] = db.data
        s = wk.get(k)
        if s is None:
            wk[k] = {c}
        else:
            s.add(c)
    return resp.OK


@command("unwatch", 1, "noscript loading stale fast no-data", "@transaction")
def unwatch(c, argv):
    "UNWATCH"
    unwatch_all(c)
    c.dirty_cas = False
    return resp.OK


def unwatch_all(c) -> None:
    w = c.watched
    if not w:
        c.watched = None
        return
    wk = c.server.watched_keys
    if wk:
        for k in w:
            s = wk.get(k)
            if s is not None:
                s.discard(c)
                if not s:
                    del wk[k]
    c.watched = None


def _watched_expired_or_replaced(c) -> bool:
    """isWatchedKeyExpired (6.2: any watched key logically expired, even one that was already
    stale at WATCH time), plus a database whose contents were replaced wholesale since WATCH by
    something that did not call ``touch_all`` (DEBUG RELOAD...)."""
    srv = c.server
    if srv.loading:
        return False
    dbs = srv.dbs
    now = srv.cached_now_ms()
    for (dbid, key), data in c.watched.items():
        db = dbs[dbid]
        if data is not db.data and (key in data or key in db.data):
            return True
        when = db.expires.get(key)
        if when is not None and when <= now:
            return True
    return False


def watch_touch(self, db, key) -> None:
    """touchWatchedKey: every client watching ``key`` in ``db`` will see its EXEC fail."""
    wk = self.watched_keys
    if wk:
        s = wk.get((db.id, key))
        if s:
            for c in s:
                c.dirty_cas = True


_touch_all_base = Server.touch_all


def touch_all(self, db=None) -> None:
    """FLUSHDB / FLUSHALL / SWAPDB: dirty the watchers of keys that existed before or exist after
    in a database whose contents were replaced (touchAllWatchedKeysInDb)."""
    _touch_all_base(self, db)
    wk = self.watched_keys
    if not wk:
        return
    dbs = self.dbs
    for (dbid, key), clients in wk.items():
        cur = dbs[dbid].data
        for c in clients:
            w = c.watched
            old = w[(dbid, key)]
            if old is not cur:
                if key in old or key in cur:
                    c.dirty_cas = True
                w[(dbid, key)] = cur


def _client_gone(c) -> None:
    """Disconnection or RESET: leave MULTI, drop the WATCHes."""
    c.multi = None
    c.multi_error = False
    c.dirty_cas = False
    unwatch_all(c)


Server.queue_multi = queue_multi
Server.exec_abort = staticmethod(exec_abort)
Server.watch_touch = watch_touch
Server.touch_all = touch_all
if _client_gone not in Server.on_client_gone:
    Server.on_client_gone.append(_client_gone)
