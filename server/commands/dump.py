"""DUMP and RESTORE (cluster.c): values in Redis's exact DUMP payload format.

A payload is the value serialised as in an RDB file, the RDB version (9, two bytes little
endian) and a CRC64 of both (see :mod:`perdure.server.rdb`): a DUMP taken here RESTOREs into
Redis 6.2 and the other way round.  Encodings follow the same choices Redis makes (ziplists,
intsets, quicklist node cuts, integer/LZF strings), so payloads are byte-identical to Redis's
for the same value and encoding (hash-table sets and hashes aside: their order is the table's).

RESTORE is logged as ``RESTORE key <absolute ms or 0> payload [REPLACE] ABSTTL``, so replay
gives the same key and expiry whenever it runs; a RESTORE of an already-expired TTL that
replaced a key is logged as ``DEL key`` (as Redis rewrites it).  IDLETIME (under an LRU or
no policy) and FREQ (under an LFU policy) set the key's access clock (``db.lru``, see
:mod:`perdure.server.eviction`) as objectSetLRUOrLFU does; like every access clock it is not
logged (after a restart keys start as just loaded).
"""

from __future__ import annotations

import time

from .. import errors, eviction, resp
from ..args import to_int
from ..errors import RedisError
from ..rdb import RdbError, dump_payload, load_payload, verify_payload
from ..registry import command


def _limits(c):
    return c.server.config.values


@command("dump", 2, "readonly random", "@keyspace", keys=(1, 1, 1))
def dump(c, argv):
    "DUMP key"
    v = c.db.lookup_read(argv[1])
    if v is None:
        return None
    return dump_payload(v, _limits(c))


def _ll(b: bytes) -> int:
    v = to_int(b)
    if v is None:
        raise RedisError(errors.NOT_INTEGER)
    return v


@command("restore", -4, "write denyoom", "@keyspace @dangerous", keys=(1, 1, 1))
def restore(c, argv):
    "RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]"
    replace = absttl = False
    idle = freq = -1
    n = len(argv)
    j = 4
    while j < n:
        opt = argv[j].lower()
        more = n - j - 1
        if opt == b"replace":
            replace = True
        elif opt == b"absttl":
            absttl = True
        elif opt == b"idletime" and more >= 1 and freq == -1:
            idle = _ll(argv[j + 1])
            if idle < 0:
                raise RedisError(errors.RESTORE_IDLETIME)
            j += 1
        elif opt == b"freq" and more >= 1 and idle == -1:
            freq = _ll(argv[j + 1])
            if freq < 0 or freq > 255:
                raise RedisError(errors.RESTORE_FREQ)
            j += 1
        else:
            raise RedisError(errors.SYNTAX)
        j += 1
    db = c.db
    key = argv[1]
    if not replace and db.lookup_write(key) is not None:
        raise RedisError(errors.BUSYKEY)
    ttl = _ll(argv[2])
    if ttl < 0:
        raise RedisError(errors.RESTORE_TTL)
    payload = argv[3]
    if not verify_payload(payload):
        raise RedisError(errors.RESTORE_PAYLOAD)
    try:
        value = load_payload(payload, _limits(c))
    except RdbError:
        raise RedisError(errors.BAD_DATA_FORMAT)
    srv = c.server
    deleted = db.delete(key) if replace else False
    if ttl and not absttl:
        ttl = _wrap64(ttl + int(time.time() * 1000))  # C's long long: an overflow wraps negative
    if ttl and ttl <= int(time.time() * 1000) and not srv.loading:
        if deleted:
            db.changed(key, b"del", "g")
            srv.propagate(db, [b"DEL", key])
        return resp.OK
    db.add(key, value)
    if ttl:
        db.set_expire(key, ttl)
    db.changed(key, b"restore", "g")
    word = _access_clock(srv, idle, freq)
    if word is not None:
        db.lru[key] = word  # seen by the next commands of a MULTI or script
        srv.clock_sets.append((db, key, word))  # and kept when the write is settled
    out = [b"RESTORE", key, b"%d" % ttl, payload]
    if replace:
        out.append(b"REPLACE")
    if ttl:
        out.append(b"ABSTTL")
    srv.propagate(db, out)
    return resp.OK


