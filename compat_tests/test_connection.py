"""Connection-level commands and the RESP wire protocol, as Redis 6.2.14 does them.

Replies and error texts are byte-exact copies of what Redis 6.2.14 sends (checked against
the oracle).  Protocol errors are followed by the server closing the connection.
"""

from __future__ import annotations

import re

import pytest
import redis

from .helpers import err, ex, resp_encode

WRONG_ARITY = "ERR wrong number of arguments for '{}' command"


def hello_fields(reply) -> dict:
    """HELLO reply (RESP2 flat list or RESP3 dict, as parsed by ``ex``) as a dict."""
    if isinstance(reply, dict):
        return reply
    assert isinstance(reply, list) and len(reply) == 14
    return dict(zip(reply[::2], reply[1::2], strict=True))


def hello_bytes(proto: int, client_id: int) -> bytes:
    head = b"*14\r\n" if proto == 2 else b"%7\r\n"
    return head + (
        b"$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n6.2.14\r\n"
        b"$5\r\nproto\r\n:%d\r\n$2\r\nid\r\n:%d\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n"
        b"$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n" % (proto, client_id)
    )


# --------------------------------------------------------------------------- PING / ECHO


def test_ping_without_argument_is_simple_pong(raw):
    assert raw.cmd("PING") == b"+PONG\r\n"


def test_ping_with_argument_is_bulk_echo(raw):
    assert raw.cmd("PING", "hello") == b"$5\r\nhello\r\n"
    assert raw.cmd("PING", "") == b"$0\r\n\r\n"


def test_ping_through_redis_py(r):
    assert r.ping() is True
    assert ex(r, "PING") == b"PONG"
    assert ex(r, "PING", "x y") == b"x y"


def test_ping_wrong_arity(r2):
    assert err(r2, "PING", "a", "b") == WRONG_ARITY.format("ping")


def test_command_names_are_case_insensitive(raw):
    assert raw.cmd("pInG") == b"+PONG\r\n"
    assert raw.cmd("echo", "x") == b"$1\r\nx\r\n"


def test_echo(r2):
    assert ex(r2, "ECHO", "hello world") == b"hello world"
    assert ex(r2, "ECHO", "") == b""


def test_echo_is_binary_safe(raw):
    payload = b"\x00\r\n\xff$*+-:\r\n"
    assert raw.cmd(b"ECHO", payload) == b"$%d\r\n%s\r\n" % (len(payload), payload)


def test_echo_large_value(r2):
    payload = b"x" * (1024 * 1024 + 3)
    assert ex(r2, "ECHO", payload) == payload


@pytest.mark.parametrize("args", [(), ("a", "b")], ids=["none", "two"])
def test_echo_wrong_arity(r2, args):
    assert err(r2, "ECHO", *args) == WRONG_ARITY.format("echo")


@pytest.mark.parametrize("name", ["GET", "get", "GeT"])
def test_wrong_arity_names_command_in_lowercase(r2, name):
    assert err(r2, name) == WRONG_ARITY.format("get")


# --------------------------------------------------------------------------- SELECT


def test_select_switches_database(r):
    assert ex(r, "SET", "k", "db0") == b"OK"
    assert ex(r, "SELECT", 1) == b"OK"
    assert ex(r, "GET", "k") is None
    assert ex(r, "SET", "k", "db1") == b"OK"
    assert ex(r, "SELECT", 15) == b"OK"
    assert ex(r, "DBSIZE") == 0
    assert ex(r, "SELECT", "0") == b"OK"
    assert ex(r, "GET", "k") == b"db0"


def test_select_reply_is_simple_ok(raw):
    assert raw.cmd("SELECT", "3") == b"+OK\r\n"


@pytest.mark.parametrize("index", ["16", "-1", "1000000"])
def test_select_out_of_range(r2, index):
    assert err(r2, "SELECT", index) == "ERR DB index is out of range"


@pytest.mark.parametrize("index", ["x", "1.5", "", " 1", "99999999999999999999"])
def test_select_not_an_integer(r2, index):
    assert err(r2, "SELECT", index) == "ERR value is not an integer or out of range"


def test_select_wrong_arity(r2):
    assert err(r2, "SELECT") == WRONG_ARITY.format("select")
    assert err(r2, "SELECT", 0, 1) == WRONG_ARITY.format("select")


