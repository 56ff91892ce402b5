"""INFO rendering, statistics sampling and memory estimates.

:func:`render` builds the text ``INFO [section]`` replies with: every section Redis 6.2.14
prints, in Redis's order and with Redis's field names, filled from Perdure's state.  Fields
about machinery Perdure does not have (fork, RDB child, replicas, defrag) carry the values a
Redis that never used that machinery reports.  The Persistence section ends with Perdure's own
``log_*`` fields (the transaction log: offsets, batches, fsync latency, size on disk).

Also here, because INFO, MEMORY and CONFIG RESETSTAT share them:

* :func:`memory` - the memory figures: ``used_memory`` is the accounting model of
  :mod:`memory` (startup memory + per-key costs kept up to date on every change + hash tables
  and client buffers + the log's pending bytes), so it falls when keys are deleted or evicted;
  ``used_memory_rss`` the resident set (``/proc/self/statm``); the startup figure is the
  private resident memory taken by the first cron tick of a server that starts empty (else
  when this module is imported, before any data is loaded); the peak is tracked by the cron.
* :func:`cron` - called by the server cron ``hz`` times a second: samples the instantaneous
  ops/sec and network rates as Redis does (16 samples, one per 100 ms).
* :func:`reset_stats` - CONFIG RESETSTAT; :func:`total_commands` - commands processed.
"""

from __future__ import annotations

import hashlib
import os
import platform
import resource
import secrets
import sys
import time

from .registry import COMMANDS

VERSION = "6.2.14"

SECTIONS = ("server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules",
            "commandstats", "errorstats", "cluster", "keyspace")
DEFAULT_SECTIONS = tuple(s for s in SECTIONS if s != "commandstats")

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_BUILD_ID = hashlib.sha1(("perdure " + VERSION).encode()).hexdigest()[:16]
_LRU_CLOCK_MAX = (1 << 24) - 1
_SAMPLES = 16


# --------------------------------------------------------------------------- small helpers

def bytes_to_human(n: int) -> str:
    """Redis's bytesToHuman: ``917.38K``, ``0B``, ``1.00M``."""
    d = float(n)
    if n < 1024:
        return "%dB" % n
    for unit, div in (("K", 1024), ("M", 1024 ** 2), ("G", 1024 ** 3), ("T", 1024 ** 4),
                      ("P", 1024 ** 5)):
        if n < div * 1024 or unit == "P":
            return "%.2f%s" % (d / div, unit)
    return "%dB" % n  # pragma: no cover


def lru_clock() -> int:
    """The 24-bit LRU clock Redis prints (seconds resolution)."""
    return int(time.time()) & _LRU_CLOCK_MAX


def run_id(srv) -> str:
    rid = getattr(srv, "run_id", None)
    if rid is None:
        rid = srv.run_id = secrets.token_hex(20)
    return rid


def total_commands(srv) -> int:
    """Commands executed (Redis's ``stat_numcommands``): the sum of per-command calls."""
    n = 0
    for cmd in COMMANDS.values():
        n += cmd.stats[0]
    return n


# --------------------------------------------------------------------------- memory

def _statm():
    try:
        with open("/proc/self/statm", "rb") as f:
            fields = f.read().split()
        return int(fields[1]) * _PAGE, int(fields[2]) * _PAGE
    except (OSError, IndexError, ValueError):
        ru = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return ru, 0


def _private_resident() -> int:
    rss, shared = _statm()
    return max(rss - shared, 0)


_STARTUP_MEMORY = _private_resident()


def total_system_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def clients_memory(srv) -> int:
    """Bytes held in client buffers (query buffers, pending and held replies), replicas' output
    aside (:func:`replicas_memory`)."""
    n = 0
    links = srv.repl.links
    for c in srv.clients.values():
        if c in links:
            continue
        p = c.parser
        if p is not None:
            raw = getattr(p, "raw", None)
            if raw:
                n += len(raw)
        n += len(c.out)
        for seg in c.held:
            n += len(seg[1])
    return n


def replicas_memory(srv) -> int:
    """mem_clients_slaves: the replicas' output (queued, held for durability, in the transport),
    which Redis does not count for eviction; their full-resync payloads are not output."""
    n = 0
    for c, link in srv.repl.links.items():
        n += max(c.output_pending() - link.exempt, 0)
    return n


def log_pending(srv) -> int:
    lg = srv.log
    if lg is None:
        return 0
    try:
        return max(lg.appended - lg.durable, 0)
    except AttributeError:
        return 0


