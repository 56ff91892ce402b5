"""Redis 6.2 ACLs for Perdure (``perdure.acl``): users, rules, checks, the ACL log and file.

This package is self-contained: it imports nothing from :mod:`perdure.server`.  The server
builds a :class:`CommandTable` from its command table at startup (ids, names, categories, how to
find a command's keys) and keeps one :class:`Acl`; the dispatcher calls ``user.check(spec,
argv)`` only for users that are not :attr:`User.unrestricted`.

Modules: :mod:`.glob` (Redis's ``stringmatchlen``), :mod:`.table` (command specs and the 21
categories), :mod:`.users` (rules, descriptions, checks), :mod:`.log` (ACL LOG), :mod:`.store`
(the user set, SETUSER/DELUSER, auth, requirepass, config users, ACL LOAD/SAVE).
"""

from .glob import compile_patterns, stringmatch
from .log import AclLog, LogEntry
from .store import LOAD_WARNING, SAVE_ERROR, Acl, AclError, pubsub_revocation
from .table import (
    CATEGORIES,
    PUBSUB_NONE,
    PUBSUB_PSUBSCRIBE,
    PUBSUB_PUBLISH,
    PUBSUB_SUBSCRIBE,
    CommandSpec,
    CommandTable,
)
from .users import DENIED_AUTH, DENIED_CHANNEL, DENIED_CMD, DENIED_KEY, RuleError, User, hash_password

__all__ = [
    "Acl", "AclError", "AclLog", "LogEntry", "User", "RuleError", "CommandSpec", "CommandTable",
    "CATEGORIES", "PUBSUB_NONE", "PUBSUB_PUBLISH", "PUBSUB_SUBSCRIBE", "PUBSUB_PSUBSCRIBE",
    "DENIED_CMD", "DENIED_KEY", "DENIED_CHANNEL", "DENIED_AUTH", "LOAD_WARNING", "SAVE_ERROR",
    "compile_patterns", "stringmatch", "hash_password", "pubsub_revocation",
]
