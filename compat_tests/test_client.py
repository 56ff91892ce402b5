"""Client management as Redis 6.2.14 does it: CLIENT subcommands, AUTH, HELLO AUTH, RESET, QUIT.

The basic PING/ECHO/SELECT/HELLO/inline cases live in test_connection.py; this file covers the
CLIENT command family (LIST/INFO/KILL/PAUSE/REPLY/UNBLOCK...), authentication with
``requirepass`` and what RESET and QUIT undo.  Tests that set ``requirepass`` restore it.
"""

from __future__ import annotations

import re
import time

import pytest

from .helpers import err, ex, resp_encode

PW = "compat-client-secret"
UNKNOWN_SUB = "ERR Unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP."
NAME_ERR = "ERR Client names cannot contain spaces, newlines or special characters."
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
NOAUTH = "NOAUTH Authentication required."
HELLO_NOAUTH = (
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
    "AUTH <user> <pass> option can be used to authenticate the client and select the RESP "
    "protocol version at the same time"
)
INFO_LINE = re.compile(
    rb"id=\d+ addr=\S+ laddr=\S+ fd=-?\d+ name=\S* age=\d+ idle=\d+ flags=[A-Za-z]+ db=\d+ "
    rb"sub=\d+ psub=\d+ multi=-?\d+ qbuf=\d+ qbuf-free=\d+ argv-mem=\d+ obl=\d+ oll=\d+ "
    rb"omem=\d+ tot-mem=\d+ events=[rw]* cmd=\S+ user=\S+ redir=-?\d+"
)


# --------------------------------------------------------------------------- helpers


def fields(line: bytes) -> dict:
    return dict(kv.split(b"=", 1) for kv in line.split(b" "))


def client_list(c, *args) -> list[dict]:
    reply = ex(c, "CLIENT", "LIST", *args)
    return [fields(line) for line in reply.splitlines()]


def info_of(c, client_id: int) -> dict | None:
    lines = client_list(c, "ID", client_id)
    return lines[0] if lines else None


