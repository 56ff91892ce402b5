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
# server introspection / administration (server.c, config.c, debug.c, latency.c)
GETKEYS_INVALID_COMMAND = "ERR Invalid command specified"
GETKEYS_NO_KEYS = "ERR The command has no key arguments"
GETKEYS_ARITY = "ERR Invalid number of arguments specified for command"
GETKEYS_INVALID_ARGS = "ERR Invalid arguments specified for command"
LATENCY_NO_SAMPLES = "ERR No samples available for event '%s'"
MONITOR_DENY_BLOCKING = "ERR MONITOR isn't allowed for DENY BLOCKING client"
SHUTDOWN_FAILED = "ERR Errors trying to SHUTDOWN. Check logs."
CONFIG_UNSUPPORTED = "ERR Unsupported CONFIG parameter: %s"
CONFIG_INVALID = "ERR Invalid argument '%s' for CONFIG SET '%s'"
CONFIG_INVALID_WHY = "ERR Invalid argument '%s' for CONFIG SET '%s' - %s"
CONFIG_BIND_TOO_MANY = "ERR Too many bind addresses specified."
CONFIG_BIND_FAILED = "ERR Failed to bind to specified addresses."
CONFIG_CHDIR = "ERR Changing directory: %s"
CONFIG_REWRITE_FAILED = "ERR Rewriting config file: %s"
MAXCLIENTS_OS_LIMIT = ("The operating system is not able to handle the specified number of clients, "
                       "try with %d")
RESP2_NOT_SUPPORTED = "ERR RESP2 is not supported by this command"
DEBUG_PROTOCOL_TYPE = ("ERR Wrong protocol type name. Please use one of the following: "
                       "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")
DEBUG_RELOAD_OPTIONS = "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."
DEBUG_RELOAD_FAILED = "ERR Error trying to load the RDB dump"
# Perdure-only (the log is not an RDB snapshot; EXEC cannot wait for a replay)
DEBUG_RELOAD_MERGE = ("ERR DEBUG RELOAD %s is not supported: the transaction log replays commands, "
                      "it is not a snapshot to merge")
DEBUG_RELOAD_IN_MULTI = "ERR DEBUG RELOAD is not allowed inside MULTI"
DEBUG_LOADAOF_IN_MULTI = "ERR DEBUG LOADAOF is not allowed inside MULTI"
# cluster (cluster.c)
CLUSTER_DISABLED = "ERR This instance has cluster support disabled"
CLUSTERDOWN_STATE = "CLUSTERDOWN The cluster is down"
CLUSTERDOWN_RO = "CLUSTERDOWN The cluster is down and only accepts read commands"
CLUSTERDOWN_UNBOUND = "CLUSTERDOWN Hash slot not served"
TRYAGAIN = "TRYAGAIN Multiple keys request during rehashing of slot"
CLUSTER_INVALID_SLOT = "ERR Invalid or out of range slot"
CLUSTER_SLOT_BUSY = "ERR Slot %d is already busy"
CLUSTER_SLOT_UNASSIGNED = "ERR Slot %d is already unassigned"
CLUSTER_SLOT_TWICE = "ERR Slot %d specified multiple times"
CLUSTER_UNKNOWN_NODE = "ERR Unknown node %s"
CLUSTER_DONT_KNOW_NODE = "ERR I don't know about node %s"
CLUSTER_FLUSHSLOTS_NOT_EMPTY = "ERR DB must be empty to perform CLUSTER FLUSHSLOTS."
CLUSTER_RESET_NOT_EMPTY = "ERR CLUSTER RESET can't be called with master nodes containing keys"
CLUSTER_COUNTKEYS_INVALID = "ERR Invalid slot"
CLUSTER_GETKEYS_INVALID = "ERR Invalid slot or number of keys"
CLUSTER_FORGET_MYSELF = "ERR I tried hard but I can't forget myself..."
CLUSTER_FORGET_MASTER = "ERR Can't forget my master!"
CLUSTER_REPLICATE_MYSELF = "ERR Can't replicate myself"
CLUSTER_NOT_A_MASTER = "ERR The specified node is not a master"
CLUSTER_TARGET_NOT_MASTER = "ERR Target node is not a master"
CLUSTER_FAILOVER_TO_MASTER = "ERR You should send CLUSTER FAILOVER to a replica"
CLUSTER_SETSLOT_SLAVE = "ERR Please use SETSLOT only with masters."
CLUSTER_NOT_OWNER = "ERR I'm not the owner of hash slot %d"
CLUSTER_ALREADY_OWNER = "ERR I'm already the owner of hash slot %d"
CLUSTER_SETSLOT_KEYS = ("ERR Can't assign hashslot %d to a different node while I still hold keys "
                        "for this hash slot.")
CLUSTER_SETSLOT_INVALID = "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP"
CLUSTER_INVALID_EPOCH = "ERR Invalid config epoch specified: %d"
CLUSTER_EPOCH_OTHER_NODES = ("ERR The user can assign a config epoch only when the node does not know "
                             "any other node.")
CLUSTER_EPOCH_NONZERO = "ERR Node config epoch is already non-zero"
CLUSTER_SAVECONFIG_FAILED = "ERR error saving the cluster node config: %s"
CLUSTER_MEET_PORT = "ERR Invalid TCP base port specified: %s"
CLUSTER_MEET_BUS_PORT = "ERR Invalid TCP bus port specified: %s"
CLUSTER_MEET_ADDRESS = "ERR Invalid node address specified: %s:%s"
# Perdure-only: joining nodes needs the cluster bus, which comes with multi-node sharding
CLUSTER_MEET_UNSUPPORTED = ("ERR CLUSTER MEET is not supported yet: this Perdure node runs a "
                            "one-node cluster")
# DUMP / RESTORE / snapshots (cluster.c, rdb.c)
BUSYKEY = "BUSYKEY Target key name already exists."
RESTORE_TTL = "ERR Invalid TTL value, must be >= 0"
RESTORE_PAYLOAD = "ERR DUMP payload version or checksum are wrong"
BAD_DATA_FORMAT = "ERR Bad data format"
RESTORE_IDLETIME = "ERR Invalid IDLETIME value, must be >= 0"
RESTORE_FREQ = "ERR Invalid FREQ value, must be >= 0 and <= 255"
BGSAVE_IN_PROGRESS = "ERR Background save already in progress"
NOREPLICAS = "NOREPLICAS Not enough good replicas to write."
