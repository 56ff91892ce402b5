"""Generic keyspace commands (db.c, object.c): DEL, UNLINK, EXISTS, TYPE, TOUCH, RENAME(NX),
MOVE, COPY, KEYS, SCAN, RANDOMKEY, DBSIZE, FLUSHDB, FLUSHALL, SWAPDB and OBJECT.

The expiry commands (EXPIRE & co, TTL, PERSIST) live in :mod:`.keys_expire`, SORT in
:mod:`.sort`; the SCAN cursor machinery in :mod:`perdure.server.keyindex`.

Two registries let each type family plug its values into the generic commands:

* :data:`COPY_FUNCS` ``{python type: fn(value) -> independent copy}`` (COPY; the copy must
  keep the encoding, as Redis's ``*TypeDup`` functions do);
* :data:`ENCODING_FUNCS` ``{python type: fn(value, config) -> bytes}`` (OBJECT ENCODING).

Strings (``bytes``) are handled here.  Redis decides a string's encoding when it stores it:
``int`` for a value that ``string2l`` accepts (at most 20 bytes), ``embstr`` up to 44 bytes,
``raw`` beyond -- except that commands which modify a string in place (APPEND, SETRANGE,
SETBIT, BITFIELD, BITOP) leave it ``raw`` and INCRBYFLOAT stores an ``embstr`` even when the
text is an integer.  A ``bytes`` value has no room for that history, so those commands record
their result with :func:`mark_string_encoding`; everything else is judged by its content.

Effects log: every command here is deterministic, so writes are logged verbatim (RENAME,
MOVE and COPY carry absolute TTLs; FLUSHDB/FLUSHALL/SWAPDB are logged even when they found
nothing to change, as Redis forces their propagation).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

from .. import errors, eviction, memory, resp
from ..args import INT64_MAX, parse_int, to_int
from ..errors import RedisError
from ..glob import glob_matcher
from ..keyindex import index_of, random_key
from ..keyspace import TYPE_NAMES
from ..registry import command

OK = resp.OK
_SimpleStr = resp.Simple
_INT_MAX = 2**31 - 1
_INT_MIN = -(2**31)

# ----------------------------------------------------------------------------- registries

COPY_FUNCS: dict = {bytes: lambda v: v, dict: dict.copy}
ENCODING_FUNCS: dict = {}

# Families written before these registries existed expose module-level functions instead;
# they are registered on first use (a family may also register itself, which wins).
_FAMILY_FUNCS = (
    # module, class name (None: the builtin dict), encoding function, copy function
    ("hashes", None, "encoding_of", "copy_hash"),
    ("sets", "SetValue", "encoding_of", "copy_set"),
    ("zset_type", "ZSet", "encoding_of", None),  # ZSet.copy() keeps the encoding
)  # lists: ListValue.copy() and its ``encoding`` attribute are enough
_families_registered = False


def _register_families() -> None:
    global _families_registered
    _families_registered = True
    for modname, clsname, enc, cp in _FAMILY_FUNCS:
        full = __package__ + "." + modname
        if importlib.util.find_spec(full) is None:
            continue
        mod = sys.modules.get(full) or importlib.import_module(full)
        cls = dict if clsname is None else getattr(mod, clsname)
        if enc is not None and cls not in ENCODING_FUNCS:
            fn = getattr(mod, enc)
            ENCODING_FUNCS[cls] = lambda v, config, fn=fn: fn(v)
        if cp is not None and COPY_FUNCS.get(cls, dict.copy) is dict.copy:
            COPY_FUNCS[cls] = getattr(mod, cp)


def copy_value(v):
    """An independent copy of a value (COPY): the family's copy function, else ``v.copy()``."""
    if not _families_registered:
        _register_families()
    fn = COPY_FUNCS.get(type(v))
    if fn is not None:
        return fn(v)
    new = v.copy()
    if type(new) is not type(v):
        raise RedisError("ERR unknown type object")
    return new


# ----------------------------------------------------------------------------- strings

_string_marks: dict = {}  # id(value) -> (value, encoding) for strings not judged by content
_marks_probe = bytes(bytearray(b"perdure-probe"))  # built at run time: no code-constant reference
_string_marks[id(_marks_probe)] = (_marks_probe, b"raw")
_prune_marks_at = 4096


