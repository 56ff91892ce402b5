"""Connection commands: PING, ECHO, SELECT, QUIT, HELLO, AUTH, RESET, CLIENT ..."""

from __future__ import annotations

from .. import errors, resp
from ..args import to_int
from ..errors import RedisError
from ..registry import command


@command("ping", -1, "stale fast no-data", "@fast @connection")
def ping(c, argv):
    "PING [message]"
    if len(argv) > 2:
        raise RedisError(errors.WRONG_ARITY % "ping")
    if c.proto == 2 and (c.pubsub_channels or c.pubsub_patterns):
        return [b"pong", argv[1] if len(argv) == 2 else b""]
    if len(argv) == 2:
        return argv[1]
    return resp.PONG


@command("echo", 2, "fast no-data", "@fast @connection")
def echo(c, argv):
    "ECHO message"
    return argv[1]


@command("select", 2, "loading stale fast no-data", "@keyspace @fast")
def select(c, argv):
    "SELECT index"
    idx = to_int(argv[1])
    if idx is None:
        raise RedisError(errors.NOT_INTEGER)
    if c.server.cluster is not None and idx != 0:
        raise RedisError(errors.SELECT_CLUSTER)
    if idx < 0 or idx >= len(c.server.dbs):
        raise RedisError(errors.DB_INDEX_OUT_OF_RANGE)
    c.db = c.server.dbs[idx]
    return resp.OK


@command("quit", -1, "no-auth no-data", "@connection @fast")
def quit_(c, argv):
    "QUIT"
    c.emit(resp.OK)
    c.close_after_reply()
    from ..dispatch import BLOCKED
    return BLOCKED
