"""ACL compatibility: users and rules, canonical ACL LIST/GETUSER forms, AUTH, enforcement
(commands, subcommands, keys, channels, MULTI), ACL LOG, disconnections, the ACL file.

Every test leaves the user set as it found it (an autouse fixture deletes the users it created
and restores ``default``), because the target server is shared by the whole session.  Rule
sets whose canonical form depends on the exact membership of large categories, or that list
several single commands (Redis prints those in its random dict order), are avoided.
"""

from __future__ import annotations

import hashlib
import time

import pytest

from .helpers import err, ex

DEFAULT_LINE = b"user default on nopass ~* &* +@all"
NOPERM_CMD = "NOPERM this user has no permissions to run the '%s' command or its subcommand"
NOPERM_KEY = "NOPERM this user has no permissions to access one of the keys used as arguments"
NOPERM_CHANNEL = "NOPERM this user has no permissions to access one of the channels used as arguments"
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
WRONGPASS_REPLY = b"-" + WRONGPASS.encode() + b"\r\n"
NOAUTH = "NOAUTH Authentication required."
SETUSER_ERR = "ERR Error in ACL SETUSER modifier '%s': %s"
UNKNOWN = "Unknown command or category name in ACL"
SYNTAX = "Syntax error"
ALLKEYS_ERR = ("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does "
               "not have any effect. Try 'resetkeys' to start with an empty list of patterns")
ALLCHANNELS_ERR = ("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid "
                   "and does not have any effect. Try 'resetchannels' to start with an empty list "
                   "of channels")
NOPASS_REMOVE_ERR = "The password you are trying to remove from the user does not exist"
HASH_ERR = ("The password hash must be exactly 64 characters and contain only lowercase hexadecimal "
            "characters")
NO_ACLFILE = (
    "ERR This Redis instance is not configured to use an ACL file. You may want to specify users "
    "via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis "
    "configuration file set) in order to store users in the Redis configuration.")


def sha(pw: str) -> bytes:
    return hashlib.sha256(pw.encode()).hexdigest().encode()


@pytest.fixture(scope="module")
def _module_admin(target_server):
    """One default-user connection for the module, made before any test changes users."""
    admin = target_server.client()
    yield admin
    admin.close()


@pytest.fixture(autouse=True)
def acl_admin(_module_admin):
    """After each test: delete every user but ``default``, restore ``default``, empty ACL LOG
    (through a connection that stays logged in whatever the test did to ``default``)."""
    admin = _module_admin
    ex(admin, "ACL", "LOG", "RESET")
    yield admin
    users = [u for u in ex(admin, "ACL", "USERS") if u != b"default"]
    if users:
        ex(admin, "ACL", "DELUSER", *users)
    ex(admin, "ACL", "SETUSER", "default", "on", "nopass", "allkeys", "allchannels", "allcommands")
    ex(admin, "ACL", "LOG", "RESET")


def setuser(r, name, *rules):
    assert ex(r, "ACL", "SETUSER", name, *rules) == b"OK"


def line_of(r, name) -> bytes:
    for line in ex(r, "ACL", "LIST"):
        if line.split(b" ")[1] == name.encode():
            return line
    raise AssertionError(f"no ACL LIST line for {name}")


def getuser(r, name) -> dict:
    reply = ex(r, "ACL", "GETUSER", name)
    if isinstance(reply, list):
        reply = dict(zip(reply[::2], reply[1::2], strict=True))
    return reply


def login(make_client, name, pw="pw", **kw):
    return make_client(username=name, password=pw, **kw)


# --------------------------------------------------------------------------- LIST / USERS / GETUSER


def test_list_has_only_the_default_user(r2):
    assert ex(r2, "ACL", "LIST") == [DEFAULT_LINE]
    assert ex(r2, "ACL", "USERS") == [b"default"]


def test_setuser_reply_is_simple_ok(raw):
    assert raw.cmd("ACL", "SETUSER", "alice") == b"+OK\r\n"


def test_new_user_has_no_rights(r2):
    setuser(r2, "alice")
    assert line_of(r2, "alice") == b"user alice off &* -@all"


def test_users_and_list_are_sorted_bytewise(r2):
    for name in ("bob", "Zed", "alice", "a"):
        setuser(r2, name)
    assert ex(r2, "ACL", "USERS") == [b"Zed", b"a", b"alice", b"bob", b"default"]
    assert [ln.split(b" ")[1] for ln in ex(r2, "ACL", "LIST")] == [b"Zed", b"a", b"alice", b"bob", b"default"]


def test_getuser_default(r):
    u = getuser(r, "default")
    assert sorted(u) == [b"channels", b"commands", b"flags", b"keys", b"passwords"]
    assert list(u[b"flags"]) == [b"on", b"allkeys", b"allchannels", b"allcommands", b"nopass"]
    assert u[b"passwords"] == []
    assert u[b"commands"] == b"+@all"
    assert u[b"keys"] == [b"*"]
    assert u[b"channels"] == [b"*"]


def test_getuser_reply_order_resp2(r2):
    setuser(r2, "alice", "on", ">pw", "~k*", "resetchannels", "&c", "-@all", "+get")
    assert ex(r2, "ACL", "GETUSER", "alice") == [
        b"flags", [b"on"], b"passwords", [sha("pw")], b"commands", b"-@all +get",
        b"keys", [b"k*"], b"channels", [b"c"]]


def test_getuser_resp3_is_a_map_with_a_set_of_flags(raw):
    raw.cmd("HELLO", "3")
    raw.cmd("ACL", "SETUSER", "alice", "on")
    assert raw.cmd("ACL", "GETUSER", "alice") == (
        b"%5\r\n$5\r\nflags\r\n~2\r\n$2\r\non\r\n$11\r\nallchannels\r\n$9\r\npasswords\r\n*0\r\n"
        b"$8\r\ncommands\r\n$5\r\n-@all\r\n$4\r\nkeys\r\n*0\r\n$8\r\nchannels\r\n*1\r\n$1\r\n*\r\n")


def test_getuser_missing_user_is_null(r):
    assert ex(r, "ACL", "GETUSER", "nosuchuser") is None


def test_getuser_missing_user_null_bytes(raw):
    assert raw.cmd("ACL", "GETUSER", "nosuchuser") == b"$-1\r\n"
    raw.cmd("HELLO", "3")
    assert raw.cmd("ACL", "GETUSER", "nosuchuser") == b"_\r\n"


