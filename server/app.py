"""The server object: configuration, databases, clients, the effects log and its gating.

One :class:`Server` per process.  It owns the 16 databases, the connected clients, the
:class:`~perdure.server.durability.commit.GroupCommitter` in front of the log backend, the
per-key hazard bookkeeping used to gate replies (see :mod:`perdure.server.dispatch`), the
blocking-operations machinery (BLPOP and friends), statistics, and startup/shutdown.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import signal
import ssl
import sys
import time
import traceback

from . import dispatch, eviction, memory, resp, tls_transport
from .client import Client
from .config import Config
from .errors import RedisError
from .keyspace import TYPE_NAMES, Database
from .limits import ClientPause, client_class, close_asap, output_limit_reached, parse_obuf_limits
from .registry import load_all

log = logging.getLogger("perdure")

VERSION = "6.2.14"


class _NullAcl:
    """Until an ACL module is configured: one unrestricted default user."""

    def default_user(self):
        return None


class Server:
    client_class = Client

    def __init__(self, config: Config):
        load_all()
        self.config = config
        self.dbs = [Database(self, i) for i in range(config["databases"])]
        self.clients: dict[int, Client] = {}
        self._next_client_id = 0
        # ACL users from requirepass, "user" config lines and the aclfile (raises
        # perdure.acl.AclError when Redis would refuse to start).
        from .commands import acl as acl_commands
        self._acl_impl = acl_commands
        self.acl = acl_commands.setup(self)
        self.cluster = None
        self.loading = False
        self.replaying = False
        self.dirty = 0
        self.propagated = False
        self.touched = []
        self.touched_all = False
        self.notes = []  # keyspace notifications waiting for their write's log offset (notify.py)
        self.tracking = None  # client-side caching state (tracking.py), made by CLIENT TRACKING ON
        self.current_client = None  # the client whose command is running (dispatch.process)
        self.global_hazard = 0
        self.waiting_clients = set()
        self.close_when_released = set()
        self.log = None  # GroupCommitter
        self.backend = None
        self.log_db = -1
        self.log_failed = None
        self.maxmemory = 0
        self.min_replicas = False
        self.masterhost = None   # a replica: its master's host (replication.py)
        self.repl_feed = None    # once a replica attached: Replication.feed, after each effect
        # memory accounting and eviction (memory.py, eviction.py)
        self.mem_cache = memory._Cache()
        self.mem_units = 0              # Σ of every database's recorded key costs (db.mem)
        self.lfu = False                # an LFU policy: db.lru holds LFU words, not clocks
        self.lruclock = 0
        self.lfu_now = -1
        self.lfu_init = 0
        self.clock_sets = []            # (db, key, word): explicit access clocks (RESTORE IDLETIME/FREQ)
        self.evict_pool = []
        self.evict_next_db = 0
        self.evict_proc_running = False
        eviction.refresh_clocks(self)
        eviction.policy_changed(self, config["maxmemory-policy"])
        # blocking operations
        self.blocking_keys: dict = {}   # (db_id, key) -> list of clients (FIFO)
        self.ready_keys: list = []      # (db, key) signalled ready, in order (signal_ready)
        self.ready_set: set = set()     # their (db_id, key): each is queued once (db->ready_keys)
        self.blocked_by_type = {b"list": 0, b"zset": 0, b"stream": 0}  # blocked_clients_by_type
        self.pause_type = 0             # CLIENT PAUSE: 0 off, 1 WRITE, 2 ALL (limits.ClientPause)
        self.pause = ClientPause(self)
        self.obuf_limits = parse_obuf_limits(config["client-output-buffer-limit"])
        # a normal client's output is unlimited (the default): Client.flush skips the check
        self.obuf_normal_free = not any(self.obuf_limits["normal"][:2])
        # statistics
        self.start_time = time.time()
        self.stat_connections = 0
        self.stat_rejected_conn = 0
        self.stat_expired_keys = 0
        self.stat_expire_cycle_time_used = 0.0  # seconds spent in active expiry (INFO)
        self.stat_evicted_keys = 0
        self.stat_keyspace_hits = 0
        self.stat_keyspace_misses = 0
        self.stat_protocol_errors = 0
        self.stat_rejected_calls = 0
        self.stat_failed_calls = 0
        self.stat_net_in = 0
        self.stat_net_out = 0
        self.error_stats: dict = {}
        self.slowlog = []
        self.slowlog_id = 0
        self.slowlog_threshold_us = config["slowlog-log-slower-than"]
        self.slow_call_s = self._slow_call_s()  # calls at least this long (s) go to slow_call()
        self.monitors = []                       # MONITOR clients (feed_monitors)
        self.active_expire_enabled = True        # DEBUG SET-ACTIVE-EXPIRE
        self.cron_paused = False                 # DEBUG PAUSE-CRON: cron() does nothing
        self.stat_reads = 0
        self.stat_writes = 0
        self.lastsave = int(time.time())
        self.notify_flags = ""
        self.hooks_after_start = []
        self.servers = []
        self.shutdown_event = None
        self.loop = None
        self._now_ms_cache = 0
        self.startup_seconds = 0.0
        self.loaded_records = 0
        config.listeners.append(self._config_changed)
        for name, fn in self.config_updaters.items():
            config.updaters[name] = functools.partial(fn, self)
        self._config_changed("maxmemory", config["maxmemory"])
        self._config_changed("min-replicas-to-write", config["min-replicas-to-write"])
        self._config_changed("notify-keyspace-events", config["notify-keyspace-events"])
        if config["cluster-enabled"]:
            from .cluster import setup as cluster_setup
            self.cluster = cluster_setup(self)
        from .replication import setup as replication_setup
        replication_setup(self)
        self.update_lane()

    def update_lane(self) -> None:
        """Recompute ``lane``, the token of :func:`dispatch.process`'s fast lane: None while a
        rare server-wide condition holds (loading, cluster mode, maxmemory, CLIENT PAUSE, a
        script past lua-time-limit, a failed log, MONITOR clients), else a new object, so that
        every connection is checked again before it takes the fast lane.  Call it after
        changing any of these (commands flagged ``breaks_lane`` get it from the dispatcher)."""
        if (self.loading or self.cluster is not None or self.maxmemory or self.pause_type
                or self.lua_timedout or self.log_failed or self.monitors or self.min_replicas
                or self.masterhost):
            self.lane = None
        else:
            self.lane = object()

    # ---- config --------------------------------------------------------------------------
    def _config_changed(self, name, value):
        if name in ("min-replicas-to-write", "min-replicas-max-lag"):
            # replicationRefreshGoodSlavesCount: with no replica, writes are refused while both
            # are set (a max lag of 0 turns the check off, as in Redis)
            self.min_replicas = bool(self.config["min-replicas-to-write"] and self.config["min-replicas-max-lag"])
            self.update_lane()
        elif name == "maxmemory":
            self.maxmemory = value
            self.update_lane()
            if value and self.loop is not None:
                eviction.perform_evictions(self)  # as CONFIG SET maxmemory does in Redis
        elif name == "maxmemory-policy":
            eviction.policy_changed(self, value)
        elif name == "slowlog-log-slower-than":
            self.slowlog_threshold_us = value
            self.slow_call_s = self._slow_call_s()
        elif name == "latency-monitor-threshold":
            self.slow_call_s = self._slow_call_s()
        elif name == "notify-keyspace-events":
            self.notify_flags = value
        elif name == "appendfsync" and self.log is not None:
            self.log.appendfsync = value
        elif name == "client-output-buffer-limit":
            self.obuf_limits = parse_obuf_limits(value, self.obuf_limits)
            self.obuf_normal_free = not any(self.obuf_limits["normal"][:2])
        elif name == "log-segment-bytes" and self.backend is not None:
            self.backend.segment_bytes = value  # the next segment rolls at the new size
        elif name == "proto-max-bulk-len":
            for c in self.clients.values():
                if c.parser is not None:
                    c.parser.max_bulk = value

    def auth_required(self) -> bool:
        """Must a connection AUTH first?  Yes unless the default user is on and nopass
        (``requirepass`` sets its password)."""
        return not self.acl.default_allows_anonymous()

    def authenticate(self, c, username: bytes, password: bytes, argv0: bytes | None = None) -> bool:
        """ACLAuthenticateUser: on valid credentials log ``c`` in as ``username`` and return True;
        otherwise record the failure in ACL LOG (``argv0``: the command as typed, for the log
        entry's object — pass ``argv[0]`` from HELLO; AUTH is assumed) and return False."""
        return self._acl_impl.authenticate(self, c, username, password, argv0)

    def next_client_id(self) -> int:
        self._next_client_id += 1
        return self._next_client_id

    def cached_now_ms(self) -> int:
        return int(time.time() * 1000)

    def durable_offset(self) -> int:
        return self.log.durable

    # ---- effects log -----------------------------------------------------------------------
    def log_effect(self, db_id: int, argv, repl=None) -> None:
        """Append one effect (a command that replays deterministically) to the log; ``repl``:
        what the replication stream gets instead, where Redis propagates another form (a
        relative TTL: the log needs the absolute one, replicas count it from their receipt), or
        False: the log only (what Redis does not propagate to replicas)."""
        if self.replaying:
            return
        lg = self.log
        if db_id != self.log_db:
            # every record starts with its SELECT (log_db is reset when a batch is handed
            # off, see start_committer): records replay on their own (snapshots)
            self.log_db = db_id
            s = str(db_id).encode()
            lg.append(b"*2\r\n$6\r\nSELECT\r\n$%d\r\n%s\r\n" % (len(s), s))
        data = resp.encode_command(argv)
        lg.append(data)
        if self.repl_feed is not None and repl is not False:
            self.repl_feed(db_id, data if repl is None else resp.encode_command(repl))

    def propagate(self, db, argv, repl=None) -> None:
        """Log ``argv`` as an effect of the running command instead of the command itself
        (``repl``: see :meth:`log_effect`)."""
        self.propagated = True
        self.log_effect(db.id if db is not None else self.log_db, argv, repl)

    def propagate_stream(self, db_id: int, argv) -> None:
        """Send ``argv`` to replicas only, not to the log (PUBLISH, whole-script EVAL...),
        in order with the effects of a running transaction or script."""
        buf = self.__dict__.get("_fx_buf")
        if buf is not None:
            buf.append((db_id, None, argv))
        elif self.repl_feed is not None:
            self.repl_feed(db_id, resp.encode_command(argv))

    def on_key_change(self, db, key, by_server=False) -> None:
        """``by_server``: expiry / eviction, no client made the change (signalModifiedKey(NULL))."""
        self.touched.append((db, key))
        if self.watched_keys:  # someone WATCHes (transactions.py)
            self.watch_touch(db, key)
        if self.tracking is not None:  # CLIENT TRACKING (tracking.py): invalidate cached copies
            self.tracking.invalidate(key, by_server)

    watched_keys = None  # {(db index, key): {clients}} once someone WATCHes (transactions.py)

    def watch_touch(self, db, key):
        """Invalidate WATCHes on ``key`` (the transactions module replaces this)."""

    def touch_all(self, db=None) -> None:
        """Mark every key (of ``db`` or of all databases) as changed: FLUSHALL, SWAPDB..."""
        self.touched_all = True
        self.dirty += 1

    def flushed(self) -> None:
        """FLUSHDB / FLUSHALL emptied data (signalFlushedDb): tracking.py replaces this."""

    def settle_hazards(self) -> None:
        lfu = self.lfu
        clock = self.lruclock
        off = self.log.appended
        hazard = off > self.log.durable  # the change is not durable yet: readers must wait
        for db, key in self.touched:  # memory records, access clocks and hazards of the changed keys
            if not lfu and type(db.data.get(key)) is bytes and key not in db.sizes:
                db.lru[key] = clock  # memory.account()'s commonest case: a string written
            else:
                memory.account(db, key)
            if hazard:
                db.hazards[key] = off
        if self.clock_sets:  # set by the command itself: not "accessed now"
            for db, key, word in self.clock_sets:
                if key in db.data:
                    db.lru[key] = word
            self.clock_sets.clear()
        if hazard and self.touched_all:
            self.global_hazard = off
        self.touched.clear()
        self.touched_all = False
        if self.notes:  # keyspace notifications of these changes: gated like the write's reply
            self.deliver_notes(off)

    def _on_durable(self, durable: int) -> None:
        waiting = self.waiting_clients
        if waiting:
            done = [c for c in waiting if c.release(durable)]
            for c in done:
                waiting.discard(c)
                if c in self.close_when_released:
                    self.close_when_released.discard(c)
                    c.close()
        if durable >= self.log.appended:
            for db in self.dbs:
                if db.hazards:
                    db.hazards.clear()
            self.global_hazard = 0
        if self.log.failed and not self.log_failed:
            self.log_failed = self.log.failed
            self.update_lane()
            log.error("the log could not be made durable: %s; refusing writes", self.log_failed)

    # ---- keyspace notifications (the pubsub module replaces this) --------------------------
    def notify(self, db, key, event: bytes, klass: str) -> None:
        pass

    def deliver_notes(self, required: int) -> None:
        self.notes.clear()

    # ---- errors and stats ----------------------------------------------------------------
    def count_error(self, err: RedisError) -> None:
        code = err.msg.split(" ", 1)[0]
        self.error_stats[code] = self.error_stats.get(code, 0) + 1
        self.stat_failed_calls += 1

    def internal_error(self, c, argv, exc) -> None:
        log.error("internal error running %r: %s\n%s", argv[:3], exc, traceback.format_exc())
        err = RedisError("ERR internal error: %s" % (type(exc).__name__,))
        self.count_error(err)
        c.own_pushes = None  # (the command's own notifications, if it was collecting them)
        c.emit(err)

    def slowlog_add(self, c, argv, dt) -> None:
        maxlen = self.config["slowlog-max-len"]
        args = [a if len(a) <= 128 else a[:128] + b"... (%d more bytes)" % (len(a) - 128) for a in argv[:31]]
        if len(argv) > 32:
            args.append(b"... (%d more arguments)" % (len(argv) - 31))
        elif len(argv) == 32:
            args.append(argv[31])
        self.slowlog.insert(0, [self.slowlog_id, int(time.time()), int(dt * 1e6), args,
                                c.addr.encode(), c.name])
        self.slowlog_id += 1
        del self.slowlog[maxlen:]

    def _slow_call_s(self) -> float:
        """The shortest call (seconds) the slow log or the latency monitor records."""
        t = float("inf")
        if self.slowlog_threshold_us >= 0:
            t = self.slowlog_threshold_us / 1e6
        ms = self.config["latency-monitor-threshold"]
        if ms > 0:
            t = min(t, ms / 1000)
        return t

    def slow_call(self, c, cmd, argv, dt) -> None:
        """A call that took at least ``slow_call_s`` (commands/server.py replaces this)."""
        if dt * 1e6 >= self.slowlog_threshold_us >= 0:
            self.slowlog_add(c, argv, dt)

    def latency_sample(self, event: str, ms: int) -> None:
        """latencyAddSampleIfNeeded (commands/server.py replaces this)."""

    def unblocked_call(self, c, call, reply_dt) -> None:
        """A blocked command was served (commands/server.py replaces this: slow log entry)."""

    def feed_monitors(self, c, cmd, argv) -> None:
        """Show an executed command to MONITOR clients (commands/server.py replaces this)."""

    def over_maxmemory(self) -> bool:
        """performEvictions() == EVICT_FAIL: over ``maxmemory`` and nothing more to evict."""
        return eviction.perform_evictions(self) == eviction.EVICT_FAIL

    def lfu_touch(self, db, key) -> None:
        eviction.lfu_touch(self, db, key)

    def check_output_limit(self, c) -> bool:
        """client-output-buffer-limit, checked before output is handed to the transport: a client
        over its class's hard limit (or over the soft limit for too long) is closed at once,
        without receiving what is pending, as Redis's freeClientAsync.  True if it was closed."""
        limit = self.obuf_limits[client_class(c)]
        if not (limit[0] or limit[1]) or not output_limit_reached(c, limit):
            return False
        log.warning("Client id=%d addr=%s scheduled to be closed ASAP for overcoming of output "
                    "buffer limits.", c.id, c.addr)
        close_asap(c, "obuf")
        return True

    # ---- MULTI (the transactions module replaces this) -----------------------------------
    def queue_multi(self, c, cmd, argv):
        c.multi.append((cmd, argv))
        c.emit(resp.QUEUED)

    def acl_check(self, c, cmd, argv, context=None):
        """None if ``c.user`` may run ``argv``, else the NOPERM error (an ``AclDenied`` carrying
        ``reason``/``object``), already recorded in ACL LOG.  The dispatcher calls this only for
        users that are not ``unrestricted``.  ``context``: ``toplevel``/``multi``/``lua``
        (default: ``multi`` inside MULTI/EXEC); with ``lua`` the message is the script one."""
        return self._acl_impl.check(self, c, cmd, argv, context)

    # ---- blocking operations ---------------------------------------------------------------
    def block(self, c, keys, timeout: float, on_ready, on_timeout=None, btype=None):
        """Park client ``c`` until one of ``keys`` (in ``c.db``) is ready or ``timeout`` (s, 0 =
        forever) passes.  ``btype`` (``b"list"``, ``b"zset"``, ``b"stream"``: the key type it
        waits for, Redis's BLOCKED_LIST/ZSET/STREAM) decides which ready keys serve it (see
        serve_ready_keys).  ``on_ready(c, key)`` is called when a key of that type was signalled
        ready (signal_ready): it returns the reply (after changing data / logging effects as a
        normal handler) or None to keep waiting.  ``on_timeout(c)`` returns the timeout reply
        (default: null array).  Returns BLOCKED."""
        if c.in_exec or c.multi is not None:
            return resp.NilArray
        b = _Blocked(c, list(dict.fromkeys((c.db.id, k) for k in keys)), on_ready, on_timeout)
        b.btype = btype
        c.blocked = b
        if btype is not None:
            self.blocked_by_type[btype] += 1
        for bk in b.keys:
            self.blocking_keys.setdefault(bk, []).append(c)
        if timeout > 0:
            b.timer = self.loop.call_later(timeout, self._block_timeout, c)
        return dispatch.BLOCKED

    def _unblock(self, c):
        b = c.blocked
        if b is None:
            return
        c.blocked = None
        if b.timer is not None:
            b.timer.cancel()
        if b.btype is not None:
            self.blocked_by_type[b.btype] -= 1
        for bk in b.keys:
            lst = self.blocking_keys.get(bk)
            if lst is not None:
                try:
                    lst.remove(c)
                except ValueError:
                    pass
                if not lst:
                    del self.blocking_keys[bk]

    def disconnect_blocked_clients(self) -> None:
        """disconnectAllBlockedClients: becoming a replica ends every blocking operation."""
        for c in list(self.clients.values()):
            if c.blocked is not None and not c.closing:
                self.unblock_client(c, "UNBLOCKED force unblock from blocking operation, instance "
                                       "state changed (master -> replica?)")

    def _block_timeout(self, c):
        b = c.blocked
        if b is None:
            return
        self._unblock(c)
        c.emit(b.on_timeout(c) if b.on_timeout else resp.NilArray, 0)
        self._resume(c)

    def unblock_client(self, c, error=False) -> bool:
        """CLIENT UNBLOCK: answer as on timeout, or with the UNBLOCKED error (``error``: True,
        or the error's own text)."""
        b = c.blocked
        if b is None:
            return False
        self._unblock(c)
        if error:
            err = RedisError(error if isinstance(error, str) else "UNBLOCKED client unblocked via CLIENT UNBLOCK")
            self.count_error(err)
            c.emit(err)
        else:
            c.emit(b.on_timeout(c) if b.on_timeout else resp.NilArray, 0)
        self._resume(c)
        return True

    def _resume(self, c):
        c.flush()
        if c.protocol is not None:
            self.loop.call_soon(c.protocol.resume)

    def signal_ready(self, db, key, btype) -> None:
        """signalKeyAsReady: queue ``key`` for the clients blocked on it, once, if any client is
        blocked for ``btype`` (a TYPE name; None or another type never serves).  Redis signals
        when a list, sorted set or stream key is created (dbAdd, see Database.add), on XADD,
        XGROUP DESTROY and SWAPDB -- not on every change: a key that became a list by
        overwriting another value (SORT ... STORE over a string) serves no one."""
        if not self.blocked_by_type.get(btype):
            return
        bk = (db.id, key)
        if bk in self.blocking_keys and bk not in self.ready_set:
            self.ready_set.add(bk)
            self.ready_keys.append((db, key))

    def serve_ready_keys(self) -> None:
        """handleClientsBlockedOnKeys: serve the clients blocked on each signalled key, in the
        order the keys were signalled (a key a served BLMOVE creates is signalled in turn).  A
        list or sorted set serves its clients FIFO while it has elements; a client blocked for
        another type goes to the back of the key's queue (listRotateHeadToTail), which is how
        Redis reorders clients of mixed types on one key.  A stream offers the new entries to
        every client blocked for a stream (serveClientsBlockedOnStreamKey)."""
        while self.ready_keys:
            ready, self.ready_keys = self.ready_keys, []
            for db, key in ready:
                bk = (db.id, key)
                self.ready_set.discard(bk)
                v = db.lookup_write(key)
                btype = TYPE_NAMES.get(type(v)) if v is not None else None
                if btype not in self.blocked_by_type:
                    continue
                if btype == b"stream":
                    for c in list(self.blocking_keys.get(bk, ())):
                        b = c.blocked
                        if b is not None and b.btype == btype and not c.closing:
                            self._serve_blocked(c, db, key)
                    continue
                n = len(self.blocking_keys.get(bk, ()))
                while n > 0:
                    n -= 1
                    clients = self.blocking_keys.get(bk)
                    if not clients:
                        break
                    c = clients[0]
                    if c.blocked.btype != btype or c.closing:
                        clients.append(clients.pop(0))
                        continue
                    if not self._serve_blocked(c, db, key):
                        break

    def _serve_blocked(self, c, db, key) -> bool:
        """Call the blocked client's ``on_ready`` for ``key``: False if it keeps waiting, else
        its reply is emitted and it is unblocked."""
        b = c.blocked
        saved_db = c.db
        c.db = db
        c.required = 0
        appended0 = self.log.appended
        t0 = time.perf_counter()
        saved_current = self.current_client
        self.current_client = c  # as blocked.c: the receiver runs (tracking, NOLOOP)
        own = None
        if c.proto == 3 and (c.pubsub_channels or c.pubsub_patterns):
            own = c.own_pushes = []  # its own notifications, placed around its reply (notify.py)
        try:
            reply = b.on_ready(c, key)
        except RedisError as e:
            reply = e
        c.db = saved_db
        if reply is None:
            self.current_client = saved_current
            if own is not None:
                c.own_pushes = None
                for _, frame, *_pos in own:
                    self.deliver_push(c, frame, 0)
            return False
        if b.call is not None:
            self.unblocked_call(c, b.call, time.perf_counter() - t0)
        if self.touched:
            self.settle_hazards()
        req = self.log.appended if self.log.appended != appended0 else 0
        self._unblock(c)
        if own is not None:
            c.own_pushes = None
            if own:  # as the blocking command itself would have placed them (BLMOVE: around it)
                before, reply, after = self.place_own(c, c.last_cmd, (), own, reply)
                if before:
                    self.deliver_push(c, before, req)
                c.emit(reply, req)
                reply = None
                if after:
                    self.deliver_push(c, after, req)
        if reply is not None:
            c.emit(reply, req)
        if self.tracking is not None and self.tracking.pending:
            self.tracking.after_command(c)  # afterCommand: after the reply
        self.current_client = saved_current
        self._resume(c)
        return True

    def clients_paused(self, c, cmd) -> bool:
        """CLIENT PAUSE: True if ``cmd`` from ``c`` must wait for the pause to end (``c`` is then
        recorded as paused; the dispatcher returns PAUSED and the protocol keeps the request)."""
        return self.pause.holds(c, cmd)

    # ---- clients ---------------------------------------------------------------------------
    def client_gone(self, c) -> None:
        if self.clients.pop(c.id, None) is None:
            return  # already gone (CLIENT KILL frees at once; connection_lost comes later)
        self._unblock(c)
        self.pause.forget(c)
        self.waiting_clients.discard(c)
        self.close_when_released.discard(c)
        c.closing = True
        for fn in self.on_client_gone:
            fn(c)
        if self.lane is None:
            self.update_lane()  # the last MONITOR client gone...

    # fn(c) hooks that drop a client's server-side state (subscriptions, WATCHes, MONITOR,
    # tracking...).  RESET runs them too, on a client that stays connected: keep them idempotent.
    on_client_gone: list = []

    # async fn(server) hooks run first when the server shuts down (persistence.py kills a
    # running snapshot)
    shutdown_hooks: list = []

    # name -> fn(server, value, prev): applies a CONFIG SET before it is stored (Config.updaters)
    config_updaters: dict = {}

    # fn(server) hooks run by the cron, ``hz`` times a second (INFO metrics sampling...).
    cron_hooks: list = [eviction.cron]

    # ---- startup ---------------------------------------------------------------------------
    def open_log(self):
        """Open the log backend (recovering a torn tail); replay comes next, in :meth:`replay`."""
        from .durability.filelog import FileLog

        d = self.config["dir"]
        self.backend = FileLog(d, segment_bytes=self.config["log-segment-bytes"])
        self.backend.open()
        report = getattr(self.backend, "recovery_report", "")
        if report:
            log.warning("log recovery: %s", report)
        self.loading = True
        self.update_lane()
        self.log = _ReplayLog()

    def start_committer(self, loop):
        from .durability.commit import GroupCommitter

        self.log = GroupCommitter(loop, self.backend, self.config["appendfsync"])
        self.log.add_listener(self._on_durable)
        self.log.on_new_batch = self._new_log_record

    def _new_log_record(self):
        self.log_db = -1

    async def replay(self):
        """Rebuild the keyspace: the newest snapshot, then the log after its offset (snapshot.py).

        Runs while the listener is already open: clients get ``LOADING`` meanwhile, as in Redis.
        It yields to the loop every few thousand commands so that those replies go out."""
        import hiredis

        from .info import restore_stats, snapshot_stats

        t0 = time.monotonic()
        stats0 = snapshot_stats(self)  # replayed commands are not client activity
        self.loading = True
        self.update_lane()
        self.replaying = True
        c = Client(self, None)
        c.authenticated = True
        c.user = None
        n = 0
        try:
            from .snapshot import recover
            start = await recover(self)  # newest snapshot loaded: replay the log after it
            for _off, payload in self.backend.read_from(start):
                reader = hiredis.Reader()
                reader.feed(payload)
                while True:
                    argv = reader.gets()
                    if argv is False:
                        break
                    cmd = dispatch.lookup(argv[0])
                    if cmd is None:
                        raise RuntimeError("unknown command in log: %r" % argv[:2])
                    c.required = 0
                    r = dispatch.call(c, cmd, argv)
                    if isinstance(r, RedisError) and cmd.name not in ("exec",):
                        log.warning("replayed %r gave %s", argv[:3], r.msg)
                    n += 1
                    if n % 4096 == 0:
                        self.loaded_records = n
                        await asyncio.sleep(0)
        finally:
            self.loading = False
            self.replaying = False
            self.update_lane()
            restore_stats(self, stats0)
        self.loaded_records = n
        self.startup_seconds = time.monotonic() - t0
        for db in self.dbs:
            db.hazards.clear()
        self.touched.clear()
        self.log_db = -1
        log.warning("loaded %d commands from the log in %.3f s", n, self.startup_seconds)

    async def serve(self):
        from . import listeners, tls

        loop = asyncio.get_running_loop()
        self.loop = loop
        cfg = self.config
        os.makedirs(cfg["dir"], exist_ok=True)
        cert, key, ca = cfg["tls-cert-file"], cfg["tls-key-file"], cfg["tls-ca-cert-file"]
        if not cert:
            paths = tls.ensure_dev_certs(cfg["dir"])
            cert, key = paths["cert"], paths["key"]
            ca = ca or paths["ca_cert"]
            generated = True
        else:
            generated = False
        ctx = tls.make_server_context(cert, key, ca or None, cfg["tls-auth-clients"],
                                      protocols=cfg["tls-protocols"] or None,
                                      ciphers=cfg["tls-ciphers"] or None,
                                      prefer_server_ciphers=cfg["tls-prefer-server-ciphers"])
        if cfg["tls-dh-params-file"]:
            try:
                ctx.load_dh_params(cfg["tls-dh-params-file"])
            except (OSError, ssl.SSLError) as e:
                raise RuntimeError("Failed to load DH params file: %s: %s"
                                   % (cfg["tls-dh-params-file"], e)) from None
        self.open_log()
        port = cfg["tls-port"]
        hosts = cfg["bind"].split()
        srv = tls_transport.TLSServer(loop, tls_transport.listen(hosts, port, 511), ctx,
                                      lambda: _make_protocol(self))
        self.servers.append(srv)
        if port == 0:
            port = srv.sockets[0].getsockname()[1]
        self.port = port
        self.ssl_ctx = ctx
        listeners.install(self)  # CONFIG SET tls-port / bind / port
        print("Perdure %s ready: TLS on %s port %d, data in %s" % (VERSION, ",".join(hosts), port,
              os.path.abspath(cfg["dir"])), file=sys.stderr, flush=True)
        if generated:
            print("Connect with: " + tls.connect_hint(port, ca), file=sys.stderr, flush=True)
        _show_logo(cfg, port)
        log.info("Server initialized")
        memory.take_startup(self)  # the machinery is up, no data yet: used_memory_startup
        await self.replay()
        self.start_committer(loop)
        for fn in self.hooks_after_start:
            fn(self)
        log.info("Ready to accept connections")
        self.shutdown_event = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                loop.add_signal_handler(sig, self.shutdown_event.set)
            except (NotImplementedError, RuntimeError):
                pass
        cron = loop.create_task(self.cron())
        await self.shutdown_event.wait()
        cron.cancel()
        await self.shutdown()

    async def cron(self):
        """serverCron: active expiry and client timeouts, ``hz`` times a second."""
        while True:
            await asyncio.sleep(1.0 / self.config["hz"])
            if self.loading or self.cron_paused:
                continue
            deadline = time.monotonic() + 0.025 * 100 / max(self.config["hz"], 1) / 10
            if self.active_expire_enabled and not self.pause_type and self.masterhost is None:
                # no expiry while paused, nor on a replica (its master sends DELs)
                t0 = time.perf_counter()
                for db in self.dbs:
                    if db.expires:
                        db.active_expire(20, deadline)
                elapsed = time.perf_counter() - t0
                self.stat_expire_cycle_time_used += elapsed
                self.latency_sample("expire-cycle", int(elapsed * 1000))
            for fn in self.cron_hooks:
                fn(self)
            if self.touched:
                self.settle_hazards()
            to = self.config["timeout"]
            if to:
                now = time.monotonic()
                for c in list(self.clients.values()):
                    if (now - c.last_interaction > to and c.blocked is None and not c.pubsub_channels
                            and not c.pubsub_patterns and not self.pause.is_paused(c)
                            and not c.monitor and c.conn_type == "normal"):
                        c.close("timeout")

    async def shutdown(self):
        for s in self.servers:
            s.close()
        for fn in self.shutdown_hooks:
            await fn(self)
        for c in list(self.clients.values()):
            c.flush()
        if self.log is not None:
            await self.log.close()
        for c in list(self.clients.values()):
            c.close()
        if self.backend is not None:
            self.backend.close()
        log.warning("Perdure is now ready to exit, bye bye...")


class _Blocked:
    __slots__ = ("client", "keys", "on_ready", "on_timeout", "timer", "call", "btype")

    def __init__(self, client, keys, on_ready, on_timeout):
        self.client = client
        self.keys = keys
        self.on_ready = on_ready
        self.on_timeout = on_timeout
        self.timer = None
        self.call = None  # (cmd, argv, seconds) of the call that blocked, for the slow log
        self.btype = None  # the key type it waits for (Server.block)


class _ReplayLog:
    """Stands in for the committer while replaying: nothing is appended, everything durable."""

    appended = 0
    durable = 0
    handed = 0
    failed = None

    @staticmethod
    def batch_empty():
        return False


def _make_protocol(server):
    from .protocol import RedisProtocol

    return RedisProtocol(server)


def main(argv=None):
    """``perdure-server [configfile] [--option value ...]``"""
    from .config import ConfigError

    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-v", "--version"):
        print("Perdure server v=%s (Redis %s compatible)" % (_pkg_version(), VERSION))
        return 0
    cfg = Config()
    try:
        cfg.load_argv(argv)
    except ConfigError as e:
        print(str(e), file=sys.stderr)
        return 1
    level = {"debug": logging.DEBUG, "verbose": logging.INFO, "notice": logging.INFO,
             "warning": logging.WARNING}[cfg["loglevel"]]
    # As Redis: the log goes to ``logfile``, or to standard output when it is empty.
    target = {"filename": cfg["logfile"]} if cfg["logfile"] else {"stream": sys.stdout}
    logging.basicConfig(level=level, format="%(process)d:M %(asctime)s %(levelname)s %(message)s",
                        **target)
    log.warning("oO0OoO0OoO0Oo Perdure is starting oO0OoO0OoO0Oo")
    log.warning("Perdure version=%s (Redis %s compatible), bits=64, pid=%d, just started",
                _pkg_version(), VERSION, os.getpid())
    log.warning("Configuration loaded")
    # As Redis: the server works in ``dir`` (created if missing), so relative paths given in
    # the configuration (aclfile, dbfilename, cluster-config-file...) are relative to it, and
    # CONFIG GET dir reports the absolute path.
    try:
        os.makedirs(cfg["dir"], exist_ok=True)
        os.chdir(cfg["dir"])
    except OSError as e:
        log.error("Can't chdir to '%s': %s", cfg["dir"], e.strerror)
        print("Can't chdir to '%s': %s" % (cfg["dir"], e.strerror), file=sys.stderr)
        return 1
    cfg.values["dir"] = os.getcwd()
    if cfg["oom-score-adj"] != "no":
        from .config import apply_oom_score_adj
        try:
            apply_oom_score_adj(cfg)
        except OSError as e:
            log.warning("Unable to set oom_score_adj: %s", e)
    memory.tune_allocator()
    try:
        import uvloop
        uvloop.install()
    except ImportError:
        pass
    from perdure.acl import AclError
    try:
        server = Server(cfg)
    except AclError as e:
        log.error("%s", e)
        print(str(e), file=sys.stderr)
        return 1
    try:
        asyncio.run(server.serve())
    except Exception as e:
        log.error("fatal: %s", e)
        print("fatal: %s" % e, file=sys.stderr)
        return 1
    return 0


def _show_logo(cfg, port):
    """Redis's start-up logo (``always-show-logo yes``, or the log is a terminal) with the
    ``PID:`` line tools wait for; otherwise the one-line "Running mode" notice."""
    mode = "cluster" if cfg["cluster-enabled"] else "standalone"
    out = None
    if not cfg["logfile"]:
        out = sys.stdout
    if cfg["always-show-logo"] or (out is not None and out.isatty()):
        text = ("\n"
                "  ___            _                Perdure %s (Redis %s compatible) 64 bit\n"
                " | _ \\___ _ _ __| |_  _ _ _ ___\n"
                " |  _/ -_) '_/ _` | || | '_/ -_)  Running in %s mode\n"
                " |_| \\___|_| \\__,_|\\_,_|_| \\___|  Port: %d (TLS)\n"
                "                                  PID: %d\n\n"
                % (_pkg_version(), VERSION, mode, port, os.getpid()))
        if out is None:
            with open(cfg["logfile"], "a", encoding="utf-8") as f:
                f.write(text)
        else:
            out.write(text)
            out.flush()
    else:
        log.info("Running mode=%s, port=%d.", mode, port)


def _pkg_version():
    try:
        from importlib.metadata import version
        return version("perdure")
    except Exception:
        return "0.1.0"

