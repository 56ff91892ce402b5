"""README.md stays true: its command coverage table is the one the command table produces."""

from __future__ import annotations

import re
from pathlib import Path

from perdure.server import compat_report

README = Path(__file__).resolve().parent.parent / "README.md"


def test_coverage_table_matches_the_command_table():
    text = README.read_text()
    m = re.search(r"<!-- coverage:start -->\n(.*?)<!-- coverage:end -->", text, re.S)
    assert m, "README.md lost its coverage markers"
    assert m.group(1) == compat_report.coverage_table(), \
        "README coverage table is stale: run `perdure compat-report --coverage-table`"
