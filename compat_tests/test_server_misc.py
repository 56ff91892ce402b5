"""TIME, LASTSAVE, SLOWLOG, LATENCY, MEMORY, MONITOR, DEBUG and SHUTDOWN argument errors."""

from __future__ import annotations

import re
import time

import pytest

from .helpers import err, ex, resp_encode

SUBCMD = "ERR Unknown subcommand or wrong number of arguments for '%s'. Try %s HELP."


# --------------------------------------------------------------------------- TIME / LASTSAVE


def test_time(r2):
    secs, usecs = ex(r2, "TIME")
    assert isinstance(secs, bytes) and isinstance(usecs, bytes)
    assert abs(int(secs) - time.time()) < 5
    assert 0 <= int(usecs) < 1000000


def test_time_wire(raw):
    assert re.fullmatch(rb"\*2\r\n\$10\r\n\d{10}\r\n\$\d\r\n\d{1,6}\r\n", raw.cmd("TIME"))


def test_time_arity(r2):
    assert err(r2, "TIME", "x") == "ERR wrong number of arguments for 'time' command"


def test_lastsave(r2):
    t = ex(r2, "LASTSAVE")
    assert isinstance(t, int) and 0 < t <= time.time() + 1


def test_lastsave_arity(r2):
    assert err(r2, "LASTSAVE", "x") == "ERR wrong number of arguments for 'lastsave' command"


# --------------------------------------------------------------------------- SLOWLOG


@pytest.fixture
def slowlog_all(r2, restore_config):
    restore_config("slowlog-log-slower-than", "slowlog-max-len")
    ex(r2, "CONFIG", "SET", "slowlog-log-slower-than", "0")
    ex(r2, "SLOWLOG", "RESET")
    yield
    ex(r2, "CONFIG", "SET", "slowlog-log-slower-than", "10000")
    ex(r2, "SLOWLOG", "RESET")


def test_slowlog_entry_shape(r2, slowlog_all):
    ex(r2, "SET", "slowkey", "v")
    entries = ex(r2, "SLOWLOG", "GET", "1")
    assert len(entries) == 1
    eid, ts, dur, args, addr, name = entries[0]
    assert isinstance(eid, int) and abs(ts - time.time()) < 5 and dur >= 0
    assert args == [b"SET", b"slowkey", b"v"]
    assert re.fullmatch(rb"127\.0\.0\.1:\d+", addr)
    assert name == b""


def test_slowlog_records_client_name(r2, make_client, slowlog_all):
    c = make_client()
    c.execute_command("CLIENT", "SETNAME", "slowpoke")
    c.execute_command("PING")
    entries = ex(r2, "SLOWLOG", "GET", "2")
    assert entries[1][3] == [b"CLIENT", b"SETNAME", b"slowpoke"]
    assert entries[1][5] == b"slowpoke"
    assert entries[0][3] == [b"PING"] and entries[0][5] == b"slowpoke"


def test_slowlog_ids_grow_newest_first(r2, slowlog_all):
    ex(r2, "PING")
    ex(r2, "ECHO", "x")
    a, b = ex(r2, "SLOWLOG", "GET", "2")
    assert a[0] == b[0] + 1
    assert a[3] == [b"ECHO", b"x"] and b[3] == [b"PING"]


def test_slowlog_len_and_reset(r2, slowlog_all):
    for _ in range(3):
        ex(r2, "PING")
    assert ex(r2, "SLOWLOG", "LEN") == 4  # the three PINGs and the RESET
    assert ex(r2, "SLOWLOG", "RESET") == b"OK"
    assert ex(r2, "SLOWLOG", "LEN") == 1  # the RESET itself is logged after it ran


def test_slowlog_get_counts(r2, slowlog_all):
    for _ in range(15):
        ex(r2, "PING")
    assert len(ex(r2, "SLOWLOG", "GET")) == 10
    assert len(ex(r2, "SLOWLOG", "GET", "3")) == 3
    assert ex(r2, "SLOWLOG", "GET", "0") == []
    assert len(ex(r2, "SLOWLOG", "GET", "-1")) == ex(r2, "SLOWLOG", "LEN") - 1


def test_slowlog_max_len(r2, slowlog_all):
    ex(r2, "CONFIG", "SET", "slowlog-max-len", "3")
    for _ in range(10):
        ex(r2, "PING")
    assert ex(r2, "SLOWLOG", "LEN") == 3


def test_slowlog_long_argument_truncated(r2, slowlog_all):
    ex(r2, "SET", "k", "x" * 200)
    (entry,) = ex(r2, "SLOWLOG", "GET", "1")
    assert entry[3] == [b"SET", b"k", b"x" * 128 + b"... (72 more bytes)"]


