"""``perdure cluster ...`` and ``perdure acl create-user``: a cluster in one command.

The quick start of a managed service's console ("Create cluster": name, shards, port,
parameter group, ACL, snapshot retention; then "Create user" with an access string), for a
local Perdure.  A cluster lives in ``<dir>/<name>/``::

    cluster.json            the settings it was created with
    users.acl               its ACL users (every node loads this file: ``aclfile``)
    parameter-group.conf    the parameter group, when one was given as a file
    0001-001/               node 001 of shard 0001: perdure.conf, its data (log, nodes.conf,
                            tls/ with the development CA), perdure.pid, perdure.log

Only one shard with one node is supported today (multi-node sharding comes later): the node
owns all 16384 slots, so any Redis Cluster client works against it.

The node runs in the background (``--foreground`` to run it in the terminal instead);
``perdure cluster stop`` / ``start`` / ``status`` manage it through its pid file.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time

DEFAULT_PARAMETER_GROUP = "default.memorydb-redis6"
OPEN_ACCESS = "open-access"
NODE = "0001-001"
START_TIMEOUT = 60.0


class AdminError(Exception):
    """A message for the user; the command exits with status 1."""


# --------------------------------------------------------------------------- paths


def cluster_dir(args) -> str:
    name = args.name
    if not name or "/" in name or name in (".", ".."):
        raise AdminError("invalid cluster name %r" % name)
    return os.path.join(os.path.abspath(args.dir), name)


def node_dir(cdir: str) -> str:
    return os.path.join(cdir, NODE)


def _settings(cdir: str) -> dict:
    try:
        with open(os.path.join(cdir, "cluster.json"), encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise AdminError("no cluster in %s (create it with `perdure cluster create`)" % cdir) from None


def _write(path: str, text: str, mode: int = 0o644) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, mode)
    os.replace(tmp, path)


# --------------------------------------------------------------------------- a tiny TLS client


def _encode(*args) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def call(host: str, port: int, ca: str, *commands, timeout: float = 5.0) -> list:
    """Send ``commands`` (tuples) on one TLS connection; return each reply's first line
    (``+OK``, ``-ERR ...``, ``$5``...), enough for admin checks."""
    ctx = ssl.create_default_context(cafile=ca)
    with socket.create_connection((host, port), timeout=timeout) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as s:
            s.sendall(b"".join(_encode(*c) for c in commands))
            buf = b""
            replies = []
            while len(replies) < len(commands):
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
                while b"\r\n" in buf and len(replies) < len(commands):
                    line, buf = buf.split(b"\r\n", 1)
                    replies.append(line.decode("utf-8", "replace"))
                    if line.startswith(b"$") and int(line[1:]) >= 0:
                        need = int(line[1:]) + 2
                        while len(buf) < need:
                            chunk = s.recv(65536)
                            if not chunk:
                                break
                            buf += chunk
                        replies[-1] = buf[:need - 2].decode("utf-8", "replace")
                        buf = buf[need:]
            return replies


def _pid(ndir: str):
    """The running node's pid, or None (stale pid files are ignored)."""
    try:
        with open(os.path.join(ndir, "perdure.pid"), encoding="ascii") as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            if b"perdure" not in f.read():
                return None  # the pid was reused by another program
    except OSError:
        pass
    return pid


def _host(settings: dict) -> str:
    bind = settings.get("bind", "127.0.0.1").split()[0].lstrip("-")
    return "127.0.0.1" if bind in ("*", "0.0.0.0", "::", "") else bind


def _wait_ready(settings: dict, ndir: str, proc=None, timeout: float = START_TIMEOUT) -> None:
    ca = os.path.join(ndir, "tls", "ca.crt")
    host, port = _host(settings), settings["port"]
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AdminError("the node exited (status %s); see %s"
                             % (proc.returncode, os.path.join(ndir, "perdure.log")))
        if os.path.exists(ca):
            try:
                reply = call(host, port, ca, ("PING",), timeout=2.0)[0]
                if reply == "+PONG" or reply.startswith("-NOAUTH"):
                    return
                last = reply
            except (OSError, ssl.SSLError, ValueError, IndexError) as e:
                last = str(e)
        time.sleep(0.1)
    raise AdminError("the node did not answer on %s:%d within %.0f s (%s); see %s"
                     % (host, port, timeout, last, os.path.join(ndir, "perdure.log")))


# --------------------------------------------------------------------------- perdure cluster


def cluster_main(args) -> int:
    try:
        return {"create": _create, "start": _start, "stop": _stop, "status": _status}[args.action](args)
    except AdminError as e:
        print("perdure cluster %s: %s" % (args.action, e), file=sys.stderr)
        return 1


def _load_command_table():
    from ..commands.acl import build_table
    from ..registry import load_all

    load_all()
    return build_table()


