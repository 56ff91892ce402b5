"""DEBUG and the per-value introspection helpers behind it and MEMORY USAGE.

DEBUG subcommands: SLEEP, OBJECT, RELOAD, LOADAOF, DIGEST, DIGEST-VALUE, SET-ACTIVE-EXPIRE,
ERROR, PROTOCOL, CHANGE-REPL-ID, POPULATE, LOG, HTSTATS, HTSTATS-KEY,
LUA-ALWAYS-REPLICATE-COMMANDS, CONFIG-REWRITE-FORCE-ALL, PAUSE-CRON, HELP.  Crash/internals subcommands
(SEGFAULT, PANIC, ZIPLIST, SDSLEN...) describe C structures Perdure does not have and are not
implemented.

* :func:`value_digest` / DEBUG DIGEST: a SHA1-based digest built like Redis's (per key: mix the
  key and the value, XOR the per-key digests together), so it is independent of insertion and
  iteration order and equal for equal datasets; an empty dataset gives 40 zeros.  The numbers
  are not Redis's.
* :func:`key_memory_usage` (MEMORY USAGE): an estimate of what Redis would allocate for the key
  and value, sampling ``samples`` elements of a collection as Redis does.
* DEBUG RELOAD rebuilds the keyspace from the durable log: it waits until everything appended
  is durable, empties the databases and replays the log (clients get LOADING meanwhile).
  DEBUG LOADAOF ("flush the AOF and load it back") is the same job: Perdure's log is its AOF.
  It logs ``Append Only File loaded by DEBUG LOADAOF`` and answers a failed load with ``-ERR``
  as Redis does.  Both are refused inside MULTI (EXEC cannot wait for a replay).
* DEBUG HTSTATS / HTSTATS-KEY report the real CPython hash tables behind a database's keys and
  expires (or a hash, a hashtable set, a skiplist zset's member dict) in dictGetStats's text:
  table size, elements, and since CPython uses open addressing, one entry per used slot (no
  chains) and never a rehashing table.
* DEBUG LUA-ALWAYS-REPLICATE-COMMANDS sets ``lua-replicate-commands``, the variable it sets in
  Redis 6.2 (``atoi``: any non-zero value is on).  Perdure logs a script's effects whatever its
  value; what ``no`` changes for the script itself in Redis (whole-script replication: sorted
  output of unordered commands, no write after a random command) is up to the scripting
  module, which does not act on it (yet).
* DEBUG CONFIG-REWRITE-FORCE-ALL: CONFIG REWRITE writing every parameter, defaults included.
* DEBUG PAUSE-CRON 1 makes ``Server.cron`` skip whole rounds (serverCron returning at once):
  no active expiry, no client timeouts, no tracking-table trimming, no INFO sampling, none of
  the cron hooks, until DEBUG PAUSE-CRON 0.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import struct
import sys
import time

from .. import errors, eviction, info, resp
from ..args import to_int
from ..errors import RedisError
from ..keyspace import TYPE_NAMES
from ..registry import command
from .server import help_reply, subcommand_error

log = logging.getLogger("perdure")

_ZERO = bytes(20)


# --------------------------------------------------------------------------- type helpers

def type_name(v) -> bytes:
    t = type(v)
    if t is bytes:
        return b"string"
    n = TYPE_NAMES.get(t)
    if n is None:
        for base in t.__mro__[1:]:
            n = TYPE_NAMES.get(base)
            if n is not None:
                break
    return n or b"none"


def _zset_pairs(v):
    d = getattr(v, "d", None)
    if isinstance(d, dict):
        return d.items()
    return v.items()


def _canon(x) -> bytes:
    if isinstance(x, bytes):
        return x
    if isinstance(x, (bytearray, memoryview)):
        return bytes(x)
    if isinstance(x, float):
        return resp.format_double(x)
    if isinstance(x, int):
        return b"%d" % x
    if isinstance(x, str):
        return x.encode()
    if isinstance(x, dict):  # order-free, like Redis's hash digests
        return b"{" + b",".join(sorted(_canon(k) + b":" + _canon(v) for k, v in x.items())) + b"}"
    if isinstance(x, (list, tuple)):
        return b"[" + b",".join(_canon(i) for i in x) + b"]"
    if x is None:
        return b"nil"
    if hasattr(x, "__iter__") and not isinstance(x, (set, frozenset)):
        return b"[" + b",".join(_canon(i) for i in x) + b"]"
    if isinstance(x, (set, frozenset)):
        return b"{" + b",".join(sorted(_canon(i) for i in x)) + b"}"
    # an object of another family: its state, attribute by attribute
    names = getattr(type(x), "__slots__", None) or sorted(vars(x))
    return (type(x).__name__.encode() + b"(" +
            b",".join(_canon(getattr(x, n, None)) for n in names) + b")")


def object_encoding(v, config=None) -> bytes:
    """OBJECT ENCODING of a value: the keys module's answer (OBJECT ENCODING itself) when it is
    there, else each family module's ``encoding_of``."""
    if config is not None:
        try:
            from . import keys
            return keys.object_encoding(v, config)
        except (ImportError, AttributeError, RedisError):
            pass
    t = type(v)
    if t is bytes:
        if len(v) <= 20 and to_int(v) is not None:
            return b"int"
        return b"embstr" if len(v) <= 44 else b"raw"
    enc = getattr(v, "encoding", None)
    if isinstance(enc, bytes):
        return enc
    mod = sys.modules.get(t.__module__)
    fn = getattr(mod, "encoding_of", None)
    if fn is None and t is dict:
        from . import hashes
        fn = hashes.encoding_of
    if fn is not None:
        return fn(v)
    name = type_name(v)
    return {b"set": b"hashtable", b"stream": b"stream", b"hash": b"hashtable",
            b"zset": b"skiplist", b"list": b"quicklist"}.get(name, b"raw")


