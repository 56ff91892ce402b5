"""Differential generators for databases, DUMP/RESTORE, OBJECT and CONFIG (family ``dbs``).

Keys ``d1``..``d3`` hold a value of any type (strings int/embstr/raw, lists, intset and
hash-table sets, ziplist and hash-table hashes, ziplist and skiplist sorted sets, streams
with consumer groups), made by their own commands or RESTOREd from :data:`PAYLOADS`, DUMP
payloads Redis 6.2.14 produced (so every RESTORE of them checks that Perdure reads Redis's
format; every DUMP, compared in the ``dump`` mode, that Redis reads Perdure's).

* Databases: ``SELECT n ... SELECT 0`` steps (a :class:`~.commands.Seq`: a few commands of
  this family run in db 1 or 2, then ``KEYS *``, ``DUMP`` and ``PTTL`` of the family's keys
  there, compared, and the connection back in db 0, which the state check reads), SELECT
  of bad indexes, MOVE, SWAPDB, COPY ... DB n [REPLACE], FLUSHDB [ASYNC|SYNC], DBSIZE,
  RANDOMKEY, EXISTS/TOUCH/UNLINK/TYPE.  Dbs 0-2 are used; SWAPDB/FLUSHDB of db 0 are rare
  (they empty the other families' keys).
* DUMP / RESTORE: ttl 0, a relative one of a day, absolute ones (ABSTTL) in the past or in
  2100, negative / not a number; REPLACE, IDLETIME, FREQ, unknown options, BUSYKEY; corrupt
  payloads (bad CRC, RDB version 10, truncated, too short, a valid CRC over a bad body).
* OBJECT ENCODING/REFCOUNT/IDLETIME/FREQ/HELP: IDLETIME within 2 s (the ``idletime``
  mode); FREQ under an LFU policy in a ``Seq`` that sets ``maxmemory-policy`` and puts it
  back (the ``freq`` mode), and its error without one.
* CONFIG GET of patterns whose parameters have equal values on both servers; CONFIG SET of a
  pool of parameters (booleans, integers, memory values with units, enums, special ones,
  read-only and unknown names), valid and invalid values, each in a ``Seq`` with a CONFIG
  GET and the value that was there before (``SMALL_CONFIG``'s for the encoding limits).

Nothing is timing-dependent: TTLs are a day or more (compared within PTTL's tolerance), or
in the past; no XADD ``*``, no consumers (their seen-time is the clock).
"""

from __future__ import annotations

from hypothesis import strategies as st

from . import commands as K
from .commands import INTS, LONG, SMALL_CONFIG, STRS, C, Seq, either, opt, options, pick, rare, register, tok

DK = (b"d1", b"d2", b"d3")
DBS = (b"0", b"1", b"2")
BAD_DBS = (b"16", b"-1", b"abc", b"", b"2147483648", b"1.5", b" 1", b"01")

# DUMP payloads from Redis 6.2.14 (hash-max-ziplist-entries, zset-max-ziplist-entries and
# set-max-intset-entries 4, as SMALL_CONFIG): the value, RDB version 9, CRC64.
PAYLOADS = {
    "int": bytes.fromhex("00c00c0900ecd8a99d0882df64"),
    "bigint": bytes.fromhex("00142d3932323333373230333638353437373538303809003d10e89abff6fd30"),
    "embstr": bytes.fromhex("000568656c6c6f0900b3808eba31b243bb"),
    "lzf": bytes.fromhex("00c30a407802616261e06a010161620900627a214007817563"),
    "raw": bytes.fromhex("003221282f363d444b525960676e75222930373e454c535a61686f76232a31383f464d545b62"
                         "697077242b323940474e555c636a090025b1b914f53391b0"),
    "empty": bytes.fromhex("000009008d690d8c5bf9c16b"),
    "list": bytes.fromhex("0e01161600000012000000040000016103f202016203fefbff09000ec761d0937ae32f"),
    "biglist": bytes.fromhex(
        "0e01c3409040e004e0000000962003091f0000026530040265312003003220030033200300342003003520"
        "030036200300372003003820030639040365313005200400314004003240040033400400344004003540"
        "040036400400374004003840040039200400324031003240310032403100324031003240310032403100"
        "324031003240310032403105323905404678e03b000178ff0900605e68db38a07d70"),
    "intset": bytes.fromhex("0b0e0200000003000000fbff01000200090099dcbca29481ef5e"),
    "set": bytes.fromhex("0205c001016301610162c00209002d6906ab14c72867"),
    "zhash": bytes.fromhex("0d191900000016000000040000026631040276310402663204f3ff090032ca532497c64ae2"),
    "hash": bytes.fromhex("04050266330178026632c0020266340179026631027631026635017a09006624f6c8c7344c62"),
    "zzset": bytes.fromhex("0c21210000001b000000060000016303042d696e6606016103f20201620303322e35ff0900"
                           "640b5f2f70bc3944"),
    "zset": bytes.fromhex("0505c3094046017878e0390001787800000000000014400164000000000000104001630000"
                          "000000000840016200000000000004400161000000000000f03f0900a24e1745c8ad8f3a"),
    "stream": bytes.fromhex(
        "0f011000000000000000010000000000000001333300000013000201000101018166020001020100010001"
        "817602040100010101dfff02020181660281770281670201010801ff0202000103677270000000000900f5"
        "0a594e754871de"),
}


