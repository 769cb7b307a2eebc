"""The RTL's speed on the digits network: images per second of simulator wall time, on
Verilator and on Icarus, beside the golden model's (``make bench``).

    python -m scripts.bench_rtl [--sims verilator,icarus] [--images N] [--model FILE.onnx]

For each simulator, the whole chip (block ``chip``, preset ``default``) runs the first test
images through the driver program of ``make demo`` (``tb/demo_network.py``, cocotb test
``demo``: open, configure, the images through ``Runtime.infer``); the rate is images over
the wall seconds of the inference phase alone (configured chip to the last logit: no
Verilog generation, no simulator build, no weight loading), and the simulator's cycles per
second over the same phase.

Weights as the power-on image. Loading three 64 x 64 arrays by LOAD_CELL is ~200 000
cycles (1-2 minutes on Verilator, more than 15 on Icarus: ``tb/test_digits.py``), so the
chip is instead built with the network's target conductances in its crossbars at reset:
``sw.job.load_rows`` (the codes ``Runtime.load`` writes) goes through
``tb.harness.run_cocotb(loads=...)`` to ``scripts.blocks.build_block`` and
``sim.images.chip_images``, which computes each tile's image as the crossbar model after
power-on and a back-door ``CrossbarModel.load`` of those rows (what a LOAD_CELL does:
stuck cells keep their conductance; event counters, formed flags, relax and MVM counts are
untouched, and the RTL powers them on as the model does). That build lives in its own
directory (``build/sim/default-<hash>/chip-loaded-<hash>/``).

The comparison is exact and can fail, in two steps on the golden model and one against it:

1. the golden model loads the weights by LOAD_CELL through the driver and runs the images
   (the path ``tb/test_digits.py`` checks the RTL against); a second golden chip is set to
   the power-on images (``CrossbarModel.load_array`` of each image) and runs the same
   program without loading: every crossbar's conductances, event counters and formed flags
   must equal the first's after loading, and the results (logits, tile counters, pipelining)
   must be equal;
2. the RTL's result (every logit, every tile counter, the pipelining window) must equal the
   second golden chip's; a difference exits non-zero and writes no rate for that
   simulator.

Verilator models are built at ``-O1`` (``VERILATOR_CXX_OPT``, as ``make demo`` does) unless
the environment says otherwise: 4x the cycles per second of ``-O0`` for a build 1.8x as
long. Image counts (``--images`` overrides both): 40 on Verilator, 8 on Icarus, about a
minute and 2.5 minutes of inference (1898 cycles per image: ~1-2 images/s on Verilator,
~0.05 on Icarus at ~100 cycles/s). Measured on 2 cores shared with two other long jobs:
Verilator 932 s in all (866 s of it Verilog generation and the ``-O1`` build), Icarus
236 s (24 s build), both with the builds cached 316 s; figures in ``docs/network.md``.

Merges ``rtl_images_per_s`` (``{"verilator": ..., "icarus": ...}``) into the ``golden``
section of ``build/reports/bench.json`` (its other figures, from ``scripts/bench_golden.py``,
are kept; a simulator not run keeps its old value), and the details (images, seconds,
cycles, cycles per second, build seconds) into the ``rtl`` section; prints a table.
"""

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from hdl.spec.config import preset
from scripts.bench_report import REPORT, merge_section
from scripts.demo import RtlRun
from sim.driver import Driver, ModelBackend
from sim.images import chip_images
from sw.job import DEFAULT_MODEL, inference_program, load_rows, prepare

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "reports"
SIMS = ("verilator", "icarus")
#: Images per simulator by default: about a minute of inference on Verilator, 2.5 on
#: Icarus.
IMAGES = {"verilator": 40, "icarus": 8}
#: The fields of a run's result that must equal the golden model's (``cycles`` and the
#: wall times are the RTL's alone; ``program`` is empty: no programming).
COMPARED = ("logits", "counters", "pipelined", "window", "program")


def log(msg):
    print(f"[bench_rtl] {msg}", flush=True)


def _xb_state(model, node):
    xb = model.tile(node).xb
    return xb.g.copy(), xb.events.copy(), xb.formed.copy(), xb.anneals, xb.mvms


def golden(job, cfg, n, images):
    """The golden result of ``n`` images from the power-on images (step 1 of the module's
    docstring); exits if the power-on images are not the LOAD_CELL state."""
    x = job.x_codes[:n]
    by_load = ModelBackend(cfg)
    want = asyncio.run(inference_program(job.compiled, x, backdoor=True)(Driver(by_load, cfg)))
    pre = ModelBackend(cfg)
    for node, img in images.items():
        pre.model.tile(node).xb.load_array(np.asarray(img.conductance, np.int64))
    got = asyncio.run(inference_program(job.compiled, x, preloaded=True)(Driver(pre, cfg)))
    # After the same images, both golden chips' crossbars must be in the same state.
    for node in images:
        a, b = _xb_state(by_load.model, node), _xb_state(pre.model, node)
        same = all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
        if not same:
            sys.exit(f"[bench_rtl] tile {node}: the power-on image is not the crossbar state "
                     "LOAD_CELL leaves on the golden model")
    # The counters differ by the loading's BUSY cycles; the logits must not.
    if got["logits"] != want["logits"] or got["pipelined"] != want["pipelined"]:
        sys.exit("[bench_rtl] the golden model gives other logits from the power-on image "
                 "than after LOAD_CELL")
    return got


