"""Cluster commands (Redis 6.2's cluster.c): CLUSTER and its subcommands, READONLY,
READWRITE, ASKING.

The cluster itself (nodes, slot table, state, the dispatcher's slot check, nodes.conf) is
``server.cluster`` (:mod:`perdure.server.cluster`), None when ``cluster-enabled`` is off.
Every subcommand that makes sense for a node that knows no other node behaves exactly as Redis
6.2 (including the errors for unknown nodes, for myself, for masters).  CLUSTER MEET validates
its arguments like Redis and then refuses: joining other nodes needs the cluster bus, which
comes with multi-node sharding.  CLUSTER SHARDS is a Redis 7.0 command and is unknown here, as
in 6.2 (Redis Cluster clients use CLUSTER SLOTS).
"""

from __future__ import annotations

import ipaddress

from .. import errors, resp
from ..args import to_int
from ..cluster.slots import CLUSTER_SLOTS, keyslot
from ..cluster.state import describe, random_node_id
from ..errors import RedisError
from ..registry import command
from .server import help_reply, subcommand_error

_HELP = [
    "ADDSLOTS <slot> [<slot> ...]",
    "    Assign slots to current node.",
    "BUMPEPOCH",
    "    Advance the cluster config epoch.",
    "COUNT-FAILURE-REPORTS <node-id>",
    "    Return number of failure reports for <node-id>.",
    "COUNTKEYSINSLOT <slot>",
    "    Return the number of keys in <slot>.",
    "DELSLOTS <slot> [<slot> ...]",
    "    Delete slots information from current node.",
    "FAILOVER [FORCE|TAKEOVER]",
    "    Promote current replica node to being a master.",
    "FORGET <node-id>",
    "    Remove a node from the cluster.",
    "GETKEYSINSLOT <slot> <count>",
    "    Return key names stored by current node in a slot.",
    "FLUSHSLOTS",
    "    Delete current node own slots information.",
    "INFO",
    "    Return information about the cluster.",
    "KEYSLOT <key>",
    "    Return the hash slot for <key>.",
    "MEET <ip> <port> [<bus-port>]",
    "    Connect nodes into a working cluster.",
    "MYID",
    "    Return the node id.",
    "NODES",
    "    Return cluster configuration seen by node. Output format:",
    "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
    "REPLICATE <node-id>",
    "    Configure current node as replica to <node-id>.",
    "RESET [HARD|SOFT]",
    "    Reset current node (default: soft).",
    "SET-CONFIG-EPOCH <epoch>",
    "    Set config epoch of current node.",
    "SETSLOT <slot> (IMPORTING|MIGRATING|STABLE|NODE <node-id>)",
    "    Set slot state.",
    "REPLICAS <node-id>",
    "    Return <node-id> replicas.",
    "SAVECONFIG",
    "    Force saving cluster configuration on disk.",
    "SLOTS",
    "    Return information about slots range mappings. Each range is made of:",
    "    start, end, master and replicas IP addresses, ports and ids",
]


def _cluster(c):
    cl = c.server.cluster
    if cl is None:
        raise RedisError(errors.CLUSTER_DISABLED)
    return cl


def _int(b: bytes) -> int:
    """getLongLongFromObjectOrReply."""
    v = to_int(b)
    if v is None:
        raise RedisError(errors.NOT_INTEGER)
    return v


def _slot(b: bytes) -> int:
    """getSlotOrReply."""
    v = to_int(b)
    if v is None or v < 0 or v >= CLUSTER_SLOTS:
        raise RedisError(errors.CLUSTER_INVALID_SLOT)
    return v


def _text(b: bytes) -> str:
    return b.decode("utf-8", "replace")


# --------------------------------------------------------------------------- replies


def nodes_text(cl) -> bytes:
    """clusterGenNodesDescription: every known node (not in handshake), one per line."""
    out = []
    for n in cl.nodes.values():
        if "handshake" in n.flags:
            continue
        out.append(describe(n, cl.table, cl.myself) + "\n")
    return "".join(out).encode()


def info_text(cl) -> bytes:
    """CLUSTER INFO."""
    me = cl.myself
    assigned = ok = pfail = fail = 0
    for n in cl.table.owner:
        if n is None:
            continue
        assigned += 1
        if n.failed:
            fail += 1
        elif n.timed_out:
            pfail += 1
        else:
            ok += 1
    myepoch = me.master.config_epoch if me.is_replica and me.master is not None else me.config_epoch
    return (
        "cluster_state:%s\r\n"
        "cluster_slots_assigned:%d\r\n"
        "cluster_slots_ok:%d\r\n"
        "cluster_slots_pfail:%d\r\n"
        "cluster_slots_fail:%d\r\n"
        "cluster_known_nodes:%d\r\n"
        "cluster_size:%d\r\n"
        "cluster_current_epoch:%d\r\n"
        "cluster_my_epoch:%d\r\n"
        "cluster_stats_messages_sent:0\r\n"
        "cluster_stats_messages_received:0\r\n"
        % ("ok" if cl.ok else "fail", assigned, ok, pfail, fail, len(cl.nodes), cl.size,
           cl.current_epoch, myepoch)).encode()


