"""Host-driven programming of a crossbar, written once and run on any backend.

The algorithm is a generator: it yields :class:`~sim.crossbar.CrossbarCommand` objects and
receives each command's response, so the same code drives the RTL (through cocotb) and the
golden model (:func:`run_on_model`). It is a host-side stand-in for the on-tile write-verify
engine: a one-directional SET ramp per cell as in M-ISPVA (Milo et al., ESSDERC 2019),
with the gate voltage setting the compliance and a verify read after every pulse.
"""

from dataclasses import dataclass, field

import numpy as np

from hdl.spec.crossbar import CrossbarOp
from sim.crossbar import CrossbarCommand

__all__ = [
    "MILO_LEVELS_US",
    "RampSettings",
    "level_gate",
    "ramp_program",
    "run_on_model",
    "weight_pattern",
]

#: Milo et al.'s five conductance levels at 0.5 V read: 5/15/30/45/60 uA -> 10..120 uS.
MILO_LEVELS_US = (10, 30, 60, 90, 120)


@dataclass(frozen=True)
class RampSettings:
    """Voltages in codes (20 mV). Defaults: verify at 0.5 V, SET ramp 0.5 V -> 3 V by 0.1 V."""

    v_read: int = 25
    v_start: int = 25
    v_step: int = 5
    v_stop: int = 150
    width: int = 1
    gate_margin_us: int = 3


def level_gate(cfg, target_us, margin_us):
    """Gate voltage code whose compliance is ``target + margin`` (the compliance stops the ramp
    from overshooting far past the target, as V_G does in M-ISPVA)."""
    d = cfg.device
    want = target_us + margin_us
    # g_lim = (v_g - vg0) * slope >> 2  ->  smallest v_g reaching `want`.
    vg = d.compliance_vg0 + -(-want * 4 // max(d.compliance_slope, 1))
    return min(vg, cfg.array.v_max)


@dataclass
class ProgramResult:
    pulses: np.ndarray = None  # per cell
    final_current: np.ndarray = None  # last verify read, 20 nA units
    passed: np.ndarray = None
    commands: int = 0
    cycles: int = 0
    log: list = field(default_factory=list)


def ramp_program(cfg, targets_us, settings=RampSettings()):
    """Generator programming ``targets_us`` (rows x cols, uS) cell by cell.

    A cell whose target is the lowest level (HRS) only gets a verify read: fresh cells start
    below it. Others get SET pulses at a gate voltage chosen for the level, with the drain
    ramped from ``v_start`` by ``v_step`` until the verify read reaches the target current or
    the ramp passes ``v_stop``. Returns a :class:`ProgramResult` (as ``StopIteration.value``).
    """
    a = cfg.array
    targets_us = np.asarray(targets_us)
    res = ProgramResult(
        pulses=np.zeros(targets_us.shape, np.int64),
        final_current=np.zeros(targets_us.shape, np.int64),
        passed=np.zeros(targets_us.shape, bool),
    )
    s = settings
    for r in range(a.rows):
        for c in range(a.cols):
            target_i = int(targets_us[r, c]) * s.v_read
            resp = yield CrossbarCommand(CrossbarOp.READ, r, c, v_line=s.v_read)
            res.commands += 1
            res.cycles += resp.cycles
            current = resp.value
            if targets_us[r, c] > MILO_LEVELS_US[0]:
                gate = level_gate(cfg, int(targets_us[r, c]), s.gate_margin_us)
                v = s.v_start
                while current < target_i and v <= s.v_stop:
                    resp = yield CrossbarCommand(CrossbarOp.SET, r, c, v_line=v, v_gate=gate,
                                                 width=s.width)
                    res.cycles += resp.cycles
                    resp = yield CrossbarCommand(CrossbarOp.READ, r, c, v_line=s.v_read)
                    res.cycles += resp.cycles
                    res.commands += 2
                    res.pulses[r, c] += 1
                    current = resp.value
                    v += s.v_step
                res.passed[r, c] = current >= target_i
            else:
                res.passed[r, c] = current <= target_i
            res.final_current[r, c] = current
    return res


def run_on_model(model, program):
    """Drive a command generator against a golden :class:`CrossbarModel`; return its result."""
    try:
        cmd = next(program)
        while True:
            cmd = program.send(model.execute(cmd))
    except StopIteration as stop:
        return stop.value


def weight_pattern(cfg, seed=2022):
    """A signed weight pattern in -4..4 for ``rows`` inputs x ``cols / 2`` outputs, and the
    conductance targets of its differential pairs (G+ in column 2p, G- in 2p+1).

    Weight ``w > 0`` puts G+ at level ``w`` and G- at the lowest level; ``w < 0`` the reverse;
    ``w = 0`` both at the lowest level.
    """
    a = cfg.array
    rng = np.random.default_rng(seed)
    w = rng.integers(-4, 5, size=(a.rows, a.pairs))
    lv = np.asarray(MILO_LEVELS_US)
    targets = np.empty((a.rows, a.cols), np.int64)
    targets[:, 0::2] = lv[np.maximum(w, 0)]
    targets[:, 1::2] = lv[np.maximum(-w, 0)]
    return w, targets
