"""Blocking list commands (BLPOP BRPOP BLMOVE BRPOPLPUSH), as Redis 6.2.14 does them.

Two or more connections: a client blocks on a raw connection (its reply is read later, byte for
byte) while another pushes.  Timeouts are small and real.  Covers: immediate service, timeout
replies per protocol, timeout parsing (Redis truncates ``seconds * 1000`` computed in long
double, so ``0.001`` means "forever"), FIFO service among blocked clients, several keys, wake-up
by pushes from other clients / MULTI / pipelines, BLMOVE chains and its wrong-type destination,
blocking inside MULTI, CLIENT UNBLOCK, disconnects, databases and keyspace events, and which
keys Redis signals ready (a list or sorted set created at the key, not one stored over another
value; signal order; clients blocked for another type on the same key moved to the back).
"""

from __future__ import annotations

import re
import time

import pytest

from .helpers import err, ex, resp_encode

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_FLOAT = "ERR timeout is not a float or out of range"
NEGATIVE = "ERR timeout is negative"
SYNTAX = "ERR syntax error"
NIL2 = b"*-1\r\n"


def bulk(*items):
    out = b"*%d\r\n" % len(items)
    for it in items:
        it = it.encode() if isinstance(it, str) else it
        out += b"$%d\r\n%s\r\n" % (len(it), it)
    return out


def _blocked_count(conn) -> int:
    m = re.search(rb"blocked_clients:(\d+)", conn.cmd("INFO", "clients"))
    return int(m.group(1))


def wait_blocked(make_raw, n, timeout=5.0):
    """Wait until the server reports ``n`` blocked clients (INFO clients)."""
    probe = make_raw()
    deadline = time.monotonic() + timeout
    while (got := _blocked_count(probe)) != n:
        assert time.monotonic() < deadline, f"{got} blocked clients, expected {n}"
        time.sleep(0.005)
    probe.close()


def send_and_wait_blocked(make_raw, conn, *args):
    """Send a blocking command on ``conn`` and wait until the server has parked it."""
    probe = make_raw()
    before = _blocked_count(probe)
    conn.send(resp_encode(*args))
    deadline = time.monotonic() + 5.0
    while _blocked_count(probe) <= before:
        assert time.monotonic() < deadline, f"{args!r} did not block"
        time.sleep(0.005)
    probe.close()


def blocked(make_raw, *args, proto=2):
    """Send a blocking command on a fresh raw connection, wait until it is parked, return it."""
    conn = make_raw()
    if proto == 3:
        assert conn.cmd("HELLO", "3").startswith(b"%")
    send_and_wait_blocked(make_raw, conn, *args)
    return conn


def still_blocked(conn, wait=0.15):
    conn.assert_silent(wait)
    return True


def rl(client, key="l"):
    return ex(client, "LRANGE", key, 0, -1)


# --------------------------------------------------------------------------- argument errors


TIMEOUT_CASES = [
    ("abc", NOT_FLOAT), ("", NOT_FLOAT), (" 1", NOT_FLOAT), ("1 ", NOT_FLOAT), ("nan", NOT_FLOAT),
    ("1_0", NOT_FLOAT), ("0x", NOT_FLOAT), ("1e", NOT_FLOAT), ("1e-5000", NOT_FLOAT), ("-1", NEGATIVE),
    ("-0.5", NEGATIVE), ("inf", NEGATIVE), ("-inf", NEGATIVE), ("+Infinity", NEGATIVE), ("1e16", NEGATIVE),
    ("9223372036854776", NEGATIVE), ("9223372036854775807", NEGATIVE), ("1e400", NEGATIVE), ("1e5000", NOT_FLOAT),
]


@pytest.mark.parametrize("timeout,message", TIMEOUT_CASES)
def test_timeout_errors(r2, timeout, message):
    assert err(r2, "BLPOP", "k", timeout) == message


@pytest.mark.parametrize(
    "args",
    [["BRPOP", "k1", "k2"], ["BLMOVE", "k", "d", "LEFT", "RIGHT"], ["BRPOPLPUSH", "k", "d"]],
    ids=lambda a: a[0],
)
def test_timeout_errors_other_commands(r2, args):
    # one parser for all of them (getTimeoutFromObjectOrReply)
    for timeout, message in [("abc", NOT_FLOAT), ("-1", NEGATIVE), ("inf", NEGATIVE), ("1e16", NEGATIVE)]:
        assert err(r2, *args, timeout) == message


