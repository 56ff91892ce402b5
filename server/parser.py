"""Request parsing: hiredis as the fast path, a pure-Python parser as the specification.

Redis accepts two request forms: RESP multibulk (``*N\\r\\n$len\\r\\narg\\r\\n...``) and inline
commands (``SET a "b c"\\n``).  hiredis parses multibulk frames in C, but it is a *reply*
parser: it accepts things Redis refuses (``:1`` elements, nested arrays), knows nothing of
``proto-max-bulk-len`` or the unauthenticated limits, and cannot parse inline commands.  So:

* :class:`RequestParser` feeds hiredis and keeps the raw bytes received since the last frame
  boundary (``raw``).  In the normal case — whole frames, nothing pending — that buffer is
  cleared after each read and costs one append.
* When hiredis errors, returns a frame Redis would refuse, sees a frame that does not start
  with ``*`` (an inline command), or is left with a partial frame, the same bytes are handed to
  :func:`parse_pure`, a parser that follows Redis's ``processMultibulkBuffer`` /
  ``processInlineBuffer`` exactly, including their error texts.
"""

from __future__ import annotations

import hiredis

MAX_MULTIBULK = 1024 * 1024
INLINE_MAX = 64 * 1024
UNAUTH_MULTIBULK = 10
UNAUTH_BULK = 16384


class ProtocolError(Exception):
    """A malformed request: Redis replies ``-ERR Protocol error: <msg>`` and closes."""


class Incomplete(Exception):
    pass


def split_inline(line: bytes):
    """sdssplitargs: split an inline command, honouring quotes and escapes."""
    args = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in b" \t\n\r\v\f\x00"[:6]:
            i += 1
        if i >= n:
            return args
        cur = bytearray()
        inq = insq = False
        while True:
            if inq:
                if i >= n:
                    return None
                c = line[i]
                if (c == 0x5C and i + 3 < n and line[i + 1] == 0x78
                        and _ishex(line[i + 2]) and _ishex(line[i + 3])):
                    cur.append(int(line[i + 2:i + 4], 16))
                    i += 3
                elif c == 0x5C and i + 1 < n:
                    i += 1
                    cur.append({0x6E: 10, 0x72: 13, 0x74: 9, 0x62: 8, 0x61: 7}.get(line[i], line[i]))
                elif c == 0x22:
                    if i + 1 < n and line[i + 1] not in b" \t\n\r\v\f":
                        return None
                    inq = False
                    i += 1
                    break
                else:
                    cur.append(c)
            elif insq:
                if i >= n:
                    return None
                c = line[i]
                if c == 0x5C and i + 1 < n and line[i + 1] == 0x27:
                    i += 1
                    cur.append(0x27)
                elif c == 0x27:
                    if i + 1 < n and line[i + 1] not in b" \t\n\r\v\f":
                        return None
                    insq = False
                    i += 1
                    break
                else:
                    cur.append(c)
            else:
                if i >= n:
                    break
                c = line[i]
                if c in b" \n\r\t\x00":
                    break
                if c == 0x22:
                    inq = True
                elif c == 0x27:
                    insq = True
                else:
                    cur.append(c)
            i += 1
        args.append(bytes(cur))


def _ishex(c):
    return c in b"0123456789abcdefABCDEF"


def parse_pure(buf, pos: int, max_bulk: int, authenticated: bool):
    """Parse one request from ``buf[pos:]``.

    Returns ``(argv, newpos)``; ``argv`` may be ``[]`` for an empty line or ``*0``.  Raises
    :class:`Incomplete` when more bytes are needed and :class:`ProtocolError` with Redis's text.
    Headers are validated as soon as they are complete, so a huge declared length is refused
    before its payload arrives, as Redis does.
    """
    n = len(buf)
    if pos >= n:
        raise Incomplete
    if buf[pos] != 0x2A:  # inline
        nl = buf.find(b"\n", pos)
        if nl < 0:
            if n - pos > INLINE_MAX:
                raise ProtocolError("too big inline request")
            raise Incomplete
        line = bytes(buf[pos:nl])
        if line.endswith(b"\r"):
            line = line[:-1]
        argv = split_inline(line)
        if argv is None:
            raise ProtocolError("unbalanced quotes in request")
        return argv, nl + 1
    nl = buf.find(b"\r\n", pos)
    if nl < 0:
        if n - pos > INLINE_MAX:
            raise ProtocolError("too big mbulk count string")
        raise Incomplete
    try:
        count = int(buf[pos + 1:nl])
    except ValueError:
        raise ProtocolError("invalid multibulk length") from None
    if count > MAX_MULTIBULK:
        raise ProtocolError("invalid multibulk length")
    if not authenticated and count > UNAUTH_MULTIBULK:
        raise ProtocolError("unauthenticated multibulk length")
    p = nl + 2
    if count <= 0:
        return [], p
    argv = []
    for _ in range(count):
        if p >= n:
            raise Incomplete
        if buf[p] != 0x24:
            raise ProtocolError("expected '$', got '%s'" % chr(buf[p]))
        nl = buf.find(b"\r\n", p)
        if nl < 0:
            if n - p > INLINE_MAX:
                raise ProtocolError("too big bulk count string")
            raise Incomplete
        try:
            ln = int(buf[p + 1:nl])
        except ValueError:
            raise ProtocolError("invalid bulk length") from None
        if ln < 0 or ln > max_bulk:
            raise ProtocolError("invalid bulk length")
        if not authenticated and ln > UNAUTH_BULK:
            raise ProtocolError("unauthenticated bulk length")
        p = nl + 2
        if p + ln + 2 > n:
            raise Incomplete
        argv.append(bytes(buf[p:p + ln]))
        p += ln + 2
    return argv, p


