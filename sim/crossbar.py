"""Golden model of the behavioral crossbar: values and cycle counts, bit-exact with the RTL.

The model is written over numpy arrays of cells. Because every random quantity is keyed by
``(seed, tile, row, col, per-cell event counter)``, operations on distinct cells commute:
a batch of pulses on distinct cells is one vectorized step, and a cell's history depends on
nothing but the commands that touched it. See ``docs/crossbar.md`` for the equations.
"""

from dataclasses import dataclass

import numpy as np

from hdl.spec.crossbar import (
    C2C_BELL,
    COMPLIANCE_BELL,
    GAIN_BELL,
    HRS_BELL,
    MVM_NOISE_PAIRS_PER_HASH,
    PURPOSE_EVENT,
    PURPOSE_MVM_NOISE,
    PURPOSE_RELAX,
    PURPOSE_STATIC,
    READ_BELL,
    RELAX_BELL,
    STUCK_CMP,
    STUCK_LRS,
    VTH_RESET_BELL,
    VTH_SET_BELL,
    CrossbarOp,
    latency,
    mvm_noise_hashes,
    refusal_rules,
)
from hdl.spec.rules import any_of
from sim.cellhash import bell, cell_hash, field

__all__ = ["CrossbarModel", "CrossbarCommand", "CrossbarResponse"]

#: Integers below this are exact in float32 (24-bit significand).
F32_EXACT = 1 << 24


@dataclass(frozen=True)
class CrossbarCommand:
    """One command of the crossbar's command stream (``hdl.spec.crossbar.command_fields``)."""

    op: int
    row: int = 0
    col: int = 0
    v_line: int = 0
    v_gate: int = 0
    width: int = 1
    value: int = 0
    bits: int = 0


@dataclass(frozen=True)
class CrossbarResponse:
    error: bool
    value: int
    cycles: int
    pair_current: tuple = ()


