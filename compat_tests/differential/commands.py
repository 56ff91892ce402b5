"""Command generators for the differential test: Hypothesis strategies, one per family.

Every generated command is a :class:`Cmd`: its arguments (``bytes``) and how its replies
are compared (``mode``).  The key space is small and typed by name so that commands mostly
hit keys of their own type, and sometimes (about one draw in eight) any key, to provoke
WRONGTYPE on purpose.  Values, counts, indexes and scores come from pools of edge cases
(empty, huge, negative, overflowing, ``inf``/``nan``, not-a-number, long enough to change a
collection's encoding) mixed with small integers.  About one command in twenty has its arity
broken (last argument dropped or an extra one appended).

Nothing here produces nondeterminism that cannot be compared: no real-time expiries (every
TTL is >= 1000 s, or <= 0 / in the past for EXPIRE* which delete at once), no blocking
command outside MULTI, random commands get a ``random``/``spop`` mode, SCAN-like commands a
``scan`` mode (see ``test_differential.py`` for what each mode compares).
"""

from __future__ import annotations

from hypothesis import strategies as st

from .wire import show_args

# --------------------------------------------------------------------------- key space

STRING_KEYS = (b"s1", b"s2", b"s3")
HASH_KEYS = (b"h1", b"h2")
LIST_KEYS = (b"l1", b"l2")
SET_KEYS = (b"st1", b"st2")
ZSET_KEYS = (b"z1", b"z2", b"z3")
OTHER_KEYS = (b"x",)
ALL_KEYS = STRING_KEYS + HASH_KEYS + LIST_KEYS + SET_KEYS + ZSET_KEYS + OTHER_KEYS
KEYSET = frozenset(ALL_KEYS)

# Collections convert encodings at these sizes (set on both servers by the test fixture), so
# conversions happen within a few steps.
SMALL_CONFIG = (
    ("hash-max-ziplist-entries", "4"),
    ("zset-max-ziplist-entries", "4"),
    ("set-max-intset-entries", "4"),
    ("stream-node-max-entries", "4"),  # streams: new listpack nodes, approximate trims
    ("stream-node-max-bytes", "300"),
)

# --------------------------------------------------------------------------- value pools

LONG = b"x" * 70  # longer than the 64-byte ziplist value limit: forces hashtable/skiplist/raw
INTS = (b"0", b"1", b"-1", b"2", b"3", b"7", b"10", b"100", b"-100", b"65535", b"4294967296",
        b"9223372036854775807", b"-9223372036854775808", b"9223372036854775808",
        b"-9223372036854775809", b"-0", b"007")
FLOATS = (b"0.5", b"-1.5", b"3.0", b"1e3", b"1e308", b"-1e308", b"1.7976931348623157e308",
          b"inf", b"-inf", b"+inf", b"Infinity", b"nan", b"1e-320", b"0.1", b"5e-324", b"1e400",
          b"-0.0", b".5", b"1.")
BADNUM = (b"", b"abc", b" 1", b"1 ", b"0x10", b"1.5.2", b"--1", b"1e", b"+", b"\x00", b"1_0")
AT_LIMIT = b"y" * 64  # exactly the ziplist value limit: stays compact
STRS = (b"a", b"b", b"abc", b"hello world", b"\x00\xff\x80", LONG, b"A" * 20, b"foobar",
        b"e" * 44, b"e" * 45, AT_LIMIT, b"-1234567890123456789", b"12345678901234567890")
VALUES = INTS + FLOATS + BADNUM + STRS

SMALL_IDX = tuple(str(i).encode() for i in range(-4, 7))
EDGE_IDX = (b"10", b"-10", b"100", b"-100", b"2147483647", b"2147483648", b"-2147483649",
            b"9223372036854775807", b"-9223372036854775808", b"9223372036854775808", b"abc",
            b"1.5", b"", b"+1")

FIELDS = (b"f1", b"f2", b"f3", b"f4", b"f5", b"", b"1", LONG, AT_LIMIT)
ELEMS = (b"a", b"b", b"c", b"d", b"1", b"2", b"", LONG, b"A")
SET_MEMBERS = (b"1", b"2", b"3", b"-5", b"100", b"9223372036854775807", b"18446744073709551616",
               b"a", b"b", b"c", b"", b"01", LONG)
ZMEMBERS = (b"a", b"b", b"c", b"d", b"e", b"1", b"", LONG, b"A", AT_LIMIT)
SCORES = (b"0", b"1", b"-1", b"1.5", b"2", b"-2.5", b"3", b"10", b"0.1", b"1e308", b"inf",
          b"-inf", b"+inf", b"nan", b"abc", b"9007199254740993", b"-0", b"1e-5", b"")
SCORE_BOUNDS = (b"-inf", b"+inf", b"inf", b"0", b"1", b"(1", b"1.5", b"(1.5", b"-1", b"(-1",
                b"2", b"(2", b"10", b"(inf", b"(-inf", b"nan", b"abc", b"((1", b"", b"3")
LEX_BOUNDS = (b"-", b"+", b"[a", b"(a", b"[b", b"(c", b"[d", b"[", b"(", b"a", b"[A", b"(1",
              b"[\xff")
TTL_GOOD = (b"1000", b"5000", b"100000")
TTL_BAD = (b"0", b"-1", b"-100", b"9223372036854775807", b"9223372036854776", b"abc", b"1.5", b"")
TTLS_S = TTL_GOOD + TTL_BAD
FUTURE_S = b"4102444800"  # 2100-01-01
ABS_S = (FUTURE_S, b"4102444801", b"1", b"0", b"-1", b"9223372036854775807", b"abc")
ABS_MS = (FUTURE_S + b"000", b"4102444800123", b"1", b"0", b"-5", b"9223372036854775807",
          b"abc")
