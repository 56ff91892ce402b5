"""The sorted-set value type (t_zset.c's data structure) and its range/score parsers.

A :class:`ZSet` is a ``member -> score`` dict plus a :class:`sortedcontainers.SortedList` of
``(score, member)`` tuples, so that lookups by member are O(1) and everything positional or
ranged (ZRANK, ZRANGE*, ZCOUNT, ZREM*RANGEBY*, ZPOP*) is O(log n + m).  Python orders the
tuples exactly as Redis's skiplist does: by score, then by member bytes (memcmp).  Small sets
(the vast majority) use :class:`SmallSortedList` instead, a plain list kept sorted with the C
``bisect`` functions: a quarter of the memory and faster below a few hundred members; a set
moves to a ``SortedList`` once it grows past :data:`PROMOTE_AT` (and stays there).

Encoding: Redis keeps small sorted sets as a ziplist and converts them to a skiplist once they
hold more than ``zset-max-ziplist-entries`` members or a member longer than
``zset-max-ziplist-value`` bytes; it never converts back while the key lives (only a key
created anew, such as a Z*STORE destination, starts over).  :attr:`ZSet.ziplist` records that
state for ``OBJECT ENCODING``; the Python structure is the same either way.

Parsers here follow Redis byte for byte:

* :func:`parse_score` -- ``getDoubleFromObject`` (ZADD, ZINCRBY, WEIGHTS): strtod, hex floats
  and ``inf`` accepted; leading space, trailing garbage, NaN, overflow/underflow refused.
* :func:`parse_score_range` -- ``zslParseRange`` (``(`` exclusive, plain strtod: an empty
  string is 0, overflow gives inf).
* :func:`parse_lex_range` -- ``zslParseLexRange`` (``[`` / ``(`` / ``-`` / ``+``).

Other modules (GEO*, SORT, snapshots, DEBUG...): build a zset with ``ZSet.from_scores(dict,
*limits(server))`` or ``z = ZSet(); z.insert(member, score, *limits(server))`` for a new
member / ``z.update(member, old, new)`` for an existing one; read ``z.d`` (member -> score) and
``z.sl`` (``(score, member)`` in order); :func:`get_zset` for a typed lookup;
:func:`encoding_of` and ``ZSet.copy`` are registered with the generic key commands
(OBJECT ENCODING, COPY) by :mod:`.zsets`.
"""

from __future__ import annotations

import ctypes
import math
from bisect import bisect_left, bisect_right, insort

from sortedcontainers import SortedList

from .. import errors
from ..errors import RedisError
from ..keyspace import TYPE_NAMES

INF = math.inf
_nextafter = math.nextafter
PROMOTE_AT = 512  # members: SmallSortedList -> SortedList


class SmallSortedList(list):
    """A sorted ``list`` offering the part of ``SortedList``'s API that :class:`ZSet` uses."""

    __slots__ = ()

    def add(self, v) -> None:
        insort(self, v)

    def remove(self, v) -> None:
        del self[bisect_left(self, v)]

    def bisect_left(self, v) -> int:
        return bisect_left(self, v)

    def bisect_right(self, v) -> int:
        return bisect_right(self, v)

    def islice(self, start: int, stop: int, reverse: bool = False):
        return self[start:stop][::-1] if reverse else self[start:stop]

    def copy(self):
        return SmallSortedList(self)


def _sorted_list(items):
    """The right sorted structure for ``items`` (a list of (score, member), any order)."""
    if len(items) < PROMOTE_AT:
        items.sort()
        return SmallSortedList(items)
    return SortedList(items)


