"""Geospatial commands (geo.c): GEOADD, GEODIST, GEOHASH, GEOPOS, GEORADIUS,
GEORADIUSBYMEMBER (and their _RO forms), GEOSEARCH, GEOSEARCHSTORE.

Positions live in a sorted set (:mod:`.zset_type`): the score of a member is the 52-bit
geohash of its position (:mod:`..geohash`).  GEOADD is ZADD with computed scores (Redis calls
zaddCommand; so do we, through :func:`.zsets.zadd_generic`, hence its ``zadd`` event).  Radius
and box searches scan, in Redis's order, the score ranges of the centre cell and its
neighbours chosen by ``geohashCalculateAreasByShapeWGS84``, keep the points inside the shape,
sort them by distance with a stable sort (glibc's qsort is a merge sort) and stop early for
``COUNT n ANY`` exactly where Redis stops, so ties and ANY give the same members.

Replies follow Redis 6.2.14: distances with 4 decimals (``%.4f``), coordinates in the
``%.17Lf`` "human" long-double form (RESP3 doubles), hashes as integers, 6.2's error texts
(units are case-sensitive; one STORE error text for GEORADIUS and GEOSEARCHSTORE).

Writes (GEOADD, GEORADIUS* STORE/STOREDIST, GEOSEARCHSTORE) depend only on the data and the
arguments, so the effects log holds them verbatim.
"""

from __future__ import annotations

from .. import errors, geohash, resp
from ..args import parse_int
from ..errors import RedisError
from ..geohash import Shape
from ..registry import command
from .zset_type import ZSet, get_zset, limits, parse_score
from .zsets import zadd_generic

UNIT_ERR = "ERR unsupported unit provided. please use m, km, ft, mi"
STORE_ERR = ("ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and "
             "WITHCOORDS options")
NO_MEMBER = "ERR could not decode requested zset member"
_UNITS = {b"m": 1.0, b"km": 1000.0, b"ft": 0.3048, b"mi": 1609.34}

# georadiusGeneric flags
COORDS = 1      # search around coordinates (GEORADIUS)
MEMBER = 2      # search around a member (GEORADIUSBYMEMBER)
NOSTORE = 4     # STORE / STOREDIST refused (the _RO variants)
SEARCH = 8      # GEOSEARCH syntax
SEARCHSTORE = 16

_LLONG_MIN = -(1 << 63)


def _cstr(b: bytes) -> bytes:
    """An argument as C code sees it: up to its first NUL."""
    i = b.find(b"\0")
    return b if i < 0 else b[:i]


def _opt(b: bytes) -> bytes:
    """strcasecmp's view of an option word."""
    return _cstr(b).lower()


def lonlat(argv, i: int):
    """extractLongLatOrReply: (longitude, latitude) from argv[i], argv[i+1]."""
    x = parse_score(argv[i])
    y = parse_score(argv[i + 1])
    if (x < geohash.GEO_LONG_MIN or x > geohash.GEO_LONG_MAX
            or y < geohash.GEO_LAT_MIN or y > geohash.GEO_LAT_MAX):
        raise RedisError("ERR invalid longitude,latitude pair %f,%f" % (x, y))
    return x, y


def unit(b: bytes) -> float:
    """extractUnitOrReply: meters per unit (strcmp: lower case only)."""
    u = _UNITS.get(_cstr(b))
    if u is None:
        raise RedisError(UNIT_ERR)
    return u


def _radius(argv, i: int, shape: Shape) -> None:
    """extractDistanceOrReply: radius and unit at argv[i], argv[i+1]."""
    r = parse_score(argv[i], "ERR need numeric radius")
    if r < 0:
        raise RedisError("ERR radius cannot be negative")
    shape.radius = r
    shape.conversion = unit(argv[i + 1])
    shape.box = False


def _box(argv, i: int, shape: Shape) -> None:
    """extractBoxOrReply: width, height and unit at argv[i..i+2]."""
    w = parse_score(argv[i], "ERR need numeric width")
    h = parse_score(argv[i + 1], "ERR need numeric height")
    if h < 0 or w < 0:
        raise RedisError("ERR height or width cannot be negative")
    shape.width = w
    shape.height = h
    shape.conversion = unit(argv[i + 2])
    shape.box = True


