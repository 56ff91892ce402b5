"""End to end: the README quick start, the walkthrough's curl session, a crash, a restart.

1. ``perdure cluster create`` starts a one-node cluster (TLS, cluster mode, durable log with
   ``appendfsync always``); ``perdure acl create-user`` adds ``customer-app``, allowed only
   ``~customer:*`` and the commands the API needs.
2. ``server.py`` runs as a real HTTP server (Flask) on a free port, connected with redis-py's
   ``RedisCluster`` over TLS as ``customer-app``.
3. The walkthrough's requests, with a real HTTP client (``urllib``): three POSTs of the same
   customer, the list, PUT ``{"balance": 0}``, GET shows ``"balance": "0"``, DELETE, 404.
4. ``kill -9`` of the database, ``perdure cluster start``: the same service (same process, same
   client object) serves every customer that was not deleted, with the same fields; the node
   kept its id.
5. ``customer-app`` gets NOPERM outside ``customer:*`` and for commands it was not given.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

import pytest
import redis
from redis.cluster import RedisCluster

HERE = os.path.dirname(os.path.abspath(__file__))
ACCESS = "on ~customer:* resetchannels -@all +hset +hgetall +scan +del +cluster|slots +command"
CUSTOMER = {"name": "John Doe", "address": "1 Main Street, Anytown", "phone": "+1 555 0100",
            "email": "john.doe@example.com", "balance": 1000}


def free_port(limit: int = 65535) -> int:
    for _ in range(500):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port <= limit:
            return port
    raise RuntimeError("no free port")


def perdure(*args, timeout=120):
    """Run the ``perdure`` command line; return its stdout (fails the test on an error)."""
    p = subprocess.run([sys.executable, "-m", "perdure.server.cli", *args], capture_output=True,
                       text=True, timeout=timeout)
    assert p.returncode == 0, "perdure %s failed (%d):\n%s\n%s" % (" ".join(args), p.returncode,
                                                                   p.stdout, p.stderr)
    return p.stdout


def http(method: str, url: str, body=None):
    """(status, parsed JSON or None)."""
    data = None
    headers = {}
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    return status, (json.loads(raw) if raw.strip() else None)


class Env:
    def __init__(self, tmp):
        self.dir = str(tmp)
        self.db_port = free_port(55535)
        self.http_port = free_port()
        self.password = secrets.token_urlsafe(16)
        self.node_dir = os.path.join(self.dir, "demo", "0001-001")
        self.ca = os.path.join(self.node_dir, "tls", "ca.crt")
        self.base = "http://127.0.0.1:%d" % self.http_port
        self.app = None

    def cli(self, *args):
        return perdure(*args, "--name", "demo", "--dir", self.dir)

    def node_pid(self) -> int:
        with open(os.path.join(self.node_dir, "perdure.pid")) as f:
            return int(f.read())

    def admin(self) -> redis.Redis:
        """The default user (the cluster was created with the open-access ACL)."""
        return redis.Redis(host="127.0.0.1", port=self.db_port, ssl=True, ssl_ca_certs=self.ca,
                           decode_responses=True, socket_timeout=10)

    def app_user(self, **kw) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.db_port, ssl=True, ssl_ca_certs=self.ca,
                           username="customer-app", password=self.password, decode_responses=True,
                           socket_timeout=10, **kw)

    def start_app(self):
        env = dict(os.environ, HOST="127.0.0.1", PORT=str(self.http_port), DBHOST="127.0.0.1",
                   DBPORT=str(self.db_port), DBUSERNAME="customer-app", DBPASSWORD=self.password,
                   DBCACERT=self.ca, PYTHONUNBUFFERED="1")
        self.app_log = open(os.path.join(self.dir, "app.log"), "wb")
        self.app = subprocess.Popen([sys.executable, os.path.join(HERE, "server.py")], env=env,
                                    stdout=self.app_log, stderr=subprocess.STDOUT, cwd=HERE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.app.poll() is None, "the app exited:\n" + self.app_output()
            try:
                if http("GET", self.base + "/customers")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("the app did not answer:\n" + self.app_output())

    def app_output(self) -> str:
        self.app_log.flush()
        with open(os.path.join(self.dir, "app.log"), errors="replace") as f:
            return f.read()[-5000:]

    def stop(self):
        if self.app is not None and self.app.poll() is None:
            self.app.terminate()
            try:
                self.app.wait(10)
            except subprocess.TimeoutExpired:
                self.app.kill()
                self.app.wait()
        try:
            pid = self.node_pid()
        except (OSError, ValueError):
            return
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture
def env(tmp_path):
    e = Env(tmp_path)
    yield e
    e.stop()


def _wait_gone(pid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        # reap it if it is our child (it is not: the CLI started it in its own session)
        time.sleep(0.05)
    raise AssertionError("pid %d still alive" % pid)


def test_customer_api_survives_kill_9(env):
    # 1. the quick start
    out = env.cli("cluster", "create", "--port", str(env.db_port), "--shards", "1",
                  "--snapshot-retention-limit", "1")
    assert "127.0.0.1:%d" % env.db_port in out
    out = env.cli("acl", "create-user", "customer-app", "--access-string", ACCESS,
                  "--password", env.password)
    assert "DBUSERNAME=customer-app" in out
    admin = env.admin()
    node_id = admin.execute_command("CLUSTER", "MYID")
    assert admin.execute_command("CLUSTER", "INFO").startswith("cluster_state:ok\r\n")

    # 2. the service
    env.start_app()
    base = env.base

    # 3. the walkthrough's session
    ids = []
    for _ in range(3):
        status, body = http("POST", base + "/customers", CUSTOMER)
        assert status == 201
        cid = body.pop("id")
        assert body == CUSTOMER  # echoed as sent: "balance": 1000
        assert uuid.UUID(cid).version == 4
        ids.append(cid)
    assert len(set(ids)) == 3

    status, listed = http("GET", base + "/customers")
    assert status == 200
    stored = {k: str(v) for k, v in CUSTOMER.items()}  # hashes store strings: "1000"
    assert sorted(listed, key=lambda c: c["id"]) == sorted(({**stored, "id": i} for i in ids),
                                                           key=lambda c: c["id"])

    status, body = http("PUT", base + "/customers/" + ids[0], {"balance": 0})
    assert (status, body) == (204, None)
    status, body = http("GET", base + "/customers/" + ids[0])
    assert status == 200
    assert body == {**stored, "balance": "0", "id": ids[0]}

    status, body = http("DELETE", base + "/customers/" + ids[2])
    assert (status, body) == (204, None)
    assert http("GET", base + "/customers/" + ids[2])[0] == 404
    assert http("GET", base + "/customers/" + str(uuid.uuid4()))[0] == 404

    expected = {ids[0]: {**stored, "balance": "0", "id": ids[0]}, ids[1]: {**stored, "id": ids[1]}}

    # 4. kill -9 the database, start it again
    pid = env.node_pid()
    os.kill(pid, signal.SIGKILL)
    _wait_gone(pid)
    env.cli("cluster", "start")
    assert env.node_pid() != pid

    deadline = time.monotonic() + 30
    while True:  # the app's client reconnects on its own; give it a moment
        status, listed = http("GET", base + "/customers")
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status == 200, env.app_output()
    assert {c["id"]: c for c in listed} == expected
    for cid, fields in expected.items():
        assert http("GET", base + "/customers/" + cid) == (200, fields)
    assert http("GET", base + "/customers/" + ids[2])[0] == 404

    admin = env.admin()
    assert admin.execute_command("CLUSTER", "MYID") == node_id  # the node id is persistent
    assert admin.execute_command("CLUSTER", "INFO").startswith("cluster_state:ok\r\n")
    assert admin.dbsize() == 2

    # the service keeps working after the restart
    status, body = http("POST", base + "/customers", CUSTOMER)
    assert status == 201
    assert http("GET", base + "/customers/" + body["id"])[0] == 200

    # 5. customer-app is confined to customer:* and to the API's commands
    app = env.app_user()
    with pytest.raises(redis.exceptions.NoPermissionError) as e:
        app.hgetall("account:1")
    assert "no permissions to access one of the keys" in str(e.value)
    with pytest.raises(redis.exceptions.NoPermissionError) as e:
        app.set("customer:x", "1")
    assert "no permissions to run the 'set' command" in str(e.value)
    with pytest.raises(redis.exceptions.NoPermissionError):
        app.flushall()
    assert app.hgetall("customer:" + ids[1]) == stored
    cluster = RedisCluster(host="127.0.0.1", port=env.db_port, ssl=True, ssl_ca_certs=env.ca,
                           username="customer-app", password=env.password, decode_responses=True)
    try:
        with pytest.raises(redis.exceptions.NoPermissionError):
            cluster.hgetall("other:1")
        assert cluster.hgetall("customer:" + ids[0])["balance"] == "0"
    finally:
        cluster.close()
    log = env.admin().acl_log()
    assert any(entry["object"] == "account:1" and entry["username"] == "customer-app" for entry in log)
