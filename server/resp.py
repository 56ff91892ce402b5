"""RESP2 / RESP3 reply encoding.

Handlers return plain Python values; :func:`encode` turns them into wire bytes for the
client's protocol version.  The mapping is deliberately small and fixed:

=================  ===========================  ==========================
Python value       RESP2                        RESP3
=================  ===========================  ==========================
``bytes``          bulk string                  bulk string
``int``            integer                      integer
``None``           null bulk ``$-1``            null ``_``
``list``/tuple     array                        array
``NilArray``       null array ``*-1``           null ``_``
``Simple(b)``      ``+b``                       ``+b``
``Double(x)``      bulk string                  double ``,``
``Map(d)`` / dict  flat array                   map ``%``
``Set(s)``         array                        set ``~``
``Verbatim(s)``    bulk string                  verbatim ``=``
``Raw(b)``         pre-encoded bytes, verbatim  same
``RedisError``     ``-msg``                     ``-msg``
``bool``           integer 1/0                  boolean ``#t``/``#f``
=================  ===========================  ==========================

``Raw`` lets hot handlers hand back a constant frame (``OK``) with no work at all.
"""

from __future__ import annotations

import math

from .errors import RedisError


class Raw(bytes):
    """Already-encoded RESP bytes, written as they are."""

    __slots__ = ()


class Simple(bytes):
    """A status reply (``+OK``)."""

    __slots__ = ()


class Verbatim(bytes):
    """A verbatim string in RESP3 (``=N\\r\\ntxt:...``), a bulk string in RESP2."""

    __slots__ = ()


class Double(float):
    """A floating-point reply: RESP3 double, RESP2 bulk string formatted as Redis does."""

    __slots__ = ()


class Map(dict):
    """A map reply: RESP3 ``%``, RESP2 flat array of key, value, ..."""

    __slots__ = ()


class Set(list):
    """A set reply: RESP3 ``~``, RESP2 array."""

    __slots__ = ()


class Push(list):
    """An out-of-band push: RESP3 ``>``, RESP2 array."""

    __slots__ = ()


class Lazy:
    """An array of ``n`` elements produced in chunks while it is encoded, for huge replies that a
    client may not be allowed to receive whole (HRANDFIELD/SRANDMEMBER/ZRANDMEMBER with a large
    negative count).  ``chunks`` yields lists of reply values (``n`` in all); after each chunk
    ``stop()`` is asked whether to go on -- as Redis checks CLIENT_CLOSE_ASAP in those loops, so
    a client over its output buffer limit is closed mid-reply instead of the server building
    the whole reply in memory.  Iterating a Lazy gives every element (for EXEC, scripts)."""

    __slots__ = ("n", "chunks", "stop")

    def __init__(self, n: int, chunks, stop=None):
        self.n, self.chunks, self.stop = n, chunks, stop

    def __iter__(self):
        for chunk in self.chunks:
            yield from chunk

    def __len__(self):
        return self.n


LAZY_MIN = 8192  # picks below this are built as a plain list
LAZY_CHUNK = 1024


def random_picks(c, n: int, pick, per: int = 1) -> "Lazy | list":
    """``n`` elements made by ``pick(k)`` (a list of ``k`` picks, ``per`` reply elements each),
    lazily in chunks when ``n`` is large, stopping as soon as the client ``c`` is over its output
    buffer limit (then closed)."""
    if n < LAZY_MIN:
        return pick(n)
    srv = c.server

    def chunks():
        left = n
        while left > 0:
            k = min(left, LAZY_CHUNK)
            left -= k
            yield pick(k)

    def stop():
        return c.closing or srv.check_output_limit(c)

    return Lazy(n * per, chunks(), stop)


class _NilArray:
    __slots__ = ()


NilArray = _NilArray()

OK = Raw(b"+OK\r\n")
QUEUED = Raw(b"+QUEUED\r\n")
PONG = Raw(b"+PONG\r\n")
NULL2 = b"$-1\r\n"
NULL3 = b"_\r\n"
EMPTY_ARRAY = Raw(b"*0\r\n")

_SMALL_INTS = [b":%d\r\n" % i for i in range(-1, 1024)]
_SMALL_LENS = [b"$%d\r\n" % i for i in range(0, 1024)]
_ARRAY_LENS = [b"*%d\r\n" % i for i in range(0, 1024)]


def format_double(x: float) -> bytes:
    """Format a double the way Redis's ``%.17g`` (addReplyDouble) prints it."""
    if math.isinf(x):
        return b"inf" if x > 0 else b"-inf"
    if x and x == int(x) and abs(x) < 1e17:
        # %.17g prints integral values without exponent and without a trailing '.0'
        # (zero goes to %.17g below, which keeps the sign of -0.0: Redis replies "-0")
        return b"%d" % int(x)
    return (b"%.17g" % x)


