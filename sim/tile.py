"""Golden model of the compute tile: every response value, every output and the exact cycles.

The tile (``hdl/tile.py``) is a controller around a crossbar and its write-verify engine:
bit-serial MVMs through K shared SAR ADCs with shift-add accumulation, an output unit
(partial sums, bias, requantization, activation) and performance counters. This model
shares its crossbar with a :class:`~sim.write_verify.WriteVerifyModel`, exactly as the RTL
shares the array between the MVM path and the engine. The refusal rules and the cycle
model are the spec's (``hdl/spec/tile.py``), which the RTL reads too. Pure numpy; see
``docs/tile.md``.
"""

from dataclasses import dataclass

import numpy as np

from hdl.spec.crossbar import CrossbarOp
from hdl.spec.crossbar import latency as xbar_latency
from hdl.spec.tile import (
    ACCESS_LATENCY,
    FORWARD_OVERHEAD,
    REFUSED_LATENCY,
    TILE_COUNTERS,
    Activation,
    TileCounter,
    TileError,
    TileField,
    TileOp,
    field_defaults,
    mvm_latency,
    refusal,
)
from hdl.spec.write_verify import WvOp
from sim.crossbar import CrossbarModel
from sim.write_verify import WriteVerifyModel

__all__ = [
    "TileCommand",
    "TileResponse",
    "TileOutput",
    "TileModel",
    "adc_convert",
    "requantize",
]


def adc_convert(cfg, current, shift):
    """SAR conversion of pair currents: ``clip(floor(I / 2**shift), -2**(B-1), 2**(B-1)-1)``
    and whether each conversion clipped."""
    b = cfg.adc_bits
    scaled = np.asarray(current, np.int64) >> shift
    code = np.clip(scaled, -(1 << (b - 1)), (1 << (b - 1)) - 1)
    return code, code != scaled


def _saturate(x, lo, hi):
    return np.minimum(np.maximum(x, lo), hi)


def requantize(cfg, v, desc):
    """Output unit on sums ``v = acc + psum + bias``: raw partial sums saturate to
    ``psum_bits``; otherwise ``(v * mult) >> shift`` rounded half away from zero, ReLU, and
    saturation to ``OUT_BITS`` (signed or unsigned)."""
    f = TileField
    v = np.asarray(v, np.int64)
    if desc[f.OUT_RAW]:
        pb = cfg.tile.psum_bits
        return _saturate(v, -(1 << (pb - 1)), (1 << (pb - 1)) - 1)
    t = v * int(desc[f.OUT_MULT])
    s = int(desc[f.OUT_SHIFT])
    if s:
        y = (t + (1 << (s - 1)) - (t < 0)) >> s
    else:
        y = t
    if desc[f.ACTIVATION] == Activation.RELU:
        y = np.maximum(y, 0)
    ob = int(desc[f.OUT_BITS])
    if desc[f.OUT_SIGNED]:
        lo, hi = -(1 << (ob - 1)), (1 << (ob - 1)) - 1
    else:
        lo, hi = 0, (1 << ob) - 1
    return _saturate(y, lo, hi)


def _signed32(x):
    x = int(x) & 0xFFFF_FFFF
    return x - (1 << 32) if x >> 31 else x


@dataclass(frozen=True)
class TileCommand:
    """One command of the tile's command stream (``hdl.spec.tile.command_fields``);
    ``wv`` is the :class:`~sim.write_verify.WvCommand` a WV command forwards."""

    op: int
    addr: int = 0
    value: int = 0
    wv: object = None


@dataclass(frozen=True)
class TileOutput:
    dest: int
    offset: int
    kind: int  # 0 activation (requantized), 1 partial sum (OUT_RAW)
    value: int


@dataclass(frozen=True)
class TileResponse:
    error: int
    value: int
    cycles: int
    outputs: tuple = ()


