"""Stream commands (t_stream.c), part one: XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XSETID
and XINFO.  Consumer groups and reads (XGROUP, XREADGROUP, XREAD, XACK, XPENDING, XCLAIM,
XAUTOCLAIM) live in :mod:`.streams_groups`; the value type in :mod:`.stream_type`.

Redis 6.2.14 details kept here:

* ``MAXLEN``/``MINID`` with ``=`` or ``~`` and ``LIMIT`` (only with ``~``; default
  ``100 * stream-node-max-entries``, 0 = no limit); approximate trimming removes whole nodes only.
* ``ms-*`` IDs do not exist in 6.2 (``Invalid stream ID``); a bare ``ms`` means ``ms-0``.
* Only XADD, XDEL/XTRIM that deleted something and XGROUP CREATE ... MKSTREAM that created
  the key "modify" it for WATCH (signalModifiedKey); group commands, XSETID and XACK do not.

Effects log: XADD with ``*`` is logged with the generated ID; an approximate trim (``~``) is
logged as the exact trim of what happened (``MAXLEN = <length>`` / ``MINID = <first id>``),
as Redis propagates it; everything else here is logged verbatim.  Replayed commands do not
enforce LIMIT (``mustObeyClient``).
"""

from __future__ import annotations

from .. import errors, resp
from ..args import parse_int
from ..errors import RedisError
from ..registry import command
from .keys import COPY_FUNCS, ENCODING_FUNCS
from .stream_type import MASK64, MAX_ID, Stream, fmt_id, get_stream, parse_id, parse_range

ENCODING_FUNCS[Stream] = lambda v, config: b"stream"
COPY_FUNCS[Stream] = Stream.copy

_WRONGTYPE = errors.WRONGTYPE
_NONE, _MAXLEN, _MINID = 0, 1, 2


# --------------------------------------------------------------------------- shared helpers

def signal_ready(db, key) -> None:
    """signalKeyAsReady(OBJ_STREAM): blocked XREAD/XREADGROUP clients look again (XADD, XGROUP
    DESTROY; creating the key signals too, see Database.add)."""
    srv = db.server
    if srv.blocking_keys:
        srv.signal_ready(db, key, b"stream")


def keyed_reply(c, pairs):
    """XREAD's reply: an array of [key, entries] (RESP2) or a map (RESP3)."""
    if c.proto == 2:
        return pairs
    m = resp.Map()
    for k, v in pairs:
        if k in m:  # the same key twice: a map with repeated keys, encoded by hand
            out = bytearray(b"%%%d\r\n" % len(pairs))
            for k2, v2 in pairs:
                resp.encode(k2, 3, out)
                resp.encode(v2, 3, out)
            return resp.Raw(bytes(out))
        m[k] = v
    return m


def subcommand_error(argv) -> RedisError:
    return RedisError(errors.UNKNOWN_SUBCOMMAND % (argv[1].decode("utf-8", "replace"),
                                                   argv[0].decode("utf-8", "replace").upper()))


# --------------------------------------------------------------------------- XADD / XTRIM

class _AddTrimArgs:
    __slots__ = ("strategy", "maxlen", "minid", "approx", "limit", "nomkstream", "id", "idpos",
                 "argidx")