def _create(args) -> int:
    cdir = cluster_dir(args)
    if os.path.exists(os.path.join(cdir, "cluster.json")):
        raise AdminError("cluster %r already exists in %s" % (args.name, cdir))
    if args.shards != 1:
        raise AdminError("--shards %d: only single-shard clusters are supported for now "
                         "(multi-node sharding comes later)" % args.shards)
    if args.replicas != 0:
        raise AdminError("--replicas %d: replica nodes are not supported yet (durability comes "
                         "from the transaction log, not from replicas)" % args.replicas)
    if not 1 <= args.port <= 55535:
        raise AdminError("--port must be between 1 and 55535 (the cluster bus port is port + 10000)")
    from ..config import Config, ConfigError

    ndir = node_dir(cdir)
    os.makedirs(ndir, exist_ok=True)
    settings = {
        "name": args.name, "shards": args.shards, "replicas": args.replicas, "port": args.port,
        "bind": args.bind, "parameter_group": args.parameter_group, "acl": args.acl,
        "snapshot_retention_limit": args.snapshot_retention_limit,
        "snapshot_window": args.snapshot_window, "tls": True, "engine": "Redis 6.2 compatible",
    }
    lines = ["# Perdure cluster %r, node %s: written by `perdure cluster create`." % (args.name, NODE),
             "# Edit freely; `perdure cluster start --name %s` starts the node with it." % args.name]
    # parameter group: its settings first, so that the cluster's own settings below win
    if args.parameter_group != DEFAULT_PARAMETER_GROUP:
        src = os.path.abspath(args.parameter_group)
        probe = Config()
        try:
            probe.load_file(src)
        except OSError as e:
            raise AdminError("--parameter-group: %s is neither %s nor a readable file (%s)"
                             % (args.parameter_group, DEFAULT_PARAMETER_GROUP, e.strerror)) from None
        except ConfigError as e:
            raise AdminError("--parameter-group %s: %s" % (args.parameter_group, str(e).strip())) from None
        dst = os.path.join(cdir, "parameter-group.conf")
        shutil.copyfile(src, dst)
        lines.append("include %s" % _q(dst))
    aclfile = os.path.join(cdir, "users.acl")
    if args.acl == OPEN_ACCESS:
        acl_text = "user default on nopass ~* &* +@all\n"
    else:
        from perdure.acl import Acl, AclError

        try:
            Acl(_load_command_table()).parse_file(os.path.abspath(args.acl))
        except AclError as e:
            raise AdminError("--acl %s: %s" % (args.acl, e)) from None
        with open(args.acl, encoding="utf-8") as f:
            acl_text = f.read()
    _write(aclfile, acl_text, 0o600)
    lines += [
        "cluster-enabled yes",
        "cluster-config-file nodes.conf",
        "tls-port %d" % args.port,
        "bind %s" % args.bind,
        "dir %s" % _q(ndir),
        "aclfile %s" % _q(aclfile),
        "appendfsync always",
        "snapshot-retention-limit %d" % args.snapshot_retention_limit,
        "snapshot-window %s" % args.snapshot_window,
    ]
    conf_text = "\n".join(lines) + "\n"
    probe = Config()
    try:
        probe.load_text(conf_text, "perdure.conf")
    except ConfigError as e:
        raise AdminError(str(e).strip()) from None
    _write(os.path.join(ndir, "perdure.conf"), conf_text)
    _write(os.path.join(cdir, "cluster.json"), json.dumps(settings, indent=2) + "\n")
    print("Created cluster %r in %s (1 shard, node %s, TLS port %d, parameter group %s, ACL %s, "
          "snapshot retention %d day(s), window %s)."
          % (args.name, cdir, NODE, args.port, args.parameter_group, args.acl,
             args.snapshot_retention_limit, args.snapshot_window))
    if args.no_start:
        print("Start it with: perdure cluster start --name %s --dir %s" % (args.name, _q(args.dir)))
        return 0
    return _run_node(args, cdir, settings)


def _q(s: str) -> str:
    return shlex.quote(s)


def _run_node(args, cdir: str, settings: dict) -> int:
    ndir = node_dir(cdir)
    pid = _pid(ndir)
    if pid is not None:
        raise AdminError("cluster %r is already running (pid %d)" % (settings["name"], pid))
    conf = os.path.join(ndir, "perdure.conf")
    argv = [sys.executable, "-m", "perdure.server", conf]
    pidfile = os.path.join(ndir, "perdure.pid")
    if getattr(args, "foreground", False):
        _write(pidfile, "%d\n" % os.getpid())
        os.chdir(ndir)
        os.execv(sys.executable, argv)
    logpath = os.path.join(ndir, "perdure.log")
    with open(logpath, "ab") as logf:
        proc = subprocess.Popen(argv, cwd=ndir, stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                                start_new_session=True)
    _write(pidfile, "%d\n" % proc.pid)
    try:
        _wait_ready(settings, ndir, proc)
    except AdminError:
        if proc.poll() is None:
            proc.terminate()
        raise
    _print_endpoint(settings, ndir, proc.pid)
    return 0


