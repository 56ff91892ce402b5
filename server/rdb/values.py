"""Serialise one value as ``rdbSaveObjectType`` + ``rdbSaveObject`` do, and load it back.

Writing follows Redis 6.2 (RDB 9) encoding by encoding:

===========  ===========================================================================
string       type 0, integer / LZF / plain string encoding
list         type 14 (quicklist): ziplist nodes cut where Redis's ``list-max-ziplist-size``
             fill would cut a list built by RPUSH
set          type 11 (intset blob) while intset-encoded, else type 2 (member strings)
zset         type 12 (ziplist blob, member/score pairs) while ziplist-encoded, else type 5
             (member + binary double, tail to head as Redis writes the skiplist)
hash         type 13 (ziplist blob) while ziplist-encoded, else type 4 (field/value strings)
stream       type 15 (listpacks, consumer groups, PELs): see :mod:`.stream`
===========  ===========================================================================

Reading accepts every type an RDB 1-11 file may hold except modules: the old linked-list,
zipmap and string-score encodings, Redis 6.2's, and Redis 7's listpack / quicklist-2 ones.
Loaded values get the encoding Redis would give them on load (from content and the
``*-max-ziplist-*`` / ``set-max-intset-entries`` limits).
"""

from __future__ import annotations

import math

from ..args import to_int
from ..commands import hashes as _hashes
from ..commands.lists import ListValue
from ..commands.sets import SetValue, new_set
from ..commands.zset_type import ZSet
from .encoding import (
    EmptyKeyError,
    RdbError,
    Reader,
    enc_double,
    enc_len,
    enc_lzf_blob,
    enc_string,
    intset_decode,
    intset_encode,
    listpack_decode,
    lzf_compress,
    ziplist_decode,
    ziplist_encode,
    ziplist_entry_size,
)

T_STRING, T_LIST, T_SET, T_ZSET, T_HASH, T_ZSET_2 = 0, 1, 2, 3, 4, 5
T_MODULE, T_MODULE_2 = 6, 7
T_HASH_ZIPMAP, T_LIST_ZIPLIST, T_SET_INTSET, T_ZSET_ZIPLIST, T_HASH_ZIPLIST = 9, 10, 11, 12, 13
T_LIST_QUICKLIST, T_STREAM_LISTPACKS = 14, 15
T_HASH_LISTPACK, T_ZSET_LISTPACK, T_LIST_QUICKLIST_2, T_STREAM_LISTPACKS_2 = 16, 17, 18, 19
T_SET_LISTPACK, T_STREAM_LISTPACKS_3 = 20, 21

DEFAULT_LIMITS = {
    "hash-max-ziplist-entries": 512, "hash-max-ziplist-value": 64,
    "list-max-ziplist-size": -2, "set-max-intset-entries": 512,
    "zset-max-ziplist-entries": 128, "zset-max-ziplist-value": 64,
    "rdbcompression": True,
}

_OPT_LEVEL = (4096, 8192, 16384, 32768, 65536)
_SIZE_SAFETY_LIMIT = 8192


class _Cfg:
    """What hashes.adopt expects: an object with a ``values`` dict."""

    __slots__ = ("values",)

    def __init__(self, values):
        self.values = values


def _stream_mod():
    from . import stream
    return stream


# ---- writing ---------------------------------------------------------------------------------


def _quicklist_nodes(items, fill: int) -> list:
    """Cut ``items`` into ziplist nodes as quicklistPushTail would (_quicklistNodeAllowInsert)."""
    nodes = []
    cur = []
    cur_sz = 11  # an empty ziplist
    prev_total = 0  # bytes of the node's last entry (decides the next prevlen's size)
    fill = max(-5, min(fill, 32767))  # quicklistSetFill's clamp
    limit = _OPT_LEVEL[-fill - 1] if fill < 0 else None
    for it in items:
        sz = len(it)
        if cur:
            ov = 1 if sz < 254 else 5
            ov += 1 if sz < 64 else (2 if sz < 16384 else 5)
            new_sz = cur_sz + sz + ov
            if limit is not None:
                allow = new_sz <= limit
            elif fill >= 0 and new_sz <= _SIZE_SAFETY_LIMIT:
                allow = len(cur) < fill
            else:
                allow = False
            if not allow:
                nodes.append(cur)
                cur = []
                cur_sz = 11
                prev_total = 0
        cur.append(it)
        total = ziplist_entry_size(it) + (4 if prev_total >= 254 else 0)
        cur_sz += total
        prev_total = total
    if cur:
        nodes.append(cur)
    return nodes


def _compress_node(zl: bytes):
    """__quicklistCompressNode: LZF of an interior node of at least 48 bytes, kept only when it
    saves more than 8 bytes."""
    n = len(zl)
    if n < 48:
        return None
    c = lzf_compress(zl, n)
    if c is None or len(c) + 8 >= n:
        return None
    return c


