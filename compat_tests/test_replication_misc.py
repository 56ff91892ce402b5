"""ROLE, WAIT, MODULE, RESTORE-ASKING and the HOST:/POST guard, as a Redis 6.2.14 master with
no replicas and no modules answers them."""

from __future__ import annotations

import threading
import time

import pytest

from .helpers import err, ex, resp_encode

# --------------------------------------------------------------------------- ROLE


def test_role_master_without_replicas(r2):
    assert ex(r2, "ROLE") == [b"master", 0, []]


def test_role_arity(r2):
    assert err(r2, "ROLE", "x") == "ERR wrong number of arguments for 'role' command"


def test_role_resp3(make_client):
    c = make_client(protocol=3)
    assert ex(c, "ROLE") == [b"master", 0, []]


# --------------------------------------------------------------------------- WAIT


def test_wait_zero_replicas_answers_at_once(r2):
    t0 = time.monotonic()
    assert ex(r2, "WAIT", 0, 0) == 0
    assert ex(r2, "WAIT", -1, 0) == 0
    assert time.monotonic() - t0 < 1.0


def test_wait_for_a_replica_times_out_with_zero(r2):
    t0 = time.monotonic()
    assert ex(r2, "WAIT", 1, 200) == 0
    dt = time.monotonic() - t0
    assert 0.15 <= dt < 3.0


def test_wait_after_a_write(r2):
    ex(r2, "SET", "wait:k", "v")
    assert ex(r2, "WAIT", 0, 100) == 0
    assert ex(r2, "GET", "wait:k") == b"v"


@pytest.mark.parametrize("args, message", [
    (("x", "0"), "ERR value is not an integer or out of range"),
    (("1", "y"), "ERR timeout is not an integer or out of range"),
    (("1", "1.5"), "ERR timeout is not an integer or out of range"),
    (("1", "-1"), "ERR timeout is negative"),
    (("x", "-1"), "ERR value is not an integer or out of range"),  # numreplicas is parsed first
    (("9999999999999999999999", "0"), "ERR value is not an integer or out of range"),
])
def test_wait_argument_errors(r2, args, message):
    assert err(r2, "WAIT", *args) == message


def test_wait_arity(r2):
    assert err(r2, "WAIT", 1) == "ERR wrong number of arguments for 'wait' command"
    assert err(r2, "WAIT", 1, 2, 3) == "ERR wrong number of arguments for 'wait' command"


def test_wait_inside_multi_does_not_block(r2):
    ex(r2, "MULTI")
    assert ex(r2, "WAIT", 1, 0) == b"QUEUED"
    assert ex(r2, "EXEC") == [0]


def test_wait_not_allowed_from_scripts(r2):
    e = err(r2, "EVAL", "return redis.call('wait', 0, 0)", 0)
    assert "This Redis command is not allowed from scripts" in e


def _blocked_wait_unblocked(make_client, r2, reply_of, *unblock):
    """WAIT 1 0 on one connection, CLIENT UNBLOCK <id> [*unblock] from another: the reply."""
    waiter = make_client()
    cid = ex(waiter, "CLIENT", "ID")
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("reply", reply_of(waiter, "WAIT", 1, 0)))
    t.start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if b"cmd=wait" in ex(r2, "CLIENT", "LIST", "ID", cid) and ex(r2, "CLIENT", "UNBLOCK", cid, *unblock) == 1:
            break
        time.sleep(0.02)
    t.join(5)
    return out["reply"]


def test_wait_forever_until_client_unblock(make_client, r2):
    assert _blocked_wait_unblocked(make_client, r2, ex) == 0


def test_wait_unblock_with_error(make_client, r2):
    assert _blocked_wait_unblocked(make_client, r2, err, "ERROR") == \
        "UNBLOCKED client unblocked via CLIENT UNBLOCK"


# --------------------------------------------------------------------------- MODULE


def test_module_list_is_empty(r2):
    assert ex(r2, "MODULE", "LIST") == []


def test_module_load_fails(r2):
    assert err(r2, "MODULE", "LOAD", "/nonexistent/module.so") == \
        "ERR Error loading the extension. Please check the server logs."


def test_module_unload_unknown(r2):
    assert err(r2, "MODULE", "UNLOAD", "nosuchmodule") == \
        "ERR Error unloading module: no such module with that name"


def test_module_help(r2):
    lines = ex(r2, "MODULE", "HELP")
    assert lines[0] == b"MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert lines[1:] == [b"LIST", b"    Return a list of loaded modules.", b"LOAD <path> [<arg> ...]",
                         b"    Load a module library from <path>, passing to it any optional arguments.",
                         b"UNLOAD <name>", b"    Unload a module.", b"HELP", b"    Prints this help."]


@pytest.mark.parametrize("args, sub", [
    (("LIST", "x"), "LIST"), (("LOAD",), "LOAD"), (("UNLOAD",), "UNLOAD"),
    (("unload", "a", "b"), "unload"), (("help", "x"), "help"), (("FOO",), "FOO"),
])
def test_module_subcommand_errors(r2, args, sub):
    assert err(r2, "MODULE", *args) == \
        "ERR Unknown subcommand or wrong number of arguments for '%s'. Try MODULE HELP." % sub


def test_module_arity(r2):
    assert err(r2, "MODULE") == "ERR wrong number of arguments for 'module' command"


# --------------------------------------------------------------------------- RESTORE-ASKING


