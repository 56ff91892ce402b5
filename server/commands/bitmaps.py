"""Bitmap commands (bitops.c): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO.

Bitmaps are plain strings (``bytes``).  Bit 0 is the most significant bit of byte 0, so a
bit field is a big-endian integer over the bit stream: reading or writing one is an
``int.from_bytes`` over the few bytes it spans.  Writes build a new ``bytes`` (SETBIT copies
the string: O(n) per call, ~2 memcpy of the string; BITFIELD copies once per command however
many sub-operations it has).  The key's TTL is kept.

Overflow handling of BITFIELD INCRBY/SET reproduces Redis's int64/uint64 arithmetic exactly,
wrap-arounds included.
"""

from __future__ import annotations

from .. import errors
from ..args import to_int
from ..errors import RedisError
from ..registry import command
from .keys import mark_string_encoding


def _raw(v: bytes) -> bytes:
    """Bitmap writes leave the string raw-encoded in Redis (it is unshared / created raw)."""
    return mark_string_encoding(v, b"raw")

_WRONGTYPE = errors.WRONGTYPE
M64 = (1 << 64) - 1
_NOT_TABLE = bytes(255 - i for i in range(256))


def _s64(x: int) -> int:
    """Two's-complement wrap to int64 (C signed overflow as it happens on the hardware)."""
    x &= M64
    return x - (1 << 64) if x >> 63 else x


def _get_string(c, key):
    v = c.db.lookup_read(key)
    if v is None or type(v) is bytes:
        return v
    raise RedisError(_WRONGTYPE)


def _bit_offset(c, raw: bytes, bits: int = 0) -> int:
    """getBitOffsetFromArgument: ``#N`` means N*bits when ``bits`` (BITFIELD) is given."""
    usehash = bits and raw[:1] == b"#"
    v = to_int(raw[1:] if usehash else raw)
    if v is None:
        raise RedisError(errors.BIT_OFFSET)
    if usehash:
        v = _s64(v * bits)
    if v < 0:
        raise RedisError(errors.BIT_OFFSET)
    srv = c.server
    if (v >> 3) >= srv.config["proto-max-bulk-len"] and not srv.replaying:
        raise RedisError(errors.BIT_OFFSET)
    return v


def _long(raw: bytes, err: str = errors.NOT_INTEGER) -> int:
    v = to_int(raw)
    if v is None:
        raise RedisError(err)
    return v


# ----------------------------------------------------------------------------- SETBIT / GETBIT


@command("setbit", 4, "write denyoom", "@bitmap", keys=(1, 1, 1))
def setbit(c, argv):
    "SETBIT key offset value"
    off = _bit_offset(c, argv[2])
    on = _long(argv[3], errors.BIT_VALUE)
    if on & ~1:
        raise RedisError(errors.BIT_VALUE)
    db = c.db
    key = argv[1]
    v = db.lookup_write(key)
    byte = off >> 3
    shift = 7 - (off & 7)
    if v is None:
        buf = bytearray(byte + 1)
        buf[byte] = on << shift
        db.add(key, _raw(bytes(buf)))
        old = 0
    elif type(v) is not bytes:
        raise RedisError(_WRONGTYPE)
    else:
        n = len(v)
        if byte < n:
            cur = v[byte]
            old = (cur >> shift) & 1
            if old != on:
                new = (cur & ~(1 << shift)) | (on << shift)
                db.set(key, _raw(b"".join((v[:byte], new.to_bytes(1, "big"), v[byte + 1:]))), True)
            elif len(v) == 1:
                db.set(key, _raw(v), True)  # a 1-byte value is CPython's shared object: store the copy
            else:
                _raw(v)
        else:
            old = 0
            db.set(key, _raw(b"".join((v, bytes(byte - n), (on << shift).to_bytes(1, "big")))), True)
    # Redis 6.2 signals a change even when the bit already had that value.
    db.changed(key, b"setbit", "$")
    return old


@command("getbit", 3, "readonly fast", "@bitmap", keys=(1, 1, 1))
def getbit(c, argv):
    "GETBIT key offset"
    off = _bit_offset(c, argv[2])
    v = _get_string(c, argv[1])
    if v is None:
        return 0
    byte = off >> 3
    if byte >= len(v):
        return 0
    return (v[byte] >> (7 - (off & 7))) & 1


# ----------------------------------------------------------------------------- BITCOUNT / BITPOS


def _range(n: int, start: int, end: int):
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
    return start, end


@command("bitcount", -2, "readonly", "@bitmap", keys=(1, 1, 1))
def bitcount(c, argv):
    "BITCOUNT key [start end]"
    v = _get_string(c, argv[1])
    if v is None:
        return 0
    n = len(v)
    argc = len(argv)
    if argc == 4:
        start = _long(argv[2])
        end = _long(argv[3])
        if start < 0 and end < 0 and start > end:
            return 0
        start, end = _range(n, start, end)
    elif argc == 2:
        start, end = 0, n - 1
    else:
        raise RedisError(errors.SYNTAX)
    if start > end:
        return 0
    if start == 0 and end == n - 1:
        return int.from_bytes(v, "big").bit_count()
    return int.from_bytes(v[start:end + 1], "big").bit_count()