def test_select_is_per_connection(make_client):
    a, b = make_client(), make_client()
    ex(a, "SELECT", 2)
    ex(a, "SET", "k", "v")
    assert ex(b, "GET", "k") is None
    ex(b, "SELECT", 2)
    assert ex(b, "GET", "k") == b"v"


# --------------------------------------------------------------------------- unknown commands


def test_unknown_command_with_args_exact_bytes(raw):
    assert raw.cmd("foo", "bar") == b"-ERR unknown command `foo`, with args beginning with: `bar`, \r\n"


def test_unknown_command_without_args(raw):
    assert raw.cmd("FOO") == b"-ERR unknown command `FOO`, with args beginning with: \r\n"


def test_unknown_command_lists_every_short_arg(r2):
    assert err(r2, "NoSuchCmd", "a", "", "b c") == (
        "ERR unknown command `NoSuchCmd`, with args beginning with: `a`, ``, `b c`, "
    )


def test_unknown_command_args_are_cut_at_128_chars(r2):
    assert err(r2, "FOO", "a" * 200) == ("ERR unknown command `FOO`, with args beginning with: `" + "a" * 128 + "`, ")
    assert err(r2, "FOO", "a" * 100, "b" * 100, "c") == (
        "ERR unknown command `FOO`, with args beginning with: `" + "a" * 100 + "`, `" + "b" * 24 + "`, "
    )


def test_unknown_command_error_replaces_newlines(raw):
    assert raw.cmd("fo\r\no", "x\ny") == (b"-ERR unknown command `fo  o`, with args beginning with: `x y`, \r\n")


def test_unknown_command_keeps_connection_usable(raw):
    raw.cmd("NOPE")
    assert raw.cmd("PING") == b"+PONG\r\n"


# --------------------------------------------------------------------------- HELLO


@pytest.mark.parametrize("proto", [2, 3])
def test_hello_exact_bytes(raw, proto):
    client_id = int(raw.cmd("CLIENT", "ID")[1:-2])
    assert raw.cmd("HELLO", proto) == hello_bytes(proto, client_id)


def test_hello_shape_through_redis_py(r):
    proto = r.connection_pool.connection_kwargs["protocol"]
    fields = hello_fields(ex(r, "HELLO", proto))
    assert fields == {
        b"server": b"redis",
        b"version": b"6.2.14",
        b"proto": proto,
        b"id": ex(r, "CLIENT", "ID"),
        b"mode": b"standalone",
        b"role": b"master",
        b"modules": [],
    }


def test_hello_without_version_keeps_protocol(raw):
    client_id = int(raw.cmd("CLIENT", "ID")[1:-2])
    assert raw.cmd("HELLO") == hello_bytes(2, client_id)
    raw.cmd("HELLO", 3)
    assert raw.cmd("HELLO") == hello_bytes(3, client_id)


@pytest.mark.parametrize("version", ["4", "1", "0", "-1"])
def test_hello_unsupported_version(r, version):
    assert err(r, "HELLO", version) == "NOPROTO unsupported protocol version"


def test_hello_unsupported_version_exact_bytes(raw):
    assert raw.cmd("HELLO", "4") == b"-NOPROTO unsupported protocol version\r\n"
    assert raw.cmd("GET", "x") == b"$-1\r\n"  # still RESP2


def test_hello_version_not_an_integer(r2):
    assert err(r2, "HELLO", "x") == "ERR Protocol version is not an integer or out of range"


@pytest.mark.parametrize(
    "args, option",
    [(("FOO",), "FOO"), (("foo", "bar"), "foo"), (("AUTH",), "AUTH"), (("SETNAME",), "SETNAME")],
)
def test_hello_syntax_error(r2, args, option):
    assert err(r2, "HELLO", 2, *args) == f"ERR Syntax error in HELLO option '{option}'"


def test_hello_setname(r):
    proto = r.connection_pool.connection_kwargs["protocol"]
    hello_fields(ex(r, "HELLO", proto, "SETNAME", "named"))
    assert ex(r, "CLIENT", "GETNAME") == b"named"


def test_hello_setname_invalid_name(r2):
    assert err(r2, "HELLO", 2, "SETNAME", "a b") == (
        "ERR Client names cannot contain spaces, newlines or special characters."
    )