# Rules -> the canonical description (ACL LIST after "user <name> ").  Each case avoids
# several single-command rules (their order is Redis's random dict order).
CANONICAL = [
    (["on", ">pw", "~k*", "resetchannels", "&ch*", "+@all", "-get"],
     b"on #" + sha("pw") + b" ~k* resetchannels &ch* +@all -get"),
    (["+@all", "-get", "+get"], b"off &* +@all"),
    (["-@all", "+@all"], b"off &* +@all"),
    (["+@all", "-@all"], b"off &* -@all"),
    (["-@all", "+get"], b"off &* -@all +get"),
    (["+GET"], b"off &* -@all +get"),
    (["-get", "+@all"], b"off &* +@all"),
    (["-@all", "+@string", "-get"], b"off &* -@all +@string -get"),
    (["-@all", "+@STRING"], b"off &* -@all +@string"),
    (["+@all", "-@list"], b"off &* +@all -@list"),
    (["+@all", "-@string"], b"off &* +@all -@string"),
    (["-@all", "+config|get"], b"off &* -@all +config|get"),
    (["+@all", "-config", "+config|get"], b"off &* +@all -config +config|get"),
    (["-@all", "+config|GET", "+config|get"], b"off &* -@all +config|GET"),
    (["-@all", "+select|0", "+SELECT|1"], b"off &* -@all +select|0 +select|1"),
    (["+get", "+get|x"], b"off &* -@all +get"),
    (["+config|get", "-config"], b"off &* -@all"),
    (["+config|get", "+config"], b"off &* -@all +config"),
    (["+config|get", "-@string"], b"off &* -@all +config|get"),
    (["allcommands", "-@all", "allkeys", "resetkeys"], b"off &* -@all"),
    (["nocommands"], b"off &* -@all"),
    ([">a", ">b", ">a", "<b", ">c"], b"off #" + sha("a") + b" #" + sha("c") + b" &* -@all"),
    (["nopass", ">a"], b"off #" + sha("a") + b" &* -@all"),
    ([">a", "nopass"], b"off nopass &* -@all"),
    ([">a", "resetpass"], b"off &* -@all"),
    ([">"], b"off #" + sha("") + b" &* -@all"),
    (["#" + sha("x").decode()], b"off #" + sha("x") + b" &* -@all"),
    ([">x", "!" + sha("x").decode()], b"off &* -@all"),
    (["on", "off", "ON"], b"on &* -@all"),
    (["~a", "~b", "~a"], b"off ~a ~b &* -@all"),
    (["~a", "allkeys"], b"off ~* &* -@all"),
    (["~a", "~*"], b"off ~* &* -@all"),
    (["allkeys", "resetkeys", "~b"], b"off ~b &* -@all"),
    (["~"], b"off ~ &* -@all"),
    (["resetchannels"], b"off resetchannels -@all"),
    (["resetchannels", "&x", "&y", "&x"], b"off resetchannels &x &y -@all"),
    (["resetchannels", "&x", "allchannels"], b"off &* -@all"),
    (["resetchannels", "&"], b"off resetchannels & -@all"),
    (["reset"], b"off sanitize-payload &* -@all"),
    (["skip-sanitize-payload"], b"off skip-sanitize-payload &* -@all"),
    (["skip-sanitize-payload", "sanitize-payload"], b"off sanitize-payload &* -@all"),
    (["on", "nopass", "sanitize-payload", "~*", "+@all"], b"on nopass sanitize-payload ~* &* +@all"),
    ([""], b"off &* -@all"),
    (["on", ">pw", "~*", "+@all", "reset"], b"off sanitize-payload &* -@all"),
]


@pytest.mark.parametrize("rules,expected", CANONICAL, ids=[" ".join(c[0]) or "empty" for c in CANONICAL])
def test_canonical_description(r2, rules, expected):
    setuser(r2, "u1", *rules)
    assert line_of(r2, "u1") == b"user u1 " + expected


def test_setuser_applies_on_top_of_existing_rules(r2):
    setuser(r2, "u1", "on", "+get", "~a")
    setuser(r2, "u1", "+set", "~b")
    assert getuser(r2, "u1")[b"keys"] == [b"a", b"b"]
    assert getuser(r2, "u1")[b"flags"] == [b"on", b"allchannels"]


def test_getuser_flags_track_all_flags(r2):
    setuser(r2, "u1", "+@all", "-get", "~*", "allchannels")
    assert getuser(r2, "u1")[b"flags"] == [b"off", b"allkeys", b"allchannels"]
    setuser(r2, "u1", "+@all")
    assert getuser(r2, "u1")[b"flags"] == [b"off", b"allkeys", b"allchannels", b"allcommands"]


# --------------------------------------------------------------------------- SETUSER errors

SETUSER_ERRORS = [
    (["+nocmd"], "+nocmd", UNKNOWN),
    (["-nocmd"], "-nocmd", UNKNOWN),
    (["+@nocat"], "+@nocat", UNKNOWN),
    (["-@nocat"], "-@nocat", UNKNOWN),
    (["+"], "+", UNKNOWN),
    (["-"], "-", UNKNOWN),
    (["+@"], "+@", UNKNOWN),
    (["+|x"], "+|x", UNKNOWN),
    (["-get|x"], "-get|x", UNKNOWN),
    (["+get|"], "+get|", SYNTAX),
    (["foo"], "foo", SYNTAX),
    (["%R~foo"], "%R~foo", SYNTAX),
    (["~a b"], "~a b", SYNTAX),
    (["~a\tb"], "~a\tb", SYNTAX),
    (["resetchannels", "&a b"], "&a b", SYNTAX),
    (["allkeys", "~foo"], "~foo", ALLKEYS_ERR),
    (["&x"], "&x", ALLCHANNELS_ERR),
    (["#abc"], "#abc", HASH_ERR),
    (["!abc"], "!abc", HASH_ERR),
    (["#" + "A" * 64], "#" + "A" * 64, HASH_ERR),
    (["<nope"], "<nope", NOPASS_REMOVE_ERR),
    (["!" + sha("nope").decode()], "!" + sha("nope").decode(), NOPASS_REMOVE_ERR),
]


@pytest.mark.parametrize("rules,bad,why", SETUSER_ERRORS, ids=[c[1] for c in SETUSER_ERRORS])
def test_setuser_errors(r2, rules, bad, why):
    assert err(r2, "ACL", "SETUSER", "u1", *rules) == SETUSER_ERR % (bad, why)
    assert ex(r2, "ACL", "GETUSER", "u1") is None  # nothing was created


def test_setuser_error_changes_nothing(r2):
    setuser(r2, "u1", "on", ">pw", "~a")
    assert err(r2, "ACL", "SETUSER", "u1", "off", "~b", "+nocmd").endswith(UNKNOWN)
    assert line_of(r2, "u1") == b"user u1 on #" + sha("pw") + b" ~a &* -@all"