def wait_for(predicate, timeout: float = 3.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def blocked_in_list(c, client_id: int) -> bool:
    info = info_of(c, client_id)
    return info is not None and b"b" in info[b"flags"]


@pytest.fixture
def requirepass(make_client):
    """Set requirepass for the test; the admin connection stays logged in to remove it."""
    admin = make_client()
    ex(admin, "CONFIG", "SET", "requirepass", PW)
    try:
        yield PW
    finally:
        ex(admin, "CONFIG", "SET", "requirepass", "")


# --------------------------------------------------------------------------- command table


@pytest.mark.parametrize(
    "name, entry",
    [
        ("hello", [-1, [b"noscript", b"loading", b"stale", b"fast", b"no_auth"], [b"@fast", b"@connection"]]),
        ("auth", [-2, [b"noscript", b"loading", b"stale", b"fast", b"no_auth"], [b"@fast", b"@connection"]]),
        ("reset", [1, [b"noscript", b"loading", b"stale", b"fast"], [b"@fast", b"@connection"]]),
        ("client", [-2, [b"admin", b"noscript", b"random", b"loading", b"stale"],
                    [b"@admin", b"@slow", b"@dangerous", b"@connection"]]),
        ("ping", [-1, [b"stale", b"fast"], [b"@fast", b"@connection"]]),
        ("echo", [2, [b"fast"], [b"@fast", b"@connection"]]),
        ("select", [2, [b"loading", b"stale", b"fast"], [b"@keyspace", b"@fast"]]),
    ],
)
def test_command_info(r2, name, entry):
    (info,) = ex(r2, "COMMAND", "INFO", name)
    arity, flags, cats = entry
    assert info[0] == name.encode() and info[1] == arity
    assert info[2] == flags
    assert info[3:6] == [0, 0, 0]
    assert sorted(info[6]) == sorted(cats)


def test_quit_is_not_a_command_table_entry(r2):
    assert ex(r2, "COMMAND", "INFO", "quit") == [None]
    assert ex(r2, "COMMAND", "INFO", "ping", "quit")[1] is None


# --------------------------------------------------------------------------- QUIT


def test_quit_takes_any_arguments(raw):
    raw.send(resp_encode("QUIT", "a", "b"))
    assert raw.read_until_closed(5) == b"+OK\r\n"


def test_quit_inside_multi_is_not_queued(raw):
    raw.send(resp_encode("MULTI") + resp_encode("QUIT"))
    assert raw.read_until_closed(5) == b"+OK\r\n+OK\r\n"


def test_quit_before_auth(requirepass, make_raw):
    conn = make_raw(auth=False)
    assert conn.cmd("GET", "x") == b"-" + NOAUTH.encode() + b"\r\n"
    conn.send(resp_encode("QUIT"))
    assert conn.read_until_closed(5) == b"+OK\r\n"


def test_quit_inline(raw):
    raw.send(b"quit\r\nPING\r\n")
    assert raw.read_until_closed(5) == b"+OK\r\n"


# --------------------------------------------------------------------------- AUTH


def test_auth_without_password_configured(raw):
    # (raw: redis-py turns this reply into an AuthenticationError)
    assert raw.cmd("AUTH", "x") == (
        b"-ERR AUTH <password> called without any password configured for the default user. "
        b"Are you sure your configuration is correct?\r\n"
    )
    assert raw.cmd("PING") == b"+PONG\r\n"


def test_auth_default_user_without_password_takes_any_password(raw):
    assert raw.cmd("AUTH", "default", "whatever") == b"+OK\r\n"
    assert raw.cmd("PING") == b"+PONG\r\n"


def test_auth_unknown_user(raw):
    assert raw.cmd("AUTH", "nosuchuser", "pw") == b"-" + WRONGPASS.encode() + b"\r\n"


def test_auth_syntax_and_arity(r2):
    assert err(r2, "AUTH", "a", "b", "c") == "ERR syntax error"
    assert err(r2, "AUTH") == "ERR wrong number of arguments for 'auth' command"


def test_requirepass_gates_commands(requirepass, make_raw):
    conn = make_raw(auth=False)
    assert conn.cmd("PING") == b"-NOAUTH Authentication required.\r\n"
    assert conn.cmd("CLIENT", "ID") == b"-NOAUTH Authentication required.\r\n"
    assert conn.cmd("AUTH", "wrong") == b"-" + WRONGPASS.encode() + b"\r\n"
    assert conn.cmd("AUTH", "default", "wrong") == b"-" + WRONGPASS.encode() + b"\r\n"
    assert conn.cmd("PING") == b"-NOAUTH Authentication required.\r\n"
    assert conn.cmd("AUTH", PW) == b"+OK\r\n"
    assert conn.cmd("PING") == b"+PONG\r\n"


def test_auth_with_username_and_requirepass(requirepass, make_raw):
    conn = make_raw(auth=False)
    assert conn.cmd("AUTH", "default", PW) == b"+OK\r\n"
    assert conn.cmd("ECHO", "in") == b"$2\r\nin\r\n"


def test_new_password_keeps_existing_connections_logged_in(r2, make_client):
    admin = make_client()
    assert ex(r2, "PING") == b"PONG"
    ex(admin, "CONFIG", "SET", "requirepass", PW)
    try:
        assert ex(r2, "PING") == b"PONG"
    finally:
        ex(admin, "CONFIG", "SET", "requirepass", "")


def test_removing_the_password_lets_waiting_connections_in(make_client, make_raw):
    admin = make_client()
    ex(admin, "CONFIG", "SET", "requirepass", PW)
    try:
        conn = make_raw(auth=False)
        assert conn.cmd("PING") == b"-NOAUTH Authentication required.\r\n"
    finally:
        ex(admin, "CONFIG", "SET", "requirepass", "")
    assert conn.cmd("PING") == b"+PONG\r\n"


# --------------------------------------------------------------------------- HELLO + AUTH


def test_hello_requires_auth(requirepass, make_raw):
    conn = make_raw(auth=False)
    for args in (("HELLO",), ("HELLO", "3"), ("HELLO", "2", "SETNAME", "x")):
        assert conn.cmd(*args) == b"-" + HELLO_NOAUTH.encode() + b"\r\n"
    assert conn.cmd("GET", "k") == b"-NOAUTH Authentication required.\r\n"


def test_hello_auth_logs_in_and_switches_protocol(requirepass, make_raw):
    conn = make_raw(auth=False)
    reply = conn.cmd("HELLO", "3", "AUTH", "default", PW, "SETNAME", "helloed")
    assert reply.startswith(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n")
    assert conn.cmd("CLIENT", "GETNAME") == b"$7\r\nhelloed\r\n"
    assert conn.cmd("GET", "missing") == b"_\r\n"


def test_hello_auth_wrong_password(requirepass, make_raw):
    conn = make_raw(auth=False)
    assert conn.cmd("HELLO", "3", "AUTH", "default", "nope") == b"-" + WRONGPASS.encode() + b"\r\n"
    assert conn.cmd("GET", "k") == b"-NOAUTH Authentication required.\r\n"


def test_hello_auth_without_password_configured(raw):
    assert raw.cmd("HELLO", "3", "AUTH", "default", "anything").startswith(b"%7\r\n")
    assert raw.cmd("HELLO", "2", "AUTH", "nosuchuser", "x") == b"-" + WRONGPASS.encode() + b"\r\n"
    assert raw.cmd("GET", "missing") == b"_\r\n"


def test_hello_options_apply_in_order(raw):
    # SETNAME before a failing option still happened; the protocol did not change
    assert raw.cmd("HELLO", "3", "SETNAME", "first", "FOO") == b"-ERR Syntax error in HELLO option 'FOO'\r\n"
    assert raw.cmd("CLIENT", "GETNAME") == b"$5\r\nfirst\r\n"
    assert raw.cmd("GET", "missing") == b"$-1\r\n"
    assert raw.cmd("HELLO", "3", "SETNAME", "second", "AUTH", "nouser", "x") == b"-" + WRONGPASS.encode() + b"\r\n"
    assert raw.cmd("CLIENT", "GETNAME") == b"$6\r\nsecond\r\n"
    assert raw.cmd("GET", "missing") == b"$-1\r\n"


def test_hello_last_setname_wins(raw):
    raw.cmd("HELLO", "2", "SETNAME", "a", "setname", "b")
    assert raw.cmd("CLIENT", "GETNAME") == b"$1\r\nb\r\n"


# --------------------------------------------------------------------------- RESET


def test_reset_reply_and_arity(raw):
    assert raw.cmd("RESET") == b"+RESET\r\n"
    assert raw.cmd("RESET", "x") == b"-ERR wrong number of arguments for 'reset' command\r\n"


def test_reset_restores_connection_defaults(raw):
    raw.cmd("HELLO", "3")
    raw.cmd("SELECT", "4")
    raw.cmd("CLIENT", "SETNAME", "before")
    assert raw.cmd("GET", "missing") == b"_\r\n"
    assert raw.cmd("RESET") == b"+RESET\r\n"
    assert raw.cmd("GET", "missing") == b"$-1\r\n"
    assert raw.cmd("CLIENT", "GETNAME") == b"$-1\r\n"
    info = fields(raw.cmd("CLIENT", "INFO").split(b"\r\n")[1].strip())
    assert info[b"db"] == b"0" and info[b"name"] == b""


def test_reset_leaves_multi(raw):
    raw.cmd("MULTI")
    assert raw.cmd("SET", "k", "v") == b"+QUEUED\r\n"
    assert raw.cmd("RESET") == b"+RESET\r\n"
    assert raw.cmd("EXEC") == b"-ERR EXEC without MULTI\r\n"
    assert raw.cmd("EXISTS", "k") == b":0\r\n"


def test_reset_forgets_watched_keys(raw, r2):
    raw.cmd("WATCH", "w")
    assert raw.cmd("RESET") == b"+RESET\r\n"
    ex(r2, "SET", "w", "changed")
    raw.cmd("MULTI")
    raw.cmd("SET", "t", "1")
    assert raw.cmd("EXEC") == b"*1\r\n+OK\r\n"


def test_reset_unsubscribes(raw, r2):
    raw.cmd("SUBSCRIBE", "ch")
    raw.send(resp_encode("PSUBSCRIBE", "p*"))
    raw.recv_reply()
    assert raw.cmd("RESET") == b"+RESET\r\n"
    assert ex(r2, "PUBLISH", "ch", "x") == 0
    assert ex(r2, "PUBLISH", "pat", "x") == 0
    assert raw.cmd("PING") == b"+PONG\r\n"


def test_reset_turns_replies_back_on(raw):
    raw.send(resp_encode("CLIENT", "REPLY", "OFF") + resp_encode("PING") + resp_encode("RESET"))
    assert raw.recv_reply() == b"+RESET\r\n"
    assert raw.cmd("PING") == b"+PONG\r\n"


def test_reset_inside_multi_runs_at_once(raw):
    raw.cmd("MULTI")
    assert raw.cmd("RESET") == b"+RESET\r\n"
    assert raw.cmd("PING") == b"+PONG\r\n"


def test_reset_logs_out_when_a_password_is_required(requirepass, make_raw):
    conn = make_raw(auth=False)
    assert conn.cmd("AUTH", PW) == b"+OK\r\n"
    assert conn.cmd("RESET") == b"+RESET\r\n"
    assert conn.cmd("PING") == b"-NOAUTH Authentication required.\r\n"


def test_reset_keeps_client_id(r):
    before = ex(r, "CLIENT", "ID")
    assert ex(r, "RESET") == b"RESET"
    assert ex(r, "CLIENT", "ID") == before


# --------------------------------------------------------------------------- CLIENT basics


def test_client_help(raw):
    reply = raw.cmd("CLIENT", "HELP")
    lines = reply.split(b"\r\n")
    assert lines[0] == b"*46"
    assert lines[1] == b"+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert lines[2] == b"+CACHING (YES|NO)"
    assert b"+PAUSE <timeout> [WRITE|ALL]" in lines
    assert b"+    Suspend all, or just write, clients for <timout> milliseconds." in lines
    assert lines[-3:] == [b"+HELP", b"+    Prints this help.", b""]


@pytest.mark.parametrize(
    "args",
    [("HELP", "x"), ("ID", "x"), ("INFO", "x"), ("GETNAME", "x"), ("SETNAME",), ("SETNAME", "a", "b"),
     ("UNPAUSE", "x"), ("PAUSE",), ("PAUSE", "1", "WRITE", "x"), ("REPLY",), ("REPLY", "ON", "x"),
     ("UNBLOCK",), ("UNBLOCK", "1", "ERROR", "x"), ("CACHING",), ("GETREDIR", "x"),
     ("TRACKINGINFO", "x"), ("NOSUCH",)],
    ids=lambda a: " ".join(a),
)
def test_client_subcommand_argument_counts(r2, args):
    assert err(r2, "CLIENT", *args) == UNKNOWN_SUB.format(args[0])


def test_client_subcommands_are_case_insensitive(r2):
    assert ex(r2, "client", "id") == ex(r2, "CLIENT", "Id")
    assert ex(r2, "Client", "SetName", "cased") == b"OK"
    assert ex(r2, "client", "getNAME") == b"cased"


def test_client_ids_increase_per_connection(make_client):
    ids = [ex(make_client(), "CLIENT", "ID") for _ in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3


@pytest.mark.parametrize(
    "name",
    [b"a b", b"a\nb", b"tab\t", b"\x7f", b"\x01x", b"caf\xc3\xa9", b"\xff", b"x\x00"],
    ids=["space", "newline", "tab", "del", "ctrl", "utf8", "ff", "nul"],
)
def test_client_setname_rejects(r2, name):
    assert err(r2, "CLIENT", "SETNAME", name) == NAME_ERR
    assert ex(r2, "CLIENT", "GETNAME") is None


def test_client_setname_accepts_printable_ascii(r2):
    name = bytes(range(0x21, 0x7F))
    assert ex(r2, "CLIENT", "SETNAME", name) == b"OK"
    assert ex(r2, "CLIENT", "GETNAME") == name
    assert info_of(r2, ex(r2, "CLIENT", "ID"))[b"name"] == name


def test_client_getname_resp3_null(make_client):
    c = make_client(protocol=3)
    assert ex(c, "CLIENT", "GETNAME") is None


# --------------------------------------------------------------------------- CLIENT INFO / LIST


def test_client_info_fields_in_order(raw):
    reply = raw.cmd("CLIENT", "INFO")
    body = reply.split(b"\r\n", 1)[1][:-2]
    assert body.endswith(b"\n") and body.count(b"\n") == 1
    assert INFO_LINE.fullmatch(body[:-1]), body


def test_client_info_values_of_a_fresh_connection(r2):
    info = fields(ex(r2, "CLIENT", "INFO").strip())
    assert info[b"id"] == str(ex(r2, "CLIENT", "ID")).encode()
    expected = {b"name": b"", b"flags": b"N", b"db": b"0", b"sub": b"0", b"psub": b"0",
                b"multi": b"-1", b"argv-mem": b"10", b"oll": b"0", b"cmd": b"client",
                b"user": b"default", b"redir": b"-1"}
    assert {k: info[k] for k in expected} == expected
    assert info[b"events"] == b"r"


def test_client_info_qbuf_holds_the_running_request(raw):
    # the query buffer is trimmed only after every request of a read ran: the running
    # client's qbuf is the whole read (26 bytes for CLIENT INFO alone)
    assert fields(raw.cmd("CLIENT", "INFO").split(b"\r\n", 1)[1][:-3])[b"qbuf"] == b"26"
    assert fields(raw.cmd("CLIENT", "LIST", "ID", str(_raw_id(raw))).split(b"\r\n", 1)[1][:-3])[
        b"qbuf"] == b"%d" % len(resp_encode("CLIENT", "LIST", "ID", str(_raw_id(raw))))
    raw.send(resp_encode("CLIENT", "INFO") + resp_encode("PING") + resp_encode("CLIENT", "INFO"))
    first, pong, second = raw.recv_replies(3)
    assert pong == b"+PONG\r\n"
    for reply in (first, second):
        assert fields(reply.split(b"\r\n", 1)[1][:-3])[b"qbuf"] == b"66"


def _raw_id(raw) -> int:
    return int(raw.cmd("CLIENT", "ID")[1:-2])


def test_client_info_matches_client_list(r2):
    my_id = ex(r2, "CLIENT", "ID")
    mine = fields(ex(r2, "CLIENT", "INFO").strip())
    listed = info_of(r2, my_id)
    for key in (b"id", b"addr", b"laddr", b"fd", b"name", b"db", b"flags", b"cmd", b"user"):
        assert mine[key] == listed[key], key


def test_client_list_lines(r2, make_client):
    others = [make_client() for _ in range(2)]
    ids = {ex(c, "CLIENT", "ID") for c in others} | {ex(r2, "CLIENT", "ID")}
    reply = ex(r2, "CLIENT", "LIST")
    assert reply.endswith(b"\n")
    listed = {int(fields(line)[b"id"]) for line in reply.splitlines()}
    assert ids <= listed
    for line in reply.splitlines():
        assert INFO_LINE.fullmatch(line), line


def test_client_list_shows_other_connections_state(r2, make_client):
    other = make_client()
    other_id = ex(other, "CLIENT", "ID")
    ex(other, "CLIENT", "SETNAME", "watched")
    ex(other, "SELECT", 5)
    ex(other, "GeT", "k")
    info = info_of(r2, other_id)
    assert (info[b"name"], info[b"db"], info[b"cmd"], info[b"flags"]) == (b"watched", b"5", b"get", b"N")


def test_client_list_last_command_after_errors(r2, raw):
    raw_id = int(raw.cmd("CLIENT", "ID")[1:-2])
    raw.cmd("GET")  # wrong arity: the command was still looked up
    assert info_of(r2, raw_id)[b"cmd"] == b"get"
    raw.cmd("NOSUCHCOMMAND")
    assert info_of(r2, raw_id)[b"cmd"] == b"NULL"


def test_client_list_multi_flag(r2, raw):
    raw_id = int(raw.cmd("CLIENT", "ID")[1:-2])
    raw.cmd("MULTI")
    raw.cmd("SET", "a", "1")
    raw.cmd("GET", "a")
    info = info_of(r2, raw_id)
    assert (info[b"flags"], info[b"multi"]) == (b"x", b"2")
    raw.cmd("DISCARD")
    info = info_of(r2, raw_id)
    assert (info[b"flags"], info[b"multi"]) == (b"N", b"-1")


def test_client_info_inside_exec_counts_the_transaction(raw):
    """While EXEC runs, the client is still flagged x and multi= counts its queued commands
    (Redis frees the queue only after the last one ran)."""
    raw.cmd("MULTI")
    raw.cmd("SET", "a", "1")
    raw.cmd("CLIENT", "INFO")
    raw.cmd("CLIENT", "LIST", "ID", "999999999")
    reply = raw.cmd("EXEC")
    info = fields(re.search(rb"id=[^\r\n]*", reply).group(0))
    assert (info[b"flags"], info[b"multi"], info[b"cmd"]) == (b"x", b"3", b"exec")
    info = fields(raw.cmd("CLIENT", "INFO").split(b"\r\n")[1])
    assert (info[b"flags"], info[b"multi"]) == (b"N", b"-1")


def test_client_list_pubsub_subscriber(r2, raw):
    raw_id = int(raw.cmd("CLIENT", "ID")[1:-2])
    raw.cmd("SUBSCRIBE", "c1")
    raw.send(resp_encode("PSUBSCRIBE", "p1*", "p2*"))
    raw.recv_replies(2)
    info = info_of(r2, raw_id)
    assert (info[b"flags"], info[b"sub"], info[b"psub"], info[b"cmd"]) == (b"P", b"1", b"2", b"psubscribe")
    pubsub_ids = {int(i[b"id"]) for i in client_list(r2, "TYPE", "pubsub")}
    assert raw_id in pubsub_ids
    assert ex(r2, "CLIENT", "ID") not in pubsub_ids
    normal_ids = {int(i[b"id"]) for i in client_list(r2, "TYPE", "normal")}
    assert raw_id not in normal_ids and ex(r2, "CLIENT", "ID") in normal_ids


def test_client_list_blocked_flag(r2, raw):
    raw_id = int(raw.cmd("CLIENT", "ID")[1:-2])
    raw.send(resp_encode("BLPOP", "nolist", "0"))
    wait_for(lambda: blocked_in_list(r2, raw_id), what="the BLPOP client to block")
    assert info_of(r2, raw_id)[b"cmd"] == b"blpop"
    ex(r2, "RPUSH", "nolist", "x")
    assert raw.recv_reply() == b"*2\r\n$6\r\nnolist\r\n$1\r\nx\r\n"
    assert info_of(r2, raw_id)[b"flags"] == b"N"


@pytest.mark.parametrize("kind", ["master", "replica", "slave", "MASTER", "Replica"])
def test_client_list_type_without_such_clients(r2, kind):
    assert ex(r2, "CLIENT", "LIST", "TYPE", kind) == b""


def test_client_list_type_normal_is_case_insensitive(r2):
    my_id = ex(r2, "CLIENT", "ID")
    assert my_id in {int(i[b"id"]) for i in client_list(r2, "type", "NoRmAl")}


@pytest.mark.parametrize(
    "args, message",
    [(("TYPE", "foo"), "ERR Unknown client type 'foo'"), (("TYPE",), "ERR syntax error"),
     (("TYPE", "normal", "x"), "ERR syntax error"), (("ID",), "ERR syntax error"),
     (("foo",), "ERR syntax error"), (("foo", "bar"), "ERR syntax error"),
     (("ID", "1", "x"), "ERR Invalid client ID"), (("ID", "1.5"), "ERR Invalid client ID")],
)
def test_client_list_errors(r2, args, message):
    assert err(r2, "CLIENT", "LIST", *args) == message


def test_client_list_by_id(r2, make_client):
    a, b = make_client(), make_client()
    ida, idb = ex(a, "CLIENT", "ID"), ex(b, "CLIENT", "ID")
    listed = [int(i[b"id"]) for i in client_list(r2, "ID", idb, 999999999, -3, ida)]
    assert listed == [idb, ida]
    assert ex(r2, "CLIENT", "LIST", "ID", 999999999) == b""


def test_client_list_is_verbatim_in_resp3(raw):
    raw.cmd("HELLO", "3")
    reply = raw.cmd("CLIENT", "LIST", "ID", "999999999")
    assert reply == b"=4\r\ntxt:\r\n"
    reply = raw.cmd("CLIENT", "LIST")
    header, body = reply.split(b"\r\n", 1)
    assert header.startswith(b"=") and body.startswith(b"txt:id=") and int(header[1:]) == len(body) - 2


# --------------------------------------------------------------------------- CLIENT KILL


def test_client_kill_old_form(r2, make_raw):
    victim = make_raw()
    vid = int(victim.cmd("CLIENT", "ID")[1:-2])
    addr = info_of(r2, vid)[b"addr"]
    assert ex(r2, "CLIENT", "KILL", addr) == b"OK"
    assert victim.read_until_closed(5) == b""
    assert info_of(r2, vid) is None
    assert err(r2, "CLIENT", "KILL", addr) == "ERR No such client"


def test_client_kill_old_form_can_kill_itself(raw, r2):
    rid = int(raw.cmd("CLIENT", "ID")[1:-2])
    addr = info_of(r2, rid)[b"addr"]
    raw.send(resp_encode("CLIENT", "KILL", addr) + resp_encode("SET", "after", "kill"))
    assert raw.read_until_closed(5) == b"+OK\r\n"
    assert ex(r2, "EXISTS", "after") == 0


def test_client_kill_by_id(r2, make_raw):
    victim = make_raw()
    vid = int(victim.cmd("CLIENT", "ID")[1:-2])
    assert ex(r2, "CLIENT", "KILL", "ID", vid) == 1
    assert victim.read_until_closed(5) == b""
    assert ex(r2, "CLIENT", "KILL", "ID", vid) == 0
    assert ex(r2, "CLIENT", "KILL", "ID", "-1") == 0


def test_client_kill_skipme(raw):
    rid = raw.cmd("CLIENT", "ID")[1:-2]
    assert raw.cmd("CLIENT", "KILL", "ID", rid) == b":0\r\n"
    assert raw.cmd("CLIENT", "KILL", "ID", rid, "SKIPME", "yes") == b":0\r\n"
    raw.send(resp_encode("CLIENT", "KILL", "ID", rid, "skipme", "NO") + resp_encode("PING"))
    assert raw.read_until_closed(5) == b":1\r\n"


def test_client_kill_filters_combine(r2, make_raw):
    victim = make_raw()
    vid = int(victim.cmd("CLIENT", "ID")[1:-2])
    info = info_of(r2, vid)
    assert ex(r2, "CLIENT", "KILL", "ID", vid, "TYPE", "pubsub") == 0
    assert ex(r2, "CLIENT", "KILL", "ID", vid, "ADDR", "1.2.3.4:5") == 0
    assert ex(r2, "CLIENT", "KILL", "ID", vid, "LADDR", "1.2.3.4:5") == 0
    assert ex(r2, "CLIENT", "KILL", "ADDR", info[b"addr"], "LADDR", info[b"laddr"], "TYPE", "normal",
              "USER", "default", "ID", vid) == 1
    assert victim.read_until_closed(5) == b""


def test_client_kill_type_pubsub(r2, make_raw):
    sub = make_raw()
    sid = int(sub.cmd("CLIENT", "ID")[1:-2])
    sub.cmd("SUBSCRIBE", "news")
    assert ex(r2, "CLIENT", "KILL", "TYPE", "normal", "ID", sid) == 0
    assert ex(r2, "CLIENT", "KILL", "TYPE", "pubsub", "ID", sid) == 1
    sub.read_until_closed(5)
    assert ex(r2, "PUBLISH", "news", "x") == 0


def test_client_kill_blocked_client(r2, make_raw):
    blocked = make_raw()
    bid = int(blocked.cmd("CLIENT", "ID")[1:-2])
    blocked.send(resp_encode("BLPOP", "kill-list", "0"))
    wait_for(lambda: blocked_in_list(r2, bid), what="the BLPOP client to block")
    assert ex(r2, "CLIENT", "KILL", "ID", bid) == 1
    assert blocked.read_until_closed(5) == b""
    ex(r2, "RPUSH", "kill-list", "v")
    assert ex(r2, "LLEN", "kill-list") == 1


@pytest.mark.parametrize(
    "args, message",
    [(("ID", "x"), "ERR value is not an integer or out of range"),
     (("TYPE", "foo"), "ERR Unknown client type 'foo'"),
     (("USER", "nosuchuser"), "ERR No such user 'nosuchuser'"),
     (("SKIPME", "maybe"), "ERR syntax error"),
     (("ID",), "ERR No such client"),
     (("ID", "1", "ADDR"), "ERR syntax error"),
     ((), "ERR syntax error"),
     (("foo", "bar"), "ERR syntax error")],
    ids=["id-nan", "type", "user", "skipme", "old-form", "missing-value", "none", "unknown"],
)
def test_client_kill_errors(r2, args, message):
    assert err(r2, "CLIENT", "KILL", *args) == message


# --------------------------------------------------------------------------- CLIENT UNBLOCK


@pytest.mark.parametrize("reason", [None, "TIMEOUT", "timeout"])
def test_client_unblock_as_timeout(r2, raw, reason):
    rid = int(raw.cmd("CLIENT", "ID")[1:-2])
    raw.send(resp_encode("BLPOP", "ulist", "0") + resp_encode("PING", "after"))
    wait_for(lambda: blocked_in_list(r2, rid), what="the BLPOP client to block")
    args = ["CLIENT", "UNBLOCK", rid] + ([reason] if reason else [])
    assert ex(r2, *args) == 1
    assert raw.recv_replies(2) == [b"*-1\r\n", b"$5\r\nafter\r\n"]


def test_client_unblock_as_timeout_resp3(r2, raw):
    raw.cmd("HELLO", "3")
    rid = int(raw.cmd("CLIENT", "ID")[1:-2])
    raw.send(resp_encode("BLPOP", "ulist", "0"))
    wait_for(lambda: blocked_in_list(r2, rid), what="the BLPOP client to block")
    assert ex(r2, "CLIENT", "UNBLOCK", rid, "TIMEOUT") == 1
    assert raw.recv_reply() == b"_\r\n"


def test_client_unblock_with_error(r2, raw):
    rid = int(raw.cmd("CLIENT", "ID")[1:-2])
    raw.send(resp_encode("BLPOP", "ulist", "0"))
    wait_for(lambda: blocked_in_list(r2, rid), what="the BLPOP client to block")
    assert ex(r2, "CLIENT", "UNBLOCK", rid, "ERROR") == 1
    assert raw.recv_reply() == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    assert ex(r2, "CLIENT", "UNBLOCK", rid, "ERROR") == 0


def test_client_unblock_not_blocked(r2, make_client):
    other = ex(make_client(), "CLIENT", "ID")
    assert ex(r2, "CLIENT", "UNBLOCK", other) == 0
    assert ex(r2, "CLIENT", "UNBLOCK", 999999999) == 0
    assert ex(r2, "CLIENT", "UNBLOCK", ex(r2, "CLIENT", "ID")) == 0


@pytest.mark.parametrize(
    "args, message",
    [(("x",), "ERR value is not an integer or out of range"),
     (("1", "foo"), "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"),
     (("x", "foo"), "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")],
)
def test_client_unblock_errors(r2, args, message):
    assert err(r2, "CLIENT", "UNBLOCK", *args) == message


# --------------------------------------------------------------------------- CLIENT REPLY


def test_client_reply_off_and_on(raw):
    raw.send(resp_encode("CLIENT", "REPLY", "OFF") + resp_encode("SET", "k", "v") + resp_encode("GET", "k")
             + resp_encode("NOSUCH") + resp_encode("CLIENT", "REPLY", "ON") + resp_encode("GET", "k"))
    assert raw.recv_replies(2) == [b"+OK\r\n", b"$1\r\nv\r\n"]
    raw.assert_silent(0.1)


def test_client_reply_skip_skips_exactly_the_next_command(raw):
    raw.send(resp_encode("CLIENT", "REPLY", "SKIP") + resp_encode("PING", "one") + resp_encode("PING", "two"))
    assert raw.recv_reply() == b"$3\r\ntwo\r\n"
    raw.send(resp_encode("CLIENT", "REPLY", "SKIP") + resp_encode("NOSUCH") + resp_encode("PING", "three"))
    assert raw.recv_reply() == b"$5\r\nthree\r\n"


def test_client_reply_skip_twice(raw):
    raw.send(resp_encode("CLIENT", "REPLY", "SKIP") + resp_encode("CLIENT", "REPLY", "SKIP")
             + resp_encode("PING", "a") + resp_encode("PING", "b"))
    assert raw.recv_reply() == b"$1\r\nb\r\n"
    raw.assert_silent(0.1)


def test_client_reply_skip_while_off_does_nothing(raw):
    raw.send(resp_encode("CLIENT", "REPLY", "OFF") + resp_encode("CLIENT", "REPLY", "SKIP")
             + resp_encode("PING", "a") + resp_encode("CLIENT", "REPLY", "ON") + resp_encode("PING", "b"))
    assert raw.recv_replies(2) == [b"+OK\r\n", b"$1\r\nb\r\n"]


def test_client_reply_on_while_skipping_is_answered(raw):
    raw.send(resp_encode("CLIENT", "REPLY", "SKIP") + resp_encode("CLIENT", "REPLY", "ON") + resp_encode("PING"))
    assert raw.recv_replies(2) == [b"+OK\r\n", b"+PONG\r\n"]


def test_client_reply_on_is_ok(raw):
    assert raw.cmd("CLIENT", "REPLY", "ON") == b"+OK\r\n"


def test_client_reply_off_still_runs_commands(raw, r2):
    raw.send(resp_encode("CLIENT", "REPLY", "OFF") + resp_encode("INCR", "counted") + resp_encode("INCR", "counted"))
    wait_for(lambda: ex(r2, "GET", "counted") == b"2", what="the INCRs")
    raw.assert_silent(0.1)


def test_client_reply_syntax_error(r2):
    assert err(r2, "CLIENT", "REPLY", "maybe") == "ERR syntax error"


# --------------------------------------------------------------------------- CLIENT PAUSE


def _pause_then_unpause(admin):
    """Always leave the server unpaused (a stuck pause would stall every later test).  Under
    PAUSE ALL this waits for the end of the pause: CLIENT UNPAUSE is held like any command."""
    ex(admin, "CLIENT", "UNPAUSE")


def test_client_pause_write_holds_writes_not_reads(make_client, make_raw):
    admin = make_client()
    writer = make_raw()
    try:
        t0 = time.monotonic()
        assert ex(admin, "CLIENT", "PAUSE", 500, "WRITE") == b"OK"
        assert ex(make_client(), "GET", "k") is None  # reads go on
        writer.send(resp_encode("SET", "k", "v") + resp_encode("GET", "k"))
        writer.assert_silent(0.2)
        assert writer.recv_replies(2) == [b"+OK\r\n", b"$1\r\nv\r\n"]
        assert time.monotonic() - t0 >= 0.45
    finally:
        _pause_then_unpause(admin)


def test_client_pause_keeps_reads_behind_a_held_write(make_client, make_raw):
    admin = make_client()
    conn = make_raw()
    try:
        ex(admin, "CLIENT", "PAUSE", 400, "WRITE")
        conn.send(resp_encode("GET", "k") + resp_encode("SET", "k", "1") + resp_encode("GET", "k"))
        assert conn.recv_reply() == b"$-1\r\n"
        conn.assert_silent(0.15)
        assert conn.recv_replies(2) == [b"+OK\r\n", b"$1\r\n1\r\n"]
    finally:
        _pause_then_unpause(admin)


def test_client_pause_all_holds_every_command(make_client, make_raw):
    admin = make_client()
    conn = make_raw()
    try:
        t0 = time.monotonic()
        ex(admin, "CLIENT", "PAUSE", 400)
        conn.send(resp_encode("PING"))
        conn.assert_silent(0.2)
        assert conn.recv_reply() == b"+PONG\r\n"
        assert time.monotonic() - t0 >= 0.35
    finally:
        _pause_then_unpause(admin)


def test_client_unpause_releases_held_clients(make_client, make_raw):
    admin = make_client()
    conn = make_raw()
    try:
        ex(admin, "CLIENT", "PAUSE", 20000, "WRITE")
        conn.send(resp_encode("INCR", "n"))
        conn.assert_silent(0.15)
        t0 = time.monotonic()
        assert ex(admin, "CLIENT", "UNPAUSE") == b"OK"
        assert conn.recv_reply(timeout=2) == b":1\r\n"
        assert time.monotonic() - t0 < 1.0
    finally:
        _pause_then_unpause(admin)


def test_client_pause_releases_clients_in_order(make_client, make_raw):
    admin = make_client()
    first, second = make_raw(), make_raw()
    try:
        ex(admin, "CLIENT", "PAUSE", 20000, "WRITE")
        first.send(resp_encode("SET", "order", "first"))
        first.assert_silent(0.1)
        second.send(resp_encode("SET", "order", "second"))
        second.assert_silent(0.1)
        ex(admin, "CLIENT", "UNPAUSE")
        assert first.recv_reply() == b"+OK\r\n" and second.recv_reply() == b"+OK\r\n"
        assert ex(admin, "GET", "order") == b"second"
    finally:
        _pause_then_unpause(admin)


def test_clients_held_by_pause_count_as_blocked(make_client, make_raw):
    # Redis 6.2 blocks them (BLOCKED_PAUSE): INFO blocked_clients counts them, with no timeout
    admin = make_client()
    a, b = make_raw(), make_raw()
    try:
        ex(admin, "CLIENT", "PAUSE", 20000, "WRITE")
        a.send(resp_encode("SET", "k", "1"))
        b.send(resp_encode("EVAL", "return 1", "0"))
        deadline = time.monotonic() + 5
        while admin.info("clients")["blocked_clients"] != 2:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert admin.info("clients")["clients_in_timeout_table"] == 0
        ex(admin, "CLIENT", "UNPAUSE")
        assert a.recv_reply() == b"+OK\r\n" and b.recv_reply() == b":1\r\n"
        assert admin.info("clients")["blocked_clients"] == 0
    finally:
        _pause_then_unpause(admin)


def test_client_pause_skips_active_and_lazy_expiry(make_client):
    admin = make_client()
    try:
        expired = admin.info("stats")["expired_keys"]
        ex(admin, "MULTI")
        ex(admin, "SET", "foo", "bar", "PX", "10")
        ex(admin, "SET", "bar", "foo", "PX", "10")
        ex(admin, "CLIENT", "PAUSE", 20000, "WRITE")
        ex(admin, "EXEC")
        time.sleep(0.3)  # several active expiry cycles
        # logically expired, but kept: nothing is deleted during the pause
        assert ex(admin, "GET", "foo") is None and ex(admin, "GET", "bar") is None
        assert ex(admin, "EXISTS", "foo", "bar") == 0
        assert ex(admin, "DBSIZE") == 2
        assert admin.info("stats")["expired_keys"] == expired
        ex(admin, "CLIENT", "UNPAUSE")
        ex(admin, "GET", "foo")
        ex(admin, "GET", "bar")
        assert admin.info("stats")["expired_keys"] == expired + 2
        assert ex(admin, "DBSIZE") == 0
    finally:
        _pause_then_unpause(admin)


def test_client_pause_write_holds_publish_and_queued_writes(make_client, make_raw):
    admin = make_client()
    pub, tx, ro = make_raw(), make_raw(), make_raw()
    try:
        tx.cmd("MULTI")
        ro.cmd("MULTI")
        assert ro.cmd("GET", "k") == b"+QUEUED\r\n"
        ex(admin, "CLIENT", "PAUSE", 20000, "WRITE")
        pub.send(resp_encode("PUBLISH", "ch", "m"))
        tx.send(resp_encode("SET", "k", "v"))
        assert ro.cmd("EXEC") == b"*1\r\n$-1\r\n"  # a read-only transaction goes on
        pub.assert_silent(0.15)
        tx.assert_silent(0.05)
        ex(admin, "CLIENT", "UNPAUSE")
        assert pub.recv_reply() == b":0\r\n"
        assert tx.recv_reply() == b"+QUEUED\r\n"
        assert tx.cmd("EXEC") == b"*1\r\n+OK\r\n"
    finally:
        _pause_then_unpause(admin)


def test_client_pause_does_not_hold_rejected_commands(make_client, make_raw):
    admin = make_client()
    conn = make_raw()
    try:
        t0 = time.monotonic()
        ex(admin, "CLIENT", "PAUSE", 600)
        assert conn.cmd("NOSUCH") == b"-ERR unknown command `NOSUCH`, with args beginning with: \r\n"
        assert conn.cmd("GET") == b"-ERR wrong number of arguments for 'get' command\r\n"
        assert time.monotonic() - t0 < 0.4
    finally:
        _pause_then_unpause(admin)  # (held until the pause ends: ALL holds CLIENT UNPAUSE too)


def test_client_pause_only_extends(make_client, make_raw):
    admin = make_client()
    conn = make_raw()
    try:
        t0 = time.monotonic()
        ex(admin, "CLIENT", "PAUSE", 600, "WRITE")
        ex(admin, "CLIENT", "PAUSE", 50, "WRITE")
        conn.send(resp_encode("SET", "k", "v"))
        assert conn.recv_reply(timeout=3) == b"+OK\r\n"
        assert time.monotonic() - t0 >= 0.5
    finally:
        _pause_then_unpause(admin)


def test_client_pause_zero_is_no_pause(make_client, make_raw):
    admin = make_client()
    conn = make_raw()
    try:
        assert ex(admin, "CLIENT", "PAUSE", 0, "WRITE") == b"OK"
        time.sleep(0.2)
        t0 = time.monotonic()
        assert conn.cmd("SET", "k", "v") == b"+OK\r\n"
        assert time.monotonic() - t0 < 0.5
    finally:
        _pause_then_unpause(admin)


@pytest.mark.parametrize(
    "args, message",
    [(("x",), "ERR timeout is not an integer or out of range"),
     (("1.5",), "ERR timeout is not an integer or out of range"),
     (("-1",), "ERR timeout is negative"),
     (("10", "foo"), "ERR CLIENT PAUSE mode must be WRITE or ALL"),
     (("x", "foo"), "ERR CLIENT PAUSE mode must be WRITE or ALL")],
)
def test_client_pause_errors(r2, args, message):
    assert err(r2, "CLIENT", "PAUSE", *args) == message


# --------------------------------------------------------------------------- tracking (off)


def test_client_tracking_state_when_off(raw):
    assert raw.cmd("CLIENT", "GETREDIR") == b":-1\r\n"
    assert raw.cmd("CLIENT", "TRACKINGINFO") == (
        b"*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n")
    raw.cmd("HELLO", "3")
    assert raw.cmd("CLIENT", "TRACKINGINFO") == (
        b"%3\r\n$5\r\nflags\r\n~1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n")


@pytest.mark.parametrize("args", [("yes",), ("no",), ("foo",), ("yes", "extra")])
def test_client_caching_needs_tracking(r2, args):
    assert err(r2, "CLIENT", "CACHING", *args) == (
        "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or "
        "OPTOUT mode enabled")