def _member_pos(z, member):
    s = z.d.get(member)
    if s is None:
        raise RedisError(NO_MEMBER)
    return geohash.decode_score(s)


def human(x: float) -> bytes:
    """ld2string(LD_STR_HUMAN): ``%.17Lf`` without trailing zeros ("-0" becomes "0")."""
    s = "%.17f" % x
    if "." in s:
        s = s.rstrip("0")
        if s.endswith("."):
            s = s[:-1]
    if s == "-0":
        s = "0"
    return s.encode()


def _coord(proto: int, x: float):
    """addReplyHumanLongDouble: a bulk string in RESP2, a double in RESP3."""
    t = human(x)
    if proto == 2:
        return t
    return resp.Raw(b"," + t + b"\r\n")


def _as_ll(score: float) -> int:
    """``(long long) score`` (x86-64: out of range gives LLONG_MIN)."""
    if -9223372036854775808.0 <= score < 9223372036854775808.0:
        return int(score)
    return _LLONG_MIN


# ------------------------------------------------------------------------------ GEOADD

@command("geoadd", -5, "write denyoom", "@geo", keys=(1, 1, 1))
def geoadd(c, argv):
    "GEOADD key [NX|XX] [CH] longitude latitude member [longitude latitude member ...]"
    n = len(argv)
    longidx = 2
    nx = xx = False
    while longidx < n:
        o = _opt(argv[longidx])
        if o == b"nx":
            nx = True
        elif o == b"xx":
            xx = True
        elif o != b"ch":
            break
        longidx += 1
    if (n - longidx) % 3 or (xx and nx):
        raise RedisError(errors.SYNTAX)
    zargv = [b"zadd", argv[1]]
    zargv += argv[2:longidx]
    for i in range(longidx, n, 3):
        x, y = lonlat(argv, i)
        zargv.append(b"%d" % geohash.score_of(x, y))
        zargv.append(argv[i + 2])
    return zadd_generic(c, zargv, False)


# ---------------------------------------------------------------- GEORADIUS / GEOSEARCH

def _scan(z, shape: Shape, limit: int) -> list:
    """membersOfAllNeighbors: the points inside ``shape`` as [dist, score, member, x, y], in
    the order Redis finds them; with ``limit`` (COUNT ANY) it stops as soon as it has that
    many."""
    found = []
    cells = geohash.areas_by_shape(shape)
    sl = z.sl
    last = 0
    decode = geohash.decode_score
    within = geohash.within
    for i, cell in enumerate(cells):
        if cell is None:
            continue
        if last and cell == cells[last]:
            continue  # huge radius: adjacent cells can be the same one
        if limit and len(found) >= limit:
            break
        bits, step = cell
        lo = float(geohash.align52(bits, step))
        hi = float(geohash.align52(bits + 1, step))
        start, end = z.score_range((lo, False, hi, True))
        for score, member in sl.islice(start, end) if end > start else ():
            x, y = decode(score)
            d = within(shape, x, y)
            if d is not None:
                found.append([d, score, member, x, y])
            if limit and len(found) >= limit:
                break
        last = i
    return found


def _dist_key(p):
    return p[0]


def _cmp_asc(a, b) -> int:
    """sort_gp_asc."""
    da = a[0]
    db = b[0]
    return 1 if da > db else 0 if da == db else -1


def _cmp_desc(a, b) -> int:
    """sort_gp_desc."""
    da = a[0]
    db = b[0]
    return -1 if da > db else 0 if da == db else 1


def pqsort(arr: list, cmp, lrange: int, rrange: int) -> None:
    """Redis's pqsort.c (NetBSD's qsort, without its switch to insertion sort, that only sorts
    the partitions overlapping positions ``lrange..rrange``), element for element, so that
    members at equal distances come out in Redis's order when COUNT keeps only part of the
    results."""
    _pqsort(arr, 0, len(arr), cmp, lrange, rrange)