def _parse_add_trim(c, argv, xadd: bool) -> _AddTrimArgs:
    """streamParseAddOrTrimArgsOrReply."""
    a = _AddTrimArgs()
    strategy = _NONE
    approx = False
    maxlen = -1
    minid = 0
    limit = 0
    limit_given = False
    nomk = False
    the_id = None
    argidx = 0
    n = len(argv)
    i = 2
    while i < n:
        more = n - 1 - i
        opt = argv[i]
        if xadd and opt == b"*":
            break
        lo = opt.lower()
        if (lo == b"maxlen" or lo == b"minid") and more:
            if strategy != _NONE:
                raise RedisError("ERR syntax error, MAXLEN and MINID options at the same time "
                                 "are not compatible")
            approx = False
            nxt = argv[i + 1]
            if more >= 2 and nxt == b"~":
                approx = True
                i += 1
            elif more >= 2 and nxt == b"=":
                i += 1
            if lo == b"maxlen":
                maxlen = parse_int(argv[i + 1])
                if maxlen < 0:
                    raise RedisError("ERR The MAXLEN argument must be >= 0.")
                strategy = _MAXLEN
            else:
                minid = parse_id(argv[i + 1], 0, True)
                strategy = _MINID
            i += 1
            argidx = i
        elif lo == b"limit" and more:
            limit = parse_int(argv[i + 1])
            if limit < 0:
                raise RedisError("ERR The LIMIT argument must be >= 0.")
            limit_given = True
            i += 1
        elif xadd and lo == b"nomkstream":
            nomk = True
        elif xadd:
            the_id = parse_id(opt, 0, True)
            break
        else:
            raise RedisError(errors.SYNTAX)
        i += 1
    if limit and strategy == _NONE:
        raise RedisError("ERR syntax error, LIMIT cannot be used without specifying a trimming "
                         "strategy")
    if not xadd and strategy == _NONE:
        raise RedisError("ERR syntax error, XTRIM must be called with a trimming strategy")
    if c.server.replaying:
        limit = 0  # mustObeyClient: the logged trim is already exact
    elif limit_given:
        if not approx:
            raise RedisError("ERR syntax error, LIMIT cannot be used without the special ~ "
                             "option")
    elif approx:  # (6.2: no floor, no cap: stream-node-max-entries 0 means no limit)
        limit = 100 * c.server.config.values["stream-node-max-entries"]
    else:
        limit = 0
    a.strategy = strategy
    a.maxlen = maxlen
    a.minid = minid
    a.approx = approx
    a.limit = limit
    a.nomkstream = nomk
    a.id = the_id
    a.idpos = i
    a.argidx = argidx
    return a


def _trim(s, a) -> int:
    if a.strategy == _MAXLEN:
        return s.trim(a.maxlen, None, a.approx, a.limit)
    return s.trim(0, a.minid, a.approx, a.limit)


def _rewrite_trim(argv, s, a) -> list:
    """streamRewriteApproxSpecifier + streamRewriteTrimArgument."""
    out = list(argv)
    out[a.argidx - 1] = b"="
    out[a.argidx] = b"%d" % s.length if a.strategy == _MAXLEN else fmt_id(s.first_edge_id())
    return out


@command("xadd", -5, "write denyoom random fast", "@stream", keys=(1, 1, 1))
def xadd(c, argv):
    "XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]"
    if argv[2] == b"*":  # the common case: no options, a generated ID
        a = None
        idpos = 2
        the_id = None
    else:
        a = _parse_add_trim(c, argv, True)
        idpos = a.idpos
        the_id = a.id
    fpos = idpos + 1
    nfv = len(argv) - fpos
    if nfv < 2 or nfv & 1:
        raise RedisError("ERR wrong number of arguments for XADD")
    if the_id == 0:
        raise RedisError("ERR The ID specified in XADD must be greater than 0-0")
    db = c.db
    key = argv[1]
    s = db.lookup_write(key)
    if s is None:
        if a is not None and a.nomkstream:
            return None
        s = Stream()
        db.add(key, s)
    elif type(s) is not Stream:
        raise RedisError(_WRONGTYPE)
    last = s.last_id
    if last == MAX_ID:
        raise RedisError("ERR The stream has exhausted the last possible ID, unable to add "
                         "more items")
    srv = c.server
    if the_id is None:
        now = srv.cached_now_ms()
        the_id = now << 64 if now > last >> 64 else last + 1  # streamNextID
    elif the_id <= last:  # (never for a stream this command created: its last ID is 0-0)
        raise RedisError("ERR The ID specified in XADD is equal or smaller than the target "
                         "stream top item")
    idb = b"%d-%d" % (the_id >> 64, the_id & MASK64)
    cfg = srv.config.values
    s.append(the_id, idb, argv[fpos:], cfg["stream-node-max-bytes"], cfg["stream-node-max-entries"])
    db.changed(key, b"xadd", "t")
    signal_ready(db, key)
    if a is None:
        out = argv[:]
        out[2] = idb
        srv.propagate(db, out)
        return idb
    if a.strategy != _NONE:
        if _trim(s, a):
            srv.notify(db, key, b"xtrim", "t")
        if a.approx:
            out = _rewrite_trim(argv, s, a)
            out[idpos] = idb
            srv.propagate(db, out)
            return idb
    if a.id is None:
        out = argv[:]
        out[idpos] = idb
        srv.propagate(db, out)
    return idb


