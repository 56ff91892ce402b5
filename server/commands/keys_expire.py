"""Key expiry commands (expire.c): EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, PERSIST.

Redis 6.2 has no NX/XX/GT/LT options (7.0 added them): the arity is exactly 3.  A deadline is
logged as ``PEXPIREAT key <absolute ms>`` so that replaying the log later sets the same
deadline; a deadline already in the past deletes the key and is logged as ``DEL key`` (``UNLINK``
with ``lazyfree-lazy-expire yes``), as Redis propagates it.  While the log is being replayed
(``server.loading``) a past deadline is stored as it is, and the key then expires normally.
"""

from __future__ import annotations

from .. import errors
from ..args import INT64_MAX, parse_int
from ..errors import RedisError
from ..keyspace import now_ms
from ..registry import command

_SEC_MAX = INT64_MAX // 1000            # LLONG_MAX / 1000
_SEC_MIN = -((INT64_MAX + 1) // 1000)   # LLONG_MIN / 1000, truncated toward zero as in C


def _expire_generic(c, argv, relative: bool, seconds: bool, name: str):
    """expireGenericCommand."""
    key = argv[1]
    when = parse_int(argv[2])
    now = now_ms()
    basetime = now if relative else 0
    if seconds:
        if when > _SEC_MAX or when < _SEC_MIN:
            raise RedisError(errors.INVALID_EXPIRE_IN % name)
        when *= 1000
    if when > INT64_MAX - basetime:
        raise RedisError(errors.INVALID_EXPIRE_IN % name)
    when += basetime
    db = c.db
    if db.lookup_write(key) is None:
        return 0
    srv = c.server
    if when <= now and not srv.loading:
        db.delete(key)
        db.changed(key, b"del", "g")
        srv.propagate(db, [b"UNLINK" if srv.config["lazyfree-lazy-expire"] else b"DEL", key])
        return 1
    db.set_expire(key, when)
    db.changed(key, b"expire", "g")
    srv.propagate(db, [b"PEXPIREAT", key, b"%d" % when], argv)  # replicas get it as is
    return 1


@command("expire", 3, "write fast", "@keyspace", keys=(1, 1, 1))
def expire(c, argv):
    "EXPIRE key seconds"
    return _expire_generic(c, argv, True, True, "expire")


@command("pexpire", 3, "write fast", "@keyspace", keys=(1, 1, 1))
def pexpire(c, argv):
    "PEXPIRE key milliseconds"
    return _expire_generic(c, argv, True, False, "pexpire")


@command("expireat", 3, "write fast", "@keyspace", keys=(1, 1, 1))
def expireat(c, argv):
    "EXPIREAT key timestamp"
    return _expire_generic(c, argv, False, True, "expireat")


@command("pexpireat", 3, "write fast", "@keyspace", keys=(1, 1, 1))
def pexpireat(c, argv):
    "PEXPIREAT key milliseconds-timestamp"
    return _expire_generic(c, argv, False, False, "pexpireat")


@command("ttl", 2, "readonly random fast", "@keyspace", keys=(1, 1, 1))
def ttl(c, argv):
    "TTL key"
    ms = c.db.ttl_ms(argv[1])
    return ms if ms < 0 else (ms + 500) // 1000


@command("pttl", 2, "readonly random fast", "@keyspace", keys=(1, 1, 1))
def pttl(c, argv):
    "PTTL key"
    return c.db.ttl_ms(argv[1])


@command("persist", 2, "write fast", "@keyspace", keys=(1, 1, 1))
def persist(c, argv):
    "PERSIST key"
    db = c.db
    key = argv[1]
    if db.lookup_write(key) is not None and db.persist(key):
        db.changed(key, b"persist", "g")
        return 1
    return 0
