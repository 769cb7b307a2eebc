"""`make demo` on the RTL: the whole chip runs the compiled network (``sw/job.py``).

The harness passes ``model``, ``images``, ``out`` and optionally ``backdoor`` (weights by
LOAD_CELL instead of the write-verify engine, for the regression's short runs) or
``preloaded`` (neither: the chip was built with the weights as its power-on image,
``scripts/bench_rtl.py``) through ``run_cocotb(params=...)``; the result (logits,
programming report, counters, cycles, wall seconds of the phases) goes to ``out`` as JSON,
and ``scripts/demo.py`` (or ``tb/test_digits.py``, ``scripts/bench_rtl.py``) compares it
with the golden model's, logit for logit.
"""

import json
import time
from pathlib import Path

import cocotb
from cocotb.utils import get_sim_time

from sim.driver import Driver
from sw.job import inference_program, prepare
from tb.bus import ClockedTB
from tb.harness import test_param


@cocotb.test()
async def demo(dut):
    from tb.wb_backend import RtlBackend

    tb = ClockedTB(dut)
    await tb.reset()
    job = prepare(test_param("model"), tb.cfg, test_param("images"))
    backend = RtlBackend(dut, tb.cfg)
    backend.irq_timeout = 10_000_000
    drv = Driver(backend, tb.cfg)
    done = {"program": 0, "infer": 0}
    t0 = time.monotonic()

    stamps = {}

    def progress(phase, k):
        stamps.setdefault(phase, time.monotonic())
        done[phase] += k
        if phase == "infer" and (done[phase] % 20 == 0 or done[phase] == len(job.y)
                                 or len(job.y) <= 20):
            dut._log.info("RTL: %d / %d images (%.0f s)", done[phase], len(job.y),
                          time.monotonic() - t0)
        if phase == "program":
            dut._log.info("RTL: programmed tile %d of %d (%.0f s)", done[phase],
                          len(job.compiled.tiles()), time.monotonic() - t0)

    walls = []

    async def clock():
        # Called at the phases' bounds (start, weights in and configured, first image, all
        # images): the wall time beside the cycle.
        walls.append(time.monotonic())
        return round(get_sim_time("ns") / tb.PERIOD_NS)

    result = await inference_program(job.compiled, job.x_codes, progress=progress,
                                     clock=clock, backdoor=test_param("backdoor", False),
                                     preloaded=test_param("preloaded", False))(drv)
    end = time.monotonic()
    result["seconds"] = end - t0
    # Wall time of the images alone (from the first image's end: a lower bound on the rate).
    if "infer" in stamps and len(job.y) > 1:
        result["images_per_s"] = (len(job.y) - 1) / (end - stamps["infer"])
    # Wall seconds of the phases: the weights in and configured, and the images (configured
    # chip to the last logit; its cycles are result["cycles"]).
    result["phase_seconds"] = {"program": walls[1] - walls[0], "infer": walls[3] - walls[1]}
    Path(test_param("out")).write_text(json.dumps(result) + "\n")
