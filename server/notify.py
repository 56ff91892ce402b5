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

Own notifications of a RESP3 subscriber (:func:`place_own`).  A RESP3 client may subscribe and
keep running commands; it then gets the notifications its own commands cause as pushes between
its replies, where Redis writes them: into the output buffer as ``notifyKeyspaceEvent`` runs,
before or after the command's ``addReply`` depending on the command (HSET, LPUSH, ZADD, GETSET,
LPOP... reply first; SET, DEL, SADD... notify first; SPOP, LMOVE, EXPIRE, ZPOPMIN split their
events around the reply: :data:`AFTER_REPLY`), and inside EXEC between the elements of EXEC's
array.  While such a client runs a command, the dispatcher (and EXEC, per queued command)
collects the pushes meant for it in ``Client.own_pushes`` as ``(event, frame)`` instead of
queueing them, then places them around the reply with :func:`place_own`.  Every other
subscriber gets them as before.
"""

from __future__ import annotations

from . import resp
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


def _publish(srv, dbid, key, event, ks, ke, required, skip=None):
    srv.notify_seq += 1
    srv.notify_event = (event, key, srv.notify_seq)  # what pubsub.deliver tags own pushes with
    if ks:
        pubsub.publish(srv, b"__keyspace@%d__:%s" % (dbid, key), event, required, skip)
    if ke:
        pubsub.publish(srv, b"__keyevent@%d__:%s" % (dbid, event), key, required, skip)
    srv.notify_event = None


def deliver_notes(self, required: int) -> None:
    """Publish the recorded notifications; each waits for log offset ``required``."""
    notes = self.notes
    if not notes:
        return
    self.notes = []
    for note in notes:
        if note[0] is None:  # a message PUBLISHed after these notifications (pubsub.py)
            for c, frame in note[1]:
                pubsub.deliver(c, frame, required)
            continue
        dbid, key, event, ks, ke, *skip = note
        _publish(self, dbid, key, event, ks, ke, required, skip[0] if skip else None)


def take_own(srv, c, start: int) -> None:
    """Inside EXEC (whose notifications wait for its end): the pushes of the notes recorded
    since ``start`` that concern ``c``, the client running EXEC, go to ``c.own_pushes`` now
    (their place is next to this command's element of the array); the rest of the subscribers
    still get them at the end, ``c`` no longer."""
    notes = srv.notes
    own = c.own_pushes
    for i in range(start, len(notes)):
        if notes[i][0] is None:  # a PUBLISHed message (by a script: not c itself) queued behind
            mine = [f for s, f in notes[i][1] if s is c]
            if mine:
                own.extend((None, f) for f in mine)
                notes[i] = (None, [(s, f) for s, f in notes[i][1] if s is not c])
            continue
        dbid, key, event, ks, ke = notes[i][:5]
        srv.notify_seq += 1
        tag = (event, key, srv.notify_seq)
        if ks:
            own.extend((tag, f) for f in pubsub.frames_for(c, b"__keyspace@%d__:%s" % (dbid, key), event))
        if ke:
            own.extend((tag, f) for f in pubsub.frames_for(c, b"__keyevent@%d__:%s" % (dbid, event), key))
        notes[i] = (dbid, key, event, ks, ke, c)


ALL = None
# the tag event of a CLIENT TRACKING invalidation delivered to the client whose command caused
# it (another tracker redirecting to it): Server.tracking_after_reply (tracking.py) places it
TRACKING = b"<tracking>"
# command -> the events Redis 6.2 notifies after the command's reply (ALL: every event but the
# lookups' keymiss/expired); a command not here notifies before its reply
AFTER_REPLY = {
    "getset": ALL, "getdel": ALL, "getex": ALL, "bitfield": ALL,
    "lpush": ALL, "rpush": ALL, "lpushx": ALL, "rpushx": ALL, "lset": ALL, "lpop": ALL, "rpop": ALL,
    "blpop": ALL, "brpop": ALL,
    "hset": ALL, "hmset": ALL, "hsetnx": ALL, "hincrby": ALL, "hincrbyfloat": ALL,
    "zadd": ALL, "zincrby": ALL, "geoadd": ALL,
    "sinterstore": ALL, "sunionstore": ALL, "sdiffstore": ALL, "zunionstore": ALL, "zinterstore": ALL,
    "zdiffstore": ALL, "zrangestore": ALL,
    "xadd": ALL, "xsetid": ALL,
    "xgroup": {b"xgroup-create", b"xgroup-setid", b"xgroup-destroy", b"xgroup-delconsumer"},
    "spop": {b"del"}, "zpopmin": {b"del"}, "zpopmax": {b"del"}, "bzpopmin": {b"del"}, "bzpopmax": {b"del"},
    "lmove": {b"lpop", b"rpop", b"del"}, "rpoplpush": {b"lpop", b"rpop", b"del"},
    "blmove": {b"lpop", b"rpop", b"del"}, "brpoplpush": {b"lpop", b"rpop", b"del"},
    "expire": {b"expire"}, "pexpire": {b"expire"}, "expireat": {b"expire"}, "pexpireat": {b"expire"},
}
_LOOKUP_EVENTS = (b"keymiss", b"expired")

# commands whose reply Redis opens with a deferred-length array header before notifying: the
# pushes written before the reply's first element land inside the array, after its header
# (and after the key BZPOPMIN/BZPOPMAX put first)
_INSIDE = {"zpopmin": 0, "zpopmax": 0, "bzpopmin": 1, "bzpopmax": 1}


def _mget_positions(argv, own):
    """MGET writes its array header, then looks each key up: a key's keymiss goes just before
    its element.  Each keymiss (one per missing key, in order) is matched to the next key of
    that name."""
    out = []
    i = 0
    seen = {}
    for entry in own:
        tag = entry[0]
        if tag is None or tag[0] != b"keymiss":
            out.append(entry)
            continue
        pos = seen.get(tag[2])
        if pos is None:
            while i < len(argv) - 1 and argv[i + 1] != tag[1]:
                i += 1
            pos = seen[tag[2]] = i
            i += 1
        out.append((tag, entry[1], pos))
    return out


def place_own(self, c, cmd, argv, own: list, reply):
    """``(before, reply, after)``: the pushes ``own`` (``(tag, frame)`` in order, ``tag`` =
    (event, key, sequence), (TRACKING, key, sequence) for a tracking invalidation, or None for
    a PUBLISHed message; ``(tag, frame, i)`` for a push
    Redis writes before element ``i`` of the array reply) split where Redis writes the
    command's reply (:data:`AFTER_REPLY`; SET ... GET replies first, like GETSET), and the
    reply itself (re-encoded with the pushes that go inside it: :data:`_INSIDE`, MGET and
    SORT ... GET lookups)."""
    name = cmd.name
    if name == "mget" and type(reply) is list:
        own = _mget_positions(argv, own)
    inside = [e for e in own if len(e) == 3]
    if inside:
        if type(reply) is list:
            own = [e for e in own if len(e) == 2]
            out = bytearray(b"*%d\r\n" % len(reply))
            k = 0
            for j, el in enumerate(reply):
                while k < len(inside) and inside[k][2] <= j:
                    out += inside[k][1]
                    k += 1
                resp.encode(el, c.proto, out)
            for e in inside[k:]:
                out += e[1]
            reply = resp.Raw(bytes(out))
        else:  # an error reply: they were lookups, before it
            own = [(e[0], e[1]) for e in own]
    after = AFTER_REPLY.get(name, ())
    if name == "set" and any(a.lower() == b"get" for a in argv[3:]):
        after = ALL
    cut = len(own)
    for i, (tag, _) in enumerate(own):
        if tag is None or tag[0] in _LOOKUP_EVENTS:
            continue
        if tag[0] is TRACKING:  # an invalidation another tracker redirects here (tracking.py)
            if self.tracking_after_reply(c, name, argv, tag[1]):
                cut = i
                break
        elif after is ALL or tag[0] in after:
            cut = i
            break
    before = b"".join(e[1] for e in own[:cut])
    tail = b"".join(e[1] for e in own[cut:])
    skip = _INSIDE.get(name)
    if skip is not None and before and isinstance(reply, list) and reply:
        out = bytearray()
        resp.encode(reply, c.proto, out)
        pos = out.index(b"\r\n") + 2
        for _ in range(skip):  # a bulk string: its length line, then the bytes
            eol = out.index(b"\r\n", pos)
            pos = eol + 2 + int(out[pos + 1:eol]) + 2
        reply = resp.Raw(bytes(out[:pos] + before + out[pos:]))
        before = b""
    return before, reply, tail


Server.notify = notify
Server.deliver_notes = deliver_notes
Server.notify_event = None
Server.notify_seq = 0
Server.place_own = place_own
Server.take_own = take_own
Server.deliver_push = lambda self, c, data, required: pubsub.deliver(c, data, required)
