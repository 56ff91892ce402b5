"""List commands (t_list.c): the list value type, LPUSH/RPUSH & co., LMOVE, and blocking pops.

The value: :class:`ListValue`, a Python ``list`` with a gap at its front
------------------------------------------------------------------------
Redis lists are pushed and popped at both ends (O(1)) and also indexed (LINDEX/LSET/LRANGE,
O(distance) in Redis's quicklist).  ``collections.deque`` has O(1) ends but its indexing is
O(n) (it walks 64-slot blocks); a plain ``list`` indexes in O(1) but ``insert(0, x)`` moves the
whole body.  So the body is a ``list`` whose live elements are ``a[h:]``; the ``h`` slots before
them (``None``) are a gap that LPUSH fills from the right and LPOP grows:

* LPUSH writes into the gap, O(1); when the gap is exhausted it is regrown to the list's length
  in one C ``memmove`` (doubling: amortised O(1)).  LPOP clears a slot and moves ``h``, O(1); the
  gap is given back when it exceeds twice the live length (amortised O(1) too).
* RPUSH/RPOP are ``list.append``/``list.pop``.
* LINDEX/LSET are one subscript: O(1) anywhere (``benchmarks/list_complexity.py`` measures
  LINDEX in the middle of a 1,000,000-element list against both ends).
* LRANGE is one slice; LTRIM two ``del`` of slices; LINSERT ``list.insert`` (a C memmove);
  searches (LREM, LPOS, LINSERT's pivot) use ``list.index`` (a C loop), backwards in growing
  reversed chunks so that a match near the tail costs O(distance), as in Redis.

Values are the argument ``bytes`` as received (immutable, shared, no copy).  OBJECT ENCODING is
always ``quicklist`` in Redis 6.2 (:attr:`ListValue.encoding`).

Commands here: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LINDEX LSET LRANGE LTRIM LREM LINSERT
LPOS LMOVE RPOPLPUSH, and the blocking BLPOP BRPOP BLMOVE BRPOPLPUSH (see "Blocking" below).

Keyspace events are Redis's: lpush/rpush, lpop/rpop (+ del when the list empties), lset, linsert,
lrem, ltrim (even when nothing was trimmed, as Redis does); LMOVE notifies the push on the
destination *before* the pop on the source, exactly as lmoveHandlePush does.
"""

from __future__ import annotations

from functools import partial

from .. import errors, resp
from ..args import INT64_MIN, parse_timeout, to_int
from ..errors import RedisError
from ..keyspace import TYPE_NAMES
from ..registry import command

OK = resp.OK
EMPTY = resp.EMPTY_ARRAY
NilArray = resp.NilArray
LEFT, RIGHT = 0, 1


