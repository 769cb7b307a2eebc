"""Device characterization sweeps on the golden model (used by tests and scripts/device_curves.py).

Each sweep starts from a fresh array, so the figures depend only on the configuration.
"""

import numpy as np

from sim.crossbar import CrossbarModel

__all__ = ["set_step_vs_voltage", "set_saturation_vs_gate", "reset_trajectory"]


def _all_cells(cfg):
    a = cfg.array
    rr, cc = np.meshgrid(np.arange(a.rows), np.arange(a.cols), indexing="ij")
    return rr.ravel(), cc.ravel()


def set_step_vs_voltage(cfg, g_start=20, v_gate=None, voltages=None, tile=1):
    """Mean conductance step of one SET pulse (width 1) vs drain voltage, from ``g_start``.

    The gate is at ``v_gate`` (default: the highest, so compliance does not limit the step).
    Returns ``(voltages, mean_step_uS, fraction_of_cells_moved)``.
    """
    a = cfg.array
    v_gate = a.v_max if v_gate is None else v_gate
    voltages = np.arange(0, a.v_max + 1, 5) if voltages is None else np.asarray(voltages)
    rows, cols = _all_cells(cfg)
    steps, moved = [], []
    for v in voltages:
        xb = CrossbarModel(cfg, tile)
        xb.load_array(np.full((a.rows, a.cols), g_start))
        before = xb.g[rows, cols].copy()
        xb.set_pulse(rows, cols, int(v), v_gate)
        delta = xb.g[rows, cols] - before
        steps.append(delta.mean())
        moved.append((delta > 0).mean())
    return voltages, np.array(steps), np.array(moved)


def set_saturation_vs_gate(cfg, gates=None, pulses=30, tile=1):
    """Conductance after many strong SET pulses, per gate voltage, and the compliance limit.

    Returns ``(gates, median_g, compliance)``.
    """
    a = cfg.array
    gates = np.arange(40, 90, 5) if gates is None else np.asarray(gates)
    rows, cols = _all_cells(cfg)
    med, lim = [], []
    for vg in gates:
        xb = CrossbarModel(cfg, tile)
        for _ in range(pulses):
            xb.set_pulse(rows, cols, a.v_max, int(vg))
        med.append(np.median(xb.g[rows, cols][~xb.stuck[rows, cols]]))
        lim.append(int(xb.compliance(int(vg))))
    return gates, np.array(med), np.array(lim)


def reset_trajectory(cfg, g_start=120, v_source=100, pulses=20, tile=1):
    """Median conductance after each of ``pulses`` RESET pulses from ``g_start``.

    Returns an array of length ``pulses + 1`` (the start included).
    """
    a = cfg.array
    rows, cols = _all_cells(cfg)
    xb = CrossbarModel(cfg, tile)
    xb.load_array(np.full((a.rows, a.cols), g_start))
    live = ~xb.stuck[rows, cols]
    traj = [np.median(xb.g[rows, cols][live])]
    for _ in range(pulses):
        xb.reset_pulse(rows, cols, v_source)
        traj.append(np.median(xb.g[rows, cols][live]))
    return np.array(traj)
