"""maxmemory and the eviction policies, as Redis 6.2 shows them over the wire.

The server is shared by the whole session, so every test sets ``maxmemory`` relative to the
``used_memory`` INFO reports at that moment (the figures differ between Perdure and Redis; the
behaviour must not), and the ``mm`` fixture puts every setting back (``maxmemory 0`` first).

Covered: the OOM error of ``denyoom`` commands under ``noeviction`` (reads and DEL still run,
MULTI refuses queueing, EXEC aborts), ``volatile-*`` evicting only keys with a TTL and then
refusing writes, ``volatile-ttl`` evicting the soonest-expiring keys first, ``allkeys-lru`` and
``allkeys-lfu`` keeping a recently/frequently used working set while a key set three times
larger than memory allows is squeezed in, ``allkeys-random``, OBJECT IDLETIME/FREQ under the
LRU and LFU policies, CONFIG SET maxmemory-policy, the ``evicted`` keyspace event and INFO
``evicted_keys``.
"""

from __future__ import annotations

import time

import pytest

from .helpers import early_in_second, err, ex

OOM = "OOM command not allowed when used memory > 'maxmemory'."
POLICIES = ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru",
            "allkeys-lfu", "allkeys-random", "noeviction"]
LFU_SELECTED = ("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that "
                "when switching between policies at runtime LRU and LFU data will take some time "
                "to adjust.")
LFU_NOT_SELECTED = ("ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
                    "Please note that when switching between policies at runtime LRU and LFU data "
                    "will take some time to adjust.")
_SAVED = ("maxmemory-policy", "maxmemory-samples", "lfu-log-factor", "lfu-decay-time",
          "notify-keyspace-events", "maxmemory-eviction-tenacity")


@pytest.fixture
def mm(r2):
    """Restores maxmemory (to 0, first) and the eviction settings after the test."""
    saved = {p: ex(r2, "CONFIG", "GET", p)[1] for p in _SAVED}
    yield
    ex(r2, "CONFIG", "SET", "maxmemory", "0")
    for p, v in saved.items():
        ex(r2, "CONFIG", "SET", p, v)


def info(r, section="all") -> dict:
    out = {}
    for line in ex(r, "INFO", section).decode().splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            out[k] = v
    return out


def used(r) -> int:
    return int(info(r, "memory")["used_memory"])


def counted(r) -> int:
    """The memory eviction looks at: used_memory minus what is not counted for eviction."""
    m = info(r, "memory")
    return int(m["used_memory"]) - int(m["mem_not_counted_for_evict"])


def evicted(r) -> int:
    return int(info(r, "stats")["evicted_keys"])


def fill(r, prefix, n, size, ttl=None, start=0):
    """SET prefix<i> for i in [start, start+n) with ``size``-byte values (pipelined)."""
    p = r.pipeline(transaction=False)
    for i in range(start, start + n):
        if ttl is None:
            p.execute_command("SET", "%s%d" % (prefix, i), b"x" * size)
        else:
            p.execute_command("SET", "%s%d" % (prefix, i), b"x" * size, "EX", ttl + i)
    p.execute_command("PING")
    return p.execute()


# --------------------------------------------------------------------------- noeviction

def test_noeviction_refuses_denyoom_commands(r2, mm):
    ex(r2, "SET", "a", "1")
    ex(r2, "RPUSH", "l", "x")
    assert ex(r2, "CONFIG", "SET", "maxmemory", "1") == b"OK"
    assert err(r2, "SET", "b", "1") == OOM
    assert err(r2, "INCR", "a") == OOM
    assert err(r2, "RPUSH", "l", "y") == OOM
    assert err(r2, "HSET", "h", "f", "v") == OOM
    # reads, and writes that do not use memory, still run
    assert ex(r2, "GET", "a") == b"1"
    assert ex(r2, "LPOP", "l") == b"x"
    assert ex(r2, "EXPIRE", "a", 100) == 1
    assert ex(r2, "DEL", "a") == 1
    assert ex(r2, "DBSIZE") == 0
    assert ex(r2, "CONFIG", "SET", "maxmemory", "0") == b"OK"
    assert ex(r2, "SET", "b", "1") == b"OK"