def slots_reply(cl) -> list:
    """clusterReplyMultiBulkSlots: [start, end, [ip, port, id], replicas...] per run."""
    out = []
    for start, end, n in cl.table.runs():
        entry = [start, end, [n.ip.encode(), n.port, n.name]]
        for r in n.replicas:
            if r.failed:
                continue
            entry.append([r.ip.encode(), r.port, r.name])
        out.append(entry)
    return out


# --------------------------------------------------------------------------- CLUSTER


@command("cluster", -2, "admin random stale", "")
def cluster(c, argv):
    "CLUSTER <subcommand> [<arg> [value] [opt] ...]"
    cl = _cluster(c)
    n = len(argv)
    sub = argv[1].lower()
    fn = _SUBCOMMANDS.get(sub)
    if fn is None or not fn[1](n):
        raise subcommand_error(argv)
    return fn[0](c, cl, argv)


def _help(c, cl, argv):
    return help_reply(argv[0], _HELP)


def _meet(c, cl, argv):
    "CLUSTER MEET ip port [bus-port]"
    port = to_int(argv[3])
    if port is None:
        raise RedisError(errors.CLUSTER_MEET_PORT % _text(argv[3]))
    if len(argv) == 5:
        cport = to_int(argv[4])
        if cport is None:
            raise RedisError(errors.CLUSTER_MEET_BUS_PORT % _text(argv[4]))
    else:
        cport = port + 10000
    try:
        ipaddress.ip_address(_text(argv[2]))
        valid = 0 < port <= 65535 and 0 < cport <= 65535
    except ValueError:
        valid = False
    if not valid:
        raise RedisError(errors.CLUSTER_MEET_ADDRESS % (_text(argv[2]), _text(argv[3])))
    raise RedisError(errors.CLUSTER_MEET_UNSUPPORTED)


def _nodes(c, cl, argv):
    "CLUSTER NODES"
    return resp.Verbatim(nodes_text(cl))


def _myid(c, cl, argv):
    "CLUSTER MYID"
    return cl.myself.name


def _slots(c, cl, argv):
    "CLUSTER SLOTS"
    return slots_reply(cl)


def _flushslots(c, cl, argv):
    "CLUSTER FLUSHSLOTS"
    if len(c.server.dbs[0].data) != 0:
        raise RedisError(errors.CLUSTER_FLUSHSLOTS_NOT_EMPTY)
    cl.table.delete_node_slots(cl.myself)
    cl.changed()
    return resp.OK


def _addslots(c, cl, argv):
    "CLUSTER ADDSLOTS slot [slot ...] / CLUSTER DELSLOTS slot [slot ...]"
    delete = argv[1].lower() == b"delslots"
    table = cl.table
    seen = set()
    for a in argv[2:]:
        s = _slot(a)
        if delete and table.owner[s] is None:
            raise RedisError(errors.CLUSTER_SLOT_UNASSIGNED % s)
        if not delete and table.owner[s] is not None:
            raise RedisError(errors.CLUSTER_SLOT_BUSY % s)
        if s in seen:
            raise RedisError(errors.CLUSTER_SLOT_TWICE % s)
        seen.add(s)
    for s in sorted(seen):
        table.importing.pop(s, None)
        if delete:
            table.delete(s)
        else:
            table.add(s, cl.myself)
    cl.changed()
    return resp.OK


def _setslot(c, cl, argv):
    "CLUSTER SETSLOT slot IMPORTING|MIGRATING|STABLE|NODE [node-id]"
    me = cl.myself
    if me.is_replica:
        raise RedisError(errors.CLUSTER_SETSLOT_SLAVE)
    slot = _slot(argv[2])
    action = argv[3].lower()
    n = len(argv)
    table = cl.table
    if action == b"migrating" and n == 5:
        if table.owner[slot] is not me:
            raise RedisError(errors.CLUSTER_NOT_OWNER % slot)
        node = cl.lookup(argv[4])
        if node is None:
            raise RedisError(errors.CLUSTER_DONT_KNOW_NODE % _text(argv[4]))
        if node.is_replica:
            raise RedisError(errors.CLUSTER_TARGET_NOT_MASTER)
        table.migrating[slot] = node
    elif action == b"importing" and n == 5:
        if table.owner[slot] is me:
            raise RedisError(errors.CLUSTER_ALREADY_OWNER % slot)
        node = cl.lookup(argv[4])
        if node is None:
            raise RedisError(errors.CLUSTER_DONT_KNOW_NODE % _text(argv[4]))
        if node.is_replica:
            raise RedisError(errors.CLUSTER_TARGET_NOT_MASTER)
        table.importing[slot] = node
    elif action == b"stable" and n == 4:
        table.importing.pop(slot, None)
        table.migrating.pop(slot, None)
    elif action == b"node" and n == 5:
        node = cl.lookup(argv[4])
        if node is None:
            raise RedisError(errors.CLUSTER_UNKNOWN_NODE % _text(argv[4]))
        if table.owner[slot] is me and node is not me and cl.count_keys_in_slot(slot) != 0:
            raise RedisError(errors.CLUSTER_SETSLOT_KEYS % slot)
        if slot in table.migrating and cl.count_keys_in_slot(slot) == 0:
            del table.migrating[slot]
        if node is me and slot in table.importing:
            _bump_epoch(cl)
            del table.importing[slot]
        table.delete(slot)
        table.add(slot, node)
    else:
        raise RedisError(errors.CLUSTER_SETSLOT_INVALID)
    cl.changed()
    return resp.OK


