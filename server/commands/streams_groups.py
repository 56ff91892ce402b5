"""Stream commands (t_stream.c), part two: consumer groups and reads.  XGROUP, XACK, XPENDING,
XCLAIM, XAUTOCLAIM, XREAD and XREADGROUP (both with BLOCK).

Reads follow xreadCommand: a key is served at once when it has something to give (XREAD: a
live entry after the ID; XREADGROUP ``>``: a live entry after the group's last delivered ID;
XREADGROUP with an ID: the consumer's own history, always).  Otherwise, with BLOCK, the client
waits (``COUNT`` defaults to 1000 then) and is served, as serveClientsBlockedOnStreamKey
does, only when the key is *signalled* -- by XADD, XGROUP DESTROY or a new stream value at the
key (RENAME, RESTORE...): then an XREADGROUP whose group is gone gets ``-NOGROUP``, and any
reader is served when the stream's last ID is past its ID (possibly with no entries).

Effects log (deterministic replay of pending entries lists, as Redis propagates them, plus what
Redis leaves out):

* every delivery / claim: ``XCLAIM key group consumer 0 id TIME <ms> RETRYCOUNT <n> FORCE
  JUSTID LASTID <group last id>`` (also for XREADGROUP history reads, which change delivery
  times and counts but which Redis does not propagate);
* NOACK reads: ``XGROUP SETID key group <last id>``; a consumer created by a read or a claim:
  ``XGROUP CREATECONSUMER``;
* consumers' seen-time: ``XGROUP SEEN-TIME key group consumer <ms>``, an internal
  subcommand accepted only while the log is replayed (clients get XGROUP's usual "Unknown
  subcommand" error), so that XINFO STREAM FULL shows the same seen-time after a restart.
"""

from __future__ import annotations

from functools import partial

from .. import errors, resp
from ..args import parse_int, to_int
from ..errors import RedisError
from ..registry import command
from .stream_type import MAX_ID, Group, Nack, Stream, fmt_id, get_stream, parse_id, parse_interval_id
from .streams import _s, keyed_reply, nogroup_for_key, signal_ready, subcommand_error

_WRONGTYPE = errors.WRONGTYPE
_SEEN_SUB = b"seen-time"


def _nogroup(key: bytes, group: bytes, suffix: str = "") -> RedisError:
    return RedisError("NOGROUP No such key '%s' or consumer group '%s'%s"
                      % (_s(key), _s(group), suffix))


def _lookup_group(s, name):
    return s.groups.get(name) if s is not None and s.groups else None


# --------------------------------------------------------------------------- effects

def _prop_xclaim(srv, db, key, gname, idb, na, g) -> None:
    """streamPropagateXCLAIM."""
    srv.propagate(db, [b"XCLAIM", key, gname, na.consumer.name, b"0", idb, b"TIME",
                       b"%d" % na.time, b"RETRYCOUNT", b"%d" % na.count, b"FORCE", b"JUSTID",
                       b"LASTID", fmt_id(g.last_id)])


def _prop_seen(srv, db, key, gname, co) -> None:
    # the log keeps consumers' seen-times; Redis does not propagate them
    srv.propagate(db, [b"XGROUP", b"SEEN-TIME", key, gname, co.name, b"%d" % co.seen], False)


def _prop_created(srv, db, key, gname, co) -> None:
    # the log recreates the consumer; Redis 6.2 does not propagate it (XCLAIM creates it there)
    srv.propagate(db, [b"XGROUP", b"CREATECONSUMER", key, gname, co.name], False)


# --------------------------------------------------------------------------- XGROUP

_XGROUP_HELP = [resp.Simple(x) for x in (
    b"XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"CREATE <key> <groupname> <id|$> [option]",
    b"    Create a new consumer group. Options are:",
    b"    * MKSTREAM",
    b"      Create the empty stream if it does not exist.",
    b"CREATECONSUMER <key> <groupname> <consumer>",
    b"    Create a new consumer in the specified group.",
    b"DELCONSUMER <key> <groupname> <consumer>",
    b"    Remove the specified consumer.",
    b"DESTROY <key> <groupname>    Remove the specified group.",
    b"SETID <key> <groupname> <id|$>",
    b"    Set the current group ID.",
    b"HELP",
    b"    Prints this help.",
)]


