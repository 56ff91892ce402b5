"""Sorted-set commands (t_zset.c): ZADD/ZINCRBY, ZREM*, the ZRANGE family, ZPOP*/BZPOP*,
ZRANDMEMBER, ZUNION/ZINTER/ZDIFF[STORE], ZSCAN.

The value type and the range parsers live in :mod:`.zset_type`.  As in Redis, variants share
one generic function: every ZRANGE-like command goes through :func:`zrange_generic`
(zrangeGenericCommand), every set operation through :func:`setop_generic`
(zunionInterDiffGenericCommand).

Effects log: everything here is deterministic given the same data, so commands are logged
verbatim (ZPOPMIN with a count pops the same members on replay), except BZPOPMIN/BZPOPMAX,
which are logged as the ``ZPOPMIN key`` / ``ZPOPMAX key`` they performed -- exactly what Redis
propagates -- because replaying a blocking command could block.
"""

from __future__ import annotations

import random

from .. import errors, resp
from ..args import INT64_MAX, parse_int, parse_timeout, to_int
from ..errors import RedisError
from ..keyspace import TYPE_NAMES
from ..registry import command
from . import collscan
from .keys import COPY_FUNCS, ENCODING_FUNCS
from .zset_type import (
    DIFF,
    INTER,
    UNION,
    ZSet,
    combine,
    encoding_of,
    get_zset,
    limits,
    parse_lex_range,
    parse_score,
    parse_score_range,
    setop_keys,
    setop_store_keys,
)

# OBJECT ENCODING and COPY for sorted sets (the registries of the generic key commands).
ENCODING_FUNCS[ZSet] = lambda v, config: encoding_of(v)
COPY_FUNCS[ZSet] = ZSet.copy

Double = resp.Double
SYNTAX = errors.SYNTAX
NAN_SCORE = "ERR resulting score is not a number (NaN)"
XX_NX = "ERR XX and NX options at the same time are not compatible"
GT_LT_NX = "ERR GT, LT, and/or NX options at the same time are not compatible"
INCR_PAIR = "ERR INCR option supports a single increment-element pair"
LIMIT_RANK = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
WITHSCORES_LEX = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
NUMKEYS = "ERR at least 1 input key is needed for %s"
RANDMEMBER_RANGE = ("ERR value is out of range, value must between -9223372036854775807 and "
                    "9223372036854775807")
OUT_OF_RANGE = "ERR value is out of range"


def _reply_items(c, items, withscores: bool):
    """``(score, member)`` pairs as ZRANGE replies them: members, or member/score pairs
    (flat in RESP2, nested two-element arrays in RESP3)."""
    if not withscores:
        return [m for _s, m in items]
    if c.proto == 2:
        out = []
        app = out.append
        for s, m in items:
            app(m)
            app(Double(s))
        return out
    return [[m, Double(s)] for s, m in items]


# ---- ZADD / ZINCRBY ---------------------------------------------------------------------------

_ZADD_FLAGS = {b"nx": 1, b"xx": 2, b"ch": 4, b"incr": 8, b"gt": 16, b"lt": 32}


def zadd_generic(c, argv, incr: bool):
    """zaddGenericCommand: ZADD and ZINCRBY (which is ZADD INCR with the same option parser)."""
    n = len(argv)
    i = 2
    flags = 8 if incr else 0
    get = _ZADD_FLAGS.get
    while i < n:
        f = get(argv[i].lower())
        if f is None:
            break
        flags |= f
        i += 1
    elements = n - i
    if elements & 1 or not elements:
        raise RedisError(SYNTAX)
    nx = flags & 1
    xx = flags & 2
    gt = flags & 16
    lt = flags & 32
    incr = flags & 8
    if nx and xx:
        raise RedisError(XX_NX)
    if (gt and nx) or (lt and nx) or (gt and lt):
        raise RedisError(GT_LT_NX)
    if incr and elements > 2:
        raise RedisError(INCR_PAIR)
    scores = [parse_score(argv[j]) for j in range(i, n, 2)]

    db = c.db
    key = argv[1]
    z = get_zset(db, key, True)
    created = False
    if z is None:
        if xx:
            return None if incr else 0
        ent, val = limits(c.server)
        z = ZSet(ent != 0 and len(argv[i + 1]) <= val)
        created = True
    else:
        ent = val = None
    d = z.d
    added = updated = processed = 0
    score = 0.0
    j = i + 1
    for score in scores:
        m = argv[j]
        j += 2
        cur = d.get(m)
        if cur is not None:
            if nx:
                continue
            if incr:
                score += cur
                if score != score:
                    raise RedisError(NAN_SCORE)
            if (lt and score >= cur) or (gt and score <= cur):
                continue
            processed += 1
            if score != cur:
                z.update(m, cur, score)
                updated += 1
        elif not xx:
            if ent is None:
                ent, val = limits(c.server)
            z.insert(m, score, ent, val)
            added += 1
            processed += 1
    if added or updated:
        if created:
            db.add(key, z)
        db.changed(key, b"zincr" if incr else b"zadd", "z")
    if incr:
        return Double(score) if processed else None
    return added + updated if flags & 4 else added


