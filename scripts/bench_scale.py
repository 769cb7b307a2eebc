"""NeuRRAM's scale: the ``neurram`` preset (48 tiles of 256 x 256 cells, 3.1 M cells, on a
7 x 7 mesh with the host) on the golden model and on the RTL (Verilator).

    python -m scripts.bench_scale [--images 1024] [--driver-images 3] [--rtl-read-rows 16]
                                  [--golden-only] [--rtl-only]

* ``golden``: a synthetic MLP (``sw.network.random_network``, :data:`SIZES`) whose
  row x output blocks fill all 48 tiles through the compiler's placement; weights by the
  back door (by default straight into the crossbar models, the same ``load`` a LOAD_CELL
  runs; ``--load driver``: ``Runtime.load``, 61 440 LOAD_CELL packets through the driver),
  configured through the driver; ``--images`` images
  through the batched golden model (``sw.batch.batch_infer``) and the first
  ``--driver-images`` through the per-image driver path (``Runtime.infer``): logits, clips
  and tile counters equal. Reports images per second of wall time and the chip's cycles
  (MVM and busy cycles per tile, per layer, the slowest tile's cycles per image).
* ``rtl``: Verilator builds the whole chip, block ``chip_shared`` (:data:`BLOCK`: one tile
  node module, verilated once, instantiated per tile; ``tb.harness``: build wall time and
  peak memory from ``/usr/bin/time -v``), then ``tb/bench_scale.py`` runs one MVM on the
  far corner tile and one inference of a small network on tiles far apart, each equal to
  the golden model.

Merges the ``"scale"`` section into ``build/reports/bench.json`` and prints a table.

Cost of the RTL part (measured on 2 shared cores, ``docs/architecture.md``): 13.2 MB of
Verilog (82 s of Amaranth, 450 MB), a 515 s Verilator build (C++ at -O2, the default here;
``VERILATOR_CXX_OPT`` overrides it; 970 MB peak), and about 150 simulated cycles per second
(``scale_mvm``: 41 994 cycles in 285 s; ``scale_inference``: 51 647 cycles in 357 s).
``--golden-only`` skips it.
"""

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from hdl.spec.config import preset
from hdl.spec.tile import TileCounter
from scripts.bench_report import REPORT, merge_section
from sim.driver import Driver, ModelBackend
from sim.images import load_rows_into
from sw.batch import batch_infer, mvm_cycles
from sw.compiler import compile_network, quantize_inputs
from sw.job import load_rows
from sw.network import random_network
from sw.runtime import Runtime

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "scale"
#: The synthetic MLP: 1024-1024 (4 row x 8 output blocks = 32 tiles), 1024-384
#: (4 x 3 = 12), 384-256 (2 x 2 = 4): 48 tiles, every one of the chip's.
SIZES = (1024, 1024, 384, 256)
COUNTERS = {"busy": TileCounter.BUSY, "mvms": TileCounter.MVMS,
            "conversions": TileCounter.CONVERSIONS, "clips": TileCounter.CLIPS}


# -- golden model ------------------------------------------------------------------------------


def _direct_load(model, compiled):
    """Back door without packets: every used cell set to its level in the crossbar model."""
    for node, rows in load_rows(compiled).items():
        load_rows_into(model.tile(node).xb, rows)