def test_slowlog_many_arguments_truncated(r2, slowlog_all):
    args = ["a%d" % i for i in range(40)]
    ex(r2, "ECHO", *args[:1])
    err(r2, "ECHO", *args)  # arity error: rejected, not logged
    ex(r2, "MSET", *[x for a in args[:20] for x in (a, "v")])
    (entry,) = ex(r2, "SLOWLOG", "GET", "1")
    assert len(entry[3]) == 32
    assert entry[3][:3] == [b"MSET", b"a0", b"v"]
    assert entry[3][31] == b"... (10 more arguments)"


def test_slowlog_skips_blocked_command_that_times_out(r2, slowlog_all):
    assert ex(r2, "BLPOP", "slowlog-nolist", "0.1") is None
    assert [e[3][0] for e in ex(r2, "SLOWLOG", "GET", "-1")] == [b"SLOWLOG"]


def test_slowlog_skips_exec_but_logs_its_commands(r2, raw, slowlog_all):
    raw.send(resp_encode("MULTI") + resp_encode("SET", "x", "1") + resp_encode("GET", "x") + resp_encode("EXEC"))
    raw.recv_replies(4)
    names = [e[3][0] for e in ex(r2, "SLOWLOG", "GET", "-1")]
    assert names == [b"GET", b"SET", b"MULTI", b"SLOWLOG"]


def test_slowlog_redacts_acl_setuser_and_sensitive_configs(r2, slowlog_all):
    assert err(r2, "ACL", "SETUSER", "slowlog user", "+get") == (
        "ERR Usernames can't contain spaces or null characters")
    ex(r2, "ACL", "SETUSER", "slowlog-user", "+get", "+set")
    ex(r2, "CONFIG", "SET", "masterauth", "")
    ex(r2, "CONFIG", "SET", "masteruser", "")
    ex(r2, "CONFIG", "SET", "slowlog-max-len", "128")
    assert err(r2, "AUTH", "a", "b", "c") == "ERR syntax error"  # refused before redaction
    ex(r2, "ACL", "WHOAMI")
    ex(r2, "ACL", "DELUSER", "slowlog-user")
    got = [e[3] for e in ex(r2, "SLOWLOG", "GET", "-1")]
    assert got == [
        [b"ACL", b"DELUSER", b"slowlog-user"],
        [b"ACL", b"WHOAMI"],
        [b"AUTH", b"a", b"b", b"c"],
        [b"CONFIG", b"SET", b"slowlog-max-len", b"128"],
        [b"CONFIG", b"SET", b"masteruser", b"(redacted)"],
        [b"CONFIG", b"SET", b"masterauth", b"(redacted)"],
        [b"ACL", b"SETUSER", b"(redacted)", b"(redacted)", b"(redacted)"],
        [b"ACL", b"SETUSER", b"(redacted)", b"(redacted)"],
        [b"SLOWLOG", b"RESET"],
    ]


def test_slowlog_logs_served_blocked_command_as_sent(r2, make_raw, slowlog_all):
    ex(r2, "DEL", "slowlog-l")
    blocked = make_raw()
    blocked.send(resp_encode("BLPOP", "slowlog-l", "0"))
    deadline = time.monotonic() + 5
    while b"blocked_clients:1" not in ex(r2, "INFO", "clients") and time.monotonic() < deadline:
        time.sleep(0.01)
    ex(r2, "SLOWLOG", "RESET")
    assert ex(r2, "RPUSH", "slowlog-l", "a") == 1
    assert blocked.recv_replies(1) == [b"*2\r\n$9\r\nslowlog-l\r\n$1\r\na\r\n"]
    got = [e[3] for e in ex(r2, "SLOWLOG", "GET", "-1")]
    # handleClientsBlockedOnKeys runs after RPUSH's call(): the served BLPOP comes next, as the
    # client sent it (its effect is logged as LPOP)
    assert got == [[b"BLPOP", b"slowlog-l", b"0"], [b"RPUSH", b"slowlog-l", b"a"], [b"SLOWLOG", b"RESET"]]


def test_slowlog_threshold_disabled(r2, slowlog_all):
    ex(r2, "CONFIG", "SET", "slowlog-log-slower-than", "-1")
    ex(r2, "SLOWLOG", "RESET")
    ex(r2, "PING")
    assert ex(r2, "SLOWLOG", "LEN") == 0


def test_slowlog_errors(r2):
    assert err(r2, "SLOWLOG", "GET", "x") == "ERR value is not an integer or out of range"
    assert err(r2, "SLOWLOG", "GET", "1", "2") == SUBCMD % ("GET", "SLOWLOG")
    assert err(r2, "SLOWLOG", "LEN", "x") == SUBCMD % ("LEN", "SLOWLOG")
    assert err(r2, "SLOWLOG", "RESET", "x") == SUBCMD % ("RESET", "SLOWLOG")
    assert err(r2, "SLOWLOG", "foo") == SUBCMD % ("foo", "SLOWLOG")
    assert err(r2, "SLOWLOG") == "ERR wrong number of arguments for 'slowlog' command"


