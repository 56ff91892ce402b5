"""The ACL security log (``ACL LOG``): denied commands, keys, channels and failed logins.

As Redis 6.2's addACLLogEntry: a new denial equal to one of the 10 most recent entries (same
reason, context, object and username, within 60 s) bumps that entry's count, refreshes its time
and client info and moves it to the head; otherwise a new entry goes to the head and the log is
trimmed to ``acllog-max-len``.
"""

from __future__ import annotations

from collections import deque

GROUPING_MAX_DELTA_MS = 60000
SCAN_DEPTH = 10


class LogEntry:
    __slots__ = ("count", "reason", "context", "object", "username", "ctime_ms", "cinfo")

    def __init__(self, reason, context, obj, username, ctime_ms, cinfo):
        self.count = 1
        self.reason = reason
        self.context = context
        self.object = obj
        self.username = username
        self.ctime_ms = ctime_ms
        self.cinfo = cinfo

    def matches(self, other: "LogEntry") -> bool:
        return (self.reason == other.reason and self.context == other.context
                and abs(self.ctime_ms - other.ctime_ms) <= GROUPING_MAX_DELTA_MS
                and self.object == other.object and self.username == other.username)


class AclLog:
    def __init__(self):
        self.entries: deque = deque()

    def add(self, reason: str, context: str, obj: bytes, username: bytes, cinfo: bytes,
            now_ms: int, max_len: int) -> LogEntry:
        new = LogEntry(reason, context, obj, username, now_ms, cinfo)
        entries = self.entries
        for i in range(min(SCAN_DEPTH, len(entries))):
            cur = entries[i]
            if cur.matches(new):
                del entries[i]
                entries.appendleft(cur)
                cur.count += 1
                cur.ctime_ms = now_ms
                cur.cinfo = cinfo
                return cur
        entries.appendleft(new)
        while len(entries) > max_len:
            entries.pop()
        return new

    def reset(self) -> None:
        self.entries.clear()

    def newest(self, count: int) -> list:
        count = max(0, min(count, len(self.entries)))
        return [self.entries[i] for i in range(count)]

    def __len__(self):
        return len(self.entries)
