"""CLIENT TRACKING (server-assisted client-side caching) as Redis 6.2.14 does it.

Default mode (keys remembered after read-only commands, one ``invalidate`` per change), OPTIN /
OPTOUT with CLIENT CACHING, BCAST with prefixes (one sorted batch per prefix per event-loop
turn), NOLOOP, REDIRECT (RESP3 pushes, or ``__redis__:invalidate`` messages for a RESP2
subscriber), broken redirections, FLUSHDB / FLUSHALL null invalidations, the option errors,
CLIENT TRACKINGINFO / GETREDIR / CACHING / LIST, INFO fields and tracking-table-max-keys.

Everything is checked byte for byte on raw connections: invalidations are RESP3 pushes.
(redis-py's own client-side cache refuses servers older than 7.4, so it cannot be used here.)
"""

from __future__ import annotations

import time

import pytest

from .helpers import err, ex, resp_encode


def bulk(b) -> bytes:
    if isinstance(b, str):
        b = b.encode()
    return b"$%d\r\n%s\r\n" % (len(b), b)


def inv(*keys) -> bytes:
    """The RESP3 invalidation push for ``keys``."""
    return b">2\r\n$10\r\ninvalidate\r\n*%d\r\n" % len(keys) + b"".join(bulk(k) for k in keys)


INV_NULL = b">2\r\n$10\r\ninvalidate\r\n_\r\n"


def pubsub_inv(*keys) -> bytes:
    return (b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*%d\r\n" % len(keys)
            + b"".join(bulk(k) for k in keys))


@pytest.fixture
def c3(make_raw):
    """A RESP3 raw connection."""
    c = make_raw()
    assert c.cmd("HELLO", "3").startswith(b"%7\r\n")
    return c


@pytest.fixture
def other(make_raw):
    """A second (RESP2) raw connection that modifies keys."""
    return make_raw()


def client_id(conn) -> int:
    reply = conn.cmd("CLIENT", "ID")
    return int(reply[1:-2])


# --------------------------------------------------------------------------- default mode


def test_invalidate_after_other_client_writes(c3, other):
    assert c3.cmd("CLIENT", "TRACKING", "ON") == b"+OK\r\n"
    assert c3.cmd("GET", "k") == b"_\r\n"
    assert other.cmd("SET", "k", "v") == b"+OK\r\n"
    assert c3.recv_reply() == inv("k")


def test_invalidation_sent_once(c3, other):
    c3.cmd("CLIENT", "TRACKING", "ON")
    c3.cmd("GET", "k")
    other.cmd("SET", "k", "1")
    other.cmd("SET", "k", "2")
    assert c3.recv_reply() == inv("k")
    c3.assert_silent()
    # read again: tracked again
    assert c3.cmd("GET", "k") == b"$1\r\n2\r\n"
    other.cmd("DEL", "k")
    assert c3.recv_reply() == inv("k")


def test_pending_invalidation_arrives_before_next_reply(c3, other):
    c3.cmd("CLIENT", "TRACKING", "ON")
    c3.cmd("GET", "k")
    other.cmd("SET", "k", "w")
    c3.send(resp_encode("GET", "k"))
    assert c3.recv_replies(2) == [inv("k"), b"$1\r\nw\r\n"]


def test_own_write_invalidation_follows_reply(c3):
    c3.cmd("CLIENT", "TRACKING", "ON")
    c3.cmd("GET", "k")
    c3.send(resp_encode("SET", "k", "v"))
    assert c3.recv_replies(2) == [b"+OK\r\n", inv("k")]


def test_own_transaction_invalidations_follow_exec(c3):
    c3.cmd("CLIENT", "TRACKING", "ON")
    c3.send(resp_encode("MGET", "a", "b"))
    assert c3.recv_reply() == b"*2\r\n_\r\n_\r\n"
    c3.cmd("MULTI")
    c3.cmd("SET", "a", "1")
    c3.cmd("SET", "b", "2")
    c3.send(resp_encode("EXEC"))
    assert c3.recv_replies(3) == [b"*2\r\n+OK\r\n+OK\r\n", inv("a"), inv("b")]


def test_noloop_skips_own_writes(c3, other):
    c3.cmd("CLIENT", "TRACKING", "ON", "NOLOOP")
    c3.cmd("GET", "k")
    assert c3.cmd("SET", "k", "2") == b"+OK\r\n"
    c3.assert_silent()
    assert c3.cmd("GET", "k") == b"$1\r\n2\r\n"
    other.cmd("DEL", "k")
    assert c3.recv_reply() == inv("k")


def test_keys_are_tracked_across_databases(c3, other):
    c3.cmd("CLIENT", "TRACKING", "ON")
    c3.cmd("GET", "k")
    other.cmd("SELECT", "5")
    other.cmd("SET", "k", "in-db-5")
    assert c3.recv_reply() == inv("k")


def test_every_key_of_a_multi_key_read(c3, other):
    c3.cmd("CLIENT", "TRACKING", "ON")
    c3.cmd("MGET", "a", "b")
    c3.cmd("EXISTS", "c")
    other.cmd("MSET", "a", "1", "b", "2", "c", "3")
    assert c3.recv_replies(3) == [inv("a"), inv("b"), inv("c")]


