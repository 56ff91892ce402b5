"""Memory accounting: what the dataset costs, kept up to date per changed key.

Redis counts every allocation (``zmalloc_used_memory``).  CPython gives nothing that cheap:
the resident set (``/proc/self/statm``) almost never shrinks because pymalloc keeps freed
arenas, ``tracemalloc`` doubles the cost of every allocation, ``mallinfo2()`` does not see
pymalloc's arenas at all, and ``sys.getallocatedblocks()`` walks every pool (O(memory)).  So
``used_memory`` is a *model*, maintained incrementally:

* every key has a cost in 16-byte units: the key's bytes object plus the value, estimated
  from CPython's real object sizes (``sys.getsizeof`` rounded up to the allocator's 16-byte
  classes; a collection's per-element cost is sampled from a few elements and multiplied by
  its length, as MEMORY USAGE does in Redis); ``db.mem`` holds the sum, so a deletion lowers
  ``used_memory`` at once;
* a string's cost follows from its (immutable) value, so it is kept without a record: the
  keyspace's write paths (``Database.set/add/delete``, expiry, eviction) add the new value's
  cost and subtract the old one's as they store or drop it (``keyspace.str_units``);
* a collection changes in place, so its cost is *recorded* in ``db.sizes`` (key -> units,
  small ints, nothing allocated beyond the dict slot) and refreshed when the key changes:
  :func:`account` runs from ``Server.settle_hazards`` for every key the command touched
  (after it ran, whatever path it wrote through);
* the rest is sampled at most once per millisecond (:func:`overhead`): the hash tables of the
  per-database dicts (``sys.getsizeof``: CPython dicts never shrink on deletion, and neither
  does this figure), the SCAN index, client buffers.

``used_memory`` = startup memory + Σ ``db.mem`` + overhead + the log's pending bytes; the
eviction loop (:mod:`eviction`) uses the same figure without the pending log bytes, as Redis
leaves its AOF buffer out (``freeMemoryGetNotCountedMemory``).  Cost on the write path: one
dict lookup, one size estimate (O(1) for strings, O(samples) for collections) and one dict
store per changed key.
"""

from __future__ import annotations

from itertools import islice
from sys import getsizeof
from time import monotonic as _monotonic

from .keyspace import str_units

UNIT = 16        # sizes are recorded in allocator units (pymalloc's alignment)
SAMPLES = 5      # elements sampled to estimate a collection's per-element cost
_PER_KEY_META = 0  # the access-clock record: counted with the dicts' tables (overhead)


def _obj(n: int) -> int:
    """Bytes an object of ``n`` bytes really takes: pymalloc's 16-byte classes up to 512 bytes,
    glibc malloc's 8-byte header and 16-byte rounding above."""
    if n <= 512:
        return (n + 15) & ~15
    return (n + 8 + 15) & ~15


def _bytes(b) -> int:
    return _obj(33 + len(b)) if type(b) is bytes else _obj(getsizeof(b))


def _strings(items) -> int:
    """Σ of the sizes of a few bytes objects."""
    tot = 0
    for b in items:
        tot += _obj(33 + len(b)) if type(b) is bytes else _obj(getsizeof(b))
    return tot


# Collections: a bytes object costs 33 + len bytes rounded up to 16, i.e. 41 + len on average;
# the per-element cost is averaged over the first SAMPLES elements (lengths only: this runs on
# the write path) and multiplied by the length.

