"""Connection commands: PING, ECHO, SELECT, HELLO, AUTH, RESET (CLIENT lives in clientcmd.py).

QUIT is not here: in Redis 6.2 it is not a command-table entry (``COMMAND INFO quit`` is nil);
``processCommand`` answers it before the lookup, with any arguments, before AUTH and inside
MULTI alike.  :func:`perdure.server.dispatch.process` does the same.

Authentication goes through ``server.authenticate(c, user, password)`` (the ACL module replaces
it), so AUTH and HELLO ... AUTH behave the same with or without ACL users.
"""

from __future__ import annotations

from .. import errors, resp
from ..app import VERSION
from ..args import to_int
from ..errors import RedisError
from ..registry import command
from . import clientcmd  # noqa: F401  (registers CLIENT)
from .clientcmd import set_name_or_error
from .keys import parse_c_int

HELLO_NOAUTH = ("NOAUTH HELLO must be called with the client already authenticated, otherwise "
                "the HELLO AUTH <user> <pass> option can be used to authenticate the client and "
                "select the RESP protocol version at the same time")
HELLO_VERSION = "ERR Protocol version is not an integer or out of range"
HELLO_SYNTAX = "ERR Syntax error in HELLO option '%s'"
AUTH_NOPASS = ("ERR AUTH <password> called without any password configured for the default "
               "user. Are you sure your configuration is correct?")
RESET_NOT_NORMAL = "ERR can only reset normal client connections"


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
    idx = parse_c_int(argv[1])  # getIntFromObjectOrReply: beyond 32 bits is "out of range"
    if c.server.cluster is not None and idx != 0 and not c.server.replaying:
        raise RedisError(errors.SELECT_CLUSTER)
    if idx < 0 or idx >= len(c.server.dbs):
        raise RedisError(errors.DB_INDEX_OUT_OF_RANGE)
    c.db = c.server.dbs[idx]
    return resp.OK


@command("auth", -2, "noscript loading stale fast no-auth no-data", "@fast @connection")
def auth(c, argv):
    "AUTH [username] password"
    n = len(argv)
    if n > 3:
        raise RedisError(errors.SYNTAX)
    srv = c.server
    if n == 2:
        if _default_user_nopass(srv):
            # the default user is passwordless: AUTH <password> is surely a configuration mistake
            raise RedisError(AUTH_NOPASS)
        user, password = b"default", argv[1]
    else:
        user, password = argv[1], argv[2]
    if srv.authenticate(c, user, password, argv[0]):
        return resp.OK
    raise RedisError(errors.WRONGPASS)


def _default_user_nopass(srv) -> bool:
    """DefaultUser->flags & USER_FLAG_NOPASS."""
    acl = srv.acl
    user = acl.default_user() if acl is not None else None
    if user is not None and hasattr(user, "nopass"):
        return bool(user.nopass)
    return not srv.auth_required()


@command("hello", -1, "noscript loading stale fast no-auth no-data", "@fast @connection")
def hello(c, argv):
    "HELLO [protover [AUTH username password] [SETNAME clientname]]"
    n = len(argv)
    ver = 0
    j = 1
    if n >= 2:
        ver = to_int(argv[1])
        if ver is None:
            raise RedisError(HELLO_VERSION)
        if ver < 2 or ver > 3:
            raise RedisError(errors.NO_PROTO)
        j = 2
    srv = c.server
    while j < n:
        more = n - 1 - j
        opt = argv[j].lower()
        if opt == b"auth" and more >= 2:
            if not srv.authenticate(c, argv[j + 1], argv[j + 2], argv[0]):
                raise RedisError(errors.WRONGPASS)
            j += 3
        elif opt == b"setname" and more:
            set_name_or_error(c, argv[j + 1])
            j += 2
        else:
            raise RedisError(HELLO_SYNTAX % argv[j].decode("utf-8", "replace"))
    if not c.authenticated:
        raise RedisError(HELLO_NOAUTH)
    if ver:
        c.proto = ver
    return resp.Map({
        b"server": b"redis",
        b"version": VERSION.encode(),
        b"proto": c.proto,
        b"id": c.id,
        b"mode": b"cluster" if srv.cluster is not None else b"standalone",
        b"role": b"master" if srv.masterhost is None else b"replica",
        b"modules": [],
    })


@command("reset", 1, "noscript loading stale fast no-data", "@fast @connection")
def reset(c, argv):
    "RESET"
    if c.conn_type in ("master", "slave", "replica") and not c.monitor:
        raise RedisError(RESET_NOT_NORMAL)
    clear_connection_state(c)
    return resp.Simple(b"RESET")


def clear_connection_state(c) -> None:
    """clearClientConnectionState: what RESET undoes (the connection itself stays)."""
    srv = c.server
    # MULTI/WATCH, subscriptions, MONITOR, tracking: the modules that own that state registered
    # on_client_gone hooks, which RESET runs on a client that stays connected.
    for fn in srv.on_client_gone:
        fn(c)
    c.multi = None
    c.multi_error = False
    c.watched = None
    c.dirty_cas = False
    c.pubsub_channels.clear()
    c.pubsub_patterns.clear()
    c.monitor = False
    c.tracking = None
    c.db = srv.dbs[0]
    c.proto = 2
    c.user = srv.acl.default_user() if srv.acl else None
    c.authenticated = not srv.auth_required()
    c.name = b""
    if c.reply_mode != 3:  # Redis clears REPLY OFF / SKIP-next, not the skip of this command
        c.reply_mode = 0
