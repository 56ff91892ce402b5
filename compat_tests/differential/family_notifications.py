"""Differential keyspace notifications (family ``notifications``): every message, in order.

A ``notify`` step (this family's runner, :data:`~.commands.RUNNERS`) sets
``notify-keyspace-events`` on both servers to one of :data:`FLAGS` (all classes, ``m``
key-miss with and without the rest, single classes, keyspace-only / keyevent-only, and
values 6.2 refuses: ``n``, unknown letters), after making sure each server has a subscriber
connection of this module: ``PSUBSCRIBE __key*@*__:*``, RESP2 or RESP3 as the step says.
Sometimes (never while the ``acl`` family runs: an ``ACL SETUSER default resetchannels``
there makes Redis close every subscribed connection of ``default``, the harness's own ones
included) the step also subscribes the harness's RESP3 command connection, which then gets
the notifications of its own commands as pushes between its replies
(:attr:`~.wire.Conn.pushes`).

The other steps of the family are the base families' commands (strings, keys with
EXPIRE/SORT/COPY/RENAME/MOVE/SWAPDB, hashes, lists, sets, sorted sets, streams, geo,
hyperloglog; their MULTI-only blocking commands inside transactions) plus commands aimed at
notifications: EXPIRE/PEXPIRE/EXPIREAT/GETEX/RESTORE with a time in the past (the key is
deleted at once: ``del``), reads of missing keys (``keymiss``, also through SORT's BY/GET
lookups), a few commands run in db 1 or 2 (the db number in the channel), PUBLISH to
channels the subscribers' pattern matches and scripts that write and publish (inside MULTI
too: a message published after a write must follow that write's notification), and a
CONFIG SET of the flags queued inside MULTI.

Once a ``notify`` step ran in an example, after every step (``AFTER_STEP``) each subscriber
is drained up to the reply of a PING sent on it (``["pong", ""]`` in RESP2 subscribed mode,
``+PONG`` in RESP3): a server writes a notification to its subscribers while the command
runs, and Perdure queues it behind the write's log offset, in the connection's order, so
everything the step caused is there before that reply.  The two lists are compared exactly:
channel, payload, order, and on the RESP3 command connection which reply each push came
before -- or which element of an array reply it came inside: Redis 6.2 writes a notification
the moment it publishes it, so inside EXEC's array next to the element of the command that
caused it, after ZPOPMIN's array header, between MGET's or SORT ... GET's elements for the
keymiss of their lookups.  In a run of all families, the other families' steps of an
example are checked too once its ``notify`` step ran.

What the harness itself does on one server only is left out: messages about its
scratch keys (``__errno_reset__``, ``__dump_check_*``), ``keymiss`` messages of keys the
harness read on the oracle alone (``TYPE`` for the ``nosort``/``random`` modes, ``STRLEN``:
whatever it sends with ``admin.run``, which this module records; the state checks use
``admin.pipeline`` on both), and the whole step when Perdure's set was resynchronised after SPOP (its SADD/SREM publish
too).  The state checks' own reads (TYPE, PTTL... of missing keys) publish ``keymiss`` on
both servers alike and are compared with the next step's messages.  At the end of an
example (``TEARDOWNS``) whatever is left is drained and dropped, and the command connection
unsubscribed.
"""

from __future__ import annotations

from hypothesis import strategies as st

from ..helpers import resp_encode
from . import commands as K
from .commands import C, Seq, pick, rare, register
from .family_dbs import PAYLOADS
from .wire import Conn, parse, show

PATTERN = b"__key*@*__:*"
FLAGS = (b"KEA", b"AKE", b"KEAm", b"AKEm", b"mKEA", b"Kg", b"E$lshzxe", b"Et", b"Kd", b"Km", b"Em",
         b"KEg$", b"El", b"Kh", b"Es", b"Ez", b"KEx", b"Kgm", b"E$m", b"EA", b"KA", b"gK$lm", b"Egsm",
         b"KEtm", b"Kghz", b"E$lzm", b"KEl", b"gE", b"KE$s")
BAD_FLAGS = (b"n", b"KEAn", b"KEA ", b"Z", b"", b"A", b"KE", b"g$", b"kea", b"KEAMm")
BASE = ("strings", "keys", "hashes", "lists", "sets", "zsets", "streams", "geo", "hll")
SUB_PONG = {2: ("*", (("$", b"pong"), ("$", b""))), 3: ("+", b"PONG")}


