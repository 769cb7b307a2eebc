"""Weights to conductance levels: every weight becomes a differential pair ``G+ - G-`` of two
programmable levels.

The write-verify engine's register sets 0..4 program Milo et al.'s five levels (10 / 30 /
60 / 90 / 120 uS, ``sim.host_program.MILO_LEVELS_US``). A pair of them gives the
differences ``{0, +-20, +-30, +-50, +-60, +-80, +-90, +-110}`` uS: 15 weight values. Each
difference is realised by the pair with the smallest total conductance (the least read
current), e.g. ``+20 = L2 - L1``, ``+30 = L3 - L2``.

On the digits network (``sw/models``) this alone costs 1.4 points of float test accuracy
(96.7 % -> 95.3 %; 95.8 % for the noise-aware model).

A layer is quantized with one scale: weight ``w`` maps to the difference ``d`` nearest to
``w / scale``; the scale minimises the squared error over the layer (a grid search).
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["PairCode", "pair_codes", "QuantizedLayer", "quantize"]


@dataclass(frozen=True)
class PairCode:
    """One representable weight: ``diff = levels[plus] - levels[minus]`` (uS)."""

    diff: int
    plus: int
    minus: int


def pair_codes(levels):
    """Every representable difference of two levels, each with its cheapest pair, sorted by
    difference."""
    best = {}
    for i, gp in enumerate(levels):
        for j, gm in enumerate(levels):
            d = int(gp) - int(gm)
            if d not in best or gp + gm < levels[best[d][0]] + levels[best[d][1]]:
                best[d] = (i, j)
    return tuple(PairCode(d, *best[d]) for d in sorted(best))


@dataclass(frozen=True)
class QuantizedLayer:
    """A weight matrix as level pairs.

    Attributes
    ----------
    plus, minus : ndarray (inputs, outputs) int
        Level (register-set) index of each weight's G+ and G- cell.
    diff : ndarray (inputs, outputs) int
        ``levels[plus] - levels[minus]`` in uS.
    scale : float
        Weight per uS of difference: ``weight ~ scale * diff``.
    """

    plus: np.ndarray
    minus: np.ndarray
    diff: np.ndarray
    scale: float

    def weight(self):
        """The quantized weights (float)."""
        return self.scale * self.diff


def _nearest(values, grid):
    idx = np.searchsorted(grid, values)
    idx = np.clip(idx, 1, len(grid) - 1)
    left, right = grid[idx - 1], grid[idx]
    return np.where(values - left <= right - values, idx - 1, idx)


def quantize(weight, levels, steps=400):
    """Quantize ``weight`` (inputs, outputs) to level pairs of ``levels`` (uS)."""
    w = np.asarray(weight, np.float64)
    codes = pair_codes(levels)
    grid = np.array([c.diff for c in codes], np.float64)
    peak = float(np.max(np.abs(w)))
    if peak == 0:
        scale = 1.0
    else:
        # From "the largest weight hits the largest difference" down to a tenth of that:
        # smaller scales clip the largest weights to win resolution for the many small ones.
        candidates = peak / grid.max() * np.linspace(0.1, 1.0, steps)
        errors = [np.sum((grid[_nearest(w / s, grid)] * s - w) ** 2) for s in candidates]
        scale = float(candidates[int(np.argmin(errors))])
    idx = _nearest(w / scale, grid)
    plus = np.array([c.plus for c in codes])[idx]
    minus = np.array([c.minus for c in codes])[idx]
    return QuantizedLayer(plus, minus, grid[idx].astype(np.int64), scale)