PATTERNS = (b"*", b"s*", b"*1", b"h?", b"[a-z]*", b"z[12]", b"nomatch*", b"\\*", b"*[", b"st*",
            b"[^s]*")


# --------------------------------------------------------------------------- commands


class Cmd:
    """One command and how to compare its replies.

    ``mode``: ``exact``; ``sort`` (unordered elements); ``sortpairs`` (unordered
    field/value pairs); ``hash`` / ``hashpairs`` / ``set`` (ordered while the collection at
    ``key`` is ziplist/intset-encoded, unordered once hashtable: the encoding decides);
    ``nosort`` (SORT BY nosort: unordered when ``key`` holds a set); ``ttl`` / ``pttl``
    (integers compared with a tolerance); ``random`` (SRANDMEMBER-like: shape and
    membership); ``spop`` (shape, then Perdure is resynchronised); ``randomkey``; ``scan``
    (full iteration, the union compared); ``dump`` (DUMP payloads: exact, except hash-table
    sets and hashes, see ``test_differential.py``); ``idletime`` / ``freq`` (OBJECT IDLETIME /
    FREQ: integers compared with a tolerance).
    """

    __slots__ = ("args", "mode", "key")

    def __init__(self, args: tuple, mode: str = "exact", key: bytes | None = None):
        self.args = args
        self.mode = mode
        self.key = key

    def __eq__(self, other):
        return isinstance(other, Cmd) and (self.args, self.mode, self.key) == (other.args, other.mode, other.key)

    def __hash__(self):
        return hash((self.args, self.mode, self.key))

    def __repr__(self):
        suffix = "" if self.mode == "exact" else f"  ~{self.mode}"
        return f"<{show_args(self.args)}{suffix}>"

    @property
    def name(self) -> bytes:
        return self.args[0].upper() if self.args else b""

    def touched(self):
        if self.mode == "session":  # the acl family's AUTH + steps on a side connection
            return tuple(dict.fromkeys(k for _, step in self.key for k in step.touched()))
        if self.name in (b"SWAPDB", b"FLUSHDB", b"FLUSHALL"):
            return ALL_KEYS
        return tuple(dict.fromkeys(a for a in self.args[1:] if a in KEYSET))


class Seq(Cmd):
    """Several commands that make one step, run in order on the same connection, each reply
    compared as a command of its own, the state checked once after the last one (inside
    MULTI: each one queued).  For what one command cannot do alone: ``SELECT n ... SELECT 0``
    (a step leaves its connection in DB 0, which the state check reads), a CONFIG SET and its
    restore.  ``args``/``mode`` are the first command's (for display); use :func:`steps`."""

    __slots__ = ("cmds",)

    def __init__(self, *cmds: Cmd):
        super().__init__(cmds[0].args, cmds[0].mode, cmds[0].key)
        self.cmds = cmds

    def __eq__(self, other):
        return isinstance(other, Seq) and self.cmds == other.cmds

    def __hash__(self):
        return hash(self.cmds)

    def __repr__(self):
        return "<" + " ; ".join(repr(c)[1:-1] for c in self.cmds) + ">"

    def touched(self):
        return tuple(dict.fromkeys(k for c in self.cmds for k in c.touched()))


def steps(cmd: Cmd) -> tuple:
    """The commands of one step: a :class:`Seq`'s, or the command itself."""
    return cmd.cmds if isinstance(cmd, Seq) else (cmd,)


def C(*args, mode="exact", key=None) -> Cmd:
    return Cmd(tuple(a if isinstance(a, bytes) else str(a).encode() for a in args), mode, key)


def rare(draw, odds: int) -> bool:
    """True about once in ``odds`` draws.  Not ``== 0``: Hypothesis favours the simplest value
    (0) far more than 1/odds, which would make the rare branch a common one."""
    return draw(st.integers(0, odds - 1)) == odds // 2


def pick(draw, seq):
    return draw(st.sampled_from(seq))


def key(draw, own):
    """A key of the family's own type, or (1 in 8) any key."""
    if rare(draw, 8):
        return pick(draw, ALL_KEYS)
    return pick(draw, own)


def keys(draw, own, lo=1, hi=3):
    return [key(draw, own) for _ in range(draw(st.integers(lo, hi)))]


def idx(draw):
    """An index/count: mostly small, sometimes an edge case."""
    if rare(draw, 6):
        return pick(draw, EDGE_IDX)
    return pick(draw, SMALL_IDX)


def small_count(draw):
    """A count for commands whose work is proportional to |count| (random members...)."""
    return either(draw, SMALL_IDX + (b"20", b"-20"), (b"abc", b"-9223372036854775808", b""))


def either(draw, good, bad, odds=6):
    """Mostly a value from ``good``; one draw in ``odds`` from ``bad``."""
    return pick(draw, bad) if rare(draw, odds) else pick(draw, good)


def ttl(draw):
    return either(draw, TTL_GOOD, TTL_BAD)


def tail_of(draw, *choices):
    """One of several argument tails (tuples); the last one (an invalid one) is drawn rarely."""
    if rare(draw, 8):
        return choices[-1]
    return pick(draw, choices[:-1])


def value(draw):
    return pick(draw, VALUES)


def options(draw, pool, hi=3):
    """A random sequence of option groups (each a tuple of args), possibly repeated/invalid."""
    out = []
    for _ in range(draw(st.integers(0, hi))):
        out.extend(pick(draw, pool)(draw))
    return out


