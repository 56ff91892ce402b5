"""Hash commands (t_hash.c): HSET, HGET, HINCRBY(FLOAT), HRANDFIELD, HSCAN...

A hash is a plain ``dict`` (field bytes -> value bytes); insertion order is kept, which is
exactly the order Redis replies in while the hash is ziplist-encoded.

Encoding (OBJECT ENCODING, HSCAN's one-shot reply) follows Redis's state machine, not the
current content: a hash is born ``ziplist``, turns ``hashtable`` when HSET/HSETNX/HMSET receive
an argument longer than ``hash-max-ziplist-value`` or when it grows past
``hash-max-ziplist-entries``, and never turns back (HINCRBY* do not check lengths, so a long
HINCRBYFLOAT result stays ziplist, as in Redis).  A ``dict`` has no room for a flag, so the
hashes that are still ziplist are kept in :data:`_ZIPLIST` (``id -> dict``).  The entry holds
the dict alive, so its id cannot be reused; entries whose hash left the keyspace (DEL,
FLUSHALL, overwrite...) are pruned by reference count when the registry doubles.  Only small
(ziplist) hashes are ever held there.

Other modules: :func:`encoding_of` (OBJECT ENCODING), :func:`copy_hash` (COPY keeps the
encoding), :func:`adopt` (a hash built outside this module: RESTORE, snapshot load).
"""

from __future__ import annotations

import random
import sys
from itertools import islice

from .. import errors, longdouble, resp
from ..args import INT64_MAX, INT64_MIN, parse_int, to_int
from ..errors import RedisError
from ..registry import command
from . import collscan

_WRONGTYPE = errors.WRONGTYPE
_MISSING = object()

# ---- encoding tracking ----------------------------------------------------------------------

_ZIPLIST: dict = {}           # id(hash) -> hash, for hashes still ziplist-encoded
_probe: dict = {}             # never in a keyspace: the reference-count baseline for pruning
_ZIPLIST[id(_probe)] = _probe
_prune_at = 4096


def _prune() -> None:
    global _prune_at
    getrc = sys.getrefcount
    zl = _ZIPLIST
    h = zl[id(_probe)]
    dead_rc = getrc(h) - 1    # same references as a dead entry, minus the module global
    del h
    for k in list(zl):
        h = zl[k]
        if getrc(h) <= dead_rc:
            del zl[k]
    _prune_at = max(4096, 2 * len(zl))


def _new_hash() -> dict:
    h = {}
    _ZIPLIST[id(h)] = h
    if len(_ZIPLIST) > _prune_at:
        _prune()
    return h


def _try_conversion(c, h, args) -> None:
    """hashTypeTryConversion: any argument longer than hash-max-ziplist-value converts."""
    if id(h) in _ZIPLIST:
        vmax = c.server.config.values["hash-max-ziplist-value"]
        for a in args:
            if len(a) > vmax:
                del _ZIPLIST[id(h)]
                return


def _check_entries(c, h) -> None:
    """The length check hashTypeSet makes after adding a field."""
    if id(h) in _ZIPLIST and len(h) > c.server.config.values["hash-max-ziplist-entries"]:
        del _ZIPLIST[id(h)]


def encoding_of(h) -> bytes:
    """OBJECT ENCODING of a hash."""
    return b"ziplist" if id(h) in _ZIPLIST else b"hashtable"


def is_ziplist(h) -> bool:
    """True while Redis would keep the hash ziplist-encoded (for RDB/DUMP writers)."""
    return id(h) in _ZIPLIST


def copy_hash(h) -> dict:
    """A deep copy for COPY, with the same encoding (hashTypeDup)."""
    new = dict(h)
    if id(h) in _ZIPLIST:
        _ZIPLIST[id(new)] = new
    return new


def adopt(h, config) -> dict:
    """Register a hash built elsewhere (RESTORE, snapshot load): ziplist if it fits the limits."""
    v = config.values if hasattr(config, "values") else config
    vmax = v["hash-max-ziplist-value"]
    if len(h) <= v["hash-max-ziplist-entries"] and all(
            len(f) <= vmax and len(x) <= vmax for f, x in h.items()):
        _ZIPLIST[id(h)] = h
    return h


def _delete(db, key, h) -> None:
    db.delete(key)
    _ZIPLIST.pop(id(h), None)
    collscan.forget(h)


def _write_hash(c, key):
    """hashTypeLookupWriteOrCreate: the hash at ``key``, created (and added) if missing."""
    db = c.db
    h = db.lookup_write(key)
    if h is None:
        h = _new_hash()
        db.add(key, h)
    elif type(h) is not dict:
        raise RedisError(_WRONGTYPE)
    return h


def _read_hash(c, key):
    h = c.db.lookup_read(key)
    if h is None or type(h) is dict:
        return h
    raise RedisError(_WRONGTYPE)


# ---- commands -------------------------------------------------------------------------------


