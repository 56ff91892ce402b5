"""Differential generators for the ``tracking`` family: CLIENT TRACKING (client-side caching).

The family keeps connections of its own on each server, opened by its first step of an
example and closed when the example ends (``teardown``); steps name them, and client ids
are substituted per server (``<id:r2>`` in a step's arguments):

* ``t3``: a RESP3 tracking client (invalidations as ``>2 invalidate`` pushes on itself, or
  redirected: to ``r2``, ``v`` or itself); ``t2`` may redirect to it, and its own writes then
  place ``t2``'s invalidations before or after their replies as Redis does;
* ``t2``: a RESP2 tracking client (nothing without REDIRECT: RESP2 has no pushes; a step may
  switch it to RESP3 with HELLO 3, or ``t3`` to RESP2);
* ``r2``: a RESP2 client subscribed to ``__redis__:invalidate``: a REDIRECT target that gets
  ``message`` frames (UNSUBSCRIBE / SUBSCRIBE / PSUBSCRIBE steps change that: any
  subscription makes it receive them; none, and it gets nothing);
* ``v``: a RESP3 REDIRECT target that a step may CLIENT KILL (the trackers redirecting to it
  then get ``tracking-redir-broken`` and TRACKINGINFO says ``broken_redirect``; a later step
  opens a new ``v``).

The family's first step of an example turns the trackers on (each 5 times in 6, with a valid
random option set), so that the other families' steps, run on ``main``, meet trackers that are
on.  Steps (each a ``tracking`` step run by :func:`run`; ``main`` parts run on the harness's
usual connection, compared as any command): CLIENT TRACKING ON with random option sets (REDIRECT to
each of those or to bad/missing ids, BCAST with PREFIXes, OPTIN, OPTOUT, NOLOOP, in any order,
sometimes a bad combination, a repeated REDIRECT, an unknown option), OFF; reads on a tracker
(GET, MGET, HGET(ALL), LRANGE, SMEMBERS, ZRANGE, EXISTS, TYPE, OBJECT, DUMP, SINTER, ZUNION,
STRALGO LCS... of every family's keys); CLIENT CACHING yes/no (and wrong) before a read, a
CLIENT command, a rejected or unknown command, or a transaction; writes of the built-in
families by a tracker (NOLOOP, own invalidations after the reply) or by ``main``;
MULTI ... EXEC/DISCARD on a tracker (reads, writes, CLIENT CACHING, CLIENT TRACKING queued);
EVAL on a tracker (reads of KEYS, of ARGV and literal names, writes); lazy expiry of a tracked
key (active expiry off for the step: ``DEBUG SET-ACTIVE-EXPIRE 0``, PEXPIRE 1 ms, a 10 ms wait,
a read by a tracker or by ``main``); FLUSHDB / FLUSHALL by a tracker (the other families flush
from ``main``); CLIENT TRACKINGINFO, CLIENT GETREDIR and CLIENT INFO (its ``flags``/``redir``
fields) of the trackers; RESET of a tracker (``t3`` then says HELLO 3 again), HELLO 2/3; PUBLISH to
``__redis__:invalidate``.  The other families' steps run on ``main`` while the trackers are
on, and their invalidations are checked the same way.

What is compared: every reply on these connections, together with the push messages that came
before it on the same connection (so a push before or after a reply is a difference); after
every step (``after_step``), each connection (``t3``, ``t2``, ``r2``, ``v``) is drained on
both servers by a PING, reading up to its reply, and the messages compared exactly, in order.

Normalised, and why (nothing else is):

* client ids (CLIENT GETREDIR, TRACKINGINFO's ``redirect``, HELLO's ``id``, CLIENT INFO's
  ``redir``, ``tracking-redir-broken`` pushes) are replaced by the connection's name: ids differ
  between the two servers;
* messages whose keys are all the harness's scratch keys (``__dump_check_*``, RESTOREd on the
  oracle alone by the ``dump`` comparison) are dropped: a BCAST tracker sees them on one side;
* a drain that follows a SPOP resynchronisation (the harness's SADD/SREM on Perdure alone) is
  read but not compared;
* when two trackers in BCAST mode send to the same receiver, that receiver's messages of one
  drain are compared as a multiset: Redis walks the clients of a prefix in the order of their
  ``client *`` pointers (trackingBroadcastInvalidationMessages), which is not defined.  (The
  clients of a key in default mode are walked in the rax order of their ids' little-endian
  bytes, which is defined: ``t2`` is reopened until that order is ``t3`` then ``t2`` on both.)
* a run of consecutive FLUSHDB / FLUSHALL (null) invalidations that one receiver gets is
  compared as a multiset: Redis sends them walking ``server.clients`` (trackingInvalidateKeysOnFlush),
  a list that clientsCron rotates by one client at each call, so which tracker comes first
  depends on the clock;
* CLIENT INFO: only ``flags``, ``redir``, ``db``, ``sub``, ``psub``, ``multi`` and ``cmd``
  (the others are addresses, ages and buffer sizes).
"""

from __future__ import annotations

import sys
import time

from hypothesis import strategies as st

from ..helpers import resp_encode
from . import commands as K
from .commands import C, Cmd, pick, rare, register
from .wire import Conn, show, show_args

