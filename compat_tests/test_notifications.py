"""Keyspace notifications as Redis 6.2.14 publishes them (``notify-keyspace-events``).

* A matrix of commands of every family implemented so far (strings, bitmaps, generic keys,
  lists, hashes, sets, sorted sets, SORT, MULTI/EXEC) → the exact ``__keyevent@<db>__:<event>``
  messages, in order, checked against the oracle.  Commands that change nothing publish nothing.
* The two channel forms (``K`` keyspace, ``E`` keyevent), the class flags (``g $ l s h z x m``,
  ``A`` = all but ``m``), ``expired`` (lazy and active expiry) and ``keymiss`` for read lookups.
* Order against PUBLISH: a message published inside MULTI/EXEC or a script after a write
  follows that write's notification.
* A subscriber's own notifications (RESP3, or RESP2 subscribed inside EXEC): the exact bytes
  the connection receives, each push where Redis 6.2 writes it among (or inside) its replies:
  before the reply, after it (commands that reply before notifying), inside EXEC's array, and
  for a blocked client served by another one's push.

A subscriber also listens to a sentinel channel: after the commands under test the writer
publishes to it, so the events are complete (and nothing else came) when the sentinel arrives,
with no sleeping.
"""

from __future__ import annotations

import shlex
import time

import pytest

from .helpers import ex, resp_encode


class Events:
    """A RESP2 subscriber to keyspace/keyevent patterns plus its own sentinel channel."""

    def __init__(self, sub, writer, patterns=()):
        self.writer = writer
        self.ps = sub.pubsub()
        self.sentinel = "sentinel-%x" % id(self)
        self.ps.subscribe(self.sentinel)
        self._expect("subscribe")
        self.patterns = ()
        self.listen(patterns)

    def _expect(self, kind, n=1):
        for _ in range(n):
            m = self.ps.get_message(timeout=5)
            assert m and m["type"] == kind, m

    def listen(self, patterns):
        """Subscribe to exactly ``patterns`` (dropping the previous ones) and drain."""
        if self.patterns:
            self.ps.punsubscribe(*self.patterns)
            self._expect("punsubscribe", len(self.patterns))
        if patterns:
            self.ps.psubscribe(*patterns)
            self._expect("psubscribe", len(patterns))
        self.patterns = tuple(patterns)
        self.collect()

    def collect(self):
        """Every notification since the last call, as ``(channel, data)`` strings."""
        ex(self.writer, "PUBLISH", self.sentinel, "x")
        out = []
        while True:
            m = self.ps.get_message(timeout=5)
            assert m is not None, "sentinel not received; got %r" % out
            if m["type"] == "message" and m["channel"] == self.sentinel.encode():
                return out
            if m["type"] == "pmessage":
                out.append((m["channel"].decode("latin-1"), m["data"].decode("latin-1")))

    def keyevents(self):
        """``collect`` for keyevent messages: ``"event key"`` (``"db:event key"`` off DB 0)."""
        out = []
        for ch, data in self.collect():
            assert ch.startswith("__keyevent@"), ch
            db, event = ch[len("__keyevent@"):].split("__:", 1)
            out.append("%s %s" % (event, data) if db == "0" else "%s:%s %s" % (db, event, data))
        return out


@pytest.fixture(scope="module")
def _shared(target_server):
    """One writer and one subscriber for the whole module (TLS handshakes are not free)."""
    writer = target_server.client()
    sub = target_server.client()
    e = Events(sub, writer)
    yield e
    e.ps.close()
    sub.close()
    writer.close()


@pytest.fixture
def events(_shared):
    """``events(flags, *patterns)`` → the shared :class:`Events`, listening to ``patterns``;
    notify-keyspace-events is reset after the test."""
    e = _shared
    w = e.writer

    def start(flags="KEA", *patterns):
        ex(w, "RESET")
        ex(w, "CONFIG", "SET", "notify-keyspace-events", flags)
        e.listen(patterns or ("__key*__:*",))
        return e

    yield start
    ex(w, "RESET")
    ex(w, "CONFIG", "SET", "notify-keyspace-events", "")


def run(client, line):
    try:
        return ex(client, *shlex.split(line))
    except Exception as e:  # noqa: BLE001  (errors publish nothing: that is tested)
        return e


# --------------------------------------------------------------------------- the matrix

