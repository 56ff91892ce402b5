"""Redis Cluster mode (``cluster-enabled yes``): this node's view of the cluster.

:class:`Cluster` is ``server.cluster`` when cluster mode is on (None otherwise).  It holds:

* the known nodes (:mod:`.state`; today only *myself*: a one-node cluster), the slot table
  (:mod:`.slots`: owner of each of the 16384 slots, open migrating/importing slots), the
  current/last-vote epochs, all persisted in the cluster config file (``nodes.conf``);
* the cluster state (``ok``/``fail``, Redis's clusterUpdateState) and ``cluster_size``;
* :meth:`Cluster.check`, the dispatcher's slot check (Redis's getNodeByQuery +
  clusterRedirectClient): CROSSSLOT, CLUSTERDOWN, MOVED, ASK, TRYAGAIN;
* the slot -> keys index of database 0 (:mod:`.slotindex`).

A fresh node (no config file yet) gets a random node id and owns every slot, so a single
Perdure server is a complete cluster for any Redis Cluster client.  The node announces
``cluster-announce-ip``, or else its (first, non-wildcard) ``bind`` address, with the port it
serves TLS on: clients reconnect to exactly what they were given.  Redis itself learns its IP
from its peers and announces an empty one when alone; Perdure has no peers to ask.

The commands (CLUSTER, READONLY, READWRITE, ASKING) live in
:mod:`perdure.server.commands.cluster`.
"""

from __future__ import annotations

import logging
import os
import sys

from .. import errors
from ..errors import RedisError
from ..registry import Flag
from .slotindex import SlotIndex
from .slots import CLUSTER_SLOTS, SlotTable, keyslot
from .state import ConfigFile, ConfigFileError, Node, describe, random_node_id

log = logging.getLogger("perdure")

PORT_INCR = 10000  # CLUSTER_PORT_INCR: the bus port Redis derives from the client port
_WILDCARD = {"*", "0.0.0.0", "::", "::*", ""}

_CROSSSLOT = RedisError(errors.CROSSSLOT)
_DOWN_STATE = RedisError(errors.CLUSTERDOWN_STATE)
_DOWN_RO = RedisError(errors.CLUSTERDOWN_RO)
_DOWN_UNBOUND = RedisError(errors.CLUSTERDOWN_UNBOUND)
_TRYAGAIN = RedisError(errors.TRYAGAIN)
_WRITE = Flag.WRITE
_ASKING_FLAG = Flag.ASKING


def _keys(cmd, argv) -> list:
    """getKeysFromCommand: the keys of ``argv`` (none when the arguments are malformed)."""
    try:
        return cmd.keys(argv)
    except (RedisError, ValueError, IndexError):
        return []


def _cross_slot(keys):
    """CROSSSLOT if ``keys`` are not all in one slot (the same key twice is fine)."""
    if len(keys) < 2:
        return None
    first = keys[0]
    slot = keyslot(first)
    for k in keys:
        if k != first and keyslot(k) != slot:
            return _CROSSSLOT
    return None