def _prune_marks() -> None:
    """Forget marked strings that no key holds any more (only this registry references them)."""
    global _prune_marks_at
    getrc = sys.getrefcount
    probe = _string_marks[id(_marks_probe)][0]
    dead = getrc(probe) - 2  # the module global, this local: what a dead entry does not have
    del probe
    for k in list(_string_marks):
        v = _string_marks[k][0]
        if getrc(v) - 1 <= dead:
            del _string_marks[k]
    _prune_marks_at = max(4096, 2 * len(_string_marks))


def mark_string_encoding(value: bytes, encoding: bytes = b"raw") -> bytes:
    """Record that the string object ``value`` (about to be stored) has ``encoding``.

    For APPEND/SETRANGE/SETBIT/BITFIELD/BITOP results (``raw``) and INCRBYFLOAT results
    (``embstr``).  Returns ``value`` -- or, for a 1-byte value (CPython interns those, so
    every key holding that byte would share the mark), a private copy of it: callers must
    store the returned object.  The empty string (a singleton too) keeps its content-based
    encoding."""
    n = len(value)
    if n == 1:
        value = value[0].to_bytes(1, "big")  # int.to_bytes allocates: not the interned byte
    elif n > 44 and encoding == b"embstr":
        encoding = b"raw"  # createStringObject: embstr only up to 44 bytes
    if value:
        _string_marks[id(value)] = (value, encoding)
        if len(_string_marks) > _prune_marks_at:
            _prune_marks()
    return value


def string_encoding(v: bytes) -> bytes:
    """OBJECT ENCODING of a string value."""
    if _string_marks:
        m = _string_marks.get(id(v))
        if m is not None and m[0] is v:
            return m[1]
    n = len(v)
    if n <= 20 and to_int(v) is not None:
        return b"int"
    return b"embstr" if n <= 44 else b"raw"


def _string_refcount(v: bytes, config) -> int:
    """Shared integers (0..9999) report INT_MAX, as Redis's shared.integers objects do; a
    private copy of one (COPY, see :func:`_copy_string`) is marked, and reports 1."""
    if string_encoding(v) == b"int":
        m = _string_marks.get(id(v))
        if m is not None and m[0] is v:
            return 1
        n = to_int(v)
        if 0 <= n < 10000 and (config["maxmemory"] == 0
                               or not config["maxmemory-policy"].endswith(("lru", "lfu"))):
            return _INT_MAX
    return 1


ENCODING_FUNCS[bytes] = lambda v, config: string_encoding(v)


def fresh_copy(v: bytes) -> bytes:
    """A new ``bytes`` object equal to ``v`` (``bytes(v)`` returns ``v`` itself): one whose
    encoding mark is its own, not shared with another key holding the same object."""
    return bytes(bytearray(v))


def _copy_string(v: bytes) -> bytes:
    """dupStringObject: the copy of a shared integer (0..9999) is a new int object of its own,
    so OBJECT REFCOUNT of it is 1 (other strings keep their object and its encoding mark)."""
    if len(v) <= 4 and string_encoding(v) == b"int" and v[0] != 0x2D:
        return mark_string_encoding(fresh_copy(v), b"int")
    return v


COPY_FUNCS[bytes] = _copy_string


def object_encoding(v, config) -> bytes:
    if not _families_registered:
        _register_families()
    fn = ENCODING_FUNCS.get(type(v))
    if fn is not None:
        return fn(v, config)
    enc = getattr(v, "encoding", None)
    if type(enc) is bytes:
        return enc
    raise RedisError("ERR unknown encoding for a value of type %s" % type(v).__name__)


# ----------------------------------------------------------------------------- helpers


_INT_RANGE = "ERR value is out of range, value must between -2147483648 and 2147483647"


def parse_c_int(b: bytes, msg: str | None = None) -> int:
    """getIntFromObjectOrReply: a 32-bit int; ``msg`` (when given) replaces both errors."""
    v = to_int(b)
    if v is None:
        raise RedisError(msg or errors.NOT_INTEGER)
    if not _INT_MIN <= v <= _INT_MAX:
        raise RedisError(msg or _INT_RANGE)
    return v


def _other_db(c, raw: bytes):
    """The database named by a MOVE / COPY ... DB argument (selectDb's checks)."""
    idx = parse_c_int(raw)
    dbs = c.server.dbs
    if idx < 0 or idx >= len(dbs):
        raise RedisError(errors.DB_INDEX_OUT_OF_RANGE)
    return dbs[idx]


def type_name(v) -> bytes:
    """getObjectTypeName: ``none`` for a missing key."""
    if v is None:
        return b"none"
    return TYPE_NAMES.get(type(v), b"unknown")


