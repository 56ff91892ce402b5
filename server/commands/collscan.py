"""HSCAN / SSCAN (and ZSCAN) machinery: cursor and option parsing, incremental iteration.

Redis walks a collection's hash table with a reverse-binary cursor (``dictScan``).  Python's
``dict``/``set`` expose no buckets, so Perdure orders a collection by a 62-bit hash of each
member instead and uses "the next hash to visit" as the cursor:

* a call returns the ``COUNT`` members with the smallest hashes >= cursor (members sharing a
  hash are never split across calls), then the next cursor, or 0 when the walk is over;
* the ordering is a sorted snapshot taken when a walk starts (cursor 0) and cached per
  object, so a whole walk costs O(n log n) once and O(COUNT) per call;
* members that disappear after the snapshot are skipped; members added after it may be missed.
  That is exactly SCAN's contract: a member present for the whole iteration is returned, one
  that comes or goes in between may or may not be.

Compact encodings (ziplist hashes/zsets, intsets) are not walked: Redis returns all of them
in one call with cursor 0, whatever the cursor given, and so do the callers here.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import OrderedDict

from .. import errors
from ..args import parse_int
from ..errors import RedisError
from ..glob import compile_glob

INVALID_CURSOR = "ERR invalid cursor"

_MASK = (1 << 62) - 1
_ULONG_MAX = (1 << 64) - 1
_CACHE_MAX = 16
_cache: OrderedDict = OrderedDict()  # id(obj) -> (obj, sorted hashes, members in that order)


def parse_cursor(b: bytes) -> int:
    """parseScanCursorOrReply: ``strtoul`` base 10, no leading space, whole string, no ERANGE.

    Like C, ``""`` is 0, ``+5`` is 5 and ``-1`` wraps to 2**64-1.
    """
    if not b:
        return 0
    i = 0
    neg = False
    if b[0] in b"+-":
        neg = b[0] == 0x2D
        i = 1
    digits = b[i:]
    if not digits.isdigit() or not digits.isascii():
        raise RedisError(INVALID_CURSOR)
    v = int(digits)
    if v > _ULONG_MAX:
        raise RedisError(INVALID_CURSOR)
    return (-v) & _ULONG_MAX if neg else v


def parse_options(argv, i: int):
    """scanGenericCommand's option loop for a collection scan: (count, match predicate|None).

    Options are read in order; COUNT < 1, an unknown word or a missing value is a syntax
    error (TYPE is a SCAN-only option, so it is a syntax error here).
    """
    count = 10
    match = None
    n = len(argv)
    while i < n:
        opt = argv[i].lower()
        if n - i < 2:
            raise RedisError(errors.SYNTAX)
        if opt == b"count":
            count = parse_int(argv[i + 1])
            if count < 1:
                raise RedisError(errors.SYNTAX)
        elif opt == b"match":
            pat = argv[i + 1]
            match = None if pat == b"*" else compile_glob(pat)
        else:
            raise RedisError(errors.SYNTAX)
        i += 2
    return count, match


def _snapshot(obj, fresh: bool):
    key = id(obj)
    ent = _cache.get(key)
    if ent is not None and ent[0] is obj and not fresh:
        _cache.move_to_end(key)
        return ent
    pairs = sorted([(hash(m) & _MASK, m) for m in obj])
    ent = (obj, [p[0] for p in pairs], [p[1] for p in pairs])
    _cache[key] = ent
    _cache.move_to_end(key)
    while len(_cache) > _CACHE_MAX:
        _cache.popitem(last=False)
    return ent


def scan_step(obj, cursor: int, count: int):
    """One step of an incremental walk of ``obj`` (a dict, set or any iterable of hashables
    supporting ``in``): ``(next_cursor, members)``; members are still present in ``obj``."""
    if cursor > _MASK + 1:
        return 0, []
    ent = _snapshot(obj, cursor == 0)
    hs, ms = ent[1], ent[2]
    n = len(hs)
    i = bisect_left(hs, cursor)
    j = i + count
    if j >= n:
        j = n
    else:
        last = hs[j - 1]
        while j < n and hs[j] == last:
            j += 1
    out = [m for m in ms[i:j] if m in obj]
    return (0 if j >= n else hs[j - 1] + 1), out


def forget(obj) -> None:
    """Drop the cached ordering of ``obj`` (call when the collection is deleted/emptied)."""
    ent = _cache.get(id(obj))
    if ent is not None and ent[0] is obj:
        del _cache[id(obj)]


def reply(cursor: int, items: list) -> list:
    return [b"%d" % cursor, items]
