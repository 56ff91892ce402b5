"""Unit tests of perdure.acl: the glob matcher, rule parsing (order, errors, subcommands,
categories), canonical descriptions, the permission checker, the ACL log, the ACL file and
the user store.  No server involved: a small synthetic command table stands in for it."""

from __future__ import annotations

import hashlib
import os

import pytest

from perdure.acl import (
    CATEGORIES,
    Acl,
    AclError,
    CommandSpec,
    CommandTable,
    RuleError,
    compile_patterns,
    pubsub_revocation,
    stringmatch,
)
from perdure.acl.log import AclLog
from perdure.acl.users import (
    DENIED_CHANNEL,
    DENIED_CMD,
    DENIED_KEY,
    EBADMSG,
    EEXIST,
    EINVAL,
    EISDIR,
    ENODEV,
    ENOENT,
)


def _keys_1(argv):
    return argv[1:2]


def _keys_all(argv):
    return argv[1:]


def _keys_pairs(argv):
    return argv[1::2]


def make_table():
    specs = [
        CommandSpec(0, "get", {"read", "string", "fast"}, keys=_keys_1),
        CommandSpec(1, "set", {"write", "string", "slow"}, keys=_keys_1),
        CommandSpec(2, "strlen", {"read", "string", "fast"}, keys=_keys_1),
        CommandSpec(3, "mget", {"read", "string", "fast"}, keys=_keys_all),
        CommandSpec(4, "mset", {"write", "string", "slow"}, keys=_keys_pairs),
        CommandSpec(5, "lpush", {"write", "list", "fast"}, keys=_keys_1),
        CommandSpec(6, "lrange", {"read", "list", "slow"}, keys=_keys_1),
        CommandSpec(7, "llen", {"read", "list", "fast"}, keys=_keys_1),
        CommandSpec(8, "config", {"admin", "slow", "dangerous"}),
        CommandSpec(9, "acl", {"admin", "slow", "dangerous"}),
        CommandSpec(10, "ping", {"fast", "connection"}),
        CommandSpec(11, "auth", {"fast", "connection"}, no_auth=True),
        CommandSpec(12, "publish", {"pubsub", "fast"}),
        CommandSpec(13, "subscribe", {"pubsub", "slow"}),
        CommandSpec(14, "psubscribe", {"pubsub", "slow"}),
        CommandSpec(15, "select", {"keyspace", "fast"}),
        CommandSpec(16, "keys", {"keyspace", "read", "slow", "dangerous"}),
    ]
    return CommandTable(specs)


TABLE = make_table()


@pytest.fixture
def acl():
    return Acl(TABLE)


def user(acl, *rules, name=b"u"):
    u, _ = acl.set_user(name, [r.encode() if isinstance(r, str) else r for r in rules])
    return u


def sha(pw):
    return hashlib.sha256(pw.encode()).hexdigest().encode()


def spec(name):
    return TABLE.by_name[name]


def check(u, *argv):
    argv = [a.encode() if isinstance(a, str) else a for a in argv]
    return u.check(spec(argv[0].decode().lower()), argv)


# --------------------------------------------------------------------------- glob