def test_timeout_parsed_before_keys(r2):
    ex(r2, "SET", "s", "v")
    ex(r2, "RPUSH", "l", "a")
    assert err(r2, "BLPOP", "s", "x") == NOT_FLOAT
    assert err(r2, "BLPOP", "l", "-1") == NEGATIVE
    assert rl(r2) == [b"a"]


def test_blmove_direction_checked_before_timeout(r2):
    assert err(r2, "BLMOVE", "k", "d", "UP", "LEFT", "x") == SYNTAX
    assert err(r2, "BLMOVE", "k", "d", "LEFT", "DOWN", "-1") == SYNTAX
    assert err(r2, "BLMOVE", "k", "d", "LEFT", "LEFT", "x") == NOT_FLOAT


@pytest.mark.parametrize(
    "args",
    [["BLPOP", "k"], ["BRPOP", "k"], ["BLMOVE", "a", "b", "LEFT", "LEFT"], ["BRPOPLPUSH", "a", "b"], ["BLPOP"]],
    ids=lambda a: "-".join(a),
)
def test_wrong_arity(r2, args):
    assert err(r2, *args) == f"ERR wrong number of arguments for '{args[0].lower()}' command"


# --------------------------------------------------------------------------- served at once


def test_blpop_brpop_immediate(r2):
    ex(r2, "RPUSH", "l", "a", "b", "c")
    assert ex(r2, "BLPOP", "l", 0) == [b"l", b"a"]
    assert ex(r2, "BRPOP", "l", 0) == [b"l", b"c"]
    assert ex(r2, "BLPOP", "l", 1) == [b"l", b"b"]
    assert ex(r2, "EXISTS", "l") == 0


def test_blpop_first_nonempty_key_in_argument_order(r2):
    ex(r2, "RPUSH", "k2", "x")
    ex(r2, "RPUSH", "k3", "y")
    assert ex(r2, "BLPOP", "k1", "k3", "k2", 0) == [b"k3", b"y"]
    assert ex(r2, "BRPOP", "k1", "k3", "k2", 0) == [b"k2", b"x"]


def test_blpop_wrongtype_order(r2):
    ex(r2, "SET", "s", "v")
    ex(r2, "RPUSH", "l", "a")
    assert err(r2, "BLPOP", "s", "l", 0) == WRONGTYPE
    assert err(r2, "BLPOP", "missing", "s", "l", 0) == WRONGTYPE
    # a non-empty list before the string wins: the string is never looked at
    assert ex(r2, "BLPOP", "l", "s", 0) == [b"l", b"a"]


@pytest.mark.parametrize(
    "cmd,expected_src,expected_dst",
    [
        (["BLMOVE", "s", "d", "LEFT", "RIGHT", 0], [b"b", b"c"], [b"x", b"a"]),
        (["BLMOVE", "s", "d", "RIGHT", "LEFT", 0], [b"a", b"b"], [b"c", b"x"]),
        (["BRPOPLPUSH", "s", "d", 0], [b"a", b"b"], [b"c", b"x"]),
    ],
    ids=["blmove-lr", "blmove-rl", "brpoplpush"],
)
def test_blmove_immediate(r2, cmd, expected_src, expected_dst):
    ex(r2, "RPUSH", "s", "a", "b", "c")
    ex(r2, "RPUSH", "d", "x")
    assert ex(r2, *cmd) in (b"a", b"c")
    assert rl(r2, "s") == expected_src
    assert rl(r2, "d") == expected_dst


def test_blmove_immediate_same_key_rotation(r2):
    ex(r2, "RPUSH", "l", "a", "b", "c")
    assert ex(r2, "BLMOVE", "l", "l", "LEFT", "RIGHT", 0) == b"a"
    assert ex(r2, "BRPOPLPUSH", "l", "l", 0) == b"a"
    assert rl(r2) == [b"a", b"b", b"c"]


def test_blmove_immediate_wrongtype(r2):
    ex(r2, "SET", "str", "v")
    ex(r2, "RPUSH", "s", "a")
    assert err(r2, "BLMOVE", "str", "d", "LEFT", "LEFT", 0) == WRONGTYPE
    assert err(r2, "BLMOVE", "s", "str", "LEFT", "LEFT", 0) == WRONGTYPE
    assert err(r2, "BRPOPLPUSH", "s", "str", 0) == WRONGTYPE
    assert rl(r2, "s") == [b"a"]


# --------------------------------------------------------------------------- timeouts


