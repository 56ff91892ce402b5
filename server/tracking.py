"""Client-side caching: CLIENT TRACKING and invalidation messages (Redis 6.2 tracking.c).

Two modes, as in Redis:

* **default**: after a read-only command of a tracking client, the keys it named are
  remembered (``table``: key -> {client id}; keys are names, whatever the database, as in
  Redis).  When such a key changes (``Server.on_key_change``: writes, expiry) or is flushed,
  every remembering client gets ``invalidate [key]`` once and the key is forgotten.  OPTIN /
  OPTOUT + ``CLIENT CACHING yes|no`` choose which reads are remembered; the CACHING flag lasts
  for the next command (the whole MULTI/EXEC), like Redis's ``CLIENT_TRACKING_CACHING``.
* **BCAST**: clients register prefixes (``prefixes``: prefix -> _Bcast); every change of a key
  under a prefix is collected, and once per event-loop turn each prefix sends the sorted list
  of its changed keys to its clients (``trackingBroadcastInvalidationMessages``).

NOLOOP skips keys the client changed itself.  A message goes to the client itself as a RESP3
push (``>2 invalidate [keys]``), or to the REDIRECT client: a RESP3 push too, or — if that
client speaks RESP2 and is subscribed to anything — a ``message`` on ``__redis__:invalidate``.
A RESP2 client without redirection gets nothing (RESP2 has no pushes).  If the redirect client
is gone the tracking client is flagged ``broken_redirect`` and gets ``tracking-redir-broken``
(RESP3).  FLUSHDB / FLUSHALL send ``invalidate`` with a null to every tracking client.
Invalidations of keys the running client changed itself are sent after its reply (after
EXEC's reply in a transaction), as 6.2.14 does.

Invalidations are not held for durability: they only tell a client to drop a cached value,
and re-reading it waits for the write as any read does.

Hooks (see ``dispatch``): ``Server.on_key_change`` → :meth:`Tracking.invalidate`;
``dispatch.call`` → ``Server.tracking_remember`` after a read-only command;
``dispatch.process`` → ``Server.tracking_after_command`` after the reply; FLUSHDB / FLUSHALL →
``Server.flushed``.  The server-wide state is made by the first CLIENT TRACKING ON.
"""

from __future__ import annotations

from . import errors, notify, registry, resp
from .app import Server
from .args import to_int
from .commands import clientcmd
from .commands.pubsub import deliver
from .errors import RedisError

REDIR_TWICE = "ERR A client can only redirect to a single other client"
REDIR_MISSING = "ERR The client ID you want redirect to does not exist"
PREFIX_NEEDS_BCAST = "ERR PREFIX option requires BCAST mode to be enabled"
BCAST_SWITCH = ("ERR You can't switch BCAST mode on/off before disabling tracking for this client, "
                "and then re-enabling it with a different mode.")
BCAST_OPTIN = "ERR OPTIN and OPTOUT are not compatible with BCAST"
OPTIN_OPTOUT = "ERR You can't specify both OPTIN mode and OPTOUT mode"
OPT_SWITCH = ("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, "
              "and then re-enabling it with a different mode.")
OVERLAP_EXISTING = ("ERR Prefix '%s' overlaps with an existing prefix '%s'. Prefixes for a single "
                    "client must not overlap.")
OVERLAP_PROVIDED = ("ERR Prefix '%s' overlaps with another provided prefix '%s'. Prefixes for a "
                    "single client must not overlap.")

_INVALIDATE = b"$10\r\ninvalidate\r\n"
_PUBSUB_HEAD = b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"


class ClientTracking:
    """``c.tracking`` of a client with tracking on (the fields CLIENT TRACKINGINFO shows)."""

    __slots__ = ("redirect", "bcast", "optin", "optout", "caching", "noloop", "broken_redirect",
                 "my_prefixes")

    def __init__(self):
        self.redirect = 0
        self.bcast = False
        self.optin = False
        self.optout = False
        self.caching = False
        self.noloop = False
        self.broken_redirect = False
        self.my_prefixes = {}

    @property
    def prefixes(self):
        return sorted(self.my_prefixes)


class _Bcast:
    __slots__ = ("clients", "keys")

    def __init__(self):
        self.clients = {}   # client -> None
        self.keys = {}      # changed key -> the client that changed it last (None: expiry...)


