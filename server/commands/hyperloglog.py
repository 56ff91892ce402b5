"""HyperLogLog commands (hyperloglog.c): PFADD, PFCOUNT, PFMERGE, PFDEBUG.

A HyperLogLog is a plain string value in Redis's own HYLL format (see :mod:`..hll`), so GET
returns the bytes Redis would hold and a value written by Redis counts the same here.

Effects log: PFADD, PFMERGE and PFDEBUG are ``write`` commands whose replay is deterministic
(a pure function of the value and the arguments), so the dispatcher logs them verbatim.
PFCOUNT on a single key is flagged ``readonly`` but stores the cardinality it computed in the
value's header (Redis 6.2 counts it as a change: ``signalModifiedKey`` + ``dirty++``, and
propagates the PFCOUNT itself to the AOF and replicas).  Perdure does the same: the cache
write is logged as ``PFCOUNT key``, which recomputes the same bytes on replay.

Not implemented: PFSELFTEST (ten million additions: a self-test of the C register macros that
would block a Python server for minutes).
"""

from __future__ import annotations

from .. import errors, hll, resp
from ..errors import RedisError
from ..registry import command
from .keys import mark_string_encoding

INVALID_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value."
INVALIDOBJ = "INVALIDOBJ Corrupted HLL object detected"


def _check(v):
    """isHLLObjectOrReply: WRONGTYPE for another type or a string that is not an HLL."""
    if type(v) is not bytes:
        raise RedisError(errors.WRONGTYPE)
    if not hll.is_valid(v):
        raise RedisError(INVALID_HLL)
    return v


def _raw(v: bytes) -> bytes:
    """HLL strings are created and modified in place as sds strings: OBJECT ENCODING says
    ``raw`` even for an 18-byte sparse value."""
    return mark_string_encoding(v) if len(v) <= 44 else v


def _max_bytes(c) -> int:
    return c.server.config["hll-sparse-max-bytes"]


@command("pfadd", -2, "write denyoom fast", "@hyperloglog", keys=(1, 1, 1))
def pfadd(c, argv):
    "PFADD key [element [element ...]]"
    db = c.db
    key = argv[1]
    v = db.lookup_write(key)
    created = v is None
    if created:
        v = hll.empty_hll()
    else:
        _check(v)
    updated = 1 if created else 0
    if len(argv) > 2:
        try:
            v, n = hll.add(v, hll.hashes(argv[2:]), _max_bytes(c))
        except hll.Corrupted as e:
            # Redis keeps what the elements before the bad one changed, without signalling it;
            # Perdure keeps the same value and logs it so that a replay reaches the same bytes.
            if e.value != db.lookup_write(key):
                db.set(key, _raw(e.value), keepttl=True)
                db.changed(key)
                c.server.propagate(db, [b"SET", key, e.value, b"KEEPTTL"])
            raise RedisError(INVALIDOBJ) from None
        updated += n
    if not updated:
        return 0
    v = _raw(hll.invalidate(v))
    if created:
        db.add(key, v)
    else:
        db.set(key, v, keepttl=True)
    db.changed(key, b"pfadd", "$")
    return 1


@command("pfcount", -2, "readonly may-replicate", "@hyperloglog", keys=(1, -1, 1))
def pfcount(c, argv):
    "PFCOUNT key [key ...]"
    db = c.db
    if len(argv) > 2:
        maxregs = None
        for key in argv[1:]:
            v = db.lookup_read(key)
            if v is None:
                continue
            raw, ok = hll.registers(_check(v))
            if not ok:
                raise RedisError(INVALIDOBJ)
            maxregs = raw if maxregs is None else hll.raw_max(maxregs, raw)
        if maxregs is None:
            maxregs = hll.ZERO_RAW
        return hll.as_reply(hll.estimate(hll.raw_histogram(maxregs)))
    key = argv[1]
    v = db.lookup_read(key)
    if v is None:
        return 0
    card = hll.cached(_check(v))
    if card is not None:
        return card
    card = hll.count(v)
    if card is None:
        raise RedisError(INVALIDOBJ)
    db.set(key, _raw(hll.with_cache(v, card)), keepttl=True)
    db.changed(key)  # signalModifiedKey (no keyspace event), dirty++
    c.server.propagate(db, [b"PFCOUNT", key])
    return hll.as_reply(card)


@command("pfmerge", -2, "write denyoom", "@hyperloglog", keys=(1, -1, 1))
def pfmerge(c, argv):
    "PFMERGE destkey [sourcekey [sourcekey ...]]"
    db = c.db
    maxregs = hll.ZERO_RAW
    use_dense = False
    for key in argv[1:]:
        v = db.lookup_read(key)
        if v is None:
            continue
        _check(v)
        if v[4] == hll.DENSE:
            use_dense = True
        raw, ok = hll.registers(v)
        if not ok:
            raise RedisError(INVALIDOBJ)
        maxregs = hll.raw_max(maxregs, raw)
    dest = argv[1]
    v = db.lookup_write(dest)
    created = v is None
    try:
        nv = _raw(hll.merge_into(hll.empty_hll() if created else v, maxregs, _max_bytes(c),
                                 use_dense))
    except hll.Corrupted:
        raise RedisError(INVALIDOBJ) from None
    if created:
        db.add(dest, nv)
    else:
        db.set(dest, nv, keepttl=True)
    db.changed(dest, b"pfadd", "$")
    return resp.OK


@command("pfdebug", -3, "write denyoom admin", "@hyperloglog", keys=(2, 2, 1))
def pfdebug(c, argv):
    "PFDEBUG <GETREG|DECODE|ENCODING|TODENSE> key"
    db = c.db
    key = argv[2]
    v = db.lookup_write(key)
    if v is None:
        raise RedisError("ERR The specified key does not exist")
    _check(v)
    sub = argv[1].lower()
    name = argv[1].decode("utf-8", "replace")
    if sub not in (b"getreg", b"decode", b"encoding", b"todense"):
        raise RedisError("ERR Unknown PFDEBUG subcommand '%s'" % name)
    if len(argv) != 3:
        raise RedisError("ERR Wrong number of arguments for the '%s' subcommand" % name)
    if sub == b"encoding":
        return resp.Simple(b"dense" if v[4] == hll.DENSE else b"sparse")
    if sub == b"decode":
        if v[4] != hll.SPARSE:
            raise RedisError("ERR HLL encoding is not sparse")
        return hll.decode_sparse(v)
    converted = False
    if v[4] == hll.SPARSE:
        dense = hll.to_dense(v)
        if dense is None:
            raise RedisError(INVALIDOBJ)
        v = dense
        db.set(key, v, keepttl=True)
        db.changed(key)  # Redis: dirty++ to propagate the encoding change (no event)
        converted = True
    if sub == b"todense":
        return 1 if converted else 0
    return list(hll.dense_to_raw(v))
