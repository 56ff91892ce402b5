"""CLIENT and its subcommands (Redis 6.2's ``clientCommand`` in networking.c).

Subcommand matching follows Redis exactly: each subcommand has its own argument-count rule and
anything that matches none of them gets ``Unknown subcommand or wrong number of arguments``.
``CLIENT LIST`` / ``CLIENT INFO`` print the 6.2 field set in the 6.2 order; the memory fields
describe Perdure's own buffers (``qbuf`` = bytes of requests received but not run, ``obl`` =
reply bytes not yet handed to the socket, ``oll`` = replies held for durability, ``omem`` =
held replies plus the socket's write buffer).

``CLIENT TRACKING`` itself lives in :mod:`perdure.server.tracking`, which registers it in
:data:`SUBCOMMANDS` and sets ``c.tracking`` (None when off) to an object with ``redirect``
(int), ``bcast``, ``optin``, ``optout``, ``caching``, ``noloop``, ``broken_redirect`` (bools)
and ``prefixes`` (iterable of bytes): what ``GETREDIR`` / ``CACHING`` / ``TRACKINGINFO`` and
the ``t``/``R``/``B`` flags read here.
"""

from __future__ import annotations

import time

from .. import errors, resp
from ..app import Server
from ..args import to_int
from ..errors import RedisError
from ..limits import PAUSE_ALL, PAUSE_WRITE, close_asap, cron_output_limits
from ..registry import command

if cron_output_limits not in Server.cron_hooks:
    Server.cron_hooks.append(cron_output_limits)

NAME_CHARS = "ERR Client names cannot contain spaces, newlines or special characters."
INVALID_ID = "ERR Invalid client ID"
UNKNOWN_TYPE = "ERR Unknown client type '%s'"
NO_SUCH_CLIENT = "ERR No such client"
NO_SUCH_USER = "ERR No such user '%s'"
UNBLOCK_REASON = "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
PAUSE_MODE = "ERR CLIENT PAUSE mode must be WRITE or ALL"
TIMEOUT_NOT_INT = "ERR timeout is not an integer or out of range"
CACHING_NO_TRACKING = ("ERR CLIENT CACHING can be called only when the client is in tracking "
                       "mode with OPTIN or OPTOUT mode enabled")
CACHING_YES = "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."
CACHING_NO = "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."

HELP = [
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (normal|master|replica|pubsub)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "HELP",
    "    Prints this help.",
]
_HELP_REPLY = [resp.Simple(line.encode()) for line in HELP]

# Client types (getClientTypeByName); "slave" and "replica" are the same type.
_TYPES = {b"normal": "normal", b"slave": "slave", b"replica": "slave", b"pubsub": "pubsub",
          b"master": "master"}


# --------------------------------------------------------------------------- helpers


def set_name_or_error(c, name: bytes) -> None:
    """clientSetNameOrReply: an empty name removes it; only '!'..'~' are allowed."""
    if name and (min(name) < 0x21 or max(name) > 0x7E):
        raise RedisError(NAME_CHARS)
    c.name = name


def client_type(c) -> str:
    """getClientType: "master", "slave", "pubsub" or "normal"."""
    t = c.conn_type
    if t == "master":
        return "master"
    if t in ("slave", "replica") and not c.monitor:
        return "slave"
    if c.pubsub_channels or c.pubsub_patterns:
        return "pubsub"
    return "normal"


def user_name(c) -> bytes:
    u = c.user
    if u is None:
        return b"default"
    name = getattr(u, "name", b"default")
    return name if isinstance(name, bytes) else str(name).encode()


def _user_exists(srv, name: bytes) -> bool:
    acl = srv.acl
    get = getattr(acl, "get_user", None) if acl is not None else None
    if get is not None:
        return get(name) is not None
    return name == b"default"


def _flags(c) -> bytes:
    srv = c.server
    f = ""
    t = c.conn_type
    if c.monitor:
        f += "O"
    elif t in ("slave", "replica"):
        f += "S"
    if t == "master":
        f += "M"
    if c.pubsub_channels or c.pubsub_patterns:
        f += "P"
    if c.multi is not None or c.in_exec:
        f += "x"
    if c.blocked is not None or srv.pause.is_paused(c):
        f += "b"
    tr = c.tracking
    if tr is not None:
        f += "t"
        if getattr(tr, "broken_redirect", False):
            f += "R"
        if getattr(tr, "bcast", False):
            f += "B"
    if c.dirty_cas:
        f += "d"
    if c.close_after:
        f += "c"
    if c.closing and c.killed_reason:
        f += "A"
    if "r" in c.flags:
        f += "r"
    return (f or "N").encode()


def _fd(c) -> int:
    t = c.transport
    if t is None:
        return -1
    try:
        sock = t.get_extra_info("socket")
        return sock.fileno() if sock is not None else -1
    except Exception:
        return -1