class ZSet:
    """A sorted set: ``d`` maps member -> score, ``sl`` holds ``(score, member)`` in order."""

    __slots__ = ("d", "sl", "ziplist")

    def __init__(self, ziplist: bool = True):
        self.d: dict = {}
        self.sl = SmallSortedList()
        self.ziplist = ziplist

    def __len__(self):
        return len(self.d)

    def __bool__(self):
        return bool(self.d)

    def __contains__(self, member):
        return member in self.d

    def __iter__(self):
        """Members in order (score, then member)."""
        for _s, m in self.sl:
            yield m

    def __repr__(self):
        return "ZSet(%r)" % list(self.sl)

    def __eq__(self, other):
        return type(other) is ZSet and self.d == other.d

    __hash__ = None

    # ---- construction ------------------------------------------------------------------
    @classmethod
    def from_scores(cls, scores: dict, max_entries: int, max_value: int):
        """A new zset holding ``scores`` (member -> score), encoded as Redis would encode a
        freshly built destination key (zsetConvertToZiplistIfNeeded)."""
        z = cls(False)
        z.d = scores
        z.sl = _sorted_list([(s, m) for m, s in scores.items()])
        if len(scores) <= max_entries:
            z.ziplist = all(len(m) <= max_value for m in scores)
        return z

    def copy(self):
        z = ZSet(self.ziplist)
        z.d = dict(self.d)
        z.sl = self.sl.copy()
        return z

    # ---- mutation ----------------------------------------------------------------------
    def insert(self, member, score, max_entries: int, max_value: int) -> None:
        """Add a member known to be absent (converting ziplist -> skiplist when needed)."""
        if self.ziplist and (len(self.d) >= max_entries or len(member) > max_value):
            self.ziplist = False
        self.d[member] = score
        sl = self.sl
        sl.add((score, member))
        if type(sl) is SmallSortedList and len(sl) >= PROMOTE_AT:
            self.sl = SortedList(sl)

    def update(self, member, old, new) -> None:
        """Change the score of an existing member (``old`` is its current score)."""
        sl = self.sl
        sl.remove((old, member))
        sl.add((new, member))
        self.d[member] = new

    def remove(self, member) -> bool:
        s = self.d.pop(member, None)
        if s is None:
            return False
        self.sl.remove((s, member))
        return True

    def delete_range(self, start: int, end: int) -> int:
        """Remove the members at positions [start, end); return how many."""
        if end <= start:
            return 0
        sl = self.sl
        d = self.d
        if start == 0 and end == len(sl):
            n = len(sl)
            self.d = {}
            self.sl = SmallSortedList()
            return n
        for _s, m in sl.islice(start, end):
            del d[m]
        del sl[start:end]
        return end - start

    def pop(self, count: int, from_max: bool) -> list:
        """Remove up to ``count`` members from one end; return them as (score, member)."""
        sl = self.sl
        n = len(sl)
        if count > n:
            count = n
        if from_max:
            items = list(sl.islice(n - count, n, reverse=True))
            start, end = n - count, n
        else:
            items = list(sl.islice(0, count))
            start, end = 0, count
        d = self.d
        for _s, m in items:
            del d[m]
        if count == n:
            self.sl = SmallSortedList()
        else:
            del sl[start:end]
        return items

    # ---- queries -----------------------------------------------------------------------
    def rank(self, member):
        """0-based position of ``member`` (ascending), or None."""
        s = self.d.get(member)
        if s is None:
            return None
        return self.sl.bisect_left((s, member))

    def score_range(self, rng) -> tuple:
        """``(start, end)`` positions of the members whose score is inside ``rng``."""
        mn, minex, mx, maxex = rng
        if mn > mx or (mn == mx and (minex or maxex)):
            return 0, 0
        sl = self.sl
        n = len(sl)
        if minex:
            if mn == INF:
                return 0, 0
            start = sl.bisect_left((_nextafter(mn, INF),))
        elif mn == -INF:
            start = 0
        else:
            start = sl.bisect_left((mn,))
        if maxex:
            end = sl.bisect_left((mx,))
        elif mx == INF:
            end = n
        else:
            end = sl.bisect_left((_nextafter(mx, INF),))
        if end < start:
            end = start
        return start, end

    def lex_range(self, rng) -> tuple:
        """``(start, end)`` positions of the members inside the lex range ``rng``.

        With equal scores (the only case Redis defines) this is a binary search.  With mixed
        scores it reproduces Redis's walk: the first member (in score order) that is >= min
        starts the run, which lasts while members stay <= max."""
        sl = self.sl
        n = len(sl)
        if n == 0 or lex_range_empty(rng):
            return 0, 0
        s0 = sl[0][0]
        mink, minv, minex, maxk, maxv, maxex = rng
        if s0 == sl[-1][0]:
            if mink == 0:
                start = 0
            elif mink == 2:
                return 0, 0
            elif minex:
                start = sl.bisect_right((s0, minv))
            else:
                start = sl.bisect_left((s0, minv))
            if maxk == 2:
                end = n
            elif maxk == 0:
                return 0, 0
            elif maxex:
                end = sl.bisect_left((s0, maxv))
            else:
                end = sl.bisect_right((s0, maxv))
            if end < start:
                end = start
            return start, end
        # Mixed scores: Redis's zzl/zslIsInLexRange + first-in-range + run.
        if not lex_gte_min(sl[-1][1], rng) or not lex_lte_max(sl[0][1], rng):
            return 0, 0
        if self.ziplist:  # a ziplist is walked linearly from the head
            start = _scan_pred(sl, 0, n, 1, lambda m: lex_gte_min(m, rng))
        else:             # a skiplist is searched (approximated by a binary search)
            start = _bisect_pred(sl, 0, n, lambda m: lex_gte_min(m, rng))
        if start >= n or not lex_lte_max(sl[start][1], rng):
            return 0, 0
        if self.ziplist:
            end = _scan_pred(sl, start, n, 1, lambda m: not lex_lte_max(m, rng))
        else:
            end = _bisect_pred(sl, start, n, lambda m: not lex_lte_max(m, rng))
        return start, end

    def lex_range_rev(self, rng) -> tuple:
        """Like :meth:`lex_range` for a reverse walk (ZREVRANGEBYLEX): with mixed scores
        the run starts at the last member <= max and lasts while members stay >= min."""
        sl = self.sl
        n = len(sl)
        if n == 0 or sl[0][0] == sl[-1][0]:
            return self.lex_range(rng)
        if lex_range_empty(rng):
            return 0, 0
        if not lex_gte_min(sl[-1][1], rng) or not lex_lte_max(sl[0][1], rng):
            return 0, 0
        if self.ziplist:  # walk from the tail: the last member <= max, then back while >= min
            last = _scan_pred(sl, n - 1, -1, -1, lambda m: lex_lte_max(m, rng))
            if last < 0 or not lex_gte_min(sl[last][1], rng):
                return 0, 0
            first = _scan_pred(sl, last, -1, -1, lambda m: not lex_gte_min(m, rng)) + 1
            return first, last + 1
        # last index whose member is <= max: first index where "m > max", minus one
        last = _bisect_pred(sl, 0, n, lambda m: not lex_lte_max(m, rng)) - 1
        if last < 0 or not lex_gte_min(sl[last][1], rng):
            return 0, 0
        first = _bisect_pred(sl, 0, last + 1, lambda m: lex_gte_min(m, rng))
        return first, last + 1


