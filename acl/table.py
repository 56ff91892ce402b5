"""The command table as the ACL module sees it: ids, names, categories, how to find keys.

The ACL package never imports the server: at startup the server hands it one
:class:`CommandSpec` per command (see :meth:`CommandTable.from_commands`) and everything ACL
needs — ``+get``, ``+@read``, ``ACL CAT``, the canonical ``ACL LIST`` form, the key and
channel checks — is answered from this table.
"""

from __future__ import annotations

# Redis 6.2's ACLCommandCategories, in its order (ACL CAT and ACL LIST follow it).
CATEGORIES = (
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
    "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous",
    "connection", "transaction", "scripting",
)
CATEGORY_SET = frozenset(CATEGORIES)

# How a command names pub/sub channels (ACLCheckAllPerm in 6.2): none, PUBLISH (argv[1],
# glob), SUBSCRIBE (argv[1:], glob), PSUBSCRIBE (argv[1:], patterns compared literally).
PUBSUB_NONE, PUBSUB_PUBLISH, PUBSUB_SUBSCRIBE, PUBSUB_PSUBSCRIBE = 0, 1, 2, 3
_PUBSUB_BY_NAME = {"publish": PUBSUB_PUBLISH, "subscribe": PUBSUB_SUBSCRIBE,
                   "psubscribe": PUBSUB_PSUBSCRIBE}


class CommandSpec:
    """One command: ``keys`` is ``argv -> list of key arguments`` or None when it has none."""

    __slots__ = ("id", "name", "bname", "categories", "no_auth", "keys", "pubsub")

    def __init__(self, id, name, categories, no_auth=False, keys=None, pubsub=None):
        self.id = id
        self.name = name.lower()
        self.bname = self.name.encode()
        self.categories = frozenset(categories)
        unknown = self.categories - CATEGORY_SET
        if unknown:
            raise ValueError("unknown ACL categories %s for %s" % (sorted(unknown), name))
        self.no_auth = bool(no_auth)
        self.keys = keys
        self.pubsub = _PUBSUB_BY_NAME.get(self.name, PUBSUB_NONE) if pubsub is None else pubsub


class CommandTable:
    """Lookup structures over the specs (built once; the table never changes at runtime)."""

    def __init__(self, specs):
        specs = list(specs)
        self.by_name = {s.name: s for s in specs}
        if len(self.by_name) != len(specs):
            raise ValueError("duplicate command names in the ACL command table")
        self.by_id = {s.id: s for s in specs}
        # "dict order" in Redis is a random hash order; names sorted is stable and readable.
        self.ordered = sorted(specs, key=lambda s: s.name)
        self.all_ids = frozenset(self.by_id)
        self.category_ids = {cat: frozenset(s.id for s in specs if cat in s.categories)
                             for cat in CATEGORIES}

    @classmethod
    def from_commands(cls, commands):
        """Build from objects with ``id``, ``name``, ``categories``, ``no_auth`` (bool) and
        ``keys`` (callable or None) attributes — e.g. the server's command table adapters."""
        return cls(CommandSpec(c.id, c.name, c.categories, c.no_auth, c.keys) for c in commands)

    def lookup(self, name: bytes):
        """Case-insensitive lookup (``name`` as the client typed it); None if unknown."""
        try:
            return self.by_name.get(name.decode("latin-1").lower())
        except (UnicodeDecodeError, AttributeError):
            return None

    def category_commands(self, cat: str) -> list:
        """``ACL CAT <cat>``: command names (bytes) in that category."""
        ids = self.category_ids[cat]
        return [s.bname for s in self.ordered if s.id in ids]
