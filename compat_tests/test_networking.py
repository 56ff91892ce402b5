"""The listener and the files of a running server, as Redis 6.2.14 changes them with CONFIG SET:
the listening port (``tls-port`` over TLS, ``port`` over plain TCP: the one the target listens
on), ``bind`` (restored when the new addresses cannot be bound), ``dir``, and how CONFIG
REWRITE writes ``save``.  Each test uses a private instance of the target."""

from __future__ import annotations

import dataclasses
import os
import socket
import ssl

import pytest

from .helpers import err, ex

pytestmark = pytest.mark.not_on("external", reason="starts private instances")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_param(t) -> str:
    return "tls-port" if t.tls else "port"


def _pings(t) -> bool:
    try:
        conn = t.raw(timeout=2.0)
    except (OSError, ssl.SSLError):
        return False
    try:
        return conn.cmd("PING") == b"+PONG\r\n"
    finally:
        conn.close()


def test_config_set_port_moves_the_listener(make_server, target_server):
    t = make_server()
    c = t.client()
    param = _port_param(t)
    assert ex(c, "CONFIG", "SET", param, str(t.port)) == b"OK"  # unchanged: nothing happens
    new_port = _free_port()
    assert ex(c, "CONFIG", "SET", param, str(new_port)) == b"OK"
    assert ex(c, "CONFIG", "GET", param) == [param.encode(), str(new_port).encode()]
    moved = dataclasses.replace(t, port=new_port)
    assert _pings(moved)
    assert not _pings(t)  # the old listener is closed
    assert ex(c, "PING") == b"PONG"  # connections already made stay
    # a port in use: refused, still listening where it was
    busy = str(target_server.port)
    assert err(c, "CONFIG", "SET", param, busy) == (
        "ERR Invalid argument '%s' for CONFIG SET '%s' - Unable to listen on this port. Check "
        "server logs." % (busy, param))
    assert ex(c, "CONFIG", "GET", param) == [param.encode(), str(new_port).encode()]
    assert _pings(moved)


def test_config_set_bind_failure_keeps_the_old_addresses(make_server):
    t = make_server()
    c = t.client()
    before = ex(c, "CONFIG", "GET", "bind")
    assert err(c, "CONFIG", "SET", "bind", "999.999.999.999") == "ERR Failed to bind to specified addresses."
    assert ex(c, "CONFIG", "GET", "bind") == before
    assert _pings(t)
    assert err(c, "CONFIG", "SET", "bind", " ".join(["127.0.0.1"] * 17)) == (
        "ERR Too many bind addresses specified.")
    assert err(c, "CONFIG", "SET", "bind", "") == "ERR Too many bind addresses specified."
    assert ex(c, "CONFIG", "SET", "bind", "127.0.0.1") == b"OK"
    assert ex(c, "CONFIG", "GET", "bind") == [b"bind", b"127.0.0.1"]
    assert _pings(t)


def test_config_set_dir(make_server, tmp_path):
    t = make_server()
    c = t.client()
    cur = ex(c, "CONFIG", "GET", "dir")[1]
    assert os.path.isabs(cur)
    assert ex(c, "CONFIG", "SET", "dir", cur) == b"OK"
    missing = str(tmp_path / "no-such-dir")
    assert err(c, "CONFIG", "SET", "dir", missing) == "ERR Changing directory: No such file or directory"
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert err(c, "CONFIG", "SET", "dir", str(afile)) == "ERR Changing directory: Not a directory"
    assert ex(c, "CONFIG", "GET", "dir") == [b"dir", cur]


def test_config_rewrite_writes_save_points_one_per_line(make_server, tmp_path):
    conf = tmp_path / "server.conf"
    conf.write_text("hz 10\n")
    t = make_server(conf=str(conf))
    c = t.client()

    def save_lines():
        return [ln for ln in conf.read_text().splitlines() if ln.startswith("save")]

    assert ex(c, "CONFIG", "SET", "save", "3600 1 300 100") == b"OK"
    assert ex(c, "CONFIG", "REWRITE") == b"OK"
    assert save_lines() == ["save 3600 1", "save 300 100"]
    # no save point: 'save ""' is written, else a restart would get the default points
    assert ex(c, "CONFIG", "SET", "save", "") == b"OK"
    assert ex(c, "CONFIG", "REWRITE") == b"OK"
    assert save_lines() == ['save ""']