def _print_endpoint(settings: dict, ndir: str, pid: int) -> None:
    ca = os.path.join(ndir, "tls", "ca.crt")
    host = _host(settings)
    print("Cluster %r is available (node %s, pid %d):" % (settings["name"], NODE, pid))
    print("  endpoint  %s:%d  (TLS, cluster mode, 16384 slots)" % (host, settings["port"]))
    print("  CA        %s" % ca)
    print("  logs      %s" % os.path.join(ndir, "perdure.log"))
    print("Connect with:")
    print("  redis-cli -c --tls --cacert %s -h %s -p %d" % (_q(ca), host, settings["port"]))


def _start(args) -> int:
    cdir = cluster_dir(args)
    return _run_node(args, cdir, _settings(cdir))


def _stop(args) -> int:
    cdir = cluster_dir(args)
    settings = _settings(cdir)
    ndir = node_dir(cdir)
    pid = _pid(ndir)
    if pid is None:
        print("cluster %r is not running" % settings["name"])
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _pid(ndir) == pid:
        time.sleep(0.1)
    if _pid(ndir) == pid:
        raise AdminError("node pid %d did not stop within 30 s" % pid)
    print("stopped cluster %r (pid %d)" % (settings["name"], pid))
    return 0


def _status(args) -> int:
    cdir = cluster_dir(args)
    settings = _settings(cdir)
    ndir = node_dir(cdir)
    pid = _pid(ndir)
    if pid is None:
        print("cluster %r: stopped" % settings["name"])
        return 3
    _print_endpoint(settings, ndir, pid)
    return 0


# --------------------------------------------------------------------------- perdure acl


def acl_main(args) -> int:
    try:
        return {"create-user": _create_user}[args.action](args)
    except AdminError as e:
        print("perdure acl %s: %s" % (args.action, e), file=sys.stderr)
        return 1


def _create_user(args) -> int:
    from perdure.acl import Acl, AclError

    cdir = cluster_dir(args)
    settings = _settings(cdir)
    ndir = node_dir(cdir)
    username = args.username
    aclfile = os.path.join(cdir, "users.acl")
    acl = Acl(_load_command_table())
    try:
        if os.path.exists(aclfile):
            acl.install_users(acl.parse_file(aclfile))
    except AclError as e:
        raise AdminError(str(e)) from None
    if username.encode() in acl.users and not args.replace:
        raise AdminError("user %r already exists (use --replace to redefine it)" % username)
    password = args.password
    generated = password is None and not args.no_password
    if generated:
        password = secrets.token_urlsafe(24)
    rules = [b"reset"] + [w.encode() for w in args.access_string.split()]
    rules.append(b"nopass" if args.no_password else b">" + password.encode())
    try:
        user, _ = acl.set_user(username.encode(), rules)
    except AclError as e:
        raise AdminError(str(e)) from None
    try:
        acl.save_file(aclfile)
    except OSError as e:
        raise AdminError("cannot write %s: %s" % (aclfile, e.strerror)) from None
    print("user %s %s" % (username, user.describe().decode()))
    if not user.enabled:
        print("note: the user is off (add 'on' to the access string to enable it)")
    pid = _pid(ndir)
    ca = os.path.join(ndir, "tls", "ca.crt")
    if pid is None:
        print("Saved in %s; the node loads it when it starts." % aclfile)
    else:
        cmds = []
        if args.admin_password is not None:
            cmds.append(("AUTH", args.admin_user, args.admin_password))
        cmds.append(("ACL", "LOAD"))
        try:
            replies = call(_host(settings), settings["port"], ca, *cmds)
        except (OSError, ssl.SSLError) as e:
            raise AdminError("saved in %s, but the running node could not be told (%s): run "
                             "ACL LOAD on it" % (aclfile, e)) from None
        if not replies or replies[-1] != "+OK":
            raise AdminError("saved in %s, but ACL LOAD on the running node answered %r"
                             % (aclfile, replies[-1] if replies else "nothing"))
        print("Saved in %s and loaded by the running node (pid %d)." % (aclfile, pid))
    print("Environment for the sample app:")
    print("  export DBHOST=%s DBPORT=%d DBUSERNAME=%s DBPASSWORD=%s DBCACERT=%s"
          % (_host(settings), settings["port"], _q(username),
             _q(password) if password is not None else "''", _q(ca)))
    return 0