def test_slowlog_help(r2):
    assert ex(r2, "SLOWLOG", "HELP") == [
        b"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        b"GET [<count>]",
        b"    Return top <count> entries from the slowlog (default: 10). Entries are",
        b"    made of:",
        b"    id, timestamp, time in microseconds, arguments array, client IP and port,",
        b"    client name",
        b"LEN",
        b"    Return the length of the slowlog.",
        b"RESET",
        b"    Reset the slowlog.",
        b"HELP",
        b"    Prints this help.",
    ]


# --------------------------------------------------------------------------- LATENCY

LATENCY_DISABLED = (
    b"I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may "
    b"use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't "
    b"in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n")
LATENCY_NONE = (
    b"Dave, no latency spike was observed during the lifetime of this Redis instance, not in the "
    b"slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think "
    b"things over.\n")


@pytest.fixture
def latency(r2, restore_config):
    restore_config("latency-monitor-threshold")
    ex(r2, "LATENCY", "RESET")
    yield
    ex(r2, "CONFIG", "SET", "latency-monitor-threshold", "0")
    ex(r2, "LATENCY", "RESET")


def test_latency_empty(r2, latency):
    assert ex(r2, "LATENCY", "LATEST") == []
    assert ex(r2, "LATENCY", "HISTORY", "command") == []
    assert ex(r2, "LATENCY", "RESET") == 0


def test_latency_doctor_disabled(r2, latency):
    assert ex(r2, "LATENCY", "DOCTOR") == LATENCY_DISABLED


def test_latency_doctor_no_spikes(r2, latency):
    ex(r2, "CONFIG", "SET", "latency-monitor-threshold", "1000")
    assert ex(r2, "LATENCY", "DOCTOR") == LATENCY_NONE


def test_latency_doctor_resp3_verbatim(raw, r2, latency):
    raw.cmd("HELLO", "3")
    reply = raw.cmd("LATENCY", "DOCTOR")
    assert reply == b"=%d\r\ntxt:%s\r\n" % (len(LATENCY_DISABLED) + 4, LATENCY_DISABLED)


def test_latency_graph_unknown_event(r2, latency):
    assert err(r2, "LATENCY", "GRAPH", "nosuch") == "ERR No samples available for event 'nosuch'"


def test_latency_command_event(r2, latency):
    ex(r2, "CONFIG", "SET", "latency-monitor-threshold", "10")
    ex(r2, "DEBUG", "SLEEP", "0.03")
    (latest,) = ex(r2, "LATENCY", "LATEST")
    assert latest[0] == b"command"
    assert abs(latest[1] - time.time()) < 5
    assert 25 <= latest[2] <= 1000 and latest[3] == latest[2]
    (sample,) = ex(r2, "LATENCY", "HISTORY", "command")
    assert sample == [latest[1], latest[2]]
    graph = ex(r2, "LATENCY", "GRAPH", "command")
    assert graph.startswith(b"command - high %d ms, low %d ms (all time high %d ms)\n" % ((latest[2],) * 3))
    assert b"-" * 80 + b"\n" in graph
    doctor = ex(r2, "LATENCY", "DOCTOR")
    assert doctor.startswith(b"Dave, I have observed latency spikes in this Redis instance. You don't "
                             b"mind talking about it, do you Dave?\n\n1. command: 1 latency spikes")
    assert ex(r2, "LATENCY", "RESET", "nosuch", "COMMAND") == 1
    assert ex(r2, "LATENCY", "LATEST") == []


def test_latency_expire_cycle_event(r2, latency):
    ex(r2, "CONFIG", "SET", "latency-monitor-threshold", "1")
    for base in range(0, 300000, 10000):
        ex(r2, "SADD", "latency-bigset", *range(base, base + 10000))
    ex(r2, "LATENCY", "RESET")
    keys = ex(r2, "DBSIZE")
    assert ex(r2, "PEXPIRE", "latency-bigset", "1") == 1
    deadline = time.monotonic() + 5
    while ex(r2, "DBSIZE") == keys and time.monotonic() < deadline:
        time.sleep(0.05)  # DBSIZE expires nothing: the active expire cycle deletes the set
    assert ex(r2, "DBSIZE") == keys - 1
    # freeing a 300000-member set inside activeExpireCycle takes well over a millisecond
    events = {e[0] for e in ex(r2, "LATENCY", "LATEST")}
    assert b"expire-cycle" in events


def test_latency_below_threshold_not_recorded(r2, latency):
    ex(r2, "CONFIG", "SET", "latency-monitor-threshold", "1000")
    ex(r2, "DEBUG", "SLEEP", "0.01")
    assert ex(r2, "LATENCY", "LATEST") == []