def _scan_pred(sl, i, stop, step, pred):
    """First position from ``i`` towards ``stop`` (exclusive) whose member satisfies ``pred``;
    ``stop`` when none does."""
    while i != stop:
        if pred(sl[i][1]):
            return i
        i += step
    return stop


def _bisect_pred(sl, lo, hi, pred):
    """First position in [lo, hi) whose member satisfies ``pred`` (assumed monotonic)."""
    while lo < hi:
        mid = (lo + hi) // 2
        if pred(sl[mid][1]):
            hi = mid
        else:
            lo = mid + 1
    return lo


TYPE_NAMES[ZSet] = b"zset"


def encoding_of(z) -> bytes:
    """OBJECT ENCODING of a sorted set."""
    return b"ziplist" if z.ziplist else b"skiplist"


def limits(server):
    """(zset-max-ziplist-entries, zset-max-ziplist-value) currently configured."""
    v = server.config.values
    return v["zset-max-ziplist-entries"], v["zset-max-ziplist-value"]


def get_zset(db, key, write: bool = False):
    """The sorted set at ``key``, None if missing, WRONGTYPE if another type."""
    v = db.lookup_write(key) if write else db.lookup_read(key)
    if v is None or type(v) is ZSet:
        return v
    raise RedisError(errors.WRONGTYPE)


