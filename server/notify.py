"""Keyspace notifications (Redis 6.2 notify.c): ``notify-keyspace-events`` and their delivery.

Every change a command makes is reported through ``db.changed(key, event, klass)`` →
:func:`notify` (installed as ``Server.notify``); lazy and active expiry report ``expired``
(class ``x``), a read that misses reports ``keymiss`` (class ``m``), eviction ``evicted``
(``e``).  The flags string is parsed once per value (``A`` = ``g$lshzxetd``; ``m`` is not part
of ``A``; ``K`` publishes ``__keyspace@<db>__:<key>`` → event, ``E`` publishes
``__keyevent@<db>__:<event>`` → key; a class without ``K`` or ``E`` publishes nothing).

Durability: a notification tells that a write happened, so it must not reach a subscriber
before that write is durable.  :func:`notify` only records it in ``server.notes``;
``Server.settle_hazards`` — which runs right after the command's effects were appended to the
log (dispatcher, served blocked clients, active expiry, end of EXEC) — calls
:func:`deliver_notes` with the log offset of those effects, and every message is queued on its
subscribers behind that offset (``Client.emit`` keeps each connection's output in order).  A
``keymiss`` changes nothing: it goes out at once unless notes of the same command are pending
(an ``expired`` just before it), in which case it follows them.

Notifications are not published while the log is replayed at startup: they happened before the
restart.
"""

from __future__ import annotations

from .app import Server
from .commands import pubsub

_ALL = "g$lshzxetd"
_parsed: dict = {}


def parse_flags(flags: str):
    """``(classes, keyspace, keyevent)`` for a notify-keyspace-events value (cached)."""
    p = _parsed.get(flags)
    if p is None:
        classes = set(flags)
        if "A" in classes:
            classes.update(_ALL)
        p = (frozenset(classes - {"A", "K", "E"}), "K" in classes, "E" in classes)
        if len(_parsed) < 256:
            _parsed[flags] = p
    return p


def notify(self, db, key, event: bytes, klass: str) -> None:
    """notifyKeyspaceEvent: record (or, for key misses, publish) one event."""
    flags = self.notify_flags
    if not flags:
        return
    classes, ks, ke = _parsed.get(flags) or parse_flags(flags)
    if klass not in classes or not (ks or ke) or self.replaying:
        return
    if not self.pubsub_channels and not self.pubsub_patterns:
        return  # nobody could receive it
    if klass == "m" and not self.notes:
        _publish(self, db.id, key, event, ks, ke, 0)
        return
    self.notes.append((db.id, key, event, ks, ke))


def _publish(srv, dbid, key, event, ks, ke, required):
    if ks:
        pubsub.publish(srv, b"__keyspace@%d__:%s" % (dbid, key), event, required)
    if ke:
        pubsub.publish(srv, b"__keyevent@%d__:%s" % (dbid, event), key, required)


def deliver_notes(self, required: int) -> None:
    """Publish the recorded notifications; each waits for log offset ``required``."""
    notes = self.notes
    if not notes:
        return
    self.notes = []
    for dbid, key, event, ks, ke in notes:
        _publish(self, dbid, key, event, ks, ke, required)


Server.notify = notify
Server.deliver_notes = deliver_notes