@command("bitpos", -3, "readonly", "@bitmap", keys=(1, 1, 1))
def bitpos(c, argv):
    "BITPOS key bit [start [end]]"
    bit = _long(argv[2])
    if bit != 0 and bit != 1:
        raise RedisError(errors.BIT_ARG_01)
    v = _get_string(c, argv[1])
    if v is None:
        return -1 if bit else 0
    n = len(v)
    argc = len(argv)
    end_given = False
    if argc == 4 or argc == 5:
        start = _long(argv[3])
        if argc == 5:
            end = _long(argv[4])
            end_given = True
        else:
            end = n - 1
        start, end = _range(n, start, end)
    elif argc == 3:
        start, end = 0, n - 1
    else:
        raise RedisError(errors.SYNTAX)
    if start > end:
        return -1
    seg = v[start:end + 1] if (start or end != n - 1) else v
    nbytes = len(seg)
    if bit:
        rest = seg.lstrip(b"\x00")
        if not rest:
            return -1
        return (start + nbytes - len(rest)) * 8 + 8 - rest[0].bit_length()
    rest = seg.lstrip(b"\xff")
    if not rest:
        # No clear bit in range: the first bit after it, unless the range had an explicit end.
        return -1 if end_given else (start + nbytes) * 8
    return (start + nbytes - len(rest)) * 8 + 8 - (rest[0] ^ 0xFF).bit_length()


# ----------------------------------------------------------------------------- BITOP


@command("bitop", -4, "write denyoom", "@bitmap", keys=(2, -1, 1))
def bitop(c, argv):
    "BITOP AND|OR|XOR|NOT destkey key [key ...]"
    op = argv[1].lower()
    if op not in (b"and", b"or", b"xor", b"not"):
        raise RedisError(errors.SYNTAX)
    if op == b"not" and len(argv) != 4:
        raise RedisError(errors.BITOP_NOT_ONE_KEY)
    db = c.db
    srcs = []
    for k in argv[3:]:
        v = db.lookup_read(k)
        if v is None:
            v = b""
        elif type(v) is not bytes:
            raise RedisError(_WRONGTYPE)
        srcs.append(v)
    maxlen = max(len(s) for s in srcs)
    dest = argv[2]
    if maxlen:
        if op == b"not":
            res = srcs[0].translate(_NOT_TABLE)
        else:
            acc = int.from_bytes(srcs[0].ljust(maxlen, b"\x00"), "big")
            if op == b"and":
                for s in srcs[1:]:
                    acc &= int.from_bytes(s.ljust(maxlen, b"\x00"), "big")
            elif op == b"or":
                for s in srcs[1:]:
                    acc |= int.from_bytes(s, "big") << (8 * (maxlen - len(s)))
            else:
                for s in srcs[1:]:
                    acc ^= int.from_bytes(s, "big") << (8 * (maxlen - len(s)))
            res = acc.to_bytes(maxlen, "big")
        db.set(dest, _raw(res))
        db.changed(dest, b"set", "$")
    elif db.delete(dest):
        db.changed(dest, b"del", "g")
    return maxlen


# ----------------------------------------------------------------------------- BITFIELD

_GET, _SET, _INCRBY = 0, 1, 2
_WRAP, _SAT, _FAIL = 0, 1, 2
_OVERFLOW_TYPES = {b"wrap": _WRAP, b"sat": _SAT, b"fail": _FAIL}


def _bitfield_type(raw: bytes):
    """getBitfieldTypeFromArgument: (signed, bits) from ``i1..i64`` / ``u1..u63``."""
    sign = raw[:1]
    bits = to_int(raw[1:])
    if sign == b"i":
        if bits is not None and 1 <= bits <= 64:
            return True, bits
    elif sign == b"u":
        if bits is not None and 1 <= bits <= 63:
            return False, bits
    raise RedisError(errors.BITFIELD_TYPE)


def _get_field(buf, off: int, bits: int) -> int:
    """The unsigned value of ``bits`` bits at bit offset ``off`` (zero past the end)."""
    b0 = off >> 3
    b1 = (off + bits - 1) >> 3
    nbytes = b1 - b0 + 1
    chunk = buf[b0:b1 + 1]
    v = int.from_bytes(chunk, "big")
    if len(chunk) < nbytes:
        v <<= 8 * (nbytes - len(chunk))
    return (v >> (nbytes * 8 - (off - b0 * 8) - bits)) & ((1 << bits) - 1)


def _set_field(buf: bytearray, off: int, bits: int, value: int) -> None:
    b0 = off >> 3
    b1 = (off + bits - 1) >> 3
    nbytes = b1 - b0 + 1
    shift = nbytes * 8 - (off - b0 * 8) - bits
    mask = ((1 << bits) - 1) << shift
    cur = int.from_bytes(buf[b0:b1 + 1], "big")
    cur = (cur & ~mask) | ((value << shift) & mask)
    buf[b0:b1 + 1] = cur.to_bytes(nbytes, "big")


