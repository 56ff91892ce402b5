"""Blocking stream reads (XREAD BLOCK, XREADGROUP BLOCK), as Redis 6.2.14 does them.

A client blocks on a raw connection (its reply is read later, byte for byte) while another
writes.  Covers: BLOCK argument errors, timeouts per protocol, ``$``, waking on XADD (from a
client, a MULTI, a pipeline), what does *not* wake a reader (XSETID, XGROUP SETID, a non-stream
value, a deleted key), XREADGROUP ``>`` served after the group's last ID, ``-NOGROUP`` when the
group goes away, the default COUNT of a blocked read, several keys, FIFO among readers,
BLOCK inside MULTI, CLIENT UNBLOCK and the state left in the PEL.
"""

from __future__ import annotations

import re
import time

import pytest

from .helpers import err, ex, resp_encode

NIL2 = b"*-1\r\n"
NOGROUP_GONE = b"-NOGROUP the consumer group this client was blocked on no longer exists\r\n"


def bulk(b):
    b = b.encode() if isinstance(b, str) else b
    return b"$%d\r\n%s\r\n" % (len(b), b)


def entry_bytes(i, f="f", v=None):
    v = str(i) if v is None else v
    return b"*2\r\n" + bulk(f"{i}-0") + b"*2\r\n" + bulk(f) + bulk(v)


def read_reply(key, *ids, proto=2):
    """The bytes of an XREAD reply holding one key and the given entries."""
    head = b"*1\r\n*2\r\n" if proto == 2 else b"%1\r\n"
    return head + bulk(key) + b"*%d\r\n" % len(ids) + b"".join(entry_bytes(i) for i in ids)


def _blocked_count(conn) -> int:
    m = re.search(rb"blocked_clients:(\d+)", conn.cmd("INFO", "clients"))
    return int(m.group(1))


def blocked(make_raw, *args, proto=2):
    """Send a blocking command on a fresh raw connection, wait until it is parked, return it."""
    conn = make_raw()
    if proto == 3:
        assert conn.cmd("HELLO", "3").startswith(b"%")
    probe = make_raw()
    before = _blocked_count(probe)
    conn.send(resp_encode(*args))
    deadline = time.monotonic() + 5.0
    while _blocked_count(probe) <= before:
        assert time.monotonic() < deadline, f"{args!r} did not block"
        time.sleep(0.005)
    probe.close()
    return conn


def xadd(r, key, i, f="f", v=None):
    return ex(r, "XADD", key, f"{i}-0", f, str(i) if v is None else v)


# --------------------------------------------------------------------------- arguments