def _hash_cost(v) -> int:
    tot = k = 0
    for f, x in islice(v.items(), SAMPLES):
        tot += len(f) + len(x)
        k += 1
    return _obj(getsizeof(v)) + (len(v) * (82 + tot // k) if k else 0)


def _set_cost(v) -> int:
    tot = k = 0
    for m in islice(v, SAMPLES):
        tot += len(m)
        k += 1
    return _obj(getsizeof(v)) + (len(v) * (41 + tot // k) if k else 0)


def _list_cost(v) -> int:
    a = v.a
    h = v.h
    tot = k = 0
    for x in a[h:h + SAMPLES]:
        tot += len(x)
        k += 1
    return 48 + _obj(getsizeof(a)) + ((len(a) - h) * (41 + tot // k) if k else 0)


def _zset_cost(v) -> int:
    # per member: its (score, member) tuple (64), the float (32), the list slot and the sorted
    # list's index share (~16), the dict entry (in getsizeof(d)), the member bytes
    d = v.d
    n = len(d)
    tot = k = 0
    for m in islice(d, SAMPLES):
        tot += len(m)
        k += 1
    return 64 + _obj(getsizeof(d)) + _obj(getsizeof(v.sl)) + (n * (153 + tot // k) if k else 0)


def _generic_cost(v) -> int:
    try:
        n = len(v)
    except TypeError:
        return _obj(getsizeof(v))
    try:
        sample = list(islice(iter(v), SAMPLES))
    except TypeError:
        return _obj(getsizeof(v)) + 64 * n
    return _obj(getsizeof(v)) + (_strings(sample) * n // len(sample) if sample else 0)


_BY_NAME = {"SetValue": _set_cost, "ListValue": _list_cost, "ZSet": _zset_cost}
_COST: dict = {dict: _hash_cost}


def value_cost(v) -> int:
    """Estimated bytes held by value ``v`` (see the module docstring)."""
    t = type(v)
    if t is bytes:
        return _obj(33 + len(v))
    return (_COST.get(t) or _resolve(t))(v)


def _resolve(t):
    fn = _COST[t] = _BY_NAME.get(t.__name__) or (
        _stream_cost if t.__name__ == "Stream" else _generic_cost)
    return fn


def _fv(fv) -> int:
    # a stream entry: its ID (int + bytes form), the field/value list, the strings
    return 48 + 64 + 8 + _obj(56 + 8 * len(fv)) + _strings(fv)


def _stream_cost(s) -> int:
    nodes = s.nodes
    tot = 96 + _obj(getsizeof(nodes)) + _obj(getsizeof(s.keys)) + 48 * len(nodes)
    if nodes:
        node = nodes[-1]
        per = 0
        k = 0
        for fv in islice(reversed(node.vals), SAMPLES):
            if fv:
                per += _fv(fv)
                k += 1
        entries = sum(len(n.ids) for n in nodes) if len(nodes) < 64 else len(nodes) * len(node.ids)
        tot += len(nodes) * (3 * 64 + 120) + (per * entries // k if k else 0)
    groups = s.groups
    if groups:
        for g in groups.values():
            pel = getattr(g, "pel", None)
            n = len(pel.d) if pel is not None and hasattr(pel, "d") else 0
            tot += 256 + 160 * n + 200 * len(getattr(g, "consumers", ()) or ())
    return tot


def key_cost(key, v) -> int:
    """The recorded cost of one key in :data:`UNIT` s: its name plus its value."""
    return (_obj(33 + len(key)) + value_cost(v) + UNIT - 1) // UNIT


# --------------------------------------------------------------------------- the records

def account(db, key) -> None:
    """Refresh the recorded cost of ``key`` after a change (or drop it if the key is gone or
    now holds a string: a string's cost is kept by the write paths, keyspace.str_units)."""
    v = db.data.get(key)
    srv = db.server
    if v is None or type(v) is bytes:
        sizes = db.sizes
        if sizes:
            old = sizes.pop(key, 0)
            if old:
                db.mem -= old
                srv.mem_units -= old
        if v is None:
            db.lru.pop(key, None)
            return
    else:
        sizes = db.sizes
        old = sizes.get(key, 0)
        if len(key) > 400:
            new = key_cost(key, v)
        else:
            fn = _COST.get(type(v)) or _resolve(type(v))
            new = ((48 + len(key)) >> 4) + ((fn(v) + 15) >> 4)
        if new != old:
            sizes[key] = new
            db.mem += new - old
            srv.mem_units += new - old
    if srv.lfu:
        if key not in db.lru:
            db.lru[key] = srv.lfu_init  # a new object: LFU_INIT_VAL
    else:
        db.lru[key] = srv.lruclock  # written now


def recount(db) -> None:
    """Rebuild ``db``'s records from scratch (after its dicts were replaced wholesale)."""
    sizes = {}
    tot = 0
    for k, v in db.data.items():
        if type(v) is bytes:
            tot += str_units(k, v)
        else:
            c = key_cost(k, v)
            sizes[k] = c
            tot += c
    db.sizes = sizes
    db.server.mem_units += tot - db.mem
    db.mem = tot
    db.acct_data = db.data
    lru = db.lru
    if lru:
        data = db.data
        db.lru = {k: x for k, x in lru.items() if k in data}


def audit(srv) -> list:
    """Every database whose running total differs from a recount, as (db id, kept, recounted):
    empty when the incremental accounting is exact (tests, DEBUG)."""
    bad = []
    for db in srv.dbs:
        tot = 0
        for k, v in db.data.items():
            tot += str_units(k, v) if type(v) is bytes else key_cost(k, v)
        if tot != db.mem:
            bad.append((db.id, db.mem, tot))
    return bad


def check_records(srv) -> None:
    """Recount a database whose dicts were replaced wholesale (a snapshot was loaded)."""
    for db in srv.dbs:
        if db.acct_data is not db.data:
            recount(db)


def dataset_bytes(srv) -> int:
    """Σ of the recorded per-key costs, in bytes."""
    check_records(srv)
    return srv.mem_units * UNIT


def _tables(srv) -> int:
    """The per-database hash tables (data, expires, sizes, access clocks) and SCAN indexes."""
    n = 0
    for db in srv.dbs:
        if db.data or db.sizes:
            n += getsizeof(db.data) + getsizeof(db.sizes) + getsizeof(db.lru)
        if db.expires:
            n += getsizeof(db.expires)
        idx = db.keyindex
        if idx is not None and idx.cur is not None:
            keys = idx.cur.keys
            # the list, plus the removed keys it still keeps alive
            n += getsizeof(keys) + max(len(keys) - len(db.data), 0) * 64
    return n


class _Cache:
    __slots__ = ("t", "tables", "clients", "base")

    def __init__(self):
        self.t = -1.0
        self.tables = 0
        self.clients = 0
        self.base = 0  # startup + tables + clients


def overhead(srv, force: bool = False):
    """(hash tables, client buffers) in bytes, sampled at most once per millisecond."""
    c = srv.mem_cache
    now = _monotonic()
    if force or now - c.t >= 0.001:
        _refresh(srv, c, now)
    return c.tables, c.clients


def _refresh(srv, c, now) -> None:
    from .info import clients_memory
    check_records(srv)
    c.tables = _tables(srv)
    c.clients = clients_memory(srv)
    c.base = startup_bytes(srv) + c.tables + c.clients
    c.t = now


def take_startup(srv) -> None:
    """used_memory_startup: the private resident memory once the server is set up (listener,
    TLS, log open), before any data is loaded; the base of ``used_memory``."""
    from . import info
    srv.memory_startup = max(info._private_resident(), info._STARTUP_MEMORY)


def startup_bytes(srv) -> int:
    from . import info
    return getattr(srv, "memory_startup", None) or info._STARTUP_MEMORY


def used_for_eviction(srv) -> int:
    """used_memory minus what Redis does not count for eviction (the log's pending bytes).
    Runs before every command while maxmemory is set: O(1) but once a millisecond -- except
    the hash tables, measured on every call once the figure is within their own size of the
    limit: a table that just grew (a dict doubles at once) must not go unseen until the next
    sample, or a command would run over the limit unchecked."""
    c = srv.mem_cache
    now = _monotonic()
    if now - c.t >= 0.001:
        _refresh(srv, c, now)
    else:
        used = c.base + srv.mem_units * UNIT
        if used + c.tables < srv.maxmemory:
            return used
        tables = _tables(srv)
        if tables != c.tables:
            c.base += tables - c.tables
            c.tables = tables
    return c.base + srv.mem_units * UNIT


# --------------------------------------------------------------------------- compaction
# A CPython dict never shrinks when keys are deleted, and when a dict whose keys are replaced
# over and over (evict one, add one) runs out of entry slots it is rebuilt at twice the size its
# live keys need.  Redis's tables do not grow that way (chaining; and ``dictExpandAllowed``
# refuses to expand over maxmemory), so before evicting keys for memory the tables' slack is
# reclaimed: a table larger than 1.5x what its keys need is rebuilt in place (same object,
# same order; O(keys), at most once per len/4 insertions).

_SENTINEL = object()


def _dict_bytes(slots: int) -> int:
    """sys.getsizeof of a dict with ``slots`` hash slots (CPython 3.11 layout, non-str keys)."""
    ix = 1 if slots <= 128 else 2 if slots <= 1 << 15 else 4 if slots <= 1 << 31 else 8
    return 96 + slots * ix + (slots * 2 // 3) * 24


def _compact_slots(n: int) -> int:
    """The hash slots of ``dict(d)`` for a dict of ``n`` keys."""
    return max(8, 1 << (((n * 3 + 1) // 2) - 1).bit_length())


def _compact(d: dict) -> bool:
    """Rebuild ``d`` in place if it holds much more table than its keys need."""
    n = len(d)
    slots = _compact_slots(n)
    if slots * 2 // 3 - n < n // 4:
        slots *= 2  # rebuilt with room to grow (see below), or it would grow again at once
    if getsizeof(d) < 1.5 * _dict_bytes(slots):
        return False
    tmp = dict(d)
    d.clear()
    d.update(tmp)
    del tmp
    if getsizeof(d) < _dict_bytes(slots):
        # full to the last slot: one insertion more resizes it to the size wanted
        d[_SENTINEL] = None
        del d[_SENTINEL]
    return True


def compact_tables(srv) -> bool:
    """Reclaim the slack of the per-database hash tables; True if any was rebuilt (the memory
    figures are then measured again)."""
    done = False
    for db in srv.dbs:
        if not (db.data or db.sizes or db.lru or db.expires):
            continue
        for d in (db.data, db.expires, db.sizes, db.lru):
            if len(d) < 1 << 20 and _compact(d):
                done = True
    if done:
        overhead(srv, force=True)
    return done


# --------------------------------------------------------------------------- the allocator

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def tune_allocator() -> None:
    """Fix glibc malloc's thresholds (at start, before any data).

    By default glibc raises its mmap threshold to the size of every mmapped block freed (up to
    32 MB): once a dict's hash table has been resized a few times, the next tables (which the
    keyspace dicts reallocate as they grow) come from the heap, and the old ones stay resident
    as free heap chunks -- about 15 bytes per key at a million keys.  A fixed threshold of
    1 MiB keeps every large table in its own mapping, returned to the system when the table is
    replaced; smaller buffers (the TLS layer's 256 KiB read buffer, client buffers) stay on the
    heap, and a 4 MiB trim threshold keeps the heap top from being given back and re-faulted
    on every read.  No-op where glibc's ``mallopt`` is not available."""
    try:
        import ctypes
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt(_M_MMAP_THRESHOLD, 1 << 20)
    mallopt(_M_TRIM_THRESHOLD, 4 << 20)
