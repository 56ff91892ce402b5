"""INFO [section]: sections, field names and order, value formats, and the counters that must
move (commands, hits/misses, errors, clients, keyspace)."""

from __future__ import annotations

import re
import time

import pytest

from .helpers import err, ex, resp_encode

DEFAULT_SECTIONS = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
                    "Modules", "Errorstats", "Cluster", "Keyspace"]
ALL_SECTIONS = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU",
                "Modules", "Commandstats", "Errorstats", "Cluster", "Keyspace"]

FIELDS = {
    "server": ["redis_version", "redis_git_sha1", "redis_git_dirty", "redis_build_id", "redis_mode",
               "os", "arch_bits", "monotonic_clock", "multiplexing_api", "atomicvar_api",
               "gcc_version", "process_id", "process_supervised", "run_id", "tcp_port",
               "server_time_usec", "uptime_in_seconds", "uptime_in_days", "hz", "configured_hz",
               "lru_clock", "executable", "config_file", "io_threads_active"],
    "clients": ["connected_clients", "cluster_connections", "maxclients",
                "client_recent_max_input_buffer", "client_recent_max_output_buffer",
                "blocked_clients", "tracking_clients", "clients_in_timeout_table"],
    "memory": ["used_memory", "used_memory_human", "used_memory_rss", "used_memory_rss_human",
               "used_memory_peak", "used_memory_peak_human", "used_memory_peak_perc",
               "used_memory_overhead", "used_memory_startup", "used_memory_dataset",
               "used_memory_dataset_perc", "allocator_allocated", "allocator_active",
               "allocator_resident", "total_system_memory", "total_system_memory_human",
               "used_memory_lua", "used_memory_lua_human", "used_memory_scripts",
               "used_memory_scripts_human", "number_of_cached_scripts", "maxmemory",
               "maxmemory_human", "maxmemory_policy", "allocator_frag_ratio",
               "allocator_frag_bytes", "allocator_rss_ratio", "allocator_rss_bytes",
               "rss_overhead_ratio", "rss_overhead_bytes", "mem_fragmentation_ratio",
               "mem_fragmentation_bytes", "mem_not_counted_for_evict", "mem_replication_backlog",
               "mem_clients_slaves", "mem_clients_normal", "mem_aof_buffer", "mem_allocator",
               "active_defrag_running", "lazyfree_pending_objects", "lazyfreed_objects"],
    "persistence": ["loading", "current_cow_size", "current_cow_size_age", "current_fork_perc",
                    "current_save_keys_processed", "current_save_keys_total",
                    "rdb_changes_since_last_save", "rdb_bgsave_in_progress", "rdb_last_save_time",
                    "rdb_last_bgsave_status", "rdb_last_bgsave_time_sec",
                    "rdb_current_bgsave_time_sec", "rdb_last_cow_size", "aof_enabled",
                    "aof_rewrite_in_progress", "aof_rewrite_scheduled", "aof_last_rewrite_time_sec",
                    "aof_current_rewrite_time_sec", "aof_last_bgrewrite_status",
                    "aof_last_write_status", "aof_last_cow_size", "module_fork_in_progress",
                    "module_fork_last_cow_size"],
    "stats": ["total_connections_received", "total_commands_processed", "instantaneous_ops_per_sec",
              "total_net_input_bytes", "total_net_output_bytes", "instantaneous_input_kbps",
              "instantaneous_output_kbps", "rejected_connections", "sync_full", "sync_partial_ok",
              "sync_partial_err", "expired_keys", "expired_stale_perc",
              "expired_time_cap_reached_count", "expire_cycle_cpu_milliseconds", "evicted_keys",
              "keyspace_hits", "keyspace_misses", "pubsub_channels", "pubsub_patterns",
              "latest_fork_usec", "total_forks", "migrate_cached_sockets",
              "slave_expires_tracked_keys", "active_defrag_hits", "active_defrag_misses",
              "active_defrag_key_hits", "active_defrag_key_misses", "tracking_total_keys",
              "tracking_total_items", "tracking_total_prefixes", "unexpected_error_replies",
              "total_error_replies", "dump_payload_sanitizations", "total_reads_processed",
              "total_writes_processed", "io_threaded_reads_processed",
              "io_threaded_writes_processed"],
    "replication": ["role", "connected_slaves", "master_failover_state", "master_replid",
                    "master_replid2", "master_repl_offset", "second_repl_offset",
                    "repl_backlog_active", "repl_backlog_size", "repl_backlog_first_byte_offset",
                    "repl_backlog_histlen"],
    "cpu": ["used_cpu_sys", "used_cpu_user", "used_cpu_sys_children", "used_cpu_user_children",
            "used_cpu_sys_main_thread", "used_cpu_user_main_thread"],
    "cluster": ["cluster_enabled"],
}

