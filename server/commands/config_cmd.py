"""CONFIG GET / SET / RESETSTAT / REWRITE / HELP over the declarative table in ``config.py``.

Redis 6.2 semantics: ``CONFIG GET`` takes exactly one glob pattern and replies name/value pairs
(a map in RESP3); ``CONFIG SET`` takes exactly one parameter and one value.  Parameters that
cannot change at run time are reported as unsupported, as 6.2 does.
"""

from __future__ import annotations

import errno
import os
import stat

from .. import errors, info, resp
from ..config import OPTIONS_BY_NAME, ConfigWhy
from ..errors import RedisError
from ..registry import command
from .server import help_reply, subcommand_error

_CONFIG_HELP = [
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
]


def config_set(cfg, name: bytes, value: bytes) -> None:
    """Apply ``CONFIG SET name value``; raise the RedisError 6.2 replies on failure."""
    sname = name.decode("utf-8", "replace")
    svalue = value.decode("utf-8", "surrogateescape")
    opt = OPTIONS_BY_NAME.get(sname.lower())
    if opt is None or not opt.mutable:
        raise RedisError(errors.CONFIG_UNSUPPORTED % sname)
    if opt.name == "dir":
        return _set_dir(cfg, svalue)
    try:
        if opt.name == "maxclients":
            _check_maxclients(opt.parse(svalue), cfg["maxclients"])
        cfg.set(opt.name, svalue)
    except ValueError as e:
        shown = value.decode("utf-8", "replace")
        if opt.kind == "special" and not isinstance(e, ConfigWhy):
            raise RedisError(errors.CONFIG_INVALID % (shown, sname)) from None
        raise RedisError(errors.CONFIG_INVALID_WHY % (shown, sname, e)) from None
    except (KeyError, PermissionError):
        raise RedisError(errors.CONFIG_UNSUPPORTED % sname) from None


def _set_dir(cfg, path: str) -> None:
    """CONFIG SET dir: Redis chdir()s (the next RDB/AOF files go there).  Perdure's effects log
    stays open in its data directory, so only that directory is accepted; a path chdir() would
    refuse gets Redis's error."""
    try:
        st = os.stat(path)
        if not stat.S_ISDIR(st.st_mode):
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
        os.listdir(path)  # chdir needs search permission
    except OSError as e:
        raise RedisError(errors.CONFIG_CHDIR % (e.strerror or e)) from None
    cur = os.getcwd()
    if os.path.realpath(path) != os.path.realpath(cur):
        raise RedisError(errors.CONFIG_CHDIR % ("the data directory of Perdure (its log is in %s) "
                                                "cannot change at run time" % cur))
    cfg.values["dir"] = cur


_RESERVED_FDS = 32  # CONFIG_MIN_RESERVED_FDS


def _check_maxclients(val: int, prev: int) -> None:
    """updateMaxclients/adjustOpenFilesLimit: raise the open files limit to fit ``val`` clients,
    or refuse with the number the OS allows."""
    if val <= prev:
        return
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = val + _RESERVED_FDS
    if need <= soft:
        return
    target = need if hard == resource.RLIM_INFINITY or need <= hard else hard
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):
        target = soft
    if target < need:
        raise ValueError(errors.MAXCLIENTS_OS_LIMIT % (target - _RESERVED_FDS))


@command("config", -2, "admin noscript loading stale no-data")
def config(c, argv):
    "CONFIG GET pattern | SET parameter value | RESETSTAT | REWRITE | HELP"
    n = len(argv)
    sub = argv[1].lower()
    srv = c.server
    if sub == b"get" and n == 3:
        return resp.Map(srv.config.get_matching(argv[2]))
    if sub == b"set" and n == 4:
        config_set(srv.config, argv[2], argv[3])
        return resp.OK
    if sub == b"resetstat" and n == 2:
        info.reset_stats(srv)
        return resp.OK
    if sub == b"rewrite" and n == 2:
        try:
            srv.config.rewrite()
        except OSError as e:
            raise RedisError(errors.CONFIG_REWRITE_FAILED % (e.strerror or e)) from None
        return resp.OK
    if sub == b"help" and n == 2:
        return help_reply(argv[0], _CONFIG_HELP)
    raise subcommand_error(argv)