def test_hello_switches_reply_encoding(raw):
    assert raw.cmd("HSET", "h", "f", "v") == b":1\r\n"
    assert raw.cmd("GET", "missing") == b"$-1\r\n"
    assert raw.cmd("HELLO", 3).startswith(b"%7\r\n")
    assert raw.cmd("GET", "missing") == b"_\r\n"
    assert raw.cmd("HGETALL", "h") == b"%1\r\n$1\r\nf\r\n$1\r\nv\r\n"
    assert raw.cmd("HELLO", 2).startswith(b"*14\r\n")
    assert raw.cmd("GET", "missing") == b"$-1\r\n"
    assert raw.cmd("HGETALL", "h") == b"*2\r\n$1\r\nf\r\n$1\r\nv\r\n"


# --------------------------------------------------------------------------- CLIENT


def test_client_id_is_stable_and_distinct(r, make_client):
    first = ex(r, "CLIENT", "ID")
    assert isinstance(first, int) and first > 0
    assert ex(r, "CLIENT", "ID") == first
    other = ex(make_client(), "CLIENT", "ID")
    assert other > first


def test_client_id_reply_is_integer(raw):
    assert re.fullmatch(rb":[1-9][0-9]*\r\n", raw.cmd("CLIENT", "ID"))


def test_client_getname_initially_null(r):
    assert ex(r, "CLIENT", "GETNAME") is None


def test_client_getname_null_bytes(raw):
    assert raw.cmd("CLIENT", "GETNAME") == b"$-1\r\n"
    raw.cmd("HELLO", 3)
    assert raw.cmd("CLIENT", "GETNAME") == b"_\r\n"


def test_client_setname_getname(r):
    assert ex(r, "CLIENT", "SETNAME", "my-conn_1") == b"OK"
    assert ex(r, "CLIENT", "GETNAME") == b"my-conn_1"
    # redis-py 8.1 quirk: client_getname() gives str on RESP2 but bytes on RESP3.
    assert r.client_getname() in ("my-conn_1", b"my-conn_1")


def test_client_setname_reply_bytes(raw):
    assert raw.cmd("CLIENT", "SETNAME", "x") == b"+OK\r\n"
    assert raw.cmd("CLIENT", "GETNAME") == b"$1\r\nx\r\n"


def test_client_setname_empty_clears_name(r):
    ex(r, "CLIENT", "SETNAME", "x")
    assert ex(r, "CLIENT", "SETNAME", "") == b"OK"
    assert ex(r, "CLIENT", "GETNAME") is None


@pytest.mark.parametrize("name", ["a b", "a\nb", "tab\there"])
def test_client_setname_rejects_special_characters(r2, name):
    assert err(r2, "CLIENT", "SETNAME", name) == (
        "ERR Client names cannot contain spaces, newlines or special characters."
    )


@pytest.mark.parametrize(
    "args, sub",
    [(("SETNAME",), "SETNAME"), (("FOO",), "FOO"), (("ID", "x"), "ID"), (("getname", "x"), "getname")],
)
def test_client_bad_subcommand(r2, args, sub):
    assert err(r2, "CLIENT", *args) == (
        f"ERR Unknown subcommand or wrong number of arguments for '{sub}'. Try CLIENT HELP."
    )


def test_client_info_describes_this_connection(r):
    ex(r, "CLIENT", "SETNAME", "inspector")
    ex(r, "SELECT", 3)
    info = ex(r, "CLIENT", "INFO")
    assert isinstance(info, bytes) and info.endswith(b"\n")
    fields = dict(kv.split(b"=", 1) for kv in info.strip().split(b" "))
    assert fields[b"id"] == str(ex(r, "CLIENT", "ID")).encode()
    assert fields[b"name"] == b"inspector"
    assert fields[b"db"] == b"3"
    assert fields[b"cmd"] == b"client"
    assert b"user" in fields and b"addr" in fields


def test_client_info_is_verbatim_in_resp3(raw):
    assert raw.cmd("CLIENT", "INFO").startswith(b"$")
    raw.cmd("HELLO", 3)
    reply = raw.cmd("CLIENT", "INFO")
    header, body = reply.split(b"\r\n", 1)
    assert header.startswith(b"=")
    assert body.startswith(b"txt:id=")
    assert int(header[1:]) == len(body) - 2


