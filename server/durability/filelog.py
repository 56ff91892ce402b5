"""FileLog: the local, segmented, checksummed transaction log.

Layout: ``<data_dir>/log/<20-digit start offset>.seg``. Each segment is a run of records::

    magic (2) | payload length u32 | start offset u64 | CRC32C u32 | payload
    (little-endian; the CRC covers length, offset and payload)

Carrying the offset in every record means a record can be checked on its own and a reader can
never silently skip or repeat one. A new segment is started once the current one has grown past
``segment_bytes``; old segments are deleted whole by ``truncate_before`` once a snapshot covers
them.

Recovery tells two kinds of damage apart, because they mean opposite things:

* a *torn tail* - the last record is incomplete or garbage and nothing valid follows it - is the
  normal result of a crash during an append. Those bytes were never acknowledged (replies wait
  for ``sync``), so ``open`` truncates them, logs a WARNING and fills ``recovery_report``;
* damage *followed by valid records* cannot come from a crash of this writer (each segment is
  fdatasync'ed before the next is created). Skipping it would silently drop acknowledged writes,
  so ``open`` raises :class:`CorruptLogError` naming file, position and offset, and a human
  decides: ``check_log(data_dir, repair=True)`` (or ``python -m perdure.server.durability.filelog
  DATA_DIR --repair``) cuts the log at the last good record.

Only one thread may use a FileLog (see backend.py). Write errors undo the partial record;
an fdatasync error makes the log refuse further use, since after a failed fsync the kernel may
have dropped the dirty pages and nothing written since the last good sync can be trusted.
"""

from __future__ import annotations

import argparse
import bisect
import errno
import logging
import os
import re
import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

import google_crc32c

from .backend import CorruptLogError, LogBackend

logger = logging.getLogger(__name__)

MAGIC = b"\xd1\x9e"
_HDR = struct.Struct("<2sIQI")  # magic, payload length, start offset, crc32c
_CRC_FIELDS = struct.Struct("<IQ")  # the header fields covered by the crc
HEADER_SIZE = _HDR.size
DEFAULT_SEGMENT_BYTES = 64 << 20
_SEG_RE = re.compile(r"^(\d{20})\.seg$")


def _crc(length: int, offset: int, payload: bytes) -> int:
    return google_crc32c.extend(google_crc32c.value(_CRC_FIELDS.pack(length, offset)), payload)


def _list_segments(log_dir: str) -> list[tuple[int, str]]:
    found = [(int(m.group(1)), os.path.join(log_dir, name))
             for name in os.listdir(log_dir) if (m := _SEG_RE.match(name))]
    return sorted(found)


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _walk(data: bytes, expected: int) -> tuple[int, int, int, int | None, str | None]:
    """Follow records from the start of one segment's bytes.

    Returns (good end position, next expected offset, records, last record offset, reason the
    walk stopped early or None)."""
    pos, count, last, n = 0, 0, None, len(data)
    while pos < n:
        if n - pos < HEADER_SIZE:
            return pos, expected, count, last, f"incomplete record header ({n - pos} of {HEADER_SIZE} bytes)"
        magic, length, off, crc = _HDR.unpack_from(data, pos)
        body = pos + HEADER_SIZE
        if magic != MAGIC:
            reason = f"bad record magic {magic.hex()}"
        elif length == 0:
            reason = "zero-length record"
        elif body + length > n:
            reason = f"incomplete record ({n - body} of {length} payload bytes present)"
        elif _crc(length, off, data[body:body + length]) != crc:
            reason = "CRC32C mismatch"
        elif off != expected:
            reason = f"record claims offset {off}, expected {expected}"
        else:
            pos, expected, count, last = body + length, expected + length, count + 1, off
            continue
        return pos, expected, count, last, reason
    return pos, expected, count, last, None