def golden(cfg, n_images, n_driver, seed, load, read_rows=None):
    read_rows = read_rows or RTL_READ_ROWS
    rng = np.random.default_rng(seed)
    net = random_network(rng, list(SIZES))
    t0 = time.perf_counter()
    compiled = compile_network(net, cfg, rng.uniform(0, 1, (256, SIZES[0])))
    compile_s = time.perf_counter() - t0
    used = len(compiled.tiles())
    assert used == len(cfg.tiles), f"the network takes {used} of {len(cfg.tiles)} tiles"

    backend = ModelBackend(cfg)
    drv = Driver(backend, cfg)
    rt = Runtime(drv, compiled)

    async def setup():
        await drv.open()
        if load == "driver":
            await rt.load()
        else:
            _direct_load(backend.model, compiled)
        await rt.configure()

    t0 = time.perf_counter()
    asyncio.run(setup())
    setup_s = time.perf_counter() - t0

    x = quantize_inputs(compiled, rng.uniform(0, 1, (n_images, SIZES[0])))
    best = None
    for _ in range(2):
        t0 = time.perf_counter()
        r = batch_infer(backend.model, compiled, x)
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)

    # The per-image driver path on the first images (it changes the model's counters, so
    # after the batch, which does not).
    m = backend.model
    before = {t.node: list(m.tile(t.node).counters) for t in compiled.tiles()}
    t0 = time.perf_counter()
    logits, clips = asyncio.run(rt.infer(x[:n_driver]))
    driver_s = time.perf_counter() - t0
    mask = (1 << cfg.tile.counter_bits) - 1
    delta = {t.node: {k: (m.tile(t.node).counters[c] - before[t.node][c]) & mask
                      for k, c in COUNTERS.items()} for t in compiled.tiles()}
    rd = batch_infer(m, compiled, x[:n_driver])
    batch_counters = {n: {k: v & mask for k, v in c.items()} for n, c in rd.counters.items()}
    equal = bool(np.array_equal(logits, r.logits[:n_driver])
                 and np.array_equal(logits, rd.logits) and np.array_equal(clips, rd.clips)
                 and delta == batch_counters)

    per_layer = [max(r.image_cycles[t.node] for t in lp.all_tiles()) for lp in compiled.layers]
    bound = max(r.image_cycles.values())
    rcfg = rtl_config(cfg, read_rows)
    rtl_mvm = [max(mvm_cycles(rcfg, t.desc) for t in lp.all_tiles()) for lp in compiled.layers]
    return {
        "network": "x".join(map(str, SIZES)),
        "layers": compiled.summary().splitlines(),
        "tiles_used": used,
        "relay": [bool(lp.relay) for lp in compiled.layers],
        "pipelined": rt.pipelined,
        "weights": ("back door: Runtime.load, LOAD_CELL packets" if load == "driver"
                    else "back door: straight into the crossbar models"),
        "compile_s": round(compile_s, 2),
        "load_configure_s": round(setup_s, 2),
        "batched": {"images": n_images, "seconds": round(best, 3),
                    "images_per_s": round(n_images / best, 1)},
        "per_image": {"images": n_driver, "seconds": round(driver_s, 3),
                      "images_per_s": round(n_driver / driver_s, 2)},
        "equal": equal,
        "cycles": {
            "mvm_per_layer": r.layer_mvm_cycles(compiled),
            "busy_per_image_per_layer": per_layer,
            "busy_per_image_slowest_tile": bound,
            "mvm_latency_sum": sum(r.layer_mvm_cycles(compiled)),
            "busy_per_image_all_tiles": int(sum(r.image_cycles.values())),
            f"mvm_per_layer_read_rows_{read_rows}": rtl_mvm,
        },
        # The tiles' bound (host and network time not included): at 100 MHz, and in a layer
        # pipeline; this network relays every layer through the host, so it runs one image
        # at a time on the chip.
        "tile_bound_images_per_s_at_100MHz": round(1e8 / bound, 1),
        "clipped_per_image": round(float(np.mean(r.clips)), 2),
    }


# -- RTL ---------------------------------------------------------------------------------------


def _parse_time(text):
    """Wall seconds and peak RSS (MB) from ``/usr/bin/time -v`` output."""
    out = {}
    m = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):(\d+(?:\.\d+)?)", text)
    if m:
        out["wall_s"] = round(int(m[1] or 0) * 3600 + int(m[2]) * 60 + float(m[3]), 1)
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if m:
        out["peak_rss_mb"] = round(int(m[1]) / 1024, 1)
    return out


def _stage(name, code, log):
    """Run ``code`` in a Python subprocess under ``/usr/bin/time -v``."""
    cmd = [sys.executable, "-c", code]
    timer = Path("/usr/bin/time")
    if timer.exists():
        cmd = [str(timer), "-v", *cmd]
    t0 = time.perf_counter()
    with open(log, "w") as f:
        p = subprocess.run(cmd, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT, text=True)
    wall = time.perf_counter() - t0
    text = Path(log).read_text()
    res = {"ok": p.returncode == 0, "wall_s": round(wall, 1), **_parse_time(text),
           "log": str(Path(log).relative_to(ROOT))}
    res["wall_s"] = round(wall, 1)
    print(f"{name}: {'ok' if res['ok'] else 'FAILED'} in {wall:.0f} s"
          + (f", peak {res['peak_rss_mb']:.0f} MB" if "peak_rss_mb" in res else ""))
    return res


#: Rows the RTL build reads per cycle by default (``--rtl-read-rows``). The crossbar keeps one
#: conductance memory per row lane, so all 256 rows (the preset) elaborate too, but each
#: tile's Verilog doubles (``docs/architecture.md``); the golden model figures are the
#: preset's (all rows at once).
RTL_READ_ROWS = 16


def rtl_config(cfg=None, read_rows=RTL_READ_ROWS):
    """The configuration the RTL part builds: ``neurram`` reading ``read_rows`` rows per
    cycle (the preset itself when that is all its rows)."""
    cfg = cfg or preset("neurram")
    if read_rows == cfg.array.read_rows:
        return cfg
    return cfg.replace(name=f"neurram-r{read_rows}", array={"read_rows": read_rows})


#: The block the RTL part builds: the chip with one shared tile node module instantiated per
#: tile (``hdl/chip.py``, "Shared tiles"); block ``chip`` would be 48 copies of the tile's
#: Verilog. ``neurram`` has no stuck cells, so every tile's power-on image is the same.
BLOCK = "chip_shared"