class RequestParser:
    """Turns received bytes into argv lists (see the module docstring).

    hiredis keeps its own state across reads, so in hiredis mode every byte goes to hiredis.
    ``raw`` holds the bytes since the last point known to be a frame boundary (a read that
    ended exactly where the last returned frame ended); it is what the pure parser re-reads to
    validate a partial frame's headers or to produce Redis's exact error text.
    """

    __slots__ = ("reader", "raw", "delivered", "pure", "max_bulk", "tracking", "partial")

    VALIDATE_LIMIT = 1024 * 1024

    def __init__(self, max_bulk: int = 512 * 1024 * 1024):
        self.reader = hiredis.Reader()
        self.raw = bytearray()
        self.delivered = 0      # frames hiredis returned out of ``raw``
        self.pure = False       # True while the pure parser owns the stream
        self.tracking = True    # False once a huge partial frame stopped being copied into raw
        self.partial = False    # hiredis holds part of a frame
        self.max_bulk = max_bulk

    def feed(self, data: bytes, authenticated: bool = True) -> list:
        """Return the complete requests in ``data`` (plus what was buffered).

        On a protocol error, raises :class:`ProtocolError` whose ``requests`` attribute holds
        the requests that preceded the bad one (they are executed before the error is sent).
        """
        if self.pure or not authenticated:
            return self._pure_feed(data, authenticated)
        if not self.partial and data[:1] != b"*":
            return self._pure_feed(data, authenticated)
        reader = self.reader
        reader.feed(data)
        out = []
        last = None
        try:
            while True:
                req = reader.gets()
                if req is False:
                    break
                last = req
                if type(req) is list:
                    if not _all_bytes(req):
                        return self._fallback(data, out)
                    out.append(req)
                elif req is not None:
                    return self._fallback(data, out)
        except hiredis.ProtocolError:
            return self._fallback(data, out)
        if last is not None and _ends_frame(data, last):
            if self.partial:
                self.raw = bytearray()
                self.delivered = 0
                self.tracking = True
                self.partial = False
            return out
        self.partial = True
        # a partial frame is pending inside hiredis
        if self.tracking:
            self.raw += data
            self.delivered += len(out) if last is None else _count_frames(out, last)
            if len(self.raw) <= self.VALIDATE_LIMIT:
                self._validate_partial(out)
            else:
                self.tracking = False
                self.raw = bytearray()
        return out

    def _validate_partial(self, out):
        pos = 0
        buf = self.raw
        try:
            for _ in range(self.delivered):
                _, pos = parse_pure(buf, pos, self.max_bulk, True)
            parse_pure(buf, pos, self.max_bulk, True)
        except Incomplete:
            return
        except ProtocolError as e:
            e.requests = out
            raise

    def _fallback(self, data, done):
        """Re-parse from the last boundary with the pure parser (skipping delivered frames)."""
        self.reader = hiredis.Reader()
        self.pure = True
        self.partial = False
        if self.tracking:
            buf = bytes(self.raw) + data
            skip = self.delivered + len(done)
        else:
            buf = data
            skip = len(done)
        pos = 0
        try:
            for _ in range(skip):
                _, pos = parse_pure(buf, pos, self.max_bulk, True)
        except (Incomplete, ProtocolError):
            e = ProtocolError("invalid bulk length")
            e.requests = done
            raise e from None
        self.raw = bytearray(memoryview(buf)[pos:])
        self.delivered = 0
        self.tracking = True
        try:
            more = self._pure_drain(True)
        except ProtocolError as e:
            e.requests = done + e.requests
            raise
        return done + more

    def _pure_feed(self, data, authenticated):
        self.pure = True
        self.raw += data
        return self._pure_drain(authenticated)

    def _pure_drain(self, authenticated):
        out = []
        buf = self.raw
        pos = 0
        try:
            while True:
                try:
                    argv, pos = parse_pure(buf, pos, self.max_bulk, authenticated)
                except Incomplete:
                    break
                if argv:
                    out.append(argv)
        except ProtocolError as e:
            e.requests = out
            del buf[:pos]
            raise
        del buf[:pos]
        if not buf:
            self.pure = False  # back at a boundary: hiredis may take over again
        return out

    def buffered(self) -> int:
        return len(self.raw)


def _ends_frame(data: bytes, last) -> bool:
    """Does ``data`` end exactly where the frame ``last`` ends?"""
    if type(last) is not list:
        enc = b"*-1\r\n" if last is None else b""
        return bool(enc) and data.endswith(enc)
    if not last:
        return data.endswith(b"*0\r\n")
    tail = last[-1]
    if not data.endswith(tail + b"\r\n") and not (tail + b"\r\n").endswith(data):
        return False
    enc = encode_request(last)
    return data.endswith(enc) if len(data) >= len(enc) else enc.endswith(data)


def _count_frames(out, last):
    return len(out) + (0 if type(last) is list and last else 1)


def encode_request(argv) -> bytes:
    parts = [b"*%d\r\n" % len(argv)]
    for a in argv:
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)


def _all_bytes(req) -> bool:
    for a in req:
        if type(a) is not bytes:
            return False
    return len(req) > 0
