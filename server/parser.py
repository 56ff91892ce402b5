"""Request parsing: hiredis as the fast path, a Redis-exact incremental parser for the rest.

Redis accepts two request forms: RESP multibulk (``*N\\r\\n$len\\r\\narg\\r\\n...``) and inline
commands (``SET a "b c"\\n``).  hiredis parses multibulk frames in C, but it is a *reply*
parser: it accepts things Redis refuses (``:1`` elements, nested arrays, RESP3 types), knows
nothing of ``proto-max-bulk-len`` or the unauthenticated limits, cannot parse inline commands,
and would wait for the payload of a length Redis refuses at once.  So :class:`RequestParser`
uses hiredis only for what it is good at, *whole* well-formed frames:

* A read that starts at a frame boundary with ``*`` goes to hiredis.  If hiredis returns only
  lists of bytes and ends exactly at a frame boundary, that is the result (the common case).
  "Exactly at a boundary" is checked, not guessed: hiredis has no unread bytes, and a probe
  frame ``*0\\r\\n`` fed after them comes back on its own (were hiredis inside an unfinished
  array, the probe would become one of its elements).
* Otherwise — the read ends inside a frame, hiredis errors, or returns something Redis would
  not take as a request — the bytes from the first frame hiredis did not return (located from
  the exact encoded length of the frames before it) go to the *pure* parser, a port of Redis's
  ``processInputBuffer`` / ``processMultibulkBuffer`` / ``processInlineBuffer`` that keeps its
  state between reads like Redis does (so a frame arriving in many pieces costs linear time),
  refuses bad headers as soon as they are complete, and produces Redis's exact error texts.
  Once it is back at a frame boundary before a ``*``, hiredis takes over again.

Redis's C-string quirks are reproduced: a header line ends at the first ``\\r`` (the byte after
it is skipped unseen), a NUL byte hides any line end after it (Redis's ``strchr`` stops there),
the CRLF after a bulk payload is not checked, lengths follow ``string2ll`` (no ``+``, no leading
zeros, no spaces).
"""

from __future__ import annotations

import re

import hiredis

MAX_MULTIBULK = 1024 * 1024
INLINE_MAX = 64 * 1024
UNAUTH_MULTIBULK = 10
UNAUTH_BULK = 16384

_PROBE = b"*0\r\n"
# hiredis allocates an aggregate's list as soon as it reads the header: ``*3000000000`` means a
# 24 GB list (lazily mapped) and seconds of CPU to free it.  hiredis can refuse counts above a
# ``maxelements`` limit, but hiredis-py does not expose it: :func:`_maxelements_setter` sets it
# through ctypes, after checking the struct layout on a scratch reader.  Without it, reads that
# might hold a header of a million elements or more are handed to the pure parser instead.
_BIG_AGGREGATE = re.compile(rb"[*~>%|][0-9]{7}").search


def _maxelements_setter():
    """A function that sets a hiredis Reader's ``maxelements`` to MAX_MULTIBULK, or None."""
    try:
        import ctypes

        ptr = ctypes.sizeof(ctypes.c_void_p)
        head = ctypes.sizeof(ctypes.c_ssize_t) + ptr   # PyObject_HEAD
        base = (4 + 128 + ptr - 1) // ptr * ptr          # after int err; char errstr[128]
        off_maxbuf = base + 3 * ptr                      # buf, pos, len, then maxbuf
        off_maxelements = off_maxbuf + ptr

        def reader_struct(r):
            return ctypes.c_void_p.from_address(id(r) + head).value

        r = hiredis.Reader()
        addr = reader_struct(r)
        for probe in (12345, 54321):
            r.setmaxbuf(probe)
            if ctypes.c_size_t.from_address(addr + off_maxbuf).value != probe:
                return None
        if ctypes.c_longlong.from_address(addr + off_maxelements).value != 2 ** 32 - 1:
            return None

        def limit(reader):
            ctypes.c_longlong.from_address(reader_struct(reader) + off_maxelements).value = MAX_MULTIBULK
            return reader

        r = limit(hiredis.Reader())
        r.feed(b"*%d\r\n" % (MAX_MULTIBULK + 1))
        try:
            r.gets()
            return None
        except hiredis.ProtocolError:
            pass
        r = limit(hiredis.Reader())
        r.feed(b"*%d\r\n$1\r\nx\r\n" % MAX_MULTIBULK)
        if r.gets() is not False:
            return None
        return limit
    except Exception:  # noqa: BLE001 - any surprise: use the scanning guard instead
        return None


