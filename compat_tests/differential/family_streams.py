"""Differential generators for streams: XADD, XTRIM, XLEN, XRANGE/XREVRANGE, XDEL, XSETID,
XREAD, XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM and XINFO.

Keys ``xs1``..``xs3`` (``xs1`` drawn most, so that one stream grows); groups ``g1``/``g2``
(``g3`` rarely: mostly a missing group); consumers ``c1``..``c3``.

What keeps the comparison deterministic:

* no XADD with a bare ``*`` (it takes the wall clock); explicit IDs only, plus ``<ms>-*``
  (refused by 6.2: a 7.0 form).  Random IDs rarely increase, so ``DEL``/``UNLINK`` of the
  stream keys is drawn now and then to start a stream again;
* no BLOCK outside MULTI (``tx_gens``: XREAD / XREADGROUP with BLOCK, which never block there);
* wall-clock values: delivery times and seen-times are compared within a tolerance (the
  ``xtimes`` mode of ``test_differential.py``: XPENDING's extended form, XINFO CONSUMERS,
  XINFO STREAM FULL).  Idle thresholds (XCLAIM/XAUTOCLAIM min-idle-time, XPENDING IDLE) are
  0 or one hour, and the only delivery times set in the past (XCLAIM ``TIME 1`` / ``IDLE``
  two hours) are far beyond it, so which entries pass a threshold never depends on timing.

The content read after each step is ``XINFO STREAM key FULL COUNT 0``: every entry, the last
generated ID, the node layout (``radix-tree-keys``/``-nodes``, with ``stream-node-max-*``
lowered by ``SMALL_CONFIG``), every group with its last delivered ID, PEL (owners and
delivery counts) and consumers.
"""

from __future__ import annotations

from hypothesis import strategies as st

from .commands import AT_LIMIT, LONG, STRING_KEYS, C, Seq, either, opt, options, pick, rare, register, tok

XK = (b"xs1", b"xs1", b"xs2", b"xs3")
OWN = (b"xs1", b"xs2", b"xs3")
GROUPS = (b"g1", b"g1", b"g1", b"g2")
CONSUMERS = (b"c1", b"c2", b"c3")
OTHER = STRING_KEYS[:1] + (b"h1", b"l1", b"z1")  # WRONGTYPE targets
MAXID = b"18446744073709551615-18446744073709551615"
TIMES = "xtimes"

ODD_IDS = (b"0-0", b"0-1", b"0", MAXID, b"18446744073709551615-18446744073709551614",
           b"18446744073709551615", b"18446744073709551616", b"1-18446744073709551616",
           b"5-*", b"-1", b"abc", b"", b"+3", b" 7", b"007-1", b"3-", b"-5", b"1-2-3",
           b"2-\x00x", b"9-18446744073709551615")
FIELDS = (b"f", b"f", b"g", b"h", b"", b"1", b"-7", b"9223372036854775807", b"12345678901234567890",
          LONG, AT_LIMIT, b"v" * 150)
VALUES = (b"1", b"a", b"", b"-1", b"4095", b"4096", b"-32769", b"8388608", b"2147483648",
          b"9223372036854775807", b"-9223372036854775808", b"99999999999999999999", b"0x1",
          LONG, AT_LIMIT, b"w" * 200, b"1.5", b"\x00\xff")


# DUMP of a Redis 6.2.14 stream (entries 10-0 11-0 13-0 14-0, 12-0 deleted; group g1: c1 owns
# 10-0 11-0 13-0, c2 owns 14-0; group g2: c3 owns 13-0), its delivery times and seen-times set to
# 1000 / 2000 ms (CRC recomputed): RESTOREd, its entries are idle for decades, so the one-hour
# min-idle-time of XCLAIM/XAUTOCLAIM/XPENDING IDLE takes them, and a seen-time or delivery time
# a command should refresh (or not) differs by far more than the xtimes tolerance.
OLD_PEL = bytes.fromhex(
    "0f0110000000000000000a0000000000000000c34048405407540000002400040140000781660200010201002001"
    "020101046005400f201620040667020301080103601f02817802401e0003201e2035046802010106201740120004"
    "200100ff040e00020267310e0004000000000000000a0000000000000000e8030000000000000100000000000000"
    "0b0000000000000000e80300000000000001000000000000000d0000000000000000d00700000000000003000000"
    "000000000e0000000000000000e8030000000000000102026331d00700000000000003000000000000000a000000"
    "0000000000000000000000000b0000000000000000000000000000000d0000000000000000026332e80300000000"
    "000001000000000000000e00000000000000000267320d0001000000000000000d0000000000000000d007000000"
    "0000000101026333d00700000000000001000000000000000d0000000000000000090063b1a5f7bc40edc5")


