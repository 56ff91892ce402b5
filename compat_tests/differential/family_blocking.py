"""Differential generators for the ``blocking`` family: clients really blocked, then served.

A ``blocking`` step is a :class:`Scenario`, run by :func:`run_scenario` (registered as the
``blocking`` runner, see ``commands.RUNNERS``): on each server, one to four side connections
(RESP2 or RESP3 each, in db 0 or sometimes db 1) send a blocking command -- BLPOP, BRPOP, BRPOPLPUSH, BLMOVE, BZPOPMIN,
BZPOPMAX, XREAD BLOCK, XREADGROUP BLOCK (``>`` or explicit IDs, with or without NOACK) -- one
after the other: the next is sent only once the previous one is *settled* on both servers,
that is its reply has arrived or ``CLIENT LIST ID`` shows it blocked (flag ``b``), so the FIFO
order of the blocked clients is the same on both.  Then a few phases run on the harness's main
connection: pushes (LPUSH/RPUSH/LMOVE/ZADD/XADD...), several of them inside MULTI/EXEC or a
Lua script, deletions, type changes, FLUSHDB, SWAPDB (db 1 filled first), RENAME/COPY/MOVE/SORT
STORE into a waited-on key, XGROUP DESTROY/SETID, writes in db 1, WATCH (a served client's
write fails a later EXEC), CLIENT UNBLOCK (TIMEOUT/ERROR) and CLIENT KILL of a side client, or
a side client that was served blocking again.  After each phase every pending side client is
settled again on both servers: both still blocked (with the same CLIENT LIST db, flags, cmd...),
or both replied (the replies compared exactly), never one of each; ``INFO clients``
``blocked_clients`` and the blocking commands' ``INFO commandstats`` counts are compared, and
so are the touched keys (the harness's state check).  Redis serves blocked clients right
after the command, transaction or script that made a key ready, so once the main connection's
reply is in, which clients are blocked is settled: the barrier is ``CLIENT LIST`` /
the side socket, never a sleep.

Timeouts are 0 (forever), long (1000 s), 0.001 s (which Redis reads as forever), or short
(0.01-0.05 s): a short-timeout client is waited for at once, before anything else happens, so
it either finds data at once or times out, on both servers.  Argument errors (negative,
non-numeric timeouts, bad LEFT/RIGHT) reply at once; outside scenarios the family draws only
those (and CLIENT UNBLOCK of clients that do not exist), which never block.

At the end of a scenario every client still blocked is unblocked (CLIENT UNBLOCK with TIMEOUT
or ERROR, replies compared) or its connection closed; then, on both servers, the harness waits
until no side client is blocked any more, so nothing is left to be served by a later step.

Stream IDs are explicit (``XADD *`` takes the wall clock); the streams are the streams family's
``xs1``/``xs2``, the lists ``l1``/``l2`` and the sorted sets ``z1``/``z2`` of the built-in
families.  One scenario in three is "mixed": every key it names, whatever the command's type,
comes from a pool of one to three of those keys, so that clients of several types wait on one
key (Redis moves a client blocked for another type to the back of the key's queue) and writes
turn a waited-on key into another type (only a key *created* as a list, sorted set or stream
is signalled ready).  A scenario mostly starts by deleting the keys its clients wait on (and
creating the consumer groups its XREADGROUP clients need), so that they do block.  A side
client sometimes pipelines a read behind its blocking command: its reply, compared too, shows
the state the client sees once it is served or unblocked; or another blocking command, which
runs then and may block again, behind the clients already waiting.

Left out: SWAPDB with several waited-on keys in the incoming database (Redis signals them in
its blocking_keys dict's hash order, which is random per process), hence ``_swap_in`` empties
db 1 and fills one key.
"""

from __future__ import annotations

import os
import re
import select
import ssl
import time

from hypothesis import strategies as st

from ..helpers import resp_encode
from .commands import C, Cmd, Seq, pick, rare, register
from .wire import Conn, show, show_args

