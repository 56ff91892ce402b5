"""TLS for Perdure: development certificates and ``ssl.SSLContext`` construction.

Perdure only speaks TLS, so a fresh install must be reachable without the operator first
running OpenSSL by hand.  :func:`ensure_dev_certs` therefore creates, once, a private
development CA plus a server certificate (valid for ``localhost``, ``127.0.0.1`` and ``::1``)
and a client certificate (for ``tls-auth-clients`` setups) under ``<data_dir>/tls``.  They are
for development and tests: production deployments point ``tls-cert-file`` & co. at real
certificates.

Keys are EC P-256 rather than RSA 2048: equivalent (stronger) security with far smaller keys,
generation in milliseconds instead of the up-to-a-second an RSA key can take (tests create
certificates constantly), cheaper handshakes, and universal support in OpenSSL-based clients
such as ``redis-cli`` and every Redis client library that uses the system TLS stack.

Files are written atomically (temporary file, fsync, rename, directory fsync), keys with mode
0600.  ``ca.crt`` is written last and removed first whenever the CA is regenerated, so it acts
as the commit record: a crash part-way through never leaves a certificate set that *looks*
complete but mixes two CAs.

The context builders mirror Redis 6.2's ``tls-*`` options: ``tls-protocols`` (minimum TLS 1.2
regardless), ``tls-auth-clients yes|no|optional``, ``tls-ciphers``, ``tls-ciphersuites`` and
``tls-prefer-server-ciphers``.  Bad or unreadable files raise :class:`ValueError` whose message
names the file, so startup can report it verbatim.
"""

from __future__ import annotations

import datetime
import ipaddress
import logging
import os
import shlex
import ssl
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

log = logging.getLogger(__name__)

CA_DAYS = 3650
# 825 days is the longest validity Apple platforms accept for TLS server certificates.
LEAF_DAYS = 825

_PROTOCOLS = {"tlsv1.2": ssl.TLSVersion.TLSv1_2, "tlsv1.3": ssl.TLSVersion.TLSv1_3}
_LEGACY_PROTOCOLS = {"tlsv1", "tlsv1.1"}  # valid in redis.conf, never enabled by Perdure
_VERIFY_MODES = {"yes": ssl.CERT_REQUIRED, "optional": ssl.CERT_OPTIONAL, "no": ssl.CERT_NONE}


# --------------------------------------------------------------------------- certificates


