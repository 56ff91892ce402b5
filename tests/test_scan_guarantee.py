"""The SCAN guarantee of server/keyindex.py, under random inserts and deletes during scans.

Redis's contract: a full iteration (cursor 0 ... 0) returns every key that was present during
the whole iteration at least once.  Here several scans run interleaved with random writes
(new keys, deletions, deleted-then-re-added keys, overwrites, FLUSH-like resets, expiry through
the real ``Database`` code), with cursors passed between steps as plain integers, and each
finished scan is checked against the keys that stayed present from its start to its end.
"""

from __future__ import annotations

import random

from perdure.server import keyindex
from perdure.server.keyindex import index_of, random_key
from perdure.server.keyspace import Database


class _Server:
    loading = False
    stat_expired_keys = 0
    stat_keyspace_misses = 0
    stat_keyspace_hits = 0
    notify_flags = ""
    lfu = False  # eviction.py: LRU clock recorded on access
    pause_type = 0  # no CLIENT PAUSE: expired keys are deleted
    masterhost = None  # a master: it deletes expired keys itself
    lruclock = 0
    mem_units = 0

    def __init__(self):
        self.now = 10_000

    def cached_now_ms(self):
        return self.now

    def log_effect(self, *a):
        pass

    def on_key_change(self, *a):
        pass

    def notify(self, *a):
        pass


def _db():
    return Database(_Server(), 0)


def _run(seed: int, steps: int, key_space: int, flush_every: int = 0):
    rnd = random.Random(seed)
    db = _db()
    idx = index_of(db)
    for i in range(key_space // 2):
        db.data[b"k%d" % i] = b"v"
    scans = []  # [cursor, returned set, keys present at start (still candidates)]
    finished = 0
    for step in range(steps):
        r = rnd.random()
        if r < 0.30:
            k = b"k%d" % rnd.randrange(key_space)
            db.data[k] = b"v"  # insert or overwrite (overwrite keeps the dict position)
        elif r < 0.55 and db.data:
            k = b"k%d" % rnd.randrange(key_space)
            db.delete(k)
            for s in scans:
                s[2].discard(k)
        elif r < 0.60 and db.data:
            # delete and immediately re-add: the key moves to the end of the dict order
            k = next(iter(db.data)) if rnd.random() < 0.5 else b"k%d" % rnd.randrange(key_space)
            if db.delete(k):
                for s in scans:
                    s[2].discard(k)
                db.data[k] = b"w"
        elif r < 0.63 and db.data:
            # expiry through the real lazy-expire path
            k = rnd.choice(list(db.data))
            db.expires[k] = db.server.now - 1
            db.lookup_read(k)
            for s in scans:
                s[2].discard(k)
        elif flush_every and step % flush_every == 0:
            db.flush()
            for s in scans:
                s[2].clear()
        elif r < 0.80 or not scans:
            if len(scans) < 4:
                scans.append([0, set(), set(db.data), True])
            continue
        # advance a random scan by one call
        if scans:
            s = rnd.choice(scans)
            first = s[3]
            s[3] = False
            cursor, keys = idx.scan(db, s[0], rnd.choice((1, 3, 10, 50)))
            if not first:
                assert s[0] != 0
            s[1].update(keys)
            s[0] = cursor
            if cursor == 0:
                missing = s[2] - s[1]
                assert not missing, (seed, step, sorted(missing)[:5])
                scans.remove(s)
                finished += 1
    return finished


def test_scan_returns_every_key_present_throughout():
    total = 0
    for seed in range(40):
        total += _run(seed, 4000, key_space=300)
    assert total > 100


def test_scan_guarantee_with_large_churn_and_rebuilds(monkeypatch):
    # little slack and few kept generations: rebuilds and dropped generations during scans
    monkeypatch.setattr(keyindex, "SLACK", 4)
    monkeypatch.setattr(keyindex, "KEEP_OLD", 1)
    rebuilds = []
    real = keyindex.KeyIndex._rebuild
    monkeypatch.setattr(keyindex.KeyIndex, "_rebuild", lambda self, db: rebuilds.append(1) or real(self, db))
    total = 0
    for seed in range(10):
        total += _run(1000 + seed, 20000, key_space=60)
    assert total > 100 and len(rebuilds) > 100


def test_scan_guarantee_across_flushes():
    for seed in range(10):
        _run(2000 + seed, 3000, key_space=200, flush_every=500)


def test_removal_that_bypasses_the_counter_is_caught():
    db = _db()
    idx = index_of(db)
    for i in range(100):
        db.data[b"a%d" % i] = 1
    cursor, _ = idx.scan(db, 0, 10)
    del db.data[b"a5"]  # not counted in db.removed
    db.data[b"new"] = 1
    seen = set()
    cursor = 0
    while True:
        cursor, keys = idx.scan(db, cursor, 7)
        seen.update(keys)
        if cursor == 0:
            break
    assert b"new" in seen and set(db.data) <= seen


def test_each_call_does_bounded_work():
    db = _db()
    idx = index_of(db)
    for i in range(10000):
        db.data[b"k%d" % i] = 1
    cursor, keys = idx.scan(db, 0, 10)
    assert len(keys) == 10 and cursor
    # delete almost everything: a call examines at most 10*COUNT entries
    for i in range(10, 10000):
        db.delete(b"k%d" % i)
    for i in range(10):
        db.delete(b"k%d" % i)
    cursor, keys = idx.scan(db, cursor, 10)
    assert keys == [] and cursor != 0


def test_bogus_cursors():
    db = _db()
    idx = index_of(db)
    for i in range(50):
        db.data[b"k%d" % i] = 1
    assert idx.scan(db, 2**64 - 1, 10) == (0, [])
    cursor, _ = idx.scan(db, 0, 10)
    assert cursor >> 32 >= 1
    # a cursor of a generation this database does not know restarts the scan from the start
    other = _db()
    for i in range(20):
        other.data[b"o%d" % i] = 1
    foreign, _ = index_of(other).scan(other, 0, 10)
    cursor, keys = idx.scan(db, foreign, 100)
    assert cursor == 0 and sorted(keys) == sorted(db.data)


def test_random_key():
    db = _db()
    assert random_key(db) is None
    for i in range(2000):
        db.data[b"k%d" % i] = 1
    for i in range(0, 2000, 2):
        db.delete(b"k%d" % i)
    seen = {random_key(db) for _ in range(3000)}
    assert seen <= set(db.data) and len(seen) > 500
