"""Databases: key -> value and key -> absolute expiry (ms), lazy expiry, typed lookups.

Values are plain Python objects chosen for speed; the Redis type of a value is found from its
Python class through :data:`TYPE_NAMES` (each family module registers its classes):

* string: ``bytes``
* hash: ``dict`` (field -> value)
* list, set, zset, stream: the classes their family modules register.

Handlers read with :meth:`Database.lookup_read` (never creates anything) and mutate through
:meth:`Database.set` / :meth:`Database.delete` / in place, then call
:meth:`Database.changed` once per key they modified: that bumps the server's dirty counter
(which decides whether the command is logged), invalidates WATCHes and queues keyspace
notifications.  Lazy expiry logs its own ``DEL`` in the effects log, as Redis propagates it.
"""

from __future__ import annotations

import time

from . import errors
from .errors import RedisError

TYPE_NAMES: dict[type, bytes] = {bytes: b"string", dict: b"hash"}


def now_ms() -> int:
    return int(time.time() * 1000)


def str_units(key: bytes, v: bytes) -> int:
    """The memory cost of a string key in units: the key's bytes object plus the value's.  A
    string's cost follows from the value itself, so it has no record in ``Database.sizes``: the
    write paths add and subtract it as they store and drop bytes values (memory.py).  Each
    object is ``memory._obj`` in 16-byte units: pymalloc's 16-byte classes up to 512 bytes,
    malloc's header and rounding above (spelt out here: it runs on every string write)."""
    n = 33 + len(key)
    m = 33 + len(v)
    return (((n + 15) >> 4 if n <= 512 else (n + 23) >> 4)
            + ((m + 15) >> 4 if m <= 512 else (m + 23) >> 4))


