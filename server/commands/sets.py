"""Set commands (t_set.c): SADD, SREM, SPOP, SRANDMEMBER, SMOVE, SINTER/SUNION/SDIFF(+STORE)...

A set is a :class:`SetValue`: a Python ``set`` of member bytes plus one flag, ``ht``, that
mirrors Redis's encoding.  A set is born ``intset`` when every member is an integer
(``string2ll``) and there are at most ``set-max-intset-entries`` of them; the first
non-integer member or the entry that crosses the limit turns it ``hashtable`` for good (as in
Redis).  Sets Redis builds from scratch (the *STORE results, SPOP's rebuilt remainder, a new
SMOVE destination) get their encoding from their content, the way ``setTypeCreate`` +
``setTypeAdd`` would.

Reply order follows the encoding: an intset replies in ascending integer order (SMEMBERS,
SSCAN, SUNION...), a hashtable in its own (arbitrary) order.

Randomness: picking a random member of a Python set is O(n) (no indexing), so SPOP on sets
larger than :data:`_POP_DIRECT` uses ``set.pop()`` (hash-slot order under a per-process
random hash seed) instead of a uniform pick.  SPOP is logged as SREM of what it removed (or
DEL when it emptied the set), so replay is deterministic.

Other modules: :class:`SetValue`, :func:`encoding_of`, :func:`copy_set`, :func:`new_set`.
"""

from __future__ import annotations

import random
from itertools import islice

from .. import errors, resp
from ..args import INT64_MIN, parse_int, to_int
from ..errors import RedisError
from ..keyspace import TYPE_NAMES
from ..registry import command
from . import collscan

_WRONGTYPE = errors.WRONGTYPE
_POP_DIRECT = 1024


class SetValue(set):
    """A Redis set: a ``set`` of bytes; ``ht`` is True once Redis would use a hashtable."""

    __slots__ = ("ht",)


TYPE_NAMES[SetValue] = b"set"


def _max_intset(c) -> int:
    return c.server.config.values["set-max-intset-entries"]


def _all_int(members) -> bool:
    for m in members:
        if to_int(m) is None:
            return False
    return True


def new_set(members, max_intset: int) -> SetValue:
    """A set created from scratch (setTypeCreate + setTypeAdd of each member)."""
    s = SetValue(members)
    s.ht = len(s) > max_intset or not _all_int(s)
    return s


def encoding_of(s) -> bytes:
    """OBJECT ENCODING of a set."""
    return b"hashtable" if s.ht else b"intset"


def copy_set(s) -> SetValue:
    """A deep copy for COPY, with the same encoding (setTypeDup)."""
    new = SetValue(s)
    new.ht = s.ht
    return new


def _ordered(s, intset: bool):
    """Members in the order Redis iterates them: ascending integers for an intset."""
    return sorted(s, key=int) if intset else list(s)


def _members(s):
    return sorted(s, key=int) if not s.ht else list(s)


def _read_set(c, key):
    s = c.db.lookup_read(key)
    if s is None or type(s) is SetValue:
        return s
    raise RedisError(_WRONGTYPE)


def _write_set(c, key):
    s = c.db.lookup_write(key)
    if s is None or type(s) is SetValue:
        return s
    raise RedisError(_WRONGTYPE)


def _delete(db, key, s) -> None:
    db.delete(key)
    collscan.forget(s)


def _random_member(s):
    return next(islice(s, random.randrange(len(s)), None))


# ---- single-key commands --------------------------------------------------------------------


@command("sadd", -3, "write denyoom fast", "@set", keys=(1, 1, 1))
def sadd(c, argv):
    "SADD key member [member ...]"
    db = c.db
    key = argv[1]
    s = db.lookup_write(key)
    if s is None:
        s = new_set(argv[2:], _max_intset(c))
        db.add(key, s)
        added = len(s)
    elif type(s) is not SetValue:
        raise RedisError(_WRONGTYPE)
    else:
        n0 = len(s)
        if len(argv) == 3:
            s.add(argv[2])
        else:
            s.update(argv[2:])
        added = len(s) - n0
        if added and not s.ht and (len(s) > _max_intset(c) or not _all_int(argv[2:])):
            s.ht = True
    if added:
        db.changed(key, b"sadd", "s")
    return added


@command("srem", -3, "write fast", "@set", keys=(1, 1, 1))
def srem(c, argv):
    "SREM key member [member ...]"
    db = c.db
    key = argv[1]
    s = _write_set(c, key)
    if s is None:
        return 0
    deleted = 0
    removed = False
    for m in argv[2:]:
        if m in s:
            s.remove(m)
            deleted += 1
            if not s:
                _delete(db, key, s)
                removed = True
                break
    if deleted:
        db.changed(key, b"srem", "s")
        if removed:
            c.server.notify(db, key, b"del", "g")
    return deleted