@command("xgroup", -2, "write denyoom", "@stream", keys=(2, 2, 1))
def xgroup(c, argv):
    "XGROUP CREATE key group id|$ [MKSTREAM] | SETID key group id|$ | DESTROY key group | CREATECONSUMER key group consumer | DELCONSUMER key group consumer | HELP"
    n = len(argv)
    sub = argv[1].lower()
    db = c.db
    srv = c.server
    if sub == _SEEN_SUB and n == 6 and srv.replaying:
        return _seen_time(c, argv)
    mkstream = False
    if n == 6 and sub == b"create":
        if argv[5].lower() != b"mkstream":
            raise subcommand_error(argv)
        mkstream = True
    s = g = None
    if n >= 4:
        key = argv[2]
        gname = argv[3]
        s = get_stream(db, key, True)
        if not mkstream:
            if s is None:
                raise RedisError("ERR The XGROUP subcommand requires the key to exist. Note "
                                 "that for CREATE you may want to use the MKSTREAM option to "
                                 "create an empty stream automatically.")
            g = _lookup_group(s, gname)
            if g is None and sub in (b"setid", b"createconsumer", b"delconsumer"):
                raise nogroup_for_key(gname, key)
    if n == 2 and sub == b"help":
        return _XGROUP_HELP
    if sub == b"create" and (n == 5 or n == 6):
        if argv[4] == b"$":
            last = s.last_id if s is not None else 0
        else:
            last = parse_id(argv[4], 0, True)
        created = False
        if s is None:
            s = Stream()
            db.add(key, s)
            created = True
        if s.groups is None:
            s.groups = {}
        if gname in s.groups:
            raise RedisError("BUSYGROUP Consumer Group name already exists")
        s.groups[gname] = Group(last)
        if created:
            db.changed(key, b"xgroup-create", "t")
        else:
            db.changed_quietly(key)
            srv.notify(db, key, b"xgroup-create", "t")
        return resp.OK
    if sub == b"setid" and n == 5:
        g.last_id = s.last_id if argv[4] == b"$" else parse_id(argv[4], 0)
        db.changed_quietly(key)
        srv.notify(db, key, b"xgroup-setid", "t")
        return resp.OK
    if sub == b"destroy" and n == 4:
        if g is None:
            return 0
        del s.groups[gname]
        db.changed_quietly(key)
        srv.notify(db, key, b"xgroup-destroy", "t")
        signal_ready(db, key)
        return 1
    if sub == b"createconsumer" and n == 5:
        co, created = g.consumer(argv[4], srv.cached_now_ms(), True, False)
        if not created:
            return 0
        db.changed_quietly(key)
        srv.notify(db, key, b"xgroup-createconsumer", "t")
        srv.propagate(db, argv)
        _prop_seen(srv, db, key, gname, co)
        return 1
    if sub == b"delconsumer" and n == 5:
        co = g.consumers.pop(argv[4], None)
        pending = 0
        if co is not None:
            pending = len(co.pel)
            for i in co.pel.ids:
                g.pel.remove(i)
        db.changed_quietly(key)
        srv.notify(db, key, b"xgroup-delconsumer", "t")
        return pending
    raise subcommand_error(argv)


def _seen_time(c, argv):
    """XGROUP SEEN-TIME key group consumer ms: replay-only effect restoring a seen-time."""
    s = get_stream(c.db, argv[2], True)
    g = _lookup_group(s, argv[3])
    co = g.consumers.get(argv[4]) if g is not None else None
    ms = to_int(argv[5])
    if co is None or ms is None:
        raise RedisError("ERR SEEN-TIME for an unknown consumer")
    co.seen = ms
    c.db.changed_quietly(argv[2])
    return resp.OK


# --------------------------------------------------------------------------- XACK / XPENDING