def _hset_generic(c, argv):
    n = len(argv)
    if n & 1:
        raise RedisError(errors.WRONG_ARITY % argv[0].decode("latin-1").lower())
    db = c.db
    key = argv[1]
    h = db.lookup_write(key)
    if h is None:
        h = _new_hash()
        db.add(key, h)
    elif type(h) is not dict:
        raise RedisError(_WRONGTYPE)
    hid = id(h)
    before = len(h)
    if n == 4:
        field = argv[2]
        value = argv[3]
        h[field] = value
        if hid in _ZIPLIST:
            lim = c.server.config.values
            vmax = lim["hash-max-ziplist-value"]
            if len(field) > vmax or len(value) > vmax or len(h) > lim["hash-max-ziplist-entries"]:
                del _ZIPLIST[hid]
    else:
        if hid in _ZIPLIST:
            _try_conversion(c, h, argv[2:])
        h.update(zip(argv[2::2], argv[3::2], strict=True))
        _check_entries(c, h)
    db.changed(key, b"hset", "h")
    return len(h) - before


@command("hset", -4, "write denyoom fast", "@hash", keys=(1, 1, 1))
def hset(c, argv):
    "HSET key field value [field value ...]"
    return _hset_generic(c, argv)


@command("hmset", -4, "write denyoom fast", "@hash", keys=(1, 1, 1))
def hmset(c, argv):
    "HMSET key field value [field value ...]"
    _hset_generic(c, argv)
    return resp.OK


@command("hsetnx", 4, "write denyoom fast", "@hash", keys=(1, 1, 1))
def hsetnx(c, argv):
    "HSETNX key field value"
    key = argv[1]
    h = _write_hash(c, key)
    _try_conversion(c, h, argv[2:4])
    if argv[2] in h:
        return 0
    h[argv[2]] = argv[3]
    _check_entries(c, h)
    c.db.changed(key, b"hset", "h")
    return 1


@command("hget", 3, "readonly fast", "@hash", keys=(1, 1, 1))
def hget(c, argv):
    "HGET key field"
    h = c.db.lookup_read(argv[1])
    if h is None:
        return None
    if type(h) is not dict:
        raise RedisError(_WRONGTYPE)
    return h.get(argv[2])


@command("hmget", -3, "readonly fast", "@hash", keys=(1, 1, 1))
def hmget(c, argv):
    "HMGET key field [field ...]"
    h = _read_hash(c, argv[1])
    if h is None:
        return [None] * (len(argv) - 2)
    get = h.get
    return [get(f) for f in argv[2:]]


@command("hdel", -3, "write fast", "@hash", keys=(1, 1, 1))
def hdel(c, argv):
    "HDEL key field [field ...]"
    db = c.db
    key = argv[1]
    h = db.lookup_write(key)
    if h is None:
        return 0
    if type(h) is not dict:
        raise RedisError(_WRONGTYPE)
    deleted = 0
    removed = False
    pop = h.pop
    for f in argv[2:]:
        if pop(f, _MISSING) is not _MISSING:
            deleted += 1
            if not h:
                _delete(db, key, h)
                removed = True
                break
    if deleted:
        db.changed(key, b"hdel", "h")
        if removed:
            c.server.notify(db, key, b"del", "g")
    return deleted


@command("hlen", 2, "readonly fast", "@hash", keys=(1, 1, 1))
def hlen(c, argv):
    "HLEN key"
    h = _read_hash(c, argv[1])
    return 0 if h is None else len(h)


@command("hstrlen", 3, "readonly fast", "@hash", keys=(1, 1, 1))
def hstrlen(c, argv):
    "HSTRLEN key field"
    h = _read_hash(c, argv[1])
    if h is None:
        return 0
    v = h.get(argv[2])
    return 0 if v is None else len(v)


@command("hexists", 3, "readonly fast", "@hash", keys=(1, 1, 1))
def hexists(c, argv):
    "HEXISTS key field"
    h = _read_hash(c, argv[1])
    return 1 if h is not None and argv[2] in h else 0


@command("hkeys", 2, "readonly to-sort", "@hash", keys=(1, 1, 1))
def hkeys(c, argv):
    "HKEYS key"
    h = _read_hash(c, argv[1])
    return [] if h is None else list(h)


@command("hvals", 2, "readonly to-sort", "@hash", keys=(1, 1, 1))
def hvals(c, argv):
    "HVALS key"
    h = _read_hash(c, argv[1])
    return [] if h is None else list(h.values())


@command("hgetall", 2, "readonly random", "@hash", keys=(1, 1, 1))
def hgetall(c, argv):
    "HGETALL key"
    h = _read_hash(c, argv[1])
    return resp.Map() if h is None else resp.Map(h)