@command("smove", 4, "write fast", "@set", keys=(1, 2, 1))
def smove(c, argv):
    "SMOVE source destination member"
    db = c.db
    srckey, dstkey, ele = argv[1], argv[2], argv[3]
    src = db.lookup_write(srckey)
    dst = db.lookup_write(dstkey)
    if src is None:
        return 0
    if type(src) is not SetValue or (dst is not None and type(dst) is not SetValue):
        raise RedisError(_WRONGTYPE)
    if src is dst:
        return 1 if ele in src else 0
    if ele not in src:
        return 0
    src.remove(ele)
    db.changed(srckey, b"srem", "s")
    if not src:
        _delete(db, srckey, src)
        c.server.notify(db, srckey, b"del", "g")
    if dst is None:
        db.add(dstkey, new_set((ele,), _max_intset(c)))
        db.changed(dstkey, b"sadd", "s")
    elif ele not in dst:
        dst.add(ele)
        if not dst.ht and (len(dst) > _max_intset(c) or to_int(ele) is None):
            dst.ht = True
        db.changed(dstkey, b"sadd", "s")
    return 1


@command("sismember", 3, "readonly fast", "@set", keys=(1, 1, 1))
def sismember(c, argv):
    "SISMEMBER key member"
    s = _read_set(c, argv[1])
    return 1 if s is not None and argv[2] in s else 0


@command("smismember", -3, "readonly fast", "@set", keys=(1, 1, 1))
def smismember(c, argv):
    "SMISMEMBER key member [member ...]"
    s = _read_set(c, argv[1])
    if s is None:
        return [0] * (len(argv) - 2)
    return [1 if m in s else 0 for m in argv[2:]]


@command("scard", 2, "readonly fast", "@set", keys=(1, 1, 1))
def scard(c, argv):
    "SCARD key"
    s = _read_set(c, argv[1])
    return 0 if s is None else len(s)


@command("smembers", 2, "readonly to-sort", "@set", keys=(1, 1, 1))
def smembers(c, argv):
    "SMEMBERS key"
    s = _read_set(c, argv[1])
    return resp.Set() if s is None else resp.Set(_members(s))


# ---- random access --------------------------------------------------------------------------


@command("srandmember", -2, "readonly random", "@set", keys=(1, 1, 1))
def srandmember(c, argv):
    "SRANDMEMBER key [count]"
    n = len(argv)
    if n > 3:
        raise RedisError(errors.SYNTAX)
    if n == 2:
        s = _read_set(c, argv[1])
        return None if s is None else _random_member(s)
    count = parse_int(argv[2])
    if count == INT64_MIN:
        raise RedisError(errors.LONG_RANGE)
    s = _read_set(c, argv[1])
    if s is None or count == 0:
        return []
    if count < 0 or count == 1:
        k = -count if count < 0 else 1
        if k == 1:
            return [_random_member(s)]
        members = list(s)
        return resp.random_picks(c, k, lambda m: random.choices(members, k=m))
    if count >= len(s):
        return _members(s)
    return random.sample(list(s), count)


def _parse_spop_count(b: bytes) -> int:
    v = to_int(b)
    if v is None or v < 0:
        raise RedisError(errors.NOT_POSITIVE)
    return v


@command("spop", -2, "write random fast", "@set", keys=(1, 1, 1))
def spop(c, argv):
    "SPOP key [count]"
    n = len(argv)
    if n == 3:
        return _spop_count(c, argv[1], _parse_spop_count(argv[2]))
    if n > 3:
        raise RedisError(errors.SYNTAX)
    db = c.db
    key = argv[1]
    s = _write_set(c, key)
    if s is None:
        return None
    if len(s) > _POP_DIRECT:
        ele = s.pop()
    else:
        ele = _random_member(s)
        s.remove(ele)
    db.changed(key, b"spop", "s")
    srv = c.server
    srv.propagate(db, [b"SREM", key, ele])
    if not s:
        _delete(db, key, s)
        srv.notify(db, key, b"del", "g")
    return ele


def _spop_count(c, key, count):
    db = c.db
    s = _write_set(c, key)
    if s is None or count == 0:
        return resp.Set()
    srv = c.server
    size = len(s)
    if count >= size:
        # CASE 1: the whole set, replied as SUNION would (the order of a set rebuilt from
        # the members); logged as DEL.
        out = _ordered(s, _fits_intset(c, s))
        _delete(db, key, s)
        db.changed(key, b"spop", "s")
        srv.notify(db, key, b"del", "g")
        srv.propagate(db, [b"DEL", key])
        return resp.Set(out)
    remaining = size - count
    if size > _POP_DIRECT and count < size // 2:
        pop = s.pop
        chosen = [pop() for _ in range(count)]
    else:
        chosen = random.sample(list(s), count)
        s.difference_update(chosen)
    if remaining * 5 <= count:
        # CASE 3: Redis rebuilds the set from the remaining members (setTypeCreate).
        s.ht = len(s) > _max_intset(c) or not _all_int(s)
    db.changed(key, b"spop", "s")
    srv.propagate(db, [b"SREM", key] + chosen)
    return resp.Set(chosen)