@pytest.mark.parametrize("pattern,s,expected", [
    (b"*", b"", False),          # stringmatchlen never matches an empty string with a pattern
    (b"", b"", True),
    (b"", b"a", False),
    (b"*", b"anything", True),
    (b"a*", b"a", True),
    (b"a*?", b"a", False),
    (b"a**b", b"ab", True),
    (b"h?llo", b"hello", True),
    (b"h?llo", b"hllo", False),
    (b"h[ae]llo", b"hallo", True),
    (b"h[^e]llo", b"hello", False),
    (b"h[^e]llo", b"hallo", True),
    (b"[z-a]", b"m", True),      # reversed ranges are fine
    (b"[a-]", b"]", True),       # "a-]" is the range a..] (] sorts before a)
    (b"[a-]", b"b", False),
    (b"[", b"x", False),         # unterminated class: never matches
    (b"ab[", b"ab", False),
    (b"[^", b"x", True),         # negated empty unterminated class: any byte
    (b"[\\]]", b"]", True),
    (b"\\*", b"*", True),
    (b"\\*", b"a", False),
    (b"x\\", b"x\\", True),      # trailing backslash is literal
    (b"[a-\xff]", b"b", False),  # ranges compare signed chars: \xff is -1
    (b"[a-\xff]", b"\x00", True),
    (b"[a-\xff]", b"\x80", False),
    (b"a*b*c", b"aXbYc", True),
    (b"a*b*c", b"acb", False),
    (b"?", b"\n", True),
    (b"[]a]", b"]", False),      # "[]" closes immediately: an empty class
])
def test_glob(pattern, s, expected):
    assert stringmatch(pattern, s) is expected
    assert compile_patterns([pattern])(s) is expected


def test_compile_patterns_is_any_of():
    m = compile_patterns([b"a*", b"b?", b"[xy]"])
    assert [m(s) for s in (b"abc", b"bc", b"b", b"x", b"z", b"")] == [True, True, False, True, False, False]
    assert compile_patterns([])(b"a") is False


# --------------------------------------------------------------------------- rules


def test_default_user(acl):
    d = acl.default_user()
    assert d.unrestricted
    assert acl.list_lines() == [b"user default on nopass ~* &* +@all"]
    assert d.flag_names() == [b"on", b"allkeys", b"allchannels", b"allcommands", b"nopass"]


def test_new_user_is_off_and_denied_everything(acl):
    u = user(acl)
    assert u.describe() == b"off &* -@all"
    assert not u.unrestricted
    assert check(u, "ping") == (DENIED_CMD, b"ping")


def test_rules_apply_in_order(acl):
    u = user(acl, "+@all", "-get", "~*")
    assert check(u, "get", "k") == (DENIED_CMD, b"get")
    assert check(u, "set", "k", "v") is None
    u = user(acl, "-get", "+@all", "~*", name=b"v")
    assert check(u, "get", "k") is None


def test_minus_command_clears_allcommands_but_not_the_future_bit(acl):
    u = user(acl, "+@all", "-get")
    assert not u.allcommands and u.future
    assert u.describe_commands() == b"+@all -get"
    u = user(acl, "+get", name=b"u")
    assert u.describe_commands() == b"+@all"
    assert not u.allcommands


def test_unrestricted_needs_all_three(acl):
    assert user(acl, "+@all", "~*", "&*").unrestricted
    assert not user(acl, "+@all", "~*", "resetchannels", name=b"a").unrestricted
    assert not user(acl, "+@all", "&*", name=b"b").unrestricted
    assert not user(acl, "+@all", "-get", "+get", "~*", name=b"c").unrestricted


def test_categories(acl):
    u = user(acl, "+@read", "~*")
    assert check(u, "get", "k") is None and check(u, "lrange", "k", "0", "1") is None
    assert check(u, "set", "k", "v") == (DENIED_CMD, b"set")
    u = user(acl, "+@all", "-@string", "~*")
    assert check(u, "get", "k")[0] == DENIED_CMD and check(u, "llen", "k") is None


def test_case_insensitive_words(acl):
    u = user(acl, "ON", "NoPass", "AllKeys", "+GET", "+@READ")
    assert u.enabled and u.nopass and u.allkeys
    assert u.describe() == b"on nopass ~* &* -@all +@read"


