"""DUMP and RESTORE (cluster.c): values in Redis's exact DUMP payload format.

A payload is the value serialised as in an RDB file, the RDB version (9, two bytes little
endian) and a CRC64 of both (see :mod:`perdure.server.rdb`): a DUMP taken here RESTOREs into
Redis 6.2 and the other way round.  Encodings follow the same choices Redis makes (ziplists,
intsets, quicklist node cuts, integer/LZF strings), so payloads are byte-identical to Redis's
for the same value and encoding (hash-table sets and hashes aside: their order is the table's).

RESTORE is logged as ``RESTORE key <absolute ms or 0> payload [REPLACE] ABSTTL``, so replay
gives the same key and expiry whenever it runs; a RESTORE of an already-expired TTL that
replaced a key is logged as ``DEL key`` (as Redis rewrites it); IDLETIME and FREQ are validated
but not kept (Perdure does not track per-key access time or frequency).
"""

from __future__ import annotations

import time

from .. import errors, resp
from ..args import to_int
from ..errors import RedisError
from ..rdb import RdbError, dump_payload, load_payload, verify_payload
from ..registry import command


def _limits(c):
    return c.server.config.values


@command("dump", 2, "readonly random", "@keyspace", keys=(1, 1, 1))
def dump(c, argv):
    "DUMP key"
    v = c.db.lookup_read(argv[1])
    if v is None:
        return None
    return dump_payload(v, _limits(c))


def _ll(b: bytes) -> int:
    v = to_int(b)
    if v is None:
        raise RedisError(errors.NOT_INTEGER)
    return v


@command("restore", -4, "write denyoom", "@keyspace @dangerous", keys=(1, 1, 1))
def restore(c, argv):
    "RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]"
    replace = absttl = False
    idle = freq = -1
    n = len(argv)
    j = 4
    while j < n:
        opt = argv[j].lower()
        more = n - j - 1
        if opt == b"replace":
            replace = True
        elif opt == b"absttl":
            absttl = True
        elif opt == b"idletime" and more >= 1 and freq == -1:
            idle = _ll(argv[j + 1])
            if idle < 0:
                raise RedisError(errors.RESTORE_IDLETIME)
            j += 1
        elif opt == b"freq" and more >= 1 and idle == -1:
            freq = _ll(argv[j + 1])
            if freq < 0 or freq > 255:
                raise RedisError(errors.RESTORE_FREQ)
            j += 1
        else:
            raise RedisError(errors.SYNTAX)
        j += 1
    db = c.db
    key = argv[1]
    if not replace and db.lookup_write(key) is not None:
        raise RedisError(errors.BUSYKEY)
    ttl = _ll(argv[2])
    if ttl < 0:
        raise RedisError(errors.RESTORE_TTL)
    payload = argv[3]
    if not verify_payload(payload):
        raise RedisError(errors.RESTORE_PAYLOAD)
    try:
        value = load_payload(payload, _limits(c))
    except RdbError:
        raise RedisError(errors.BAD_DATA_FORMAT)
    srv = c.server
    deleted = db.delete(key) if replace else False
    if ttl and not absttl:
        ttl += int(time.time() * 1000)
    if ttl and ttl <= int(time.time() * 1000) and not srv.loading:
        if deleted:
            db.changed(key, b"del", "g")
            srv.propagate(db, [b"DEL", key])
        return resp.OK
    db.add(key, value)
    if ttl:
        db.set_expire(key, ttl)
    db.changed(key, b"restore", "g")
    out = [b"RESTORE", key, b"%d" % ttl, payload]
    if replace:
        out.append(b"REPLACE")
    if ttl:
        out.append(b"ABSTTL")
    srv.propagate(db, out)
    return resp.OK

