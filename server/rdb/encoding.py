"""The byte-level encodings inside an RDB file (rdb.c, ziplist.c, intset.c, listpack.c).

* RDB lengths (6/14/32/64-bit) and strings: integer-encoded (int8/16/32), LZF-compressed or
  plain, exactly as ``rdbSaveRawString`` chooses (:func:`enc_string`).
* Ziplists (Redis 6.2's small lists/hashes/zsets): :func:`ziplist_encode` picks each entry's
  encoding as ``zipTryEncoding`` does, so blobs are byte-identical to Redis's.
* Intsets and listpacks (streams; Redis 7's small types) both ways.
* :class:`Reader`: a cursor over an in-memory buffer whose every read is bounds-checked and
  raises :class:`RdbError` (never ``IndexError``/``struct.error``) on truncated or corrupt data.

CRC64 is Redis's (Jones polynomial, reflected, init 0) through ``crcmod``'s C extension; LZF
is liblzf through ``python-neo-lzf`` (the same algorithm Redis vendors, so blobs match).
"""

from __future__ import annotations

import struct

import crcmod
import lzf

from ..args import to_int


class RdbError(Exception):
    """The data is not a valid RDB file / DUMP payload (corrupt, truncated or unsupported)."""


class EmptyKeyError(RdbError):
    """An empty collection: RESTORE refuses it, loading a file skips the key (as Redis 6.2)."""


crc64 = crcmod.mkCrcFun(0x1AD93D23594C935A9, initCrc=0, rev=True, xorOut=0)
"""``crc64(data, crc=0)``: Redis's CRC-64/Jones (``crc64(0, p, len)`` in crc64.c)."""

_crc64_update = crc64


def crc64_update(crc: int, data) -> int:
    """Continue a CRC64 over more data (``crc64(crc, p, len)``)."""
    return _crc64_update(data, crc)


# ---- RDB lengths and opcodes ----------------------------------------------------------------

RDB_6BITLEN, RDB_14BITLEN, RDB_ENCVAL = 0, 1, 3
RDB_32BITLEN, RDB_64BITLEN = 0x80, 0x81
ENC_INT8, ENC_INT16, ENC_INT32, ENC_LZF = 0, 1, 2, 3

_pack_u32be = struct.Struct(">I").pack
_pack_u64be = struct.Struct(">Q").pack
_pack_d = struct.Struct("<d").pack
_unpack_d = struct.Struct("<d").unpack_from
_u16 = struct.Struct("<H")
_u32 = struct.Struct("<I")
_i16 = struct.Struct("<h")
_i32 = struct.Struct("<i")
_i64 = struct.Struct("<q")
_u64 = struct.Struct("<Q")


def enc_len(n: int) -> bytes:
    """rdbSaveLen."""
    if n < 64:
        return bytes((n,))
    if n < 16384:
        return bytes((0x40 | (n >> 8), n & 0xFF))
    if n <= 0xFFFFFFFF:
        return b"\x80" + _pack_u32be(n)
    return b"\x81" + _pack_u64be(n)


def enc_int_string(v: int) -> bytes | None:
    """rdbEncodeInteger: the int8/16/32 special encoding of ``v``, or None."""
    if -128 <= v <= 127:
        return bytes((0xC0, v & 0xFF))
    if -32768 <= v <= 32767:
        return b"\xc1" + _i16.pack(v)
    if -2147483648 <= v <= 2147483647:
        return b"\xc2" + _i32.pack(v)
    return None


def enc_string(s: bytes, compress: bool = True) -> bytes:
    """rdbSaveRawString: integer encoding for short decimal strings, LZF above 20 bytes when it
    saves at least 4 bytes (``rdbcompression``), plain otherwise."""
    n = len(s)
    if n <= 11 and n:
        v = to_int(s)
        if v is not None:
            e = enc_int_string(v)
            if e is not None:
                return e
    if compress and n > 20:
        c = lzf_compress(s, n - 4)
        if c is not None:
            return b"\xc3" + enc_len(len(c)) + enc_len(n) + c
    return enc_len(n) + s


