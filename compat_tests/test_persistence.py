"""Background persistence jobs and ``CONFIG SET appendonly`` (aof.c's start/stopAppendOnly).

Turning AOF off kills a running AOF rewrite and forgets a scheduled one; turning it on
starts one (or schedules it behind a running BGSAVE).  In Perdure the log stays on whatever
``appendonly`` says -- it is what makes a write durable -- and a "rewrite" is a snapshot that
compacts it, but the rewrite job is started, scheduled and killed as in Redis, with the same
log lines.  Each test runs on a private instance logging to a file it can read.
"""

from __future__ import annotations

import contextlib
import socket
import time
from pathlib import Path

import psutil
import pytest
import redis

from .helpers import ex

pytestmark = pytest.mark.not_on("external", reason="starts private instances and reads their log file")


@contextlib.contextmanager
def _instance(make_server, tmp_path, appendonly: str):
    """A private instance logging to a file: (target, client, log file); the client is closed
    on the way out."""
    logfile = tmp_path / "server.log"
    t = make_server("--appendonly", appendonly, "--loglevel", "notice", "--logfile", logfile)
    c = t.client()
    try:
        yield t, c, logfile
    finally:
        c.close()


def _info(c, section: str) -> dict:
    out = {}
    for line in ex(c, "INFO", section).decode().splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k] = v
    return out


def _exec(c, *commands) -> list:
    """Run ``commands`` in one MULTI/EXEC (so they run back to back); EXEC's replies."""
    ex(c, "MULTI")
    for cmd in commands:
        ex(c, *cmd)
    return ex(c, "EXEC")


def _persistence(c) -> dict:
    return _info(c, "persistence")


def _wait_idle(c, timeout: float = 30.0) -> dict:
    """Wait until no BGSAVE or rewrite runs or is scheduled; the INFO persistence fields."""
    deadline = time.monotonic() + timeout
    while True:
        info = _persistence(c)
        if (info["rdb_bgsave_in_progress"], info["aof_rewrite_in_progress"],
                info["aof_rewrite_scheduled"]) == ("0", "0", "0"):
            return info
        assert time.monotonic() < deadline, "background jobs did not end: %r" % info
        time.sleep(0.05)