MATRIX = [
    ('set', [], ['SET k v'], ['set k']),
    ('set-ex', [], ['SET k v EX 100'], ['set k', 'expire k']),
    ('set-px-keepttl', ['SET k v EX 100'], ['SET k v2 KEEPTTL'], ['set k']),
    ('set-nx-fail', ['SET k v'], ['SET k v2 NX'], []),
    ('set-xx-missing', [], ['SET k v XX'], []),
    ('set-get', ['SET k v'], ['SET k v2 GET'], ['set k']),
    ('setex', [], ['SETEX k 100 v'], ['set k', 'expire k']),
    ('psetex', [], ['PSETEX k 100000 v'], ['set k', 'expire k']),
    ('setnx', [], ['SETNX k v'], ['set k']),
    ('setnx-exists', ['SET k v'], ['SETNX k v'], []),
    ('mset', [], ['MSET a 1 b 2'], ['set a', 'set b']),
    ('msetnx', [], ['MSETNX a 1 b 2'], ['set a', 'set b']),
    ('msetnx-fail', ['SET a 0'], ['MSETNX a 1 b 2'], []),
    ('append', [], ['APPEND k abc'], ['append k']),
    ('setrange', [], ['SETRANGE k 2 ab'], ['setrange k']),
    ('setrange-empty-noop', [], ['SETRANGE k 0 ""'], []),
    ('incr', [], ['INCR n'], ['incrby n']),
    ('decr', [], ['DECR n'], ['incrby n']),
    ('incrby', [], ['INCRBY n 5'], ['incrby n']),
    ('decrby', [], ['DECRBY n 5'], ['incrby n']),
    ('incrbyfloat', [], ['INCRBYFLOAT n 1.5'], ['incrbyfloat n']),
    ('getset', ['SET k v'], ['GETSET k w'], ['set k']),
    ('getdel', ['SET k v'], ['GETDEL k'], ['del k']),
    ('getdel-missing', [], ['GETDEL k'], []),
    ('getex-ex', ['SET k v'], ['GETEX k EX 100'], ['expire k']),
    ('getex-persist', ['SET k v EX 100'], ['GETEX k PERSIST'], ['persist k']),
    ('getex-persist-nottl', ['SET k v'], ['GETEX k PERSIST'], []),
    ('getex-plain', ['SET k v'], ['GETEX k'], []),
    ('getex-pxat-past', ['SET k v'], ['GETEX k PXAT 1'], ['del k']),
    ('get', ['SET k v'], ['GET k'], []),
    ('setbit', [], ['SETBIT b 7 1'], ['setbit b']),
    ('setbit-same', ['SETBIT b 7 1'], ['SETBIT b 7 1'], ['setbit b']),
    ('bitop', ['SET a x', 'SET b y'], ['BITOP AND d a b'], ['set d']),
    ('bitop-empty', ['SET d x'], ['BITOP AND d nokey1 nokey2'], ['del d']),
    ('bitfield-set', [], ['BITFIELD b SET u8 0 255'], ['setbit b']),
    ('bitfield-incr', [], ['BITFIELD b INCRBY u8 0 1'], ['setbit b']),
    ('bitfield-get', ['SET b x'], ['BITFIELD b GET u8 0'], []),
    ('del', ['SET a 1', 'SET b 2'], ['DEL a b c'], ['del a', 'del b']),
    ('unlink', ['SET a 1'], ['UNLINK a c'], ['del a']),
    ('expire', ['SET k v'], ['EXPIRE k 100'], ['expire k']),
    ('pexpire', ['SET k v'], ['PEXPIRE k 100000'], ['expire k']),
    ('expireat', ['SET k v'], ['EXPIREAT k 99999999999'], ['expire k']),
    ('pexpireat', ['SET k v'], ['PEXPIREAT k 99999999999999'], ['expire k']),
    ('expire-past', ['SET k v'], ['EXPIRE k -1'], ['del k']),
    ('expire-zero', ['SET k v'], ['EXPIRE k 0'], ['del k']),
    ('pexpireat-past', ['SET k v'], ['PEXPIREAT k 1'], ['del k']),
    ('expire-missing', [], ['EXPIRE k 100'], []),
    ('persist', ['SET k v EX 100'], ['PERSIST k'], ['persist k']),
    ('persist-nottl', ['SET k v'], ['PERSIST k'], []),
    ('rename', ['SET a 1'], ['RENAME a b'], ['rename_from a', 'rename_to b']),
    ('rename-overwrite', ['SET a 1', 'SET b 2'], ['RENAME a b'], ['rename_from a', 'rename_to b']),
    ('rename-same', ['SET a 1'], ['RENAME a a'], []),
    ('renamenx', ['SET a 1'], ['RENAMENX a b'], ['rename_from a', 'rename_to b']),
    ('renamenx-fail', ['SET a 1', 'SET b 2'], ['RENAMENX a b'], []),
    ('move', ['SET a 1'], ['MOVE a 3'], ['move_from a', '3:move_to a']),
    ('copy', ['SET a 1'], ['COPY a b'], ['copy_to b']),
    ('copy-db', ['SET a 1'], ['COPY a b DB 2'], ['2:copy_to b']),
    ('copy-replace', ['SET a 1', 'SET b 2'], ['COPY a b REPLACE'], ['copy_to b']),
    ('sort-store', ['RPUSH l 3 1 2'], ['SORT l STORE d'], ['sortstore d']),
    ('sort-store-empty', ['SET d x'], ['SORT nol STORE d'], ['del d']),
    ('flushdb', ['SET a 1'], ['FLUSHDB'], []),
    ('swapdb', ['SET a 1'], ['SWAPDB 0 1', 'SWAPDB 0 1'], []),
    ('touch', ['SET a 1'], ['TOUCH a'], []),
    ('lpush', [], ['LPUSH l a b'], ['lpush l']),
    ('rpush', [], ['RPUSH l a b'], ['rpush l']),
    ('lpushx', ['RPUSH l a'], ['LPUSHX l b', 'LPUSHX nol b'], ['lpush l']),
    ('rpushx', ['RPUSH l a'], ['RPUSHX l b', 'RPUSHX nol b'], ['rpush l']),
    ('lpop', ['RPUSH l a b'], ['LPOP l'], ['lpop l']),
    ('lpop-last', ['RPUSH l a'], ['LPOP l'], ['lpop l', 'del l']),
    ('lpop-count', ['RPUSH l a b c'], ['LPOP l 2'], ['lpop l']),
    ('rpop', ['RPUSH l a b'], ['RPOP l'], ['rpop l']),
    ('rpop-count-all', ['RPUSH l a b'], ['RPOP l 5'], ['rpop l', 'del l']),
    ('linsert', ['RPUSH l a'], ['LINSERT l BEFORE a z'], ['linsert l']),
    ('linsert-nopivot', ['RPUSH l a'], ['LINSERT l BEFORE q z'], []),
    ('lset', ['RPUSH l a'], ['LSET l 0 z'], ['lset l']),
    ('lrem', ['RPUSH l a b a'], ['LREM l 0 a'], ['lrem l']),
    ('lrem-all', ['RPUSH l a a'], ['LREM l 0 a'], ['lrem l', 'del l']),
    ('lrem-none', ['RPUSH l a'], ['LREM l 0 z'], []),
    ('ltrim', ['RPUSH l a b c'], ['LTRIM l 0 1'], ['ltrim l']),
    ('ltrim-all', ['RPUSH l a b c'], ['LTRIM l 5 10'], ['ltrim l', 'del l']),
    ('ltrim-noop', ['RPUSH l a b c'], ['LTRIM l 0 -1'], ['ltrim l']),
    ('rpoplpush', ['RPUSH s a b'], ['RPOPLPUSH s d'], ['lpush d', 'rpop s']),
    ('rpoplpush-last', ['RPUSH s a'], ['RPOPLPUSH s d'], ['lpush d', 'rpop s', 'del s']),
    ('rpoplpush-same', ['RPUSH s a b'], ['RPOPLPUSH s s'], ['lpush s', 'rpop s']),
    ('lmove', ['RPUSH s a b'], ['LMOVE s d LEFT RIGHT'], ['rpush d', 'lpop s']),
    ('lmove-rl', ['RPUSH s a b'], ['LMOVE s d RIGHT LEFT'], ['lpush d', 'rpop s']),
    ('blpop-ready', ['RPUSH l a'], ['BLPOP l 1'], ['lpop l', 'del l']),
    ('brpop-ready', ['RPUSH l a b'], ['BRPOP l 1'], ['rpop l']),
    ('blmove-ready', ['RPUSH s a'], ['BLMOVE s d LEFT LEFT 1'], ['lpush d', 'lpop s', 'del s']),
    ('hset', [], ['HSET h a 1 b 2'], ['hset h']),
    ('hset-update', ['HSET h a 1'], ['HSET h a 2'], ['hset h']),
    ('hmset', [], ['HMSET h a 1'], ['hset h']),
    ('hsetnx', [], ['HSETNX h a 1'], ['hset h']),
    ('hsetnx-exists', ['HSET h a 1'], ['HSETNX h a 2'], []),
    ('hdel', ['HSET h a 1 b 2'], ['HDEL h a'], ['hdel h']),
    ('hdel-last', ['HSET h a 1'], ['HDEL h a'], ['hdel h', 'del h']),
    ('hdel-none', ['HSET h a 1'], ['HDEL h z'], []),
    ('hincrby', [], ['HINCRBY h a 1'], ['hincrby h']),
    ('hincrbyfloat', [], ['HINCRBYFLOAT h a 1.5'], ['hincrbyfloat h']),
    ('sadd', [], ['SADD s a b'], ['sadd s']),
    ('sadd-none', ['SADD s a'], ['SADD s a'], []),
    ('srem', ['SADD s a b'], ['SREM s a'], ['srem s']),
    ('srem-last', ['SADD s a'], ['SREM s a'], ['srem s', 'del s']),
    ('spop', ['SADD s a b'], ['SPOP s'], ['spop s']),
    ('spop-last', ['SADD s a'], ['SPOP s'], ['spop s', 'del s']),
    ('spop-count', ['SADD s a b c'], ['SPOP s 2'], ['spop s']),
    ('spop-count-all', ['SADD s a b'], ['SPOP s 5'], ['spop s', 'del s']),
    ('smove', ['SADD s a b', 'SADD d x'], ['SMOVE s d a'], ['srem s', 'sadd d']),
    ('smove-last', ['SADD s a'], ['SMOVE s d a'], ['srem s', 'del s', 'sadd d']),
    ('smove-same', ['SADD s a'], ['SMOVE s s a'], []),
    ('smove-missing', ['SADD s a'], ['SMOVE s d z'], []),
    ('sinterstore', ['SADD a 1 2', 'SADD b 2 3'], ['SINTERSTORE d a b'], ['sinterstore d']),
    ('sinterstore-empty', ['SADD d x'], ['SINTERSTORE d a b'], ['del d']),
    ('sunionstore', ['SADD a 1 2', 'SADD b 2 3'], ['SUNIONSTORE d a b'], ['sunionstore d']),
    ('sdiffstore', ['SADD a 1 2', 'SADD b 2 3'], ['SDIFFSTORE d a b'], ['sdiffstore d']),
    ('sdiffstore-empty-nodst', [], ['SDIFFSTORE d a b'], []),
    ('zadd', [], ['ZADD z 1 a 2 b'], ['zadd z']),
    ('zadd-update', ['ZADD z 1 a'], ['ZADD z 2 a'], ['zadd z']),
    ('zadd-same', ['ZADD z 1 a'], ['ZADD z 1 a'], []),
    ('zadd-incr', [], ['ZADD z INCR 1 a'], ['zincr z']),
    ('zincrby', [], ['ZINCRBY z 1 a'], ['zincr z']),
    ('zrem', ['ZADD z 1 a 2 b'], ['ZREM z a'], ['zrem z']),
    ('zrem-last', ['ZADD z 1 a'], ['ZREM z a'], ['zrem z', 'del z']),
    ('zremrangebyscore', ['ZADD z 1 a 2 b'], ['ZREMRANGEBYSCORE z 1 1'], ['zremrangebyscore z']),
    ('zremrangebyrank', ['ZADD z 1 a 2 b'], ['ZREMRANGEBYRANK z 0 0'], ['zremrangebyrank z']),
    ('zremrangebylex', ['ZADD z 0 a 0 b'], ['ZREMRANGEBYLEX z [a [a'], ['zremrangebylex z']),
    ('zremrangebyrank-all', ['ZADD z 1 a 2 b'], ['ZREMRANGEBYRANK z 0 -1'], ['zremrangebyrank z', 'del z']),
    ('zpopmin', ['ZADD z 1 a 2 b'], ['ZPOPMIN z'], ['zpopmin z']),
    ('zpopmax-all', ['ZADD z 1 a 2 b'], ['ZPOPMAX z 5'], ['zpopmax z', 'del z']),
    ('bzpopmin-ready', ['ZADD z 1 a 2 b'], ['BZPOPMIN z 1'], ['zpopmin z']),
    ('bzpopmax-ready-last', ['ZADD z 1 a'], ['BZPOPMAX z 1'], ['zpopmax z', 'del z']),
    ('zunionstore', ['ZADD a 1 x', 'ZADD b 2 y'], ['ZUNIONSTORE d 2 a b'], ['zunionstore d']),
    ('zinterstore', ['ZADD a 1 x', 'ZADD b 2 x'], ['ZINTERSTORE d 2 a b'], ['zinterstore d']),
    ('zinterstore-empty', ['ZADD d 1 x'], ['ZINTERSTORE d 2 a b'], ['del d']),
    ('zdiffstore', ['ZADD a 1 x 2 y', 'ZADD b 2 y'], ['ZDIFFSTORE d 2 a b'], ['zdiffstore d']),
    ('zrangestore', ['ZADD a 1 x 2 y'], ['ZRANGESTORE d a 0 -1'], ['zrangestore d']),
    ('zrangestore-empty', ['ZADD d 1 x'], ['ZRANGESTORE d a 0 -1'], ['del d']),
    ('multi-exec', [], ['MULTI', 'SET a 1', 'LPUSH l x', 'EXEC'], ['set a', 'lpush l']),
    ('smove-dst-has-member', ['SADD s a b', 'SADD d a'], ['SMOVE s d a'], ['srem s']),
    ('zadd-xx-missing', [], ['ZADD z XX 1 a'], []),
    ('zadd-gt-noop', ['ZADD z 5 a'], ['ZADD z GT 1 a'], []),
    ('zadd-ch', ['ZADD z 1 a'], ['ZADD z CH 2 a 3 b'], ['zadd z']),
    ('zadd-nx-incr-fail', ['ZADD z 1 a'], ['ZADD z NX INCR 1 a'], []),
    ('zunionstore-empty-nodst', [], ['ZUNIONSTORE d 2 a b'], []),
    ('sunionstore-empty', ['SADD d x'], ['SUNIONSTORE d a b'], ['del d']),
    ('sinterstore-empty-nodst', [], ['SINTERSTORE d a b'], []),
    ('lmove-rotate', ['RPUSH l a b c'], ['LMOVE l l RIGHT LEFT'], ['lpush l', 'rpop l']),
    ('select-db', [], ['SELECT 9', 'SET k v', 'LPUSH l x', 'SELECT 0'], ['9:set k', '9:lpush l']),
    ('move-fail-exists', ['SET a 1', 'SELECT 3', 'SET a 2', 'SELECT 0'], ['MOVE a 3'], []),
    ('copy-fail-exists', ['SET a 1', 'SET b 2'], ['COPY a b'], []),
    ('rename-missing', [], ['RENAME a b'], []),
    ('lset-wrongtype', ['SET l x'], ['LSET l 0 a'], []),
    ('incr-not-integer', ['SET n x'], ['INCR n'], []),
    ('append-existing', ['SET k ab'], ['APPEND k cd'], ['append k']),
    ('setrange-existing', ['SET k hello'], ['SETRANGE k 1 a'], ['setrange k']),
    ('expire-update', ['SET k v EX 100'], ['EXPIRE k 200'], ['expire k']),
    ('getex-px', ['SET k v'], ['GETEX k PX 100000'], ['expire k']),
    ('getex-exat', ['SET k v'], ['GETEX k EXAT 99999999999'], ['expire k']),
    ('set-exat', [], ['SET k v EXAT 99999999999'], ['set k', 'expire k']),
    ('set-get-missing', [], ['SET k v GET'], ['set k']),
    ('hset-wrongtype', ['SET h x'], ['HSET h a 1'], []),
    ('spop-count-zero', ['SADD s a'], ['SPOP s 0'], []),
    ('lpop-count-zero', ['RPUSH l a'], ['LPOP l 0'], []),
    ('zpopmin-count-zero', ['ZADD z 1 a'], ['ZPOPMIN z 0'], []),
    ('bitop-not', ['SET a x'], ['BITOP NOT d a'], ['set d']),
    ('setbit-clear', ['SETBIT b 7 1'], ['SETBIT b 7 0'], ['setbit b']),
    ('sort-store-by', ['RPUSH l 2 1', 'SET w_1 2', 'SET w_2 1'], ['SORT l BY w_* STORE d'], ['sortstore d']),
    ('multi-exec-discard', [], ['MULTI', 'SET a 1', 'DISCARD'], []),
    ('del-many-missing', [], ['DEL a b'], []),
    ('hincrbyfloat-existing', ['HSET h a 1'], ['HINCRBYFLOAT h a 0.5'], ['hincrbyfloat h']),
    ('linsert-after', ['RPUSH l a b'], ['LINSERT l AFTER a z'], ['linsert l']),
    ('rpush-many', ['RPUSH l a'], ['RPUSH l b c d'], ['rpush l']),
    ('srem-many-last', ['SADD s a b'], ['SREM s a b c'], ['srem s', 'del s']),
    ('zrem-many-none', ['ZADD z 1 a'], ['ZREM z x y'], []),
    ('zincrby-existing', ['ZADD z 1 a'], ['ZINCRBY z 2 a'], ['zincr z']),
    ('flushall', ['SET a 1'], ['FLUSHALL'], []),
]


