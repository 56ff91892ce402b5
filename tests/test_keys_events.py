"""Keyspace notifications of the generic commands and SORT, in process.

``Server.notify`` is recorded instead of published (the pub/sub side is tested elsewhere); the
expected (db, key, event, class) sequences are those Redis 6.2.14 publishes for the same
commands (checked with ``notify-keyspace-events KEA`` on the oracle).
"""

from __future__ import annotations

import time

import pytest

from perdure.server.app import Server
from perdure.server.client import Client
from perdure.server.config import Config
from perdure.server.errors import RedisError
from perdure.server.registry import COMMANDS


@pytest.fixture
def env():
    srv = Server(Config())
    srv.replaying = True  # no log: nothing is appended
    srv.notify_flags = "KEA"  # notifications on (changed() skips notify when they are off)
    events = []
    # as notify-keyspace-events KEA: every class but keymiss (m)
    srv.notify = lambda db, key, event, klass: klass == "m" or events.append((db.id, key, event.decode(), klass))
    c = Client(srv)

    def run(*argv):
        argv = [a if isinstance(a, bytes) else str(a).encode() for a in argv]
        events.clear()
        try:
            return COMMANDS[argv[0].decode().lower()].handler(c, argv)
        except RedisError as e:
            return e

    return run, events, c


G = "g"


def test_del_unlink(env):
    run, events, _ = env
    run("SET", "a", 1)
    run("SET", "b", 1)
    assert run("DEL", "a", "missing", "b") == 2
    assert events == [(0, b"a", "del", G), (0, b"b", "del", G)]
    run("SET", "a", 1)
    run("UNLINK", "a")
    assert events == [(0, b"a", "del", G)]


def test_rename_events(env):
    run, events, _ = env
    run("SET", "a", 1)
    run("SET", "b", 1)
    run("RENAME", "a", "b")
    assert events == [(0, b"a", "rename_from", G), (0, b"b", "rename_to", G)]
    run("RENAMENX", "b", "c")
    assert events == [(0, b"b", "rename_from", G), (0, b"c", "rename_to", G)]
    run("RENAME", "c", "c")
    assert events == []


def test_move_copy_events(env):
    run, events, _ = env
    run("SET", "a", 1)
    run("MOVE", "a", 1)
    assert events == [(0, b"a", "move_from", G), (1, b"a", "move_to", G)]
    run("SET", "d", 1)
    run("COPY", "d", "e")
    assert events == [(0, b"e", "copy_to", G)]
    run("COPY", "d", "e", "DB", 2)
    assert events == [(2, b"e", "copy_to", G)]
    run("COPY", "d", "e")
    assert events == []


def test_expire_persist_events(env):
    run, events, _ = env
    run("SET", "d", 1)
    run("EXPIRE", "d", 100)
    assert events == [(0, b"d", "expire", G)]
    run("PERSIST", "d")
    assert events == [(0, b"d", "persist", G)]
    run("PERSIST", "d")
    assert events == []
    run("PEXPIREAT", "d", 1)
    assert events == [(0, b"d", "del", G)]


def test_expired_event(env):
    run, events, c = env
    c.server.replaying = False
    c.server.log_effect = lambda *a: None
    run("SET", "x", 1)
    run("PEXPIRE", "x", 1)
    time.sleep(0.01)
    assert run("GET", "x") is None
    assert events == [(0, b"x", "expired", "x")]


def test_sort_store_events(env):
    run, events, _ = env
    run("RPUSH", "l", 2, 1)
    assert run("SORT", "l", "STORE", "s") == 2
    assert events == [(0, b"s", "sortstore", "l")]
    assert run("SORT", "missing", "STORE", "s") == 0
    assert events == [(0, b"s", "del", G)]
    assert run("SORT", "missing", "STORE", "s") == 0
    assert events == []


def test_flush_and_swapdb_publish_nothing(env):
    run, events, _ = env
    run("SET", "a", 1)
    run("SWAPDB", 0, 1)
    run("FLUSHDB")
    run("FLUSHALL")
    assert events == []