def test_setuser_username_with_spaces(r2):
    assert err(r2, "ACL", "SETUSER", "a b") == "ERR Usernames can't contain spaces or null characters"
    assert err(r2, "ACL", "SETUSER", "a\x00b") == "ERR Usernames can't contain spaces or null characters"


# --------------------------------------------------------------------------- other subcommands


@pytest.mark.parametrize("args", [
    ("FOO",), ("WHOAMI", "x"), ("LIST", "x"), ("USERS", "x"), ("CAT", "read", "x"), ("GETUSER",),
    ("GETUSER", "a", "b"), ("SETUSER",), ("DELUSER",), ("LOG", "1", "2"), ("GENPASS", "1", "2"),
    ("HELP", "x")])
def test_subcommand_syntax_errors(r2, args):
    assert err(r2, "ACL", *args) == (
        "ERR Unknown subcommand or wrong number of arguments for '%s'. Try ACL HELP." % args[0])


def test_acl_without_subcommand(r2):
    assert err(r2, "ACL") == "ERR wrong number of arguments for 'acl' command"


def test_subcommands_are_case_insensitive(r2):
    assert ex(r2, "acl", "whoami") == b"default"
    assert ex(r2, "Acl", "Users") == [b"default"]


def test_help(r2):
    lines = ex(r2, "ACL", "HELP")
    assert lines[0] == b"ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert lines[1:5] == [b"CAT [<category>]",
                          b"    List all commands that belong to <category>, or all command categories",
                          b"    when no category is specified.",
                          b"DELUSER <username> [<username> ...]"]
    assert lines[-4:] == [b"WHOAMI", b"    Return the current connection username.", b"HELP",
                          b"    Prints this help."]
    assert len(lines) == 27


def test_help_lines_are_status_replies(raw):
    reply = raw.cmd("ACL", "HELP")
    assert reply.startswith(b"*27\r\n+ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n")


def test_whoami(r2, make_client):
    assert ex(r2, "ACL", "WHOAMI") == b"default"
    setuser(r2, "alice", "on", ">pw", "+acl")
    assert ex(login(make_client, "alice"), "ACL", "WHOAMI") == b"alice"


def test_deluser_counts_deleted_users(r2):
    setuser(r2, "a")
    setuser(r2, "b")
    assert ex(r2, "ACL", "DELUSER", "a", "nosuch", "b", "a") == 2
    assert ex(r2, "ACL", "USERS") == [b"default"]


def test_deluser_default_is_refused_and_deletes_nothing(r2):
    setuser(r2, "a")
    assert err(r2, "ACL", "DELUSER", "a", "default") == "ERR The 'default' user cannot be removed"
    assert ex(r2, "ACL", "USERS") == [b"a", b"default"]


def test_load_and_save_need_an_aclfile(r2):
    assert err(r2, "ACL", "SAVE") == NO_ACLFILE
    assert err(r2, "ACL", "LOAD") == NO_ACLFILE
    assert err(r2, "ACL", "LOAD", "extra") == NO_ACLFILE


def test_genpass_default_is_256_bits_of_hex(r2):
    p = ex(r2, "ACL", "GENPASS")
    assert len(p) == 64 and all(c in b"0123456789abcdef" for c in p)
    assert ex(r2, "ACL", "GENPASS") != p


@pytest.mark.parametrize("bits,chars", [(1, 1), (4, 1), (5, 2), (8, 2), (255, 64), (4096, 1024)])
def test_genpass_bits(r2, bits, chars):
    p = ex(r2, "ACL", "GENPASS", bits)
    assert len(p) == chars and all(c in b"0123456789abcdef" for c in p)


@pytest.mark.parametrize("bits", ["0", "-1", "4097"])
def test_genpass_out_of_range(r2, bits):
    assert err(r2, "ACL", "GENPASS", bits) == (
        "ERR ACL GENPASS argument must be the number of bits for the output password, a positive "
        "number up to 4096")


def test_genpass_not_an_integer(r2):
    assert err(r2, "ACL", "GENPASS", "abc") == "ERR value is not an integer or out of range"


# --------------------------------------------------------------------------- CAT

CATEGORIES = [b"keyspace", b"read", b"write", b"set", b"sortedset", b"list", b"hash", b"string",
              b"bitmap", b"hyperloglog", b"geo", b"stream", b"pubsub", b"admin", b"fast", b"slow",
              b"blocking", b"dangerous", b"connection", b"transaction", b"scripting"]


def test_cat_lists_the_categories_in_order(r2):
    assert ex(r2, "ACL", "CAT") == CATEGORIES


def test_cat_unknown_category(r2):
    assert err(r2, "ACL", "CAT", "nosuch") == "ERR Unknown category 'nosuch'"


@pytest.mark.parametrize("cat,present,absent", [
    ("read", ["get", "mget", "strlen", "lrange", "zscore", "getbit"], ["set", "ping", "acl"]),
    ("write", ["set", "lpush", "zadd", "setbit", "getdel"], ["get", "lrange"]),
    ("string", ["get", "set", "mget", "incrbyfloat", "stralgo", "substr"], ["setbit", "lpush"]),
    ("list", ["lpush", "blpop", "lmove", "lpos"], ["get", "zadd"]),
    ("sortedset", ["zadd", "zrange", "bzpopmin", "zunionstore"], ["lpush"]),
    ("bitmap", ["setbit", "getbit", "bitcount", "bitfield", "bitop"], ["get"]),
    ("fast", ["get", "ping", "echo", "incr", "lpush", "select"], ["set", "mset", "acl", "lrange"]),
    ("slow", ["set", "mset", "acl", "lrange", "config"], ["get", "ping"]),
    ("blocking", ["blpop", "brpop", "blmove", "bzpopmax"], ["lpop"]),
    ("admin", ["acl", "config", "monitor"], ["get", "ping"]),
    ("dangerous", ["acl", "config"], ["get"]),
    ("connection", ["ping", "echo"], ["quit", "select"]),
    ("keyspace", ["select"], ["get"]),
])
def test_cat_members(r2, cat, present, absent):
    names = ex(r2, "ACL", "CAT", cat)
    assert len(names) == len(set(names))
    for name in present:
        assert name.encode() in names, name
    for name in absent:
        assert name.encode() not in names, name


def test_cat_is_case_insensitive(r2):
    assert sorted(ex(r2, "ACL", "CAT", "STRING")) == sorted(ex(r2, "ACL", "CAT", "string"))


def test_quit_is_not_an_acl_command(r2):
    assert err(r2, "ACL", "SETUSER", "u1", "+quit") == SETUSER_ERR % ("+quit", UNKNOWN)


# --------------------------------------------------------------------------- AUTH


def test_auth_with_username(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "+@all", "~*")
    c = make_client()
    assert ex(c, "AUTH", "alice", "pw") == b"OK"
    assert ex(c, "ACL", "WHOAMI") == b"alice"