@pytest.mark.parametrize("rules,bad,why", [
    (["+nocmd"], b"+nocmd", ENOENT),
    (["-nocmd"], b"-nocmd", ENOENT),
    (["+@nocat"], b"+@nocat", ENOENT),
    (["+"], b"+", ENOENT),
    (["+@"], b"+@", ENOENT),
    (["+|x"], b"+|x", ENOENT),
    (["-get|x"], b"-get|x", ENOENT),
    (["+get|"], b"+get|", EINVAL),
    (["bogus"], b"bogus", EINVAL),
    (["~a b"], b"~a b", EINVAL),
    (["~a\x00b"], b"~a\x00b", EINVAL),
    (["allkeys", "~x"], b"~x", EEXIST),
    (["&x"], b"&x", EISDIR),
    (["#abc"], b"#abc", EBADMSG),
    (["#" + "G" * 64], b"#" + b"G" * 64, EBADMSG),
    (["<nope"], b"<nope", ENODEV),
])
def test_rule_errors(acl, rules, bad, why):
    with pytest.raises(AclError) as e:
        acl.set_user(b"u", [r.encode() for r in rules])
    assert str(e.value) == "Error in ACL SETUSER modifier '%s': %s" % (
        bad.split(b"\0")[0].decode(), why)
    assert acl.get_user(b"u") is None


def test_single_rule_errors_raise_rule_error(acl):
    u = acl.new_user(b"x")
    with pytest.raises(RuleError) as e:
        u.apply(b"+nocmd")
    assert str(e.value) == ENOENT


def test_failed_setuser_changes_nothing(acl):
    user(acl, "on", ">pw", "~a")
    before = acl.get_user(b"u").describe()
    with pytest.raises(AclError):
        acl.set_user(b"u", [b"off", b"~b", b"+nocmd"])
    assert acl.get_user(b"u").describe() == before


def test_username_with_spaces(acl):
    with pytest.raises(AclError, match="Usernames can't contain spaces or null characters"):
        acl.set_user(b"a b", [])


def test_passwords(acl):
    u = user(acl, ">a", ">b", ">a", "<b", ">c")
    assert u.passwords == [sha("a"), sha("c")]
    u = user(acl, "nopass", ">x")
    assert not u.nopass and u.passwords == [sha("x")]
    u = user(acl, "nopass")
    assert u.nopass and u.passwords == []
    u = user(acl, "#" + sha("h").decode(), "!" + sha("h").decode(), ">z", "resetpass")
    assert u.passwords == [] and not u.nopass


def test_check_password(acl):
    u = user(acl, ">pw")
    assert not u.check_password(b"pw")  # off
    u = user(acl, "on")
    assert u.check_password(b"pw") and not u.check_password(b"PW")
    assert acl.authenticate(b"u", b"pw") is u
    assert acl.authenticate(b"u", b"x") is None
    assert acl.authenticate(b"nosuch", b"pw") is None
    user(acl, "nopass")
    assert acl.authenticate(b"u", b"anything") is u


def test_key_patterns(acl):
    u = user(acl, "+@all", "~a*", "~b?", "~a*")
    assert u.patterns == [b"a*", b"b?"]
    assert check(u, "mset", "a1", "v", "bx", "v") is None
    assert check(u, "mset", "a1", "v", "c", "v") == (DENIED_KEY, b"c")
    assert check(u, "mget", "b", "a") == (DENIED_KEY, b"b")
    assert check(u, "ping") is None


def test_resetkeys_and_allkeys(acl):
    u = user(acl, "~a", "allkeys")
    assert u.allkeys and u.patterns == []
    u = user(acl, "resetkeys", "~b")
    assert not u.allkeys and u.patterns == [b"b"]
    u = user(acl, "~*")
    assert u.allkeys


def test_channels(acl):
    u = user(acl, "+@all", "resetchannels", "&news.*", "&x")
    assert check(u, "publish", "news.1", "m") is None
    assert check(u, "publish", "sport", "m") == (DENIED_CHANNEL, b"sport")
    assert check(u, "subscribe", "news.a", "y") == (DENIED_CHANNEL, b"y")
    assert check(u, "psubscribe", "news.*") is None
    assert check(u, "psubscribe", "news.?") == (DENIED_CHANNEL, b"news.?")
    assert check(u, "psubscribe", "x") is None


