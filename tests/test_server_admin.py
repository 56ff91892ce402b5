"""Administration commands that need a server of their own: SHUTDOWN (graceful: the log is
flushed, clients are disconnected, the process exits 0 and a restart finds every write),
DEBUG RELOAD (the keyspace rebuilt from the log) and statistics across a restart (replaying the
log is not client activity: INFO commandstats / keyspace hits start from zero)."""

from __future__ import annotations

import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .serverutil import PerdureProcess


def _client(srv):
    """No reconnection attempts: a closed connection must surface at once."""
    return srv.client(retry=Retry(NoBackoff(), 0))


def _wait_exit(srv, timeout=15.0) -> int:
    deadline = time.monotonic() + timeout
    while srv.proc.poll() is None:
        assert time.monotonic() < deadline, "server did not exit after SHUTDOWN"
        time.sleep(0.05)
    return srv.proc.returncode


@pytest.mark.parametrize("args", [(), ("NOSAVE",), ("save",)])
def test_shutdown_is_graceful_and_durable(tmp_path, args):
    srv = PerdureProcess(tmp_path / "data").start()
    try:
        c = _client(srv)
        other = _client(srv)
        other.ping()
        for i in range(200):
            c.set("k%d" % i, "v%d" % i)
        c.rpush("list", *range(50))
        with pytest.raises(redis.ConnectionError):
            c.execute_command("SHUTDOWN", *args)
        assert _wait_exit(srv) == 0
        with pytest.raises(redis.ConnectionError):
            other.ping()
        srv.start()
        c = srv.client()
        assert c.get("k0") == b"v0" and c.get("k199") == b"v199"
        assert c.llen("list") == 50
    finally:
        srv.stop()


def test_shutdown_syntax_error_keeps_running(tmp_path):
    with PerdureProcess(tmp_path / "data") as srv:
        c = srv.client()
        with pytest.raises(redis.ResponseError, match="syntax error"):
            c.execute_command("SHUTDOWN", "NOW")
        assert c.ping()


def test_stats_do_not_count_log_replay(tmp_path):
    srv = PerdureProcess(tmp_path / "data").start()
    try:
        c = srv.client()
        for i in range(20):
            c.set("k%d" % i, i)
        srv.stop()
        srv.start()
        c = srv.client()
        stats = c.execute_command("INFO", "commandstats")
        assert "cmdstat_set" not in stats
        info = c.info("stats")
        assert info["keyspace_hits"] == 0 and info["keyspace_misses"] == 0
        assert c.info("keyspace")["db0"]["keys"] == 20
        assert c.info("persistence")["log_loaded_records"] >= 20
    finally:
        srv.stop()


def test_debug_reload_rebuilds_from_log(tmp_path):
    with PerdureProcess(tmp_path / "data") as srv:
        c = srv.client()
        for i in range(100):
            c.set("s%d" % i, i)
            c.hset("h", "f%d" % i, i)
        c.incr("s0")
        c.lpush("l", "a", "b")
        c.execute_command("SET", "ttl", "v", "EX", "1000")
        before = c.execute_command("DEBUG", "DIGEST")
        assert c.execute_command("DEBUG", "RELOAD") in (b"OK", True)
        assert c.execute_command("DEBUG", "DIGEST") == before
        assert c.get("s0") == b"1"
        # writes after a reload are logged and survive a restart as usual
        c.set("after", "reload")
        srv.stop()
        srv.start()
        c = srv.client()
        assert c.execute_command("DEBUG", "DIGEST") != before
        assert c.get("after") == b"reload"
        c.delete("after")
        assert c.execute_command("DEBUG", "DIGEST") == before


def test_debug_reload_concurrent_writers(tmp_path):
    """Writes racing with DEBUG RELOAD are either in the reloaded dataset or rejected (LOADING),
    never acknowledged and lost."""
    import threading

    with PerdureProcess(tmp_path / "data") as srv:
        stop = threading.Event()
        acked = []

        def writer():
            w = srv.client()
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    w.set("w%d" % i, i)
                    acked.append(i)
                except redis.ResponseError as e:
                    assert "LOADING" in str(e)

        t = threading.Thread(target=writer)
        t.start()
        c = srv.client()
        try:
            for _ in range(3):
                time.sleep(0.05)
                assert c.execute_command("DEBUG", "RELOAD") in (b"OK", True)
        finally:
            stop.set()
            t.join(10)
        for i in acked:
            assert c.get("w%d" % i) == str(i).encode()


def test_config_rewrite(tmp_path):
    conf = tmp_path / "perdure.conf"
    conf.write_text("# my settings\nmaxmemory-samples 7\n")
    first = PerdureProcess(tmp_path / "data", "--include", str(conf))
    port = first.port
    with first as srv:
        c = srv.client()
        assert c.config_get("maxmemory-samples") == {"maxmemory-samples": "7"}
        c.config_set("hz", 20)
        c.config_set("maxmemory-samples", 9)
        assert c.execute_command("CONFIG", "REWRITE") in (b"OK", True)
    text = conf.read_text()
    assert text.startswith("# my settings\n")
    assert "maxmemory-samples 9\n" in text and "hz 20\n" in text
    # like Redis, the rewrite also records the options given on the command line (the port)
    assert "tls-port %d\n" % port in text
    with PerdureProcess(tmp_path / "data", "--include", str(conf), port=port) as srv:
        assert srv.client().config_get("hz") == {"hz": "20"}


def test_shutdown_inside_transaction(tmp_path):
    srv = PerdureProcess(tmp_path / "data").start()
    try:
        c = _client(srv)
        p = c.pipeline(transaction=True)
        p.set("in-multi", "1")
        p.execute_command("SHUTDOWN")
        with pytest.raises(redis.ConnectionError):
            p.execute()
        assert _wait_exit(srv) == 0
        srv.start()
        assert srv.client().get("in-multi") == b"1"
    finally:
        srv.stop()
