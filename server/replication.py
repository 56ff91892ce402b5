"""Redis replication: a master's stream to its replicas, and a replica's link to its master.

Master side (``SYNC``/``PSYNC``/``REPLCONF``/``WAIT``):

* The replication stream is the effects log's content (:meth:`Server.log_effect`): the same
  RESP commands, with a ``SELECT`` whenever the database changes (the log starts each record
  with one; the stream, as Redis's, only when it changes).  It exists once a first replica has
  attached (``active``), as Redis's backlog does; ``offset`` (master_repl_offset) counts its
  bytes and ``backlog`` keeps the last ``repl-backlog-size`` of them for ``PSYNC`` continuations.
* Durability first: a replica is sent stream bytes only once the master's log holds them
  durably.  Each piece is queued on the replica's connection behind the log offset of its
  record (the same gating replies get, :meth:`Client.emit`), so a replica never has a write
  the master could lose in a crash, and no reader of a replica sees a value that is not durable
  on the master.
* A full resynchronisation serialises the dataset at once (RDB 9 in memory) and queues
  ``+FULLRESYNC <replid> <offset>`` and the payload behind everything appended so far; the
  stream after that offset follows on the same connection.  ``PSYNC <replid> <offset>`` with a
  known history still in the backlog gets ``+CONTINUE`` and the missing bytes instead.
* ``WAIT n timeout``: the replicas that acknowledged (``REPLCONF ACK``) the offset after the
  caller's last write; the master asks for acknowledgements (``REPLCONF GETACK *``) while a
  client waits, as Redis does.

Replica side (``REPLICAOF host port``):

* A task connects to the master (TLS when ``tls-replication`` is on: to another Perdure; plain
  TCP to a Redis built without TLS), runs Redis's handshake (``PING``, ``AUTH`` with
  ``masteruser``/``masterauth``, ``REPLCONF listening-port``/``capa``, ``PSYNC``), loads the
  RDB payload of a full resync, then executes the stream as the master client.  Everything the
  replica applies goes through its own effects log like any write, so a replica is as durable
  as a master; after a full resync its data is replaced by ``FLUSHALL`` and one ``RESTORE`` per
  key, logged and replayed on restart like any other effects.
* The replica acknowledges the offset whose effects are durable in its own log: once a second,
  and after a ``GETACK`` as soon as what it applied before it is durable.
* Clients of a replica get ``READONLY`` for writes (``replica-read-only``, the default); keys
  past their TTL read as absent but are deleted only by the master's ``DEL`` (no active expiry
  on a replica, as in Redis); the replica does not evict (``replica-ignore-maxmemory``).
* The link reconnects every second while it is down; ``REPLICAOF NO ONE`` makes the replica a
  master again with a new replication ID (the old one kept as ``master_replid2``).

Not built: replicas of replicas (a replica's own replicas get its effects, not its master's
stream, so offsets differ), diskless sync on the master side (a replica reads both forms),
failover (``FAILOVER``) and cluster replicas (``CLUSTER REPLICATE``).
"""

from __future__ import annotations

import asyncio
import io
import logging
import secrets
import time
from collections import deque

from . import resp

log = logging.getLogger("perdure.server")

READONLY_ERR = "READONLY You can't write against a read only replica."
MASTERDOWN_ERR = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."


def _cmd(*args) -> bytes:
    return resp.encode_command([a if isinstance(a, bytes) else str(a).encode() for a in args])


class Link:
    """A replica attached to this master (its client connection)."""

    __slots__ = ("client", "port", "ip", "ack", "ack_time", "capa", "exempt")

    def __init__(self, client):
        self.client = client
        self.port = 0
        self.ip = b""
        self.ack = 0
        self.ack_time = time.time()
        self.capa = set()
        self.exempt = 0  # bytes of the full-resync payload not counted in the output limits


