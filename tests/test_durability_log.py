"""Transaction log: FileLog recovery/segments/check_log and GroupCommitter batching/failure,
its worker thread (ordering, shutdown, a loop closed under it) on asyncio and on uvloop."""

import asyncio
import errno
import gc as pygc
import io
import logging
import os
import threading
import time

import pytest

from perdure.server.durability import (
    CorruptLogError,
    FileLog,
    GroupCommitter,
    LogBackend,
    check_log,
)
from perdure.server.durability import filelog as fl


def _open(path, **kw) -> FileLog:
    log = FileLog(path, **kw)
    log.open()
    return log


def _segments(path) -> list[str]:
    return sorted(os.listdir(os.path.join(path, "log")))


def _seg_path(path, i=-1) -> str:
    return os.path.join(path, "log", _segments(path)[i])


def _fill(log, n, size=30) -> list[tuple[int, bytes]]:
    out = []
    for i in range(n):
        payload = bytes([65 + i % 26]) * size
        out.append((log.end_offset, payload))
        log.append(payload)
    log.sync()
    return out


# -- FileLog ---------------------------------------------------------------------------------

def test_round_trip_and_reopen(tmp_path):
    log = _open(tmp_path)
    assert (log.start_offset, log.end_offset) == (0, 0)
    assert log.append(b"*1\r\n$4\r\nPING\r\n") == 14
    assert log.append(b"hello") == 19
    log.sync()
    log.close()
    log.close()  # idempotent
    assert _segments(tmp_path) == ["00000000000000000000.seg"]

    log = _open(tmp_path)
    assert log.recovery_report == ""
    assert (log.start_offset, log.end_offset) == (0, 19)
    assert list(log.read_from(0)) == [(0, b"*1\r\n$4\r\nPING\r\n"), (14, b"hello")]
    assert list(log.read_from(14)) == [(14, b"hello")]
    assert list(log.read_from(19)) == []
    with pytest.raises(ValueError):
        list(log.read_from(5))  # not a record boundary
    with pytest.raises(ValueError):
        log.read_from(20)
    with pytest.raises(ValueError):
        log.append(b"")
    assert log.size_bytes() == 2 * fl.HEADER_SIZE + 19
    log.close()


def test_segments_roll_and_read_from_spans_them(tmp_path):
    log = _open(tmp_path, segment_bytes=200)
    recs = _fill(log, 40)
    segs = _segments(tmp_path)
    assert len(segs) > 5
    starts = [int(s[:20]) for s in segs]
    assert starts[0] == 0 and starts == sorted(starts)
    assert all(st in {off for off, _ in recs} for st in starts)  # segments begin at record boundaries
    assert list(log.read_from(0)) == recs
    assert list(log.read_from(recs[17][0])) == recs[17:]
    log.close()

    log = _open(tmp_path, segment_bytes=200)
    assert log.end_offset == 40 * 30 and log.recovery_report == ""
    assert list(log.read_from(starts[3])) == [r for r in recs if r[0] >= starts[3]]
    assert log.append(b"x" * 10) == 1210
    assert list(log.read_from(1200)) == [(1200, b"x" * 10)]
    log.close()


@pytest.mark.parametrize("damage", ["cut_payload", "cut_header", "garbage", "zeros"])
def test_torn_tail_is_truncated_and_reported(tmp_path, caplog, damage):
    log = _open(tmp_path, segment_bytes=200)
    recs = _fill(log, 12)
    log.close()
    seg = _seg_path(tmp_path)
    size = os.path.getsize(seg)
    with open(seg, "r+b") as f:
        if damage == "cut_payload":
            f.truncate(size - 7)
        elif damage == "cut_header":
            f.truncate(size - 30 - fl.HEADER_SIZE + 5)
        elif damage == "garbage":
            f.seek(0, 2)
            f.write(b"\x01garbage that is not a record" * 3)
        else:
            f.seek(0, 2)
            f.write(b"\0" * 4096)
    keep = recs if damage in ("garbage", "zeros") else recs[:-1]
    with caplog.at_level(logging.WARNING):
        log = _open(tmp_path, segment_bytes=200)
    assert "torn log tail" in log.recovery_report and os.path.basename(seg) in log.recovery_report
    assert any("torn log tail" in r.message and r.levelno == logging.WARNING for r in caplog.records)
    assert log.end_offset == 30 * len(keep)
    assert list(log.read_from(0)) == keep
    assert log.append(b"after") == 30 * len(keep) + 5
    log.close()

    log = _open(tmp_path, segment_bytes=200)
    assert log.recovery_report == ""
    assert list(log.read_from(0))[-1] == (30 * len(keep), b"after")
    log.close()