class ListValue:
    """A Redis list: live elements are ``a[h:]``; ``a[:h]`` is a gap of ``None`` for LPUSH.

    The deque-like methods (``append``, ``appendleft``, ``extend``, ``extendleft``, ``pop``,
    ``popleft``, ``len``, iteration, ``[i]``) are the API other modules (SORT, RDB, DUMP/RESTORE,
    COPY) should use; the list handlers below also work on ``a``/``h`` directly.
    """

    __slots__ = ("a", "h")
    encoding = b"quicklist"   # what OBJECT ENCODING reports for every list in Redis 6.2

    def __init__(self, items=()):
        self.a = list(items)
        self.h = 0

    def __len__(self):
        return len(self.a) - self.h

    def __bool__(self):
        return len(self.a) > self.h

    def __iter__(self):
        if self.h:
            return iter(self.a[self.h:])
        return iter(self.a)

    def __reversed__(self):
        return iter(self.a[:self.h - 1 if self.h else None:-1])

    def __getitem__(self, i):
        if type(i) is slice:
            return self.tolist()[i]
        n = len(self.a) - self.h
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("list index out of range")
        return self.a[self.h + i]

    def tolist(self) -> list:
        """The elements, head to tail, as a new ``list``."""
        return self.a[self.h:]

    def copy(self) -> "ListValue":
        return ListValue(self.a[self.h:])

    # ---- ends --------------------------------------------------------------------------------
    def append(self, v) -> None:
        self.a.append(v)

    def extend(self, vs) -> None:
        self.a.extend(vs)

    def appendleft(self, v) -> None:
        h = self.h
        if not h:
            h = self._grow_front(1)
        h -= 1
        self.a[h] = v
        self.h = h

    def extendleft(self, vs) -> None:
        """Push ``vs`` one by one at the head (so they end up reversed), as LPUSH a b c does."""
        vs = list(vs)
        k = len(vs)
        h = self.h
        if h < k:
            h = self._grow_front(k)
        vs.reverse()
        self.a[h - k:h] = vs
        self.h = h - k

    def _grow_front(self, k: int) -> int:
        """Make the front gap at least ``k`` (and at least the live length): one memmove."""
        a = self.a
        h = self.h
        live = len(a) - h
        gap = max(k, live, 8)
        a[:h] = [None] * gap
        self.h = gap
        return gap

    def popleft(self):
        a = self.a
        h = self.h
        v = a[h]
        a[h] = None
        h += 1
        self.h = h
        if h > 32 and h > 2 * (len(a) - h):
            self._shrink_front()
        return v

    def pop(self):
        a = self.a
        v = a.pop()
        h = self.h
        if h > 32 and h > 2 * (len(a) - h):
            self._shrink_front()
        return v

    def _shrink_front(self) -> None:
        """The gap outgrew the list: keep a gap of half the live length."""
        a = self.a
        h = self.h
        g = (len(a) - h) >> 1
        del a[:h - g]
        self.h = g

    def popleft_n(self, k: int) -> list:
        """Pop up to ``k`` elements from the head, in pop order."""
        a = self.a
        h = self.h
        out = a[h:h + k]
        k = len(out)
        a[h:h + k] = [None] * k
        self.h = h + k
        if self.h > 32 and self.h > 2 * (len(a) - self.h):
            self._shrink_front()
        return out

    def pop_n(self, k: int) -> list:
        """Pop up to ``k`` elements from the tail, in pop order (tail first)."""
        a = self.a
        h = self.h
        start = len(a) - min(k, len(a) - h)
        out = a[start:]
        out.reverse()
        del a[start:]
        if h > 32 and h > 2 * (len(a) - h):
            self._shrink_front()
        return out


def _rfind(a: list, v, lo: int, hi: int) -> int:
    """Largest i in [lo, hi) with ``a[i] == v``, else -1; C-speed scan in growing chunks."""
    step = 64
    while hi > lo:
        start = hi - step if hi - step > lo else lo
        chunk = a[start:hi]
        chunk.reverse()
        try:
            return hi - 1 - chunk.index(v)
        except ValueError:
            pass
        hi = start
        if step < 1 << 16:
            step <<= 1
    return -1


TYPE_NAMES[ListValue] = b"list"


# ---- shared helpers -------------------------------------------------

def get_list(db, key, write: bool = False):
    """The ListValue at ``key``, None if absent, WRONGTYPE otherwise."""
    v = db.lookup_write(key) if write else db.lookup_read(key)
    if v is None or type(v) is ListValue:
        return v
    raise RedisError(errors.WRONGTYPE)


def after_pop(db, key, lst, where: int) -> None:
    """Notify a pop from ``key`` and delete it when it is now empty (popGenericCommand)."""
    db.changed(key, b"lpop" if where == LEFT else b"rpop", "l")
    if not lst:
        db.delete(key)
        db.server.notify(db, key, b"del", "g")


def move(db, srckey, dstkey, src, wherefrom: int, whereto: int):
    """Pop from ``src`` (the list at ``srckey``) and push onto ``dstkey`` (already checked to
    be a list or absent): lmoveGenericCommand + lmoveHandlePush.  Returns the element."""
    dst = src if dstkey == srckey else db.lookup_write(dstkey)
    v = src.popleft() if wherefrom == LEFT else src.pop()
    if dst is None:
        db.add(dstkey, ListValue((v,)))
    elif whereto == LEFT:
        dst.appendleft(v)
    else:
        dst.append(v)
    db.changed(dstkey, b"lpush" if whereto == LEFT else b"rpush", "l")
    after_pop(db, srckey, src, wherefrom)
    return v


def check_dst(db, dstkey) -> None:
    """WRONGTYPE if the destination exists and is not a list."""
    d = db.lookup_write(dstkey)
    if d is not None and type(d) is not ListValue:
        raise RedisError(errors.WRONGTYPE)


def parse_where(b: bytes) -> int:
    """LEFT|RIGHT (any case), else a syntax error (getListPositionFromObjectOrReply)."""
    s = b.lower()
    if s == b"left":
        return LEFT
    if s == b"right":
        return RIGHT
    raise RedisError(errors.SYNTAX)