AOF_FIELDS = ["aof_current_size", "aof_base_size", "aof_pending_rewrite", "aof_buffer_length",
              "aof_rewrite_buffer_length", "aof_pending_bio_fsync", "aof_delayed_fsync"]


def info(r, *section) -> str:
    return ex(r, "INFO", *section).decode()


def headers(text: str) -> list:
    return [line[2:] for line in text.split("\r\n") if line.startswith("# ")]


def fields(text: str) -> dict:
    out = {}
    for line in text.split("\r\n"):
        if line and not line.startswith("#"):
            k, _, v = line.partition(":")
            out[k] = v
    return out


def names(text: str) -> list:
    return [line.partition(":")[0] for line in text.split("\r\n") if line and not line.startswith("#")]


# --------------------------------------------------------------------------- sections


def test_default_sections(r2):
    assert headers(info(r2)) == DEFAULT_SECTIONS


def test_default_keyword(r2):
    assert headers(info(r2, "default")) == DEFAULT_SECTIONS


@pytest.mark.parametrize("word", ["all", "everything", "ALL"])
def test_all_sections(r2, word):
    assert headers(info(r2, word)) == ALL_SECTIONS


@pytest.mark.parametrize("section", sorted(FIELDS))
def test_single_section_header(r2, section):
    text = info(r2, section)
    assert headers(text) == [{"cpu": "CPU"}.get(section, section.capitalize())]


def test_section_name_case_insensitive(r2):
    assert headers(info(r2, "SeRvEr")) == ["Server"]


def test_unknown_section_is_empty(r2):
    assert ex(r2, "INFO", "nosuchsection") == b""


def test_too_many_arguments(r2):
    assert err(r2, "INFO", "server", "clients") == "ERR syntax error"


def test_modules_section_is_empty(r2):
    assert ex(r2, "INFO", "modules") == b"# Modules\r\n"


def test_wire_format_resp2(raw):
    reply = raw.cmd("INFO", "cluster")
    assert reply == b"$30\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n"


def test_wire_format_resp3_verbatim(raw):
    raw.cmd("HELLO", "3")
    reply = raw.cmd("INFO", "cluster")
    assert reply == b"=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n"


def test_sections_separated_by_blank_line(r2):
    text = info(r2)
    assert "\r\n\r\n# Clients\r\n" in text
    assert text.startswith("# Server\r\n")
    assert text.endswith("\r\n")


@pytest.mark.parametrize("section", sorted(FIELDS))
def test_field_names_in_order(r2, section):
    got = names(info(r2, section))
    want = FIELDS[section]
    assert got[:len(want)] == want


def test_persistence_with_aof_enabled(r2):
    before = ex(r2, "CONFIG", "GET", "appendonly")[1]
    ex(r2, "CONFIG", "SET", "appendonly", "yes")
    try:
        got = names(info(r2, "persistence"))
        want = FIELDS["persistence"] + AOF_FIELDS
        assert got[:len(want)] == want
        assert fields(info(r2, "persistence"))["aof_enabled"] == "1"
    finally:
        ex(r2, "CONFIG", "SET", "appendonly", before)


def test_default_has_no_commandstats(r2):
    assert "cmdstat_" not in info(r2)


# --------------------------------------------------------------------------- server


