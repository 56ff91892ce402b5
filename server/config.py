"""One declarative table of configuration parameters.

The same table drives the config file (redis.conf syntax), command-line flags
(``--port 7000``), ``CONFIG GET`` (glob patterns), ``CONFIG SET`` and ``CONFIG REWRITE``.
Values are stored parsed (ints, bools, strings) in :class:`Config`; ``render`` turns them back
into the strings Redis prints.
"""

from __future__ import annotations

import os
import shlex

from .errors import RedisError
from .glob import glob_match

_UNITS = {"k": 1000, "kb": 1024, "m": 1000 ** 2, "mb": 1024 ** 2, "g": 1000 ** 3, "gb": 1024 ** 3}


def parse_memory(s: str) -> int:
    s = s.strip().lower()
    for u in ("kb", "mb", "gb", "k", "m", "g"):
        if s.endswith(u) and s[: -len(u)].lstrip("-").isdigit():
            return int(s[: -len(u)]) * _UNITS[u]
    if s.lstrip("-").isdigit():
        return int(s)
    raise ValueError("argument must be a memory value")


_LLONG_MAX = 2 ** 63 - 1
_LLONG_MIN = -(2 ** 63)
_INT_MAX = 2 ** 31 - 1
_MEM_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000 ** 2, "mb": 1024 ** 2, "g": 1000 ** 3,
              "gb": 1024 ** 3}


def _string2ll(s: str):
    """Redis's string2ll: a canonical base-10 int64 ('+1', ' 1', '01' refused) or None."""
    if not s or len(s) > 20 or not s.isascii():
        return None
    d = s[1:] if s[0] == "-" else s
    if not d.isdigit() or (d[0] == "0" and (len(d) > 1 or s[0] == "-")):
        return None
    v = int(s)
    return v if _LLONG_MIN <= v <= _LLONG_MAX else None


def _memtoll(s: str):
    """Redis's memtoll for CONFIG SET: digits then an optional unit (b k kb m mb g gb, any case);
    the empty string is 0; signs and anything else are refused (None)."""
    i = 0
    while i < len(s) and "0" <= s[i] <= "9":
        i += 1
    mul = _MEM_UNITS.get(s[i:].lower())
    if mul is None:
        return None
    v = min(int(s[:i] or "0"), _LLONG_MAX)  # strtoll saturates
    return v * mul if v <= _LLONG_MAX // mul else None


class ConfigWhy(ValueError):
    """A refusal of a ``special`` parameter that CONFIG SET reports with its reason."""


class Option:
    __slots__ = ("name", "kind", "default", "choices", "mutable", "alias", "lo", "hi", "on_set",
                 "hidden", "canon")

    def __init__(self, name, kind, default, choices=None, mutable=True, alias=None, lo=None, hi=None,
                 hidden=False, canon=None):
        self.name = name
        self.kind = kind  # bool | int | mem | enum | str | special
        self.default = default
        self.choices = choices
        self.mutable = mutable
        self.alias = alias
        self.lo = lo
        self.hi = hi
        self.hidden = hidden  # not listed by CONFIG GET (Redis 6.2 reads it from the file only)
        self.canon = canon    # enum synonyms: {"relative": "yes"} (Redis prints the first name)

    def parse(self, raw: str):
        k = self.kind
        if k == "bool":
            v = raw.lower()
            if v not in ("yes", "no"):
                raise ValueError("argument must be 'yes' or 'no'")
            if v == "yes" and self.name == "activedefrag":
                raise ValueError("Active defragmentation cannot be enabled: it requires a Redis server "
                                 "compiled with a modified Jemalloc like the one shipped by default "
                                 "with the Redis source distribution")
            return v == "yes"
        if k == "int" or k == "mem":
            if k == "mem":
                v = _memtoll(raw)
                if v is None:
                    raise ValueError("argument must be a memory value")
            else:
                v = _string2ll(raw)
                if v is None:
                    raise ValueError("argument couldn't be parsed into an integer")
            lo = _LLONG_MIN if self.lo is None else self.lo
            hi = _LLONG_MAX if self.hi is None else self.hi
            if v < lo or v > hi:
                raise ValueError("argument must be between %d and %d inclusive" % (lo, hi))
            if self.name == "hz":  # accepted 0..INT_MAX, used clamped to 1..500 as in Redis
                v = min(max(v, 1), 500)
            elif self.name == "repl-backlog-size":
                v = max(v, 16384)  # CONFIG_REPL_BACKLOG_MIN_SIZE
            return v
        if k == "enum":
            v = raw.lower()
            if v not in self.choices:
                raise ValueError("argument must be one of the following: " + ", ".join(self.choices))
            return self.canon.get(v, v) if self.canon else v
        return raw

    def render(self, v) -> str:
        if self.kind == "bool":
            return "yes" if v else "no"
        return str(v)