def _crc64(data: bytes) -> int:
    """Redis's CRC64 (Jones polynomial, reflected), to build payloads with a valid footer."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x95AC9329AC4BC9B5 if crc & 1 else 0)
    return crc


def _payload(body: bytes, version: int = 9) -> bytes:
    """A DUMP payload around ``body`` (type byte + value) with a correct CRC."""
    head = body + version.to_bytes(2, "little")
    return head + _crc64(head).to_bytes(8, "little")


GOOD = tuple(PAYLOADS.values())
assert all(_payload(p[:-10]) == p for p in GOOD), "the CRC64 above is not Redis's"
BAD_PAYLOADS = (
    PAYLOADS["int"][:-1] + b"\x00",                        # CRC off
    PAYLOADS["list"][:-3],                                 # truncated
    _payload(PAYLOADS["embstr"][:-10], version=10),        # RDB 10: newer than 6.2's
    _payload(PAYLOADS["embstr"][:-10], version=8),         # RDB 8: older, accepted
    _payload(b"\x00\x0ahello"),                            # string shorter than its length
    _payload(b"\x07\x00"),                                 # module type
    _payload(b"\x63abc"),                                  # unknown type
    _payload(PAYLOADS["zhash"][:-14]),                     # ziplist cut short
    _payload(b"\x02\x00"),                                 # empty set
    _payload(PAYLOADS["zset"][:-10] + b"trailing"),        # bytes after the value
    b"", b"\x00", b"garbage!!!", b"\x00" * 10,
)


# well-formed encodings with bad content, refused by sanitize-dump-payload yes (without it
# Redis takes them and may crash on them later: only restored under it, see _sanitized)
INSANE_PAYLOADS = (
    _payload(PAYLOADS["zhash"][:-10].replace(b"\x02f2", b"\x02f1")),                # a field twice
    _payload(PAYLOADS["intset"][:-10].replace(bytes.fromhex("fbff01000200"),
                                               bytes.fromhex("fbff02000100"))),  # unsorted
    _payload(PAYLOADS["intset"][:-10].replace(bytes.fromhex("fbff01000200"),
                                               bytes.fromhex("fbff01000100"))),  # a member twice
    _payload(PAYLOADS["zzset"][:-10].replace(b"\x01b", b"\x01a")),                  # a member twice
)


def dkey(draw):
    """One of the family's keys, or (1 in 8) any key."""
    return K.key(draw, DK)


def db(draw):
    return either(draw, DBS, BAD_DBS, 8)


# --------------------------------------------------------------------------- values


# list/hash/zset elements: integers of every ziplist width (and beyond int64), strings of
# every ziplist length class (6-bit, 14-bit), compressible and not
ELEMS = (b"a", b"1", b"-5", b"127", b"-129", b"32767", b"-32769", b"8388607", b"8388608", b"2147483647",
         b"-2147483649", b"9223372036854775807", b"-9223372036854775808", b"9223372036854775808", b"007",
         b"-0", b"", b"1.5", LONG, b"b" * 30, b"q" * 63, b"\x00\xff", b"12345678901234567890")


def _elems(draw, lo=1, hi=5):
    return draw(st.lists(st.sampled_from(ELEMS), min_size=lo, max_size=hi))


