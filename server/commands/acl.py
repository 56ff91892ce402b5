"""ACL command and the server side of ACLs: setup from config, the dispatcher's permission check,
authentication, ACL LOG entries and the disconnections ACL changes cause.

The rules themselves live in :mod:`perdure.acl` (which knows nothing about the server); this
module adapts the command table for it (:func:`build_table`), creates the :class:`Acl` from
the configuration (:func:`setup`: ``requirepass``, ``user`` lines, ``aclfile``), and provides
what :class:`~perdure.server.app.Server` delegates to: :func:`check` (``srv.acl_check``),
:func:`authenticate` (``srv.authenticate``) and :func:`log_denial`.

Disconnections, as Redis 6.2: ACL DELUSER and a successful ACL LOAD disconnect every client
authenticated as a deleted/replaced user; ACL SETUSER disconnects pub/sub clients whose
subscriptions the new channel rules no longer allow.  (Turning a user ``off`` or changing its
passwords does not disconnect anyone in 6.2.)
"""

from __future__ import annotations

import logging
import os
import sys
import time

import perdure.acl as _acl

from .. import errors, resp
from ..args import to_int
from ..errors import RedisError
from ..registry import COMMANDS, Flag, command

log = logging.getLogger("perdure")

Acl = _acl.Acl
AclError = _acl.AclError

USERS_AND_ACLFILE = (
    "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path "
    "is invalid. This setup is very likely to lead to configuration errors and security holes, "
    "please define either an ACL file or declare users directly in your redis.conf, but not both.")
NO_ACLFILE = (
    "ERR This Redis instance is not configured to use an ACL file. You may want to specify users "
    "via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis "
    "configuration file set) in order to store users in the Redis configuration.")
GENPASS_RANGE = ("ERR ACL GENPASS argument must be the number of bits for the output password, a "
                 "positive number up to 4096")
AUTH_NO_PASSWORD = ("ERR AUTH <password> called without any password configured for the default "
                    "user. Are you sure your configuration is correct?")

# The texts a denial produces at top level / in MULTI (6.2's processCommand) ...
TOPLEVEL_MESSAGES = {
    _acl.DENIED_KEY: errors.NOPERM_KEY,
    _acl.DENIED_CHANNEL: errors.NOPERM_CHANNEL,
}
# ... inside a Lua script (luaRedisGenericCommand; the caller adds the script location) ...
LUA_MESSAGES = {
    _acl.DENIED_CMD: "The user executing the script can't run this command or subcommand",
    _acl.DENIED_KEY: "The user executing the script can't access at least one of the keys "
                     "mentioned in the command arguments",
    _acl.DENIED_CHANNEL: "The user executing the script can't publish to the channel mentioned "
                         "in the command",
}
# ... and when EXEC re-checks a queued command (execCommand).
EXEC_REASONS = {
    _acl.DENIED_CMD: "no permission to execute the command or subcommand",
    _acl.DENIED_KEY: "no permission to touch the specified keys",
    _acl.DENIED_CHANNEL: "no permission to access one of the channels used as arguments",
}
EXEC_MESSAGE = ("NOPERM ACLs rules changed between the moment the transaction was accumulated "
                "and the EXEC call. This command is no longer allowed for the following reason: %s")


class AclDenied(RedisError):
    """A NOPERM reply; ``reason`` is ``command``/``key``/``channel``, ``object`` what was denied
    (so MULTI/EXEC and Lua can word it their way: :data:`EXEC_REASONS`, :data:`LUA_MESSAGES`)."""

    __slots__ = ("reason", "object")

    def __init__(self, msg, reason, obj):
        super().__init__(msg)
        self.reason = reason
        self.object = obj


# ---- setup ------------------------------------------------------------------------------------


class _Spec:
    __slots__ = ("id", "name", "categories", "no_auth", "keys")


# Perdure commands that are not in Redis 6.2's command table (QUIT is handled before the
# lookup there): unknown to ACL rules and ACL CAT, and never checked (QUIT is no-auth anyway).
NOT_ACL_COMMANDS = frozenset({"quit"})