def _flags(draw):
    return pick(draw, BAD_FLAGS) if rare(draw, 8) else pick(draw, FLAGS)


# --------------------------------------------------------------------------- the subscribers


class _Subscribers:
    """This module's connections and what the current example has turned on."""

    servers = None      # the harness's Servers the connections below belong to
    side: dict = {}     # "redis"/"perdure" -> Conn subscribed to PATTERN
    side_proto = 2
    self3 = False       # the harness's RESP3 command connections are subscribed too
    active = False      # a notify step ran in this example: drain after every step
    admin_runs: dict = {}  # "redis"/"perdure" -> commands the harness sent on one admin only


S = _Subscribers()


def _log_runs(conn, log: list):
    """Record what ``conn.run`` sends (the harness's one-server reads and resyncs use
    ``admin.run``; its state checks, sent to both, use ``admin.pipeline``)."""
    orig = conn.run

    def run(args):
        if S.active:
            log.append(args)
        return orig(args)

    conn.run = run


def _bind(machine) -> None:
    if S.servers is machine.s:
        return
    _close_side()
    S.servers = machine.s
    S.self3 = False
    S.admin_runs = {"redis": [], "perdure": []}
    for side in (machine.s.redis, machine.s.perdure):
        _log_runs(side.admin, S.admin_runs[side.name])


def _sides(machine):
    return (machine.s.redis, machine.s.perdure)


def _close_side() -> None:
    for conn in S.side.values():
        conn.close()
    S.side = {}


def _subscribe(conn: Conn) -> None:
    conn.raw.send(resp_encode(b"PSUBSCRIBE", PATTERN))
    reply = parse(conn.raw.recv_reply())
    want = (">" if conn.proto == 3 else "*", (("$", b"psubscribe"), ("$", PATTERN), (":", b"1")))
    assert reply == want, f"{conn.name}: PSUBSCRIBE -> {show(reply)}"


def _open_side(machine, proto: int) -> None:
    _close_side()
    S.side_proto = proto
    for side in _sides(machine):
        conn = Conn(side.target, proto, side.name)
        _subscribe(conn)
        S.side[side.name] = conn


def _set_self3(machine, on: bool) -> None:
    """Subscribe (or unsubscribe) the harness's RESP3 command connections."""
    if on == S.self3:
        return
    S.self3 = True  # (so that a failure half-way is cleaned up by _teardown)
    for side in _sides(machine):
        conn = side.conns[3]
        conn.pushes = None
        if on:
            _subscribe(conn)
            conn.pushes = []
        else:
            conn.raw.send(resp_encode(b"PUNSUBSCRIBE", PATTERN))
            while True:  # a notification may still come before the confirmation
                node = parse(conn.raw.recv_reply())
                if node[0] == ">" and node[1][0] == ("$", b"punsubscribe"):
                    break
    S.self3 = on


def _drain(conn: Conn):
    """Every message ``conn`` (subscribed) received before the reply to a PING sent now;
    None if the server closed the connection."""
    try:
        conn.raw.send(resp_encode(b"PING"))
        out = []
        while True:
            node = parse(conn.raw.recv_reply())
            if node == SUB_PONG[conn.proto]:
                return out
            out.append(node)
    except OSError:
        return None
    except AssertionError:
        if conn.raw.closed_by_peer:
            return None
        raise


def _drain_self(conn: Conn):
    """The pushes the RESP3 command connection collected, up to a PING's reply, each as
    ``(push, the command whose reply came after it)``."""
    reply = conn.run((b"PING",))
    assert reply == ("+", b"PONG"), f"{conn.name}: PING -> {show(reply)}"
    out, conn.pushes = conn.pushes, []
    return out


# --------------------------------------------------------------------------- the runner


