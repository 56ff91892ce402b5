"""SORT (sort.c).  Redis 6.2 has no SORT_RO (7.0 added it).

``SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA]
[STORE destination]`` over a list, a set or a sorted set, read through the value classes their
families register (:data:`~perdure.server.keyspace.TYPE_NAMES` names them ``list``, ``set``,
``zset``): iterating a list yields its elements head to tail, a set its members (an intset --
``ht`` False -- is iterated in ascending integer order, as Redis walks an intset), a sorted
set its members by score.

Comparisons follow ``sortCompare``:

* numeric: the score is ``strtod`` of the element (or of the BY value; a missing BY key counts
  as 0) and must consume the whole C string without ERANGE or NaN, else the reply is
  ``One or more scores can't be converted into double``; equal scores are ordered by the
  elements' bytes, so the result is total;
* ALPHA: ``strcoll`` without STORE (Perdure assumes the C / C.UTF-8 collation: bytes up to the
  first NUL), plain byte order with STORE; with BY, a missing value sorts first and equal
  values keep their input order (C's qsort is a stable merge sort in glibc).

``BY`` a pattern without ``*`` means "do not sort" (``nosort``); a set is then still sorted
(ALPHA) when the result is stored, so that the stored list is deterministic.

Effects log: SORT ... STORE is logged verbatim -- it replays to the same list -- except when its
order depends on a set's iteration order (ALPHA with a BY pattern on a set: ties keep that
order), where it is logged as its result: ``DEL dst`` + ``RPUSH dst ...``.
"""

from __future__ import annotations

import ctypes
import math

from .. import errors
from ..args import to_int
from ..errors import RedisError
from ..keyspace import TYPE_NAMES
from ..registry import command

_CONVERSION_ERROR = "ERR One or more scores can't be converted into double"
_INF = math.inf
_DBL_MIN = 2.2250738585072014e-308
_FAST = frozenset(b"0123456789.+-eE")
_RPUSH_CHUNK = 1024

_libc = ctypes.CDLL(None, use_errno=True)
_strtod = _libc.strtod
_strtod.restype = ctypes.c_double
_strtod.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p)]
_ERANGE = 34


def _strtod_score(b: bytes):
    """``strtod`` as sortCommand checks it: the whole C string, no ERANGE, no NaN; else None."""
    if not b:
        return 0.0  # no conversion, and eptr already points at the terminating NUL
    if _FAST.issuperset(b):
        try:
            v = float(b)
        except ValueError:
            return None
        if _DBL_MIN < abs(v) < _INF:
            return v
        if v == 0.0 and not any(0x31 <= ch <= 0x39 for ch in b.split(b"e")[0].split(b"E")[0]):
            return v
        if abs(v) == _INF:
            return None  # overflow: ERANGE
    # the exact C function for everything else: whitespace, hex, inf/nan words, tiny numbers
    buf = ctypes.create_string_buffer(b)
    end = ctypes.c_char_p()
    ctypes.set_errno(0)
    v = _strtod(buf, ctypes.byref(end))
    if ctypes.get_errno() == _ERANGE or v != v:
        return None
    consumed = ctypes.cast(end, ctypes.c_void_p).value - ctypes.addressof(buf)
    nul = b.find(b"\x00")
    if consumed != (len(b) if nul < 0 else nul):
        return None
    return v


def _cstr(b: bytes) -> bytes:
    """The C string view of ``b``: up to its first NUL."""
    return b.split(b"\x00", 1)[0] if b"\x00" in b else b


def lookup_by_pattern(db, pattern: bytes, subst: bytes, write: bool):
    """lookupKeyByPattern: ``#`` is the element itself; ``*`` is replaced by the element;
    ``key->field`` reads a hash field.  None when the key, the field or the ``*`` is missing,
    or when the key holds the wrong type."""
    if pattern[:1] == b"#" and (len(pattern) == 1 or pattern[1] == 0):
        return subst
    cpat = _cstr(pattern)
    p = cpat.find(b"*")
    if p < 0:
        return None
    f = cpat.find(b"->", p + 1)
    if f >= 0 and f + 2 < len(pattern) and pattern[f + 2] != 0:
        field = pattern[f + 2:]
        post_end = len(pattern) - len(field) - 2
    else:
        field = None
        post_end = len(pattern)
    key = pattern[:p] + subst + pattern[p + 1:post_end]
    o = db.lookup_write(key) if write else db.lookup_read(key)
    if o is None:
        return None
    if field is not None:
        if type(o) is not dict:
            return None
        return o.get(field)
    return o if type(o) is bytes else None


def sort_getkeys(argv) -> list:
    """sortGetKeys: the sorted key and the last STORE destination (options are skipped the way
    Redis skips them: LIMIT takes 2 arguments, GET and BY take 1, STORE's key is re-read)."""
    keys = [argv[1]]
    store = None
    n = len(argv)
    i = 2
    while i < n:
        a = argv[i].lower()
        if a == b"limit":
            i += 2
        elif a == b"store" and i + 1 < n:
            store = argv[i + 1]
        elif a == b"get" or a == b"by":
            i += 1
        i += 1
    if store is not None:
        keys.append(store)
    return keys


def _from_script(c) -> bool:
    return getattr(c, "conn_type", "normal") == "lua"


def _members(v, kind: bytes) -> list:
    if kind == b"set" and getattr(v, "ht", True) is False:
        return sorted(v, key=int)  # an intset is walked in ascending order
    return list(v)