LK = (b"l1", b"l2")
ZK = (b"z1", b"z2")
XK = (b"xs1", b"xs2")  # the streams family's keys
OTHER = (b"s1", b"h1")  # a string and a hash: type changes, WRONGTYPE
BK = LK + ZK + XK
ALLK = BK + OTHER
GROUPS = (b"g1", b"g2")
CONSUMERS = (b"c1", b"c2")
ELEMS = (b"a", b"b", b"c", b"1", b"", b"x" * 70)
MEMBERS = (b"a", b"b", b"c", b"m")
SCORES = (b"1", b"2", b"-1", b"0.5", b"inf")
IDS = (b"1-1", b"2-0", b"3-0", b"3-1", b"5-0", b"10-0")
READ_IDS = (b"$", b"$", b"0", b"0-0", b"2-0", b"4-0", b"9-9")

FOREVER = (b"0", b"0", b"0", b"1000", b"0.001", b"0.0")
SHORT = (b"0.01", b"0.05")
BAD_TIMEOUTS = (b"-1", b"abc", b"", b"1e400", b"-0.5", b"inf")
BLOCK_FOREVER = (b"0", b"0", b"1000000")
BLOCK_SHORT = (b"10", b"50")
BAD_BLOCK = (b"-1", b"abc", b"1.5", b"")

SETTLE_S = 10.0  # how long a side client may take to reply or to show up blocked


# --------------------------------------------------------------------------- the step


class Scenario(Cmd):
    """A blocking scenario (mode ``blocking``).  ``key`` holds its parts: ``prelude`` (Cmds on
    the main connection), ``clients`` ((proto, blocking Cmd, short timeout?, a Cmd pipelined
    behind it or None, its db) per side client), ``phases``
    (``("cmd", Cmd)``, ``("multi", Cmds)``, ``("unblock", i, reason)``, ``("kill", i)``,
    ``("block", i, Cmd, short)``) and ``ending`` (per side client: ``TIMEOUT``, ``ERROR`` or
    ``close``, for those still blocked at the end)."""

    __slots__ = ()

    def __init__(self, prelude, clients, phases, ending):
        super().__init__((b"<blocking scenario>",), "blocking", (prelude, clients, phases, ending))

    def __repr__(self):
        prelude, clients, phases, ending = self.key
        parts = [repr(c)[1:-1] for c in prelude]
        parts += [f"client{i} resp{p}{' db' + db.decode() if db != b'0' else ''}: {show_args(c.args)}"
                  + (f" + {show_args(f.args)}" if f else "") for i, (p, c, _, f, db) in enumerate(clients)]
        for ph in phases:
            if ph[0] == "cmd":
                parts.append(repr(ph[1])[1:-1])
            elif ph[0] == "multi":
                parts.append("MULTI " + " | ".join(show_args(c.args) for c in ph[1]) + " EXEC")
            elif ph[0] == "block":
                parts.append(f"client{ph[1]}: {show_args(ph[2].args)}")
            else:
                parts.append(f"{ph[0]} client{ph[1]}" + (f" {ph[2].decode()}" if len(ph) > 2 and ph[2] else ""))
        parts.append("end: " + ",".join(ending))
        return "<blocking: " + " ; ".join(parts) + ">"

    def touched(self):
        return ALLK


# --------------------------------------------------------------------------- generators


def _timeout(d):
    """(timeout, short): forever mostly, sometimes short, sometimes invalid."""
    if rare(d, 10):
        return pick(d, BAD_TIMEOUTS), False
    if rare(d, 6):
        return pick(d, SHORT), True
    return pick(d, FOREVER), False


def _block_ms(d):
    if rare(d, 12):
        return pick(d, BAD_BLOCK), False
    if rare(d, 6):
        return pick(d, BLOCK_SHORT), True
    return pick(d, BLOCK_FOREVER), False


# A "mixed" scenario draws every key, whatever the command's type, from a pool of one to three
# keys: clients of different types wait on one key, and writes turn it into another type.
MIXED_POOLS = ((b"l1",), (b"l1", b"l2"), (b"l1", b"z1"), (b"z1", b"xs1"), (b"l1", b"z1", b"xs1"),
               (b"xs1", b"xs2"))
_pool: tuple = ()  # the running scenario's pool while it is drawn (empty: typed keys)