def _write_atomic(path: str, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` via temp file + fsync + rename, then fsync the directory."""
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    dfd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Perdure"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def _builder(subject: x509.Name, issuer: x509.Name, key, days: int) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))  # tolerate small clock skew
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )


def _key_usage(*, digital_signature=False, cert_sign=False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _make_ca():
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("Perdure Development CA")
    cert = (
        _builder(name, name, key, CA_DAYS)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _make_leaf(ca_cert, ca_key, cn: str, eku, sans=None):
    key = ec.generate_private_key(ec.SECP256R1())
    ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        _builder(_name(cn), ca_cert.subject, key, LEAF_DAYS)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def _pem_cert(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _pem_key(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def ensure_dev_certs(data_dir: str) -> dict:
    """Create (if needed) the development CA, server and client certificates; return paths.

    Existing files are left untouched.  A missing CA file regenerates everything; a missing
    leaf file regenerates only that leaf, signed by the existing CA.
    """
    tls_dir = os.path.join(os.path.abspath(data_dir), "tls")
    os.makedirs(tls_dir, exist_ok=True)
    p = {
        k: os.path.join(tls_dir, f)
        for k, f in (
            ("ca_cert", "ca.crt"),
            ("ca_key", "ca.key"),
            ("cert", "server.crt"),
            ("key", "server.key"),
            ("client_cert", "client.crt"),
            ("client_key", "client.key"),
        )
    }
    new_ca = not (os.path.exists(p["ca_cert"]) and os.path.exists(p["ca_key"]))
    if new_ca:
        _unlink(p["ca_cert"])  # commit record goes first, comes back last
        ca_cert, ca_key = _make_ca()
    else:
        with open(p["ca_cert"], "rb") as f:
            ca_cert = x509.load_pem_x509_certificate(f.read())
        with open(p["ca_key"], "rb") as f:
            ca_key = serialization.load_pem_private_key(f.read(), password=None)

    localhost = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    leaves = (
        ("cert", "key", "localhost", ExtendedKeyUsageOID.SERVER_AUTH, localhost),
        ("client_cert", "client_key", "perdure-client", ExtendedKeyUsageOID.CLIENT_AUTH, None),
    )
    for cert_k, key_k, cn, eku, sans in leaves:
        if new_ca or not (os.path.exists(p[cert_k]) and os.path.exists(p[key_k])):
            cert, key = _make_leaf(ca_cert, ca_key, cn, eku, sans)
            _unlink(p[cert_k])  # never pair a stale certificate with a new key
            _write_atomic(p[key_k], _pem_key(key), 0o600)
            _write_atomic(p[cert_k], _pem_cert(cert), 0o644)
    if new_ca:
        _write_atomic(p["ca_key"], _pem_key(ca_key), 0o600)
        _write_atomic(p["ca_cert"], _pem_cert(ca_cert), 0o644)
    return p


# --------------------------------------------------------------------------- contexts


def _check_readable(path: str, what: str) -> None:
    if not os.path.isfile(path):
        raise ValueError(f"TLS {what} file {path!r} does not exist")
    if not os.access(path, os.R_OK):
        raise ValueError(f"TLS {what} file {path!r} is not readable")


def _load_chain(ctx: ssl.SSLContext, cert_file: str, key_file: str) -> None:
    _check_readable(cert_file, "certificate")
    _check_readable(key_file, "key")
    try:
        ctx.load_cert_chain(cert_file, key_file)
    except (ssl.SSLError, OSError) as e:
        raise ValueError(
            f"cannot load TLS certificate {cert_file!r} with key {key_file!r}: {e}"
        ) from e


def _load_ca(ctx: ssl.SSLContext, ca_file: str) -> None:
    _check_readable(ca_file, "CA certificate")
    try:
        ctx.load_verify_locations(cafile=ca_file)
    except (ssl.SSLError, OSError) as e:
        raise ValueError(f"cannot load TLS CA certificate {ca_file!r}: {e}") from e


def _protocol_range(protocols: str | None) -> tuple[ssl.TLSVersion, ssl.TLSVersion]:
    """Parse a ``tls-protocols`` value ("TLSv1.2 TLSv1.3", case-insensitive) to (min, max).

    Redis accepts TLSv1 and TLSv1.1 too; Perdure never enables them (minimum TLS 1.2), so
    they are ignored, and a list naming nothing newer is an error.
    """
    if not protocols or not protocols.strip():
        return ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3
    chosen = []
    for word in protocols.lower().split():
        if word in _PROTOCOLS:
            chosen.append(_PROTOCOLS[word])
        elif word not in _LEGACY_PROTOCOLS:
            raise ValueError(f"invalid tls-protocols value {word!r}")
    if not chosen:
        raise ValueError(f"tls-protocols {protocols!r} enables no protocol >= TLSv1.2")
    return min(chosen), max(chosen)


def make_server_context(
    cert_file: str,
    key_file: str,
    ca_file: str | None = None,
    auth_clients: str = "no",
    protocols: str | None = None,
    ciphers: str | None = None,
    ciphersuites: str | None = None,
    prefer_server_ciphers: bool = False,
) -> ssl.SSLContext:
    """Build the listening socket's context from the ``tls-*`` settings (see module doc)."""
    mode = _VERIFY_MODES.get(str(auth_clients).lower())
    if mode is None:
        raise ValueError(f"tls-auth-clients must be yes, no or optional, not {auth_clients!r}")
    if mode != ssl.CERT_NONE and not ca_file:
        raise ValueError(f"tls-auth-clients {auth_clients} requires tls-ca-cert-file")

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version, ctx.maximum_version = _protocol_range(protocols)
    ctx.options |= ssl.OP_NO_COMPRESSION
    # CPython turns server cipher preference on by default; Redis's default is "no".
    if prefer_server_ciphers:
        ctx.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    else:
        ctx.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE
    if ciphers:
        try:
            ctx.set_ciphers(ciphers)
        except ssl.SSLError as e:
            raise ValueError(f"invalid tls-ciphers {ciphers!r}: {e}") from e
    if ciphersuites:
        log.warning(
            "tls-ciphersuites %r ignored: Python's ssl module cannot restrict TLS 1.3 "
            "suites; OpenSSL's defaults apply",
            ciphersuites,
        )
    _load_chain(ctx, cert_file, key_file)
    if ca_file:
        _load_ca(ctx, ca_file)
    ctx.verify_mode = mode
    return ctx


def make_client_context(
    ca_file: str | None, cert_file: str | None = None, key_file: str | None = None
) -> ssl.SSLContext:
    """Context for connecting to Perdure: verifies the server against ``ca_file`` (system
    roots if None) and hostname, TLS >= 1.2, optional client certificate for tls-auth-clients.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.options |= ssl.OP_NO_COMPRESSION
    if ca_file:
        _load_ca(ctx, ca_file)
    else:
        ctx.load_default_certs()
    if cert_file:
        _load_chain(ctx, cert_file, key_file or cert_file)
    return ctx


def connect_hint(port: int, ca_file: str) -> str:
    """The redis-cli command line that connects to a local Perdure on ``port``."""
    return f"redis-cli --tls --cacert {shlex.quote(str(ca_file))} -p {port}"