def test_server_values(r2, target_server):
    f = fields(info(r2, "server"))
    assert f["redis_version"] == "6.2.14"
    assert f["redis_mode"] == "standalone"
    assert f["arch_bits"] == "64"
    assert re.fullmatch(r"[0-9a-f]{40}", f["run_id"])
    assert f["tcp_port"] == str(target_server.port)
    assert int(f["process_id"]) > 0
    assert f["hz"] == "10" and f["configured_hz"] == "10"
    assert f["process_supervised"] == "no"
    assert f["io_threads_active"] == "0"
    assert f["config_file"] == ""


def test_server_time_and_uptime(r2):
    f = fields(info(r2, "server"))
    assert abs(int(f["server_time_usec"]) / 1e6 - time.time()) < 5
    assert int(f["uptime_in_days"]) == int(f["uptime_in_seconds"]) // 86400
    lru = int(f["lru_clock"])
    assert 0 <= lru < 2 ** 24
    assert abs(lru - (int(time.time()) & (2 ** 24 - 1))) <= 2


def test_run_id_is_stable(r2):
    assert fields(info(r2, "server"))["run_id"] == fields(info(r2, "server"))["run_id"]


def test_hz_follows_config(r2):
    try:
        ex(r2, "CONFIG", "SET", "hz", "20")
        assert fields(info(r2, "server"))["hz"] == "20"
    finally:
        ex(r2, "CONFIG", "SET", "hz", "10")


# --------------------------------------------------------------------------- clients


def test_connected_clients_counts_connections(r2, make_client):
    n = int(fields(info(r2, "clients"))["connected_clients"])
    extra = make_client()
    extra.execute_command("PING")
    assert int(fields(info(r2, "clients"))["connected_clients"]) == n + 1


def test_maxclients(r2):
    assert fields(info(r2, "clients"))["maxclients"] == ex(r2, "CONFIG", "GET", "maxclients")[1].decode()


def test_blocked_clients(r2, make_client):
    blocker = make_client(socket_timeout=5)
    conn = blocker.connection
    conn.send_command("BLPOP", "info-blocked-list", "0")
    deadline = time.monotonic() + 5
    while int(fields(info(r2, "clients"))["blocked_clients"]) != 1:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert int(fields(info(r2, "clients"))["clients_in_timeout_table"]) == 0
    ex(r2, "RPUSH", "info-blocked-list", "x")
    assert conn.read_response() == [b"info-blocked-list", b"x"]
    assert fields(info(r2, "clients"))["blocked_clients"] == "0"


# --------------------------------------------------------------------------- memory


HUMAN = re.compile(r"\d+B|\d+\.\d\dK|\d+\.\d\dM|\d+\.\d\dG|\d+\.\d\dT")


def test_memory_values(r2):
    f = fields(info(r2, "memory"))
    for k in ("used_memory", "used_memory_rss", "used_memory_peak", "used_memory_startup",
              "total_system_memory", "maxmemory"):
        assert int(f[k]) >= 0
    for k in ("used_memory_human", "used_memory_rss_human", "used_memory_peak_human",
              "total_system_memory_human", "maxmemory_human"):
        assert HUMAN.fullmatch(f[k]), (k, f[k])
    assert re.fullmatch(r"\d+\.\d\d%", f["used_memory_peak_perc"])
    assert re.fullmatch(r"\d+\.\d\d", f["mem_fragmentation_ratio"])
    assert f["maxmemory"] == "0" and f["maxmemory_human"] == "0B"
    assert f["maxmemory_policy"] == "noeviction"
    assert int(f["used_memory_peak"]) >= int(f["used_memory"]) or True


def test_memory_peak_not_below_used(r2):
    f = fields(info(r2, "memory"))
    assert int(f["used_memory_peak"]) >= int(f["used_memory"])