def test_acl_pubsub_default(acl):
    acl.pubsub_default_all = False
    u = user(acl)
    assert u.describe() == b"off resetchannels -@all"
    u = user(acl, "allchannels", "reset")
    assert not u.allchannels
    acl.pubsub_default_all = True
    assert user(acl, "reset").allchannels


def test_reset(acl):
    u = user(acl, "on", ">pw", "~*", "resetchannels", "&c", "+@all", "skip-sanitize-payload", "reset")
    assert u.describe() == b"off sanitize-payload &* -@all"


def test_no_auth_commands_bypass_the_command_check(acl):
    u = user(acl, "-@all")
    assert check(u, "auth", "u", "p") is None


def test_subcommands(acl):
    u = user(acl, "-@all", "+config|get", "+config|GET", "+config|set")
    assert u.subcommands == {8: [b"get", b"set"]}
    assert check(u, "config", "GET", "x") is None
    assert check(u, "config", "Set", "x", "y") is None
    assert check(u, "config", "rewrite") == (DENIED_CMD, b"config")
    assert check(u, "config") == (DENIED_CMD, b"config")
    assert u.describe_commands() == b"-@all +config|get +config|set"


def test_subcommand_stored_as_typed_compared_without_case(acl):
    u = user(acl, "+config|GET", "+config|get")
    assert u.describe_commands() == b"-@all +config|GET"
    assert check(u, "config", "get") is None


def test_subcommand_rules_reset_by_command_and_category_rules(acl):
    assert user(acl, "+config|get", "-config", name=b"a").subcommands == {}
    u = user(acl, "+config|get", "+config", name=b"b")
    assert u.subcommands == {} and u.describe_commands() == b"-@all +config"
    assert user(acl, "+config|get", "+@admin", name=b"c").subcommands == {}
    assert user(acl, "+config|get", "-@string", name=b"d").subcommands == {8: [b"get"]}
    assert user(acl, "+config|get", "+@all", name=b"e").subcommands == {}
    u = user(acl, "+get", "+get|x", name=b"f")  # the command is already allowed: nothing to add
    assert u.subcommands == {}


def test_first_argument_of_any_command(acl):
    u = user(acl, "-@all", "+select|0")
    assert check(u, "select", "0") is None
    assert check(u, "select", "1") == (DENIED_CMD, b"select")


# --------------------------------------------------------------------------- descriptions


@pytest.mark.parametrize("rules,expected", [
    ([], b"-@all"),
    (["+@all"], b"+@all"),
    (["+@all", "-get"], b"+@all -get"),
    (["-@all", "+get"], b"-@all +get"),
    (["+@all", "-@all"], b"-@all"),
    (["-@all", "+@all"], b"+@all"),
    (["+@string"], b"-@all +@string"),
    (["+@string", "-get"], b"-@all +@string -get"),
    (["+@all", "-@string"], b"+@all -@string"),
    (["+@list"], b"-@all +@list"),
    # best fit: equal differences -> the category with more commands in common goes first
    (["+@read", "+@write"], b"-@all +@read +@write"),
    (["+@list", "+@string"], b"-@all +@string +@list"),
    (["+@admin"], b"-@all +@admin"),
    (["+@all", "-@dangerous"], b"+@all -@dangerous"),
    (["+@all", "-config", "+config|get"], b"+@all -config +config|get"),
    (["+get", "+lpush"], b"-@all +get +lpush"),
    (["+get", "+set", "+strlen"], b"-@all +@string -mget -mset"),
])
def test_describe_commands(acl, rules, expected):
    assert user(acl, *rules).describe_commands() == expected