WHERE_NAMES = (b"LEFT", b"RIGHT")


def _int(b: bytes) -> int:
    v = to_int(b)
    if v is None:
        raise RedisError(errors.NOT_INTEGER)
    return v


# ---- pushes -------------------------------------------------------------------------------------

@command("lpush", -3, "write denyoom fast", "@list", keys=(1, 1, 1))
def lpush(c, argv):
    "LPUSH key element [element ...]"
    db = c.db
    key = argv[1]
    lst = db.data.get(key)
    if lst is None or db.expires:
        lst = db.lookup_write(key)
    if lst is None:
        lst = ListValue(argv[:1:-1])
        db.add(key, lst)
    elif type(lst) is not ListValue:
        raise RedisError(errors.WRONGTYPE)
    elif len(argv) == 3:
        lst.appendleft(argv[2])
    else:
        lst.extendleft(argv[2:])
    db.changed(key, b"lpush", "l")
    return len(lst.a) - lst.h


@command("rpush", -3, "write denyoom fast", "@list", keys=(1, 1, 1))
def rpush(c, argv):
    "RPUSH key element [element ...]"
    db = c.db
    key = argv[1]
    lst = db.data.get(key)
    if lst is None or db.expires:
        lst = db.lookup_write(key)
    if lst is None:
        lst = ListValue(argv[2:])
        db.add(key, lst)
    elif type(lst) is not ListValue:
        raise RedisError(errors.WRONGTYPE)
    elif len(argv) == 3:
        lst.a.append(argv[2])
    else:
        lst.a.extend(argv[2:])
    db.changed(key, b"rpush", "l")
    return len(lst.a) - lst.h


@command("lpushx", -3, "write denyoom fast", "@list", keys=(1, 1, 1))
def lpushx(c, argv):
    "LPUSHX key element [element ...]"
    db = c.db
    lst = get_list(db, argv[1], True)
    if lst is None:
        return 0
    lst.extendleft(argv[2:])
    db.changed(argv[1], b"lpush", "l")
    return len(lst)


@command("rpushx", -3, "write denyoom fast", "@list", keys=(1, 1, 1))
def rpushx(c, argv):
    "RPUSHX key element [element ...]"
    db = c.db
    lst = get_list(db, argv[1], True)
    if lst is None:
        return 0
    lst.a.extend(argv[2:])
    db.changed(argv[1], b"rpush", "l")
    return len(lst)


# ---- pops ---------------------------------------------------------------------------------------

def _pop(c, argv, where: int):
    """popGenericCommand: [LR]POP key [count]."""
    n = len(argv)
    if n > 3:
        raise RedisError(errors.WRONG_ARITY % argv[0].decode("latin-1").lower())
    count = -1
    if n == 3:
        count = to_int(argv[2])
        if count is None or count < 0:
            raise RedisError(errors.NOT_POSITIVE)
    db = c.db
    key = argv[1]
    lst = db.data.get(key)
    if lst is None or db.expires:     # lazy expiry only matters when some key has a TTL
        lst = db.lookup_write(key)
    if lst is None:
        return None if count < 0 else NilArray
    if type(lst) is not ListValue:
        raise RedisError(errors.WRONGTYPE)
    if count < 0:
        v = lst.popleft() if where == LEFT else lst.pop()
    elif count == 0:
        return EMPTY
    else:
        v = lst.popleft_n(count) if where == LEFT else lst.pop_n(count)
    after_pop(db, key, lst, where)
    return v


@command("lpop", -2, "write fast", "@list", keys=(1, 1, 1))
def lpop(c, argv):
    "LPOP key [count]"
    return _pop(c, argv, LEFT)


@command("rpop", -2, "write fast", "@list", keys=(1, 1, 1))
def rpop(c, argv):
    "RPOP key [count]"
    return _pop(c, argv, RIGHT)


# ---- reads --------------------------------------------------------------------------------------

@command("llen", 2, "readonly fast", "@list", keys=(1, 1, 1))
def llen(c, argv):
    "LLEN key"
    lst = get_list(c.db, argv[1])
    return 0 if lst is None else len(lst.a) - lst.h