def _create(draw):
    k = dkey(draw)
    kind = draw(st.integers(0, 7))
    if kind == 0:
        return C(b"SET", k, pick(draw, INTS + STRS + (b"", b"e" * 44, b"e" * 45)))
    if kind == 1:
        return C(pick(draw, (b"RPUSH", b"LPUSH")), k, *_elems(draw))
    if kind == 2:
        return C(b"SADD", k, *draw(st.lists(st.sampled_from((b"1", b"2", b"-3", b"70000", b"4294967296",
                                                            b"a", b"b")), min_size=1, max_size=5)))
    if kind == 3:
        pairs = draw(st.lists(st.tuples(st.sampled_from((b"f1", b"f2", b"f3", b"f4", b"f5", b"-7", b"32768")),
                                        st.sampled_from(ELEMS)), min_size=1, max_size=4))
        return C(b"HSET", k, *(x for pair in pairs for x in pair))
    if kind == 4:
        pairs = draw(st.lists(st.tuples(st.sampled_from((b"1", b"2.5", b"-inf", b"inf", b"0", b"-0", b"1e10",
                                                         b"0.1", b"1e308", b"5e-324", b"-1.5", b"123456789")),
                                        st.sampled_from(ELEMS)),
                              min_size=1, max_size=4))
        return C(b"ZADD", k, *(x for pair in pairs for x in pair))
    if kind == 5:
        return C(b"XADD", k, pick(draw, (b"1-1", b"2-0", b"5-5", b"100-0")),
                 pick(draw, (b"f", b"g")), pick(draw, (b"1", b"v", LONG)))
    if kind == 6:
        return C(b"XGROUP", b"CREATE", k, pick(draw, (b"g1", b"g2")), pick(draw, (b"0", b"$", b"1-1")),
                 *pick(draw, ((), (b"MKSTREAM",))))
    return C(b"APPEND", k, pick(draw, (b"x", b"12", LONG)))


def _restore_payload(draw):
    return pick(draw, BAD_PAYLOADS) if rare(draw, 5) else pick(draw, GOOD)


# absolute ms: in the past (the key is not created / deleted) or in 2100
ABS_TTLS = (b"1", b"1000", b"4102444800000", b"4102444800123")
REL_TTLS = (b"0", b"0", b"86400000", b"100000000", b"9223372036854775807")  # the last: now + ttl overflows
BAD_TTLS = (b"-1", b"-100", b"abc", b"", b"1.5", b"9223372036854775808")
# 9223372036854775807 wraps in Redis to an access time one second ahead: OBJECT IDLETIME is
# 16777214 until the clock ticks, then 0 -- timing, so never read right after (_restore_idle)
IDLES = (b"0", b"5", b"1000", b"100000000", b"1099511627776", b"9223372036854775807", b"-1", b"abc")
FREQS = (b"0", b"5", b"100", b"255", b"256", b"-1", b"abc")


def _restore(draw, k=None):
    k = k or dkey(draw)
    absttl = rare(draw, 3)
    ttl = pick(draw, BAD_TTLS) if rare(draw, 10) else pick(draw, ABS_TTLS if absttl else REL_TTLS)
    opts = options(draw, (tok("REPLACE"), tok("REPLACE"), opt(b"IDLETIME", IDLES), opt(b"FREQ", FREQS),
                          tok("BAD"), lambda d: [b"IDLETIME"]), 3)
    if not absttl:
        return C(b"RESTORE", k, ttl, _restore_payload(draw), *opts)
    opts.insert(draw(st.integers(0, len(opts))), b"ABSTTL")
    # a Seq of one: never given a broken arity, which could drop ABSTTL and leave a TTL of 1 ms
    return Seq(C(b"RESTORE", k, ttl, _restore_payload(draw), *opts))


# Shared integers (0..9999) are one object in Redis, whose access clock every key holding
# that value moves: their clocks are left out (UNSHARED: the payloads without PAYLOADS["int"]).
UNSHARED = tuple(p for name, p in PAYLOADS.items() if name != "int")


def _sanitized(draw):
    """RESTORE under sanitize-dump-payload yes (deep checks of every ziplist/intset/listpack)."""
    payload = pick(draw, INSANE_PAYLOADS) if draw(st.booleans()) else _restore_payload(draw)
    return Seq(C(b"CONFIG", b"SET", b"sanitize-dump-payload", pick(draw, (b"yes", b"clients"))),
               C(b"RESTORE", pick(draw, DK), b"0", payload, b"REPLACE"),
               C(b"CONFIG", b"SET", b"sanitize-dump-payload", b"no"))


