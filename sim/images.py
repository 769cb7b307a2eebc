"""Power-on memory images computed by the golden model, for the code that builds the RTL.

The gateware never imports ``sim``: ``scripts/blocks.py`` calls these and passes the
images to the blocks' constructors (``hdl.spec.image.TileImage``), so the RTL powers on in
exactly the state the model starts from.
"""

from hdl.spec.image import TileImage
from sim.crossbar import CrossbarModel
from sim.write_verify import default_register_sets

__all__ = ["tile_image", "chip_images"]


def tile_image(cfg, tile):
    """The :class:`TileImage` of tile (node) ``tile``."""
    g = CrossbarModel(cfg, tile).g
    sets = default_register_sets(cfg)
    return TileImage(
        conductance=tuple(tuple(int(v) for v in row) for row in g),
        register_sets=tuple(tuple(int(v) for v in row) for row in sets),
    ).check(cfg)


def chip_images(cfg):
    """``{node: TileImage}`` for every tile of the chip."""
    return {n: tile_image(cfg, n) for n in cfg.tiles}