def rtl(read_rows=RTL_READ_ROWS):
    OUT.mkdir(parents=True, exist_ok=True)
    _CFG = ("from scripts.bench_scale import BLOCK, rtl_config; "
            f"cfg = rtl_config(read_rows={read_rows}); ")
    res = {"config": rtl_config(read_rows=read_rows).name}
    res["verilog"] = _stage("Verilog", _CFG + (
        "from tb.harness import _verilog; import json; t = _verilog(BLOCK, cfg); "
        "print('VERILOG', json.dumps({'bytes': len(t), 'lines': t.count(chr(10)), "
        "'modules': t.count(chr(10) + 'module ')}))"), OUT / "verilog.log")
    m = re.search(r"VERILOG (\{.*\})", (OUT / "verilog.log").read_text())
    if m:
        res["verilog"].update(json.loads(m[1]))
    if not res["verilog"]["ok"]:
        return res
    res["build"] = _stage("Verilator build", _CFG + (
        "from tb.harness import _build; print(_build(BLOCK, cfg, 'verilator'))"),
        OUT / "build.log")
    if not res["build"]["ok"]:
        return res
    for test, params in (("scale_mvm", {}), ("scale_inference", {})):
        out = OUT / f"{test}.json"
        out.unlink(missing_ok=True)
        params = {**params, "out": str(out)}
        res[test] = _stage(f"cocotb {test}", _CFG + (
            "from tb.harness import run_cocotb; "
            f"run_cocotb(BLOCK, cfg, 'tb.bench_scale', '{test}', 'verilator', "
            f"params={params!r})"), OUT / f"{test}.log")
        if out.exists():
            r = json.loads(out.read_text())
            r.pop("rtl", None)
            r.pop("golden", None)
            res[test].update(r)
            if r.get("wall_s"):
                res[test]["cycles_per_s"] = round(r["sim_cycles"] / r["wall_s"], 1)
    return res


# -- report ------------------------------------------------------------------------------------


def _table(cfg, g, r):
    rows = [("preset", f"{cfg.name}: {len(cfg.tiles)} tiles x {cfg.array.rows} x "
             f"{cfg.array.cols} = {len(cfg.tiles) * cfg.array.rows * cfg.array.cols:,} cells, "
             f"{cfg.mesh_width} x {cfg.mesh_height} mesh")]
    if g:
        c = g["cycles"]
        rows += [
            ("golden: network", f"{g['network']} on {g['tiles_used']} tiles"),
            ("golden: batched images/s", f"{g['batched']['images_per_s']:.0f} "
             f"({g['batched']['images']} images)"),
            ("golden: per-image images/s", f"{g['per_image']['images_per_s']:.2f} "
             f"({g['per_image']['images']} images, equal to the batch: {g['equal']})"),
            ("cycles: MVM per layer", str(c["mvm_per_layer"])),
            ("cycles: busy per image, slowest tile", str(c["busy_per_image_slowest_tile"])),
        ]
    if r:
        for k in ("verilog", "build", "scale_mvm", "scale_inference"):
            s = r.get(k)
            if not isinstance(s, dict) or "ok" not in s:
                continue
            extra = ", ".join(f"{n} {s[n]}" for n in ("bytes", "modules", "peak_rss_mb",
                                                      "equal", "busy_cycles", "sim_cycles",
                                                      "cycles_per_s")
                              if n in s)
            rows.append((f"rtl: {k}", f"{'ok' if s['ok'] else 'FAILED'}, {s['wall_s']} s"
                         + (f"; {extra}" if extra else "")))
    w = max(len(a) for a, _ in rows)
    for a, b in rows:
        print(f"{a:<{w}}  {b}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=1024, help="images of the batched run")
    ap.add_argument("--driver-images", type=int, default=3,
                    help="images of the per-image driver run")
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--load", choices=("driver", "direct"), default="direct",
                    help="back door: LOAD_CELL packets through the driver, or direct")
    ap.add_argument("--rtl-read-rows", type=int, default=RTL_READ_ROWS,
                    help="rows the RTL build reads per cycle (the preset: 256)")
    ap.add_argument("--golden-only", action="store_true", help="skip the RTL")
    ap.add_argument("--rtl-only", action="store_true", help="skip the golden model")
    args = ap.parse_args(argv)
    cfg = preset("neurram")
    # -O2: the build takes 515 s instead of 339 s at -O0, the simulation runs 3.9 times
    # faster (147 cycles/s instead of 38 on scale_mvm), so both tests finish sooner.
    os.environ.setdefault("VERILATOR_CXX_OPT", "-O2")
    old = {}
    if REPORT.exists():
        try:
            old = json.loads(REPORT.read_text()).get("scale", {})
        except json.JSONDecodeError:
            pass
    g = old.get("golden") if args.rtl_only else golden(cfg, args.images, args.driver_images,
                                                        args.seed, args.load,
                                                        args.rtl_read_rows)
    r = old.get("rtl") if args.golden_only else rtl(args.rtl_read_rows)
    merge_section("scale", {"preset": cfg.name, "tiles": len(cfg.tiles),
                            "cells": len(cfg.tiles) * cfg.array.rows * cfg.array.cols,
                            "golden": g, "rtl": r})
    _table(cfg, g if not args.rtl_only or g else None, r)
    print(f"wrote the scale section of {REPORT}")
    ok = (g is None or g["equal"]) and (r is None or all(
        s.get("ok", True) for s in r.values() if isinstance(s, dict)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