@command("xack", -4, "write random fast", "@stream", keys=(1, 1, 1))
def xack(c, argv):
    "XACK key group id [id ...]"
    db = c.db
    s = get_stream(db, argv[1])
    g = _lookup_group(s, argv[2])
    if g is None:
        return 0
    ids = [parse_id(a, 0, True) for a in argv[3:]]
    gpel = g.pel
    d = gpel.d
    n = 0
    for i in ids:
        na = d.get(i)
        if na is not None:
            gpel.remove(i)
            na.consumer.pel.remove(i)
            n += 1
    if n:
        db.changed_quietly(argv[1])
    return n


@command("xpending", -3, "readonly random", "@stream", keys=(1, 1, 1))
def xpending(c, argv):
    "XPENDING key group [[IDLE min-idle-time] start end count [consumer]]"
    n = len(argv)
    if n != 3 and (n < 6 or n > 9):
        raise RedisError(errors.SYNTAX)
    minidle = 0
    consumer = None
    if n >= 6:
        si = 3
        if argv[3].lower() == b"idle":
            minidle = parse_int(argv[4])
            if n < 8:
                raise RedisError(errors.SYNTAX)
            si += 2
        count = parse_int(argv[si + 2])
        if count < 0:
            count = 0
        start, ex = parse_interval_id(argv[si], 0)
        if ex:
            if start == MAX_ID:
                raise RedisError("ERR invalid start ID for the interval")
            start += 1
        end, ex = parse_interval_id(argv[si + 1], (1 << 64) - 1)
        if ex:
            if end == 0:
                raise RedisError("ERR invalid end ID for the interval")
            end -= 1
        if si + 3 < n:
            consumer = argv[si + 3]
    s = get_stream(c.db, argv[1])
    g = _lookup_group(s, argv[2])
    if g is None:
        raise _nogroup(argv[1], argv[2])
    pel = g.pel
    if n == 3:
        if not len(pel):
            return [0, None, None, resp.NilArray]
        cons = [[co.name, b"%d" % len(co.pel)] for co in g.sorted_consumers() if len(co.pel)]
        return [len(pel), fmt_id(pel.ids[0]), fmt_id(pel.ids[-1]), cons]
    if consumer is not None:
        co = g.consumers.get(consumer)
        if co is None:
            return []
        pel = co.pel
    now = c.server.cached_now_ms()
    out = []
    ids = pel.ids
    d = pel.d
    k = pel.from_id(start)
    nids = len(ids)
    while count and k < nids:
        i = ids[k]
        k += 1
        if i > end:
            break
        na = d[i]
        if minidle and now - na.time < minidle:
            continue
        count -= 1
        idle = now - na.time
        out.append([fmt_id(i), na.consumer.name, idle if idle > 0 else 0, na.count])
    return out


# --------------------------------------------------------------------------- XCLAIM / XAUTOCLAIM

def _claim(g, na, i, co) -> None:
    """Move the pending entry ``i`` (its Nack ``na``) to consumer ``co``."""
    if na.consumer is not co:
        if na.consumer is not None:
            na.consumer.pel.remove(i)
        co.pel.add(i, na)
        na.consumer = co


def _opt_int(b: bytes, what: str) -> int:
    v = to_int(b)
    if v is None:
        raise RedisError("ERR Invalid %s argument for XCLAIM" % what)
    return v