def test_describe_round_trips(acl):
    cases = [["+@read", "-get", "+set"], ["+@all", "-@list", "+lpush"], ["+@string", "+@list", "-mset"],
             ["+@all", "-@admin", "+config|get", "+acl|whoami"], ["+llen", "+@pubsub", "-publish"]]
    for i, rules in enumerate(cases):
        u = user(acl, *rules, name=b"r%d" % i)
        rebuilt = user(acl, *u.describe_commands().split(b" "), name=b"s%d" % i)
        assert rebuilt.allowed == u.allowed and rebuilt.future == u.future
        assert rebuilt.subcommands == u.subcommands


def test_describe_user(acl):
    u = user(acl, "on", ">pw", "~k*", "resetchannels", "&ch*", "+@all", "-get")
    assert u.describe() == b"on #" + sha("pw") + b" ~k* resetchannels &ch* +@all -get"
    assert user(acl, "skip-sanitize-payload", name=b"s").describe() == b"off skip-sanitize-payload &* -@all"


def test_list_lines_sorted(acl):
    for n in (b"bob", b"Zed", b"a"):
        acl.set_user(n, [])
    assert [ln.split(b" ")[1] for ln in acl.list_lines()] == [b"Zed", b"a", b"bob", b"default"]
    assert acl.usernames() == [b"Zed", b"a", b"bob", b"default"]


# --------------------------------------------------------------------------- store


def test_delete_users(acl):
    acl.set_user(b"a", [])
    acl.set_user(b"b", [])
    with pytest.raises(AclError, match="The 'default' user cannot be removed"):
        acl.delete_users([b"a", b"default"])
    assert acl.get_user(b"a") is not None
    deleted = acl.delete_users([b"a", b"nosuch", b"b", b"a"])
    assert [u.name for u in deleted] == [b"a", b"b"]
    assert acl.usernames() == [b"default"]


def test_setuser_keeps_the_user_object(acl):
    u1 = user(acl, "on")
    u2 = user(acl, "+get")
    assert u1 is u2 and u1.enabled


def test_requirepass(acl):
    acl.set_default_password("secret")
    assert not acl.default_allows_anonymous()
    assert acl.list_lines() == [b"user default on #" + sha("secret") + b" ~* &* +@all"]
    acl.set_default_password("")
    assert acl.default_allows_anonymous()
    assert acl.list_lines() == [b"user default on nopass ~* &* +@all"]


def test_config_users(acl):
    acl.load_config_users(["alice on >pw ~app:* +@read", [b"default", b"on", b"nopass", b"+@all"]])
    assert acl.list_lines() == [
        b"user alice on #" + sha("pw") + b" ~app:* &* -@all +@read",
        b"user default on nopass sanitize-payload &* +@all",
    ]
    with pytest.raises(AclError, match="Error in user declaration 'bogus': Syntax error"):
        acl.load_config_users(["bob on bogus"])


def test_pubsub_revocation(acl):
    old = user(acl, "resetchannels", "&a", "&b")
    same = acl.new_user(b"x")
    same.apply_all([b"resetchannels", b"&b", b"&a", b"&c"])
    assert pubsub_revocation(old, same) is None
    narrower = acl.new_user(b"y")
    narrower.apply_all([b"resetchannels", b"&a*"])
    revoked = pubsub_revocation(old, narrower)
    assert revoked({b"a"}, set()) is False
    assert revoked({b"ab"}, set()) is False
    assert revoked({b"b"}, set()) is True
    assert revoked(set(), {b"a*"}) is False
    assert revoked(set(), {b"a"}) is True  # patterns compared literally
    allch = acl.new_user(b"z")
    assert pubsub_revocation(old, allch) is None
    assert pubsub_revocation(allch, narrower)({b"a1"}, set()) is False


def test_set_user_reports_revocations(acl):
    user(acl, "resetchannels", "&a")
    _, revoked = acl.set_user(b"u", [b"resetchannels", b"&b"])
    assert revoked({b"a"}, set()) is True
    _, revoked = acl.set_user(b"u", [b"&c"])
    assert revoked is None


