"""Helpers for the black-box compatibility suite (see ``conftest.py`` for the overview).

Nothing here imports Perdure: the suite only ever talks to a server over the network.

* :class:`RawConnection` -- a plain (or TLS) socket speaking RESP by hand, for asserting the
  exact bytes a server puts on the wire.
* :func:`ex` -- run a command through a redis-py client *without* redis-py's response
  callbacks, so the assertion sees the reply as parsed off the wire.
* :func:`err` -- run a command that must fail and return the server's complete error line.
* :func:`resp_encode` -- encode a command as a RESP multibulk request.
* :func:`wait_for` -- poll a condition until it holds or a timeout passes.
"""

from __future__ import annotations

import socket
import ssl
import time
from typing import Any

import redis
from redis.connection import DefaultParser
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

try:  # private import paths; stable across redis-py 5..8
    from redis._parsers import _HiredisParser, _RESP2Parser, _RESP3Parser
except ImportError:  # pragma: no cover - only if redis-py reorganises its internals
    _HiredisParser = _RESP2Parser = _RESP3Parser = None


# --------------------------------------------------------------------------- exact errors


class _KeepServerMessage:
    """Parser mix-in: remember the complete error line on the exception redis-py builds.

    redis-py strips the error code from errors it knows (``ERR``, ``NOAUTH``, ``WRONGPASS``,
    ...) and keeps it on the others (``WRONGTYPE``, ``NOPROTO``, ...), so ``str(exc)`` cannot
    tell ``-ERR DB index is out of range`` from ``-DB index is out of range``.  This mix-in
    changes nothing in behaviour; it only sets ``exc.server_message`` to the line as the server
    sent it (without the leading ``-`` and the CRLF).
    """

    @classmethod
    def parse_error(cls, response):
        exc = super().parse_error(response)
        exc.server_message = response
        return exc


if _HiredisParser is not None:

    class ExactHiredisParser(_KeepServerMessage, _HiredisParser):
        pass

    class ExactRESP2Parser(_KeepServerMessage, _RESP2Parser):
        pass

    class ExactRESP3Parser(_KeepServerMessage, _RESP3Parser):
        pass


def parser_class_for(protocol: int):
    """The parser class harness clients use: redis-py's default one, keeping error lines.

    hiredis (when installed, as here) parses both RESP2 and RESP3.  The pure-Python parsers
    are per protocol, so pick the right one ourselves: redis-py only swaps ``_RESP2Parser``
    itself for ``_RESP3Parser``, not a subclass of it.
    """
    if _HiredisParser is None:  # pragma: no cover
        return DefaultParser
    if DefaultParser is _HiredisParser:
        return ExactHiredisParser
    return ExactRESP3Parser if protocol == 3 else ExactRESP2Parser


def _connection_of(client: redis.Redis):
    if client.connection is not None:  # single_connection_client=True (all harness clients)
        return client.connection, None
    pool = client.connection_pool
    return pool.get_connection(), pool


def ex(client: redis.Redis, *args: Any) -> Any:
    """Run one command on ``client`` and return the reply *as parsed*, without callbacks.

    redis-py's ``execute_command`` applies the per-command response callbacks even to a raw
    ``execute_command`` call: ``SET`` gives ``True``, ``PING x`` gives ``False`` (it compares
    with ``PONG``), ``SCAN`` gives a tuple with an ``int`` cursor, ``HGETALL`` gives a dict on
    RESP2 too, ... (see the conftest docstring).  ``ex`` bypasses all of that and
    returns exactly what the parser produced:

    * simple strings and bulk strings are both ``bytes`` (use ``raw`` to tell them apart),
    * integers are ``int``, RESP2 null bulk/array and RESP3 null are ``None``,
    * arrays are ``list``; RESP3 maps are ``dict``, RESP3 sets are ``list`` with hiredis (see
      the conftest docstring), RESP3 doubles are ``float``, booleans ``True``/``False``.

    An error reply raises redis-py's exception (with ``server_message`` set, see :func:`err`).
    """
    conn, pool = _connection_of(client)
    try:
        conn.send_command(*args)
        return conn.read_response()
    except (RedisConnectionError, OSError):
        conn.disconnect()
        raise
    finally:
        if pool is not None:
            pool.release(conn)


