"""Cluster mode on one node: CLUSTER subcommands, slot checks (CROSSSLOT, CLUSTERDOWN),
READONLY/READWRITE/ASKING, and what cluster mode changes elsewhere (SELECT, MOVE, SWAPDB,
COPY ... DB, SORT BY/GET, INFO, HELLO).

Each target gets private servers started with ``--cluster-enabled yes`` (``make_server``).
A one-node Redis 6.2 cluster starts with no slots: the fixture gives it all 16384 with
``CLUSTER ADDSLOTS`` and waits for ``cluster_state:ok`` (Redis waits ~2 s after startup).  A
fresh Perdure node already owns every slot, so there the fixture only checks.  Both announce
127.0.0.1 (``--cluster-announce-ip``; Perdure announces its bind address even without it).

Redis refuses to start in cluster mode on a port above 55535 (its bus port would pass 65535),
so the servers here are started on a free port below that.
"""

from __future__ import annotations

import re
import socket
import time

import pytest

from . import conftest
from .helpers import err, ex

pytestmark = pytest.mark.not_on("external", reason="starts private cluster-mode servers")

CLUSTER_ARGS = ("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-announce-ip", "127.0.0.1")
CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot"
DISABLED = "ERR This instance has cluster support disabled"
UNKNOWN_SUB = "ERR Unknown subcommand or wrong number of arguments for '%s'. Try CLUSTER HELP."

# keys of known slots (checked against Redis 6.2.14)
KEY_SLOT_100 = "k2136"


def _low_free_port() -> int:
    for _ in range(500):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port <= 55535:
            return port
    raise RuntimeError("no free port <= 55535")