def test_read_of_other_types(c3, other):
    c3.cmd("CLIENT", "TRACKING", "ON")
    c3.cmd("HGETALL", "h")
    c3.cmd("SUNION", "s1", "s2")
    c3.cmd("ZRANGE", "z", "0", "-1")
    other.cmd("HSET", "h", "f", "v")
    other.cmd("SADD", "s2", "m")
    other.cmd("ZADD", "z", "1", "m")
    assert c3.recv_replies(3) == [inv("h"), inv("s2"), inv("z")]


def test_write_commands_do_not_track(c3, other):
    c3.cmd("CLIENT", "TRACKING", "ON")
    c3.cmd("INCR", "n")
    c3.cmd("RPUSH", "l", "a")
    other.cmd("SET", "n", "5")
    other.cmd("DEL", "l")
    c3.assert_silent()


def test_failed_read_still_tracks(c3, other):
    other.cmd("RPUSH", "l", "a")
    c3.cmd("CLIENT", "TRACKING", "ON")
    assert c3.cmd("GET", "l").startswith(b"-WRONGTYPE")
    other.cmd("DEL", "l")
    assert c3.recv_reply() == inv("l")


def test_expired_key_is_invalidated(c3, other):
    other.cmd("SET", "e", "v", "PX", "100")
    c3.cmd("CLIENT", "TRACKING", "ON")
    assert c3.cmd("GET", "e") == b"$1\r\nv\r\n"
    assert c3.recv_reply(timeout=5) == inv("e")


def test_flushdb_and_flushall_send_null(c3, other):
    c3.cmd("CLIENT", "TRACKING", "ON")
    other.cmd("FLUSHDB")
    assert c3.recv_reply() == INV_NULL
    other.cmd("FLUSHALL")
    assert c3.recv_reply() == INV_NULL


def test_own_flushall_null_follows_reply(c3):
    c3.cmd("CLIENT", "TRACKING", "ON")
    c3.send(resp_encode("FLUSHALL"))
    assert c3.recv_replies(2) == [b"+OK\r\n", INV_NULL]


def test_flush_forgets_tracked_keys(c3, other):
    c3.cmd("CLIENT", "TRACKING", "ON")
    c3.cmd("GET", "k")
    other.cmd("FLUSHALL")
    assert c3.recv_reply() == INV_NULL
    other.cmd("SET", "k", "v")
    c3.assert_silent()


def test_swapdb_sends_nothing(c3, other):
    c3.cmd("CLIENT", "TRACKING", "ON")
    c3.cmd("GET", "k")
    other.cmd("SWAPDB", "0", "1")
    c3.assert_silent()


def test_tracking_off_stops_messages(c3, other):
    c3.cmd("CLIENT", "TRACKING", "ON")
    c3.cmd("GET", "k")
    assert c3.cmd("CLIENT", "TRACKING", "OFF") == b"+OK\r\n"
    other.cmd("SET", "k", "v")
    other.cmd("FLUSHALL")
    c3.assert_silent()


def test_resp2_without_redirect_gets_nothing(make_raw, other):
    c = make_raw()
    assert c.cmd("CLIENT", "TRACKING", "ON") == b"+OK\r\n"
    c.cmd("GET", "k")
    other.cmd("SET", "k", "v")
    assert c.cmd("PING") == b"+PONG\r\n"


def test_script_reads_are_tracked_for_the_caller(c3, other):
    c3.cmd("CLIENT", "TRACKING", "ON")
    assert c3.cmd("EVAL", "return redis.call('get', KEYS[1])", "1", "sk") == b"_\r\n"
    other.cmd("SET", "sk", "v")
    assert c3.recv_reply() == inv("sk")


def test_script_read_tracks_the_scripts_declared_keys(c3, other):
    """A read inside a script remembers the keys of the caller's EVAL (its KEYS), not the key
    the read named: Redis 6.2's trackingRememberKeys(caller) gets the keys of caller->cmd and
    caller->argv.  A script that only writes, or declares no keys, remembers nothing."""
    c3.cmd("CLIENT", "TRACKING", "ON")
    assert c3.cmd("EVAL", "return redis.call('get', ARGV[1])", "1", "declared", "read") == b"_\r\n"
    assert c3.cmd("EVAL", "return redis.call('exists', 'lit')", "0") == b":0\r\n"
    assert c3.cmd("EVAL", "return redis.call('set', KEYS[1], 'x')", "1", "written") == b"+OK\r\n"
    other.cmd("MSET", "read", "1", "lit", "1", "written", "1")
    c3.assert_silent()
    other.cmd("SET", "declared", "1")
    assert c3.recv_reply() == inv("declared")


# --------------------------------------------------------------------------- OPTIN / OPTOUT


def test_optin_tracks_only_after_caching_yes(c3, other):
    c3.cmd("CLIENT", "TRACKING", "ON", "OPTIN")
    c3.cmd("GET", "k1")
    c3.cmd("CLIENT", "CACHING", "YES")
    c3.cmd("GET", "k2")
    c3.cmd("GET", "k3")
    other.cmd("MSET", "k1", "1", "k2", "2", "k3", "3")
    assert c3.recv_reply() == inv("k2")
    c3.assert_silent()


