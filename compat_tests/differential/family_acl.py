"""Differential generators for the ``acl`` family: ACL rules, and their enforcement.

Users ``u1``/``u2``/``u3`` (never ``default``'s password: the harness connections are logged in
as ``default``) get random rule lists from ACL SETUSER: on/off, nopass/resetpass, ``>pw`` /
``<pw`` / ``#hash`` / ``!hash`` (valid and invalid hashes, passwords that were never set),
allkeys/resetkeys/``~pattern`` (and 7.0's ``%R~``, a syntax error in 6.2), allchannels/
resetchannels/``&pattern``, allcommands/nocommands/``+cmd``/``-cmd``/``+@cat``/``-@cat``/
``+cmd|sub`` (subcommands and first-argument rules; ``-cmd|sub`` is refused by 6.2), reset,
(skip-)sanitize-payload and bad rules.  Also ACL GETUSER, LIST, USERS, DELUSER, CAT (with and
without a category), WHOAMI, GENPASS (length only), LOG [count|RESET] (deterministic fields
only), HELP and bad subcommands.

Enforcement is a ``session`` step (see ``test_differential.py``): a new connection to each
server, AUTH as one of the users (right, wrong or no password, unknown user, bad arity), then a
few commands of the built-in families on their keys, commands whose keys sit in odd places
(numkeys, STORE, STREAMS, KEYS, scripts), glob probes (EXISTS/PUBLISH on awkward names against
glob-only rules), SUBSCRIBE/PUBLISH, ACL/PING/SELECT commands, MULTI blocks (queue-time
denials, AUTH as another user inside the transaction, rights changed before EXEC), all compared: NOPERM/WRONGPASS errors must be identical, and the
ACL LOG entries they leave.  Some steps of a session run on the harness's own connection
instead: ACL SETUSER of the session's user (rights changed while it is logged in, between MULTI
and EXEC), ACL DELUSER (its connection is closed on both servers), or a change to ``default``
that a last step undoes.

After every ACL command, ``ACL LIST`` is compared (register's ``state``); before every example
the users are deleted, ``default`` restored and the log emptied (register's ``reset``).

Left out: ACL CAT of @admin, @dangerous and @slow (Perdure has no replication commands, so
those three lists lack REPLCONF, PSYNC, SYNC, SLAVEOF, REPLICAOF and FAILOVER) and rules that
name those commands; HELLO ... AUTH (its reply carries the connection id); SUBSCRIBE (pushes).
"""

from __future__ import annotations

import hashlib

from hypothesis import strategies as st

from . import commands as K
from .commands import C, pick, rare

USERS = (b"u1", b"u2", b"u3")
PASSWORDS = (b"pw1", b"pw2", b"", b"p w")
SHA = {pw: hashlib.sha256(pw).hexdigest().encode() for pw in PASSWORDS + (b"never",)}

HASH_RULES = tuple(b"#" + h for h in SHA.values()) + (
    b"#" + SHA[b"pw1"].upper(), b"#" + SHA[b"pw1"][:-1], b"#" + SHA[b"pw1"] + b"0", b"#abc", b"#")
UNHASH_RULES = tuple(b"!" + h for h in SHA.values()) + (b"!" + SHA[b"pw2"][1:] + b"g", b"!", b"!xyz")
KEY_RULES = (b"allkeys", b"resetkeys", b"~*", b"~s*", b"~h?", b"~*1", b"~[lz]*", b"~st[12]",
             b"~x", b"~nomatch", b"~", b"%R~s*", b"%RW~*")
CHANNEL_RULES = (b"allchannels", b"resetchannels", b"&*", b"&ch*", b"&news", b"&", b"&n?ws")
# Redis glob corner cases (stringmatchlen), matched against GLOB_NAMES by EXISTS and PUBLISH
GLOBS = (b"[a-c]?", b"\\*", b"*\\", b"[^a]*", b"[]", b"[a-]*", b"a\\", b"[\\]]", b"[z-a]", b"[!a]*",
         b"a[", b"?", b"*?*", b"[[]*", b"[a-c-e]", b"\\[a]", b"*[^]", b"[\\", b"a**b", b"[^-]")
GLOB_NAMES = (b"a", b"b", b"*", b"\\", b"]", b"[", b"ab", b"a[", b"-", b"e", b"d", b"z", b"^", b"!",
              b"[a]", b"axb", b"ab[", b"")
CATS = (b"all", b"read", b"write", b"string", b"hash", b"list", b"set", b"sortedset", b"keyspace",
        b"fast", b"connection", b"transaction", b"pubsub", b"bitmap", b"geo", b"stream",
        b"blocking", b"scripting", b"hyperloglog")
