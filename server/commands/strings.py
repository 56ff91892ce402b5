"""String commands (t_string.c): SET and its variants through one generic function, GET, GETEX,
GETDEL, GETSET, MSET/MSETNX/MGET, APPEND, STRLEN, GETRANGE/SUBSTR, SETRANGE, the INCR family,
INCRBYFLOAT (exact 80-bit long double arithmetic, see :mod:`perdure.server.longdouble`) and
STRALGO LCS.

Strings are stored as immutable ``bytes``; commands that modify a string (APPEND, SETRANGE...)
build a new ``bytes`` and keep the key's TTL.  Relative TTLs are logged as absolute ones
(SET ... PXAT, PEXPIREAT), INCRBYFLOAT as ``SET key value KEEPTTL``, GETDEL as ``DEL``, so
replaying the log later gives the same data.
"""

from __future__ import annotations

from .. import errors, longdouble, resp
from ..args import INT64_MAX, INT64_MIN, parse_int, to_int
from ..errors import RedisError
from ..keyspace import now_ms
from ..registry import command
from .keys import mark_string_encoding

OK = resp.OK
_WRONGTYPE = errors.WRONGTYPE


def _get_string(c, key):
    """lookupKeyRead + checkType: the string at ``key``, None if missing, WRONGTYPE otherwise."""
    v = c.db.lookup_read(key)
    if v is None or type(v) is bytes:
        return v
    raise RedisError(_WRONGTYPE)


def _check_length(c, total: int) -> None:
    """checkStringLength: refuse results longer than proto-max-bulk-len."""
    if total > c.server.config["proto-max-bulk-len"] and not c.server.replaying:
        raise RedisError(errors.STRING_EXCEEDS_BULK_LEN)