@command("xclaim", -6, "write random fast", "@stream", keys=(1, 1, 1))
def xclaim(c, argv):
    "XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID id]"
    db = c.db
    srv = c.server
    key = argv[1]
    gname = argv[2]
    s = get_stream(db, key)
    g = _lookup_group(s, gname)
    if g is None:
        raise _nogroup(key, gname)
    minidle = _opt_int(argv[4], "min-idle-time")
    if minidle < 0:
        minidle = 0
    n = len(argv)
    ids = []
    j = 5
    while j < n:
        try:
            ids.append(parse_id(argv[j], 0, True))
        except RedisError:
            break
        j += 1
    now = srv.cached_now_ms()
    delivery = -1
    retry = -1
    force = justid = False
    last_id = 0
    while j < n:
        more = n - 1 - j
        opt = argv[j].lower()
        if opt == b"force":
            force = True
        elif opt == b"justid":
            justid = True
        elif opt == b"idle" and more:
            j += 1
            delivery = now - _opt_int(argv[j], "IDLE option")
        elif opt == b"time" and more:
            j += 1
            delivery = _opt_int(argv[j], "TIME option")
        elif opt == b"retrycount" and more:
            j += 1
            retry = _opt_int(argv[j], "RETRYCOUNT option")
        elif opt == b"lastid" and more:
            j += 1
            last_id = parse_id(argv[j], 0, True)
        else:
            raise RedisError("ERR Unrecognized XCLAIM option '%s'" % _s(argv[j]))
        j += 1
    prop_last = False
    if last_id > g.last_id:
        g.last_id = last_id
        prop_last = True
    if delivery == -1 or delivery < 0 or delivery > now:
        delivery = now
    co = None
    created = False
    out = []
    d = g.pel.d
    for i in ids:
        na = d.get(i)
        if na is None:
            if not force or s.get(i) is None:
                continue
            na = Nack(now, 1, None)
            g.pel.add(i, na)
        if na.consumer is not None and minidle and now - na.time < minidle:
            continue
        if co is None:
            co, created = g.consumer(argv[3], now)
            if created:
                _prop_created(srv, db, key, gname, co)
        _claim(g, na, i, co)
        na.time = delivery
        if retry >= 0:
            na.count = retry
        elif not justid:
            na.count += 1
        idb = fmt_id(i)
        if justid:
            out.append(idb)
        else:
            v = s.get(i)
            out.append(None if v is None else [idb, v])
        _prop_xclaim(srv, db, key, gname, idb, na, g)
        prop_last = False
    if prop_last:
        srv.propagate(db, [b"XGROUP", b"SETID", key, gname, fmt_id(g.last_id)])
    if co is not None:
        _prop_seen(srv, db, key, gname, co)
    if co is not None or prop_last:
        db.changed_quietly(key)
    return out


@command("xautoclaim", -6, "write random fast", "@stream", keys=(1, 1, 1))
def xautoclaim(c, argv):
    "XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]"
    db = c.db
    srv = c.server
    key = argv[1]
    gname = argv[2]
    s = db.lookup_read(key)
    minidle = to_int(argv[4])
    if minidle is None:
        raise RedisError("ERR Invalid min-idle-time argument for XAUTOCLAIM")
    if minidle < 0:
        minidle = 0
    start, ex = parse_interval_id(argv[5], 0)
    if ex:
        if start == MAX_ID:
            raise RedisError("ERR invalid start ID for the interval")
        start += 1
    count = 100
    justid = False
    n = len(argv)
    j = 6
    while j < n:
        opt = argv[j].lower()
        if opt == b"count" and n - 1 - j:
            v = to_int(argv[j + 1])
            if v is None or v < 1:
                raise RedisError("ERR COUNT must be > 0")
            count = v
            j += 1
        elif opt == b"justid":
            justid = True
        else:
            raise RedisError(errors.SYNTAX)
        j += 1
    if s is not None and type(s) is not Stream:
        raise RedisError(_WRONGTYPE)
    g = _lookup_group(s, gname)
    if g is None:
        raise _nogroup(key, gname)
    attempts = count * 10
    now = srv.cached_now_ms()
    co = None
    out = []
    pel = g.pel
    ids = pel.ids
    d = pel.d
    k = pel.from_id(start)
    while attempts and count and k < len(ids):
        attempts -= 1
        i = ids[k]
        k += 1
        na = d[i]
        if minidle and now - na.time < minidle:
            continue
        if co is None:
            co, created = g.consumer(argv[3], now)
            if created:
                _prop_created(srv, db, key, gname, co)
        _claim(g, na, i, co)
        na.time = now
        if not justid:
            na.count += 1
        idb = fmt_id(i)
        if justid:
            out.append(idb)
        else:
            v = s.get(i)
            out.append(None if v is None else [idb, v])
        count -= 1
        _prop_xclaim(srv, db, key, gname, idb, na, g)
    # the cursor: the entry after the last one examined (claims leave the group PEL as is)
    cursor = fmt_id(ids[k]) if k < len(ids) else b"0-0"
    if co is not None:
        _prop_seen(srv, db, key, gname, co)
        db.changed_quietly(key)
    return [cursor, out]


# --------------------------------------------------------------------------- XREAD / XREADGROUP

