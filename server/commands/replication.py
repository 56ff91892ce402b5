"""Replication commands (the machinery is :mod:`perdure.server.replication`), modules, and the
HTTP guard.

* SYNC / PSYNC: the connection becomes a replica: a full resynchronisation (RDB payload) or a
  continuation from the backlog, then the replication stream.
* REPLCONF: a replica's listening-port / ip-address / capa before it syncs, ACK after.
* REPLICAOF / SLAVEOF host port | NO ONE: become a replica of host:port, or a master again.
* ROLE: ``master`` with the offset and the replicas, or ``slave`` with the link state.
* WAIT numreplicas timeout: the replicas that acknowledged the caller's last write, waiting
  (timeout in milliseconds, 0 = forever) until enough have; at once inside MULTI.  The write
  itself is durable on this server before its reply: WAIT adds copies elsewhere.
* MODULE: Perdure loads no Redis modules (they are C shared objects for Redis's module API):
  LIST is empty, LOAD fails as a failed load does in Redis, UNLOAD finds no module.
* ``HOST:`` and ``POST``: securityWarningCommand.  An HTTP request sent to the port (a
  cross-protocol attack from a browser) closes the connection at once, without a reply to it or
  to anything still pending in the same read.
"""

from __future__ import annotations

import logging

from .. import errors, resp
from ..args import to_int
from ..dispatch import BLOCKED
from ..errors import RedisError
from ..registry import command
from .server import help_reply, subcommand_error

log = logging.getLogger("perdure.server")


@command("role", 1, "noscript ok-loading ok-stale fast", "@dangerous")
def role(c, argv):
    "ROLE"
    return c.server.repl.role()


@command("sync", 1, "admin noscript", "")
def sync(c, argv):
    "SYNC"
    return _sync(c, argv)


@command("psync", -3, "admin noscript", "")
def psync(c, argv):
    "PSYNC replicationid offset"
    return _sync(c, argv)


def _sync(c, argv):
    srv = c.server
    repl = srv.repl
    if c in repl.links:
        return BLOCKED  # already a replica: ignored
    if len(argv) > 3 and argv[0].lower() == b"psync" and argv[3].lower() == b"failover":
        # our master hands over (FAILOVER): become a master if we share its history
        log.warning("Failover request received for replid %s.", argv[1].decode("utf-8", "replace"))
        if srv.masterhost is None:
            raise RedisError("ERR PSYNC FAILOVER can't be sent to a master.")
        if argv[1].decode("latin-1").lower() != repl.replid:
            raise RedisError("ERR PSYNC FAILOVER replid must match my replid.")
        repl.unset_master()
        log.warning("MASTER MODE enabled (failover request from '%s')", c.addr)
    if repl.failover_state != "no-failover":
        raise RedisError("NOMASTERLINK Can't SYNC while failing over")
    if srv.masterhost is not None and repl.state != "connected":
        raise RedisError("NOMASTERLINK Can't SYNC while not connected with my master")
    if c.held or c.out:
        raise RedisError("ERR SYNC and PSYNC are invalid with pending output")
    if c.multi is not None or c.in_exec:
        raise RedisError("ERR Replica can't be initialized inside a MULTI")  # no reply in Redis
    repl.attach(c, argv)
    return BLOCKED


@command("replconf", -1, "admin noscript ok-loading ok-stale", "")
def replconf(c, argv):
    "REPLCONF option value [option value ...]"
    r = c.server.repl.replconf(c, argv)
    return BLOCKED if r is None else r


def _replicaof(c, argv):
    srv = c.server
    if srv.cluster is not None:
        raise RedisError("ERR REPLICAOF not allowed in cluster mode.")
    repl = srv.repl
    if argv[1].lower() == b"no" and argv[2].lower() == b"one":
        repl.unset_master()
        return resp.OK
    if c.conn_type == "slave":
        raise RedisError("ERR Command is not valid when client is a replica.")
    port = to_int(argv[2])
    if port is None:
        raise RedisError(errors.NOT_INTEGER)
    host = argv[1].decode("utf-8", "replace")
    if repl.host is not None and repl.host.lower() == host.lower() and repl.port == port:
        log.warning("REPLICAOF would result into synchronization with the master we are already "
                    "connected with. No operation performed.")
        return resp.Simple(b"OK Already connected to specified master")
    repl.set_master(host, port)
    log.warning("REPLICAOF %s:%d enabled (user request from '%s')", host, port, c.addr)
    return resp.OK


command("replicaof", 3, "admin noscript ok-stale", "")(_replicaof)