def client_info(c, argv_mem: int = 0, running: bool = False) -> bytes:
    """catClientInfoString: one CLIENT LIST line (without the newline).  ``running``: ``c`` is
    the client running this command, whose query buffer still holds the read it came in."""
    now = time.time()
    mono = time.monotonic()
    parser = c.parser
    proto = c.protocol
    pending = proto.pending if proto is not None else None
    if running and parser is not None:
        qbuf = c.qbuf_peak
    else:
        qbuf = parser.buffered() if parser is not None else 0
    if pending is not None:
        qbuf += pending.size
    obl = len(c.out)
    held = sum(len(seg[1]) for seg in c.held)
    sock_buf = 0
    events = "r"
    t = c.transport
    if t is not None:
        try:
            sock_buf = t.get_write_buffer_size()
        except Exception:
            sock_buf = 0
        if proto is not None and proto.paused:
            events = ""
        if sock_buf:
            events += "w"
    omem = held + sock_buf
    tot = 1024 + qbuf + argv_mem + obl + omem
    cmd = c.last_cmd
    cmd = cmd.bname if hasattr(cmd, "bname") else b"NULL"
    tr = c.tracking
    redir = getattr(tr, "redirect", -1) if tr is not None else -1
    return (
        b"id=%d addr=%s laddr=%s fd=%d name=%s age=%d idle=%d flags=%s db=%d sub=%d psub=%d "
        b"multi=%d qbuf=%d qbuf-free=0 argv-mem=%d obl=%d oll=%d omem=%d tot-mem=%d events=%s "
        b"cmd=%s user=%s redir=%d" % (
            c.id, c.addr.encode(), c.laddr.encode(), _fd(c), c.name, int(now - c.ctime),
            int(mono - c.last_interaction), _flags(c), c.db.id, len(c.pubsub_channels),
            len(c.pubsub_patterns), _multi_count(c), qbuf, argv_mem,
            obl, len(c.held), omem, tot, events.encode(), cmd, user_name(c), redir))


def _multi_count(c) -> int:
    """multi=: the commands queued, also while EXEC runs them (Redis frees the queue after)."""
    if c.multi is not None:
        return len(c.multi)
    return c.exec_queued or -1


def _argv_mem(argv) -> int:
    return sum(map(len, argv))


def free_client(target) -> None:
    """freeClient for another client: gone at once, pending output dropped."""
    close_asap(target, "killed")
    target.server.client_gone(target)


# --------------------------------------------------------------------------- subcommands


def _unknown(argv):
    return RedisError(errors.UNKNOWN_SUBCOMMAND % (argv[1].decode("utf-8", "replace"), "CLIENT"))


def _help(c, argv):
    return _HELP_REPLY


def _id(c, argv):
    return c.id


def _info(c, argv):
    return resp.Verbatim(client_info(c, _argv_mem(argv), True) + b"\n")


def _list(c, argv):
    srv = c.server
    n = len(argv)
    ctype = None
    out = []
    if n == 4 and argv[2].lower() == b"type":
        ctype = _TYPES.get(argv[3].lower())
        if ctype is None:
            raise RedisError(UNKNOWN_TYPE % argv[3].decode("utf-8", "replace"))
    elif n > 3 and argv[2].lower() == b"id":
        ids = []
        for a in argv[3:]:
            cid = to_int(a)
            if cid is None:
                raise RedisError(INVALID_ID)
            ids.append(cid)
        for cid in ids:
            cl = srv.clients.get(cid)
            if cl is not None:
                out.append(client_info(cl, _argv_mem(argv) if cl is c else 0, cl is c) + b"\n")
        return resp.Verbatim(b"".join(out))
    elif n != 2:
        raise RedisError(errors.SYNTAX)
    for cl in list(srv.clients.values()):
        if ctype is not None and client_type(cl) != ctype:
            continue
        out.append(client_info(cl, _argv_mem(argv) if cl is c else 0, cl is c) + b"\n")
    return resp.Verbatim(b"".join(out))


def _reply(c, argv):
    mode = argv[2].lower()
    if mode == b"on":
        c.reply_mode = 0
        return resp.OK
    if mode == b"off":
        c.reply_mode = 1
    elif mode == b"skip":
        if c.reply_mode != 1:
            c.reply_mode = 2  # the protocol turns this into "skip the next command"
    else:
        raise RedisError(errors.SYNTAX)
    return resp.OK  # not sent: replies are off for this command already