def _bump_epoch(cl) -> bool:
    """clusterBumpConfigEpochWithoutConsensus."""
    me = cl.myself
    if me.config_epoch == 0 or me.config_epoch != cl.max_epoch():
        cl.current_epoch += 1
        me.config_epoch = cl.current_epoch
        cl.save_quietly()
        return True
    return False


def _bumpepoch(c, cl, argv):
    "CLUSTER BUMPEPOCH"
    bumped = _bump_epoch(cl)
    return resp.Simple(b"%s %d" % (b"BUMPED" if bumped else b"STILL", cl.myself.config_epoch))


def _info(c, cl, argv):
    "CLUSTER INFO"
    return resp.Verbatim(info_text(cl))


def _saveconfig(c, cl, argv):
    "CLUSTER SAVECONFIG"
    try:
        cl.save()
    except OSError as e:
        raise RedisError(errors.CLUSTER_SAVECONFIG_FAILED % e.strerror)
    return resp.OK


def _keyslot(c, cl, argv):
    "CLUSTER KEYSLOT key"
    return keyslot(argv[2])


def _countkeysinslot(c, cl, argv):
    "CLUSTER COUNTKEYSINSLOT slot"
    slot = _int(argv[2])
    if slot < 0 or slot >= CLUSTER_SLOTS:
        raise RedisError(errors.CLUSTER_COUNTKEYS_INVALID)
    return cl.count_keys_in_slot(slot)


def _getkeysinslot(c, cl, argv):
    "CLUSTER GETKEYSINSLOT slot count"
    slot = _int(argv[2])
    maxkeys = _int(argv[3])
    if slot < 0 or slot >= CLUSTER_SLOTS or maxkeys < 0:
        raise RedisError(errors.CLUSTER_GETKEYS_INVALID)
    keys = cl.keys_in_slot(slot)
    if maxkeys == 0 or not keys:
        return []
    if maxkeys >= len(keys):
        return sorted(keys)
    import heapq

    return heapq.nsmallest(maxkeys, keys)


def _forget(c, cl, argv):
    "CLUSTER FORGET node-id"
    node = cl.lookup(argv[2])
    me = cl.myself
    if node is None:
        raise RedisError(errors.CLUSTER_UNKNOWN_NODE % _text(argv[2]))
    if node is me:
        raise RedisError(errors.CLUSTER_FORGET_MYSELF)
    if me.is_replica and me.master is node:
        raise RedisError(errors.CLUSTER_FORGET_MASTER)
    # other nodes exist only once nodes can MEET (multi-node clusters)
    raise RedisError(errors.CLUSTER_MEET_UNSUPPORTED)


def _replicate(c, cl, argv):
    "CLUSTER REPLICATE node-id"
    node = cl.lookup(argv[2])
    me = cl.myself
    if node is None:
        raise RedisError(errors.CLUSTER_UNKNOWN_NODE % _text(argv[2]))
    if me.master is node:
        return resp.OK
    if node is me:
        raise RedisError(errors.CLUSTER_REPLICATE_MYSELF)
    raise RedisError(errors.CLUSTER_MEET_UNSUPPORTED)


def _replicas(c, cl, argv):
    "CLUSTER REPLICAS node-id / CLUSTER SLAVES node-id"
    node = cl.lookup(argv[2])
    if node is None:
        raise RedisError(errors.CLUSTER_UNKNOWN_NODE % _text(argv[2]))
    if node.is_replica:
        raise RedisError(errors.CLUSTER_NOT_A_MASTER)
    return [describe(r, cl.table, cl.myself).encode() for r in node.replicas]


def _count_failure_reports(c, cl, argv):
    "CLUSTER COUNT-FAILURE-REPORTS node-id"
    node = cl.lookup(argv[2])
    if node is None:
        raise RedisError(errors.CLUSTER_UNKNOWN_NODE % _text(argv[2]))
    return len(node.fail_reports)