class Cluster:
    def __init__(self, server):
        self.server = server
        cfg = server.config
        port = cfg["tls-port"]
        if port > 65535 - PORT_INCR:
            raise ConfigFileError(
                "Redis port number too high. Cluster communication port is 10,000 port numbers "
                "higher than your Redis port. Your Redis port number must be 55535 or less.")
        path = cfg["cluster-config-file"]
        if not os.path.isabs(path):
            path = os.path.join(cfg["dir"], path)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.file = ConfigFile(path)
        self.file.lock()
        self.table = SlotTable()
        self.nodes: dict = {}
        self.current_epoch = 0
        self.last_vote_epoch = 0
        parsed = self.file.read()
        if parsed is None:
            me = Node(random_node_id(), ("myself", "master"))
            self.nodes[me.name] = me
            self.myself = me
            self.table.add_all(me)
        else:
            self._install(parsed)
        self.ok = False
        self.size = 0
        self.fast = False
        self.slot_index = SlotIndex()
        self.update_announced()
        self.update_state()
        self.save()
        log.info("cluster node %s (%d slots)", self.myself.name.decode(), self.myself.numslots)
        cfg.listeners.append(self._config_changed)
        server.hooks_after_start.append(self._started)

    def _install(self, parsed) -> None:
        self.nodes = dict(parsed.nodes)
        self.myself = parsed.myself
        self.current_epoch = parsed.current_epoch
        self.last_vote_epoch = parsed.last_vote_epoch
        t = self.table
        for slot, name in parsed.slots.items():
            t.add(slot, self.nodes[name])
        for slot, name in parsed.migrating.items():
            n = self.nodes.get(name)
            if n is not None:
                t.migrating[slot] = n
        for slot, name in parsed.importing.items():
            n = self.nodes.get(name)
            if n is not None:
                t.importing[slot] = n

    # ---- addresses, state, persistence -----------------------------------------------------
    def _started(self, server) -> None:
        """After the data is loaded and the listener is up (the real port is known now)."""
        self.update_announced()
        self.verify_data()
        self.save_quietly()

    def verify_data(self) -> None:
        """verifyClusterConfigWithData: keys only in DB 0 (else exit, as Redis does); a slot
        holding keys that nobody serves is taken, one served elsewhere is set importing."""
        srv = self.server
        for db in srv.dbs[1:]:
            if db.data:
                msg = ("You can't have keys in a DB different than DB 0 when in Cluster mode. "
                       "Exiting.")
                log.error("%s", msg)
                print(msg, file=sys.stderr, flush=True)
                raise SystemExit(1)
        me = self.myself
        if me.is_replica or self.table.owns_everything(me):
            return
        table = self.table
        fixed = 0
        for s in {keyslot(k) for k in srv.dbs[0].data}:
            owner = table.owner[s]
            if owner is me or s in table.importing:
                continue
            fixed += 1
            if owner is None:
                log.warning("I have keys for unassigned slot %d. Taking responsibility for it.", s)
                table.add(s, me)
            else:
                log.warning("I have keys for slot %d, but the slot is assigned to another node. "
                            "Setting it to importing state.", s)
                table.importing[s] = owner
        if fixed:
            self.update_state()

    def update_announced(self) -> None:
        """deriveAnnouncedPorts + the announced IP, from the configuration."""
        srv = self.server
        cfg = srv.config
        me = self.myself
        ip = cfg["cluster-announce-ip"]
        if not ip:
            for h in cfg["bind"].split():
                h = h.lstrip("-")
                if h not in _WILDCARD:
                    ip = h
                    break
        port = getattr(srv, "port", None) or cfg["tls-port"]
        me.ip = ip
        me.port = port
        me.pport = 0
        if cfg["cluster-announce-tls-port"]:
            me.port = cfg["cluster-announce-tls-port"]
            me.pport = cfg["cluster-announce-port"]
        elif cfg["cluster-announce-port"]:
            me.port = cfg["cluster-announce-port"]
        me.cport = cfg["cluster-announce-bus-port"] or port + PORT_INCR

    def _config_changed(self, name, value) -> None:
        if name.startswith("cluster-announce-"):
            self.update_announced()
        elif name == "cluster-require-full-coverage":
            self.update_state()

    def update_state(self) -> None:
        """clusterUpdateState: ``ok`` unless a slot is unserved (with full coverage required)
        or too few masters serving slots are reachable."""
        ok = True
        owner = self.table.owner
        if self.server.config["cluster-require-full-coverage"]:
            if self.table.assigned < CLUSTER_SLOTS:
                ok = False
            else:
                for n in set(owner):
                    if n.failed:
                        ok = False
                        break
        size = reachable = 0
        for n in self.nodes.values():
            if n.is_master and n.numslots:
                size += 1
                if not (n.failed or n.timed_out):
                    reachable += 1
        if reachable < size // 2 + 1:
            ok = False
        self.ok = ok
        self.size = size
        self.fast = ok and self.table.owns_everything(self.myself)

    def config_text(self) -> str:
        lines = [describe(n, self.table, self.myself) for n in self.nodes.values()
                 if "handshake" not in n.flags]
        lines.append("vars currentEpoch %d lastVoteEpoch %d" % (self.current_epoch, self.last_vote_epoch))
        return "\n".join(lines) + "\n"

    def save(self) -> None:
        """clusterSaveConfig (with fsync).  Raises OSError."""
        self.file.write(self.config_text())

    def save_quietly(self) -> bool:
        try:
            self.save()
            return True
        except OSError as e:
            log.error("could not save the cluster config file %s: %s", self.file.path, e)
            return False

    def changed(self) -> None:
        """After a slot/epoch/node change: recompute the state and persist (CLUSTER_TODO_*)."""
        self.update_state()
        self.save_quietly()

    def lookup(self, name: bytes):
        """clusterLookupNode."""
        return self.nodes.get(name)

    def max_epoch(self) -> int:
        m = self.current_epoch
        for n in self.nodes.values():
            if n.config_epoch > m:
                m = n.config_epoch
        return m

    def count_keys_in_slot(self, slot: int) -> int:
        return self.slot_index.count(self.server.dbs[0], slot)

    def keys_in_slot(self, slot: int) -> set:
        return self.slot_index.keys_in_slot(self.server.dbs[0], slot)

    # ---- the dispatcher's check ------------------------------------------------------------
    def check(self, c, cmd, argv):
        """None if this node serves ``argv`` here, else the redirection/error to reply with.

        Called by the dispatcher for every command (after auth and ACL), as Redis's
        processCommand calls getNodeByQuery for commands with keys and for EXEC."""
        asking = False
        fl = c.flags
        if fl and "a" in fl:
            # CLIENT_ASKING lasts for one command (the whole transaction inside MULTI)
            asking = True
            if cmd.name != "asking" and (c.multi is None or cmd.name == "exec"):
                c.flags = fl.replace("a", "")
        if cmd.getkeys is None:
            if cmd.first_key == 0:
                if cmd.name != "exec":
                    return None
            elif self.fast and cmd.first_key == cmd.last_key:
                return None  # one key, every slot served here
        if self.fast:
            if cmd.name == "exec":
                queued = c.multi
                if not queued:
                    return None
                first = None
                slot = -1
                for qcmd, qargv in queued:
                    for k in _keys(qcmd, qargv):
                        if first is None:
                            first = k
                            slot = keyslot(k)
                        elif k != first and keyslot(k) != slot:
                            return self._exec_error(c, _CROSSSLOT)
                return None
            return _cross_slot(_keys(cmd, argv))
        err = self._query(c, cmd, argv, asking)
        if err is not None and cmd.name == "exec":
            return self._exec_error(c, err)
        return err

    def script_error(self, caller, cmd, argv):
        """For ``redis.call`` inside a script (luaRedisGenericCommand): None if this node
        serves ``argv``, else the Lua error text Redis 6.2 raises.  ``caller`` is the client
        running the script (its READONLY/ASKING flags apply)."""
        if self.server.loading or (cmd.getkeys is None and cmd.first_key == 0):
            return None
        if self.fast:
            err = _cross_slot(_keys(cmd, argv))
        else:
            err = self._query(caller, cmd, argv, "a" in caller.flags)
        if err is None:
            return None
        if err is _DOWN_RO:
            return "Lua script attempted to execute a write command while the cluster is down and readonly"
        if err is _DOWN_STATE:
            return "Lua script attempted to execute a command while the cluster is down"
        return "Lua script attempted to access a non local key in a cluster node"

    @staticmethod
    def _exec_error(c, err):
        from ..commands.transactions import discard_transaction

        discard_transaction(c)
        return err

    def _query(self, c, cmd, argv, asking):
        """getNodeByQuery + clusterRedirectClient for the general case (slots not all served
        here, open slots, cluster down)."""
        if cmd.name == "exec":
            if c.multi is None:
                return None
            cmds = c.multi
        else:
            cmds = ((cmd, argv),)
        table = self.table
        me = self.myself
        db0 = self.server.dbs[0]
        first = None
        n = None
        slot = 0
        multiple = migrating = importing = False
        missing = 0
        for mcmd, margv in cmds:
            for k in _keys(mcmd, margv):
                ks = keyslot(k)
                if first is None:
                    first = k
                    slot = ks
                    n = table.owner[ks]
                    if n is None:
                        return _DOWN_UNBOUND
                    if n is me and ks in table.migrating:
                        migrating = True
                    elif ks in table.importing:
                        importing = True
                elif k != first:
                    if ks != slot:
                        return _CROSSSLOT
                    multiple = True
                if (migrating or importing) and db0.lookup_read(k) is None:
                    missing += 1
        if n is None:
            return None
        if not self.ok:
            if not self.server.config["cluster-allow-reads-when-down"]:
                return _DOWN_STATE
            if cmd.flags & _WRITE:
                return _DOWN_RO
        if (migrating or importing) and cmd.name == "migrate":
            return None
        if migrating and missing:
            to = table.migrating[slot]
            if to is me:
                return None  # "migrating" to myself: the redirection would be to here
            return RedisError("ASK %d %s:%d" % (slot, to.ip, to.port))
        if importing and (asking or cmd.flags & _ASKING_FLAG):
            if multiple and missing:
                return _TRYAGAIN
            return None
        if ("r" in c.flags and not cmd.flags & _WRITE and me.is_replica and me.master is n):
            return None
        if n is not me:
            return RedisError("MOVED %d %s:%d" % (slot, n.ip, n.port))
        return None

    def close(self) -> None:
        self.file.close()


def setup(server):
    """``server.cluster`` for ``cluster-enabled yes``; exits (as Redis does) when the cluster
    config file cannot be used."""
    try:
        return Cluster(server)
    except (ConfigFileError, OSError) as e:
        log.error("%s", e)
        print(str(e), file=sys.stderr, flush=True)
        raise SystemExit(1) from None


__all__ = ["Cluster", "setup", "keyslot", "CLUSTER_SLOTS"]