@command("xtrim", -4, "write random", "@stream", keys=(1, 1, 1))
def xtrim(c, argv):
    "XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]"
    a = _parse_add_trim(c, argv, False)
    db = c.db
    key = argv[1]
    s = get_stream(db, key, True)
    if s is None:
        return 0
    deleted = _trim(s, a)
    if deleted:
        db.changed(key, b"xtrim", "t")
        if a.approx:
            c.server.propagate(db, _rewrite_trim(argv, s, a))
    return deleted


# --------------------------------------------------------------------------- reads

@command("xlen", 2, "readonly fast", "@stream", keys=(1, 1, 1))
def xlen(c, argv):
    "XLEN key"
    s = get_stream(c.db, argv[1])
    return 0 if s is None else s.length


def _xrange(c, argv, rev: bool):
    """xrangeGenericCommand."""
    if rev:
        start, end = parse_range(argv[3], argv[2])
    else:
        start, end = parse_range(argv[2], argv[3])
    count = -1
    n = len(argv)
    j = 4
    while j < n:
        if argv[j].lower() == b"count" and n - j - 1 >= 1:
            count = parse_int(argv[j + 1])
            if count < 0:
                count = 0
            j += 2
        else:
            raise RedisError(errors.SYNTAX)
    s = get_stream(c.db, argv[1])
    if s is None:
        return []
    if count == 0:
        return resp.NilArray
    return s.range(start, end, 0 if count == -1 else count, rev)


@command("xrange", -4, "readonly", "@stream", keys=(1, 1, 1))
def xrange_cmd(c, argv):
    "XRANGE key start end [COUNT count]"
    return _xrange(c, argv, False)


@command("xrevrange", -4, "readonly", "@stream", keys=(1, 1, 1))
def xrevrange(c, argv):
    "XREVRANGE key end start [COUNT count]"
    return _xrange(c, argv, True)


# --------------------------------------------------------------------------- XDEL / XSETID

@command("xdel", -3, "write fast", "@stream", keys=(1, 1, 1))
def xdel(c, argv):
    "XDEL key id [id ...]"
    db = c.db
    key = argv[1]
    s = get_stream(db, key, True)
    if s is None:
        return 0
    ids = [parse_id(a, 0, True) for a in argv[2:]]
    deleted = 0
    for i in ids:
        if s.delete(i):
            deleted += 1
    if deleted:
        db.changed(key, b"xdel", "t")
    return deleted


@command("xsetid", 3, "write denyoom fast", "@stream", keys=(1, 1, 1))
def xsetid(c, argv):
    "XSETID key last-id"
    db = c.db
    key = argv[1]
    s = get_stream(db, key, True)
    if s is None:
        raise RedisError(errors.NO_SUCH_KEY)
    i = parse_id(argv[2], 0, True)
    if s.length and i < s.last_valid_id():
        raise RedisError("ERR The ID specified in XSETID is smaller than the target stream top "
                         "item")
    s.last_id = i
    db.changed_quietly(key)
    c.server.notify(db, key, b"xsetid", "t")
    return resp.OK


# --------------------------------------------------------------------------- XINFO

_XINFO_HELP = [resp.Simple(x) for x in (
    b"XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"CONSUMERS <key> <groupname>",
    b"    Show consumers of <groupname>.",
    b"GROUPS <key>",
    b"    Show the stream consumer groups.",
    b"STREAM <key> [FULL [COUNT <count>]",
    b"    Show information about the stream.",
    b"HELP",
    b"    Prints this help.",
)]