TRACKERS = ("t3", "t2")
RECEIVERS = ("t3", "t2", "r2", "v")  # connections that may get out-of-band messages (drained)
PROTOS = {"t3": 3, "t2": 2, "r2": 2, "v": 3}
CHANNEL = b"__redis__:invalidate"
BUILTIN = ("strings", "keys", "hashes", "lists", "sets", "zsets")
WRITERS = BUILTIN + ("streams",)
PREFIXES = (b"s", b"h", b"l", b"st", b"z", b"s1", b"", b"x", b"zz", b"d", b"h1", b"z1", b"lz")
SCRATCH = b"__dump_check_"
PING = resp_encode(b"PING")
# test_differential's: the oracle's stale errno cleared before a SORT (a Redis 6.2 bug)
SORT_NAMES = (b"SORT", b"SORT_RO")
ERRNO_RESET = (b"ZUNION", b"1", b"__errno_reset__", b"WEIGHTS", b"1")
INFO_FIELDS = (b"flags", b"redir", b"db", b"sub", b"psub", b"multi", b"cmd")


def ID(name: str) -> bytes:
    """An argument replaced by the client id of connection ``name`` on each server."""
    return b"<id:" + name.encode() + b">"


class TrackingStep(Cmd):
    """A step of ``(where, Cmd)`` parts: ``where`` is one of the family's connections, ``main``
    (the harness's connection), ``sleep`` (Cmd args: the seconds), ``reopen`` (a new ``v``) or
    ``active-expire`` (DEBUG SET-ACTIVE-EXPIRE on both servers' admin connections).  ``setup``:
    parts run first if this is the family's first step of the example (CLIENT TRACKING ON of
    the trackers, so that the other families' steps meet trackers that are on)."""

    __slots__ = ("parts", "setup")

    def __init__(self, parts, setup=()):
        words = []
        for where, cmd in parts:
            words += [b"[" + where.encode() + b"]", *cmd.args]
        super().__init__(tuple(words), "tracking")
        self.parts = tuple(parts)
        self.setup = tuple(setup)

    def __eq__(self, other):
        return isinstance(other, TrackingStep) and (self.parts, self.setup) == (other.parts, other.setup)

    def __hash__(self):
        return hash((self.parts, self.setup))

    def __repr__(self):
        setup = " ; ".join(f"[{w}] {show_args(c.args)}" for w, c in self.setup)
        return ("<tracking: " + " ; ".join(f"[{w}] {show_args(c.args)}" for w, c in self.parts)
                + (f"  (if first: {setup})" if setup else "") + ">")

    def touched(self):
        cmds = [c for w, c in self.parts if w not in ("sleep", "reopen", "active-expire")]
        cmds += [q for c in cmds if c.name == b"MULTI" and c.key for q in c.key]  # a tracker's MULTI block
        return tuple(dict.fromkeys(k for c in cmds for k in c.touched()))


# --------------------------------------------------------------------------- connections


class Side:
    """The family's connections to one server."""

    def __init__(self, name, target):
        self.name = name
        self.target = target
        self.conns = {}
        self.ids = {}      # name -> current id
        self.labels = {}   # id -> label ("v1", "v2" for successive victims)
        self.alive = {}
        self.victims = 0

    def open(self, name):
        conn = Conn(self.target, PROTOS[name], f"{self.name} {name}")
        reply = conn.run((b"CLIENT", b"ID"))
        assert reply[0] == ":", f"{self.name} {name}: CLIENT ID -> {show(reply)}"
        cid = int(reply[1])
        self.conns[name] = conn
        self.ids[name] = cid
        if name == "v":
            self.victims += 1
            self.labels[cid] = b"v%d" % self.victims
        else:
            self.labels[cid] = name.encode()
        self.alive[name] = True
        if name == "r2":
            reply = conn.run((b"SUBSCRIBE", CHANNEL))
            assert reply[0] == "*", f"{self.name} r2: SUBSCRIBE -> {show(reply)}"

    def close(self):
        for conn in self.conns.values():
            try:
                conn.close()
            except OSError:
                pass
        self.conns = {}

    def args(self, args):
        out = []
        for a in args:
            if a.startswith(b"<id:") and a.endswith(b">"):
                a = b"%d" % self.ids[a[4:-1].decode()]
            out.append(a)
        return tuple(out)

    @staticmethod
    def is_push(name, node):
        if node[0] == ">":
            return True
        return (name == "r2" and node[0] == "*" and node[1] is not None and len(node[1]) >= 3
                and node[1][0][0] == "$" and node[1][0][1] in (b"message", b"pmessage"))

    def send(self, name, data: bytes) -> bool:
        """False if the connection is (or turns out) closed."""
        if not self.alive.get(name):
            return False
        try:
            self.conns[name].raw.send(data)
        except OSError:
            self.alive[name] = False
            return False
        return True

    def exchange(self, name, args):
        """Send ``args`` on ``name``; (pushes before the reply, the reply), the reply being
        ``("closed", None)`` if the server closed the connection."""
        if not self.send(name, resp_encode(*self.args(args))):
            return (), ("closed", None)
        return self.exchange_read(name)

    def drain_send(self):
        """PING every live connection (the first half of a drain: both servers work at once)."""
        names = [n for n in RECEIVERS if self.alive.get(n)]
        return names, [n for n in names if self.send(n, PING)]

    def drain_read(self, names, sent):
        """The messages that came before each PONG."""
        return {n: self.exchange_read(n) if n in sent else ((), ("closed", None)) for n in names}

    def exchange_read(self, name):
        """The pushes and the reply that come next on ``name`` (nothing sent)."""
        conn = self.conns[name]
        pushes = []
        while True:
            try:
                node = conn._recv("a reply")
            except (AssertionError, OSError):
                if isinstance(sys.exc_info()[1], OSError) or conn.raw.closed_by_peer:
                    self.alive[name] = False
                    return tuple(pushes), ("closed", None)
                raise
            if self.is_push(name, node):
                pushes.append(node)
                continue
            return tuple(pushes), node