@command("lindex", 3, "readonly", "@list", keys=(1, 1, 1))
def lindex(c, argv):
    "LINDEX key index"
    lst = get_list(c.db, argv[1])
    if lst is None:
        return None
    i = _int(argv[2])
    a = lst.a
    h = lst.h
    if i < 0:
        i += len(a)
        return a[i] if i >= h else None
    i += h
    return a[i] if i < len(a) else None


def _range(lst, start: int, end: int):
    """Clamp a Redis [start, end] range to (lo, hi) offsets into ``lst.a``, or None if empty."""
    h = lst.h
    n = len(lst.a) - h
    if start < 0:
        start += n
        if start < 0:
            start = 0
    if end < 0:
        end += n
    if start > end or start >= n:
        return None
    if end >= n:
        end = n - 1
    return h + start, h + end + 1


@command("lrange", 4, "readonly", "@list", keys=(1, 1, 1))
def lrange(c, argv):
    "LRANGE key start stop"
    start = _int(argv[2])
    end = _int(argv[3])
    lst = get_list(c.db, argv[1])
    if lst is None:
        return EMPTY
    r = _range(lst, start, end)
    if r is None:
        return EMPTY
    return lst.a[r[0]:r[1]]


@command("lpos", -3, "readonly", "@list", keys=(1, 1, 1))
def lpos(c, argv):
    "LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]"
    rank, count, maxlen = 1, -1, 0
    n = len(argv)
    j = 3
    while j < n:
        opt = argv[j].lower()
        more = j + 1 < n
        if opt == b"rank" and more:
            j += 1
            rank = _int(argv[j])
            if rank == 0:
                raise RedisError(errors.LPOS_RANK_ZERO)
        elif opt == b"count" and more:
            j += 1
            count = to_int(argv[j])
            if count is None or count < 0:
                raise RedisError(errors.LPOS_COUNT_NEGATIVE)
        elif opt == b"maxlen" and more:
            j += 1
            maxlen = to_int(argv[j])
            if maxlen is None or maxlen < 0:
                raise RedisError(errors.LPOS_MAXLEN_NEGATIVE)
        else:
            raise RedisError(errors.SYNTAX)
        j += 1
    lst = get_list(c.db, argv[1])
    if lst is None:
        return EMPTY if count != -1 else None
    ele = argv[2]
    if rank == INT64_MIN:
        # Redis negates LONG_MIN (which stays LONG_MIN) and its COUNT test overflows: it
        # returns the first match from the tail, or every match from the tail with COUNT.
        rank, limit, backwards = 1, 0, True
    else:
        backwards = rank < 0
        if backwards:
            rank = -rank
        limit = count
    a = lst.a
    h = lst.h
    llen = len(a) - h
    span = llen if not maxlen or maxlen > llen else maxlen
    found = []
    matches = 0
    if backwards:
        lo = len(a) - span
        hi = len(a)
        while True:
            i = _rfind(a, ele, lo, hi)
            if i < 0:
                break
            matches += 1
            if matches >= rank:
                found.append(i - h)
                if count == -1 or (limit and len(found) >= limit):
                    break
            hi = i
    else:
        lo = h
        hi = h + span
        while True:
            try:
                i = a.index(ele, lo, hi)
            except ValueError:
                break
            matches += 1
            if matches >= rank:
                found.append(i - h)
                if count == -1 or (limit and len(found) >= limit):
                    break
            lo = i + 1
    if count == -1:
        return found[0] if found else None
    return found


# ---- in-place edits -----------------------------------------------------------------------------

@command("lset", 4, "write denyoom", "@list", keys=(1, 1, 1))
def lset(c, argv):
    "LSET key index element"
    db = c.db
    lst = db.lookup_write(argv[1])
    if lst is None:
        raise RedisError(errors.NO_SUCH_KEY)
    if type(lst) is not ListValue:
        raise RedisError(errors.WRONGTYPE)
    i = _int(argv[2])
    a = lst.a
    h = lst.h
    i = i + len(a) if i < 0 else i + h
    if not h <= i < len(a):
        raise RedisError(errors.INDEX_OUT_OF_RANGE)
    a[i] = argv[3]
    db.changed(argv[1], b"lset", "l")
    return OK


