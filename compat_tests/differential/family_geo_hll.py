"""Differential generators for two families: ``geo`` (GEO* commands on sorted sets) and
``hll`` (PF* commands on HyperLogLog strings).

geo: GEOADD (NX/XX/CH in any order, coordinates at and past the limits, bad numbers), GEOPOS,
GEODIST (every unit, bad units), GEOHASH, GEORADIUS / GEORADIUSBYMEMBER and their _RO forms
(WITH*, COUNT n [ANY], ASC/DESC, STORE/STOREDIST), GEOSEARCH / GEOSEARCHSTORE (mostly a
well-formed FROM*/BY* combination with options in any order, sometimes an option soup for the
combination errors), plus ZADD (arbitrary scores: positions of non-geohash scores), ZREM,
ZSCORE, ZCARD on the same keys.  Points come mostly from a 0.1-degree grid around (0, 0), so
radius and box searches find several members, many at equal distances (COUNT then keeps
Redis's partial-sort order).  Every reply is deterministic: a search reply is in the order
Redis scans the cells (or sorts by distance), never random.

hll: PFADD (a few elements, or a run of hundreds/thousands so that sparse values are promoted
to dense at the default ``hll-sparse-max-bytes``), PFCOUNT (one key: the cached cardinality
written into the header is compared by the state check's GET; several keys), PFMERGE,
PFDEBUG GETREG/ENCODING/TODENSE/DECODE, and hand-made values: plain strings, HYLL headers
with bad encodings, wrong lengths, sparse payloads whose runs do not add up to 16384
registers, stale cached cardinalities; SETRANGE/APPEND over an HLL.  The state check reads
HLL keys with GET, so the HLL bytes are compared exactly.

Left out on purpose: sparse values that *end in a truncated XZERO opcode* (a last byte
0x40..0x7f).  Redis reads the byte past the end of the value as the opcode's second byte, and
when PFADD splits that run it writes the new run's second byte past the end too (memcpy after
sdsIncrLen overwrites the NUL terminator), where the next command reads it back: PFDEBUG
DECODE / PFCOUNT then depend on a byte that is not part of the value (gone after COPY, DUMP,
a restart).  Perdure reads the NUL terminator there (see ``server/hll.py``); the fresh-value
cases are covered by ``compat_tests/test_hll.py`` (``test_truncated_xzero_*``).
"""

from __future__ import annotations

from hypothesis import strategies as st

from . import commands as K
from .commands import C, either, key, options, pick, rare, tok

GEO_KEYS = (b"geo1", b"geo2", b"geo3")
HLL_KEYS = (b"pf1", b"pf2", b"pf3")

# --------------------------------------------------------------------------- geo

GK = GEO_KEYS
GRID = tuple(("%.1f" % (x / 10)).encode() for x in range(-3, 4)) + (b"1.0", b"-1.0", b"0.60")
LONS = GRID + (b"0.05", b"13.361389", b"15.087269", b"-179.9", b"179.9", b"180", b"-180", b"-0.0",
               b"1e-5", b"179.99999")
LATS = GRID + (b"0.05", b"38.115556", b"37.502669", b"85.05112878", b"-85.05112878", b"85", b"-85",
               b"-16.5", b"1e-5")
BAD_LONS = (b"180.1", b"-180.5", b"abc", b"", b"nan", b"inf", b"-inf", b"1e400", b" 1", b"0x1")
BAD_LATS = (b"85.06", b"-86", b"90", b"abc", b"", b"nan", b"inf", b"1e400")
GMEMBERS = (b"a", b"b", b"c", b"d", b"e", b"f", b"Palermo", b"", b"withdist", b"nx", b"1", K.LONG,
            b"p0_0", b"p2_-1")
UNITS = (b"m", b"km", b"mi", b"ft")
BAD_UNITS = (b"KM", b"M", b"yd", b"", b"kms")
RADII = (b"0", b"5", b"11.1", b"15", b"25", b"50", b"100", b"1000", b"11000", b"15000", b"25000",
         b"35000", b"100000", b"1000000", b"20000000", b"0.5")