def _k(d, own):
    """A key of the scenario's pool, else of ``own`` (1 in 8: any key)."""
    if rare(d, 8):
        return pick(d, ALLK)
    return pick(d, _pool or own)


def _some(d, own, lo=1, hi=3):
    return [_k(d, own) for _ in range(d(st.integers(lo, hi)))]


def _where(d):
    return pick(d, (b"LEFT", b"RIGHT", b"left")) if not rare(d, 20) else b"UP"


def _bpop(d):
    t, short = _timeout(d)
    return C(pick(d, (b"BLPOP", b"BRPOP")), *_some(d, LK), t), short


def _bmove(d):
    t, short = _timeout(d)
    src = _k(d, LK)
    dst = _k(d, LK) if not rare(d, 5) else pick(d, ZK + OTHER)
    if rare(d, 3):
        return C(b"BRPOPLPUSH", src, dst, t), short
    return C(b"BLMOVE", src, dst, _where(d), _where(d), t), short


def _bzpop(d):
    t, short = _timeout(d)
    return C(pick(d, (b"BZPOPMIN", b"BZPOPMAX")), *_some(d, ZK), t), short


def _count(d):
    return pick(d, ((), (), (b"COUNT", b"1"), (b"COUNT", b"2"), (b"COUNT", b"0")))


def _xread(d):
    ms, short = _block_ms(d)
    ks = list(dict.fromkeys(_some(d, XK, 1, 2)))
    ids = [pick(d, READ_IDS) for _ in ks]
    return C(b"XREAD", *_count(d), b"BLOCK", ms, b"STREAMS", *ks, *ids), short


def _xreadgroup(d):
    ms, short = _block_ms(d)
    ks = list(dict.fromkeys(_some(d, XK, 1, 2)))
    ids = [b">" if not rare(d, 5) else pick(d, (b"0", b"2-0", b"$")) for _ in ks]
    noack = (b"NOACK",) if rare(d, 3) else ()
    args = (b"XREADGROUP", b"GROUP", pick(d, GROUPS), pick(d, CONSUMERS), *_count(d), b"BLOCK", ms,
            *noack, b"STREAMS", *ks, *ids)
    return C(*args), short


BLOCKERS = (_bpop, _bpop, _bmove, _bmove, _bzpop, _bzpop, _xread, _xreadgroup, _xreadgroup)


def _elems(d, lo=1, hi=3):
    return [pick(d, ELEMS) for _ in range(d(st.integers(lo, hi)))]


def _zpairs(d):
    return [x for _ in range(d(st.integers(1, 3))) for x in (pick(d, SCORES), pick(d, MEMBERS))]


def _lkey(d):
    return _k(d, LK)


def _zkey(d):
    return _k(d, ZK)


def _xkey(d):
    return _k(d, XK)


def _fill(d, k):
    """A write that creates ``k`` as a list, sorted set or stream."""
    return pick(d, (C(b"RPUSH", k, *_elems(d)), C(b"ZADD", k, *_zpairs(d)), C(b"XADD", k, pick(d, IDS), b"f", b"v")))


def _xadd(d):
    maxlen = pick(d, ((), (), (), (b"MAXLEN", b"1"), (b"MAXLEN", b"0")))
    return C(b"XADD", _xkey(d), *maxlen, pick(d, IDS), b"f", pick(d, ELEMS[:3]))


def _xgroup(d):
    k, g = _xkey(d), pick(d, GROUPS)
    return pick(d, (
        C(b"XGROUP", b"CREATE", k, g, pick(d, (b"$", b"0", b"2-0")), *pick(d, ((), (b"MKSTREAM",)))),
        C(b"XGROUP", b"DESTROY", k, g),
        C(b"XGROUP", b"SETID", k, g, pick(d, (b"$", b"0", b"3-0"))),
        C(b"XGROUP", b"CREATECONSUMER", k, g, pick(d, CONSUMERS)),
        C(b"XGROUP", b"DELCONSUMER", k, g, pick(d, CONSUMERS)),
    ))


def _sort_store(d):
    src = pick(d, LK + ZK)
    return C(b"SORT", src, b"BY", b"nosort", b"STORE", _k(d, BK))