def err(client: redis.Redis, *args: Any) -> str:
    """Run a command that must fail; return the complete error line the server sent.

    ``err(r, "SELECT", "x") == "ERR value is not an integer or out of range"``.  Fails the
    test if the command succeeds.
    """
    try:
        reply = ex(client, *args)
    except ResponseError as exc:
        msg = getattr(exc, "server_message", None)
        if msg is None:
            raise AssertionError(
                "err() needs a client built by the harness (r, r2, make_client), whose parser "
                "keeps the server's error line"
            ) from exc
        return msg
    raise AssertionError(f"{args!r} did not fail; it replied {reply!r}")


# --------------------------------------------------------------------------- raw RESP


def resp_encode(*args: Any) -> bytes:
    """``resp_encode("SET", "k", 1) == b"*3\\r\\n$3\\r\\nSET\\r\\n$1\\r\\nk\\r\\n$1\\r\\n1\\r\\n"``."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int | float):
            a = repr(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class RawConnection:
    """One socket to the target, speaking RESP by hand.

    ``send(data)`` writes bytes as they are; ``recv_reply()`` reads exactly one RESP2/RESP3
    reply (an attribute ``|`` frame is returned together with the reply it decorates) and
    returns its bytes, unparsed; ``cmd(*args)`` = send one multibulk command + ``recv_reply()``;
    ``read_until_closed(timeout)`` returns whatever arrives until the server closes the
    connection and fails if it does not close in time.  ``recv_reply`` fails (rather than
    hangs) after ``timeout`` seconds without a complete reply.
    """

    def __init__(self, sock: socket.socket, timeout: float = 5.0):
        self.sock = sock
        self.timeout = timeout
        self.buf = b""
        self.closed_by_peer = False
        sock.settimeout(timeout)

    # -- low level
    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def _fill(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"timed out waiting for a reply; got so far: {self.buf!r}")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for a reply; got so far: {self.buf!r}") from None
        if not chunk:
            self.closed_by_peer = True
            raise AssertionError(f"connection closed by the server; got so far: {self.buf!r}")
        self.buf += chunk

    def _take_line(self, deadline: float, start: int) -> int:
        """Make sure a CRLF-terminated line starts at ``start``; return the index after it."""
        while True:
            i = self.buf.find(b"\r\n", start)
            if i >= 0:
                return i + 2
            self._fill(deadline)

    def _take(self, deadline: float, end: int) -> None:
        while len(self.buf) < end:
            self._fill(deadline)

    def _parse(self, deadline: float, pos: int) -> int:
        """Parse one reply starting at ``buf[pos]``; return the index just after it."""
        end = self._take_line(deadline, pos)
        kind = self.buf[pos : pos + 1]
        header = self.buf[pos + 1 : end - 2]
        if kind in (b"+", b"-", b":", b"_", b",", b"#", b"("):
            return end
        if kind in (b"$", b"!", b"="):
            n = int(header)
            if n < 0:
                return end
            self._take(deadline, end + n + 2)
            return end + n + 2
        if kind in (b"*", b"~", b">", b"%", b"|"):
            n = int(header)
            if n < 0:
                return end
            if kind in (b"%", b"|"):
                n *= 2
            for _ in range(n):
                end = self._parse(deadline, end)
            if kind == b"|":  # an attribute precedes the actual reply
                end = self._parse(deadline, end)
            return end
        raise AssertionError(f"not a RESP reply: {self.buf[pos:]!r}")

    # -- public API
    def recv_reply(self, timeout: float | None = None) -> bytes:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        end = self._parse(deadline, 0)
        reply, self.buf = self.buf[:end], self.buf[end:]
        return reply

    def recv_replies(self, n: int, timeout: float | None = None) -> list[bytes]:
        return [self.recv_reply(timeout) for _ in range(n)]

    def cmd(self, *args: Any) -> bytes:
        self.send(resp_encode(*args))
        return self.recv_reply()

    def read_until_closed(self, timeout: float = 5.0) -> bytes:
        """Everything received until the server closes; fails if it stays open ``timeout`` s."""
        deadline = time.monotonic() + timeout
        data, self.buf = self.buf, b""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"server did not close the connection; received {data!r}")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                continue
            except (ConnectionResetError, BrokenPipeError, ssl.SSLEOFError, ssl.SSLZeroReturnError):
                chunk = b""
            if not chunk:
                self.closed_by_peer = True
                return data
            data += chunk

    def assert_silent(self, wait: float = 0.2) -> None:
        """Fail if any byte arrives within ``wait`` seconds (e.g. after ``*0\\r\\n``)."""
        if self.buf:
            raise AssertionError(f"unexpected data: {self.buf!r}")
        self.sock.settimeout(wait)
        try:
            chunk = self.sock.recv(65536)
        except (TimeoutError, ssl.SSLWantReadError):
            return
        finally:
            self.sock.settimeout(self.timeout)
        raise AssertionError(f"unexpected data: {chunk!r}")

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


# ---- recording which commands each test sends (for the coverage report) ---------------------
class CommandRecorder:
    """Collects the command names a test sends, through redis-py or :class:`RawConnection`.

    ``perdure compat-report`` combines these per-test sets with the outcomes on each target
    into per-command and per-family counts."""

    current: set | None = None

    @classmethod
    def note(cls, first) -> None:
        s = cls.current
        if s is None or first is None:
            return
        if isinstance(first, str):
            first = first.encode()
        if isinstance(first, (bytes, bytearray)):
            name = bytes(first).split(b" ", 1)[0].lower().decode("latin-1")
            if name:
                s.add(name)

    @classmethod
    def install(cls) -> None:
        import redis.connection as rc

        orig = rc.AbstractConnection.send_command
        if getattr(orig, "_recording", False):
            return

        def send_command(self, *args, **kwargs):
            if args:
                cls.note(args[0])
            return orig(self, *args, **kwargs)

        send_command._recording = True
        rc.AbstractConnection.send_command = send_command
        orig_many = rc.AbstractConnection.pack_commands

        def pack_commands(self, commands):
            for cmd in commands:
                if cmd:
                    cls.note(cmd[0])
            return orig_many(self, commands)

        rc.AbstractConnection.pack_commands = pack_commands

        orig_send = RawConnection.send

        def send(self, data):
            if data[:1] == b"*":
                parts = data.split(b"\r\n", 3)
                if len(parts) > 2:
                    cls.note(parts[2])
            elif data:
                cls.note(data.split(b"\r\n", 1)[0].strip().split(b" ", 1)[0])
            return orig_send(self, data)

        RawConnection.send = send


def wait_for(pred, timeout: float = 5.0) -> bool:
    """Poll ``pred()`` every 20 ms until it is true or ``timeout`` seconds passed; its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