def _bulk(b: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(b), b)


def _rax_id(cid: int) -> bytes:
    return cid.to_bytes(8, "little")


def _key_array(keys) -> bytes:
    return b"*%d\r\n" % len(keys) + b"".join(_bulk(k) for k in keys)


class Tracking:
    """Server-wide tracking state (``server.tracking``)."""

    def __init__(self, srv):
        self.srv = srv
        self.table = {}            # key -> {client id: None}
        self.items = 0             # (key, client) pairs remembered (tracking_total_items)
        self.prefixes = {}         # prefix -> _Bcast
        self.prefix_lens = {}      # prefix length -> number of prefixes of that length
        self.pending = []          # (client, payload): the running client's own, after its reply
        self.bcast_scheduled = False
        self.limit_rounds = 0      # trackingLimitUsedSlots' timeout_counter

    # ---- sending ---------------------------------------------------------------------------
    def send(self, c, payload: bytes, key=None) -> None:
        """sendTrackingMessage: ``payload`` is the encoded key array (or null) of the message
        (about ``key``, for a default-mode invalidation)."""
        tr = c.tracking
        target = c
        redirected = False
        if tr is not None and tr.redirect:
            target = self.srv.clients.get(tr.redirect)
            if target is None:
                tr.broken_redirect = True
                if c.proto == 3:
                    deliver(c, b">2\r\n$21\r\ntracking-redir-broken\r\n:%d\r\n" % tr.redirect)
                return
            redirected = True
        if target.proto == 3:
            frame = b">2\r\n" + _INVALIDATE + payload
        elif redirected and (target.pubsub_channels or target.pubsub_patterns):
            frame = _PUBSUB_HEAD + payload
        else:
            return
        own = target.own_pushes
        if own is not None and key is not None:
            # the target is running the command that changed the key (another tracker redirects
            # here): Redis writes the message where that command calls signalModifiedKey, before
            # or after its reply (notify.place_own asks tracking_after_reply)
            srv = self.srv
            srv.notify_seq += 1
            own.append(((notify.TRACKING, key, srv.notify_seq), frame))
            return
        deliver(target, frame)

    # ---- default mode ----------------------------------------------------------------------
    def remember(self, c, cmd, argv) -> None:
        """trackingRememberKeys, after read-only command ``cmd`` of tracking client ``c``."""
        tr = c.tracking
        if tr.bcast or (tr.optin and not tr.caching) or (tr.optout and tr.caching):
            return
        sc = self.srv.__dict__.get("scripting")  # commands.scripting, made by the first script
        run = sc.run if sc is not None else None
        if run is not None and run.caller is c:
            # a read inside a script: Redis remembers the keys of the caller's own command
            # (getKeysFromCommand(caller->cmd, caller->argv): EVAL's KEYS), not of the read
            keys = run.keys
        else:
            try:
                keys = cmd.keys(argv)
            except Exception:  # noqa: BLE001  (malformed arguments: no keys, as getKeysFromCommand)
                return
        if not keys:
            return
        table = self.table
        cid = c.id
        for k in keys:
            ids = table.get(k)
            if ids is None:
                ids = table[k] = {}
            if cid not in ids:
                ids[cid] = None
                self.items += 1
        # (over tracking-table-max-keys, the table is trimmed before the next command or by the
        # cron, as Redis 6.2 does: see limit_keys)

    def limit_keys(self, current=None) -> None:
        """trackingLimitUsedSlots: forget (and invalidate, as a change by no client) keys until
        the table fits, with an effort growing each time it is still over the limit.  Run by
        the cron, or before a command of ``current``, which NOLOOP then spares its own
        invalidations (Redis compares with server.current_client, set while processCommand
        runs), sent at once (not after the reply: no command is executing yet)."""
        limit = self.srv.config["tracking-table-max-keys"]
        table = self.table
        if not limit or len(table) <= limit:
            self.limit_rounds = 0
            return
        effort = 100 * (self.limit_rounds + 1)
        while effort > 0 and table:
            effort -= 1
            self._invalidate_table_key(next(iter(table)), current, pend=False)
            if len(table) <= limit:
                self.limit_rounds = 0
                return
        self.limit_rounds += 1

    def invalidate(self, key, by_server=False) -> None:
        """trackingInvalidateKey: ``key`` changed (in any database); ``by_server``: expired or
        evicted, which no client did (NOLOOP does not hide it from a BCAST client)."""
        srv = self.srv
        if self.prefixes:
            modifier = None if by_server else srv.current_client
            sc = srv.__dict__.get("scripting")
            if modifier is not None and sc is not None and sc.run is not None:
                # a script's write: Redis records its Lua client as the key's last modifier
                # (signalModifiedKey(c = the Lua client)), so NOLOOP does not hide it from the
                # BCAST client that ran the script (unlike in default mode, which compares
                # with server.current_client, the caller)
                modifier = sc.run.lua
            self._remember_broadcast(key, modifier)
        if key in self.table:
            self._invalidate_table_key(key, srv.current_client)

    def _invalidate_table_key(self, key, current, pend=True) -> None:
        ids = self.table.pop(key)
        self.items -= len(ids)
        clients = self.srv.clients
        payload = None
        if len(ids) > 1:
            # Redis walks the key's rax of ids, keyed by the id's bytes in memory order (little
            # endian): several clients' messages to one receiver come in that order
            ids = sorted(ids, key=_rax_id)
        for cid in ids:
            target = clients.get(cid)
            if target is None:
                continue
            tr = target.tracking
            if tr is None or tr.bcast:
                continue
            if target is current:
                if tr.noloop:
                    continue
                if pend:
                    self.pending.append((target, b"*1\r\n" + _bulk(key)))
                    continue
            if payload is None:
                payload = b"*1\r\n" + _bulk(key)
            self.send(target, payload, key)

    def after_command(self, c) -> None:
        """The running client's own invalidations, after its reply."""
        pending = self.pending
        if pending:
            self.pending = []
            for target, payload in pending:
                if target.tracking is not None:
                    self.send(target, payload)

    # ---- broadcasting ----------------------------------------------------------------------
    def _remember_broadcast(self, key, modifier) -> None:
        prefixes = self.prefixes
        for n in self.prefix_lens:
            if n > len(key):
                continue
            bs = prefixes.get(key[:n])
            if bs is not None:
                bs.keys[key] = modifier  # the last change's client, as raxInsert
                if not self.bcast_scheduled:
                    self.bcast_scheduled = True
                    loop = self.srv.loop
                    if loop is not None:
                        loop.call_soon(self.broadcast)

    def broadcast(self) -> None:
        """trackingBroadcastInvalidationMessages: once per event-loop turn."""
        self.bcast_scheduled = False
        for prefix in sorted(self.prefixes):
            bs = self.prefixes[prefix]
            if not bs.keys:
                continue
            keys = bs.keys
            bs.keys = {}
            ordered = sorted(keys)
            common = _key_array(ordered)
            for c in list(bs.clients):
                tr = c.tracking
                if tr is None or c.closing:
                    continue
                if tr.noloop:
                    mine = [k for k in ordered if keys[k] is not c]
                    if mine:
                        self.send(c, _key_array(mine))
                else:
                    self.send(c, common)

    def add_prefix(self, c, prefix: bytes) -> None:
        """enableBcastTrackingForPrefix."""
        bs = self.prefixes.get(prefix)
        if bs is None:
            bs = self.prefixes[prefix] = _Bcast()
            n = len(prefix)
            self.prefix_lens[n] = self.prefix_lens.get(n, 0) + 1
        bs.clients[c] = None
        c.tracking.my_prefixes[prefix] = None

    def drop_prefixes(self, c) -> None:
        for prefix in c.tracking.my_prefixes:
            bs = self.prefixes.get(prefix)
            if bs is None:
                continue
            bs.clients.pop(c, None)
            if not bs.clients:
                del self.prefixes[prefix]
                n = len(prefix)
                left = self.prefix_lens[n] - 1
                if left:
                    self.prefix_lens[n] = left
                else:
                    del self.prefix_lens[n]
        c.tracking.my_prefixes = {}

    # ---- flush -----------------------------------------------------------------------------
    def flushed(self) -> None:
        """trackingInvalidateKeysOnFlush: a null invalidation to every tracking client."""
        current = self.srv.current_client
        for c in list(self.srv.clients.values()):
            if c.tracking is not None and not c.closing:
                payload = b"_\r\n" if c.proto == 3 else b"$-1\r\n"
                if c is current:
                    self.pending.append((c, payload))  # after the reply of its own FLUSHALL
                else:
                    self.send(c, payload)
        self.table = {}
        self.items = 0


