"""`make demo` on the RTL: program a weight pattern with pulses, run MVMs, compare with the twin.

The same host program (``sim/host_program.py``) runs twice: once against the RTL in the
simulator, every response checked in lockstep against a golden model, and once against a
separate golden model on its own. The summary goes to ``build/reports/demo_crossbar.json``.
"""

import json
import time

import cocotb
import numpy as np

from hdl.spec.crossbar import CrossbarOp
from sim.crossbar import CrossbarCommand, CrossbarModel, CrossbarResponse
from sim.host_program import MILO_LEVELS_US, ramp_program, run_on_model, weight_pattern
from tb.bus import unpack_array
from tb.harness import ROOT
from tb.test_crossbar import CrossbarTB

REPORT = ROOT / "build" / "reports" / "demo_crossbar.json"


@cocotb.test()
async def demo(dut):
    tb = CrossbarTB(dut)
    await tb.reset()
    cfg, a = tb.cfg, tb.cfg.array
    weights, targets = weight_pattern(cfg)
    t0 = time.monotonic()

    # 1. Program on the RTL (each response is also checked against the lockstep twin).
    program = ramp_program(cfg, targets)
    cmd = next(program)
    done_rows = 0
    try:
        while True:
            got = await tb.send(cmd)  # asserts equality with the lockstep twin
            resp = CrossbarResponse(bool(got["error"]), got["value"], tb.last_cycles)
            if cmd.row != done_rows:
                done_rows = cmd.row
                if done_rows % 8 == 0:
                    dut._log.info("programmed rows 0..%d of %d", done_rows - 1, a.rows)
            cmd = program.send(resp)
    except StopIteration as stop:
        rtl = stop.value
    program_seconds = time.monotonic() - t0

    # 2. Read the RTL's conductance map back.
    rtl_g = np.zeros((a.rows, a.cols), np.int64)
    for r in range(a.rows):
        for c in range(a.cols):
            rtl_g[r, c] = (await tb.send(CrossbarCommand(CrossbarOp.PEEK, r, c)))["value"]

    # 3. The same program on an independent golden model.
    gold_model = CrossbarModel(cfg, cfg.tiles[0])
    gold = run_on_model(gold_model, ramp_program(cfg, targets))

    # 4. MVMs on both.
    rng = np.random.default_rng(1)
    planes = rng.integers(0, 2, size=(16, a.rows))
    mvm_agree, mvm_cycles = 0, []
    for x in planes:
        bits = int(sum(int(b) << r for r, b in enumerate(x)))
        await tb.send(CrossbarCommand(CrossbarOp.MVM, bits=bits))
        rtl_pairs = unpack_array(int(dut.pair_current.value), tb.pair_width, a.pairs)
        gold_pairs, gold_cycles = gold_model.mvm(x)
        mvm_agree += int(np.sum(np.asarray(rtl_pairs) == gold_pairs))
        mvm_cycles.append((tb.last_cycles, gold_cycles))

    levels = {}
    for level in MILO_LEVELS_US:
        sel = targets == level
        levels[str(level)] = {
            "cells": int(sel.sum()),
            "median_g_rtl": float(np.median(rtl_g[sel])),
            "median_g_golden": float(np.median(gold_model.g[sel])),
            "mean_pulses": float(rtl.pulses[sel].mean()),
        }
    summary = {
        "preset": cfg.name,
        "array": [a.rows, a.cols],
        "weights_shape": list(weights.shape),
        "commands": rtl.commands,
        "pulses_rtl": int(rtl.pulses.sum()),
        "pulses_golden": int(gold.pulses.sum()),
        "program_cycles_rtl": rtl.cycles,
        "program_cycles_golden": gold.cycles,
        "cells_identical": int(np.sum(rtl_g == gold_model.g)),
        "cells": int(rtl_g.size),
        "cells_passed": int(rtl.passed.sum()),
        "levels": levels,
        "mvm_planes": len(planes),
        "mvm_values_identical": mvm_agree,
        "mvm_values": int(len(planes) * a.pairs),
        "mvm_cycles_rtl": sorted({c for c, _ in mvm_cycles}),
        "mvm_cycles_golden": sorted({c for _, c in mvm_cycles}),
        "example_pair_currents_uA": [round(v * 0.02, 2) for v in rtl_pairs[:8]],
        "simulation_seconds": round(time.monotonic() - t0, 1),
        "programming_seconds": round(program_seconds, 1),
    }
    summary["agree"] = (
        summary["cells_identical"] == summary["cells"]
        and summary["pulses_rtl"] == summary["pulses_golden"]
        and summary["program_cycles_rtl"] == summary["program_cycles_golden"]
        and summary["mvm_values_identical"] == summary["mvm_values"]
        and summary["mvm_cycles_rtl"] == summary["mvm_cycles_golden"]
    )
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(summary, indent=2) + "\n")
    assert summary["agree"], summary