BAD_CATS = (b"bogus", b"", b"READ", b"all|x")
COMMANDS = (b"get", b"set", b"mget", b"append", b"incr", b"hget", b"hset", b"hgetall", b"lpush",
            b"lrange", b"sadd", b"smembers", b"zadd", b"zrange", b"del", b"exists", b"keys",
            b"expire", b"type", b"scan", b"sort", b"rename", b"flushall", b"publish", b"ping",
            b"multi", b"exec", b"select", b"acl", b"object", b"config", b"client", b"debug",
            b"GET", b"Set", b"auth")
SUBCOMMANDS = (b"config|get", b"config|set", b"client|id", b"acl|whoami", b"acl|list",
               b"acl|getuser", b"object|encoding", b"select|0", b"select|1", b"get|s1",
               b"debug|sleep", b"acl|WHOAMI", b"config|")
BAD_COMMANDS = (b"nosuchcmd", b"", b"get|", b"|get", b"config|get|x")


def _cmd_rule(draw):
    roll = draw(st.integers(0, 9))
    sign = pick(draw, (b"+", b"-"))
    if roll < 3:
        return sign + b"@" + pick(draw, CATS)
    if roll < 7:
        return sign + pick(draw, COMMANDS)
    if roll < 9:
        return pick(draw, (b"+", b"+", b"-")) + pick(draw, SUBCOMMANDS)
    return sign + pick(draw, (b"@" + pick(draw, BAD_CATS), pick(draw, BAD_COMMANDS)))


RULE_KINDS = (
    lambda d: pick(d, (b"on", b"off", b"ON", b"Off")),
    lambda d: pick(d, (b"nopass", b"resetpass")),
    lambda d: b">" + pick(d, PASSWORDS),
    lambda d: b"<" + pick(d, PASSWORDS + (b"never",)),
    lambda d: pick(d, HASH_RULES),
    lambda d: pick(d, UNHASH_RULES),
    lambda d: pick(d, KEY_RULES),
    lambda d: pick(d, CHANNEL_RULES),
    _cmd_rule,
    _cmd_rule,
    _cmd_rule,
    lambda d: pick(d, (b"allcommands", b"nocommands", b"reset", b"skip-sanitize-payload",
                       b"sanitize-payload")),
    lambda d: pick(d, (b"foo", b"", b"allkey", b"+@", b"-@", b"~~", b"on off", b">pw1 nopass")),
)


def rules(draw, lo=0, hi=5):
    return [pick(draw, RULE_KINDS)(draw) for _ in range(draw(st.integers(lo, hi)))]


def user(draw):
    return pick(draw, USERS) if not rare(draw, 12) else pick(draw, (b"default", b"nobody", b"U1"))


def _setuser(draw):
    """Mostly a user that can log in and do something, then random rules on top."""
    name = pick(draw, USERS)
    if rare(draw, 3):
        base = [b"on", b">" + pick(draw, PASSWORDS[:2]), pick(draw, KEY_RULES[:9]), _cmd_rule(draw)]
        return C(b"ACL", b"SETUSER", name, *base, *rules(draw, 0, 3), mode="acl")
    if rare(draw, 15):
        return C(b"ACL", b"SETUSER", pick(draw, (b"default", b"U1", b"")), *rules(draw, 0, 0), mode="acl")
    return C(b"ACL", b"SETUSER", name, *rules(draw), mode="acl")


def _subcommand_misuse(draw):
    return pick(draw, (
        C(b"ACL"), C(b"ACL", b"NOSUCH"), C(b"ACL", b"GETUSER"), C(b"ACL", b"GETUSER", b"u1", b"x", mode="acl"),
        C(b"ACL", b"DELUSER"), C(b"ACL", b"USERS", b"x"), C(b"ACL", b"LIST", b"x", mode="acl"),
        C(b"ACL", b"WHOAMI", b"x"), C(b"ACL", b"CAT", b"a", b"b"), C(b"ACL", b"SETUSER"),
        C(b"ACL", b"LOG", b"1", b"2", mode="acllog"), C(b"ACL", b"LOG", b"RESET", b"x", mode="acllog"), C(b"ACL", b"HELP"),
        C(b"ACL", b"help"), C(b"ACL", b"GENPASS", b"1", b"2", mode="genpass"), C(b"ACL", b"LOAD"), C(b"ACL", b"SAVE"),
        C(b"ACL", b"DRYRUN", b"u1", b"get", b"s1"), C(b"acl", b"whoami"),
    ))


