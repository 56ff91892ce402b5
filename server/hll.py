"""The HyperLogLog codec, byte for byte Redis 6.2's (hyperloglog.c).

A HyperLogLog is an ordinary string value::

    +------+---+-----+----------+----------------------------------+
    | HYLL | E | N/U | Cardin.  |  registers: sparse or dense      |
    +------+---+-----+----------+----------------------------------+
      4 B   1 B  3 B    8 B (little endian, bit 63 = cache invalid)

* dense (E = 0): 16384 registers of 6 bits, LSB first, 12288 bytes;
* sparse (E = 1): run-length opcodes ``ZERO`` (``00xxxxxx``, 1..64 zero registers),
  ``XZERO`` (``01xxxxxx yyyyyyyy``, 1..16384 zero registers) and ``VAL`` (``1vvvvvxx``, 1..4
  registers of value 1..32).

Everything that decides the bytes follows the C code: MurmurHash64A with seed 0xadc83b19,
the register index / run length (:func:`patlen`), ``hllSparseSet``'s opcode splitting and its
five-opcode merge window, promotion to dense when a value exceeds 32 or the string would grow
past ``hll-sparse-max-bytes``, the cached cardinality, and the estimator (Ertl's improved
estimator on the register histogram, ``llroundl``).  So PFCOUNT answers what Redis answers and
GET returns the bytes Redis would hold, and values move between both servers unchanged.

Speed (pure Python, no numpy):

* hashing many elements at once (:func:`hashes`) packs elements of equal length into 128-bit
  lanes of one big integer and runs MurmurHash64A on all lanes with a handful of big-int
  multiplications, shifts and masks per 8-byte block;
* whole-register operations (histogram, union, dense re-packing) work on a 16384-byte
  "raw" register array (one byte per register) obtained with strided slices and lane-wise
  big-int arithmetic, never a Python loop over 16384 registers;
* sparse updates use an opcode list with a bisect index (:class:`Sparse`), equivalent to the
  C byte walk for any well-formed sparse value; values that are not well formed (the spans do
  not add up to 16384, a truncated XZERO) go through :func:`_mirror_sparse_set`, a literal
  translation of ``hllSparseSet`` on an sds-like buffer (:class:`_Sds`: spare room past the
  end included), so corrupted values get Redis's replies and bytes.  One difference remains:
  a byte that Redis wrote past the end of a truncated value stays in its memory for later
  commands, while a stored ``bytes`` value here ends where its length says (the next command
  reads the NUL terminator instead, as Redis does after a restart).
"""

from __future__ import annotations

import math
import re
import sys
from bisect import bisect_right
from collections import Counter
from itertools import accumulate
from struct import unpack_from as _unpack

HLL_P = 14
HLL_Q = 64 - HLL_P
REGISTERS = 1 << HLL_P
P_MASK = REGISTERS - 1
HDR_SIZE = 16
DENSE_REG_BYTES = (REGISTERS * 6 + 7) // 8
DENSE_SIZE = HDR_SIZE + DENSE_REG_BYTES
DENSE = 0
SPARSE = 1
MAX_ENCODING = 1
VAL_MAX_VALUE = 32
VAL_MAX_LEN = 4
ZERO_MAX_LEN = 64
XZERO_MAX_LEN = 16384
ALPHA_INF = 0.721347520444481703680  # 0.5/ln(2)

_M = 0xc6a4a7935bd1e995
_MASK = 0xFFFFFFFFFFFFFFFF
SEED = 0xadc83b19
_Q_BIT = 1 << HLL_Q

PROMOTE = 2   # sparse set result: the value must become dense first
_BIG_ENDIAN = sys.byteorder != "little"  # memoryview.cast("Q") reads native-endian words

_EMPTY_SPARSE_PAYLOAD = bytes((0x40 | ((XZERO_MAX_LEN - 1) >> 8), (XZERO_MAX_LEN - 1) & 0xFF))


def empty_hll() -> bytes:
    """createHLLObject: a sparse HLL of 16384 zero registers (cache valid, cardinality 0)."""
    return b"HYLL\x01\x00\x00\x00" + b"\x00" * 8 + _EMPTY_SPARSE_PAYLOAD