def tok(*words):
    return lambda draw: [w if isinstance(w, bytes) else w.encode() for w in words]


def opt(word, values):
    return lambda draw: [word, pick(draw, values)]


# --------------------------------------------------------------------------- strings & bitmaps

SK = STRING_KEYS

SET_OPTS = (opt(b"EX", TTLS_S), opt(b"PX", (b"1000000", b"5000000", b"0", b"-1", b"abc")),
            opt(b"EXAT", (FUTURE_S, b"0", b"abc")), opt(b"PXAT", (FUTURE_S + b"000", b"0", b"x")),
            tok("KEEPTTL"), tok("NX"), tok("XX"), tok("GET"), tok("ex"), tok("BADOPT"))
GETEX_OPTS = (opt(b"EX", TTLS_S), opt(b"PX", (b"1000000", b"0", b"abc")),
              opt(b"EXAT", (FUTURE_S, b"0")), opt(b"PXAT", (FUTURE_S + b"000", b"-1")),
              tok("PERSIST"), tok("KEEPTTL"), tok("NX"))
BF_TYPES = (b"u1", b"u8", b"i8", b"u16", b"i5", b"i64", b"u63", b"u64", b"i65", b"x8", b"i0",
            b"U8")
BF_OFFSETS = (b"0", b"1", b"7", b"8", b"13", b"100", b"#0", b"#1", b"#3", b"-1", b"abc",
              b"4294967296", b"#-1")


def _set(draw):
    """SET: mostly a valid option set in any order, sometimes a random option soup."""
    k, v = key(draw, SK), value(draw)
    if rare(draw, 4):
        return C(b"SET", k, v, *options(draw, SET_OPTS))
    exp = pick(draw, ((), (b"EX", ttl(draw)), (b"PX", either(draw, (b"1000000", b"5000000"), (b"0", b"-1", b"x"))),
                      (b"EXAT", FUTURE_S), (b"PXAT", FUTURE_S + b"000"), (b"KEEPTTL",)))
    groups = draw(st.permutations([exp, pick(draw, ((), (b"NX",), (b"XX",))), pick(draw, ((), (b"GET",)))]))
    return C(b"SET", k, v, *[a for g in groups for a in g])


def _bf_type(draw):
    return pick(draw, BF_TYPES)


BITFIELD_OPS = (
    lambda d: [b"GET", _bf_type(d), pick(d, BF_OFFSETS)],
    lambda d: [b"SET", _bf_type(d), pick(d, BF_OFFSETS), pick(d, INTS + BADNUM[:3])],
    lambda d: [b"INCRBY", _bf_type(d), pick(d, BF_OFFSETS), pick(d, INTS + BADNUM[:3])],
    lambda d: [b"OVERFLOW", pick(d, (b"WRAP", b"SAT", b"FAIL", b"sat", b"BAD"))],
)


def _bitfield(draw):
    ops = []
    for _ in range(draw(st.integers(0, 3))):
        ops.extend(pick(draw, BITFIELD_OPS)(draw))
    return C(b"BITFIELD", key(draw, SK), *ops)


def _bitfield_ro(draw):
    ops = []
    for _ in range(draw(st.integers(0, 2))):
        ops.extend(pick(draw, BITFIELD_OPS[:1] + BITFIELD_OPS[1:2])(draw))
    return C(b"BITFIELD_RO", key(draw, SK), *ops)


def _lcs(draw):
    if draw(st.booleans()):
        head = [b"KEYS", key(draw, SK), key(draw, SK)]
    else:
        head = [b"STRINGS", pick(draw, STRS[:4] + (b"ohmytext", b"mynewtext")),
                pick(draw, STRS[:4] + (b"ohmytext", b"mynewtext"))]
    tail = options(draw, (tok("LEN"), tok("IDX"), opt(b"MINMATCHLEN", (b"0", b"1", b"4", b"-1", b"x")),
                          tok("WITHMATCHLEN"), tok("BAD")), 3)
    return C(b"STRALGO", pick(draw, (b"LCS", b"lcs", b"NOPE")), *head, *tail)


BIT_INDEXES = (b"0", b"1", b"7", b"8", b"15", b"63", b"64", b"100", b"200", b"-1", b"abc",
               b"4294967296", b"4294967295000")  # GETBIT only: SETBIT's are bounded below
SETBIT_OFFSETS = (b"0", b"1", b"7", b"8", b"15", b"63", b"64", b"100", b"200", b"-1", b"abc",
                  b"4294967296")