def test_every_crash_point_recovers_a_prefix(tmp_path):
    log = _open(tmp_path)
    recs = [(0, b"a"), (1, b"bb" * 20), (41, b"c" * 7), (48, b"d" * 100)]
    for _, payload in recs:
        log.append(payload)
    log.close()
    seg = _seg_path(tmp_path)
    with open(seg, "rb") as f:
        full = f.read()
    bounds = [0]
    for _, payload in recs:
        bounds.append(bounds[-1] + fl.HEADER_SIZE + len(payload))
    for cut in range(len(full) + 1):
        with open(seg, "wb") as f:
            f.write(full[:cut])
        log = _open(tmp_path)
        whole = max(i for i, b in enumerate(bounds) if b <= cut)
        assert list(log.read_from(0)) == recs[:whole], cut
        assert (log.recovery_report == "") == (cut in bounds), cut
        log.close()


@pytest.mark.parametrize("where", ["payload", "length", "magic"])
def test_middle_corruption_raises(tmp_path, where):
    log = _open(tmp_path)
    _fill(log, 5)
    log.close()
    seg = _seg_path(tmp_path)
    # inside the 2nd record: its payload, the high byte of its length field, or its magic
    pos = fl.HEADER_SIZE + 30 + {"payload": fl.HEADER_SIZE + 3, "length": 5, "magic": 0}[where]
    with open(seg, "r+b") as f:
        f.seek(pos)
        b = f.read(1)
        f.seek(pos)
        f.write(bytes([b[0] ^ 0xFF]))
    with pytest.raises(CorruptLogError) as ei:
        _open(tmp_path)
    msg = str(ei.value)
    assert seg in msg and f"file position {fl.HEADER_SIZE + 30}" in msg and "log offset 30" in msg
    assert {"payload": "CRC32C mismatch", "length": "incomplete record", "magic": "bad record magic"}[where] in msg
    assert os.path.getsize(seg) == 5 * (fl.HEADER_SIZE + 30)  # nothing was cut


def test_corruption_before_later_segments_raises(tmp_path):
    log = _open(tmp_path, segment_bytes=100)
    _fill(log, 10)
    log.close()
    first = _seg_path(tmp_path, 0)
    with open(first, "r+b") as f:
        f.truncate(os.path.getsize(first) - 3)  # torn *inside* an old segment: not a tail
    with pytest.raises(CorruptLogError, match="incomplete record"):
        _open(tmp_path, segment_bytes=100)


def test_check_log_reports_and_repairs(tmp_path):
    assert check_log(tmp_path / "nothing", out=io.StringIO()) == 2
    log = _open(tmp_path, segment_bytes=100)
    recs = _fill(log, 10)
    log.close()
    out = io.StringIO()
    assert check_log(tmp_path, out=out) == 0
    text = out.getvalue()
    assert "status:   OK" in text and "records:  10 valid" in text and "end 300" in text

    # middle corruption in the second segment: report, then repair
    segs = _segments(tmp_path)
    second = _seg_path(tmp_path, 1)
    with open(second, "r+b") as f:
        f.seek(fl.HEADER_SIZE + 1)
        f.write(b"\xff")
    out = io.StringIO()
    assert check_log(tmp_path, out=out) == 1
    text = out.getvalue()
    assert "CORRUPTION" in text and second in text and "log offset 90" in text
    assert _segments(tmp_path) == segs  # report only
    out = io.StringIO()
    assert check_log(tmp_path, repair=True, out=out) == 0
    assert "repaired:" in out.getvalue() and "deleted" in out.getvalue()
    assert _segments(tmp_path) == segs[:2]
    assert check_log(tmp_path, out=io.StringIO()) == 0
    log = _open(tmp_path, segment_bytes=100)
    assert log.recovery_report == "" and list(log.read_from(0)) == recs[:3]
    log.close()

    # a torn tail is reported as such
    with open(_seg_path(tmp_path), "ab") as f:
        f.write(fl.MAGIC + b"\x05")
    out = io.StringIO()
    assert check_log(tmp_path, out=out) == 1
    assert "TORN TAIL" in out.getvalue()