def _log(draw):
    arg = pick(draw, ((), (), (b"RESET",), (b"reset",), (b"0",), (b"1",), (b"3",), (b"-1",), (b"abc",),
                      (b"1.5",), (b"9223372036854775808",), (b"",)))
    return C(b"ACL", b"LOG", *arg, mode="acllog")


ACL_GENS = (
    _setuser,
    _setuser,
    _setuser,
    lambda d: C(b"ACL", b"GETUSER", user(d), mode="acl"),
    lambda d: C(b"ACL", b"LIST", mode="acl"),
    lambda d: C(b"ACL", b"USERS"),
    lambda d: C(b"ACL", b"DELUSER", *[user(d) for _ in range(d(st.integers(1, 3)))]),
    lambda d: C(b"ACL", b"CAT"),
    lambda d: C(b"ACL", b"CAT", pick(d, CATS[1:] + BAD_CATS + (b"String", b"ALL")), mode="sort"),
    lambda d: C(b"ACL", b"WHOAMI"),
    lambda d: C(b"ACL", b"GENPASS", *pick(d, ((), (b"1",), (b"4",), (b"5",), (b"64",), (b"255",), (b"4096",),
                                             (b"4097",), (b"0",), (b"-1",), (b"abc",), (b"",))), mode="genpass"),
    _log,
    _subcommand_misuse,
)

# --------------------------------------------------------------------------- sessions

BUILTIN = ("strings", "keys", "hashes", "lists", "sets", "zsets")


def _auth(draw, name):
    roll = draw(st.integers(0, 9))
    if roll < 6:
        return (b"AUTH", name, b"pw1")
    if roll == 6:
        return (b"AUTH", name, pick(draw, (b"never", b"", b"p w")))
    if roll == 7:
        return (b"AUTH", pick(draw, (b"nobody", b"default", b"U1")), b"pw1")
    if roll == 8:
        return pick(draw, ((b"AUTH", b"pw1"), (b"auth", name, b"pw1"), (b"AUTH",), (b"AUTH", name, b"pw1", b"x")))
    return (b"PING",)  # no AUTH: the session runs as default


def _keyspec(draw):
    """A command whose keys are found in an unusual place (numkeys, STORE, STREAMS, KEYS...):
    the ACL key check must find exactly the keys Redis's getkeys procs find."""
    a, b = pick(draw, K.ALL_KEYS), pick(draw, K.ALL_KEYS)
    n = pick(draw, (b"0", b"1", b"2", b"3", b"-1", b"x"))
    args = pick(draw, (
        (b"EVAL", b"return 1", n, a, b), (b"EVALSHA", b"abc", n, a), (b"ZUNIONSTORE", a, n, b, a),
        (b"ZINTER", n, a, b), (b"ZDIFFSTORE", a, n, b), (b"ZUNION", n, a),
        (b"XREAD", b"STREAMS", a, b, b"0"), (b"XREAD", b"COUNT", b"1", b"STREAMS", a, b"0"),
        (b"XREADGROUP", b"GROUP", b"g", b"c", b"STREAMS", a, b"0"), (b"XREAD", b"STREAMS"),
        (b"SORT", a, b"BY", b"nosort", b"STORE", b), (b"SORT", a, b"STORE"), (b"SORT_RO", a),
        (b"MIGRATE", b"127.0.0.1", b"1", a, b"0", b"10"),
        (b"MIGRATE", b"127.0.0.1", b"1", b"", b"0", b"10", b"KEYS", a, b),
        (b"MIGRATE", b"127.0.0.1", b"1", b"", b"0", b"10", b"AUTH", b"x", b"KEYS", a),
        (b"GEORADIUS", a, b"0", b"0", b"1", b"km", pick(draw, (b"STORE", b"STOREDIST")), b),
        (b"GEORADIUSBYMEMBER", a, b"m", b"1", b"km", b"STORE", b), (b"GEORADIUS", a, b"0", b"0", b"1", b"km", b"STORE"),
        (b"GEOSEARCHSTORE", a, b, b"FROMLONLAT", b"0", b"0", b"BYRADIUS", b"1", b"km"),
        (b"MSET", a, b"v", b, b"w"), (b"MSETNX", a, b"v", b), (b"BITOP", b"OR", a, b), (b"RENAME", a, b),
        (b"SMOVE", a, b, b"m"), (b"LMOVE", a, b, b"LEFT", b"RIGHT"), (b"RPOPLPUSH", a, b), (b"COPY", a, b),
        (b"OBJECT", b"FREQ", a), (b"OBJECT", a), (b"MEMORY", b"USAGE", a, b"SAMPLES"),
        (b"TOUCH", a, b), (b"WATCH", a, b), (b"PFCOUNT", a, b), (b"PFMERGE", a, b), (b"DUMP", a, b"x"),
        (b"RESTORE", a, b"0", b"x"), (b"XINFO", b"STREAM", a), (b"XGROUP", b"CREATE", a, b"g", b"$"),
        (b"XCLAIM", a, b"g", b"c", b"0", b"0"), (b"XPENDING", a, b"g"), (b"XSETID", a, b"0"),
        (b"STRALGO", b"LCS", b"KEYS", a, b), (b"STRALGO", b"LCS", b"STRINGS", a, b), (b"BITFIELD_RO", a, b"GET", b"u8", b"0"),
        (b"ZRANGESTORE", a, b, b"0", b"1"), (b"GETEX", a), (b"UNLINK", a, b), (b"EXISTS", a, a, b),
        (b"SINTERSTORE", a, b), (b"SUNIONSTORE", a, b, a), (b"SDIFF", a, b), (b"DEL", a, b),
        (b"TYPE", a), (b"KEYS", b"*"), (b"DBSIZE",), (b"SWAPDB", b"0", b"0"),
        (b"FLUSHDB", b"x"), (b"SELECT", b"1"), (b"SCRIPT", b"EXISTS", b"abc"), (b"SCRIPT", b"FLUSH", b"X"),
        (b"EVAL", b"return redis.call('get', KEYS[1])", b"1", a),
        (b"EVAL", b"return redis.call('get', ARGV[1])", b"0", a),
        (b"EVAL", b"return redis.pcall('set', ARGV[1], 'v')", b"0", a),
    ))
    unordered = args[0] in (b"KEYS", b"SDIFF")  # a hash table's order
    return C(*args, mode="sort" if unordered else "exact")