class State:
    def __init__(self, servers):
        self.redis = Side("redis", servers.redis.target)
        self.perdure = Side("perdure", servers.perdure.target)
        for side in (self.redis, self.perdure):
            for name in ("t3", "t2", "r2", "v"):
                side.open(name)
            while side.ids["t3"].to_bytes(8, "little") > side.ids["t2"].to_bytes(8, "little"):
                # the trackers' ids in the same rax order on both servers (see the docstring)
                side.conns.pop("t2").close()
                side.open("t2")
        # tracker -> (bcast, destination name or None), as CLIENT TRACKING left it
        self.model = {t: None for t in TRACKERS}
        self.protos = dict(PROTOS)  # as HELLO / RESET left them
        self.transcript_mark = 0

    def close(self):
        self.redis.close()
        self.perdure.close()


def _state(m) -> State:
    st_ = getattr(m, "_tracking", None)
    if st_ is None:
        st_ = m._tracking = State(m.s)
        m.transcript.append("(tracking: t3 RESP3, t2 RESP2, r2 RESP2 subscribed to __redis__:invalidate, v RESP3)")
    return st_


# --------------------------------------------------------------------------- normalising


def _relabel(side: Side, node):
    """An integer that is one of the family's client ids, as the connection's name."""
    if node[0] == ":" and node[1] is not None:
        try:
            label = side.labels.get(int(node[1]))
        except ValueError:
            return node
        if label is not None:
            return ("id", label)
    return node


def _norm_push(side: Side, node):
    kind, v = node
    if kind == ">" and v and v[0] == ("$", b"tracking-redir-broken") and len(v) == 2:
        return (kind, (v[0], _relabel(side, v[1])))
    return node


def _keys_of(node):
    """The key names of an invalidation message (RESP3 push or RESP2 message), or None."""
    kind, v = node
    if kind == ">" and v and v[0] == ("$", b"invalidate") and len(v) == 2:
        body = v[1]
    elif kind == "*" and v and len(v) == 3 and v[0] == ("$", b"message") and v[1] == ("$", CHANNEL):
        body = v[2]
    else:
        return None
    if body[0] == "*" and body[1]:
        return [x[1] for x in body[1] if x[0] == "$"]
    return None


def _scratch(node) -> bool:
    keys = _keys_of(node)
    return bool(keys) and all(k is not None and k.startswith(SCRATCH) for k in keys)


def _null_message(node) -> bool:
    """A FLUSHDB / FLUSHALL invalidation (a null instead of keys)."""
    kind, v = node
    if kind == ">" and v and v[0] == ("$", b"invalidate") and len(v) == 2:
        return v[1][1] is None or v[1][0] == "_"
    return (kind == "*" and v is not None and len(v) == 3 and v[0] == ("$", b"message")
            and v[1] == ("$", CHANNEL) and (v[2][1] is None or v[2][0] == "_"))


def _norm_pushes(side: Side, pushes, unordered: bool):
    out = [_norm_push(side, p) for p in pushes if not _scratch(p)]
    if unordered:
        out.sort(key=repr)
        return tuple(out)
    i = 0
    while i < len(out):  # each run of flush messages (several trackers' nulls to one receiver)
        j = i
        while j < len(out) and _null_message(out[j]):
            j += 1
        out[i:j] = sorted(out[i:j], key=repr)
        i = j + 1
    return tuple(out)


def _norm_reply(side: Side, cmd: Cmd, node):
    name = cmd.name
    sub = cmd.args[1].upper() if len(cmd.args) > 1 else b""
    kind, v = node
    if name == b"CLIENT" and sub == b"GETREDIR":
        return _relabel(side, node)
    if name == b"CLIENT" and sub == b"TRACKINGINFO" and kind in "*%" and v:
        return (kind, tuple(_relabel(side, x) if i > 0 and v[i - 1] == ("$", b"redirect") else x
                            for i, x in enumerate(v)))
    if name == b"HELLO" and kind in "*%" and v:
        return (kind, tuple(("id", b"") if i > 0 and v[i - 1] == ("$", b"id") else x for i, x in enumerate(v)))
    if name == b"CLIENT" and sub == b"INFO" and kind in "$=" and v:
        text = v[4:] if kind == "=" else v  # RESP3 verbatim: "txt:" first
        fields = dict(f.split(b"=", 1) for f in text.strip().split(b" ") if b"=" in f)
        redir = fields.get(b"redir", b"")
        if redir.lstrip(b"-").isdigit():
            fields[b"redir"] = side.labels.get(int(redir), redir)
        return ("clientinfo", tuple((f, fields.get(f)) for f in INFO_FIELDS))
    return node


