"""Golden-model speed on a network: images per second, per image and batched.

    python -m scripts.bench_golden [--preset default] [--model FILE.onnx] [--images 360]
                                   [--batches 360,4096,32768]

The network is compiled (``sw/job.py``), programmed through the write-verify engine and
configured through the driver on the golden model (``sim/chip.py``). Then

* ``per_image``: ``Runtime.infer`` through the driver, one image after the other (the path
  the RTL is compared with), on the first ``--images`` test images;
* ``batched``: ``sw.batch.batch_infer`` on the same chip, for each batch size (the test
  images repeated), best of three; its logits must equal the per-image path's.

Merges the ``"golden"`` section into ``build/reports/bench.json``. The RTL's images per
second (``rtl_images_per_s``) are not measured here: ``scripts/bench_rtl.py`` (next in
``make bench``) fills them; values it put in that slot are kept. (``make demo`` reports its
own RTL rate in ``demo.json``.)
"""

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import numpy as np

from hdl.spec.config import preset
from scripts.bench_report import REPORT, merge_section
from sim.driver import Driver, ModelBackend
from sw.batch import batch_infer
from sw.job import DEFAULT_MODEL, prepare
from sw.runtime import Runtime


def _rtl_slots():
    """The RTL's images per second already in the report (kept), else empty slots."""
    slots = {"verilator": None, "icarus": None}
    if REPORT.exists():
        try:
            old = json.loads(REPORT.read_text()).get("golden", {}).get("rtl_images_per_s", {})
            slots.update({k: v for k, v in old.items() if v is not None})
        except (json.JSONDecodeError, AttributeError):
            pass
    return slots


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="default")
    ap.add_argument("--model", default=str(DEFAULT_MODEL))
    ap.add_argument("--images", type=int, default=360, help="images of the per-image run")
    ap.add_argument("--batches", default="360,4096,32768", help="batch sizes, comma-separated")
    args = ap.parse_args(argv)
    cfg = preset(args.preset)
    job = prepare(args.model, cfg, args.images)
    backend = ModelBackend(cfg)
    drv = Driver(backend, cfg)
    rt = Runtime(drv, job.compiled)

    async def setup():
        await drv.open()
        await rt.program()
        await rt.configure()

    t0 = time.perf_counter()
    asyncio.run(setup())
    program_s = time.perf_counter() - t0
    x = job.x_codes

    batched = []
    for size in (int(s) for s in args.batches.split(",")):
        xs = np.resize(x, (size, x.shape[1]))
        best = None
        for _ in range(3):
            t0 = time.perf_counter()
            batch_infer(backend.model, job.compiled, xs)
            dt = time.perf_counter() - t0
            best = dt if best is None else min(best, dt)
        batched.append({"batch": size, "seconds": round(best, 4),
                        "images_per_s": round(size / best, 1)})
    want = batch_infer(backend.model, job.compiled, x).logits

    t0 = time.perf_counter()
    logits, _ = asyncio.run(rt.infer(x))
    per_image_s = time.perf_counter() - t0
    equal = bool(np.array_equal(logits, want))
    per_image = {"images": len(x), "seconds": round(per_image_s, 3),
                 "images_per_s": round(len(x) / per_image_s, 1)}

    print(f"{Path(args.model).name} on {cfg.name} ({job.compiled.summary().count(chr(10)) + 1} "
          f"layers); programming {program_s:.1f} s")
    print(f"per image (driver): {per_image['images_per_s']:.0f} images/s over {len(x)} images")
    for b in batched:
        print(f"batched, {b['batch']:6d} images: {b['images_per_s']:.0f} images/s "
              f"({b['images_per_s'] / per_image['images_per_s']:.0f} x)")
    print(f"batched logits equal to the per-image path's: {equal}")
    merge_section("golden", {
        "preset": cfg.name,
        "model": Path(args.model).name,
        "per_image": per_image,
        "batched": batched,
        "logits_equal": equal,
        "rtl_images_per_s": _rtl_slots(),
    })
    print(f"wrote the golden section of {REPORT}")
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main())
