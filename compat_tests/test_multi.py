"""Transactions as Redis 6.2.14 runs them: MULTI, EXEC, DISCARD, WATCH, UNWATCH (and RESET).

Queueing and its errors (EXECABORT), runtime errors inside EXEC that do not stop the rest,
WATCH invalidated by any change to a key -- writes by anyone, expiry, FLUSHDB/FLUSHALL only
for keys that existed, SWAPDB, RENAME, MOVE -- and not by writes that change nothing, ACL
re-checked at EXEC, and redis-py's ``pipeline(transaction=True)`` with WATCH retries.
Every reply checked against the oracle.
"""

from __future__ import annotations

import threading
import time

import pytest
import redis

from .helpers import err, ex

EXECABORT = "EXECABORT Transaction discarded because of previous errors."


def watch_then(r, other, *keys):
    """WATCH ``keys`` on ``r``; ``other`` is the client used to disturb them."""
    assert ex(r, "WATCH", *keys) == b"OK"
    return other


def run_tx(r, *cmds):
    """MULTI, the commands (each must be QUEUED), EXEC: EXEC's reply."""
    assert ex(r, "MULTI") == b"OK"
    for c in cmds:
        assert ex(r, *c) == b"QUEUED"
    return ex(r, "EXEC")


@pytest.fixture
def other(make_client):
    return make_client()


# --------------------------------------------------------------------------- MULTI / EXEC basics


def test_multi_exec_replies_in_order(r2):
    assert run_tx(r2, ("SET", "a", "1"), ("INCR", "a"), ("GET", "a"), ("PING",)) == \
        [b"OK", 2, b"2", b"PONG"]


def test_queued_replies_are_status(raw):
    assert raw.cmd("MULTI") == b"+OK\r\n"
    assert raw.cmd("SET", "k", "v") == b"+QUEUED\r\n"
    assert raw.cmd("GET", "k") == b"+QUEUED\r\n"
    assert raw.cmd("EXEC") == b"*2\r\n+OK\r\n$1\r\nv\r\n"


def test_empty_transaction(raw):
    assert raw.cmd("MULTI") == b"+OK\r\n"
    assert raw.cmd("EXEC") == b"*0\r\n"


def test_nothing_runs_before_exec(r2, other):
    assert ex(r2, "MULTI") == b"OK"
    assert ex(r2, "SET", "k", "v") == b"QUEUED"
    assert ex(other, "GET", "k") is None
    assert ex(r2, "EXEC") == [b"OK"]
    assert ex(other, "GET", "k") == b"v"


