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
from .resp import encode_error

_process = dispatch.process


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
            transport.write(b"-ERR max number of clients reached\r\n")
            transport.close()
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
        if c is None or c.closing:
            return
        c.last_interaction = time.monotonic()
        if self.pending is not None:
            # blocked (BLPOP...) or paused: keep bytes until the client runs again
            self.pending.append(data)
            if sum(map(len, self.pending.chunks)) > self.server.config["client-query-buffer-limit"]:
                c.close("qbuf")
            return
        try:
            reqs = c.parser.feed(data, c.authenticated)
        except ProtocolError as e:
            self.run(e.requests)
            self.protocol_error(str(e))
            return
        if c.parser.raw and len(c.parser.raw) > self.server.config["client-query-buffer-limit"]:
            c.close("qbuf")
            return
        self.run(reqs)

    def run(self, reqs):
        c = self.client
        srv = self.server
        i = 0
        n = len(reqs)
        while i < n:
            argv = reqs[i]
            i += 1
            try:
                _process(c, argv)
            except Exception as e:  # a bug must never take the server down
                srv.internal_error(c, argv, e)
            if c.closing:
                break
            if c.blocked is not None or srv.clients_paused(c):
                self.pending = _ReqQueue(reqs[i:])
                break
        if srv.ready_keys:
            srv.serve_ready_keys()
        c.flush()

    def resume(self):
        """Run the requests that arrived while the client was blocked."""
        q = self.pending
        self.pending = None
        if q is None or self.client.closing:
            return
        reqs = list(q.reqs)
        for chunk in q.chunks:
            try:
                reqs.extend(self.client.parser.feed(chunk, self.client.authenticated))
            except ProtocolError as e:
                reqs.extend(e.requests)
                self.run(reqs)
                self.protocol_error(str(e))
                return
        self.run(reqs)

    def protocol_error(self, msg):
        c = self.client
        self.server.stat_protocol_errors += 1
        c.out += encode_error("ERR Protocol error: " + msg)
        c.flush()
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


class _ReqQueue:
    """Requests parsed but not run yet (client blocked), plus raw bytes received since."""

    __slots__ = ("reqs", "chunks")

    def __init__(self, reqs):
        self.reqs = reqs
        self.chunks = []

    def append(self, data):
        self.chunks.append(data)

    def __iter__(self):
        return iter(self.chunks)