def test_latency_errors(r2):
    assert err(r2, "LATENCY", "foo") == SUBCMD % ("foo", "LATENCY")
    assert err(r2, "LATENCY", "HISTORY") == SUBCMD % ("HISTORY", "LATENCY")
    assert err(r2, "LATENCY", "LATEST", "x") == SUBCMD % ("LATEST", "LATENCY")
    assert err(r2, "LATENCY", "DOCTOR", "x") == SUBCMD % ("DOCTOR", "LATENCY")
    assert err(r2, "LATENCY", "GRAPH") == SUBCMD % ("GRAPH", "LATENCY")


def test_latency_help(r2):
    h = ex(r2, "LATENCY", "HELP")
    assert h[0] == b"LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert h[1:] == [b"DOCTOR", b"    Return a human readable latency analysis report.",
                     b"GRAPH <event>", b"    Return an ASCII latency graph for the <event> class.",
                     b"HISTORY <event>", b"    Return time-latency samples for the <event> class.",
                     b"LATEST", b"    Return the latest latency samples for all events.",
                     b"RESET [<event> ...]", b"    Reset latency data of one or more <event> classes.",
                     b"    (default: reset all data for all event classes)",
                     b"HELP", b"    Prints this help."]


# --------------------------------------------------------------------------- MEMORY


def test_memory_usage_string(r2):
    ex(r2, "SET", "mk", "hello")
    n = ex(r2, "MEMORY", "USAGE", "mk")
    assert isinstance(n, int) and 16 < n < 1024


def test_memory_usage_grows_with_value(r2):
    ex(r2, "SET", "small", "x")
    ex(r2, "SET", "large", "x" * 10000)
    assert ex(r2, "MEMORY", "USAGE", "large") > ex(r2, "MEMORY", "USAGE", "small") + 9000


def test_memory_usage_collections(r2):
    ex(r2, "RPUSH", "ml", *["e%d" % i for i in range(100)])
    ex(r2, "HSET", "mh", *[x for i in range(100) for x in ("f%d" % i, "v%d" % i)])
    ex(r2, "ZADD", "mz", *[x for i in range(100) for x in (str(i), "m%d" % i)])
    for k in ("ml", "mh", "mz"):
        n = ex(r2, "MEMORY", "USAGE", k)
        assert isinstance(n, int) and n > 100 * 2, k
        assert ex(r2, "MEMORY", "USAGE", k, "SAMPLES", "0") > 0


def test_memory_usage_missing(r):
    assert ex(r, "MEMORY", "USAGE", "nosuchkey") is None


def test_memory_usage_missing_wire(raw):
    assert raw.cmd("MEMORY", "USAGE", "nosuchkey") == b"$-1\r\n"


def test_memory_usage_samples_errors(r2):
    ex(r2, "SET", "mk", "v")
    assert err(r2, "MEMORY", "USAGE", "mk", "SAMPLES", "x") == "ERR value is not an integer or out of range"
    assert err(r2, "MEMORY", "USAGE", "mk", "SAMPLES", "-1") == "ERR syntax error"
    assert err(r2, "MEMORY", "USAGE", "mk", "SAMPLES") == "ERR syntax error"
    assert err(r2, "MEMORY", "USAGE", "mk", "foo") == "ERR syntax error"
    assert isinstance(ex(r2, "MEMORY", "USAGE", "mk", "samples", "5"), int)


def test_memory_usage_without_key(r2):
    assert err(r2, "MEMORY", "USAGE") == SUBCMD % ("USAGE", "MEMORY")


def test_memory_stats_fields(r2):
    ex(r2, "SET", "k", "v")
    stats = ex(r2, "MEMORY", "STATS")
    keys = stats[::2]
    assert keys == [b"peak.allocated", b"total.allocated", b"startup.allocated", b"replication.backlog",
                    b"clients.slaves", b"clients.normal", b"aof.buffer", b"lua.caches", b"db.0",
                    b"overhead.total", b"keys.count", b"keys.bytes-per-key", b"dataset.bytes",
                    b"dataset.percentage", b"peak.percentage", b"allocator.allocated",
                    b"allocator.active", b"allocator.resident", b"allocator-fragmentation.ratio",
                    b"allocator-fragmentation.bytes", b"allocator-rss.ratio", b"allocator-rss.bytes",
                    b"rss-overhead.ratio", b"rss-overhead.bytes", b"fragmentation", b"fragmentation.bytes"]
    d = dict(zip(stats[::2], stats[1::2], strict=True))
    assert d[b"keys.count"] == 1
    assert d[b"db.0"][::2] == [b"overhead.hashtable.main", b"overhead.hashtable.expires"]


def test_memory_stats_resp3(r):
    stats = ex(r, "MEMORY", "STATS")
    if isinstance(stats, dict):
        assert isinstance(stats[b"dataset.percentage"], float)
        assert isinstance(stats[b"keys.count"], int)
    else:
        assert stats[0] == b"peak.allocated"