# ----------------------------------------------------------------------------- DEL / EXISTS / TYPE


def _del_generic(c, argv) -> int:
    db = c.db
    n = 0
    for key in argv[1:]:
        if db.delete(key):
            db.changed(key, b"del", "g")
            n += 1
    return n


@command("del", -2, "write", "@keyspace", keys=(1, -1, 1))
def del_(c, argv):
    "DEL key [key ...]"
    return _del_generic(c, argv)


@command("unlink", -2, "write fast", "@keyspace", keys=(1, -1, 1))
def unlink(c, argv):
    "UNLINK key [key ...]"
    return _del_generic(c, argv)


@command("exists", -2, "readonly fast", "@keyspace", keys=(1, -1, 1))
def exists(c, argv):
    "EXISTS key [key ...]"
    lookup = c.db.lookup_notouch  # LOOKUP_NOTOUCH: not an access of the key
    n = 0
    for key in argv[1:]:
        if lookup(key) is not None:
            n += 1
    return n


@command("touch", -2, "readonly fast", "@keyspace", keys=(1, -1, 1))
def touch(c, argv):
    "TOUCH key [key ...]"
    lookup = c.db.lookup_read
    n = 0
    for key in argv[1:]:
        if lookup(key) is not None:
            n += 1
    return n


_type_replies: dict = {}  # type name -> its pre-encoded status reply (same in RESP2 and RESP3)


@command("type", 2, "readonly fast", "@keyspace", keys=(1, 1, 1))
def type_(c, argv):
    "TYPE key"
    name = type_name(c.db.lookup_notouch(argv[1]))
    r = _type_replies.get(name)
    if r is None:
        r = _type_replies[name] = resp.Raw(b"+" + name + b"\r\n")
    return r


# ----------------------------------------------------------------------------- RENAME / MOVE / COPY


def _rename(c, argv, nx: bool):
    db = c.db
    src, dst = argv[1], argv[2]
    v = db.lookup_write(src)
    if v is None:
        raise RedisError(errors.NO_SUCH_KEY)
    if src == dst:
        return 0 if nx else OK
    expire = db.expires.get(src) if db.expires else None
    if db.lookup_write(dst) is not None:
        if nx:
            return 0
        db.delete(dst)
    db.add(dst, v)
    if expire is not None:
        db.set_expire(dst, expire)
    db.delete(src)
    db.changed(src, b"rename_from", "g")
    db.changed(dst, b"rename_to", "g")
    return 1 if nx else OK


@command("rename", 3, "write", "@keyspace", keys=(1, 2, 1))
def rename(c, argv):
    "RENAME key newkey"
    return _rename(c, argv, False)


@command("renamenx", 3, "write fast", "@keyspace", keys=(1, 2, 1))
def renamenx(c, argv):
    "RENAMENX key newkey"
    return _rename(c, argv, True)


@command("move", 3, "write fast", "@keyspace", keys=(1, 1, 1))
def move(c, argv):
    "MOVE key db"
    if c.server.cluster is not None:
        raise RedisError("ERR MOVE is not allowed in cluster mode")
    src = c.db
    dst = _other_db(c, argv[2])
    if dst is src:
        raise RedisError(errors.SAME_OBJECT)
    key = argv[1]
    v = src.lookup_write(key)
    if v is None:
        return 0
    expire = src.expires.get(key) if src.expires else None
    if dst.lookup_write(key) is not None:
        return 0
    dst.add(key, v)
    if expire is not None:
        dst.set_expire(key, expire)
    src.delete(key)
    src.changed(key, b"move_from", "g")
    dst.changed(key, b"move_to", "g")
    return 1


@command("copy", -3, "write denyoom", "@keyspace", keys=(1, 2, 1))
def copy(c, argv):
    "COPY source destination [DB destination-db] [REPLACE]"
    src = dst = c.db
    replace = False
    n = len(argv)
    j = 3
    while j < n:
        opt = argv[j].lower()
        if opt == b"replace":
            replace = True
        elif opt == b"db" and j + 1 < n:
            dst = _other_db(c, argv[j + 1])
            j += 1
        else:
            raise RedisError(errors.SYNTAX)
        j += 1
    if c.server.cluster is not None and (src.id != 0 or dst.id != 0):
        raise RedisError("ERR Copying to another database is not allowed in cluster mode")
    key, newkey = argv[1], argv[2]
    if src is dst and key == newkey:
        raise RedisError(errors.SAME_OBJECT)
    v = src.lookup_write(key)
    if v is None:
        return 0
    expire = src.expires.get(key) if src.expires else None
    exists_ = dst.lookup_write(newkey) is not None
    if exists_ and not replace:
        return 0
    new = copy_value(v)
    if exists_:
        dst.delete(newkey)
    dst.add(newkey, new)
    if expire is not None:
        dst.set_expire(newkey, expire)
    dst.changed(newkey, b"copy_to", "g")
    return 1