def _wait_log(logfile, text: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        log = logfile.read_text(errors="replace")
        if text in log:
            return log
        assert time.monotonic() < deadline, "%r not in the log:\n%s" % (text, log[-3000:])
        time.sleep(0.05)


def test_appendonly_no_kills_the_rewrite_child(make_server, tmp_path):
    # unit/aofrw "Turning off AOF kills the background writing child if any"
    with _instance(make_server, tmp_path, "yes") as (t, c, logfile):
        for i in range(100):
            ex(c, "SET", "k%d" % i, "v")
        assert _exec(c, ["BGREWRITEAOF"], ["CONFIG", "SET", "appendonly", "no"]) == [
            b"Background append only file rewriting started", b"OK"]
        info = _persistence(c)
        # the child is gone at once; the last rewrite's outcome is not changed by the kill
        assert info["aof_rewrite_in_progress"] == "0"
        assert info["aof_rewrite_scheduled"] == "0"
        assert info["aof_last_bgrewrite_status"] == "ok"
        assert info["aof_last_rewrite_time_sec"] == "-1"
        _wait_log(logfile, "Killing running AOF rewrite child: ")
        # the next rewrite runs normally
        assert ex(c, "BGREWRITEAOF") == b"Background append only file rewriting started"
        info = _wait_idle(c)
        assert info["aof_last_bgrewrite_status"] == "ok"
        assert info["aof_last_rewrite_time_sec"] != "-1"
        assert ex(c, "DBSIZE") == 100


def test_appendonly_no_when_already_off_leaves_the_rewrite(make_server, tmp_path):
    with _instance(make_server, tmp_path, "no") as (t, c, logfile):
        ex(c, "SET", "k", "v")
        assert _exec(c, ["BGREWRITEAOF"], ["CONFIG", "SET", "appendonly", "no"]) == [
            b"Background append only file rewriting started", b"OK"]
        info = _wait_idle(c)
        assert info["aof_last_bgrewrite_status"] == "ok"
        assert info["aof_last_rewrite_time_sec"] != "-1"  # it ran to the end
        assert "Killing" not in logfile.read_text(errors="replace")


def test_appendonly_no_drops_a_scheduled_rewrite(make_server, tmp_path):
    with _instance(make_server, tmp_path, "yes") as (t, c, _):
        ex(c, "SET", "k", "v")
        saved, sched, before, ok, after = _exec(
            c, ["BGSAVE"], ["BGREWRITEAOF"], ["INFO", "persistence"],
            ["CONFIG", "SET", "appendonly", "no"], ["INFO", "persistence"])
        assert (saved, sched, ok) == (b"Background saving started",
                                      b"Background append only file rewriting scheduled", b"OK")
        assert b"aof_rewrite_scheduled:1" in before
        assert b"aof_rewrite_scheduled:0" in after
        info = _wait_idle(c)
        assert info["rdb_last_bgsave_status"] == "ok"
        assert info["aof_last_rewrite_time_sec"] == "-1"  # the rewrite never ran


def test_appendonly_yes_starts_a_rewrite(make_server, tmp_path):
    with _instance(make_server, tmp_path, "no") as (t, c, _):
        ex(c, "SET", "k", "v")
        assert _persistence(c)["aof_last_rewrite_time_sec"] == "-1"
        assert ex(c, "CONFIG", "SET", "appendonly", "yes") == b"OK"
        info = _wait_idle(c)
        assert info["aof_last_bgrewrite_status"] == "ok"
        assert info["aof_last_rewrite_time_sec"] != "-1"
        assert ex(c, "GET", "k") == b"v"


def test_appendonly_yes_during_bgsave_schedules_the_rewrite(make_server, tmp_path):
    with _instance(make_server, tmp_path, "no") as (t, c, logfile):
        ex(c, "SET", "k", "v")
        saved, ok, info = _exec(c, ["BGSAVE"], ["CONFIG", "SET", "appendonly", "yes"],
                                ["INFO", "persistence"])
        assert (saved, ok) == (b"Background saving started", b"OK")
        assert b"aof_rewrite_scheduled:1" in info
        _wait_log(logfile, "AOF was enabled but there is already another background operation. "
                           "An AOF background was scheduled to start when possible.")
        info = _wait_idle(c)
        assert info["rdb_last_bgsave_status"] == "ok"
        assert info["aof_last_bgrewrite_status"] == "ok"
        assert info["aof_last_rewrite_time_sec"] != "-1"


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _refused(t) -> bool:
    try:
        socket.create_connection((t.host, t.port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def test_shutdown_kills_the_saving_child_and_removes_its_temp_rdb(make_server, tmp_path):
    # unit/shutdown "Temp rdb will be deleted if we use bg_unlink when shutdown"
    with _instance(make_server, tmp_path, "no") as (t, c, logfile):
        for i in range(20):
            ex(c, "SET", str(i), str(i))
        data_dir = Path(ex(c, "CONFIG", "GET", "dir")[1].decode())
        ex(c, "CONFIG", "SET", "rdb-key-save-delay", "100000")  # 100 ms a key: 2 s in all
        assert ex(c, "BGSAVE") == b"Background saving started"
        deadline = time.monotonic() + 10
        while not (temps := sorted(data_dir.glob("temp-*.rdb"))):
            assert time.monotonic() < deadline, "no temp-<pid>.rdb in %s" % data_dir
            time.sleep(0.01)
        assert len(temps) == 1
        child = int(temps[0].name[len("temp-"):-len(".rdb")])
        server_pid = int(_info(c, "server")["process_id"])
        with pytest.raises(redis.ConnectionError):
            ex(c, "SHUTDOWN", "NOSAVE")
        # the connection closes as the server exits, after the shutdown's work: the temp file
        # is already gone
        assert not temps[0].exists()
    assert _refused(t)
    deadline = time.monotonic() + 10
    while not _gone(server_pid):
        assert time.monotonic() < deadline, "the server did not exit after SHUTDOWN"
        time.sleep(0.02)
    assert not temps[0].exists()
    assert "There is a child saving an .rdb. Killing it!" in logfile.read_text(errors="replace")
    deadline = time.monotonic() + 10
    while not _gone(child):
        assert time.monotonic() < deadline, "the saving child outlived the server"
        time.sleep(0.05)