def _wait_ok(client, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        info = ex(client, "CLUSTER", "INFO")
        if b"cluster_state:ok" in info:
            return
        if time.monotonic() > deadline:
            raise AssertionError("cluster_state never became ok: %r" % info)
        time.sleep(0.05)


def _start(make_server, *extra):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(conftest, "_free_port", _low_free_port)
        t = make_server(*CLUSTER_ARGS, *extra)
    c = t.client()
    try:
        if b"cluster_slots_assigned:0\r\n" in ex(c, "CLUSTER", "INFO"):
            ex(c, "CLUSTER", "ADDSLOTS", *range(16384))
        _wait_ok(c)
    finally:
        c.close()
    return t


@pytest.fixture(scope="module")
def cl(make_server):
    """The module's shared one-node cluster (tests leave every slot assigned and stable)."""
    return _start(make_server)


@pytest.fixture(scope="module")
def _c2_conn(cl):
    c = cl.client(protocol=2)
    yield c
    c.close()


@pytest.fixture
def c2(_c2_conn):
    """A RESP2 client in a clean state: one connection for the module (TLS handshakes are
    slow), RESET (MULTI, READONLY, ASKING, name...) and FLUSHALL before each test."""
    ex(_c2_conn, "RESET")
    ex(_c2_conn, "FLUSHALL")
    return _c2_conn


@pytest.fixture
def c3(cl):
    c = cl.client(protocol=3)
    ex(c, "FLUSHALL")
    yield c
    c.close()


@pytest.fixture
def craw(cl):
    conn = cl.raw()
    yield conn
    conn.close()


def myid(c) -> str:
    return ex(c, "CLUSTER", "MYID").decode()


def info_fields(c) -> dict:
    text = ex(c, "CLUSTER", "INFO").decode()
    return dict(line.split(":", 1) for line in text.split("\r\n") if line)


# --------------------------------------------------------------------------- CLUSTER INFO / MYID


def test_info_fields(c2):
    f = info_fields(c2)
    assert list(f) == ["cluster_state", "cluster_slots_assigned", "cluster_slots_ok",
                       "cluster_slots_pfail", "cluster_slots_fail", "cluster_known_nodes",
                       "cluster_size", "cluster_current_epoch", "cluster_my_epoch",
                       "cluster_stats_messages_sent", "cluster_stats_messages_received"]
    assert f["cluster_state"] == "ok"
    assert f["cluster_slots_assigned"] == f["cluster_slots_ok"] == "16384"
    assert f["cluster_slots_pfail"] == f["cluster_slots_fail"] == "0"
    assert f["cluster_known_nodes"] == f["cluster_size"] == "1"
    assert f["cluster_stats_messages_sent"] == f["cluster_stats_messages_received"] == "0"
    assert int(f["cluster_current_epoch"]) >= int(f["cluster_my_epoch"]) >= 0


def test_info_resp2_is_bulk(craw):
    reply = craw.cmd("CLUSTER", "INFO")
    assert reply.startswith(b"$") and b"\r\ncluster_state:ok\r\n" in reply
    assert reply.endswith(b"cluster_stats_messages_received:0\r\n\r\n")


def test_info_resp3_is_verbatim(craw):
    craw.cmd("HELLO", "3")
    reply = craw.cmd("CLUSTER", "INFO")
    assert reply.startswith(b"=") and b"\r\ntxt:cluster_state:ok\r\n" in reply


def test_myid(c2):
    assert re.fullmatch(r"[0-9a-f]{40}", myid(c2))
    assert myid(c2) == myid(c2)


def test_cluster_case_insensitive(c2):
    assert ex(c2, "cluster", "myid") == ex(c2, "CLUSTER", "MyId")


# --------------------------------------------------------------------------- NODES / SLOTS


def test_nodes_line(cl, c2):
    text = ex(c2, "CLUSTER", "NODES").decode()
    m = re.fullmatch(r"([0-9a-f]{40}) 127\.0\.0\.1:(\d+)@(\d+) myself,master - 0 0 (\d+) connected 0-16383\n",
                     text)
    assert m, text
    assert m.group(1) == myid(c2)
    assert int(m.group(2)) == cl.port
    assert int(m.group(3)) == cl.port + 10000
    assert int(m.group(4)) == int(info_fields(c2)["cluster_my_epoch"])


def test_nodes_resp3_is_verbatim(craw):
    craw.cmd("HELLO", "3")
    reply = craw.cmd("CLUSTER", "NODES")
    assert reply.startswith(b"=") and b"\r\ntxt:" in reply and reply.endswith(b"0-16383\n\r\n")


def test_slots(cl, c2):
    assert ex(c2, "CLUSTER", "SLOTS") == [[0, 16383, [b"127.0.0.1", cl.port, myid(c2).encode()]]]


def test_slots_resp3_same_shape(cl, c3):
    assert ex(c3, "CLUSTER", "SLOTS") == [[0, 16383, [b"127.0.0.1", cl.port, myid(c3).encode()]]]


def test_slots_raw_bytes(cl, craw):
    me = craw.cmd("CLUSTER", "MYID").split(b"\r\n")[1]
    port = str(cl.port).encode()
    assert craw.cmd("CLUSTER", "SLOTS") == (b"*1\r\n*3\r\n:0\r\n:16383\r\n*3\r\n$9\r\n127.0.0.1\r\n:" + port
                                            + b"\r\n$40\r\n" + me + b"\r\n")


# --------------------------------------------------------------------------- KEYSLOT


@pytest.mark.parametrize("key,slot", [
    ("foo", 12182), ("bar", 5061), ("", 0), ("123456789", 12739), ("a", 15495),
    ("{user1000}.following", 3443), ("user1000", 3443), ("{}", 15257), ("foo{}{bar}", 8363),
    ("foo{{bar}}zap", 4015), ("foo{bar}{zap}", 5061), ("{", 4092), ("}{a}", 15495),
    ("a\x00b", 8383), (KEY_SLOT_100, 100),
])
def test_keyslot(c2, key, slot):
    assert ex(c2, "CLUSTER", "KEYSLOT", key) == slot


def test_keyslot_hash_tags_agree(c2):
    slots = {ex(c2, "CLUSTER", "KEYSLOT", k) for k in ("{tag}a", "{tag}b", "x{tag}y", "tag", "{tag}")}
    assert len(slots) == 1


def test_keyslot_binary_and_long(c2):
    assert ex(c2, "CLUSTER", "KEYSLOT", bytes(range(256))) == ex(c2, "CLUSTER", "KEYSLOT", bytes(range(256)))
    assert 0 <= ex(c2, "CLUSTER", "KEYSLOT", "x" * 100000) < 16384


@pytest.mark.parametrize("args", [("KEYSLOT",), ("KEYSLOT", "a", "b")])
def test_keyslot_arity(c2, args):
    assert err(c2, "CLUSTER", *args) == UNKNOWN_SUB % args[0]


# --------------------------------------------------------------------------- COUNTKEYSINSLOT / GETKEYSINSLOT


def test_countkeysinslot(c2):
    assert ex(c2, "CLUSTER", "COUNTKEYSINSLOT", 3443) == 0
    ex(c2, "MSET", "{user1000}.a", 1, "{user1000}.b", 2, "user1000", 3)
    ex(c2, "SET", "other", 1)
    assert ex(c2, "CLUSTER", "COUNTKEYSINSLOT", 3443) == 3
    ex(c2, "DEL", "{user1000}.a")
    assert ex(c2, "CLUSTER", "COUNTKEYSINSLOT", 3443) == 2
    ex(c2, "FLUSHALL")
    assert ex(c2, "CLUSTER", "COUNTKEYSINSLOT", 3443) == 0


def test_countkeysinslot_counts_all_types(c2):
    ex(c2, "SET", "{t}s", 1)
    ex(c2, "RPUSH", "{t}l", 1)
    ex(c2, "HSET", "{t}h", "f", 1)
    ex(c2, "SADD", "{t}set", 1)
    ex(c2, "ZADD", "{t}z", 1, "m")
    assert ex(c2, "CLUSTER", "COUNTKEYSINSLOT", ex(c2, "CLUSTER", "KEYSLOT", "t")) == 5


@pytest.mark.parametrize("slot,msg", [
    ("-1", "ERR Invalid slot"), ("16384", "ERR Invalid slot"), ("abc", "ERR value is not an integer or out of range"),
    ("1.5", "ERR value is not an integer or out of range"), ("99999999999999999999", "ERR value is not an integer or out of range"),
])
def test_countkeysinslot_errors(c2, slot, msg):
    assert err(c2, "CLUSTER", "COUNTKEYSINSLOT", slot) == msg


def test_countkeysinslot_arity(c2):
    assert err(c2, "CLUSTER", "COUNTKEYSINSLOT") == UNKNOWN_SUB % "COUNTKEYSINSLOT"


def test_getkeysinslot_sorted_and_limited(c2):
    keys = [b"{u}z", b"{u}a", b"u", b"{u}m", b"{u}b"]
    for k in keys:
        ex(c2, "SET", k, 1)
    slot = ex(c2, "CLUSTER", "KEYSLOT", "u")
    assert ex(c2, "CLUSTER", "GETKEYSINSLOT", slot, 10) == sorted(keys)
    assert ex(c2, "CLUSTER", "GETKEYSINSLOT", slot, 2) == sorted(keys)[:2]
    assert ex(c2, "CLUSTER", "GETKEYSINSLOT", slot, 0) == []
    assert ex(c2, "CLUSTER", "GETKEYSINSLOT", (slot + 1) % 16384, 10) == []


def test_getkeysinslot_after_changes(c2):
    ex(c2, "SET", "{s}1", 1)
    slot = ex(c2, "CLUSTER", "KEYSLOT", "s")
    assert ex(c2, "CLUSTER", "GETKEYSINSLOT", slot, 10) == [b"{s}1"]
    ex(c2, "RENAME", "{s}1", "{s}2")
    ex(c2, "SET", "{s}3", 1)
    assert ex(c2, "CLUSTER", "GETKEYSINSLOT", slot, 10) == [b"{s}2", b"{s}3"]
    ex(c2, "DEL", "{s}2", "{s}3")
    assert ex(c2, "CLUSTER", "GETKEYSINSLOT", slot, 10) == []
    ex(c2, "SET", "{s}2", 1)
    assert ex(c2, "CLUSTER", "GETKEYSINSLOT", slot, 10) == [b"{s}2"]


def test_getkeysinslot_many_keys(c2):
    ex(c2, "MSET", *[x for i in range(300) for x in ("{many}%03d" % i, i)])
    for i in range(50):
        ex(c2, "SET", "spread%d" % i, i)
    slot = ex(c2, "CLUSTER", "KEYSLOT", "many")
    assert ex(c2, "CLUSTER", "COUNTKEYSINSLOT", slot) == 300
    assert ex(c2, "CLUSTER", "GETKEYSINSLOT", slot, 3) == [b"{many}000", b"{many}001", b"{many}002"]


@pytest.mark.parametrize("args,msg", [
    (("-1", "1"), "ERR Invalid slot or number of keys"),
    (("16384", "1"), "ERR Invalid slot or number of keys"),
    (("1", "-1"), "ERR Invalid slot or number of keys"),
    (("x", "1"), "ERR value is not an integer or out of range"),
    (("1", "x"), "ERR value is not an integer or out of range"),
])
def test_getkeysinslot_errors(c2, args, msg):
    assert err(c2, "CLUSTER", "GETKEYSINSLOT", *args) == msg


# --------------------------------------------------------------------------- CROSSSLOT


@pytest.mark.parametrize("cmd", [
    ("MSET", "a", "1", "b", "2"), ("MGET", "a", "b"), ("DEL", "a", "b"), ("EXISTS", "a", "b"),
    ("RENAME", "a", "b"), ("SUNIONSTORE", "a", "b"), ("SMOVE", "a", "b", "m"),
    ("RPOPLPUSH", "a", "b"), ("LMOVE", "a", "b", "LEFT", "RIGHT"), ("BITOP", "AND", "a", "b"),
    ("ZUNIONSTORE", "a", "2", "{a}x", "b"), ("BLPOP", "a", "b", "0"), ("WATCH", "a", "b"),
    ("COPY", "a", "b"), ("MSETNX", "a", "1", "{a}x", "2", "b", "3"), ("SORT", "a", "STORE", "b"),
    ("EVAL", "return 1", "2", "a", "b"), ("UNLINK", "a", "b"), ("TOUCH", "a", "b"),
])
def test_crossslot(c2, cmd):
    assert err(c2, *cmd) == CROSSSLOT


@pytest.mark.parametrize("cmd,reply", [
    (("MSET", "{a}1", "1", "{a}2", "2"), b"OK"),
    (("MGET", "a", "a"), [None, None]),
    (("DEL", "{x}a", "{x}b", "x"), 0),
    (("EXISTS", "{user1000}.a", "user1000"), 0),
    (("SUNIONSTORE", "{s}d", "{s}a", "s"), 0),
    (("EVAL", "return #KEYS", "2", "{e}1", "{e}2"), 2),
])
def test_same_slot_ok(c2, cmd, reply):
    assert ex(c2, *cmd) == reply


def test_crossslot_is_counted(cl):
    c = cl.client()
    try:
        ex(c, "CONFIG", "RESETSTAT")
        assert err(c, "MGET", "a", "b") == CROSSSLOT
        stats = ex(c, "INFO", "errorstats").decode()
        assert "errorstat_CROSSSLOT:count=1" in stats
        cmdstats = ex(c, "INFO", "commandstats").decode()
        assert re.search(r"cmdstat_mget:calls=0,usec=0,usec_per_call=0\.00,rejected_calls=1,failed_calls=0", cmdstats)
    finally:
        c.close()


def test_crossslot_nothing_written(c2):
    assert err(c2, "MSET", "a", "1", "b", "2") == CROSSSLOT
    assert ex(c2, "DBSIZE") == 0


def test_crossslot_in_multi_aborts_exec(c2):
    assert ex(c2, "MULTI") == b"OK"
    assert ex(c2, "SET", "{a}x", "1") == b"QUEUED"
    assert err(c2, "MGET", "a", "b") == CROSSSLOT
    assert err(c2, "EXEC") == "EXECABORT Transaction discarded because of previous errors."
    assert ex(c2, "EXISTS", "{a}x") == 0


def test_crossslot_across_queued_commands(c2):
    assert ex(c2, "MULTI") == b"OK"
    assert ex(c2, "SET", "a", "1") == b"QUEUED"
    assert ex(c2, "SET", "b", "1") == b"QUEUED"
    assert err(c2, "EXEC") == CROSSSLOT
    assert err(c2, "EXEC") == "ERR EXEC without MULTI"
    assert ex(c2, "MGET", "a", "a") == [None, None]


def test_multi_same_slot_runs(c2):
    assert ex(c2, "MULTI") == b"OK"
    ex(c2, "SET", "{t}a", "1")
    ex(c2, "INCR", "{t}b")
    ex(c2, "PING")
    assert ex(c2, "EXEC") == [b"OK", 1, b"PONG"]


def test_keyless_commands_work(c2):
    ex(c2, "MSET", "{k}1", "a", "{k}2", "b")
    ex(c2, "SET", "other", "c")
    assert ex(c2, "DBSIZE") == 3
    assert sorted(ex(c2, "KEYS", "*")) == [b"other", b"{k}1", b"{k}2"]
    cursor, keys = ex(c2, "SCAN", 0, "COUNT", 100)
    assert cursor == b"0" and sorted(keys) == [b"other", b"{k}1", b"{k}2"]
    assert ex(c2, "RANDOMKEY") in (b"other", b"{k}1", b"{k}2")
    assert ex(c2, "PING") == b"PONG"


# --------------------------------------------------------------------------- cluster mode elsewhere


@pytest.mark.parametrize("cmd,msg", [
    (("SELECT", "1"), "ERR SELECT is not allowed in cluster mode"),
    (("SELECT", "16"), "ERR SELECT is not allowed in cluster mode"),
    (("SELECT", "-1"), "ERR SELECT is not allowed in cluster mode"),
    (("SELECT", "abc"), "ERR value is not an integer or out of range"),
    (("SWAPDB", "0", "1"), "ERR SWAPDB is not allowed in cluster mode"),
    (("COPY", "a", "{a}b", "DB", "1"), "ERR Copying to another database is not allowed in cluster mode"),
    (("SORT", "a", "BY", "w_*"), "ERR BY option of SORT denied in Cluster mode."),
    (("SORT", "a", "GET", "#"), "ERR GET option of SORT denied in Cluster mode."),
])
def test_cluster_mode_refusals(c2, cmd, msg):
    ex(c2, "RPUSH", "a", "1")
    assert err(c2, *cmd) == msg


def test_move_refused(c2):
    ex(c2, "SET", "a", "1")
    assert err(c2, "MOVE", "a", "1") == "ERR MOVE is not allowed in cluster mode"


def test_select_0_ok(c2):
    assert ex(c2, "SELECT", "0") == b"OK"


def test_sort_by_constant_allowed(c2):
    ex(c2, "RPUSH", "a", "3", "1", "2")
    assert ex(c2, "SORT", "a", "BY", "nosort") == [b"3", b"1", b"2"]


def test_info_cluster_enabled(c2):
    assert ex(c2, "INFO", "cluster") == b"# Cluster\r\ncluster_enabled:1\r\n"
    assert b"\r\nredis_mode:cluster\r\n" in ex(c2, "INFO", "server")


def test_hello_mode_cluster(c3):
    assert ex(c3, "HELLO", "3")[b"mode"] == b"cluster"


# --------------------------------------------------------------------------- READONLY / READWRITE / ASKING


def test_readonly_readwrite_flags(c2):
    def flags():
        line = ex(c2, "CLIENT", "INFO").decode()
        return re.search(r" flags=(\S+) ", line).group(1)

    assert flags() == "N"
    assert ex(c2, "READONLY") == b"OK"
    assert flags() == "r"
    assert ex(c2, "READONLY") == b"OK"
    assert flags() == "r"
    assert ex(c2, "GET", "a") is None
    assert ex(c2, "SET", "a", "1") == b"OK"
    assert ex(c2, "READWRITE") == b"OK"
    assert flags() == "N"


def test_reset_clears_readonly(c2):
    ex(c2, "READONLY")
    assert ex(c2, "RESET") == b"RESET"
    assert re.search(r" flags=N ", ex(c2, "CLIENT", "INFO").decode())


def test_asking(c2):
    assert ex(c2, "ASKING") == b"OK"
    assert ex(c2, "GET", "a") is None
    assert ex(c2, "ASKING") == b"OK"
    assert ex(c2, "MULTI") == b"OK"
    assert ex(c2, "ASKING") == b"QUEUED"
    assert ex(c2, "EXEC") == [b"OK"]


@pytest.mark.parametrize("name", ["READONLY", "READWRITE", "ASKING"])
def test_connection_flag_commands_arity(c2, name):
    assert err(c2, name, "x") == "ERR wrong number of arguments for '%s' command" % name.lower()


def test_command_info(c2):
    assert ex(c2, "COMMAND", "INFO", "cluster", "readonly", "readwrite", "asking") == [
        [b"cluster", -2, [b"admin", b"random", b"stale"], 0, 0, 0, [b"@admin", b"@slow", b"@dangerous"]],
        [b"readonly", 1, [b"fast"], 0, 0, 0, [b"@keyspace", b"@fast"]],
        [b"readwrite", 1, [b"fast"], 0, 0, 0, [b"@keyspace", b"@fast"]],
        [b"asking", 1, [b"fast"], 0, 0, 0, [b"@keyspace", b"@fast"]],
    ]


# --------------------------------------------------------------------------- HELP and errors


def test_help(c2):
    lines = ex(c2, "CLUSTER", "HELP")
    assert lines[0] == b"CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert lines[1:5] == [b"ADDSLOTS <slot> [<slot> ...]", b"    Assign slots to current node.",
                          b"BUMPEPOCH", b"    Advance the cluster config epoch."]
    assert lines[-4:] == [b"    Return information about slots range mappings. Each range is made of:",
                          b"    start, end, master and replicas IP addresses, ports and ids",
                          b"HELP", b"    Prints this help."]
    assert len(lines) == 47