def _kill(c, argv):
    srv = c.server
    n = len(argv)
    addr = laddr = user = None
    ctype = None
    kill_id = 0
    skipme = True
    if n == 3:
        addr = argv[2]
        skipme = False  # with the old form you can kill yourself
    elif n > 3:
        i = 2
        while i < n:
            opt = argv[i].lower()
            more = n > i + 1
            if opt == b"id" and more:
                v = to_int(argv[i + 1])
                if v is None:
                    raise RedisError(errors.NOT_INTEGER)
                kill_id = v if v >= 0 else v + (1 << 64)  # an uint64_t in Redis
            elif opt == b"type" and more:
                ctype = _TYPES.get(argv[i + 1].lower())
                if ctype is None:
                    raise RedisError(UNKNOWN_TYPE % argv[i + 1].decode("utf-8", "replace"))
            elif opt == b"addr" and more:
                addr = argv[i + 1]
            elif opt == b"laddr" and more:
                laddr = argv[i + 1]
            elif opt == b"user" and more:
                user = argv[i + 1]
                if not _user_exists(srv, user):
                    raise RedisError(NO_SUCH_USER % user.decode("utf-8", "replace"))
            elif opt == b"skipme" and more:
                v = argv[i + 1].lower()
                if v == b"yes":
                    skipme = True
                elif v == b"no":
                    skipme = False
                else:
                    raise RedisError(errors.SYNTAX)
            else:
                raise RedisError(errors.SYNTAX)
            i += 2
    else:
        raise RedisError(errors.SYNTAX)
    killed = 0
    for cl in list(srv.clients.values()):
        if addr is not None and cl.addr.encode() != addr:
            continue
        if laddr is not None and cl.laddr.encode() != laddr:
            continue
        if ctype is not None and client_type(cl) != ctype:
            continue
        if kill_id and cl.id != kill_id:
            continue
        if user is not None and user_name(cl) != user:
            continue
        if cl is c:
            if skipme:
                continue
            c.close_after = True  # after this reply (the protocol closes it)
        else:
            free_client(cl)
        killed += 1
    if n == 3:
        if not killed:
            raise RedisError(NO_SUCH_CLIENT)
        return resp.OK
    return killed


def _unblock(c, argv):
    error = False
    if len(argv) == 4:
        reason = argv[3].lower()
        if reason == b"error":
            error = True
        elif reason != b"timeout":
            raise RedisError(UNBLOCK_REASON)
    cid = to_int(argv[2])
    if cid is None:
        raise RedisError(errors.NOT_INTEGER)
    target = c.server.clients.get(cid)
    if target is not None and target.blocked is not None and c.server.unblock_client(target, error):
        return 1
    return 0


def _setname(c, argv):
    set_name_or_error(c, argv[2])
    return resp.OK


def _getname(c, argv):
    return c.name or None


def _unpause(c, argv):
    c.server.pause.unpause()
    return resp.OK


def _pause(c, argv):
    ptype = PAUSE_ALL
    if len(argv) == 4:
        mode = argv[3].lower()
        if mode == b"write":
            ptype = PAUSE_WRITE
        elif mode != b"all":
            raise RedisError(PAUSE_MODE)
    ms = to_int(argv[2])
    if ms is None:
        raise RedisError(TIMEOUT_NOT_INT)
    if ms < 0:
        raise RedisError(errors.TIMEOUT_NEGATIVE)
    c.server.pause.pause(time.time() + ms / 1000.0 if ms > 0 else 0.0, ptype)
    return resp.OK


def _caching(c, argv):
    tr = c.tracking
    if tr is None:
        raise RedisError(CACHING_NO_TRACKING)
    opt = argv[2].lower()
    if opt == b"yes":
        if not tr.optin:
            raise RedisError(CACHING_YES)
    elif opt == b"no":
        if not tr.optout:
            raise RedisError(CACHING_NO)
    else:
        raise RedisError(errors.SYNTAX)
    tr.caching = True
    return resp.OK


def _getredir(c, argv):
    tr = c.tracking
    return tr.redirect if tr is not None else -1


def _trackinginfo(c, argv):
    tr = c.tracking
    if tr is None:
        return resp.Map({b"flags": resp.Set([b"off"]), b"redirect": -1, b"prefixes": []})
    flags = [b"on"]
    if tr.bcast:
        flags.append(b"bcast")
    if tr.optin:
        flags.append(b"optin")
        if tr.caching:
            flags.append(b"caching-yes")
    if tr.optout:
        flags.append(b"optout")
        if tr.caching:
            flags.append(b"caching-no")
    if tr.noloop:
        flags.append(b"noloop")
    if tr.broken_redirect:
        flags.append(b"broken_redirect")
    return resp.Map({b"flags": resp.Set(flags), b"redirect": tr.redirect,
                     b"prefixes": list(tr.prefixes or ())})


def _eq(k):
    return lambda n: n == k


def _ge(k):
    return lambda n: n >= k


def _any(n):
    return True


# name -> (handler, accepts(argc)); the argc rules of 6.2's clientCommand.
SUBCOMMANDS = {
    b"help": (_help, _eq(2)),
    b"id": (_id, _eq(2)),
    b"info": (_info, _eq(2)),
    b"list": (_list, _any),
    b"reply": (_reply, _eq(3)),
    b"kill": (_kill, _any),
    b"unblock": (_unblock, lambda n: n in (3, 4)),
    b"setname": (_setname, _eq(3)),
    b"getname": (_getname, _eq(2)),
    b"unpause": (_unpause, _eq(2)),
    b"pause": (_pause, lambda n: n in (3, 4)),
    b"caching": (_caching, _ge(3)),
    b"getredir": (_getredir, _eq(2)),
    b"trackinginfo": (_trackinginfo, _eq(2)),
}


@command("client", -2, "admin noscript random loading stale no-data", "@connection")
def client(c, argv):
    "CLIENT subcommand [arguments ...]"
    sub = SUBCOMMANDS.get(argv[1].lower())
    if sub is None or not sub[1](len(argv)):
        raise _unknown(argv)
    return sub[0](c, argv)