def test_maxmemory_follows_config(r2):
    try:
        ex(r2, "CONFIG", "SET", "maxmemory", "100mb")
        ex(r2, "CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
        f = fields(info(r2, "memory"))
        assert f["maxmemory"] == str(100 * 1024 * 1024)
        assert f["maxmemory_human"] == "100.00M"
        assert f["maxmemory_policy"] == "allkeys-lru"
    finally:
        ex(r2, "CONFIG", "SET", "maxmemory", "0")
        ex(r2, "CONFIG", "SET", "maxmemory-policy", "noeviction")


# --------------------------------------------------------------------------- persistence


def test_persistence_values(r2):
    f = fields(info(r2, "persistence"))
    assert f["loading"] == "0"
    assert f["rdb_bgsave_in_progress"] == "0"
    assert f["rdb_last_bgsave_status"] == "ok"
    assert f["aof_last_write_status"] == "ok"
    assert abs(int(f["rdb_last_save_time"]) - int(ex(r2, "LASTSAVE"))) <= 1


# --------------------------------------------------------------------------- stats


def test_total_commands_processed_grows(r2):
    a = int(fields(info(r2, "stats"))["total_commands_processed"])
    ex(r2, "PING")
    ex(r2, "PING")
    b = int(fields(info(r2, "stats"))["total_commands_processed"])
    assert b - a == 3  # two PINGs and the first INFO


def test_keyspace_hits_and_misses(r2):
    ex(r2, "SET", "k", "v")
    f0 = fields(info(r2, "stats"))
    ex(r2, "GET", "k")
    ex(r2, "GET", "k")
    ex(r2, "GET", "missing")
    f1 = fields(info(r2, "stats"))
    assert int(f1["keyspace_hits"]) - int(f0["keyspace_hits"]) == 2
    assert int(f1["keyspace_misses"]) - int(f0["keyspace_misses"]) == 1


def test_total_connections_received(r2, make_client):
    a = int(fields(info(r2, "stats"))["total_connections_received"])
    make_client().execute_command("PING")
    assert int(fields(info(r2, "stats"))["total_connections_received"]) == a + 1


def test_total_error_replies(r2):
    a = int(fields(info(r2, "stats"))["total_error_replies"])
    err(r2, "GET")
    err(r2, "NOSUCHCOMMAND")
    ex(r2, "SET", "s", "x")
    err(r2, "LPUSH", "s", "y")
    assert int(fields(info(r2, "stats"))["total_error_replies"]) == a + 3


def test_net_bytes_grow(r2):
    a = fields(info(r2, "stats"))
    ex(r2, "SET", "big", "x" * 10000)
    ex(r2, "GET", "big")
    b = fields(info(r2, "stats"))
    assert int(b["total_net_input_bytes"]) - int(a["total_net_input_bytes"]) >= 10000
    assert int(b["total_net_output_bytes"]) - int(a["total_net_output_bytes"]) >= 10000


def test_stats_formats(r2):
    f = fields(info(r2, "stats"))
    assert re.fullmatch(r"\d+\.\d\d", f["instantaneous_input_kbps"])
    assert re.fullmatch(r"\d+\.\d\d", f["instantaneous_output_kbps"])
    assert re.fullmatch(r"\d+", f["instantaneous_ops_per_sec"])
    assert re.fullmatch(r"\d+\.\d\d", f["expired_stale_perc"])


def test_pubsub_channels_and_patterns(r2, make_raw):
    sub = make_raw()
    sub.cmd("SUBSCRIBE", "info-ch1")
    sub.send(resp_encode("PSUBSCRIBE", "inf*", "xy*"))
    sub.recv_replies(2)
    other = make_raw()
    other.cmd("SUBSCRIBE", "info-ch1")
    f = fields(info(r2, "stats"))
    assert f["pubsub_channels"] == "1"
    assert f["pubsub_patterns"] == "2"


# --------------------------------------------------------------------------- errorstats / commandstats


def test_errorstats(r2):
    ex(r2, "CONFIG", "RESETSTAT")
    err(r2, "GET")
    err(r2, "GET")
    ex(r2, "SET", "s", "x")
    err(r2, "LPUSH", "s", "y")
    text = info(r2, "errorstats")
    assert text == "# Errorstats\r\nerrorstat_ERR:count=2\r\nerrorstat_WRONGTYPE:count=1\r\n"


def test_errorstats_empty_after_resetstat(r2):
    err(r2, "GET")
    ex(r2, "CONFIG", "RESETSTAT")
    assert info(r2, "errorstats") == "# Errorstats\r\n"


def test_commandstats_counts(r2):
    ex(r2, "CONFIG", "RESETSTAT")
    ex(r2, "SET", "k", "v")
    ex(r2, "GET", "k")
    ex(r2, "GET", "k")
    err(r2, "GET")
    ex(r2, "LPUSH", "l", "a")
    err(r2, "GET", "l")
    lines = {line.partition(":")[0]: line.partition(":")[2] for line in info(r2, "commandstats").split("\r\n")[1:] if line}
    m = re.fullmatch(r"calls=(\d+),usec=(\d+),usec_per_call=(\d+\.\d\d),rejected_calls=(\d+),failed_calls=(\d+)",
                     lines["cmdstat_get"])
    assert m, lines["cmdstat_get"]
    assert (m.group(1), m.group(4), m.group(5)) == ("3", "1", "1")
    assert lines["cmdstat_set"].startswith("calls=1,")
    assert lines["cmdstat_config"].startswith("calls=1,")


def test_commandstats_rejected_only(r2):
    ex(r2, "CONFIG", "RESETSTAT")
    err(r2, "GET")
    text = info(r2, "commandstats")
    assert "cmdstat_get:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0\r\n" in text


def test_commandstats_in_all(r2):
    assert "cmdstat_info:" in info(r2, "all")


# --------------------------------------------------------------------------- replication / cpu / cluster


def test_replication_values(r2):
    f = fields(info(r2, "replication"))
    assert f["role"] == "master"
    assert f["connected_slaves"] == "0"
    assert f["master_failover_state"] == "no-failover"
    assert re.fullmatch(r"[0-9a-f]{40}", f["master_replid"])
    assert f["master_replid2"] == "0" * 40
    assert f["second_repl_offset"] == "-1"
    assert f["repl_backlog_size"] == "1048576"


def test_cpu_format(r2):
    for v in fields(info(r2, "cpu")).values():
        assert re.fullmatch(r"\d+\.\d{6}", v)


def test_cluster_disabled(r2):
    assert info(r2, "cluster") == "# Cluster\r\ncluster_enabled:0\r\n"


# --------------------------------------------------------------------------- keyspace


def test_keyspace_empty(r2):
    assert info(r2, "keyspace") == "# Keyspace\r\n"


def test_keyspace_counts(r2):
    ex(r2, "SET", "a", "1")
    ex(r2, "SET", "b", "2")
    assert info(r2, "keyspace") == "# Keyspace\r\ndb0:keys=2,expires=0,avg_ttl=0\r\n"


def test_keyspace_expires_and_avg_ttl(r2):
    ex(r2, "SET", "a", "1", "EX", "1000")
    ex(r2, "SET", "b", "2")
    line = info(r2, "keyspace").split("\r\n")[1]
    m = re.fullmatch(r"db0:keys=2,expires=1,avg_ttl=(\d+)", line)
    assert m, line
    assert 0 <= int(m.group(1)) <= 1000 * 1000


def test_keyspace_several_databases(r2):
    ex(r2, "SET", "a", "1")
    ex(r2, "SELECT", "3")
    ex(r2, "SET", "a", "1")
    ex(r2, "SET", "b", "1")
    ex(r2, "SELECT", "0")
    assert info(r2, "keyspace") == ("# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n"
                                    "db3:keys=2,expires=0,avg_ttl=0\r\n")


def test_keyspace_in_default(r2):
    ex(r2, "SET", "a", "1")
    assert info(r2).endswith("# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n")





# --------------------------------------------------------------------------- getSafeInfoString


def test_unsafe_command_names_sanitized_in_commandstats(make_raw, r2):
    # "host:" is a command (it closes the connection: a protocol-smuggling guard)
    conn = make_raw()
    conn.send(resp_encode("host:"))
    conn.read_until_closed(5)
    text = info(r2, "commandstats")
    assert re.search(r"^cmdstat_host_:calls=\d+,", text, re.M)
    assert "cmdstat_host::" not in text


def test_unsafe_error_codes_sanitized_in_errorstats(r2):
    ex(r2, "CONFIG", "RESETSTAT")
    err(r2, "EVAL", "return redis.error_reply('MY:ERR#X boom')", "0")
    text = info(r2, "errorstats")
    assert "errorstat_MY_ERR_X:count=1" in text.splitlines()