def skey(draw):
    """A stream key, or (1 in 12) a key of another type."""
    if rare(draw, 12):
        return pick(draw, OTHER)
    return pick(draw, XK)


def group(draw):
    return pick(draw, GROUPS) if not rare(draw, 8) else pick(draw, (b"g3", b"G1", b""))


def consumer(draw):
    return pick(draw, CONSUMERS) if not rare(draw, 10) else pick(draw, (b"", b"c" * 70))


def new_id(draw):
    """An ID for XADD: mostly ``ms`` or ``ms-seq`` in the small ID space (ms 1-60, seq 0-3)
    that the other commands' IDs also come from, so that XDEL/XACK/XCLAIM hit entries."""
    if rare(draw, 7):
        return pick(draw, ODD_IDS)
    ms = draw(st.integers(1, 60))
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return b"%d" % ms
    if kind == 3 and rare(draw, 3):
        return b"%d-18446744073709551615" % ms
    return b"%d-%d" % (ms, draw(st.integers(0, 3)))


def some_id(draw, odd=6):
    """An ID for reads, deletes, XSETID, groups, or (1 in ``odd``) an odd one."""
    if rare(draw, odd):
        return pick(draw, ODD_IDS + (b"-", b"+", b"$", b">"))
    ms = draw(st.integers(0, 61))
    return pick(draw, (b"%d" % ms, b"%d-0" % ms, b"%d-1" % ms, b"%d-%d" % (ms, draw(st.integers(0, 3)))))


def bound(draw, low: bool):
    """An XRANGE bound: ``-``/``+``, a (possibly incomplete) ID, exclusive ``(`` forms."""
    r = draw(st.integers(0, 9))
    if r <= 2:
        return b"-" if low else b"+"
    if r == 3:
        return pick(draw, (b"-", b"+", b"(-", b"(+", b"(" + MAXID, b"(0-0", b"(0", b"((1", b"(",
                           b"(abc", b"$", b"18446744073709551615-18446744073709551616"))
    i = some_id(draw)
    return b"(" + i if r >= 8 else i


def fvs(draw):
    n = draw(st.integers(1, 3))
    if rare(draw, 15):
        return [pick(draw, FIELDS) for _ in range(pick(draw, (0, 1, 3)))]  # odd count
    return [x for _ in range(n) for x in (pick(draw, FIELDS), pick(draw, VALUES))]


def threshold(draw, minid: bool):
    if minid:
        return some_id(draw)
    return either(draw, (b"0", b"1", b"2", b"5", b"8", b"10", b"10", b"20", b"100"),
                  (b"-1", b"abc", b"1.5", b"9223372036854775808", b"", b"+2"))


def trim_args(draw, xadd: bool):
    """MAXLEN|MINID [=|~] threshold [LIMIT n], mostly well-formed."""
    if rare(draw, 6):
        pool = (lambda d: [pick(d, (b"MAXLEN", b"MINID", b"maxlen", b"minid"))],
                tok("~"), tok("="), opt(b"LIMIT", (b"0", b"1", b"10", b"-1", b"x")),
                lambda d: [threshold(d, False)], tok("NOMKSTREAM"), tok("BAD"))
        return options(draw, pool, 4)
    minid = draw(st.booleans())
    out = [pick(draw, (b"MINID", b"minid")) if minid else pick(draw, (b"MAXLEN", b"maxlen"))]
    out += pick(draw, ((), (b"=",), (b"~",), (b"~",)))
    out.append(threshold(draw, minid))
    if b"~" in out and draw(st.booleans()) or rare(draw, 10):
        out += [b"LIMIT", either(draw, (b"0", b"1", b"2", b"5", b"100"), (b"-1", b"abc"))]
    return out