def _tolerant(keys):
    """Redis's getkeys procedures return no keys for a malformed command (the command then
    fails on its own): a ``getkeys`` that raises is treated the same way."""
    def get(argv):
        try:
            return keys(argv)
        except Exception:  # noqa: BLE001 - malformed arguments: no keys, as in Redis
            return ()
    return get


def build_table():
    """The ACL view of the (top-level) command table."""
    specs = []
    for cmd in COMMANDS.values():
        if cmd.name in NOT_ACL_COMMANDS:
            continue
        s = _Spec()
        s.id = cmd.id
        s.name = cmd.name
        s.categories = cmd.categories
        s.no_auth = bool(cmd.flags & Flag.NO_AUTH)
        if cmd.getkeys is not None:
            s.keys = _tolerant(cmd.keys)
        elif cmd.first_key:
            s.keys = cmd.keys
        else:
            s.keys = None
        specs.append(s)
    return _acl.CommandTable.from_commands(specs)


def setup(server):
    """Create the server's :class:`Acl` from its configuration; raise :class:`AclError` with
    the reason Redis would refuse to start for."""
    cfg = server.config
    a = Acl(build_table(), pubsub_default_all=cfg["acl-pubsub-default"] == "allchannels",
            log_max_len=cfg["acllog-max-len"])
    if cfg["requirepass"]:
        a.set_default_password(cfg["requirepass"])
    if cfg.users and cfg["aclfile"]:
        raise AclError(USERS_AND_ACLFILE)
    a.load_config_users(cfg.users)
    if cfg["aclfile"]:
        try:
            a.load_file(cfg["aclfile"])
        except AclError as e:
            raise AclError("Aborting Redis startup because of ACL errors: %s" % e) from None

    def changed(name, value):
        if name == "requirepass":
            a.set_default_password(value)
        elif name == "acl-pubsub-default":
            a.pubsub_default_all = value == "allchannels"
        elif name == "acllog-max-len":
            a.log_max_len = value

    cfg.listeners.append(changed)
    return a


# ---- the dispatcher's check, auth and the log ------------------------------------------------


def check(srv, c, cmd, argv, context=None):
    """``srv.acl_check``: None if ``c.user`` may run ``argv``, else an :class:`AclDenied`
    (already recorded in ACL LOG).  ``context`` is ``toplevel``/``multi``/``lua``; by default
    ``multi`` while the client is in MULTI/EXEC, else ``toplevel``."""
    u = c.user
    spec = srv.acl.table.by_id.get(cmd.id)
    if spec is None:
        spec = srv.acl.table.by_name.get(cmd.name)
        if spec is None:
            return None
    denied = u.check(spec, argv)
    if denied is None:
        return None
    reason, obj = denied
    if context is None:
        context = "multi" if (c.multi is not None or c.in_exec) else "toplevel"
    log_denial(srv, c, reason, obj, context)
    if context == "lua":
        msg = LUA_MESSAGES[reason]
    elif reason == _acl.DENIED_CMD:
        msg = errors.NOPERM_CMD % cmd.name
    else:
        msg = TOPLEVEL_MESSAGES[reason]
    return AclDenied(msg, reason, obj)


def log_denial(srv, c, reason, obj, context="toplevel", username=None):
    """addACLLogEntry.  ``c`` is the real client (for Lua: the caller of the script)."""
    a = srv.acl
    if username is None:
        username = c.user.name if c.user is not None else b"default"
    a.log.add(reason, context, obj, username, client_info(c), int(time.time() * 1000), a.log_max_len)


def authenticate(srv, c, username: bytes, password: bytes, argv0: bytes | None = None) -> bool:
    """ACLAuthenticateUser: log ``c`` in as ``username``, or record the failure in ACL LOG
    (object: the command name as typed, ``AUTH`` unless ``argv0`` says otherwise)."""
    u = srv.acl.authenticate(username, password)
    if u is None:
        context = "multi" if (c.multi is not None or c.in_exec) else "toplevel"
        log_denial(srv, c, _acl.DENIED_AUTH, argv0 if argv0 is not None else _current_argv0(c),
                   context, username=username)
        return False
    c.authenticated = True
    c.user = u
    return True


_handler_codes = None