def format_double_human(x: float) -> bytes:
    """Format as Redis's ``%.17Lg`` long-double path (INCRBYFLOAT, HINCRBYFLOAT)."""
    if math.isinf(x):
        return b"inf" if x > 0 else b"-inf"
    s = repr(x)
    if "e" in s or "E" in s:
        s = "%.17f" % x
        if "." in s:
            s = s.rstrip("0").rstrip(".")
        return s.encode()
    if s.endswith(".0"):
        s = s[:-2]
    if s == "-0":
        s = "0"
    return s.encode()


def encode_error(msg: str) -> bytes:
    # (surrogateescape: a message that quotes client bytes, decoded so, gets them back as they were)
    return b"-" + msg.replace("\r", " ").replace("\n", " ").encode("utf-8", "surrogateescape") + b"\r\n"


def encode(v, proto: int, out: bytearray) -> None:
    """Append the encoding of ``v`` to ``out``."""
    t = type(v)
    if t is bytes:
        n = len(v)
        out += _SMALL_LENS[n] if n < 1024 else b"$%d\r\n" % n
        out += v
        out += b"\r\n"
    elif t is Raw:
        out += v
    elif t is int:
        out += _SMALL_INTS[v + 1] if -1 <= v < 1023 else b":%d\r\n" % v
    elif v is None:
        out += NULL3 if proto == 3 else NULL2
    elif t is list or t is tuple:
        n = len(v)
        out += _ARRAY_LENS[n] if n < 1024 else b"*%d\r\n" % n
        for item in v:
            encode(item, proto, out)
    elif t is Simple:
        out += b"+" + v + b"\r\n"
    elif t is Double:
        if proto == 3:
            if math.isinf(v):
                out += b",inf\r\n" if v > 0 else b",-inf\r\n"
            else:
                out += b"," + format_double(v) + b"\r\n"
        else:
            s = format_double(v)
            out += b"$%d\r\n%s\r\n" % (len(s), s)
    elif t is Map or t is dict:
        if proto == 3:
            out += b"%%%d\r\n" % len(v)
        else:
            out += b"*%d\r\n" % (2 * len(v))
        for k, val in v.items():
            encode(k, proto, out)
            encode(val, proto, out)
    elif t is Set:
        out += (b"~%d\r\n" if proto == 3 else b"*%d\r\n") % len(v)
        for item in v:
            encode(item, proto, out)
    elif t is Push:
        out += (b">%d\r\n" if proto == 3 else b"*%d\r\n") % len(v)
        for item in v:
            encode(item, proto, out)
    elif t is Verbatim:
        if proto == 3:
            out += b"=%d\r\ntxt:%s\r\n" % (len(v) + 4, v)
        else:
            out += b"$%d\r\n%s\r\n" % (len(v), v)
    elif t is bool:
        if proto == 3:
            out += b"#t\r\n" if v else b"#f\r\n"
        else:
            out += b":1\r\n" if v else b":0\r\n"
    elif v is NilArray:
        out += NULL3 if proto == 3 else b"*-1\r\n"
    elif t is Lazy:
        out += b"*%d\r\n" % v.n
        stop = v.stop
        for chunk in v.chunks:
            for item in chunk:
                encode(item, proto, out)
            if stop is not None and stop():
                break
    elif isinstance(v, RedisError):
        out += encode_error(v.msg)
    elif isinstance(v, str):
        encode(v.encode(), proto, out)
    elif isinstance(v, float):
        encode(Double(v), proto, out)
    elif isinstance(v, bytes):
        encode(bytes(v), proto, out)
    elif isinstance(v, int):
        encode(int(v), proto, out)
    else:
        raise TypeError("cannot encode reply of type %r" % t)


def encode_command(argv) -> bytes:
    """Encode argv as a RESP multibulk request (the form the effects log stores)."""
    n = len(argv)
    if n == 3:
        a, b, c = argv
        return b"*3\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n" % (len(a), a, len(b), b, len(c), c)
    if n == 2:
        a, b = argv
        return b"*2\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n" % (len(a), a, len(b), b)
    if n == 4:
        a, b, c, d = argv
        return (b"*4\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n$%d\r\n%b\r\n"
                % (len(a), a, len(b), b, len(c), c, len(d), d))
    parts = [b"*%d\r\n" % len(argv)]
    for a in argv:
        parts.append(b"$%d\r\n" % len(a))
        parts.append(a)
        parts.append(b"\r\n")
    return b"".join(parts)