def _signed_overflow(value: int, incr: int, bits: int, owtype: int):
    """checkSignedBitfieldOverflow: (overflowed, limit) with C's int64 arithmetic."""
    mx = (1 << 63) - 1 if bits == 64 else (1 << (bits - 1)) - 1
    mn = -mx - 1
    maxincr = _s64(mx - value)
    minincr = _s64(mn - value)
    if value > mx or (bits != 64 and incr > maxincr) or (value >= 0 and incr > 0 and incr > maxincr):
        limit = mx
    elif value < mn or (bits != 64 and incr < minincr) or (value < 0 and incr < 0 and incr < minincr):
        limit = mn
    else:
        return False, 0
    if owtype == _WRAP:
        r = (value + incr) & M64
        if bits < 64:
            hi = (M64 << bits) & M64
            r = r | hi if r & (1 << (bits - 1)) else r & ~hi
        limit = _s64(r)
    return True, limit


def _unsigned_overflow(value: int, incr: int, bits: int, owtype: int):
    """checkUnsignedBitfieldOverflow: ``value`` is a uint64, ``incr`` an int64."""
    mx = (1 << bits) - 1
    maxincr = _s64(mx - value)
    minincr = _s64(-value)
    if value > mx or (incr > 0 and incr > maxincr):
        limit = mx
    elif incr < 0 and incr < minincr:
        limit = 0
    else:
        return False, 0
    if owtype == _WRAP:
        limit = (value + incr) & mx
    return True, limit


def _bitfield(c, argv, readonly_cmd: bool):
    ops = []
    owtype = _WRAP
    readonly = True
    highest = 0
    n = len(argv)
    j = 2
    while j < n:
        rem = n - j - 1
        sub = argv[j].lower()
        if sub == b"get" and rem >= 2:
            opcode = _GET
        elif sub == b"set" and rem >= 3:
            opcode = _SET
        elif sub == b"incrby" and rem >= 3:
            opcode = _INCRBY
        elif sub == b"overflow" and rem >= 1:
            ow = _OVERFLOW_TYPES.get(argv[j + 1].lower())
            if ow is None:
                raise RedisError(errors.BITFIELD_OVERFLOW_TYPE)
            owtype = ow
            j += 2
            continue
        else:
            raise RedisError(errors.SYNTAX)
        signed, bits = _bitfield_type(argv[j + 1])
        off = _bit_offset(c, argv[j + 2], bits)
        arg = 0
        if opcode != _GET:
            readonly = False
            if highest < off + bits - 1:
                highest = off + bits - 1
            arg = _long(argv[j + 3])
        ops.append((opcode, signed, bits, off, arg, owtype))
        j += 4 if opcode != _GET else 3
    db = c.db
    key = argv[1]
    if readonly:
        buf = _get_string(c, key)
        if buf is None:
            buf = b""
    else:
        if readonly_cmd:
            raise RedisError(errors.BITFIELD_RO_GET_ONLY)
        v = db.lookup_write(key)
        if v is not None and type(v) is not bytes:
            raise RedisError(_WRONGTYPE)
        need = (highest >> 3) + 1
        buf = bytearray(v) if v is not None else bytearray()
        if len(buf) < need:
            buf += bytes(need - len(buf))
    out = []
    changes = 0
    for opcode, signed, bits, off, arg, ow in ops:
        raw = _get_field(buf, off, bits)
        if opcode == _GET:
            if signed and raw >> (bits - 1):
                raw -= 1 << bits
            out.append(raw)
            continue
        changes += 1
        if signed:
            old = raw - (1 << bits) if raw >> (bits - 1) else raw
            if opcode == _INCRBY:
                ovf, lim = _signed_overflow(old, arg, bits, ow)
                new = lim if ovf else old + arg
                ret = new
            else:
                ovf, lim = _signed_overflow(arg, 0, bits, ow)
                new = lim if ovf else arg
                ret = old
        else:
            old = raw
            if opcode == _INCRBY:
                ovf, lim = _unsigned_overflow(old, arg, bits, ow)
                new = lim if ovf else (old + arg) & M64
                ret = new
            else:
                uarg = arg & M64
                ovf, lim = _unsigned_overflow(uarg, 0, bits, ow)
                new = lim if ovf else uarg
                ret = old
            ret = _s64(ret)
        if ovf and ow == _FAIL:
            out.append(None)
        else:
            out.append(ret)
            _set_field(buf, off, bits, new & M64)
    if not readonly:
        if v is None:
            db.add(key, _raw(bytes(buf)))
        else:
            db.set(key, _raw(bytes(buf)), True)
        if changes:
            db.changed(key, b"setbit", "$")
    return out


@command("bitfield", -2, "write denyoom", "@bitmap", keys=(1, 1, 1))
def bitfield(c, argv):
    "BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset increment] [OVERFLOW WRAP|SAT|FAIL]"
    return _bitfield(c, argv, False)


@command("bitfield_ro", -2, "readonly fast", "@bitmap", keys=(1, 1, 1))
def bitfield_ro(c, argv):
    "BITFIELD_RO key [GET type offset ...]"
    return _bitfield(c, argv, True)