def is_valid(v) -> bool:
    """isHLLObjectOrReply's tests (the caller has already checked that ``v`` is a string)."""
    n = len(v)
    if n < HDR_SIZE or v[:4] != b"HYLL":
        return False
    enc = v[4]
    if enc > MAX_ENCODING:
        return False
    return enc != DENSE or n == DENSE_SIZE


def invalidate(v) -> bytes:
    """HLL_INVALIDATE_CACHE: set bit 7 of the last cardinality byte."""
    if v[15] & 0x80:
        return v
    return v[:15] + bytes((v[15] | 0x80,)) + v[16:]


# ------------------------------------------------------------------------------- hashing


def murmur64a(data: bytes, seed: int = SEED) -> int:
    """MurmurHash64A as in Redis (endian neutral)."""
    m = _M
    n = len(data)
    h = (seed ^ (n * m)) & _MASK
    nb = n >> 3
    if nb:
        for k in _unpack("<%dQ" % nb, data, 0) if _BIG_ENDIAN else memoryview(data)[:nb << 3].cast("Q"):
            k = (k * m) & _MASK
            k ^= k >> 47
            h ^= (k * m) & _MASK
            h = (h * m) & _MASK
    if n & 7:
        h ^= int.from_bytes(data[nb << 3:], "little")
        h = (h * m) & _MASK
    h ^= h >> 47
    h = (h * m) & _MASK
    return h ^ (h >> 47)


def patlen(ele: bytes):
    """hllPatLen: (register index, length of the 000..1 pattern) of an element."""
    h = murmur64a(ele)
    r = (h >> HLL_P) | _Q_BIT
    return h & P_MASK, (r & -r).bit_length()


_LANE_CACHE: dict = {}


def _lane_consts(n: int):
    """(repunit, low-64-bit mask) for ``n`` 128-bit lanes."""
    c = _LANE_CACHE.get(n)
    if c is None:
        rep = int.from_bytes((b"\x01" + b"\x00" * 15) * n, "little")
        lm = int.from_bytes((b"\xff" * 8 + b"\x00" * 8) * n, "little")
        c = (rep, lm)
        if n <= 4096:  # small ones only: a 100k-lane pair weighs 3 MB
            if len(_LANE_CACHE) >= 16:
                _LANE_CACHE.clear()
            _LANE_CACHE[n] = c
    return c


def _hash_group(elems: list, length: int) -> list:
    """MurmurHash64A of ``elems`` (all ``length`` bytes long), all lanes at once."""
    n = len(elems)
    m = _M
    rep, lm = _lane_consts(n)
    blob = b"".join(elems)
    width = 16 * n
    h = ((SEED ^ (length * m)) & _MASK) * rep
    nb = length >> 3
    for j in range(nb):
        buf = bytearray(width)
        o = j << 3
        for b in range(8):
            buf[b::16] = blob[o + b::length]
        k = (int.from_bytes(buf, "little") * m) & lm
        k ^= (k >> 47) & lm
        h ^= (k * m) & lm
        h = (h * m) & lm
    tail = length & 7
    if tail:
        buf = bytearray(width)
        o = nb << 3
        for b in range(tail):
            buf[b::16] = blob[o + b::length]
        h ^= int.from_bytes(buf, "little")
        h = (h * m) & lm
    h ^= (h >> 47) & lm
    h = (h * m) & lm
    h ^= (h >> 47) & lm
    if _BIG_ENDIAN:
        return list(_unpack("<%dQ" % (2 * n), h.to_bytes(width, "little"), 0)[::2])
    return memoryview(h.to_bytes(width, "little")).cast("Q")[::2].tolist()


_GROUP_MIN = 48  # below this many elements of one length the scalar hash is faster


def hashes(elems: list) -> list:
    """MurmurHash64A of every element, in order."""
    n = len(elems)
    if n < _GROUP_MIN:
        return [murmur64a(e) for e in elems]
    lens = list(map(len, elems))
    lo = min(lens)
    if lo == max(lens):
        if lo == 0:
            return [murmur64a(b"")] * n
        return _hash_group(elems, lo)
    order = sorted(range(n), key=lens.__getitem__)
    slens = [lens[i] for i in order]
    out = [0] * n
    a = 0
    while a < n:
        length = slens[a]
        b = bisect_right(slens, length, a)
        idx = order[a:b]
        if b - a < _GROUP_MIN or length == 0:
            for i in idx:
                out[i] = murmur64a(elems[i])
        else:
            for i, h in zip(idx, _hash_group([elems[i] for i in idx], length)):
                out[i] = h
        a = b
    return out