def _find_valid_record(data: bytes, start: int, min_offset: int) -> int:
    """Position of the first intact record (magic, sane offset, good CRC) at or after start, or -1."""
    pos = data.find(MAGIC, start)
    while pos != -1:
        if len(data) - pos < HEADER_SIZE:
            return -1
        _, length, off, crc = _HDR.unpack_from(data, pos)
        end = pos + HEADER_SIZE + length
        if length and end <= len(data) and off >= min_offset and \
                _crc(length, off, data[pos + HEADER_SIZE:end]) == crc:
            return pos
        pos = data.find(MAGIC, pos + 1)
    return -1


@dataclass
class _Damage:
    path: str
    pos: int  # file position of the first bad byte
    offset: int  # logical offset where valid data stops
    reason: str
    later: list[str]  # whole segment files after the good prefix (deleted by a cut)
    valid_after: str | None  # where intact records were found past the damage (None: torn tail)

    def __str__(self) -> str:
        return f"{self.path} at file position {self.pos} (log offset {self.offset}): {self.reason}"


@dataclass
class _Scan:
    segments: list[list] = field(default_factory=list)  # [start, path, good size] of the good prefix
    records: int = 0
    end: int = 0
    last_record: int | None = None
    damage: _Damage | None = None


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _scan(log_dir: str) -> _Scan:
    """Verify every record of every segment; stop at the first damage and classify it."""
    segs = _list_segments(log_dir)
    scan = _Scan(end=segs[0][0] if segs else 0)
    for i, (start, path) in enumerate(segs):
        data = _read(path)
        later = [p for _, p in segs[i + 1:]]
        if start != scan.end:  # a missing or overlapping segment: this whole file is suspect
            pos, search, min_off, later = 0, 0, 0, [path, *later]
            reason = f"segment starts at offset {start}, expected {scan.end} (missing or overlapping segment)"
        else:
            pos, scan.end, count, last, reason = _walk(data, scan.end)
            scan.records += count
            scan.last_record = last if last is not None else scan.last_record
            scan.segments.append([start, path, pos])
            if reason is None:
                continue
            search, min_off = pos + 1, scan.end
        valid_after = None
        hit = _find_valid_record(data, search, min_off)
        if hit >= 0:
            valid_after = f"{path} position {hit}"
        else:
            for _, other in segs[i + 1:]:
                if (hit := _find_valid_record(_read(other), 0, min_off)) >= 0:
                    valid_after = f"{other} position {hit}"
                    break
        scan.damage = _Damage(path, pos, scan.end, reason, later, valid_after)
        break
    return scan


def _cut(scan: _Scan, log_dir: str) -> str:
    """Cut the log at the end of the scan's good prefix; return what was removed."""
    d, done = scan.damage, []
    if scan.segments and scan.segments[-1][1] == d.path:
        size = os.path.getsize(d.path)
        with open(d.path, "r+b") as f:
            f.truncate(d.pos)
            os.fsync(f.fileno())
        done.append(f"truncated {os.path.basename(d.path)} from {size} to {d.pos} bytes "
                    f"(removed {size - d.pos})")
    for path in d.later:
        size = os.path.getsize(path)
        os.unlink(path)
        done.append(f"deleted {os.path.basename(path)} ({size} bytes)")
    _fsync_dir(log_dir)
    return "; ".join(done)


