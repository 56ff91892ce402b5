"""The set of ACL users and everything that changes it as a whole.

:class:`Acl` owns the users (the ``default`` user always exists and is never replaced as an
object: clients keep a reference to it), the :class:`~.log.AclLog`, and implements, with Redis
6.2's semantics and error texts:

* ``ACL SETUSER`` as a transaction (:meth:`Acl.set_user`): rules are staged on a copy and
  applied only if every rule is valid;
* ``ACL DELUSER``, authentication, ``requirepass`` (the default user's password);
* ``user ...`` lines from the configuration file (:meth:`Acl.load_config_users`);
* the ACL file: :meth:`Acl.load_file` validates the *whole* file against a fresh user set and
  changes nothing on any error; :meth:`Acl.save_file` writes atomically (temp file, fsync,
  rename, directory fsync).

What happens to connected clients (disconnections) is the server's business: these methods
return which user objects were dropped and which pub/sub subscriptions lost their permission.
"""

from __future__ import annotations

import os
import time

from .log import AclLog
from .table import CommandTable
from .users import RuleError, User, has_spaces

SAVE_ERROR = ("There was an error trying to save the ACLs. Please check the server logs for "
              "more information")
LOAD_WARNING = "WARNING: ACL errors detected, no change to the previously active ACL rules was performed"


class AclError(Exception):
    """An error reply text (without the ``ERR`` prefix)."""


