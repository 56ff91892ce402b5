"""The SCAN / RANDOMKEY index of one database: O(COUNT) per SCAN call, 8 bytes per key.

The guarantee SCAN must give (Redis's): a full iteration (cursor 0 ... cursor 0) returns every
key that was present for the whole iteration at least once; the cursor is an opaque unsigned
64-bit integer; nothing is kept per client.  Redis gets that from the bucket layout of its hash
table.  A Python dict has no usable layout, so the keyspace is mirrored here, lazily, in the
cheapest structure that gives positions which never move: an append-only list of keys.

Generations
    A *generation* is a list of keys made by ``list(db.data)`` (a C loop: ~15 ms per million
    keys) and then only ever appended to.  Deleted keys are not removed from it: a stale entry
    is skipped when a SCAN reaches it (``key in db.data``).  A cursor is
    ``generation_id << 32 | position``: positions never shift, so a scan resumes exactly where
    it stopped, whatever was deleted meanwhile, and never returns a key twice unless the key
    was deleted and added again.

New keys
    A scan must see the keys present when it *starts*, not the ones added later.  So the
    current generation is brought up to date only at cursor 0 (and for RANDOMKEY).  A dict
    keeps insertion order and a new key always goes to its end, so the keys added since the
    last update (and still there) are among the last ``n`` entries of the dict, where
    ``n = len(data) - len_then + removals_since``: ``Database.removed`` counts every removal
    (``Database.delete`` and expiry) and ``reversed(dict)`` yields the newest keys first, so
    this costs O(new keys), again in C.  (``n`` over-counts when some new keys were removed
    again: the older keys it then reaches become harmless duplicates.)  Insertions need no
    hook at all; removals must all be counted.  A self-check catches most removals that
    bypassed the counter (the key that was newest at the last update must be within reach,
    if it still exists); the index is then rebuilt, which is always safe.

Rebuilding
    When stale and duplicate entries pass ``2 * len(data) + 1024``, the next update starts a
    new generation from ``list(db.data)`` instead of appending.  The previous generation is kept
    (read-only) while scans are still walking it -- at most ``KEEP_OLD`` of them, each dropped
    after ``OLD_IDLE`` seconds without a SCAN call -- so running scans are not disturbed.  A
    cursor whose generation was dropped (or belongs to another database) restarts at the
    beginning of the current one: more duplicates, never a missed key (every key present since
    that scan began is in it).  A cursor naming a generation never issued ends the scan.

Memory: 8 bytes per key (a list slot) plus at most as much again in stale entries (which keep
the removed keys' bytes alive until the next rebuild), and only for a database on which SCAN or
RANDOMKEY has been used; FLUSHDB / FLUSHALL drop the index.  Cost outside SCAN: one integer
increment per key removal.  Compared with Redis: no duplicates when nothing changes, and none
from rehashing; a key deleted and re-added during a scan may come twice.
"""

from __future__ import annotations

import time
from itertools import islice
from random import randrange

KEEP_OLD = 2
SLACK = 1024
OLD_IDLE = 600.0
_POS_BITS = 32
_POS_MASK = (1 << _POS_BITS) - 1
_MAX_ENTRIES = _POS_MASK - (1 << 20)
_NOKEY = object()  # "the dict was empty at the last update"

_next_gen = [1]  # generation ids are unique across all databases


class _Generation:
    __slots__ = ("id", "keys", "used")

    def __init__(self, keys: list):
        self.id = _next_gen[0]
        _next_gen[0] += 1
        self.keys = keys
        self.used = time.monotonic()