class TileModel:
    """Host-visible state and behavior of one compute tile.

    Parameters
    ----------
    cfg : ChipConfig
    tile : int
        Node index (keys the crossbar's device hash); the first tile by default.

    Attributes
    ----------
    xb : CrossbarModel
    wv : WriteVerifyModel (sharing ``xb``)
    desc : dict TileField -> int
    inputs, bias, psum : ndarray
    counters : list of int (TileCounter order)
    """

    def __init__(self, cfg, tile=None):
        self.cfg = cfg
        a = cfg.array
        self.xb = CrossbarModel(cfg, cfg.tiles[0] if tile is None else tile)
        self.wv = WriteVerifyModel(cfg, self.xb)
        self.desc = dict(field_defaults(cfg))
        self.inputs = np.zeros(a.rows, np.int64)
        self.bias = np.zeros(a.pairs, np.int64)
        self.psum = np.zeros(a.pairs, np.int64)
        self.counters = [0] * TILE_COUNTERS

    # -- helpers ---------------------------------------------------------------------------

    def _count(self, which, n=1):
        mask = (1 << self.cfg.tile.counter_bits) - 1
        self.counters[which] = (self.counters[which] + int(n)) & mask

    def refusal(self, cmd):
        """The TileError a command is refused with at acceptance (NONE if accepted): the
        spec's ``hdl.spec.tile.refusal_rules``, which the RTL evaluates too."""
        return refusal(self.cfg, cmd)

    # -- commands ----------------------------------------------------------------------------

    def execute(self, cmd, stalls=0):
        """Apply one command; return the response, its latency and the outputs it sent.

        ``stalls`` is the number of cycles the output stream held ``ready`` low while an
        output was valid (each delays the MVM by one cycle).
        """
        resp = self._execute(cmd, stalls)
        self._count(TileCounter.BUSY, resp.cycles)
        if resp.error:
            self.counters[TileCounter.LAST_ERROR] = int(resp.error)
            self._count(TileCounter.ERRORS)
        return resp

    def _execute(self, cmd, stalls):
        err = self.refusal(cmd)
        if err:
            return TileResponse(int(err), 0, REFUSED_LATENCY)
        op = TileOp(cmd.op)
        value = 0
        if op == TileOp.CONFIG:
            self.desc[TileField(cmd.addr)] = int(cmd.value)
        elif op == TileOp.READ_CONFIG:
            value = self.desc[TileField(cmd.addr)]
        elif op == TileOp.WRITE_INPUT:
            self.inputs[cmd.addr] = cmd.value
        elif op == TileOp.WRITE_BIAS:
            self.bias[cmd.addr] = _signed32(cmd.value)
        elif op == TileOp.WRITE_PSUM:
            self.psum[cmd.addr] = _signed32(cmd.value)
        elif op == TileOp.READ_COUNTER:
            value = self.counters[cmd.addr]
        elif op == TileOp.LOAD_CELL:
            self.xb.load([cmd.addr >> 8], [cmd.addr & 0xFF], cmd.value)
            return TileResponse(0, 0, xbar_latency(self.cfg, CrossbarOp.LOAD) + FORWARD_OVERHEAD)
        elif op == TileOp.WV:
            return self._forward(cmd.wv)
        else:
            return self.mvm(stalls)
        return TileResponse(0, int(value), ACCESS_LATENCY)

    def _forward(self, wv_cmd):
        r = self.wv.execute(wv_cmd)
        cycles = r.cycles + FORWARD_OVERHEAD
        if r.error:
            return TileResponse(int(TileError.ENGINE), int(r.value) | int(r.error) << 40, cycles)
        if wv_cmd.op == WvOp.RUN:
            self._count(TileCounter.PULSES, self.wv.stat_pulses)
            self._count(TileCounter.FAILS, self.wv.stat_failures)
        return TileResponse(0, int(r.value), cycles)

    def mvm_values(self, inputs=None, psum=None):
        """(sums v = acc + psum + bias, output values, clipped conversions) of an MVM on the
        current state, without changing it (with MVM read noise: of the MVM that runs next,
        keyed by the crossbar's MVM count; the n MVMs of a batch one after the other).

        ``inputs`` (n, rows) and ``psum`` (n, pairs), if given, stand for the input and
        partial-sum buffers of n MVMs on the same array and descriptor, computed at once
        (the batched golden model, ``sw/batch.py``): the results then have a leading axis
        of n, the clips too.
        """
        cfg, f, d = self.cfg, TileField, self.desc
        one = inputs is None
        x = self.inputs[None, :] if one else np.asarray(inputs, np.int64)
        ps = self.psum if psum is None else np.asarray(psum, np.int64)
        p = d[f.IN_BITS]
        k = np.arange(p)
        planes = ((x[:, None, :] >> k[None, :, None]) & 1).astype(bool)   # (n, P, rows)
        current = self.xb.mvm_planes(planes.reshape(-1, x.shape[1]), advance=False)
        current = current.reshape(x.shape[0], p, cfg.array.pairs)         # (n, P, pairs)
        code, clipped = adc_convert(cfg, current, d[f.ADC_SHIFT])
        weight = np.left_shift(1, k).astype(np.int64)
        if d[f.IN_SIGNED]:
            weight[-1] = -weight[-1]
        acc = np.einsum("k,nkp->np", weight, code)
        v = acc + (ps if d[f.PSUM_EN] else 0) + self.bias
        out, clips = requantize(cfg, v, d), clipped.sum(axis=(1, 2))
        if one:
            return v[0], out[0], int(clips[0])
        return v, out, clips

    def mvm(self, stalls=0):
        cfg, f, d = self.cfg, TileField, self.desc
        _, values, clips = self.mvm_values()
        self.xb.count_mvms(d[f.IN_BITS])  # one crossbar MVM per plane
        n = d[f.OUT_COUNT]
        kind = 1 if d[f.OUT_RAW] else 0
        outputs = tuple(TileOutput(d[f.DEST], (d[f.OFFSET] + i) & 0xFFFF, kind, int(values[i]))
                        for i in range(n))
        self._count(TileCounter.MVMS)
        self._count(TileCounter.CONVERSIONS, d[f.IN_BITS] * cfg.array.pairs)
        self._count(TileCounter.CLIPS, clips)
        return TileResponse(0, clips, mvm_latency(cfg, d[f.IN_BITS], n, stalls), outputs)
