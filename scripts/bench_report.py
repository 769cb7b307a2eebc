"""``build/reports/bench.json``: one file, one section per benchmark (``make bench``)."""

import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "build" / "reports" / "bench.json"

__all__ = ["REPORT", "merge_section"]


def merge_section(name, section):
    """Replace one section of the report, keeping the others (written atomically)."""
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    report = {}
    if REPORT.exists():
        try:
            report = json.loads(REPORT.read_text())
        except json.JSONDecodeError:
            print(f"warning: {REPORT} was not valid JSON; rewriting it", file=sys.stderr)
    report[name] = section
    fd, tmp = tempfile.mkstemp(dir=REPORT.parent, prefix=".bench-", suffix=".json")
    with os.fdopen(fd, "w") as f:
        f.write(json.dumps(report, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, REPORT)