def _xadd(draw):
    head = []
    if rare(draw, 5):
        head.append(b"NOMKSTREAM")
    if rare(draw, 3):
        head += trim_args(draw, True)
    if len(head) > 1 and rare(draw, 6):
        head = list(draw(st.permutations(head)))  # options out of order
    return C(b"XADD", skey(draw), *head, new_id(draw), *fvs(draw))


def _fill(draw):
    """Several XADDs with increasing IDs to one key, as one step (single XADDs with random IDs
    rarely go past the stream's top, so streams would stay a few entries long)."""
    k = pick(draw, XK)
    ms = draw(st.integers(1, 60))
    seq = draw(st.integers(0, 1))
    out = []
    for _ in range(draw(st.integers(2, 8))):
        if draw(st.booleans()):
            ms += draw(st.integers(1, 3))
            seq = draw(st.integers(0, 1))
        else:
            seq += 1
        trim = trim_args(draw, True) if rare(draw, 6) else []
        out.append(C(b"XADD", k, *trim, b"%d-%d" % (ms, seq), *fvs(draw)))
    return Seq(*out)


def _rewind(draw):
    """XSETID moving the last ID back down to the last live entry, below deleted ones, then
    XADDs between: a listpack whose deleted entries are out of ID order, even one ID twice
    (as one step: entries at ms a < b < c, then c and maybe b deleted)."""
    k = pick(draw, XK)
    a = draw(st.integers(1, 57))
    b, c = a + draw(st.integers(1, 2)), a + 3
    both = draw(st.booleans())
    out = [C(b"XADD", k, b"%d-0" % m, b"f", b"%d" % m) for m in (a, b, c)]
    out.append(C(b"XDEL", k, b"%d-0" % c, *((b"%d-0" % b,) if both else ())))
    out.append(C(b"XSETID", k, pick(draw, (b"%d-0" % a, b"%d-5" % a) + (() if both else (b"%d-0" % b,)))))
    for _ in range(draw(st.integers(1, 2))):
        out.append(C(b"XADD", k, b"%d-%d" % (draw(st.integers(a, c)), draw(st.integers(0, 6))), *fvs(draw)))
    return Seq(*out)


def _xtrim(draw):
    return C(b"XTRIM", skey(draw), *trim_args(draw, False))


def _count(draw):
    return either(draw, (b"0", b"1", b"2", b"3", b"10"), (b"-1", b"abc", b"", b"9223372036854775808"))


def _xrange(draw):
    name = pick(draw, (b"XRANGE", b"XREVRANGE"))
    lo, hi = bound(draw, True), bound(draw, False)
    if name == b"XREVRANGE":
        lo, hi = hi, lo
    tail = pick(draw, ((), (), (b"COUNT", _count(draw)), (b"count", _count(draw)), (b"COUNT",),
                       (b"LIMIT", b"1"), (b"COUNT", b"1", b"COUNT", b"2")))
    return C(name, skey(draw), lo, hi, *tail)


def _xread(draw, block=()):
    ks = [skey(draw) for _ in range(draw(st.integers(1, 3)))]
    ids = [either(draw, (b"$", b"0", b"0-0") + tuple(some_id(draw) for _ in range(3)),
                  (b">", b"+", b"-", b"abc")) for _ in ks]
    if rare(draw, 20):
        ids = ids[:-1]  # unbalanced
    opts = []
    if draw(st.booleans()):
        opts += [pick(draw, (b"COUNT", b"count")), _count(draw)]
    opts += list(block)
    if rare(draw, 12):
        opts.append(pick(draw, (b"NOACK", b"BAD")))
    if rare(draw, 15):
        opts += [b"GROUP", b"g1", b"c1"]
    if len(opts) > 2:
        opts = list(draw(st.permutations(opts))) if rare(draw, 8) else opts
    return C(b"XREAD", *opts, pick(draw, (b"STREAMS", b"streams")), *ks, *ids)