# ----------------------------------------------------------------------------- KEYS / SCAN / RANDOMKEY


@command("keys", 2, "readonly to-sort global-read", "@keyspace @dangerous")
def keys(c, argv):
    "KEYS pattern"
    db = c.db
    pat = argv[1]
    if pat == b"*":
        found = list(db.data)
    else:
        found = list(filter(glob_matcher(pat), db.data))
    expires = db.expires
    if expires and found and not c.server.loading:
        now = c.server.cached_now_ms()
        get = expires.get
        found = [k for k in found if get(k, INT64_MAX) > now]
    return found


_ULONG_MAX = 2**64 - 1
_SPACES = b" \t\n\v\f\r"


def parse_cursor(b: bytes) -> int:
    """parseScanCursorOrReply: strtoul(base 10) on the C string; refused: leading space,
    trailing garbage, overflow.  ``""`` is 0, ``+5`` is 5, ``-1`` wraps to 2**64-1."""
    if b and b[0] in _SPACES:
        raise RedisError("ERR invalid cursor")
    s = b.split(b"\x00", 1)[0] if b"\x00" in b else b
    if not s:
        return 0
    neg = s[0] == 0x2D
    digits = s[1:] if s[0] in b"+-" else s
    if not digits.isdigit() or not digits.isascii():
        raise RedisError("ERR invalid cursor")
    v = int(digits)
    if v > _ULONG_MAX:
        raise RedisError("ERR invalid cursor")
    return (-v) & _ULONG_MAX if neg else v


@command("scan", -2, "readonly random global-read", "@keyspace")
def scan(c, argv):
    "SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]"
    cursor = parse_cursor(argv[1])
    count = 10
    pat = None
    typename = None
    n = len(argv)
    i = 2
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
            if pat == b"*":
                pat = None
        elif opt == b"type":
            typename = argv[i + 1].split(b"\x00", 1)[0].lower()
        else:
            raise RedisError(errors.SYNTAX)
        i += 2
    db = c.db
    if not db.data:
        return [b"0", []]
    cursor, found = index_of(db).scan(db, cursor, count)
    if pat is not None and found:
        found = list(filter(glob_matcher(pat), found))
    if typename is not None and found:
        lookup = db.lookup_notouch
        found = [k for k in found if type_name(lookup(k)) == typename]
    if db.expires and found:
        expire = db.expire_if_needed
        found = [k for k in found if not expire(k)]
    return [b"%d" % cursor, found]


@command("randomkey", 1, "readonly random global-read", "@keyspace")
def randomkey(c, argv):
    "RANDOMKEY"
    db = c.db
    tries = 100
    while True:
        key = random_key(db)
        if key is None:
            return None
        if db.expires and key in db.expires and db.expire_if_needed(key):
            tries -= 1
            if tries or not c.server.pause_type or len(db.expires) != len(db.data):
                continue
            return key  # paused, every key expired yet kept: give up as Redis does on a replica
        return key


@command("dbsize", 1, "readonly fast global-read", "@keyspace")
def dbsize(c, argv):
    "DBSIZE"
    return len(c.db.data)


# ----------------------------------------------------------------------------- FLUSH / SWAPDB


def _flush_args(argv) -> None:
    """getFlushCommandFlags: nothing, SYNC or ASYNC (freeing is immediate either way)."""
    if len(argv) == 1 or (len(argv) == 2 and argv[1].lower() in (b"sync", b"async")):
        return
    raise RedisError(errors.SYNTAX)


@command("flushdb", -1, "write", "@keyspace @dangerous")
def flushdb(c, argv):
    "FLUSHDB [ASYNC|SYNC]"
    _flush_args(argv)
    c.db.flush()
    c.db.keyindex = None
    c.server.touch_all(c.db)
    c.server.flushed()  # CLIENT TRACKING: invalidate every client's cache
    return OK