@pytest.mark.parametrize("args", [
    ("FOO",), ("SHARDS",), ("HELP", "x"), ("INFO", "x"), ("NODES", "x"), ("MYID", "x"), ("SLOTS", "x"),
    ("ADDSLOTS",), ("DELSLOTS",), ("SETSLOT", "1"), ("GETKEYSINSLOT", "1"), ("RESET", "hard", "x"),
    ("FAILOVER", "force", "x"), ("MEET", "1.2.3.4"), ("FORGET",), ("SAVECONFIG", "x"),
])
def test_unknown_subcommand_or_arity(c2, args):
    assert err(c2, "CLUSTER", *args) == UNKNOWN_SUB % args[0]


def test_cluster_arity(c2):
    assert err(c2, "CLUSTER") == "ERR wrong number of arguments for 'cluster' command"


# --------------------------------------------------------------------------- node management


def test_node_lookups(c2):
    me = myid(c2)
    assert ex(c2, "CLUSTER", "COUNT-FAILURE-REPORTS", me) == 0
    assert ex(c2, "CLUSTER", "REPLICAS", me) == []
    assert ex(c2, "CLUSTER", "SLAVES", me) == []
    assert err(c2, "CLUSTER", "FORGET", me) == "ERR I tried hard but I can't forget myself..."
    assert err(c2, "CLUSTER", "REPLICATE", me) == "ERR Can't replicate myself"