@command("ltrim", 4, "write", "@list", keys=(1, 1, 1))
def ltrim(c, argv):
    "LTRIM key start stop"
    start = _int(argv[2])
    end = _int(argv[3])
    db = c.db
    key = argv[1]
    lst = get_list(db, key, True)
    if lst is None:
        return OK
    a = lst.a
    r = _range(lst, start, end)
    srv = db.server
    if r is None:
        db.delete(key)
        db.changed(key, b"ltrim", "l")
        srv.notify(db, key, b"del", "g")
        return OK
    lo, hi = r
    if lo == lst.h and hi == len(a):
        # Nothing to trim: Redis still notifies "ltrim" and touches WATCH, but logs nothing.
        srv.on_key_change(db, key)
        srv.notify(db, key, b"ltrim", "l")
        return OK
    del a[hi:]
    del a[:lo]
    lst.h = 0
    db.changed(key, b"ltrim", "l")
    return OK


@command("lrem", 4, "write", "@list", keys=(1, 1, 1))
def lrem(c, argv):
    "LREM key count element"
    count = _int(argv[2])
    db = c.db
    key = argv[1]
    lst = get_list(db, key, True)
    if lst is None:
        return 0
    v = argv[3]
    a = lst.a
    h = lst.h
    if count == 0:
        removed = a.count(v)
        if not removed:
            return 0
        lst.a = list(filter(v.__ne__, a[h:] if h else a))
        lst.h = 0
    else:
        idx = []
        if count > 0:
            i = h
            while len(idx) < count:
                try:
                    i = a.index(v, i)
                except ValueError:
                    break
                idx.append(i)
                i += 1
        else:
            hi = len(a)
            while len(idx) < -count:
                i = _rfind(a, v, h, hi)
                if i < 0:
                    break
                idx.append(i)
                hi = i
            idx.reverse()
        removed = len(idx)
        if not removed:
            return 0
        if removed == 1:
            i = idx[0]
            if i == h:
                a[i] = None
                lst.h = h + 1
            else:
                del a[i]
        else:
            out = a[h:idx[0]]
            for p, q in zip(idx, idx[1:], strict=False):
                out += a[p + 1:q]
            out += a[idx[-1] + 1:]
            lst.a = out
            lst.h = 0
    db.changed(key, b"lrem", "l")
    if not lst:
        db.delete(key)
        db.server.notify(db, key, b"del", "g")
    return removed


@command("linsert", 5, "write denyoom", "@list", keys=(1, 1, 1))
def linsert(c, argv):
    "LINSERT key BEFORE|AFTER pivot element"
    where = argv[2].lower()
    if where == b"after":
        after = True
    elif where == b"before":
        after = False
    else:
        raise RedisError(errors.SYNTAX)
    db = c.db
    lst = get_list(db, argv[1], True)
    if lst is None:
        return 0
    a = lst.a
    h = lst.h
    try:
        i = a.index(argv[3], h)
    except ValueError:
        return -1
    if after:
        a.insert(i + 1, argv[4])
    elif i == h and h:
        a[h - 1] = argv[4]
        lst.h = h - 1
    else:
        a.insert(i, argv[4])
    db.changed(argv[1], b"linsert", "l")
    return len(a) - lst.h


# ---- moves --------------------------------------------------------------------------------------

def lmove_generic(c, srckey, dstkey, wherefrom: int, whereto: int):
    """lmoveGenericCommand: the moved element, or None when the source is missing."""
    db = c.db
    src = get_list(db, srckey, True)
    if src is None:
        return None
    check_dst(db, dstkey)
    return move(db, srckey, dstkey, src, wherefrom, whereto)


@command("lmove", 5, "write denyoom", "@list", keys=(1, 2, 1))
def lmove(c, argv):
    "LMOVE source destination LEFT|RIGHT LEFT|RIGHT"
    wherefrom = parse_where(argv[3])
    whereto = parse_where(argv[4])
    return lmove_generic(c, argv[1], argv[2], wherefrom, whereto)


@command("rpoplpush", 3, "write denyoom", "@list", keys=(1, 2, 1))
def rpoplpush(c, argv):
    "RPOPLPUSH source destination"
    return lmove_generic(c, argv[1], argv[2], RIGHT, LEFT)

# ---- blocking -----------------------------------------------------------------------------------
# A blocking pop on a key that holds elements is served at once, like the non-blocking command
# it amounts to (and logged as that: LPOP/RPOP/LMOVE/RPOPLPUSH).  Otherwise the client is parked
# with ``server.block``: blocked clients wait FIFO per key, and after every command the server
# calls ``on_ready(c, key)`` for the keys that command touched, in order, while they hold
# elements.  ``on_ready`` returns None (keep waiting: the key is missing or not a list, as Redis
# ignores a key that became another type) or the reply.  Inside MULTI/EXEC ``block`` returns
# the null array at once: BLPOP replies ``*-1`` there, BLMOVE a null bulk (Redis's
# CLIENT_DENY_BLOCKING paths differ).  On timeout every one of them replies the null array.

