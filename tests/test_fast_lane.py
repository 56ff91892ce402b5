"""dispatch.process's fast lane: a connection skips the rare-condition checks only while none of
them could apply (``Server.update_lane``, ``dispatch._adopt_lane``).

Each test puts a connection on the fast lane, then turns one condition on (usually from another
connection) and checks that the very next command of the first one gets the full treatment: a
stale lane would be an ACL bypass, a write past maxmemory, a lost MULTI...  ``check_lanes``
asserts the invariant itself after every request.
"""

from __future__ import annotations

import pytest

from perdure.server.app import Server
from perdure.server.config import Config
from perdure.server.protocol import RedisProtocol
from perdure.server.registry import COMMANDS

from .test_reply_gating import ManualLog, Transport, req


def check_lanes(srv):
    """No connection holds the lane token while something it must not skip holds."""
    lane = srv.lane
    special = (srv.loading or srv.cluster is not None or srv.maxmemory or srv.pause_type
               or srv.lua_timedout or srv.log_failed or srv.monitors)
    assert (lane is None) == bool(special)
    for c in srv.clients.values():
        if lane is not None and c.lane is lane:
            user = c.user
            assert c.authenticated and (user is None or user.unrestricted)
            assert c.multi is None and not c.pubsub_channels and not c.pubsub_patterns
            assert c.tracking is None and not c.reply_mode and c.blocked is None and not c.monitor


class Conn:
    def __init__(self, srv):
        self.srv = srv
        self.p = RedisProtocol(srv)
        self.t = Transport()
        self.p.connection_made(self.t)
        self.c = self.p.client

    def __call__(self, *args) -> bytes:
        """Send one request; return what was written for it."""
        n = len(self.t.data)
        self.p.data_received(req(*args))
        check_lanes(self.srv)
        return bytes(self.t.data[n:])

    @property
    def fast(self) -> bool:
        return self.srv.lane is not None and self.c.lane is self.srv.lane


@pytest.fixture
def srv():
    s = Server(Config())
    s.log = ManualLog()
    return s


def make_durable(srv):
    srv.log.durable = srv.log.handed = srv.log.appended
    srv._on_durable(srv.log.durable)


def fast_conn(srv) -> Conn:
    a = Conn(srv)
    assert not a.fast  # a new connection is checked once first
    assert a(b"PING") == b"+PONG\r\n"
    assert a.fast
    return a


def test_plain_connection_takes_the_fast_lane_and_replies_as_before(srv):
    a = fast_conn(srv)
    assert a(b"SET", b"k", b"v") == b""  # gated on the log, as before
    make_durable(srv)
    assert a(b"GET", b"k") == b"$1\r\nv\r\n"
    assert a(b"GET", b"k", b"x") == b"-ERR wrong number of arguments for 'get' command\r\n"
    assert a(b"INCR", b"k") == b"-ERR value is not an integer or out of range\r\n"
    assert a(b"NOSUCH") .startswith(b"-ERR unknown command `NOSUCH`")
    assert a.fast


def test_commands_that_change_connection_or_server_state_break_the_lane():
    for name in ("auth", "hello", "multi", "exec", "subscribe", "psubscribe", "client", "acl",
                 "config", "monitor", "debug", "reset", "eval", "evalsha", "script", "blpop",
                 "watch", "shutdown"):
        assert COMMANDS[name].breaks_lane, name
    for name in ("get", "set", "incr", "lpush", "hset", "ping", "publish", "mset"):
        assert not COMMANDS[name].breaks_lane, name


def test_acl_restriction_of_the_default_user_applies_at_once(srv):
    a = fast_conn(srv)
    b = Conn(srv)
    assert b(b"ACL", b"SETUSER", b"default", b"-get") == b"+OK\r\n"
    assert not a.fast
    assert a(b"GET", b"k").startswith(b"-NOPERM ")
    assert a(b"SET", b"k", b"v") == b""  # still allowed
    assert not a.fast  # a restricted user never takes the fast lane


def test_auth_as_a_restricted_user(srv):
    a = fast_conn(srv)
    assert a(b"ACL", b"SETUSER", b"bob", b"on", b">pw", b"+ping", b"+auth") == b"+OK\r\n"
    assert a(b"AUTH", b"bob", b"pw") == b"+OK\r\n"
    assert a(b"GET", b"k").startswith(b"-NOPERM ")
    assert not a.fast


def test_requirepass_new_connections_must_authenticate(srv):
    a = fast_conn(srv)
    assert a(b"CONFIG", b"SET", b"requirepass", b"pw") == b"+OK\r\n"
    b = Conn(srv)
    assert b(b"GET", b"k") == b"-NOAUTH Authentication required.\r\n"
    assert b(b"GET", b"k") == b"-NOAUTH Authentication required.\r\n"
    assert b(b"AUTH", b"pw") == b"+OK\r\n"
    assert b(b"GET", b"k") == b"$-1\r\n"
    assert b.fast


