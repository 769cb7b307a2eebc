"""Power-on memory images computed by the golden model, for the code that builds the RTL.

The gateware never imports ``sim``: ``scripts/blocks.py`` calls these and passes the
images to the blocks' constructors (``hdl.spec.image.TileImage``), so the RTL powers on in
exactly the state the model starts from.
"""

import numpy as np

from hdl.spec.image import TileImage
from sim.crossbar import CrossbarModel
from sim.write_verify import default_register_sets

__all__ = ["tile_image", "chip_images", "loaded_model", "load_rows_into"]


def load_rows_into(xb, rows):
    """Write ``rows`` (an ``(k, cols)`` array of conductance codes) to rows ``0..k-1`` of
    the crossbar model ``xb`` by the back door (:meth:`CrossbarModel.load`, what a LOAD_CELL
    of each cell does: stuck cells keep theirs; event counters, formed flags and every other
    state untouched)."""
    rows = np.asarray(rows, np.int64)
    rr, cc = np.meshgrid(np.arange(rows.shape[0]), np.arange(rows.shape[1]), indexing="ij")
    xb.load(rr, cc, rows)


def loaded_model(cfg, tile, rows=None):
    """The crossbar model of tile ``tile`` at power-on, then ``rows`` (or None) loaded by
    :func:`load_rows_into`."""
    xb = CrossbarModel(cfg, tile)
    if rows is not None:
        load_rows_into(xb, rows)
    return xb


def tile_image(cfg, tile, rows=None):
    """The :class:`TileImage` of tile (node) ``tile``; with ``rows``, its crossbar holds
    them as if loaded by LOAD_CELL after power-on (:func:`loaded_model`)."""
    g = loaded_model(cfg, tile, rows).g
    sets = default_register_sets(cfg)
    return TileImage(
        conductance=tuple(tuple(int(v) for v in row) for row in g),
        register_sets=tuple(tuple(int(v) for v in row) for row in sets),
    ).check(cfg)


def chip_images(cfg, loads=None):
    """``{node: TileImage}`` for every tile of the chip; ``loads`` (``{node: rows}``, see
    :func:`tile_image`) powers tiles on with conductances already loaded."""
    loads = loads or {}
    unknown = sorted(set(loads) - set(cfg.tiles))
    if unknown:
        raise ValueError(f"loads: {unknown} are not tile nodes")
    return {n: tile_image(cfg, n, loads.get(n)) for n in cfg.tiles}