@pytest.mark.parametrize("sub", ["COUNT-FAILURE-REPORTS", "REPLICAS", "SLAVES", "FORGET", "REPLICATE"])
def test_unknown_node(c2, sub):
    assert err(c2, "CLUSTER", sub, "abc") == "ERR Unknown node abc"
    assert err(c2, "CLUSTER", sub, "0" * 40) == "ERR Unknown node " + "0" * 40


@pytest.mark.parametrize("args,msg", [
    ((), "ERR You should send CLUSTER FAILOVER to a replica"),
    (("FORCE",), "ERR You should send CLUSTER FAILOVER to a replica"),
    (("takeover",), "ERR You should send CLUSTER FAILOVER to a replica"),
    (("foo",), "ERR syntax error"),
])
def test_failover_on_master(c2, args, msg):
    assert err(c2, "CLUSTER", "FAILOVER", *args) == msg


@pytest.mark.parametrize("args,msg", [
    (("x", "y"), "ERR Invalid TCP base port specified: y"),
    (("1.2.3.4", "7000", "z"), "ERR Invalid TCP bus port specified: z"),
    (("nothost", "7000"), "ERR Invalid node address specified: nothost:7000"),
    (("1.2.3.4", "0"), "ERR Invalid node address specified: 1.2.3.4:0"),
    (("1.2.3.4", "70000"), "ERR Invalid node address specified: 1.2.3.4:70000"),
    (("1.2.3.4", "60000"), "ERR Invalid node address specified: 1.2.3.4:60000"),
    (("1.2.3.4", "7000", "0"), "ERR Invalid node address specified: 1.2.3.4:7000"),
])
def test_meet_invalid(c2, args, msg):
    assert err(c2, "CLUSTER", "MEET", *args) == msg