class FileLog(LogBackend):
    """Segmented append-only log under ``<directory>/log/`` (``directory`` is the data dir)."""

    def __init__(self, directory: str | os.PathLike, segment_bytes: int = DEFAULT_SEGMENT_BYTES):
        self.directory = os.fspath(directory)
        self.log_dir = os.path.join(self.directory, "log")
        self.segment_bytes = segment_bytes
        self.recovery_report = ""
        self._segs: list[list] = []  # [start offset, path, size in bytes], oldest first
        self._end = 0
        self._fd = -1
        self._dirty = False  # active segment has data not yet fdatasync'ed
        self._dir_dirty = False  # a segment was created since the last directory fsync
        self._broken: str | None = None

    # -- lifecycle ----------------------------------------------------------------------------
    def open(self) -> None:
        if self._fd >= 0:
            raise RuntimeError("log already open")
        if not os.path.isdir(self.log_dir):
            os.makedirs(self.log_dir, exist_ok=True)
            _fsync_dir(self.directory)
        scan = _scan(self.log_dir)
        if (d := scan.damage) is not None:
            if d.valid_after is not None:
                raise CorruptLogError(
                    f"transaction log corrupt in {d}; intact records follow at {d.valid_after}, "
                    f"so this is not a torn tail. Refusing to start rather than lose them; "
                    f"inspect with check_log, or check_log(repair=True) to discard everything "
                    f"from log offset {d.offset} on")
            self.recovery_report = f"torn log tail in {d}; {_cut(scan, self.log_dir)}"
            logger.warning("%s", self.recovery_report)
        self._segs, self._end = scan.segments, scan.end
        if not self._segs:
            self._create_segment()
            _fsync_dir(self.log_dir)
            self._dir_dirty = False
        else:
            self._fd = os.open(self._segs[-1][1], os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)

    def close(self) -> None:
        if self._fd < 0:
            return
        try:
            if not self._broken:
                self.sync()
        finally:
            os.close(self._fd)
            self._fd = -1

    # -- offsets ------------------------------------------------------------------------------
    @property
    def start_offset(self) -> int:
        return self._segs[0][0] if self._segs else self._end

    @property
    def end_offset(self) -> int:
        return self._end

    def size_bytes(self) -> int:
        return sum(s[2] for s in self._segs)

    # -- writing ------------------------------------------------------------------------------
    def _check_usable(self) -> None:
        if self._broken:
            raise OSError(errno.EIO, f"log unusable after an earlier failure: {self._broken}")
        if self._fd < 0:
            raise RuntimeError("log not open")

    def _create_segment(self) -> None:
        path = os.path.join(self.log_dir, f"{self._end:020d}.seg")
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        self._segs.append([self._end, path, 0])
        self._dir_dirty = True

    def append(self, payload: bytes) -> int:
        self._check_usable()
        if not isinstance(payload, bytes):
            payload = bytes(payload)
        n = len(payload)
        if not n:
            raise ValueError("empty log record")
        if self._segs[-1][2] >= self.segment_bytes:
            try:  # the old segment must be durable before anything lands in the next one
                self.sync()
                os.close(self._fd)
                self._fd = -1
                self._create_segment()
            except OSError as e:
                self._broken = e.strerror or str(e)
                raise
        seg = self._segs[-1]
        header = _HDR.pack(MAGIC, n, self._end, _crc(n, self._end, payload))
        total = HEADER_SIZE + n
        try:
            done = os.writev(self._fd, (header, payload))
            while done < total:  # short write (e.g. disk nearly full): finish or fail
                done += os.write(self._fd, memoryview(header + payload)[done:])
        except BaseException as e:
            try:  # take the partial record back so later appends don't follow garbage
                os.ftruncate(self._fd, seg[2])
            except OSError:
                self._broken = getattr(e, "strerror", None) or str(e)
            raise
        seg[2] += total
        self._end += n
        self._dirty = True
        return self._end

    def sync(self) -> None:
        self._check_usable()
        try:
            if self._dirty:
                os.fdatasync(self._fd)
                self._dirty = False
            if self._dir_dirty:
                _fsync_dir(self.log_dir)
                self._dir_dirty = False
        except OSError as e:
            self._broken = e.strerror or str(e)
            raise

    # -- reading and trimming -----------------------------------------------------------------
    def read_from(self, offset: int) -> Iterator[tuple[int, bytes]]:
        if not self.start_offset <= offset <= self._end:
            raise ValueError(f"offset {offset} outside the log [{self.start_offset}, {self._end}]")
        i = max(bisect.bisect_right(self._segs, offset, key=lambda s: s[0]) - 1, 0)
        return self._records([tuple(s) for s in self._segs[i:]], offset)  # sizes as of now

    @staticmethod
    def _records(segs: list[tuple], offset: int) -> Iterator[tuple[int, bytes]]:
        for expected, path, size in segs:
            with open(path, "rb") as f:
                pos = 0
                while pos < size:
                    magic, n, off, crc = _HDR.unpack(f.read(HEADER_SIZE).ljust(HEADER_SIZE, b"\0"))
                    payload = f.read(n) if magic == MAGIC else b""
                    if magic != MAGIC or len(payload) != n or off != expected or _crc(n, off, payload) != crc:
                        raise CorruptLogError(f"bad record in {path} at file position {pos} "
                                              f"(log offset {expected}) while reading")
                    pos, expected = pos + HEADER_SIZE + n, expected + n
                    if off >= offset:
                        yield off, payload
                    elif expected > offset:
                        raise ValueError(f"offset {offset} is inside the record starting at {off}")

    def truncate_before(self, offset: int) -> None:
        """Delete segments whose every record ends at or before ``offset``; the active segment
        is always kept."""
        drop = 0
        while drop < len(self._segs) - 1 and self._segs[drop + 1][0] <= offset:
            drop += 1
        if drop:
            for _, path, _ in self._segs[:drop]:
                os.unlink(path)
            del self._segs[:drop]
            _fsync_dir(self.log_dir)