def _serve_new(c, db, key, s, g, gname, co, start, count, noack) -> list:
    """streamReplyWithRange with a group: deliver entries after the group's last ID."""
    srv = c.server
    ids = []
    entries = s.range(start, MAX_ID, count, False, ids)
    now = srv.cached_now_ms()
    prop_last = False
    gpel = g.pel
    d = gpel.d
    cpel = co.pel
    for k, e in enumerate(entries):
        i = ids[k]
        if i > g.last_id:
            g.last_id = i
            if noack:
                prop_last = True
        if not noack:
            na = d.get(i)
            if na is None:
                na = Nack(now, 1, co)
                gpel.add(i, na)
                cpel.add(i, na)
            else:
                na.consumer.pel.remove(i)
                na.consumer = co
                na.time = now
                na.count = 1
                cpel.add(i, na)
            _prop_xclaim(srv, db, key, gname, e[0], na, g)
    if prop_last:
        srv.propagate(db, [b"XGROUP", b"SETID", key, gname, fmt_id(g.last_id)])
    return entries


def _serve_history(c, db, key, s, g, gname, co, start, count) -> list:
    """streamReplyWithRangeFromConsumerPEL: the consumer's pending entries from ``start``."""
    srv = c.server
    now = srv.cached_now_ms()
    out = []
    pel = co.pel
    ids = pel.ids
    d = pel.d
    k = pel.from_id(start)
    while k < len(ids) and (not count or len(out) < count):
        i = ids[k]
        k += 1
        idb = fmt_id(i)
        v = s.get(i)
        if v is None:
            out.append([idb, resp.NilArray])
        else:
            na = d[i]
            na.time = now
            na.count += 1
            out.append([idb, v])
            _prop_xclaim(srv, db, key, gname, idb, na, g)
    return out


def _serve_group_key(c, db, key, s, g, gname, cname, start, count, noack, history) -> list:
    srv = c.server
    co, created = g.consumer(cname, srv.cached_now_ms())
    if created:
        _prop_created(srv, db, key, gname, co)
    if history:
        entries = _serve_history(c, db, key, s, g, gname, co, start, count)
    else:
        entries = _serve_new(c, db, key, s, g, gname, co, start, count, noack)
    _prop_seen(srv, db, key, gname, co)
    db.changed_quietly(key)
    return entries


class _BlockedRead:
    """What a blocked XREAD / XREADGROUP waits for: ``recs``, per key, the ID to read after
    (for a group, its last delivered ID when the key is served)."""

    __slots__ = ("recs", "count", "gname", "cname", "noack")


def _on_ready(st, c, key):
    """serveClientsBlockedOnStreamKey, for one blocked client and one ready key."""
    db = c.db
    s = db.lookup_write(key)
    if type(s) is not Stream:
        return None
    if st.gname is not None:
        g = _lookup_group(s, st.gname)
        if g is None:
            err = RedisError("NOGROUP the consumer group this client was blocked on no longer "
                             "exists")
            c.server.count_error(err)
            return err
        gt = g.last_id
    else:
        gt = st.recs[key]
    if s.last_id <= gt:
        return None
    start = gt + 1
    if st.gname is not None:
        entries = _serve_group_key(c, db, key, s, g, st.gname, st.cname, start, st.count,
                                   st.noack, False)
    else:
        entries = s.range(start, MAX_ID, st.count)
    return keyed_reply(c, [[key, entries]])