@pytest.mark.parametrize("epoch,msg", [
    ("-1", "ERR Invalid config epoch specified: -1"),
    ("x", "ERR value is not an integer or out of range"),
])
def test_set_config_epoch_invalid(c2, epoch, msg):
    assert err(c2, "CLUSTER", "SET-CONFIG-EPOCH", epoch) == msg


def test_saveconfig(c2):
    assert ex(c2, "CLUSTER", "SAVECONFIG") == b"OK"


def test_flushslots_and_reset_need_empty_db(c2):
    ex(c2, "SET", "a", "1")
    assert err(c2, "CLUSTER", "FLUSHSLOTS") == "ERR DB must be empty to perform CLUSTER FLUSHSLOTS."
    assert err(c2, "CLUSTER", "RESET") == "ERR CLUSTER RESET can't be called with master nodes containing keys"
    assert err(c2, "CLUSTER", "RESET", "HARD") == ("ERR CLUSTER RESET can't be called with master nodes "
                                                  "containing keys")
    assert err(c2, "CLUSTER", "RESET", "foo") == "ERR syntax error"
    assert info_fields(c2)["cluster_slots_assigned"] == "16384"


# --------------------------------------------------------------------------- ADDSLOTS / DELSLOTS / SETSLOT


@pytest.mark.parametrize("args,msg", [
    (("ADDSLOTS", "1"), "ERR Slot 1 is already busy"),
    (("ADDSLOTS", "x"), "ERR Invalid or out of range slot"),
    (("ADDSLOTS", "-1"), "ERR Invalid or out of range slot"),
    (("ADDSLOTS", "16384"), "ERR Invalid or out of range slot"),
    (("DELSLOTS", "5", "5"), "ERR Slot 5 specified multiple times"),
    (("DELSLOTS", "5", "6", "x"), "ERR Invalid or out of range slot"),
    (("SETSLOT", "1", "FOO"), "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP"),
    (("SETSLOT", "1", "STABLE", "x"), "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP"),
    (("SETSLOT", "1", "NODE"), "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP"),
    (("SETSLOT", "99999", "STABLE"), "ERR Invalid or out of range slot"),
    (("SETSLOT", "x", "FOO"), "ERR Invalid or out of range slot"),
    (("SETSLOT", "100", "MIGRATING", "nope"), "ERR I don't know about node nope"),
    (("SETSLOT", "100", "IMPORTING", "nope"), "ERR I'm already the owner of hash slot 100"),
    (("SETSLOT", "100", "NODE", "nope"), "ERR Unknown node nope"),
])
def test_slot_command_errors(c2, args, msg):
    assert err(c2, "CLUSTER", *args) == msg
    assert info_fields(c2)["cluster_slots_assigned"] == "16384"