# ----------------------------------------------------------------- raw <-> dense registers

def _lanes(byte: int, n: int) -> int:
    return int.from_bytes(bytes((byte,)) * n, "little")


_N3 = DENSE_REG_BYTES // 3  # 4096 groups of 3 bytes = 4 registers
_M03, _M0F, _M30, _M3C = _lanes(0x03, _N3), _lanes(0x0F, _N3), _lanes(0x30, _N3), _lanes(0x3C, _N3)
_MC0, _MF0, _MFC = _lanes(0xC0, _N3), _lanes(0xF0, _N3), _lanes(0xFC, _N3)
_T_AND63 = bytes(i & 63 for i in range(256))
_T_SHR2 = bytes(i >> 2 for i in range(256))
_H80 = _lanes(0x80, REGISTERS)
_ALLFF = _lanes(0xFF, REGISTERS)
ZERO_RAW = bytes(REGISTERS)


def dense_to_raw(v) -> bytearray:
    """The 16384 registers of a dense HLL (``v`` is the whole value), one byte each."""
    regs = v[HDR_SIZE:HDR_SIZE + DENSE_REG_BYTES]
    b0 = regs[0::3]
    b1 = regs[1::3]
    b2 = regs[2::3]
    i0 = int.from_bytes(b0, "little")
    i1 = int.from_bytes(b1, "little")
    i2 = int.from_bytes(b2, "little")
    out = bytearray(REGISTERS)
    out[0::4] = b0.translate(_T_AND63)
    out[1::4] = (((i0 >> 6) & _M03) | ((i1 << 2) & _M3C)).to_bytes(_N3, "little")
    out[2::4] = (((i1 >> 4) & _M0F) | ((i2 << 4) & _M30)).to_bytes(_N3, "little")
    out[3::4] = b2.translate(_T_SHR2)
    return out


def raw_to_dense_regs(raw) -> bytearray:
    """Pack 16384 one-byte registers (values < 64) into the 12288-byte dense layout."""
    r0 = int.from_bytes(raw[0::4], "little")
    r1 = int.from_bytes(raw[1::4], "little")
    r2 = int.from_bytes(raw[2::4], "little")
    r3 = int.from_bytes(raw[3::4], "little")
    out = bytearray(DENSE_REG_BYTES)
    out[0::3] = (r0 | ((r1 << 6) & _MC0)).to_bytes(_N3, "little")
    out[1::3] = (((r1 >> 2) & _M0F) | ((r2 << 4) & _MF0)).to_bytes(_N3, "little")
    out[2::3] = (((r2 >> 4) & _M03) | ((r3 << 2) & _MFC)).to_bytes(_N3, "little")
    return out


def raw_max(a, b) -> bytes:
    """Register-wise MAX of two raw arrays (values < 128), with lane arithmetic."""
    ia = int.from_bytes(a, "little")
    ib = int.from_bytes(b, "little")
    ge = (((ia | _H80) - ib) & _H80) >> 7       # 1 in every lane where a >= b
    sel = ge * 0xFF
    return ((ia & sel) | (ib & (sel ^ _ALLFF))).to_bytes(REGISTERS, "little")


def dense_get(p, regnum: int) -> int:
    """HLL_DENSE_GET_REGISTER on the register bytes ``p`` (header excluded)."""
    pos = regnum * 6
    b = pos >> 3
    fb = pos & 7
    if fb <= 2:
        return (p[b] >> fb) & 63
    return ((p[b] >> fb) | (p[b + 1] << (8 - fb))) & 63


def dense_set(p: bytearray, regnum: int, val: int) -> None:
    """HLL_DENSE_SET_REGISTER on the register bytes ``p`` (header excluded)."""
    pos = regnum * 6
    b = pos >> 3
    fb = pos & 7
    p[b] = (p[b] & ~(63 << fb) & 0xFF) | ((val << fb) & 0xFF)
    if fb > 2:
        fb8 = 8 - fb
        p[b + 1] = (p[b + 1] & ~(63 >> fb8) & 0xFF) | (val >> fb8)


# ------------------------------------------------------------------------ sparse format

def _byte_at(v, i: int) -> int:
    """A byte of an sds string: past the end is the NUL terminator."""
    return v[i] if i < len(v) else 0


