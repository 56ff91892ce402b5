"""Cluster nodes and their persistence: the cluster config file (``nodes.conf``).

The file has Redis Cluster's format, so it reads the same as a real node's::

    <node id> <ip>:<port>@<cport> myself,master - 0 0 <config epoch> connected 0-16383
    vars currentEpoch 0 lastVoteEpoch 0

It lives in the data directory (``cluster-config-file``, default ``nodes.conf``, relative to
``dir``).  The node id is generated once, when the file is first created, and read back on every
start: a node keeps its identity across restarts and crashes.  The file is replaced atomically
(temporary file, fsync, rename, fsync of the directory), and a lock file next to it (``flock``)
keeps two servers from using the same one, as Redis refuses to.
"""

from __future__ import annotations

import os

from .slots import CLUSTER_SLOTS

NAMELEN = 40

# representClusterNodeFlags order
_FLAG_ORDER = ("myself", "master", "slave", "fail?", "fail", "handshake", "noaddr", "nofailover")


class ConfigFileError(Exception):
    """The cluster config file cannot be used (the server must not start)."""


def random_node_id() -> bytes:
    """40 random lowercase hex characters, as Redis's getRandomHexChars."""
    return os.urandom(NAMELEN // 2).hex().encode()


class Node:
    """One cluster node as this node knows it (Redis's ``clusterNode``)."""

    __slots__ = ("name", "ip", "port", "cport", "pport", "flags", "master", "ping_sent",
                 "pong_received", "config_epoch", "numslots", "replicas", "fail_reports")

    def __init__(self, name: bytes, flags=("master",)):
        self.name = name
        self.ip = ""
        self.port = 0
        self.cport = 0
        self.pport = 0
        self.flags = set(flags)
        self.master = None          # the master Node of a replica
        self.ping_sent = 0
        self.pong_received = 0
        self.config_epoch = 0
        self.numslots = 0
        self.replicas: list = []
        self.fail_reports: list = []

    @property
    def is_master(self) -> bool:
        return "master" in self.flags

    @property
    def is_replica(self) -> bool:
        return "slave" in self.flags

    @property
    def failed(self) -> bool:
        return "fail" in self.flags

    @property
    def timed_out(self) -> bool:
        return "fail?" in self.flags

    def flags_text(self) -> str:
        fl = [f for f in _FLAG_ORDER if f in self.flags]
        return ",".join(fl) if fl else "noflags"


def describe(node: Node, table, myself: Node, use_pport: bool = False) -> str:
    """clusterGenNodeDescription: one CLUSTER NODES / nodes.conf line (no newline)."""
    port = node.pport if use_pport and node.pport else node.port
    parts = ["%s %s:%d@%d %s %s %d %d %d %s" % (
        node.name.decode(), node.ip, port, node.cport, node.flags_text(),
        node.master.name.decode() if node.master is not None else "-",
        node.ping_sent, node.pong_received,
        node.master.config_epoch if node.is_replica and node.master is not None else node.config_epoch,
        "connected" if node is myself else "disconnected")]
    if node.numslots:
        owner = table.owner
        start = -1
        for j in range(CLUSTER_SLOTS + 1):
            mine = j < CLUSTER_SLOTS and owner[j] is node
            if mine:
                if start < 0:
                    start = j
            elif start >= 0:
                parts.append(str(start) if start == j - 1 else "%d-%d" % (start, j - 1))
                start = -1
    if node is myself:
        for j in sorted(set(table.migrating) | set(table.importing)):
            if j in table.migrating:
                parts.append("[%d->-%s]" % (j, table.migrating[j].name.decode()))
            else:
                parts.append("[%d-<-%s]" % (j, table.importing[j].name.decode()))
    return " ".join(parts)


class ParsedConfig:
    """What a cluster config file holds."""

    def __init__(self):
        self.nodes: dict = {}          # name -> Node
        self.myself: Node | None = None
        self.slots: dict = {}          # slot -> node name
        self.migrating: dict = {}      # slot -> node name
        self.importing: dict = {}      # slot -> node name
        self.current_epoch = 0
        self.last_vote_epoch = 0


def parse(text: str, path: str = "nodes.conf") -> ParsedConfig:
    """clusterLoadConfig's parser.  Raises :class:`ConfigFileError` on a damaged file."""
    cfg = ParsedConfig()
    masters = {}
    for lineno, line in enumerate(text.split("\n"), 1):
        argv = line.split()
        if not argv:
            continue
        if argv[0] == "vars":
            for j in range(1, len(argv) - 1, 2):
                try:
                    if argv[j] == "currentEpoch":
                        cfg.current_epoch = int(argv[j + 1])
                    elif argv[j] == "lastVoteEpoch":
                        cfg.last_vote_epoch = int(argv[j + 1])
                except ValueError:
                    raise ConfigFileError("Unrecoverable error: corrupted cluster config file "
                                          "'%s' (line %d)." % (path, lineno)) from None
            continue
        if len(argv) < 8:
            raise ConfigFileError("Unrecoverable error: corrupted cluster config file "
                                  "'%s' (line %d)." % (path, lineno))
        try:
            name = argv[0].encode()
            node = cfg.nodes.get(name) or Node(name, ())
            node.flags = set()
            addr = argv[1].split(",", 1)[0]
            hostport, _, cport = addr.partition("@")
            ip, _, port = hostport.rpartition(":")
            node.ip = ip
            node.port = int(port)
            node.cport = int(cport) if cport else node.port + 10000
            for f in argv[2].split(","):
                if f != "noflags":
                    node.flags.add(f)
            if "myself" in node.flags:
                cfg.myself = node
            if argv[3] != "-":
                masters[name] = argv[3].encode()
            node.ping_sent = int(argv[4])
            node.pong_received = int(argv[5])
            node.config_epoch = int(argv[6])
            cfg.nodes[name] = node
            for tok in argv[8:]:
                if tok.startswith("["):
                    body = tok[1:-1]
                    if "->-" in body:
                        s, other = body.split("->-")
                        cfg.migrating[int(s)] = other.encode()
                    else:
                        s, other = body.split("-<-")
                        cfg.importing[int(s)] = other.encode()
                    continue
                lo, _, hi = tok.partition("-")
                for s in range(int(lo), int(hi or lo) + 1):
                    if not 0 <= s < CLUSTER_SLOTS:
                        raise ValueError(tok)
                    cfg.slots[s] = name
        except ValueError:
            raise ConfigFileError("Unrecoverable error: corrupted cluster config file "
                                  "'%s' (line %d)." % (path, lineno)) from None
    for name, mname in masters.items():
        m = cfg.nodes.get(mname)
        if m is None:
            m = cfg.nodes[mname] = Node(mname, ("master", "noaddr"))
        cfg.nodes[name].master = m
        m.replicas.append(cfg.nodes[name])
    if cfg.nodes and cfg.myself is None:
        raise ConfigFileError("Unrecoverable error: corrupted cluster config file '%s' "
                              "(no node flagged myself)." % path)
    return cfg


class ConfigFile:
    """The cluster config file of this node: locked for the life of the server."""

    def __init__(self, path: str):
        self.path = path
        self.lock_fd = -1

    def lock(self) -> None:
        """clusterLockConfig: refuse to share the file with another running server."""
        import fcntl

        fd = os.open(self.path + ".lock", os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise ConfigFileError(
                "Sorry, the cluster configuration file %s is already used by a different Redis "
                "Cluster node. Please make sure that different nodes use different cluster "
                "configuration files." % os.path.basename(self.path)) from None
        self.lock_fd = fd

    def read(self) -> ParsedConfig | None:
        """The parsed file, or None if it does not exist (or is empty: a fresh node)."""
        try:
            with open(self.path, encoding="utf-8") as f:
                text = f.read()
        except FileNotFoundError:
            return None
        if not text.strip():
            return None
        return parse(text, os.path.basename(self.path))

    def write(self, text: str) -> None:
        """Replace the file atomically and durably.  Raises OSError."""
        directory = os.path.dirname(os.path.abspath(self.path))
        tmp = "%s.tmp-%d" % (self.path, os.getpid())
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            try:
                os.write(fd, text.encode())
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        try:
            dfd = os.open(directory, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(dfd)
        except OSError:
            pass
        finally:
            os.close(dfd)

    def close(self) -> None:
        if self.lock_fd >= 0:
            os.close(self.lock_fd)
            self.lock_fd = -1