def rtl(job, cfg, sim, model, n, loads):
    """Build (timed) and run ``n`` images on ``sim``: (result dict, build seconds)."""
    from tb.harness import _build

    t0 = time.monotonic()
    log(f"{sim}: generating the chip's Verilog with the weights as its power-on image and "
        "building the simulator (cached; the first time takes minutes)")
    _build("chip", cfg, sim, loads)
    build_s = time.monotonic() - t0
    log(f"{sim}: built in {build_s:.0f} s")
    out = OUT / f"bench_rtl_{sim}.json"
    logfile = OUT / f"bench_rtl_{sim}.log"
    log(f"{sim}: running {n} images (log: {logfile.relative_to(ROOT)})")
    run = RtlRun(cfg, sim, model, n, n, params={"model": str(model), "images": n,
                                                 "out": str(out), "preloaded": True},
                 out=out, log=logfile, loads=loads, who="bench_rtl")
    run.start()
    return run.wait(), build_s


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sims", default=",".join(SIMS), help="comma-separated: verilator,icarus")
    ap.add_argument("--images", type=int, default=None,
                    help=f"images per simulator (default: {IMAGES})")
    ap.add_argument("--model", default=str(DEFAULT_MODEL), help="ONNX file of the network")
    args = ap.parse_args(argv)
    sims = [s for s in args.sims.split(",") if s]
    bad = [s for s in sims if s not in SIMS]
    if bad:
        sys.exit(f"error: --sims: {bad} unknown; choose from {', '.join(SIMS)}")
    counts = {s: args.images or IMAGES[s] for s in sims}
    if min(counts.values()) < 2:
        sys.exit("error: --images must be at least 2")
    os.environ.setdefault("VERILATOR_CXX_OPT", "-O1")
    t_start = time.monotonic()
    cfg = preset("default")
    job = prepare(args.model, cfg, max(counts.values()))
    loads = load_rows(job.compiled)
    images = {n: img for n, img in chip_images(cfg, loads).items() if n in loads}
    OUT.mkdir(parents=True, exist_ok=True)
    log(f"{Path(args.model).name} on {cfg.name}: weights of tiles {sorted(loads)} as the "
        f"power-on image; images per simulator: {counts}")

    rows, failed = {}, []
    for sim in sims:
        n = counts[sim]
        want = golden(job, cfg, n, images)
        got, build_s = rtl(job, cfg, sim, args.model, n, loads)
        diff = [k for k in COMPARED if got[k] != want[k]]
        if diff:
            log(f"{sim}: DIFFERENT from the golden model in {diff}")
            failed.append(sim)
            continue
        infer_s = got["phase_seconds"]["infer"]
        cy = got["cycles"]
        cycles = cy["latency"] + cy["per_image"] * (n - 1)
        rows[sim] = {
            "images": n,
            "infer_seconds": round(infer_s, 2),
            "images_per_s": round(n / infer_s, 3),
            "cycles": round(cycles),
            "cycles_per_image": round(cy["per_image"], 1),
            "cycles_per_s": round(cycles / infer_s),
            "build_seconds": round(build_s, 1),
            "run_seconds": round(got["seconds"], 1),
            "logits_equal": True,
        }
        if sim == "verilator":
            rows[sim]["cxx_opt"] = os.environ["VERILATOR_CXX_OPT"]
        log(f"{sim}: {n} images equal to the golden model, {rows[sim]['images_per_s']} "
            f"images/s, {rows[sim]['cycles_per_s']} cycles/s")

    old = {}
    if REPORT.exists():
        try:
            old = json.loads(REPORT.read_text())
        except json.JSONDecodeError:
            pass
    section = old.get("golden") if isinstance(old.get("golden"), dict) else {}
    slots = {s: None for s in SIMS}
    slots.update(section.get("rtl_images_per_s") or {})
    slots.update({s: r["images_per_s"] for s, r in rows.items()})
    section["rtl_images_per_s"] = slots
    merge_section("golden", section)
    details = old.get("rtl") if isinstance(old.get("rtl"), dict) else {}
    details.update(rows)
    details.update({"preset": cfg.name, "model": Path(args.model).name,
                    "weights": "power-on image (no loading cycles)"})
    merge_section("rtl", details)

    print("| simulator | images | inference s | images/s | cycles/image | cycles/s | build s |")
    print("|---|---|---|---|---|---|---|")
    for sim, r in rows.items():
        print(f"| {sim} | {r['images']} | {r['infer_seconds']} | {r['images_per_s']} | "
              f"{r['cycles_per_image']} | {r['cycles_per_s']} | {r['build_seconds']} |")
    log(f"wrote golden.rtl_images_per_s and the rtl section of {REPORT.relative_to(ROOT)} "
        f"in {time.monotonic() - t_start:.0f} s")
    if failed:
        sys.exit(f"[bench_rtl] the RTL and the golden model disagree on {failed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