def lzf_compress(s: bytes, out_len: int) -> bytes | None:
    """``lzf_compress(s, len, out, out_len)`` exactly as Redis's copy of liblzf answers it.

    The compressed bytes are liblzf's; Redis's lzf_compress, though, gives up (returns 0) on a
    few conservative bounds checks that the packaged liblzf does not make in the same way, so a
    result that ends within a few bytes of ``out_len`` is replayed token by token against
    those checks (:func:`_lzf_fits`) to decide as Redis does."""
    c = lzf.compress(s, out_len + 8)
    if c is None or len(c) > out_len:
        return None
    if len(c) + 5 < out_len or _lzf_fits(c, len(s), out_len):
        return c
    return None


def _lzf_fits(c: bytes, in_len: int, out_end: int) -> bool:
    """Replay liblzf's output pointer over the tokens of ``c`` and apply Redis lzf_c.c's
    checks: before a literal of the main loop ``op >= out_end``, before a back reference
    ``op + 3 + 1 >= out_end``, when the main loop ends ``op + 3 > out_end``."""
    op, lit, ip, i, n = 1, 0, 0, 0, len(c)
    main_end = in_len - 2
    in_main = True
    while i < n:
        ctrl = c[i]
        i += 1
        if ctrl < 32:  # literal run of ctrl + 1 bytes
            for _ in range(ctrl + 1):
                if in_main and ip >= main_end:
                    in_main = False
                    if op + 3 > out_end:
                        return False
                if in_main and op >= out_end:
                    return False
                op += 1
                lit += 1
                ip += 1
                if lit == 32:
                    op += 1
                    lit = 0
            i += ctrl + 1
        else:
            ln = ctrl >> 5
            if ln == 7:
                ln += c[i]
                i += 1
            i += 1
            if not lit:
                op -= 1
            if op + 4 >= out_end:
                return False
            op += 3 if ln >= 7 else 2
            op += 1
            lit = 0
            ip += ln + 2
            if ip >= main_end:
                in_main = False
                if op + 3 > out_end:
                    return False
    if in_main and op + 3 > out_end:
        return False
    return True


def enc_lzf_blob(c: bytes, original_len: int) -> bytes:
    """rdbSaveLzfBlob: an already-compressed string."""
    return b"\xc3" + enc_len(len(c)) + enc_len(original_len) + c


def enc_double(d: float) -> bytes:
    """rdbSaveBinaryDoubleValue: 8 bytes little endian."""
    return _pack_d(d)


def enc_ms(t: int) -> bytes:
    """rdbSaveMillisecondTime: int64 little endian."""
    return _i64.pack(t)


# ---- reading ---------------------------------------------------------------------------------


class Reader:
    """Bounds-checked cursor over ``buf`` (bytes or memoryview)."""

    __slots__ = ("buf", "pos", "end", "what")

    def __init__(self, buf, pos: int = 0, end: int | None = None, what: str = "RDB"):
        self.buf = buf
        self.pos = pos
        self.end = len(buf) if end is None else end
        self.what = what

    def truncated(self, need: int) -> RdbError:
        return RdbError("%s truncated: needed %d bytes at offset %d, only %d left"
                        % (self.what, need, self.pos, self.end - self.pos))

    def read(self, n: int) -> bytes:
        p = self.pos
        q = p + n
        if q > self.end or n < 0:
            raise self.truncated(n)
        self.pos = q
        return bytes(self.buf[p:q])

    def byte(self) -> int:
        p = self.pos
        if p >= self.end:
            raise self.truncated(1)
        self.pos = p + 1
        return self.buf[p]

    def length_or_enc(self) -> tuple[int, bool]:
        """rdbLoadLenByRef: (value, is_encoded)."""
        b = self.byte()
        t = b >> 6
        if t == RDB_6BITLEN:
            return b & 0x3F, False
        if t == RDB_14BITLEN:
            return ((b & 0x3F) << 8) | self.byte(), False
        if t == RDB_ENCVAL:
            return b & 0x3F, True
        if b == RDB_32BITLEN:
            return struct.unpack(">I", self.read(4))[0], False
        if b == RDB_64BITLEN:
            return struct.unpack(">Q", self.read(8))[0], False
        raise RdbError("unknown length encoding 0x%02x at offset %d" % (b, self.pos - 1))

    def length(self) -> int:
        n, encoded = self.length_or_enc()
        if encoded:
            raise RdbError("unexpected encoded value where a length was expected at offset %d" % (self.pos - 1))
        return n

    def count(self, min_bytes_each: int = 1) -> int:
        """A length that counts items still to read: refused when the rest of the data could
        not possibly hold that many (a corrupt length must not make us allocate wildly)."""
        n = self.length()
        if n * min_bytes_each > self.end - self.pos:
            raise RdbError("%s corrupt: count %d at offset %d exceeds the remaining data"
                           % (self.what, n, self.pos))
        return n

    def string(self) -> bytes:
        """rdbGenericLoadStringObject."""
        n, encoded = self.length_or_enc()
        if not encoded:
            return self.read(n)
        if n == ENC_INT8:
            v = self.byte()
            return b"%d" % (v - 256 if v > 127 else v)
        if n == ENC_INT16:
            return b"%d" % _i16.unpack(self.read(2))[0]
        if n == ENC_INT32:
            return b"%d" % _i32.unpack(self.read(4))[0]
        if n == ENC_LZF:
            clen = self.length()
            ulen = self.length()
            data = self.read(clen)
            if ulen == 0:
                raise RdbError("invalid LZF compressed string (zero length) at offset %d" % self.pos)
            out = lzf.decompress(data, ulen)
            if out is None or len(out) != ulen:
                raise RdbError("invalid LZF compressed string at offset %d" % self.pos)
            return out
        raise RdbError("unknown RDB string encoding %d at offset %d" % (n, self.pos - 1))

    def double_bin(self) -> float:
        p = self.pos
        if p + 8 > self.end:
            raise self.truncated(8)
        self.pos = p + 8
        return _unpack_d(self.buf, p)[0]

    def double_str(self) -> float:
        """rdbLoadDoubleValue (old ZSET type): length byte then text; 253/254/255 = nan/+inf/-inf."""
        n = self.byte()
        if n == 255:
            return float("-inf")
        if n == 254:
            return float("inf")
        if n == 253:
            return float("nan")
        try:
            return float(self.read(n))
        except ValueError:
            raise RdbError("invalid double value at offset %d" % self.pos)

    def ms(self) -> int:
        return _i64.unpack(self.read(8))[0]

    def u64(self) -> int:
        return _u64.unpack(self.read(8))[0]