def _c_view(v):
    """A sparse value as C walks see it: a truncated XZERO at the end reads the byte past
    the end (the sds NUL terminator) as its second byte."""
    return v + b"\x00" if _split(v) is None else v


def sparse_to_raw(v):
    """hllSparseToDense / hllMerge's walk: (raw registers, valid).  A VAL run that would go
    past register 16383 stops the walk; the value is valid if the walk then stands exactly at
    16384 (the registers of an invalid value are meaningless)."""
    model = Sparse.parse(v)
    if model is not None:
        return model.raw(), True
    kinds, vals, lens = _ops(_c_view(v))
    raw = bytearray(REGISTERS)
    idx = 0
    for kind, val, n in zip(kinds, vals, lens):
        if kind == _VAL:
            if idx + n > REGISTERS:
                break
            raw[idx:idx + n] = bytes((val,)) * n
        idx += n
    return raw, idx == REGISTERS


def sparse_histogram(v):
    """hllSparseRegHisto: (histogram[64], valid)."""
    runs, xzs = _split(_c_view(v))
    singles = b"".join(runs)
    idx = sum(xzs) + sum(singles.translate(_ZLEN_T))
    histo = [0] * 64
    histo[0] = idx
    for b, n in Counter(singles.translate(None, _ZERO_BYTES)).items():
        ln = ((b & 3) + 1) * n
        histo[((b >> 2) & 0x1F) + 1] += ln
        idx += ln
    return histo, idx == REGISTERS


def raw_histogram(raw) -> list:
    """Register histogram of a raw array (hllRawRegHisto / hllDenseRegHisto)."""
    histo = [0] * 64
    top = max(raw)
    cnt = raw.count
    for val in range(top + 1):
        histo[val] = cnt(bytes((val,)))
    return histo


def decode_sparse(v) -> bytes:
    """PFDEBUG DECODE's text for a sparse value."""
    parts = []
    p = HDR_SIZE
    end = len(v)
    while p < end:
        b = v[p]
        if b & 0xC0 == 0:
            parts.append(b"z:%d" % ((b & 0x3F) + 1))
            p += 1
        elif b & 0x80 == 0:
            parts.append(b"Z:%d" % ((((b & 0x3F) << 8) | _byte_at(v, p + 1)) + 1))
            p += 2
        else:
            parts.append(b"v:%d,%d" % (((b >> 2) & 0x1F) + 1, (b & 3) + 1))
            p += 1
    return b" ".join(parts)


# Opcode kinds of the fast sparse model.
_ZERO, _XZERO, _VAL = 0, 1, 2


_XZ = re.compile(rb"[\x40-\x7f]")
_KIND_T = bytes(_ZERO if i & 0xC0 == 0 else _VAL if i & 0x80 else _XZERO for i in range(256))
_VAL_T = bytes(((i >> 2) & 0x1F) + 1 if i & 0x80 else 0 for i in range(256))
_LEN_T = bytes((i & 0x3F) + 1 if i & 0xC0 == 0 else (i & 3) + 1 for i in range(256))
_ZLEN_T = bytes((i & 0x3F) + 1 if i & 0xC0 == 0 else 0 for i in range(256))
_ZERO_BYTES = bytes(range(0x40))


def _split(v):
    """The opcodes of a sparse value as (runs of one-byte opcodes, XZERO lengths between
    them), or None if the value ends in a truncated XZERO.  XZERO opcodes are rare, so
    this costs a few C-level scans instead of a Python loop over every opcode."""
    runs = []
    xzs = []
    pos = HDR_SIZE
    end = len(v)
    search = _XZ.search
    while True:
        m = search(v, pos)
        if m is None:
            runs.append(v[pos:])
            return runs, xzs
        q = m.start()
        if q + 1 >= end:
            return None
        runs.append(v[pos:q])
        xzs.append((((v[q] & 0x3F) << 8) | v[q + 1]) + 1)
        pos = q + 2


def _ops(v):
    """(kinds, vals, lens) of the opcodes of a sparse value, or None if it ends in a
    truncated XZERO."""
    sp = _split(v)
    if sp is None:
        return None
    runs, xzs = sp
    kinds = list(runs[0].translate(_KIND_T))
    vals = list(runs[0].translate(_VAL_T))
    lens = list(runs[0].translate(_LEN_T))
    for i in range(len(xzs)):
        kinds.append(_XZERO)
        vals.append(0)
        lens.append(xzs[i])
        run = runs[i + 1]
        kinds += run.translate(_KIND_T)
        vals += run.translate(_VAL_T)
        lens += run.translate(_LEN_T)
    return kinds, vals, lens