class CrossbarModel:
    """State and behavior of one tile's crossbar.

    Parameters
    ----------
    cfg : ChipConfig
    tile : int
        Node index of the tile (part of every hash key).

    Attributes
    ----------
    g : ndarray (rows, cols) int64
        Conductance codes (uS).
    events : ndarray (rows, cols) int64
        Per-cell event counters (SET, RESET and verify-read events, modulo 2**event_bits).
    formed : ndarray (rows, cols) bool
        Cells that have seen an effective SET (virgin cells have a higher SET threshold).
    anneals : int
        Relax operations so far (keys the relax spread).
    mvms : int
        MVMs (bit-planes) so far, modulo 2**32, counted while MVM read noise is on (keys
        it; without it an MVM leaves no trace and is a pure function of the conductances).
    stuck, stuck_lrs : ndarray bool
        Stuck cells, and which of them are stuck at LRS.
    """

    def __init__(self, cfg, tile=1):
        self.cfg = cfg
        self.tile = tile
        a, d = cfg.array, cfg.device
        rr, cc = np.meshgrid(np.arange(a.rows), np.arange(a.cols), indexing="ij")
        s = cell_hash(cfg, PURPOSE_STATIC, tile, rr, cc, 0)
        self.stuck = field(s, *STUCK_CMP) < d.stuck_rate_q14
        self.stuck_lrs = self.stuck & (field(s, STUCK_LRS, 1) == 1)
        self.vth_set = d.vth_set + ((bell(s, VTH_SET_BELL) * d.vth_set_spread) >> 4)
        self.vth_reset = d.vth_reset + ((bell(s, VTH_RESET_BELL) * d.vth_reset_spread) >> 4)
        gain_dev = (bell(s, GAIN_BELL) * d.gain_spread) >> 4
        self.set_gain = np.maximum(0, d.set_gain + gain_dev)
        self.reset_gain = np.maximum(0, d.reset_gain + gain_dev)
        self.g = np.full((a.rows, a.cols), d.g_virgin, dtype=np.int64)
        self.g[self.stuck] = d.stuck_hrs_g
        self.g[self.stuck_lrs] = d.stuck_lrs_g
        self.events = np.zeros((a.rows, a.cols), dtype=np.int64)
        self.formed = np.full((a.rows, a.cols), d.forming_offset == 0)
        self.anneals = 0
        self.mvms = 0

    # -- helpers -----------------------------------------------------------------------------

    def _cells(self, rows, cols):
        rows, cols = np.broadcast_arrays(np.asarray(rows, np.int64), np.asarray(cols, np.int64))
        a = self.cfg.array
        if rows.size and (rows.min() < 0 or rows.max() >= a.rows):
            raise IndexError(f"row out of range 0..{a.rows - 1}")
        if cols.size and (cols.min() < 0 or cols.max() >= a.cols):
            raise IndexError(f"column out of range 0..{a.cols - 1}")
        flat = rows * a.cols + cols
        if len(np.unique(flat)) != flat.size:
            raise ValueError("a vectorized crossbar step needs distinct cells")
        return rows, cols

    def _event_hash(self, rows, cols):
        return cell_hash(self.cfg, PURPOSE_EVENT, self.tile, rows, cols, self.events[rows, cols])

    def _bump_events(self, rows, cols):
        self.events[rows, cols] = (self.events[rows, cols] + 1) & (
            (1 << self.cfg.array.event_bits) - 1
        )

    def compliance(self, v_gate):
        """SET compliance limit (uS) set by the gate voltage code."""
        d, a = self.cfg.device, self.cfg.array
        lim = (np.maximum(0, np.asarray(v_gate, np.int64) - d.compliance_vg0)
               * d.compliance_slope) >> 2
        return np.minimum(lim, a.g_max)

    # -- operations (vectorized over distinct cells) -----------------------------------------

    def set_pulse(self, rows, cols, v_d, v_g, width=1):
        """SET pulse(s); returns the cycles each takes in the RTL."""
        rows, cols = self._cells(rows, cols)
        d = self.cfg.device
        g = self.g[rows, cols]
        h = self._event_hash(rows, cols)
        vth = self.vth_set[rows, cols] + np.where(self.formed[rows, cols], 0, d.forming_offset)
        od = np.asarray(v_d, np.int64) - vth
        step = ((od * self.set_gain[rows, cols] * width) >> 4) + ((bell(h, C2C_BELL) * d.c2c_noise)
                                                                 >> 4)
        lim = self.compliance(v_g)
        if d.compliance_noise:
            lim = np.clip(lim + ((bell(h, COMPLIANCE_BELL) * d.compliance_noise) >> 4),
                          0, self.cfg.array.g_max)
        hi = np.maximum(g, lim)
        moved = (od > 0) & ~self.stuck[rows, cols]
        self.g[rows, cols] = np.where(moved, np.clip(g + step, g, hi), g)
        self.formed[rows, cols] |= moved
        self._bump_events(rows, cols)
        return latency(self.cfg, CrossbarOp.SET, width)

    def reset_pulse(self, rows, cols, v_s, v_g=0, width=1):
        """RESET pulse(s); the gate is assumed fully on (``v_g`` is range-checked only)."""
        rows, cols = self._cells(rows, cols)
        d = self.cfg.device
        g = self.g[rows, cols]
        h = self._event_hash(rows, cols)
        od = np.asarray(v_s, np.int64) - self.vth_reset[rows, cols]
        step = ((od * self.reset_gain[rows, cols] * width) >> 4) + (
            (bell(h, C2C_BELL) * d.c2c_noise) >> 4
        )
        floor = d.g_hrs
        if d.hrs_noise:
            floor = np.clip(floor + ((bell(h, HRS_BELL) * d.hrs_noise) >> 4),
                            0, self.cfg.array.g_max)
        lo = np.minimum(g, floor)
        moved = (od > 0) & ~self.stuck[rows, cols]
        self.g[rows, cols] = np.where(moved, np.clip(g - step, lo, g), g)
        self._bump_events(rows, cols)
        return latency(self.cfg, CrossbarOp.RESET, width)

    def read(self, rows, cols, v_read):
        """Verify read(s): current ``I = g_seen * v_read`` (20 nA LSB); returns (I, cycles)."""
        rows, cols = self._cells(rows, cols)
        d, a = self.cfg.device, self.cfg.array
        g = self.g[rows, cols]
        if d.read_noise:
            h = self._event_hash(rows, cols)
            g = np.clip(g + ((bell(h, READ_BELL) * d.read_noise) >> 4), 0, a.g_max)
        self._bump_events(rows, cols)
        return g * np.asarray(v_read, np.int64), latency(self.cfg, CrossbarOp.READ)

    def mvm(self, bits):
        """One input bit-plane: rows ``r`` with ``bits[r]`` set are driven at ``v_read_mvm``.

        ``bits`` is a 0/1 vector of length ``rows`` or an int (bit ``r`` = row ``r``). Returns
        the differential pair currents ``(I(2p) - I(2p+1))`` (read noise included) and the
        cycles.
        """
        a = self.cfg.array
        if np.isscalar(bits):
            bits = np.array([(int(bits) >> r) & 1 for r in range(a.rows)], dtype=np.int64)
        pair = self.mvm_planes(np.asarray(bits, np.int64)[None, :])[0]
        return pair, latency(self.cfg, CrossbarOp.MVM)

    def mvm_planes(self, planes, advance=True):
        """Many bit-planes at once: ``planes`` is (n, rows) of 0/1 (bool or integer);
        returns the (n, pairs) currents ``v_read_mvm * (sum_r bit * (G+ - G-) + noise)``,
        plane ``i`` as the ``i``-th of n MVM commands in a row.

        The MVM of every path (:meth:`mvm`, the tile model, the batched golden model
        ``sw/batch.py``) is this one function. The sums are integers of magnitude at most
        ``rows * g_max``; below 2**24 float32 holds every partial sum exactly, so the
        matmul runs in BLAS (several times faster than numpy's integer matmul) with the
        same result.

        With MVM read noise (``device.mvm_read_noise``), plane ``i`` gets the offsets of MVM
        count ``mvms + i`` (:meth:`mvm_noise`) and the count advances by n, unless
        ``advance`` is false (the currents the next n MVMs would give, changing nothing).
        """
        a = self.cfg.array
        x = np.asarray(planes)
        if x.dtype != np.bool_ and x.size and (x.min() < 0 or x.max() > 1):
            raise ValueError("MVM bit-planes must be 0 or 1")
        # The configuration's limits (rows <= 256, g_bits <= 12) keep this below 2**20.
        assert a.rows * a.g_max < F32_EXACT
        diff = (self.g[:, 0::2] - self.g[:, 1::2]).astype(np.float32)
        g = (x.astype(np.float32) @ diff).astype(np.int64)
        if self.cfg.device.mvm_read_noise:
            g = g + self.mvm_noise(len(x))
            if advance:
                self.count_mvms(len(x))
        return g * a.v_read_mvm

    def mvm_noise(self, n, first=None):
        """(n, pairs) read-noise offsets, in conductance codes, of the MVMs counted
        ``first .. first + n - 1`` (default: the next ``n``)."""
        d, a = self.cfg.device, self.cfg.array
        per = MVM_NOISE_PAIRS_PER_HASH
        first = self.mvms if first is None else first
        count = (first + np.arange(n, dtype=np.int64)) & 0xFFFF_FFFF
        j = np.arange(mvm_noise_hashes(self.cfg))
        h = cell_hash(self.cfg, PURPOSE_MVM_NOISE, self.tile, 0, j[None, :], count[:, None])
        p = np.arange(a.pairs)
        b = np.stack([bell(h[:, q // per], 16 * (q % per)) for q in p], axis=1)
        return (b * d.mvm_read_noise) >> 4

    def count_mvms(self, n):
        """Advance the MVM count by ``n`` MVMs (only MVM read noise reads it)."""
        if self.cfg.device.mvm_read_noise:
            self.mvms = (self.mvms + int(n)) & 0xFFFF_FFFF

    def relax(self, strength):
        """Relax/anneal every cell: a spread ``bell * strength / 16`` and a drift toward 0.

        ``strength`` is 0..255 (the RTL refuses more).
        """
        d, a = self.cfg.device, self.cfg.array
        rr, cc = np.meshgrid(np.arange(a.rows), np.arange(a.cols), indexing="ij")
        h = cell_hash(self.cfg, PURPOSE_RELAX, self.tile, rr, cc, self.anneals)
        g = self.g
        new = g + ((bell(h, RELAX_BELL) * strength) >> 4) - ((g * d.relax_drift * strength) >> 12)
        self.g = np.where(self.stuck, g, np.clip(new, 0, a.g_max))
        self.anneals = (self.anneals + 1) & 0xFFFF_FFFF
        return latency(self.cfg, CrossbarOp.RELAX)

    def load(self, rows, cols, values):
        """Back door: set conductances (stuck cells keep theirs)."""
        rows, cols = self._cells(rows, cols)
        values = np.broadcast_to(np.asarray(values, np.int64), rows.shape)
        self.g[rows, cols] = np.where(self.stuck[rows, cols], self.g[rows, cols], values)
        return latency(self.cfg, CrossbarOp.LOAD)

    def load_array(self, values):
        """Back door: set the whole array (stuck cells keep theirs); returns total cycles."""
        a = self.cfg.array
        values = np.asarray(values, np.int64)
        if values.shape != (a.rows, a.cols):
            raise ValueError(f"values must be {a.rows} x {a.cols}, got {values.shape}")
        self.g = np.where(self.stuck, self.g, values)
        return a.rows * a.cols * latency(self.cfg, CrossbarOp.LOAD)

    # -- one command, exactly as the RTL's command stream sees it ----------------------------

    def refuses(self, cmd):
        """True if the RTL answers this command with an error (``hdl.spec.crossbar``)."""
        rule = refusal_rules(self.cfg).get(cmd.op)
        return rule is None or bool(any_of(rule(cmd)))

    def execute(self, cmd):
        """Apply one :class:`CrossbarCommand`; returns the :class:`CrossbarResponse`."""
        if self.refuses(cmd):
            return CrossbarResponse(True, 0, latency(self.cfg, 0, error=True))
        op = CrossbarOp(cmd.op)
        r, c = [cmd.row], [cmd.col]
        if op == CrossbarOp.SET:
            cyc = self.set_pulse(r, c, cmd.v_line, cmd.v_gate, cmd.width)
            return CrossbarResponse(False, 0, cyc)
        if op == CrossbarOp.RESET:
            cyc = self.reset_pulse(r, c, cmd.v_line, cmd.v_gate, cmd.width)
            return CrossbarResponse(False, 0, cyc)
        if op == CrossbarOp.READ:
            i, cyc = self.read(r, c, cmd.v_line)
            return CrossbarResponse(False, int(i[0]), cyc)
        if op == CrossbarOp.MVM:
            pair, cyc = self.mvm(cmd.bits)
            return CrossbarResponse(False, 0, cyc, tuple(int(p) for p in pair))
        if op == CrossbarOp.RELAX:
            return CrossbarResponse(False, 0, self.relax(cmd.value))
        if op == CrossbarOp.LOAD:
            return CrossbarResponse(False, 0, self.load(r, c, cmd.value))
        if op == CrossbarOp.PEEK:
            return CrossbarResponse(False, int(self.g[cmd.row, cmd.col]), latency(self.cfg, op))
        raise AssertionError(op)
