"""Limits on what one client can make the server hold, and malformed input, as Redis 6.2.14.

proto-max-bulk-len, client-query-buffer-limit, the unauthenticated request limits, maxclients,
client-output-buffer-limit (normal and pubsub classes, hard and soft), the idle ``timeout``,
and request framing quirks checked byte for byte against the oracle.  Every test that changes
the configuration restores it.
"""

from __future__ import annotations

import socket
import time

import pytest
import redis

from .helpers import RawConnection, ex, resp_encode

PW = "compat-limits-secret"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def config(make_client):
    """``config(name, value)``: CONFIG SET for this test only (restored at teardown)."""
    admin = make_client()
    saved = {}

    def set_(name, value):
        if name not in saved:
            saved[name] = ex(admin, "CONFIG", "GET", name)[1]
        assert ex(admin, "CONFIG", "SET", name, value) == b"OK"

    yield set_
    for name, value in reversed(list(saved.items())):
        try:
            ex(admin, "CONFIG", "SET", name, value)
        except redis.ConnectionError:  # the test's settings closed it (timeout...): once more
            admin = make_client()
            ex(admin, "CONFIG", "SET", name, value)


@pytest.fixture
def slow_reader(target_server):
    """Raw connections with a tiny receive buffer, for clients that do not read."""
    made = []

    def factory():
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(5)
        sock.connect((target_server.host, target_server.port))
        if target_server.tls:
            sock = target_server.ssl_context().wrap_socket(sock, server_hostname=target_server.host)
        conn = RawConnection(sock, 5)
        made.append(conn)
        return conn

    yield factory
    for conn in made:
        conn.close()