class KeyIndex:
    """The SCAN index of one :class:`~perdure.server.keyspace.Database` (``db.keyindex``)."""

    __slots__ = ("data", "cur", "old", "seen_len", "seen_removed", "anchor")

    def __init__(self):
        self.data = None
        self.cur = None
        self.old: dict = {}
        self.seen_len = 0
        self.seen_removed = 0
        self.anchor = _NOKEY

    # ---- keeping up with the dict -------------------------------------------------------
    def _rebuild(self, db) -> _Generation:
        data = db.data
        cur = self.cur
        now = time.monotonic()
        if self.data is not data:
            # the dict was replaced (FLUSHDB...): the keys running scans still have to return
            # are all gone, so nothing is worth keeping
            self.old.clear()
        elif cur is not None and now - cur.used < OLD_IDLE and len(cur.keys) > 0:
            self.old[cur.id] = cur
        if self.old:
            for gid in [g for g, gen in self.old.items() if now - gen.used >= OLD_IDLE]:
                del self.old[gid]
            while len(self.old) > KEEP_OLD:
                del self.old[min(self.old, key=lambda g: self.old[g].used)]
        cur = self.cur = _Generation(list(data))
        self.data = data
        self.seen_len = len(data)
        self.seen_removed = db.removed
        self.anchor = next(reversed(data), _NOKEY)
        return cur

    def update(self, db) -> _Generation:
        """Make the current generation hold every key now in ``db.data``; return it."""
        data = db.data
        cur = self.cur
        if cur is None or self.data is not data:
            return self._rebuild(db)
        n = len(data)
        new = n - self.seen_len + (db.removed - self.seen_removed)
        anchor = self.anchor
        if not n:
            if len(cur.keys) > SLACK:
                return self._rebuild(db)
            self.seen_len = 0
            self.seen_removed = db.removed
            self.anchor = _NOKEY
            return cur
        if new <= 0:
            if anchor is not _NOKEY and next(reversed(data)) == anchor:
                self.seen_len = n
                self.seen_removed = db.removed
                return cur
            # something was added that the removal counter did not account for
            return self._rebuild(db)
        keys = cur.keys
        if anchor is _NOKEY:
            new = n  # the dict was empty last time: every key is new
        if len(keys) + new > 2 * n + SLACK or len(keys) + new > _MAX_ENTRIES:
            return self._rebuild(db)
        tail = list(islice(reversed(data), new + 1))
        if anchor is not _NOKEY and anchor not in tail and anchor in data:
            return self._rebuild(db)
        keys.extend(tail[:new])
        self.seen_len = n
        self.seen_removed = db.removed
        self.anchor = tail[0] if tail else _NOKEY
        return cur

    # ---- SCAN ----------------------------------------------------------------------------
    def scan(self, db, cursor: int, count: int):
        """One SCAN step: (next cursor, keys) -- keys not yet filtered by MATCH/TYPE/expiry."""
        data = db.data
        if cursor == 0:
            gen = self.update(db)
            pos = 0
        else:
            gid = cursor >> _POS_BITS
            pos = cursor & _POS_MASK
            cur = self.cur
            if cur is not None and gid == cur.id and self.data is data:
                gen = cur
            else:
                gen = self.old.get(gid)
                if gen is None:
                    if gid >= _next_gen[0]:
                        return 0, []  # never issued: a bogus cursor ends the scan
                    gen = self.update(db)  # its generation was dropped: start again
                    pos = 0
        gen.used = time.monotonic()
        keys = gen.keys
        total = len(keys)
        contains = data.__contains__
        out = list(filter(contains, keys[pos:pos + count]))
        pos += count
        budget = 9 * count  # like Redis: visit at most 10*COUNT slots per call
        while len(out) < count and pos < total and budget > 0:
            step = min(count - len(out), budget)
            out.extend(filter(contains, keys[pos:pos + step]))
            pos += step
            budget -= step
        if pos >= total:
            return 0, out
        return (gen.id << _POS_BITS) | pos, out

    # ---- RANDOMKEY -----------------------------------------------------------------------
    def random_key(self, db):
        """A key of ``db.data`` chosen at random (None if empty); nearly uniform."""
        data = db.data
        if not data:
            return None
        keys = self.update(db).keys
        n = len(keys)
        for _ in range(64):
            k = keys[randrange(n)]
            if k in data:
                return k
        return next(islice(data, randrange(len(data)), None))


def index_of(db) -> KeyIndex:
    idx = db.keyindex
    if idx is None:
        idx = db.keyindex = KeyIndex()
    return idx


def random_key(db):
    """RANDOMKEY's pick: a direct walk for small databases, the index for large ones."""
    data = db.data
    n = len(data)
    if n == 0:
        return None
    if n <= 512 and db.keyindex is None:
        return next(islice(data, randrange(n), None))
    return index_of(db).random_key(db)
