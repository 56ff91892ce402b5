"""Every error reply Perdure sends, in one place, spelled exactly as Redis 6.2.14 spells it.

Handlers raise :class:`RedisError` (or a constant below); the dispatcher turns it into the
``-...\\r\\n`` frame. Keeping the strings here means a typo is fixed once and the compat suite
asserts against the same text everywhere.
"""


class RedisError(Exception):
    """An error reply. ``msg`` is the text after the leading '-', without CRLF."""

    __slots__ = ("msg",)

    def __init__(self, msg: str):
        self.msg = msg

    def __str__(self):
        return self.msg

    @property
    def code(self) -> str:
        return self.msg.split(" ", 1)[0]


WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "ERR syntax error"
NOT_INTEGER = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
OVERFLOW = "ERR increment or decrement would overflow"
NO_SUCH_KEY = "ERR no such key"
INDEX_OUT_OF_RANGE = "ERR index out of range"
INVALID_EXPIRE = "ERR invalid expire time in '%s' command"
DB_INDEX_OUT_OF_RANGE = "ERR DB index is out of range"
INVALID_DB_INDEX = "ERR invalid DB index"
SAME_OBJECT = "ERR source and destination objects are the same"
NOAUTH = "NOAUTH Authentication required."
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
NOPERM_CMD = "NOPERM this user has no permissions to run the '%s' command or its subcommand"
NOPERM_KEY = "NOPERM this user has no permissions to access one of the keys used as arguments"
NOPERM_CHANNEL = "NOPERM this user has no permissions to access one of the channels used as arguments"
OOM = "OOM command not allowed when used memory > 'maxmemory'."
LOADING = "LOADING Redis is loading the dataset in memory"
MISCONF_LOG = "MISCONF Errors writing to the AOF file: %s"
WRONG_ARITY = "ERR wrong number of arguments for '%s' command"
UNKNOWN_SUBCOMMAND = "ERR Unknown subcommand or wrong number of arguments for '%s'. Try %s HELP."
TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range"
TIMEOUT_NEGATIVE = "ERR timeout is negative"
STRING_TOO_LONG = "ERR string exceeds maximum allowed size (512MB)"
BIT_OFFSET = "ERR bit offset is not an integer or out of range"
BIT_VALUE = "ERR bit is not an integer or out of range"
NAN_OR_INF = "ERR increment would produce NaN or Infinity"
MULTI_NESTED = "ERR MULTI calls can not be nested"
EXEC_WITHOUT_MULTI = "ERR EXEC without MULTI"
DISCARD_WITHOUT_MULTI = "ERR DISCARD without MULTI"
EXECABORT = "EXECABORT Transaction discarded because of previous errors."
WATCH_IN_MULTI = "ERR WATCH inside MULTI is not allowed"
NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL."
CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot"
SELECT_CLUSTER = "ERR SELECT is not allowed in cluster mode"
HASH_NOT_INTEGER = "ERR hash value is not an integer"
HASH_NOT_FLOAT = "ERR hash value is not a float"
MIN_MAX_NOT_FLOAT = "ERR min or max is not a float"
MIN_MAX_NOT_STRING = "ERR min or max not valid string range item"
WEIGHT_NOT_FLOAT = "ERR weight value is not a float"
NOT_POSITIVE = "ERR value is out of range, must be positive"
BUSY = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
NO_PROTO = "NOPROTO unsupported protocol version"
# strings / bitmaps (t_string.c, bitops.c)
INVALID_EXPIRE_IN = "ERR invalid expire time in %s"
STRING_EXCEEDS_BULK_LEN = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
OFFSET_OUT_OF_RANGE = "ERR offset is out of range"
MSET_ARITY = "ERR wrong number of arguments for MSET"
LCS_STRINGS_OR_KEYS = "ERR Either use STRINGS or KEYS"
LCS_KEYS_NOT_STRINGS = "ERR The specified keys must contain string values"
LCS_NEED_STRINGS = "ERR Please specify two strings: STRINGS or KEYS options are mandatory"
LCS_LEN_AND_IDX = "ERR If you want both the length and indexes, please just use IDX."
BIT_ARG_01 = "ERR The bit argument must be 1 or 0."
BITOP_NOT_ONE_KEY = "ERR BITOP NOT must be called with a single source key."
BITFIELD_TYPE = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
BITFIELD_OVERFLOW_TYPE = "ERR Invalid OVERFLOW type specified"
BITFIELD_RO_GET_ONLY = "ERR BITFIELD_RO only supports the GET subcommand"
# lists (t_list.c)
LPOS_RANK_ZERO = ("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second, "
                  "...")
LPOS_COUNT_NEGATIVE = "ERR COUNT can't be negative"
LPOS_MAXLEN_NEGATIVE = "ERR MAXLEN can't be negative"
# hashes / sets (t_hash.c, t_set.c)
VALUE_NAN_OR_INF = "ERR value is NaN or Infinity"
OUT_OF_RANGE = "ERR value is out of range"
LONG_RANGE = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