# --------------------------------------------------------------------------- running


def _unordered_receivers(st_: State):
    """Receivers to which two trackers in BCAST mode send (their messages: in pointer order)."""
    count = {}
    for mode in st_.model.values():
        if mode is not None and mode[0] and mode[1] is not None:
            count[mode[1]] = count.get(mode[1], 0) + 1
    return {r for r, n in count.items() if n >= 2}


def _extra_ok(args, reply) -> bool:
    """CLIENT TRACKING ON ... BCAST whose prefix i > 0 overlaps a later one: Redis 6.2.14 sends
    the error and then +OK (checkPrefixCollisionsOrReply returns i); both are read."""
    if reply[0] != "-" or b"overlaps with another provided prefix" not in reply[1]:
        return False
    prefixes = [args[i + 1] for i in range(3, len(args) - 1) if args[i].upper() == b"PREFIX"]
    named = reply[1].split(b"'", 2)[1]
    return bool(prefixes) and named != prefixes[0].split(b"\0", 1)[0]


def _track_model(st_: State, who: str, args, reply):
    """Keep ``model`` as CLIENT TRACKING / RESET left tracker ``who`` (after an OK reply)."""
    name = args[0].upper()
    if name == b"HELLO" and reply[0] in "*%" and len(args) > 1:
        st_.protos[who] = int(args[1])
        return
    if reply not in (("+", b"OK"), ("+", b"RESET")):
        return
    if name == b"RESET":
        st_.model[who] = None
        st_.protos[who] = 2
        return
    if name != b"CLIENT" or len(args) < 3 or args[1].upper() != b"TRACKING":
        return
    if args[2].upper() == b"OFF":
        st_.model[who] = None
        return
    words = [a.upper() for a in args[3:]]
    dest = None
    for i, w in enumerate(words[:-1]):
        if w == b"REDIRECT" and args[4 + i].startswith(b"<id:"):
            dest = args[4 + i][4:-1].decode()
    if dest is None and st_.protos[who] == 3:
        dest = who
    st_.model[who] = (b"BCAST" in words, dest)


def run(m, proto, step: TrackingStep):
    fresh = getattr(m, "_tracking", None) is None
    st_ = _state(m)
    for name in ("t3", "t2", "r2"):  # closed by the server on both (ACL changes of default...)
        if not st_.redis.alive.get(name) and not st_.perdure.alive.get(name):
            for side in (st_.redis, st_.perdure):
                side.conns.pop(name).close()
                side.open(name)
            if name in TRACKERS:
                st_.model[name] = None
            st_.protos[name] = PROTOS[name]
            m.transcript.append(f"(tracking: {name} was closed, a new one)")
    for where, cmd in (step.setup if fresh else ()) + step.parts:
        if where == "main":
            m.run_step(proto, cmd)
        elif where == "sleep":
            time.sleep(float(cmd.args[0]))
        elif where == "active-expire":
            for admin in (m.s.redis.admin, m.s.perdure.admin):
                reply = admin.run((b"DEBUG", b"SET-ACTIVE-EXPIRE", cmd.args[0]))
                assert reply == ("+", b"OK"), f"DEBUG SET-ACTIVE-EXPIRE: {show(reply)}"
        elif where == "reopen":
            for side in (st_.redis, st_.perdure):
                if not side.alive.get("v"):
                    side.open("v")
            m.transcript.append("(tracking: a new v)")
        elif cmd.name == b"MULTI":
            _multi(m, st_, where, cmd)
        else:
            _one(m, st_, where, cmd)


def _one(m, st_: State, where: str, cmd: Cmd, in_multi=False, reply_only=False):
    """One command on family connection ``where`` of both servers, pushes and reply compared
    (``reply_only``: nothing is sent, one more reply is read)."""
    if cmd.name in SORT_NAMES:
        m.s.redis.admin.run(ERRNO_RESET)
    if reply_only:
        (po, o), (pp, p) = st_.redis.exchange_read(where), st_.perdure.exchange_read(where)
    else:
        (po, o), (pp, p) = st_.redis.exchange(where, cmd.args), st_.perdure.exchange(where, cmd.args)
    m.transcript.append(f"[{where}] {show_args(cmd.args)} -> {show(o, 200)}"
                        + (f"  (after pushes {show(('*', po), 300)})" if po else ""))
    unordered = where in _unordered_receivers(st_)
    npo, npp = _norm_pushes(st_.redis, po, unordered), _norm_pushes(st_.perdure, pp, unordered)
    if npo != npp:
        m.fail(f"[{where}] pushes before the reply to {show_args(cmd.args)}", ("*", po), ("*", pp))
    if o[0] == "closed" or p[0] == "closed":
        if o != p:
            m.fail(f"[{where}] {show_args(cmd.args)}", o, p)
        return o
    if cmd.name in (b"CLIENT", b"HELLO"):
        no, np_ = _norm_reply(st_.redis, cmd, o), _norm_reply(st_.perdure, cmd, p)
        if no != np_:
            m.fail(f"[{where}] {show_args(cmd.args)}  (client ids as names)", o, p, f"compared {no} / {np_}")
    elif not m.same(cmd, o, p, in_multi=in_multi):
        m.fail(f"[{where}] {show_args(cmd.args)}  (compare: {cmd.mode})", o, p)
    if _extra_ok(cmd.args, o):
        _one(m, st_, where, C(b"(the same CLIENT TRACKING's second reply)"), reply_only=True)
        o = ("+", b"OK")
    if not in_multi:
        _track_model(st_, where, cmd.args, o)
        if cmd.name == b"CLIENT" and len(cmd.args) > 3 and cmd.args[1].upper() == b"KILL" \
                and o == (":", b"1") and cmd.args[-1] == ID("v"):
            for side in (st_.redis, st_.perdure):
                side.alive["v"] = False
                side.conns["v"].close()
    return o


