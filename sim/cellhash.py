"""Counter-based cell hash, vectorized (the numpy twin of ``hdl/cellhash.py``).

Every random quantity of the device model is a pure function of
``(seed, purpose, tile, row, col, counter)``: a cell can be recomputed alone, in any order,
which is what lets the golden model vectorize over cells.

The hash is ``hash_rounds`` rounds of the Speck64 ARX round function (Beaulieu et al., 2013)
on the 64-bit block ``(x, y)``::

    x = ((x >>> 8) + y) ^ k_i
    y = (y <<< 3) ^ x

with round keys ``k_i`` derived from the seed (``ChipConfig.hash_round_keys``). The input
block is ``x = purpose << 24 | tile << 16 | row << 8 | col``, ``y = counter``; the output is
``y << 32 | x``. ARX needs no multiplier, so the hardware costs a few adders per round.
"""

import numpy as np

__all__ = ["cell_hash", "field", "bell"]

# The hash's input purposes (PURPOSE_*) and the bit fields each device parameter takes from
# its output are contracts with the gateware: ``hdl.spec.crossbar``.

_M32 = np.uint64(0xFFFF_FFFF)


def _rotl(v, r):
    return ((v << np.uint64(r)) | (v >> np.uint64(32 - r))) & _M32


def cell_hash(cfg, purpose, tile, row, col, counter):
    """64-bit hash as ``uint64``; all arguments broadcast."""
    row = np.asarray(row, dtype=np.uint64)
    col = np.asarray(col, dtype=np.uint64)
    counter = np.asarray(counter, dtype=np.uint64)
    x = (np.uint64(purpose) << np.uint64(24)) | (np.uint64(tile) << np.uint64(16))
    x = x | (row << np.uint64(8)) | col
    y = counter & _M32
    x, y = np.broadcast_arrays(x, y)
    x = x.astype(np.uint64)
    y = y.astype(np.uint64)
    for k in cfg.hash_round_keys():
        x = (((_rotl(x, 24)) + y) & _M32) ^ np.uint64(k)  # x >>> 8 == x <<< 24
        y = _rotl(y, 3) ^ x
    return (y << np.uint64(32)) | x


def field(h, lo, width):
    """Bits ``lo .. lo+width-1`` of a hash, as int64."""
    return ((h >> np.uint64(lo)) & np.uint64((1 << width) - 1)).astype(np.int64)


def bell(h, lo):
    """Bell-shaped integer in -30..30 from the 16 bits at ``lo``: four nibbles summed, minus 30.

    Irwin-Hall of four uniform 0..15 variates: mean 0, sigma = sqrt(4 * 255 / 12) ~ 9.22.
    """
    return sum(field(h, lo + 4 * i, 4) for i in range(4)) - 30