def test_memory_doctor(r2):
    assert isinstance(ex(r2, "MEMORY", "DOCTOR"), bytes)


def test_memory_malloc_stats_and_purge(r2):
    assert isinstance(ex(r2, "MEMORY", "MALLOC-STATS"), bytes)
    assert ex(r2, "MEMORY", "PURGE") == b"OK"


def test_memory_errors(r2):
    assert err(r2, "MEMORY", "foo") == SUBCMD % ("foo", "MEMORY")
    assert err(r2, "MEMORY", "STATS", "x") == SUBCMD % ("STATS", "MEMORY")
    assert err(r2, "MEMORY") == "ERR wrong number of arguments for 'memory' command"


def test_memory_help(r2):
    h = ex(r2, "MEMORY", "HELP")
    assert h[0] == b"MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert b"USAGE <key> [SAMPLES <count>]" in h
    assert h[-2:] == [b"HELP", b"    Prints this help."]


# --------------------------------------------------------------------------- MONITOR

LINE = rb"\+(\d+)\.(\d{6}) \[(\d+) 127\.0\.0\.1:\d+\] (.*)\r\n"


def _monitor(make_raw):
    m = make_raw()
    assert m.cmd("MONITOR") == b"+OK\r\n"
    return m


def _lines(m, n):
    out = []
    for _ in range(n):
        line = m.recv_reply()
        match = re.fullmatch(LINE, line)
        assert match, line
        out.append((int(match.group(3)), match.group(4)))
    return out


def test_monitor_shows_commands(make_raw, r2):
    m = _monitor(make_raw)
    ex(r2, "SET", "a", "b")
    ex(r2, "GET", "a")
    assert _lines(m, 2) == [(0, b'"SET" "a" "b"'), (0, b'"GET" "a"')]


def test_monitor_timestamp(make_raw, r2):
    m = _monitor(make_raw)
    ex(r2, "PING")
    line = m.recv_reply()
    assert abs(int(re.fullmatch(LINE, line).group(1)) - time.time()) < 5


def test_monitor_escapes_arguments(make_raw, r2):
    m = _monitor(make_raw)
    ex(r2, "ECHO", b'a b"\\\x01\n\r\t\xff')
    assert _lines(m, 1) == [(0, b'"ECHO" "a b\\"\\\\\\x01\\n\\r\\t\\xff"')]


def test_monitor_shows_db_after_select(make_raw, r2):
    m = _monitor(make_raw)
    ex(r2, "SELECT", "2")
    ex(r2, "PING")
    ex(r2, "SELECT", "0")
    assert _lines(m, 3) == [(2, b'"SELECT" "2"'), (2, b'"PING"'), (0, b'"SELECT" "0"')]


def test_monitor_hides_admin_commands(make_raw, r2):
    m = _monitor(make_raw)
    ex(r2, "CONFIG", "GET", "hz")
    ex(r2, "DEBUG", "DIGEST")
    ex(r2, "SLOWLOG", "LEN")
    ex(r2, "ECHO", "after")
    assert _lines(m, 1) == [(0, b'"ECHO" "after"')]


def test_monitor_skips_rejected_commands(make_raw, r2):
    m = _monitor(make_raw)
    err(r2, "GET")
    err(r2, "NOSUCHCOMMAND")
    ex(r2, "SET", "s", "x")
    err(r2, "LPUSH", "s", "y")  # ran, failed: still shown
    assert _lines(m, 2) == [(0, b'"SET" "s" "x"'), (0, b'"LPUSH" "s" "y"')]


def test_monitor_transaction_order(make_raw, r2):
    m = _monitor(make_raw)
    c = make_raw()
    c.send(resp_encode("MULTI") + resp_encode("SET", "x", "1") + resp_encode("GET", "x") + resp_encode("EXEC"))
    c.recv_replies(4)
    assert _lines(m, 4) == [(0, b'"MULTI"'), (0, b'"SET" "x" "1"'), (0, b'"GET" "x"'), (0, b'"EXEC"')]


def test_monitor_redacts_auth(make_raw):
    m = _monitor(make_raw)
    c = make_raw()
    c.cmd("AUTH", "secretpw")
    c.cmd("HELLO", "2", "AUTH", "someone", "secretpw")
    c.cmd("PING")
    assert _lines(m, 3) == [(0, b'"AUTH" "(redacted)"'),
                            (0, b'"HELLO" "2" "AUTH" "(redacted)" "(redacted)"'), (0, b'"PING"')]


def test_monitor_own_commands_follow_reply(make_raw):
    m = _monitor(make_raw)
    m.send(resp_encode("PING"))
    assert m.recv_reply() == b"+PONG\r\n"
    assert _lines(m, 1) == [(0, b'"PING"')]


