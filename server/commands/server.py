"""Server introspection and administration: COMMAND, INFO, TIME, LASTSAVE, SLOWLOG, LATENCY,
MEMORY, MONITOR, SHUTDOWN.

Also here, installed on :class:`~perdure.server.app.Server` at import (the hooks the dispatcher
calls): feeding MONITOR clients after each command (:func:`feed_monitors`), the slow-call path
(slow log and the ``command`` / ``fast-command`` latency events, :func:`slow_call`), the
``aof-fsync-always`` latency event sampled from the log's batch commit times, and the cron hook
that samples the INFO instantaneous metrics.  Helpers shared by CONFIG and DEBUG (``HELP``
replies, the unknown-subcommand error) live here too.
"""

from __future__ import annotations

import collections
import math
import time

from .. import errors, info, resp
from ..app import Server
from ..args import to_int
from ..client import AT_EXIT
from ..dispatch import BLOCKED
from ..errors import RedisError
from ..registry import ALL_CATEGORIES, COMMANDS, Flag, command, lookup

# --------------------------------------------------------------------------- shared helpers


def help_reply(argv0: bytes, lines) -> list:
    """Redis's addReplyHelp: the usage line, ``lines``, then HELP."""
    name = argv0.decode("latin-1").upper()
    out = [resp.Simple(("%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:" % name).encode())]
    out += [resp.Simple(x.encode()) for x in lines]
    out += [resp.Simple(b"HELP"), resp.Simple(b"    Prints this help.")]
    return out


def subcommand_error(argv) -> RedisError:
    """``ERR Unknown subcommand or wrong number of arguments for 'x'. Try CMD HELP.``"""
    sub = argv[1][:128].decode("utf-8", "replace").replace("\r", " ").replace("\n", " ")
    return RedisError(errors.UNKNOWN_SUBCOMMAND % (sub, argv[0].decode("latin-1").upper()))


def _lower(b: bytes) -> bytes:
    return b.lower()


# --------------------------------------------------------------------------- COMMAND

_CMD_REPLY_CACHE: dict = {}
_CAT_ORDER = {c: i for i, c in enumerate(ALL_CATEGORIES)}


def command_reply(cmd) -> list:
    """One COMMAND entry: name, arity, flags, first key, last key, step, ACL categories."""
    r = _CMD_REPLY_CACHE.get(cmd)
    if r is None:
        cats = sorted(cmd.categories, key=lambda x: _CAT_ORDER.get(x, 99))
        r = [cmd.bname, cmd.arity, resp.Set([resp.Simple(f) for f in cmd.flag_names()]),
             cmd.first_key, cmd.last_key, cmd.key_step,
             resp.Set([resp.Simple(b"@" + x.encode()) for x in cats])]
        _CMD_REPLY_CACHE[cmd] = r
    return r


def table_keys(cmd, argv):
    """getKeysUsingCommandTable: None when the declared positions run past ``argv``."""
    first, last, step = cmd.first_key, cmd.last_key, cmd.key_step
    n = len(argv)
    if last < 0:
        last = n + last
    out = []
    j = first
    while j <= last:
        if j >= n:
            return None
        out.append(argv[j])
        j += step
    return out


_COMMAND_HELP = [
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
]


@command("command", -1, "random loading stale no-data", "@connection")
def command_(c, argv):
    "COMMAND [COUNT|INFO name...|GETKEYS cmd args...|HELP]"
    n = len(argv)
    if n == 1:
        return [command_reply(cmd) for cmd in COMMANDS.values()]
    sub = argv[1].lower()
    if sub == b"info":
        return [None if (cmd := lookup(name)) is None else command_reply(cmd) for name in argv[2:]]
    if sub == b"count" and n == 2:
        return len(COMMANDS)
    if sub == b"getkeys" and n >= 3:
        return _getkeys(argv[2:])
    if sub == b"help" and n == 2:
        return help_reply(argv[0], _COMMAND_HELP)
    raise subcommand_error(argv)