def test_truncate_before_drops_only_whole_segments(tmp_path):
    log = _open(tmp_path, segment_bytes=100)
    recs = _fill(log, 12)
    starts = [int(s[:20]) for s in _segments(tmp_path)]
    assert starts == [0, 90, 180, 270]  # rolled once a segment passed 100 bytes: 3 records each
    before = log.size_bytes()
    log.truncate_before(100)  # inside segment 90: only segment 0 lies wholly before it
    assert [int(s[:20]) for s in _segments(tmp_path)] == [90, 180, 270]
    assert log.start_offset == 90 and log.size_bytes() < before
    assert list(log.read_from(90)) == recs[3:]
    with pytest.raises(ValueError):
        log.read_from(0)
    log.truncate_before(180)
    assert log.start_offset == 180
    log.truncate_before(log.end_offset)  # the active segment is always kept
    assert _segments(tmp_path) == [f"{270:020d}.seg"]
    log.close()
    log = _open(tmp_path, segment_bytes=100)
    assert (log.start_offset, log.end_offset) == (270, 360)
    assert list(log.read_from(270)) == recs[9:]
    log.close()


def test_failed_write_is_taken_back(tmp_path, monkeypatch):
    log = _open(tmp_path)
    log.append(b"good")
    real = os.writev

    def half_then_enospc(fd, bufs):
        os.write(fd, bytes(bufs[0])[:7])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fl.os, "writev", half_then_enospc)
    with pytest.raises(OSError):
        log.append(b"lost")
    monkeypatch.setattr(fl.os, "writev", real)
    assert log.append(b"next") == 8
    log.close()
    log = _open(tmp_path)
    assert log.recovery_report == "" and list(log.read_from(0)) == [(0, b"good"), (4, b"next")]
    log.close()


# -- GroupCommitter --------------------------------------------------------------------------

class Wrapped(LogBackend):
    """A FileLog with observable calls, an optional slow sync and an optional sync error."""

    def __init__(self, inner, sync_delay=0.0, sync_error=None, append_error=None):
        self.inner, self.sync_delay, self.sync_error = inner, sync_delay, sync_error
        self.append_error = append_error
        self.appends, self.syncs, self.closed = [], 0, False
        self.threads = set()  # the threads that called append/sync

    def open(self):
        self.inner.open()

    @property
    def start_offset(self):
        return self.inner.start_offset

    @property
    def end_offset(self):
        return self.inner.end_offset

    def append(self, payload):
        self.threads.add(threading.get_ident())
        if self.append_error:
            raise self.append_error
        self.appends.append(bytes(payload))
        return self.inner.append(payload)

    def sync(self):
        self.threads.add(threading.get_ident())
        if self.sync_delay:
            time.sleep(self.sync_delay)  # runs on the committer's worker thread
        if self.sync_error:
            raise self.sync_error
        self.syncs += 1
        self.inner.sync()

    def read_from(self, offset):
        return self.inner.read_from(offset)

    def truncate_before(self, offset):
        self.inner.truncate_before(offset)

    def close(self):
        self.closed = True
        self.inner.close()

    def size_bytes(self):
        return self.inner.size_bytes()


def _run(coro, loop="asyncio"):
    """Run on the stdlib loop, or on uvloop as the server does (its call_soon_threadsafe is
    what the worker wakes the loop with)."""
    if loop == "uvloop":
        uvloop = pytest.importorskip("uvloop")
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(asyncio.wait_for(coro, 10))
    return asyncio.run(asyncio.wait_for(coro, 10))


def _closed(fd) -> bool:
    try:
        os.fstat(fd)
    except OSError as e:
        return e.errno == errno.EBADF
    return False


LOOPS = ["asyncio", "uvloop"]


@pytest.mark.parametrize("loop", LOOPS)
def test_one_tick_becomes_one_record(tmp_path, loop):
    async def main():
        backend = Wrapped(_open(tmp_path))
        gc = GroupCommitter(asyncio.get_running_loop(), backend)
        seen = []
        gc.add_listener(seen.append)
        offsets = [gc.append(b"SET k%d v\r\n" % i) for i in range(100)]
        assert offsets[-1] == gc.appended and gc.durable == 0
        assert await gc.drain()
        assert gc.durable == gc.appended == offsets[-1]
        assert len(backend.appends) == 1 and backend.syncs == 1
        assert seen == [gc.durable]
        st = gc.stats()
        assert (st["batches"], st["records"], st["bytes_written"], st["syncs"]) == (1, 1, gc.durable, 1)
        assert st["last_fsync_time"] > 0 and gc.percentile(50) > 0 and gc.percentile(99) >= gc.percentile(50)
        assert backend.threads == {gc._thread.ident} != {threading.get_ident()}
        await gc.close()
        assert backend.closed and not gc._thread.is_alive() and all(_closed(fd) for fd in gc._fds)
        return offsets[-1]

    end = _run(main(), loop)
    log = _open(tmp_path)
    assert [o for o, _ in log.read_from(0)] == [0] and log.end_offset == end
    log.close()


