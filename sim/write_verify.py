"""Golden model of the write-verify engine: every pulse, every result, the exact cycle count.

A run programs the cells of a region one after another in hardware; in the model every cell
advances one crossbar command per step, all cells at once (numpy). That is exact because a
cell's device randomness is keyed by its own event counter (``sim/cellhash.py``): cells do
not influence each other, so the hardware's order does not matter, and the cycle count is
the sum of every cell's commands. See ``docs/write_verify.md`` for the algorithms.
"""

from dataclasses import dataclass, field

import numpy as np

from hdl.spec.crossbar import CrossbarOp
from hdl.spec.crossbar import latency as xbar_latency
from hdl.spec.fields import pack
from hdl.spec.rules import any_of, first_match
from hdl.spec.write_verify import (
    ACCESS_LATENCY,
    CELL_OVERHEAD,
    CHECK_CYCLES,
    CMD_OVERHEAD,
    LOOP_DIMS,
    WV_FIELDS,
    WV_SETS,
    LoopOrder,
    WvAlgorithm,
    WvError,
    WvField,
    WvOp,
    WvRunKind,
    WvStat,
    access_rules,
    check_register_set,
    result_fields,
    run_latency_overhead,
    run_refusals,
)
from sim.host_program import MILO_LEVELS_US, level_gate

__all__ = [
    "WV_SETS",
    "WvCommand",
    "WvResponse",
    "WriteVerifyModel",
    "default_register_sets",
    "window_register_sets",
    "igvva_register_sets",
    "check_register_set",
    "run_latency_overhead",
]

F = WvField


# -- register sets ---------------------------------------------------------------------------------

def _base_set(cfg):
    a = cfg.array
    s = np.zeros(WV_FIELDS, np.int64)
    s[F.ALGORITHM] = WvAlgorithm.ISPVA
    s[F.LOOP_ORDER] = LoopOrder.LINE_GATE_WIDTH
    s[F.SET_LINE_START], s[F.SET_LINE_STEP], s[F.SET_LINE_STOP] = 5, 5, 150  # 0.1 -> 3 V
    s[F.SET_GATE_START], s[F.SET_GATE_STEP], s[F.SET_GATE_STOP] = 50, 1, 50
    s[F.WIDTH_START], s[F.WIDTH_STEP], s[F.WIDTH_STOP] = 1, 1, 1
    s[F.RESET_LINE_START], s[F.RESET_LINE_STEP], s[F.RESET_LINE_STOP] = 5, 5, 150
    s[F.RESET_GATE] = min(135, a.v_max)  # 2.7 V: transistor fully on
    s[F.VERIFY_V] = 25  # 0.5 V
    s[F.WINDOW_LO], s[F.WINDOW_HI] = 0, 0xFFFF
    s[F.MAX_PULSES] = 30
    s[F.MAX_ALTERNATIONS] = 0
    s[F.PASSES] = 1
    return s


def ispva_set(cfg, level_index, margin_us=0, verify_offset_us=-1, l1_limit_us=11):
    """M-ISPVA register set for Milo's level ``level_index`` (0..4).

    L1: RESET ramp on the source line (V_G = 2.7 V) from 0.1 V by 0.1 V until
    I <= ``l1_limit_us`` x 0.5 V. L2..L5: SET ramp on the drain from 0.1 V by 0.1 V to 3 V, at
    the gate voltage whose compliance is the level (+ ``margin_us``), until
    I >= (level + ``verify_offset_us``) x 0.5 V. The verify limits sit 1 uS beside Milo's
    levels so that the medians land on them (``docs/write_verify.md``, calibration).
    """
    s = _base_set(cfg)
    level = MILO_LEVELS_US[level_index]
    v = s[F.VERIFY_V]
    if level_index == 0:
        s[F.WINDOW_LO], s[F.WINDOW_HI] = 0, l1_limit_us * v
    else:
        s[F.WINDOW_LO] = (level + verify_offset_us) * v
        s[F.SET_GATE_START] = s[F.SET_GATE_STOP] = level_gate(cfg, level, margin_us)
    return s