class Replication:
    def __init__(self, srv):
        self.srv = srv
        self.replid = secrets.token_hex(20)
        self.replid2 = "0" * 40
        self.second_offset = -1
        self.offset = 0
        self.active = False
        self.seldb = -1
        self.links: dict = {}            # Client -> Link (attached replicas, in attach order)
        # the last repl-backlog-size bytes of the stream (it may hold up to twice that, so
        # that trimming it is one memmove per repl-backlog-size bytes, not one per command)
        self.backlog = bytearray()
        self.waiters: list = []          # (client, numreplicas) blocked in WAIT
        self.getack_pending = False
        self.pending_conf: dict = {}     # REPLCONF sent before SYNC: client id -> [port, ip, capa]
        self.last_ping = 0.0
        self.last_cron = 0.0
        self.sync_full = self.sync_partial_ok = self.sync_partial_err = 0  # INFO stats
        self.delayed: dict = {}          # replicas waiting out repl-diskless-sync-delay
        self.delay_timer = None
        # FAILOVER (coordinated): no-failover, waiting-for-sync, failover-in-progress
        self.failover_state = "no-failover"
        self.failover_end = 0.0
        self.failover_force = False
        self.target = None               # (host, port) of the replica to fail over to
        # replica side
        self.host = None
        self.port = 0
        self.state = "none"              # connect, connecting, sync, connected
        self.task = None
        self.master_client = None
        self.writer = None
        self.processed = 0               # offset of the stream applied
        self.read_offset = 0             # offset of the stream read (slave_read_repl_offset)
        self.pending = deque()           # commands read, not applied yet (CLIENT PAUSE)
        self.stream_multi = None         # a MULTI ... EXEC of the stream being collected
        self.stream_db = 0               # the database the stream is in at ``processed``
        # keys a writable replica gave a TTL itself (rememberSlaveKeyWithExpire): its master
        # never sends their DEL, so the replica expires them (expireSlaveKeys)
        self.own_expires: dict = {}
        self.marks = []                  # (stream offset, log offset after applying it)
        self.acked_local = 0
        self.last_io = 0.0
        self.sync_in_progress = False
        self.link_down_since = 0.0

    # ------------------------------------------------------------------ the stream (master)
    def feed(self, db_id: int, data: bytes) -> None:
        """One effect, just appended to the log (``Server.log_effect``)."""
        if db_id != self.seldb:
            self.seldb = db_id
            s = str(db_id).encode()
            self._append(b"*2\r\n$6\r\nSELECT\r\n$%d\r\n%s\r\n" % (len(s), s))
        self._append(data)
        cur = self.srv.current_client
        if cur is not None:
            cur.woff = self.offset

    def _append(self, data: bytes) -> None:
        self.offset += len(data)
        bl = self.backlog
        bl += data
        size = self.srv.config["repl-backlog-size"]
        if len(bl) > 2 * size:
            del bl[:len(bl) - size]
        if self.links:
            required = self.srv.log.appended
            for c in self.links:
                _send(c, data, required)

    def start(self) -> None:
        """The stream exists from now on (a first replica attached, or a replica promoted)."""
        if not self.active:
            self.active = True
            self.last_ping = time.time()
            self.backlog = bytearray()
        if self.host is None:
            # a master streams its own effects; a replica proxies its master's stream (drain)
            self.srv.repl_feed = self.feed

    def histlen(self) -> int:
        """repl_backlog_histlen: how much of the stream the backlog holds."""
        return min(len(self.backlog), self.srv.config["repl-backlog-size"])

    # ------------------------------------------------------------------ SYNC / PSYNC
    def attach(self, c, argv) -> None:
        """SYNC or PSYNC from ``c``: make it a replica, queue what it needs."""
        srv = self.srv
        psync = argv[0].lower() == b"psync"
        self.start()
        required = srv.log.appended
        if psync and self._try_continue(c, argv[1], argv[2], required):
            self.sync_partial_ok += 1
            return
        self.sync_full += 1
        if psync and argv[1] != b"?":
            self.sync_partial_err += 1  # a PSYNC that could not continue
        cfg = srv.config
        if cfg["repl-diskless-sync"] and cfg["repl-diskless-sync-delay"] > 0:
            # repl-diskless-sync-delay: wait for more replicas to arrive, sending newlines
            # meanwhile (the replica is still in its handshake: no +FULLRESYNC yet)
            self.delayed[c] = psync
            if self.delay_timer is None:
                self.delay_timer = srv.loop.call_later(cfg["repl-diskless-sync-delay"],
                                                       self._start_delayed)
            return
        self._full_sync(c, psync)

    def _start_delayed(self) -> None:
        self.delay_timer = None
        waiting, self.delayed = self.delayed, {}
        for c, psync in waiting.items():
            if not c.closing:
                self._full_sync(c, psync)

    def _full_sync(self, c, psync: bool) -> None:
        srv = self.srv
        required = srv.log.appended
        buf = io.BytesIO()
        from .rdb.rdbfile import write_rdb

        # the database the stream that follows is in: a master's starts with a SELECT; a
        # replica proxies its master's stream, in its master client's database
        mc = self.master_client
        stream_db = b"%d" % (mc.db.id if self.host is not None and mc is not None else 0)
        write_rdb(buf, srv.dbs, srv.config.values,
                  extra_aux=((b"repl-stream-db", stream_db), (b"repl-id", self.replid.encode()),
                             (b"repl-offset", b"%d" % self.offset)))
        payload = buf.getvalue()
        head = b""
        if psync:
            head = b"+FULLRESYNC %s %d\r\n" % (self.replid.encode(), self.offset)
        _send(c, head + b"$%d\r\n" % len(payload) + payload, required)
        self.seldb = -1  # the next command of the stream says which database it is for
        self._add(c).exempt = len(payload)
        log.warning("Synchronization with replica %s succeeded", c.addr)

    def _try_continue(self, c, replid: bytes, offset: bytes, required: int) -> bool:
        try:
            off = int(offset)
        except ValueError:
            return False
        rid = replid.decode("latin-1")
        if rid != self.replid and not (rid == self.replid2 and off <= self.second_offset):
            if rid == "?":
                log.warning("Full resync requested by replica %s", c.addr)
            elif rid != self.replid and rid != self.replid2:
                log.warning("Partial resynchronization not accepted: Replication ID mismatch "
                            "(Replica asked for '%s', my replication IDs are '%s' and '%s')",
                            rid, self.replid, self.replid2)
            else:
                log.warning("Partial resynchronization not accepted: Requested offset for second "
                            "ID was %d, but I can reply up to %d", off, self.second_offset)
            return False
        if off < self.offset + 1 - self.histlen() or off > self.offset + 1:
            log.warning("Unable to partial resync with replica %s for lack of backlog (Replica "
                        "request was: %d).", c.addr, off)
            return False
        link = self._add(c)
        psync2 = b"psync2" in link.capa
        head = b"+CONTINUE %s\r\n" % self.replid.encode() if psync2 else b"+CONTINUE\r\n"
        n = self.offset + 1 - off
        _send(c, head + (bytes(self.backlog[-n:]) if n else b""), required)
        log.warning("Partial resynchronization request from %s accepted. Sending %d bytes of backlog "
                    "starting from offset %d.", c.addr, self.offset + 1 - off, off)
        return True

    def _add(self, c) -> Link:
        link = Link(c)
        c.conn_type = "slave"
        c.reply_mode = 1  # no replies to a replica's own commands (REPLCONF ACK)
        self.links[c] = link
        pending = self.pending_conf.pop(c.id, None)
        if pending:
            link.port, link.ip, link.capa = pending
        return link

    def replconf(self, c, argv):
        """REPLCONF option value ...: returns the reply (None: no reply at all)."""
        if len(argv) % 2 == 0:
            from .errors import RedisError
            raise RedisError("ERR syntax error")
        link = self.links.get(c)
        conf = self.pending_conf.setdefault(c.id, [0, b"", set()]) if link is None else None
        for i in range(1, len(argv), 2):
            opt, val = argv[i].lower(), argv[i + 1]
            if opt == b"listening-port":
                from .args import to_int
                from .errors import RedisError
                p = to_int(val)
                if p is None:
                    raise RedisError("ERR value is not an integer or out of range")
                if link is not None:
                    link.port = p
                else:
                    conf[0] = p
            elif opt == b"ip-address":
                if link is not None:
                    link.ip = val
                else:
                    conf[1] = val
            elif opt == b"capa":
                (link.capa if link is not None else conf[2]).add(val.lower())
            elif opt == b"ack":
                if link is not None:
                    try:
                        off = int(val)
                    except ValueError:
                        return None
                    if off > link.ack:
                        link.ack = off
                    link.ack_time = time.time()
                    if self.waiters:
                        self.check_waiters()
                return None
            elif opt == b"getack":
                if self.host is not None and self.writer is not None:
                    self.send_ack()
                return None
            else:
                from .errors import RedisError
                raise RedisError("ERR Unrecognized REPLCONF option: %s" % argv[i].decode("utf-8", "replace"))
        return resp.OK

    def gone(self, c) -> None:
        self.delayed.pop(c, None)
        if self.links.pop(c, None) is not None:
            log.warning("Connection with replica %s lost.", c.addr)
        self.pending_conf.pop(c.id, None)
        if self.waiters:
            self.waiters = [w for w in self.waiters if w[0] is not c]

    def disconnect_replicas(self) -> None:
        for c in list(self.links):
            c.close("replication")
            self.gone(c)

    # ------------------------------------------------------------------ WAIT
    def good_replicas(self) -> int:
        """Replicas that acknowledged within min-replicas-max-lag seconds."""
        lag = self.srv.config["min-replicas-max-lag"]
        now = time.time()
        return sum(1 for link in self.links.values() if now - link.ack_time <= lag)

    def acked(self, woff: int) -> int:
        return sum(1 for link in self.links.values() if link.ack >= woff)

    def wait(self, c, numreplicas: int, timeout_ms: int):
        n = self.acked(c.woff)
        if n >= numreplicas or c.multi is not None or c.in_exec:
            return n
        self.waiters.append((c, numreplicas))
        self.request_acks()
        return self.srv.block(c, [], timeout_ms / 1000.0, _never_ready, self._wait_timeout)

    def _wait_timeout(self, c):
        self.waiters = [w for w in self.waiters if w[0] is not c]
        return self.acked(c.woff)

    def check_waiters(self) -> None:
        srv = self.srv
        keep = []
        for c, n in self.waiters:
            if c.blocked is None:
                continue
            got = self.acked(c.woff)
            if got >= n:
                srv._unblock(c)
                c.emit(got)
                srv._resume(c)
            else:
                keep.append((c, n))
        self.waiters = keep

    def request_acks(self) -> None:
        if self.getack_pending or not self.links:
            return
        self.getack_pending = True
        self.srv.loop.call_soon(self._getack)

    def _getack(self) -> None:
        self.getack_pending = False
        if self.links and not self.srv.pause_type:  # never while clients are paused
            self._append(_cmd("REPLCONF", "GETACK", "*"))

    # ------------------------------------------------------------------ FAILOVER
    def find_replica(self, host: str, port: int):
        for c, link in self.links.items():
            ip = link.ip.decode() if link.ip else c.addr.rsplit(":", 1)[0]
            if ip.lower() == host.lower() and link.port == port:
                return link
        return None

    def start_failover(self, target, timeout_ms: int, force: bool) -> None:
        """failoverCommand past its checks: pause writes and wait for a replica to catch up."""
        from .limits import PAUSE_WRITE

        srv = self.srv
        if target is not None:
            log.warning("FAILOVER requested to %s:%d.", *target)
        else:
            log.warning("FAILOVER requested to any replica.")
        self.target = target
        self.failover_end = time.time() + timeout_ms / 1000.0 if timeout_ms else 0.0
        self.failover_force = force
        self.failover_state = "waiting-for-sync"
        srv.pause.pause(float("inf"), PAUSE_WRITE)

    def clear_failover(self) -> None:
        self.failover_end = 0.0
        self.failover_force = False
        self.target = None
        self.failover_state = "no-failover"
        self.srv.pause.unpause()

    def abort_failover(self, why: str) -> None:
        if self.failover_state == "no-failover":
            return
        if self.target is not None:
            log.warning("FAILOVER to %s:%d aborted: %s", self.target[0], self.target[1], why)
        else:
            log.warning("FAILOVER to any replica aborted: %s", why)
        if self.failover_state == "failover-in-progress":
            self.unset_master()
        self.clear_failover()

    def update_failover(self) -> None:
        """updateFailoverStatus (every cron tick): time out, or hand over to a caught-up replica."""
        if self.failover_state != "waiting-for-sync":
            return
        if self.failover_end and self.failover_end <= time.time():
            if self.failover_force:
                log.warning("FAILOVER to %s:%d time out exceeded, failing over.", *self.target)
                self.failover_state = "failover-in-progress"
                self.set_master(*self.target)
            else:
                self.abort_failover("Replica never caught up before timeout")
            return
        link = None
        if self.target is not None:
            link = self.find_replica(*self.target)
        else:
            for c, ln in self.links.items():
                if ln.ack == self.offset:
                    ip = ln.ip.decode() if ln.ip else c.addr.rsplit(":", 1)[0]
                    self.target = (ip, ln.port)
                    link = ln
                    break
        if link is not None and link.ack == self.offset:
            self.failover_state = "failover-in-progress"
            log.warning("Failover target %s:%d is synced, failing over.", *self.target)
            self.set_master(*self.target)

    # ------------------------------------------------------------------ replica side
    def set_master(self, host: str, port: int) -> None:
        srv = self.srv
        was_master = self.host is None
        self._stop_link()
        srv.disconnect_blocked_clients()
        self.host, self.port = host, port
        srv.masterhost = host
        srv.config.values["slaveof"] = "%s %d" % (host, port)  # CONFIG GET/REWRITE replicaof
        srv.repl_feed = None  # from now on the stream is the master's, proxied (drain)
        srv.update_lane()
        self.disconnect_replicas()
        if was_master:
            self.processed = self.offset
            if self.seldb >= 0:
                self.stream_db = self.seldb  # where our own stream left off
        self.state = "connect"
        self.link_down_since = time.time()
        _oom_class(srv, True)
        self.task = srv.loop.create_task(self._run())

    def unset_master(self) -> None:
        srv = self.srv
        if self.host is None:
            return
        self._stop_link()
        self.host = None
        srv.masterhost = None
        srv.config.values["slaveof"] = ""
        srv.update_lane()
        # shiftReplicationId: the history so far stays valid for PSYNC under the old ID
        self.replid2 = self.replid
        self.second_offset = self.offset + 1
        self.replid = secrets.token_hex(20)
        self.disconnect_replicas()
        self.state = "none"
        self.seldb = -1
        # the stream goes on from the master's: the backlog holds what this replica applied,
        # so a replica that has less or all of it (a sibling, the old master after a FAILOVER)
        # continues with PSYNC under the old ID
        self.offset = self.processed
        self.start()
        _oom_class(srv, False)
        log.warning("MASTER MODE enabled")

    def _stop_link(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None
        self._drop_connection()

    def _drop_connection(self) -> None:
        """Close the link's connection and forget its master client."""
        if self.writer is not None:
            try:
                self.writer.close()
            except Exception:  # noqa: BLE001
                pass
            self.writer = None
        if self.master_client is not None:
            self.stream_db = self.master_client.db.id  # a PSYNC continues from there
            self.srv.clients.pop(self.master_client.id, None)
            self.master_client = None

    async def _run(self) -> None:
        while self.host is not None:
            self.state = "connecting"
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - the link is down: log, retry
                if isinstance(e, ConnectionError) and e.args:
                    log.warning("%s", e)  # Redis's own words (timeouts, lost connection)
                else:
                    log.warning("MASTER <-> REPLICA sync: %r", e)
            if self.host is None or asyncio.current_task() is not self.task:
                return  # REPLICAOF NO ONE / another REPLICAOF / an aborted FAILOVER took over
            self._drop_connection()
            if self.state == "connected":
                self.link_down_since = time.time()
            self.state = "connect"
            self.sync_in_progress = False
            await asyncio.sleep(1.0)

    async def _session(self) -> None:
        srv = self.srv
        cfg = srv.config
        ssl_ctx = None
        if cfg["tls-replication"]:
            from .commands.dump import _tls_context
            ssl_ctx = _tls_context(srv)
        timeout = cfg["repl-timeout"]
        log.warning("Connecting to MASTER %s:%d", self.host, self.port)
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port, ssl=ssl_ctx), timeout)
        except asyncio.TimeoutError:
            raise ConnectionError("Timeout connecting to the MASTER...") from None
        self.writer = writer
        self.state = "handshake"
        log.warning("MASTER <-> REPLICA sync started")

        async def ask(*args) -> bytes:
            writer.write(_cmd(*args))
            while True:
                try:
                    line = await asyncio.wait_for(reader.readline(), timeout)
                except asyncio.TimeoutError:
                    raise ConnectionError("Timeout connecting to the MASTER...") from None
                if not line:
                    raise ConnectionError("the master closed the connection")
                if line.strip():
                    return line.rstrip(b"\r\n")
                # a newline: the master keeps the link alive while it prepares the sync

        r = await ask("PING")
        if r[:1] == b"-" and not (r.startswith(b"-NOAUTH") or r.startswith(b"-NOPERM")
                                  or r.startswith(b"-ERR operation not permitted")):
            raise ConnectionError("Error reply to PING from master: '%s'" % r.decode("utf-8", "replace"))
        if cfg["masterauth"]:
            args = ["AUTH"] + ([cfg["masteruser"]] if cfg["masteruser"] else []) + [cfg["masterauth"]]
            r = await ask(*args)
            if r[:1] == b"-":
                raise ConnectionError("Unable to AUTH to MASTER: %s" % r.decode("utf-8", "replace"))
        port = cfg["replica-announce-port"] or srv.port
        await ask("REPLCONF", "listening-port", port)
        if cfg["replica-announce-ip"]:
            await ask("REPLCONF", "ip-address", cfg["replica-announce-ip"])
        await ask("REPLCONF", "capa", "eof", "capa", "psync2")
        # PSYNC with our own history (replid, offset + 1): a master that shares it continues
        failover = self.failover_state == "failover-in-progress"
        if failover:
            r = await ask("PSYNC", self.replid, self.processed + 1, "FAILOVER")
            if not (r.startswith(b"+CONTINUE") or r.startswith(b"+FULLRESYNC")):
                self.abort_failover("Failover target rejected psync request")
                return
            self.clear_failover()
        else:
            r = await ask("PSYNC", self.replid, self.processed + 1)
        self.state = "sync"
        self.last_io = time.time()
        if r.startswith(b"+CONTINUE"):
            parts = r.split()
            if len(parts) > 1 and parts[1].decode() != self.replid:
                self.replid2, self.second_offset = self.replid, self.processed + 1
                self.replid = parts[1].decode()
                # our replicas must learn the new ID: they reconnect, and continue under it
                self.disconnect_replicas()
            log.warning("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.")
            self._make_master_client()
            self.offset = self.processed
            self.start()
        elif r.startswith(b"+FULLRESYNC"):
            parts = r.split()
            replid, offset = parts[1].decode(), int(parts[2])
            self.sync_in_progress = True
            payload = await self._read_payload(reader, timeout)
            self._make_master_client()
            self._load(payload)
            self.replid, self.replid2, self.second_offset = replid, "0" * 40, -1
            self.processed = self.offset = offset
            self.active = False
            self.start()  # a new backlog from the master's offset (chained replicas, PSYNC)
            self.marks = []
            self.acked_local = offset
            self.sync_in_progress = False
            log.warning("MASTER <-> REPLICA sync: Finished with success")
        else:
            raise ConnectionError("Unexpected reply to PSYNC from master: %s" % r.decode("utf-8", "replace"))
        self.state = "connected"
        srv.update_lane()
        await self._stream(reader)

    async def _read_payload(self, reader, timeout) -> bytes:
        try:
            return await self._read_payload_timed(reader, timeout)
        except asyncio.TimeoutError:
            raise ConnectionError("Timeout receiving bulk data from MASTER... If the problem "
                                  "persists try to set the 'repl-timeout' parameter in redis.conf "
                                  "to a larger value.") from None

    async def _read_payload_timed(self, reader, timeout) -> bytes:
        while True:  # newlines are keep-alives while the master prepares the RDB
            line = await asyncio.wait_for(reader.readline(), timeout)
            if not line:
                raise ConnectionError("the master closed the connection during the transfer")
            if line.strip():
                break
        if line[:1] == b"-":
            raise ConnectionError("MASTER aborted replication with an error: %s" % line.strip().decode("utf-8", "replace"))
        if line.startswith(b"$EOF:"):
            mark = line[5:45]
            data = bytearray()
            while not data.endswith(mark):
                chunk = await asyncio.wait_for(reader.read(65536), timeout)
                if not chunk:
                    raise ConnectionError("the master closed the connection during the transfer")
                data += chunk
            return bytes(data[:-40])
        n = int(line[1:])
        log.warning("MASTER <-> REPLICA sync: receiving %d bytes from master to disk", n)
        data = bytearray()
        while len(data) < n:  # the timeout is per read, as Redis's: a slow transfer goes on
            chunk = await asyncio.wait_for(reader.read(min(n - len(data), 1 << 20)), timeout)
            if not chunk:
                raise ConnectionError("the master closed the connection during the transfer")
            data += chunk
            self.last_io = time.time()
        return bytes(data)

    def _make_master_client(self) -> None:
        from .client import Client

        srv = self.srv
        w = self.writer
        mc = Client(srv, _LinkTransport(w))
        mc.authenticated = True
        mc.user = None
        mc.conn_type = "master"
        mc.reply_mode = 1
        mc.addr = _addr(w.get_extra_info("peername")) or "%s:%d" % (self.host, self.port)
        mc.laddr = _addr(w.get_extra_info("sockname")) or mc.laddr
        mc.db = srv.dbs[self.stream_db] if self.stream_db < len(srv.dbs) else srv.dbs[0]
        self.master_client = mc
        srv.clients[mc.id] = mc  # CLIENT LIST (flags=M), CLIENT KILL breaks the link

    def _load(self, payload: bytes) -> None:
        """A full resync: the dataset becomes the master's, through the effects log."""
        from .rdb.rdbfile import dump_payload, read_rdb

        srv = self.srv
        limits = srv.config.values
        log.warning("MASTER <-> REPLICA sync: Flushing old data")
        log.warning("MASTER <-> REPLICA sync: Loading DB in memory")
        snap = read_rdb(payload, limits, max_dbs=len(srv.dbs))
        self._apply([b"FLUSHALL"])
        self.own_expires.clear()
        for i in sorted(snap.dbs):
            keys = snap.dbs[i]
            if not keys:
                continue
            self._apply([b"SELECT", str(i).encode()])
            exp = snap.expires.get(i, {})
            for k, v in keys.items():
                when = exp.get(k)
                args = [b"RESTORE", k, b"%d" % when if when else b"0", dump_payload(v, limits), b"REPLACE"]
                if when:
                    args.append(b"ABSTTL")
                self._apply(args)
        stream_db = snap.aux.get(b"repl-stream-db", b"0")
        self._apply([b"SELECT", stream_db if stream_db.isdigit() else b"0"])
        if srv.ready_keys:
            srv.serve_ready_keys()

    def _apply(self, argv) -> None:
        from . import dispatch
        from .errors import RedisError

        srv = self.srv
        mc = self.master_client
        cmd = dispatch.lookup(argv[0])
        if cmd is None:
            log.warning("unknown command from the master: %r", argv[:2])
            return
        n = len(argv)
        if (cmd.arity > 0 and n != cmd.arity) or n < -cmd.arity:
            log.warning("wrong arity from the master: %r", argv[:2])
            return
        srv.current_client = mc
        try:
            r = dispatch.call(mc, cmd, argv)
        except Exception:  # noqa: BLE001 - one bad command must not end the link
            log.exception("command from the master failed: %r", argv[:2])
            return
        finally:
            srv.current_client = None
        if isinstance(r, RedisError):
            log.warning("command from the master gave an error: %r: %s", argv[:2], r.msg)

    async def _stream(self, reader) -> None:
        import hiredis

        hr = hiredis.Reader()
        self.pending.clear()
        self.stream_multi = None
        self.read_offset = self.processed
        while True:
            try:
                data = await asyncio.wait_for(reader.read(65536), self.srv.config["repl-timeout"])
            except asyncio.TimeoutError:
                raise ConnectionError("MASTER timeout: no data nor PING received...") from None
            if not data:
                raise ConnectionError("Connection with master lost.")
            if asyncio.current_task() is not self.task or self.master_client is None:
                # REPLICAOF / NO ONE / FAILOVER dropped this link while the read completed:
                # what it read belongs to the old link and must not be applied or counted
                return
            self.last_io = time.time()
            self.read_offset += len(data)
            hr.feed(data)
            while True:
                argv = hr.gets()
                if argv is False:
                    break
                if isinstance(argv, list) and argv:
                    self.pending.append(argv)
            self.drain()

    def drain(self) -> None:
        """Apply the commands read from the master, unless CLIENT PAUSE holds them (the master
        client is paused like any other: its commands are writes)."""
        srv = self.srv
        pending = self.pending
        if srv.pause_type or not pending or self.master_client is None:
            return
        getack = False
        while pending:
            argv = pending.popleft()
            data = resp.encode_command(argv)
            n = len(data)
            name = argv[0].lower()
            if name == b"replconf" and len(argv) > 1 and argv[1].lower() == b"getack":
                getack = True  # answered with what was applied before it
            elif self.stream_multi is not None:
                if name == b"exec":
                    for a in self.stream_multi:
                        self._apply(a)
                    self.stream_multi = None
                else:
                    self.stream_multi.append(argv)
            elif name == b"multi":
                self.stream_multi = []
            elif name != b"ping":
                self._apply(argv)
            self.processed += n
            # the backlog and this replica's own replicas get the master's stream as is,
            # each piece once this replica's log holds its effects
            self._append(data)
        self.offset = self.processed
        if srv.ready_keys:
            srv.serve_ready_keys()
        if srv.touched:
            srv.settle_hazards()
        self.marks.append((self.processed, srv.log.appended))
        if len(self.marks) > 1024:
            del self.marks[:512]
        if getack:
            srv.loop.create_task(self._ack_when_durable())

    async def _ack_when_durable(self) -> None:
        await self.srv.log.drain()
        self.send_ack()

    def send_ack(self) -> None:
        w = self.writer
        if w is None or self.state != "connected":
            return
        durable = self.srv.log.durable
        marks = self.marks
        i = 0
        while i < len(marks) and marks[i][1] <= durable:
            self.acked_local = marks[i][0]
            i += 1
        del marks[:i]
        try:
            w.write(_cmd("REPLCONF", "ACK", self.acked_local))
        except Exception:  # noqa: BLE001
            pass

    def cron(self) -> None:
        """replicationCron, once a second: acknowledgements, pings to replicas."""
        for c in self.delayed:  # keep-alive newlines while they wait for the sync to start
            if c.transport is not None and not c.closing:
                c.transport.write(b"\n")
        if self.host is not None:
            self.send_ack()
        elif self.links and not self.srv.pause_type:  # a pause keeps the offset still
            now = time.time()
            if now - self.last_ping >= self.srv.config["repl-ping-replica-period"]:
                self.last_ping = now
                self._append(_cmd("PING"))

    # ------------------------------------------------------------------ INFO / ROLE
    def info(self) -> list:
        """INFO replication, in Redis 6.2's order."""
        srv = self.srv
        out = []
        if self.host is None:
            out.append("role:master")
        else:
            up = self.state == "connected"
            out += [
                "role:slave",
                "master_host:%s" % self.host,
                "master_port:%d" % self.port,
                "master_link_status:%s" % ("up" if up else "down"),
                "master_last_io_seconds_ago:%d" % (int(time.time() - self.last_io) if up else -1),
                "master_sync_in_progress:%d" % (1 if self.sync_in_progress else 0),
                "slave_read_repl_offset:%d" % (self.read_offset if up else self.processed),
                "slave_repl_offset:%d" % self.processed,
            ]
            if not up:
                out.append("master_link_down_since_seconds:%d" % int(time.time() - self.link_down_since))
            out += [
                "slave_priority:%d" % srv.config["replica-priority"],
                "slave_read_only:%d" % (1 if srv.config["replica-read-only"] else 0),
                "replica_announced:%d" % (1 if srv.config["replica-announced"] else 0),
            ]
        out.append("connected_slaves:%d" % len(self.links))
        if srv.config["min-replicas-to-write"] and srv.config["min-replicas-max-lag"]:
            out.append("min_slaves_good_slaves:%d" % self.good_replicas())
        now = time.time()
        for i, (c, link) in enumerate(self.links.items()):
            ip = link.ip.decode() if link.ip else c.addr.rsplit(":", 1)[0]
            out.append("slave%d:ip=%s,port=%d,state=online,offset=%d,lag=%d"
                       % (i, ip, link.port, link.ack, int(now - link.ack_time)))
        active = self.active or self.host is not None
        out += [
            "master_failover_state:" + self.failover_state,
            "master_replid:" + self.replid,
            "master_replid2:" + self.replid2,
            "master_repl_offset:%d" % self.offset,
            "second_repl_offset:%d" % self.second_offset,
            "repl_backlog_active:%d" % (1 if active else 0),
            "repl_backlog_size:%d" % srv.config["repl-backlog-size"],
            "repl_backlog_first_byte_offset:%d" % (self.offset + 1 - self.histlen() if active else 0),
            "repl_backlog_histlen:%d" % (self.histlen() if active else 0),
        ]
        return out

    def role(self):
        if self.host is None:
            reps = []
            for c, link in self.links.items():
                ip = link.ip or c.addr.rsplit(":", 1)[0].encode()
                reps.append([ip, b"%d" % link.port, b"%d" % link.ack])
            return [b"master", self.offset, reps]
        state = {"connected": b"connected", "sync": b"sync", "connecting": b"connecting",
                 "handshake": b"handshake"}.get(self.state, b"connect")
        return [b"slave", self.host.encode(), self.port, state,
                self.processed if self.state == "connected" else -1]