class Sparse:
    """A well-formed sparse HLL as an opcode list, updated the way ``hllSparseSet`` updates
    the bytes (same splits, same merges, same promotion points), with a bisect index on the
    first register of every opcode instead of a linear walk.  ``buf`` (the opcode bytes) is
    kept in step with the lists."""

    __slots__ = ("kinds", "vals", "lens", "starts", "buf")

    @classmethod
    def parse(cls, v):
        """The model of a sparse value, or None when the value is not well formed."""
        ops = _ops(v)
        if ops is None:
            return None
        kinds, vals, lens = ops
        starts = list(accumulate(lens, initial=0))
        if starts.pop() != REGISTERS:
            return None
        s = cls()
        s.kinds = kinds
        s.vals = vals
        s.lens = lens
        s.starts = starts
        s.buf = bytearray(v[HDR_SIZE:])
        return s

    def _off(self, k: int) -> int:
        """Byte offset of opcode ``k`` in ``buf``."""
        return k + self.kinds[:k].count(_XZERO) if k else 0

    def set(self, index: int, count: int, max_bytes: int) -> int:
        """hllSparseSet: 0 (no change), 1 (updated) or PROMOTE (convert to dense first)."""
        if count > VAL_MAX_VALUE:
            return PROMOTE
        kinds = self.kinds
        vals = self.vals
        lens = self.lens
        starts = self.starts
        k = bisect_right(starts, index) - 1
        kind = kinds[k]
        runlen = lens[k]
        if kind == _VAL:
            if vals[k] >= count:
                return 0
            if runlen == 1:
                vals[k] = count
                self.buf[self._off(k)] = _valset(count, 1)
                self._merge(k)
                return 1
        elif kind == _ZERO and runlen == 1:
            kinds[k] = _VAL
            vals[k] = count
            self.buf[self._off(k)] = _valset(count, 1)
            self._merge(k)
            return 1
        first = starts[k]
        last = first + runlen - 1
        nk = []
        nv = []
        nl = []
        seq = bytearray()
        if kind == _VAL:
            cur = vals[k]
            if index != first:
                nk.append(_VAL)
                nv.append(cur)
                nl.append(index - first)
                seq.append(_valset(cur, index - first))
            nk.append(_VAL)
            nv.append(count)
            nl.append(1)
            seq.append(_valset(count, 1))
            if index != last:
                nk.append(_VAL)
                nv.append(cur)
                nl.append(last - index)
                seq.append(_valset(cur, last - index))
        else:
            if index != first:
                n = index - first
                nk.append(_XZERO if n > ZERO_MAX_LEN else _ZERO)
                nv.append(0)
                nl.append(n)
                _zero_op(seq, n)
            nk.append(_VAL)
            nv.append(count)
            nl.append(1)
            seq.append(_valset(count, 1))
            if index != last:
                n = last - index
                nk.append(_XZERO if n > ZERO_MAX_LEN else _ZERO)
                nv.append(0)
                nl.append(n)
                _zero_op(seq, n)
        oldlen = 2 if kind == _XZERO else 1
        delta = len(seq) - oldlen
        buf = self.buf
        if delta > 0 and HDR_SIZE + len(buf) + delta > max_bytes:
            return PROMOTE
        off = self._off(k)
        buf[off:off + oldlen] = seq
        ns = []
        pos = first
        for n in nl:
            ns.append(pos)
            pos += n
        kinds[k:k + 1] = nk
        vals[k:k + 1] = nv
        lens[k:k + 1] = nl
        starts[k:k + 1] = ns
        self._merge(k)
        return 1

    def _merge(self, k: int) -> None:
        """Step 4 of hllSparseSet: merge adjacent VAL opcodes, scanning at most five opcodes
        from the one before the updated opcode."""
        kinds = self.kinds
        vals = self.vals
        lens = self.lens
        i = k - 1 if k > 0 else 0
        scan = 5
        n = len(kinds)
        while i < n and scan:
            scan -= 1
            if kinds[i] != _VAL:
                i += 1
                continue
            j = i + 1
            if j < n and kinds[j] == _VAL and vals[i] == vals[j]:
                total = lens[i] + lens[j]
                if total <= VAL_MAX_LEN:
                    lens[i] = total
                    del kinds[j], vals[j], lens[j], self.starts[j]
                    off = self._off(i)
                    buf = self.buf
                    buf[off] = _valset(vals[i], total)
                    del buf[off + 1]
                    n -= 1
                    continue
            i += 1

    def payload(self) -> bytes:
        """The opcode bytes (what follows the header)."""
        return bytes(self.buf)

    def raw(self) -> bytearray:
        """The 16384 registers, one byte each."""
        raw = bytearray(REGISTERS)
        for kind, val, n, s in zip(self.kinds, self.vals, self.lens, self.starts):
            if kind == _VAL:
                raw[s:s + n] = bytes((val,)) * n
        return raw