@pytest.mark.parametrize("cmd", [["BLPOP", "k1", "k2"], ["BRPOP", "k"], ["BLMOVE", "k", "d", "LEFT", "LEFT"],
                                 ["BRPOPLPUSH", "k", "d"]], ids=lambda a: a[0])
def test_timeout_reply_resp2(make_raw, cmd):
    conn = make_raw()
    t0 = time.monotonic()
    assert conn.cmd(*cmd, "0.1") == NIL2
    assert 0.08 <= time.monotonic() - t0 < 2


@pytest.mark.parametrize("cmd", [["BLPOP", "k"], ["BLMOVE", "k", "d", "RIGHT", "LEFT"]], ids=lambda a: a[0])
def test_timeout_reply_resp3(make_raw, cmd):
    conn = make_raw()
    conn.cmd("HELLO", "3")
    assert conn.cmd(*cmd, "0.1") == b"_\r\n"


def test_timeout_reply_redis_py(r):
    assert ex(r, "BLPOP", "k", "0.05") is None
    assert ex(r, "BRPOPLPUSH", "k", "d", "0.05") is None
    assert ex(r, "EXISTS", "d") == 0


@pytest.mark.parametrize("timeout", ["0.05", "5e-2", "0x1p-4", ".06", "+0.05"])
def test_timeout_float_forms(make_raw, timeout):
    conn = make_raw()
    t0 = time.monotonic()
    assert conn.cmd("BLPOP", "k", timeout) == NIL2
    assert time.monotonic() - t0 < 2


@pytest.mark.parametrize("timeout", ["0", "0.001", "1e-3", "0.0009", "-0.0005", "1e-400", "-0"])
def test_sub_millisecond_timeouts_block_forever(r2, make_raw, timeout):
    # Redis truncates (long double)seconds * 1000 to integer ms: all of these are 0 = no timeout.
    conn = blocked(make_raw, "BLPOP", "k", timeout)
    assert still_blocked(conn, 0.3)
    ex(r2, "RPUSH", "k", "v")
    assert conn.recv_reply() == bulk("k", "v")


def test_timeout_then_connection_still_usable(make_raw):
    conn = make_raw()
    assert conn.cmd("BLPOP", "k", "0.05") == NIL2
    assert conn.cmd("PING") == b"+PONG\r\n"


# --------------------------------------------------------------------------- served by a push


def test_blpop_served_by_push_from_other_client(r2, make_raw):
    conn = blocked(make_raw, "BLPOP", "k", "0")
    assert still_blocked(conn)
    assert ex(r2, "RPUSH", "k", "a", "b") == 2
    assert conn.recv_reply() == bulk("k", "a")
    assert rl(r2, "k") == [b"b"]


def test_brpop_served_from_the_tail(r2, make_raw):
    conn = blocked(make_raw, "BRPOP", "k", "0")
    ex(r2, "RPUSH", "k", "a", "b")
    assert conn.recv_reply() == bulk("k", "b")
    assert rl(r2, "k") == [b"a"]


def test_lpush_multiple_serves_last_pushed(r2, make_raw):
    conn = blocked(make_raw, "BLPOP", "k", "0")
    ex(r2, "LPUSH", "k", "a", "b", "c")
    assert conn.recv_reply() == bulk("k", "c")
    assert rl(r2, "k") == [b"b", b"a"]


def test_served_key_is_deleted_when_emptied(r2, make_raw):
    conn = blocked(make_raw, "BLPOP", "k", "0")
    assert ex(r2, "RPUSH", "k", "only") == 1
    assert conn.recv_reply() == bulk("k", "only")
    assert ex(r2, "EXISTS", "k") == 0


def test_resp3_served_reply(r2, make_raw):
    conn = blocked(make_raw, "BLPOP", "k", "5", proto=3)
    ex(r2, "RPUSH", "k", "v")
    assert conn.recv_reply() == bulk("k", "v")


def test_fifo_among_blocked_clients(r2, make_raw):
    conns = [blocked(make_raw, "BLPOP", "k", "0") for _ in range(3)]
    ex(r2, "RPUSH", "k", "a", "b")
    assert conns[0].recv_reply() == bulk("k", "a")
    assert conns[1].recv_reply() == bulk("k", "b")
    assert still_blocked(conns[2])
    ex(r2, "RPUSH", "k", "c")
    assert conns[2].recv_reply() == bulk("k", "c")
    assert ex(r2, "EXISTS", "k") == 0


