"""maxmemory: the eight Redis 6.2 eviction policies, per-key access clocks, OBJECT IDLETIME/FREQ.

This is Redis's ``evict.c`` for Perdure:

* :func:`perform_evictions` (``performEvictions``) runs before every command while
  ``maxmemory`` is set (dispatch.py, as ``processCommand`` does).  While the memory figure of
  :mod:`memory` (``used_memory`` without the log's pending bytes) is above ``maxmemory`` it
  picks keys by the policy and deletes them; a ``denyoom`` command is refused with the OOM
  error only when nothing more can be evicted (or the policy is ``noeviction``).  Each round is
  bounded by ``maxmemory-eviction-tenacity`` (``evictionTimeLimitUs``); what is left is done by
  a callback on the event loop (``evictionTimeProc``), and commands meanwhile are not refused.
* The LRU/LFU/TTL policies approximate with a sampling pool exactly like evict.c: every round
  samples ``maxmemory-samples`` keys of each database into a 16-entry pool ordered by "idle"
  (idle time, 255 - LFU counter, or the negated expire time) and evicts the best one still
  present.  ``allkeys-*`` samples come uniformly from the SCAN index (keyindex.py, the same
  nearly-uniform pick as RANDOMKEY); ``volatile-*`` samples rotate through the ``expires`` dict
  (as active expiry already does: its order means nothing else).
* Every eviction: the key is removed, ``DEL`` is appended to the durable log before the command
  that caused it (``propagateExpire``), the ``evicted`` keyspace event (class ``e``) is
  published, WATCH/tracking are invalidated like a DEL, and ``evicted_keys`` counts it.
* Access clocks: ``db.lru[key]`` holds the 24-bit LRU clock (seconds) of the last access, or
  under an LFU policy the LFU word ``(minutes << 8) | counter`` (``LFULogIncr`` with
  ``lfu-log-factor``, decayed every ``lfu-decay-time`` minutes) -- the same field and the same
  encodings as ``robj->lru``.  ``Database.lookup_read``/``lookup_write`` store it (one dict
  store for LRU); a write stores it for new keys (``memory.account``).
"""

from __future__ import annotations

import random
import time
from itertools import islice

from . import memory
from .keyindex import random_key

EVICT_OK, EVICT_RUNNING, EVICT_FAIL = 0, 1, 2
EVPOOL_SIZE = 16
LRU_CLOCK_MAX = (1 << 24) - 1
LRU_CLOCK_RESOLUTION = 1000  # ms
LFU_INIT_VAL = 5
_TTL_BASE = (1 << 64) - 1

_POLICIES = {
    # name: (allkeys, kind)   kind: lru, lfu, ttl, random, None (noeviction)
    "noeviction": (False, None), "allkeys-lru": (True, "lru"), "volatile-lru": (False, "lru"),
    "allkeys-lfu": (True, "lfu"), "volatile-lfu": (False, "lfu"),
    "allkeys-random": (True, "random"), "volatile-random": (False, "random"),
    "volatile-ttl": (False, "ttl"),
}


# --------------------------------------------------------------------------- clocks

def lru_clock() -> int:
    """getLRUClock: seconds, 24 bits."""
    return int(time.time()) & LRU_CLOCK_MAX