def test_client_list_contains_this_connection(r2):
    my_id = ex(r2, "CLIENT", "ID")
    listing = ex(r2, "CLIENT", "LIST")
    ids = [line.split(b" ", 1)[0] for line in listing.splitlines()]
    assert f"id={my_id}".encode() in ids


# --------------------------------------------------------------------------- QUIT


def test_quit_replies_ok_and_closes(raw):
    raw.send(resp_encode("QUIT"))
    assert raw.read_until_closed(5) == b"+OK\r\n"


def test_quit_ignores_pipelined_commands(raw, r2):
    raw.send(resp_encode("QUIT") + resp_encode("SET", "after", "quit"))
    assert raw.read_until_closed(5) == b"+OK\r\n"
    assert ex(r2, "EXISTS", "after") == 0


def test_quit_through_redis_py(make_client):
    c = make_client()
    assert ex(c, "QUIT") == b"OK"


# --------------------------------------------------------------------------- inline protocol


def test_inline_ping(raw):
    raw.send(b"PING\r\n")
    assert raw.recv_reply() == b"+PONG\r\n"


def test_inline_lf_only_and_extra_spaces(raw):
    raw.send(b"ping\n   ECHO    a   \r\n")
    assert raw.recv_replies(2) == [b"+PONG\r\n", b"$1\r\na\r\n"]


def test_inline_double_quoted_args_with_escapes(raw):
    raw.send(b'SET "a b" "c\\x41"\r\nGET "a b"\r\n')
    assert raw.recv_replies(2) == [b"+OK\r\n", b"$2\r\ncA\r\n"]


def test_inline_escape_sequences(raw):
    raw.send(b'ECHO "\\n\\t\\\\\\"x"\r\n')
    assert raw.recv_reply() == b'$5\r\n\n\t\\"x\r\n'


def test_inline_single_quotes(raw):
    raw.send(b"ECHO 'it\\'s \"x\"'\r\n")
    assert raw.recv_reply() == b'$8\r\nit\'s "x"\r\n'


def test_inline_empty_lines_are_ignored(raw):
    raw.send(b"\r\n   \r\n\nPING\r\n")
    assert raw.recv_reply() == b"+PONG\r\n"


def test_inline_wrong_arity(raw):
    raw.send(b"GET\r\n")
    assert raw.recv_reply() == b"-ERR wrong number of arguments for 'get' command\r\n"


@pytest.mark.parametrize(
    "line",
    [b'SET "a b\r\n', b"SET 'a\r\n", b'SET "a"b c\r\n', b"ECHO 'it''s'\r\n"],
    ids=["open-double", "open-single", "text-after-quote", "adjacent-quotes"],
)
def test_inline_unbalanced_quotes_closes_connection(raw, line):
    raw.send(line)
    assert raw.read_until_closed(5) == b"-ERR Protocol error: unbalanced quotes in request\r\n"


def test_inline_too_big_request(raw):
    raw.send(b"A" * (70 * 1024))
    assert raw.read_until_closed(5) == b"-ERR Protocol error: too big inline request\r\n"


# --------------------------------------------------------------------------- RESP protocol errors


@pytest.mark.parametrize(
    "data, message",
    [
        (b"*3000000000\r\n", b"invalid multibulk length"),
        (b"*1048577\r\n", b"invalid multibulk length"),
        (b"*x\r\n", b"invalid multibulk length"),
        (b"*1\r\n$-10\r\n", b"invalid bulk length"),
        (b"*1\r\n$x\r\n", b"invalid bulk length"),
        (b"*1\r\n$536870913\r\n", b"invalid bulk length"),
        (b"*1\r\nfoo\r\n", b"expected '$', got 'f'"),
        (b"*2\r\n$4\r\nPING\r\n:1\r\n", b"expected '$', got ':'"),
        (b"*1\r\n+PING\r\n", b"expected '$', got '+'"),
        (b"*1\r\n=8\r\ntxt:PING\r\n", b"expected '$', got '='"),
        (b"*" + b"1" * (70 * 1024), b"too big mbulk count string"),
        (b"*1\r\n$" + b"1" * (70 * 1024), b"too big bulk count string"),
    ],
    ids=[
        "mbulk-3e9",
        "mbulk-1M+1",
        "mbulk-nan",
        "bulk-negative",
        "bulk-nan",
        "bulk-512MB+1",
        "expected-dollar-f",
        "expected-dollar-colon",
        "expected-dollar-plus",
        "expected-dollar-equals",
        "mbulk-count-too-long",
        "bulk-count-too-long",
    ],
)
def test_protocol_error_replies_then_closes(raw, data, message):
    raw.send(data)
    assert raw.read_until_closed(5) == b"-ERR Protocol error: " + message + b"\r\n"