def _failover(c, cl, argv):
    "CLUSTER FAILOVER [FORCE|TAKEOVER]"
    if len(argv) == 3 and argv[2].lower() not in (b"force", b"takeover"):
        raise RedisError(errors.SYNTAX)
    if cl.myself.is_master:
        raise RedisError(errors.CLUSTER_FAILOVER_TO_MASTER)
    raise RedisError(errors.CLUSTER_MEET_UNSUPPORTED)


def _set_config_epoch(c, cl, argv):
    "CLUSTER SET-CONFIG-EPOCH epoch"
    epoch = _int(argv[2])
    me = cl.myself
    if epoch < 0:
        raise RedisError(errors.CLUSTER_INVALID_EPOCH % epoch)
    if len(cl.nodes) > 1:
        raise RedisError(errors.CLUSTER_EPOCH_OTHER_NODES)
    if me.config_epoch != 0:
        raise RedisError(errors.CLUSTER_EPOCH_NONZERO)
    me.config_epoch = epoch
    if cl.current_epoch < epoch:
        cl.current_epoch = epoch
    cl.changed()
    return resp.OK


def _reset(c, cl, argv):
    "CLUSTER RESET [HARD|SOFT]"
    hard = False
    if len(argv) == 3:
        opt = argv[2].lower()
        if opt == b"hard":
            hard = True
        elif opt != b"soft":
            raise RedisError(errors.SYNTAX)
    me = cl.myself
    if me.is_master and len(c.db.data) != 0:
        raise RedisError(errors.CLUSTER_RESET_NOT_EMPTY)
    table = cl.table
    table.migrating.clear()
    table.importing.clear()
    for s in range(CLUSTER_SLOTS):
        table.delete(s)
    for name in [k for k, v in cl.nodes.items() if v is not me]:
        del cl.nodes[name]
    me.replicas = []
    if hard:
        cl.current_epoch = 0
        cl.last_vote_epoch = 0
        me.config_epoch = 0
        del cl.nodes[me.name]
        me.name = random_node_id()
        cl.nodes[me.name] = me
    cl.changed()
    return resp.OK


# name -> (handler, accepts(argc))
_SUBCOMMANDS = {
    b"help": (_help, lambda n: n == 2),
    b"meet": (_meet, lambda n: n in (4, 5)),
    b"nodes": (_nodes, lambda n: n == 2),
    b"myid": (_myid, lambda n: n == 2),
    b"slots": (_slots, lambda n: n == 2),
    b"flushslots": (_flushslots, lambda n: n == 2),
    b"addslots": (_addslots, lambda n: n >= 3),
    b"delslots": (_addslots, lambda n: n >= 3),
    b"setslot": (_setslot, lambda n: n >= 4),
    b"bumpepoch": (_bumpepoch, lambda n: n == 2),
    b"info": (_info, lambda n: n == 2),
    b"saveconfig": (_saveconfig, lambda n: n == 2),
    b"keyslot": (_keyslot, lambda n: n == 3),
    b"countkeysinslot": (_countkeysinslot, lambda n: n == 3),
    b"getkeysinslot": (_getkeysinslot, lambda n: n == 4),
    b"forget": (_forget, lambda n: n == 3),
    b"replicate": (_replicate, lambda n: n == 3),
    b"slaves": (_replicas, lambda n: n == 3),
    b"replicas": (_replicas, lambda n: n == 3),
    b"count-failure-reports": (_count_failure_reports, lambda n: n == 3),
    b"failover": (_failover, lambda n: n in (2, 3)),
    b"set-config-epoch": (_set_config_epoch, lambda n: n == 3),
    b"reset": (_reset, lambda n: n in (2, 3)),
}


# --------------------------------------------------------------------------- READONLY & co


@command("readonly", 1, "fast no-data", "@keyspace")
def readonly(c, argv):
    "READONLY"
    _cluster(c)
    if "r" not in c.flags:
        c.flags += "r"
    return resp.OK


@command("readwrite", 1, "fast no-data", "@keyspace")
def readwrite(c, argv):
    "READWRITE"
    c.flags = c.flags.replace("r", "")
    return resp.OK


@command("asking", 1, "fast no-data", "@keyspace")
def asking(c, argv):
    "ASKING"
    _cluster(c)
    if "a" not in c.flags:
        c.flags += "a"
    return resp.OK


def _clear_flags(c) -> None:
    """RESET / disconnect: clearClientConnectionState drops READONLY and ASKING."""
    if c.flags:
        c.flags = c.flags.replace("r", "").replace("a", "")


def _register_hook():
    from ..app import Server

    if _clear_flags not in Server.on_client_gone:
        Server.on_client_gone.append(_clear_flags)


_register_hook()
