"""Copy the benchmark results into README.md's Performance section.

``python benchmarks/readme.py`` replaces the text between ``<!-- bench:NAME:start -->`` and
``<!-- bench:NAME:end -->`` with ``benchmarks/results/NAME.md`` for NAME in latest (run.py),
memory (memory.py), cluster (cluster.py) and floor (floor.py); results that do not exist are left as they are.
"""

from __future__ import annotations

import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
README = os.path.join(os.path.dirname(HERE), "README.md")


def main():
    with open(README) as f:
        text = f.read()
    for name in ("latest", "memory", "cluster", "floor"):
        path = os.path.join(HERE, "results", name + ".md")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            body = f.read()
        pat = re.compile(r"(<!-- bench:%s:start -->\n).*?(<!-- bench:%s:end -->)" % (name, name), re.S)
        if not pat.search(text):
            raise SystemExit("README.md has no bench:%s markers" % name)
        text = pat.sub(lambda m, body=body: m.group(1) + body + m.group(2), text)
    with open(README, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