def test_fifo_mixed_sides(r2, make_raw):
    left = blocked(make_raw, "BLPOP", "k", "0")
    right = blocked(make_raw, "BRPOP", "k", "0")
    ex(r2, "RPUSH", "k", "a", "b", "c")
    assert left.recv_reply() == bulk("k", "a")
    assert right.recv_reply() == bulk("k", "c")
    assert rl(r2, "k") == [b"b"]


def test_one_push_one_client(r2, make_raw):
    first = blocked(make_raw, "BLPOP", "k", "0")
    second = blocked(make_raw, "BLPOP", "k", "0")
    ex(r2, "RPUSH", "k", "a")
    assert first.recv_reply() == bulk("k", "a")
    assert still_blocked(second)


def test_multiple_keys_served_by_the_pushed_one(r2, make_raw):
    conn = blocked(make_raw, "BLPOP", "k1", "k2", "k3", "0")
    ex(r2, "RPUSH", "k2", "x")
    assert conn.recv_reply() == bulk("k2", "x")
    ex(r2, "RPUSH", "k1", "y")
    assert rl(r2, "k1") == [b"y"]   # the client is no longer blocked on k1


def test_duplicate_keys(r2, make_raw):
    conn = blocked(make_raw, "BLPOP", "k", "k", "0")
    ex(r2, "RPUSH", "k", "a", "b")
    assert conn.recv_reply() == bulk("k", "a")
    assert rl(r2, "k") == [b"b"]
    conn2 = blocked(make_raw, "BRPOP", "z", "z", "0.1")
    assert conn2.recv_reply() == NIL2


def test_pipelined_commands_run_after_being_served(r2, make_raw):
    conn = make_raw()
    conn.send(resp_encode("BLPOP", "k", "0") + resp_encode("PING") + resp_encode("LLEN", "k"))
    wait_blocked(make_raw, 1)
    assert still_blocked(conn)
    ex(r2, "RPUSH", "k", "a", "b")
    assert conn.recv_reply() == bulk("k", "a")
    assert conn.recv_reply() == b"+PONG\r\n"
    assert conn.recv_reply() == b":1\r\n"


def test_push_and_pop_pipelined_by_the_pusher(make_raw):
    # Redis serves blocked clients after each command, so the blocked client wins the element
    # even when the pusher pipelines a pop right behind its push.
    waiter = blocked(make_raw, "BLPOP", "k", "0")
    pusher = make_raw()
    pusher.send(resp_encode("RPUSH", "k", "a") + resp_encode("LPOP", "k"))
    assert pusher.recv_reply() == b":1\r\n"
    assert pusher.recv_reply() == b"$-1\r\n"
    assert waiter.recv_reply() == bulk("k", "a")


def test_key_of_another_type_does_not_serve(r2, make_raw):
    conn = blocked(make_raw, "BLPOP", "k", "0")
    ex(r2, "SET", "k", "string")
    ex(r2, "SADD", "k2", "m")
    assert still_blocked(conn)
    ex(r2, "DEL", "k")
    ex(r2, "RPUSH", "k", "v")
    assert conn.recv_reply() == bulk("k", "v")


def test_other_database_does_not_serve(r2, make_raw):
    conn = blocked(make_raw, "BLPOP", "k", "0")
    ex(r2, "SELECT", 1)
    ex(r2, "RPUSH", "k", "db1")
    assert still_blocked(conn)
    ex(r2, "SELECT", 0)
    ex(r2, "RPUSH", "k", "db0")
    assert conn.recv_reply() == bulk("k", "db0")
    ex(r2, "SELECT", 1)
    assert rl(r2, "k") == [b"db1"]


def test_blocked_in_selected_database(r2, make_raw):
    conn = make_raw()
    assert conn.cmd("SELECT", "3") == b"+OK\r\n"
    send_and_wait_blocked(make_raw, conn, "BLPOP", "k", "0")
    ex(r2, "RPUSH", "k", "db0")
    assert still_blocked(conn)
    ex(r2, "SELECT", 3)
    ex(r2, "RPUSH", "k", "db3")
    assert conn.recv_reply() == bulk("k", "db3")
    ex(r2, "SELECT", 0)
    assert rl(r2, "k") == [b"db0"]


def test_served_by_linsert_lmove_and_rpoplpush(r2, make_raw):
    ex(r2, "RPUSH", "src", "a", "b")
    conn = blocked(make_raw, "BLPOP", "k", "0")
    assert ex(r2, "LMOVE", "src", "k", "LEFT", "RIGHT") == b"a"
    assert conn.recv_reply() == bulk("k", "a")
    conn = blocked(make_raw, "BRPOP", "k", "0")
    assert ex(r2, "RPOPLPUSH", "src", "k") == b"b"
    assert conn.recv_reply() == bulk("k", "b")
    assert ex(r2, "EXISTS", "src", "k") == 0


