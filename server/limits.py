"""Per-client limits and CLIENT PAUSE: what one client may make the server hold or wait for.

* **Output buffer limits** (``client-output-buffer-limit <class> <hard> <soft> <seconds>``):
  :func:`parse_obuf_limits` merges a setting onto the current limits (``CONFIG SET`` names only
  the classes it changes, as in Redis); :func:`output_limit_reached` is Redis's
  ``checkClientOutputBufferLimits``: the hard limit closes at once, the soft limit only once it
  has been exceeded continuously for more than ``seconds``.  The server closes such a client
  asynchronously and without writing what is pending (``freeClientAsync``).
* **CLIENT PAUSE** (:class:`ClientPause`): ``pauseClients`` / ``unpauseClients`` of Redis 6.2.
  The pause type only escalates (WRITE < ALL) and the end time only extends until the pause
  ends; a command the pause holds back is not run: the dispatcher returns ``PAUSED`` and the
  protocol keeps that request (and everything after it) until the clients are unpaused, then
  runs it through the whole pipeline again, in the order the clients were paused.

The query-buffer limit, ``proto-max-bulk-len``, the unauthenticated limits and ``maxclients``
are enforced where the bytes arrive (:mod:`perdure.server.protocol`, :mod:`perdure.server.parser`).
"""

from __future__ import annotations

import logging
import time

from .config import parse_memory
from .registry import Flag

log = logging.getLogger("perdure")

# Output-limit classes (Redis's CLIENT_TYPE_NORMAL / SLAVE / PUBSUB; masters count as normal).
CLASSES = ("normal", "slave", "pubsub")
DEFAULT_OBUF = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"

PAUSE_OFF, PAUSE_WRITE, PAUSE_ALL = 0, 1, 2
_MAY_REPLICATE = Flag.WRITE | Flag.MAY_REPLICATE
_MAX_TIMER = 86400.0  # re-arm long pauses in steps (event-loop timers dislike huge delays)


def parse_obuf_limits(raw: str, current: dict | None = None) -> dict:
    """``{"normal": (hard, soft, seconds), ...}``: ``raw`` applied onto ``current`` (or the
    defaults).  The config layer has validated ``raw`` already."""
    limits = dict(current) if current else parse_obuf_limits(DEFAULT_OBUF, {"normal": (0, 0, 0)})
    parts = raw.split()
    for i in range(0, len(parts) - 3, 4):
        cls = parts[i].lower()
        if cls == "replica":
            cls = "slave"
        if cls in CLASSES:
            limits[cls] = (parse_memory(parts[i + 1]), parse_memory(parts[i + 2]), int(parts[i + 3]))
    return limits


def client_class(c) -> str:
    """getClientType, folded for output limits: "pubsub", "slave" or "normal"."""
    if c.pubsub_channels or c.pubsub_patterns:
        return "pubsub"
    if c.conn_type in ("slave", "replica") and not c.monitor:
        return "slave"
    return "normal"


def output_limit_reached(c, limit) -> bool:
    """checkClientOutputBufferLimits: updates ``c.obl_soft_since`` as a side effect."""
    hard, soft, seconds = limit
    used = c.output_pending()
    if c.conn_type == "slave":
        link = c.server.repl.links.get(c)
        if link is not None and link.exempt:
            # a full-resync payload is not output buffer (Redis sends it from the RDB file):
            # it is at the head of the output, so what is pending bounds what is left of it
            if used < link.exempt:
                link.exempt = used
            used -= link.exempt
    if hard and used >= hard:
        return True
    if soft and used >= soft:
        now = int(time.time())  # whole seconds, as Redis's server.unixtime
        if not c.obl_soft_since:
            c.obl_soft_since = now
            return False
        return now - c.obl_soft_since > seconds
    c.obl_soft_since = 0.0
    return False


def close_asap(c, reason: str) -> None:
    """freeClientAsync: stop everything for ``c`` now and drop what it has not received."""
    if c.closing:
        return
    c.closing = True
    c.killed_reason = reason
    t = c.transport
    if t is not None:
        t.abort()
        loop = c.server.loop
        if loop is not None:  # not here: we may be inside a loop over clients (PUBLISH...)
            loop.call_soon(c.server.client_gone, c)


class ClientPause:
    """CLIENT PAUSE / UNPAUSE state.  ``server.pause_type`` mirrors :attr:`type` for the
    dispatcher's one-attribute fast check."""

    __slots__ = ("server", "type", "end", "clients", "timer")

    def __init__(self, server):
        self.server = server
        self.type = PAUSE_OFF
        self.end = 0.0           # time.time() at which the pause ends
        self.clients = {}        # paused clients, in the order they were paused (dict as set)
        self.timer = None

    def pause(self, end: float, ptype: int) -> None:
        """pauseClients: escalate the type, extend the end, (re)arm the end-of-pause timer."""
        if ptype > self.type:
            self.type = ptype
            self.server.pause_type = ptype
            self.server.update_lane()
        if end > self.end:
            self.end = end
        self._arm()

    def _arm(self):
        loop = self.server.loop
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if loop is None:
            return
        delay = self.end - time.time()
        if delay <= 0:
            self.timer = loop.call_soon(self._expire)
        else:
            self.timer = loop.call_later(min(delay, _MAX_TIMER), self._expire)

    def _expire(self):
        self.timer = None
        if self.type != PAUSE_OFF and time.time() < self.end:
            self._arm()
            return
        self.unpause()

    def unpause(self) -> None:
        """unpauseClients: end the pause and rerun the held-back commands, oldest first."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.type = PAUSE_OFF
        self.server.pause_type = PAUSE_OFF
        self.server.update_lane()
        self.end = 0.0
        clients, self.clients = self.clients, {}
        loop = self.server.loop
        for c in clients:
            p = c.protocol
            if p is not None and not c.closing:
                # like processUnblockedClients: after the running command, in pause order
                if loop is not None:
                    loop.call_soon(p.resume)
                else:
                    p.resume()

    def holds(self, c, cmd) -> bool:
        """Does the pause hold back ``cmd`` from ``c``?  If so, ``c`` is recorded as paused
        (the caller keeps the request for later)."""
        t = self.type
        if t == PAUSE_OFF:
            return False
        if t == PAUSE_WRITE and not cmd.flags & _MAY_REPLICATE:
            if cmd.name != "exec" or not c.multi:
                return False
            if not any(q[0].flags & _MAY_REPLICATE for q in c.multi):
                return False
        if c.conn_type in ("slave", "replica") and not c.monitor:
            return False  # replicas are never paused
        self.clients[c] = None
        return True

    def forget(self, c) -> None:
        self.clients.pop(c, None)

    def is_paused(self, c) -> bool:
        return c in self.clients


def cron_output_limits(server) -> None:
    """clientsCron's output-buffer check: a client over its soft limit for too long is closed
    even when nothing more is written to it.  A ``Server.cron_hooks`` entry; runs once a second."""
    now = time.monotonic()
    if now < getattr(server, "_obuf_cron_next", 0.0):
        return
    server._obuf_cron_next = now + 1.0
    check = server.check_output_limit
    for c in list(server.clients.values()):
        if not c.closing:
            check(c)
