"""Quick formal checks of the write-verify engine (the full set: ``make formal``).

* property 3 (ramp length) proves by 2-induction (~20 s with Yices);
* the same harness with the ramp bound made one too strict must not prove: the solver
  returns a counterexample to induction on the mutated assertion, so the proof can fail.

Skipped when ``yowasp-sby`` or an SMT solver is missing.
"""

import re
import shutil
from pathlib import Path

import pytest

from scripts.formal import default_solver, run_job, write_job
from tb.formal import wv_harness

pytestmark = pytest.mark.skipif(
    shutil.which("yowasp-sby") is None
    or (shutil.which("yices-smt2") is None and shutil.which("z3") is None),
    reason="yowasp-sby and yices-smt2 or z3 needed")

QUICK = default_solver() == "yices"  # z3 takes far longer on this harness


@pytest.mark.skipif(not QUICK, reason="only with Yices (z3 is slow here: make formal)")
def test_ramp_bound_proves():
    write_job("pytest_p3", "prove", 2, ["p3"])
    status, _, log = run_job("pytest_p3", timeout=300)
    assert status == "PASS", log


@pytest.mark.skipif(not QUICK, reason="only with Yices (z3 is slow here: make formal)")
def test_mutated_ramp_bound_fails():
    write_job("pytest_p3_mutant", "prove", 2, ["p3"], mutant="ramp_off_by_one")
    status, _, log = run_job("pytest_p3_mutant", timeout=300)
    assert status != "PASS", log
    # The failure is the mutated assertion (the counterexample names its source line).
    lines = re.findall(r"failed assertion \S+ at \S+wv_harness\.py:(\d+)", log)
    assert lines, log
    source = Path(wv_harness.__file__).read_text().splitlines()
    assert all("ramp_limit" in source[int(n) - 1] for n in lines), (lines, log)
