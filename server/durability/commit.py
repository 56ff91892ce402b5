"""GroupCommitter: the event-loop side of the transaction log.

Every write command appends its effects here, and its reply is held until ``durable`` reaches the
offset ``append`` returned. An fdatasync costs far more than executing a command, so commands
are *group committed*: everything appended during one loop iteration becomes ONE log record,
written and synced by a single worker thread while the loop keeps serving. While that batch is in
flight, new appends gather into the next batch, which is handed over the moment the first one
completes - so under load each fsync covers everything that arrived during the previous one, and
throughput scales with concurrency instead of being capped at one command per fsync.

The hand-off is cut to the bone because it runs once per batch on a loop that is usually the
bottleneck, and the worker competes with it for the GIL: the loop puts the batch on a deque and
writes an eventfd; the worker (a plain daemon thread asleep in ``os.read``) writes and syncs, and
schedules the completion back with ``call_soon_threadsafe``. See :func:`_worker` for why each
step is there.

``appendfsync`` (named after the Redis setting):

* ``always``   - every batch is fdatasync'ed before ``durable`` moves. The default; the only
  mode in which an acknowledged write survives a power failure.
* ``everysec`` - sync at most once per second (and within ~1 s of the last write);
* ``no``       - never sync until close; the OS decides.

In ``everysec`` and ``no`` a batch counts as durable once *written* (it survives a process crash,
not a machine crash): cache-grade durability, like Redis with AOF.

If a write or sync fails the committer enters a failed state for good: ``failed`` holds the
reason (the OS error text), ``durable`` stays at what really was durable, listeners are called
once more with nothing new, and the server refuses writes with ``MISCONF Errors writing to the
AOF file: <failed>``. Retrying an fsync after an error is unsafe (the kernel may have dropped the
dirty pages and then report success), so only a restart - which re-verifies the log - recovers.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import math
import os
import threading
import time
import weakref
from collections.abc import Callable

from .backend import LogBackend

logger = logging.getLogger(__name__)

APPENDFSYNC_MODES = ("always", "everysec", "no")


class LatencySamples:
    """The most recent batch commit times (seconds); percentiles sort on demand (INFO is rare)."""

    def __init__(self, size: int = 4096):
        self._samples: collections.deque[float] = collections.deque(maxlen=size)
        self.count = 0

    def add(self, seconds: float) -> None:
        self._samples.append(seconds)
        self.count += 1

    def percentile(self, p: float) -> float:
        if not self._samples:
            return 0.0
        s = sorted(self._samples)
        return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


_WAKE = (1).to_bytes(8, "little")  # what the loop writes to wake the worker (an eventfd add)
_STOP = object()  # the job that ends the worker thread


def _wake_channel() -> tuple[int, int]:
    """(read fd, write fd) the worker sleeps on: one eventfd on Linux, else a pipe."""
    if hasattr(os, "eventfd"):
        fd = os.eventfd(0, os.EFD_CLOEXEC)
        return fd, fd
    return os.pipe()


def _worker(backend: LogBackend, jobs: collections.deque, results: collections.deque,
            wake_fd: int, call_soon_threadsafe: Callable, on_results: Callable[[], object]) -> None:
    """The log's worker thread, the only caller of ``backend`` while the committer is open.

    It sleeps in ``os.read(wake_fd)`` (GIL released) until the loop hands something over, runs
    the queued jobs in order, puts each outcome on ``results`` and then wakes the loop once with
    ``call_soon_threadsafe(on_results)``. A job is ``(None, payload, sync)`` for a batch
    (``payload`` empty: a sync-only job), ``(future, fn, args)`` for
    :meth:`GroupCommitter.call_in_worker`, or ``(_STOP, fds, None)``.

    Why so bare: every line here needs the GIL, and the loop thread holds it almost all the time
    under load while releasing it for a few microseconds between callbacks. Each time this thread
    comes back from a syscall it must win the GIL in one of those gaps, so a batch costs exactly
    three such wins (after the wake-up read, after the write, after the fdatasync) and a handful
    of bytecodes between them. uvloop's ``call_soon_threadsafe`` wakes the loop without dropping
    the GIL (an eventfd written back by this thread would cost a fourth win). The thread keeps
    no reference to the committer, so a committer dropped without ``close`` stops it through its
    finalizer."""
    read, pop, put = os.read, jobs.popleft, results.append
    append, sync = backend.append, backend.sync
    while True:
        read(wake_fd, 4096)
        ran = False
        while jobs:
            fut, a, b = pop()
            if fut is _STOP:
                for fd in a:  # only when the committer was dropped unclosed (see _stop_worker)
                    os.close(fd)
                return
            try:
                if fut is None:  # a batch: one record, then fdatasync if asked
                    value = append(a) if a else None
                    if b:
                        sync()
                else:
                    value = a(*b)
            except BaseException as e:  # noqa: BLE001 - reported on the loop
                put((fut, False, e))
            else:
                put((fut, True, value))
            ran = True
        if ran:
            try:
                call_soon_threadsafe(on_results)
            except RuntimeError:  # the loop is closed: nobody is waiting any more
                pass


def _stop_worker(jobs: collections.deque, wake_w: int, fds: tuple[int, ...]) -> None:
    """Finalizer of a committer dropped without ``close``: the thread ends and closes the fds."""
    jobs.append((_STOP, fds, None))
    try:
        os.write(wake_w, _WAKE)
    except OSError:
        pass


def _results_callback(ref: weakref.ref) -> Callable[[], None]:
    """What the worker schedules on the loop: the committer's ``_on_results``, through a weak
    reference so that the thread does not keep the committer alive."""
    def on_results() -> None:
        committer = ref()
        if committer is not None:
            committer._on_results()
    return on_results


class GroupCommitter:
    """Batches effect bytes into log records; tells listeners as the durable offset advances.

    The committer owns ``backend`` (already opened) from construction until :meth:`close`, and
    runs one daemon thread (:func:`_worker`), the only caller of the backend meanwhile. All
    methods must be called on the loop's thread.

    Hand-off, one batch in flight at a time: ``_kick`` puts ``(None, batch, sync)`` on ``_jobs``
    and writes the eventfd the worker sleeps on; the worker writes the record, syncs, puts the
    outcome on ``_results`` and schedules ``_on_results`` on the loop, which moves ``durable``,
    hands the next batch over at once and then releases the replies. Per batch that is a tuple,
    two deque operations, one eventfd write and one loop wake-up: no futures, executor queues or
    locks."""

    def __init__(self, loop: asyncio.AbstractEventLoop, backend: LogBackend, appendfsync: str = "always"):
        if appendfsync not in APPENDFSYNC_MODES:
            raise ValueError(f"appendfsync must be one of {APPENDFSYNC_MODES}, not {appendfsync!r}")
        self._loop, self._backend, self.appendfsync = loop, backend, appendfsync
        self._buf = bytearray()
        # plain attributes, read by the dispatcher on every command: ``appended`` = end of
        # everything queued so far, ``durable`` = end of what is on disk (per appendfsync)
        self.appended = self.durable = backend.end_offset
        # end of what has been handed to the worker: offsets above it are in the batch still
        # forming, and will all become durable at the same moment (one record)
        self.handed = backend.end_offset
        self._scheduled = False  # a _tick is queued with call_soon
        # the batch the worker holds: (end offset, bytes, fdatasync'ed?, perf_counter at hand-off)
        self._inflight: tuple[int, int, bool, float] | None = None
        self._unsynced = False  # written but not fsynced (everysec / no)
        self._sync_due = False  # everysec timer asked for a sync-only job
        self._last_sync_mono = 0.0  # when the last sync was handed over (everysec)
        self._timer: asyncio.TimerHandle | None = None
        self._closed = False
        self._listeners: list[Callable[[int], object]] = []
        self._waiters: list[tuple[int, asyncio.Future]] = []
        self.failed: str | None = None
        # called (on the loop) each time a batch is handed to the worker: the next append
        # starts a new record (the server uses it to start every record with its SELECT)
        self.on_new_batch: Callable[[], object] | None = None
        # stats for INFO / LATENCY
        self.batches = self.records = self.bytes_written = self.syncs = 0
        self.last_fsync_time = 0.0  # unix time of the last successful sync
        self.last_batch_latency = 0.0  # seconds from hand-off to completion, last batch
        self.latency = LatencySamples()
        # the worker thread (see _worker): jobs in, outcomes out, an eventfd to wake it
        self._jobs: collections.deque = collections.deque()
        self._results: collections.deque = collections.deque()
        self._wake_r, self._wake_w = _wake_channel()
        self._fds = tuple({self._wake_r, self._wake_w})
        self._thread = threading.Thread(
            target=_worker, name="perdure-log", daemon=True,
            args=(backend, self._jobs, self._results, self._wake_r, loop.call_soon_threadsafe,
                  _results_callback(weakref.ref(self))))
        self._thread.start()
        self._finalizer = weakref.finalize(self, _stop_worker, self._jobs, self._wake_w, self._fds)

    # -- hot path -----------------------------------------------------------------------------
    def append(self, data: bytes) -> int:
        """Queue effect bytes; return the offset to wait for. Called once per write command."""
        self._buf += data
        self.appended += len(data)
        if not self._scheduled and self._inflight is None:  # else the batch out hands it over
            self._scheduled = True
            self._loop.call_soon(self._tick)
        return self.appended

    def batch_empty(self) -> bool:
        """True when nothing has been appended to the batch now forming (a record starts)."""
        return not self._buf

    def add_listener(self, fn: Callable[[int], object]) -> None:
        """``fn(durable_offset)`` is called on the loop after each advance, and once on failure."""
        self._listeners.append(fn)

    def remove_listener(self, fn: Callable[[int], object]) -> None:
        self._listeners.remove(fn)

    # -- batching -----------------------------------------------------------------------------
    def _tick(self) -> None:
        self._scheduled = False
        self._kick()

    def _kick(self) -> None:
        """Hand the next batch (or a due everysec sync) to the worker, if it is idle."""
        if self._inflight is not None or self.failed is not None or self._closed:
            return
        mode = self.appendfsync
        if self._buf:
            batch, self._buf = self._buf, bytearray()
            self.handed = self.appended
            if self.on_new_batch is not None:
                self.on_new_batch()
            sync = mode == "always"
            if mode == "everysec":
                now = time.monotonic()
                if now - self._last_sync_mono >= 1.0:
                    sync, self._last_sync_mono = True, now
        elif self._sync_due and self._unsynced:
            batch, sync, self._last_sync_mono = b"", True, time.monotonic()
        else:
            return
        self._inflight = (self.appended, len(batch), sync, time.perf_counter())
        self._jobs.append((None, batch, sync))
        os.write(self._wake_w, _WAKE)

    def _on_results(self) -> None:
        """On the loop, scheduled by the worker: settle what it finished, in order."""
        results = self._results
        while results:
            fut, ok, value = results.popleft()
            if fut is None:
                self._done(ok, value)
            elif not fut.done():
                if ok:
                    fut.set_result(value)
                else:
                    fut.set_exception(value)

    def _done(self, ok: bool, value) -> None:
        """A batch came back from the worker: ``value`` is the backend's end offset (None for
        a sync-only job) or, when not ``ok``, the exception it raised."""
        end, nbytes, synced, t0 = self._inflight
        self._inflight = None
        if ok and value is not None and value != end:
            ok, value = False, RuntimeError(f"log offset mismatch: backend at {value}, expected {end}")
        if not ok:  # any backend error means nothing more is durable
            self._fail(value)
            return
        self.last_batch_latency = latency = time.perf_counter() - t0
        self.latency.add(latency)
        self.batches += 1
        if nbytes:
            self.records += 1
            self.bytes_written += nbytes
        if synced:
            self.syncs += 1
            self.last_fsync_time = time.time()
            self._unsynced = self._sync_due = False
        elif nbytes:
            self._unsynced = True
            if self.appendfsync == "everysec" and self._timer is None:
                self._timer = self._loop.call_later(1.0, self._sync_timer)
        advanced = end > self.durable
        self.durable = end
        self._kick()  # the next batch starts writing while we release replies
        if advanced:
            self._notify()

    def _sync_timer(self) -> None:
        self._timer = None
        if self._unsynced:
            self._sync_due = True
            self._kick()

    def _fail(self, e: BaseException) -> None:
        self.failed = getattr(e, "strerror", None) or str(e) or type(e).__name__
        logger.error("transaction log write failed; refusing writes until restart: %s", self.failed)
        self._notify()

    def _notify(self) -> None:
        durable = self.durable
        for fn in list(self._listeners):
            try:
                fn(durable)
            except Exception:
                logger.exception("durability listener failed")
        if self._waiters:
            keep = []
            for target, fut in self._waiters:
                if durable >= target or self.failed is not None:
                    if not fut.done():
                        fut.set_result(None)
                else:
                    keep.append((target, fut))
            self._waiters = keep

    # -- shutdown / introspection -------------------------------------------------------------
    async def drain(self) -> bool:
        """Wait until everything appended so far is durable. False if the log has failed."""
        target = self.appended
        if self.durable < target and self.failed is None and not self._closed:
            fut = self._loop.create_future()
            self._waiters.append((target, fut))
            self._kick()
            await fut
        return self.failed is None and self.durable >= target

    async def close(self) -> bool:
        """Drain, then sync and close the backend on the worker thread and stop the thread.
        True if all was durable."""
        if self._closed:
            return self.failed is None
        ok = await self.drain()
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        try:
            await self._submit(self._backend.close)
        except OSError as e:
            ok = False
            if self.failed is None:
                self._fail(e)
        finally:
            self._stop()
        return ok

    def _stop(self) -> None:
        """End the worker thread (after the jobs queued before) and close the eventfd. Only the
        backend's close can be running then, and close awaited it: the join is immediate."""
        self._finalizer.detach()
        self._jobs.append((_STOP, (), None))
        os.write(self._wake_w, _WAKE)
        self._thread.join(5.0)
        if self._thread.is_alive():  # stuck in a backend call: leak the fds rather than close them under it
            logger.error("the transaction log worker thread did not stop")
            return
        for fd in self._fds:
            os.close(fd)

    def call_in_worker(self, fn, *args) -> asyncio.Future:
        """Run ``fn(*args)`` on the log's worker thread, after the batches handed over before it
        (the backend has one caller at a time: e.g. ``truncate_before`` after a snapshot).
        The returned future gets its result or exception on the loop."""
        if self._closed:
            raise RuntimeError("the transaction log is closed")
        return self._submit(fn, *args)

    def _submit(self, fn, *args) -> asyncio.Future:
        fut = self._loop.create_future()
        self._jobs.append((fut, fn, args))
        os.write(self._wake_w, _WAKE)
        return fut

    def percentile(self, p: float) -> float:
        """Batch commit time (seconds) at percentile ``p`` of recent batches."""
        return self.latency.percentile(p)

    def stats(self) -> dict:
        return {
            "appended": self.appended, "durable": self.durable, "pending": self.appended - self.durable,
            "batches": self.batches, "records": self.records, "bytes_written": self.bytes_written,
            "syncs": self.syncs, "last_fsync_time": self.last_fsync_time,
            "last_batch_latency": self.last_batch_latency,
            "latency_p50": self.percentile(50), "latency_p99": self.percentile(99),
            "failed": self.failed,
        }