def _xread(c, argv, group_mode: bool):
    """xreadCommand."""
    n = len(argv)
    timeout = -1
    count = 0
    streams_arg = 0
    noack = False
    gname = cname = None
    i = 1
    while i < n:
        more = n - i - 1
        o = argv[i].lower()
        if o == b"block" and more:
            if c.conn_type == "lua":
                raise RedisError("ERR %s command is not allowed with BLOCK option from scripts"
                                 % _s(argv[0]))
            i += 1
            timeout = parse_int(argv[i], "ERR timeout is not an integer or out of range")
            if timeout < 0:
                raise RedisError(errors.TIMEOUT_NEGATIVE)
        elif o == b"count" and more:
            i += 1
            count = parse_int(argv[i])
            if count < 0:
                count = 0
        elif o == b"streams" and more:
            streams_arg = i + 1
            nk = n - streams_arg
            if nk % 2:
                raise RedisError("ERR Unbalanced XREAD list of streams: for each stream key an "
                                 "ID or '$' must be specified.")
            nk //= 2
            break
        elif o == b"group" and more >= 2:
            if not group_mode:
                raise RedisError("ERR The GROUP option is only supported by XREADGROUP. You "
                                 "called XREAD instead.")
            gname = argv[i + 1]
            cname = argv[i + 2]
            i += 2
        elif o == b"noack":
            if not group_mode:
                raise RedisError("ERR The NOACK option is only supported by XREADGROUP. You "
                                 "called XREAD instead.")
            noack = True
        else:
            raise RedisError(errors.SYNTAX)
        i += 1
    if not streams_arg:
        raise RedisError(errors.SYNTAX)
    if group_mode and gname is None:
        raise RedisError("ERR Missing GROUP option for XREADGROUP")
    db = c.db
    keys = argv[streams_arg:streams_arg + nk]
    ids = []
    groups = []
    for j in range(nk):
        key = keys[j]
        arg = argv[streams_arg + nk + j]
        s = db.lookup_read(key)
        if s is not None and type(s) is not Stream:
            raise RedisError(_WRONGTYPE)
        if gname is not None:
            g = _lookup_group(s, gname)
            if g is None:
                raise _nogroup(key, gname, " in XREADGROUP with GROUP option")
            groups.append(g)
        if arg == b"$":
            if group_mode:
                raise RedisError(
                    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read "
                    "the history of this consumer by specifying a proper ID, or use the > ID to "
                    "get new messages. The $ ID would just return an empty result set.")
            ids.append(s.last_id if s is not None else 0)
        elif arg == b">":
            if not group_mode:
                raise RedisError("ERR The > ID can be specified only when calling XREADGROUP "
                                 "using the GROUP <group> <consumer> option.")
            ids.append(MAX_ID)
        else:
            ids.append(parse_id(arg, 0, True))
    out = []
    for j in range(nk):
        key = keys[j]
        s = db.lookup_read(key)
        if s is None:
            continue
        gt = ids[j]
        history = False
        if gname is not None:
            if gt != MAX_ID:
                history = True
            elif s.length and s.last_valid_id() > groups[j].last_id:
                gt = groups[j].last_id
            else:
                continue
        elif not (s.length and s.last_valid_id() > gt):
            continue
        start = gt + 1 if gt != MAX_ID else 0
        if gname is not None:
            entries = _serve_group_key(c, db, key, s, groups[j], gname, cname, start, count,
                                       noack, history)
        else:
            entries = s.range(start, MAX_ID, count)
        out.append([key, entries])
    if out:
        return keyed_reply(c, out)
    if timeout == -1:
        return resp.NilArray
    st = _BlockedRead()
    st.recs = {}
    for j in range(nk):
        key = keys[j]
        if key not in st.recs:
            st.recs[key] = ids[j]
    st.count = count or 1000
    st.gname = gname
    st.cname = cname
    st.noack = noack
    secs = 0.0 if timeout > 10 ** 12 else timeout / 1000.0
    return c.server.block(c, list(st.recs), secs, partial(_on_ready, st), btype=b"stream")


def _xread_keys(argv):
    """xreadGetKeys: the keys after STREAMS (none when the command is malformed)."""
    n = len(argv)
    pos = -1
    i = 1
    while i < n:
        a = argv[i].lower()
        if a == b"block" or a == b"count":
            i += 1
        elif a == b"group":
            i += 2
        elif a == b"streams":
            pos = i
            break
        elif a != b"noack":
            break
        i += 1
    nk = n - pos - 1
    if pos == -1 or nk == 0 or nk % 2:
        return []
    return argv[pos + 1:pos + 1 + nk // 2]


@command("xread", -4, "readonly blocking", "@stream", getkeys=_xread_keys)
def xread(c, argv):
    "XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]"
    return _xread(c, argv, False)


@command("xreadgroup", -7, "write blocking", "@stream", getkeys=_xread_keys)
def xreadgroup(c, argv):
    "XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]"
    return _xread(c, argv, True)