class _LinkTransport:
    """The master client's 'transport': the link's stream writer.  Closing it (CLIENT KILL,
    shutdown) breaks the link, which then reconnects and continues with PSYNC."""

    __slots__ = ("writer",)

    def __init__(self, writer):
        self.writer = writer

    def write(self, data) -> None:
        pass  # the master gets no replies

    def close(self) -> None:
        try:
            self.writer.close()
        except Exception:  # noqa: BLE001
            pass

    def abort(self) -> None:
        self.close()

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name, default=None):
        return self.writer.get_extra_info(name, default)


def _addr(name) -> str:
    if not name:
        return ""
    host, port = name[0], name[1]
    return ("[%s]:%d" if ":" in host else "%s:%d") % (host, port)


def _oom_class(srv, replica: bool) -> None:
    """setOOMScoreAdj(-1): the oom-score-adj-values class follows the role."""
    from . import config

    config._OOM["replica"] = replica
    if srv.config["oom-score-adj"] != "no":
        try:
            config.apply_oom_score_adj(srv.config)
        except OSError as e:
            log.warning("Unable to set oom_score_adj: %s", e)


def _send(c, data: bytes, required: int) -> None:
    """Queue stream bytes on replica ``c`` behind log offset ``required`` (see the module doc)."""
    if not c.closing:
        c.push(resp.Raw(data), required)  # out of band: the replica's reply_mode is off