def _notify_step(machine, proto, cmd) -> None:
    """``notify``: the subscribers as ``cmd.key`` says (side protocol, ``+``/``-`` for the
    command connection), then ``cmd.args`` (CONFIG SET notify-keyspace-events ...) on both."""
    _bind(machine)  # (nothing is pending: every step was drained after it ran)
    want = int(cmd.key[:1])
    if not S.side or want != S.side_proto:
        _open_side(machine, want)
    _set_self3(machine, cmd.key[1:] == b"+")
    S.active = True
    machine.transcript.append(f"  (notifications: a RESP{want} subscriber; the resp3 command connection "
                              f"{'subscribed too' if S.self3 else 'not subscribed'})")
    o, p = machine.both(proto, cmd.args)
    machine.compare(proto, cmd, o, p)


def _notify(draw):
    self3 = b"-"
    if "acl" not in (K.SELECTED or tuple(K.FAMILIES)) and rare(draw, 3):
        self3 = b"+"
    side = b"3" if rare(draw, 4) else b"2"
    return C(b"CONFIG", b"SET", b"notify-keyspace-events", _flags(draw), mode="notify", key=side + self3)


# --------------------------------------------------------------------------- comparing


def _key_event(node):
    """(key, event) of a pmessage of PATTERN, or (None, None)."""
    try:
        _, _, (_, channel), (_, payload) = node[1]
    except (TypeError, ValueError):
        return None, None
    head, _, tail = channel.partition(b"__:")
    if head.startswith(b"__keyspace@"):
        return tail, payload
    return payload, tail


def _keep(node, quiet_misses) -> bool:
    key, event = _key_event(node)
    if key is None:
        return True
    if key.startswith(b"__"):  # the harness's scratch keys (__errno_reset__, __dump_check_*)
        return False
    return not (event == b"keymiss" and key in quiet_misses)


def _check(machine) -> None:
    """AFTER_STEP: drain every subscriber on both servers and compare the messages."""
    if not S.active or S.servers is not machine.s:
        return
    runs = S.admin_runs
    one_sided = runs["redis"] + runs["perdure"]
    resynced = any(a[0] in (b"SADD", b"SREM") for a in runs["perdure"])
    quiet = {a[1] for a in one_sided if len(a) > 1}
    runs["redis"].clear()
    runs["perdure"].clear()
    got = {}
    for name, conn in S.side.items():
        got[name] = _drain(conn)
    if got and (got["redis"] is None or got["perdure"] is None):
        if got["redis"] is None and got["perdure"] is None:  # ACL change: both closed it
            machine.transcript.append("  (notifications: both servers closed the subscriber; reopened)")
            _open_side(machine, S.side_proto)
            return
        machine.fail("notifications: the subscriber connection", ("closed", None) if got["redis"] is None
                     else ("*", ()), ("closed", None) if got["perdure"] is None else ("*", ()))
    mine = {}
    if S.self3:
        for side in _sides(machine):
            mine[side.name] = _drain_self(side.conns[3])
    if resynced:
        machine.transcript.append("  (notifications of this step not compared: perdure resynchronised)")
        return
    o = [m for m in got.get("redis", ()) if _keep(m, quiet)]
    p = [m for m in got.get("perdure", ()) if _keep(m, quiet)]
    if o:
        machine.transcript.append(f"  (notifications: {show(('*', tuple(o)), 600)})")
    if o != p:
        machine.fail(f"notifications received by the RESP{S.side_proto} subscriber after the last step",
                     ("*", tuple(o)), ("*", tuple(p)))
    if S.self3:
        o, p = ([("*", (m, ("+", what.encode())))
                 for m, what in mine[name] if _keep(m, quiet)] for name in ("redis", "perdure"))
        if o:
            machine.transcript.append(f"  (pushes on the resp3 connection, each before the reply to: "
                                      f"{show(('*', tuple(o)), 600)})")
        if o != p:
            machine.fail("notifications pushed to the subscribed RESP3 command connection after the last step "
                         "(each with the command whose reply followed it)", ("*", tuple(o)), ("*", tuple(p)))


def _teardown(machine) -> None:
    """End of an example: drop what is left, unsubscribe the command connection."""
    if S.servers is not machine.s:
        return
    S.active = False
    S.admin_runs["redis"].clear()
    S.admin_runs["perdure"].clear()
    try:
        for conn in S.side.values():
            if _drain(conn) is None:
                raise OSError("closed")
        if S.self3:
            for side in _sides(machine):
                _drain_self(side.conns[3])
            _set_self3(machine, False)
    except (OSError, AssertionError):
        # a step that failed half-way may have left replies unread: start again from fresh
        # connections (the harness's RESP3 one too, since it may still be subscribed)
        _close_side()  # reopened by the next notify step
        if S.self3:
            for side in _sides(machine):
                side.conns[3].close()
                side.conns[3] = Conn(side.target, 3, side.name)
        S.self3 = False