def expire_when(raw: bytes, unit_seconds: bool, relative: bool, cmdname: str) -> int:
    """The absolute unix-ms deadline for an EX/PX/EXAT/PXAT argument (setGenericCommand)."""
    ms = parse_int(raw)
    if ms <= 0 or (unit_seconds and ms > INT64_MAX // 1000):
        raise RedisError(errors.INVALID_EXPIRE_IN % cmdname)
    if unit_seconds:
        ms *= 1000
    if relative:
        ms += now_ms()
        if ms > INT64_MAX:
            raise RedisError(errors.INVALID_EXPIRE_IN % cmdname)
    return ms


# ----------------------------------------------------------------------------- GET / SET


@command("get", 2, "readonly fast", "@string", keys=(1, 1, 1))
def get(c, argv):
    "GET key"
    db = c.db
    v = db.data.get(argv[1])
    if v is not None and type(v) is bytes and not db.expires:
        srv = c.server
        srv.stat_keyspace_hits += 1
        if srv.lfu:  # the access clock, as lookup_read keeps it (eviction.py)
            srv.lfu_touch(db, argv[1])
        else:
            db.lru[argv[1]] = srv.lruclock
        return v
    return _get_string(c, argv[1])


_ABORTED = object()


def set_generic(c, key, value, nx=False, xx=False, keepttl=False, get=False, expire_at=None,
                stream_ttl=None):
    """setGenericCommand, shared by SET, SETNX, SETEX, PSETEX.

    Returns ``_ABORTED`` when NX/XX prevented the write, else the old value (``get``) or OK.
    Logs ``SET key value [PXAT ms | KEEPTTL]`` (never GET/NX/XX, never a relative TTL).
    Replicas get ``SET key value PX|PXAT ms`` as Redis sends them: ``stream_ttl`` is that
    (word, ms) pair, a relative TTL staying relative."""
    db = c.db
    if nx or xx:
        exists = db.lookup_write(key) is not None
        if (nx and exists) or (xx and not exists):
            return _ABORTED
    old = _get_string(c, key) if get else None
    if keepttl and not (get or nx or xx):
        db.lookup_write(key)      # a stale TTL must not survive KEEPTTL: expire the key first
    db.set(key, value, keepttl)
    srv = c.server
    db.changed(key, b"set", "$")
    if expire_at is not None:
        db.set_expire(key, expire_at)
        srv.notify(db, key, b"expire", "g")
        repl = None
        if stream_ttl is not None and srv.repl_feed is not None:
            repl = [b"SET", key, value, stream_ttl[0], b"%d" % stream_ttl[1]]
        srv.propagate(db, [b"SET", key, value, b"PXAT", b"%d" % expire_at], repl)
    elif keepttl:
        srv.propagate(db, [b"SET", key, value, b"KEEPTTL"])
    else:
        srv.propagate(db, [b"SET", key, value])
    return old if get else OK


_EXPIRE_OPTS = {b"ex": (True, True), b"px": (False, True), b"exat": (True, False),
                b"pxat": (False, False)}


@command("set", -3, "write denyoom", "@string", keys=(1, 1, 1))
def set_(c, argv):
    "SET key value [EX seconds|PX milliseconds|EXAT timestamp|PXAT milliseconds-timestamp|KEEPTTL] [NX|XX] [GET]"
    n = len(argv)
    if n == 3:
        db = c.db
        key = argv[1]
        data = db.data
        value = argv[2]
        prev = data.get(key)
        data[key] = value
        # Database.set inlined: the string costs (keyspace.str_units) of the old and new value;
        # a string replacing a string keeps the key's share
        m = 33 + len(value)
        d = (m + 15) >> 4 if m <= 512 else (m + 23) >> 4
        if type(prev) is bytes:
            m = 33 + len(prev)
            d -= (m + 15) >> 4 if m <= 512 else (m + 23) >> 4
        else:
            m = 33 + len(key)
            d += (m + 15) >> 4 if m <= 512 else (m + 23) >> 4
        if d:
            db.mem += d
            c.server.mem_units += d
        if db.expires:
            db.expires.pop(key, None)
        db.changed(key, b"set", "$")
        return OK
    nx = xx = keepttl = get = False
    exp = None     # (raw, unit_seconds, relative)
    i = 3
    while i < n:
        opt = argv[i].lower()
        if opt == b"nx" and not xx and not get:
            nx = True
        elif opt == b"xx" and not nx:
            xx = True
        elif opt == b"get" and not nx:
            get = True
        elif opt == b"keepttl" and exp is None:
            keepttl = True
        elif opt in _EXPIRE_OPTS and not keepttl and i + 1 < n and (exp is None or exp[3] == opt):
            # the same option may be repeated (the last value wins), two different ones may not
            exp = (argv[i + 1],) + _EXPIRE_OPTS[opt] + (opt,)
            i += 1
        else:
            raise RedisError(errors.SYNTAX)
        i += 1
    expire_at = stream_ttl = None
    if exp is not None:
        expire_at = expire_when(exp[0], exp[1], exp[2], "set")
        stream_ttl = _stream_ttl(exp)
    r = set_generic(c, argv[1], argv[2], nx, xx, keepttl, get, expire_at, stream_ttl)
    return None if r is _ABORTED else r


def _stream_ttl(exp):
    """(PX|PXAT, ms) of an EX/PX/EXAT/PXAT option already validated (setGenericCommand's
    rewrite for replicas)."""
    ms = parse_int(exp[0]) * (1000 if exp[1] else 1)
    return (b"PX" if exp[2] else b"PXAT"), ms


@command("setnx", 3, "write denyoom fast", "@string", keys=(1, 1, 1))
def setnx(c, argv):
    "SETNX key value"
    return 0 if set_generic(c, argv[1], argv[2], nx=True) is _ABORTED else 1


@command("setex", 4, "write denyoom", "@string", keys=(1, 1, 1))
def setex(c, argv):
    "SETEX key seconds value"
    when = expire_when(argv[2], True, True, "setex")
    return set_generic(c, argv[1], argv[3], expire_at=when, stream_ttl=(b"PX", parse_int(argv[2]) * 1000))


@command("psetex", 4, "write denyoom", "@string", keys=(1, 1, 1))
def psetex(c, argv):
    "PSETEX key milliseconds value"
    when = expire_when(argv[2], False, True, "psetex")
    return set_generic(c, argv[1], argv[3], expire_at=when, stream_ttl=(b"PX", parse_int(argv[2])))


@command("getset", 3, "write denyoom fast", "@string", keys=(1, 1, 1))
def getset(c, argv):
    "GETSET key value"
    return set_generic(c, argv[1], argv[2], get=True)


@command("getex", -2, "write fast", "@string", keys=(1, 1, 1))
def getex(c, argv):
    "GETEX key [EX seconds|PX milliseconds|EXAT timestamp|PXAT milliseconds-timestamp|PERSIST]"
    n = len(argv)
    persist = False
    exp = None
    i = 2
    while i < n:
        opt = argv[i].lower()
        if opt == b"persist" and exp is None:
            persist = True
        elif opt in _EXPIRE_OPTS and not persist and i + 1 < n and (exp is None or exp[3] == opt):
            exp = (argv[i + 1],) + _EXPIRE_OPTS[opt] + (opt,)
            i += 1
        else:
            raise RedisError(errors.SYNTAX)
        i += 1
    key = argv[1]
    v = _get_string(c, key)
    if v is None:
        return None
    db = c.db
    srv = c.server
    if exp is not None:
        when = expire_when(exp[0], exp[1], exp[2], "getex")
        if not exp[2] and when <= now_ms() and not srv.loading:
            db.delete(key)
            db.changed(key, b"del", "g")
            srv.propagate(db, [b"DEL", key])
        else:
            db.set_expire(key, when)
            db.changed(key, b"expire", "g")
            ms = parse_int(exp[0]) * (1000 if exp[1] else 1)  # replicas: PEXPIRE[AT] as Redis
            srv.propagate(db, [b"PEXPIREAT", key, b"%d" % when],
                          [b"PEXPIRE" if exp[2] else b"PEXPIREAT", key, b"%d" % ms])
    elif persist and db.persist(key):
        db.changed(key, b"persist", "g")
        srv.propagate(db, [b"PERSIST", key])
    return v


@command("getdel", 2, "write fast", "@string", keys=(1, 1, 1))
def getdel(c, argv):
    "GETDEL key"
    key = argv[1]
    v = _get_string(c, key)
    if v is not None:
        db = c.db
        db.delete(key)
        db.changed(key, b"del", "g")
        c.server.propagate(db, [b"DEL", key])
    return v


# ----------------------------------------------------------------------------- multi-key


@command("mget", -2, "readonly fast", "@string", keys=(1, -1, 1))
def mget(c, argv):
    "MGET key [key ...]"
    lookup = c.db.lookup_read
    out = []
    for k in argv[1:]:
        v = lookup(k)
        out.append(v if type(v) is bytes else None)
    return out


def _mset_generic(c, argv, nx):
    n = len(argv)
    if n % 2 == 0:
        raise RedisError(errors.MSET_ARITY)
    db = c.db
    if nx:
        for j in range(1, n, 2):
            if db.lookup_write(argv[j]) is not None:
                return 0
    for j in range(1, n, 2):
        key = argv[j]
        db.set(key, argv[j + 1])
        db.changed(key, b"set", "$")
    return 1 if nx else OK


@command("mset", -3, "write denyoom", "@string", keys=(1, -1, 2))
def mset(c, argv):
    "MSET key value [key value ...]"
    return _mset_generic(c, argv, False)


@command("msetnx", -3, "write denyoom", "@string", keys=(1, -1, 2))
def msetnx(c, argv):
    "MSETNX key value [key value ...]"
    return _mset_generic(c, argv, True)


# ----------------------------------------------------------------------------- substrings


@command("append", 3, "write denyoom fast", "@string", keys=(1, 1, 1))
def append(c, argv):
    "APPEND key value"
    db = c.db
    key = argv[1]
    v = db.lookup_write(key)
    if v is None:
        new = argv[2]
        db.add(key, new)
    elif type(v) is not bytes:
        raise RedisError(_WRONGTYPE)
    else:
        _check_length(c, len(v) + len(argv[2]))
        new = mark_string_encoding(v + argv[2], b"raw")  # Redis unshares: raw from now on
        db.set(key, new, True)
    db.changed(key, b"append", "$")
    return len(new)


@command("strlen", 2, "readonly fast", "@string", keys=(1, 1, 1))
def strlen(c, argv):
    "STRLEN key"
    v = _get_string(c, argv[1])
    return 0 if v is None else len(v)


@command("getrange", 4, "readonly", "@string", keys=(1, 1, 1))
def getrange(c, argv):
    "GETRANGE key start end"
    start = parse_int(argv[2])
    end = parse_int(argv[3])
    v = _get_string(c, argv[1])
    if v is None:
        return b""
    n = len(v)
    if start < 0 and end < 0 and start > end:
        return b""
    if start < 0:
        start += n
    if end < 0:
        end += n
    if start < 0:
        start = 0
    if end < 0:
        end = 0
    if end >= n:
        end = n - 1
    if start > end or n == 0:
        return b""
    return v[start:end + 1]


@command("substr", 4, "readonly", "@string", keys=(1, 1, 1))
def substr(c, argv):
    "SUBSTR key start end"
    return getrange(c, argv)


@command("setrange", 4, "write denyoom", "@string", keys=(1, 1, 1))
def setrange(c, argv):
    "SETRANGE key offset value"
    offset = parse_int(argv[2])
    if offset < 0:
        raise RedisError(errors.OFFSET_OUT_OF_RANGE)
    key = argv[1]
    value = argv[3]
    vlen = len(value)
    db = c.db
    v = db.lookup_write(key)
    if v is None:
        if vlen == 0:
            return 0
        _check_length(c, offset + vlen)
        new = mark_string_encoding(bytes(offset) + value, b"raw")
        db.add(key, new)
    elif type(v) is not bytes:
        raise RedisError(_WRONGTYPE)
    else:
        olen = len(v)
        if vlen == 0:
            return olen
        _check_length(c, offset + vlen)
        if offset > olen:
            new = v + bytes(offset - olen) + value
        else:
            new = v[:offset] + value + v[offset + vlen:]
        new = mark_string_encoding(new, b"raw")
        db.set(key, new, True)
    db.changed(key, b"setrange", "$")
    return len(new)


# ----------------------------------------------------------------------------- counters


def _incr_decr(c, key, incr: int) -> int:
    db = c.db
    v = db.lookup_write(key)
    if v is None:
        old = 0
    elif type(v) is not bytes:
        raise RedisError(_WRONGTYPE)
    else:
        old = to_int(v)
        if old is None:
            raise RedisError(errors.NOT_INTEGER)
    if (incr < 0 and old < 0 and incr < INT64_MIN - old) or \
            (incr > 0 and old > 0 and incr > INT64_MAX - old):
        raise RedisError(errors.OVERFLOW)
    new = old + incr
    if v is None:
        db.add(key, b"%d" % new)
    else:
        db.set(key, b"%d" % new, True)
    db.changed(key, b"incrby", "$")
    return new


@command("incr", 2, "write denyoom fast", "@string", keys=(1, 1, 1))
def incr(c, argv):
    "INCR key"
    return _incr_decr(c, argv[1], 1)


@command("decr", 2, "write denyoom fast", "@string", keys=(1, 1, 1))
def decr(c, argv):
    "DECR key"
    return _incr_decr(c, argv[1], -1)


@command("incrby", 3, "write denyoom fast", "@string", keys=(1, 1, 1))
def incrby(c, argv):
    "INCRBY key increment"
    return _incr_decr(c, argv[1], parse_int(argv[2]))


@command("decrby", 3, "write denyoom fast", "@string", keys=(1, 1, 1))
def decrby(c, argv):
    "DECRBY key decrement"
    n = -parse_int(argv[2])
    if n > INT64_MAX:       # -LLONG_MIN wraps to LLONG_MIN in C
        n = INT64_MIN
    return _incr_decr(c, argv[1], n)


@command("incrbyfloat", 3, "write denyoom fast", "@string", keys=(1, 1, 1))
def incrbyfloat(c, argv):
    "INCRBYFLOAT key increment"
    db = c.db
    key = argv[1]
    v = db.lookup_write(key)
    if v is not None and type(v) is not bytes:
        raise RedisError(_WRONGTYPE)
    new = mark_string_encoding(longdouble.incr_by_float(v, argv[2]), b"embstr")
    if v is None:
        db.add(key, new)
    else:
        db.set(key, new, True)
    db.changed(key, b"incrbyfloat", "$")
    c.server.propagate(db, [b"SET", key, new, b"KEEPTTL"])
    return new


# ----------------------------------------------------------------------------- STRALGO


def _stralgo_keys(argv):
    """lcsGetKeys: the two keys after a KEYS option that comes before any STRINGS option."""
    n = len(argv)
    for i in range(2, n):
        a = argv[i].lower()
        if a == b"keys":
            return [argv[i + 1], argv[i + 2]] if i + 2 < n else []
        if a == b"strings":
            break
    return []


@command("stralgo", -2, "readonly", "@string", getkeys=_stralgo_keys)
def stralgo(c, argv):
    "STRALGO LCS [KEYS key1 key2 | STRINGS s1 s2] [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]"
    if argv[1].lower() != b"lcs":
        raise RedisError(errors.SYNTAX)
    return _lcs(c, argv)


def _lcs(c, argv):
    n = len(argv)
    getlen = getidx = withmatchlen = False
    minmatchlen = 0
    a = b = None
    j = 2
    while j < n:
        opt = argv[j].lower()
        more = n - 1 - j
        if opt == b"idx":
            getidx = True
        elif opt == b"len":
            getlen = True
        elif opt == b"withmatchlen":
            withmatchlen = True
        elif opt == b"minmatchlen" and more:
            minmatchlen = max(parse_int(argv[j + 1]), 0)
            j += 1
        elif opt == b"strings" and more > 1:
            if a is not None:
                raise RedisError(errors.LCS_STRINGS_OR_KEYS)
            a, b = argv[j + 1], argv[j + 2]
            j += 2
        elif opt == b"keys" and more > 1:
            if a is not None:
                raise RedisError(errors.LCS_STRINGS_OR_KEYS)
            lookup = c.db.lookup_read
            oa = lookup(argv[j + 1])
            ob = lookup(argv[j + 2])
            if (oa is not None and type(oa) is not bytes) or (ob is not None and type(ob) is not bytes):
                raise RedisError(errors.LCS_KEYS_NOT_STRINGS)
            a = b"" if oa is None else oa
            b = b"" if ob is None else ob
            j += 2
        else:
            raise RedisError(errors.SYNTAX)
        j += 1
    if a is None:
        raise RedisError(errors.LCS_NEED_STRINGS)
    if getlen and getidx:
        raise RedisError(errors.LCS_LEN_AND_IDX)
    rows, total = _lcs_table(a, b, getidx or not getlen)
    if getlen and not getidx:
        return total
    return _lcs_walk(a, b, rows, total, getidx, minmatchlen, withmatchlen)


def _lcs_table(a: bytes, b: bytes, keep_rows: bool):
    """Bit-parallel LCS (Allison-Dix / Hyyro): row i is an int V_i whose zero bits below j
    count LCS(a[:i], b[:j]).  O(len(a) * len(b) / wordsize) instead of Redis's full table."""
    m = len(b)
    full = (1 << m) - 1
    masks: dict = {}
    for j, ch in enumerate(b):
        masks[ch] = masks.get(ch, 0) | (1 << j)
    v = full
    rows = [v] if keep_rows else None
    get = masks.get
    for ch in a:
        u = v & get(ch, 0)
        v = ((v + u) | (v - u)) & full
        if keep_rows:
            rows.append(v)
    return rows, m - v.bit_count()


def _lcs_walk(a, b, rows, total, getidx, minmatchlen, withmatchlen):
    """The backtracking of stralgoLCS: the LCS string, or the IDX map of matching ranges."""

    def L(i, j):  # LCS(a[:i], b[:j])
        return j - (rows[i] & ((1 << j) - 1)).bit_count()

    alen = len(a)
    idx = total
    result = bytearray(total)
    matches = []
    ar_start = alen
    ar_end = br_start = br_end = 0
    i, j = alen, len(b)
    while i > 0 and j > 0:
        emit = False
        if a[i - 1] == b[j - 1]:
            result[idx - 1] = a[i - 1]
            if ar_start == alen:
                ar_start = ar_end = i - 1
                br_start = br_end = j - 1
            elif ar_start == i and br_start == j:
                ar_start -= 1
                br_start -= 1
            else:
                emit = True
            if ar_start == 0 or br_start == 0:
                emit = True
            idx -= 1
            i -= 1
            j -= 1
        else:
            if L(i - 1, j) > L(i, j - 1):
                i -= 1
            else:
                j -= 1
            if ar_start != alen:
                emit = True
        if emit:
            mlen = ar_end - ar_start + 1
            if getidx and (minmatchlen == 0 or mlen >= minmatchlen):
                m = [[ar_start, ar_end], [br_start, br_end]]
                if withmatchlen:
                    m.append(mlen)
                matches.append(m)
            ar_start = alen
    if getidx:
        return resp.Map({b"matches": matches, b"len": total})
    return bytes(result)