def _swap_in(d):
    """db 1 gets one key, then SWAPDB brings it into db 0.  (One key only: after SWAPDB, Redis
    signals the ready keys in its blocking_keys dict's hash order.)"""
    k = _k(d, BK)
    return Seq(C(b"SELECT", b"1"), C(b"FLUSHDB"), _fill(d, k), C(b"SELECT", b"0"), C(b"SWAPDB", b"0", b"1"))


def _move_in(d):
    k = _k(d, BK)
    return Seq(C(b"SELECT", b"1"), C(b"DEL", k), _fill(d, k), C(b"MOVE", k, b"0"), C(b"SELECT", b"0"))


WRITES = (
    lambda d: C(pick(d, (b"LPUSH", b"RPUSH")), _lkey(d), *_elems(d)),
    lambda d: C(pick(d, (b"LPUSH", b"RPUSH")), _lkey(d), *_elems(d)),
    lambda d: C(pick(d, (b"LPUSHX", b"RPUSHX", b"LPOP", b"RPOP")), _lkey(d), *_elems(d, 0, 1)[:1]),
    lambda d: C(b"LMOVE", _lkey(d), _lkey(d), _where(d), _where(d)),
    lambda d: C(b"RPOPLPUSH", _lkey(d), _lkey(d)),
    lambda d: C(b"LINSERT", _lkey(d), b"BEFORE", pick(d, ELEMS), b"new"),
    lambda d: C(b"ZADD", _zkey(d), *_zpairs(d)),
    lambda d: C(b"ZADD", _zkey(d), *_zpairs(d)),
    lambda d: C(b"ZINCRBY", _zkey(d), b"1", pick(d, MEMBERS)),
    lambda d: C(pick(d, (b"ZPOPMIN", b"ZPOPMAX")), _zkey(d)),
    lambda d: C(pick(d, (b"ZUNIONSTORE", b"ZINTERSTORE")), _k(d, BK), b"2", _zkey(d), _zkey(d)),
    lambda d: C(b"ZRANGESTORE", _k(d, BK), _zkey(d), b"0", b"-1"),
    _xadd,
    _xadd,
    _xadd,
    _xgroup,
    lambda d: C(pick(d, (b"XSETID", b"XDEL")), _xkey(d), pick(d, IDS)),
    lambda d: C(b"XTRIM", _xkey(d), b"MAXLEN", pick(d, (b"0", b"1"))),
    lambda d: C(b"XACK", _xkey(d), pick(d, GROUPS), pick(d, IDS)),
    lambda d: C(b"DEL", *_some(d, BK, 1, 2)),
    lambda d: C(b"DEL", *_some(d, BK, 1, 2)),
    lambda d: C(b"SET", _k(d, BK), b"str"),
    lambda d: C(b"SET", _k(d, BK), b"str"),
    lambda d: C(b"HSET", _k(d, BK), b"f", b"v"),
    lambda d: _fill(d, _k(d, BK)),
    lambda d: _fill(d, _k(d, BK)),
    lambda d: C(pick(d, (b"RENAME", b"RENAMENX")), _k(d, ALLK), _k(d, ALLK)),
    lambda d: C(b"COPY", _k(d, ALLK), _k(d, ALLK), *pick(d, ((), (b"REPLACE",)))),
    _sort_store,
    _swap_in,
    _move_in,
    lambda d: C(b"FLUSHDB") if not rare(d, 3) else C(b"FLUSHALL"),
    lambda d: C(b"SWAPDB", b"0", b"1"),
)


def _write(d):
    return pick(d, WRITES)(d)


def _lua_str(b: bytes) -> str:
    return '"' + "".join("\\%d" % ch for ch in b) + '"'


def _script(d):
    """EVAL of a few writes (redis.pcall: a failing one does not stop the others); the reply
    is the table of their replies."""
    calls = []
    keys = []
    for _ in range(d(st.integers(1, 4))):
        cmd = _write(d)
        if isinstance(cmd, Seq) or cmd.name in (b"FLUSHDB", b"FLUSHALL", b"SWAPDB"):
            cmd = C(b"RPUSH", _lkey(d), b"lua")
        if rare(d, 8):  # refused in scripts (noscript), or served at once (XREAD BLOCK)
            cmd = pick(d, BLOCKERS)(d)[0]
        parts = []
        for a in cmd.args:
            if a in ALLK:
                if a not in keys:
                    keys.append(a)
                parts.append("KEYS[%d]" % (keys.index(a) + 1))
            else:
                parts.append(_lua_str(a))
        calls.append("redis.pcall(" + ", ".join(parts) + ")")
    body = "local r = {} " + " ".join("r[#r+1] = %s" % c for c in calls) + " return r"
    return C(b"EVAL", body.encode(), str(len(keys)).encode(), *keys)