# --------------------------------------------------------------------------- generators


def _base(draw):
    fam = pick(draw, tuple(f for f in BASE if f in K.FAMILIES))
    return pick(draw, K.FAMILIES[fam])(draw)


def _base_tx(draw):
    fam = pick(draw, tuple(f for f in BASE if f in K.TX_EXTRA))
    return pick(draw, K.TX_EXTRA[fam])(draw)


MAKE = (
    lambda k: C(b"SET", k, b"v"),
    lambda k: C(b"RPUSH", k, b"a", b"b"),
    lambda k: C(b"SADD", k, b"1", b"a"),
    lambda k: C(b"HSET", k, b"f1", b"v"),
    lambda k: C(b"ZADD", k, b"1", b"a"),
    lambda k: C(b"SET", k, b"v", b"EX", b"1000"),
)
PAST = (
    lambda k: C(b"EXPIRE", k, b"-1"), lambda k: C(b"EXPIRE", k, b"0"), lambda k: C(b"PEXPIRE", k, b"-5"),
    lambda k: C(b"PEXPIRE", k, b"0"), lambda k: C(b"EXPIREAT", k, b"1"), lambda k: C(b"EXPIREAT", k, b"0"),
    lambda k: C(b"PEXPIREAT", k, b"1"), lambda k: C(b"PEXPIREAT", k, b"-9223372036854775808"),
    lambda k: C(b"GETEX", k, b"PXAT", b"1"), lambda k: C(b"GETEX", k, b"EXAT", b"1"),
    lambda k: C(b"SETEX", k, b"-1", b"v"), lambda k: C(b"SET", k, b"v", b"PX", b"-1"),
)


def _expire_past(draw):
    """A key made, then an expiry in the past (the key goes at once: ``del``), then a read."""
    k = K.key(draw, pick(draw, (K.STRING_KEYS, K.LIST_KEYS, K.SET_KEYS, K.HASH_KEYS, K.ZSET_KEYS)))
    cmds = [pick(draw, MAKE)(k)] if draw(st.booleans()) else []
    cmds.append(pick(draw, PAST)(k))
    if draw(st.booleans()):
        name = pick(draw, (b"EXISTS", b"TTL", b"GET", b"TYPE"))
        cmds.append(C(name, k, mode="ttl" if name == b"TTL" else "exact"))
    return Seq(*cmds) if len(cmds) > 1 else cmds[0]


def _restore_past(draw):
    """RESTORE with an absolute time in the past: OK, and no key (``del`` if it replaced one)."""
    k = pick(draw, K.STRING_KEYS)
    made = (C(b"SET", k, b"old"),) if draw(st.booleans()) else ()
    return Seq(*made, C(b"RESTORE", k, pick(draw, (b"1", b"0")), PAYLOADS["embstr"], b"ABSTTL",
                        *pick(draw, ((b"REPLACE",), ()))), C(b"EXISTS", k))