def _med3(A, a, b, c, cmp):
    if cmp(A[a], A[b]) < 0:
        return b if cmp(A[b], A[c]) < 0 else (c if cmp(A[a], A[c]) < 0 else a)
    return b if cmp(A[b], A[c]) > 0 else (a if cmp(A[a], A[c]) < 0 else c)


def _insertion(A, a, n, cmp):
    for pm in range(a + 1, a + n):
        pl = pm
        while pl > a and cmp(A[pl - 1], A[pl]) > 0:
            A[pl], A[pl - 1] = A[pl - 1], A[pl]
            pl -= 1


def _pqsort(A, a, n, cmp, L, R):
    # The C code recurses into the left part and loops on the right one; the parts are
    # disjoint, so an explicit stack (no recursion limit) leaves the same arrangement.
    todo = []
    while True:
        if n < 7:
            _insertion(A, a, n, cmp)
        else:
            pm = a + n // 2
            if n > 7:
                pl = a
                pn = a + n - 1
                if n > 40:
                    d = n // 8
                    pl = _med3(A, pl, pl + d, pl + 2 * d, cmp)
                    pm = _med3(A, pm - d, pm, pm + d, cmp)
                    pn = _med3(A, pn - 2 * d, pn - d, pn, cmp)
                pm = _med3(A, pl, pm, pn, cmp)
            A[a], A[pm] = A[pm], A[a]
            pa = pb = a + 1
            pc = pd = a + n - 1
            while True:
                while pb <= pc:
                    r = cmp(A[pb], A[a])
                    if r > 0:
                        break
                    if r == 0:
                        A[pa], A[pb] = A[pb], A[pa]
                        pa += 1
                    pb += 1
                while pb <= pc:
                    r = cmp(A[pc], A[a])
                    if r < 0:
                        break
                    if r == 0:
                        A[pc], A[pd] = A[pd], A[pc]
                        pd -= 1
                    pc -= 1
                if pb > pc:
                    break
                A[pb], A[pc] = A[pc], A[pb]
                pb += 1
                pc -= 1
            pn = a + n
            r = min(pa - a, pb - pa)
            for i in range(r):
                A[a + i], A[pb - r + i] = A[pb - r + i], A[a + i]
            r = min(pd - pc, pn - pd - 1)
            for i in range(r):
                A[pb + i], A[pn - r + i] = A[pn - r + i], A[pb + i]
            r = pb - pa
            if r > 1 and not ((L < a and R < a) or (L >= a + r and R >= a + r)):
                todo.append((a, r))
            r = pd - pc
            if r > 1:
                a2 = pn - r
                if not ((L < a2 and R < a2) or (L >= a2 + r and R >= a2 + r)):
                    todo.append((a2, r))
        if not todo:
            return
        a, n = todo.pop()


