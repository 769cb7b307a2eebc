"""Tile benchmark: MVM latency against the ADC floor, and golden-model speed.

    python -m scripts.bench_tile [--preset default] [--no-rtl]

``mvm_cycles`` is the latency of one MVM command (accept to response, all ``cols/2``
outputs sent, output stream always ready) for a ``P = input_bits`` layer, from the golden
model, which the regression holds equal to the RTL cycle for cycle; the benchmark reruns
that check on this preset (Verilator, random weights, signed and unsigned layers; skip it
with ``--no-rtl``).
``adc_floor_cycles = P x ((C/2)/K) x (B+1)`` (``hdl.spec.tile.adc_floor``) is the ADCs'
own time: every conversion back to back, nothing else; ``ratio`` is ``mvm_cycles`` over
it. ``mvm_floor_cycles = P x (t_read + ((C/2)/K) x (B+1))`` (``hdl.spec.tile.mvm_floor``)
is the no-overlap bound: every plane read, then converted, one after the other.
``by_read_rows`` is the MVM latency of the same preset for other crossbar read widths
(``ArrayGeometry.read_rows``, rows summed per cycle). ``golden_mvm_per_s`` is MVM
commands per second of ``sim.tile.TileModel`` (random weights and inputs, one core).
Merges the ``"tile"`` section into ``build/reports/bench.json``, leaving the other
sections alone.
"""

import argparse
import sys
import time

import numpy as np

from hdl.spec.config import preset
from hdl.spec.tile import (
    TileField,
    TileOp,
    adc_floor,
    adc_schedule,
    mvm_floor,
    mvm_latency,
)
from scripts.bench_report import REPORT, merge_section
from sim.tile import TileCommand, TileModel


def golden_speed(cfg, seconds=2.0, seed=1):
    """MVM commands per second of the golden model on random weights and inputs."""
    rng = np.random.default_rng(seed)
    a = cfg.array
    model = TileModel(cfg)
    model.xb.load_array(rng.integers(0, a.g_max + 1, (a.rows, a.cols)))
    model.execute(TileCommand(TileOp.CONFIG, addr=TileField.ADC_SHIFT, value=8))
    n, t0 = 0, time.perf_counter()
    while True:
        model.inputs[:] = rng.integers(0, 1 << cfg.input_bits, a.rows)
        resp = model.execute(TileCommand(TileOp.MVM))
        n += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            return n / elapsed, resp.cycles


def rtl_check(cfg):
    """Run the MVM benchmark case on Verilator: passes only if every MVM's outputs and
    cycle count equal the golden model's."""
    from tb.harness import run_cocotb

    try:
        run_cocotb("tile", cfg, "tb.test_tile", "cocotb_bench_mvm", "verilator")
    except AssertionError as e:
        return f"MISMATCH: {e}"
    return "exact"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="default")
    ap.add_argument("--seconds", type=float, default=2.0, help="golden-model timing budget")
    ap.add_argument("--no-rtl", action="store_true", help="skip the RTL-vs-golden rerun")
    args = ap.parse_args(argv)

    cfg = preset(args.preset)
    p, pairs, rows = cfg.input_bits, cfg.array.pairs, cfg.array.rows
    t_read, rounds, t_conv, gap, period = adc_schedule(cfg)
    cycles = mvm_latency(cfg, p, pairs)
    floor = adc_floor(cfg, p)
    no_overlap = mvm_floor(cfg, p)
    by_read_rows = []
    for r in sorted({1, 2, 4, 8, 16, 32, 64, rows} & set(range(1, rows + 1))):
        c = mvm_latency(cfg.replace(array={"read_rows": r}), p, pairs)
        by_read_rows.append({"read_rows": r, "mvm_cycles": c, "ratio": round(c / floor, 4)})
    speed, model_cycles = golden_speed(cfg, args.seconds)
    assert model_cycles == cycles
    rtl = "not run (--no-rtl)" if args.no_rtl else rtl_check(cfg)
    print(f"{args.preset}: MVM {cycles} cycles (P={p}, {pairs} outputs, read_rows "
          f"{cfg.array.read_rows}), ADC floor {floor}, ratio {cycles / floor:.3f}; "
          f"t_read {t_read}, t_conv {t_conv} ({rounds} rounds), period {period}, gap {gap}; "
          f"golden model {speed:.0f} MVM/s; RTL: {rtl}")
    print("  by read_rows: " + ", ".join(f"{v['read_rows']}: {v['mvm_cycles']} "
                                         f"({v['ratio']:.3f})" for v in by_read_rows))
    merge_section("tile", {
        "preset": args.preset,
        "read_rows": cfg.array.read_rows,
        "mvm_cycles": cycles,
        "adc_floor_cycles": floor,
        "ratio": round(cycles / floor, 4),
        "adc_floor_formula": "P * ((C/2)/K) * (B+1)",
        "mvm_floor_cycles": no_overlap,
        "ratio_to_mvm_floor": round(cycles / no_overlap, 4),
        "golden_mvm_per_s": round(speed, 1),
        "input_bits": p,
        "outputs": pairs,
        "t_read": t_read,
        "t_conv_per_plane": t_conv,
        "period_per_plane": period,
        "formula": "t_read + (P-1) * max(t_read+1, t_conv) + t_conv + outputs + 6, "
                   "t_read = ceil(rows / read_rows) + 3",
        "by_read_rows": by_read_rows,
        "rtl_vs_golden": rtl,
    })
    print(f"wrote the tile section of {REPORT}")
    return 0 if rtl in ("exact", "not run (--no-rtl)") else 1


if __name__ == "__main__":
    sys.exit(main())