def test_optin_caching_survives_client_commands(c3, other):
    c3.cmd("CLIENT", "TRACKING", "ON", "OPTIN")
    c3.cmd("CLIENT", "CACHING", "YES")
    c3.cmd("CLIENT", "ID")
    c3.cmd("GET", "k4")
    c3.cmd("CLIENT", "CACHING", "YES")
    c3.cmd("PING")
    c3.cmd("GET", "k5")
    other.cmd("MSET", "k4", "1", "k5", "1")
    assert c3.recv_reply() == inv("k4")
    c3.assert_silent()


@pytest.mark.parametrize("refused,kept", [
    (("GET",), False),              # wrong arity
    (("NOSUCHCMD", "k"), False),    # unknown command
    (("CLIENT",), True),            # wrong arity, but CLIENT's (resetClient spares CLIENT)
    (("CLIENT", "NOSUCH"), True),
])
def test_optin_caching_ends_with_a_refused_command(c3, other, refused, kept):
    """CLIENT CACHING yes lasts for the next command even if that command is refused: Redis's
    resetClient runs after it all the same (and keeps the flag only after a CLIENT command)."""
    c3.cmd("CLIENT", "TRACKING", "ON", "OPTIN")
    c3.cmd("CLIENT", "CACHING", "YES")
    assert c3.cmd(*refused).startswith(b"-ERR ")
    flags = b"~3\r\n$2\r\non\r\n$5\r\noptin\r\n$11\r\ncaching-yes\r\n" if kept else b"~2\r\n$2\r\non\r\n$5\r\noptin\r\n"
    assert c3.cmd("CLIENT", "TRACKINGINFO") == (
        b"%3\r\n$5\r\nflags\r\n" + flags + b"$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n")
    c3.cmd("GET", "k")
    other.cmd("SET", "k", "1")
    if kept:
        assert c3.recv_reply() == inv("k")
    else:
        c3.assert_silent()


def test_optin_caching_covers_a_transaction(c3, other):
    c3.cmd("CLIENT", "TRACKING", "ON", "OPTIN")
    c3.cmd("CLIENT", "CACHING", "YES")
    c3.cmd("MULTI")
    c3.cmd("GET", "t1")
    c3.cmd("GET", "t2")
    assert c3.cmd("EXEC") == b"*2\r\n_\r\n_\r\n"
    c3.cmd("GET", "t3")
    other.cmd("MSET", "t1", "1", "t2", "2", "t3", "3")
    assert c3.recv_replies(2) == [inv("t1"), inv("t2")]
    c3.assert_silent()


def test_optout_caching_no_skips_next_read(c3, other):
    c3.cmd("CLIENT", "TRACKING", "ON", "OPTOUT")
    c3.cmd("GET", "o1")
    c3.cmd("CLIENT", "CACHING", "NO")
    c3.cmd("GET", "o2")
    c3.cmd("GET", "o3")
    other.cmd("MSET", "o1", "1", "o2", "1", "o3", "1")
    assert c3.recv_replies(2) == [inv("o1"), inv("o3")]


@pytest.mark.parametrize("mode,arg,error", [
    (None, "YES", "ERR CLIENT CACHING can be called only when the client is in tracking mode with "
                  "OPTIN or OPTOUT mode enabled"),
    ("ON", "YES", "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."),
    ("OPTIN", "NO", "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."),
    ("OPTOUT", "YES", "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."),
    ("OPTIN", "MAYBE", "ERR syntax error"),
])
def test_client_caching_errors(r2, mode, arg, error):
    if mode == "ON":
        ex(r2, "CLIENT", "TRACKING", "ON")
    elif mode:
        ex(r2, "CLIENT", "TRACKING", "ON", mode)
    assert err(r2, "CLIENT", "CACHING", arg) == error


# --------------------------------------------------------------------------- BCAST


def test_bcast_without_prefix_sees_every_key(c3, other):
    c3.cmd("CLIENT", "TRACKING", "ON", "BCAST")
    other.cmd("SET", "anything", "1")
    assert c3.recv_reply() == inv("anything")


