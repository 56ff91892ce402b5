"""The stream value type (t_stream.c's data structure), its IDs and its consumer groups.

IDs are Python ints ``ms << 64 | seq`` (they compare and sort like Redis's ``streamID``);
:func:`fmt_id` prints ``ms-seq`` and :func:`parse_id` parses exactly as
``streamGenericParseIDOrReply`` does (``string2ull``: ``strtoull`` fallback, so ``+1``,
`` 1`` and ``01`` are accepted, a NUL byte ends the string, at most 127 bytes).

A :class:`Stream` mirrors Redis's layout closely enough to reproduce everything Redis lets a
client observe about it:

* entries live in *nodes*, one per listpack of Redis's radix tree.  A node is started exactly
  when Redis starts a new listpack (``stream-node-max-entries`` counting live and deleted
  entries, ``stream-node-max-bytes`` against the listpack's byte size, which is computed
  from the listpack encoding of every element: master entry, flags, ID deltas,
  SAMEFIELDS compression, lp-count);
* XDEL and exact trimming only *flag* entries as deleted (a node goes away when its last live
  entry is deleted by XDEL, or as a whole by trimming), and the node keeps their fields and
  values (``Node.dead``) as the listpack does, so that DUMP and RDB files write it as Redis
  does; so approximate trimming (``~``),
  ``LIMIT`` and ``XINFO STREAM``'s ``radix-tree-keys`` / ``radix-tree-nodes`` come out as in
  Redis (``radix-tree-nodes`` is the node count of the canonical compressed radix tree of the
  nodes' 128-bit master IDs, which is what ``rax`` builds for keys of equal length);
* ``last_id`` is the last generated ID (XSETID may move it beyond the last entry, or back
  down to the last live entry: then a new entry can have a smaller ID than a deleted one,
  even the same ID, in the same listpack; Redis's iterators skip deleted entries before any
  range check, so only live entries are in ID order.  A node where that happened is
  ``unsorted``: its entries are searched linearly, never bisected).

Consumer groups: :class:`Group` (``last_id``, a PEL, consumers by name) and
:class:`Consumer` (``seen`` time, its own PEL); a PEL entry is a :class:`Nack` shared by the
group PEL and its owner's PEL.  :class:`Pel` is a dict plus a sorted list of IDs.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort

from .. import errors
from ..args import to_int
from ..errors import RedisError
from ..keyspace import TYPE_NAMES

MASK64 = (1 << 64) - 1
MAX_ID = (1 << 128) - 1
INVALID_ID = "ERR Invalid stream ID specified as stream command argument"
_LISTPACK_MAX = 1 << 30  # STREAM_LISTPACK_MAX_SIZE


# --------------------------------------------------------------------------- IDs

def fmt_id(i: int) -> bytes:
    return b"%d-%d" % (i >> 64, i & MASK64)


_SPACES = b" \t\n\v\f\r"


def _strtoull(b: bytes):
    """string2ull: string2ll, else strtoull (leading spaces, sign, leading zeros accepted;
    a minus sign wraps around; overflow refused).  None when invalid."""
    v = to_int(b)
    if v is not None:
        return v if v >= 0 else None
    n = len(b)
    i = 0
    while i < n and b[i] in _SPACES:
        i += 1
    neg = False
    if i < n and b[i] in b"+-":
        neg = b[i] == 0x2D
        i += 1
    digits = b[i:]
    if not digits or not digits.isdigit():
        return None
    v = int(digits)
    if v > MASK64:
        return None
    return (-v) & MASK64 if neg else v


def parse_id(b: bytes, missing_seq: int = 0, strict: bool = False) -> int:
    """streamGenericParseIDOrReply: ``-``/``+`` (unless ``strict``), ``ms`` or ``ms-seq``."""
    if len(b) > 127:
        raise RedisError(INVALID_ID)
    z = b.find(b"\0")
    if z >= 0:
        b = b[:z]
    if b == b"-" or b == b"+":
        if strict:
            raise RedisError(INVALID_ID)
        return 0 if b == b"-" else MAX_ID
    dash = b.find(b"-")
    if dash < 0:
        ms = _strtoull(b)
        seq = missing_seq
    else:
        ms = _strtoull(b[:dash])
        seq = _strtoull(b[dash + 1:])
    if ms is None or seq is None:
        raise RedisError(INVALID_ID)
    return ms << 64 | seq


def parse_interval_id(b: bytes, missing_seq: int):
    """streamParseIntervalIDOrReply: ``(id`` is exclusive.  Returns (id, exclusive)."""
    if len(b) > 1 and b[0] == 0x28:  # '('
        return parse_id(b[1:], missing_seq, True), True
    return parse_id(b, missing_seq), False


def parse_range(start_arg: bytes, end_arg: bytes):
    """Start/end of XRANGE, XPENDING...: inclusive bounds after applying ``(``."""
    start, ex = parse_interval_id(start_arg, 0)
    if ex:
        if start == MAX_ID:
            raise RedisError("ERR invalid start ID for the interval")
        start += 1
    end, ex = parse_interval_id(end_arg, MASK64)
    if ex:
        if end == 0:
            raise RedisError("ERR invalid end ID for the interval")
        end -= 1
    return start, end


# --------------------------------------------------------------------------- listpack sizes

def _backlen(n: int) -> int:
    if n <= 127:
        return 1
    if n < 16383:
        return 2
    if n < 2097151:
        return 3
    if n < 268435455:
        return 4
    return 5


def int_size(v: int) -> int:
    """Bytes of an integer listpack element (encoding + backlen)."""
    if 0 <= v <= 127:
        return 2
    if -4096 <= v <= 4095:
        return 3
    if -32768 <= v <= 32767:
        return 4
    if -8388608 <= v <= 8388607:
        return 5
    if -2147483648 <= v <= 2147483647:
        return 6
    return 10


def str_size(b: bytes) -> int:
    """Bytes of a string listpack element (stored as an integer when string2ll accepts it)."""
    n = len(b)
    if n <= 20:
        v = to_int(b)
        if v is not None:
            return int_size(v)
        if n < 64:
            return n + 2
    if n < 64:
        enc = n + 1
    elif n < 4096:
        enc = n + 2
    else:
        enc = n + 5
    return enc + _backlen(enc)


def _delta(a: int) -> int:
    """An unsigned 64-bit difference read back as int64 (lpAppendInteger of ms/seq deltas)."""
    a &= MASK64
    return a - (1 << 64) if a >> 63 else a


# --------------------------------------------------------------------------- nodes

class Node:
    """One listpack: entries (live and deleted) in ID order.  The first entry's ID is the
    master ID; ``fields`` the master fields.

    Byte size, computed lazily: ``base`` is the exact size of the listpack without its
    live/deleted counters, counting the first ``sized`` entries; ``ub`` bounds the size of
    the others from above.  :meth:`exact_bytes` completes the computation; it only runs when
    the bound comes near ``stream-node-max-bytes`` (or before an entry loses its fields).
    ``head``: every entry before this index is deleted (where forward scans may start).
    ``dead``: the field/value lists of the deleted entries (``vals`` holds None for them), by
    index, or None when there is none.  ``unsorted``: an entry was appended with an ID not
    above a (deleted) entry's (see the module docstring)."""

    __slots__ = ("ids", "idb", "vals", "fields", "live", "deleted", "base", "sized", "ub", "head", "dead",
                 "unsorted")

    def live_index(self, i: int) -> int:
        """The index of the live entry ``i``, or -1."""
        ids = self.ids
        if self.unsorted:
            vals = self.vals
            for ei in range(self.head, len(ids)):
                if ids[ei] == i and vals[ei] is not None:
                    return ei
            return -1
        ei = bisect_left(ids, i)
        if ei < len(ids) and ids[ei] == i and self.vals[ei] is not None:
            return ei
        return -1

    def materialize(self) -> None:
        """Make ``base`` exact for every entry (they must all still hold their fields)."""
        ids = self.ids
        n = len(ids)
        k = self.sized
        if k == n:
            return
        m = ids[0]
        mms = m >> 64
        mseq = m & MASK64
        fields = self.fields
        nmf = len(fields)
        vals = self.vals
        b = 0
        while k < n:
            i = ids[k]
            fv = vals[k]
            nf = len(fv) >> 1
            b += 2 + int_size(_delta((i >> 64) - mms)) + int_size(_delta((i & MASK64) - mseq))
            if nf == nmf and tuple(fv[0::2]) == fields:
                for v in fv[1::2]:
                    b += str_size(v)
                b += int_size(nf + 3)
            else:
                b += int_size(nf)
                for x in fv:
                    b += str_size(x)
                b += int_size(nf + nf + 4)
            k += 1
        self.base += b
        self.sized = n
        self.ub = 0

    def exact_bytes(self) -> int:
        self.materialize()
        return self.base + int_size(self.live) + int_size(self.deleted)

    def copy(self) -> "Node":
        n = Node()
        n.ids = self.ids[:]
        n.idb = self.idb[:]
        n.vals = self.vals[:]
        n.fields = self.fields
        n.live = self.live
        n.deleted = self.deleted
        n.base = self.base
        n.sized = self.sized
        n.ub = self.ub
        n.head = self.head
        n.dead = None if self.dead is None else dict(self.dead)
        n.unsorted = self.unsorted
        return n


def _rax_nodes(keys) -> int:
    """Nodes of the compressed radix tree holding ``keys`` (16-byte keys, sorted)."""
    if not keys:
        return 1
    ks = [k.to_bytes(16, "big") for k in keys]

    def count(lo, hi, d):
        if hi - lo == 1:
            return 1 if d == 16 else 2
        a, b = ks[lo], ks[hi - 1]
        p = d
        while a[p] == b[p]:
            p += 1
        n = 2 if p > d else 1  # a compressed chain before the branching node, if any
        i = lo
        while i < hi:
            ch = ks[i][p]
            j = i + 1
            while j < hi and ks[j][p] == ch:
                j += 1
            n += count(i, j, p + 1)
            i = j
        return n

    return count(0, len(ks), 0)


# --------------------------------------------------------------------------- groups

class Nack:
    """A pending entry: delivery time (ms), delivery count, owner (None only transiently)."""

    __slots__ = ("time", "count", "consumer")

    def __init__(self, time_ms, count, consumer):
        self.time = time_ms
        self.count = count
        self.consumer = consumer


class Pel:
    """A pending entries list: ID -> Nack, iterable in ID order."""

    __slots__ = ("d", "ids")

    def __init__(self):
        self.d = {}
        self.ids = []

    def __len__(self):
        return len(self.d)

    def add(self, i, nack) -> None:
        self.d[i] = nack
        ids = self.ids
        if not ids or i > ids[-1]:
            ids.append(i)
        else:
            insort(ids, i)

    def remove(self, i) -> None:
        del self.d[i]
        ids = self.ids
        if ids[-1] == i:
            ids.pop()
        else:
            del ids[bisect_left(ids, i)]

    def from_id(self, start: int) -> int:
        """Index of the first ID >= start in ``ids``."""
        return bisect_left(self.ids, start)


class Consumer:
    __slots__ = ("name", "seen", "pel")

    def __init__(self, name: bytes, seen: int):
        self.name = name
        self.seen = seen
        self.pel = Pel()


class Group:
    __slots__ = ("last_id", "pel", "consumers")

    def __init__(self, last_id: int):
        self.last_id = last_id
        self.pel = Pel()
        self.consumers: dict = {}

    def consumer(self, name: bytes, now: int, create: bool = True, refresh: bool = True):
        """streamLookupConsumer: (consumer or None, created)."""
        co = self.consumers.get(name)
        if co is None:
            if not create:
                return None, False
            co = self.consumers[name] = Consumer(name, now)
            return co, True
        if refresh:
            co.seen = now
        return co, False

    def sorted_consumers(self):
        return [self.consumers[k] for k in sorted(self.consumers)]


# --------------------------------------------------------------------------- the stream

class Stream:
    """A Redis stream.  See the module docstring."""

    __slots__ = ("nodes", "keys", "length", "last_id", "groups", "__weakref__")
    encoding = b"stream"

    def __init__(self):
        self.nodes: list = []
        self.keys: list = []  # master ID of each node, for bisect
        self.length = 0
        self.last_id = 0
        self.groups = None  # name -> Group, created on demand as in Redis

    # ---- appending ---------------------------------------------------------------------
    def append(self, i: int, idb: bytes, fv: list, max_bytes: int, max_entries: int) -> None:
        """streamAppendItem: ``fv`` is the flat field/value list (kept as the entry)."""
        nodes = self.nodes
        tot = 0
        for x in fv:
            tot += len(x)
        node = nodes[-1] if nodes else None
        if node is not None:
            if max_bytes == 0 or max_bytes > _LISTPACK_MAX:
                max_bytes = _LISTPACK_MAX
            # (the counters take at most 10 bytes each)
            if node.base + node.ub + 20 + tot >= max_bytes and node.exact_bytes() + tot >= max_bytes:
                node = None
            elif max_entries and node.live + node.deleted >= max_entries:
                node = None
        if node is None:
            nf = len(fv) >> 1
            fields = tuple(fv[0::2])
            node = Node()
            node.ids = [i]
            node.idb = [idb]
            node.vals = [fv]
            node.fields = fields
            node.live = 1
            node.deleted = 0
            # header+end (7), num-fields, master fields, master terminator (2); then the
            # entry: flags, ms-delta 0, seq-delta 0 (6), its values, lp-count
            base = 15 + int_size(nf) + int_size(nf + 3)
            for x in fv:
                base += str_size(x)
            node.base = base
            node.sized = 1
            node.ub = 0
            node.head = 0  # entries before this index are all deleted
            node.dead = None
            node.unsorted = False
            nodes.append(node)
            self.keys.append(i)
        else:
            # an upper bound: flags, deltas, num-fields, lp-count and each element's header
            # and backlen take at most 52 + 10 per element
            node.ub += tot + 10 * len(fv) + 52
            if i <= node.ids[-1]:  # (below a deleted entry: XSETID moved the last ID down)
                node.unsorted = True
            node.ids.append(i)
            node.idb.append(idb)
            node.vals.append(fv)
            node.live += 1
        self.length += 1
        self.last_id = i

    def next_id(self, now_ms: int) -> int:
        """streamNextID (the caller checked the stream is not exhausted)."""
        last = self.last_id
        if now_ms > last >> 64:
            return now_ms << 64
        return last + 1

    # ---- reading -----------------------------------------------------------------------
    def _locate(self, start: int):
        """(node index, entry index) where a forward scan from ``start`` begins: the first
        entry (live or not) with ID >= start (in an unsorted node: the first live one)."""
        keys = self.keys
        ni = bisect_right(keys, start) - 1
        if ni < 0:
            return 0, 0
        node = self.nodes[ni]
        if node.unsorted:
            ids = node.ids
            vals = node.vals
            ei = node.head
            while ei < len(ids) and (vals[ei] is None or ids[ei] < start):
                ei += 1
        else:
            ei = bisect_left(node.ids, start)
        if ei == len(node.ids):
            return ni + 1, 0
        return ni, ei

    def range(self, start: int, end: int, count: int = 0, rev: bool = False, ids_out=None) -> list:
        """Live entries with start <= ID <= end as ``[idb, fields]`` pairs (``count`` 0 = all);
        their int IDs are appended to ``ids_out`` when given (forward ranges only)."""
        out = []
        if start > end or not self.length:
            return out
        nodes = self.nodes
        if not rev:
            ni, ei = self._locate(start)
            nn = len(nodes)
            while ni < nn:
                node = nodes[ni]
                ids = node.ids
                vals = node.vals
                idb = node.idb
                n = len(ids)
                if ei < node.head:
                    ei = node.head
                while ei < n:
                    v = vals[ei]
                    if v is not None:  # (a deleted entry never ends the range)
                        if ids[ei] > end:
                            return out
                        out.append([idb[ei], v])
                        if ids_out is not None:
                            ids_out.append(ids[ei])
                        if count and len(out) >= count:
                            return out
                    ei += 1
                ni += 1
                ei = 0
            return out
        ni = bisect_right(self.keys, end) - 1
        if ni < 0:
            return out
        node = nodes[ni]
        ei = len(node.ids) - 1 if node.unsorted else bisect_right(node.ids, end) - 1
        while ni >= 0:
            node = nodes[ni]
            ids = node.ids
            vals = node.vals
            idb = node.idb
            while ei >= 0:
                v = vals[ei]
                if v is not None and ids[ei] <= end:  # (deleted entries never end the range)
                    if ids[ei] < start:
                        return out
                    out.append([idb[ei], v])
                    if count and len(out) >= count:
                        return out
                ei -= 1
            ni -= 1
            if ni >= 0:
                ei = len(nodes[ni].ids) - 1
        return out

    def get(self, i: int):
        """The fields of the live entry ``i``, or None."""
        ni = bisect_right(self.keys, i) - 1
        if ni < 0:
            return None
        node = self.nodes[ni]
        ei = node.live_index(i)
        return None if ei < 0 else node.vals[ei]

    def last_valid_id(self) -> int:
        """streamLastValidID: the ID of the last live entry (0 when there is none)."""
        for node in reversed(self.nodes):
            vals = node.vals
            for ei in range(len(vals) - 1, -1, -1):
                if vals[ei] is not None:
                    return node.ids[ei]
        return 0

    def first_edge_id(self) -> int:
        """streamGetEdgeID(first): the first ID of the first listpack, deleted or not (the
        highest possible ID when the stream has no node)."""
        return self.nodes[0].ids[0] if self.nodes else MAX_ID

    # ---- deleting ----------------------------------------------------------------------
    def _drop_node(self, ni: int) -> None:
        del self.nodes[ni]
        del self.keys[ni]

    def delete(self, i: int) -> bool:
        """streamDeleteItem: flag entry ``i`` deleted (drop its node if it was the last)."""
        ni = bisect_right(self.keys, i) - 1
        if ni < 0:
            return False
        node = self.nodes[ni]
        ei = node.live_index(i)
        if ei < 0:
            return False
        if node.live == 1:
            self._drop_node(ni)
        else:
            if node.sized <= ei:
                node.materialize()
            vals = node.vals
            if node.dead is None:
                node.dead = {}
            node.dead[ei] = vals[ei]
            vals[ei] = None
            if ei == node.head:
                h = ei + 1
                while vals[h] is None:  # (the node still has a live entry)
                    h += 1
                node.head = h
            node.live -= 1
            node.deleted += 1
        self.length -= 1
        return True

    def trim(self, maxlen: int, minid, approx: bool, limit: int) -> int:
        """streamTrim: by MAXLEN (``minid`` None) or MINID; ``limit`` 0 = no limit."""
        deleted = 0
        nodes = self.nodes
        while nodes:
            if minid is None and self.length <= maxlen:
                break
            node = nodes[0]
            entries = node.live
            if limit and deleted + entries > limit:
                break  # the work limit (LIMIT, or the default for "~")
            if minid is None:
                remove = self.length - entries >= maxlen
            else:
                remove = node.ids[-1] < minid
            if remove:
                self._drop_node(0)
                self.length -= entries
                deleted += entries
                continue
            if approx:
                break
            node.materialize()
            vals = node.vals
            ids = node.ids
            done = 0
            # (skipping entries known to be deleted changes nothing, unless the node is
            # unsorted: a deleted entry at or above MINID stops the trim, as in Redis)
            ei = 0 if node.unsorted and minid is not None else node.head
            n = len(ids)
            if node.dead is None:
                node.dead = {}
            dead = node.dead
            while ei < n:
                if minid is None:
                    if self.length <= maxlen:
                        break
                elif ids[ei] >= minid:
                    break
                if vals[ei] is not None:
                    dead[ei] = vals[ei]
                    vals[ei] = None
                    done += 1
                    self.length -= 1
                ei += 1
            if done:
                while ei < n and vals[ei] is None:
                    ei += 1
                node.head = ei
            node.live -= done
            node.deleted += done
            deleted += done
            break
        return deleted

    # ---- misc --------------------------------------------------------------------------
    def rax_nodes(self) -> int:
        return _rax_nodes(self.keys)

    def copy(self) -> "Stream":
        """A deep copy (COPY): entries, last ID, groups, consumers and PELs."""
        s = Stream()
        s.nodes = [n.copy() for n in self.nodes]
        s.keys = self.keys[:]
        s.length = self.length
        s.last_id = self.last_id
        if self.groups is not None:
            s.groups = {}
            for name, g in self.groups.items():
                ng = Group(g.last_id)
                cmap = {}
                for cname, co in g.consumers.items():
                    nc = Consumer(cname, co.seen)
                    ng.consumers[cname] = nc
                    cmap[id(co)] = nc
                for i in g.pel.ids:
                    na = g.pel.d[i]
                    owner = cmap[id(na.consumer)]
                    nn = Nack(na.time, na.count, owner)
                    ng.pel.add(i, nn)
                    owner.pel.add(i, nn)
                s.groups[name] = ng
        return s

    def digest_parts(self):
        """What DEBUG DIGEST mixes for a stream: entries, then groups and their PELs."""
        for node in self.nodes:
            for ei, v in enumerate(node.vals):
                if v is not None:
                    yield node.idb[ei]
                    yield from v
        yield fmt_id(self.last_id)
        if self.groups:
            for name in sorted(self.groups):
                g = self.groups[name]
                yield name
                yield fmt_id(g.last_id)
                for i in g.pel.ids:
                    na = g.pel.d[i]
                    yield fmt_id(i)
                    yield na.consumer.name
                    yield b"%d" % na.count

    def __len__(self):
        return self.length

    def __bool__(self):  # an empty stream is still a key: never falsy
        return True


TYPE_NAMES[Stream] = b"stream"


def get_stream(db, key, write: bool = False):
    """The stream at ``key``, None if missing, WRONGTYPE for another type."""
    v = db.lookup_write(key) if write else db.lookup_read(key)
    if v is None or type(v) is Stream:
        return v
    raise RedisError(errors.WRONGTYPE)