def _phase(d, nclients):
    roll = d(st.integers(0, 21))
    if roll < 7:
        return ("cmd", _write(d))
    if roll < 11:
        cmds = [_write(d) for _ in range(d(st.integers(1, 4)))]
        cmds = [c for c in cmds if not isinstance(c, Seq)] or [C(b"LPUSH", _lkey(d), b"m")]
        if rare(d, 4):  # a blocking command inside MULTI: it never blocks there
            cmds.append(pick(d, BLOCKERS)(d)[0])
        return ("multi", tuple(cmds))
    if roll < 13:
        return ("cmd", _script(d))
    i = d(st.integers(0, nclients - 1))
    if roll < 16:
        return ("unblock", i, pick(d, (b"", b"TIMEOUT", b"ERROR", b"ERROR", b"timeout", b"bogus")))
    if roll < 17:
        return ("kill", i)
    if roll < 19:
        cmd, short = pick(d, BLOCKERS)(d)
        return ("block", i, cmd, short)
    if roll < 20:  # a later MULTI/EXEC fails if a served client touched one of these
        return ("cmd", C(b"WATCH", *_some(d, BK, 1, 2)))
    return ("cmd", _in_db1(d))


def _in_db1(d):
    """A write in db 1 (where a client may be blocked too)."""
    cmd = _write(d)
    if isinstance(cmd, Seq) or cmd.name in (b"FLUSHDB", b"FLUSHALL"):
        cmd = _fill(d, _k(d, BK))
    return Seq(C(b"SELECT", b"1"), cmd, C(b"SELECT", b"0"))


def _scenario(d):
    global _pool
    _pool = pick(d, MIXED_POOLS) if rare(d, 3) else ()
    try:
        return _drawn_scenario(d)
    finally:
        _pool = ()


def _follow(d):
    """Sometimes a read pipelined behind a client's blocking command: the state it sees once
    the client is served or unblocked; or another blocking command, which runs then (and may
    block again, behind the clients already waiting)."""
    if not rare(d, 4):
        return None
    if rare(d, 3):
        cmd, short = pick(d, BLOCKERS)(d)
        return cmd if not short else None
    k = _k(d, BK)
    return pick(d, (C(b"LRANGE", k, b"0", b"-1"), C(b"ZRANGE", k, b"0", b"-1", b"WITHSCORES"),
                    C(b"TYPE", k), C(b"EXISTS", *BK), C(b"XLEN", k)))


