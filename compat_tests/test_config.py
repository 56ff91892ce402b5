"""CONFIG GET / SET / RESETSTAT / REWRITE / HELP as Redis 6.2.14: glob patterns, one parameter
per SET, value parsing (integers, memory units, booleans, enums, special parameters), bounds and
the exact error texts."""

from __future__ import annotations

import pytest

from .helpers import err, ex

CONFIG_HELP = [
    b"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"GET <pattern>",
    b"    Return parameters matching the glob-like <pattern> and their values.",
    b"SET <directive> <value>",
    b"    Set the configuration <directive> to <value>.",
    b"RESETSTAT",
    b"    Reset statistics reported by the INFO command.",
    b"REWRITE",
    b"    Rewrite the configuration file.",
    b"HELP",
    b"    Prints this help.",
]


@pytest.fixture
def restore(r2):
    """``restore("hz", ...)`` remembers parameters and puts them back after the test."""
    saved = {}

    def remember(*params):
        for p in params:
            v = ex(r2, "CONFIG", "GET", p)
            saved[p] = v[1]

    yield remember
    for p, v in saved.items():
        ex(r2, "CONFIG", "SET", p, v)


def get(r, pattern) -> dict:
    reply = ex(r, "CONFIG", "GET", pattern)
    if isinstance(reply, dict):
        return reply
    return dict(zip(reply[::2], reply[1::2], strict=True))


# --------------------------------------------------------------------------- GET


def test_get_single(r):
    assert get(r, "maxmemory") == {b"maxmemory": b"0"}


def test_get_resp3_is_map(raw):
    raw.cmd("HELLO", "3")
    assert raw.cmd("CONFIG", "GET", "maxmemory") == b"%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"


def test_get_resp2_is_flat_array(raw):
    assert raw.cmd("CONFIG", "GET", "maxmemory") == b"*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"


def test_get_unknown_is_empty(r):
    assert get(r, "nosuchparameter") == {}


def test_get_unknown_resp2_wire(raw):
    assert raw.cmd("CONFIG", "GET", "nosuchparameter") == b"*0\r\n"


def test_get_case_insensitive(r2):
    assert get(r2, "MAXMEMORY") == {b"maxmemory": b"0"}


def test_get_glob_star(r2):
    assert get(r2, "maxmemory*") == {b"maxmemory": b"0", b"maxmemory-policy": b"noeviction",
                                     b"maxmemory-samples": b"5", b"maxmemory-eviction-tenacity": b"10"}


def test_get_lists_in_redis_table_order(r2):
    """configGetCommand walks Redis's config table (enums before ints before memory values,
    each alias after its name), not the names' alphabetical or any other order."""
    assert ex(r2, "CONFIG", "GET", "maxmemory*")[::2] == [
        b"maxmemory-policy", b"maxmemory-samples", b"maxmemory-eviction-tenacity", b"maxmemory"]
    assert ex(r2, "CONFIG", "GET", "*ziplist*")[::2] == [
        b"list-max-ziplist-size", b"hash-max-ziplist-entries", b"zset-max-ziplist-entries",
        b"hash-max-ziplist-value", b"zset-max-ziplist-value"]
    assert ex(r2, "CONFIG", "GET", "slowlog*")[::2] == [b"slowlog-max-len", b"slowlog-log-slower-than"]
    assert ex(r2, "CONFIG", "GET", "*notify*")[::2] == [b"notify-keyspace-events"]


def test_get_glob_question_mark(r2):
    assert get(r2, "h?") == {b"hz": b"10"}


def test_get_glob_class(r2):
    assert get(r2, "maxmemory-[ps]*") == {b"maxmemory-policy": b"noeviction", b"maxmemory-samples": b"5"}


def test_get_aliases_are_listed(r2):
    assert get(r2, "*-read-only") == {b"replica-read-only": b"yes", b"slave-read-only": b"yes"}