# ---- number parsing -------------------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
_strtod = _libc.strtod
_strtod.restype = ctypes.c_double
_strtod.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
_ERANGE = 34
_FAST = frozenset(b"0123456789.+-eE")
_SPACE = frozenset(b" \t\n\v\f\r")


def _c_strtod(b: bytes):
    """libc strtod on ``b`` (as a C string): (value, bytes consumed, ERANGE?)."""
    buf = ctypes.create_string_buffer(b)
    end = ctypes.c_void_p()
    ctypes.set_errno(0)
    v = _strtod(buf, ctypes.byref(end))
    erange = ctypes.get_errno() == _ERANGE
    return v, (end.value or 0) - ctypes.addressof(buf), erange


def _underflowed(b: bytes) -> bool:
    """A decimal literal that parsed to 0.0 though its mantissa has a non-zero digit."""
    for ch in b:
        if ch in b"eE":
            return False
        if 0x31 <= ch <= 0x39:
            return True
    return False


def parse_score(b: bytes, err: str = errors.NOT_FLOAT) -> float:
    """getDoubleFromObject: the double in ``b`` or RedisError(``err``)."""
    if b and _FAST.issuperset(b):
        try:
            v = float(b)
        except ValueError:
            raise RedisError(err) from None
        if v == INF or v == -INF or (v == 0.0 and _underflowed(b)):
            raise RedisError(err)  # ERANGE
        return v
    if not b or b[0] in _SPACE:
        raise RedisError(err)
    v, used, erange = _c_strtod(b)
    if used != len(b) or v != v or (erange and (v == 0.0 or v == INF or v == -INF)):
        raise RedisError(err)
    return v


def _range_strtod(b: bytes):
    """strtod as zslParseRange uses it: the whole C string must be consumed; NaN refused."""
    if not b:
        return 0.0
    if _FAST.issuperset(b):
        try:
            return float(b)
        except ValueError:
            return None
    v, used, _ = _c_strtod(b)
    nul = b.find(b"\x00")
    if used != (len(b) if nul < 0 else nul) or v != v:
        return None
    return v


def _range_item(b: bytes):
    if b[:1] == b"(":
        return _range_strtod(b[1:]), True
    return _range_strtod(b), False


def parse_score_range(bmin: bytes, bmax: bytes):
    """zslParseRange: (min, minex, max, maxex), or ERR min or max is not a float."""
    mn, minex = _range_item(bmin)
    if mn is not None:
        mx, maxex = _range_item(bmax)
        if mx is not None:
            return mn, minex, mx, maxex
    raise RedisError(errors.MIN_MAX_NOT_FLOAT)


# Lex range items: (kind, value, exclusive) with kind 0 = "-" (below everything),
# 1 = a string, 2 = "+" (above everything).
def _lex_item(b: bytes):
    c = b[:1]
    if c == b"[":
        return 1, b[1:], False
    if c == b"(":
        return 1, b[1:], True
    if c == b"+" and b[1:2] in (b"", b"\x00"):
        return 2, b"", True
    if c == b"-" and b[1:2] in (b"", b"\x00"):
        return 0, b"", True
    return None


def parse_lex_range(bmin: bytes, bmax: bytes):
    """zslParseLexRange: (mink, minv, minex, maxk, maxv, maxex) or ERR ... string range item."""
    a = _lex_item(bmin)
    b = _lex_item(bmax)
    if a is None or b is None:
        raise RedisError(errors.MIN_MAX_NOT_STRING)
    return a + b


def _lex_cmp(ka, va, kb, vb) -> int:
    """sdscmplex on two range items."""
    if ka != 1 or kb != 1:
        return (ka > kb) - (ka < kb)
    return (va > vb) - (va < vb)


def lex_range_empty(rng) -> bool:
    mink, minv, minex, maxk, maxv, maxex = rng
    c = _lex_cmp(mink, minv, maxk, maxv)
    return c > 0 or (c == 0 and (minex or maxex))