def _zl_score(s: float) -> bytes:
    """d2string: how zzlInsertAt stores a score in a ziplist."""
    if math.isnan(s):
        return b"nan"
    if math.isinf(s):
        return b"inf" if s > 0 else b"-inf"
    if s == 0:
        return b"-0" if math.copysign(1.0, s) < 0 else b"0"
    if -4503599627370495 < s < 4503599627370496 and s == int(s):
        return b"%d" % int(s)
    return (b"%.17g" % s)


def dump_value(v, limits=DEFAULT_LIMITS) -> bytes:
    """The type byte and the serialised value (what DUMP puts before version and CRC)."""
    t = type(v)
    comp = limits.get("rdbcompression", True)
    if t is bytes:
        return b"\x00" + enc_string(v, comp)
    if t is ListValue:
        nodes = _quicklist_nodes(v.tolist(), limits.get("list-max-ziplist-size", -2))
        out = [b"\x0e", enc_len(len(nodes))]
        depth = limits.get("list-compress-depth", 0)
        last = len(nodes) - depth
        for i, n in enumerate(nodes):
            zl = ziplist_encode(n)
            if depth and depth <= i < last:
                c = _compress_node(zl)
                if c is not None:  # a compressed node is written as is (rdbSaveLzfBlob)
                    out.append(enc_lzf_blob(c, len(zl)))
                    continue
            out.append(enc_string(zl, comp))
        return b"".join(out)
    if t is SetValue:
        if not v.ht:
            return b"\x0b" + enc_string(intset_encode([int(m) for m in v]), comp)
        out = [b"\x02", enc_len(len(v))]
        out.extend(enc_string(m, comp) for m in v)
        return b"".join(out)
    if t is ZSet:
        if v.ziplist:
            flat = []
            for s, m in v.sl:
                flat.append(m)
                flat.append(_zl_score(s))
            return b"\x0c" + enc_string(ziplist_encode(flat), comp)
        out = [b"\x05", enc_len(len(v))]
        for s, m in reversed(list(v.sl)):
            out.append(enc_string(m, comp))
            out.append(enc_double(s))
        return b"".join(out)
    if t is dict:
        if _hashes.is_ziplist(v):
            flat = []
            for f, x in v.items():
                flat.append(f)
                flat.append(x)
            return b"\x0d" + enc_string(ziplist_encode(flat), comp)
        out = [b"\x04", enc_len(len(v))]
        for f, x in v.items():
            out.append(enc_string(f, comp))
            out.append(enc_string(x, comp))
        return b"".join(out)
    st = _stream_mod()
    if st.is_stream(v):
        return st.dump_stream(v, comp)
    raise RdbError("cannot serialise a value of type %s" % t.__name__)


# ---- reading ---------------------------------------------------------------------------------


def _compact_limits(limits, kind: str) -> dict:
    """The limits a loaded ziplist is judged by in Redis 6.2: its length only (rdbLoadObject
    converts a RDB_TYPE_HASH_ZIPLIST / ZSET_ZIPLIST by entries, never by value length)."""
    return {kind + "-max-ziplist-entries": limits[kind + "-max-ziplist-entries"],
            kind + "-max-ziplist-value": math.inf}


def _hash_from(pairs: list, limits, what: str) -> dict:
    if len(pairs) % 2:
        raise RdbError("%s corrupt: odd number of elements" % what)
    h = {}
    it = iter(pairs)
    for f in it:
        if f in h:
            raise RdbError("%s corrupt: duplicate hash field" % what)
        h[f] = next(it)
    if not h:
        raise EmptyKeyError("empty hash (%s)" % what)
    return _hashes.adopt(h, _Cfg(limits))


def _zset_from(d: dict, limits) -> ZSet:
    if not d:
        raise EmptyKeyError("empty sorted set")
    return ZSet.from_scores(d, limits["zset-max-ziplist-entries"], limits["zset-max-ziplist-value"])


def _zset_pairs(flat: list, what: str) -> dict:
    if len(flat) % 2:
        raise RdbError("%s corrupt: odd number of elements" % what)
    d = {}
    for i in range(0, len(flat), 2):
        m = flat[i]
        try:
            s = float(flat[i + 1])
        except ValueError:
            raise RdbError("%s corrupt: invalid score" % what)
        if m in d or math.isnan(s):
            raise RdbError("%s corrupt: duplicate member or NaN score" % what)
        d[m] = s
    return d


def _set_from(members: list, limits, what: str) -> SetValue:
    s = new_set(members, limits["set-max-intset-entries"])
    if len(s) != len(members):
        raise RdbError("%s corrupt: duplicate set member" % what)
    if not s:
        raise EmptyKeyError("empty set (%s)" % what)
    return s