def test_appends_during_slow_sync_form_the_next_batch(tmp_path):
    async def main():
        backend = Wrapped(_open(tmp_path), sync_delay=0.2)
        gc = GroupCommitter(asyncio.get_running_loop(), backend)
        seen = []
        gc.add_listener(seen.append)
        a = gc.append(b"A" * 10)
        await asyncio.sleep(0.05)  # batch A is now syncing
        b = gc.append(b"B" * 10)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        c = gc.append(b"C" * 10)
        await asyncio.sleep(0.05)
        assert gc.durable == 0 and len(backend.appends) <= 1  # B and C wait for A
        assert await gc.drain()
        assert backend.appends == [b"A" * 10, b"B" * 10 + b"C" * 10]
        assert seen == [a, c] and b < c == gc.durable
        assert gc.last_batch_latency >= 0.2
        await gc.close()

    _run(main())


def test_sync_failure_enters_failed_state(tmp_path):
    async def main():
        err = OSError(errno.ENOSPC, "No space left on device")
        backend = Wrapped(_open(tmp_path), sync_error=err)
        gc = GroupCommitter(asyncio.get_running_loop(), backend)
        seen = []
        gc.add_listener(seen.append)
        gc.append(b"doomed")
        assert await gc.drain() is False
        assert gc.failed == "No space left on device"
        assert gc.durable == 0 and seen == [0]  # told, but nothing new is durable
        gc.append(b"more")  # the server refuses writes; if one slips in, it goes nowhere
        await asyncio.sleep(0.05)
        assert len(backend.appends) == 1 and gc.durable == 0
        assert await gc.close() is False

    _run(main())


def test_everysec_and_no_modes(tmp_path):
    async def main():
        backend = Wrapped(_open(tmp_path / "a"))
        gc = GroupCommitter(asyncio.get_running_loop(), backend, appendfsync="everysec")
        gc.append(b"one")
        await gc.drain()
        assert backend.syncs == 1  # first batch: no sync yet this second
        gc.append(b"two")
        await gc.drain()
        assert gc.durable == 6 and backend.syncs == 1  # written counts as durable (cache-grade)
        t0 = time.monotonic()
        while backend.syncs < 2 and time.monotonic() - t0 < 3:  # the idle timer syncs the straggler
            await asyncio.sleep(0.05)
        assert backend.syncs == 2 and time.monotonic() - t0 > 0.5
        await gc.close()

        backend = Wrapped(_open(tmp_path / "b"))
        gc = GroupCommitter(asyncio.get_running_loop(), backend, appendfsync="no")
        for _i in range(3):
            gc.append(b"x")
            await gc.drain()
        assert gc.durable == 3 and backend.syncs == 0 and len(backend.appends) == 3
        await gc.close()
        with pytest.raises(ValueError):
            GroupCommitter(asyncio.get_running_loop(), backend, appendfsync="sometimes")

    _run(main())


def test_write_failure_in_worker_enters_failed_state(tmp_path):
    async def main():
        backend = Wrapped(_open(tmp_path))
        gc = GroupCommitter(asyncio.get_running_loop(), backend)
        seen = []
        gc.add_listener(seen.append)
        first = gc.append(b"fine")
        assert await gc.drain()
        backend.append_error = OSError(errno.EIO, "Input/output error")
        gc.append(b"doomed")
        assert await gc.drain() is False
        assert gc.failed == "Input/output error"
        assert gc.durable == first and seen == [first, first]  # told once more, nothing new
        assert (gc.batches, gc.syncs) == (1, 1)  # the failed batch was never synced nor counted
        gc.append(b"more")
        await asyncio.sleep(0.05)
        assert backend.appends == [b"fine"] and gc.durable == first
        assert await gc.close() is False
        assert not gc._thread.is_alive()

    _run(main())