# ---- multi-key algebra ----------------------------------------------------------------------


def _load_sets(c, keys, write: bool):
    """The sets named by ``keys`` (None for a missing key); WRONGTYPE on any other type."""
    db = c.db
    look = db.lookup_write if write else db.lookup_read
    out = []
    for k in keys:
        s = look(k)
        if s is not None and type(s) is not SetValue:
            raise RedisError(_WRONGTYPE)
        out.append(s)
    return out


def _store(c, dstkey, result, intset: bool, event: bytes) -> int:
    """Store ``result`` at ``dstkey`` (overwriting any type, dropping the TTL) or delete
    ``dstkey`` when the result is empty."""
    db = c.db
    if not result:
        if db.delete(dstkey):
            db.changed(dstkey, b"del", "g")
        return 0
    s = SetValue(result)
    s.ht = not intset
    db.set(dstkey, s)
    db.changed(dstkey, event, "s")
    return len(s)


def _fits_intset(c, result) -> bool:
    return len(result) <= _max_intset(c) and _all_int(result)


def _sinter_generic(c, keys, dstkey):
    sets = _load_sets(c, keys, dstkey is not None)
    if None in sets:
        if dstkey is not None:
            return _store(c, dstkey, (), True, b"sinterstore")
        return resp.Set()
    sets.sort(key=len)
    first = sets[0]
    others = [s for s in sets[1:] if s is not first]
    result = first.intersection(*others) if others else set(first)
    if dstkey is not None:
        return _store(c, dstkey, result, _fits_intset(c, result), b"sinterstore")
    # The reply follows the smallest set's iteration order.
    return resp.Set(_ordered(result, not first.ht))


def _sunion_diff_generic(c, keys, dstkey, diff: bool):
    sets = _load_sets(c, keys, dstkey is not None)
    present = [s for s in sets if s is not None]
    first = sets[0]
    if not diff:
        result = set().union(*present)
        intset = _fits_intset(c, result)
    elif first is None:
        result = set()
        intset = True
    else:
        result = first.difference(*present[1:])
        # Redis picks one of two algorithms; the second one fills the result with the whole
        # first set before removing, so its encoding is the first set's content's.
        algo_one = len(first) * len(present) // 2
        algo_two = sum(len(s) for s in present)
        if algo_one <= algo_two:
            intset = _fits_intset(c, result)
        else:
            intset = _fits_intset(c, first)
    if dstkey is not None:
        return _store(c, dstkey, result, intset, b"sdiffstore" if diff else b"sunionstore")
    return resp.Set(_ordered(result, intset))


@command("sinter", -2, "readonly to-sort", "@set", keys=(1, -1, 1))
def sinter(c, argv):
    "SINTER key [key ...]"
    return _sinter_generic(c, argv[1:], None)


@command("sinterstore", -3, "write denyoom", "@set", keys=(1, -1, 1))
def sinterstore(c, argv):
    "SINTERSTORE destination key [key ...]"
    return _sinter_generic(c, argv[2:], argv[1])


@command("sunion", -2, "readonly to-sort", "@set", keys=(1, -1, 1))
def sunion(c, argv):
    "SUNION key [key ...]"
    return _sunion_diff_generic(c, argv[1:], None, False)


@command("sunionstore", -3, "write denyoom", "@set", keys=(1, -1, 1))
def sunionstore(c, argv):
    "SUNIONSTORE destination key [key ...]"
    return _sunion_diff_generic(c, argv[2:], argv[1], False)


@command("sdiff", -2, "readonly to-sort", "@set", keys=(1, -1, 1))
def sdiff(c, argv):
    "SDIFF key [key ...]"
    return _sunion_diff_generic(c, argv[1:], None, True)


@command("sdiffstore", -3, "write denyoom", "@set", keys=(1, -1, 1))
def sdiffstore(c, argv):
    "SDIFFSTORE destination key [key ...]"
    return _sunion_diff_generic(c, argv[2:], argv[1], True)


# ---- SSCAN ----------------------------------------------------------------------------------


@command("sscan", -3, "readonly random", "@set", keys=(1, 1, 1))
def sscan(c, argv):
    "SSCAN key cursor [MATCH pattern] [COUNT count]"
    cursor = collscan.parse_cursor(argv[2])
    s = _read_set(c, argv[1])
    if s is None:
        return [b"0", []]
    count, match = collscan.parse_options(argv, 3)
    if not s.ht:
        members = sorted(s, key=int)
        cursor = 0
    else:
        cursor, members = collscan.scan_step(s, cursor, count)
    if match is not None:
        members = [m for m in members if match(m)]
    return [b"%d" % cursor, members]


# ---- registration with the generic keyspace commands ----------------------------------------


def _register() -> None:
    from . import keys
    keys.COPY_FUNCS[SetValue] = copy_set
    keys.ENCODING_FUNCS[SetValue] = lambda v, config: encoding_of(v)


_register()