def _multi(m, st_: State, where: str, block: Cmd):
    """``block.key``: MULTI's queued commands, then EXEC or DISCARD (the last one)."""
    _one(m, st_, where, C(b"MULTI"))
    cmds = block.key
    queued = []
    for cmd in cmds[:-1]:
        (po, o), (pp, p) = st_.redis.exchange(where, cmd.args), st_.perdure.exchange(where, cmd.args)
        m.transcript.append(f"[{where}] {show_args(cmd.args)} -> {show(o, 200)}")
        if _norm_pushes(st_.redis, po, False) != _norm_pushes(st_.perdure, pp, False) or o != p:
            m.fail(f"[{where}] {show_args(cmd.args)} (inside MULTI, with the pushes before it)",
                   ("*", po + (o,)), ("*", pp + (p,)))
        if o == ("+", b"QUEUED"):
            queued.append(cmd)
    end = cmds[-1]
    (po, o), (pp, p) = st_.redis.exchange(where, end.args), st_.perdure.exchange(where, end.args)
    m.transcript.append(f"[{where}] {show_args(end.args)} -> {show(o, 300)}"
                        + (f"  (after pushes {show(('*', po), 300)})" if po else ""))
    unordered = where in _unordered_receivers(st_)
    if _norm_pushes(st_.redis, po, unordered) != _norm_pushes(st_.perdure, pp, unordered):
        m.fail(f"[{where}] pushes before the reply to {show_args(end.args)}", ("*", po), ("*", pp))
    if o[0] == p[0] == "*" and o[1] is not None and p[1] is not None and len(o[1]) == len(p[1]) == len(queued):
        for cmd, eo, ep in zip(queued, o[1], p[1]):
            if cmd.name in (b"HELLO", b"CLIENT"):
                same = _norm_reply(st_.redis, cmd, eo) == _norm_reply(st_.perdure, cmd, ep)
            else:
                same = m.same(cmd, eo, ep, in_multi=True)
            if not same:
                m.fail(f"[{where}] {show_args(cmd.args)} (its reply inside EXEC)", eo, ep,
                       f"whole EXEC reply: redis {show(o)} / perdure {show(p)}")
            _track_model(st_, where, cmd.args, eo)
        for cmd, eo in zip(queued, o[1]):
            if _extra_ok(cmd.args, eo):
                _one(m, st_, where, C(b"(a queued CLIENT TRACKING's second reply)"), reply_only=True)
                _track_model(st_, where, cmd.args, ("+", b"OK"))
    elif o != p:
        m.fail(f"[{where}] {show_args(end.args)}", o, p)


def after_step(m):
    """Drain every receiver on both servers and compare what came (see the module docstring)."""
    st_ = getattr(m, "_tracking", None)
    if st_ is None:
        return
    pinged_o, pinged_p = st_.redis.drain_send(), st_.perdure.drain_send()
    got_o, got_p = st_.redis.drain_read(*pinged_o), st_.perdure.drain_read(*pinged_p)
    skip = any("perdure resynchronised" in line for line in m.transcript[st_.transcript_mark:])
    unordered = _unordered_receivers(st_)
    for name in RECEIVERS:
        o, p = got_o.get(name), got_p.get(name)
        if o is None or p is None:
            if (o is None) != (p is None):
                m.fail(f"[{name}] drain: the connection is alive on one server only", ("*", ()), ("*", ()))
            continue
        if o[0]:
            m.transcript.append(f"  [{name} pushes] {show(('*', o[0]), 400)}")
        if skip:
            continue
        no = _norm_pushes(st_.redis, o[0], name in unordered)
        np_ = _norm_pushes(st_.perdure, p[0], name in unordered)
        if no != np_:
            m.fail(f"[{name}] invalidation messages after the last step (drained by PING)",
                   ("*", o[0]), ("*", p[0]), f"compared: redis {no}\n  perdure {np_}")
        if o[1] != p[1]:
            m.fail(f"[{name}] PING (drain)", o[1], p[1])
    st_.transcript_mark = len(m.transcript)


def teardown(m):
    st_ = getattr(m, "_tracking", None)
    if st_ is not None:
        st_.close()
        m._tracking = None


# --------------------------------------------------------------------------- generators


BASE_KEYS = K.STRING_KEYS + K.HASH_KEYS + K.LIST_KEYS + K.SET_KEYS + K.ZSET_KEYS + K.OTHER_KEYS


def _key(draw):
    """Mostly a key of the built-in families (which most steps write), sometimes any key."""
    return pick(draw, K.ALL_KEYS) if rare(draw, 4) else pick(draw, BASE_KEYS)


def _keys(draw, lo=1, hi=3):
    return [_key(draw) for _ in range(draw(st.integers(lo, hi)))]


