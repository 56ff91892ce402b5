"""The command table: the single source of truth for every command Perdure knows.

Each command is declared once, next to its handler, with the :func:`command` decorator::

    @command("get", 2, "readonly fast", "@string", keys=(1, 1, 1))
    def get(c, argv):
        "GET key"
        ...

From this table come: dispatch (lookup, arity), ``COMMAND`` / ``COMMAND INFO`` / ``COUNT`` /
``GETKEYS``, ACL categories (explicit ones plus the implicit ones Redis derives from flags),
cluster slot checks, reply gating (which keys a command touches) and the effects log (only
``write`` commands are logged).

Handlers are plain functions ``handler(c, argv) -> reply`` where ``c`` is the
:class:`~perdure.server.client.Client` and ``argv`` the list of argument bytes (``argv[0]`` is
the command name as the client sent it).  Handlers never check arity, auth or ACL: the
dispatcher does, in one ordered pipeline.
"""

from __future__ import annotations

import enum
from typing import Callable


class Flag(enum.Flag):
    """Command flags, named after Redis 6.2's (``COMMAND INFO`` prints them lowercase)."""

    WRITE = enum.auto()
    READONLY = enum.auto()
    DENYOOM = enum.auto()
    ADMIN = enum.auto()
    PUBSUB = enum.auto()
    NOSCRIPT = enum.auto()
    RANDOM = enum.auto()
    SORT_FOR_SCRIPT = enum.auto()
    LOADING = enum.auto()
    STALE = enum.auto()
    SKIP_MONITOR = enum.auto()
    SKIP_SLOWLOG = enum.auto()
    ASKING = enum.auto()
    FAST = enum.auto()
    NO_AUTH = enum.auto()
    MAY_REPLICATE = enum.auto()
    # Perdure-only (not printed by COMMAND): the command reads the whole keyspace without
    # naming keys (DBSIZE, KEYS, SCAN...), so its reply waits for every pending write.
    GLOBAL_READ = enum.auto()
    # Perdure-only: the command touches no data at all (PING, ECHO, CLIENT SETNAME...).
    NO_DATA = enum.auto()
    BLOCKING = enum.auto()  # used for the @blocking category only


# The order Redis prints flags in COMMAND output.
_FLAG_NAMES = [
    (Flag.WRITE, b"write"),
    (Flag.READONLY, b"readonly"),
    (Flag.DENYOOM, b"denyoom"),
    (Flag.ADMIN, b"admin"),
    (Flag.PUBSUB, b"pubsub"),
    (Flag.NOSCRIPT, b"noscript"),
    (Flag.RANDOM, b"random"),
    (Flag.SORT_FOR_SCRIPT, b"sort_for_script"),
    (Flag.LOADING, b"loading"),
    (Flag.STALE, b"stale"),
    (Flag.SKIP_MONITOR, b"skip_monitor"),
    (Flag.SKIP_SLOWLOG, b"skip_slowlog"),
    (Flag.ASKING, b"asking"),
    (Flag.FAST, b"fast"),
    (Flag.NO_AUTH, b"no_auth"),
    (Flag.MAY_REPLICATE, b"may_replicate"),
]

_FLAG_WORDS = {
    "write": Flag.WRITE, "readonly": Flag.READONLY, "denyoom": Flag.DENYOOM, "use-memory": Flag.DENYOOM,
    "admin": Flag.ADMIN, "pubsub": Flag.PUBSUB, "noscript": Flag.NOSCRIPT, "random": Flag.RANDOM,
    "to-sort": Flag.SORT_FOR_SCRIPT, "sort_for_script": Flag.SORT_FOR_SCRIPT, "ok-loading": Flag.LOADING,
    "loading": Flag.LOADING, "ok-stale": Flag.STALE, "stale": Flag.STALE, "no-monitor": Flag.SKIP_MONITOR,
    "skip_monitor": Flag.SKIP_MONITOR, "no-slowlog": Flag.SKIP_SLOWLOG, "skip_slowlog": Flag.SKIP_SLOWLOG,
    "cluster-asking": Flag.ASKING, "asking": Flag.ASKING, "fast": Flag.FAST, "no-auth": Flag.NO_AUTH,
    "no_auth": Flag.NO_AUTH, "may-replicate": Flag.MAY_REPLICATE, "may_replicate": Flag.MAY_REPLICATE,
    "global-read": Flag.GLOBAL_READ, "no-data": Flag.NO_DATA, "blocking": Flag.BLOCKING,
}

ALL_CATEGORIES = [
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
    "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous",
    "connection", "transaction", "scripting",
]