def _serve_pop(c, db, key, lst, where: int):
    v = lst.popleft() if where == LEFT else lst.pop()
    after_pop(db, key, lst, where)
    c.server.propagate(db, [b"LPOP" if where == LEFT else b"RPOP", key])
    return [key, v]


def _ready_left(c, key):
    lst = c.db.lookup_write(key)
    if lst is None or type(lst) is not ListValue:
        return None
    return _serve_pop(c, c.db, key, lst, LEFT)


def _ready_right(c, key):
    lst = c.db.lookup_write(key)
    if lst is None or type(lst) is not ListValue:
        return None
    return _serve_pop(c, c.db, key, lst, RIGHT)


def _bpop(c, argv, where: int):
    """blockingPopGenericCommand: the first non-empty key in argument order is popped."""
    timeout = parse_timeout(argv[-1])
    db = c.db
    keys = argv[1:-1]
    for key in keys:
        lst = db.lookup_write(key)
        if lst is not None:
            if type(lst) is not ListValue:
                raise RedisError(errors.WRONGTYPE)
            return _serve_pop(c, db, key, lst, where)
    return c.server.block(c, keys, timeout, _ready_left if where == LEFT else _ready_right, btype=b"list")


@command("blpop", -3, "write noscript blocking", "@list", keys=(1, -2, 1))
def blpop(c, argv):
    "BLPOP key [key ...] timeout"
    return _bpop(c, argv, LEFT)


@command("brpop", -3, "write noscript blocking", "@list", keys=(1, -2, 1))
def brpop(c, argv):
    "BRPOP key [key ...] timeout"
    return _bpop(c, argv, RIGHT)


def _propagate_move(c, db, srckey, dstkey, wherefrom, whereto, rpoplpush):
    if rpoplpush:
        c.server.propagate(db, [b"RPOPLPUSH", srckey, dstkey])
    else:
        c.server.propagate(db, [b"LMOVE", srckey, dstkey, WHERE_NAMES[wherefrom],
                                WHERE_NAMES[whereto]])


def _ready_move(dstkey, wherefrom, whereto, rpoplpush, c, key):
    """serveClientBlockedOnList for BLMOVE: a destination of the wrong type answers WRONGTYPE
    to the blocked client and leaves the source as it was."""
    db = c.db
    src = db.lookup_write(key)
    if src is None or type(src) is not ListValue:
        return None
    d = db.lookup_write(dstkey)
    if d is not None and type(d) is not ListValue:
        err = RedisError(errors.WRONGTYPE)
        c.server.count_error(err)
        return err
    v = move(db, key, dstkey, src, wherefrom, whereto)
    _propagate_move(c, db, key, dstkey, wherefrom, whereto, rpoplpush)
    return v


def _blmove(c, srckey, dstkey, wherefrom, whereto, timeout, rpoplpush):
    """blmoveGenericCommand."""
    db = c.db
    src = get_list(db, srckey, True)
    if src is None:
        r = c.server.block(c, [srckey], timeout,
                           partial(_ready_move, dstkey, wherefrom, whereto, rpoplpush), btype=b"list")
        return None if r is NilArray else r
    check_dst(db, dstkey)
    v = move(db, srckey, dstkey, src, wherefrom, whereto)
    _propagate_move(c, db, srckey, dstkey, wherefrom, whereto, rpoplpush)
    return v


@command("blmove", 6, "write denyoom noscript blocking", "@list", keys=(1, 2, 1))
def blmove(c, argv):
    "BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout"
    wherefrom = parse_where(argv[3])
    whereto = parse_where(argv[4])
    timeout = parse_timeout(argv[5])
    return _blmove(c, argv[1], argv[2], wherefrom, whereto, timeout, False)


@command("brpoplpush", 4, "write denyoom noscript blocking", "@list", keys=(1, 2, 1))
def brpoplpush(c, argv):
    "BRPOPLPUSH source destination timeout"
    timeout = parse_timeout(argv[3])
    return _blmove(c, argv[1], argv[2], RIGHT, LEFT, timeout, True)