# ---- ziplists --------------------------------------------------------------------------------

ZL_HEADER = 10
ZL_EMPTY = b"\x0b\x00\x00\x00\x0a\x00\x00\x00\x00\x00\xff"


def _zl_encode_entry(s) -> bytes:
    """Encoding + data of one ziplist entry (without prevlen), as zipTryEncoding decides."""
    if type(s) is int:
        v = s
    else:
        n = len(s)
        v = to_int(s) if 0 < n < 32 else None
        if v is None:
            if n <= 0x3F:
                return bytes((n,)) + s
            if n <= 0x3FFF:
                return bytes((0x40 | (n >> 8), n & 0xFF)) + s
            return b"\x80" + _pack_u32be(n) + s
    if 0 <= v <= 12:
        return bytes((0xF1 + v,))
    if -128 <= v <= 127:
        return bytes((0xFE, v & 0xFF))
    if -32768 <= v <= 32767:
        return b"\xc0" + _i16.pack(v)
    if -8388608 <= v <= 8388607:
        return b"\xf0" + _i32.pack(v)[:3]
    if -2147483648 <= v <= 2147483647:
        return b"\xd0" + _i32.pack(v)
    return b"\xe0" + _i64.pack(v)


def ziplist_encode(items) -> bytes:
    """A ziplist holding ``items`` (bytes, or ints for numbers already parsed)."""
    parts = []
    prev = 0
    tail = ZL_HEADER
    pos = ZL_HEADER
    count = 0
    for it in items:
        e = _zl_encode_entry(it)
        if prev < 254:
            ent = bytes((prev,)) + e
        else:
            ent = b"\xfe" + _u32.pack(prev) + e
        parts.append(ent)
        tail = pos
        pos += len(ent)
        prev = len(ent)
        count += 1
    total = pos + 1
    return b"".join((_u32.pack(total), _u32.pack(tail), _u16.pack(min(count, 0xFFFF)), *parts, b"\xff"))


def ziplist_entry_size(s) -> int:
    """Bytes an entry takes when appended after an entry of < 254 bytes (for node sizing)."""
    return 1 + len(_zl_encode_entry(s))