def _getkeys(args):
    cmd = lookup(args[0])
    if cmd is None:
        raise RedisError(errors.GETKEYS_INVALID_COMMAND)
    if cmd.getkeys is None and cmd.first_key == 0:
        raise RedisError(errors.GETKEYS_NO_KEYS)
    n = len(args)
    if (cmd.arity > 0 and cmd.arity != n) or n < -cmd.arity:
        raise RedisError(errors.GETKEYS_ARITY)
    try:
        keys = table_keys(cmd, args) if cmd.getkeys is None else cmd.getkeys(args)
    except (RedisError, IndexError, ValueError):
        keys = None
    if not keys:
        raise RedisError(errors.GETKEYS_INVALID_ARGS)
    return list(keys)


# --------------------------------------------------------------------------- INFO, TIME, LASTSAVE


@command("info", -1, "random loading stale", "@dangerous")
def info_(c, argv):
    "INFO [section]"
    if len(argv) > 2:
        raise RedisError(errors.SYNTAX)
    return resp.Verbatim(info.render(c.server, argv[1] if len(argv) == 2 else None))


@command("time", 1, "random loading stale fast no-data")
def time_(c, argv):
    "TIME"
    t = time.time()
    s = int(t)
    return [b"%d" % s, b"%d" % int((t - s) * 1e6)]


@command("lastsave", 1, "random loading stale fast no-data", "@admin @dangerous")
def lastsave(c, argv):
    "LASTSAVE"
    return c.server.lastsave


# --------------------------------------------------------------------------- SLOWLOG

_SLOWLOG_HELP = [
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10). Entries are",
    "    made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
]


@command("slowlog", -2, "admin random loading stale no-data")
def slowlog(c, argv):
    "SLOWLOG GET [count] | LEN | RESET | HELP"
    n = len(argv)
    sub = argv[1].lower()
    srv = c.server
    if sub == b"get" and n in (2, 3):
        count = 10
        if n == 3:
            count = to_int(argv[2])
            if count is None:
                raise RedisError(errors.NOT_INTEGER)
        entries = srv.slowlog if count < 0 else srv.slowlog[:count]
        return [[e[0], e[1], e[2], list(e[3]), e[4], e[5]] for e in entries]
    if sub == b"len" and n == 2:
        return len(srv.slowlog)
    if sub == b"reset" and n == 2:
        srv.slowlog.clear()
        return resp.OK
    if sub == b"help" and n == 2:
        return help_reply(argv[0], _SLOWLOG_HELP)
    raise subcommand_error(argv)


# --------------------------------------------------------------------------- LATENCY

LATENCY_TS_LEN = 160


class LatencySeries:
    """One event's time series: up to 160 [unix time, ms] samples, one per second at most."""

    __slots__ = ("samples", "max")

    def __init__(self):
        self.samples = collections.deque(maxlen=LATENCY_TS_LEN)
        self.max = 0


def latency_events(srv) -> dict:
    ev = getattr(srv, "latency_events", None)
    if ev is None:
        ev = srv.latency_events = {}
    return ev


def latency_add(srv, event: str, ms: int) -> None:
    """latencyAddSample: record ``ms`` for ``event`` (same-second samples keep the maximum)."""
    events = latency_events(srv)
    ts = events.get(event)
    if ts is None:
        ts = events[event] = LatencySeries()
    now = int(time.time())
    if ms > ts.max:
        ts.max = ms
    s = ts.samples
    if s and s[-1][0] == now:
        if ms > s[-1][1]:
            s[-1][1] = ms
        return
    s.append([now, ms])


def latency_add_if_needed(srv, event: str, ms: int) -> None:
    th = srv.config["latency-monitor-threshold"]
    if th and ms >= th:
        latency_add(srv, event, ms)


_LATENCY_HELP = [
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
]