STRING_GENS = (
    _set,
    lambda d: C(b"SET", key(d, SK), value(d)),
    lambda d: C(b"GET", key(d, SK)),
    lambda d: C(b"GETSET", key(d, SK), value(d)),
    lambda d: C(b"GETDEL", key(d, SK)),
    lambda d: C(b"GETEX", key(d, SK), *options(d, GETEX_OPTS, 2)),
    lambda d: C(b"SETNX", key(d, SK), value(d)),
    lambda d: C(b"SETEX", key(d, SK), ttl(d), value(d)),
    lambda d: C(b"PSETEX", key(d, SK), pick(d, (b"1000000", b"0", b"-5", b"abc")), value(d)),
    lambda d: C(b"MSET", *[x for _ in range(d(st.integers(1, 3))) for x in (key(d, SK), value(d))]),
    lambda d: C(b"MSETNX", *[x for _ in range(d(st.integers(1, 3))) for x in (key(d, SK), value(d))]),
    lambda d: C(b"MGET", *keys(d, SK)),
    lambda d: C(b"APPEND", key(d, SK), value(d)),
    lambda d: C(b"STRLEN", key(d, SK)),
    lambda d: C(pick(d, (b"GETRANGE", b"SUBSTR")), key(d, SK), idx(d), idx(d)),
    lambda d: C(b"SETRANGE", key(d, SK), pick(d, (b"0", b"1", b"3", b"10", b"100", b"-1", b"abc",
                                                   b"536870912")),
                pick(d, (b"", b"x", b"hello") + STRS[:3])),
    lambda d: C(pick(d, (b"INCR", b"DECR")), key(d, SK)),
    lambda d: C(pick(d, (b"INCRBY", b"DECRBY")), key(d, SK), pick(d, INTS + BADNUM[:4] + (b"1.5",))),
    lambda d: C(b"INCRBYFLOAT", key(d, SK), pick(d, INTS[:10] + FLOATS + BADNUM[:4])),
    _lcs,
    lambda d: C(b"SETBIT", key(d, SK), pick(d, SETBIT_OFFSETS), pick(d, (b"0", b"1", b"2", b"-1", b"a"))),
    lambda d: C(b"GETBIT", key(d, SK), pick(d, BIT_INDEXES)),
    lambda d: C(b"BITCOUNT", key(d, SK), *pick(d, ((), (idx(d), idx(d)), (idx(d),),
                                                  (idx(d), idx(d), pick(d, (b"BIT", b"BYTE")))))),
    lambda d: C(b"BITPOS", key(d, SK), pick(d, (b"0", b"1", b"2", b"x")),
                *[idx(d) for _ in range(d(st.integers(0, 2)))]),
    lambda d: C(b"BITOP", pick(d, (b"AND", b"OR", b"XOR", b"NOT", b"and", b"NAND")), key(d, SK),
                *keys(d, SK, 1, 3)),
    _bitfield,
    _bitfield_ro,
)

# --------------------------------------------------------------------------- keys & expire

AK = ALL_KEYS


def _copy(draw):
    extra = options(draw, (opt(b"DB", (b"0", b"1", b"abc", b"-1", b"16")), tok("REPLACE"), tok("BAD")), 2)
    return C(b"COPY", key(draw, AK), key(draw, AK), *extra)


def _scan(draw):
    extra = options(draw, (opt(b"MATCH", PATTERNS),
                           lambda d: [b"COUNT", either(d, (b"1", b"2", b"10", b"1000"), (b"0", b"-1", b"x"))],
                           opt(b"TYPE", (b"string", b"hash", b"list", b"set", b"zset", b"stream", b"nosuch",
                                         b"STRING"))), 3)
    cursor = either(draw, (b"0",), (b"abc", b" 0", b"18446744073709551616"))
    return C(b"SCAN", cursor, *extra, mode="scan")


SORT_OPTS = (
    opt(b"BY", (b"nosort", b"s*", b"h*->f1", b"nokey*", b"s1")),
    lambda d: [b"LIMIT", idx(d), idx(d)],
    opt(b"GET", (b"#", b"s*", b"h*->f1", b"h*->", b"nokey*")),
    tok("ASC"), tok("DESC"), tok("ALPHA"),
    opt(b"STORE", STRING_KEYS + LIST_KEYS + (b"x",)),
    tok("BAD"),
)


def _sort(draw):
    k = key(draw, LIST_KEYS + SET_KEYS + ZSET_KEYS)
    opts = options(draw, SORT_OPTS, 4)
    # ALPHA with BY compares missing weights as equal: Redis's unstable pqsort order then
    # depends on its algorithm, not on the data, so that combination is left out.
    if b"BY" in opts and b"ALPHA" in opts:
        opts = [o for o in opts if o != b"ALPHA"]
    by_nosort = any(opts[i] == b"BY" and b"*" not in opts[i + 1] for i in range(len(opts) - 1))
    return C(pick(draw, (b"SORT", b"SORT", b"SORT_RO")), k, *opts,
             mode="nosort" if by_nosort else "exact", key=k)


KEY_GENS = (
    lambda d: C(pick(d, (b"DEL", b"UNLINK", b"EXISTS", b"TOUCH")), *keys(d, AK)),
    lambda d: C(b"TYPE", key(d, AK)),
    lambda d: C(pick(d, (b"RENAME", b"RENAMENX")), key(d, AK), key(d, AK)),
    _copy,
    lambda d: C(b"MOVE", key(d, AK), pick(d, (b"1", b"0", b"16", b"abc"))),
    lambda d: C(b"EXPIRE", key(d, AK), either(d, TTL_GOOD + (b"0", b"-1"), TTL_BAD, 3)),
    lambda d: C(b"PEXPIRE", key(d, AK), pick(d, (b"1000000", b"100000000", b"0", b"-1", b"abc",
                                                 b"9223372036854775807"))),
    lambda d: C(b"EXPIREAT", key(d, AK), pick(d, ABS_S)),
    lambda d: C(b"PEXPIREAT", key(d, AK), pick(d, ABS_MS)),
    lambda d: C(b"TTL", key(d, AK), mode="ttl"),
    lambda d: C(b"PTTL", key(d, AK), mode="pttl"),
    lambda d: C(b"PERSIST", key(d, AK)),
    lambda d: C(b"KEYS", pick(d, PATTERNS), mode="sort"),
    lambda d: C(b"DBSIZE"),
    lambda d: C(b"RANDOMKEY", mode="randomkey"),
    _scan,
    _sort,
    lambda d: C(b"OBJECT", pick(d, (b"ENCODING", b"encoding", b"FREQ", b"NOPE")), key(d, AK)),
    lambda d: C(b"SWAPDB", pick(d, (b"0", b"1")), pick(d, (b"1", b"0", b"16", b"x"))),
)