def _restore_idle(draw):
    """RESTORE ... IDLETIME n, then OBJECT IDLETIME before any read touches the key."""
    k = pick(draw, DK)
    return Seq(C(b"RESTORE", k, b"0", pick(draw, UNSHARED), b"REPLACE", b"IDLETIME", pick(draw, IDLES[:5])),
               C(b"OBJECT", b"IDLETIME", k, mode="idletime"), C(b"OBJECT", b"FREQ", k))


def _lfu(draw):
    """Under an LFU policy: RESTORE ... FREQ n / SET, OBJECT FREQ; the policy put back."""
    k = pick(draw, DK)
    make = (C(b"RESTORE", k, b"0", pick(draw, UNSHARED), b"REPLACE", b"FREQ", pick(draw, FREQS[:4]))
            if draw(st.booleans()) else C(b"SET", k, pick(draw, (b"10000", b"abc", LONG))))
    return Seq(C(b"CONFIG", b"SET", b"maxmemory-policy", pick(draw, (b"allkeys-lfu", b"volatile-lfu"))),
               make, C(b"OBJECT", b"FREQ", k, mode="freq"), C(b"OBJECT", b"IDLETIME", k),
               C(b"OBJECT", b"REFCOUNT", k, mode="nomulti"), C(b"OBJECT", b"ENCODING", k),
               C(b"CONFIG", b"SET", b"maxmemory-policy", b"noeviction"))


def _object(draw):
    sub = pick(draw, (b"ENCODING", b"encoding", b"REFCOUNT", b"IDLETIME", b"FREQ", b"HELP", b"help",
                      b"NOPE"))
    if sub.upper() == b"HELP":
        return C(b"OBJECT", sub, *pick(draw, ((), (), (b"d1",))))
    return C(b"OBJECT", sub, dkey(draw), *pick(draw, ((),) * 8 + ((b"d2",),)),
             mode={b"IDLETIME": "idletime", b"REFCOUNT": "nomulti"}.get(sub, "exact"))


# --------------------------------------------------------------------------- databases


def _move(draw):
    return C(b"MOVE", dkey(draw), db(draw))


def _copy(draw):
    extra = options(draw, (opt(b"DB", DBS), opt(b"DB", DBS), lambda d: [b"DB", db(d)], tok("REPLACE"),
                           tok("REPLACE"), tok("BAD"), lambda d: [b"DB"]), 2)
    return C(b"COPY", dkey(draw), dkey(draw), *extra)


def _swapdb(draw):
    if rare(draw, 6):
        return C(b"SWAPDB", pick(draw, DBS + BAD_DBS), pick(draw, DBS + BAD_DBS))
    return C(b"SWAPDB", *pick(draw, ((b"1", b"2"), (b"2", b"1"), (b"1", b"1"), (b"2", b"2"))))


def _flush(draw):
    return C(b"FLUSHDB", *pick(draw, ((), (b"ASYNC",), (b"SYNC",), (b"sync",), (b"BAD",), (b"ASYNC", b"x"))))


def _keys_read(draw):
    return pick(draw, (
        C(b"DBSIZE"), C(b"KEYS", b"*", mode="sort"), C(b"RANDOMKEY", mode="randomkey"),
        C(b"EXISTS", *K.keys(draw, DK)), C(b"TOUCH", *K.keys(draw, DK)), C(b"TYPE", dkey(draw)),
        C(b"UNLINK", *K.keys(draw, DK, 1, 2)),
    ))


def _dump(draw):
    return C(b"DUMP", dkey(draw), mode="dump")


def _dump_any(draw):
    """DUMP of any family's key: its values as that family's commands shaped them."""
    return C(b"DUMP", pick(draw, K.ALL_KEYS), mode="dump")


IN_DB_GENS = (_create, _create, _create, _restore, _restore, _dump, _move, _move, _copy, _copy,
              _keys_read, _object, _flush, _swapdb)