def early_in_second() -> None:
    """Sleep until 0.2 s past a wall-clock second.  The access clock OBJECT IDLETIME reads is
    whole seconds, refreshed by the server's cron (every 100 ms at hz 10, Redis and Perdure
    alike), so "touched, then IDLETIME is 0" only holds if no second boundary falls between the
    two commands; starting early in a second leaves 0.8 s for them."""
    frac = time.time() % 1.0
    time.sleep((1.2 - frac) if frac > 0.2 else (0.2 - frac))


def key_contents(client: redis.Redis, key) -> tuple:
    """(TYPE, the whole value) of ``key``, in an order-free form where Redis's own order is not
    defined (set members, hash pairs sorted)."""
    t = ex(client, "TYPE", key)
    if t == b"string":
        return t, ex(client, "GET", key)
    if t == b"list":
        return t, ex(client, "LRANGE", key, 0, -1)
    if t == b"set":
        return t, sorted(ex(client, "SMEMBERS", key))
    if t == b"zset":
        return t, ex(client, "ZRANGE", key, 0, -1, "WITHSCORES")
    if t == b"hash":
        h = ex(client, "HGETALL", key)
        return t, sorted(h.items() if isinstance(h, dict) else zip(h[::2], h[1::2]))
    if t == b"stream":
        return t, ex(client, "XRANGE", key, "-", "+")
    return t, None