@pytest.mark.parametrize("setup,commands,expected", [m[1:] for m in MATRIX], ids=[m[0] for m in MATRIX])
def test_keyevent_matrix(events, setup, commands, expected):
    e = events("KEA", "__keyevent@*__:*")
    w = e.writer
    for line in setup:
        run(w, line)
    e.collect()
    for line in commands:
        run(w, line)
    assert e.keyevents() == expected


# --------------------------------------------------------------------------- channel forms


def test_keyspace_and_keyevent_channels(events):
    e = events("KEA")
    ex(e.writer, "SET", "k", "v")
    assert e.collect() == [("__keyspace@0__:k", "set"), ("__keyevent@0__:set", "k")]


def test_keyspace_only(events):
    e = events("K$")
    ex(e.writer, "SET", "k", "v")
    ex(e.writer, "APPEND", "k", "w")
    assert e.collect() == [("__keyspace@0__:k", "set"), ("__keyspace@0__:k", "append")]


def test_keyevent_only(events):
    e = events("El")
    ex(e.writer, "RPUSH", "l", "a")
    assert e.collect() == [("__keyevent@0__:rpush", "l")]


@pytest.mark.parametrize("flags", ["A", "g$lshzx", "K", "E", "KE", ""])
def test_nothing_published_without_class_or_channel_type(events, flags):
    e = events(flags)
    for line in ("SET k v", "DEL k", "LPUSH l a", "GET nokey"):
        run(e.writer, line)
    assert e.collect() == []