@command("zadd", -4, "write denyoom fast", "@sortedset", keys=(1, 1, 1))
def zadd(c, argv):
    "ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]"
    return zadd_generic(c, argv, False)


@command("zincrby", 4, "write denyoom fast", "@sortedset", keys=(1, 1, 1))
def zincrby(c, argv):
    "ZINCRBY key increment member"
    return zadd_generic(c, argv, True)


# ---- simple reads and ZREM ------------------------------------------------------------------


@command("zrem", -3, "write fast", "@sortedset", keys=(1, 1, 1))
def zrem(c, argv):
    "ZREM key member [member ...]"
    db = c.db
    key = argv[1]
    z = get_zset(db, key, True)
    if z is None:
        return 0
    deleted = 0
    for m in argv[2:]:
        if z.remove(m):
            deleted += 1
            if not z.d:
                break
    if deleted:
        _changed(c, key, z, b"zrem")
    return deleted


def _changed(c, key, z, event: bytes) -> None:
    """Signal a modified zset; delete it (and notify ``del``) when it became empty."""
    db = c.db
    if z.d:
        db.changed(key, event, "z")
    else:
        db.delete(key)
        collscan.forget(z.d)
        db.changed(key, event, "z")
        c.server.notify(db, key, b"del", "g")


@command("zcard", 2, "readonly fast", "@sortedset", keys=(1, 1, 1))
def zcard(c, argv):
    "ZCARD key"
    z = get_zset(c.db, argv[1])
    return 0 if z is None else len(z.d)


@command("zscore", 3, "readonly fast", "@sortedset", keys=(1, 1, 1))
def zscore(c, argv):
    "ZSCORE key member"
    z = get_zset(c.db, argv[1])
    if z is None:
        return None
    s = z.d.get(argv[2])
    return None if s is None else Double(s)


@command("zmscore", -3, "readonly fast", "@sortedset", keys=(1, 1, 1))
def zmscore(c, argv):
    "ZMSCORE key member [member ...]"
    z = get_zset(c.db, argv[1])
    if z is None:
        return [None] * (len(argv) - 2)
    get = z.d.get
    out = []
    for m in argv[2:]:
        s = get(m)
        out.append(None if s is None else Double(s))
    return out


def _rank(c, argv, rev: bool):
    z = get_zset(c.db, argv[1])
    if z is None:
        return None
    r = z.rank(argv[2])
    if r is None:
        return None
    return len(z.d) - 1 - r if rev else r


@command("zrank", 3, "readonly fast", "@sortedset", keys=(1, 1, 1))
def zrank(c, argv):
    "ZRANK key member"
    return _rank(c, argv, False)


@command("zrevrank", 3, "readonly fast", "@sortedset", keys=(1, 1, 1))
def zrevrank(c, argv):
    "ZREVRANK key member"
    return _rank(c, argv, True)


@command("zcount", 4, "readonly fast", "@sortedset", keys=(1, 1, 1))
def zcount(c, argv):
    "ZCOUNT key min max"
    rng = parse_score_range(argv[2], argv[3])
    z = get_zset(c.db, argv[1])
    if z is None:
        return 0
    a, b = z.score_range(rng)
    return b - a


@command("zlexcount", 4, "readonly fast", "@sortedset", keys=(1, 1, 1))
def zlexcount(c, argv):
    "ZLEXCOUNT key min max"
    rng = parse_lex_range(argv[2], argv[3])
    z = get_zset(c.db, argv[1])
    if z is None:
        return 0
    a, b = z.lex_range(rng)
    return b - a


