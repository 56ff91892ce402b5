"""COMMAND, COMMAND COUNT / INFO / GETKEYS / HELP (Redis 6.2: no DOCS, no LIST)."""

from __future__ import annotations

import pytest

from .helpers import err, ex

# Exact 6.2.14 entries: name, arity, flags, first key, last key, step, ACL categories.
ENTRIES = {
    "get": [b"get", 2, [b"readonly", b"fast"], 1, 1, 1, [b"@read", b"@string", b"@fast"]],
    "set": [b"set", -3, [b"write", b"denyoom"], 1, 1, 1, [b"@write", b"@string", b"@slow"]],
    "mset": [b"mset", -3, [b"write", b"denyoom"], 1, -1, 2, [b"@write", b"@string", b"@slow"]],
    "incr": [b"incr", 2, [b"write", b"denyoom", b"fast"], 1, 1, 1, [b"@write", b"@string", b"@fast"]],
    "ping": [b"ping", -1, [b"stale", b"fast"], 0, 0, 0, [b"@fast", b"@connection"]],
    "echo": [b"echo", 2, [b"fast"], 0, 0, 0, [b"@fast", b"@connection"]],
    "select": [b"select", 2, [b"loading", b"stale", b"fast"], 0, 0, 0, [b"@keyspace", b"@fast"]],
    "lpush": [b"lpush", -3, [b"write", b"denyoom", b"fast"], 1, 1, 1, [b"@write", b"@list", b"@fast"]],
    "blpop": [b"blpop", -3, [b"write", b"noscript"], 1, -2, 1,
              [b"@write", b"@list", b"@slow", b"@blocking"]],
    "hset": [b"hset", -4, [b"write", b"denyoom", b"fast"], 1, 1, 1, [b"@write", b"@hash", b"@fast"]],
    "hgetall": [b"hgetall", 2, [b"readonly", b"random"], 1, 1, 1, [b"@read", b"@hash", b"@slow"]],
    "zadd": [b"zadd", -4, [b"write", b"denyoom", b"fast"], 1, 1, 1, [b"@write", b"@sortedset", b"@fast"]],
    "zunionstore": [b"zunionstore", -4, [b"write", b"denyoom", b"movablekeys"], 1, 1, 1,
                    [b"@write", b"@sortedset", b"@slow"]],
    "info": [b"info", -1, [b"random", b"loading", b"stale"], 0, 0, 0, [b"@slow", b"@dangerous"]],
    "command": [b"command", -1, [b"random", b"loading", b"stale"], 0, 0, 0, [b"@slow", b"@connection"]],
    "config": [b"config", -2, [b"admin", b"noscript", b"loading", b"stale"], 0, 0, 0,
               [b"@admin", b"@slow", b"@dangerous"]],
    "debug": [b"debug", -2, [b"admin", b"noscript", b"loading", b"stale"], 0, 0, 0,
              [b"@admin", b"@slow", b"@dangerous"]],
    "memory": [b"memory", -2, [b"readonly", b"random", b"movablekeys"], 0, 0, 0, [b"@read", b"@slow"]],
    "slowlog": [b"slowlog", -2, [b"admin", b"random", b"loading", b"stale"], 0, 0, 0,
                [b"@admin", b"@slow", b"@dangerous"]],
    "latency": [b"latency", -2, [b"admin", b"noscript", b"loading", b"stale"], 0, 0, 0,
                [b"@admin", b"@slow", b"@dangerous"]],
    "time": [b"time", 1, [b"random", b"loading", b"stale", b"fast"], 0, 0, 0, [b"@fast"]],
    "lastsave": [b"lastsave", 1, [b"random", b"loading", b"stale", b"fast"], 0, 0, 0,
                 [b"@admin", b"@fast", b"@dangerous"]],
    "monitor": [b"monitor", 1, [b"admin", b"noscript", b"loading", b"stale"], 0, 0, 0,
                [b"@admin", b"@slow", b"@dangerous"]],
    "shutdown": [b"shutdown", -1, [b"admin", b"noscript", b"loading", b"stale"], 0, 0, 0,
                 [b"@admin", b"@slow", b"@dangerous"]],
}