def test_keyspace_channel_of_other_db(events):
    e = events("KA")
    w = e.writer
    ex(w, "SELECT", "12")
    ex(w, "SET", "k", "v")
    assert e.collect() == [("__keyspace@12__:k", "set")]


def test_binary_key_names(events):
    e = events("KEA")
    key = "k\x00\r\n\xff"
    ex(e.writer, "SET", key.encode("latin-1"), "v")
    assert e.collect() == [("__keyspace@0__:" + key, "set"), ("__keyevent@0__:set", key)]


def test_subscribe_to_one_key(events, make_client):
    e = events("KA", "__keyspace@0__:watched")
    w = e.writer
    ex(w, "SET", "other", "1")
    ex(w, "SET", "watched", "1")
    ex(w, "INCR", "watched")
    ex(w, "DEL", "watched", "other")
    assert e.collect() == [("__keyspace@0__:watched", "set"), ("__keyspace@0__:watched", "incrby"),
                           ("__keyspace@0__:watched", "del")]


def test_plain_subscribe_to_keyevent_channel(make_client, make_raw):
    admin = make_client()
    ex(admin, "CONFIG", "SET", "notify-keyspace-events", "Eg")
    try:
        sub = make_raw()
        sub.cmd("SUBSCRIBE", "__keyevent@0__:del")
        ex(admin, "SET", "a", "1")
        ex(admin, "DEL", "a")
        assert sub.recv_reply() == (b"*3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:del\r\n"
                                    b"$1\r\na\r\n")
    finally:
        ex(admin, "CONFIG", "SET", "notify-keyspace-events", "")


