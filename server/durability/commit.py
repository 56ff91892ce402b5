"""GroupCommitter: the event-loop side of the transaction log.

Every write command appends its effects here, and its reply is held until ``durable`` reaches the
offset ``append`` returned. An fdatasync costs far more than executing a command, so commands
are *group committed*: everything appended during one loop iteration becomes ONE log record,
written and synced by a single worker thread while the loop keeps serving. While that batch is in
flight, new appends gather into the next batch, which is handed over the moment the first one
completes - so under load each fsync covers everything that arrived during the previous one, and
throughput scales with concurrency instead of being capped at one command per fsync.

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
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

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


class GroupCommitter:
    """Batches effect bytes into log records; tells listeners as the durable offset advances.

    The committer owns ``backend`` (already opened) from construction until :meth:`close`.
    All methods must be called on the loop's thread."""

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
        self._inflight = False  # the worker holds a batch
        self._unsynced = False  # written but not fsynced (everysec / no)
        self._sync_due = False  # everysec timer asked for a sync-only job
        self._timer: asyncio.TimerHandle | None = None
        self._closed = False
        self._listeners: list[Callable[[int], object]] = []
        self._waiters: list[tuple[int, asyncio.Future]] = []
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="perdure-log")
        self._last_sync_mono = 0.0  # touched by the worker thread only
        self.failed: str | None = None
        # called (on the loop) each time a batch is handed to the worker: the next append
        # starts a new record (the server uses it to start every record with its SELECT)
        self.on_new_batch: Callable[[], object] | None = None
        # stats for INFO / LATENCY
        self.batches = self.records = self.bytes_written = self.syncs = 0
        self.last_fsync_time = 0.0  # unix time of the last successful sync
        self.last_batch_latency = 0.0  # seconds from hand-off to completion, last batch
        self.latency = LatencySamples()

    # -- hot path -----------------------------------------------------------------------------
    def append(self, data: bytes) -> int:
        """Queue effect bytes; return the offset to wait for. Called once per write command."""
        self._buf += data
        self.appended += len(data)
        if not self._scheduled:
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
        if self._inflight or self.failed is not None or self._closed:
            return
        if self._buf:
            batch, self._buf = self._buf, bytearray()
            self.handed = self.appended
            if self.on_new_batch is not None:
                self.on_new_batch()
        elif self._sync_due and self._unsynced:
            batch = b""
        else:
            return
        self._inflight = True
        end, t0 = self.appended, time.perf_counter()
        fut = self._pool.submit(self._work, batch, not batch)
        fut.add_done_callback(lambda f: self._to_loop(self._done, f, end, len(batch), t0))

    def _to_loop(self, fn, *args) -> None:
        try:
            self._loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # loop already closed: nobody is waiting any more
            pass

    def _work(self, batch: bytearray | bytes, force_sync: bool) -> tuple[int, bool]:
        """Worker thread: write the batch as one record, sync per appendfsync."""
        end = self._backend.append(batch) if batch else self._backend.end_offset
        now = time.monotonic()
        if force_sync or self.appendfsync == "always" or \
                (self.appendfsync == "everysec" and now - self._last_sync_mono >= 1.0):
            self._backend.sync()
            self._last_sync_mono = now
            return end, True
        return end, False

    def _done(self, fut: Future, end: int, nbytes: int, t0: float) -> None:
        self._inflight = False
        try:
            written_end, synced = fut.result()
            if written_end != end:
                raise RuntimeError(f"log offset mismatch: backend at {written_end}, expected {end}")
        except Exception as e:  # noqa: BLE001 - any backend error means nothing more is durable
            self._fail(e)
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
        """Drain, then sync and close the backend on the worker thread. True if all was durable."""
        if self._closed:
            return self.failed is None
        ok = await self.drain()
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        try:
            await self._loop.run_in_executor(self._pool, self._backend.close)
        except OSError as e:
            ok = False
            if self.failed is None:
                self._fail(e)
        self._pool.shutdown(wait=False)
        return ok

    def call_in_worker(self, fn, *args) -> asyncio.Future:
        """Run ``fn(*args)`` on the log's worker thread, after the batches handed over before it
        (the backend has one caller at a time: e.g. ``truncate_before`` after a snapshot)."""
        return self._loop.run_in_executor(self._pool, fn, *args)

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