def _glob_probe(draw):
    """Key and channel globs against awkward names: Redis's stringmatchlen, byte for byte."""
    name = pick(draw, GLOB_NAMES)
    return pick(draw, (C(b"EXISTS", name), C(b"PUBLISH", name, b"m"), C(b"TYPE", name)))


def _pubsub(draw):
    ch = pick(draw, (b"news", b"chat", b"ch1", b"n?ws", b"ch*", b"*"))
    return C(*pick(draw, ((b"SUBSCRIBE", ch), (b"PSUBSCRIBE", ch), (b"UNSUBSCRIBE", ch),
                          (b"PUNSUBSCRIBE", ch), (b"PUBLISH", ch, b"m"), (b"PING",))))


def _side_cmd(draw, name):
    roll = draw(st.integers(0, 19))
    if roll < 9:
        return draw(K.command(families=BUILTIN, deterministic=True))
    if roll < 12:
        return _keyspec(draw)
    if roll < 14:
        return _pubsub(draw) if rare(draw, 2) else _glob_probe(draw)
    return pick(draw, (
        C(b"ACL", b"WHOAMI"), C(b"ACL", b"GETUSER", name, mode="acl"), C(b"ACL", b"LIST", mode="acl"),
        C(b"ACL", b"SETUSER", name, b"+@all"), C(b"ACL", b"CAT"), C(b"ACL", b"LOG", b"1", mode="acllog"),
        C(b"PUBLISH", pick(draw, (b"news", b"chat", b"ch1")), b"m"), C(b"PING"), C(b"ECHO", b"e"),
        C(b"SELECT", b"0"), C(b"CONFIG", b"GET", b"hash-max-ziplist-entries"),
        C(b"AUTH", name, pick(draw, PASSWORDS[:2])), C(b"DEBUG", b"SLEEP", b"0"),
        C(b"OBJECT", b"ENCODING", pick(draw, K.ALL_KEYS)), C(b"OBJECT", b"HELP"),
        C(b"MGET", pick(draw, K.ALL_KEYS), pick(draw, K.ALL_KEYS)),
        C(b"SORT", pick(draw, K.LIST_KEYS), b"BY", b"nosort", b"GET", pick(draw, (b"s*", b"#", b"h1->f1"))),
        C(b"FLUSHALL", b"x"), C(b"AUTH", pick(draw, USERS), b"pw1"), C(b"RESET"),
    ))


