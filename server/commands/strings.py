"""String commands (t_string.c): SET and its variants through one generic function, GET...

Strings are stored as ``bytes``.  Relative TTLs are logged as absolute ones (SET ... PXAT),
so replaying the log later gives the same expiry.
"""

from __future__ import annotations

from .. import errors, resp
from ..args import parse_int
from ..errors import RedisError
from ..keyspace import now_ms
from ..registry import command

OK = resp.OK


def _get_string(c, key):
    v = c.db.lookup_read(key)
    if v is None or type(v) is bytes:
        return v
    raise RedisError(errors.WRONGTYPE)


@command("get", 2, "readonly fast", "@string", keys=(1, 1, 1))
def get(c, argv):
    "GET key"
    db = c.db
    v = db.data.get(argv[1])
    if v is not None and type(v) is bytes and not db.expires:
        c.server.stat_keyspace_hits += 1
        return v
    return _get_string(c, argv[1])


_SET_FLAGS = {b"nx", b"xx", b"keepttl", b"get", b"ex", b"px", b"exat", b"pxat"}


def set_generic(c, key, value, nx=False, xx=False, keepttl=False, get=False, expire_at=None,
                cmdname="set"):
    """setGenericCommand: shared by SET, SETNX, SETEX, PSETEX, GETSET."""
    db = c.db
    old = db.lookup_write(key)
    if get and old is not None and type(old) is not bytes:
        raise RedisError(errors.WRONGTYPE)
    if (nx and old is not None) or (xx and old is None):
        return None if get or nx or xx else None
    db.set(key, value, keepttl)
    if expire_at is not None:
        db.set_expire(key, expire_at)
    db.changed(key, b"set", "$")
    srv = c.server
    if expire_at is not None:
        srv.propagate(db, [b"SET", key, value, b"PXAT", b"%d" % expire_at])
        srv.notify(db, key, b"expire", "g")
    elif keepttl:
        srv.propagate(db, [b"SET", key, value, b"KEEPTTL"])
    else:
        srv.propagate(db, [b"SET", key, value])
    return old if get else OK


def parse_expire(unit_ms: int, raw: bytes, absolute: bool, cmdname: str) -> int:
    v = parse_int(raw)
    if v <= 0:
        raise RedisError(errors.INVALID_EXPIRE % cmdname)
    if v > (2 ** 63 - 1) // unit_ms:
        raise RedisError(errors.INVALID_EXPIRE % cmdname)
    ms = v * unit_ms
    if absolute:
        return ms
    return now_ms() + ms


@command("set", -3, "write denyoom", "@string", keys=(1, 1, 1))
def set_(c, argv):
    "SET key value [EX seconds|PX milliseconds|EXAT timestamp|PXAT milliseconds-timestamp|KEEPTTL] [NX|XX] [GET]"
    n = len(argv)
    if n == 3:
        db = c.db
        key = argv[1]
        db.data[key] = argv[2]
        if db.expires:
            db.expires.pop(key, None)
        db.changed(key, b"set", "$")
        return OK
    nx = xx = keepttl = get = False
    expire_at = None
    unit = None
    i = 3
    while i < n:
        opt = argv[i].lower()
        nxt = argv[i + 1] if i + 1 < n else None
        if opt == b"nx" and not xx:
            nx = True
        elif opt == b"xx" and not nx:
            xx = True
        elif opt == b"get":
            get = True
        elif opt == b"keepttl" and unit is None:
            keepttl = True
        elif opt in (b"ex", b"px", b"exat", b"pxat") and not keepttl and unit is None and nxt is not None:
            unit = opt
            expire_at = parse_expire(1000 if opt in (b"ex", b"exat") else 1, nxt,
                                     opt in (b"exat", b"pxat"), "set")
            i += 1
        else:
            raise RedisError(errors.SYNTAX)
        i += 1
    if get and nx:
        raise RedisError(errors.SYNTAX)
    r = set_generic(c, argv[1], argv[2], nx, xx, keepttl, get, expire_at)
    if r is None and not get:
        return None
    return r
