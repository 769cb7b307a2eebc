"""The device model stays calibrated to Milo et al.'s five levels (``make report-ispva``).

Runs the report's flow on the golden model (about a second per algorithm) and checks every
calibration target of the write-verify issue, for M-ISPVA, window and IGVVA.
"""

import pytest

from hdl.spec.config import preset
from scripts.report_ispva import ALGORITHMS, program_array, summarize, targets


@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_calibration_targets(algorithm):
    cfg = preset("default")
    s = summarize(cfg, program_array(cfg, ALGORITHMS[algorithm]))
    met = targets(s)
    for name, v in s["levels"].items():
        print(f"{algorithm} {name}: median {v['median_uS']} uS, sigma {v['sigma_uS']} uS, "
              f"pulses {v['pulses_mean']}")
    assert all(met.values()), {k: v for k, v in met.items() if not v}
