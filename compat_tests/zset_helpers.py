"""Shared helpers for the sorted-set compat tests (test_zset*.py).

Scores come back as bulk strings in RESP2 (``b"1.5"``) and as doubles in RESP3 (``1.5``, what
hiredis makes of ``,1.5``); WITHSCORES replies are flat in RESP2 and arrays of
``[member, score]`` pairs in RESP3.  :func:`score` and :func:`pairs` build the expected reply
for the protocol of the client under test.
"""

from __future__ import annotations

import contextlib

from .helpers import ex


def proto(client) -> int:
    return client.connection_pool.connection_kwargs.get("protocol") or 2


def score(client, text: str):
    """The expected reply for one score, given as Redis prints it (``"1.5"``, ``"inf"``)."""
    return text.encode() if proto(client) == 2 else float(text)


def pairs(client, *items):
    """Expected WITHSCORES reply for ``("a", "1"), ("b", "2.5")...``."""
    if proto(client) == 2:
        out = []
        for m, s in items:
            out += [m.encode(), s.encode()]
        return out
    return [[m.encode(), float(s)] for m, s in items]


def zadd(client, key, *score_members):
    """ZADD key s1 m1 s2 m2 ... (scores given as strings or numbers)."""
    return ex(client, "ZADD", key, *[x if isinstance(x, bytes) else str(x) for x in score_members])


@contextlib.contextmanager
def config(client, **settings):
    """Temporarily CONFIG SET options (underscores in names become dashes)."""
    old = {}
    for name, value in settings.items():
        name = name.replace("_", "-")
        got = ex(client, "CONFIG", "GET", name)
        old[name] = got[1] if isinstance(got, list) else got[name.encode()]
        ex(client, "CONFIG", "SET", name, str(value))
    try:
        yield
    finally:
        for name, value in old.items():
            ex(client, "CONFIG", "SET", name, value)


def _bulk_items(frame: bytes) -> list:
    """The bulk strings of a flat RESP array frame (a pub/sub message)."""
    out = []
    lines = frame.split(b"\r\n")
    i = 1
    while i < len(lines):
        if lines[i].startswith(b"$"):
            out.append(lines[i + 1])
            i += 2
        else:
            i += 1
    return out


class EventLog:
    """Keyspace events published on ``__keyevent@0__:*``, as (event, key) pairs."""

    def __init__(self, sub, client):
        self.sub = sub
        self.client = client

    def collect(self) -> list:
        """Events up to (excluding) a sentinel SET this call issues itself."""
        ex(self.client, "SET", "__sentinel__", "1")
        out = []
        while True:
            items = _bulk_items(self.sub.recv_reply(timeout=2))
            event = items[2].rsplit(b":", 1)[1]
            key = items[3]
            if key == b"__sentinel__":
                return out
            out.append((event.decode(), key.decode()))