def _current_argv0(c) -> bytes:
    """argv[0] of the running AUTH/HELLO, as the client typed it (Redis logs that), found in
    the calling command handler's frame; else the command's name."""
    global _handler_codes
    if _handler_codes is None:
        _handler_codes = {cmd.handler.__code__ for cmd in COMMANDS.values()
                          if getattr(cmd.handler, "__code__", None) is not None}
    f = sys._getframe(1)
    for _ in range(8):
        if f is None:
            break
        if f.f_code in _handler_codes:
            argv = f.f_locals.get("argv")
            if isinstance(argv, list) and argv and isinstance(argv[0], bytes):
                return argv[0]
            break
        f = f.f_back
    last = getattr(c, "last_cmd", None)
    name = getattr(last, "bname", None)
    return name if name else b"auth"


def _clientcmd():
    try:
        from . import clientcmd
    except ImportError:  # CLIENT not there (yet): our own rendering below
        return None
    return clientcmd


def client_info(c) -> bytes:
    """The CLIENT LIST line of ``c`` (ACL LOG's client-info)."""
    cc = _clientcmd()
    if cc is not None and hasattr(cc, "client_info"):
        return cc.client_info(c)
    now = time.time()
    flags = ""
    if c.multi is not None or c.in_exec:
        flags += "x"
    if c.blocked is not None:
        flags += "b"
    if (c.pubsub_channels or c.pubsub_patterns):
        flags += "P"
    last = getattr(c, "last_cmd", None)
    cmdname = getattr(last, "name", None) or (last.decode("latin-1").lower()
                                              if isinstance(last, (bytes, bytearray)) else "NULL")
    name = c.name.decode("utf-8", "replace") if isinstance(c.name, (bytes, bytearray)) else str(c.name)
    user = c.user.name.decode("utf-8", "replace") if c.user is not None else "default"
    line = ("id=%d addr=%s laddr=%s fd=%d name=%s age=%d idle=%d flags=%s db=%d sub=%d psub=%d "
            "multi=%d qbuf=0 qbuf-free=0 argv-mem=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=%s "
            "user=%s redir=-1") % (
        c.id, c.addr, c.laddr, _fd(c), name, int(now - c.ctime),
        int(time.monotonic() - c.last_interaction), flags or "N", c.db.id,
        len(c.pubsub_channels), len(c.pubsub_patterns), len(c.multi) if c.multi is not None else -1,
        cmdname, user)
    return line.encode("utf-8", "surrogateescape")


def _fd(c) -> int:
    t = c.transport
    if t is None:
        return -1
    try:
        sock = t.get_extra_info("socket")
        return sock.fileno() if sock is not None else -1
    except Exception:  # noqa: BLE001
        return -1


# ---- disconnections ---------------------------------------------------------------------------


def _free(c) -> None:
    """freeClient for another client: gone at once."""
    cc = _clientcmd()
    if cc is not None and hasattr(cc, "free_client"):
        cc.free_client(c)
    else:
        c.close()


def _drop_client(srv, c, current) -> None:
    """freeClientAsync / CLIENT_CLOSE_AFTER_COMMAND for the client running the command."""
    c.user = srv.acl.default
    c.authenticated = False
    if c is current:
        c.close_after = True  # CLIENT_CLOSE_AFTER_COMMAND: run nothing more from it
        loop = srv.loop
        if loop is not None:
            loop.call_soon(c.close_after_reply)
        else:
            c.close_after_reply()
    else:
        _free(c)


def disconnect_users(srv, users, current) -> None:
    """Disconnect every client authenticated as one of ``users`` (deleted or replaced)."""
    if not users:
        return
    ids = {id(u) for u in users}
    for c in list(srv.clients.values()):
        if c.user is not None and id(c.user) in ids and not c.closing:
            _drop_client(srv, c, current)


def kill_revoked_subscribers(srv, user, revoked, current) -> None:
    for c in list(srv.clients.values()):
        if c.user is user and not c.closing and (c.pubsub_channels or c.pubsub_patterns):
            if revoked(c.pubsub_channels, c.pubsub_patterns):
                if c is current:
                    _drop_client(srv, c, current)
                else:
                    _free(c)


