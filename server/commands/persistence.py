"""SAVE, BGSAVE and the automatic snapshots (rdb.c's commands and serverCron's save logic).

Every snapshot is taken by the snapshotter process (:mod:`perdure.server.snapshot`), never in
the server: the server only picks the log offset to cover -- it first waits until everything
appended so far is durable, then takes the durable offset, which is always a record boundary --
starts the process, and when it reports a verified snapshot drops the log segments it covers
(on the log's worker thread) and prunes old snapshots.  Meanwhile it keeps serving.

* ``SAVE`` waits for the snapshot (the calling client only: others keep being served) and
  replies ``OK`` or ``ERR``.  In MULTI/EXEC (where a client cannot wait) it is refused.
* ``BGSAVE [SCHEDULE]``: ``Background saving started``; ``Background save already in
  progress`` while one runs (SCHEDULE included, as in Redis: there is no AOF rewrite child
  for it to wait for).
* ``LASTSAVE`` (in :mod:`.server`) reports ``server.lastsave``, set when a snapshot completes.
* Automatic snapshots, checked once a second by the cron: Redis ``save <seconds> <changes>``
  points; daily in ``snapshot-window`` (UTC ``HH:MM-HH:MM``, empty = off); and whenever the
  log since the newest snapshot exceeds ``snapshot-log-bytes`` (0 = off).  Snapshots older than
  ``snapshot-retention-limit`` days are removed (the newest is always kept).

* ``BGREWRITEAOF`` compacts the log: Perdure's log is Redis's AOF, and rewriting it is taking
  a snapshot and dropping the log segments it covers -- the same job as BGSAVE, reported in
  INFO's ``aof_rewrite_*`` fields.  ``Background append only file rewriting started``;
  ``... scheduled`` while a BGSAVE runs (it starts when that ends); ``ERR Background append
  only file rewriting already in progress``.  BGSAVE during a rewrite answers as Redis does.
* ``CONFIG SET appendonly`` treats that rewrite as Redis treats its AOF rewrite child (the log
  itself stays on either way): ``no`` kills a running one (``Killing running AOF rewrite
  child: <pid>``; the snapshotter gets SIGUSR1 and removes its temporary file) and drops a
  scheduled one; ``yes`` starts one, or schedules it while a BGSAVE runs.
* At shutdown a snapshot still running is killed and its ``temp-<pid>.rdb`` removed
  (prepareForShutdown: ``There is a child saving an .rdb. Killing it!``).

INFO persistence reads :func:`info_fields`.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import os
import signal
import time

from .. import errors, resp
from ..app import Server
from ..errors import RedisError
from ..registry import command
from ..snapshot import child_args, prune, state, temp_path

log = logging.getLogger("perdure")

_STARTED = resp.Simple(b"Background saving started")
_SCHEDULED = resp.Simple(b"Background saving scheduled")
_AOF_STARTED = resp.Simple(b"Background append only file rewriting started")
_AOF_SCHEDULED = resp.Simple(b"Background append only file rewriting scheduled")
_RETRY_DELAY = 5  # CONFIG_BGSAVE_RETRY_DELAY


@command("save", 1, "admin noscript")
def save(c, argv):
    "SAVE"
    srv = c.server
    st = state(srv)
    if st.in_progress:
        raise RedisError(errors.BGSAVE_IN_PROGRESS)
    if c.in_exec or c.multi is not None:
        raise RedisError("ERR SAVE inside MULTI/EXEC is not supported: use BGSAVE")
    waiter = _SaveWaiter(c)
    start(srv, waiter)
    return srv.block(c, [], 0, _never_ready, on_timeout=waiter.reply)


def _never_ready(c, key):
    return None


class _SaveWaiter:
    """The reply of a client waiting in SAVE (given when the snapshot ends)."""

    __slots__ = ("c", "result")

    def __init__(self, c):
        self.c = c
        self.result = None

    def reply(self, c):
        r = self.result
        return r if r is not None else RedisError("ERR")

    def done(self, srv, ok: bool) -> None:
        self.result = resp.OK if ok else RedisError("ERR")
        if self.c.blocked is not None and not self.c.closing:
            srv.unblock_client(self.c)


@command("bgsave", -1, "admin noscript")
def bgsave(c, argv):
    "BGSAVE [SCHEDULE]"
    if len(argv) > 1 and not (len(argv) == 2 and argv[1].lower() == b"schedule"):
        raise RedisError(errors.SYNTAX)
    srv = c.server
    st = state(srv)
    if st.in_progress and st.rewriting:
        if len(argv) == 2:  # SCHEDULE
            st.scheduled = True
            return _SCHEDULED
        raise RedisError("ERR An AOF log rewriting in progress: can't BGSAVE right now. Use BGSAVE "
                         "SCHEDULE in order to schedule a BGSAVE whenever possible.")
    if st.in_progress:
        raise RedisError(errors.BGSAVE_IN_PROGRESS)
    start(srv)
    return _STARTED


@command("bgrewriteaof", 1, "admin noscript")
def bgrewriteaof(c, argv):
    "BGREWRITEAOF"
    srv = c.server
    st = state(srv)
    if st.in_progress and st.rewriting:
        raise RedisError("ERR Background append only file rewriting already in progress")
    if st.in_progress:
        st.rewrite_scheduled = True
        return _AOF_SCHEDULED
    start(srv, rewrite=True)
    return _AOF_STARTED


# ---- running the snapshotter -----------------------------------------------------------------


class _Job:
    """One run of the snapshotter: what :func:`kill_rewrite` needs to stop it."""

    __slots__ = ("rewrite", "proc", "aborted", "task")

    def __init__(self, rewrite: bool):
        self.rewrite = rewrite
        self.proc = None       # the snapshotter process, once spawned
        self.aborted = False   # killed (CONFIG SET appendonly): its end changes nothing
        self.task = None


def start(srv, waiter=None, rewrite: bool = False) -> None:
    """Start a snapshot now (the caller checked none is running); ``rewrite``: for BGREWRITEAOF."""
    st = state(srv)
    st.in_progress = True
    st.rewriting = rewrite
    st.started = time.time()
    st.last_try = st.started
    st.dirty_before = srv.dirty
    job = st.job = _Job(rewrite)
    job.task = srv.loop.create_task(_run(srv, waiter, job))


def kill_rewrite(srv) -> None:
    """killAppendOnlyChild: stop a running BGREWRITEAOF at once (see :func:`_kill`)."""
    st = state(srv)
    job = st.job
    if job is None or not job.rewrite or job.aborted:
        return
    pid = job.proc.pid if job.proc is not None else None
    # (no pid yet: the job still waits for the log to be durable before it spawns)
    log.info("Killing running AOF rewrite child: %s", pid if pid is not None else "(not spawned yet)")
    _kill(srv, job)
    if st.scheduled:  # a BGSAVE SCHEDULE waiting for the rewrite: its turn now
        st.scheduled = False
        start(srv)


def _kill(srv, job) -> None:
    """Kill a snapshotter job.  The server forgets it here (INFO shows nothing in progress, the
    last outcome and time are unchanged) and removes its temporary file (rdbRemoveTempFile);
    the process gets SIGUSR1 and exits, and the next job waits for it to be gone."""
    st = state(srv)
    job.aborted = True
    proc = job.proc
    if proc is not None:
        if proc.returncode is None:
            try:
                proc.send_signal(signal.SIGUSR1)
            except ProcessLookupError:
                pass
        _remove_temp(srv, proc)
    st.killed = job.task
    st.job = None
    st.in_progress = False
    st.rewriting = False


async def _kill_at_shutdown(srv) -> None:
    """prepareForShutdown: a snapshot still running is killed (its temporary file removed) and
    waited for, so that it does not outlive the server."""
    st = state(srv)
    job = st.job
    if job is None or job.aborted:
        return
    if job.rewrite:
        log.warning("There is a child rewriting the AOF. Killing it!")
    else:
        log.warning("There is a child saving an .rdb. Killing it!")
    _kill(srv, job)
    try:
        await asyncio.wait_for(asyncio.shield(job.task), 5.0)
    except (asyncio.TimeoutError, Exception):  # noqa: BLE001 - exiting anyway
        pass
    if job.proc is not None:  # (spawned meanwhile: _run signalled it)
        _remove_temp(srv, job.proc)


def _remove_temp(srv, proc) -> None:
    """rdbRemoveTempFile: a killed snapshotter's ``temp-<pid>.rdb``."""
    try:
        os.unlink(temp_path(srv.config["dir"], proc.pid))
    except OSError:
        pass