@command("flushall", -1, "write", "@keyspace @dangerous")
def flushall(c, argv):
    "FLUSHALL [ASYNC|SYNC]"
    _flush_args(argv)
    for db in c.server.dbs:
        if db.data or db.expires:
            db.flush()
        db.keyindex = None
    c.server.touch_all()
    c.server.flushed()  # CLIENT TRACKING: invalidate every client's cache
    return OK


@command("swapdb", 3, "write fast", "@keyspace @dangerous")
def swapdb(c, argv):
    "SWAPDB index1 index2"
    srv = c.server
    if srv.cluster is not None:
        raise RedisError("ERR SWAPDB is not allowed in cluster mode")
    id1 = parse_c_int(argv[1], "ERR invalid first DB index")
    id2 = parse_c_int(argv[2], "ERR invalid second DB index")
    dbs = srv.dbs
    if not (0 <= id1 < len(dbs) and 0 <= id2 < len(dbs)):
        raise RedisError(errors.DB_INDEX_OUT_OF_RANGE)
    a, b = dbs[id1], dbs[id2]
    if a is not b:
        # the keys changed so far (inside MULTI or a script) are accounted against the data
        # they changed in before it moves (memory.py; accounting again later is harmless)
        for db, key in srv.touched:
            if db is a or db is b:
                memory.account(db, key)
        a.data, b.data = b.data, a.data
        a.expires, b.expires = b.expires, a.expires
        a.avg_ttl, b.avg_ttl = b.avg_ttl, a.avg_ttl
        a.removed, b.removed = b.removed, a.removed
        a.keyindex, b.keyindex = b.keyindex, a.keyindex
        a.sizes, b.sizes = b.sizes, a.sizes  # memory records and access clocks (memory.py)
        a.mem, b.mem = b.mem, a.mem
        a.acct_data, b.acct_data = b.acct_data, a.acct_data
        a.lru, b.lru = b.lru, a.lru
        # clients blocked on a key of either database may be served now: scanDatabaseForReadyLists
        # of the first database then of the second (each in Redis's blocking_keys dict order,
        # a hash order: here, the order the keys were first blocked on)
        if srv.blocking_keys:
            for dbid in (id1, id2):
                db = dbs[dbid]
                for bdb, key in list(srv.blocking_keys):
                    if bdb == dbid and key in db.data:
                        srv.signal_ready(db, key, TYPE_NAMES.get(type(db.data[key])))
    srv.touch_all()
    return OK


# ----------------------------------------------------------------------------- OBJECT

_OBJECT_HELP = [
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
]
_OBJECT_HELP = [_SimpleStr(s.encode()) for s in _OBJECT_HELP]
_LFU_SELECTED = ("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that "
                 "when switching between policies at runtime LRU and LFU data will take some time "
                 "to adjust.")
_LFU_NOT_SELECTED = ("ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
                     "Please note that when switching between policies at runtime LRU and LFU data "
                     "will take some time to adjust.")


def subcommand_error(argv) -> RedisError:
    """addReplySubcommandSyntaxError."""
    return RedisError(errors.UNKNOWN_SUBCOMMAND % (
        argv[1][:128].decode("utf-8", "replace"), argv[0].decode("latin-1").upper()))


@command("object", -2, "readonly random", "@keyspace", keys=(2, 2, 1))
def object_(c, argv):
    "OBJECT <ENCODING | FREQ | IDLETIME | REFCOUNT | HELP> [key]"
    sub = argv[1].lower()
    n = len(argv)
    if n == 2 and sub == b"help":
        return _OBJECT_HELP
    if n != 3 or sub not in (b"encoding", b"refcount", b"idletime", b"freq"):
        raise subcommand_error(argv)
    db = c.db
    v = db.lookup_notouch(argv[2], notify=False)  # LOOKUP_NOTOUCH|LOOKUP_NONOTIFY
    if v is None:
        return None
    prev = db.lru.get(argv[2])
    config = c.server.config
    if sub == b"encoding":
        return object_encoding(v, config)
    if sub == b"refcount":
        return _string_refcount(v, config) if type(v) is bytes else 1
    lfu = config["maxmemory-policy"].endswith("lfu")
    srv = c.server
    if sub == b"idletime":
        if lfu:
            raise RedisError(_LFU_SELECTED)
        return eviction.idle_ms(srv, prev) // 1000
    if not lfu:
        raise RedisError(_LFU_NOT_SELECTED)
    return eviction.lfu_decr_and_return(srv, prev)


from . import keys_expire  # noqa: E402,F401  (EXPIRE, TTL, PERSIST: registered on import)