MISS_READS = (
    lambda d, ks: C(b"MGET", *ks), lambda d, ks: C(b"EXISTS", *ks), lambda d, ks: C(b"TOUCH", *ks),
    lambda d, ks: C(b"TYPE", ks[0]), lambda d, ks: C(b"TTL", ks[0], mode="ttl"),
    lambda d, ks: C(b"PTTL", ks[0], mode="pttl"), lambda d, ks: C(b"DUMP", ks[0], mode="dump"),
    lambda d, ks: C(b"OBJECT", b"ENCODING", ks[0]), lambda d, ks: C(b"STRLEN", ks[0]),
    lambda d, ks: C(b"SINTER", *ks, mode="sort"), lambda d, ks: C(b"SUNION", *ks, mode="sort"),
    lambda d, ks: C(b"SDIFF", *ks, mode="sort"), lambda d, ks: C(b"ZUNION", len(ks), *ks),
    lambda d, ks: C(b"ZINTER", len(ks), *ks), lambda d, ks: C(b"BITOP", b"OR", b"s3", *ks),
    lambda d, ks: C(b"SORT", b"l1", b"BY", pick(d, (b"s*", b"h*->f1", b"nokey*")),
                    b"GET", pick(d, (b"#", b"s*", b"h*->f1", b"nokey*"))),
    lambda d, ks: C(b"SORT", b"l1", b"GET", b"#", b"GET", pick(d, (b"s*", b"h*->f1"))),
    lambda d, ks: C(b"RENAME", ks[0], b"s3"), lambda d, ks: C(b"LINDEX", ks[0], b"0"),
    lambda d, ks: C(b"HGET", ks[0], b"f1"), lambda d, ks: C(b"ZSCORE", ks[0], b"a"),
    lambda d, ks: C(b"SISMEMBER", ks[0], b"a"), lambda d, ks: C(b"XLEN", ks[0]),
    lambda d, ks: C(b"PFCOUNT", *ks), lambda d, ks: C(b"GETRANGE", ks[0], b"0", b"-1"),
    lambda d, ks: C(b"STRALGO", b"LCS", b"KEYS", ks[0], ks[-1]),
    lambda d, ks: C(b"GEOPOS", ks[0], b"m"), lambda d, ks: C(b"SMOVE", ks[0], b"st2", b"a"),
    lambda d, ks: C(b"COPY", ks[0], b"s3"), lambda d, ks: C(b"MOVE", ks[0], b"1"),
)


def _keymiss(draw):
    """Reads of keys that are often missing (``keymiss``), a few of each kind of lookup."""
    ks = K.keys(draw, K.ALL_KEYS + (b"nokey", b"nokey2"), 1, 3)
    return pick(draw, MISS_READS)(draw, ks)


def _in_db(draw):
    """A few commands in db 1 or 2 (``__keyspace@1__``...), then back to db 0."""
    n = pick(draw, (b"1", b"2"))
    inner = [_base(draw) for _ in range(draw(st.integers(1, 3)))]
    inner = [c for x in inner for c in K.steps(x) if c.mode not in K.NONDETERMINISTIC_MODES
             and c.name not in (b"SELECT", b"SWAPDB", b"MOVE")]
    return Seq(C(b"SELECT", n), *inner, C(b"SELECT", b"0"))


CHANNELS = (b"__keyspace@0__:s1", b"__keyevent@0__:set", b"__key@1__:x", b"__key*@*__:*", b"nomatch")


def _publish(draw):
    """PUBLISH to channels the subscribers' pattern matches (inside MULTI too: a message
    published after a write must follow that write's notification)."""
    return C(b"PUBLISH", pick(draw, CHANNELS), pick(draw, (b"m", b"set", b"")))


SCRIPTS = (
    b"redis.call('SET', KEYS[1], ARGV[1]); redis.call('PUBLISH', '__key@0__:x', ARGV[1]); "
    b"return redis.call('DEL', KEYS[1])",
    b"redis.call('RPUSH', KEYS[1], ARGV[1]); return redis.call('LPOP', KEYS[1])",
    b"redis.call('GET', KEYS[1]); redis.call('HSET', KEYS[1], 'f', ARGV[1]); return 1",
    b"return redis.pcall('EXPIRE', KEYS[1], -1)",
)


def _eval(draw):
    """A script's writes and PUBLISH (its notifications go out as they happen, in order)."""
    return C(b"EVAL", pick(draw, SCRIPTS), b"1", pick(draw, K.ALL_KEYS[:9]), pick(draw, (b"v", b"1")))


def _config_in_multi(draw):
    return C(b"CONFIG", b"SET", b"notify-keyspace-events", _flags(draw))


GENS = (_notify, _notify, _base, _base, _base, _base, _base, _base, _base, _base, _expire_past,
        _expire_past, _restore_past, _keymiss, _keymiss, _in_db, _publish, _eval)
TX_GENS = (_base_tx, _config_in_multi, _expire_past, _keymiss, _publish, _publish, _eval)

register("notifications", GENS, tx_gens=TX_GENS, runners={"notify": _notify_step}, after_step=_check,
         teardown=_teardown, reset=((b"CONFIG", b"SET", b"notify-keyspace-events", b""),))
