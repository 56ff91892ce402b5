"""The TLS listening sockets, and changing them at run time (CONFIG SET tls-port / bind / port).

Redis 6.2 rebinds synchronously inside CONFIG SET: ``changeListenPort`` binds the new port
first and only then closes the old listeners (a port already in use leaves everything as it
was), ``changeBindAddr`` closes the listeners, binds the new addresses and restores the old
ones when that fails.  Here the sockets are bound and listening before CONFIG SET replies
(connections wait in the kernel backlog); the loop starts accepting on them at its next turn.

Perdure is TLS-only: ``port`` (the plaintext listener) can only stay as it is; asking for a
plaintext port fails the way Redis fails when it cannot listen on it.
"""

from __future__ import annotations

import errno
import logging
import socket

from . import errors
from .errors import RedisError

log = logging.getLogger("perdure")

_SKIPPED = {errno.ENOPROTOOPT, errno.EPROTONOSUPPORT, errno.ESOCKTNOSUPPORT, errno.EPFNOSUPPORT,
            errno.EAFNOSUPPORT}
CONFIG_BINDADDR_MAX = 16


def _tcp_server(addr: str, port: int, backlog: int) -> socket.socket:
    """anetTcpServer / anetTcp6Server: the first address ``addr`` resolves to, bound and
    listening (SO_REUSEADDR, IPV6_V6ONLY); OSError (socket.gaierror too) on failure."""
    v6 = ":" in addr
    host = None if addr == "*" or (v6 and addr == "::*") else addr
    infos = socket.getaddrinfo(host, port, socket.AF_INET6 if v6 else socket.AF_INET,
                               socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
    fam, typ, proto, _, sa = infos[0]
    s = socket.socket(fam, typ, proto)
    try:
        if v6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(sa)
        s.listen(backlog)
        s.setblocking(False)
    except OSError:
        s.close()
        raise
    return s


def listen_to_port(addrs: list, port: int, backlog: int) -> list:
    """listenToPort: one listening socket per bind address ("-addr": skipped when the address is
    not available; no address: ``* -::*``).  Raises OSError after closing what it opened."""
    if not addrs:
        addrs = ["*", "-::*"]
    socks = []
    for a in addrs:
        optional = a.startswith("-")
        if optional:
            a = a[1:]
        try:
            socks.append(_tcp_server(a, port, backlog))
        except OSError as e:
            log.warning("Warning: Could not create server TCP listening socket %s:%d: %s", a, port, e)
            code = e.errno if not isinstance(e, socket.gaierror) else None
            if (code == errno.EADDRNOTAVAIL and optional) or code in _SKIPPED:
                continue
            for s in socks:
                s.close()
            raise
    return socks


def _serve(srv, socks) -> None:
    """createSocketAcceptHandler: accept TLS connections on already listening sockets."""
    from .app import _make_protocol
    from .tls_transport import TLSServer

    srv.servers.append(TLSServer(srv.loop, socks, srv.ssl_ctx, lambda: _make_protocol(srv)))


def _close_listeners(srv) -> None:
    for s in srv.servers:
        s.close()
    srv.servers = []


def _tls_port_changed(srv, val: int, prev: int) -> None:
    """updateTLSPort / changeListenPort."""
    if val == prev:
        return
    if val == 0:
        _close_listeners(srv)
        return
    try:
        socks = listen_to_port(srv.config["bind"].split(), val, srv.config["tcp-backlog"])
    except OSError:
        raise ValueError("Unable to listen on this port. Check server logs.") from None
    _close_listeners(srv)
    _serve(srv, socks)
    srv.port = val


def _port_changed(srv, val: int, prev: int) -> None:
    """updatePort: Perdure has no plaintext listener to move."""
    if val == prev:
        return
    log.warning("Perdure serves TLS only: no plaintext listener on port %d (use tls-port)", val)
    raise ValueError("Unable to listen on this port. Check server logs.")


def _bind_changed(srv, val: str, prev: str) -> None:
    """CONFIG SET bind: changeBindAddr, restoring the previous addresses when binding fails."""
    addrs = val.split(" ") if val else []  # sdssplitlen on single spaces
    if not addrs or len(addrs) > CONFIG_BINDADDR_MAX:
        raise RedisError(errors.CONFIG_BIND_TOO_MANY)
    port = srv.port if srv.config["tls-port"] == 0 else srv.config["tls-port"]
    backlog = srv.config["tcp-backlog"]
    _close_listeners(srv)
    try:
        socks = listen_to_port(addrs, port, backlog)
    except OSError:
        log.warning("Failed to bind, trying to restore old listening sockets.")
        try:
            socks = listen_to_port(prev.split(), port, backlog)
        except OSError as e:
            log.critical("Failed to restore old listening sockets: %s", e)
            raise RedisError(errors.CONFIG_BIND_FAILED) from None
        _serve(srv, socks)
        raise RedisError(errors.CONFIG_BIND_FAILED) from None
    _serve(srv, socks)


def install(srv) -> None:
    """Let CONFIG SET tls-port / port / bind change the listeners of the running server."""
    srv.config.updaters["tls-port"] = lambda v, p: _tls_port_changed(srv, v, p)
    srv.config.updaters["port"] = lambda v, p: _port_changed(srv, v, p)
    srv.config.updaters["bind"] = lambda v, p: _bind_changed(srv, v, p)