def lex_gte_min(m, rng) -> bool:
    c = _lex_cmp(1, m, rng[0], rng[1])
    return c > 0 if rng[2] else c >= 0


def lex_lte_max(m, rng) -> bool:
    c = _lex_cmp(1, m, rng[3], rng[4])
    return c < 0 if rng[5] else c <= 0


# ---- ZUNION / ZINTER / ZDIFF algebra (zunionInterDiffGenericCommand's core) ----------------

UNION, INTER, DIFF = 0, 1, 2


def _atoi(b: bytes) -> int:
    """C atoi (used by the key extractors): leading spaces, sign, digits, then stop."""
    s = b.lstrip(b" \t\n\v\f\r")
    i = 1 if s[:1] in (b"+", b"-") else 0
    j = i
    while j < len(s) and 0x30 <= s[j] <= 0x39:
        j += 1
    if j == i:
        return 0
    v = int(s[:j])
    return max(-2 ** 31, min(v, 2 ** 31 - 1))


def setop_keys(argv):
    """zunionInterDiffGetKeys: ZUNION/ZINTER/ZDIFF numkeys key [key ...]."""
    num = _atoi(argv[1])
    if num < 1 or num > len(argv) - 2:
        return []
    return argv[2:2 + num]


def setop_store_keys(argv):
    """zunionInterDiffStoreGetKeys: the source keys, then the destination."""
    num = _atoi(argv[2])
    if num < 1 or num > len(argv) - 3:
        return []
    return argv[3:3 + num] + [argv[1]]


def _members(v):
    """(member, score) pairs of a zset or of a set (every set member scores 1)."""
    if type(v) is ZSet:
        return v.d.items()
    return [(m, 1.0) for m in v]


def _getter(v):
    """A ``member -> score or None`` lookup for a zset or a set (members of a set score 1)."""
    if type(v) is ZSet:
        return v.d.get
    return lambda m: 1.0 if m in v else None


def _container(v):
    """What ``member in ...`` tests fastest for a zset or a set."""
    return v.d if type(v) is ZSet else v


def combine(srcs: list, weights: list, op: int, agg: int) -> dict:
    """member -> score of the union / intersection / difference of ``srcs`` (zsets, sets or
    None for missing keys), with Redis's order of evaluation: union and intersection visit the
    inputs from the smallest to the largest (stable), a difference keeps the first input first;
    ``agg`` is 0 SUM, 1 MIN, 2 MAX; a weighted NaN (inf * 0) counts as 0 where Redis says so.
    """
    setnum = len(srcs)
    result = {}
    if op == DIFF:
        first = srcs[0]
        if first:
            others = [_container(s) for s in srcs[1:] if s]
            for m, s in _members(first):
                for o in others:
                    if m in o:
                        break
                else:
                    result[m] = s
    else:
        order = sorted(range(setnum), key=lambda i: len(srcs[i]) if srcs[i] else 0)
        srcs = [srcs[i] for i in order]
        weights = [weights[i] for i in order]
        if op == INTER:
            if srcs[0]:
                first, w0 = srcs[0], weights[0]
                rest = [(_getter(src), w) for src, w in zip(srcs[1:], weights[1:], strict=True)]
                for m, s0 in _members(first):
                    score = w0 * s0
                    if score != score:
                        score = 0.0
                    for find, w in rest:
                        value = find(m)
                        if value is None:
                            break
                        value *= w
                        if agg == 0:
                            score += value
                            if score != score:
                                score = 0.0
                        elif agg == 1:
                            if value < score:
                                score = value
                        elif value > score:
                            score = value
                    else:
                        result[m] = score
        else:
            for src, w in zip(srcs, weights, strict=True):
                if not src:
                    continue
                for m, s in _members(src):
                    score = w * s
                    if score != score:
                        score = 0.0
                    cur = result.get(m)
                    if cur is None:
                        result[m] = score
                    elif agg == 0:
                        cur += score
                        result[m] = 0.0 if cur != cur else cur
                    elif agg == 1:
                        if score < cur:
                            result[m] = score
                    elif score > cur:
                        result[m] = score
    return result