def ziplist_decode(blob: bytes, what: str = "ziplist") -> list:
    """The entries of a ziplist as bytes (integers rendered in decimal), header checked."""
    n = len(blob)
    if n < ZL_HEADER + 1:
        raise RdbError("%s corrupt: %d bytes is too short" % (what, n))
    total, tail, count = struct.unpack_from("<IIH", blob, 0)
    if total != n or blob[-1] != 0xFF or tail >= n:
        raise RdbError("%s corrupt: bad header (zlbytes %d for %d bytes)" % (what, total, n))
    out = []
    p = ZL_HEADER
    end = n - 1
    prevlen = 0
    try:
        while p < end:
            start = p
            b = blob[p]
            if b < 254:
                pl = b
                p += 1
            else:
                pl = _u32.unpack_from(blob, p + 1)[0]
                p += 5
            if pl != prevlen:
                raise RdbError("%s corrupt: bad prevlen at %d" % (what, start))
            b = blob[p]
            t = b >> 6
            if t == 0:
                ln = b & 0x3F
                p += 1
                v = blob[p:p + ln]
                p += ln
            elif t == 1:
                ln = ((b & 0x3F) << 8) | blob[p + 1]
                p += 2
                v = blob[p:p + ln]
                p += ln
            elif b == 0x80:
                ln = struct.unpack_from(">I", blob, p + 1)[0]
                p += 5
                v = blob[p:p + ln]
                p += ln
            elif b == 0xC0:
                v = b"%d" % _i16.unpack_from(blob, p + 1)[0]
                p += 3
            elif b == 0xD0:
                v = b"%d" % _i32.unpack_from(blob, p + 1)[0]
                p += 5
            elif b == 0xE0:
                v = b"%d" % _i64.unpack_from(blob, p + 1)[0]
                p += 9
            elif b == 0xF0:
                x = blob[p + 1] | (blob[p + 2] << 8) | (blob[p + 3] << 16)
                v = b"%d" % (x - (1 << 24) if x & 0x800000 else x)
                p += 4
            elif b == 0xFE:
                x = blob[p + 1]
                v = b"%d" % (x - 256 if x > 127 else x)
                p += 2
            elif 0xF1 <= b <= 0xFD:
                v = b"%d" % (b - 0xF1)
                p += 1
            else:
                raise RdbError("%s corrupt: invalid entry encoding 0x%02x" % (what, b))
            if p > end:
                raise RdbError("%s corrupt: entry overflows the blob" % what)
            out.append(bytes(v))
            prevlen = p - start
    except (IndexError, struct.error):
        raise RdbError("%s corrupt: entry overflows the blob" % what)
    if count != 0xFFFF and count != len(out):
        raise RdbError("%s corrupt: header says %d entries, found %d" % (what, count, len(out)))
    return out


# ---- intsets ---------------------------------------------------------------------------------


def intset_encode(values) -> bytes:
    """An intset of the (sorted, unique) ints ``values`` at the smallest width that fits."""
    vs = sorted(values)
    if not vs or (vs[0] >= -32768 and vs[-1] <= 32767):
        w, f = 2, "h"
    elif vs[0] >= -2147483648 and vs[-1] <= 2147483647:
        w, f = 4, "i"
    else:
        w, f = 8, "q"
    return struct.pack("<II%d%s" % (len(vs), f), w, len(vs), *vs)


def intset_decode(blob: bytes) -> list:
    """The members of an intset as decimal bytes."""
    if len(blob) < 8:
        raise RdbError("intset corrupt: too short")
    w, n = struct.unpack_from("<II", blob, 0)
    f = {2: "h", 4: "i", 8: "q"}.get(w)
    if f is None or len(blob) != 8 + w * n:
        raise RdbError("intset corrupt: bad encoding %d or length %d for %d bytes" % (w, n, len(blob)))
    vals = struct.unpack_from("<%d%s" % (n, f), blob, 8)
    for i in range(1, n):
        if vals[i - 1] >= vals[i]:
            raise RdbError("intset corrupt: members not sorted/unique")
    return [b"%d" % v for v in vals]


# ---- listpacks -------------------------------------------------------------------------------


def _backlen_size(n: int) -> int:
    if n <= 127:
        return 1
    if n < 16383:
        return 2
    if n < 2097151:
        return 3
    if n < 268435455:
        return 4
    return 5


def _backlen(n: int) -> bytes:
    if n <= 127:
        return bytes((n,))
    if n < 16383:
        return bytes((n >> 7, (n & 127) | 128))
    if n < 2097151:
        return bytes((n >> 14, ((n >> 7) & 127) | 128, (n & 127) | 128))
    if n < 268435455:
        return bytes((n >> 21, ((n >> 14) & 127) | 128, ((n >> 7) & 127) | 128, (n & 127) | 128))
    return bytes((n >> 28, ((n >> 21) & 127) | 128, ((n >> 14) & 127) | 128, ((n >> 7) & 127) | 128,
                  (n & 127) | 128))