def wait_for(predicate, timeout=5.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def client_ids(c, *args) -> set[int]:
    return {int(line.split(b" ", 1)[0][3:]) for line in ex(c, "CLIENT", "LIST", *args).splitlines()}


def closed_or_reset(conn: RawConnection, timeout=5.0) -> bytes:
    """What arrives until the server closes (a reset counts as closed)."""
    return conn.read_until_closed(timeout)


# --------------------------------------------------------------------------- before AUTH


@pytest.fixture
def requirepass(config):
    config("requirepass", PW)
    return PW


@pytest.mark.parametrize(
    "data, message",
    [(b"*11\r\n", b"unauthenticated multibulk length"),
     (b"*1\r\n$16385\r\n", b"unauthenticated bulk length"),
     (b"*2\r\n$4\r\nECHO\r\n$100000\r\n", b"unauthenticated bulk length")],
    ids=["mbulk-11", "bulk-16385", "bulk-100000"],
)
def test_unauthenticated_request_limits(requirepass, make_raw, data, message):
    conn = make_raw(auth=False)
    conn.send(data)
    assert conn.read_until_closed(5) == b"-ERR Protocol error: " + message + b"\r\n"


def test_unauthenticated_limits_allow_the_maxima(requirepass, make_raw):
    conn = make_raw(auth=False)
    assert conn.cmd("ECHO", *["a"] * 9) == b"-ERR wrong number of arguments for 'echo' command\r\n"
    assert conn.cmd("ECHO", "x" * 16384) == b"-NOAUTH Authentication required.\r\n"
    assert conn.cmd("PING") == b"-NOAUTH Authentication required.\r\n"


def test_inline_requests_have_no_unauthenticated_limits(requirepass, make_raw):
    conn = make_raw(auth=False)
    conn.send(b"PING " + b"a " * 40 + b"\r\n" + b"PING " + b"x" * 20000 + b"\r\n")
    assert conn.recv_replies(2) == [b"-NOAUTH Authentication required.\r\n"] * 2


def test_limits_end_with_auth_in_the_same_write(requirepass, make_raw):
    conn = make_raw(auth=False)
    conn.send(resp_encode("AUTH", PW) + resp_encode("MSET", *["k", "v"] * 10)
              + resp_encode("SET", "big", "x" * 50000) + resp_encode("STRLEN", "big"))
    assert conn.recv_replies(4) == [b"+OK\r\n", b"+OK\r\n", b"+OK\r\n", b":50000\r\n"]


def test_failed_auth_keeps_the_limits(requirepass, make_raw):
    conn = make_raw(auth=False)
    conn.send(resp_encode("AUTH", "wrong") + b"*11\r\n")
    assert conn.read_until_closed(5) == (
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
        b"-ERR Protocol error: unauthenticated multibulk length\r\n")


# --------------------------------------------------------------------------- proto-max-bulk-len


def test_proto_max_bulk_len(config, make_raw):
    config("proto-max-bulk-len", "1mb")
    conn = make_raw()
    assert conn.cmd("SET", "k", b"x" * 1048576) == b"+OK\r\n"
    conn.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n")
    assert conn.read_until_closed(5) == b"-ERR Protocol error: invalid bulk length\r\n"


def test_proto_max_bulk_len_applies_to_open_connections(config, make_raw, r2):
    conn = make_raw()
    assert conn.cmd("PING") == b"+PONG\r\n"
    config("proto-max-bulk-len", "1mb")
    # The length header alone is refused; the server closes before the payload would arrive.
    conn.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n" % (1048576 + 10))
    assert conn.read_until_closed(5) == b"-ERR Protocol error: invalid bulk length\r\n"
    assert ex(r2, "EXISTS", "k") == 0


# --------------------------------------------------------------------------- client-query-buffer-limit


def test_query_buffer_limit_closes_silently(config, make_raw, r2):
    config("client-query-buffer-limit", "1mb")
    conn = make_raw()
    assert conn.cmd("SET", "before", "1") == b"+OK\r\n"
    conn.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n" + b"x" * 1100000)
    assert conn.read_until_closed(5) == b""
    assert ex(r2, "EXISTS", "k") == 0
    assert ex(r2, "GET", "before") == b"1"


def test_query_buffer_limit_counts_the_argument_being_read(config, make_raw, r2):
    config("client-query-buffer-limit", "1mb")
    conn = make_raw()
    assert conn.cmd("SET", "k", b"v" * (1048576 - 16)) == b"+OK\r\n"
    assert conn.cmd("MSET", "a", b"1" * 600000, "b", b"2" * 600000) == b"+OK\r\n"
    conn.send(resp_encode("SET", "k", b"w" * 1048576))
    assert conn.read_until_closed(5) == b""
    assert ex(r2, "STRLEN", "k") == 1048576 - 16


def test_query_buffer_limit_below_it_waits(config, make_raw):
    config("client-query-buffer-limit", "1mb")
    conn = make_raw()
    conn.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000000\r\n" + b"x" * 900000)
    conn.assert_silent(0.3)


# --------------------------------------------------------------------------- maxclients


def test_maxclients(config, make_client, make_raw, r2, target_server):
    time.sleep(0.1)  # let connections of earlier tests finish closing
    count = len(ex(r2, "CLIENT", "LIST").splitlines())
    config("maxclients", str(count))
    conn = make_raw()
    # Redis 6.2 refuses a connection before its transport handshake: over plain TCP it writes
    # the error first; over TLS nothing can be written yet and the connection just closes
    expected = b"" if target_server.tls else b"-ERR max number of clients reached\r\n"
    assert conn.read_until_closed(5) == expected
    assert ex(r2, "PING") == b"PONG"


# --------------------------------------------------------------------------- output buffer limits


def test_output_limit_normal_hard(config, make_raw, r2):
    ex(r2, "SET", "big", b"x" * 200000)
    config("client-output-buffer-limit", "normal 100000 0 0")
    conn = make_raw()
    assert conn.cmd("GET", "small") == b"$-1\r\n"
    conn.send(resp_encode("GET", "big"))
    assert conn.read_until_closed(5) == b""
    assert ex(r2, "STRLEN", "big") == 200000


def test_output_limit_normal_below_hard(config, make_raw, r2):
    ex(r2, "SET", "mid", b"y" * 50000)
    config("client-output-buffer-limit", "normal 100000 0 0")
    conn = make_raw()
    assert conn.cmd("GET", "mid") == b"$50000\r\n" + b"y" * 50000 + b"\r\n"


def _silent_subscriber(slow_reader, channel: str) -> int:
    """A connection subscribed to ``channel`` that reads nothing more; its client id."""
    sub = slow_reader()
    sub_id = int(sub.cmd("CLIENT", "ID")[1:-2])
    sub.cmd("SUBSCRIBE", channel)
    return sub_id


def _omem(client_list_line: bytes) -> int:
    return int(client_list_line.split(b" omem=")[1].split(b" ")[0])


def _publish_until_dropped(publisher, channel, payload, limit=200):
    for i in range(limit):
        if ex(publisher, "PUBLISH", channel, payload) == 0:
            return i
    raise AssertionError("the subscriber was never disconnected")


def test_output_limit_pubsub_hard(config, make_client, slow_reader):
    config("client-output-buffer-limit", "pubsub 1000000 0 0")
    pub = make_client()
    sub = slow_reader()
    assert sub.cmd("SUBSCRIBE", "flood") == b"*3\r\n$9\r\nsubscribe\r\n$5\r\nflood\r\n:1\r\n"
    sent = _publish_until_dropped(pub, "flood", b"m" * 500000)
    assert sent >= 2
    received = closed_or_reset(sub)
    assert len(received) < sent * 500000


def test_output_limit_pubsub_soft(config, make_client, slow_reader, r2):
    config("client-output-buffer-limit", "pubsub 0 1000000 1")
    pub = make_client()
    sub_id = _silent_subscriber(slow_reader, "soft")
    # fill its buffer past the soft limit: over it, but not for long enough yet
    for _ in range(200):
        assert ex(pub, "PUBLISH", "soft", b"s" * 500000) == 1
        if _omem(ex(r2, "CLIENT", "LIST", "ID", sub_id)) >= 1000000:
            break
    else:
        raise AssertionError("the subscriber's output buffer never grew")
    t0 = time.monotonic()
    assert ex(pub, "PUBLISH", "soft", b"s" * 1000) == 1
    assert sub_id in client_ids(r2, "TYPE", "pubsub")
    # over the soft limit for more than a second: closed, even with nothing more published
    wait_for(lambda: sub_id not in client_ids(r2), timeout=5, what="the subscriber to be closed")
    assert time.monotonic() - t0 >= 0.9
    assert ex(pub, "PUBLISH", "soft", b"x") == 0


def test_output_limit_killed_client_keeps_its_omem_until_gone(config, make_client, slow_reader, r2):
    # unit/obuf-limits "Client output buffer hard limit is enforced": a subscriber that does
    # not read, small messages one at a time; the last CLIENT LIST that still shows it (it is
    # listed until the server frees it) shows the output buffer that got it killed
    config("client-output-buffer-limit", "pubsub 100000 0 0")
    pub = make_client()
    sub_id = _silent_subscriber(slow_reader, "foo")
    omem = 0
    for _ in range(200000):
        ex(pub, "PUBLISH", "foo", "bar")
        line = ex(r2, "CLIENT", "LIST", "ID", sub_id)
        if not line:
            break
        omem = _omem(line)
        if omem > 200000:
            break
    else:
        raise AssertionError("the subscriber was never disconnected")
    assert 70000 <= omem < 200000


def test_output_limit_setting_merges_classes(config, r2):
    config("client-output-buffer-limit", "pubsub 1000000 0 0")
    config("client-output-buffer-limit", "normal 5000000 0 0")
    assert ex(r2, "CONFIG", "GET", "client-output-buffer-limit")[1] == (
        b"normal 5000000 0 0 slave 268435456 67108864 60 pubsub 1000000 0 0")


# --------------------------------------------------------------------------- timeout


def test_idle_timeout_closes_clients(config, make_raw, r2):
    config("timeout", "1")
    idle = make_raw()
    blocked = make_raw()
    blocked_id = int(blocked.cmd("CLIENT", "ID")[1:-2])
    blocked.send(resp_encode("BLPOP", "never", "0"))
    sub = make_raw()
    sub_id = int(sub.cmd("CLIENT", "ID")[1:-2])
    sub.cmd("SUBSCRIBE", "quiet")
    idle_id = int(idle.cmd("CLIENT", "ID")[1:-2])
    t0 = time.monotonic()
    while True:
        ex(r2, "PING")  # r2 stays busy, so open
        try:
            assert idle.read_until_closed(0.3) == b""
            break
        except AssertionError:
            if time.monotonic() - t0 > 6:
                raise
    assert time.monotonic() - t0 >= 1.0
    ids = client_ids(r2)
    assert idle_id not in ids
    assert blocked_id in ids and sub_id in ids


def test_timeout_zero_never_closes(config, make_raw):
    config("timeout", "0")
    conn = make_raw()
    conn.assert_silent(1.2)
    assert conn.cmd("PING") == b"+PONG\r\n"


# --------------------------------------------------------------------------- framing quirks


@pytest.mark.parametrize(
    "data, replies",
    [(b"*1\rX$4\rYPING\r\n", [b"+PONG\r\n"]),                  # the byte after \r is skipped
     (b"*1\r\n$4\r\nPINGxx", [b"+PONG\r\n"]),                  # the CRLF after a payload too
     (b"*-5\r\n*0\r\n*1\r\n$4\r\nPING\r\n", [b"+PONG\r\n"]),
     (b"ECHO a\x0bb\r\n", [b"$3\r\na\x0bb\r\n"]),
     (b"$3\r\nfoo\r\n", [b"-ERR unknown command `$3`, with args beginning with: \r\n",
                         b"-ERR unknown command `foo`, with args beginning with: \r\n"]),
     (b"*1\r\n$4\r\nPING\r\n~1\r\n", [b"+PONG\r\n", b"-ERR unknown command `~1`, with args beginning with: \r\n"]),
     (b"*1\r\n$4\r\nPING\r\n_\r\n", [b"+PONG\r\n", b"-ERR unknown command `_`, with args beginning with: \r\n"])],
    ids=["cr-any", "payload-crlf", "empty-frames", "vt-inside-arg", "dollar-inline", "resp3-set", "resp3-null"],
)
def test_framing_quirks(raw, data, replies):
    raw.send(data)
    assert raw.recv_replies(len(replies)) == replies
    assert raw.cmd("PING") == b"+PONG\r\n"


@pytest.mark.parametrize(
    "data",
    [b"PING\x00\r\n", b"*1\x00\r\n$4\r\nPING\r\n", b"*1\r\n$4\x00\r\nPING\r\n", b"*1\r\nfoo",
     b"*1048576\r\n", b"*1\r\n$536870912\r\n"],
    ids=["inline-nul", "count-nul", "bulk-nul", "dollar-pending", "max-count", "max-bulk"],
)
def test_requests_that_wait_for_more(raw, r2, data):
    raw.send(data)
    raw.assert_silent(0.3)
    assert ex(r2, "PING") == b"PONG"


@pytest.mark.parametrize(
    "data, message",
    [(b"*1\r\n\xff\r\n", b"expected '$', got '\xff'"),
     (b"*1\r\n\r\n", b"expected '$', got ' '"),
     (b"*01\r\n", b"invalid multibulk length"),
     (b"*+1\r\n", b"invalid multibulk length"),
     (b"*1\r\n$+4\r\nPING\r\n", b"invalid bulk length"),
     (b"*1\r\n$04\r\nPING\r\n", b"invalid bulk length"),
     (b"*2\r\n$4\r\nECHO\r\n*1\r\n$1\r\nx\r\n", b"expected '$', got '*'"),
     (b"*1\r\n$-1\r\n", b"invalid bulk length")],
    ids=["byte-ff", "cr", "count-leading-zero", "count-plus", "bulk-plus", "bulk-leading-zero", "nested",
         "null-bulk"],
)
def test_protocol_error_texts(raw, data, message):
    raw.send(data)
    assert raw.read_until_closed(5) == b"-ERR Protocol error: " + message + b"\r\n"


def test_huge_multibulk_count_is_refused_quickly(make_raw, r2):
    conns = [make_raw() for _ in range(5)]
    t0 = time.monotonic()
    for conn in conns:
        conn.send(b"*2999999999\r\n")
    for conn in conns:
        assert conn.read_until_closed(5) == b"-ERR Protocol error: invalid multibulk length\r\n"
    assert ex(r2, "PING") == b"PONG"
    assert time.monotonic() - t0 < 2.0


def test_split_frames_at_every_byte(raw):
    data = resp_encode("SET", "split", "a\r\nb") + b"GET split\r\n" + resp_encode("ECHO", "")
    for i in range(len(data)):
        raw.send(data[i:i + 1])
    assert raw.recv_replies(3) == [b"+OK\r\n", b"$4\r\na\r\nb\r\n", b"$0\r\n\r\n"]


def test_frame_with_many_arguments_in_small_pieces(raw):
    data = resp_encode("RPUSH", "many", *([b"x"] * 50000))
    for i in range(0, len(data), 1000):
        raw.send(data[i:i + 1000])
    assert raw.recv_reply(timeout=10) == b":50000\r\n"


# --------------------------------------------------------------------------- huge random replies


@pytest.mark.parametrize("setup, command", [
    (("HSET", "obuf:h", "a", "b"), ("HRANDFIELD", "obuf:h", -999999999)),
    (("HSET", "obuf:h", "a", "b"), ("HRANDFIELD", "obuf:h", -999999999, "WITHVALUES")),
    (("SADD", "obuf:s", "a"), ("SRANDMEMBER", "obuf:s", -999999999)),
    (("ZADD", "obuf:z", 1, "a"), ("ZRANDMEMBER", "obuf:z", -999999999)),
    (("ZADD", "obuf:z", 1, "a"), ("ZRANDMEMBER", "obuf:z", -999999999, "WITHSCORES")),
])
def test_huge_random_reply_stopped_by_output_limit(config, make_raw, r2, setup, command):
    """A billion picks with repetition: the client passes its output buffer limit early and is
    closed mid-reply; the server neither builds the reply nor stops serving others."""
    config("client-output-buffer-limit", "normal 1000000 0 0")
    ex(r2, *setup)
    conn = make_raw()
    t0 = time.monotonic()
    conn.send(resp_encode(*command))
    data = conn.read_until_closed(30)
    assert len(data) < 50_000_000
    assert time.monotonic() - t0 < 30
    assert ex(r2, "PING") == b"PONG"


def test_large_random_reply_within_limit_is_complete(r2, make_raw):
    ex(r2, "SADD", "obuf:s2", "a")
    conn = make_raw()
    conn.send(resp_encode("SRANDMEMBER", "obuf:s2", -20000))
    first = conn.recv_reply(30)
    assert first.startswith(b"*20000\r\n")
    assert first.count(b"$1\r\na\r\n") == 20000


def test_large_random_reply_in_exec_and_scripts(r2):
    ex(r2, "SADD", "obuf:s3", "a")
    ex(r2, "HSET", "obuf:h3", "f", "v")
    ex(r2, "ZADD", "obuf:z3", 1, "m")
    ex(r2, "MULTI")
    ex(r2, "SRANDMEMBER", "obuf:s3", -10000)
    ex(r2, "HRANDFIELD", "obuf:h3", -10000, "WITHVALUES")
    ex(r2, "ZRANDMEMBER", "obuf:z3", -10000, "WITHSCORES")
    s, h, z = ex(r2, "EXEC")
    assert s == [b"a"] * 10000
    assert h == [b"f", b"v"] * 10000
    assert z == [b"m", b"1"] * 10000
    assert ex(r2, "EVAL", "return #redis.call('srandmember', KEYS[1], -10000)", 1, "obuf:s3") == 10000
    assert ex(r2, "EVAL", "return #redis.call('hrandfield', KEYS[1], -10000, 'withvalues')", 1, "obuf:h3") == 20000


def test_large_random_reply_resp3(make_client):
    c = make_client(protocol=3)
    ex(c, "HSET", "obuf:h4", "f", "v")
    assert ex(c, "HRANDFIELD", "obuf:h4", -9000, "WITHVALUES") == [[b"f", b"v"]] * 9000


def test_output_limit_pipeline_with_writes_gets_no_reply(config, make_raw, r2):
    # the replies of writes (held until durable on Perdure) count toward the limit too
    ex(r2, "SET", "obuf-big", b"x" * 10000)
    config("client-output-buffer-limit", "normal 100000 0 0")
    conn = make_raw()
    assert conn.cmd("CLIENT", "SETNAME", "obuf-pipeline") == b"+OK\r\n"
    pipeline = b""
    for i in range(15):
        pipeline += resp_encode("SET", "obuf%d" % i, i) + resp_encode("GET", "obuf%d" % i)
        pipeline += resp_encode("DEL", "obuf%d" % i) + resp_encode("GET", "obuf-big")
    conn.send(pipeline)
    assert conn.read_until_closed(5) == b""
    assert b"name=obuf-pipeline" not in ex(r2, "CLIENT", "LIST")


@pytest.mark.parametrize("seq", [b"\x00", b"*\x00", b"$\x00"])
def test_protocol_desync_closes_while_client_keeps_sending(make_raw, seq):
    """unit/protocol "Protocol desync regression": a client that never sends a newline and
    never stops sending is answered with a protocol error and disconnected soon, not kept
    waiting for it to finish a TLS shutdown it never answers."""
    conn = make_raw()
    conn.send(seq)
    t0 = time.monotonic()
    closed = False
    while time.monotonic() - t0 < 15:
        try:
            conn.send(b"payload" * 100)
        except OSError:
            closed = True
            break
    assert closed