def memory(srv) -> dict:
    """The memory figures INFO memory and MEMORY STATS print (see the module docstring)."""
    from . import memory as accounting
    rss, _shared = _statm()
    tables, clients = accounting.overhead(srv, force=True)
    startup = accounting.startup_bytes(srv)
    aof = log_pending(srv)
    replicas = replicas_memory(srv)
    backlog = len(srv.repl.backlog)
    used = startup + accounting.dataset_bytes(srv) + tables + clients + aof + replicas + backlog
    peak = getattr(srv, "stat_peak_memory", 0)
    if used > peak:
        peak = srv.stat_peak_memory = used
    ht_main = ht_expires = 0
    for db in srv.dbs:
        if db.data:
            ht_main += sys.getsizeof(db.data)
        if db.expires:
            ht_expires += sys.getsizeof(db.expires)
    overhead = startup + clients + aof + tables + replicas + backlog
    if overhead > used:
        overhead = used
    dataset = used - overhead
    net = used - startup
    return {
        "used": used, "rss": rss, "peak": peak, "startup": startup, "overhead": overhead,
        "dataset": dataset, "dataset_perc": (dataset * 100.0 / net) if net > 0 else 0.0,
        "peak_perc": used * 100.0 / peak if peak else 0.0, "clients": clients, "aof": aof,
        "replicas": replicas, "backlog": backlog,
        "ht_main": ht_main, "ht_expires": ht_expires,
        "frag": rss / used if used else 0.0, "frag_bytes": rss - used,
    }


def used_memory(srv) -> int:
    from . import memory as accounting
    return accounting.used_for_eviction(srv) + log_pending(srv)


# --------------------------------------------------------------------------- sampling (cron)

class _Sampler:
    __slots__ = ("last_t", "last_ops", "last_in", "last_out", "ops", "net_in", "net_out", "idx")

    def __init__(self):
        self.last_t = 0.0
        self.last_ops = self.last_in = self.last_out = 0
        self.ops = [0.0] * _SAMPLES
        self.net_in = [0.0] * _SAMPLES
        self.net_out = [0.0] * _SAMPLES
        self.idx = 0


def _sampler(srv) -> _Sampler:
    s = getattr(srv, "info_sampler", None)
    if s is None:
        s = srv.info_sampler = _Sampler()
    return s


def cron(srv) -> None:
    """trackInstantaneousMetric: one sample per 100 ms, the average of the last 16 reported.

    The first tick also takes ``used_memory_startup`` when the server starts empty (after TLS,
    the event loop and the log are set up); with a replayed dataset the figure taken at import,
    before any data, stands."""
    if getattr(srv, "memory_startup", None) is None:
        srv.memory_startup = _STARTUP_MEMORY
        if not any(db.data for db in srv.dbs):
            srv.memory_startup = max(_private_resident(), _STARTUP_MEMORY)
    s = _sampler(srv)
    now = time.monotonic()
    if now - s.last_t < 0.1:
        return
    used = used_memory(srv)  # the peak is tracked by the cron, as Redis does
    if used > getattr(srv, "stat_peak_memory", 0):
        srv.stat_peak_memory = used
    ops = total_commands(srv)
    nin = srv.stat_net_in
    nout = srv.stat_net_out
    if s.last_t:
        dt = now - s.last_t
        i = s.idx
        s.ops[i] = max(ops - s.last_ops, 0) / dt
        s.net_in[i] = max(nin - s.last_in, 0) / dt
        s.net_out[i] = max(nout - s.last_out, 0) / dt
        s.idx = (i + 1) % _SAMPLES
    s.last_t, s.last_ops, s.last_in, s.last_out = now, ops, nin, nout


def _instant(srv):
    s = _sampler(srv)
    return (int(sum(s.ops) / _SAMPLES), sum(s.net_in) / _SAMPLES / 1024,
            sum(s.net_out) / _SAMPLES / 1024)


# --------------------------------------------------------------------------- RESETSTAT