def test_auth_wrong_password(r2, raw):
    setuser(r2, "alice", "on", ">pw", "+@all")
    assert raw.cmd("AUTH", "alice", "nope") == WRONGPASS_REPLY
    assert raw.cmd("ACL", "WHOAMI") == b"$7\r\ndefault\r\n"


def test_auth_unknown_user(raw):
    assert raw.cmd("AUTH", "nosuch", "pw") == WRONGPASS_REPLY


def test_auth_disabled_user(r2, raw):
    setuser(r2, "alice", "off", ">pw", "+@all")
    assert raw.cmd("AUTH", "alice", "pw") == WRONGPASS_REPLY


def test_auth_nopass_user_accepts_any_password(r2, make_client):
    setuser(r2, "alice", "on", "nopass", "+acl")
    c = make_client()
    assert ex(c, "AUTH", "alice", "whatever") == b"OK"
    assert ex(c, "ACL", "WHOAMI") == b"alice"


def test_auth_any_of_several_passwords(r2, raw):
    setuser(r2, "alice", "on", ">one", ">two", "+acl")
    assert raw.cmd("AUTH", "alice", "two") == b"+OK\r\n"
    assert raw.cmd("AUTH", "alice", "one") == b"+OK\r\n"
    setuser(r2, "alice", "<one")
    assert raw.cmd("AUTH", "alice", "one") == WRONGPASS_REPLY
    assert raw.cmd("AUTH", "alice", "two") == b"+OK\r\n"


def test_auth_with_hashed_password_rule(r2, make_client):
    setuser(r2, "alice", "on", "#" + sha("secret").decode(), "+acl")
    assert ex(make_client(), "AUTH", "alice", "secret") == b"OK"


def test_auth_one_argument_without_default_password(raw):
    assert raw.cmd("AUTH", "pw") == (
        b"-ERR AUTH <password> called without any password configured for the default user. "
        b"Are you sure your configuration is correct?\r\n")


def test_auth_default_user_with_nopass_accepts_anything(r2):
    assert ex(r2, "AUTH", "default", "anything") == b"OK"


def test_auth_reply_bytes(raw, r2):
    setuser(r2, "alice", "on", ">pw")
    assert raw.cmd("AUTH", "alice", "pw") == b"+OK\r\n"
    assert raw.cmd("AUTH", "alice", "bad") == WRONGPASS_REPLY


def test_failed_auth_keeps_the_current_user(r2, raw):
    setuser(r2, "alice", "on", ">pw", "+acl")
    assert raw.cmd("AUTH", "alice", "pw") == b"+OK\r\n"
    assert raw.cmd("AUTH", "alice", "bad") == WRONGPASS_REPLY
    assert raw.cmd("AUTH", "nosuch", "bad") == WRONGPASS_REPLY
    assert raw.cmd("ACL", "WHOAMI") == b"$5\r\nalice\r\n"


def test_hello_auth(r2, make_client, make_raw):
    setuser(r2, "alice", "on", ">pw", "+@all")
    c = make_client()
    reply = ex(c, "HELLO", "2", "AUTH", "alice", "pw")
    assert reply[0:2] == [b"server", b"redis"]
    assert ex(c, "ACL", "WHOAMI") == b"alice"
    conn = make_raw()
    assert conn.cmd("HELLO", "2", "AUTH", "alice", "bad") == WRONGPASS_REPLY
    assert conn.cmd("HELLO", "3", "AUTH", "nosuch", "bad") == WRONGPASS_REPLY


def test_login_through_redis_py_resp3(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "+@all", "~*")
    c = login(make_client, "alice", protocol=3)
    assert ex(c, "ACL", "WHOAMI") == b"alice"


def test_requirepass_sets_the_default_password(r2, make_client, make_raw):
    assert ex(r2, "CONFIG", "SET", "requirepass", "s3cret") == b"OK"
    try:
        assert line_of(r2, "default") == b"user default on #" + sha("s3cret") + b" ~* &* +@all"
        conn = make_raw(auth=False)
        assert conn.cmd("GET", "x") == b"-" + NOAUTH.encode() + b"\r\n"
        assert conn.cmd("AUTH", "wrong") == WRONGPASS_REPLY
        assert conn.cmd("AUTH", "s3cret") == b"+OK\r\n"
        assert conn.cmd("ACL", "WHOAMI") == b"$7\r\ndefault\r\n"
        other = make_raw(auth=False)
        assert other.cmd("AUTH", "default", "s3cret") == b"+OK\r\n"
        # a connection made before the password still works
        assert ex(r2, "PING") == b"PONG"
    finally:
        assert ex(r2, "CONFIG", "SET", "requirepass", "") == b"OK"
    assert line_of(r2, "default") == DEFAULT_LINE


def test_default_user_off_requires_auth(r2, make_raw, acl_admin):
    setuser(r2, "alice", "on", ">pw", "+@all")
    setuser(r2, "default", "off")
    conn = make_raw(auth=False)
    assert conn.cmd("PING") == b"-" + NOAUTH.encode() + b"\r\n"
    assert conn.cmd("AUTH", "default", "x") == WRONGPASS_REPLY
    assert conn.cmd("AUTH", "alice", "pw") == b"+OK\r\n"
    assert conn.cmd("PING") == b"+PONG\r\n"
    # connections already logged in are not affected
    assert ex(acl_admin, "PING") == b"PONG"


def test_default_user_back_to_nopass_lets_waiting_connections_in(r2, make_raw):
    setuser(r2, "default", "resetpass", ">pw")
    conn = make_raw(auth=False)
    assert conn.cmd("PING") == b"-" + NOAUTH.encode() + b"\r\n"
    setuser(r2, "default", "nopass")
    assert conn.cmd("PING") == b"+PONG\r\n"


# --------------------------------------------------------------------------- enforcement


def test_noperm_command(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "~*", "+@all", "-get")
    c = login(make_client, "alice")
    assert err(c, "GET", "k") == NOPERM_CMD % "get"
    assert ex(c, "SET", "k", "v") == b"OK"


def test_noperm_command_reply_bytes(r2, make_raw):
    setuser(r2, "alice", "on", ">pw", "~*", "-@all", "+get")
    conn = make_raw(auth=False)
    assert conn.cmd("AUTH", "alice", "pw") == b"+OK\r\n"
    assert conn.cmd("SET", "k", "v") == b"-" + (NOPERM_CMD % "set").encode() + b"\r\n"
    assert conn.cmd("get", "k") == b"$-1\r\n"


def test_noperm_names_the_command_in_lowercase(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "~*", "-@all")
    assert err(login(make_client, "alice"), "LPUSH", "k", "v") == NOPERM_CMD % "lpush"