@command("sort", -2, "write denyoom", "@set @sortedset @list @dangerous", keys=(1, 1, 1),
         getkeys=sort_getkeys)
def sort(c, argv):
    "SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA] [STORE destination]"
    desc = alpha = dontsort = False
    limit_start, limit_count = 0, -1
    sortby = storekey = None
    getops = []
    cluster = c.server.cluster is not None
    n = len(argv)
    j = 2
    while j < n:
        opt = argv[j].lower()
        left = n - j - 1
        if opt == b"asc":
            desc = False
        elif opt == b"desc":
            desc = True
        elif opt == b"alpha":
            alpha = True
        elif opt == b"limit" and left >= 2:
            limit_start = to_int(argv[j + 1])
            limit_count = to_int(argv[j + 2])
            if limit_start is None or limit_count is None:
                raise RedisError(errors.NOT_INTEGER)
            j += 2
        elif opt == b"store" and left >= 1:
            storekey = argv[j + 1]
            j += 1
        elif opt == b"by" and left >= 1:
            sortby = argv[j + 1]
            if b"*" not in _cstr(sortby):
                dontsort = True
            elif cluster:
                raise RedisError("ERR BY option of SORT denied in Cluster mode.")
            j += 1
        elif opt == b"get" and left >= 1:
            if cluster:
                raise RedisError("ERR GET option of SORT denied in Cluster mode.")
            getops.append(argv[j + 1])
            j += 1
        else:
            raise RedisError(errors.SYNTAX)
        j += 1

    db = c.db
    write = storekey is not None
    v = db.lookup_write(argv[1]) if write else db.lookup_read(argv[1])
    if v is None:
        kind = b"list"
        v = ()
    else:
        kind = TYPE_NAMES.get(type(v))
        if kind not in (b"list", b"set", b"zset"):
            raise RedisError(errors.WRONGTYPE)

    set_order_matters = False
    if dontsort and kind == b"set" and (write or _from_script(c)):
        dontsort = False  # a stored (or scripted) set result must not depend on set order
        alpha = True
        sortby = None
    if kind == b"zset":
        v.ziplist = False  # "Destructively convert encoded sorted sets for SORT" (sort.c)

    vectorlen = len(v)
    start = 0 if limit_start < 0 else limit_start
    end = vectorlen - 1 if limit_count < 0 else start + limit_count - 1
    if start >= vectorlen:
        start = vectorlen - 1
        end = vectorlen - 2
    if end >= vectorlen:
        end = vectorlen - 1

    if dontsort and kind != b"set":
        # lists and sorted sets keep their own order: read the range directly
        items = list(v)
        if desc:
            items.reverse()
        vector = items[start:end + 1] if end >= start else []
        end -= start
        start = 0
    else:
        vector = _members(v, kind)
        if not dontsort:
            vector = _sorted(db, vector, sortby, alpha, desc, write)
            if alpha and sortby is not None and kind == b"set":
                set_order_matters = True

    out = vector[start:end + 1] if end >= start else []
    if getops:
        rows = []
        own = None if write else c.own_pushes  # a RESP3 subscriber's own keymiss (notify.py)
        for el in out:
            for pat in getops:
                n = len(own) if own is not None else 0
                rows.append(lookup_by_pattern(db, pat, el, write))
                if own is not None and len(own) > n:  # Redis writes it just before this element
                    own[n:] = [(e[0], e[1], len(rows) - 1) for e in own[n:]]
    else:
        rows = out

    if not write:
        return rows

    from .lists import ListValue

    srv = c.server
    if rows:
        items = [b"" if x is None else x for x in rows]
        db.set(storekey, ListValue(items))
        db.changed(storekey, b"sortstore", "l")
        if set_order_matters:
            srv.propagate(db, [b"DEL", storekey])
            for i in range(0, len(items), _RPUSH_CHUNK):
                srv.propagate(db, [b"RPUSH", storekey] + items[i:i + _RPUSH_CHUNK])
    elif db.delete(storekey):
        db.changed(storekey, b"del", "g")
        if set_order_matters:
            srv.propagate(db, [b"DEL", storekey])
    return len(rows)


def _sorted(db, vector: list, sortby, alpha: bool, desc: bool, write: bool) -> list:
    """The sorting step of sortCommand (scores / compare objects, then sortCompare)."""
    if alpha:
        if sortby is None:
            if write:
                return sorted(vector, reverse=desc)                       # binary
            return sorted(vector, key=_cstr, reverse=desc)                # strcoll (C locale)
        cmp_key = (lambda x: x) if write else _cstr
        keyed = []
        for el in vector:
            by = lookup_by_pattern(db, sortby, el, write)
            keyed.append(((0, b"") if by is None else (1, cmp_key(by)), el))
        keyed.sort(key=lambda t: t[0], reverse=desc)
        return [el for _k, el in keyed]
    keyed = []
    failed = False
    for el in vector:
        if sortby is None:
            score = _strtod_score(el)
        else:
            by = lookup_by_pattern(db, sortby, el, write)
            score = 0.0 if by is None else _strtod_score(by)
        if score is None:
            failed = True
            score = 0.0
        keyed.append((score, el))
    if failed:
        raise RedisError(_CONVERSION_ERROR)
    keyed.sort(reverse=desc)
    return [el for _s, el in keyed]