def _never_ready(c, key):
    return None


def _client_gone(c) -> None:
    repl = getattr(c.server, "repl", None)
    if repl is not None and (repl.links or repl.pending_conf or repl.delayed):
        repl.gone(c)


def _expire_own_keys(srv) -> None:
    """expireSlaveKeys: delete the writable replica's own keys whose TTL passed."""
    repl = srv.repl
    now = srv.cached_now_ms()
    for db_id, key in list(repl.own_expires):
        db = srv.dbs[db_id]
        when = db.expires.get(key)
        if when is None:
            del repl.own_expires[(db_id, key)]
        elif when <= now:
            del repl.own_expires[(db_id, key)]
            srv.stat_expired_keys += 1
            db._delete_expired(key)


def _cron(srv) -> None:
    repl = srv.repl
    if repl.own_expires:
        if srv.masterhost is None:
            repl.own_expires.clear()  # a master again: the active expiry takes them
        else:
            _expire_own_keys(srv)
    if repl.failover_state == "waiting-for-sync":
        repl.update_failover()
    if repl.pending:
        repl.drain()  # commands CLIENT PAUSE held back
    now = time.monotonic()
    if now - repl.last_cron >= 1.0:
        repl.last_cron = now
        repl.cron()


STATE_FILE = "replication-state.json"


