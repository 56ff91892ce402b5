"""ACL users: rule parsing (``ACL SETUSER`` modifiers), canonical descriptions, permission checks.

A :class:`User` mirrors Redis 6.2's ``user`` struct: flags, SHA-256 password hashes, key
patterns, channel patterns, a set of allowed command ids (the bitmap) plus the reserved
"future commands" bit that only ``+@all``/``allcommands`` set, and the per-command allowed
first arguments of ``+cmd|sub`` rules.  Rules apply in order (:meth:`User.apply`), exactly as
``ACLSetUser`` does, with the same error texts.

After every change the user is *compiled* (:meth:`User.compile`): ``unrestricted`` (nothing to
check: all commands, all keys, all channels), one combined matcher for the key patterns and one
for the channel patterns, lower-cased allowed subcommands.  The dispatcher skips the check
altogether for an unrestricted user; for the others :meth:`User.check` does no rule parsing.
"""

from __future__ import annotations

import hashlib

from .glob import compile_patterns
from .table import CATEGORIES, PUBSUB_NONE, PUBSUB_PSUBSCRIBE, PUBSUB_PUBLISH

# Denial reasons (ACL LOG "reason" field).
DENIED_CMD = "command"
DENIED_KEY = "key"
DENIED_CHANNEL = "channel"
DENIED_AUTH = "auth"

# ACLSetUserStringError texts, keyed by the errno Redis uses internally.
ENOENT = "Unknown command or category name in ACL"
EINVAL = "Syntax error"
EEXIST = ("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does "
          "not have any effect. Try 'resetkeys' to start with an empty list of patterns")
EISDIR = ("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and "
          "does not have any effect. Try 'resetchannels' to start with an empty list of channels")
ENODEV = "The password you are trying to remove from the user does not exist"
EBADMSG = ("The password hash must be exactly 64 characters and contain only lowercase "
           "hexadecimal characters")

SANITIZE = 1
SKIP_SANITIZE = 2

_HEX = frozenset(b"0123456789abcdef")
_SPACES = frozenset(b" \t\n\v\f\r\x00")  # isspace() in the C locale, plus NUL


class RuleError(Exception):
    """A rule that ACLSetUser refuses; ``str(e)`` is Redis's explanation."""


def hash_password(password: bytes) -> bytes:
    """ACLHashPassword: lowercase hex SHA-256."""
    return hashlib.sha256(password).hexdigest().encode()


def has_spaces(s: bytes) -> bool:
    """ACLStringHasSpaces: whitespace or NUL anywhere."""
    return any(b in _SPACES for b in s)


def _cstr(op: bytes) -> bytes:
    """What C string functions see of ``op`` (it stops at the first NUL)."""
    i = op.find(b"\0")
    return op if i < 0 else op[:i]