def test_resp3_subscriber_gets_push_before_its_own_reply(make_client, make_raw):
    admin = make_client()
    ex(admin, "CONFIG", "SET", "notify-keyspace-events", "K$")
    try:
        c = make_raw()
        assert c.cmd("HELLO", "3").startswith(b"%7")
        c.cmd("SUBSCRIBE", "__keyspace@0__:k")
        c.send(resp_encode("SET", "k", "v"))
        assert c.recv_replies(2) == [
            b">3\r\n$7\r\nmessage\r\n$16\r\n__keyspace@0__:k\r\n$3\r\nset\r\n", b"+OK\r\n"]
    finally:
        ex(admin, "CONFIG", "SET", "notify-keyspace-events", "")


# --------------------------------------------------------------------------- classes

_ONE_PER_CLASS = ["SET s v", "EXPIRE s 100", "RPUSH l a", "SADD set a", "HSET h f v", "ZADD z 1 a",
                  "DEL l", "GET nokey"]
_CLASS_EVENTS = {
    "$": ["set s"],
    "g": ["expire s", "del l"],
    "l": ["rpush l"],
    "s": ["sadd set"],
    "h": ["hset h"],
    "z": ["zadd z"],
    "x": [],
    "e": [],
    "t": [],
    "d": [],
    "m": ["keymiss nokey"],
}


@pytest.mark.parametrize("flag", list(_CLASS_EVENTS))
def test_class_flag(events, flag):
    e = events("E" + flag, "__keyevent@*__:*")
    for line in _ONE_PER_CLASS:
        run(e.writer, line)
    assert e.keyevents() == _CLASS_EVENTS[flag]


def test_all_classes_exclude_keymiss(events):
    e = events("EA", "__keyevent@*__:*")
    for line in _ONE_PER_CLASS:
        run(e.writer, line)
    assert e.keyevents() == ["set s", "expire s", "rpush l", "sadd set", "hset h", "zadd z", "del l"]


def test_class_combination(events):
    e = events("Elm$", "__keyevent@*__:*")
    for line in _ONE_PER_CLASS:
        run(e.writer, line)
    assert e.keyevents() == ["set s", "rpush l", "keymiss nokey"]


def test_config_change_takes_effect_at_once(events):
    e = events("E$", "__keyevent@*__:*")
    w = e.writer
    ex(w, "SET", "a", "1")
    ex(w, "CONFIG", "SET", "notify-keyspace-events", "El")
    ex(w, "SET", "b", "1")
    ex(w, "RPUSH", "l", "x")
    ex(w, "CONFIG", "SET", "notify-keyspace-events", "")
    ex(w, "RPUSH", "l", "y")
    assert e.keyevents() == ["set a", "rpush l"]


# --------------------------------------------------------------------------- expired