# --------------------------------------------------------------------------- server hooks


def _state(srv) -> Tracking:
    t = srv.tracking
    if t is None:
        t = srv.tracking = Tracking(srv)
    return t


def tracking_remember(self, c, cmd, argv) -> None:
    t = self.tracking
    if t is not None:
        t.remember(c, cmd, argv)


def tracking_after_command(self, c, cmd) -> None:
    tr = c.tracking
    if tr is None:
        return
    t = self.tracking
    if t is not None and t.pending:
        t.after_command(c)
    if tr.caching and c.multi is None and cmd.name != "client":
        tr.caching = False  # CLIENT CACHING applies to the next command (or transaction) only


# Commands whose signalModifiedKey (the invalidation) follows their reply in Redis 6.2 (checked
# one by one against 6.2.14); every other command signals before replying.  ZPOPMIN & co. signal
# between their array's header and first element: notify.place_own puts the push there.
_SIGNAL_AFTER_REPLY = frozenset((
    "getset", "getdel", "getex", "bitfield", "lpush", "rpush", "lpushx", "rpushx", "lset", "lpop", "rpop",
    "blpop", "brpop", "hset", "hmset", "hsetnx", "hincrby", "hincrbyfloat", "spop", "zadd", "zincrby",
    "geoadd", "xadd"))
