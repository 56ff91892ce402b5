"""Whole RDB files and DUMP payloads.

File layout (rdbSaveRio, Redis 6.2 writes version 9)::

    "REDIS0009"  AUX*  ( SELECTDB n  RESIZEDB size expires  ( [EXPIRETIME_MS t] type key value )* )*
    EOF  CRC64(everything before it, little endian)

:func:`write_rdb` streams that to a binary file object; :func:`read_rdb` parses a whole file
image and returns a :class:`Snapshot` (per-db key -> (value, expire-ms or None), aux fields);
it checks the CRC64 *before* building anything, so a corrupt or truncated file raises
:class:`~.encoding.RdbError` and never yields half a dataset.  Versions 1-11 are read (Redis
7's listpack encodings included); version 0 and later than 11 are refused.

DUMP payloads (``createDumpPayload``): serialised value, 2-byte RDB version, CRC64 of both.
"""

from __future__ import annotations

import random
import struct
import time

from .encoding import EmptyKeyError, RdbError, Reader, crc64, crc64_update, enc_len, enc_ms, enc_string
from .values import DEFAULT_LIMITS, dump_value, load_value

RDB_VERSION = 9
MAX_READ_VERSION = 11

OP_FUNCTION2, OP_FUNCTION, OP_MODULE_AUX, OP_IDLE, OP_FREQ = 245, 246, 247, 248, 249
OP_AUX, OP_RESIZEDB, OP_EXPIRETIME_MS, OP_EXPIRETIME, OP_SELECTDB, OP_EOF = 250, 251, 252, 253, 254, 255

REDIS_VER = b"6.2.14"
OFFSET_AUX = b"perdure-log-offset"


# ---- DUMP payloads ---------------------------------------------------------------------------


def dump_payload(v, limits=DEFAULT_LIMITS) -> bytes:
    """createDumpPayload: value, RDB version (2 bytes LE), CRC64 (8 bytes LE)."""
    body = dump_value(v, limits) + struct.pack("<H", RDB_VERSION)
    return body + struct.pack("<Q", crc64(body))


def verify_payload(p: bytes) -> bool:
    """verifyDumpPayload: version no newer than ours and a matching CRC64."""
    if len(p) < 10:
        return False
    ver = p[-10] | (p[-9] << 8)
    if ver > RDB_VERSION:
        return False
    return crc64(p[:-8]) == struct.unpack_from("<Q", p, len(p) - 8)[0]


def load_payload(p: bytes, limits=DEFAULT_LIMITS):
    """The value in a verified DUMP payload (RdbError when it does not parse).

    As in Redis, the value is read from a buffer holding the whole payload, footer included,
    and bytes left over are not checked."""
    r = Reader(p, 0, len(p), "DUMP payload")
    return load_value(r.byte(), r, limits)


# ---- writing files ---------------------------------------------------------------------------


class _CrcWriter:
    """Wraps a binary file: buffers small writes, keeps the running CRC64."""

    __slots__ = ("f", "crc", "buf", "size", "written")

    def __init__(self, f):
        self.f = f
        self.crc = 0
        self.buf = []
        self.size = 0
        self.written = 0

    def write(self, b: bytes) -> None:
        self.buf.append(b)
        self.size += len(b)
        if self.size >= 1 << 20:
            self.flush()

    def flush(self) -> None:
        if self.buf:
            data = b"".join(self.buf)
            self.crc = crc64_update(self.crc, data)
            self.f.write(data)
            self.written += len(data)
            self.buf = []
            self.size = 0


def aux(key: bytes, value: bytes) -> bytes:
    return bytes((OP_AUX,)) + enc_string(key) + enc_string(value)


def _debug_delay(usec: int) -> None:
    """debug.c debugDelay: sleep ``usec`` microseconds; negative: 1 µs with probability 1/-usec.
    Only the snapshotter process writes with a delay (``snapshot.write_snapshot``), never the
    server's event loop: as in Redis, where the saving child sleeps."""
    if usec < 0:
        usec = 1 if random.randrange(-usec) == 0 else 0
    if usec:
        time.sleep(usec / 1e6)


def write_rdb(f, dbs, limits=DEFAULT_LIMITS, extra_aux=(), now_ms: int | None = None,
              progress=None, key_delay: int = 0) -> int:
    """Write an RDB 9 file to the binary file object ``f``; return the bytes written.

    ``dbs``: a sequence indexed by db number of objects with ``data`` (key -> value) and
    ``expires`` (key -> absolute ms) dicts (Database objects qualify).  Keys already expired
    at ``now_ms`` are still written, as Redis does (they expire on load).  ``progress(n)`` is
    called every few thousand keys.  ``key_delay``: ``rdb-key-save-delay``, a pause after each
    key for tests (microseconds; negative: one microsecond once in -N keys), as in Redis."""
    w = _CrcWriter(f)
    w.write(b"REDIS%04d" % RDB_VERSION)
    now = int(time.time()) if now_ms is None else now_ms // 1000
    w.write(aux(b"redis-ver", REDIS_VER))
    w.write(aux(b"redis-bits", b"64"))
    w.write(aux(b"ctime", b"%d" % now))
    w.write(aux(b"used-mem", b"%d" % _used_mem()))
    w.write(aux(b"aof-preamble", b"0"))
    for k, v in extra_aux:
        w.write(aux(k, v))
    n = 0
    for i, db in enumerate(dbs):
        data = db.data
        if not data:
            continue
        expires = db.expires
        w.write(bytes((OP_SELECTDB,)) + enc_len(i))
        w.write(bytes((OP_RESIZEDB,)) + enc_len(len(data)) + enc_len(len(expires)))
        for key, val in data.items():
            when = expires.get(key) if expires else None
            if when is not None:
                w.write(bytes((OP_EXPIRETIME_MS,)) + enc_ms(when))
            w.write(_key_record(key, val, limits))
            n += 1
            if key_delay:
                _debug_delay(key_delay)
            if progress is not None and not n & 4095:
                progress(n)
    w.write(bytes((OP_EOF,)))
    w.flush()
    crc = w.crc
    f.write(struct.pack("<Q", crc))
    return w.written + 8