# ---- ACL --------------------------------------------------------------------------------------

HELP = [
    "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
    "HELP",
    "    Prints this help.",
]


def _syntax(argv):
    sub = argv[1].split(b"\0", 1)[0][:128].decode("utf-8", "replace")
    return RedisError(errors.UNKNOWN_SUBCOMMAND % (sub, "ACL"))


@command("acl", -2, "admin noscript ok-loading ok-stale no-data", "")
def acl(c, argv):
    "ACL <subcommand> [<arg> ...]"
    srv = c.server
    a = srv.acl
    sub = argv[1].lower()
    n = len(argv)
    if sub == b"setuser" and n >= 3:
        try:
            user, revoked = a.set_user(argv[2], argv[3:])
        except AclError as e:
            raise RedisError("ERR " + str(e)) from None
        if revoked is not None:
            kill_revoked_subscribers(srv, user, revoked, c)
        return resp.OK
    if sub == b"deluser" and n >= 3:
        try:
            deleted = a.delete_users(argv[2:])
        except AclError as e:
            raise RedisError("ERR " + str(e)) from None
        disconnect_users(srv, deleted, c)
        return len(deleted)
    if sub == b"getuser" and n == 3:
        u = a.get_user(argv[2])
        if u is None:
            return None
        return resp.Map([
            (b"flags", resp.Set(u.flag_names())),
            (b"passwords", list(u.passwords)),
            (b"commands", u.describe_commands()),
            (b"keys", [b"*"] if u.allkeys else list(u.patterns)),
            (b"channels", [b"*"] if u.allchannels else list(u.channels)),
        ])
    if (sub == b"list" or sub == b"users") and n == 2:
        return a.list_lines() if sub == b"list" else a.usernames()
    if sub == b"whoami" and n == 2:
        return c.user.name if c.user is not None else None
    if sub in (b"load", b"save") and not srv.config["aclfile"]:
        raise RedisError(NO_ACLFILE)
    if sub == b"load" and n == 2:
        try:
            dropped = a.load_file(srv.config["aclfile"])
        except AclError as e:
            raise RedisError("ERR " + str(e)) from None
        disconnect_users(srv, dropped, c)
        return resp.OK
    if sub == b"save" and n == 2:
        try:
            a.save_file(srv.config["aclfile"])
        except OSError as e:
            log.warning("Writing ACL file for ACL SAVE: %s", e.strerror or e)
            raise RedisError("ERR " + _acl.SAVE_ERROR) from None
        return resp.OK
    if sub == b"cat" and n == 2:
        return [cat.encode() for cat in _acl.CATEGORIES]
    if sub == b"cat" and n == 3:
        cat = argv[2].split(b"\0", 1)[0]
        name = cat.lower().decode("latin-1")
        if name not in _acl.CATEGORIES:
            raise RedisError("ERR Unknown category '%s'" % cat.decode("utf-8", "replace"))
        return a.table.category_commands(name)
    if sub == b"genpass" and (n == 2 or n == 3):
        bits = 256
        if n == 3:
            bits = to_int(argv[2])
            if bits is None:
                raise RedisError(errors.NOT_INTEGER)
        if bits <= 0 or bits > 4096:
            raise RedisError(GENPASS_RANGE)
        chars = (bits + 3) // 4
        return os.urandom((chars + 1) // 2).hex()[:chars].encode()
    if sub == b"log" and n <= 3:
        count = 10
        if n == 3:
            if argv[2].lower() == b"reset":
                a.log.reset()
                return resp.OK
            count = to_int(argv[2])
            if count is None:
                raise RedisError(errors.NOT_INTEGER)
        now = int(time.time() * 1000)
        return [resp.Map([
            (b"count", e.count),
            (b"reason", e.reason.encode()),
            (b"context", e.context.encode()),
            (b"object", e.object),
            (b"username", e.username),
            (b"age-seconds", resp.Double((now - e.ctime_ms) / 1000)),
            (b"client-info", e.cinfo),
        ]) for e in a.log.newest(count)]
    if sub == b"help" and n == 2:
        return [resp.Simple(line.encode()) for line in HELP]
    raise _syntax(argv)
