"""Tests for perdure.server.tls (dev certificates, contexts, real handshakes) and the certs CLI."""

from __future__ import annotations

import os
import socket
import ssl
import stat
import sys
import threading
import types
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from perdure.server import cli, tls


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return tls.ensure_dev_certs(str(tmp_path_factory.mktemp("data")))


def _load(path):
    return x509.load_pem_x509_certificate(Path(path).read_bytes())


def exchange(server_ctx, client_ctx, timeout=5.0):
    """Handshake over loopback, client sends b"ping", server echoes it.

    Returns ``(client_result, server_result)``; each is the bytes received or the exception
    raised on that side.  With TLS 1.3 a rejected client certificate only surfaces on the
    client's first read, which is why the exchange includes one round trip.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(timeout)
    port = listener.getsockname()[1]
    server_result = []

    def serve():
        try:
            conn, _ = listener.accept()
            conn.settimeout(timeout)
            with server_ctx.wrap_socket(conn, server_side=True) as s:
                data = s.recv(4)
                s.sendall(data)
                server_result.append(data)
        except OSError as e:  # ssl.SSLError, timeout, reset: reported to the test
            server_result.append(e)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        with raw, client_ctx.wrap_socket(raw, server_hostname="localhost") as c:
            c.sendall(b"ping")
            client_result = c.recv(4) or ConnectionError("closed by server")
    except OSError as e:  # includes ssl.SSLError
        client_result = e
    finally:
        t.join(timeout)
        listener.close()
    return client_result, server_result[0]


# --------------------------------------------------------------------------- certificates


def test_ensure_dev_certs_layout_and_modes(certs):
    assert set(certs) == {"ca_cert", "ca_key", "cert", "key", "client_cert", "client_key"}
    names = {os.path.basename(p) for p in certs.values()}
    assert names == {"ca.crt", "ca.key", "server.crt", "server.key", "client.crt", "client.key"}
    for k in ("ca_key", "key", "client_key"):
        assert stat.S_IMODE(os.stat(certs[k]).st_mode) == 0o600
    leftovers = [f for f in os.listdir(os.path.dirname(certs["ca_cert"])) if f.startswith(".tmp")]
    assert leftovers == []


def test_certificate_contents(certs):
    ca, server, client = (_load(certs[k]) for k in ("ca_cert", "cert", "client_cert"))
    assert "Perdure Development CA" in ca.subject.rfc4514_string()
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    ku = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.key_cert_sign and ku.crl_sign
    assert (ca.not_valid_after_utc - ca.not_valid_before_utc).days >= 3650

    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert {str(ip) for ip in san.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    eku = server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert (server.not_valid_after_utc - server.not_valid_before_utc).days == 825
    assert server.issuer == ca.subject

    assert "CN=perdure-client" in client.subject.rfc4514_string()
    eku = client.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert client.issuer == ca.subject


def test_ensure_dev_certs_is_idempotent(tmp_path):
    first = tls.ensure_dev_certs(str(tmp_path))
    before = {k: Path(p).read_bytes() for k, p in first.items()}
    second = tls.ensure_dev_certs(str(tmp_path))
    assert second == first
    assert {k: Path(p).read_bytes() for k, p in second.items()} == before


def test_missing_leaf_is_reissued_by_existing_ca(tmp_path):
    paths = tls.ensure_dev_certs(str(tmp_path))
    ca_before = Path(paths["ca_cert"]).read_bytes()
    server_before = Path(paths["cert"]).read_bytes()
    os.unlink(paths["client_key"])
    tls.ensure_dev_certs(str(tmp_path))
    assert Path(paths["ca_cert"]).read_bytes() == ca_before
    assert Path(paths["cert"]).read_bytes() == server_before
    assert _load(paths["client_cert"]).issuer == _load(paths["ca_cert"]).subject


def test_missing_ca_regenerates_everything(tmp_path):
    paths = tls.ensure_dev_certs(str(tmp_path))
    server_before = Path(paths["cert"]).read_bytes()
    os.unlink(paths["ca_key"])
    tls.ensure_dev_certs(str(tmp_path))
    assert Path(paths["cert"]).read_bytes() != server_before
    srv = tls.make_server_context(paths["cert"], paths["key"])
    assert exchange(srv, tls.make_client_context(paths["ca_cert"]))[0] == b"ping"


# --------------------------------------------------------------------------- handshakes


def test_handshake_succeeds(certs):
    srv = tls.make_server_context(certs["cert"], certs["key"])
    client, server = exchange(srv, tls.make_client_context(certs["ca_cert"]))
    assert client == b"ping" and server == b"ping"


def test_tls12_only_server_still_talks(certs):
    srv = tls.make_server_context(certs["cert"], certs["key"], protocols="TLSv1.2")
    assert exchange(srv, tls.make_client_context(certs["ca_cert"]))[0] == b"ping"


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1:DeprecationWarning")
def test_tls11_is_refused(certs):
    srv = tls.make_server_context(certs["cert"], certs["key"], protocols="TLSv1.1 TLSv1.2")
    assert srv.minimum_version == ssl.TLSVersion.TLSv1_2
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    old.check_hostname = False
    old.verify_mode = ssl.CERT_NONE
    old.set_ciphers("DEFAULT:@SECLEVEL=0")  # let the client actually offer TLS 1.1
    old.minimum_version = ssl.TLSVersion.TLSv1_1
    old.maximum_version = ssl.TLSVersion.TLSv1_1
    client, server = exchange(srv, old)
    assert isinstance(client, ssl.SSLError)
    assert isinstance(server, ssl.SSLError) and server.reason == "UNSUPPORTED_PROTOCOL"


def test_auth_clients_yes_requires_client_cert(certs):
    srv = tls.make_server_context(certs["cert"], certs["key"], certs["ca_cert"], auth_clients="yes")
    assert srv.verify_mode == ssl.CERT_REQUIRED
    anon = tls.make_client_context(certs["ca_cert"])
    client, server = exchange(srv, anon)
    assert isinstance(client, OSError)  # SSLError / reset / closed, depending on timing
    assert isinstance(server, ssl.SSLError)
    assert server.reason == "PEER_DID_NOT_RETURN_A_CERTIFICATE"

    with_cert = tls.make_client_context(certs["ca_cert"], certs["client_cert"], certs["client_key"])
    assert exchange(srv, with_cert) == (b"ping", b"ping")


def test_auth_clients_yes_rejects_cert_from_another_ca(certs, tmp_path):
    other = tls.ensure_dev_certs(str(tmp_path))
    srv = tls.make_server_context(certs["cert"], certs["key"], certs["ca_cert"], auth_clients="yes")
    stranger = tls.make_client_context(certs["ca_cert"], other["client_cert"], other["client_key"])
    assert isinstance(exchange(srv, stranger)[1], ssl.SSLError)


def test_auth_clients_optional(certs):
    srv = tls.make_server_context(
        certs["cert"], certs["key"], certs["ca_cert"], auth_clients="optional"
    )
    assert srv.verify_mode == ssl.CERT_OPTIONAL
    assert exchange(srv, tls.make_client_context(certs["ca_cert"]))[0] == b"ping"


def test_client_rejects_server_from_unknown_ca(certs, tmp_path):
    other = tls.ensure_dev_certs(str(tmp_path))
    srv = tls.make_server_context(certs["cert"], certs["key"])
    client, _ = exchange(srv, tls.make_client_context(other["ca_cert"]))
    assert isinstance(client, ssl.SSLCertVerificationError)


# --------------------------------------------------------------------------- options & errors


def test_server_context_options(certs):
    srv = tls.make_server_context(certs["cert"], certs["key"])
    assert srv.options & ssl.OP_NO_COMPRESSION
    assert not srv.options & ssl.OP_CIPHER_SERVER_PREFERENCE
    assert srv.verify_mode == ssl.CERT_NONE
    srv = tls.make_server_context(
        certs["cert"], certs["key"], prefer_server_ciphers=True, ciphers="ECDHE+AESGCM"
    )
    assert srv.options & ssl.OP_CIPHER_SERVER_PREFERENCE
    srv = tls.make_server_context(certs["cert"], certs["key"], protocols="tlsv1.3")
    assert srv.minimum_version == srv.maximum_version == ssl.TLSVersion.TLSv1_3


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"protocols": "TLSv1.1"}, "no protocol"),
        ({"protocols": "SSLv3 TLSv1.2"}, "invalid tls-protocols"),
        ({"auth_clients": "maybe"}, "tls-auth-clients"),
        ({"auth_clients": "yes"}, "tls-ca-cert-file"),
        ({"ciphers": "NO-SUCH-CIPHER"}, "tls-ciphers"),
        ({"ca_file": "/nonexistent/ca.crt"}, "does not exist"),
    ],
)
def test_server_context_errors(certs, kwargs, match):
    with pytest.raises(ValueError, match=match):
        tls.make_server_context(certs["cert"], certs["key"], **kwargs)


def test_missing_or_mismatched_files(certs, tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        tls.make_server_context(str(tmp_path / "nope.crt"), certs["key"])
    with pytest.raises(ValueError, match="cannot load"):
        tls.make_server_context(certs["cert"], certs["client_key"])  # wrong key for cert
    garbage = tmp_path / "garbage.crt"
    garbage.write_text("not a certificate")
    with pytest.raises(ValueError, match="cannot load TLS CA"):
        tls.make_client_context(str(garbage))


def test_connect_hint():
    assert (
        tls.connect_hint(6380, "/d/tls/ca.crt") == "redis-cli --tls --cacert /d/tls/ca.crt -p 6380"
    )


# --------------------------------------------------------------------------- CLI


def test_cli_certs(tmp_path, capsys):
    assert cli.main(["certs", "--dir", str(tmp_path), "--port", "7000"]) == 0
    out = capsys.readouterr().out
    ca = os.path.join(str(tmp_path), "tls", "ca.crt")
    assert os.path.exists(ca)
    assert f"redis-cli --tls --cacert {ca} -p 7000" in out
    assert "client_key" in out


def test_cli_check_log_is_wired(tmp_path, monkeypatch):
    calls = []
    fake = types.ModuleType("perdure.server.durability.filelog")
    fake.check_log = lambda d, repair: calls.append((d, repair)) or 3
    monkeypatch.setitem(sys.modules, "perdure.server.durability.filelog", fake)
    assert cli.main(["check-log", "--dir", str(tmp_path), "--repair"]) == 3
    assert cli.main(["check-log"]) == 3
    assert calls == [(str(tmp_path), True), (cli.DEFAULT_DATA_DIR, False)]


def test_cli_requires_a_subcommand(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main([])
    assert e.value.code == 2