def _drawn_scenario(d):
    n = d(st.integers(1, 4 if _pool else 3))
    clients = tuple((pick(d, (2, 3)), *pick(d, BLOCKERS)(d), _follow(d), b"1" if rare(d, 6) else b"0")
                    for _ in range(n))
    prelude = []
    if not rare(d, 5):
        prelude.append(C(b"DEL", *BK))
    for _p, cmd, _s, _f, _db in clients:
        if cmd.name == b"XREADGROUP":
            at = list(cmd.args).index(b"STREAMS")
            ks = cmd.args[at + 1: at + 1 + (len(cmd.args) - at - 1) // 2]
            for k in ks:
                prelude.append(C(b"XGROUP", b"CREATE", k, cmd.args[2], pick(d, (b"$", b"0")), b"MKSTREAM"))
    if rare(d, 4):
        prelude.append(_write(d))
    phases = tuple(_phase(d, len(clients)) for _ in range(d(st.integers(1, 4))))
    ending = tuple(pick(d, ("TIMEOUT", "ERROR", "close")) for _ in clients)
    return Scenario(tuple(prelude), clients, phases, ending)


def _arg_error(d):
    """A blocking command with an argument error: replies at once, never blocks."""
    roll = d(st.integers(0, 4))
    if roll == 0:
        return C(pick(d, (b"BLPOP", b"BRPOP", b"BZPOPMIN")), pick(d, BK), pick(d, BAD_TIMEOUTS[:3]))
    if roll == 1:
        return C(b"BLMOVE", pick(d, LK), pick(d, LK), b"UP", b"LEFT", b"0")
    if roll == 2:
        return C(b"XREAD", b"BLOCK", pick(d, BAD_BLOCK), b"STREAMS", pick(d, XK), b"$")
    if roll == 3:
        return C(b"CLIENT", b"UNBLOCK", pick(d, (b"0", b"-1", b"abc", b"99999999")),
                 *pick(d, ((), (b"ERROR",), (b"bogus",))))
    return C(b"XREADGROUP", b"GROUP", b"g1", b"c1", b"BLOCK", b"0", b"STREAMS", pick(d, XK), b"0")


# Only a blocking-only run draws scenarios most of the time: in the CI profile (all families)
# they are a small share, each one opens connections on both servers.
_SCENARIO_ODDS = 2 if os.environ.get("PERDURE_FUZZ_FAMILIES", "").strip() == "blocking" else 10


def _step(d):
    if d(st.integers(0, _SCENARIO_ODDS - 1)) == 0:
        return _scenario(d)
    return _arg_error(d)


# --------------------------------------------------------------------------- running


def _readable(raw) -> bool:
    if raw.buf:
        return True
    sock = raw.sock
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    return bool(select.select([sock], [], [], 0.002)[0])


LIST_FIELDS = (b"db", b"sub", b"psub", b"multi", b"flags", b"cmd", b"user")  # the comparable ones


def _client_fields(admin, cid: bytes) -> dict | None:
    """Client ``cid``'s CLIENT LIST fields, None if it is gone."""
    kind, v = admin.run((b"CLIENT", b"LIST", b"ID", cid))
    if kind not in "$=" or not v:
        return None
    return dict(f.split(b"=", 1) for f in v.split() if b"=" in f)


def _blocked_flag(admin, cid: bytes) -> bool | None:
    """True if client ``cid`` is blocked (CLIENT LIST flag ``b``), None if it is gone."""
    fields = _client_fields(admin, cid)
    return None if fields is None else b"b" in fields.get(b"flags", b"")


def _blocked_state(fields) -> tuple:
    """A blocked client's state: ("blocked", its comparable CLIENT LIST fields as ``+f=v``)."""
    return ("blocked", tuple(("+", f + b"=" + fields.get(f, b"?")) for f in LIST_FIELDS))


BLOCKING_NAMES = (b"BLPOP", b"BRPOP", b"BRPOPLPUSH", b"BLMOVE", b"BZPOPMIN", b"BZPOPMAX", b"XREAD", b"XREADGROUP")
BLOCKING_CMDS = (b"blpop", b"brpop", b"brpoplpush", b"blmove", b"bzpopmin", b"bzpopmax", b"xread", b"xreadgroup")


def _cmdstats(admin) -> dict:
    """INFO commandstats of the blocking commands: calls, rejected_calls, failed_calls (not the
    times)."""
    kind, v = admin.run((b"INFO", b"commandstats"))
    out = {}
    for line in (v or b"").split(b"\r\n"):
        name, _, rest = line.partition(b":")
        if name[8:] in BLOCKING_CMDS and name.startswith(b"cmdstat_"):
            out[name[8:]] = tuple(f for f in rest.split(b",") if not f.startswith(b"usec"))
    return out


class _Side:
    """One server's side connections and their client ids."""

    def __init__(self, name, side, protos, dbs):
        self.name = name
        self.side = side
        self.conns = []
        self.ids = []
        for p, db in zip(protos, dbs):
            conn = Conn(side.target, p, name)
            self.conns.append(conn)
            kind, v = conn.run((b"CLIENT", b"ID"))
            self.ids.append(v)
            f = _client_fields(side.admin, v)
            port = str(conn.raw.sock.getsockname()[1]).encode()
            assert f is not None and f[b"addr"].endswith(b":" + port) and f[b"cmd"] == b"client", (name, v, f, port)
            if db != b"0":
                assert conn.run((b"SELECT", db)) == ("+", b"OK")

    def send(self, i, args, follow=None):
        try:
            self.conns[i].raw.send(resp_encode(*args) + (resp_encode(*follow) if follow else b""))
        except OSError:  # closed by the server (CLIENT KILL): settle() finds it closed
            pass

    def settle(self, i, wait_reply=False, expect=b""):
        """The reply of side client ``i`` (``("closed", None)`` if its connection was closed),
        or ``("blocked", fields)`` once the server shows it blocked (see _blocked_state) in
        ``expect`` (CLIENT LIST's cmd, the lowercase name of the command it was sent).  ``wait_reply``: wait for a reply even if
        it blocks first (a short timeout)."""
        conn = self.conns[i]
        deadline = time.monotonic() + SETTLE_S
        fields = None
        while True:
            if conn is None:
                return ("closed", None)
            if _readable(conn.raw):
                try:
                    return conn._recv("a blocking command")
                except (AssertionError, OSError):
                    if conn.raw.closed_by_peer:
                        return ("closed", None)
                    raise
            if not wait_reply:
                fields = _client_fields(self.side.admin, self.ids[i])
                if fields is not None and b"b" in fields.get(b"flags", b"") and fields.get(b"cmd") == expect:
                    return _blocked_state(fields)
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: client {i} (id {self.ids[i]!r}) neither replied nor blocked "
                                     f"in {expect!r} in {SETTLE_S} s; CLIENT LIST: {fields!r}")

    def blocked_clients(self):
        kind, v = self.side.admin.run((b"INFO", b"clients"))
        m = re.search(rb"blocked_clients:(\d+)", v or b"")
        return int(m.group(1)) if m else None

    def close(self, i):
        if self.conns[i] is not None:
            self.conns[i].close()
            self.conns[i] = None

    def wait_gone(self, i):
        deadline = time.monotonic() + SETTLE_S
        while _blocked_flag(self.side.admin, self.ids[i]) is not None:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: closed client {i} still listed")
            time.sleep(0.002)

    def close_all(self):
        for i in range(len(self.conns)):
            self.close(i)