def load_value(t: int, r: Reader, limits=DEFAULT_LIMITS):
    """rdbLoadObject: read a value of RDB type ``t`` from ``r``."""
    if t == T_STRING:
        return r.string()
    if t == T_LIST_QUICKLIST or t == T_LIST_QUICKLIST_2:
        n = r.count()
        items = []
        for _ in range(n):
            if t == T_LIST_QUICKLIST_2:
                container = r.length()
                blob = r.string()
                if container == 1:  # PLAIN node: one large element
                    items.append(blob)
                    continue
                if container != 2:
                    raise RdbError("quicklist corrupt: unknown container %d" % container)
                node = listpack_decode(blob, "quicklist listpack node")
            else:
                node = ziplist_decode(r.string(), "quicklist ziplist node")
            if not node:
                continue  # Redis skips empty nodes too
            items.extend(node)
        if not items:
            raise EmptyKeyError("empty list")
        return ListValue(items)
    if t == T_LIST:
        n = r.count()
        items = [r.string() for _ in range(n)]
        if not items:
            raise EmptyKeyError("empty list")
        return ListValue(items)
    if t == T_LIST_ZIPLIST:
        items = ziplist_decode(r.string(), "list ziplist")
        if not items:
            raise EmptyKeyError("empty list")
        return ListValue(items)
    if t == T_SET:
        n = r.count()
        return _set_from([r.string() for _ in range(n)], limits, "set")
    if t == T_SET_INTSET:
        return _set_from(intset_decode(r.string()), limits, "intset")
    if t == T_SET_LISTPACK:
        return _set_from(listpack_decode(r.string(), "set listpack"), limits, "set listpack")
    if t == T_ZSET_2 or t == T_ZSET:
        n = r.count()
        d = {}
        for _ in range(n):
            m = r.string()
            s = r.double_bin() if t == T_ZSET_2 else r.double_str()
            if math.isnan(s):
                raise RdbError("zset corrupt: NaN score")
            if m in d:
                raise RdbError("zset corrupt: duplicate member")
            d[m] = s
        return _zset_from(d, limits)
    if t == T_ZSET_ZIPLIST:
        return _zset_from(_zset_pairs(ziplist_decode(r.string(), "zset ziplist"), "zset ziplist"),
                          _compact_limits(limits, "zset"))
    if t == T_ZSET_LISTPACK:
        return _zset_from(_zset_pairs(listpack_decode(r.string(), "zset listpack"), "zset listpack"), limits)
    if t == T_HASH:
        n = r.count()
        h = {}
        for _ in range(n):
            f = r.string()
            v = r.string()
            if f in h:
                raise RdbError("hash corrupt: duplicate field")
            h[f] = v
        if not h:
            raise EmptyKeyError("empty hash")
        return _hashes.adopt(h, _Cfg(limits))
    if t == T_HASH_ZIPLIST:
        return _hash_from(ziplist_decode(r.string(), "hash ziplist"), _compact_limits(limits, "hash"),
                          "hash ziplist")
    if t == T_HASH_LISTPACK:
        return _hash_from(listpack_decode(r.string(), "hash listpack"), limits, "hash listpack")
    if t == T_HASH_ZIPMAP:
        return _hash_from(_zipmap_decode(r.string()), limits, "zipmap")
    if t in (T_STREAM_LISTPACKS, T_STREAM_LISTPACKS_2, T_STREAM_LISTPACKS_3):
        return _stream_mod().load_stream(t, r)
    if t in (T_MODULE, T_MODULE_2):
        raise RdbError("module values are not supported (RDB type %d)" % t)
    raise RdbError("unknown RDB value type %d" % t)


def _zipmap_decode(blob: bytes) -> list:
    """The old (RDB < 4) zipmap hash encoding: field/value pairs."""
    out = []
    p = 1
    n = len(blob)
    try:
        while True:
            b = blob[p]
            if b == 0xFF:
                break
            for is_value in (False, True):
                b = blob[p]
                if b < 254:
                    ln = b
                    p += 1
                elif b == 254:
                    ln = int.from_bytes(blob[p + 1:p + 5], "little")
                    p += 5
                else:
                    raise RdbError("zipmap corrupt")
                if is_value:
                    free = blob[p]
                    p += 1
                    out.append(bytes(blob[p:p + ln]))
                    p += ln + free
                else:
                    out.append(bytes(blob[p:p + ln]))
                    p += ln
                if p > n:
                    raise RdbError("zipmap corrupt")
    except IndexError:
        raise RdbError("zipmap corrupt")
    return out


def is_int_string(b: bytes) -> bool:
    return to_int(b) is not None
