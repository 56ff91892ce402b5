"""Replication-facing commands of a master with no replicas, modules, and the HTTP guard.

* ROLE: ``master``, the replication offset, the (empty) list of replicas, as a 6.2 master with
  no replica attached answers.  Perdure has no replicas yet: REPLICAOF, SYNC, PSYNC and
  REPLCONF are not in the command table (unknown command), not faked.
* WAIT numreplicas timeout: with no replica, no write can be acknowledged by one: as Redis, a
  request for zero (or fewer) replicas answers 0 at once, any other blocks until the timeout
  (milliseconds, 0 = forever) or CLIENT UNBLOCK and then answers 0.  Inside MULTI it answers at
  once.  A write's own durability needs no WAIT here: its reply already waited for the log.
* MODULE: Perdure loads no Redis modules (they are C shared objects for Redis's module API):
  LIST is empty, LOAD fails as a failed load does in Redis, UNLOAD finds no module.
* ``HOST:`` and ``POST``: securityWarningCommand.  An HTTP request sent to the port (a
  cross-protocol attack from a browser) closes the connection at once, without a reply to it or
  to anything still pending in the same read.
"""

from __future__ import annotations

import logging

from .. import errors
from ..args import to_int
from ..errors import RedisError
from ..registry import command
from .server import help_reply, subcommand_error

log = logging.getLogger("perdure.server")


@command("role", 1, "noscript ok-loading ok-stale fast", "@dangerous")
def role(c, argv):
    "ROLE"
    return [b"master", 0, []]  # INFO replication: master_repl_offset:0 (no replication stream)


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
    numreplicas = to_int(argv[1])
    if numreplicas is None:
        raise RedisError(errors.NOT_INTEGER)
    timeout_ms = _wait_timeout_ms(argv[2])
    if numreplicas <= 0 or c.multi is not None or c.in_exec:
        return 0
    return c.server.block(c, [], timeout_ms / 1000.0, _never_ready, _no_replica_acked)


def _never_ready(c, key):
    return None


def _no_replica_acked(c):
    return 0


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
    from ..dispatch import BLOCKED

    return BLOCKED


command("host:", -1, "readonly ok-loading ok-stale", "")(_security_warning)
command("post", -1, "readonly ok-loading ok-stale", "")(_security_warning)