BAD_RADII = (b"-1", b"abc", b"nan", b"1e400", b"", b"inf", b"-0.1")
COUNTS = (b"1", b"2", b"3", b"4", b"5", b"10", b"100", b"8", b"13", b"30", b"41", b"50")
BAD_COUNTS = (b"0", b"-1", b"abc", b"9223372036854775808", b"1.5", b"")
# ZADD on a geo key: scores that are no geohash of a valid position (or the extremes of one)
GEO_SCORES = (b"0", b"1", b"-1", b"1.5", b"4503599627370495", b"4503599627370496", b"1e20",
              b"inf", b"-inf", b"3471579339700058", b"3471579339700059", b"1e-300")


def _lon(draw):
    return either(draw, LONS, BAD_LONS, 12)


def _lat(draw):
    return either(draw, LATS, BAD_LATS, 12)


def _unit(draw):
    return either(draw, UNITS, BAD_UNITS, 12)


def _radius(draw):
    return either(draw, RADII, BAD_RADII, 12)


def _count(draw):
    return either(draw, COUNTS, BAD_COUNTS, 10)


def _gmember(draw):
    return pick(draw, GMEMBERS)


def _geoadd(draw):
    flags = [pick(draw, (b"NX", b"XX", b"CH", b"ch", b"nx", b"xx")) for _ in range(draw(st.integers(0, 2)))]
    if rare(draw, 12):
        flags.insert(draw(st.integers(0, len(flags))), pick(draw, (b"GT", b"INCR", b"BAD")))
    triples = [a for _ in range(draw(st.integers(1, 4))) for a in (_lon(draw), _lat(draw), _gmember(draw))]
    if rare(draw, 15):
        triples = triples[:-1]
    return C(b"GEOADD", key(draw, GK), *flags, *triples)


def _geoadd_grid(draw):
    """A square grid of points ``p<i>_<j>`` at once: up to 81 members, many at equal distances
    from a grid point, so a COUNT search runs Redis's partial pqsort on more than 7 and more
    than 40 elements (its median-of-three and ninther paths)."""
    half = pick(draw, (1, 2, 3, 4))
    step = pick(draw, (0.1, 0.05, 1.0, 0.3))
    args = []
    for i in range(-half, half + 1):
        for j in range(-half, half + 1):
            args += [("%.2f" % (i * step)).encode(), ("%.2f" % (j * step)).encode(), b"p%d_%d" % (i, j)]
    return C(b"GEOADD", key(draw, GK), *args)


def _count_opt(draw):
    out = [b"COUNT", _count(draw)]
    if draw(st.booleans()):
        out.append(pick(draw, (b"ANY", b"any")))
    return out


RADIUS_OPTS = (
    tok("WITHCOORD"), tok("WITHDIST"), tok("WITHHASH"), tok("withdist"),
    _count_opt, _count_opt, tok("ANY"),
    tok("ASC"), tok("DESC"), tok("desc"),
    lambda d: [b"STORE", key(d, GK)], lambda d: [pick(d, (b"STOREDIST", b"storedist")), key(d, GK)],
    tok("BAD"), tok("COUNT"), tok("STORE"),
)
RO_OPTS = RADIUS_OPTS[:10] + (tok("BAD"),)


def _radius_opts(draw, ro: bool):
    pool = RO_OPTS if ro else RADIUS_OPTS
    if rare(draw, 8):
        pool = pool + (lambda d: [b"STORE", key(d, GK)], tok("FROMMEMBER"))
    return options(draw, pool, 4)


def _georadius(draw):
    ro = draw(st.booleans())
    return C(b"GEORADIUS_RO" if ro else b"GEORADIUS", key(draw, GK), _lon(draw), _lat(draw), _radius(draw),
             _unit(draw), *_radius_opts(draw, ro))


def _georadiusbymember(draw):
    ro = draw(st.booleans())
    return C(b"GEORADIUSBYMEMBER_RO" if ro else b"GEORADIUSBYMEMBER", key(draw, GK), _gmember(draw),
             _radius(draw), _unit(draw), *_radius_opts(draw, ro))


def _from(draw):
    if draw(st.booleans()):
        return [pick(draw, (b"FROMMEMBER", b"frommember")), _gmember(draw)]
    return [b"FROMLONLAT", _lon(draw), _lat(draw)]


def _by(draw):
    if draw(st.booleans()):
        return [pick(draw, (b"BYRADIUS", b"byradius")), _radius(draw), _unit(draw)]
    return [b"BYBOX", _radius(draw), _radius(draw), _unit(draw)]