def _valset(val: int, n: int) -> int:
    return 0x80 | ((val - 1) << 2) | (n - 1)


def _zero_op(out: bytearray, n: int) -> None:
    if n > ZERO_MAX_LEN:
        out.append(0x40 | ((n - 1) >> 8))
        out.append((n - 1) & 0xFF)
    else:
        out.append(n - 1)


class _Sds:
    """An sds string as hllSparseSet sees it: ``buf[:end]`` is the value; the bytes past
    ``end`` are the spare room, where a truncated opcode's missing byte may have been written
    by an earlier update of the same command (C reads them back)."""

    __slots__ = ("buf", "end")

    def __init__(self, v):
        self.buf = bytearray(v) + bytes(16)
        self.end = len(v)

    def room(self, n: int) -> None:
        if len(self.buf) < self.end + n + 8:
            self.buf += bytes(n + 16)

    def value(self) -> bytes:
        return bytes(self.buf[:self.end])

    def c_view(self) -> bytes:
        """What a C walk over the value reads (a truncated XZERO reads the next byte)."""
        v = self.value()
        return self.buf[:self.end + 1] if _split(v) is None else v


def _mirror_sparse_set(st: _Sds, index: int, count: int, max_bytes: int) -> int:
    """hllSparseSet translated literally (pointers, memmove, sdsIncrLen), for sparse values
    that are not well formed: 0, 1, -1 (invalid) or PROMOTE."""
    if count > VAL_MAX_VALUE:
        return PROMOTE
    st.room(3)
    s = st.buf
    end = st.end
    p = HDR_SIZE
    first = 0
    prev = -1
    span = 0
    while p < end:
        b = s[p]
        oplen = 1
        if b & 0xC0 == 0:
            span = (b & 0x3F) + 1
        elif b & 0x80:
            span = (b & 3) + 1
        else:
            span = (((b & 0x3F) << 8) | s[p + 1]) + 1
            oplen = 2
        if index <= first + span - 1:
            break
        prev = p
        p += oplen
        first += span
    if span == 0 or p >= end:
        return -1
    b = s[p]
    is_zero = b & 0xC0 == 0
    is_xzero = b & 0xC0 == 0x40
    if is_zero:
        runlen = (b & 0x3F) + 1
    elif is_xzero:
        runlen = (((b & 0x3F) << 8) | s[p + 1]) + 1
    else:
        runlen = (b & 3) + 1
    updated = False
    if not is_zero and not is_xzero:
        if ((b >> 2) & 0x1F) + 1 >= count:
            return 0
        if runlen == 1:
            s[p] = _valset(count, 1)
            updated = True
    elif is_zero and runlen == 1:
        s[p] = _valset(count, 1)
        updated = True
    if not updated:
        last = first + span - 1
        seq = bytearray()
        if is_zero or is_xzero:
            if index != first:
                _zero_op(seq, index - first)
            seq.append(_valset(count, 1))
            if index != last:
                _zero_op(seq, last - index)
        else:
            curval = ((b >> 2) & 0x1F) + 1
            if index != first:
                seq.append(_valset(curval, index - first))
            seq.append(_valset(count, 1))
            if index != last:
                seq.append(_valset(curval, last - index))
        oldlen = 2 if is_xzero else 1
        delta = len(seq) - oldlen
        if delta > 0 and end + delta > max_bytes:
            return PROMOTE
        nxt = p + oldlen
        if delta and nxt < end:
            s[nxt + delta:end + delta] = s[nxt:end]      # memmove
        end += delta                                      # sdsIncrLen
        s[end] = 0
        s[p:p + len(seq)] = seq                           # memcpy (may pass the end)
    p = prev if prev >= 0 else HDR_SIZE
    scan = 5
    while p < end and scan:
        scan -= 1
        b = s[p]
        if b & 0xC0 == 0x40:
            p += 2
            continue
        if b & 0xC0 == 0:
            p += 1
            continue
        if p + 1 < end and s[p + 1] & 0x80:
            v1 = ((b >> 2) & 0x1F) + 1
            b2 = s[p + 1]
            if v1 == ((b2 >> 2) & 0x1F) + 1:
                total = (b & 3) + 1 + (b2 & 3) + 1
                if total <= VAL_MAX_LEN:
                    s[p + 1] = _valset(v1, total)
                    s[p:end] = s[p + 1:end + 1]           # memmove(p, p+1, end-p)
                    end -= 1
                    s[end] = 0                            # sdsIncrLen(-1)
                    continue
        p += 1
    st.end = end
    s[15] |= 0x80  # HLL_INVALIDATE_CACHE
    return 1