# ---- the ZRANGE family ----------------------------------------------------------------------

RANK, SCORE, LEX = 0, 1, 2


def _window(lo: int, hi: int, offset: int, limit: int, rev: bool):
    """Apply LIMIT offset count to the positions [lo, hi); return (start, end) to islice."""
    if offset < 0:
        return 0, 0
    if rev:
        b = hi - offset
        a = lo if limit < 0 else max(lo, b - limit)
    else:
        a = lo + offset
        b = hi if limit < 0 else min(hi, a + limit)
    if b <= a:
        return 0, 0
    return a, b


def zrange_generic(c, argv, first: int, store: bool, rangetype, rev):
    """zrangeGenericCommand.  ``first`` is the index of the source key; ``rangetype`` (RANK,
    SCORE, LEX) and ``rev`` are None when the command leaves them to options (ZRANGE,
    ZRANGESTORE)."""
    n = len(argv)
    withscores = False
    offset = 0
    limit = -1
    j = first + 3
    while j < n:
        o = argv[j].lower()
        if o == b"withscores" and not store:
            withscores = True
        elif o == b"limit" and n - j - 1 >= 2:
            offset = parse_int(argv[j + 1])
            limit = parse_int(argv[j + 2])
            j += 2
        elif o == b"rev" and rev is None:
            rev = True
        elif o == b"bylex" and rangetype is None:
            rangetype = LEX
        elif o == b"byscore" and rangetype is None:
            rangetype = SCORE
        else:
            raise RedisError(SYNTAX)
        j += 1
    if rev is None:
        rev = False
    if rangetype is None:
        rangetype = RANK
    if limit != -1 and rangetype == RANK:
        raise RedisError(LIMIT_RANK)
    if withscores and rangetype == LEX:
        raise RedisError(WITHSCORES_LEX)
    amin, amax = argv[first + 1], argv[first + 2]
    if rev and rangetype != RANK:
        amin, amax = amax, amin
    if rangetype == RANK:
        start = parse_int(amin)
        end = parse_int(amax)
    elif rangetype == SCORE:
        rng = parse_score_range(amin, amax)
    else:
        rng = parse_lex_range(amin, amax)

    db = c.db
    z = get_zset(db, argv[first], store)
    if z is None:
        return _store_result(c, argv[1], {}) if store else []
    sl = z.sl
    if rangetype == RANK:
        llen = len(sl)
        if start < 0:
            start += llen
        if end < 0:
            end += llen
        if start < 0:
            start = 0
        if start > end or start >= llen:
            items = ()
        else:
            if end >= llen:
                end = llen - 1
            if rev:
                items = sl.islice(llen - 1 - end, llen - start, reverse=True)
            else:
                items = sl.islice(start, end + 1)
    else:
        if rangetype == SCORE:
            lo, hi = z.score_range(rng)
        elif rev:
            lo, hi = z.lex_range_rev(rng)
        else:
            lo, hi = z.lex_range(rng)
        a, b = _window(lo, hi, offset, limit, rev)
        items = sl.islice(a, b, reverse=rev) if b > a else ()
    if store:
        return _store_result(c, argv[1], {m: s for s, m in items})
    return _reply_items(c, items, withscores)


def _store_result(c, dst, scores: dict, event: bytes = b"zrangestore") -> int:
    """Store ``scores`` (member -> score) at ``dst`` as a new zset, or delete ``dst`` when
    empty; reply the cardinality (zrangeResultFinalizeStore / Z*STORE)."""
    db = c.db
    if scores:
        ent, val = limits(c.server)
        db.set(dst, ZSet.from_scores(scores, ent, val))
        db.changed(dst, event, "z")
        return len(scores)
    if db.delete(dst):
        db.changed(dst, b"del", "g")
    return 0


@command("zrange", -4, "readonly", "@sortedset", keys=(1, 1, 1))
def zrange(c, argv):
    "ZRANGE key min max [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]"
    return zrange_generic(c, argv, 1, False, None, None)


@command("zrangestore", -5, "write denyoom", "@sortedset", keys=(1, 2, 1))
def zrangestore(c, argv):
    "ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]"
    return zrange_generic(c, argv, 2, True, None, None)


