"""maxmemory against a real Perdure process: the resident set stays bounded under every policy,
the server keeps serving, and evictions are durable (logged as DEL, still gone after a restart).

Each policy gets a few seconds: ~3x ``maxmemory`` worth of 1 KB values is written in pipelined
batches (with a TTL for the volatile policies), then the process RSS (``/proc/<pid>/statm``) is
compared with the RSS of the same process before the fill plus the dataset allowance.  One
server serves all policies in turn (FLUSHALL between them): CPython keeps freed memory for
reuse, so the bound must hold for every later policy too.
"""

from __future__ import annotations

import os

import pytest
import redis

from .serverutil import PerdureProcess

MB = 1024 * 1024
ROOM = 24 * MB          # maxmemory = used_memory at start + ROOM
VALUE = b"v" * 1000
POLICIES = ["allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu",
            "volatile-random", "volatile-ttl", "noeviction"]


def rss(pid: int) -> int:
    with open("/proc/%d/statm" % pid, "rb") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def counted(r) -> int:
    m = r.info("memory")
    return m["used_memory"] - m["mem_not_counted_for_evict"]


def fill(r, prefix: str, n: int, ttl: bool, batch: int = 500) -> int:
    """SET prefix<i> for i < n; returns how many were refused with OOM."""
    refused = 0
    for start in range(0, n, batch):
        p = r.pipeline(transaction=False)
        for i in range(start, min(start + batch, n)):
            if ttl:
                p.set("%s%d" % (prefix, i), VALUE, ex=100000 + i)
            else:
                p.set("%s%d" % (prefix, i), VALUE)
        for res in p.execute(raise_on_error=False):
            if isinstance(res, redis.exceptions.OutOfMemoryError):
                refused += 1
            elif isinstance(res, Exception):
                raise res
    return refused


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    p = PerdureProcess(tmp_path_factory.mktemp("evict"), "--appendfsync", "everysec")
    p.start()
    yield p
    p.stop()


@pytest.mark.parametrize("policy", POLICIES)
def test_rss_stays_bounded(server, policy):
    r = server.client(socket_timeout=60)
    r.flushall()
    r.config_set("maxmemory", 0)
    base_used = counted(r)
    limit = base_used + ROOM
    rss0 = rss(server.proc.pid)
    evicted0 = r.info("stats")["evicted_keys"]
    r.config_set("maxmemory-policy", policy)
    r.config_set("maxmemory", limit)
    try:
        n = 3 * ROOM // len(VALUE)  # three times what fits
        refused = fill(r, "k", n, ttl=policy.startswith("volatile"))
        evicted = r.info("stats")["evicted_keys"] - evicted0
        size = r.dbsize()
        peak_rss = rss(server.proc.pid)
        # the dataset allowance, plus what CPython's allocator keeps around it
        print("%s: RSS %.1f MB -> %.1f MB, used_memory %.1f MB, maxmemory %.1f MB, %d keys left"
              % (policy, rss0 / MB, peak_rss / MB, counted(r) / MB, limit / MB, size))
        assert peak_rss <= rss0 + ROOM * 1.6 + 8 * MB, (peak_rss - rss0) / MB
        assert counted(r) <= limit + 64 * 1024
        if policy == "noeviction":
            assert refused > n // 2
            assert evicted == 0
        else:
            assert refused == 0
            assert evicted >= n // 2
        assert size < n // 2
        # still serving: reads, and the newest write
        assert r.ping()
        last = "k%d" % (n - 1)
        assert r.get(last) == (None if policy == "noeviction" else VALUE)
    finally:
        r.config_set("maxmemory", 0)
        r.config_set("maxmemory-policy", "noeviction")
        r.flushall()


def test_evicted_keys_stay_gone_after_restart(tmp_path):
    p = PerdureProcess(tmp_path / "d")
    p.start()
    try:
        r = p.client(socket_timeout=60)
        limit = counted(r) + 4 * MB
        r.config_set("maxmemory-policy", "allkeys-lru")
        r.config_set("maxmemory", limit)
        n = 12 * MB // len(VALUE)
        assert fill(r, "k", n, ttl=False) == 0
        r.config_set("maxmemory", 0)  # the checks below must not evict any more
        evicted = r.info("stats")["evicted_keys"]
        assert evicted > n // 2
        p_ = r.pipeline(transaction=False)
        for i in range(n):
            p_.exists("k%d" % i)
        present = [bool(x) for x in p_.execute()]
        assert sum(present) == r.dbsize() == n - evicted
    finally:
        p.kill()  # SIGKILL: only what the log holds comes back
    p.start()
    try:
        r = p.client(socket_timeout=60)
        assert r.config_get("maxmemory")["maxmemory"] == "0"  # not persisted: a fresh config
        p_ = r.pipeline(transaction=False)
        for i in range(n):
            p_.exists("k%d" % i)
        assert [bool(x) for x in p_.execute()] == present
        assert r.dbsize() == n - evicted
    finally:
        p.stop()