def reset_stats(srv) -> None:
    """CONFIG RESETSTAT: the counters Redis's resetServerStats and resetCommandTableStats clear."""
    for cmd in COMMANDS.values():
        st = cmd.stats
        st[0] = 0
        st[1] = 0.0
        st[2] = 0
        st[3] = 0
        for sub in cmd.subcommands.values():
            sub.stats[:] = [0, 0.0, 0, 0]
    srv.stat_connections = 0
    srv.stat_rejected_conn = 0
    srv.stat_expired_keys = 0
    srv.stat_expire_cycle_time_used = 0.0
    srv.stat_evicted_keys = 0
    srv.stat_keyspace_hits = 0
    srv.stat_keyspace_misses = 0
    srv.stat_rejected_calls = 0
    srv.stat_failed_calls = 0
    srv.stat_net_in = 0
    srv.stat_net_out = 0
    srv.stat_reads = 0
    srv.stat_writes = 0
    repl = srv.repl
    repl.sync_full = repl.sync_partial_ok = repl.sync_partial_err = 0
    srv.error_stats.clear()
    s = _sampler(srv)
    s.last_t = 0.0
    s.ops = [0.0] * _SAMPLES
    s.net_in = [0.0] * _SAMPLES
    s.net_out = [0.0] * _SAMPLES


def snapshot_stats(srv):
    """The statistics a log replay must not change (Redis does not count AOF loading)."""
    return ([list(cmd.stats) for cmd in COMMANDS.values()], dict(srv.error_stats),
            srv.stat_failed_calls, srv.stat_keyspace_hits, srv.stat_keyspace_misses,
            srv.stat_rejected_calls, srv.stat_expired_keys)


def restore_stats(srv, snap) -> None:
    stats, errs, failed, hits, misses, rejected, expired = snap
    for cmd, st in zip(COMMANDS.values(), stats, strict=False):  # same table, same order
        cmd.stats[:] = st
    srv.error_stats.clear()
    srv.error_stats.update(errs)
    srv.stat_failed_calls = failed
    srv.stat_keyspace_hits = hits
    srv.stat_keyspace_misses = misses
    srv.stat_rejected_calls = rejected
    srv.stat_expired_keys = expired


# --------------------------------------------------------------------------- sections

def _uptime(srv) -> int:
    return int(time.time() - srv.start_time)