def _xreadgroup(draw, block=()):
    ks = [skey(draw) for _ in range(1 if draw(st.integers(0, 3)) else 2)]
    ids = [either(draw, (b">", b">", b">", b"0", b"0-0") + tuple(some_id(draw) for _ in range(2)),
                  (b"$", b"+", b"abc")) for _ in ks]
    if rare(draw, 20):
        ids = ids[:-1]
    opts = [b"GROUP", group(draw), consumer(draw)]
    if rare(draw, 15):
        opts = opts[:2] if draw(st.booleans()) else []
    if draw(st.booleans()):
        opts += [b"COUNT", _count(draw)]
    if rare(draw, 3):
        opts.append(pick(draw, (b"NOACK", b"noack")))
    opts += list(block)
    if rare(draw, 15):
        opts.append(b"BAD")
    return C(b"XREADGROUP", *opts, b"STREAMS", *ks, *ids)


def _xgroup(draw):
    k, g = skey(draw), group(draw)
    r = draw(st.integers(0, 11))
    if r <= 3:
        start = pick(draw, (b"$", b"0", b"0", some_id(draw)))
        tail = pick(draw, ((), (b"MKSTREAM",), (b"mkstream",), (b"MKSTREAM",), (b"MKSTREAM",)))
        if rare(draw, 10):
            tail = pick(draw, ((b"BAD",), (b"MKSTREAM", b"ENTRIESREAD", b"1")))
        return C(b"XGROUP", pick(draw, (b"CREATE", b"create")), k, g, start, *tail)
    if r <= 5:
        return C(b"XGROUP", b"SETID", k, g, pick(draw, (b"$", b"0", some_id(draw))),
                 *pick(draw, ((), (), (), (b"ENTRIESREAD", b"2"))))
    if r == 6:
        return C(b"XGROUP", b"DESTROY", k, g)
    if r <= 8:
        return C(b"XGROUP", b"CREATECONSUMER", k, g, consumer(draw))
    if r == 9:
        return C(b"XGROUP", b"DELCONSUMER", k, g, consumer(draw))
    return pick(draw, (C(b"XGROUP", b"HELP"), C(b"XGROUP", b"help", b"x"), C(b"XGROUP", b"NOPE", k, g),
                       C(b"XGROUP", b"DESTROY", k), C(b"XGROUP", b"CREATE", k, g),
                       C(b"XGROUP", b"SETID", k, g, b"0", b"x"), C(b"XGROUP", b"CREATECONSUMER", k, g)))


def _deliver(draw):
    """A group (maybe already there) and a read from it, as one step, so that PELs fill up."""
    k, g = pick(draw, XK), pick(draw, GROUPS)
    create = C(b"XGROUP", b"CREATE", k, g, pick(draw, (b"0", b"0", b"$", some_id(draw, 20))), b"MKSTREAM")
    count = pick(draw, ((), (b"COUNT", b"2"), (b"COUNT", b"5")))
    return Seq(create, C(b"XREADGROUP", b"GROUP", g, consumer(draw), *count, b"STREAMS", k, b">"))


def _ids(draw, lo=1, hi=3):
    return [some_id(draw, 20) for _ in range(draw(st.integers(lo, hi)))]


def _xpending(draw):
    k, g = skey(draw), group(draw)
    if draw(st.integers(0, 2)) == 0:
        return C(b"XPENDING", k, g)
    args = []
    if rare(draw, 4):
        args += [b"IDLE", either(draw, (b"0", b"3600000"), (b"-1", b"abc"))]
    args += [bound(draw, True), bound(draw, False), either(draw, (b"1", b"2", b"10", b"0"), (b"-1", b"x"))]
    if draw(st.booleans()):
        args.append(consumer(draw))
    if rare(draw, 15):
        args.append(b"extra")
    return C(b"XPENDING", k, g, *args, mode=TIMES)


