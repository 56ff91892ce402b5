"""Pub/Sub: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, PUBSUB (Redis 6.2 pubsub.c).

State lives in two places, as in Redis: the client's own ``pubsub_channels`` / ``pubsub_patterns``
sets, and the server's ``pubsub_channels`` / ``pubsub_patterns`` dicts (name -> {client: None},
insertion ordered), created by the first subscription (:func:`_state`).  ``INFO stats`` reads the
server dicts.  A client leaves everything on disconnection and on ``RESET`` (an
``on_client_gone`` hook).

Delivery (:func:`publish`): one pre-encoded frame per protocol (``*3``/``>3`` ``message``,
``*4``/``>4`` ``pmessage``), channel subscribers first, then every matching pattern (Redis's
glob, :mod:`perdure.server.glob`).  Messages are pushes: they reach the client whatever
``CLIENT REPLY`` says (6.2's ``CLIENT_PUSHING``).  Each message is queued behind the log offset
it must wait for (``required``), like a reply: a keyspace notification waits for the write that
caused it (:mod:`perdure.server.notify` delivers them), a ``PUBLISH``ed message for everything the
log holds that is not durable yet (the publisher's reply waits for the same, so a subscriber can
never act on a message announcing a write that a crash could take back); inside EXEC or a script,
a message published after a write waits behind that write's notifications, in the same queue
(:func:`_publish_after_notes`), so it never overtakes them.  A subscriber's own notifications are
placed among its replies by :func:`perdure.server.notify.place_own`.  Subscribers' sockets
are written once per event-loop turn (one write per subscriber for a pipelined burst of
publishes), and every write goes through ``Client.flush``, which applies
``client-output-buffer-limit pubsub``: a subscriber that does not read is disconnected once over
the hard limit (or over the soft limit for longer than its seconds), without slowing publishers.

ACL channel permissions are checked by the dispatcher (``server.acl_check``) before the handlers
run, as Redis's ``ACLCheckAllPerm``.
"""

from __future__ import annotations

from .. import errors, resp
from ..app import Server
from ..errors import RedisError
from ..glob import glob_match
from ..registry import command

Server.pubsub_channels = None   # per server: {channel: {client: None}}, made by the first SUBSCRIBE
Server.pubsub_patterns = None   # per server: {pattern: {client: None}}
Server.pubsub_flush = None      # per server: subscribers with output to write at the end of the turn

_HELP = [
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "HELP",
    "    Prints this help.",
]
_HELP_REPLY = [resp.Simple(line.encode()) for line in _HELP]

_HDR3 = (b"*3\r\n", b"*3\r\n", b"*3\r\n", b">3\r\n")   # indexed by protocol version
_HDR4 = (b"*4\r\n", b"*4\r\n", b"*4\r\n", b">4\r\n")
_MESSAGE = b"$7\r\nmessage\r\n"
_PMESSAGE = b"$8\r\npmessage\r\n"
_EMPTY = resp.Raw(b"")


def _bulk(b: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(b), b)


def _state(srv):
    """The server's channel and pattern dicts, made on first use."""
    if srv.pubsub_channels is None:
        srv.pubsub_channels = {}
        srv.pubsub_patterns = {}
        srv.pubsub_flush = {}
    return srv.pubsub_channels, srv.pubsub_patterns


# --------------------------------------------------------------------------- delivery


def _flush_pending(srv) -> None:
    pend = srv.pubsub_flush
    while pend:
        clients = list(pend)
        pend.clear()
        for c in clients:
            if not c.closing:
                c.flush()


def deliver(c, frame: bytes, required: int = 0) -> None:
    """Queue one push ``frame`` (already encoded for ``c.proto``) on subscriber ``c``, behind log
    offset ``required``; the socket write happens at the end of the event-loop turn."""
    if c.closing:
        return
    own = c.own_pushes
    if own is not None:
        # a RESP3 subscriber's own notification while its command runs: placed around the
        # command's reply by the dispatcher or EXEC (notify.place_own)
        own.append((c.server.notify_event, frame))
        return
    mode = c.reply_mode
    pushes = c.exec_pushes
    if pushes is not None and not mode:
        # the client running EXEC published to itself: Redis writes the message into its
        # output as it goes, between EXEC's replies (transactions.exec_ puts it there)
        pushes += frame
        return
    if mode:  # pushes ignore CLIENT REPLY OFF/SKIP (CLIENT_PUSHING)
        c.reply_mode = 0
        c.emit(resp.Raw(frame), required)
        c.reply_mode = mode
    else:
        c.emit(resp.Raw(frame), required)
    srv = c.server
    pend = srv.pubsub_flush
    if pend is None or srv.loop is None:
        c.flush()
        return
    if not pend:
        srv.loop.call_soon(_flush_pending, srv)
    pend[c] = None