def test_monitor_twice_is_silent(make_raw):
    m = _monitor(make_raw)
    m.send(resp_encode("MONITOR"))
    m.assert_silent(0.3)


def test_monitor_inside_multi(make_raw):
    c = make_raw()
    assert c.cmd("MULTI") == b"+OK\r\n"
    assert c.cmd("MONITOR") == b"+QUEUED\r\n"
    assert c.cmd("EXEC") == b"*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n"


def test_monitor_several_monitors(make_raw, r2):
    m1 = _monitor(make_raw)
    m2 = _monitor(make_raw)
    ex(r2, "ECHO", "both")
    assert _lines(m1, 1) == _lines(m2, 1) == [(0, b'"ECHO" "both"')]


def test_monitor_arity(r2):
    assert err(r2, "MONITOR", "x") == "ERR wrong number of arguments for 'monitor' command"


# --------------------------------------------------------------------------- DEBUG


def test_debug_object_string(r2):
    ex(r2, "SET", "s", "hello")
    line = ex(r2, "DEBUG", "OBJECT", "s")
    assert re.fullmatch(rb"Value at:0x[0-9a-f]+ refcount:1 encoding:embstr serializedlength:\d+ "
                        rb"lru:\d+ lru_seconds_idle:\d+", line), line


@pytest.mark.parametrize("value,encoding", [("12345", b"int"), ("x" * 100, b"raw"), ("abc", b"embstr")])
def test_debug_object_encodings(r2, value, encoding):
    ex(r2, "SET", "s", value)
    assert b" encoding:%s " % encoding in ex(r2, "DEBUG", "OBJECT", "s")


def test_debug_object_list_quicklist_fields(r2):
    ex(r2, "RPUSH", "l", "a", "b", "c")
    line = ex(r2, "DEBUG", "OBJECT", "l")
    assert re.fullmatch(rb"Value at:0x[0-9a-f]+ refcount:1 encoding:quicklist serializedlength:\d+ lru:\d+ "
                        rb"lru_seconds_idle:\d+ ql_nodes:1 ql_avg_node:3\.00 ql_ziplist_max:-2 "
                        rb"ql_compressed:0 ql_uncompressed_size:\d+", line), line


def test_debug_object_is_status(raw):
    raw.cmd("SET", "s", "v")
    assert raw.cmd("DEBUG", "OBJECT", "s").startswith(b"+Value at:0x")


def test_debug_object_missing(r2):
    assert err(r2, "DEBUG", "OBJECT", "nosuchkey") == "ERR no such key"


def test_debug_digest_empty(r2):
    assert ex(r2, "DEBUG", "DIGEST") == b"0" * 40


def test_debug_digest_changes_and_is_order_independent(r2):
    ex(r2, "SET", "a", "1")
    ex(r2, "HSET", "h", "f1", "v1", "f2", "v2")
    ex(r2, "RPUSH", "l", "x", "y")
    d1 = ex(r2, "DEBUG", "DIGEST")
    assert re.fullmatch(rb"[0-9a-f]{40}", d1) and d1 != b"0" * 40
    ex(r2, "FLUSHALL")
    ex(r2, "RPUSH", "l", "x", "y")
    ex(r2, "HSET", "h", "f2", "v2", "f1", "v1")
    ex(r2, "SET", "a", "1")
    assert ex(r2, "DEBUG", "DIGEST") == d1


def test_debug_digest_sees_value_and_order_changes(r2):
    ex(r2, "RPUSH", "l", "x", "y")
    d1 = ex(r2, "DEBUG", "DIGEST")
    ex(r2, "FLUSHALL")
    ex(r2, "RPUSH", "l", "y", "x")
    assert ex(r2, "DEBUG", "DIGEST") != d1


def test_debug_digest_value(r2):
    ex(r2, "SET", "a", "1")
    ex(r2, "SET", "b", "1")
    da, db, missing = ex(r2, "DEBUG", "DIGEST-VALUE", "a", "b", "nosuchkey")
    assert da == db and re.fullmatch(rb"[0-9a-f]{40}", da)
    assert missing == b"0" * 40
    assert ex(r2, "DEBUG", "DIGEST-VALUE") == []


def test_debug_digest_wire_is_status(raw):
    assert raw.cmd("DEBUG", "DIGEST") == b"+" + b"0" * 40 + b"\r\n"


def test_debug_error(raw):
    assert raw.cmd("DEBUG", "ERROR", "foo bar") == b"-foo bar\r\n"
    assert raw.cmd("DEBUG", "ERROR", "-FOO bar") == b"--FOO bar\r\n"
    assert raw.cmd("DEBUG", "ERROR", "") == b"-\r\n"


def test_debug_error_not_counted(r2):
    ex(r2, "CONFIG", "RESETSTAT")
    try:
        ex(r2, "DEBUG", "ERROR", "ERR oops")
    except Exception:  # noqa: BLE001 - the client raises for the error reply
        pass
    assert ex(r2, "INFO", "errorstats") == b"# Errorstats\r\n"