# --------------------------------------------------------------------------- BLMOVE / BRPOPLPUSH


def test_blmove_served_when_pushed(r2, make_raw):
    ex(r2, "RPUSH", "d", "x")
    conn = blocked(make_raw, "BLMOVE", "s", "d", "RIGHT", "LEFT", "0")
    assert still_blocked(conn)
    ex(r2, "RPUSH", "s", "a", "b")
    assert conn.recv_reply() == b"$1\r\nb\r\n"
    assert rl(r2, "s") == [b"a"]
    assert rl(r2, "d") == [b"b", b"x"]


def test_brpoplpush_served_creates_destination(r2, make_raw):
    conn = blocked(make_raw, "BRPOPLPUSH", "s", "d", "0")
    ex(r2, "LPUSH", "s", "v")
    assert conn.recv_reply() == b"$1\r\nv\r\n"
    assert ex(r2, "EXISTS", "s") == 0
    assert rl(r2, "d") == [b"v"]


def test_blmove_same_key_served(r2, make_raw):
    conn = blocked(make_raw, "BLMOVE", "l", "l", "LEFT", "RIGHT", "0")
    ex(r2, "RPUSH", "l", "a", "b")
    assert conn.recv_reply() == b"$1\r\na\r\n"
    assert rl(r2) == [b"b", b"a"]


def test_blmove_chain_serves_client_blocked_on_destination(r2, make_raw):
    popper = blocked(make_raw, "BLPOP", "d", "0")
    mover = blocked(make_raw, "BLMOVE", "s", "d", "LEFT", "LEFT", "0")
    ex(r2, "RPUSH", "s", "v")
    assert mover.recv_reply() == b"$1\r\nv\r\n"
    assert popper.recv_reply() == bulk("d", "v")
    assert ex(r2, "EXISTS", "s", "d") == 0


def test_circular_brpoplpush(r2, make_raw):
    one = blocked(make_raw, "BRPOPLPUSH", "list1", "list2", "0")
    two = blocked(make_raw, "BRPOPLPUSH", "list2", "list1", "0")
    ex(r2, "RPUSH", "list1", "foo")
    assert one.recv_reply() == b"$3\r\nfoo\r\n"
    assert two.recv_reply() == b"$3\r\nfoo\r\n"
    assert rl(r2, "list1") == [b"foo"]
    assert ex(r2, "EXISTS", "list2") == 0


def test_linked_blmoves(r2, make_raw):
    one = blocked(make_raw, "BLMOVE", "list1", "list2", "LEFT", "RIGHT", "0")
    two = blocked(make_raw, "BLMOVE", "list2", "list3", "RIGHT", "LEFT", "0")
    ex(r2, "RPUSH", "list1", "foo")
    assert one.recv_reply() == b"$3\r\nfoo\r\n"
    assert two.recv_reply() == b"$3\r\nfoo\r\n"
    assert ex(r2, "EXISTS", "list1", "list2") == 0
    assert rl(r2, "list3") == [b"foo"]


def test_chained_brpoplpush_pipelined_then_closed(r2, make_raw):
    # Redis regression #593: a served client with a second blocking command pipelined
    one = make_raw()
    one.send(resp_encode("BRPOPLPUSH", "a", "b", "0") * 2)
    wait_blocked(make_raw, 1)
    two = blocked(make_raw, "BRPOPLPUSH", "b", "c", "0")
    ex(r2, "LPUSH", "a", "data")
    assert one.recv_reply() == b"$4\r\ndata\r\n"
    assert two.recv_reply() == b"$4\r\ndata\r\n"
    assert still_blocked(one)
    one.close()
    two.close()
    wait_blocked(make_raw, 0)
    assert ex(r2, "PING") == b"PONG"
    assert rl(r2, "c") == [b"data"]
    ex(r2, "RPUSH", "a", "x")
    assert rl(r2, "a") == [b"x"]


def test_blpop_served_when_key_renamed_into_place(r2, make_raw):
    conn = blocked(make_raw, "BLPOP", "target", "0")
    ex(r2, "RPUSH", "tmp", "a", "b")
    ex(r2, "RENAME", "tmp", "target")
    assert conn.recv_reply() == bulk("target", "a")
    assert rl(r2, "target") == [b"b"]


