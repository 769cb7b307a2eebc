"""Power-on memory images: what a tile's memories hold at reset.

The golden model computes them (``sim/images.py``: the crossbar's power-on conductances,
which depend on the stuck cells the device hash draws, and the default write-verify
register sets); the code that builds the gateware passes them in (``scripts/blocks.py``).
The gateware only checks their shape, so it never needs the model.
"""

from dataclasses import dataclass

__all__ = ["TileImage"]


@dataclass(frozen=True)
class TileImage:
    """Power-on contents of one tile.

    Attributes
    ----------
    conductance : tuple of tuple of int
        ``rows x cols`` conductance codes of the crossbar.
    register_sets : tuple of tuple of int
        ``WV_SETS x WV_FIELDS`` write-verify register-set fields.
    """

    conductance: tuple
    register_sets: tuple

    def check(self, cfg):
        """Raise ValueError naming the part that does not fit ``cfg``; returns self."""
        from hdl.spec.write_verify import WV_FIELDS, WV_SETS

        a = cfg.array
        g = self.conductance
        if len(g) != a.rows or any(len(row) != a.cols for row in g):
            raise ValueError(f"TileImage.conductance: must be {a.rows} x {a.cols} codes")
        if any(not 0 <= int(v) <= a.g_max for row in g for v in row):
            raise ValueError(f"TileImage.conductance: codes must be in 0..{a.g_max}")
        s = self.register_sets
        if len(s) != WV_SETS or any(len(row) != WV_FIELDS for row in s):
            raise ValueError(f"TileImage.register_sets: must be {WV_SETS} x {WV_FIELDS} fields")
        if any(not 0 <= int(v) <= 0xFFFF for row in s for v in row):
            raise ValueError("TileImage.register_sets: fields must be in 0..0xFFFF")
        return self