def georadius_generic(c, argv, src: int, flags: int):
    """georadiusGeneric: every radius / box search command."""
    db = c.db
    n = len(argv)
    z = get_zset(db, argv[src])
    shape = Shape()
    storekey = None
    storedist = False
    if flags & COORDS:
        base = 6
        shape.lon, shape.lat = lonlat(argv, 2)
        _radius(argv, 4, shape)
    elif flags & MEMBER and z is None:
        base = 5  # no source key: parse the options only, to pick the reply
    elif flags & MEMBER:
        base = 5
        shape.lon, shape.lat = _member_pos(z, argv[2])
        _radius(argv, 3, shape)
    else:
        base = 2
        if flags & SEARCHSTORE:
            base = 3
            storekey = argv[1]
    withdist = withhash = withcoords = False
    frommember = fromloc = byradius = bybox = False
    sort = 0  # 1 ASC, 2 DESC
    anyflag = False
    count = 0
    remaining = n - base
    i = 0
    while i < remaining:
        j = base + i
        arg = _opt(argv[j])
        if arg == b"withdist":
            withdist = True
        elif arg == b"withhash":
            withhash = True
        elif arg == b"withcoord":
            withcoords = True
        elif arg == b"any":
            anyflag = True
        elif arg == b"asc":
            sort = 1
        elif arg == b"desc":
            sort = 2
        elif arg == b"count" and i + 1 < remaining:
            count = parse_int(argv[j + 1])
            if count <= 0:
                raise RedisError("ERR COUNT must be > 0")
            i += 1
        elif (arg == b"store" or arg == b"storedist") and i + 1 < remaining \
                and not flags & NOSTORE and not flags & SEARCH:
            storekey = argv[j + 1]
            storedist = arg == b"storedist"
            i += 1
        elif arg == b"storedist" and flags & SEARCH and flags & SEARCHSTORE:
            storedist = True
        elif arg == b"frommember" and i + 1 < remaining and flags & SEARCH and not fromloc:
            if z is not None:
                shape.lon, shape.lat = _member_pos(z, argv[j + 1])
            frommember = True
            i += 1
        elif arg == b"fromlonlat" and i + 2 < remaining and flags & SEARCH and not frommember:
            shape.lon, shape.lat = lonlat(argv, j + 1)
            fromloc = True
            i += 2
        elif arg == b"byradius" and i + 2 < remaining and flags & SEARCH and not bybox:
            _radius(argv, j + 1, shape)
            byradius = True
            i += 2
        elif arg == b"bybox" and i + 3 < remaining and flags & SEARCH and not byradius:
            _box(argv, j + 1, shape)
            bybox = True
            i += 3
        else:
            raise RedisError(errors.SYNTAX)
        i += 1
    if storekey is not None and (withdist or withhash or withcoords):
        raise RedisError(STORE_ERR)
    if flags & SEARCH and not (frommember or fromloc):
        raise RedisError("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for %s"
                         % _cstr(argv[0]).decode("utf-8", "replace"))
    if flags & SEARCH and not (byradius or bybox):
        raise RedisError("ERR exactly one of BYRADIUS and BYBOX can be specified for %s"
                         % _cstr(argv[0]).decode("utf-8", "replace"))
    if anyflag and not count:
        raise RedisError("ERR the ANY argument requires COUNT argument")
    if z is None:
        if storekey is not None:
            if db.delete(storekey):
                db.changed(storekey, b"del", "g")
            return 0
        return []
    if count and not sort and not anyflag:
        sort = 1
    found = _scan(z, shape, count if anyflag else 0)
    if not found and storekey is None:
        return []
    returned = len(found) if not count or len(found) < count else count
    if sort:
        if returned == len(found):   # qsort: glibc's is a (stable) merge sort
            found.sort(key=_dist_key, reverse=sort == 2)
        elif len({p[0] for p in found}) == len(found):
            # no two distances equal: the first ``returned`` are the same whatever the sort
            found.sort(key=_dist_key, reverse=sort == 2)
        else:
            pqsort(found, _cmp_asc if sort == 1 else _cmp_desc, 0, returned - 1)
    conv = shape.conversion
    if storekey is None:
        out = []
        proto = c.proto
        plain = not (withdist or withhash or withcoords)
        for k in range(returned):
            d, score, member, x, y = found[k]
            if plain:
                out.append(member)
                continue
            item = [member]
            if withdist:
                item.append(b"%.4f" % (d / conv))
            if withhash:
                item.append(_as_ll(score))
            if withcoords:
                item.append([_coord(proto, x), _coord(proto, y)])
            out.append(item)
        return out
    if returned:
        scores = {}
        for k in range(returned):
            d, score, member, _x, _y = found[k]
            scores[member] = d / conv if storedist else score
        db.set(storekey, ZSet.from_scores(scores, *limits(c.server)))
        db.changed(storekey, b"geosearchstore" if flags & SEARCH else b"georadiusstore", "z")
    elif db.delete(storekey):
        db.changed(storekey, b"del", "g")
    return returned


def georadius_keys(argv):
    """georadiusGetKeys: the source key, then the last STORE / STOREDIST key, if any."""
    keys = [argv[1]]
    stored = None
    i = 5
    n = len(argv)
    while i < n:
        a = _opt(argv[i])
        if (a == b"store" or a == b"storedist") and i + 1 < n:
            stored = argv[i + 1]
            i += 1
        i += 1
    if stored is not None:
        keys.append(stored)
    return keys


