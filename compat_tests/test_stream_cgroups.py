"""Stream consumer groups, as Redis 6.2.14 does them: XGROUP CREATE / SETID / DESTROY /
CREATECONSUMER / DELCONSUMER (MKSTREAM, HELP, errors), XREADGROUP (``>``, history, NOACK,
COUNT, deleted entries), XACK, XPENDING (summary and extended, IDLE, consumer filter),
XCLAIM (IDLE / TIME / RETRYCOUNT / FORCE / JUSTID / LASTID), XAUTOCLAIM (cursor, COUNT,
JUSTID), XINFO GROUPS / CONSUMERS / STREAM FULL reply shapes on RESP2 and RESP3, keyspace
events and WATCH (group commands do not touch watched keys).
"""

from __future__ import annotations

import time

import pytest

from .helpers import err, ex

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "ERR syntax error"
NOT_INT = "ERR value is not an integer or out of range"
INVALID_ID = "ERR Invalid stream ID specified as stream command argument"
MAXID = "18446744073709551615-18446744073709551615"
NEED_KEY = ("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may "
            "want to use the MKSTREAM option to create an empty stream automatically.")


def sub_err(cmd, sub):
    return f"ERR Unknown subcommand or wrong number of arguments for '{sub}'. Try {cmd} HELP."


def pipe(r, cmds):
    p = r.pipeline(transaction=False)
    for c in cmds:
        p.execute_command(*c)
    return p.execute(raise_on_error=False)


def fill(r, key="s", n=3, start=1):
    pipe(r, [("XADD", key, f"{i}-0", "f", str(i)) for i in range(start, start + n)])


def entry(i):
    return [f"{i}-0".encode(), [b"f", str(i).encode()]]


def setup_group(r, n=3, group="g", key="s"):
    fill(r, key=key, n=n)
    assert ex(r, "XGROUP", "CREATE", key, group, "0") == b"OK"


def now_ms():
    return int(time.time() * 1000)


def pending(r, key="s", group="g", *extra):
    """XPENDING extended without the idle column (it depends on the clock)."""
    return [[row[0], row[1], row[3]] for row in ex(r, "XPENDING", key, group, "-", "+", "100", *extra)]


def as_dict(v):
    return v if isinstance(v, dict) else dict(zip(v[::2], v[1::2]))


# --------------------------------------------------------------------------- XGROUP CREATE


def test_xgroup_create_ids(r2):
    fill(r2, n=3)
    assert ex(r2, "XGROUP", "CREATE", "s", "g0", "0") == b"OK"
    assert ex(r2, "XGROUP", "CREATE", "s", "gd", "$") == b"OK"
    assert ex(r2, "XGROUP", "create", "s", "g2", "2") == b"OK"
    assert ex(r2, "XINFO", "GROUPS", "s") == [
        [b"name", b"g0", b"consumers", 0, b"pending", 0, b"last-delivered-id", b"0-0"],
        [b"name", b"g2", b"consumers", 0, b"pending", 0, b"last-delivered-id", b"2-0"],
        [b"name", b"gd", b"consumers", 0, b"pending", 0, b"last-delivered-id", b"3-0"]]


def test_xgroup_create_busygroup(r2):
    setup_group(r2)
    assert err(r2, "XGROUP", "CREATE", "s", "g", "$") == "BUSYGROUP Consumer Group name already exists"


