"""Streams in RDB (rdb.c ``RDB_TYPE_STREAM_LISTPACKS*``, t_stream.c's listpack layout).

Written as Redis 6.2 writes type 15: the nodes (16-byte big-endian master ID, listpack), the
length, the last ID, then each consumer group (name order) with its last ID, its PEL (raw
16-byte IDs, delivery time, delivery count) and its consumers (name order: seen time and the
IDs they own).  Each node's listpack is laid out exactly as ``streamAppendItem`` builds it::

    master entry:  count, deleted, num-fields, field_1 ... field_N, 0
    each entry:    flags, ms-diff, seq-diff, [num-fields, field, value ... | value ...], lp-count

(``SAMEFIELDS`` when the entry has the master's fields, in order; ``DELETED`` for an entry
deleted by XDEL or an exact trim, which the node keeps with its fields and values, as
Redis's listpack does, so the bytes are Redis's).

Reading accepts types 15, 19 and 21 (Redis 7's extra IDs, counters and consumer active time
are read and dropped); entries flagged deleted in the file are kept as deleted entries.
"""

from __future__ import annotations

import struct

from ..commands.stream_type import MASK64, Consumer, Group, Nack, Node, Stream, fmt_id, int_size
from .encoding import RdbError, Reader, enc_len, enc_ms, enc_string, listpack_build, listpack_decode, lp_entry

_ID = struct.Struct(">QQ")
F_DELETED, F_SAMEFIELDS = 1, 2


def is_stream(v) -> bool:
    return type(v) is Stream


def _delta(a: int) -> int:
    a &= MASK64
    return a - (1 << 64) if a >> 63 else a


def _raw_id(i: int) -> bytes:
    return _ID.pack(i >> 64, i & MASK64)


def node_listpack(node) -> tuple[int, bytes]:
    """(master ID, listpack) of one node, its deleted entries included (flagged)."""
    ids, vals = node.ids, node.vals
    dead = node.dead or {}
    mfields = node.fields
    master = ids[0]
    nmf = len(mfields)
    ents = [lp_entry(node.live), lp_entry(node.deleted), lp_entry(nmf)]
    ents.extend(lp_entry(f) for f in mfields)
    ents.append(lp_entry(0))
    mms = master >> 64
    mseq = master & MASK64
    for k, i in enumerate(ids):
        fv = vals[k]
        flags = 0
        if fv is None:
            fv = dead[k]
            flags = F_DELETED
        nf = len(fv) >> 1
        same = nf == nmf and tuple(fv[0::2]) == mfields
        ents.append(lp_entry(flags | F_SAMEFIELDS if same else flags))
        ents.append(lp_entry(_delta((i >> 64) - mms)))
        ents.append(lp_entry(_delta((i & MASK64) - mseq)))
        if same:
            ents.extend(lp_entry(v) for v in fv[1::2])
            ents.append(lp_entry(nf + 3))
        else:
            ents.append(lp_entry(nf))
            ents.extend(lp_entry(x) for x in fv)
            ents.append(lp_entry(nf + 3 + nf + 1))
    return master, listpack_build(ents)


def dump_stream(s, comp: bool = True) -> bytes:
    out = [b"\x0f", enc_len(len(s.nodes))]
    for node in s.nodes:
        master, lp = node_listpack(node)
        out.append(enc_string(_raw_id(master), comp))
        out.append(enc_string(lp, comp))
    out.append(enc_len(s.length))
    out.append(enc_len(s.last_id >> 64))
    out.append(enc_len(s.last_id & MASK64))
    groups = s.groups or {}
    out.append(enc_len(len(groups)))
    for name in sorted(groups):
        g = groups[name]
        out.append(enc_string(name, comp))
        out.append(enc_len(g.last_id >> 64))
        out.append(enc_len(g.last_id & MASK64))
        out.append(enc_len(len(g.pel)))
        for i in g.pel.ids:
            na = g.pel.d[i]
            out.append(_raw_id(i))
            out.append(enc_ms(na.time))
            out.append(enc_len(na.count))
        out.append(enc_len(len(g.consumers)))
        for cname in sorted(g.consumers):
            co = g.consumers[cname]
            out.append(enc_string(cname, comp))
            out.append(enc_ms(co.seen))
            out.append(enc_len(len(co.pel)))
            for i in co.pel.ids:
                out.append(_raw_id(i))
    return b"".join(out)


# ---- reading ---------------------------------------------------------------------------------


def _bytes(x) -> bytes:
    return b"%d" % x if type(x) is int else x


def _int(x, what: str) -> int:
    if type(x) is not int:
        raise RdbError("stream listpack corrupt: %s is not an integer" % what)
    return x