RARE_KEY_GENS = (
    lambda d: C(pick(d, (b"FLUSHDB", b"FLUSHALL")), *pick(d, ((), (b"ASYNC",), (b"SYNC",), (b"BAD",)))),
)

# --------------------------------------------------------------------------- hashes

HK = HASH_KEYS


def _hfield_values(draw, lo=1, hi=3):
    return [x for _ in range(draw(st.integers(lo, hi))) for x in (pick(draw, FIELDS), value(draw))]


def _hscan(draw):
    extra = options(draw, (opt(b"MATCH", (b"*", b"f*", b"*1", b"[a-f]?", b"x*")),
                           opt(b"COUNT", (b"1", b"2", b"100", b"0", b"x"))), 2)
    k = key(draw, HK)
    return C(b"HSCAN", k, pick(draw, (b"0", b"0", b"x")), *extra, mode="scan", key=k)


def _hrandfield(draw):
    k = key(draw, HK)
    n = small_count(draw)
    tail = tail_of(draw, (), (n,), (n, b"WITHVALUES"), (n, b"BAD"))
    return C(b"HRANDFIELD", k, *tail, mode="random", key=k)


def _hread(draw, name, mode):
    k = key(draw, HK)
    return C(name, k, mode=mode, key=k)


HASH_GENS = (
    lambda d: C(b"HSET", key(d, HK), *_hfield_values(d)),
    lambda d: C(b"HMSET", key(d, HK), *_hfield_values(d)),
    lambda d: C(b"HSETNX", key(d, HK), pick(d, FIELDS), value(d)),
    lambda d: C(b"HGET", key(d, HK), pick(d, FIELDS)),
    lambda d: C(b"HMGET", key(d, HK), *[pick(d, FIELDS) for _ in range(d(st.integers(1, 3)))]),
    lambda d: C(b"HDEL", key(d, HK), *[pick(d, FIELDS) for _ in range(d(st.integers(1, 3)))]),
    lambda d: C(b"HLEN", key(d, HK)),
    lambda d: C(b"HSTRLEN", key(d, HK), pick(d, FIELDS)),
    lambda d: C(b"HEXISTS", key(d, HK), pick(d, FIELDS)),
    lambda d: _hread(d, b"HKEYS", "hash"),
    lambda d: _hread(d, b"HVALS", "hash"),
    lambda d: _hread(d, b"HGETALL", "hashpairs"),
    lambda d: C(b"HINCRBY", key(d, HK), pick(d, FIELDS), pick(d, INTS + BADNUM[:3] + (b"1.5",))),
    lambda d: C(b"HINCRBYFLOAT", key(d, HK), pick(d, FIELDS), pick(d, INTS[:10] + FLOATS + BADNUM[:3])),
    _hrandfield,
    _hscan,
)

# --------------------------------------------------------------------------- lists

LK = LIST_KEYS
SIDES = (b"LEFT", b"RIGHT", b"left", b"UP")


def _lpos(draw):
    extra = options(draw, (lambda d: [b"RANK", either(d, (b"1", b"2", b"-1", b"-2"), (b"0", b"x", b"-9223372036854775808"))],
                           lambda d: [b"COUNT", either(d, (b"0", b"1", b"2"), (b"-1", b"x"))],
                           lambda d: [b"MAXLEN", either(d, (b"0", b"1", b"3"), (b"-1", b"x"))]), 3)
    if rare(draw, 10):
        extra.append(b"BAD")
    return C(b"LPOS", key(draw, LK), pick(draw, ELEMS), *extra)


LIST_GENS = (
    lambda d: C(pick(d, (b"LPUSH", b"RPUSH")), key(d, LK), *[pick(d, ELEMS) for _ in range(d(st.integers(1, 4)))]),
    lambda d: C(pick(d, (b"LPUSHX", b"RPUSHX")), key(d, LK), *[pick(d, ELEMS) for _ in range(d(st.integers(1, 2)))]),
    lambda d: C(pick(d, (b"LPOP", b"RPOP")), key(d, LK), *pick(d, ((), (idx(d),)))),
    lambda d: C(b"LLEN", key(d, LK)),
    lambda d: C(b"LINDEX", key(d, LK), idx(d)),
    lambda d: C(b"LSET", key(d, LK), idx(d), pick(d, ELEMS)),
    lambda d: C(b"LRANGE", key(d, LK), idx(d), idx(d)),
    lambda d: C(b"LTRIM", key(d, LK), idx(d), idx(d)),
    lambda d: C(b"LREM", key(d, LK), idx(d), pick(d, ELEMS)),
    lambda d: C(b"LINSERT", key(d, LK), pick(d, (b"BEFORE", b"AFTER", b"after", b"MIDDLE")),
                pick(d, ELEMS), pick(d, ELEMS)),
    _lpos,
    lambda d: C(b"LMOVE", key(d, LK), key(d, LK), pick(d, SIDES), pick(d, SIDES)),
    lambda d: C(b"RPOPLPUSH", key(d, LK), key(d, LK)),
)

