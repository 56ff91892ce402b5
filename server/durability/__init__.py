"""Durability: the transaction log behind every acknowledged write.

Perdure executes a write in memory, appends its effects (RESP-encoded commands) to a log, and
releases the reply only once the log reports those bytes durable (MemoryDB-style). Three parts:

* :mod:`.backend`  - :class:`LogBackend`, the small synchronous interface any log implements
  (local files today, a replicated log later), and :class:`CorruptLogError`;
* :mod:`.filelog`  - :class:`FileLog`, segmented CRC32C-checked files under ``<data_dir>/log/``,
  with crash recovery and the offline :func:`check_log` checker/repairer;
* :mod:`.commit`   - :class:`GroupCommitter`, which batches appends from the event loop into one
  record per fsync on a single worker thread and tells listeners when offsets become durable.
"""

from .backend import CorruptLogError, LogBackend
from .commit import APPENDFSYNC_MODES, GroupCommitter, LatencySamples
from .filelog import FileLog, check_log

__all__ = [
    "APPENDFSYNC_MODES",
    "CorruptLogError",
    "FileLog",
    "GroupCommitter",
    "LatencySamples",
    "LogBackend",
    "check_log",
]