def test_noeviction_rejections_count_as_errors(r2, mm):
    ex(r2, "CONFIG", "RESETSTAT")
    ex(r2, "CONFIG", "SET", "maxmemory", "1")
    assert err(r2, "SET", "b", "1") == OOM
    ex(r2, "CONFIG", "SET", "maxmemory", "0")
    stats = info(r2, "errorstats")
    assert stats["errorstat_OOM"] == "count=1"
    assert "rejected_calls=1" in info(r2, "commandstats")["cmdstat_set"]


def test_oom_inside_multi(r2, mm):
    ex(r2, "SET", "a", "1")
    ex(r2, "CONFIG", "SET", "maxmemory", "1")
    assert ex(r2, "MULTI") == b"OK"
    # while queueing, every command but EXEC/DISCARD/RESET is refused (queueing uses memory)
    assert err(r2, "GET", "a") == OOM
    assert err(r2, "SET", "b", "2") == OOM
    assert err(r2, "EXEC") == ("EXECABORT Transaction discarded because of previous errors.")
    assert ex(r2, "CONFIG", "SET", "maxmemory", "0") == b"OK"


def test_exec_of_denyoom_commands_aborts(r2, make_client, mm):
    assert ex(r2, "MULTI") == b"OK"
    assert ex(r2, "SET", "b", "2") == b"QUEUED"
    assert ex(r2, "GET", "b") == b"QUEUED"
    other = make_client()  # the limit comes down while the transaction is open
    ex(other, "CONFIG", "SET", "maxmemory", "1")
    assert err(r2, "EXEC") == "EXECABORT Transaction discarded because of: " + OOM
    ex(other, "CONFIG", "SET", "maxmemory", "0")
    assert ex(r2, "GET", "b") is None


def test_exec_of_read_only_commands_runs(r2, make_client, mm):
    ex(r2, "SET", "b", "2")
    assert ex(r2, "MULTI") == b"OK"
    assert ex(r2, "GET", "b") == b"QUEUED"
    other = make_client()
    ex(other, "CONFIG", "SET", "maxmemory", "1")
    assert ex(r2, "EXEC") == [b"2"]
    ex(other, "CONFIG", "SET", "maxmemory", "0")


def test_maxmemory_zero_means_no_limit(r2, mm):
    ex(r2, "CONFIG", "SET", "maxmemory", "0")
    fill(r2, "k", 200, 100)
    assert ex(r2, "DBSIZE") == 200
    assert info(r2, "memory")["maxmemory"] == "0"


# --------------------------------------------------------------------------- volatile-*

@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-lfu", "volatile-random",
                                    "volatile-ttl"])
def test_volatile_evicts_only_keys_with_a_ttl(r2, mm, policy):
    fill(r2, "p", 20, 200)
    fill(r2, "v", 30, 200, ttl=1000)
    before = evicted(r2)
    assert ex(r2, "CONFIG", "SET", "maxmemory-policy", policy) == b"OK"
    # far below what the persistent keys alone need: every volatile key goes, then writes fail
    assert ex(r2, "CONFIG", "SET", "maxmemory", "1") == b"OK"
    assert err(r2, "SET", "new", "1") == OOM
    keys = sorted(ex(r2, "KEYS", "*"))
    assert keys == sorted(b"p%d" % i for i in range(20))
    assert evicted(r2) - before == 30
    # non-denyoom commands still run; freeing memory lets writes in again
    assert ex(r2, "GET", "p1") == b"x" * 200
    ex(r2, "CONFIG", "SET", "maxmemory", "0")
    assert ex(r2, "SET", "new", "1") == b"OK"


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-ttl", "volatile-random"])
def test_volatile_partial_eviction_keeps_persistent_keys(r2, mm, policy):
    fill(r2, "p", 50, 1000)
    fill(r2, "v", 50, 1000, ttl=1000)
    ex(r2, "CONFIG", "SET", "maxmemory-policy", policy)
    limit = counted(r2) - 20 * 1000  # room for ~30 fewer values
    ex(r2, "CONFIG", "SET", "maxmemory", limit)
    assert ex(r2, "SET", "trigger", "x") == b"OK"
    keys = set(ex(r2, "KEYS", "*"))
    assert {b"p%d" % i for i in range(50)} <= keys
    volatile = [k for k in keys if k.startswith(b"v")]
    assert 10 <= len(volatile) <= 40
    assert counted(r2) <= limit


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-lfu", "volatile-random",
                                    "volatile-ttl"])