class Command:
    """One entry of the command table."""

    __slots__ = ("name", "arity", "flags", "categories", "first_key", "last_key", "key_step",
                 "getkeys", "handler", "id", "subcommands", "parent", "bname", "stats",
                 # plain booleans derived from ``flags`` for the hot path (enum.Flag ``&`` is slow)
                 "write", "denyoom", "no_auth", "ok_loading", "no_data", "has_keys", "breaks_lane")

    def __init__(self, name, arity, flags, categories, first_key, last_key, key_step, getkeys, handler):
        self.name = name
        self.bname = name.encode()
        self.arity = arity
        self.flags = flags
        self.categories = categories
        self.first_key = first_key
        self.last_key = last_key
        self.key_step = key_step
        self.getkeys = getkeys
        self.handler = handler
        self.id = -1
        self.subcommands: dict[str, "Command"] = {}
        self.parent = None
        self.stats = [0, 0.0, 0, 0]  # calls, seconds, rejected calls, failed calls
        self.write = bool(flags & Flag.WRITE)
        self.denyoom = bool(flags & Flag.DENYOOM)
        self.no_auth = bool(flags & Flag.NO_AUTH)
        self.ok_loading = bool(flags & Flag.LOADING)
        self.no_data = bool(flags & Flag.NO_DATA)
        self.has_keys = bool(first_key) or getkeys is not None
        # may change what dispatch.process's fast lane relies on (connection or server state):
        # AUTH, HELLO, MULTI, SUBSCRIBE, CLIENT, ACL, CONFIG, MONITOR, DEBUG, EVAL...
        self.breaks_lane = bool(flags & (Flag.NOSCRIPT | Flag.ADMIN))

    def keys(self, argv) -> list:
        """The key arguments of ``argv`` (ACL, cluster, gating and COMMAND GETKEYS use this)."""
        if self.getkeys is not None:
            return self.getkeys(argv)
        if self.first_key == 0:
            return []
        last = self.last_key
        n = len(argv)
        if last < 0:
            last = n + last
        return argv[self.first_key:last + 1:self.key_step]

    def has_flag(self, f: Flag) -> bool:
        return bool(self.flags & f)

    def flag_names(self) -> list:
        out = [name for f, name in _FLAG_NAMES if self.flags & f]
        if self.getkeys is not None:
            out.append(b"movablekeys")
        return out


COMMANDS: dict[str, Command] = {}
_next_id = 0


def implicit_categories(flags: Flag, explicit: set) -> set:
    """Categories Redis 6.2 derives from flags (setImplicitACLCategories)."""
    cats = set(explicit)
    if flags & Flag.WRITE:
        cats.add("write")
    if flags & Flag.READONLY and "scripting" not in cats:
        cats.add("read")
    if flags & Flag.ADMIN:
        cats.add("admin")
        cats.add("dangerous")
    if flags & Flag.PUBSUB:
        cats.add("pubsub")
    if flags & Flag.FAST:
        cats.add("fast")
    if flags & Flag.BLOCKING:
        cats.add("blocking")
    if "fast" not in cats:
        cats.add("slow")
    return cats


def command(name: str, arity: int, flags: str = "", categories: str = "", keys=(0, 0, 0),
            getkeys: Callable | None = None, parent: str | None = None):
    """Declare a command (or, with ``parent``, a subcommand used for ACL ``+cmd|sub`` rules).

    ``flags`` and ``categories`` are space-separated words (``"write denyoom"``,
    ``"@string @fast"``).  ``keys`` is Redis's (first, last, step); ``getkeys`` a function
    ``argv -> list of keys`` for commands whose keys move (EVAL, ZUNIONSTORE, XREAD...).
    """
    fl = Flag(0)
    for w in flags.split():
        fl |= _FLAG_WORDS[w]
    cats = {c.lstrip("@") for c in categories.split()}
    for c in cats:
        if c not in ALL_CATEGORIES:
            raise ValueError("unknown ACL category %r for %s" % (c, name))

    def register(fn):
        global _next_id
        cmd = Command(name.lower(), arity, fl, frozenset(implicit_categories(fl, cats)),
                      keys[0], keys[1], keys[2], getkeys, fn)
        if parent is not None:
            p = COMMANDS[parent]
            cmd.parent = p
            p.subcommands[name.lower()] = cmd
        else:
            if name.lower() in COMMANDS:
                raise ValueError("command %s declared twice" % name)
            COMMANDS[cmd.name] = cmd
        cmd.id = _next_id
        _next_id += 1
        fn.command = cmd
        return fn

    return register


def lookup(name: bytes) -> Command | None:
    try:
        return COMMANDS[name.decode("latin-1").lower()]
    except KeyError:
        return None


def load_all():
    """Import every command module so that the table is complete."""
    from .commands import load  # noqa: F401  (imports all families)