def test_runtime_errors_do_not_abort_the_rest(raw):
    raw.cmd("SET", "s", "x")
    raw.cmd("MULTI")
    assert raw.cmd("INCR", "s") == b"+QUEUED\r\n"
    assert raw.cmd("LPUSH", "s", "a") == b"+QUEUED\r\n"
    assert raw.cmd("SET", "t", "1") == b"+QUEUED\r\n"
    assert raw.cmd("EXEC") == (
        b"*3\r\n-ERR value is not an integer or out of range\r\n"
        b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n+OK\r\n")
    assert raw.cmd("GET", "t") == b"$1\r\n1\r\n"


def test_exec_without_multi(r2):
    assert err(r2, "EXEC") == "ERR EXEC without MULTI"


def test_discard_without_multi(r2):
    assert err(r2, "DISCARD") == "ERR DISCARD without MULTI"


def test_nested_multi_is_an_error_but_keeps_the_transaction(r2):
    assert ex(r2, "MULTI") == b"OK"
    assert err(r2, "MULTI") == "ERR MULTI calls can not be nested"
    assert ex(r2, "SET", "k", "v") == b"QUEUED"
    assert ex(r2, "EXEC") == [b"OK"]


def test_watch_inside_multi_is_an_error_but_keeps_the_transaction(r2):
    assert ex(r2, "MULTI") == b"OK"
    assert err(r2, "WATCH", "k") == "ERR WATCH inside MULTI is not allowed"
    assert ex(r2, "SET", "k", "v") == b"QUEUED"
    assert ex(r2, "EXEC") == [b"OK"]


def test_discard(r2):
    assert ex(r2, "MULTI") == b"OK"
    assert ex(r2, "SET", "k", "v") == b"QUEUED"
    assert ex(r2, "DISCARD") == b"OK"
    assert ex(r2, "GET", "k") is None
    assert err(r2, "EXEC") == "ERR EXEC without MULTI"


def test_arity_errors_of_transaction_commands(r2):
    assert err(r2, "MULTI", "x") == "ERR wrong number of arguments for 'multi' command"
    assert err(r2, "EXEC", "x") == \
        "EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command"
    assert err(r2, "DISCARD", "x") == "ERR wrong number of arguments for 'discard' command"
    assert err(r2, "WATCH") == "ERR wrong number of arguments for 'watch' command"
    assert err(r2, "UNWATCH", "x") == "ERR wrong number of arguments for 'unwatch' command"


def test_unwatch_is_queued_inside_multi(r2):
    assert ex(r2, "MULTI") == b"OK"
    assert ex(r2, "UNWATCH") == b"QUEUED"
    assert ex(r2, "EXEC") == [b"OK"]


def test_select_inside_multi_persists(r2):
    assert run_tx(r2, ("SELECT", "1"), ("SET", "k", "db1")) == [b"OK", b"OK"]
    assert ex(r2, "GET", "k") == b"db1"
    ex(r2, "SELECT", "0")
    assert ex(r2, "GET", "k") is None


def test_blocking_commands_do_not_block_inside_multi(r2):
    t0 = time.monotonic()
    assert run_tx(r2, ("BLPOP", "nolist", "0"), ("BRPOPLPUSH", "a", "b", "0")) == [None, None]
    assert time.monotonic() - t0 < 2


def test_blocking_command_pops_when_data_is_there(r2):
    ex(r2, "RPUSH", "l", "x")
    assert run_tx(r2, ("BLPOP", "l", "0")) == [[b"l", b"x"]]


def test_exec_keeps_going_after_many_commands(r2):
    cmds = [("INCR", "c")] * 200
    assert run_tx(r2, *cmds) == list(range(1, 201))


def test_transaction_reads_its_own_writes(r2):
    assert run_tx(r2, ("RPUSH", "l", "a", "b"), ("LRANGE", "l", "0", "-1"), ("DEL", "l"),
                  ("EXISTS", "l")) == [2, [b"a", b"b"], 1, 0]


def test_exec_reply_with_nested_types(raw):
    raw.cmd("HSET", "h", "f", "v")
    raw.cmd("MULTI")
    raw.cmd("HGETALL", "h")
    raw.cmd("GET", "nokey")
    raw.cmd("ZADD", "z", "1.5", "m")
    raw.cmd("ZSCORE", "z", "m")
    assert raw.cmd("EXEC") == b"*4\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n$-1\r\n:1\r\n$3\r\n1.5\r\n"


def test_exec_reply_resp3(raw):
    raw.cmd("HELLO", "3")
    raw.cmd("HSET", "h", "f", "v")
    raw.cmd("MULTI")
    raw.cmd("HGETALL", "h")
    raw.cmd("GET", "nokey")
    assert raw.cmd("EXEC") == b"*2\r\n%1\r\n$1\r\nf\r\n$1\r\nv\r\n_\r\n"


# --------------------------------------------------------------------------- queueing errors


def test_unknown_command_aborts_the_transaction(r2):
    assert ex(r2, "MULTI") == b"OK"
    assert ex(r2, "SET", "k", "v") == b"QUEUED"
    assert err(r2, "NOSUCHCOMMAND", "x") == \
        "ERR unknown command `NOSUCHCOMMAND`, with args beginning with: `x`, "
    assert ex(r2, "SET", "k2", "v") == b"QUEUED"
    assert err(r2, "EXEC") == EXECABORT
    assert ex(r2, "EXISTS", "k", "k2") == 0


def test_wrong_arity_aborts_the_transaction(r2):
    assert ex(r2, "MULTI") == b"OK"
    assert err(r2, "GET") == "ERR wrong number of arguments for 'get' command"
    assert ex(r2, "SET", "k", "v") == b"QUEUED"
    assert err(r2, "EXEC") == EXECABORT
    assert ex(r2, "GET", "k") is None


def test_after_execabort_the_client_is_out_of_multi(r2):
    ex(r2, "MULTI")
    err(r2, "GET")
    err(r2, "EXEC")
    assert ex(r2, "SET", "k", "v") == b"OK"
    assert err(r2, "EXEC") == "ERR EXEC without MULTI"


def test_execabort_reply_bytes(raw):
    raw.cmd("MULTI")
    assert raw.cmd("GET") == b"-ERR wrong number of arguments for 'get' command\r\n"
    assert raw.cmd("EXEC") == b"-EXECABORT Transaction discarded because of previous errors.\r\n"


def test_discard_after_queueing_error(r2):
    ex(r2, "MULTI")
    err(r2, "GET")
    assert ex(r2, "DISCARD") == b"OK"
    assert err(r2, "EXEC") == "ERR EXEC without MULTI"


def test_syntax_errors_are_runtime_errors(r2):
    """Argument errors found by the command itself are not queueing errors."""
    assert ex(r2, "MULTI") == b"OK"
    assert ex(r2, "SET", "k", "v", "BADOPT") == b"QUEUED"
    assert ex(r2, "SET", "k2", "v") == b"QUEUED"
    reply = ex(r2, "EXEC")
    assert isinstance(reply[0], redis.ResponseError)
    assert str(reply[0]) == "syntax error"
    assert reply[1] == b"OK"


def test_execabort_counts_in_errorstats(r2):
    ex(r2, "CONFIG", "RESETSTAT")
    ex(r2, "MULTI")
    err(r2, "GET")
    err(r2, "EXEC")
    info = ex(r2, "INFO", "errorstats").decode()
    assert "errorstat_EXECABORT:count=1" in info
    assert "errorstat_ERR:count=1" in info


# --------------------------------------------------------------------------- WATCH


def test_watch_untouched_key_exec_succeeds(r2):
    ex(r2, "SET", "k", "1")
    assert ex(r2, "WATCH", "k") == b"OK"
    assert run_tx(r2, ("INCR", "k")) == [2]


def test_watch_key_modified_by_other_client(r2, other):
    ex(r2, "SET", "k", "1")
    watch_then(r2, other, "k")
    ex(other, "SET", "k", "2")
    assert run_tx(r2, ("INCR", "k")) is None
    assert ex(r2, "GET", "k") == b"2"


def test_watch_key_modified_by_the_same_client(r2):
    ex(r2, "SET", "k", "1")
    ex(r2, "WATCH", "k")
    ex(r2, "SET", "k", "2")
    assert run_tx(r2, ("INCR", "k")) is None


def test_failed_exec_reply_resp2_and_resp3(raw, other):
    raw.cmd("WATCH", "k")
    ex(other, "SET", "k", "x")
    raw.cmd("MULTI")
    raw.cmd("PING")
    assert raw.cmd("EXEC") == b"*-1\r\n"
    raw.cmd("HELLO", "3")
    raw.cmd("WATCH", "k")
    ex(other, "SET", "k", "y")
    raw.cmd("MULTI")
    raw.cmd("PING")
    assert raw.cmd("EXEC") == b"_\r\n"


def test_watch_missing_key_then_created(r2, other):
    watch_then(r2, other, "k")
    ex(other, "SET", "k", "v")
    assert run_tx(r2, ("PING",)) is None


def test_watch_is_not_touched_by_writes_that_change_nothing(r2, other):
    ex(r2, "SET", "k", "1")
    watch_then(r2, other, "k", "nokey")
    ex(other, "DEL", "nokey")
    ex(other, "PERSIST", "k")
    ex(other, "SREM", "nokey", "x")
    ex(other, "GET", "k")
    assert run_tx(r2, ("PING",)) == [b"PONG"]


def test_watch_touched_by_set_to_the_same_value(r2, other):
    ex(r2, "SET", "k", "v")
    watch_then(r2, other, "k")
    ex(other, "SET", "k", "v")
    assert run_tx(r2, ("PING",)) is None


@pytest.mark.parametrize("cmd", [
    ("EXPIRE", "k", "100"),
    ("DEL", "k"),
    ("APPEND", "k", "x"),
    ("RENAME", "k", "k2"),
    ("MOVE", "k", "1"),
    ("UNLINK", "k"),
    ("GETDEL", "k"),
    ("SETRANGE", "k", "0", "z"),
])
def test_watch_touched_by(r2, other, cmd):
    ex(r2, "SET", "k", "1")
    watch_then(r2, other, "k")
    ex(other, *cmd)
    assert run_tx(r2, ("PING",)) is None


def test_watch_rename_destination(r2, other):
    ex(r2, "SET", "src", "1")
    watch_then(r2, other, "dst")
    ex(other, "RENAME", "src", "dst")
    assert run_tx(r2, ("PING",)) is None


def test_watch_is_per_database(r2, other):
    ex(r2, "SET", "k", "1")
    watch_then(r2, other, "k")
    ex(other, "SELECT", "1")
    ex(other, "SET", "k", "x")
    assert run_tx(r2, ("PING",)) == [b"PONG"]


def test_watch_key_in_selected_database(r2, other):
    ex(r2, "SELECT", "2")
    ex(r2, "WATCH", "k")
    ex(other, "SELECT", "2")
    ex(other, "SET", "k", "x")
    assert run_tx(r2, ("PING",)) is None


def test_watch_several_keys_one_touched(r2, other):
    watch_then(r2, other, "a", "b", "c")
    ex(other, "SET", "c", "1")
    assert run_tx(r2, ("PING",)) is None


def test_watch_twice_in_several_calls(r2, other):
    ex(r2, "WATCH", "a")
    ex(r2, "WATCH", "b")
    ex(other, "SET", "a", "1")
    assert run_tx(r2, ("PING",)) is None


def test_unwatch_forgets_the_keys(r2, other):
    ex(r2, "SET", "k", "1")
    ex(r2, "WATCH", "k")
    assert ex(r2, "UNWATCH") == b"OK"
    ex(other, "SET", "k", "2")
    assert run_tx(r2, ("PING",)) == [b"PONG"]


def test_unwatch_without_watch(r2):
    assert ex(r2, "UNWATCH") == b"OK"


def test_exec_unwatches_even_when_it_fails(r2, other):
    ex(r2, "WATCH", "k")
    ex(other, "SET", "k", "1")
    assert run_tx(r2, ("PING",)) is None
    ex(other, "SET", "k", "2")
    assert run_tx(r2, ("PING",)) == [b"PONG"]


def test_exec_unwatches_after_success(r2, other):
    ex(r2, "WATCH", "k")
    assert run_tx(r2, ("PING",)) == [b"PONG"]
    ex(other, "SET", "k", "2")
    assert run_tx(r2, ("PING",)) == [b"PONG"]


def test_discard_unwatches(r2, other):
    ex(r2, "WATCH", "k")
    ex(r2, "MULTI")
    ex(r2, "DISCARD")
    ex(other, "SET", "k", "2")
    assert run_tx(r2, ("PING",)) == [b"PONG"]


def test_watch_after_dirty_still_fails(r2, other):
    ex(r2, "WATCH", "a")
    ex(other, "SET", "a", "1")
    assert ex(r2, "WATCH", "b") == b"OK"
    assert run_tx(r2, ("PING",)) is None


def test_watched_key_expiring_before_exec_fails_it(r2):
    ex(r2, "SET", "k", "v", "PX", "30")
    ex(r2, "WATCH", "k")
    time.sleep(0.1)
    assert run_tx(r2, ("PING",)) is None


def test_watched_key_expired_and_deleted_by_a_read(r2, other):
    ex(r2, "SET", "k", "v", "PX", "30")
    ex(r2, "WATCH", "k")
    time.sleep(0.1)
    assert ex(other, "GET", "k") is None
    assert run_tx(r2, ("PING",)) is None


def test_watched_key_with_ttl_not_expired(r2):
    ex(r2, "SET", "k", "v", "EX", "100")
    ex(r2, "WATCH", "k")
    assert run_tx(r2, ("TTL", "k")) == [100]


def test_watch_stale_key_then_set_fails_exec(r2, other):
    ex(r2, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        ex(r2, "SET", "x", "foo", "PX", "1")
        time.sleep(0.02)
        ex(r2, "WATCH", "x")
        ex(other, "SET", "x", "bar")
        assert run_tx(r2, ("PING",)) is None
    finally:
        ex(r2, "DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_watch_stale_key_untouched_still_fails_exec(r2):
    """6.2 checks every watched key for logical expiry at EXEC, stale at WATCH time or not."""
    ex(r2, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        ex(r2, "SET", "x", "foo", "PX", "1")
        time.sleep(0.02)
        ex(r2, "WATCH", "x")
        assert run_tx(r2, ("PING",)) is None
    finally:
        ex(r2, "DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_flushdb_touches_watched_existing_key(r2, other):
    ex(r2, "SET", "k", "v")
    watch_then(r2, other, "k")
    ex(other, "FLUSHDB")
    assert run_tx(r2, ("PING",)) is None


def test_flushdb_does_not_touch_watched_missing_key(r2, other):
    ex(r2, "SET", "other", "v")
    watch_then(r2, other, "k")
    ex(other, "FLUSHDB")
    assert run_tx(r2, ("PING",)) == [b"PONG"]


def test_flushall_touches_watched_existing_key(r2, other):
    ex(r2, "SET", "k", "v")
    watch_then(r2, other, "k")
    ex(other, "FLUSHALL")
    assert run_tx(r2, ("PING",)) is None


def test_flushall_does_not_touch_watched_missing_key(r2, other):
    watch_then(r2, other, "k")
    ex(other, "FLUSHALL")
    assert run_tx(r2, ("PING",)) == [b"PONG"]


def test_flushdb_of_another_db_does_not_touch(r2, other):
    ex(r2, "SET", "k", "v")
    watch_then(r2, other, "k")
    ex(other, "SELECT", "3")
    ex(other, "SET", "k", "v")
    ex(other, "FLUSHDB")
    assert run_tx(r2, ("PING",)) == [b"PONG"]


def test_swapdb_touches_key_existing_in_the_other_db(r2, other):
    watch_then(r2, other, "k")
    ex(other, "SELECT", "1")
    ex(other, "SET", "k", "1")
    ex(other, "SWAPDB", "0", "1")
    assert run_tx(r2, ("PING",)) is None


def test_swapdb_touches_key_existing_in_the_watched_db(r2, other):
    ex(r2, "SET", "k", "1")
    watch_then(r2, other, "k")
    ex(other, "SWAPDB", "0", "1")
    assert run_tx(r2, ("PING",)) is None


def test_swapdb_with_key_in_neither_db(r2, other):
    watch_then(r2, other, "k")
    ex(other, "SELECT", "1")
    ex(other, "SET", "z", "1")
    ex(other, "SWAPDB", "0", "1")
    assert run_tx(r2, ("PING",)) == [b"PONG"]


def test_swapdb_of_other_databases(r2, other):
    ex(r2, "SET", "k", "1")
    watch_then(r2, other, "k")
    ex(other, "SELECT", "2")
    ex(other, "SET", "k", "1")
    ex(other, "SWAPDB", "1", "2")
    assert run_tx(r2, ("PING",)) == [b"PONG"]


def test_watch_touched_by_script(r2, other):
    watch_then(r2, other, "k")
    ex(other, "EVAL", "redis.call('set', KEYS[1], 'x')", "1", "k")
    assert run_tx(r2, ("PING",)) is None


def test_watch_not_touched_by_read_only_script(r2, other):
    ex(r2, "SET", "k", "1")
    watch_then(r2, other, "k")
    ex(other, "EVAL", "return redis.call('get', KEYS[1])", "1", "k")
    assert run_tx(r2, ("PING",)) == [b"PONG"]


def test_watch_touched_by_other_transaction(r2, other):
    watch_then(r2, other, "k")
    assert run_tx(other, ("SET", "k", "1")) == [b"OK"]
    assert run_tx(r2, ("PING",)) is None


def test_watch_touched_by_blocking_pop(r2, other, make_client):
    ex(r2, "RPUSH", "l", "a")
    watch_then(r2, other, "l")
    assert ex(other, "BLPOP", "l", "1") == [b"l", b"a"]
    assert run_tx(r2, ("PING",)) is None


def test_watch_many_clients_same_key(make_client, other):
    clients = [make_client() for _ in range(3)]
    for c in clients:
        ex(c, "WATCH", "k")
    ex(other, "SET", "k", "1")
    for c in clients:
        assert run_tx(c, ("PING",)) is None


def test_watch_disconnect_leaves_others_watching(make_client, other):
    a, b = make_client(), make_client()
    ex(a, "WATCH", "k")
    ex(b, "WATCH", "k")
    a.close()
    ex(other, "SET", "k", "1")
    assert run_tx(b, ("PING",)) is None


# --------------------------------------------------------------------------- RESET


def test_reset_discards_multi_and_watches(r2, other):
    ex(r2, "WATCH", "k")
    ex(r2, "MULTI")
    ex(r2, "SET", "k", "v")
    assert ex(r2, "RESET") == b"RESET"
    assert err(r2, "EXEC") == "ERR EXEC without MULTI"
    assert ex(r2, "GET", "k") is None
    ex(other, "SET", "k", "1")
    assert run_tx(r2, ("PING",)) == [b"PONG"]


def test_reset_is_not_queued(raw):
    raw.cmd("MULTI")
    assert raw.cmd("RESET") == b"+RESET\r\n"
    assert raw.cmd("PING") == b"+PONG\r\n"


# --------------------------------------------------------------------------- ACL


@pytest.fixture
def acl_admin(make_client):
    admin = make_client()
    yield admin
    users = [u for u in ex(admin, "ACL", "USERS") if u != b"default"]
    if users:
        ex(admin, "ACL", "DELUSER", *users)
    ex(admin, "ACL", "LOG", "RESET")


def test_acl_denied_while_queueing_aborts(acl_admin, make_client):
    ex(acl_admin, "ACL", "SETUSER", "tx", "on", ">pw", "~*", "+multi", "+exec", "+get")
    c = make_client(username="tx", password="pw")
    assert ex(c, "MULTI") == b"OK"
    assert err(c, "SET", "k", "v") == \
        "NOPERM this user has no permissions to run the 'set' command or its subcommand"
    assert ex(c, "GET", "k") == b"QUEUED"
    assert err(c, "EXEC") == EXECABORT


def test_acl_rechecked_at_exec(acl_admin, make_client):
    ex(acl_admin, "ACL", "SETUSER", "tx", "on", ">pw", "~*", "+@all")
    c = make_client(username="tx", password="pw")
    assert ex(c, "MULTI") == b"OK"
    assert ex(c, "SET", "k", "v") == b"QUEUED"
    assert ex(c, "GET", "k") == b"QUEUED"
    ex(acl_admin, "ACL", "SETUSER", "tx", "-set")
    assert c.connection.send_command("EXEC") is None
    reply = c.connection.read_response()
    assert str(reply[0]).endswith(
        "ACLs rules changed between the moment the transaction was accumulated and the EXEC "
        "call. This command is no longer allowed for the following reason: no permission to execute "
        "the command or subcommand")
    assert reply[1] is None
    entry = ex(acl_admin, "ACL", "LOG")[0]
    d = dict(zip(entry[::2], entry[1::2], strict=True))
    assert d[b"context"] == b"multi" and d[b"object"] == b"set"


def test_acl_recheck_error_bytes(acl_admin, make_raw):
    ex(acl_admin, "ACL", "SETUSER", "tx", "on", ">pw", "~*", "+@all")
    raw = make_raw()
    assert raw.cmd("AUTH", "tx", "pw") == b"+OK\r\n"
    raw.cmd("MULTI")
    raw.cmd("SET", "k", "v")
    ex(acl_admin, "ACL", "SETUSER", "tx", "-set")
    assert raw.cmd("EXEC") == (
        b"*1\r\n-NOPERM ACLs rules changed between the moment the transaction was accumulated and "
        b"the EXEC call. This command is no longer allowed for the following reason: no permission "
        b"to execute the command or subcommand\r\n")


def test_acl_key_rechecked_at_exec(acl_admin, make_client):
    ex(acl_admin, "ACL", "SETUSER", "tx", "on", ">pw", "~*", "+@all")
    c = make_client(username="tx", password="pw")
    ex(c, "MULTI")
    ex(c, "SET", "k", "v")
    ex(acl_admin, "ACL", "SETUSER", "tx", "resetkeys", "~other")
    reply = ex(c, "EXEC")
    assert str(reply[0]).endswith("following reason: no permission to touch the specified keys")


def test_acl_denied_exec_aborts_the_transaction(acl_admin, make_client):
    ex(acl_admin, "ACL", "SETUSER", "tx", "on", ">pw", "~*", "+@all")
    c = make_client(username="tx", password="pw")
    ex(c, "MULTI")
    ex(c, "SET", "k", "v")
    ex(acl_admin, "ACL", "SETUSER", "tx", "-exec")
    assert err(c, "EXEC") == ("EXECABORT Transaction discarded because of: NOPERM this user has no "
                              "permissions to run the 'exec' command or its subcommand")
    assert ex(acl_admin, "GET", "k") is None
    assert err(c, "DISCARD") == "ERR DISCARD without MULTI"


# --------------------------------------------------------------------------- redis-py


def test_redis_py_transaction_pipeline(r2):
    with r2.pipeline(transaction=True) as p:
        p.set("a", "1").incr("a").get("a")
        assert p.execute() == [True, 2, b"2"]


def test_redis_py_pipeline_reports_runtime_error(r2):
    r2.set("s", "x")
    with r2.pipeline(transaction=True) as p:
        p.incr("s").set("t", "1")
        with pytest.raises(redis.ResponseError):
            p.execute()
    assert r2.get("t") == b"1"


def test_redis_py_watch_error(r2, other):
    with r2.pipeline(transaction=True) as p:
        p.watch("k")
        other.set("k", "x")
        p.multi()
        p.set("k", "mine")
        with pytest.raises(redis.WatchError):
            p.execute()
    assert r2.get("k") == b"x"


def test_redis_py_watch_retry_loop_under_contention(target_server, make_client):
    """Several clients increment one counter with optimistic locking: no update is lost."""
    n_threads, n_incr = 4, 25
    clients = [make_client() for _ in range(n_threads)]
    failures = []

    def work(c):
        try:
            for _ in range(n_incr):
                while True:
                    with c.pipeline(transaction=True) as p:
                        try:
                            p.watch("counter")
                            v = int(p.get("counter") or 0)
                            p.multi()
                            p.set("counter", v + 1)
                            p.execute()
                            break
                        except redis.WatchError:
                            continue
        except Exception as e:  # pragma: no cover
            failures.append(e)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures
    assert int(clients[0].get("counter")) == n_threads * n_incr


def test_redis_py_transaction_helper(r2):
    r2.set("k", "1")

    def incr_by_two(pipe):
        v = int(pipe.get("k"))
        pipe.multi()
        pipe.set("k", v + 2)

    assert r2.transaction(incr_by_two, "k") == [True]
    assert r2.get("k") == b"3"


def test_pipelined_multi_exec_in_one_write(raw):
    raw.send(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
             b"*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n*1\r\n$4\r\nEXEC\r\n")
    assert raw.recv_replies(4) == [b"+OK\r\n", b"+QUEUED\r\n", b"+QUEUED\r\n",
                                   b"*2\r\n+OK\r\n:1\r\n"]


def test_monitor_shows_the_transaction_as_it_runs(r2, make_client):
    watcher = make_client(socket_timeout=5)
    with watcher.monitor() as mon:
        ex(r2, "MULTI")
        ex(r2, "SET", "a", "1")
        ex(r2, "INCR", "a")
        ex(r2, "EXEC")
        seen = [mon.next_command()["command"] for _ in range(4)]
    assert seen == ["MULTI", "SET a 1", "INCR a", "EXEC"]


def test_keyspace_events_of_a_transaction_and_a_script(r2, make_client):
    ex(r2, "CONFIG", "SET", "notify-keyspace-events", "KEA")
    try:
        sub = make_client(socket_timeout=5)
        p = sub.pubsub()
        p.psubscribe("__keyevent@0__:*")
        assert p.get_message(timeout=5)["type"] == "psubscribe"
        run_tx(r2, ("SET", "a", "1"), ("INCRBY", "a", "2"), ("DEL", "a"))
        ex(r2, "EVAL", "redis.call('rpush', 'l', 'x'); redis.call('lpop', 'l')", "0")
        got = []
        deadline = time.time() + 5
        while len(got) < 6 and time.time() < deadline:
            m = p.get_message(timeout=0.2)
            if m and m["type"] == "pmessage":
                got.append((m["channel"].split(b":")[-1], m["data"]))
        assert got == [(b"set", b"a"), (b"incrby", b"a"), (b"del", b"a"), (b"rpush", b"l"),
                       (b"lpop", b"l"), (b"del", b"l")]
        p.close()
    finally:
        ex(r2, "CONFIG", "SET", "notify-keyspace-events", "")