def test_setslot_stable_and_node_myself(c2):
    assert ex(c2, "CLUSTER", "SETSLOT", "7", "STABLE") == b"OK"
    assert ex(c2, "CLUSTER", "SETSLOT", "7", "NODE", myid(c2)) == b"OK"
    assert err(c2, "CLUSTER", "SETSLOT", "7", "IMPORTING", myid(c2)) == "ERR I'm already the owner of hash slot 7"
    assert ex(c2, "CLUSTER", "NODES").decode().endswith(" connected 0-16383\n")


def test_setslot_migrating_to_myself(c2):
    me = myid(c2)
    try:
        assert ex(c2, "CLUSTER", "SETSLOT", 100, "MIGRATING", me) == b"OK"
        assert ex(c2, "CLUSTER", "NODES").decode().endswith(" connected 0-16383 [100->-%s]\n" % me)
        # the ASK redirection would point here: the command is served
        assert ex(c2, "GET", KEY_SLOT_100) is None
        assert ex(c2, "SET", KEY_SLOT_100, "v") == b"OK"
        assert ex(c2, "GET", KEY_SLOT_100) == b"v"
        # NODE myself keeps the migrating state while the slot still holds keys
        assert ex(c2, "CLUSTER", "SETSLOT", 100, "NODE", me) == b"OK"
        assert "[100->-" in ex(c2, "CLUSTER", "NODES").decode()
        assert ex(c2, "CLUSTER", "SETSLOT", 100, "STABLE") == b"OK"
        assert ex(c2, "CLUSTER", "NODES").decode().endswith(" connected 0-16383\n")
        # and clears it once the slot is empty
        assert ex(c2, "CLUSTER", "SETSLOT", 100, "MIGRATING", me) == b"OK"
        ex(c2, "DEL", KEY_SLOT_100)
        assert ex(c2, "CLUSTER", "SETSLOT", 100, "NODE", me) == b"OK"
        assert ex(c2, "CLUSTER", "NODES").decode().endswith(" connected 0-16383\n")
    finally:
        ex(c2, "CLUSTER", "SETSLOT", 100, "STABLE")