def test_multi_queues(srv):
    a = fast_conn(srv)
    assert a(b"MULTI") == b"+OK\r\n"
    assert a(b"GET", b"k") == b"+QUEUED\r\n"
    assert a(b"INCR", b"n") == b"+QUEUED\r\n"
    assert not a.fast
    a(b"EXEC")
    make_durable(srv)
    assert a.t.data.endswith(b"*2\r\n$-1\r\n:1\r\n")
    a(b"PING")
    assert a.fast


def test_maxmemory_refuses_writes(srv):
    a = fast_conn(srv)
    b = Conn(srv)
    assert b(b"CONFIG", b"SET", b"maxmemory-policy", b"noeviction") == b"+OK\r\n"
    assert b(b"CONFIG", b"SET", b"maxmemory", b"1") == b"+OK\r\n"
    assert srv.lane is None
    assert a(b"SET", b"k", b"v") == b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
    assert b(b"CONFIG", b"SET", b"maxmemory", b"0") == b"+OK\r\n"
    a(b"PING")
    assert a.fast


def test_client_pause_holds_writes(srv):
    a = fast_conn(srv)
    b = Conn(srv)
    assert b(b"CLIENT", b"PAUSE", b"100000", b"WRITE") == b"+OK\r\n"
    assert a(b"GET", b"k") == b"$-1\r\n"
    assert a(b"SET", b"k", b"v") == b""  # held back by the pause, not run
    assert srv.dbs[0].data.get(b"k") is None
    b(b"CLIENT", b"UNPAUSE")  # (no event loop here: the held SET runs inside UNPAUSE)
    make_durable(srv)
    assert srv.dbs[0].data.get(b"k") == b"v"
    assert b.t.data.endswith(b"+OK\r\n+OK\r\n") and a.t.data.endswith(b"$-1\r\n+OK\r\n")


def test_subscribed_resp2_connection_is_restricted(srv):
    a = fast_conn(srv)
    assert a(b"SUBSCRIBE", b"ch").startswith(b"*3\r\n$9\r\nsubscribe\r\n")
    assert a(b"GET", b"k") == (b"-ERR Can't execute 'get': only (P)SUBSCRIBE / (P)UNSUBSCRIBE / "
                               b"PING / QUIT / RESET are allowed in this context\r\n")
    assert not a.fast


def test_monitor_sees_fast_lane_commands(srv):
    a = fast_conn(srv)
    m = Conn(srv)
    assert m(b"MONITOR") == b"+OK\r\n"
    assert srv.lane is None
    a(b"GET", b"somekey")
    assert b'"GET" "somekey"' in bytes(m.t.data)
    m.p.connection_lost(None)  # the last monitor gone: the lane reopens
    assert srv.lane is not None


def test_client_reply_off_and_skip(srv):
    a = fast_conn(srv)
    assert a(b"CLIENT", b"REPLY", b"OFF") == b""
    assert a(b"GET", b"k") == b""
    assert not a.fast
    assert a(b"CLIENT", b"REPLY", b"ON") == b"+OK\r\n"
    assert a(b"CLIENT", b"REPLY", b"SKIP") == b""
    assert a(b"GET", b"k") == b""
    assert a(b"GET", b"k") == b"$-1\r\n"


def test_tracking_invalidates(srv):
    a = fast_conn(srv)
    b = Conn(srv)
    a(b"HELLO", b"3")
    assert a(b"CLIENT", b"TRACKING", b"ON") == b"+OK\r\n"
    assert not a.fast
    assert a(b"GET", b"k") == b"_\r\n"
    b(b"SET", b"k", b"v")
    make_durable(srv)
    assert b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n" in bytes(a.t.data)


def test_loading_and_log_failure(srv):
    a = fast_conn(srv)
    srv.loading = True
    srv.update_lane()
    assert a(b"GET", b"k") == b"-LOADING Redis is loading the dataset in memory\r\n"
    srv.loading = False
    srv.update_lane()
    assert a(b"GET", b"k") == b"$-1\r\n"
    assert a.fast
    srv.log.failed = "disk on fire"
    make_durable(srv)  # _on_durable notices the failure
    assert srv.lane is None
    assert a(b"SET", b"k", b"v").startswith(b"-MISCONF ")
    assert a(b"GET", b"k") == b"$-1\r\n"


def test_lua_timedout_closes_the_lane(srv):
    srv.lua_timedout = True
    srv.update_lane()
    assert srv.lane is None
    a = Conn(srv)
    a(b"PING")
    assert not a.fast
