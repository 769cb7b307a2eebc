"""Counter-based cell hash in gateware (the twin of ``sim/cellhash.py``)."""

from amaranth.hdl import Array, Cat, Const, Module, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

__all__ = ["CellHash", "bell"]


def bell(value):
    """Bell-shaped signed integer in -30..30: the four nibbles of a 16-bit value, minus 30."""
    return value[0:4] + value[4:8] + value[8:12] + value[12:16] - 30


class CellHash(wiring.Component):
    """Iterative ARX (Speck64 round function) hash with seed-derived constant round keys.

    ``hash_rounds_per_cycle`` rounds are evaluated per cycle, so one hash takes
    ``N = cfg.hash_cycles`` cycles: with ``start`` high in cycle ``t``, ``out`` is valid and
    ``done`` high from cycle ``t + N`` until the next ``start``.

    Parameters
    ----------
    cfg : ChipConfig

    Attributes
    ----------
    start : In(1)
        Load ``x0``/``y0`` and begin.
    x0, y0 : In(32)
        Input block (``purpose << 24 | tile << 16 | row << 8 | col``, counter).
    done : Out(1)
    out : Out(64)
        ``y << 32 | x``.
    """

    start: In(1)
    x0: In(32)
    y0: In(32)
    done: Out(1)
    out: Out(64)

    def __init__(self, cfg):
        self._cfg = cfg
        super().__init__()

    def elaborate(self, platform):
        m = Module()
        cfg = self._cfg
        n = cfg.hash_cycles
        rpc = cfg.hash_rounds_per_cycle
        keys = cfg.hash_round_keys()
        # Round t of step j uses key j * rpc + t: one small constant table per unrolled round.
        key_tables = [Array(Const(keys[j * rpc + t], 32) for j in range(n)) for t in range(rpc)]

        x = Signal(32)
        y = Signal(32)
        step = Signal(range(max(n, 2)))
        remaining = Signal(range(max(n, 2)))
        busy = Signal()

        def rounds(xv, yv, j):
            for t in range(rpc):
                xv = ((xv.rotate_left(24) + yv)[:32]) ^ key_tables[t][j]
                yv = yv.rotate_left(3) ^ xv
            return xv, yv

        x_first, y_first = rounds(self.x0, self.y0, 0)
        x_next, y_next = rounds(x, y, step)

        m.d.comb += [
            self.done.eq(busy & (remaining == 0)),
            self.out.eq(Cat(x, y)),
        ]
        with m.If(self.start):
            m.d.sync += [
                x.eq(x_first),
                y.eq(y_first),
                step.eq(1),
                remaining.eq(n - 1),
                busy.eq(1),
            ]
        with m.Elif(busy & (remaining != 0)):
            m.d.sync += [
                x.eq(x_next),
                y.eq(y_next),
                step.eq(step + 1),
                remaining.eq(remaining - 1),
            ]
        return m