def publish(srv, channel: bytes, message: bytes, required: int = 0, skip=None) -> int:
    """pubsubPublishMessage: deliver to channel subscribers, then pattern subscribers; returns
    the number of receivers (a client counts once per matching subscription).  ``skip``: a
    client that already got its copy (notify.take_own)."""
    chans = srv.pubsub_channels
    if chans is None:
        return 0
    n = 0
    subs = chans.get(channel)
    if subs:
        body = _MESSAGE + _bulk(channel) + _bulk(message)
        frames = {}
        for c in subs:
            p = c.proto
            f = frames.get(p)
            if f is None:
                f = frames[p] = _HDR3[p] + body
            if c is not skip:
                deliver(c, f, required)
            n += 1
    pats = srv.pubsub_patterns
    if pats:
        tail = None
        for pat, subs in pats.items():
            if not glob_match(pat, channel):
                continue
            if tail is None:
                tail = _bulk(channel) + _bulk(message)
            body = _PMESSAGE + _bulk(pat) + tail
            for c in subs:
                if c is not skip:
                    deliver(c, _HDR4[c.proto] + body, required)
                n += 1
    return n


def frames_for(c, channel: bytes, message: bytes) -> list:
    """The frames :func:`publish` would deliver to ``c`` alone, in the same order."""
    out = []
    if channel in c.pubsub_channels:
        out.append(_HDR3[c.proto] + _MESSAGE + _bulk(channel) + _bulk(message))
    if c.pubsub_patterns:
        for pat, subs in c.server.pubsub_patterns.items():
            if c in subs and glob_match(pat, channel):
                out.append(_HDR4[c.proto] + _PMESSAGE + _bulk(pat) + _bulk(channel) + _bulk(message))
    return out


def publish_required(srv) -> int:
    """The log offset a PUBLISHed message waits for: everything appended and not yet durable
    (what the publisher's own reply waits for)."""
    lg = srv.log
    a = lg.appended
    return a if a > lg.durable else 0


# --------------------------------------------------------------------------- subscriptions


def _confirm(c, frames: bytearray):
    """The (un)subscribe confirmations: pushes, sent even under CLIENT REPLY OFF.  Inside EXEC
    they are part of EXEC's reply, as in Redis."""
    if c.reply_mode and not c.in_exec:
        deliver(c, bytes(frames), 0)
        return _EMPTY
    return resp.Raw(bytes(frames))


def _frame(c, out: bytearray, kind: bytes, name, count: int) -> None:
    out += _HDR3[c.proto]
    out += kind
    if name is None:
        out += b"_\r\n" if c.proto == 3 else b"$-1\r\n"
    else:
        out += _bulk(name)
    out += b":%d\r\n" % count


_SUBSCRIBE = _bulk(b"subscribe")
_UNSUBSCRIBE = _bulk(b"unsubscribe")
_PSUBSCRIBE = _bulk(b"psubscribe")
_PUNSUBSCRIBE = _bulk(b"punsubscribe")


@command("subscribe", -2, "pubsub noscript loading stale no-data", "@pubsub")
def subscribe(c, argv):
    "SUBSCRIBE channel [channel ...]"
    chans, _ = _state(c.server)
    mine = c.pubsub_channels
    npat = len(c.pubsub_patterns)
    out = bytearray()
    for ch in argv[1:]:
        if ch not in mine:
            mine.add(ch)
            subs = chans.get(ch)
            if subs is None:
                subs = chans[ch] = {}
            subs[c] = None
        _frame(c, out, _SUBSCRIBE, ch, len(mine) + npat)
    return _confirm(c, out)


def _unsubscribe_channel(c, chans, ch) -> bool:
    mine = c.pubsub_channels
    if ch not in mine:
        return False
    mine.discard(ch)
    subs = chans.get(ch)
    if subs is not None:
        subs.pop(c, None)
        if not subs:
            del chans[ch]
    return True


def _unsubscribe_pattern(c, pats, pat) -> bool:
    mine = c.pubsub_patterns
    if pat not in mine:
        return False
    mine.discard(pat)
    subs = pats.get(pat)
    if subs is not None:
        subs.pop(c, None)
        if not subs:
            del pats[pat]
    return True


@command("unsubscribe", -1, "pubsub noscript loading stale no-data", "@pubsub")
def unsubscribe(c, argv):
    "UNSUBSCRIBE [channel [channel ...]]"
    chans, _ = _state(c.server)
    mine = c.pubsub_channels
    out = bytearray()
    names = argv[1:] if len(argv) > 1 else list(mine)
    if not names:
        _frame(c, out, _UNSUBSCRIBE, None, len(c.pubsub_patterns))
    for ch in names:
        _unsubscribe_channel(c, chans, ch)
        _frame(c, out, _UNSUBSCRIBE, ch, len(mine) + len(c.pubsub_patterns))
    return _confirm(c, out)