def test_volatile_churn_stays_under_the_limit(r2, mm, policy):
    # unit/maxmemory "policy ... should only remove volatile keys": near the limit, every new
    # volatile key evicts an older one; replacing keys one by one must not make the hash tables
    # grow past what evicting the volatile keys can make up for
    ex(r2, "FLUSHALL")
    # no eviction time limit: every command evicts all it must before it runs (with the default
    # tenacity a slow, loaded machine may leave the rest to the next event-loop turn)
    ex(r2, "CONFIG", "SET", "maxmemory-eviction-tenacity", 100)
    limit = used(r2) + 100 * 1024
    ex(r2, "CONFIG", "SET", "maxmemory", limit)
    ex(r2, "CONFIG", "SET", "maxmemory-policy", policy)
    n = 0
    while True:
        if n % 2:
            ex(r2, "SETEX", "key:%d" % n, 10000, "x")
        else:
            ex(r2, "SET", "key:%d" % n, "x")
        if used(r2) + 4096 > limit:
            break
        n += 1
    assert n > 10
    for j in range(n):
        ex(r2, "SETEX", "foo:%d" % j, 10000, "x")
    # Redis's test allows 4 KB; Perdure's figure also counts client buffers as measured at that
    # moment, which on a loaded machine vary by a few KB more.  Growing tables (the bug this test
    # guards against) put it 25 KB and more over.
    assert used(r2) < limit + 12288
    assert all(ex(r2, "EXISTS", "key:%d" % j) == 1 for j in range(0, n, 2))
    ex(r2, "FLUSHALL")


def test_volatile_ttl_evicts_the_soonest_expiring(r2, mm):
    fill(r2, "p", 10, 1000)
    fill(r2, "t", 40, 1000, ttl=1000)  # t<i> expires in 1000+i seconds
    ex(r2, "CONFIG", "SET", "maxmemory-policy", "volatile-ttl")
    ex(r2, "CONFIG", "SET", "maxmemory-samples", "64")  # every round sees every volatile key
    ex(r2, "CONFIG", "SET", "maxmemory", counted(r2) - 8000)
    assert ex(r2, "SET", "trigger", "x") == b"OK"
    left = sorted(int(k[1:]) for k in ex(r2, "KEYS", "t[0-9]*"))
    assert 20 <= len(left) < 40
    # exactly the soonest-expiring ones went
    assert left == list(range(40 - len(left), 40))
    assert len(ex(r2, "KEYS", "p*")) == 10


# --------------------------------------------------------------------------- allkeys-*

def _working_set_survives(r2, policy, touch):
    """Fill 3000 keys, make a 10% working set recent/frequent, then squeeze the key set into a
    third of its memory: the working set must (nearly all) stay."""
    n, size = 3000, 1000
    ex(r2, "CONFIG", "SET", "maxmemory-policy", policy)
    base = counted(r2)
    fill(r2, "k", n, size)
    full = counted(r2)
    hot = ["k%d" % i for i in range(0, n, 10)]
    touch(hot)
    limit = base + (full - base) // 3
    before = evicted(r2)
    ex(r2, "CONFIG", "SET", "maxmemory", limit)
    # more writes keep the pressure on (three times the memory in all)
    for _ in range(3):
        p = r2.pipeline(transaction=False)
        for i in range(0, n, 10):
            p.execute_command("GET", "k%d" % i)
        p.execute()
        fill(r2, "new", 100, size, start=_ * 100)
    ex(r2, "PING")
    kept = sum(1 for v in r2.pipeline(transaction=False).execute_command("MGET", *hot).execute()[0]
               if v is not None)
    dbsize = ex(r2, "DBSIZE")
    assert evicted(r2) - before >= n // 2
    assert dbsize < n * 0.6
    assert counted(r2) <= limit + 200 * size
    return kept / len(hot)


def test_allkeys_lru_keeps_the_recently_used_working_set(r2, mm):
    def touch(hot):
        time.sleep(2.2)  # the LRU clock has a resolution of one second
        p = r2.pipeline(transaction=False)
        for k in hot:
            p.execute_command("GET", k)
        p.execute()

    assert _working_set_survives(r2, "allkeys-lru", touch) >= 0.8  # random: ~0.3


def test_allkeys_lfu_keeps_the_frequently_used_working_set(r2, mm):
    ex(r2, "CONFIG", "SET", "lfu-log-factor", "0")  # every access counts

    def touch(hot):
        p = r2.pipeline(transaction=False)
        for _ in range(5):
            for k in hot:
                p.execute_command("GET", k)
        p.execute()

    assert _working_set_survives(r2, "allkeys-lfu", touch) >= 0.8