@command("georadius", -6, "write denyoom", "@geo", keys=(1, 1, 1), getkeys=georadius_keys)
def georadius(c, argv):
    "GEORADIUS key longitude latitude radius m|km|ft|mi [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC] [STORE key] [STOREDIST key]"
    return georadius_generic(c, argv, 1, COORDS)


@command("georadiusbymember", -5, "write denyoom", "@geo", keys=(1, 1, 1),
         getkeys=georadius_keys)
def georadiusbymember(c, argv):
    "GEORADIUSBYMEMBER key member radius m|km|ft|mi [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC] [STORE key] [STOREDIST key]"
    return georadius_generic(c, argv, 1, MEMBER)


@command("georadius_ro", -6, "readonly", "@geo", keys=(1, 1, 1))
def georadius_ro(c, argv):
    "GEORADIUS_RO key longitude latitude radius m|km|ft|mi [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC]"
    return georadius_generic(c, argv, 1, COORDS | NOSTORE)


@command("georadiusbymember_ro", -5, "readonly", "@geo", keys=(1, 1, 1))
def georadiusbymember_ro(c, argv):
    "GEORADIUSBYMEMBER_RO key member radius m|km|ft|mi [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC|DESC]"
    return georadius_generic(c, argv, 1, MEMBER | NOSTORE)


@command("geosearch", -7, "readonly", "@geo", keys=(1, 1, 1))
def geosearch(c, argv):
    "GEOSEARCH key FROMMEMBER member|FROMLONLAT longitude latitude BYRADIUS radius m|km|ft|mi|BYBOX width height m|km|ft|mi [ASC|DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]"
    return georadius_generic(c, argv, 1, SEARCH)


@command("geosearchstore", -8, "write denyoom", "@geo", keys=(1, 2, 1))
def geosearchstore(c, argv):
    "GEOSEARCHSTORE destination source FROMMEMBER member|FROMLONLAT longitude latitude BYRADIUS radius m|km|ft|mi|BYBOX width height m|km|ft|mi [ASC|DESC] [COUNT count [ANY]] [STOREDIST]"
    return georadius_generic(c, argv, 2, SEARCH | SEARCHSTORE)


# ------------------------------------------------------------- GEOHASH / GEOPOS / GEODIST

@command("geohash", -2, "readonly", "@geo", keys=(1, 1, 1))
def geohash_cmd(c, argv):
    "GEOHASH key [member [member ...]]"
    z = get_zset(c.db, argv[1])
    if z is None:
        return [None] * (len(argv) - 2)
    get = z.d.get
    out = []
    for m in argv[2:]:
        s = get(m)
        out.append(None if s is None else geohash.geohash_string(s))
    return out


@command("geopos", -2, "readonly", "@geo", keys=(1, 1, 1))
def geopos(c, argv):
    "GEOPOS key [member [member ...]]"
    z = get_zset(c.db, argv[1])
    if z is None:
        return [resp.NilArray] * (len(argv) - 2)
    get = z.d.get
    proto = c.proto
    out = []
    for m in argv[2:]:
        s = get(m)
        if s is None:
            out.append(resp.NilArray)
        else:
            x, y = geohash.decode_score(s)
            out.append([_coord(proto, x), _coord(proto, y)])
    return out


@command("geodist", -4, "readonly", "@geo", keys=(1, 1, 1))
def geodist(c, argv):
    "GEODIST key member1 member2 [m|km|ft|mi]"
    to_meter = 1.0
    n = len(argv)
    if n == 5:
        to_meter = unit(argv[4])
    elif n > 5:
        raise RedisError(errors.SYNTAX)
    z = get_zset(c.db, argv[1])
    if z is None:
        return None
    s1 = z.d.get(argv[2])
    s2 = z.d.get(argv[3])
    if s1 is None or s2 is None:
        return None
    x1, y1 = geohash.decode_score(s1)
    x2, y2 = geohash.decode_score(s2)
    return b"%.4f" % (geohash.distance(x1, y1, x2, y2) / to_meter)