async def _save_state(srv) -> None:
    """At a clean shutdown: the replication ID and offset the data on disk corresponds to (as
    Redis keeps them in the RDB's aux fields), so that after a restart this server's replicas,
    or this replica with its master, continue with PSYNC instead of a full resync.  Written only
    once the log holds everything; read and removed at start-up, so a crash leaves none."""
    import json
    import os

    repl = srv.repl
    lg = srv.log
    if lg is None or not hasattr(lg, "drain") or not await lg.drain():
        return
    if repl.host is not None:
        if repl.state != "connected" and not repl.processed:
            return
        state = {"replid": repl.replid, "offset": repl.processed,
                 "db": repl.master_client.db.id if repl.master_client is not None else repl.stream_db}
    elif repl.active:
        state = {"replid": repl.replid, "offset": repl.offset, "db": max(repl.seldb, 0)}
    else:
        return
    path = os.path.join(srv.config["dir"], STATE_FILE)
    try:
        with open(path + ".tmp", "w") as f:
            json.dump(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(path + ".tmp", path)
    except OSError as e:
        log.warning("could not save the replication state: %s", e)


def _load_state(srv) -> None:
    import json
    import os

    path = os.path.join(srv.config["dir"], STATE_FILE)
    try:
        with open(path) as f:
            state = json.load(f)
        os.unlink(path)
        replid, offset, db = str(state["replid"]), int(state["offset"]), int(state["db"])
    except (OSError, ValueError, KeyError, TypeError):
        return
    if len(replid) != 40 or offset < 0:
        return
    repl = srv.repl
    repl.replid, repl.offset, repl.processed = replid, offset, offset
    repl.seldb = repl.stream_db = db if 0 <= db < len(srv.dbs) else 0
    repl.start()  # an empty backlog from offset + 1: replicas that have it all continue
    repl.seldb = repl.stream_db
    log.warning("replication state restored: %s:%d", replid, offset)


def _after_start(srv) -> None:
    _load_state(srv)
    conf = srv.config["slaveof"]
    if conf:
        host, port = conf.split()
        srv.repl.set_master(host, int(port))


def setup(srv) -> Replication:
    from .app import Server

    r = srv.repl = Replication(srv)
    if _client_gone not in Server.on_client_gone:
        Server.on_client_gone.append(_client_gone)
    if _cron not in Server.cron_hooks:
        Server.cron_hooks.append(_cron)
    if _after_start not in srv.hooks_after_start:
        srv.hooks_after_start.append(_after_start)
    if _save_state not in Server.shutdown_hooks:
        Server.shutdown_hooks.append(_save_state)
    return r