COMMAND_HELP = [
    b"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"(no subcommand)",
    b"    Return details about all Redis commands.",
    b"COUNT",
    b"    Return the total number of commands in this Redis server.",
    b"GETKEYS <full-command>",
    b"    Return the keys from a full Redis command.",
    b"INFO [<command-name> ...]",
    b"    Return details about multiple Redis commands.",
    b"HELP",
    b"    Prints this help.",
]


def _entry(e):
    """RESP3 sets arrive as lists with hiredis but as sets with the pure parser: normalise."""
    return [e[0], e[1], sorted(e[2]), e[3], e[4], e[5], sorted(e[6])]


def _want(name):
    e = ENTRIES[name]
    return [e[0], e[1], sorted(e[2]), e[3], e[4], e[5], sorted(e[6])]


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_command_info_entry(r, name):
    (got,) = ex(r, "COMMAND", "INFO", name)
    assert _entry(got) == _want(name)


def test_command_info_flag_and_category_order(r2):
    assert ex(r2, "COMMAND", "INFO", "get") == [ENTRIES["get"]]
    assert ex(r2, "COMMAND", "INFO", "zunionstore") == [ENTRIES["zunionstore"]]
    assert ex(r2, "COMMAND", "INFO", "lastsave") == [ENTRIES["lastsave"]]


def test_command_info_case_insensitive(r2):
    assert ex(r2, "COMMAND", "INFO", "GeT") == [ENTRIES["get"]]


def test_command_info_unknown_is_null(r):
    assert ex(r, "COMMAND", "INFO", "nosuchcommand") == [None]


def test_command_info_mixed(r2):
    assert ex(r2, "COMMAND", "INFO", "get", "nosuch", "set") == [ENTRIES["get"], None, ENTRIES["set"]]


def test_command_info_no_names(r2):
    assert ex(r2, "COMMAND", "INFO") == []


def test_command_info_resp2_wire(raw):
    raw.send(b"*3\r\n$7\r\nCOMMAND\r\n$4\r\nINFO\r\n$3\r\nget\r\n")
    assert raw.recv_reply() == (b"*1\r\n*7\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n"
                                b"*3\r\n+@read\r\n+@string\r\n+@fast\r\n")


def test_command_info_resp3_wire_uses_sets(raw):
    raw.cmd("HELLO", "3")
    assert raw.cmd("COMMAND", "INFO", "get", "nosuch") == (
        b"*2\r\n*7\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n"
        b"~3\r\n+@read\r\n+@string\r\n+@fast\r\n_\r\n")


def test_command_info_null_resp2_wire(raw):
    assert raw.cmd("COMMAND", "INFO", "nosuch") == b"*1\r\n$-1\r\n"


def test_command_all_contains_entries(r2):
    rows = ex(r2, "COMMAND")
    by_name = {row[0]: row for row in rows}
    for name in ("get", "set", "command", "info", "config"):
        assert by_name[name.encode()] == ENTRIES[name]
    assert len(by_name) == len(rows)


def test_command_all_resp3(r):
    rows = ex(r, "COMMAND")
    by_name = {row[0]: _entry(row) for row in rows}
    assert by_name[b"get"] == _want("get")


def test_command_count_matches_table(r2):
    n = ex(r2, "COMMAND", "COUNT")
    assert isinstance(n, int) and n == len(ex(r2, "COMMAND"))


def test_command_count_extra_argument(r2):
    assert err(r2, "COMMAND", "COUNT", "x") == (
        "ERR Unknown subcommand or wrong number of arguments for 'COUNT'. Try COMMAND HELP.")


def test_command_unknown_subcommand(r2):
    assert err(r2, "CoMmand", "FoO") == (
        "ERR Unknown subcommand or wrong number of arguments for 'FoO'. Try COMMAND HELP.")


def test_command_help(r2):
    assert ex(r2, "COMMAND", "HELP") == COMMAND_HELP