@command("latency", -2, "admin noscript loading stale no-data")
def latency(c, argv):
    "LATENCY DOCTOR | GRAPH event | HISTORY event | LATEST | RESET [event ...] | HELP"
    n = len(argv)
    sub = argv[1].lower()
    srv = c.server
    events = latency_events(srv)
    if sub == b"history" and n == 3:
        ts = events.get(argv[2].decode("utf-8", "replace"))
        return [] if ts is None else [[t, ms] for t, ms in ts.samples]
    if sub == b"graph" and n == 3:
        name = argv[2].decode("utf-8", "replace")
        ts = events.get(name)
        if ts is None:
            raise RedisError(errors.LATENCY_NO_SAMPLES % name)
        return resp.Verbatim(_latency_graph(name, ts).encode())
    if sub == b"latest" and n == 2:
        return [[e.encode(), ts.samples[-1][0], ts.samples[-1][1], ts.max]
                for e, ts in events.items() if ts.samples]
    if sub == b"doctor" and n == 2:
        return resp.Verbatim(_latency_report(srv).encode())
    if sub == b"reset" and n >= 2:
        if n == 2:
            k = len(events)
            events.clear()
            return k
        resets = 0
        for name in argv[2:]:
            want = name.decode("utf-8", "replace").lower()
            for e in [e for e in events if e.lower() == want]:
                del events[e]
                resets += 1
        return resets
    if sub == b"help" and n == 2:
        return help_reply(argv[0], _LATENCY_HELP)
    raise subcommand_error(argv)


def _sparkline(values, labels, columns=80, rows=4) -> str:
    """Redis's sparklineRender with SPARKLINE_FILL (the LATENCY GRAPH body)."""
    charset_fill = "_o#"
    clen = 3
    out = []
    if not values:
        return ""
    lo, hi = values[0], values[0]
    for v in values[1:]:
        if v < lo:
            lo = v
        elif v > hi:
            hi = v
    nlabels = sum(1 for x in labels if x)
    for start in range(0, len(values), columns):
        if start:
            out.append("\n")
        seg = range(start, min(start + columns, len(values)))
        relmax = (hi - lo) or 1
        steps = clen * rows
        row = 0
        while True:
            loop = False
            chars = [" "] * len(seg)
            for j, i in enumerate(seg):
                relval = values[i] - lo
                step = int(int(relval * steps) / relmax)
                step = min(max(step, 0), steps - 1)
                if row < rows:
                    idx = step - (rows - row - 1) * clen
                    loop = True
                    if 0 <= idx < clen:
                        chars[j] = charset_fill[idx]
                    elif idx >= clen:
                        chars[j] = "|"
                else:
                    if nlabels and row - rows < 1:
                        loop = True
                        break
                    lab = labels[i]
                    if lab:
                        k = row - rows - 1
                        if len(lab) > k:
                            loop = True
                            chars[j] = lab[k]
            if not loop:
                break
            row += 1
            out.append("".join(chars) + "\n")
    return "".join(out)