_MOVES = frozenset(("lmove", "rpoplpush", "blmove", "brpoplpush"))
_EXPIRES = frozenset(("expire", "pexpire", "expireat", "pexpireat"))


def tracking_after_reply(self, c, name: str, argv, key: bytes) -> bool:
    """Does Redis write the invalidation of ``key`` that command ``name`` of ``c`` caused (for
    another tracker that redirects to ``c``) after the command's reply?"""
    if name in _SIGNAL_AFTER_REPLY:
        return True
    if name == "set":
        return any(a.lower() == b"get" for a in argv[3:])  # SET ... GET replies first
    if name in _MOVES:  # the destination is signalled before the reply, the source after
        return key == argv[1] and argv[1] != argv[2]
    if name in _EXPIRES:  # a TTL set: after the reply; a key deleted (time in the past): before
        return key in c.db.data
    return False


def flushed(self) -> None:
    t = self.tracking
    if t is not None:
        t.flushed()


def cron_limit(srv, current=None) -> None:
    """serverCron's trackingLimitUsedSlots (after CONFIG SET tracking-table-max-keys...); also
    ``Server.tracking_limit``, run by the dispatcher before a command as processCommand does."""
    t = srv.tracking
    if t is None or not t.table:
        return
    limit = srv.config["tracking-table-max-keys"]
    if limit and len(t.table) > limit and not any(
            c.tracking is not None for c in srv.clients.values()):
        return  # Redis runs it only while some client has tracking on
    t.limit_keys(current)


Server.tracking = None
Server.current_client = None
Server.tracking_remember = tracking_remember
Server.tracking_after_reply = tracking_after_reply
Server.tracking_after_command = tracking_after_command
Server.tracking_limit = cron_limit
Server.flushed = flushed
Server.tracking_total_keys = property(lambda s: len(s.tracking.table) if s.tracking else 0)
Server.tracking_total_items = property(lambda s: s.tracking.items if s.tracking else 0)
Server.tracking_total_prefixes = property(lambda s: len(s.tracking.prefixes) if s.tracking else 0)


def disable(c) -> None:
    """disableTracking (also on disconnection and RESET)."""
    tr = c.tracking
    if tr is None:
        return
    t = c.server.tracking
    if tr.bcast and t is not None:
        t.drop_prefixes(c)
    c.tracking = None


if disable not in Server.on_client_gone:
    Server.on_client_gone.append(disable)
if cron_limit not in Server.cron_hooks:
    Server.cron_hooks.append(cron_limit)


# --------------------------------------------------------------------------- CLIENT TRACKING