def test_blmove_destination_of_wrong_type_when_served(r2, make_raw):
    conn = blocked(make_raw, "BLMOVE", "s", "d", "LEFT", "RIGHT", "0")
    other = blocked(make_raw, "BLPOP", "s", "0")
    ex(r2, "SET", "d", "string")
    ex(r2, "RPUSH", "s", "a", "b")
    assert conn.recv_reply() == b"-" + WRONGTYPE.encode() + b"\r\n"
    assert other.recv_reply() == bulk("s", "a")
    assert rl(r2, "s") == [b"b"]
    assert ex(r2, "GET", "d") == b"string"


def test_blmove_fifo_with_blpop(r2, make_raw):
    mover = blocked(make_raw, "BRPOPLPUSH", "s", "d", "0")
    popper = blocked(make_raw, "BLPOP", "s", "0")
    ex(r2, "RPUSH", "s", "a", "b", "c")
    assert mover.recv_reply() == b"$1\r\nc\r\n"
    assert popper.recv_reply() == bulk("s", "a")
    assert rl(r2, "s") == [b"b"]
    assert rl(r2, "d") == [b"c"]


# --------------------------------------------------------------------------- which keys are ready
# Redis signals a key as ready (signalKeyAsReady) when a list, sorted set or stream is *created*
# at it (dbAdd), on XADD, XGROUP DESTROY and SWAPDB -- not on every change -- and serves the
# signalled keys in signal order after the command, transaction or script.


def test_ready_keys_in_order_of_creation_not_of_change(r2, make_raw):
    # k1 changes first (SET), but becomes a list only after k2 does: k2 serves the client.
    conn = blocked(make_raw, "BLPOP", "k1", "k2", "0")
    ex(r2, "MULTI")
    ex(r2, "SET", "k1", "x")
    ex(r2, "LPUSH", "k2", "a")
    ex(r2, "DEL", "k1")
    ex(r2, "LPUSH", "k1", "b")
    assert ex(r2, "EXEC") == [b"OK", 1, 1, 1]
    assert conn.recv_reply() == bulk("k2", "a")
    assert rl(r2, "k1") == [b"b"]
    assert ex(r2, "EXISTS", "k2") == 0


def test_list_stored_over_another_value_serves_no_one(r2, make_raw):
    # SORT ... STORE over an existing key is dbOverwrite: no signal, and a later push to the
    # now existing list is no creation either: the client stays blocked, the data stays.
    conn = blocked(make_raw, "BLPOP", "k", "0")
    ex(r2, "SET", "k", "x")
    ex(r2, "RPUSH", "src", "a", "b")
    assert ex(r2, "SORT", "src", "BY", "nosort", "STORE", "k") == 2
    assert ex(r2, "RPUSH", "k", "c") == 3
    assert still_blocked(conn)
    assert rl(r2, "k") == [b"a", b"b", b"c"]
    assert _blocked_clients(r2) == 1
    ex(r2, "DEL", "k")
    ex(r2, "RPUSH", "k", "d")
    assert conn.recv_reply() == bulk("k", "d")