# ----------------------------------------------------------------------------- updates

class Corrupted(Exception):
    """A sparse representation found invalid while updating (-INVALIDOBJ)."""

    def __init__(self, value, updated):
        self.value = value      # the value as it stands (Redis keeps the partial update)
        self.updated = updated


_DENSE_DIRECT = 256  # up to this many elements a dense HLL is updated register by register


def _dense_add(hdr: bytes, regs: bytearray, hs, start: int):
    """Add the elements of hashes hs[start:] to dense register bytes: (value, updated)."""
    updated = 0
    n = len(hs)
    q = _Q_BIT
    if n - start <= _DENSE_DIRECT:
        for i in range(start, n):
            h = hs[i]
            r = (h >> HLL_P) | q
            count = (r & -r).bit_length()
            index = h & P_MASK
            if count > dense_get(regs, index):
                dense_set(regs, index, count)
                updated += 1
        return hdr + bytes(regs), updated
    raw = dense_to_raw(hdr + bytes(regs))
    for i in range(start, n):
        h = hs[i]
        r = (h >> HLL_P) | q
        count = (r & -r).bit_length()
        index = h & P_MASK
        if count > raw[index]:
            raw[index] = count
            updated += 1
    return hdr + bytes(raw_to_dense_regs(raw)), updated


def _promote_header(v) -> bytes:
    """hllSparseToDense copies the whole header, then marks it dense."""
    return v[:4] + b"\x00" + v[5:HDR_SIZE]


def add(v: bytes, hs: list, max_bytes: int):
    """hllAdd for every element hash in ``hs`` (see :func:`hashes`), in order: (new value,
    number of updates).

    Raises :class:`Corrupted` (carrying the partially updated value) when the value turns out
    to be an invalid sparse representation, as PFADD replies -INVALIDOBJ after the elements
    before the bad one were applied."""
    if v[4] == DENSE:
        return _dense_add(v[:HDR_SIZE], bytearray(v[HDR_SIZE:]), hs, 0)
    model = Sparse.parse(v)
    updated = 0
    n = len(hs)
    q = _Q_BIT
    if model is not None:
        sset = model.set
        for i in range(n):
            h = hs[i]
            r = (h >> HLL_P) | q
            count = (r & -r).bit_length()
            index = h & P_MASK
            r = sset(index, count, max_bytes)
            if r == PROMOTE:
                regs = raw_to_dense_regs(model.raw())
                dense_set(regs, index, count)
                value, more = _dense_add(_promote_header(v), regs, hs, i + 1)
                return value, updated + 1 + more
            updated += r
        return v[:HDR_SIZE] + model.payload(), updated
    st = _Sds(v)
    for i in range(n):
        h = hs[i]
        r = (h >> HLL_P) | q
        count = (r & -r).bit_length()
        index = h & P_MASK
        r = _mirror_sparse_set(st, index, count, max_bytes)
        if r == PROMOTE:
            raw, ok = sparse_to_raw(st.c_view())
            if not ok:
                raise Corrupted(st.value(), updated)
            regs = raw_to_dense_regs(raw)
            dense_set(regs, index, count)
            value, more = _dense_add(_promote_header(st.value()), regs, hs, i + 1)
            return value, updated + 1 + more
        if r < 0:
            raise Corrupted(st.value(), updated)
        updated += r
    return st.value(), updated