@command("failover", -1, "admin noscript ok-stale", "")
def failover(c, argv):
    "FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT milliseconds]"
    srv = c.server
    repl = srv.repl
    if srv.cluster is not None:
        raise RedisError("ERR FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead.")
    n = len(argv)
    if n == 2 and argv[1].lower() == b"abort":
        if repl.failover_state == "no-failover":
            raise RedisError("ERR No failover in progress.")
        repl.abort_failover("Failover manually aborted")
        return resp.OK
    timeout_ms = 0
    force = False
    target = None
    j = 1
    while j < n:
        opt = argv[j].lower()
        if opt == b"timeout" and j + 1 < n and timeout_ms == 0:
            timeout_ms = to_int(argv[j + 1])
            if timeout_ms is None:
                raise RedisError(errors.NOT_INTEGER)
            if timeout_ms <= 0:
                raise RedisError("ERR FAILOVER timeout must be greater than 0")
            j += 1
        elif opt == b"to" and j + 2 < n and target is None:
            port = to_int(argv[j + 2])
            if port is None:
                raise RedisError(errors.NOT_INTEGER)
            target = (argv[j + 1].decode("utf-8", "replace"), port)
            j += 2
        elif opt == b"force" and not force:
            force = True
        else:
            raise RedisError(errors.SYNTAX)
        j += 1
    if repl.failover_state != "no-failover":
        raise RedisError("ERR FAILOVER already in progress.")
    if srv.masterhost is not None:
        raise RedisError("ERR FAILOVER is not valid when server is a replica.")
    if not repl.links:
        raise RedisError("ERR FAILOVER requires connected replicas.")
    if force and (not timeout_ms or target is None):
        raise RedisError("ERR FAILOVER with force option requires both a timeout and target HOST and IP.")
    if target is not None and repl.find_replica(*target) is None:
        raise RedisError("ERR FAILOVER target HOST and PORT is not a replica.")
    repl.start_failover(target, timeout_ms, force)
    return resp.OK
command("slaveof", 3, "admin noscript ok-stale", "")(_replicaof)


def _wait_timeout_ms(b: bytes) -> int:
    v = to_int(b)
    if v is None:
        raise RedisError("ERR timeout is not an integer or out of range")
    if v < 0:
        raise RedisError(errors.TIMEOUT_NEGATIVE)
    return v


@command("wait", 3, "noscript", "@keyspace")
def wait(c, argv):
    "WAIT numreplicas timeout"
    srv = c.server
    if srv.masterhost is not None:
        raise RedisError("ERR WAIT cannot be used with replica instances. Please also note that since "
                         "Redis 4.0 if a replica is configured to be writable (which is not the "
                         "default) writes to replicas are just local and are not propagated.")
    numreplicas = to_int(argv[1])
    if numreplicas is None:
        raise RedisError(errors.NOT_INTEGER)
    timeout_ms = _wait_timeout_ms(argv[2])
    return srv.repl.wait(c, numreplicas, timeout_ms)


_MODULE_HELP = [
    "LIST",
    "    Return a list of loaded modules.",
    "LOAD <path> [<arg> ...]",
    "    Load a module library from <path>, passing to it any optional arguments.",
    "UNLOAD <name>",
    "    Unload a module.",
]


@command("module", -2, "admin noscript", "")
def module(c, argv):
    "MODULE LIST | LOAD path [arg ...] | UNLOAD name | HELP"
    sub = argv[1].lower()
    n = len(argv)
    if sub == b"help" and n == 2:
        return help_reply(argv[0], _MODULE_HELP)
    if sub == b"list" and n == 2:
        return []
    if sub == b"load" and n >= 3:
        log.warning("Module %s failed to load: Perdure does not load Redis modules",
                    argv[2].decode("utf-8", "replace"))
        raise RedisError("ERR Error loading the extension. Please check the server logs.")
    if sub == b"unload" and n == 3:
        raise RedisError("ERR Error unloading module: no such module with that name")
    raise subcommand_error(argv)


def _security_warning(c, argv):
    log.warning("Possible SECURITY ATTACK detected. It looks like somebody is sending POST or "
                "Host: commands to Redis. This is likely due to an attacker attempting to use "
                "Cross Protocol Scripting to compromise your Redis instance. Connection aborted.")
    c.out = bytearray()  # freeClientAsync: what this read produced is never written
    c.held.clear()
    c.close("security")
    return BLOCKED


command("host:", -1, "readonly ok-loading ok-stale", "")(_security_warning)
command("post", -1, "readonly ok-loading ok-stale", "")(_security_warning)
