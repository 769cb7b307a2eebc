"""NoC benchmark: zero-load latency per hop, saturation throughput, RTL-vs-golden check.

    python -m scripts.bench_noc [--cycles 20000] [--no-rtl]

Numbers come from the cycle-level golden model (``sim/noc.py``), which the regression holds
equal to the RTL cycle for cycle; ``rtl_vs_golden_3x3`` reruns that check on the 3 x 3 mesh
(Verilator, 20 000 saturated cycles). Merges the ``"noc"`` section into
``build/reports/bench.json``, leaving the other sections alone.

Saturation = flits accepted at the eject ports per node per cycle (after a warm-up), with
every node injecting uniform random traffic (destination any other node, packets of 1..4
flits) as fast as its injection NI accepts; the textbook bound of XY routing on a k x k
mesh under uniform traffic is the bisection bound 4/k (capped at 1 by the injection port).
"""

import argparse
import random
import sys
import time

import numpy as np

from hdl.spec.config import preset
from hdl.spec.noc import MsgType, make_packet
from scripts.bench_report import REPORT, merge_section
from sim.noc import NocModel
from sim.noc_traffic import hotspot_dest, make_schedule, uniform_dest


def mesh(k):
    return preset("default").replace(mesh_width=k, mesh_height=k)


def zero_load_per_hop(cfg):
    """Slope of single-flit latency (head accepted -> flit ejected) against hop count, over
    every source-destination pair of the mesh, each packet alone in the network."""
    n = cfg.mesh_width * cfg.mesh_height
    hops, lat = [], []
    for src in range(n):
        for dest in range(n):
            sources = [[] for _ in range(n)]
            sources[src] = [(0, w) for w in make_packet(cfg, src, dest, MsgType.DONE, [])]
            m = NocModel(cfg, sources).run(4 * (cfg.mesh_width + cfg.mesh_height) + 8)
            (t, _, _), = m.ejected
            w = cfg.mesh_width
            hops.append(abs(src % w - dest % w) + abs(src // w - dest // w))
            lat.append(t - m.accepted[src][0])
    slope, intercept = np.polyfit(hops, lat, 1)
    return float(slope), float(intercept), int(min(lat)), int(max(lat))


def saturation(cfg, dest_fn, cycles, warmup, seed):
    """Accepted flits per node per cycle under saturating load, and the model's run time."""
    n = cfg.mesh_width * cfg.mesh_height
    rng = random.Random(seed)
    per_node = int(cycles / 2.5) + 16   # > one flit per cycle per node: never runs dry
    sources, _ = make_schedule(cfg, rng, dest_fn, per_node, rate=1.0, max_flits=4)
    m = NocModel(cfg, sources)
    t0 = time.perf_counter()
    m.run(cycles)
    elapsed = time.perf_counter() - t0
    assert all(len(m.accepted[i]) < len(sources[i]) for i in range(n)), "a source ran dry"
    flits = sum(1 for t, _, _ in m.ejected if t >= warmup)
    return flits / n / (cycles - warmup), elapsed


def rtl_check():
    """Rerun the 3 x 3 saturation test on Verilator: passes only if every flit's inject and
    eject cycle equals the golden model's."""
    from tb.configs import mesh_config
    from tb.harness import run_cocotb

    try:
        run_cocotb("noc_mesh", mesh_config(3, 3), "tb.test_noc", "cocotb_saturation", "verilator",
                   params={"noc_saturation_cycles": 20000})
    except AssertionError as e:
        return f"MISMATCH: {e}"
    return "exact"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cycles", type=int, default=20_000)
    ap.add_argument("--warmup", type=int, default=2_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-rtl", action="store_true", help="skip the RTL-vs-golden rerun")
    args = ap.parse_args(argv)

    slope, intercept, lo, hi = zero_load_per_hop(mesh(8))
    print(f"zero load: {slope:.3f} cycles/hop (+{intercept:.2f}; {lo}..{hi} cycles on 8x8)")
    sat, bound, ratio, hot, speed = {}, {}, {}, {}, {}
    for k in (4, 8):
        key = f"{k}x{k}"
        cfg = mesh(k)
        sat[key], speed[key] = saturation(cfg, uniform_dest, args.cycles, args.warmup, args.seed)
        bound[key] = min(1.0, 4 / k)
        ratio[key] = sat[key] / bound[key]
        hot[key], _ = saturation(cfg, hotspot_dest, args.cycles // 4, args.warmup, args.seed)
        print(f"{key}: uniform saturation {sat[key]:.3f} flits/node/cycle = {ratio[key]:.2f} "
              f"of 4/k; hotspot {hot[key]:.3f}; model {args.cycles} cycles in "
              f"{speed[key]:.1f} s")
    rtl = "not run (--no-rtl)" if args.no_rtl else rtl_check()
    print(f"RTL vs golden model, 3x3: {rtl}")

    section = {
        "zero_load_cycles_per_hop": round(slope, 3),
        "zero_load_single_flit_cycles": {"intercept": round(intercept, 3), "min": lo,
                                         "max": hi},
        "saturation": {k: round(v, 4) for k, v in sat.items()},
        "bound": bound,
        "ratio": {k: round(v, 3) for k, v in ratio.items()},
        "hotspot_saturation": {k: round(v, 4) for k, v in hot.items()},
        "traffic": "uniform random, dest != src, packets of 1..4 flits, every node saturated; "
                   "hotspot: half the packets to the host node",
        "fifo_depth": mesh(4).noc.fifo_depth,
        "cycles": args.cycles,
        "warmup": args.warmup,
        "golden_model_seconds": {k: round(v, 2) for k, v in speed.items()},
        "rtl_vs_golden_3x3": rtl,
    }
    merge_section("noc", section)
    print(f"wrote the noc section of {REPORT}")
    return 0 if rtl in ("exact", "not run (--no-rtl)") else 1


if __name__ == "__main__":
    sys.exit(main())