@command("psubscribe", -2, "pubsub noscript loading stale no-data", "@pubsub")
def psubscribe(c, argv):
    "PSUBSCRIBE pattern [pattern ...]"
    _, pats = _state(c.server)
    mine = c.pubsub_patterns
    nch = len(c.pubsub_channels)
    out = bytearray()
    for pat in argv[1:]:
        if pat not in mine:
            mine.add(pat)
            subs = pats.get(pat)
            if subs is None:
                subs = pats[pat] = {}
            subs[c] = None
        _frame(c, out, _PSUBSCRIBE, pat, len(mine) + nch)
    return _confirm(c, out)


@command("punsubscribe", -1, "pubsub noscript loading stale no-data", "@pubsub")
def punsubscribe(c, argv):
    "PUNSUBSCRIBE [pattern [pattern ...]]"
    _, pats = _state(c.server)
    mine = c.pubsub_patterns
    out = bytearray()
    names = argv[1:] if len(argv) > 1 else list(mine)
    if not names:
        _frame(c, out, _PUNSUBSCRIBE, None, len(c.pubsub_channels))
    for pat in names:
        _unsubscribe_pattern(c, pats, pat)
        _frame(c, out, _PUNSUBSCRIBE, pat, len(mine) + len(c.pubsub_channels))
    return _confirm(c, out)


def _client_gone(c) -> None:
    """Disconnection or RESET: leave every channel and pattern, silently."""
    srv = c.server
    chans = srv.pubsub_channels
    if chans is None:
        return
    if c.pubsub_channels:
        for ch in list(c.pubsub_channels):
            _unsubscribe_channel(c, chans, ch)
    if c.pubsub_patterns:
        pats = srv.pubsub_patterns
        for pat in list(c.pubsub_patterns):
            _unsubscribe_pattern(c, pats, pat)
    pend = srv.pubsub_flush
    if pend:
        pend.pop(c, None)


if _client_gone not in Server.on_client_gone:
    Server.on_client_gone.append(_client_gone)


# --------------------------------------------------------------------------- PUBLISH / PUBSUB


@command("publish", 3, "pubsub loading stale fast may-replicate", "@pubsub @fast")
def publish_cmd(c, argv):
    "PUBLISH channel message"
    srv = c.server
    if srv.repl_feed is not None:
        srv.propagate_stream(c.db.id, argv)  # replicas deliver it to their own subscribers
    if srv.pubsub_channels is None:
        return 0
    if srv.notes and srv.__dict__.get("_fx_buf") is not None:  # in EXEC or a script (transactions.py)
        return _publish_after_notes(srv, c, argv[1], argv[2])
    return publish(srv, argv[1], argv[2], publish_required(srv))


def _publish_after_notes(srv, c, channel: bytes, message: bytes) -> int:
    """PUBLISH inside EXEC or a script after writes whose keyspace notifications wait for the
    transaction's log record (notify.py): the message is queued behind them, in ``srv.notes``,
    so that no subscriber gets it before the notification of a write that came first (Redis
    writes both as they happen).  Who receives it is decided now, as in :func:`publish`; the
    publisher's own copy goes now too (its place is among its own replies)."""
    later = []
    n = 0
    subs = srv.pubsub_channels.get(channel)
    if subs:
        body = _MESSAGE + _bulk(channel) + _bulk(message)
        for s in subs:
            later.append((s, _HDR3[s.proto] + body))
            n += 1
    for pat, subs in srv.pubsub_patterns.items():
        if glob_match(pat, channel):
            body = _PMESSAGE + _bulk(pat) + _bulk(channel) + _bulk(message)
            for s in subs:
                later.append((s, _HDR4[s.proto] + body))
                n += 1
    required = publish_required(srv)
    for s, frame in later:
        if s is c:
            deliver(s, frame, required)
    later = [(s, frame) for s, frame in later if s is not c]
    if later:
        srv.notes.append((None, later))
    return n


@command("pubsub", -2, "pubsub random loading stale no-data", "@pubsub")
def pubsub_cmd(c, argv):
    "PUBSUB subcommand [argument [argument ...]]"
    sub = argv[1].lower()
    n = len(argv)
    srv = c.server
    chans = srv.pubsub_channels or {}
    if sub == b"help" and n == 2:
        return _HELP_REPLY
    if sub == b"channels" and n in (2, 3):
        if n == 2:
            return list(chans)
        pat = argv[2]
        return [ch for ch in chans if glob_match(pat, ch)]
    if sub == b"numsub":
        out = []
        for ch in argv[2:]:
            subs = chans.get(ch)
            out.append(ch)
            out.append(len(subs) if subs else 0)
        return out
    if sub == b"numpat" and n == 2:
        return len(srv.pubsub_patterns or ())
    raise RedisError(errors.UNKNOWN_SUBCOMMAND % (argv[1].decode("utf-8", "replace"), "PUBSUB"))
# notify installs Server.notify / deliver_notes; tracking registers CLIENT TRACKING
from .. import notify, tracking  # noqa: E402,F401
