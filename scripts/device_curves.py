"""Plot the behavioral device model's response curves (golden model, no simulator).

    python -m scripts.device_curves [--config default]

Writes ``build/reports/device_curves.png``: SET step vs drain voltage, SET saturation vs
gate voltage (the compliance), and the RESET trajectory toward the HRS floor.
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from hdl.spec.config import V_PER_CODE, preset  # noqa: E402
from scripts.generate import ROOT  # noqa: E402
from sim.characterize import (  # noqa: E402
    reset_trajectory,
    set_saturation_vs_gate,
    set_step_vs_voltage,
)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="default")
    args = ap.parse_args(argv)
    cfg = preset(args.config)
    fig, ax = plt.subplots(1, 3, figsize=(13, 3.8))
    volts, steps, moved = set_step_vs_voltage(cfg)
    ax[0].plot(volts * V_PER_CODE, steps, "o-", ms=3)
    ax[0].set(xlabel="drain voltage V_D [V]", ylabel="mean step of one SET [uS]",
              title="SET step grows with overdrive")
    gates, med, lim = set_saturation_vs_gate(cfg)
    ax[1].plot(gates * V_PER_CODE, lim, "k--", label="compliance limit")
    ax[1].plot(gates * V_PER_CODE, med, "o", label="median after 30 SET pulses")
    ax[1].set(xlabel="gate voltage V_G [V]", ylabel="conductance [uS]",
              title="SET saturates at the V_G compliance")
    ax[1].legend()
    traj = reset_trajectory(cfg)
    ax[2].plot(range(len(traj)), traj, "o-", ms=3)
    ax[2].axhline(cfg.device.g_hrs, color="k", ls="--", label="HRS floor")
    ax[2].set(xlabel="RESET pulses at V_S = 2.0 V", ylabel="median conductance [uS]",
              title="RESET moves down to the HRS floor")
    ax[2].legend()
    cells = cfg.array.rows * cfg.array.cols
    fig.suptitle(f"Behavioral RRAM cell model, preset {cfg.name!r} ({cells} cells)")
    fig.tight_layout()
    out = ROOT / "build" / "reports" / "device_curves.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