def test_commands_before_protocol_error_are_executed(raw, r2):
    raw.send(resp_encode("SET", "k", "v") + b"PING\r\n*1\r\nfoo\r\n" + resp_encode("SET", "k2", "v"))
    assert raw.read_until_closed(5) == (b"+OK\r\n+PONG\r\n-ERR Protocol error: expected '$', got 'f'\r\n")
    assert ex(r2, "GET", "k") == b"v"
    assert ex(r2, "EXISTS", "k2") == 0


def test_empty_multibulk_is_ignored(raw):
    raw.send(b"*0\r\n")
    raw.assert_silent(0.2)
    raw.send(b"*0\r\n*-5\r\nPING\r\n")
    assert raw.recv_reply() == b"+PONG\r\n"
    raw.assert_silent(0.1)


def test_incomplete_command_waits_for_more(raw):
    raw.send(b"*2\r\n$4\r\nECHO\r\n$5\r\nhel")
    raw.assert_silent(0.2)
    raw.send(b"lo\r\n")
    assert raw.recv_reply() == b"$5\r\nhello\r\n"


def test_command_split_byte_by_byte(raw):
    for byte in resp_encode("ECHO", "split"):
        raw.send(bytes([byte]))
    assert raw.recv_reply() == b"$5\r\nsplit\r\n"


def test_binary_keys_and_values(raw):
    key, value = b"k\x00\r\n\xff", b"v\r\n\x00" * 10
    assert raw.cmd(b"SET", key, value) == b"+OK\r\n"
    assert raw.cmd(b"GET", key) == b"$%d\r\n%s\r\n" % (len(value), value)


# --------------------------------------------------------------------------- pipelining


def test_pipelining_many_commands_in_one_write(raw):
    n = 1000
    raw.send(b"PING\r\n" * n)
    assert raw.recv_replies(n) == [b"+PONG\r\n"] * n


def test_pipelining_preserves_order(raw):
    batch = b"".join(resp_encode("INCR", "counter") for _ in range(500))
    batch += resp_encode("GET", "counter") + b"ECHO done\r\n"
    raw.send(batch)
    replies = raw.recv_replies(502)
    assert replies[:500] == [b":%d\r\n" % i for i in range(1, 501)]
    assert replies[500:] == [b"$3\r\n500\r\n", b"$4\r\ndone\r\n"]


def test_pipelining_mixed_inline_and_multibulk_with_errors(raw):
    raw.send(b"SET a 1\r\n" + resp_encode("NOPE") + resp_encode("GET", "a") + b"GET\r\nPING\r\n")
    assert raw.recv_replies(5) == [
        b"+OK\r\n",
        b"-ERR unknown command `NOPE`, with args beginning with: \r\n",
        b"$1\r\n1\r\n",
        b"-ERR wrong number of arguments for 'get' command\r\n",
        b"+PONG\r\n",
    ]


def test_redis_py_pipeline(r):
    pipe = r.pipeline(transaction=False)
    for i in range(100):
        pipe.set(f"k{i}", i)
    pipe.get("k42").get("missing").dbsize()
    results = pipe.execute()
    assert results[:100] == [True] * 100
    assert results[100:] == [b"42", None, 100]


def test_large_pipelined_payload(r2):
    value = b"v" * 100_000
    pipe = r2.pipeline(transaction=False)
    for i in range(50):
        pipe.set(f"big{i}", value)
    pipe.execute()
    assert ex(r2, "STRLEN", "big49") == 100_000
    assert ex(r2, "DBSIZE") == 50


def test_connection_error_type_is_redis_py_response_error(r2):
    with pytest.raises(redis.ResponseError):
        ex(r2, "SELECT", 99)
    assert ex(r2, "PING") == b"PONG"