MIN_IDLE = (b"0", b"0", b"0", b"3600000")
CLAIM_OPTS = (
    opt(b"IDLE", (b"0", b"7200000", b"-5", b"abc")),
    opt(b"TIME", (b"1", b"1000", b"4102444800000", b"-1", b"abc")),
    opt(b"RETRYCOUNT", (b"0", b"3", b"-1", b"abc")),
    tok("FORCE"), tok("JUSTID"), tok("justid"),
    lambda d: [b"LASTID", some_id(d)],
)


def _xclaim(draw):
    idle = either(draw, MIN_IDLE, (b"-1", b"abc", b"1.5"))
    tail = options(draw, CLAIM_OPTS, 3)
    if rare(draw, 15):
        tail.insert(draw(st.integers(0, len(tail))), b"BAD")
    return C(b"XCLAIM", skey(draw), group(draw), consumer(draw), idle, *_ids(draw, 1, 4), *tail)


def _xautoclaim(draw):
    idle = either(draw, MIN_IDLE, (b"-1", b"abc"))
    tail = options(draw, (opt(b"COUNT", (b"1", b"2", b"3", b"100", b"0", b"-1", b"x")),
                          opt(b"COUNT", (b"1", b"2", b"3")), tok("JUSTID")), 2)
    if rare(draw, 12):
        tail.append(b"BAD")
    return C(b"XAUTOCLAIM", skey(draw), group(draw), consumer(draw), idle,
             pick(draw, (b"0", b"-", b"0-0", b"(0", some_id(draw), bound(draw, True))), *tail)


def _xinfo(draw):
    k = skey(draw)
    r = draw(st.integers(0, 7))
    if r <= 1:
        return C(b"XINFO", b"STREAM", k)
    if r == 2:
        tail = pick(draw, ((b"FULL",), (b"full",), (b"FULL", b"COUNT", _count(draw)), (b"FULL", b"COUNT"),
                           (b"NOPE",), (b"FULL", b"LIMIT", b"1")))
        return C(b"XINFO", b"STREAM", k, *tail, mode=TIMES)
    if r <= 4:
        return C(b"XINFO", b"GROUPS", k, *pick(draw, ((), (), (), (b"x",))))
    if r <= 6:
        return C(b"XINFO", b"CONSUMERS", k, group(draw), *pick(draw, ((), (), (), (b"x",))), mode=TIMES)
    return pick(draw, (C(b"XINFO", b"HELP"), C(b"XINFO", b"help", b"x"), C(b"XINFO", b"NOPE", k),
                       C(b"XINFO", b"CONSUMERS", k), C(b"XINFO")))


GENS = (
    _xadd, _xadd, _fill, _fill, _rewind,
    _xtrim,
    lambda d: C(pick(d, (b"DEL", b"UNLINK")), pick(d, OWN)) if rare(d, 3) else C(b"XLEN", skey(d)),
    _xrange, _xrange,
    lambda d: C(b"XDEL", skey(d), *_ids(d)),
    lambda d: C(b"XSETID", skey(d), some_id(d)),
    _xread,
    _xgroup, _xgroup, _deliver,
    _xreadgroup, _xreadgroup,
    lambda d: C(b"XACK", skey(d), group(d), *_ids(d, 1, 4)),
    _xpending,
    _xclaim,
    _xautoclaim,
    _xinfo,
    lambda d: C(b"DUMP", skey(d), mode="dump"),  # the RDB layout: nodes, deleted entries, PELs
    lambda d: C(b"RESTORE", pick(d, OWN), b"0", OLD_PEL, *pick(d, ((b"REPLACE",), (b"REPLACE",), ()))),
)


def _block(draw):
    return (b"BLOCK", either(draw, (b"0", b"1", b"100"), (b"-1", b"abc", b"1.5")))


TX_GENS = (
    lambda d: _xread(d, _block(d)),
    lambda d: _xreadgroup(d, _block(d)),
)

register("streams", GENS, tx_gens=TX_GENS, keys=OWN,
         content={b"stream": lambda k: C(b"XINFO", b"STREAM", k, b"FULL", b"COUNT", b"0", mode=TIMES)})