Server.shutdown_hooks.append(_kill_at_shutdown)


def _appendonly_changed(srv, value: bool, prev: bool) -> None:
    """CONFIG SET appendonly (updateAppendonly).  Perdure's log stays on either way -- it is
    what makes writes durable -- but a rewrite follows Redis: turning AOF off kills a running
    rewrite and drops a scheduled one (stopAppendOnly); turning it on starts a rewrite, or
    schedules it while a BGSAVE runs, or restarts a running one (startAppendOnly)."""
    st = state(srv)
    if prev and not value:
        st.rewrite_scheduled = False
        kill_rewrite(srv)
    elif value and not prev:
        if st.in_progress and not st.rewriting:
            st.rewrite_scheduled = True
            log.warning("AOF was enabled but there is already another background operation. An AOF "
                        "background was scheduled to start when possible.")
            return
        if st.in_progress:
            log.warning("AOF was enabled but there is already an AOF rewriting in background. Stopping "
                        "background AOF and starting a rewrite now.")
            kill_rewrite(srv)
            if st.in_progress:  # kill_rewrite started a scheduled BGSAVE
                st.rewrite_scheduled = True
                return
        start(srv, rewrite=True)


Server.config_updaters["appendonly"] = _appendonly_changed


async def _run(srv, waiter, job) -> None:
    st = state(srv)
    ok = False
    t0 = time.monotonic()
    try:
        lg = srv.log
        if not await lg.drain():
            raise RuntimeError("the log has failed: %s" % (lg.failed,))
        prev = st.killed
        if prev is not None and prev is not job.task:
            await prev  # a killed snapshotter still holds the snapshot lock until it exits
        if job.aborted:
            return
        upto = lg.durable
        proc = await asyncio.create_subprocess_exec(
            *child_args(srv), "--upto", str(upto),
            stdout=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL)
        job.proc = proc
        if job.aborted:  # killed while the process was being spawned
            proc.send_signal(signal.SIGUSR1)
        out, _ = await proc.communicate()
        if job.aborted:
            return
        rep = _parse_report(out)
        if proc.returncode != 0 or not rep.get("ok"):
            raise RuntimeError(rep.get("error") or "snapshotter exited with status %s" % proc.returncode)
        offset = rep["offset"]
        # the snapshot is verified and in place: the log before it is no longer needed
        backend = srv.backend
        await lg.call_in_worker(backend.truncate_before, offset)
        removed = await asyncio.get_running_loop().run_in_executor(
            None, prune, srv.config["dir"], srv.config["snapshot-retention-limit"])
        st.last_offset = offset
        st.count += 1
        srv.lastsave = int(time.time())
        srv.dirty_at_lastsave = st.dirty_before
        ok = True
        log.warning("snapshot %s: log offset %d, %d keys, %d log records replayed, %.3f s%s",
                    rep.get("path"), offset, rep.get("keys", 0), rep.get("replayed", 0),
                    time.monotonic() - t0, ("; removed " + ", ".join(removed)) if removed else "")
    except Exception as e:  # noqa: BLE001 - any failure is reported, the server goes on
        if not job.aborted:
            st.last_error = str(e)
            log.error("snapshot failed: %s", e)
    finally:
        if st.killed is job.task:
            st.killed = None
        if not job.aborted:
            _finish(srv, st, waiter, ok, t0)