_limit_elements = _maxelements_setter()


def _new_reader():
    r = hiredis.Reader()
    return r if _limit_elements is None else _limit_elements(r)
_DIGITS = [len(str(i)) for i in range(10000)]


class ProtocolError(Exception):
    """A malformed request: Redis replies ``-ERR Protocol error: <msg>`` and closes.

    ``requests`` holds the requests that preceded the bad one (they run before the error)."""

    requests: list = []


class Incomplete(Exception):
    pass


def _to_ll(b) -> int | None:
    """string2ll: the int64 value of ``b`` or None."""
    n = len(b)
    if n == 0 or n > 20:
        return None
    b = bytes(b)
    if b.isdigit():
        if b[0] == 0x30 and n > 1:
            return None
    elif not (b[0] == 0x2D and n > 1 and b[1:].isdigit() and b[1] != 0x30):
        return None
    v = int(b)
    if v > 0x7FFFFFFFFFFFFFFF or v < -0x8000000000000000:
        return None
    return v


def _strchr(buf, ch: bytes, pos: int, end: int) -> int:
    """Redis's ``strchr(querybuf + pos, ch)``: -1 if ``ch`` is absent or a NUL comes first."""
    i = buf.find(ch, pos, end)
    if i < 0 or buf.find(b"\0", pos, i) >= 0:
        return -1
    return i


def split_inline(line: bytes):
    """sdssplitargs: split an inline command, honouring quotes and escapes (None: unbalanced)."""
    z = line.find(b"\0")
    if z >= 0:
        line = line[:z]  # a C string ends at its NUL
    args = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in b" \t\n\r\v\f":
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
                if c in b" \n\r\t":
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


def _parse_inline(buf, pos: int, n: int):
    """processInlineBuffer: ``(argv, newpos)``; Incomplete / ProtocolError."""
    nl = _strchr(buf, b"\n", pos, n)
    if nl < 0:
        if n - pos > INLINE_MAX:
            raise ProtocolError("too big inline request")
        raise Incomplete
    end = nl - 1 if nl > pos and buf[nl - 1] == 0x0D else nl
    argv = split_inline(bytes(buf[pos:end]))
    if argv is None:
        raise ProtocolError("unbalanced quotes in request")
    return argv, nl + 1


def _parse_count(buf, pos: int, n: int, authenticated: bool):
    """The ``*N`` line of a multibulk request: ``(count, newpos)``; Incomplete / ProtocolError."""
    nl = _strchr(buf, b"\r", pos, n)
    if nl < 0:
        if n - pos > INLINE_MAX:
            raise ProtocolError("too big mbulk count string")
        raise Incomplete
    if nl > n - 2:
        raise Incomplete
    count = _to_ll(buf[pos + 1:nl])
    if count is None or count > MAX_MULTIBULK:
        raise ProtocolError("invalid multibulk length")
    if count > UNAUTH_MULTIBULK and not authenticated:
        raise ProtocolError("unauthenticated multibulk length")
    return count, nl + 2


def _parse_bulk_len(buf, pos: int, n: int, max_bulk: int, authenticated: bool):
    """A ``$len`` line: ``(len, newpos)``; Incomplete / ProtocolError."""
    nl = _strchr(buf, b"\r", pos, n)
    if nl < 0:
        if n - pos > INLINE_MAX:
            raise ProtocolError("too big bulk count string")
        raise Incomplete
    if nl > n - 2:
        raise Incomplete
    if buf[pos] != 0x24:
        raise ProtocolError("expected '$', got '%s'" % chr(buf[pos]))
    ln = _to_ll(buf[pos + 1:nl])
    if ln is None or ln < 0 or ln > max_bulk:
        raise ProtocolError("invalid bulk length")
    if ln > UNAUTH_BULK and not authenticated:
        raise ProtocolError("unauthenticated bulk length")
    return ln, nl + 2