def test_expired_lazy_on_access(events):
    e = events("Ex", "__keyevent@*__:*")
    w = e.writer
    ex(w, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        ex(w, "SET", "k", "v", "PX", "20")
        time.sleep(0.05)
        assert e.keyevents() == []
        assert ex(w, "GET", "k") is None
        assert e.keyevents() == ["expired k"]
    finally:
        ex(w, "DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_expired_then_keymiss(events):
    e = events("Exm", "__keyevent@*__:*")
    w = e.writer
    ex(w, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        ex(w, "SET", "k", "v", "PX", "20")
        time.sleep(0.05)
        assert ex(w, "GET", "k") is None
        assert e.keyevents() == ["expired k", "keymiss k"]
    finally:
        ex(w, "DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_expired_on_write_access(events):
    e = events("EA", "__keyevent@*__:*")
    w = e.writer
    ex(w, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
    try:
        ex(w, "SET", "k", "v", "PX", "20")
        e.collect()
        time.sleep(0.05)
        ex(w, "RPUSH", "k", "a")
        assert e.keyevents() == ["expired k", "rpush k"]
    finally:
        ex(w, "DEBUG", "SET-ACTIVE-EXPIRE", "1")


def test_expired_by_active_expiry(events):
    e = events("KEx")
    ex(e.writer, "SELECT", "3")
    ex(e.writer, "SET", "k", "v", "PX", "30")
    deadline = time.monotonic() + 5
    got = []
    while time.monotonic() < deadline and not got:
        time.sleep(0.05)
        got = e.collect()
    assert got == [("__keyspace@3__:k", "expired"), ("__keyevent@3__:expired", "k")]


def test_no_expired_event_for_persisted_key(events):
    e = events("Ex", "__keyevent@*__:*")
    w = e.writer
    ex(w, "SET", "k", "v", "PX", "30")
    ex(w, "PERSIST", "k")
    time.sleep(0.1)
    assert ex(w, "GET", "k") == b"v"
    assert e.keyevents() == []


# --------------------------------------------------------------------------- keymiss

KEYMISS = [
    ("GET k", ["k"]), ("MGET a b", ["a", "b"]), ("EXISTS k", ["k"]), ("TYPE k", ["k"]),
    ("TTL k", ["k"]), ("PTTL k", ["k"]), ("STRLEN k", ["k"]), ("GETRANGE k 0 1", ["k"]),
    ("SUBSTR k 0 1", ["k"]), ("GETBIT k 1", ["k"]), ("BITCOUNT k", ["k"]), ("BITPOS k 1", ["k"]),
    ("BITFIELD_RO k GET u8 0", ["k"]), ("TOUCH k", ["k"]), ("GETEX k", ["k"]), ("GETDEL k", ["k"]),
    ("GETSET k v", ["k"]), ("SET k v GET", ["k"]), ("HGET h f", ["h"]), ("HGETALL h", ["h"]),
    ("HLEN h", ["h"]), ("HEXISTS h f", ["h"]), ("HMGET h a", ["h"]), ("HSTRLEN h f", ["h"]),
    ("HRANDFIELD h", ["h"]), ("LRANGE l 0 -1", ["l"]), ("LLEN l", ["l"]), ("LINDEX l 0", ["l"]),
    ("LPOS l a", ["l"]), ("SMEMBERS s", ["s"]), ("SISMEMBER s a", ["s"]), ("SCARD s", ["s"]),
    ("SRANDMEMBER s 2", ["s"]), ("SINTER a b", ["a", "b"]), ("SUNION a b", ["a", "b"]),
    ("ZSCORE z a", ["z"]), ("ZCARD z", ["z"]), ("ZRANGE z 0 -1", ["z"]), ("ZRANK z a", ["z"]),
    ("ZMSCORE z a", ["z"]), ("ZUNION 2 a b", ["a", "b"]), ("SORT l", ["l"]),
    ("BITOP AND d a b", ["a", "b"]),
    # write lookups publish no keymiss
    ("APPEND k v", []), ("INCR n", []), ("LPOP l", []), ("SPOP s", []), ("RENAME k z", []),
    ("SINTERSTORE d a b", []), ("ZUNIONSTORE d 2 a b", []), ("HINCRBY h f 1", []), ("DEL k", []),
    ("EXPIRE k 1", []), ("SORT l STORE d", []), ("SCAN 0", []), ("RANDOMKEY", []),
    # PFCOUNT of one key looks it up for writing (it may rewrite the cached cardinality);
    # of several keys, for reading; PFMERGE reads every key, the destination first
    ("PFCOUNT h", []), ("PFCOUNT a b", ["a", "b"]), ("PFMERGE d a b", ["d", "a", "b"]),
]


@pytest.mark.parametrize("line,keys", KEYMISS, ids=[k[0] for k in KEYMISS])
def test_keymiss(events, line, keys):
    e = events("Em", "__keyevent@*__:*")
    run(e.writer, line)
    assert e.keyevents() == ["keymiss %s" % k for k in keys]


def test_keymiss_keyspace_channel(events):
    e = events("Km")
    ex(e.writer, "SET", "present", "v")
    ex(e.writer, "MGET", "present", "absent")
    assert e.collect() == [("__keyspace@0__:absent", "keymiss")]


# --------------------------------------------------------------------------- delivery


def test_events_of_a_transaction_in_order(events):
    e = events("KEA", "__keyevent@*__:*")
    pipe = e.writer.pipeline(transaction=True)
    pipe.set("a", "1")
    pipe.rpush("l", "x")
    pipe.delete("a")
    pipe.execute()
    assert e.keyevents() == ["set a", "rpush l", "del a"]


def test_publish_in_transaction_comes_after_the_writes_before_it(events):
    """Redis 6.2 writes a notification and a PUBLISHed message to subscribers as they happen:
    a message published inside MULTI/EXEC or a script after a write follows that write's
    notification (Perdure holds a transaction's notifications until its log record, and the
    message must wait behind them)."""
    e = events("E$g", "__keyevent@*__:*", "chan*")
    pipe = e.writer.pipeline(transaction=True)
    pipe.set("a", "1")
    pipe.publish("chanx", "m1")
    pipe.delete("a")
    pipe.publish("chany", "m2")
    pipe.execute()
    assert e.collect() == [("__keyevent@0__:set", "a"), ("chanx", "m1"), ("__keyevent@0__:del", "a"),
                           ("chany", "m2")]
    ex(e.writer, "EVAL", "redis.call('SET', 'b', '1'); redis.call('PUBLISH', 'chanz', 'm3');"
                         " redis.call('DEL', 'b'); return 1", "0")
    assert e.collect() == [("__keyevent@0__:set", "b"), ("chanz", "m3"), ("__keyevent@0__:del", "b")]


def test_events_of_served_blocked_client(events, make_client):
    e = events("EA", "__keyevent@*__:*")
    blocked = make_client(socket_timeout=10)
    conn = blocked.connection
    conn.send_command("BLPOP", "q", "5")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and ex(e.writer, "CLIENT", "LIST").count(b"cmd=blpop") == 0:
        time.sleep(0.02)
    ex(e.writer, "RPUSH", "q", "job")
    assert conn.read_response() == [b"q", b"job"]
    assert e.keyevents() == ["rpush q", "lpop q", "del q"]


def test_events_visible_state(events, make_client):
    """A notification arrives once the change can be read."""
    e = events("E$", "__keyevent@*__:*")
    reader = make_client()
    ex(e.writer, "SET", "k", "new")
    assert e.keyevents() == ["set k"]
    assert ex(reader, "GET", "k") == b"new"


def test_many_subscribers_each_get_every_event(make_client):
    admin = make_client()
    ex(admin, "CONFIG", "SET", "notify-keyspace-events", "E$")
    try:
        subs = [Events(make_client(), admin, ("__keyevent@0__:*",)) for _ in range(5)]
        for i in range(20):
            ex(admin, "SET", "k%d" % i, "v")
        for sub in subs:
            assert sub.keyevents() == ["set k%d" % i for i in range(20)]
            sub.ps.close()
    finally:
        ex(admin, "CONFIG", "SET", "notify-keyspace-events", "")


# --------------------------------------------------------------------------- own pushes (RESP3)

def _push(key, event):
    ch = "__keyspace@0__:%s" % key
    return (">4\r\n$8\r\npmessage\r\n$3\r\n__*\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
            % (len(ch), ch, len(event), event)).encode()


# (setup, command, what the subscribed RESP3 connection receives: "P key event" pushes and
# the reply, in order).  Redis 6.2 writes a notification into the output buffer as it
# publishes it: before the reply for SET/DEL/SADD/..., after it where the command adds its
# reply first (HSET, LPUSH, ZADD, GETSET, LPOP...), around it where the command does both
# (SPOP: spop, reply, del; LMOVE: push event, reply, pop event; EXPIRE ... in the past: del
# first, but a TTL set: expire after).
OWN = [
    ("set", [], "SET k v", ["P k set", "+OK\r\n"]),
    ("set-get", ["SET k v"], "SET k w GET", ["$1\r\nv\r\n", "P k set"]),
    ("getset", ["SET k v"], "GETSET k w", ["$1\r\nv\r\n", "P k set"]),
    ("getdel", ["SET k v"], "GETDEL k", ["$1\r\nv\r\n", "P k del"]),
    ("getex", ["SET k v"], "GETEX k EX 100", ["$1\r\nv\r\n", "P k expire"]),
    ("del", ["SET k v"], "DEL k", ["P k del", ":1\r\n"]),
    ("hset", [], "HSET k f v", [":1\r\n", "P k hset"]),
    ("hdel-last", ["HSET k f v"], "HDEL k f", ["P k hdel", "P k del", ":1\r\n"]),
    ("lpush", [], "LPUSH k a", [":1\r\n", "P k lpush"]),
    ("lpop-last", ["RPUSH k a"], "LPOP k", ["$1\r\na\r\n", "P k lpop", "P k del"]),
    ("lmove", ["RPUSH k a"], "LMOVE k d LEFT RIGHT",
     ["P d rpush", "$1\r\na\r\n", "P k lpop", "P k del"]),
    ("sadd", [], "SADD k a", ["P k sadd", ":1\r\n"]),
    ("spop-last", ["SADD k a"], "SPOP k", ["P k spop", "$1\r\na\r\n", "P k del"]),
    ("zadd", [], "ZADD k 1 a", [":1\r\n", "P k zadd"]),
    ("zpopmin-last", ["ZADD k 1 a"], "ZPOPMIN k 5", ["*1\r\nP k zpopmin", "*2\r\n$1\r\na\r\n,1\r\n", "P k del"]),
    ("expire", ["SET k v"], "EXPIRE k 100", [":1\r\n", "P k expire"]),
    ("expire-past", ["SET k v"], "EXPIRE k -1", ["P k del", ":1\r\n"]),
    ("sinterstore", ["SADD a 1"], "SINTERSTORE k a", [":1\r\n", "P k sinterstore"]),
    ("keymiss-getset", [], "GETSET k v", ["P k keymiss", "_\r\n", "P k set"]),
    ("mget-keymiss", ["SET b 1"], "MGET a b a", ["*3\r\nP a keymiss", "_\r\n$1\r\n1\r\nP a keymiss", "_\r\n"]),
    ("sort-get-keymiss", ["RPUSH k 2 1", "SET w_1 x"], "SORT k GET w_* GET #",
     ["*4\r\n$1\r\nx\r\n$1\r\n1\r\nP w_2 keymiss", "_\r\n$1\r\n2\r\n"]),
    ("sort-by-keymiss", ["RPUSH k 2 1"], "SORT k BY w_*", ["P w_2 keymiss", "P w_1 keymiss",
                                                       "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"]),
    ("exec-eval-publish", [], "MULTI|EVAL \"redis.call('SET','k','v') redis.call('PUBLISH','__x','m')\" 0|EXEC",
     ["+OK\r\n+QUEUED\r\n*1\r\nP k set",
      ">4\r\n$8\r\npmessage\r\n$3\r\n__*\r\n$3\r\n__x\r\n$1\r\nm\r\n_\r\n"]),
    ("zpopmax-one", ["ZADD k 1 a 2 b"], "ZPOPMAX k", ["*2\r\nP k zpopmax", "$1\r\nb\r\n,2\r\n"]),
    ("multi-exec", ["SET k v"], "MULTI|HSET h f v|GET nokey|SET k w GET|LPUSH l a|DEL k|EXEC",
     ["+OK\r\n", "+QUEUED\r\n" * 5, "*5\r\n:1\r\nP h hset", "P nokey keymiss", "_\r\n",
      "$1\r\nv\r\nP k set", ":1\r\nP l lpush", "P k del", ":1\r\n"]),
]


def _expected(lines):
    """``"P key event"`` -> the push; anything before ``P`` is raw reply bytes."""
    out = b""
    for line in lines:
        head, p, ev = line.partition("P ")
        out += head.encode()
        if p:
            out += _push(*ev.split())
    return out


@pytest.mark.parametrize("setup,line,expected", [o[1:] for o in OWN], ids=[o[0] for o in OWN])
def test_resp3_subscriber_own_notifications_around_its_reply(make_client, make_raw, setup, line, expected):
    admin = make_client()
    ex(admin, "CONFIG", "SET", "notify-keyspace-events", "KA" + ("m" if "keymiss" in " ".join(expected) else ""))
    try:
        c = make_raw()
        assert c.cmd("HELLO", "3").startswith(b"%7")
        for cmd in setup:
            ex(admin, *shlex.split(cmd))
        assert c.cmd("PSUBSCRIBE", "__*").startswith(b">3")
        c.send(b"".join(resp_encode(*shlex.split(part)) for part in line.split("|")) + resp_encode("PING"))
        want = _expected(expected) + b"+PONG\r\n"
        got = b""
        while not got.endswith(b"+PONG\r\n"):
            got += c.recv_reply()
        assert got == want
    finally:
        ex(admin, "CONFIG", "SET", "notify-keyspace-events", "")
        ex(admin, "FLUSHALL")


def test_resp2_subscribed_inside_exec_gets_own_notifications_inside_the_reply(make_client, make_raw):
    """RESP2: a PSUBSCRIBE queued in MULTI makes the client a subscriber for the rest of EXEC;
    Redis 6.2 writes the notifications of the later commands into EXEC's array, each before
    (SET, DEL) or after (HSET) the element of the command that caused it."""
    admin = make_client()
    ex(admin, "CONFIG", "SET", "notify-keyspace-events", "K$gh")
    try:
        c = make_raw()
        c.send(b"".join(resp_encode(*x.split()) for x in ("MULTI", "PSUBSCRIBE __*", "SET k v", "HSET h f v",
                                                          "DEL k", "EXEC")))
        got = c.recv_replies(6)
        assert got[:5] == [b"+OK\r\n"] + [b"+QUEUED\r\n"] * 4

        def msg(key, event):
            ch = "__keyspace@0__:" + key
            return b"*4\r\n$8\r\npmessage\r\n$3\r\n__*\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (
                len(ch), ch.encode(), len(event), event.encode())
        # (RawConnection counts each message as one of the array's 4 elements: read the rest)
        rest = got[5] + b"".join(c.recv_replies(3))
        assert rest == (b"*4\r\n*3\r\n$10\r\npsubscribe\r\n$3\r\n__*\r\n:1\r\n" + msg("k", "set") + b"+OK\r\n"
                        + b":1\r\n" + msg("h", "hset") + msg("k", "del") + b":1\r\n")
    finally:
        ex(admin, "CONFIG", "SET", "notify-keyspace-events", "")
        ex(admin, "FLUSHALL")


SERVED = [
    ("blpop", "BLPOP q 5", "RPUSH q x", ["P q rpush", "*2\r\n$1\r\nq\r\n$1\r\nx\r\n", "P q lpop", "P q del"]),
    ("blmove", "BLMOVE q d LEFT RIGHT 5", "RPUSH q x",
     ["P q rpush", "P d rpush", "$1\r\nx\r\n", "P q lpop", "P q del"]),
    ("bzpopmin", "BZPOPMIN z 5", "ZADD z 1 m", ["P z zadd", "*3\r\n$1\r\nz\r\nP z zpopmin", "$1\r\nm\r\n,1\r\n",
                                                 "P z del"]),
]


@pytest.mark.parametrize("block,push,expected", [s[1:] for s in SERVED], ids=[s[0] for s in SERVED])
def test_resp3_subscriber_served_while_blocked(make_client, make_raw, block, push, expected):
    """A blocked RESP3 subscriber, served by another client's push, gets its reply where
    Redis 6.2 writes it among the notifications (serveClientBlockedOnList replies, then
    notifies the pop; BLMOVE notifies the destination's push first)."""
    admin = make_client()
    ex(admin, "CONFIG", "SET", "notify-keyspace-events", "KA")
    try:
        c = make_raw()
        assert c.cmd("HELLO", "3").startswith(b"%7")
        assert c.cmd("PSUBSCRIBE", "__*").startswith(b">3")
        c.send(resp_encode(*block.split()))
        deadline = time.monotonic() + 5
        waiting = b"cmd=" + block.split()[0].lower().encode()
        while waiting not in ex(admin, "CLIENT", "LIST") and time.monotonic() < deadline:
            time.sleep(0.01)
        ex(admin, *push.split())
        c.send(resp_encode("PING"))
        got = b""
        while not got.endswith(b"+PONG\r\n"):
            got += c.recv_reply()
        assert got == _expected(expected) + b"+PONG\r\n"
    finally:
        ex(admin, "CONFIG", "SET", "notify-keyspace-events", "")
        ex(admin, "FLUSHALL")