def test_xgroup_create_mkstream(r2):
    assert err(r2, "XGROUP", "CREATE", "s", "g", "$") == NEED_KEY
    assert ex(r2, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM") == b"OK"
    assert ex(r2, "TYPE", "s") == b"stream"
    assert ex(r2, "XLEN", "s") == 0
    assert ex(r2, "XGROUP", "CREATE", "s", "g2", "7-0", "mkstream") == b"OK"
    assert ex(r2, "XINFO", "GROUPS", "s")[1][7] == b"7-0"


def test_xgroup_create_mkstream_invalid_id_creates_nothing(r2):
    assert err(r2, "XGROUP", "CREATE", "s", "g", "bad", "MKSTREAM") == INVALID_ID
    assert err(r2, "XGROUP", "CREATE", "s", "g", "-", "MKSTREAM") == INVALID_ID
    assert ex(r2, "EXISTS", "s") == 0


@pytest.mark.parametrize("args,message", [
    (["CREATE", "s", "g"], sub_err("XGROUP", "CREATE")),
    (["CREATE", "s", "g", "0", "FOO"], sub_err("XGROUP", "CREATE")),
    (["CREATE", "s", "g", "0", "MKSTREAM", "x"], sub_err("XGROUP", "CREATE")),
    (["create", "nokey", "g", "0", "MKSTREAM", "x"], NEED_KEY),
    (["CREATE", "s", "g", "bad"], INVALID_ID),
    (["CREATE", "s", "g", "+"], INVALID_ID),
    (["CREATE", "k", "g", "0"], WRONGTYPE),
    (["CREATE", "k", "g", "0", "MKSTREAM"], WRONGTYPE),
    (["FOO"], sub_err("XGROUP", "FOO")),
    (["foo", "s"], sub_err("XGROUP", "foo")),
    (["foo", "nokey", "g"], NEED_KEY),
    (["foo", "s", "g"], sub_err("XGROUP", "foo")),
    (["HELP", "x"], sub_err("XGROUP", "HELP")),
    (["HELP", "k", "g"], WRONGTYPE),
    (["SETID", "s", "nog", "0"], "NOGROUP No such consumer group 'nog' for key name 's'"),
    (["SETID", "s", "nog", "$"], "NOGROUP No such consumer group 'nog' for key name 's'"),
    (["SETID", "nokey", "g", "0"], NEED_KEY),
    (["SETID", "s", "g", "bad"], INVALID_ID),
    (["SETID", "s", "g"], sub_err("XGROUP", "SETID")),
    (["CREATECONSUMER", "s", "nog", "c"], "NOGROUP No such consumer group 'nog' for key name 's'"),
    (["DELCONSUMER", "s", "nog", "c"], "NOGROUP No such consumer group 'nog' for key name 's'"),
    (["CREATECONSUMER", "s", "g"], sub_err("XGROUP", "CREATECONSUMER")),
    (["DELCONSUMER", "s", "g", "c", "x"], sub_err("XGROUP", "DELCONSUMER")),
    (["DESTROY", "s", "g", "x"], sub_err("XGROUP", "DESTROY")),
    (["DESTROY", "nokey", "g"], NEED_KEY),
    (["SEEN-TIME", "s", "g", "c", "1"], sub_err("XGROUP", "SEEN-TIME")),
], ids=lambda a: " ".join(a) if isinstance(a, list) else "")
def test_xgroup_errors(r2, args, message):
    setup_group(r2)
    ex(r2, "SET", "k", "v")
    assert err(r2, "XGROUP", *args) == message


def test_xgroup_arity(r2):
    assert err(r2, "XGROUP") == "ERR wrong number of arguments for 'xgroup' command"


def test_xgroup_help(r2):
    assert ex(r2, "XGROUP", "HELP") == [
        b"XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        b"CREATE <key> <groupname> <id|$> [option]",
        b"    Create a new consumer group. Options are:",
        b"    * MKSTREAM",
        b"      Create the empty stream if it does not exist.",
        b"CREATECONSUMER <key> <groupname> <consumer>",
        b"    Create a new consumer in the specified group.",
        b"DELCONSUMER <key> <groupname> <consumer>",
        b"    Remove the specified consumer.",
        b"DESTROY <key> <groupname>    Remove the specified group.",
        b"SETID <key> <groupname> <id|$>",
        b"    Set the current group ID.",
        b"HELP",
        b"    Prints this help."]


# --------------------------------------------------------------------------- SETID / DESTROY / consumers


def test_xgroup_setid(r2):
    setup_group(r2, n=5)
    assert ex(r2, "XGROUP", "SETID", "s", "g", "$") == b"OK"
    assert ex(r2, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">") is None
    assert ex(r2, "XGROUP", "SETID", "s", "g", "3") == b"OK"
    assert ex(r2, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">") == [[b"s", [entry(4), entry(5)]]]
    for arg, shown in [("-", b"0-0"), ("+", MAXID.encode()), ("9-9", b"9-9"), ("0", b"0-0")]:
        assert ex(r2, "XGROUP", "SETID", "s", "g", arg) == b"OK"
        assert ex(r2, "XINFO", "GROUPS", "s")[0][7] == shown


def test_xgroup_setid_back_redelivers_to_new_owner(r2):
    setup_group(r2, n=2)
    ex(r2, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    ex(r2, "XCLAIM", "s", "g", "alice", "0", "1-0", "RETRYCOUNT", "5")
    ex(r2, "XGROUP", "SETID", "s", "g", "0")
    assert ex(r2, "XREADGROUP", "GROUP", "g", "bob", "COUNT", "1", "STREAMS", "s", ">") == [[b"s", [entry(1)]]]
    assert pending(r2) == [[b"1-0", b"bob", 1], [b"2-0", b"alice", 1]]
    assert ex(r2, "XPENDING", "s", "g")[3] == [[b"alice", b"1"], [b"bob", b"1"]]


def test_xgroup_destroy(r2):
    setup_group(r2)
    ex(r2, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    assert ex(r2, "XGROUP", "DESTROY", "s", "g") == 1
    assert ex(r2, "XGROUP", "DESTROY", "s", "g") == 0
    assert ex(r2, "XINFO", "GROUPS", "s") == []
    assert ex(r2, "XGROUP", "CREATE", "s", "g", "0") == b"OK"
    assert ex(r2, "XPENDING", "s", "g")[0] == 0


def test_xgroup_createconsumer(r2):
    setup_group(r2)
    assert ex(r2, "XGROUP", "CREATECONSUMER", "s", "g", "alice") == 1
    assert ex(r2, "XGROUP", "CREATECONSUMER", "s", "g", "alice") == 0
    assert ex(r2, "XGROUP", "CREATECONSUMER", "s", "g", "") == 1
    names = [c[1] for c in ex(r2, "XINFO", "CONSUMERS", "s", "g")]
    assert names == [b"", b"alice"]


def test_xgroup_delconsumer(r2):
    setup_group(r2, n=4)
    ex(r2, "XREADGROUP", "GROUP", "g", "alice", "COUNT", "3", "STREAMS", "s", ">")
    ex(r2, "XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">")
    assert ex(r2, "XGROUP", "DELCONSUMER", "s", "g", "alice") == 3
    assert ex(r2, "XGROUP", "DELCONSUMER", "s", "g", "alice") == 0
    assert ex(r2, "XGROUP", "DELCONSUMER", "s", "g", "nobody") == 0
    assert ex(r2, "XPENDING", "s", "g") == [1, b"4-0", b"4-0", [[b"bob", b"1"]]]
    assert ex(r2, "XINFO", "GROUPS", "s")[0][:6] == [b"name", b"g", b"consumers", 1, b"pending", 1]


# --------------------------------------------------------------------------- XREADGROUP


def test_xreadgroup_new_messages(r2):
    setup_group(r2, n=3)
    assert ex(r2, "XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">") == \
        [[b"s", [entry(1), entry(2)]]]
    assert ex(r2, "XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">") == [[b"s", [entry(3)]]]
    assert ex(r2, "XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">") is None
    assert pending(r2) == [[b"1-0", b"alice", 1], [b"2-0", b"alice", 1], [b"3-0", b"bob", 1]]
    assert ex(r2, "XINFO", "GROUPS", "s") == [
        [b"name", b"g", b"consumers", 2, b"pending", 3, b"last-delivered-id", b"3-0"]]


def test_xreadgroup_nothing_new_resp3(r):
    setup_group(r, n=1)
    ex(r, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    assert ex(r, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">") is None


def test_xreadgroup_resp3_map(make_client):
    r3 = make_client(protocol=3)
    setup_group(r3, n=2)
    fill(r3, key="t", n=1)
    ex(r3, "XGROUP", "CREATE", "t", "g", "0")
    assert ex(r3, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "t", ">", ">") == \
        {b"s": [entry(1), entry(2)], b"t": [entry(1)]}


def test_xreadgroup_consumer_not_created_without_delivery(r2):
    setup_group(r2, n=1)
    ex(r2, "XGROUP", "SETID", "s", "g", "$")
    assert ex(r2, "XREADGROUP", "GROUP", "g", "ghost", "STREAMS", "s", ">") is None
    assert ex(r2, "XINFO", "CONSUMERS", "s", "g") == []
    # a history read always serves (and so creates the consumer)
    assert ex(r2, "XREADGROUP", "GROUP", "g", "ghost", "STREAMS", "s", "0") == [[b"s", []]]
    assert [c[1] for c in ex(r2, "XINFO", "CONSUMERS", "s", "g")] == [b"ghost"]


def test_xreadgroup_history(r2):
    setup_group(r2, n=4)
    ex(r2, "XREADGROUP", "GROUP", "g", "alice", "COUNT", "3", "STREAMS", "s", ">")
    assert ex(r2, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "0") == \
        [[b"s", [entry(1), entry(2), entry(3)]]]
    assert ex(r2, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", "1-0") == [[b"s", [entry(2), entry(3)]]]
    assert ex(r2, "XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", "0") == [[b"s", [entry(1)]]]
    assert ex(r2, "XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", "0") == [[b"s", []]]
    # reading history counts as a new delivery
    assert pending(r2) == [[b"1-0", b"alice", 3], [b"2-0", b"alice", 3], [b"3-0", b"alice", 3]]


def test_xreadgroup_history_deleted_entry(r):
    setup_group(r, n=2)
    ex(r, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    ex(r, "XDEL", "s", "1-0")
    got = ex(r, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0")
    got = got[b"s"] if isinstance(got, dict) else got[0][1]
    assert got == [[b"1-0", None], entry(2)]
    # the deleted entry's delivery counter does not move
    assert pending(r) == [[b"1-0", b"c", 1], [b"2-0", b"c", 2]]


def test_xreadgroup_history_deleted_entry_bytes(raw):
    raw.cmd("XADD", "s", "1", "a", "b")
    raw.cmd("XGROUP", "CREATE", "s", "g", "0")
    raw.cmd("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    raw.cmd("XDEL", "s", "1")
    assert raw.cmd("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0") == \
        b"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*-1\r\n"


def test_xreadgroup_noack(r2):
    setup_group(r2, n=3)
    assert ex(r2, "XREADGROUP", "GROUP", "g", "c", "NOACK", "STREAMS", "s", ">") == \
        [[b"s", [entry(1), entry(2), entry(3)]]]
    assert ex(r2, "XPENDING", "s", "g")[0] == 0
    assert ex(r2, "XINFO", "GROUPS", "s")[0][7] == b"3-0"
    assert [c[1] for c in ex(r2, "XINFO", "CONSUMERS", "s", "g")] == [b"c"]


def test_xreadgroup_skips_deleted_and_tail(r2):
    setup_group(r2, n=4)
    ex(r2, "XDEL", "s", "2-0", "4-0")
    assert ex(r2, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">") == [[b"s", [entry(1), entry(3)]]]
    # the last live entry is delivered: nothing more to serve (the deleted 4-0 does not count)
    assert ex(r2, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">") is None
    assert ex(r2, "XINFO", "GROUPS", "s")[0][7] == b"3-0"


def test_xreadgroup_count_edges(r2):
    setup_group(r2, n=3)
    assert len(ex(r2, "XREADGROUP", "GROUP", "g", "c", "COUNT", "0", "STREAMS", "s", ">")[0][1]) == 3
    ex(r2, "XGROUP", "SETID", "s", "g", "0")
    assert len(ex(r2, "XREADGROUP", "GROUP", "g", "c", "COUNT", "-3", "STREAMS", "s", ">")[0][1]) == 3


def test_xreadgroup_max_id_means_new_messages(r2):
    # the ">" marker is the highest ID: spelling it out reads new messages too
    setup_group(r2, n=2)
    assert ex(r2, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", MAXID) == [[b"s", [entry(1), entry(2)]]]


@pytest.mark.parametrize("args,message", [
    (["GROUP", "nog", "c", "STREAMS", "s", ">"], "NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option"),
    (["GROUP", "g", "c", "STREAMS", "nokey", ">"], "NOGROUP No such key 'nokey' or consumer group 'g' in XREADGROUP with GROUP option"),
    (["GROUP", "g", "c", "STREAMS", "s", "$"], "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."),
    (["GROUP", "g", "c", "STREAMS", "s", "bad"], INVALID_ID),
    (["GROUP", "g", "c", "STREAMS", "s", "+"], INVALID_ID),
    (["GROUP", "g", "c", "STREAMS", "s", "k", ">", ">"], WRONGTYPE),
    (["GROUP", "g", "c", "STREAMS", "k", "s", ">", ">"], WRONGTYPE),
    (["GROUP", "g", "c", "STREAMS", "s", ">", "x"], "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."),
    (["STREAMS", "s", ">", "t", "x", "y"], "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."),
    (["COUNT", "1", "STREAMS", "s", "t", ">", ">"], "ERR Missing GROUP option for XREADGROUP"),
    (["GROUP", "g", "c", "FOO", "STREAMS", "s", ">"], SYNTAX),
    (["GROUP", "g", "c", "COUNT", "x", "STREAMS", "s", ">"], NOT_INT),
    (["GROUP", "g", "c", "GROUP", "nog", "c2", "STREAMS", "s", ">"], "NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP option"),
], ids=lambda a: " ".join(a) if isinstance(a, list) else "")
def test_xreadgroup_errors(r2, args, message):
    setup_group(r2, n=1)
    ex(r2, "SET", "k", "v")
    assert err(r2, "XREADGROUP", *args) == message


def test_xreadgroup_arity(r2):
    assert err(r2, "XREADGROUP", "GROUP", "g", "STREAMS", "s", ">") == \
        "ERR wrong number of arguments for 'xreadgroup' command"


# --------------------------------------------------------------------------- XACK


def test_xack(r2):
    setup_group(r2, n=4)
    ex(r2, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    assert ex(r2, "XACK", "s", "g", "1-0", "3", "1-0", "9-0") == 2
    assert ex(r2, "XACK", "s", "g", "1-0") == 0
    assert pending(r2) == [[b"2-0", b"alice", 1], [b"4-0", b"alice", 1]]
    assert ex(r2, "XINFO", "CONSUMERS", "s", "g")[0][3] == 2


def test_xack_errors(r2):
    setup_group(r2, n=2)
    ex(r2, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    assert err(r2, "XACK", "s", "g", "1-0", "bad") == INVALID_ID
    assert ex(r2, "XPENDING", "s", "g")[0] == 2  # all or nothing
    assert err(r2, "XACK", "s", "g", "-") == INVALID_ID
    assert ex(r2, "XACK", "nokey", "g", "bad") == 0
    assert ex(r2, "XACK", "s", "nog", "bad") == 0
    ex(r2, "SET", "k", "v")
    assert err(r2, "XACK", "k", "g", "1-0") == WRONGTYPE
    assert err(r2, "XACK", "s", "g") == "ERR wrong number of arguments for 'xack' command"


# --------------------------------------------------------------------------- XPENDING


def test_xpending_summary(r):
    setup_group(r, n=5)
    assert ex(r, "XPENDING", "s", "g") == [0, None, None, None]
    ex(r, "XREADGROUP", "GROUP", "g", "bob", "COUNT", "2", "STREAMS", "s", ">")
    ex(r, "XREADGROUP", "GROUP", "g", "alice", "COUNT", "3", "STREAMS", "s", ">")
    ex(r, "XGROUP", "CREATECONSUMER", "s", "g", "idle-one")
    assert ex(r, "XPENDING", "s", "g") == [5, b"1-0", b"5-0", [[b"alice", b"3"], [b"bob", b"2"]]]


def test_xpending_summary_empty_bytes(raw):
    raw.cmd("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    assert raw.cmd("XPENDING", "s", "g") == b"*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n"
    raw.cmd("HELLO", "3")
    assert raw.cmd("XPENDING", "s", "g") == b"*4\r\n:0\r\n_\r\n_\r\n_\r\n"


def test_xpending_extended(r2):
    setup_group(r2, n=5)
    ex(r2, "XREADGROUP", "GROUP", "g", "bob", "COUNT", "2", "STREAMS", "s", ">")
    ex(r2, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    rows = ex(r2, "XPENDING", "s", "g", "-", "+", "10")
    assert [r[:2] + r[3:] for r in rows] == [[b"1-0", b"bob", 1], [b"2-0", b"bob", 1], [b"3-0", b"alice", 1],
                                             [b"4-0", b"alice", 1], [b"5-0", b"alice", 1]]
    assert all(0 <= r[2] < 60000 for r in rows)
    assert [r[0] for r in ex(r2, "XPENDING", "s", "g", "2", "4", "10")] == [b"2-0", b"3-0", b"4-0"]
    assert [r[0] for r in ex(r2, "XPENDING", "s", "g", "(2", "(4-0", "10")] == [b"3-0"]
    assert [r[0] for r in ex(r2, "XPENDING", "s", "g", "(2", "(4", "10")] == [b"3-0", b"4-0"]
    assert [r[0] for r in ex(r2, "XPENDING", "s", "g", "-", "+", "2")] == [b"1-0", b"2-0"]
    assert ex(r2, "XPENDING", "s", "g", "-", "+", "0") == []
    assert ex(r2, "XPENDING", "s", "g", "-", "+", "-1") == []
    assert [r[0] for r in ex(r2, "XPENDING", "s", "g", "-", "+", "10", "bob")] == [b"1-0", b"2-0"]
    assert ex(r2, "XPENDING", "s", "g", "-", "+", "10", "nobody") == []
    # a sixth argument after the consumer is ignored
    assert [r[0] for r in ex(r2, "XPENDING", "s", "g", "-", "+", "10", "bob", "extra")] == [b"1-0", b"2-0"]


def test_xpending_idle_filter(r2):
    setup_group(r2, n=3)
    ex(r2, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    ex(r2, "XCLAIM", "s", "g", "c", "0", "1-0", "IDLE", "100000")
    rows = ex(r2, "XPENDING", "s", "g", "IDLE", "50000", "-", "+", "10")
    assert [r[0] for r in rows] == [b"1-0"] and 100000 <= rows[0][2] < 200000
    assert [r[0] for r in ex(r2, "XPENDING", "s", "g", "idle", "0", "-", "+", "10", "c")] == \
        [b"1-0", b"2-0", b"3-0"]
    assert ex(r2, "XPENDING", "s", "g", "IDLE", "50000", "-", "+", "10", "other") == []


@pytest.mark.parametrize("args,message", [
    (["s", "g", "-"], SYNTAX), (["s", "g", "-", "+"], SYNTAX), (["s", "g", "-", "+", "x"], NOT_INT),
    (["s", "g", "IDLE", "10", "-", "+"], SYNTAX), (["s", "g", "IDLE", "x", "-", "+", "10"], NOT_INT),
    (["s", "g", "IDLE", "10", "-", "+", "10", "c", "x"], SYNTAX),
    (["s", "g", "x", "+", "10"], INVALID_ID), (["s", "g", "-", "(+", "10"], INVALID_ID),
    (["s", "g", "(" + MAXID, "+", "10"], "ERR invalid start ID for the interval"),
    (["s", "g", "-", "(0-0", "10"], "ERR invalid end ID for the interval"),
    (["s", "nog"], "NOGROUP No such key 's' or consumer group 'nog'"),
    (["nokey", "g"], "NOGROUP No such key 'nokey' or consumer group 'g'"),
    (["nokey", "g", "bad", "+", "10"], INVALID_ID),
    (["k", "g"], WRONGTYPE), (["k", "g", "-", "+", "x"], NOT_INT),
], ids=lambda a: " ".join(a) if isinstance(a, list) else "")
def test_xpending_errors(r2, args, message):
    setup_group(r2, n=1)
    ex(r2, "SET", "k", "v")
    assert err(r2, "XPENDING", *args) == message


# --------------------------------------------------------------------------- XCLAIM


def test_xclaim_basic(r2):
    setup_group(r2, n=3)
    ex(r2, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    assert ex(r2, "XCLAIM", "s", "g", "bob", "0", "1-0", "2-0", "9-0") == [entry(1), entry(2)]
    assert pending(r2) == [[b"1-0", b"bob", 2], [b"2-0", b"bob", 2], [b"3-0", b"alice", 1]]
    assert ex(r2, "XCLAIM", "s", "g", "bob", "0", "3-0", "JUSTID") == [b"3-0"]
    assert pending(r2)[2] == [b"3-0", b"bob", 1]  # JUSTID does not count a delivery
    assert ex(r2, "XPENDING", "s", "g")[3] == [[b"bob", b"3"]]


def test_xclaim_min_idle(r2):
    setup_group(r2, n=2)
    ex(r2, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    assert ex(r2, "XCLAIM", "s", "g", "bob", "3600000", "1-0", "2-0") == []
    assert [c[1] for c in ex(r2, "XINFO", "CONSUMERS", "s", "g")] == [b"alice"]  # bob not created
    ex(r2, "XCLAIM", "s", "g", "alice", "0", "1-0", "IDLE", "7200000", "JUSTID")
    assert ex(r2, "XCLAIM", "s", "g", "bob", "3600000", "1-0", "2-0", "JUSTID") == [b"1-0"]


def test_xclaim_time_idle_retrycount(r2):
    setup_group(r2, n=3)
    ex(r2, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    t = now_ms() - 500000
    ex(r2, "XCLAIM", "s", "g", "bob", "0", "1-0", "TIME", str(t), "RETRYCOUNT", "7", "JUSTID")
    ex(r2, "XCLAIM", "s", "g", "bob", "0", "2-0", "IDLE", "300000", "RETRYCOUNT", "0")
    # a TIME in the future (or negative) means now
    ex(r2, "XCLAIM", "s", "g", "bob", "0", "3-0", "TIME", str(now_ms() + 10 ** 9), "RETRYCOUNT", "-4")
    full = ex(r2, "XINFO", "STREAM", "s", "FULL")
    pel = full[11][0][7]
    assert [p[0] for p in pel] == [b"1-0", b"2-0", b"3-0"]
    assert pel[0][2] == t and pel[0][3] == 7
    assert abs(pel[1][2] - (now_ms() - 300000)) < 30000 and pel[1][3] == 0
    assert abs(pel[2][2] - now_ms()) < 30000 and pel[2][3] == 2


def test_xclaim_force(r2):
    setup_group(r2, n=3)
    assert ex(r2, "XCLAIM", "s", "g", "c", "0", "1-0") == []
    assert ex(r2, "XCLAIM", "s", "g", "c", "0", "1-0", "FORCE") == [entry(1)]
    assert ex(r2, "XCLAIM", "s", "g", "c", "0", "2-0", "FORCE", "JUSTID") == [b"2-0"]
    assert ex(r2, "XCLAIM", "s", "g", "c", "0", "9-0", "FORCE") == []  # no such entry
    assert pending(r2) == [[b"1-0", b"c", 2], [b"2-0", b"c", 1]]
    # FORCE with a big min-idle: a fresh entry has no owner, the idle check does not apply
    assert ex(r2, "XCLAIM", "s", "g", "d", "99999999", "3-0", "FORCE", "JUSTID") == [b"3-0"]


def test_xclaim_deleted_entry(r):
    setup_group(r, n=2)
    ex(r, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    ex(r, "XDEL", "s", "1-0")
    assert ex(r, "XCLAIM", "s", "g", "bob", "0", "1-0", "2-0") == [None, entry(2)]
    assert pending(r) == [[b"1-0", b"bob", 2], [b"2-0", b"bob", 2]]
    assert ex(r, "XCLAIM", "s", "g", "bob", "0", "1-0", "JUSTID") == [b"1-0"]


def test_xclaim_lastid(r2):
    setup_group(r2, n=3)
    ex(r2, "XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">")
    assert ex(r2, "XCLAIM", "s", "g", "bob", "0", "1-0", "LASTID", "2-0", "JUSTID") == [b"1-0"]
    assert ex(r2, "XINFO", "GROUPS", "s")[0][7] == b"2-0"
    assert ex(r2, "XCLAIM", "s", "g", "bob", "0", "9-0", "LASTID", "10-0") == []
    assert ex(r2, "XINFO", "GROUPS", "s")[0][7] == b"10-0"
    ex(r2, "XCLAIM", "s", "g", "bob", "0", "9-0", "LASTID", "1-0")
    assert ex(r2, "XINFO", "GROUPS", "s")[0][7] == b"10-0"  # never moves back


@pytest.mark.parametrize("args,message", [
    (["s", "g", "c", "x", "1-0"], "ERR Invalid min-idle-time argument for XCLAIM"),
    (["s", "g", "c", "0", "1-0", "foo"], "ERR Unrecognized XCLAIM option 'foo'"),
    (["s", "g", "c", "0", "foo"], "ERR Unrecognized XCLAIM option 'foo'"),
    (["s", "g", "c", "0", "1-0", "IDLE"], "ERR Unrecognized XCLAIM option 'IDLE'"),
    (["s", "g", "c", "0", "1-0", "IDLE", "x"], "ERR Invalid IDLE option argument for XCLAIM"),
    (["s", "g", "c", "0", "1-0", "TIME", "x"], "ERR Invalid TIME option argument for XCLAIM"),
    (["s", "g", "c", "0", "1-0", "RETRYCOUNT", "x"], "ERR Invalid RETRYCOUNT option argument for XCLAIM"),
    (["s", "g", "c", "0", "1-0", "LASTID", "x"], INVALID_ID),
    (["s", "g", "c", "0", "1-0", "FORCE", "2-0"], "ERR Unrecognized XCLAIM option '2-0'"),
    (["s", "nog", "c", "x", "1-0"], "NOGROUP No such key 's' or consumer group 'nog'"),
    (["nokey", "g", "c", "0", "1-0"], "NOGROUP No such key 'nokey' or consumer group 'g'"),
    (["k", "g", "c", "x", "1-0"], WRONGTYPE),
], ids=lambda a: " ".join(a) if isinstance(a, list) else "")
def test_xclaim_errors(r2, args, message):
    setup_group(r2, n=2)
    ex(r2, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    ex(r2, "SET", "k", "v")
    assert err(r2, "XCLAIM", *args) == message
    assert pending(r2) == [[b"1-0", b"alice", 1], [b"2-0", b"alice", 1]]  # nothing claimed


# --------------------------------------------------------------------------- XAUTOCLAIM


def test_xautoclaim(r2):
    setup_group(r2, n=5)
    ex(r2, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    assert ex(r2, "XAUTOCLAIM", "s", "g", "bob", "0", "0", "COUNT", "2") == [b"3-0", [entry(1), entry(2)]]
    assert ex(r2, "XAUTOCLAIM", "s", "g", "bob", "0", "3-0", "COUNT", "2", "JUSTID") == [b"5-0", [b"3-0", b"4-0"]]
    assert ex(r2, "XAUTOCLAIM", "s", "g", "bob", "0", "5-0") == [b"0-0", [entry(5)]]
    assert pending(r2) == [[b"1-0", b"bob", 2], [b"2-0", b"bob", 2], [b"3-0", b"bob", 1],
                           [b"4-0", b"bob", 1], [b"5-0", b"bob", 2]]


def test_xautoclaim_exclusive_start_and_min_idle(r2):
    setup_group(r2, n=3)
    ex(r2, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    assert ex(r2, "XAUTOCLAIM", "s", "g", "bob", "3600000", "-") == [b"0-0", []]
    assert [c[1] for c in ex(r2, "XINFO", "CONSUMERS", "s", "g")] == [b"alice"]
    ex(r2, "XCLAIM", "s", "g", "alice", "0", "2-0", "IDLE", "7200000", "JUSTID")
    assert ex(r2, "XAUTOCLAIM", "s", "g", "bob", "3600000", "-") == [b"0-0", [entry(2)]]
    assert ex(r2, "XAUTOCLAIM", "s", "g", "bob", "0", "(1-0", "JUSTID") == [b"0-0", [b"2-0", b"3-0"]]


def test_xautoclaim_deleted_entries(r):
    setup_group(r, n=3)
    ex(r, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    ex(r, "XDEL", "s", "2-0")
    assert ex(r, "XAUTOCLAIM", "s", "g", "bob", "0", "0") == [b"0-0", [entry(1), None, entry(3)]]
    assert pending(r) == [[b"1-0", b"bob", 2], [b"2-0", b"bob", 2], [b"3-0", b"bob", 2]]


def test_xautoclaim_attempts_limit(r2):
    setup_group(r2, n=25)
    ex(r2, "XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">")
    ex(r2, "XCLAIM", "s", "g", "alice", "0", "25-0", "IDLE", "7200000", "JUSTID")
    # COUNT 1 examines at most 10 entries: the cursor says where to go on
    assert ex(r2, "XAUTOCLAIM", "s", "g", "bob", "3600000", "0", "COUNT", "1") == [b"11-0", []]
    assert ex(r2, "XAUTOCLAIM", "s", "g", "bob", "3600000", "11-0", "COUNT", "1") == [b"21-0", []]
    assert ex(r2, "XAUTOCLAIM", "s", "g", "bob", "3600000", "21-0", "COUNT", "1") == [b"0-0", [entry(25)]]


@pytest.mark.parametrize("args,message", [
    (["s", "g", "c", "x", "0"], "ERR Invalid min-idle-time argument for XAUTOCLAIM"),
    (["s", "g", "c", "0", "x"], INVALID_ID),
    (["s", "g", "c", "0", "(" + MAXID], "ERR invalid start ID for the interval"),
    (["s", "g", "c", "0", "0", "COUNT", "0"], "ERR COUNT must be > 0"),
    (["s", "g", "c", "0", "0", "COUNT", "x"], "ERR COUNT must be > 0"),
    (["s", "g", "c", "0", "0", "COUNT", "-1"], "ERR COUNT must be > 0"),
    (["s", "g", "c", "0", "0", "COUNT", "9223372036854775808"], "ERR COUNT must be > 0"),
    (["s", "g", "c", "0", "0", "COUNT"], SYNTAX),
    (["s", "g", "c", "0", "0", "JUSTID", "foo"], SYNTAX),
    (["s", "nog", "c", "0", "0"], "NOGROUP No such key 's' or consumer group 'nog'"),
    (["nokey", "g", "c", "0", "0"], "NOGROUP No such key 'nokey' or consumer group 'g'"),
    (["k", "g", "c", "0", "0"], WRONGTYPE),
    (["k", "g", "c", "x", "0"], "ERR Invalid min-idle-time argument for XAUTOCLAIM"),
], ids=lambda a: " ".join(a) if isinstance(a, list) else "")
def test_xautoclaim_errors(r2, args, message):
    setup_group(r2, n=1)
    ex(r2, "SET", "k", "v")
    assert err(r2, "XAUTOCLAIM", *args) == message


# --------------------------------------------------------------------------- XINFO shapes


def test_xinfo_consumers(r):
    setup_group(r, n=3)
    ex(r, "XREADGROUP", "GROUP", "g", "bob", "COUNT", "2", "STREAMS", "s", ">")
    ex(r, "XGROUP", "CREATECONSUMER", "s", "g", "alice")
    rows = [as_dict(x) for x in ex(r, "XINFO", "CONSUMERS", "s", "g")]
    assert [(x[b"name"], x[b"pending"]) for x in rows] == [(b"alice", 0), (b"bob", 2)]
    assert all(0 <= x[b"idle"] < 60000 for x in rows)
    assert [list(x) for x in rows] == [[b"name", b"pending", b"idle"]] * 2


def test_xinfo_consumers_errors(r2):
    setup_group(r2, n=1)
    assert err(r2, "XINFO", "CONSUMERS", "s", "nog") == "NOGROUP No such consumer group 'nog' for key name 's'"
    assert err(r2, "XINFO", "CONSUMERS", "s") == sub_err("XINFO", "CONSUMERS")
    assert err(r2, "XINFO", "CONSUMERS", "nokey", "g") == "ERR no such key"


def test_xinfo_groups_resp3(make_client):
    r3 = make_client(protocol=3)
    setup_group(r3, n=2)
    ex(r3, "XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">")
    assert ex(r3, "XINFO", "GROUPS", "s") == [
        {b"name": b"g", b"consumers": 1, b"pending": 1, b"last-delivered-id": b"1-0"}]


def test_xinfo_stream_groups_count(r2):
    setup_group(r2, n=1)
    ex(r2, "XGROUP", "CREATE", "s", "g2", "$")
    assert ex(r2, "XINFO", "STREAM", "s")[9] == 2


def test_xinfo_stream_full_with_groups(r):
    setup_group(r, n=3)
    ex(r, "XGROUP", "CREATE", "s", "a-group", "$")
    ex(r, "XREADGROUP", "GROUP", "g", "bob", "COUNT", "2", "STREAMS", "s", ">")
    ex(r, "XGROUP", "CREATECONSUMER", "s", "g", "alice")
    full = as_dict(ex(r, "XINFO", "STREAM", "s", "FULL"))
    assert list(full) == [b"length", b"radix-tree-keys", b"radix-tree-nodes", b"last-generated-id",
                          b"entries", b"groups"]
    assert full[b"entries"] == [entry(1), entry(2), entry(3)]
    ga, gg = [as_dict(g) for g in full[b"groups"]]
    assert ga == {b"name": b"a-group", b"last-delivered-id": b"3-0", b"pel-count": 0, b"pending": [],
                  b"consumers": []}
    assert list(gg) == [b"name", b"last-delivered-id", b"pel-count", b"pending", b"consumers"]
    assert gg[b"last-delivered-id"] == b"2-0" and gg[b"pel-count"] == 2
    now = now_ms()
    assert [(p[0], p[1], p[3]) for p in gg[b"pending"]] == [(b"1-0", b"bob", 1), (b"2-0", b"bob", 1)]
    assert all(abs(p[2] - now) < 60000 for p in gg[b"pending"])
    alice, bob = [as_dict(c) for c in gg[b"consumers"]]
    assert list(bob) == [b"name", b"seen-time", b"pel-count", b"pending"]
    assert (alice[b"name"], alice[b"pel-count"], alice[b"pending"]) == (b"alice", 0, [])
    assert (bob[b"name"], bob[b"pel-count"]) == (b"bob", 2)
    assert [(p[0], p[2]) for p in bob[b"pending"]] == [(b"1-0", 1), (b"2-0", 1)]
    assert bob[b"pending"][0][1] == gg[b"pending"][0][2]
    assert abs(bob[b"seen-time"] - now) < 60000


def test_xinfo_stream_full_pel_count_limit(r2):
    setup_group(r2, n=15)
    ex(r2, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    g = ex(r2, "XINFO", "STREAM", "s", "FULL")[11][0]
    assert g[5] == 15 and len(g[7]) == 10 and len(g[9][0][7]) == 10
    g = ex(r2, "XINFO", "STREAM", "s", "FULL", "COUNT", "0")[11][0]
    assert len(g[7]) == 15 and len(g[9][0][7]) == 15
    g = ex(r2, "XINFO", "STREAM", "s", "FULL", "COUNT", "2")[11][0]
    assert [p[0] for p in g[7]] == [b"1-0", b"2-0"] and len(g[9][0][7]) == 2


# --------------------------------------------------------------------------- events, WATCH, table


def test_group_commands_do_not_touch_watched_keys(make_client):
    a = make_client()
    b = make_client()
    setup_group(a, n=3)
    for cmd in (["XGROUP", "CREATE", "s", "g2", "0"], ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"],
                ["XACK", "s", "g", "1-0"], ["XCLAIM", "s", "g", "d", "0", "2-0"],
                ["XAUTOCLAIM", "s", "g", "e", "0", "0"], ["XGROUP", "CREATECONSUMER", "s", "g", "f"],
                ["XGROUP", "DELCONSUMER", "s", "g", "f"], ["XGROUP", "SETID", "s", "g", "0"],
                ["XGROUP", "DESTROY", "s", "g2"]):
        ex(a, "WATCH", "s")
        ex(b, *cmd)
        ex(a, "MULTI")
        ex(a, "PING")
        assert ex(a, "EXEC") == [b"PONG"], cmd


def test_xgroup_create_mkstream_touches_watched_key(make_client):
    a = make_client()
    b = make_client()
    ex(a, "WATCH", "s")
    ex(b, "XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
    ex(a, "MULTI")
    ex(a, "PING")
    assert ex(a, "EXEC") is None


def test_group_keyspace_events(make_client):
    admin = make_client()
    ex(admin, "CONFIG", "SET", "notify-keyspace-events", "KEA")
    try:
        sub = make_client()
        ps = sub.pubsub()
        ps.psubscribe("__keyspace@0__:*")
        ps.get_message(timeout=1)
        setup_group(admin, n=3)
        for cmd in (["XGROUP", "CREATE", "s2", "g", "0", "MKSTREAM"],
                    ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"],
                    ["XREADGROUP", "GROUP", "g", "c2", "NOACK", "STREAMS", "s", "0"],
                    ["XACK", "s", "g", "1-0"], ["XCLAIM", "s", "g", "c3", "0", "3-0"],
                    ["XAUTOCLAIM", "s", "g", "c4", "0", "0"], ["XGROUP", "CREATECONSUMER", "s", "g", "e"],
                    ["XGROUP", "CREATECONSUMER", "s", "g", "e"], ["XGROUP", "DELCONSUMER", "s", "g", "zz"],
                    ["XGROUP", "SETID", "s", "g", "0"], ["XGROUP", "DESTROY", "s", "g"],
                    ["XGROUP", "DESTROY", "s", "g"]):
            ex(admin, *cmd)
        got = []
        while True:
            m = ps.get_message(timeout=0.3)
            if m is None:
                break
            if m["type"] == "pmessage":
                got.append((m["channel"].split(b":", 1)[1], m["data"]))
    finally:
        ex(admin, "CONFIG", "SET", "notify-keyspace-events", "")
    assert got == [(b"s", b"xadd"), (b"s", b"xadd"), (b"s", b"xadd"), (b"s", b"xgroup-create"),
                   (b"s2", b"xgroup-create"), (b"s", b"xgroup-createconsumer"),
                   (b"s", b"xgroup-delconsumer"), (b"s", b"xgroup-setid"), (b"s", b"xgroup-destroy")]


def test_command_info_group_commands(r2):
    got = {row[0]: row[1:6] for row in ex(r2, "COMMAND", "INFO", "xgroup", "xreadgroup", "xack",
                                           "xpending", "xclaim", "xautoclaim")}
    assert got[b"xgroup"] == [-2, [b"write", b"denyoom"], 2, 2, 1]
    assert got[b"xreadgroup"] == [-7, [b"write", b"movablekeys"], 0, 0, 0]
    assert got[b"xack"] == [-4, [b"write", b"random", b"fast"], 1, 1, 1]
    assert got[b"xpending"] == [-3, [b"readonly", b"random"], 1, 1, 1]
    assert got[b"xclaim"] == [-6, [b"write", b"random", b"fast"], 1, 1, 1]
    assert got[b"xautoclaim"] == [-6, [b"write", b"random", b"fast"], 1, 1, 1]


def test_xreadgroup_inside_multi(r2):
    setup_group(r2, n=2)
    ex(r2, "MULTI")
    ex(r2, "XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "s", ">")
    ex(r2, "XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
    ex(r2, "XACK", "s", "g", "1-0", "2-0")
    assert ex(r2, "EXEC") == [[[b"s", [entry(1)]]], [[b"s", [entry(2)]]], 2]


def test_xautoclaim_huge_count(r2):
    setup_group(r2, n=3)
    ex(r2, "XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", ">")
    assert ex(r2, "XAUTOCLAIM", "s", "g", "b", "0", "0", "COUNT", "9223372036854775807", "JUSTID") == \
        [b"0-0", [b"1-0", b"2-0", b"3-0"]]