def test_bcast_batches_sorted_per_prefix(c3, other):
    assert c3.cmd("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "b") == b"+OK\r\n"
    other.cmd("MSET", "a1", "1", "b2", "2", "a0", "3", "zz", "1")
    assert c3.recv_replies(2) == [inv("a0", "a1"), inv("b2")]
    c3.assert_silent()


def test_bcast_does_not_need_reads(c3, other):
    c3.cmd("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:")
    other.cmd("HSET", "user:1", "name", "x")
    assert c3.recv_reply() == inv("user:1")
    other.cmd("HSET", "user:1", "name", "y")
    assert c3.recv_reply() == inv("user:1")


def test_bcast_noloop(c3, other):
    c3.cmd("CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP")
    c3.cmd("SET", "q", "1")
    other.cmd("SET", "w", "1")
    assert c3.recv_reply() == inv("w")
    c3.assert_silent()


def test_bcast_noloop_still_sees_its_own_script_writes(c3):
    """A BCAST key's last modifier is the client whose command changed it: for a script, the
    Lua client, so NOLOOP does not hide a script's writes from the BCAST client that ran it
    (its plain and MULTI writes are hidden).  In default mode NOLOOP compares the caller."""
    c3.cmd("CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP")
    c3.send(resp_encode("EVAL", "redis.call('set', 'a', '1') return 1", "0"))
    assert c3.recv_replies(2) == [b":1\r\n", inv("a")]
    assert c3.cmd("SET", "b", "1") == b"+OK\r\n"
    c3.cmd("MULTI")
    c3.cmd("SET", "c", "1")
    assert c3.cmd("EXEC") == b"*1\r\n+OK\r\n"
    assert c3.cmd("PING") == b"+PONG\r\n"
    c3.cmd("CLIENT", "TRACKING", "OFF")
    c3.cmd("CLIENT", "TRACKING", "ON", "NOLOOP")
    c3.cmd("GET", "x")
    assert c3.cmd("EVAL", "redis.call('set', 'x', '1') return 1", "0") == b":1\r\n"
    assert c3.cmd("PING") == b"+PONG\r\n"


def test_bcast_several_clients(make_raw, other):
    conns = []
    for prefix in ("x", "x", "y"):
        c = make_raw()
        c.cmd("HELLO", "3")
        c.cmd("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", prefix)
        conns.append(c)
    other.cmd("MSET", "x1", "1", "y1", "1")
    assert [c.recv_reply() for c in conns] == [inv("x1"), inv("x1"), inv("y1")]


def test_bcast_reads_are_not_remembered(c3, other):
    c3.cmd("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "p")
    c3.cmd("GET", "other")
    other.cmd("SET", "other", "1")
    c3.assert_silent()


def test_bcast_gets_flush_null(c3, other):
    c3.cmd("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "p")
    other.cmd("FLUSHALL")
    assert c3.recv_reply() == INV_NULL


# --------------------------------------------------------------------------- REDIRECT


def test_redirect_to_resp2_subscriber(make_raw, other):
    sub = make_raw()
    sid = client_id(sub)
    assert sub.cmd("SUBSCRIBE", "__redis__:invalidate") == (
        b"*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n")
    c = make_raw()
    assert c.cmd("CLIENT", "TRACKING", "ON", "REDIRECT", str(sid)) == b"+OK\r\n"
    assert c.cmd("CLIENT", "GETREDIR") == b":%d\r\n" % sid
    c.cmd("GET", "r1")
    other.cmd("SET", "r1", "x")
    assert sub.recv_reply() == pubsub_inv("r1")
    other.cmd("FLUSHALL")
    assert sub.recv_reply() == b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n"
    c.assert_silent()


def test_redirect_to_any_subscribed_resp2_client(make_raw, other):
    sub = make_raw()
    sid = client_id(sub)
    sub.cmd("SUBSCRIBE", "unrelated")
    c = make_raw()
    c.cmd("CLIENT", "TRACKING", "ON", "REDIRECT", str(sid))
    c.cmd("GET", "r1")
    other.cmd("SET", "r1", "x")
    assert sub.recv_reply() == pubsub_inv("r1")


def test_redirect_to_unsubscribed_resp2_client_gets_nothing(make_raw, other):
    target = make_raw()
    tid = client_id(target)
    c = make_raw()
    c.cmd("CLIENT", "TRACKING", "ON", "REDIRECT", str(tid))
    c.cmd("GET", "r3")
    other.cmd("SET", "r3", "1")
    assert target.cmd("PING") == b"+PONG\r\n"


def test_redirect_to_resp3_client(make_raw, c3, other):
    tid = client_id(c3)
    c = make_raw()
    c.cmd("CLIENT", "TRACKING", "ON", "REDIRECT", str(tid))
    c.cmd("GET", "r4")
    other.cmd("SET", "r4", "1")
    assert c3.recv_reply() == inv("r4")


def test_clients_of_a_key_are_walked_in_rax_order_of_their_ids(make_raw, c3, other):
    """The ids remembered for a key live in a rax keyed by each id's 8 bytes in memory order
    (little endian): when the key changes, the clients are sent their messages in that order,
    not in the order they read the key.  Seen on one receiver: c3 redirects to a client that is
    gone (it gets tracking-redir-broken itself), c2 redirects to c3."""
    c2, gone = make_raw(), make_raw()
    id3, id2, idg = client_id(c3), client_id(c2), client_id(gone)
    c3.cmd("CLIENT", "TRACKING", "ON", "REDIRECT", str(idg))
    c2.cmd("CLIENT", "TRACKING", "ON", "REDIRECT", str(id3))
    other.cmd("CLIENT", "KILL", "ID", str(idg))
    c2.cmd("GET", "k")  # c2 reads it first
    c3.cmd("GET", "k")
    other.cmd("SET", "k", "1")
    broken = b">2\r\n$21\r\ntracking-redir-broken\r\n:%d\r\n" % idg
    first3 = id3.to_bytes(8, "little") < id2.to_bytes(8, "little")
    assert c3.recv_replies(2) == ([broken, inv("k")] if first3 else [inv("k"), broken])


def _until_pong(conn) -> bytes:
    """Everything ``conn`` receives up to the reply of a PING sent after it (not included)."""
    conn.send(resp_encode("PING"))
    data = b""
    while not data.endswith(b"+PONG\r\n"):
        data += conn.recv_reply()
    return data[:-len(b"+PONG\r\n")]


@pytest.mark.parametrize("setup,command,order", [
    ((), ("SET", "k", "v"), "PR"),                       # signalModifiedKey, then the reply
    ((), ("HSET", "k2", "f", "v"), "RP"),                # the reply first (addReply, then signal)
    ((), ("SET", "k", "v", "GET"), "RP"),
    (("RPUSH", "k2", "a"), ("LPOP", "k2"), "RP"),
    (("RPUSH", "k2", "a"), ("LMOVE", "k2", "k", "LEFT", "LEFT"), "PRP"),  # destination, reply, source
    (("SET", "k", "v"), ("EXPIRE", "k", "100"), "RP"),  # a TTL: after the reply
    (("SET", "k", "v"), ("EXPIRE", "k", "0"), "PR"),    # deleted: before it
    (("ZADD", "k2", "1", "a"), ("ZPOPMIN", "k2"), "I"),  # inside the array, after its header
])
@pytest.mark.parametrize("tracking", [True, False], ids=["tracking", "not-tracking"])
def test_invalidation_redirected_to_the_writer_sits_where_redis_signals(make_raw, c3, setup, command, order,
                                                                       tracking):
    """Another tracker redirects to c3 (tracking itself or not), and c3's own command changes the key:
    Redis writes the message into c3's output where the command calls signalModifiedKey, before
    or after its reply depending on the command; inside EXEC, at the same place in the
    command's element of the array."""
    other = make_raw()
    if tracking:
        c3.cmd("CLIENT", "TRACKING", "ON")
    other.cmd("CLIENT", "TRACKING", "ON", "REDIRECT", str(client_id(c3)))
    streams = []
    for in_exec in (False, True):
        other.cmd("DEL", "k", "k2")
        if setup:
            other.cmd(*setup)
        other.cmd("MGET", "k", "k2")
        if in_exec:
            c3.cmd("MULTI")
            assert c3.cmd(*command) == b"+QUEUED\r\n"
            c3.send(resp_encode("EXEC"))
        else:
            c3.send(resp_encode(*command))
        streams.append(_until_pong(c3))
    top, in_exec = streams
    assert in_exec == b"*1\r\n" + top
    pushes = {"k": inv("k"), "k2": inv("k2")}
    if order == "I":
        assert top == b"*2\r\n" + inv("k2") + b"$1\r\na\r\n,1\r\n"
    else:
        first, last = {"PR": (command[1], None), "RP": (None, command[1]), "PRP": ("k", "k2")}[order]
        body = top
        if first:
            assert body.startswith(pushes[first])
            body = body[len(pushes[first]):]
        if last:
            assert body.endswith(pushes[last])
            body = body[:-len(pushes[last])]
        assert not body.startswith(b">") and b">2\r\n$10\r\ninvalidate" not in body  # the reply alone


def test_redirect_to_self(c3, other):
    me = client_id(c3)
    c3.cmd("CLIENT", "TRACKING", "ON", "REDIRECT", str(me))
    c3.cmd("GET", "r5")
    other.cmd("SET", "r5", "1")
    assert c3.recv_reply() == inv("r5")


def test_broken_redirect(make_raw, c3, other):
    target = make_raw()
    tid = client_id(target)
    c3.cmd("CLIENT", "TRACKING", "ON", "REDIRECT", str(tid))
    target.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and b"id=%d " % tid in other.cmd("CLIENT", "LIST"):
        time.sleep(0.02)
    c3.cmd("GET", "r6")
    other.cmd("SET", "r6", "1")
    assert c3.recv_reply() == b">2\r\n$21\r\ntracking-redir-broken\r\n:%d\r\n" % tid
    assert c3.cmd("CLIENT", "TRACKINGINFO") == (
        b"%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$15\r\nbroken_redirect\r\n$8\r\nredirect\r\n"
        + b":%d\r\n$8\r\nprefixes\r\n*0\r\n" % tid)
    assert b" flags=tR " in c3.cmd("CLIENT", "INFO")


# --------------------------------------------------------------------------- option errors

SYNTAX = "ERR syntax error"


@pytest.mark.parametrize("setup,args,error", [
    ([], ["ON", "PREFIX", "a"], "ERR PREFIX option requires BCAST mode to be enabled"),
    ([], ["ON", "BCAST", "OPTIN"], "ERR OPTIN and OPTOUT are not compatible with BCAST"),
    ([], ["ON", "BCAST", "OPTOUT"], "ERR OPTIN and OPTOUT are not compatible with BCAST"),
    ([], ["ON", "OPTIN", "OPTOUT"], "ERR You can't specify both OPTIN mode and OPTOUT mode"),
    ([], ["ON", "REDIRECT", "999999"], "ERR The client ID you want redirect to does not exist"),
    ([], ["ON", "REDIRECT", "0"], "ERR The client ID you want redirect to does not exist"),
    ([], ["ON", "REDIRECT", "x"], "ERR value is not an integer or out of range"),
    ([], ["OFF", "REDIRECT", "999999"], "ERR The client ID you want redirect to does not exist"),
    ([], ["ON", "FOO"], SYNTAX),
    ([], ["MAYBE"], SYNTAX),
    ([], ["ON", "REDIRECT"], SYNTAX),
    ([], ["ON", "PREFIX"], SYNTAX),
    ([], ["ON", "BCAST", "PREFIX", "c", "PREFIX", "cd"],
     "ERR Prefix 'c' overlaps with another provided prefix 'cd'. Prefixes for a single client must not overlap."),
    ([], ["ON", "BCAST", "PREFIX", "x", "PREFIX", "y", "PREFIX", "xy"],
     "ERR Prefix 'x' overlaps with another provided prefix 'xy'. Prefixes for a single client must not overlap."),
    ([["ON", "BCAST", "PREFIX", "a"]], ["ON", "BCAST", "PREFIX", "ab"],
     "ERR Prefix 'ab' overlaps with an existing prefix 'a'. Prefixes for a single client must not overlap."),
    ([["ON", "BCAST"]], ["ON", "BCAST", "PREFIX", "p"],
     "ERR Prefix 'p' overlaps with an existing prefix ''. Prefixes for a single client must not overlap."),
    ([["ON"]], ["ON", "BCAST"], "ERR You can't switch BCAST mode on/off before disabling tracking for "
                                "this client, and then re-enabling it with a different mode."),
    ([["ON", "BCAST"]], ["ON"], "ERR You can't switch BCAST mode on/off before disabling tracking for "
                                "this client, and then re-enabling it with a different mode."),
    ([["ON", "OPTIN"]], ["ON", "OPTOUT"], "ERR You can't switch OPTIN/OPTOUT mode before disabling "
                                          "tracking for this client, and then re-enabling it with a "
                                          "different mode."),
])
def test_tracking_option_errors(r2, setup, args, error):
    for s in setup:
        assert ex(r2, "CLIENT", "TRACKING", *s) == b"OK"
    assert err(r2, "CLIENT", "TRACKING", *args) == error


def test_overlap_among_later_prefixes_replies_error_and_ok(c3, other):
    """Redis 6.2.14's checkPrefixCollisionsOrReply returns the index of a prefix that overlaps a
    later one; for any prefix but the first that index reads as success: the error is sent,
    tracking is enabled with every prefix (the duplicate counted once), and +OK follows."""
    c3.send(resp_encode("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "s", "PREFIX", "h", "PREFIX", "h1"))
    assert c3.recv_replies(2) == [
        b"-ERR Prefix 'h' overlaps with another provided prefix 'h1'. Prefixes for a single client "
        b"must not overlap.\r\n", b"+OK\r\n"]
    assert c3.cmd("CLIENT", "TRACKINGINFO") == (
        b"%3\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$5\r\nbcast\r\n$8\r\nredirect\r\n:0\r\n"
        b"$8\r\nprefixes\r\n*3\r\n$1\r\nh\r\n$2\r\nh1\r\n$1\r\ns\r\n")
    other.cmd("SET", "h1x", "1")
    assert c3.recv_replies(2) == [inv("h1x"), inv("h1x")]  # one message per matching prefix
    # an overlap with a prefix the client has is an error only (and the one it names comes
    # first in byte order), as is one of the first provided prefix
    assert c3.cmd("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "q", "PREFIX", "h12") == (
        b"-ERR Prefix 'h12' overlaps with an existing prefix 'h'. Prefixes for a single client "
        b"must not overlap.\r\n")
    assert c3.cmd("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "ab", "PREFIX", "b") == (
        b"-ERR Prefix 'a' overlaps with another provided prefix 'ab'. Prefixes for a single client "
        b"must not overlap.\r\n")
    assert c3.cmd("CLIENT", "TRACKINGINFO").endswith(b"*3\r\n$1\r\nh\r\n$2\r\nh1\r\n$1\r\ns\r\n")


def test_overlap_error_quotes_prefix_bytes_as_c_strings(raw):
    """The prefixes are printed with %s: their bytes as they are (not UTF-8), up to a NUL."""
    assert raw.cmd("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", b"\xff", "PREFIX", b"\xff\x01") == (
        b"-ERR Prefix '\xff' overlaps with another provided prefix '\xff\x01'. Prefixes for a single "
        b"client must not overlap.\r\n")
    assert raw.cmd("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", b"a\x00b", "PREFIX", b"a") == (
        b"-ERR Prefix 'a' overlaps with another provided prefix 'a'. Prefixes for a single "
        b"client must not overlap.\r\n")


def test_overlap_error_and_ok_inside_exec(raw):
    """Inside EXEC both replies are written where the command's one would be: the array says one
    element and a stray +OK follows it."""
    assert raw.cmd("MULTI") == b"+OK\r\n"
    assert raw.cmd("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "x", "PREFIX", "y", "PREFIX", "y") == b"+QUEUED\r\n"
    raw.send(resp_encode("EXEC") + resp_encode("PING"))
    assert raw.recv_replies(3) == [
        b"*1\r\n-ERR Prefix 'y' overlaps with another provided prefix 'y'. Prefixes for a single client "
        b"must not overlap.\r\n", b"+OK\r\n", b"+PONG\r\n"]


def test_tracking_needs_on_or_off(r2):
    assert err(r2, "CLIENT", "TRACKING") == (
        "ERR Unknown subcommand or wrong number of arguments for 'TRACKING'. Try CLIENT HELP.")


def test_redirect_twice(make_raw, r2):
    a, b = client_id(make_raw()), client_id(make_raw())
    assert err(r2, "CLIENT", "TRACKING", "ON", "REDIRECT", str(a), "REDIRECT", str(b)) == (
        "ERR A client can only redirect to a single other client")


def test_off_ignores_mode_options(r2):
    assert ex(r2, "CLIENT", "TRACKING", "OFF", "BCAST", "OPTIN", "OPTOUT") == b"OK"


def test_on_again_changes_mode_and_keeps_prefixes(c3):
    c3.cmd("CLIENT", "TRACKING", "ON", "OPTIN")
    assert c3.cmd("CLIENT", "TRACKING", "ON") == b"+OK\r\n"
    assert c3.cmd("CLIENT", "TRACKINGINFO") == (
        b"%3\r\n$5\r\nflags\r\n~1\r\n$2\r\non\r\n$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n")
    c3.cmd("CLIENT", "TRACKING", "OFF")
    c3.cmd("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "b")
    c3.cmd("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "NOLOOP")
    assert c3.cmd("CLIENT", "TRACKINGINFO") == (
        b"%3\r\n$5\r\nflags\r\n~3\r\n$2\r\non\r\n$5\r\nbcast\r\n$6\r\nnoloop\r\n$8\r\nredirect\r\n"
        b":0\r\n$8\r\nprefixes\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n")


# --------------------------------------------------------------------------- introspection


def test_trackinginfo_off(c3):
    assert c3.cmd("CLIENT", "TRACKINGINFO") == (
        b"%3\r\n$5\r\nflags\r\n~1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n")


def test_trackinginfo_bcast_default_prefix(c3):
    c3.cmd("CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP")
    assert c3.cmd("CLIENT", "TRACKINGINFO") == (
        b"%3\r\n$5\r\nflags\r\n~3\r\n$2\r\non\r\n$5\r\nbcast\r\n$6\r\nnoloop\r\n$8\r\nredirect\r\n"
        b":0\r\n$8\r\nprefixes\r\n*1\r\n$0\r\n\r\n")


def test_trackinginfo_caching_flags(c3):
    c3.cmd("CLIENT", "TRACKING", "ON", "OPTOUT")
    c3.cmd("CLIENT", "CACHING", "NO")
    assert c3.cmd("CLIENT", "TRACKINGINFO") == (
        b"%3\r\n$5\r\nflags\r\n~3\r\n$2\r\non\r\n$6\r\noptout\r\n$10\r\ncaching-no\r\n$8\r\nredirect"
        b"\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n")
    c3.cmd("GET", "x")
    assert b"caching-no" not in c3.cmd("CLIENT", "TRACKINGINFO")


def test_trackinginfo_resp2(r2):
    ex(r2, "CLIENT", "TRACKING", "ON", "OPTIN")
    ex(r2, "CLIENT", "CACHING", "YES")
    assert ex(r2, "CLIENT", "TRACKINGINFO") == [b"flags", [b"on", b"optin", b"caching-yes"],
                                                b"redirect", 0, b"prefixes", []]


def test_getredir(r2):
    assert ex(r2, "CLIENT", "GETREDIR") == -1
    ex(r2, "CLIENT", "TRACKING", "ON")
    assert ex(r2, "CLIENT", "GETREDIR") == 0
    ex(r2, "CLIENT", "TRACKING", "OFF")
    assert ex(r2, "CLIENT", "GETREDIR") == -1


def test_client_list_flags_and_redir(make_raw, r2):
    target = make_raw()
    tid = client_id(target)
    c = make_raw()
    c.cmd("CLIENT", "TRACKING", "ON", "REDIRECT", str(tid))
    info = c.cmd("CLIENT", "INFO")
    assert b" flags=t " in info and info.rstrip().endswith(b"redir=%d" % tid)
    b = make_raw()
    b.cmd("CLIENT", "TRACKING", "ON", "BCAST")
    assert b" flags=tB " in b.cmd("CLIENT", "INFO")


def test_reset_turns_tracking_off(c3, other):
    c3.cmd("CLIENT", "TRACKING", "ON", "BCAST")
    assert c3.cmd("RESET") == b"+RESET\r\n"
    assert c3.cmd("CLIENT", "TRACKINGINFO") == (
        b"*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n")
    other.cmd("SET", "k", "v")
    c3.assert_silent()


def test_info_tracking_fields(make_raw, r2):
    a, b = make_raw(), make_raw()
    a.cmd("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "bb")
    b.cmd("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "bb", "PREFIX", "cc")
    c = make_raw()
    c.cmd("CLIENT", "TRACKING", "ON")
    c.cmd("MGET", "k1", "k2")
    d = make_raw()
    d.cmd("CLIENT", "TRACKING", "ON")
    d.cmd("GET", "k1")
    assert r2.info("clients")["tracking_clients"] == 4
    stats = r2.info("stats")
    assert (stats["tracking_total_keys"], stats["tracking_total_items"],
            stats["tracking_total_prefixes"]) == (2, 3, 2)
    b.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and r2.info("clients")["tracking_clients"] != 3:
        time.sleep(0.02)
    assert r2.info("stats")["tracking_total_prefixes"] == 1


def test_tracking_table_max_keys(make_client, c3, other):
    admin = make_client()
    old = ex(admin, "CONFIG", "GET", "tracking-table-max-keys")[1]
    ex(admin, "CONFIG", "SET", "tracking-table-max-keys", "1")
    try:
        c3.cmd("CLIENT", "TRACKING", "ON")
        c3.cmd("GET", "m1")
        c3.cmd("GET", "m2")
        # over the limit: one of the two is forgotten, with an invalidation
        assert c3.recv_reply() in (inv("m1"), inv("m2"))
        assert admin.info("stats")["tracking_total_keys"] == 1
    finally:
        ex(admin, "CONFIG", "SET", "tracking-table-max-keys", old)


def test_table_limit_trim_before_a_command_spares_its_noloop_client(make_client, c3):
    """With the cron paused the table is trimmed only before the next command, as part of its
    processing: the client running it is then Redis's current client, so a NOLOOP tracker gets
    no invalidation for its own keys forgotten then (and nothing is trimmed right after the
    read that went over the limit)."""
    admin = make_client()
    old = ex(admin, "CONFIG", "GET", "tracking-table-max-keys")[1]
    ex(admin, "DEBUG", "PAUSE-CRON", "1")
    try:
        ex(admin, "CONFIG", "SET", "tracking-table-max-keys", "1")
        c3.cmd("CLIENT", "TRACKING", "ON", "NOLOOP")
        c3.cmd("GET", "n1")
        c3.cmd("GET", "n2")
        assert c3.cmd("PING") == b"+PONG\r\n"  # trimmed before PING runs: no message
        assert admin.info("stats")["tracking_total_keys"] == 1
        c3.assert_silent()
    finally:
        ex(admin, "DEBUG", "PAUSE-CRON", "0")
        ex(admin, "CONFIG", "SET", "tracking-table-max-keys", old)


def test_table_limit_trim_before_another_clients_command(make_client, c3):
    """The same trim before another client's command: that one is current, so the NOLOOP
    tracker is told, before the other client's reply is even sent."""
    admin = make_client()
    old = ex(admin, "CONFIG", "GET", "tracking-table-max-keys")[1]
    ex(admin, "DEBUG", "PAUSE-CRON", "1")
    try:
        ex(admin, "CONFIG", "SET", "tracking-table-max-keys", "1")
        c3.cmd("CLIENT", "TRACKING", "ON", "NOLOOP")
        c3.cmd("GET", "n1")
        c3.cmd("GET", "n2")
        assert admin.info("stats")["tracking_total_keys"] == 1
        assert c3.recv_reply() in (inv("n1"), inv("n2"))
    finally:
        ex(admin, "DEBUG", "PAUSE-CRON", "0")
        ex(admin, "CONFIG", "SET", "tracking-table-max-keys", old)


def test_bcast_noloop_still_gets_lazy_expiry_of_own_key(c3, make_raw):
    # the client's own SET is hidden by NOLOOP, but the lazy expiry of the same key in the same
    # event-loop turn is a change by no client: the key is sent
    redir = make_raw()
    rid = client_id(redir)
    assert redir.cmd("SUBSCRIBE", "__redis__:invalidate").startswith(b"*3\r\n")
    c3.cmd("CLIENT", "TRACKING", "ON", "BCAST", "REDIRECT", str(rid), "NOLOOP")
    c3.cmd("MULTI")
    c3.cmd("SET", "mykey{t}", "myval", "PX", "1")
    c3.cmd("SET", "mykeyotherkey{t}", "myval")
    c3.cmd("DEBUG", "SLEEP", "0.1")
    c3.cmd("GET", "mykey{t}")
    # (Redis 6.2 reads mykey as of EXEC's start, Perdure as of now: not what is tested here)
    assert c3.cmd("EXEC").startswith(b"*4\r\n+OK\r\n+OK\r\n+OK\r\n")
    assert redir.recv_reply() == pubsub_inv("mykey{t}")
    redir.assert_silent()


def test_unblocked_blmove_gets_invalidation_after_its_reply(c3, other):
    other.cmd("RPUSH", "list2", "a")
    c3.cmd("CLIENT", "TRACKING", "ON")
    c3.cmd("LRANGE", "list2", "0", "-1")
    c3.send(resp_encode("BLMOVE", "list1", "list2", "LEFT", "LEFT", "0"))
    deadline = time.monotonic() + 5
    while b"blocked_clients:1" not in other.cmd("INFO", "clients"):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    other.cmd("RPUSH", "list1", "foo")
    assert c3.recv_reply() == bulk("foo")
    assert c3.recv_reply() == inv("list2")


def test_table_limit_lowered_by_config_set_alone(make_client, c3, other):
    admin = make_client()
    old = ex(admin, "CONFIG", "GET", "tracking-table-max-keys")[1]
    try:
        c3.cmd("CLIENT", "TRACKING", "ON")
        for k in ("k1", "k2", "k3"):
            c3.cmd("GET", k)
        ex(admin, "CONFIG", "SET", "tracking-table-max-keys", "1")
        # serverCron brings the table down to the limit with no other command
        got = {c3.recv_reply(timeout=5), c3.recv_reply(timeout=5)}
        assert got <= {inv("k1"), inv("k2"), inv("k3")} and len(got) == 2
        c3.assert_silent()
        assert admin.info("stats")["tracking_total_keys"] == 1
    finally:
        ex(admin, "CONFIG", "SET", "tracking-table-max-keys", old)