def _key_record(key, val, limits) -> bytes:
    body = dump_value(val, limits)
    return body[:1] + enc_string(key, limits.get("rdbcompression", True)) + body[1:]


def _used_mem() -> int:
    try:
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    except Exception:
        return 0


# ---- reading files ---------------------------------------------------------------------------


class Snapshot:
    """A parsed RDB file: ``dbs`` {db number: {key: value}}, ``expires`` {db: {key: ms}},
    ``aux`` {name: value}, ``version``, ``keys`` (total)."""

    __slots__ = ("dbs", "expires", "aux", "version", "keys", "checksum", "empty_skipped")

    def __init__(self):
        self.dbs = {}
        self.expires = {}
        self.aux = {}
        self.version = 0
        self.keys = 0
        self.checksum = 0
        self.empty_skipped = 0

    @property
    def log_offset(self) -> int | None:
        v = self.aux.get(OFFSET_AUX)
        return int(v) if v is not None else None


def read_rdb(data, limits=DEFAULT_LIMITS, max_dbs: int | None = None, progress=None) -> Snapshot:
    """Parse a whole RDB file image (bytes).  Raises :class:`RdbError` on anything wrong:
    bad magic or version, CRC mismatch, truncation, corrupt values, trailing garbage."""
    data = memoryview(data)
    n = len(data)
    if n < 9 or bytes(data[:5]) != b"REDIS":
        raise RdbError("not an RDB file (bad magic)")
    try:
        ver = int(bytes(data[5:9]))
    except ValueError:
        raise RdbError("not an RDB file (bad version field %r)" % bytes(data[5:9]))
    if ver < 1 or ver > MAX_READ_VERSION:
        raise RdbError("can't handle RDB format version %d" % ver)
    snap = Snapshot()
    snap.version = ver
    end = n
    if ver >= 5:
        if n < 9 + 1 + 8:
            raise RdbError("RDB file truncated (%d bytes)" % n)
        if data[n - 9] != OP_EOF:
            raise RdbError("RDB file truncated or corrupt: no EOF marker before the checksum")
        expected = struct.unpack_from("<Q", data, n - 8)[0]
        if expected != 0:  # rdbchecksum no writes 0: nothing to check
            got = crc64(data[:n - 8])
            if got != expected:
                raise RdbError("RDB file corrupt: CRC64 mismatch (stored %016x, computed %016x)"
                               % (expected, got))
        snap.checksum = expected
        end = n - 8
    r = Reader(data, 9, end, "RDB file")
    db = 0
    data_db = snap.dbs.setdefault(0, {})
    exp_db = snap.expires.setdefault(0, {})
    expire = None
    count = 0
    while True:
        t = r.byte()
        if t == OP_EXPIRETIME_MS:
            expire = r.ms()
            continue
        if t == OP_EXPIRETIME:
            expire = struct.unpack("<i", r.read(4))[0] * 1000
            continue
        if t == OP_IDLE:
            r.length()
            continue
        if t == OP_FREQ:
            r.byte()
            continue
        if t == OP_SELECTDB:
            db = r.length()
            if max_dbs is not None and db >= max_dbs:
                raise RdbError("FATAL: Data file was created with a Redis server configured to handle "
                               "more than %d databases. Exiting" % max_dbs)
            data_db = snap.dbs.setdefault(db, {})
            exp_db = snap.expires.setdefault(db, {})
            continue
        if t == OP_RESIZEDB:
            r.length()
            r.length()
            continue
        if t == OP_AUX:
            k = r.string()
            snap.aux[k] = r.string()
            continue
        if t == OP_MODULE_AUX:
            raise RdbError("module auxiliary data is not supported")
        if t == OP_FUNCTION or t == OP_FUNCTION2:
            raise RdbError("Redis functions in the RDB file are not supported")
        if t == OP_EOF:
            break
        key = r.string()
        try:
            val = load_value(t, r, limits)
        except EmptyKeyError:  # rdbLoad skips empty keys ("empty_keys_skipped")
            expire = None
            snap.empty_skipped += 1
            continue
        if key in data_db:
            raise RdbError("duplicate key %r in DB %d" % (key[:64], db))
        data_db[key] = val
        if expire is not None:
            exp_db[key] = expire
            expire = None
        count += 1
        if progress is not None and not count & 4095:
            progress(count)
    if r.pos != r.end:
        raise RdbError("RDB file corrupt: %d bytes after the EOF marker" % (r.end - r.pos))
    snap.keys = count
    return snap


def read_rdb_file(path, limits=DEFAULT_LIMITS, max_dbs: int | None = None, progress=None) -> Snapshot:
    with open(path, "rb") as f:
        data = f.read()
    return read_rdb(data, limits, max_dbs, progress)