def test_rules_apply_in_order(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "~*", "-get", "+@all")
    assert ex(login(make_client, "alice"), "GET", "k") is None
    setuser(r2, "alice", "-@all", "+@read", "-get")
    c = login(make_client, "alice")
    assert err(c, "GET", "k") == NOPERM_CMD % "get"
    assert ex(c, "STRLEN", "k") == 0


def test_category_rules(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "~*", "-@all", "+@list")
    c = login(make_client, "alice")
    assert ex(c, "LPUSH", "l", "a") == 1
    assert ex(c, "LRANGE", "l", 0, -1) == [b"a"]
    assert err(c, "SET", "k", "v") == NOPERM_CMD % "set"


def test_subcommand_rule(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "~*", "-@all", "+config|get")
    c = login(make_client, "alice")
    assert ex(c, "CONFIG", "GET", "maxmemory") == [b"maxmemory", b"0"]
    assert ex(c, "config", "get", "maxmemory") == [b"maxmemory", b"0"]
    assert err(c, "CONFIG", "SET", "maxmemory", "0") == NOPERM_CMD % "config"


def test_first_argument_rule_on_a_plain_command(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "~*", "-@all", "+select|0")
    c = login(make_client, "alice")
    assert ex(c, "SELECT", "0") == b"OK"
    assert err(c, "SELECT", "1") == NOPERM_CMD % "select"


def test_minus_command_drops_its_subcommands(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "~*", "-@all", "+config|get", "-config")
    assert err(login(make_client, "alice"), "CONFIG", "GET", "x") == NOPERM_CMD % "config"


def test_key_patterns(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "~app:*", "~[ab]?", "+@all")
    c = login(make_client, "alice")
    assert ex(c, "SET", "app:1", "v") == b"OK"
    assert ex(c, "SET", "ax", "v") == b"OK"
    assert err(c, "SET", "abc", "v") == NOPERM_KEY
    assert err(c, "GET", "other") == NOPERM_KEY
    assert err(c, "SET", "app", "v") == NOPERM_KEY


def test_every_key_is_checked(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "~k*", "+@all")
    c = login(make_client, "alice")
    assert ex(c, "MSET", "k1", "a", "k2", "b") == b"OK"
    assert err(c, "MSET", "k1", "a", "x", "b") == NOPERM_KEY
    assert err(c, "MGET", "k1", "k2", "x") == NOPERM_KEY
    assert err(c, "LMOVE", "k1", "x", "LEFT", "RIGHT") == NOPERM_KEY
    assert err(c, "BLPOP", "k1", "x", "0") == NOPERM_KEY
    assert err(c, "ZUNIONSTORE", "k1", "2", "k2", "x") == NOPERM_KEY
    assert ex(r2, "GET", "x") is None  # nothing ran


def test_command_denial_comes_before_key_denial(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "~k*", "-@all", "+get")
    assert err(login(make_client, "alice"), "SET", "x", "v") == NOPERM_CMD % "set"


@pytest.mark.parametrize("pattern,allowed,denied", [
    ("*", ["a", "*"], []),
    ("\\*", ["*"], ["a", "\\*"]),
    ("h?llo", ["hello", "hallo"], ["hllo", "heello"]),
    ("h[^e]llo", ["hallo"], ["hello"]),
    ("h[a-b]llo", ["hallo", "hbllo"], ["hcllo"]),
    ("h[b-a]llo", ["hallo"], ["hcllo"]),
    ("x[a-]", ["xa", "x]", "x_"], ["x-", "xb"]),
    ("x[", [], ["x", "x[", "xa"]),
    ("x[^", ["xa", "x["], ["x"]),
    ("a*b*c", ["abc", "aXbYc", "abbc"], ["ab", "acb"]),
    ("[\\]]", ["]"], ["\\"]),
])
def test_key_pattern_glob_semantics(r2, make_client, pattern, allowed, denied):
    setuser(r2, "alice", "on", ">pw", "~" + pattern, "+@all")
    c = login(make_client, "alice")
    for k in allowed:
        assert ex(c, "GET", k) is None, k
    for k in denied:
        assert err(c, "GET", k) == NOPERM_KEY, k


def test_allkeys_user_with_restricted_commands(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "allkeys", "-@all", "+get")
    assert ex(login(make_client, "alice"), "GET", "anything") is None


def test_user_without_key_patterns_can_run_keyless_commands(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "+@all")
    c = login(make_client, "alice")
    assert ex(c, "PING") == b"PONG"
    assert err(c, "GET", "k") == NOPERM_KEY


def test_auth_and_hello_are_always_allowed(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "-@all")
    setuser(r2, "bob", "on", ">pw2", "-@all", "+acl")
    c = login(make_client, "alice")
    assert err(c, "PING") == NOPERM_CMD % "ping"
    assert ex(c, "AUTH", "bob", "pw2") == b"OK"
    assert ex(c, "ACL", "WHOAMI") == b"bob"
    assert ex(c, "HELLO", "2", "AUTH", "alice", "pw")[1] == b"redis"


def test_acl_command_itself_needs_permission(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "~*", "+@all", "-@admin")
    assert err(login(make_client, "alice"), "ACL", "WHOAMI") == NOPERM_CMD % "acl"
    setuser(r2, "alice", "+acl|whoami")
    assert ex(login(make_client, "alice"), "ACL", "WHOAMI") == b"alice"


def test_permission_changes_apply_to_logged_in_clients(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "~*", "+@all")
    c = login(make_client, "alice")
    assert ex(c, "GET", "k") is None
    setuser(r2, "alice", "-get")
    assert err(c, "GET", "k") == NOPERM_CMD % "get"
    setuser(r2, "alice", "off")
    assert err(c, "GET", "k") == NOPERM_CMD % "get"  # still connected: 6.2 does not kick it
    assert ex(c, "SET", "k", "v") == b"OK"


def test_publish_channel_permissions(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "resetchannels", "&news.*", "+@all")
    c = login(make_client, "alice")
    assert ex(c, "PUBLISH", "news.1", "hi") == 0
    assert err(c, "PUBLISH", "sport", "hi") == NOPERM_CHANNEL


def test_subscribe_checks_every_channel(r2, make_raw):
    setuser(r2, "alice", "on", ">pw", "resetchannels", "&a", "&b*", "+@all")
    conn = make_raw(auth=False)
    conn.cmd("AUTH", "alice", "pw")
    assert conn.cmd("SUBSCRIBE", "a", "c") == b"-" + NOPERM_CHANNEL.encode() + b"\r\n"
    assert conn.cmd("SUBSCRIBE", "a", "bx") == b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"
    assert conn.recv_reply() == b"*3\r\n$9\r\nsubscribe\r\n$2\r\nbx\r\n:2\r\n"