class User:
    """One ACL user.  Mutate only through :meth:`apply` / :meth:`copy_from` (they recompile)."""

    __slots__ = (
        "name", "ctx", "table", "enabled", "nopass", "allkeys", "allchannels", "allcommands",
        "sanitize", "passwords", "patterns", "channels", "allowed", "future", "subcommands",
        "unrestricted", "key_match", "channel_match", "sub_allowed", "__weakref__",
    )

    def __init__(self, name: bytes, ctx):
        """``ctx`` provides ``table`` (the :class:`~.table.CommandTable`) and
        ``pubsub_default_all`` (the ``acl-pubsub-default`` setting: True for allchannels)."""
        self.name = name
        self.ctx = ctx
        self.table = ctx.table
        self.enabled = False
        self.nopass = False
        self.allkeys = False
        self.allchannels = bool(ctx.pubsub_default_all)
        self.allcommands = False
        self.sanitize = 0
        self.passwords: list = []   # hex hashes (bytes), in insertion order, no duplicates
        self.patterns: list = []    # key patterns
        self.channels: list = []    # channel patterns
        self.allowed: set = set()   # allowed command ids
        self.future = False         # the reserved bit: +@all was the last word on commands
        self.subcommands: dict = {}  # command id -> [allowed first argument, as typed]
        self.compile()

    # ---- copy ------------------------------------------------------------------------------
    def copy_from(self, other: "User") -> None:
        """ACLCopyUser: take every rule of ``other`` (the name stays)."""
        self.enabled = other.enabled
        self.nopass = other.nopass
        self.allkeys = other.allkeys
        self.allchannels = other.allchannels
        self.allcommands = other.allcommands
        self.sanitize = other.sanitize
        self.passwords = list(other.passwords)
        self.patterns = list(other.patterns)
        self.channels = list(other.channels)
        self.allowed = set(other.allowed)
        self.future = other.future
        self.subcommands = {k: list(v) for k, v in other.subcommands.items()}
        self.compile()

    def clone(self, name: bytes | None = None) -> "User":
        u = User(self.name if name is None else name, self.ctx)
        u.copy_from(self)
        return u

    # ---- rules -----------------------------------------------------------------------------
    def apply_all(self, ops) -> None:
        for op in ops:
            self._apply(op)
        self.compile()

    def apply(self, op: bytes) -> None:
        """Apply one rule (ACLSetUser); raise :class:`RuleError` if Redis refuses it."""
        self._apply(op)
        self.compile()

    def _apply(self, op: bytes) -> None:
        if not op:
            return
        word = _cstr(op).lower()
        if word == b"on":
            self.enabled = True
        elif word == b"off":
            self.enabled = False
        elif word == b"skip-sanitize-payload":
            self.sanitize = SKIP_SANITIZE
        elif word == b"sanitize-payload":
            self.sanitize = SANITIZE
        elif word == b"allkeys" or word == b"~*":
            self.allkeys = True
            self.patterns = []
        elif word == b"resetkeys":
            self.allkeys = False
            self.patterns = []
        elif word == b"allchannels" or word == b"&*":
            self.allchannels = True
            self.channels = []
        elif word == b"resetchannels":
            self.allchannels = False
            self.channels = []
        elif word == b"allcommands" or word == b"+@all":
            self.allowed = set(self.table.all_ids)
            self.future = True
            self.allcommands = True
            self.subcommands = {}
        elif word == b"nocommands" or word == b"-@all":
            self.allowed = set()
            self.future = False
            self.allcommands = False
            self.subcommands = {}
        elif word == b"nopass":
            self.nopass = True
            self.passwords = []
        elif word == b"resetpass":
            self.nopass = False
            self.passwords = []
        elif op[0] in b">#":
            if op[0] == 0x3E:
                h = hash_password(op[1:])
            else:
                h = op[1:]
                if len(h) != 64 or any(b not in _HEX for b in h):
                    raise RuleError(EBADMSG)
            if h not in self.passwords:
                self.passwords.append(h)
            self.nopass = False
        elif op[0] in b"<!":
            if op[0] == 0x3C:
                h = hash_password(op[1:])
            else:
                h = op[1:]
                if len(h) != 64 or any(b not in _HEX for b in h):
                    raise RuleError(EBADMSG)
            try:
                self.passwords.remove(h)
            except ValueError:
                raise RuleError(ENODEV) from None
        elif op[0] == 0x7E:  # ~
            if self.allkeys:
                raise RuleError(EEXIST)
            pat = op[1:]
            if has_spaces(pat):
                raise RuleError(EINVAL)
            if pat not in self.patterns:
                self.patterns.append(pat)
        elif op[0] == 0x26:  # &
            if self.allchannels:
                raise RuleError(EISDIR)
            pat = op[1:]
            if has_spaces(pat):
                raise RuleError(EINVAL)
            if pat not in self.channels:
                self.channels.append(pat)
        elif op[0] == 0x2B and op[1:2] != b"@":  # +cmd or +cmd|first-arg
            name = _cstr(op[1:])
            bar = name.find(b"|")
            if bar < 0:
                spec = self.table.lookup(name)
                if spec is None:
                    raise RuleError(ENOENT)
                self.allowed.add(spec.id)
                self.subcommands.pop(spec.id, None)
            else:
                spec = self.table.lookup(name[:bar])
                if spec is None:
                    raise RuleError(ENOENT)
                sub = name[bar + 1:]
                if not sub:
                    raise RuleError(EINVAL)
                if spec.id not in self.allowed:
                    subs = self.subcommands.setdefault(spec.id, [])
                    low = sub.lower()
                    if not any(s.lower() == low for s in subs):
                        subs.append(sub)
        elif op[0] == 0x2D and op[1:2] != b"@":  # -cmd
            spec = self.table.lookup(_cstr(op[1:]))
            if spec is None:
                raise RuleError(ENOENT)
            self._clear(spec.id)
            self.subcommands.pop(spec.id, None)
        elif op[0] in b"+-":  # +@cat / -@cat
            cat = _cstr(op[2:]).lower().decode("latin-1")
            if cat not in self.table.category_ids:
                raise RuleError(ENOENT)
            ids = self.table.category_ids[cat]
            if op[0] == 0x2B:
                self.allowed |= ids
            else:
                self.allowed -= ids
                if ids:
                    self.allcommands = False
            for i in ids:
                self.subcommands.pop(i, None)
        elif word == b"reset":
            self.nopass = False
            self.passwords = []
            self.allkeys = False
            self.patterns = []
            self.channels = []
            self.allchannels = bool(self.ctx.pubsub_default_all)
            self.enabled = False
            self.sanitize = SANITIZE
            self.allowed = set()
            self.future = False
            self.allcommands = False
            self.subcommands = {}
        else:
            raise RuleError(EINVAL)

    def _clear(self, cmd_id) -> None:
        self.allowed.discard(cmd_id)
        self.allcommands = False

    # ---- compiled form (hot path) ----------------------------------------------------------
    def compile(self) -> None:
        self.unrestricted = self.allcommands and self.allkeys and self.allchannels
        self.key_match = None if self.allkeys else compile_patterns(self.patterns)
        self.channel_match = None if self.allchannels else compile_patterns(self.channels)
        self.sub_allowed = {i: frozenset(s.lower() for s in subs)
                            for i, subs in self.subcommands.items()}

    def check(self, spec, argv):
        """ACLCheckAllPerm: None if allowed, else ``(reason, object)`` where object is the
        command name, the denied key or the denied channel (bytes/str as ACL LOG shows it)."""
        if not self.allcommands and not spec.no_auth and spec.id not in self.allowed:
            subs = self.sub_allowed.get(spec.id)
            if subs is None or len(argv) < 2 or _cstr(argv[1]).lower() not in subs:
                return DENIED_CMD, spec.bname
        if self.key_match is not None and spec.keys is not None:
            m = self.key_match
            for k in spec.keys(argv):
                if not m(k):
                    return DENIED_KEY, k
        kind = spec.pubsub
        if kind != PUBSUB_NONE and self.channel_match is not None:
            if kind == PUBSUB_PSUBSCRIBE:
                chans = self.channels
                for ch in argv[1:]:
                    if ch not in chans:
                        return DENIED_CHANNEL, ch
            else:
                m = self.channel_match
                for ch in (argv[1:2] if kind == PUBSUB_PUBLISH else argv[1:]):
                    if not m(ch):
                        return DENIED_CHANNEL, ch
        return None

    def check_password(self, password: bytes) -> bool:
        """Credentials only (ACLCheckUserCredentials after the user lookup)."""
        if not self.enabled:
            return False
        if self.nopass:
            return True
        h = hash_password(password)
        ok = False
        for p in self.passwords:
            ok |= _consteq(h, p)
        return ok

    def channel_allowed(self, channel: bytes, literal: bool) -> bool:
        """ACLCheckPubsubChannelPerm against this user's channel list."""
        if self.allchannels:
            return True
        if literal:
            return channel in self.channels
        return self.channel_match(channel)

    # ---- descriptions ----------------------------------------------------------------------
    def flag_names(self) -> list:
        """ACL GETUSER "flags" (ACLUserFlags order)."""
        out = [b"on" if self.enabled else b"off"]
        if self.allkeys:
            out.append(b"allkeys")
        if self.allchannels:
            out.append(b"allchannels")
        if self.allcommands:
            out.append(b"allcommands")
        if self.nopass:
            out.append(b"nopass")
        if self.sanitize == SKIP_SANITIZE:
            out.append(b"skip-sanitize-payload")
        elif self.sanitize == SANITIZE:
            out.append(b"sanitize-payload")
        return out

    def describe(self) -> bytes:
        """ACLDescribeUser: the rules, in the canonical order ACL LIST and ACL SAVE print."""
        parts = [f for f in self.flag_names() if f not in (b"allkeys", b"allchannels", b"allcommands")]
        parts.extend(b"#" + p for p in self.passwords)
        if self.allkeys:
            parts.append(b"~*")
        else:
            parts.extend(b"~" + p for p in self.patterns)
        if self.allchannels:
            parts.append(b"&*")
        else:
            parts.append(b"resetchannels")
            parts.extend(b"&" + p for p in self.channels)
        parts.append(self.describe_commands())
        return b" ".join(parts)

    def describe_commands(self) -> bytes:
        """ACLDescribeUserCommandRules: +@all/-@all, best-fit categories, then single commands."""
        table = self.table
        additive = not self.future
        if additive:
            rules = [b"-@all"]
            fake = set()
        else:
            rules = [b"+@all"]
            fake = set(table.all_ids)
        temp = set(self.allowed)
        applied = set()
        while True:
            best = None
            mindiff = 1 << 62
            maxsame = 0
            for cat in CATEGORIES:
                if cat in applied:
                    continue
                ids = table.category_ids[cat]
                on = len(ids & temp)
                off = len(ids) - on
                diff, same = (off, on) if additive else (on, off)
                if same > diff and (diff < mindiff or (diff == mindiff and same > maxsame)):
                    best, mindiff, maxsame = cat, diff, same
            if best is None:
                break
            ids = table.category_ids[best]
            if additive:
                fake |= ids
                temp -= ids
                rules.append(b"+@" + best.encode())
            else:
                fake -= ids
                temp |= ids
                rules.append(b"-@" + best.encode())
            applied.add(best)
        allowed = self.allowed
        subcommands = self.subcommands
        for spec in table.ordered:
            i = spec.id
            userbit = i in allowed
            if userbit != (i in fake):
                rules.append((b"+" if userbit else b"-") + spec.bname)
            if not userbit and i in subcommands:
                for sub in subcommands[i]:
                    rules.append(b"+" + spec.bname + b"|" + sub)
        return b" ".join(rules)


def _consteq(a: bytes, b: bytes) -> bool:
    import hmac
    return hmac.compare_digest(a, b)