@command("hincrby", 4, "write denyoom fast", "@hash", keys=(1, 1, 1))
def hincrby(c, argv):
    "HINCRBY key field increment"
    incr = parse_int(argv[3])
    key = argv[1]
    field = argv[2]
    h = _write_hash(c, key)
    v = h.get(field)
    if v is None:
        old = 0
    else:
        old = to_int(v)
        if old is None:
            raise RedisError(errors.HASH_NOT_INTEGER)
    new = old + incr
    if new > INT64_MAX or new < INT64_MIN:
        raise RedisError(errors.OVERFLOW)
    h[field] = b"%d" % new
    _check_entries(c, h)
    c.db.changed(key, b"hincrby", "h")
    return new


@command("hincrbyfloat", 4, "write denyoom fast", "@hash", keys=(1, 1, 1))
def hincrbyfloat(c, argv):
    "HINCRBYFLOAT key field increment"
    incr = longdouble.parse(argv[3])
    if incr is None:
        raise RedisError(errors.NOT_FLOAT)
    if type(incr) is str:
        raise RedisError(errors.VALUE_NAN_OR_INF)
    key = argv[1]
    field = argv[2]
    h = _write_hash(c, key)
    v = h.get(field)
    if v is None:
        old = (0, 0)
    else:
        old = longdouble.parse(v)
        if old is None:
            raise RedisError(errors.HASH_NOT_FLOAT)
    s = longdouble.add(old, incr)
    if s is None:
        raise RedisError(errors.NAN_OR_INF)
    new = longdouble.format_human(s)
    h[field] = new
    _check_entries(c, h)
    db = c.db
    db.changed(key, b"hincrbyfloat", "h")
    c.server.propagate(db, [b"HSET", key, field, new])
    return new


# ---- HRANDFIELD -----------------------------------------------------------------------------


def _random_field(h):
    return next(islice(h, random.randrange(len(h)), None))


@command("hrandfield", -2, "readonly random", "@hash", keys=(1, 1, 1))
def hrandfield(c, argv):
    "HRANDFIELD key [count [WITHVALUES]]"
    n = len(argv)
    if n == 2:
        h = _read_hash(c, argv[1])
        return None if h is None else _random_field(h)
    count = parse_int(argv[2])
    if count == INT64_MIN:
        raise RedisError(errors.LONG_RANGE)
    if n > 4 or (n == 4 and argv[3].lower() != b"withvalues"):
        raise RedisError(errors.SYNTAX)
    withvalues = n == 4
    if withvalues and (count < -(INT64_MAX // 2) or count > INT64_MAX // 2):
        raise RedisError(errors.OUT_OF_RANGE)
    h = _read_hash(c, argv[1])
    if h is None or count == 0:
        return []
    resp3 = c.proto == 3
    size = len(h)
    if count < 0 or count == 1:
        # CASE 1: count picks with repetitions, in random order.
        k = -count if count < 0 else 1
        if k == 1:
            picks = [_random_field(h)]
            if not withvalues:
                return picks
            return [[f, h[f]] for f in picks] if resp3 else [picks[0], h[picks[0]]]
        fields = list(h)
        if not withvalues:
            return resp.random_picks(c, k, lambda m: random.choices(fields, k=m))
        if resp3:
            return resp.random_picks(c, k, lambda m: [[f, h[f]] for f in random.choices(fields, k=m)])

        def flat(m):
            out = []
            for f in random.choices(fields, k=m):
                out.append(f)
                out.append(h[f])
            return out

        return resp.random_picks(c, k, flat, 2)
    if count >= size:
        # CASE 2: the whole hash, in its own order.
        if not withvalues:
            return list(h)
        if resp3:
            return [[f, v] for f, v in h.items()]
        out = []
        for f, v in h.items():
            out.append(f)
            out.append(v)
        return out
    # CASES 3 and 4: count distinct fields.
    picks = random.sample(list(h), count)
    if not withvalues:
        return picks
    if resp3:
        return [[f, h[f]] for f in picks]
    out = []
    for f in picks:
        out.append(f)
        out.append(h[f])
    return out


# ---- HSCAN ----------------------------------------------------------------------------------


@command("hscan", -3, "readonly random", "@hash", keys=(1, 1, 1))
def hscan(c, argv):
    "HSCAN key cursor [MATCH pattern] [COUNT count]"
    cursor = collscan.parse_cursor(argv[2])
    h = _read_hash(c, argv[1])
    if h is None:
        return [b"0", []]
    count, match = collscan.parse_options(argv, 3)
    if id(h) in _ZIPLIST:
        fields = h if match is None else [f for f in h if match(f)]
        cursor = 0
    else:
        cursor, fields = collscan.scan_step(h, cursor, count)
        if match is not None:
            fields = [f for f in fields if match(f)]
    out = []
    for f in fields:
        out.append(f)
        out.append(h[f])
    return [b"%d" % cursor, out]


# ---- registration with the generic keyspace commands ----------------------------------------


def _register() -> None:
    from . import keys
    keys.COPY_FUNCS[dict] = copy_hash
    keys.ENCODING_FUNCS[dict] = lambda v, config: encoding_of(v)


_register()