@pytest.mark.parametrize("value,message", [
    ("x", "ERR timeout is not an integer or out of range"),
    ("1.5", "ERR timeout is not an integer or out of range"),
    ("", "ERR timeout is not an integer or out of range"),
    ("-1", "ERR timeout is negative"),
    ("99999999999999999999", "ERR timeout is not an integer or out of range"),
])
def test_block_argument_errors(r2, value, message):
    assert err(r2, "XREAD", "BLOCK", value, "STREAMS", "s", "$") == message
    ex(r2, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    assert err(r2, "XREADGROUP", "GROUP", "g", "c", "BLOCK", value, "STREAMS", "s", ">") == message


def test_block_served_at_once_when_data_is_there(r2):
    xadd(r2, "s", 1)
    assert ex(r2, "XREAD", "BLOCK", "0", "STREAMS", "s", "0") == [[b"s", [[b"1-0", [b"f", b"1"]]]]]
    ex(r2, "XGROUP", "CREATE", "s", "g", "0")
    assert ex(r2, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">") == \
        [[b"s", [[b"1-0", [b"f", b"1"]]]]]
    # a history read never blocks, even when empty
    assert ex(r2, "XREADGROUP", "GROUP", "g", "d", "BLOCK", "0", "STREAMS", "s", "0") == [[b"s", []]]


# --------------------------------------------------------------------------- timeouts


def test_timeout_resp2(make_raw):
    conn = make_raw()
    t0 = time.monotonic()
    assert conn.cmd("XREAD", "BLOCK", "100", "STREAMS", "s", "$") == NIL2
    assert 0.08 <= time.monotonic() - t0 < 3


def test_timeout_resp3(make_raw):
    conn = make_raw()
    conn.cmd("HELLO", "3")
    assert conn.cmd("XREAD", "BLOCK", "50", "STREAMS", "s", "$") == b"_\r\n"


def test_xreadgroup_timeout(make_raw, r2):
    ex(r2, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    conn = make_raw()
    assert conn.cmd("XREADGROUP", "GROUP", "g", "c", "BLOCK", "50", "STREAMS", "s", ">") == NIL2
    assert ex(r2, "XINFO", "CONSUMERS", "s", "g") == []  # the consumer was never created


def test_block_inside_multi_does_not_block(r2):
    ex(r2, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    ex(r2, "MULTI")
    ex(r2, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    ex(r2, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
    assert ex(r2, "EXEC") == [None, None]


# --------------------------------------------------------------------------- XREAD wake-ups


def test_xread_woken_by_xadd(make_raw, r2):
    xadd(r2, "s", 1)
    conn = blocked(make_raw, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    xadd(r2, "s", 2)
    assert conn.recv_reply() == read_reply("s", 2)


def test_xread_woken_resp3(make_raw, r2):
    conn = blocked(make_raw, "XREAD", "BLOCK", "0", "STREAMS", "s", "$", proto=3)
    xadd(r2, "s", 5)
    assert conn.recv_reply() == read_reply("s", 5, proto=3)


def test_xread_block_on_missing_key(make_raw, r2):
    conn = blocked(make_raw, "XREAD", "BLOCK", "0", "STREAMS", "nokey", "$")
    xadd(r2, "nokey", 1)
    assert conn.recv_reply() == read_reply("nokey", 1)


def test_xread_explicit_id_gets_everything_after_it(make_raw, r2):
    xadd(r2, "s", 1)
    xadd(r2, "s", 2)
    conn = blocked(make_raw, "XREAD", "BLOCK", "0", "STREAMS", "s", "2-0")
    p = r2.pipeline(transaction=False)
    p.execute_command("XADD", "s", "3-0", "f", "3")
    p.execute_command("XADD", "s", "4-0", "f", "4")
    p.execute()
    # served after the first XADD, before the second one runs
    assert conn.recv_reply() == read_reply("s", 3)


def test_xread_multi_adds_served_after_exec(make_raw, r2):
    conn = blocked(make_raw, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    ex(r2, "MULTI")
    xadd(r2, "s", 1)
    xadd(r2, "s", 2)
    ex(r2, "EXEC")
    assert conn.recv_reply() == read_reply("s", 1, 2)


def test_xread_blocked_count(make_raw, r2):
    conn = blocked(make_raw, "XREAD", "COUNT", "2", "BLOCK", "0", "STREAMS", "s", "$")
    ex(r2, "MULTI")
    for i in range(1, 5):
        xadd(r2, "s", i)
    ex(r2, "EXEC")
    assert conn.recv_reply() == read_reply("s", 1, 2)


def test_xread_blocked_default_count_is_1000(make_raw, r2):
    conn = blocked(make_raw, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    ex(r2, "MULTI")
    for i in range(1, 1006):
        ex(r2, "XADD", "s", f"{i}-0", "f", "v")
    ex(r2, "EXEC")
    reply = conn.recv_reply()
    assert reply.startswith(b"*1\r\n*2\r\n$1\r\ns\r\n*1000\r\n")


def test_xread_several_keys_first_ready_wins(make_raw, r2):
    conn = blocked(make_raw, "XREAD", "BLOCK", "0", "STREAMS", "a", "b", "$", "$")
    xadd(r2, "b", 7)
    assert conn.recv_reply() == read_reply("b", 7)


def test_xread_not_woken_by_xsetid_or_other_types(make_raw, r2):
    xadd(r2, "s", 1)
    conn = blocked(make_raw, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    ex(r2, "XSETID", "s", "5-0")
    ex(r2, "XDEL", "s", "1-0")
    conn.assert_silent(0.2)
    ex(r2, "DEL", "s")
    ex(r2, "SET", "s", "string")
    conn.assert_silent(0.2)
    ex(r2, "DEL", "s")
    xadd(r2, "s", 2)
    assert conn.recv_reply() == read_reply("s", 2)


def test_xread_served_from_the_key_signalled_first(make_raw, r2):
    # XSETID changes a but signals nothing; XADD b then XADD a signal b first: b serves.
    xadd(r2, "a", 1)
    xadd(r2, "b", 1)
    conn = blocked(make_raw, "XREAD", "BLOCK", "0", "STREAMS", "a", "b", "$", "$")
    ex(r2, "MULTI")
    ex(r2, "XSETID", "a", "5-0")
    xadd(r2, "b", 2)
    xadd(r2, "a", 6)
    ex(r2, "EXEC")
    assert conn.recv_reply() == read_reply("b", 2)


def test_xread_xadd_then_trimmed_gives_empty_entries(make_raw, r2):
    xadd(r2, "s", 1)
    conn = blocked(make_raw, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    ex(r2, "XADD", "s", "MAXLEN", "0", "2-0", "f", "2")
    assert conn.recv_reply() == b"*1\r\n*2\r\n$1\r\ns\r\n*0\r\n"


def test_xread_woken_by_rename(make_raw, r2):
    conn = blocked(make_raw, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    xadd(r2, "tmp", 3)
    ex(r2, "RENAME", "tmp", "s")
    assert conn.recv_reply() == read_reply("s", 3)


def test_xread_fifo_among_readers(make_raw, r2):
    c1 = blocked(make_raw, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    c2 = blocked(make_raw, "XREAD", "BLOCK", "0", "STREAMS", "s", "0")
    xadd(r2, "s", 1)
    assert c1.recv_reply() == read_reply("s", 1)
    assert c2.recv_reply() == read_reply("s", 1)


def test_xread_wrongtype_while_blocking_key_created(make_raw, r2):
    ex(r2, "SET", "k", "v")
    assert err(r2, "XREAD", "BLOCK", "0", "STREAMS", "k", "$") == \
        "WRONGTYPE Operation against a key holding the wrong kind of value"


def test_client_unblock(make_raw, r2):
    ctl = make_raw()
    for mode, reply in [("TIMEOUT", NIL2), ("ERROR", b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n")]:
        conn = make_raw()
        cid = conn.cmd("CLIENT", "ID")[1:-2]
        probe = make_raw()
        before = _blocked_count(probe)
        conn.send(resp_encode("XREAD", "BLOCK", "0", "STREAMS", "s", "$"))
        while _blocked_count(probe) <= before:
            time.sleep(0.005)
        assert ctl.cmd("CLIENT", "UNBLOCK", cid, mode) == b":1\r\n"
        assert conn.recv_reply() == reply
    xadd(r2, "s", 1)


# --------------------------------------------------------------------------- XREADGROUP wake-ups


def test_xreadgroup_woken_by_xadd(make_raw, r2):
    ex(r2, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    conn = blocked(make_raw, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
    xadd(r2, "s", 1)
    assert conn.recv_reply() == read_reply("s", 1)
    rows = ex(r2, "XPENDING", "s", "g", "-", "+", "10")
    assert [(x[0], x[1], x[3]) for x in rows] == [(b"1-0", b"alice", 1)]
    assert ex(r2, "XINFO", "GROUPS", "s")[0][7] == b"1-0"


def test_xreadgroup_woken_resp3(make_raw, r2):
    ex(r2, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    conn = blocked(make_raw, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">", proto=3)
    xadd(r2, "s", 4)
    assert conn.recv_reply() == read_reply("s", 4, proto=3)


def test_xreadgroup_noack_woken(make_raw, r2):
    ex(r2, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    conn = blocked(make_raw, "XREADGROUP", "GROUP", "g", "c", "NOACK", "BLOCK", "0", "STREAMS", "s", ">")
    xadd(r2, "s", 1)
    assert conn.recv_reply() == read_reply("s", 1)
    assert ex(r2, "XPENDING", "s", "g")[0] == 0
    assert [c[1] for c in ex(r2, "XINFO", "CONSUMERS", "s", "g")] == [b"c"]


def test_xreadgroup_two_consumers_share_the_work(make_raw, r2):
    ex(r2, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    c1 = blocked(make_raw, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "s", ">")
    c2 = blocked(make_raw, "XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "STREAMS", "s", ">")
    xadd(r2, "s", 1)
    assert c1.recv_reply() == read_reply("s", 1)
    c2.assert_silent(0.2)  # alice got 1-0: nothing after the group's last ID for bob
    xadd(r2, "s", 2)
    assert c2.recv_reply() == read_reply("s", 2)
    rows = ex(r2, "XPENDING", "s", "g", "-", "+", "10")
    assert [(x[0], x[1]) for x in rows] == [(b"1-0", b"alice"), (b"2-0", b"bob")]


def test_xreadgroup_setid_does_not_wake_but_counts_on_next_xadd(make_raw, r2):
    ex(r2, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    xadd(r2, "s", 1)
    ex(r2, "XGROUP", "SETID", "s", "g", "$")
    conn = blocked(make_raw, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
    ex(r2, "XGROUP", "SETID", "s", "g", "0")
    conn.assert_silent(0.2)
    xadd(r2, "s", 2)
    assert conn.recv_reply() == read_reply("s", 1, 2)


def test_xreadgroup_createconsumer_does_not_wake(make_raw, r2):
    ex(r2, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    conn = blocked(make_raw, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
    ex(r2, "XGROUP", "CREATECONSUMER", "s", "g", "c")
    conn.assert_silent(0.2)
    xadd(r2, "s", 1)
    assert conn.recv_reply() == read_reply("s", 1)


def test_xreadgroup_nogroup_after_destroy(make_raw, r2):
    ex(r2, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    conn = blocked(make_raw, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
    assert ex(r2, "XGROUP", "DESTROY", "s", "g") == 1
    assert conn.recv_reply() == NOGROUP_GONE


def test_xreadgroup_nogroup_after_key_recreated(make_raw, r2):
    ex(r2, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    conn = blocked(make_raw, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
    ex(r2, "DEL", "s")
    conn.assert_silent(0.2)  # a deleted key does not answer the reader
    xadd(r2, "s", 1)
    assert conn.recv_reply() == NOGROUP_GONE


def test_xreadgroup_nogroup_after_rename_over(make_raw, r2):
    ex(r2, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    conn = blocked(make_raw, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
    xadd(r2, "other", 1)
    ex(r2, "RENAME", "other", "s")
    assert conn.recv_reply() == NOGROUP_GONE


def test_xreadgroup_blocked_count(make_raw, r2):
    ex(r2, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    conn = blocked(make_raw, "XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "BLOCK", "0", "STREAMS", "s", ">")
    ex(r2, "MULTI")
    xadd(r2, "s", 1)
    xadd(r2, "s", 2)
    ex(r2, "EXEC")
    assert conn.recv_reply() == read_reply("s", 1)
    assert ex(r2, "XINFO", "GROUPS", "s")[0][7] == b"1-0"


def test_xreadgroup_blocks_when_only_deleted_entries_follow(make_raw, r2):
    ex(r2, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    xadd(r2, "s", 1)
    ex(r2, "XDEL", "s", "1-0")
    conn = blocked(make_raw, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
    xadd(r2, "s", 2)
    assert conn.recv_reply() == read_reply("s", 2)


def test_xreadgroup_mixed_keys(make_raw, r2):
    ex(r2, "XGROUP", "CREATE", "a", "g", "$", "MKSTREAM")
    ex(r2, "XGROUP", "CREATE", "b", "g", "$", "MKSTREAM")
    conn = blocked(make_raw, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "a", "b", ">", ">")
    xadd(r2, "b", 3)
    assert conn.recv_reply() == read_reply("b", 3)
    assert ex(r2, "XPENDING", "a", "g")[0] == 0 and ex(r2, "XPENDING", "b", "g")[0] == 1


def test_blocked_clients_in_info(make_raw, r2):
    c1 = blocked(make_raw, "XREAD", "BLOCK", "0", "STREAMS", "s", "$")
    probe = make_raw()
    assert _blocked_count(probe) >= 1
    xadd(r2, "s", 1)
    c1.recv_reply()
    deadline = time.monotonic() + 3
    while _blocked_count(probe) != 0:
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_disconnected_reader_is_forgotten(make_raw, r2):
    ex(r2, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    conn = blocked(make_raw, "XREADGROUP", "GROUP", "g", "gone", "BLOCK", "0", "STREAMS", "s", ">")
    conn.close()
    probe = make_raw()
    deadline = time.monotonic() + 3
    while _blocked_count(probe) != 0:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    xadd(r2, "s", 1)
    assert ex(r2, "XPENDING", "s", "g")[0] == 0
    assert ex(r2, "XINFO", "CONSUMERS", "s", "g") == []