def window_set(cfg, level_index, tolerance_us=4, margin_us=6, l1_limit_us=11):
    """NeuRRAM-style window set: window [G - tol, G + tol] (L1: [0, ``l1_limit_us``]); SET
    ramp on the drain and RESET ramp on the source line, both +0.1 V per pulse from 0.1 V;
    30 pulses per ramp, 20 alternations, 2 passes in a row."""
    s = _base_set(cfg)
    level = MILO_LEVELS_US[level_index]
    v = s[F.VERIFY_V]
    s[F.ALGORITHM] = WvAlgorithm.WINDOW
    lo = 0 if level_index == 0 else level - tolerance_us
    hi = l1_limit_us if level_index == 0 else level + tolerance_us
    s[F.WINDOW_LO], s[F.WINDOW_HI] = lo * v, hi * v
    s[F.SET_GATE_START] = s[F.SET_GATE_STOP] = level_gate(cfg, level, margin_us)
    s[F.MAX_PULSES], s[F.MAX_ALTERNATIONS], s[F.PASSES] = 30, 20, 2
    return s


def igvva_set(cfg, level_index, v_drain=90, below_us=30, above_us=12):
    """IGVVA set: at a fixed drain voltage (1.8 V) the SET ramp steps the gate by one code
    (20 mV, 3 uS of compliance) from ``below_us`` under the level to ``above_us`` over it,
    until the verify read passes; L1 is the M-ISPVA RESET ramp."""
    s = ispva_set(cfg, level_index)
    if level_index == 0:
        return s
    level = MILO_LEVELS_US[level_index]
    s[F.ALGORITHM] = WvAlgorithm.IGVVA
    s[F.LOOP_ORDER] = LoopOrder.GATE_LINE_WIDTH
    s[F.SET_LINE_START] = s[F.SET_LINE_STOP] = v_drain
    s[F.SET_GATE_START] = level_gate(cfg, max(0, level - below_us), 0)
    s[F.SET_GATE_STEP] = 1
    s[F.SET_GATE_STOP] = level_gate(cfg, level + above_us, 0)
    s[F.MAX_PULSES] = 60
    return s


def forming_set(cfg, margin_us=3):
    """Forming: a SET ramp to the highest allowed drain voltage until I >= L2's current."""
    s = _base_set(cfg)
    s[F.ALGORITHM] = WvAlgorithm.FORMING
    s[F.SET_LINE_STOP] = cfg.array.v_max
    s[F.SET_GATE_START] = s[F.SET_GATE_STOP] = level_gate(cfg, MILO_LEVELS_US[2], margin_us)
    s[F.WINDOW_LO] = MILO_LEVELS_US[1] * s[F.VERIFY_V]
    s[F.MAX_PULSES] = 255
    return s


def default_register_sets(cfg, level_set=ispva_set):
    """Power-on register sets: 0..4 = Milo's five levels built by ``level_set`` (M-ISPVA by
    default), 5 = window at L3, 6 = IGVVA at L3, 7 = forming."""
    sets = np.zeros((WV_SETS, WV_FIELDS), np.int64)
    for i in range(len(MILO_LEVELS_US)):
        sets[i] = level_set(cfg, i)
    sets[5] = window_set(cfg, 2)
    sets[6] = igvva_set(cfg, 2)
    sets[7] = forming_set(cfg)
    return sets


def window_register_sets(cfg):
    """The defaults with sets 0..4 replaced by window-algorithm sets."""
    return default_register_sets(cfg, window_set)


def igvva_register_sets(cfg):
    """The defaults with sets 0..4 replaced by IGVVA sets."""
    return default_register_sets(cfg, igvva_set)


def _first_bad_set(cfg, sets):
    for i in range(WV_SETS):
        bad = check_register_set(cfg, sets[i])
        if bad is not None:
            return i, bad
    return None


# -- host commands ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class WvCommand:
    op: int
    set: int = 0
    field: int = 0
    addr: int = 0
    value: int = 0
    kind: int = 0
    row0: int = 0
    col0: int = 0
    nrows: int = 1
    ncols: int = 1
    count: int = 1
    polarity: int = 0
    v_line: int = 0
    v_gate: int = 0
    width: int = 1
    v_read: int = 25


@dataclass(frozen=True)
class WvResponse:
    error: int
    value: int
    cycles: int


@dataclass
class RunLog:
    """What one RUN did, for tests and reports."""

    cells: np.ndarray = None  # cell indices in hardware order
    pulses: list = field(default_factory=list)  # (cell, kind, v_line, v_gate, width) in order
    cycles: int = 0