class Database:
    __slots__ = ("id", "data", "expires", "server", "avg_ttl", "hazards", "removed", "keyindex",
                 "sizes", "mem", "acct_data", "lru")

    def __init__(self, server, index: int):
        self.id = index
        self.server = server
        self.data: dict = {}
        self.expires: dict = {}
        self.avg_ttl = 0
        self.hazards: dict = {}  # key -> log offset of its latest not-yet-durable write
        # keys removed from ``data`` so far: every removal must count here, it is how the SCAN
        # index (keyindex.py) finds the keys added since it last looked
        self.removed = 0
        self.keyindex = None  # the SCAN / RANDOMKEY index, built on first use
        # memory accounting (memory.py): key -> recorded cost (16-byte units) of each key whose
        # value is not a string; ``mem``: that sum plus the cost of every string key (kept by
        # the write paths below, see str_units); the dict they describe; lru: key -> LRU clock
        # or LFU word (eviction.py), set on access
        self.sizes: dict = {}
        self.mem = 0
        self.acct_data = self.data
        self.lru: dict = {}

    # ---- lookups -------------------------------------------------------------------------
    def expire_if_needed(self, key) -> bool:
        """Delete ``key`` if its TTL has passed; True if it was expired (and is now gone)."""
        when = self.expires.get(key)
        if when is None:
            return False
        srv = self.server
        if srv.loading:
            return False
        if when > srv.cached_now_ms():
            return False
        if srv.masterhost is not None:
            # a replica: the master's DEL removes the key; to the master's own commands it
            # still exists, to everyone else it is logically expired (expireIfNeeded)
            return srv.current_client is None or srv.current_client.conn_type != "master"
        if srv.pause_type:
            return True  # CLIENT PAUSE keeps the dataset as is: logically expired, still there
        srv.stat_expired_keys += 1
        self._delete_expired(key)
        return True

    def _delete_expired(self, key):
        srv = self.server
        v = self.data.pop(key)
        if type(v) is bytes:
            self.str_gone(key, v)
        del self.expires[key]
        self.removed += 1
        srv.log_effect(self.id, [b"DEL", key])
        srv.on_key_change(self, key, True)
        srv.notify(self, key, b"expired", "x")

    def lookup_read(self, key):
        """The value at ``key`` or None.  Never creates anything."""
        v = self.data.get(key)
        if v is not None and self.expires and key in self.expires and self.expire_if_needed(key):
            v = None
        if v is None:
            srv = self.server
            srv.stat_keyspace_misses += 1
            if srv.notify_flags:
                srv.notify(self, key, b"keymiss", "m")
        else:
            srv = self.server
            srv.stat_keyspace_hits += 1
            if srv.lfu:
                srv.lfu_touch(self, key)
            else:
                self.lru[key] = srv.lruclock
        return v

    def lookup_notouch(self, key, notify: bool = True):
        """lookupKeyReadWithFlags(LOOKUP_NOTOUCH): as :meth:`lookup_read` but the key's access
        time (LRU clock / LFU counter) is left alone (TTL, TYPE, EXISTS, SCAN TYPE); ``notify``
        False is LOOKUP_NONOTIFY too, no ``keymiss`` event (OBJECT)."""
        v = self.data.get(key)
        if v is not None and self.expires and key in self.expires and self.expire_if_needed(key):
            v = None
        srv = self.server
        if v is None:
            srv.stat_keyspace_misses += 1
            if notify and srv.notify_flags:
                srv.notify(self, key, b"keymiss", "m")
        else:
            srv.stat_keyspace_hits += 1
        return v

    def lookup_write(self, key):
        """The value at ``key`` or None, expiring it first if due (no hit/miss statistics)."""
        v = self.data.get(key)
        if v is not None:
            if self.expires and key in self.expires and self.expire_if_needed(key):
                return None
            srv = self.server
            if srv.lfu:
                srv.lfu_touch(self, key)
            else:
                self.lru[key] = srv.lruclock
        return v

    def get_typed(self, key, pytype, write: bool = False):
        """The value at ``key`` if it is of ``pytype``; None if absent; WRONGTYPE otherwise."""
        v = self.lookup_write(key) if write else self.lookup_read(key)
        if v is None or type(v) is pytype:
            return v
        raise RedisError(errors.WRONGTYPE)

    def exists(self, key) -> bool:
        return self.lookup_write(key) is not None

    # ---- mutation ------------------------------------------------------------------------
    def set(self, key, value, keepttl: bool = False) -> None:
        """Store ``value`` at ``key``; drops the TTL unless ``keepttl``.  Every replacement of a
        value goes through here or :meth:`add` (string costs, see :func:`str_units`)."""
        data = self.data
        old = data.get(key)
        if old is not None and self.expires and key in self.expires and self.expire_if_needed(key):
            # setKey looks the key up first: an expired one is deleted (expired event, stat,
            # DEL logged) and the new value is added (dbAdd: blocked clients are signalled)
            old = data.get(key)
        data[key] = value
        d = 0
        if type(old) is bytes:
            d = -str_units(key, old)
        if type(value) is bytes:
            d += str_units(key, value)
        elif old is None and self.server.blocking_keys:  # setKey -> dbAdd: signalKeyAsReady
            self.server.signal_ready(self, key, TYPE_NAMES.get(type(value)))
        if d:
            self.mem += d
            self.server.mem_units += d
        if not keepttl and self.expires:
            self.expires.pop(key, None)

    def add(self, key, value) -> None:
        """Store a new value at a key known to be absent (keeps no TTL): dbAdd, which signals
        clients blocked on the key when the value is a list, sorted set or stream (a value
        that replaces another one through :meth:`set` does not: dbOverwrite)."""
        self.data[key] = value
        if type(value) is bytes:
            d = str_units(key, value)
            self.mem += d
            self.server.mem_units += d
        elif self.server.blocking_keys:
            self.server.signal_ready(self, key, TYPE_NAMES.get(type(value)))

    def str_gone(self, key, v) -> None:
        """String value ``v`` at ``key`` left the keyspace: its cost goes."""
        d = str_units(key, v)
        self.mem -= d
        self.server.mem_units -= d

    def delete(self, key) -> bool:
        """Remove ``key`` (after lazy expiry); True if it existed."""
        if self.lookup_write(key) is None:
            return False
        v = self.data.pop(key)
        if type(v) is bytes:
            self.str_gone(key, v)
        self.removed += 1
        if self.expires:
            self.expires.pop(key, None)
        return True

    def changed(self, key, event: bytes | None = None, klass: str = "g") -> None:
        """Record that ``key`` was modified by the running command.

        ``event``/``klass`` are the keyspace-notification event name and class character
        (``$`` strings, ``l`` lists, ``h`` hashes, ``s`` sets, ``z`` zsets, ``t`` streams,
        ``g`` generic...) exactly as Redis 6.2 publishes them.
        """
        srv = self.server
        srv.dirty += 1
        srv.on_key_change(self, key)
        if event is not None and srv.notify_flags:  # notify-keyspace-events is off by default
            srv.notify(self, key, event, klass)

    def changed_quietly(self, key) -> None:
        """A change Redis makes without signalModifiedKey (no WATCH or tracking invalidation,
        no event): dirty, so the effects log gets the command, and the key's durability hazard."""
        srv = self.server
        srv.dirty += 1
        srv.touched.append((self, key))

    def set_expire(self, key, when_ms: int) -> None:
        self.expires[key] = when_ms
        srv = self.server
        if srv.masterhost is not None:  # a writable replica's own key: it expires it itself
            cur = srv.current_client
            if cur is None or cur.conn_type != "master":
                srv.repl.own_expires[(self.id, key)] = None

    def persist(self, key) -> bool:
        return self.expires.pop(key, None) is not None

    def ttl_ms(self, key):
        """Remaining TTL in ms, -1 when the key has none, -2 when missing."""
        if self.lookup_notouch(key) is None:
            return -2
        when = self.expires.get(key)
        if when is None:
            return -1
        return max(0, when - now_ms())

    def flush(self) -> None:
        self.data = {}
        self.expires = {}
        self.sizes = {}
        self.server.mem_units -= self.mem
        self.mem = 0
        self.acct_data = self.data
        self.lru = {}

    def __len__(self):
        return len(self.data)

    # ---- active expiry -------------------------------------------------------------------
    def active_expire(self, sample_n: int = 20, deadline: float = 0.0) -> int:
        """Redis-like active expiry: check ``sample_n`` keys with a TTL, delete the expired ones,
        and repeat while more than 25% of a sample had expired and time allows.

        The sample is taken from the front of the ``expires`` dict and every live key checked is
        moved to the back, so successive cycles sweep the whole dict round-robin in O(sample).
        """
        expires = self.expires
        deleted = 0
        srv = self.server
        while expires:
            now = srv.cached_now_ms()
            batch = []
            for k in expires:
                batch.append(k)
                if len(batch) >= sample_n:
                    break
            expired = 0
            for k in batch:
                w = expires[k]
                if w <= now:
                    srv.stat_expired_keys += 1
                    self._delete_expired(k)
                    expired += 1
                else:
                    del expires[k]
                    expires[k] = w
            deleted += expired
            if expired * 4 <= len(batch) or (deadline and time.monotonic() > deadline):
                break
        return deleted
