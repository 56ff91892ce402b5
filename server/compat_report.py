"""``perdure compat-report``: how compatible Perdure is, per Redis 6.2 command family.

Inputs: the full list of Redis 6.2.14 command names with their family
(``compat_tests/redis62_commands.json``, captured from the oracle's ``COMMAND``), Perdure's own
command table, and the per-test results that the compat suite writes with
``--compat-results`` (``compat_tests/results/{perdure,oracle}.json``: each test's outcome and
the commands it sent).  For every family it prints: commands in Redis 6.2, implemented by
Perdure, covered by at least one test, and the test outcomes on both targets.
"""

from __future__ import annotations

import json
import os


def _load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def build(commands_file: str, results_dir: str) -> dict:
    from .registry import COMMANDS, load_all

    load_all()
    with open(commands_file) as f:
        redis62 = json.load(f)
    implemented = set(COMMANDS)
    runs = {t: _load(os.path.join(results_dir, t + ".json")) for t in ("perdure", "oracle")}
    fams: dict = {}
    for name, fam in redis62.items():
        d = fams.setdefault(fam, {"redis": [], "implemented": [], "tested": set(),
                                  "perdure": [0, 0], "oracle": [0, 0], "tests": set()})
        d["redis"].append(name)
        if name in implemented:
            d["implemented"].append(name)
    fam_of = dict(redis62)
    for target, run in runs.items():
        if not run:
            continue
        for nodeid, t in run["tests"].items():
            cmds = {c for c in t.get("commands", []) if c in fam_of}
            seen_fams = set()
            for c in cmds:
                fam = fam_of[c]
                fams[fam]["tested"].add(c)
                seen_fams.add(fam)
            # a test counts once for the family of the command its file is about (its most
            # frequent family); tests touching several families count for each
            for fam in seen_fams:
                d = fams[fam]
                if nodeid in d["tests"] and target == "oracle":
                    pass
                d["tests"].add(nodeid)
                d[target][0] += t["outcome"] == "passed"
                d[target][1] += 1
    return {"families": fams, "targets": {t: bool(r) for t, r in runs.items()},
            "totals": {t: _totals(r) for t, r in runs.items() if r}}


def _totals(run):
    tests = run["tests"].values()
    return [sum(t["outcome"] == "passed" for t in tests), len(run["tests"])]


def markdown(rep: dict) -> str:
    fams = rep["families"]
    lines = ["| family | Redis 6.2 commands | implemented | with tests | tests passing on Perdure | on Redis 6.2.14 |",
             "|---|---|---|---|---|---|"]
    tot = [0, 0, 0]
    for fam in sorted(fams, key=lambda f: (-len(fams[f]["redis"]), f)):
        d = fams[fam]
        nr, ni, nt = len(d["redis"]), len(d["implemented"]), len(d["tested"])
        tot[0] += nr
        tot[1] += ni
        tot[2] += nt
        p, o = d["perdure"], d["oracle"]
        lines.append("| %s | %d | %d | %d | %s | %s |" % (fam, nr, ni, nt, _frac(p), _frac(o)))
    t = rep["totals"]
    lines.append("| **all** | %d | %d | %d | %s | %s |" % (tot[0], tot[1], tot[2], _frac(t.get("perdure")),
                                                         _frac(t.get("oracle"))))
    return "\n".join(lines) + "\n"


def _frac(x):
    if not x or not x[1]:
        return "–"
    return "%d / %d" % (x[0], x[1])


def missing(rep: dict) -> str:
    out = []
    for fam, d in sorted(rep["families"].items()):
        miss = sorted(set(d["redis"]) - set(d["implemented"]))
        if miss:
            out.append("%s: %s" % (fam, " ".join(miss)))
    return "\n".join(out)


def coverage_table() -> str:
    """The README's command coverage table: family → commands Perdure implements."""
    from .registry import COMMANDS, load_all

    load_all()
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(here, "compat_tests", "redis62_commands.json")) as f:
        redis62 = json.load(f)
    fams: dict = {}
    for name, fam in redis62.items():
        fams.setdefault(fam, [[], []])[0 if name in COMMANDS else 1].append(name.upper())
    lines = ["| family | supported | not yet |", "|---|---|---|"]
    for fam in sorted(fams):
        have, miss = fams[fam]
        lines.append("| %s | %s | %s |" % (fam, " ".join(sorted(have)) or "–", " ".join(sorted(miss)) or "–"))
    return "\n".join(lines) + "\n"