def check_log(data_dir: str | os.PathLike, repair: bool = False, out=None) -> int:
    """Verify ``<data_dir>/log`` and print a report; with ``repair`` cut it at the last good
    record. Exit code: 0 clean (or repaired), 1 damaged and not repaired, 2 unreadable/missing."""
    out = out or sys.stdout
    log_dir = os.path.join(os.fspath(data_dir), "log")
    if not os.path.isdir(log_dir):
        print(f"no transaction log at {log_dir}", file=out)
        return 2
    try:
        segs, scan = _list_segments(log_dir), _scan(log_dir)
        disk = sum(os.path.getsize(p) for _, p in segs)
    except OSError as e:
        print(f"cannot read {log_dir}: {e}", file=out)
        return 2
    first = segs[0][0] if segs else 0
    names = f" ({os.path.basename(segs[0][1])} .. {os.path.basename(segs[-1][1])})" if segs else ""
    print(f"log:      {log_dir}", file=out)
    print(f"segments: {len(segs)}{names}", file=out)
    print(f"records:  {scan.records} valid", file=out)
    print(f"bytes:    {disk} on disk, {scan.end - first} payload bytes in valid records", file=out)
    print(f"offsets:  first {first}, last record at {scan.last_record}, end {scan.end}", file=out)
    d = scan.damage
    if d is None:
        print("status:   OK", file=out)
        return 0
    if d.valid_after is None:
        print(f"status:   TORN TAIL in {d}", file=out)
    else:
        print(f"status:   CORRUPTION in {d}; intact records follow at {d.valid_after}", file=out)
    if not repair:
        lost = sum(os.path.getsize(p) for p in d.later)
        if scan.segments and scan.segments[-1][1] == d.path:
            lost += os.path.getsize(d.path) - d.pos
        note = " (the server also does this itself on start)" if d.valid_after is None else ""
        print(f"repair would cut the log at offset {d.offset}, removing {lost} bytes{note}", file=out)
        return 1
    print(f"repaired: {_cut(scan, log_dir)}; log now ends at offset {d.offset}", file=out)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Check (and optionally repair) a Perdure transaction log.")
    p.add_argument("data_dir")
    p.add_argument("--repair", action="store_true", help="cut the log at the last good record")
    args = p.parse_args(argv)
    return check_log(args.data_dir, args.repair)


if __name__ == "__main__":
    sys.exit(main())
