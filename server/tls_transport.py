"""TLS connections driven straight from the event loop: a non-blocking ``ssl.SSLSocket`` per
client, read and written in the loop's reader/writer callbacks.

Why not ``loop.create_server(ssl=...)``: uvloop's (and asyncio's) TLS transport runs OpenSSL
on memory BIOs - every read is a socket read into a buffer, a copy into the incoming BIO, then
``SSLObject.read`` calls until it raises ``SSLWantReadError``; every write is ``SSLObject.write``
plus a copy out of the outgoing BIO into a socket write.  Here OpenSSL reads and writes the
socket itself: one ``recv`` (``SSL_read``) per readable event and one ``send`` (``SSL_write``)
per reply batch.  On this project's benchmark machine that is 20% less server CPU per request
at pipeline 1 for a minimal GET/SET server (13.4 against 16.8 µs), 4% at pipeline 16
(README, Performance).

:class:`TLSTransport` implements the part of ``asyncio.Transport`` the server uses, with the
same contract as the stdlib's: ``connection_made`` once the handshake is done, ``data_received``
per read, ``pause_writing``/``resume_writing`` around a write buffer over 64 KiB (back under
16 KiB), ``connection_lost`` exactly once, from the loop, after the socket is closed.

OpenSSL's rule for a write it could not finish (``SSL_ERROR_WANT_WRITE``): it must be retried
with the same bytes.  So a write that blocks keeps its chunk in ``_inflight`` and only that
chunk is retried when the socket is writable; later writes queue behind it in ``_wbuf``.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import ssl

log = logging.getLogger("perdure")

HANDSHAKE_TIMEOUT = 60.0  # seconds a client may take to finish the TLS handshake (asyncio's)
_READ_SIZE = 256 * 1024
_WRITE_CHUNK = 256 * 1024  # at most this much per SSL_write (a retry must repeat it)
_HIGH_WATER = 64 * 1024  # asyncio's defaults for pause_writing / resume_writing
_LOW_WATER = 16 * 1024
_ACCEPT_BATCH = 128  # connections accepted per readable event of a listening socket
_ACCEPT_ERRNOS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)

_SOL_SOCKET, _SO_ERROR = socket.SOL_SOCKET, socket.SO_ERROR
_WantRead = ssl.SSLWantReadError
_WantWrite = ssl.SSLWantWriteError


def _close_quietly(sock) -> None:
    try:
        sock.close()
    except OSError:
        pass


class TLSTransport:
    """One client connection (see the module docstring)."""

    __slots__ = ("_loop", "_sock", "_fd", "_protocol", "_extra", "_closing", "_closed",
                 "_reading", "_read_paused", "_writing", "_inflight", "_wbuf",
                 "_write_paused", "_timer", "_handshaking")

    def __init__(self, loop, sock: ssl.SSLSocket, protocol, addr):
        self._loop = loop
        self._sock = sock
        self._fd = sock.fileno()
        self._protocol = protocol
        try:
            sockname = sock.getsockname()
        except OSError:
            sockname = None
        self._extra = {"peername": addr, "sockname": sockname, "socket": sock,
                       "ssl_object": sock}
        self._closing = False  # close() or abort() called, or the connection failed
        self._closed = False  # the socket is closed and connection_lost scheduled
        self._reading = False  # a reader callback is registered
        self._read_paused = False  # pause_reading()
        self._writing = False  # a writer callback is registered
        self._inflight = None  # the chunk an SSL_write could not finish (retried as is)
        self._wbuf = bytearray()  # what waits behind it
        self._write_paused = False  # protocol.pause_writing() called, resume not yet
        self._handshaking = True
        self._timer = loop.call_later(HANDSHAKE_TIMEOUT, self._handshake_timeout)
        # one reader callback for the connection's life: it runs the handshake, then reads
        self._reading = True
        loop.add_reader(self._fd, self._on_readable)
        self._handshake()

    # -- handshake ------------------------------------------------------------------------
    def _handshake(self) -> None:
        try:
            self._sock.do_handshake()
        except _WantRead:
            self._stop_writing()
            if self._sock.getsockopt(_SOL_SOCKET, _SO_ERROR):  # a reset: see _on_readable
                self._drop()
            return
        except _WantWrite:
            self._want_write()
            return
        except (OSError, ValueError):  # not TLS, a bad certificate, a reset: just drop it
            self._drop()
            return
        self._stop_writing()
        self._handshaking = False
        self._timer.cancel()
        self._timer = None
        try:
            self._extra["peercert"] = self._sock.getpeercert()
            self._extra["cipher"] = self._sock.cipher()
        except (OSError, ValueError):
            pass
        self._protocol.connection_made(self)
        if not self._closing and not self._read_paused:
            self._on_readable()  # data (or a reset) may have come with the last flight

    def _handshake_timeout(self) -> None:
        self._timer = None
        if self._handshaking:
            self._drop()

    def _drop(self) -> None:
        """A connection that never completed its handshake: no protocol callbacks at all."""
        self._closing = self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._release()

    # -- reading ----------------------------------------------------------------------------
    def _start_reading(self) -> None:
        if not self._reading:
            self._reading = True
            self._loop.add_reader(self._fd, self._on_readable)

    def _stop_reading(self) -> None:
        if self._reading:
            self._reading = False
            self._loop.remove_reader(self._fd)

    def _stop_writing(self) -> None:
        if self._writing:
            self._writing = False
            self._loop.remove_writer(self._fd)

    def _release(self) -> None:
        """No more callbacks; the socket closed. ``_inflight`` and ``_wbuf`` stay (never sent)
        until the transport is dropped: what a client killed for its output buffer had queued
        is its omem in CLIENT LIST until the server forgets it, as in Redis until it frees the
        client."""
        self._stop_reading()
        self._stop_writing()
        _close_quietly(self._sock)

    def _on_readable(self) -> None:
        if self._handshaking:
            self._handshake()
            return
        sock = self._sock
        protocol = self._protocol
        while True:
            try:
                data = sock.recv(_READ_SIZE)
            except _WantRead:
                break
            except _WantWrite:  # OpenSSL must write before it can read on (rare): later
                break
            except (OSError, ValueError) as exc:
                self._fatal(exc)
                return
            if not data:  # close_notify or the peer's FIN
                self._fatal(None)
                return
            protocol.data_received(data)
            if self._closing:
                return
            if self._read_paused or not sock.pending():
                break
        # A socket error (EPOLLERR: the peer reset the connection) runs this callback once and
        # then libuv stops watching the descriptor for good (uv__poll_io), even when this read
        # found data first: a pending error must end the connection here, or nothing would
        # ever read from it again (tests/test_tls_transport.py). SO_ERROR is set exactly
        # while the socket polls EPOLLERR.
        err = sock.getsockopt(_SOL_SOCKET, _SO_ERROR)
        if err:
            self._fatal(OSError(err, os.strerror(err)))

    def pause_reading(self) -> None:
        if not self._closing and not self._read_paused:
            self._read_paused = True
            self._stop_reading()

    def resume_reading(self) -> None:
        if self._closing or not self._read_paused:
            return
        self._read_paused = False
        self._start_reading()
        if not self._handshaking and self._sock.pending():
            # decrypted bytes OpenSSL held while we were paused
            self._loop.call_soon(self._resume_pending)

    def _resume_pending(self) -> None:
        if not self._closing and not self._read_paused and self._sock.pending():
            self._on_readable()

    def is_reading(self) -> bool:
        return self._reading

    # -- writing ----------------------------------------------------------------------------
    def write(self, data) -> None:
        if self._closing:
            return
        if self._inflight is not None:  # blocked: queue behind the chunk being retried
            self._wbuf += data
            self._maybe_pause()
            return
        n = len(data)
        if n > _WRITE_CHUNK:
            self._wbuf += data
            self._send_pending()
            return
        try:
            self._sock.send(data)
        except _WantWrite:
            self._inflight = bytes(data)
            self._want_write()
            self._maybe_pause()
        except _WantRead:  # renegotiation-style condition: retry on writability too
            self._inflight = bytes(data)
            self._want_write()
            self._maybe_pause()
        except (OSError, ValueError) as exc:
            self._fatal(exc)

    def writelines(self, chunks) -> None:
        self.write(b"".join(chunks))

    def _send_pending(self) -> None:
        """Send ``_inflight`` then ``_wbuf`` chunk by chunk until the socket would block."""
        sock = self._sock
        while True:
            chunk = self._inflight
            if chunk is None:
                wbuf = self._wbuf
                if not wbuf:
                    break
                chunk = bytes(wbuf[:_WRITE_CHUNK])
                del wbuf[:_WRITE_CHUNK]
                self._inflight = chunk
            try:
                sock.send(chunk)
            except (_WantWrite, _WantRead):
                self._want_write()
                return
            except (OSError, ValueError) as exc:
                self._fatal(exc)
                return
            self._inflight = None
        # all sent
        self._stop_writing()
        if self._write_paused and not self._closing:
            self._write_paused = False
            self._protocol.resume_writing()
        if self._closing and not self._closed:
            self._finish_close()

    def _on_writable(self) -> None:
        if self._handshaking:
            self._handshake()
            return
        self._send_pending()
        if (self._write_paused and not self._closing
                and self.get_write_buffer_size() <= _LOW_WATER):
            self._write_paused = False
            self._protocol.resume_writing()

    def _want_write(self) -> None:
        if not self._writing:
            self._writing = True
            self._loop.add_writer(self._fd, self._on_writable)

    def _maybe_pause(self) -> None:
        if not self._write_paused and self.get_write_buffer_size() > _HIGH_WATER:
            self._write_paused = True
            self._protocol.pause_writing()

    def get_write_buffer_size(self) -> int:
        n = len(self._wbuf)
        if self._inflight is not None:
            n += len(self._inflight)
        return n

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return _LOW_WATER, _HIGH_WATER

    def can_write_eof(self) -> bool:
        return False

    # -- closing ----------------------------------------------------------------------------
    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        """Stop reading; send what is buffered, then close_notify, then close the socket."""
        if self._closing:
            return
        self._closing = True
        self._stop_reading()
        if self._handshaking:
            self._drop()
            self._loop.call_soon(self._protocol.connection_lost, None)
            return
        if self._inflight is None and not self._wbuf:
            self._finish_close()
        # else: _send_pending closes once the buffer is out (or _fatal on an error)

    def _finish_close(self) -> None:
        try:
            self._sock.unwrap()  # sends close_notify; the peer's is not waited for
        except (OSError, ValueError):
            pass
        self._close_now(None)

    def abort(self) -> None:
        """Close at once; whatever is buffered is dropped."""
        if self._closed:
            return
        self._closing = True
        if self._handshaking:
            self._drop()
            self._loop.call_soon(self._protocol.connection_lost, None)
            return
        self._close_now(None)

    def _fatal(self, exc) -> None:
        if self._closed:
            return
        self._closing = True
        self._close_now(exc)

    def _close_now(self, exc) -> None:
        if self._closed:
            return
        self._closed = True
        self._release()
        self._loop.call_soon(self._protocol.connection_lost, exc)

    # -- introspection ----------------------------------------------------------------------
    def get_extra_info(self, name, default=None):
        return self._extra.get(name, default)

    def get_protocol(self):
        return self._protocol

    def set_protocol(self, protocol) -> None:
        self._protocol = protocol


class TLSServer:
    """Listening sockets whose connections become :class:`TLSTransport` s (the part of
    ``asyncio.Server`` the server uses: ``sockets``, ``close``, ``is_serving``)."""

    def __init__(self, loop, socks, ctx: ssl.SSLContext, protocol_factory):
        self._loop = loop
        self._ctx = ctx
        self._factory = protocol_factory
        self.sockets = list(socks)
        self._serving = True
        for s in self.sockets:
            s.setblocking(False)
            loop.add_reader(s.fileno(), self._accept, s)

    def _accept(self, lsock) -> None:
        loop = self._loop
        for _ in range(_ACCEPT_BATCH):
            try:
                conn, addr = lsock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            except OSError as e:
                if e.errno in _ACCEPT_ERRNOS:
                    # out of descriptors or memory: stop accepting for a second (as asyncio)
                    log.warning("Error accepting a client connection: %s", e)
                    loop.remove_reader(lsock.fileno())
                    loop.call_later(1.0, self._resume_accepting, lsock)
                    return
                raise
            try:
                conn.setblocking(False)
                if conn.family in (socket.AF_INET, socket.AF_INET6):
                    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock = self._ctx.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
            except (OSError, ValueError):
                conn.close()
                continue
            TLSTransport(loop, sock, self._factory(), addr)

    def _resume_accepting(self, lsock) -> None:
        if self._serving and lsock.fileno() >= 0:
            self._loop.add_reader(lsock.fileno(), self._accept, lsock)

    def is_serving(self) -> bool:
        return self._serving

    def close(self) -> None:
        if not self._serving:
            return
        self._serving = False
        for s in self.sockets:
            if s.fileno() >= 0:
                self._loop.remove_reader(s.fileno())
                _close_quietly(s)

    async def wait_closed(self) -> None:
        return None


def listen(hosts, port: int, backlog: int) -> list[socket.socket]:
    """Bound, listening sockets for ``hosts`` on ``port``, as ``loop.create_server(hosts, port,
    reuse_address=True)`` makes them: every address each host resolves to (IPv6 ones
    V6ONLY).  OSError after closing what it opened."""
    socks = []
    try:
        for host in hosts or [None]:
            for fam, typ, proto, _, sa in socket.getaddrinfo(host, port, socket.AF_UNSPEC,
                                                             socket.SOCK_STREAM, 0,
                                                             socket.AI_PASSIVE):
                s = socket.socket(fam, typ, proto)
                socks.append(s)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if fam == socket.AF_INET6 and hasattr(socket, "IPPROTO_IPV6"):
                    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                s.bind(sa)
                s.listen(backlog)
                s.setblocking(False)
    except OSError:
        for s in socks:
            s.close()
        raise
    return socks