O = Option
OPTIONS = [
    O("port", "int", 0, lo=0, hi=65535),  # mutable as in Redis; no plaintext listener
    O("tls-port", "int", 6379, lo=0, hi=65535),  # CONFIG SET rebinds (listeners.py)
    O("bind", "str", "127.0.0.1"),
    O("tls-cert-file", "str", ""), O("tls-key-file", "str", ""), O("tls-ca-cert-file", "str", ""),
    O("tls-ca-cert-dir", "str", ""), O("tls-key-file-pass", "str", ""),
    O("tls-auth-clients", "enum", "no", choices=["yes", "no", "optional"]),
    O("tls-protocols", "str", ""), O("tls-ciphers", "str", ""), O("tls-ciphersuites", "str", ""),
    O("tls-prefer-server-ciphers", "bool", False), O("tls-session-caching", "bool", True),
    O("tls-replication", "bool", False), O("tls-cluster", "bool", False),
    O("dir", "str", "./perdure-data"),  # CONFIG SET: only the current directory (config_cmd.py)
    O("dbfilename", "str", "dump.rdb"),
    O("appendonly", "bool", True), O("appendfilename", "str", "appendonly.aof", mutable=False),
    O("appendfsync", "enum", "always", choices=["everysec", "always", "no"]),
    O("databases", "int", 16, lo=1, hi=2 ** 31 - 1, mutable=False),
    O("loglevel", "enum", "notice", choices=["debug", "verbose", "notice", "warning"]),
    O("logfile", "str", "", mutable=False),
    O("requirepass", "str", ""), O("masterauth", "str", ""), O("masteruser", "str", ""),
    O("maxclients", "int", 10000, lo=1, hi=4294967295),
    O("maxmemory", "mem", 0, lo=0), O("maxmemory-policy", "enum", "noeviction", choices=[
        "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru",
        "allkeys-lfu", "allkeys-random", "noeviction"]),
    O("maxmemory-samples", "int", 5, lo=1, hi=_INT_MAX), O("maxmemory-eviction-tenacity", "int", 10, lo=0, hi=100),
    O("lfu-log-factor", "int", 10, lo=0, hi=_INT_MAX), O("lfu-decay-time", "int", 1, lo=0, hi=_INT_MAX),
    O("timeout", "int", 0, lo=0, hi=_INT_MAX), O("tcp-keepalive", "int", 300, lo=0, hi=_INT_MAX),
    O("proto-max-bulk-len", "mem", 512 * 1024 * 1024, lo=1024 * 1024),
    O("client-query-buffer-limit", "mem", 1024 * 1024 * 1024, lo=1024 * 1024),
    O("client-output-buffer-limit", "special", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
    O("hash-max-ziplist-entries", "int", 512, lo=0),
    O("hash-max-ziplist-value", "mem", 64, lo=0),
    O("list-max-ziplist-size", "int", -2, lo=-_INT_MAX - 1, hi=_INT_MAX),
    O("list-compress-depth", "int", 0, lo=0, hi=_INT_MAX),
    O("set-max-intset-entries", "int", 512, lo=0),
    O("zset-max-ziplist-entries", "int", 128, lo=0),
    O("zset-max-ziplist-value", "mem", 64, lo=0),
    O("hll-sparse-max-bytes", "mem", 3000, lo=0),
    O("stream-node-max-bytes", "mem", 4096, lo=0), O("stream-node-max-entries", "int", 100, lo=0),
    O("notify-keyspace-events", "special", ""),
    O("slowlog-log-slower-than", "int", 10000, lo=-1), O("slowlog-max-len", "int", 128, lo=0),
    O("latency-monitor-threshold", "int", 0, lo=0),
    O("lua-time-limit", "int", 5000, lo=0),
    O("hz", "int", 10, lo=0, hi=_INT_MAX), O("dynamic-hz", "bool", True),
    O("activerehashing", "bool", True), O("lazyfree-lazy-eviction", "bool", False),
    O("lazyfree-lazy-expire", "bool", False), O("lazyfree-lazy-server-del", "bool", False),
    O("lazyfree-lazy-user-del", "bool", False), O("lazyfree-lazy-user-flush", "bool", False),
    O("save", "special", "3600 1 300 100 60 10000"), O("stop-writes-on-bgsave-error", "bool", True),
    O("rdbcompression", "bool", True), O("rdbchecksum", "bool", True, mutable=False),
    O("daemonize", "bool", False, mutable=False), O("supervised", "enum", "no", choices=["upstart", "systemd", "auto", "no"], mutable=False),
    O("pidfile", "str", "", mutable=False), O("protected-mode", "bool", False),
    O("cluster-enabled", "bool", False, mutable=False), O("cluster-config-file", "str", "nodes.conf", mutable=False, hidden=True),
    O("cluster-node-timeout", "int", 15000, lo=0), O("cluster-require-full-coverage", "bool", True),
    O("cluster-announce-ip", "str", ""), O("cluster-announce-port", "int", 0, lo=0, hi=65535),
    O("cluster-announce-tls-port", "int", 0, lo=0, hi=65535),
    O("cluster-announce-bus-port", "int", 0, lo=0, hi=65535),
    O("cluster-allow-reads-when-down", "bool", False),
    O("aclfile", "str", "", mutable=False), O("acllog-max-len", "int", 128, lo=0),
    O("acl-pubsub-default", "enum", "allchannels", choices=["allchannels", "resetchannels"]),
    O("active-expire-effort", "int", 1, lo=1, hi=10), O("activedefrag", "bool", False),
    O("io-threads", "int", 1, lo=1, hi=128, mutable=False), O("tracking-table-max-keys", "int", 1000000, lo=0),
    O("replica-read-only", "bool", True, alias="slave-read-only"),
    # Redis 6.2 parameters that clients and tools commonly read; Perdure has no replicas, no
    # AOF rewrite and no unix socket, so they keep their values and change nothing.
    O("replica-priority", "int", 100, lo=0, hi=_INT_MAX, alias="slave-priority"),
    O("min-replicas-to-write", "int", 0, lo=0, hi=_INT_MAX, alias="min-slaves-to-write"),
    O("min-replicas-max-lag", "int", 10, lo=0, hi=_INT_MAX, alias="min-slaves-max-lag"),
    O("replica-serve-stale-data", "bool", True, alias="slave-serve-stale-data"),
    O("repl-timeout", "int", 60, lo=1, hi=_INT_MAX),
    O("aof-use-rdb-preamble", "bool", True), O("aof-load-truncated", "bool", True),
    O("no-appendfsync-on-rewrite", "bool", False),
    O("auto-aof-rewrite-percentage", "int", 100, lo=0, hi=_INT_MAX),
    O("auto-aof-rewrite-min-size", "mem", 64 * 1024 * 1024, lo=0),
    O("lua-replicate-commands", "bool", True),
    O("tcp-backlog", "int", 511, lo=0, hi=_INT_MAX, mutable=False),
    O("unixsocket", "str", "", mutable=False), O("unixsocketperm", "int", 0, mutable=False), O("repl-backlog-size", "mem", 1024 * 1024, lo=1),
    O("snapshot-window", "str", ""), O("snapshot-retention-limit", "int", 1, lo=0, hi=35),
    O("snapshot-log-bytes", "mem", 256 * 1024 * 1024, lo=0),
    O("log-segment-bytes", "mem", 64 * 1024 * 1024, lo=1024 * 1024),
    # The rest of Redis 6.2's parameters, with its types, defaults, bounds and mutability.
    # Acting: always-show-logo (start-up logo), oom-score-adj(-values) (/proc/self/oom_score_adj),
    # tls-dh-params-file, tls-client-cert/key-file (MIGRATE). The others are stored and
    # reported only (README, Configuration: "accepted, no effect").
    O("tls-client-cert-file", "str", ""), O("tls-client-key-file", "str", ""),
    O("tls-client-key-file-pass", "str", ""), O("tls-dh-params-file", "str", ""),
    O("tls-session-cache-size", "int", 20 * 1024, lo=0, hi=_INT_MAX),
    O("tls-session-cache-timeout", "int", 300, lo=0, hi=_INT_MAX),
    O("io-threads-do-reads", "bool", False, mutable=False),
    O("always-show-logo", "bool", False, mutable=False),
    O("rdb-del-sync-files", "bool", False), O("set-proc-title", "bool", True, mutable=False),
    O("repl-disable-tcp-nodelay", "bool", False), O("repl-diskless-sync", "bool", False),
    O("gopher-enabled", "bool", False), O("aof-rewrite-incremental-fsync", "bool", True),
    O("rdb-save-incremental-fsync", "bool", True),
    O("cluster-replica-no-failover", "bool", False, alias="cluster-slave-no-failover"),
    O("replica-lazy-flush", "bool", False, alias="slave-lazy-flush"),
    O("replica-ignore-maxmemory", "bool", True, alias="slave-ignore-maxmemory"),
    O("jemalloc-bg-thread", "bool", True), O("syslog-enabled", "bool", False, mutable=False),
    O("crash-log-enabled", "bool", True), O("crash-memcheck-enabled", "bool", True),
    O("use-exit-on-panic", "bool", False), O("disable-thp", "bool", True),
    O("cluster-allow-replica-migration", "bool", True), O("replica-announced", "bool", True),
    O("replica-announce-ip", "str", "", alias="slave-announce-ip"),
    O("syslog-ident", "str", "redis", mutable=False),
    O("server_cpulist", "str", "", mutable=False), O("bio_cpulist", "str", "", mutable=False),
    O("aof_rewrite_cpulist", "str", "", mutable=False), O("bgsave_cpulist", "str", "", mutable=False),
    O("ignore-warnings", "str", ""),
    O("proc-title-template", "special", "{title} {listen-addr} {server-mode}"),
    O("syslog-facility", "enum", "local0", mutable=False, choices=[
        "user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"]),
    O("repl-diskless-load", "enum", "disabled", choices=["disabled", "on-empty-db", "swapdb"]),
    O("oom-score-adj", "enum", "no", choices=["no", "yes", "relative", "absolute"],
      canon={"relative": "yes"}),
    O("sanitize-dump-payload", "enum", "no", choices=["no", "yes", "clients"]),
    O("cluster-replica-validity-factor", "int", 10, lo=0, hi=_INT_MAX,
      alias="cluster-slave-validity-factor"),
    O("cluster-migration-barrier", "int", 1, lo=0, hi=_INT_MAX),
    O("active-defrag-cycle-min", "int", 1, lo=1, hi=99), O("active-defrag-cycle-max", "int", 25, lo=1, hi=99),
    O("active-defrag-threshold-lower", "int", 10, lo=0, hi=1000),
    O("active-defrag-threshold-upper", "int", 100, lo=0, hi=1000),
    O("repl-diskless-sync-delay", "int", 5, lo=0, hi=_INT_MAX),
    O("replica-announce-port", "int", 0, lo=0, hi=65535, alias="slave-announce-port"),
    O("repl-ping-replica-period", "int", 10, lo=1, hi=_INT_MAX, alias="repl-ping-slave-period"),
    O("rdb-key-save-delay", "int", 0, lo=-_INT_MAX - 1, hi=_INT_MAX),
    O("key-load-delay", "int", 0, lo=-_INT_MAX - 1, hi=_INT_MAX),
    O("active-defrag-max-scan-fields", "int", 1000, lo=1, hi=_LLONG_MAX),
    O("active-defrag-ignore-bytes", "mem", 100 << 20, lo=1),
    O("repl-backlog-ttl", "int", 3600, lo=0, hi=_LLONG_MAX),
    O("watchdog-period", "special", "0"),
    O("slaveof", "special", "", mutable=False, alias="replicaof"),
    O("oom-score-adj-values", "special", "0 200 800"),
]
OPTIONS_BY_NAME = {}
for _o in OPTIONS:
    OPTIONS_BY_NAME[_o.name] = _o
    if _o.alias:
        OPTIONS_BY_NAME[_o.alias] = _o

# The order CONFIG GET lists parameters in Redis 6.2 (configGetCommand): its standard config
# table (each name followed by its alias), the TLS ones at its end (USE_OPENSSL builds), then
# the hand-written ones.  Perdure's own parameters come after, in table order.
_GET_ORDER = {name: i for i, name in enumerate("""
    rdbchecksum daemonize io-threads-do-reads lua-replicate-commands always-show-logo
    protected-mode rdbcompression rdb-del-sync-files activerehashing stop-writes-on-bgsave-error
    set-proc-title dynamic-hz lazyfree-lazy-eviction lazyfree-lazy-expire
    lazyfree-lazy-server-del lazyfree-lazy-user-del lazyfree-lazy-user-flush
    repl-disable-tcp-nodelay repl-diskless-sync gopher-enabled aof-rewrite-incremental-fsync
    no-appendfsync-on-rewrite cluster-require-full-coverage rdb-save-incremental-fsync
    aof-load-truncated aof-use-rdb-preamble cluster-replica-no-failover
    cluster-slave-no-failover replica-lazy-flush slave-lazy-flush replica-serve-stale-data
    slave-serve-stale-data replica-read-only slave-read-only replica-ignore-maxmemory
    slave-ignore-maxmemory jemalloc-bg-thread activedefrag syslog-enabled cluster-enabled
    appendonly cluster-allow-reads-when-down crash-log-enabled crash-memcheck-enabled
    use-exit-on-panic disable-thp cluster-allow-replica-migration replica-announced aclfile
    unixsocket pidfile replica-announce-ip slave-announce-ip masteruser cluster-announce-ip
    syslog-ident dbfilename appendfilename server_cpulist bio_cpulist aof_rewrite_cpulist
    bgsave_cpulist ignore-warnings proc-title-template masterauth requirepass supervised
    syslog-facility repl-diskless-load loglevel maxmemory-policy appendfsync oom-score-adj
    acl-pubsub-default sanitize-dump-payload databases port io-threads
    auto-aof-rewrite-percentage cluster-replica-validity-factor cluster-slave-validity-factor
    list-max-ziplist-size tcp-keepalive cluster-migration-barrier active-defrag-cycle-min
    active-defrag-cycle-max active-defrag-threshold-lower active-defrag-threshold-upper
    lfu-log-factor lfu-decay-time replica-priority slave-priority repl-diskless-sync-delay
    maxmemory-samples maxmemory-eviction-tenacity timeout replica-announce-port
    slave-announce-port tcp-backlog cluster-announce-bus-port cluster-announce-port
    cluster-announce-tls-port repl-timeout repl-ping-replica-period repl-ping-slave-period
    list-compress-depth rdb-key-save-delay key-load-delay active-expire-effort hz
    min-replicas-to-write min-slaves-to-write min-replicas-max-lag min-slaves-max-lag maxclients
    active-defrag-max-scan-fields slowlog-max-len acllog-max-len lua-time-limit
    cluster-node-timeout slowlog-log-slower-than latency-monitor-threshold proto-max-bulk-len
    stream-node-max-entries repl-backlog-size maxmemory hash-max-ziplist-entries
    set-max-intset-entries zset-max-ziplist-entries active-defrag-ignore-bytes
    hash-max-ziplist-value stream-node-max-bytes zset-max-ziplist-value hll-sparse-max-bytes
    tracking-table-max-keys client-query-buffer-limit repl-backlog-ttl auto-aof-rewrite-min-size
    tls-port tls-session-cache-size tls-session-cache-timeout tls-cluster tls-replication
    tls-auth-clients tls-prefer-server-ciphers tls-session-caching tls-cert-file tls-key-file
    tls-key-file-pass tls-client-cert-file tls-client-key-file tls-client-key-file-pass
    tls-dh-params-file tls-ca-cert-file tls-ca-cert-dir tls-protocols tls-ciphers
    tls-ciphersuites logfile watchdog-period dir save client-output-buffer-limit unixsocketperm
    slaveof replicaof notify-keyspace-events bind oom-score-adj-values
""".split())}

NOTIFY_FLAGS = "KEg$lshzxetmdA"  # Redis 6.2: no "n" (new key events came in 7.0)


class Config:
    """Parsed configuration values, keyed by canonical option name."""

    def __init__(self):
        self.values = {o.name: (o.parse(o.default) if isinstance(o.default, str) and o.kind not in ("str", "special") else o.default)
                       for o in OPTIONS}
        self.listeners = []  # fn(name, value) called after a successful set
        self.updaters = {}   # name -> fn(value, prev) applying a CONFIG SET first; raises to refuse
        self.users = []      # "user ..." lines from the config file, for the ACL module
        self.config_file = None
        self.includes = []
        self._file_saves = False  # a "save" line was read: the next ones append, as in Redis

    def __getitem__(self, name):
        return self.values[name]

    def set(self, name: str, raw: str, startup: bool = False) -> None:
        opt = OPTIONS_BY_NAME.get(name.lower())
        if opt is None:
            raise KeyError(name)
        if not startup and not opt.mutable:
            raise PermissionError(name)
        value = self._parse_special(opt, raw) if opt.kind == "special" else opt.parse(raw)
        if opt.name == "client-output-buffer-limit":
            value = _merge_obuf(self.values.get(opt.name) or "", value)
        prev = self.values.get(opt.name)
        if not startup and opt.name in self.updaters:
            self.updaters[opt.name](value, prev)
        self.values[opt.name] = value
        if opt.name in ("oom-score-adj", "oom-score-adj-values") and not startup:
            try:
                apply_oom_score_adj(self)
            except OSError:
                self.values[opt.name] = prev  # rolled back, as Redis does
                if opt.name == "oom-score-adj":
                    raise ValueError("Failed to set current oom_score_adj. Check server logs.") from None
                raise ConfigWhy("Failed to apply oom-score-adj-values configuration, check server "
                                "logs.") from None
        for fn in self.listeners:
            fn(opt.name, value)

    @staticmethod
    def _parse_special(opt, raw):
        if opt.name == "notify-keyspace-events":
            for ch in raw:
                if ch not in NOTIFY_FLAGS:
                    raise ValueError("Invalid event class character. Use 'Ag$lshzxeKEtmd'.")
            return raw
        if opt.name == "save":
            # sdssplitlen on single spaces; pairs of <seconds >= 1> <changes >= 0> (strtoll)
            if raw == "":
                return ""
            parts = raw.split(" ")
            if len(parts) % 2:
                raise ValueError("Invalid save parameters")
            vals = []
            for j, p in enumerate(parts):
                t = p.lstrip(" \t\n\r\f\v")
                t = t[1:] if t[:1] == "+" else t
                if not (t.isdigit() or (t[:1] == "-" and t[1:].isdigit())) and t != "":
                    raise ValueError("Invalid save parameters")
                v = int(t) if t else 0
                if v < (1 if j % 2 == 0 else 0):
                    raise ValueError("Invalid save parameters")
                vals.append(str(v))
            return " ".join(vals)
        if opt.name == "proc-title-template":
            if not _proc_title_valid(raw):
                raise ConfigWhy("template format is invalid or contains unknown variables")
            return raw
        if opt.name == "watchdog-period":
            v = _string2ll(raw)
            if v is None or v < 0 or v > _INT_MAX:
                raise ValueError("Invalid watchdog-period")
            return str(v)
        if opt.name == "oom-score-adj-values":
            parts = raw.split(" ")
            if len(parts) != 3:
                raise ValueError("wrong number of values")
            vals = []
            for p in parts:
                v = _strtoll_full(p)
                if v is None or v < -2000 or v > 2000:
                    raise ConfigWhy("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
                vals.append(str(v))
            return " ".join(vals)
        if opt.name == "slaveof":
            # "replicaof <host> <port>" at startup (replication.py starts the link)
            parts = raw.split()
            if [p.lower() for p in parts] == ["no", "one"] or not parts:
                return ""
            if len(parts) != 2 or _strtoll_full(parts[1]) is None:
                raise ValueError("wrong number of arguments")
            return "%s %s" % (parts[0], parts[1])
        if opt.name == "client-output-buffer-limit":
            parts = raw.split()
            if len(parts) % 4:
                raise ValueError("Wrong number of arguments in buffer limit configuration.")
            cur = dict(zip(["normal", "slave", "pubsub"], [None, None, None]))
            for i in range(0, len(parts), 4):
                cls = parts[i].lower()
                if cls == "replica":
                    cls = "slave"
                if cls not in cur:
                    raise ValueError("Invalid client class specified in buffer limit configuration.")
                try:
                    vals = [parse_memory(parts[i + 1]), parse_memory(parts[i + 2]), int(parts[i + 3])]
                except ValueError:
                    raise ValueError("Error in hard, soft or soft_seconds setting in buffer limit configuration.") from None
                cur[cls] = vals
            return raw
        return raw

    def render(self, name) -> str:
        opt = OPTIONS_BY_NAME[name]
        v = self.values[opt.name]
        if opt.name == "notify-keyspace-events":
            return render_notify_flags(v)
        return opt.render(v)

    def get_matching(self, pattern: bytes) -> list:
        """CONFIG GET: [name, value, ...] for every option (and alias) matching the glob."""
        out = []
        seen = set()
        for name, opt in OPTIONS_BY_NAME.items():
            if opt.hidden or (name == "replicaof" and "slaveof" in seen):
                continue  # Redis 6.2 lists one of slaveof/replicaof: the first the pattern matches
            if glob_match(pattern.lower(), name.encode(), nocase=True) and name not in seen:
                seen.add(name)
                out.append((name.encode(), self.render(opt.name).encode()))
        last = len(_GET_ORDER)
        out.sort(key=lambda kv: _GET_ORDER.get(kv[0].decode(), last))  # stable: ours keep table order
        return out

    # ---- files and flags -------------------------------------------------------------------
    def load_file(self, path: str) -> None:
        self.config_file = os.path.abspath(path)
        with open(path, encoding="utf-8") as f:
            self.load_text(f.read(), path)

    def load_text(self, text: str, where: str = "config") -> None:
        for lineno, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                words = shlex.split(line)
            except ValueError:
                raise ConfigError(where, lineno, line, "Unbalanced quotes in configuration line") from None
            name, args = words[0].lower(), words[1:]
            if name == "user":
                self.users.append(" ".join(args))
                continue
            if name == "include":
                self.load_file(args[0])
                continue
            if name == "rename-command":
                continue
            value = " ".join(args)
            if name == "save" and args and args != [""] and self._file_saves:
                value = self.values["save"] + " " + value  # later "save" lines add points
            try:
                self.set(name, value, startup=True)
                if name == "save":
                    self._file_saves = bool(self.values["save"])
            except KeyError:
                raise ConfigError(where, lineno, line, "Bad directive or wrong number of arguments") from None
            except ValueError as e:
                raise ConfigError(where, lineno, line, str(e)) from None

    def load_argv(self, argv: list) -> None:
        """``perdure-server [configfile] [--name value ...]`` like redis-server."""
        i = 0
        if argv and not argv[0].startswith("--"):
            self.load_file(argv[0])
            i = 1
        lines = []
        while i < len(argv):
            a = argv[i]
            if not a.startswith("--"):
                raise ConfigError("command line", 0, a, "Bad directive or wrong number of arguments")
            vals = []
            i += 1
            while i < len(argv) and not argv[i].startswith("--"):
                vals.append(argv[i])
                i += 1
            lines.append(a[2:] + " " + " ".join(shlex.quote(v) if v else '""' for v in vals))
        self.load_text("\n".join(lines), "command line")

    def _rewrite_lines(self, opt) -> list:
        if opt.name == "save":
            # rewriteConfigSaveOption: one "save <seconds> <changes>" line per point, or
            # 'save ""' (always written: without it a restart would get the defaults)
            parts = self.values["save"].split()
            if not parts:
                return ['save ""']
            return ["save %s %s" % (parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
        return ["%s %s" % (opt.name, _quote(self.render(opt.name)))]

    def rewrite(self, force_all: bool = False) -> None:
        """CONFIG REWRITE: rewrite the config file keeping unknown lines and comments.
        ``force_all`` (DEBUG CONFIG-REWRITE-FORCE-ALL): also write the options at their default."""
        if not self.config_file:
            raise RedisError("ERR The server is running without a config file")
        with open(self.config_file, encoding="utf-8") as f:
            old = f.read().splitlines()
        written = set()
        out = []
        for line in old:
            s = line.strip()
            if s and not s.startswith("#"):
                name = s.split()[0].lower()
                opt = OPTIONS_BY_NAME.get(name)
                if opt is not None:
                    if opt.name in written:
                        continue
                    written.add(opt.name)
                    out.extend(self._rewrite_lines(opt))
                    continue
            out.append(line)
        for opt in OPTIONS:
            if opt.name not in written and (
                    (force_all and not (opt.name == "slaveof" and not self.values[opt.name]))
                    or self.values[opt.name] != Config().values[opt.name] or opt.name == "save"):
                out.extend(self._rewrite_lines(opt))
        tmp = self.config_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("\n".join(out) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.config_file)


def _strtoll_full(s: str):
    """strtoll(s, &end, 10) with *end == '\\0' required (leading blanks and a sign allowed)."""
    t = s.lstrip(" \t\n\r\f\v")
    d = t[1:] if t[:1] in ("+", "-") else t
    if not d.isdigit() or not d.isascii():
        return None if t != "" or s != "" else 0
    return max(min(int(t), _LLONG_MAX), _LLONG_MIN)


_PROC_TITLE_VARS = {"title": "", "listen-addr": "*:0", "server-mode": "", "config-file": "-",
                    "port": "0", "tls-port": "0", "unixsocket": ""}


def _proc_title_valid(template: str) -> bool:
    """Redis's validateProcTitleTemplate: sdstemplate expansion succeeds and is not blank."""
    out, i = [], 0
    while i < len(template):
        j = template.find("{", i)
        if j < 0:
            out.append(template[i:])
            break
        out.append(template[i:j])
        if j + 1 >= len(template):
            return False
        if template[j + 1] == "{":
            out.append("{")
            i = j + 2
            continue
        k = template.find("}", j + 1)
        if k < 0 or template[j + 1:k] not in _PROC_TITLE_VARS:
            return False
        out.append(_PROC_TITLE_VARS[template[j + 1:k]])
        i = k + 1
    return "".join(out).strip(" ") != ""


_OOM = {"adjusted": False, "base": 0}


def apply_oom_score_adj(cfg) -> None:
    """Redis's setOOMScoreAdj(-1) for a master: write oom-score-adj-values' master class (relative
    to the score found when first enabled, or absolute) to /proc/self/oom_score_adj; turning it
    off restores that score. Raises OSError when /proc cannot be read or written."""
    mode = cfg.values["oom-score-adj"]
    if mode != "no":
        if not _OOM["adjusted"]:
            with open("/proc/self/oom_score_adj") as f:
                _OOM["base"] = int(f.read().strip() or 0)
            _OOM["adjusted"] = True
        # the process class: master, or replica while replicating (_OOM["replica"])
        val = int(cfg.values["oom-score-adj-values"].split()[1 if _OOM.get("replica") else 0])
        if mode == "yes":
            val += _OOM["base"]
        val = max(-1000, min(1000, val))
    elif _OOM["adjusted"]:
        _OOM["adjusted"] = False
        val = _OOM["base"]
    else:
        return
    with open("/proc/self/oom_score_adj", "w") as f:
        f.write("%d\n" % val)


def _merge_obuf(current: str, raw: str) -> str:
    """client-output-buffer-limit as Redis renders it: all three classes, in bytes."""
    limits = {}
    for src in (current, raw):
        parts = src.split()
        for i in range(0, len(parts) - 3, 4):
            cls = parts[i].lower()
            cls = "slave" if cls == "replica" else cls
            limits[cls] = (parse_memory(parts[i + 1]), parse_memory(parts[i + 2]), int(parts[i + 3]))
    return " ".join("%s %d %d %d" % ((cls,) + limits.get(cls, (0, 0, 0)))
                    for cls in ("normal", "slave", "pubsub"))


def _quote(v: str) -> str:
    if v == "" or any(c in v for c in " \"'\\"):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return v


def render_notify_flags(v: str) -> str:
    """Render notify-keyspace-events as Redis 6.2's keyspaceEventsFlagsToString does ("A" is
    every class g$lshzxetd; "m", key misses, is not part of it)."""
    flags = set(v)
    if "A" in flags:
        flags |= set("g$lshzxetd")
    out = ""
    if set("g$lshzxetd") <= flags:
        out = "A"
    else:
        for c in "g$lshzxetd":
            if c in flags:
                out += c
    if "K" in flags:
        out += "K"
    if "E" in flags:
        out += "E"
    if "m" in flags:
        out += "m"
    return out


class ConfigError(Exception):
    def __init__(self, where, lineno, line, msg):
        super().__init__("\n*** FATAL CONFIG FILE ERROR (Redis 6.2.14) ***\nReading the configuration file, at line %d\n>>> '%s'\n%s"
                         % (lineno, line, msg))