def test_restore_asking_restores(r2):
    ex(r2, "RPUSH", "ra:src", "a", "b", "c")
    payload = ex(r2, "DUMP", "ra:src")
    assert ex(r2, "RESTORE-ASKING", "ra:dst", 0, payload) == b"OK"
    assert ex(r2, "LRANGE", "ra:dst", 0, -1) == [b"a", b"b", b"c"]
    assert err(r2, "RESTORE-ASKING", "ra:dst", 0, payload) == "BUSYKEY Target key name already exists."
    assert ex(r2, "RESTORE-ASKING", "ra:dst", 0, payload, "REPLACE") == b"OK"


def test_restore_asking_bad_payload(r2):
    assert err(r2, "RESTORE-ASKING", "ra:bad", 0, "garbage") == "ERR DUMP payload version or checksum are wrong"


def test_restore_asking_arity(r2):
    assert err(r2, "RESTORE-ASKING", "k", 0) == "ERR wrong number of arguments for 'restore-asking' command"


# --------------------------------------------------------------------------- HOST: / POST


def test_inline_http_post_closes_without_reply(make_raw):
    conn = make_raw()
    conn.send(b"PING\r\nPOST / HTTP/1.1\r\nPING\r\n")
    assert conn.read_until_closed(5) == b""


def test_multibulk_host_closes_without_reply(make_raw):
    conn = make_raw()
    conn.send(b"*1\r\n$4\r\nPING\r\n" + resp_encode("Host:", "example.com"))
    assert conn.read_until_closed(5) == b""


def test_post_alone_closes(make_raw, r2):
    conn = make_raw()
    assert conn.cmd("PING") == b"+PONG\r\n"
    conn.send(resp_encode("POST", "/"))
    assert conn.read_until_closed(5) == b""
    assert ex(r2, "PING") is not None  # the server is fine


# --------------------------------------------------------------------------- BGREWRITEAOF


def _persistence(c) -> dict:
    text = ex(c, "INFO", "persistence").decode()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def test_bgrewriteaof_runs_to_completion(r2):
    ex(r2, "SET", "aof:k", "v")
    reply = ex(r2, "BGREWRITEAOF")
    assert reply in (b"Background append only file rewriting started",
                     b"Background append only file rewriting scheduled")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        info = _persistence(r2)
        if info["aof_rewrite_in_progress"] == "0" and info["aof_rewrite_scheduled"] == "0":
            break
        time.sleep(0.05)
    assert info["aof_rewrite_in_progress"] == "0"
    assert info["aof_last_bgrewrite_status"] == "ok"
    assert int(info["aof_last_rewrite_time_sec"]) >= 0
    assert ex(r2, "GET", "aof:k") == b"v"


def test_bgrewriteaof_arity(r2):
    assert err(r2, "BGREWRITEAOF", "x") == "ERR wrong number of arguments for 'bgrewriteaof' command"


# --------------------------------------------------------------------------- min-replicas-to-write


@pytest.fixture
def min_replicas(make_client):
    admin = make_client()
    saved = [ex(admin, "CONFIG", "GET", p)[1] for p in ("min-replicas-to-write", "min-replicas-max-lag")]
    yield admin
    ex(admin, "CONFIG", "SET", "min-replicas-to-write", saved[0])
    ex(admin, "CONFIG", "SET", "min-replicas-max-lag", saved[1])


def test_min_replicas_refuses_writes(r2, min_replicas):
    ex(r2, "SET", "mr:k", "1")
    ex(min_replicas, "CONFIG", "SET", "min-replicas-to-write", 1)
    assert err(r2, "SET", "mr:k", "2") == "NOREPLICAS Not enough good replicas to write."
    assert err(r2, "INCR", "mr:k") == "NOREPLICAS Not enough good replicas to write."
    assert ex(r2, "GET", "mr:k") == b"1"  # reads still served
    ex(min_replicas, "CONFIG", "SET", "min-slaves-max-lag", 0)  # lag 0 turns the check off
    assert ex(r2, "SET", "mr:k", "3") == b"OK"
    ex(min_replicas, "CONFIG", "SET", "min-replicas-max-lag", 10)
    ex(min_replicas, "CONFIG", "SET", "min-replicas-to-write", 0)
    assert ex(r2, "SET", "mr:k", "4") == b"OK"


def test_min_replicas_set_while_transaction_queued(r2, min_replicas):
    ex(r2, "SET", "mr:x", 1)
    ex(r2, "MULTI")
    assert ex(r2, "INCR", "mr:x") == b"QUEUED"
    ex(min_replicas, "CONFIG", "SET", "min-replicas-to-write", 2)
    assert err(r2, "EXEC") == \
        "EXECABORT Transaction discarded because of: NOREPLICAS Not enough good replicas to write."
    ex(min_replicas, "CONFIG", "SET", "min-replicas-to-write", 0)
    assert ex(r2, "GET", "mr:x") == b"1"


def test_min_replicas_write_queued_in_multi(r2, min_replicas):
    ex(min_replicas, "CONFIG", "SET", "min-replicas-to-write", 1)
    ex(r2, "MULTI")
    assert err(r2, "SET", "mr:y", 1) == "NOREPLICAS Not enough good replicas to write."
    assert ex(r2, "GET", "mr:y") == b"QUEUED"
    assert err(r2, "EXEC") == "EXECABORT Transaction discarded because of previous errors."