def test_psubscribe_patterns_must_match_literally(r2, make_raw):
    setuser(r2, "alice", "on", ">pw", "resetchannels", "&b*", "+@all")
    conn = make_raw(auth=False)
    conn.cmd("AUTH", "alice", "pw")
    assert conn.cmd("PSUBSCRIBE", "bx") == b"-" + NOPERM_CHANNEL.encode() + b"\r\n"
    assert conn.cmd("PSUBSCRIBE", "b?") == b"-" + NOPERM_CHANNEL.encode() + b"\r\n"
    assert conn.cmd("PSUBSCRIBE", "b*") == b"*3\r\n$10\r\npsubscribe\r\n$2\r\nb*\r\n:1\r\n"


def test_new_users_follow_acl_pubsub_default(r2, make_client):
    assert ex(r2, "CONFIG", "SET", "acl-pubsub-default", "resetchannels") == b"OK"
    try:
        setuser(r2, "alice", "on", ">pw", "+@all")
        assert line_of(r2, "alice") == b"user alice on #" + sha("pw") + b" resetchannels +@all"
        assert err(login(make_client, "alice"), "PUBLISH", "c", "m") == NOPERM_CHANNEL
        setuser(r2, "bob", "reset")
        assert line_of(r2, "bob") == b"user bob off sanitize-payload resetchannels -@all"
    finally:
        ex(r2, "CONFIG", "SET", "acl-pubsub-default", "allchannels")


def test_multi_queue_time_denial_aborts_exec(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "~k*", "+@all", "-get")
    c = login(make_client, "alice")
    assert ex(c, "MULTI") == b"OK"
    assert err(c, "GET", "k1") == NOPERM_CMD % "get"
    assert err(c, "SET", "x", "1") == NOPERM_KEY
    assert ex(c, "SET", "k1", "1") == b"QUEUED"
    assert err(c, "EXEC") == "EXECABORT Transaction discarded because of previous errors."
    assert ex(r2, "GET", "k1") is None


def test_noperm_in_multi_is_logged_with_multi_context(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "~*", "+@all", "-get")
    c = login(make_client, "alice")
    ex(c, "MULTI")
    err(c, "GET", "k")
    ex(c, "DISCARD")
    entry = _log(r2)[0]
    assert (entry[b"reason"], entry[b"context"], entry[b"object"]) == (b"command", b"multi", b"get")


def test_exec_checks_each_command_as_the_user_a_queued_auth_switched_to(r2, make_raw):
    """execCommand re-checks every queued command against the client's user *at that point*:
    an AUTH queued earlier in the same transaction has already switched it."""
    setuser(r2, "alice", "on", ">pw", "~s*", "+@all")
    setuser(r2, "bob", "on", ">pw", "~h*", "+@all", "-get")
    conn = make_raw()
    assert conn.cmd("MULTI") == b"+OK\r\n"
    for args in (("AUTH", "alice", "pw"), ("GET", "s1"), ("GET", "h1"), ("AUTH", "bob", "pw"),
                 ("GET", "h1"), ("HGET", "h1", "f")):
        assert conn.cmd(*args) == b"+QUEUED\r\n"
    changed = (b"-NOPERM ACLs rules changed between the moment the transaction was accumulated and "
               b"the EXEC call. This command is no longer allowed for the following reason: ")
    assert conn.cmd("EXEC") == (b"*6\r\n+OK\r\n$-1\r\n" + changed + b"no permission to touch the "
                                b"specified keys\r\n+OK\r\n" + changed + b"no permission to execute "
                                b"the command or subcommand\r\n$-1\r\n")
    assert conn.cmd("ACL", "WHOAMI") == b"$3\r\nbob\r\n"
    entries = _log(r2)
    assert [(e[b"reason"], e[b"context"], e[b"object"], e[b"username"]) for e in entries] == [
        (b"command", b"multi", b"get", b"bob"), (b"key", b"multi", b"h1", b"alice")]


def test_script_calls_are_checked(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "~*", "+@all", "-get")
    c = login(make_client, "alice")
    msg = err(c, "EVAL", "return redis.call('get', KEYS[1])", 1, "k")
    assert "The user executing the script can't run this command or subcommand" in msg
    entry = _log(r2)[0]
    assert (entry[b"reason"], entry[b"context"], entry[b"object"]) == (b"command", b"lua", b"get")


# --------------------------------------------------------------------------- ACL LOG


def _log(r, *args) -> list:
    entries = ex(r, "ACL", "LOG", *args)
    out = []
    for e in entries:
        if isinstance(e, list):
            e = dict(zip(e[::2], e[1::2], strict=True))
        out.append(e)
    return out


def test_log_entry_fields(r, make_client):
    setuser(r, "alice", "on", ">pw", "~*", "+@all", "-get")
    c = login(make_client, "alice")
    err(c, "GET", "k")
    entries = ex(r, "ACL", "LOG")
    assert len(entries) == 1
    e = entries[0]
    if isinstance(e, list):  # RESP2: a flat array in this order
        assert e[0::2] == [b"count", b"reason", b"context", b"object", b"username", b"age-seconds",
                           b"client-info"]
        e = dict(zip(e[::2], e[1::2], strict=True))
        age = float(e[b"age-seconds"])
    else:
        assert list(e) == [b"count", b"reason", b"context", b"object", b"username", b"age-seconds",
                           b"client-info"]
        age = e[b"age-seconds"]
        assert isinstance(age, float)
    assert e[b"count"] == 1
    assert e[b"reason"] == b"command"
    assert e[b"context"] == b"toplevel"
    assert e[b"object"] == b"get"
    assert e[b"username"] == b"alice"
    assert 0 <= age < 5
    info = e[b"client-info"]
    assert info.startswith(b"id=") and b" user=alice " in info and b" cmd=get " in info


def test_log_key_and_channel_objects(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "~k*", "resetchannels", "&c", "+@all")
    c = login(make_client, "alice")
    err(c, "MSET", "k1", "v", "secret", "v")
    err(c, "PUBLISH", "other", "m")
    e = _log(r2)
    assert [(x[b"reason"], x[b"object"], x[b"username"]) for x in e] == [
        (b"channel", b"other", b"alice"), (b"key", b"secret", b"alice")]


def test_log_groups_repeated_denials(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "~*", "+@all", "-get", "-strlen")
    c = login(make_client, "alice")
    err(c, "GET", "a")
    err(c, "STRLEN", "a")
    err(c, "GET", "b")
    e = _log(r2)
    assert [(x[b"object"], x[b"count"]) for x in e] == [(b"get", 2), (b"strlen", 1)]


