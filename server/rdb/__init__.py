"""Redis RDB format: files (version 9, as Redis 6.2.14 writes them) and DUMP payloads.

* :mod:`.encoding` - lengths, strings (int / LZF / plain), ziplists, intsets, listpacks, CRC64;
* :mod:`.values`   - one value of each type, written encoding by encoding as Redis 6.2 does,
  read back from every encoding RDB 1-11 may hold (Redis 7's listpacks included);
* :mod:`.stream`   - streams (listpack nodes, consumer groups, PELs);
* :mod:`.rdbfile`  - whole files (aux fields, SELECTDB, RESIZEDB, expiries, EOF, CRC64) and
  DUMP payloads (value + RDB version + CRC64).

Corrupt or truncated input raises :class:`RdbError`; a file is checked (CRC64) and parsed
completely before anything is returned, so callers never see half a dataset.
"""

from .encoding import RdbError, crc64
from .rdbfile import (
    OFFSET_AUX,
    RDB_VERSION,
    Snapshot,
    dump_payload,
    load_payload,
    read_rdb,
    read_rdb_file,
    verify_payload,
    write_rdb,
)
from .values import DEFAULT_LIMITS, dump_value, load_value

__all__ = [
    "DEFAULT_LIMITS", "OFFSET_AUX", "RDB_VERSION", "RdbError", "Snapshot", "crc64", "dump_payload",
    "dump_value", "load_payload", "load_value", "read_rdb", "read_rdb_file", "verify_payload",
    "write_rdb",
]