def test_delslots_cluster_down(cl, c2):
    me = myid(c2)
    ex(c2, "SET", "a", "1")
    try:
        assert ex(c2, "CLUSTER", "DELSLOTS", 100) == b"OK"
        f = info_fields(c2)
        assert (f["cluster_state"], f["cluster_slots_assigned"], f["cluster_slots_ok"]) == ("fail", "16383", "16383")
        assert err(c2, "GET", "a") == "CLUSTERDOWN The cluster is down"
        assert err(c2, "SET", "b", "1") == "CLUSTERDOWN The cluster is down"
        assert err(c2, "GET", KEY_SLOT_100) == "CLUSTERDOWN Hash slot not served"
        assert ex(c2, "DBSIZE") == 1  # no keys: served
        assert ex(c2, "CLUSTER", "NODES").decode().endswith(" connected 0-99 101-16383\n")
        node = [b"127.0.0.1", cl.port, me.encode()]
        assert ex(c2, "CLUSTER", "SLOTS") == [[0, 99, node], [101, 16383, node]]
        assert err(c2, "CLUSTER", "DELSLOTS", 100) == "ERR Slot 100 is already unassigned"
        assert err(c2, "CLUSTER", "SETSLOT", 100, "MIGRATING", me) == "ERR I'm not the owner of hash slot 100"
    finally:
        ex(c2, "CLUSTER", "ADDSLOTS", 100)
    _wait_ok(c2)
    assert ex(c2, "GET", "a") == b"1"
    assert ex(c2, "CLUSTER", "SLOTS") == [[0, 16383, [b"127.0.0.1", cl.port, me.encode()]]]


def test_delslots_in_multi_aborts(c2):
    try:
        assert ex(c2, "CLUSTER", "DELSLOTS", 100) == b"OK"
        assert ex(c2, "MULTI") == b"OK"
        assert err(c2, "GET", KEY_SLOT_100) == "CLUSTERDOWN Hash slot not served"
        assert err(c2, "EXEC") == "EXECABORT Transaction discarded because of previous errors."
    finally:
        ex(c2, "CLUSTER", "ADDSLOTS", 100)
    _wait_ok(c2)