# Blocking variants: only inside MULTI, where they never block.
LIST_TX_GENS = (
    lambda d: C(pick(d, (b"BLPOP", b"BRPOP")), *keys(d, LK, 1, 2), pick(d, (b"0", b"0.01", b"-1", b"x"))),
    lambda d: C(b"BLMOVE", key(d, LK), key(d, LK), pick(d, SIDES[:2]), pick(d, SIDES[:2]), b"0"),
    lambda d: C(b"BRPOPLPUSH", key(d, LK), key(d, LK), b"0"),
)

# --------------------------------------------------------------------------- sets

TK = SET_KEYS


def _members(draw, lo=1, hi=3):
    return [pick(draw, SET_MEMBERS) for _ in range(draw(st.integers(lo, hi)))]


def _random_set(draw, name, mode):
    k = key(draw, TK)
    return C(name, k, *pick(draw, ((), (small_count(draw),))), mode=mode, key=k)


def _sscan(draw):
    extra = options(draw, (opt(b"MATCH", (b"*", b"1*", b"*0*", b"[a-c]", b"x*")),
                           opt(b"COUNT", (b"1", b"2", b"100", b"0", b"x"))), 2)
    k = key(draw, TK)
    return C(b"SSCAN", k, pick(draw, (b"0", b"0", b"x")), *extra, mode="scan", key=k)


SET_GENS = (
    lambda d: C(b"SADD", key(d, TK), *_members(d, 1, 4)),
    lambda d: C(b"SADD", key(d, TK), *_members(d, 1, 4)),
    lambda d: C(b"SREM", key(d, TK), *_members(d)),
    lambda d: C(b"SCARD", key(d, TK)),
    lambda d: C(b"SISMEMBER", key(d, TK), pick(d, SET_MEMBERS)),
    lambda d: C(b"SMISMEMBER", key(d, TK), *_members(d)),
    lambda d: (lambda k: C(b"SMEMBERS", k, mode="set", key=k))(key(d, TK)),
    lambda d: C(b"SMOVE", key(d, TK), key(d, TK), pick(d, SET_MEMBERS)),
    lambda d: C(pick(d, (b"SINTER", b"SUNION", b"SDIFF")), *keys(d, TK), mode="sort"),
    lambda d: C(pick(d, (b"SINTERSTORE", b"SUNIONSTORE", b"SDIFFSTORE")), key(d, TK), *keys(d, TK)),
    lambda d: _random_set(d, b"SPOP", "spop"),
    lambda d: _random_set(d, b"SRANDMEMBER", "random"),
    _sscan,
)

# --------------------------------------------------------------------------- sorted sets

ZK = ZSET_KEYS
ZADD_FLAGS = (b"NX", b"XX", b"GT", b"LT", b"CH", b"INCR", b"nx")


def _zadd(draw):
    flags = [pick(draw, ZADD_FLAGS) for _ in range(draw(st.integers(0, 2)))]
    pairs = [x for _ in range(draw(st.integers(1, 3))) for x in (pick(draw, SCORES), pick(draw, ZMEMBERS))]
    return C(b"ZADD", key(draw, ZK), *flags, *pairs)


def _zrange(draw):
    """ZRANGE: mostly a consistent form (by index / BYSCORE / BYLEX with matching bounds)."""
    k = key(draw, ZK)
    if rare(draw, 5):
        lo, hi = pick(draw, SMALL_IDX + SCORE_BOUNDS + LEX_BOUNDS), pick(draw, SMALL_IDX + SCORE_BOUNDS + LEX_BOUNDS)
        extra = options(draw, (tok("BYSCORE"), tok("BYLEX"), tok("REV"), tok("WITHSCORES"),
                               lambda d: [b"LIMIT", idx(d), idx(d)], tok("BAD")), 3)
        return C(b"ZRANGE", k, lo, hi, *extra)
    kind = draw(st.integers(0, 2))
    rev = pick(draw, ((), (b"REV",)))
    limit = () if kind == 0 else pick(draw, ((), (b"LIMIT", idx(draw), idx(draw))))
    if kind == 0:
        lo, hi, by = idx(draw), idx(draw), ()
    elif kind == 1:
        lo, hi, by = pick(draw, SCORE_BOUNDS[:14]), pick(draw, SCORE_BOUNDS[:14]), (b"BYSCORE",)
    else:
        lo, hi, by = pick(draw, LEX_BOUNDS[:9]), pick(draw, LEX_BOUNDS[:9]), (b"BYLEX",)
    withscores = () if kind == 2 else pick(draw, ((), (b"WITHSCORES",)))
    groups = draw(st.permutations([by, rev, limit, withscores]))
    return C(b"ZRANGE", k, lo, hi, *[a for g in groups for a in g])


def _zrangestore(draw):
    z = _zrange(draw)
    args = [a for a in z.args[1:] if a != b"WITHSCORES"]
    return C(b"ZRANGESTORE", key(draw, ZK), *args)


def _zrange_by(draw):
    name = pick(draw, (b"ZRANGEBYSCORE", b"ZREVRANGEBYSCORE", b"ZRANGEBYLEX", b"ZREVRANGEBYLEX"))
    bounds = SCORE_BOUNDS if b"SCORE" in name else LEX_BOUNDS
    extra = options(draw, (tok("WITHSCORES"), lambda d: [b"LIMIT", idx(d), idx(d)], tok("BAD")), 2)
    return C(name, key(draw, ZK), pick(draw, bounds), pick(draw, bounds), *extra)


