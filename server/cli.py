"""The ``perdure`` administration command line.

Each subcommand is one function registered with :func:`subcommand`; :func:`main` builds the
argparse parser from the registry, so adding a subcommand means adding one decorated function
(here, or in a module imported before :func:`main` runs)::

    @subcommand("stats", "show keyspace statistics", arg("--json", action="store_true"))
    def _stats(args) -> int:
        ...
        return 0

Every subcommand gets ``--dir DATA_DIR`` (default ``./perdure-data``) unless registered with
``data_dir=False``.  The function receives the parsed namespace and returns the exit code.
Heavy modules are imported inside the functions so ``perdure --help`` stays instant.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_DATA_DIR = "./perdure-data"
DEFAULT_PORT = 6379


@dataclass(frozen=True)
class Subcommand:
    name: str
    help: str
    args: tuple
    run: Callable[[argparse.Namespace], int]
    data_dir: bool = True


SUBCOMMANDS: dict[str, Subcommand] = {}


def arg(*flags, **kwargs) -> tuple:
    """One ``add_argument`` call, deferred: ``arg("--repair", action="store_true")``."""
    return flags, kwargs


def subcommand(name: str, help: str, *args: tuple, data_dir: bool = True):
    """Register the decorated function as ``perdure NAME``."""

    def register(fn: Callable[[argparse.Namespace], int]):
        SUBCOMMANDS[name] = Subcommand(name, help, args, fn, data_dir)
        return fn

    return register


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="perdure", description="Perdure administration")
    subs = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for sc in SUBCOMMANDS.values():
        p = subs.add_parser(sc.name, help=sc.help, description=sc.help)
        if sc.data_dir:
            p.add_argument(
                "--dir",
                default=DEFAULT_DATA_DIR,
                metavar="DATA_DIR",
                help=f"data directory (default: {DEFAULT_DATA_DIR})",
            )
        for flags, kwargs in sc.args:
            p.add_argument(*flags, **kwargs)
        p.set_defaults(_run=sc.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``perdure`` script; returns the process exit code."""
    args = build_parser().parse_args(argv)
    return int(args._run(args) or 0)


# --------------------------------------------------------------------------- subcommands


@subcommand(
    "certs",
    "create (if missing) and show the development TLS certificates",
    arg("--port", type=int, default=DEFAULT_PORT, help="port used in the redis-cli hint"),
)
def _certs(args: argparse.Namespace) -> int:
    from . import tls

    try:
        paths = tls.ensure_dev_certs(args.dir)
    except (OSError, ValueError) as e:
        print(f"perdure certs: {e}", file=sys.stderr)
        return 1
    print(f"Development TLS certificates in {os.path.dirname(paths['ca_cert'])}:")
    width = max(map(len, paths))
    for key, path in paths.items():
        print(f"  {key:<{width}}  {path}")
    print("Connect with:")
    print(f"  {tls.connect_hint(args.port, paths['ca_cert'])}")
    return 0


@subcommand(
    "check-log",
    "check the durable log for damage and report it",
    arg("--repair", action="store_true", help="also repair what can be repaired"),
)
def _check_log(args: argparse.Namespace) -> int:
    from .durability.filelog import check_log

    return check_log(args.dir, args.repair)


@subcommand(
    "cluster",
    "create, start, stop or show a local cluster (written to DATA_DIR/NAME)",
    arg("action", choices=["create", "start", "stop", "status"]),
    arg("--name", required=True, help="cluster name"),
    arg("--shards", type=int, default=1, help="number of shards (1 for now)"),
    arg("--replicas", type=int, default=0, help="replicas per shard (0 for now)"),
    arg("--port", type=int, default=DEFAULT_PORT, help=f"TLS port (default {DEFAULT_PORT})"),
    arg("--bind", default="127.0.0.1", help="listen address (default 127.0.0.1)"),
    arg("--parameter-group", default="default.memorydb-redis6",
        help="default.memorydb-redis6, or a file of 'parameter value' lines"),
    arg("--acl", default="open-access", help="open-access, or an ACL file to start from"),
    arg("--snapshot-retention-limit", type=int, default=1, help="days of snapshots to keep (0-35)"),
    arg("--snapshot-window", default="05:00-06:00", help="daily snapshot window, UTC (HH:MM-HH:MM)"),
    arg("--no-start", action="store_true", help="create only, do not start the node"),
    arg("--foreground", action="store_true", help="start/create: run the node in this terminal"),
)
def _cluster(args: argparse.Namespace) -> int:
    from .cluster.admin import cluster_main

    return cluster_main(args)


@subcommand(
    "acl",
    "manage a local cluster's ACL users",
    arg("action", choices=["create-user"]),
    arg("username"),
    arg("--name", required=True, help="cluster name"),
    arg("--access-string", required=True, help="ACL rules, e.g. 'on ~app:* +@read'"),
    arg("--password", help="the user's password (default: generate one and print it)"),
    arg("--no-password", action="store_true", help="no password (nopass)"),
    arg("--replace", action="store_true", help="redefine the user if it exists"),
    arg("--admin-user", default="default", help="user that runs ACL LOAD on a running node"),
    arg("--admin-password", help="its password (when the default user has one)"),
)
def _acl(args: argparse.Namespace) -> int:
    from .cluster.admin import acl_main

    return acl_main(args)


@subcommand(
    "snapshot",
    "create, list, restore, export or import RDB snapshots of a data directory",
    arg("action", choices=["create", "list", "restore", "export", "import"]),
    arg("--rdb", metavar="FILE", help="export: file to write; import/restore: RDB file to load"),
    arg("--snapshot", metavar="NAME", help="restore: a snapshot of this data directory (default: --rdb)"),
    arg("--config", metavar="FILE", help="the server's config file (databases, encodings)"),
    arg("--force", action="store_true", help="import: replace a data directory that holds data"),
)
def _snapshot(args: argparse.Namespace) -> int:
    from .snapshot import cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())


@subcommand(
    "compat-report",
    "per-family compatibility report from the compat suite's results",
    arg("--commands", default="compat_tests/redis62_commands.json", help="Redis 6.2 command list (JSON)"),
    arg("--results", default="compat_tests/results", help="folder with perdure.json / oracle.json"),
    arg("--missing", action="store_true", help="also list the Redis 6.2 commands not implemented"),
    arg("--coverage-table", action="store_true", help="print the README's family → commands table"),
    data_dir=False,
)
def _compat_report(args: argparse.Namespace) -> int:
    from . import compat_report

    if args.coverage_table:
        print(compat_report.coverage_table(), end="")
        return 0
    rep = compat_report.build(args.commands, args.results)
    if not any(rep["targets"].values()):
        print("no results in %s: run `tox -e oracle,compat` first" % args.results)
    print(compat_report.markdown(rep), end="")
    if args.missing:
        print("\nNot implemented yet:\n" + compat_report.missing(rep))
    return 0