def lfu_minutes() -> int:
    """LFUGetTimeInMinutes: minutes, 16 bits."""
    return (int(time.time()) // 60) & 65535


def refresh_clocks(srv) -> None:
    """The cron's copy of the clocks (Redis's ``server.lruclock``)."""
    srv.lruclock = lru_clock()
    m = lfu_minutes()
    if m != srv.lfu_now:
        srv.lfu_now = m
        srv.lfu_init = (m << 8) | LFU_INIT_VAL


def idle_ms(srv, lru) -> int:
    """estimateObjectIdleTime."""
    if lru is None:
        return 0
    now = srv.lruclock
    if now >= lru:
        return (now - lru) * LRU_CLOCK_RESOLUTION
    return (now + (LRU_CLOCK_MAX - lru)) * LRU_CLOCK_RESOLUTION


def lfu_decr_and_return(srv, word) -> int:
    """LFUDecrAndReturn: the counter of an LFU word, decayed by the minutes elapsed."""
    if word is None:
        return LFU_INIT_VAL
    ldt = word >> 8
    counter = word & 255
    period = srv.config.values["lfu-decay-time"]
    if period:
        now = srv.lfu_now
        elapsed = now - ldt if now >= ldt else 65535 - ldt + now
        n = elapsed // period
        if n:
            counter = 0 if n > counter else counter - n
    return counter


def lfu_touch(srv, db, key) -> None:
    """updateLFU: decay, then a logarithmic increment (``lfu-log-factor``)."""
    lru = db.lru
    counter = lfu_decr_and_return(srv, lru.get(key))
    if counter < 255:
        base = counter - LFU_INIT_VAL
        if base < 0:
            base = 0
        if random.random() < 1.0 / (base * srv.config.values["lfu-log-factor"] + 1):
            counter += 1
    lru[key] = (srv.lfu_now << 8) | counter


def policy_changed(srv, policy: str) -> None:
    srv.lfu = _POLICIES.get(policy, (False, None))[1] == "lfu"
    srv.evict_pool = []


# --------------------------------------------------------------------------- sampling

def _sample(db, allkeys: bool, n: int):
    """dictGetSomeKeys: up to ``n`` keys of ``db.data`` (allkeys) or ``db.expires``."""
    if allkeys:
        out = []
        for _ in range(n):
            k = random_key(db)
            if k is None:
                break
            out.append(k)
        return out
    exp = db.expires
    out = list(islice(exp, n))
    for k in out:  # rotate: the next round samples the following keys
        w = exp.pop(k)
        exp[k] = w
    return out


def _populate(srv, db, allkeys: bool, kind: str, pool: list) -> None:
    """evictionPoolPopulate: sample keys of ``db`` into ``pool`` ([idle, db id, key] entries,
    ascending idle, at most EVPOOL_SIZE)."""
    lru = db.lru
    exp = db.expires
    for key in _sample(db, allkeys, srv.config.values["maxmemory-samples"]):
        if kind == "lru":
            idle = idle_ms(srv, lru.get(key))
        elif kind == "lfu":
            idle = 255 - lfu_decr_and_return(srv, lru.get(key))
        else:
            idle = _TTL_BASE - exp.get(key, 0)
        k = 0
        n = len(pool)
        while k < n and pool[k][0] < idle:
            k += 1
        if k == 0 and n == EVPOOL_SIZE:
            continue  # worse than everything in a full pool
        pool.insert(k, [idle, db.id, key])
        if len(pool) > EVPOOL_SIZE:
            del pool[0]  # drop the entry with the smallest idle


def _pick(srv, allkeys: bool, kind: str):
    """The (db, key) to evict next, or None when no database has a candidate."""
    dbs = srv.dbs
    if kind == "random":
        n = len(dbs)
        for _ in range(n):
            srv.evict_next_db = j = (srv.evict_next_db + 1) % n
            db = dbs[j]
            if allkeys:
                k = random_key(db)
                if k is not None:
                    return db, k
            elif db.expires:
                keys = _sample(db, False, EVPOOL_SIZE)
                return db, keys[random.randrange(len(keys))]
        return None
    pool = srv.evict_pool
    while True:
        total = 0
        for db in dbs:
            d = db.data if allkeys else db.expires
            if d:
                _populate(srv, db, allkeys, kind, pool)
                total += len(d)
        if not total:
            return None
        while pool:  # best (greatest idle) first
            _idle, dbid, key = pool.pop()
            db = dbs[dbid]
            if key in (db.data if allkeys else db.expires):
                return db, key
            # a ghost (deleted since it was sampled): try the next one


# --------------------------------------------------------------------------- evicting

def evict_key(srv, db, key) -> None:
    """Delete ``key`` as an eviction: DEL in the log first, then the removal, the evicted
    event, WATCH/tracking invalidation (as DEL), the statistics."""
    srv.log_effect(db.id, [b"DEL", key])
    v = db.data.pop(key)
    if type(v) is bytes:
        db.str_gone(key, v)
    db.removed += 1
    if db.expires:
        db.expires.pop(key, None)
    memory.account(db, key)
    srv.stat_evicted_keys += 1
    srv.on_key_change(db, key, True)
    srv.notify(db, key, b"evicted", "e")


def time_limit_us(tenacity: int) -> float:
    """evictionTimeLimitUs."""
    if tenacity <= 10:
        return 50.0 * tenacity
    if tenacity < 100:
        return 500.0 * 1.15 ** (tenacity - 10)
    return float("inf")


def perform_evictions(srv, settle: bool = False) -> int:
    """performEvictions: EVICT_OK, EVICT_RUNNING (time is up: a loop callback goes on) or
    EVICT_FAIL (over maxmemory and nothing (more) can be evicted)."""
    if srv.loading or srv.lua_timedout or srv.pause_type:
        return EVICT_OK  # isSafeToPerformEvictions
    if srv.masterhost is not None and srv.config["replica-ignore-maxmemory"]:
        return EVICT_OK  # a replica's master evicts (and sends the DELs)
    maxmem = srv.maxmemory
    used = memory.used_for_eviction(srv)
    if not maxmem or used <= maxmem:
        return EVICT_OK
    if memory.compact_tables(srv):  # the hash tables' slack first (memory.py)
        used = memory.used_for_eviction(srv)
        if used <= maxmem:
            return EVICT_OK
    allkeys, kind = _POLICIES.get(srv.config["maxmemory-policy"], (False, None))
    if kind is None:
        return EVICT_FAIL
    tofree = used - maxmem
    freed = 0
    keys_freed = 0
    recompacted = False
    limit = time_limit_us(srv.config.values["maxmemory-eviction-tenacity"]) / 1e6
    t0 = time.perf_counter()
    result = EVICT_FAIL
    while True:
        if freed >= tofree:
            result = EVICT_RUNNING if srv.evict_proc_running else EVICT_OK
            break
        pick = _pick(srv, allkeys, kind)
        if pick is None:
            # nothing left to evict: the keys evicted may have left the tables' slack worth
            # reclaiming (a table that grew while they were still there), once
            if not recompacted and keys_freed and memory.compact_tables(srv):
                recompacted = True
                used = memory.used_for_eviction(srv)
                tofree, freed = used - maxmem, 0
                continue
            break
        db, key = pick
        before = db.mem
        evict_key(srv, db, key)
        freed += (before - db.mem) * memory.UNIT
        keys_freed += 1
        if keys_freed % 16 == 0 and time.perf_counter() - t0 > limit:
            if not srv.evict_proc_running and srv.loop is not None:
                srv.evict_proc_running = True
                srv.loop.call_soon(_eviction_proc, srv)
            result = EVICT_RUNNING
            break
    if settle and srv.touched:
        srv.settle_hazards()
    return result


def _eviction_proc(srv) -> None:
    """evictionTimeProc: keep evicting, a bounded round per loop iteration."""
    if perform_evictions(srv, settle=True) == EVICT_RUNNING and srv.maxmemory:
        srv.loop.call_soon(_eviction_proc, srv)
        return
    srv.evict_proc_running = False


def cron(srv) -> None:
    refresh_clocks(srv)