@command("zrevrange", -4, "readonly", "@sortedset", keys=(1, 1, 1))
def zrevrange(c, argv):
    "ZREVRANGE key start stop [WITHSCORES]"
    return zrange_generic(c, argv, 1, False, RANK, True)


@command("zrangebyscore", -4, "readonly", "@sortedset", keys=(1, 1, 1))
def zrangebyscore(c, argv):
    "ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]"
    return zrange_generic(c, argv, 1, False, SCORE, False)


@command("zrevrangebyscore", -4, "readonly", "@sortedset", keys=(1, 1, 1))
def zrevrangebyscore(c, argv):
    "ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]"
    return zrange_generic(c, argv, 1, False, SCORE, True)


@command("zrangebylex", -4, "readonly", "@sortedset", keys=(1, 1, 1))
def zrangebylex(c, argv):
    "ZRANGEBYLEX key min max [LIMIT offset count]"
    return zrange_generic(c, argv, 1, False, LEX, False)


@command("zrevrangebylex", -4, "readonly", "@sortedset", keys=(1, 1, 1))
def zrevrangebylex(c, argv):
    "ZREVRANGEBYLEX key max min [LIMIT offset count]"
    return zrange_generic(c, argv, 1, False, LEX, True)


# ---- ZREMRANGEBY* ---------------------------------------------------------------------------

_REM_EVENTS = (b"zremrangebyrank", b"zremrangebyscore", b"zremrangebylex")


def _zremrange(c, argv, rangetype):
    """zremrangeGenericCommand."""
    if rangetype == RANK:
        start = parse_int(argv[2])
        end = parse_int(argv[3])
    elif rangetype == SCORE:
        rng = parse_score_range(argv[2], argv[3])
    else:
        rng = parse_lex_range(argv[2], argv[3])
    key = argv[1]
    z = get_zset(c.db, key, True)
    if z is None:
        return 0
    if rangetype == RANK:
        llen = len(z.d)
        if start < 0:
            start += llen
        if end < 0:
            end += llen
        if start < 0:
            start = 0
        if start > end or start >= llen:
            return 0
        if end >= llen:
            end = llen - 1
        a, b = start, end + 1
    elif rangetype == SCORE:
        a, b = z.score_range(rng)
    else:
        a, b = z.lex_range(rng)
    deleted = z.delete_range(a, b)
    if deleted:
        _changed(c, key, z, _REM_EVENTS[rangetype])
    return deleted


@command("zremrangebyrank", 4, "write", "@sortedset", keys=(1, 1, 1))
def zremrangebyrank(c, argv):
    "ZREMRANGEBYRANK key start stop"
    return _zremrange(c, argv, RANK)


@command("zremrangebyscore", 4, "write", "@sortedset", keys=(1, 1, 1))
def zremrangebyscore(c, argv):
    "ZREMRANGEBYSCORE key min max"
    return _zremrange(c, argv, SCORE)


@command("zremrangebylex", 4, "write", "@sortedset", keys=(1, 1, 1))
def zremrangebylex(c, argv):
    "ZREMRANGEBYLEX key min max"
    return _zremrange(c, argv, LEX)


# ---- ZPOPMIN / ZPOPMAX / BZPOPMIN / BZPOPMAX ------------------------------------------------


def _pop(c, key, z, count: int, from_max: bool):
    """Pop up to ``count`` members of the (non-empty) zset ``z`` at ``key``; notify."""
    items = z.pop(count, from_max)
    _changed(c, key, z, b"zpopmax" if from_max else b"zpopmin")
    return items


def _zpop(c, argv, from_max: bool):
    """genericZpopCommand for ZPOPMIN/ZPOPMAX key [count]."""
    n = len(argv)
    if n > 3:
        raise RedisError(SYNTAX)
    if n == 3:
        count = parse_int(argv[2])
        if count <= 0:
            return []
    else:
        count = 1
    key = argv[1]
    z = get_zset(c.db, key, True)
    if z is None:
        return []
    items = _pop(c, key, z, count, from_max)
    if n == 3 and c.proto == 3:
        return [[m, Double(s)] for s, m in items]
    out = []
    for s, m in items:
        out.append(m)
        out.append(Double(s))
    return out