def _read(draw):
    """A read-only command (tracked) of any family's keys, as a tracker sends it."""
    k = _key(draw)
    k2 = _key(draw)
    ks = _keys(draw)
    roll = draw(st.integers(0, 11))
    if roll == 0:  # whatever the built-in families do (reads and writes)
        return draw(K.command(families=BUILTIN, deterministic=True))
    return pick(draw, (
        C(b"GET", k), C(b"GET", k), C(b"MGET", *ks), C(b"EXISTS", *ks), C(b"TYPE", k), C(b"STRLEN", k),
        C(b"GETRANGE", k, b"0", b"2"), C(b"HGET", k, b"f1"), C(b"HMGET", k, b"f1", b"f2"),
        C(b"HGETALL", k, mode="hashpairs", key=k), C(b"HLEN", k), C(b"HEXISTS", k, b"f2"),
        C(b"HKEYS", k, mode="hash", key=k), C(b"LRANGE", k, b"0", b"-1"), C(b"LLEN", k), C(b"LINDEX", k, b"0"),
        C(b"LPOS", k, b"a"), C(b"SMEMBERS", k, mode="set", key=k), C(b"SISMEMBER", k, b"a"),
        C(b"SMISMEMBER", k, b"1", b"a"), C(b"SCARD", k), C(b"ZRANGE", k, b"0", b"-1", b"WITHSCORES"),
        C(b"ZSCORE", k, b"a"), C(b"ZCARD", k), C(b"ZRANK", k, b"b"), C(b"ZCOUNT", k, b"-inf", b"+inf"),
        C(b"PTTL", k, mode="pttl"), C(b"OBJECT", b"ENCODING", k), C(b"DUMP", k, mode="dump"),
        C(b"SINTER", *ks, mode="sort"), C(b"SUNION", k, k2, mode="sort"),
        C(b"ZUNION", b"%d" % len(ks), *ks), C(b"ZINTER", b"2", k, k2, b"WITHSCORES"),
        C(b"STRALGO", b"LCS", b"KEYS", k, k2), C(b"XRANGE", k, b"-", b"+"), C(b"XLEN", k),
        C(b"GETBIT", k, b"3"), C(b"BITCOUNT", k), C(b"TOUCH", *ks), C(b"HSTRLEN", k, b"f1"),
        C(b"GEOPOS", k, b"m1"), C(b"BITFIELD_RO", k, b"GET", b"u8", b"0"),
        C(b"GET"), C(b"MGET"), C(b"NOSUCHREAD", k), C(b"GET", k, b"extra"),
    ))


def _write(draw):
    """A command of the built-in families (mostly writes), on a tracker or on ``main``."""
    return draw(K.command(families=pick(draw, (BUILTIN, WRITERS)), deterministic=True))


def _redirect_target(draw, who):
    roll = draw(st.integers(0, 9))
    if roll < 3:
        return ID("r2")
    if roll < 5:
        return ID(pick(draw, ("t3", "v")))
    if roll < 7:
        return ID(pick(draw, ("t2", who)))  # the other one (RESP2: nothing, unless after HELLO 3), itself
    if roll < 8:
        return ID("v")
    return pick(draw, (b"0", b"-1", b"abc", b"99999", b"9223372036854775808", b""))


def _tracking_on(draw, who, clean=False):
    """CLIENT TRACKING ON with a random option set in any order (``clean``: a valid one), or
    (1 in 6) OFF."""
    if not clean and rare(draw, 6):
        junk = pick(draw, ((), (), (b"BCAST",), (b"PREFIX", b"s"), (b"OPTIN",), (b"REDIRECT", b"abc"), (b"FOO",)))
        return C(b"CLIENT", b"TRACKING", pick(draw, (b"OFF", b"off")), *junk)
    mode = pick(draw, ("default", "default", "optin", "optout", "bcast", "bcast"))
    groups = []
    if mode == "optin":
        groups.append((pick(draw, (b"OPTIN", b"optin")),))
    elif mode == "optout":
        groups.append((b"OPTOUT",))
    elif mode == "bcast":
        groups.append((pick(draw, (b"BCAST", b"bcast")),))
        for _ in range(draw(st.integers(0, 3))):
            groups.append((b"PREFIX", pick(draw, PREFIXES)))
    if rare(draw, 3):
        groups.append((b"NOLOOP",))
    if not rare(draw, 3) or who == "t2":
        if rare(draw, 4) and who == "t2":
            pass  # RESP2 without redirection: nothing is sent
        elif clean:
            groups.append((b"REDIRECT", ID(pick(draw, ("r2", "r2", "t3", "v") if who == "t2" else ("r2", "v", "t3")))))
        else:
            groups.append((b"REDIRECT", _redirect_target(draw, who)))
    if not clean and rare(draw, 8):  # a bad combination or option
        groups.append(pick(draw, ((b"OPTIN",), (b"OPTOUT",), (b"BCAST",), (b"PREFIX", b"q"), (b"FOO",),
                                  (b"REDIRECT", ID("r2")), (b"REDIRECT",), (b"PREFIX",), (b"NOLOOP",))))
    groups = draw(st.permutations(groups))
    onoff = b"ON" if clean or not rare(draw, 12) else pick(draw, (b"on", b"On", b"maybe", b""))
    return C(b"CLIENT", b"TRACKING", onoff, *[a for g in groups for a in g])