def _server(srv, out):
    cfg = srv.config
    u = os.uname() if hasattr(os, "uname") else None
    osname = "%s %s %s" % (u.sysname, u.release, u.machine) if u else platform.platform()
    up = _uptime(srv)
    now_us = int(time.time() * 1e6)
    cluster = bool(cfg["cluster-enabled"] or srv.cluster is not None)
    out += [
        "redis_version:" + VERSION,
        "redis_git_sha1:00000000",
        "redis_git_dirty:0",
        "redis_build_id:" + _BUILD_ID,
        "redis_mode:" + ("cluster" if cluster else "standalone"),
        "os:" + osname,
        "arch_bits:%d" % (64 if sys.maxsize > 2 ** 32 else 32),
        "monotonic_clock:POSIX clock_gettime",
        "multiplexing_api:" + ("epoll" if sys.platform.startswith("linux") else "kqueue"),
        "atomicvar_api:c11-builtin",
        "gcc_version:0.0.0",
        "process_id:%d" % os.getpid(),
        "process_supervised:no",
        "run_id:" + run_id(srv),
        "tcp_port:%d" % getattr(srv, "port", cfg["tls-port"]),
        "server_time_usec:%d" % now_us,
        "uptime_in_seconds:%d" % up,
        "uptime_in_days:%d" % (up // 86400),
        "hz:%d" % cfg["hz"],
        "configured_hz:%d" % cfg["hz"],
        "lru_clock:%d" % lru_clock(),
        "executable:" + (sys.executable or ""),
        "config_file:" + (cfg.config_file or ""),
        "io_threads_active:0",
    ]


def _clients(srv, out):
    connected = blocked = tracking = timeouts = 0
    max_in = max_out = 0
    paused = srv.pause.clients  # held by CLIENT PAUSE: blocked (BLOCKED_PAUSE) in Redis 6.2
    for c in srv.clients.values():
        if c.monitor:
            continue
        connected += 1
        b = c.blocked
        if b is not None:
            blocked += 1
            if getattr(b, "timer", None) is not None:
                timeouts += 1
        elif c in paused:
            blocked += 1
        if c.tracking:
            tracking += 1
        p = c.parser
        raw = getattr(p, "raw", None) if p is not None else None
        if raw and len(raw) > max_in:
            max_in = len(raw)
        n = len(c.out)
        if n > max_out:
            max_out = n
    out += [
        "connected_clients:%d" % connected,
        "cluster_connections:0",
        "maxclients:%d" % srv.config["maxclients"],
        "client_recent_max_input_buffer:%d" % max_in,
        "client_recent_max_output_buffer:%d" % max_out,
        "blocked_clients:%d" % blocked,
        "tracking_clients:%d" % tracking,
        "clients_in_timeout_table:%d" % timeouts,
    ]


def _scripts(srv):
    scripts = getattr(srv, "scripts", None)
    n = len(scripts) if scripts else 0
    size = 0
    if scripts:
        for body in scripts.values():
            if isinstance(body, (bytes, str)):
                size += len(body)
    return n, size


def _memory(srv, out):
    m = memory(srv)
    cfg = srv.config
    sysmem = total_system_memory()
    nscripts, script_bytes = _scripts(srv)
    maxmem = cfg["maxmemory"]
    out += [
        "used_memory:%d" % m["used"],
        "used_memory_human:" + bytes_to_human(m["used"]),
        "used_memory_rss:%d" % m["rss"],
        "used_memory_rss_human:" + bytes_to_human(m["rss"]),
        "used_memory_peak:%d" % m["peak"],
        "used_memory_peak_human:" + bytes_to_human(m["peak"]),
        "used_memory_peak_perc:%.2f%%" % m["peak_perc"],
        "used_memory_overhead:%d" % m["overhead"],
        "used_memory_startup:%d" % m["startup"],
        "used_memory_dataset:%d" % m["dataset"],
        "used_memory_dataset_perc:%.2f%%" % m["dataset_perc"],
        "allocator_allocated:%d" % m["used"],
        "allocator_active:%d" % m["used"],
        "allocator_resident:%d" % m["rss"],
        "total_system_memory:%d" % sysmem,
        "total_system_memory_human:" + bytes_to_human(sysmem),
        "used_memory_lua:0",
        "used_memory_lua_human:0B",
        "used_memory_scripts:%d" % script_bytes,
        "used_memory_scripts_human:" + bytes_to_human(script_bytes),
        "number_of_cached_scripts:%d" % nscripts,
        "maxmemory:%d" % maxmem,
        "maxmemory_human:" + bytes_to_human(maxmem),
        "maxmemory_policy:" + cfg["maxmemory-policy"],
        "allocator_frag_ratio:1.00",
        "allocator_frag_bytes:0",
        "allocator_rss_ratio:%.2f" % m["frag"],
        "allocator_rss_bytes:%d" % m["frag_bytes"],
        "rss_overhead_ratio:1.00",
        "rss_overhead_bytes:0",
        "mem_fragmentation_ratio:%.2f" % m["frag"],
        "mem_fragmentation_bytes:%d" % m["frag_bytes"],
        "mem_not_counted_for_evict:%d" % (m["aof"] + m["replicas"]),
        "mem_replication_backlog:%d" % m["backlog"],
        "mem_clients_slaves:%d" % m["replicas"],
        "mem_clients_normal:%d" % m["clients"],
        "mem_aof_buffer:%d" % m["aof"],
        "mem_allocator:pymalloc",
        "active_defrag_running:0",
        "lazyfree_pending_objects:0",
        "lazyfreed_objects:0",
    ]


def _us(seconds: float) -> int:
    return int(seconds * 1e6)


def _persistence(srv, out):
    lg = srv.log
    failed = srv.log_failed or (getattr(lg, "failed", None) if lg is not None else None)
    backend = srv.backend
    try:
        size = backend.size_bytes() if backend is not None else 0
    except (OSError, AttributeError):
        size = 0
    base = getattr(srv, "log_base_size", None)
    if base is None:
        base = srv.log_base_size = size
    changes = srv.dirty - getattr(srv, "dirty_at_lastsave", 0)
    from .commands import persistence  # snapshots: rdb_* and snapshot_* fields
    snap = persistence.info_fields(srv)
    out += [
        "loading:%d" % (1 if srv.loading else 0),
        "current_cow_size:0",
        "current_cow_size_age:0",
        "current_fork_perc:0.00",
        "current_save_keys_processed:0",
        "current_save_keys_total:0",
        "rdb_changes_since_last_save:%d" % max(changes, 0),
        "rdb_bgsave_in_progress:%s" % snap.pop("rdb_bgsave_in_progress", 0),
        "rdb_last_save_time:%d" % srv.lastsave,
        "rdb_last_bgsave_status:%s" % snap.pop("rdb_last_bgsave_status", "ok"),
        "rdb_last_bgsave_time_sec:%s" % snap.pop("rdb_last_bgsave_time_sec", -1),
        "rdb_current_bgsave_time_sec:%s" % snap.pop("rdb_current_bgsave_time_sec", -1),
        "rdb_last_cow_size:0",
        "aof_enabled:1",
        "aof_rewrite_in_progress:%s" % snap.pop("aof_rewrite_in_progress", 0),
        "aof_rewrite_scheduled:%s" % snap.pop("aof_rewrite_scheduled", 0),
        "aof_last_rewrite_time_sec:%s" % snap.pop("aof_last_rewrite_time_sec", -1),
        "aof_current_rewrite_time_sec:%s" % snap.pop("aof_current_rewrite_time_sec", -1),
        "aof_last_bgrewrite_status:%s" % snap.pop("aof_last_bgrewrite_status", "ok"),
        "aof_last_write_status:" + ("err" if failed else "ok"),
        "aof_last_cow_size:0",
        "module_fork_in_progress:0",
        "module_fork_last_cow_size:0",
        "aof_current_size:%d" % size,
        "aof_base_size:%d" % base,
        "aof_pending_rewrite:0",
        "aof_buffer_length:%d" % log_pending(srv),
        "aof_rewrite_buffer_length:0",
        "aof_pending_bio_fsync:0",
        "aof_delayed_fsync:0",
    ]
    if srv.loading:
        out += [
            "loading_start_time:%d" % int(srv.start_time),
            "loading_loaded_records:%d" % srv.loaded_records,
        ]
    st = lg.stats() if lg is not None and hasattr(lg, "stats") else None
    out.append("log_appendfsync:" + srv.config["appendfsync"])
    if st is not None:
        out += [
            "log_appended_offset:%d" % st["appended"],
            "log_durable_offset:%d" % st["durable"],
            "log_pending_bytes:%d" % st["pending"],
            "log_batches:%d" % st["batches"],
            "log_records:%d" % st["records"],
            "log_bytes_written:%d" % st["bytes_written"],
            "log_syncs:%d" % st["syncs"],
            "log_last_fsync_time:%d" % int(st["last_fsync_time"]),
            "log_last_batch_latency_usec:%d" % _us(st["last_batch_latency"]),
            "log_batch_latency_p50_usec:%d" % _us(st["latency_p50"]),
            "log_batch_latency_p99_usec:%d" % _us(st["latency_p99"]),
        ]
    out += [
        "log_size_bytes:%d" % size,
        "log_failed:" + (failed or ""),
        "log_loaded_records:%d" % srv.loaded_records,
        "log_load_time_sec:%.3f" % srv.startup_seconds,
    ]
    out += ["%s:%s" % kv for kv in snap.items()]


def _pubsub_counts(srv):
    chans = getattr(srv, "pubsub_channels", None)
    pats = getattr(srv, "pubsub_patterns", None)
    if isinstance(chans, dict) and isinstance(pats, dict):
        return len(chans), len(pats)
    cs, ps = set(), set()
    for c in srv.clients.values():
        if c.pubsub_channels:
            cs.update(c.pubsub_channels)
        if c.pubsub_patterns:
            ps.update(c.pubsub_patterns)
    return len(cs), len(ps)


def _migrate_sockets() -> int:
    from .commands import dump  # MIGRATE's connection cache
    return len(dump._SOCKETS)


def _stats(srv, out):
    ops, kin, kout = _instant(srv)
    nchan, npat = _pubsub_counts(srv)
    out += [
        "total_connections_received:%d" % srv.stat_connections,
        "total_commands_processed:%d" % total_commands(srv),
        "instantaneous_ops_per_sec:%d" % ops,
        "total_net_input_bytes:%d" % srv.stat_net_in,
        "total_net_output_bytes:%d" % srv.stat_net_out,
        "instantaneous_input_kbps:%.2f" % kin,
        "instantaneous_output_kbps:%.2f" % kout,
        "rejected_connections:%d" % srv.stat_rejected_conn,
        "sync_full:%d" % srv.repl.sync_full,
        "sync_partial_ok:%d" % srv.repl.sync_partial_ok,
        "sync_partial_err:%d" % srv.repl.sync_partial_err,
        "expired_keys:%d" % srv.stat_expired_keys,
        "expired_stale_perc:0.00",
        "expired_time_cap_reached_count:0",
        "expire_cycle_cpu_milliseconds:%d" % int(getattr(srv, "stat_expire_cycle_time_used", 0) * 1000),
        "evicted_keys:%d" % srv.stat_evicted_keys,
        "keyspace_hits:%d" % srv.stat_keyspace_hits,
        "keyspace_misses:%d" % srv.stat_keyspace_misses,
        "pubsub_channels:%d" % nchan,
        "pubsub_patterns:%d" % npat,
        "latest_fork_usec:0",
        "total_forks:0",
        "migrate_cached_sockets:%d" % _migrate_sockets(),
        "slave_expires_tracked_keys:0",
        "active_defrag_hits:0",
        "active_defrag_misses:0",
        "active_defrag_key_hits:0",
        "active_defrag_key_misses:0",
        "tracking_total_keys:%d" % getattr(srv, "tracking_total_keys", 0),
        "tracking_total_items:%d" % getattr(srv, "tracking_total_items", 0),
        "tracking_total_prefixes:%d" % getattr(srv, "tracking_total_prefixes", 0),
        "unexpected_error_replies:0",
        "total_error_replies:%d" % srv.stat_failed_calls,
        "dump_payload_sanitizations:0",
        "total_reads_processed:%d" % getattr(srv, "stat_reads", 0),
        "total_writes_processed:%d" % getattr(srv, "stat_writes", 0),
        "io_threaded_reads_processed:0",
        "io_threaded_writes_processed:0",
    ]


def _replication(srv, out):
    out += srv.repl.info()


def _cpu(srv, out):
    me = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        th = resource.getrusage(resource.RUSAGE_THREAD)
    except (AttributeError, ValueError, OSError):
        th = me
    out += [
        "used_cpu_sys:%.6f" % me.ru_stime,
        "used_cpu_user:%.6f" % me.ru_utime,
        "used_cpu_sys_children:%.6f" % ch.ru_stime,
        "used_cpu_user_children:%.6f" % ch.ru_utime,
        "used_cpu_sys_main_thread:%.6f" % th.ru_stime,
        "used_cpu_user_main_thread:%.6f" % th.ru_utime,
    ]


def _modules(srv, out):
    pass


_UNSAFE_INFO = str.maketrans("#:\n\r", "____")  # getSafeInfoString


def _commandstats(srv, out):
    for name, cmd in COMMANDS.items():
        calls, secs, rejected, failed = cmd.stats
        if not calls and not rejected and not failed:
            continue
        usec = int(secs * 1e6)
        out.append("cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d"
                   % (name.translate(_UNSAFE_INFO), calls, usec, (usec / calls) if calls else 0.0,
                      rejected, failed))


def _errorstats(srv, out):
    for code in sorted(srv.error_stats, key=lambda s: s.encode("utf-8", "replace")):
        out.append("errorstat_%s:count=%d" % (code.translate(_UNSAFE_INFO), srv.error_stats[code]))


def _cluster(srv, out):
    on = bool(srv.config["cluster-enabled"] or srv.cluster is not None)
    out.append("cluster_enabled:%d" % (1 if on else 0))


def avg_ttl(db, now_ms: int) -> int:
    """Average remaining TTL (ms) of up to 64 keys with an expire (Redis estimates it too)."""
    exp = db.expires
    if not exp:
        return 0
    tot = n = 0
    for when in exp.values():
        left = when - now_ms
        if left > 0:
            tot += left
            n += 1
        if n >= 64:
            break
    return tot // n if n else 0


def _keyspace(srv, out):
    now = int(time.time() * 1000)
    for db in srv.dbs:
        keys = len(db.data)
        if keys:
            out.append("db%d:keys=%d,expires=%d,avg_ttl=%d" % (db.id, keys, len(db.expires),
                                                                avg_ttl(db, now)))


_GEN = {
    "server": ("Server", _server), "clients": ("Clients", _clients), "memory": ("Memory", _memory),
    "persistence": ("Persistence", _persistence), "stats": ("Stats", _stats),
    "replication": ("Replication", _replication), "cpu": ("CPU", _cpu),
    "modules": ("Modules", _modules), "commandstats": ("Commandstats", _commandstats),
    "errorstats": ("Errorstats", _errorstats), "cluster": ("Cluster", _cluster),
    "keyspace": ("Keyspace", _keyspace),
}


def render(srv, section: bytes | None = None) -> bytes:
    """The INFO text for ``section`` (``None``/``default``, ``all``, ``everything`` or one name);
    an unknown section renders as an empty string, as in Redis."""
    name = (section or b"default").decode("utf-8", "replace").lower()
    if name in ("all", "everything"):
        names = SECTIONS
    elif name == "default":
        names = DEFAULT_SECTIONS
    elif name in _GEN:
        names = (name,)
    else:
        return b""
    parts = []
    for n in names:
        title, gen = _GEN[n]
        lines = ["# " + title]
        gen(srv, lines)
        parts.append("\r\n".join(lines) + "\r\n")
    return "\r\n".join(parts).encode("utf-8", "replace")