@command("zpopmin", -2, "write fast", "@sortedset", keys=(1, 1, 1))
def zpopmin(c, argv):
    "ZPOPMIN key [count]"
    return _zpop(c, argv, False)


@command("zpopmax", -2, "write fast", "@sortedset", keys=(1, 1, 1))
def zpopmax(c, argv):
    "ZPOPMAX key [count]"
    return _zpop(c, argv, True)


def _bzpop_serve(c, key, z, from_max: bool):
    """Pop one member for a blocking pop; log it as the ZPOPMIN/ZPOPMAX Redis propagates."""
    ((s, m),) = _pop(c, key, z, 1, from_max)
    c.server.propagate(c.db, [b"ZPOPMAX" if from_max else b"ZPOPMIN", key])
    return [key, m, Double(s)]


def _bzpop(c, argv, from_max: bool):
    """blockingGenericZpopCommand."""
    timeout = parse_timeout(argv[-1])
    db = c.db
    keys = argv[1:-1]
    for key in keys:
        z = get_zset(db, key, True)
        if z is not None:
            return _bzpop_serve(c, key, z, from_max)

    def on_ready(c, key):
        z = c.db.lookup_write(key)
        if type(z) is not ZSet:
            return None
        return _bzpop_serve(c, key, z, from_max)

    return c.server.block(c, keys, timeout, on_ready, btype=b"zset")


@command("bzpopmin", -3, "write noscript fast blocking", "@sortedset", keys=(1, -2, 1))
def bzpopmin(c, argv):
    "BZPOPMIN key [key ...] timeout"
    return _bzpop(c, argv, False)


@command("bzpopmax", -3, "write noscript fast blocking", "@sortedset", keys=(1, -2, 1))
def bzpopmax(c, argv):
    "BZPOPMAX key [key ...] timeout"
    return _bzpop(c, argv, True)


# ---- ZRANDMEMBER ----------------------------------------------------------------------------