def _access_clock(srv, idle: int, freq: int):
    """objectSetLRUOrLFU: the LFU word for FREQ under an LFU policy, else the LRU clock
    ``idle`` seconds ago for IDLETIME (None: nothing to set)."""
    if srv.lfu:
        if freq < 0:
            return None
        minutes = srv.lfu_now if srv.lfu_now >= 0 else eviction.lfu_minutes()
        return (minutes << 8) | freq
    if idle < 0:
        return None
    now = srv.lruclock
    ms = _wrap64(idle * 1000)  # seconds * 1000 / LRU_CLOCK_RESOLUTION, in C: wraps, truncates
    idle = ms // 1000 if ms >= 0 else -(-ms // 1000)
    lru = now - idle
    if lru < 0:  # the wrapping clock underflows: half-way in the wrap-around, as Redis does
        lru = (now + eviction.LRU_CLOCK_MAX // 2) % eviction.LRU_CLOCK_MAX
    return lru & eviction.LRU_CLOCK_MAX  # the object's 24-bit lru field


def _wrap64(v: int) -> int:
    """``v`` as a C int64 computation leaves it: overflow wraps around."""
    return (v + 2**63) % 2**64 - 2**63


# ---- MIGRATE ---------------------------------------------------------------------------------

_SOCKETS: dict = {}  # "host:port" -> [ssl socket, last dbid, last use (monotonic)]
_SOCKET_TTL = 10.0  # MIGRATE_SOCKET_CACHE_TTL
_KEYS_NOT_EMPTY = "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string"


def _migrate_keys(argv) -> list:
    """migrateGetKeys: argv[3], or everything after KEYS when argv[3] is empty."""
    if len(argv) > 6 and not argv[3]:
        for i in range(6, len(argv)):
            if argv[i].lower() == b"keys":
                return argv[i + 1:]
    return argv[3:4]


def _tls_context(srv):
    """Client context for the target: trusts our CA (tls-ca-cert-file, or the development CA),
    presents the development client certificate (or the server's own, as Redis does); the
    chain is verified, the host name is not (as in Redis)."""
    import os

    from .. import tls

    cfg = srv.config
    d = os.path.abspath(cfg["dir"])
    ca = cfg["tls-ca-cert-file"] or os.path.join(d, "tls", "ca.crt")
    if cfg["tls-client-cert-file"]:  # as Redis: the client certificate of outgoing connections
        cert, key = cfg["tls-client-cert-file"], cfg["tls-client-key-file"]
    elif cfg["tls-cert-file"]:
        cert, key = cfg["tls-cert-file"], cfg["tls-key-file"]
    else:
        cert, key = os.path.join(d, "tls", "client.crt"), os.path.join(d, "tls", "client.key")
        if not os.path.exists(cert):
            cert = key = None
    ctx = tls.make_client_context(ca, cert, key)
    # Redis verifies the target's certificate chain (SSL_VERIFY_PEER) but not its name: MIGRATE
    # names the target by address, which server certificates rarely list
    ctx.check_hostname = False
    return ctx


def _migrate_socket(srv, host: bytes, port: bytes, timeout: float):
    """migrateGetSocket: a cached TLS connection to host:port, or a new one (None on failure)."""
    import socket

    name = host + b":" + port
    cs = _SOCKETS.get(name)
    if cs is not None:
        cs[2] = time.monotonic()
        return cs
    try:
        h = host.decode()
        try:
            sock = socket.create_connection((h, int(port)), timeout=timeout)
        except (ConnectionRefusedError, ConnectionResetError):
            # Redis's non-blocking connect "succeeds" here and the first write fails
            raise _IOErr(True, False)
        try:
            sock = _tls_context(srv).wrap_socket(sock, server_hostname=h)
        except BaseException:
            sock.close()
            raise
        sock.settimeout(timeout)
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    cs = _SOCKETS[name] = [sock, -1, time.monotonic()]
    return cs


def _close_socket(host: bytes, port: bytes) -> None:
    cs = _SOCKETS.pop(host + b":" + port, None)
    if cs is not None:
        try:
            cs[0].close()
        except OSError:
            pass


def close_idle_sockets(srv) -> None:
    """Cron hook (migrateCloseTimedoutSockets): drop connections unused for 10 seconds."""
    if not _SOCKETS:
        return
    now = time.monotonic()
    for name in [n for n, cs in _SOCKETS.items() if now - cs[2] > _SOCKET_TTL]:
        try:
            _SOCKETS.pop(name)[0].close()
        except OSError:
            pass


class _IOErr(Exception):
    def __init__(self, writing: bool, timed_out: bool):
        self.writing = writing
        self.timed_out = timed_out


@command("restore-asking", -4, "write denyoom asking", "@keyspace @dangerous", keys=(1, 1, 1))
def restore_asking(c, argv):
    "RESTORE-ASKING key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]"
    # MIGRATE's target side in cluster mode: RESTORE that a node accepts for a slot it is importing
    return restore(c, argv)


def _bulk(b: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(b), b)


@command("migrate", -6, "write random", "@keyspace @dangerous", keys=(3, 3, 1), getkeys=_migrate_keys)
def migrate(c, argv):
    "MIGRATE host port key|\"\" destination-db timeout [COPY] [REPLACE] [AUTH password | AUTH2 username password] [KEYS key [key ...]]"
    copy = replace = False
    username = password = None
    first_key, num_keys = 3, 1
    n = len(argv)
    j = 6
    while j < n:
        opt = argv[j].lower()
        more = n - 1 - j
        if opt == b"copy":
            copy = True
        elif opt == b"replace":
            replace = True
        elif opt == b"auth":
            if not more:
                raise RedisError(errors.SYNTAX)
            j += 1
            password = argv[j]
        elif opt == b"auth2":
            if more < 2:
                raise RedisError(errors.SYNTAX)
            username, password = argv[j + 1], argv[j + 2]
            j += 2
        elif opt == b"keys":
            if argv[3]:
                raise RedisError(_KEYS_NOT_EMPTY)
            first_key = j + 1
            num_keys = n - j - 1
            break
        else:
            raise RedisError(errors.SYNTAX)
        j += 1
    timeout = _ll(argv[5])
    dbid = _ll(argv[4])
    if timeout <= 0:
        timeout = 1000
    db = c.db
    found = []
    for k in argv[first_key:first_key + num_keys]:
        v = db.lookup_read(k)
        if v is not None:
            found.append((k, v))
    if not found:
        return resp.Simple(b"NOKEY")
    srv = c.server
    host, port = argv[1], argv[2]
    limits = _limits(c)
    may_retry = True
    while True:
        try:
            cs = _migrate_socket(srv, host, port, timeout / 1000)
        except _IOErr as e:
            if may_retry:
                may_retry = False
                continue
            raise RedisError("IOERR error or timeout %s to target instance" % ("writing" if e.writing else "reading"))
        if cs is None:
            raise RedisError("IOERR error or timeout connecting to the client")
        sock = cs[0]
        out = []
        if password is not None:
            if username is not None:
                out.append(b"*3\r\n$4\r\nAUTH\r\n" + _bulk(username) + _bulk(password))
            else:
                out.append(b"*2\r\n$4\r\nAUTH\r\n" + _bulk(password))
        select = cs[1] != dbid
        if select:
            out.append(b"*2\r\n$6\r\nSELECT\r\n" + _bulk(b"%d" % dbid))
        now = int(time.time() * 1000)
        sent = []
        for k, v in found:
            ttl = 0
            when = db.expires.get(k) if db.expires else None
            if when is not None:
                ttl = when - now
                if ttl < 0:
                    continue
                if ttl < 1:
                    ttl = 1
            sent.append(k)
            out.append(b"*%d\r\n$7\r\nRESTORE\r\n" % (5 if replace else 4) + _bulk(k) + _bulk(b"%d" % ttl)
                       + _bulk(dump_payload(v, limits)) + (b"$7\r\nREPLACE\r\n" if replace else b""))
        nreplies = (password is not None) + select + len(sent)
        replies = []
        try:
            _exchange(sock, b"".join(out), nreplies, replies)
            io_err = None
        except _IOErr as e:
            io_err = e
        pre = (password is not None) + select
        if io_err is not None and len(replies) <= pre:
            # nothing acknowledged: the connection failed before any RESTORE reply
            _close_socket(host, port)
            if may_retry and not io_err.timed_out:
                may_retry = False
                continue
            raise RedisError("IOERR error or timeout %s to target instance"
                             % ("writing" if io_err.writing else "reading"))
        break
    auth_r = replies[0] if password is not None else None
    sel_r = replies[pre - 1] if select else None
    error = None
    deleted = []
    for k, r in zip(sent, replies[pre:]):
        bad = auth_r if _is_err(auth_r) else sel_r if _is_err(sel_r) else r if _is_err(r) else None
        if bad is not None:
            if error is None:
                cs[1] = -1
                error = "ERR Target instance replied with error: %s" % bad
        elif not copy:
            db.delete(k)
            db.changed(k, b"del", "g")
            deleted.append(k)
    if deleted:
        srv.propagate(db, [b"DEL", *deleted])
    if io_err is not None:
        _close_socket(host, port)
        if error is None:
            raise RedisError("IOERR error or timeout reading to target instance")
    if error is not None:
        raise RedisError(error)
    cs[1] = dbid
    return resp.OK


def _is_err(r) -> bool:
    import hiredis

    return isinstance(r, hiredis.ReplyError)


def _exchange(sock, data: bytes, nreplies: int, replies: list) -> None:
    """Send ``data``; read ``nreplies`` replies into ``replies`` (raises _IOErr)."""
    import socket

    import hiredis

    try:
        sock.sendall(data)
    except socket.timeout:
        raise _IOErr(True, True)
    except OSError:
        raise _IOErr(True, False)
    reader = hiredis.Reader()
    try:
        while len(replies) < nreplies:
            r = reader.gets()
            if r is False:
                chunk = sock.recv(65536)
                if not chunk:
                    raise _IOErr(False, False)
                reader.feed(chunk)
                continue
            replies.append(r)
    except socket.timeout:
        raise _IOErr(False, True)
    except (OSError, hiredis.ProtocolError):
        raise _IOErr(False, False)


def _register_cron():
    from ..app import Server

    if close_idle_sockets not in Server.cron_hooks:
        Server.cron_hooks.append(close_idle_sockets)


_register_cron()
