"""Per-connection state and reply output with durability gating.

Replies are appended to ``out`` and written once per read batch.  When a reply must wait for
the durable log (see :mod:`perdure.server.dispatch`), it goes to ``held`` — a queue of
``[required_offset, bytearray]`` segments — and so does every later reply on the connection,
so replies stay in order.  :meth:`Client.release` writes the segments whose offset the log has
made durable.
"""

from __future__ import annotations

import time
from collections import deque

from . import resp

_encode = resp.encode

# Client.close_after for the client that sent SHUTDOWN: it runs nothing more and its connection
# closes when the server exits (Server.shutdown closes every client last), as Redis's does
AT_EXIT = "at exit"


class Client:
    __slots__ = (
        "server", "transport", "id", "name", "proto", "db", "user", "authenticated", "out",
        "held", "closing", "addr", "laddr", "ctime", "last_interaction", "last_cmd", "required",
        "multi", "multi_error", "watched", "dirty_cas", "reply_mode", "pubsub_channels",
        "pubsub_patterns", "flags", "blocked", "paused_reads", "parser", "monitor", "lib_name",
        "in_exec", "tracking", "conn_type", "qbuf_peak", "reply_skip_next", "obl_soft_since",
        "killed_reason", "protocol", "close_after", "lane", "exec_queued",
        "exec_pushes", "own_pushes", "woff", "redirect_target",
    )

    def __init__(self, server, transport=None):
        self.server = server
        self.transport = transport
        self.id = server.next_client_id()
        self.name = b""
        self.proto = 2
        self.db = server.dbs[0]
        self.user = server.acl.default_user() if server.acl else None
        self.authenticated = not server.auth_required()
        self.out = bytearray()
        self.held = deque()
        self.closing = False
        self.addr = "127.0.0.1:0"
        self.laddr = "127.0.0.1:0"
        self.ctime = time.time()
        self.last_interaction = time.monotonic()
        self.last_cmd = b"NULL"
        self.required = 0
        self.multi = None         # list of queued (cmd, argv) while in MULTI
        self.multi_error = False
        self.watched = None       # dict (db, key) -> version, for WATCH
        self.dirty_cas = False
        self.reply_mode = 0       # CLIENT REPLY: 0 on, 1 off, 2 skip the next command, 3 skipping
        self.pubsub_channels = set()
        self.pubsub_patterns = set()
        self.flags = ""
        self.blocked = None
        self.paused_reads = False
        self.parser = None
        self.monitor = False
        self.lib_name = b""
        self.in_exec = False
        self.exec_queued = 0      # while EXEC runs (else 0): how many it runs (CLIENT LIST multi=)
        self.exec_pushes = None   # while EXEC runs: pub/sub messages to itself (pubsub.deliver)
        self.own_pushes = None    # while a RESP3 subscriber's command runs: its own pushes (notify.py)
        self.redirect_target = False  # some tracker has redirected to it (tracking.py): no fast lane
        self.tracking = None
        self.woff = 0             # replication offset after this client's last write (WAIT)
        self.conn_type = "normal"
        self.qbuf_peak = 0
        self.reply_skip_next = False
        self.obl_soft_since = 0.0
        self.killed_reason = None
        self.protocol = None
        # CLIENT_CLOSE_AFTER_REPLY: read and run nothing more; True: close once the replies are
        # out, AT_EXIT (the client that sent SHUTDOWN): close with everyone when the server exits
        self.close_after = False
        self.lane = False         # server.lane while this connection may take the fast lane

    # ---- replies ---------------------------------------------------------------------------
    def emit(self, reply, required: int = 0) -> None:
        """Queue ``reply`` (a Python value, see :mod:`resp`) behind durable offset ``required``."""
        if self.reply_mode:
            return
        held = self.held
        if held:
            seg = held[-1]
            if required > seg[0]:
                if seg[0] > self.server.log.handed:
                    # both offsets are in the log batch still forming: one record makes them
                    # durable together, so one segment serves (and one write releases) both
                    seg[0] = required
                else:
                    seg = [required, bytearray()]
                    held.append(seg)
            _encode(reply, self.proto, seg[1])
        elif required and required > self.server.log.durable:
            seg = [required, bytearray()]
            held.append(seg)
            self.server.waiting_clients.add(self)
            _encode(reply, self.proto, seg[1])
        else:
            _encode(reply, self.proto, self.out)

    def emit_raw(self, data: bytes, required: int = 0) -> None:
        self.emit(resp.Raw(data), required)

    def push(self, msg, required: int = 0) -> None:
        """An out-of-band message (pub/sub, invalidation): not affected by CLIENT REPLY."""
        mode = self.reply_mode
        self.reply_mode = 0
        self.emit(msg, required)
        self.reply_mode = mode
        self.flush()

    def flush(self) -> None:
        out = self.out
        if (out or self.held) and self.transport is not None and not self.closing:
            srv = self.server
            # a normal client with no limit (the default) has nothing to check; replies held
            # for durability count as output too (Redis checks the limit as each reply is
            # added): over the limit, the client goes without them
            if (not srv.obuf_normal_free or self.pubsub_channels or self.pubsub_patterns
                    or self.conn_type != "normal") and srv.check_output_limit(self):
                return  # closed for overcoming the output buffer limit
            if out:
                self.transport.write(out)
                self.out = bytearray()
                srv.stat_net_out += len(out)
                srv.stat_writes += 1

    def release(self, durable: int) -> bool:
        """Move held segments that are now durable to the wire; True when nothing is held."""
        held = self.held
        while held and held[0][0] <= durable:
            self.out += held.popleft()[1]
        self.flush()
        return not held

    def output_pending(self) -> int:
        n = len(self.out)
        for seg in self.held:
            n += len(seg[1])
        if self.transport is not None:
            try:
                n += self.transport.get_write_buffer_size()
            except Exception:
                pass
        return n

    def close(self, reason: str | None = None) -> None:
        if self.closing:
            return
        self.closing = True
        self.killed_reason = reason
        if self.transport is not None:
            self.transport.close()
            # gone from CLIENT LIST & co. now, not when TLS has finished closing (connection_lost
            # may come much later and is then a no-op)
            self.server.client_gone(self)

    def close_after_reply(self) -> None:
        """Write what is pending (including held replies, once durable) and then close."""
        if self.close_after is AT_EXIT:
            self.flush()
            return
        self.close_after = True
        self.flush()
        if self.held:
            self.closing_after_held()
            return
        self.close()

    def closing_after_held(self):
        self.server.close_when_released.add(self)