@command("zrandmember", -2, "readonly random", "@sortedset", keys=(1, 1, 1))
def zrandmember(c, argv):
    "ZRANDMEMBER key [count [WITHSCORES]]"
    n = len(argv)
    if n == 2:
        z = get_zset(c.db, argv[1])
        if z is None:
            return None
        return z.sl[random.randrange(len(z.sl))][1]
    count = to_int(argv[2])
    if count is None:
        raise RedisError(errors.NOT_INTEGER)
    if count < -INT64_MAX:
        raise RedisError(RANDMEMBER_RANGE)
    withscores = False
    if n > 4 or (n == 4 and argv[3].lower() != b"withscores"):
        raise RedisError(SYNTAX)
    if n == 4:
        withscores = True
        if count < -(INT64_MAX // 2) or count > INT64_MAX // 2:
            raise RedisError(OUT_OF_RANGE)
    uniq = count >= 0
    if not uniq:
        count = -count
    z = get_zset(c.db, argv[1])
    if z is None or count == 0:
        return []
    sl = z.sl
    size = len(sl)
    if not uniq or count == 1:
        # CASE 1: count random picks, repetitions allowed (made lazily when count is huge, so
        # a client over its output buffer limit stops it, as Redis checks CLIENT_CLOSE_ASAP)
        if count * 4 > size:
            pool = list(sl)
            return resp.random_picks(c, count, lambda m: _reply_items(
                c, [pool[i] for i in random.choices(range(size), k=m)], withscores), 2 if withscores and c.proto == 2 else 1)
        items = [sl[i] for i in random.choices(range(size), k=count)]
    elif count >= size:
        # CASE 2: the whole set, walked from the tail as zuiNext does.
        items = list(sl.islice(0, size, reverse=True))
    else:
        # CASES 3/4: count distinct members in random order.
        if count * 4 > size:
            pool = list(sl)
            items = [pool[i] for i in random.sample(range(size), count)]
        else:
            items = [sl[i] for i in random.sample(range(size), count)]
    return _reply_items(c, items, withscores)


# ---- ZUNION / ZINTER / ZDIFF [STORE] ----------------------------------------------------------

_AGG = {b"sum": 0, b"min": 1, b"max": 2}
_SETOP_EVENTS = (b"zunionstore", b"zinterstore", b"zdiffstore")


def setop_generic(c, argv, numkeys_idx: int, op: int, dst, name: str):
    """zunionInterDiffGenericCommand."""
    n = len(argv)
    setnum = parse_int(argv[numkeys_idx])
    if setnum < 1:
        raise RedisError(NUMKEYS % name)
    if setnum > n - numkeys_idx - 1:
        raise RedisError(SYNTAX)
    db = c.db
    lookup = db.lookup_write if dst is not None else db.lookup_read
    srcs = []
    for key in argv[numkeys_idx + 1:numkeys_idx + 1 + setnum]:
        v = lookup(key)
        if v is not None and type(v) is not ZSet and TYPE_NAMES.get(type(v)) != b"set":
            raise RedisError(errors.WRONGTYPE)
        srcs.append(v)
    weights = [1.0] * setnum
    agg = 0
    withscores = False
    j = numkeys_idx + 1 + setnum
    while j < n:
        remaining = n - j
        o = argv[j].lower()
        if op != DIFF and remaining >= setnum + 1 and o == b"weights":
            for i in range(setnum):
                weights[i] = parse_score(argv[j + 1 + i], errors.WEIGHT_NOT_FLOAT)
            j += setnum + 1
        elif op != DIFF and remaining >= 2 and o == b"aggregate":
            a = _AGG.get(argv[j + 1].lower())
            if a is None:
                raise RedisError(SYNTAX)
            agg = a
            j += 2
        elif dst is None and o == b"withscores":
            withscores = True
            j += 1
        else:
            raise RedisError(SYNTAX)

    result = combine(srcs, weights, op, agg)
    if dst is not None:
        return _store_result(c, dst, result, _SETOP_EVENTS[op])
    items = sorted([(s, m) for m, s in result.items()])
    return _reply_items(c, items, withscores)


@command("zunionstore", -4, "write denyoom", "@sortedset", keys=(1, 1, 1), getkeys=setop_store_keys)
def zunionstore(c, argv):
    "ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]"
    return setop_generic(c, argv, 2, UNION, argv[1], "zunionstore")


@command("zinterstore", -4, "write denyoom", "@sortedset", keys=(1, 1, 1), getkeys=setop_store_keys)
def zinterstore(c, argv):
    "ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]"
    return setop_generic(c, argv, 2, INTER, argv[1], "zinterstore")


@command("zdiffstore", -4, "write denyoom", "@sortedset", keys=(1, 1, 1), getkeys=setop_store_keys)
def zdiffstore(c, argv):
    "ZDIFFSTORE destination numkeys key [key ...]"
    return setop_generic(c, argv, 2, DIFF, argv[1], "zdiffstore")


@command("zunion", -3, "readonly", "@sortedset", getkeys=setop_keys)
def zunion(c, argv):
    "ZUNION numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]"
    return setop_generic(c, argv, 1, UNION, None, "zunion")


@command("zinter", -3, "readonly", "@sortedset", getkeys=setop_keys)
def zinter(c, argv):
    "ZINTER numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]"
    return setop_generic(c, argv, 1, INTER, None, "zinter")


@command("zdiff", -3, "readonly", "@sortedset", getkeys=setop_keys)
def zdiff(c, argv):
    "ZDIFF numkeys key [key ...] [WITHSCORES]"
    return setop_generic(c, argv, 1, DIFF, None, "zdiff")


# ---- ZSCAN ----------------------------------------------------------------------------------


@command("zscan", -3, "readonly random", "@sortedset", keys=(1, 1, 1))
def zscan(c, argv):
    "ZSCAN key cursor [MATCH pattern] [COUNT count]"
    cursor = collscan.parse_cursor(argv[2])
    z = get_zset(c.db, argv[1])
    if z is None:
        return [b"0", []]
    count, match = collscan.parse_options(argv, 3)
    d = z.d
    if z.ziplist:
        # a ziplist is returned whole, in order, with cursor 0 (whatever the cursor given)
        members = [m for _s, m in z.sl]
        cursor = 0
    else:
        cursor, members = collscan.scan_step(d, cursor, count)
    if match is not None:
        members = [m for m in members if match(m)]
    fmt = resp.format_double
    out = []
    for m in members:
        out.append(m)
        out.append(fmt(d[m]))
    return [b"%d" % cursor, out]