PROTOCOL_RESP2 = {
    "string": b"$11\r\nHello World\r\n",
    "integer": b":12345\r\n",
    "double": b"$18\r\n3.1415926535900001\r\n",
    "bignum": b"$37\r\n1234567999999999999999999999999999999\r\n",
    "null": b"$-1\r\n",
    "array": b"*3\r\n:0\r\n:1\r\n:2\r\n",
    "set": b"*3\r\n:0\r\n:1\r\n:2\r\n",
    "map": b"*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n",
    "attrib": b"$39\r\nSome real reply following the attribute\r\n",
    "push": b"-ERR RESP2 is not supported by this command\r\n",
    "verbatim": b"$25\r\nThis is a verbatim\nstring\r\n",
    "true": b":1\r\n",
    "false": b":0\r\n",
}
PROTOCOL_RESP3 = {
    "string": b"$11\r\nHello World\r\n",
    "integer": b":12345\r\n",
    "double": b",3.1415926535900001\r\n",
    "bignum": b"(1234567999999999999999999999999999999\r\n",
    "null": b"_\r\n",
    "array": b"*3\r\n:0\r\n:1\r\n:2\r\n",
    "set": b"~3\r\n:0\r\n:1\r\n:2\r\n",
    "map": b"%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n",
    "attrib": b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
              b"$39\r\nSome real reply following the attribute\r\n",
    "verbatim": b"=29\r\ntxt:This is a verbatim\nstring\r\n",
    "true": b"#t\r\n",
    "false": b"#f\r\n",
}


@pytest.mark.parametrize("kind", sorted(PROTOCOL_RESP2))
def test_debug_protocol_resp2(raw, kind):
    assert raw.cmd("DEBUG", "PROTOCOL", kind) == PROTOCOL_RESP2[kind]


@pytest.mark.parametrize("kind", sorted(PROTOCOL_RESP3))
def test_debug_protocol_resp3(raw, kind):
    raw.cmd("HELLO", "3")
    assert raw.cmd("DEBUG", "PROTOCOL", kind) == PROTOCOL_RESP3[kind]


def test_debug_protocol_push_resp3(raw):
    raw.cmd("HELLO", "3")
    raw.send(resp_encode("DEBUG", "PROTOCOL", "push"))
    assert raw.recv_reply() == b">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n"
    assert raw.recv_reply() == b"$40\r\nSome real reply following the push reply\r\n"


def test_debug_protocol_unknown(r2):
    assert err(r2, "DEBUG", "PROTOCOL", "foo") == (
        "ERR Wrong protocol type name. Please use one of the following: "
        "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")


def test_debug_sleep(r2):
    t0 = time.monotonic()
    assert ex(r2, "DEBUG", "SLEEP", "0.1") == b"OK"
    assert time.monotonic() - t0 >= 0.09
    assert ex(r2, "DEBUG", "SLEEP", "0") == b"OK"
    assert ex(r2, "DEBUG", "SLEEP", "abc") == b"OK"