def _node_from(master: int, lp: bytes) -> Node:
    els = listpack_decode(lp, "stream listpack", ints=True)
    n = len(els)
    if n < 4:
        raise RdbError("stream listpack corrupt: no master entry")
    live = _int(els[0], "count")
    deleted = _int(els[1], "deleted count")
    nmf = _int(els[2], "master field count")
    if nmf < 0 or 3 + nmf >= n or els[3 + nmf] != 0:
        raise RdbError("stream listpack corrupt: bad master entry")
    mfields = tuple(_bytes(f) for f in els[3:3 + nmf])
    p = 4 + nmf
    node = Node()
    node.ids, node.idb, node.vals = [], [], []
    dead = {}
    node.fields = mfields
    mms = master >> 64
    mseq = master & MASK64
    seen_live = seen_del = 0
    prev = prev_live = -1
    unsorted = False
    try:
        while p < n:
            flags = _int(els[p], "flags")
            ms = (mms + _int(els[p + 1], "ms-diff")) & MASK64
            seq = (mseq + _int(els[p + 2], "seq-diff")) & MASK64
            p += 3
            if flags & F_SAMEFIELDS:
                nf = nmf
                vals = els[p:p + nf]
                fv = []
                for f, v in zip(mfields, vals):
                    fv.append(f)
                    fv.append(_bytes(v))
                p += nf
                want = nf + 3
            else:
                nf = _int(els[p], "field count")
                fv = [_bytes(x) for x in els[p + 1:p + 1 + 2 * nf]]
                p += 1 + 2 * nf
                want = nf + 3 + nf + 1
            if len(fv) != 2 * nf or p >= n or els[p] != want:
                raise RdbError("stream listpack corrupt: bad entry")
            p += 1
            i = ms << 64 | seq
            # only live entries are in ID order: after XSETID moved the last ID down, an
            # entry may sort before (or equal) a deleted one (see stream_type)
            if i < master or (i <= prev_live and not flags & F_DELETED):
                raise RdbError("stream listpack corrupt: entry IDs out of order")
            if i <= prev:
                unsorted = True
            prev = max(prev, i)
            if not flags & F_DELETED:
                prev_live = i
            node.ids.append(i)
            node.idb.append(fmt_id(i))
            if flags & F_DELETED:
                dead[len(node.vals)] = fv
                node.vals.append(None)
                seen_del += 1
            else:
                node.vals.append(fv)
                seen_live += 1
    except IndexError:
        raise RdbError("stream listpack corrupt: truncated entry")
    if seen_live != live or seen_del != deleted or not node.ids:
        raise RdbError("stream listpack corrupt: entry counts do not match")
    node.live = live
    node.deleted = deleted
    node.dead = dead or None
    node.unsorted = unsorted
    _size_fields(node, len(lp) - int_size(live) - int_size(deleted))
    return node


_NODE_SLOTS = frozenset(getattr(Node, "__slots__", ()))


def _size_fields(node, base: int) -> None:
    """The Node's bookkeeping besides its entries: exact byte size known for every entry
    (``base``, ``sized``, ``ub``) and ``head``, the first entry that is not deleted."""
    node.base = base
    if "sized" in _NODE_SLOTS:
        node.sized = len(node.ids)
        node.ub = 0
    if "head" in _NODE_SLOTS:
        h = 0
        vals = node.vals
        while h < len(vals) and vals[h] is None:
            h += 1
        node.head = h


def _read_id(r: Reader) -> int:
    ms, seq = _ID.unpack(r.read(16))
    return ms << 64 | seq


def load_stream(t: int, r: Reader) -> Stream:
    s = Stream()
    nnodes = r.count(2)
    prev = -1
    for _ in range(nnodes):
        key = r.string()
        if len(key) != 16:
            raise RdbError("stream node key is not a 128-bit ID")
        ms, seq = _ID.unpack(key)
        master = ms << 64 | seq
        if master <= prev:
            raise RdbError("stream nodes out of order")
        node = _node_from(master, r.string())
        if node.ids[0] < master:
            raise RdbError("stream node key does not match its entries")
        prev = master  # (a node's deleted entries may sort after the next node's key)
        s.nodes.append(node)
        s.keys.append(master)
    s.length = r.length()
    if s.length != sum(nd.live for nd in s.nodes):
        raise RdbError("stream length does not match its entries")
    s.last_id = r.length() << 64 | r.length()
    if t >= 19:
        r.length()  # first ID
        r.length()
        r.length()  # max deleted entry ID
        r.length()
        r.length()  # entries added
    ngroups = r.count()
    if ngroups:
        s.groups = {}
    for _ in range(ngroups):
        name = r.string()
        if name in s.groups:
            raise RdbError("duplicate stream consumer group")
        g = Group(r.length() << 64 | r.length())
        if t >= 19:
            r.length()  # entries read
        npel = r.count(17)
        for _ in range(npel):
            i = _read_id(r)
            when = r.ms()
            cnt = r.length()
            if i in g.pel.d:
                raise RdbError("duplicate ID in a consumer group PEL")
            g.pel.add(i, Nack(when, cnt, None))
        ncons = r.count()
        for _ in range(ncons):
            cname = r.string()
            co = Consumer(cname, r.ms())
            if t >= 21:
                r.ms()  # active time
            if cname in g.consumers:
                raise RdbError("duplicate stream consumer")
            g.consumers[cname] = co
            for _ in range(r.count(16)):
                i = _read_id(r)
                na = g.pel.d.get(i)
                if na is None or na.consumer is not None:
                    raise RdbError("consumer PEL entry not found in the group PEL")
                na.consumer = co
                co.pel.add(i, na)
        for i in g.pel.ids:
            if g.pel.d[i].consumer is None:
                raise RdbError("group PEL entry without a consumer")
        s.groups[name] = g
    return s