def _latency_graph(event: str, ts: LatencySeries) -> str:
    now = int(time.time())
    values, labels = [], []
    for t, ms in ts.samples:
        el = now - t
        if el < 60:
            lab = "%ds" % el
        elif el < 3600:
            lab = "%dm" % (el // 60)
        elif el < 86400:
            lab = "%dh" % (el // 3600)
        else:
            lab = "%dd" % (el // 86400)
        values.append(ms)
        labels.append(lab)
    hi = max(values) if values else 0
    lo = min(values) if values else 0
    return ("%s - high %d ms, low %d ms (all time high %d ms)\n" % (event, hi, lo, ts.max)
            + "-" * 80 + "\n" + _sparkline(values, labels))


_ADVICE = {
    "slowlog_enabled": "- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than %d'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n",
    "slowlog_tuning": "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than %d'.\n",
    "slowlog_inspect": "- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n",
    "scheduler": "- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n",
    "relax_fsync": "- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n",
    "large_objects": "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n",
}


def _latency_report(srv) -> str:
    """createLatencyReport, for the events Perdure records."""
    events = latency_events(srv)
    cfg = srv.config
    threshold = cfg["latency-monitor-threshold"]
    if not events and threshold == 0:
        return ("I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis "
                "instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in "
                "order to enable it. If we weren't in a deep space mission I'd suggest to take a "
                "look at https://redis.io/topics/latency-monitor.\n")
    out = []
    adv = set()
    num = 0
    now = int(time.time())
    for name, ts in events.items():
        samples = list(ts.samples)
        num += 1
        if num == 1:
            out.append("Dave, I have observed latency spikes in this Redis instance. You don't mind "
                       "talking about it, do you Dave?\n\n")
        k = len(samples)
        avg = sum(ms for _, ms in samples) // k if k else 0
        mad = sum(abs(avg - ms) for _, ms in samples) // k if k else 0
        period = (now - min(t for t, _ in samples)) or 1 if k else 0
        out.append("%d. %s: %d latency spikes (average %dms, mean deviation %dms, period %.2f sec). "
                   "Worst all time event %dms." % (num, name, k, avg, mad,
                                                   (period / k) if k else math.nan, ts.max))
        lname = name.lower()
        if lname == "command":
            slower = cfg["slowlog-log-slower-than"]
            if slower == 0:
                adv.add("slowlog_enabled")
            elif slower // 1000 > threshold:
                adv.add("slowlog_tuning")
            adv.add("slowlog_inspect")
            adv.add("large_objects")
        elif lname == "fast-command":
            adv.add("scheduler")
        elif lname == "aof-fsync-always":
            adv.add("relax_fsync")
        out.append("\n")
    if num == 0:
        out.append("Dave, no latency spike was observed during the lifetime of this Redis instance, "
                   "not in the slightest bit. I honestly think you ought to sit down calmly, take a "
                   "stress pill, and think things over.\n")
    elif not adv:
        out.append("\nWhile there are latency events logged, I'm not able to suggest any easy fix. "
                   "Please use the Redis community to get some help, providing this report in your "
                   "help request.\n")
    else:
        out.append("\nI have a few advices for you:\n\n")
        for key in ("slowlog_enabled", "slowlog_tuning"):
            if key in adv:
                out.append(_ADVICE[key] % (threshold * 1000))
        if "slowlog_inspect" in adv:
            out.append(_ADVICE["slowlog_inspect"])
        if "scheduler" in adv:
            out.append(_ADVICE["scheduler"])
        if "relax_fsync" in adv and cfg["appendfsync"] == "always":
            out.append(_ADVICE["relax_fsync"])
        if "large_objects" in adv:
            out.append(_ADVICE["large_objects"])
    return "".join(out)


# --------------------------------------------------------------------------- MEMORY

_MEMORY_HELP = [
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5).",
]


def _memory_keys(argv):
    if len(argv) >= 3 and argv[1].lower() == b"usage":
        return [argv[2]]
    return []


@command("memory", -2, "readonly random", "", getkeys=_memory_keys)
def memory(c, argv):
    "MEMORY USAGE key [SAMPLES count] | STATS | DOCTOR | MALLOC-STATS | PURGE | HELP"
    n = len(argv)
    sub = argv[1].lower()
    if sub == b"usage" and n >= 3:
        samples = 5
        j = 3
        while j < n:
            if argv[j].lower() == b"samples" and j + 1 < n:
                samples = to_int(argv[j + 1])
                if samples is None:
                    raise RedisError(errors.NOT_INTEGER)
                if samples < 0:
                    raise RedisError(errors.SYNTAX)
                j += 2
            else:
                raise RedisError(errors.SYNTAX)
        from .debug import key_memory_usage
        v = c.db.data.get(argv[2])  # objectCommandLookup: no expiry, no statistics
        if v is None:
            return None
        return key_memory_usage(c.db, argv[2], v, samples)
    if sub == b"stats" and n == 2:
        return _memory_stats(c.server)
    if sub == b"doctor" and n == 2:
        return resp.Verbatim(_memory_doctor(c.server).encode())
    if sub == b"malloc-stats" and n == 2:
        return b"Stats not supported for the current allocator"
    if sub == b"purge" and n == 2:
        import gc
        gc.collect()
        return resp.OK
    if sub == b"help" and n == 2:
        return help_reply(argv[0], _MEMORY_HELP)
    raise subcommand_error(argv)


def _f32(x: float) -> float:
    """Redis stores these ratios as C floats: keep that precision."""
    import struct
    return struct.unpack("f", struct.pack("f", x))[0]


def _memory_stats(srv):
    m = info.memory(srv)
    keys = sum(len(db.data) for db in srv.dbs)
    out = {
        b"peak.allocated": m["peak"], b"total.allocated": m["used"],
        b"startup.allocated": m["startup"], b"replication.backlog": m["backlog"], b"clients.slaves": m["replicas"],
        b"clients.normal": m["clients"], b"aof.buffer": m["aof"], b"lua.caches": 0,
    }
    for db in srv.dbs:
        if db.data or db.expires:
            out[b"db.%d" % db.id] = resp.Map({
                b"overhead.hashtable.main": len(db.data) * 32,
                b"overhead.hashtable.expires": len(db.expires) * 32})
    net = m["used"] - m["startup"]
    out.update({
        b"overhead.total": m["overhead"], b"keys.count": keys,
        b"keys.bytes-per-key": (net // keys) if keys else 0,
        b"dataset.bytes": m["dataset"],
        b"dataset.percentage": resp.Double(_f32(m["dataset_perc"])),
        b"peak.percentage": resp.Double(_f32(m["peak_perc"])),
        b"allocator.allocated": m["used"], b"allocator.active": m["used"],
        b"allocator.resident": m["rss"],
        b"allocator-fragmentation.ratio": resp.Double(1.0), b"allocator-fragmentation.bytes": 0,
        b"allocator-rss.ratio": resp.Double(_f32(m["frag"])),
        b"allocator-rss.bytes": m["frag_bytes"],
        b"rss-overhead.ratio": resp.Double(1.0), b"rss-overhead.bytes": 0,
        b"fragmentation": resp.Double(_f32(m["frag"])), b"fragmentation.bytes": m["frag_bytes"],
    })
    return resp.Map(out)


def _memory_doctor(srv) -> str:
    m = info.memory(srv)
    if m["used"] < 1024 * 1024 * 5:
        return ("Hi Sam, this instance is empty or is using very little memory, my issues detector "
                "can't be used in these conditions. Please, leave for your mission on Earth and fill "
                "it with some data. The new Sam and I will be back to our programming as soon as I "
                "finished rebooting.\n")
    issues = []
    if m["peak"] and m["used"] / m["peak"] < 0.5:
        issues.append(" * Peak memory: In the past this instance used more than 150% the memory "
                      "that is currently using. The allocator is normally not able to release "
                      "memory after a peak, so you can expect to see a big fragmentation ratio, "
                      "however this is actually harmless and is only due to the memory peak, and "
                      "if the Redis instance Resident Set Size (RSS) is currently bigger than "
                      "expected, the memory will be used as soon as you fill the Redis instance "
                      "with more data. If the memory peak was only occasional and you want to try "
                      "to reclaim memory, please try the MEMORY PURGE command, otherwise the only "
                      "other option is to shutdown and restart the instance.\n\n")
    if m["frag"] > 1.4 and m["frag_bytes"] > 10 * 1024 * 1024:
        issues.append(" * High total RSS: This instance has a memory fragmentation and RSS "
                      "overhead greater than 1.4 (this means that the Resident Set Size of the "
                      "Redis process is much larger than the sum of the logical allocations Redis "
                      "performed). This problem is usually due either to a large peak memory "
                      "(check if there is a peak memory entry above in the report) or may result "
                      "from a workload that causes the allocator to fragment memory a lot. You may "
                      "try enabling 'activedefrag' config option.\n\n")
    nclients = len(srv.clients)
    if nclients and m["clients"] / nclients > 1024 * 200:
        issues.append(" * Big client buffers: The clients output buffers are in general too big, "
                      "on average each client is using more than 200k of memory. This could be "
                      "due to client output buffer limits being set too high, or the server "
                      "answering faster than clients are able to consume.\n\n")
    if not issues:
        return "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
    return ("Sam, I detected a few issues in this Redis instance memory implants:\n\n" + "".join(issues)
            + "I'm here to keep you safe, Sam. I want to help you.\n")


# --------------------------------------------------------------------------- MONITOR


@command("monitor", 1, "admin noscript loading stale no-data")
def monitor(c, argv):
    "MONITOR"
    if c.multi is not None or c.in_exec:
        raise RedisError(errors.MONITOR_DENY_BLOCKING)
    if c.monitor:
        return BLOCKED  # already monitoring: Redis ignores it, with no reply at all
    c.monitor = True
    monitors(c.server).append(c)
    return resp.OK


def monitors(srv) -> list:
    m = getattr(srv, "monitors", None)
    if m is None:
        m = srv.monitors = []
    return m


_REPR = {0x5C: b"\\\\", 0x22: b'\\"', 0x0A: b"\\n", 0x0D: b"\\r", 0x09: b"\\t", 0x07: b"\\a",
         0x08: b"\\b"}
_REPR_TABLE = [_REPR.get(i, bytes([i]) if 0x20 <= i <= 0x7E else b"\\x%02x" % i) for i in range(256)]


def repr_arg(a: bytes) -> bytes:
    """sdscatrepr: a quoted, escaped argument."""
    if a.isalnum():
        return b'"' + a + b'"'
    t = _REPR_TABLE
    return b'"' + b"".join([t[ch] for ch in a]) + b'"'


_REDACTED = b"(redacted)"


def redact(argv):
    """The arguments Redis 6.2 hides from MONITOR and the slow log (passwords)."""
    name = argv[0].lower()
    if name == b"auth":
        if len(argv) > 3:
            return argv  # a syntax error: answered before anything is redacted
        return [argv[0]] + [_REDACTED] * (len(argv) - 1)
    if name == b"hello":
        out = list(argv)
        for i in range(2, len(argv)):
            if argv[i].lower() == b"auth" and i + 2 < len(argv):
                out[i + 1] = out[i + 2] = _REDACTED
                break
        return out
    if name == b"acl":
        if len(argv) >= 3 and argv[1].lower() == b"setuser":
            return argv[:2] + [_REDACTED] * (len(argv) - 2)
        return argv
    if name == b"config":
        if len(argv) == 4 and argv[1].lower() == b"set" and argv[2].lower() in _SENSITIVE_CONFIGS:
            return argv[:3] + [_REDACTED]
        return argv
    if name == b"migrate":
        out = list(argv)
        for i in range(6, len(argv)):
            a = argv[i].lower()
            if a == b"auth" and i + 1 < len(argv):
                out[i + 1] = _REDACTED
                break
            if a == b"auth2" and i + 2 < len(argv):
                out[i + 1] = out[i + 2] = _REDACTED
                break
        return out
    return argv


_REDACTING = frozenset((b"auth", b"hello", b"migrate", b"acl", b"config"))
_SENSITIVE_CONFIGS = frozenset((b"masteruser", b"masterauth", b"requirepass"))  # SENSITIVE_CONFIG


def feed_monitors(srv, c, cmd, argv) -> None:
    """replicationFeedMonitors: one status line per executed command to every MONITOR client."""
    if srv.loading or cmd.flags & (Flag.SKIP_MONITOR | Flag.ADMIN):
        return
    if argv[0].lower() in _REDACTING:
        argv = redact(argv)
    t = time.time()
    origin = "lua" if getattr(c, "conn_type", "") == "lua" else c.addr
    line = b"+%d.%06d [%d %s] %s\r\n" % (int(t), int((t - int(t)) * 1e6), c.db.id, origin.encode(),
                                          b" ".join([repr_arg(a) for a in argv]))
    for m in list(srv.monitors):
        if m.closing:
            continue
        if m is c and not c.in_exec and srv.loop is not None:
            # its own command: the line follows the command's reply, which is queued after us
            srv.loop.call_soon(_emit_line, m, line)
            continue
        _emit_line(m, line)


def _emit_line(m, line):
    if not m.closing:
        m.emit_raw(line)
        m.flush()


def _monitor_gone(c) -> None:
    if c.monitor:
        c.monitor = False
        m = getattr(c.server, "monitors", None)
        if m and c in m:
            m.remove(c)


# --------------------------------------------------------------------------- SHUTDOWN


@command("shutdown", -1, "admin noscript loading stale no-data")
def shutdown(c, argv):
    "SHUTDOWN [NOSAVE|SAVE]"
    if len(argv) > 2:
        raise RedisError(errors.SYNTAX)
    if len(argv) == 2 and argv[1].lower() not in (b"nosave", b"save"):
        raise RedisError(errors.SYNTAX)
    srv = c.server
    ev = srv.shutdown_event
    if ev is None:
        raise RedisError(errors.SHUTDOWN_FAILED)
    # The log is flushed and synced by Server.shutdown(); every client (this one included) then
    # gets its pending replies and, last of all, a closed connection, as when Redis exits.
    ev.set()
    for s in srv.servers:
        s.close()  # stop listening now: a client reconnecting after the reply is refused
    if c.in_exec:
        # Redis exits before EXEC replies: the client gets no reply, only a closed connection
        c.close()
        return resp.OK
    c.close_after = AT_EXIT
    c.flush()
    return BLOCKED


# --------------------------------------------------------------------------- server hooks


def slow_call(srv, c, cmd, argv, dt: float) -> None:
    """A command ran for ``dt`` seconds, at least one of the two thresholds: slow log entry
    (unless the command is ``skip_slowlog``) and ``command``/``fast-command`` latency sample."""
    if srv.loading:
        return
    if c.blocked is not None:
        # a command that blocked is logged when it is served (updateStatsOnUnblock), as the
        # command the client sent, with this call's duration plus the serving one
        c.blocked.call = (cmd, argv, dt)
    else:
        slowlog_push(srv, c, cmd, argv, dt)
    lat = srv.config["latency-monitor-threshold"]
    if lat:
        ms = int(dt * 1000)
        if ms >= lat:
            latency_add(srv, "fast-command" if cmd.flags & Flag.FAST else "command", ms)


def slowlog_push(srv, c, cmd, argv, dt: float) -> None:
    """slowlogPushCurrentCommand: an entry when ``dt`` reaches slowlog-log-slower-than, with
    the arguments Redis redacts (passwords, ACL SETUSER rules) replaced."""
    th = srv.slowlog_threshold_us
    if th >= 0 and dt * 1e6 >= th and not cmd.flags & Flag.SKIP_SLOWLOG:
        if argv[0].lower() in _REDACTING:
            argv = redact(argv)
        srv.slowlog_add(c, argv, dt)


def unblocked_call(srv, c, call, reply_dt: float) -> None:
    """updateStatsOnUnblock: a blocked command was served; slow log entry for the whole call."""
    if call is not None and not srv.loading:
        cmd, argv, dt = call
        slowlog_push(srv, c, cmd, argv, dt + reply_dt)


class _LogLatency:
    """Listener on the GroupCommitter: records each batch commit above the latency threshold as
    ``aof-fsync-always`` (a batch that was fdatasync'ed) or ``aof-write`` (written only)."""

    def __init__(self, srv, lg):
        self.srv = srv
        self.lg = lg
        self.syncs = lg.syncs
        self.batches = lg.batches

    def __call__(self, durable):
        lg = self.lg
        if lg.batches == self.batches:
            return
        self.batches = lg.batches
        synced = lg.syncs != self.syncs
        self.syncs = lg.syncs
        th = self.srv.config["latency-monitor-threshold"]
        if th:
            ms = int(lg.last_batch_latency * 1000)
            if ms >= th:
                latency_add(self.srv, "aof-fsync-always" if synced else "aof-write", ms)


def server_cron(srv) -> None:
    """Called by the server cron: INFO instantaneous metrics; the log latency listener."""
    info.cron(srv)
    lg = srv.log
    if lg is not None and hasattr(lg, "add_listener") and getattr(srv, "_log_latency_for", None) is not lg:
        srv._log_latency_for = lg
        lg.add_listener(_LogLatency(srv, lg))
        if getattr(srv, "log_base_size", None) is None and srv.backend is not None:
            srv.log_base_size = srv.backend.size_bytes()  # INFO aof_base_size: the log at startup


Server.slow_call = slow_call
Server.unblocked_call = unblocked_call
Server.latency_sample = latency_add_if_needed
Server.feed_monitors = feed_monitors
if server_cron not in Server.cron_hooks:
    Server.cron_hooks.append(server_cron)
if _monitor_gone not in Server.on_client_gone:
    Server.on_client_gone.append(_monitor_gone)