def nogroup_for_key(group: bytes, key: bytes) -> RedisError:
    return RedisError("NOGROUP No such consumer group '%s' for key name '%s'"
                      % (_s(group), _s(key)))


def _s(b: bytes) -> str:
    z = b.find(b"\0")  # %s in Redis's format strings stops at a NUL byte
    if z >= 0:
        b = b[:z]
    return b.decode("utf-8", "replace")


def _stream_info(c, s, argv):
    """xinfoReplyWithStreamInfo."""
    extra = argv[3:]
    full = bool(extra)
    count = 10
    if full:
        if len(extra) not in (1, 3) or extra[0].lower() != b"full":
            raise subcommand_error(argv)
        if len(extra) == 3:
            if extra[1].lower() != b"count":
                raise subcommand_error(argv)
            count = parse_int(extra[2])
            if count < 0:
                count = 10
    m = resp.Map()
    m[b"length"] = s.length
    m[b"radix-tree-keys"] = len(s.nodes)
    m[b"radix-tree-nodes"] = s.rax_nodes()
    m[b"last-generated-id"] = fmt_id(s.last_id)
    if not full:
        m[b"groups"] = len(s.groups) if s.groups else 0
        first = s.range(0, MAX_ID, 1)
        m[b"first-entry"] = first[0] if first else None
        last = s.range(0, MAX_ID, 1, True)
        m[b"last-entry"] = last[0] if last else None
        return m
    m[b"entries"] = s.range(0, MAX_ID, count)
    groups = []
    for name in sorted(s.groups or ()):
        g = s.groups[name]
        gm = resp.Map()
        gm[b"name"] = name
        gm[b"last-delivered-id"] = fmt_id(g.last_id)
        gm[b"pel-count"] = len(g.pel)
        pend = []
        d = g.pel.d
        for i in g.pel.ids:
            if count and len(pend) >= count:
                break
            na = d[i]
            pend.append([fmt_id(i), na.consumer.name, na.time, na.count])
        gm[b"pending"] = pend
        cons = []
        for co in g.sorted_consumers():
            cm = resp.Map()
            cm[b"name"] = co.name
            cm[b"seen-time"] = co.seen
            cm[b"pel-count"] = len(co.pel)
            cp = []
            cd = co.pel.d
            for i in co.pel.ids:
                if count and len(cp) >= count:
                    break
                na = cd[i]
                cp.append([fmt_id(i), na.time, na.count])
            cm[b"pending"] = cp
            cons.append(cm)
        gm[b"consumers"] = cons
        groups.append(gm)
    m[b"groups"] = groups
    return m


@command("xinfo", -2, "readonly random", "@stream", keys=(2, 2, 1))
def xinfo(c, argv):
    "XINFO CONSUMERS key group | GROUPS key | STREAM key [FULL [COUNT count]] | HELP"
    sub = argv[1].lower()
    if sub == b"help":
        return _XINFO_HELP
    if len(argv) < 3:
        raise subcommand_error(argv)
    key = argv[2]
    s = get_stream(c.db, key)
    if s is None:
        raise RedisError(errors.NO_SUCH_KEY)
    if sub == b"consumers" and len(argv) == 4:
        g = s.groups.get(argv[3]) if s.groups else None
        if g is None:
            raise nogroup_for_key(argv[3], key)
        now = c.server.cached_now_ms()
        out = []
        for co in g.sorted_consumers():
            m = resp.Map()
            m[b"name"] = co.name
            m[b"pending"] = len(co.pel)
            idle = now - co.seen
            m[b"idle"] = idle if idle > 0 else 0
            out.append(m)
        return out
    if sub == b"groups" and len(argv) == 3:
        out = []
        for name in sorted(s.groups or ()):
            g = s.groups[name]
            m = resp.Map()
            m[b"name"] = name
            m[b"consumers"] = len(g.consumers)
            m[b"pending"] = len(g.pel)
            m[b"last-delivered-id"] = fmt_id(g.last_id)
            out.append(m)
        return out
    if sub == b"stream":
        return _stream_info(c, s, argv)
    raise subcommand_error(argv)


from . import streams_groups  # noqa: E402,F401  (registers the group and read commands)