def _finish(srv, st, waiter, ok: bool, t0: float) -> None:
    """A snapshot ended (not killed): record its outcome, start what was scheduled."""
    st.in_progress = False
    st.job = None
    if st.rewriting:
        st.rewriting = False
        st.rewrite_last_status = "ok" if ok else "err"
        st.rewrite_last_seconds = int(time.monotonic() - t0)
        if ok:
            srv.log_base_size = None  # INFO aof_base_size: the log's size after this rewrite
    else:
        st.last_status = "ok" if ok else "err"
        st.last_seconds = int(time.monotonic() - t0)
    if waiter is not None:
        waiter.done(srv, ok)
    if st.rewrite_scheduled:
        st.rewrite_scheduled = False
        start(srv, rewrite=True)
    elif st.scheduled:
        st.scheduled = False
        start(srv)


def _parse_report(out: bytes) -> dict:
    for line in reversed(out.decode("utf-8", "replace").splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                break
    return {}


# ---- automatic snapshots ---------------------------------------------------------------------


def _parse_window(w: str):
    """``"HH:MM-HH:MM"`` -> (start minute, end minute) of the UTC day, or None."""
    try:
        a, b = w.split("-")
        h1, m1 = (int(x) for x in a.split(":"))
        h2, m2 = (int(x) for x in b.split(":"))
    except ValueError:
        return None
    return h1 * 60 + m1, h2 * 60 + m2


def _in_window(win, now: float) -> tuple[bool, datetime.date]:
    t = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
    m = t.hour * 60 + t.minute
    s, e = win
    day = t.date()
    if s <= e:
        return s <= m < e, day
    # the window crosses midnight: it belongs to the day it started on
    if m >= s:
        return True, day
    if m < e:
        return True, day - datetime.timedelta(days=1)
    return False, day


def _save_points(srv):
    v = srv.config["save"]
    if not v:
        return ()
    parts = v.split()
    return [(int(parts[i]), int(parts[i + 1])) for i in range(0, len(parts) - 1, 2)]


def due(srv, now: float) -> str | None:
    """Why an automatic snapshot should start now, or None."""
    st = state(srv)
    backend = srv.backend
    lg = srv.log
    if backend is None or lg is None or not hasattr(lg, "appended"):
        return None
    new_bytes = lg.appended - st.last_offset
    if new_bytes <= 0:
        return None
    limit = srv.config["snapshot-log-bytes"]
    if limit and new_bytes > limit:
        return "log grew by %d bytes since the last snapshot" % new_bytes
    changes = srv.dirty - getattr(srv, "dirty_at_lastsave", 0)
    for secs, chg in _save_points(srv):
        if changes >= chg and now - srv.lastsave > secs and (
                now - st.last_try > _RETRY_DELAY or st.last_status == "ok"):
            return "%d changes in %d seconds" % (chg, secs)
    win = _parse_window(srv.config["snapshot-window"] or "")
    if win is not None:
        inside, day = _in_window(win, now)
        if inside and st.last_window_day != day:
            st.last_window_day = day
            return "snapshot window %s" % srv.config["snapshot-window"]
    return None


def cron(srv) -> None:
    """Server cron hook: start an automatic snapshot when one is due (checked once a second)."""
    if srv.loading:
        return
    now = time.time()
    st = state(srv)
    if now - getattr(st, "last_check", 0.0) < 1.0:
        return
    st.last_check = now
    if st.in_progress:
        return
    why = due(srv, now)
    if why:
        log.warning("starting an automatic snapshot: %s", why)
        start(srv)


Server.cron_hooks.append(cron)


def info_fields(srv) -> dict:
    """The rdb_* fields of INFO persistence, plus Perdure's snapshot_* ones."""
    st = state(srv)
    now = time.time()
    return {
        "rdb_bgsave_in_progress": 1 if st.in_progress and not st.rewriting else 0,
        "rdb_last_bgsave_status": st.last_status,
        "rdb_last_bgsave_time_sec": st.last_seconds,
        "rdb_current_bgsave_time_sec": int(now - st.started) if st.in_progress and not st.rewriting else -1,
        "aof_rewrite_in_progress": 1 if st.in_progress and st.rewriting else 0,
        "aof_rewrite_scheduled": 1 if st.rewrite_scheduled else 0,
        "aof_last_rewrite_time_sec": st.rewrite_last_seconds,
        "aof_current_rewrite_time_sec": int(now - st.started) if st.in_progress and st.rewriting else -1,
        "aof_last_bgrewrite_status": st.rewrite_last_status,
        "snapshot_count": st.count,
        "snapshot_last_offset": st.last_offset,
        "snapshot_loaded": st.loaded.name if st.loaded is not None else "",
        "snapshot_loaded_keys": st.loaded_keys,
        "snapshot_load_time_sec": "%.3f" % st.load_seconds,
        "snapshot_last_error": st.last_error.replace("\r", " ").replace("\n", " "),
    }