def _in_db(draw):
    """SELECT 1|2, a few commands there, the db's content compared, SELECT 0."""
    n = pick(draw, (b"1", b"2", b"1", b"2", b"0")) if not rare(draw, 8) else pick(draw, BAD_DBS)
    inner = []
    for _ in range(draw(st.integers(1, 3))):
        cmd = pick(draw, IN_DB_GENS)(draw)
        inner.extend(K.steps(cmd) if isinstance(cmd, Seq) else (K._mutate_arity(draw, cmd),))
    probes = [C(b"DBSIZE"), C(b"KEYS", b"*", mode="sort")]
    for k in DK:
        probes += [C(b"DUMP", k, mode="dump"), C(b"PTTL", k, mode="pttl")]
    return Seq(C(b"SELECT", n), *inner, *probes, C(b"SELECT", b"0"))


def _select_bad(draw):
    return C(b"SELECT", *pick(draw, ((b"0",), (b"16",), (b"-1",), (b"abc",), (b"",), (b"2147483648",),
                                      (b"0", b"1"), ())))


# --------------------------------------------------------------------------- CONFIG

def _restore_value(name: str, value: str) -> str:
    return dict(SMALL_CONFIG).get(name, value)


# name, value before (what both servers start with: CONFIG GET of it is compared), values
CONFIG_POOL = (
    ("activerehashing", "yes", ("yes", "no", "YES", "No", "maybe", "", "1")),
    ("lazyfree-lazy-user-del", "no", ("yes", "no", "true")),
    ("stop-writes-on-bgsave-error", "yes", ("no", "yes", "0")),
    ("slave-read-only", "yes", ("no", "yes", "x")),
    ("replica-read-only", "yes", ("no", "yes", "nope")),
    ("dynamic-hz", "yes", ("no", "yes", "")),
    ("hz", "10", ("1", "100", "500", "501", "0", "-1", "2147483647", "2147483648", "abc", "1.5", " 5", "+5")),
    ("maxmemory-samples", "5", ("1", "10", "0", "-5", "64", "x")),
    ("lfu-log-factor", "10", ("0", "1", "100", "-1", "99999999999")),
    ("lfu-decay-time", "1", ("0", "5", "-1")),
    ("slowlog-log-slower-than", "10000", ("-1", "0", "100", "-2", "9223372036854775807")),
    ("slowlog-max-len", "128", ("0", "1000", "-1", "abc")),
    ("timeout", "0", ("0", "300", "-1", "1e3")),
    ("active-expire-effort", "1", ("1", "10", "0", "11")),
    ("list-max-ziplist-size", "-2", ("-1", "-5", "-6", "0", "8", "128", "-2147483649")),
    ("list-compress-depth", "0", ("0", "1", "2", "-1")),
    ("hash-max-ziplist-entries", "4", ("0", "1", "4", "128", "-1", "1k", "abc")),
    ("set-max-intset-entries", "4", ("1", "4", "512", "-1", "x")),
    ("zset-max-ziplist-entries", "4", ("0", "2", "4", "100", "-3")),
    ("maxmemory", "0", ("0", "1gb", "1GB", "100mb", "1g", "1k", "5kb", "1024", "-1", "1.5gb", "1 gb", "1tb",
                        "18446744073709551616", "9223372036854775807", "8589934592gb", "", "b")),
    ("hash-max-ziplist-value", "64", ("0", "64", "1kb", "-1", "10x")),
    ("zset-max-ziplist-value", "64", ("128", "64", "1mb")),
    ("proto-max-bulk-len", "536870912", ("1mb", "1048576", "1048575", "512mb", "1kb", "2gb", "x")),
    ("client-query-buffer-limit", "1073741824", ("1mb", "1gb", "1000", "1048576", "abc")),
    ("hll-sparse-max-bytes", "3000", ("0", "3000", "100000", "-1")),
    ("stream-node-max-entries", "100", ("0", "4", "100", "-1")),
    ("stream-node-max-bytes", "4096", ("0", "300", "4kb", "-1")),
    ("auto-aof-rewrite-min-size", "67108864", ("64mb", "0", "1gb", "-1")),
    ("maxmemory-policy", "noeviction", ("allkeys-lru", "volatile-ttl", "ALLKEYS-LFU", "noeviction", "lru",
                                        "", "allkeys-lru ")),
    ("acl-pubsub-default", "allchannels", ("resetchannels", "allchannels", "all")),
    ("repl-diskless-load", "disabled", ("on-empty-db", "swapdb", "disabled", "yes")),
    ("sanitize-dump-payload", "no", ("yes", "clients", "no", "YES", "maybe")),
    ("notify-keyspace-events", "", ("KEA", "Kg$", "Ex", "A", "KA", "Kx", "Em", "KEAm", "Z", "n", "gK", "")),
    ("save", "", ("", "100 10", "3600 1 300 100", "1", "abc", "0 1", "10 -1", "1 2 3")),
    ("client-output-buffer-limit",
     "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
     ("normal 0 0 0", "pubsub 32mb 8mb 60", "replica 1gb 512mb 30", "normal 1", "bogus 1 2 3",
      "normal x 0 0", "normal 1mb 1mb 1 pubsub 1 1 1")),
    ("oom-score-adj-values", "0 200 800", ("1 2", "a b c", "-2001 0 0", "0 0 2001")),
    ("proc-title-template", "{title} {listen-addr} {server-mode}", ("{bad}", "{title", "   ", "")),
    ("appendfsync", None, ("bad", "")),      # defaults differ (Perdure: always): errors only
    ("loglevel", None, ("loud",)),           # the harness starts Perdure at warning
    ("supervised", None, ("no", "systemd")),  # read-only
    ("daemonize", None, ("no", "yes")),
    ("databases", None, ("16", "1")),
    ("io-threads", None, ("1",)),
    ("nosuch-param", None, ("1",)),
    ("", None, ("1",)),
    ("MAXMEMORY", None, ("abc",)),
    ("Hz", None, ("x",)),
)