class WriteVerifyModel:
    """Host-visible state and behavior of one write-verify unit (engine + its crossbar).

    Parameters
    ----------
    cfg : ChipConfig
    crossbar : CrossbarModel
        The array the engine programs (its state changes with every pulse).
    """

    def __init__(self, cfg, crossbar):
        self.cfg = cfg
        self.xb = crossbar
        a, w = cfg.array, cfg.write_verify
        n = a.rows * a.cols
        self.sets = default_register_sets(cfg)
        self.targets = np.zeros(n, np.int64)
        self.res_pulses = np.zeros(n, np.int64)
        self.res_current = np.zeros(n, np.int64)
        self.res_pass = np.zeros(n, np.int64)
        self.hist = np.zeros(w.hist_bins, np.int64)
        self.fail_list = np.zeros(w.fail_list_depth, np.int64)
        self.stat_pulses = 0
        self.stat_failures = 0
        self.stat_cells = 0
        self.last_error = 0
        self.error_detail = 0
        self.last_log = None

    # -- commands ------------------------------------------------------------------------------

    def refusal(self, cmd):
        """The WvError a command is refused with at acceptance (NONE if accepted): the spec's
        ``run_refusals`` for a RUN, ``access_rules`` (BAD_COMMAND) for the others."""
        if cmd.op == WvOp.RUN:
            return WvError(first_match(run_refusals(self.cfg), cmd, WvError.NONE))
        rule = access_rules(self.cfg).get(cmd.op)
        if rule is None or any_of(rule(cmd)):
            return WvError.BAD_COMMAND
        return WvError.NONE

    def execute(self, cmd):
        """Apply one host command; return the response the RTL gives and its latency."""
        err = self.refusal(cmd)
        if err:
            if cmd.op == WvOp.RUN:
                self.last_error = int(err)
                self.error_detail = 0
            return WvResponse(int(err), 0, 1)
        op = WvOp(cmd.op)
        value = 0
        if op == WvOp.WRITE_SET:
            self.sets[cmd.set, cmd.field] = cmd.value
        elif op == WvOp.READ_SET:
            value = int(self.sets[cmd.set, cmd.field])
        elif op == WvOp.WRITE_TARGET:
            self.targets[cmd.addr] = cmd.value
        elif op == WvOp.READ_TARGET:
            value = int(self.targets[cmd.addr])
        elif op == WvOp.READ_RESULT:
            i = cmd.addr
            value = pack(result_fields(self.cfg), dict(
                pulses=self.res_pulses[i], current=self.res_current[i], passed=self.res_pass[i]))
        elif op == WvOp.READ_HIST:
            value = int(self.hist[cmd.addr])
        elif op == WvOp.READ_FAIL:
            value = int(self.fail_list[cmd.addr])
        elif op == WvOp.READ_STAT:
            value = {WvStat.PULSES: self.stat_pulses, WvStat.FAILURES: self.stat_failures,
                     WvStat.CELLS: self.stat_cells, WvStat.LAST_ERROR: self.last_error,
                     WvStat.ERROR_DETAIL: self.error_detail}[WvStat(cmd.addr)]
        else:
            return self.run(cmd)
        return WvResponse(0, value, ACCESS_LATENCY)

    # -- runs ------------------------------------------------------------------------------------

    def run(self, cmd):
        cfg, a = self.cfg, self.cfg.array
        kind = WvRunKind(cmd.kind)
        overhead = run_latency_overhead(cfg, kind)
        if kind in (WvRunKind.PROGRAM, WvRunKind.ENDURANCE):
            bad = _first_bad_set(cfg, self.sets)
            if bad is not None:
                self.last_error = int(WvError.BAD_SET)
                self.error_detail = bad[0] << 8 | int(bad[1])
                return WvResponse(int(WvError.BAD_SET), self.error_detail, 1 + CHECK_CYCLES)
        rr, cc = np.meshgrid(np.arange(cmd.row0, cmd.row0 + cmd.nrows),
                             np.arange(cmd.col0, cmd.col0 + cmd.ncols), indexing="ij")
        rows, cols = rr.ravel(), cc.ravel()
        log = RunLog(cells=rows * a.cols + cols)
        if kind == WvRunKind.PROGRAM:
            pulses, current, passed, cycles = self._program(rows, cols, log)
        else:
            pulses, current, passed, cycles = self._fixed_sequence(cmd, kind, rows, cols, log)
        idx = rows * a.cols + cols
        self.res_pulses[idx] = pulses
        self.res_current[idx] = current
        self.res_pass[idx] = passed
        w = cfg.write_verify
        self.hist[:] = np.bincount(np.minimum(pulses, w.hist_bins - 1), minlength=w.hist_bins)
        failed = idx[passed == 0]  # hardware order: row-major over the region
        self.fail_list[: min(len(failed), w.fail_list_depth)] = failed[: w.fail_list_depth]
        self.stat_pulses = int(pulses.sum()) & 0xFFFF_FFFF
        self.stat_failures = len(failed)
        self.stat_cells = len(idx)
        self.last_error = 0
        self.error_detail = 0
        total = overhead + int(cycles.sum())
        log.cycles = total
        self.last_log = log
        return WvResponse(0, self.stat_failures, total)

    def _fixed_sequence(self, cmd, kind, rows, cols, log):
        """ENDURANCE, PULSE and READ_MAP: the same command sequence for every cell."""
        a, s = self.cfg.array, self.sets[cmd.set]
        n = len(rows)
        cycles = np.full(n, CELL_OVERHEAD, np.int64)
        idx = rows * a.cols + cols
        if kind == WvRunKind.ENDURANCE:
            for _ in range(cmd.count):
                self._pulse(rows, cols, idx, CrossbarOp.SET, s[F.SET_LINE_STOP],
                            s[F.SET_GATE_START], s[F.WIDTH_START], cycles, log)
                self._pulse(rows, cols, idx, CrossbarOp.RESET, s[F.RESET_LINE_STOP],
                            s[F.RESET_GATE], s[F.WIDTH_START], cycles, log)
            pulses = np.full(n, 2 * cmd.count)
            v_read = s[F.VERIFY_V]
        elif kind == WvRunKind.PULSE:
            op = CrossbarOp.RESET if cmd.polarity else CrossbarOp.SET
            self._pulse(rows, cols, idx, op, cmd.v_line, cmd.v_gate, cmd.width, cycles, log)
            pulses = np.ones(n, np.int64)
            v_read = cmd.v_read
        else:
            pulses = np.zeros(n, np.int64)
            v_read = cmd.v_read
        current, lat = self.xb.read(rows, cols, v_read)
        cycles += lat + CMD_OVERHEAD
        return pulses, current, np.ones(n, np.int64), cycles

    def _pulse(self, rows, cols, idx, op, v_line, v_gate, width, cycles, log):
        v_line, v_gate, width = (np.broadcast_to(np.asarray(x, np.int64), rows.shape)
                                 for x in (v_line, v_gate, width))
        if op == CrossbarOp.SET:
            self.xb.set_pulse(rows, cols, v_line, v_gate, width)
        else:
            self.xb.reset_pulse(rows, cols, v_line, v_gate, width)
        cycles += xbar_latency(self.cfg, op, width) + CMD_OVERHEAD   # works on arrays
        for i, vl, vg, wd in zip(idx, v_line, v_gate, width, strict=True):
            log.pulses.append((int(i), int(op), int(vl), int(vg), int(wd)))

    def _program(self, rows, cols, log):
        """Vectorized write-verify of every cell (see the algorithm in docs/write_verify.md)."""
        cfg, a = self.cfg, self.cfg.array
        n = len(rows)
        idx = rows * a.cols + cols
        S = self.sets[self.targets[idx]]  # (n, fields)
        alg = S[:, F.ALGORITHM]
        lo, hi = S[:, F.WINDOW_LO], S[:, F.WINDOW_HI]
        start = S[:, [F.SET_LINE_START, F.SET_GATE_START, F.WIDTH_START]]
        step = S[:, [F.SET_LINE_STEP, F.SET_GATE_STEP, F.WIDTH_STEP]]
        stop = S[:, [F.SET_LINE_STOP, F.SET_GATE_STOP, F.WIDTH_STOP]]
        order = np.array([LOOP_DIMS[LoopOrder(o)] for o in S[:, F.LOOP_ORDER]]).reshape(n, 3)
        NONE, SET, RESET = 0, 1, 2
        direction = np.zeros(n, np.int64)
        alts = np.zeros(n, np.int64)
        ramp_pulses = np.zeros(n, np.int64)
        pulses = np.zeros(n, np.int64)
        passes = np.zeros(n, np.int64)
        pos = start.copy()
        exhausted = np.zeros(n, bool)
        reset_v = S[:, F.RESET_LINE_START].copy()
        reset_exhausted = np.zeros(n, bool)
        current = np.zeros(n, np.int64)
        passed = np.zeros(n, np.int64)
        cycles = np.full(n, CELL_OVERHEAD, np.int64)
        active = np.ones(n, bool)
        do_read = np.ones(n, bool)  # next action: verify read (else: a pulse)
        seq = [[] for _ in range(n)]  # per-cell pulse log, merged in hardware order at the end
        read_lat = xbar_latency(cfg, CrossbarOp.READ)
        while active.any():
            # -- verify reads -------------------------------------------------------------------
            r = np.flatnonzero(active & do_read)
            if r.size:
                cur, _ = self.xb.read(rows[r], cols[r], S[r, F.VERIFY_V])
                cycles[r] += read_lat + CMD_OVERHEAD
                current[r] = cur
                in_win = (lo[r] <= cur) & (cur <= hi[r])
                # In the window: count a pass; done when enough, else read again.
                passes[r] = np.where(in_win, passes[r] + 1, 0)
                ok = in_win & (passes[r] >= S[r, F.PASSES])
                passed[r[ok]] = 1
                active[r[ok]] = False
                out = r[~in_win]
                cur_o = current[out]
                want = np.where(cur_o > hi[out], RESET, SET)
                a_o = alg[out]
                forbidden = (want == RESET) & (
                    (a_o == WvAlgorithm.FORMING)
                    | (((a_o == WvAlgorithm.ISPVA) | (a_o == WvAlgorithm.IGVVA))
                       & (direction[out] == SET)))
                switching = direction[out] != want
                new_alts = alts[out] + (switching & (direction[out] != NONE))
                too_many = (a_o == WvAlgorithm.WINDOW) & (new_alts > S[out, F.MAX_ALTERNATIONS])
                ramp_done = np.where(want == SET, exhausted[out], reset_exhausted[out]) | (
                    ramp_pulses[out] >= S[out, F.MAX_PULSES])
                fail = forbidden | too_many | (~switching & ramp_done)
                active[out[fail]] = False
                go = out[~fail]
                sw = switching[~fail]
                alts[go] = new_alts[~fail]
                direction[go] = want[~fail]
                restart = go[sw]
                ramp_pulses[restart] = 0
                pos[restart] = start[restart]
                exhausted[restart] = False
                reset_v[restart] = S[restart, F.RESET_LINE_START]
                reset_exhausted[restart] = False
                do_read[go] = False
            # -- pulses ----------------------------------------------------------------------------
            p = np.flatnonzero(active & ~do_read)
            if p.size:
                is_set = direction[p] == SET
                for op, sel in ((CrossbarOp.SET, p[is_set]), (CrossbarOp.RESET, p[~is_set])):
                    if not sel.size:
                        continue
                    if op == CrossbarOp.SET:
                        vl, vg, wd = pos[sel, 0], pos[sel, 1], pos[sel, 2]
                        self.xb.set_pulse(rows[sel], cols[sel], vl, vg, wd)
                    else:
                        vl, vg, wd = reset_v[sel], S[sel, F.RESET_GATE], S[sel, F.WIDTH_START]
                        self.xb.reset_pulse(rows[sel], cols[sel], vl, vg, wd)
                    cycles[sel] += xbar_latency(cfg, op, wd) + CMD_OVERHEAD
                    for j, a1, b1, c1 in zip(sel, vl, vg, wd, strict=True):
                        seq[j].append((int(idx[j]), int(op), int(a1), int(b1), int(c1)))
                ramp_pulses[p] += 1
                pulses[p] += 1
                # Advance the ramps: SET ramps through the nested loop, RESET ramps the line.
                sp = p[is_set]
                carry = np.ones(sp.size, bool)
                for k in range(3):
                    d = order[sp, k]
                    v = pos[sp, d]
                    nxt = v + step[sp, d]
                    wrap = carry & (nxt > stop[sp, d])
                    inc = carry & ~wrap
                    pos[sp, d] = np.where(inc, nxt, np.where(wrap, start[sp, d], v))
                    carry = wrap
                exhausted[sp] |= carry
                rp = p[~is_set]
                nxt = reset_v[rp] + S[rp, F.RESET_LINE_STEP]
                over = nxt > S[rp, F.RESET_LINE_STOP]
                reset_exhausted[rp] |= over
                reset_v[rp] = np.where(over, reset_v[rp], nxt)
                do_read[p] = True
        for j in range(n):
            log.pulses.extend(seq[j])
        return pulses, current, passed, cycles