def test_log_auth_failures(r2, raw):
    setuser(r2, "alice", "on", ">pw")
    raw.cmd("AUTH", "alice", "bad")
    raw.cmd("AUTH", "nosuch", "bad")
    e = _log(r2)
    assert [(x[b"reason"], x[b"context"], x[b"object"], x[b"username"]) for x in e] == [
        (b"auth", b"toplevel", b"AUTH", b"nosuch"), (b"auth", b"toplevel", b"AUTH", b"alice")]


def test_log_count_argument(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "~*", "-@all", "+client")
    c = login(make_client, "alice")
    for cmd in ("GET", "SET", "INCR"):
        err(c, cmd, "k", *(["v"] if cmd == "SET" else []))
    assert [x[b"object"] for x in _log(r2)] == [b"incr", b"set", b"get"]
    assert [x[b"object"] for x in _log(r2, 2)] == [b"incr", b"set"]
    assert _log(r2, 0) == []
    assert _log(r2, -5) == []
    assert len(_log(r2, 100)) == 3


def test_log_default_count_is_ten(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "~*", "-@all", "+client")
    c = login(make_client, "alice")
    for name in ("GET", "STRLEN", "INCR", "DECR", "LLEN", "ZCARD", "GETDEL", "LPOP", "RPOP",
                 "ZSCORE", "GETBIT"):
        args = {"ZSCORE": ["k", "m"], "GETBIT": ["k", "0"]}.get(name, ["k"])
        err(c, name, *args)
    assert len(_log(r2, 100)) == 11
    assert len(_log(r2)) == 10


def test_log_reset(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "-@all", "+client")
    err(login(make_client, "alice"), "PING")
    assert len(_log(r2)) == 1
    assert ex(r2, "ACL", "LOG", "RESET") == b"OK"
    assert _log(r2) == []
    assert ex(r2, "ACL", "LOG", "reset") == b"OK"


def test_log_bad_count(r2):
    assert err(r2, "ACL", "LOG", "abc") == "ERR value is not an integer or out of range"


def test_log_respects_acllog_max_len(r2, make_client):
    assert ex(r2, "CONFIG", "SET", "acllog-max-len", "2") == b"OK"
    try:
        setuser(r2, "alice", "on", ">pw", "~*", "-@all", "+client")
        c = login(make_client, "alice")
        for name in ("GET", "STRLEN", "INCR"):
            err(c, name, "k")
        assert [x[b"object"] for x in _log(r2)] == [b"incr", b"strlen"]
    finally:
        ex(r2, "CONFIG", "SET", "acllog-max-len", "128")


# --------------------------------------------------------------------------- disconnections


def test_deluser_disconnects_its_clients(r2, make_raw, make_client):
    setuser(r2, "alice", "on", ">pw", "+@all")
    setuser(r2, "bob", "on", ">pw", "+@all")
    a = make_raw(auth=False)
    assert a.cmd("AUTH", "alice", "pw") == b"+OK\r\n"
    b = make_raw(auth=False)
    assert b.cmd("AUTH", "bob", "pw") == b"+OK\r\n"
    assert ex(r2, "ACL", "DELUSER", "alice") == 1
    assert a.read_until_closed() == b""
    assert b.cmd("PING") == b"+PONG\r\n"


def test_deluser_of_self_replies_then_disconnects(r2, make_raw):
    setuser(r2, "alice", "on", ">pw", "+@all")
    a = make_raw(auth=False)
    a.cmd("AUTH", "alice", "pw")
    a.send(b"*3\r\n$3\r\nACL\r\n$7\r\nDELUSER\r\n$5\r\nalice\r\n")
    assert a.read_until_closed() == b":1\r\n"


def test_disabling_or_changing_passwords_keeps_clients(r2, make_raw):
    setuser(r2, "alice", "on", ">pw", "+@all")
    a = make_raw(auth=False)
    a.cmd("AUTH", "alice", "pw")
    setuser(r2, "alice", "off", "resetpass", ">new")
    assert a.cmd("PING") == b"+PONG\r\n"


def _subscriber(make_raw, user, *channels, pattern=False):
    conn = make_raw(auth=False)
    assert conn.cmd("AUTH", user, "pw") == b"+OK\r\n"
    conn.cmd("PSUBSCRIBE" if pattern else "SUBSCRIBE", *channels)
    for _ in channels[1:]:
        conn.recv_reply()
    return conn


def _still_alive(conn) -> bool:
    return conn.cmd("PING") == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"


def test_revoking_a_channel_kills_its_subscribers(r2, make_raw):
    setuser(r2, "alice", "on", ">pw", "resetchannels", "&a", "&b", "+@all")
    sa = _subscriber(make_raw, "alice", "a")
    sb = _subscriber(make_raw, "alice", "b")
    setuser(r2, "alice", "resetchannels", "&b")
    assert sa.read_until_closed() == b""
    assert _still_alive(sb)


def test_channel_superset_kills_nobody(r2, make_raw):
    setuser(r2, "alice", "on", ">pw", "resetchannels", "&a", "&b", "+@all")
    sa = _subscriber(make_raw, "alice", "a")
    setuser(r2, "alice", "resetchannels", "&b", "&a", "&c")
    assert _still_alive(sa)


def test_glob_still_covering_a_channel_keeps_the_subscriber(r2, make_raw):
    setuser(r2, "alice", "on", ">pw", "resetchannels", "&foo", "+@all")
    s = _subscriber(make_raw, "alice", "foo")
    setuser(r2, "alice", "resetchannels", "&fo*")
    assert _still_alive(s)


def test_from_allchannels_to_a_list(r2, make_raw):
    setuser(r2, "alice", "on", ">pw", "allchannels", "+@all")
    kept = _subscriber(make_raw, "alice", "foo")
    gone = _subscriber(make_raw, "alice", "bar")
    pat = _subscriber(make_raw, "alice", "f*", pattern=True)
    setuser(r2, "alice", "resetchannels", "&foo", "&f*")
    assert _still_alive(kept)
    assert _still_alive(pat)
    assert gone.read_until_closed() == b""


def test_pattern_subscriptions_are_compared_literally(r2, make_raw):
    setuser(r2, "alice", "on", ">pw", "resetchannels", "&fo*", "+@all")
    s = _subscriber(make_raw, "alice", "fo*", pattern=True)
    setuser(r2, "alice", "resetchannels", "&f*")
    assert s.read_until_closed() == b""


def test_other_users_subscribers_are_not_touched(r2, make_raw):
    setuser(r2, "alice", "on", ">pw", "resetchannels", "&a", "+@all")
    setuser(r2, "bob", "on", ">pw", "resetchannels", "&a", "+@all")
    sb = _subscriber(make_raw, "bob", "a")
    setuser(r2, "alice", "resetchannels")
    assert _still_alive(sb)