def _zsetop(draw):
    name = pick(draw, (b"ZUNION", b"ZINTER", b"ZDIFF", b"ZUNIONSTORE", b"ZINTERSTORE", b"ZDIFFSTORE"))
    ks = keys(draw, ZK + SET_KEYS, 1, 3)
    numkeys = pick(draw, (str(len(ks)).encode(),) * 4 + (b"0", b"-1", b"x", str(len(ks) + 1).encode()))
    extra = options(draw, (
        lambda d: [b"WEIGHTS", *[pick(d, (b"1", b"2", b"-1", b"0", b"1.5", b"inf", b"-inf", b"nan", b"x"))
                                 for _ in range(len(ks))]],
        opt(b"AGGREGATE", (b"SUM", b"MIN", b"MAX", b"sum", b"AVG")),
        tok("WITHSCORES"), tok("BAD")), 2)
    head = [name] + ([key(draw, ZK)] if name.endswith(b"STORE") else [])
    return C(*head, numkeys, *ks, *extra)


def _zrandmember(draw):
    k = key(draw, ZK)
    n = small_count(draw)
    tail = tail_of(draw, (), (n,), (n, b"WITHSCORES"), (n, b"BAD"))
    return C(b"ZRANDMEMBER", k, *tail, mode="random", key=k)


def _zscan(draw):
    extra = options(draw, (opt(b"MATCH", (b"*", b"a*", b"[a-c]", b"x*")),
                           opt(b"COUNT", (b"1", b"2", b"100", b"0", b"x"))), 2)
    k = key(draw, ZK)
    return C(b"ZSCAN", k, pick(draw, (b"0", b"0", b"x")), *extra, mode="scan", key=k)


ZSET_GENS = (
    _zadd,
    _zadd,
    lambda d: C(b"ZINCRBY", key(d, ZK), pick(d, SCORES), pick(d, ZMEMBERS)),
    lambda d: C(b"ZREM", key(d, ZK), *[pick(d, ZMEMBERS) for _ in range(d(st.integers(1, 3)))]),
    lambda d: C(b"ZCARD", key(d, ZK)),
    lambda d: C(b"ZSCORE", key(d, ZK), pick(d, ZMEMBERS)),
    lambda d: C(b"ZMSCORE", key(d, ZK), *[pick(d, ZMEMBERS) for _ in range(d(st.integers(1, 3)))]),
    lambda d: C(pick(d, (b"ZRANK", b"ZREVRANK")), key(d, ZK), pick(d, ZMEMBERS)),
    lambda d: C(b"ZCOUNT", key(d, ZK), pick(d, SCORE_BOUNDS), pick(d, SCORE_BOUNDS)),
    lambda d: C(b"ZLEXCOUNT", key(d, ZK), pick(d, LEX_BOUNDS), pick(d, LEX_BOUNDS)),
    _zrange,
    _zrange,
    lambda d: C(pick(d, (b"ZREVRANGE",)), key(d, ZK), idx(d), idx(d), *pick(d, ((), (b"WITHSCORES",), (b"X",)))),
    _zrange_by,
    _zrangestore,
    lambda d: C(b"ZREMRANGEBYRANK", key(d, ZK), idx(d), idx(d)),
    lambda d: C(b"ZREMRANGEBYSCORE", key(d, ZK), pick(d, SCORE_BOUNDS), pick(d, SCORE_BOUNDS)),
    lambda d: C(b"ZREMRANGEBYLEX", key(d, ZK), pick(d, LEX_BOUNDS), pick(d, LEX_BOUNDS)),
    lambda d: C(pick(d, (b"ZPOPMIN", b"ZPOPMAX")), key(d, ZK), *pick(d, ((), (idx(d),)))),
    _zsetop,
    _zsetop,
    _zrandmember,
    _zscan,
)

ZSET_TX_GENS = (
    lambda d: C(pick(d, (b"BZPOPMIN", b"BZPOPMAX")), *keys(d, ZK, 1, 2), pick(d, (b"0", b"0.5", b"-1", b"x"))),
)

# --------------------------------------------------------------------------- transactions (stray)

TX_GENS = (
    lambda d: C(b"EXEC"),
    lambda d: C(b"DISCARD"),
    lambda d: C(b"UNWATCH"),
    lambda d: C(b"WATCH", *keys(d, AK, 1, 2)),
)

FAMILIES = {
    "strings": STRING_GENS,
    "keys": KEY_GENS,
    "hashes": HASH_GENS,
    "lists": LIST_GENS,
    "sets": SET_GENS,
    "zsets": ZSET_GENS,
}
# extra generators of a family for inside MULTI only (blocking commands, which never block there)
TX_EXTRA = {"lists": LIST_TX_GENS, "zsets": ZSET_TX_GENS}
# type name (TYPE's reply) -> function(key) -> the Cmd that reads a key's whole content, for the
# state check after every step (test_differential.check_keys); the built-in types are there
CONTENT_READS: dict = {}


# command name -> Cmds compared on both servers after every step that ran that command: a
# family's state that lives outside the keys (the acl family: ACL LIST after every ACL ...)
STATE_READS: dict = {}
# commands run on both servers before every example: a family's state that FLUSHALL keeps
RESETS: list = []
# mode -> function(machine, proto, cmd) that runs a step of that mode itself (a family's steps
# on connections of its own); such steps are never queued inside MULTI nor used as WATCH meddling
RUNNERS: dict = {}
# functions(machine) called after every step (each command of run_commands, each transaction):
# a family's out-of-band checks, e.g. messages pushed to its own connections, drained and compared
AFTER_STEP: list = []
# functions(machine) called when an example ends (Hypothesis's teardown): close those connections
TEARDOWNS: list = []