def _caching(draw):
    return C(b"CLIENT", b"CACHING", pick(draw, (b"yes", b"YES", b"no", b"No", b"no", b"maybe")),
             *pick(draw, ((), (), (), (), (b"x",))))


def _between(draw):
    """What may come between CLIENT CACHING and the read it is meant for."""
    return pick(draw, (
        C(b"CLIENT", b"GETNAME"), C(b"PING"), C(b"CLIENT", b"CACHING", b"yes"), C(b"CLIENT", b"NOSUCH"),
        C(b"CLIENT"), C(b"GET"), C(b"NOSUCHCMD"), C(b"ECHO", b"e"), C(b"CLIENT", b"GETREDIR"),
        C(b"SET", pick(draw, K.STRING_KEYS), b"w"), C(b"CLIENT", b"TRACKINGINFO"),
    ))


def _info(draw):
    return pick(draw, (C(b"CLIENT", b"TRACKINGINFO"), C(b"CLIENT", b"GETREDIR"), C(b"CLIENT", b"INFO"),
                       C(b"CLIENT", b"TRACKINGINFO", b"x"), C(b"CLIENT", b"GETREDIR", b"x")))


SCRIPTS = (
    (b"return redis.call('get', KEYS[1])", 1, 0),
    (b"return redis.call('get', ARGV[1])", 0, 1),
    (b"return redis.call('get', 's1')", 1, 0),
    (b"return redis.call('exists', KEYS[1], KEYS[2])", 2, 0),
    (b"return redis.call('mget', KEYS[1], ARGV[1])", 1, 1),
    (b"return redis.call('set', KEYS[1], 'lua')", 1, 0),
    (b"redis.call('set', KEYS[1], 'lua'); return redis.call('get', KEYS[1])", 1, 0),
    (b"local v = redis.call('get', KEYS[1]); redis.call('del', KEYS[1]); return v", 1, 0),
    (b"return redis.pcall('lrange', KEYS[1], 0, -1)", 1, 0),
    (b"redis.call('incr', KEYS[1]); return redis.call('strlen', KEYS[2])", 2, 0),
    (b"return redis.call('type', KEYS[1])['ok']", 1, 0),
    (b"return redis.call('ping')", 0, 0),
    (b"redis.call('del', ARGV[1]); return redis.call('exists', ARGV[1])", 0, 1),
)


def _script(draw):
    body, nkeys, nargs = pick(draw, SCRIPTS)
    keys = [pick(draw, K.STRING_KEYS) if rare(draw, 2) else _key(draw) for _ in range(nkeys)]
    argv = [_key(draw) for _ in range(nargs)]
    return C(b"EVAL", body, b"%d" % nkeys, *keys, *argv)


def _multi_block(draw, who):
    cmds = []
    for _ in range(draw(st.integers(0, 4))):
        roll = draw(st.integers(0, 9))
        if roll < 4:
            cmds.extend(K.steps(_read(draw)))
        elif roll < 7:
            cmds.extend(K.steps(_write(draw)))
        elif roll < 8:
            cmds.append(_caching(draw))
        elif roll < 9:
            cmds.append(_info(draw))
        else:
            cmds.append(_tracking_on(draw, who))
    cmds = [x for c in cmds for x in ((C(*ERRNO_RESET), c) if c.name in SORT_NAMES else (c,))]
    cmds.append(C(pick(draw, (b"EXEC", b"EXEC", b"EXEC", b"DISCARD"))))
    return C(b"MULTI", mode="exact", key=tuple(cmds))


def _on(who, cmd):
    return [(who, one) for one in K.steps(cmd)]


def _g_reads(draw, who):
    return [p for _ in range(draw(st.integers(1, 3))) for p in _on(who, _read(draw))]


def _g_on(draw, who):
    parts = [(who, _tracking_on(draw, who))]
    if rare(draw, 2):
        parts.append((who, C(b"CLIENT", b"TRACKINGINFO")))
    return parts


def _g_caching(draw, who):
    parts = [(who, _caching(draw))]
    for _ in range(draw(st.integers(0, 2))):
        parts += _on(who, _between(draw) if rare(draw, 3) else _read(draw))
    if rare(draw, 3):
        return parts + [(who, _multi_block(draw, who))]
    return parts + _on(who, _read(draw))


def _g_read_then_write(draw, who):
    """A read, then a write of the same key by someone (the tracker itself, the other, main)."""
    k = _key(draw)
    parts = [(who, pick(draw, (C(b"GET", k), C(b"TYPE", k), C(b"EXISTS", k), C(b"MGET", k, _key(draw)))))]
    writer = pick(draw, ("main", who, "t3", "t2"))
    write = pick(draw, (C(b"DEL", k), C(b"SET", k, b"v"), C(b"EXPIRE", k, b"0"), C(b"RENAME", k, _key(draw)),
                        C(b"LPUSH", k, b"a"), C(b"HSET", k, b"f1", b"v"), C(b"SADD", k, b"a"), C(b"INCR", k),
                        C(b"ZADD", k, b"1", b"a"), C(b"EXPIRE", k, b"1000"), C(b"PERSIST", k), C(b"APPEND", k, b"x")))
    return parts + [(writer, write if not rare(draw, 3) else _write(draw))]


