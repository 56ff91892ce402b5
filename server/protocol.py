"""The asyncio Protocol: bytes in, argv lists to the dispatcher, reply bytes out once per read.

Flow control: when a client's pending output passes its limit it is disconnected (as Redis's
client-output-buffer-limit); when the transport's write buffer is full we stop reading from that
client until it drains (``pause_writing``/``resume_writing``), so a slow reader only ever holds
its own bounded buffers.  A client blocked in BLPOP & co. keeps its unprocessed requests in
``pending`` and resumes them when it is served.
"""

from __future__ import annotations

import asyncio
import time

from . import dispatch
from .parser import ProtocolError, RequestParser
from .resp import Raw

_process = dispatch.process
_PAUSED = dispatch.PAUSED
# Flow control (invisible to clients): past this much unsent output in one batch, hand it to the
# transport; if the peer is not reading, stop running its requests until its buffer drains.
_OUT_CHUNK = 256 * 1024
# A parked client (blocked, paused) keeps what it sends; past this, stop reading from it.
_PENDING_READ_PAUSE = 4 * 1024 * 1024


class RedisProtocol(asyncio.Protocol):
    __slots__ = ("server", "client", "parser", "transport", "pending", "paused")

    def __init__(self, server):
        self.server = server
        self.client = None
        self.transport = None
        self.pending = None
        self.paused = False

    def connection_made(self, transport):
        srv = self.server
        self.transport = transport
        if len(srv.clients) >= srv.config["maxclients"]:
            # Redis 6.2 refuses before the TLS handshake: nothing can be written, the
            # connection just drops (its "-ERR max number of clients reached" is plain TCP's)
            transport.abort()
            srv.stat_rejected_conn += 1
            return
        c = srv.client_class(srv, transport)
        peer = transport.get_extra_info("peername")
        sock = transport.get_extra_info("sockname")
        if peer:
            c.addr = "%s:%s" % (peer[0], peer[1])
        if sock:
            c.laddr = "%s:%s" % (sock[0], sock[1])
        c.parser = RequestParser(srv.config["proto-max-bulk-len"])
        c.protocol = self
        self.client = c
        srv.clients[c.id] = c
        srv.stat_connections += 1

    def data_received(self, data):
        c = self.client
        if c is None or c.closing or c.close_after:
            return
        c.last_interaction = time.monotonic()
        srv = self.server
        srv.stat_net_in += len(data)
        srv.stat_reads += 1
        q = self.pending
        if q is not None:
            # blocked (BLPOP...), paused or not reading: keep bytes until the client runs again
            q.append(data)
            if q.size > srv.config["client-query-buffer-limit"]:
                c.close("qbuf")
            elif q.size > _PENDING_READ_PAUSE:
                self.transport.pause_reading()
            return
        self._consume(data)

    def _consume(self, data) -> bool:
        """Parse ``data`` and run the requests it completes.  Before AUTH the parser hands out
        one request at a time (its limits depend on being authenticated, as in Redis, where
        each request is parsed after the previous one ran).  False if the client is done."""
        c = self.client
        parser = c.parser
        # Redis's query buffer while this read's requests run: what was left unparsed plus the
        # bytes read (trimmed only once they all ran) -- CLIENT LIST's qbuf for the running client
        c.qbuf_peak = len(parser.raw) + len(data)
        while True:
            # authRequired(c): the unauthenticated limits stop when AUTH succeeds or when the
            # default user no longer needs a password
            auth = c.authenticated or not self.server.auth_required()
            try:
                reqs = parser.feed(data, auth)
            except ProtocolError as e:
                if parser.peak > self.server.config["client-query-buffer-limit"]:
                    c.close("qbuf")
                    return False
                self.run(e.requests)
                self.protocol_error(str(e))
                return False
            if parser.peak and parser.peak > self.server.config["client-query-buffer-limit"]:
                # Redis closes, with no reply and running nothing of that read, a client whose
                # query buffer passes the limit
                c.close("qbuf")
                return False
            self.run(reqs)
            if c.closing or c.close_after:
                return False
            if auth or not reqs or not parser.raw or self.pending is not None:
                return True
            data = b""

    def run(self, reqs):
        c = self.client
        srv = self.server
        n = len(reqs)
        for i, argv in enumerate(reqs, 1):  # i: how many have run, this one included
            try:
                r = _process(c, argv)
            except Exception as e:  # a bug must never take the server down
                srv.internal_error(c, argv, e)
                r = None
            if r is _PAUSED:  # held back by CLIENT PAUSE: run it again when the pause ends
                self.pending = _ReqQueue(reqs[i - 1:])
                break
            if c.reply_mode > 1:  # CLIENT REPLY SKIP: 2 = skip the next command, 3 = skipping
                c.reply_mode = 3 if c.reply_mode == 2 else 0
            if c.closing or c.close_after:
                break
            if c.blocked is not None:
                self.pending = _ReqQueue(reqs[i:])
                break
            if len(c.out) > _OUT_CHUNK:
                c.flush()
                if self.paused and i < n:
                    self.pending = _ReqQueue(reqs[i:])
                    break
        if srv.ready_keys:
            srv.serve_ready_keys()
        c.flush()
        if c.close_after and not c.closing:  # CLIENT KILL of itself, QUIT...: reply, then close
            c.close_after_reply()

    def resume(self):
        """Run the requests that arrived while the client was blocked, paused or not reading."""
        q = self.pending
        c = self.client
        if q is None or c.closing or c.close_after:
            return
        if c.blocked is not None or self.paused or self.server.pause.is_paused(c):
            return  # still parked: whatever ends that calls resume again
        self.pending = None
        if q.size > _PENDING_READ_PAUSE and not self.transport.is_closing():
            self.transport.resume_reading()
        self.run(q.reqs)
        chunks = q.chunks
        for k, chunk in enumerate(chunks):
            if c.closing or c.close_after:
                return
            if self.pending is not None:  # parked again: keep the rest, in order
                for rest in chunks[k:]:
                    self.pending.append(rest)
                return
            if not self._consume(chunk):
                return

    def protocol_error(self, msg):
        c = self.client
        self.server.stat_protocol_errors += 1
        # latin-1: "expected '$', got '%c'" carries the offending byte as it was received;
        # emit: after the replies still held for durability, and not with CLIENT REPLY OFF
        c.emit(Raw(b"-ERR Protocol error: " + msg.encode("latin-1", "replace")
                   .replace(b"\r", b" ").replace(b"\n", b" ") + b"\r\n"))
        c.close_after_reply()

    def connection_lost(self, exc):
        c = self.client
        if c is not None:
            self.server.client_gone(c)

    def pause_writing(self):
        self.paused = True
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self):
        self.paused = False
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()
            if self.pending is not None:
                self.resume()


class _ReqQueue:
    """Requests parsed but not run yet (client blocked), plus raw bytes received since."""

    __slots__ = ("reqs", "chunks", "size")

    def __init__(self, reqs):
        self.reqs = reqs
        self.chunks = []
        self.size = 0

    def append(self, data):
        self.chunks.append(data)
        self.size += len(data)

    def __iter__(self):
        return iter(self.chunks)

