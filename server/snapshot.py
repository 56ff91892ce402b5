"""Snapshots: RDB files covering the log up to an offset, the snapshotter process, recovery.

A snapshot is a Redis RDB 9 file (``redis-server`` 6.2 loads it as a ``dump.rdb``) kept in
``<dir>/snapshots/snapshot-<log offset>-<unix ms>.rdb``, with the log offset it covers also
recorded in its ``perdure-log-offset`` aux field.  Only verified snapshots ever get that name:

1. the **snapshotter** -- this module run as ``python -m perdure.server.snapshot``, a separate
   process, not a fork of the server -- loads the newest snapshot, replays the log from its
   offset up to ``--upto`` (a record boundary the server knows durable; by default the end of
   the last complete record, after fsyncing the segments it reads), and writes the new RDB to a
   temporary file, ``<dir>/temp-<its pid>.rdb`` as a Redis saving child does (created as it
   starts; SIGUSR1 -- the server killing the job -- removes it), which it fsyncs;
2. it then re-reads that file from disk, checks its CRC64 and parses it completely, comparing
   the key counts and the checksum with what it wrote; only then is it renamed into place and
   the directory fsynced;
3. it prints one JSON line (offset, path, keys, seconds) on stdout; the server, seeing success,
   drops the log segments the snapshot covers (``truncate_before``) and removes snapshots past
   ``snapshot-retention-limit`` days (the newest always stays).

The server keeps serving meanwhile: the work happens in another process, on the log files.
A crash anywhere leaves either the old state (a stray temporary file, removed later) or the
new snapshot plus a log that still holds what it covers; log segments are dropped oldest first,
so the log stays contiguous.

**Recovery** (:func:`recover`): the newest snapshot that loads is applied, then the log is
replayed from its offset.  A snapshot that fails to load is skipped (with a warning) only when
the log still covers the previous one; a log that has lost records a snapshot does not cover,
or that ends before the newest snapshot's offset, stops the server with a clear error rather
than silently serving a dataset with a hole in it.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import logging
import os
import re
import signal
import sys
import time
from dataclasses import dataclass

# The RDB modules are imported on first use (``_rdb()``), not here: the snapshotter creates its
# temporary file before anything else, as soon after the server starts it as it can.


def _rdb():
    from . import rdb

    return rdb

log = logging.getLogger("perdure")

SNAP_DIR = "snapshots"
_NAME_RE = re.compile(r"^snapshot-(\d{20})-(\d{13})\.rdb$")
_TEMP_RE = re.compile(r"^temp-(\d+)\.rdb$")          # a snapshotter's file (temp_path)
_OLD_TEMP_RE = re.compile(r"^\.tmp-(\d+)-\d+\.rdb$")  # where earlier versions wrote it
LOCK_NAME = ".lock"          # held by a running snapshotter
SERVER_LOCK = ".server.lock"  # held by a running server (offline CLI commands refuse to run)

# the options a snapshotter needs to rebuild exactly the server's keyspace and encodings
CHILD_OPTIONS = ("databases", "hash-max-ziplist-entries", "hash-max-ziplist-value", "list-max-ziplist-size",
                 "set-max-intset-entries", "zset-max-ziplist-entries", "zset-max-ziplist-value",
                 "rdbcompression", "log-segment-bytes", "rdb-key-save-delay")


def temp_path(data_dir, pid: int) -> str:
    """The temporary file a snapshotter writes, ``<dir>/temp-<pid>.rdb`` (Redis's name for a
    saving child's file); it becomes ``snapshots/snapshot-...rdb`` once verified."""
    return os.path.join(os.fspath(data_dir), "temp-%d.rdb" % pid)


class SnapshotError(Exception):
    """A snapshot could not be taken, or recovery cannot proceed safely."""


@dataclass
class SnapInfo:
    path: str
    offset: int
    created_ms: int
    size: int

    @property
    def name(self) -> str:
        return os.path.basename(self.path)


def snap_dir(data_dir) -> str:
    return os.path.join(os.fspath(data_dir), SNAP_DIR)


def list_snapshots(data_dir) -> list[SnapInfo]:
    """Verified snapshots, oldest first (by covered offset, then creation time)."""
    d = snap_dir(data_dir)
    out = []
    try:
        names = os.listdir(d)
    except FileNotFoundError:
        return out
    for name in names:
        m = _NAME_RE.match(name)
        if m:
            p = os.path.join(d, name)
            try:
                size = os.path.getsize(p)
            except OSError:
                continue
            out.append(SnapInfo(p, int(m.group(1)), int(m.group(2)), size))
    out.sort(key=lambda s: (s.offset, s.created_ms))
    return out


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _count(dbs) -> list[int]:
    return [len(db.data) for db in dbs]


def write_snapshot(data_dir, dbs, offset: int, limits, now_ms: int | None = None) -> tuple[SnapInfo, int]:
    """Write ``dbs`` as the snapshot covering log ``offset``: temp file (:func:`temp_path`),
    fsync, verify (re-read from disk: CRC64, full parse, key counts, checksum), rename into
    ``snapshots/``, fsync both directories.  Returns (info, key count)."""
    rdb = _rdb()
    d = snap_dir(data_dir)
    os.makedirs(d, exist_ok=True)
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    tmp = temp_path(data_dir, os.getpid())
    final = os.path.join(d, "snapshot-%020d-%013d.rdb" % (offset, now_ms))
    try:
        with open(tmp, "wb") as f:
            rdb.write_rdb(f, dbs, limits, extra_aux=[(rdb.OFFSET_AUX, b"%d" % offset)], now_ms=now_ms,
                          key_delay=limits.get("rdb-key-save-delay", 0))
            f.flush()
            os.fsync(f.fileno())
        keys = verify_file(tmp, dbs, offset, limits)
        os.rename(tmp, final)
        fsync_dir(d)
        fsync_dir(data_dir)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return SnapInfo(final, offset, now_ms, os.path.getsize(final)), keys


def verify_file(path: str, dbs, offset: int | None, limits) -> int:
    """Reload ``path`` from disk and check it against the databases it was written from."""
    with open(path, "rb") as f:
        data = f.read()
    snap = _rdb().read_rdb(data, limits)  # checks the CRC64 over the whole file and parses every value
    want = _count(dbs)
    got = [len(snap.dbs.get(i, ())) for i in range(len(dbs))]
    if got != want or any(i >= len(dbs) and v for i, v in snap.dbs.items()):
        raise SnapshotError("verification of %s failed: key counts %r, expected %r" % (path, got, want))
    if offset is not None and snap.log_offset != offset:
        raise SnapshotError("verification of %s failed: offset %r, expected %d" % (path, snap.log_offset, offset))
    return snap.keys


def prune(data_dir, retention_days: int, now: float | None = None) -> list[str]:
    """Remove snapshots older than ``retention_days`` (the newest always stays) and stray
    temporary files of snapshotters that are gone.  Returns the removed names."""
    now = time.time() if now is None else now
    snaps = list_snapshots(data_dir)
    removed = []
    for s in snaps[:-1]:
        if s.created_ms / 1000 < now - retention_days * 86400:
            try:
                os.unlink(s.path)
                removed.append(s.name)
            except OSError:
                pass
    d = snap_dir(data_dir)
    for where, pattern in ((os.fspath(data_dir), _TEMP_RE), (d, _OLD_TEMP_RE)):
        try:
            names = os.listdir(where)
        except OSError:
            continue
        gone = False
        for name in names:
            m = pattern.match(name)
            if m and int(m.group(1)) != os.getpid() and not _alive(int(m.group(1))):
                try:
                    os.unlink(os.path.join(where, name))
                except OSError:
                    continue
                removed.append(name)
                gone = True
        if gone:
            fsync_dir(where)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


# ---- locks -------------------------------------------------------------------------------------


def try_lock(data_dir, name: str):
    """An exclusive non-blocking flock on ``snapshots/<name>``: the open fd, or None if taken."""
    d = snap_dir(data_dir)
    os.makedirs(d, exist_ok=True)
    fd = os.open(os.path.join(d, name), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


# ---- reading the log without owning it ---------------------------------------------------------


def log_records(data_dir, start: int, upto: int | None, sync: bool = True):
    """Yield ``(offset, payload)`` for the log records in [start, upto) without opening the
    log for writing (the server may be appending).  With ``upto`` None, stop at the end of the
    last complete record.  ``sync`` fsyncs each segment first, so what is read is durable."""
    from .durability import filelog

    log_dir = os.path.join(os.fspath(data_dir), "log")
    if not os.path.isdir(log_dir):
        if start == 0 and not upto:
            return
        raise SnapshotError("no log in %s" % data_dir)
    segs = filelog._list_segments(log_dir)
    if not segs:
        return
    if start < segs[0][0]:
        raise SnapshotError("the log starts at offset %d, after %d: records are missing" % (segs[0][0], start))
    sized = []
    for i, (s0, path) in enumerate(segs):
        if i + 1 < len(segs) and segs[i + 1][0] <= start:
            continue
        if upto is not None and s0 >= upto and sized:
            break
        fd = os.open(path, os.O_RDONLY)
        try:
            if sync:
                os.fsync(fd)
            size = os.fstat(fd).st_size
        finally:
            os.close(fd)
        sized.append((s0, path, size))
    pos = start
    try:
        for off, payload in filelog.FileLog._records(sized, start):
            if upto is not None and off >= upto:
                break
            yield off, payload
            pos = off + len(payload)
            if upto is not None and pos >= upto:
                break
    except filelog.CorruptLogError:
        if upto is not None and pos < upto:
            raise
    if upto is not None and pos != upto and upto != start:
        raise SnapshotError("the log ends at offset %d, before %d" % (pos, upto))


def log_end(data_dir, start: int) -> int:
    """The end of the last complete record at or after ``start`` (segments fsynced)."""
    end = start
    for off, payload in log_records(data_dir, start, None):
        end = off + len(payload)
    return end


# ---- building a keyspace outside the server ----------------------------------------------------


def offline_server(config):
    """A :class:`~perdure.server.app.Server` that never listens: databases and command table
    only, for replaying the log and writing snapshots in the snapshotter or the CLI."""
    from .app import Server, _ReplayLog

    srv = Server(config)
    srv.log = _ReplayLog()
    srv.loading = True
    srv.update_lane()
    return srv


def apply_snapshot(srv, snap) -> None:
    """Install a parsed RDB's databases into ``srv`` (replacing everything)."""
    n = len(srv.dbs)
    for i in snap.dbs:
        if i >= n and snap.dbs[i]:
            raise SnapshotError("the snapshot holds DB %d but the server is configured for %d databases" % (i, n))
    for db in srv.dbs:
        db.data = snap.dbs.get(db.id, {})
        db.expires = snap.expires.get(db.id, {})
        db.keyindex = None


def replay(srv, records) -> int:
    """Run logged commands through the handlers (as Server.replay does); returns the count."""
    import hiredis

    from . import dispatch
    from .client import Client
    from .errors import RedisError

    srv.loading = True
    srv.update_lane()
    srv.replaying = True
    c = Client(srv, None)
    c.authenticated = True
    c.user = None
    n = 0
    for _off, payload in records:
        reader = hiredis.Reader()
        reader.feed(payload)
        while True:
            argv = reader.gets()
            if argv is False:
                break
            cmd = dispatch.lookup(argv[0])
            if cmd is None:
                raise SnapshotError("unknown command in log: %r" % argv[:2])
            c.required = 0
            r = dispatch.call(c, cmd, argv)
            if isinstance(r, RedisError) and cmd.name != "exec":
                log.warning("replayed %r gave %s", argv[:3], r.msg)
            n += 1
        srv.touched.clear()
    return n


def load_newest(srv, data_dir, log_start: int | None = None, log_end_offset: int | None = None):
    """Load the newest usable snapshot into ``srv``; return (SnapInfo or None, offset, keys).

    ``log_start``/``log_end_offset`` bound what the log still holds (None: not checked)."""
    snaps = list_snapshots(data_dir)
    limits = srv.config.values
    ndb = len(srv.dbs)
    errors = []
    for i in range(len(snaps) - 1, -1, -1):
        s = snaps[i]
        if log_end_offset is not None and s.offset > log_end_offset:
            raise SnapshotError(
                "snapshot %s covers the log up to offset %d but the log ends at %d: the log lost "
                "records the snapshot holds. Start from the snapshot alone with `perdure snapshot "
                "restore --rdb %s` (the log after it is then discarded)" % (s.name, s.offset, log_end_offset, s.path))
        try:
            snap = _rdb().read_rdb_file(s.path, limits, ndb)
        except (_rdb().RdbError, OSError) as e:
            errors.append("%s: %s" % (s.name, e))
            older = snaps[i - 1].offset if i else 0
            if log_start is not None and log_start > older:
                raise SnapshotError("newest snapshot %s cannot be loaded (%s) and the log no longer "
                                    "holds what older snapshots miss" % (s.name, e))
            log.warning("snapshot %s cannot be loaded (%s); trying an older one", s.name, e)
            continue
        if snap.log_offset is not None and snap.log_offset != s.offset:
            raise SnapshotError("snapshot %s records offset %d, its name %d" % (s.name, snap.log_offset, s.offset))
        apply_snapshot(srv, snap)
        return s, s.offset, snap.keys
    if log_start:
        raise SnapshotError("the log starts at offset %d but no snapshot covers what came before%s"
                            % (log_start, (" (" + "; ".join(errors) + ")") if errors else ""))
    return None, 0, 0


# ---- recovery inside the server ----------------------------------------------------------------


async def recover(srv) -> int:
    """Server startup: take the server lock, load the newest snapshot into ``srv`` (in a
    thread: the loop keeps answering LOADING) and return the log offset replay starts at."""
    import asyncio

    d = srv.config["dir"]
    if getattr(srv, "server_lock_fd", None) is None:  # (DEBUG RELOAD recovers again)
        fd = try_lock(d, SERVER_LOCK)
        if fd is None:
            raise SnapshotError("another Perdure server is using %s" % os.path.abspath(d))
        srv.server_lock_fd = fd
    backend = srv.backend
    t0 = time.monotonic()
    loop = asyncio.get_running_loop()
    info, offset, keys = await loop.run_in_executor(
        None, load_newest, srv, d, backend.start_offset, backend.end_offset)
    dt = time.monotonic() - t0
    st = state(srv)
    st.loaded = info
    st.loaded_keys = keys
    st.load_seconds = dt
    st.last_offset = offset
    if info is not None:
        srv.lastsave = int(info.created_ms / 1000)
        log.warning("loaded snapshot %s (%d keys, log offset %d) in %.3f s", info.name, keys, offset, dt)
    return max(offset, backend.start_offset)


def state(srv):
    """The server's snapshot bookkeeping (created on first use)."""
    st = getattr(srv, "snapshots", None)
    if st is None:
        st = srv.snapshots = SnapshotState()
    return st


class SnapshotState:
    """What INFO persistence, SAVE/BGSAVE and the automatic snapshots know."""

    def __init__(self):
        self.in_progress = False
        self.started = 0.0           # time.time() of the running snapshot's start
        self.last_status = "ok"
        self.last_seconds = -1
        self.last_offset = 0         # log offset the newest snapshot covers
        self.last_try = 0.0
        self.last_error = ""
        self.scheduled = False
        self.loaded = None           # SnapInfo loaded at startup
        self.loaded_keys = 0
        self.load_seconds = 0.0
        self.count = 0
        self.last_window_day = None  # UTC date of the last snapshot-window run
        self.job = None              # the running snapshotter job (commands/persistence.py)
        self.killed = None           # the task of a killed job, until its process is gone
        self.dirty_before = 0
        self.last_check = 0.0
        # BGREWRITEAOF: the same snapshot, asked for as a log rewrite (INFO aof_rewrite_* fields)
        self.rewriting = False           # the running snapshot is a rewrite
        self.rewrite_scheduled = False   # asked while a BGSAVE ran: starts when it ends
        self.rewrite_last_status = "ok"
        self.rewrite_last_seconds = -1


# ---- the snapshotter process -------------------------------------------------------------------


def take(data_dir, config, upto: int | None = None, out_path: str | None = None) -> dict:
    """Build the state at ``upto`` (newest snapshot + log) and write it: as the new snapshot,
    or, with ``out_path``, as a plain RDB file there (export).  Returns a report dict."""
    t0 = time.monotonic()
    lock = tmp = None
    if out_path is None:
        lock = try_lock(data_dir, LOCK_NAME)
        if lock is None:
            raise SnapshotError("another snapshot is in progress")
        # the job's output file exists from its start, as a Redis saving child's does
        tmp = temp_path(data_dir, os.getpid())
        open(tmp, "wb").close()
    try:
        srv = offline_server(config)
        info, start, _keys = load_newest(srv, data_dir)
        if upto is not None and upto < start:
            raise SnapshotError("offset %d is before the newest snapshot's %d" % (upto, start))
        end = [start]

        def records():
            for off, payload in log_records(data_dir, start, upto):
                yield off, payload
                end[0] = off + len(payload)

        n = replay(srv, records())
        upto = end[0]
        limits = config.values
        if out_path is not None:
            keys = export_rdb(srv.dbs, out_path, limits, upto)
            return {"ok": True, "path": out_path, "offset": upto, "keys": keys, "replayed": n,
                    "seconds": round(time.monotonic() - t0, 3)}
        if info is not None and info.offset == upto and n == 0:
            # nothing new: re-verify the existing snapshot and report it
            keys = verify_file(info.path, srv.dbs, upto, limits)
            return {"ok": True, "path": info.path, "offset": upto, "keys": keys, "replayed": 0,
                    "seconds": round(time.monotonic() - t0, 3), "unchanged": True}
        new, keys = write_snapshot(data_dir, srv.dbs, upto, limits)
        return {"ok": True, "path": new.path, "offset": upto, "keys": keys, "replayed": n,
                "size": new.size, "seconds": round(time.monotonic() - t0, 3)}
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)  # (renamed away when a new snapshot was written)
            except FileNotFoundError:
                pass
        if lock is not None:
            os.close(lock)


def export_rdb(dbs, path: str, limits, offset: int | None = None) -> int:
    """Write ``dbs`` to ``path`` atomically (temp, fsync, verify, rename); returns key count."""
    path = os.path.abspath(path)
    d = os.path.dirname(path)
    tmp = os.path.join(d, ".%s.tmp-%d" % (os.path.basename(path), os.getpid()))
    rdb = _rdb()
    extra = [(rdb.OFFSET_AUX, b"%d" % offset)] if offset is not None else []
    try:
        with open(tmp, "wb") as f:
            rdb.write_rdb(f, dbs, limits, extra_aux=extra)
            f.flush()
            os.fsync(f.fileno())
        keys = verify_file(tmp, dbs, offset, limits)
        os.rename(tmp, path)
        fsync_dir(d)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return keys


def child_args(srv) -> list[str]:
    """The snapshotter's command line for the running server ``srv``."""
    cfg = srv.config
    args = [sys.executable, "-m", "perdure.server.snapshot", "--dir", os.path.abspath(cfg["dir"])]
    for name in CHILD_OPTIONS:
        args += ["--" + name, cfg.render(name)]
    return args


def _sigusr1(signum, frame):
    """The server killed this job (as Redis kills a child with SIGUSR1): leave no temporary
    file behind -- write_snapshot / export_rdb remove theirs as the exit unwinds them."""
    log.warning("Received SIGUSR1 in child, exiting now.")
    raise SystemExit(1)


def main(argv=None) -> int:
    """``python -m perdure.server.snapshot --dir DIR [--upto OFFSET] [--<config option> v ...]``"""
    from .config import Config, ConfigError

    p = argparse.ArgumentParser(description="Perdure snapshotter: newest snapshot + log -> new snapshot")
    p.add_argument("--dir", required=True)
    p.add_argument("--upto", type=int, default=None, help="log offset to cover (a record boundary)")
    p.add_argument("--export", default=None, help="write a plain RDB file here instead of a snapshot")
    args, rest = p.parse_known_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(process)d:S %(asctime)s %(levelname)s %(message)s")
    signal.signal(signal.SIGUSR1, _sigusr1)
    cfg = Config()
    try:
        cfg.load_argv(rest + ["--dir", args.dir])
    except ConfigError as e:
        print(json.dumps({"ok": False, "error": str(e)}), flush=True)
        return 2
    try:
        rep = take(args.dir, cfg, args.upto, args.export)
    except Exception as e:  # noqa: BLE001 - reported to the server, which logs it
        if not isinstance(e, (SnapshotError, _rdb().RdbError, OSError)):
            raise
        print(json.dumps({"ok": False, "error": str(e)}), flush=True)
        return 1
    print(json.dumps(rep), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())


# ---- the `perdure snapshot` command line -------------------------------------------------------


def _cli_config(args):
    from .config import Config

    cfg = Config()
    argv = [args.config] if args.config else []
    cfg.load_argv(argv + ["--dir", args.dir])
    return cfg


def _seed(data_dir, cfg, rdb_path: str) -> dict:
    """Make the RDB at ``rdb_path`` the data directory's state (server stopped): it becomes the
    newest snapshot, covering the log up to its current end; the log before that is dropped."""
    from .durability.filelog import FileLog

    srv = offline_server(cfg)
    snap = _rdb().read_rdb_file(rdb_path, cfg.values, len(srv.dbs))
    apply_snapshot(srv, snap)
    backend = FileLog(data_dir, segment_bytes=cfg["log-segment-bytes"])
    backend.open()
    try:
        end = backend.end_offset
        info, keys = write_snapshot(data_dir, srv.dbs, end, cfg.values)
        backend.truncate_before(end)
    finally:
        backend.close()
    return {"path": info.path, "offset": end, "keys": keys}


def cli_main(args) -> int:
    """``perdure snapshot create|list|restore|export|import``."""
    d = args.dir
    try:
        cfg = _cli_config(args)
        if args.action == "list":
            snaps = list_snapshots(d)
            if not snaps:
                print("no snapshots in %s" % snap_dir(d))
            for s in snaps:
                when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(s.created_ms / 1000))
                print("%s  offset %d  %s UTC  %d bytes" % (s.name, s.offset, when, s.size))
            return 0
        if args.action == "create":
            rep = take(d, cfg)
            print("snapshot %s: log offset %d, %d keys" % (rep["path"], rep["offset"], rep["keys"]))
            return 0
        if args.action == "export":
            if not args.rdb:
                print("perdure snapshot export: --rdb FILE is required", file=sys.stderr)
                return 2
            rep = take(d, cfg, out_path=args.rdb)
            print("exported %d keys (log offset %d) to %s" % (rep["keys"], rep["offset"], args.rdb))
            return 0
        # import / restore: change the data directory; the server must be stopped
        src = args.rdb
        if args.action == "restore" and args.snapshot:
            src = os.path.join(snap_dir(d), os.path.basename(args.snapshot))
        if not src:
            print("perdure snapshot %s: --rdb FILE%s is required" % (
                args.action, " or --snapshot NAME" if args.action == "restore" else ""), file=sys.stderr)
            return 2
        if not os.path.isfile(src):
            print("perdure snapshot %s: no such file: %s" % (args.action, src), file=sys.stderr)
            return 1
        if args.action == "import" and not args.force and _holds_data(d):
            print("perdure snapshot import: %s already holds data; use --force to replace it" % d,
                  file=sys.stderr)
            return 1
        lock = try_lock(d, SERVER_LOCK)
        if lock is None:
            print("perdure snapshot %s: a server is running on %s; stop it first" % (args.action, d),
                  file=sys.stderr)
            return 1
        try:
            rep = _seed(d, cfg, src)
        finally:
            os.close(lock)
        print("%s %s: %d keys; snapshot %s (log offset %d)" % (
            "imported" if args.action == "import" else "restored", src, rep["keys"], rep["path"], rep["offset"]))
        return 0
    except (SnapshotError, _rdb().RdbError, OSError) as e:
        print("perdure snapshot %s: %s" % (args.action, e), file=sys.stderr)
        return 1


def _holds_data(d) -> bool:
    if list_snapshots(d):
        return True
    try:
        from .durability import filelog

        log_dir = os.path.join(os.fspath(d), "log")
        return any(os.path.getsize(p) for _, p in filelog._list_segments(log_dir))
    except OSError:
        return False