def _overlap(a: bytes, b: bytes) -> bool:
    """stringCheckPrefix: is one a prefix of the other?"""
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def _s(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def _cs(b: bytes) -> str:
    """``b`` as C's %s prints it: up to its first NUL byte."""
    return _s(b.split(b"\0", 1)[0])


def client_tracking(c, argv):
    "CLIENT TRACKING <ON | OFF> [REDIRECT client-id] [PREFIX prefix ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]"
    srv = c.server
    redir = 0
    bcast = optin = optout = noloop = False
    prefixes = []
    n = len(argv)
    j = 3
    while j < n:
        opt = argv[j].lower()
        more = n - 1 - j
        if opt == b"redirect" and more:
            j += 1
            if redir != 0:
                raise RedisError(REDIR_TWICE)
            v = to_int(argv[j])
            if v is None:
                raise RedisError(errors.NOT_INTEGER)
            redir = v
            if srv.clients.get(redir) is None:
                raise RedisError(REDIR_MISSING)
        elif opt == b"bcast":
            bcast = True
        elif opt == b"optin":
            optin = True
        elif opt == b"optout":
            optout = True
        elif opt == b"noloop":
            noloop = True
        elif opt == b"prefix" and more:
            j += 1
            prefixes.append(argv[j])
        else:
            raise RedisError(errors.SYNTAX)
        j += 1
    onoff = argv[2].lower()
    if onoff == b"on":
        tr = c.tracking
        if not bcast and prefixes:
            raise RedisError(PREFIX_NEEDS_BCAST)
        if tr is not None and tr.bcast != bcast:
            raise RedisError(BCAST_SWITCH)
        if bcast and (optin or optout):
            raise RedisError(BCAST_OPTIN)
        if optin and optout:
            raise RedisError(OPTIN_OPTOUT)
        if tr is not None and ((optin and tr.optout) or (optout and tr.optin)):
            raise RedisError(OPT_SWITCH)
        if bcast:
            late = _check_prefixes(c, prefixes)
            if late is not None:
                # Redis 6.2.14's checkPrefixCollisionsOrReply returns the index i of the prefix
                # that overlaps a later provided one, which its caller takes for success when
                # i > 0: the error is sent, tracking is enabled all the same, and +OK follows
                # (two replies to one command; fixed in Redis 7)
                srv.count_error(late)
                registry.COMMANDS["client"].stats[3] += 1  # failed_calls: an error was replied
                _enable(c, redir, bcast, optin, optout, noloop, prefixes)
                out = bytearray()
                resp.encode(late, c.proto, out)
                return resp.Raw(bytes(out) + b"+OK\r\n")
        _enable(c, redir, bcast, optin, optout, noloop, prefixes)
    elif onoff == b"off":
        disable(c)
    else:
        raise RedisError(errors.SYNTAX)
    return resp.OK


def _check_prefixes(c, prefixes):
    """checkPrefixCollisionsOrReply: raises the error of a prefix overlapping one the client
    has (in sorted order, as its rax) or, for the first prefix, a later provided one; returns
    that error for a later prefix overlapping one after it (see client_tracking), else None.
    Prefixes are printed with %s: up to a NUL byte."""
    mine = sorted(c.tracking.my_prefixes) if c.tracking is not None else ()
    for i, p in enumerate(prefixes):
        for old in mine:
            if _overlap(old, p):
                raise RedisError(OVERLAP_EXISTING % (_cs(p), _cs(old)))
        for q in prefixes[i + 1:]:
            if _overlap(p, q):
                err = RedisError(OVERLAP_PROVIDED % (_cs(p), _cs(q)))
                if i == 0:
                    raise err
                return err
    return None


def _enable(c, redir, bcast, optin, optout, noloop, prefixes) -> None:
    """enableTracking: mode flags are replaced, BCAST prefixes are added to the ones kept."""
    t = _state(c.server)
    tr = c.tracking
    if tr is None:
        tr = c.tracking = ClientTracking()
    tr.broken_redirect = False
    tr.redirect = redir
    if redir:
        target = c.server.clients.get(redir)
        if target is not None and not target.redirect_target:
            # the invalidations sent to it while its own command runs are placed around that
            # command's reply (send, notify.place_own): the dispatcher's slow lane does that
            target.redirect_target = True
            target.lane = False  # (Client: not on the fast lane)
    tr.bcast = bcast
    tr.optin = optin
    tr.optout = optout
    tr.noloop = noloop
    if bcast:
        if not prefixes:
            t.add_prefix(c, b"")
        for p in prefixes:
            t.add_prefix(c, p)


clientcmd.SUBCOMMANDS[b"tracking"] = (client_tracking, lambda n: n >= 3)