def to_dense(v):
    """hllSparseToDense: the dense form of a value, or None if the sparse form is invalid."""
    if v[4] == DENSE:
        return v
    raw, ok = sparse_to_raw(v)
    if not ok:
        return None
    return _promote_header(v) + bytes(raw_to_dense_regs(raw))


def registers(v):
    """hllMerge's view of a validated value: (raw registers, valid)."""
    if v[4] == DENSE:
        return dense_to_raw(v), True
    return sparse_to_raw(v)


def merge_into(dest: bytes, maxregs, max_bytes: int, use_dense: bool) -> bytes:
    """PFMERGE's write phase: set every non-zero register of ``maxregs`` into ``dest`` (which
    is already known valid), promoting as Redis does; the cache is invalidated."""
    if use_dense:
        dense = to_dense(dest)
        if dense is None:
            raise Corrupted(dest, 0)
        dest = dense
    if dest[4] == DENSE:
        raw = raw_max(dense_to_raw(dest), maxregs)
        return invalidate(dest[:HDR_SIZE] + bytes(raw_to_dense_regs(raw)))
    model = Sparse.parse(dest)
    if model is None:  # a destination that hllMerge accepts but that is not well formed
        st = _Sds(dest)
        for j in range(REGISTERS):
            c = maxregs[j]
            if c and _mirror_sparse_set(st, j, c, max_bytes) == PROMOTE:
                raw, ok = sparse_to_raw(st.c_view())
                if not ok:
                    continue  # hllSparseSet fails (-1): PFMERGE ignores it
                both = raw_max(raw, maxregs)
                raw = bytes(raw[:j]) + both[j:]
                return invalidate(_promote_header(st.value()) + bytes(raw_to_dense_regs(raw)))
        return invalidate(st.value())
    for j in range(REGISTERS):
        c = maxregs[j]
        if c and model.set(j, c, max_bytes) == PROMOTE:
            raw = raw_max(model.raw(), maxregs)
            return invalidate(_promote_header(dest) + bytes(raw_to_dense_regs(raw)))
    return invalidate(dest[:HDR_SIZE] + model.payload())


# ----------------------------------------------------------------------------- counting

def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y = 1.0
    z = x
    while True:
        x *= x
        zp = z
        z += x * y
        y += y
        if zp == z:
            return z


def _tau(x: float) -> float:
    if x == 0.0 or x == 1.0:
        return 0.0
    y = 1.0
    z = 1 - x
    sqrt = math.sqrt
    pow_ = math.pow
    while True:
        x = sqrt(x)
        zp = z
        y *= 0.5
        z -= pow_(1 - x, 2) * y
        if zp == z:
            return z / 3


def estimate(histo: list) -> int:
    """hllCount's estimator on a register histogram."""
    m = float(REGISTERS)
    z = m * _tau((m - histo[HLL_Q + 1]) / m)
    for j in range(HLL_Q, 0, -1):
        z += histo[j]
        z *= 0.5
    z += m * _sigma(histo[0] / m)
    if z == 0.0:
        return 1 << 63   # every register above 51: C divides by zero (inf)
    e = ALPHA_INF * m * m / z
    if e >= 9223372036854775807.5 or e != e:
        # llroundl overflows to LLONG_MIN; (uint64_t) of that double is 2^63 (bit 63 set,
        # which also leaves the cached value marked invalid)
        return 1 << 63
    n = math.floor(e)   # llroundl: halves away from zero (e >= 0)
    if e - n >= 0.5:
        n += 1
    return int(n)


def as_reply(card: int) -> int:
    """addReplyLongLong of a uint64 cardinality."""
    return card - (1 << 64) if card >= 1 << 63 else card


def count(v):
    """hllCount of a validated value: the estimate, or None if the sparse form is invalid."""
    if v[4] == DENSE:
        return estimate(raw_histogram(dense_to_raw(v)))
    histo, ok = sparse_histogram(v)
    if not ok:
        return None
    return estimate(histo)


def cached(v):
    """The cached cardinality if valid, else None."""
    if v[15] & 0x80:
        return None
    return int.from_bytes(v[8:16], "little")


def with_cache(v, card: int) -> bytes:
    return v[:8] + (card & _MASK).to_bytes(8, "little") + v[16:]