def register(name: str, gens: tuple, tx_gens: tuple = (), content: dict | None = None,
             keys: tuple = (), state: dict | None = None, reset: tuple = (),
             runners: dict | None = None, after_step=None, teardown=None) -> None:
    """Add a family: ``gens`` as in FAMILIES, ``tx_gens`` as in TX_EXTRA, ``content`` as in
    CONTENT_READS, ``keys`` its own key names (added to ALL_KEYS/KEYSET, so that commands on
    them are state-checked, other families' stray draws and WATCH reach them), ``state`` as in
    STATE_READS, ``reset`` as in RESETS, ``runners`` as in RUNNERS, ``after_step`` (added to
    AFTER_STEP), ``teardown`` (added to TEARDOWNS).  Called by the ``family_*.py`` modules of
    this package, which are all imported at the end of this module."""
    global ALL_KEYS, KEYSET, NONDETERMINISTIC_MODES
    FAMILIES[name] = gens
    if runners:
        RUNNERS.update(runners)
        NONDETERMINISTIC_MODES += tuple(runners)
    if after_step is not None:
        AFTER_STEP.append(after_step)
    if teardown is not None:
        TEARDOWNS.append(teardown)
    for cmd_name, reads in (state or {}).items():
        STATE_READS[cmd_name] = STATE_READS.get(cmd_name, ()) + tuple(reads)
    RESETS.extend(reset)
    if keys:
        ALL_KEYS = ALL_KEYS + tuple(k for k in keys if k not in KEYSET)
        KEYSET = frozenset(ALL_KEYS)
    if tx_gens:
        TX_EXTRA[name] = tx_gens
    if content:
        CONTENT_READS.update(content)

# replies compared by more than element-wise equality (and ``session``: several commands on a
# side connection; ``freq`` and ``nomulti``, exact outside MULTI, see test_differential.py):
# never queued inside MULTI nor used as WATCH meddling
NONDETERMINISTIC_MODES = ("random", "spop", "randomkey", "scan", "session", "freq", "nomulti")


# --------------------------------------------------------------------------- strategies


def _mutate_arity(draw, cmd: Cmd, odds: int = 40) -> Cmd:
    """About 2 in ``odds``: drop the last argument or append a junk one."""
    roll = draw(st.integers(0, odds - 1))
    if roll == odds // 2 and len(cmd.args) > 1:
        return Cmd(cmd.args[:-1], cmd.mode, cmd.key)
    if roll == odds // 2 + 1:
        return Cmd(cmd.args + (pick(draw, (b"x", b"1", b"s1")),), cmd.mode, cmd.key)
    return cmd


@st.composite
def command(draw, families=None, in_multi=False, deterministic=False, stray_tx=False):
    """Any command of the given families (all by default).

    ``in_multi``: to be queued inside MULTI (adds the blocking commands, which never block
    there); ``in_multi`` or ``deterministic``: no command whose reply is random (those are
    replaced by an EXISTS of their keys), since these replies are compared as they are;
    ``stray_tx``: sometimes EXEC/DISCARD/WATCH/UNWATCH outside MULTI.
    """
    if stray_tx and rare(draw, 15):
        return pick(draw, TX_GENS)(draw)
    fams = families or SELECTED or tuple(FAMILIES)
    fam = pick(draw, fams)
    gens = FAMILIES[fam]
    if in_multi:
        extra = TX_EXTRA.get(fam, ())
        gens = gens + extra
    if fam == "keys" and rare(draw, 20):
        gens = RARE_KEY_GENS
    cmd = pick(draw, gens)(draw)
    if cmd.mode in RUNNERS:  # a family's own step (its generator decides its arguments)
        return _deterministic(cmd) if in_multi or deterministic else cmd
    if isinstance(cmd, Seq):  # its generator breaks the arity of the commands it chooses
        if in_multi or deterministic:
            cmd = Seq(*(_deterministic(c) for c in cmd.cmds))
        return cmd
    if in_multi or deterministic:
        cmd = _deterministic(cmd)
    return _mutate_arity(draw, cmd, 120 if in_multi else 40)


def _deterministic(cmd: Cmd) -> Cmd:
    """Inside MULTI, replies are compared element-wise only: a command whose reply is random
    is swapped for a deterministic read of its keys."""
    if cmd.mode in NONDETERMINISTIC_MODES:
        return C(b"EXISTS", *(cmd.touched() or (b"x",)))
    return cmd


@st.composite
def tx_command(draw):
    """A command queued inside MULTI: mostly regular ones, sometimes a transaction misuse."""
    if rare(draw, 25):
        return pick(draw, (C(b"MULTI"), C(b"WATCH", b"s1"), C(b"NOSUCHCOMMAND", b"a"), C(b"GET")))
    return draw(command(in_multi=True))


# --------------------------------------------------------------------------- more families

def _load_families() -> tuple:
    """Import every ``family_*.py`` module of this package (each calls :func:`register`), then
    the families ``PERDURE_FUZZ_FAMILIES`` (comma-separated names) restricts the fuzzer to:
    empty means all of them."""
    import importlib
    import os
    import pkgutil

    for m in sorted(pkgutil.iter_modules([os.path.dirname(__file__)]),
                    key=lambda m: m.name):
        if m.name.startswith("family_"):
            importlib.import_module(f"{__package__}.{m.name}")
    want = tuple(f.strip() for f in os.environ.get("PERDURE_FUZZ_FAMILIES", "").split(",") if f.strip())
    unknown = [f for f in want if f not in FAMILIES]
    if unknown:
        raise ValueError(f"PERDURE_FUZZ_FAMILIES: no such family {unknown}; there are {sorted(FAMILIES)}")
    return want


SELECTED = _load_families()

