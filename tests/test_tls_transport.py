"""The server's own TLS transport (server/tls_transport.py) against a real Perdure process:
connections that end abruptly at every stage are closed and forgotten, and replies larger
than the socket buffer reach a slow reader intact."""

from __future__ import annotations

import socket
import ssl
import struct
import time

import pytest

from .serverutil import PerdureProcess


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = PerdureProcess(tmp_path_factory.mktemp("tlst"), "--appendfsync", "no")
    srv.start()
    yield srv
    srv.stop()


def _client_ctx(srv) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=srv.ca)
    ctx.check_hostname = False
    return ctx


def _reset(raw: socket.socket) -> None:
    """Close with SO_LINGER 0: the peer gets a RST instead of a FIN."""
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    raw.close()


def _clients_settle(probe, expected: int = 1, timeout: float = 5.0) -> int:
    deadline = time.monotonic() + timeout
    while True:
        n = len(probe.execute_command("CLIENT", "LIST").splitlines())
        if n == expected or time.monotonic() > deadline:
            return n
        time.sleep(0.05)


def _handshake_by_hand(srv):
    """A client-side TLS handshake over memory BIOs, stopped just before the client's last
    flight goes out. Returns (socket, SSLObject, outgoing BIO holding that flight)."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = _client_ctx(srv).wrap_bio(incoming, outgoing, server_hostname="localhost")
    raw = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
    while True:
        try:
            obj.do_handshake()
            return raw, obj, outgoing
        except ssl.SSLWantReadError:
            pending = outgoing.read()
            if pending:
                raw.sendall(pending)
            data = raw.recv(65536)
            if not data:
                raise ConnectionError("server closed during the handshake")
            incoming.write(data)


def test_reset_right_after_the_handshakes_last_flight_leaves_nothing_behind(server):
    """The client's Finished, a command and a RST arrive together: the reader runs once for
    all of it (libuv then stops watching a socket in error), so the transport must notice
    the reset in that same callback."""
    probe = server.client()
    assert probe.ping()
    for _ in range(30):
        raw, obj, outgoing = _handshake_by_hand(server)
        obj.write(b"*3\r\n$3\r\nSET\r\n$2\r\nfz\r\n$1\r\n1\r\n" * 50)
        raw.sendall(outgoing.read())
        _reset(raw)
    assert _clients_settle(probe) == 1
    assert probe.ping()


def test_reset_with_unread_requests_leaves_nothing_behind(server):
    probe = server.client()
    ctx = _client_ctx(server)
    burst = b"*2\r\n$3\r\nGET\r\n$2\r\nfz\r\n" * 2000
    for _ in range(20):
        raw = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        tls = ctx.wrap_socket(raw, server_hostname="localhost")
        tls.sendall(burst)
        _reset(tls)
    assert _clients_settle(probe) == 1
    assert probe.ping()


def test_reset_during_the_handshake_and_clean_closes(server):
    probe = server.client()
    ctx = _client_ctx(server)
    for i in range(30):
        if i % 3 == 0:  # half a handshake (the ClientHello only), then a reset
            raw = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            obj = ctx.wrap_bio(ssl.MemoryBIO(), outgoing := ssl.MemoryBIO(), server_hostname="localhost")
            with pytest.raises(ssl.SSLWantReadError):
                obj.do_handshake()
            raw.sendall(outgoing.read())
            _reset(raw)
        elif i % 3 == 1:  # one command, then the client's close_notify and FIN
            raw, obj, outgoing = _handshake_by_hand(server)
            obj.write(b"*1\r\n$4\r\nPING\r\n")
            raw.sendall(outgoing.read())
            time.sleep(0.01)
            with pytest.raises(ssl.SSLWantReadError):
                obj.unwrap()  # writes close_notify, would wait for the server's
            raw.sendall(outgoing.read())
            raw.close()
        else:  # one command and its reply, then FIN without close_notify
            tls = ctx.wrap_socket(socket.create_connection(("127.0.0.1", server.port), timeout=5),
                                  server_hostname="localhost")
            tls.sendall(b"*1\r\n$4\r\nPING\r\n")
            assert tls.recv(100) == b"+PONG\r\n"
            tls.close()
    assert _clients_settle(probe) == 1
    assert probe.ping()


def test_replies_larger_than_the_socket_buffer_reach_a_slow_reader_intact(server):
    """Writes that block are retried with the same bytes (OpenSSL's rule) and later replies
    queue behind them, in order."""
    probe = server.client()
    big = bytes(range(256)) * 16384  # 4 MiB
    probe.set("tlst:big", big)
    tls = _client_ctx(server).wrap_socket(socket.create_connection(("127.0.0.1", server.port), timeout=10),
                                          server_hostname="localhost")
    tls.sendall(b"*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$4\r\nslow\r\n"
                + b"*2\r\n$3\r\nGET\r\n$8\r\ntlst:big\r\n" * 3 + b"*1\r\n$4\r\nPING\r\n")
    time.sleep(0.5)  # not reading: the socket buffers fill and the server holds the rest
    slow = [line for line in probe.execute_command("CLIENT", "LIST").splitlines() if b" name=slow " in line]
    assert len(slow) == 1 and int(slow[0].split(b" omem=")[1].split()[0]) > 0, slow
    one = b"$%d\r\n%s\r\n" % (len(big), big)
    want = b"+OK\r\n" + one * 3 + b"+PONG\r\n"
    got = bytearray()
    while len(got) < len(want):
        chunk = tls.recv(65536)
        assert chunk, "connection closed after %d of %d bytes" % (len(got), len(want))
        got += chunk
        if len(got) % 7 == 0:
            time.sleep(0.001)  # now and then slower than the server writes
    assert bytes(got) == want
    tls.close()
    assert _clients_settle(probe) == 1