# --------------------------------------------------------------------------- ACL file


def test_save_and_load_round_trip(acl, tmp_path):
    path = str(tmp_path / "users.acl")
    user(acl, "on", ">pw", "~k*", "resetchannels", "&c", "-@all", "+@read", "+config|get", name=b"alice")
    acl.save_file(path)
    with open(path, "rb") as f:
        assert f.read() == b"".join(line + b"\n" for line in acl.list_lines())
    assert os.listdir(tmp_path) == ["users.acl"]
    before = acl.list_lines()
    other = Acl(TABLE)
    dropped = other.load_file(path)
    assert dropped == []
    # "default" is in the file and already exists: reset first, hence sanitize-payload
    assert other.list_lines() == [before[0], b"user default on nopass sanitize-payload ~* &* +@all"]


def test_load_errors_change_nothing(acl, tmp_path):
    path = tmp_path / "users.acl"
    path.write_bytes(b"user a on >p +nocmd +@nocat\nfoo\nuser\nuser a\tb\nuser ok on\n")
    user(acl, "on", name=b"keep")
    before = acl.list_lines()
    with pytest.raises(AclError) as e:
        acl.load_file(str(path))
    p = str(path)
    assert str(e.value) == (
        f"{p}:1: Unknown command or category name in ACL. {p}:1: Unknown command or category name "
        f"in ACL. {p}:2 should start with user keyword followed by the username. {p}:3 should start "
        f"with user keyword followed by the username. '{p}:4: username 'a\tb' contains invalid "
        "characters. WARNING: ACL errors detected, no change to the previously active ACL rules "
        "was performed")
    assert acl.list_lines() == before


def test_load_missing_file(acl, tmp_path):
    p = str(tmp_path / "nope.acl")
    with pytest.raises(AclError) as e:
        acl.load_file(p)
    assert str(e.value) == f"Error loading ACLs, opening file '{p}': No such file or directory"


def test_load_replaces_users_and_keeps_the_default_object(acl, tmp_path):
    path = tmp_path / "users.acl"
    old_alice = user(acl, "on", name=b"alice")
    default = acl.default_user()
    path.write_bytes(b"user alice on >p\nuser default on >x +@all ~*\nuser alice +get\n")
    dropped = acl.load_file(str(path))
    assert dropped == [old_alice]
    assert acl.default_user() is default and acl.get_user(b"default") is default
    assert acl.get_user(b"alice") is not old_alice
    assert acl.list_lines() == [
        b"user alice off sanitize-payload &* -@all +get",
        b"user default on sanitize-payload #" + sha("x") + b" ~* &* +@all",
    ]


# --------------------------------------------------------------------------- log


def test_log_grouping_and_trimming():
    log = AclLog()
    log.add("command", "toplevel", b"get", b"u", b"c1", 1000, 3)
    log.add("command", "toplevel", b"set", b"u", b"c2", 2000, 3)
    e = log.add("command", "toplevel", b"get", b"u", b"c3", 3000, 3)
    assert [(x.object, x.count) for x in log.newest(10)] == [(b"get", 2), (b"set", 1)]
    assert e.cinfo == b"c3" and e.ctime_ms == 3000
    log.add("command", "multi", b"get", b"u", b"c", 3000, 3)      # other context: new entry
    log.add("command", "toplevel", b"get", b"u", b"c", 70000, 3)  # > 60 s later: new entry
    assert [(x.context, x.count) for x in log.newest(10)] == [("toplevel", 1), ("multi", 1), ("toplevel", 2)]
    assert len(log) == 3
    log.reset()
    assert log.newest(10) == []


def test_categories_constant():
    assert len(CATEGORIES) == 21 and CATEGORIES[0] == "keyspace" and CATEGORIES[-1] == "scripting"
    with pytest.raises(ValueError):
        CommandSpec(99, "x", {"nosuch"})