def test_debug_set_active_expire(r2):
    try:
        assert ex(r2, "DEBUG", "SET-ACTIVE-EXPIRE", "0") == b"OK"
        ex(r2, "SET", "e", "v", "PX", "1")
        time.sleep(0.3)
        assert b"db0:keys=1,expires=1" in ex(r2, "INFO", "keyspace")
        assert ex(r2, "DEBUG", "SET-ACTIVE-EXPIRE", "1") == b"OK"
        deadline = time.monotonic() + 5
        while b"db0:" in ex(r2, "INFO", "keyspace"):
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        ex(r2, "DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_debug_populate(r2):
    assert ex(r2, "DEBUG", "POPULATE", "3") == b"OK"
    assert ex(r2, "MGET", "key:0", "key:1", "key:2", "key:3") == [b"value:0", b"value:1", b"value:2", None]


def test_debug_populate_prefix_and_size(r2):
    assert ex(r2, "DEBUG", "POPULATE", "2", "p", "10") == b"OK"
    assert ex(r2, "MGET", "p:0", "p:1") == [b"value:0\0\0\0", b"value:1\0\0\0"]
    assert ex(r2, "DEBUG", "POPULATE", "1", "q", "3") == b"OK"
    assert ex(r2, "GET", "q:0") == b"val"


def test_debug_populate_keeps_existing(r2):
    ex(r2, "SET", "key:1", "mine")
    ex(r2, "DEBUG", "POPULATE", "2")
    assert ex(r2, "MGET", "key:0", "key:1") == [b"value:0", b"mine"]


def test_debug_populate_errors(r2):
    assert err(r2, "DEBUG", "POPULATE", "x") == "ERR value is out of range, must be positive"
    assert err(r2, "DEBUG", "POPULATE", "-1") == "ERR value is out of range, must be positive"
    assert err(r2, "DEBUG", "POPULATE", "1", "p", "-1") == "ERR value is out of range, must be positive"


def test_debug_reload_keeps_dataset(r2):
    ex(r2, "SET", "a", "1")
    ex(r2, "SET", "t", "v", "EX", "1000")
    ex(r2, "HSET", "h", "f", "v")
    ex(r2, "RPUSH", "l", "x", "y", "z")
    ex(r2, "ZADD", "z", "1.5", "m")
    ex(r2, "INCR", "a")
    ex(r2, "SELECT", "5")
    ex(r2, "SET", "in5", "x")
    ex(r2, "SELECT", "0")
    before = ex(r2, "DEBUG", "DIGEST")
    assert ex(r2, "DEBUG", "RELOAD") == b"OK"
    assert ex(r2, "DEBUG", "DIGEST") == before
    assert ex(r2, "GET", "a") == b"2"
    assert ex(r2, "LRANGE", "l", "0", "-1") == [b"x", b"y", b"z"]
    assert b"db0:keys=5,expires=1," in ex(r2, "INFO", "keyspace")
    assert b"db5:keys=1,expires=0," in ex(r2, "INFO", "keyspace")


def test_debug_reload_bad_option(r2):
    assert err(r2, "DEBUG", "RELOAD", "foo") == (
        "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")


def test_debug_change_repl_id(r2):
    def replid():
        text = ex(r2, "INFO", "replication").decode()
        return re.search(r"master_replid:([0-9a-f]+)", text).group(1)

    a = replid()
    assert ex(r2, "DEBUG", "CHANGE-REPL-ID") == b"OK"
    assert replid() != a


def test_debug_log(r2):
    assert ex(r2, "DEBUG", "LOG", "hello from the tests") == b"OK"


def test_debug_help_first_line(r2):
    h = ex(r2, "DEBUG", "HELP")
    assert h[0] == b"DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert h[-2:] == [b"HELP", b"    Prints this help."]
    assert b"DIGEST-VALUE <key> [<key> ...]" in h


def test_debug_errors(r2):
    assert err(r2, "DEBUG", "nosuch") == SUBCMD % ("nosuch", "DEBUG")
    assert err(r2, "DEBUG", "SLEEP") == SUBCMD % ("SLEEP", "DEBUG")
    assert err(r2, "DEBUG", "OBJECT") == SUBCMD % ("OBJECT", "DEBUG")
    assert err(r2, "DEBUG", "DIGEST", "x") == SUBCMD % ("DIGEST", "DEBUG")
    assert err(r2, "DEBUG", "ERROR") == SUBCMD % ("ERROR", "DEBUG")
    assert err(r2, "DEBUG", "PROTOCOL") == SUBCMD % ("PROTOCOL", "DEBUG")
    assert err(r2, "DEBUG", "SET-ACTIVE-EXPIRE") == SUBCMD % ("SET-ACTIVE-EXPIRE", "DEBUG")
    assert err(r2, "DEBUG") == "ERR wrong number of arguments for 'debug' command"


# --------------------------------------------------------------------------- SHUTDOWN (errors only)


@pytest.mark.parametrize("args", [("foo",), ("save", "nosave"), ("nosave", "x")])
def test_shutdown_syntax_errors(r2, args):
    assert err(r2, "SHUTDOWN", *args) == "ERR syntax error"


def test_introspection_does_not_expire_or_count(r2):
    try:
        ex(r2, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
        ex(r2, "SET", "live", "v")
        ex(r2, "SET", "gone", "v", "PX", "1")
        time.sleep(0.05)
        before = ex(r2, "INFO", "stats")
        assert isinstance(ex(r2, "MEMORY", "USAGE", "gone"), int)
        assert ex(r2, "MEMORY", "USAGE", "live") > 0
        assert ex(r2, "DEBUG", "OBJECT", "gone").startswith(b"Value at:")
        assert ex(r2, "DEBUG", "DIGEST-VALUE", "gone") != [b"0" * 40]
        assert b"db0:keys=2,expires=1" in ex(r2, "INFO", "keyspace")
        hits = re.search(rb"keyspace_hits:(\d+)", before).group(1)
        assert re.search(rb"keyspace_hits:(\d+)", ex(r2, "INFO", "stats")).group(1) == hits
    finally:
        ex(r2, "DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_slowlog_redacts_passwords(r2, raw, slowlog_all):
    raw.cmd("AUTH", "secretpw")
    raw.cmd("AUTH", "someuser", "secretpw")
    entries = ex(r2, "SLOWLOG", "GET", "2")
    assert entries[0][3] == [b"AUTH", b"(redacted)", b"(redacted)"]
    assert entries[1][3] == [b"AUTH", b"(redacted)"]