# --------------------------------------------------------------------------- digests

def _sha(b: bytes) -> bytes:
    return hashlib.sha1(b).digest()


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).to_bytes(20, "big")


def _mix(d: bytes, data: bytes) -> bytes:
    """mixDigest: the digest of (d XOR sha1(data)), so order matters."""
    return _sha(_xor(d, _sha(data)))


def value_digest(db, key, v) -> bytes:
    """xorObjectDigest: the digest of one value (and its TTL), as 20 bytes."""
    d = _ZERO
    t = type(v)
    name = type_name(v)
    if t is bytes:
        d = _mix(d, v)
    elif name == b"hash":
        acc = 0
        for f, val in v.items():
            acc ^= int.from_bytes(_mix(_mix(_ZERO, f), val), "big")
        d = _xor(d, acc.to_bytes(20, "big"))
    elif name == b"set":
        acc = 0
        for m in v:
            acc ^= int.from_bytes(_sha(m), "big")
        d = _xor(d, acc.to_bytes(20, "big"))
    elif name == b"zset":
        acc = 0
        for m, score in _zset_pairs(v):
            acc ^= int.from_bytes(_mix(_mix(_ZERO, m), resp.format_double(float(score))), "big")
        d = _xor(d, acc.to_bytes(20, "big"))
    else:  # lists, streams and any other value: mix every element (or its state) in order
        parts = getattr(v, "digest_parts", None)
        if callable(parts):
            items = parts()
        elif hasattr(v, "__iter__"):
            items = v
        else:
            items = (v,)
        for item in items:
            d = _mix(d, _canon(item))
    if key in db.expires:
        d = _xor(d, _sha(b"!!expire!!"))
    return d


def dataset_digest(srv) -> bytes:
    final = _ZERO
    for db in srv.dbs:
        if not db.data:
            continue
        final = _mix(final, db.id.to_bytes(4, "big"))
        acc = 0
        for key, v in db.data.items():
            acc ^= int.from_bytes(_xor(_mix(_ZERO, key), value_digest(db, key, v)), "big")
        final = _xor(final, acc.to_bytes(20, "big"))
    return final


# --------------------------------------------------------------------------- sizes

def _alloc(n: int) -> int:
    """A malloc size class: 16-byte granularity (jemalloc-like for small sizes)."""
    if n <= 8:
        return 8
    return (n + 15) & ~15