# --------------------------------------------------------------------------- ACL file

pytestmark_file = pytest.mark.not_on("external", reason="starts its own server instances")


@pytest.fixture(scope="module")
def aclfile_server(make_server, tmp_path_factory):
    path = tmp_path_factory.mktemp("aclfile") / "users.acl"
    path.write_text("user default on nopass ~* &* +@all\n"
                    "user app on >apppw ~app:* resetchannels -@all +@read +set\n")
    target = make_server("--aclfile", str(path))
    return target, path


@pytest.fixture
def fsrv(aclfile_server):
    """A client of the aclfile server, reset to the file's initial content."""
    target, path = aclfile_server
    c = target.client()
    path.write_text("user default on nopass ~* &* +@all\n"
                    "user app on >apppw ~app:* resetchannels -@all +@read +set\n")
    assert ex(c, "ACL", "LOAD") == b"OK"
    yield c, path, target
    c.close()


@pytestmark_file
def test_aclfile_users_are_loaded(fsrv):
    c, path, target = fsrv
    assert ex(c, "ACL", "LIST") == [
        b"user app on #" + sha("apppw") + b" ~app:* resetchannels -@all +@read +set",
        b"user default on nopass sanitize-payload ~* &* +@all",
    ]
    app = target.client(username="app", password="apppw")
    assert ex(app, "SET", "app:1", "v") == b"OK"
    assert ex(app, "GET", "app:1") == b"v"
    assert err(app, "GET", "x") == NOPERM_KEY
    assert err(app, "LPUSH", "app:l", "x") == NOPERM_CMD % "lpush"
    app.close()


@pytestmark_file
def test_acl_save_writes_acl_list(fsrv):
    c, path, _ = fsrv
    setuser(c, "bob", "on", ">x", "~b*", "-@all", "+get")
    assert ex(c, "ACL", "SAVE") == b"OK"
    assert path.read_bytes() == b"".join(line + b"\n" for line in ex(c, "ACL", "LIST"))
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left


@pytestmark_file
def test_acl_save_load_round_trip(fsrv):
    c, path, _ = fsrv
    setuser(c, "bob", "on", ">x", "~b*", "resetchannels", "&n", "+@all", "-@dangerous")
    setuser(c, "carol", "off", "nopass", "-@all", "+config|get")
    before = ex(c, "ACL", "LIST")
    assert ex(c, "ACL", "SAVE") == b"OK"
    assert ex(c, "ACL", "DELUSER", "bob", "carol") == 2
    assert ex(c, "ACL", "LOAD") == b"OK"
    assert ex(c, "ACL", "LIST") == before


@pytestmark_file
def test_acl_load_refuses_a_bad_file_and_changes_nothing(fsrv):
    c, path, _ = fsrv
    before = ex(c, "ACL", "LIST")
    path.write_text("user default on nopass ~* &* +@all\n"
                    "user a1 on >p +nocmd\n"
                    "foo bar\n"
                    "user b\"c on\n"
                    "user bad on ~a b\n"
                    "user  x\n"
                    "\n"
                    "user c1 on >p ~x  +get\n"
                    "  \t\n"
                    "user c2 #zz +@nocat\n"
                    "USER up\n"
                    "user\n"
                    "user a\tb on\n")
    p = str(path)
    assert err(c, "ACL", "LOAD") == (
        f"ERR {p}:2: Unknown command or category name in ACL. "
        f"{p}:3 should start with user keyword followed by the username. "
        f"{p}:5: Syntax error. "
        f"{p}:6: Syntax error. "
        f"{p}:10: The password hash must be exactly 64 characters and contain only lowercase "
        f"hexadecimal characters. "
        f"{p}:10: Unknown command or category name in ACL. "
        f"{p}:11 should start with user keyword followed by the username. "
        f"{p}:12 should start with user keyword followed by the username. "
        f"'{p}:13: username 'a\tb' contains invalid characters. "
        "WARNING: ACL errors detected, no change to the previously active ACL rules was performed")
    assert ex(c, "ACL", "LIST") == before


@pytestmark_file
def test_acl_load_missing_file(fsrv):
    c, path, _ = fsrv
    path.unlink()
    assert err(c, "ACL", "LOAD") == (
        f"ERR Error loading ACLs, opening file '{path}': No such file or directory")
    assert ex(c, "ACL", "SAVE") == b"OK"
    assert path.exists()


@pytestmark_file
def test_acl_load_details(fsrv):
    c, path, _ = fsrv
    path.write_bytes(b"user a1 on >p +get\r\n\n   user a1 +set   \nuser a2 on >p\t+get\t\n")
    assert ex(c, "ACL", "LOAD") == b"OK"
    assert ex(c, "ACL", "LIST") == [
        b"user a1 off sanitize-payload &* -@all +set",
        b"user a2 on #" + sha("p\t+get") + b" &* -@all",
        DEFAULT_LINE,  # no default line in the file: a fresh default user
    ]


@pytestmark_file
def test_acl_load_disconnects_clients_of_replaced_users(fsrv):
    c, path, target = fsrv
    app = target.raw(auth=False)
    assert app.cmd("AUTH", "app", "apppw") == b"+OK\r\n"
    plain = target.raw(auth=False)
    assert plain.cmd("PING") == b"+PONG\r\n"
    assert ex(c, "ACL", "LOAD") == b"OK"
    assert app.read_until_closed() == b""
    assert plain.cmd("PING") == b"+PONG\r\n"
    plain.close()


@pytest.fixture(scope="module")
def config_users_server(make_server):
    return make_server("--user", "alice", "on", ">pw", "~app:*", "+@read", "+set")


@pytestmark_file
def test_user_lines_in_the_config(config_users_server):
    c = config_users_server.client()
    assert ex(c, "ACL", "LIST") == [
        b"user alice on #" + sha("pw") + b" ~app:* &* -@all +@read +set", DEFAULT_LINE]
    alice = config_users_server.client(username="alice", password="pw")
    assert ex(alice, "SET", "app:1", "x") == b"OK"
    assert err(alice, "SET", "x", "x") == NOPERM_KEY
    assert err(c, "ACL", "SAVE") == NO_ACLFILE
    alice.close()
    c.close()


def test_wait_for_log_age_to_grow(r2, make_client):
    setuser(r2, "alice", "on", ">pw", "-@all", "+client")
    err(login(make_client, "alice"), "PING")
    time.sleep(0.3)
    age = float(_log(r2)[0][b"age-seconds"])
    assert 0.25 <= age < 5


def test_hashes_are_sha256_hex(r2):
    setuser(r2, "alice", ">" + "p" * 100)
    assert getuser(r2, "alice")[b"passwords"] == [hashlib.sha256(b"p" * 100).hexdigest().encode()]
