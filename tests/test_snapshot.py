"""Snapshots: SAVE/BGSAVE/LASTSAVE/INFO, recovery (newest snapshot + log after it), automatic
snapshots, retention, the CLI, corrupt snapshots, and crash tests (kill -9 during a snapshot and
during log truncation: restart is correct and nothing acknowledged is lost)."""

from __future__ import annotations

import datetime
import os
import shutil
import signal
import threading
import time

import pytest
import redis

from perdure.server.snapshot import list_snapshots

from .serverutil import PerdureProcess
from .test_rdb_oracle import assert_states, build_dataset, run_cli, snapshot_of

SEG = ["--log-segment-bytes", "1mb"]
NO_AUTO = ["--snapshot-window", "", "--snapshot-log-bytes", "0"]


def wait_until(fn, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def raw(c, *args):
    """The reply as parsed, without redis-py's response callbacks (BGSAVE's status text)."""
    conn = c.connection_pool.get_connection()
    try:
        conn.send_command(*args)
        return conn.read_response()
    finally:
        c.connection_pool.release(conn)


def pinfo(c) -> dict:
    return c.info("persistence")


def wait_snapshots(c, n, timeout=30.0):
    wait_until(lambda: (i := pinfo(c))["snapshot_count"] >= n and not i["rdb_bgsave_in_progress"]
               and not i["aof_rewrite_in_progress"] and not i["aof_rewrite_scheduled"],
               timeout, "%d snapshot(s)" % n)


def segments(d) -> list:
    return sorted(n for n in os.listdir(os.path.join(d, "log")) if n.endswith(".seg"))


def fill(c, prefix, n=60, size=50_000):
    """About n*size bytes of log: enough for several 1 MB segments."""
    for i in range(n):
        c.set("%s:%d" % (prefix, i), os.urandom(size // 2).hex())


def state(p):
    return snapshot_of(lambda db: p.client(db=db))


def test_bgsave_truncates_log_and_recovers(tmp_path):
    d = tmp_path / "d"
    with PerdureProcess(d, *SEG, *NO_AUTO) as p:
        c = p.client()
        build_dataset(lambda db: p.client(db=db))
        fill(c, "big")
        assert len(segments(d)) >= 3
        before = c.lastsave()
        time.sleep(1.1)
        assert raw(c, "BGSAVE") == b"Background saving started"
        wait_snapshots(c, 1)
        info = pinfo(c)
        assert info["rdb_last_bgsave_status"] == "ok"
        assert info["rdb_changes_since_last_save"] == 0
        assert c.lastsave() > before
        snaps = list_snapshots(d)
        assert len(snaps) == 1 and snaps[0].offset == info["snapshot_last_offset"]
        assert len(segments(d)) == 1  # everything before the snapshot's offset dropped
        # more writes after the snapshot, DUMP/RESTORE among them
        payload = c.dump("s:lzf")
        c.restore("restored", 0, payload)
        c.restore("restored:ttl", 600_000, payload)
        c.restore("h:zl", 0, c.dump("h:ht"), replace=True)
        c.set("after", "snapshot")
        want = state(p)
        p.kill()
    with PerdureProcess(d, *SEG, *NO_AUTO) as p:
        assert_states(state(p), want)
        info = pinfo(p.client())
        assert info["snapshot_loaded"] == snaps[0].name
        assert info["snapshot_loaded_keys"] > 0
        assert "log_load_time_sec" in info
        assert raw(p.client(), "LASTSAVE") == int(snaps[0].created_ms / 1000)
    assert "loaded snapshot %s" % snaps[0].name in p.stderr()


def test_bgrewriteaof_compacts_the_log(tmp_path):
    """BGREWRITEAOF is the log rewrite: a snapshot that drops the segments it covers, reported
    in the aof_rewrite_* fields (not the rdb_bgsave_* ones); the data survives a SIGKILL."""
    d = tmp_path / "d"
    with PerdureProcess(d, *SEG, *NO_AUTO) as p:
        c = p.client()
        fill(c, "big")
        c.set("after", "1")
        assert len(segments(d)) >= 3
        size_before = pinfo(c)["aof_current_size"]
        assert raw(c, "BGREWRITEAOF") == b"Background append only file rewriting started"
        info = pinfo(c)
        if info["aof_rewrite_in_progress"] == 1:
            assert info["rdb_bgsave_in_progress"] == 0
            with pytest.raises(redis.ResponseError, match="^Background append only file rewriting already in progress$"):
                raw(c, "BGREWRITEAOF")
            with pytest.raises(redis.ResponseError, match="^An AOF log rewriting in progress: can't BGSAVE right now"):
                raw(c, "BGSAVE")
        wait_snapshots(c, 1)
        info = pinfo(c)
        assert info["aof_rewrite_in_progress"] == 0
        assert info["aof_last_bgrewrite_status"] == "ok"
        assert info["aof_last_rewrite_time_sec"] >= 0
        assert info["rdb_last_bgsave_time_sec"] == -1  # no BGSAVE ran
        assert len(segments(d)) == 1
        assert info["aof_current_size"] < size_before
        # a rewrite asked for during a BGSAVE is scheduled and runs after it
        c.set("more", "2")
        assert raw(c, "BGSAVE") == b"Background saving started"
        r = raw(c, "BGREWRITEAOF")
        if r == b"Background append only file rewriting scheduled":
            assert pinfo(c)["aof_rewrite_scheduled"] == 1
            wait_snapshots(c, 3)
        else:  # the BGSAVE already ended
            assert r == b"Background append only file rewriting started"
            wait_snapshots(c, 3)
        assert pinfo(c)["aof_rewrite_scheduled"] == 0
        digest = c.execute_command("DEBUG", "DIGEST")
        p.kill()
    with PerdureProcess(d, *SEG, *NO_AUTO) as p:
        c = p.client()
        assert c.execute_command("DEBUG", "DIGEST") == digest
        assert c.get("after") == b"1" and c.get("more") == b"2"


def test_save_bgsave_lastsave_replies(tmp_path):
    with PerdureProcess(tmp_path / "d", *NO_AUTO) as p:
        c = p.client()
        c.set("a", "1")
        before = c.lastsave()
        time.sleep(1.05)
        assert raw(c, "SAVE") == b"OK"
        assert c.lastsave() > before
        assert pinfo(c)["rdb_bgsave_in_progress"] == 0
        with pytest.raises(redis.ResponseError, match="syntax error"):
            raw(c, "BGSAVE", "NOW")
        with pytest.raises(redis.ResponseError, match="syntax error"):
            raw(c, "BGSAVE", "SCHEDULE", "X")
        c.set("b", "2")
        assert raw(c, "BGSAVE") == b"Background saving started"
        with pytest.raises(redis.ResponseError, match="^Background save already in progress$"):
            raw(c, "BGSAVE")
        with pytest.raises(redis.ResponseError, match="^Background save already in progress$"):
            raw(c, "BGSAVE", "SCHEDULE")
        with pytest.raises(redis.ResponseError, match="^Background save already in progress$"):
            raw(c, "SAVE")
        assert pinfo(c)["rdb_bgsave_in_progress"] == 1
        wait_snapshots(c, 2)
        assert raw(c, "BGSAVE", "schedule") == b"Background saving started"
        wait_snapshots(c, 3)
        with pytest.raises(redis.ResponseError, match="wrong number of arguments"):
            raw(c, "SAVE", "x")
        # other clients are served while SAVE waits
        other = p.client()
        t = threading.Thread(target=lambda: raw(c, "SAVE"))
        t.start()
        for _ in range(20):
            assert other.ping()
        t.join(30)
        tx = c.pipeline(transaction=True)
        tx.execute_command("SAVE")
        res = tx.execute(raise_on_error=False)
        assert isinstance(res[0], redis.ResponseError)


def test_automatic_snapshot_on_log_size(tmp_path):
    with PerdureProcess(tmp_path / "d", "--snapshot-window", "", "--snapshot-log-bytes", "20000") as p:
        c = p.client()
        c.set("small", "x")
        time.sleep(1.5)
        assert pinfo(c)["snapshot_count"] == 0
        fill(c, "k", n=5, size=10_000)
        wait_snapshots(c, 1)
        assert "automatic snapshot: log grew" in p.stderr()


def test_automatic_snapshot_in_window_and_save_points(tmp_path):
    now = datetime.datetime.now(datetime.timezone.utc)
    a = (now - datetime.timedelta(minutes=1)).strftime("%H:%M")
    b = (now + datetime.timedelta(minutes=3)).strftime("%H:%M")
    with PerdureProcess(tmp_path / "d", "--snapshot-window", "%s-%s" % (a, b), "--snapshot-log-bytes", "0") as p:
        c = p.client()
        c.set("k", "v")
        wait_snapshots(c, 1)
        c.set("k2", "v")
        time.sleep(2.5)
        assert pinfo(c)["snapshot_count"] == 1  # once a day
    with PerdureProcess(tmp_path / "d2", *NO_AUTO, "--save", "1 2") as p:
        c = p.client()
        c.set("k", "v")
        time.sleep(2.5)
        assert pinfo(c)["snapshot_count"] == 0  # 1 change: not enough
        c.set("k2", "v")
        wait_snapshots(c, 1)


def test_retention_removes_old_snapshots(tmp_path):
    d = tmp_path / "d"
    with PerdureProcess(d, *NO_AUTO, "--snapshot-retention-limit", "1") as p:
        c = p.client()
        c.set("a", "1")
        assert raw(c, "SAVE") == b"OK"
        s0 = list_snapshots(d)[0]
        old = os.path.join(os.path.dirname(s0.path), "snapshot-%020d-%013d.rdb" % (s0.offset, s0.created_ms - 3 * 86400_000))
        shutil.copy(s0.path, old)  # a snapshot three days old
        recent = os.path.join(os.path.dirname(s0.path), "snapshot-%020d-%013d.rdb" % (s0.offset, s0.created_ms - 3600_000))
        shutil.copy(s0.path, recent)  # one hour old: kept
        stray = os.path.join(os.path.dirname(s0.path), ".tmp-999999-1.rdb")  # earlier versions' name
        open(stray, "wb").close()
        stray_temp = os.path.join(d, "temp-999999.rdb")  # a dead snapshotter's temporary file
        open(stray_temp, "wb").close()
        c.set("b", "2")
        assert raw(c, "SAVE") == b"OK"
        names = [s.name for s in list_snapshots(d)]
        assert os.path.basename(old) not in names
        assert os.path.basename(recent) in names and s0.name in names
        assert not os.path.exists(stray)
        assert not os.path.exists(stray_temp)
        assert not [n for n in os.listdir(d) if n.startswith("temp-")]  # the SAVEs left none
        assert len(names) == 3


def test_cli_create_list_export_restore(tmp_path):
    d = tmp_path / "d"
    with PerdureProcess(d, *NO_AUTO) as p:
        c = p.client()
        c.set("v", "1")
        c.rpush("l", "a", "b")
        c.expire("l", 3000)
        # create works while the server runs (it only reads the log)
        res = run_cli("snapshot", "create", "--dir", d)
        assert res.returncode == 0, res.stderr
        first = list_snapshots(d)[-1]
        c.set("v", "2")
        c.delete("l")
        res = run_cli("snapshot", "restore", "--dir", d, "--snapshot", first.name)
        assert res.returncode == 1 and "stop it first" in res.stderr
        res = run_cli("snapshot", "export", "--dir", d, "--rdb", tmp_path / "out.rdb")
        assert res.returncode == 0, res.stderr
        want_now = state(p)
    res = run_cli("snapshot", "list", "--dir", d)
    assert first.name in res.stdout
    # the export is the current state
    res = run_cli("snapshot", "import", "--dir", tmp_path / "e", "--rdb", tmp_path / "out.rdb")
    assert res.returncode == 0, res.stderr
    with PerdureProcess(tmp_path / "e", *NO_AUTO) as p:
        assert_states(state(p), want_now)
    # import refuses a directory holding data without --force
    res = run_cli("snapshot", "import", "--dir", d, "--rdb", tmp_path / "out.rdb")
    assert res.returncode == 1 and "--force" in res.stderr
    # restore rolls the directory back to the first snapshot
    res = run_cli("snapshot", "restore", "--dir", d, "--snapshot", first.name)
    assert res.returncode == 0, res.stderr
    with PerdureProcess(d, *NO_AUTO) as p:
        c = p.client()
        assert c.get("v") == b"1"
        assert c.lrange("l", 0, -1) == [b"a", b"b"]
        assert 2900 < c.ttl("l") <= 3000
        c.set("after", "restore")
        p.kill()
    with PerdureProcess(d, *NO_AUTO) as p:
        assert p.client().get("after") == b"restore"
        assert p.client().get("v") == b"1"


def test_corrupt_newest_snapshot(tmp_path):
    d = tmp_path / "d"
    with PerdureProcess(d, *SEG, *NO_AUTO) as p:
        c = p.client()
        c.set("a", "1")
        assert raw(c, "SAVE") == b"OK"
        c.set("b", "2")
        res = run_cli("snapshot", "create", "--dir", d)  # a newer one; the log still covers the first
        assert res.returncode == 0, res.stderr
        c.set("c", "3")
    newest = list_snapshots(d)[-1]
    data = bytearray(open(newest.path, "rb").read())
    data[len(data) // 2] ^= 0xFF
    open(newest.path, "wb").write(bytes(data))
    with PerdureProcess(d, *SEG, *NO_AUTO) as p:  # falls back to the older snapshot + log
        c = p.client()
        assert (c.get("a"), c.get("b"), c.get("c")) == (b"1", b"2", b"3")
        fill(c, "big", n=50)
        assert raw(c, "SAVE") == b"OK"  # truncates the log
        c.set("d", "4")
    newest = list_snapshots(d)[-1]
    data = bytearray(open(newest.path, "rb").read())
    data[len(data) // 2] ^= 0xFF
    open(newest.path, "wb").write(bytes(data))
    p = PerdureProcess(d, *SEG, *NO_AUTO)
    with pytest.raises(RuntimeError, match="cannot be loaded"):
        p.start()
    p.stop()


# ---- crash tests -----------------------------------------------------------------------------


class Writer(threading.Thread):
    """Writes numbered values to its own keys; remembers the last acknowledged one."""

    def __init__(self, p, name):
        super().__init__(daemon=True)
        self.c = p.client(socket_timeout=5)
        self.name = name
        self.acked = 0
        self.stop = threading.Event()

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                self.c.set("%s:last" % self.name, n)
                self.c.rpush("%s:list" % self.name, n)
                self.c.hset("%s:hash" % self.name, "f%d" % n, "x" * 300)
            except (redis.ConnectionError, redis.TimeoutError, OSError):
                return
            self.acked = n


def check_writer(c, name, acked):
    last = int(c.get("%s:last" % name) or 0)
    assert last >= acked, (name, last, acked)
    lst = [int(x) for x in c.lrange("%s:list" % name, 0, -1)]
    assert lst[:acked] == list(range(1, acked + 1)), name
    h = c.hgetall("%s:hash" % name)
    assert all(b"f%d" % i in h for i in range(1, acked + 1)), name


def _children(pid):
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


@pytest.mark.parametrize("victim", ["server", "snapshotter"])
def test_kill9_during_snapshot(tmp_path, victim):
    d = tmp_path / "d"
    acked = {}
    for rnd in range(2):
        p = PerdureProcess(d, *SEG, *NO_AUTO).start()
        c = p.client()
        for name, n in acked.items():
            check_writer(c, name, n)
        writers = [Writer(p, "r%dw%d" % (rnd, i)) for i in range(3)]
        for w in writers:
            w.start()
        fill(c, "r%d:big" % rnd, n=30)
        raw(c, "BGSAVE")
        child = wait_until(lambda p=p: [x for x in _children(p.proc.pid) if "snapshot" in " ".join(x.cmdline())],
                           10, "the snapshotter")
        time.sleep(0.1 + 0.2 * rnd)
        if victim == "snapshotter":
            for x in child:
                x.send_signal(signal.SIGKILL)
            wait_until(lambda c=c: not pinfo(c)["rdb_bgsave_in_progress"], 20, "the failed snapshot")
            assert pinfo(c)["rdb_last_bgsave_status"] in ("ok", "err")
            time.sleep(0.2)
        p.kill()
        for w in writers:
            w.stop.set()
            w.join(10)
            acked[w.name] = w.acked
        for x in child:  # an orphaned snapshotter may still finish: that is allowed
            try:
                x.wait(30)
            except Exception:
                pass
        p.stop()
    with PerdureProcess(d, *SEG, *NO_AUTO) as p:
        c = p.client()
        for name, n in acked.items():
            check_writer(c, name, n)
        for rnd in range(2):
            assert c.exists("r%d:big:29" % rnd)
        assert sum(acked.values()) > 0


def test_kill9_during_log_truncation(tmp_path):
    """The states a crash in the middle of truncate_before can leave: a verified snapshot and
    all, some or none of the segments it covers."""
    d = tmp_path / "d"
    with PerdureProcess(d, *SEG, *NO_AUTO) as p:
        c = p.client()
        c.rpush("l", *range(1000))
        c.hset("h", mapping={"f%d" % i: i for i in range(100)})
        fill(c, "big", n=70)
        want_mid = state(p)
    res = run_cli("snapshot", "create", "--dir", d)  # the snapshot is in place, nothing truncated yet
    assert res.returncode == 0, res.stderr
    segs = segments(d)
    assert len(segs) >= 4
    full = tmp_path / "full"
    shutil.copytree(d, full)
    for keep_from in (0, 2, len(segs) - 1):
        shutil.rmtree(d)
        shutil.copytree(full, d)
        for s in segs[:keep_from]:  # segments are unlinked oldest first
            os.unlink(os.path.join(d, "log", s))
        with PerdureProcess(d, *SEG, *NO_AUTO) as p:
            assert_states(state(p), want_mid)
            p.client().set("after", keep_from)
            p.kill()
        with PerdureProcess(d, *SEG, *NO_AUTO) as p:
            assert int(p.client().get("after")) == keep_from
            assert raw(p.client(), "SAVE") == b"OK"
            assert len(segments(d)) == 1


# ---- MIGRATE between two Perdure servers (TLS) ---------------------------------------------


def test_migrate_between_perdure_servers(tmp_path):
    a_dir, b_dir = tmp_path / "a", tmp_path / "b"
    with PerdureProcess(a_dir, *NO_AUTO) as a:
        shutil.copytree(a_dir / "tls", b_dir / "tls")  # B serves A's certificates: A trusts it
        with PerdureProcess(b_dir, *NO_AUTO) as b:
            b.client().config_set("requirepass", "sekret")
            ca, cb = a.client(), b.client(password="sekret")
            ca.set("s", "v")
            ca.pexpire("s", 100_000)
            ca.rpush("l", *range(100))
            ca.hset("h", mapping={"f": "1"})
            ca.zadd("z", {"m": 1.5})
            ca.set("keep", "x")
            port = b.port
            assert raw(ca, "MIGRATE", "127.0.0.1", port, "s", 0, 5000, "AUTH", "sekret") == b"OK"
            assert ca.exists("s") == 0
            assert cb.get("s") == b"v" and 90_000 < cb.pttl("s") <= 100_000
            assert raw(ca, "MIGRATE", "127.0.0.1", port, "", 3, 5000, "AUTH2", "default", "sekret",
                       "KEYS", "l", "h", "missing") == b"OK"
            cb3 = b.client(db=3, password="sekret")
            assert cb3.lrange("l", 0, -1) == [str(i).encode() for i in range(100)]
            assert cb3.hgetall("h") == {b"f": b"1"}
            assert ca.exists("l", "h") == 0
            assert raw(ca, "MIGRATE", "127.0.0.1", port, "z", 0, 5000, "COPY", "AUTH", "sekret") == b"OK"
            assert ca.zscore("z", "m") == 1.5 and cb.zscore("z", "m") == 1.5
            with pytest.raises(redis.ResponseError, match="^Target instance replied with error: BUSYKEY "
                                                          "Target key name already exists.$"):
                raw(ca, "MIGRATE", "127.0.0.1", port, "z", 0, 5000, "AUTH", "sekret")
            assert ca.exists("z") == 1
            ca.zadd("z", {"n": 2})
            assert raw(ca, "MIGRATE", "127.0.0.1", port, "z", 0, 5000, "REPLACE", "AUTH", "sekret") == b"OK"
            assert cb.zrange("z", 0, -1) == [b"m", b"n"] and ca.exists("z") == 0
            with pytest.raises(redis.ResponseError, match="^Target instance replied with error: WRONGPASS"):
                raw(ca, "MIGRATE", "127.0.0.1", port, "keep", 0, 5000, "AUTH", "nope")
            assert ca.get("keep") == b"x"  # an AUTH error fails the MIGRATE: the key stays here
            # (the cached connection was authenticated before, so the RESTORE itself went through)
            with pytest.raises(redis.ResponseError, match="^Target instance replied with error: BUSYKEY"):
                raw(ca, "MIGRATE", "127.0.0.1", port, "keep", 0, 5000)
            assert ca.get("keep") == b"x"
        a.kill()
    with PerdureProcess(a_dir, *NO_AUTO) as a:  # the DELs were logged
        ca = a.client()
        assert ca.exists("s", "l", "h", "z") == 0
        assert ca.get("keep") == b"x"