SEARCH_SOUP = (
    _from, _from, _by, _by, tok("ASC"), tok("DESC"), _count_opt, tok("ANY"), tok("WITHCOORD"),
    tok("WITHDIST"), tok("WITHHASH"), tok("STOREDIST"), lambda d: [b"STORE", key(d, GK)], tok("BAD"),
    tok("BYRADIUS"), tok("FROMLONLAT"), tok("COUNT"),
)


def _search_args(draw, store: bool):
    if rare(draw, 6):
        return options(draw, SEARCH_SOUP, 5)
    groups = [_from(draw), _by(draw), pick(draw, ((), (b"ASC",), (b"DESC",))),
              pick(draw, ((), _count_opt(draw)))]
    if store:
        groups.append(pick(draw, ((), (b"STOREDIST",))))
    else:
        groups += [pick(draw, ((), (b"WITHCOORD",))), pick(draw, ((), (b"WITHDIST",))),
                   pick(draw, ((), (b"WITHHASH",)))]
    return [a for g in draw(st.permutations(groups)) for a in g]


def _geosearch(draw):
    return C(b"GEOSEARCH", key(draw, GK), *_search_args(draw, False))


def _geosearchstore(draw):
    return C(b"GEOSEARCHSTORE", key(draw, GK), key(draw, GK), *_search_args(draw, True))


def _gmembers(draw, lo=1, hi=3):
    return [_gmember(draw) for _ in range(draw(st.integers(lo, hi)))]


def _geodist(draw):
    tail = pick(draw, ((), (_unit(draw),), (_unit(draw),), (b"km", b"x")))
    return C(b"GEODIST", key(draw, GK), _gmember(draw), _gmember(draw), *tail)


GEO_GENS = (
    _geoadd_grid,
    _geoadd,
    _geoadd,
    _geoadd,
    lambda d: C(b"GEOPOS", key(d, GK), *_gmembers(d, 0, 3)),
    lambda d: C(b"GEOHASH", key(d, GK), *_gmembers(d, 0, 3)),
    _geodist,
    _georadius,
    _georadius,
    _georadiusbymember,
    _georadiusbymember,
    _geosearch,
    _geosearch,
    _geosearchstore,
    lambda d: C(b"ZREM", key(d, GK), *_gmembers(d)),
    lambda d: C(b"ZSCORE", key(d, GK), _gmember(d)),
    lambda d: C(b"ZCARD", key(d, GK)),
    lambda d: C(b"ZADD", key(d, GK), pick(d, GEO_SCORES), _gmember(d)),
    lambda d: C(b"DEL", key(d, GK)),
    lambda d: C(b"EXPIRE", key(d, GK), b"1000"),  # a STORE destination loses it, GEOADD keeps it
)

# --------------------------------------------------------------------------- hll

