"""The main job at this stage: the crossbar of the `default` preset, RTL against golden model.

1. generate the crossbar's Verilog for the preset (``build/<preset>/crossbar.v``);
2. build it with Verilator (reused across runs) and program a signed weight pattern onto
   its 64 x 64 cells with SET pulses and verify reads (differential pairs, Milo's 5 levels);
3. run random input bit-planes through the MVM on the RTL and on the golden model;
4. print a summary showing they agree (also in ``build/reports/demo_crossbar.json``).
"""

import argparse
import json
import sys
import time

from hdl.spec.config import ConfigError, preset
from scripts.generate import ROOT, write_all
from tb.demo_crossbar import REPORT
from tb.harness import run_cocotb


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="default")
    ap.add_argument("--sim", default="verilator", choices=["verilator", "icarus"])
    args = ap.parse_args(argv)
    try:
        cfg = preset(args.config)
    except ConfigError as e:
        sys.exit(f"error: {e}")
    t0 = time.monotonic()
    for path in write_all(cfg, ROOT / "build" / cfg.name):
        print(f"[demo] Verilog: {path.relative_to(ROOT)}")
    print(f"[demo] building and running on {args.sim} (first build takes a minute) ...",
          flush=True)
    REPORT.unlink(missing_ok=True)
    try:
        run_cocotb("crossbar", cfg, "tb.demo_crossbar", "demo", args.sim)
    finally:
        if not REPORT.exists():
            sys.exit("[demo] the simulation produced no report; see the log above")
    s = json.loads(REPORT.read_text())
    a = s["array"]
    print()
    print(f"Crossbar demo, preset '{s['preset']}': {a[0]} x {a[1]} cells, "
          f"{s['weights_shape'][0]} x {s['weights_shape'][1]} signed weights in -4..4")
    print(f"  programmed with {s['pulses_rtl']} SET pulses and "
          f"{s['commands'] - s['pulses_rtl']} verify reads, {s['program_cycles_rtl']} cycles; "
          f"{s['cells_passed']}/{s['cells']} cells verified")
    print("  level [uS]  cells  median g RTL  median g golden  mean pulses")
    for level, d in s["levels"].items():
        print(f"  {level:>10}  {d['cells']:5d}  {d['median_g_rtl']:12.1f}  "
              f"{d['median_g_golden']:15.1f}  {d['mean_pulses']:11.1f}")
    print(f"  conductance map: {s['cells_identical']}/{s['cells']} cells identical; pulses "
          f"{s['pulses_rtl']} (RTL) vs {s['pulses_golden']} (golden); cycles "
          f"{s['program_cycles_rtl']} vs {s['program_cycles_golden']}")
    print(f"  MVM: {s['mvm_planes']} random bit-planes, {s['mvm_values_identical']}/"
          f"{s['mvm_values']} pair currents identical; latency {s['mvm_cycles_rtl']} cycles "
          f"(golden model: {s['mvm_cycles_golden']})")
    print(f"  first pair currents of the last plane [uA]: {s['example_pair_currents_uA']}")
    verdict = "AGREE" if s["agree"] else "DISAGREE"
    print(f"[demo] RTL and golden model {verdict} "
          f"({time.monotonic() - t0:.0f} s, simulation {s['simulation_seconds']} s)")
    sys.exit(0 if s["agree"] else 1)


if __name__ == "__main__":
    main()
