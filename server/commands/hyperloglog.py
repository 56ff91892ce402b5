"""HyperLogLog commands (hyperloglog.c): PFADD, PFCOUNT, PFMERGE, PFDEBUG.

A HyperLogLog is a plain string value in Redis's own HYLL format (see :mod:`..hll`), so GET
returns the bytes Redis would hold and a value written by Redis counts the same here.

Effects log: PFADD, PFMERGE and PFDEBUG are ``write`` commands whose replay is deterministic
(a pure function of the value and the arguments), so the dispatcher logs them verbatim.
PFCOUNT on a single key is flagged ``readonly`` but stores the cardinality it computed in the
value's header (Redis 6.2 counts it as a change: ``signalModifiedKey`` + ``dirty++``, and
propagates the PFCOUNT itself to the AOF and replicas).  Perdure does the same: the cache
write is logged as ``PFCOUNT key``, which recomputes the same bytes on replay.

PFSELFTEST runs the same two checks as Redis's on Perdure's own code: random register values
written and read back through the dense register accessors, and unique elements added to a
dense and a sparse HLL side by side, checking at every power of ten that sparse stays sparse
while small, that both give the same count, and that the error is within 6 standard errors.
Redis does 1000 register rounds and 10,000,000 elements (about a second in C); here that
would block the server for minutes, so it runs 10 rounds and 100,000 elements, which still
crosses the sparse-to-dense promotion and every checkpoint up to 10^5.
"""

from __future__ import annotations

import math
import random

from .. import errors, hll, resp
from ..errors import RedisError
from ..registry import command
from .keys import fresh_copy, mark_string_encoding, string_encoding

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


def _unshare(db, key, v: bytes) -> bytes:
    """dbUnshareStringValue: PFADD, single-key PFCOUNT and PFDEBUG turn an existing HLL into
    a private ``raw`` string before anything else, even when they change nothing (an HLL SET
    by a client is ``embstr`` up to 44 bytes).  A fresh copy: another key may hold the same
    object (COPY), and its encoding must not change."""
    if string_encoding(v) == b"raw":
        return v
    v = mark_string_encoding(fresh_copy(v))
    db.set(key, v, keepttl=True)
    return v


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
        v = _unshare(db, key, _check(v))
    updated = 1 if created else 0
    if len(argv) > 2:
        try:
            v, n = hll.add(v, hll.hashes(argv[2:]), _max_bytes(c))
        except hll.Corrupted as e:
            # Redis keeps what the elements before the bad one changed, without signalling it
            # (a WATCH on the key still holds); Perdure keeps the same value and logs it so
            # that a replay reaches the same bytes.
            if e.value != db.lookup_write(key):
                db.set(key, _raw(e.value), keepttl=True)
                db.changed_quietly(key)
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
    v = db.lookup_write(key)  # as Redis: it may rewrite the cache (so no keymiss, no hit/miss stats)
    if v is None:
        return 0
    v = _unshare(db, key, _check(v))
    card = hll.cached(v)
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
    v = _unshare(db, key, _check(v))
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
        db.changed_quietly(key)  # Redis: dirty++ to propagate the encoding change, no signal
        converted = True
    if sub == b"todense":
        return 1 if converted else 0
    return list(hll.dense_to_raw(v))


_SELFTEST_CYCLES = 10
_SELFTEST_ELEMENTS = 100_000


@command("pfselftest", 1, "admin", "@hyperloglog")
def pfselftest(c, argv):
    "PFSELFTEST"
    rng = random.Random()
    # 1. registers: every dense register keeps its value and leaves its neighbours alone
    regs = bytearray(hll.DENSE_SIZE - hll.HDR_SIZE)
    for _ in range(_SELFTEST_CYCLES):
        expect = [rng.getrandbits(6) for _ in range(hll.REGISTERS)]
        for i, r in enumerate(expect):
            hll.dense_set(regs, i, r)
        for i, r in enumerate(expect):
            val = hll.dense_get(regs, i)
            if val != r:
                raise RedisError("TESTFAILED Register %d should be %d but is %d" % (i, r, val))
    # 2. approximation error, dense and sparse side by side
    dense = b"HYLL" + bytes((hll.DENSE,)) + b"\x00" * 11 + b"\x00" * (hll.DENSE_SIZE - hll.HDR_SIZE)
    sparse = hll.empty_hll()
    max_bytes = _max_bytes(c)
    relerr = 1.04 / math.sqrt(hll.REGISTERS)
    seed = rng.getrandbits(64)
    done = 0
    checkpoint = 1
    while checkpoint <= _SELFTEST_ELEMENTS:
        hs = hll.hashes([((j ^ seed) & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")
                         for j in range(done + 1, checkpoint + 1)])
        dense, _ = hll.add(dense, hs, max_bytes)
        sparse, _ = hll.add(sparse, hs, max_bytes)
        done = checkpoint
        if checkpoint < max_bytes // 2 and sparse[4] != hll.SPARSE:
            raise RedisError("TESTFAILED sparse encoding not used")
        card = hll.count(dense)
        if card != hll.count(sparse):
            raise RedisError("TESTFAILED dense/sparse disagree")
        maxerr = 1 if checkpoint == 10 else math.ceil(relerr * 6 * checkpoint)
        abserr = abs(checkpoint - card)
        if abserr > maxerr:
            raise RedisError("TESTFAILED Too big error. card:%d abserr:%d" % (checkpoint, abserr))
        checkpoint *= 10
    return resp.OK