HK = HLL_KEYS
ELEMENTS = (b"a", b"b", b"c", b"foo", b"bar", b"", b"1", b"2", b"\x00", K.LONG, b"e1", b"e10", b"x1")
_HDR_SPARSE = b"HYLL\x01\x00\x00\x00"
_CARD_INVALID = b"\x00" * 7 + b"\x80"
_CARD_ZERO = b"\x00" * 8
_XZERO_ALL = b"\x7f\xff"  # XZERO of 16384 registers
_DENSE_ZEROS = b"\x00" * 12288
HLL_VALUES = (
    b"hello", b"HYLL", b"HYLL\x01", b"hyll" + b"\x01" + b"\x00" * 11 + _XZERO_ALL,
    _HDR_SPARSE + _CARD_ZERO + _XZERO_ALL,                       # a valid empty HLL
    _HDR_SPARSE + b"\x05" + b"\x00" * 7 + _XZERO_ALL,            # a stale cached cardinality 5
    _HDR_SPARSE + _CARD_INVALID + _XZERO_ALL,
    _HDR_SPARSE + _CARD_INVALID + b"\x7f\xfe",                   # 16383 registers only
    _HDR_SPARSE + _CARD_INVALID + b"\x80\x7f\xfe",               # VAL 1, then 16383 zeros
    _HDR_SPARSE + _CARD_INVALID + b"\x7f\xff\x80",               # a VAL past the 16384th register
    _HDR_SPARSE + _CARD_INVALID + b"\x7f\xfe\xfc",               # 16383 zeros, VAL 32
    _HDR_SPARSE + _CARD_INVALID + b"\x3f" * 256,                 # 256 ZERO runs of 64
    _HDR_SPARSE + _CARD_INVALID + b"\x3f" * 257,                 # one run too many
    _HDR_SPARSE + _CARD_INVALID,                                 # no registers at all
    b"HYLL\x02\x00\x00\x00" + _CARD_INVALID + _XZERO_ALL,        # unknown encoding
    b"HYLL\x00\x00\x00\x00" + _CARD_INVALID + b"\x00" * 100,     # dense, wrong length
    b"HYLL\x00\x00\x00\x00" + _CARD_INVALID + _DENSE_ZEROS,      # dense, all zero
    b"HYLL\x00\x00\x00\x00" + _CARD_INVALID + b"\x41\x10\x04" * 4096,  # dense, every register 1
    b"HYLL\x00\x00\x00\x00" + _CARD_INVALID + b"\xff" * 12288,   # dense, every register 63
    b"HYLL\x00\x00\x00\x00" + _CARD_ZERO + _DENSE_ZEROS[:-1] + b"\x08",  # cached 0, a register set
)
RANGE_OFFSETS = (b"4", b"8", b"15", b"16", b"17", b"18", b"19", b"30", b"100", b"12303", b"12304")
# no single byte 0x40..0x7f (an XZERO cut short at the end of the value: see the docstring)
RANGE_VALUES = (b"\x00", b"\x01", b"\x80", b"\xff", b"\x7f\xff", b"\x40\x00", b"\xfc", b"\x3f", b"\x90",
                b"\x80\x80\x80", b"\x7f\xff\x7f\xff")
PF_SUBS = (b"GETREG", b"ENCODING", b"TODENSE", b"DECODE", b"getreg", b"encoding", b"todense",
           b"decode", b"BAD", b"SIMD")


def _elements(draw):
    """A few elements from a pool, or (1 in 5) a run ``<prefix><n>`` of up to a few thousand,
    enough for the sparse -> dense promotion (3000 bytes, about 1000-1500 registers set)."""
    if rare(draw, 5):
        prefix = pick(draw, (b"e", b"x", b"el:"))
        start = pick(draw, (0, 1, 100, 500, 1000))
        n = pick(draw, (20, 100, 300, 600, 1000, 1500, 3000))
        return [b"%s%d" % (prefix, i) for i in range(start, start + n)]
    return [pick(draw, ELEMENTS) for _ in range(draw(st.integers(0, 4)))]


def _pfdebug(draw):
    tail = () if not rare(draw, 10) else (b"x",)
    return C(b"PFDEBUG", pick(draw, PF_SUBS), key(draw, HK), *tail)


def _hll_keys(draw, lo, hi):
    return [key(draw, HK) for _ in range(draw(st.integers(lo, hi)))]


HLL_GENS = (
    lambda d: C(b"PFADD", key(d, HK), *_elements(d)),
    lambda d: C(b"PFADD", key(d, HK), *_elements(d)),
    lambda d: C(b"PFADD", key(d, HK), *_elements(d)),
    lambda d: C(b"PFCOUNT", key(d, HK)),
    lambda d: C(b"PFCOUNT", key(d, HK)),
    lambda d: C(b"PFCOUNT", *_hll_keys(d, 2, 3)),
    lambda d: C(b"PFMERGE", *_hll_keys(d, 1, 3)),
    lambda d: C(b"PFMERGE", *_hll_keys(d, 1, 3)),
    _pfdebug,
    lambda d: C(b"SET", key(d, HK), pick(d, HLL_VALUES)),
    lambda d: C(b"SETRANGE", key(d, HK), pick(d, RANGE_OFFSETS), pick(d, RANGE_VALUES)),
    lambda d: C(b"APPEND", key(d, HK), pick(d, RANGE_VALUES)),
    lambda d: C(b"COPY", key(d, HK), key(d, HK), *pick(d, ((), (b"REPLACE",)))),
    lambda d: C(b"DEL", key(d, HK)),
    lambda d: C(b"EXPIRE", key(d, HK), b"1000"),  # PFADD/PFMERGE/PFCOUNT keep it
)

K.register("geo", GEO_GENS, keys=GEO_KEYS)
K.register("hll", HLL_GENS, keys=HLL_KEYS)
