"""Slot -> keys of database 0, for CLUSTER COUNTKEYSINSLOT / GETKEYSINSLOT (and, later, for
moving a slot's keys to another node).

Redis keeps this index up to date on every key insertion and removal.  Perdure keeps the
write path free of it and brings the index up to date when it is asked, with the same trick as
the SCAN index (:mod:`perdure.server.keyindex`): a dict keeps insertion order and a new key always
goes to its end, so the keys added since the last look are among the last
``len(data) - len_then + removals_since`` entries (``Database.removed`` counts every removal).
Removed keys are not taken out of the index when they go: a slot's set is cleaned (``key in
data``) when that slot is asked for.  When the index holds more than twice as many entries as
the database has keys (plus some slack), it is rebuilt from scratch.

Cost: nothing outside these commands; the first call (and a rebuild) hashes every key of
database 0 once (CRC16 runs in C: roughly a second per few million keys); later calls cost
O(keys added since) plus O(size of the slot asked for).
"""

from __future__ import annotations

from itertools import islice

from .slots import keyslot

SLACK = 1024
_NOKEY = object()


class SlotIndex:
    __slots__ = ("data", "slots", "entries", "seen_len", "seen_removed", "anchor")

    def __init__(self):
        self.data = None
        self.slots: dict = {}   # slot -> set of keys (possibly stale)
        self.entries = 0        # total size of the sets
        self.seen_len = 0
        self.seen_removed = 0
        self.anchor = _NOKEY    # the newest key at the last update

    def _rebuild(self, db) -> None:
        data = db.data
        slots: dict = {}
        for k in data:
            s = keyslot(k)
            ks = slots.get(s)
            if ks is None:
                slots[s] = {k}
            else:
                ks.add(k)
        self.slots = slots
        self.entries = len(data)
        self.data = data
        self.seen_len = len(data)
        self.seen_removed = db.removed
        self.anchor = next(reversed(data), _NOKEY)

    def update(self, db) -> None:
        """Make the index hold every key now in ``db.data``."""
        data = db.data
        if self.data is not data:
            return self._rebuild(db)
        n = len(data)
        new = n - self.seen_len + (db.removed - self.seen_removed)
        anchor = self.anchor
        if not n:
            self.slots = {}
            self.entries = 0
            self.seen_len = 0
            self.seen_removed = db.removed
            self.anchor = _NOKEY
            return None
        if new <= 0:
            if anchor is not _NOKEY and next(reversed(data)) == anchor:
                self.seen_len = n
                self.seen_removed = db.removed
                return None
            return self._rebuild(db)  # a change the removal counter did not account for
        if anchor is _NOKEY:
            new = n
        if self.entries + new > 2 * n + SLACK:
            return self._rebuild(db)
        tail = list(islice(reversed(data), new + 1))
        if anchor is not _NOKEY and anchor not in tail and anchor in data:
            return self._rebuild(db)
        slots = self.slots
        added = 0
        for k in tail[:new]:
            s = keyslot(k)
            ks = slots.get(s)
            if ks is None:
                slots[s] = {k}
                added += 1
            elif k not in ks:
                ks.add(k)
                added += 1
        self.entries += added
        self.seen_len = n
        self.seen_removed = db.removed
        self.anchor = tail[0]
        return None

    def keys_in_slot(self, db, slot: int) -> set:
        """The keys of ``db`` in ``slot`` (the live set: do not modify it)."""
        self.update(db)
        ks = self.slots.get(slot)
        if not ks:
            return set()
        data = db.data
        stale = [k for k in ks if k not in data]
        if stale:
            ks.difference_update(stale)
            self.entries -= len(stale)
            if not ks:
                del self.slots[slot]
        return ks

    def count(self, db, slot: int) -> int:
        return len(self.keys_in_slot(db, slot))