def test_command_help_lowercase_name_uppercased(r2):
    assert ex(r2, "command", "help")[0] == COMMAND_HELP[0]


def test_command_help_with_argument(r2):
    assert err(r2, "COMMAND", "HELP", "x") == (
        "ERR Unknown subcommand or wrong number of arguments for 'HELP'. Try COMMAND HELP.")


def test_command_help_is_status_lines(raw):
    reply = raw.cmd("COMMAND", "HELP")
    assert reply.startswith(b"*11\r\n+COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n")
    assert reply.endswith(b"+HELP\r\n+    Prints this help.\r\n")


# --------------------------------------------------------------------------- GETKEYS


def test_getkeys_simple(r2):
    assert ex(r2, "COMMAND", "GETKEYS", "get", "k") == [b"k"]
    assert ex(r2, "COMMAND", "GETKEYS", "set", "a", "b") == [b"a"]


def test_getkeys_extra_args_after_key(r2):
    assert ex(r2, "COMMAND", "GETKEYS", "set", "a", "b", "c") == [b"a"]


def test_getkeys_step(r2):
    assert ex(r2, "COMMAND", "GETKEYS", "mset", "a", "1", "b", "2", "c", "3") == [b"a", b"b", b"c"]


def test_getkeys_last_negative(r2):
    assert ex(r2, "COMMAND", "GETKEYS", "blpop", "l1", "l2", "0") == [b"l1", b"l2"]


def test_getkeys_command_name_case_insensitive(r2):
    assert ex(r2, "COMMAND", "GETKEYS", "GET", "k") == [b"k"]


def test_getkeys_movable(r2):
    # Redis lists the source keys first, then the destination
    assert ex(r2, "COMMAND", "GETKEYS", "zunionstore", "d", "2", "a", "b") == [b"a", b"b", b"d"]


def test_getkeys_movable_invalid(r2):
    assert err(r2, "COMMAND", "GETKEYS", "zunionstore", "d", "x", "a", "b") == (
        "ERR Invalid arguments specified for command")


def test_getkeys_memory_usage(r2):
    assert ex(r2, "COMMAND", "GETKEYS", "memory", "usage", "k") == [b"k"]


def test_getkeys_memory_without_keys(r2):
    assert err(r2, "COMMAND", "GETKEYS", "memory", "stats") == "ERR Invalid arguments specified for command"


def test_getkeys_unknown_command(r2):
    assert err(r2, "COMMAND", "GETKEYS", "nosuch", "a") == "ERR Invalid command specified"


def test_getkeys_no_key_arguments(r2):
    assert err(r2, "COMMAND", "GETKEYS", "ping") == "ERR The command has no key arguments"
    assert err(r2, "COMMAND", "GETKEYS", "info", "server") == "ERR The command has no key arguments"


def test_getkeys_wrong_arity(r2):
    assert err(r2, "COMMAND", "GETKEYS", "get") == "ERR Invalid number of arguments specified for command"
    assert err(r2, "COMMAND", "GETKEYS", "get", "a", "b") == (
        "ERR Invalid number of arguments specified for command")
    assert err(r2, "COMMAND", "GETKEYS", "mset", "a") == "ERR Invalid number of arguments specified for command"


def test_getkeys_checks_command_before_arity(r2):
    assert err(r2, "COMMAND", "GETKEYS", "ping", "a", "b", "c") == "ERR The command has no key arguments"


def test_getkeys_without_command(r2):
    assert err(r2, "COMMAND", "GETKEYS") == (
        "ERR Unknown subcommand or wrong number of arguments for 'GETKEYS'. Try COMMAND HELP.")


def test_command_counts_in_commandstats(r2):
    ex(r2, "CONFIG", "RESETSTAT")
    ex(r2, "COMMAND", "COUNT")
    ex(r2, "COMMAND", "INFO", "get")
    stats = ex(r2, "INFO", "commandstats").decode()
    line = [x for x in stats.split("\r\n") if x.startswith("cmdstat_command:")][0]
    assert line.startswith("cmdstat_command:calls=2,")