class Acl:
    def __init__(self, table: CommandTable, pubsub_default_all: bool = True, log_max_len: int = 128):
        self.table = table
        self.pubsub_default_all = pubsub_default_all
        self.log_max_len = log_max_len
        self.log = AclLog()
        self.users: dict = {}
        self.default = self._new_default_user()
        self.users[b"default"] = self.default

    # ---- users -----------------------------------------------------------------------------
    def _new_default_user(self) -> User:
        """ACLCreateDefaultUser: ``+@all ~* &* on nopass``."""
        u = User(b"default", self)
        u.apply_all([b"+@all", b"~*", b"&*", b"on", b"nopass"])
        return u

    def default_user(self) -> User:
        return self.default

    def get_user(self, name: bytes):
        return self.users.get(name)

    def new_user(self, name: bytes) -> User:
        """An unlinked user as ACLCreateUser makes it: off, no rights, acl-pubsub-default."""
        return User(name, self)

    def usernames(self) -> list:
        return sorted(self.users)

    def list_lines(self) -> list:
        """ACL LIST (and the ACL file): ``user <name> <rules>`` per user, sorted by name."""
        return [b"user " + name + b" " + self.users[name].describe() for name in sorted(self.users)]

    def set_user(self, name: bytes, ops):
        """ACL SETUSER: stage ``ops`` on a copy, then commit.

        Returns ``(user, revoked)``: ``revoked`` is None, or a predicate
        ``(channels, patterns) -> bool`` telling whether a pub/sub client of this user with
        those subscriptions lost its permissions (6.2's ACLKillPubsubClientsIfNeeded).
        Raises :class:`AclError` with Redis's message on an invalid rule."""
        if has_spaces(name):
            raise AclError("Usernames can't contain spaces or null characters")
        existing = self.users.get(name)
        temp = existing.clone() if existing is not None else self.new_user(name)
        for op in ops:
            try:
                temp._apply(op)
            except RuleError as e:
                raise AclError("Error in ACL SETUSER modifier '%s': %s"
                               % (_cstr(op).decode("utf-8", "replace"), e)) from None
        temp.compile()
        revoked = None
        if existing is not None and not temp.allchannels:
            revoked = pubsub_revocation(existing, temp)
        if existing is None:
            self.users[name] = temp
            return temp, None
        existing.copy_from(temp)
        return existing, revoked

    def delete_users(self, names) -> list:
        """ACL DELUSER: the deleted user objects (whose clients must be disconnected)."""
        if any(n == b"default" for n in names):
            raise AclError("The 'default' user cannot be removed")
        deleted = []
        for n in names:
            u = self.users.pop(n, None)
            if u is not None:
                deleted.append(u)
        return deleted

    def authenticate(self, username: bytes, password: bytes):
        """ACLCheckUserCredentials: the user on success, else None."""
        u = self.users.get(username)
        if u is None or not u.check_password(password):
            return None
        return u

    def set_default_password(self, password: str | bytes | None) -> None:
        """``requirepass``: ACLUpdateDefaultUserPassword (empty means nopass)."""
        if isinstance(password, str):
            password = password.encode("utf-8", "surrogateescape")
        d = self.default
        d._apply(b"resetpass")
        if password:
            d._apply(b">" + password)
        else:
            d._apply(b"nopass")
        d.compile()

    def default_allows_anonymous(self) -> bool:
        """A new connection is logged in as ``default`` (default is on and nopass)."""
        return self.default.nopass and self.default.enabled

    # ---- config file users -----------------------------------------------------------------
    def load_config_users(self, lines) -> None:
        """``user <name> <rules...>`` lines of the config file (ACLLoadConfiguredUsers).

        Each line is a list of words (or a string split on spaces).  Raises :class:`AclError`
        with the message Redis prints before refusing to start."""
        for words in lines:
            if isinstance(words, (str, bytes)):
                words = _split_words(words)
            words = [w.encode("utf-8", "surrogateescape") if isinstance(w, str) else w for w in words]
            if not words:
                raise AclError("Error in user declaration: missing username")
            name, rules = words[0], words[1:]
            probe = self.new_user(name)
            for op in rules:
                try:
                    probe._apply(op)
                except RuleError as e:
                    raise AclError("Error in user declaration '%s': %s"
                                   % (op.decode("utf-8", "replace"), e)) from None
            if has_spaces(name):
                raise AclError("Spaces not allowed in ACL usernames")
            u = self.users.get(name)
            if u is None:
                u = self.new_user(name)
                self.users[name] = u
            else:
                u._apply(b"reset")
            u.apply_all(rules)

    # ---- ACL file --------------------------------------------------------------------------
    def parse_file(self, path: str) -> dict:
        """Build a fresh user set from the ACL file (ACLLoadFromFile, before committing).

        Returns the new ``{name: User}``; raises :class:`AclError` with the complete Redis
        error text (every bad line) if the file cannot be opened or any line is invalid."""
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise AclError("Error loading ACLs, opening file '%s': %s" % (path, e.strerror)) from None
        errors = []
        fake = self.new_user(b"__fakeuser:0__")
        users = {b"default": self._new_default_user()}
        for lineno, line in enumerate(data.split(b"\n"), 1):
            line = line.strip(b" \t\r\n")
            if not line:
                continue
            argv = line.split(b" ")
            if argv[0] != b"user" or len(argv) < 2:
                errors.append("%s:%d should start with user keyword followed by the username. "
                              % (path, lineno))
                continue
            if has_spaces(argv[1]):
                errors.append("'%s:%d: username '%s' contains invalid characters. "
                              % (path, lineno, _cstr(argv[1]).decode("utf-8", "replace")))
                continue
            fake._apply(b"reset")
            rules = [a.strip(b"\t\r\n") for a in argv[2:]]
            for op in rules:
                try:
                    fake._apply(op)
                except RuleError as e:
                    errors.append("%s:%d: %s. " % (path, lineno, e))
            if errors:
                continue
            u = users.get(argv[1])
            if u is None:
                u = self.new_user(argv[1])
                users[argv[1]] = u
            else:
                u._apply(b"reset")
            u.apply_all(rules)
        if errors:
            raise AclError("".join(errors) + LOAD_WARNING)
        return users

    def install_users(self, users: dict) -> list:
        """Replace the whole user set by ``users`` (from :meth:`parse_file`).  The default user
        object is kept (it takes the new rules); every other old user object is dropped and
        returned: clients authenticated as them must be disconnected, as Redis does."""
        new_default = users[b"default"]
        self.default.copy_from(new_default)
        users = dict(users)
        users[b"default"] = self.default
        dropped = [u for n, u in self.users.items() if u is not self.default]
        self.users = users
        return dropped

    def load_file(self, path: str) -> list:
        """ACL LOAD: parse and install; returns the dropped user objects."""
        return self.install_users(self.parse_file(path))

    def save_file(self, path: str) -> None:
        """ACL SAVE: write every user in ACL LIST form, atomically.  Raises OSError."""
        data = b"".join(line + b"\n" for line in self.list_lines())
        directory = os.path.dirname(os.path.abspath(path))
        tmp = "%s.tmp-%d-%d" % (path, os.getpid(), int(time.time() * 1000))
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            try:
                view = memoryview(data)
                while view:
                    n = os.write(fd, view)
                    view = view[n:]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
        try:
            dfd = os.open(directory, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(dfd)
        except OSError:
            pass
        finally:
            os.close(dfd)


def pubsub_revocation(old: User, new: User):
    """ACLKillPubsubClientsIfNeeded (6.2): None when ``new``'s channel list is a literal
    superset of ``old``'s, else a predicate ``(channels, patterns) -> bool`` true for a client
    whose subscriptions ``new`` no longer allows (patterns compared literally)."""
    if new.allchannels:
        return None
    if not old.allchannels and all(p in new.channels for p in old.channels):
        return None
    allowed = new.channels
    match = new.channel_match

    def revoked(channels, patterns) -> bool:
        for p in patterns:
            if p not in allowed:
                return True
        for ch in channels:
            if not match(ch):
                return True
        return False

    return revoked


def _cstr(b: bytes) -> bytes:
    i = b.find(b"\0")
    return b if i < 0 else b[:i]


def _split_words(line) -> list:
    if isinstance(line, str):
        line = line.encode("utf-8", "surrogateescape")
    return [w for w in line.split(b" ") if w]