def test_offset_mismatch_fails_the_log(tmp_path):
    async def main():
        backend = Wrapped(_open(tmp_path))
        gc = GroupCommitter(asyncio.get_running_loop(), backend)
        backend.inner.append(b"written behind the committer's back")
        gc.append(b"x")
        assert await gc.drain() is False
        assert gc.failed.startswith("log offset mismatch") and gc.durable == 0
        await gc.close()

    _run(main())


@pytest.mark.parametrize("loop", LOOPS)
def test_call_in_worker_is_ordered_with_batches(tmp_path, loop):
    async def main():
        backend = Wrapped(_open(tmp_path), sync_delay=0.1)
        gc = GroupCommitter(asyncio.get_running_loop(), backend)
        progress = lambda: (threading.get_ident(), len(backend.appends), backend.syncs)  # noqa: E731
        gc.append(b"A")
        await asyncio.sleep(0.02)  # A is syncing
        first = gc.call_in_worker(progress)
        gc.append(b"B")  # forms the next batch, handed over once A is done
        ident, appends, syncs = await first
        assert ident == gc._thread.ident
        assert (appends, syncs) == (1, 1)  # after A was written and synced, before B
        assert await gc.drain() and backend.appends == [b"A", b"B"]
        assert (await gc.call_in_worker(progress))[1:] == (2, 2)
        with pytest.raises(ZeroDivisionError):  # the function's exception reaches the caller
            await gc.call_in_worker(lambda: 1 / 0)
        assert gc.failed is None
        assert await gc.call_in_worker(backend.truncate_before, gc.durable) is None
        await gc.close()
        with pytest.raises(RuntimeError):
            gc.call_in_worker(progress)

    _run(main(), loop)


@pytest.mark.parametrize("loop", LOOPS)
def test_close_with_a_batch_in_flight(tmp_path, loop):
    async def main():
        backend = Wrapped(_open(tmp_path), sync_delay=0.1)
        gc = GroupCommitter(asyncio.get_running_loop(), backend)
        gc.append(b"A" * 3)
        await asyncio.sleep(0.02)  # A is syncing
        end = gc.append(b"B" * 4)  # B still forming
        assert await gc.close() is True
        assert gc.durable == end == 7 and backend.closed
        assert backend.appends == [b"AAA", b"BBBB"] and backend.syncs == 2
        assert not gc._thread.is_alive() and all(_closed(fd) for fd in gc._fds)
        assert await gc.close() is True  # idempotent
        assert await gc.drain() is True

    _run(main(), loop)
    log = _open(tmp_path)
    assert list(log.read_from(0)) == [(0, b"AAA"), (3, b"BBBB")]
    log.close()


@pytest.mark.parametrize("loop", LOOPS)
def test_loop_closed_with_a_batch_in_flight(tmp_path, loop, caplog):
    """At shutdown the loop can be gone before the worker finishes: no exception anywhere, and
    a committer dropped unclosed stops its thread and closes its fds."""
    errors = []
    hook, threading.excepthook = threading.excepthook, errors.append
    backend = Wrapped(_open(tmp_path), sync_delay=0.2)
    box = {}

    async def main():
        gc = GroupCommitter(asyncio.get_running_loop(), backend)
        box["thread"], box["fds"] = gc._thread, gc._fds
        box["ref"] = __import__("weakref").ref(gc)
        gc.append(b"late")
        await asyncio.sleep(0.02)  # the batch is syncing when the loop closes

    try:
        with caplog.at_level(logging.WARNING):
            _run(main(), loop)
            time.sleep(0.4)  # the worker finishes and finds the loop closed
            pygc.collect()
            assert box["ref"]() is None  # nothing kept the committer alive
            box["thread"].join(2)
    finally:
        threading.excepthook = hook
    assert not box["thread"].is_alive() and all(_closed(fd) for fd in box["fds"])
    assert errors == [] and not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert backend.appends == [b"late"] and backend.syncs == 1  # written, nobody left to tell
    backend.inner.close()


def test_pipe_when_there_is_no_eventfd(tmp_path, monkeypatch):
    monkeypatch.delattr(os, "eventfd", raising=False)

    async def main():
        backend = Wrapped(_open(tmp_path))
        gc = GroupCommitter(asyncio.get_running_loop(), backend)
        assert len(gc._fds) == 2
        for i in range(3):
            gc.append(b"x" * (i + 1))
            assert await gc.drain()
        assert gc.durable == 6 and len(backend.appends) == 3
        await gc.close()
        assert all(_closed(fd) for fd in gc._fds)

    _run(main())