def _g_track_all(draw, who):
    """Every built-in key read at once (EXISTS of them all), then writes of several keys at a
    time: the order of the invalidations is the order in which the command changes its keys."""
    parts = [(who, C(b"EXISTS", *BASE_KEYS))]
    if rare(draw, 3):
        parts.append((pick(draw, TRACKERS), C(b"EXISTS", *BASE_KEYS)))
    writer = pick(draw, ("main", "main", who))
    for _ in range(draw(st.integers(1, 3))):
        if rare(draw, 2):
            parts += _on(writer, _write(draw))
        else:
            a, b = _key(draw), _key(draw)
            parts.append((writer, pick(draw, (
                C(b"MSET", a, b"1", b, b"2"), C(b"DEL", a, b), C(b"UNLINK", b, a), C(b"RENAME", a, b),
                C(b"SMOVE", a, b, b"a"), C(b"RPOPLPUSH", a, b), C(b"LMOVE", a, b, b"LEFT", b"RIGHT"),
                C(b"SINTERSTORE", a, b, a), C(b"SUNIONSTORE", b, a), C(b"ZUNIONSTORE", a, b"2", b, a),
                C(b"ZINTERSTORE", b, b"1", a), C(b"ZRANGESTORE", a, b, b"0", b"-1"), C(b"BITOP", b"OR", a, b, a),
                C(b"SORT", a, b"STORE", b), C(b"COPY", a, b, b"REPLACE"), C(b"MSETNX", a, b"1", b, b"2"),
                C(b"SDIFFSTORE", a, b), C(b"RENAMENX", b, a), C(b"MOVE", a, b"1"), C(b"SET", a, b"x", b"GET"),
                C(b"GETDEL", a), C(b"PFMERGE", a, b), C(b"ZDIFFSTORE", a, b"2", a, b)))))
    return parts


def _g_expiry(draw, who):
    """A tracked key made to expire, then read (lazy expiry: active expiry is off meanwhile)."""
    k = _key(draw)
    parts = [(who, C(b"TYPE", k))] if rare(draw, 2) else []
    reader = pick(draw, (who, who, "main", "t3", "t2"))
    return parts + [("active-expire", C(b"0")), ("main", C(b"PEXPIRE", k, b"1")), ("sleep", C(b"0.01")),
                    (reader, pick(draw, (C(b"GET", k), C(b"EXISTS", k), C(b"TYPE", k), C(b"MGET", k, k)))),
                    ("active-expire", C(b"1"))]


def _g_info(draw, who):
    parts = [(who, _info(draw))]
    if rare(draw, 2):
        parts.append((pick(draw, TRACKERS), _info(draw)))
    return parts


def _g_connections(draw, who):
    roll = draw(st.integers(0, 6))
    if roll == 0:
        return [("t2", C(b"CLIENT", b"KILL", b"ID", ID("v")))]
    if roll == 1:
        return [("reopen", C(b"v"))]
    if roll == 2:
        return [("r2", pick(draw, (C(b"UNSUBSCRIBE", CHANNEL), C(b"UNSUBSCRIBE"), C(b"SUBSCRIBE", CHANNEL),
                                   C(b"SUBSCRIBE", b"other"), C(b"PSUBSCRIBE", b"__redis__:*"), C(b"PUNSUBSCRIBE"))))]
    if roll == 3:
        return [("main", C(b"PUBLISH", CHANNEL, pick(draw, (b"hello", b""))))]
    if roll == 4:
        return [(who, C(b"RESET"))] + ([(who, C(b"HELLO", b"3"))] if who == "t3" else [])
    if roll == 5:  # a tracker changes protocol (RESP2 without redirection gets nothing)
        return [(who, C(b"HELLO", pick(draw, (b"2", b"3"))))]
    return [(who, C(b"CLIENT", b"TRACKING", b"OFF"))]


def _g_flush(draw, who):
    if rare(draw, 2):
        return [(who, C(pick(draw, (b"FLUSHDB", b"FLUSHALL"))))]
    return [("main", C(pick(draw, (b"FLUSHDB", b"FLUSHALL")), *pick(draw, ((), (b"ASYNC",), (b"SYNC",)))))]


STEP_GENS = (
    (_g_reads, 6),
    (_g_read_then_write, 5),
    (_g_track_all, 4),
    (lambda d, w: _on(w, _write(d)), 3),
    (lambda d, w: _on("main", _write(d)), 3),
    (_g_on, 3),
    (_g_caching, 3),
    (lambda d, w: [(w, _multi_block(d, w))], 2),
    (lambda d, w: [(w, _script(d))], 2),
    (_g_expiry, 1),
    (_g_info, 1),
    (_g_connections, 2),
    (_g_flush, 1),
)
STEP_POOL = tuple(g for g, n in STEP_GENS for _ in range(n))


def _setup(draw):
    """CLIENT TRACKING ON of both trackers, run by the family's first step of an example."""
    return tuple((who, _tracking_on(draw, who, clean=True)) for who in TRACKERS if not rare(draw, 6))


@st.composite
def tracking_step(draw):
    who = pick(draw, TRACKERS)
    return TrackingStep(pick(draw, STEP_POOL)(draw, who), _setup(draw))


register("tracking", (lambda d: d(tracking_step()),) * 3, runners={"tracking": run},
         after_step=after_step, teardown=teardown)