def test_list_stored_over_an_expired_key_serves(r2, make_raw):
    # SORT ... STORE looks the key up first (setKey): an expired key is deleted (an expired
    # key for INFO), and the list is then *added*, which signals the blocked client.
    conn = blocked(make_raw, "BLPOP", "k", "0")
    ex(r2, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        ex(r2, "SET", "k", "x", "PX", "1")
        time.sleep(0.05)
        ex(r2, "RPUSH", "src", "a", "b")
        before = _expired_keys(r2)
        assert ex(r2, "SORT", "src", "BY", "nosort", "STORE", "k") == 2
        assert _expired_keys(r2) == before + 1
    finally:
        ex(r2, "DEBUG", "SET-ACTIVE-EXPIRE", "1")
    assert conn.recv_reply() == bulk("k", "a")
    assert rl(r2, "k") == [b"b"]


def _expired_keys(client) -> int:
    return int(re.search(rb"expired_keys:(\d+)", ex(client, "INFO", "stats")).group(1))


def test_zset_stored_over_another_value_serves_no_one(r2, make_raw):
    conn = blocked(make_raw, "BZPOPMIN", "z", "0")
    ex(r2, "SET", "z", "x")
    ex(r2, "ZADD", "src", "1", "a")
    assert ex(r2, "ZUNIONSTORE", "z", "1", "src") == 1
    assert ex(r2, "ZADD", "z", "2", "b") == 1
    assert still_blocked(conn)
    ex(r2, "RENAME", "z", "z2")
    ex(r2, "RENAME", "z2", "z")  # RENAME is dbDelete + dbAdd: a signal
    assert conn.recv_reply() == bulk("z", "a", "1")


def test_clients_of_another_type_rotate_to_the_back(r2, make_raw):
    # Serving a list, Redis moves each client blocked for a sorted set on the same key to the
    # back of the key's queue (listRotateHeadToTail) and stops at the first list client it
    # cannot serve: z2 ends up ahead of z1.
    z1 = blocked(make_raw, "BZPOPMIN", "k", "0")
    l1 = blocked(make_raw, "BLPOP", "k", "0")
    l2 = blocked(make_raw, "BLPOP", "k", "0")
    z2 = blocked(make_raw, "BZPOPMAX", "k", "0")
    ex(r2, "RPUSH", "k", "a")
    assert l1.recv_reply() == bulk("k", "a")
    assert ex(r2, "ZADD", "k", "1", "m") == 1
    assert z2.recv_reply() == bulk("k", "m", "1")
    assert still_blocked(z1)
    assert still_blocked(l2)
    assert _blocked_clients(r2) == 2


# --------------------------------------------------------------------------- MULTI / EXEC


def test_blocking_commands_in_multi_do_not_block(raw):
    assert raw.cmd("MULTI") == b"+OK\r\n"
    for cmd in (["BLPOP", "k", "0"], ["BRPOP", "k1", "k2", "0"], ["BLMOVE", "k", "d", "LEFT", "LEFT", "0"],
                ["BRPOPLPUSH", "k", "d", "0"]):
        assert raw.cmd(*cmd) == b"+QUEUED\r\n"
    # BLPOP/BRPOP reply a null array, BLMOVE/BRPOPLPUSH a null bulk (Redis's own choice)
    assert raw.cmd("EXEC") == b"*4\r\n*-1\r\n*-1\r\n$-1\r\n$-1\r\n"


def test_blocking_commands_in_multi_resp3(raw):
    raw.cmd("HELLO", "3")
    raw.cmd("MULTI")
    raw.cmd("BLPOP", "k", "0")
    raw.cmd("BLMOVE", "k", "d", "LEFT", "LEFT", "0")
    assert raw.cmd("EXEC") == b"*2\r\n_\r\n_\r\n"


def test_blocking_commands_in_multi_pop_when_nonempty(r2):
    ex(r2, "RPUSH", "k", "a", "b", "c")
    ex(r2, "MULTI")
    ex(r2, "BLPOP", "k", "0")
    ex(r2, "BRPOPLPUSH", "k", "d", "0")
    ex(r2, "BLMOVE", "k", "d", "LEFT", "LEFT", "0")
    ex(r2, "BRPOP", "k", "0")
    assert ex(r2, "EXEC") == [[b"k", b"a"], b"c", b"b", None]
    assert rl(r2, "d") == [b"b", b"c"]


def test_push_inside_multi_serves_after_exec(r2, make_raw):
    conn = blocked(make_raw, "BLPOP", "k", "0")
    ex(r2, "MULTI")
    ex(r2, "RPUSH", "k", "a")
    ex(r2, "RPUSH", "k", "b")
    assert ex(r2, "EXEC") == [1, 2]
    assert conn.recv_reply() == bulk("k", "a")
    assert rl(r2, "k") == [b"b"]


def test_push_and_pop_in_one_multi_leaves_client_blocked(r2, make_raw):
    conn = blocked(make_raw, "BLPOP", "k", "0")
    ex(r2, "MULTI")
    ex(r2, "RPUSH", "k", "a")
    ex(r2, "LPOP", "k")
    assert ex(r2, "EXEC") == [1, b"a"]
    assert still_blocked(conn)
    ex(r2, "RPUSH", "k", "b")
    assert conn.recv_reply() == bulk("k", "b")


def test_push_then_del_in_multi_leaves_client_blocked(r2, make_raw):
    conn = blocked(make_raw, "BRPOP", "k", "0")
    ex(r2, "MULTI")
    ex(r2, "RPUSH", "k", "a")
    ex(r2, "DEL", "k")
    ex(r2, "EXEC")
    assert still_blocked(conn)


# --------------------------------------------------------------------------- unblock, disconnect


def _client_id(conn):
    reply = conn.cmd("CLIENT", "ID")
    return int(reply[1:-2])


def test_client_unblock_timeout_and_error(r2, make_raw):
    conn = make_raw()
    cid = _client_id(conn)
    send_and_wait_blocked(make_raw, conn, "BLPOP", "k", "0")
    assert ex(r2, "CLIENT", "UNBLOCK", cid) == 1
    assert conn.recv_reply() == NIL2
    assert ex(r2, "CLIENT", "UNBLOCK", cid) == 0
    send_and_wait_blocked(make_raw, conn, "BLMOVE", "k", "d", "LEFT", "LEFT", "0")
    assert ex(r2, "CLIENT", "UNBLOCK", cid, "ERROR") == 1
    assert conn.recv_reply() == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    assert conn.cmd("PING") == b"+PONG\r\n"


def test_disconnect_while_blocked(r2, make_raw):
    gone = blocked(make_raw, "BLPOP", "k", "0")
    waiting = blocked(make_raw, "BLPOP", "k", "0")
    gone.close()
    wait_blocked(make_raw, 1)
    ex(r2, "RPUSH", "k", "a", "b")
    assert waiting.recv_reply() == bulk("k", "a")
    assert rl(r2, "k") == [b"b"]


def test_disconnect_only_blocked_client_keeps_data(r2, make_raw):
    gone = blocked(make_raw, "BRPOPLPUSH", "k", "d", "0")
    gone.close()
    wait_blocked(make_raw, 0)
    assert ex(r2, "RPUSH", "k", "a") == 1
    assert rl(r2, "k") == [b"a"]
    assert ex(r2, "EXISTS", "d") == 0
    assert ex(r2, "PING") == b"PONG"


def _blocked_clients(client):
    for line in ex(client, "INFO", "clients").split(b"\r\n"):
        if line.startswith(b"blocked_clients:"):
            return int(line.split(b":")[1])
    raise AssertionError("no blocked_clients in INFO clients")


def test_info_blocked_clients(r2, make_raw):
    assert _blocked_clients(r2) == 0
    served = blocked(make_raw, "BLPOP", "k", "0")
    timed = blocked(make_raw, "BRPOPLPUSH", "z", "d", "0.3")
    gone = blocked(make_raw, "BLMOVE", "q", "d", "LEFT", "LEFT", "0")
    assert _blocked_clients(r2) == 3
    ex(r2, "RPUSH", "k", "v")
    assert served.recv_reply() == bulk("k", "v")
    assert _blocked_clients(r2) == 2
    assert timed.recv_reply() == NIL2
    gone.close()
    wait_blocked(make_raw, 0)
    assert _blocked_clients(r2) == 0


# --------------------------------------------------------------------------- keyspace events


@pytest.fixture
def keyspace(make_client):
    admin = make_client()
    ex(admin, "CONFIG", "SET", "notify-keyspace-events", "KEA")
    ps = make_client().pubsub()
    ps.psubscribe("__keyspace@0__:*")
    assert ps.get_message(timeout=2)["type"] == "psubscribe"

    def collect(n, timeout=2.0):
        out = []
        deadline = time.monotonic() + timeout
        while len(out) < n and time.monotonic() < deadline:
            m = ps.get_message(timeout=0.1)
            if m and m["type"] == "pmessage":
                out.append((m["channel"].decode().split(":", 1)[1], m["data"].decode()))
        return out

    yield collect
    ps.close()
    ex(admin, "CONFIG", "SET", "notify-keyspace-events", "")


def test_events_blpop_served(r2, make_raw, keyspace):
    conn = blocked(make_raw, "BLPOP", "k", "0")
    ex(r2, "RPUSH", "k", "a")
    assert conn.recv_reply() == bulk("k", "a")
    assert keyspace(3) == [("k", "rpush"), ("k", "lpop"), ("k", "del")]


def test_events_blmove_served(r2, make_raw, keyspace):
    conn = blocked(make_raw, "BLMOVE", "s", "d", "LEFT", "RIGHT", "0")
    ex(r2, "RPUSH", "s", "a", "b")
    assert conn.recv_reply() == b"$1\r\na\r\n"
    assert keyspace(3) == [("s", "rpush"), ("d", "rpush"), ("s", "lpop")]


def test_events_blocking_immediate(r2, keyspace):
    ex(r2, "RPUSH", "s", "a", "b")
    ex(r2, "BRPOP", "s", 0)
    ex(r2, "BRPOPLPUSH", "s", "d", 0)
    assert keyspace(5) == [("s", "rpush"), ("s", "rpop"), ("d", "lpush"), ("s", "rpop"), ("s", "del")]