def test_require_full_coverage_no(c2):
    try:
        assert ex(c2, "CONFIG", "SET", "cluster-require-full-coverage", "no") == b"OK"
        assert ex(c2, "CLUSTER", "DELSLOTS", 100) == b"OK"
        _wait_ok(c2)
        assert ex(c2, "SET", "a", "1") == b"OK"
        assert err(c2, "GET", KEY_SLOT_100) == "CLUSTERDOWN Hash slot not served"
    finally:
        ex(c2, "CLUSTER", "ADDSLOTS", 100)
        ex(c2, "CONFIG", "SET", "cluster-require-full-coverage", "yes")
    _wait_ok(c2)


# --------------------------------------------------------------------------- fresh nodes (destructive)


def test_epochs_on_fresh_node(make_server):
    t = _start(make_server)
    c = t.client()
    try:
        f = info_fields(c)
        assert (f["cluster_current_epoch"], f["cluster_my_epoch"]) == ("0", "0")
        assert ex(c, "CLUSTER", "SET-CONFIG-EPOCH", 5) == b"OK"
        f = info_fields(c)
        assert (f["cluster_current_epoch"], f["cluster_my_epoch"]) == ("5", "5")
        assert err(c, "CLUSTER", "SET-CONFIG-EPOCH", 6) == "ERR Node config epoch is already non-zero"
        assert ex(c, "CLUSTER", "BUMPEPOCH") == b"STILL 5"
        assert " 0 0 5 connected 0-16383\n" in ex(c, "CLUSTER", "NODES").decode()
        old = myid(c)
        assert ex(c, "CLUSTER", "RESET", "SOFT") == b"OK"
        assert myid(c) == old
        f = info_fields(c)
        assert (f["cluster_state"], f["cluster_slots_assigned"], f["cluster_size"]) == ("fail", "0", "0")
        assert (f["cluster_current_epoch"], f["cluster_my_epoch"]) == ("5", "5")
        assert ex(c, "CLUSTER", "SLOTS") == []
        assert ex(c, "CLUSTER", "NODES").decode().endswith(" myself,master - 0 0 5 connected\n")
        assert err(c, "GET", "a") == "CLUSTERDOWN Hash slot not served"
        assert ex(c, "CLUSTER", "RESET", "HARD") == b"OK"
        assert myid(c) != old
        f = info_fields(c)
        assert (f["cluster_current_epoch"], f["cluster_my_epoch"]) == ("0", "0")
        assert ex(c, "CLUSTER", "BUMPEPOCH") == b"BUMPED 1"
        assert ex(c, "CLUSTER", "BUMPEPOCH") == b"STILL 1"
    finally:
        c.close()


def test_bumpepoch_on_fresh_node(make_server):
    t = _start(make_server)
    c = t.client()
    try:
        assert ex(c, "CLUSTER", "BUMPEPOCH") == b"BUMPED 1"
        f = info_fields(c)
        assert (f["cluster_current_epoch"], f["cluster_my_epoch"]) == ("1", "1")
        assert ex(c, "CLUSTER", "BUMPEPOCH") == b"STILL 1"
    finally:
        c.close()


def test_flushslots_then_addslots_ranges(make_server):
    t = _start(make_server)
    c = t.client()
    try:
        assert ex(c, "CLUSTER", "FLUSHSLOTS") == b"OK"
        assert info_fields(c)["cluster_slots_assigned"] == "0"
        assert ex(c, "CLUSTER", "SLOTS") == []
        assert ex(c, "CLUSTER", "ADDSLOTS", 5, 3, 4, 10, 16383) == b"OK"
        node = [b"127.0.0.1", t.port, myid(c).encode()]
        assert ex(c, "CLUSTER", "SLOTS") == [[3, 5, node], [10, 10, node], [16383, 16383, node]]
        assert ex(c, "CLUSTER", "NODES").decode().endswith(" connected 3-5 10 16383\n")
        f = info_fields(c)
        assert (f["cluster_state"], f["cluster_slots_assigned"]) == ("fail", "5")
        assert err(c, "CLUSTER", "ADDSLOTS", 6, 5) == "ERR Slot 5 is already busy"
        assert info_fields(c)["cluster_slots_assigned"] == "5"
    finally:
        c.close()


# --------------------------------------------------------------------------- cluster mode off


@pytest.mark.parametrize("cmd", [("CLUSTER", "INFO"), ("CLUSTER", "KEYSLOT", "a"), ("CLUSTER", "FOO"),
                                 ("CLUSTER", "HELP"), ("READONLY",), ("ASKING",)])
def test_cluster_support_disabled(r2, cmd):
    assert err(r2, *cmd) == DISABLED


def test_readwrite_without_cluster(r2):
    assert ex(r2, "READWRITE") == b"OK"
