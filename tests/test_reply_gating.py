"""Reply gating in-process, with a log whose durable offset moves only when the test says so.

A reply must not reveal a write that is not durable yet: a read of a key whose write is still in
flight waits for it, and so does a write that ends up changing nothing (``SET NX`` on that key:
its reply shows that the key exists).  A write that logs waits for its own, later record.
"""

from __future__ import annotations

from perdure.server.app import Server
from perdure.server.config import Config
from perdure.server.protocol import RedisProtocol


class Transport:
    def __init__(self):
        self.data = bytearray()

    def write(self, data):
        self.data += data

    def get_extra_info(self, name):
        return ("127.0.0.1", 1)

    def get_write_buffer_size(self):
        return 0

    def is_closing(self):
        return False

    def close(self):
        pass

    def pause_reading(self):
        pass

    def resume_reading(self):
        pass


class ManualLog:
    def __init__(self):
        self.appended = self.durable = self.handed = 0
        self.failed = None

    def append(self, data):
        self.appended += len(data)
        return self.appended

    def batch_empty(self):
        return True


def req(*args) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def setup():
    srv = Server(Config())
    srv.log = ManualLog()
    clients = []
    for _ in range(2):
        p = RedisProtocol(srv)
        t = Transport()
        p.connection_made(t)
        clients.append((p, t))
    return srv, clients


def hand_over(srv):
    """The batch formed so far goes to the (imaginary) worker: later appends form the next."""
    srv.log.handed = srv.log.appended


def make_durable(srv):
    srv.log.durable = srv.log.handed = srv.log.appended
    srv._on_durable(srv.log.durable)


def test_reads_and_no_op_writes_wait_for_the_pending_write_of_their_key():
    srv, [(a, ta), (b, tb)] = setup()
    a.data_received(req(b"SET", b"k", b"v"))
    assert ta.data == b""  # not durable yet
    b.data_received(req(b"SET", b"k", b"w", b"NX") + req(b"GET", b"k") + req(b"EXISTS", b"k"))
    assert tb.data == b""  # each reply shows k exists: held
    make_durable(srv)
    assert ta.data == b"+OK\r\n"
    assert tb.data == b"$-1\r\n$1\r\nv\r\n:1\r\n"


def test_unrelated_keys_do_not_wait_and_logged_writes_wait_for_their_own_record():
    srv, [(a, ta), (b, tb)] = setup()
    a.data_received(req(b"SET", b"k", b"v"))
    b.data_received(req(b"GET", b"other") + req(b"SET", b"other", b"x", b"XX"))
    assert tb.data == b"$-1\r\n$-1\r\n"  # nothing pending on "other": answered at once
    b.data_received(req(b"SET", b"k2", b"x"))
    assert tb.data == b"$-1\r\n$-1\r\n"  # its own record is not durable
    make_durable(srv)
    assert tb.data == b"$-1\r\n$-1\r\n+OK\r\n" and ta.data == b"+OK\r\n"
    b.data_received(req(b"SET", b"k", b"w", b"NX"))  # nothing pending any more
    assert tb.data.endswith(b"+OK\r\n$-1\r\n")


def test_replies_of_one_forming_batch_share_a_segment_and_keep_their_order():
    srv, [(a, ta), (b, tb)] = setup()
    a.data_received(req(b"SET", b"x", b"1") + req(b"SET", b"y", b"2"))
    assert len(a.client.held) == 1  # both records are in the batch still forming
    hand_over(srv)
    a.data_received(req(b"SET", b"z", b"3"))  # the next batch: its own segment
    assert len(a.client.held) == 2
    srv.log.durable = srv.log.handed  # the first batch is durable, the second not yet
    srv._on_durable(srv.log.durable)
    assert ta.data == b"+OK\r\n+OK\r\n"
    make_durable(srv)
    assert ta.data == b"+OK\r\n+OK\r\n+OK\r\n" and not a.client.held