class _Run:
    def __init__(self, m, proto, scn):
        self.m = m
        self.proto = proto
        self.prelude, self.clients, self.phases, self.ending = scn.key
        self.protos = [c[0] for c in self.clients]
        self.pending: list = [None] * len(self.clients)  # the blocking Cmd a client waits in
        self.follow: list = [None] * len(self.clients)  # a command pipelined behind it

    def note(self, text):
        self.m.transcript.append(text)

    def start(self, i, cmd, short, follow=None):
        """Send ``cmd`` (and ``follow`` pipelined behind it) on side client ``i`` of both
        servers and settle it on each."""
        proto = self.protos[i]
        states = []
        self.follow[i] = follow
        for s in self.sides:
            s.send(i, cmd.args, follow.args if follow else None)
            states.append(s.settle(i, wait_reply=short, expect=cmd.name.lower()))
        o, p = states
        self.note(f"[resp{proto} client{i}] {show_args(cmd.args)} -> {show(o, 200)}")
        self.judge(i, cmd, o, p)

    def judge(self, i, cmd, o, p):
        proto = self.protos[i]
        if o[0] == "blocked" or p[0] == "blocked" or o[0] == "closed" or p[0] == "closed":
            if o != p:
                self.m.fail(f"[resp{proto} client{i}] {show_args(cmd.args)}  (blocked or not, CLIENT LIST)", o, p)
        if o[0] == "blocked":
            self.pending[i] = cmd
            return
        self.pending[i] = None
        if o[0] != "closed":
            self.m.compare(proto, cmd, o, p)
            follow, self.follow[i] = self.follow[i], None
            if follow is not None and follow.name in BLOCKING_NAMES:  # it may block in turn
                o, p = (s.settle(i, expect=follow.name.lower()) for s in self.sides)
                self.note(f"  [resp{proto} client{i}] then {show_args(follow.args)} -> {show(o, 200)}")
                self.judge(i, follow, o, p)
            elif follow is not None:  # runs once the client is unblocked: what it sees then
                o, p = (s.conns[i]._recv(show_args(follow.args)) for s in self.sides)
                self.note(f"  [resp{proto} client{i}] {show_args(follow.args)} -> {show(o, 200)}")
                self.m.compare(proto, follow, o, p)

    def settle_all(self):
        for i, cmd in enumerate(self.pending):
            if cmd is None:
                continue
            o, p = (s.settle(i, expect=cmd.name.lower()) for s in self.sides)
            if o[0] != "blocked":
                self.note(f"  [resp{self.protos[i]} client{i}] served: {show(o, 200)}")
            self.judge(i, cmd, o, p)
        o, p = (s.blocked_clients() for s in self.sides)
        if o != p:
            self.m.fail("INFO clients blocked_clients", (":", str(o).encode()), (":", str(p).encode()))
        o, p = (_cmdstats(s.side.admin) for s in self.sides)
        if o != p:
            self.m.fail("INFO commandstats of the blocking commands", ("+", repr(o).encode()), ("+", repr(p).encode()))
        self.m.check_keys(ALLK)

    def client_cmd(self, i, args):
        """``args`` (CLIENT UNBLOCK/KILL) with each None replaced by the id of side client
        ``i``, on the main connection of each server."""
        proto = self.proto
        replies = []
        for s in self.sides:
            replies.append(s.side.conns[proto].run(tuple(s.ids[i] if a is None else a for a in args)))
        o, p = replies
        text = show_args(tuple(f"<id of client{i}>" if a is None else a for a in args))
        self.note(f"[resp{proto}] {text} -> {show(o)}")
        if o != p:
            self.m.fail(f"[resp{proto}] {text}", o, p)

    def run(self):
        m, proto = self.m, self.proto
        for cmd in self.prelude:
            m.run_step(proto, cmd)
        self.sides = []
        try:
            dbs = [c[4] for c in self.clients]
            self.sides = [_Side("redis", m.s.redis, self.protos, dbs), _Side("perdure", m.s.perdure, self.protos, dbs)]
            for i, (_, cmd, short, follow, _db) in enumerate(self.clients):
                self.start(i, cmd, short, follow)
            for ph in self.phases:
                kind = ph[0]
                if kind == "cmd":
                    m.run_step(proto, ph[1])
                elif kind == "multi":
                    m._transaction(proto, ph[1], (b"EXEC",))
                elif kind == "unblock":
                    self.client_cmd(ph[1], (b"CLIENT", b"UNBLOCK", None) + ((ph[2],) if ph[2] else ()))
                elif kind == "kill":
                    i = ph[1]
                    if self.sides[0].conns[i] is None:
                        continue
                    self.client_cmd(i, (b"CLIENT", b"KILL", b"ID", None))
                    if self.pending[i] is not None:  # its connection closes on both
                        self.judge(i, self.pending[i], *(s.settle(i) for s in self.sides))
                    for s in self.sides:
                        s.close(i)
                        s.wait_gone(i)
                elif kind == "block":
                    i = ph[1]
                    if self.pending[i] is None and self.sides[0].conns[i] is not None:
                        self.start(i, ph[2], ph[3])
                        continue
                self.settle_all()
            for i, how in enumerate(self.ending):
                if self.pending[i] is None:
                    continue
                if how == "close":
                    for s in self.sides:
                        s.close(i)
                        s.wait_gone(i)
                    self.pending[i] = None
                    self.note(f"  (client{i} closed while blocked)")
                else:
                    self.client_cmd(i, (b"CLIENT", b"UNBLOCK", None, how.encode()))
            m.run_step(proto, C(b"UNWATCH"))  # a WATCH phase's, if no MULTI followed it
            self.settle_all()
        finally:
            for s in self.sides:
                s.close_all()
            for s in self.sides:  # nothing blocked may be left for a later step to serve
                for i in range(len(self.protos)):
                    try:
                        s.wait_gone(i)
                    except AssertionError as e:  # (do not hide the step's own failure)
                        self.note(f"  ({e})")


def run_scenario(m, proto, scn):
    _Run(m, proto, scn).run()


GENS = (_step,)

register("blocking", GENS, runners={"blocking": run_scenario})