def test_allkeys_random_does_not_favour_the_working_set(r2, mm):
    def touch(hot):
        p = r2.pipeline(transaction=False)
        for k in hot:
            p.execute_command("GET", k)
        p.execute()

    # the contrast for the two tests above: a random pick keeps about the surviving fraction
    assert _working_set_survives(r2, "allkeys-random", touch) <= 0.6


def test_allkeys_random_evicts_from_everything(r2, mm):
    fill(r2, "p", 300, 500)
    fill(r2, "v", 300, 500, ttl=1000)
    ex(r2, "CONFIG", "SET", "maxmemory-policy", "allkeys-random")
    base = counted(r2)
    ex(r2, "CONFIG", "SET", "maxmemory", base - 300 * 500)
    ex(r2, "SET", "trigger", "x")
    p = len(ex(r2, "KEYS", "p*"))
    v = len(ex(r2, "KEYS", "v*"))
    assert p < 300 and v < 300  # both kinds were evicted
    assert 150 <= p + v <= 450


def test_allkeys_evicts_everything_before_refusing(r2, mm):
    fill(r2, "k", 50, 100)
    ex(r2, "CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    ex(r2, "CONFIG", "SET", "maxmemory", "1")
    # every key can go, but it is never enough: the write is refused afterwards
    assert err(r2, "SET", "x", "y") == OOM
    assert ex(r2, "DBSIZE") == 0


# --------------------------------------------------------------------------- OBJECT

def test_object_idletime_counts_seconds_without_access(r2, mm):
    early_in_second()
    ex(r2, "SET", "k", "v")
    ex(r2, "SET", "other", "v")
    assert ex(r2, "OBJECT", "IDLETIME", "k") == 0
    time.sleep(2.2)
    idle = ex(r2, "OBJECT", "IDLETIME", "k")
    assert 1 <= idle <= 4
    # OBJECT itself is not an access
    assert ex(r2, "OBJECT", "IDLETIME", "k") >= idle
    early_in_second()
    ex(r2, "GET", "k")
    assert ex(r2, "OBJECT", "IDLETIME", "k") == 0
    assert ex(r2, "OBJECT", "IDLETIME", "other") >= 1
    ex(r2, "SET", "other", "w")
    assert ex(r2, "OBJECT", "IDLETIME", "other") == 0
    assert err(r2, "OBJECT", "FREQ", "k") == LFU_NOT_SELECTED


@pytest.mark.parametrize("policy", ["allkeys-lfu", "volatile-lfu"])
def test_object_freq_under_lfu(r2, mm, policy):
    ex(r2, "CONFIG", "SET", "maxmemory-policy", policy)
    ex(r2, "CONFIG", "SET", "lfu-log-factor", "0")
    ex(r2, "SET", "k", "v")
    assert ex(r2, "OBJECT", "FREQ", "k") == 5  # LFU_INIT_VAL
    assert ex(r2, "OBJECT", "FREQ", "k") == 5  # not an access
    for _ in range(3):
        ex(r2, "GET", "k")
    assert ex(r2, "OBJECT", "FREQ", "k") == 8
    assert err(r2, "OBJECT", "IDLETIME", "k") == LFU_SELECTED
    assert ex(r2, "OBJECT", "FREQ", "missing") is None


def test_object_freq_grows_logarithmically(r2, mm):
    ex(r2, "CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
    ex(r2, "CONFIG", "SET", "lfu-log-factor", "10")
    ex(r2, "SET", "k", "v")
    p = r2.pipeline(transaction=False)
    for _ in range(1000):
        p.execute_command("GET", "k")
    p.execute()
    freq = ex(r2, "OBJECT", "FREQ", "k")
    # 1000 hits with factor 10 land around 18 (redis.conf's table: 100 hits -> 10 to 18)
    assert 10 <= freq <= 30


def test_idletime_again_after_switching_back_to_lru(r2, mm):
    ex(r2, "CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
    ex(r2, "SET", "k", "v")
    ex(r2, "CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    early_in_second()
    ex(r2, "GET", "k")
    assert ex(r2, "OBJECT", "IDLETIME", "k") == 0
    assert err(r2, "OBJECT", "FREQ", "k") == LFU_NOT_SELECTED


# --------------------------------------------------------------------------- CONFIG and INFO

@pytest.mark.parametrize("policy", POLICIES)
def test_config_set_policy_round_trip(r2, mm, policy):
    assert ex(r2, "CONFIG", "SET", "maxmemory-policy", policy.upper()) == b"OK"
    assert ex(r2, "CONFIG", "GET", "maxmemory-policy") == [b"maxmemory-policy", policy.encode()]
    assert info(r2, "memory")["maxmemory_policy"] == policy


def test_config_set_policy_invalid(r2, mm):
    assert err(r2, "CONFIG", "SET", "maxmemory-policy", "lru") == (
        "ERR Invalid argument 'lru' for CONFIG SET 'maxmemory-policy' - argument must be one "
        "of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, "
        "allkeys-lru, allkeys-lfu, allkeys-random, noeviction")


def test_info_memory_fields(r2, mm):
    ex(r2, "CONFIG", "SET", "maxmemory", "100mb")
    ex(r2, "CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    m = info(r2, "memory")
    for field in ("used_memory", "used_memory_human", "used_memory_rss", "used_memory_peak",
                  "used_memory_peak_human", "used_memory_startup", "used_memory_dataset",
                  "mem_fragmentation_ratio", "mem_not_counted_for_evict"):
        assert field in m
    assert m["maxmemory"] == "104857600"
    assert m["maxmemory_human"] == "100.00M"
    assert m["maxmemory_policy"] == "allkeys-lru"


def test_used_memory_follows_the_dataset(r2, mm):
    base = used(r2)
    fill(r2, "k", 2000, 1000)
    grown = used(r2)
    assert grown - base >= 2000 * 1000
    assert int(info(r2, "memory")["used_memory_peak"]) >= grown
    ex(r2, "FLUSHALL")
    # freed memory shows at once (the allocator keeps its pages: RSS need not fall)
    assert used(r2) < base + 2000 * 1000 // 4


def test_memory_usage_tracks_value_size(r2):
    ex(r2, "SET", "small", "x")
    ex(r2, "SET", "big", b"x" * 10000)
    small = ex(r2, "MEMORY", "USAGE", "small")
    big = ex(r2, "MEMORY", "USAGE", "big")
    assert small < 100
    assert 10000 <= big < 11000
    assert ex(r2, "MEMORY", "USAGE", "missing") is None
    ex(r2, "RPUSH", "l", *range(500))
    assert ex(r2, "MEMORY", "USAGE", "l", "SAMPLES", "0") > 500


# --------------------------------------------------------------------------- events

def test_evicted_keyspace_events(r2, make_client, mm):
    fill(r2, "k", 5, 100)
    ex(r2, "CONFIG", "SET", "notify-keyspace-events", "KEe")
    sub = make_client()
    ps = sub.pubsub()
    ps.psubscribe("__key*__:*")
    assert ps.get_message(timeout=5)["type"] == "psubscribe"
    ex(r2, "CONFIG", "SET", "maxmemory-policy", "allkeys-random")
    before = evicted(r2)
    ex(r2, "CONFIG", "SET", "maxmemory", "1")
    got = []
    while len(got) < 10:
        m = ps.get_message(timeout=5)
        assert m is not None, got
        if m["type"] == "pmessage":
            got.append((m["channel"], m["data"]))
    ps.close()
    keyspace = sorted(ch for ch, data in got if ch.startswith(b"__keyspace"))
    keyevent = sorted(data for ch, data in got if ch == b"__keyevent@0__:evicted")
    assert keyspace == [b"__keyspace@0__:k%d" % i for i in range(5)]
    assert all(data == b"evicted" for ch, data in got if ch.startswith(b"__keyspace"))
    assert keyevent == [b"k%d" % i for i in range(5)]
    assert evicted(r2) - before == 5
    assert ex(r2, "DBSIZE") == 0


def test_evicted_key_invalidates_watch(r2, make_client, mm):
    ex(r2, "SET", "w", "1")
    assert ex(r2, "WATCH", "w") == b"OK"
    other = make_client()
    ex(other, "CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
    ex(other, "CONFIG", "SET", "maxmemory", "1")
    ex(other, "CONFIG", "SET", "maxmemory", "0")
    assert ex(r2, "MULTI") == b"OK"
    assert ex(r2, "GET", "w") == b"QUEUED"
    assert ex(r2, "EXEC") is None
