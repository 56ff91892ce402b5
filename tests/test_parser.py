"""Unit tests of the request parser (:mod:`perdure.server.parser`), no sockets.

The reference is :class:`RedisModel`, a line-by-line port of Redis 6.2's ``processInputBuffer``
/ ``processMultibulkBuffer`` / ``processInlineBuffer`` / ``sdssplitargs`` (C-string quirks
included: ``strchr`` stops at a NUL byte, only ``\\r`` is searched for at the end of a
multibulk header, the byte after it is skipped unseen, the CRLF after a bulk payload is not
checked).  Every stream is fed to :class:`RequestParser` whole, split at every byte boundary,
and byte by byte, through its hiredis fast path and through its pure-Python path, and must
give the same requests and the same protocol error as the model.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perdure.server.args import to_int
from perdure.server.parser import (
    Incomplete,
    ProtocolError,
    RequestParser,
    encode_request,
    parse_pure,
    split_inline,
)

INLINE_MAX = 64 * 1024
BIG = 512 * 1024 * 1024


# --------------------------------------------------------------------------- the model


def _cfind(buf: bytes, ch: int, pos: int) -> int:
    """strchr(buf + pos, ch) on a NUL-terminated copy: -1 if a NUL comes first."""
    i = buf.find(bytes([ch]), pos)
    z = buf.find(b"\0", pos, i if i >= 0 else len(buf))
    return -1 if z >= 0 else i


def _isspace(c: int) -> bool:
    return c in b" \t\n\v\f\r"


def sdssplitargs(line: bytes):
    """Port of sdssplitargs (the line never holds a NUL: strchr stopped before it)."""
    p, n = 0, len(line)

    def at(i):
        return line[i] if i < n else 0

    out = []
    while True:
        while at(p) and _isspace(at(p)):
            p += 1
        if not at(p):
            return out
        cur = bytearray()
        inq = insq = done = False
        while not done:
            c = at(p)
            if inq:
                if c == 0x5C and at(p + 1) == 0x78 and _ishex(at(p + 2)) and _ishex(at(p + 3)):
                    cur.append(int(bytes([at(p + 2), at(p + 3)]), 16))
                    p += 3
                elif c == 0x5C and at(p + 1):
                    p += 1
                    cur.append({0x6E: 10, 0x72: 13, 0x74: 9, 0x62: 8, 0x61: 7}.get(at(p), at(p)))
                elif c == 0x22:
                    if at(p + 1) and not _isspace(at(p + 1)):
                        return None
                    done = True
                elif not c:
                    return None
                else:
                    cur.append(c)
            elif insq:
                if c == 0x5C and at(p + 1) == 0x27:
                    p += 1
                    cur.append(0x27)
                elif c == 0x27:
                    if at(p + 1) and not _isspace(at(p + 1)):
                        return None
                    done = True
                elif not c:
                    return None
                else:
                    cur.append(c)
            else:
                if c in (0x20, 0x0A, 0x0D, 0x09, 0):
                    done = True
                elif c == 0x22:
                    inq = True
                elif c == 0x27:
                    insq = True
                else:
                    cur.append(c)
            if at(p):
                p += 1
        out.append(bytes(cur))


def _ishex(c: int) -> bool:
    return c in b"0123456789abcdefABCDEF"


class RedisModel:
    """What Redis 6.2 does with a byte stream: the requests it runs and the protocol error."""

    def __init__(self, max_bulk: int = BIG, authenticated: bool = True):
        self.buf = b""
        self.max_bulk = max_bulk
        self.auth = authenticated
        self.reset()
        self.error = None

    def reset(self):
        self.reqtype = None
        self.multibulklen = 0
        self.bulklen = -1
        self.argv = []

    def feed(self, data: bytes) -> list:
        """Requests completed by ``data``; sets :attr:`error` on a protocol error."""
        out = []
        if self.error is not None:
            return out
        self.buf += data
        pos = 0
        while pos < len(self.buf):
            if self.reqtype is None:
                self.reqtype = "M" if self.buf[pos] == 0x2A else "I"
            r, pos = (self._inline if self.reqtype == "I" else self._multibulk)(pos)
            if r == "err":
                return out
            if r == "more":
                break
            if self.argv:
                out.append(self.argv)
            self.reset()
        self.buf = self.buf[pos:]
        return out

    def _fail(self, msg):
        self.error = msg
        return "err", 0

    def _inline(self, pos):
        b = self.buf
        nl = _cfind(b, 0x0A, pos)
        if nl < 0:
            if len(b) - pos > INLINE_MAX:
                return self._fail("too big inline request")
            return "more", pos
        end = nl - 1 if nl != pos and b[nl - 1] == 0x0D else nl
        argv = sdssplitargs(b[pos:end])
        if argv is None:
            return self._fail("unbalanced quotes in request")
        self.argv = argv
        return "ok", nl + 1

    def _multibulk(self, pos):
        b = self.buf
        n = len(b)
        if self.multibulklen == 0:
            nl = _cfind(b, 0x0D, pos)
            if nl < 0:
                if n - pos > INLINE_MAX:
                    return self._fail("too big mbulk count string")
                return "more", pos
            if nl > n - 2:
                return "more", pos
            ll = to_int(b[pos + 1:nl])
            if ll is None or ll > 1024 * 1024:
                return self._fail("invalid multibulk length")
            if ll > 10 and not self.auth:
                return self._fail("unauthenticated multibulk length")
            pos = nl + 2
            if ll <= 0:
                return "ok", pos
            self.multibulklen = ll
            self.argv = []
        while self.multibulklen:
            if self.bulklen == -1:
                nl = _cfind(b, 0x0D, pos)
                if nl < 0:
                    if n - pos > INLINE_MAX:
                        return self._fail("too big bulk count string")
                    break
                if nl > n - 2:
                    break
                if b[pos] != 0x24:
                    return self._fail("expected '$', got '%s'" % chr(b[pos]))
                ll = to_int(b[pos + 1:nl])
                if ll is None or ll < 0 or ll > self.max_bulk:
                    return self._fail("invalid bulk length")
                if ll > 16384 and not self.auth:
                    return self._fail("unauthenticated bulk length")
                pos = nl + 2
                self.bulklen = ll
            if n - pos < self.bulklen + 2:
                break
            self.argv.append(b[pos:pos + self.bulklen])
            pos += self.bulklen + 2
            self.bulklen = -1
            self.multibulklen -= 1
        return ("ok" if self.multibulklen == 0 else "more"), pos


# --------------------------------------------------------------------------- drivers


def model_run(chunks, max_bulk=BIG, authenticated=True):
    m = RedisModel(max_bulk, authenticated)
    reqs = []
    for ch in chunks:
        reqs += m.feed(ch)
        if m.error:
            break
    return reqs, m.error


class PureOnlyParser(RequestParser):
    """The same parser with its hiredis fast path turned off: the pure parser does it all."""

    __slots__ = ()

    def _hiredis_step(self, data, out):
        self.pure = True
        return data


def parser_run(chunks, max_bulk=BIG, authenticated=True, pure=False):
    """Feed ``chunks`` to a RequestParser; (requests, protocol error text or None)."""
    p = (PureOnlyParser if pure else RequestParser)(max_bulk)
    reqs = []
    for ch in chunks:
        try:
            got = p.feed(ch, authenticated)
            # before AUTH the parser hands out one request per call: drain like the protocol
            while got:
                reqs += got
                if authenticated or not p.raw:
                    break
                got = p.feed(b"", authenticated)
        except ProtocolError as e:
            return reqs + e.requests, str(e)
    return reqs, None


def splits(data: bytes):
    """The ways a test feeds a stream: whole, at every boundary in two, byte by byte."""
    yield [data]
    for i in range(1, len(data)):
        yield [data[:i], data[i:]]
    yield [data[i:i + 1] for i in range(len(data))]


def check_stream(data: bytes, max_bulk=BIG, authenticated=True, every_split=True):
    expected = model_run([data], max_bulk, authenticated)
    ways = splits(data) if every_split else [[data]]
    for chunks in ways:
        assert model_run(chunks, max_bulk, authenticated) == expected, ("model", chunks)
        for pure in (False, True):
            got = parser_run(chunks, max_bulk, authenticated, pure)
            assert got == expected, (chunks, "pure" if pure else "hiredis", got, expected)
    return expected


# --------------------------------------------------------------------------- fixed cases


def req(*args) -> bytes:
    return encode_request([a if isinstance(a, bytes) else str(a).encode() for a in args])


VALID = [
    req("PING"),
    req("SET", "key", "value") + req("GET", "key"),
    req("ECHO", b"\x00\r\n\xff*$") + req("PING"),
    req("ECHO", b"") + req("SET", b"", b""),
    b"*0\r\n*-1\r\n*-5\r\n" + req("PING") + b"*0\r\n",
    b"PING\r\nECHO a\r\n\r\n   \r\n\n",
    b'SET "a b" "c\\x41\\n" \'it\\\'s\'\r\nGET "a b"\n',
    b"ECHO a\x0bb\r\nECHO \x0ba\r\n",
    req("PING") + b"PING\r\n" + req("ECHO", "x") + b"ECHO y\n",
    b"*1\rX$4\rYPING\r\n",                      # Redis skips the byte after '\r' unseen
    b"*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n",  # and never checks the CRLF after a payload
    b"$3\r\nfoo\r\n",                           # not '*': two inline commands
    b":1\r\n+OK\r\n-ERR x\r\n",
    req(*["a"] * 300),
    req("PING") + b"~1\r\n$4\r\nPING\r\n>1\r\n$1\r\na\r\n|1\r\n+a\r\n+b\r\n" + req("PING"),
    req("PING") + b"_\r\n,1.5\r\n#t\r\n%1\r\n+a\r\n+b\r\n" + req("PING"),
    # a frame whose payloads end with the encoding of the frame before it, the read boundary
    # just there: a parser that guessed "boundary" from the bytes would be fooled
    req("SET", "k", "v") + req("RPUSH", "l", "x*3", "SET", "k", "v", "$1", "y"),
    req("SET", "k", "v" * 5000),
    req("SET", "k", "+1 555 0100") + req("ECHO", "=x") + req("ECHO", "(y"),
]

ERRORS = [
    (b"*3000000000\r\n", "invalid multibulk length"),
    (b"*1048577\r\n", "invalid multibulk length"),
    (b"*x\r\n", "invalid multibulk length"),
    (b"*+1\r\n", "invalid multibulk length"),
    (b"*-0\r\n", "invalid multibulk length"),
    (b"*01\r\n", "invalid multibulk length"),
    (b"* 1\r\n", "invalid multibulk length"),
    (b"*\r\n", "invalid multibulk length"),
    (b"*1\r\n$-10\r\n", "invalid bulk length"),
    (b"*1\r\n$-1\r\n", "invalid bulk length"),
    (b"*1\r\n$x\r\n", "invalid bulk length"),
    (b"*1\r\n$+3\r\nabc\r\n", "invalid bulk length"),
    (b"*1\r\n$3_0\r\n", "invalid bulk length"),
    (b"*1\r\n$536870913\r\n", "invalid bulk length"),
    (b"*1\r\nfoo\r\n", "expected '$', got 'f'"),
    (b"*2\r\n$4\r\nPING\r\n:1\r\n", "expected '$', got ':'"),
    (b"*2\r\n$4\r\nPING\r\n*1\r\n", "expected '$', got '*'"),
    # hiredis returns these as bytes: they must not pass for bulk strings
    (b"*1\r\n+PING\r\n", "expected '$', got '+'"),
    (b"*1\r\n=8\r\ntxt:PING\r\n", "expected '$', got '='"),
    (b"*2\r\n$4\r\nECHO\r\n(12\r\n", "expected '$', got '('"),
    (req("PING") + b"*1\r\n+PING\r\n", "expected '$', got '+'"),
    (b"*1\r\n\xff\r\n", "expected '$', got '\xff'"),
    (b"*1\r\n\r\n", "expected '$', got '\r'"),
    (b'SET "a b\r\n', "unbalanced quotes in request"),
    (b"SET 'a\r\n", "unbalanced quotes in request"),
    (b'SET "a"b c\r\n', "unbalanced quotes in request"),
    (b"ECHO 'it''s'\r\n", "unbalanced quotes in request"),
    (req("PING") + b"PING\r\n*1\r\nfoo\r\n" + req("PING"), "expected '$', got 'f'"),
]

INCOMPLETE = [
    b"*1\r\nfoo",          # '$' is only checked once the line is complete
    b"*2\r\n$4\r\nECHO\r\n$5\r\nhel",
    b"*1\r",
    b"PING",
    b"PING\x00\r\n",       # strchr stops at the NUL: Redis waits for a newline it never sees
    b"*1\x00\r\n$4\r\nPING\r\n",
    b"*1\r\n$4\x00\r\nPING\r\n",
    b"ECHO \"a\x00\"\r\n",
]


@pytest.mark.parametrize("data", VALID, ids=range(len(VALID)))
def test_valid_streams(data):
    reqs, error = check_stream(data)
    assert error is None and reqs


@pytest.mark.parametrize("data, message", ERRORS, ids=[m for _, m in ERRORS])
def test_protocol_errors(data, message):
    _, error = check_stream(data)
    assert error == message


@pytest.mark.parametrize("data", INCOMPLETE, ids=range(len(INCOMPLETE)))
def test_incomplete_streams_wait(data):
    reqs, error = check_stream(data)
    assert error is None
    assert model_run([data + b"\r\n"])[0][: len(reqs)] == reqs


def test_requests_before_the_error_come_first():
    data = req("SET", "a", "1") + b"PING\r\n" + b"*1\r\nfoo\r\n" + req("SET", "b", "2")
    reqs, error = check_stream(data)
    assert reqs == [[b"SET", b"a", b"1"], [b"PING"]]
    assert error == "expected '$', got 'f'"


def test_too_big_inline_request():
    data = b"A" * (INLINE_MAX + 1)
    assert parser_run([data]) == ([], "too big inline request")
    assert parser_run([b"A" * 1000, data]) == ([], "too big inline request")
    # a line that ends within the limit is fine, however long the read
    line = b"ECHO " + b"x" * (INLINE_MAX - 10) + b"\r\n"
    assert parser_run([line]) == ([[b"ECHO", b"x" * (INLINE_MAX - 10)]], None)


@pytest.mark.parametrize("prefix, message", [
    (b"*", "too big mbulk count string"),
    (b"*1\r\n$", "too big bulk count string"),
    (b"*1\x00", "too big mbulk count string"),
])
def test_too_big_count_strings(prefix, message):
    data = prefix + b"1" * (INLINE_MAX + 1)
    assert model_run([data]) == ([], message)
    for pure in (False, True):
        assert parser_run([data], pure=pure) == ([], message)
        assert parser_run([prefix, data[len(prefix):]], pure=pure) == ([], message)


def test_huge_declared_bulk_is_refused_before_its_payload():
    for pure in (False, True):
        assert parser_run([b"*1\r\n$536870913\r\n"], pure=pure) == ([], "invalid bulk length")
        # within the limit: the parser just waits for the payload
        assert parser_run([b"*1\r\n$536870912\r\nabc"], pure=pure) == ([], None)


def test_proto_max_bulk_len():
    limit = 1024 * 1024
    ok = req("SET", "k", b"x" * limit)
    bad = req("SET", "k", b"x" * (limit + 1))
    for pure in (False, True):
        assert parser_run([ok], limit, pure=pure) == ([[b"SET", b"k", b"x" * limit]], None)
        assert parser_run([bad], limit, pure=pure) == ([], "invalid bulk length")
        chunks = [bad[i:i + 65536] for i in range(0, len(bad), 65536)]
        assert parser_run(chunks, limit, pure=pure) == ([], "invalid bulk length")
        # a too-long argument deep inside a frame, after more than a megabyte of other data
        deep = req("MSET", "a", b"y" * (limit - 10), "b", b"z" * (limit + 5))
        chunks = [req("PING")] + [deep[i:i + 65536] for i in range(0, len(deep), 65536)]
        assert parser_run(chunks, limit, pure=pure) == ([[b"PING"]], "invalid bulk length")


@pytest.mark.parametrize("data, message", [
    (b"*11\r\n", "unauthenticated multibulk length"),
    (b"*1\r\n$16385\r\n", "unauthenticated bulk length"),
    (b"*11\r\n$1\r\n", "unauthenticated multibulk length"),
])
def test_unauthenticated_limits(data, message):
    assert check_stream(data, authenticated=False) == ([], message)
    # the same frames are fine once authenticated
    assert check_stream(data)[1] is None


def test_unauthenticated_limits_allow_the_maximum():
    data = req(*["a"] * 10) + req("AUTH", b"p" * 16384)
    assert check_stream(data, authenticated=False, every_split=False)[1] is None
    # inline requests have no unauthenticated limits
    line = b"AUTH " + b"x " * 50 + b"\r\n"
    assert check_stream(line, authenticated=False, every_split=False)[1] is None


def test_unauthenticated_parser_hands_out_one_request_at_a_time():
    p = RequestParser()
    data = req("AUTH", "pw") + req(*["a"] * 20)
    assert p.feed(data, False) == [[b"AUTH", b"pw"]]
    # the protocol ran AUTH: the next request is parsed as authenticated
    assert p.feed(b"", True) == [[b"a"] * 20]


def test_parser_returns_to_hiredis_after_inline():
    p = RequestParser()
    assert p.feed(b"PING\r\n") == [[b"PING"]]
    assert not p.pure
    assert p.feed(req("ECHO", "x")) == [[b"ECHO", b"x"]]


def test_buffered_counts_a_partial_frame():
    p = RequestParser()
    assert p.feed(b"*1\r\n$100000\r\n" + b"x" * 50000) == []
    assert p.buffered() >= 50000
    assert p.feed(b"x" * 50000 + b"\r\n") == [[b"x" * 100000]]
    p2 = RequestParser()
    p2.feed(b"ECHO " + b"y" * 1000)
    assert p2.buffered() == 1005


def test_split_inline_matches_sdssplitargs():
    cases = [b"", b"   ", b"a b  c", b'"a\\x4g"', b'"\\x41\\x4a"', b"'a\\'b'", b'"a\\"b"',
             b'"abc', b"'abc", b'"a"b', b'"a" b', b"a\tb\x0bc", b'"\\q\\\\"', b'"a\\', b"''",
             b'""', b'"" ""', b"'\\x41'", b"a'b'c", b'a"b c"d']
    for line in cases:
        assert split_inline(line) == sdssplitargs(line), line


def test_parse_pure_is_incremental():
    data = req("SET", "a", "b")
    for i in range(len(data)):
        with pytest.raises(Incomplete):
            parse_pure(data[:i], 0, BIG, True)
    assert parse_pure(data, 0, BIG, True) == ([b"SET", b"a", b"b"], len(data))


# --------------------------------------------------------------------------- random streams

FRAGMENTS = [
    b"*", b"$", b"\r", b"\n", b"\r\n", b"\0", b"0", b"1", b"3", b"-1", b"10", b"x", b" ", b'"',
    b"'", b"\\", b"PING", b"ECHO", b":", b"+", b"\xff",
]


def _valid_request(rnd: random.Random) -> bytes:
    args = [rnd.choice([b"PING", b"ECHO", b"GET", b"SET"])]
    for _ in range(rnd.randrange(4)):
        args.append(bytes(rnd.randrange(256) for _ in range(rnd.randrange(12))))
    if rnd.random() < 0.3 and all(b"\n" not in a and b"\0" not in a for a in args):
        return b" ".join(args[:1] + [b'"' + a.hex().encode() + b'"' for a in args[1:]]) + b"\r\n"
    return encode_request(args)


streams = st.lists(
    st.one_of(
        st.sampled_from(FRAGMENTS),
        st.integers(0, 2 ** 32).map(lambda s: _valid_request(random.Random(s))),
        st.binary(max_size=6),
    ),
    max_size=12,
).map(b"".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams, st.booleans())
def test_random_streams_match_redis(data, authenticated):
    expected = model_run([data], authenticated=authenticated)
    rnd = random.Random(data)
    ways = [[data], [data[i:i + 1] for i in range(len(data))]]
    for _ in range(4):
        cut = sorted(rnd.randrange(len(data) + 1) for _ in range(3))
        ways.append([data[: cut[0]], data[cut[0]:cut[1]], data[cut[1]:cut[2]], data[cut[2]:]])
    for chunks in ways:
        for pure in (False, True):
            assert parser_run(chunks, authenticated=authenticated, pure=pure) == expected, (
                chunks, pure)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 2 ** 32), min_size=1, max_size=8), st.integers(0, 2 ** 32))
def test_random_valid_pipelines(seeds, cut_seed):
    data = b"".join(_valid_request(random.Random(s)) for s in seeds)
    expected = model_run([data])
    assert expected[1] is None and len(expected[0]) == len(seeds)
    rnd = random.Random(cut_seed)
    cuts = sorted({rnd.randrange(1, len(data)) for _ in range(5)} | {0, len(data)})
    chunks = [data[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]
    for pure in (False, True):
        assert parser_run(chunks, pure=pure) == expected


def test_unauthenticated_handoff_keeps_the_rest():
    """AUTH, then (parsed after it ran) a frame, then the start of a big frame: nothing lost."""
    big = req("SET", "big", b"x" * 50000)
    data = req("AUTH", "pw") + req("MSET", *["k", "v"] * 10) + big[:20000]
    p = RequestParser()
    assert p.feed(data, False) == [[b"AUTH", b"pw"]]
    assert p.feed(b"", True) == [[b"MSET"] + [b"k", b"v"] * 10]
    assert p.feed(big[20000:], True) == [[b"SET", b"big", b"x" * 50000]]


@pytest.mark.parametrize("limited", [True, False], ids=["hiredis-maxelements", "scan-guard"])
def test_huge_aggregate_headers_are_cheap(monkeypatch, limited):
    """hiredis would allocate (and later free, element by element) a list of the declared
    size: with its maxelements set, or without it by the scanning guard, it never sees one."""
    import time

    from perdure.server import parser as parser_mod

    if limited:
        assert parser_mod._limit_elements is not None  # the ctypes layout check passed here
    else:
        monkeypatch.setattr(parser_mod, "_limit_elements", None)
    t0 = time.monotonic()
    for data in (b"*2999999999\r\n", b"*1\r\n*2000000000\r\n", b"*1\r\n~2000000000\r\n"):
        p = RequestParser()
        with pytest.raises(ProtocolError):
            p.feed(data)
    p = RequestParser()
    assert p.feed(b"*1048576\r\n$1\r\n") == []  # the maximum: accepted, waits
    assert time.monotonic() - t0 < 0.5