def _sds(n: int) -> int:
    hdr = 3 if n < 256 else 5 if n < 65536 else 9
    return _alloc(n + hdr + 1)


def _str_size(v: bytes) -> int:
    if len(v) <= 20 and to_int(v) is not None:
        return 16
    if len(v) <= 44:
        return _alloc(16 + 3 + len(v) + 1)
    return 16 + _sds(len(v))


def _sample(it, samples: int):
    out = []
    for x in it:
        out.append(x)
        if samples and len(out) >= samples:
            break
    return out


def value_memory(v, samples: int = 5, config=None) -> int:
    """objectComputeSize: bytes Redis would use for the value (collections extrapolated from
    ``samples`` elements; 0 = all)."""
    if type(v) is bytes:
        return _str_size(v)
    name = type_name(v)
    enc = object_encoding(v, config)
    n = len(v)
    if name == b"hash":
        items = _sample(v.items(), samples)
        if enc == b"ziplist":
            return 16 + _alloc(ziplist_bytes(_hash_items(v)))
        per = sum(24 + _sds(len(f)) + _sds(len(x)) for f, x in items) / max(len(items), 1)
        return int(16 + 96 + 8 * n + per * n)
    if name == b"list":
        items = _sample(v, samples)
        per = sum(len(_canon(x)) + 2 for x in items) / max(len(items), 1)
        nodes = max(1, int(per * n) // 8192 + 1)
        return int(16 + 40 + nodes * (32 + 11) + per * n)
    if name == b"set":
        items = _sample(v, samples)
        if enc == b"intset":
            return 16 + _alloc(intset_bytes(v))
        per = sum(24 + _sds(len(m)) for m in items) / max(len(items), 1)
        return int(16 + 96 + 8 * n + per * n)
    if name == b"zset":
        items = _sample(_zset_pairs(v), samples)
        if enc == b"ziplist":
            return 16 + _alloc(ziplist_bytes(_zset_items(v)))
        per = sum(24 + _sds(len(m)) + 48 for m, _ in items) / max(len(items), 1)
        return int(16 + 96 + 32 + 8 * n + per * n)
    items = _sample(v, samples) if hasattr(v, "__iter__") else []
    per = sum(len(_canon(x)) + 16 for x in items) / max(len(items), 1) if items else 0
    return int(16 + 64 + per * n)


def key_memory_usage(db, key, v, samples: int = 5) -> int:
    """MEMORY USAGE: the value, the key's sds and the dict entry."""
    return value_memory(v, samples, db.server.config) + _sds(len(key)) + 24


def _zl_entry(b: bytes, prevlen: int) -> int:
    """The size of one ziplist entry holding ``b`` (zipTryEncoding, then string encodings)."""
    head = 1 if prevlen < 254 else 5
    x = to_int(b) if len(b) <= 20 else None
    if x is not None:
        if 0 <= x <= 12:
            return head + 1
        for bits, size in ((8, 2), (16, 3), (24, 4), (32, 5)):
            if -(1 << (bits - 1)) <= x < (1 << (bits - 1)):
                return head + size
        return head + 9
    n = len(b)
    return head + (1 if n <= 63 else 2 if n <= 16383 else 5) + n


def ziplist_bytes(items) -> int:
    """The exact length of a ziplist holding ``items`` (bytes) in order."""
    total = 11  # header (zlbytes, zltail, zllen) and end marker
    prev = 0
    for b in items:
        prev = _zl_entry(b, prev)
        total += prev
    return total


def intset_bytes(members) -> int:
    width = 2
    n = 0
    for m in members:
        n += 1
        x = int(m)
        if not -32768 <= x <= 32767:
            width = max(width, 4 if -2 ** 31 <= x < 2 ** 31 else 8)
    return 8 + width * n


def _hash_items(v):
    for f, x in v.items():
        yield f
        yield x


def _zset_items(v):
    for m, score in _zset_pairs(v):
        yield m
        yield resp.format_double(float(score))


def _len_size(n: int) -> int:
    return 1 if n < 64 else 2 if n < 16384 else 5 if n < 2 ** 32 else 9


def _rdb_str(b: bytes) -> int:
    if len(b) <= 11:
        x = to_int(b)
        if x is not None:
            if -128 <= x <= 127:
                return 2
            if -32768 <= x <= 32767:
                return 3
            if -2 ** 31 <= x < 2 ** 31:
                return 5
    return _len_size(len(b)) + len(b)


def serialized_length(v, config=None) -> int:
    """rdbSavedObjectLen, estimated (no LZF compression)."""
    if type(v) is bytes:
        return _rdb_str(v)
    name = type_name(v)
    enc = object_encoding(v, config)
    if name == b"hash":
        if enc == b"ziplist":
            blob = ziplist_bytes(_hash_items(v))
            return _len_size(blob) + blob
        return _len_size(len(v)) + sum(_rdb_str(f) + _rdb_str(x) for f, x in v.items())
    if name == b"zset":
        if enc == b"ziplist":
            blob = ziplist_bytes(_zset_items(v))
            return _len_size(blob) + blob
        return _len_size(len(v)) + sum(_rdb_str(m) + 8 for m, _ in _zset_pairs(v))
    if name == b"set":
        if enc == b"intset":
            blob = intset_bytes(v)
            return _len_size(blob) + blob
        return _len_size(len(v)) + sum(_rdb_str(m) for m in v)
    if name == b"list":
        blob = ziplist_bytes(_canon(x) for x in v)
        return 1 + _len_size(blob) + blob
    total = 0
    for x in (v if hasattr(v, "__iter__") else ()):
        total += len(_canon(x)) + 2
    return _len_size(total) + total


# --------------------------------------------------------------------------- DEBUG

_DEBUG_HELP = [
    "CHANGE-REPL-ID    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "CONFIG-REWRITE-FORCE-ALL",
    "    Like CONFIG REWRITE but writes all configuration options, including",
    "    keywords not listed in original configuration file or default values.",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "HTSTATS <dbid>",
    "    Return hash table statistics of the specified Redis database.",
    "HTSTATS-KEY <key>",
    "    Like HTSTATS but for the hash table stored at <key>'s value.",
    "LOADAOF",
    "    Flush the AOF buffers on disk and reload the AOF in memory (Perdure: the",
    "    transaction log is the AOF; the dataset is rebuilt from it).",
    "LUA-ALWAYS-REPLICATE-COMMANDS <0|1>",
    "    Setting it to 1 makes Lua replication defaulting to replicating single",
    "    commands, without the script having to enable effects replication.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix.",
    "DEBUG PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Rebuild the dataset from the transaction log (Perdure: the log is the",
    "    persistence). Valid <option> values: NOSAVE.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
]

_STRTOD = re.compile(rb"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_ATOI = re.compile(rb"\s*[+-]?\d+")


def _strtod(b: bytes) -> float:
    m = _STRTOD.match(b)
    return float(m.group()) if m else 0.0


def _atoi(b: bytes) -> int:
    m = _ATOI.match(b)
    return int(m.group()) if m else 0


def _protocol(c, name: bytes):
    name = name.lower()
    p3 = c.proto == 3
    if name == b"string":
        return b"Hello World"
    if name == b"integer":
        return 12345
    if name == b"double":
        return resp.Double(3.14159265359)
    if name == b"bignum":
        big = b"1234567999999999999999999999999999999"
        return resp.Raw(b"(" + big + b"\r\n") if p3 else big
    if name == b"null":
        return None
    if name == b"array":
        return [0, 1, 2]
    if name == b"set":
        return resp.Set([0, 1, 2])
    if name == b"map":
        return resp.Map({0: False, 1: True, 2: False})
    if name == b"attrib":
        tail = b"Some real reply following the attribute"
        if not p3:
            return tail
        return resp.Raw(b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$%d\r\n%s\r\n"
                        % (len(tail), tail))
    if name == b"push":
        if not p3:
            raise RedisError(errors.RESP2_NOT_SUPPORTED)
        tail = b"Some real reply following the push reply"
        return resp.Raw(b">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n$%d\r\n%s\r\n" % (len(tail), tail))
    if name == b"verbatim":
        return resp.Verbatim(b"This is a verbatim\nstring")
    if name == b"true":
        return True
    if name == b"false":
        return False
    raise RedisError(errors.DEBUG_PROTOCOL_TYPE)


def _object(c, key):
    v = c.db.data.get(key)  # a plain dictFind in Redis: no expiry, no statistics
    if v is None:
        raise RedisError(errors.NO_SUCH_KEY)
    cfg = c.server.config
    enc = object_encoding(v, cfg)
    refcount = 1
    if type(v) is bytes and enc == b"int" and 0 <= int(v) < 10000 and (
            cfg["maxmemory"] == 0 or not cfg["maxmemory-policy"].endswith(("lru", "lfu"))):
        refcount = 2147483647  # a shared integer object in Redis
    extra = b""
    if enc == b"quicklist":
        size = sum(len(_canon(x)) + 2 for x in v) + 11
        nodes = max(1, size // 8192 + (1 if size % 8192 else 0)) if len(v) else 0
        extra = b" ql_nodes:%d ql_avg_node:%.2f ql_ziplist_max:%d ql_compressed:%d ql_uncompressed_size:%d" % (
            nodes, (len(v) / nodes) if nodes else 0.0, c.server.config["list-max-ziplist-size"],
            1 if c.server.config["list-compress-depth"] else 0, size)
    word = c.db.lru.get(key)  # robj->lru: the LRU clock or the LFU word (eviction.py)
    lru = info.lru_clock() if word is None else word
    idle = eviction.idle_ms(c.server, word) // 1000
    return resp.Simple(b"Value at:0x%x refcount:%d encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d%s"
                       % (id(v), refcount, enc, serialized_length(v, cfg), lru, idle, extra))


def _populate(c, argv):
    n = len(argv)
    if n > 5:
        raise subcommand_error(argv)
    count = to_int(argv[2])
    if count is None or count < 0:
        raise RedisError(errors.NOT_POSITIVE)
    prefix = argv[3] if n >= 4 else b"key"
    size = 0
    if n == 5:
        size = to_int(argv[4])
        if size is None or size < 0:
            raise RedisError(errors.NOT_POSITIVE)
    db = c.db
    srv = c.server
    for j in range(count):
        key = b"%s:%d" % (prefix, j)
        if db.lookup_write(key) is not None:
            continue
        val = b"value:%d" % j
        if size:
            val = val[:size].ljust(size, b"\0")
        db.add(key, val)
        db.changed(key)
        srv.propagate(db, [b"SET", key, val])
    return resp.OK


def _reload(c, argv):
    for opt in argv[2:]:
        o = opt.lower()
        if o in (b"merge", b"noflush"):
            raise RedisError(errors.DEBUG_RELOAD_MERGE % opt.decode("utf-8", "replace").upper())
        if o != b"nosave":
            raise RedisError(errors.DEBUG_RELOAD_OPTIONS)
    return _start_reload(c, aof=False)


def _start_reload(c, aof: bool):
    """DEBUG RELOAD / DEBUG LOADAOF: park ``c`` and rebuild the keyspace from the log."""
    srv = c.server
    if c.in_exec or c.multi is not None:
        raise RedisError(errors.DEBUG_LOADAOF_IN_MULTI if aof else errors.DEBUG_RELOAD_IN_MULTI)
    if srv.loading or getattr(srv, "reload_in_progress", False):
        raise RedisError(errors.LOADING)
    srv.reload_in_progress = True
    srv.block(c, [], 0, lambda _c, _k: None, lambda _c: resp.OK)
    srv.loop.create_task(_reload_task(srv, c, aof))
    from ..dispatch import BLOCKED
    return BLOCKED


async def _reload_task(srv, c, aof: bool = False):
    try:
        await _reload_run(srv, c, aof)
    finally:
        srv.reload_in_progress = False


async def _reload_run(srv, c, aof: bool = False):
    try:
        while True:
            lg = srv.log
            if lg.appended == lg.durable or getattr(lg, "failed", None):
                break
            await lg.drain()
        if getattr(srv.log, "failed", None):
            raise RuntimeError("the log has failed: %s" % srv.log.failed)
        # From here to the first await inside replay() nothing else runs: the keyspace is
        # emptied and rebuilt from exactly what the log holds.
        srv.touch_all()
        for db in srv.dbs:
            db.flush()
        # Clients blocked on keys (BLPOP...) must not be served from the intermediate states
        # the replay goes through: their keys are as empty afterwards as they were before.
        blocking, srv.blocking_keys = srv.blocking_keys, {}
        try:
            await srv.replay()  # (no keyspace notifications while replaying)
        finally:
            srv.blocking_keys = blocking
            srv.ready_keys.clear()
            srv.ready_set.clear()
        if aof:
            log.warning("Append Only File loaded by DEBUG LOADAOF")
        srv.unblock_client(c)
    except Exception as e:  # noqa: BLE001 - report instead of leaving the client parked
        log.error("DEBUG %s failed: %s", "LOADAOF" if aof else "RELOAD", e)
        b = c.blocked
        if b is not None:
            srv._unblock(c)
            err = RedisError("ERR" if aof else errors.DEBUG_RELOAD_FAILED)  # shared.err for LOADAOF
            srv.count_error(err)
            c.emit(err)
            srv._resume(c)


# --------------------------------------------------------------------------- HTSTATS

_EMPTY_DICT_SIZE = sys.getsizeof({})
_EMPTY_SET_SIZE = sys.getsizeof(set())


def _index_bytes(log2: int) -> int:
    return 1 if log2 < 8 else 2 if log2 < 16 else 4 if log2 < 32 else 8


_DICT_KEYS_HEADER = (sys.getsizeof({b"k": 0}) - _EMPTY_DICT_SIZE
                     - 8 * _index_bytes(3) - (8 * 2 // 3) * 24)


def dict_table_size(d: dict) -> int:
    """The number of slots of a CPython dict's hash table (its keys object: index array of
    2**n slots, entries for 2/3 of them), read from ``sys.getsizeof``.  Perdure's dicts have
    bytes keys: the general 24-byte entry layout."""
    rest = sys.getsizeof(d) - _EMPTY_DICT_SIZE
    if rest <= 0:
        return 0
    for log2 in range(3, 64):
        n = 1 << log2
        size = _DICT_KEYS_HEADER + n * _index_bytes(log2) + (n * 2 // 3) * 24
        if size == rest:
            return n
        if size > rest:
            break
    n = 8  # another layout: the smallest table that holds len(d) at the 2/3 load factor
    while n * 2 // 3 < len(d):
        n <<= 1
    return n


def set_table_size(s) -> int:
    """The number of slots of a CPython set's hash table (8 inline, else 16 bytes a slot)."""
    return max(8, (sys.getsizeof(s) - _EMPTY_SET_SIZE) // 16)


def _f32(x: float) -> float:
    """Rounded to a C float, as dictGetStats computes its percentages."""
    return struct.unpack("f", struct.pack("f", x))[0]


def table_stats(size: int, used: int) -> bytes:
    """dictGetStats's text for one table of ``size`` slots holding ``used`` entries.  CPython's
    tables use open addressing: every entry has a slot of its own, there are no chains, so
    each used slot is a chain of length 1 (the main table only: nothing rehashes
    incrementally)."""
    head = b"Hash table 0 stats (main hash table):\n"
    if used == 0:
        return head + b"No stats available for empty dictionaries\n"
    out = [head,
           b" table size: %d\n" % size,
           b" number of elements: %d\n" % used,
           b" different slots: %d\n" % used,
           b" max chain length: 1\n",
           b" avg chain length (counted): 1.00\n",
           b" avg chain length (computed): 1.00\n",
           b" Chain length distribution:\n"]
    for length, count in ((0, size - used), (1, used)):
        if count:
            out.append(b"   %d: %d (%.02f%%)\n" % (length, count, _f32(_f32(count / size) * 100)))
    return b"".join(out)


def _htstats(c, arg):
    dbid = to_int(arg)
    if dbid is None:
        raise RedisError(errors.NOT_INTEGER)
    srv = c.server
    if dbid < 0 or dbid >= len(srv.dbs):
        raise RedisError("ERR Out of range database")
    db = srv.dbs[dbid]
    return resp.Verbatim(b"[Dictionary HT]\n" + table_stats(dict_table_size(db.data), len(db.data)) +
                         b"[Expires HT]\n" + table_stats(dict_table_size(db.expires), len(db.expires)))


def _htstats_key(c, key):
    v = c.db.lookup_notouch(key, notify=False)  # objectCommandLookup
    if v is None:
        raise RedisError(errors.NO_SUCH_KEY)
    enc = object_encoding(v, c.server.config)
    name = type_name(v)
    stats = None
    if enc == b"hashtable" and name == b"hash" and isinstance(v, dict):
        stats = table_stats(dict_table_size(v), len(v))
    elif enc == b"hashtable" and name == b"set" and isinstance(v, (set, frozenset)):
        stats = table_stats(set_table_size(v), len(v))
    elif enc == b"skiplist" and name == b"zset" and isinstance(getattr(v, "d", None), dict):
        stats = table_stats(dict_table_size(v.d), len(v.d))  # the member -> score dict
    if stats is None:
        raise RedisError("ERR The value stored at the specified key is not represented using an hash table")
    return resp.Verbatim(stats)


@command("debug", -2, "admin noscript loading stale")
def debug(c, argv):
    "DEBUG subcommand [arg ...]"
    n = len(argv)
    sub = argv[1].lower()
    srv = c.server
    if sub == b"help" and n == 2:
        return help_reply(argv[0], _DEBUG_HELP)
    if sub == b"sleep" and n == 3:
        secs = _strtod(argv[2])
        if secs > 0:
            time.sleep(secs)
        return resp.OK
    if sub == b"object" and n == 3:
        return _object(c, argv[2])
    if sub == b"digest" and n == 2:
        return resp.Simple(dataset_digest(srv).hex().encode())
    if sub == b"digest-value" and n >= 2:
        db = c.db
        out = []
        for key in argv[2:]:
            v = db.data.get(key)  # lookupKey: no expiry, no statistics
            d = _ZERO if v is None else value_digest(db, key, v)
            out.append(resp.Simple(d.hex().encode()))
        return out
    if sub == b"set-active-expire" and n == 3:
        srv.active_expire_enabled = bool(_atoi(argv[2]))
        return resp.OK
    if sub == b"pause-cron" and n == 3:  # atoi: any non-zero value pauses
        srv.cron_paused = bool(_atoi(argv[2]))
        return resp.OK
    if sub == b"error" and n == 3:
        msg = argv[2].replace(b"\r", b" ").replace(b"\n", b" ")
        return resp.Raw(b"-" + msg + b"\r\n")  # sent as is, not counted as an error reply
    if sub == b"protocol" and n == 3:
        return _protocol(c, argv[2])
    if sub == b"change-repl-id" and n == 2:
        repl = srv.repl  # changeReplicationId + clearReplicationId2
        repl.replid, repl.replid2, repl.second_offset = secrets.token_hex(20), "0" * 40, -1
        log.warning("Changing replication IDs after receiving DEBUG change-repl-id")
        return resp.OK
    if sub == b"log" and n == 3:
        log.warning("DEBUG LOG: %s", argv[2].decode("utf-8", "replace"))
        return resp.OK
    if sub == b"populate" and n >= 3:
        return _populate(c, argv)
    if sub == b"reload":
        return _reload(c, argv)
    if sub == b"loadaof":  # any number of arguments, as in Redis
        return _start_reload(c, aof=True)
    if sub == b"htstats" and n == 3:
        return _htstats(c, argv[2])
    if sub == b"htstats-key" and n == 3:
        return _htstats_key(c, argv[2])
    if sub == b"lua-always-replicate-commands" and n == 3:
        # the variable behind CONFIG lua-replicate-commands, as in Redis 6.2
        srv.config.set("lua-replicate-commands", "yes" if _atoi(argv[2]) else "no")
        return resp.OK
    if sub == b"config-rewrite-force-all" and n == 2:
        try:
            srv.config.rewrite(force_all=True)
        except (OSError, RedisError):
            raise RedisError("ERR CONFIG-REWRITE-FORCE-ALL failed") from None
        return resp.OK
    raise subcommand_error(argv)