def lp_entry(x) -> bytes:
    """One listpack element (encoding, data, backlen): an int, or bytes (integer-looking bytes
    are stored as integers, as lpInsert does)."""
    if type(x) is int:
        v = x
    else:
        v = to_int(x)
        if v is None:
            n = len(x)
            if n < 64:
                e = bytes((0x80 | n,)) + x
            elif n < 4096:
                e = bytes((0xE0 | (n >> 8), n & 0xFF)) + x
            else:
                e = b"\xf0" + _u32.pack(n) + x
            return e + _backlen(len(e))
    if 0 <= v <= 127:
        return bytes((v, 1))
    if -4096 <= v <= 4095:
        u = v & 0x1FFF
        return bytes((0xC0 | (u >> 8), u & 0xFF, 2))
    if -32768 <= v <= 32767:
        return b"\xf1" + _i16.pack(v) + b"\x03"
    if -8388608 <= v <= 8388607:
        return b"\xf2" + _i32.pack(v)[:3] + b"\x04"
    if -2147483648 <= v <= 2147483647:
        return b"\xf3" + _i32.pack(v) + b"\x05"
    return b"\xf4" + _i64.pack(v) + b"\x09"


def listpack_build(entries: list) -> bytes:
    """A listpack from already-encoded elements (:func:`lp_entry`)."""
    body = b"".join(entries)
    return _u32.pack(6 + len(body) + 1) + _u16.pack(min(len(entries), 0xFFFF)) + body + b"\xff"


def listpack_encode(items) -> bytes:
    return listpack_build([lp_entry(x) for x in items])


def listpack_decode(blob: bytes, what: str = "listpack", ints: bool = False) -> list:
    """The elements of a listpack: bytes (integers in decimal), or ints when ``ints`` is set
    and the element is integer-encoded."""
    n = len(blob)
    if n < 7:
        raise RdbError("%s corrupt: too short" % what)
    total, count = struct.unpack_from("<IH", blob, 0)
    if total != n or blob[-1] != 0xFF:
        raise RdbError("%s corrupt: bad header (total %d for %d bytes)" % (what, total, n))
    out = []
    p = 6
    end = n - 1
    try:
        while p < end:
            b = blob[p]
            if b < 0x80:
                v = b
                ln = 1
            elif b & 0xC0 == 0x80:
                ln = b & 0x3F
                v = bytes(blob[p + 1:p + 1 + ln])
                ln += 1
            elif b & 0xE0 == 0xC0:
                u = ((b & 0x1F) << 8) | blob[p + 1]
                v = u - 8192 if u >= 4096 else u
                ln = 2
            elif b & 0xF0 == 0xE0:
                ln = ((b & 0x0F) << 8) | blob[p + 1]
                v = bytes(blob[p + 2:p + 2 + ln])
                ln += 2
            elif b == 0xF1:
                v = _i16.unpack_from(blob, p + 1)[0]
                ln = 3
            elif b == 0xF2:
                x = blob[p + 1] | (blob[p + 2] << 8) | (blob[p + 3] << 16)
                v = x - (1 << 24) if x & 0x800000 else x
                ln = 4
            elif b == 0xF3:
                v = _i32.unpack_from(blob, p + 1)[0]
                ln = 5
            elif b == 0xF4:
                v = _i64.unpack_from(blob, p + 1)[0]
                ln = 9
            elif b == 0xF0:
                ln = _u32.unpack_from(blob, p + 1)[0]
                v = bytes(blob[p + 5:p + 5 + ln])
                ln += 5
            else:
                raise RdbError("%s corrupt: invalid element encoding 0x%02x" % (what, b))
            p += ln + _backlen_size(ln)
            if p > end:
                raise RdbError("%s corrupt: element overflows the blob" % what)
            if type(v) is int and not ints:
                v = b"%d" % v
            out.append(v)
    except (IndexError, struct.error):
        raise RdbError("%s corrupt: element overflows the blob" % what)
    if count != 0xFFFF and count != len(out):
        raise RdbError("%s corrupt: header says %d elements, found %d" % (what, count, len(out)))
    return out
