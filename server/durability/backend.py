"""The transaction-log backend interface.

Perdure acknowledges a write only once its effects are durable in a log. The event loop never
touches the log itself: :class:`~perdure.server.durability.commit.GroupCommitter` hands whole
batches to ONE worker thread, and that thread is the only caller of a :class:`LogBackend`. So the
interface is deliberately small and synchronous, and implementations need no locking. Today the
only implementation is the local segmented :class:`~perdure.server.durability.filelog.FileLog`;
a replicated (quorum) backend can implement the same methods later without the server changing.

Offsets are *logical*: the number of payload bytes appended since the log was created (framing
excluded). A record carrying payload bytes ``[a, b)`` starts at offset ``a`` and moves the end to
``b``. Snapshots remember the offset they cover, and replay resumes from it with ``read_from``.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator


class CorruptLogError(Exception):
    """The log is damaged somewhere other than its tail; starting would silently lose data."""


class LogBackend(abc.ABC):
    """A durable, append-only sequence of records addressed by logical offset."""

    #: After :meth:`open`: "" when the log was clean, else what recovery had to repair.
    recovery_report: str = ""

    @abc.abstractmethod
    def open(self) -> None:
        """Recover: verify every record, truncate a torn tail (reported), else raise
        :class:`CorruptLogError` on damage followed by valid data."""

    @property
    @abc.abstractmethod
    def start_offset(self) -> int:
        """Offset of the oldest record still held (records before it were truncated away)."""

    @property
    @abc.abstractmethod
    def end_offset(self) -> int:
        """Offset just past the last appended record (durable or not)."""

    @abc.abstractmethod
    def append(self, payload: bytes) -> int:
        """Write one record; return the new end offset. Not durable until :meth:`sync`."""

    @abc.abstractmethod
    def sync(self) -> None:
        """Make every appended record durable; raises OSError if that cannot be guaranteed."""

    @abc.abstractmethod
    def read_from(self, offset: int) -> Iterator[tuple[int, bytes]]:
        """Yield ``(start offset, payload)`` for each record starting at or after ``offset``,
        which must be a record boundary (or ``start_offset``)."""

    @abc.abstractmethod
    def truncate_before(self, offset: int) -> None:
        """Drop storage wholly before ``offset`` (e.g. covered by a snapshot). May keep more."""

    @abc.abstractmethod
    def close(self) -> None:
        """Sync what is pending and release resources. Idempotent."""

    @abc.abstractmethod
    def size_bytes(self) -> int:
        """Bytes the log currently occupies in storage, framing included."""