def test_get_all_has_common_parameters(r2):
    everything = get(r2, "*")
    for name in (b"maxmemory", b"maxmemory-policy", b"databases", b"timeout", b"hz", b"save",
                 b"appendonly", b"appendfsync", b"notify-keyspace-events", b"slowlog-log-slower-than",
                 b"slowlog-max-len", b"latency-monitor-threshold", b"maxclients", b"tcp-keepalive",
                 b"hash-max-ziplist-entries", b"list-max-ziplist-size", b"set-max-intset-entries",
                 b"zset-max-ziplist-entries", b"lua-time-limit", b"cluster-enabled", b"requirepass",
                 b"dbfilename", b"dir", b"client-output-buffer-limit", b"slave-read-only",
                 b"replica-priority", b"min-replicas-to-write", b"repl-backlog-size", b"protected-mode"):
        assert name in everything, name


@pytest.mark.parametrize("name,value", [
    ("databases", b"16"), ("timeout", b"0"), ("tcp-keepalive", b"300"), ("hz", b"10"),
    ("maxclients", b"10000"), ("hash-max-ziplist-entries", b"512"), ("hash-max-ziplist-value", b"64"),
    ("list-max-ziplist-size", b"-2"), ("list-compress-depth", b"0"), ("set-max-intset-entries", b"512"),
    ("zset-max-ziplist-entries", b"128"), ("zset-max-ziplist-value", b"64"),
    ("hll-sparse-max-bytes", b"3000"), ("stream-node-max-bytes", b"4096"),
    ("stream-node-max-entries", b"100"), ("slowlog-max-len", b"128"), ("lua-time-limit", b"5000"),
    ("latency-monitor-threshold", b"0"), ("proto-max-bulk-len", b"536870912"),
    ("client-query-buffer-limit", b"1073741824"), ("cluster-enabled", b"no"), ("notify-keyspace-events", b""),
    ("client-output-buffer-limit", b"normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
    ("maxmemory-policy", b"noeviction"), ("lfu-log-factor", b"10"), ("active-expire-effort", b"1"),
    ("repl-backlog-size", b"1048576"), ("replica-read-only", b"yes"), ("dbfilename", b"dump.rdb"),
    ("save", b""), ("requirepass", b""), ("acllog-max-len", b"128"), ("dynamic-hz", b"yes"),
])
def test_get_defaults(r2, name, value):
    assert get(r2, name) == {name.encode(): value}


def test_get_wrong_arity(r2):
    assert err(r2, "CONFIG", "GET") == (
        "ERR Unknown subcommand or wrong number of arguments for 'GET'. Try CONFIG HELP.")
    assert err(r2, "CONFIG", "GET", "a", "b") == (
        "ERR Unknown subcommand or wrong number of arguments for 'GET'. Try CONFIG HELP.")


# --------------------------------------------------------------------------- SET


def test_set_and_get_roundtrip(r2, restore):
    restore("maxmemory-samples")
    assert ex(r2, "CONFIG", "SET", "maxmemory-samples", "7") == b"OK"
    assert get(r2, "maxmemory-samples") == {b"maxmemory-samples": b"7"}


def test_set_name_case_insensitive(r2, restore):
    restore("maxmemory-samples")
    assert ex(r2, "CONFIG", "SET", "MaxMemory-Samples", "8") == b"OK"
    assert get(r2, "maxmemory-samples") == {b"maxmemory-samples": b"8"}


@pytest.mark.parametrize("raw,value", [
    ("1k", b"1000"), ("1kb", b"1024"), ("1KB", b"1024"), ("1Kb", b"1024"), ("2m", b"2000000"),
    ("2mb", b"2097152"), ("1g", b"1000000000"), ("1gb", b"1073741824"), ("1b", b"1"), ("123", b"123"),
    ("", b"0"), ("99999999999999999999", b"9223372036854775807"),
])
def test_set_memory_units(r2, restore, raw, value):
    restore("maxmemory")
    assert ex(r2, "CONFIG", "SET", "maxmemory", raw) == b"OK"
    assert get(r2, "maxmemory") == {b"maxmemory": value}


@pytest.mark.parametrize("raw", ["-1", "1.5k", " 1", "1 k", "0x10", "+1", "1t", "18446744073709551615kb"])
def test_set_memory_invalid(r2, raw):
    assert err(r2, "CONFIG", "SET", "maxmemory", raw) == (
        "ERR Invalid argument '%s' for CONFIG SET 'maxmemory' - argument must be a memory value" % raw)


@pytest.mark.parametrize("raw", ["abc", "+5", " 5", "05", "1.5", "1k", "", "99999999999999999999", "-0"])
def test_set_integer_invalid(r2, raw):
    assert err(r2, "CONFIG", "SET", "maxmemory-samples", raw) == (
        "ERR Invalid argument '%s' for CONFIG SET 'maxmemory-samples' - argument couldn't be parsed "
        "into an integer" % raw)


@pytest.mark.parametrize("name,raw,lo,hi", [
    ("maxmemory-samples", "0", 1, 2147483647),
    ("maxmemory-eviction-tenacity", "101", 0, 100),
    ("timeout", "-1", 0, 2147483647),
    ("slowlog-log-slower-than", "-2", -1, 9223372036854775807),
    ("slowlog-max-len", "-1", 0, 9223372036854775807),
    ("hz", "-5", 0, 2147483647),
    ("maxclients", "0", 1, 4294967295),
    ("active-expire-effort", "11", 1, 10),
    ("list-max-ziplist-size", "2147483648", -2147483648, 2147483647),
    ("proto-max-bulk-len", "100", 1048576, 9223372036854775807),
    ("repl-backlog-size", "0", 1, 9223372036854775807),
    ("replica-priority", "-1", 0, 2147483647),
])
def test_set_out_of_bounds(r2, name, raw, lo, hi):
    assert err(r2, "CONFIG", "SET", name, raw) == (
        "ERR Invalid argument '%s' for CONFIG SET '%s' - argument must be between %d and %d inclusive"
        % (raw, name, lo, hi))


def test_set_error_shows_name_as_typed(r2):
    assert err(r2, "CONFIG", "SET", "HZ", "abc") == (
        "ERR Invalid argument 'abc' for CONFIG SET 'HZ' - argument couldn't be parsed into an integer")


def test_set_hz_is_clamped(r2, restore):
    restore("hz")
    assert ex(r2, "CONFIG", "SET", "hz", "1000") == b"OK"
    assert get(r2, "hz") == {b"hz": b"500"}
    assert ex(r2, "CONFIG", "SET", "hz", "0") == b"OK"
    assert get(r2, "hz") == {b"hz": b"1"}


def test_set_repl_backlog_minimum(r2, restore):
    restore("repl-backlog-size")
    assert ex(r2, "CONFIG", "SET", "repl-backlog-size", "1kb") == b"OK"
    assert get(r2, "repl-backlog-size") == {b"repl-backlog-size": b"16384"}


def test_set_bool(r2, restore):
    restore("lazyfree-lazy-user-del")
    assert ex(r2, "CONFIG", "SET", "lazyfree-lazy-user-del", "YES") == b"OK"
    assert get(r2, "lazyfree-lazy-user-del") == {b"lazyfree-lazy-user-del": b"yes"}


@pytest.mark.parametrize("raw", ["maybe", "1", "true", ""])
def test_set_bool_invalid(r2, raw):
    assert err(r2, "CONFIG", "SET", "lazyfree-lazy-user-del", raw) == (
        "ERR Invalid argument '%s' for CONFIG SET 'lazyfree-lazy-user-del' - argument must be 'yes' or 'no'"
        % raw)


def test_set_enum(r2, restore):
    restore("maxmemory-policy")
    assert ex(r2, "CONFIG", "SET", "maxmemory-policy", "ALLKEYS-LRU") == b"OK"
    assert get(r2, "maxmemory-policy") == {b"maxmemory-policy": b"allkeys-lru"}


def test_set_enum_invalid(r2):
    assert err(r2, "CONFIG", "SET", "maxmemory-policy", "foo") == (
        "ERR Invalid argument 'foo' for CONFIG SET 'maxmemory-policy' - argument must be one of the "
        "following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, "
        "allkeys-random, noeviction")


def test_set_appendfsync_invalid_lists_choices(r2):
    assert err(r2, "CONFIG", "SET", "appendfsync", "sometimes") == (
        "ERR Invalid argument 'sometimes' for CONFIG SET 'appendfsync' - argument must be one of the "
        "following: everysec, always, no")


def test_set_loglevel_invalid(r2):
    assert err(r2, "CONFIG", "SET", "loglevel", "loud") == (
        "ERR Invalid argument 'loud' for CONFIG SET 'loglevel' - argument must be one of the following: "
        "debug, verbose, notice, warning")


def test_set_unsupported(r2):
    assert err(r2, "CONFIG", "SET", "foo", "bar") == "ERR Unsupported CONFIG parameter: foo"
    assert err(r2, "CONFIG", "SET", "Foo", "1") == "ERR Unsupported CONFIG parameter: Foo"


@pytest.mark.parametrize("name", ["daemonize", "databases", "io-threads", "rdbchecksum", "tcp-backlog",
                                  "unixsocket", "supervised", "cluster-enabled"])
def test_set_immutable_is_unsupported(r2, name):
    assert err(r2, "CONFIG", "SET", name, "1") == "ERR Unsupported CONFIG parameter: %s" % name


def test_set_listpack_names_are_not_62(r2):
    assert get(r2, "hash-max-listpack-entries") == {}
    assert err(r2, "CONFIG", "SET", "hash-max-listpack-entries", "1") == (
        "ERR Unsupported CONFIG parameter: hash-max-listpack-entries")


def test_set_alias(r2, restore):
    restore("replica-read-only")
    assert ex(r2, "CONFIG", "SET", "slave-read-only", "no") == b"OK"
    assert get(r2, "replica-read-only") == {b"replica-read-only": b"no"}
    assert get(r2, "slave-read-only") == {b"slave-read-only": b"no"}


def test_set_alias_error_uses_alias_name(r2):
    assert err(r2, "CONFIG", "SET", "slave-priority", "-1") == (
        "ERR Invalid argument '-1' for CONFIG SET 'slave-priority' - argument must be between 0 and "
        "2147483647 inclusive")


def test_set_memory_config_accepts_units(r2, restore):
    restore("hash-max-ziplist-value")
    assert ex(r2, "CONFIG", "SET", "hash-max-ziplist-value", "1kb") == b"OK"
    assert get(r2, "hash-max-ziplist-value") == {b"hash-max-ziplist-value": b"1024"}


@pytest.mark.parametrize("raw,shown", [("KEA", b"AKE"), ("Elg", b"glE"), ("Kx", b"xK"), ("", b""),
                                       ("A", b"A"), ("g$lshzxetmd", b"Am"),
                                       ("mKEA", b"AKEm"), ("$d", b"$d"), ("g$lshzxet", b"g$lshzxet")])
def test_set_notify_keyspace_events(r2, restore, raw, shown):
    restore("notify-keyspace-events")
    assert ex(r2, "CONFIG", "SET", "notify-keyspace-events", raw) == b"OK"
    assert get(r2, "notify-keyspace-events") == {b"notify-keyspace-events": shown}


@pytest.mark.parametrize("raw", ["Q", "n", "KEn"])
def test_set_notify_keyspace_events_invalid(r2, raw):
    assert err(r2, "CONFIG", "SET", "notify-keyspace-events", raw) == (
        "ERR Invalid argument '%s' for CONFIG SET 'notify-keyspace-events'" % raw)


def test_set_client_output_buffer_limit_merges(r2, restore):
    restore("client-output-buffer-limit")
    assert ex(r2, "CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 2mb 3") == b"OK"
    assert get(r2, "client-output-buffer-limit") == {
        b"client-output-buffer-limit": b"normal 1048576 2097152 3 slave 268435456 67108864 60 "
                                       b"pubsub 33554432 8388608 60"}


@pytest.mark.parametrize("raw", ["foo 1 2 3", "pubsub 1 2", "normal x 1 1"])
def test_set_client_output_buffer_limit_invalid(r2, raw):
    assert err(r2, "CONFIG", "SET", "client-output-buffer-limit", raw) == (
        "ERR Invalid argument '%s' for CONFIG SET 'client-output-buffer-limit'" % raw)


def test_set_save(r2, restore):
    restore("save")
    assert ex(r2, "CONFIG", "SET", "save", "100 10 200 20") == b"OK"
    assert get(r2, "save") == {b"save": b"100 10 200 20"}
    assert ex(r2, "CONFIG", "SET", "save", "") == b"OK"
    assert get(r2, "save") == {b"save": b""}


@pytest.mark.parametrize("raw", ["1 2 3", "1 x", "100  10", "0 5", " "])
def test_set_save_invalid(r2, raw):
    assert err(r2, "CONFIG", "SET", "save", raw) == "ERR Invalid argument '%s' for CONFIG SET 'save'" % raw


def test_set_maxclients_beyond_os_limit(r2):
    msg = err(r2, "CONFIG", "SET", "maxclients", "100000000")
    assert msg.startswith("ERR Invalid argument '100000000' for CONFIG SET 'maxclients' - The operating "
                          "system is not able to handle the specified number of clients, try with ")


def test_set_activedefrag_refused(r2):
    assert err(r2, "CONFIG", "SET", "activedefrag", "yes").startswith(
        "ERR Invalid argument 'yes' for CONFIG SET 'activedefrag' - Active defragmentation cannot be enabled")


def test_set_one_parameter_per_call(r2):
    assert err(r2, "CONFIG", "SET", "hz", "10", "maxmemory-samples", "5") == (
        "ERR Unknown subcommand or wrong number of arguments for 'SET'. Try CONFIG HELP.")
    assert err(r2, "CONFIG", "SET", "hz") == (
        "ERR Unknown subcommand or wrong number of arguments for 'SET'. Try CONFIG HELP.")


def test_slowlog_max_len_applies(r2, restore):
    restore("slowlog-max-len", "slowlog-log-slower-than")
    ex(r2, "SLOWLOG", "RESET")
    ex(r2, "CONFIG", "SET", "slowlog-max-len", "2")
    ex(r2, "CONFIG", "SET", "slowlog-log-slower-than", "0")
    for _ in range(5):
        ex(r2, "PING")
    assert ex(r2, "SLOWLOG", "LEN") == 2


# --------------------------------------------------------------------------- other subcommands


def test_resetstat(r2):
    ex(r2, "PING")
    assert ex(r2, "CONFIG", "RESETSTAT") == b"OK"
    text = ex(r2, "INFO", "stats").decode()
    assert "total_commands_processed:1\r\n" in text


def test_resetstat_extra_argument(r2):
    assert err(r2, "CONFIG", "RESETSTAT", "x") == (
        "ERR Unknown subcommand or wrong number of arguments for 'RESETSTAT'. Try CONFIG HELP.")


def test_rewrite_without_config_file(r2):
    assert err(r2, "CONFIG", "REWRITE") == "ERR The server is running without a config file"


def test_help(r2):
    assert ex(r2, "CONFIG", "HELP") == CONFIG_HELP


def test_unknown_subcommand(r2):
    assert err(r2, "config", "GeTs", "x") == (
        "ERR Unknown subcommand or wrong number of arguments for 'GeTs'. Try CONFIG HELP.")


def test_no_subcommand(r2):
    assert err(r2, "CONFIG") == "ERR wrong number of arguments for 'config' command"