def parse_pure(buf, pos: int, max_bulk: int, authenticated: bool):
    """Parse one whole request from ``buf[pos:]`` (stateless; :class:`RequestParser` keeps
    state between reads instead).  ``(argv, newpos)``; ``argv`` is ``[]`` for an empty line
    or ``*0``.  Raises :class:`Incomplete` or :class:`ProtocolError` with Redis's text."""
    n = len(buf)
    if pos >= n:
        raise Incomplete
    if buf[pos] != 0x2A:
        return _parse_inline(buf, pos, n)
    count, p = _parse_count(buf, pos, n, authenticated)
    argv = []
    for _ in range(count):
        ln, p = _parse_bulk_len(buf, p, n, max_bulk, authenticated)
        if n - p < ln + 2:
            raise Incomplete
        argv.append(bytes(buf[p:p + ln]))
        p += ln + 2
    return argv, p


def encoded_length(argv) -> int:
    """Bytes of ``argv`` as a multibulk frame (what hiredis consumed for it)."""
    d = _DIGITS
    n = len(argv)
    t = 3 + (d[n] if n < 10000 else len(str(n))) + 5 * n
    for a in argv:
        ln = len(a)
        t += ln + (d[ln] if ln < 10000 else len(str(ln)))
    return t


class RequestParser:
    """Turns received bytes into argv lists (see the module docstring)."""

    __slots__ = ("reader", "raw", "pure", "max_bulk", "mbulk", "bulklen", "argv", "peak")

    def __init__(self, max_bulk: int = 512 * 1024 * 1024):
        self.reader = _new_reader()
        self.raw = bytearray()  # the pure parser's unparsed bytes
        self.pure = False       # the pure parser owns the stream (mid-frame or bytes pending)
        self.max_bulk = max_bulk
        self.mbulk = 0          # pure parser: arguments still expected by the current frame
        self.bulklen = -1       # pure parser: length of the argument being read, -1 if unknown
        self.argv = None        # pure parser: arguments of the current frame so far
        self.peak = 0           # largest query buffer Redis would have held during the last feed

    @property
    def partial(self) -> bool:
        """True while a request has started but is not complete."""
        return self.pure and (self.mbulk > 0 or bool(self.raw))

    def buffered(self) -> int:
        """Bytes of the request being received (the query buffer Redis would hold)."""
        return len(self.raw)

    def feed(self, data: bytes, authenticated: bool = True) -> list:
        """Return the complete requests in ``data`` (plus what was buffered).

        Before authentication one request at most is returned per call, the rest stays
        buffered (call again with ``b""`` once it ran): Redis parses each request with the
        limits that apply after the previous one ran.  On a protocol error, raises
        :class:`ProtocolError` whose ``requests`` attribute holds the requests before it.
        """
        out = []
        self.peak = 0
        try:
            if not data:
                if not self.pure:
                    return out
                data = self._pure_step(b"", authenticated, out)
            while data:
                if self.pure or not authenticated or data[0] != 0x2A:
                    data = self._pure_step(data, authenticated, out)
                else:
                    data = self._hiredis_step(data, out)
        except ProtocolError as e:
            e.requests = out
            raise
        return out

    # ---- hiredis: whole frames ---------------------------------------------------------------
    def _hiredis_step(self, data, out):
        """Frames of ``data`` (which starts a frame with ``*``); returns what the pure parser
        must take over (empty if hiredis ended exactly at a frame boundary)."""
        if _limit_elements is None and _BIG_AGGREGATE(data) is not None:
            self.pure = True
            return data
        reader = self.reader
        reader.feed(data)
        gets = reader.gets
        first = len(out)
        clean = False
        try:
            while True:
                req = gets()
                if type(req) is not list or not req:
                    if req is False and not reader.has_data():
                        reader.feed(_PROBE)
                        probe = gets()
                        clean = type(probe) is list and not probe
                    break
                for a in req:  # _all_bytes, inlined: this runs for every request
                    if type(a) is not bytes:
                        break
                else:
                    out.append(req)
                    continue
                break
        except hiredis.ProtocolError:
            pass
        # hiredis also returns bytes for a status (+), verbatim (=) or big number (() element,
        # which Redis refuses ("expected '$', got '+'"): such a header follows a CRLF (so does
        # a payload holding one of those sequences: then every frame is checked)
        # (find, not ``in``: bytes.__contains__ tries the operand as an int first, and the
        # TypeError it raises and clears costs more than the search; a lone byte's memchr first)
        find = data.find
        odd = ((find(b"+") >= 0 and find(b"\r\n+") >= 0) or (find(b"=") >= 0 and find(b"\r\n=") >= 0)
               or (find(b"(") >= 0 and find(b"\r\n(") >= 0))
        if clean and not odd and len(data) <= self.max_bulk and (len(out) - first < 2 or not (
                find(b"~") >= 0 or find(b">") >= 0 or find(b"|") >= 0)):
            return b""
        # Find where the first frame hiredis did not return (or should not have) starts.
        pos = 0
        max_bulk = self.max_bulk
        for k in range(first, len(out)):
            req = out[k]
            if data[pos] != 0x2A or len(req) > MAX_MULTIBULK or max(map(len, req)) > max_bulk or (
                    odd and not data.startswith(encode_request(req), pos)):
                del out[k:]  # a RESP3 element or an oversized frame: Redis's own error text
                break
            pos += encoded_length(req)
        if clean and pos >= len(data):
            return b""
        self.reader = _new_reader()
        self.pure = True
        return memoryview(data)[pos:]

    # ---- the pure parser (Redis's processInputBuffer) -----------------------------------------
    def _pure_step(self, data, authenticated, out):
        """Parse what it can; returns bytes to hand back to hiredis (at a boundary before a
        ``*``), else ``b""`` with the unparsed rest kept in :attr:`raw`."""
        buf = self.raw
        buf += data
        self.pure = True
        n = len(buf)
        # Redis checks client-query-buffer-limit on what it holds right after a read: the
        # unparsed rest plus the new bytes (a big argument's reads stop at its end)
        q = n if self.bulklen < 0 else min(n, self.bulklen + 2)
        if q > self.peak:
            self.peak = q
        pos = 0
        max_bulk = self.max_bulk
        try:
            while pos < n:
                if not self.mbulk:
                    c = buf[pos]
                    if c != 0x2A:
                        argv, pos = _parse_inline(buf, pos, n)
                        if argv:
                            out.append(argv)
                            if not authenticated:
                                break
                        continue
                    if authenticated and pos:
                        # back at a frame boundary before a multibulk frame: hiredis again
                        rest = bytes(buf[pos:])
                        del buf[:]
                        self.pure = False
                        return rest
                    count, pos = _parse_count(buf, pos, n, authenticated)
                    if count <= 0:
                        continue
                    self.mbulk = count
                    self.argv = []
                argv = self.argv
                while self.mbulk:
                    ln = self.bulklen
                    if ln < 0:
                        ln, p = _parse_bulk_len(buf, pos, n, max_bulk, authenticated)
                        pos = p
                        self.bulklen = ln
                    if n - pos < ln + 2:
                        raise Incomplete
                    if ln < 4096:
                        argv.append(bytes(buf[pos:pos + ln]))
                    else:
                        with memoryview(buf) as mv:
                            argv.append(bytes(mv[pos:pos + ln]))
                    pos += ln + 2
                    self.bulklen = -1
                    self.mbulk -= 1
                self.argv = None
                out.append(argv)
                if not authenticated:
                    break
        except Incomplete:
            pass
        del buf[:pos]
        if not buf and not self.mbulk:
            self.pure = False
        return b""


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