def _side_multi(draw, name):
    """MULTI, a few commands (some AUTH as another user: EXEC checks each command as the user
    of that moment), sometimes a change of rights on the main connection, EXEC or DISCARD
    (as ``(where, Cmd)`` steps); only commands whose replies compare exactly, since the
    EXEC reply is compared as a whole."""
    block = [C(b"MULTI")]
    for _ in range(draw(st.integers(1, 5))):
        roll = draw(st.integers(0, 9))
        if roll < 5:
            cmd = draw(K.command(families=BUILTIN, deterministic=True))
            block.extend(c if c.mode == "exact" else C(b"EXISTS", *(c.touched() or (b"x",)))
                         for c in K.steps(cmd))
        elif roll < 7:
            block.append(C(b"AUTH", pick(draw, USERS + (b"default",)), pick(draw, (b"pw1", b"pw1", b"bad"))))
        elif roll < 8:
            block.append(_glob_probe(draw))
        else:
            block.append(pick(draw, (C(b"ACL", b"WHOAMI"), C(b"GET", pick(draw, K.ALL_KEYS)),
                                     C(b"HGET", pick(draw, K.HASH_KEYS), b"f1"), C(b"PUBLISH", b"news", b"m"))))
    block = [("side", c) for c in block]
    if rare(draw, 3):  # rights changed between queueing and EXEC
        block.append(("main", _main_cmd(draw, pick(draw, (name,) + USERS))))
    block.append(("side", C(pick(draw, (b"EXEC", b"EXEC", b"EXEC", b"DISCARD")))))
    return block


def _main_cmd(draw, name):
    roll = draw(st.integers(0, 9))
    if roll < 5:
        return C(b"ACL", b"SETUSER", name, *rules(draw, 1, 3), mode="acl")
    if roll < 7:
        return _log(draw)
    if roll < 9:
        return C(b"ACL", b"SETUSER", name, *pick(draw, ((b"resetchannels", b"&news"), (b"resetchannels",),
                                                       (b"&ch*",), (b"allchannels",), (b"resetkeys",))), mode="acl")
    return C(b"ACL", b"DELUSER", name)


def _session(draw):
    name = pick(draw, USERS)
    steps = []
    if rare(draw, 4):  # glob patterns only, and probes of them
        steps.append(("main", C(b"ACL", b"SETUSER", name, b"reset", b"resetchannels", b"on", b">pw1", b"+@all",
                                *[pick(draw, (b"~", b"&")) + pick(draw, GLOBS) for _ in range(draw(st.integers(1, 3)))],
                                mode="acl")))
        steps.extend(("side", _glob_probe(draw)) for _ in range(draw(st.integers(1, 5))))
    elif not rare(draw, 3):  # mostly a user that can log in, with some rights
        steps.append(("main", C(b"ACL", b"SETUSER", name, b"reset", b"on", b">pw1",
                                *[pick(draw, KEY_RULES[:9]) for _ in range(draw(st.integers(0, 2)))],
                                *[pick(draw, CHANNEL_RULES[:5]) for _ in range(draw(st.integers(0, 1)))],
                                *[_cmd_rule(draw) for _ in range(draw(st.integers(1, 4)))], mode="acl")))
    default_rules = None
    if rare(draw, 10):
        # Never default's keys or commands: the harness's own probes (some on the oracle only)
        # run as default, and their denials would land in one ACL LOG only.
        default_rules = [pick(draw, (b"off", b"resetchannels", b"&news", b"&ch*", b"allchannels", b"+@all"))
                         for _ in range(draw(st.integers(1, 2)))]
        steps.append(("main", C(b"ACL", b"SETUSER", b"default", *default_rules, mode="acl")))
    for _ in range(draw(st.integers(1, 6))):
        if rare(draw, 5):
            steps.append(("main", _main_cmd(draw, name)))
        elif rare(draw, 4):
            steps.extend(_side_multi(draw, name))
        else:
            steps.extend(("side", one) for one in K.steps(_side_cmd(draw, name)))
    if rare(draw, 3):
        steps.append(("main", _log(draw)))
    if default_rules is not None:
        steps.append(("main", C(b"ACL", b"SETUSER", b"default", b"reset", b"on", b"nopass", b"allkeys",
                                b"allchannels", b"allcommands", mode="acl")))
    auth = _auth(draw, name)
    return C(*auth, mode="session", key=tuple(steps))


K.register(
    "acl",
    ACL_GENS + (_session,) * 6,
    state={b"ACL": (C(b"ACL", b"LIST", mode="acl"),)},
    reset=((b"ACL", b"DELUSER", *USERS, b"U1", b""),
           (b"ACL", b"SETUSER", b"default", b"reset", b"on", b"nopass", b"allkeys", b"allchannels",
            b"allcommands"),
           (b"ACL", b"LOG", b"RESET")),
)