def _config_set(draw):
    name, before, values = pick(draw, CONFIG_POOL)
    value = pick(draw, values)
    cmds = [C(b"CONFIG", b"SET", name, value)]
    if before is not None:
        cmds += [C(b"CONFIG", b"GET", name), C(b"CONFIG", b"SET", name, _restore_value(name, before)),
                 C(b"CONFIG", b"GET", name)]
    return Seq(*cmds)


GET_PATTERNS = (b"maxmemory*", b"*max-*-entries", b"*ziplist*", b"slowlog*", b"lfu-*", b"hz", b"HZ", b"h?",
                b"*read-only", b"lazyfree*", b"notify-keyspace-events", b"save", b"nosuch", b"", b"*[",
                b"maxmemory-[ps]*", b"list-*", b"*-value", b"active-expire-effort", b"acl-pubsub-*",
                b"client-output-buffer-limit", b"stream-node-*", b"timeout", b"*lazy-flush")


def _config_misc(draw):
    return pick(draw, (
        C(b"CONFIG", b"GET", pick(draw, GET_PATTERNS)),
        C(b"CONFIG", b"GET", pick(draw, GET_PATTERNS)),
        C(b"CONFIG", b"GET", b"hz", b"maxmemory"), C(b"CONFIG", b"GET"), C(b"CONFIG"),
        C(b"CONFIG", b"SET", b"hz"), C(b"CONFIG", b"SET", b"hz", b"10", b"maxmemory", b"0"),
        C(b"CONFIG", b"HELP"), C(b"CONFIG", b"help", b"x"), C(b"CONFIG", b"NOPE"), C(b"CONFIG", b"RESETSTAT", b"x"),
    ))


GENS = (
    _create, _create, _create, _dump, _dump, _dump, _dump_any, _dump_any, _restore, _sanitized, _restore, _restore, _restore_idle, _lfu,
    _object, _object, _move, _copy, _copy, _swapdb, _keys_read, _in_db, _in_db, _in_db, _select_bad,
    _config_set, _config_set, _config_misc,
    lambda d: C(b"TYPE", dkey(d)),
    lambda d: C(b"SWAPDB", b"0", pick(d, (b"1", b"2"))) if rare(d, 4) else C(b"DBSIZE"),
)
TX_GENS = (lambda d: Seq(C(b"SELECT", pick(d, DBS + BAD_DBS)), _create(d), _dump(d), C(b"SELECT", b"0")),)

# before every example: the parameters a failed Seq may have left changed
RESETS = tuple((b"CONFIG", b"SET", name.encode(), _restore_value(name, before).encode())
               for name, before, _ in CONFIG_POOL if before is not None)
register("dbs", GENS, tx_gens=TX_GENS, keys=DK, content={b"stream": lambda k: C(b"DUMP", k, mode="dump")},
         reset=RESETS)
